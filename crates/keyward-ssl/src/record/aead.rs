//! AEAD record protection: AES-GCM with a 4-byte salt and an 8-byte explicit nonce
//! (RFC 5288), and the XOR-nonce construction of ChaCha20-Poly1305 (RFC 7905) and
//! TLS 1.3 (RFC 8446 §5.3).

use core::ops::Range;

use keyward_core::backend::cipher::{AeadAlgorithm, AeadKey, AEAD_NONCE_LEN, AEAD_TAG_LEN};
use keyward_core::{Error, Result, Secret};

/// Length of the explicit nonce of GCM records in TLS 1.2 / DTLS 1.2.
const EXPLICIT_NONCE_LEN: usize = 8;
/// Length of the GCM salt (the implicit part of the nonce).
const SALT_LEN: usize = AEAD_NONCE_LEN - EXPLICIT_NONCE_LEN;

/// How the per-record nonce is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NonceStyle {
    /// 4-byte salt ‖ 8-byte explicit nonce sent in the record (GCM, TLS ≤ 1.2).
    SaltAndExplicit,
    /// 12-byte IV XOR the sequence number left-padded to 12 bytes; nothing sent.
    XorSequence,
}

/// One direction's AEAD state: the prepared key and the fixed IV.
pub(super) struct AeadProtection {
    key: AeadKey,
    iv: Secret<AEAD_NONCE_LEN>,
    style: NonceStyle,
}

impl AeadProtection {
    /// Prepares the key; `fixed_iv` is the 4-byte salt or the 12-byte IV of `style`.
    pub(super) fn new(
        algorithm: AeadAlgorithm,
        key: &[u8],
        fixed_iv: &[u8],
        style: NonceStyle,
    ) -> Result<Self> {
        let fixed_len = match style {
            NonceStyle::SaltAndExplicit => SALT_LEN,
            NonceStyle::XorSequence => AEAD_NONCE_LEN,
        };
        if fixed_iv.len() != fixed_len {
            return Err(Error::InvalidParameter("fixed IV length"));
        }
        let mut iv = Secret::<AEAD_NONCE_LEN>::zeroed();
        iv.expose_mut()
            .get_mut(..fixed_len)
            .ok_or(Error::Internal("fixed IV length"))?
            .copy_from_slice(fixed_iv);
        Ok(AeadProtection {
            key: AeadKey::new(algorithm, key)?,
            iv,
            style,
        })
    }

    /// Bytes of explicit nonce at the start of each record body.
    pub(super) fn explicit_len(&self) -> usize {
        match self.style {
            NonceStyle::SaltAndExplicit => EXPLICIT_NONCE_LEN,
            NonceStyle::XorSequence => 0,
        }
    }

    /// Body length (explicit nonce, ciphertext, tag) of a record of `plaintext_len` bytes.
    pub(super) fn sealed_len(&self, plaintext_len: usize) -> usize {
        plaintext_len
            .saturating_add(self.explicit_len())
            .saturating_add(AEAD_TAG_LEN)
    }

    /// Plaintext length of a body of `body_len` bytes; too short is `BadData`.
    pub(super) fn plaintext_len(&self, body_len: usize) -> Result<usize> {
        body_len
            .checked_sub(self.explicit_len() + AEAD_TAG_LEN)
            .ok_or(Error::BadData("AEAD record too short"))
    }

    /// Encrypts the `plaintext_len` bytes at `body[explicit_len..]`, writes the explicit
    /// nonce (the sequence number) before them and the tag after; returns the body length.
    pub(super) fn seal(
        &self,
        seq: u64,
        aad: &[u8],
        body: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        let body_len = self.sealed_len(plaintext_len);
        let body = body
            .get_mut(..body_len)
            .ok_or(Error::BufferTooSmall { needed: body_len })?;
        let (explicit, rest) = body.split_at_mut(self.explicit_len());
        let seq_bytes = seq.to_be_bytes();
        let explicit_value = seq_bytes
            .get(..explicit.len())
            .ok_or(Error::Internal("explicit nonce length"))?;
        explicit.copy_from_slice(explicit_value);
        let nonce = self.nonce(seq, explicit);
        let (plaintext, tag_slot) = rest.split_at_mut(plaintext_len);
        let tag = self.key.seal_in_place(&nonce, aad, plaintext)?;
        tag_slot.copy_from_slice(&tag);
        Ok(body_len)
    }

    /// Verifies and decrypts `body` (explicit nonce ‖ ciphertext ‖ tag) in place; returns
    /// where the plaintext is inside `body`. A bad tag is `DecryptionFailure` and leaves
    /// the ciphertext region zeroed.
    pub(super) fn open_in_place(
        &self,
        seq: u64,
        aad: &[u8],
        body: &mut [u8],
    ) -> Result<Range<usize>> {
        let plaintext_len = self.plaintext_len(body.len())?;
        let (explicit, rest) = body.split_at_mut(self.explicit_len());
        let nonce = self.nonce(seq, explicit);
        let (ciphertext, tag) = rest.split_at_mut(plaintext_len);
        let tag: &[u8; AEAD_TAG_LEN] = (&*tag)
            .try_into()
            .map_err(|_| Error::Internal("AEAD tag length"))?;
        self.key.open_in_place(&nonce, aad, ciphertext, tag)?;
        let start = self.explicit_len();
        Ok(start..start + plaintext_len)
    }

    /// Verifies and decrypts `body` into `out`; returns the plaintext length. On failure
    /// `out` holds no plaintext.
    pub(super) fn open_to(
        &self,
        seq: u64,
        aad: &[u8],
        body: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let plaintext_len = self.plaintext_len(body.len())?;
        let out = out.get_mut(..plaintext_len).ok_or(Error::BufferTooSmall {
            needed: plaintext_len,
        })?;
        let (explicit, rest) = body.split_at(self.explicit_len());
        let (ciphertext, tag) = rest.split_at(plaintext_len);
        let tag: &[u8; AEAD_TAG_LEN] = tag
            .try_into()
            .map_err(|_| Error::Internal("AEAD tag length"))?;
        out.copy_from_slice(ciphertext);
        self.key
            .open_in_place(&self.nonce(seq, explicit), aad, out, tag)?;
        Ok(plaintext_len)
    }

    /// The nonce of a record: salt ‖ explicit nonce, or IV XOR the padded sequence number.
    fn nonce(&self, seq: u64, explicit: &[u8]) -> [u8; AEAD_NONCE_LEN] {
        let mut nonce = *self.iv.expose();
        match self.style {
            NonceStyle::SaltAndExplicit => {
                for (n, e) in nonce.iter_mut().skip(SALT_LEN).zip(explicit) {
                    *n = *e;
                }
            }
            NonceStyle::XorSequence => {
                for (n, s) in nonce
                    .iter_mut()
                    .skip(AEAD_NONCE_LEN - 8)
                    .zip(seq.to_be_bytes())
                {
                    *n ^= s;
                }
            }
        }
        nonce
    }
}

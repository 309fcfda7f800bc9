//! CBC MAC-then-encrypt record protection (RFC 5246 §6.2.3.2, RFC 4346, RFC 2246).
//!
//! Sealing: `MAC = HMAC(mac_key, seq ‖ type ‖ version ‖ length ‖ data)`, then minimal
//! padding (`p` bytes of value `p − 1`, `p` in 1..=block), then AES-CBC. The IV is a
//! fresh random block sent before the ciphertext (TLS 1.1+, DTLS), or, for TLS 1.0, the
//! last ciphertext block of the previous record in this direction (kept here).
//!
//! MAC, padding and AES-CBC are AWS-LC's TLS CBC AEADs ([`TlsCbcAead`]), whose open checks
//! padding and MAC in constant time with a fixed number of hash compression calls
//! (BoringSSL's Lucky13 countermeasure). This module only handles the IV: random or
//! chained, passed to the AEAD as its nonce, so a TLS 1.0 chain stays here and can be
//! exported with the key ([`CbcProtection::chaining_iv`]) and is advanced only by a record
//! that was sealed or opened successfully.
//!
//! Suites with no constant-time AWS-LC code (AES-256 with HMAC-SHA256) are refused with
//! `NotSupported` when the key is made.
//!
//! A key made in encrypt-then-MAC mode (RFC 7366, [`CbcMode::EncryptThenMac`]) has the same
//! IV handling here, around [`EtmKey`] instead of the AWS-LC AEAD.

use core::ops::Range;
use std::sync::Mutex;

use keyward_core::backend::cipher::{fill_random, AES_BLOCK_LEN};
use keyward_core::backend::tls_cbc::{TlsCbcAead, TlsCbcPrefix};
use keyward_core::backend::HashAlgorithm;
use keyward_core::{Error, Result, Secret};
use zeroize::{Zeroize, Zeroizing};

use super::etm::EtmKey;

/// seq(8) ‖ type(1) ‖ version(2): the MAC header without its length field.
pub(super) type MacPrefix = TlsCbcPrefix;

/// The order of MAC and encryption in a CBC record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CbcMode {
    /// MAC-then-encrypt (RFC 5246 §6.2.3.2): the TLS default.
    #[default]
    MacThenEncrypt,
    /// Encrypt-then-MAC (RFC 7366), negotiated with the `encrypt_then_mac` extension.
    EncryptThenMac,
}

/// The MAC, padding and cipher of one direction, in either order.
enum CbcCore {
    MacThenEncrypt(TlsCbcAead),
    EncryptThenMac(Box<EtmKey>),
}

/// One direction's CBC state: the MAC and cipher keys and (TLS 1.0) the IV chain.
pub(super) struct CbcProtection {
    core: CbcCore,
    /// TLS 1.0: the IV of the next record (the previous record's last ciphertext
    /// block). Updated only when a record is sealed or opened successfully.
    chain: Option<Mutex<Secret<AES_BLOCK_LEN>>>,
}

impl CbcProtection {
    /// Prepares the keys; `implicit_iv` is `Some` (16 bytes) for TLS 1.0 chained IVs.
    /// AES-256 with HMAC-SHA256 is `NotSupported` in either mode: keyward does not offer
    /// those suites at all, since a peer without encrypt-then-MAC would need
    /// MAC-then-encrypt, which has no constant-time code for them.
    pub(super) fn new(
        mode: CbcMode,
        enc_key: &[u8],
        hash: HashAlgorithm,
        mac_key: &[u8],
        implicit_iv: Option<&[u8]>,
    ) -> Result<Self> {
        let chain = match implicit_iv {
            None => None,
            Some(iv) => {
                let iv: [u8; AES_BLOCK_LEN] = iv
                    .try_into()
                    .map_err(|_| Error::InvalidParameter("CBC IV length"))?;
                Some(Mutex::new(Secret::new(iv)))
            }
        };
        // AWS-LC's MAC-then-encrypt key is made in both modes: it is the one place that
        // decides which cipher and MAC pairs keyward supports.
        let mac_then_encrypt = TlsCbcAead::new(enc_key, hash, mac_key)?;
        let core = match mode {
            CbcMode::MacThenEncrypt => CbcCore::MacThenEncrypt(mac_then_encrypt),
            CbcMode::EncryptThenMac => {
                CbcCore::EncryptThenMac(Box::new(EtmKey::new(enc_key, hash, mac_key)?))
            }
        };
        Ok(CbcProtection { core, chain })
    }

    /// The order of MAC and encryption.
    pub(super) fn mode(&self) -> CbcMode {
        match self.core {
            CbcCore::MacThenEncrypt(_) => CbcMode::MacThenEncrypt,
            CbcCore::EncryptThenMac(_) => CbcMode::EncryptThenMac,
        }
    }

    /// TLS 1.0: the IV of the next record; `None` with explicit IVs.
    pub(super) fn chaining_iv(&self) -> Result<Option<Secret<AES_BLOCK_LEN>>> {
        self.chain
            .as_ref()
            .map(|chain| lock(chain).map(|iv| iv.clone()))
            .transpose()
    }

    /// Bytes of explicit IV at the start of each record body (16, or 0 for TLS 1.0).
    pub(super) fn explicit_iv_len(&self) -> usize {
        if self.chain.is_some() {
            0
        } else {
            AES_BLOCK_LEN
        }
    }

    /// Body length (explicit IV, ciphertext of data ‖ MAC ‖ minimal padding; with
    /// encrypt-then-MAC, ciphertext of data ‖ padding, then the MAC).
    pub(super) fn sealed_len(&self, plaintext_len: usize) -> usize {
        let after_iv = match &self.core {
            CbcCore::MacThenEncrypt(aead) => aead.sealed_len(plaintext_len),
            CbcCore::EncryptThenMac(etm) => etm.sealed_len(plaintext_len),
        };
        self.explicit_iv_len().saturating_add(after_iv)
    }

    /// The largest plaintext a body of `body_len` bytes can hold (body − IV − MAC − 1).
    /// A body that is not whole blocks (with encrypt-then-MAC: whole blocks and a MAC), or
    /// too short for IV, MAC and one padding byte, is `BadData`.
    pub(super) fn max_plaintext_len(&self, body_len: usize) -> Result<usize> {
        let aead = match &self.core {
            CbcCore::MacThenEncrypt(aead) => aead,
            CbcCore::EncryptThenMac(etm) => {
                let after_iv =
                    body_len
                        .checked_sub(self.explicit_iv_len())
                        .ok_or(Error::BadData(
                            "CBC record too short for IV, MAC and padding",
                        ))?;
                return etm.max_plaintext_len(after_iv);
            }
        };
        if body_len % AES_BLOCK_LEN != 0 {
            return Err(Error::BadData("CBC record is not a whole number of blocks"));
        }
        body_len
            .checked_sub(self.explicit_iv_len() + aead.mac_len() + 1)
            .ok_or(Error::BadData(
                "CBC record too short for IV, MAC and padding",
            ))
    }

    /// Seals the `plaintext_len` bytes at `body[explicit_iv_len..]` in place, with a fresh
    /// random IV (TLS 1.1+) or the chained IV (TLS 1.0); returns the body length.
    pub(super) fn seal(
        &self,
        prefix: &MacPrefix,
        body: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        match &self.chain {
            None => {
                let mut iv = [0u8; AES_BLOCK_LEN];
                fill_random(&mut iv)?;
                self.seal_with_iv(prefix, &iv, body, plaintext_len)
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let len = self.seal_after_iv(iv.expose(), &[], prefix, body, plaintext_len)?;
                let next = last_block(self.ciphertext_of(body.get(..len).unwrap_or(&[])))?;
                *iv.expose_mut() = next;
                Ok(len)
            }
        }
    }

    /// Seals with the given explicit IV (TLS 1.1+ layout): the IV is written to
    /// `body[..16]`, the plaintext is at `body[16..]`. Used by `seal` and by the vector
    /// tests; a TLS 1.0 (chained-IV) key refuses it.
    pub(super) fn seal_with_iv(
        &self,
        prefix: &MacPrefix,
        iv: &[u8; AES_BLOCK_LEN],
        body: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        if self.chain.is_some() {
            return Err(Error::Internal("explicit IV on a chained-IV key"));
        }
        let needed = self.sealed_len(plaintext_len);
        if body.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        let (iv_slot, rest) = body.split_at_mut(AES_BLOCK_LEN);
        iv_slot.copy_from_slice(iv);
        let len = self.seal_after_iv(iv, iv, prefix, rest, plaintext_len)?;
        Ok(AES_BLOCK_LEN + len)
    }

    /// Seals `buf[..plaintext_len]` in place under `iv`; `sent_iv` is the explicit IV as it
    /// goes on the wire (empty for TLS 1.0), which encrypt-then-MAC authenticates.
    fn seal_after_iv(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &MacPrefix,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        match &self.core {
            CbcCore::MacThenEncrypt(aead) => aead.seal_in_place(iv, prefix, buf, plaintext_len),
            CbcCore::EncryptThenMac(etm) => {
                etm.seal_in_place(iv, sent_iv, prefix, buf, plaintext_len)
            }
        }
    }

    /// The CBC ciphertext within what follows the IV: all of it, or (encrypt-then-MAC) all
    /// but the MAC. Its last block is the next TLS 1.0 IV.
    fn ciphertext_of<'a>(&self, after_iv: &'a [u8]) -> &'a [u8] {
        match &self.core {
            CbcCore::MacThenEncrypt(_) => after_iv,
            CbcCore::EncryptThenMac(etm) => after_iv
                .get(..after_iv.len().saturating_sub(etm.mac_len()))
                .unwrap_or(&[]),
        }
    }

    /// Opens `body` ([explicit IV] ‖ ciphertext [‖ MAC]) in place; returns where the
    /// plaintext is inside `body`. Any MAC or padding fault is `DecryptionFailure` (decided
    /// in constant time by AWS-LC; with encrypt-then-MAC, the MAC is checked before anything
    /// is decrypted) and leaves the decrypted region zeroed and the IV chain unchanged.
    pub(super) fn open_in_place(
        &self,
        prefix: &MacPrefix,
        body: &mut [u8],
    ) -> Result<Range<usize>> {
        self.max_plaintext_len(body.len())?;
        let (iv_part, ciphertext) = body.split_at_mut(self.explicit_iv_len());
        let len = match &self.chain {
            None => {
                let iv = explicit_iv(iv_part)?;
                self.open_after_iv_in_place(&iv, &iv, prefix, ciphertext)?
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let next = last_block(self.ciphertext_of(ciphertext))?;
                let len = self.open_after_iv_in_place(iv.expose(), &[], prefix, ciphertext)?;
                *iv.expose_mut() = next;
                len
            }
        };
        let start = self.explicit_iv_len();
        Ok(start..start + len)
    }

    /// Opens `body` into `out` (which must hold `max_plaintext_len` bytes); returns the
    /// plaintext length. Faults as for `open_in_place`; on failure `out` holds no
    /// plaintext.
    pub(super) fn open_to(&self, prefix: &MacPrefix, body: &[u8], out: &mut [u8]) -> Result<usize> {
        let max = self.max_plaintext_len(body.len())?;
        if out.len() < max {
            return Err(Error::BufferTooSmall { needed: max });
        }
        let (iv_part, ciphertext) = body.split_at(self.explicit_iv_len());
        match &self.chain {
            None => {
                let iv = explicit_iv(iv_part)?;
                self.open_after_iv_to(&iv, &iv, prefix, ciphertext, out)
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let next = last_block(self.ciphertext_of(ciphertext))?;
                let len = self.open_after_iv_to(iv.expose(), &[], prefix, ciphertext, out)?;
                *iv.expose_mut() = next;
                Ok(len)
            }
        }
    }

    fn open_after_iv_in_place(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &MacPrefix,
        buf: &mut [u8],
    ) -> Result<usize> {
        match &self.core {
            CbcCore::MacThenEncrypt(aead) => aead.open_in_place(iv, prefix, buf),
            CbcCore::EncryptThenMac(etm) => etm.open_in_place(iv, sent_iv, prefix, buf),
        }
    }

    fn open_after_iv_to(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &MacPrefix,
        after_iv: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        match &self.core {
            CbcCore::MacThenEncrypt(aead) => {
                self.open_ciphertext_to(aead, iv, prefix, after_iv, out)
            }
            CbcCore::EncryptThenMac(etm) => etm.open_to(iv, sent_iv, prefix, after_iv, out),
        }
    }

    /// AWS-LC decrypts the whole ciphertext (data ‖ MAC ‖ padding) before it strips MAC and
    /// padding, so it needs an output as long as the ciphertext: `out` when it is, else a
    /// scratch copy. Only the data is left in `out`.
    fn open_ciphertext_to(
        &self,
        aead: &TlsCbcAead,
        iv: &[u8; AES_BLOCK_LEN],
        prefix: &MacPrefix,
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        if let Some(whole) = out.get_mut(..ciphertext.len()) {
            let len = aead.open_to(iv, prefix, ciphertext, whole)?;
            if let Some(trailer) = whole.get_mut(len..) {
                trailer.zeroize();
            }
            return Ok(len);
        }
        let mut scratch = Zeroizing::new(ciphertext.to_vec());
        let len = aead.open_in_place(iv, prefix, &mut scratch)?;
        let data = scratch
            .get(..len)
            .ok_or(Error::Internal("CBC plaintext length"))?;
        out.get_mut(..len)
            .ok_or(Error::Internal("CBC output length"))?
            .copy_from_slice(data);
        Ok(len)
    }
}

fn explicit_iv(iv_part: &[u8]) -> Result<[u8; AES_BLOCK_LEN]> {
    iv_part
        .try_into()
        .map_err(|_| Error::Internal("CBC IV length"))
}

/// The last block of `ciphertext` (the next TLS 1.0 IV).
fn last_block(ciphertext: &[u8]) -> Result<[u8; AES_BLOCK_LEN]> {
    ciphertext
        .len()
        .checked_sub(AES_BLOCK_LEN)
        .and_then(|start| ciphertext.get(start..))
        .and_then(|block| block.try_into().ok())
        .ok_or(Error::Internal("CBC ciphertext shorter than a block"))
}

fn lock(
    chain: &Mutex<Secret<AES_BLOCK_LEN>>,
) -> Result<std::sync::MutexGuard<'_, Secret<AES_BLOCK_LEN>>> {
    chain
        .lock()
        .map_err(|_| Error::Internal("record IV lock poisoned"))
}

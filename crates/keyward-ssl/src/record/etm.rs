//! Encrypt-then-MAC CBC records (RFC 7366): the record layout a session key has when
//! `SslGenerateSessionKeys` was given keyward's encrypt-then-MAC parameter (see
//! `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`, read by keyward-ffi).
//!
//! Sealing pads the data (`p + 1` bytes of value `p`, minimal, as for MAC-then-encrypt),
//! AES-CBC-encrypts it, then appends
//! `MAC = HMAC(mac_key, seq ‖ type ‖ version ‖ length ‖ IV ‖ ciphertext)`, where `length`
//! is the length of IV ‖ ciphertext and `IV` is the explicit IV as sent (empty for TLS 1.0,
//! whose IV is chained; RFC 7366 §3). Opening checks the MAC first, with a constant-time
//! compare, and decrypts only a record whose MAC is right; the padding is then checked.
//! Nothing secret decides anything before the MAC check: the MAC covers only bytes on the
//! wire. After it the padding belongs to an authenticated record, so its check tells an
//! attacker nothing; it is still done without branching on the padding bytes.
//!
//! AES-CBC and HMAC are AWS-LC's (keyward-core's backend); the IV handling (random or
//! chained) is the caller's, [`super::cbc::CbcProtection`], as for MAC-then-encrypt.

use keyward_core::backend::cipher::{AesCbcKey, AES_BLOCK_LEN};
use keyward_core::backend::hmac::HmacKey;
use keyward_core::backend::tls_cbc::TlsCbcPrefix;
use keyward_core::backend::HashAlgorithm;
use keyward_core::{Error, Result};
use subtle::{ConstantTimeEq, ConstantTimeGreater};
use zeroize::{Zeroize, Zeroizing};

/// One direction's encrypt-then-MAC keys: AES-CBC and the HMAC, both prepared once.
pub(super) struct EtmKey {
    cipher: AesCbcKey,
    mac: HmacKey,
    mac_len: usize,
}

impl EtmKey {
    /// Prepares AES-`enc_key` (16 or 32 bytes) and HMAC-`hash` under `mac_key` (the hash
    /// length). Wrong lengths are `InvalidParameter`.
    pub(super) fn new(enc_key: &[u8], hash: HashAlgorithm, mac_key: &[u8]) -> Result<Self> {
        if mac_key.len() != hash.output_len() {
            return Err(Error::InvalidParameter("MAC key length"));
        }
        Ok(EtmKey {
            cipher: AesCbcKey::new(enc_key)?,
            mac: HmacKey::new(hash, mac_key)?,
            mac_len: hash.output_len(),
        })
    }

    /// The MAC length in bytes.
    pub(super) fn mac_len(&self) -> usize {
        self.mac_len
    }

    /// The length after the IV for `plaintext_len` bytes: the ciphertext of data ‖ minimal
    /// padding (whole blocks), then the MAC.
    pub(super) fn sealed_len(&self, plaintext_len: usize) -> usize {
        padded_len(plaintext_len).saturating_add(self.mac_len)
    }

    /// The largest plaintext `len` bytes after the IV can hold. Anything but whole blocks
    /// followed by the MAC is `BadData`.
    pub(super) fn max_plaintext_len(&self, len: usize) -> Result<usize> {
        let ciphertext_len = len
            .checked_sub(self.mac_len)
            .filter(|c| *c >= AES_BLOCK_LEN && c % AES_BLOCK_LEN == 0)
            .ok_or(Error::BadData(
                "encrypt-then-MAC record is not whole blocks followed by a MAC",
            ))?;
        Ok(ciphertext_len - 1)
    }

    /// Pads and encrypts `buf[..plaintext_len]` in place under `iv`, then appends the MAC
    /// over `prefix`, the length, `sent_iv` (the explicit IV as it goes on the wire, or
    /// empty) and the ciphertext. Returns the length written ([`Self::sealed_len`]).
    pub(super) fn seal_in_place(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &TlsCbcPrefix,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        let needed = self.sealed_len(plaintext_len);
        let buf = buf
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let ciphertext_len = padded_len(plaintext_len);
        let (ciphertext, mac_slot) = buf.split_at_mut(ciphertext_len);
        let padding = ciphertext
            .get_mut(plaintext_len..)
            .ok_or(Error::Internal("encrypt-then-MAC padding"))?;
        let pad_value = u8::try_from(padding.len() - 1)
            .map_err(|_| Error::Internal("encrypt-then-MAC padding length"))?;
        padding.fill(pad_value);
        self.cipher.encrypt_in_place(iv, ciphertext)?;
        let tag = self.mac(prefix, sent_iv, ciphertext)?;
        mac_slot.copy_from_slice(tag.as_bytes());
        Ok(needed)
    }

    /// Checks the MAC of `buf` (ciphertext ‖ MAC) and, only if it is right, decrypts the
    /// ciphertext in place under `iv` and checks the padding. Returns the data length (the
    /// data is `buf[..len]`). A bad MAC or bad padding is `DecryptionFailure`: after a bad
    /// MAC `buf` is untouched (nothing was decrypted), after bad padding the decrypted
    /// bytes are zeroed. Lengths as [`Self::max_plaintext_len`] (`BadData`).
    pub(super) fn open_in_place(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &TlsCbcPrefix,
        buf: &mut [u8],
    ) -> Result<usize> {
        let ciphertext_len = self.max_plaintext_len(buf.len())? + 1;
        let (ciphertext, received_mac) = buf.split_at_mut(ciphertext_len);
        self.check_mac(prefix, sent_iv, ciphertext, received_mac)?;
        self.cipher.decrypt_in_place(iv, ciphertext)?;
        match unpadded_len(ciphertext) {
            Some(len) => Ok(len),
            None => {
                ciphertext.zeroize();
                Err(Error::DecryptionFailure)
            }
        }
    }

    /// [`Self::open_in_place`] from `body` (ciphertext ‖ MAC) into `out`, which must hold
    /// the largest plaintext (`BufferTooSmall`). On any fault `out` holds no plaintext.
    pub(super) fn open_to(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        sent_iv: &[u8],
        prefix: &TlsCbcPrefix,
        body: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let max = self.max_plaintext_len(body.len())?;
        if out.len() < max {
            return Err(Error::BufferTooSmall { needed: max });
        }
        let (ciphertext, received_mac) = body.split_at(max + 1);
        self.check_mac(prefix, sent_iv, ciphertext, received_mac)?;
        // AES-CBC decrypts whole blocks: in `out` when it has room for the last one, else in
        // a scratch copy.
        if let Some(whole) = out.get_mut(..ciphertext.len()) {
            whole.copy_from_slice(ciphertext);
            self.cipher.decrypt_in_place(iv, whole)?;
            return match unpadded_len(whole) {
                Some(len) => {
                    if let Some(trailer) = whole.get_mut(len..) {
                        trailer.zeroize();
                    }
                    Ok(len)
                }
                None => {
                    whole.zeroize();
                    Err(Error::DecryptionFailure)
                }
            };
        }
        let mut scratch = Zeroizing::new(ciphertext.to_vec());
        self.cipher.decrypt_in_place(iv, &mut scratch)?;
        let len = unpadded_len(&scratch).ok_or(Error::DecryptionFailure)?;
        out.get_mut(..len)
            .ok_or(Error::Internal("encrypt-then-MAC output length"))?
            .copy_from_slice(scratch.get(..len).unwrap_or(&[]));
        Ok(len)
    }

    /// HMAC over seq ‖ type ‖ version ‖ length(IV ‖ ciphertext) ‖ IV ‖ ciphertext.
    fn mac(
        &self,
        prefix: &TlsCbcPrefix,
        sent_iv: &[u8],
        ciphertext: &[u8],
    ) -> Result<keyward_core::backend::hmac::HmacTag> {
        let length = u16::try_from(sent_iv.len() + ciphertext.len())
            .map_err(|_| Error::BadData("encrypt-then-MAC record too long"))?;
        Ok(self
            .mac
            .sign(&[prefix, &length.to_be_bytes(), sent_iv, ciphertext]))
    }

    /// The constant-time MAC check: `DecryptionFailure` when `received` differs.
    fn check_mac(
        &self,
        prefix: &TlsCbcPrefix,
        sent_iv: &[u8],
        ciphertext: &[u8],
        received: &[u8],
    ) -> Result<()> {
        let expected = self.mac(prefix, sent_iv, ciphertext)?;
        if bool::from(expected.as_bytes().ct_eq(received)) {
            Ok(())
        } else {
            Err(Error::DecryptionFailure)
        }
    }
}

/// Data ‖ minimal padding, rounded up to whole blocks (1 to 16 padding bytes).
fn padded_len(plaintext_len: usize) -> usize {
    plaintext_len.saturating_add(AES_BLOCK_LEN - plaintext_len % AES_BLOCK_LEN)
}

/// The data length of decrypted `padded` (data ‖ `p + 1` bytes of value `p`), or `None`
/// when the padding is malformed. Every one of the last 256 bytes (or all of `padded`) is
/// looked at, whatever `p` is, and the verdict is folded into one mask: the record is
/// authenticated already, so this is plain tidiness rather than a defence.
fn unpadded_len(padded: &[u8]) -> Option<usize> {
    let total = padded.len();
    let pad_value = *padded.last()?;
    let pad_len = u32::from(pad_value) + 1;
    // Too long for the record: pad_len > total.
    let mut bad = pad_len.ct_gt(&u32::try_from(total).ok()?);
    let checked = total.min(256);
    for (distance, byte) in padded.iter().rev().take(checked).enumerate() {
        // Byte `distance` from the end is padding when distance < pad_len.
        let distance = u32::try_from(distance).ok()?;
        let in_padding = pad_len.ct_gt(&distance);
        bad |= in_padding & !byte.ct_eq(&pad_value);
    }
    if bool::from(bad) {
        None
    } else {
        total.checked_sub(usize::from(pad_value) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_rules() {
        assert_eq!(unpadded_len(&[7, 7, 0]), Some(2));
        assert_eq!(unpadded_len(&[7, 1, 1]), Some(1));
        assert_eq!(unpadded_len(&[2, 2, 2]), Some(0));
        assert_eq!(unpadded_len(&[3, 2, 2]), None, "one padding byte differs");
        assert_eq!(
            unpadded_len(&[3, 3, 3]),
            None,
            "padding longer than the record"
        );
        let mut long = vec![255u8; 256];
        assert_eq!(unpadded_len(&long), Some(0));
        long[0] = 254;
        assert_eq!(unpadded_len(&long), None);
        assert_eq!(unpadded_len(&[]), None);
    }
}

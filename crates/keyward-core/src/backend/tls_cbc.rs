//! TLS MAC-then-encrypt CBC records (RFC 5246 §6.2.3.2) on AWS-LC's constant-time code: the
//! `EVP_aead_aes_*_cbc_*_tls` AEADs, BoringSSL's Lucky13 countermeasure (padding removal and
//! MAC over a fixed number of SHA compression calls, `EVP_tls_cbc_digest_record`). The record
//! layer (`SslEncryptPacket` / `SslDecryptPacket`) keeps the IV handling; this type does MAC,
//! padding and AES-CBC.
//!
//! Only the combinations AWS-LC has are available: AES-128/256 with HMAC-SHA1, AES-128 with
//! HMAC-SHA256 and AES-256 with HMAC-SHA384. Others (AES-256 with HMAC-SHA256, 0x003D and
//! 0x006B) are [`Error::NotSupported`]: keyward has no constant-time MAC check for them.

use std::sync::{Mutex, MutexGuard};

use zeroize::Zeroizing;

use super::cipher::AES_BLOCK_LEN;
use super::sys::{TlsCbcAlgorithm, TlsCbcContext, TLS_CBC_AD_LEN, TLS_CBC_NONCE_LEN};
use super::HashAlgorithm;
use crate::{Error, Result};

/// The additional data of a TLS CBC record: seq ‖ type ‖ version (the length field is added
/// by the AEAD).
pub type TlsCbcPrefix = [u8; TLS_CBC_AD_LEN];

/// One direction's key for TLS CBC records: AES-CBC with an HMAC, MAC-then-encrypt, checked
/// in constant time by AWS-LC. `Send + Sync` (each operation locks its context).
pub struct TlsCbcAead {
    mac_len: usize,
    sealing: Mutex<TlsCbcContext>,
    opening: Mutex<TlsCbcContext>,
}

impl core::fmt::Debug for TlsCbcAead {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsCbcAead")
            .field("mac_len", &self.mac_len)
            .finish_non_exhaustive()
    }
}

impl TlsCbcAead {
    /// Prepares AES-`enc_key` (16 or 32 bytes) with HMAC-`hash` under `mac_key` (the hash
    /// length). Wrong lengths are `InvalidParameter`; a combination AWS-LC has no
    /// constant-time code for is `NotSupported`.
    pub fn new(enc_key: &[u8], hash: HashAlgorithm, mac_key: &[u8]) -> Result<Self> {
        let algorithm = match (enc_key.len(), hash) {
            (16, HashAlgorithm::Sha1) => TlsCbcAlgorithm::Aes128Sha1,
            (32, HashAlgorithm::Sha1) => TlsCbcAlgorithm::Aes256Sha1,
            (16, HashAlgorithm::Sha256) => TlsCbcAlgorithm::Aes128Sha256,
            (32, HashAlgorithm::Sha384) => TlsCbcAlgorithm::Aes256Sha384,
            (16 | 32, HashAlgorithm::Sha256 | HashAlgorithm::Sha384) => {
                return Err(Error::NotSupported(
                    "no constant-time TLS CBC code for this AES key and HMAC",
                ))
            }
            (16 | 32, _) => return Err(Error::NotSupported("TLS CBC MAC hash")),
            _ => return Err(Error::InvalidParameter("AES key length")),
        };
        if mac_key.len() != hash.output_len() {
            return Err(Error::InvalidParameter("MAC key length"));
        }
        let mut key = Zeroizing::new(Vec::with_capacity(mac_key.len() + enc_key.len()));
        key.extend_from_slice(mac_key);
        key.extend_from_slice(enc_key);
        let context = |seal| {
            TlsCbcContext::new(algorithm, &key, seal)
                .ok_or(Error::Internal("AWS-LC refused the TLS CBC key"))
        };
        Ok(TlsCbcAead {
            mac_len: hash.output_len(),
            sealing: Mutex::new(context(true)?),
            opening: Mutex::new(context(false)?),
        })
    }

    /// The MAC length in bytes.
    pub fn mac_len(&self) -> usize {
        self.mac_len
    }

    /// The ciphertext length for `plaintext_len` bytes: data ‖ MAC ‖ minimal padding (1 to
    /// 16 bytes), rounded up to whole blocks.
    pub fn sealed_len(&self, plaintext_len: usize) -> usize {
        let unpadded = plaintext_len.saturating_add(self.mac_len);
        unpadded.saturating_add(AES_BLOCK_LEN - unpadded % AES_BLOCK_LEN)
    }

    /// MACs, pads and encrypts `buf[..plaintext_len]` in place under `iv`; returns the
    /// ciphertext length ([`Self::sealed_len`]). `buf` shorter than that is `BufferTooSmall`.
    pub fn seal_in_place(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        prefix: &TlsCbcPrefix,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        let needed = self.sealed_len(plaintext_len);
        let buf = buf
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let len = lock(&self.sealing)?
            .seal_in_place(nonce(iv), prefix, buf, plaintext_len)
            .ok_or(Error::Internal("AWS-LC TLS CBC seal failed"))?;
        if len != needed {
            return Err(Error::Internal("AWS-LC TLS CBC seal length"));
        }
        Ok(len)
    }

    /// Decrypts `ciphertext` under `iv` into `out` and checks padding and MAC in constant
    /// time; returns the data length (the data is `out[..len]`). `out` must hold
    /// `ciphertext.len()` bytes (`BufferTooSmall`). A ciphertext that is not whole blocks is
    /// `BadData`; any padding or MAC fault is `DecryptionFailure`, and `out` is then zeroed.
    pub fn open_to(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        prefix: &TlsCbcPrefix,
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        self.check_ciphertext(ciphertext.len())?;
        if out.len() < ciphertext.len() {
            return Err(Error::BufferTooSmall {
                needed: ciphertext.len(),
            });
        }
        lock(&self.opening)?
            .open(nonce(iv), prefix, ciphertext, out)
            .ok_or(Error::DecryptionFailure)
    }

    /// [`Self::open_to`] in place: the data ends up at the start of `buf`; after a fault
    /// `buf` is zeroed.
    pub fn open_in_place(
        &self,
        iv: &[u8; AES_BLOCK_LEN],
        prefix: &TlsCbcPrefix,
        buf: &mut [u8],
    ) -> Result<usize> {
        self.check_ciphertext(buf.len())?;
        lock(&self.opening)?
            .open_in_place(nonce(iv), prefix, buf)
            .ok_or(Error::DecryptionFailure)
    }

    /// Public length checks: whole blocks, room for the MAC and one padding byte.
    fn check_ciphertext(&self, len: usize) -> Result<()> {
        if len % AES_BLOCK_LEN != 0 || len < self.mac_len + 1 {
            return Err(Error::BadData(
                "CBC ciphertext is not whole blocks holding a MAC and padding",
            ));
        }
        Ok(())
    }
}

fn nonce(iv: &[u8; AES_BLOCK_LEN]) -> &[u8; TLS_CBC_NONCE_LEN] {
    iv
}

fn lock(context: &Mutex<TlsCbcContext>) -> Result<MutexGuard<'_, TlsCbcContext>> {
    context
        .lock()
        .map_err(|_| Error::Internal("TLS CBC context lock poisoned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejection() {
        let prefix = [7u8; TLS_CBC_AD_LEN];
        let iv = [9u8; AES_BLOCK_LEN];
        for (enc, hash) in [
            (16, HashAlgorithm::Sha1),
            (32, HashAlgorithm::Sha1),
            (16, HashAlgorithm::Sha256),
            (32, HashAlgorithm::Sha384),
        ] {
            let key = TlsCbcAead::new(&vec![1; enc], hash, &vec![2; hash.output_len()]).unwrap();
            for len in [0usize, 1, 15, 16, 100, 16384] {
                let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut buf = vec![0u8; key.sealed_len(len)];
                buf[..len].copy_from_slice(&data);
                let sealed = key.seal_in_place(&iv, &prefix, &mut buf, len).unwrap();
                assert_eq!(sealed, buf.len());
                let mut out = vec![0u8; sealed];
                assert_eq!(key.open_to(&iv, &prefix, &buf, &mut out), Ok(len));
                assert_eq!(&out[..len], &data[..]);
                let mut tampered = buf.clone();
                tampered[0] ^= 1;
                assert_eq!(
                    key.open_in_place(&iv, &prefix, &mut tampered),
                    Err(Error::DecryptionFailure)
                );
                assert!(tampered.iter().all(|&b| b == 0));
                assert_eq!(key.open_in_place(&iv, &prefix, &mut buf), Ok(len));
                assert_eq!(&buf[..len], &data[..]);
            }
        }
    }

    #[test]
    fn combinations_without_constant_time_code_are_refused() {
        assert_eq!(
            TlsCbcAead::new(&[1; 32], HashAlgorithm::Sha256, &[2; 32]).map(|_| ()),
            Err(Error::NotSupported(
                "no constant-time TLS CBC code for this AES key and HMAC"
            ))
        );
        assert!(matches!(
            TlsCbcAead::new(&[1; 24], HashAlgorithm::Sha1, &[2; 20]),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            TlsCbcAead::new(&[1; 16], HashAlgorithm::Sha1, &[2; 19]),
            Err(Error::InvalidParameter(_))
        ));
    }
}

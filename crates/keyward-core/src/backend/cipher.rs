//! Symmetric ciphers for record protection (`SslEncryptPacket` / `SslDecryptPacket`):
//! the AEADs (AES-GCM, ChaCha20-Poly1305) and raw AES-CBC, each with its key schedule
//! computed once, plus the random source for explicit CBC IVs.
//!
//! Every key type here is `Send + Sync` and works on the caller's buffer without heap
//! allocation.

use core::fmt;

use aws_lc_rs::{aead, cipher, iv::FixedLength, rand};

use crate::{Error, Result};

/// Length of every AEAD tag used by TLS (bytes).
pub const AEAD_TAG_LEN: usize = 16;
/// Length of every AEAD nonce used by TLS (bytes).
pub const AEAD_NONCE_LEN: usize = 12;
/// The AES block length, which is also the CBC IV length (bytes).
pub const AES_BLOCK_LEN: usize = 16;

/// An AEAD algorithm of the TLS record layer (`SslEncryptPacket` / `SslDecryptPacket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    /// AES-128-GCM (RFC 5288, RFC 8446).
    Aes128Gcm,
    /// AES-256-GCM (RFC 5288, RFC 8446).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905, RFC 8446).
    ChaCha20Poly1305,
}

impl AeadAlgorithm {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            AeadAlgorithm::Aes128Gcm => 16,
            AeadAlgorithm::Aes256Gcm | AeadAlgorithm::ChaCha20Poly1305 => 32,
        }
    }

    fn backend(self) -> &'static aead::Algorithm {
        match self {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// An AEAD key, prepared once, for the record layer of `SslEncryptPacket` /
/// `SslDecryptPacket`. The caller supplies a fresh nonce per record.
pub struct AeadKey {
    algorithm: AeadAlgorithm,
    key: aead::LessSafeKey,
}

impl AeadKey {
    /// Prepares `key` for `algorithm`. A key of the wrong length is `InvalidParameter`.
    pub fn new(algorithm: AeadAlgorithm, key: &[u8]) -> Result<Self> {
        if key.len() != algorithm.key_len() {
            return Err(Error::InvalidParameter("AEAD key length"));
        }
        let unbound = aead::UnboundKey::new(algorithm.backend(), key)?;
        Ok(AeadKey {
            algorithm,
            key: aead::LessSafeKey::new(unbound),
        })
    }

    /// The algorithm of this key.
    pub fn algorithm(&self) -> AeadAlgorithm {
        self.algorithm
    }

    /// Encrypts `in_out` in place and returns the tag. `nonce` must never repeat under
    /// this key.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN]> {
        seal_separate(&self.key, nonce, aad, in_out)
    }

    /// Verifies `tag` and decrypts `in_out` in place. On failure `in_out` is zeroed (no
    /// unauthenticated plaintext is released) and the error is `DecryptionFailure`.
    pub fn open_in_place(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<()> {
        open_separate(&self.key, nonce, aad, in_out, tag)
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Length of an AES-256-GCM-SIV key (bytes).
pub const SIV_KEY_LEN: usize = 32;

/// An AES-256-GCM-SIV key (RFC 8452), prepared once: the nonce-misuse-resistant AEAD that
/// seals opaque key blobs (`SslExportKey` / `SslImportKey`, `BCRYPT_OPAQUE_KEY_BLOB`) under
/// the key store's sealing keys.
///
/// Why SIV: blobs are sealed under one long-lived key with random 96-bit nonces. With plain
/// GCM a repeated nonce gives away the key stream and the authentication key (forgeries);
/// with GCM-SIV it reveals only that two blobs sealed the same bytes under the same header.
/// The nonce still comes from the system RNG for every blob.
pub struct Aes256GcmSivKey {
    key: aead::LessSafeKey,
}

impl Aes256GcmSivKey {
    /// Prepares a 32-byte key.
    pub fn new(key: &[u8; SIV_KEY_LEN]) -> Result<Self> {
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM_SIV, key)?;
        Ok(Aes256GcmSivKey {
            key: aead::LessSafeKey::new(unbound),
        })
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; AEAD_TAG_LEN]> {
        seal_separate(&self.key, nonce, aad, in_out)
    }

    /// Verifies `tag` and decrypts `in_out` in place. On failure `in_out` is zeroed and the
    /// error is `DecryptionFailure`.
    pub fn open_in_place(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<()> {
        open_separate(&self.key, nonce, aad, in_out, tag)
    }
}

/// Encrypts `in_out` in place under `key` and returns the tag.
fn seal_separate(
    key: &aead::LessSafeKey,
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; AEAD_TAG_LEN]> {
    let nonce = aead::Nonce::assume_unique_for_key(*nonce);
    let tag = key.seal_in_place_separate_tag(nonce, aead::Aad::from(aad), in_out)?;
    tag.as_ref()
        .try_into()
        .map_err(|_| Error::Internal("AEAD tag length"))
}

/// Verifies `tag` and decrypts `in_out` in place under `key`; on failure zeroes `in_out`, so
/// no unauthenticated plaintext is released, and answers `DecryptionFailure`.
fn open_separate(
    key: &aead::LessSafeKey,
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    in_out: &mut [u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Result<()> {
    let nonce = aead::Nonce::assume_unique_for_key(*nonce);
    match key.open_in_place_separate_tag(nonce, aead::Aad::from(aad), tag, in_out) {
        Ok(_) => Ok(()),
        Err(_) => {
            in_out.fill(0);
            Err(Error::DecryptionFailure)
        }
    }
}

impl fmt::Debug for Aes256GcmSivKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aes256GcmSivKey(..)")
    }
}

/// An AES-128 or AES-256 key for raw CBC (no padding), with both key schedules computed
/// once: the CBC cipher of TLS MAC-then-encrypt records (`SslEncryptPacket` /
/// `SslDecryptPacket`).
pub struct AesCbcKey {
    key_len: usize,
    encrypting: cipher::EncryptingKey,
    decrypting: cipher::DecryptingKey,
}

impl AesCbcKey {
    /// Prepares a 16- or 32-byte AES key; other lengths are `InvalidParameter`.
    pub fn new(key: &[u8]) -> Result<Self> {
        let algorithm = match key.len() {
            16 => &cipher::AES_128,
            32 => &cipher::AES_256,
            _ => return Err(Error::InvalidParameter("AES key length")),
        };
        let encrypting =
            cipher::EncryptingKey::cbc(cipher::UnboundCipherKey::new(algorithm, key)?)?;
        let decrypting =
            cipher::DecryptingKey::cbc(cipher::UnboundCipherKey::new(algorithm, key)?)?;
        Ok(AesCbcKey {
            key_len: key.len(),
            encrypting,
            decrypting,
        })
    }

    /// Key length in bytes (16 or 32).
    pub fn key_len(&self) -> usize {
        self.key_len
    }

    /// CBC-encrypts `buf` in place under `iv`. `buf.len()` must be a multiple of the
    /// block length (`InvalidParameter` otherwise); no padding is added.
    pub fn encrypt_in_place(&self, iv: &[u8; AES_BLOCK_LEN], buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        let context = cipher::EncryptionContext::Iv128(FixedLength::from(iv));
        self.encrypting.less_safe_encrypt(buf, context)?;
        Ok(())
    }

    /// CBC-decrypts `buf` in place under `iv`. `buf.len()` must be a multiple of the
    /// block length (`InvalidParameter` otherwise); no padding is removed.
    pub fn decrypt_in_place(&self, iv: &[u8; AES_BLOCK_LEN], buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        let context = cipher::DecryptionContext::Iv128(FixedLength::from(iv));
        self.decrypting.decrypt(buf, context)?;
        Ok(())
    }
}

impl fmt::Debug for AesCbcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesCbcKey")
            .field("key_len", &self.key_len)
            .finish_non_exhaustive()
    }
}

fn check_whole_blocks(buf: &[u8]) -> Result<()> {
    if buf.len() % AES_BLOCK_LEN != 0 {
        return Err(Error::InvalidParameter(
            "CBC input is not a whole number of blocks",
        ));
    }
    Ok(())
}

/// Fills `dest` from the system's cryptographically secure random generator (explicit
/// CBC IVs of `SslEncryptPacket`).
pub fn fill_random(dest: &mut [u8]) -> Result<()> {
    rand::fill(dest)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn keys_are_send_and_sync() {
        assert_send_sync::<AeadKey>();
        assert_send_sync::<AesCbcKey>();
        assert_send_sync::<Aes256GcmSivKey>();
    }

    #[test]
    fn rejects_bad_key_lengths() {
        assert_eq!(
            AeadKey::new(AeadAlgorithm::Aes128Gcm, &[0; 32]).unwrap_err(),
            Error::InvalidParameter("AEAD key length")
        );
        assert!(AesCbcKey::new(&[0; 24]).is_err());
        assert!(AesCbcKey::new(&[0; 16]).is_ok());
    }

    #[test]
    fn aead_round_trip_and_tamper() {
        let key = AeadKey::new(AeadAlgorithm::ChaCha20Poly1305, &[7; 32]).unwrap();
        let nonce = [1u8; 12];
        let mut buf = *b"attack at dawn";
        let tag = key.seal_in_place(&nonce, b"ad", &mut buf).unwrap();
        assert_ne!(&buf, b"attack at dawn");
        let mut copy = buf;
        key.open_in_place(&nonce, b"ad", &mut copy, &tag).unwrap();
        assert_eq!(&copy, b"attack at dawn");
        let mut copy = buf;
        assert_eq!(
            key.open_in_place(&nonce, b"ae", &mut copy, &tag),
            Err(Error::DecryptionFailure)
        );
        assert_eq!(copy, [0; 14]);
    }

    #[test]
    fn gcm_siv_matches_rfc8452_c2() {
        // RFC 8452 Appendix C.2 (AEAD_AES_256_GCM_SIV), the first vector with a plaintext:
        // 8 bytes of plaintext, no AAD.
        let key: [u8; 32] =
            hex::decode("0100000000000000000000000000000000000000000000000000000000000000")
                .unwrap()
                .try_into()
                .unwrap();
        let nonce: [u8; 12] = hex::decode("030000000000000000000000")
            .unwrap()
            .try_into()
            .unwrap();
        let key = Aes256GcmSivKey::new(&key).unwrap();
        let mut buf = hex::decode("0100000000000000").unwrap();
        let tag = key.seal_in_place(&nonce, &[], &mut buf).unwrap();
        assert_eq!(
            hex::encode([buf.as_slice(), &tag].concat()),
            "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28"
        );
        key.open_in_place(&nonce, &[], &mut buf, &tag).unwrap();
        assert_eq!(hex::encode(&buf), "0100000000000000");
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        assert_eq!(
            key.open_in_place(&nonce, &[], &mut buf, &bad_tag),
            Err(Error::DecryptionFailure)
        );
        assert_eq!(buf, [0; 8]);
    }

    #[test]
    fn cbc_matches_sp800_38a_f_2_1() {
        // NIST SP 800-38A F.2.1 CBC-AES128.Encrypt, first block.
        let key = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
        let iv: [u8; 16] = hex::decode("000102030405060708090a0b0c0d0e0f")
            .unwrap()
            .try_into()
            .unwrap();
        let mut block = hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap();
        let key = AesCbcKey::new(&key).unwrap();
        key.encrypt_in_place(&iv, &mut block).unwrap();
        assert_eq!(hex::encode(&block), "7649abac8119b246cee98e9b12e9197d");
        key.decrypt_in_place(&iv, &mut block).unwrap();
        assert_eq!(hex::encode(&block), "6bc1bee22e409f96e93d7e117393172a");
        let mut odd = [0u8; 15];
        assert!(key.encrypt_in_place(&iv, &mut odd).is_err());
    }
}

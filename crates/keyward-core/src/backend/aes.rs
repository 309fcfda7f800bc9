//! AES as a block cipher with the modes the D3D11 crypto session and SCP03 need: single
//! blocks (ECB), CBC without padding, and CTR over a 128-bit big-endian counter block.

use core::fmt;

use aws_lc_rs::cipher;
use aws_lc_rs::iv::FixedLength;

use crate::{Error, Result};

/// The AES block length in bytes.
pub const BLOCK_LEN: usize = 16;

/// One AES block.
pub type Block = [u8; BLOCK_LEN];

/// An AES-128, AES-192 or AES-256 key with its key schedules computed once.
pub struct AesKey {
    key_len: usize,
    cbc_encrypting: cipher::EncryptingKey,
    cbc_decrypting: cipher::DecryptingKey,
    ctr: cipher::EncryptingKey,
}

impl AesKey {
    /// Prepares a 16-, 24- or 32-byte key; other lengths are `InvalidParameter`.
    pub fn new(key: &[u8]) -> Result<Self> {
        let algorithm = match key.len() {
            16 => &cipher::AES_128,
            24 => &cipher::AES_192,
            32 => &cipher::AES_256,
            _ => return Err(Error::InvalidParameter("AES key length")),
        };
        let unbound = || cipher::UnboundCipherKey::new(algorithm, key);
        Ok(AesKey {
            key_len: key.len(),
            cbc_encrypting: cipher::EncryptingKey::cbc(unbound()?)?,
            cbc_decrypting: cipher::DecryptingKey::cbc(unbound()?)?,
            ctr: cipher::EncryptingKey::ctr(unbound()?)?,
        })
    }

    /// Key length in bytes (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        self.key_len
    }

    /// Encrypts one block in place (AES-ECB of a single block).
    pub fn encrypt_block(&self, block: &mut Block) -> Result<()> {
        self.cbc_encrypt_in_place(&[0; BLOCK_LEN], block)
    }

    /// Decrypts one block in place (AES-ECB of a single block).
    pub fn decrypt_block(&self, block: &mut Block) -> Result<()> {
        self.cbc_decrypt_in_place(&[0; BLOCK_LEN], block)
    }

    /// AES-ECB over whole blocks, in place; a partial block is `InvalidParameter`.
    pub fn ecb_encrypt_in_place(&self, buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        for chunk in buf.chunks_exact_mut(BLOCK_LEN) {
            self.cbc_encrypt_in_place(&[0; BLOCK_LEN], chunk)?;
        }
        Ok(())
    }

    /// AES-ECB decryption over whole blocks, in place; a partial block is `InvalidParameter`.
    pub fn ecb_decrypt_in_place(&self, buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        for chunk in buf.chunks_exact_mut(BLOCK_LEN) {
            self.cbc_decrypt_in_place(&[0; BLOCK_LEN], chunk)?;
        }
        Ok(())
    }

    /// CBC-encrypts whole blocks in place under `iv`; no padding is added.
    pub fn cbc_encrypt_in_place(&self, iv: &Block, buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        if buf.is_empty() {
            return Ok(());
        }
        let context = cipher::EncryptionContext::Iv128(FixedLength::from(iv));
        self.cbc_encrypting.less_safe_encrypt(buf, context)?;
        Ok(())
    }

    /// CBC-decrypts whole blocks in place under `iv`; no padding is removed.
    pub fn cbc_decrypt_in_place(&self, iv: &Block, buf: &mut [u8]) -> Result<()> {
        check_whole_blocks(buf)?;
        if buf.is_empty() {
            return Ok(());
        }
        let context = cipher::DecryptionContext::Iv128(FixedLength::from(iv));
        self.cbc_decrypting.decrypt(buf, context)?;
        Ok(())
    }

    /// Applies AES-CTR to `buf` in place (encryption and decryption are the same). The
    /// first keystream block is `E(counter_block)`; the whole 16-byte block is then
    /// incremented as one big-endian integer (NIST SP 800-38A, as AWS-LC does).
    pub fn ctr_in_place(&self, counter_block: &Block, buf: &mut [u8]) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let context = cipher::EncryptionContext::Iv128(FixedLength::from(counter_block));
        self.ctr.less_safe_encrypt(buf, context)?;
        Ok(())
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AesKey")
            .field("key_len", &self.key_len)
            .finish_non_exhaustive()
    }
}

fn check_whole_blocks(buf: &[u8]) -> Result<()> {
    if buf.len() % BLOCK_LEN != 0 {
        return Err(Error::InvalidParameter(
            "AES input is not a whole number of blocks",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(hex_text: &str) -> Block {
        hex::decode(hex_text).unwrap().try_into().unwrap()
    }

    #[test]
    fn ecb_matches_sp800_38a_f_1() {
        // NIST SP 800-38A F.1.1 / F.1.3 / F.1.5, first block.
        let cases = [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "3ad77bb40d7a3660a89ecaf32466ef97",
            ),
            (
                "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                "bd334f1d6e45f25ff712a214571fa5cc",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f3eed1bdb5d2a03c064b5a7e3db181f8",
            ),
        ];
        for (key, expected) in cases {
            let key = AesKey::new(&hex::decode(key).unwrap()).unwrap();
            let mut data = block("6bc1bee22e409f96e93d7e117393172a");
            key.encrypt_block(&mut data).unwrap();
            assert_eq!(hex::encode(data), expected);
            key.decrypt_block(&mut data).unwrap();
            assert_eq!(hex::encode(data), "6bc1bee22e409f96e93d7e117393172a");
        }
    }

    #[test]
    fn ctr_matches_sp800_38a_f_5_1_and_carries_across_the_counter() {
        // NIST SP 800-38A F.5.1 CTR-AES128.Encrypt, two blocks: the counter ends in ...feff,
        // so the second block needs a carry into the next byte.
        let key = AesKey::new(&hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap()).unwrap();
        let counter = block("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let mut data =
            hex::decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
                .unwrap();
        key.ctr_in_place(&counter, &mut data).unwrap();
        assert_eq!(
            hex::encode(&data),
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        );
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(AesKey::new(&[0; 20]).is_err());
        let key = AesKey::new(&[0; 16]).unwrap();
        assert!(key.ecb_encrypt_in_place(&mut [0; 15]).is_err());
        assert!(key.cbc_decrypt_in_place(&[0; 16], &mut [0; 17]).is_err());
    }
}

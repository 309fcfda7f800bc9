//! AES-CMAC (NIST SP 800-38B; OMAC1): OPM signatures and SCP03 (MACs and its KDF).

use core::fmt;

use aws_lc_rs::{cmac, constant_time};

use crate::{Error, Result};

/// The CMAC tag length in bytes (one AES block).
pub const TAG_LEN: usize = 16;

/// An AES-128, AES-192 or AES-256 CMAC key.
pub struct CmacKey {
    key: cmac::Key,
}

impl CmacKey {
    /// Prepares a 16-, 24- or 32-byte key; other lengths are `InvalidParameter`.
    pub fn new(key: &[u8]) -> Result<Self> {
        let algorithm = match key.len() {
            16 => cmac::AES_128,
            24 => cmac::AES_192,
            32 => cmac::AES_256,
            _ => return Err(Error::InvalidParameter("CMAC key length")),
        };
        Ok(CmacKey {
            key: cmac::Key::new(algorithm, key)?,
        })
    }

    /// The tag over the concatenation of `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> Result<[u8; TAG_LEN]> {
        let mut context = cmac::Context::with_key(&self.key);
        for part in parts {
            context.update(part)?;
        }
        let tag = context.sign()?;
        let mut out = [0; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Checks `tag` (a full tag, or its first bytes: SCP03 sends 8) against the tag over
    /// `parts`, in constant time. An empty or too-long `tag`, or a mismatch, is
    /// `BadSignature`.
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> Result<()> {
        let expected = self.sign(parts)?;
        if tag.is_empty() || tag.len() > TAG_LEN {
            return Err(Error::BadSignature);
        }
        constant_time::verify_slices_are_equal(&expected[..tag.len()], tag)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for CmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CmacKey { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sp800_38b_d_1_aes128() {
        // NIST SP 800-38B D.1, AES-128, examples 1 and 2 (empty and one block).
        let key = CmacKey::new(&hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap()).unwrap();
        assert_eq!(
            hex::encode(key.sign(&[]).unwrap()),
            "bb1d6929e95937287fa37d129b756746"
        );
        let message = hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap();
        let tag = key.sign(&[&message[..7], &message[7..]]).unwrap();
        assert_eq!(hex::encode(tag), "070a16b46b4d4144f79bdd9dd04a287c");
        key.verify(&[&message], &tag).unwrap();
        key.verify(&[&message], &tag[..8]).unwrap();
        let mut bad = tag;
        bad[15] ^= 1;
        assert_eq!(key.verify(&[&message], &bad), Err(Error::BadSignature));
        assert_eq!(key.verify(&[&message], &[]), Err(Error::BadSignature));
    }

    #[test]
    fn rejects_bad_key_length() {
        assert!(CmacKey::new(&[0; 15]).is_err());
    }
}

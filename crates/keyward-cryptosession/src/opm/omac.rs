//! OMAC-1 with AES-128 (= AES-CMAC, NIST SP 800-38B / RFC 4493): the signature of every OPM
//! request and response (`DXGKMDT_OPM_OMAC`: E = AES, t = n = 128, K = the 128-bit key of
//! `FinishInitialization`; docs/cryptosession-and-card.md, "OPM signing and sequence numbers").

use super::OPM_OMAC_SIZE;
use crate::error::{Error, Result};
use crate::exchange::SESSION_KEY_LEN;
use core::fmt;
use keyward_core::backend::cmac::CmacKey;
use keyward_core::Secret;

/// An OPM signing key with its AES schedule.
pub struct Omac {
    key: CmacKey,
}

impl Omac {
    /// The signer for a 16-byte AES-128 signing key.
    pub fn new(signing_key: &Secret<SESSION_KEY_LEN>) -> Result<Self> {
        Ok(Omac {
            key: CmacKey::new(signing_key.expose())?,
        })
    }

    /// The 16-byte OMAC of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; OPM_OMAC_SIZE]> {
        Ok(self.key.sign(&[message])?)
    }

    /// Checks a full 16-byte `tag` over `message` in constant time; a mismatch (or a tag of
    /// another length) → [`Error::BadOmac`].
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> Result<()> {
        if tag.len() != OPM_OMAC_SIZE {
            return Err(Error::BadOmac);
        }
        self.key.verify(&[message], tag).map_err(|_| Error::BadOmac)
    }

    /// Signs an OPM structure in place: the OMAC of everything after the first 16 bytes,
    /// written into those 16 bytes. A structure of 16 bytes or less →
    /// [`Error::InvalidArgument`].
    pub fn sign_structure(&self, structure: &mut [u8]) -> Result<()> {
        if structure.len() <= OPM_OMAC_SIZE {
            return Err(Error::InvalidArgument("OPM structure too short to sign"));
        }
        let (tag, body) = structure.split_at_mut(OPM_OMAC_SIZE);
        tag.copy_from_slice(&self.sign(body)?);
        Ok(())
    }

    /// Verifies an OPM structure's leading OMAC over the rest of it (constant time); a
    /// mismatch or a structure of 16 bytes or less → [`Error::BadOmac`].
    pub fn verify_structure(&self, structure: &[u8]) -> Result<()> {
        if structure.len() <= OPM_OMAC_SIZE {
            return Err(Error::BadOmac);
        }
        let (tag, body) = structure.split_at(OPM_OMAC_SIZE);
        self.verify(body, tag)
    }
}

impl fmt::Debug for Omac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Omac { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc4493_key() -> Secret<16> {
        Secret::new(
            hex::decode("2b7e151628aed2a6abf7158809cf4f3c")
                .unwrap()
                .try_into()
                .unwrap(),
        )
    }

    #[test]
    fn structure_signing_covers_all_but_the_first_16_bytes() {
        let omac = Omac::new(&rfc4493_key()).unwrap();
        // RFC 4493 example 2: the 16-byte message after a 16-byte tag field.
        let mut structure = [0u8; 32];
        structure[16..].copy_from_slice(&hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap());
        omac.sign_structure(&mut structure).unwrap();
        assert_eq!(
            hex::encode(&structure[..16]),
            "070a16b46b4d4144f79bdd9dd04a287c"
        );
        omac.verify_structure(&structure).unwrap();
        structure[31] ^= 1;
        assert_eq!(omac.verify_structure(&structure), Err(Error::BadOmac));
        structure[31] ^= 1;
        structure[0] ^= 0x80;
        assert_eq!(omac.verify_structure(&structure), Err(Error::BadOmac));
        assert_eq!(omac.verify_structure(&structure[..16]), Err(Error::BadOmac));
        assert!(omac.sign_structure(&mut [0u8; 16]).is_err());
        assert_eq!(omac.verify(b"", &[0u8; 8]), Err(Error::BadOmac));
        assert_eq!(format!("{omac:?}"), "Omac { .. }");
    }
}

//! The crypto backend facade over aws-lc-rs: the only crypto API the rest of keyward calls.
//!
//! Safe aws-lc-rs is used wherever it has the primitive; `sys` (the crate's only `unsafe`)
//! wraps the few AWS-LC functions it lacks (MD5, MD5‖SHA-1 PRF, raw RSA, FFDHE, ECDSA over any
//! digest). The reasoning behind the choice of aws-lc-rs: `docs/crypto-backend.md`.

pub mod aes;
pub mod cipher;
pub mod cmac;
pub mod hmac;
pub mod tls_cbc;

pub mod dh;
pub mod digest;
pub mod ec;
mod ffdhe_primes;
pub mod hkdf;
pub mod prf;
pub mod rand;
pub mod rsa;
mod sys;

pub use dh::{validate_public as validate_dh_public, DhPrivateKey, FfdheGroup};
pub use digest::{hash, DigestValue, HashAlgorithm, HashContext, MAX_DIGEST_LEN};
pub use ec::{ecdsa_verify_digest, validate_public, Curve, EcdhPrivateKey, EcdsaPrivateKey};
pub use prf::{tls_prf, PrfHash};
pub use rand::fill_random;
pub use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::{Error, Result};

/// A private key opened from PKCS#8 (the key store's format), of whichever type it is.
pub enum PrivateKey {
    /// An RSA key.
    Rsa(RsaPrivateKey),
    /// An ECDSA key.
    Ecdsa(EcdsaPrivateKey),
}

impl PrivateKey {
    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo`, detecting RSA or EC.
    ///
    /// Malformed DER → [`Error::BadData`]; another key type, curve or size →
    /// [`Error::NotSupported`].
    pub fn from_pkcs8(der: &[u8]) -> Result<Self> {
        match sys::parse_pkcs8(der) {
            Some(sys::ParsedPrivateKey::Rsa(handle)) => {
                Ok(PrivateKey::Rsa(RsaPrivateKey::from_handle(handle)?))
            }
            Some(sys::ParsedPrivateKey::Ec(handle)) => {
                Ok(PrivateKey::Ecdsa(EcdsaPrivateKey::from_handle(handle)?))
            }
            Some(sys::ParsedPrivateKey::Unsupported) => {
                Err(Error::NotSupported("private key type"))
            }
            None => Err(Error::BadData("malformed PKCS#8 private key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};

    #[test]
    fn private_key_detects_type() {
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der: Pkcs8V1Der = rsa.as_der().unwrap();
        assert!(matches!(
            PrivateKey::from_pkcs8(der.as_ref()),
            Ok(PrivateKey::Rsa(_))
        ));
        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
        .unwrap();
        match PrivateKey::from_pkcs8(ec.to_pkcs8v1().unwrap().as_ref()) {
            Ok(PrivateKey::Ecdsa(key)) => assert_eq!(key.curve(), Curve::P384),
            _ => panic!("expected an ECDSA key"),
        }
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let ed = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        assert!(matches!(
            PrivateKey::from_pkcs8(ed.as_ref()),
            Err(Error::NotSupported(_))
        ));
        assert!(matches!(
            PrivateKey::from_pkcs8(&[0x30, 0x00]),
            Err(Error::BadData(_))
        ));
        let mut trailing = der.as_ref().to_vec();
        trailing.push(0);
        assert!(matches!(
            PrivateKey::from_pkcs8(&trailing),
            Err(Error::BadData(_))
        ));
    }
}

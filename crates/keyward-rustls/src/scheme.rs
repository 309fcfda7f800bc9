//! Which TLS signature schemes a keyward key can make, and how each maps onto `sign_hash`.

use keyward_core::backend::HashAlgorithm;
use keyward_core::Error;
use keyward_ssl::{PrivateKey, SignaturePadding};
use rustls::{SignatureAlgorithm, SignatureScheme};

/// The smallest RSA modulus served (2048 bits), in bytes.
const MIN_RSA_MODULUS_LEN: usize = 256;

/// What kind of key signs, as far as the signature schemes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA of 2048 bits or more: PSS and PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512.
    Rsa,
    /// ECDSA on P-256: `ecdsa_secp256r1_sha256`.
    EcdsaP256,
    /// ECDSA on P-384: `ecdsa_secp384r1_sha384`.
    EcdsaP384,
}

impl KeyType {
    /// The kind of `key`; RSA under 2048 bits and other curves are `NTE_NOT_SUPPORTED`.
    ///
    /// It is read from the algorithm and the signature length only, which every provider
    /// knows without the private key (the keyiso daemon reports exactly these two when it
    /// opens a key).
    pub fn of(key: &PrivateKey) -> Result<KeyType, Error> {
        let len = key.signature_len();
        if key.is_rsa() {
            return if len >= MIN_RSA_MODULUS_LEN {
                Ok(KeyType::Rsa)
            } else {
                Err(Error::NotSupported("RSA keys under 2048 bits"))
            };
        }
        // ECDSA signatures are r ‖ s, twice the field length.
        match len {
            64 => Ok(KeyType::EcdsaP256),
            96 => Ok(KeyType::EcdsaP384),
            _ => Err(Error::NotSupported(
                "ECDSA curves other than P-256 and P-384",
            )),
        }
    }

    /// rustls's name for the key's algorithm.
    pub fn algorithm(self) -> SignatureAlgorithm {
        match self {
            KeyType::Rsa => SignatureAlgorithm::RSA,
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => SignatureAlgorithm::ECDSA,
        }
    }
}

/// The schemes a key of `key_type` offers, most preferred first (PSS before PKCS#1 v1.5,
/// which TLS 1.3 forbids in handshakes and rustls then does not offer).
pub fn schemes(key_type: KeyType) -> &'static [SignatureScheme] {
    match key_type {
        KeyType::Rsa => &[
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
        ],
        KeyType::EcdsaP256 => &[SignatureScheme::ECDSA_NISTP256_SHA256],
        KeyType::EcdsaP384 => &[SignatureScheme::ECDSA_NISTP384_SHA384],
    }
}

/// How a scheme signs with keyward: the hash of the message, the padding for `sign_hash`,
/// and whether the result is ECDSA's `r ‖ s` (to be DER-encoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Method {
    /// The hash the message is digested with.
    pub hash: HashAlgorithm,
    /// The `SslSignHash` padding.
    pub padding: SignaturePadding,
    /// True for ECDSA.
    pub ecdsa: bool,
}

/// The method of `scheme`, or `None` for a scheme this crate never offers.
pub(crate) fn method(scheme: SignatureScheme) -> Option<Method> {
    use HashAlgorithm::{Sha256, Sha384, Sha512};
    let (hash, padding, ecdsa) = match scheme {
        SignatureScheme::RSA_PSS_SHA256 => (Sha256, SignaturePadding::Pss(Sha256), false),
        SignatureScheme::RSA_PSS_SHA384 => (Sha384, SignaturePadding::Pss(Sha384), false),
        SignatureScheme::RSA_PSS_SHA512 => (Sha512, SignaturePadding::Pss(Sha512), false),
        SignatureScheme::RSA_PKCS1_SHA256 => (Sha256, SignaturePadding::Pkcs1(Sha256), false),
        SignatureScheme::RSA_PKCS1_SHA384 => (Sha384, SignaturePadding::Pkcs1(Sha384), false),
        SignatureScheme::RSA_PKCS1_SHA512 => (Sha512, SignaturePadding::Pkcs1(Sha512), false),
        SignatureScheme::ECDSA_NISTP256_SHA256 => (Sha256, SignaturePadding::Raw, true),
        SignatureScheme::ECDSA_NISTP384_SHA384 => (Sha384, SignaturePadding::Raw, true),
        _ => return None,
    };
    Some(Method {
        hash,
        padding,
        ecdsa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_scheme_has_a_method_of_its_kind() {
        for key_type in [KeyType::Rsa, KeyType::EcdsaP256, KeyType::EcdsaP384] {
            for scheme in schemes(key_type) {
                let method = method(*scheme).unwrap();
                assert_eq!(method.ecdsa, key_type != KeyType::Rsa, "{scheme:?}");
            }
        }
        assert_eq!(method(SignatureScheme::ED25519), None);
        assert_eq!(method(SignatureScheme::RSA_PKCS1_SHA1), None);
        assert_eq!(method(SignatureScheme::ECDSA_NISTP521_SHA512), None);
    }
}

//! [`KeywardSigningKey`]: a rustls signing key whose private half is a keyward
//! [`PrivateKey`], wherever its provider keeps it.

use std::fmt;
use std::sync::Arc;

use keyward_core::backend::hash;
use keyward_core::Error;
use keyward_ssl::signature::ecdsa_fixed_to_der;
use keyward_ssl::{PrivateKey, Provider};
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::scheme::{method, schemes, KeyType};

/// A rustls [`SigningKey`] over a keyward [`PrivateKey`]. It offers the schemes of
/// [`schemes`] for its key type and signs through `PrivateKey::sign_hash`.
pub struct KeywardSigningKey {
    key: Arc<PrivateKey>,
    key_type: KeyType,
    /// The certificate's `SubjectPublicKeyInfo` (DER), for rustls's key/certificate check.
    public_key: Vec<u8>,
}

/// The `SubjectPublicKeyInfo` of a DER certificate.
fn subject_public_key_info(certificate: &[u8]) -> Result<Vec<u8>, Error> {
    let (_, parsed) = X509Certificate::from_der(certificate)
        .map_err(|_| Error::BadData("certificate does not parse"))?;
    Ok(parsed.tbs_certificate.subject_pki.raw.to_vec())
}

impl KeywardSigningKey {
    /// Wraps an opened key. RSA under 2048 bits and curves other than P-256 and P-384 are
    /// `NTE_NOT_SUPPORTED`.
    pub fn new(key: PrivateKey) -> Result<KeywardSigningKey, Error> {
        let key_type = KeyType::of(&key)?;
        let public_key = subject_public_key_info(key.certificate())?;
        Ok(KeywardSigningKey {
            key: Arc::new(key),
            key_type,
            public_key,
        })
    }

    /// Opens the private key of `certificate` (DER) through `provider`
    /// (`SslOpenPrivateKey`); a certificate without a key there is `NTE_NOT_FOUND`.
    pub fn open(provider: &Provider, certificate: &[u8]) -> Result<KeywardSigningKey, Error> {
        KeywardSigningKey::new(provider.open_private_key(certificate)?)
    }

    /// The kind of key.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The certificate the key was opened for (DER).
    pub fn certificate(&self) -> &[u8] {
        self.key.certificate()
    }
}

impl fmt::Debug for KeywardSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeywardSigningKey")
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

impl SigningKey for KeywardSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = schemes(self.key_type)
            .iter()
            .copied()
            .find(|scheme| offered.contains(scheme))?;
        Some(Box::new(KeywardSigner {
            key: self.key.clone(),
            scheme,
        }))
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(self.public_key.as_slice()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.key_type.algorithm()
    }
}

/// One signature scheme of a [`KeywardSigningKey`], as rustls's [`Signer`].
pub struct KeywardSigner {
    key: Arc<PrivateKey>,
    scheme: SignatureScheme,
}

impl fmt::Debug for KeywardSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeywardSigner")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Signer for KeywardSigner {
    /// Hashes `message` with the scheme's hash, signs the digest with `sign_hash` and the
    /// scheme's padding, and DER-encodes ECDSA's `r ‖ s`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let method = method(self.scheme).ok_or_else(|| {
            rustls::Error::General(format!("keyward-rustls: no method for {:?}", self.scheme))
        })?;
        let digest = hash(method.hash, message);
        let signature = self
            .key
            .sign_hash(digest.as_bytes(), method.padding)
            .map_err(|error| {
                rustls::Error::General(format!("keyward sign_hash: {error} [{}]", error.status()))
            })?;
        if method.ecdsa {
            ecdsa_fixed_to_der(&signature).ok_or_else(|| {
                rustls::Error::General("keyward ECDSA: the signature is not r ‖ s".into())
            })
        } else {
            Ok(signature)
        }
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// A rustls [`CertifiedKey`] for `chain` (end-entity certificate first), its private key
/// opened through `provider`. An empty chain is `NTE_INVALID_PARAMETER`.
pub fn certified_key(
    provider: &Provider,
    chain: Vec<CertificateDer<'static>>,
) -> Result<CertifiedKey, Error> {
    let end_entity = chain
        .first()
        .ok_or(Error::InvalidParameter("empty certificate chain"))?;
    let key = KeywardSigningKey::open(provider, end_entity.as_ref())?;
    Ok(CertifiedKey::new(chain, Arc::new(key)))
}

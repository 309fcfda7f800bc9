//! Key containers of the virtual card: RSA-2048 and EC P-256 private keys held as PKCS#8,
//! with their cardmod key spec (`AT_KEYEXCHANGE`, `AT_SIGNATURE`, `AT_ECDSA_P256`,
//! `AT_ECDHE_P256`).

use keyward_core::backend::rsa::OaepPrivateKey;
use keyward_core::backend::{Curve, PrivateKey};
use keyward_core::SecretVec;

use super::state::Container;
use crate::instructions::{
    ContainerPublicKey, OaepHash, PublicKey, SignatureHash, AT_ECDHE_P256, AT_ECDSA_P256,
    AT_KEYEXCHANGE, AT_SIGNATURE,
};
use crate::{Error, Result};

/// RSA modulus size the card accepts.
const RSA_BITS: usize = 2048;

/// Opens a container key: PKCS#8 of an RSA-2048 key with key spec `AT_KEYEXCHANGE` or
/// `AT_SIGNATURE`, or of an EC P-256 key with `AT_ECDSA_P256` or `AT_ECDHE_P256`. Anything
/// else is `InvalidParameter` / `UnsupportedFeature`.
pub(crate) fn open(key_spec: u8, pkcs8: &[u8]) -> Result<PrivateKey> {
    let key = PrivateKey::from_pkcs8(pkcs8)?;
    match &key {
        PrivateKey::Rsa(rsa) => {
            if rsa.bits() != RSA_BITS {
                return Err(Error::UnsupportedFeature("RSA key size other than 2048"));
            }
            if !matches!(key_spec, AT_KEYEXCHANGE | AT_SIGNATURE) {
                return Err(Error::InvalidParameter("key spec does not fit an RSA key"));
            }
        }
        PrivateKey::Ecdsa(ec) => {
            if ec.curve() != Curve::P256 {
                return Err(Error::UnsupportedFeature("EC curve other than P-256"));
            }
            if !matches!(key_spec, AT_ECDSA_P256 | AT_ECDHE_P256) {
                return Err(Error::InvalidParameter("key spec does not fit a P-256 key"));
            }
        }
    }
    Ok(key)
}

/// Checks that a container key opens.
pub(crate) fn validate(key_spec: u8, pkcs8: &[u8]) -> Result<()> {
    open(key_spec, pkcs8).map(|_| ())
}

/// The public record READ PUBLIC KEY returns.
pub(crate) fn public_key(container: &Container) -> Result<ContainerPublicKey> {
    let key = match open(container.key_spec, container.pkcs8.expose())? {
        PrivateKey::Rsa(rsa) => {
            let public = rsa.public_key();
            PublicKey::Rsa {
                modulus: public.modulus().to_vec(),
                exponent: public.exponent().to_vec(),
            }
        }
        PrivateKey::Ecdsa(ec) => PublicKey::EcP256 {
            point: ec.public_key().to_vec(),
        },
    };
    Ok(ContainerPublicKey {
        key_spec: container.key_spec,
        pin: container.pin,
        key,
    })
}

/// Signs a digest: RSASSA-PKCS1-v1_5 for RSA, fixed-width r ‖ s ECDSA for P-256. A digest of
/// the wrong length is `InvalidParameter`.
pub(crate) fn sign(container: &Container, hash: SignatureHash, digest: &[u8]) -> Result<Vec<u8>> {
    match open(container.key_spec, container.pkcs8.expose())? {
        PrivateKey::Rsa(rsa) => Ok(rsa.sign_pkcs1(hash.algorithm(), digest)?),
        PrivateKey::Ecdsa(ec) => Ok(ec.sign_digest(hash.algorithm(), digest)?),
    }
}

/// RSAES-OAEP decryption (empty label) of a wrapped session key with the container's key,
/// which must be an RSA key-exchange key (`AT_KEYEXCHANGE`; else `UnsupportedFeature`). Every
/// decryption failure is the one `InvalidParameter` (the backend folds the causes together).
pub(crate) fn unwrap_session_key(
    container: &Container,
    hash: OaepHash,
    ciphertext: &[u8],
) -> Result<SecretVec> {
    if container.key_spec != AT_KEYEXCHANGE {
        return Err(Error::UnsupportedFeature(
            "session keys unwrap only with an AT_KEYEXCHANGE key",
        ));
    }
    let key = OaepPrivateKey::from_pkcs8(container.pkcs8.expose())
        .map_err(|_| Error::UnsupportedFeature("the container key is not RSA"))?;
    key.decrypt(hash.algorithm(), &[], ciphertext)
        .map_err(|_| Error::InvalidParameter("session key unwrap failed"))
}

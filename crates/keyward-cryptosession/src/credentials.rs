//! The device's key-exchange key and certificate chain, kept in the keyward key store.
//!
//! On first use two entries are created in the store and reused afterwards:
//!
//! | store name | key | certificate |
//! |---|---|---|
//! | `keyward-d3d11-root` | RSA-2048 | self-signed CA "keyward D3D11 root" |
//! | `keyward-d3d11-device` | RSA-2048 (the exchange key) | "keyward D3D11 device", issued by the root |
//!
//! The chain handed out by `GetCertificate` / `StartInitialization` is `device ‖ root`
//! (see [`crate::chain`]). The same credentials serve the crypto session and OPM ("the same
//! certificate can be used for the cryptographic session and OPM session key", reference
//! A.2).

use crate::chain;
use crate::error::{Error, Result};
use crate::exchange::{KeyExchangeKey, SESSION_KEY_LEN};
use keyward_core::backend::fill_random;
use keyward_core::store::{KeyKind, KeyStore, StoredKey};
use keyward_core::Secret;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Store name of the root CA key and certificate.
pub const ROOT_KEY_NAME: &str = "keyward-d3d11-root";
/// Store name of the device (leaf) key and certificate.
pub const DEVICE_KEY_NAME: &str = "keyward-d3d11-device";

const ROOT_COMMON_NAME: &str = "keyward D3D11 root";
const DEVICE_COMMON_NAME: &str = "keyward D3D11 device";
const ORGANIZATION: &str = "keyward";

/// The device's exchange key and the certificate chain that carries its public half.
#[derive(Debug)]
pub struct DeviceCredentials {
    key: KeyExchangeKey,
    chain: Vec<u8>,
}

impl DeviceCredentials {
    /// Loads the root and device entries from `store`, creating whichever is missing (the
    /// root first, so a device certificate always has its issuer). Two processes creating
    /// them at once end up with the same entries: the store refuses the second import and
    /// the loser reads the winner's. A device entry without its root, or one that does not
    /// verify under it, is [`Error::BadCertificate`].
    pub fn load_or_create(store: &KeyStore) -> Result<Self> {
        let root = match store.get(ROOT_KEY_NAME) {
            Ok(root) => root,
            Err(keyward_core::Error::NotFound) => match store.get(DEVICE_KEY_NAME) {
                Ok(_) => {
                    return Err(Error::BadCertificate(
                        "the device certificate's root is missing from the key store",
                    ))
                }
                Err(_) => create_root(store)?,
            },
            Err(error) => return Err(error.into()),
        };
        let device = match store.get(DEVICE_KEY_NAME) {
            Ok(device) => device,
            Err(keyward_core::Error::NotFound) => create_device(store, &root)?,
            Err(error) => return Err(error.into()),
        };
        let mut chain = device.certificate().to_vec();
        chain.extend_from_slice(root.certificate());
        Self::from_parts(device.pkcs8().expose(), chain)
    }

    /// Credentials from a device private key (PKCS#8 DER, RSA-2048) and its chain (DER
    /// certificates concatenated, leaf first; a lone self-signed leaf is a chain too). The
    /// chain must verify ([`chain::verify`]) and its leaf must hold this key, else
    /// [`Error::BadCertificate`] / [`Error::InvalidArgument`].
    pub fn from_parts(device_pkcs8: &[u8], chain: Vec<u8>) -> Result<Self> {
        let key = KeyExchangeKey::from_pkcs8(device_pkcs8)?;
        let leaf = chain::verify(&chain)?;
        // The leaf must carry this key: a random probe encrypted under the leaf's key has to
        // come back through the private key.
        let mut probe = Secret::<SESSION_KEY_LEN>::zeroed();
        fill_random(probe.expose_mut())?;
        let blob = leaf.encrypt_session_key(&probe)?;
        let matches = key
            .decrypt_session_key(&blob)
            .map(|decrypted| bool::from(decrypted.expose().ct_eq(probe.expose())))
            .unwrap_or(false);
        if !matches {
            return Err(Error::BadCertificate(
                "the leaf certificate does not hold the device key",
            ));
        }
        Ok(DeviceCredentials { key, chain })
    }

    /// The exchange key.
    pub fn key_exchange_key(&self) -> &KeyExchangeKey {
        &self.key
    }

    /// The certificate chain (DER certificates, leaf first).
    pub fn certificate_chain(&self) -> &[u8] {
        &self.chain
    }
}

fn root_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORGANIZATION);
    params
        .distinguished_name
        .push(DnType::CommonName, ROOT_COMMON_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn device_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORGANIZATION);
    params
        .distinguished_name
        .push(DnType::CommonName, DEVICE_COMMON_NAME);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    params.use_authority_key_identifier_extension = true;
    params
}

fn rcgen_error(_: rcgen::Error) -> Error {
    Error::Core(keyward_core::Error::Internal(
        "certificate generation failed",
    ))
}

/// A new RSA-2048 key pair, with its PKCS#8 encoding (wiped on drop).
fn generate_key() -> Result<(KeyPair, Zeroizing<Vec<u8>>)> {
    let key_pair = KeyPair::generate_for(&PKCS_RSA_SHA256).map_err(rcgen_error)?;
    let pkcs8 = Zeroizing::new(key_pair.serialize_der());
    Ok((key_pair, pkcs8))
}

/// Imports under `name`, or — when another process imported it first — reads theirs. The
/// store publishes a key before its certificate and answers `NotFound` in between, so that
/// read is retried for up to a second.
fn import_or_get(
    store: &KeyStore,
    name: &str,
    pkcs8: &[u8],
    certificate: &[u8],
) -> Result<StoredKey> {
    const ATTEMPTS: u32 = 100;
    match store.import(name, pkcs8, certificate) {
        Ok(stored) => Ok(stored),
        Err(keyward_core::Error::InvalidParameter(_)) => {
            let mut attempt = 1;
            loop {
                match store.get(name) {
                    Err(keyward_core::Error::NotFound) if attempt < ATTEMPTS => {
                        attempt += 1;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    result => return Ok(result?),
                }
            }
        }
        Err(error) => Err(error.into()),
    }
}

fn create_root(store: &KeyStore) -> Result<StoredKey> {
    let (key_pair, pkcs8) = generate_key()?;
    let certificate = root_params().self_signed(&key_pair).map_err(rcgen_error)?;
    import_or_get(store, ROOT_KEY_NAME, &pkcs8, certificate.der())
}

fn create_device(store: &KeyStore, root: &StoredKey) -> Result<StoredKey> {
    if root.kind() != (KeyKind::Rsa { bits: 2048 }) {
        return Err(Error::BadCertificate("the root key is not RSA-2048"));
    }
    let root_key = KeyPair::try_from(root.pkcs8().expose()).map_err(rcgen_error)?;
    let issuer = Issuer::new(root_params(), root_key);
    let (key_pair, pkcs8) = generate_key()?;
    let certificate = device_params()
        .signed_by(&key_pair, &issuer)
        .map_err(rcgen_error)?;
    import_or_get(store, DEVICE_KEY_NAME, &pkcs8, certificate.der())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fresh_store;
    use x509_parser::prelude::{FromDer, X509Certificate};

    #[test]
    fn created_once_then_reused() {
        let (dir, store) = fresh_store();
        let first = DeviceCredentials::load_or_create(&store).unwrap();
        let certificates = chain::split(first.certificate_chain()).unwrap();
        assert_eq!(certificates.len(), 2);
        let (_, leaf) = X509Certificate::from_der(certificates[0]).unwrap();
        let (_, root) = X509Certificate::from_der(certificates[1]).unwrap();
        assert_eq!(
            leaf.subject().to_string(),
            "O=keyward, CN=keyward D3D11 device"
        );
        assert_eq!(
            root.subject().to_string(),
            "O=keyward, CN=keyward D3D11 root"
        );
        assert!(root.is_ca());
        assert!(!leaf.is_ca());
        assert_eq!(
            store.get(DEVICE_KEY_NAME).unwrap().certificate(),
            certificates[0]
        );
        assert_eq!(
            store.get(ROOT_KEY_NAME).unwrap().certificate(),
            certificates[1]
        );
        // Reopened (as another process would): the same chain and key.
        let again = DeviceCredentials::load_or_create(&KeyStore::open(&dir).unwrap()).unwrap();
        assert_eq!(again.certificate_chain(), first.certificate_chain());
        let blob = first
            .key_exchange_key()
            .public_key()
            .encrypt(&[0x42; 16])
            .unwrap();
        assert_eq!(
            again
                .key_exchange_key()
                .decrypt_session_key(&blob)
                .unwrap()
                .expose(),
            &[0x42; 16]
        );
        // Losing the device entry makes a new device key under the same root.
        store.remove(DEVICE_KEY_NAME).unwrap();
        let reissued = DeviceCredentials::load_or_create(&store).unwrap();
        let reissued_certificates = chain::split(reissued.certificate_chain()).unwrap();
        assert_eq!(reissued_certificates[1], certificates[1]);
        assert_ne!(reissued_certificates[0], certificates[0]);
    }

    #[test]
    fn concurrent_first_use_agrees_on_one_chain() {
        let (dir, _) = fresh_store();
        let chains: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let dir = dir.path().to_path_buf();
                    scope.spawn(move || {
                        let store = KeyStore::open(&dir).unwrap();
                        DeviceCredentials::load_or_create(&store)
                            .unwrap()
                            .certificate_chain()
                            .to_vec()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(chains.windows(2).all(|pair| pair[0] == pair[1]));
    }

    #[test]
    fn a_device_without_its_root_is_refused() {
        let (_dir, store) = fresh_store();
        DeviceCredentials::load_or_create(&store).unwrap();
        store.remove(ROOT_KEY_NAME).unwrap();
        assert!(matches!(
            DeviceCredentials::load_or_create(&store),
            Err(Error::BadCertificate(_))
        ));
        // The refusal did not create a new root.
        assert!(matches!(
            store.get(ROOT_KEY_NAME),
            Err(keyward_core::Error::NotFound)
        ));
    }

    #[test]
    fn from_parts_checks_chain_and_key() {
        let (_dir, store) = fresh_store();
        let credentials = DeviceCredentials::load_or_create(&store).unwrap();
        let device = store.get(DEVICE_KEY_NAME).unwrap();
        let root = store.get(ROOT_KEY_NAME).unwrap();
        let chain = credentials.certificate_chain().to_vec();
        // The root's key with the device's chain: the leaf does not hold that key.
        assert_eq!(
            DeviceCredentials::from_parts(root.pkcs8().expose(), chain.clone()).unwrap_err(),
            Error::BadCertificate("the leaf certificate does not hold the device key")
        );
        // The leaf alone is not self-signed: its issuer is missing.
        let leaf_only = device.certificate().to_vec();
        assert!(matches!(
            DeviceCredentials::from_parts(device.pkcs8().expose(), leaf_only),
            Err(Error::BadCertificate(_))
        ));
        // Root first is the wrong order.
        let reversed = [root.certificate(), device.certificate()].concat();
        assert!(matches!(
            DeviceCredentials::from_parts(device.pkcs8().expose(), reversed),
            Err(Error::BadCertificate(_))
        ));
        // A flipped bit in the leaf's signature.
        let mut forged = chain.clone();
        let leaf_len = device.certificate().len();
        forged[leaf_len - 5] ^= 1;
        assert_eq!(
            DeviceCredentials::from_parts(device.pkcs8().expose(), forged).unwrap_err(),
            Error::BadCertificate("certificate signature does not verify")
        );
        // Trailing garbage.
        let mut trailing = chain.clone();
        trailing.push(0);
        assert!(matches!(
            DeviceCredentials::from_parts(device.pkcs8().expose(), trailing),
            Err(Error::BadCertificate(_))
        ));
        DeviceCredentials::from_parts(device.pkcs8().expose(), chain).unwrap();
    }
}

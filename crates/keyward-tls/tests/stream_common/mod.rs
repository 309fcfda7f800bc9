//! Fixtures the blocking and the tokio stream tests share: a root CA, a `localhost` server key
//! and the two configurations.

use std::sync::Arc;

use keyward_core::store::KeyStore;
use keyward_ssl::{PrivateKey, Provider};
use keyward_test_support::TempDir;
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ServerConfig, Version};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A test root CA.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// Its certificate, PEM.
    pub pem: String,
}

/// A new root CA named `name`.
pub fn ca(name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// The server key of a [`setup`]. (Each test binary uses some of them.)
#[allow(dead_code)]
#[derive(Clone, Copy, Debug)]
pub enum KeyAlg {
    /// ECDSA P-256.
    P256,
    /// ECDSA P-384.
    P384,
    /// RSA-2048.
    Rsa2048,
}

fn server_key(ca: &Ca, alg: KeyAlg) -> CertifiedKey {
    let key = match alg {
        KeyAlg::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        KeyAlg::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
        KeyAlg::Rsa2048 => {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap()
        }
    };
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &ca.issuer).unwrap().der().to_vec();
    let private = PrivateKey::from_pkcs8(&key.serialize_der(), &cert).unwrap();
    CertifiedKey::new(vec![cert], private).unwrap()
}

/// A server and a client configuration of one version, the server with a `localhost` key.
pub struct Setup {
    _dir: TempDir,
    /// The server's configuration.
    pub server: Arc<ServerConfig>,
    /// The client's, trusting the server's root unless `trusted` said otherwise.
    pub client: Arc<ClientConfig>,
}

/// Configurations for `version` with a server key of `alg`; the client trusts `trusted`, or
/// by default the server's root.
pub fn setup(version: Version, alg: KeyAlg, trusted: Option<&Ca>) -> Setup {
    let dir = TempDir::new("tls-stream-setup");
    let provider = Arc::new(Provider::with_key_store(KeyStore::open(&dir).unwrap()));
    let root = ca("Stream Test Root");
    let mut server = ServerConfig::new(
        provider.clone(),
        CertResolver::new(vec![server_key(&root, alg)]),
    );
    server.versions = vec![version];
    let verifier = ServerCertVerifier::from_pem(trusted.unwrap_or(&root).pem.as_bytes()).unwrap();
    let mut client = ClientConfig::new(provider, verifier);
    client.versions = vec![version];
    Setup {
        _dir: dir,
        server: Arc::new(server),
        client: Arc::new(client),
    }
}

//! Shared fixtures of the keyward-ssl integration tests: a throw-away key store with one RSA
//! and one ECDSA server key, and a client/server pair of providers.

#![allow(dead_code)]

use keyward_core::store::{KeyKind, KeyStore};
use keyward_core::{Result, Status};
use keyward_ssl::{
    CipherSuite, Group, MasterKey, Parameters, PrivateKey, Protocol, Provider, Side,
};
use keyward_test_support::TempDir;
use std::sync::OnceLock;

/// The test store, created once per test binary in a fresh directory.
pub struct Fixture {
    /// The store's directory (a static: it lives as long as the test binary).
    pub dir: TempDir,
    /// Certificate of the RSA-2048 key named "rsa".
    pub rsa_certificate: Vec<u8>,
    /// Certificate of the ECDSA P-256 key named "ecdsa".
    pub ecdsa_certificate: Vec<u8>,
}

/// The shared fixture.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = TempDir::new("ssl-test");
        let store = KeyStore::open(&dir).unwrap();
        let rsa = store
            .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
            .unwrap();
        let ecdsa = store
            .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
            .unwrap();
        Fixture {
            dir,
            rsa_certificate: rsa.certificate().to_vec(),
            ecdsa_certificate: ecdsa.certificate().to_vec(),
        }
    })
}

/// The table entry of a suite the tests use.
pub fn suite(id: u16) -> &'static CipherSuite {
    CipherSuite::from_id(id).unwrap()
}

/// The group with a TLS NamedGroup id.
pub fn group(id: u16) -> Group {
    Group::from_tls_id(id).unwrap()
}

/// A provider over the test store (a new instance each call, as another process would have).
pub fn provider() -> Provider {
    Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap())
}

/// The RSA server key, opened through `SslOpenPrivateKey`.
pub fn rsa_key(provider: &Provider) -> PrivateKey {
    provider
        .open_private_key(&fixture().rsa_certificate)
        .unwrap()
}

/// The ECDSA server key, opened through `SslOpenPrivateKey`.
pub fn ecdsa_key(provider: &Provider) -> PrivateKey {
    provider
        .open_private_key(&fixture().ecdsa_certificate)
        .unwrap()
}

/// The status a call ended with: `SUCCESS` or its error's status.
pub fn status<T>(result: Result<T>) -> Status {
    match result {
        Ok(_) => Status::SUCCESS,
        Err(err) => err.status(),
    }
}

/// The (client, server) master keys of one (EC)DHE key exchange in `group`, both made by
/// `provider`.
pub fn masters(
    provider: &Provider,
    protocol: Protocol,
    suite: &'static CipherSuite,
    group: Group,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (MasterKey, MasterKey) {
    let client_share = provider
        .create_ephemeral_key(protocol, suite, group)
        .unwrap();
    let server_share = provider
        .create_ephemeral_key(protocol, suite, group)
        .unwrap();
    let params = Parameters::with_randoms(client_random, server_random);
    let master = |own: &keyward_ssl::EphemeralKey, peer: &keyward_ssl::EphemeralKey, side| {
        provider
            .generate_master_key(own, &peer.public_key(), protocol, suite, &params, side)
            .unwrap()
    };
    (
        master(&client_share, &server_share, Side::Client),
        master(&server_share, &client_share, Side::Server),
    )
}

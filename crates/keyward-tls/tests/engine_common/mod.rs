//! Shared pieces of the engine tests: a test PKI made once with rcgen, configurations over
//! throw-away key stores, and an in-memory pump between a client and a server connection.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

use keyward_core::store::KeyStore;
use keyward_ssl::{PrivateKey, Provider};
use keyward_test_support::TempDir;
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{
    ClientConfig, ClientConnection, ConnectionCommon, Error, ServerConfig, ServerConnection,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A leaf certificate and its PKCS#8 key.
pub struct Leaf {
    pub cert: Vec<u8>,
    pub pkcs8: Vec<u8>,
}

impl Leaf {
    pub fn certified_key(&self) -> CertifiedKey {
        let key = PrivateKey::from_pkcs8(&self.pkcs8, &self.cert).unwrap();
        CertifiedKey::new(vec![self.cert.clone()], key).unwrap()
    }
}

/// The test PKI: one CA, and leaves for "localhost" and for SNI tests.
pub struct Pki {
    pub ca_pem: String,
    pub rsa: Leaf,
    pub p256: Leaf,
    pub p384: Leaf,
    pub rsa_named: Leaf,
    pub ecdsa_named: Leaf,
}

fn leaf(issuer: &Issuer<'static, KeyPair>, key: KeyPair, names: &[&str]) -> Leaf {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, issuer).unwrap().der().to_vec();
    Leaf {
        cert,
        pkcs8: key.serialize_der(),
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "keyward engine test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca_pem = params.self_signed(&key).unwrap().pem();
        let issuer = Issuer::new(params, key);
        let rsa = || {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap()
        };
        let p256 = || KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        Pki {
            rsa: leaf(&issuer, rsa(), &["localhost"]),
            p256: leaf(&issuer, p256(), &["localhost"]),
            p384: leaf(
                &issuer,
                KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
                &["localhost"],
            ),
            rsa_named: leaf(&issuer, rsa(), &["rsa.example"]),
            ecdsa_named: leaf(&issuer, p256(), &["ecdsa.example"]),
            ca_pem,
        }
    })
}

pub fn provider(tag: &str) -> (Arc<Provider>, TempDir) {
    let dir = TempDir::new(&format!("engine-{tag}"));
    let store = KeyStore::open(&dir).unwrap();
    (Arc::new(Provider::with_key_store(store)), dir)
}

/// The verifier trusting the test CA, read from a PEM file as a deployment would.
pub fn verifier() -> ServerCertVerifier {
    static VERIFIER: OnceLock<ServerCertVerifier> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            let store = provider("ca").1;
            let path = store.join("ca.pem");
            std::fs::write(&path, &pki().ca_pem).unwrap();
            ServerCertVerifier::from_ca_file(&path).unwrap()
        })
        .clone()
}

/// The key stores of a setup (removed when dropped).
pub struct Stores(TempDir, TempDir);

/// A client and a server configuration, each over its own key store.
pub struct Setup {
    pub client: ClientConfig,
    pub server: ServerConfig,
    _stores: Stores,
}

pub fn setup(keys: Vec<CertifiedKey>) -> Setup {
    let (server_provider, server_store) = provider("server");
    let (client_provider, client_store) = provider("client");
    Setup {
        server: ServerConfig::new(server_provider, CertResolver::new(keys)),
        client: ClientConfig::new(client_provider, verifier()),
        _stores: Stores(server_store, client_store),
    }
}

impl Setup {
    /// The configurations, shared, and the stores that must outlive them.
    pub fn into_arcs(self) -> (Arc<ClientConfig>, Arc<ServerConfig>, Stores) {
        (Arc::new(self.client), Arc::new(self.server), self._stores)
    }
}

pub fn rsa_and_ecdsa() -> Setup {
    setup(vec![pki().rsa.certified_key(), pki().p256.certified_key()])
}

/// Which side failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Client(Error),
    Server(Error),
}

/// Moves every pending byte from `from` to `to` and lets `to` process them.
pub fn transfer(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<usize, Error> {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire).unwrap();
    }
    deliver(&wire, to)?;
    Ok(wire.len())
}

/// Feeds `wire` to `to`, processing as it goes.
pub fn deliver(wire: &[u8], to: &mut ConnectionCommon) -> Result<(), Error> {
    let mut rest = wire;
    while !rest.is_empty() {
        let n = to.read_tls(&mut rest).unwrap();
        assert!(n > 0);
        to.process_new_packets()?;
    }
    to.process_new_packets()
}

/// Runs the handshake (and any pending data) to quiescence.
pub fn pump(client: &mut ClientConnection, server: &mut ServerConnection) -> Result<(), Failure> {
    for _ in 0..32 {
        let a = transfer(client, server).map_err(Failure::Server)?;
        let b = transfer(server, client).map_err(Failure::Client)?;
        if a == 0 && b == 0 {
            return Ok(());
        }
    }
    panic!("handshake did not settle");
}

pub fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    name: &str,
) -> Result<(ClientConnection, ServerConnection), Failure> {
    let mut c = ClientConnection::new(client.clone(), name).map_err(Failure::Client)?;
    let mut s = ServerConnection::new(server.clone()).map_err(Failure::Server)?;
    pump(&mut c, &mut s)?;
    assert!(!c.is_handshaking() && !s.is_handshaking());
    Ok((c, s))
}

/// Sends `data` both ways and checks it arrives.
pub fn exchange(client: &mut ClientConnection, server: &mut ServerConnection, data: &[u8]) {
    client.writer().write_all(data).unwrap();
    pump(client, server).unwrap();
    assert_eq!(read_all(server), data);
    server.writer().write_all(data).unwrap();
    pump(client, server).unwrap();
    assert_eq!(read_all(client), data);
}

pub fn read_all(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    out
}

pub fn suite(name: &str) -> &'static keyward_ssl::CipherSuite {
    keyward_ssl::suites::CIPHER_SUITES
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no suite {name}"))
}

/// Wraps handshake bytes (or any content) in plaintext TLS 1.2 records.
pub fn records(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in payload.chunks(16384) {
        out.extend_from_slice(&[content_type, 3, 3]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// Everything `conn` wants to send.
pub fn sent(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut wire = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut wire).unwrap();
    }
    wire
}

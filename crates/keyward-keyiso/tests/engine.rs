//! keyward-tls, unchanged, on the isolated provider: a server whose `ServerConfig` is built
//! on `isolated_provider(socket)` completes TLS 1.2 (ECDHE and RSA key exchange) and TLS 1.3
//! handshakes with an in-process keyward-tls client, and carries application data both ways
//! and agrees on exporters. The serving side has no key store: its private key and master
//! secrets are handles the daemon serves, as the daemon's live-handle count shows.

mod common;

use common::*;
use keyward_core::Status;
use keyward_keyiso::isolated_provider;
use keyward_ssl::CipherSuite;
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Version};
use std::io::{Read, Write};
use std::sync::Arc;

/// A server config on the isolated provider for the fixture key of `certificate`.
fn isolated_server(socket: &std::path::Path, certificate: &[u8]) -> ServerConfig {
    let provider = Arc::new(isolated_provider(socket).unwrap());
    assert!(provider.is_isolated());
    assert_eq!(provider.name(), "Keyward Isolated SSL Provider");
    // The serving process has no key store at all.
    assert_eq!(
        status(provider.key_store().map(|_| ())),
        Status::NTE_NOT_SUPPORTED
    );
    let key = provider.open_private_key(certificate).unwrap();
    let certified = CertifiedKey::new(vec![certificate.to_vec()], key).unwrap();
    ServerConfig::new(provider, CertResolver::new(vec![certified]))
}

/// One handshake and a request/response, with the exporters of both sides compared.
fn handshake(
    server: &Arc<ServerConfig>,
    version: Version,
    suite: Option<u16>,
) -> keyward_tls::ConnectionInfo {
    let mut client = ClientConfig::new(Arc::new(peer()), ServerCertVerifier::insecure());
    client.versions = vec![version];
    if let Some(id) = suite {
        client.cipher_suites = vec![CipherSuite::from_id(id).unwrap()];
    }
    let mut c = ClientConnection::new(Arc::new(client), "localhost").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    exchange(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());

    c.writer().write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    exchange(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 64];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"GET / HTTP/1.1\r\n\r\n");
    s.writer()
        .write_all(b"HTTP/1.1 200 OK\r\n\r\nhello")
        .unwrap();
    exchange(&mut c, &mut s).unwrap();
    let n = c.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"HTTP/1.1 200 OK\r\n\r\nhello");

    let (mut ours, mut theirs) = ([0u8; 32], [0u8; 32]);
    c.export_keying_material(&mut ours, b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    s.export_keying_material(&mut theirs, b"EXPORTER-test", Some(b"ctx"))
        .unwrap();
    assert_eq!(ours, theirs);
    s.info().unwrap().clone()
}

#[test]
fn tls12_ecdhe_rsa_ecdsa_and_rsa_key_exchange_and_tls13_through_the_daemon() {
    let daemon = start_daemon();
    let socket = daemon.socket();
    let rsa = Arc::new(isolated_server(&socket, &fixture().rsa_certificate));
    let ecdsa = Arc::new(isolated_server(&socket, &fixture().ecdsa_certificate));

    let info = handshake(&rsa, Version::Tls12, Some(0xC02F));
    assert_eq!(
        info.suite.id, 0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    );
    let info = handshake(&ecdsa, Version::Tls12, Some(0xC02B));
    assert_eq!(
        info.suite.id, 0xC02B,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    );
    let info = handshake(&rsa, Version::Tls12, Some(0x009C));
    assert_eq!(info.suite.id, 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256");
    assert!(info.group.is_none(), "RSA key exchange");
    let info = handshake(&rsa, Version::Tls12, Some(0x002F));
    assert_eq!(info.suite.id, 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA");
    for server in [&rsa, &ecdsa] {
        let info = handshake(server, Version::Tls13, None);
        assert_eq!(info.version, Version::Tls13);
    }
    // A second round on the same server configs, each with a new client config (so a new
    // session store): full handshakes again. Resumption is tests/resumption.rs.
    let info = handshake(&rsa, Version::Tls12, Some(0xC02F));
    assert!(!info.resumed);
    let info = handshake(&rsa, Version::Tls13, None);
    assert!(!info.resumed);
}

/// The serving side's provider never held the key or a master secret: it has no key store,
/// and every handshake's key objects are the daemon's handles, freed when the connection is
/// done; only the two server keys stay open.
#[test]
fn the_serving_process_holds_only_handles() {
    let daemon = start_daemon();
    let socket = daemon.socket();
    let before = daemon.daemon.live_handles();
    let server = Arc::new(isolated_server(&socket, &fixture().rsa_certificate));
    assert_eq!(daemon.wait_for_live_handles(before + 1), before + 1);

    // During a handshake the daemon holds more than the key: the ephemeral key and the
    // master key live there, not here.
    let mut client = ClientConfig::new(Arc::new(peer()), ServerCertVerifier::insecure());
    client.versions = vec![Version::Tls12];
    client.cipher_suites = vec![CipherSuite::from_id(0xC02F).unwrap()];
    let mut c = ClientConnection::new(Arc::new(client), "localhost").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    move_bytes(&mut c, &mut s).unwrap(); // ClientHello → ServerHello … ServerHelloDone
    assert!(
        daemon.daemon.live_handles() > before + 1,
        "the server's ephemeral key is in the daemon"
    );
    exchange(&mut c, &mut s).unwrap();
    assert!(!s.is_handshaking());
    drop(s);
    drop(c);
    // Left: the private key, and the next handshake's ephemeral key, made ahead.
    assert_eq!(daemon.wait_for_live_handles(before + 2), before + 2);

    drop(server);
    assert_eq!(daemon.wait_for_live_handles(before), before);
}

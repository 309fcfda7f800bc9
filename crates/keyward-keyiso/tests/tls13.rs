//! A TLS 1.3 handshake whose server side runs its key schedule in the daemon: the handshake
//! and master secrets stay there, the test's process receives only traffic keys, and those
//! keys protect records an in-process keyward-ssl client opens, and back.

mod common;

use common::*;
use keyward_core::backend::{hash, Curve, HashAlgorithm};
use keyward_core::Status;
use keyward_keyiso::Client;
use keyward_ssl::{CipherSuite, Group, Protocol, SecretKind, SignaturePadding};

const TLS13: Protocol = Protocol::Tls13;

fn handshake(suite_id: u16, group: Group) {
    let suite = CipherSuite::from_id(suite_id).unwrap();
    let test_daemon = start_daemon();
    let server = Client::connect(test_daemon.socket()).unwrap();
    let client = peer();

    // Key shares.
    let client_share = client.create_ephemeral_key(TLS13, suite, group).unwrap();
    let server_share = server.create_ephemeral_key(TLS13, suite, group).unwrap();
    let mut transcript = client.create_handshake_hash(TLS13, suite).unwrap();
    transcript.update(b"ClientHello");
    transcript.update(b"ServerHello");

    // Handshake secrets: in process for the client, in the daemon for the server.
    let client_early = client.extract_early_key(None, TLS13, suite).unwrap();
    let client_handshake = client
        .extract_handshake_key(
            &client_share,
            &server_share.public_key().unwrap(),
            &client_early,
        )
        .unwrap();
    let server_early = server.extract_early_key(suite).unwrap();
    let server_handshake = server
        .extract_handshake_key(
            &server_share,
            &client_share.public_key().to_tls().unwrap(),
            &server_early,
        )
        .unwrap();
    assert_eq!(server_handshake.kind(), SecretKind::Handshake);

    let (client_hs_c, client_hs_s) = client
        .expand_traffic_keys(&client_handshake, &transcript)
        .unwrap();
    let (client_hs_c, client_hs_s) = (client_hs_c.unwrap(), client_hs_s.unwrap());
    let (server_hs_c, server_hs_s) = server
        .expand_traffic_keys(&server_handshake, &transcript.current_digest())
        .unwrap();
    let server_hs_s = server_hs_s.unwrap();
    assert_eq!(server_hs_s.kind(), SecretKind::ServerHandshakeTraffic);

    // Handshake records both ways (a TLS 1.3 key serves both directions).
    let server_hs_write = server.expand_write_key(&server_hs_s).unwrap();
    let server_hs_read = server.expand_write_key(&server_hs_c).unwrap();
    let client_hs_read = client.expand_write_key(&client_hs_s).unwrap();
    let client_hs_write = client.expand_write_key(&client_hs_c).unwrap();
    records_interoperate(
        (&server_hs_write, &server_hs_read),
        (&client_hs_write, &client_hs_read),
    );

    // CertificateVerify signed in the daemon with RSA-PSS (RFC 8446 §4.4.3).
    let key = server.open_private_key(&fixture().rsa_certificate).unwrap();
    transcript.update(b"EncryptedExtensions Certificate");
    let content = [
        &[0x20u8; 64][..],
        b"TLS 1.3, server CertificateVerify\0",
        &transcript.current_digest(),
    ]
    .concat();
    let digest = hash(HashAlgorithm::Sha256, &content);
    let padding = SignaturePadding::Pss(HashAlgorithm::Sha256);
    let signature = server.sign_hash(&key, digest.as_bytes(), padding).unwrap();
    certificate_key(&fixture().rsa_certificate)
        .verify_signature(digest.as_bytes(), &signature, padding)
        .unwrap();
    transcript.update(b"CertificateVerify");

    // Server Finished, computed in the daemon, equals the client's expectation.
    assert_eq!(
        server
            .compute_tls13_finished(&server_hs_s, &transcript.current_digest())
            .unwrap(),
        client_hs_s.compute_finished_hash(&transcript).unwrap()
    );
    transcript.update(b"server Finished");

    // Application secrets and keys.
    let client_master = client.extract_master_key(&client_handshake).unwrap();
    let server_master = server.extract_master_key(&server_handshake).unwrap();
    let (client_ap_c, client_ap_s) = client
        .expand_traffic_keys(&client_master, &transcript)
        .unwrap();
    let (server_ap_c, server_ap_s) = server
        .expand_traffic_keys(&server_master, &transcript.current_digest())
        .unwrap();
    let server_ap_s = server_ap_s.unwrap();
    records_interoperate(
        (
            &server.expand_write_key(&server_ap_s).unwrap(),
            &server.expand_write_key(&server_ap_c).unwrap(),
        ),
        (
            &client.expand_write_key(&client_ap_c.unwrap()).unwrap(),
            &client.expand_write_key(&client_ap_s.unwrap()).unwrap(),
        ),
    );

    // The client's Finished, checked by the daemon's computation.
    assert_eq!(
        server
            .compute_tls13_finished(&server_hs_c, &transcript.current_digest())
            .unwrap(),
        client_hs_c.compute_finished_hash(&transcript).unwrap()
    );

    // Exporters agree.
    let client_exporter = client
        .expand_exporter_master_key(&client_master, &transcript)
        .unwrap();
    let server_exporter = server
        .expand_exporter_master_key(&server_master, &transcript.current_digest())
        .unwrap();
    let mut expected = [0u8; 48];
    client_exporter
        .export_keying_material(b"EXPORTER-keyiso", Some(b"ctx"), &mut expected)
        .unwrap();
    let exported = server
        .export_tls13_keying_material(&server_exporter, b"EXPORTER-keyiso", Some(b"ctx"), 48)
        .unwrap();
    assert_eq!(exported.expose(), expected);

    // The daemon refuses a write key of a non-traffic secret and a digest of another hash.
    assert_eq!(
        status(server.compute_tls13_finished(&server_hs_s, &[0; 20])),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(server.export_tls13_keying_material(&server_master, b"x", None, 16)),
        Status::NTE_INVALID_HANDLE
    );

    // ephemeral, early, handshake, 2 hs traffic, key, master, 2 ap traffic, exporter.
    assert_eq!(test_daemon.daemon.live_handles(), 10);
    drop(server);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

#[test]
fn tls13_aes128_x25519_through_the_daemon() {
    handshake(0x1301, Group::Ec(Curve::X25519));
}

#[test]
fn tls13_aes256_p384_through_the_daemon() {
    handshake(0x1302, Group::Ec(Curve::P384));
}

#[test]
fn tls13_chacha_p256_through_the_daemon() {
    handshake(0x1303, Group::Ec(Curve::P256));
}

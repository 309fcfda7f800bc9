//! TLS 1.2 handshakes whose server side runs through the daemon (its private key and master
//! secret never in the test's process), against an in-process keyward-ssl client: the
//! session keys the daemon sends must protect records the in-process side opens, and back.

mod common;

use common::*;
use keyward_core::backend::{hash, Curve, HashAlgorithm};
use keyward_core::Status;
use keyward_keyiso::{Client, KeyAlgorithm};
use keyward_ssl::{CipherSuite, Group, Parameters, Protocol, Side, SignaturePadding};

const TLS12: Protocol = Protocol::Tls12;
const CLIENT_RANDOM: [u8; 32] = [0xC1; 32];
const SERVER_RANDOM: [u8; 32] = [0x5E; 32];

fn randoms64() -> [u8; 64] {
    let mut randoms = [0u8; 64];
    randoms[..32].copy_from_slice(&CLIENT_RANDOM);
    randoms[32..].copy_from_slice(&SERVER_RANDOM);
    randoms
}

/// An ECDHE handshake: the daemon signs the ServerKeyExchange and derives the server's master
/// key; Finished, session keys and the exporter agree with the in-process client.
fn ecdhe(suite_id: u16, curve: Curve, certificate: &[u8], padding: SignaturePadding) {
    let suite = CipherSuite::from_id(suite_id).unwrap();
    let group = Group::Ec(curve);
    let test_daemon = start_daemon();
    let server = Client::connect(test_daemon.socket()).unwrap();
    let client = peer();

    // SslOpenPrivateKey, SslCreateEphemeralKey, SslSignHash in the daemon.
    let key = server.open_private_key(certificate).unwrap();
    assert_eq!(key.certificate(), certificate);
    let server_share = server.create_ephemeral_key(TLS12, suite, group).unwrap();
    let mut server_params = vec![3];
    server_params.extend_from_slice(&group.tls_id().to_be_bytes());
    server_params.push(server_share.public_value().len() as u8);
    server_params.extend_from_slice(server_share.public_value());
    let signed = [&CLIENT_RANDOM[..], &SERVER_RANDOM, &server_params].concat();
    let digest = hash(HashAlgorithm::Sha256, &signed);
    let signature = server.sign_hash(&key, digest.as_bytes(), padding).unwrap();
    assert_eq!(signature.len(), key.signature_len());
    certificate_key(certificate)
        .verify_signature(digest.as_bytes(), &signature, padding)
        .unwrap();

    // The client's side, in process.
    let randoms = Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM);
    let client_share = client.create_ephemeral_key(TLS12, suite, group).unwrap();
    let client_master = client
        .generate_master_key(
            &client_share,
            &server_share.public_key().unwrap(),
            TLS12,
            suite,
            &randoms,
            Side::Client,
        )
        .unwrap();
    // The server's master key, in the daemon.
    let server_master = server
        .generate_master_key(
            &server_share,
            &client_share.public_key().to_tls().unwrap(),
            TLS12,
            suite,
            &randoms,
            Side::Server,
        )
        .unwrap();

    let mut transcript = client.create_handshake_hash(TLS12, suite).unwrap();
    transcript.update(b"ClientHello ServerHello Certificate ServerKeyExchange ...");
    for sender in [Side::Client, Side::Server] {
        assert_eq!(
            server
                .compute_finished_hash(&server_master, &transcript.current_digest(), sender)
                .unwrap(),
            client_master
                .compute_finished_hash(&transcript, sender)
                .unwrap()
        );
    }

    let server_keys = server
        .generate_session_keys(&server_master, &randoms)
        .unwrap();
    let client_keys = client_master.generate_session_keys(&randoms).unwrap();
    records_interoperate(
        (&server_keys.write, &server_keys.read),
        (&client_keys.write, &client_keys.read),
    );

    let mut expected = [0u8; 32];
    client_master
        .export_keying_material(
            b"EXPORTER-keyiso",
            &randoms64(),
            Some(b"ctx"),
            &mut expected,
        )
        .unwrap();
    let exported = server
        .export_keying_material(
            &server_master,
            b"EXPORTER-keyiso",
            &randoms64(),
            Some(b"ctx"),
            32,
        )
        .unwrap();
    assert_eq!(exported.expose(), expected);

    assert_eq!(test_daemon.daemon.live_handles(), 3);
    drop(server);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

#[test]
fn ecdhe_rsa_through_the_daemon() {
    ecdhe(
        0xC02F, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        Curve::X25519,
        &fixture().rsa_certificate,
        SignaturePadding::Pkcs1(HashAlgorithm::Sha256),
    );
}

#[test]
fn ecdhe_rsa_pss_with_chacha_through_the_daemon() {
    ecdhe(
        0xCCA8, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        Curve::P384,
        &fixture().rsa_certificate,
        SignaturePadding::Pss(HashAlgorithm::Sha256),
    );
}

#[test]
fn ecdhe_ecdsa_through_the_daemon() {
    ecdhe(
        0xC02B, // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        Curve::P256,
        &fixture().ecdsa_certificate,
        SignaturePadding::Raw,
    );
}

/// RSA key exchange: the daemon decrypts the premaster; the session keys interoperate.
fn rsa_key_exchange(suite_id: u16, encrypt_then_mac: bool) {
    let suite = CipherSuite::from_id(suite_id).unwrap();
    let test_daemon = start_daemon();
    let server = Client::connect(test_daemon.socket()).unwrap();
    let client = peer();
    let key = server.open_private_key(&fixture().rsa_certificate).unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Rsa);

    let mut params =
        Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM).highest_version(0x0303);
    params.encrypt_then_mac = encrypt_then_mac;
    let (client_master, encrypted_premaster) = client
        .generate_master_key_rsa(
            &certificate_key(&fixture().rsa_certificate),
            TLS12,
            suite,
            &params,
        )
        .unwrap();
    let server_master = server
        .import_master_key(&key, TLS12, suite, &params, &encrypted_premaster)
        .unwrap();

    let mut transcript = client.create_handshake_hash(TLS12, suite).unwrap();
    transcript.update(b"ClientHello ServerHello Certificate ClientKeyExchange");
    assert_eq!(
        server
            .compute_finished_hash(&server_master, &transcript.current_digest(), Side::Client)
            .unwrap(),
        client_master
            .compute_finished_hash(&transcript, Side::Client)
            .unwrap()
    );
    let server_keys = server
        .generate_session_keys(&server_master, &params)
        .unwrap();
    let client_keys = client_master.generate_session_keys(&params).unwrap();
    assert_eq!(server_keys.write.cbc_mode(), client_keys.read.cbc_mode());
    records_interoperate(
        (&server_keys.write, &server_keys.read),
        (&client_keys.write, &client_keys.read),
    );

    // No oracle: a corrupted premaster still gives a master key, whose Finished differs.
    let mut corrupted = encrypted_premaster.clone();
    corrupted[10] ^= 0x40;
    let wrong_master = server
        .import_master_key(&key, TLS12, suite, &params, &corrupted)
        .unwrap();
    assert_ne!(
        server
            .compute_finished_hash(&wrong_master, &transcript.current_digest(), Side::Client)
            .unwrap(),
        client_master
            .compute_finished_hash(&transcript, Side::Client)
            .unwrap()
    );
}

#[test]
fn rsa_key_exchange_with_gcm_through_the_daemon() {
    rsa_key_exchange(0x009C, false); // TLS_RSA_WITH_AES_128_GCM_SHA256
}

#[test]
fn rsa_key_exchange_with_cbc_and_encrypt_then_mac_through_the_daemon() {
    rsa_key_exchange(0x002F, true); // TLS_RSA_WITH_AES_128_CBC_SHA
}

#[test]
fn rsa_key_exchange_with_cbc_through_the_daemon() {
    rsa_key_exchange(0x003C, false); // TLS_RSA_WITH_AES_128_CBC_SHA256
}

#[test]
fn wrong_kinds_of_handles_and_digests_are_refused() {
    let suite = CipherSuite::from_id(0xC02F).unwrap();
    let test_daemon = start_daemon();
    let server = Client::connect(test_daemon.socket()).unwrap();
    let ecdsa = server
        .open_private_key(&fixture().ecdsa_certificate)
        .unwrap();
    let params = Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM).highest_version(0x0303);
    // An ECDSA key cannot decrypt an RSA premaster. The import is pipelined, so the failure
    // is the answer to every use of the master key's name, until the name is freed.
    let rsa_suite = CipherSuite::from_id(0x009C).unwrap();
    let failed = server
        .import_master_key(&ecdsa, TLS12, rsa_suite, &params, &[1; 256])
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            status(server.compute_finished_hash(&failed, &[0; 32], Side::Client)),
            Status::NTE_BAD_ALGID
        );
    }
    assert_eq!(
        test_daemon.daemon.live_handles(),
        1,
        "a failed name is no object"
    );
    server.free(failed.handle()).unwrap();
    assert_eq!(
        status(server.compute_finished_hash(&failed, &[0; 32], Side::Client)),
        Status::NTE_INVALID_HANDLE
    );
    // A transcript digest of the wrong length.
    let share = server
        .create_ephemeral_key(TLS12, suite, Group::Ec(Curve::X25519))
        .unwrap();
    let other = peer()
        .create_ephemeral_key(TLS12, suite, Group::Ec(Curve::X25519))
        .unwrap();
    let master = server
        .generate_master_key(
            &share,
            &other.public_key().to_tls().unwrap(),
            TLS12,
            suite,
            &params,
            Side::Server,
        )
        .unwrap();
    assert_eq!(
        status(server.compute_finished_hash(&master, &[0; 48], Side::Client)),
        Status::NTE_INVALID_PARAMETER
    );
    // A bad peer value: the status shows at the (pipelined) master key's first use.
    let bad = server
        .generate_master_key(&share, &[0; 31], TLS12, suite, &params, Side::Server)
        .unwrap();
    assert_eq!(
        status(server.generate_session_keys(&bad, &params)),
        Status::NTE_BAD_DATA
    );
    server.free(bad.handle()).unwrap();
    // Freed handles are gone; unknown certificates have no key.
    server.free(master.handle()).unwrap();
    assert_eq!(
        status(server.free(master.handle())),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(server.compute_finished_hash(&master, &[0; 32], Side::Client)),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(server.open_private_key(b"not a certificate")),
        status(
            keyward_ssl::Provider::with_key_store(
                keyward_core::store::KeyStore::open(&fixture().dir).unwrap()
            )
            .open_private_key(b"not a certificate")
        )
    );
}

//! The client side of RSA key exchange on the isolated provider (`SslGeneratePreMasterKey`,
//! then `SslGenerateMasterKey` with the premaster), and `SslComputeEapKeyBlock` on an isolated
//! master key: the premaster and master secret stay in the daemon (its live handles count
//! them), and everything agrees with an in-process server over the same key store.

mod common;

use common::*;
use keyward_core::store::KeyStore;
use keyward_keyiso::isolated_provider;
use keyward_ssl::{CipherSuite, Parameters, Protocol, Provider, Side};

const CLIENT_RANDOM: [u8; 32] = [0xC1; 32];
const SERVER_RANDOM: [u8; 32] = [0x5E; 32];

#[test]
fn an_isolated_rsa_client_agrees_with_an_in_process_server() {
    let test_daemon = start_daemon();
    let client = isolated_provider(&test_daemon.socket()).unwrap();
    let server = Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap());
    let server_key = server.open_private_key(&fixture().rsa_certificate).unwrap();
    let suite = CipherSuite::from_id(0x009C).unwrap(); // TLS_RSA_WITH_AES_128_GCM_SHA256
    let params = Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM).highest_version(0x0303);

    let (premaster, encrypted) = client
        .generate_premaster_key(
            &certificate_key(&fixture().rsa_certificate),
            Protocol::Tls12,
            suite,
            &params,
        )
        .unwrap();
    assert_eq!(encrypted.len(), 256);
    assert_eq!(test_daemon.wait_for_live_handles(1), 1, "the premaster");
    // Pipelined: the master key goes to the daemon with the first Finished below.
    let client_master = premaster.master_key(&params).unwrap();
    let server_master = server
        .import_master_key(&server_key, Protocol::Tls12, suite, &params, &encrypted)
        .unwrap();

    let digest = [0x42; 32];
    for sender in [Side::Client, Side::Server] {
        assert_eq!(
            client_master
                .compute_finished_for_digest(&digest, sender)
                .unwrap(),
            server_master
                .compute_finished_for_digest(&digest, sender)
                .unwrap()
        );
    }
    assert_eq!(
        test_daemon.wait_for_live_handles(2),
        2,
        "the premaster and the master key"
    );
    // Session keys and a Finished in one round trip pair up with the other side's.
    let mut transcript = server
        .create_handshake_hash(Protocol::Tls12, suite)
        .unwrap();
    transcript.update(b"ClientHello ... ClientKeyExchange");
    let key_params = Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM);
    let (client_keys, client_finished) = client_master
        .generate_session_keys_with_finished(&key_params, &transcript, Side::Client)
        .unwrap();
    let server_keys = server_master.generate_session_keys(&key_params).unwrap();
    assert_eq!(
        client_finished,
        server_master
            .compute_finished_hash(&transcript, Side::Client)
            .unwrap()
    );
    for (ours, theirs) in [
        (&client_keys.write, &server_keys.read),
        (&client_keys.read, &server_keys.write),
    ] {
        assert_eq!(
            ours.export_key_material().unwrap().expose(),
            theirs.export_key_material().unwrap().expose()
        );
    }
    let mut randoms = [0; 64];
    randoms[..32].copy_from_slice(&CLIENT_RANDOM);
    randoms[32..].copy_from_slice(&SERVER_RANDOM);
    for eap_id in 0..4 {
        let isolated = client_master
            .compute_eap_key_block(&randoms, eap_id)
            .unwrap();
        let in_process = server_master
            .compute_eap_key_block(&randoms, eap_id)
            .unwrap();
        assert_eq!(
            isolated.expose(),
            in_process.expose(),
            "EAP method {eap_id}"
        );
    }
    // An unknown EAP method is refused before the daemon is asked.
    assert_eq!(
        status(client_master.compute_eap_key_block(&randoms, 4)),
        keyward_core::Status::NTE_BAD_FLAGS
    );

    drop((premaster, client_master));
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

/// `SslExportKey`/`SslImportKey` of a session key as an opaque blob on the isolated provider:
/// the daemon seals the key (this process's own) under its store, and a second isolated
/// provider, on another connection, opens it and carries on where the first stood. A master
/// key's blob is not a session key, and a tampered blob opens nowhere.
#[test]
fn isolated_session_keys_travel_as_blobs_sealed_by_the_daemon() {
    let test_daemon = start_daemon();
    let client = isolated_provider(&test_daemon.socket()).unwrap();
    let server = Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap());
    let server_key = server.open_private_key(&fixture().rsa_certificate).unwrap();
    // TLS_RSA_WITH_AES_128_CBC_SHA256 with encrypt-then-MAC: MAC key, key and IV all travel.
    let suite = CipherSuite::from_id(0x003C).unwrap();
    let mut params =
        Parameters::with_randoms(&CLIENT_RANDOM, &SERVER_RANDOM).highest_version(0x0303);
    params.encrypt_then_mac = true;
    let (client_master, encrypted) = client
        .generate_master_key_rsa(
            &certificate_key(&fixture().rsa_certificate),
            Protocol::Tls12,
            suite,
            &params,
        )
        .unwrap();
    let server_master = server
        .import_master_key(&server_key, Protocol::Tls12, suite, &params, &encrypted)
        .unwrap();
    let client_keys = client_master.generate_session_keys(&params).unwrap();
    let server_keys = server_master.generate_session_keys(&params).unwrap();

    let blob = client.export_session_key(&client_keys.write).unwrap();
    let other = isolated_provider(&test_daemon.socket()).unwrap();
    let keyward_ssl::OpaqueKey::Session(moved) = other.import_opaque_key(&blob).unwrap() else {
        panic!("a session key blob opened as another kind");
    };
    record_crosses(&moved, &server_keys.read, 7, b"moved to another process");

    let mut tampered = blob.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        status(other.import_opaque_key(&tampered)),
        keyward_core::Status::NTE_BAD_DATA
    );
    // The master key's blob opens as a master key, kept by the daemon, not as a session key.
    let master_blob = client.export_master_key(&client_master).unwrap();
    assert!(matches!(
        other.import_opaque_key(&master_blob).unwrap(),
        keyward_ssl::OpaqueKey::Master(_)
    ));
}

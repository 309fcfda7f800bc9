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
    let client_master = premaster.master_key(&params).unwrap();
    assert_eq!(
        test_daemon.wait_for_live_handles(2),
        2,
        "and the master key"
    );
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

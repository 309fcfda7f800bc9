//! What crosses the socket: a TLS 1.3 server key schedule run through the daemon, with every
//! byte between client and daemon recorded by a relay. None of the schedule's secrets (early,
//! handshake, master, traffic, exporter master) appears in the recording; the record keys do,
//! as they must.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_keyiso::Client;
use keyward_ssl::{CipherSuite, Group, Protocol, Tls13Secret};
use keyward_test_support::TempDir;

/// The raw bytes of an in-process secret (the explicit key-log export), which equal the
/// daemon's copy of the same secret.
fn raw(provider: &keyward_ssl::Provider, secret: &Tls13Secret) -> Vec<u8> {
    let blob = provider.export_key_data(secret).unwrap();
    blob[blob.len() - 32..].to_vec()
}

#[test]
fn no_schedule_secret_crosses_the_socket() {
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let group = Group::Ec(Curve::X25519);
    let tls13 = Protocol::Tls13;
    let test_daemon = start_daemon();
    let relay_dir = TempDir::new("keyiso-relay");
    let relay_path = relay_dir.join("relay.sock");
    let log = relay(&relay_path, &test_daemon.socket());
    let server = Client::connect(&relay_path).unwrap();
    let client = peer();

    let client_share = client.create_ephemeral_key(tls13, suite, group).unwrap();
    let server_share = server.create_ephemeral_key(tls13, suite, group).unwrap();
    let mut transcript = client.create_handshake_hash(tls13, suite).unwrap();
    transcript.update(b"ClientHello ServerHello");
    let early = client.extract_early_key(None, tls13, suite).unwrap();
    let handshake = client
        .extract_handshake_key(&client_share, &server_share.public_key().unwrap(), &early)
        .unwrap();
    let server_early = server.extract_early_key(suite).unwrap();
    let server_handshake = server
        .extract_handshake_key(
            &server_share,
            &client_share.public_key().to_tls().unwrap(),
            &server_early,
        )
        .unwrap();
    let (c_hs, s_hs) = client.expand_traffic_keys(&handshake, &transcript).unwrap();
    let (c_hs, s_hs) = (c_hs.unwrap(), s_hs.unwrap());
    let (_, server_s_hs) = server
        .expand_traffic_keys(&server_handshake, &transcript.current_digest())
        .unwrap();
    let server_s_hs = server_s_hs.unwrap();
    let server_write = server.expand_write_key(&server_s_hs).unwrap();
    server
        .compute_tls13_finished(&server_s_hs, &transcript.current_digest())
        .unwrap();
    transcript.update(b"... server Finished");
    let master = client.extract_master_key(&handshake).unwrap();
    let server_master = server.extract_master_key(&server_handshake).unwrap();
    let (c_ap, s_ap) = client.expand_traffic_keys(&master, &transcript).unwrap();
    let (c_ap, s_ap) = (c_ap.unwrap(), s_ap.unwrap());
    let (_, server_s_ap) = server
        .expand_traffic_keys(&server_master, &transcript.current_digest())
        .unwrap();
    server.expand_write_key(&server_s_ap.unwrap()).unwrap();
    let exporter = client
        .expand_exporter_master_key(&master, &transcript)
        .unwrap();
    server
        .expand_exporter_master_key(&server_master, &transcript.current_digest())
        .unwrap();

    // The daemon's write key is the in-process one: the relay saw its key and IV cross.
    let client_read = client.expand_write_key(&s_hs).unwrap();
    record_crosses(&server_write, &client_read, 0, b"finished");
    drop(server);
    // Wait for the relay to see the close.
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
    let recorded = log.lock().unwrap().clone();
    let key_data = client.export_write_key_data(&client_read).unwrap();
    let key_and_iv = &key_data[key_data.len() - 28..];
    assert!(
        contains(&recorded, key_and_iv),
        "the relay recorded the traffic"
    );

    for (name, secret) in [
        ("early", &early),
        ("handshake", &handshake),
        ("client handshake traffic", &c_hs),
        ("server handshake traffic", &s_hs),
        ("master", &master),
        ("client application traffic", &c_ap),
        ("server application traffic", &s_ap),
        ("exporter master", &exporter),
    ] {
        let bytes = raw(&client, secret);
        for window in bytes.windows(8) {
            assert!(
                !contains(&recorded, window),
                "8 bytes of the {name} secret crossed the socket"
            );
        }
    }
}

/// A server's application traffic secrets and the client Finished it expects come in one
/// round trip, and equal what an in-process provider computes step by step.
#[test]
fn traffic_keys_and_the_expected_finished_come_together() {
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let tls13 = Protocol::Tls13;
    let test_daemon = start_daemon();
    let isolated = keyward_keyiso::isolated_provider(&test_daemon.socket()).unwrap();
    let local = keyward_ssl::Provider::open(None).unwrap();
    // The early secret without a PSK is the same everywhere, and so is all that follows.
    let run = |provider: &keyward_ssl::Provider| {
        let mut transcript = provider.create_handshake_hash(tls13, suite).unwrap();
        transcript.update(b"ClientHello");
        let early = provider.extract_early_key(None, tls13, suite).unwrap();
        let (first, _) = provider.expand_traffic_keys(&early, &transcript).unwrap();
        let first = first.unwrap();
        transcript.update(b"... and more");
        let ((traffic, none), finished) = provider
            .expand_traffic_keys_with_finished(&early, &transcript, &first)
            .unwrap();
        assert!(none.is_none());
        let step_by_step = first.compute_finished_hash(&transcript).unwrap();
        assert_eq!(finished, step_by_step);
        let key = provider.expand_write_key(&traffic.unwrap()).unwrap();
        (finished, key.export_key_material().unwrap())
    };
    let (isolated_finished, isolated_key) = run(&isolated);
    let (local_finished, local_key) = run(&local);
    assert_eq!(isolated_finished, local_finished);
    assert_eq!(isolated_key.expose(), local_key.expose());
    assert_eq!(test_daemon.wait_for_live_handles(0), 0, "all freed on drop");
}

/// An external PSK (`SslImportKey` of `TLS13PRESHAREDKEY`) goes into the daemon, which keeps
/// it: the schedule from it runs there and gives what it gives in process, and the isolated
/// provider has no way to read it back.
#[test]
fn an_external_psk_is_handed_to_the_daemon() {
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let tls13 = Protocol::Tls13;
    let test_daemon = start_daemon();
    let isolated = keyward_keyiso::isolated_provider(&test_daemon.socket()).unwrap();
    let local = keyward_ssl::Provider::open(None).unwrap();
    let binder = |provider: &keyward_ssl::Provider, psk: &Tls13Secret| {
        let early = provider.extract_early_key(Some(psk), tls13, suite).unwrap();
        let binder_key = provider.expand_binder_key(&early, false).unwrap();
        binder_key.compute_finished_for_digest(&[1; 32]).unwrap()
    };
    let psk = isolated
        .import_pre_shared_key(tls13, suite, b"an external psk")
        .unwrap();
    let theirs = local
        .import_pre_shared_key(tls13, suite, b"an external psk")
        .unwrap();
    assert_eq!(psk.kind(), keyward_ssl::SecretKind::PreSharedKey);
    assert_eq!(binder(&isolated, &psk), binder(&local, &theirs));
    assert_eq!(
        test_daemon.wait_for_live_handles(1),
        1,
        "the daemon keeps the PSK"
    );
    assert_eq!(
        status(isolated.export_key_data(&psk)),
        keyward_core::Status::NTE_NOT_SUPPORTED
    );
    // Lengths are checked before anything is sent.
    for bad in [&[][..], &[7; 1025][..]] {
        assert_eq!(
            status(isolated.import_pre_shared_key(tls13, suite, bad)),
            keyward_core::Status::NTE_INVALID_PARAMETER
        );
    }
    drop(psk);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

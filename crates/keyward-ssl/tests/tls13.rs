//! The TLS 1.3 key schedule between a client and a server provider, for every suite × group:
//! both sides derive the same secrets (equal Finished values and exporter output) and read each
//! other's records; plus opaque blobs of TLS 1.3 secrets, and the errors of misuse.

mod common;

#[allow(unused_imports)]
use common::{group, suite};
#[allow(unused_imports)]
use keyward_ssl::Protocol;

use common::status;
use keyward_core::Status;
use keyward_ssl::keys::PublicBlobType;
use keyward_ssl::{Group, HandshakeHash, OpaqueKey, Provider, SecretKind, SessionKey, Tls13Secret};

const TLS1_3: Protocol = Protocol::Tls13;
const SUITES: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// One side's view of a finished handshake.
struct Side {
    provider: Provider,
    transcript: HandshakeHash,
    client_hs: Tls13Secret,
    server_hs: Tls13Secret,
    client_ap: Tls13Secret,
    server_ap: Tls13Secret,
    exporter: Tls13Secret,
}

fn blob_type(group: Group) -> PublicBlobType {
    match group {
        Group::Ec(_) => PublicBlobType::Ecc,
        Group::Ffdhe(_) => PublicBlobType::Dh,
    }
}

/// Runs both sides of a 1-RTT handshake's key schedule.
fn handshake(id: u16, group: Group) -> (Side, Side) {
    let suite = suite(id);
    let client = common::provider();
    let server = common::provider();
    let client_share = client.create_ephemeral_key(TLS1_3, suite, group).unwrap();
    let server_share = server.create_ephemeral_key(TLS1_3, suite, group).unwrap();
    let to_server = server
        .import_public_key(
            blob_type(group),
            &client_share.public_key().export(blob_type(group)).unwrap(),
        )
        .unwrap();
    let to_client = client
        .import_public_key(
            blob_type(group),
            &server_share.public_key().export(blob_type(group)).unwrap(),
        )
        .unwrap();
    let run = |provider: Provider,
               own: &keyward_ssl::EphemeralKey,
               peer: &keyward_ssl::PublicKey| {
        let mut transcript = provider.create_handshake_hash(TLS1_3, suite).unwrap();
        transcript.update(b"\x01\x00\x00\x02hi\x02\x00\x00\x02hi");
        let early = provider.extract_early_key(None, TLS1_3, suite).unwrap();
        let handshake = provider.extract_handshake_key(own, peer, &early).unwrap();
        let (client_hs, server_hs) = provider
            .expand_traffic_keys(&handshake, &transcript)
            .unwrap();
        transcript.update(b"\x08\x00\x00\x00\x14\x00\x00\x00");
        let master = provider.extract_master_key(&handshake).unwrap();
        let (client_ap, server_ap) = provider.expand_traffic_keys(&master, &transcript).unwrap();
        let exporter = provider
            .expand_exporter_master_key(&master, &transcript)
            .unwrap();
        Side {
            provider,
            transcript,
            client_hs: client_hs.unwrap(),
            server_hs: server_hs.unwrap(),
            client_ap: client_ap.unwrap(),
            server_ap: server_ap.unwrap(),
            exporter,
        }
    };
    (
        run(client, &client_share, &to_client),
        run(server, &server_share, &to_server),
    )
}

fn write_key(side: &Side, secret: &Tls13Secret) -> SessionKey {
    side.provider.expand_write_key(secret).unwrap()
}

/// `payload ‖ content type` through `sender`, read back by `receiver`.
fn record(sender: &SessionKey, receiver: &SessionKey, seq: u64, payload: &[u8]) {
    let inner = [payload, &[23]].concat();
    let mut wire = vec![0u8; sender.max_encrypted_len(inner.len())];
    let len = sender.encrypt_packet(&inner, &mut wire, seq, 23).unwrap();
    assert_eq!(len, inner.len() + 5 + 16);
    let mut plain = vec![0u8; len];
    let n = receiver
        .decrypt_packet(&wire[..len], &mut plain, seq)
        .unwrap();
    assert_eq!(&plain[..n], inner.as_slice());
    let mut tampered = wire[..len].to_vec();
    tampered[len - 1] ^= 1;
    assert_eq!(
        status(receiver.decrypt_packet(&tampered, &mut plain, seq)),
        Status::STATUS_AUTH_TAG_MISMATCH
    );
    assert_eq!(
        status(receiver.decrypt_packet(&wire[..len], &mut plain, seq + 1)),
        Status::STATUS_AUTH_TAG_MISMATCH
    );
}

#[test]
fn every_suite_and_group() {
    let mut count = 0;
    for suite in SUITES {
        for group in Group::ALL {
            let (client, server) = handshake(suite, group);
            for (a, b) in [
                (&client.client_hs, &server.client_hs),
                (&client.server_hs, &server.server_hs),
                (&client.client_ap, &server.client_ap),
                (&client.server_ap, &server.server_ap),
            ] {
                assert_eq!(
                    a.compute_finished_hash(&client.transcript).unwrap(),
                    b.compute_finished_hash(&server.transcript).unwrap(),
                    "{suite:#x} {group:?} {:?}",
                    a.kind()
                );
            }
            let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
            client
                .exporter
                .export_keying_material(b"EXPORTER-test", Some(b"c"), &mut x)
                .unwrap();
            server
                .exporter
                .export_keying_material(b"EXPORTER-test", Some(b"c"), &mut y)
                .unwrap();
            assert_eq!(x, y);
            record(
                &write_key(&client, &client.client_hs),
                &write_key(&server, &server.client_hs),
                0,
                b"fin",
            );
            record(
                &write_key(&server, &server.server_ap),
                &write_key(&client, &client.server_ap),
                3,
                b"data",
            );
            record(
                &write_key(&client, &client.client_ap),
                &write_key(&server, &server.client_ap),
                0,
                &[9; 16000],
            );
            count += 1;
        }
    }
    assert_eq!(count, 27);
}

#[test]
fn key_update_moves_both_sides_in_step() {
    let (client, server) = handshake(0x1302, Group::Ec(keyward_core::backend::Curve::P384));
    let client_next = client.client_ap.update_traffic_secret().unwrap();
    let server_next = server.client_ap.update_traffic_secret().unwrap();
    record(
        &write_key(&client, &client_next),
        &write_key(&server, &server_next),
        0,
        b"after update",
    );
    let old = write_key(&server, &server.client_ap);
    let new = write_key(&client, &client_next);
    let mut wire = [0u8; 64];
    let len = new.encrypt_packet(b"x\x17", &mut wire, 0, 23).unwrap();
    let mut plain = [0u8; 64];
    assert_eq!(
        status(old.decrypt_packet(&wire[..len], &mut plain, 0)),
        Status::STATUS_AUTH_TAG_MISMATCH
    );
    assert_eq!(
        status(client.client_hs.update_traffic_secret()),
        Status::NTE_INVALID_HANDLE
    );
}

#[test]
fn opaque_blobs_carry_secrets_and_write_keys() {
    let (client, server) = handshake(0x1301, Group::Ec(keyward_core::backend::Curve::X25519));
    let other = common::provider();
    let blob = client
        .provider
        .export_tls13_secret(&client.client_ap)
        .unwrap();
    let OpaqueKey::Tls13(secret) = other.import_opaque_key(&blob).unwrap() else {
        panic!("not a TLS 1.3 secret")
    };
    assert_eq!(secret.kind(), SecretKind::ClientApplicationTraffic);
    assert_eq!(
        secret.compute_finished_hash(&client.transcript).unwrap(),
        server
            .client_ap
            .compute_finished_hash(&server.transcript)
            .unwrap()
    );
    let key = write_key(&client, &client.client_ap);
    let OpaqueKey::Session(imported) = other
        .import_opaque_key(&client.provider.export_session_key(&key).unwrap())
        .unwrap()
    else {
        panic!("not a session key")
    };
    record(
        &imported,
        &write_key(&server, &server.client_ap),
        5,
        b"moved",
    );
    let mut bad = blob.clone();
    bad[30] ^= 4;
    assert_eq!(status(other.import_opaque_key(&bad)), Status::NTE_BAD_DATA);
}

#[test]
fn misuse_is_refused() {
    let p = common::provider();
    assert_eq!(
        status(p.extract_early_key(None, Protocol::Tls12, suite(0x1301))),
        Status::NTE_NOT_SUPPORTED
    );
    assert_eq!(
        status(p.extract_early_key(None, TLS1_3, suite(0xC02F))),
        Status::NTE_NOT_SUPPORTED
    );
    let early = p.extract_early_key(None, TLS1_3, suite(0x1301)).unwrap();
    let psk384 = p
        .import_pre_shared_key(TLS1_3, suite(0x1302), &[1; 48])
        .unwrap();
    assert_eq!(
        status(p.extract_early_key(Some(&psk384), TLS1_3, suite(0x1301))),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(p.extract_early_key(Some(&early), TLS1_3, suite(0x1301))),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(p.import_pre_shared_key(TLS1_3, suite(0x1301), &[])),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(p.extract_master_key(&early)),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(p.expand_write_key(&early)),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(p.expand_resumption_master_key(
            &early,
            &p.create_handshake_hash(TLS1_3, suite(0x1301)).unwrap()
        )),
        Status::NTE_INVALID_HANDLE
    );
    // A transcript of another hash does not fit.
    let sha384 = p.create_handshake_hash(TLS1_3, suite(0x1302)).unwrap();
    assert_eq!(
        status(p.expand_traffic_keys(&early, &sha384)),
        Status::NTE_INVALID_PARAMETER
    );
    // Early traffic: client secret only.
    let sha256 = p.create_handshake_hash(TLS1_3, suite(0x1301)).unwrap();
    let (client, server) = p.expand_traffic_keys(&early, &sha256).unwrap();
    assert_eq!(client.unwrap().kind(), SecretKind::ClientEarlyTraffic);
    assert!(server.is_none());
    // Exporters only on exporter secrets; raw export only of TLS 1.3 write keys.
    assert_eq!(
        status(early.export_keying_material(b"x", None, &mut [0; 8])),
        Status::NTE_INVALID_HANDLE
    );
    let key_data = p.export_key_data(&early).unwrap();
    assert_eq!((&key_data[..4], key_data.len()), (&b"KDBM"[..], 12 + 32));
}

#[test]
fn ffdhe_key_shares_outside_the_group_are_refused() {
    let p = common::provider();
    let own = p
        .create_ephemeral_key(TLS1_3, suite(0x1301), group(256))
        .unwrap();
    let early = p.extract_early_key(None, TLS1_3, suite(0x1301)).unwrap();
    let group = keyward_core::backend::FfdheGroup::Ffdhe2048;
    let mut p_minus_1 = group.prime().to_vec();
    *p_minus_1.last_mut().unwrap() -= 1;
    let mut one = vec![0u8; 256];
    one[255] = 1;
    for value in [one, p_minus_1, group.prime().to_vec()] {
        let peer = keyward_ssl::PublicKey::Dh { group, value };
        assert_eq!(
            status(p.extract_handshake_key(&own, &peer, &early)),
            Status::NTE_BAD_DATA
        );
    }
    // A share of another group is the wrong key.
    let other = p
        .create_ephemeral_key(TLS1_3, suite(0x1301), common::group(29))
        .unwrap();
    assert_eq!(
        status(p.extract_handshake_key(&own, &other.public_key(), &early)),
        Status::NTE_INVALID_HANDLE
    );
}

//! The key-isolation extensions: Finished and the TLS 1.3 expansions over a transcript digest
//! agree with their transcript forms, and session keys rebuilt from exported material
//! interoperate with the originals.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_core::Status;
use keyward_ssl::{CbcMode, Direction, Parameters, Protocol, SessionKey, Side};

fn seal_then_open(sender: &SessionKey, receiver: &SessionKey) {
    let payload = b"isolated";
    let mut wire = vec![0u8; sender.max_encrypted_len(payload.len())];
    let len = sender.encrypt_packet(payload, &mut wire, 7, 23).unwrap();
    let mut plain = vec![0u8; len];
    let n = receiver
        .decrypt_packet(&wire[..len], &mut plain, 7)
        .unwrap();
    assert_eq!(&plain[..n], payload);
}

#[test]
fn tls12_digest_finished_and_material_round_trip() {
    for id in [0xC02F, 0xC013, 0xCCA8] {
        let suite = suite(id);
        let (client, server) = (provider(), provider());
        let group = keyward_ssl::Group::Ec(Curve::X25519);
        let client_share = client
            .create_ephemeral_key(Protocol::Tls12, suite, group)
            .unwrap();
        let server_share = server
            .create_ephemeral_key(Protocol::Tls12, suite, group)
            .unwrap();
        let randoms = Parameters::with_randoms(&[1; 32], &[2; 32]);
        let master = server
            .generate_master_key(
                &server_share,
                &client_share.public_key(),
                Protocol::Tls12,
                suite,
                &randoms,
                Side::Server,
            )
            .unwrap();
        let mut transcript = server
            .create_handshake_hash(Protocol::Tls12, suite)
            .unwrap();
        transcript.update(b"messages");
        for sender in [Side::Client, Side::Server] {
            assert_eq!(
                master
                    .compute_finished_for_digest(&transcript.current_digest(), sender)
                    .unwrap(),
                master.compute_finished_hash(&transcript, sender).unwrap()
            );
        }
        assert_eq!(
            status(master.compute_finished_for_digest(&[0; 20], Side::Client)),
            Status::NTE_INVALID_PARAMETER
        );
        let keys = master.generate_session_keys(&randoms).unwrap();
        let rebuilt = SessionKey::from_key_material(
            Protocol::Tls12,
            suite,
            Direction::Read,
            CbcMode::MacThenEncrypt,
            keys.write.export_key_material().unwrap().expose(),
        )
        .unwrap();
        seal_then_open(&keys.write, &rebuilt);
        assert_eq!(
            status(SessionKey::from_key_material(
                Protocol::Tls12,
                suite,
                Direction::Read,
                CbcMode::MacThenEncrypt,
                &[0; 5],
            )),
            Status::NTE_BAD_DATA
        );
    }
}

#[test]
fn tls13_digest_forms_agree_with_transcript_forms() {
    let suite = suite(0x1301);
    let provider = provider();
    let group = keyward_ssl::Group::Ec(Curve::X25519);
    let own = provider
        .create_ephemeral_key(Protocol::Tls13, suite, group)
        .unwrap();
    let peer = provider
        .create_ephemeral_key(Protocol::Tls13, suite, group)
        .unwrap();
    let early = provider
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    let handshake = provider
        .extract_handshake_key(&own, &peer.public_key(), &early)
        .unwrap();
    let mut transcript = provider
        .create_handshake_hash(Protocol::Tls13, suite)
        .unwrap();
    transcript.update(b"ClientHello ServerHello");
    let digest = transcript.current_digest();
    let (client, server) = provider
        .expand_traffic_keys(&handshake, &transcript)
        .unwrap();
    let (client_d, server_d) = provider
        .expand_traffic_keys_for_digest(&handshake, &digest)
        .unwrap();
    let (client, server, server_d) = (client.unwrap(), server.unwrap(), server_d.unwrap());
    assert_eq!(
        client.compute_finished_for_digest(&digest).unwrap(),
        client.compute_finished_hash(&transcript).unwrap()
    );
    assert_eq!(
        client_d.compute_finished_hash(&transcript).unwrap(),
        client.compute_finished_hash(&transcript).unwrap()
    );
    assert_eq!(
        status(client.compute_finished_for_digest(&digest[..31])),
        Status::NTE_INVALID_PARAMETER
    );
    // The write key rebuilt from its material opens what the original sealed.
    let write = provider.expand_write_key(&server).unwrap();
    let rebuilt = SessionKey::from_key_material(
        Protocol::Tls13,
        suite,
        Direction::Write,
        CbcMode::MacThenEncrypt,
        provider
            .expand_write_key(&server_d)
            .unwrap()
            .export_key_material()
            .unwrap()
            .expose(),
    )
    .unwrap();
    seal_then_open(&write, &rebuilt);
    // Exporter master over a digest equals the transcript form.
    let master = provider.extract_master_key(&handshake).unwrap();
    let mut one = [0u8; 16];
    let mut two = [0u8; 16];
    provider
        .expand_exporter_master_key(&master, &transcript)
        .unwrap()
        .export_keying_material(b"label", None, &mut one)
        .unwrap();
    provider
        .expand_exporter_master_key_for_digest(&master, &digest)
        .unwrap()
        .export_keying_material(b"label", None, &mut two)
        .unwrap();
    assert_eq!(one, two);
    assert_eq!(
        status(provider.expand_traffic_keys_for_digest(&early, &[0; 48])),
        Status::NTE_INVALID_PARAMETER
    );
}

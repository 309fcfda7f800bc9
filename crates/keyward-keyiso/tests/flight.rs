//! Server flights through the daemon (`Provider::tls13_server_flight`,
//! `Provider::tls12_server_flight`): one request gives what the schedule's steps give one by
//! one, and the daemon keeps only what lives on.
//!
//! Each flight runs twice from the same secret: through the daemon, and in process over the
//! daemon's own key store (an opaque blob moves the secret from one to the other). Everything
//! deterministic must be equal; signatures are checked against the certificate, and tickets
//! open under their own provider's ticket key to the same fields and secret.

mod common;

use common::*;
use keyward_core::backend::{hash, Curve, HashAlgorithm};
use keyward_core::store::KeyStore;
use keyward_core::{SecretVec, Status};
use keyward_keyiso::isolated_provider;
use keyward_ssl::flight::{
    ServerFlight12, ServerFlight13, ServerFlightKeys13, Ticket12ToSeal, Ticket13ToSeal,
    VerifySigner,
};
use keyward_ssl::signature::certificate_verify_content;
use keyward_ssl::{
    CipherSuite, Group, MasterKey, OpaqueKey, Parameters, PrivateKey, Protocol, Provider,
    SecretKind, Side, SignaturePadding, Tls13Secret,
};

const AAD: &[u8] = b"flight test";
const THROUGH_SERVER_HELLO: &[u8] = b"\x01\x00\x00\x03CH1\x02\x00\x00\x03SH1";
const BEFORE_VERIFY: &[u8] = b"\x08\x00\x00\x02EE\x0b\x00\x00\x04Cert";

/// The in-process provider over the daemon's store: its blobs open in the daemon.
fn local() -> Provider {
    Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap())
}

/// The opaque blob of a TLS 1.3 handshake secret made in process: it opens in process and
/// in the daemon alike.
fn handshake_blob(local: &Provider) -> Vec<u8> {
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let group = Group::Ec(Curve::X25519);
    let own = local
        .create_ephemeral_key(Protocol::Tls13, suite, group)
        .unwrap();
    let peer = local
        .create_ephemeral_key(Protocol::Tls13, suite, group)
        .unwrap();
    let early = local
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    let handshake = local
        .extract_handshake_key(&own, &peer.public_key(), &early)
        .unwrap();
    local.export_tls13_secret(&handshake).unwrap()
}

/// The handshake secret of `blob`, kept by `provider`.
fn handshake_secret(provider: &Provider, blob: &[u8]) -> Tls13Secret {
    let Ok(OpaqueKey::Tls13(secret)) = provider.import_opaque_key(blob) else {
        panic!("the handshake secret's blob does not open");
    };
    assert_eq!(secret.kind(), SecretKind::Handshake);
    secret
}

fn flight13(
    provider: &Provider,
    handshake: Tls13Secret,
    signer: Option<&PrivateKey>,
    ticket_key: &keyward_ssl::TicketKey,
) -> ServerFlightKeys13 {
    provider
        .tls13_server_flight(ServerFlight13 {
            handshake,
            through_server_hello: THROUGH_SERVER_HELLO,
            before_verify: BEFORE_VERIFY,
            signer: signer.map(|key| VerifySigner {
                key,
                scheme: 0x0804,
                hash: HashAlgorithm::Sha256,
                padding: SignaturePadding::Pss(HashAlgorithm::Sha256),
            }),
            ticket: Some(Ticket13ToSeal {
                key: ticket_key,
                aad: AAD,
                fields: b"fields",
                nonce: &[0],
            }),
        })
        .unwrap()
}

/// What the schedule's steps give, one by one and in process, for a flight from a handshake
/// secret whose CertificateVerify (if any) was a given message.
struct Steps {
    client_handshake_key: SecretVec,
    server_handshake_key: SecretVec,
    finished: Vec<u8>,
    client_application_key: SecretVec,
    server_application_key: SecretVec,
    client_finished: Vec<u8>,
    exported: [u8; 32],
    binder: Vec<u8>,
}

fn steps(local: &Provider, blob: &[u8], certificate_verify: Option<&[u8]>) -> Steps {
    let handshake = handshake_secret(local, blob);
    let write_key = |secret: &Tls13Secret| {
        local
            .expand_write_key(secret)
            .unwrap()
            .export_key_material()
            .unwrap()
    };
    let mut transcript = local
        .create_handshake_hash(Protocol::Tls13, handshake.suite())
        .unwrap();
    transcript.update(THROUGH_SERVER_HELLO);
    let (client_hs, server_hs) = local.expand_traffic_keys(&handshake, &transcript).unwrap();
    let (client_hs, server_hs) = (client_hs.unwrap(), server_hs.unwrap());
    transcript.update(BEFORE_VERIFY);
    if let Some(message) = certificate_verify {
        transcript.update(message);
    }
    let mut finished = vec![20, 0, 0, 32];
    finished.extend(server_hs.compute_finished_hash(&transcript).unwrap());
    transcript.update(&finished);
    let master = local.extract_master_key(&handshake).unwrap();
    let (client_ap, server_ap) = local.expand_traffic_keys(&master, &transcript).unwrap();
    let client_finished = client_hs.compute_finished_hash(&transcript).unwrap();
    let exporter = local
        .expand_exporter_master_key(&master, &transcript)
        .unwrap();
    transcript.update(&[20, 0, 0, 32]);
    transcript.update(&client_finished);
    let resumption = local
        .expand_resumption_master_key(&master, &transcript)
        .unwrap();
    let psk = local.expand_pre_shared_key(&resumption, &[0]).unwrap();
    Steps {
        client_handshake_key: write_key(&client_hs),
        server_handshake_key: write_key(&server_hs),
        finished,
        client_application_key: write_key(&client_ap.unwrap()),
        server_application_key: write_key(&server_ap.unwrap()),
        client_finished,
        exported: exported(&exporter),
        binder: binder(local, &local.export_tls13_secret(&psk).unwrap()),
    }
}

fn exported(exporter: &Tls13Secret) -> [u8; 32] {
    let mut out = [0u8; 32];
    exporter
        .export_keying_material(b"EXPORTER-test", Some(b"context"), &mut out)
        .unwrap();
    out
}

/// The binder a PSK's blob gives (over a fixed digest): equal binders, equal PSKs.
fn binder(provider: &Provider, blob: &[u8]) -> Vec<u8> {
    let Ok(OpaqueKey::Tls13(psk)) = provider.import_opaque_key(blob) else {
        panic!("the ticket's PSK is not a TLS 1.3 secret");
    };
    assert_eq!(psk.kind(), SecretKind::PreSharedKey);
    let early = provider
        .extract_early_key(Some(&psk), Protocol::Tls13, psk.suite())
        .unwrap();
    let binder_key = provider.expand_binder_key(&early, true).unwrap();
    binder_key.compute_finished_for_digest(&[7; 32]).unwrap()
}

/// A flight of `provider` from the handshake secret of `blob` gives what the steps give for
/// its CertificateVerify, whose signature checks out.
fn check_flight(
    provider: &Provider,
    local: &Provider,
    blob: &[u8],
    flight: &ServerFlightKeys13,
    ticket_key: &keyward_ssl::TicketKey,
) {
    if let Some(message) = &flight.certificate_verify {
        check_certificate_verify(message);
    }
    let steps = steps(local, blob, flight.certificate_verify.as_deref());
    let material = |key: &keyward_ssl::SessionKey| key.export_key_material().unwrap();
    let write_key = |secret: &Tls13Secret| material(&provider.expand_write_key(secret).unwrap());
    assert_eq!(
        material(&flight.client_handshake_key).expose(),
        steps.client_handshake_key.expose()
    );
    assert_eq!(
        material(&flight.server_handshake_key).expose(),
        steps.server_handshake_key.expose()
    );
    assert_eq!(flight.finished, steps.finished);
    assert_eq!(flight.client_finished, steps.client_finished);
    let (client, server) = (&flight.client_application, &flight.server_application);
    assert_eq!(client.kind(), SecretKind::ClientApplicationTraffic);
    assert_eq!(server.kind(), SecretKind::ServerApplicationTraffic);
    assert_eq!(
        write_key(client).expose(),
        steps.client_application_key.expose()
    );
    assert_eq!(
        write_key(server).expose(),
        steps.server_application_key.expose()
    );
    assert_eq!(exported(&flight.exporter), steps.exported);
    let psk = open_ticket(ticket_key, flight.ticket.as_deref().unwrap());
    assert_eq!(binder(provider, &psk), steps.binder);
}

/// The CertificateVerify of a flight signs the transcript through the Certificate with the
/// certificate's key.
fn check_certificate_verify(message: &[u8]) {
    let (header, body) = message.split_at(4);
    assert_eq!(header[0], 15);
    assert_eq!(header[1..], (body.len() as u32).to_be_bytes()[1..]);
    assert_eq!(&body[..2], [0x08, 0x04]);
    let signature = &body[4..];
    assert_eq!(
        usize::from(u16::from_be_bytes([body[2], body[3]])),
        signature.len()
    );
    let mut transcript = THROUGH_SERVER_HELLO.to_vec();
    transcript.extend_from_slice(BEFORE_VERIFY);
    let content =
        certificate_verify_content(hash(HashAlgorithm::Sha256, &transcript).as_bytes(), true);
    certificate_key(&fixture().rsa_certificate)
        .verify_signature(
            hash(HashAlgorithm::Sha256, &content).as_bytes(),
            signature,
            SignaturePadding::Pss(HashAlgorithm::Sha256),
        )
        .unwrap();
}

/// The fields and the PSK's blob of a ticket sealed by a flight.
fn open_ticket(ticket_key: &keyward_ssl::TicketKey, ticket: &[u8]) -> Vec<u8> {
    let plain = ticket_key.open(AAD, ticket).unwrap();
    assert_eq!(&plain[..6], b"fields");
    let blob_len = usize::from(u16::from_be_bytes([plain[6], plain[7]]));
    assert_eq!(plain.len(), 8 + blob_len);
    plain[8..].to_vec()
}

#[test]
fn a_tls13_flight_in_one_request_gives_what_the_steps_give() {
    let test_daemon = start_daemon();
    let isolated = isolated_provider(&test_daemon.socket()).unwrap();
    let local = local();
    let certificate = &fixture().rsa_certificate;
    let local_key = local.open_private_key(certificate).unwrap();
    let remote_key = isolated.open_private_key(certificate).unwrap();
    let local_tickets = local.create_ticket_key().unwrap();
    let remote_tickets = isolated.create_ticket_key().unwrap();
    let blob = handshake_blob(&local);

    // Signed, then as with a PSK (no CertificateVerify); through the daemon and in process.
    for signed in [true, false] {
        let handshake = handshake_secret(&isolated, &blob);
        assert_eq!(
            test_daemon.wait_for_live_handles(2),
            2,
            "the key and the secret"
        );
        let ours = flight13(
            &isolated,
            handshake,
            signed.then_some(&remote_key),
            &remote_tickets,
        );
        assert_eq!(ours.certificate_verify.is_some(), signed);
        // The handshake secret is used up: the key and three secrets that live on remain.
        assert_eq!(test_daemon.wait_for_live_handles(4), 4);
        check_flight(&isolated, &local, &blob, &ours, &remote_tickets);

        let handshake = handshake_secret(&local, &blob);
        let theirs = flight13(
            &local,
            handshake,
            signed.then_some(&local_key),
            &local_tickets,
        );
        check_flight(&local, &local, &blob, &theirs, &local_tickets);
        drop(ours);
        assert_eq!(test_daemon.wait_for_live_handles(1), 1, "the key");
    }
    drop(remote_key);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0, "all freed on drop");
}

/// A TLS ≤ 1.2 server's master key made in process, and the same key in the daemon.
fn master_keys(local: &Provider, isolated: &Provider) -> (MasterKey, MasterKey) {
    let suite = CipherSuite::from_id(0xC02F).unwrap(); // ECDHE_RSA_WITH_AES_128_GCM_SHA256
    let group = Group::Ec(Curve::X25519);
    let own = local
        .create_ephemeral_key(Protocol::Tls12, suite, group)
        .unwrap();
    let peer = local
        .create_ephemeral_key(Protocol::Tls12, suite, group)
        .unwrap();
    let params = Parameters::with_randoms(&[9; 32], &[8; 32]);
    let master = local
        .generate_master_key(
            &own,
            &peer.public_key(),
            Protocol::Tls12,
            suite,
            &params,
            Side::Server,
        )
        .unwrap();
    let blob = local.export_master_key(&master).unwrap();
    let Ok(OpaqueKey::Master(remote)) = isolated.import_opaque_key(&blob) else {
        panic!("the master key's blob does not open in the daemon");
    };
    (master, remote)
}

#[test]
fn a_tls12_flight_in_one_request_gives_what_the_steps_give() {
    let test_daemon = start_daemon();
    let isolated = isolated_provider(&test_daemon.socket()).unwrap();
    let local = local();
    let local_tickets = local.create_ticket_key().unwrap();
    let remote_tickets = isolated.create_ticket_key().unwrap();
    let (local_master, remote_master) = master_keys(&local, &isolated);
    let params = Parameters::with_randoms(&[5; 32], &[6; 32]);
    let transcript = b"\x01\x00\x00\x02CH\x02\x00\x00\x02SH\x10\x00\x00\x03CKE";
    let flight = |provider: &Provider, master: &MasterKey, key| {
        provider
            .tls12_server_flight(
                master,
                ServerFlight12 {
                    params: &params,
                    transcript,
                    ticket: Some(Ticket12ToSeal {
                        key,
                        aad: AAD,
                        fields: b"fields",
                        lifetime_hint: 7200,
                    }),
                    export: true,
                },
            )
            .unwrap()
    };
    let ours = flight(&isolated, &remote_master, &remote_tickets);
    let theirs = flight(&local, &local_master, &local_tickets);

    let material = |key: &keyward_ssl::SessionKey| key.export_key_material().unwrap();
    assert_eq!(
        material(&ours.keys.read).expose(),
        material(&theirs.keys.read).expose()
    );
    assert_eq!(
        material(&ours.keys.write).expose(),
        material(&theirs.keys.write).expose()
    );
    assert_eq!(ours.client_finished, theirs.client_finished);
    // The steps, one by one, give the client's Finished too.
    let mut hash = local
        .create_handshake_hash(Protocol::Tls12, local_master.suite())
        .unwrap();
    hash.update(transcript);
    assert_eq!(
        local_master
            .compute_finished_hash(&hash, Side::Client)
            .unwrap(),
        ours.client_finished
    );

    // The NewSessionTicket: lifetime, then a ticket holding the fields and the master key's
    // blob, which opens to the same master key.
    let ticket_of = |message: &[u8]| {
        assert_eq!(message[0], 4);
        assert_eq!(&message[4..8], 7200u32.to_be_bytes());
        message[10..].to_vec()
    };
    let our_ticket = ticket_of(ours.new_session_ticket.as_deref().unwrap());
    let their_ticket = ticket_of(theirs.new_session_ticket.as_deref().unwrap());
    let finished_with = |provider: &Provider, blob: &[u8]| {
        let Ok(OpaqueKey::Master(master)) = provider.import_opaque_key(blob) else {
            panic!("the ticket's blob is not a master key");
        };
        master
            .compute_finished_for_digest(&[3; 32], Side::Server)
            .unwrap()
    };
    let our_blob = open_ticket(&remote_tickets, &our_ticket);
    let their_blob = open_ticket(&local_tickets, &their_ticket);
    assert_eq!(
        finished_with(&isolated, &our_blob),
        finished_with(&local, &their_blob)
    );
    assert_eq!(
        finished_with(&isolated, ours.blob.as_deref().unwrap()),
        finished_with(&local, theirs.blob.as_deref().unwrap())
    );

    // Our Finished covers the client's Finished and the NewSessionTicket, as sent: the
    // tickets differ (each its own nonce and key), so each is checked against its own.
    for (provider, master, keys) in [
        (&isolated, &remote_master, &ours),
        (&local, &local_master, &theirs),
    ] {
        let mut hash = provider
            .create_handshake_hash(Protocol::Tls12, master.suite())
            .unwrap();
        hash.update(transcript);
        hash.update(&[20, 0, 0, 12]);
        hash.update(&keys.client_finished);
        hash.update(keys.new_session_ticket.as_deref().unwrap());
        let expected = master.compute_finished_hash(&hash, Side::Server).unwrap();
        assert_eq!(keys.finished[..4], [20, 0, 0, 12]);
        assert_eq!(keys.finished[4..], expected);
    }
}

#[test]
fn a_flight_uses_up_its_handshake_secret_even_when_it_fails() {
    let test_daemon = start_daemon();
    let isolated = isolated_provider(&test_daemon.socket()).unwrap();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let own = isolated
        .create_ephemeral_key(Protocol::Tls13, suite, Group::Ec(Curve::X25519))
        .unwrap();
    let early = isolated
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    // An all-zero X25519 share gives no secret: the pipelined extraction fails in the
    // daemon, and the flight is answered with its status.
    let zero = keyward_ssl::PublicKey::from_tls(Group::Ec(Curve::X25519), &[0; 32]).unwrap();
    let handshake = isolated.extract_handshake_key(&own, &zero, &early).unwrap();
    drop((own, early));
    let bare_flight = |handshake| {
        let flight = isolated.tls13_server_flight(ServerFlight13 {
            handshake,
            through_server_hello: THROUGH_SERVER_HELLO,
            before_verify: BEFORE_VERIFY,
            signer: None,
            ticket: None,
        });
        status(flight.map(|_| ()))
    };
    assert_eq!(bare_flight(handshake), Status::NTE_BAD_DATA);
    // Nothing is left but the spare ephemeral key made for the next handshake: not the
    // ephemeral key, the early secret or the failed name (tests/daemon.rs checks the name).
    assert_eq!(test_daemon.wait_for_live_handles(1), 1);
    let next = isolated.extract_early_key(None, Protocol::Tls13, suite);
    assert!(next.is_ok(), "the connection goes on");

    // A secret of another kind is refused before anything is sent.
    assert_eq!(bare_flight(next.unwrap()), Status::NTE_INVALID_HANDLE);
    assert_eq!(test_daemon.wait_for_live_handles(1), 1);
}

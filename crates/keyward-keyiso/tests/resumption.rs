//! Resumption through the daemon: TLS 1.3 key update, the resumption master secret, ticket
//! PSKs, early secrets from a PSK and binder keys run there; opaque blobs of master keys and
//! TLS 1.3 secrets are sealed and opened there (under its key store, so the serving process
//! holds only ciphertext); and the daemon's one ticket key seals tickets that every client of
//! the daemon opens. Each result is checked against an in-process keyward-ssl peer, and bad
//! blobs and tickets get an error status.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_core::codec::Codec;
use keyward_core::store::KeyStore;
use keyward_core::Status;
use keyward_keyiso::isolated_provider;
use keyward_keyiso::protocol::{
    FrameRead, FrameReader, Request, RequestBody, Response, ResponseBody, MAX_FRAME_LEN,
    PROTOCOL_VERSION,
};
use keyward_ssl::{
    CipherSuite, Group, HandshakeHash, OpaqueKey, Parameters, Protocol, Provider, SecretKind, Side,
    Tls13Secret,
};
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Version};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

const TLS13: Protocol = Protocol::Tls13;
const TLS12: Protocol = Protocol::Tls12;

/// The in-process provider over the daemon's own store: what the daemon would seal with.
fn store_provider() -> Provider {
    Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap())
}

/// A TLS 1.3 schedule up to the application secrets, the server's in `server` (isolated),
/// the client's in process: (server master, client master, server's s ap, client's s ap,
/// server's c ap, client's c ap, transcript).
struct Schedule {
    server_master: Tls13Secret,
    client_master: Tls13Secret,
    server_s_ap: Tls13Secret,
    client_s_ap: Tls13Secret,
    server_c_ap: Tls13Secret,
    client_c_ap: Tls13Secret,
    transcript: HandshakeHash,
}

fn schedule(server: &Provider, client: &Provider, suite: &'static CipherSuite) -> Schedule {
    let group = Group::Ec(Curve::X25519);
    let server_share = server.create_ephemeral_key(TLS13, suite, group).unwrap();
    let client_share = client.create_ephemeral_key(TLS13, suite, group).unwrap();
    let mut transcript = client.create_handshake_hash(TLS13, suite).unwrap();
    transcript.update(b"ClientHello ServerHello ... server Finished");
    let server_early = server.extract_early_key(None, TLS13, suite).unwrap();
    let client_early = client.extract_early_key(None, TLS13, suite).unwrap();
    let server_handshake = server
        .extract_handshake_key(&server_share, &client_share.public_key(), &server_early)
        .unwrap();
    let client_handshake = client
        .extract_handshake_key(&client_share, &server_share.public_key(), &client_early)
        .unwrap();
    let server_master = server.extract_master_key(&server_handshake).unwrap();
    let client_master = client.extract_master_key(&client_handshake).unwrap();
    let (server_c_ap, server_s_ap) = server
        .expand_traffic_keys(&server_master, &transcript)
        .unwrap();
    let (client_c_ap, client_s_ap) = client
        .expand_traffic_keys(&client_master, &transcript)
        .unwrap();
    Schedule {
        server_master,
        client_master,
        server_s_ap: server_s_ap.unwrap(),
        client_s_ap: client_s_ap.unwrap(),
        server_c_ap: server_c_ap.unwrap(),
        client_c_ap: client_c_ap.unwrap(),
        transcript,
    }
}

/// Records sealed with `ours` open with `theirs` (TLS 1.3 keys serve both directions).
fn same_traffic_key(
    server: &Provider,
    ours: &Tls13Secret,
    client: &Provider,
    theirs: &Tls13Secret,
) {
    let ours = server.expand_write_key(ours).unwrap();
    let theirs = client.expand_write_key(theirs).unwrap();
    record_crosses(&ours, &theirs, 0, b"after the key update");
    record_crosses(&theirs, &ours, 1, b"and back");
}

#[test]
fn key_update_runs_in_the_daemon() {
    let test_daemon = start_daemon();
    let server = isolated_provider(&test_daemon.socket()).unwrap();
    let client = peer();
    let suite = CipherSuite::from_id(0x1302).unwrap();
    let s = schedule(&server, &client, suite);
    let server_next = s.server_s_ap.update_traffic_secret().unwrap();
    let client_next = s.client_s_ap.update_traffic_secret().unwrap();
    assert_eq!(server_next.kind(), SecretKind::ServerApplicationTraffic);
    same_traffic_key(&server, &server_next, &client, &client_next);
    // And again, on the updated secret; the client's direction too.
    let server_next = server_next.update_traffic_secret().unwrap();
    let client_next = client_next.update_traffic_secret().unwrap();
    same_traffic_key(&server, &server_next, &client, &client_next);
    let server_c = s.server_c_ap.update_traffic_secret().unwrap();
    let client_c = s.client_c_ap.update_traffic_secret().unwrap();
    same_traffic_key(&server, &server_c, &client, &client_c);
    // Only application traffic secrets update.
    assert_eq!(
        status(s.server_master.update_traffic_secret()),
        Status::NTE_INVALID_HANDLE
    );
    // The isolated secret never leaves raw.
    assert_eq!(
        status(server.export_key_data(&server_next)),
        Status::NTE_NOT_SUPPORTED
    );
}

#[test]
fn resumption_psk_early_secret_and_binder_run_in_the_daemon() {
    let test_daemon = start_daemon();
    let server = isolated_provider(&test_daemon.socket()).unwrap();
    let client = peer();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let s = schedule(&server, &client, suite);

    let server_resumption = server
        .expand_resumption_master_key(&s.server_master, &s.transcript)
        .unwrap();
    let client_resumption = client
        .expand_resumption_master_key(&s.client_master, &s.transcript)
        .unwrap();
    assert_eq!(server_resumption.kind(), SecretKind::ResumptionMaster);
    let server_psk = server
        .expand_pre_shared_key(&server_resumption, &[7])
        .unwrap();
    let client_psk = client
        .expand_pre_shared_key(&client_resumption, &[7])
        .unwrap();
    assert_eq!(server_psk.kind(), SecretKind::PreSharedKey);

    // The ticket's PSK leaves the daemon only sealed, and comes back in through it (here on
    // a second connection, as another serve process would).
    let blob = server.export_tls13_secret(&server_psk).unwrap();
    let other = isolated_provider(&test_daemon.socket()).unwrap();
    let Ok(OpaqueKey::Tls13(imported)) = other.import_opaque_key(&blob) else {
        panic!("the PSK blob does not import as a TLS 1.3 secret");
    };
    assert_eq!(imported.kind(), SecretKind::PreSharedKey);
    assert_eq!(imported.suite().id, suite.id);

    // The binder computed from the daemon's PSK, from the imported PSK and in process agree.
    let mut hello = client.create_handshake_hash(TLS13, suite).unwrap();
    hello.update(b"ClientHello up to the binders");
    let binder = |provider: &Provider, psk: &Tls13Secret| {
        let early = provider.extract_early_key(Some(psk), TLS13, suite).unwrap();
        assert_eq!(early.kind(), SecretKind::Early);
        let binder_key = provider.expand_binder_key(&early, true).unwrap();
        assert_eq!(binder_key.kind(), SecretKind::ResumptionBinder);
        binder_key.compute_finished_hash(&hello).unwrap()
    };
    let expected = binder(&client, &client_psk);
    assert_eq!(binder(&server, &server_psk), expected);
    assert_eq!(binder(&other, &imported), expected);

    // The early secret from the PSK starts a schedule whose traffic keys agree.
    let server_early = server
        .extract_early_key(Some(&server_psk), TLS13, suite)
        .unwrap();
    let client_early = client
        .extract_early_key(Some(&client_psk), TLS13, suite)
        .unwrap();
    let (server_c_e, _) = server.expand_traffic_keys(&server_early, &hello).unwrap();
    let (client_c_e, _) = client.expand_traffic_keys(&client_early, &hello).unwrap();
    same_traffic_key(&server, &server_c_e.unwrap(), &client, &client_c_e.unwrap());
    // An external binder key differs from the resumption one.
    let external = server.expand_binder_key(&server_early, false).unwrap();
    assert_eq!(external.kind(), SecretKind::ExternalBinder);
    assert_ne!(external.compute_finished_hash(&hello).unwrap(), expected);

    // Wrong kinds and lengths: the statuses of the in-process provider.
    assert_eq!(
        status(server.expand_pre_shared_key(&s.server_master, &[0])),
        Status::NTE_INVALID_HANDLE
    );
    assert_eq!(
        status(server.expand_pre_shared_key(&server_resumption, &[0; 256])),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(server.expand_resumption_master_key_for_digest(&s.server_master, &[0; 31])),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(server.extract_early_key(
            Some(&server_psk),
            TLS13,
            CipherSuite::from_id(0x1302).unwrap()
        )),
        Status::NTE_INVALID_PARAMETER
    );
}

#[test]
fn tls12_master_keys_travel_as_blobs_sealed_by_the_daemon() {
    let test_daemon = start_daemon();
    let server = isolated_provider(&test_daemon.socket()).unwrap();
    let client = peer();
    let suite = CipherSuite::from_id(0xC02F).unwrap();
    let group = Group::Ec(Curve::X25519);
    let (client_random, server_random) = ([1u8; 32], [2u8; 32]);
    let params = Parameters::with_randoms(&client_random, &server_random);
    let server_share = server.create_ephemeral_key(TLS12, suite, group).unwrap();
    let client_share = client.create_ephemeral_key(TLS12, suite, group).unwrap();
    let server_master = server
        .generate_master_key(
            &server_share,
            &client_share.public_key(),
            TLS12,
            suite,
            &params,
            Side::Server,
        )
        .unwrap();
    let client_master = client
        .generate_master_key(
            &client_share,
            &server_share.public_key(),
            TLS12,
            suite,
            &params,
            Side::Client,
        )
        .unwrap();

    // The blob is the daemon's: the in-process provider over the same store opens it, and
    // another client of the daemon imports it as a master key of the same suite and side.
    let blob = server.export_master_key(&server_master).unwrap();
    assert_eq!(blob.len(), store_provider().opaque_master_key_len());
    assert!(matches!(
        store_provider().import_opaque_key(&blob),
        Ok(OpaqueKey::Master(_))
    ));
    let other = isolated_provider(&test_daemon.socket()).unwrap();
    let Ok(OpaqueKey::Master(resumed)) = other.import_opaque_key(&blob) else {
        panic!("the master key blob does not import as a master key");
    };
    assert_eq!(resumed.protocol(), TLS12);
    assert_eq!(resumed.suite().id, suite.id);
    assert_eq!(resumed.side(), Side::Server);

    // Resumed with new randoms: its keys talk to the client's.
    let (client_random, server_random) = ([3u8; 32], [4u8; 32]);
    let params = Parameters::with_randoms(&client_random, &server_random);
    let server_keys = resumed.generate_session_keys(&params).unwrap();
    let client_keys = client_master.generate_session_keys(&params).unwrap();
    records_interoperate(
        (&server_keys.write, &server_keys.read),
        (&client_keys.write, &client_keys.read),
    );
    let mut transcript = client.create_handshake_hash(TLS12, suite).unwrap();
    transcript.update(b"abbreviated handshake");
    assert_eq!(
        resumed
            .compute_finished_hash(&transcript, Side::Server)
            .unwrap(),
        client_master
            .compute_finished_hash(&transcript, Side::Server)
            .unwrap()
    );
}

#[test]
fn bad_blobs_are_refused_with_a_status() {
    let test_daemon = start_daemon();
    let server = isolated_provider(&test_daemon.socket()).unwrap();
    let client = peer();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let s = schedule(&server, &client, suite);
    let blob = server.export_tls13_secret(&s.server_master).unwrap();
    let mut flipped = blob.clone();
    *flipped.last_mut().unwrap() ^= 1;
    for bad in [
        &b"garbage"[..],
        &blob[..blob.len() - 1],
        &flipped[..],
        &[0u8; 92][..],
    ] {
        assert_eq!(
            status(server.import_opaque_key(bad)),
            Status::NTE_BAD_DATA,
            "{bad:?}"
        );
    }
    // Empty, or longer than any secret's blob: refused before it is sent.
    assert_eq!(status(server.import_opaque_key(&[])), Status::NTE_BAD_DATA);
    assert_eq!(
        status(server.import_opaque_key(&[0; 4096])),
        Status::NTE_INVALID_PARAMETER
    );
    // A blob sealed under another store.
    let other_store = keyward_test_support::TempDir::new("keyiso-other-store");
    let stranger = Provider::with_key_store(KeyStore::open(&other_store).unwrap());
    let secret = stranger
        .import_pre_shared_key(TLS13, suite, &[9; 32])
        .unwrap();
    let foreign = stranger.export_tls13_secret(&secret).unwrap();
    assert_eq!(
        status(server.import_opaque_key(&foreign)),
        Status::NTE_BAD_DATA
    );
    // A session key's blob, sealed under the daemon's own store, opens as that session key:
    // it comes back to this process, where records are protected.
    let local = store_provider();
    let early = local.extract_early_key(None, TLS13, suite).unwrap();
    let (traffic, _) = local.expand_traffic_keys(&early, &s.transcript).unwrap();
    let session_blob = local
        .export_session_key(&local.expand_write_key(&traffic.unwrap()).unwrap())
        .unwrap();
    assert!(matches!(
        server.import_opaque_key(&session_blob),
        Ok(keyward_ssl::OpaqueKey::Session(_))
    ));
    // Exporting what is not a master key or TLS 1.3 secret is not possible from the typed
    // API; the daemon still has every object it had.
    assert!(server.export_tls13_secret(&s.server_s_ap).is_ok());
}

#[test]
fn a_ticket_sealed_with_a_secret_carries_its_blob_in_one_request() {
    let test_daemon = start_daemon();
    let provider = isolated_provider(&test_daemon.socket()).unwrap();
    let key = provider.create_ticket_key().unwrap();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let secret = provider
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    let aad = b"keyward session ticket 1";
    let ticket = key
        .seal_with_secret(&provider, aad, b"fields", &secret)
        .unwrap();
    // The ticket opens to the fields and a length-prefixed blob the daemon can open again.
    let plain = key.open(aad, &ticket).unwrap();
    let (fields, rest) = plain.split_at(6);
    assert_eq!(fields, b"fields");
    let (len, blob) = rest.split_at(2);
    assert_eq!(
        usize::from(u16::from_be_bytes([len[0], len[1]])),
        blob.len()
    );
    let Ok(keyward_ssl::OpaqueKey::Tls13(opened)) = provider.import_opaque_key(blob) else {
        panic!("the ticket's blob is not a TLS 1.3 secret's");
    };
    let binder = |secret| {
        let key = provider.expand_binder_key(secret, true).unwrap();
        key.compute_finished_for_digest(&[3; 32]).unwrap()
    };
    assert_eq!(binder(&opened), binder(&secret));
    // A secret of another provider is not the service's to seal.
    let in_process = keyward_ssl::Provider::open(None).unwrap();
    let local = in_process
        .extract_early_key(None, Protocol::Tls13, suite)
        .unwrap();
    assert_eq!(
        status(key.seal_with_secret(&provider, aad, b"fields", &local)),
        Status::NTE_INVALID_HANDLE
    );
}

#[test]
fn the_daemons_ticket_key_is_shared_by_its_clients() {
    let test_daemon = start_daemon();
    let first = isolated_provider(&test_daemon.socket()).unwrap();
    let second = isolated_provider(&test_daemon.socket()).unwrap();
    let first_key = first.create_ticket_key().unwrap();
    let second_key = second.create_ticket_key().unwrap();
    let aad = b"keyward session ticket 1";
    let ticket = first_key.seal(aad, b"session state").unwrap();
    assert_eq!(
        ticket.len(),
        b"session state".len() + keyward_ssl::ticket::TICKET_OVERHEAD
    );
    assert_eq!(second_key.open(aad, &ticket).unwrap(), b"session state");
    assert_eq!(first_key.open(aad, &ticket).unwrap(), b"session state");
    // Fresh nonces.
    assert_ne!(first_key.seal(aad, b"session state").unwrap(), ticket);

    let mut forged = ticket.clone();
    forged[14] ^= 0x80;
    for bad in [
        &forged[..],
        &ticket[..ticket.len() - 1],
        &ticket[..5],
        &[][..],
        &[0u8; 200][..],
    ] {
        assert_eq!(
            status(second_key.open(aad, bad)),
            Status::NTE_BAD_DATA,
            "{bad:?}"
        );
    }
    assert_eq!(
        status(second_key.open(b"other aad", &ticket)),
        Status::NTE_BAD_DATA
    );
    // Over the size limits: refused before anything is sent.
    assert_eq!(
        status(first_key.seal(aad, &vec![0; 20_000])),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        status(first_key.open(aad, &vec![0; 20_000])),
        Status::NTE_INVALID_PARAMETER
    );
    // The daemon is still there for everyone.
    assert_eq!(second_key.open(aad, &ticket).unwrap(), b"session state");

    // Another daemon has another key: the ticket does not open there.
    let other_daemon = start_daemon();
    let stranger = isolated_provider(&other_daemon.socket()).unwrap();
    assert_eq!(
        status(stranger.create_ticket_key().unwrap().open(aad, &ticket)),
        Status::NTE_BAD_DATA
    );
}

/// One raw request on `stream`; its response.
fn raw_call(stream: &mut UnixStream, id: u32, body: RequestBody) -> ResponseBody {
    stream
        .write_all(&Request { id, body }.to_frame().unwrap())
        .unwrap();
    match FrameReader::new()
        .read_frame(stream, MAX_FRAME_LEN)
        .unwrap()
    {
        FrameRead::Frame(frame) => {
            let response = Response::decode(&frame).unwrap();
            assert_eq!(response.id, id);
            response.body
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn imported_and_derived_handles_die_with_the_connection() {
    let test_daemon = start_daemon();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let local = store_provider();
    let psk = local.import_pre_shared_key(TLS13, suite, &[5; 32]).unwrap();
    let blob = local.export_tls13_secret(&psk).unwrap();

    let mut stream = UnixStream::connect(test_daemon.socket()).unwrap();
    let hello = RequestBody::Hello {
        version: PROTOCOL_VERSION,
    };
    assert!(matches!(
        raw_call(&mut stream, 1, hello),
        ResponseBody::Hello { .. }
    ));
    let ResponseBody::OpaqueKeyImported { handle: psk, .. } =
        raw_call(&mut stream, 2, RequestBody::ImportOpaqueKey { blob })
    else {
        panic!("import refused");
    };
    let ResponseBody::Handle { handle: early } = raw_call(
        &mut stream,
        3,
        RequestBody::Tls13ExtractEarlyKeyWithPsk { psk, suite },
    ) else {
        panic!("early secret refused");
    };
    assert!(matches!(
        raw_call(
            &mut stream,
            4,
            RequestBody::Tls13ExpandBinderKey {
                early,
                resumption: false
            }
        ),
        ResponseBody::Handle { .. }
    ));
    // A PSK is not a traffic secret: an error, and the connection goes on.
    assert!(matches!(
        raw_call(
            &mut stream,
            5,
            RequestBody::Tls13UpdateTrafficSecret { traffic: psk }
        ),
        ResponseBody::Error {
            status: Status::NTE_INVALID_HANDLE
        }
    ));
    assert!(matches!(
        raw_call(
            &mut stream,
            6,
            RequestBody::OpenTicket {
                aad: Vec::new(),
                ticket: vec![1; 40],
            }
        ),
        ResponseBody::Error {
            status: Status::NTE_BAD_DATA
        }
    ));
    assert_eq!(test_daemon.daemon.live_handles(), 3);
    drop(stream);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

// keyward-tls, unchanged, resuming on the isolated provider.

fn isolated_server(socket: &std::path::Path, tickets: bool) -> Arc<ServerConfig> {
    let provider = Arc::new(isolated_provider(socket).unwrap());
    let certificate = &fixture().ecdsa_certificate;
    let key = provider.open_private_key(certificate).unwrap();
    let certified = CertifiedKey::new(vec![certificate.clone()], key).unwrap();
    let mut config = ServerConfig::new(provider, CertResolver::new(vec![certified]));
    config.session_tickets = tickets;
    Arc::new(config)
}

fn client_config(version: Version) -> Arc<ClientConfig> {
    let mut client = ClientConfig::new(Arc::new(peer()), ServerCertVerifier::insecure());
    client.versions = vec![version];
    client.resumption = true;
    Arc::new(client)
}

/// A handshake and data both ways; whether it resumed.
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>, key_update: bool) -> bool {
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    exchange(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    if key_update {
        s.refresh_traffic_keys().unwrap();
        exchange(&mut c, &mut s).unwrap();
        c.refresh_traffic_keys().unwrap();
        exchange(&mut c, &mut s).unwrap();
    }
    c.writer().write_all(b"ping").unwrap();
    exchange(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 16];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    s.writer().write_all(b"pong").unwrap();
    exchange(&mut c, &mut s).unwrap();
    let n = c.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"pong");
    s.info().unwrap().resumed
}

#[test]
fn keyward_tls_resumes_on_the_isolated_provider() {
    let test_daemon = start_daemon();
    let socket = test_daemon.socket();
    let first = isolated_server(&socket, true);
    let second = isolated_server(&socket, true);

    // TLS 1.2 tickets, accepted by another server on the same daemon.
    let client = client_config(Version::Tls12);
    assert!(!connect(&client, &first, false));
    assert!(connect(&client, &first, false));
    assert!(connect(&client, &second, false));

    // TLS 1.2 session IDs (no tickets): the session cache holds the daemon's blob.
    let no_tickets = isolated_server(&socket, false);
    let client = client_config(Version::Tls12);
    assert!(!connect(&client, &no_tickets, false));
    assert!(connect(&client, &no_tickets, false));

    // TLS 1.3 tickets, across servers, with key updates both ways.
    let client = client_config(Version::Tls13);
    assert!(!connect(&client, &first, true));
    assert!(connect(&client, &second, true));
    assert!(connect(&client, &first, false));
}

/// The raw bytes of an in-process secret (the explicit key-log export), which equal the
/// daemon's copy of the same secret.
fn raw(provider: &Provider, secret: &Tls13Secret) -> Vec<u8> {
    let blob = provider.export_key_data(secret).unwrap();
    blob[blob.len() - 32..].to_vec()
}

/// Every byte between the isolated provider and the daemon recorded by a relay: none of the
/// resumption secrets, PSKs, early secrets from a PSK, binder keys or updated traffic secrets
/// crosses it, only blobs, tickets, handles and record keys.
#[test]
fn no_resumption_secret_crosses_the_socket() {
    let test_daemon = start_daemon();
    let relay_dir = keyward_test_support::TempDir::new("keyiso-relay-resumption");
    let relay_path = relay_dir.join("relay.sock");
    let log = relay(&relay_path, &test_daemon.socket());
    let server = isolated_provider(&relay_path).unwrap();
    let client = peer();
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let s = schedule(&server, &client, suite);

    let server_resumption = server
        .expand_resumption_master_key(&s.server_master, &s.transcript)
        .unwrap();
    let server_psk = server
        .expand_pre_shared_key(&server_resumption, &[0])
        .unwrap();
    let ticket_key = server.create_ticket_key().unwrap();
    let ticket = ticket_key
        .seal(b"aad", &server.export_tls13_secret(&server_psk).unwrap())
        .unwrap();
    let Ok(OpaqueKey::Tls13(reopened)) =
        server.import_opaque_key(&ticket_key.open(b"aad", &ticket).unwrap())
    else {
        panic!("the ticket's PSK does not come back");
    };
    let server_early = server
        .extract_early_key(Some(&reopened), TLS13, suite)
        .unwrap();
    let server_binder = server.expand_binder_key(&server_early, true).unwrap();
    let binder = server_binder.compute_finished_hash(&s.transcript).unwrap();
    let server_next = s.server_s_ap.update_traffic_secret().unwrap();
    server.expand_write_key(&server_next).unwrap();
    drop((
        server_next,
        server_binder,
        server_early,
        reopened,
        server_psk,
    ));
    drop((
        server_resumption,
        ticket_key,
        s.server_master,
        s.server_s_ap,
        s.server_c_ap,
    ));
    drop(server);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
    let recorded = log.lock().unwrap().clone();
    assert!(
        contains(&recorded, &ticket),
        "the relay recorded the ticket"
    );
    assert!(
        contains(&recorded, &binder),
        "the relay recorded the binder"
    );

    let resumption = client
        .expand_resumption_master_key(&s.client_master, &s.transcript)
        .unwrap();
    let psk = client.expand_pre_shared_key(&resumption, &[0]).unwrap();
    let early = client.extract_early_key(Some(&psk), TLS13, suite).unwrap();
    let binder_key = client.expand_binder_key(&early, true).unwrap();
    let next = s.client_s_ap.update_traffic_secret().unwrap();
    for (name, secret) in [
        ("master", &s.client_master),
        ("resumption master", &resumption),
        ("ticket PSK", &psk),
        ("early secret from the PSK", &early),
        ("resumption binder key", &binder_key),
        ("updated server traffic secret", &next),
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

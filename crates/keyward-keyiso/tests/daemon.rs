//! The daemon's behaviour at its boundary: who may connect, what a missing daemon looks like,
//! handles that live and die with their connection, per-client limits, and malformed input.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_core::codec::Codec;
use keyward_core::Status;
use keyward_keyiso::peer::own_uid;
use keyward_keyiso::protocol::{
    Cipher, FrameRead, FrameReader, Handle, Request, RequestBody, Response, ResponseBody,
    WireSecret, PROTOCOL_VERSION,
};
use keyward_keyiso::{Allowlist, Client, Config, Daemon, Limits};
use keyward_ssl::{CipherSuite, Group, Protocol};
use keyward_test_support::TempDir;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

fn tls12_suite() -> &'static CipherSuite {
    CipherSuite::from_id(0xC02F).unwrap()
}

fn new_ephemeral(client: &Client) -> keyward_keyiso::RemoteEphemeralKey {
    client
        .create_ephemeral_key(Protocol::Tls12, tls12_suite(), Group::Ec(Curve::X25519))
        .unwrap()
}

#[test]
fn no_daemon_is_provider_not_found_until_one_starts() {
    let run_dir = TempDir::new("keyiso-none");
    let socket = run_dir.join("keyiso.sock");
    // No socket file at all.
    assert_eq!(
        status(Client::connect(&socket)),
        Status::NTE_PROV_DLL_NOT_FOUND
    );
    // A stale socket file nobody listens on (a daemon that died).
    drop(UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    assert_eq!(
        status(Client::connect(&socket)),
        Status::NTE_PROV_DLL_NOT_FOUND
    );
    // Once a daemon is up on that path (it replaces the stale socket), connecting succeeds.
    let daemon = Daemon::bind(Config::new(&socket, Some(fixture().dir.to_path_buf())))
        .unwrap()
        .spawn()
        .unwrap();
    let client = Client::connect(&socket).unwrap();
    new_ephemeral(&client);
    drop(client);
    daemon.stop();
    // Stopped: the socket is gone and the status is the same again.
    assert_eq!(
        status(Client::connect(&socket)),
        Status::NTE_PROV_DLL_NOT_FOUND
    );
}

#[test]
fn a_peer_off_the_allowlist_is_refused() {
    let test_daemon = start_daemon_with(|config| {
        config.allowlist = Allowlist {
            uids: vec![own_uid().wrapping_add(1)],
            gids: Vec::new(),
        };
    });
    assert_eq!(
        status(Client::connect(test_daemon.socket())),
        Status::NTE_PERM
    );
    assert_eq!(test_daemon.daemon.live_handles(), 0);
    // The default allowlist is the daemon's own uid: this process.
    let allowed = start_daemon();
    Client::connect(allowed.socket()).unwrap();
}

#[test]
fn a_peer_on_the_gid_allowlist_is_served() {
    let gid = std::fs::metadata(fixture().dir.path()).unwrap();
    let gid = std::os::unix::fs::MetadataExt::gid(&gid);
    let test_daemon = start_daemon_with(|config| {
        config.allowlist = Allowlist {
            uids: Vec::new(),
            gids: vec![gid],
        };
    });
    // The fixture directory's group is this process's effective gid (it created it).
    let client = Client::connect(test_daemon.socket()).unwrap();
    new_ephemeral(&client);
}

#[test]
fn the_socket_is_private_and_a_live_daemon_is_not_replaced() {
    let test_daemon = start_daemon();
    let mode = std::fs::metadata(test_daemon.socket())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let second = Daemon::bind(Config::new(
        test_daemon.socket(),
        Some(fixture().dir.to_path_buf()),
    ));
    assert_eq!(status(second), Status::NTE_FAIL);
    // The first daemon still serves.
    Client::connect(test_daemon.socket()).unwrap();

    // A socket directory others may write to is refused.
    let open_dir = TempDir::new("keyiso-open");
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = Daemon::bind(Config::new(
        open_dir.join("keyiso.sock"),
        Some(fixture().dir.to_path_buf()),
    ));
    assert_eq!(status(refused), Status::NTE_FAIL);
}

#[test]
fn a_closed_connection_frees_its_handles_and_only_its_own() {
    let test_daemon = start_daemon();
    let staying = Client::connect(test_daemon.socket()).unwrap();
    let kept = new_ephemeral(&staying);
    let leaving = Client::connect(test_daemon.socket()).unwrap();
    let theirs = new_ephemeral(&leaving);
    for _ in 0..10 {
        new_ephemeral(&leaving);
    }
    leaving
        .open_private_key(&fixture().rsa_certificate)
        .unwrap();
    assert_eq!(test_daemon.daemon.live_handles(), 13);
    // Handles belong to their connection: another client cannot use or free them.
    assert_eq!(
        status(staying.free(theirs.handle())),
        Status::NTE_INVALID_HANDLE
    );
    drop(leaving);
    assert_eq!(test_daemon.wait_for_live_handles(1), 1);
    staying.free(kept.handle()).unwrap();
    assert_eq!(test_daemon.daemon.live_handles(), 0);
}

#[test]
fn a_client_killed_without_closing_frees_its_handles() {
    // A raw connection that makes a handle and is then shut down mid-conversation (as the
    // kernel closes a killed process's sockets).
    let test_daemon = start_daemon();
    let mut stream = UnixStream::connect(test_daemon.socket()).unwrap();
    let hello = Request {
        id: 1,
        body: RequestBody::Hello {
            version: PROTOCOL_VERSION,
        },
    };
    stream.write_all(&hello.to_frame().unwrap()).unwrap();
    read_response(&mut stream);
    let ephemeral = Request {
        id: 2,
        body: RequestBody::CreateEphemeralKey {
            cipher: keyward_keyiso::protocol::Cipher {
                protocol: Protocol::Tls12,
                suite: tls12_suite(),
            },
            group: Group::Ec(Curve::P256),
        },
    };
    stream.write_all(&ephemeral.to_frame().unwrap()).unwrap();
    read_response(&mut stream);
    // Half a frame, then gone.
    stream.write_all(&[0, 0, 0, 40, 0, 0]).unwrap();
    assert_eq!(test_daemon.daemon.live_handles(), 1);
    drop(stream);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

#[test]
fn the_handle_limit_is_per_connection() {
    let test_daemon = start_daemon_with(|config| {
        config.limits = Limits {
            max_handles: 3,
            ..Limits::default()
        };
    });
    let greedy = Client::connect(test_daemon.socket()).unwrap();
    let handles: Vec<_> = (0..3).map(|_| new_ephemeral(&greedy)).collect();
    assert_eq!(
        status(greedy.create_ephemeral_key(
            Protocol::Tls12,
            tls12_suite(),
            Group::Ec(Curve::X25519)
        )),
        Status::NTE_NO_MEMORY
    );
    // Another client is not affected.
    let other = Client::connect(test_daemon.socket()).unwrap();
    new_ephemeral(&other);
    // Freeing makes room again.
    greedy.free(handles[0].handle()).unwrap();
    new_ephemeral(&greedy);
    assert_eq!(test_daemon.daemon.live_handles(), 4);
}

#[test]
fn a_flooding_client_is_throttled_and_others_are_not() {
    let test_daemon = start_daemon_with(|config| {
        config.limits = Limits {
            burst: 5,
            requests_per_second: 1,
            ..Limits::default()
        };
    });
    let flooder = Client::connect(test_daemon.socket()).unwrap(); // the hello takes a token
    for _ in 0..4 {
        new_ephemeral(&flooder);
    }
    let throttled =
        flooder.create_ephemeral_key(Protocol::Tls12, tls12_suite(), Group::Ec(Curve::X25519));
    assert_eq!(status(throttled), Status::NTE_DEVICE_NOT_READY);
    // The same connection stays open and other clients keep their own budget.
    let polite = Client::connect(test_daemon.socket()).unwrap();
    new_ephemeral(&polite);
    std::thread::sleep(Duration::from_millis(1100));
    new_ephemeral(&flooder);
}

/// Reads one response from a raw stream.
fn read_response(stream: &mut UnixStream) -> Response {
    match FrameReader::new().read_frame(stream, 1 << 16).unwrap() {
        FrameRead::Frame(body) => Response::decode(&body).unwrap(),
        other => panic!("expected a response, got {other:?}"),
    }
}

fn error_status(response: &Response) -> Status {
    match response.body {
        ResponseBody::Error { status } => status,
        ref other => panic!("expected an error, got {other:?}"),
    }
}

fn raw_frame(body: &[u8]) -> Vec<u8> {
    [&(body.len() as u32).to_be_bytes()[..], body].concat()
}

fn greeted_stream(socket: &std::path::Path) -> UnixStream {
    greeted_stream_of_version(socket, PROTOCOL_VERSION)
}

fn greeted_stream_of_version(socket: &std::path::Path, version: u16) -> UnixStream {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let hello = Request {
        id: 1,
        body: RequestBody::Hello { version },
    };
    stream.write_all(&hello.to_frame().unwrap()).unwrap();
    let response = read_response(&mut stream);
    assert!(matches!(response.body, ResponseBody::Hello { version: v } if v == version));
    stream
}

/// Sends `requests` in one write and reads their answers, in order.
fn send_together(stream: &mut UnixStream, requests: &[Request]) -> Vec<Response> {
    let mut frames = Vec::new();
    for request in requests {
        frames.extend(request.to_frame().unwrap());
    }
    stream.write_all(&frames).unwrap();
    // The answers come back together: one reader for all of them.
    let mut reader = FrameReader::new();
    let answers: Vec<Response> = requests
        .iter()
        .map(|_| match reader.read_frame(stream, 1 << 16).unwrap() {
            FrameRead::Frame(body) => Response::decode(&body).unwrap(),
            other => panic!("expected a response, got {other:?}"),
        })
        .collect();
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(answer.id, request.id);
    }
    answers
}

fn pipelined(id: u32, name: u64, request: RequestBody) -> Request {
    Request {
        id,
        body: RequestBody::Pipelined {
            handle: Handle::new(name).unwrap(),
            request: Box::new(request),
        },
    }
}

/// Tls13ExpandTrafficKeys of `base` over a fixed digest.
fn expand(id: u32, base: u64) -> Request {
    Request {
        id,
        body: RequestBody::Tls13ExpandTrafficKeys {
            base: Handle::new(base).unwrap(),
            transcript_digest: vec![0x11; 32],
        },
    }
}

/// A new X25519 ephemeral key of `suite`, asked for alone with request id `id`.
fn ephemeral_key(stream: &mut UnixStream, id: u32, suite: &'static CipherSuite) -> Handle {
    let answers = send_together(
        stream,
        &[Request {
            id,
            body: RequestBody::CreateEphemeralKey {
                cipher: Cipher {
                    protocol: Protocol::Tls13,
                    suite,
                },
                group: Group::Ec(Curve::X25519),
            },
        }],
    );
    let ResponseBody::EphemeralKeyCreated { key, .. } = answers[0].body else {
        panic!("no ephemeral key: {:?}", answers[0]);
    };
    key
}

#[test]
fn pipelined_requests_name_their_objects_and_failures_stick_to_the_name() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream(&test_daemon.socket());
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let name = Handle::FIRST_CLIENT_NAME.get();
    let early = RequestBody::Tls13ExtractEarlyKey { suite };
    // An object named by the client, used in the request sent with it.
    let answers = send_together(
        &mut stream,
        &[pipelined(2, name, early.clone()), expand(3, name)],
    );
    assert!(matches!(answers[0].body, ResponseBody::Handle { handle } if handle.get() == name));
    assert!(matches!(
        answers[1].body,
        ResponseBody::TrafficSecrets { .. }
    ));
    // A name in use, a name without the client bit, and a request that makes no handle
    // are refused, and leave nothing behind.
    let sign = RequestBody::SignHash {
        key: Handle::new(name).unwrap(),
        padding: keyward_ssl::SignaturePadding::Raw,
        hash_value: vec![1; 32],
    };
    let answers = send_together(
        &mut stream,
        &[
            pipelined(4, name, early.clone()),
            pipelined(5, 77, early.clone()),
            pipelined(6, name + 1, sign),
            expand(7, name),
            expand(8, 77),
            expand(9, name + 1),
        ],
    );
    let statuses: Vec<Status> = answers.iter().map(error_status_or_success).collect();
    assert_eq!(
        statuses,
        [
            Status::NTE_INVALID_HANDLE,
            Status::NTE_INVALID_HANDLE,
            Status::NTE_INVALID_PARAMETER,
            Status::SUCCESS, // the first object is untouched
            Status::NTE_INVALID_HANDLE,
            Status::NTE_INVALID_PARAMETER, // a failed name keeps its failure's status
        ]
    );
    // A failed request's name answers with its status until it is freed.
    let ephemeral = ephemeral_key(&mut stream, 10, suite);
    assert!(!ephemeral.is_client_name());
    let bad_share = RequestBody::Tls13ExtractHandshakeKey {
        ephemeral,
        peer_public: vec![9; 31],
        early: Handle::new(name).unwrap(),
    };
    let free = |id, handle: u64| Request {
        id,
        body: RequestBody::FreeHandle {
            handle: Handle::new(handle).unwrap(),
        },
    };
    let answers = send_together(
        &mut stream,
        &[
            pipelined(10, name + 2, bad_share),
            expand(11, name + 2),
            expand(12, name + 2),
            free(13, name + 2),
            expand(14, name + 2),
            free(15, name + 1),
        ],
    );
    let statuses: Vec<Status> = answers.iter().map(error_status_or_success).collect();
    assert_eq!(
        statuses,
        [
            Status::NTE_BAD_DATA,
            Status::NTE_BAD_DATA,
            Status::NTE_BAD_DATA,
            Status::SUCCESS,
            Status::NTE_INVALID_HANDLE,
            Status::SUCCESS,
        ]
    );
    assert_eq!(
        test_daemon.daemon.live_handles(),
        4,
        "the early secret, two traffic secrets and the ephemeral key"
    );
    drop(stream);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

/// A flight uses up its handshake handle whatever its answer: a failed pipelined name
/// answers its failure and is gone, an object of another kind is refused and gone, and a
/// handshake secret gives the flight and leaves three secrets in its place.
#[test]
fn a_flight_frees_its_handshake_handle_whatever_the_answer() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream(&test_daemon.socket());
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let name = Handle::FIRST_CLIENT_NAME.get();
    let flight = |id, handshake: u64| Request {
        id,
        body: RequestBody::Tls13ServerFlight {
            handshake: Handle::new(handshake).unwrap(),
            through_server_hello: b"ClientHello, ServerHello".to_vec(),
            before_verify: b"EncryptedExtensions".to_vec(),
            signer: None,
            ticket: None,
        },
    };
    let ephemeral = ephemeral_key(&mut stream, 2, suite);
    let handshake = |peer_public: Vec<u8>, early: u64| RequestBody::Tls13ExtractHandshakeKey {
        ephemeral,
        peer_public,
        early: Handle::new(early).unwrap(),
    };
    let peer = keyward_ssl::EphemeralKey::generate(Group::Ec(Curve::X25519)).unwrap();
    let answers = send_together(
        &mut stream,
        &[
            pipelined(3, name, RequestBody::Tls13ExtractEarlyKey { suite }),
            // A bad share: the name fails, and the flight answers its status.
            pipelined(4, name + 1, handshake(vec![9; 31], name)),
            flight(5, name + 1),
            expand(6, name + 1),
            // The early secret is not a handshake secret.
            flight(7, name),
            expand(8, name),
            // A handshake secret.
            pipelined(9, name + 2, RequestBody::Tls13ExtractEarlyKey { suite }),
            pipelined(
                10,
                name + 3,
                handshake(peer.public_key().to_tls().unwrap(), name + 2),
            ),
            flight(11, name + 3),
            expand(12, name + 3),
        ],
    );
    let statuses: Vec<Status> = answers.iter().map(error_status_or_success).collect();
    assert_eq!(
        statuses,
        [
            Status::SUCCESS,
            Status::NTE_BAD_DATA,
            Status::NTE_BAD_DATA,
            Status::NTE_INVALID_HANDLE, // the failed name went with the flight
            Status::NTE_INVALID_HANDLE,
            Status::NTE_INVALID_HANDLE, // so did the early secret
            Status::SUCCESS,
            Status::SUCCESS,
            Status::SUCCESS,
            Status::NTE_INVALID_HANDLE, // and the handshake secret
        ]
    );
    let ResponseBody::ServerFlight {
        certificate_verify: None,
        ticket: None,
        ref finished,
        ..
    } = answers[8].body
    else {
        panic!("no flight: {:?}", answers[8]);
    };
    assert_eq!(finished[..4], [20, 0, 0, 32]);
    assert_eq!(
        test_daemon.daemon.live_handles(),
        5,
        "the ephemeral key, the second early secret, and the flight's two traffic secrets and \
         exporter"
    );
    drop(stream);
    assert_eq!(test_daemon.wait_for_live_handles(0), 0);
}

#[test]
fn a_version_1_client_is_served_without_pipelining() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream_of_version(&test_daemon.socket(), 1);
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let early = RequestBody::Tls13ExtractEarlyKey { suite };
    let answers = send_together(
        &mut stream,
        &[
            pipelined(2, Handle::FIRST_CLIENT_NAME.get(), early.clone()),
            Request { id: 3, body: early },
        ],
    );
    assert_eq!(error_status(&answers[0]), Status::NTE_BAD_DATA);
    assert!(matches!(answers[1].body, ResponseBody::Handle { .. }));
}

#[test]
fn a_version_2_client_is_served_without_flights() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream_of_version(&test_daemon.socket(), 2);
    let suite = CipherSuite::from_id(0x1301).unwrap();
    let name = Handle::FIRST_CLIENT_NAME.get();
    let answers = send_together(
        &mut stream,
        &[
            pipelined(2, name, RequestBody::Tls13ExtractEarlyKey { suite }),
            Request {
                id: 3,
                body: RequestBody::Tls13ServerFlight {
                    handshake: Handle::new(name).unwrap(),
                    through_server_hello: vec![1],
                    before_verify: vec![2],
                    signer: None,
                    ticket: None,
                },
            },
        ],
    );
    assert!(matches!(answers[0].body, ResponseBody::Handle { .. }));
    assert_eq!(error_status(&answers[1]), Status::NTE_BAD_DATA);
    // A request of version 3 inside a Pipelined one (of version 2) is refused too.
    let psk = RequestBody::Tls13ImportPreSharedKey {
        suite,
        psk: WireSecret(keyward_core::SecretVec::from_slice(&[1; 32])),
    };
    let answers = send_together(&mut stream, &[pipelined(4, name + 1, psk)]);
    assert_eq!(error_status(&answers[0]), Status::NTE_BAD_DATA);
    assert_eq!(
        test_daemon.daemon.live_handles(),
        1,
        "the secret is not used up, and no PSK is kept"
    );
}

fn error_status_or_success(response: &Response) -> Status {
    match response.body {
        ResponseBody::Error { status } => status,
        _ => Status::SUCCESS,
    }
}

#[test]
fn malformed_frames_get_an_error_and_the_connection_goes_on() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream(&test_daemon.socket());
    let bodies: [&[u8]; 7] = [
        &[],                                               // no id
        &[0, 0, 0, 9],                                     // no type
        &[0, 0, 0, 9, 0x42],                               // unknown type
        &[0, 0, 0, 9, 0x11, 0, 0, 0],                      // truncated handle
        &[0, 0, 0, 9, 0x11, 0, 0, 0, 0, 0, 0, 0, 0],       // zero handle
        &[0, 0, 0, 9, 0x05, 3, 3, 0xC0, 0x2F, 0, 29, 0],   // trailing byte
        &[0, 0, 0, 9, 0x05, 3, 3, 0xC0, 0x2F, 0x12, 0x34], // unknown group
    ];
    for body in bodies {
        stream.write_all(&raw_frame(body)).unwrap();
        let response = read_response(&mut stream);
        assert_eq!(error_status(&response), Status::NTE_BAD_DATA, "{body:?}");
        if body.len() >= 4 {
            assert_eq!(response.id, 9);
        }
    }
    // A second hello, and a valid request, on the same connection.
    let hello_again = Request {
        id: 10,
        body: RequestBody::Hello { version: 1 },
    };
    stream.write_all(&hello_again.to_frame().unwrap()).unwrap();
    assert_eq!(
        error_status(&read_response(&mut stream)),
        Status::NTE_INVALID_PARAMETER
    );
    let free_unknown = Request {
        id: 11,
        body: RequestBody::FreeHandle {
            handle: Handle::new(12345).unwrap(),
        },
    };
    stream.write_all(&free_unknown.to_frame().unwrap()).unwrap();
    let response = read_response(&mut stream);
    assert_eq!(response.id, 11);
    assert_eq!(error_status(&response), Status::NTE_INVALID_HANDLE);
}

#[test]
fn garbage_never_brings_the_daemon_down() {
    let test_daemon = start_daemon();
    let mut stream = greeted_stream(&test_daemon.socket());
    // A deterministic stream of random bodies of random types and lengths.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let len = (next() % 80) as usize;
        let mut body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Some(message_type) = body.get_mut(4) {
            *message_type = (next() % 0x13) as u8;
        }
        stream.write_all(&raw_frame(&body)).unwrap();
        let response = read_response(&mut stream);
        // Whatever decoded, the daemon answered; nothing is left behind by failures.
        if let ResponseBody::Error { status } = response.body {
            assert!(!status.is_success());
        }
    }
    drop(stream);
    // Still serving.
    let client = Client::connect(test_daemon.socket()).unwrap();
    new_ephemeral(&client);
}

#[test]
fn requests_before_the_hello_and_other_versions_are_answered_then_closed() {
    let test_daemon = start_daemon();
    for (body, expected) in [
        (
            RequestBody::FreeHandle {
                handle: keyward_keyiso::Handle::new(1).unwrap(),
            },
            Status::NTE_INVALID_PARAMETER,
        ),
        (
            RequestBody::Hello {
                version: PROTOCOL_VERSION + 1,
            },
            Status::NTE_NOT_SUPPORTED,
        ),
    ] {
        let mut stream = UnixStream::connect(test_daemon.socket()).unwrap();
        stream
            .write_all(&Request { id: 5, body }.to_frame().unwrap())
            .unwrap();
        let response = read_response(&mut stream);
        assert_eq!(response.id, 5);
        assert_eq!(error_status(&response), expected);
        assert!(matches!(
            FrameReader::new().read_frame(&mut stream, 1 << 16).unwrap(),
            FrameRead::Closed
        ));
    }
}

#[test]
fn an_oversized_frame_is_refused_before_it_is_read() {
    let test_daemon = start_daemon_with(|config| {
        config.limits = Limits {
            max_request_len: 1024,
            ..Limits::default()
        };
    });
    let mut stream = greeted_stream(&test_daemon.socket());
    // A length of 4 GiB - 1: refused from its prefix alone.
    stream.write_all(&[0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
    let response = read_response(&mut stream);
    assert_eq!(error_status(&response), Status::NTE_NO_MEMORY);
    assert!(matches!(
        FrameReader::new().read_frame(&mut stream, 1 << 16).unwrap(),
        FrameRead::Closed
    ));
    // Over the configured limit but under the protocol's.
    let mut stream = greeted_stream(&test_daemon.socket());
    stream.write_all(&raw_frame(&[0; 2000])).unwrap_or(());
    assert_eq!(
        error_status(&read_response(&mut stream)),
        Status::NTE_NO_MEMORY
    );
    // Others are still served.
    let client = Client::connect(test_daemon.socket()).unwrap();
    new_ephemeral(&client);
}

#[test]
fn connections_over_the_daemon_wide_cap_are_told_to_come_back() {
    let test_daemon = start_daemon_with(|config| {
        config.limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
    });
    let first = Client::connect(test_daemon.socket()).unwrap();
    let second = Client::connect(test_daemon.socket()).unwrap();
    assert_eq!(
        status(Client::connect(test_daemon.socket())),
        Status::NTE_DEVICE_NOT_READY
    );
    // The connected clients are served as before.
    new_ephemeral(&first);
    new_ephemeral(&second);
    // A closed connection frees its slot.
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let third = loop {
        match Client::connect(test_daemon.socket()) {
            Ok(client) => break client,
            Err(error) => {
                assert_eq!(error.status(), Status::NTE_DEVICE_NOT_READY);
                assert!(
                    std::time::Instant::now() < deadline,
                    "the slot was not freed"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    };
    new_ephemeral(&third);
}

#[test]
fn frees_sent_without_waiting_free_their_objects_and_keep_answers_in_order() {
    let test_daemon = start_daemon();
    let client = Client::connect(test_daemon.socket()).unwrap();
    // More than the client lets go unanswered at once, so it drains answers midway too.
    let keys: Vec<_> = (0..150).map(|_| new_ephemeral(&client)).collect();
    assert_eq!(test_daemon.daemon.live_handles(), 150);
    for key in &keys {
        client.free_without_waiting(key.handle()).unwrap();
    }
    // A handle the daemon does not know is not reported, and spoils nothing.
    client.free_without_waiting(keys[0].handle()).unwrap();
    // The next waited-for answer is this call's own, after the frees' answers.
    let kept = new_ephemeral(&client);
    assert_eq!(test_daemon.wait_for_live_handles(1), 1);
    client.free(kept.handle()).unwrap();
    assert_eq!(
        status(client.free(kept.handle())),
        Status::NTE_INVALID_HANDLE
    );
}

#[test]
fn a_daemon_whose_socket_was_removed_still_stops() {
    let test_daemon = start_daemon();
    std::fs::remove_file(test_daemon.socket()).unwrap();
    let (done, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        test_daemon.daemon.stop();
        let _ = done.send(());
    });
    stopped
        .recv_timeout(Duration::from_secs(10))
        .expect("stop() returned");
}

#[test]
fn a_socket_group_opens_the_socket_and_its_own_directory_only() {
    use std::os::unix::fs::MetadataExt;
    let gid = std::fs::metadata(fixture().dir.path()).unwrap().gid();
    let shared = TempDir::new("keyiso-shared-dir");
    std::fs::write(shared.join("someone-else"), b"").unwrap();
    let mut config = Config::new(
        shared.join("keyiso.sock"),
        Some(fixture().dir.to_path_buf()),
    );
    config.socket_group = Some(gid);
    assert_eq!(status(Daemon::bind(config)), Status::NTE_INVALID_PARAMETER);
    let mode = std::fs::metadata(shared.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "a shared directory is left as it was");

    let test_daemon = start_daemon_with(|config| config.socket_group = Some(gid));
    let modes = |path: &std::path::Path| {
        let metadata = std::fs::metadata(path).unwrap();
        (metadata.permissions().mode() & 0o777, metadata.gid())
    };
    assert_eq!(modes(&test_daemon.socket()), (0o660, gid));
    assert_eq!(modes(test_daemon.run_dir.path()), (0o710, gid));
    Client::connect(test_daemon.socket()).unwrap();
}

#[test]
fn certificate_chains_come_from_the_daemon_by_key_name() {
    let test_daemon = start_daemon();
    let client = Client::connect(test_daemon.socket()).unwrap();
    assert_eq!(
        client.certificate_chain("rsa").unwrap(),
        [fixture().rsa_certificate.clone()]
    );
    assert_eq!(
        status(client.certificate_chain("no-such-key")),
        Status::NTE_NOT_FOUND
    );
    for bad in ["../keys/rsa", ".hidden", "a b"] {
        assert_eq!(
            status(client.certificate_chain(bad)),
            Status::NTE_INVALID_PARAMETER,
            "{bad}"
        );
    }
    // The connection still serves.
    new_ephemeral(&client);
}

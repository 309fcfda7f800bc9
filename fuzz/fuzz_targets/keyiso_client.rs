//! The keyiso client's side of the protocol: what a daemon (or whatever listens on the
//! socket the client was pointed at) can answer.
//!
//! 1. The response decoder: arbitrary bytes as a response body. A response that decodes is
//!    canonical (it encodes back to exactly those bytes).
//! 2. A real `keyward_keyiso::Client` against a fake daemon on a Unix socket that answers
//!    each of the client's requests with the next piece of the input. The first byte says
//!    whether the fake daemon answers the hello itself (even) or from the input (odd); the
//!    rest is a list of `u16` length + body, each sent as a whole frame; a length past the
//!    end sends what is left under a `u32` prefix claiming that length (a truncated frame),
//!    and the daemon closes when the input is used up. The client opens a key, signs, creates
//!    an ephemeral key, extracts and expands TLS 1.3 secrets, updates a traffic secret, runs
//!    the resumption steps (resumption master secret, ticket PSK, early secret from it, binder
//!    key), exports and imports opaque blobs, seals and opens a ticket and frees handles;
//!    every call must return (an error is fine) and never panic, and every request it sends
//!    must decode as the daemon decodes it.
#![no_main]

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::OnceLock;

use keyward_core::backend::Curve;
use keyward_core::codec::Codec;
use keyward_keyiso::protocol::{
    FrameRead, FrameReader, Request, RequestBody, Response, ResponseBody, MAX_FRAME_LEN,
};
use keyward_keyiso::{Client, RemoteOpaqueKey, PROTOCOL_VERSION};
use keyward_ssl::{CipherSuite, Group, Protocol, SignaturePadding};
use libfuzzer_sys::fuzz_target;

/// Makes a write to a closed socket an `EPIPE` error instead of a fatal SIGPIPE: libFuzzer's
/// `main` is not Rust's, so the standard library has not done it.
fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code and touches no
    // memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

const P256_CERT: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/p256.cert.der");

/// What the fake daemon sends for one request.
enum Answer {
    /// A whole frame with this body.
    Body(Vec<u8>),
    /// Raw bytes (a truncated frame), then close.
    Raw(Vec<u8>),
}

/// The fake daemon's listener, bound on first use in a private temporary directory.
fn listener() -> &'static (UnixListener, PathBuf) {
    static LISTENER: OnceLock<(UnixListener, PathBuf)> = OnceLock::new();
    LISTENER.get_or_init(|| {
        ignore_sigpipe();
        let dir =
            std::env::temp_dir().join(format!("keyward-fuzz-keyiso-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("socket directory");
        let path = dir.join("keyiso.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("fake daemon socket");
        (listener, path)
    })
}

/// Splits the input into the fake daemon's answers (see the module documentation).
fn answers(input: &[u8]) -> (bool, Vec<Answer>) {
    let Some((first, mut rest)) = input.split_first() else {
        return (false, Vec::new());
    };
    let mut answers = Vec::new();
    while let Some((len, after)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len));
        if len > after.len() {
            let mut raw = (len as u32).to_be_bytes().to_vec();
            raw.extend_from_slice(after);
            answers.push(Answer::Raw(raw));
            rest = &[];
            break;
        }
        let (body, after) = after.split_at(len);
        answers.push(Answer::Body(body.to_vec()));
        rest = after;
    }
    if !rest.is_empty() {
        answers.push(Answer::Raw(rest.to_vec()));
    }
    (first & 1 == 1, answers)
}

/// The fake daemon: one connection, each request read, checked and answered in turn.
fn fake_daemon(mut stream: UnixStream, hello_from_input: bool, answers: Vec<Answer>) {
    let mut answers = answers.into_iter();
    let mut first = true;
    let mut reader = FrameReader::new();
    loop {
        let request = match reader.read_frame(&mut stream, MAX_FRAME_LEN) {
            Ok(FrameRead::Frame(frame)) => frame,
            _ => return,
        };
        let request = Request::decode(&request).expect("the client sent a bad request");
        let answer = if first && !hello_from_input {
            assert!(matches!(request.body, RequestBody::Hello { .. }));
            Response {
                id: request.id,
                body: ResponseBody::Hello {
                    version: PROTOCOL_VERSION,
                },
            }
            .to_frame()
            .expect("hello encodes")
        } else {
            match answers.next() {
                Some(Answer::Body(body)) => {
                    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
                    frame.extend_from_slice(&body);
                    frame
                }
                Some(Answer::Raw(raw)) => {
                    let _ = stream.write_all(&raw);
                    return;
                }
                None => return,
            }
        };
        first = false;
        if stream.write_all(&answer).is_err() {
            return;
        }
    }
}

/// The calls the client makes; results are ignored, only their returning matters.
fn client_calls(client: &Client) {
    if let Ok(key) = client.open_private_key(P256_CERT) {
        let _ = client.sign_hash(&key, &[0x5a; 32], SignaturePadding::Raw);
        let _ = client.free(key.handle());
    }
    if let Some(suite) = CipherSuite::from_id(0xC02B) {
        if let Ok(ephemeral) =
            client.create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::P256))
        {
            let _ = client.free(ephemeral.handle());
        }
    }
    if let Some(suite) = CipherSuite::from_id(0x1301) {
        if let Ok(early) = client.extract_early_key(suite) {
            if let Ok((traffic, _)) = client.expand_traffic_keys(&early, &[0x11; 32]) {
                let _ = client.expand_write_key(&traffic);
            }
            let _ = client.free(early.handle());
        }
    }
    resumption_calls(client);
    if let Ok(ticket) = client.seal_ticket(b"keyward session ticket 1", b"state") {
        let _ = client.open_ticket(b"keyward session ticket 1", &ticket);
    }
}

/// The key update, resumption and opaque-blob calls, each on what the one before returned.
fn resumption_calls(client: &Client) {
    let Ok(imported) = client.import_opaque_key(&[0x4b; 92]) else {
        return;
    };
    let secret = match imported {
        RemoteOpaqueKey::Tls13(secret) => secret,
        RemoteOpaqueKey::Master(master) => {
            let _ = client.export_opaque_key(master.handle());
            return;
        }
    };
    if let Ok(next) = client.update_traffic_secret(&secret) {
        let _ = client.free(next.handle());
    }
    if let Ok(resumption) = client.expand_resumption_master_key(&secret, &[0x22; 32]) {
        if let Ok(psk) = client.expand_pre_shared_key(&resumption, &[0]) {
            let _ = client.export_opaque_key(psk.handle());
            if let Ok(early) = client.extract_early_key_with_psk(&psk) {
                if let Ok(binder) = client.expand_binder_key(&early, true) {
                    let _ = client.compute_tls13_finished(&binder, &[0x33; 32]);
                }
            }
        }
    }
    let _ = client.free(secret.handle());
}

fn drive_client(input: &[u8]) {
    let (listener, path) = listener();
    let (hello_from_input, answers) = answers(input);
    let server = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            fake_daemon(stream, hello_from_input, answers);
        }
    });
    if let Ok(client) = Client::connect(path) {
        client_calls(&client);
    }
    if let Err(panic) = server.join() {
        std::panic::resume_unwind(panic);
    }
}

fuzz_target!(|input: &[u8]| {
    if let Ok(response) = Response::decode(input) {
        let frame = response.to_frame().expect("a decoded response encodes");
        assert_eq!(
            frame.get(4..),
            Some(input),
            "response decoding is not canonical"
        );
    }
    drive_client(input);
});

//! The keyiso daemon's side of the protocol: what any local client of an allowed uid can
//! send it.
//!
//! 1. The request decoder: arbitrary bytes as a request body. A request that decodes is
//!    canonical (it encodes back to exactly those bytes).
//! 2. A real daemon (`keyward_keyiso::Daemon`, with the P-256 and RSA-2048 fixture keys of
//!    keyward-tls in a temporary store, and a limit of 8 handles per connection), over its
//!    Unix socket. Each input is a new connection: the harness sends a valid hello, then the
//!    input as a stream of frames (`u32` length, body), in lockstep, one answer read per
//!    whole frame; a trailing partial or oversized frame is sent as it is, then the write
//!    half is shut. The daemon must answer every whole frame with a response the client's
//!    decoder accepts and whose id is the request's or 0, or close; it must never hang, never
//!    panic, never hold more than the limit of handles, and hold none once the connection is
//!    gone (and its thread must then exit).
//!
//! Handles are random, so an input cannot name one: an 8-byte big-endian value `n` from 1 to
//! 16 in a frame body stands for the `n`-th handle the daemon returned on this connection
//! and is replaced by it before the frame is sent. Seeds: fuzz/make-seeds (their certificate
//! is the P-256 fixture's).
#![no_main]

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use keyward_core::codec::Codec;
use keyward_core::store::KeyStore;
use keyward_keyiso::protocol::{
    FrameRead, FrameReader, Request, RequestBody, Response, ResponseBody, MAX_FRAME_LEN, UNSOLICITED,
};
use keyward_keyiso::{Config, Daemon, Limits, RunningDaemon, PROTOCOL_VERSION};
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

/// Handles one connection may hold in the fuzzed daemon.
const MAX_HANDLES: usize = 8;
/// Placeholder handle values an input may use.
const PLACEHOLDERS: u64 = 16;
/// How long an answer may take before the daemon counts as hung.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

const P256_KEY: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/p256.key.p8.der");
const P256_CERT: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/p256.cert.der");
const RSA_KEY: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/rsa2048.key.p8.der");
const RSA_CERT: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/rsa2048.cert.der");

/// The daemon every input talks to, started on first use.
fn daemon() -> &'static RunningDaemon {
    static DAEMON: OnceLock<RunningDaemon> = OnceLock::new();
    DAEMON.get_or_init(|| {
        ignore_sigpipe();
        let dir: PathBuf =
            std::env::temp_dir().join(format!("keyward-fuzz-keyiso-{}", std::process::id()));
        let store_dir = dir.join("store");
        let store = KeyStore::open(&store_dir).expect("fuzz key store");
        store
            .import("p256", P256_KEY, P256_CERT)
            .expect("P-256 fixture");
        store
            .import("rsa2048", RSA_KEY, RSA_CERT)
            .expect("RSA fixture");
        let mut config = Config::new(dir.join("run").join("keyiso.sock"), Some(store_dir));
        config.limits = Limits {
            max_handles: MAX_HANDLES,
            ..Limits::default()
        };
        Daemon::bind(config)
            .and_then(Daemon::spawn)
            .expect("fuzz daemon")
    })
}

/// Replaces placeholder handles (8-byte big-endian 1..=16) with the handles returned so far.
fn substitute_handles(body: &mut [u8], handles: &[u64]) {
    let mut at = 0;
    while let Some(window) = body.get_mut(at..at + 8) {
        let value = u64::from_be_bytes(window.try_into().unwrap_or([0xff; 8]));
        if (1..=PLACEHOLDERS).contains(&value) {
            if let Some(handle) = handles.get(value as usize - 1) {
                window.copy_from_slice(&handle.to_be_bytes());
                at += 8;
                continue;
            }
        }
        at += 1;
    }
}

/// The handles a response gives the client.
fn returned_handles(body: &ResponseBody) -> Vec<u64> {
    match body {
        ResponseBody::PrivateKeyOpened { key, .. } => vec![key.get()],
        ResponseBody::Handle { handle } => vec![handle.get()],
        ResponseBody::EphemeralKeyCreated { key, .. } => vec![key.get()],
        ResponseBody::OpaqueKeyImported { handle, .. } => vec![handle.get()],
        ResponseBody::TrafficSecrets { client, server, .. } => {
            let mut handles = vec![client.get()];
            handles.extend(server.map(|handle| handle.get()));
            handles
        }
        _ => Vec::new(),
    }
}

/// Reads one answer; `None` when the daemon closed the connection. Checks the answer as the
/// client would.
fn answer(reader: &mut FrameReader, stream: &mut UnixStream, id: u32) -> Option<Response> {
    match reader.read_frame(stream, MAX_FRAME_LEN) {
        Ok(FrameRead::Frame(frame)) => {
            let response = Response::decode(&frame).expect("the daemon sent a bad response");
            assert!(
                response.id == id || response.id == UNSOLICITED,
                "answer to {id} has id {}",
                response.id
            );
            Some(response)
        }
        Ok(FrameRead::TooLarge(len)) => panic!("the daemon sent a frame of {len} bytes"),
        Ok(FrameRead::Closed) => None,
        Err(error) => {
            assert_ne!(
                error.kind(),
                std::io::ErrorKind::WouldBlock,
                "the daemon did not answer in time"
            );
            None
        }
    }
}

/// The daemon's connection threads still alive (by their name, `keyiso-client`).
fn connection_threads() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim_end() == "keyiso-client")
        })
        .count()
}

/// Waits until the daemon holds no handle (its connection thread has dropped the table) and
/// its connection thread has exited. The second wait keeps LeakSanitizer from catching a
/// thread between glibc clearing a thread-specific value and the destructor freeing it (aws-lc
/// keeps its per-thread RNG state there), which it would report as a leak.
fn assert_connection_gone(daemon: &RunningDaemon) {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    while daemon.live_handles() != 0 {
        assert!(
            Instant::now() < deadline,
            "{} handles outlived their connection",
            daemon.live_handles()
        );
        std::thread::sleep(Duration::from_micros(50));
    }
    while connection_threads() != 0 {
        assert!(
            Instant::now() < deadline,
            "a connection thread outlived its connection"
        );
        std::thread::sleep(Duration::from_micros(50));
    }
}

fn drive_daemon(input: &[u8]) {
    let daemon = daemon();
    let mut stream = UnixStream::connect(daemon.socket_path()).expect("connect to the daemon");
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .expect("read timeout");
    let hello = Request {
        id: 1,
        body: RequestBody::Hello {
            version: PROTOCOL_VERSION,
        },
    };
    stream
        .write_all(&hello.to_frame().expect("hello encodes"))
        .expect("send hello");
    let mut reader = FrameReader::new();
    match answer(&mut reader, &mut stream, 1).map(|response| response.body) {
        Some(ResponseBody::Hello { version }) => assert_eq!(version, PROTOCOL_VERSION),
        other => panic!("hello answered {other:?}"),
    }

    let mut handles: Vec<u64> = Vec::new();
    let mut rest = input;
    loop {
        let Some((prefix, after)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let len = u32::from_be_bytes(*prefix) as usize;
        if len > MAX_FRAME_LEN || len > after.len() {
            // Oversized or truncated: sent as it is; the daemon answers or closes.
            let _ = stream.write_all(rest);
            rest = &[];
            break;
        }
        let (body, after) = after.split_at(len);
        let mut body = body.to_vec();
        substitute_handles(&mut body, &handles);
        let id = body
            .first_chunk::<4>()
            .map_or(UNSOLICITED, |id| u32::from_be_bytes(*id));
        if stream.write_all(prefix).is_err() || stream.write_all(&body).is_err() {
            break;
        }
        let Some(response) = answer(&mut reader, &mut stream, id) else {
            rest = &[];
            break;
        };
        handles.extend(returned_handles(&response.body));
        assert!(
            daemon.live_handles() <= MAX_HANDLES,
            "{} live handles over a limit of {MAX_HANDLES}",
            daemon.live_handles()
        );
        rest = after;
    }
    // A tail shorter than a length prefix.
    let _ = stream.write_all(rest);
    let _ = stream.shutdown(Shutdown::Write);
    // Whatever is left (answers to a bad tail), then the close.
    let mut tail = Vec::new();
    let _ = stream.read_to_end(&mut tail);
    drop(stream);
    assert_connection_gone(daemon);
}

fuzz_target!(|input: &[u8]| {
    if let Ok(request) = Request::decode(input) {
        let frame = request.to_frame().expect("a decoded request encodes");
        assert_eq!(
            frame.get(4..),
            Some(input),
            "request decoding is not canonical"
        );
    }
    drive_daemon(input);
});

//! Shared fixtures of the keyward-keyiso tests: a throw-away key store with an RSA and an
//! ECDSA server key, a daemon on a temporary socket, and record round trips.

#![allow(dead_code)]

use keyward_core::store::{KeyKind, KeyStore};
use keyward_core::{Result, Status};
use keyward_keyiso::{Config, Daemon, RunningDaemon};
use keyward_ssl::{PrivateKey, Provider, PublicKey, SessionKey};
use keyward_test_support::TempDir;
use keyward_tls::ConnectionCommon;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The test store, created once per test binary.
pub struct Fixture {
    /// The store's directory.
    pub dir: TempDir,
    /// Certificate of the RSA-2048 key.
    pub rsa_certificate: Vec<u8>,
    /// Certificate of the ECDSA P-256 key.
    pub ecdsa_certificate: Vec<u8>,
}

/// The shared fixture.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = TempDir::new("keyiso-store");
        let store = KeyStore::open(&dir).unwrap();
        let rsa = store
            .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
            .unwrap();
        let ecdsa = store
            .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
            .unwrap();
        Fixture {
            dir,
            rsa_certificate: rsa.certificate().to_vec(),
            ecdsa_certificate: ecdsa.certificate().to_vec(),
        }
    })
}

/// A daemon on a fresh socket over the fixture store, and the directory holding the socket.
pub struct TestDaemon {
    /// The running daemon (dropped before the directory).
    pub daemon: RunningDaemon,
    /// The socket's directory.
    pub run_dir: TempDir,
}

impl TestDaemon {
    /// The socket path.
    pub fn socket(&self) -> PathBuf {
        self.daemon.socket_path().to_path_buf()
    }

    /// Waits (up to 5 s) until the daemon holds `expected` live handles; returns the last count.
    pub fn wait_for_live_handles(&self, expected: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let live = self.daemon.live_handles();
            if live == expected || Instant::now() > deadline {
                return live;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Starts a daemon with the default configuration, changed by `configure`.
pub fn start_daemon_with(configure: impl FnOnce(&mut Config)) -> TestDaemon {
    let run_dir = TempDir::new("keyiso-run");
    let mut config = Config::new(
        run_dir.join("keyiso.sock"),
        Some(fixture().dir.to_path_buf()),
    );
    configure(&mut config);
    let daemon = Daemon::bind(config).unwrap().spawn().unwrap();
    TestDaemon { daemon, run_dir }
}

/// Starts a daemon with the default configuration.
pub fn start_daemon() -> TestDaemon {
    start_daemon_with(|_| {})
}

/// The in-process peer of a handshake (the TLS client): a provider without a key store.
pub fn peer() -> Provider {
    Provider::open(None).unwrap()
}

/// The public key of a fixture certificate, as a TLS client would take it from the
/// certificate (read here through an in-process provider over the store).
pub fn certificate_key(certificate: &[u8]) -> PublicKey {
    let store = Provider::with_key_store(KeyStore::open(&fixture().dir).unwrap());
    let key: PrivateKey = store.open_private_key(certificate).unwrap();
    key.public_key()
}

/// The status a call ended with.
pub fn status<T>(result: Result<T>) -> Status {
    match result {
        Ok(_) => Status::SUCCESS,
        Err(err) => err.status(),
    }
}

/// A record sealed by `sender` at `seq` opens at `receiver`, and a tampered one does not.
pub fn record_crosses(sender: &SessionKey, receiver: &SessionKey, seq: u64, payload: &[u8]) {
    let mut wire = vec![0u8; sender.max_encrypted_len(payload.len())];
    let len = sender.encrypt_packet(payload, &mut wire, seq, 23).unwrap();
    let mut plain = vec![0u8; len];
    let n = receiver
        .decrypt_packet(&wire[..len], &mut plain, seq)
        .unwrap();
    assert_eq!(&plain[..n], payload);
    let mut tampered = wire[..len].to_vec();
    tampered[len - 1] ^= 1;
    assert!(receiver.decrypt_packet(&tampered, &mut plain, seq).is_err());
}

/// Records cross both ways, for a few sequence numbers.
pub fn records_interoperate(
    (ours_write, ours_read): (&SessionKey, &SessionKey),
    (theirs_write, theirs_read): (&SessionKey, &SessionKey),
) {
    for seq in 0..3 {
        record_crosses(
            ours_write,
            theirs_read,
            seq,
            b"HTTP/1.1 200 OK\r\n\r\nhello",
        );
        record_crosses(theirs_write, ours_read, seq, b"GET / HTTP/1.1\r\n\r\n");
    }
}

/// Copies `from` to `to`, appending every byte to `log`, until `from` closes.
pub fn pump(mut from: UnixStream, mut to: UnixStream, log: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// A relay at `relay` to the daemon at `daemon` for one connection; returns the recording.
pub fn relay(relay: &Path, daemon: &Path) -> Arc<Mutex<Vec<u8>>> {
    let listener = UnixListener::bind(relay).unwrap();
    let daemon = daemon.to_path_buf();
    let log = Arc::new(Mutex::new(Vec::new()));
    let thread_log = log.clone();
    thread::spawn(move || {
        let (client_side, _) = listener.accept().unwrap();
        let daemon_side = UnixStream::connect(&daemon).unwrap();
        let up = (
            client_side.try_clone().unwrap(),
            daemon_side.try_clone().unwrap(),
        );
        let log_up = thread_log.clone();
        let upstream = thread::spawn(move || pump(up.0, up.1, log_up));
        pump(daemon_side, client_side, thread_log);
        let _ = upstream.join();
    });
    log
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Moves what `from` has to send into `to` and processes it; returns the bytes moved.
pub fn move_bytes(
    from: &mut ConnectionCommon,
    to: &mut ConnectionCommon,
) -> std::result::Result<usize, keyward_tls::Error> {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire).unwrap();
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets()?;
    }
    Ok(wire.len())
}

/// Runs a client and a server connection against each other until neither has anything
/// to send.
pub fn exchange(
    c: &mut ConnectionCommon,
    s: &mut ConnectionCommon,
) -> std::result::Result<(), keyward_tls::Error> {
    while move_bytes(c, s)? + move_bytes(s, c)? > 0 {}
    Ok(())
}

//! Failure behaviour of the isolated provider, with keyward-tls on top:
//!
//! - no daemon: opening is `NTE_PROV_DLL_NOT_FOUND`, and works once the daemon is up;
//! - the daemon process killed and started again: old handles are `NTE_INVALID_HANDLE`, an
//!   in-flight TLS connection fails with an error (no panic), new handshakes on the same
//!   server configuration succeed (its private key is opened again);
//! - a client process killed with SIGKILL mid-handshake: the daemon's live handles return
//!   to their earlier count;
//! - a flooding client is throttled (`NTE_DEVICE_NOT_READY`) while another client's
//!   handshakes complete.
//!
//! Child processes are this test binary run again with an environment variable that makes
//! `helper_process` act as a daemon or as a client that holds handles and sleeps.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_core::Status;
use keyward_keyiso::{isolated_provider, Client, Config, Daemon, Limits};
use keyward_ssl::{CipherSuite, Group, Parameters, Protocol, PublicKey, Side};
use keyward_test_support::TempDir;
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ClientConnection, ServerConfig};
use keyward_tls::{ServerConnection, Version};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_DAEMON: &str = "KEYISO_TEST_CHILD_DAEMON";
const CHILD_CLIENT: &str = "KEYISO_TEST_CHILD_CLIENT";
const CHILD_STORE: &str = "KEYISO_TEST_CHILD_STORE";
const CHILD_READY: &str = "keyiso-test-child-ready";

/// Not a test of its own: what a child process runs (nothing without the variables).
#[test]
fn helper_process() {
    if let Some(socket) = std::env::var_os(CHILD_DAEMON) {
        let store = std::env::var_os(CHILD_STORE).map(PathBuf::from);
        Daemon::bind(Config::new(PathBuf::from(socket), store))
            .unwrap()
            .run()
            .unwrap();
    }
    if let Some(socket) = std::env::var_os(CHILD_CLIENT) {
        let certificate = std::fs::read(std::env::var_os(CHILD_STORE).unwrap()).unwrap();
        let client = Client::connect(PathBuf::from(socket)).unwrap();
        let suite = CipherSuite::from_id(0xC02F).unwrap();
        let _key = client.open_private_key(&certificate).unwrap();
        // The early secret is pipelined: it goes with the next request, an ephemeral key.
        let tls13 = CipherSuite::from_id(0x1301).unwrap();
        client.extract_early_key(tls13).unwrap();
        for _ in 0..3 {
            client
                .create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::X25519))
                .unwrap();
        }
        println!("{CHILD_READY}");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(Duration::from_secs(120));
    }
}

/// This test binary again, running `helper_process` with `env`.
fn spawn_helper(env: &[(&str, &Path)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "helper_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// A daemon in a child process over the fixture store, ready to accept.
fn spawn_daemon(socket: &Path) -> Child {
    let child = spawn_helper(&[
        (CHILD_DAEMON, socket),
        (CHILD_STORE, fixture().dir.as_ref()),
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Client::connect(socket).is_err() {
        assert!(Instant::now() < deadline, "the child daemon did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Moves what `from` has to send into `to`; the first error `to` reports.
fn isolated_server(socket: &Path) -> Arc<ServerConfig> {
    let provider = Arc::new(isolated_provider(socket).unwrap());
    let certificate = &fixture().rsa_certificate;
    let key = provider.open_private_key(certificate).unwrap();
    let certified = CertifiedKey::new(vec![certificate.clone()], key).unwrap();
    Arc::new(ServerConfig::new(
        provider,
        CertResolver::new(vec![certified]),
    ))
}

fn connections(
    server: &Arc<ServerConfig>,
    version: Version,
) -> (ClientConnection, ServerConnection) {
    let mut client = ClientConfig::new(Arc::new(peer()), ServerCertVerifier::insecure());
    client.versions = vec![version];
    let c = ClientConnection::new(Arc::new(client), "localhost").unwrap();
    let s = ServerConnection::new(server.clone()).unwrap();
    (c, s)
}

/// A full handshake and one record each way.
fn handshake(server: &Arc<ServerConfig>, version: Version) {
    let (mut c, mut s) = connections(server, version);
    exchange(&mut c, &mut s).unwrap();
    assert!(!c.is_handshaking() && !s.is_handshaking());
    c.writer().write_all(b"ping").unwrap();
    exchange(&mut c, &mut s).unwrap();
    let mut buf = [0u8; 8];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
}

#[test]
fn no_daemon_is_prov_dll_not_found_until_it_is_up() {
    let run = TempDir::new("keyiso-down");
    let socket = run.join("keyiso.sock");
    assert_eq!(
        status(isolated_provider(&socket)),
        Status::NTE_PROV_DLL_NOT_FOUND
    );
    // A stale socket file with nobody listening: the same.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert_eq!(
        status(isolated_provider(&socket)),
        Status::NTE_PROV_DLL_NOT_FOUND
    );
    let daemon = Daemon::bind(Config::new(&socket, Some(fixture().dir.to_path_buf())))
        .unwrap()
        .spawn()
        .unwrap();
    handshake(&isolated_server(&socket), Version::Tls13);
    daemon.stop();
}

#[test]
fn a_restarted_daemon_invalidates_old_handles_and_serves_new_handshakes() {
    let run = TempDir::new("keyiso-restart");
    let socket = run.join("keyiso.sock");
    let first = spawn_daemon(&socket);
    let server = isolated_server(&socket);
    handshake(&server, Version::Tls12);
    handshake(&server, Version::Tls13);

    // Objects of the first daemon, and a TLS 1.2 connection in flight: the server's
    // ephemeral key is in the daemon, waiting for the client's key exchange.
    let provider = server.provider.clone();
    let suite = CipherSuite::from_id(0xC02F).unwrap();
    let old = provider
        .create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::P256))
        .unwrap();
    let (mut c, mut s) = connections(&server, Version::Tls12);
    move_bytes(&mut c, &mut s).unwrap(); // ClientHello → the server's first flight
    move_bytes(&mut s, &mut c).unwrap();

    kill(first);
    let second = spawn_daemon(&socket);

    // The in-flight connection fails with an error, not a panic.
    assert!(exchange(&mut c, &mut s).is_err());
    // Old handles are NTE_INVALID_HANDLE.
    let peer_share = peer()
        .create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::P256))
        .unwrap()
        .public_key();
    let randoms = Parameters::with_randoms(&[1; 32], &[2; 32]);
    assert_eq!(
        status(provider.generate_master_key(
            &old,
            &peer_share,
            Protocol::Tls12,
            suite,
            &randoms,
            Side::Server
        )),
        Status::NTE_INVALID_HANDLE
    );
    drop(old);
    let _: PublicKey = peer_share;
    // New handshakes on the same configuration work: the connection to the new daemon is
    // made on demand and the server's key opened there again.
    handshake(&server, Version::Tls12);
    handshake(&server, Version::Tls13);
    kill(second);
}

#[test]
fn a_client_killed_mid_handshake_leaves_no_handles() {
    let test_daemon = start_daemon();
    let socket = test_daemon.socket();
    let before = test_daemon.daemon.live_handles();
    let run = TempDir::new("keyiso-killed");
    let certificate = run.join("rsa.der");
    std::fs::write(&certificate, &fixture().rsa_certificate).unwrap();
    let mut child = spawn_helper(&[(CHILD_CLIENT, &socket), (CHILD_STORE, &certificate)]);
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(CHILD_READY));
    assert!(ready, "the child client did not get ready");
    // A private key, three ephemeral keys and an early secret.
    assert_eq!(test_daemon.wait_for_live_handles(before + 5), before + 5);
    kill(child);
    assert_eq!(test_daemon.wait_for_live_handles(before), before);
    // The daemon serves on.
    handshake(&isolated_server(&socket), Version::Tls13);
}

#[test]
fn a_flooding_client_is_throttled_while_handshakes_go_on() {
    let test_daemon = start_daemon_with(|config| {
        config.limits = Limits {
            burst: 200,
            requests_per_second: 100,
            ..Limits::default()
        };
    });
    let socket = test_daemon.socket();
    let server = isolated_server(&socket);
    let flood_socket = socket.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = stop.clone();
    let flooder = std::thread::spawn(move || {
        let client = Client::connect(&flood_socket).unwrap();
        let suite = CipherSuite::from_id(0xC02F).unwrap();
        let mut throttled = 0usize;
        while !flooding.load(std::sync::atomic::Ordering::SeqCst) {
            let key = client.create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::X25519));
            match key {
                Ok(key) => {
                    let _ = client.free(key.handle());
                }
                Err(error) => {
                    assert_eq!(error.status(), Status::NTE_DEVICE_NOT_READY);
                    throttled += 1;
                }
            }
        }
        throttled
    });
    // Let the flooder use up its burst.
    std::thread::sleep(Duration::from_millis(300));
    for version in [Version::Tls13, Version::Tls12, Version::Tls13] {
        handshake(&server, version);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let throttled = flooder.join().unwrap();
    assert!(throttled > 0, "the flooder was never throttled");
    // The flooder's connection is still a valid peer: nothing was torn down.
    assert!(UnixStream::connect(&socket).is_ok());
}

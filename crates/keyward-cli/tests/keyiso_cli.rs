//! `keyward keyiso` as a process: it opens the key store of `KEYWARD_HOME`, prints its ready
//! line, serves a `keyward_keyiso::Client` (open a private key by its certificate, sign), and
//! on SIGTERM or SIGINT exits with success and removes its socket.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use keyward_core::backend::HashAlgorithm;
use keyward_core::store::{KeyKind, KeyStore};
use keyward_keyiso::{Client, KeyAlgorithm};
use keyward_ssl::SignaturePadding;
use keyward_test_support::TempDir;
use x509_parser::prelude::{FromDer, X509Certificate};

const KEYWARD: &str = env!("CARGO_BIN_EXE_keyward");

/// A running `keyward keyiso`; killed on drop if still running.
struct Daemon {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `keyward keyiso --socket SOCKET` over the store `home` and waits for its ready
    /// line (at most 30 s).
    fn start(home: &Path, socket: &Path) -> Daemon {
        let mut child = Command::new(KEYWARD)
            .arg("keyiso")
            .arg("--socket")
            .arg(socket)
            .env("KEYWARD_HOME", home)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = lines.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(
            ready,
            format!("keyward keyiso: listening on {}", socket.display())
        );
        Daemon { child, lines }
    }

    /// Sends `signal` and waits (at most 10 s) for a successful exit; returns what it printed
    /// after the ready line.
    fn stop_with(mut self, signal: &str) -> Vec<String> {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "keyward keyiso ignored {signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(exit.success(), "{exit:?}");
        self.lines.try_iter().collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The subject public key of a certificate (PKCS#1 for RSA, the point for EC), as
/// aws-lc-rs's verifiers take it.
fn subject_public_key(certificate: &[u8]) -> Vec<u8> {
    let (_, parsed) = X509Certificate::from_der(certificate).unwrap();
    parsed.public_key().subject_public_key.data.to_vec()
}

#[test]
fn the_daemon_signs_for_a_client_and_stops_cleanly() {
    let home = TempDir::new("keyiso-cli");
    let store = KeyStore::open(home.path()).unwrap();
    let rsa = store
        .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
        .unwrap();
    let ecdsa = store
        .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let socket = home.path().join("run").join("keyiso.sock");

    let daemon = Daemon::start(home.path(), &socket);
    let client = Client::connect(&socket).unwrap();
    let message = b"keyward keyiso signs this";
    let hash = digest::digest(&digest::SHA256, message);

    // RSA-PSS over SHA-256, checked by aws-lc-rs against the certificate's public key.
    let key = client.open_private_key(rsa.certificate()).unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Rsa);
    assert_eq!(key.certificate(), rsa.certificate());
    let signature = client
        .sign_hash(
            &key,
            hash.as_ref(),
            SignaturePadding::Pss(HashAlgorithm::Sha256),
        )
        .unwrap();
    assert_eq!(signature.len(), key.signature_len());
    UnparsedPublicKey::new(
        &signature::RSA_PSS_2048_8192_SHA256,
        subject_public_key(rsa.certificate()),
    )
    .verify(message, &signature)
    .unwrap();

    // ECDSA P-256 (r ‖ s), likewise.
    let key = client.open_private_key(ecdsa.certificate()).unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Ecdsa);
    let signature = client
        .sign_hash(&key, hash.as_ref(), SignaturePadding::Raw)
        .unwrap();
    UnparsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_FIXED,
        subject_public_key(ecdsa.certificate()),
    )
    .verify(message, &signature)
    .unwrap();

    // A certificate the store has no key for.
    let other = TempDir::new("keyiso-cli-other");
    let stranger = KeyStore::open(other.path())
        .unwrap()
        .generate_self_signed("stranger", KeyKind::EcP256, &["localhost"])
        .unwrap();
    assert!(client.open_private_key(stranger.certificate()).is_err());

    drop(client);
    let after = daemon.stop_with("-TERM");
    assert!(
        after
            .iter()
            .any(|line| line.contains("stopped (terminate)")),
        "{after:?}"
    );
    assert!(!socket.exists(), "the socket outlived the daemon");

    // SIGINT as well, and a restart on the same path.
    let daemon = Daemon::start(home.path(), &socket);
    assert!(Client::connect(&socket).is_ok());
    daemon.stop_with("-INT");
    assert!(!socket.exists());
}

#[test]
fn a_live_daemon_keeps_its_socket() {
    let home = TempDir::new("keyiso-cli-twice");
    let socket = home.path().join("run").join("keyiso.sock");
    let daemon = Daemon::start(home.path(), &socket);
    let second = Command::new(KEYWARD)
        .arg("keyiso")
        .arg("--socket")
        .arg(&socket)
        .env("KEYWARD_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another daemon is listening"), "{stderr}");
    assert!(Client::connect(&socket).is_ok());
    daemon.stop_with("-TERM");
}

//! `keyward keyiso` as a process: it opens the key store of `KEYWARD_HOME`, prints its ready
//! line, serves a `keyward_keyiso::Client` (open a private key by its certificate, sign), and
//! on SIGTERM or SIGINT exits with success and removes its socket.

mod tls_support;

use std::process::{Command, Stdio};

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use keyward_core::backend::HashAlgorithm;
use keyward_core::store::{KeyKind, KeyStore};
use keyward_keyiso::{Client, KeyAlgorithm};
use keyward_ssl::SignaturePadding;
use tls_support::{KeyisoDaemon, TempDir, KEYWARD};
use x509_parser::prelude::{FromDer, X509Certificate};

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

    let daemon = KeyisoDaemon::start(home.path(), &socket);
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
    let daemon = KeyisoDaemon::start(home.path(), &socket);
    assert!(Client::connect(&socket).is_ok());
    daemon.stop_with("-INT");
    assert!(!socket.exists());
}

#[test]
fn a_live_daemon_keeps_its_socket() {
    let home = TempDir::new("keyiso-cli-twice");
    let socket = home.path().join("run").join("keyiso.sock");
    let daemon = KeyisoDaemon::start(home.path(), &socket);
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

//! curl (OpenSSL) fetches a page from the example rustls server, whose private keys are
//! keyward's: TLS 1.3 and TLS 1.2, with an RSA-2048 and with an ECDSA P-256 certificate, with
//! the keys in process and with the keys in the keyiso daemon (the isolated provider).

#[path = "../examples/server.rs"]
mod server;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_test_support::TempDir;

/// Starts the example server on a free port over `key` alone, on a thread, its provider the
/// store's or the keyiso daemon's on `keyiso`; returns the port and the CA file.
fn start(store: &KeyStore, name: &str, kind: KeyKind, keyiso: Option<&Path>) -> (u16, String) {
    let key = server::get_or_create(store, name, kind).unwrap();
    let provider = server::provider(KeyStore::open(store.dir()).unwrap(), keyiso).unwrap();
    let config = server::server_config(&provider, std::slice::from_ref(&key)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || server::serve(listener, config));
    let ca = store.dir().join(format!("{name}.pem"));
    std::fs::write(&ca, server::certificate_pem(key.certificate())).unwrap();
    (port, ca.display().to_string())
}

/// `curl --cacert CA` with `version` options; returns the page.
fn curl(port: u16, ca: &str, version: &[&str]) -> String {
    let output = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--cacert",
            ca,
        ])
        .args(version)
        .arg(format!("https://localhost:{port}/"))
        .output()
        .expect("curl runs");
    assert!(
        output.status.success(),
        "curl {version:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn curl_fetches_a_page_over_tls13_and_tls12_with_rsa_and_ecdsa() {
    let home = TempDir::new("keyward-rustls-curl");
    let store = KeyStore::open(home.path()).unwrap();
    fetch_pages(&store, None);
}

/// The same pages with the private keys in the keyiso daemon: the server's provider has no
/// key store, and the daemon holds the opened keys while the server runs.
#[test]
fn curl_fetches_a_page_with_the_keys_in_the_keyiso_daemon() {
    let home = TempDir::new("keyward-rustls-keyiso");
    let store = KeyStore::open(home.path()).unwrap();
    for (name, kind) in [
        ("rsa", KeyKind::Rsa { bits: 2048 }),
        ("ecdsa", KeyKind::EcP256),
    ] {
        server::get_or_create(&store, name, kind).unwrap();
    }
    let sockets = TempDir::new("keyward-rustls-keyiso-socket");
    let socket = sockets.path().join("keyiso.sock");
    let daemon = keyward_keyiso::Daemon::bind(keyward_keyiso::Config::new(
        &socket,
        Some(home.path().to_path_buf()),
    ))
    .unwrap()
    .spawn()
    .unwrap();
    let isolated = server::provider(KeyStore::open(home.path()).unwrap(), Some(&socket)).unwrap();
    assert!(
        isolated.key_store().is_err(),
        "the isolated provider has no key store"
    );
    fetch_pages(&store, Some(&socket));
    assert!(
        daemon.live_handles() >= 2,
        "the daemon holds the servers' keys"
    );
}

fn fetch_pages(store: &KeyStore, keyiso: Option<&Path>) {
    for (name, kind) in [
        ("rsa", KeyKind::Rsa { bits: 2048 }),
        ("ecdsa", KeyKind::EcP256),
    ] {
        let (port, ca) = start(store, name, kind, keyiso);
        for (version, expected) in [
            (["--tlsv1.3", "--tls-max", "1.3"], "protocol: TLSv1_3"),
            (["--tlsv1.2", "--tls-max", "1.2"], "protocol: TLSv1_2"),
        ] {
            let page = curl(port, &ca, &version);
            assert!(
                page.starts_with("hello from rustls with a keyward key\n"),
                "{name} {version:?}: {page}"
            );
            assert!(page.contains(expected), "{name} {version:?}: {page}");
            assert!(page.contains("request: GET / HTTP/1.1"), "{page}");
        }
        // TLS 1.2 with the key's own suites, so the signature is over ServerKeyExchange.
        let suite = match kind {
            KeyKind::EcP256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
            _ => "ECDHE-RSA-AES256-GCM-SHA384",
        };
        let page = curl(
            port,
            &ca,
            &["--tlsv1.2", "--tls-max", "1.2", "--ciphers", suite],
        );
        assert!(page.contains("protocol: TLSv1_2"), "{page}");
    }
}

#[test]
fn the_example_writes_a_bundle_curl_trusts() {
    let home = TempDir::new("keyward-rustls-bundle");
    let store = KeyStore::open(home.path()).unwrap();
    let (keys, bundle) = server::load_keys(&store).unwrap();
    assert_eq!(keys.len(), 2);
    // A second run reuses the keys.
    let (again, _) = server::load_keys(&store).unwrap();
    assert_eq!(again[1].certificate(), keys[1].certificate());
    let provider = server::provider(KeyStore::open(home.path()).unwrap(), None).unwrap();
    let config = server::server_config(&provider, &keys).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || server::serve(listener, config));
    let page = curl(port, &bundle.display().to_string(), &[]);
    assert!(page.contains("protocol: TLSv1_3"), "{page}");
}

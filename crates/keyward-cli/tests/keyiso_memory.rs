//! Proof that the keys stay out (issue 18, item 7): `keyward serve --keyiso SOCKET` completes
//! handshakes with TLS 1.2 RSA key exchange, TLS 1.2 ECDHE (RSA and ECDSA certificates) and
//! TLS 1.3 through a `keyward keyiso` daemon process; then this test reads the whole memory of
//! the serve process (every readable mapping of `/proc/PID/maps`, through `/proc/PID/mem`) and
//! searches it for the RSA key's primes and private exponent, the ECDSA private scalar and
//! every secret curl logged through `SSLKEYLOGFILE` (TLS 1.2 master secrets, TLS 1.3 handshake
//! and application traffic secrets and exporter secrets). It must find none of them. As a
//! control, the same search of the daemon's memory must find both private keys, which shows
//! that the search would see them where they are.
//!
//! The search is keyward-test-support's `memory_scan` (16-byte windows of each value, in both
//! byte orders), shared with keyward-ffi's test of libkeyward through the daemon.

mod tls_support;

use std::path::Path;
use std::process::Command;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_test_support::memory_scan::{ec_scalar, key_log, rsa_secrets, scan_memory, Needle};
use tls_support::{certificate_bundle, has_line, KeyisoDaemon, Server, TempDir};

/// Runs `curl` against `server` with `args`, logging its secrets to `key_log`; returns the
/// page. Panics unless curl succeeds.
fn curl(server: &Server, ca: &Path, key_log: &Path, args: &[&str]) -> String {
    let port = server.port;
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(args)
        .arg(format!("https://localhost:{port}/"))
        .env("SSLKEYLOGFILE", key_log)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "curl {args:?}: {}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn serve_memory_holds_no_private_key_and_no_master_secret() {
    let home = TempDir::new("keyiso-memory");
    let store = KeyStore::open(home.path()).unwrap();
    store
        .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
        .unwrap();
    store
        .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let ca = certificate_bundle(&store, &["rsa", "ecdsa"], home.path());
    let run = TempDir::new("keyiso-memory-run");
    let socket = run.path().join("keyiso.sock");
    let socket_arg = socket.display().to_string();

    let daemon = KeyisoDaemon::start(home.path(), &socket);
    let server = Server::start(
        home.path(),
        &["--keyiso", &socket_arg, "--cert", "rsa", "--cert", "ecdsa"],
    );

    // The handshakes, each with its own key log: (what, curl's arguments, a line of the page).
    let tls12 = ["--tlsv1.2", "--tls-max", "1.2", "--ciphers"];
    let handshakes: [(&str, Vec<&str>, &str); 4] = [
        (
            "TLS 1.2 RSA key exchange",
            [&tls12[..], &["AES128-GCM-SHA256"]].concat(),
            "openssl name: AES128-GCM-SHA256",
        ),
        (
            "TLS 1.2 ECDHE-RSA",
            [&tls12[..], &["ECDHE-RSA-AES128-GCM-SHA256"]].concat(),
            "openssl name: ECDHE-RSA-AES128-GCM-SHA256",
        ),
        (
            "TLS 1.2 ECDHE-ECDSA",
            [&tls12[..], &["ECDHE-ECDSA-AES128-GCM-SHA256"]].concat(),
            "openssl name: ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
        ("TLS 1.3", vec!["--tlsv1.3"], "protocol: TLSv1.3"),
    ];
    let mut needles = Vec::new();
    for (number, (what, args, line)) in handshakes.iter().enumerate() {
        let log = run.path().join(format!("keylog-{number}.txt"));
        let page = curl(&server, &ca, &log, args);
        assert!(has_line(&page, line), "{what}: {page}");
        let secrets = key_log(&log);
        assert!(!secrets.is_empty(), "{what}: curl logged no secret");
        for (name, secret) in secrets {
            needles.push(Needle::new(&format!("{what}: {name}"), &secret));
        }
    }
    let secret_count = needles.len();

    let rsa_pkcs8 = std::fs::read(home.path().join("keys/rsa.p8")).unwrap();
    let (p, q, d) = rsa_secrets(&rsa_pkcs8);
    // d is below n: one key in 256 has a zero first byte, which the DER leaves out.
    assert_eq!((p.len(), q.len()), (128, 128));
    assert!((250..=256).contains(&d.len()), "d is {} bytes", d.len());
    let scalar = ec_scalar(&std::fs::read(home.path().join("keys/ecdsa.p8")).unwrap());
    assert_eq!(scalar.len(), 32);
    let keys = ["rsa p", "rsa q", "rsa d", "ecdsa scalar"];
    for (name, value) in keys.iter().zip([&p, &q, &d, &scalar]) {
        needles.push(Needle::new(name, value));
    }

    let in_serve = scan_memory(server.pid(), &needles);
    let in_daemon = scan_memory(daemon.pid(), &needles);
    println!(
        "serve (pid {}): {} bytes scanned, {} mappings unreadable",
        server.pid(),
        in_serve.bytes,
        in_serve.skipped
    );
    println!(
        "daemon (pid {}): {} bytes scanned, {} mappings unreadable",
        daemon.pid(),
        in_daemon.bytes,
        in_daemon.skipped
    );
    for needle in &needles {
        println!(
            "{:<75} serve: {:>2} hits  daemon: {:>2} hits",
            needle.name,
            in_serve.hits(&needle.name),
            in_daemon.hits(&needle.name)
        );
    }
    // Where the daemon holds what it holds (for the report; the daemon may hold anything).
    for place in in_daemon.places() {
        println!("daemon: {place}");
    }
    assert!(secret_count >= 8, "{secret_count} secrets logged");
    assert!(in_serve.bytes > 1 << 20 && in_daemon.bytes > 1 << 20);

    // The control: the search sees the private keys where they are.
    for key in keys {
        assert!(
            in_daemon.found.contains_key(key),
            "the daemon's memory should hold {key}"
        );
    }
    // The daemon keeps no TLS 1.2 master secret once its handle is freed: each object lives
    // in its own allocation and is wiped in place, so neither a freed handle nor the table's
    // growth leaves a copy behind (before, 3 runs in 8 found one in the daemon's heap).
    let leftover: Vec<&String> = in_daemon
        .found
        .keys()
        .filter(|name| name.contains("CLIENT_RANDOM"))
        .collect();
    assert!(
        leftover.is_empty(),
        "the daemon still holds freed master secrets: {leftover:?}"
    );
    // The proof: none of them is in serve's memory.
    assert!(
        in_serve.found.is_empty(),
        "keyward serve --keyiso holds secrets it must not (name: [(mapping, address)]): {:#x?}",
        in_serve.found
    );

    let (status, _) = server.stop();
    assert!(status.success());
    drop(daemon);
}

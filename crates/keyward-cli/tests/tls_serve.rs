//! `keyward serve` and `keyward connect` against each other, as processes: the status page,
//! every cipher suite by both of its names, resumption, the echo, certificate checks, 1,000
//! idle connections, the handshake timeout and a clean stop on SIGTERM.

mod tls_support;

use std::io::Read;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::store::KeyStore;
use keyward_ssl::suites::CIPHER_SUITES;
use keyward_ssl::{KeyExchange, Provider};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::ClientConfig;
use tls_support::{bundle, fetch_page, has_line, keyward, Server, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn serve_creates_keys_answers_and_stops_cleanly() {
    let home = TempDir::new("serve");
    let server = Server::start(home.path(), &[]);
    let banner = server.banner.join("\n");
    for name in ["keyward-localhost-rsa", "keyward-localhost-ecdsa"] {
        assert!(
            banner.contains(&format!("key {name} "))
                && banner.contains("(created: self-signed for localhost, 127.0.0.1, ::1)"),
            "{banner}"
        );
        assert!(home.path().join(format!("certs/{name}.pem")).exists());
    }
    assert!(banner.contains(&bundle(home.path())), "{banner}");

    // The status page over TLS 1.3 (the default) with what the client saw.
    let page = fetch_page(home.path(), &server, &[]);
    for line in [
        "protocol: TLSv1.3",
        "group: x25519",
        "signature scheme: rsa_pss_rsae_sha256",
        "resumed: no",
        "server name: localhost",
        "request: GET / HTTP/1.0",
    ] {
        assert!(has_line(&page.stdout, line), "{line}: {}", page.stdout);
    }
    assert!(page.stdout.starts_with("HTTP/1.0 200 OK\r\n"));
    for line in [
        "protocol: TLSv1.3",
        "0 subject: CN=localhost",
        "issuer: CN=localhost",
    ] {
        assert!(has_line(&page.stderr, line), "{line}: {}", page.stderr);
    }
    assert!(page.stderr.contains("verification: CA file"));

    // TLS 1.2 with RSA key exchange.
    let page = fetch_page(
        home.path(),
        &server,
        &["--tls1.2", "--ciphers", "AES128-SHA"],
    );
    assert!(has_line(&page.stdout, "openssl name: AES128-SHA"));
    assert!(has_line(&page.stdout, "group: none"));
    assert!(has_line(&page.stdout, "extended master secret: yes"));
    // The server requires the extended master secret by default.
    let target = server.localhost();
    let ca = bundle(home.path());
    let refused = keyward(
        home.path(),
        &["connect", &target, "--cafile", &ca, "--tls1.2", "--no-ems"],
        b"",
    );
    assert_eq!(refused.status.code(), Some(1), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("handshake with"),
        "{}",
        refused.stderr
    );

    // Resumption inside one connect run, both versions.
    for version in ["--tls1.2", "--tls1.3"] {
        let page = fetch_page(home.path(), &server, &["--reconnect", version]);
        assert!(has_line(&page.stderr, "resumed: no"), "{}", page.stderr);
        assert!(has_line(&page.stderr, "resumed: yes"), "{}", page.stderr);
        assert_eq!(page.stdout.matches("HTTP/1.0 200 OK").count(), 2);
        assert!(has_line(&page.stdout, "resumed: yes"), "{}", page.stdout);
    }

    // Not HTTP: echoed back until the client's close_notify.
    let echoed = keyward(
        home.path(),
        &["connect", &target, "--cafile", &ca],
        b"hello keyward\nsecond line",
    );
    assert!(echoed.status.success(), "{}", echoed.stderr);
    assert_eq!(echoed.stdout, "hello keyward\nsecond line");

    // A name the certificate is not for, and a CA that did not sign it.
    let wrong_name = keyward(
        home.path(),
        &[
            "connect",
            &target,
            "--cafile",
            &ca,
            "--servername",
            "other.example",
        ],
        b"",
    );
    assert_eq!(wrong_name.status.code(), Some(1));
    assert!(
        wrong_name.stderr.contains("certificate"),
        "{}",
        wrong_name.stderr
    );
    let other = TempDir::new("other-ca");
    KeyStore::open(other.path())
        .unwrap()
        .generate_self_signed(
            "other",
            keyward_core::store::KeyKind::EcP256,
            &["localhost"],
        )
        .unwrap();
    let other_server = Server::start(other.path(), &["--cert", "other"]);
    let untrusted = keyward(
        home.path(),
        &["connect", &other_server.localhost(), "--cafile", &ca],
        b"",
    );
    assert_eq!(untrusted.status.code(), Some(1));
    assert!(
        untrusted.stderr.contains("certificate"),
        "{}",
        untrusted.stderr
    );
    let insecure = keyward(
        home.path(),
        &["connect", &other_server.localhost(), "--insecure"],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert!(insecure.status.success(), "{}", insecure.stderr);
    assert!(insecure
        .stderr
        .contains("verification: skipped (--insecure)"));
    assert!(has_line(
        &insecure.stdout,
        "signature scheme: ecdsa_secp256r1_sha256"
    ));
    drop(other_server);

    // SIGTERM: a clean stop with the summary.
    let (status, lines) = server.stop();
    assert!(status.success(), "{status}");
    let summary = lines.join("\n");
    assert!(
        summary.contains("keyward serve: stopped (terminate): ")
            && summary.contains(" handshakes (2 resumed), "),
        "{summary}"
    );

    // A second run keeps the keys.
    let again = Server::start(home.path(), &[]);
    assert!(!again.banner.join("\n").contains("created"));
}

#[test]
fn every_suite_by_both_names() {
    let home = TempDir::new("suites");
    let server = Server::start(home.path(), &[]);
    for suite in CIPHER_SUITES {
        let version = if suite.key_exchange == KeyExchange::Tls13 {
            "--tls1.3"
        } else {
            "--tls1.2"
        };
        let by_iana = fetch_page(home.path(), &server, &[version, "--ciphers", suite.name]);
        assert!(
            has_line(&by_iana.stdout, &format!("cipher suite: {}", suite.name)),
            "{}: {}",
            suite.name,
            by_iana.stdout
        );
        let openssl_name = by_iana
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix("openssl name: "))
            .unwrap()
            .to_owned();
        let by_openssl = fetch_page(home.path(), &server, &[version, "--ciphers", &openssl_name]);
        assert!(
            has_line(&by_openssl.stdout, &format!("cipher suite: {}", suite.name)),
            "{openssl_name}: {}",
            by_openssl.stdout
        );
        assert!(has_line(
            &by_openssl.stderr,
            &format!("openssl name: {openssl_name}")
        ));
        let group = by_iana
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix("group: "))
            .unwrap();
        let expected = match suite.key_exchange {
            KeyExchange::Rsa => "none",
            KeyExchange::DheRsa => "ffdhe2048",
            _ => "x25519",
        };
        assert_eq!(group, expected, "{}", suite.name);
    }
}

/// The soft open-file limit of this process (Linux), if known.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()
        .and_then(|soft| soft.parse().ok().or(Some(u64::MAX)))
}

#[test]
fn a_thousand_idle_connections() {
    const CONNECTIONS: usize = 1000;
    if let Some(limit) = open_file_limit() {
        // This process holds one socket per connection; the server (its own limit is the
        // same, inherited) one more each.
        assert!(
            limit >= 2 * CONNECTIONS as u64,
            "the open-file limit {limit} is too low for this test: raise it (ulimit -n 4096)"
        );
    }
    let home = TempDir::new("thousand");
    let server = Server::start(home.path(), &[]);
    let store = KeyStore::open(home.path()).unwrap();
    let verifier =
        ServerCertVerifier::from_ca_file(std::path::Path::new(&bundle(home.path()))).unwrap();
    let config = Arc::new(ClientConfig::new(
        Arc::new(Provider::with_key_store(store)),
        verifier,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let port = server.port;
    let started = Instant::now();
    let streams = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(240), async {
            let mut streams = Vec::with_capacity(CONNECTIONS);
            // Handshakes 50 at a time; every connection then stays open and silent.
            for batch in 0..CONNECTIONS / 50 {
                let mut tasks = tokio::task::JoinSet::new();
                for index in 0..50 {
                    let config = config.clone();
                    tasks.spawn(async move {
                        let socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
                            .await
                            .unwrap();
                        let tls = keyward_tls::tokio::connect(config, "localhost", socket)
                            .await
                            .unwrap();
                        (batch * 50 + index, tls)
                    });
                }
                while let Some(joined) = tasks.join_next().await {
                    streams.push(joined.unwrap());
                }
            }
            streams
        })
        .await
        .expect("1,000 handshakes within 240 s")
    });
    assert_eq!(streams.len(), CONNECTIONS);

    // With all of them open, a new client is still served.
    let page = fetch_page(home.path(), &server, &[]);
    assert!(has_line(&page.stdout, "protocol: TLSv1.3"));

    // And every one of them is alive: each echoes its own line.
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(120), async {
            let mut tasks = tokio::task::JoinSet::new();
            for (index, mut tls) in streams {
                tasks.spawn(async move {
                    let line = format!("connection {index}\n");
                    tls.write_all(line.as_bytes()).await.unwrap();
                    tls.flush().await.unwrap();
                    let mut echoed = vec![0u8; line.len()];
                    tls.read_exact(&mut echoed).await.unwrap();
                    assert_eq!(echoed, line.as_bytes());
                    tls.shutdown().await.unwrap();
                });
            }
            while let Some(joined) = tasks.join_next().await {
                joined.unwrap();
            }
        })
        .await
        .expect("1,000 echoes within 120 s")
    });
    eprintln!(
        "1,000 connections held and echoed in {:?}",
        started.elapsed()
    );
    let (status, lines) = server.stop();
    assert!(status.success());
    let summary = lines.join("\n");
    assert!(
        summary.contains(&format!("{} handshakes", CONNECTIONS + 1)),
        "{summary}"
    );
}

#[test]
fn silent_clients_are_dropped_after_the_handshake_timeout() {
    let home = TempDir::new("timeout");
    let server = Server::start(home.path(), &["--handshake-timeout", "1"]);
    let mut socket = TcpStream::connect(server.addr()).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 64];
    // No ClientHello: the server gives up after one second and closes.
    let read = socket.read(&mut buffer);
    let waited = started.elapsed();
    match read {
        Ok(0) => {}
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the server to close, got {other:?}"),
    }
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.log_text().contains("handshake timed out"),
        "{}",
        server.log_text()
    );
    // Ctrl-C stops it cleanly too.
    let (status, lines) = server.stop_with("-INT");
    assert!(status.success(), "{status}");
    let summary = lines.join("\n");
    assert!(
        summary.contains(
            "keyward serve: stopped (interrupt): 1 connections, 0 handshakes (0 resumed), 1 failed"
        ),
        "{summary}"
    );
}

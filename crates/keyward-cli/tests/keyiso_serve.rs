//! `keyward serve --keyiso SOCKET`: two serve processes share one keyiso daemon (started in
//! this test's process over the same key store), and curl fetches the status page from each
//! over TLS 1.3, TLS 1.2 ECDHE and TLS 1.2 RSA key exchange. The serve processes hold only
//! handles: the daemon counts their keys, and a serve pointed at no daemon refuses to start.

mod tls_support;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_keyiso::{Config, Daemon};
use std::path::Path;
use std::process::Command;
use tls_support::{has_line, keyward, Server, TempDir};

/// A PEM bundle of the certificates of `names` in `store`, made by `openssl x509`.
fn bundle(store: &KeyStore, names: &[&str], dir: &Path) -> String {
    let mut pem = String::new();
    for name in names {
        let der = dir.join(format!("{name}.der"));
        std::fs::write(&der, store.certificate(name).unwrap()).unwrap();
        let output = Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&der)
            .output()
            .unwrap();
        assert!(output.status.success());
        pem.push_str(&String::from_utf8(output.stdout).unwrap());
    }
    let path = dir.join("bundle.pem");
    std::fs::write(&path, pem).unwrap();
    path.display().to_string()
}

/// `curl` of the status page of `server` with `args`; panics unless it succeeds.
fn curl(server: &Server, ca: &str, args: &[&str]) -> String {
    let port = server.port;
    let output = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--cacert",
            ca,
        ])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(args)
        .arg(format!("https://localhost:{port}/"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "curl {args:?}: {}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    stdout
}

#[test]
fn serve_runs_its_handshakes_through_the_daemon() {
    let home = TempDir::new("serve-keyiso");
    let store = KeyStore::open(home.path()).unwrap();
    store
        .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
        .unwrap();
    store
        .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let ca = bundle(&store, &["rsa", "ecdsa"], home.path());
    let run = TempDir::new("serve-keyiso-run");
    let socket = run.path().join("keyiso.sock");
    let socket_arg = socket.display().to_string();

    // No daemon yet: serve says so and stops.
    let refused = keyward(
        home.path(),
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--keyiso",
            &socket_arg,
            "--cert",
            "rsa",
        ],
        b"",
    );
    assert!(!refused.status.success());
    assert!(
        refused.stderr.contains("keyiso daemon"),
        "{}",
        refused.stderr
    );

    let daemon = Daemon::bind(Config::new(&socket, Some(home.path().to_path_buf())))
        .unwrap()
        .spawn()
        .unwrap();
    let args = ["--keyiso", &socket_arg, "--cert", "rsa", "--cert", "ecdsa"];
    let first = Server::start(home.path(), &args);
    let second = Server::start(home.path(), &args);
    assert!(first
        .banner
        .iter()
        .any(|line| line.contains("key rsa in the keyiso daemon")));
    // Each serve holds its two keys as daemon handles.
    assert!(daemon.live_handles() >= 4, "{}", daemon.live_handles());

    for server in [&first, &second] {
        let page = curl(server, &ca, &[]);
        assert!(has_line(&page, "protocol: TLSv1.3"), "{page}");
        let page = curl(server, &ca, &["--tlsv1.2", "--tls-max", "1.2"]);
        assert!(has_line(&page, "protocol: TLSv1.2"), "{page}");
        let page = curl(
            server,
            &ca,
            &[
                "--tlsv1.2",
                "--tls-max",
                "1.2",
                "--ciphers",
                "AES128-GCM-SHA256",
            ],
        );
        assert!(has_line(&page, "openssl name: AES128-GCM-SHA256"), "{page}");
        assert!(has_line(&page, "group: none"), "{page}");
        let page = curl(
            server,
            &ca,
            &[
                "--tlsv1.2",
                "--tls-max",
                "1.2",
                "--ciphers",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
            ],
        );
        assert!(
            has_line(&page, "openssl name: ECDHE-ECDSA-AES128-GCM-SHA256"),
            "{page}"
        );
    }
    let (status, _) = first.stop();
    assert!(status.success());
    let (status, _) = second.stop();
    assert!(status.success());
    daemon.stop();
}

//! `keyward serve --keyiso SOCKET`: two serve processes share one keyiso daemon (started in
//! this test's process over the same key store), and curl fetches the status page from each
//! over TLS 1.3, TLS 1.2 ECDHE and TLS 1.2 RSA key exchange. The serve processes hold only
//! handles: the daemon counts their keys, and a serve pointed at no daemon refuses to start.
//! Sessions resume through the daemon: TLS 1.2 tickets and session IDs and TLS 1.3 tickets
//! (openssl s_client -sess_out / -sess_in, and keyward connect --reconnect), and a ticket one
//! serve process issued is accepted by the other.

mod tls_support;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_keyiso::{Config, Daemon};
use std::process::Command;
use tls_support::{certificate_bundle, has_line, keyward, Server, TempDir};

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
    let ca = certificate_bundle(&store, &["rsa", "ecdsa"], home.path())
        .display()
        .to_string();
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
    // serve gets its certificates from the daemon and opens no key store: its KEYWARD_HOME
    // is an empty directory (where the test keeps serve's logs), and stays so.
    let no_store = TempDir::new("serve-keyiso-no-store");
    let first = Server::start(&no_store, &args);
    let second = Server::start(&no_store, &args);
    let written: Vec<String> = std::fs::read_dir(no_store.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !(name.starts_with("serve-") && name.ends_with(".log")))
        .collect();
    assert!(
        written.is_empty(),
        "serve wrote {written:?} to its KEYWARD_HOME"
    );
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

/// `openssl s_client` of `server` with `args`: a GET of the status page, read to the server's
/// close (so TLS 1.3 tickets arrive before `-sess_out` is written). Panics unless it succeeds.
fn s_client(server: &Server, ca: &str, args: &[&str]) -> String {
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client"])
        .args(["-connect", &format!("127.0.0.1:{}", server.port)])
        .args(["-servername", "localhost", "-CAfile", ca, "-ign_eof"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.contains("HTTP/1.0 200 OK"),
        "openssl s_client {args:?}: {}\n{stdout}\n{}\nserver log:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    stdout
}

/// True when s_client says the session was resumed with `version`.
fn reused(stdout: &str, version: &str) -> bool {
    stdout.contains(&format!("Reused, {version}"))
}

#[test]
fn serve_resumes_through_the_daemon_and_shares_tickets() {
    let home = TempDir::new("serve-keyiso-resume");
    let store = KeyStore::open(home.path()).unwrap();
    store
        .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let ca = certificate_bundle(&store, &["ecdsa"], home.path())
        .display()
        .to_string();
    let run = TempDir::new("serve-keyiso-resume-run");
    let socket = run.path().join("keyiso.sock");
    let socket_arg = socket.display().to_string();
    let daemon = Daemon::bind(Config::new(&socket, Some(home.path().to_path_buf())))
        .unwrap()
        .spawn()
        .unwrap();
    let args = ["--keyiso", &socket_arg, "--cert", "ecdsa"];
    let first = Server::start(home.path(), &args);
    let second = Server::start(home.path(), &args);
    let session = |name: &str| home.path().join(name).display().to_string();

    // TLS 1.2 ticket from the first serve, resumed on the first and on the second.
    let tls12_ticket = session("tls12-ticket.pem");
    let full = s_client(&first, &ca, &["-tls1_2", "-sess_out", &tls12_ticket]);
    assert!(!reused(&full, "TLSv1.2"), "{full}");
    let again = s_client(&first, &ca, &["-tls1_2", "-sess_in", &tls12_ticket]);
    assert!(reused(&again, "TLSv1.2"), "{again}");
    let across = s_client(&second, &ca, &["-tls1_2", "-sess_in", &tls12_ticket]);
    assert!(reused(&across, "TLSv1.2"), "{across}");

    // TLS 1.2 session ID (no ticket): the serve's session cache holds the daemon's blob.
    let tls12_id = session("tls12-id.pem");
    let full = s_client(
        &first,
        &ca,
        &["-tls1_2", "-no_ticket", "-sess_out", &tls12_id],
    );
    assert!(!reused(&full, "TLSv1.2"), "{full}");
    let again = s_client(
        &first,
        &ca,
        &["-tls1_2", "-no_ticket", "-sess_in", &tls12_id],
    );
    assert!(reused(&again, "TLSv1.2"), "{again}");

    // TLS 1.3 ticket from the second serve, resumed on the first.
    let tls13_ticket = session("tls13-ticket.pem");
    let full = s_client(&second, &ca, &["-tls1_3", "-sess_out", &tls13_ticket]);
    assert!(!reused(&full, "TLSv1.3"), "{full}");
    let across = s_client(&first, &ca, &["-tls1_3", "-sess_in", &tls13_ticket]);
    assert!(reused(&across, "TLSv1.3"), "{across}");

    // keyward connect --reconnect, both versions.
    for version in ["--tls1.2", "--tls1.3"] {
        let target = first.localhost();
        let page = keyward(
            home.path(),
            &["connect", &target, "--cafile", &ca, "--reconnect", version],
            b"GET / HTTP/1.0\r\n\r\n",
        );
        assert!(page.status.success(), "{}", page.stderr);
        assert!(has_line(&page.stderr, "resumed: yes"), "{}", page.stderr);
    }

    let (status, _) = first.stop();
    assert!(status.success());
    let (status, _) = second.stop();
    assert!(status.success());
    daemon.stop();
}

//! The command line of `keyward serve` and `keyward connect`: help texts and clear errors
//! for bad options, before any network or key store work.

mod tls_support;

use tls_support::{keyward, TempDir};

#[test]
fn help_texts() {
    let home = TempDir::new("help");
    let help = keyward(home.path(), &["help"], b"");
    assert!(help.status.success());
    for text in ["serve", "connect", "key", "card", "completions"] {
        assert!(help.stdout.contains(text), "{text}: {}", help.stdout);
    }
    let serve = keyward(home.path(), &["serve", "--help"], b"");
    // `keyward help serve` is the same text.
    assert_eq!(
        keyward(home.path(), &["help", "serve"], b"").stdout,
        serve.stdout
    );
    assert!(serve.status.success());
    for text in [
        "--handshake-timeout",
        "echoed back",
        "keyward serve: listening on",
        "--ems-optional",
        "ffdhe2048",
    ] {
        assert!(serve.stdout.contains(text), "{text}: {}", serve.stdout);
    }
    let connect = keyward(home.path(), &["connect", "-h"], b"");
    assert!(connect.status.success());
    for text in [
        "--reconnect",
        "--insecure",
        "--cafile <FILE>",
        "--servername <NAME>",
    ] {
        assert!(connect.stdout.contains(text), "{text}: {}", connect.stdout);
    }
    // Nothing was written to the key store.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn bad_serve_options_are_refused_clearly() {
    let home = TempDir::new("serve-options");
    let cases: [(&[&str], &str); 10] = [
        (&["--ciphers", "BOGUS"], "unknown cipher suite \"BOGUS\""),
        (
            &["--ciphers", "AES128-SHA:RC4-MD5"],
            "unknown cipher suite \"RC4-MD5\"",
        ),
        (&["--ciphers", ":"], "--ciphers names no cipher suite"),
        (&["--groups", "x448"], "unknown group \"x448\""),
        (
            &["--tls1.3", "--ciphers", "AES128-SHA"],
            "--ciphers names no TLSv1.3 cipher suite",
        ),
        (
            &["--tls1.2", "--ciphers", "TLS_AES_128_GCM_SHA256"],
            "--ciphers names no TLSv1.2 cipher suite",
        ),
        (&["--no-ems", "--ems-optional"], "cannot be used with"),
        (&["--bogus"], "unexpected argument '--bogus'"),
        (&["--addr"], "a value is required for '--addr <HOST:PORT>'"),
        (
            &["--idle-timeout=0"],
            "\"0\" is not a positive number of seconds",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let output = keyward(home.path(), &all, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            output.stderr.contains(message),
            "{args:?}: {}",
            output.stderr
        );
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = keyward(home.path(), &["serve", "--addr", &addr], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.contains(&format!("cannot listen on {addr}")),
        "{}",
        output.stderr
    );
}

#[test]
fn bad_connect_options_are_refused_clearly() {
    let home = TempDir::new("connect-options");
    let cases: [(&[&str], &str); 7] = [
        (&[], "<HOST:PORT>"),
        (&["localhost"], "\"localhost\" is not HOST:PORT"),
        (&["localhost:99999"], "is not HOST:PORT"),
        (&["a:1", "b:2"], "unexpected argument 'b:2'"),
        (
            &["localhost:1", "--cafile", "x", "--insecure"],
            "cannot be used with",
        ),
        (
            &["localhost:1", "--groups", "P-999"],
            "unknown group \"P-999\"",
        ),
        (
            &["localhost:1", "--cafile", "/nonexistent/ca.pem"],
            "--cafile /nonexistent/ca.pem",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["connect"];
        all.extend_from_slice(args);
        let output = keyward(home.path(), &all, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", output.stderr);
        assert!(
            output.stderr.contains(message),
            "{args:?}: {}",
            output.stderr
        );
    }
    // Nobody listens on a port this test just released: a connection error, status 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("127.0.0.1:{port}");
    let output = keyward(home.path(), &["connect", &target, "--insecure"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output
            .stderr
            .contains(&format!("cannot connect to {target}")),
        "{}",
        output.stderr
    );
}

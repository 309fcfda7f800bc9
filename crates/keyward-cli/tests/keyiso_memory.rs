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
//! Each value is searched as 16-byte windows (its start, middle and end) in big-endian order
//! and byte-reversed, since BIGNUM-style little-endian limbs hold a number reversed.

mod tls_support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use keyward_core::store::{KeyKind, KeyStore};
use tls_support::{has_line, Server, TempDir, KEYWARD};

/// The length of the windows searched for.
const WINDOW: usize = 16;

/// A running `keyward keyiso` child process; killed on drop (every path out of the test).
struct DaemonProcess {
    child: Child,
}

impl DaemonProcess {
    /// Starts `keyward keyiso --socket SOCKET` over the store `home` and waits (at most 30 s)
    /// for its ready line.
    fn start(home: &Path, socket: &Path) -> DaemonProcess {
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
        // The guard exists before the wait, so a daemon that never gets ready is killed too.
        let daemon = DaemonProcess { child };
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("keyward keyiso printed no ready line within 30 s");
        assert_eq!(
            ready,
            format!("keyward keyiso: listening on {}", socket.display())
        );
        daemon
    }

    /// Its process id.
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One DER element at the start of `input`: its tag, its contents and what follows it.
/// Handles the definite lengths a key of a few kilobytes needs (short form, and long form of
/// up to four bytes).
fn der_element(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let first = input[1];
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        assert!((1..=4).contains(&count), "unsupported DER length");
        let length = input[2..2 + count]
            .iter()
            .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, 2 + count)
    };
    (
        tag,
        &input[header..header + length],
        &input[header + length..],
    )
}

/// The elements of the DER SEQUENCE `contents`, in order.
fn der_elements(mut contents: &[u8]) -> Vec<(u8, &[u8])> {
    let mut elements = Vec::new();
    while !contents.is_empty() {
        let (tag, value, rest) = der_element(contents);
        elements.push((tag, value));
        contents = rest;
    }
    elements
}

/// The private key (the OCTET STRING's contents) of the PKCS#8 `PrivateKeyInfo` `pkcs8`.
fn pkcs8_private_key(pkcs8: &[u8]) -> Vec<u8> {
    let (tag, info, _) = der_element(pkcs8);
    assert_eq!(tag, 0x30, "PrivateKeyInfo is a SEQUENCE");
    let fields = der_elements(info);
    // version, algorithm, privateKey, ...
    assert_eq!(fields[2].0, 0x04, "privateKey is an OCTET STRING");
    fields[2].1.to_vec()
}

/// An unsigned DER INTEGER's contents without the leading zero that keeps it positive.
fn unsigned(integer: &[u8]) -> Vec<u8> {
    let start = integer.iter().position(|byte| *byte != 0).unwrap_or(0);
    integer[start..].to_vec()
}

/// The secret values of the PKCS#1 `RSAPrivateKey` inside `pkcs8`: (p, q, d), big-endian.
fn rsa_secrets(pkcs8: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let key = pkcs8_private_key(pkcs8);
    let (tag, contents, _) = der_element(&key);
    assert_eq!(tag, 0x30, "RSAPrivateKey is a SEQUENCE");
    // version, n, e, d, p, q, dp, dq, qinv
    let fields = der_elements(contents);
    assert_eq!(fields.len(), 9, "a two-prime RSAPrivateKey");
    assert!(fields.iter().all(|(tag, _)| *tag == 0x02));
    (
        unsigned(fields[4].1),
        unsigned(fields[5].1),
        unsigned(fields[3].1),
    )
}

/// The private scalar of the SEC 1 `ECPrivateKey` inside `pkcs8`, big-endian.
fn ec_scalar(pkcs8: &[u8]) -> Vec<u8> {
    let key = pkcs8_private_key(pkcs8);
    let (tag, contents, _) = der_element(&key);
    assert_eq!(tag, 0x30, "ECPrivateKey is a SEQUENCE");
    // version, privateKey OCTET STRING, [0] parameters, [1] public key
    let fields = der_elements(contents);
    assert_eq!(fields[1].0, 0x04, "privateKey is an OCTET STRING");
    fields[1].1.to_vec()
}

/// The secrets `curl` wrote to the NSS key-log file `path`, named `LABEL CLIENT_RANDOM`.
fn key_log(path: &Path) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "key-log line {line:?}");
            let secret = hex::decode(fields[2]).unwrap();
            assert!(secret.len() >= 32, "key-log line {line:?}");
            (format!("{} {}", fields[0], &fields[1][..16]), secret)
        })
        .collect()
}

/// A value searched for: 16-byte windows of it, each big-endian and reversed.
struct Needle {
    /// What the value is, e.g. `rsa p`.
    name: String,
    /// The windows.
    windows: Vec<[u8; WINDOW]>,
}

impl Needle {
    /// The windows at the start, middle and end of `value` (at least 16 bytes), in both
    /// byte orders.
    fn new(name: &str, value: &[u8]) -> Needle {
        assert!(value.len() >= WINDOW, "{name} is too short to search for");
        let mut windows = Vec::new();
        for at in [0, (value.len() - WINDOW) / 2, value.len() - WINDOW] {
            let window: [u8; WINDOW] = value[at..at + WINDOW].try_into().unwrap();
            let mut reversed = window;
            reversed.reverse();
            windows.push(window);
            windows.push(reversed);
        }
        Needle {
            name: name.to_owned(),
            windows,
        }
    }
}

/// What a memory scan read and found.
struct Scan {
    /// Bytes read from readable mappings.
    bytes: u64,
    /// Mappings that could not be read (e.g. `[vvar]`).
    skipped: usize,
    /// For each needle found, where: (mapping's path, address).
    found: BTreeMap<String, Vec<(String, u64)>>,
}

/// Reads every readable mapping of process `pid` through `/proc/PID/mem` and records where
/// any window of `needles` occurs. Reads in chunks of 4 MiB that overlap by 15 bytes, so a
/// window across a chunk boundary is seen.
fn scan_memory(pid: u32, needles: &[Needle]) -> Scan {
    // Candidate positions are picked by the first two bytes of a window.
    let mut first_two = vec![false; 1 << 16];
    for needle in needles {
        for window in &needle.windows {
            first_two[usize::from(u16::from_be_bytes([window[0], window[1]]))] = true;
        }
    }
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mem = File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut scan = Scan {
        bytes: 0,
        skipped: 0,
        found: BTreeMap::new(),
    };
    const CHUNK: u64 = 4 << 20;
    let mut buffer = vec![0u8; CHUNK as usize + WINDOW];
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (start, end) = fields[0].split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let readable = fields[1].starts_with('r');
        let path = fields.get(5).copied().unwrap_or("[anonymous]").to_owned();
        if !readable {
            continue;
        }
        let mut at = start;
        while at < end {
            let length = (end - at).min(CHUNK + WINDOW as u64 - 1) as usize;
            let data = &mut buffer[..length];
            if mem.read_exact_at(data, at).is_err() {
                scan.skipped += 1;
                break;
            }
            for offset in 0..length.saturating_sub(WINDOW - 1) {
                if !first_two[usize::from(u16::from_be_bytes([data[offset], data[offset + 1]]))] {
                    continue;
                }
                let candidate = &data[offset..offset + WINDOW];
                for needle in needles {
                    if needle.windows.iter().any(|window| window == candidate) {
                        scan.found
                            .entry(needle.name.clone())
                            .or_default()
                            .push((path.clone(), at + offset as u64));
                    }
                }
            }
            let advance = (length as u64).min(CHUNK);
            scan.bytes += advance;
            at += advance;
        }
    }
    scan
}

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

/// The PEM bundle of the certificates of `names` in `store`, written to `dir/bundle.pem`.
fn bundle(store: &KeyStore, names: &[&str], dir: &Path) -> PathBuf {
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
    path
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
    let ca = bundle(&store, &["rsa", "ecdsa"], home.path());
    let run = TempDir::new("keyiso-memory-run");
    let socket = run.path().join("keyiso.sock");
    let socket_arg = socket.display().to_string();

    let daemon = DaemonProcess::start(home.path(), &socket);
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
    assert_eq!((p.len(), q.len(), d.len()), (128, 128, 256));
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
        let count = |scan: &Scan| scan.found.get(&needle.name).map_or(0, Vec::len);
        println!(
            "{:<75} serve: {:>2} hits  daemon: {:>2} hits",
            needle.name,
            count(&in_serve),
            count(&in_daemon)
        );
    }
    // Where the daemon holds what it holds (for the report; the daemon may hold anything).
    for (name, places) in &in_daemon.found {
        let places: Vec<String> = places
            .iter()
            .map(|(path, address)| format!("{path}@{address:#x}"))
            .collect();
        println!("daemon: {name} at {}", places.join(", "));
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

//! A tiny rustls HTTPS server whose private keys are keyward's: it serves one page over TLS
//! 1.3 or 1.2, presenting an ECDSA P-256 and an RSA-2048 certificate for localhost.
//!
//! ```text
//! cargo run -p keyward-rustls --example server -- --addr 127.0.0.1:8443
//! curl --cacert "$KEYWARD_HOME/certs/keyward-rustls-localhost.pem" https://localhost:8443/
//! ```
//!
//! The keys come from the key store of `KEYWARD_HOME` (created there on first use, with their
//! certificates written as PEM to `certs/keyward-rustls-localhost.pem`). The [`Provider`] they
//! are opened through decides where the private keys live: see `provider()` below. With
//! `--keyiso SOCKET` it is the isolated provider: the keyward keyiso daemon on SOCKET opens the
//! keys by their certificates and signs, and this process never holds a private key
//! (`keyward keyiso --socket SOCKET` with the same `KEYWARD_HOME`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyward_core::store::{KeyKind, KeyStore, StoredKey};
use keyward_rustls::KeywardCertResolver;
use keyward_ssl::Provider;
use rustls::pki_types::CertificateDer;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The key names in the store.
const KEY_NAMES: [(&str, KeyKind); 2] = [
    ("keyward-rustls-ecdsa", KeyKind::EcP256),
    ("keyward-rustls-rsa", KeyKind::Rsa { bits: 2048 }),
];

/// The longest request head read.
const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// The provider the private keys are opened through: the key store in this process, or with
/// `keyiso` the isolated provider over the keyiso daemon on that socket (the same
/// `keyward_ssl::Provider` type, so nothing else changes: the daemon opens the keys by
/// certificate and signs, and this process never holds a private key).
#[allow(dead_code)]
pub fn provider(store: KeyStore, keyiso: Option<&Path>) -> Result<Provider, String> {
    match keyiso {
        None => Ok(Provider::with_key_store(store)),
        Some(socket) => keyward_keyiso::isolated_provider(socket)
            .map_err(|error| format!("keyiso daemon at {}: {error}", socket.display())),
    }
}

/// The stored key `name`, generated with a localhost certificate if missing.
pub fn get_or_create(
    store: &KeyStore,
    name: &str,
    kind: KeyKind,
) -> keyward_core::Result<StoredKey> {
    match store.get(name) {
        Ok(key) => Ok(key),
        Err(_) => store.generate_self_signed(name, kind, &["localhost", "127.0.0.1", "::1"]),
    }
}

/// A PEM `CERTIFICATE` block of `der`.
pub fn certificate_pem(der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = Vec::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let bytes = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let group = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                let sextet = (group >> (18 - 6 * index)) & 0x3f;
                encoded.push(ALPHABET[sextet as usize]);
            } else {
                encoded.push(b'=');
            }
        }
    }
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// A rustls server configuration presenting `keys` (in order of preference), their private
/// halves opened through `provider`.
pub fn server_config(provider: &Provider, keys: &[StoredKey]) -> Result<Arc<ServerConfig>, String> {
    let chains = keys
        .iter()
        .map(|key| vec![CertificateDer::from(key.certificate().to_vec())])
        .collect();
    let resolver =
        KeywardCertResolver::open(provider, chains).map_err(|error| format!("keys: {error}"))?;
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(crypto)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|error| format!("rustls: {error}"))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    Ok(Arc::new(config))
}

/// Serves one connection: the handshake, a request head, the page, close_notify.
pub fn serve_connection(config: Arc<ServerConfig>, tcp: TcpStream) -> Result<(), String> {
    let connection = ServerConnection::new(config).map_err(|error| error.to_string())?;
    let mut tls = StreamOwned::new(connection, tcp);
    let mut request_line = String::new();
    {
        let mut reader = BufReader::new(&mut tls);
        let mut head_len = 0;
        loop {
            let mut line = String::new();
            let read = reader
                .read_line(&mut line)
                .map_err(|error| error.to_string())?;
            head_len += read;
            if request_line.is_empty() {
                request_line = line.trim_end().to_owned();
            }
            if read == 0 || line == "\r\n" || line == "\n" {
                break;
            }
            if head_len > MAX_REQUEST_HEAD {
                return Err("request head too long".into());
            }
        }
    }
    let protocol = tls
        .conn
        .protocol_version()
        .map_or_else(|| "none".to_owned(), |version| format!("{version:?}"));
    let suite = tls
        .conn
        .negotiated_cipher_suite()
        .map_or_else(|| "none".to_owned(), |suite| format!("{:?}", suite.suite()));
    let body = format!(
        "hello from rustls with a keyward key\nprotocol: {protocol}\ncipher suite: {suite}\nrequest: {request_line}\n"
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(response.as_bytes())
        .map_err(|error| error.to_string())?;
    tls.conn.send_close_notify();
    tls.flush().map_err(|error| error.to_string())?;
    Ok(())
}

/// Accepts connections for ever, each on its own thread.
pub fn serve(listener: TcpListener, config: Arc<ServerConfig>) {
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        let config = config.clone();
        std::thread::spawn(move || {
            if let Err(error) = serve_connection(config, tcp) {
                eprintln!("keyward-rustls example: connection: {error}");
            }
        });
    }
}

/// Opens (or creates) the example's keys in `store`, writes their certificates as PEM to
/// `<store>/certs/keyward-rustls-localhost.pem`, and returns the keys and that file.
pub fn load_keys(store: &KeyStore) -> Result<(Vec<StoredKey>, PathBuf), String> {
    let keys = KEY_NAMES
        .iter()
        .map(|(name, kind)| get_or_create(store, name, *kind).map_err(|e| format!("{name}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let pem: String = keys
        .iter()
        .map(|key| certificate_pem(key.certificate()))
        .collect();
    let dir = store.dir().join("certs");
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let bundle = dir.join("keyward-rustls-localhost.pem");
    std::fs::write(&bundle, pem).map_err(|error| format!("{}: {error}", bundle.display()))?;
    Ok((keys, bundle))
}

#[allow(dead_code)]
fn main() -> Result<(), String> {
    let mut addr = "127.0.0.1:8443".to_owned();
    let mut keyiso: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs ADDRESS")?,
            "--keyiso" => keyiso = Some(args.next().ok_or("--keyiso needs SOCKET")?.into()),
            _ => {
                return Err(format!(
                    "usage: server [--addr ADDRESS] [--keyiso SOCKET]; not {arg:?}"
                ))
            }
        }
    }
    let store = KeyStore::open_default().map_err(|error| format!("key store: {error}"))?;
    let (keys, bundle) = load_keys(&store)?;
    let provider = provider(store, keyiso.as_deref())?;
    let config = server_config(&provider, &keys)?;
    let listener = TcpListener::bind(&addr).map_err(|error| format!("{addr}: {error}"))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    println!("keyward-rustls example: listening on {local}");
    println!(
        "try: curl --cacert {} https://localhost:{}/",
        bundle.display(),
        local.port()
    );
    serve(listener, config);
    Ok(())
}

//! A tiny blocking client and server over the sans-IO engine, for manual interop checks
//! with `openssl s_server` / `s_client`.
//!
//! ```text
//! engine_interop client <host:port> <server-name> [tls12|tls13] [suite-name] [group-id]
//! engine_interop server <addr:port> <cert.der> <key.pk8.der> [tls12|tls13] [group-id]
//! ```
//! The client trusts anything (insecure verifier), sends a line, prints what comes back.
//! The server echoes what it reads until the client closes. Both connect twice when `RESUME=1` to show
//! resumption; `KEYUPDATE=1` makes the client send a KeyUpdate first. The key store for sealed session state is a temporary directory.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use keyward_core::store::KeyStore;
use keyward_ssl::{Group, PrivateKey, Provider};
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{
    ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection, Version,
};

fn complete(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> io::Result<()> {
    let result = handshake(conn, sock);
    // Send the alert of a failed handshake.
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    result
}

fn handshake(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> io::Result<()> {
    loop {
        while conn.wants_write() {
            conn.write_tls(sock)?;
        }
        if !conn.is_handshaking() {
            return Ok(());
        }
        if conn.read_tls(sock)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        conn.process_new_packets().map_err(io::Error::other)?;
    }
}

fn read_some(conn: &mut ConnectionCommon, sock: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; 16384];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(n) => return Ok(buf[..n].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        while conn.wants_write() {
            conn.write_tls(sock)?;
        }
        if conn.read_tls(sock)? == 0 {
            return Ok(Vec::new());
        }
        conn.process_new_packets().map_err(io::Error::other)?;
    }
}

fn version(arg: Option<&String>) -> Vec<Version> {
    match arg.map(String::as_str) {
        Some("tls12") => vec![Version::Tls12],
        Some("tls13") => vec![Version::Tls13],
        _ => vec![Version::Tls13, Version::Tls12],
    }
}

fn store_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("keyward-interop-{}", std::process::id()))
}

fn provider() -> Arc<Provider> {
    let dir = store_dir();
    std::fs::create_dir_all(&dir).unwrap();
    Arc::new(Provider::with_key_store(KeyStore::open(&dir).unwrap()))
}

fn main() -> io::Result<()> {
    let result = run();
    let _ = std::fs::remove_dir_all(store_dir());
    result
}

fn run() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rounds = if std::env::var("RESUME").is_ok() {
        2
    } else {
        1
    };
    match args.get(1).map(String::as_str) {
        Some("client") => {
            let mut config = ClientConfig::new(provider(), ServerCertVerifier::insecure());
            config.versions = version(args.get(4));
            if let Some(name) = args.get(5).filter(|n| *n != "-") {
                config.cipher_suites = keyward_ssl::suites::CIPHER_SUITES
                    .iter()
                    .filter(|s| s.name == name.as_str())
                    .collect();
            }
            if let Some(id) = args.get(6) {
                config.groups = vec![Group::from_tls_id(id.parse().unwrap()).unwrap()];
            }
            let config = Arc::new(config);
            for _ in 0..rounds {
                let mut sock = TcpStream::connect(&args[2])?;
                let mut conn =
                    ClientConnection::new(config.clone(), &args[3]).map_err(io::Error::other)?;
                complete(&mut conn, &mut sock)?;
                println!("handshake: {:?}", conn.info());
                if std::env::var("KEYUPDATE").is_ok() {
                    conn.refresh_traffic_keys().map_err(io::Error::other)?;
                    conn.writer().write_all(b"updated\n")?;
                    while conn.wants_write() {
                        conn.write_tls(&mut sock)?;
                    }
                    let reply = read_some(&mut conn, &mut sock)?;
                    println!(
                        "received after key update: {:?}",
                        String::from_utf8_lossy(&reply)
                    );
                }
                conn.writer().write_all(b"hello from keyward\n")?;
                while conn.wants_write() {
                    conn.write_tls(&mut sock)?;
                }
                let reply = read_some(&mut conn, &mut sock)?;
                println!("received: {:?}", String::from_utf8_lossy(&reply));
                conn.send_close_notify();
                while conn.wants_write() {
                    conn.write_tls(&mut sock)?;
                }
            }
        }
        Some("server") => {
            let cert = std::fs::read(&args[3])?;
            let key = std::fs::read(&args[4])?;
            let key = PrivateKey::from_pkcs8(&key, &cert).map_err(io::Error::other)?;
            let certified = CertifiedKey::new(vec![cert], key).map_err(io::Error::other)?;
            let mut config = ServerConfig::new(provider(), CertResolver::new(vec![certified]));
            config.versions = version(args.get(5));
            if let Some(id) = args.get(6) {
                config.groups = vec![Group::from_tls_id(id.parse().unwrap()).unwrap()];
            }
            let config = Arc::new(config);
            let listener = TcpListener::bind(&args[2])?;
            for _ in 0..rounds {
                let (mut sock, _) = listener.accept()?;
                let mut conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
                if let Err(e) = complete(&mut conn, &mut sock) {
                    while conn.wants_write() {
                        conn.write_tls(&mut sock)?;
                    }
                    println!("handshake failed: {e}");
                    continue;
                }
                println!("handshake: {:?}", conn.info());
                loop {
                    let got = match read_some(&mut conn, &mut sock) {
                        Ok(got) if !got.is_empty() => got,
                        Ok(_) => break,
                        Err(e) => {
                            println!("read failed: {e}");
                            break;
                        }
                    };
                    println!("received: {:?}", String::from_utf8_lossy(&got));
                    conn.writer().write_all(&got)?;
                    while conn.wants_write() {
                        conn.write_tls(&mut sock)?;
                    }
                }
                conn.send_close_notify();
                while conn.wants_write() {
                    conn.write_tls(&mut sock)?;
                }
            }
        }
        _ => eprintln!("usage: see the module documentation"),
    }
    Ok(())
}

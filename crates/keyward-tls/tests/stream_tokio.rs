//! Async streams (tokio): accept / connect over TCP on 127.0.0.1, data both ways at once
//! through split halves, shutdown with close_notify, and failures.

use std::io;
use std::sync::Arc;

use keyward_core::store::KeyStore;
use keyward_ssl::{PrivateKey, Provider};
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::stream::tls_error;
use keyward_tls::tokio::{accept, connect, TlsStream};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{
    AlertDescription, ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection,
    Version,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keyward-tls-stream-tokio-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

fn server_key(ca: &Ca, rsa: bool) -> CertifiedKey {
    let key = if rsa {
        KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap()
    } else {
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap()
    };
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &ca.issuer).unwrap().der().to_vec();
    let private = PrivateKey::from_pkcs8(&key.serialize_der(), &cert).unwrap();
    CertifiedKey::new(vec![cert], private).unwrap()
}

struct Setup {
    _dir: TempDir,
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
}

fn setup(version: Version, rsa: bool, trusted: Option<&Ca>) -> Setup {
    let dir = temp_dir();
    let provider = Arc::new(Provider::with_key_store(KeyStore::open(&dir.0).unwrap()));
    let root = ca("Tokio Test Root");
    let mut server = ServerConfig::new(
        provider.clone(),
        CertResolver::new(vec![server_key(&root, rsa)]),
    );
    server.versions = vec![version];
    let verifier = ServerCertVerifier::from_pem(trusted.unwrap_or(&root).pem.as_bytes()).unwrap();
    let mut client = ClientConfig::new(provider, verifier);
    client.versions = vec![version];
    Setup {
        _dir: dir,
        server: Arc::new(server),
        client: Arc::new(client),
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7) ^ (i >> 9) as u8)
        .collect()
}

/// The server copies what it reads back until the client's close_notify, then shuts down.
async fn echo_server(listener: TcpListener, config: Arc<ServerConfig>) -> io::Result<u64> {
    let (sock, _) = listener.accept().await?;
    let stream = accept(config, sock).await?;
    assert!(!stream.get_ref().1.is_handshaking());
    let (mut reader, mut writer) = tokio::io::split(stream);
    let copied = tokio::io::copy(&mut reader, &mut writer).await?;
    writer.shutdown().await?;
    Ok(copied)
}

async fn both_ways(version: Version, rsa: bool) {
    let setup = setup(version, rsa, None);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echo_server(listener, setup.server.clone()));

    let sock = TcpStream::connect(addr).await.unwrap();
    let stream = connect(setup.client.clone(), "localhost", sock)
        .await
        .unwrap();
    let info = stream.get_ref().1.info().unwrap().clone();
    assert_eq!(info.version, version);

    // Write 2 MiB while reading the echo at the same time: neither side may stall.
    let data = pattern(2 << 20);
    let (mut reader, mut writer) = tokio::io::split(stream);
    let to_send = data.clone();
    let sender = tokio::spawn(async move {
        for chunk in to_send.chunks(50_000) {
            writer.write_all(chunk).await.unwrap();
        }
        writer.flush().await.unwrap();
        writer.shutdown().await.unwrap();
        writer
    });
    let mut echoed = Vec::new();
    reader.read_to_end(&mut echoed).await.unwrap();
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "{version}: echo differs");
    let _writer = sender.await.unwrap();
    assert_eq!(server.await.unwrap().unwrap(), data.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls13_both_ways() {
    both_ways(Version::Tls13, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_both_ways() {
    both_ways(Version::Tls12, true).await;
}

#[tokio::test]
async fn request_response_single_thread() {
    let setup = setup(Version::Tls13, true, None);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = setup.server.clone();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        // Handshake on first use through TlsStream::new.
        let mut stream = TlsStream::new(sock, ServerConnection::new(config).unwrap());
        let mut request = [0u8; 4];
        stream.read_exact(&mut request).await.unwrap();
        assert_eq!(&request, b"ping");
        stream.write_all(b"pong").await.unwrap();
        stream.flush().await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        stream.shutdown().await.unwrap();
    });
    let sock = TcpStream::connect(addr).await.unwrap();
    let mut stream = TlsStream::new(
        sock,
        ClientConnection::new(setup.client.clone(), "localhost").unwrap(),
    );
    stream.write_all(b"ping").await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = [0u8; 4];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"pong");
    stream.shutdown().await.unwrap();
    // Shutting down twice is harmless.
    stream.shutdown().await.unwrap_or(());
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    server.await.unwrap();
    let (_sock, conn) = stream.into_inner();
    assert!(!conn.is_handshaking());
}

#[tokio::test]
async fn untrusted_server_fails_both_sides() {
    let other = ca("Someone Else");
    let setup = setup(Version::Tls13, false, Some(&other));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echo_server(listener, setup.server.clone()));
    let sock = TcpStream::connect(addr).await.unwrap();
    let error = match connect(setup.client.clone(), "localhost", sock).await {
        Err(error) => error,
        Ok(_) => panic!("connected to an untrusted server"),
    };
    match tls_error(&error) {
        Some(Error::Certificate(_, AlertDescription::UnknownCa)) => {}
        other => panic!("{other:?}"),
    }
    let server_error = server.await.unwrap().unwrap_err();
    match tls_error(&server_error) {
        Some(Error::PeerAlert(AlertDescription::UnknownCa)) => {}
        other => panic!("server saw {other:?} ({server_error})"),
    }
}

#[tokio::test]
async fn transport_end_during_handshake() {
    let setup = setup(Version::Tls13, false, None);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = sock.read_to_end(&mut sink).await;
    });
    let sock = TcpStream::connect(addr).await.unwrap();
    let error = match connect(setup.client.clone(), "localhost", sock).await {
        Err(error) => error,
        Ok(_) => panic!("handshake completed without a server"),
    };
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    server.await.unwrap();
}

//! Async streams (tokio): accept / connect over TCP on 127.0.0.1, data both ways at once
//! through split halves, shutdown with close_notify, and failures.

use std::io;
use std::sync::Arc;

use keyward_tls::stream::tls_error;
use keyward_tls::tokio::{accept, connect, TlsStream};
use keyward_tls::{
    AlertDescription, ClientConnection, Error, ServerConfig, ServerConnection, Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod stream_common;

use stream_common::{ca, setup, KeyAlg};

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

async fn both_ways(version: Version, alg: KeyAlg) {
    let setup = setup(version, alg, None);
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
    both_ways(Version::Tls13, KeyAlg::P384).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_both_ways() {
    both_ways(Version::Tls12, KeyAlg::Rsa2048).await;
}

#[tokio::test]
async fn request_response_single_thread() {
    let setup = setup(Version::Tls13, KeyAlg::Rsa2048, None);
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
    let setup = setup(Version::Tls13, KeyAlg::P384, Some(&other));
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
    let setup = setup(Version::Tls13, KeyAlg::P384, None);
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

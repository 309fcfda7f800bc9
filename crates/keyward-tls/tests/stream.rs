//! Blocking streams: a client and a server over TCP on 127.0.0.1, exchanging data both ways
//! in TLS 1.3 and TLS 1.2, with ECDSA and RSA server keys; failures and unclean ends.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use keyward_tls::stream::{tls_error, Stream, StreamOwned};
use keyward_tls::{
    AlertDescription, ClientConnection, Error, ServerConfig, ServerConnection, Version,
};

mod stream_common;

use stream_common::{ca, setup, KeyAlg};

fn listen() -> (TcpListener, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Reads one length-prefixed message; `None` at the peer's close_notify.
fn read_message(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut first = [0u8; 1];
    if r.read(&mut first)? == 0 {
        return Ok(None);
    }
    let mut rest = [0u8; 3];
    r.read_exact(&mut rest)?;
    let len = u32::from_be_bytes([first[0], rest[0], rest[1], rest[2]]) as usize;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

fn write_message(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    w.write_all(&(body.len() as u32).to_be_bytes())?;
    w.write_all(body)?;
    w.flush()
}

const SIZES: [usize; 6] = [1, 100, 16_384, 16_385, 70_000, 300_000];

/// The server answers each message with its bytes reversed until the client closes, then
/// closes too.
fn echo_server(listener: TcpListener, config: Arc<ServerConfig>) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        tls.complete_handshake().unwrap();
        assert!(!tls.conn.is_handshaking());
        assert_eq!(tls.conn.server_name(), Some("localhost"));
        let mut count = 0;
        while let Some(mut message) = read_message(&mut tls).unwrap() {
            message.reverse();
            write_message(&mut tls, &message).unwrap();
            count += 1;
        }
        tls.close().unwrap();
        count
    })
}

fn exchange(version: Version, alg: KeyAlg) {
    let setup = setup(version, alg, None);
    let (listener, addr) = listen();
    let server = echo_server(listener, setup.server.clone());

    let sock = TcpStream::connect(addr).unwrap();
    let conn = ClientConnection::new(setup.client.clone(), "localhost").unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    tls.complete_handshake().unwrap();
    let info = tls.conn.info().expect("handshake complete").clone();
    assert_eq!(info.version, version);
    assert!(tls.conn.peer_certificates().is_some_and(|c| !c.is_empty()));
    for (index, size) in SIZES.into_iter().enumerate() {
        let message = pattern(size, index as u8);
        write_message(&mut tls, &message).unwrap();
        let mut answer = read_message(&mut tls).unwrap().expect("an answer");
        answer.reverse();
        assert!(
            answer == message,
            "{version} {alg:?}: message of {size} bytes"
        );
    }
    tls.close().unwrap();
    // The server closes in turn: end of stream.
    let mut rest = Vec::new();
    assert_eq!(tls.read_to_end(&mut rest).unwrap(), 0);
    assert_eq!(server.join().unwrap(), SIZES.len());
}

#[test]
fn tls13_ecdsa_exchange() {
    exchange(Version::Tls13, KeyAlg::P256);
}

#[test]
fn tls13_rsa_exchange() {
    exchange(Version::Tls13, KeyAlg::Rsa2048);
}

#[test]
fn tls12_ecdsa_exchange() {
    exchange(Version::Tls12, KeyAlg::P256);
}

#[test]
fn tls12_rsa_exchange() {
    exchange(Version::Tls12, KeyAlg::Rsa2048);
}

/// Writing first completes the handshake; the borrowed `Stream` works like the owned one.
#[test]
fn borrowed_stream_and_write_first() {
    let setup = setup(Version::Tls13, KeyAlg::P256, None);
    let (listener, addr) = listen();
    let server = echo_server(listener, setup.server.clone());
    let mut sock = TcpStream::connect(addr).unwrap();
    let mut conn = ClientConnection::new(setup.client.clone(), "localhost").unwrap();
    {
        let mut tls = Stream::new(&mut conn, &mut sock);
        write_message(&mut tls, b"hello").unwrap();
        assert_eq!(read_message(&mut tls).unwrap().unwrap(), b"olleh");
        tls.close().unwrap();
        assert_eq!(tls.read(&mut [0u8; 8]).unwrap(), 0);
    }
    assert!(!conn.is_handshaking());
    assert_eq!(server.join().unwrap(), 1);
}

#[test]
fn untrusted_server_fails_both_sides() {
    let other = ca("Someone Else");
    let setup = setup(Version::Tls13, KeyAlg::P256, Some(&other));
    let (listener, addr) = listen();
    let config = setup.server.clone();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        tls.complete_handshake().unwrap_err()
    });
    let sock = TcpStream::connect(addr).unwrap();
    let conn = ClientConnection::new(setup.client.clone(), "localhost").unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    let error = tls.complete_handshake().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    match tls_error(&error) {
        Some(Error::Certificate(_, AlertDescription::UnknownCa)) => {}
        other => panic!("{other:?}"),
    }
    // Later use reports the failure again.
    assert!(tls.write(b"x").is_err());
    let server_error = server.join().unwrap();
    match tls_error(&server_error) {
        Some(Error::PeerAlert(AlertDescription::UnknownCa)) => {}
        other => panic!("server saw {other:?} ({server_error})"),
    }
}

#[test]
fn wrong_server_name_fails() {
    let setup = setup(Version::Tls13, KeyAlg::P256, None);
    let (listener, addr) = listen();
    let config = setup.server.clone();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        let _ = tls.complete_handshake();
    });
    let sock = TcpStream::connect(addr).unwrap();
    let conn = ClientConnection::new(setup.client.clone(), "elsewhere.test").unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    let error = tls.complete_handshake().unwrap_err();
    match tls_error(&error) {
        Some(Error::Certificate(_, AlertDescription::BadCertificate)) => {}
        other => panic!("{other:?}"),
    }
    server.join().unwrap();
}

#[test]
fn unclean_end_is_unexpected_eof() {
    let setup = setup(Version::Tls13, KeyAlg::P256, None);
    let (listener, addr) = listen();
    let config = setup.server.clone();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        tls.write_all(b"bye").unwrap();
        tls.flush().unwrap();
        // Drop the socket without close_notify.
        let (_conn, sock) = tls.into_parts();
        sock.shutdown(std::net::Shutdown::Both).unwrap();
    });
    let sock = TcpStream::connect(addr).unwrap();
    let conn = ClientConnection::new(setup.client.clone(), "localhost").unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    let mut bye = [0u8; 3];
    tls.read_exact(&mut bye).unwrap();
    assert_eq!(&bye, b"bye");
    server.join().unwrap();
    let error = tls.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn transport_end_during_handshake() {
    let setup = setup(Version::Tls13, KeyAlg::P256, None);
    let (listener, addr) = listen();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.shutdown(std::net::Shutdown::Write).unwrap();
        // Keep the socket until the client gave up, so that it sees an end, not a reset.
        let mut sink = Vec::new();
        let _ = (&sock).read_to_end(&mut sink);
    });
    let sock = TcpStream::connect(addr).unwrap();
    let conn = ClientConnection::new(setup.client.clone(), "localhost").unwrap();
    let mut tls = StreamOwned::new(conn, sock);
    let error = tls.complete_handshake().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    drop(tls);
    server.join().unwrap();
}

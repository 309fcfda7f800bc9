//! The limits of a connection through the tokio adapter: a peer that floods the server with
//! messages that need an answer and never reads them neither grows the server's queued output
//! past its bound nor keeps the connection forever.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use keyward_tls::config::DEFAULT_MAX_QUEUED_OUTPUT;
use keyward_tls::stream::tls_error;
use keyward_tls::tokio::{connect, TlsStream};
use keyward_tls::{
    AlertDescription, ClientConnection, Error, ServerConfig, ServerConnection, Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

mod stream_common;

use stream_common::{setup, KeyAlg, Setup};

/// Messages the client sends at most.
const FLOOD: usize = 100_000;

/// How the server's side ended.
struct ServerEnd {
    /// The largest queued output seen after a read, and at the end.
    max_queued: usize,
    /// The read's error.
    error: io::Error,
}

/// Serves on `io` (the handshake runs on the first read, which may also bring the flood) and
/// reads until an error, watching the queued output after each read.
async fn server(config: Arc<ServerConfig>, io: DuplexStream) -> ServerEnd {
    let mut stream = TlsStream::new(io, ServerConnection::new(config).unwrap());
    let mut buf = [0u8; 4096];
    let mut max_queued = 0;
    let error = loop {
        let result = stream.read(&mut buf).await;
        max_queued = max_queued.max(stream.get_ref().1.queued_output());
        match result {
            Ok(0) => panic!("the client closed"),
            Ok(_) => {}
            Err(error) => break error,
        }
    };
    ServerEnd { max_queued, error }
}

/// Sends up to `FLOOD` messages made by `send` without reading; returns how many the
/// transport took before it blocked (the server stopped reading) or failed (the server
/// closed), and the client's connection and socket.
async fn flood(
    conn: &mut ClientConnection,
    io: &mut DuplexStream,
    mut send: impl FnMut(&mut ClientConnection),
) -> (usize, &'static str) {
    for sent in 0..FLOOD {
        send(conn);
        let mut wire = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut wire).unwrap();
        }
        match tokio::time::timeout(Duration::from_secs(1), io.write_all(&wire)).await {
            Err(_) => return (sent, "blocked"),
            Ok(Err(_)) => return (sent, "closed"),
            Ok(Ok(())) => {}
        }
    }
    (FLOOD, "took everything")
}

/// A client connection after its handshake with a spawned [`server`], and the setup to keep.
async fn handshake(
    version: Version,
) -> (
    ClientConnection,
    DuplexStream,
    tokio::task::JoinHandle<ServerEnd>,
    Setup,
) {
    let setup = setup(version, KeyAlg::P384, None);
    let (client_io, server_io) = tokio::io::duplex(8192);
    let server = tokio::spawn(server(setup.server.clone(), server_io));
    let stream = connect(setup.client.clone(), "localhost", client_io)
        .await
        .unwrap();
    let (io, conn) = stream.into_inner();
    (conn, io, server, setup)
}

/// KeyUpdates asking for an answer, each after a byte of data (which resets the count of
/// messages without data): the server stops reading once its answers reach the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_updates_with_data_are_held_at_the_output_bound() {
    let (mut conn, mut io, server, _setup) = handshake(Version::Tls13).await;
    let (sent, how) = flood(&mut conn, &mut io, |conn| {
        io::Write::write_all(&mut conn.writer(), b"x").unwrap();
        conn.refresh_traffic_keys().unwrap();
    })
    .await;
    assert_eq!(how, "blocked", "after {sent} messages");
    drop(io);
    let end = server.await.unwrap();
    assert!(
        end.max_queued <= DEFAULT_MAX_QUEUED_OUTPUT,
        "the server queued {} bytes",
        end.max_queued
    );
}

/// KeyUpdates alone: the server ends the connection with `unexpected_message`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_update_flood_ends_with_unexpected_message() {
    let (mut conn, mut io, server, _setup) = handshake(Version::Tls13).await;
    let (sent, how) = flood(&mut conn, &mut io, |conn| {
        conn.refresh_traffic_keys().unwrap()
    })
    .await;
    assert_ne!(how, "took everything", "after {sent} messages");
    let end = server.await.unwrap();
    match tls_error(&end.error) {
        Some(Error::UnexpectedMessage(_)) => {}
        other => panic!("the server ended with {other:?} ({})", end.error),
    }
    assert!(end.max_queued <= DEFAULT_MAX_QUEUED_OUTPUT);

    // The client reads what the server sent: its answers, then the fatal alert.
    let mut wire = Vec::new();
    io.read_to_end(&mut wire).await.unwrap();
    let mut rest = &wire[..];
    let mut result = Ok(());
    while !rest.is_empty() && result.is_ok() {
        conn.read_tls(&mut rest).unwrap();
        result = conn.process_new_packets();
    }
    assert_eq!(
        result,
        Err(Error::PeerAlert(AlertDescription::UnexpectedMessage))
    );
}

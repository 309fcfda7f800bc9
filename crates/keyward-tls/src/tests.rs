//! Connection tests that need a peer the public API cannot make: renegotiation refusal, where
//! each side injects the message that would start a renegotiation under its own keys, and
//! the bounds on floods of messages without application data.

use std::sync::Arc;

use crate::alert::AlertDescription;
use crate::certs::{CertResolver, CertifiedKey};
use crate::codec::enums::{ContentType, HandshakeType};
use crate::codec::handshake::encode_handshake;
use crate::common_state::{Message, MAX_UNSOLICITED};
use crate::config::{ClientConfig, ServerConfig, Version};
use crate::error::Error;
use crate::verify::ServerCertVerifier;
use crate::{ClientConnection, ConnectionCommon, ServerConnection};
use keyward_core::store::KeyStore;
use keyward_ssl::{PrivateKey, Provider};
use std::io::{Read, Write};

const CERT: &[u8] = include_bytes!("../tests/data/rsa2048.cert.der");
const KEY: &[u8] = include_bytes!("../tests/data/rsa2048.key.p8.der");

fn move_bytes(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<usize, Error> {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire).unwrap();
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets()?;
    }
    Ok(wire.len())
}

fn pump(c: &mut ConnectionCommon, s: &mut ConnectionCommon) {
    while move_bytes(c, s).unwrap() + move_bytes(s, c).unwrap() > 0 {}
}

/// A key store directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tls12_pair() -> (ClientConnection, ServerConnection, TempDir) {
    pair(Version::Tls12)
}

fn pair(version: Version) -> (ClientConnection, ServerConnection, TempDir) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keyward-conn-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let provider = Arc::new(Provider::with_key_store(KeyStore::open(&dir).unwrap()));
    let key = CertifiedKey::new(
        vec![CERT.to_vec()],
        PrivateKey::from_pkcs8(KEY, CERT).unwrap(),
    )
    .unwrap();
    let mut server = ServerConfig::new(provider.clone(), CertResolver::new(vec![key]));
    server.session_tickets = false;
    let mut client = ClientConfig::new(provider, ServerCertVerifier::insecure());
    client.versions = vec![version];
    let mut c = ClientConnection::new(Arc::new(client), "rsa.fixture.test").unwrap();
    let mut s = ServerConnection::new(Arc::new(server)).unwrap();
    pump(&mut c, &mut s);
    assert!(!c.is_handshaking() && !s.is_handshaking());
    (c, s, TempDir(dir))
}

fn still_talks(c: &mut ConnectionCommon, s: &mut ConnectionCommon) {
    c.writer().write_all(b"still here").unwrap();
    pump(c, s);
    let mut buf = [0u8; 32];
    let n = s.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
}

/// The refusal is a warning alert: the connection carries data afterwards.
#[test]
fn tls12_renegotiation_is_refused_with_a_warning() {
    let (mut c, mut s, _dir) = tls12_pair();
    // The client asks to renegotiate: the server answers no_renegotiation, a warning.
    let hello = encode_handshake(HandshakeType::ClientHello, &[3, 3]);
    c.common.record.queue_handshake(&hello);
    c.common.record.flush_handshake().unwrap();
    move_bytes(&mut c, &mut s).unwrap();
    assert!(s.wants_write(), "the server answers");
    move_bytes(&mut s, &mut c).unwrap();
    still_talks(&mut c, &mut s);

    // The server asks (HelloRequest): the client refuses the same way.
    let request = encode_handshake(HandshakeType::HelloRequest, &[]);
    s.common.record.queue_handshake(&request);
    s.common.record.flush_handshake().unwrap();
    move_bytes(&mut s, &mut c).unwrap();
    assert!(c.wants_write(), "the client answers");
    move_bytes(&mut c, &mut s).unwrap();
    still_talks(&mut s, &mut c);
}

/// Messages a peer sends in a flood without reading a byte of the answers.
const FLOOD: usize = 100_000;

/// How a flood ended.
struct Flooded {
    /// Messages the server took.
    taken: usize,
    /// How the server's connection ended (`None`: it is still open).
    error: Option<Error>,
    /// Bytes the client sent that the server did not read yet.
    unread: Vec<u8>,
}

/// The client sends `FLOOD` messages made by `send` and never reads; after each, the
/// server's queued output must stay within its bound.
fn flood(
    c: &mut ClientConnection,
    s: &mut ServerConnection,
    mut send: impl FnMut(&mut ClientConnection),
) -> Flooded {
    let bound = crate::config::DEFAULT_MAX_QUEUED_OUTPUT;
    for taken in 0..FLOOD {
        send(c);
        let mut wire = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut wire).unwrap();
        }
        let mut rest = &wire[..];
        while !rest.is_empty() {
            if s.read_tls(&mut rest).is_err() {
                // The server's receive buffer is full: it takes no more until the
                // client reads, so a real peer blocks here.
                let unread = rest.to_vec();
                return Flooded {
                    taken,
                    error: None,
                    unread,
                };
            }
            let result = s.process_new_packets();
            let queued = s.queued_output();
            assert!(
                queued <= bound,
                "after {taken} messages the server queues {queued} bytes (bound {bound})"
            );
            if let Err(error) = result {
                return Flooded {
                    taken,
                    error: Some(error),
                    unread: Vec::new(),
                };
            }
        }
    }
    Flooded {
        taken: FLOOD,
        error: None,
        unread: Vec::new(),
    }
}

/// The server's output so far, for the client to read.
fn server_output(s: &mut ServerConnection) -> Vec<u8> {
    let mut wire = Vec::new();
    while s.wants_write() {
        s.write_tls(&mut wire).unwrap();
    }
    wire
}

/// The client reads `wire` and ends on the server's fatal alert.
fn client_sees_alert(c: &mut ClientConnection, wire: &[u8], alert: AlertDescription) {
    let mut rest = wire;
    while !rest.is_empty() {
        c.read_tls(&mut rest).unwrap();
        if let Err(error) = c.process_new_packets() {
            assert_eq!(error, Error::PeerAlert(alert));
            return;
        }
    }
    panic!("the server sent no fatal alert");
}

#[test]
fn tls12_renegotiation_flood_ends_with_unexpected_message() {
    let (mut c, mut s, _dir) = tls12_pair();
    let hello = encode_handshake(HandshakeType::ClientHello, &[3, 3]);
    let Flooded { taken, error, .. } = flood(&mut c, &mut s, |c| {
        c.common.record.queue_handshake(&hello);
        c.common.record.flush_handshake().unwrap();
    });
    let error = error.unwrap_or_else(|| panic!("{taken} renegotiations and still open"));
    assert_eq!(taken, MAX_UNSOLICITED as usize);
    assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
    // Every refusal was a warning; the last record is the fatal alert (TLS 1.2 record
    // headers show the content type).
    let wire = server_output(&mut s);
    let mut records = Vec::new();
    let mut rest = &wire[..];
    while rest.len() >= 5 {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        records.push(rest[0]);
        rest = &rest[len..];
    }
    assert_eq!(records.len(), MAX_UNSOLICITED as usize + 1);
    assert!(records.iter().all(|&kind| kind == 21), "alerts only");
}

#[test]
fn tls13_key_update_flood_ends_with_unexpected_message() {
    let (mut c, mut s, _dir) = pair(Version::Tls13);
    let Flooded { taken, error, .. } = flood(&mut c, &mut s, |c| c.refresh_traffic_keys().unwrap());
    let error = error.unwrap_or_else(|| panic!("{taken} KeyUpdates and still open"));
    assert_eq!(taken, MAX_UNSOLICITED as usize);
    assert_eq!(
        error,
        Error::UnexpectedMessage("too many messages without application data")
    );
    let wire = server_output(&mut s);
    client_sees_alert(&mut c, &wire, AlertDescription::UnexpectedMessage);
}

#[test]
fn empty_record_flood_ends_with_unexpected_message() {
    for version in [Version::Tls12, Version::Tls13] {
        let (mut c, mut s, _dir) = pair(version);
        let Flooded { taken, error, .. } = flood(&mut c, &mut s, |c| {
            c.common
                .record
                .send_empty_record(ContentType::ApplicationData)
                .unwrap()
        });
        let error = error.unwrap_or_else(|| panic!("{taken} empty records and still open"));
        assert_eq!(taken, MAX_UNSOLICITED as usize, "{version}");
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
        let wire = server_output(&mut s);
        client_sees_alert(&mut c, &wire, AlertDescription::UnexpectedMessage);
    }
}

/// Application data between the KeyUpdates resets the count, so only the bound on
/// queued output stops the flood: the server stops taking records once its answers
/// reach the bound, and goes on when the client reads them.
#[test]
fn key_updates_between_data_stop_at_the_output_bound() {
    let (mut c, mut s, _dir) = pair(Version::Tls13);
    let Flooded {
        taken,
        error,
        unread,
    } = flood(&mut c, &mut s, |c| {
        c.writer().write_all(b"x").unwrap();
        c.refresh_traffic_keys().unwrap();
    });
    assert_eq!(error, None);
    assert!(taken < FLOOD, "the server took the whole flood");
    assert!(
        !s.wants_read(),
        "backpressure: the server wants its output read first"
    );
    assert!(s.queued_output() > crate::config::DEFAULT_MAX_QUEUED_OUTPUT / 2);

    // The client reads the answers: the server takes the held records and reads again.
    let wire = server_output(&mut s);
    let mut rest = &wire[..];
    while !rest.is_empty() {
        c.read_tls(&mut rest).unwrap();
        c.process_new_packets().unwrap();
    }
    s.process_new_packets().unwrap();
    assert!(s.wants_read());
    let mut rest = &unread[..];
    while !rest.is_empty() {
        s.read_tls(&mut rest).unwrap();
        s.process_new_packets().unwrap();
    }
    c.writer().write_all(b"after").unwrap();
    pump(&mut c, &mut s);
    let mut buf = vec![0u8; 2 * FLOOD];
    let mut got = Vec::new();
    while let Ok(n) = s.reader().read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.ends_with(b"after"));
}

#[test]
fn other_handshake_messages_after_tls12_are_fatal() {
    let (mut c, _s, _dir) = tls12_pair();
    // After a TLS 1.2 handshake, a Finished (or anything but a HelloRequest) is fatal.
    let finished = encode_handshake(HandshakeType::Finished, &[0; 12]);
    let error = c.state.take().unwrap().handle(
        &mut c.common,
        Message::Handshake(crate::codec::handshake::HandshakeMessage {
            kind: HandshakeType::Finished,
            encoded: finished,
        }),
    );
    assert!(matches!(error, Err(Error::UnexpectedMessage(_))));
}

/// A large write is taken a queue's worth at a time: up to the output bound, never less than
/// one record, and all of it arrives once the application writes the rest.
#[test]
fn a_large_write_is_taken_up_to_the_output_bound() {
    let (mut c, mut s, _dir) = pair(Version::Tls13);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let first = c.writer().write(&data).unwrap();
    assert_eq!(first, crate::config::DEFAULT_MAX_QUEUED_OUTPUT);
    // With the queue full, a write still takes one record's worth.
    let second = c.writer().write(&data[first..]).unwrap();
    assert_eq!(second, 16384);
    let mut sent = first + second;
    let mut received = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    while received.len() < data.len() {
        pump(&mut c, &mut s);
        loop {
            match s.reader().read(&mut buf) {
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(err) => panic!("{err}"),
            }
        }
        if sent < data.len() {
            sent += c.writer().write(&data[sent..]).unwrap();
        }
    }
    assert_eq!(received, data);
}

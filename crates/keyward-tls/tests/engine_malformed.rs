//! Hostile input: random bytes, truncations and bit flips of real flights, oversized
//! records and messages. The engine must answer each with an error (and an alert), never a
//! panic, and stay dead afterwards.

mod engine_common;

use std::sync::Arc;

use engine_common::*;
use keyward_tls::{ClientConfig, ClientConnection, Error, ServerConfig, ServerConnection, Version};

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn configs(version: Option<Version>) -> (Arc<ClientConfig>, Arc<ServerConfig>, Stores) {
    let mut setup = rsa_and_ecdsa();
    if let Some(version) = version {
        setup.client.versions = vec![version];
    }
    setup.into_arcs()
}

fn client_hello(client: &Arc<ClientConfig>) -> Vec<u8> {
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let mut wire = Vec::new();
    while c.wants_write() {
        c.write_tls(&mut wire).unwrap();
    }
    wire
}

/// After an error the connection stays dead with the same error and has an alert queued
/// (unless the peer's alert ended it).
fn assert_dead(conn: &mut keyward_tls::ConnectionCommon, error: &Error) {
    assert_eq!(conn.process_new_packets().unwrap_err(), *error);
    if error.alert().is_some() {
        assert!(conn.wants_write(), "no alert queued for {error:?}");
    }
    assert!(!conn.wants_read());
}

#[test]
fn random_bytes_never_panic_the_server() {
    let (_, server, _setup) = configs(None);
    let mut noise = Noise(0x1234_5678_9ABC_DEF1);
    for round in 0..2000 {
        let mut s = ServerConnection::new(server.clone()).unwrap();
        let len = noise.below(300);
        let mut wire = noise.bytes(len);
        // Half the time, a plausible record header in front of the noise.
        if round % 2 == 0 {
            let mut framed = vec![22, 3, (round % 5) as u8];
            framed.extend_from_slice(&(len as u16 + 4).to_be_bytes());
            framed.extend_from_slice(&[1, 0, (len >> 8) as u8, len as u8]);
            framed.extend_from_slice(&wire);
            wire = framed;
        }
        if let Err(error) = deliver(&wire, &mut s) {
            assert_dead(&mut s, &error);
        }
    }
}

#[test]
fn truncated_client_hellos_wait_and_mutated_ones_fail_cleanly() {
    let (client, server, _setup) = configs(None);
    let hello = client_hello(&client);
    for cut in 0..hello.len() {
        let mut s = ServerConnection::new(server.clone()).unwrap();
        deliver(&hello[..cut], &mut s).unwrap();
        assert!(s.is_handshaking());
    }
    let mut noise = Noise(42);
    for _ in 0..1500 {
        let mut mutated = hello.clone();
        for _ in 0..1 + noise.below(3) {
            let at = noise.below(mutated.len());
            mutated[at] ^= 1 << noise.below(8);
        }
        let mut s = ServerConnection::new(server.clone()).unwrap();
        if let Err(error) = deliver(&mutated, &mut s) {
            assert_dead(&mut s, &error);
        }
    }
}

#[test]
fn mutated_server_flights_fail_cleanly() {
    for version in [Version::Tls13, Version::Tls12] {
        let (client, server, _setup) = configs(Some(version));
        let mut noise = Noise(7 + version.to_wire() as u64);
        for _ in 0..150 {
            let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
            let mut s = ServerConnection::new(server.clone()).unwrap();
            transfer(&mut c, &mut s).unwrap();
            let mut flight = Vec::new();
            while s.wants_write() {
                s.write_tls(&mut flight).unwrap();
            }
            let at = noise.below(flight.len());
            flight[at] ^= 1 << noise.below(8);
            match deliver(&flight, &mut c) {
                Err(error) => assert_dead(&mut c, &error),
                // A flip in a field nobody reads (e.g. a legacy record version) passes;
                // the handshake must then still complete or fail without panicking.
                Ok(()) => {
                    let _ = pump(&mut c, &mut s);
                }
            }
        }
    }
}

#[test]
fn mutated_client_flights_fail_cleanly() {
    for version in [Version::Tls13, Version::Tls12] {
        let (client, server, _setup) = configs(Some(version));
        let mut noise = Noise(99 + version.to_wire() as u64);
        for _ in 0..150 {
            let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
            let mut s = ServerConnection::new(server.clone()).unwrap();
            transfer(&mut c, &mut s).unwrap();
            transfer(&mut s, &mut c).unwrap();
            let mut flight = Vec::new();
            while c.wants_write() {
                c.write_tls(&mut flight).unwrap();
            }
            let at = noise.below(flight.len());
            flight[at] ^= 1 << noise.below(8);
            if let Err(error) = deliver(&flight, &mut s) {
                assert_dead(&mut s, &error);
            }
        }
    }
}

#[test]
fn random_records_after_the_handshake_are_bad_record_mac() {
    for version in [Version::Tls13, Version::Tls12] {
        let (client, server, _setup) = configs(Some(version));
        let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
        let mut record = vec![23, 3, 3, 0, 64];
        record.extend_from_slice(&Noise(5).bytes(64));
        let error = deliver(&record, &mut c).unwrap_err();
        assert_eq!(error, Error::BadRecordMac);
        assert_dead(&mut c, &error);
    }
}

#[test]
fn oversized_records_are_record_overflow() {
    let (client, server, _setup) = configs(None);
    // A header announcing more than 2^14 + 2048 bytes.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let error = deliver(&[22, 3, 1, 0x48, 0x01], &mut s).unwrap_err();
    assert_eq!(error, Error::RecordOverflow);
    assert_dead(&mut s, &error);

    // A plaintext record over 2^14 bytes.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let mut record = vec![22, 3, 1, 0x40, 0x01];
    record.extend(std::iter::repeat_n(0u8, 0x4001));
    assert_eq!(deliver(&record, &mut s).unwrap_err(), Error::RecordOverflow);

    // A TLS 1.3 protected record over 2^14 + 256 bytes.
    let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
    let mut record = vec![23, 3, 3, 0x41, 0x01];
    record.extend(std::iter::repeat_n(0u8, 0x4101));
    assert_eq!(deliver(&record, &mut c).unwrap_err(), Error::RecordOverflow);
}

#[test]
fn oversized_handshake_messages_and_unknown_records_are_refused() {
    let (_, server, _setup) = configs(None);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let error = deliver(&[22, 3, 1, 0, 4, 1, 0x7F, 0, 0], &mut s).unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");

    let mut s = ServerConnection::new(server.clone()).unwrap();
    let error = deliver(&[99, 3, 3, 0, 1, 0], &mut s).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");

    // An SSLv2-style hello.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    assert!(deliver(&[0x80, 0x2E, 1, 3, 1, 0, 0x15], &mut s).is_err());

    // Application data before the handshake.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let error = deliver(&[23, 3, 3, 0, 2, 1, 2], &mut s).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");

    // A fatal alert from the peer ends the connection without an answer.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let error = deliver(&[21, 3, 3, 0, 2, 2, 40], &mut s).unwrap_err();
    assert_eq!(
        error,
        Error::PeerAlert(keyward_tls::AlertDescription::HandshakeFailure)
    );
    assert!(!s.wants_write());
}

#[test]
fn change_cipher_spec_rules() {
    let (client, server, _setup) = configs(Some(Version::Tls13));
    // A change_cipher_spec before any ClientHello is unexpected.
    let mut s = ServerConnection::new(server.clone()).unwrap();
    assert!(deliver(&[20, 3, 3, 0, 1, 1], &mut s).is_err());
    // After the handshake too, in TLS 1.3.
    let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
    let error = deliver(&[20, 3, 3, 0, 1, 1], &mut c).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");
    // A bad CCS value during a TLS 1.3 handshake.
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    transfer(&mut c, &mut s).unwrap();
    let error = deliver(&[20, 3, 3, 0, 1, 2], &mut s).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");
}

#[test]
fn plaintext_records_are_refused_once_tls13_keys_are_in_use() {
    let (client, server, _setup) = configs(Some(Version::Tls13));
    // A forged plaintext close_notify must not end the stream cleanly.
    let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
    let error = deliver(&[21, 3, 3, 0, 2, 1, 0], &mut c).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");
    // A plaintext handshake message after the ServerHello.
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    transfer(&mut c, &mut s).unwrap();
    transfer(&mut s, &mut c).unwrap();
    let error = deliver(&[22, 3, 3, 0, 4, 20, 0, 0, 0], &mut s).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");
}

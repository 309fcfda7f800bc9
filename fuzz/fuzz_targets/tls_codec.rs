//! The handshake message and extension codecs. The first byte picks the message; the rest is
//! its body. What parses must encode and parse back to the same value.
#![no_main]

use keyward_tls::codec::extensions::{ClientExtensions, ServerExtensions};
use keyward_tls::codec::handshake::{
    encode_certificate_verify, encode_client_key_exchange, encode_encrypted_extensions,
    parse_certificate_verify, parse_client_key_exchange, parse_empty, parse_encrypted_extensions,
    parse_key_update, CertificateMessage, CertificateRequest, ClientKeyExchangeKind,
    NewSessionTicket12, NewSessionTicket13, ServerKeyExchange,
};
use keyward_tls::codec::hello::{ClientHello, ServerHello};
use keyward_tls::codec::Reader;
use libfuzzer_sys::fuzz_target;

/// The body of an encoded handshake message (after its 4-byte header).
fn body(encoded: &[u8]) -> &[u8] {
    encoded.get(4..).expect("an encoded message has a header")
}

/// What parses encodes to a message that parses, and encoding is canonical: encoding the
/// re-parsed value gives the same bytes. (Values are not compared: a parse remembers the
/// order extensions arrived in, and the encoder writes its own order.)
fn round_trip<T>(
    parsed: T,
    encode: impl Fn(&T) -> Vec<u8>,
    parse: impl Fn(&[u8]) -> Result<T, keyward_tls::Error>,
) {
    let encoded = encode(&parsed);
    let again = parse(body(&encoded)).expect("an encoded message parses");
    assert_eq!(encode(&again), encoded, "encoding is not canonical");
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body_bytes)) = data.split_first() else {
        return;
    };
    match which % 16 {
        0 => {
            if let Ok(hello) = ClientHello::parse(body_bytes) {
                round_trip(hello, ClientHello::encode, ClientHello::parse);
            }
        }
        1 => {
            if let Ok(hello) = ServerHello::parse(body_bytes) {
                let _ = hello.is_retry_request();
                round_trip(hello, ServerHello::encode, ServerHello::parse);
            }
        }
        2 | 3 => {
            let tls13 = which % 16 == 3;
            if let Ok(message) = CertificateMessage::parse(body_bytes, tls13) {
                round_trip(
                    message,
                    |m| m.encode(tls13),
                    |b| CertificateMessage::parse(b, tls13),
                );
            }
        }
        4 => {
            let _ = CertificateRequest::parse(body_bytes, false);
            let _ = CertificateRequest::parse(body_bytes, true);
        }
        5 | 6 => {
            let dhe = which % 16 == 6;
            if let Ok(message) = ServerKeyExchange::parse(body_bytes, dhe) {
                round_trip(message, ServerKeyExchange::encode, |b| {
                    ServerKeyExchange::parse(b, dhe)
                });
            }
        }
        7 => {
            for kind in [
                ClientKeyExchangeKind::Rsa,
                ClientKeyExchangeKind::Ecdhe,
                ClientKeyExchangeKind::Dhe,
            ] {
                if let Ok(value) = parse_client_key_exchange(body_bytes, kind) {
                    let encoded = encode_client_key_exchange(&value, kind);
                    assert_eq!(
                        parse_client_key_exchange(body(&encoded), kind).ok(),
                        Some(value)
                    );
                }
            }
        }
        8 => {
            if let Ok(signed) = parse_certificate_verify(body_bytes) {
                round_trip(signed, encode_certificate_verify, parse_certificate_verify);
            }
        }
        9 => {
            if let Ok(ticket) = NewSessionTicket12::parse(body_bytes) {
                round_trip(
                    ticket,
                    NewSessionTicket12::encode,
                    NewSessionTicket12::parse,
                );
            }
        }
        10 => {
            if let Ok(ticket) = NewSessionTicket13::parse(body_bytes) {
                round_trip(
                    ticket,
                    NewSessionTicket13::encode,
                    NewSessionTicket13::parse,
                );
            }
        }
        11 => {
            if let Ok(extensions) = parse_encrypted_extensions(body_bytes) {
                round_trip(
                    extensions,
                    encode_encrypted_extensions,
                    parse_encrypted_extensions,
                );
            }
        }
        12 => {
            let mut reader = Reader::new(body_bytes);
            if let Ok(extensions) = ClientExtensions::read(&mut reader) {
                let mut out = Vec::new();
                extensions.write(&mut out);
                let again = ClientExtensions::read(&mut Reader::new(&out))
                    .expect("written extensions read back");
                let mut out_again = Vec::new();
                again.write(&mut out_again);
                assert_eq!(out_again, out, "extension encoding is not canonical");
                let _ = extensions;
            }
        }
        13 | 14 => {
            let retry = which % 16 == 14;
            let mut reader = Reader::new(body_bytes);
            if let Ok(extensions) = ServerExtensions::read(&mut reader, retry) {
                let mut out = Vec::new();
                extensions.write(&mut out);
                let again = ServerExtensions::read(&mut Reader::new(&out), retry)
                    .expect("written extensions read back");
                let mut out_again = Vec::new();
                again.write(&mut out_again);
                assert_eq!(out_again, out, "extension encoding is not canonical");
                let _ = extensions;
            }
        }
        _ => {
            let _ = parse_key_update(body_bytes);
            let _ = parse_empty(body_bytes);
        }
    }
});

//! Round trips and malformed inputs of the codec.

use super::enums::*;
use super::extensions::*;
use super::handshake::*;
use super::hello::*;
use super::*;

fn full_client_hello() -> ClientHello {
    ClientHello {
        legacy_version: version::TLS12,
        random: [7; 32],
        session_id: vec![1; 32],
        cipher_suites: vec![0x1301, 0xC02F, signal::EMPTY_RENEGOTIATION_INFO_SCSV],
        compression_methods: vec![0],
        extensions: ClientExtensions {
            server_name: Some("example.com".into()),
            supported_groups: Some(vec![29, 23, 256]),
            ec_point_formats: Some(vec![EC_POINT_UNCOMPRESSED]),
            signature_algorithms: Some(vec![0x0804, 0x0403]),
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            extended_master_secret: true,
            encrypt_then_mac: true,
            renegotiation_info: Some(Vec::new()),
            session_ticket: Some(vec![9; 40]),
            supported_versions: Some(vec![version::TLS13, version::TLS12]),
            key_shares: Some(vec![KeyShareEntry {
                group: 29,
                key_exchange: vec![5; 32],
            }]),
            psk_modes: Some(vec![psk_mode::PSK_DHE_KE]),
            early_data: true,
            cookie: Some(vec![3; 10]),
            pre_shared_key: Some(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![4; 50],
                    obfuscated_ticket_age: 1234,
                }],
                binders: vec![vec![8; 32]],
            }),
        },
    }
}

#[test]
fn client_hello_round_trips() {
    let hello = full_client_hello();
    let encoded = hello.encode();
    assert_eq!(encoded[0], 1);
    let parsed = ClientHello::parse(&encoded[4..]).unwrap();
    assert_eq!(parsed, hello);
    // The binders are the tail of the message.
    assert_eq!(hello.binders_len(), 2 + 1 + 32);
    assert_eq!(&encoded[encoded.len() - 32..], &[8; 32]);
}

#[test]
fn client_hello_without_extensions_parses() {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]);
    body.extend_from_slice(&[0, 0, 2, 0, 0x2F, 1, 0]);
    let hello = ClientHello::parse(&body).unwrap();
    assert_eq!(hello.cipher_suites, vec![0x2F]);
    assert_eq!(hello.extensions, ClientExtensions::default());
}

#[test]
fn every_truncation_of_a_client_hello_fails() {
    let encoded = full_client_hello().encode();
    let body = &encoded[4..];
    // Cut right before the extensions block, it is a valid hello without extensions.
    let without_extensions = 2 + 32 + 1 + 32 + 2 + 6 + 1 + 1;
    for cut in 0..body.len() {
        let parsed = ClientHello::parse(&body[..cut]);
        assert_eq!(parsed.is_ok(), cut == without_extensions, "cut at {cut}");
    }
    let mut longer = body.to_vec();
    longer.push(0);
    assert_eq!(
        ClientHello::parse(&longer),
        Err(Error::Decode("trailing bytes in message"))
    );
}

/// A ClientHello body with `extensions` as its extension block.
fn hello_with_extensions(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    put_vec_u16(&mut body, extensions);
    body
}

#[test]
fn duplicate_and_misplaced_extensions_are_illegal() {
    let twice = [0, 23, 0, 0, 0, 23, 0, 0];
    assert_eq!(
        ClientHello::parse(&hello_with_extensions(&twice)),
        Err(Error::IllegalParameter("duplicate extension"))
    );
    let mut psk_first = Vec::new();
    put_u16(&mut psk_first, 41);
    put_prefixed(&mut psk_first, LengthPrefix::U16, |o| {
        full_client_hello()
            .extensions
            .pre_shared_key
            .unwrap()
            .binders_len();
        put_prefixed(o, LengthPrefix::U16, |o| {
            put_vec_u16(o, &[1; 8]);
            put_u32(o, 0);
        });
        put_prefixed(o, LengthPrefix::U16, |o| put_vec_u8(o, &[0; 32]));
    });
    psk_first.extend_from_slice(&[0, 23, 0, 0]);
    assert_eq!(
        ClientHello::parse(&hello_with_extensions(&psk_first)),
        Err(Error::IllegalParameter(
            "pre_shared_key is not the last extension"
        ))
    );
}

#[test]
fn malformed_extension_bodies_are_decode_errors() {
    let cases: [&[u8]; 5] = [
        &[0, 43, 0, 1, 2],            // supported_versions: list length past the end
        &[0, 10, 0, 3, 0, 1, 0],      // supported_groups: odd list
        &[0, 16, 0, 3, 0, 1, 0],      // ALPN: empty protocol name
        &[0, 23, 0, 1, 0],            // extended_master_secret with a body
        &[0, 0, 0, 5, 0, 3, 0, 0, 0], // server_name: empty host name
    ];
    for extensions in cases {
        let result = ClientHello::parse(&hello_with_extensions(extensions));
        assert!(
            matches!(result, Err(Error::Decode(_))),
            "{extensions:?}: {result:?}"
        );
    }
    // A key share with an empty value parses but is no value of its group (RFC 8446 §4.2.8).
    let empty_share: &[u8] = &[0, 51, 0, 6, 0, 4, 0, 29, 0, 0];
    assert_eq!(
        ClientHello::parse(&hello_with_extensions(empty_share)),
        Err(Error::IllegalParameter("empty key share"))
    );
}

#[test]
fn server_hello_and_retry_request_round_trip() {
    let hello = ServerHello {
        legacy_version: version::TLS12,
        random: [1; 32],
        session_id: vec![2; 32],
        cipher_suite: 0x1302,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            key_share: Some(KeyShareEntry {
                group: 23,
                key_exchange: vec![4; 65],
            }),
            pre_shared_key: Some(0),
            ..ServerExtensions::default()
        },
    };
    let encoded = hello.encode();
    let parsed = ServerHello::parse(&encoded[4..]).unwrap();
    assert!(!parsed.is_retry_request());
    assert_eq!(parsed.extensions.key_share, hello.extensions.key_share);
    assert_eq!(parsed.extensions.present, vec![43, 51, 41]);

    let retry = ServerHello {
        random: HELLO_RETRY_REQUEST_RANDOM,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            selected_group: Some(24),
            cookie: Some(vec![6; 20]),
            ..ServerExtensions::default()
        },
        ..hello
    };
    let parsed = ServerHello::parse(&retry.encode()[4..]).unwrap();
    assert!(parsed.is_retry_request());
    assert_eq!(parsed.extensions.selected_group, Some(24));
    assert_eq!(parsed.extensions.cookie, Some(vec![6; 20]));
}

#[test]
fn tls12_server_hello_extensions_round_trip() {
    let extensions = ServerExtensions {
        renegotiation_info: Some(Vec::new()),
        extended_master_secret: true,
        ec_point_formats: Some(vec![0]),
        session_ticket: true,
        alpn: Some(b"h2".to_vec()),
        server_name: true,
        ..ServerExtensions::default()
    };
    let mut block = Vec::new();
    extensions.write(&mut block);
    let parsed = ServerExtensions::read(&mut Reader::new(&block), false).unwrap();
    assert_eq!(
        ServerExtensions {
            present: Vec::new(),
            ..parsed.clone()
        },
        extensions
    );
    assert!(parsed.has(ExtensionType::SessionTicket));
}

#[test]
fn certificate_messages_round_trip_in_both_versions() {
    let message = CertificateMessage {
        context: Vec::new(),
        chain: vec![vec![1; 300], vec![2; 5]],
    };
    for tls13 in [false, true] {
        let encoded = message.encode(tls13);
        assert_eq!(
            CertificateMessage::parse(&encoded[4..], tls13).unwrap(),
            message
        );
        assert!(CertificateMessage::parse(&encoded[4..encoded.len() - 1], tls13).is_err());
    }
    // An empty certificate entry.
    assert!(CertificateMessage::parse(&[0, 0, 3, 0, 0, 0], false).is_err());
}

#[test]
fn key_exchange_messages_round_trip() {
    for params in [
        ServerKeyExchangeParams::Ecdhe {
            group: 29,
            public: vec![9; 32],
        },
        ServerKeyExchangeParams::Dhe {
            prime: vec![0xFF; 256],
            generator: vec![2],
            public: vec![3; 256],
        },
    ] {
        let dhe = matches!(params, ServerKeyExchangeParams::Dhe { .. });
        let message = ServerKeyExchange {
            params,
            signed: DigitallySigned {
                scheme: 0x0804,
                signature: vec![7; 256],
            },
        };
        let encoded = message.encode();
        assert_eq!(
            ServerKeyExchange::parse(&encoded[4..], dhe).unwrap(),
            message
        );
    }
    // Explicit curves are refused.
    assert_eq!(
        ServerKeyExchange::parse(&[1, 0, 29], false),
        Err(Error::IllegalParameter("only named curves are supported"))
    );
    for kind in [
        ClientKeyExchangeKind::Rsa,
        ClientKeyExchangeKind::Ecdhe,
        ClientKeyExchangeKind::Dhe,
    ] {
        let encoded = encode_client_key_exchange(&[5; 65], kind);
        assert_eq!(
            parse_client_key_exchange(&encoded[4..], kind).unwrap(),
            vec![5; 65]
        );
        assert!(parse_client_key_exchange(&encoded[4..60], kind).is_err());
    }
}

#[test]
fn tickets_round_trip_and_lifetimes_are_bounded() {
    let ticket = NewSessionTicket13 {
        lifetime: 7200,
        age_add: 0xDEAD_BEEF,
        nonce: vec![0],
        ticket: vec![1; 100],
        max_early_data: Some(1024),
    };
    let encoded = ticket.encode();
    assert_eq!(NewSessionTicket13::parse(&encoded[4..]).unwrap(), ticket);
    let too_long = NewSessionTicket13 {
        lifetime: MAX_TICKET_LIFETIME + 1,
        ..ticket
    };
    assert!(NewSessionTicket13::parse(&too_long.encode()[4..]).is_err());

    let ticket = NewSessionTicket12 {
        lifetime_hint: 300,
        ticket: vec![2; 64],
    };
    assert_eq!(
        NewSessionTicket12::parse(&ticket.encode()[4..]).unwrap(),
        ticket
    );
}

#[test]
fn small_messages() {
    assert_eq!(parse_key_update(&[0]), Ok(false));
    assert_eq!(parse_key_update(&[1]), Ok(true));
    assert!(matches!(
        parse_key_update(&[2]),
        Err(Error::IllegalParameter(_))
    ));
    assert!(matches!(parse_key_update(&[]), Err(Error::Decode(_))));
    assert_eq!(encode_key_update(true), vec![24, 0, 0, 1, 1]);
    assert!(parse_empty(&[]).is_ok());
    assert!(parse_empty(&[0]).is_err());
    assert_eq!(message_hash(&[9; 32])[..4], [254, 0, 0, 32]);
    let verify = DigitallySigned {
        scheme: 0x0403,
        signature: vec![1, 2, 3],
    };
    assert_eq!(
        parse_certificate_verify(&encode_certificate_verify(&verify)[4..]).unwrap(),
        verify
    );
    let request = CertificateRequest::parse(&[0, 0, 6, 0, 13, 0, 2, 4, 3], true).unwrap();
    assert!(request.context.is_empty());
    assert!(matches!(
        CertificateRequest::parse(&[0, 0, 4, 0, 5, 0, 0], true),
        Err(Error::MissingExtension(_))
    ));
    assert!(CertificateRequest::parse(&[1, 1, 0, 2, 4, 1, 0, 0], false).is_ok());
}

#[test]
fn reader_checks_every_length() {
    let mut reader = Reader::new(&[0, 3, 1, 2]);
    assert_eq!(
        reader.vec_u16().map_err(Error::from),
        Err(Error::Decode("truncated message"))
    );
    let mut reader = Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(reader.vec_u24().is_err());
    let mut reader = Reader::new(&[1, 2, 3]);
    assert_eq!(reader.u24(), Ok(0x010203));
    assert!(reader.finish().is_ok());
    assert!(reader.u8().is_err());
}

#[test]
fn prefixed_writers_never_overflow_their_prefix() {
    let mut out = Vec::new();
    put_vec_u8(&mut out, &[1; 300]);
    assert_eq!(out.len(), 1 + 255);
    assert_eq!(out[0], 255);
    assert_eq!(Reader::new(&out).vec_u8().unwrap().len(), 255);
}

//! The exact alerts of RFC 8446 and RFC 5246 for ClientHellos our own client never sends:
//! malformed and duplicated key shares, x448-only clients, and TLS 1.2 clients without
//! signature_algorithms, supported_groups or the extended master secret (the strict
//! default and `ServerConfig::legacy_clients`).

mod engine_common;

use std::sync::Arc;

use engine_common::*;
use keyward_tls::codec::enums::version;
use keyward_tls::codec::extensions::{KeyShareEntry, OfferedPsks, PskIdentity, ServerExtensions};
use keyward_tls::codec::handshake::{
    encode_client_key_exchange, CertificateMessage, ClientKeyExchangeKind, ServerKeyExchange,
    ServerKeyExchangeParams,
};
use keyward_tls::codec::hello::{ClientHello, ServerHello};
use keyward_tls::sign::{self, SignatureScheme};
use keyward_tls::{
    AlertDescription, ClientConnection, Error, Incompatibility, ServerConfig, ServerConnection,
    Version,
};

/// The handshake messages `(type, body)` in the plaintext records of `wire`.
fn handshake_messages(wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut rest = wire;
    let mut handshake = Vec::new();
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if rest[0] == 22 {
            handshake.extend_from_slice(&rest[5..5 + len]);
        }
        rest = &rest[5 + len..];
    }
    let mut messages = Vec::new();
    let mut rest = &handshake[..];
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        messages.push((rest[0], rest[4..4 + len].to_vec()));
        rest = &rest[4 + len..];
    }
    messages
}

/// The last record of `wire`, which must be a fatal alert: its description.
fn fatal_alert(wire: &[u8]) -> AlertDescription {
    let alert = &wire[wire.len() - 7..];
    assert_eq!(
        &alert[..6],
        &[21, 3, 3, 0, 2, 2],
        "not a plaintext fatal alert"
    );
    AlertDescription::from_u8(alert[6])
}

/// The ClientHello our client sends with `versions`, to be edited.
fn client_hello(versions: Vec<Version>) -> ClientHello {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = versions;
    let (client, _, _stores) = setup.into_arcs();
    let mut c = ClientConnection::new(client, "localhost").unwrap();
    let messages = handshake_messages(&sent(&mut c));
    assert_eq!(messages[0].0, 1);
    ClientHello::parse(&messages[0].1).unwrap()
}

/// Sends `hello` to a fresh server: what it answered and how it ended.
fn offer(server: &Arc<ServerConfig>, hello: &ClientHello) -> (Vec<u8>, Result<(), Error>) {
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let result = deliver(&records(22, &hello.encode()), &mut s);
    (sent(&mut s), result)
}

/// Every group a key share may name: the NIST curves, x25519, x448 and the FFDHE groups.
const GROUPS: [u16; 10] = [23, 24, 25, 29, 30, 256, 257, 258, 259, 260];

/// RFC 8446 §4.2.8: a key share with an empty `key_exchange` is not a valid value for its
/// group: `illegal_parameter`, whichever group it names and wherever it sits.
#[test]
fn empty_key_share_is_an_illegal_parameter_for_every_group() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let base = client_hello(vec![Version::Tls13]);
    let good = base.extensions.key_shares.clone().unwrap()[0].clone();
    for group in GROUPS {
        let empty = KeyShareEntry {
            group,
            key_exchange: Vec::new(),
        };
        let mut layouts = vec![vec![empty.clone()]];
        if group != good.group {
            layouts.push(vec![good.clone(), empty.clone()]);
            layouts.push(vec![empty.clone(), good.clone()]);
        }
        for shares in layouts {
            let mut hello = base.clone();
            hello.extensions.supported_groups = Some(GROUPS.to_vec());
            hello.extensions.key_shares = Some(shares);
            let (wire, result) = offer(&server, &hello);
            assert!(
                matches!(result, Err(Error::IllegalParameter(_))),
                "group {group}: {result:?}"
            );
            assert_eq!(fatal_alert(&wire), AlertDescription::IllegalParameter);
        }
    }
}

/// RFC 8446 §4.2.8: two shares for one group are `illegal_parameter`, for every group.
#[test]
fn duplicated_key_shares_are_an_illegal_parameter_for_every_group() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let base = client_hello(vec![Version::Tls13]);
    let good = base.extensions.key_shares.clone().unwrap()[0].clone();
    for group in GROUPS {
        let share = if group == good.group {
            good.clone()
        } else {
            KeyShareEntry {
                group,
                key_exchange: vec![4; 65],
            }
        };
        let mut hello = base.clone();
        hello.extensions.supported_groups = Some(GROUPS.to_vec());
        hello.extensions.key_shares = Some(vec![share.clone(), share]);
        let (wire, result) = offer(&server, &hello);
        assert!(
            matches!(result, Err(Error::IllegalParameter(_))),
            "group {group}: {result:?}"
        );
        assert_eq!(fatal_alert(&wire), AlertDescription::IllegalParameter);
    }
}

/// keyward has no X448 (aws-lc lacks it). A client whose only share is x448 gets a
/// HelloRetryRequest for a group both support (RFC 8446 §4.1.4), or `handshake_failure`
/// when it supports none of ours (§4.1.1).
#[test]
fn x448_only_client_gets_a_retry_request_or_handshake_failure() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let base = client_hello(vec![Version::Tls13]);
    let x448 = KeyShareEntry {
        group: 30,
        key_exchange: vec![9; 56],
    };
    for (groups, retry_group) in [(vec![30, 29], 29), (vec![30, 23], 23), (vec![30, 257], 257)] {
        let mut hello = base.clone();
        hello.extensions.supported_groups = Some(groups.clone());
        hello.extensions.key_shares = Some(vec![x448.clone()]);
        let (wire, result) = offer(&server, &hello);
        assert_eq!(result, Ok(()), "groups {groups:?}");
        let messages = handshake_messages(&wire);
        let retry = ServerHello::parse(&messages[0].1).unwrap();
        assert!(retry.is_retry_request());
        assert_eq!(retry.extensions.selected_group, Some(retry_group));
    }
    let mut hello = base;
    hello.extensions.supported_groups = Some(vec![30]);
    hello.extensions.key_shares = Some(vec![x448]);
    let (wire, result) = offer(&server, &hello);
    assert!(
        matches!(
            result,
            Err(Error::Negotiation(_, AlertDescription::HandshakeFailure))
        ),
        "{result:?}"
    );
    assert_eq!(fatal_alert(&wire), AlertDescription::HandshakeFailure);
}

/// A TLS 1.2 ClientHello offering only `suites`.
fn tls12_hello(suites: &[&str]) -> ClientHello {
    let mut hello = client_hello(vec![Version::Tls12]);
    hello.cipher_suites = suites.iter().map(|name| suite(name).id).collect();
    hello
}

const ECDHE_RSA: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
const ECDHE_ECDSA: &str = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
const DHE_RSA: &str = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";

fn servers() -> (Arc<ServerConfig>, Arc<ServerConfig>, Vec<Stores>) {
    let (_, strict, strict_stores) = rsa_and_ecdsa().into_arcs();
    let mut setup = rsa_and_ecdsa();
    setup.server.legacy_clients = true;
    let (_, legacy, legacy_stores) = setup.into_arcs();
    (strict, legacy, vec![strict_stores, legacy_stores])
}

/// The server's ServerKeyExchange answering `hello`, with its signature checked against
/// `certificate` under `scheme`.
fn checked_key_exchange(
    wire: &[u8],
    hello: &ClientHello,
    scheme: SignatureScheme,
    dhe: bool,
) -> ServerKeyExchangeParams {
    let messages = handshake_messages(wire);
    let server_hello = ServerHello::parse(&messages[0].1).unwrap();
    let chain = CertificateMessage::parse(&messages[1].1, false)
        .unwrap()
        .chain;
    assert_eq!(messages[2].0, 12, "no ServerKeyExchange");
    let exchange = ServerKeyExchange::parse(&messages[2].1, dhe).unwrap();
    assert_eq!(exchange.signed.scheme, scheme.to_u16());
    let mut signed = hello.random.to_vec();
    signed.extend_from_slice(&server_hello.random);
    signed.extend_from_slice(&exchange.params.encode());
    sign::verify(
        &chain[0],
        scheme,
        &signed,
        &exchange.signed.signature,
        false,
    )
    .unwrap();
    exchange.params
}

/// RFC 5246 §7.4.1.4.1: a client without signature_algorithms can only check SHA-1
/// signatures. The default refuses it (`handshake_failure`, saying why); `legacy_clients`
/// signs the ServerKeyExchange with rsa_pkcs1_sha1 or ecdsa_sha1.
#[test]
fn tls12_client_without_signature_algorithms() {
    let (strict, legacy, _stores) = servers();
    let cases = [
        (ECDHE_RSA, SignatureScheme::RsaPkcs1Sha1, false),
        (ECDHE_ECDSA, SignatureScheme::EcdsaSha1, false),
        (DHE_RSA, SignatureScheme::RsaPkcs1Sha1, true),
    ];
    for (name, scheme, dhe) in cases {
        let mut hello = tls12_hello(&[name]);
        hello.extensions.signature_algorithms = None;
        let (wire, result) = offer(&strict, &hello);
        assert_eq!(
            result,
            Err(Error::PeerIncompatible(
                Incompatibility::NoSignatureAlgorithms
            )),
            "{name}"
        );
        assert_eq!(fatal_alert(&wire), AlertDescription::HandshakeFailure);

        let (wire, result) = offer(&legacy, &hello);
        assert_eq!(result, Ok(()), "{name}");
        checked_key_exchange(&wire, &hello, scheme, dhe);
    }
    // A client that lists signature schemes never gets SHA-1, even from a legacy server:
    // one listing only SHA-1 schemes has nothing in common with it.
    let mut hello = tls12_hello(&[ECDHE_RSA]);
    hello.extensions.signature_algorithms = Some(vec![0x0201, 0x0203]);
    for server in [&strict, &legacy] {
        let (wire, result) = offer(server, &hello);
        assert!(matches!(
            result,
            Err(Error::Negotiation(_, AlertDescription::HandshakeFailure))
        ));
        assert_eq!(fatal_alert(&wire), AlertDescription::HandshakeFailure);
    }
    // With an RSA key-exchange suite on offer, the strict server needs no signature.
    let mut hello = tls12_hello(&[ECDHE_RSA, "TLS_RSA_WITH_AES_128_GCM_SHA256"]);
    hello.extensions.signature_algorithms = None;
    let (wire, result) = offer(&strict, &hello);
    assert_eq!(result, Ok(()));
    let server_hello = ServerHello::parse(&handshake_messages(&wire)[0].1).unwrap();
    assert_eq!(server_hello.cipher_suite, 0x009C);
}

/// RFC 8422 §4: a client offering ECDHE without supported_groups leaves the curve to the
/// server. The default refuses it (`handshake_failure`, saying why); `legacy_clients` picks
/// P-256.
#[test]
fn tls12_ecdhe_client_without_supported_groups() {
    let (strict, legacy, _stores) = servers();
    for (name, scheme) in [
        (ECDHE_RSA, SignatureScheme::RsaPssRsaeSha256),
        (ECDHE_ECDSA, SignatureScheme::EcdsaSecp256r1Sha256),
    ] {
        let mut hello = tls12_hello(&[name]);
        hello.extensions.supported_groups = None;
        let (wire, result) = offer(&strict, &hello);
        assert_eq!(
            result,
            Err(Error::PeerIncompatible(Incompatibility::NoSupportedGroups)),
            "{name}"
        );
        assert_eq!(fatal_alert(&wire), AlertDescription::HandshakeFailure);

        let (wire, result) = offer(&legacy, &hello);
        assert_eq!(result, Ok(()), "{name}");
        let params = checked_key_exchange(&wire, &hello, scheme, false);
        assert!(matches!(
            params,
            ServerKeyExchangeParams::Ecdhe { group: 23, .. }
        ));
    }
    // Both missing: the strict refusal names the signature first; legacy signs with SHA-1
    // on P-256.
    let mut hello = tls12_hello(&[ECDHE_RSA]);
    hello.extensions.supported_groups = None;
    hello.extensions.signature_algorithms = None;
    let (_, result) = offer(&strict, &hello);
    assert_eq!(
        result,
        Err(Error::PeerIncompatible(
            Incompatibility::NoSignatureAlgorithms
        ))
    );
    let (wire, result) = offer(&legacy, &hello);
    assert_eq!(result, Ok(()));
    let params = checked_key_exchange(&wire, &hello, SignatureScheme::RsaPkcs1Sha1, false);
    assert!(matches!(
        params,
        ServerKeyExchangeParams::Ecdhe { group: 23, .. }
    ));
}

/// RFC 7627: the extended master secret stays required by default; a client without it
/// gets `handshake_failure` with a reason `serve` can name, whatever `legacy_clients` says.
#[test]
fn tls12_client_without_extended_master_secret() {
    let (strict, legacy, _stores) = servers();
    let mut hello = tls12_hello(&[ECDHE_RSA]);
    hello.extensions.extended_master_secret = false;
    for server in [&strict, &legacy] {
        let (wire, result) = offer(server, &hello);
        let error = result.unwrap_err();
        assert_eq!(
            error,
            Error::PeerIncompatible(Incompatibility::NoExtendedMasterSecret)
        );
        assert_eq!(error.alert(), Some(AlertDescription::HandshakeFailure));
        assert_eq!(fatal_alert(&wire), AlertDescription::HandshakeFailure);
    }
}

/// A client that sent its ClientHello, and that ClientHello.
fn started_client() -> (ClientConnection, ClientHello, Stores) {
    let (client, _, stores) = rsa_and_ecdsa().into_arcs();
    let mut c = ClientConnection::new(client, "localhost").unwrap();
    let messages = handshake_messages(&sent(&mut c));
    (c, ClientHello::parse(&messages[0].1).unwrap(), stores)
}

/// A TLS 1.3 ServerHello answering `hello` with `share` and `extensions` besides.
fn server_hello13(hello: &ClientHello, share: KeyShareEntry, extra: ServerExtensions) -> Vec<u8> {
    ServerHello {
        legacy_version: version::TLS12,
        random: [7; 32],
        session_id: hello.session_id.clone(),
        cipher_suite: 0x1301,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            key_share: Some(share),
            ..extra
        },
    }
    .encode()
}

/// RFC 8446 §D.5: a hello whose legacy_version is SSL 3.0 is `protocol_version`, even with
/// supported_versions naming TLS 1.3; both sides check it.
#[test]
fn ssl3_legacy_version_is_a_protocol_version_alert() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let mut hello = client_hello(vec![Version::Tls13, Version::Tls12]);
    hello.legacy_version = 0x0300;
    let (wire, result) = offer(&server, &hello);
    assert!(
        matches!(
            result,
            Err(Error::Negotiation(_, AlertDescription::ProtocolVersion))
        ),
        "{result:?}"
    );
    assert_eq!(fatal_alert(&wire), AlertDescription::ProtocolVersion);

    let (mut c, hello, _stores) = started_client();
    let mut reply = ServerHello::parse(
        &server_hello13(
            &hello,
            hello.extensions.key_shares.clone().unwrap()[0].clone(),
            ServerExtensions::default(),
        )[4..],
    )
    .unwrap();
    reply.legacy_version = 0x0300;
    let result = deliver(&records(22, &reply.encode()), &mut c);
    assert!(
        matches!(
            result,
            Err(Error::Negotiation(_, AlertDescription::ProtocolVersion))
        ),
        "{result:?}"
    );
}

/// RFC 8446 §4.2.11: `binders<33..2^16-1>`; an empty list does not parse (`decode_error`).
#[test]
fn empty_psk_binder_list_is_a_decode_error() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let mut hello = client_hello(vec![Version::Tls13]);
    hello.extensions.psk_modes = Some(vec![1]);
    hello.extensions.pre_shared_key = Some(OfferedPsks {
        identities: vec![PskIdentity {
            identity: vec![1; 16],
            obfuscated_ticket_age: 0,
        }],
        binders: Vec::new(),
    });
    let (wire, result) = offer(&server, &hello);
    assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
    assert_eq!(fatal_alert(&wire), AlertDescription::DecodeError);
}

/// RFC 7748 §6.1, RFC 8446 §7.4.2, RFC 8422 §5.11: an X25519 value giving the all-zero
/// secret is the peer's fault, `illegal_parameter` (not `internal_error`); a TLS 1.3 server
/// says so before sending its ServerHello.
#[test]
fn x25519_low_order_values_are_an_illegal_parameter() {
    let zero = KeyShareEntry {
        group: 29,
        key_exchange: vec![0; 32],
    };
    // TLS 1.3 server: the alert is its first and only answer.
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let mut hello = client_hello(vec![Version::Tls13]);
    hello.extensions.key_shares = Some(vec![zero.clone()]);
    let (wire, result) = offer(&server, &hello);
    assert!(
        matches!(result, Err(Error::IllegalParameter(_))),
        "{result:?}"
    );
    assert_eq!(wire, [21, 3, 3, 0, 2, 2, 47]);

    // TLS 1.3 client.
    let (mut c, hello, _stores) = started_client();
    let reply = server_hello13(&hello, zero, ServerExtensions::default());
    let result = deliver(&records(22, &reply), &mut c);
    assert!(
        matches!(result, Err(Error::IllegalParameter(_))),
        "{result:?}"
    );

    // TLS 1.2 server: the client's ECDHE value in the ClientKeyExchange.
    let mut hello = tls12_hello(&[ECDHE_RSA]);
    hello.extensions.supported_groups = Some(vec![29]);
    let mut s = ServerConnection::new(server.clone()).unwrap();
    deliver(&records(22, &hello.encode()), &mut s).unwrap();
    sent(&mut s);
    let exchange = encode_client_key_exchange(&[0; 32], ClientKeyExchangeKind::Ecdhe);
    let result = deliver(&records(22, &exchange), &mut s);
    assert!(
        matches!(result, Err(Error::IllegalParameter(_))),
        "{result:?}"
    );
    assert_eq!(
        fatal_alert(&sent(&mut s)),
        AlertDescription::IllegalParameter
    );
}

/// RFC 8422 §5.1.2: ec_point_formats without `uncompressed` from a client naming a curve is
/// `illegal_parameter`.
#[test]
fn point_formats_without_uncompressed_are_an_illegal_parameter() {
    let (_, server, _stores) = rsa_and_ecdsa().into_arcs();
    let mut hello = tls12_hello(&[ECDHE_RSA, DHE_RSA]);
    hello.extensions.ec_point_formats = Some(vec![1, 2]);
    let (wire, result) = offer(&server, &hello);
    assert!(
        matches!(result, Err(Error::IllegalParameter(_))),
        "{result:?}"
    );
    assert_eq!(fatal_alert(&wire), AlertDescription::IllegalParameter);
    // A client naming no curve may do without it: DHE goes ahead.
    hello.extensions.supported_groups = Some(vec![256]);
    let (_, result) = offer(&server, &hello);
    assert_eq!(result, Ok(()));
}

/// RFC 8446 §4.2: an extension the client sent but that has no place in a ServerHello is
/// `illegal_parameter`; one the client never sent is `unsupported_extension`.
#[test]
fn client_tells_misplaced_from_unsolicited_server_hello_extensions() {
    let share = |hello: &ClientHello| hello.extensions.key_shares.clone().unwrap()[0].clone();
    let (mut c, hello, _stores) = started_client();
    let misplaced = ServerExtensions {
        supported_groups: Some(vec![29]),
        ..ServerExtensions::default()
    };
    let result = deliver(
        &records(22, &server_hello13(&hello, share(&hello), misplaced)),
        &mut c,
    );
    assert!(
        matches!(result, Err(Error::IllegalParameter(_))),
        "{result:?}"
    );

    let (mut c, hello, _stores) = started_client();
    let unsolicited = ServerExtensions {
        cookie: Some(b"never asked".to_vec()),
        ..ServerExtensions::default()
    };
    let result = deliver(
        &records(22, &server_hello13(&hello, share(&hello), unsolicited)),
        &mut c,
    );
    assert!(
        matches!(
            result,
            Err(Error::Negotiation(
                _,
                AlertDescription::UnsupportedExtension
            ))
        ),
        "{result:?}"
    );
}

//! Encrypt-then-MAC (RFC 7366) in the engine: negotiated for CBC suites and only for them,
//! switched off from either side, kept in tickets and the session cache, and never dropped
//! on resumption (RFC 7366 §3.1), by the server (a full handshake instead) or the client
//! (`handshake_failure`). Hand-edited hellos play the peers our own never are.

mod engine_common;

use engine_common::*;
use keyward_tls::codec::enums::version;
use keyward_tls::codec::extensions::{KeyShareEntry, ServerExtensions};
use keyward_tls::codec::hello::{ClientHello, ServerHello};
use keyward_tls::{AlertDescription, ClientConnection, Error, ServerConnection, Version};

/// The handshake messages (header included) in the plaintext handshake records of `wire`,
/// up to the first record of another type.
fn handshake_messages(wire: &[u8]) -> Vec<Vec<u8>> {
    let mut rest = wire;
    let mut bytes = Vec::new();
    while rest.len() >= 5 && rest[0] == 22 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        bytes.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
    }
    let mut messages = Vec::new();
    let mut rest = &bytes[..];
    while rest.len() >= 4 {
        let len =
            usize::from(u16::from_be_bytes([rest[2], rest[3]])) + (usize::from(rest[1]) << 16);
        messages.push(rest[..4 + len].to_vec());
        rest = &rest[4 + len..];
    }
    messages
}

fn client_hello(wire: &[u8]) -> ClientHello {
    let messages = handshake_messages(wire);
    assert_eq!(messages[0][0], 1);
    ClientHello::parse(&messages[0][4..]).unwrap()
}

fn server_hello(wire: &[u8]) -> ServerHello {
    let messages = handshake_messages(wire);
    assert_eq!(messages[0][0], 2);
    ServerHello::parse(&messages[0][4..]).unwrap()
}

/// A TLS 1.2-only pair offering exactly `suites` (by name).
fn tls12_pair(suites: &[&str]) -> Setup {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls12];
    setup.client.cipher_suites = suites.iter().map(|name| suite(name)).collect();
    setup
}

const CBC_SUITES: [&str; 5] = [
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
];

#[test]
fn negotiated_for_cbc_suites_and_not_for_aead_suites() {
    for name in CBC_SUITES
        .iter()
        .chain(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"].iter())
    {
        let cbc = !name.contains("GCM");
        let (client, server, _stores) = tls12_pair(&[name]).into_arcs();
        let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
        let wire = sent(&mut c);
        assert_eq!(
            client_hello(&wire).extensions.encrypt_then_mac,
            cbc,
            "{name}: offered"
        );
        let mut s = ServerConnection::new(server.clone()).unwrap();
        deliver(&wire, &mut s).unwrap();
        let answer = server_hello(&sent(&mut s));
        assert_eq!(answer.extensions.encrypt_then_mac, cbc, "{name}: answered");

        let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
        assert_eq!(c.info().unwrap().encrypt_then_mac, cbc, "{name}");
        assert_eq!(s.info().unwrap().encrypt_then_mac, cbc, "{name}");
        exchange(&mut c, &mut s, &[0x5A; 40000]);
    }
}

/// A client offering it with a GCM and a CBC suite gets no answer when the server picks
/// GCM (RFC 7366 §3), and TLS 1.3 never uses it.
#[test]
fn not_answered_for_aead_or_tls13() {
    let mut setup = rsa_and_ecdsa();
    setup.client.cipher_suites = vec![
        suite("TLS_AES_128_GCM_SHA256"),
        suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    ];
    let (client, server, _stores) = setup.into_arcs();
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    assert!(client_hello(&sent(&mut c)).extensions.encrypt_then_mac);
    let (c, _s) = connect(&client, &server, "localhost").unwrap();
    assert_eq!(c.info().unwrap().version, Version::Tls13);
    assert!(!c.info().unwrap().encrypt_then_mac);

    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls12];
    setup.server.cipher_suites = vec![
        suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    ];
    let (client, server, _stores) = setup.into_arcs();
    let (c, _s) = connect(&client, &server, "localhost").unwrap();
    assert!(!c.info().unwrap().encrypt_then_mac);
}

/// `encrypt_then_mac = false` on either side: MAC-then-encrypt, and the data still flows.
#[test]
fn either_side_can_turn_it_off() {
    for (client_on, server_on) in [(false, true), (true, false), (false, false)] {
        let mut setup = tls12_pair(&[CBC_SUITES[0]]);
        setup.client.encrypt_then_mac = client_on;
        setup.server.encrypt_then_mac = server_on;
        let (client, server, _stores) = setup.into_arcs();
        let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
        assert_eq!(
            client_hello(&sent(&mut c)).extensions.encrypt_then_mac,
            client_on
        );
        let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
        assert!(!c.info().unwrap().encrypt_then_mac);
        assert!(!s.info().unwrap().encrypt_then_mac);
        exchange(&mut c, &mut s, b"mac-then-encrypt");
    }
}

/// The client refuses an answer it cannot accept: for an AEAD suite `illegal_parameter`
/// (RFC 7366 §3), unasked `unsupported_extension`, in a TLS 1.3 ServerHello
/// `illegal_parameter` (RFC 8446 §4.2).
#[test]
fn client_refuses_answers_it_cannot_accept() {
    let (client, _server, _stores) = rsa_and_ecdsa().into_arcs();
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let hello = client_hello(&sent(&mut c));
    let tls12 = |suite: u16| ServerHello {
        legacy_version: version::TLS12,
        random: [7; 32],
        session_id: Vec::new(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: ServerExtensions {
            encrypt_then_mac: true,
            extended_master_secret: true,
            renegotiation_info: Some(Vec::new()),
            ..ServerExtensions::default()
        },
    };
    let error = deliver(&records(22, &tls12(0xC02F).encode()), &mut c).unwrap_err();
    assert!(matches!(error, Error::IllegalParameter(_)), "{error:?}");

    let tls13 = ServerHello {
        legacy_version: version::TLS12,
        random: [7; 32],
        session_id: hello.session_id.clone(),
        cipher_suite: 0x1301,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            key_share: Some(KeyShareEntry {
                group: 29,
                key_exchange: vec![9; 32],
            }),
            encrypt_then_mac: true,
            ..ServerExtensions::default()
        },
    };
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    sent(&mut c);
    let error = deliver(&records(22, &tls13.encode()), &mut c).unwrap_err();
    assert!(matches!(error, Error::IllegalParameter(_)), "{error:?}");

    let mut setup = tls12_pair(&[CBC_SUITES[0]]);
    setup.client.encrypt_then_mac = false;
    let (off, _server, _stores) = setup.into_arcs();
    let mut c = ClientConnection::new(off, "localhost").unwrap();
    sent(&mut c);
    let error = deliver(&records(22, &tls12(0xC013).encode()), &mut c).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Negotiation(_, AlertDescription::UnsupportedExtension)
        ),
        "{error:?}"
    );
}

/// Resumption by ticket and by session ID keeps encrypt-then-MAC (tickets and the cache
/// carry it) and MAC-then-encrypt alike.
#[test]
fn resumption_keeps_the_mode() {
    for tickets in [true, false] {
        for on in [true, false] {
            let mut setup = tls12_pair(&[CBC_SUITES[0]]);
            setup.client.encrypt_then_mac = on;
            setup.server.session_tickets = tickets;
            let (client, server, _stores) = setup.into_arcs();
            let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
            exchange(&mut c, &mut s, b"full");
            let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
            let info = c.info().unwrap().clone();
            assert!(info.resumed, "tickets {tickets}, EtM {on}");
            assert_eq!(info.encrypt_then_mac, on, "tickets {tickets}");
            assert_eq!(s.info().unwrap().encrypt_then_mac, on);
            exchange(&mut c, &mut s, b"resumed");
        }
    }
}

/// RFC 7366 §3.1 at the server: a ClientHello that resumes an encrypt-then-MAC session
/// without offering it (or a MAC-then-encrypt session while offering it) gets a full
/// handshake, never an abbreviated one in the other mode.
#[test]
fn server_does_a_full_handshake_rather_than_change_the_mode() {
    for tickets in [true, false] {
        for session_etm in [true, false] {
            let mut setup = tls12_pair(&[CBC_SUITES[0]]);
            setup.client.encrypt_then_mac = session_etm;
            setup.server.session_tickets = tickets;
            let (client, server, _stores) = setup.into_arcs();
            connect(&client, &server, "localhost").unwrap();
            let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
            let mut hello = client_hello(&sent(&mut c));
            assert!(!hello.session_id.is_empty());
            let what = format!("tickets {tickets}, session EtM {session_etm}");
            // Unchanged, it resumes...
            let mut s = ServerConnection::new(server.clone()).unwrap();
            deliver(&records(22, &hello.encode()), &mut s).unwrap();
            let answer = server_hello(&sent(&mut s));
            assert_eq!(answer.session_id, hello.session_id, "{what}: resumed");
            assert_eq!(answer.extensions.encrypt_then_mac, session_etm);
            // ...with the offer flipped, it does not.
            hello.extensions.encrypt_then_mac = !session_etm;
            let mut s = ServerConnection::new(server.clone()).unwrap();
            deliver(&records(22, &hello.encode()), &mut s).unwrap();
            let wire = sent(&mut s);
            let answer = server_hello(&wire);
            assert_ne!(answer.session_id, hello.session_id, "{what}: not resumed");
            assert_eq!(answer.extensions.encrypt_then_mac, !session_etm, "{what}");
            let certificate = &handshake_messages(&wire)[1];
            assert_eq!(certificate[0], 11, "{what}: a full handshake follows");
        }
    }
}

/// RFC 7366 §3.1 at the client: a server that resumes our encrypt-then-MAC session without
/// it (or adds it to a MAC-then-encrypt session) gets `handshake_failure`.
#[test]
fn client_aborts_when_the_server_resumes_in_the_other_mode() {
    for session_etm in [true, false] {
        // The client offers it both times; the server's switch decides the session's mode.
        let mut setup = tls12_pair(&[CBC_SUITES[0]]);
        setup.server.encrypt_then_mac = session_etm;
        let (client, server, _stores) = setup.into_arcs();
        connect(&client, &server, "localhost").unwrap();
        let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        let hello = sent(&mut c);
        deliver(&hello, &mut s).unwrap();
        let mut answer = server_hello(&sent(&mut s));
        assert_eq!(answer.session_id, client_hello(&hello).session_id);
        assert_eq!(answer.extensions.encrypt_then_mac, session_etm);
        answer.extensions.encrypt_then_mac = !session_etm;
        let error = deliver(&records(22, &answer.encode()), &mut c).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Negotiation(_, AlertDescription::HandshakeFailure)
            ),
            "session EtM {session_etm}: {error:?}"
        );
    }
}

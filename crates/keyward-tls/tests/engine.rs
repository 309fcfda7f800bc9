//! The engine against itself, in memory: every TLS 1.3 suite and group, every TLS 1.2 key
//! exchange, HelloRetryRequest, resumption, KeyUpdate, ALPN, SNI, the extended master
//! secret policy, and exporters.

mod engine_common;

use std::sync::Arc;

use engine_common::*;
use keyward_core::backend::{Curve, FfdheGroup};
use keyward_ssl::Group;
use keyward_tls::sign::SignatureScheme;
use keyward_tls::{
    AlertDescription, ClientConnection, Error, ExtendedMasterSecret, Incompatibility,
    ServerConnection, Version,
};

const GROUPS: [Group; 5] = [
    Group::Ec(Curve::X25519),
    Group::Ec(Curve::P256),
    Group::Ec(Curve::P384),
    Group::Ffdhe(FfdheGroup::Ffdhe2048),
    Group::Ffdhe(FfdheGroup::Ffdhe3072),
];

#[test]
fn tls13_every_suite_and_group() {
    for suite_name in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ] {
        for group in GROUPS {
            let mut setup = rsa_and_ecdsa();
            setup.client.cipher_suites = vec![suite(suite_name)];
            setup.client.groups = vec![group];
            let client = Arc::new(setup.client);
            let server = Arc::new(setup.server);
            let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
            let info = c.info().unwrap().clone();
            assert_eq!(info.version, Version::Tls13);
            assert_eq!(info.suite.name, suite_name);
            assert_eq!(info.group, Some(group));
            assert!(!info.resumed);
            assert_eq!(s.info().unwrap().suite.name, suite_name);
            exchange(&mut c, &mut s, format!("{suite_name} {group:?}").as_bytes());
        }
    }
}

#[test]
fn tls13_big_data_both_ways() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    exchange(&mut c, &mut s, &data);
}

#[test]
fn tls12_every_key_exchange() {
    let cases = [
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", None),
        ("TLS_RSA_WITH_AES_128_CBC_SHA256", None),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", None),
        (
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            Some(Group::Ec(Curve::X25519)),
        ),
        (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            Some(Group::Ec(Curve::P384)),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Some(Group::Ec(Curve::P256)),
        ),
        (
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            Some(Group::Ec(Curve::X25519)),
        ),
        (
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            Some(Group::Ffdhe(FfdheGroup::Ffdhe2048)),
        ),
        (
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
            Some(Group::Ffdhe(FfdheGroup::Ffdhe2048)),
        ),
    ];
    for ems in [ExtendedMasterSecret::Require, ExtendedMasterSecret::Off] {
        for (suite_name, group) in cases {
            let mut setup = rsa_and_ecdsa();
            setup.client.versions = vec![Version::Tls12];
            setup.client.cipher_suites = vec![suite(suite_name)];
            setup.client.extended_master_secret = ems;
            setup.server.extended_master_secret = ems;
            if let Some(group) = group {
                setup.client.groups = vec![group];
            }
            let client = Arc::new(setup.client);
            let server = Arc::new(setup.server);
            let (mut c, mut s) = connect(&client, &server, "localhost")
                .unwrap_or_else(|e| panic!("{suite_name}: {e:?}"));
            let info = c.info().unwrap().clone();
            assert_eq!(info.version, Version::Tls12);
            assert_eq!(info.suite.name, suite_name);
            assert_eq!(info.group, group, "{suite_name}");
            assert_eq!(
                info.extended_master_secret,
                ems == ExtendedMasterSecret::Require
            );
            assert_eq!(s.info().unwrap(), &info);
            exchange(&mut c, &mut s, suite_name.as_bytes());
        }
    }
}

#[test]
fn hello_retry_request_when_the_share_misses_the_server_group() {
    let mut setup = rsa_and_ecdsa();
    setup.client.groups = vec![Group::Ec(Curve::X25519), Group::Ec(Curve::P384)];
    setup.server.groups = vec![Group::Ec(Curve::P384)];
    let client = Arc::new(setup.client);
    let server = Arc::new(setup.server);
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    assert_eq!(c.info().unwrap().group, Some(Group::Ec(Curve::P384)));
    assert_eq!(s.info().unwrap().group, Some(Group::Ec(Curve::P384)));
    exchange(&mut c, &mut s, b"after HelloRetryRequest");

    // Resumption through a HelloRetryRequest: the binder is recomputed over the new
    // transcript.
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    assert!(c.info().unwrap().resumed);
    assert_eq!(c.info().unwrap().group, Some(Group::Ec(Curve::P384)));
    exchange(&mut c, &mut s, b"resumed after HelloRetryRequest");
}

#[test]
fn hello_retry_request_to_ffdhe() {
    let mut setup = rsa_and_ecdsa();
    setup.server.groups = vec![Group::Ffdhe(FfdheGroup::Ffdhe3072)];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (c, _s) = connect(&client, &server, "localhost").unwrap();
    assert_eq!(
        c.info().unwrap().group,
        Some(Group::Ffdhe(FfdheGroup::Ffdhe3072))
    );
}

#[test]
fn no_group_in_common_fails() {
    let mut setup = rsa_and_ecdsa();
    setup.client.groups = vec![Group::Ec(Curve::X25519)];
    setup.server.groups = vec![Group::Ec(Curve::P256)];
    setup.client.versions = vec![Version::Tls13];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let failure = connect(&client, &server, "localhost").err().unwrap();
    assert!(matches!(
        failure,
        Failure::Server(Error::Negotiation(_, AlertDescription::HandshakeFailure))
    ));
}

#[test]
fn tls13_resumption_with_tickets() {
    let mut setup = rsa_and_ecdsa();
    setup.client.alpn_protocols = vec![b"h2".to_vec()];
    setup.server.alpn_protocols = vec![b"h2".to_vec()];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    assert!(!c.info().unwrap().resumed);
    exchange(&mut c, &mut s, b"first");
    let chain = c.peer_certificates().unwrap().to_vec();
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    let info = c.info().unwrap().clone();
    assert!(info.resumed);
    assert!(s.info().unwrap().resumed);
    assert_eq!(info.signature_scheme, None);
    assert_eq!(info.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(c.peer_certificates().unwrap(), chain.as_slice());
    exchange(&mut c, &mut s, b"resumed");
    // A ticket is used once; the resumed connection got a new one.
    let (c, _s) = connect(&client, &server, "localhost").unwrap();
    assert!(c.info().unwrap().resumed);
}

#[test]
fn tickets_of_another_server_are_not_resumed() {
    let setup = rsa_and_ecdsa();
    let other = rsa_and_ecdsa();
    let client = Arc::new(setup.client);
    let (server, other_server) = (Arc::new(setup.server), Arc::new(other.server));
    connect(&client, &server, "localhost").unwrap();
    let (c, _s) = connect(&client, &other_server, "localhost").unwrap();
    assert!(!c.info().unwrap().resumed);
}

#[test]
fn tickets_are_per_server_name() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    connect(&client, &server, "localhost").unwrap();
    let mut c = ClientConnection::new(client.clone(), "127.0.0.1").unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    // No ticket for this name, and the certificate does not name the address.
    let failure = pump(&mut c, &mut s).err().unwrap();
    assert!(matches!(failure, Failure::Client(Error::Certificate(..))));
}

#[test]
fn tls12_resumption_by_ticket_and_by_session_id() {
    for tickets in [true, false] {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![Version::Tls12];
        setup.server.session_tickets = tickets;
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
        exchange(&mut c, &mut s, b"full");
        let full = c.info().unwrap().clone();
        let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
        let info = c.info().unwrap().clone();
        assert!(info.resumed, "tickets: {tickets}");
        assert!(s.info().unwrap().resumed);
        assert_eq!(info.suite, full.suite);
        assert!(info.extended_master_secret);
        assert!(c.peer_certificates().is_some());
        exchange(&mut c, &mut s, b"resumed");
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        c.export_keying_material(&mut a, b"EXPORTER-test", None)
            .unwrap();
        s.export_keying_material(&mut b, b"EXPORTER-test", None)
            .unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn tls12_no_resumption_when_both_are_off() {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls12];
    setup.server.session_tickets = false;
    setup.server.session_cache = false;
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    connect(&client, &server, "localhost").unwrap();
    let (c, _s) = connect(&client, &server, "localhost").unwrap();
    assert!(!c.info().unwrap().resumed);
}

#[test]
fn key_update_both_ways() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
    for round in 0..3 {
        c.refresh_traffic_keys().unwrap();
        exchange(&mut c, &mut s, format!("client update {round}").as_bytes());
        s.refresh_traffic_keys().unwrap();
        exchange(&mut c, &mut s, format!("server update {round}").as_bytes());
    }
    let (mut a, mut b) = ([0u8; 48], [0u8; 48]);
    c.export_keying_material(&mut a, b"EXPORTER-after-update", Some(b"ctx"))
        .unwrap();
    s.export_keying_material(&mut b, b"EXPORTER-after-update", Some(b"ctx"))
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn key_update_needs_tls13() {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls12];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
    assert!(c.refresh_traffic_keys().is_err());
}

#[test]
fn exporters_agree_and_depend_on_label_and_context() {
    for version in [Version::Tls13, Version::Tls12] {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
        let mut out = [0u8; 16];
        assert!(c
            .export_keying_material(&mut out, b"EXPORTER-x", None)
            .is_err());
        let mut s = ServerConnection::new(server.clone()).unwrap();
        pump(&mut c, &mut s).unwrap();
        let export =
            |conn: &keyward_tls::ConnectionCommon, label: &[u8], context: Option<&[u8]>| {
                let mut out = [0u8; 32];
                conn.export_keying_material(&mut out, label, context)
                    .unwrap();
                out
            };
        let a = export(&c, b"EXPORTER-a", None);
        assert_eq!(a, export(&s, b"EXPORTER-a", None));
        assert_ne!(a, export(&c, b"EXPORTER-b", None));
        // RFC 8446 §7.5: no context is the empty context; RFC 5705 tells them apart.
        assert_eq!(
            a == export(&c, b"EXPORTER-a", Some(b"")),
            version == Version::Tls13
        );
        assert_eq!(
            export(&c, b"EXPORTER-a", Some(b"c")),
            export(&s, b"EXPORTER-a", Some(b"c"))
        );
    }
}

#[test]
fn alpn_is_negotiated_or_refused() {
    for version in [Version::Tls13, Version::Tls12] {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        setup.client.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
        setup.server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let (c, s) = connect(&client, &server, "localhost").unwrap();
        assert_eq!(c.info().unwrap().alpn.as_deref(), Some(&b"h2"[..]));
        assert_eq!(s.info().unwrap().alpn.as_deref(), Some(&b"h2"[..]));

        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        setup.client.alpn_protocols = vec![b"spdy/1".to_vec()];
        setup.server.alpn_protocols = vec![b"h2".to_vec()];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        match connect(&client, &server, "localhost").err().unwrap() {
            Failure::Server(Error::Negotiation(_, AlertDescription::NoApplicationProtocol)) => {}
            other => panic!("{other:?}"),
        }

        // A server without ALPN ignores the offer.
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        setup.client.alpn_protocols = vec![b"h2".to_vec()];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let (c, _s) = connect(&client, &server, "localhost").unwrap();
        assert_eq!(c.info().unwrap().alpn, None);
    }
}

#[test]
fn sni_chooses_between_rsa_and_ecdsa_certificates() {
    for version in [Version::Tls13, Version::Tls12] {
        let mut setup = setup(vec![
            pki().rsa_named.certified_key(),
            pki().ecdsa_named.certified_key(),
        ]);
        setup.client.versions = vec![version];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let (c, s) = connect(&client, &server, "ecdsa.example").unwrap();
        let scheme = c.info().unwrap().signature_scheme.unwrap();
        assert!(!scheme.is_rsa(), "{version}: {scheme:?}");
        assert_eq!(
            s.info().unwrap().server_name.as_deref(),
            Some("ecdsa.example")
        );
        let (c, _s) = connect(&client, &server, "rsa.example").unwrap();
        let scheme = c.info().unwrap().signature_scheme.unwrap();
        assert!(scheme.is_rsa(), "{version}: {scheme:?}");
        if version == Version::Tls13 {
            assert_eq!(scheme, SignatureScheme::RsaPssRsaeSha256);
        }
    }
}

#[test]
fn extended_master_secret_policies() {
    use ExtendedMasterSecret::*;
    let cases = [
        (Require, Require, Ok(true)),
        (Offer, Offer, Ok(true)),
        (Offer, Off, Ok(false)),
        (Off, Offer, Ok(false)),
        (Off, Off, Ok(false)),
        (Require, Off, Err("client")),
        (Off, Require, Err("server")),
    ];
    for (client_policy, server_policy, expected) in cases {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![Version::Tls12];
        setup.client.extended_master_secret = client_policy;
        setup.server.extended_master_secret = server_policy;
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let result = connect(&client, &server, "localhost");
        match (result, expected) {
            (Ok((c, _)), Ok(ems)) => {
                assert_eq!(
                    c.info().unwrap().extended_master_secret,
                    ems,
                    "{client_policy:?}/{server_policy:?}"
                )
            }
            (
                Err(Failure::Client(Error::Negotiation(_, AlertDescription::HandshakeFailure))),
                Err("client"),
            ) => {}
            (
                Err(Failure::Server(Error::PeerIncompatible(
                    Incompatibility::NoExtendedMasterSecret,
                ))),
                Err("server"),
            ) => {}
            (other, _) => panic!(
                "{client_policy:?}/{server_policy:?}: {:?}",
                other.map(|_| ())
            ),
        }
    }
}

#[test]
fn version_and_suite_mismatches_fail_with_the_right_alert() {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls12];
    setup.server.versions = vec![Version::Tls13];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    match connect(&client, &server, "localhost").err().unwrap() {
        Failure::Server(Error::Negotiation(_, AlertDescription::ProtocolVersion)) => {}
        other => panic!("{other:?}"),
    }

    let mut setup = rsa_and_ecdsa();
    setup.client.cipher_suites = vec![suite("TLS_AES_128_GCM_SHA256")];
    setup.server.cipher_suites = vec![suite("TLS_AES_256_GCM_SHA384")];
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    match connect(&client, &server, "localhost").err().unwrap() {
        Failure::Server(Error::Negotiation(_, AlertDescription::HandshakeFailure)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn untrusted_or_misnamed_certificates_are_refused() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let failure = connect(&client, &server, "other.example").err().unwrap();
    assert!(
        matches!(failure, Failure::Client(Error::Certificate(..))),
        "{failure:?}"
    );

    let (provider, _store) = provider("untrusting");
    let verifier = keyward_tls::verify::ServerCertVerifier::from_pem(
        rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap())
            .unwrap()
            .pem()
            .as_bytes(),
    );
    if let Ok(verifier) = verifier {
        let client = Arc::new(keyward_tls::ClientConfig::new(provider, verifier));
        let mut c = ClientConnection::new(client, "localhost").unwrap();
        let mut s = ServerConnection::new(server.clone()).unwrap();
        match pump(&mut c, &mut s).err().unwrap() {
            Failure::Client(error @ Error::Certificate(..)) => {
                // The server hears the client's alert.
                assert!(matches!(
                    transfer(&mut c, &mut s),
                    Err(Error::PeerAlert(alert)) if Some(alert) == error.alert()
                ));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn plaintext_written_early_is_sent_after_the_handshake() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let mut c = ClientConnection::new(client, "localhost").unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    std::io::Write::write_all(&mut c.writer(), b"early words").unwrap();
    pump(&mut c, &mut s).unwrap();
    assert_eq!(read_all(&mut s), b"early words");
}

#[test]
fn close_notify_ends_the_plaintext_stream() {
    for version in [Version::Tls13, Version::Tls12] {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let (mut c, mut s) = connect(&client, &server, "localhost").unwrap();
        std::io::Write::write_all(&mut c.writer(), b"last words").unwrap();
        c.send_close_notify();
        pump(&mut c, &mut s).unwrap();
        assert_eq!(read_all(&mut s), b"last words");
        let mut buf = [0u8; 8];
        assert_eq!(std::io::Read::read(&mut s.reader(), &mut buf).unwrap(), 0);
        assert!(!s.wants_read());
        assert!(std::io::Write::write(&mut c.writer(), b"more").is_err());
    }
}

#[test]
fn eof_without_close_notify_is_an_error_for_the_reader() {
    let setup = rsa_and_ecdsa();
    let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
    let (mut c, _s) = connect(&client, &server, "localhost").unwrap();
    assert_eq!(c.read_tls(&mut &[][..]).unwrap(), 0);
    let mut buf = [0u8; 8];
    let error = std::io::Read::read(&mut c.reader(), &mut buf).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn small_fragments_both_ways() {
    for version in [Version::Tls13, Version::Tls12] {
        let mut setup = rsa_and_ecdsa();
        setup.client.versions = vec![version];
        setup.client.max_fragment_len = 100;
        setup.server.max_fragment_len = 64;
        let (client, server) = (Arc::new(setup.client), Arc::new(setup.server));
        let mut c = ClientConnection::new(client, "localhost").unwrap();
        let mut s = ServerConnection::new(server).unwrap();
        transfer(&mut c, &mut s).unwrap();
        // Every record of the server's flight carries at most 64 bytes of plaintext.
        let mut wire = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut wire).unwrap();
        }
        let mut rest = &wire[..];
        let mut records = 0;
        while rest.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            assert!(len <= 64 + 1 + 16 + 8 + 48, "record of {len} bytes");
            rest = &rest[5 + len..];
            records += 1;
        }
        assert!(records > 5, "{records} records");
        deliver(&wire, &mut c).unwrap();
        pump(&mut c, &mut s).unwrap();
        exchange(&mut c, &mut s, &vec![7u8; 5000]);
    }
}

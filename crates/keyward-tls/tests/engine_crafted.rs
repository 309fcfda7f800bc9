//! Hand-made peer messages for paths our own peer never takes: a HelloRetryRequest with a
//! cookie, bad retry requests, and a client offering 0-RTT that the server refuses.

mod engine_common;

use engine_common::*;
use keyward_tls::codec::enums::{version, HELLO_RETRY_REQUEST_RANDOM};
use keyward_tls::codec::extensions::ServerExtensions;
use keyward_tls::codec::hello::{ClientHello, ServerHello};
use keyward_tls::{ClientConnection, Error, ServerConnection, Version};

/// The ClientHello inside the handshake records of `wire` (skipping other records).
fn client_hello_in(wire: &[u8]) -> ClientHello {
    let mut rest = wire;
    let mut handshake = Vec::new();
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if rest[0] == 22 {
            handshake.extend_from_slice(&rest[5..5 + len]);
        }
        rest = &rest[5 + len..];
    }
    assert_eq!(handshake[0], 1);
    ClientHello::parse(&handshake[4..]).unwrap()
}

fn retry_request(hello: &ClientHello, group: Option<u16>, cookie: Option<Vec<u8>>) -> Vec<u8> {
    ServerHello {
        legacy_version: version::TLS12,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: hello.session_id.clone(),
        cipher_suite: 0x1301,
        compression_method: 0,
        extensions: ServerExtensions {
            supported_versions: Some(version::TLS13),
            selected_group: group,
            cookie,
            ..ServerExtensions::default()
        },
    }
    .encode()
}

#[test]
fn client_answers_a_retry_request_with_its_cookie() {
    let setup = rsa_and_ecdsa();
    let (client, _server, _stores) = setup.into_arcs();
    let mut c = ClientConnection::new(client, "localhost").unwrap();
    let first = client_hello_in(&sent(&mut c));
    assert_eq!(first.extensions.key_shares.as_ref().unwrap()[0].group, 29);
    let retry = retry_request(&first, Some(24), Some(b"a cookie".to_vec()));
    deliver(&records(22, &retry), &mut c).unwrap();
    let wire = sent(&mut c);
    // Middlebox compatibility: a change_cipher_spec before the second ClientHello.
    assert_eq!(&wire[..6], &[20, 3, 3, 0, 1, 1]);
    let second = client_hello_in(&wire);
    assert_eq!(second.extensions.cookie.as_deref(), Some(&b"a cookie"[..]));
    let shares = second.extensions.key_shares.unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, 24);
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(second.random, first.random);
    assert_eq!(second.cipher_suites, first.cipher_suites);

    // A second HelloRetryRequest is unexpected.
    let error = deliver(&records(22, &retry), &mut c).unwrap_err();
    assert!(matches!(error, Error::UnexpectedMessage(_)), "{error:?}");
}

#[test]
fn client_refuses_useless_or_foreign_retry_requests() {
    let setup = rsa_and_ecdsa();
    let (client, _server, _stores) = setup.into_arcs();
    let cases: [(Option<u16>, Option<Vec<u8>>); 3] = [
        (Some(29), None), // the share already sent
        (None, None),     // changes nothing
        (Some(30), None), // x448: not offered
    ];
    for (group, cookie) in cases {
        let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
        let first = client_hello_in(&sent(&mut c));
        let retry = retry_request(&first, group, cookie);
        let error = deliver(&records(22, &retry), &mut c).unwrap_err();
        assert!(
            matches!(error, Error::IllegalParameter(_)),
            "{group:?}: {error:?}"
        );
    }
}

/// Our client's first ClientHello with an `early_data` offer added.
fn hello_offering_early_data(client: &std::sync::Arc<keyward_tls::ClientConfig>) -> Vec<u8> {
    let mut c = ClientConnection::new(client.clone(), "localhost").unwrap();
    let mut hello = client_hello_in(&sent(&mut c));
    hello.extensions.early_data = true;
    hello.extensions.pre_shared_key = None;
    records(22, &hello.encode())
}

#[test]
fn server_skips_refused_early_data() {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls13];
    let (client, server, _stores) = setup.into_arcs();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    deliver(&hello_offering_early_data(&client), &mut s).unwrap();
    let flight = sent(&mut s);
    assert!(!flight.is_empty());
    // 0-RTT records under a key the server does not have are dropped…
    for _ in 0..3 {
        deliver(&records(23, &[0xAB; 1000]), &mut s).unwrap();
    }
    // …up to a limit.
    let mut failed = None;
    for _ in 0..10 {
        if let Err(error) = deliver(&records(23, &[0xAB; 16000]), &mut s) {
            failed = Some(error);
            break;
        }
    }
    assert!(
        matches!(failed, Some(Error::UnexpectedMessage(_))),
        "{failed:?}"
    );
}

#[test]
fn server_skips_early_data_after_a_retry_request() {
    let mut setup = rsa_and_ecdsa();
    setup.client.versions = vec![Version::Tls13];
    setup.server.groups = vec![keyward_ssl::Group::Ec(keyward_core::backend::Curve::P384)];
    let (client, server, _stores) = setup.into_arcs();
    let mut s = ServerConnection::new(server).unwrap();
    deliver(&hello_offering_early_data(&client), &mut s).unwrap();
    let retry = sent(&mut s);
    assert_eq!(retry[0], 22);
    deliver(&records(23, &[0xCD; 500]), &mut s).unwrap();
    // A second ClientHello that still offers early data is refused.
    let error = deliver(&hello_offering_early_data(&client), &mut s).unwrap_err();
    assert!(matches!(error, Error::IllegalParameter(_)), "{error:?}");
}

//! What TLS 1.3 clients and servers share: the transcript after a HelloRetryRequest, PSK
//! binders, CertificateVerify contents, and the traffic phase (KeyUpdate, tickets).

pub mod key_share;
pub mod traffic;

pub use keyward_ssl::signature::certificate_verify_content;
use keyward_ssl::{CipherSuite, HandshakeHash, Protocol, Provider, Tls13Secret};

use crate::alert::AlertDescription;
use crate::codec::enums::version;
use crate::codec::handshake::{message_hash, parse_finished};
use crate::common_state::check_finished;
use crate::error::Error;

/// The protocol of TLS 1.3 handshakes.
pub const PROTOCOL: Protocol = Protocol::Tls13;

/// A fresh transcript hash of `suite`.
pub fn new_transcript(
    provider: &Provider,
    suite: &'static CipherSuite,
) -> Result<HandshakeHash, Error> {
    Ok(provider.create_handshake_hash(PROTOCOL, suite)?)
}

/// The transcript after a HelloRetryRequest: ClientHello1 is replaced by the synthetic
/// `message_hash` message holding its hash (RFC 8446 §4.4.1), then the HelloRetryRequest
/// itself is added.
pub fn retry_transcript(
    provider: &Provider,
    suite: &'static CipherSuite,
    client_hello1: &[u8],
    retry_request: &[u8],
) -> Result<HandshakeHash, Error> {
    let mut transcript = new_transcript(provider, suite)?;
    transcript.update(&retry_messages(
        provider,
        suite,
        client_hello1,
        retry_request,
    )?);
    Ok(transcript)
}

/// The messages [`retry_transcript`] hashes: `message_hash(ClientHello1) ‖
/// HelloRetryRequest`.
pub fn retry_messages(
    provider: &Provider,
    suite: &'static CipherSuite,
    client_hello1: &[u8],
    retry_request: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut first = new_transcript(provider, suite)?;
    first.update(client_hello1);
    let mut messages = message_hash(&first.current_digest());
    messages.extend_from_slice(retry_request);
    Ok(messages)
}

/// The binder of a resumption PSK over `transcript` (everything before the binders:
/// earlier messages and the truncated ClientHello; RFC 8446 §4.2.11.2): the Finished
/// computation keyed by the binder key.
pub fn psk_binder(
    provider: &Provider,
    psk: &Tls13Secret,
    transcript: &HandshakeHash,
) -> Result<Vec<u8>, Error> {
    let early = provider.extract_early_key(Some(psk), PROTOCOL, psk.suite())?;
    let binder_key = provider.expand_binder_key(&early, true)?;
    Ok(binder_key.compute_finished_hash(transcript)?)
}

/// Checks the peer's Finished body against `secret` (its handshake traffic secret) and the
/// transcript as it stands: the wrong length is `decode_error`, the wrong value
/// `decrypt_error`.
pub fn check_peer_finished(
    secret: &Tls13Secret,
    transcript: &HandshakeHash,
    verify_data: &[u8],
) -> Result<(), Error> {
    check_expected_finished(&secret.compute_finished_hash(transcript)?, verify_data)
}

/// Checks the peer's Finished body against the value expected of it, computed earlier: the
/// wrong length is `decode_error`, the wrong value `decrypt_error`.
pub fn check_expected_finished(expected: &[u8], verify_data: &[u8]) -> Result<(), Error> {
    check_finished(expected, parse_finished(verify_data, expected.len())?)
}

/// RFC 8446 §D.5: a ClientHello or ServerHello whose `legacy_version` is SSL 3.0 (or
/// older) is `protocol_version`, whatever `supported_versions` says.
pub fn check_legacy_version(legacy_version: u16) -> Result<(), Error> {
    if legacy_version < version::TLS10 {
        return Err(Error::Negotiation(
            "legacy_version of SSL 3.0 or older",
            AlertDescription::ProtocolVersion,
        ));
    }
    Ok(())
}

/// True when two TLS 1.3 suites share a hash (a PSK of one may be used with the other).
pub fn same_hash(a: &CipherSuite, b: &CipherSuite) -> bool {
    a.sha384_prf == b.sha384_prf
}

/// The client and server secrets of `expand_traffic_keys`.
pub fn traffic_pair(
    pair: (Option<Tls13Secret>, Option<Tls13Secret>),
) -> Result<(Tls13Secret, Tls13Secret), Error> {
    match pair {
        (Some(client), Some(server)) => Ok((client, server)),
        _ => Err(Error::General("the provider returned no traffic secret")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_ssl::Group;

    /// RFC 8446 §4.4.4: `verify_data` is `Hash.length` bytes. A Finished of another length
    /// (empty, or padded on either side) does not parse: `decode_error` (§6.2), not
    /// `decrypt_error`. Client and server check the peer's Finished here.
    #[test]
    fn finished_of_the_wrong_length_is_a_decode_error() {
        let provider = Provider::open(None).unwrap();
        let x25519 = Group::Ec(keyward_core::backend::Curve::X25519);
        for suite in [0x1301, 0x1302] {
            let suite = CipherSuite::from_id(suite).unwrap();
            let own = provider
                .create_ephemeral_key(PROTOCOL, suite, x25519)
                .unwrap();
            let peer = provider
                .create_ephemeral_key(PROTOCOL, suite, x25519)
                .unwrap();
            let early = provider.extract_early_key(None, PROTOCOL, suite).unwrap();
            let handshake = provider
                .extract_handshake_key(&own, &peer.public_key(), &early)
                .unwrap();
            let mut transcript = provider.create_handshake_hash(PROTOCOL, suite).unwrap();
            transcript.update(b"client hello, server hello");
            let (client, server) = traffic_pair(
                provider
                    .expand_traffic_keys(&handshake, &transcript)
                    .unwrap(),
            )
            .unwrap();
            transcript.update(b"encrypted extensions ... certificate verify");
            for secret in [&client, &server] {
                let good = secret.compute_finished_hash(&transcript).unwrap();
                assert_eq!(check_peer_finished(secret, &transcript, &good), Ok(()));
                let mut flipped = good.clone();
                flipped[3] ^= 0x80;
                assert!(matches!(
                    check_peer_finished(secret, &transcript, &flipped),
                    Err(Error::DecryptError(_))
                ));
                let padded_after = [&good[..], &[0]].concat();
                let padded_before = [&[0], &good[..]].concat();
                let short = &good[..good.len() - 1];
                for wrong in [&[][..], short, &padded_after, &padded_before] {
                    assert!(
                        matches!(
                            check_peer_finished(secret, &transcript, wrong),
                            Err(Error::Decode(_))
                        ),
                        "Finished of {} bytes",
                        wrong.len()
                    );
                }
            }
        }
    }
}

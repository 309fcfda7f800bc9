//! What TLS 1.2 clients and servers share: the hello randoms, the parameters of the master
//! secret (RFC 5246 §8.1, RFC 7627), Finished, and the traffic phase.

pub mod traffic;

use keyward_ssl::{HandshakeHash, MasterKey, Parameters, Protocol, Side};

use crate::alert::AlertDescription;
use crate::codec::handshake::{encode_finished, parse_finished};
use crate::common_state::check_finished;
use crate::error::Error;

/// The protocol of TLS 1.2 handshakes.
pub const PROTOCOL: Protocol = Protocol::Tls12;

/// The renegotiation_info of a first handshake, from either side, must be empty (RFC 5746
/// §3.4 for the client's check of the ServerHello, §3.6 for the server's of the ClientHello).
pub fn check_first_renegotiation_info(info: Option<&[u8]>) -> Result<(), Error> {
    if info.is_some_and(|info| !info.is_empty()) {
        return Err(Error::Negotiation(
            "renegotiation_info of a first handshake is not empty",
            AlertDescription::HandshakeFailure,
        ));
    }
    Ok(())
}

/// The two hello randoms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Randoms {
    /// `ClientHello.random`.
    pub client: [u8; 32],
    /// `ServerHello.random`.
    pub server: [u8; 32],
}

impl Randoms {
    /// `client_random ‖ server_random` (exporters, ServerKeyExchange signatures).
    pub fn joined(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.client);
        out[32..].copy_from_slice(&self.server);
        out
    }

    /// The parameter list of a classic master secret.
    pub fn params(&self) -> Parameters<'_> {
        Parameters::with_randoms(&self.client, &self.server)
    }

    /// The parameter list of the session keys: the randoms, and encrypt-then-MAC when it
    /// was negotiated (RFC 7366; keyward's parameter of `SslGenerateSessionKeys`).
    pub fn session_key_params(&self, encrypt_then_mac: bool) -> Parameters<'_> {
        let params = self.params();
        if encrypt_then_mac {
            params.encrypt_then_mac()
        } else {
            params
        }
    }
}

/// The master secret's parameters: the session hash of the transcript through the
/// ClientKeyExchange with the extended master secret, the randoms without.
pub fn master_params<'a>(randoms: &'a Randoms, session_hash: Option<&'a [u8]>) -> Parameters<'a> {
    match session_hash {
        Some(hash) => Parameters::with_session_hash(hash),
        None => randoms.params(),
    }
}

/// Our Finished message (`SslComputeFinishedHash`), for the transcript as it stands.
pub fn finished(
    master: &MasterKey,
    transcript: &HandshakeHash,
    sender: Side,
) -> Result<Vec<u8>, Error> {
    Ok(encode_finished(
        &master.compute_finished_hash(transcript, sender)?,
    ))
}

/// Checks the peer's Finished body against the transcript as it stands: the wrong length is
/// `decode_error`, the wrong value `decrypt_error`.
pub fn check_peer_finished(
    master: &MasterKey,
    transcript: &HandshakeHash,
    sender: Side,
    verify_data: &[u8],
) -> Result<(), Error> {
    check_expected_finished(
        &master.compute_finished_hash(transcript, sender)?,
        verify_data,
    )
}

/// Checks the peer's Finished body against the value expected of it, computed earlier: the
/// wrong length is `decode_error`, the wrong value `decrypt_error`.
pub fn check_expected_finished(expected: &[u8], verify_data: &[u8]) -> Result<(), Error> {
    check_finished(expected, parse_finished(verify_data, expected.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_ssl::{CipherSuite, Group, Provider};

    /// A TLS 1.2 master key from a throw-away ECDHE agreement (suite 0xC02F).
    fn master(provider: &Provider) -> MasterKey {
        let suite = CipherSuite::from_id(0xC02F).unwrap();
        let p256 = Group::Ec(keyward_core::backend::Curve::P256);
        let own = provider
            .create_ephemeral_key(PROTOCOL, suite, p256)
            .unwrap();
        let peer = provider
            .create_ephemeral_key(PROTOCOL, suite, p256)
            .unwrap();
        let randoms = Randoms {
            client: [1; 32],
            server: [2; 32],
        };
        provider
            .generate_master_key(
                &own,
                &peer.public_key(),
                PROTOCOL,
                suite,
                &randoms.params(),
                Side::Server,
            )
            .unwrap()
    }

    /// RFC 5246 §7.4.9: `verify_data` is 12 bytes. A Finished of another length does not
    /// parse (`decode_error`); only a 12-byte one that differs is `decrypt_error`. Both sides
    /// check the peer's Finished here.
    #[test]
    fn finished_of_the_wrong_length_is_a_decode_error() {
        let provider = Provider::open(None).unwrap();
        let master = master(&provider);
        let mut transcript = provider
            .create_handshake_hash(PROTOCOL, CipherSuite::from_id(0xC02F).unwrap())
            .unwrap();
        transcript.update(b"client hello, server hello, ...");
        for sender in [Side::Client, Side::Server] {
            let good = master.compute_finished_hash(&transcript, sender).unwrap();
            assert_eq!(good.len(), 12);
            assert_eq!(
                check_peer_finished(&master, &transcript, sender, &good),
                Ok(())
            );
            let mut flipped = good;
            flipped[0] ^= 1;
            assert!(matches!(
                check_peer_finished(&master, &transcript, sender, &flipped),
                Err(Error::DecryptError(_))
            ));
            let padded_after = [&good[..], &[0]].concat();
            let padded_before = [&[0], &good[..]].concat();
            for wrong in [&[][..], &good[..11], &padded_after, &padded_before] {
                assert!(
                    matches!(
                        check_peer_finished(&master, &transcript, sender, wrong),
                        Err(Error::Decode(_))
                    ),
                    "Finished of {} bytes",
                    wrong.len()
                );
            }
        }
    }
}

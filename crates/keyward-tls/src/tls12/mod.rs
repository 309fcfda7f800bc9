//! What TLS 1.2 clients and servers share: the hello randoms, the parameters of the master
//! secret (RFC 5246 §8.1, RFC 7627), Finished, and the traffic phase.

pub mod traffic;

use keyward_ssl::{HandshakeHash, MasterKey, Parameters, Side};

use crate::codec::handshake::encode_finished;
use crate::conn::check_finished;
use crate::error::Error;

/// `dwProtocol` of TLS 1.2.
pub const PROTOCOL: u32 = 0x0303;

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

    /// The parameter list of the session keys (and of a classic master secret).
    pub fn params(&self) -> Parameters<'_> {
        Parameters::with_randoms(&self.client, &self.server)
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

/// Checks the peer's Finished body against the transcript as it stands.
pub fn check_peer_finished(
    master: &MasterKey,
    transcript: &HandshakeHash,
    sender: Side,
    verify_data: &[u8],
) -> Result<(), Error> {
    let expected = master.compute_finished_hash(transcript, sender)?;
    check_finished(&expected, verify_data)
}

//! The error type of the TLS engine.

use crate::alert::AlertDescription;

/// Why a connection failed. Every fatal error has the alert the engine sent to the peer
/// ([`Error::alert`]); once one is returned, the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The peer sent bytes that do not parse (`decode_error`).
    #[error("malformed message: {0}")]
    Decode(&'static str),
    /// The peer sent a message that is not allowed now (`unexpected_message`).
    #[error("unexpected message: {0}")]
    UnexpectedMessage(&'static str),
    /// A message parsed but has an illegal value (`illegal_parameter`).
    #[error("illegal parameter: {0}")]
    IllegalParameter(&'static str),
    /// No version, suite, group or signature scheme in common (`handshake_failure`,
    /// `protocol_version` or `insufficient_security`, as RFC 5246/8446 say).
    #[error("no common parameters: {0}")]
    Negotiation(&'static str, AlertDescription),
    /// A record failed its integrity check (`bad_record_mac`).
    #[error("bad record MAC")]
    BadRecordMac,
    /// A record or message is longer than the limits (`record_overflow`).
    #[error("record overflow")]
    RecordOverflow,
    /// The peer's Finished or a signature did not verify (`decrypt_error`).
    #[error("verification failed: {0}")]
    DecryptError(&'static str),
    /// The peer's certificate chain or name was refused (`bad_certificate` and friends).
    #[error("certificate refused: {0}")]
    Certificate(String, AlertDescription),
    /// An extension is missing that this configuration requires (`missing_extension`,
    /// `handshake_failure` for TLS 1.2).
    #[error("missing extension: {0}")]
    MissingExtension(&'static str),
    /// A client the server's policy refuses although the RFCs would let it in
    /// (`handshake_failure`); the [`Incompatibility`] names the configuration option that
    /// relaxes it.
    #[error("client refused by this server's policy: {0}")]
    PeerIncompatible(Incompatibility),
    /// The peer sent a fatal alert.
    #[error("peer sent alert {0:?}")]
    PeerAlert(AlertDescription),
    /// The provider refused an operation (`internal_error`).
    #[error("provider: {0}")]
    Provider(#[from] keyward_core::Error),
    /// Something the engine does not allow locally (bad configuration, use after close).
    #[error("{0}")]
    General(&'static str),
}

impl Error {
    /// The alert sent to the peer for this error, or `None` when the peer closed first.
    pub fn alert(&self) -> Option<AlertDescription> {
        Some(match self {
            Error::Decode(_) => AlertDescription::DecodeError,
            Error::UnexpectedMessage(_) => AlertDescription::UnexpectedMessage,
            Error::IllegalParameter(_) => AlertDescription::IllegalParameter,
            Error::Negotiation(_, alert) | Error::Certificate(_, alert) => *alert,
            Error::BadRecordMac => AlertDescription::BadRecordMac,
            Error::RecordOverflow => AlertDescription::RecordOverflow,
            Error::DecryptError(_) => AlertDescription::DecryptError,
            Error::MissingExtension(_) => AlertDescription::MissingExtension,
            Error::PeerIncompatible(_) => AlertDescription::HandshakeFailure,
            Error::Provider(_) | Error::General(_) => AlertDescription::InternalError,
            Error::PeerAlert(_) => return None,
        })
    }
}

/// Why a TLS 1.2 client was refused by the server's default, strict policy. Each has a
/// [`ServerConfig`](crate::ServerConfig) option that accepts such clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Incompatibility {
    /// The client does not offer the extended master secret (RFC 7627), which
    /// [`ExtendedMasterSecret::Require`](crate::ExtendedMasterSecret::Require) demands;
    /// `ExtendedMasterSecret::Offer` accepts it.
    #[error("the client does not offer the extended master secret (RFC 7627)")]
    NoExtendedMasterSecret,
    /// The client sent no `signature_algorithms`, so only a SHA-1 ServerKeyExchange signature
    /// would do (RFC 5246 §7.4.1.4.1); `ServerConfig::legacy_clients` accepts it.
    #[error("the client sent no signature_algorithms and would need a SHA-1 signature (RFC 5246 7.4.1.4.1)")]
    NoSignatureAlgorithms,
    /// The client offers only ECDHE suites and sent no `supported_groups` (RFC 8422 §4);
    /// `ServerConfig::legacy_clients` lets the server choose the curve.
    #[error("the client offers ECDHE without supported_groups (RFC 8422 4)")]
    NoSupportedGroups,
}

//! Client and server configuration, shared by many connections through `Arc`.

use std::fmt;
use std::sync::Arc;

use keyward_core::backend::{Curve, FfdheGroup};
use keyward_ssl::suites::CIPHER_SUITES;
use keyward_ssl::{CipherSuite, Group, KeyExchange, Provider};

use crate::certs::CertResolver;
use crate::codec::enums::version;
use crate::error::Error;
use crate::resumption::{ClientSessions, ServerSessions};
use crate::verify::ServerCertVerifier;

/// A protocol version the engine speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl Version {
    /// The wire value (0x0303, 0x0304).
    pub fn to_wire(self) -> u16 {
        match self {
            Version::Tls12 => version::TLS12,
            Version::Tls13 => version::TLS13,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::Tls12 => "TLSv1.2",
            Version::Tls13 => "TLSv1.3",
        })
    }
}

/// The extended master secret policy of TLS 1.2 (RFC 7627).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExtendedMasterSecret {
    /// Offer it and refuse peers without it (`handshake_failure`). The default.
    #[default]
    Require,
    /// Offer it and use it when the peer does.
    Offer,
    /// Neither offer nor use it.
    Off,
}

/// The default groups: x25519, P-256, P-384, ffdhe2048, ffdhe3072.
fn default_groups() -> Vec<Group> {
    vec![
        Group::Ec(Curve::X25519),
        Group::Ec(Curve::P256),
        Group::Ec(Curve::P384),
        Group::Ffdhe(FfdheGroup::Ffdhe2048),
        Group::Ffdhe(FfdheGroup::Ffdhe3072),
    ]
}

/// Every suite the provider implements, in its preference order.
fn default_suites() -> Vec<&'static CipherSuite> {
    CIPHER_SUITES.iter().collect()
}

/// The default largest record fragment: 2^14.
const DEFAULT_MAX_FRAGMENT_LEN: usize = 16384;

/// The default bound on a connection's queued TLS output: 64 KiB.
pub const DEFAULT_MAX_QUEUED_OUTPUT: usize = 64 * 1024;

/// A server's configuration.
pub struct ServerConfig {
    /// The provider every cryptographic step goes through.
    pub provider: Arc<Provider>,
    /// The certificates and keys, chosen by the client's server name.
    pub certificates: CertResolver,
    /// The versions to speak; default TLS 1.3 and TLS 1.2.
    pub versions: Vec<Version>,
    /// The suites, in the server's preference order; default every suite the provider
    /// implements (RSA key exchange and CBC included).
    pub cipher_suites: Vec<&'static CipherSuite>,
    /// The key-exchange groups, in preference order; default x25519, P-256, P-384,
    /// ffdhe2048, ffdhe3072.
    pub groups: Vec<Group>,
    /// The application protocols (ALPN), in preference order; empty: no ALPN.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// The TLS 1.2 extended master secret policy.
    pub extended_master_secret: ExtendedMasterSecret,
    /// Use encrypt-then-MAC (RFC 7366) with a client that offers it whenever a CBC suite is
    /// chosen; default true. Off: the extension is ignored and CBC records are
    /// MAC-then-encrypt. Sessions made with it are resumed only with it (RFC 7366 §3.1).
    pub encrypt_then_mac: bool,
    /// Accept TLS 1.2 clients that predate `signature_algorithms` and `supported_groups`;
    /// default false. When true, a client that sent no `signature_algorithms` gets a SHA-1
    /// ServerKeyExchange signature (`rsa_pkcs1_sha1` or `ecdsa_sha1`, as RFC 5246
    /// §7.4.1.4.1 says it must then assume), and a client offering ECDHE without
    /// `supported_groups` gets a curve the server chooses (P-256 first; RFC 8422 §4). Off
    /// by default because SHA-1 signatures are forgeable by chosen-prefix collisions; when
    /// off such clients get `handshake_failure` with [`Error::PeerIncompatible`].
    pub legacy_clients: bool,
    /// Issue session tickets (TLS 1.2 RFC 5077 and TLS 1.3 NewSessionTicket); default true.
    pub session_tickets: bool,
    /// Keep a session cache for TLS 1.2 session-ID resumption; default true.
    pub session_cache: bool,
    /// The largest record fragment sent; default 16384.
    pub max_fragment_len: usize,
    /// The bound on TLS output waiting for `write_tls`; default
    /// [`DEFAULT_MAX_QUEUED_OUTPUT`]. See [`crate::ConnectionCommon::wants_read`].
    pub max_queued_output: usize,
    pub(crate) sessions: ServerSessions,
}

impl ServerConfig {
    /// A configuration with the defaults listed on each field.
    pub fn new(provider: Arc<Provider>, certificates: CertResolver) -> Self {
        ServerConfig {
            provider,
            certificates,
            versions: vec![Version::Tls13, Version::Tls12],
            cipher_suites: default_suites(),
            groups: default_groups(),
            alpn_protocols: Vec::new(),
            extended_master_secret: ExtendedMasterSecret::default(),
            encrypt_then_mac: true,
            legacy_clients: false,
            session_tickets: true,
            session_cache: true,
            max_fragment_len: DEFAULT_MAX_FRAGMENT_LEN,
            max_queued_output: DEFAULT_MAX_QUEUED_OUTPUT,
            sessions: ServerSessions::default(),
        }
    }

    /// Checks the configuration before a connection uses it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check_common(&self.versions, &self.cipher_suites, &self.alpn_protocols)?;
        if self.certificates.is_empty() {
            return Err(Error::General(
                "the server configuration has no certificate",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("certificates", &self.certificates)
            .field("versions", &self.versions)
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>(),
            )
            .field("groups", &self.groups)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("encrypt_then_mac", &self.encrypt_then_mac)
            .field("session_tickets", &self.session_tickets)
            .field("session_cache", &self.session_cache)
            .field("legacy_clients", &self.legacy_clients)
            .finish_non_exhaustive()
    }
}

/// A client's configuration.
pub struct ClientConfig {
    /// The provider every cryptographic step goes through.
    pub provider: Arc<Provider>,
    /// Checks the server's certificate chain and name.
    pub verifier: ServerCertVerifier,
    /// The versions to offer; default TLS 1.3 and TLS 1.2.
    pub versions: Vec<Version>,
    /// The suites, in the client's preference order; default every suite the provider
    /// implements.
    pub cipher_suites: Vec<&'static CipherSuite>,
    /// The groups, in preference order (the first gets a TLS 1.3 key share); default
    /// x25519, P-256, P-384, ffdhe2048, ffdhe3072.
    pub groups: Vec<Group>,
    /// The application protocols to offer (ALPN); empty: no ALPN.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// The TLS 1.2 extended master secret policy.
    pub extended_master_secret: ExtendedMasterSecret,
    /// Offer encrypt-then-MAC (RFC 7366) when a CBC suite is offered, and use it when the
    /// server accepts; default true. Off: not offered, and sessions made with it are not
    /// offered for resumption.
    pub encrypt_then_mac: bool,
    /// Keep sessions (in memory, by server name) and resume them; default true.
    pub resumption: bool,
    /// The largest record fragment sent; default 16384.
    pub max_fragment_len: usize,
    /// The bound on TLS output waiting for `write_tls`; default
    /// [`DEFAULT_MAX_QUEUED_OUTPUT`]. See [`crate::ConnectionCommon::wants_read`].
    pub max_queued_output: usize,
    pub(crate) sessions: ClientSessions,
}

impl ClientConfig {
    /// A configuration with the defaults listed on each field.
    pub fn new(provider: Arc<Provider>, verifier: ServerCertVerifier) -> Self {
        ClientConfig {
            provider,
            verifier,
            versions: vec![Version::Tls13, Version::Tls12],
            cipher_suites: default_suites(),
            groups: default_groups(),
            alpn_protocols: Vec::new(),
            extended_master_secret: ExtendedMasterSecret::default(),
            encrypt_then_mac: true,
            resumption: true,
            max_fragment_len: DEFAULT_MAX_FRAGMENT_LEN,
            max_queued_output: DEFAULT_MAX_QUEUED_OUTPUT,
            sessions: ClientSessions::default(),
        }
    }

    /// Checks the configuration before a connection uses it.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check_common(&self.versions, &self.cipher_suites, &self.alpn_protocols)?;
        if self.groups.is_empty() && self.versions.contains(&Version::Tls13) {
            return Err(Error::General("TLS 1.3 needs at least one group"));
        }
        Ok(())
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("verifier", &self.verifier)
            .field("versions", &self.versions)
            .field(
                "cipher_suites",
                &self
                    .cipher_suites
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>(),
            )
            .field("groups", &self.groups)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("encrypt_then_mac", &self.encrypt_then_mac)
            .field("resumption", &self.resumption)
            .finish_non_exhaustive()
    }
}

fn check_common(
    versions: &[Version],
    suites: &[&'static CipherSuite],
    alpn: &[Vec<u8>],
) -> Result<(), Error> {
    if versions.is_empty() {
        return Err(Error::General("no protocol version configured"));
    }
    let usable = |v: Version| {
        suites
            .iter()
            .any(|s| (s.key_exchange == KeyExchange::Tls13) == (v == Version::Tls13))
    };
    if !versions.iter().any(|v| usable(*v)) {
        return Err(Error::General(
            "no cipher suite for the configured versions",
        ));
    }
    if alpn.iter().any(|p| p.is_empty() || p.len() > 255) {
        return Err(Error::General("ALPN protocol names must be 1 to 255 bytes"));
    }
    Ok(())
}

//! What a case configures, the same for both libraries.

use crate::pki::CertKind;

/// The protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl Version {
    /// The name in case names.
    pub fn name(self) -> &'static str {
        match self {
            Version::Tls12 => "tls12",
            Version::Tls13 => "tls13",
        }
    }
}

/// The record cipher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
}

impl Cipher {
    /// The name in case names.
    pub fn name(self) -> &'static str {
        match self {
            Cipher::Aes128Gcm => "aes128gcm",
            Cipher::Aes256Gcm => "aes256gcm",
            Cipher::Chacha20Poly1305 => "chacha20",
        }
    }

    /// The one IANA suite of this cipher for `version` and a certificate of `cert`.
    pub fn suite_name(self, version: Version, cert: CertKind) -> &'static str {
        match (version, cert, self) {
            (Version::Tls13, _, Cipher::Aes128Gcm) => "TLS_AES_128_GCM_SHA256",
            (Version::Tls13, _, Cipher::Aes256Gcm) => "TLS_AES_256_GCM_SHA384",
            (Version::Tls13, _, Cipher::Chacha20Poly1305) => "TLS_CHACHA20_POLY1305_SHA256",
            (Version::Tls12, CertKind::Ecdsa, Cipher::Aes128Gcm) => {
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
            }
            (Version::Tls12, CertKind::Ecdsa, Cipher::Aes256Gcm) => {
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
            }
            (Version::Tls12, CertKind::Ecdsa, Cipher::Chacha20Poly1305) => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
            (Version::Tls12, CertKind::Rsa, Cipher::Aes128Gcm) => {
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            }
            (Version::Tls12, CertKind::Rsa, Cipher::Aes256Gcm) => {
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            }
            (Version::Tls12, CertKind::Rsa, Cipher::Chacha20Poly1305) => {
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
            }
        }
    }
}

/// How sessions are resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumption {
    /// Not at all: no tickets, no server session cache, no client session store.
    Off,
    /// TLS 1.2 session tickets (RFC 5077), stateless on the server.
    Tls12Ticket,
    /// TLS 1.2 session IDs: a server session cache, no tickets.
    Tls12SessionId,
    /// TLS 1.3 tickets, one per handshake, stateless on the server; the resumed handshake
    /// still makes a fresh X25519 exchange (`psk_dhe_ke`).
    Tls13Ticket,
}

/// Everything that configures a case's connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The only version offered and accepted.
    pub version: Version,
    /// The only cipher offered and accepted.
    pub cipher: Cipher,
    /// The server's certificate.
    pub cert: CertKind,
    /// The resumption mechanism.
    pub resumption: Resumption,
}

impl Params {
    /// The IANA name of the one suite both sides are configured with.
    pub fn suite_name(&self) -> &'static str {
        self.cipher.suite_name(self.version, self.cert)
    }
}

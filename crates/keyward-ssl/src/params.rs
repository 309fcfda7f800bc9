//! The parameters of the master-key and session-key functions (`SslGenerateMasterKey`,
//! `SslImportMasterKey`, `SslGeneratePreMasterKey`, `SslGenerateSessionKeys`), typed: the
//! hello randoms, the RFC 7627 session hash, the client's highest version and the
//! encrypt-then-MAC choice (RFC 7366). keyward-ffi reads them from an `NCryptBufferDesc`
//! (docs/ssl-provider.md, "Parameter lists"), with Windows' checks and statuses.

use keyward_core::{Error, Result};

/// The parsed contents of a parameter list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parameters<'a> {
    /// `client_random ‖ server_random`, present together or not at all.
    pub randoms: Option<Randoms<'a>>,
    /// The client's highest supported version (RSA premaster) as TLS carries it, e.g. 0x0303
    /// (`NCRYPTBUFFER_SSL_HIGHEST_VERSION`). 0, like `None`, is refused where it is used.
    pub highest_version: Option<u16>,
    /// The RFC 7627 session hash; when present the extended master secret is derived.
    pub session_hash: Option<&'a [u8]>,
    /// Session keys of a CBC suite are encrypt-then-MAC (RFC 7366); keyward's
    /// `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`. Read by `SslGenerateSessionKeys` only.
    pub encrypt_then_mac: bool,
}

/// The two hello randoms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Randoms<'a> {
    /// `ClientHello.random`.
    pub client: &'a [u8; 32],
    /// `ServerHello.random`.
    pub server: &'a [u8; 32],
}

impl<'a> Parameters<'a> {
    /// The classic inputs: both randoms.
    pub fn with_randoms(client: &'a [u8; 32], server: &'a [u8; 32]) -> Self {
        Parameters {
            randoms: Some(Randoms { client, server }),
            ..Parameters::default()
        }
    }

    /// The extended-master-secret input: the session hash instead of the randoms.
    pub fn with_session_hash(session_hash: &'a [u8]) -> Self {
        Parameters {
            session_hash: Some(session_hash),
            ..Parameters::default()
        }
    }

    /// Asks for encrypt-then-MAC session keys (RFC 7366;
    /// `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC` = 1). Only for a CBC suite:
    /// `SslGenerateSessionKeys` refuses it for an AEAD suite with `NTE_INVALID_PARAMETER`.
    pub fn encrypt_then_mac(mut self) -> Self {
        self.encrypt_then_mac = true;
        self
    }

    /// Adds the client's highest version, the TLS wire version of its hello (e.g. 0x0303):
    /// `NCRYPTBUFFER_SSL_HIGHEST_VERSION` of `SslImportMasterKey`, `SslGenerateMasterKey` and
    /// `SslGeneratePreMasterKey` (RSA key exchange).
    pub fn highest_version(mut self, version: u16) -> Self {
        self.highest_version = Some(version);
        self
    }

    /// The randoms, required by this caller.
    pub fn require_randoms(&self) -> Result<Randoms<'a>> {
        self.randoms.ok_or(Error::InvalidParameter(
            "client and server randoms required",
        ))
    }

    /// The highest version, required and non-zero (RSA premaster functions), else
    /// `NTE_INVALID_PARAMETER`.
    pub fn require_highest_version(&self) -> Result<u16> {
        match self.highest_version {
            Some(v) if v != 0 => Ok(v),
            _ => Err(Error::InvalidParameter("highest version required")),
        }
    }
}

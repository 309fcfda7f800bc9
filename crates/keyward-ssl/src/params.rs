//! The parameter list (`NCryptBufferDesc`) of the master-key and session-key functions.
//!
//! The rules follow docs/ssl-provider.md, "Parameter lists" (`SslGenerateMasterKey`,
//! `SslImportMasterKey`, `SslGeneratePreMasterKey`, `SslGenerateSessionKeys`): randoms are exactly
//! 32 bytes and come as a pair, the session hash (RFC 7627) replaces the randoms, the highest
//! version is a 4-byte `DWORD`. Any violation is `NTE_INVALID_PARAMETER`.
//!
//! One buffer type is keyward's own, not Windows': [`NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`]
//! asks `SslGenerateSessionKeys` for encrypt-then-MAC CBC keys (RFC 7366).

use keyward_core::{Error, Result};

/// `NCRYPTBUFFER_SSL_CLIENT_RANDOM`.
pub const NCRYPTBUFFER_SSL_CLIENT_RANDOM: u32 = 20;
/// `NCRYPTBUFFER_SSL_SERVER_RANDOM`.
pub const NCRYPTBUFFER_SSL_SERVER_RANDOM: u32 = 21;
/// `NCRYPTBUFFER_SSL_HIGHEST_VERSION`.
pub const NCRYPTBUFFER_SSL_HIGHEST_VERSION: u32 = 22;
/// `NCRYPTBUFFER_SSL_CLEAR_KEY` (SSL 2.0 only; accepted and ignored).
pub const NCRYPTBUFFER_SSL_CLEAR_KEY: u32 = 23;
/// `NCRYPTBUFFER_SSL_SESSION_HASH` (extended master secret, RFC 7627).
pub const NCRYPTBUFFER_SSL_SESSION_HASH: u32 = 25;
/// keyward extension, not in Windows: a 4-byte `DWORD` buffer of `SslGenerateSessionKeys`.
/// 1 makes the session keys of a CBC suite encrypt-then-MAC (RFC 7366, the TLS
/// `encrypt_then_mac` extension), 0 leaves them MAC-then-encrypt (the default, as without
/// the buffer). Any other value or length is `NTE_INVALID_PARAMETER`, and so is 1 for an
/// AEAD suite. The value ("KW" and 1) lies outside every `NCRYPTBUFFER_*` and `KDF_*` range
/// of Microsoft's headers (all below 0x100). Functions other than `SslGenerateSessionKeys`
/// ignore it, as they ignore every buffer type they do not use.
pub const NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC: u32 = 0x4B57_0001;
/// The most buffers a list may hold.
pub const MAX_BUFFERS: usize = 64;

/// Session-hash lengths the provider accepts: MD5‖SHA-1, SHA-256, SHA-384, SHA-512.
const SESSION_HASH_LENGTHS: [usize; 4] = [36, 32, 48, 64];

/// The parsed contents of a parameter list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parameters<'a> {
    /// `client_random ‖ server_random`, present together or not at all.
    pub randoms: Option<Randoms<'a>>,
    /// The client's highest supported version (RSA premaster), e.g. 0x0303.
    pub highest_version: Option<u32>,
    /// The RFC 7627 session hash; when present the extended master secret is derived.
    pub session_hash: Option<&'a [u8]>,
    /// Session keys of a CBC suite are encrypt-then-MAC (RFC 7366); keyward's
    /// [`NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`]. Read by `SslGenerateSessionKeys` only.
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
    /// [`NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`] = 1). Only for a CBC suite:
    /// `SslGenerateSessionKeys` refuses it for an AEAD suite with `NTE_INVALID_PARAMETER`.
    pub fn encrypt_then_mac(mut self) -> Self {
        self.encrypt_then_mac = true;
        self
    }

    /// Adds the client's highest version (needed by the RSA premaster functions).
    pub fn highest_version(mut self, version: u32) -> Self {
        self.highest_version = Some(version);
        self
    }

    /// Parses `(BufferType, contents)` pairs in order, as `NCryptBufferDesc` holds them.
    pub fn from_buffers(buffers: &[(u32, &'a [u8])]) -> Result<Self> {
        if buffers.len() > MAX_BUFFERS {
            return Err(Error::InvalidParameter("more than 64 parameter buffers"));
        }
        let mut client = None;
        let mut server = None;
        let mut params = Parameters::default();
        for &(kind, data) in buffers {
            if data.is_empty() {
                return Err(Error::InvalidParameter("empty parameter buffer"));
            }
            match kind {
                NCRYPTBUFFER_SSL_CLIENT_RANDOM | NCRYPTBUFFER_SSL_SERVER_RANDOM => {
                    if params.session_hash.is_some() {
                        return Err(Error::InvalidParameter("random after session hash"));
                    }
                    let random: &[u8; 32] = data
                        .try_into()
                        .map_err(|_| Error::InvalidParameter("random must be 32 bytes"))?;
                    if kind == NCRYPTBUFFER_SSL_CLIENT_RANDOM {
                        client = Some(random);
                    } else {
                        server = Some(random);
                    }
                }
                NCRYPTBUFFER_SSL_HIGHEST_VERSION => {
                    if let Ok(bytes) = <[u8; 4]>::try_from(data) {
                        params.highest_version = Some(u32::from_le_bytes(bytes));
                    }
                }
                NCRYPTBUFFER_SSL_CLEAR_KEY if data.len() > 256 => {
                    return Err(Error::InvalidParameter("clear key longer than 256 bytes"));
                }
                NCRYPTBUFFER_SSL_SESSION_HASH => {
                    if client.is_some() || server.is_some() {
                        return Err(Error::InvalidParameter("session hash after randoms"));
                    }
                    if !SESSION_HASH_LENGTHS.contains(&data.len()) {
                        return Err(Error::InvalidParameter("bad session hash length"));
                    }
                    params.session_hash = Some(data);
                }
                NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC => {
                    params.encrypt_then_mac = match data {
                        [1, 0, 0, 0] => true,
                        [0, 0, 0, 0] => false,
                        _ => {
                            return Err(Error::InvalidParameter(
                                "encrypt-then-MAC parameter must be a DWORD 0 or 1",
                            ))
                        }
                    };
                }
                _ => {} // other buffer types are ignored, as by Windows
            }
        }
        params.randoms = match (client, server) {
            (Some(client), Some(server)) => Some(Randoms { client, server }),
            (None, None) => None,
            _ => return Err(Error::InvalidParameter("only one of the two randoms")),
        };
        Ok(params)
    }

    /// The randoms, required by this caller.
    pub fn require_randoms(&self) -> Result<Randoms<'a>> {
        self.randoms.ok_or(Error::InvalidParameter(
            "client and server randoms required",
        ))
    }

    /// The highest version, required and non-zero (RSA premaster functions).
    pub fn require_highest_version(&self) -> Result<u16> {
        match self.highest_version {
            Some(v) if v != 0 && v <= 0xFFFF => Ok(v as u16),
            _ => Err(Error::InvalidParameter("highest version required")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: [u8; 32] = [1; 32];
    const SR: [u8; 32] = [2; 32];

    #[test]
    fn classic_and_ems_lists() {
        let v = 0x0303u32.to_le_bytes();
        let p = Parameters::from_buffers(&[(20, &CR), (21, &SR), (22, &v)]).unwrap();
        assert_eq!(
            p,
            Parameters::with_randoms(&CR, &SR).highest_version(0x0303)
        );
        let hash = [9u8; 32];
        let p = Parameters::from_buffers(&[(22, &v), (25, &hash)]).unwrap();
        assert_eq!(p.session_hash, Some(&hash[..]));
        assert_eq!(p.require_highest_version().unwrap(), 0x0303);
        assert!(p.require_randoms().is_err());
    }

    #[test]
    fn violations_are_invalid_parameter() {
        let hash = [9u8; 32];
        let bad: [&[(u32, &[u8])]; 6] = [
            &[(20, &CR)],
            &[(20, &CR[..31]), (21, &SR)],
            &[(25, &hash), (20, &CR), (21, &SR)],
            &[(20, &CR), (21, &SR), (25, &hash)],
            &[(25, &hash[..31])],
            &[(20, &[])],
        ];
        for list in bad {
            let err = Parameters::from_buffers(list).unwrap_err();
            assert!(matches!(err, Error::InvalidParameter(_)), "{list:?}");
        }
        let many = vec![(1u32, &CR[..]); 65];
        assert!(Parameters::from_buffers(&many).is_err());
    }

    #[test]
    fn encrypt_then_mac_buffer_is_a_dword_0_or_1() {
        let on = 1u32.to_le_bytes();
        let off = 0u32.to_le_bytes();
        let etm = NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC;
        let p = Parameters::from_buffers(&[(20, &CR), (21, &SR), (etm, &on)]).unwrap();
        assert_eq!(p, Parameters::with_randoms(&CR, &SR).encrypt_then_mac());
        let p = Parameters::from_buffers(&[(20, &CR), (21, &SR), (etm, &off)]).unwrap();
        assert_eq!(p, Parameters::with_randoms(&CR, &SR));
        for bad in [
            &2u32.to_le_bytes()[..],
            &[1],
            &[1, 0, 0, 0, 0],
            &[0, 0, 0, 1],
        ] {
            let err = Parameters::from_buffers(&[(etm, bad)]).unwrap_err();
            assert!(matches!(err, Error::InvalidParameter(_)), "{bad:?}");
        }
    }

    #[test]
    fn odd_version_buffer_is_ignored_and_unknown_types_skipped() {
        let p = Parameters::from_buffers(&[(22, &[3, 3]), (99, &[1])]).unwrap();
        assert_eq!(p.highest_version, None);
        assert!(p.require_highest_version().is_err());
    }
}

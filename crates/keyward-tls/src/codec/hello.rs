//! ClientHello, ServerHello and HelloRetryRequest (RFC 5246 §7.4.1, RFC 8446 §4.1).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::enums::{HandshakeType, HELLO_RETRY_REQUEST_RANDOM};
use super::extensions::{ClientExtensions, ServerExtensions};
use super::handshake::encode_handshake;
use super::{put_prefixed, put_u16, put_u8, put_vec_u8, LengthPrefix, Reader};
use crate::error::Error;

/// A ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (`client_version` in TLS 1.2).
    pub legacy_version: u16,
    /// `random`.
    pub random: [u8; 32],
    /// `legacy_session_id` (`session_id` in TLS 1.2): 0 to 32 bytes.
    pub session_id: Vec<u8>,
    /// `cipher_suites`, in the client's preference order.
    pub cipher_suites: Vec<u16>,
    /// `legacy_compression_methods`.
    pub compression_methods: Vec<u8>,
    /// The extensions the engine understands.
    pub extensions: ClientExtensions,
}

impl ClientHello {
    /// Parses the body of a ClientHello (after the 4-byte handshake header).
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let legacy_version = reader.u16()?;
        let random = reader.array()?;
        let session_id = reader.vec_u8()?;
        if session_id.len() > 32 {
            return Err(Error::Decode("session id longer than 32 bytes"));
        }
        let cipher_suites = reader.sub_u16()?.u16_list(2)?;
        let compression_methods = reader.vec_u8()?;
        if compression_methods.is_empty() {
            return Err(Error::Decode("no compression methods"));
        }
        let extensions = if reader.is_empty() {
            ClientExtensions::default()
        } else {
            let mut block = reader.sub_u16()?;
            ClientExtensions::read(&mut block)?
        };
        reader.finish()?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            cipher_suites,
            compression_methods: compression_methods.to_vec(),
            extensions,
        })
    }

    /// The complete handshake message (header included).
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(512);
        put_u16(&mut body, self.legacy_version);
        body.extend_from_slice(&self.random);
        put_vec_u8(&mut body, &self.session_id);
        put_prefixed(&mut body, LengthPrefix::U16, |o| {
            self.cipher_suites.iter().for_each(|s| put_u16(o, *s))
        });
        put_vec_u8(&mut body, &self.compression_methods);
        put_prefixed(&mut body, LengthPrefix::U16, |o| self.extensions.write(o));
        encode_handshake(HandshakeType::ClientHello, &body)
    }

    /// The length of the PSK binders at the end of the encoded message (0 without a
    /// `pre_shared_key` extension): the encoded message minus this many bytes is the
    /// truncated ClientHello the binders sign.
    pub fn binders_len(&self) -> usize {
        self.extensions
            .pre_shared_key
            .as_ref()
            .map_or(0, |psks| psks.binders_len())
    }
}

/// A ServerHello or (with the special random) a HelloRetryRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` (`server_version` in TLS 1.2).
    pub legacy_version: u16,
    /// `random`.
    pub random: [u8; 32],
    /// `legacy_session_id_echo` (`session_id` in TLS 1.2).
    pub session_id: Vec<u8>,
    /// The selected cipher suite.
    pub cipher_suite: u16,
    /// The selected compression method (must be 0).
    pub compression_method: u8,
    /// The extensions.
    pub extensions: ServerExtensions,
}

impl ServerHello {
    /// Parses the body of a ServerHello or HelloRetryRequest.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let legacy_version = reader.u16()?;
        let random: [u8; 32] = reader.array()?;
        let session_id = reader.vec_u8()?;
        if session_id.len() > 32 {
            return Err(Error::Decode("session id longer than 32 bytes"));
        }
        let cipher_suite = reader.u16()?;
        let compression_method = reader.u8()?;
        let retry = random == HELLO_RETRY_REQUEST_RANDOM;
        let extensions = if reader.is_empty() {
            ServerExtensions::default()
        } else {
            let mut block = reader.sub_u16()?;
            ServerExtensions::read(&mut block, retry)?
        };
        reader.finish()?;
        Ok(ServerHello {
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    /// True for a HelloRetryRequest.
    pub fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// The complete handshake message (header included).
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(128);
        put_u16(&mut body, self.legacy_version);
        body.extend_from_slice(&self.random);
        put_vec_u8(&mut body, &self.session_id);
        put_u16(&mut body, self.cipher_suite);
        put_u8(&mut body, self.compression_method);
        let mut extensions = Vec::new();
        self.extensions.write(&mut extensions);
        if !extensions.is_empty() {
            put_prefixed(&mut body, LengthPrefix::U16, |o| {
                o.extend_from_slice(&extensions)
            });
        }
        encode_handshake(HandshakeType::ServerHello, &body)
    }
}

//! Handshake framing and the handshake messages other than the hellos (RFC 5246 §7.4,
//! RFC 8446 §4, RFC 5077 §3.3, RFC 8422 §5.4, RFC 7919).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::enums::{ExtensionType, HandshakeType, EC_CURVE_TYPE_NAMED};
use super::extensions::ServerExtensions;
use super::{
    put_prefixed, put_u16, put_u24, put_u32, put_u8, put_vec_u16, put_vec_u24, put_vec_u8, Codec,
    LengthPrefix, Reader,
};
use crate::error::Error;

/// Longest handshake message accepted (a long certificate chain fits).
pub const MAX_HANDSHAKE_LEN: usize = 0x20000;

/// The length of a handshake message header: type and `uint24` length.
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Frames a handshake body: `msg_type ‖ uint24 length ‖ body`.
pub fn encode_handshake(kind: HandshakeType, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HANDSHAKE_HEADER_LEN + body.len());
    put_u8(&mut out, kind.to_wire());
    put_u24(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// One complete handshake message as received: its type, and its encoding (header
/// included) for the transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// `msg_type`.
    pub kind: HandshakeType,
    /// The whole message, header included.
    pub encoded: Vec<u8>,
}

impl HandshakeMessage {
    /// The body, after the 4-byte header.
    pub fn body(&self) -> &[u8] {
        self.encoded.get(HANDSHAKE_HEADER_LEN..).unwrap_or(&[])
    }
}

/// The synthetic `message_hash` message that replaces ClientHello1 in the transcript after
/// a HelloRetryRequest (RFC 8446 §4.4.1): `254 ‖ 00 00 ‖ Hash.length ‖ Hash(ClientHello1)`.
pub fn message_hash(client_hello1_hash: &[u8]) -> Vec<u8> {
    encode_handshake(HandshakeType::MessageHash, client_hello1_hash)
}

/// EncryptedExtensions (RFC 8446 §4.3.1).
pub fn encode_encrypted_extensions(extensions: &ServerExtensions) -> Vec<u8> {
    let mut body = Vec::new();
    put_prefixed(&mut body, LengthPrefix::U16, |o| extensions.write(o));
    encode_handshake(HandshakeType::EncryptedExtensions, &body)
}

/// Parses EncryptedExtensions.
pub fn parse_encrypted_extensions(body: &[u8]) -> Result<ServerExtensions, Error> {
    let mut reader = Reader::new(body);
    let mut block = reader.sub_u16()?;
    reader.finish()?;
    ServerExtensions::read(&mut block, false)
}

/// A Certificate message: the TLS 1.2 form has no context and no per-entry extensions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateMessage {
    /// `certificate_request_context` (TLS 1.3; empty in a server's Certificate).
    pub context: Vec<u8>,
    /// The certificates (DER), end entity first.
    pub chain: Vec<Vec<u8>>,
}

impl CertificateMessage {
    /// Parses a Certificate body of either version.
    pub fn parse(body: &[u8], tls13: bool) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let context = if tls13 {
            reader.vec_u8()?.to_vec()
        } else {
            Vec::new()
        };
        let mut list = reader.sub_u24()?;
        reader.finish()?;
        let mut chain = Vec::new();
        while !list.is_empty() {
            let cert = list.vec_u24()?;
            if cert.is_empty() {
                return Err(Error::Decode("empty certificate"));
            }
            chain.push(cert.to_vec());
            if tls13 {
                // Per-certificate extensions (OCSP, SCT) are read and not used.
                list.vec_u16()?;
            }
        }
        Ok(CertificateMessage { context, chain })
    }

    /// Encodes a Certificate of either version.
    pub fn encode(&self, tls13: bool) -> Vec<u8> {
        let mut body = Vec::new();
        if tls13 {
            put_vec_u8(&mut body, &self.context);
        }
        put_prefixed(&mut body, LengthPrefix::U24, |o| {
            for cert in &self.chain {
                put_vec_u24(o, cert);
                if tls13 {
                    put_u16(o, 0);
                }
            }
        });
        encode_handshake(HandshakeType::Certificate, &body)
    }
}

/// What a CertificateRequest says that the engine needs: the context to echo (TLS 1.3).
/// keyward does not authenticate clients; it answers with an empty Certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateRequest {
    /// `certificate_request_context` (TLS 1.3).
    pub context: Vec<u8>,
}

impl CertificateRequest {
    /// Parses a CertificateRequest of either version.
    pub fn parse(body: &[u8], tls13: bool) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        if tls13 {
            let context = reader.vec_u8()?.to_vec();
            let mut block = reader.sub_u16()?;
            reader.finish()?;
            let mut saw_signature_algorithms = false;
            while !block.is_empty() {
                let kind = block.u16()?;
                block.vec_u16()?;
                saw_signature_algorithms |= kind == ExtensionType::SignatureAlgorithms.to_wire();
            }
            if !saw_signature_algorithms {
                return Err(Error::MissingExtension(
                    "CertificateRequest without signature_algorithms",
                ));
            }
            Ok(CertificateRequest { context })
        } else {
            let types = reader.vec_u8()?;
            if types.is_empty() {
                return Err(Error::Decode("no certificate types"));
            }
            reader.sub_u16()?.u16_list(2)?;
            let mut authorities = reader.sub_u16()?;
            reader.finish()?;
            while !authorities.is_empty() {
                authorities.vec_u16()?;
            }
            Ok(CertificateRequest::default())
        }
    }
}

/// `DigitallySigned` (RFC 5246 §4.7): a signature scheme and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The `SignatureScheme` (TLS 1.2 `SignatureAndHashAlgorithm`).
    pub scheme: u16,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    type Error = Error;

    fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let scheme = reader.u16()?;
        let signature = reader.vec_u16()?.to_vec();
        Ok(DigitallySigned { scheme, signature })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.scheme);
        put_vec_u16(out, &self.signature);
    }
}

/// The key-exchange parameters of a TLS 1.2 ServerKeyExchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKeyExchangeParams {
    /// `ServerECDHParams` with a named curve (RFC 8422 §5.4).
    Ecdhe {
        /// The `NamedGroup`.
        group: u16,
        /// The server's point (uncompressed, or the X25519 value).
        public: Vec<u8>,
    },
    /// `ServerDHParams` (RFC 5246 §7.4.3).
    Dhe {
        /// `dh_p`.
        prime: Vec<u8>,
        /// `dh_g`.
        generator: Vec<u8>,
        /// `dh_Ys`.
        public: Vec<u8>,
    },
}

impl ServerKeyExchangeParams {
    /// The encoded parameters: the bytes the signature covers after the two randoms.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            ServerKeyExchangeParams::Ecdhe { group, public } => {
                put_u8(&mut out, EC_CURVE_TYPE_NAMED);
                put_u16(&mut out, *group);
                put_vec_u8(&mut out, public);
            }
            ServerKeyExchangeParams::Dhe {
                prime,
                generator,
                public,
            } => {
                put_vec_u16(&mut out, prime);
                put_vec_u16(&mut out, generator);
                put_vec_u16(&mut out, public);
            }
        }
        out
    }
}

/// A TLS 1.2 ServerKeyExchange for ECDHE or DHE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// The parameters.
    pub params: ServerKeyExchangeParams,
    /// The server's signature over `client_random ‖ server_random ‖ params`.
    pub signed: DigitallySigned,
}

impl ServerKeyExchange {
    /// Parses a ServerKeyExchange; `dhe` selects finite-field parameters.
    pub fn parse(body: &[u8], dhe: bool) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let params = if dhe {
            let prime = reader.vec_u16()?.to_vec();
            let generator = reader.vec_u16()?.to_vec();
            let public = reader.vec_u16()?.to_vec();
            if prime.is_empty() || generator.is_empty() || public.is_empty() {
                return Err(Error::Decode("empty DH parameter"));
            }
            ServerKeyExchangeParams::Dhe {
                prime,
                generator,
                public,
            }
        } else {
            if reader.u8()? != EC_CURVE_TYPE_NAMED {
                return Err(Error::IllegalParameter("only named curves are supported"));
            }
            let group = reader.u16()?;
            let public = reader.vec_u8()?.to_vec();
            if public.is_empty() {
                return Err(Error::Decode("empty ECDH point"));
            }
            ServerKeyExchangeParams::Ecdhe { group, public }
        };
        let signed = DigitallySigned::read(&mut reader)?;
        reader.finish()?;
        Ok(ServerKeyExchange { params, signed })
    }

    /// The complete handshake message.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = self.params.encode();
        self.signed.encode(&mut body);
        encode_handshake(HandshakeType::ServerKeyExchange, &body)
    }
}

/// The shape of a TLS 1.2 ClientKeyExchange body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKeyExchangeKind {
    /// `EncryptedPreMasterSecret<0..2^16-1>` (RSA).
    Rsa,
    /// `ECPoint<1..2^8-1>` (ECDHE).
    Ecdhe,
    /// `dh_Yc<1..2^16-1>` (DHE).
    Dhe,
}

/// Parses a ClientKeyExchange body: the encrypted premaster or the client's public value.
pub fn parse_client_key_exchange(
    body: &[u8],
    kind: ClientKeyExchangeKind,
) -> Result<Vec<u8>, Error> {
    let mut reader = Reader::new(body);
    let value = match kind {
        ClientKeyExchangeKind::Rsa | ClientKeyExchangeKind::Dhe => reader.vec_u16()?,
        ClientKeyExchangeKind::Ecdhe => reader.vec_u8()?,
    };
    reader.finish()?;
    if value.is_empty() {
        return Err(Error::Decode("empty ClientKeyExchange"));
    }
    Ok(value.to_vec())
}

/// Encodes a ClientKeyExchange.
pub fn encode_client_key_exchange(value: &[u8], kind: ClientKeyExchangeKind) -> Vec<u8> {
    let mut body = Vec::new();
    match kind {
        ClientKeyExchangeKind::Rsa | ClientKeyExchangeKind::Dhe => put_vec_u16(&mut body, value),
        ClientKeyExchangeKind::Ecdhe => put_vec_u8(&mut body, value),
    }
    encode_handshake(HandshakeType::ClientKeyExchange, &body)
}

/// Parses a CertificateVerify.
pub fn parse_certificate_verify(body: &[u8]) -> Result<DigitallySigned, Error> {
    let mut reader = Reader::new(body);
    let signed = DigitallySigned::read(&mut reader)?;
    reader.finish()?;
    Ok(signed)
}

/// Encodes a CertificateVerify.
pub fn encode_certificate_verify(signed: &DigitallySigned) -> Vec<u8> {
    let mut body = Vec::new();
    signed.encode(&mut body);
    encode_handshake(HandshakeType::CertificateVerify, &body)
}

/// A TLS 1.2 NewSessionTicket (RFC 5077 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket12 {
    /// `ticket_lifetime_hint` in seconds (0: unspecified).
    pub lifetime_hint: u32,
    /// The ticket.
    pub ticket: Vec<u8>,
}

impl NewSessionTicket12 {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let lifetime_hint = reader.u32()?;
        let ticket = reader.vec_u16()?.to_vec();
        reader.finish()?;
        Ok(NewSessionTicket12 {
            lifetime_hint,
            ticket,
        })
    }

    /// The complete handshake message.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        put_u32(&mut body, self.lifetime_hint);
        put_vec_u16(&mut body, &self.ticket);
        encode_handshake(HandshakeType::NewSessionTicket, &body)
    }
}

/// A TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    /// `ticket_lifetime` in seconds (at most 7 days).
    pub lifetime: u32,
    /// `ticket_age_add`.
    pub age_add: u32,
    /// `ticket_nonce`.
    pub nonce: Vec<u8>,
    /// `ticket`.
    pub ticket: Vec<u8>,
    /// `max_early_data_size` of an `early_data` extension (keyward never sends one).
    pub max_early_data: Option<u32>,
}

/// Longest ticket lifetime RFC 8446 §4.6.1 allows: seven days.
pub const MAX_TICKET_LIFETIME: u32 = 604_800;

impl NewSessionTicket13 {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(body);
        let lifetime = reader.u32()?;
        let age_add = reader.u32()?;
        let nonce = reader.vec_u8()?.to_vec();
        let ticket = reader.vec_u16()?.to_vec();
        if ticket.is_empty() {
            return Err(Error::Decode("empty ticket"));
        }
        let mut block = reader.sub_u16()?;
        reader.finish()?;
        let mut max_early_data = None;
        let mut seen = Vec::new();
        while !block.is_empty() {
            let kind = block.u16()?;
            let mut ext = block.sub_u16()?;
            if seen.contains(&kind) {
                return Err(Error::IllegalParameter("duplicate extension"));
            }
            seen.push(kind);
            if kind == ExtensionType::EarlyData.to_wire() {
                max_early_data = Some(ext.u32()?);
                ext.finish()?;
            }
        }
        if lifetime > MAX_TICKET_LIFETIME {
            return Err(Error::IllegalParameter("ticket lifetime over seven days"));
        }
        Ok(NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            max_early_data,
        })
    }

    /// The complete handshake message.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        put_u32(&mut body, self.lifetime);
        put_u32(&mut body, self.age_add);
        put_vec_u8(&mut body, &self.nonce);
        put_vec_u16(&mut body, &self.ticket);
        put_prefixed(&mut body, LengthPrefix::U16, |o| {
            if let Some(size) = self.max_early_data {
                put_u16(o, ExtensionType::EarlyData.to_wire());
                put_u16(o, 4);
                put_u32(o, size);
            }
        });
        encode_handshake(HandshakeType::NewSessionTicket, &body)
    }
}

/// Reads a Finished body: `verify_data` of exactly `verify_data_len` bytes (12 in TLS 1.2,
/// the hash length in TLS 1.3). Any other length does not parse: `decode_error`
/// (RFC 8446 §4.4.4 and §6.2, RFC 5246 §7.4.9), never `decrypt_error`, which is for a
/// Finished that parses and does not verify.
pub fn parse_finished(body: &[u8], verify_data_len: usize) -> Result<&[u8], Error> {
    if body.len() == verify_data_len {
        Ok(body)
    } else {
        Err(Error::Decode("Finished of the wrong length"))
    }
}

/// Encodes a Finished message.
pub fn encode_finished(verify_data: &[u8]) -> Vec<u8> {
    encode_handshake(HandshakeType::Finished, verify_data)
}

/// Encodes a ServerHelloDone.
pub fn encode_server_hello_done() -> Vec<u8> {
    encode_handshake(HandshakeType::ServerHelloDone, &[])
}

/// Parses a KeyUpdate: `true` when the peer asks for our update (`update_requested`).
pub fn parse_key_update(body: &[u8]) -> Result<bool, Error> {
    match body {
        [0] => Ok(false),
        [1] => Ok(true),
        [_] => Err(Error::IllegalParameter("unknown KeyUpdateRequest value")),
        _ => Err(Error::Decode("KeyUpdate length")),
    }
}

/// Encodes a KeyUpdate.
pub fn encode_key_update(update_requested: bool) -> Vec<u8> {
    encode_handshake(HandshakeType::KeyUpdate, &[u8::from(update_requested)])
}

/// Checks an empty-bodied message (ServerHelloDone, EndOfEarlyData, HelloRequest).
pub fn parse_empty(body: &[u8]) -> Result<(), Error> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(Error::Decode("message should be empty"))
    }
}

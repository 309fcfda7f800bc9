//! The keyiso wire protocol (`docs/keyiso-protocol.md`): frames, requests and responses.
//!
//! A frame is a big-endian `u32` body length and the body. A body is a `u32` request id, a
//! `u8` message type and the message's fields. Every field is read through keyward-core's one
//! [`Reader`]; every enumeration (protocol, suite, group, side, padding, hash) is checked
//! against what keyward supports, and a body with bytes left over is refused. A decode
//! failure is `NTE_BAD_DATA`.
//!
//! Encoding never cuts a value: a field longer than its length prefix can say makes the whole
//! encoding fail ([`Request::to_frame`], [`Response::to_frame`]), and the [`Codec::encode`] of
//! such a message writes nothing, which the peer refuses as truncated.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use keyward_core::backend::HashAlgorithm;
use keyward_core::codec::Reader;
use keyward_core::codec::{self, put_u16, put_u32, put_u8, put_vec_exact, Codec, LengthPrefix};
use keyward_core::{Error, Result, SecretVec, Status};
use keyward_ssl::opaque::MAX_OPAQUE_SECRET_BLOB_LEN;
use keyward_ssl::params::Randoms;
use keyward_ssl::ticket::TICKET_OVERHEAD;
use keyward_ssl::tls13::{MAX_PSK_LEN, MAX_TICKET_NONCE_LEN};
use keyward_ssl::{
    CbcMode, CipherSuite, Direction, Group, KeyExchange, Parameters, Protocol, SecretKind,
    SessionKey, Side, SignaturePadding,
};
use std::io::{self, Read, Write};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The protocol version this crate speaks, exchanged in the hello.
pub const PROTOCOL_VERSION: u16 = 3;

/// The largest frame body either side accepts (64 KiB). A longer length prefix is refused
/// before anything is allocated for it.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

/// The request id the daemon answers with when it cannot tell which request it answers: a
/// refused peer, an oversized or undecodable frame.
pub const UNSOLICITED: u32 = 0;

/// A daemon handle: a non-zero 64-bit value, valid only on the connection that made it. The
/// daemon picks random values with the top bit clear; a client names the objects of
/// [`RequestBody::Pipelined`] requests with the top bit set ([`Handle::is_client_name`]), so
/// the two never meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(u64);

impl Handle {
    /// The handle with value `value`; zero is no handle.
    pub fn new(value: u64) -> Option<Handle> {
        (value != 0).then_some(Handle(value))
    }

    /// The handle's value.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The first handle a client names, and the bit that marks every client name.
    pub const FIRST_CLIENT_NAME: Handle = Handle(CLIENT_NAME_BIT | 1);

    /// True for a handle a client named ([`RequestBody::Pipelined`]): its top bit is set.
    pub fn is_client_name(self) -> bool {
        self.0 & CLIENT_NAME_BIT != 0
    }

    /// The client name after this one (wrapping within the client names, never to zero).
    pub fn next_client_name(self) -> Handle {
        match (self.0 | CLIENT_NAME_BIT).wrapping_add(1) {
            0 => Handle::FIRST_CLIENT_NAME,
            next => Handle(next | CLIENT_NAME_BIT),
        }
    }

    fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Handle> {
        let value = u64::from_be_bytes(reader.array::<8>()?);
        Handle::new(value).ok_or(Error::BadData("zero handle"))
    }

    fn read_optional(reader: &mut Reader<'_>) -> Result<Option<Handle>> {
        Ok(Handle::new(u64::from_be_bytes(reader.array::<8>()?)))
    }
}

/// The top bit of a handle: set in the names clients give ([`RequestBody::Pipelined`]),
/// clear in the handles the daemon picks.
const CLIENT_NAME_BIT: u64 = 1 << 63;

/// A protocol version and a cipher suite of it, as most key-exchange requests carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cipher {
    /// The protocol, on the wire as its TLS version number.
    pub protocol: Protocol,
    /// The suite, on the wire as its TLS id.
    pub suite: &'static CipherSuite,
}

impl Cipher {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.protocol.wire_version());
        put_u16(out, self.suite.id);
    }

    fn read(reader: &mut Reader<'_>) -> Result<Cipher> {
        let protocol = read_protocol(reader)?;
        let suite = read_suite(reader)?;
        Ok(Cipher { protocol, suite })
    }
}

fn read_protocol(reader: &mut Reader<'_>) -> Result<Protocol> {
    Protocol::from_wire_version(reader.u16()?).ok_or(Error::BadData("unknown protocol version"))
}

fn read_suite(reader: &mut Reader<'_>) -> Result<&'static CipherSuite> {
    CipherSuite::from_id(reader.u16()?).ok_or(Error::BadData("unknown cipher suite"))
}

fn read_group(reader: &mut Reader<'_>) -> Result<Group> {
    Group::from_tls_id(reader.u16()?).ok_or(Error::BadData("unknown group"))
}

fn put_side(out: &mut Vec<u8>, side: Side) {
    put_u8(
        out,
        match side {
            Side::Client => 0,
            Side::Server => 1,
        },
    );
}

fn read_side(reader: &mut Reader<'_>) -> Result<Side> {
    match reader.u8()? {
        0 => Ok(Side::Client),
        1 => Ok(Side::Server),
        _ => Err(Error::BadData("unknown side")),
    }
}

fn hash_code(hash: HashAlgorithm) -> u8 {
    match hash {
        HashAlgorithm::Md5 => 0,
        HashAlgorithm::Sha1 => 1,
        HashAlgorithm::Sha256 => 2,
        HashAlgorithm::Sha384 => 3,
        HashAlgorithm::Sha512 => 4,
    }
}

fn read_signature_hash(reader: &mut Reader<'_>) -> Result<HashAlgorithm> {
    match reader.u8()? {
        1 => Ok(HashAlgorithm::Sha1),
        2 => Ok(HashAlgorithm::Sha256),
        3 => Ok(HashAlgorithm::Sha384),
        4 => Ok(HashAlgorithm::Sha512),
        _ => Err(Error::BadData("unknown signature hash")),
    }
}

fn put_padding(out: &mut Vec<u8>, padding: SignaturePadding) {
    match padding {
        SignaturePadding::Raw => put_u8(out, 0),
        SignaturePadding::Pkcs1(hash) => {
            put_u8(out, 1);
            put_u8(out, hash_code(hash));
        }
        SignaturePadding::Pss(hash) => {
            put_u8(out, 2);
            put_u8(out, hash_code(hash));
        }
    }
}

fn read_padding(reader: &mut Reader<'_>) -> Result<SignaturePadding> {
    match reader.u8()? {
        0 => Ok(SignaturePadding::Raw),
        1 => Ok(SignaturePadding::Pkcs1(read_signature_hash(reader)?)),
        2 => Ok(SignaturePadding::Pss(read_signature_hash(reader)?)),
        _ => Err(Error::BadData("unknown signature padding")),
    }
}

fn put_flag(out: &mut Vec<u8>, flag: bool) {
    put_u8(out, u8::from(flag));
}

fn read_tls13_suite(reader: &mut Reader<'_>) -> Result<&'static CipherSuite> {
    let suite = read_suite(reader)?;
    if suite.key_exchange != KeyExchange::Tls13 {
        return Err(Error::BadData("not a TLS 1.3 cipher suite"));
    }
    Ok(suite)
}

fn put_secret_kind(out: &mut Vec<u8>, kind: SecretKind) {
    let code = SecretKind::ALL
        .iter()
        .position(|known| *known == kind)
        .and_then(|code| u8::try_from(code).ok())
        .unwrap_or(u8::MAX);
    put_u8(out, code);
}

fn read_secret_kind(reader: &mut Reader<'_>) -> Result<SecretKind> {
    SecretKind::ALL
        .get(usize::from(reader.u8()?))
        .copied()
        .ok_or(Error::BadData("unknown TLS 1.3 secret kind"))
}

/// A `u16`-prefixed field of at most `max` bytes (and at least `min`), else `NTE_BAD_DATA`.
fn read_bounded(reader: &mut Reader<'_>, min: usize, max: usize) -> Result<Vec<u8>> {
    let field = reader.vec_u16()?;
    if field.len() < min || field.len() > max {
        return Err(Error::BadData("field length out of range"));
    }
    Ok(field.to_vec())
}

/// Writes a `u16`-prefixed field of at most `max` bytes; `TooLong` beyond.
fn put_bounded(out: &mut Vec<u8>, field: &[u8], max: usize) -> Result<(), codec::Error> {
    if field.len() > max {
        return Err(codec::Error::TooLong);
    }
    put_vec_exact(out, LengthPrefix::U16, field)
}

fn read_flag(reader: &mut Reader<'_>) -> Result<bool> {
    match reader.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::BadData("flag neither 0 nor 1")),
    }
}

/// The parameters of a master-key or session-key request, owned (the wire form of
/// [`Parameters`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WireParameters {
    /// The client and server hello randoms.
    pub randoms: Option<([u8; 32], [u8; 32])>,
    /// The highest version the client offered (RSA key exchange).
    pub highest_version: Option<u16>,
    /// The session hash of the extended master secret (RFC 7627), at most 64 bytes.
    pub session_hash: Option<Vec<u8>>,
    /// Encrypt-then-MAC was negotiated (RFC 7366).
    pub encrypt_then_mac: bool,
}

/// The most session-hash bytes a request may carry (SHA-512).
const MAX_SESSION_HASH_LEN: usize = 64;

impl WireParameters {
    /// The owned copy of `params`.
    pub fn from_parameters(params: &Parameters<'_>) -> WireParameters {
        WireParameters {
            randoms: params.randoms.map(|r| (*r.client, *r.server)),
            highest_version: params.highest_version,
            session_hash: params.session_hash.map(<[u8]>::to_vec),
            encrypt_then_mac: params.encrypt_then_mac,
        }
    }

    /// The borrowed form the provider takes.
    pub fn as_parameters(&self) -> Parameters<'_> {
        Parameters {
            randoms: self
                .randoms
                .as_ref()
                .map(|(client, server)| Randoms { client, server }),
            highest_version: self.highest_version,
            session_hash: self.session_hash.as_deref(),
            encrypt_then_mac: self.encrypt_then_mac,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        let flags = u8::from(self.randoms.is_some())
            | u8::from(self.highest_version.is_some()) << 1
            | u8::from(self.session_hash.is_some()) << 2
            | u8::from(self.encrypt_then_mac) << 3;
        put_u8(out, flags);
        if let Some((client, server)) = &self.randoms {
            out.extend_from_slice(client);
            out.extend_from_slice(server);
        }
        if let Some(version) = self.highest_version {
            put_u16(out, version);
        }
        if let Some(session_hash) = &self.session_hash {
            if session_hash.len() > MAX_SESSION_HASH_LEN {
                return Err(codec::Error::TooLong);
            }
            put_vec_exact(out, LengthPrefix::U8, session_hash)?;
        }
        Ok(())
    }

    fn read(reader: &mut Reader<'_>) -> Result<WireParameters> {
        let flags = reader.u8()?;
        if flags & !0x0F != 0 {
            return Err(Error::BadData("unknown parameter flags"));
        }
        let randoms = if flags & 1 != 0 {
            Some((reader.array::<32>()?, reader.array::<32>()?))
        } else {
            None
        };
        let highest_version = if flags & 2 != 0 {
            Some(reader.u16()?)
        } else {
            None
        };
        let session_hash = if flags & 4 != 0 {
            let session_hash = reader.vec_u8()?;
            if session_hash.is_empty() || session_hash.len() > MAX_SESSION_HASH_LEN {
                return Err(Error::BadData("session hash length"));
            }
            Some(session_hash.to_vec())
        } else {
            None
        };
        Ok(WireParameters {
            randoms,
            highest_version,
            session_hash,
            encrypt_then_mac: flags & 8 != 0,
        })
    }
}

/// One message, either way: a request id and a body ([`RequestBody`] from a client,
/// [`ResponseBody`] from the daemon), encoded as `uint32 id; uint8 type; fields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<B> {
    /// Chosen by the client for a request; a response carries it back. Zero is reserved
    /// ([`UNSOLICITED`]: a response to no request).
    pub id: u32,
    /// What is asked, or the answer.
    pub body: B,
}

/// A request from a client to the daemon.
pub type Request = Message<RequestBody>;

/// A response from the daemon.
pub type Response = Message<ResponseBody>;

/// The bodies of one direction: each has a message type and its fields, and is read back by
/// its type.
pub trait Body: Sized {
    /// The message type byte.
    fn message_type(&self) -> u8;

    /// Writes the fields after the type byte; `TooLong` when one does not fit its prefix.
    fn encode_fields(&self, out: &mut Vec<u8>) -> Result<(), codec::Error>;

    /// Reads the fields of `message_type` (unknown types are `NTE_BAD_DATA`).
    fn read_fields(message_type: u8, reader: &mut Reader<'_>) -> Result<Self>;
}

impl<B: Body> Message<B> {
    fn encode_checked(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        put_u32(out, self.id);
        put_u8(out, self.body.message_type());
        self.body.encode_fields(out)
    }

    /// The message as a whole frame (length prefix and body), or `NTE_INVALID_PARAMETER`
    /// when a field is longer than the protocol allows or the frame longer than
    /// [`MAX_FRAME_LEN`] (the daemon then answers with that error instead).
    pub fn to_frame(&self) -> Result<Vec<u8>> {
        to_frame(|out| self.encode_checked(out))
    }
}

impl<B: Body> Codec for Message<B> {
    type Error = Error;

    /// Writes the body; writes nothing when a field is too long for its prefix.
    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if self.encode_checked(out).is_err() {
            out.truncate(start);
        }
    }

    fn read(reader: &mut Reader<'_>) -> Result<Message<B>> {
        let id = reader.u32()?;
        let message_type = reader.u8()?;
        let body = B::read_fields(message_type, reader)?;
        Ok(Message { id, body })
    }
}

/// The requests of protocol version 1, with their message types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// 0x01: the first message of a connection; answered by [`ResponseBody::Hello`].
    Hello {
        /// The client's protocol version.
        version: u16,
    },
    /// 0x02: `SslOpenPrivateKey`: the key of a certificate (DER, at most 60 KiB) in the
    /// daemon's store.
    OpenPrivateKey {
        /// The certificate.
        certificate: Vec<u8>,
    },
    /// 0x03: `SslSignHash` with a private key handle.
    SignHash {
        /// A handle of [`RequestBody::OpenPrivateKey`].
        key: Handle,
        /// The padding (and for RSA the hash of the DigestInfo or PSS).
        padding: SignaturePadding,
        /// The hash value to sign (at most 64 bytes).
        hash_value: Vec<u8>,
    },
    /// 0x04: `SslImportMasterKey`: RSA key exchange, server side, without an oracle.
    ImportMasterKey {
        /// A handle of an RSA private key.
        key: Handle,
        /// Protocol and suite.
        cipher: Cipher,
        /// Randoms (or session hash) and the highest version.
        params: WireParameters,
        /// The ClientKeyExchange body without its length.
        encrypted_premaster: Vec<u8>,
    },
    /// 0x05: `SslCreateEphemeralKey`.
    CreateEphemeralKey {
        /// Protocol and suite.
        cipher: Cipher,
        /// The group, as its TLS NamedGroup id.
        group: Group,
    },
    /// 0x06: `SslGenerateMasterKey` for (EC)DHE, TLS ≤ 1.2.
    GenerateMasterKey {
        /// The own ephemeral key.
        ephemeral: Handle,
        /// The peer's public value as TLS carries it, in the ephemeral key's group.
        peer_public: Vec<u8>,
        /// Protocol and suite.
        cipher: Cipher,
        /// Randoms or session hash.
        params: WireParameters,
        /// The side that owns the master key.
        side: Side,
    },
    /// 0x07: `SslComputeFinishedHash`, TLS ≤ 1.2.
    ComputeFinished {
        /// A master key handle.
        master: Handle,
        /// Whose Finished.
        sender: Side,
        /// The handshake hash value (at most 64 bytes).
        transcript_digest: Vec<u8>,
    },
    /// 0x08: `SslGenerateSessionKeys`: answered with key material, not handles.
    GenerateSessionKeys {
        /// A master key handle.
        master: Handle,
        /// Randoms and encrypt-then-MAC.
        params: WireParameters,
    },
    /// 0x09: `SslExtractEarlyKey` without a PSK.
    Tls13ExtractEarlyKey {
        /// A TLS 1.3 suite.
        suite: &'static CipherSuite,
    },
    /// 0x0A: `SslExtractHandshakeKey`.
    Tls13ExtractHandshakeKey {
        /// The own ephemeral key.
        ephemeral: Handle,
        /// The peer's key share.
        peer_public: Vec<u8>,
        /// The early secret.
        early: Handle,
    },
    /// 0x0B: `SslExtractMasterKey`.
    Tls13ExtractMasterKey {
        /// The handshake secret.
        handshake: Handle,
    },
    /// 0x0C: `SslExpandTrafficKeys`: answered with secret handles.
    Tls13ExpandTrafficKeys {
        /// The early, handshake or master secret.
        base: Handle,
        /// The transcript hash (at most 64 bytes).
        transcript_digest: Vec<u8>,
    },
    /// 0x0D: `SslExpandWriteKey`: answered with the key and IV, not a handle.
    Tls13ExpandWriteKey {
        /// A traffic secret.
        traffic: Handle,
    },
    /// 0x0E: `SslComputeFinishedHash`, TLS 1.3.
    Tls13ComputeFinished {
        /// A traffic secret (or binder key).
        traffic: Handle,
        /// The transcript hash (at most 64 bytes).
        transcript_digest: Vec<u8>,
    },
    /// 0x0F: `SslExpandExporterMasterKey`.
    Tls13ExpandExporterMasterKey {
        /// The early or master secret.
        base: Handle,
        /// The transcript hash (at most 64 bytes).
        transcript_digest: Vec<u8>,
    },
    /// 0x10: `SslExportKeyingMaterial` (RFC 5705, RFC 8446 §7.5).
    ExportKeyingMaterial {
        /// A TLS ≤ 1.2 master key or a TLS 1.3 exporter master secret.
        key: Handle,
        /// The label (at most 255 bytes).
        label: Vec<u8>,
        /// The context, if any (at most 65535 bytes).
        context: Option<Vec<u8>>,
        /// Client ‖ server random (TLS ≤ 1.2 only).
        randoms: Option<[u8; 64]>,
        /// The length asked for (1 to 1024).
        length: u16,
    },
    /// 0x11: `SslFreeObject` of a handle.
    FreeHandle {
        /// The handle.
        handle: Handle,
    },
    /// 0x12: TLS 1.3 key update (RFC 8446 §7.2): the next application traffic secret, as a
    /// new handle.
    Tls13UpdateTrafficSecret {
        /// A client or server application traffic secret.
        traffic: Handle,
    },
    /// 0x13: `SslExpandResumptionMasterKey`.
    Tls13ExpandResumptionMasterKey {
        /// The master secret.
        master: Handle,
        /// The transcript hash up to the client's Finished (at most 64 bytes).
        transcript_digest: Vec<u8>,
    },
    /// 0x14: `SslExpandPreSharedKey`: the PSK of a ticket.
    Tls13ExpandPreSharedKey {
        /// The resumption master secret.
        resumption_master: Handle,
        /// The ticket nonce (at most 255 bytes).
        ticket_nonce: Vec<u8>,
    },
    /// 0x15: `SslExtractEarlyKey` with a PSK the daemon keeps.
    Tls13ExtractEarlyKeyWithPsk {
        /// The PSK.
        psk: Handle,
        /// A TLS 1.3 suite with the PSK's hash.
        suite: &'static CipherSuite,
    },
    /// 0x16: `SslExpandBinderKey`.
    Tls13ExpandBinderKey {
        /// The early secret.
        early: Handle,
        /// A resumption PSK's binder ("res binder"), else an external one's ("ext binder").
        resumption: bool,
    },
    /// 0x17: `SslExportKey` of a master key or TLS 1.3 secret as an opaque blob, sealed under
    /// the daemon's key store.
    ExportOpaqueKey {
        /// A master key or TLS 1.3 secret.
        key: Handle,
    },
    /// 0x18: `SslImportKey` of an opaque blob of a master key or TLS 1.3 secret, opened under
    /// the daemon's key store.
    ImportOpaqueKey {
        /// The blob (1 to [`MAX_OPAQUE_SECRET_BLOB_LEN`] bytes).
        blob: Vec<u8>,
    },
    /// 0x19: seals a session ticket under the daemon's ticket key.
    SealTicket {
        /// What the ticket is bound to (at most 255 bytes).
        aad: Vec<u8>,
        /// The ticket's plaintext (at most [`MAX_TICKET_PLAINTEXT_LEN`] bytes).
        plaintext: Vec<u8>,
    },
    /// 0x1B: seals a TLS 1.3 ticket whose last field is a PSK's opaque blob: `plaintext ‖
    /// opaque blob<0..2^16-1>` under the daemon's ticket key, the blob being
    /// [`RequestBody::ExportOpaqueKey`] of `secret`. Answered by
    /// [`ResponseBody::SealedTicket`].
    SealTicketWithSecret {
        /// What the ticket is bound to (at most 255 bytes).
        aad: Vec<u8>,
        /// The ticket's plaintext before the blob (at most [`MAX_TICKET_PLAINTEXT_LEN`]
        /// bytes, blob included).
        plaintext: Vec<u8>,
        /// A handle of a TLS 1.3 secret (the ticket's PSK).
        secret: Handle,
    },
    /// 0x1C: a TLS 1.3 server's flight, from the handshake secret to the ticket
    /// (`Provider::tls13_server_flight`). The daemon frees `handshake`, whatever the answer.
    /// Answered by [`ResponseBody::ServerFlight`].
    Tls13ServerFlight {
        /// A handle of a handshake secret, freed by this request.
        handshake: Handle,
        /// The handshake messages through the ServerHello.
        through_server_hello: Vec<u8>,
        /// EncryptedExtensions and, with a signer, the Certificate.
        before_verify: Vec<u8>,
        /// How the CertificateVerify is signed; `None` with a PSK.
        signer: Option<WireFlightSigner>,
        /// The ticket to seal under the daemon's ticket key; `None` for none.
        ticket: Option<WireFlightTicket13>,
    },
    /// 0x1D: a TLS ≤ 1.2 server's session keys, ticket and Finished once the
    /// ClientKeyExchange is in (`Provider::tls12_server_flight`). Answered by
    /// [`ResponseBody::ServerFlight12`].
    Tls12ServerFlight {
        /// A handle of a server's master key.
        master: Handle,
        /// Randoms and encrypt-then-MAC.
        params: WireParameters,
        /// The handshake messages through the ClientKeyExchange.
        transcript: Vec<u8>,
        /// The ticket to seal under the daemon's ticket key; `None` for none.
        ticket: Option<WireFlightTicket12>,
        /// True to get the master key's opaque blob too.
        export: bool,
    },
    /// 0x1E: keeps an external pre-shared key the client hands over (`SslImportKey` of
    /// `TLS13PRESHAREDKEY`): from here the daemon keeps it. Answered by
    /// [`ResponseBody::Handle`].
    Tls13ImportPreSharedKey {
        /// A TLS 1.3 suite (its hash runs the schedule).
        suite: &'static CipherSuite,
        /// The key, 1 to [`MAX_PSK_LEN`] bytes.
        psk: WireSecret,
    },
    /// 0x1A: opens a session ticket sealed by [`RequestBody::SealTicket`] or
    /// [`RequestBody::SealTicketWithSecret`].
    OpenTicket {
        /// What the ticket is bound to (at most 255 bytes).
        aad: Vec<u8>,
        /// The ticket (at most [`MAX_TICKET_LEN`] bytes).
        ticket: Vec<u8>,
    },
    /// 0x20: `SslGeneratePreMasterKey`: RSA key exchange, client side. The daemon makes the
    /// premaster and keeps it.
    GeneratePreMasterKey {
        /// The server's RSA key as a `BCRYPT_RSAPUBLIC_BLOB`.
        server_key: Vec<u8>,
        /// Protocol and suite (an RSA key exchange suite).
        cipher: Cipher,
        /// The highest version the client offers.
        params: WireParameters,
    },
    /// 0x21: `SslGenerateMasterKey` with a premaster of
    /// [`RequestBody::GeneratePreMasterKey`] as its private key.
    PreMasterMasterKey {
        /// The premaster.
        premaster: Handle,
        /// Randoms or session hash.
        params: WireParameters,
    },
    /// 0x22: `SslComputeEapKeyBlock`.
    ComputeEapKeyBlock {
        /// A master key handle.
        master: Handle,
        /// Client ‖ server random.
        randoms: [u8; 64],
        /// The EAP method (`dwFlags`: 0 EAP-TLS, 1 EAP-TTLSv0, 2 its challenge, 3 EAP-FAST).
        eap_id: u8,
    },
    /// 0x23: `SslExportKey` of a session key as an opaque blob, sealed under the daemon's key
    /// store (the client's own key; the sealing key is the daemon's). Answered by
    /// [`ResponseBody::OpaqueKeyBlob`].
    SealSessionKey {
        /// The key.
        key: WireSessionKey,
    },
    /// 0x24: `SslImportKey` of an opaque session-key blob, opened under the daemon's key
    /// store. Answered by [`ResponseBody::SessionKeyOpened`].
    OpenSessionKey {
        /// The blob (1 to [`MAX_OPAQUE_SECRET_BLOB_LEN`] bytes).
        blob: Vec<u8>,
    },
    /// 0x25: the certificate chain of the key stored under a name (leaf first), so that a
    /// server never opens the key store. Answered by [`ResponseBody::CertificateChain`].
    CertificateChain {
        /// The key's name in the store (1 to 64 bytes; the store checks its characters).
        name: String,
    },
    /// 0x30: `request`, one answered by [`ResponseBody::Handle`], with its object kept under
    /// `handle`, which the client chose (a client name: [`Handle::is_client_name`], not in
    /// use on the connection). The client sends it without waiting for the answer and names
    /// the object in the requests that follow. If it fails, the daemon keeps the name as a
    /// *failed handle* until it is freed: every request that uses it is answered with the
    /// failure's status. Answered as `request` is.
    Pipelined {
        /// The name of the new object.
        handle: Handle,
        /// The request that makes it (never another `Pipelined`).
        request: Box<RequestBody>,
    },
}

impl RequestBody {
    /// The protocol version that brought this request: a daemon answers it from a client of
    /// an older version as a daemon of that version would (`NTE_BAD_DATA`, an unknown type).
    pub fn since(&self) -> u16 {
        match self {
            RequestBody::Pipelined { request, .. } => request.since().max(2),
            RequestBody::SealTicketWithSecret { .. } => 2,
            RequestBody::Tls13ServerFlight { .. }
            | RequestBody::Tls12ServerFlight { .. }
            | RequestBody::Tls13ImportPreSharedKey { .. } => 3,
            _ => 1,
        }
    }

    /// True for the requests answered by [`ResponseBody::Handle`]: those that make one object
    /// and nothing else, which [`RequestBody::Pipelined`] may carry.
    pub fn answers_with_handle(&self) -> bool {
        matches!(
            self,
            RequestBody::ImportMasterKey { .. }
                | RequestBody::GenerateMasterKey { .. }
                | RequestBody::Tls13ExtractEarlyKey { .. }
                | RequestBody::Tls13ExtractHandshakeKey { .. }
                | RequestBody::Tls13ExtractMasterKey { .. }
                | RequestBody::Tls13ExpandExporterMasterKey { .. }
                | RequestBody::Tls13UpdateTrafficSecret { .. }
                | RequestBody::Tls13ExpandResumptionMasterKey { .. }
                | RequestBody::Tls13ExpandPreSharedKey { .. }
                | RequestBody::Tls13ExtractEarlyKeyWithPsk { .. }
                | RequestBody::Tls13ExpandBinderKey { .. }
                | RequestBody::Tls13ImportPreSharedKey { .. }
                | RequestBody::PreMasterMasterKey { .. }
        )
    }
}

/// The most certificates a [`ResponseBody::CertificateChain`] carries.
pub const MAX_CHAIN_LEN: usize = 16;

/// A session key crossing the socket to be sealed, or coming back opened: what
/// [`SessionKey::from_key_material`] takes. On the wire: `Protocol; Suite; Flag write;
/// Flag encrypt_then_mac; opaque state<1..96>`.
#[derive(Clone, Debug)]
pub struct WireSessionKey {
    /// Protocol and suite.
    pub cipher: Cipher,
    /// Read or write.
    pub direction: Direction,
    /// The order of MAC and encryption (CBC suites).
    pub cbc_mode: CbcMode,
    /// MAC key ‖ key ‖ IV (a TLS 1.0 CBC key's IV being its current chaining IV).
    pub state: SecretVec,
}

impl WireSessionKey {
    /// The wire form of `key`.
    pub fn from_key(key: &SessionKey) -> Result<WireSessionKey> {
        Ok(WireSessionKey {
            cipher: Cipher {
                protocol: key.protocol(),
                suite: key.suite(),
            },
            direction: key.direction(),
            cbc_mode: key.cbc_mode(),
            state: key.export_key_material()?,
        })
    }

    /// The key it describes.
    pub fn to_key(&self) -> Result<SessionKey> {
        SessionKey::from_key_material(
            self.cipher.protocol,
            self.cipher.suite,
            self.direction,
            self.cbc_mode,
            self.state.expose(),
        )
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        self.cipher.encode(out);
        put_flag(out, self.direction == Direction::Write);
        put_flag(out, self.cbc_mode == CbcMode::EncryptThenMac);
        put_bounded(out, self.state.expose(), MAX_MATERIAL_LEN)
    }

    fn read(reader: &mut Reader<'_>) -> Result<WireSessionKey> {
        let cipher = Cipher::read(reader)?;
        let direction = match read_flag(reader)? {
            true => Direction::Write,
            false => Direction::Read,
        };
        let cbc_mode = match read_flag(reader)? {
            true => CbcMode::EncryptThenMac,
            false => CbcMode::MacThenEncrypt,
        };
        let state = reader.vec_u16()?;
        if state.is_empty() || state.len() > MAX_MATERIAL_LEN {
            return Err(Error::BadData("session key state length"));
        }
        Ok(WireSessionKey {
            cipher,
            direction,
            cbc_mode,
            state: SecretVec::from_slice(state),
        })
    }
}

/// A secret the client hands the daemon to keep (an external PSK), on the wire as
/// `opaque secret<1..2^16-1>`.
#[derive(Clone, Debug)]
pub struct WireSecret(pub SecretVec);

/// Equal secrets, compared without a timing difference.
impl PartialEq for WireSecret {
    fn eq(&self, other: &WireSecret) -> bool {
        self.0.expose().ct_eq(other.0.expose()).into()
    }
}

impl Eq for WireSecret {}

/// Equal keys, compared without a timing difference on the state.
impl PartialEq for WireSessionKey {
    fn eq(&self, other: &WireSessionKey) -> bool {
        let same_state: bool = self.state.expose().ct_eq(other.state.expose()).into();
        self.cipher == other.cipher
            && self.direction == other.direction
            && self.cbc_mode == other.cbc_mode
            && same_state
    }
}

impl Eq for WireSessionKey {}

/// The longest sealed ticket either side accepts.
pub const MAX_TICKET_LEN: usize = 16 * 1024;
/// The longest ticket plaintext: what seals to [`MAX_TICKET_LEN`] bytes.
pub const MAX_TICKET_PLAINTEXT_LEN: usize = MAX_TICKET_LEN - TICKET_OVERHEAD;

/// The most bytes [`RequestBody::ExportKeyingMaterial`] may ask for.
pub const MAX_EXPORT_LEN: u16 = 1024;
/// The most bytes of a hash value or transcript digest (SHA-512).
const MAX_DIGEST_LEN: usize = 64;

fn read_digest(reader: &mut Reader<'_>) -> Result<Vec<u8>> {
    let digest = reader.vec_u8()?;
    if digest.is_empty() || digest.len() > MAX_DIGEST_LEN {
        return Err(Error::BadData("digest length"));
    }
    Ok(digest.to_vec())
}

fn put_digest(out: &mut Vec<u8>, digest: &[u8]) -> Result<(), codec::Error> {
    if digest.len() > MAX_DIGEST_LEN {
        return Err(codec::Error::TooLong);
    }
    put_vec_exact(out, LengthPrefix::U8, digest)
}

impl Body for RequestBody {
    fn message_type(&self) -> u8 {
        match self {
            RequestBody::Hello { .. } => 0x01,
            RequestBody::OpenPrivateKey { .. } => 0x02,
            RequestBody::SignHash { .. } => 0x03,
            RequestBody::ImportMasterKey { .. } => 0x04,
            RequestBody::CreateEphemeralKey { .. } => 0x05,
            RequestBody::GenerateMasterKey { .. } => 0x06,
            RequestBody::ComputeFinished { .. } => 0x07,
            RequestBody::GenerateSessionKeys { .. } => 0x08,
            RequestBody::Tls13ExtractEarlyKey { .. } => 0x09,
            RequestBody::Tls13ExtractHandshakeKey { .. } => 0x0A,
            RequestBody::Tls13ExtractMasterKey { .. } => 0x0B,
            RequestBody::Tls13ExpandTrafficKeys { .. } => 0x0C,
            RequestBody::Tls13ExpandWriteKey { .. } => 0x0D,
            RequestBody::Tls13ComputeFinished { .. } => 0x0E,
            RequestBody::Tls13ExpandExporterMasterKey { .. } => 0x0F,
            RequestBody::ExportKeyingMaterial { .. } => 0x10,
            RequestBody::FreeHandle { .. } => 0x11,
            RequestBody::Tls13UpdateTrafficSecret { .. } => 0x12,
            RequestBody::Tls13ExpandResumptionMasterKey { .. } => 0x13,
            RequestBody::Tls13ExpandPreSharedKey { .. } => 0x14,
            RequestBody::Tls13ExtractEarlyKeyWithPsk { .. } => 0x15,
            RequestBody::Tls13ExpandBinderKey { .. } => 0x16,
            RequestBody::ExportOpaqueKey { .. } => 0x17,
            RequestBody::ImportOpaqueKey { .. } => 0x18,
            RequestBody::SealTicket { .. } => 0x19,
            RequestBody::SealTicketWithSecret { .. } => 0x1B,
            RequestBody::Tls13ServerFlight { .. } => 0x1C,
            RequestBody::Tls12ServerFlight { .. } => 0x1D,
            RequestBody::Tls13ImportPreSharedKey { .. } => 0x1E,
            RequestBody::OpenTicket { .. } => 0x1A,
            RequestBody::GeneratePreMasterKey { .. } => 0x20,
            RequestBody::PreMasterMasterKey { .. } => 0x21,
            RequestBody::ComputeEapKeyBlock { .. } => 0x22,
            RequestBody::SealSessionKey { .. } => 0x23,
            RequestBody::OpenSessionKey { .. } => 0x24,
            RequestBody::CertificateChain { .. } => 0x25,
            RequestBody::Pipelined { .. } => 0x30,
        }
    }

    fn encode_fields(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        match self {
            RequestBody::Hello { version } => put_u16(out, *version),
            RequestBody::OpenPrivateKey { certificate } => {
                put_vec_exact(out, LengthPrefix::U16, certificate)?
            }
            RequestBody::SignHash {
                key,
                padding,
                hash_value,
            } => {
                key.encode(out);
                put_padding(out, *padding);
                put_digest(out, hash_value)?;
            }
            RequestBody::ImportMasterKey {
                key,
                cipher,
                params,
                encrypted_premaster,
            } => {
                key.encode(out);
                cipher.encode(out);
                params.encode(out)?;
                put_vec_exact(out, LengthPrefix::U16, encrypted_premaster)?;
            }
            RequestBody::CreateEphemeralKey { cipher, group } => {
                cipher.encode(out);
                put_u16(out, group.tls_id());
            }
            RequestBody::GenerateMasterKey {
                ephemeral,
                peer_public,
                cipher,
                params,
                side,
            } => {
                ephemeral.encode(out);
                put_vec_exact(out, LengthPrefix::U16, peer_public)?;
                cipher.encode(out);
                params.encode(out)?;
                put_side(out, *side);
            }
            RequestBody::ComputeFinished {
                master,
                sender,
                transcript_digest,
            } => {
                master.encode(out);
                put_side(out, *sender);
                put_digest(out, transcript_digest)?;
            }
            RequestBody::GenerateSessionKeys { master, params } => {
                master.encode(out);
                params.encode(out)?;
            }
            RequestBody::Tls13ExtractEarlyKey { suite } => put_u16(out, suite.id),
            RequestBody::Tls13ExtractHandshakeKey {
                ephemeral,
                peer_public,
                early,
            } => {
                ephemeral.encode(out);
                put_vec_exact(out, LengthPrefix::U16, peer_public)?;
                early.encode(out);
            }
            RequestBody::Tls13ExtractMasterKey { handshake } => handshake.encode(out),
            RequestBody::Tls13ExpandTrafficKeys {
                base,
                transcript_digest,
            }
            | RequestBody::Tls13ExpandExporterMasterKey {
                base,
                transcript_digest,
            } => {
                base.encode(out);
                put_digest(out, transcript_digest)?;
            }
            RequestBody::Tls13ExpandWriteKey { traffic } => traffic.encode(out),
            RequestBody::Tls13ComputeFinished {
                traffic,
                transcript_digest,
            } => {
                traffic.encode(out);
                put_digest(out, transcript_digest)?;
            }
            RequestBody::ExportKeyingMaterial {
                key,
                label,
                context,
                randoms,
                length,
            } => {
                key.encode(out);
                put_vec_exact(out, LengthPrefix::U8, label)?;
                match context {
                    None => put_u8(out, 0),
                    Some(context) => {
                        put_u8(out, 1);
                        put_vec_exact(out, LengthPrefix::U16, context)?;
                    }
                }
                match randoms {
                    None => put_u8(out, 0),
                    Some(randoms) => {
                        put_u8(out, 1);
                        out.extend_from_slice(randoms);
                    }
                }
                put_u16(out, *length);
            }
            RequestBody::FreeHandle { handle } => handle.encode(out),
            RequestBody::Tls13UpdateTrafficSecret { traffic } => traffic.encode(out),
            RequestBody::Tls13ExpandResumptionMasterKey {
                master,
                transcript_digest,
            } => {
                master.encode(out);
                put_digest(out, transcript_digest)?;
            }
            RequestBody::Tls13ExpandPreSharedKey {
                resumption_master,
                ticket_nonce,
            } => {
                resumption_master.encode(out);
                put_vec_exact(out, LengthPrefix::U8, ticket_nonce)?;
            }
            RequestBody::Tls13ExtractEarlyKeyWithPsk { psk, suite } => {
                psk.encode(out);
                put_u16(out, suite.id);
            }
            RequestBody::Tls13ExpandBinderKey { early, resumption } => {
                early.encode(out);
                put_flag(out, *resumption);
            }
            RequestBody::ExportOpaqueKey { key } => key.encode(out),
            RequestBody::ImportOpaqueKey { blob } => {
                put_bounded(out, blob, MAX_OPAQUE_SECRET_BLOB_LEN)?
            }
            RequestBody::SealTicket { aad, plaintext } => {
                put_vec_exact(out, LengthPrefix::U8, aad)?;
                put_bounded(out, plaintext, MAX_TICKET_PLAINTEXT_LEN)?;
            }
            RequestBody::SealTicketWithSecret {
                aad,
                plaintext,
                secret,
            } => {
                put_vec_exact(out, LengthPrefix::U8, aad)?;
                put_bounded(out, plaintext, MAX_TICKET_PLAINTEXT_LEN)?;
                secret.encode(out);
            }
            RequestBody::Tls13ServerFlight {
                handshake,
                through_server_hello,
                before_verify,
                signer,
                ticket,
            } => {
                handshake.encode(out);
                put_bounded(out, through_server_hello, MAX_FRAME_LEN)?;
                put_bounded(out, before_verify, MAX_FRAME_LEN)?;
                put_optional(out, signer.as_ref(), |signer, out| {
                    signer.encode(out);
                    Ok(())
                })?;
                put_optional(out, ticket.as_ref(), WireFlightTicket13::encode)?;
            }
            RequestBody::Tls12ServerFlight {
                master,
                params,
                transcript,
                ticket,
                export,
            } => {
                master.encode(out);
                params.encode(out)?;
                put_bounded(out, transcript, MAX_FRAME_LEN)?;
                put_optional(out, ticket.as_ref(), WireFlightTicket12::encode)?;
                put_flag(out, *export);
            }
            RequestBody::Tls13ImportPreSharedKey { suite, psk } => {
                put_u16(out, suite.id);
                put_bounded(out, psk.0.expose(), MAX_PSK_LEN)?;
            }
            RequestBody::OpenTicket { aad, ticket } => {
                put_vec_exact(out, LengthPrefix::U8, aad)?;
                put_bounded(out, ticket, MAX_TICKET_LEN)?;
            }
            RequestBody::GeneratePreMasterKey {
                server_key,
                cipher,
                params,
            } => {
                put_vec_exact(out, LengthPrefix::U16, server_key)?;
                cipher.encode(out);
                params.encode(out)?;
            }
            RequestBody::PreMasterMasterKey { premaster, params } => {
                premaster.encode(out);
                params.encode(out)?;
            }
            RequestBody::ComputeEapKeyBlock {
                master,
                randoms,
                eap_id,
            } => {
                master.encode(out);
                out.extend_from_slice(randoms);
                put_u8(out, *eap_id);
            }
            RequestBody::SealSessionKey { key } => key.encode(out)?,
            RequestBody::OpenSessionKey { blob } => {
                put_bounded(out, blob, MAX_OPAQUE_SECRET_BLOB_LEN)?
            }
            RequestBody::CertificateChain { name } => {
                put_vec_exact(out, LengthPrefix::U8, name.as_bytes())?
            }
            RequestBody::Pipelined { handle, request } => {
                handle.encode(out);
                put_u8(out, request.message_type());
                request.encode_fields(out)?;
            }
        }
        Ok(())
    }

    fn read_fields(message_type: u8, reader: &mut Reader<'_>) -> Result<RequestBody> {
        Ok(match message_type {
            0x01 => RequestBody::Hello {
                version: reader.u16()?,
            },
            0x02 => {
                let certificate = reader.vec_u16()?;
                if certificate.is_empty() {
                    return Err(Error::BadData("empty certificate"));
                }
                RequestBody::OpenPrivateKey {
                    certificate: certificate.to_vec(),
                }
            }
            0x03 => RequestBody::SignHash {
                key: Handle::read(reader)?,
                padding: read_padding(reader)?,
                hash_value: read_digest(reader)?,
            },
            0x04 => RequestBody::ImportMasterKey {
                key: Handle::read(reader)?,
                cipher: Cipher::read(reader)?,
                params: WireParameters::read(reader)?,
                encrypted_premaster: reader.vec_u16()?.to_vec(),
            },
            0x05 => RequestBody::CreateEphemeralKey {
                cipher: Cipher::read(reader)?,
                group: read_group(reader)?,
            },
            0x06 => RequestBody::GenerateMasterKey {
                ephemeral: Handle::read(reader)?,
                peer_public: reader.vec_u16()?.to_vec(),
                cipher: Cipher::read(reader)?,
                params: WireParameters::read(reader)?,
                side: read_side(reader)?,
            },
            0x07 => RequestBody::ComputeFinished {
                master: Handle::read(reader)?,
                sender: read_side(reader)?,
                transcript_digest: read_digest(reader)?,
            },
            0x08 => RequestBody::GenerateSessionKeys {
                master: Handle::read(reader)?,
                params: WireParameters::read(reader)?,
            },
            0x09 => RequestBody::Tls13ExtractEarlyKey {
                suite: read_suite(reader)?,
            },
            0x0A => RequestBody::Tls13ExtractHandshakeKey {
                ephemeral: Handle::read(reader)?,
                peer_public: reader.vec_u16()?.to_vec(),
                early: Handle::read(reader)?,
            },
            0x0B => RequestBody::Tls13ExtractMasterKey {
                handshake: Handle::read(reader)?,
            },
            0x0C => RequestBody::Tls13ExpandTrafficKeys {
                base: Handle::read(reader)?,
                transcript_digest: read_digest(reader)?,
            },
            0x0D => RequestBody::Tls13ExpandWriteKey {
                traffic: Handle::read(reader)?,
            },
            0x0E => RequestBody::Tls13ComputeFinished {
                traffic: Handle::read(reader)?,
                transcript_digest: read_digest(reader)?,
            },
            0x0F => RequestBody::Tls13ExpandExporterMasterKey {
                base: Handle::read(reader)?,
                transcript_digest: read_digest(reader)?,
            },
            0x10 => {
                let key = Handle::read(reader)?;
                let label = reader.vec_u8()?.to_vec();
                let context = match read_flag(reader)? {
                    false => None,
                    true => Some(reader.vec_u16()?.to_vec()),
                };
                let randoms = match read_flag(reader)? {
                    false => None,
                    true => Some(reader.array::<64>()?),
                };
                let length = reader.u16()?;
                if length == 0 || length > MAX_EXPORT_LEN {
                    return Err(Error::BadData("exporter length"));
                }
                RequestBody::ExportKeyingMaterial {
                    key,
                    label,
                    context,
                    randoms,
                    length,
                }
            }
            0x11 => RequestBody::FreeHandle {
                handle: Handle::read(reader)?,
            },
            0x12 => RequestBody::Tls13UpdateTrafficSecret {
                traffic: Handle::read(reader)?,
            },
            0x13 => RequestBody::Tls13ExpandResumptionMasterKey {
                master: Handle::read(reader)?,
                transcript_digest: read_digest(reader)?,
            },
            0x14 => {
                let resumption_master = Handle::read(reader)?;
                let ticket_nonce = reader.vec_u8()?;
                if ticket_nonce.len() > MAX_TICKET_NONCE_LEN {
                    return Err(Error::BadData("ticket nonce length"));
                }
                RequestBody::Tls13ExpandPreSharedKey {
                    resumption_master,
                    ticket_nonce: ticket_nonce.to_vec(),
                }
            }
            0x15 => RequestBody::Tls13ExtractEarlyKeyWithPsk {
                psk: Handle::read(reader)?,
                suite: read_tls13_suite(reader)?,
            },
            0x16 => RequestBody::Tls13ExpandBinderKey {
                early: Handle::read(reader)?,
                resumption: read_flag(reader)?,
            },
            0x17 => RequestBody::ExportOpaqueKey {
                key: Handle::read(reader)?,
            },
            0x18 => RequestBody::ImportOpaqueKey {
                blob: read_bounded(reader, 1, MAX_OPAQUE_SECRET_BLOB_LEN)?,
            },
            0x19 => RequestBody::SealTicket {
                aad: reader.vec_u8()?.to_vec(),
                plaintext: read_bounded(reader, 0, MAX_TICKET_PLAINTEXT_LEN)?,
            },
            0x1A => RequestBody::OpenTicket {
                aad: reader.vec_u8()?.to_vec(),
                ticket: read_bounded(reader, 0, MAX_TICKET_LEN)?,
            },
            0x1B => RequestBody::SealTicketWithSecret {
                aad: reader.vec_u8()?.to_vec(),
                plaintext: read_bounded(reader, 0, MAX_TICKET_PLAINTEXT_LEN)?,
                secret: Handle::read(reader)?,
            },
            0x1C => RequestBody::Tls13ServerFlight {
                handshake: Handle::read(reader)?,
                through_server_hello: read_bounded(reader, 1, MAX_FRAME_LEN)?,
                before_verify: read_bounded(reader, 1, MAX_FRAME_LEN)?,
                signer: read_optional(reader, WireFlightSigner::read)?,
                ticket: read_optional(reader, WireFlightTicket13::read)?,
            },
            0x1D => RequestBody::Tls12ServerFlight {
                master: Handle::read(reader)?,
                params: WireParameters::read(reader)?,
                transcript: read_bounded(reader, 1, MAX_FRAME_LEN)?,
                ticket: read_optional(reader, WireFlightTicket12::read)?,
                export: read_flag(reader)?,
            },
            0x1E => RequestBody::Tls13ImportPreSharedKey {
                suite: read_tls13_suite(reader)?,
                psk: {
                    let psk = read_material(reader, MAX_PSK_LEN)?;
                    if psk.is_empty() {
                        return Err(Error::BadData("empty PSK"));
                    }
                    WireSecret(psk)
                },
            },
            0x20 => RequestBody::GeneratePreMasterKey {
                server_key: reader.vec_u16()?.to_vec(),
                cipher: Cipher::read(reader)?,
                params: WireParameters::read(reader)?,
            },
            0x21 => RequestBody::PreMasterMasterKey {
                premaster: Handle::read(reader)?,
                params: WireParameters::read(reader)?,
            },
            0x22 => RequestBody::ComputeEapKeyBlock {
                master: Handle::read(reader)?,
                randoms: reader.array::<64>()?,
                eap_id: reader.u8()?,
            },
            0x23 => RequestBody::SealSessionKey {
                key: WireSessionKey::read(reader)?,
            },
            0x24 => RequestBody::OpenSessionKey {
                blob: read_bounded(reader, 1, MAX_OPAQUE_SECRET_BLOB_LEN)?,
            },
            0x25 => {
                let name = reader.vec_u8()?;
                if name.is_empty() || name.len() > 64 {
                    return Err(Error::BadData("key name length"));
                }
                RequestBody::CertificateChain {
                    name: String::from_utf8(name.to_vec())
                        .map_err(|_| Error::BadData("key name not UTF-8"))?,
                }
            }
            0x30 => {
                let handle = Handle::read(reader)?;
                let request = match reader.u8()? {
                    0x30 => return Err(Error::BadData("pipelined request in a pipelined one")),
                    inner => RequestBody::read_fields(inner, reader)?,
                };
                RequestBody::Pipelined {
                    handle,
                    request: Box::new(request),
                }
            }
            _ => return Err(Error::BadData("unknown request type")),
        })
    }
}

/// How the daemon signs a flight's CertificateVerify: `Handle key; uint16 scheme; uint8
/// hash; Padding padding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireFlightSigner {
    /// The private key's handle.
    pub key: Handle,
    /// The `SignatureScheme` code point.
    pub scheme: u16,
    /// The hash of the signed content (SHA-1 to SHA-512).
    pub hash: HashAlgorithm,
    /// The padding.
    pub padding: SignaturePadding,
}

impl WireFlightSigner {
    fn encode(&self, out: &mut Vec<u8>) {
        self.key.encode(out);
        put_u16(out, self.scheme);
        put_u8(out, hash_code(self.hash));
        put_padding(out, self.padding);
    }

    fn read(reader: &mut Reader<'_>) -> Result<WireFlightSigner> {
        Ok(WireFlightSigner {
            key: Handle::read(reader)?,
            scheme: reader.u16()?,
            hash: read_signature_hash(reader)?,
            padding: read_padding(reader)?,
        })
    }
}

/// The ticket the daemon seals at the end of a flight: `opaque aad<0..2^8-1>; opaque
/// fields<0..2^16-1>; opaque nonce<0..2^8-1>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFlightTicket13 {
    /// What the ticket is bound to.
    pub aad: Vec<u8>,
    /// The ticket's plaintext before the PSK's blob (at most [`MAX_TICKET_PLAINTEXT_LEN`]).
    pub fields: Vec<u8>,
    /// The `ticket_nonce` (at most 255 bytes).
    pub nonce: Vec<u8>,
}

impl WireFlightTicket13 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        put_vec_exact(out, LengthPrefix::U8, &self.aad)?;
        put_bounded(out, &self.fields, MAX_TICKET_PLAINTEXT_LEN)?;
        put_vec_exact(out, LengthPrefix::U8, &self.nonce)
    }

    fn read(reader: &mut Reader<'_>) -> Result<WireFlightTicket13> {
        Ok(WireFlightTicket13 {
            aad: reader.vec_u8()?.to_vec(),
            fields: read_bounded(reader, 0, MAX_TICKET_PLAINTEXT_LEN)?,
            nonce: reader.vec_u8()?.to_vec(),
        })
    }
}

/// The ticket the daemon seals in a TLS ≤ 1.2 flight: `opaque aad<0..2^8-1>; opaque
/// fields<0..2^16-1>; uint32 lifetime_hint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFlightTicket12 {
    /// What the ticket is bound to.
    pub aad: Vec<u8>,
    /// The ticket's plaintext before the master key's blob (at most
    /// [`MAX_TICKET_PLAINTEXT_LEN`]).
    pub fields: Vec<u8>,
    /// The NewSessionTicket's `ticket_lifetime_hint`.
    pub lifetime_hint: u32,
}

impl WireFlightTicket12 {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        put_vec_exact(out, LengthPrefix::U8, &self.aad)?;
        put_bounded(out, &self.fields, MAX_TICKET_PLAINTEXT_LEN)?;
        put_u32(out, self.lifetime_hint);
        Ok(())
    }

    fn read(reader: &mut Reader<'_>) -> Result<WireFlightTicket12> {
        Ok(WireFlightTicket12 {
            aad: reader.vec_u8()?.to_vec(),
            fields: read_bounded(reader, 0, MAX_TICKET_PLAINTEXT_LEN)?,
            lifetime_hint: reader.u32()?,
        })
    }
}

/// Writes `Flag present` and, when present, the value.
fn put_optional<T>(
    out: &mut Vec<u8>,
    value: Option<&T>,
    encode: impl FnOnce(&T, &mut Vec<u8>) -> Result<(), codec::Error>,
) -> Result<(), codec::Error> {
    put_flag(out, value.is_some());
    match value {
        Some(value) => encode(value, out),
        None => Ok(()),
    }
}

/// Reads `Flag present` and, when present, the value.
fn read_optional<T>(
    reader: &mut Reader<'_>,
    read: impl FnOnce(&mut Reader<'_>) -> Result<T>,
) -> Result<Option<T>> {
    match read_flag(reader)? {
        true => Ok(Some(read(reader)?)),
        false => Ok(None),
    }
}

/// What kind of private key a handle holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA: signs PKCS#1 and PSS, decrypts RSA premasters.
    Rsa,
    /// ECDSA: signs raw digests.
    Ecdsa,
}

/// What an opaque blob the daemon imported holds ([`ResponseBody::OpaqueKeyImported`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportedKey {
    /// A TLS ≤ 1.2 master key of this protocol and suite, owned by `side`.
    Master {
        /// Protocol and suite.
        cipher: Cipher,
        /// The side that owns the key.
        side: Side,
    },
    /// A TLS 1.3 secret.
    Tls13 {
        /// A TLS 1.3 suite.
        suite: &'static CipherSuite,
        /// Where the secret sits in the schedule.
        kind: SecretKind,
    },
}

impl ImportedKey {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ImportedKey::Master { cipher, side } => {
                put_u8(out, 1);
                cipher.encode(out);
                put_side(out, *side);
            }
            ImportedKey::Tls13 { suite, kind } => {
                put_u8(out, 3);
                put_u16(out, suite.id);
                put_secret_kind(out, *kind);
            }
        }
    }

    fn read(reader: &mut Reader<'_>) -> Result<ImportedKey> {
        match reader.u8()? {
            1 => {
                let cipher = Cipher::read(reader)?;
                if !cipher.suite.allows(cipher.protocol) || cipher.protocol == Protocol::Tls13 {
                    return Err(Error::BadData("master key of a suite its protocol lacks"));
                }
                Ok(ImportedKey::Master {
                    cipher,
                    side: read_side(reader)?,
                })
            }
            3 => Ok(ImportedKey::Tls13 {
                suite: read_tls13_suite(reader)?,
                kind: read_secret_kind(reader)?,
            }),
            _ => Err(Error::BadData("unknown imported key kind")),
        }
    }
}

/// The responses of protocol version 1, with their message types. Secret-bearing fields are
/// zeroizing [`SecretVec`]s.
#[derive(Debug)]
pub enum ResponseBody {
    /// 0x81: the daemon's protocol version.
    Hello {
        /// The version the daemon speaks on this connection.
        version: u16,
    },
    /// 0x82: an open private key.
    PrivateKeyOpened {
        /// The key's handle.
        key: Handle,
        /// RSA or ECDSA.
        algorithm: KeyAlgorithm,
        /// The length of its signatures.
        signature_len: u16,
        /// The certificate the key was opened for.
        certificate: Vec<u8>,
    },
    /// 0x83: a signature (ECDSA as `r ‖ s`).
    Signature {
        /// The signature.
        signature: Vec<u8>,
    },
    /// 0x84: a new handle of a master key or TLS 1.3 secret.
    Handle {
        /// The handle.
        handle: Handle,
    },
    /// 0x85: a new ephemeral key.
    EphemeralKeyCreated {
        /// The key's handle.
        key: Handle,
        /// Its public value as TLS carries it.
        public_value: Vec<u8>,
    },
    /// 0x86: Finished `verify_data` (12 bytes for TLS ≤ 1.2, the hash length for TLS 1.3).
    VerifyData {
        /// The verify data.
        verify_data: Vec<u8>,
    },
    /// 0x87: the caller's TLS ≤ 1.2 session keys, as `MAC key ‖ key ‖ IV` each.
    SessionKeyMaterial {
        /// The key for records the caller receives.
        read: SecretVec,
        /// The key for records the caller sends.
        write: SecretVec,
    },
    /// 0x88: TLS 1.3 traffic secret handles, each with the key material (`key ‖ IV`) of its
    /// write key, so that `SslExpandWriteKey` on it needs no request of its own.
    TrafficSecrets {
        /// The client's traffic secret.
        client: Handle,
        /// Its write key.
        client_write_key: SecretVec,
        /// The server's (none from the early secret).
        server: Option<Handle>,
        /// Its write key (exactly when there is a server secret).
        server_write_key: Option<SecretVec>,
    },
    /// 0x89: a TLS 1.3 record key, `key ‖ IV`.
    TrafficKeyMaterial {
        /// The key and IV.
        material: SecretVec,
    },
    /// 0x8A: exported keying material.
    KeyingMaterial {
        /// The material.
        material: SecretVec,
    },
    /// 0x8B: the handle is freed.
    Freed,
    /// 0x8C: an opaque blob sealed under the daemon's key store.
    OpaqueKeyBlob {
        /// The blob (1 to [`MAX_OPAQUE_SECRET_BLOB_LEN`] bytes).
        blob: Vec<u8>,
    },
    /// 0x8D: an opaque blob opened: the handle of the secret the daemon now keeps.
    OpaqueKeyImported {
        /// The new handle.
        handle: Handle,
        /// What the blob held.
        key: ImportedKey,
    },
    /// 0x8E: a sealed ticket.
    SealedTicket {
        /// The ticket (at most [`MAX_TICKET_LEN`] bytes).
        ticket: Vec<u8>,
    },
    /// 0x8F: an opened ticket's plaintext.
    OpenedTicket {
        /// The plaintext (at most [`MAX_TICKET_PLAINTEXT_LEN`] bytes).
        plaintext: Vec<u8>,
    },
    /// 0x90: a TLS 1.3 server's flight ([`RequestBody::Tls13ServerFlight`]): the handshake
    /// record keys, the messages the daemon wrote, the client's expected Finished, and the
    /// secrets that live on, with the write keys of the traffic secrets.
    ServerFlight {
        /// `key ‖ IV` of the client's handshake traffic.
        client_handshake_key: SecretVec,
        /// `key ‖ IV` of the server's handshake traffic.
        server_handshake_key: SecretVec,
        /// The CertificateVerify message, with a signer.
        certificate_verify: Option<Vec<u8>>,
        /// The server's Finished message.
        finished: Vec<u8>,
        /// The `verify_data` the client's Finished must carry.
        client_finished: Vec<u8>,
        /// `client_application_traffic_secret_0`.
        client_application: Handle,
        /// Its write key.
        client_application_key: SecretVec,
        /// `server_application_traffic_secret_0`.
        server_application: Handle,
        /// Its write key.
        server_application_key: SecretVec,
        /// `exporter_master_secret`.
        exporter: Handle,
        /// The sealed ticket, when one was asked for.
        ticket: Option<Vec<u8>>,
    },
    /// 0x91: a TLS ≤ 1.2 server's flight ([`RequestBody::Tls12ServerFlight`]).
    ServerFlight12 {
        /// `MAC key ‖ key ‖ IV` of the server's read direction.
        read: SecretVec,
        /// `MAC key ‖ key ‖ IV` of its write direction.
        write: SecretVec,
        /// The `verify_data` the client's Finished must carry.
        client_finished: Vec<u8>,
        /// The NewSessionTicket message, when a ticket was asked for.
        new_session_ticket: Option<Vec<u8>>,
        /// Our Finished message.
        finished: Vec<u8>,
        /// The master key's opaque blob, when asked for.
        blob: Option<Vec<u8>>,
    },
    /// 0xA0: a premaster the daemon keeps, and its encryption to the server's key.
    PreMasterKeyCreated {
        /// The premaster's handle.
        premaster: Handle,
        /// The ClientKeyExchange body without its length.
        encrypted_premaster: Vec<u8>,
    },
    /// 0xA1: an opaque session-key blob opened: the key, for the client to protect records.
    SessionKeyOpened {
        /// The key.
        key: WireSessionKey,
    },
    /// 0xA2: a certificate chain, leaf first (1 to [`MAX_CHAIN_LEN`] certificates, DER).
    CertificateChain {
        /// The certificates.
        certificates: Vec<Vec<u8>>,
    },
    /// 0xFF: the request failed with a Windows status.
    Error {
        /// The status (never success).
        status: Status,
    },
}

/// The longest secret a response carries (TLS ≤ 1.2 key material: 48 + 32 + 16).
const MAX_MATERIAL_LEN: usize = 96;
/// The longest CertificateVerify message a flight answers with (a 16384-bit RSA signature
/// and its headers).
const MAX_CERTIFICATE_VERIFY_LEN: usize = 4096;
/// The longest Finished message: its header and a SHA-512 `verify_data`.
const MAX_FINISHED_MESSAGE_LEN: usize = 4 + 64;
/// The longest NewSessionTicket message: its header, lifetime and the longest ticket.
const MAX_NEW_SESSION_TICKET_LEN: usize = 4 + 4 + 2 + MAX_TICKET_LEN;

fn read_material(reader: &mut Reader<'_>, max: usize) -> Result<SecretVec> {
    let material = reader.vec_u16()?;
    if material.len() > max {
        return Err(Error::BadData("key material length"));
    }
    Ok(SecretVec::from_slice(material))
}

impl Body for ResponseBody {
    fn message_type(&self) -> u8 {
        match self {
            ResponseBody::Hello { .. } => 0x81,
            ResponseBody::PrivateKeyOpened { .. } => 0x82,
            ResponseBody::Signature { .. } => 0x83,
            ResponseBody::Handle { .. } => 0x84,
            ResponseBody::EphemeralKeyCreated { .. } => 0x85,
            ResponseBody::VerifyData { .. } => 0x86,
            ResponseBody::SessionKeyMaterial { .. } => 0x87,
            ResponseBody::TrafficSecrets { .. } => 0x88,
            ResponseBody::TrafficKeyMaterial { .. } => 0x89,
            ResponseBody::KeyingMaterial { .. } => 0x8A,
            ResponseBody::Freed => 0x8B,
            ResponseBody::OpaqueKeyBlob { .. } => 0x8C,
            ResponseBody::OpaqueKeyImported { .. } => 0x8D,
            ResponseBody::SealedTicket { .. } => 0x8E,
            ResponseBody::OpenedTicket { .. } => 0x8F,
            ResponseBody::ServerFlight { .. } => 0x90,
            ResponseBody::ServerFlight12 { .. } => 0x91,
            ResponseBody::PreMasterKeyCreated { .. } => 0xA0,
            ResponseBody::SessionKeyOpened { .. } => 0xA1,
            ResponseBody::CertificateChain { .. } => 0xA2,
            ResponseBody::Error { .. } => 0xFF,
        }
    }

    fn encode_fields(&self, out: &mut Vec<u8>) -> Result<(), codec::Error> {
        match self {
            ResponseBody::Hello { version } => put_u16(out, *version),
            ResponseBody::PrivateKeyOpened {
                key,
                algorithm,
                signature_len,
                certificate,
            } => {
                key.encode(out);
                put_u8(
                    out,
                    match algorithm {
                        KeyAlgorithm::Rsa => 0,
                        KeyAlgorithm::Ecdsa => 1,
                    },
                );
                put_u16(out, *signature_len);
                put_vec_exact(out, LengthPrefix::U16, certificate)?;
            }
            ResponseBody::Signature { signature } => {
                put_vec_exact(out, LengthPrefix::U16, signature)?
            }
            ResponseBody::Handle { handle } => handle.encode(out),
            ResponseBody::EphemeralKeyCreated { key, public_value } => {
                key.encode(out);
                put_vec_exact(out, LengthPrefix::U16, public_value)?;
            }
            ResponseBody::VerifyData { verify_data } => put_digest(out, verify_data)?,
            ResponseBody::SessionKeyMaterial { read, write } => {
                put_vec_exact(out, LengthPrefix::U16, read.expose())?;
                put_vec_exact(out, LengthPrefix::U16, write.expose())?;
            }
            ResponseBody::TrafficSecrets {
                client,
                client_write_key,
                server,
                server_write_key,
            } => {
                client.encode(out);
                put_bounded(out, client_write_key.expose(), MAX_MATERIAL_LEN)?;
                out.extend_from_slice(&server.map_or(0, Handle::get).to_be_bytes());
                match (server, server_write_key) {
                    (Some(_), Some(key)) => put_bounded(out, key.expose(), MAX_MATERIAL_LEN)?,
                    (None, None) => {}
                    _ => return Err(codec::Error::TooLong),
                }
            }
            ResponseBody::TrafficKeyMaterial { material } => {
                put_vec_exact(out, LengthPrefix::U16, material.expose())?
            }
            ResponseBody::KeyingMaterial { material } => {
                put_vec_exact(out, LengthPrefix::U16, material.expose())?
            }
            ResponseBody::Freed => {}
            ResponseBody::OpaqueKeyBlob { blob } => {
                put_bounded(out, blob, MAX_OPAQUE_SECRET_BLOB_LEN)?
            }
            ResponseBody::OpaqueKeyImported { handle, key } => {
                handle.encode(out);
                key.encode(out);
            }
            ResponseBody::SealedTicket { ticket } => put_bounded(out, ticket, MAX_TICKET_LEN)?,
            ResponseBody::OpenedTicket { plaintext } => {
                put_bounded(out, plaintext, MAX_TICKET_PLAINTEXT_LEN)?
            }
            ResponseBody::ServerFlight {
                client_handshake_key,
                server_handshake_key,
                certificate_verify,
                finished,
                client_finished,
                client_application,
                client_application_key,
                server_application,
                server_application_key,
                exporter,
                ticket,
            } => {
                put_bounded(out, client_handshake_key.expose(), MAX_MATERIAL_LEN)?;
                put_bounded(out, server_handshake_key.expose(), MAX_MATERIAL_LEN)?;
                put_optional(out, certificate_verify.as_ref(), |message, out| {
                    put_bounded(out, message, MAX_CERTIFICATE_VERIFY_LEN)
                })?;
                put_bounded(out, finished, MAX_FINISHED_MESSAGE_LEN)?;
                put_digest(out, client_finished)?;
                client_application.encode(out);
                put_bounded(out, client_application_key.expose(), MAX_MATERIAL_LEN)?;
                server_application.encode(out);
                put_bounded(out, server_application_key.expose(), MAX_MATERIAL_LEN)?;
                exporter.encode(out);
                put_optional(out, ticket.as_ref(), |ticket, out| {
                    put_bounded(out, ticket, MAX_TICKET_LEN)
                })?;
            }
            ResponseBody::ServerFlight12 {
                read,
                write,
                client_finished,
                new_session_ticket,
                finished,
                blob,
            } => {
                put_bounded(out, read.expose(), MAX_MATERIAL_LEN)?;
                put_bounded(out, write.expose(), MAX_MATERIAL_LEN)?;
                put_digest(out, client_finished)?;
                put_optional(out, new_session_ticket.as_ref(), |message, out| {
                    put_bounded(out, message, MAX_NEW_SESSION_TICKET_LEN)
                })?;
                put_bounded(out, finished, MAX_FINISHED_MESSAGE_LEN)?;
                put_optional(out, blob.as_ref(), |blob, out| {
                    put_bounded(out, blob, MAX_OPAQUE_SECRET_BLOB_LEN)
                })?;
            }
            ResponseBody::PreMasterKeyCreated {
                premaster,
                encrypted_premaster,
            } => {
                premaster.encode(out);
                put_vec_exact(out, LengthPrefix::U16, encrypted_premaster)?;
            }
            ResponseBody::SessionKeyOpened { key } => key.encode(out)?,
            ResponseBody::CertificateChain { certificates } => {
                if certificates.is_empty() || certificates.len() > MAX_CHAIN_LEN {
                    return Err(codec::Error::TooLong);
                }
                put_u8(out, certificates.len() as u8);
                for certificate in certificates {
                    put_vec_exact(out, LengthPrefix::U16, certificate)?;
                }
            }
            ResponseBody::Error { status } => put_u32(out, status.0 as u32),
        }
        Ok(())
    }

    fn read_fields(message_type: u8, reader: &mut Reader<'_>) -> Result<ResponseBody> {
        Ok(match message_type {
            0x81 => ResponseBody::Hello {
                version: reader.u16()?,
            },
            0x82 => ResponseBody::PrivateKeyOpened {
                key: Handle::read(reader)?,
                algorithm: match reader.u8()? {
                    0 => KeyAlgorithm::Rsa,
                    1 => KeyAlgorithm::Ecdsa,
                    _ => return Err(Error::BadData("unknown key algorithm")),
                },
                signature_len: reader.u16()?,
                certificate: reader.vec_u16()?.to_vec(),
            },
            0x83 => ResponseBody::Signature {
                signature: reader.vec_u16()?.to_vec(),
            },
            0x84 => ResponseBody::Handle {
                handle: Handle::read(reader)?,
            },
            0x85 => ResponseBody::EphemeralKeyCreated {
                key: Handle::read(reader)?,
                public_value: reader.vec_u16()?.to_vec(),
            },
            0x86 => ResponseBody::VerifyData {
                verify_data: read_digest(reader)?,
            },
            0x87 => ResponseBody::SessionKeyMaterial {
                read: read_material(reader, MAX_MATERIAL_LEN)?,
                write: read_material(reader, MAX_MATERIAL_LEN)?,
            },
            0x88 => {
                let client = Handle::read(reader)?;
                let client_write_key = read_material(reader, MAX_MATERIAL_LEN)?;
                let server = Handle::read_optional(reader)?;
                let server_write_key = match server {
                    Some(_) => Some(read_material(reader, MAX_MATERIAL_LEN)?),
                    None => None,
                };
                ResponseBody::TrafficSecrets {
                    client,
                    client_write_key,
                    server,
                    server_write_key,
                }
            }
            0x89 => ResponseBody::TrafficKeyMaterial {
                material: read_material(reader, MAX_MATERIAL_LEN)?,
            },
            0x8A => ResponseBody::KeyingMaterial {
                material: read_material(reader, usize::from(MAX_EXPORT_LEN))?,
            },
            0x8B => ResponseBody::Freed,
            0x8C => ResponseBody::OpaqueKeyBlob {
                blob: read_bounded(reader, 1, MAX_OPAQUE_SECRET_BLOB_LEN)?,
            },
            0x8D => ResponseBody::OpaqueKeyImported {
                handle: Handle::read(reader)?,
                key: ImportedKey::read(reader)?,
            },
            0x8E => ResponseBody::SealedTicket {
                ticket: read_bounded(reader, 0, MAX_TICKET_LEN)?,
            },
            0x8F => ResponseBody::OpenedTicket {
                plaintext: read_bounded(reader, 0, MAX_TICKET_PLAINTEXT_LEN)?,
            },
            0x90 => ResponseBody::ServerFlight {
                client_handshake_key: read_material(reader, MAX_MATERIAL_LEN)?,
                server_handshake_key: read_material(reader, MAX_MATERIAL_LEN)?,
                certificate_verify: read_optional(reader, |reader| {
                    read_bounded(reader, 1, MAX_CERTIFICATE_VERIFY_LEN)
                })?,
                finished: read_bounded(reader, 1, MAX_FINISHED_MESSAGE_LEN)?,
                client_finished: read_digest(reader)?,
                client_application: Handle::read(reader)?,
                client_application_key: read_material(reader, MAX_MATERIAL_LEN)?,
                server_application: Handle::read(reader)?,
                server_application_key: read_material(reader, MAX_MATERIAL_LEN)?,
                exporter: Handle::read(reader)?,
                ticket: read_optional(reader, |reader| read_bounded(reader, 0, MAX_TICKET_LEN))?,
            },
            0x91 => ResponseBody::ServerFlight12 {
                read: read_material(reader, MAX_MATERIAL_LEN)?,
                write: read_material(reader, MAX_MATERIAL_LEN)?,
                client_finished: read_digest(reader)?,
                new_session_ticket: read_optional(reader, |reader| {
                    read_bounded(reader, 1, MAX_NEW_SESSION_TICKET_LEN)
                })?,
                finished: read_bounded(reader, 1, MAX_FINISHED_MESSAGE_LEN)?,
                blob: read_optional(reader, |reader| {
                    read_bounded(reader, 1, MAX_OPAQUE_SECRET_BLOB_LEN)
                })?,
            },
            0xA0 => ResponseBody::PreMasterKeyCreated {
                premaster: Handle::read(reader)?,
                encrypted_premaster: reader.vec_u16()?.to_vec(),
            },
            0xA1 => ResponseBody::SessionKeyOpened {
                key: WireSessionKey::read(reader)?,
            },
            0xA2 => {
                let count = usize::from(reader.u8()?);
                if count == 0 || count > MAX_CHAIN_LEN {
                    return Err(Error::BadData("certificate count"));
                }
                let mut certificates = Vec::with_capacity(count);
                for _ in 0..count {
                    certificates.push(read_bounded(reader, 1, usize::from(u16::MAX))?);
                }
                ResponseBody::CertificateChain { certificates }
            }
            0xFF => {
                let status = Status(reader.u32()? as i32);
                if status.is_success() {
                    return Err(Error::BadData("error response with success status"));
                }
                ResponseBody::Error { status }
            }
            _ => return Err(Error::BadData("unknown response type")),
        })
    }
}

impl Response {
    /// The error response to request `id` for `error`.
    pub fn error(id: u32, error: &Error) -> Response {
        Response {
            id,
            body: ResponseBody::Error {
                status: error.status(),
            },
        }
    }
}

/// A frame: a `u32` length then the body written by `body`.
fn to_frame(body: impl FnOnce(&mut Vec<u8>) -> Result<(), codec::Error>) -> Result<Vec<u8>> {
    let mut frame = vec![0u8; 4];
    if body(&mut frame).is_err() {
        frame.zeroize();
        return Err(Error::InvalidParameter("message field too long"));
    }
    let body_len = frame.len() - 4;
    let Some(len) = u32::try_from(body_len)
        .ok()
        .filter(|_| body_len <= MAX_FRAME_LEN)
    else {
        frame.zeroize();
        return Err(Error::InvalidParameter("message longer than a frame"));
    };
    if let Some(prefix) = frame.get_mut(..4) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
    Ok(frame)
}

/// What [`FrameReader::read_frame`] found.
#[derive(Debug)]
pub enum FrameRead {
    /// A whole frame body (the caller zeroizes it after decoding: it may carry secrets).
    Frame(Vec<u8>),
    /// A length prefix over the limit; its body was not read.
    TooLarge(u32),
    /// The peer closed the connection between frames.
    Closed,
}

/// How many bytes a [`FrameReader`] asks the socket for at once: a whole small frame, or
/// several (a request's answer and the answers of frees sent before it), in one read.
const READ_BUFFER_LEN: usize = 4096;

/// Reads frames from one stream through a small buffer, so that a frame and its length
/// prefix (and often the next frames) come in one read system call instead of two. Frames
/// carry secrets, so every buffered byte is wiped as soon as it is handed out, and the buffer
/// when the reader is dropped. Use one reader per stream for the stream's whole life: what
/// it has buffered belongs to the frames that follow.
pub struct FrameReader {
    buffer: Box<[u8; READ_BUFFER_LEN]>,
    /// Buffered bytes not yet handed out: `buffer[start..end]`.
    start: usize,
    end: usize,
}

impl Default for FrameReader {
    fn default() -> Self {
        FrameReader::new()
    }
}

impl FrameReader {
    /// An empty reader.
    pub fn new() -> FrameReader {
        FrameReader {
            buffer: Box::new([0; READ_BUFFER_LEN]),
            start: 0,
            end: 0,
        }
    }

    fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Moves the unread bytes to the front (wiping where they were) and reads once from
    /// `stream` into the free space. Returns what the read returned (0: end of stream).
    fn fill(&mut self, stream: &mut impl Read) -> io::Result<usize> {
        if self.start > 0 {
            let unread = self.buffered();
            self.buffer.copy_within(self.start..self.end, 0);
            if let Some(stale) = self.buffer.get_mut(unread..self.end) {
                stale.zeroize();
            }
            self.start = 0;
            self.end = unread;
        }
        let Some(free) = self.buffer.get_mut(self.end..) else {
            return Err(io::Error::other("frame reader buffer state"));
        };
        loop {
            match stream.read(free) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Hands out up to `out.len()` buffered bytes, wiping them in the buffer; returns how
    /// many.
    fn take(&mut self, out: &mut [u8]) -> usize {
        let count = out.len().min(self.buffered());
        if let (Some(to), Some(from)) = (
            out.get_mut(..count),
            self.buffer.get_mut(self.start..self.start + count),
        ) {
            to.copy_from_slice(from);
            from.zeroize();
        }
        self.start += count;
        count
    }

    /// True when a whole frame is buffered, so that the next [`FrameReader::read_frame`]
    /// reads nothing from the stream.
    pub fn has_frame(&self) -> bool {
        let buffered = self.buffer.get(self.start..self.end).unwrap_or_default();
        match buffered.first_chunk::<4>() {
            Some(prefix) => {
                let len = u32::from_be_bytes(*prefix);
                usize::try_from(len).is_ok_and(|len| buffered.len() - 4 >= len)
            }
            None => false,
        }
    }

    /// Reads one length-prefixed frame of at most `max_len` body bytes. A longer one is
    /// [`FrameRead::TooLarge`] and its body is left unread; a stream that ends cleanly
    /// between frames is [`FrameRead::Closed`]; one that ends inside a frame is an error.
    pub fn read_frame(&mut self, stream: &mut impl Read, max_len: usize) -> io::Result<FrameRead> {
        while self.buffered() < 4 {
            if self.fill(stream)? == 0 {
                return match self.buffered() {
                    0 => Ok(FrameRead::Closed),
                    _ => Err(io::ErrorKind::UnexpectedEof.into()),
                };
            }
        }
        let mut prefix = [0u8; 4];
        self.take(&mut prefix);
        let len = u32::from_be_bytes(prefix);
        match usize::try_from(len) {
            Ok(body_len) if body_len <= max_len => {
                let mut body = vec![0u8; body_len];
                let from_buffer = self.take(&mut body);
                if let Some(rest) = body.get_mut(from_buffer..) {
                    // A frame longer than the buffer: the rest straight from the stream.
                    stream.read_exact(rest)?;
                }
                Ok(FrameRead::Frame(body))
            }
            _ => Ok(FrameRead::TooLarge(len)),
        }
    }
}

impl Drop for FrameReader {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

/// Writes a whole frame (made by `to_frame`) and zeroizes it.
pub fn write_frame(stream: &mut impl Write, mut frame: Vec<u8>) -> io::Result<()> {
    let written = stream.write_all(&frame).and_then(|()| stream.flush());
    frame.zeroize();
    written
}

/// The [`Error`] a client reports for a status the daemon answered with: the variant whose
/// status it is. Statuses keyward never sends are `NTE_BAD_DATA` ("unknown status").
pub fn error_from_status(status: Status) -> Error {
    const FROM_DAEMON: &str = "reported by the keyiso daemon";
    match status {
        Status::NTE_INVALID_HANDLE => Error::InvalidHandle,
        Status::NTE_INVALID_PARAMETER => Error::InvalidParameter(FROM_DAEMON),
        Status::NTE_BAD_FLAGS => Error::BadFlags,
        Status::NTE_NOT_SUPPORTED => Error::NotSupported(FROM_DAEMON),
        Status::NTE_BAD_ALGID => Error::BadAlgorithm,
        Status::NTE_BAD_DATA => Error::BadData(FROM_DAEMON),
        Status::NTE_BUFFER_TOO_SMALL => Error::BufferTooSmall { needed: 0 },
        Status::NTE_BUFFERS_OVERLAP => Error::BuffersOverlap,
        Status::NTE_DECRYPTION_FAILURE => Error::DecryptionFailure,
        Status::STATUS_AUTH_TAG_MISMATCH => Error::AuthTagMismatch,
        Status::NTE_BAD_SIGNATURE => Error::BadSignature,
        Status::NTE_NOT_FOUND => Error::NotFound,
        Status::NTE_NO_MORE_ITEMS => Error::NoMoreItems,
        Status::NTE_PROV_DLL_NOT_FOUND => Error::UnknownProvider,
        Status::NTE_FAIL => Error::Backend,
        Status::NTE_INTERNAL_ERROR => Error::Internal(FROM_DAEMON),
        Status::NTE_NO_MEMORY => Error::LimitExceeded(FROM_DAEMON),
        Status::NTE_DEVICE_NOT_READY => Error::Busy,
        Status::NTE_PERM => Error::AccessDenied,
        _ => Error::BadData("unknown status from the keyiso daemon"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::backend::Curve;

    fn handle(value: u64) -> Handle {
        Handle::new(value).unwrap()
    }

    fn tls12_cipher() -> Cipher {
        Cipher {
            protocol: Protocol::Tls12,
            suite: CipherSuite::from_id(0xC02F).unwrap(),
        }
    }

    fn params() -> WireParameters {
        WireParameters {
            randoms: Some(([1; 32], [2; 32])),
            highest_version: Some(0x0303),
            session_hash: Some(vec![3; 32]),
            encrypt_then_mac: true,
        }
    }

    fn every_request() -> Vec<RequestBody> {
        let tls13 = CipherSuite::from_id(0x1301).unwrap();
        vec![
            RequestBody::Hello { version: 1 },
            RequestBody::OpenPrivateKey {
                certificate: vec![0x30; 500],
            },
            RequestBody::SignHash {
                key: handle(7),
                padding: SignaturePadding::Raw,
                hash_value: vec![1; 36],
            },
            RequestBody::SignHash {
                key: handle(7),
                padding: SignaturePadding::Pkcs1(HashAlgorithm::Sha256),
                hash_value: vec![1; 32],
            },
            RequestBody::SignHash {
                key: handle(7),
                padding: SignaturePadding::Pss(HashAlgorithm::Sha384),
                hash_value: vec![1; 48],
            },
            RequestBody::ImportMasterKey {
                key: handle(u64::MAX),
                cipher: Cipher {
                    protocol: Protocol::Tls12,
                    suite: CipherSuite::from_id(0x009C).unwrap(),
                },
                params: params(),
                encrypted_premaster: vec![9; 256],
            },
            RequestBody::CreateEphemeralKey {
                cipher: tls12_cipher(),
                group: Group::Ec(Curve::X25519),
            },
            RequestBody::GenerateMasterKey {
                ephemeral: handle(2),
                peer_public: vec![4; 32],
                cipher: tls12_cipher(),
                params: WireParameters::default(),
                side: Side::Server,
            },
            RequestBody::ComputeFinished {
                master: handle(3),
                sender: Side::Client,
                transcript_digest: vec![5; 32],
            },
            RequestBody::GenerateSessionKeys {
                master: handle(3),
                params: params(),
            },
            RequestBody::Tls13ExtractEarlyKey { suite: tls13 },
            RequestBody::Tls13ExtractHandshakeKey {
                ephemeral: handle(4),
                peer_public: vec![6; 65],
                early: handle(5),
            },
            RequestBody::Tls13ExtractMasterKey {
                handshake: handle(6),
            },
            RequestBody::Tls13ExpandTrafficKeys {
                base: handle(6),
                transcript_digest: vec![7; 32],
            },
            RequestBody::Tls13ExpandWriteKey { traffic: handle(8) },
            RequestBody::Tls13ComputeFinished {
                traffic: handle(8),
                transcript_digest: vec![8; 48],
            },
            RequestBody::Tls13ExpandExporterMasterKey {
                base: handle(9),
                transcript_digest: vec![9; 32],
            },
            RequestBody::ExportKeyingMaterial {
                key: handle(10),
                label: b"EXPORTER-test".to_vec(),
                context: Some(b"context".to_vec()),
                randoms: Some([1; 64]),
                length: 32,
            },
            RequestBody::ExportKeyingMaterial {
                key: handle(10),
                label: Vec::new(),
                context: None,
                randoms: None,
                length: 1024,
            },
            RequestBody::FreeHandle { handle: handle(11) },
            RequestBody::Tls13UpdateTrafficSecret {
                traffic: handle(12),
            },
            RequestBody::Tls13ExpandResumptionMasterKey {
                master: handle(13),
                transcript_digest: vec![13; 48],
            },
            RequestBody::Tls13ExpandPreSharedKey {
                resumption_master: handle(14),
                ticket_nonce: vec![0],
            },
            RequestBody::Tls13ExpandPreSharedKey {
                resumption_master: handle(14),
                ticket_nonce: vec![14; 255],
            },
            RequestBody::Tls13ExtractEarlyKeyWithPsk {
                psk: handle(15),
                suite: tls13,
            },
            RequestBody::Tls13ExpandBinderKey {
                early: handle(16),
                resumption: true,
            },
            RequestBody::Tls13ExpandBinderKey {
                early: handle(16),
                resumption: false,
            },
            RequestBody::ExportOpaqueKey { key: handle(17) },
            RequestBody::ImportOpaqueKey {
                blob: vec![18; MAX_OPAQUE_SECRET_BLOB_LEN],
            },
            RequestBody::SealTicket {
                aad: b"keyward session ticket 1".to_vec(),
                plaintext: vec![19; MAX_TICKET_PLAINTEXT_LEN],
            },
            RequestBody::SealTicket {
                aad: Vec::new(),
                plaintext: Vec::new(),
            },
            RequestBody::SealTicketWithSecret {
                aad: b"keyward session ticket 1".to_vec(),
                plaintext: vec![21; 40],
                secret: handle(21),
            },
            RequestBody::OpenTicket {
                aad: vec![20; 255],
                ticket: vec![20; MAX_TICKET_LEN],
            },
            RequestBody::Tls13ServerFlight {
                handshake: handle(22),
                through_server_hello: vec![22; 300],
                before_verify: vec![23; 900],
                signer: Some(WireFlightSigner {
                    key: handle(23),
                    scheme: 0x0804,
                    hash: HashAlgorithm::Sha256,
                    padding: SignaturePadding::Pss(HashAlgorithm::Sha256),
                }),
                ticket: Some(WireFlightTicket13 {
                    aad: b"keyward session ticket 1".to_vec(),
                    fields: vec![24; 30],
                    nonce: vec![0],
                }),
            },
            RequestBody::Tls13ServerFlight {
                handshake: handle(22),
                through_server_hello: vec![22; 1],
                before_verify: vec![23; 1],
                signer: None,
                ticket: None,
            },
            RequestBody::Tls12ServerFlight {
                master: handle(24),
                params: params(),
                transcript: vec![25; 1200],
                ticket: Some(WireFlightTicket12 {
                    aad: Vec::new(),
                    fields: vec![26; 20],
                    lifetime_hint: 7200,
                }),
                export: true,
            },
            RequestBody::Tls12ServerFlight {
                master: handle(24),
                params: params(),
                transcript: vec![25; 1],
                ticket: None,
                export: false,
            },
            RequestBody::Tls13ImportPreSharedKey {
                suite: CipherSuite::from_id(0x1302).unwrap(),
                psk: WireSecret(SecretVec::from_slice(&[27; MAX_PSK_LEN])),
            },
            RequestBody::GeneratePreMasterKey {
                server_key: vec![0x52; 283],
                cipher: Cipher {
                    protocol: Protocol::Tls12,
                    suite: CipherSuite::from_id(0x009C).unwrap(),
                },
                params: WireParameters {
                    highest_version: Some(0x0303),
                    ..WireParameters::default()
                },
            },
            RequestBody::PreMasterMasterKey {
                premaster: handle(12),
                params: params(),
            },
            RequestBody::ComputeEapKeyBlock {
                master: handle(3),
                randoms: [13; 64],
                eap_id: 3,
            },
            RequestBody::SealSessionKey { key: session_key() },
            RequestBody::OpenSessionKey {
                blob: vec![15; 136],
            },
            RequestBody::CertificateChain {
                name: "keyward-localhost-rsa".into(),
            },
            RequestBody::Pipelined {
                handle: Handle::FIRST_CLIENT_NAME,
                request: Box::new(RequestBody::Tls13ExtractMasterKey {
                    handshake: handle(16),
                }),
            },
        ]
    }

    fn session_key() -> WireSessionKey {
        WireSessionKey {
            cipher: tls12_cipher(),
            direction: Direction::Write,
            cbc_mode: CbcMode::EncryptThenMac,
            state: SecretVec::from_slice(&[16; 20]),
        }
    }

    fn every_response() -> Vec<ResponseBody> {
        vec![
            ResponseBody::Hello { version: 1 },
            ResponseBody::PrivateKeyOpened {
                key: handle(1),
                algorithm: KeyAlgorithm::Ecdsa,
                signature_len: 64,
                certificate: vec![0x30; 400],
            },
            ResponseBody::Signature {
                signature: vec![1; 256],
            },
            ResponseBody::Handle { handle: handle(2) },
            ResponseBody::EphemeralKeyCreated {
                key: handle(3),
                public_value: vec![4; 32],
            },
            ResponseBody::VerifyData {
                verify_data: vec![5; 12],
            },
            ResponseBody::SessionKeyMaterial {
                read: SecretVec::from_slice(&[6; 20]),
                write: SecretVec::from_slice(&[7; 20]),
            },
            ResponseBody::TrafficSecrets {
                client: handle(8),
                client_write_key: SecretVec::from_slice(&[8; 28]),
                server: Some(handle(9)),
                server_write_key: Some(SecretVec::from_slice(&[9; 44])),
            },
            ResponseBody::TrafficSecrets {
                client: handle(8),
                client_write_key: SecretVec::from_slice(&[8; 28]),
                server: None,
                server_write_key: None,
            },
            ResponseBody::TrafficKeyMaterial {
                material: SecretVec::from_slice(&[10; 28]),
            },
            ResponseBody::KeyingMaterial {
                material: SecretVec::from_slice(&[11; 64]),
            },
            ResponseBody::Freed,
            ResponseBody::OpaqueKeyBlob { blob: vec![12; 92] },
            ResponseBody::OpaqueKeyImported {
                handle: handle(13),
                key: ImportedKey::Master {
                    cipher: tls12_cipher(),
                    side: Side::Server,
                },
            },
            ResponseBody::OpaqueKeyImported {
                handle: handle(14),
                key: ImportedKey::Tls13 {
                    suite: CipherSuite::from_id(0x1302).unwrap(),
                    kind: SecretKind::PreSharedKey,
                },
            },
            ResponseBody::SealedTicket {
                ticket: vec![15; 120],
            },
            ResponseBody::OpenedTicket {
                plaintext: Vec::new(),
            },
            ResponseBody::ServerFlight {
                client_handshake_key: SecretVec::from_slice(&[1; 28]),
                server_handshake_key: SecretVec::from_slice(&[2; 28]),
                certificate_verify: Some(vec![15; 264]),
                finished: vec![20; 36],
                client_finished: vec![3; 32],
                client_application: handle(4),
                client_application_key: SecretVec::from_slice(&[4; 28]),
                server_application: handle(5),
                server_application_key: SecretVec::from_slice(&[5; 28]),
                exporter: handle(6),
                ticket: Some(vec![6; 200]),
            },
            ResponseBody::ServerFlight {
                client_handshake_key: SecretVec::from_slice(&[1; 44]),
                server_handshake_key: SecretVec::from_slice(&[2; 44]),
                certificate_verify: None,
                finished: vec![20; 52],
                client_finished: vec![3; 48],
                client_application: handle(4),
                client_application_key: SecretVec::from_slice(&[4; 44]),
                server_application: handle(5),
                server_application_key: SecretVec::from_slice(&[5; 44]),
                exporter: handle(6),
                ticket: None,
            },
            ResponseBody::ServerFlight12 {
                read: SecretVec::from_slice(&[7; 40]),
                write: SecretVec::from_slice(&[8; 40]),
                client_finished: vec![9; 12],
                new_session_ticket: Some(vec![4; 300]),
                finished: vec![20; 16],
                blob: Some(vec![10; 100]),
            },
            ResponseBody::ServerFlight12 {
                read: SecretVec::from_slice(&[7; 40]),
                write: SecretVec::from_slice(&[8; 40]),
                client_finished: vec![9; 12],
                new_session_ticket: None,
                finished: vec![20; 16],
                blob: None,
            },
            ResponseBody::PreMasterKeyCreated {
                premaster: handle(12),
                encrypted_premaster: vec![14; 256],
            },
            ResponseBody::SessionKeyOpened { key: session_key() },
            ResponseBody::CertificateChain {
                certificates: vec![vec![0x30; 700], vec![0x30; 600]],
            },
            ResponseBody::Error {
                status: Status::NTE_INVALID_HANDLE,
            },
        ]
    }

    fn body_of(frame: &[u8]) -> &[u8] {
        let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - 4);
        &frame[4..]
    }

    #[test]
    fn every_request_round_trips() {
        for (at, body) in every_request().into_iter().enumerate() {
            let request = Request {
                id: at as u32 + 1,
                body,
            };
            let frame = request.to_frame().unwrap();
            assert_eq!(Request::decode(body_of(&frame)).unwrap(), request);
        }
    }

    #[test]
    fn every_response_round_trips() {
        for (at, body) in every_response().into_iter().enumerate() {
            let response = Response {
                id: at as u32 + 1,
                body,
            };
            let frame = response.to_frame().unwrap();
            let decoded = Response::decode(body_of(&frame)).unwrap();
            assert_eq!(decoded.id, response.id);
            assert_eq!(decoded.to_frame().unwrap(), frame);
        }
    }

    #[test]
    fn truncated_bodies_are_refused() {
        for body in every_request() {
            let frame = Request { id: 1, body }.to_frame().unwrap();
            let body = body_of(&frame);
            for len in 0..body.len() {
                assert_eq!(
                    Request::decode(&body[..len]).unwrap_err().status(),
                    Status::NTE_BAD_DATA,
                    "{len} bytes of {body:?}"
                );
            }
        }
        for body in every_response() {
            let frame = Response { id: 1, body }.to_frame().unwrap();
            let body = body_of(&frame);
            for len in 0..body.len() {
                assert!(Response::decode(&body[..len]).is_err());
            }
        }
    }

    #[test]
    fn trailing_bytes_are_refused() {
        for body in every_request() {
            let frame = Request { id: 1, body }.to_frame().unwrap();
            let mut body = body_of(&frame).to_vec();
            body.push(0);
            assert_eq!(
                Request::decode(&body).unwrap_err(),
                Error::BadData("input has trailing bytes")
            );
        }
        for body in every_response() {
            let frame = Response { id: 1, body }.to_frame().unwrap();
            let mut body = body_of(&frame).to_vec();
            body.push(0);
            assert!(Response::decode(&body).is_err());
        }
    }

    #[test]
    fn unknown_types_and_enumerations_are_refused() {
        let refused = |body: &[u8]| Request::decode(body).unwrap_err().status();
        // Unknown message types.
        assert_eq!(refused(&[0, 0, 0, 1, 0x00]), Status::NTE_BAD_DATA);
        assert_eq!(refused(&[0, 0, 0, 1, 0x1B]), Status::NTE_BAD_DATA);
        assert_eq!(refused(&[0, 0, 0, 1, 0x81, 0, 1]), Status::NTE_BAD_DATA);
        // CreateEphemeralKey with an unknown protocol, suite and group.
        let ephemeral = |protocol: u16, suite: u16, group: u16| {
            let mut body = vec![0, 0, 0, 1, 0x05];
            body.extend_from_slice(&protocol.to_be_bytes());
            body.extend_from_slice(&suite.to_be_bytes());
            body.extend_from_slice(&group.to_be_bytes());
            body
        };
        assert!(Request::decode(&ephemeral(0x0303, 0xC02F, 29)).is_ok());
        assert_eq!(
            refused(&ephemeral(0x0399, 0xC02F, 29)),
            Status::NTE_BAD_DATA
        );
        assert_eq!(
            refused(&ephemeral(0x0303, 0xFFFF, 29)),
            Status::NTE_BAD_DATA
        );
        assert_eq!(
            refused(&ephemeral(0x0303, 0xC02F, 0x9999)),
            Status::NTE_BAD_DATA
        );
        // A zero handle, an unknown side, an unknown padding, unknown parameter flags.
        let mut free_zero = vec![0, 0, 0, 1, 0x11];
        free_zero.extend_from_slice(&[0; 8]);
        assert_eq!(refused(&free_zero), Status::NTE_BAD_DATA);
        let mut finished = vec![0, 0, 0, 1, 0x07, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 0];
        assert_eq!(refused(&finished), Status::NTE_BAD_DATA);
        finished[13] = 0;
        finished[14] = 0;
        assert_eq!(refused(&finished), Status::NTE_BAD_DATA); // empty digest
        let mut sign = vec![0, 0, 0, 1, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 3, 1, 1];
        assert_eq!(refused(&sign), Status::NTE_BAD_DATA);
        sign[13] = 1;
        sign[14] = 0; // PKCS#1 with MD5
        assert_eq!(refused(&sign), Status::NTE_BAD_DATA);
        let mut session_keys = vec![0, 0, 0, 1, 0x08, 0, 0, 0, 0, 0, 0, 0, 1, 0x10];
        assert_eq!(refused(&session_keys), Status::NTE_BAD_DATA);
        session_keys[13] = 0;
        assert!(Request::decode(&session_keys).is_ok());
        // An error response must not carry success.
        assert!(Response::decode(&[0, 0, 0, 1, 0xFF, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn resumption_and_ticket_fields_are_checked() {
        let refused = |body: &[u8]| Request::decode(body).unwrap_err().status();
        let with_handle = |kind: u8, rest: &[u8]| {
            let mut body = vec![0, 0, 0, 1, kind, 0, 0, 0, 0, 0, 0, 0, 1];
            body.extend_from_slice(rest);
            body
        };
        // A ticket nonce of 256 bytes does not fit its one-byte prefix; 255 does.
        let mut nonce = vec![255];
        nonce.extend_from_slice(&[0; 255]);
        assert!(Request::decode(&with_handle(0x14, &nonce)).is_ok());
        // An early secret from a PSK needs a TLS 1.3 suite.
        assert!(Request::decode(&with_handle(0x15, &[0x13, 0x01])).is_ok());
        assert_eq!(
            refused(&with_handle(0x15, &[0xC0, 0x2F])),
            Status::NTE_BAD_DATA
        );
        // The binder flag is 0 or 1.
        assert_eq!(refused(&with_handle(0x16, &[2])), Status::NTE_BAD_DATA);
        // An empty blob, and one longer than any opaque secret blob.
        assert_eq!(refused(&[0, 0, 0, 1, 0x18, 0, 0]), Status::NTE_BAD_DATA);
        let too_long = (MAX_OPAQUE_SECRET_BLOB_LEN + 1) as u16;
        let mut blob = vec![0, 0, 0, 1, 0x18];
        blob.extend_from_slice(&too_long.to_be_bytes());
        blob.resize(blob.len() + usize::from(too_long), 0);
        assert_eq!(refused(&blob), Status::NTE_BAD_DATA);
        // A ticket over the limit.
        let too_long = (MAX_TICKET_LEN + 1) as u16;
        let mut ticket = vec![0, 0, 0, 1, 0x1A, 0];
        ticket.extend_from_slice(&too_long.to_be_bytes());
        ticket.resize(ticket.len() + usize::from(too_long), 0);
        assert_eq!(refused(&ticket), Status::NTE_BAD_DATA);
        // Encoding refuses what decoding would.
        let request = Request {
            id: 1,
            body: RequestBody::SealTicket {
                aad: Vec::new(),
                plaintext: vec![0; MAX_TICKET_PLAINTEXT_LEN + 1],
            },
        };
        assert!(request.to_frame().is_err());
        let request = Request {
            id: 1,
            body: RequestBody::Tls13ExpandPreSharedKey {
                resumption_master: handle(1),
                ticket_nonce: vec![0; 256],
            },
        };
        assert!(request.to_frame().is_err());

        // Imported keys: unknown kinds, a TLS 1.3 "master key", an unknown secret kind.
        let imported = |key: &[u8]| {
            let mut body = vec![0, 0, 0, 1, 0x8D, 0, 0, 0, 0, 0, 0, 0, 1];
            body.extend_from_slice(key);
            Response::decode(&body)
        };
        assert!(imported(&[1, 0x03, 0x03, 0xC0, 0x2F, 1]).is_ok());
        assert!(imported(&[1, 0x03, 0x04, 0x13, 0x01, 1]).is_err());
        assert!(imported(&[1, 0x03, 0x03, 0xC0, 0x2F, 2]).is_err());
        assert!(imported(&[3, 0x13, 0x01, 13]).is_ok());
        assert!(imported(&[3, 0x13, 0x01, 14]).is_err());
        assert!(imported(&[3, 0xC0, 0x2F, 0]).is_err());
        assert!(imported(&[2, 0x13, 0x01, 0]).is_err());
        // An empty opaque blob from the daemon.
        assert!(Response::decode(&[0, 0, 0, 1, 0x8C, 0, 0]).is_err());
    }

    #[test]
    fn overlong_fields_are_refused_when_encoding() {
        let request = Request {
            id: 1,
            body: RequestBody::OpenPrivateKey {
                certificate: vec![0; MAX_FRAME_LEN],
            },
        };
        assert_eq!(
            request.to_frame().unwrap_err().status(),
            Status::NTE_INVALID_PARAMETER
        );
        assert!(request.to_vec().is_empty());
        let request = Request {
            id: 1,
            body: RequestBody::SignHash {
                key: handle(1),
                padding: SignaturePadding::Raw,
                hash_value: vec![0; 65],
            },
        };
        assert!(request.to_frame().is_err());
    }

    #[test]
    fn frames_over_the_limit_are_refused_before_reading_them() {
        let mut stream: &[u8] = &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3];
        match FrameReader::new()
            .read_frame(&mut stream, MAX_FRAME_LEN)
            .unwrap()
        {
            FrameRead::TooLarge(len) => assert_eq!(len, u32::MAX),
            other => panic!("{other:?}"),
        }
        let mut stream: &[u8] = &[0, 0, 0, 3, 1, 2, 3];
        let mut reader = FrameReader::new();
        match reader.read_frame(&mut stream, 3).unwrap() {
            FrameRead::Frame(body) => assert_eq!(body, [1, 2, 3]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            reader.read_frame(&mut stream, 3).unwrap(),
            FrameRead::Closed
        ));
        let mut stream: &[u8] = &[0, 0, 0, 3, 1];
        assert!(FrameReader::new().read_frame(&mut stream, 3).is_err());
        let mut stream: &[u8] = &[0, 0];
        assert!(FrameReader::new().read_frame(&mut stream, 3).is_err());
    }

    /// One read brings several frames and part of the next; a frame longer than the buffer
    /// comes partly from it and partly straight from the stream; every byte handed out is
    /// wiped from the buffer.
    #[test]
    fn the_frame_reader_splits_what_one_read_brings() {
        let big = vec![7u8; READ_BUFFER_LEN * 2 + 5];
        let mut bytes = Vec::new();
        for body in [&b"one"[..], &b""[..], &b"three"[..], &big[..]] {
            bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
            bytes.extend_from_slice(body);
        }
        let mut stream: &[u8] = &bytes;
        let mut reader = FrameReader::new();
        for expected in [&b"one"[..], &b""[..], &b"three"[..], &big[..]] {
            match reader.read_frame(&mut stream, MAX_FRAME_LEN).unwrap() {
                FrameRead::Frame(body) => assert_eq!(body, expected),
                other => panic!("{other:?}"),
            }
            assert!(reader.buffer[..reader.start].iter().all(|&b| b == 0));
        }
        assert!(matches!(
            reader.read_frame(&mut stream, MAX_FRAME_LEN).unwrap(),
            FrameRead::Closed
        ));
    }

    #[test]
    fn statuses_map_back_to_their_errors() {
        for error in [
            Error::InvalidHandle,
            Error::NotFound,
            Error::AccessDenied,
            Error::Busy,
            Error::LimitExceeded("x"),
            Error::UnknownProvider,
            Error::BadSignature,
        ] {
            assert_eq!(error_from_status(error.status()).status(), error.status());
        }
    }
}

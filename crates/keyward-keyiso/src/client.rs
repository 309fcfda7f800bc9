//! The client: typed calls to the daemon on one connection, in order. A call that waits for
//! its answer sends, in the same write, the pipelined requests queued before it
//! ([`Client::pipeline`]).
//!
//! Handles are valid only on the [`Client`] that made them; the daemon frees them all when the
//! client is dropped (its connection closes) or one by one with [`Client::free`]. Record keys
//! are built here, in the caller's process, from the key material the daemon sends.

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::peer::{peer_closed, NoSignalWriter};
use crate::protocol::{
    error_from_status, Cipher, FrameRead, FrameReader, Handle, ImportedKey, KeyAlgorithm, Request,
    RequestBody, Response, ResponseBody, WireParameters, MAX_FRAME_LEN, PROTOCOL_VERSION,
    UNSOLICITED,
};
use keyward_core::codec::Codec;
use keyward_core::{Error, Result, SecretVec};
use keyward_ssl::master::FINISHED_LEN;
use keyward_ssl::{
    CbcMode, CipherSuite, Direction, Group, Parameters, Protocol, PublicKey, SecretKind,
    SessionKey, SessionKeys, Side, SignaturePadding,
};
use std::io::{self, ErrorKind, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroize;

/// How long the client waits for one answer before giving up on the daemon.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// A private key held by the daemon.
#[derive(Clone, Debug)]
pub struct RemotePrivateKey {
    handle: Handle,
    algorithm: KeyAlgorithm,
    signature_len: usize,
    certificate: Vec<u8>,
}

impl RemotePrivateKey {
    /// The daemon's handle.
    pub fn handle(&self) -> Handle {
        self.handle
    }
    /// RSA or ECDSA.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }
    /// The length of its signatures (`SslSignHash` size query).
    pub fn signature_len(&self) -> usize {
        self.signature_len
    }
    /// The certificate (DER) the key was opened for.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }
}

/// An ephemeral key held by the daemon, with its public value.
#[derive(Clone, Debug)]
pub struct RemoteEphemeralKey {
    handle: Handle,
    group: Group,
    public_value: Vec<u8>,
}

impl RemoteEphemeralKey {
    /// The daemon's handle.
    pub fn handle(&self) -> Handle {
        self.handle
    }
    /// The key's group.
    pub fn group(&self) -> Group {
        self.group
    }
    /// The public value as TLS carries it (key share, ECPoint or DH Ys).
    pub fn public_value(&self) -> &[u8] {
        &self.public_value
    }
    /// The public value as a validated key.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_tls(self.group, &self.public_value)
    }
}

/// A TLS ≤ 1.2 master key held by the daemon.
#[derive(Clone, Copy, Debug)]
pub struct RemoteMasterKey {
    handle: Handle,
    protocol: Protocol,
    suite: &'static CipherSuite,
    side: Side,
}

impl RemoteMasterKey {
    /// The daemon's handle.
    pub fn handle(&self) -> Handle {
        self.handle
    }
    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
    /// The suite.
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }
    /// The side that owns it.
    pub fn side(&self) -> Side {
        self.side
    }
}

/// A TLS 1.3 key-schedule secret held by the daemon.
#[derive(Clone, Copy, Debug)]
pub struct RemoteTls13Secret {
    handle: Handle,
    suite: &'static CipherSuite,
    kind: SecretKind,
}

impl RemoteTls13Secret {
    /// The daemon's handle.
    pub fn handle(&self) -> Handle {
        self.handle
    }
    /// The suite.
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }
    /// Where the secret sits in the schedule.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }
}

/// What an opaque blob held, as the daemon imported it ([`Client::import_opaque_key`]).
#[derive(Clone, Copy, Debug)]
pub enum RemoteOpaqueKey {
    /// A TLS ≤ 1.2 master key.
    Master(RemoteMasterKey),
    /// A TLS 1.3 secret.
    Tls13(RemoteTls13Secret),
}

struct Connection {
    stream: UnixStream,
    reader: FrameReader,
    next_id: u32,
    /// The name of the next pipelined object ([`Client::pipeline`]).
    next_name: Handle,
    /// Requests not sent yet (pipelined ones), sent together with the next request that is
    /// sent at once; wiped when sent.
    outgoing: Vec<u8>,
    /// True when `outgoing` holds a pipelined request: a request that uses its object is
    /// coming, and frees can wait for it.
    pipelined: bool,
    /// Requests sent or queued without waiting (frees, pipelined requests and those of
    /// [`Client::send_later`]) whose answers are still to be read before the next answer
    /// that is waited for.
    unanswered: usize,
    /// The ids of the [`Client::send_later`] requests among them: their answers are kept.
    later: Vec<u32>,
    /// The answers kept, by request id, until [`Client::answer_of`] takes them.
    kept: Vec<(u32, Result<ResponseBody>)>,
}

/// Room for the requests queued between two writes (a few pipelined requests and the one
/// sent with them) without growing, so that no copy of a request is left behind by a move.
const OUTGOING_CAPACITY: usize = 4096;

/// Most requests sent without waiting before their answers are read: the daemon's answers
/// wait in the socket buffer meanwhile, and must never fill it.
const MAX_UNANSWERED: usize = 64;

impl Connection {
    /// A new request id (never [`UNSOLICITED`]).
    fn next_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = match id.wrapping_add(1) {
            UNSOLICITED => 1,
            next => next,
        };
        id
    }

    /// Queues `body` as a request with a new id, to be sent with the next [`Connection::send`].
    fn queue(&mut self, body: RequestBody) -> Result<u32> {
        let id = self.next_id();
        let mut frame = Request { id, body }.to_frame()?;
        self.outgoing.extend_from_slice(&frame);
        frame.zeroize();
        Ok(id)
    }

    /// Sends every queued request in one write, and wipes them.
    fn send(&mut self) -> io::Result<()> {
        let mut writer = NoSignalWriter(&self.stream);
        let written = writer
            .write_all(&self.outgoing)
            .and_then(|()| writer.flush());
        self.outgoing.zeroize();
        self.pipelined = false;
        written
    }

    /// Reads the next answer as a frame.
    fn read_answer(&mut self, written: io::Result<()>) -> Result<Vec<u8>> {
        match self.reader.read_frame(&mut self.stream, MAX_FRAME_LEN) {
            Ok(FrameRead::Frame(answer)) => Ok(answer),
            Ok(FrameRead::TooLarge(_)) => Err(unexpected()),
            Ok(FrameRead::Closed) => Err(match written {
                Err(error) => io_error(error),
                Ok(()) => Error::Io("keyiso daemon closed the connection".into()),
            }),
            Err(error) => Err(io_error(error)),
        }
    }

    /// Queues `body` as a request that is not waited for (its answer is read before the next
    /// one that is); when [`MAX_UNANSWERED`] are already, first sends what is queued and
    /// reads their answers. Returns the request's id.
    fn queue_unanswered(&mut self, body: RequestBody) -> Result<u32> {
        if self.unanswered >= MAX_UNANSWERED {
            self.send().map_err(io_error)?;
            self.drain_unanswered()?;
        }
        let id = self.queue(body)?;
        self.unanswered += 1;
        Ok(id)
    }

    /// Reads and drops the answers of the requests sent without waiting. A free's says the
    /// handle is freed, or was gone already; a pipelined request's gives the name the client
    /// chose, or says it failed, which the daemon reports to every request that uses the
    /// name: either way there is nothing left to do.
    /// The answers of [`Client::send_later`] requests are kept instead.
    fn drain_unanswered(&mut self) -> Result<()> {
        while self.unanswered > 0 {
            let mut answer = self.read_answer(Ok(()))?;
            self.unanswered -= 1;
            let id = answer.first_chunk::<4>().map(|id| u32::from_be_bytes(*id));
            if let Some(position) = self.later.iter().position(|later| Some(*later) == id) {
                let later = self.later.swap_remove(position);
                let response = Response::decode(&answer).and_then(|response| match response.body {
                    ResponseBody::Error { status } => Err(error_from_status(status)),
                    body => Ok(body),
                });
                self.kept.push((later, response));
            }
            answer.zeroize();
        }
        Ok(())
    }
}

/// A connection to the keyiso daemon. `Send + Sync`: calls from several threads take turns.
pub struct Client {
    connection: Mutex<Connection>,
}

/// What a failed I/O with the daemon is: the connection is gone or broken (`NTE_FAIL`).
fn io_error(error: io::Error) -> Error {
    Error::Io(format!("keyiso daemon connection: {error}"))
}

fn unexpected() -> Error {
    Error::BadData("unexpected response from the keyiso daemon")
}

impl Client {
    /// Connects to the daemon at `socket_path` and exchanges hellos.
    ///
    /// Errors: no daemon there (no socket, or nobody listening) is
    /// `NTE_PROV_DLL_NOT_FOUND` ([`Error::UnknownProvider`]), the status Windows gives when a
    /// provider cannot be loaded; a socket this user may not open, or a daemon that refuses
    /// this uid and gid, is `NTE_PERM` ([`Error::AccessDenied`]); a daemon of another
    /// protocol version is `NTE_NOT_SUPPORTED`.
    pub fn connect(socket_path: impl AsRef<Path>) -> Result<Client> {
        let stream = UnixStream::connect(socket_path).map_err(|error| match error.kind() {
            ErrorKind::NotFound | ErrorKind::ConnectionRefused => Error::UnknownProvider,
            ErrorKind::PermissionDenied => Error::AccessDenied,
            _ => io_error(error),
        })?;
        stream
            .set_read_timeout(Some(RESPONSE_TIMEOUT))
            .map_err(io_error)?;
        let client = Client {
            connection: Mutex::new(Connection {
                stream,
                reader: FrameReader::new(),
                next_id: 1,
                next_name: Handle::FIRST_CLIENT_NAME,
                outgoing: Vec::with_capacity(OUTGOING_CAPACITY),
                pipelined: false,
                unanswered: 0,
                later: Vec::new(),
                kept: Vec::new(),
            }),
        };
        match client.call(RequestBody::Hello {
            version: PROTOCOL_VERSION,
        })? {
            ResponseBody::Hello {
                version: PROTOCOL_VERSION,
            } => Ok(client),
            ResponseBody::Hello { .. } => Err(Error::NotSupported("keyiso protocol version")),
            _ => Err(unexpected()),
        }
    }

    /// Connects to the daemon at its default socket ([`crate::default_socket_path`]), as
    /// [`Client::connect`].
    pub fn connect_default() -> Result<Client> {
        Client::connect(crate::default_socket_path())
    }

    /// The connection, for one call (calls from several threads take turns).
    fn connection(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.connection
            .lock()
            .map_err(|_| Error::Internal("keyiso client lock poisoned"))
    }

    /// Sends one request, with the pipelined ones queued before it, and reads its answer; an
    /// error response becomes its [`Error`].
    pub(crate) fn call(&self, body: RequestBody) -> Result<ResponseBody> {
        self.call_all(vec![body])?.pop().ok_or_else(unexpected)?
    }

    /// Sends `bodies` in one write, with the pipelined requests queued before them, and
    /// reads their answers: one round trip for requests that do not depend on each other's
    /// answers. Each answer is its body or, for an error response, its [`Error`]; a broken
    /// connection, or an error the daemon sends for no request (it then closes), fails the
    /// whole call.
    pub(crate) fn call_all(&self, bodies: Vec<RequestBody>) -> Result<Vec<Result<ResponseBody>>> {
        let mut connection = self.connection()?;
        let mut requests = Vec::with_capacity(bodies.len());
        for body in bodies {
            let id = connection.next_id();
            requests.push((id, Request { id, body }.to_frame()?));
        }
        for (_, frame) in &mut requests {
            connection.outgoing.extend_from_slice(frame);
            frame.zeroize();
        }
        // A daemon that refuses this peer answers the first request and closes; read its
        // answer even if the write failed.
        let mut written = Some(connection.send());
        connection.drain_unanswered()?;
        let mut answers = Vec::with_capacity(requests.len());
        for (id, _) in requests {
            let mut answer = connection.read_answer(written.take().unwrap_or(Ok(())))?;
            let response = Response::decode(&answer);
            answer.zeroize();
            let response = response?;
            answers.push(match response.body {
                ResponseBody::Error { status } if response.id == UNSOLICITED => {
                    return Err(error_from_status(status))
                }
                ResponseBody::Error { status } if response.id == id => {
                    Err(error_from_status(status))
                }
                _ if response.id != id => return Err(unexpected()),
                body => Ok(body),
            });
        }
        Ok(answers)
    }

    /// Opens the private key of `certificate` (DER) in the daemon's key store
    /// (`SslOpenPrivateKey`). No key for it is `NTE_NOT_FOUND`.
    pub fn open_private_key(&self, certificate: &[u8]) -> Result<RemotePrivateKey> {
        match self.call(RequestBody::OpenPrivateKey {
            certificate: certificate.to_vec(),
        })? {
            ResponseBody::PrivateKeyOpened {
                key,
                algorithm,
                signature_len,
                certificate,
            } => Ok(RemotePrivateKey {
                handle: key,
                algorithm,
                signature_len: usize::from(signature_len),
                certificate,
            }),
            _ => Err(unexpected()),
        }
    }

    /// Signs a hash value with a daemon key (`SslSignHash`; ECDSA as `r ‖ s`).
    pub fn sign_hash(
        &self,
        key: &RemotePrivateKey,
        hash_value: &[u8],
        padding: SignaturePadding,
    ) -> Result<Vec<u8>> {
        match self.call(RequestBody::SignHash {
            key: key.handle,
            padding,
            hash_value: hash_value.to_vec(),
        })? {
            ResponseBody::Signature { signature } => Ok(signature),
            _ => Err(unexpected()),
        }
    }

    /// Server side of RSA key exchange (`SslImportMasterKey`), without an oracle: a bad
    /// premaster gives a master key all the same, and the handshake fails at Finished.
    pub fn import_master_key(
        &self,
        key: &RemotePrivateKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        encrypted_premaster: &[u8],
    ) -> Result<RemoteMasterKey> {
        let handle = self.handle(RequestBody::ImportMasterKey {
            key: key.handle,
            cipher: Cipher { protocol, suite },
            params: WireParameters::from_parameters(params),
            encrypted_premaster: encrypted_premaster.to_vec(),
        })?;
        Ok(RemoteMasterKey {
            handle,
            protocol,
            suite,
            side: Side::Server,
        })
    }

    /// Creates an ephemeral key in the daemon (`SslCreateEphemeralKey`).
    pub fn create_ephemeral_key(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        group: Group,
    ) -> Result<RemoteEphemeralKey> {
        match self.call(RequestBody::CreateEphemeralKey {
            cipher: Cipher { protocol, suite },
            group,
        })? {
            ResponseBody::EphemeralKeyCreated { key, public_value } => {
                let key = RemoteEphemeralKey {
                    handle: key,
                    group,
                    public_value,
                };
                // The value must be a valid key of the group asked for.
                key.public_key()?;
                Ok(key)
            }
            _ => Err(unexpected()),
        }
    }

    /// (EC)DHE master key of TLS ≤ 1.2 (`SslGenerateMasterKey`): `own` agrees with the peer's
    /// public value as TLS carries it.
    pub fn generate_master_key(
        &self,
        own: &RemoteEphemeralKey,
        peer_public: &[u8],
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        side: Side,
    ) -> Result<RemoteMasterKey> {
        let handle = self.handle(RequestBody::GenerateMasterKey {
            ephemeral: own.handle,
            peer_public: peer_public.to_vec(),
            cipher: Cipher { protocol, suite },
            params: WireParameters::from_parameters(params),
            side,
        })?;
        Ok(RemoteMasterKey {
            handle,
            protocol,
            suite,
            side,
        })
    }

    /// TLS ≤ 1.2 Finished (`SslComputeFinishedHash`) over the handshake hash value the caller
    /// computed.
    pub fn compute_finished_hash(
        &self,
        master: &RemoteMasterKey,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<[u8; FINISHED_LEN]> {
        match self.call(RequestBody::ComputeFinished {
            master: master.handle,
            sender,
            transcript_digest: transcript_digest.to_vec(),
        })? {
            ResponseBody::VerifyData { verify_data } => {
                verify_data.try_into().map_err(|_| unexpected())
            }
            _ => Err(unexpected()),
        }
    }

    /// The session keys of a master key (`SslGenerateSessionKeys`): the daemon derives them
    /// and sends their material; the record keys are built here.
    pub fn generate_session_keys(
        &self,
        master: &RemoteMasterKey,
        params: &Parameters<'_>,
    ) -> Result<SessionKeys> {
        let cbc_mode = if params.encrypt_then_mac {
            CbcMode::EncryptThenMac
        } else {
            CbcMode::MacThenEncrypt
        };
        match self.call(RequestBody::GenerateSessionKeys {
            master: master.handle,
            params: WireParameters::from_parameters(params),
        })? {
            ResponseBody::SessionKeyMaterial { read, write } => {
                let key = |direction, material: &SecretVec| {
                    SessionKey::from_key_material(
                        master.protocol,
                        master.suite,
                        direction,
                        cbc_mode,
                        material.expose(),
                    )
                };
                Ok(SessionKeys {
                    read: key(Direction::Read, &read)?,
                    write: key(Direction::Write, &write)?,
                })
            }
            _ => Err(unexpected()),
        }
    }

    /// The TLS 1.3 early secret without a PSK (`SslExtractEarlyKey`).
    pub fn extract_early_key(&self, suite: &'static CipherSuite) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExtractEarlyKey { suite })?;
        Ok(RemoteTls13Secret {
            handle,
            suite,
            kind: SecretKind::Early,
        })
    }

    /// The TLS 1.3 handshake secret (`SslExtractHandshakeKey`) from `own` and the peer's key
    /// share.
    pub fn extract_handshake_key(
        &self,
        own: &RemoteEphemeralKey,
        peer_share: &[u8],
        early: &RemoteTls13Secret,
    ) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExtractHandshakeKey {
            ephemeral: own.handle,
            peer_public: peer_share.to_vec(),
            early: early.handle,
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: early.suite,
            kind: SecretKind::Handshake,
        })
    }

    /// The TLS 1.3 master secret (`SslExtractMasterKey`).
    pub fn extract_master_key(&self, handshake: &RemoteTls13Secret) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExtractMasterKey {
            handshake: handshake.handle,
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: handshake.suite,
            kind: SecretKind::Master,
        })
    }

    /// The client and server traffic secrets (`SslExpandTrafficKeys`) over the transcript
    /// hash the caller computed; from the early secret, the client's only.
    pub fn expand_traffic_keys(
        &self,
        base: &RemoteTls13Secret,
        transcript_digest: &[u8],
    ) -> Result<(RemoteTls13Secret, Option<RemoteTls13Secret>)> {
        let (client_kind, server_kind) = match base.kind {
            SecretKind::Early => (SecretKind::ClientEarlyTraffic, None),
            SecretKind::Handshake => (
                SecretKind::ClientHandshakeTraffic,
                Some(SecretKind::ServerHandshakeTraffic),
            ),
            SecretKind::Master => (
                SecretKind::ClientApplicationTraffic,
                Some(SecretKind::ServerApplicationTraffic),
            ),
            _ => return Err(Error::InvalidHandle),
        };
        match self.call(RequestBody::Tls13ExpandTrafficKeys {
            base: base.handle,
            transcript_digest: transcript_digest.to_vec(),
        })? {
            ResponseBody::TrafficSecrets { client, server, .. } => {
                let secret = |handle, kind| RemoteTls13Secret {
                    handle,
                    suite: base.suite,
                    kind,
                };
                let server = match (server, server_kind) {
                    (Some(handle), Some(kind)) => Some(secret(handle, kind)),
                    (None, None) => None,
                    _ => return Err(unexpected()),
                };
                Ok((secret(client, client_kind), server))
            }
            _ => Err(unexpected()),
        }
    }

    /// The record key of a traffic secret (`SslExpandWriteKey`): the daemon sends its key and
    /// IV, and the key is built here. As in process, one TLS 1.3 key serves both directions.
    pub fn expand_write_key(&self, traffic: &RemoteTls13Secret) -> Result<SessionKey> {
        if !traffic.kind.is_traffic() {
            return Err(Error::InvalidHandle);
        }
        match self.call(RequestBody::Tls13ExpandWriteKey {
            traffic: traffic.handle,
        })? {
            ResponseBody::TrafficKeyMaterial { material } => SessionKey::from_key_material(
                Protocol::Tls13,
                traffic.suite,
                Direction::Write,
                CbcMode::MacThenEncrypt,
                material.expose(),
            ),
            _ => Err(unexpected()),
        }
    }

    /// TLS 1.3 Finished (`SslComputeFinishedHash`) over the transcript hash the caller
    /// computed.
    pub fn compute_tls13_finished(
        &self,
        traffic: &RemoteTls13Secret,
        transcript_digest: &[u8],
    ) -> Result<Vec<u8>> {
        match self.call(RequestBody::Tls13ComputeFinished {
            traffic: traffic.handle,
            transcript_digest: transcript_digest.to_vec(),
        })? {
            ResponseBody::VerifyData { verify_data } => Ok(verify_data),
            _ => Err(unexpected()),
        }
    }

    /// The exporter master secret (`SslExpandExporterMasterKey`).
    pub fn expand_exporter_master_key(
        &self,
        base: &RemoteTls13Secret,
        transcript_digest: &[u8],
    ) -> Result<RemoteTls13Secret> {
        let kind = match base.kind {
            SecretKind::Early => SecretKind::EarlyExporterMaster,
            SecretKind::Master => SecretKind::ExporterMaster,
            _ => return Err(Error::InvalidHandle),
        };
        let handle = self.handle(RequestBody::Tls13ExpandExporterMasterKey {
            base: base.handle,
            transcript_digest: transcript_digest.to_vec(),
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: base.suite,
            kind,
        })
    }

    /// TLS 1.3 exporter (RFC 8446 §7.5) of an exporter master secret: `length` bytes
    /// (1 to 1024).
    pub fn export_tls13_keying_material(
        &self,
        exporter: &RemoteTls13Secret,
        label: &[u8],
        context: Option<&[u8]>,
        length: u16,
    ) -> Result<SecretVec> {
        self.export(exporter.handle, label, context, None, length)
    }

    /// TLS ≤ 1.2 exporter (RFC 5705) of a master key: `length` bytes (1 to 1024).
    pub fn export_keying_material(
        &self,
        master: &RemoteMasterKey,
        label: &[u8],
        randoms: &[u8; 64],
        context: Option<&[u8]>,
        length: u16,
    ) -> Result<SecretVec> {
        self.export(master.handle, label, context, Some(*randoms), length)
    }

    fn export(
        &self,
        key: Handle,
        label: &[u8],
        context: Option<&[u8]>,
        randoms: Option<[u8; 64]>,
        length: u16,
    ) -> Result<SecretVec> {
        match self.call(RequestBody::ExportKeyingMaterial {
            key,
            label: label.to_vec(),
            context: context.map(<[u8]>::to_vec),
            randoms,
            length,
        })? {
            ResponseBody::KeyingMaterial { material } if material.len() == usize::from(length) => {
                Ok(material)
            }
            _ => Err(unexpected()),
        }
    }

    /// The certificate chain (DER, leaf first) of the key stored under `name` in the daemon's
    /// store: what a server presents, without opening the store itself. No such key is
    /// `NTE_NOT_FOUND`.
    pub fn certificate_chain(&self, name: &str) -> Result<Vec<Vec<u8>>> {
        match self.call(RequestBody::CertificateChain { name: name.into() })? {
            ResponseBody::CertificateChain { certificates } => Ok(certificates),
            _ => Err(unexpected()),
        }
    }

    /// Frees a handle in the daemon without waiting for its answer, which the next call reads
    /// and drops: the daemon frees the object as soon as it reads the request, and the caller
    /// is spared a round trip. While a pipelined request is queued, the free is queued too
    /// and goes with it: the request that uses the pipelined object comes next, and a
    /// handshake's frees then cost no write of their own. Errors are only those of sending: a
    /// handle the daemon does not know is not reported.
    pub fn free_without_waiting(&self, handle: Handle) -> Result<()> {
        let mut connection = self.connection()?;
        connection.queue_unanswered(RequestBody::FreeHandle { handle })?;
        if connection.pipelined {
            return Ok(());
        }
        connection.send().map_err(io_error)
    }

    /// Queues `request` to go with the next request that is sent, and keeps its answer when
    /// it is read, for [`Client::answer_of`] to take: a request made ahead of need (the
    /// isolated provider's next ephemeral key), whose answer costs no wait of its own. Returns
    /// the request's id.
    pub(crate) fn send_later(&self, request: RequestBody) -> Result<u32> {
        let mut connection = self.connection()?;
        let id = connection.queue_unanswered(request)?;
        connection.later.push(id);
        Ok(id)
    }

    /// The answer to the [`Client::send_later`] request `id` (an error response as its
    /// [`Error`]): at once when it has been read, else after sending what is queued and
    /// reading up to it. An id that was not sent later, or was taken, is `NTE_BAD_DATA`.
    pub(crate) fn answer_of(&self, id: u32) -> Result<ResponseBody> {
        let mut connection = self.connection()?;
        if connection.later.contains(&id) {
            connection.send().map_err(io_error)?;
            connection.drain_unanswered()?;
        }
        let position = connection
            .kept
            .iter()
            .position(|(kept, _)| *kept == id)
            .ok_or_else(unexpected)?;
        connection.kept.swap_remove(position).1
    }

    /// True when the daemon has closed this connection (it stopped or restarted), as far as
    /// can be told without waiting.
    pub(crate) fn is_closed(&self) -> bool {
        match self.connection() {
            Ok(connection) => peer_closed(&connection.stream),
            Err(_) => true,
        }
    }

    /// Sends `request`, one answered by a handle, as a [`RequestBody::Pipelined`] request:
    /// the object gets a name this client chooses, which is returned at once, and the request
    /// goes with the next one that is waited for (or the next free), in the same write. Its
    /// answer is read then and dropped. If it fails, the daemon answers every request that
    /// uses the name with the failure's status, so the error shows at the first use.
    pub fn pipeline(&self, request: RequestBody) -> Result<Handle> {
        if !request.answers_with_handle() {
            return Err(Error::InvalidParameter(
                "only a request answered with a handle can be pipelined",
            ));
        }
        let mut connection = self.connection()?;
        let handle = connection.next_name;
        connection.queue_unanswered(RequestBody::Pipelined {
            handle,
            request: Box::new(request),
        })?;
        connection.pipelined = true;
        connection.next_name = handle.next_client_name();
        Ok(handle)
    }

    /// The next application traffic secret (RFC 8446 §7.2, key update), kept by the daemon.
    pub fn update_traffic_secret(&self, traffic: &RemoteTls13Secret) -> Result<RemoteTls13Secret> {
        if !matches!(
            traffic.kind,
            SecretKind::ClientApplicationTraffic | SecretKind::ServerApplicationTraffic
        ) {
            return Err(Error::InvalidHandle);
        }
        let handle = self.handle(RequestBody::Tls13UpdateTrafficSecret {
            traffic: traffic.handle,
        })?;
        Ok(RemoteTls13Secret { handle, ..*traffic })
    }

    /// The resumption master secret (`SslExpandResumptionMasterKey`) over the transcript hash
    /// the caller computed.
    pub fn expand_resumption_master_key(
        &self,
        master: &RemoteTls13Secret,
        transcript_digest: &[u8],
    ) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExpandResumptionMasterKey {
            master: master.handle,
            transcript_digest: transcript_digest.to_vec(),
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: master.suite,
            kind: SecretKind::ResumptionMaster,
        })
    }

    /// The PSK of a ticket (`SslExpandPreSharedKey`), kept by the daemon.
    pub fn expand_pre_shared_key(
        &self,
        resumption_master: &RemoteTls13Secret,
        ticket_nonce: &[u8],
    ) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExpandPreSharedKey {
            resumption_master: resumption_master.handle,
            ticket_nonce: ticket_nonce.to_vec(),
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: resumption_master.suite,
            kind: SecretKind::PreSharedKey,
        })
    }

    /// The TLS 1.3 early secret from a PSK the daemon keeps (`SslExtractEarlyKey`).
    pub fn extract_early_key_with_psk(&self, psk: &RemoteTls13Secret) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExtractEarlyKeyWithPsk {
            psk: psk.handle,
            suite: psk.suite,
        })?;
        Ok(RemoteTls13Secret {
            handle,
            suite: psk.suite,
            kind: SecretKind::Early,
        })
    }

    /// The PSK binder key (`SslExpandBinderKey`): "res binder" when `resumption`, else "ext
    /// binder".
    pub fn expand_binder_key(
        &self,
        early: &RemoteTls13Secret,
        resumption: bool,
    ) -> Result<RemoteTls13Secret> {
        let handle = self.handle(RequestBody::Tls13ExpandBinderKey {
            early: early.handle,
            resumption,
        })?;
        let kind = if resumption {
            SecretKind::ResumptionBinder
        } else {
            SecretKind::ExternalBinder
        };
        Ok(RemoteTls13Secret {
            handle,
            suite: early.suite,
            kind,
        })
    }

    /// The opaque blob of a daemon object (`SslExportKey`, `BCRYPT_OPAQUE_KEY_BLOB`): sealed
    /// under the daemon's key store, so only it (or a process over the same store) opens it.
    pub fn export_opaque_key(&self, key: Handle) -> Result<Vec<u8>> {
        match self.call(RequestBody::ExportOpaqueKey { key })? {
            ResponseBody::OpaqueKeyBlob { blob } => Ok(blob),
            _ => Err(unexpected()),
        }
    }

    /// Opens an opaque blob of a master key or TLS 1.3 secret in the daemon (`SslImportKey`).
    pub fn import_opaque_key(&self, blob: &[u8]) -> Result<RemoteOpaqueKey> {
        match self.call(RequestBody::ImportOpaqueKey {
            blob: blob.to_vec(),
        })? {
            ResponseBody::OpaqueKeyImported { handle, key } => Ok(match key {
                ImportedKey::Master { cipher, side } => RemoteOpaqueKey::Master(RemoteMasterKey {
                    handle,
                    protocol: cipher.protocol,
                    suite: cipher.suite,
                    side,
                }),
                ImportedKey::Tls13 { suite, kind } => RemoteOpaqueKey::Tls13(RemoteTls13Secret {
                    handle,
                    suite,
                    kind,
                }),
            }),
            _ => Err(unexpected()),
        }
    }

    /// Seals a session ticket under the daemon's ticket key.
    pub fn seal_ticket(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        match self.call(RequestBody::SealTicket {
            aad: aad.to_vec(),
            plaintext: plaintext.to_vec(),
        })? {
            ResponseBody::SealedTicket { ticket } => Ok(ticket),
            _ => Err(unexpected()),
        }
    }

    /// Opens a ticket sealed by the daemon; anything else is `NTE_BAD_DATA`.
    pub fn open_ticket(&self, aad: &[u8], ticket: &[u8]) -> Result<Vec<u8>> {
        match self.call(RequestBody::OpenTicket {
            aad: aad.to_vec(),
            ticket: ticket.to_vec(),
        })? {
            ResponseBody::OpenedTicket { plaintext } => Ok(plaintext),
            _ => Err(unexpected()),
        }
    }

    /// Frees a handle in the daemon (`SslFreeObject`). An unknown or already freed handle is
    /// `NTE_INVALID_HANDLE`.
    pub fn free(&self, handle: Handle) -> Result<()> {
        match self.call(RequestBody::FreeHandle { handle })? {
            ResponseBody::Freed => Ok(()),
            _ => Err(unexpected()),
        }
    }

    fn handle(&self, request: RequestBody) -> Result<Handle> {
        self.pipeline(request)
    }
}

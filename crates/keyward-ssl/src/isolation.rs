//! Key isolation: the provider's secrets in another process, as Windows keeps them in LSASS
//! behind the Key Isolation service (KeyIso).
//!
//! [`Provider::isolated`](crate::Provider::isolated) opens the *isolated provider*, a second
//! implementation of the same typed API: every object that holds a private key, a master
//! secret or a TLS 1.3 handshake secret ([`PrivateKey`](crate::PrivateKey),
//! [`EphemeralKey`](crate::EphemeralKey), [`MasterKey`](crate::MasterKey),
//! [`Tls13Secret`](crate::Tls13Secret)) is then only a [`RemoteHandle`] to an object a
//! [`KeyIsolation`] service keeps; its methods keep their signatures and send the service what
//! it needs (a transcript digest, never the transcript). [`SessionKey`]s and
//! [`HandshakeHash`](crate::HandshakeHash)es stay in process: the service hands back traffic
//! key material, and records are protected locally.
//!
//! keyward-keyiso implements [`KeyIsolation`] over its daemon's Unix socket
//! (`keyward_keyiso::isolated_provider`); keyward-ssl knows nothing of the transport.
//!
//! # Resumption and tickets
//!
//! The opaque export of a master key or TLS 1.3 secret ([`Provider::export_master_key`],
//! [`Provider::export_tls13_secret`]) asks the service, which seals the secret under *its* key
//! store's sealing key and returns the "ssl5" blob; [`Provider::import_opaque_key`] hands a
//! blob to the service, which opens it and keeps the secret. The calling process holds only
//! ciphertext under a key it never sees. The TLS 1.3 resumption steps (resumption master
//! secret, ticket PSK, early secret from a PSK, binder key) and key update run in the service
//! too, and [`Provider::create_ticket_key`] gives a [`TicketKey`](crate::TicketKey) that
//! seals and opens in the service under one service-wide key, so every process on one service
//! accepts the others' tickets. keyward-tls on an isolated provider therefore resumes TLS 1.2
//! (tickets and session IDs) and TLS 1.3 (tickets) like an in-process one.
//!
//! # What an isolated provider does not do
//!
//! These answer `NTE_NOT_SUPPORTED`, because they would hand a secret to the calling process
//! or the service has no operation for them:
//!
//! - the key store and its sealing keys (an isolated provider has none: opaque blobs, session
//!   keys' included, are sealed and opened by the service);
//! - the raw export of a TLS 1.3 secret (`export_key_data`, key logs);
//! - the raw shared secret of an ephemeral key (`EphemeralKey::agree`).
//!
//! [`Provider::export_master_key`]: crate::Provider::export_master_key
//! [`Provider::export_tls13_secret`]: crate::Provider::export_tls13_secret
//! [`Provider::import_opaque_key`]: crate::Provider::import_opaque_key
//! [`Provider::create_ticket_key`]: crate::Provider::create_ticket_key
//!
//! Objects of an isolated provider and of an in-process one cannot be combined (an isolated
//! ephemeral key with an in-process early secret, say): `NTE_INVALID_HANDLE`.

use crate::keys::{Group, PublicKey, SignaturePadding};
use crate::master::FINISHED_LEN;
use crate::params::Parameters;
use crate::protocol::Protocol;
use crate::session::SessionKey;
use crate::side::Side;
use crate::suites::CipherSuite;
use crate::tls13::SecretKind;
use keyward_core::backend::HashAlgorithm;
use keyward_core::{Result, SecretVec};
use std::fmt;
use std::sync::Arc;

/// The name of the isolated provider, as `SslEnumProtocolProviders` lists it and
/// `SslOpenProvider` accepts it.
pub const KEYWARD_ISOLATED_PROVIDER: &str = "Keyward Isolated SSL Provider";

/// An object kept by a [`KeyIsolation`] service: opaque to keyward-ssl. `generation` names the
/// service's connection that made it (a reconnected service refuses handles of an earlier
/// one with `NTE_INVALID_HANDLE`); `value` is the service's own handle.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteHandle {
    generation: u64,
    value: u64,
}

impl RemoteHandle {
    /// The handle `value` made on the service's connection `generation`.
    pub fn new(generation: u64, value: u64) -> RemoteHandle {
        RemoteHandle { generation, value }
    }

    /// The connection generation that made the handle.
    pub fn generation(self) -> u64 {
        self.generation
    }

    /// The service's handle value.
    pub fn value(self) -> u64 {
        self.value
    }
}

impl fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteHandle({}:{:#x})", self.generation, self.value)
    }
}

/// A private key opened by a service ([`KeyIsolation::open_private_key`]).
pub struct RemotePrivateKeyInfo {
    /// The service's handle.
    pub handle: RemoteHandle,
    /// The certificate (DER) the key was opened for.
    pub certificate: Vec<u8>,
    /// The key's public half (RSA or ECDSA), from the certificate.
    pub public_key: PublicKey,
    /// The length of its signatures.
    pub signature_len: usize,
}

/// A TLS 1.3 traffic secret a service made ([`KeyIsolation::expand_traffic_keys`]): its
/// handle, and the key material of its write key (`key ‖ iv`, as
/// [`KeyIsolation::expand_write_key_material`] gives it), which the service sends along so
/// that `SslExpandWriteKey` on the secret costs no second request.
pub struct RemoteTrafficSecret {
    /// The service's handle.
    pub handle: RemoteHandle,
    /// `key ‖ iv` of the secret's write key.
    pub write_key: SecretVec,
}

/// The read and write key material of a TLS ≤ 1.2 connection, as
/// [`SessionKey::from_key_material`](crate::SessionKey::from_key_material) takes it.
pub struct SessionKeyMaterial {
    /// `MAC key ‖ key ‖ IV` of the read direction.
    pub read: SecretVec,
    /// `MAC key ‖ key ‖ IV` of the write direction.
    pub write: SecretVec,
}

/// A TLS 1.3 server flight as a service takes it ([`KeyIsolation::tls13_server_flight`]): a
/// [`ServerFlight13`](crate::flight::ServerFlight13) with handles for its key.
pub struct RemoteFlight13<'a> {
    /// The handshake messages through the ServerHello.
    pub through_server_hello: &'a [u8],
    /// EncryptedExtensions and, with a signer, the Certificate.
    pub before_verify: &'a [u8],
    /// How the CertificateVerify is signed; `None` with a PSK.
    pub signer: Option<FlightSigner>,
    /// The ticket to seal under the service's ticket key; `None` for none.
    pub ticket: Option<FlightTicket13<'a>>,
}

/// How a service signs a flight's CertificateVerify
/// ([`VerifySigner`](crate::flight::VerifySigner) with the key's handle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlightSigner {
    /// The private key's handle.
    pub key: RemoteHandle,
    /// The `SignatureScheme` code point.
    pub scheme: u16,
    /// The hash of the signed content.
    pub hash: HashAlgorithm,
    /// The padding.
    pub padding: SignaturePadding,
}

/// The ticket a service seals at the end of a flight
/// ([`Ticket13ToSeal`](crate::flight::Ticket13ToSeal) under the service's own ticket key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlightTicket13<'a> {
    /// What the ticket is bound to.
    pub aad: &'a [u8],
    /// Its plaintext before the PSK's blob.
    pub fields: &'a [u8],
    /// The `ticket_nonce`.
    pub nonce: &'a [u8],
}

/// What a service gives for a flight ([`KeyIsolation::tls13_server_flight`]): the
/// [`ServerFlightKeys13`](crate::flight::ServerFlightKeys13) with key material for the record
/// keys and handles for the secrets that live on.
pub struct RemoteFlightKeys13 {
    /// `key ‖ iv` of the client's handshake traffic.
    pub client_handshake_key: SecretVec,
    /// `key ‖ iv` of the server's handshake traffic.
    pub server_handshake_key: SecretVec,
    /// The CertificateVerify message, with a signer.
    pub certificate_verify: Option<Vec<u8>>,
    /// The server's Finished message.
    pub finished: Vec<u8>,
    /// The client's expected `verify_data`.
    pub client_finished: Vec<u8>,
    /// `client_application_traffic_secret_0`, with its write key's material.
    pub client_application: RemoteTrafficSecret,
    /// `server_application_traffic_secret_0`, with its write key's material.
    pub server_application: RemoteTrafficSecret,
    /// `exporter_master_secret`.
    pub exporter: RemoteHandle,
    /// The sealed ticket, when one was asked for.
    pub ticket: Option<Vec<u8>>,
}

/// A TLS ≤ 1.2 server flight as a service takes it ([`KeyIsolation::tls12_server_flight`]).
pub struct RemoteFlight12<'a> {
    /// The session keys' parameters.
    pub params: &'a Parameters<'a>,
    /// The handshake messages through the ClientKeyExchange.
    pub transcript: &'a [u8],
    /// The ticket to seal under the service's ticket key; `None` for none.
    pub ticket: Option<FlightTicket12<'a>>,
    /// True to get the master key's opaque blob too.
    pub export: bool,
}

/// The ticket a service seals in a TLS ≤ 1.2 flight
/// ([`Ticket12ToSeal`](crate::flight::Ticket12ToSeal) under the service's own ticket key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlightTicket12<'a> {
    /// What the ticket is bound to.
    pub aad: &'a [u8],
    /// Its plaintext before the master key's blob.
    pub fields: &'a [u8],
    /// The NewSessionTicket's lifetime hint.
    pub lifetime_hint: u32,
}

/// What a service gives for a TLS ≤ 1.2 flight
/// ([`ServerFlightKeys12`](crate::flight::ServerFlightKeys12) with key material for the
/// session keys).
pub struct RemoteFlightKeys12 {
    /// The session keys' material.
    pub material: SessionKeyMaterial,
    /// The client's expected `verify_data`.
    pub client_finished: [u8; FINISHED_LEN],
    /// The NewSessionTicket message, when a ticket was asked for.
    pub new_session_ticket: Option<Vec<u8>>,
    /// Our Finished message.
    pub finished: Vec<u8>,
    /// The master key's opaque blob, when asked for.
    pub blob: Option<Vec<u8>>,
}

/// What a service made of an opaque blob ([`KeyIsolation::import_opaque_key`]): the handle
/// of the secret it now keeps, and what the blob said the secret is.
#[derive(Clone, Copy, Debug)]
pub enum RemoteOpaqueKey {
    /// A TLS ≤ 1.2 master key.
    Master {
        /// The service's handle.
        handle: RemoteHandle,
        /// The protocol the key was made for.
        protocol: Protocol,
        /// The suite the key was made for.
        suite: &'static CipherSuite,
        /// The side that owns the key.
        side: Side,
    },
    /// A secret of the TLS 1.3 key schedule.
    Tls13 {
        /// The service's handle.
        handle: RemoteHandle,
        /// The suite (its hash runs the schedule).
        suite: &'static CipherSuite,
        /// Where the secret sits in the schedule.
        kind: SecretKind,
    },
}

/// The operations of a key isolation service: every step of a handshake that touches a
/// private key, a premaster, a master secret or a TLS 1.3 handshake secret, on handles to
/// objects the service keeps. Each mirrors the provider call named in its documentation,
/// with transcript digests in place of handshake hashes.
///
/// Implementations answer a handle they do not know, or of an earlier connection, with
/// `NTE_INVALID_HANDLE`, and must never panic. A method answered by a handle alone may return
/// before the service has made the object (keyward-keyiso pipelines it); its failure is then
/// the answer to the object's first use.
pub trait KeyIsolation: Send + Sync {
    /// Opens the private key of `certificate` (`SslOpenPrivateKey`).
    fn open_private_key(&self, certificate: &[u8]) -> Result<RemotePrivateKeyInfo>;

    /// Signs a hash value (`SslSignHash`; ECDSA as `r ‖ s`).
    fn sign_hash(
        &self,
        key: RemoteHandle,
        hash_value: &[u8],
        padding: SignaturePadding,
    ) -> Result<Vec<u8>>;

    /// Server side of RSA key exchange (`SslImportMasterKey`), without an oracle.
    fn import_master_key(
        &self,
        key: RemoteHandle,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        encrypted_premaster: &[u8],
    ) -> Result<RemoteHandle>;

    /// Creates an ephemeral key (`SslCreateEphemeralKey`): its handle and its public value as
    /// TLS carries it.
    fn create_ephemeral_key(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        group: Group,
    ) -> Result<(RemoteHandle, Vec<u8>)>;

    /// (EC)DHE master key of TLS ≤ 1.2 (`SslGenerateMasterKey`) with the peer's public value
    /// as TLS carries it.
    #[allow(clippy::too_many_arguments)]
    fn generate_master_key(
        &self,
        own: RemoteHandle,
        peer_public: &[u8],
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        side: Side,
    ) -> Result<RemoteHandle>;

    /// TLS ≤ 1.2 Finished (`SslComputeFinishedHash`) over a transcript digest.
    fn compute_finished(
        &self,
        master: RemoteHandle,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<[u8; FINISHED_LEN]>;

    /// The key material of the session keys (`SslGenerateSessionKeys` + `SslExportKey`).
    fn generate_session_key_material(
        &self,
        master: RemoteHandle,
        params: &Parameters<'_>,
    ) -> Result<SessionKeyMaterial>;

    /// [`KeyIsolation::generate_session_key_material`] and [`KeyIsolation::compute_finished`]
    /// of `sender` over `transcript_digest`, in one round trip: a TLS ≤ 1.2 server's session
    /// keys and the client Finished it expects.
    fn generate_session_key_material_with_finished(
        &self,
        master: RemoteHandle,
        params: &Parameters<'_>,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<(SessionKeyMaterial, [u8; FINISHED_LEN])>;

    /// Keying-material exporter (`SslExportKeyingMaterial`): RFC 5705 on a master key (with
    /// `randoms`), RFC 8446 §7.5 on an exporter master secret (without).
    fn export_keying_material(
        &self,
        key: RemoteHandle,
        label: &[u8],
        context: Option<&[u8]>,
        randoms: Option<&[u8; 64]>,
        length: usize,
    ) -> Result<SecretVec>;

    /// The TLS 1.3 early secret without a PSK (`SslExtractEarlyKey`).
    fn extract_early_key(&self, suite: &'static CipherSuite) -> Result<RemoteHandle>;

    /// The TLS 1.3 handshake secret (`SslExtractHandshakeKey`).
    fn extract_handshake_key(
        &self,
        own: RemoteHandle,
        peer_share: &[u8],
        early: RemoteHandle,
    ) -> Result<RemoteHandle>;

    /// The TLS 1.3 master secret (`SslExtractMasterKey`).
    fn extract_master_key(&self, handshake: RemoteHandle) -> Result<RemoteHandle>;

    /// The client and (except from the early secret) server traffic secrets
    /// (`SslExpandTrafficKeys`).
    fn expand_traffic_keys(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<(RemoteTrafficSecret, Option<RemoteTrafficSecret>)>;

    /// [`KeyIsolation::expand_traffic_keys`] from `base` and
    /// [`KeyIsolation::compute_tls13_finished`] with the traffic secret `finished_by`, over
    /// one transcript digest and in one round trip: a server's application traffic secrets
    /// and the client Finished it expects. When the Finished fails, the traffic secrets are
    /// freed and its error returned.
    #[allow(clippy::type_complexity)]
    fn expand_traffic_keys_with_finished(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
        finished_by: RemoteHandle,
    ) -> Result<(RemoteTrafficSecret, Option<RemoteTrafficSecret>, Vec<u8>)>;

    /// The key material (`key ‖ iv`) of a traffic secret (`SslExpandWriteKey` +
    /// `SslExportKey`).
    fn expand_write_key_material(&self, traffic: RemoteHandle) -> Result<SecretVec>;

    /// TLS 1.3 Finished (`SslComputeFinishedHash` on a traffic secret) over a transcript
    /// digest.
    fn compute_tls13_finished(
        &self,
        traffic: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<Vec<u8>>;

    /// The exporter master secret (`SslExpandExporterMasterKey`).
    fn expand_exporter_master_key(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<RemoteHandle>;

    /// The next application traffic secret (RFC 8446 §7.2, key update), kept by the service.
    fn update_traffic_secret(&self, traffic: RemoteHandle) -> Result<RemoteHandle>;

    /// The resumption master secret (`SslExpandResumptionMasterKey`) over a transcript digest.
    fn expand_resumption_master_key(
        &self,
        master: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<RemoteHandle>;

    /// The PSK of a ticket (`SslExpandPreSharedKey`), kept by the service.
    fn expand_pre_shared_key(
        &self,
        resumption_master: RemoteHandle,
        ticket_nonce: &[u8],
    ) -> Result<RemoteHandle>;

    /// The TLS 1.3 early secret from a PSK the service keeps (`SslExtractEarlyKey`).
    fn extract_early_key_with_psk(
        &self,
        psk: RemoteHandle,
        suite: &'static CipherSuite,
    ) -> Result<RemoteHandle>;

    /// The PSK binder key (`SslExpandBinderKey`): "res binder" when `resumption`, else
    /// "ext binder".
    fn expand_binder_key(&self, early: RemoteHandle, resumption: bool) -> Result<RemoteHandle>;

    /// The opaque blob of a master key or TLS 1.3 secret (`SslExportKey`,
    /// `BCRYPT_OPAQUE_KEY_BLOB`), sealed under the service's own sealing key.
    fn export_opaque_key(&self, key: RemoteHandle) -> Result<Vec<u8>>;

    /// Opens an opaque blob of a master key or TLS 1.3 secret (`SslImportKey`,
    /// `BCRYPT_OPAQUE_KEY_BLOB`) in the service, which keeps the secret.
    fn import_opaque_key(&self, blob: &[u8]) -> Result<RemoteOpaqueKey>;

    /// Seals a session ticket's plaintext bound to `aad` under the service's ticket key.
    fn seal_ticket(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>>;

    /// Seals `plaintext ‖ opaque blob<0..2^16-1>` under the service's ticket key, `blob` being
    /// the opaque export of the TLS 1.3 secret `secret` (as
    /// [`KeyIsolation::export_opaque_key`] makes it): [`crate::TicketKey::seal_with_secret`]
    /// in one request.
    fn seal_ticket_with_secret(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        secret: RemoteHandle,
    ) -> Result<Vec<u8>>;

    /// A TLS ≤ 1.2 server's session keys, ticket and Finished from the master key `master`
    /// ([`Provider::tls12_server_flight`](crate::Provider::tls12_server_flight)), with the
    /// service's ticket key.
    fn tls12_server_flight(
        &self,
        master: RemoteHandle,
        flight: RemoteFlight12<'_>,
    ) -> Result<RemoteFlightKeys12>;

    /// A TLS 1.3 server's flight from the handshake secret `handshake` to its ticket
    /// ([`Provider::tls13_server_flight`](crate::Provider::tls13_server_flight)), with the
    /// signer's key and the service's ticket key. The service frees `handshake` whatever the
    /// answer, and keeps only the application traffic and exporter secrets.
    fn tls13_server_flight(
        &self,
        handshake: RemoteHandle,
        flight: RemoteFlight13<'_>,
    ) -> Result<RemoteFlightKeys13>;

    /// Keeps an external pre-shared key of a TLS 1.3 `suite` that the caller hands over
    /// ([`Provider::import_pre_shared_key`](crate::Provider::import_pre_shared_key), the
    /// `TLS13PRESHAREDKEY` import of `SslImportKey`): the caller's own secret goes in, and
    /// from here only the service holds it.
    fn import_pre_shared_key(
        &self,
        suite: &'static CipherSuite,
        psk: &[u8],
    ) -> Result<RemoteHandle>;

    /// Opens a ticket sealed by [`KeyIsolation::seal_ticket`] of the same service; anything
    /// else is `NTE_BAD_DATA`.
    fn open_ticket(&self, aad: &[u8], ticket: &[u8]) -> Result<Vec<u8>>;

    /// Client side of RSA key exchange (`SslGeneratePreMasterKey`): a premaster of
    /// `params`' highest version, kept by the service, and its PKCS#1 v1.5 encryption to
    /// `server_key` (an RSA key).
    fn generate_premaster_key(
        &self,
        server_key: &PublicKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
    ) -> Result<(RemoteHandle, Vec<u8>)>;

    /// The client's master key from a premaster of
    /// [`generate_premaster_key`](KeyIsolation::generate_premaster_key)
    /// (`SslGenerateMasterKey` with the premaster as its private key).
    fn premaster_master_key(
        &self,
        premaster: RemoteHandle,
        params: &Parameters<'_>,
    ) -> Result<RemoteHandle>;

    /// The EAP key block of a master key (`SslComputeEapKeyBlock`): key material for the
    /// caller, as an exporter's output is.
    fn compute_eap_key_block(
        &self,
        master: RemoteHandle,
        randoms: &[u8; 64],
        eap_id: u8,
    ) -> Result<SecretVec>;

    /// Seals a session key's state into an opaque blob (`SslExportKey`,
    /// `BCRYPT_OPAQUE_KEY_BLOB`) under the service's sealing key: the key is this process's,
    /// the sealing key is not.
    fn seal_session_key(&self, key: &SessionKey) -> Result<Vec<u8>>;

    /// Opens an opaque session-key blob sealed under the service's store (`SslImportKey`):
    /// the key comes back to this process, which protects records.
    fn open_session_key(&self, blob: &[u8]) -> Result<SessionKey>;

    /// Frees an object (`SslFreeObject`). Implementations may send the free without waiting
    /// for the service's answer (keyward-keyiso does), so an object the service no longer
    /// has need not be reported.
    fn free(&self, handle: RemoteHandle) -> Result<()>;
}

/// An object of a service, freed there when dropped (best effort: a service that is gone has
/// freed it already).
pub(crate) struct RemoteObject {
    pub(crate) service: Arc<dyn KeyIsolation>,
    pub(crate) handle: RemoteHandle,
    /// False once the service has freed the object itself ([`RemoteObject::used_up`]).
    free_on_drop: bool,
}

impl RemoteObject {
    pub(crate) fn new(service: Arc<dyn KeyIsolation>, handle: RemoteHandle) -> RemoteObject {
        RemoteObject {
            service,
            handle,
            free_on_drop: true,
        }
    }

    /// Drops the object without freeing it: a request that uses it up frees it in the
    /// service.
    pub(crate) fn used_up(mut self) {
        self.free_on_drop = false;
    }

    /// Another object of the same service.
    pub(crate) fn sibling(&self, handle: RemoteHandle) -> RemoteObject {
        RemoteObject::new(self.service.clone(), handle)
    }

    /// True when both objects belong to the same service.
    pub(crate) fn same_service(&self, other: &RemoteObject) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.service), Arc::as_ptr(&other.service))
    }
}

impl Drop for RemoteObject {
    fn drop(&mut self) {
        // Best effort: an error (a restarted service, a closed connection) means the object
        // is gone already.
        if self.free_on_drop {
            let _ = self.service.free(self.handle);
        }
    }
}

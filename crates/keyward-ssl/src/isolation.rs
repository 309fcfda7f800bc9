//! Key isolation: the provider's secrets in another process, as Windows keeps them in LSASS
//! behind the Key Isolation service (KeyIso).
//!
//! [`Provider::isolated`](crate::Provider::isolated) opens the *isolated provider*, a second
//! implementation of the same typed API: every object that holds a private key, a master
//! secret or a TLS 1.3 handshake secret ([`PrivateKey`](crate::PrivateKey),
//! [`EphemeralKey`](crate::EphemeralKey), [`MasterKey`](crate::MasterKey),
//! [`Tls13Secret`](crate::Tls13Secret)) is then only a [`RemoteHandle`] to an object a
//! [`KeyIsolation`] service keeps; its methods keep their signatures and send the service what
//! it needs (a transcript digest, never the transcript). [`SessionKey`](crate::SessionKey)s
//! and [`HandshakeHash`](crate::HandshakeHash)es stay in process: the service hands back
//! traffic key material, and records are protected locally.
//!
//! keyward-keyiso implements [`KeyIsolation`] over its daemon's Unix socket
//! (`keyward_keyiso::isolated_provider`); keyward-ssl knows nothing of the transport.
//!
//! # What an isolated provider does not do
//!
//! These answer `NTE_NOT_SUPPORTED`, because they would hand a secret to the calling process
//! or the service has no operation for them:
//!
//! - the opaque export of a master key or TLS 1.3 secret (`SslExportKey` of an "ssl5"
//!   object), the key store's sealing keys and `import_opaque_key` (an isolated provider has no
//!   key store), and so TLS 1.2 session resumption and TLS 1.3 tickets (keyward-tls then
//!   simply issues none: see [`Provider::create_ticket_key`](crate::Provider::create_ticket_key));
//! - the raw export of a TLS 1.3 secret (`export_key_data`, key logs);
//! - TLS 1.3 key update (`update_traffic_secret`), the resumption master secret, binder keys
//!   and ticket PSKs;
//! - the raw shared secret of an ephemeral key (`EphemeralKey::agree`).
//!
//! Objects of an isolated provider and of an in-process one cannot be combined (an isolated
//! ephemeral key with an in-process early secret, say): `NTE_INVALID_HANDLE`.

use crate::keys::{Group, PublicKey, SignaturePadding};
use crate::master::FINISHED_LEN;
use crate::params::Parameters;
use crate::protocol::Protocol;
use crate::side::Side;
use crate::suites::CipherSuite;
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

/// The read and write key material of a TLS ≤ 1.2 connection, as
/// [`SessionKey::from_key_material`](crate::SessionKey::from_key_material) takes it.
pub struct SessionKeyMaterial {
    /// `MAC key ‖ key ‖ IV` of the read direction.
    pub read: SecretVec,
    /// `MAC key ‖ key ‖ IV` of the write direction.
    pub write: SecretVec,
}

/// The operations of a key isolation service: every step of a handshake that touches a
/// private key, a premaster, a master secret or a TLS 1.3 handshake secret, on handles to
/// objects the service keeps. Each mirrors the provider call named in its documentation,
/// with transcript digests in place of handshake hashes.
///
/// Implementations answer a handle they do not know, or of an earlier connection, with
/// `NTE_INVALID_HANDLE`, and must never panic.
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
    ) -> Result<(RemoteHandle, Option<RemoteHandle>)>;

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
}

impl RemoteObject {
    pub(crate) fn new(service: Arc<dyn KeyIsolation>, handle: RemoteHandle) -> RemoteObject {
        RemoteObject { service, handle }
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
        let _ = self.service.free(self.handle);
    }
}

//! The TLS 1.3 key schedule (RFC 8446 §7.1): `SslExtractEarlyKey`, `SslExtractHandshakeKey`,
//! `SslExtractMasterKey`, `SslExpandTrafficKeys`, `SslExpandWriteKey`,
//! `SslExpandExporterMasterKey`, `SslExpandResumptionMasterKey`, `SslExpandBinderKey`,
//! `SslExpandPreSharedKey`, TLS 1.3 Finished and exporters, and key update.
//!
//! ```text
//!            0 ─► HKDF-Extract ◄─ PSK (or zeros)          = early secret
//!                      │ Derive-Secret(., "derived", "")
//!   (EC)DHE ─► HKDF-Extract                               = handshake secret
//!                      │ Derive-Secret(., "derived", "")
//!            0 ─► HKDF-Extract                            = master secret
//! ```
//!
//! Every secret is a [`Tls13Secret`] that knows its kind and suite; each function accepts only
//! the kinds RFC 8446 derives from (`NTE_INVALID_HANDLE` otherwise). Secret bytes leave only
//! through [`Provider::export_key_data`] (an explicit raw export for key logs) or sealed in an
//! opaque blob.

use crate::hash::HandshakeHash;
use crate::isolation::{RemoteHandle, RemoteObject, RemoteTrafficSecret};
use crate::keys::{EphemeralKey, PublicKey};
use crate::protocol::Protocol;
use crate::provider::Provider;
use crate::record::CbcMode;
use crate::session::{Direction, SessionKey};
use crate::suites::{CipherSuite, KeyExchange};
use keyward_core::backend::hmac::HmacKey;
use keyward_core::backend::{hash, hkdf, HashAlgorithm};
use keyward_core::blob::KeyDataBlob;
use keyward_core::{Error, Result, SecretVec};

/// TLS 1.3 IVs are 12 bytes for every suite.
const IV_LEN: usize = 12;
/// Longest external PSK accepted by [`Provider::import_pre_shared_key`].
pub const MAX_PSK_LEN: usize = 1024;
/// Longest ticket nonce (`opaque ticket_nonce<0..255>`, RFC 8446 §4.6.1).
pub const MAX_TICKET_NONCE_LEN: usize = 255;

/// What a TLS 1.3 secret is: where it sits in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A pre-shared key: external, or made from a ticket (`SslExpandPreSharedKey`).
    PreSharedKey,
    /// The early secret (`SslExtractEarlyKey`).
    Early,
    /// The handshake secret (`SslExtractHandshakeKey`).
    Handshake,
    /// The master secret (`SslExtractMasterKey`).
    Master,
    /// `client_early_traffic_secret` ("c e traffic").
    ClientEarlyTraffic,
    /// `client_handshake_traffic_secret` ("c hs traffic").
    ClientHandshakeTraffic,
    /// `server_handshake_traffic_secret` ("s hs traffic").
    ServerHandshakeTraffic,
    /// `client_application_traffic_secret_N` ("c ap traffic", then "traffic upd").
    ClientApplicationTraffic,
    /// `server_application_traffic_secret_N` ("s ap traffic", then "traffic upd").
    ServerApplicationTraffic,
    /// `early_exporter_master_secret` ("e exp master").
    EarlyExporterMaster,
    /// `exporter_master_secret` ("exp master").
    ExporterMaster,
    /// `resumption_master_secret` ("res master").
    ResumptionMaster,
    /// Binder key of an external PSK ("ext binder").
    ExternalBinder,
    /// Binder key of a resumption PSK ("res binder").
    ResumptionBinder,
}

impl SecretKind {
    /// Every kind, in schedule order; the index is the kind's code in opaque blobs.
    pub const ALL: [SecretKind; 14] = [
        SecretKind::PreSharedKey,
        SecretKind::Early,
        SecretKind::Handshake,
        SecretKind::Master,
        SecretKind::ClientEarlyTraffic,
        SecretKind::ClientHandshakeTraffic,
        SecretKind::ServerHandshakeTraffic,
        SecretKind::ClientApplicationTraffic,
        SecretKind::ServerApplicationTraffic,
        SecretKind::EarlyExporterMaster,
        SecretKind::ExporterMaster,
        SecretKind::ResumptionMaster,
        SecretKind::ExternalBinder,
        SecretKind::ResumptionBinder,
    ];

    /// True for the secrets records are protected with (`SslExpandWriteKey` takes them).
    pub fn is_traffic(self) -> bool {
        matches!(
            self,
            SecretKind::ClientEarlyTraffic
                | SecretKind::ClientHandshakeTraffic
                | SecretKind::ServerHandshakeTraffic
                | SecretKind::ClientApplicationTraffic
                | SecretKind::ServerApplicationTraffic
        )
    }

    /// The kind's code in opaque blobs.
    pub(crate) fn code(self) -> u8 {
        SecretKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    /// The kind with an opaque-blob code.
    pub(crate) fn from_code(code: u8) -> Option<SecretKind> {
        SecretKind::ALL.get(usize::from(code)).copied()
    }
}

/// A secret of the TLS 1.3 key schedule (the TLS 1.3 key objects of Windows).
///
/// A secret of an isolated provider ([`Provider::isolated`]) is a handle to a secret the
/// isolation service keeps: the extract and expand steps, Finished, write keys, exporters,
/// key update, resumption, binders and ticket PSKs run there, and the opaque export is sealed
/// there; the raw export is `NTE_NOT_SUPPORTED`.
pub struct Tls13Secret {
    suite: &'static CipherSuite,
    /// The suite's hash, which runs every step of the schedule.
    hash: HashAlgorithm,
    kind: SecretKind,
    secret: Tls13SecretValue,
}

enum Tls13SecretValue {
    Local(SecretVec),
    /// A secret the service keeps; for a traffic secret, also its write key's material
    /// (`key ‖ iv`), which the service sent with it.
    Remote {
        object: RemoteObject,
        write_key: Option<SecretVec>,
    },
}

/// What an isolated secret answers to the operations the isolation service does not offer.
const NOT_ISOLATED: Error =
    Error::NotSupported("a TLS 1.3 secret of an isolated provider stays in its service");

impl Tls13Secret {
    /// Wraps secret bytes (opaque import, PSKs).
    pub(crate) fn new(
        suite: &'static CipherSuite,
        kind: SecretKind,
        secret: SecretVec,
    ) -> Result<Self> {
        let hash = suite_hash(suite)?;
        let length_ok = match kind {
            SecretKind::PreSharedKey => (1..=MAX_PSK_LEN).contains(&secret.len()),
            _ => secret.len() == hash.output_len(),
        };
        if !length_ok {
            return Err(Error::BadData("TLS 1.3 secret length"));
        }
        Ok(Tls13Secret {
            suite,
            hash,
            kind,
            secret: Tls13SecretValue::Local(secret),
        })
    }

    /// A secret kept by an isolation service.
    pub(crate) fn remote(
        suite: &'static CipherSuite,
        kind: SecretKind,
        object: RemoteObject,
    ) -> Result<Self> {
        Tls13Secret::remote_with(suite, kind, object, None)
    }

    /// A traffic secret kept by an isolation service, with the material of its write key.
    pub(crate) fn remote_traffic(
        suite: &'static CipherSuite,
        kind: SecretKind,
        object: RemoteObject,
        write_key: SecretVec,
    ) -> Result<Self> {
        Tls13Secret::remote_with(suite, kind, object, Some(write_key))
    }

    fn remote_with(
        suite: &'static CipherSuite,
        kind: SecretKind,
        object: RemoteObject,
        write_key: Option<SecretVec>,
    ) -> Result<Self> {
        Ok(Tls13Secret {
            suite,
            hash: suite_hash(suite)?,
            kind,
            secret: Tls13SecretValue::Remote { object, write_key },
        })
    }

    /// Drops the secret; one kept by an isolation service is not freed there, because the
    /// request that used it up freed it.
    pub(crate) fn used_up(self) {
        if let Tls13SecretValue::Remote { object, .. } = self.secret {
            object.used_up();
        }
    }

    /// The secret bytes of an in-process secret; `NTE_NOT_SUPPORTED` for an isolated one.
    fn local(&self) -> Result<&SecretVec> {
        match &self.secret {
            Tls13SecretValue::Local(secret) => Ok(secret),
            Tls13SecretValue::Remote { .. } => Err(NOT_ISOLATED),
        }
    }

    /// The service object when the secret is kept by an isolation service.
    pub(crate) fn remote_object(&self) -> Option<&RemoteObject> {
        match &self.secret {
            Tls13SecretValue::Remote { object, .. } => Some(object),
            Tls13SecretValue::Local(_) => None,
        }
    }

    /// The write key material a service sent with this traffic secret, if it did.
    fn remote_write_key(&self) -> Option<&SecretVec> {
        match &self.secret {
            Tls13SecretValue::Remote { write_key, .. } => write_key.as_ref(),
            Tls13SecretValue::Local(_) => None,
        }
    }

    /// The traffic secrets a service made from this (remote) secret, as [`Tls13Secret`]s of
    /// the kinds its schedule step gives; secrets of other kinds are freed, and
    /// `NTE_BAD_DATA`.
    fn remote_traffic_pair(
        &self,
        object: &RemoteObject,
        (client_traffic, server_traffic): (RemoteTrafficSecret, Option<RemoteTrafficSecret>),
    ) -> Result<(Tls13Secret, Option<Tls13Secret>)> {
        let (client, server) = traffic_labels(self.kind)?;
        let client = self.traffic_sibling(object, client_traffic, client.1)?;
        let server = match (server, server_traffic) {
            (Some((_, kind)), Some(traffic)) => Some(self.traffic_sibling(object, traffic, kind)?),
            (None, None) => None,
            (_, traffic) => {
                if let Some(traffic) = traffic {
                    let _ = object.service.free(traffic.handle);
                }
                return Err(Error::BadData("traffic secrets of another kind"));
            }
        };
        Ok((client, server))
    }

    /// A traffic secret of kind `kind` made by the same service as `self`, with its write
    /// key's material.
    fn traffic_sibling(
        &self,
        object: &RemoteObject,
        traffic: RemoteTrafficSecret,
        kind: SecretKind,
    ) -> Result<Self> {
        Tls13Secret::remote_traffic(
            self.suite,
            kind,
            object.sibling(traffic.handle),
            traffic.write_key,
        )
    }

    /// A secret of kind `kind` made by the same service as `self`.
    fn sibling(
        &self,
        object: &RemoteObject,
        handle: RemoteHandle,
        kind: SecretKind,
    ) -> Result<Self> {
        Tls13Secret::remote(self.suite, kind, object.sibling(handle))
    }

    /// What this secret is.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    /// The suite (its hash runs the schedule).
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }

    /// The secret bytes, for sealing or the explicit raw export only.
    pub(crate) fn secret(&self) -> Result<&SecretVec> {
        self.local()
    }

    fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    pub(crate) fn require(&self, kinds: &[SecretKind]) -> Result<()> {
        if kinds.contains(&self.kind) {
            Ok(())
        } else {
            Err(Error::InvalidHandle)
        }
    }

    /// `HKDF-Expand-Label(secret, label, context, Hash.len)` as a new secret of `kind`.
    fn expand(&self, label: &[u8], context: &[u8], kind: SecretKind) -> Result<Tls13Secret> {
        let mut out = SecretVec::zeroed(self.hash().output_len());
        expand_label(
            self.hash(),
            self.local()?.expose(),
            label,
            context,
            out.expose_mut(),
        )?;
        Tls13Secret::new(self.suite, kind, out)
    }

    /// `Derive-Secret(secret, label, messages)` with the transcript's current hash.
    fn derive(
        &self,
        label: &[u8],
        transcript: &HandshakeHash,
        kind: SecretKind,
    ) -> Result<Tls13Secret> {
        self.expand(label, &self.transcript_hash(transcript)?, kind)
    }

    /// `Derive-Secret(secret, label, "")`.
    fn derive_empty(&self, label: &[u8], kind: SecretKind) -> Result<Tls13Secret> {
        self.expand(label, hash(self.hash(), &[]).as_bytes(), kind)
    }

    /// `Derive-Secret(secret, label, messages)` with a transcript digest the caller computed,
    /// checked to have the suite's hash length.
    fn derive_for_digest(
        &self,
        label: &[u8],
        transcript_digest: &[u8],
        kind: SecretKind,
    ) -> Result<Tls13Secret> {
        self.check_digest(transcript_digest)?;
        self.expand(label, transcript_digest, kind)
    }

    /// A transcript digest of this secret's hash, else `NTE_INVALID_PARAMETER`.
    fn check_digest(&self, transcript_digest: &[u8]) -> Result<()> {
        if transcript_digest.len() != self.hash().output_len() {
            return Err(Error::InvalidParameter("transcript digest of another hash"));
        }
        Ok(())
    }

    fn transcript_hash(&self, transcript: &HandshakeHash) -> Result<Vec<u8>> {
        if transcript.protocol() != Protocol::Tls13 || transcript.algorithm() != Some(self.hash()) {
            return Err(Error::InvalidParameter("transcript hash of another suite"));
        }
        Ok(transcript.current_digest())
    }

    /// The next application traffic secret (RFC 8446 §7.2, key update):
    /// `HKDF-Expand-Label(secret, "traffic upd", "", Hash.len)`. Only application traffic
    /// secrets update (`NTE_INVALID_HANDLE` otherwise).
    pub fn update_traffic_secret(&self) -> Result<Tls13Secret> {
        self.require(&[
            SecretKind::ClientApplicationTraffic,
            SecretKind::ServerApplicationTraffic,
        ])?;
        if let Some(object) = self.remote_object() {
            let handle = object.service.update_traffic_secret(object.handle)?;
            return self.sibling(object, handle, self.kind);
        }
        self.expand(b"traffic upd", &[], self.kind)
    }

    /// TLS 1.3 Finished (`SslComputeFinishedHash` on a traffic key; RFC 8446 §4.4.4):
    /// `HMAC(HKDF-Expand-Label(secret, "finished", "", Hash.len), transcript hash)`. On a binder
    /// key the same computation gives the PSK binder (RFC 8446 §4.2.11.2).
    pub fn compute_finished_hash(&self, transcript: &HandshakeHash) -> Result<Vec<u8>> {
        if !self.kind.is_traffic()
            && !matches!(
                self.kind,
                SecretKind::ExternalBinder | SecretKind::ResumptionBinder
            )
        {
            return Err(Error::InvalidHandle);
        }
        let transcript_hash = self.transcript_hash(transcript)?;
        self.compute_finished_for_digest(&transcript_hash)
    }

    /// [`Tls13Secret::compute_finished_hash`] over a transcript digest the caller computed (a
    /// keyward extension for key isolation: the transcript stays with the engine, the secret
    /// with the daemon). The digest must have the suite's hash length, else
    /// `NTE_INVALID_PARAMETER`.
    pub fn compute_finished_for_digest(&self, transcript_digest: &[u8]) -> Result<Vec<u8>> {
        if !self.kind.is_traffic()
            && !matches!(
                self.kind,
                SecretKind::ExternalBinder | SecretKind::ResumptionBinder
            )
        {
            return Err(Error::InvalidHandle);
        }
        self.check_digest(transcript_digest)?;
        if let Some(object) = self.remote_object() {
            return object
                .service
                .compute_tls13_finished(object.handle, transcript_digest);
        }
        let finished_key = self.expand(b"finished", &[], self.kind)?;
        let tag =
            HmacKey::new(self.hash(), finished_key.local()?.expose())?.sign(&[transcript_digest]);
        Ok(tag.as_bytes().to_vec())
    }

    /// The TLS 1.3 exporter (`SslExportKeyingMaterial` on an exporter master secret; RFC 8446
    /// §7.5): `HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context),
    /// out.len())`. No context is the empty context.
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<()> {
        self.require(&[SecretKind::ExporterMaster, SecretKind::EarlyExporterMaster])?;
        if let Some(object) = self.remote_object() {
            let material = object.service.export_keying_material(
                object.handle,
                label,
                context,
                None,
                out.len(),
            )?;
            if material.len() != out.len() {
                return Err(Error::BadData("keying material of another length"));
            }
            out.copy_from_slice(material.expose());
            return Ok(());
        }
        let derived = self.derive_empty(label, self.kind)?;
        let context_hash = hash(self.hash(), context.unwrap_or(&[]));
        expand_label(
            self.hash(),
            derived.local()?.expose(),
            b"exporter",
            context_hash.as_bytes(),
            out,
        )
    }
}

/// The hash of a TLS 1.3 suite.
fn suite_hash(suite: &CipherSuite) -> Result<HashAlgorithm> {
    if suite.key_exchange != KeyExchange::Tls13 {
        return Err(Error::NotSupported("not a TLS 1.3 cipher suite"));
    }
    suite
        .prf(Protocol::Tls13)
        .hash_algorithm()
        .ok_or(Error::Internal("TLS 1.3 suite without a hash"))
}

/// `HKDF-Expand-Label(secret, label, context, out.len())` (RFC 8446 §7.1): the info is
/// `uint16 length ‖ opaque label<7..255> = "tls13 " + label ‖ opaque context<0..255>`.
fn expand_label(
    hash: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let length = u16::try_from(out.len()).map_err(|_| Error::InvalidParameter("output length"))?;
    let label_len =
        u8::try_from(6 + label.len()).map_err(|_| Error::InvalidParameter("label length"))?;
    let context_len =
        u8::try_from(context.len()).map_err(|_| Error::InvalidParameter("context length"))?;
    hkdf::expand(
        hash,
        secret,
        &[
            &length.to_be_bytes(),
            &[label_len],
            b"tls13 ",
            label,
            &[context_len],
            context,
        ],
        out,
    )
}

impl Provider {
    /// `suite` when `protocol` is TLS 1.3 and the suite one of its own, else
    /// `NTE_NOT_SUPPORTED`.
    fn tls13_suite(
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<&'static CipherSuite> {
        if protocol != Protocol::Tls13 {
            return Err(Error::NotSupported(
                "the TLS 1.3 key schedule needs TLS 1.3",
            ));
        }
        CipherSuite::for_protocol(protocol, suite)
    }

    /// Wraps an external pre-shared key for `suite` (the `TLS13PRESHAREDKEY` import of
    /// `SslImportKey`): 1 to 1024 bytes. An isolated provider hands it to its service, which
    /// keeps it from then on.
    pub fn import_pre_shared_key(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        psk: &[u8],
    ) -> Result<Tls13Secret> {
        let suite = Provider::tls13_suite(protocol, suite)?;
        if psk.is_empty() || psk.len() > MAX_PSK_LEN {
            return Err(Error::InvalidParameter("PSK length"));
        }
        if let Some(service) = self.isolation() {
            let handle = service.import_pre_shared_key(suite, psk)?;
            let object = RemoteObject::new(service.clone(), handle);
            return Tls13Secret::remote(suite, SecretKind::PreSharedKey, object);
        }
        Tls13Secret::new(suite, SecretKind::PreSharedKey, SecretVec::from_slice(psk))
    }

    /// The early secret (`SslExtractEarlyKey`): `HKDF-Extract(0, PSK)`, or of `Hash.len` zeros
    /// without a PSK. The PSK must belong to a suite with the same hash.
    pub fn extract_early_key(
        &self,
        psk: Option<&Tls13Secret>,
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<Tls13Secret> {
        let suite = Provider::tls13_suite(protocol, suite)?;
        let hash = suite_hash(suite)?;
        if let (Some(service), None) = (self.isolation(), psk) {
            let handle = service.extract_early_key(suite)?;
            return Tls13Secret::remote(
                suite,
                SecretKind::Early,
                RemoteObject::new(service.clone(), handle),
            );
        }
        if let Some(psk) = psk {
            if let Some(object) = psk.remote_object() {
                psk.require(&[SecretKind::PreSharedKey])?;
                if psk.hash() != hash {
                    return Err(Error::InvalidParameter("PSK of a suite with another hash"));
                }
                let handle = object
                    .service
                    .extract_early_key_with_psk(object.handle, suite)?;
                return Tls13Secret::remote(suite, SecretKind::Early, object.sibling(handle));
            }
        }
        let zeros = [0u8; 64];
        let ikm = match psk {
            Some(psk) => {
                psk.require(&[SecretKind::PreSharedKey])?;
                if psk.hash() != hash {
                    return Err(Error::InvalidParameter("PSK of a suite with another hash"));
                }
                psk.local()?.expose()
            }
            None => &zeros[..hash.output_len()],
        };
        Tls13Secret::new(suite, SecretKind::Early, hkdf::extract(hash, &[], ikm)?)
    }

    /// The handshake secret (`SslExtractHandshakeKey`): the (EC)DHE shared secret of `own` and
    /// `peer` (finite-field secrets left-padded, RFC 8446 §7.4.1; peer values validated),
    /// extracted with `Derive-Secret(early, "derived", "")` as salt.
    pub fn extract_handshake_key(
        &self,
        own: &EphemeralKey,
        peer: &PublicKey,
        early: &Tls13Secret,
    ) -> Result<Tls13Secret> {
        early.require(&[SecretKind::Early])?;
        match (own.remote_object(), early.remote_object()) {
            (None, None) => {}
            (Some(own_object), Some(early_object)) if own_object.same_service(early_object) => {
                let handle = early_object.service.extract_handshake_key(
                    own_object.handle,
                    &peer.to_tls()?,
                    early_object.handle,
                )?;
                return early.sibling(early_object, handle, SecretKind::Handshake);
            }
            _ => return Err(Error::InvalidHandle),
        }
        let shared = own.agree(peer)?;
        let salt = early.derive_empty(b"derived", SecretKind::Early)?;
        let secret = hkdf::extract(early.hash(), salt.local()?.expose(), shared.expose())?;
        Tls13Secret::new(early.suite, SecretKind::Handshake, secret)
    }

    /// The master secret (`SslExtractMasterKey`): `HKDF-Extract(Derive-Secret(handshake,
    /// "derived", ""), 0)`.
    pub fn extract_master_key(&self, handshake: &Tls13Secret) -> Result<Tls13Secret> {
        handshake.require(&[SecretKind::Handshake])?;
        if let Some(object) = handshake.remote_object() {
            let handle = object.service.extract_master_key(object.handle)?;
            return handshake.sibling(object, handle, SecretKind::Master);
        }
        let salt = handshake.derive_empty(b"derived", SecretKind::Handshake)?;
        let zeros = [0u8; 64];
        let ikm = &zeros[..handshake.hash().output_len()];
        let secret = hkdf::extract(handshake.hash(), salt.local()?.expose(), ikm)?;
        Tls13Secret::new(handshake.suite, SecretKind::Master, secret)
    }

    /// The client and server traffic secrets derived from `base` and the transcript
    /// (`SslExpandTrafficKeys`): handshake secret → "c hs traffic" / "s hs traffic"; master
    /// secret → "c ap traffic" / "s ap traffic"; early secret → "c e traffic" (client only).
    /// The transcript is read, not finalised.
    pub fn expand_traffic_keys(
        &self,
        base: &Tls13Secret,
        transcript: &HandshakeHash,
    ) -> Result<(Option<Tls13Secret>, Option<Tls13Secret>)> {
        let (client, server) = traffic_labels(base.kind)?;
        if base.remote_object().is_some() {
            let digest = base.transcript_hash(transcript)?;
            let (client, server) = self.expand_traffic_keys_for_digest(base, &digest)?;
            return Ok((Some(client), server));
        }
        let client = base.derive(client.0, transcript, client.1)?;
        let server = server
            .map(|(label, kind)| base.derive(label, transcript, kind))
            .transpose()?;
        Ok((Some(client), server))
    }

    /// [`Provider::expand_traffic_keys`] over a transcript digest the caller computed (a
    /// keyward extension for key isolation). Returns the client's secret and, except from the
    /// early secret, the server's. The digest must have the suite's hash length, else
    /// `NTE_INVALID_PARAMETER`.
    pub fn expand_traffic_keys_for_digest(
        &self,
        base: &Tls13Secret,
        transcript_digest: &[u8],
    ) -> Result<(Tls13Secret, Option<Tls13Secret>)> {
        let (client, server) = traffic_labels(base.kind)?;
        if let Some(object) = base.remote_object() {
            base.check_digest(transcript_digest)?;
            let made = object
                .service
                .expand_traffic_keys(object.handle, transcript_digest)?;
            return base.remote_traffic_pair(object, made);
        }
        let client = base.derive_for_digest(client.0, transcript_digest, client.1)?;
        let server = server
            .map(|(label, kind)| base.derive_for_digest(label, transcript_digest, kind))
            .transpose()?;
        Ok((client, server))
    }

    /// [`Provider::expand_traffic_keys`] and the Finished `finished_by` makes over the same
    /// transcript ([`Tls13Secret::compute_finished_hash`]), in one step: RFC 8446 derives a
    /// server's application traffic secrets and the client Finished it expects from the same
    /// transcript hash, the one that ends with the server's Finished. On an isolated provider
    /// this is one round trip to its service rather than two (a keyward extension).
    #[allow(clippy::type_complexity)]
    pub fn expand_traffic_keys_with_finished(
        &self,
        base: &Tls13Secret,
        transcript: &HandshakeHash,
        finished_by: &Tls13Secret,
    ) -> Result<((Option<Tls13Secret>, Option<Tls13Secret>), Vec<u8>)> {
        if let (Some(object), Some(finisher)) = (base.remote_object(), finished_by.remote_object())
        {
            if object.same_service(finisher) && finished_by.kind.is_traffic() {
                traffic_labels(base.kind)?;
                let digest = base.transcript_hash(transcript)?;
                finished_by.check_digest(&digest)?;
                let (client, server, verify_data) = object
                    .service
                    .expand_traffic_keys_with_finished(object.handle, &digest, finisher.handle)?;
                let (client, server) = base.remote_traffic_pair(object, (client, server))?;
                return Ok(((Some(client), server), verify_data));
            }
        }
        let keys = self.expand_traffic_keys(base, transcript)?;
        let verify_data = finished_by.compute_finished_hash(transcript)?;
        Ok((keys, verify_data))
    }

    /// [`Provider::expand_exporter_master_key`] over a transcript digest the caller computed
    /// (a keyward extension for key isolation).
    pub fn expand_exporter_master_key_for_digest(
        &self,
        base: &Tls13Secret,
        transcript_digest: &[u8],
    ) -> Result<Tls13Secret> {
        if let Some(object) = base.remote_object() {
            let kind = match base.kind {
                SecretKind::Early => SecretKind::EarlyExporterMaster,
                SecretKind::Master => SecretKind::ExporterMaster,
                _ => return Err(Error::InvalidHandle),
            };
            base.check_digest(transcript_digest)?;
            let handle = object
                .service
                .expand_exporter_master_key(object.handle, transcript_digest)?;
            return base.sibling(object, handle, kind);
        }
        match base.kind {
            SecretKind::Early => base.derive_for_digest(
                b"e exp master",
                transcript_digest,
                SecretKind::EarlyExporterMaster,
            ),
            SecretKind::Master => {
                base.derive_for_digest(b"exp master", transcript_digest, SecretKind::ExporterMaster)
            }
            _ => Err(Error::InvalidHandle),
        }
    }

    /// The record key of a traffic secret (`SslExpandWriteKey`): `key =
    /// HKDF-Expand-Label(secret, "key", "", key_len)`, `iv = HKDF-Expand-Label(secret, "iv",
    /// "", 12)`. One key serves both directions: encrypt with our secret's key, decrypt with
    /// the peer's.
    pub fn expand_write_key(&self, traffic: &Tls13Secret) -> Result<SessionKey> {
        if !traffic.kind.is_traffic() {
            return Err(Error::InvalidHandle);
        }
        if let Some(object) = traffic.remote_object() {
            let material = match traffic.remote_write_key() {
                Some(material) => material.clone(),
                None => object.service.expand_write_key_material(object.handle)?,
            };
            return SessionKey::from_key_material(
                Protocol::Tls13,
                traffic.suite,
                Direction::Write,
                CbcMode::MacThenEncrypt,
                material.expose(),
            );
        }
        let mut key = SecretVec::zeroed(traffic.suite.cipher.key_len());
        let mut iv = SecretVec::zeroed(IV_LEN);
        expand_label(
            traffic.hash(),
            traffic.local()?.expose(),
            b"key",
            &[],
            key.expose_mut(),
        )?;
        expand_label(
            traffic.hash(),
            traffic.local()?.expose(),
            b"iv",
            &[],
            iv.expose_mut(),
        )?;
        SessionKey::new(
            Protocol::Tls13,
            traffic.suite,
            Direction::Write,
            CbcMode::MacThenEncrypt,
            &[],
            key.expose(),
            iv.expose(),
        )
    }

    /// The exporter master secret (`SslExpandExporterMasterKey`): "e exp master" from the early
    /// secret, "exp master" from the master secret.
    pub fn expand_exporter_master_key(
        &self,
        base: &Tls13Secret,
        transcript: &HandshakeHash,
    ) -> Result<Tls13Secret> {
        if base.remote_object().is_some() {
            let digest = base.transcript_hash(transcript)?;
            return self.expand_exporter_master_key_for_digest(base, &digest);
        }
        match base.kind {
            SecretKind::Early => {
                base.derive(b"e exp master", transcript, SecretKind::EarlyExporterMaster)
            }
            SecretKind::Master => {
                base.derive(b"exp master", transcript, SecretKind::ExporterMaster)
            }
            _ => Err(Error::InvalidHandle),
        }
    }

    /// The resumption master secret (`SslExpandResumptionMasterKey`): "res master" from the
    /// master secret over the transcript up to the client's Finished.
    pub fn expand_resumption_master_key(
        &self,
        master: &Tls13Secret,
        transcript: &HandshakeHash,
    ) -> Result<Tls13Secret> {
        master.require(&[SecretKind::Master])?;
        let digest = master.transcript_hash(transcript)?;
        self.expand_resumption_master_key_for_digest(master, &digest)
    }

    /// [`Provider::expand_resumption_master_key`] over a transcript digest the caller computed
    /// (a keyward extension for key isolation). The digest must have the suite's hash length,
    /// else `NTE_INVALID_PARAMETER`.
    pub fn expand_resumption_master_key_for_digest(
        &self,
        master: &Tls13Secret,
        transcript_digest: &[u8],
    ) -> Result<Tls13Secret> {
        master.require(&[SecretKind::Master])?;
        master.check_digest(transcript_digest)?;
        if let Some(object) = master.remote_object() {
            let handle = object
                .service
                .expand_resumption_master_key(object.handle, transcript_digest)?;
            return master.sibling(object, handle, SecretKind::ResumptionMaster);
        }
        master.derive_for_digest(
            b"res master",
            transcript_digest,
            SecretKind::ResumptionMaster,
        )
    }

    /// The PSK binder key (`SslExpandBinderKey`): `Derive-Secret(early, "res binder", "")` for
    /// a resumption PSK (`NCRYPT_SSL_RESUMPTION_PSK_FLAG`), "ext binder" for an external one.
    pub fn expand_binder_key(&self, early: &Tls13Secret, resumption: bool) -> Result<Tls13Secret> {
        early.require(&[SecretKind::Early])?;
        if let Some(object) = early.remote_object() {
            let handle = object
                .service
                .expand_binder_key(object.handle, resumption)?;
            let kind = if resumption {
                SecretKind::ResumptionBinder
            } else {
                SecretKind::ExternalBinder
            };
            return early.sibling(object, handle, kind);
        }
        if resumption {
            early.derive_empty(b"res binder", SecretKind::ResumptionBinder)
        } else {
            early.derive_empty(b"ext binder", SecretKind::ExternalBinder)
        }
    }

    /// The PSK of a ticket (`SslExpandPreSharedKey`): `HKDF-Expand-Label(resumption_master,
    /// "resumption", ticket_nonce, Hash.len)` (RFC 8446 §4.6.1).
    pub fn expand_pre_shared_key(
        &self,
        resumption_master: &Tls13Secret,
        ticket_nonce: &[u8],
    ) -> Result<Tls13Secret> {
        resumption_master.require(&[SecretKind::ResumptionMaster])?;
        if ticket_nonce.len() > MAX_TICKET_NONCE_LEN {
            return Err(Error::InvalidParameter(
                "ticket nonce longer than 255 bytes",
            ));
        }
        if let Some(object) = resumption_master.remote_object() {
            let handle = object
                .service
                .expand_pre_shared_key(object.handle, ticket_nonce)?;
            return resumption_master.sibling(object, handle, SecretKind::PreSharedKey);
        }
        resumption_master.expand(b"resumption", ticket_nonce, SecretKind::PreSharedKey)
    }

    /// The explicit raw export of a TLS 1.3 secret as a `BCRYPT_KEY_DATA_BLOB` (`SslExportKey`
    /// with `BCRYPT_KEY_DATA_BLOB`, a keyward extension): for key logs (`SSLKEYLOGFILE`) and
    /// debugging. Nothing else hands out secret bytes.
    pub fn export_key_data(&self, secret: &Tls13Secret) -> Result<Vec<u8>> {
        Ok(KeyDataBlob::new(secret.local()?.expose())?
            .to_bytes()
            .expose()
            .to_vec())
    }

    /// The explicit raw export of a TLS 1.3 write key: `key ‖ iv` in a `BCRYPT_KEY_DATA_BLOB`.
    /// TLS ≤ 1.2 session keys are `NTE_NOT_SUPPORTED` (they travel only sealed).
    pub fn export_write_key_data(&self, key: &SessionKey) -> Result<Vec<u8>> {
        if key.protocol() != Protocol::Tls13 {
            return Err(Error::NotSupported("raw export of TLS 1.2 session keys"));
        }
        Ok(KeyDataBlob::new(key.material())?
            .to_bytes()
            .expose()
            .to_vec())
    }
}

/// The labels and kinds of the traffic secrets a base secret expands to (RFC 8446 §7.1): the
/// client's, and except from the early secret the server's. Other kinds are
/// `NTE_INVALID_HANDLE`.
type TrafficLabel = (&'static [u8], SecretKind);

fn traffic_labels(base: SecretKind) -> Result<(TrafficLabel, Option<TrafficLabel>)> {
    use SecretKind::*;
    Ok(match base {
        Early => ((b"c e traffic", ClientEarlyTraffic), None),
        Handshake => (
            (b"c hs traffic", ClientHandshakeTraffic),
            Some((b"s hs traffic", ServerHandshakeTraffic)),
        ),
        Master => (
            (b"c ap traffic", ClientApplicationTraffic),
            Some((b"s ap traffic", ServerApplicationTraffic)),
        ),
        _ => return Err(Error::InvalidHandle),
    })
}

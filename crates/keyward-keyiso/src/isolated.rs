//! The isolated provider: keyward-ssl's [`KeyIsolation`] served by the daemon, so that
//! [`Provider::isolated`] (and everything built on a [`Provider`]: keyward-tls, libkeyward,
//! `keyward serve --keyiso`) keeps its private keys and handshake secrets in the daemon.
//!
//! # Connections and restarts
//!
//! An [`IsolationService`] holds one connection to the daemon at a time and numbers them
//! (the *generation*, carried in every [`RemoteHandle`]). When a call finds the connection
//! broken (the daemon stopped or restarted) the connection is dropped: handles of that
//! generation are then `NTE_INVALID_HANDLE` for good, since the daemon that made them is gone
//! and a new one would not know them. The next call that needs no handle (open a private
//! key, create an ephemeral key, extract an early secret, import an opaque blob, seal or open
//! a ticket) connects again, so new handshakes work as soon as the daemon is back;
//! keyward-ssl opens a server's private key again by its certificate when its handle turns
//! out stale. Nothing panics on the way.

// Handles what the daemon sends: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::client::Client;
use crate::protocol::{
    Cipher, Handle, ImportedKey, RequestBody, ResponseBody, WireFlightSigner, WireFlightTicket12,
    WireFlightTicket13, WireParameters, WireSecret, WireSessionKey,
};
use keyward_core::backend::Curve;
use keyward_core::{Error, Result, SecretVec};
use keyward_ssl::isolation::{
    RemoteFlight12, RemoteFlight13, RemoteFlightKeys12, RemoteFlightKeys13, RemoteOpaqueKey,
    RemotePrivateKeyInfo, RemoteTrafficSecret, SessionKeyMaterial,
};
use keyward_ssl::master::FINISHED_LEN;
use keyward_ssl::{
    CipherSuite, Group, KeyIsolation, Parameters, Protocol, Provider, PublicBlobType, PublicKey,
    RemoteHandle, SessionKey, Side, SignaturePadding,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey as SpkiKey;

/// Opens the isolated provider ("Keyward Isolated SSL Provider") over the daemon at `socket`:
/// a [`Provider`] whose private keys and handshake secrets stay in the daemon.
///
/// Connects at once: no daemon there is `NTE_PROV_DLL_NOT_FOUND` ([`Error::UnknownProvider`]),
/// a daemon that refuses this user `NTE_PERM`, as [`Client::connect`].
pub fn isolated_provider(socket: &Path) -> Result<Provider> {
    Ok(Provider::isolated(IsolationService::connect(socket)?))
}

/// [`isolated_provider`] over the daemon's default socket ([`crate::default_socket_path`]).
pub fn isolated_provider_default() -> Result<Provider> {
    isolated_provider(&crate::default_socket_path())
}

/// keyward-ssl's [`KeyIsolation`] over a connection to the daemon, reconnecting after a
/// restart (see the [module documentation](self)).
pub struct IsolationService {
    socket: PathBuf,
    state: Mutex<Connection>,
    /// Ephemeral keys made one handshake ahead ([`IsolationService::create_ephemeral_key`]).
    spares: Mutex<Vec<SpareKey>>,
}

/// An ephemeral key asked for ahead of need: the request went with an earlier one, and its
/// answer is kept by the client that sent it.
struct SpareKey {
    generation: u64,
    client: Arc<Client>,
    protocol: Protocol,
    suite: &'static CipherSuite,
    group: Group,
    /// The request's id ([`Client::send_later`]).
    request: u32,
}

impl SpareKey {
    /// True for a key made for `protocol`, `suite` and `group`.
    fn is_for(&self, protocol: Protocol, suite: &CipherSuite, group: Group) -> bool {
        self.protocol == protocol && self.suite.id == suite.id && self.group == group
    }
}

/// The most spare ephemeral keys kept, one for each protocol, suite and group in use.
const MAX_SPARE_KEYS: usize = 4;

struct Connection {
    /// The number of the current (or last) connection; handles carry it.
    generation: u64,
    /// `None` once the connection broke.
    client: Option<Arc<Client>>,
}

/// True for the errors that mean the connection to the daemon is gone.
fn is_broken(error: &Error) -> bool {
    matches!(error, Error::Io(_))
}

fn unexpected() -> Error {
    Error::BadData("unexpected response from the keyiso daemon")
}

impl IsolationService {
    /// Connects to the daemon at `socket` (errors as [`Client::connect`]).
    pub fn connect(socket: &Path) -> Result<Arc<IsolationService>> {
        let client = Client::connect(socket)?;
        Ok(Arc::new(IsolationService {
            socket: socket.to_path_buf(),
            state: Mutex::new(Connection {
                generation: 1,
                client: Some(Arc::new(client)),
            }),
            spares: Mutex::new(Vec::new()),
        }))
    }

    /// The socket this service connects to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The number of the current connection (1 for the first; each reconnection adds one).
    pub fn generation(&self) -> Result<u64> {
        Ok(self.lock()?.generation)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.state
            .lock()
            .map_err(|_| Error::Internal("keyiso service lock poisoned"))
    }

    /// The client of the current connection, if it works, and its generation.
    fn current(&self) -> Result<(u64, Option<Arc<Client>>)> {
        let state = self.lock()?;
        Ok((state.generation, state.client.clone()))
    }

    /// Forgets connection `generation` after it broke.
    fn broke(&self, generation: u64) {
        if let Ok(mut state) = self.lock() {
            if state.generation == generation {
                state.client = None;
            }
        }
    }

    /// The current client, connecting again if the last connection broke.
    fn client_or_reconnect(&self) -> Result<(u64, Arc<Client>)> {
        let mut state = self.lock()?;
        if let Some(client) = &state.client {
            return Ok((state.generation, client.clone()));
        }
        let client = Arc::new(Client::connect(&self.socket)?);
        state.generation = state.generation.wrapping_add(1);
        state.client = Some(client.clone());
        Ok((state.generation, client))
    }

    /// A request that names no handle: on a broken connection, connects again and retries
    /// once. Returns the answer and the generation it belongs to.
    fn call_fresh(&self, body: impl Fn() -> RequestBody) -> Result<(u64, ResponseBody)> {
        let (generation, client) = self.client_or_reconnect()?;
        match client.call(body()) {
            Err(error) if is_broken(&error) => {
                self.broke(generation);
                let (generation, client) = self.client_or_reconnect()?;
                let answer = client.call(body());
                if let Err(error) = &answer {
                    if is_broken(error) {
                        self.broke(generation);
                    }
                }
                Ok((generation, answer?))
            }
            answer => Ok((generation, answer?)),
        }
    }

    /// The current connection's generation and client, and the daemon's values of
    /// `handles`, which must all belong to it (`NTE_INVALID_HANDLE` otherwise).
    fn on_current<const N: usize>(
        &self,
        handles: [RemoteHandle; N],
    ) -> Result<(u64, Arc<Client>, [Handle; N])> {
        let (generation, client) = self.current()?;
        let client = client.ok_or(Error::InvalidHandle)?;
        let mut daemon_handles = Vec::with_capacity(handles.len());
        for handle in handles {
            if handle.generation() != generation {
                return Err(Error::InvalidHandle);
            }
            daemon_handles.push(Handle::new(handle.value()).ok_or(Error::InvalidHandle)?);
        }
        let daemon_handles: [Handle; N] = daemon_handles
            .try_into()
            .map_err(|_| Error::Internal("handle count"))?;
        Ok((generation, client, daemon_handles))
    }

    /// Takes the spare ephemeral key for `protocol`, `suite` and `group`, if there is one of
    /// the current connection and the daemon has not closed it.
    fn take_spare(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        group: Group,
    ) -> Result<Option<SpareKey>> {
        let spare = {
            let mut spares = self
                .spares
                .lock()
                .map_err(|_| Error::Internal("keyiso spare keys lock poisoned"))?;
            let position = spares
                .iter()
                .position(|spare| spare.is_for(protocol, suite, group));
            position.map(|position| spares.swap_remove(position))
        };
        let Some(spare) = spare else {
            return Ok(None);
        };
        if spare.generation != self.generation()? {
            return Ok(None);
        }
        if spare.client.is_closed() {
            self.broke(spare.generation);
            return Ok(None);
        }
        Ok(Some(spare))
    }

    /// Keeps `spare` for the next handshake with its parameters; a spare it replaces, or one
    /// over [`MAX_SPARE_KEYS`], is freed.
    fn keep_spare(&self, spare: SpareKey) {
        let Ok(mut spares) = self.spares.lock() else {
            return;
        };
        let same = |kept: &SpareKey| kept.is_for(spare.protocol, spare.suite, spare.group);
        let mut dropped: Vec<SpareKey> = Vec::new();
        if let Some(position) = spares.iter().position(same) {
            dropped.push(spares.swap_remove(position));
        }
        if spares.len() >= MAX_SPARE_KEYS {
            dropped.push(spares.remove(0));
        }
        spares.push(spare);
        drop(spares);
        for unused in dropped {
            if let Ok(ResponseBody::EphemeralKeyCreated { key, .. }) =
                unused.client.answer_of(unused.request)
            {
                let _ = unused.client.free_without_waiting(key);
            }
        }
    }

    /// A request on `handles`, which must all belong to the current, working connection
    /// (`NTE_INVALID_HANDLE` otherwise). `body` gets the daemon's handles.
    fn call_on<const N: usize>(
        &self,
        handles: [RemoteHandle; N],
        body: impl FnOnce([Handle; N]) -> RequestBody,
    ) -> Result<(u64, ResponseBody)> {
        let (generation, client, daemon_handles) = self.on_current(handles)?;
        let answer = self.unless_broken(generation, client.call(body(daemon_handles)))?;
        Ok((generation, answer))
    }

    /// `result` of a request on connection `generation`, unless the connection broke: the
    /// daemon that made its handles is gone, so they are invalid for good.
    fn unless_broken<T>(&self, generation: u64, result: Result<T>) -> Result<T> {
        match result {
            Err(error) if is_broken(&error) => {
                self.broke(generation);
                Err(Error::InvalidHandle)
            }
            result => result,
        }
    }

    /// A request on `handles` answered by a new handle, pipelined ([`Client::pipeline`]):
    /// the handle comes back at once, and a failure shows at its first use.
    fn new_handle<const N: usize>(
        &self,
        handles: [RemoteHandle; N],
        body: impl FnOnce([Handle; N]) -> RequestBody,
    ) -> Result<RemoteHandle> {
        let (generation, client, daemon_handles) = self.on_current(handles)?;
        let handle = self.unless_broken(generation, client.pipeline(body(daemon_handles)))?;
        Ok(RemoteHandle::new(generation, handle.get()))
    }
}

/// The traffic secrets of a TrafficSecrets answer on connection `generation`.
fn traffic_secrets(
    generation: u64,
    answer: ResponseBody,
) -> Result<(RemoteTrafficSecret, Option<RemoteTrafficSecret>)> {
    let ResponseBody::TrafficSecrets {
        client,
        client_write_key,
        server,
        server_write_key,
    } = answer
    else {
        return Err(unexpected());
    };
    let secret = |handle: Handle, write_key| RemoteTrafficSecret {
        handle: RemoteHandle::new(generation, handle.get()),
        write_key,
    };
    let server = match (server, server_write_key) {
        (Some(handle), Some(write_key)) => Some(secret(handle, write_key)),
        (None, None) => None,
        _ => return Err(unexpected()),
    };
    Ok((secret(client, client_write_key), server))
}

/// The public key of a certificate (DER): RSA or ECDSA on P-256, P-384 or P-521.
fn public_key_of(certificate: &[u8]) -> Result<PublicKey> {
    let bad = Error::BadData("certificate from the keyiso daemon");
    let parsed = match X509Certificate::from_der(certificate) {
        Ok(([], parsed)) => parsed,
        _ => return Err(bad),
    };
    let spki = parsed.public_key();
    match spki.parsed() {
        Ok(SpkiKey::RSA(rsa)) => PublicKey::rsa(rsa.modulus, rsa.exponent),
        Ok(SpkiKey::EC(point)) => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .ok_or(bad)?;
            let curve = match curve_oid.as_str() {
                "1.2.840.10045.3.1.7" => Curve::P256,
                "1.3.132.0.34" => Curve::P384,
                "1.3.132.0.35" => Curve::P521,
                _ => return Err(Error::NotSupported("certificate curve")),
            };
            PublicKey::ecdsa(curve, point.data())
        }
        _ => Err(Error::NotSupported("certificate key algorithm")),
    }
}

impl KeyIsolation for IsolationService {
    fn open_private_key(&self, certificate: &[u8]) -> Result<RemotePrivateKeyInfo> {
        let (generation, answer) = self.call_fresh(|| RequestBody::OpenPrivateKey {
            certificate: certificate.to_vec(),
        })?;
        match answer {
            ResponseBody::PrivateKeyOpened {
                key,
                signature_len,
                certificate,
                ..
            } => {
                let handle = RemoteHandle::new(generation, key.get());
                match public_key_of(&certificate) {
                    Ok(public_key) => Ok(RemotePrivateKeyInfo {
                        handle,
                        certificate,
                        public_key,
                        signature_len: usize::from(signature_len),
                    }),
                    Err(error) => {
                        let _ = self.free(handle);
                        Err(error)
                    }
                }
            }
            _ => Err(unexpected()),
        }
    }

    fn sign_hash(
        &self,
        key: RemoteHandle,
        hash_value: &[u8],
        padding: SignaturePadding,
    ) -> Result<Vec<u8>> {
        match self.call_on([key], |[handle]| RequestBody::SignHash {
            key: handle,
            padding,
            hash_value: hash_value.to_vec(),
        })? {
            (_, ResponseBody::Signature { signature }) => Ok(signature),
            _ => Err(unexpected()),
        }
    }

    fn import_master_key(
        &self,
        key: RemoteHandle,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        encrypted_premaster: &[u8],
    ) -> Result<RemoteHandle> {
        self.new_handle([key], |[handle]| RequestBody::ImportMasterKey {
            key: handle,
            cipher: Cipher { protocol, suite },
            params: WireParameters::from_parameters(params),
            encrypted_premaster: encrypted_premaster.to_vec(),
        })
    }

    /// Each key is made one handshake ahead: the request for the next key with the same
    /// protocol, suite and group goes with this handshake's requests, and its answer is read
    /// with theirs, so that a handshake does not wait for its ephemeral key. A spare key of a
    /// connection that has closed is not used (the daemon restarted: a new connection is made
    /// as for any request that names no handle).
    fn create_ephemeral_key(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        group: Group,
    ) -> Result<(RemoteHandle, Vec<u8>)> {
        let body = || RequestBody::CreateEphemeralKey {
            cipher: Cipher { protocol, suite },
            group,
        };
        let spare = self.take_spare(protocol, suite, group)?;
        let made = spare.and_then(|spare| match spare.client.answer_of(spare.request) {
            Ok(ResponseBody::EphemeralKeyCreated { key, public_value }) => {
                Some((spare.generation, key, public_value))
            }
            _ => None,
        });
        let (generation, key, public_value) = match made {
            Some(made) => made,
            None => match self.call_fresh(body)? {
                (generation, ResponseBody::EphemeralKeyCreated { key, public_value }) => {
                    (generation, key, public_value)
                }
                _ => return Err(unexpected()),
            },
        };
        // The next one; a failure here only means the next handshake waits for its key.
        if let (generation, Some(client)) = self.current()? {
            if let Ok(request) = client.send_later(body()) {
                self.keep_spare(SpareKey {
                    generation,
                    client,
                    protocol,
                    suite,
                    group,
                    request,
                });
            }
        }
        Ok((RemoteHandle::new(generation, key.get()), public_value))
    }

    fn generate_master_key(
        &self,
        own: RemoteHandle,
        peer_public: &[u8],
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        side: Side,
    ) -> Result<RemoteHandle> {
        self.new_handle([own], |[handle]| RequestBody::GenerateMasterKey {
            ephemeral: handle,
            peer_public: peer_public.to_vec(),
            cipher: Cipher { protocol, suite },
            params: WireParameters::from_parameters(params),
            side,
        })
    }

    fn compute_finished(
        &self,
        master: RemoteHandle,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<[u8; FINISHED_LEN]> {
        match self.call_on([master], |[handle]| RequestBody::ComputeFinished {
            master: handle,
            sender,
            transcript_digest: transcript_digest.to_vec(),
        })? {
            (_, ResponseBody::VerifyData { verify_data }) => {
                verify_data.try_into().map_err(|_| unexpected())
            }
            _ => Err(unexpected()),
        }
    }

    fn generate_session_key_material(
        &self,
        master: RemoteHandle,
        params: &Parameters<'_>,
    ) -> Result<SessionKeyMaterial> {
        match self.call_on([master], |[handle]| RequestBody::GenerateSessionKeys {
            master: handle,
            params: WireParameters::from_parameters(params),
        })? {
            (_, ResponseBody::SessionKeyMaterial { read, write }) => {
                Ok(SessionKeyMaterial { read, write })
            }
            _ => Err(unexpected()),
        }
    }

    fn generate_session_key_material_with_finished(
        &self,
        master: RemoteHandle,
        params: &Parameters<'_>,
        transcript_digest: &[u8],
        sender: Side,
    ) -> Result<(SessionKeyMaterial, [u8; FINISHED_LEN])> {
        let (generation, client, [master]) = self.on_current([master])?;
        let answers = client.call_all(vec![
            RequestBody::GenerateSessionKeys {
                master,
                params: WireParameters::from_parameters(params),
            },
            RequestBody::ComputeFinished {
                master,
                sender,
                transcript_digest: transcript_digest.to_vec(),
            },
        ]);
        let [keys, finished] = self
            .unless_broken(generation, answers)?
            .try_into()
            .map_err(|_| unexpected())?;
        let material = match keys? {
            ResponseBody::SessionKeyMaterial { read, write } => SessionKeyMaterial { read, write },
            _ => return Err(unexpected()),
        };
        match finished? {
            ResponseBody::VerifyData { verify_data } => {
                Ok((material, verify_data.try_into().map_err(|_| unexpected())?))
            }
            _ => Err(unexpected()),
        }
    }

    fn export_keying_material(
        &self,
        key: RemoteHandle,
        label: &[u8],
        context: Option<&[u8]>,
        randoms: Option<&[u8; 64]>,
        length: usize,
    ) -> Result<SecretVec> {
        let wire_length =
            u16::try_from(length).map_err(|_| Error::InvalidParameter("keying material length"))?;
        match self.call_on([key], |[handle]| RequestBody::ExportKeyingMaterial {
            key: handle,
            label: label.to_vec(),
            context: context.map(<[u8]>::to_vec),
            randoms: randoms.copied(),
            length: wire_length,
        })? {
            (_, ResponseBody::KeyingMaterial { material }) if material.len() == length => {
                Ok(material)
            }
            _ => Err(unexpected()),
        }
    }

    fn import_pre_shared_key(
        &self,
        suite: &'static CipherSuite,
        psk: &[u8],
    ) -> Result<RemoteHandle> {
        // Pipelined: a broken connection shows at the next request that is waited for.
        let (generation, client) = self.client_or_reconnect()?;
        let handle = client.pipeline(RequestBody::Tls13ImportPreSharedKey {
            suite,
            psk: WireSecret(SecretVec::from_slice(psk)),
        })?;
        Ok(RemoteHandle::new(generation, handle.get()))
    }

    fn extract_early_key(&self, suite: &'static CipherSuite) -> Result<RemoteHandle> {
        // Pipelined: a broken connection shows at the next request that is waited for.
        let (generation, client) = self.client_or_reconnect()?;
        let handle = client.pipeline(RequestBody::Tls13ExtractEarlyKey { suite })?;
        Ok(RemoteHandle::new(generation, handle.get()))
    }

    fn extract_handshake_key(
        &self,
        own: RemoteHandle,
        peer_share: &[u8],
        early: RemoteHandle,
    ) -> Result<RemoteHandle> {
        self.new_handle([own, early], |[own, early]| {
            RequestBody::Tls13ExtractHandshakeKey {
                ephemeral: own,
                peer_public: peer_share.to_vec(),
                early,
            }
        })
    }

    fn extract_master_key(&self, handshake: RemoteHandle) -> Result<RemoteHandle> {
        self.new_handle([handshake], |[handle]| RequestBody::Tls13ExtractMasterKey {
            handshake: handle,
        })
    }

    fn expand_traffic_keys(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<(RemoteTrafficSecret, Option<RemoteTrafficSecret>)> {
        let (generation, answer) =
            self.call_on([base], |[handle]| RequestBody::Tls13ExpandTrafficKeys {
                base: handle,
                transcript_digest: transcript_digest.to_vec(),
            })?;
        traffic_secrets(generation, answer)
    }

    fn expand_traffic_keys_with_finished(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
        finished_by: RemoteHandle,
    ) -> Result<(RemoteTrafficSecret, Option<RemoteTrafficSecret>, Vec<u8>)> {
        let (generation, client, [base, finished_by]) = self.on_current([base, finished_by])?;
        let answers = client.call_all(vec![
            RequestBody::Tls13ExpandTrafficKeys {
                base,
                transcript_digest: transcript_digest.to_vec(),
            },
            RequestBody::Tls13ComputeFinished {
                traffic: finished_by,
                transcript_digest: transcript_digest.to_vec(),
            },
        ]);
        let [traffic, finished] = self
            .unless_broken(generation, answers)?
            .try_into()
            .map_err(|_| unexpected())?;
        let (client_secret, server_secret) = traffic_secrets(generation, traffic?)?;
        let verify_data = match finished {
            Ok(ResponseBody::VerifyData { verify_data }) => Ok(verify_data),
            Ok(_) => Err(unexpected()),
            Err(error) => Err(error),
        };
        match verify_data {
            Ok(verify_data) => Ok((client_secret, server_secret, verify_data)),
            Err(error) => {
                for secret in std::iter::once(client_secret).chain(server_secret) {
                    let _ = self.free(secret.handle);
                }
                Err(error)
            }
        }
    }

    fn expand_write_key_material(&self, traffic: RemoteHandle) -> Result<SecretVec> {
        match self.call_on([traffic], |[handle]| RequestBody::Tls13ExpandWriteKey {
            traffic: handle,
        })? {
            (_, ResponseBody::TrafficKeyMaterial { material }) => Ok(material),
            _ => Err(unexpected()),
        }
    }

    fn compute_tls13_finished(
        &self,
        traffic: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<Vec<u8>> {
        match self.call_on([traffic], |[handle]| RequestBody::Tls13ComputeFinished {
            traffic: handle,
            transcript_digest: transcript_digest.to_vec(),
        })? {
            (_, ResponseBody::VerifyData { verify_data }) => Ok(verify_data),
            _ => Err(unexpected()),
        }
    }

    fn expand_exporter_master_key(
        &self,
        base: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<RemoteHandle> {
        self.new_handle([base], |[handle]| {
            RequestBody::Tls13ExpandExporterMasterKey {
                base: handle,
                transcript_digest: transcript_digest.to_vec(),
            }
        })
    }

    fn generate_premaster_key(
        &self,
        server_key: &PublicKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
    ) -> Result<(RemoteHandle, Vec<u8>)> {
        let server_key = server_key.export(PublicBlobType::Rsa)?;
        match self.call_fresh(|| RequestBody::GeneratePreMasterKey {
            server_key: server_key.clone(),
            cipher: Cipher { protocol, suite },
            params: WireParameters::from_parameters(params),
        })? {
            (
                generation,
                ResponseBody::PreMasterKeyCreated {
                    premaster,
                    encrypted_premaster,
                },
            ) => Ok((
                RemoteHandle::new(generation, premaster.get()),
                encrypted_premaster,
            )),
            _ => Err(unexpected()),
        }
    }

    fn update_traffic_secret(&self, traffic: RemoteHandle) -> Result<RemoteHandle> {
        self.new_handle([traffic], |[handle]| {
            RequestBody::Tls13UpdateTrafficSecret { traffic: handle }
        })
    }

    fn expand_resumption_master_key(
        &self,
        master: RemoteHandle,
        transcript_digest: &[u8],
    ) -> Result<RemoteHandle> {
        self.new_handle([master], |[handle]| {
            RequestBody::Tls13ExpandResumptionMasterKey {
                master: handle,
                transcript_digest: transcript_digest.to_vec(),
            }
        })
    }

    fn expand_pre_shared_key(
        &self,
        resumption_master: RemoteHandle,
        ticket_nonce: &[u8],
    ) -> Result<RemoteHandle> {
        self.new_handle([resumption_master], |[handle]| {
            RequestBody::Tls13ExpandPreSharedKey {
                resumption_master: handle,
                ticket_nonce: ticket_nonce.to_vec(),
            }
        })
    }

    fn extract_early_key_with_psk(
        &self,
        psk: RemoteHandle,
        suite: &'static CipherSuite,
    ) -> Result<RemoteHandle> {
        self.new_handle([psk], |[handle]| RequestBody::Tls13ExtractEarlyKeyWithPsk {
            psk: handle,
            suite,
        })
    }

    fn expand_binder_key(&self, early: RemoteHandle, resumption: bool) -> Result<RemoteHandle> {
        self.new_handle([early], |[handle]| RequestBody::Tls13ExpandBinderKey {
            early: handle,
            resumption,
        })
    }

    fn export_opaque_key(&self, key: RemoteHandle) -> Result<Vec<u8>> {
        match self.call_on([key], |[handle]| RequestBody::ExportOpaqueKey {
            key: handle,
        })? {
            (_, ResponseBody::OpaqueKeyBlob { blob }) => Ok(blob),
            _ => Err(unexpected()),
        }
    }

    fn import_opaque_key(&self, blob: &[u8]) -> Result<RemoteOpaqueKey> {
        match self.call_fresh(|| RequestBody::ImportOpaqueKey {
            blob: blob.to_vec(),
        })? {
            (generation, ResponseBody::OpaqueKeyImported { handle, key }) => {
                let handle = RemoteHandle::new(generation, handle.get());
                Ok(match key {
                    ImportedKey::Master { cipher, side } => RemoteOpaqueKey::Master {
                        handle,
                        protocol: cipher.protocol,
                        suite: cipher.suite,
                        side,
                    },
                    ImportedKey::Tls13 { suite, kind } => RemoteOpaqueKey::Tls13 {
                        handle,
                        suite,
                        kind,
                    },
                })
            }
            _ => Err(unexpected()),
        }
    }

    fn seal_ticket(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        match self.call_fresh(|| RequestBody::SealTicket {
            aad: aad.to_vec(),
            plaintext: plaintext.to_vec(),
        })? {
            (_, ResponseBody::SealedTicket { ticket }) => Ok(ticket),
            _ => Err(unexpected()),
        }
    }

    fn seal_ticket_with_secret(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        secret: RemoteHandle,
    ) -> Result<Vec<u8>> {
        match self.call_on([secret], |[secret]| RequestBody::SealTicketWithSecret {
            aad: aad.to_vec(),
            plaintext: plaintext.to_vec(),
            secret,
        })? {
            (_, ResponseBody::SealedTicket { ticket }) => Ok(ticket),
            _ => Err(unexpected()),
        }
    }

    fn tls12_server_flight(
        &self,
        master: RemoteHandle,
        flight: RemoteFlight12<'_>,
    ) -> Result<RemoteFlightKeys12> {
        let answer = self.call_on([master], |[master]| RequestBody::Tls12ServerFlight {
            master,
            params: WireParameters::from_parameters(flight.params),
            transcript: flight.transcript.to_vec(),
            ticket: flight.ticket.map(|ticket| WireFlightTicket12 {
                aad: ticket.aad.to_vec(),
                fields: ticket.fields.to_vec(),
                lifetime_hint: ticket.lifetime_hint,
            }),
            export: flight.export,
        })?;
        let (
            _,
            ResponseBody::ServerFlight12 {
                read,
                write,
                client_finished,
                new_session_ticket,
                finished,
                blob,
            },
        ) = answer
        else {
            return Err(unexpected());
        };
        Ok(RemoteFlightKeys12 {
            material: SessionKeyMaterial { read, write },
            client_finished: client_finished.try_into().map_err(|_| unexpected())?,
            new_session_ticket,
            finished,
            blob,
        })
    }

    fn tls13_server_flight(
        &self,
        handshake: RemoteHandle,
        flight: RemoteFlight13<'_>,
    ) -> Result<RemoteFlightKeys13> {
        let request = |handshake, key| RequestBody::Tls13ServerFlight {
            handshake,
            through_server_hello: flight.through_server_hello.to_vec(),
            before_verify: flight.before_verify.to_vec(),
            signer: flight
                .signer
                .zip(key)
                .map(|(signer, key)| WireFlightSigner {
                    key,
                    scheme: signer.scheme,
                    hash: signer.hash,
                    padding: signer.padding,
                }),
            ticket: flight.ticket.map(|ticket| WireFlightTicket13 {
                aad: ticket.aad.to_vec(),
                fields: ticket.fields.to_vec(),
                nonce: ticket.nonce.to_vec(),
            }),
        };
        let (generation, answer) = match flight.signer {
            Some(signer) => self.call_on([handshake, signer.key], |[handshake, key]| {
                request(handshake, Some(key))
            })?,
            None => self.call_on([handshake], |[handshake]| request(handshake, None))?,
        };
        let ResponseBody::ServerFlight {
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
        } = answer
        else {
            return Err(unexpected());
        };
        let handle = |handle: Handle| RemoteHandle::new(generation, handle.get());
        Ok(RemoteFlightKeys13 {
            client_handshake_key,
            server_handshake_key,
            certificate_verify,
            finished,
            client_finished,
            client_application: RemoteTrafficSecret {
                handle: handle(client_application),
                write_key: client_application_key,
            },
            server_application: RemoteTrafficSecret {
                handle: handle(server_application),
                write_key: server_application_key,
            },
            exporter: handle(exporter),
            ticket,
        })
    }

    fn open_ticket(&self, aad: &[u8], ticket: &[u8]) -> Result<Vec<u8>> {
        match self.call_fresh(|| RequestBody::OpenTicket {
            aad: aad.to_vec(),
            ticket: ticket.to_vec(),
        })? {
            (_, ResponseBody::OpenedTicket { plaintext }) => Ok(plaintext),
            _ => Err(unexpected()),
        }
    }

    fn premaster_master_key(
        &self,
        premaster: RemoteHandle,
        params: &Parameters<'_>,
    ) -> Result<RemoteHandle> {
        self.new_handle([premaster], |[handle]| RequestBody::PreMasterMasterKey {
            premaster: handle,
            params: WireParameters::from_parameters(params),
        })
    }

    fn compute_eap_key_block(
        &self,
        master: RemoteHandle,
        randoms: &[u8; 64],
        eap_id: u8,
    ) -> Result<SecretVec> {
        match self.call_on([master], |[handle]| RequestBody::ComputeEapKeyBlock {
            master: handle,
            randoms: *randoms,
            eap_id,
        })? {
            (_, ResponseBody::KeyingMaterial { material }) => Ok(material),
            _ => Err(unexpected()),
        }
    }

    fn seal_session_key(&self, key: &SessionKey) -> Result<Vec<u8>> {
        let key = WireSessionKey::from_key(key)?;
        match self.call_fresh(|| RequestBody::SealSessionKey { key: key.clone() })? {
            (_, ResponseBody::OpaqueKeyBlob { blob }) => Ok(blob),
            _ => Err(unexpected()),
        }
    }

    fn open_session_key(&self, blob: &[u8]) -> Result<SessionKey> {
        match self.call_fresh(|| RequestBody::OpenSessionKey {
            blob: blob.to_vec(),
        })? {
            (_, ResponseBody::SessionKeyOpened { key }) => key.to_key(),
            _ => Err(unexpected()),
        }
    }

    /// Sends the free without waiting for its answer ([`Client::free_without_waiting`]): a
    /// handle the daemon no longer knows is not reported.
    fn free(&self, handle: RemoteHandle) -> Result<()> {
        let (generation, client) = self.current()?;
        let client = client.ok_or(Error::InvalidHandle)?;
        if handle.generation() != generation {
            return Err(Error::InvalidHandle);
        }
        let daemon_handle = Handle::new(handle.value()).ok_or(Error::InvalidHandle)?;
        client
            .free_without_waiting(daemon_handle)
            .inspect_err(|error| {
                if is_broken(error) {
                    self.broke(generation);
                }
            })
    }
}

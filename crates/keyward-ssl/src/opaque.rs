//! Opaque key blobs (`BCRYPT_OPAQUE_KEY_BLOB`, `L"OpaqueKeyBlob"`): master and session keys
//! carried from one process to another (`SslExportKey` / `SslImportKey`).
//!
//! The format is keyward's own (Windows' is provider-private too: docs/ssl-provider.md, "Opaque key
//! blobs"). Every blob is sealed with AES-256-GCM-SIV (RFC 8452, nonce-misuse resistant) under the
//! newest of the key store's sealing keys, so only a process that opens the same store can import
//! it, and any change to any byte is `NTE_BAD_DATA`:
//!
//! ```text
//! offset size
//!  0     4   magic "KWOK"
//!  4     1   format version (2)
//!  5     1   kind: 1 master key, 2 session key, 3 TLS 1.3 secret
//!  6     2   protocol (dwProtocol, big-endian)
//!  8     2   cipher suite (big-endian)
//! 10     1   master key: 1 client, 2 server; session key: 1 read, 2 write;
//!            TLS 1.3 secret: its kind (index in `SecretKind::ALL`)
//! 11     1   flags: session key: bit 0 set for encrypt-then-MAC (RFC 7366; CBC only);
//!            every other bit, and every bit for other kinds, 0
//! 12     4   sealing key id (big-endian; see `KeyStore::rotate_sealing_key`)
//! 16    12   nonce (random)
//! 28     n   sealed secret: the 48-byte master secret; a session key's state (MAC key ‖ key ‖
//!            IV, where a TLS 1.0 CBC key's IV is its current chaining IV); or the TLS 1.3
//!            secret
//! 28+n  16   tag
//! ```
//! Bytes 0..28 are the additional authenticated data, so kind, protocol, suite, direction and
//! key id are bound to the secret. The importer gets the direction the blob names and no
//! other (see [`crate::session`]), and the order of MAC and encryption the blob names; a TLS
//! 1.0 CBC key continues its IV chain where the exported key stood. Byte 11 was reserved
//! (0) before encrypt-then-MAC keys existed, so every older blob still reads as the
//! MAC-then-encrypt key it was. Sequence numbers are the caller's and are not carried.
//!
//! A blob whose sealing key id the store does not have (sealed under another store, or under
//! a key since deleted) is `NTE_BAD_DATA`, like any other blob this store cannot open: another
//! store's ids count from 1 too, so its blobs may name a key id this store has, and the two
//! cases are not told apart. Format version 1 blobs (AES-GCM, no key id) are refused the same
//! way; blobs are for handing keys between live processes, not for keeping.
//!
//! An isolated provider ([`crate::isolation`]) has no store: it asks its isolation service to
//! seal master keys and TLS 1.3 secrets (the service seals them in this format under its own
//! store) and to open their blobs, so its process holds only the ciphertext. Its session keys
//! are sealed and opened by the service too (they are this process's own, but the sealing key
//! is not).

use crate::isolation::{RemoteObject, RemoteOpaqueKey};
use crate::master::{MasterKey, MASTER_SECRET_LEN};
use crate::protocol::Protocol;
use crate::provider::Provider;
use crate::record::CbcMode;
use crate::session::{Direction, SessionKey};
use crate::side::Side;
use crate::suites::CipherSuite;
use crate::tls13::{SecretKind, Tls13Secret};
use keyward_core::backend::fill_random;
use keyward_core::{Error, Result, Secret, SecretVec};

const MAGIC: &[u8; 4] = b"KWOK";
const VERSION: u8 = 2;
const KIND_MASTER: u8 = 1;
const KIND_SESSION: u8 = 2;
const KIND_TLS13: u8 = 3;
const HEADER_LEN: usize = 28;
const KEY_ID_AT: usize = 12;
const NONCE_AT: usize = 16;
const TAG_LEN: usize = 16;
const FLAGS_AT: usize = 11;
/// Flag of a session key made encrypt-then-MAC.
const FLAG_ENCRYPT_THEN_MAC: u8 = 1;
/// The longest opaque blob of a master key or TLS 1.3 secret (an external PSK of 1024 bytes).
pub const MAX_OPAQUE_SECRET_BLOB_LEN: usize = HEADER_LEN + crate::tls13::MAX_PSK_LEN + TAG_LEN;

/// A key imported from an opaque blob.
pub enum OpaqueKey {
    /// A TLS ≤ 1.2 master key.
    Master(MasterKey),
    /// A read or write session key (TLS 1.3 write keys included).
    Session(SessionKey),
    /// A secret of the TLS 1.3 key schedule.
    Tls13(Tls13Secret),
}

impl Provider {
    /// Seals a master key into an opaque blob (`SslExportKey`, `BCRYPT_OPAQUE_KEY_BLOB`).
    ///
    /// A key of an isolated provider is sealed by its isolation service, under the service's
    /// key store: this process gets only the blob.
    pub fn export_master_key(&self, key: &MasterKey) -> Result<Vec<u8>> {
        if let Some(object) = key.remote_object() {
            let blob = object.service.export_opaque_key(object.handle)?;
            check_service_blob(&blob, KIND_MASTER)?;
            return Ok(blob);
        }
        let role = match key.side() {
            Side::Client => 1,
            Side::Server => 2,
        };
        self.seal(
            KIND_MASTER,
            key.protocol(),
            key.suite(),
            role,
            0,
            key.secret()?.expose(),
        )
    }

    /// Seals a session key into an opaque blob (`SslExportKey`, `BCRYPT_OPAQUE_KEY_BLOB`),
    /// with its direction, its order of MAC and encryption, and the state it needs to
    /// continue (a TLS 1.0 CBC key's chaining IV as of now; see the module documentation).
    pub fn export_session_key(&self, key: &SessionKey) -> Result<Vec<u8>> {
        if let Some(service) = self.isolation() {
            return service.seal_session_key(key);
        }
        let role = match key.direction() {
            Direction::Read => 1,
            Direction::Write => 2,
        };
        let flags = match key.cbc_mode() {
            CbcMode::MacThenEncrypt => 0,
            CbcMode::EncryptThenMac => FLAG_ENCRYPT_THEN_MAC,
        };
        self.seal(
            KIND_SESSION,
            key.protocol(),
            key.suite(),
            role,
            flags,
            key.state()?.expose(),
        )
    }

    /// Seals a TLS 1.3 secret into an opaque blob (`SslExportKey`, `BCRYPT_OPAQUE_KEY_BLOB`).
    ///
    /// A secret of an isolated provider is sealed by its isolation service, under the
    /// service's key store: this process gets only the blob.
    pub fn export_tls13_secret(&self, secret: &Tls13Secret) -> Result<Vec<u8>> {
        if let Some(object) = secret.remote_object() {
            let blob = object.service.export_opaque_key(object.handle)?;
            check_service_blob(&blob, KIND_TLS13)?;
            return Ok(blob);
        }
        self.seal(
            KIND_TLS13,
            Protocol::Tls13,
            secret.suite(),
            secret.kind().code(),
            0,
            secret.secret()?.expose(),
        )
    }

    /// The size of the opaque blob of a master key (size query of `SslExportKey`).
    pub fn opaque_master_key_len(&self) -> usize {
        HEADER_LEN + MASTER_SECRET_LEN + TAG_LEN
    }

    /// The size of the opaque blob of `key` (size query of `SslExportKey`).
    pub fn opaque_session_key_len(&self, key: &SessionKey) -> usize {
        HEADER_LEN + key.material().len() + TAG_LEN
    }

    /// Opens an opaque blob made by [`Self::export_master_key`] or
    /// [`Self::export_session_key`] under the same key store (`SslImportKey`,
    /// `BCRYPT_OPAQUE_KEY_BLOB`), with any of the store's sealing keys, old or new. Anything
    /// malformed, tampered with, sealed under another store or under a sealing key the store
    /// does not have (any more) is `NTE_BAD_DATA`.
    ///
    /// The isolated provider hands the blob to its isolation service, which opens it under
    /// its key store: master keys and TLS 1.3 secrets stay there and come back as handles;
    /// session keys come back whole, since records are protected in this process.
    pub fn import_opaque_key(&self, blob: &[u8]) -> Result<OpaqueKey> {
        const BAD: Error = Error::BadData("malformed or tampered opaque key blob");
        if let Some(service) = self.isolation() {
            // The kind is in the clear (it is authenticated data): a session key comes back
            // to this process, the other kinds stay with the service.
            if blob.get(5) == Some(&KIND_SESSION) {
                return Ok(OpaqueKey::Session(service.open_session_key(blob)?));
            }
            return Ok(match service.import_opaque_key(blob)? {
                RemoteOpaqueKey::Master {
                    handle,
                    protocol,
                    suite,
                    side,
                } => OpaqueKey::Master(MasterKey::remote(
                    protocol,
                    suite,
                    side,
                    RemoteObject::new(service.clone(), handle),
                )),
                RemoteOpaqueKey::Tls13 {
                    handle,
                    suite,
                    kind,
                } => OpaqueKey::Tls13(Tls13Secret::remote(
                    suite,
                    kind,
                    RemoteObject::new(service.clone(), handle),
                )?),
            });
        }
        if blob.len() < HEADER_LEN + TAG_LEN {
            return Err(BAD);
        }
        let (header, sealed) = blob.split_at(HEADER_LEN);
        if &header[..4] != MAGIC || header[4] != VERSION {
            return Err(BAD);
        }
        let flags = header[FLAGS_AT];
        let protocol =
            Protocol::from_wire_version(u16::from_be_bytes([header[6], header[7]])).ok_or(BAD)?;
        let suite = CipherSuite::from_id(u16::from_be_bytes([header[8], header[9]]))
            .filter(|suite| suite.allows(protocol))
            .ok_or(BAD)?;
        let (kind, role) = (header[5], header[10]);
        let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| BAD)?;
        let key_id: [u8; 4] = header[KEY_ID_AT..NONCE_AT].try_into().map_err(|_| BAD)?;
        let key_id = u32::from_be_bytes(key_id);
        let nonce: &[u8; 12] = header[NONCE_AT..HEADER_LEN].try_into().map_err(|_| BAD)?;
        let sealers = self.sealer_for(key_id)?.ok_or(Error::BadData(
            "opaque key blob sealed under an unknown sealing key",
        ))?;
        let sealer = sealers.get(key_id).ok_or(BAD)?;
        let mut secret = SecretVec::from_slice(ciphertext);
        sealer
            .open_in_place(nonce, header, secret.expose_mut(), tag)
            .map_err(|_| BAD)?;
        match (kind, role) {
            _ if flags != 0
                && (kind != KIND_SESSION
                    || flags != FLAG_ENCRYPT_THEN_MAC
                    || suite.cipher.is_aead()) =>
            {
                Err(BAD)
            }
            (KIND_MASTER, 1 | 2) => {
                // Straight into its zeroizing home: no unwiped stack copy (the isolation
                // daemon imports blobs for its clients, and must not leave secrets behind).
                if secret.len() != MASTER_SECRET_LEN {
                    return Err(BAD);
                }
                let mut master = Secret::<MASTER_SECRET_LEN>::zeroed();
                master.expose_mut().copy_from_slice(secret.expose());
                let side = if role == 1 {
                    Side::Client
                } else {
                    Side::Server
                };
                Ok(OpaqueKey::Master(MasterKey::from_parts(
                    protocol, suite, side, master,
                )))
            }
            (KIND_SESSION, 1 | 2) => {
                let direction = if role == 1 {
                    Direction::Read
                } else {
                    Direction::Write
                };
                let cbc_mode = if flags == FLAG_ENCRYPT_THEN_MAC {
                    CbcMode::EncryptThenMac
                } else {
                    CbcMode::MacThenEncrypt
                };
                Ok(OpaqueKey::Session(SessionKey::from_material(
                    protocol,
                    suite,
                    direction,
                    cbc_mode,
                    secret.expose(),
                )?))
            }
            (KIND_TLS13, code) => {
                let kind = SecretKind::from_code(code).ok_or(BAD)?;
                let secret = Tls13Secret::new(suite, kind, secret).map_err(|_| BAD)?;
                Ok(OpaqueKey::Tls13(secret))
            }
            _ => Err(BAD),
        }
    }

    fn seal(
        &self,
        kind: u8,
        protocol: Protocol,
        suite: &CipherSuite,
        role: u8,
        flags: u8,
        secret: &[u8],
    ) -> Result<Vec<u8>> {
        let mut blob = Vec::with_capacity(HEADER_LEN + secret.len() + TAG_LEN);
        blob.extend_from_slice(MAGIC);
        blob.extend_from_slice(&[VERSION, kind]);
        blob.extend_from_slice(&protocol.wire_version().to_be_bytes());
        blob.extend_from_slice(&suite.id.to_be_bytes());
        blob.extend_from_slice(&[role, flags]);
        let sealers = self.sealers()?;
        let (key_id, sealer) = sealers.newest()?;
        blob.extend_from_slice(&key_id.to_be_bytes());
        let mut nonce = [0u8; 12];
        fill_random(&mut nonce)?;
        blob.extend_from_slice(&nonce);
        let mut sealed = SecretVec::from_slice(secret);
        let tag = sealer.seal_in_place(&nonce, &blob, sealed.expose_mut())?;
        blob.extend_from_slice(sealed.expose());
        blob.extend_from_slice(&tag);
        Ok(blob)
    }
}

/// Checks that a blob an isolation service sealed has the shape of an opaque blob of `kind`
/// (the calling process cannot open it; the service that can checks the rest on import).
fn check_service_blob(blob: &[u8], kind: u8) -> Result<()> {
    const BAD: Error = Error::BadData("opaque blob from the isolation service");
    if blob.len() < HEADER_LEN + TAG_LEN || blob.len() > MAX_OPAQUE_SECRET_BLOB_LEN {
        return Err(BAD);
    }
    let header_ok = blob.get(..4) == Some(&MAGIC[..])
        && blob.get(4) == Some(&VERSION)
        && blob.get(5) == Some(&kind);
    if !header_ok {
        return Err(BAD);
    }
    Ok(())
}

//! The key store: private keys with their certificates, and the store's sealing keys.
//!
//! It plays the part of the Windows key storage provider behind `SslOpenPrivateKey`: a
//! certificate (`PCCERT_CONTEXT`) is mapped to its private key by an exact DER match.
//!
//! Layout of the store directory (created mode 0700, as are `keys/` and `sealing/`):
//!
//! ```text
//! keys/<name>.p8        the private key, PKCS#8 DER, mode 0600
//! keys/<name>.der       its certificate, DER, mode 0600
//! sealing/<id>.key      a sealing key: 32 random bytes, mode 0600; <id> is its key id,
//!                       8 lowercase hex digits, from 00000001 up; the highest is the newest
//! ```
//!
//! **Permissions.** The store trusts what it reads, so it reads only what the current user
//! alone controls (the rules are in [`crate::private_fs`]): the store directory, `keys/` and
//! `sealing/` must be owned by the current user and not writable by group or others, and
//! `keys/` and `sealing/` must not be symlinks; key and sealing key files are opened with
//! `O_NOFOLLOW` and must be owned by the current user with no group or other access;
//! certificates must not be writable by group or others. Anything else is refused with an
//! error that names the path and its mode; an existing store with a bad mode is refused, never
//! silently repaired. New files are created with `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600.
//!
//! **Sealing keys and rotation.** Opaque key blobs (`SslExportKey`) are sealed under the
//! newest sealing key and carry its id; they open under whichever key their id names, so
//! [`KeyStore::rotate_sealing_key`] adds a new key without breaking blobs already handed
//! out. The first key is made on first use. Old keys are kept until the user deletes their
//! files; a blob whose key is gone no longer opens. A `sealing.key` file left by an earlier
//! keyward (one key, no id) is not used.
//!
//! Names are 1 to 64 characters of `[A-Za-z0-9._-]`, not starting with `.` (files whose names
//! start with `.` are the store's temporary files). Files are written whole to a temporary
//! file created with mode 0600 and then published under their name, so no process ever sees a
//! half-written key: a key is published with a hard link, which fails when the name exists,
//! so two processes importing the same name cannot overwrite each other; the sealing key is
//! published the same way, so two processes creating it at once end up with the same key.
//! Between publishing a key and its certificate, [`KeyStore::get`] answers `NotFound`.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{self, SystemRandom};
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use x509_parser::asn1_rs::{Integer, Sequence};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::AlgorithmIdentifier;

use crate::blob::bit_length;
use crate::private_fs::{self, Contents};
use crate::{Error, Result, Secret, SecretVec};

/// The subdirectory holding keys and certificates.
const KEYS_DIR: &str = "keys";
/// Subdirectory with the rest of each key's certificate chain, PEM (`keyward key import`).
const CHAINS_DIR: &str = "chains";
/// The subdirectory holding the sealing keys.
const SEALING_DIR: &str = "sealing";
/// Extension of sealing key files.
const SEALING_KEY_EXTENSION: &str = "key";
/// Length of a sealing key (bytes).
pub const SEALING_KEY_LEN: usize = 32;
/// How many times a rotation retries when other processes take the ids it tries.
const ROTATION_ATTEMPTS: u32 = 16;
/// How long before now a generated certificate becomes valid (clock skew), in seconds.
const CERTIFICATE_BACKDATE_SECS: u64 = 3600;
/// How long a generated certificate is valid, in days (two years, as mkcert does).
const CERTIFICATE_VALIDITY_DAYS: u64 = 730;
/// Extension of private key files (PKCS#8 DER).
const PKCS8_EXTENSION: &str = "p8";
/// Extension of certificate files (DER).
const CERTIFICATE_EXTENSION: &str = "der";
/// Prefix of temporary files; key names cannot start with '.'.
const TEMP_PREFIX: &str = ".tmp-";
/// Longest file the store reads; keys and certificates are a few KiB.
const MAX_FILE_LEN: u64 = 256 * 1024;
/// Longest key name.
const MAX_NAME_LEN: usize = 64;
/// RSA key sizes the store accepts.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// DER object identifiers of the SubjectPublicKeyInfo algorithms the store accepts.
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

/// The kind of a stored private key (the `NCRYPT_ALGORITHM_GROUP_PROPERTY` and key length of
/// the key behind `SslOpenPrivateKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA, 2048 to 4096 bits.
    Rsa {
        /// The modulus size in bits.
        bits: u32,
    },
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
}

/// The algorithm of a PKCS#8 key, before its size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Rsa,
    EcP256,
    EcP384,
}

impl Algorithm {
    /// The aws-lc-rs signing algorithm of an EC key.
    fn ecdsa(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            Algorithm::Rsa => None,
            Algorithm::EcP256 => Some(&signature::ECDSA_P256_SHA256_ASN1_SIGNING),
            Algorithm::EcP384 => Some(&signature::ECDSA_P384_SHA384_ASN1_SIGNING),
        }
    }

    /// The SubjectPublicKeyInfo algorithm and curve OIDs.
    fn oids(self) -> (&'static str, Option<&'static str>) {
        match self {
            Algorithm::Rsa => (OID_RSA_ENCRYPTION, None),
            Algorithm::EcP256 => (OID_EC_PUBLIC_KEY, Some(OID_P256)),
            Algorithm::EcP384 => (OID_EC_PUBLIC_KEY, Some(OID_P384)),
        }
    }
}

/// A private key with its certificate, as held by the store (the key behind an
/// `NCRYPT_KEY_HANDLE` from `SslOpenPrivateKey`). Its `Debug` never shows the key.
#[derive(Clone)]
pub struct StoredKey {
    name: String,
    kind: KeyKind,
    certificate: Vec<u8>,
    pkcs8: SecretVec,
}

impl StoredKey {
    /// The key's name in the store.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's algorithm and size.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The certificate, DER (the `pbCertEncoded` of a `CERT_CONTEXT`).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The private key, PKCS#8 DER.
    pub fn pkcs8(&self) -> &SecretVec {
        &self.pkcs8
    }
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("certificate_len", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

/// One sealing key of the store, with the id blobs sealed under it carry. Its `Debug` shows
/// only the id.
#[derive(Clone)]
pub struct SealingKey {
    id: u32,
    key: Secret<SEALING_KEY_LEN>,
}

impl SealingKey {
    /// The key id (1 for the store's first key, one more for each rotation).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The key bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8; SEALING_KEY_LEN] {
        self.key.expose()
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The store's sealing keys, by increasing id: seal with [`SealingKeys::newest`], open with
/// [`SealingKeys::get`].
#[derive(Debug, Clone)]
pub struct SealingKeys {
    /// Never empty; sorted by id.
    keys: Vec<SealingKey>,
}

impl SealingKeys {
    /// The newest key: the one to seal with.
    pub fn newest(&self) -> Option<&SealingKey> {
        self.keys.last()
    }

    /// The key with id `id`, if the store has it.
    pub fn get(&self, id: u32) -> Option<&SealingKey> {
        self.keys
            .binary_search_by_key(&id, |key| key.id)
            .ok()
            .and_then(|at| self.keys.get(at))
    }

    /// All keys, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &SealingKey> {
        self.keys.iter()
    }
}

/// A key store directory (the key storage provider that `SslOpenPrivateKey` consults).
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// Opens the default store: `$KEYWARD_HOME` if set, else `$XDG_DATA_HOME/keyward` (when
    /// `XDG_DATA_HOME` is an absolute path, as the XDG base directory spec requires), else
    /// `$HOME/.local/share/keyward`. Empty variables count as unset.
    pub fn open_default() -> Result<Self> {
        let dir = default_dir(
            std::env::var_os("KEYWARD_HOME"),
            std::env::var_os("XDG_DATA_HOME"),
            std::env::var_os("HOME"),
        )
        .ok_or_else(|| {
            Error::Io("no KEYWARD_HOME, XDG_DATA_HOME or HOME to find the key store".into())
        })?;
        Self::open(dir)
    }

    /// Opens the store in `dir`, creating it and its `keys/` and `sealing/` subdirectories
    /// (mode 0700) if missing. A directory not owned by the current user, writable by group
    /// or others, or (for the subdirectories) a symlink is refused with [`Error::Io`] naming
    /// the path and its mode; see the module documentation.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        private_fs::ensure_dir(&dir, true).map_err(fs_error)?;
        for sub in [KEYS_DIR, SEALING_DIR] {
            private_fs::ensure_dir(&dir.join(sub), false).map_err(fs_error)?;
        }
        Ok(KeyStore { dir })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a private key (PKCS#8 DER: RSA 2048 to 4096 bits, or EC P-256 / P-384, else
    /// [`Error::NotSupported`]) with its certificate (DER; malformed, or not for this key:
    /// [`Error::BadData`]) under `name` (bad or already used: [`Error::InvalidParameter`]).
    pub fn import(
        &self,
        name: &str,
        pkcs8_der: &[u8],
        certificate_der: &[u8],
    ) -> Result<StoredKey> {
        check_name(name)?;
        let kind = inspect(pkcs8_der, certificate_der)?;
        self.publish(name, pkcs8_der, certificate_der)?;
        Ok(StoredKey {
            name: name.to_owned(),
            kind,
            certificate: certificate_der.to_vec(),
            pkcs8: SecretVec::from_slice(pkcs8_der),
        })
    }

    /// Creates a key of `kind` (RSA 2048, 3072 or 4096 bits; other sizes:
    /// [`Error::NotSupported`]) with a self-signed certificate whose common name is the first
    /// of `dns_names` and whose subject alternative names are all of them, and stores it under
    /// `name`. The certificate is valid from one hour ago (for clocks a little behind) for two
    /// years, as mkcert's are. Every copy of the private key made on the way is wiped.
    pub fn generate_self_signed(
        &self,
        name: &str,
        kind: KeyKind,
        dns_names: &[&str],
    ) -> Result<StoredKey> {
        check_name(name)?;
        let common_name = dns_names
            .first()
            .ok_or(Error::InvalidParameter("at least one DNS name is needed"))?;
        let pkcs8 = generate_pkcs8(kind)?;
        let key_pair = signing_key(&pkcs8)?;
        let names: Vec<String> = dns_names
            .iter()
            .map(|&dns_name| dns_name.to_owned())
            .collect();
        let mut params = rcgen::CertificateParams::new(names)
            .map_err(|_| Error::InvalidParameter("not a valid DNS name"))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, *common_name);
        let (not_before, not_after) = validity(SystemTime::now())?;
        params.not_before = not_before;
        params.not_after = not_after;
        let certificate = params
            .self_signed(&*key_pair)
            .map_err(|_| Error::Internal("certificate signing failed"))?;
        self.import(name, pkcs8.expose(), certificate.der())
    }

    /// The key stored under `name` ([`Error::NotFound`] if none; a corrupt entry is
    /// [`Error::BadData`]).
    pub fn get(&self, name: &str) -> Result<StoredKey> {
        check_name(name)?;
        let pkcs8 = read_file(&self.key_path(name, PKCS8_EXTENSION), Contents::Secret)?;
        let certificate = read_file(
            &self.key_path(name, CERTIFICATE_EXTENSION),
            Contents::Public,
        )?;
        let kind = inspect(pkcs8.expose(), certificate.expose())
            .map_err(|_| Error::BadData("corrupt key store entry"))?;
        Ok(StoredKey {
            name: name.to_owned(),
            kind,
            certificate: certificate.expose().to_vec(),
            pkcs8,
        })
    }

    /// The certificate (DER) of the key stored under `name`, without reading its private key
    /// (for a process that serves the key through the keyiso daemon and must never hold it);
    /// [`Error::NotFound`] if none.
    pub fn certificate(&self, name: &str) -> Result<Vec<u8>> {
        check_name(name)?;
        let certificate = read_file(
            &self.key_path(name, CERTIFICATE_EXTENSION),
            Contents::Public,
        )?;
        Ok(certificate.expose().to_vec())
    }

    /// The certificates that follow key `name`'s own in the chain it presents (DER, in order;
    /// none if it has none), as `keyward key import` stored them in
    /// [`KeyStore::chain_path`]. A malformed chain file is [`Error::BadData`].
    pub fn chain(&self, name: &str) -> Result<Vec<Vec<u8>>> {
        let path = self.chain_path(name)?;
        match fs::read(&path) {
            Ok(pem) => certificates_from_pem(&pem)
                .map_err(|_| Error::BadData("malformed certificate chain in the key store")),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(Error::Io(format!("{}: {error}", path.display()))),
        }
    }

    /// Where the rest of key `name`'s chain is kept: `chains/<name>.pem` in the store.
    pub fn chain_path(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        Ok(self.dir.join(CHAINS_DIR).join(format!("{name}.pem")))
    }

    /// The key whose certificate is exactly `certificate_der` (how `SslOpenPrivateKey` finds
    /// the key of a `PCCERT_CONTEXT`); [`Error::NotFound`] if none.
    pub fn find_by_certificate(&self, certificate_der: &[u8]) -> Result<StoredKey> {
        for name in self.list()? {
            let path = self.key_path(&name, CERTIFICATE_EXTENSION);
            match read_file(&path, Contents::Public) {
                Ok(certificate) if certificate.expose() == certificate_der => {
                    return self.get(&name)
                }
                Ok(_) | Err(Error::NotFound) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(Error::NotFound)
    }

    /// The names of the stored keys, sorted.
    pub fn list(&self) -> Result<Vec<String>> {
        let keys = self.dir.join(KEYS_DIR);
        let entries = fs::read_dir(&keys).map_err(|error| io_error(&keys, &error))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| io_error(&keys, &error))?;
            let path = entry.path();
            if path.extension().and_then(|ext| ext.to_str()) != Some(PKCS8_EXTENSION) {
                continue;
            }
            if let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) {
                if check_name(name).is_ok() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Deletes the key stored under `name` and its certificate ([`Error::NotFound`] if none).
    pub fn remove(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let key = self.key_path(name, PKCS8_EXTENSION);
        fs::remove_file(&key).map_err(|error| not_found_or_io(&key, &error))?;
        let certificate = self.key_path(name, CERTIFICATE_EXTENSION);
        match fs::remove_file(&certificate) {
            Err(error) if error.kind() != ErrorKind::NotFound => {
                Err(io_error(&certificate, &error))
            }
            _ => Ok(()),
        }
    }

    /// The store's sealing keys (they protect the opaque key blobs of `SslExportKey` for
    /// other processes using the same store). The first is made from the system RNG on first
    /// use; concurrent first uses by several processes all get the same key.
    pub fn sealing_keys(&self) -> Result<SealingKeys> {
        let keys = self.read_sealing_keys()?;
        if !keys.is_empty() {
            return Ok(SealingKeys { keys });
        }
        match self.add_sealing_key(1) {
            // Another process made the first key: use that one.
            Ok(()) | Err(Error::InvalidParameter(_)) => {}
            Err(error) => return Err(error),
        }
        let keys = self.read_sealing_keys()?;
        if keys.is_empty() {
            return Err(Error::Internal("sealing key vanished after creation"));
        }
        Ok(SealingKeys { keys })
    }

    /// Rotates the sealing key (`keyward key rotate-sealing`): adds a new random key whose id
    /// is one more than the newest, and returns that id. From then on blobs are sealed under
    /// the new key; blobs sealed under the older keys still open, because the older keys are
    /// kept. A process that has already loaded the keys (a running server) seals with the key
    /// it loaded until it loads them again, and loads them again when it meets a blob under a
    /// key it does not know. To retire an old key, delete `sealing/<id>.key` once no blob
    /// sealed under it is needed any more. Concurrent rotations each add their own key.
    pub fn rotate_sealing_key(&self) -> Result<u32> {
        for _ in 0..ROTATION_ATTEMPTS {
            let newest = self.read_sealing_keys()?.last().map_or(0, |key| key.id);
            let id = newest
                .checked_add(1)
                .ok_or(Error::NotSupported("no sealing key id left"))?;
            match self.add_sealing_key(id) {
                Ok(()) => return Ok(id),
                // Another process took this id: try the next one.
                Err(Error::InvalidParameter(_)) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(Error::Io(format!(
            "{}: could not add a sealing key: too many concurrent rotations",
            self.dir.join(SEALING_DIR).display()
        )))
    }

    /// The sealing keys on disk, by increasing id. Files whose names are not `<id>.key` (the
    /// store's temporary files among them) are skipped; a key file that is there but
    /// unreadable, loose or corrupt is an error.
    fn read_sealing_keys(&self) -> Result<Vec<SealingKey>> {
        let dir = self.dir.join(SEALING_DIR);
        let entries = fs::read_dir(&dir).map_err(|error| io_error(&dir, &error))?;
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| io_error(&dir, &error))?;
            let Some(id) = entry.file_name().to_str().and_then(parse_sealing_key_name) else {
                continue;
            };
            let path = entry.path();
            match read_sealing_key(&path) {
                Ok(key) => keys.push(SealingKey { id, key }),
                // Deleted while we looked: a retired key.
                Err(Error::NotFound) => continue,
                Err(error) => return Err(error),
            }
        }
        keys.sort_by_key(|key| key.id);
        Ok(keys)
    }

    /// Publishes a new random sealing key under `id`; `InvalidParameter` if `id` is taken.
    fn add_sealing_key(&self, id: u32) -> Result<()> {
        let dir = self.dir.join(SEALING_DIR);
        let mut key = Secret::<SEALING_KEY_LEN>::zeroed();
        rand::fill(key.expose_mut())?;
        let temp = self.write_temp(&dir, key.expose())?;
        let path = dir.join(sealing_key_name(id));
        let linked = fs::hard_link(&temp, &path);
        remove_quietly(&temp);
        match linked {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                Err(Error::InvalidParameter("sealing key id taken"))
            }
            Err(error) => Err(io_error(&path, &error)),
        }
    }

    /// Writes the key and certificate files of `name` (see the module documentation).
    fn publish(&self, name: &str, pkcs8_der: &[u8], certificate_der: &[u8]) -> Result<()> {
        let keys = self.dir.join(KEYS_DIR);
        let temp_key = self.write_temp(&keys, pkcs8_der)?;
        let temp_certificate = match self.write_temp(&keys, certificate_der) {
            Ok(path) => path,
            Err(error) => {
                remove_quietly(&temp_key);
                return Err(error);
            }
        };
        let key = self.key_path(name, PKCS8_EXTENSION);
        let certificate = self.key_path(name, CERTIFICATE_EXTENSION);
        let result = match fs::hard_link(&temp_key, &key) {
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                Err(Error::InvalidParameter("a key with this name exists"))
            }
            Err(error) => Err(io_error(&key, &error)),
            Ok(()) => fs::rename(&temp_certificate, &certificate).map_err(|error| {
                remove_quietly(&key);
                io_error(&certificate, &error)
            }),
        };
        remove_quietly(&temp_key);
        remove_quietly(&temp_certificate);
        result
    }

    /// Writes `contents` to a new temporary file (mode 0600) in `dir` and returns its path.
    fn write_temp(&self, dir: &Path, contents: &[u8]) -> Result<PathBuf> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut tag = [0u8; 8];
        rand::fill(&mut tag)?;
        let file_name = format!(
            "{TEMP_PREFIX}{}-{}-{:016x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            u64::from_le_bytes(tag)
        );
        let path = dir.join(file_name);
        private_fs::create_new_file(&path, contents).map_err(|error| {
            if error.kind() != ErrorKind::AlreadyExists {
                remove_quietly(&path);
            }
            fs_error(error)
        })?;
        Ok(path)
    }

    fn key_path(&self, name: &str, extension: &str) -> PathBuf {
        self.dir.join(KEYS_DIR).join(format!("{name}.{extension}"))
    }
}

/// The default store directory from the values of `KEYWARD_HOME`, `XDG_DATA_HOME`, `HOME`.
fn default_dir(
    keyward_home: Option<OsString>,
    xdg_data_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let set = |value: Option<OsString>| value.filter(|value| !value.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(keyward_home) {
        return Some(dir);
    }
    if let Some(data) = set(xdg_data_home).filter(|data| data.is_absolute()) {
        return Some(data.join("keyward"));
    }
    set(home).map(|home| home.join(".local").join("share").join("keyward"))
}

/// The certificates (DER) in `pem`, in order. A block that is not a `CERTIFICATE`, or a
/// certificate that does not parse, is an error saying which.
pub fn certificates_from_pem(pem: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut certificates = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|err| format!("not PEM: {err}"))?;
        if block.label != "CERTIFICATE" {
            return Err(format!(
                "a PEM {:?} block where certificates were expected",
                block.label
            ));
        }
        match X509Certificate::from_der(&block.contents) {
            Ok(([], _)) => certificates.push(block.contents),
            _ => {
                return Err(format!(
                    "certificate {} is malformed",
                    certificates.len() + 1
                ))
            }
        }
    }
    Ok(certificates)
}

/// Checks a key name: 1 to 64 of `[A-Za-z0-9._-]`, not starting with '.'.
fn check_name(name: &str) -> Result<()> {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-');
    let valid = (1..=MAX_NAME_LEN).contains(&name.len())
        && !name.starts_with('.')
        && name.bytes().all(allowed);
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidParameter(
            "key name must be 1 to 64 of [A-Za-z0-9._-], not starting with '.'",
        ))
    }
}

/// Checks that `pkcs8_der` is a supported private key and `certificate_der` a certificate for
/// it; returns the key's kind.
fn inspect(pkcs8_der: &[u8], certificate_der: &[u8]) -> Result<KeyKind> {
    let (algorithm, public_key) = parse_private_key(pkcs8_der)?;
    let certificate = match X509Certificate::from_der(certificate_der) {
        Ok(([], certificate)) => certificate,
        _ => return Err(Error::BadData("malformed certificate")),
    };
    let spki = certificate.public_key();
    let (algorithm_oid, curve_oid) = algorithm.oids();
    let certificate_curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|parameters| parameters.as_oid().ok())
        .map(|oid| oid.to_id_string());
    if spki.algorithm.algorithm.to_id_string() != algorithm_oid
        || (curve_oid.is_some() && certificate_curve.as_deref() != curve_oid)
        || spki.subject_public_key.data.as_ref() != public_key.as_slice()
    {
        return Err(Error::BadData("certificate is not for this private key"));
    }
    match algorithm {
        Algorithm::EcP256 => Ok(KeyKind::EcP256),
        Algorithm::EcP384 => Ok(KeyKind::EcP384),
        Algorithm::Rsa => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => rsa_kind(bit_length(rsa.modulus)),
            _ => Err(Error::BadData("malformed RSA public key in certificate")),
        },
    }
}

/// The kind of an RSA key of `bits` bits, if the store supports it.
fn rsa_kind(bits: usize) -> Result<KeyKind> {
    if !RSA_BITS.contains(&bits) {
        return Err(Error::NotSupported("RSA key size (2048 to 4096 bits)"));
    }
    let bits = u32::try_from(bits).map_err(|_| Error::NotSupported("RSA key size"))?;
    Ok(KeyKind::Rsa { bits })
}

/// Parses a PKCS#8 private key of a supported algorithm; returns the algorithm and the public
/// key as a certificate carries it (RSA: the `RSAPublicKey` DER; EC: the uncompressed point).
/// A well-formed `PrivateKeyInfo` that aws-lc-rs does not take as one of these (another
/// algorithm or curve, RSA outside 2048..=4096 bits) is `NotSupported`; anything else `BadData`.
fn parse_private_key(pkcs8_der: &[u8]) -> Result<(Algorithm, Vec<u8>)> {
    if let Ok(key_pair) = rsa::KeyPair::from_pkcs8(pkcs8_der) {
        // aws-lc-rs accepts 2048 to 8192 bits; the store stops at 4096.
        rsa_kind(key_pair.public_modulus_len() * 8)?;
        return Ok((Algorithm::Rsa, key_pair.public_key().as_ref().to_vec()));
    }
    for algorithm in [Algorithm::EcP256, Algorithm::EcP384] {
        let Some(signing) = algorithm.ecdsa() else {
            continue;
        };
        if let Ok(key_pair) = EcdsaKeyPair::from_pkcs8(signing, pkcs8_der) {
            return Ok((algorithm, key_pair.public_key().as_ref().to_vec()));
        }
    }
    if is_private_key_info(pkcs8_der) {
        Err(Error::NotSupported(
            "private key algorithm (RSA 2048-4096, EC P-256, EC P-384)",
        ))
    } else {
        Err(Error::BadData("malformed PKCS#8 private key"))
    }
}

/// True when `der` is shaped like a PKCS#8 `PrivateKeyInfo` (RFC 5208): a SEQUENCE holding a
/// version INTEGER and an AlgorithmIdentifier, and nothing after it.
fn is_private_key_info(der: &[u8]) -> bool {
    let Ok((rest, sequence)) = Sequence::from_der(der) else {
        return false;
    };
    let Ok((content, _version)) = Integer::from_der(&sequence.content) else {
        return false;
    };
    rest.is_empty() && AlgorithmIdentifier::from_der(content).is_ok()
}

/// Generates a private key of `kind`, PKCS#8 DER.
fn generate_pkcs8(kind: KeyKind) -> Result<SecretVec> {
    let rng = SystemRandom::new();
    let document = match kind {
        KeyKind::Rsa { bits } => {
            let size = match bits {
                2048 => rsa::KeySize::Rsa2048,
                3072 => rsa::KeySize::Rsa3072,
                4096 => rsa::KeySize::Rsa4096,
                _ => {
                    return Err(Error::NotSupported(
                        "RSA key size (2048, 3072 or 4096 bits)",
                    ))
                }
            };
            let key_pair = rsa::KeyPair::generate(size)?;
            let pkcs8 = key_pair.as_der()?;
            return Ok(SecretVec::from_slice(pkcs8.as_ref()));
        }
        KeyKind::EcP256 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)?
        }
        KeyKind::EcP384 => {
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, &rng)?
        }
    };
    Ok(SecretVec::from_slice(document.as_ref()))
}

/// The rcgen signing key of a PKCS#8 key, wiped when dropped: rcgen keeps its own copy of
/// the PKCS#8 bytes, which `Zeroizing` clears.
fn signing_key(pkcs8: &SecretVec) -> Result<zeroize::Zeroizing<rcgen::KeyPair>> {
    rcgen::KeyPair::try_from(pkcs8.expose())
        .map(zeroize::Zeroizing::new)
        .map_err(|_| Error::Internal("rcgen rejected a generated key"))
}

/// The validity period of a certificate generated at `now`: from an hour before `now`, for
/// two years.
fn validity(now: SystemTime) -> Result<(time::OffsetDateTime, time::OffsetDateTime)> {
    let not_before = now
        .checked_sub(Duration::from_secs(CERTIFICATE_BACKDATE_SECS))
        .ok_or(Error::Internal("clock before the epoch"))?;
    let not_after = not_before
        .checked_add(Duration::from_secs(CERTIFICATE_VALIDITY_DAYS * 24 * 3600))
        .ok_or(Error::Internal("clock too far ahead"))?;
    Ok((not_before.into(), not_after.into()))
}

/// The file name of sealing key `id`.
fn sealing_key_name(id: u32) -> String {
    format!("{id:08x}.{SEALING_KEY_EXTENSION}")
}

/// The id of a sealing key file name (`<8 lowercase hex digits>.key`, not 0), if it is one.
fn parse_sealing_key_name(name: &str) -> Option<u32> {
    let hex = name.strip_suffix(".key")?;
    let lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if hex.len() != 8 || !hex.bytes().all(lower_hex) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().filter(|&id| id != 0)
}

/// Reads a sealing key file: exactly 32 bytes.
fn read_sealing_key(path: &Path) -> Result<Secret<SEALING_KEY_LEN>> {
    let bytes = read_file(path, Contents::Secret)?;
    let mut key = Secret::<SEALING_KEY_LEN>::zeroed();
    if bytes.len() != key.expose().len() {
        return Err(Error::BadData("sealing key file is not 32 bytes"));
    }
    key.expose_mut().copy_from_slice(bytes.expose());
    Ok(key)
}

/// Reads a whole store file into zeroizing memory, checked as [`private_fs::open_file`]
/// does; a missing file is `NotFound`, an oversized one `BadData`.
fn read_file(path: &Path, contents: Contents) -> Result<SecretVec> {
    let mut file = private_fs::open_file(path, contents).map_err(|error| {
        if error.kind() == ErrorKind::NotFound {
            Error::NotFound
        } else {
            fs_error(error)
        }
    })?;
    let len = file
        .metadata()
        .map_err(|error| io_error(path, &error))?
        .len();
    if len > MAX_FILE_LEN {
        return Err(Error::BadData("key store file too large"));
    }
    let len = usize::try_from(len).map_err(|_| Error::BadData("key store file too large"))?;
    let mut contents = SecretVec::zeroed(len);
    file.read_exact(contents.expose_mut())
        .map_err(|error| io_error(path, &error))?;
    let mut extra = [0u8; 1];
    match file.read(&mut extra) {
        Ok(0) => Ok(contents),
        Ok(_) => Err(Error::BadData("key store file changed while read")),
        Err(error) => Err(io_error(path, &error)),
    }
}

/// Removes a file, ignoring failure (it may already be gone).
fn remove_quietly(path: &Path) {
    let _ = fs::remove_file(path);
}

/// An error of [`private_fs`], whose message already names the path.
fn fs_error(error: io::Error) -> Error {
    Error::Io(error.to_string())
}

fn io_error(path: &Path, error: &io::Error) -> Error {
    Error::Io(format!("{}: {error}", path.display()))
}

fn not_found_or_io(path: &Path, error: &io::Error) -> Error {
    if error.kind() == ErrorKind::NotFound {
        Error::NotFound
    } else {
        io_error(path, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_test_support::TempDir;

    /// A throwaway RSA-1024 PKCS#8 key (made with `openssl genpkey` and `openssl pkcs8 -topk8`) for the size check.
    const RSA_1024_PKCS8: &str = concat!(
        "30820276020100300d06092a864886f70d0101010500048202603082025c02010002818100a54c1ba4bbb150",
        "acee354d1aaa4782efef28c7a39be52141e74454f1cd728f052be64f4ae07872cc4f14fc68de94004b9ef9e1",
        "fa631d784f404a426824b7c5b3f5e844027e5ecc197d23b7e69b2eb77d826e8223478d704152cb23395f1fe9",
        "d5e82074378d24e76833d75f6c52e244d11a15aaa723b1be86c95a5aa971f7348d020301000102818006c503",
        "2ccff30716cdfaa8d9bab78b0940862f06e84f8df920fb8f6f07b6f55c84dbbdcb973dd795be77618ef9ee9d",
        "c47b1248caf45c349d2a48e0475b999b231ec2f6c48de4319dd2ac69e7325ac852a82ab3e3205384e21b48dd",
        "1a95494750e28ee1f98308c24553c1172901b59a465cd5514fb15fe337b7a79fb854cef181024100d9728709",
        "1686be09afd49db5fa06e5f68f9de003d9a904f8c701bd311e24fd26ca1d9111e648fa1c011cb25c21e0334e",
        "63df39fcefc8dd5027fcf0827312bd05024100c29a9989f05b58440ae6e46ecaef191d9a2c31665f24662b27",
        "29e2d792a37fbe94afaa43506b410879d7c66cd16111838f53fe7e740b8aa560f36964c0646fe902405cee96",
        "89aac7f166207084eaa62dd69076b6a96bdbd5619b9529c81abae06214f6e286029961ed0a94eb17cb4a6b10",
        "625b4aa6f4d3e20bbbdb2b3dfaf2853aa502410093d48f988abf4950ff1b2122cd044f06fecc5d868ff5fdab",
        "0068404b54b8e15cec6479aa031846e1e27538e607347ef27ad9eab533006585761dd2cd579db4a902403b03",
        "0666b5be5eb91b4332ed139b2fa8150df767c664d0d144aeb537460b0af0effcb3ebca67246ba1938e8babee",
        "2ae0b7f044fc477e5f0a7bdc188f3c4edc5d",
    );

    /// A key of `kind` and a self-signed certificate for it, made outside the store.
    fn key_and_certificate(kind: KeyKind, dns_name: &str) -> (SecretVec, Vec<u8>) {
        let pkcs8 = generate_pkcs8(kind).unwrap();
        let key_pair = rcgen::KeyPair::try_from(pkcs8.expose()).unwrap();
        let params = rcgen::CertificateParams::new(vec![dns_name.to_owned()]).unwrap();
        let certificate = params.self_signed(&key_pair).unwrap().der().to_vec();
        (pkcs8, certificate)
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn import_get_find_list_remove() {
        let dir = TempDir::new("import");
        let store = KeyStore::open(&dir).unwrap();
        assert_eq!(store.dir(), dir.path());
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
        let (pkcs8, certificate) = key_and_certificate(KeyKind::EcP256, "a.example");
        let (other_pkcs8, other_certificate) = key_and_certificate(KeyKind::EcP384, "b.example");

        let imported = store.import("web-1", pkcs8.expose(), &certificate).unwrap();
        assert_eq!(imported.name(), "web-1");
        assert_eq!(imported.kind(), KeyKind::EcP256);
        store
            .import("web.2_x", other_pkcs8.expose(), &other_certificate)
            .unwrap();
        assert_eq!(store.list().unwrap(), ["web-1", "web.2_x"]);

        let found = store.find_by_certificate(&certificate).unwrap();
        assert_eq!(found.name(), "web-1");
        assert_eq!(found.kind(), KeyKind::EcP256);
        assert_eq!(found.certificate(), certificate.as_slice());
        assert_eq!(found.pkcs8().expose(), pkcs8.expose());
        let found = store.find_by_certificate(&other_certificate).unwrap();
        assert_eq!((found.name(), found.kind()), ("web.2_x", KeyKind::EcP384));

        // A certificate that differs in one byte is not a match.
        let mut altered = certificate.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(
            store.find_by_certificate(&altered).unwrap_err(),
            Error::NotFound
        );
        assert_eq!(store.find_by_certificate(&[]).unwrap_err(), Error::NotFound);

        // A second store object on the same directory sees the same keys.
        let reopened = KeyStore::open(&dir).unwrap();
        assert_eq!(
            reopened.get("web-1").unwrap().pkcs8().expose(),
            pkcs8.expose()
        );

        // Names are unique; remove frees them.
        let duplicate = store.import("web-1", other_pkcs8.expose(), &other_certificate);
        assert!(matches!(duplicate, Err(Error::InvalidParameter(_))));
        assert_eq!(
            store.get("web-1").unwrap().certificate(),
            certificate.as_slice()
        );
        store.remove("web-1").unwrap();
        assert_eq!(store.get("web-1").unwrap_err(), Error::NotFound);
        assert_eq!(store.remove("web-1").unwrap_err(), Error::NotFound);
        assert_eq!(
            store.find_by_certificate(&certificate).unwrap_err(),
            Error::NotFound
        );
        assert_eq!(store.list().unwrap(), ["web.2_x"]);
        store
            .import("web-1", other_pkcs8.expose(), &other_certificate)
            .unwrap();

        // No temporary files are left behind.
        let leftovers = fs::read_dir(dir.join(KEYS_DIR))
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let dir = TempDir::new("debug");
        let store = KeyStore::open(&dir).unwrap();
        let key = store
            .generate_self_signed("k", KeyKind::EcP256, &["k.example"])
            .unwrap();
        let printed = format!("{key:?}");
        assert!(printed.contains("EcP256"));
        assert!(!printed.contains("pkcs8"));
        assert!(!printed
            .to_lowercase()
            .contains(&hex::encode(&key.pkcs8().expose()[..8])));
    }

    #[test]
    fn generate_each_kind() {
        let dir = TempDir::new("generate");
        let store = KeyStore::open(&dir).unwrap();
        let kinds = [
            ("rsa", KeyKind::Rsa { bits: 2048 }),
            ("p256", KeyKind::EcP256),
            ("p384", KeyKind::EcP384),
        ];
        for (name, kind) in kinds {
            let key = store
                .generate_self_signed(name, kind, &["host.example", "alt.example"])
                .unwrap();
            assert_eq!(key.kind(), kind);
            let (rest, certificate) = X509Certificate::from_der(key.certificate()).unwrap();
            assert!(rest.is_empty());
            let common_name = certificate.subject().iter_common_name().next().unwrap();
            assert_eq!(common_name.as_str().unwrap(), "host.example");
            let san = certificate.subject_alternative_name().unwrap().unwrap();
            let names: Vec<String> = san
                .value
                .general_names
                .iter()
                .map(|name| name.to_string())
                .collect();
            assert_eq!(names, ["DNSName(host.example)", "DNSName(alt.example)"]);
            assert_eq!(certificate.subject(), certificate.issuer());
            let stored = store.get(name).unwrap();
            assert_eq!(stored.kind(), kind);
            assert_eq!(stored.certificate(), key.certificate());
            assert_eq!(
                store.find_by_certificate(key.certificate()).unwrap().name(),
                name
            );
        }
        assert_eq!(store.list().unwrap(), ["p256", "p384", "rsa"]);
        let no_names = store.generate_self_signed("none", KeyKind::EcP256, &[]);
        assert!(matches!(no_names, Err(Error::InvalidParameter(_))));
        let taken = store.generate_self_signed("rsa", KeyKind::EcP256, &["x.example"]);
        assert!(matches!(taken, Err(Error::InvalidParameter(_))));
    }

    #[test]
    fn rsa_sizes() {
        let dir = TempDir::new("rsa-sizes");
        let store = KeyStore::open(&dir).unwrap();
        let key = store
            .generate_self_signed("big", KeyKind::Rsa { bits: 4096 }, &["big.example"])
            .unwrap();
        assert_eq!(key.kind(), KeyKind::Rsa { bits: 4096 });
        assert_eq!(
            store.get("big").unwrap().kind(),
            KeyKind::Rsa { bits: 4096 }
        );
        for bits in [1024, 2047, 2049, 8192, 0] {
            let result = store.generate_self_signed("odd", KeyKind::Rsa { bits }, &["odd.example"]);
            assert!(matches!(result, Err(Error::NotSupported(_))), "{bits}");
        }
        for bits in [2047, 4097, 8192] {
            assert!(matches!(rsa_kind(bits), Err(Error::NotSupported(_))));
        }
        assert_eq!(rsa_kind(3072), Ok(KeyKind::Rsa { bits: 3072 }));
        // An RSA-1024 key is refused as unsupported, before its certificate is looked at.
        let small = hex::decode(RSA_1024_PKCS8).unwrap();
        let (_, certificate) = key_and_certificate(KeyKind::EcP256, "x.example");
        let result = store.import("small", &small, &certificate);
        assert!(matches!(result, Err(Error::NotSupported(_))));
        assert_eq!(store.list().unwrap(), ["big"]);
    }

    #[test]
    fn unsupported_and_malformed_keys() {
        let dir = TempDir::new("unsupported");
        let store = KeyStore::open(&dir).unwrap();
        let (_, certificate) = key_and_certificate(KeyKind::EcP256, "x.example");
        let rng = SystemRandom::new();
        let p521 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P521_SHA512_ASN1_SIGNING, &rng).unwrap();
        let result = store.import("p521", p521.as_ref(), &certificate);
        assert!(matches!(result, Err(Error::NotSupported(_))));
        let ed25519 = signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let result = store.import("ed25519", ed25519.as_ref(), &certificate);
        assert!(matches!(result, Err(Error::NotSupported(_))));
        for garbage in [&[][..], &[0x30, 0x03, 0x02, 0x01, 0x00][..], b"not a key"] {
            let result = store.import("garbage", garbage, &certificate);
            assert!(matches!(result, Err(Error::BadData(_))));
        }
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn certificate_must_match_the_key() {
        let dir = TempDir::new("mismatch");
        let store = KeyStore::open(&dir).unwrap();
        let (p256, p256_certificate) = key_and_certificate(KeyKind::EcP256, "a.example");
        let (_, other_p256_certificate) = key_and_certificate(KeyKind::EcP256, "b.example");
        let (p384, p384_certificate) = key_and_certificate(KeyKind::EcP384, "c.example");
        let (rsa, rsa_certificate) = key_and_certificate(KeyKind::Rsa { bits: 2048 }, "d.example");
        let mismatches = [
            (&p256, &other_p256_certificate),
            (&p256, &p384_certificate),
            (&p256, &rsa_certificate),
            (&p384, &p256_certificate),
            (&rsa, &p256_certificate),
        ];
        for (key, certificate) in mismatches {
            let result = store.import("k", key.expose(), certificate);
            assert!(matches!(result, Err(Error::BadData(_))));
        }
        // Malformed certificates: empty, truncated, trailing bytes, garbage.
        let mut trailing = p256_certificate.clone();
        trailing.push(0);
        let truncated = &p256_certificate[..p256_certificate.len() - 1];
        for certificate in [&[][..], truncated, &trailing, b"certificate"] {
            let result = store.import("k", p256.expose(), certificate);
            assert!(matches!(result, Err(Error::BadData(_))));
        }
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
        store.import("k", rsa.expose(), &rsa_certificate).unwrap();
    }

    #[test]
    fn names_are_checked() {
        let dir = TempDir::new("names");
        let store = KeyStore::open(&dir).unwrap();
        let (pkcs8, certificate) = key_and_certificate(KeyKind::EcP256, "a.example");
        let too_long = "a".repeat(65);
        let bad = [
            "", ".hidden", ".", "..", "a/b", "../x", "a b", "a\0", "clé", "a\\b", &too_long,
        ];
        for name in bad {
            let result = store.import(name, pkcs8.expose(), &certificate);
            assert!(
                matches!(result, Err(Error::InvalidParameter(_))),
                "{name:?}"
            );
            assert!(matches!(store.get(name), Err(Error::InvalidParameter(_))));
            assert!(matches!(
                store.remove(name),
                Err(Error::InvalidParameter(_))
            ));
            let generated = store.generate_self_signed(name, KeyKind::EcP256, &["a.example"]);
            assert!(matches!(generated, Err(Error::InvalidParameter(_))));
        }
        let longest = "Z".repeat(64);
        for name in ["a", "A-b_c.9", "x.", longest.as_str()] {
            store.import(name, pkcs8.expose(), &certificate).unwrap();
        }
        assert_eq!(store.list().unwrap().len(), 4);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        let dir = TempDir::new("modes");
        let nested = dir.join("nested").join("store");
        let store = KeyStore::open(&nested).unwrap();
        store
            .generate_self_signed("k", KeyKind::EcP256, &["k.example"])
            .unwrap();
        store.sealing_keys().unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&nested.join(KEYS_DIR)), 0o700);
        assert_eq!(mode(&nested.join(SEALING_DIR)), 0o700);
        assert_eq!(mode(&nested.join("keys/k.p8")), 0o600);
        assert_eq!(mode(&nested.join("keys/k.der")), 0o600);
        assert_eq!(mode(&nested.join("sealing/00000001.key")), 0o600);
    }

    fn newest(store: &KeyStore) -> SealingKey {
        store.sealing_keys().unwrap().newest().unwrap().clone()
    }

    #[test]
    fn sealing_key_is_created_once_and_shared() {
        let dir = TempDir::new("sealing");
        let first = newest(&KeyStore::open(&dir).unwrap());
        let second = newest(&KeyStore::open(&dir).unwrap());
        assert_eq!((first.id(), first.expose()), (1, second.expose()));
        assert_ne!(first.expose(), &[0; 32]);
        assert_eq!(
            fs::read(dir.join("sealing/00000001.key")).unwrap(),
            first.expose()
        );
        assert_eq!(format!("{first:?}"), "SealingKey { id: 1, .. }");

        // Many racing first uses agree on one key.
        let racing = TempDir::new("sealing-race");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = racing.path().to_path_buf();
                std::thread::spawn(move || *newest(&KeyStore::open(path).unwrap()).expose())
            })
            .collect();
        let keys: Vec<[u8; 32]> = threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        assert!(keys.iter().all(|key| key == &keys[0]));
        let store = KeyStore::open(&racing).unwrap();
        assert_eq!(store.sealing_keys().unwrap().iter().count(), 1);
        let other = TempDir::new("sealing-other");
        assert_ne!(newest(&KeyStore::open(&other).unwrap()).expose(), &keys[0]);
    }

    #[test]
    fn rotation_adds_a_newer_key_and_keeps_the_old_ones() {
        let dir = TempDir::new("rotate");
        let store = KeyStore::open(&dir).unwrap();
        // Rotating a store that has no key yet makes key 1.
        assert_eq!(store.rotate_sealing_key().unwrap(), 1);
        let first = newest(&store);
        assert_eq!(store.rotate_sealing_key().unwrap(), 2);
        let keys = store.sealing_keys().unwrap();
        let second = keys.newest().unwrap();
        assert_eq!(second.id(), 2);
        assert_ne!(second.expose(), first.expose());
        assert_eq!(keys.get(1).unwrap().expose(), first.expose());
        assert!(keys.get(3).is_none() && keys.get(0).is_none());

        // Concurrent rotations each add their own key.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = dir.path().to_path_buf();
                std::thread::spawn(move || KeyStore::open(path).unwrap().rotate_sealing_key())
            })
            .collect();
        let mut ids: Vec<u32> = threads
            .into_iter()
            .map(|thread| thread.join().unwrap().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, [3, 4, 5, 6]);
        let ids: Vec<u32> = store
            .sealing_keys()
            .unwrap()
            .iter()
            .map(SealingKey::id)
            .collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);

        // A retired (deleted) key is gone; the others stay; files that are not keys are skipped.
        fs::remove_file(dir.join("sealing/00000002.key")).unwrap();
        fs::write(dir.join("sealing/notes.txt"), b"x").unwrap();
        let keys = store.sealing_keys().unwrap();
        assert!(keys.get(2).is_none());
        assert_eq!(keys.get(1).unwrap().expose(), first.expose());
        assert_eq!(keys.newest().unwrap().id(), 6);
        assert!(!format!("{keys:?}").contains("expose"));
    }

    #[test]
    fn sealing_key_names() {
        assert_eq!(sealing_key_name(1), "00000001.key");
        assert_eq!(sealing_key_name(0xabcdef12), "abcdef12.key");
        assert_eq!(parse_sealing_key_name("abcdef12.key"), Some(0xabcdef12));
        for bad in [
            "00000000.key",
            "ABCDEF12.key",
            "0000001.key",
            "000000001.key",
            "00000001.txt",
            ".tmp-1-2-3",
            "+0000001.key",
        ] {
            assert_eq!(parse_sealing_key_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn corrupt_files_are_bad_data() {
        let dir = TempDir::new("corrupt");
        let store = KeyStore::open(&dir).unwrap();
        private_fs::create_new_file(&dir.join("sealing/00000001.key"), &[7u8; 31]).unwrap();
        assert!(matches!(store.sealing_keys(), Err(Error::BadData(_))));
        store
            .generate_self_signed("k", KeyKind::EcP256, &["k.example"])
            .unwrap();
        let (other, _) = key_and_certificate(KeyKind::EcP256, "x.example");
        fs::write(dir.join("keys/k.p8"), other.expose()).unwrap();
        assert!(matches!(store.get("k"), Err(Error::BadData(_))));
        fs::write(dir.join("keys/k.p8"), b"junk").unwrap();
        assert!(matches!(store.get("k"), Err(Error::BadData(_))));
        fs::write(dir.join("keys/k.p8"), vec![0u8; MAX_FILE_LEN as usize + 1]).unwrap();
        assert!(matches!(store.get("k"), Err(Error::BadData(_))));
    }

    #[test]
    fn default_directory() {
        let os = |value: &str| Some(OsString::from(value));
        assert_eq!(
            default_dir(os("/k"), os("/x"), os("/h")),
            Some(PathBuf::from("/k"))
        );
        assert_eq!(
            default_dir(None, os("/x"), os("/h")),
            Some(PathBuf::from("/x/keyward"))
        );
        assert_eq!(
            default_dir(os(""), os("/x"), os("/h")),
            Some(PathBuf::from("/x/keyward"))
        );
        let home = Some(PathBuf::from("/h/.local/share/keyward"));
        assert_eq!(default_dir(None, None, os("/h")), home);
        assert_eq!(default_dir(None, os("relative"), os("/h")), home);
        assert_eq!(default_dir(None, os(""), os("/h")), home);
        assert_eq!(default_dir(None, None, None), None);
        assert_eq!(default_dir(os(""), os(""), os("")), None);
    }
}

#[cfg(all(test, unix))]
mod permission_tests {
    //! Issue 12 item 6: the store refuses what another user could have planted or can change.
    use super::*;
    use keyward_test_support::TempDir;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Asserts that `result` is an error naming `path` and containing `what`.
    fn refused<T: fmt::Debug>(result: Result<T>, path: &Path, what: &str) {
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains(&path.display().to_string()) && message.contains(what),
            "{message}"
        );
    }

    #[test]
    fn an_existing_store_writable_by_others_is_refused() {
        let scratch = TempDir::new("store-perm");
        let dir = scratch.join("dir-mode");
        KeyStore::open(&dir).unwrap();
        chmod(&dir, 0o777);
        refused(KeyStore::open(&dir), &dir, "0777");
        chmod(&dir, 0o700);
        chmod(&dir.join("keys"), 0o770);
        refused(KeyStore::open(&dir), &dir.join("keys"), "0770");
    }

    #[test]
    fn a_symlinked_keys_dir_is_refused() {
        let scratch = TempDir::new("store-perm");
        let dir = scratch.join("keys-link");
        let elsewhere = scratch.join("keys-elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        chmod(&elsewhere, 0o700);
        fs::create_dir_all(&dir).unwrap();
        chmod(&dir, 0o700);
        symlink(&elsewhere, dir.join("keys")).unwrap();
        refused(KeyStore::open(&dir), &dir.join("keys"), "symlink");
    }

    #[test]
    fn symlinked_or_loose_key_files_are_refused() {
        let scratch = TempDir::new("store-perm");
        let dir = scratch.join("files");
        let store = KeyStore::open(&dir).unwrap();
        store
            .generate_self_signed("k", KeyKind::EcP256, &["k.example"])
            .unwrap();
        let key = dir.join("keys/k.p8");
        chmod(&key, 0o644);
        refused(store.get("k"), &key, "0644");
        chmod(&key, 0o600);
        let certificate = dir.join("keys/k.der");
        chmod(&certificate, 0o666);
        refused(store.get("k"), &certificate, "0666");
        chmod(&certificate, 0o644);
        store.get("k").unwrap();

        // A key file that is a symlink to a key elsewhere is not followed.
        let planted = scratch.join("planted");
        fs::copy(&key, &planted).unwrap();
        chmod(&planted, 0o600);
        fs::remove_file(&key).unwrap();
        symlink(&planted, &key).unwrap();
        refused(store.get("k"), &key, "symlink");
    }

    #[test]
    fn symlinked_or_loose_sealing_keys_are_refused() {
        let scratch = TempDir::new("store-perm");
        let dir = scratch.join("sealing");
        let store = KeyStore::open(&dir).unwrap();
        store.sealing_keys().unwrap();
        let key = dir.join("sealing/00000001.key");
        chmod(&key, 0o604);
        refused(store.sealing_keys(), &key, "0604");
        chmod(&key, 0o600);
        let planted = scratch.join("planted-sealing");
        fs::copy(&key, &planted).unwrap();
        chmod(&planted, 0o600);
        let second = dir.join("sealing/00000002.key");
        symlink(&planted, &second).unwrap();
        refused(store.sealing_keys(), &second, "symlink");
        refused(store.rotate_sealing_key(), &second, "symlink");
        fs::remove_file(&second).unwrap();
        fs::remove_file(&planted).unwrap();

        // A symlinked sealing directory is refused when the store is opened.
        fs::remove_dir_all(dir.join("sealing")).unwrap();
        let elsewhere = scratch.join("sealing-elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        chmod(&elsewhere, 0o700);
        symlink(&elsewhere, dir.join("sealing")).unwrap();
        refused(KeyStore::open(&dir), &dir.join("sealing"), "symlink");
    }

    #[test]
    fn a_store_of_another_user_is_refused() {
        use std::os::unix::fs::MetadataExt;
        let scratch = TempDir::new("store-perm");
        let dir = scratch.join("owner");
        KeyStore::open(&dir).unwrap();
        let own_uid = fs::metadata(&dir).unwrap().uid();
        if own_uid == 0 {
            // Root can give the store to another user (nobody) to play that user's store.
            std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
            refused(KeyStore::open(&dir), &dir, "owned by uid 65534");
            std::os::unix::fs::chown(&dir, Some(0), None).unwrap();
            std::os::unix::fs::chown(dir.join("keys"), Some(65534), None).unwrap();
            refused(
                KeyStore::open(&dir),
                &dir.join("keys"),
                "owned by uid 65534",
            );
        } else {
            // Anyone else can point the store at a directory root owns.
            let root = Path::new("/");
            refused(KeyStore::open(root), root, "owned by uid 0");
        }
    }
}

#[cfg(test)]
mod validity_tests {
    use super::*;

    /// Issue 15: certificates made by the store are valid from an hour ago for two years, not
    /// from 1975 to 4096.
    #[test]
    fn generated_certificates_are_valid_for_two_years_from_an_hour_ago() {
        let dir = keyward_test_support::TempDir::new("store-validity");
        let store = KeyStore::open(&dir).unwrap();
        let key = store
            .generate_self_signed("k", KeyKind::EcP256, &["k.example"])
            .unwrap();
        let (_, certificate) = X509Certificate::from_der(key.certificate()).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let not_before = certificate.validity().not_before.timestamp();
        let not_after = certificate.validity().not_after.timestamp();
        assert!(
            (now - 3600 - 60..=now - 3600 + 60).contains(&not_before),
            "not before {not_before}, now {now}"
        );
        let two_years = 730 * 24 * 3600;
        assert!(
            (not_before + two_years - 60..=not_before + two_years + 60).contains(&not_after),
            "not after {not_after}, not before {not_before}"
        );
    }

    /// Issue 12 item 9: rcgen's copy of the private key is wiped, not left in freed memory.
    #[test]
    fn the_certificate_generator_wipes_its_copy_of_the_key() {
        let pkcs8 = generate_pkcs8(KeyKind::EcP256).unwrap();
        let mut key_pair = signing_key(&pkcs8).unwrap();
        assert_eq!(key_pair.serialized_der(), pkcs8.expose());
        // What `Zeroizing` does on drop.
        zeroize::Zeroize::zeroize(&mut *key_pair);
        assert!(key_pair.serialized_der().iter().all(|&byte| byte == 0));
    }

    #[test]
    fn validity_is_from_an_hour_before_for_two_years() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let (not_before, not_after) = validity(now).unwrap();
        assert_eq!(not_before.unix_timestamp(), 1_800_000_000 - 3600);
        assert_eq!(
            not_after.unix_timestamp(),
            1_800_000_000 - 3600 + 730 * 86400
        );
    }
}

//! Asymmetric keys of the provider: the server's private key (`SslOpenPrivateKey`), ephemeral
//! key-exchange keys (`SslCreateEphemeralKey`) and peer public keys (`SslImportKey`).

use crate::isolation::{KeyIsolation, RemoteHandle, RemoteObject, RemotePrivateKeyInfo};
use crate::protocol::Protocol;
use crate::suites::{CipherSuite, KeyExchange};
use keyward_core::backend::{
    self, Curve, DhPrivateKey, EcdhPrivateKey, FfdheGroup, HashAlgorithm, RsaPublicKey,
};
use keyward_core::blob::{
    DhParameters, DhPrivateBlob, DhPublicBlob, EccCurve, EccPrivateBlob, EccPublicBlob, EccUsage,
    RsaPublicBlob,
};
use keyward_core::store::StoredKey;
use keyward_core::{Error, Result, SecretVec};
use std::sync::{Arc, Mutex};

/// `SSL_KEY_TYPE_PROPERTY`: the one property of ephemeral keys.
pub const SSL_KEY_TYPE_PROPERTY: &str = "KEYTYPE";
/// `NCRYPT_ALGORITHM_GROUP_PROPERTY`, answered for key pairs.
pub const NCRYPT_ALGORITHM_GROUP_PROPERTY: &str = "Algorithm Group";
/// `NCRYPT_LENGTH_PROPERTY`, answered for key pairs.
pub const NCRYPT_LENGTH_PROPERTY: &str = "Length";
/// Longest RSA public exponent, in bytes, as `BCRYPT_RSAPUBLIC_BLOB` allows.
const MAX_RSA_EXPONENT_LEN: usize = 8;
/// Longest property name accepted, in characters (docs/ssl-provider.md, "Keys and key properties").
const MAX_PROPERTY_NAME: usize = 64;

/// The name rule of `SslGetKeyProperty` and `SslGetProviderProperty`: 1 to 64 characters,
/// else `NTE_INVALID_PARAMETER`.
pub(crate) fn check_property_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > MAX_PROPERTY_NAME {
        Err(Error::InvalidParameter("property name"))
    } else {
        Ok(())
    }
}

/// A public key blob type of `SslImportKey` and `SslExportKey` (the `pszBlobType` of a public
/// key, bcrypt.h). keyward-ffi reads the Windows name; the bytes are keyward-core's
/// [`keyward_core::blob`] formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PublicBlobType {
    /// `BCRYPT_RSAPUBLIC_BLOB` (`L"RSAPUBLICBLOB"`): an RSA modulus and exponent.
    Rsa,
    /// `BCRYPT_ECCPUBLIC_BLOB` (`L"ECCPUBLICBLOB"`): an ECDH or ECDSA point, its magic telling
    /// which.
    Ecc,
    /// `BCRYPT_DH_PUBLIC_BLOB` (`L"DHPUBLICBLOB"`): a finite-field DH value with its group.
    Dh,
}

impl PublicBlobType {
    /// Every public blob type, in bcrypt.h's order.
    pub const ALL: [PublicBlobType; 3] =
        [PublicBlobType::Rsa, PublicBlobType::Ecc, PublicBlobType::Dh];
}

/// A private key blob type of `SslImportKey` for an ephemeral key pair made elsewhere
/// (`BCRYPT_ECCPRIVATE_BLOB`, `BCRYPT_DH_PRIVATE_BLOB`): a keyward extension, Windows' `SslImportKey`
/// takes public blobs only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrivateBlobType {
    /// `BCRYPT_ECCPRIVATE_BLOB` (`L"ECCPRIVATEBLOB"`) with an ECDH magic.
    Ecc,
    /// `BCRYPT_DH_PRIVATE_BLOB` (`L"DHPRIVATEBLOB"`) of an RFC 7919 group.
    Dh,
}

impl PrivateBlobType {
    /// Every private blob type.
    pub const ALL: [PrivateBlobType; 2] = [PrivateBlobType::Ecc, PrivateBlobType::Dh];
}

/// How `SslSignHash` pads an RSA signature (its `dwFlags`); ECDSA keys take only `Raw`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignaturePadding {
    /// Flags 0: RSA PKCS#1 v1.5 type 1 without DigestInfo (the 36-byte MD5 ‖ SHA-1 of
    /// TLS ≤ 1.1); ECDSA over the given digest.
    Raw,
    /// `NCRYPT_SSL_SIGN_INCLUDE_HASHOID`: PKCS#1 v1.5 with the hash's DigestInfo.
    Pkcs1(HashAlgorithm),
    /// `NCRYPT_SSL_SIGN_USE_PSS_PADDING`: RSASSA-PSS, salt length = hash length.
    Pss(HashAlgorithm),
}

/// A server's private key from the key store, with its certificate (the "ssl4" key-pair
/// object of `SslOpenPrivateKey`).
///
/// A key of an isolated provider ([`Provider::isolated`](crate::Provider::isolated)) is a
/// handle to a key the isolation service keeps; its methods ask the service.
pub struct PrivateKey {
    key: PrivateKeyInner,
    certificate: Vec<u8>,
}

enum PrivateKeyInner {
    Local(backend::PrivateKey),
    Remote(RemotePrivateKey),
}

/// A private key kept by an isolation service. Long-lived (a server keeps it for its
/// lifetime), so a handle the service no longer knows (it restarted) is replaced by opening
/// the key again for the same certificate, once per call.
struct RemotePrivateKey {
    service: Arc<dyn KeyIsolation>,
    handle: Mutex<RemoteHandle>,
    public: PublicKey,
    signature_len: usize,
}

impl RemotePrivateKey {
    fn handle(&self) -> Result<RemoteHandle> {
        self.handle
            .lock()
            .map(|handle| *handle)
            .map_err(|_| Error::Internal("remote key lock poisoned"))
    }

    /// Runs `operation` on the key's handle; if the service no longer knows it, opens the key
    /// again for `certificate` and runs `operation` once more.
    fn with_handle<T>(
        &self,
        certificate: &[u8],
        operation: impl Fn(RemoteHandle) -> Result<T>,
    ) -> Result<T> {
        let handle = self.handle()?;
        match operation(handle) {
            Err(Error::InvalidHandle) => {
                let reopened = self.service.open_private_key(certificate)?;
                {
                    let mut current = self
                        .handle
                        .lock()
                        .map_err(|_| Error::Internal("remote key lock poisoned"))?;
                    *current = reopened.handle;
                }
                let _ = self.service.free(handle);
                operation(reopened.handle)
            }
            result => result,
        }
    }
}

impl Drop for RemotePrivateKey {
    fn drop(&mut self) {
        if let Ok(handle) = self.handle() {
            let _ = self.service.free(handle);
        }
    }
}

impl PrivateKey {
    /// Opens a stored key.
    pub fn from_stored(stored: &StoredKey) -> Result<Self> {
        PrivateKey::from_pkcs8(stored.pkcs8().expose(), stored.certificate())
    }

    /// Wraps a PKCS#8 private key and its certificate.
    pub fn from_pkcs8(pkcs8: &[u8], certificate: &[u8]) -> Result<Self> {
        Ok(PrivateKey {
            key: PrivateKeyInner::Local(backend::PrivateKey::from_pkcs8(pkcs8)?),
            certificate: certificate.to_vec(),
        })
    }

    /// A key kept by an isolation service (the private keys of an isolated provider).
    pub(crate) fn remote(service: Arc<dyn KeyIsolation>, info: RemotePrivateKeyInfo) -> Self {
        PrivateKey {
            key: PrivateKeyInner::Remote(RemotePrivateKey {
                service,
                handle: Mutex::new(info.handle),
                public: info.public_key,
                signature_len: info.signature_len,
            }),
            certificate: info.certificate,
        }
    }

    /// The key's service and current handle when it is kept by an isolation service.
    pub(crate) fn remote_parts(&self) -> Option<(&Arc<dyn KeyIsolation>, RemoteHandle)> {
        match &self.key {
            PrivateKeyInner::Remote(remote) => {
                remote.handle().ok().map(|handle| (&remote.service, handle))
            }
            PrivateKeyInner::Local(_) => None,
        }
    }

    /// Runs `operation` on the handle of a key kept by an isolation service, opening the key
    /// again if the service restarted; `NTE_INVALID_HANDLE` for an in-process key.
    pub(crate) fn with_remote<T>(
        &self,
        operation: impl Fn(&Arc<dyn KeyIsolation>, RemoteHandle) -> Result<T>,
    ) -> Result<T> {
        match &self.key {
            PrivateKeyInner::Remote(remote) => remote.with_handle(&self.certificate, |handle| {
                operation(&remote.service, handle)
            }),
            PrivateKeyInner::Local(_) => Err(Error::InvalidHandle),
        }
    }

    /// The certificate (DER) the key was opened for.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// True for RSA keys (which can decrypt an RSA premaster).
    pub fn is_rsa(&self) -> bool {
        match &self.key {
            PrivateKeyInner::Local(key) => matches!(key, backend::PrivateKey::Rsa(_)),
            PrivateKeyInner::Remote(remote) => matches!(remote.public, PublicKey::Rsa(_)),
        }
    }

    /// True when this key can authenticate `suite` (`SslEnumCipherSuites` with a key): RSA keys
    /// serve RSA, DHE_RSA and ECDHE_RSA suites; ECDSA keys serve ECDHE_ECDSA; TLS 1.3 suites
    /// take either.
    pub fn serves(&self, suite: &CipherSuite) -> bool {
        match suite.key_exchange {
            KeyExchange::Tls13 => true,
            KeyExchange::EcdheEcdsa => !self.is_rsa(),
            KeyExchange::Rsa | KeyExchange::DheRsa | KeyExchange::EcdheRsa => self.is_rsa(),
        }
    }

    /// The in-process key; `None` for a key kept by an isolation service.
    pub(crate) fn backend(&self) -> Option<&backend::PrivateKey> {
        match &self.key {
            PrivateKeyInner::Local(key) => Some(key),
            PrivateKeyInner::Remote(_) => None,
        }
    }

    /// Length of the signatures this key makes (`SslSignHash` size query).
    pub fn signature_len(&self) -> usize {
        match &self.key {
            PrivateKeyInner::Local(backend::PrivateKey::Rsa(rsa)) => rsa.modulus_len(),
            PrivateKeyInner::Local(backend::PrivateKey::Ecdsa(ec)) => 2 * ec.curve().field_len(),
            PrivateKeyInner::Remote(remote) => remote.signature_len,
        }
    }

    /// Signs a hash value (`SslSignHash`). ECDSA signatures are `r ‖ s` at fixed width, not
    /// DER (the TLS layer encodes them).
    pub fn sign_hash(&self, hash_value: &[u8], padding: SignaturePadding) -> Result<Vec<u8>> {
        let key = match &self.key {
            PrivateKeyInner::Local(key) => key,
            PrivateKeyInner::Remote(_) => {
                return self
                    .with_remote(|service, handle| service.sign_hash(handle, hash_value, padding))
            }
        };
        match (key, padding) {
            (backend::PrivateKey::Rsa(rsa), SignaturePadding::Raw) => {
                rsa.sign_pkcs1_raw(hash_value)
            }
            (backend::PrivateKey::Rsa(rsa), SignaturePadding::Pkcs1(hash)) => {
                check_digest_len(hash, hash_value)?;
                rsa.sign_pkcs1(hash, hash_value)
            }
            (backend::PrivateKey::Rsa(rsa), SignaturePadding::Pss(hash)) => {
                check_digest_len(hash, hash_value)?;
                rsa.sign_pss(hash, hash_value)
            }
            (backend::PrivateKey::Ecdsa(ec), SignaturePadding::Raw) => {
                ec.sign_digest(hash_for_digest_len(hash_value.len())?, hash_value)
            }
            (backend::PrivateKey::Ecdsa(_), _) => {
                Err(Error::InvalidParameter("padding flags on an ECDSA key"))
            }
        }
    }

    /// A property of the key pair (`SslGetKeyProperty`). Windows forwards these names to the
    /// underlying NCrypt key; keyward answers `"Algorithm Group"` (UTF-16 "RSA" or "ECDSA",
    /// NUL-terminated) and `"Length"` (key bits, a little-endian `DWORD`). `"KEYTYPE"` exists only
    /// on ephemeral keys: `NTE_INVALID_HANDLE` here, as on Windows; other names are
    /// `NTE_NOT_SUPPORTED`.
    pub fn property(&self, name: &str) -> Result<Vec<u8>> {
        check_property_name(name)?;
        match name {
            SSL_KEY_TYPE_PROPERTY => Err(Error::InvalidHandle),
            NCRYPT_ALGORITHM_GROUP_PROPERTY => {
                let group = if self.is_rsa() { "RSA" } else { "ECDSA" };
                Ok(group
                    .encode_utf16()
                    .chain([0])
                    .flat_map(u16::to_le_bytes)
                    .collect())
            }
            NCRYPT_LENGTH_PROPERTY => {
                let bits = match &self.key {
                    PrivateKeyInner::Local(backend::PrivateKey::Rsa(rsa)) => rsa.bits() as u32,
                    PrivateKeyInner::Local(backend::PrivateKey::Ecdsa(ec)) => {
                        Group::Ec(ec.curve()).bits()
                    }
                    PrivateKeyInner::Remote(remote) => match &remote.public {
                        PublicKey::Rsa(rsa) => rsa.bits() as u32,
                        PublicKey::Ecdsa { curve, .. } | PublicKey::Ecdh { curve, .. } => {
                            Group::Ec(*curve).bits()
                        }
                        PublicKey::Dh { group, .. } => group.bits() as u32,
                    },
                };
                Ok(bits.to_le_bytes().to_vec())
            }
            _ => Err(Error::NotSupported("key property")),
        }
    }

    /// The public half, e.g. to export it or verify with it.
    pub fn public_key(&self) -> PublicKey {
        match &self.key {
            PrivateKeyInner::Local(backend::PrivateKey::Rsa(rsa)) => {
                PublicKey::Rsa(rsa.public_key())
            }
            PrivateKeyInner::Local(backend::PrivateKey::Ecdsa(ec)) => PublicKey::Ecdsa {
                curve: ec.curve(),
                point: ec.public_key().to_vec(),
            },
            PrivateKeyInner::Remote(remote) => remote.public.clone(),
        }
    }
}

fn check_digest_len(hash: HashAlgorithm, digest: &[u8]) -> Result<()> {
    if digest.len() == hash.output_len() {
        Ok(())
    } else {
        Err(Error::InvalidParameter(
            "hash value length does not match its algorithm",
        ))
    }
}

/// The hash an ECDSA signature over a bare digest is made with, known from its length.
fn hash_for_digest_len(len: usize) -> Result<HashAlgorithm> {
    match len {
        20 => Ok(HashAlgorithm::Sha1),
        32 => Ok(HashAlgorithm::Sha256),
        48 => Ok(HashAlgorithm::Sha384),
        64 => Ok(HashAlgorithm::Sha512),
        _ => Err(Error::InvalidParameter("hash value length")),
    }
}

/// A public key imported with `SslImportKey`, or the public half of one of our keys.
#[derive(Clone)]
pub enum PublicKey {
    /// An RSA key: the server's key for RSA key exchange, or a signature key.
    Rsa(RsaPublicKey),
    /// A peer's ECDH share: SEC1 uncompressed point, or the 32-byte X25519 value.
    Ecdh {
        /// The curve.
        curve: Curve,
        /// The validated public value.
        point: Vec<u8>,
    },
    /// An ECDSA verification key (SEC1 uncompressed point).
    Ecdsa {
        /// The curve.
        curve: Curve,
        /// The validated public point.
        point: Vec<u8>,
    },
    /// A peer's finite-field DH share, validated `1 < y < p − 1`.
    Dh {
        /// The group.
        group: FfdheGroup,
        /// The public value, left-padded to the prime length.
        value: Vec<u8>,
    },
}

impl PublicKey {
    /// Imports a public key blob (`SslImportKey` with `BCRYPT_RSAPUBLIC_BLOB`,
    /// `BCRYPT_ECCPUBLIC_BLOB` or `BCRYPT_DH_PUBLIC_BLOB`). Every value is validated: an RSA
    /// modulus of sane size, a point on its curve, a DH value in `(1, p − 1)` of a known group;
    /// anything else is `NTE_BAD_DATA`, an ECDSA magic on curve25519 `NTE_NOT_SUPPORTED`.
    pub fn import(blob_type: PublicBlobType, blob: &[u8]) -> Result<Self> {
        match blob_type {
            PublicBlobType::Rsa => {
                let blob = RsaPublicBlob::parse(blob)?;
                Ok(PublicKey::Rsa(RsaPublicKey::from_components(
                    blob.modulus(),
                    blob.exponent(),
                )?))
            }
            PublicBlobType::Ecc => {
                let blob = EccPublicBlob::parse(blob)?;
                if (blob.curve(), blob.usage()) == (EccCurve::Curve25519, EccUsage::Ecdsa) {
                    return Err(Error::NotSupported("ECDSA on curve25519"));
                }
                let curve = curve_of(blob.curve());
                let point = ecc_public_value(&blob);
                backend::validate_public(curve, &point)?;
                Ok(match blob.usage() {
                    EccUsage::Ecdh => PublicKey::Ecdh { curve, point },
                    EccUsage::Ecdsa => PublicKey::Ecdsa { curve, point },
                })
            }
            PublicBlobType::Dh => {
                let blob = DhPublicBlob::parse(blob)?;
                let params = blob.parameters();
                let group = FfdheGroup::from_params(params.prime(), params.generator())?;
                backend::validate_dh_public(group, blob.public())?;
                Ok(PublicKey::Dh {
                    group,
                    value: blob.public().to_vec(),
                })
            }
        }
    }

    /// An RSA public key from its big-endian modulus and exponent (leading zero bytes
    /// ignored), e.g. a certificate's `RSAPublicKey`: 1024 to 16384 bits, an odd modulus, an
    /// odd exponent of at least 3 and at most 8 bytes (the limits of `BCRYPT_RSAPUBLIC_BLOB`).
    /// Anything else is `NTE_BAD_DATA`.
    pub fn rsa(modulus: &[u8], exponent: &[u8]) -> Result<Self> {
        let significant = exponent.iter().skip_while(|b| **b == 0).count();
        if significant > MAX_RSA_EXPONENT_LEN {
            return Err(Error::BadData("RSA public exponent longer than 8 bytes"));
        }
        Ok(PublicKey::Rsa(RsaPublicKey::from_components(
            modulus, exponent,
        )?))
    }

    /// An ECDSA verification key from its SEC1 uncompressed point, e.g. a certificate's
    /// `subjectPublicKey`, checked to be on `curve`; X25519 is `NTE_NOT_SUPPORTED`, anything
    /// else `NTE_BAD_DATA`.
    pub fn ecdsa(curve: Curve, point: &[u8]) -> Result<Self> {
        if curve == Curve::X25519 {
            return Err(Error::NotSupported("ECDSA on curve25519"));
        }
        backend::validate_public(curve, point)?;
        Ok(PublicKey::Ecdsa {
            curve,
            point: point.to_vec(),
        })
    }

    /// A peer's key-exchange value as TLS carries it in `group` (the counterpart of
    /// `SslImportKey` for a TLS engine): a TLS 1.3 `KeyShareEntry.key_exchange` or a TLS 1.2
    /// `ECPoint` / `dh_Ys` (RFC 8446 §4.2.8, RFC 8422 §5.4, RFC 5246 §7.4.3). NIST curves take
    /// the uncompressed point, X25519 its 32 bytes; a DH value loses leading zero bytes and is
    /// left-padded to the prime's length. Everything is validated as by [`PublicKey::import`]:
    /// the point on its curve, the DH value in `(1, p − 1)`. Anything else is `NTE_BAD_DATA`.
    pub fn from_tls(group: Group, value: &[u8]) -> Result<Self> {
        match group {
            Group::Ec(curve) => {
                backend::validate_public(curve, value)?;
                Ok(PublicKey::Ecdh {
                    curve,
                    point: value.to_vec(),
                })
            }
            Group::Ffdhe(ffdhe) => {
                let significant = value
                    .get(value.iter().take_while(|b| **b == 0).count()..)
                    .unwrap_or(&[]);
                let prime_len = ffdhe.prime().len();
                let pad = prime_len
                    .checked_sub(significant.len())
                    .ok_or(Error::BadData("DH public value longer than the prime"))?;
                let mut padded = vec![0u8; pad];
                padded.extend_from_slice(significant);
                backend::validate_dh_public(ffdhe, &padded)?;
                Ok(PublicKey::Dh {
                    group: ffdhe,
                    value: padded,
                })
            }
        }
    }

    /// The key-exchange value as TLS carries it, the inverse of [`PublicKey::from_tls`]: the
    /// uncompressed point, the X25519 value, or the DH value left-padded to the prime's
    /// length. Signature keys have none: `NTE_NOT_SUPPORTED`.
    pub fn to_tls(&self) -> Result<Vec<u8>> {
        match self {
            PublicKey::Ecdh { point, .. } => Ok(point.clone()),
            PublicKey::Dh { value, .. } => Ok(value.clone()),
            PublicKey::Rsa(_) | PublicKey::Ecdsa { .. } => {
                Err(Error::NotSupported("not a key-exchange key"))
            }
        }
    }

    /// Exports the key as a public blob (`SslExportKey` with `BCRYPT_RSAPUBLIC_BLOB`,
    /// `BCRYPT_ECCPUBLIC_BLOB` or `BCRYPT_DH_PUBLIC_BLOB`). Blob types other than the key's
    /// own are `NTE_NOT_SUPPORTED`.
    pub fn export(&self, blob_type: PublicBlobType) -> Result<Vec<u8>> {
        match (self, blob_type) {
            (PublicKey::Rsa(rsa), PublicBlobType::Rsa) => {
                Ok(RsaPublicBlob::new(rsa.exponent(), rsa.modulus())?.to_bytes())
            }
            (PublicKey::Ecdh { curve, point }, PublicBlobType::Ecc) => {
                Ok(ecc_blob(*curve, EccUsage::Ecdh, point)?.to_bytes())
            }
            (PublicKey::Ecdsa { curve, point }, PublicBlobType::Ecc) => {
                Ok(ecc_blob(*curve, EccUsage::Ecdsa, point)?.to_bytes())
            }
            (PublicKey::Dh { group, value }, PublicBlobType::Dh) => {
                let params = DhParameters::new(group.prime(), &generator_bytes(*group))?;
                Ok(DhPublicBlob::new(params, value)?.to_bytes())
            }
            _ => Err(Error::NotSupported("blob type for this key")),
        }
    }

    /// Verifies a signature over a hash value (`SslVerifySignature`); a bad signature is
    /// `NTE_BAD_SIGNATURE`.
    pub fn verify_signature(
        &self,
        hash_value: &[u8],
        signature: &[u8],
        padding: SignaturePadding,
    ) -> Result<()> {
        match (self, padding) {
            (PublicKey::Rsa(rsa), SignaturePadding::Raw) => {
                rsa.verify_pkcs1_raw(hash_value, signature)
            }
            (PublicKey::Rsa(rsa), SignaturePadding::Pkcs1(hash)) => {
                check_digest_len(hash, hash_value)?;
                rsa.verify_pkcs1(hash, hash_value, signature)
            }
            (PublicKey::Rsa(rsa), SignaturePadding::Pss(hash)) => {
                check_digest_len(hash, hash_value)?;
                rsa.verify_pss(hash, hash_value, signature)
            }
            (PublicKey::Ecdsa { curve, point }, SignaturePadding::Raw) => {
                backend::ecdsa_verify_digest(
                    *curve,
                    point,
                    hash_for_digest_len(hash_value.len())?,
                    hash_value,
                    signature,
                )
            }
            (PublicKey::Ecdsa { .. }, _) => {
                Err(Error::InvalidParameter("padding flags on an ECDSA key"))
            }
            _ => Err(Error::InvalidHandle),
        }
    }
}

fn curve_of(curve: EccCurve) -> Curve {
    match curve {
        EccCurve::P256 => Curve::P256,
        EccCurve::P384 => Curve::P384,
        EccCurve::P521 => Curve::P521,
        EccCurve::Curve25519 => Curve::X25519,
    }
}

fn ecc_curve_of(curve: Curve) -> EccCurve {
    match curve {
        Curve::P256 => EccCurve::P256,
        Curve::P384 => EccCurve::P384,
        Curve::P521 => EccCurve::P521,
        Curve::X25519 => EccCurve::Curve25519,
    }
}

/// The backend's public value for a blob: 0x04 ‖ X ‖ Y, or X alone for curve25519.
fn ecc_public_value(blob: &EccPublicBlob) -> Vec<u8> {
    match blob.curve() {
        EccCurve::Curve25519 => blob.x().to_vec(),
        _ => blob.to_uncompressed_point(),
    }
}

fn ecc_blob(curve: Curve, usage: EccUsage, point: &[u8]) -> Result<EccPublicBlob> {
    match curve {
        Curve::X25519 => EccPublicBlob::new(EccCurve::Curve25519, usage, point, &[0; 32]),
        _ => EccPublicBlob::from_uncompressed_point(ecc_curve_of(curve), usage, point),
    }
}

fn generator_bytes(group: FfdheGroup) -> Vec<u8> {
    let mut generator = vec![0u8; group.prime().len()];
    if let Some(last) = generator.last_mut() {
        *last = 2;
    }
    generator
}

/// The group of an ephemeral key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// An elliptic curve (ECDHE, TLS 1.3 key shares).
    Ec(Curve),
    /// A finite-field group (DHE, TLS 1.3 ffdhe key shares).
    Ffdhe(FfdheGroup),
}

impl Group {
    /// The TLS NamedGroup id (23, 24, 25, 29, 256–260).
    pub fn tls_id(self) -> u16 {
        match self {
            Group::Ec(curve) => curve.tls_group(),
            Group::Ffdhe(group) => group.tls_group(),
        }
    }

    /// Every group keyward supports, in preference order.
    pub const ALL: [Group; 9] = [
        Group::Ec(Curve::X25519),
        Group::Ec(Curve::P256),
        Group::Ec(Curve::P384),
        Group::Ec(Curve::P521),
        Group::Ffdhe(FfdheGroup::Ffdhe2048),
        Group::Ffdhe(FfdheGroup::Ffdhe3072),
        Group::Ffdhe(FfdheGroup::Ffdhe4096),
        Group::Ffdhe(FfdheGroup::Ffdhe6144),
        Group::Ffdhe(FfdheGroup::Ffdhe8192),
    ];

    /// The group with a TLS NamedGroup id, if keyward supports it. keyward-ffi reads
    /// `dwKeyType` of `SslCreateEphemeralKey` through this.
    pub fn from_tls_id(id: u16) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.tls_id() == id)
    }

    /// `self` when it may serve `suite` under `protocol` (`SslCreateEphemeralKey`): elliptic
    /// curves for ECDHE suites, RFC 7919 groups for DHE, either for TLS 1.3; otherwise
    /// `NTE_NOT_SUPPORTED`.
    pub fn check_for(self, protocol: Protocol, suite: &CipherSuite) -> Result<Group> {
        let allowed = match (suite.key_exchange, self) {
            (KeyExchange::Tls13, _) => protocol.is_tls13(),
            (KeyExchange::DheRsa, Group::Ffdhe(_)) => true,
            (KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa, Group::Ec(_)) => true,
            _ => false,
        };
        if allowed {
            Ok(self)
        } else {
            Err(Error::NotSupported("group for this cipher suite"))
        }
    }

    /// Key size in bits (`dwKeyBitLen`): 255 for X25519.
    pub fn bits(self) -> u32 {
        match self {
            Group::Ec(Curve::X25519) => 255,
            Group::Ec(curve) => match curve.field_len() {
                66 => 521,
                len => 8 * len as u32,
            },
            Group::Ffdhe(group) => group.bits() as u32,
        }
    }
}

/// An ephemeral key-exchange key (the "ssl6" object of `SslCreateEphemeralKey`).
pub struct EphemeralKey {
    group: Group,
    secret: EphemeralSecret,
}

enum EphemeralSecret {
    Ecdh(EcdhPrivateKey),
    Dh(DhPrivateKey),
    /// Kept by an isolation service, with the public value it made.
    Remote {
        object: RemoteObject,
        public: PublicKey,
    },
}

impl EphemeralKey {
    /// Generates a fresh key in `group`.
    pub fn generate(group: Group) -> Result<Self> {
        let secret = match group {
            Group::Ec(curve) => EphemeralSecret::Ecdh(EcdhPrivateKey::generate(curve)?),
            Group::Ffdhe(group) => EphemeralSecret::Dh(DhPrivateKey::generate(group)?),
        };
        Ok(EphemeralKey { group, secret })
    }

    /// Imports an ephemeral key pair from a private blob (`SslImportKey` with
    /// `BCRYPT_ECCPRIVATE_BLOB` with an ECDH magic, or `BCRYPT_DH_PRIVATE_BLOB` of an RFC 7919
    /// group): for known-answer tests and for keys made elsewhere. Windows' `SslImportKey` takes
    /// public blobs only; this is a keyward extension. An ECDSA magic is `NTE_NOT_SUPPORTED`;
    /// the blob's public value must match its private value (`NTE_BAD_DATA`).
    pub fn import_private(blob_type: PrivateBlobType, blob: &[u8]) -> Result<Self> {
        let (group, secret, claimed_public) = match blob_type {
            PrivateBlobType::Ecc => {
                let blob = EccPrivateBlob::parse(blob)?;
                if blob.public().usage() != EccUsage::Ecdh {
                    return Err(Error::NotSupported("ECDSA keys are not key-exchange keys"));
                }
                let curve = curve_of(blob.public().curve());
                let key = EcdhPrivateKey::from_private_scalar(curve, blob.d().expose())?;
                let public = ecc_public_value(blob.public());
                (Group::Ec(curve), EphemeralSecret::Ecdh(key), public)
            }
            PrivateBlobType::Dh => {
                let blob = DhPrivateBlob::parse(blob)?;
                let params = blob.public().parameters();
                let group = FfdheGroup::from_params(params.prime(), params.generator())?;
                let key = DhPrivateKey::from_private(group, blob.private().expose())?;
                (
                    Group::Ffdhe(group),
                    EphemeralSecret::Dh(key),
                    blob.public().public().to_vec(),
                )
            }
        };
        let key = EphemeralKey { group, secret };
        let derived = match key.public_key() {
            PublicKey::Ecdh { point, .. } => point,
            PublicKey::Dh { value, .. } => value,
            _ => return Err(Error::Internal("ephemeral public key kind")),
        };
        if derived != claimed_public {
            return Err(Error::BadData(
                "public value does not match the private key",
            ));
        }
        Ok(key)
    }

    /// A key kept by an isolation service, with its public value as TLS carries it (checked
    /// to be a valid key of `group`).
    pub(crate) fn remote(group: Group, object: RemoteObject, public_value: &[u8]) -> Result<Self> {
        let public = PublicKey::from_tls(group, public_value)?;
        Ok(EphemeralKey {
            group,
            secret: EphemeralSecret::Remote { object, public },
        })
    }

    /// The service object when the key is kept by an isolation service.
    pub(crate) fn remote_object(&self) -> Option<&RemoteObject> {
        match &self.secret {
            EphemeralSecret::Remote { object, .. } => Some(object),
            _ => None,
        }
    }

    /// The group.
    pub fn group(&self) -> Group {
        self.group
    }

    /// `SslGetKeyProperty(L"KEYTYPE")`: the TLS group id for elliptic curves (23, 24, 25, 29),
    /// 0 for finite-field groups.
    pub fn key_type(&self) -> u32 {
        match self.group {
            Group::Ec(curve) => u32::from(curve.tls_group()),
            Group::Ffdhe(_) => 0,
        }
    }

    /// A property of the ephemeral key (`SslGetKeyProperty`): only `"KEYTYPE"`, as a
    /// little-endian `DWORD` (see [`Self::key_type`]); other names are `NTE_NOT_SUPPORTED`.
    pub fn property(&self, name: &str) -> Result<Vec<u8>> {
        check_property_name(name)?;
        match name {
            SSL_KEY_TYPE_PROPERTY => Ok(self.key_type().to_le_bytes().to_vec()),
            _ => Err(Error::NotSupported("key property")),
        }
    }

    /// The public half, as it is sent in a key share / key exchange message.
    pub fn public_key(&self) -> PublicKey {
        match &self.secret {
            EphemeralSecret::Ecdh(key) => PublicKey::Ecdh {
                curve: key.curve(),
                point: key.public_key(),
            },
            EphemeralSecret::Dh(key) => PublicKey::Dh {
                group: key.group(),
                value: key.public_key(),
            },
            EphemeralSecret::Remote { public, .. } => public.clone(),
        }
    }

    /// The raw shared secret with a peer of the same group, left-padded to the group's length
    /// (RFC 8446 §7.4.1 form; ECDH x-coordinate at full field length, RFC 4492 §5.10).
    /// A key of an isolated provider keeps its shared secrets in the service:
    /// `NTE_NOT_SUPPORTED`.
    pub fn agree(&self, peer: &PublicKey) -> Result<SecretVec> {
        match (&self.secret, peer) {
            (EphemeralSecret::Remote { .. }, _) => Err(Error::NotSupported(
                "the shared secret of an isolated key stays in the isolation service",
            )),
            (EphemeralSecret::Ecdh(key), PublicKey::Ecdh { curve, point })
                if *curve == key.curve() =>
            {
                key.agree(point)
            }
            (EphemeralSecret::Dh(key), PublicKey::Dh { group, value }) if *group == key.group() => {
                key.agree(value)
            }
            _ => Err(Error::InvalidHandle),
        }
    }

    /// The TLS ≤ 1.2 premaster: like [`Self::agree`] but a finite-field secret loses its
    /// leading zero bytes (RFC 5246 §8.1.2). An empty result is `NTE_INTERNAL_ERROR`.
    ///
    /// The stripping is the protocol's own rule and makes the PRF input length, and so the
    /// time of `SslGenerateMasterKey`, depend on the secret (the "Raccoon" attack on DHE in
    /// TLS ≤ 1.2; TLS 1.3 pads instead). The PRF's HMAC hashes a secret longer than its block
    /// first; for the RFC 7919 groups one stripped byte never changes the number of
    /// compression calls of that hash (256/255, 384/383 and 512/511 bytes take 5, 7 and 9
    /// SHA-256 blocks, 3, 4 and 5 SHA-384 blocks); 9 (SHA-256) or 17 (SHA-384) zero bytes
    /// would. What is left is the length handling itself. `scripts/timing --only dhe`
    /// measures the whole path with a fixed server key. It is harmless only when **an ephemeral DH key
    /// is used for one key agreement**: Raccoon needs many handshakes against the same private
    /// key, each telling whether a related secret starts with a zero byte. The TLS engine
    /// (keyward-tls) makes a fresh key for every handshake on both sides; C callers must do
    /// the same (the `SslGenerateMasterKey` comment in `sslprovider.h` says so). Prefer ECDHE,
    /// whose secrets are never stripped.
    pub fn agree_tls12(&self, peer: &PublicKey) -> Result<SecretVec> {
        let shared = self.agree(peer)?;
        if let Group::Ec(_) = self.group {
            return Ok(shared);
        }
        let start = shared.expose().iter().take_while(|b| **b == 0).count();
        if start == shared.len() {
            return Err(Error::Internal("empty DH shared secret"));
        }
        Ok(SecretVec::from_slice(&shared.expose()[start..]))
    }
}

//! The provider object (`SslOpenProvider`) and the functions that hang off it.

use crate::hash::HandshakeHash;
use crate::isolation::{KeyIsolation, RemoteObject, KEYWARD_ISOLATED_PROVIDER};
use crate::keys::{
    check_property_name, EphemeralKey, Group, PrivateKey, PublicBlobType, PublicKey,
};
use crate::master::{MasterKey, MASTER_SECRET_LEN};
use crate::params::Parameters;
use crate::protocol::Protocol;
use crate::record::RecordLengths;
use crate::side::Side;
use crate::suites::{self, CipherSuite, CipherSuiteInfo, KeyExchange};
use keyward_core::backend::cipher::Aes256GcmSivKey;
use keyward_core::backend::{fill_random, Curve, HashAlgorithm};
use keyward_core::store::KeyStore;
use keyward_core::{Error, Result, Secret};
use std::sync::{Arc, OnceLock, RwLock};

/// `MS_SCHANNEL_PROVIDER`: the name of the one provider keyward implements.
pub const MS_SCHANNEL_PROVIDER: &str = "Microsoft SSL Protocol Provider";

/// One entry of `SslEnumProtocolProviders` (`NCryptProviderName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderName {
    /// `pszName`.
    pub name: &'static str,
    /// `pszComment`.
    pub comment: &'static str,
}

/// The installed SSL protocol providers (`SslEnumProtocolProviders`): keyward's in-process
/// one, and the isolated one ([`KEYWARD_ISOLATED_PROVIDER`], see [`Provider::isolated`]).
pub fn enum_protocol_providers() -> &'static [ProviderName] {
    &[
        ProviderName {
            name: MS_SCHANNEL_PROVIDER,
            comment: "keyward SSL protocol provider",
        },
        ProviderName {
            name: KEYWARD_ISOLATED_PROVIDER,
            comment: "keyward SSL protocol provider, keys in the keyiso daemon",
        },
    ]
}

/// One entry of `SslEnumEccCurves` (`NCRYPT_SSL_ECC_CURVE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EccCurveInfo {
    /// `szCurveName`: the CNG curve name.
    pub name: &'static str,
    /// `szOID`: the curve's object identifier.
    pub oid: &'static str,
    /// The curve; keyward-ffi writes its key size in bits (`dwPublicKeyLength`, see
    /// [`Group::bits`]) and its TLS NamedGroup id (`dwCurveType`).
    pub curve: Curve,
}

/// The curves the provider supports, in preference order.
pub static ECC_CURVES: [EccCurveInfo; 4] = [
    EccCurveInfo {
        name: "curve25519",
        oid: "1.3.101.110",
        curve: Curve::X25519,
    },
    EccCurveInfo {
        name: "nistP256",
        oid: "1.2.840.10045.3.1.7",
        curve: Curve::P256,
    },
    EccCurveInfo {
        name: "nistP384",
        oid: "1.3.132.0.34",
        curve: Curve::P384,
    },
    EccCurveInfo {
        name: "nistP521",
        oid: "1.3.132.0.35",
        curve: Curve::P521,
    },
];

/// An open SSL protocol provider (`SslOpenProvider`). Cheap to share: `Send + Sync`.
///
/// The provider reaches the key store (for `SslOpenPrivateKey` and the sealing keys of opaque
/// blobs) on first use, so opening it never touches the disk.
///
/// Two implementations share this type: the in-process provider ([`Provider::open`],
/// [`Provider::with_key_store`]) and the isolated provider ([`Provider::isolated`]), whose
/// secrets live in a key isolation service (see [`crate::isolation`]).
pub struct Provider {
    store: OnceLock<KeyStore>,
    sealers: RwLock<Option<Arc<Sealers>>>,
    isolation: Option<Arc<dyn KeyIsolation>>,
}

/// The AES-256-GCM-SIV keys made from the store's sealing keys, by key id, as loaded.
pub(crate) struct Sealers {
    /// Sorted by id; never empty; the last is the newest.
    keys: Vec<(u32, Aes256GcmSivKey)>,
}

impl Sealers {
    /// The newest key and its id: what blobs are sealed with.
    pub(crate) fn newest(&self) -> Result<(u32, &Aes256GcmSivKey)> {
        self.keys
            .last()
            .map(|(id, key)| (*id, key))
            .ok_or(Error::Internal("no sealing key"))
    }

    /// The key with id `id`, if loaded.
    pub(crate) fn get(&self, id: u32) -> Option<&Aes256GcmSivKey> {
        self.keys
            .binary_search_by_key(&id, |(key_id, _)| *key_id)
            .ok()
            .and_then(|at| self.keys.get(at))
            .map(|(_, key)| key)
    }
}

impl Provider {
    /// Opens the provider by name (`SslOpenProvider`); `None` means `MS_SCHANNEL_PROVIDER`.
    /// The key store is the default one (`KEYWARD_HOME`, see [`KeyStore::open_default`]).
    pub fn open(name: Option<&str>) -> Result<Provider> {
        match name {
            None | Some(MS_SCHANNEL_PROVIDER) => Ok(Provider {
                store: OnceLock::new(),
                sealers: RwLock::new(None),
                isolation: None,
            }),
            Some(_) => Err(Error::UnknownProvider),
        }
    }

    /// Opens the provider over an explicit key store.
    pub fn with_key_store(store: KeyStore) -> Provider {
        Provider {
            store: OnceLock::from(store),
            sealers: RwLock::new(None),
            isolation: None,
        }
    }

    /// The isolated provider ("Keyward Isolated SSL Provider", the Rust face of what
    /// libkeyward opens for that name or with `KEYWARD_KEYISO` set): the same API, but every
    /// private key, premaster, master secret and TLS 1.3 handshake secret is kept by `service`
    /// (keyward-keyiso's daemon: `keyward_keyiso::isolated_provider`), and this process holds
    /// only handles to them and the session keys it protects records with. It has no key
    /// store. What it cannot do is listed in [`crate::isolation`].
    pub fn isolated(service: Arc<dyn KeyIsolation>) -> Provider {
        Provider {
            store: OnceLock::new(),
            sealers: RwLock::new(None),
            isolation: Some(service),
        }
    }

    /// The isolation service of an isolated provider.
    pub(crate) fn isolation(&self) -> Option<&Arc<dyn KeyIsolation>> {
        self.isolation.as_ref()
    }

    /// True for the isolated provider ([`Provider::isolated`]).
    pub fn is_isolated(&self) -> bool {
        self.isolation.is_some()
    }

    /// The provider's name: [`MS_SCHANNEL_PROVIDER`], or [`KEYWARD_ISOLATED_PROVIDER`] for the
    /// isolated provider.
    pub fn name(&self) -> &'static str {
        if self.is_isolated() {
            KEYWARD_ISOLATED_PROVIDER
        } else {
            MS_SCHANNEL_PROVIDER
        }
    }

    /// The key store, opened on first use. The isolated provider has none: only its service
    /// opens the store (`NTE_NOT_SUPPORTED`).
    pub fn key_store(&self) -> Result<&KeyStore> {
        if self.is_isolated() {
            return Err(Error::NotSupported(
                "the isolated provider has no key store; its service has",
            ));
        }
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = KeyStore::open_default()?;
        Ok(self.store.get_or_init(|| store))
    }

    /// The sealing keys of the store for opaque blobs, loaded on first use and kept: blobs are
    /// sealed under the newest key loaded. A rotation by another process is picked up when a
    /// blob names a key not loaded yet ([`Provider::sealer_for`]) or by a new provider.
    pub(crate) fn sealers(&self) -> Result<Arc<Sealers>> {
        if let Some(sealers) = self.loaded_sealers()? {
            return Ok(sealers);
        }
        self.load_sealers()
    }

    /// The sealing key with id `id`, loading the store's keys again if it is not among those
    /// loaded (a rotation since): the loaded keys, which then include `id`, or `None` if the
    /// store does not have it.
    pub(crate) fn sealer_for(&self, id: u32) -> Result<Option<Arc<Sealers>>> {
        let sealers = self.sealers()?;
        if sealers.get(id).is_some() {
            return Ok(Some(sealers));
        }
        let sealers = self.load_sealers()?;
        Ok(sealers.get(id).is_some().then_some(sealers))
    }

    fn loaded_sealers(&self) -> Result<Option<Arc<Sealers>>> {
        let loaded = self
            .sealers
            .read()
            .map_err(|_| Error::Internal("sealing key lock poisoned"))?;
        Ok(loaded.clone())
    }

    /// Reads the store's sealing keys (no lock held meanwhile) and keeps them.
    fn load_sealers(&self) -> Result<Arc<Sealers>> {
        let stored = self.key_store()?.sealing_keys()?;
        let keys = stored
            .iter()
            .map(|key| Ok((key.id(), Aes256GcmSivKey::new(key.expose())?)))
            .collect::<Result<Vec<_>>>()?;
        let sealers = Arc::new(Sealers { keys });
        sealers.newest()?;
        *self
            .sealers
            .write()
            .map_err(|_| Error::Internal("sealing key lock poisoned"))? = Some(sealers.clone());
        Ok(sealers)
    }

    /// A provider property (`SslGetProviderProperty`). The Microsoft provider defines none:
    /// after checking the name (1 to 64 characters, else `NTE_INVALID_PARAMETER`) the answer
    /// is always `NTE_NOT_SUPPORTED` (docs/ssl-provider.md, "Provider functions").
    pub fn property(&self, name: &str) -> Result<Vec<u8>> {
        check_property_name(name)?;
        Err(Error::NotSupported("the provider has no properties"))
    }

    /// Every protocol and suite the provider supports, optionally only those `key` can serve
    /// (`SslEnumCipherSuites`, `SslEnumCipherSuitesEx`).
    pub fn enum_cipher_suites(&self, key: Option<&PrivateKey>) -> Vec<CipherSuiteInfo> {
        suites::supported()
            .filter(|info| key.is_none_or(|key| key.serves(info.suite)))
            .collect()
    }

    /// Describes one suite under `protocol` (`SslLookupCipherSuiteInfo`). ECDHE suites are
    /// listed once, not once per curve, so the `dwKeyType` of the Windows call does not change
    /// the answer. A suite not defined for `protocol` is `NTE_NOT_SUPPORTED`.
    pub fn lookup_cipher_suite_info(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<CipherSuiteInfo> {
        Ok(CipherSuite::for_protocol(protocol, suite)?.info(protocol))
    }

    /// Per-record overhead of a suite (`SslLookupCipherLengths`). TLS 1.0 is
    /// `NTE_NOT_SUPPORTED`; a suite not defined for `protocol` is `NTE_INVALID_PARAMETER`, as
    /// Windows answers an unknown one (docs/ssl-provider.md, "Cipher-suite information";
    /// keyward-ffi checks the `dwProtocol` range first).
    pub fn lookup_cipher_lengths(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<RecordLengths> {
        if protocol == Protocol::Tls10 {
            return Err(Error::NotSupported("protocol below TLS 1.1"));
        }
        let suite = CipherSuite::for_protocol(protocol, suite)
            .map_err(|_| Error::InvalidParameter("unknown cipher suite"))?;
        Ok(RecordLengths::of(protocol, suite.cipher, suite.mac))
    }

    /// The PRF hash of a suite (`SslGetCipherSuitePRFHashAlgorithm`): SHA-256 or SHA-384 for
    /// TLS 1.2 and later. TLS 1.0/1.1 and DTLS 1.0 use MD5 ⊕ SHA-1, which has no single CNG
    /// hash: `NTE_NOT_SUPPORTED`; so is a suite not defined for `protocol`.
    pub fn cipher_suite_prf_hash(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<HashAlgorithm> {
        CipherSuite::for_protocol(protocol, suite)?
            .prf(protocol)
            .hash_algorithm()
            .ok_or(Error::NotSupported("the MD5/SHA-1 PRF has no single hash"))
    }

    /// The supported curves (`SslEnumEccCurves`).
    pub fn enum_ecc_curves(&self) -> &'static [EccCurveInfo] {
        &ECC_CURVES
    }

    /// Opens the private key of a certificate from the key store (`SslOpenPrivateKey`).
    pub fn open_private_key(&self, certificate: &[u8]) -> Result<PrivateKey> {
        if let Some(service) = self.isolation() {
            let info = service.open_private_key(certificate)?;
            return Ok(PrivateKey::remote(service.clone(), info));
        }
        let stored = self.key_store()?.find_by_certificate(certificate)?;
        PrivateKey::from_stored(&stored)
    }

    /// Creates an ephemeral key in `group` for DHE, ECDHE or a TLS 1.3 key share
    /// (`SslCreateEphemeralKey`; keyward-ffi picks the group from `dwKeyType`, `dwKeyBitLen`
    /// and `pbParams`). Elliptic curves serve ECDHE suites, RFC 7919 groups DHE, either TLS
    /// 1.3; any other pairing, and a suite not defined for `protocol`, is `NTE_NOT_SUPPORTED`.
    pub fn create_ephemeral_key(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        group: Group,
    ) -> Result<EphemeralKey> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        let group = group.check_for(protocol, suite)?;
        if let Some(service) = self.isolation() {
            let (handle, public_value) = service.create_ephemeral_key(protocol, suite, group)?;
            let object = RemoteObject::new(service.clone(), handle);
            return EphemeralKey::remote(group, object, &public_value);
        }
        EphemeralKey::generate(group)
    }

    /// Imports a peer's public key (`SslImportKey` with `BCRYPT_RSAPUBLIC_BLOB`,
    /// `BCRYPT_ECCPUBLIC_BLOB` or `BCRYPT_DH_PUBLIC_BLOB`), validated as by [`PublicKey::import`].
    pub fn import_public_key(&self, blob_type: PublicBlobType, blob: &[u8]) -> Result<PublicKey> {
        PublicKey::import(blob_type, blob)
    }

    /// Server side of RSA key exchange (`SslImportMasterKey`): decrypts the client's encrypted
    /// premaster with `private_key` and derives the master secret.
    ///
    /// Bleichenbacher-safe (RFC 5246 §7.4.7.1; docs/ssl-provider.md, "RSA key exchange"): a random
    /// premaster replaces the decrypted one, without a branch, whenever the padding, the length or
    /// the version (lower than `NCRYPTBUFFER_SSL_HIGHEST_VERSION`) is wrong. No error and no timing
    /// difference tells the cases apart; the handshake then fails at Finished.
    pub fn import_master_key(
        &self,
        private_key: &PrivateKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        encrypted_premaster: &[u8],
    ) -> Result<MasterKey> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        if suite.key_exchange != KeyExchange::Rsa {
            return Err(Error::BadAlgorithm);
        }
        if !private_key.is_rsa() {
            return Err(Error::BadAlgorithm);
        }
        if encrypted_premaster.is_empty() {
            return Err(Error::InvalidParameter("empty encrypted premaster"));
        }
        let highest_version = params.require_highest_version()?;
        if private_key.remote_parts().is_some() {
            return private_key.with_remote(|service, key| {
                let handle =
                    service.import_master_key(key, protocol, suite, params, encrypted_premaster)?;
                Ok(MasterKey::remote(
                    protocol,
                    suite,
                    Side::Server,
                    RemoteObject::new(service.clone(), handle),
                ))
            });
        }
        let Some(keyward_core::backend::PrivateKey::Rsa(rsa)) = private_key.backend() else {
            return Err(Error::BadAlgorithm);
        };
        let mut fallback = Secret::<MASTER_SECRET_LEN>::zeroed();
        fill_random(fallback.expose_mut())?;
        let premaster =
            rsa.pkcs1_premaster(encrypted_premaster, highest_version, fallback.expose());
        MasterKey::derive(protocol, suite, Side::Server, premaster.expose(), params)
    }

    /// Client side of RSA key exchange (`SslGeneratePreMasterKey`): a premaster of the
    /// highest version and 46 random bytes, and its PKCS#1 v1.5 encryption to `server_key`
    /// (the ClientKeyExchange body, without its 2-byte length).
    pub fn generate_premaster_key(
        &self,
        server_key: &PublicKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
    ) -> Result<(PreMasterKey, Vec<u8>)> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        if suite.key_exchange != KeyExchange::Rsa {
            return Err(Error::NotSupported("RSA premaster on a non-RSA suite"));
        }
        let PublicKey::Rsa(rsa) = server_key else {
            return Err(Error::InvalidHandle);
        };
        let version = params.require_highest_version()?;
        if let Some(service) = self.isolation() {
            // The service makes the premaster and encrypts it; only its handle comes back.
            let (handle, encrypted) =
                service.generate_premaster_key(server_key, protocol, suite, params)?;
            let premaster = PreMasterKey {
                protocol,
                suite,
                secret: PreMasterSecret::Remote(RemoteObject::new(service.clone(), handle)),
            };
            return Ok((premaster, encrypted));
        }
        let mut secret = Secret::<MASTER_SECRET_LEN>::zeroed();
        fill_random(secret.expose_mut())?;
        secret.expose_mut()[..2].copy_from_slice(&version.to_be_bytes());
        let encrypted = rsa.encrypt_pkcs1(secret.expose())?;
        Ok((
            PreMasterKey {
                protocol,
                suite,
                secret: PreMasterSecret::Local(secret),
            },
            encrypted,
        ))
    }

    /// The size of the encrypted premaster for `server_key` (the size query of
    /// `SslGenerateMasterKey` and `SslGeneratePreMasterKey` with `pbOutput == NULL`): the
    /// modulus length. Non-RSA keys are `NTE_INVALID_HANDLE`.
    pub fn encrypted_premaster_len(&self, server_key: &PublicKey) -> Result<usize> {
        match server_key {
            PublicKey::Rsa(rsa) => Ok(rsa.modulus_len()),
            _ => Err(Error::InvalidHandle),
        }
    }

    /// Client side of RSA key exchange in one call (`SslGenerateMasterKey` with no private
    /// key and the server's RSA key): returns the master key and the encrypted premaster.
    pub fn generate_master_key_rsa(
        &self,
        server_key: &PublicKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
    ) -> Result<(MasterKey, Vec<u8>)> {
        let (premaster, encrypted) =
            self.generate_premaster_key(server_key, protocol, suite, params)?;
        Ok((premaster.master_key(params)?, encrypted))
    }

    /// How `SslGenerateMasterKey` makes the master key of `suite` for `side`: the
    /// dispatch on the suite's key exchange and the side, before any key is looked at.
    /// `with_premaster` says whether the caller passed a private key, which for an RSA client
    /// is a premaster of [`Provider::generate_premaster_key`].
    ///
    /// Errors: an RSA server (it uses [`Provider::import_master_key`]) and TLS 1.3 (the TLS
    /// 1.3 key schedule) are `NotSupported`; a suite not defined for `protocol` as [`CipherSuite::for_protocol`].
    pub fn master_key_exchange(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        side: Side,
        with_premaster: bool,
    ) -> Result<MasterKeyExchange> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        match suite.key_exchange {
            KeyExchange::Rsa if side == Side::Server => {
                Err(Error::NotSupported("RSA servers use SslImportMasterKey"))
            }
            KeyExchange::Rsa if with_premaster => Ok(MasterKeyExchange::RsaPremaster),
            KeyExchange::Rsa => Ok(MasterKeyExchange::RsaNewPremaster),
            KeyExchange::Tls13 => Err(Error::NotSupported("TLS 1.3 uses SslExtractHandshakeKey")),
            KeyExchange::DheRsa | KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => {
                Ok(MasterKeyExchange::Agreement)
            }
        }
    }

    /// (EC)DHE key agreement, either side (`SslGenerateMasterKey` with an ephemeral key and the
    /// peer's public key). `side` records who owns the master key, which decides the direction
    /// of the session keys.
    pub fn generate_master_key(
        &self,
        own: &EphemeralKey,
        peer: &PublicKey,
        protocol: Protocol,
        suite: &'static CipherSuite,
        params: &Parameters<'_>,
        side: Side,
    ) -> Result<MasterKey> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        match suite.key_exchange {
            KeyExchange::DheRsa | KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => {}
            KeyExchange::Rsa if side == Side::Server => {
                return Err(Error::NotSupported("RSA servers use SslImportMasterKey"))
            }
            // An RSA client passes the server's RSA key, not two ephemeral keys.
            KeyExchange::Rsa => return Err(Error::InvalidHandle),
            KeyExchange::Tls13 => {
                return Err(Error::NotSupported("TLS 1.3 uses the TLS 1.3 key schedule"))
            }
        }
        if let Some(object) = own.remote_object() {
            let handle = object.service.generate_master_key(
                object.handle,
                &peer.to_tls()?,
                protocol,
                suite,
                params,
                side,
            )?;
            return Ok(MasterKey::remote(
                protocol,
                suite,
                side,
                object.sibling(handle),
            ));
        }
        let premaster = own.agree_tls12(peer)?;
        MasterKey::derive(protocol, suite, side, premaster.expose(), params)
    }

    /// A handshake hash for `protocol` and `suite` (`SslCreateHandshakeHash`).
    pub fn create_handshake_hash(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<HandshakeHash> {
        Ok(HandshakeHash::new(
            protocol,
            CipherSuite::for_protocol(protocol, suite)?,
        ))
    }

    /// A handshake hash with the CertificateVerify hash `algorithm` (`SslCreateClientAuthHash`;
    /// keyward-ffi reads the CNG id such as "SHA256"). MD5 alone is `NTE_NOT_SUPPORTED`.
    pub fn create_client_auth_hash(
        &self,
        protocol: Protocol,
        suite: &'static CipherSuite,
        algorithm: HashAlgorithm,
    ) -> Result<HandshakeHash> {
        let suite = CipherSuite::for_protocol(protocol, suite)?;
        if algorithm == HashAlgorithm::Md5 {
            return Err(Error::NotSupported("client-auth hash algorithm"));
        }
        Ok(HandshakeHash::for_client_auth(protocol, suite, algorithm))
    }
}

/// How a TLS ≤ 1.2 master key is made (`SslGenerateMasterKey`), as
/// [`Provider::master_key_exchange`] decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterKeyExchange {
    /// RSA client with a premaster from [`Provider::generate_premaster_key`]:
    /// [`PreMasterKey::master_key`].
    RsaPremaster,
    /// RSA client without one: a new premaster, encrypted to the server's RSA key
    /// ([`Provider::generate_master_key_rsa`]).
    RsaNewPremaster,
    /// (EC)DHE, either side: the own ephemeral key agrees with the peer's
    /// ([`Provider::generate_master_key`]).
    Agreement,
}

/// An RSA premaster secret made by the client (the "ssl7" object of
/// `SslGeneratePreMasterKey`). An isolated provider's premaster stays in its service.
pub struct PreMasterKey {
    protocol: Protocol,
    suite: &'static CipherSuite,
    secret: PreMasterSecret,
}

/// Where a premaster is: here, or in an isolation service.
enum PreMasterSecret {
    Local(Secret<MASTER_SECRET_LEN>),
    Remote(RemoteObject),
}

impl PreMasterKey {
    /// Derives the client's master key from this premaster (`SslGenerateMasterKey` with the
    /// premaster as its private key).
    pub fn master_key(&self, params: &Parameters<'_>) -> Result<MasterKey> {
        match &self.secret {
            PreMasterSecret::Local(secret) => MasterKey::derive(
                self.protocol,
                self.suite,
                Side::Client,
                secret.expose(),
                params,
            ),
            PreMasterSecret::Remote(object) => {
                let handle = object.service.premaster_master_key(object.handle, params)?;
                Ok(MasterKey::remote(
                    self.protocol,
                    self.suite,
                    Side::Client,
                    object.sibling(handle),
                ))
            }
        }
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
}

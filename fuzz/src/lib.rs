//! Fixtures shared by the fuzz targets: fixed keys and certificates (the OpenSSL-made test
//! keys of keyward-tls), one key store per process, TLS configurations, a virtual card.
//! Everything here is made once per process, so each fuzz iteration only runs the code
//! under test.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use keyward_card::card::{Personalization, VirtualCard};
use keyward_card::scp03::StaticKeys;
use keyward_core::store::KeyStore;
use keyward_ssl::{PrivateKey, Provider};
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ServerConfig, Version};

/// RSA-2048 certificate (self-signed, CN rsa.fixture.test).
pub const RSA_CERT: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/rsa2048.cert.der");
/// Its PKCS#8 key.
pub const RSA_KEY: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/rsa2048.key.p8.der");
/// ECDSA P-256 certificate (self-signed, CN p256.fixture.test).
pub const P256_CERT: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/p256.cert.der");
/// Its PKCS#8 key.
pub const P256_KEY: &[u8] = include_bytes!("../../crates/keyward-tls/tests/data/p256.key.p8.der");

/// A key store directory for this process, created once and removed at exit by nobody
/// (the fuzzer is killed); it lives under the system temporary directory.
pub fn store_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("keyward-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("fuzz key store directory");
        dir
    })
}

/// The provider over this process's fixed key store.
pub fn provider() -> Arc<Provider> {
    static PROVIDER: OnceLock<Arc<Provider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let store = KeyStore::open(store_dir()).expect("fuzz key store");
            Arc::new(Provider::with_key_store(store))
        })
        .clone()
}

fn certified(cert: &[u8], key: &[u8]) -> CertifiedKey {
    let key = PrivateKey::from_pkcs8(key, cert).expect("fixture key");
    CertifiedKey::new(vec![cert.to_vec()], key).expect("fixture certified key")
}

/// The RSA fixture key as a provider private key.
pub fn rsa_private_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pkcs8(RSA_KEY, RSA_CERT).expect("fixture key"))
}

/// Which server key(s) and versions a TLS target runs with (chosen by the input's first byte).
#[derive(Clone, Copy, Debug)]
pub struct TlsVariant {
    /// 0: RSA, 1: ECDSA, 2: both.
    pub keys: u8,
    /// 0: TLS 1.3 and 1.2, 1: TLS 1.3 only, 2: TLS 1.2 only.
    pub versions: u8,
}

impl TlsVariant {
    /// Every variant, indexed by `selector % 9`.
    pub fn from_selector(selector: u8) -> Self {
        TlsVariant {
            keys: (selector % 9) / 3,
            versions: (selector % 9) % 3,
        }
    }

    fn versions(self) -> Vec<Version> {
        match self.versions {
            1 => vec![Version::Tls13],
            2 => vec![Version::Tls12],
            _ => vec![Version::Tls13, Version::Tls12],
        }
    }

    fn index(self) -> usize {
        usize::from(self.keys) * 3 + usize::from(self.versions)
    }
}

/// The server configuration of a variant (made once per variant).
pub fn server_config(variant: TlsVariant) -> Arc<ServerConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ServerConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        (0..9u8)
            .map(|selector| {
                let variant = TlsVariant::from_selector(selector);
                let keys = match variant.keys {
                    0 => vec![certified(RSA_CERT, RSA_KEY)],
                    1 => vec![certified(P256_CERT, P256_KEY)],
                    _ => vec![certified(RSA_CERT, RSA_KEY), certified(P256_CERT, P256_KEY)],
                };
                let mut config = ServerConfig::new(provider(), CertResolver::new(keys));
                config.versions = variant.versions();
                config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
                Arc::new(config)
            })
            .collect()
    });
    configs[variant.index()].clone()
}

/// The client configuration of a variant, trusting both fixture certificates.
pub fn client_config(variant: TlsVariant) -> Arc<ClientConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ClientConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        (0..9u8)
            .map(|selector| {
                let variant = TlsVariant::from_selector(selector);
                let verifier =
                    ServerCertVerifier::from_der_roots(&[RSA_CERT.to_vec(), P256_CERT.to_vec()])
                        .expect("fixture roots");
                let mut config = ClientConfig::new(provider(), verifier);
                config.versions = variant.versions();
                config.alpn_protocols = vec![b"h2".to_vec()];
                Arc::new(config)
            })
            .collect()
    });
    configs[variant.index()].clone()
}

/// The virtual card's static keys (pySim's pattern, KVN 30), as the card tests use.
pub fn card_keys() -> StaticKeys {
    let pattern = |base: u8| -> Vec<u8> { (0..16).map(|i| base + i).collect() };
    StaticKeys::new(0x30, &pattern(0x00), &pattern(0x10), &pattern(0x20)).expect("card keys")
}

/// The user PIN of the fuzzed card.
pub const USER_PIN: &[u8] = b"1234";
/// The admin PIN of the fuzzed card.
pub const ADMIN_PIN: &[u8] = b"admin-pin-0";

/// A fresh in-memory virtual card.
pub fn virtual_card() -> VirtualCard {
    VirtualCard::in_memory(Personalization::new(card_keys(), USER_PIN, ADMIN_PIN).expect("card"))
        .expect("virtual card")
}

/// Splits fuzz input into pieces at a 2-byte big-endian length before each piece (a short
/// last piece takes what is left).
pub fn length_prefixed(mut data: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    while let [a, b, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
        let (piece, next) = rest.split_at(len);
        pieces.push(piece);
        data = next;
    }
    pieces
}

/// Record protection: one key per (protocol, cipher, MAC) the provider supports.
pub mod records {
    use keyward_ssl::record::{BulkCipher, MacAlgorithm, RecordKey};
    use keyward_ssl::Protocol;

    /// Every (protocol, cipher, MAC): GCM and ChaCha20 for TLS 1.2, DTLS 1.2 and TLS 1.3;
    /// the supported CBC pairs for TLS 1.0, 1.1, 1.2, DTLS 1.0 and 1.2.
    pub fn combinations() -> Vec<(Protocol, BulkCipher, MacAlgorithm)> {
        let mut all = Vec::new();
        for protocol in [Protocol::Tls12, Protocol::Dtls12, Protocol::Tls13] {
            for cipher in [
                BulkCipher::Aes128Gcm,
                BulkCipher::Aes256Gcm,
                BulkCipher::ChaCha20Poly1305,
            ] {
                all.push((protocol, cipher, MacAlgorithm::Aead));
            }
        }
        for protocol in [
            Protocol::Tls10,
            Protocol::Tls11,
            Protocol::Tls12,
            Protocol::Dtls10,
            Protocol::Dtls12,
        ] {
            // The CBC pairs AWS-LC has constant-time TLS code for (the only ones keyward
            // offers; AES-256 with HMAC-SHA256 is NTE_NOT_SUPPORTED).
            for (cipher, mac) in [
                (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha1),
                (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha1),
                (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha256),
                (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha384),
            ] {
                all.push((protocol, cipher, mac));
            }
        }
        all
    }

    fn material(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| seed.wrapping_add(i as u8).wrapping_mul(31))
            .collect()
    }

    /// The fixed key of combination `selector % combinations().len()`.
    pub fn key(selector: u8) -> RecordKey {
        let all = combinations();
        let (protocol, cipher, mac) = all[usize::from(selector) % all.len()];
        RecordKey::new(
            protocol,
            cipher,
            mac,
            &material(mac.key_len(), 1),
            &material(cipher.key_len(), 2),
            &material(cipher.fixed_iv_len(protocol), 3),
        )
        .expect("record key")
    }
}

/// The D3D11 device credentials (RSA-2048 exchange key and its chain) in this process's key
/// store, made once.
pub fn device_credentials() -> Arc<keyward_cryptosession::DeviceCredentials> {
    static CREDENTIALS: OnceLock<Arc<keyward_cryptosession::DeviceCredentials>> = OnceLock::new();
    CREDENTIALS
        .get_or_init(|| {
            let store = KeyStore::open(store_dir()).expect("fuzz key store");
            Arc::new(
                keyward_cryptosession::DeviceCredentials::load_or_create(&store)
                    .expect("device credentials"),
            )
        })
        .clone()
}

//! The cipher-suite table: the one place that says what each suite is made of.
//!
//! Serves `SslEnumCipherSuites`, `SslLookupCipherSuiteInfo`, `SslLookupCipherLengths`,
//! `SslGetCipherSuitePRFHashAlgorithm` and every function that takes `dwCipherSuite`.
//!
//! Supported: key exchanges RSA, DHE_RSA, ECDHE_RSA, ECDHE_ECDSA with AES-128/256-GCM,
//! ChaCha20-Poly1305 and AES-128/256-CBC with HMAC-SHA1/SHA256/SHA384 (TLS 1.0–1.2, DTLS), and the
//! three TLS 1.3 suites. Not supported, by design, and answered with `NTE_NOT_SUPPORTED`: SSL 2/3,
//! RC4, DES/3DES, export, NULL-cipher, DSS and PSK suites (all obsolete or insecure), and
//! AES-256-CBC with HMAC-SHA256 (`TLS_RSA_WITH_AES_256_CBC_SHA256` 0x003D,
//! `TLS_DHE_RSA_WITH_AES_256_CBC_SHA256` 0x006B): CBC records are checked by AWS-LC's
//! constant-time TLS CBC code (Lucky13), which has no AES-256/HMAC-SHA256 form, and keyward
//! does not offer a CBC suite without a constant-time check.

use crate::protocol::Protocol;
use crate::record::{BulkCipher, MacAlgorithm};
use keyward_core::backend::PrfHash;
use keyward_core::{Error, Result};

/// How the premaster secret is established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// RSA key transport (client encrypts the premaster to the server's RSA key).
    Rsa,
    /// Ephemeral finite-field Diffie-Hellman (RFC 7919 groups), RSA-signed.
    DheRsa,
    /// Ephemeral ECDH, RSA-signed.
    EcdheRsa,
    /// Ephemeral ECDH, ECDSA-signed.
    EcdheEcdsa,
    /// TLS 1.3: the key exchange is negotiated separately from the suite.
    Tls13,
}

impl KeyExchange {
    /// `szExchange` of `NCRYPT_SSL_CIPHER_SUITE`.
    pub fn cng_name(self) -> &'static str {
        match self {
            KeyExchange::Rsa => "RSA",
            KeyExchange::DheRsa => "DH",
            KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => "ECDH",
            KeyExchange::Tls13 => "",
        }
    }

    /// `szCertificate` of `NCRYPT_SSL_CIPHER_SUITE`: the server key's algorithm.
    pub fn certificate(self) -> &'static str {
        match self {
            KeyExchange::Rsa | KeyExchange::DheRsa | KeyExchange::EcdheRsa => "RSA",
            KeyExchange::EcdheEcdsa => "ECDSA",
            KeyExchange::Tls13 => "",
        }
    }

    /// Range of exchange key sizes in bits (`dwMinExchangeLen`, `dwMaxExchangeLen`).
    fn exchange_bits(self) -> (u32, u32) {
        match self {
            KeyExchange::Rsa => (1024, 16384),
            KeyExchange::DheRsa => (2048, 8192),
            KeyExchange::EcdheRsa | KeyExchange::EcdheEcdsa => (255, 521),
            KeyExchange::Tls13 => (0, 0),
        }
    }
}

/// One cipher suite: its IANA number and what it is made of.
#[derive(Debug, PartialEq, Eq)]
pub struct CipherSuite {
    /// IANA cipher-suite number (`dwCipherSuite`).
    pub id: u16,
    /// IANA name (`szCipherSuite`).
    pub name: &'static str,
    /// Key exchange.
    pub key_exchange: KeyExchange,
    /// Bulk cipher of the records.
    pub cipher: BulkCipher,
    /// Record MAC (`MacAlgorithm::Aead` for AEAD suites).
    pub mac: MacAlgorithm,
    /// True for suites whose PRF (TLS 1.2) and transcript hash are SHA-384.
    pub sha384_prf: bool,
}

macro_rules! suite {
    ($id:literal, $name:literal, $kx:ident, $cipher:ident, $mac:ident, $sha384:literal) => {
        CipherSuite {
            id: $id,
            name: $name,
            key_exchange: KeyExchange::$kx,
            cipher: BulkCipher::$cipher,
            mac: MacAlgorithm::$mac,
            sha384_prf: $sha384,
        }
    };
}

/// Every suite keyward supports, in the order `SslEnumCipherSuites` returns them
/// (strongest key exchange and AEAD first).
pub static CIPHER_SUITES: &[CipherSuite] = &[
    suite!(
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        Tls13,
        Aes256Gcm,
        Aead,
        true
    ),
    suite!(
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        Tls13,
        Aes128Gcm,
        Aead,
        false
    ),
    suite!(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        Tls13,
        ChaCha20Poly1305,
        Aead,
        false
    ),
    suite!(
        0xC02C,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        EcdheEcdsa,
        Aes256Gcm,
        Aead,
        true
    ),
    suite!(
        0xC02B,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        EcdheEcdsa,
        Aes128Gcm,
        Aead,
        false
    ),
    suite!(
        0xCCA9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        EcdheEcdsa,
        ChaCha20Poly1305,
        Aead,
        false
    ),
    suite!(
        0xC030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        EcdheRsa,
        Aes256Gcm,
        Aead,
        true
    ),
    suite!(
        0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        EcdheRsa,
        Aes128Gcm,
        Aead,
        false
    ),
    suite!(
        0xCCA8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        EcdheRsa,
        ChaCha20Poly1305,
        Aead,
        false
    ),
    suite!(
        0x009F,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        DheRsa,
        Aes256Gcm,
        Aead,
        true
    ),
    suite!(
        0x009E,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        DheRsa,
        Aes128Gcm,
        Aead,
        false
    ),
    suite!(
        0xCCAA,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        DheRsa,
        ChaCha20Poly1305,
        Aead,
        false
    ),
    suite!(
        0xC024,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        EcdheEcdsa,
        Aes256Cbc,
        HmacSha384,
        true
    ),
    suite!(
        0xC023,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        EcdheEcdsa,
        Aes128Cbc,
        HmacSha256,
        false
    ),
    suite!(
        0xC028,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        EcdheRsa,
        Aes256Cbc,
        HmacSha384,
        true
    ),
    suite!(
        0xC027,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        EcdheRsa,
        Aes128Cbc,
        HmacSha256,
        false
    ),
    suite!(
        0x0067,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        DheRsa,
        Aes128Cbc,
        HmacSha256,
        false
    ),
    suite!(
        0xC00A,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        EcdheEcdsa,
        Aes256Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0xC009,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        EcdheEcdsa,
        Aes128Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0xC014,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        EcdheRsa,
        Aes256Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0xC013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        EcdheRsa,
        Aes128Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0x0039,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        DheRsa,
        Aes256Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0x0033,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        DheRsa,
        Aes128Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0x009D,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        Rsa,
        Aes256Gcm,
        Aead,
        true
    ),
    suite!(
        0x009C,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        Rsa,
        Aes128Gcm,
        Aead,
        false
    ),
    suite!(
        0x003C,
        "TLS_RSA_WITH_AES_128_CBC_SHA256",
        Rsa,
        Aes128Cbc,
        HmacSha256,
        false
    ),
    suite!(
        0x0035,
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        Rsa,
        Aes256Cbc,
        HmacSha1,
        false
    ),
    suite!(
        0x002F,
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        Rsa,
        Aes128Cbc,
        HmacSha1,
        false
    ),
];

impl CipherSuite {
    /// The suite with the IANA number `id` (`dwCipherSuite`, the TLS `CipherSuite`), if keyward
    /// supports it. Whether it may be used with a protocol is [`CipherSuite::allows`];
    /// keyward-ffi reads `dwCipherSuite` through this, with the statuses of Windows.
    pub fn from_id(id: u16) -> Option<&'static CipherSuite> {
        CIPHER_SUITES.iter().find(|s| s.id == id)
    }

    /// `suite` itself when it is defined for `protocol`, else `NTE_NOT_SUPPORTED`: the check
    /// every provider function that takes both makes first.
    pub fn for_protocol(
        protocol: Protocol,
        suite: &'static CipherSuite,
    ) -> Result<&'static CipherSuite> {
        if suite.allows(protocol) {
            Ok(suite)
        } else {
            Err(Error::NotSupported(
                "cipher suite not defined for this protocol",
            ))
        }
    }

    /// True when the suite is defined for `protocol`: TLS 1.3 suites only with TLS 1.3;
    /// AEAD and SHA-256/384 suites only with TLS 1.2 and DTLS 1.2 (RFC 5246, 5288, 5289, 7905).
    pub fn allows(&self, protocol: Protocol) -> bool {
        match (self.key_exchange, protocol) {
            (KeyExchange::Tls13, p) => p == Protocol::Tls13,
            (_, Protocol::Tls13) => false,
            (_, Protocol::Tls12 | Protocol::Dtls12) => true,
            (_, Protocol::Tls10 | Protocol::Tls11 | Protocol::Dtls10) => {
                !self.cipher.is_aead() && self.mac == MacAlgorithm::HmacSha1
            }
        }
    }

    /// The PRF of this suite under `protocol` (RFC 2246 §5, RFC 5246 §5).
    pub fn prf(&self, protocol: Protocol) -> PrfHash {
        if protocol.uses_md5_sha1() {
            PrfHash::Md5Sha1
        } else if self.sha384_prf {
            PrfHash::Sha384
        } else {
            PrfHash::Sha256
        }
    }

    /// `szCipher`: the CNG algorithm id of the bulk cipher.
    pub fn cng_cipher(&self) -> &'static str {
        match self.cipher {
            BulkCipher::ChaCha20Poly1305 => "CHACHA20_POLY1305",
            _ => "AES",
        }
    }

    /// `szCipherMode` of `NCRYPT_SSL_CIPHER_SUITE_EX`: the CNG chaining mode.
    pub fn cng_cipher_mode(&self) -> &'static str {
        match self.cipher {
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => "ChainingModeGCM",
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => "ChainingModeCBC",
            BulkCipher::ChaCha20Poly1305 => "",
        }
    }

    /// `szHash`: the CNG id of the record MAC hash, empty for AEAD suites.
    pub fn cng_mac_hash(&self) -> &'static str {
        match self.mac {
            MacAlgorithm::Aead => "",
            MacAlgorithm::HmacSha1 => "SHA1",
            MacAlgorithm::HmacSha256 => "SHA256",
            MacAlgorithm::HmacSha384 => "SHA384",
        }
    }

    /// The information `SslLookupCipherSuiteInfo` returns for this suite.
    pub fn info(&'static self, protocol: Protocol) -> CipherSuiteInfo {
        let (min_exchange_bits, max_exchange_bits) = self.key_exchange.exchange_bits();
        CipherSuiteInfo {
            protocol,
            suite: self,
            cipher_bits: 8 * self.cipher.key_len() as u32,
            cipher_block_len: self.cipher.block_len() as u32,
            hash_len: self.mac.mac_len() as u32,
            min_exchange_bits,
            max_exchange_bits,
        }
    }
}

/// The fields of `NCRYPT_SSL_CIPHER_SUITE` for one protocol and suite
/// (`SslLookupCipherSuiteInfo`, `SslEnumCipherSuites`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CipherSuiteInfo {
    /// `dwProtocol`.
    pub protocol: Protocol,
    /// The suite (`dwCipherSuite`, `dwBaseCipherSuite`, `szCipherSuite`, `szCipher`, `szHash`,
    /// `szExchange`, `szCertificate`).
    pub suite: &'static CipherSuite,
    /// `dwCipherLen`: key size in bits.
    pub cipher_bits: u32,
    /// `dwCipherBlockLen`: block size in bytes (1 for the ChaCha20 stream cipher).
    pub cipher_block_len: u32,
    /// `dwHashLen`: MAC length in bytes, 0 for AEAD suites.
    pub hash_len: u32,
    /// `dwMinExchangeLen` in bits.
    pub min_exchange_bits: u32,
    /// `dwMaxExchangeLen` in bits.
    pub max_exchange_bits: u32,
}

/// Every (protocol, suite) pair the provider supports, in enumeration order.
pub fn supported() -> impl Iterator<Item = CipherSuiteInfo> {
    Protocol::ALL.into_iter().flat_map(|protocol| {
        CIPHER_SUITES
            .iter()
            .filter(move |suite| suite.allows(protocol))
            .map(move |suite| suite.info(protocol))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::Status;

    fn lookup(protocol: Protocol, id: u16) -> Result<&'static CipherSuite> {
        let suite = CipherSuite::from_id(id)
            .ok_or(Error::NotSupported("unknown or unsupported cipher suite"))?;
        CipherSuite::for_protocol(protocol, suite)
    }

    #[test]
    fn cbc_suites_without_constant_time_code_are_not_offered() {
        // AES-256-CBC with HMAC-SHA256: AWS-LC has no constant-time TLS CBC AEAD for it.
        for id in [0x003D, 0x006B] {
            assert_eq!(
                lookup(Protocol::Tls12, id).map(|s| s.id),
                Err(Error::NotSupported("unknown or unsupported cipher suite")),
                "{id:#06x}"
            );
        }
        for s in CIPHER_SUITES {
            let pair = (s.cipher, s.mac);
            assert!(
                s.cipher.is_aead()
                    || matches!(
                        pair,
                        (
                            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc,
                            MacAlgorithm::HmacSha1
                        ) | (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha256)
                            | (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha384)
                    ),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn ids_are_unique() {
        for (i, a) in CIPHER_SUITES.iter().enumerate() {
            for b in &CIPHER_SUITES[i + 1..] {
                assert_ne!(a.id, b.id, "{} duplicates {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn name_agrees_with_parts() {
        for s in CIPHER_SUITES {
            let cipher = match s.cipher {
                BulkCipher::Aes128Gcm => "AES_128_GCM",
                BulkCipher::Aes256Gcm => "AES_256_GCM",
                BulkCipher::ChaCha20Poly1305 => "CHACHA20_POLY1305",
                BulkCipher::Aes128Cbc => "AES_128_CBC",
                BulkCipher::Aes256Cbc => "AES_256_CBC",
            };
            assert!(s.name.contains(cipher), "{}", s.name);
            assert_eq!(s.sha384_prf, s.name.ends_with("SHA384"), "{}", s.name);
            let kx = match s.key_exchange {
                KeyExchange::Rsa => "TLS_RSA_WITH_",
                KeyExchange::DheRsa => "TLS_DHE_RSA_WITH_",
                KeyExchange::EcdheRsa => "TLS_ECDHE_RSA_WITH_",
                KeyExchange::EcdheEcdsa => "TLS_ECDHE_ECDSA_WITH_",
                KeyExchange::Tls13 => "TLS_",
            };
            assert!(s.name.starts_with(kx), "{}", s.name);
        }
    }

    #[test]
    fn protocol_rules() {
        let gcm = lookup(Protocol::Tls12, 0xC02F).unwrap();
        assert_eq!(gcm.prf(Protocol::Tls12), PrfHash::Sha256);
        let err = lookup(Protocol::Tls10, 0xC02F).unwrap_err();
        assert_eq!(err.status(), Status::NTE_NOT_SUPPORTED);
        let cbc = lookup(Protocol::Tls10, 0x002F).unwrap();
        assert_eq!(cbc.prf(Protocol::Tls10), PrfHash::Md5Sha1);
        assert!(lookup(Protocol::Tls12, 0x1301).is_err());
        assert!(lookup(Protocol::Tls13, 0x1301).is_ok());
        // RC4, 3DES, NULL: known to Windows, deliberately unsupported.
        for id in [0x0005, 0x000A, 0x0002, 0x0003] {
            let err = lookup(Protocol::Tls12, id).unwrap_err();
            assert_eq!(err.status(), Status::NTE_NOT_SUPPORTED);
        }
        assert_eq!(
            lookup(Protocol::Tls12, 0xC030)
                .unwrap()
                .prf(Protocol::Tls12),
            PrfHash::Sha384
        );
    }
}

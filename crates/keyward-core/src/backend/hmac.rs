//! HMAC with SHA-1/SHA-256/SHA-384/SHA-512 with the key prepared once. (The MAC of TLS CBC
//! records is not made here: it is part of AWS-LC's constant-time TLS CBC code, see
//! `tls_cbc`.)

use core::fmt;

use aws_lc_rs::hmac;

use super::digest::HashAlgorithm;
use crate::{Error, Result};

/// The longest HMAC tag (SHA-512), in bytes.
pub const MAX_TAG_LEN: usize = 64;

/// The prepared aws-lc-rs HMAC of a hash; MD5 has none (`NTE_NOT_SUPPORTED`).
fn backend(algorithm: HashAlgorithm) -> Result<hmac::Algorithm> {
    match algorithm {
        HashAlgorithm::Md5 => Err(Error::NotSupported("HMAC-MD5")),
        HashAlgorithm::Sha1 => Ok(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
        HashAlgorithm::Sha256 => Ok(hmac::HMAC_SHA256),
        HashAlgorithm::Sha384 => Ok(hmac::HMAC_SHA384),
        HashAlgorithm::Sha512 => Ok(hmac::HMAC_SHA512),
    }
}

/// An HMAC tag (at most [`MAX_TAG_LEN`] bytes), returned without heap allocation.
#[derive(Clone, Copy)]
pub struct HmacTag {
    bytes: [u8; MAX_TAG_LEN],
    len: usize,
}

impl HmacTag {
    fn from_backend(tag: &hmac::Tag) -> Self {
        let value = tag.as_ref();
        let mut bytes = [0u8; MAX_TAG_LEN];
        let len = value.len().min(MAX_TAG_LEN);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), value.get(..len)) {
            dst.copy_from_slice(src);
        }
        HmacTag { bytes, len }
    }

    /// The tag bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl AsRef<[u8]> for HmacTag {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for HmacTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacTag[{}](..)", self.len)
    }
}

/// An HMAC key with its inner and outer pad states computed once: the record MAC key
/// of CBC suites (`SslEncryptPacket` / `SslDecryptPacket`).
#[derive(Clone)]
pub struct HmacKey {
    algorithm: HashAlgorithm,
    key: hmac::Key,
}

impl HmacKey {
    /// Prepares `key` (any length; RFC 2104) for HMAC with `algorithm` (SHA-1 or SHA-2).
    pub fn new(algorithm: HashAlgorithm, key: &[u8]) -> Result<Self> {
        Ok(HmacKey {
            algorithm,
            key: hmac::Key::new(backend(algorithm)?, key),
        })
    }

    /// The hash function of this key.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// HMAC over the concatenation of `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> HmacTag {
        let mut context = self.context();
        for part in parts {
            context.update(part);
        }
        context.finish()
    }

    /// A fresh incremental HMAC computation under this key.
    pub fn context(&self) -> HmacContext {
        HmacContext {
            context: hmac::Context::with_key(&self.key),
        }
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// An incremental HMAC computation (`update` zero or more times, then `finish`).
pub struct HmacContext {
    context: hmac::Context,
}

impl HmacContext {
    /// Feeds `data` into the MAC.
    pub fn update(&mut self, data: &[u8]) {
        self.context.update(data);
    }

    /// Finishes the MAC.
    pub fn finish(self) -> HmacTag {
        HmacTag::from_backend(&self.context.sign())
    }
}

impl fmt::Debug for HmacContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacContext").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2 (key "Jefe").
        let key = HmacKey::new(HashAlgorithm::Sha256, b"Jefe").unwrap();
        let tag = key.sign(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(tag.as_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut context = key.context();
        context.update(b"what do ya want for nothing?");
        assert_eq!(context.finish().as_bytes(), tag.as_bytes());
    }

    #[test]
    fn rfc2202_sha1_case_2() {
        let tag = HmacKey::new(HashAlgorithm::Sha1, b"Jefe")
            .unwrap()
            .sign(&[b"what do ya want for nothing?"]);
        assert_eq!(
            hex::encode(tag.as_bytes()),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn lengths() {
        for (alg, out, block) in [
            (HashAlgorithm::Sha1, 20, 64),
            (HashAlgorithm::Sha256, 32, 64),
            (HashAlgorithm::Sha384, 48, 128),
            (HashAlgorithm::Sha512, 64, 128),
        ] {
            assert_eq!(alg.output_len(), out);
            assert_eq!(alg.block_len(), block);
            let tag = HmacKey::new(alg, b"k").unwrap().sign(&[]);
            assert_eq!(tag.as_bytes().len(), out);
        }
    }
}

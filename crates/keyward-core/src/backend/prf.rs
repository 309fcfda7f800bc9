//! The TLS 1.0–1.2 pseudo-random function (RFC 2246 §5, RFC 4346 §5, RFC 5246 §5), as used by
//! `SslGenerateMasterKey`, `SslGenerateSessionKeys` and `SslComputeFinishedHash`.
//!
//! Every variant goes through AWS-LC's `CRYPTO_tls1_prf` (the function its own TLS stack uses):
//! it is the only AWS-LC PRF with P_MD5 ⊕ P_SHA1, and using it for P_SHA256/384/512 too keeps one
//! code path that writes straight into the caller's buffer. `aws_lc_rs::tls_prf` would need a
//! separate path, an owned output and a concatenated seed for TLS 1.2 only.

use super::sys::{self, PrfDigest};
use super::HashAlgorithm;
use crate::{Error, Result};

/// The hash of a TLS PRF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrfHash {
    /// TLS 1.0/1.1: P_MD5(S1) ⊕ P_SHA1(S2), the secret split in halves sharing the middle byte
    /// when its length is odd.
    Md5Sha1,
    /// TLS 1.2 P_SHA256 (the default PRF).
    Sha256,
    /// TLS 1.2 P_SHA384 (`*_SHA384` suites).
    Sha384,
    /// TLS 1.2 P_SHA512.
    Sha512,
}

impl PrfHash {
    /// The single hash of a TLS 1.2 PRF (also the suite's transcript hash); `None` for the
    /// MD5 ⊕ SHA-1 PRF of TLS 1.0/1.1.
    pub fn hash_algorithm(self) -> Option<HashAlgorithm> {
        match self {
            PrfHash::Md5Sha1 => None,
            PrfHash::Sha256 => Some(HashAlgorithm::Sha256),
            PrfHash::Sha384 => Some(HashAlgorithm::Sha384),
            PrfHash::Sha512 => Some(HashAlgorithm::Sha512),
        }
    }

    fn sys_digest(self) -> PrfDigest {
        match self {
            PrfHash::Md5Sha1 => PrfDigest::Md5Sha1,
            PrfHash::Sha256 => PrfDigest::Sha256,
            PrfHash::Sha384 => PrfDigest::Sha384,
            PrfHash::Sha512 => PrfDigest::Sha512,
        }
    }
}

/// Fills `out` with `PRF(secret, label, seed)`, where `seed` is the concatenation of the
/// `seed` parts (e.g. `[client_random, server_random]`). The label is ASCII without NUL.
pub fn tls_prf(
    hash: PrfHash,
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) -> Result<()> {
    let done = match seed {
        [] => sys::tls1_prf(hash.sys_digest(), out, secret, label, &[], &[]),
        [only] => sys::tls1_prf(hash.sys_digest(), out, secret, label, only, &[]),
        [first, second] => sys::tls1_prf(hash.sys_digest(), out, secret, label, first, second),
        parts => {
            // Seeds are public (randoms, hashes, exporter context): a plain Vec is fine.
            let joined = parts.concat();
            sys::tls1_prf(hash.sys_digest(), out, secret, label, &joined, &[])
        }
    };
    if done {
        Ok(())
    } else {
        Err(Error::Backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_parts_are_concatenated() {
        let secret = [7u8; 48];
        let mut whole = [0u8; 40];
        let mut split2 = [0u8; 40];
        let mut split3 = [0u8; 40];
        tls_prf(
            PrfHash::Sha256,
            &secret,
            b"key expansion",
            &[b"abcdef"],
            &mut whole,
        )
        .unwrap();
        tls_prf(
            PrfHash::Sha256,
            &secret,
            b"key expansion",
            &[b"ab", b"cdef"],
            &mut split2,
        )
        .unwrap();
        tls_prf(
            PrfHash::Sha256,
            &secret,
            b"key expansion",
            &[b"a", b"bcd", b"ef"],
            &mut split3,
        )
        .unwrap();
        assert_eq!(whole, split2);
        assert_eq!(whole, split3);
        assert_ne!(whole, [0u8; 40]);
    }

    #[test]
    fn hashes_differ_and_empty_output_is_fine() {
        let mut a = [0u8; 12];
        let mut b = [0u8; 12];
        tls_prf(PrfHash::Md5Sha1, b"s", b"l", &[b"x"], &mut a).unwrap();
        tls_prf(PrfHash::Sha384, b"s", b"l", &[b"x"], &mut b).unwrap();
        assert_ne!(a, b);
        tls_prf(PrfHash::Sha256, b"s", b"l", &[b"x"], &mut []).unwrap();
    }
}

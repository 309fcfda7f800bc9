//! Hash functions: MD5 (AWS-LC through `sys`, for TLS ≤ 1.1 handshake hashes) and SHA-1/SHA-2
//! (`aws_lc_rs::digest`). Corresponds to the CNG hash algorithms `BCRYPT_MD5_ALGORITHM`,
//! `BCRYPT_SHA1_ALGORITHM`, `BCRYPT_SHA256_ALGORITHM`, … used by `SslCreateHandshakeHash`.

use super::sys::Md5State;
use aws_lc_rs::digest;

/// The largest digest any [`HashAlgorithm`] produces (SHA-512).
pub const MAX_DIGEST_LEN: usize = 64;

/// A hash algorithm, named as in CNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// MD5 (only inside TLS ≤ 1.1 constructions).
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Md5 => 16,
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// Input block length of the compression function in bytes.
    pub fn block_len(self) -> usize {
        match self {
            HashAlgorithm::Md5 | HashAlgorithm::Sha1 | HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha384 | HashAlgorithm::Sha512 => 128,
        }
    }

    /// The CNG algorithm identifier (`BCRYPT_*_ALGORITHM`), e.g. `"SHA256"`.
    pub fn cng_name(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA1",
            HashAlgorithm::Sha256 => "SHA256",
            HashAlgorithm::Sha384 => "SHA384",
            HashAlgorithm::Sha512 => "SHA512",
        }
    }

    /// The algorithm for a CNG identifier (exact, case-sensitive match as CNG defines them).
    pub fn from_cng_name(name: &str) -> Option<Self> {
        [
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|alg| alg.cng_name() == name)
    }

    /// The aws-lc-rs algorithm for the SHA family (`None` for MD5).
    fn aws_lc_algorithm(self) -> Option<&'static digest::Algorithm> {
        match self {
            HashAlgorithm::Md5 => None,
            HashAlgorithm::Sha1 => Some(&digest::SHA1_FOR_LEGACY_USE_ONLY),
            HashAlgorithm::Sha256 => Some(&digest::SHA256),
            HashAlgorithm::Sha384 => Some(&digest::SHA384),
            HashAlgorithm::Sha512 => Some(&digest::SHA512),
        }
    }
}

/// A finished digest: up to [`MAX_DIGEST_LEN`] bytes held inline (no heap allocation).
#[derive(Clone, Copy)]
pub struct DigestValue {
    bytes: [u8; MAX_DIGEST_LEN],
    len: usize,
    algorithm: HashAlgorithm,
}

impl DigestValue {
    fn new(algorithm: HashAlgorithm, value: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_DIGEST_LEN];
        let len = value.len().min(MAX_DIGEST_LEN);
        bytes[..len].copy_from_slice(&value[..len]);
        DigestValue {
            bytes,
            len,
            algorithm,
        }
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The algorithm that produced it.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// A heap copy of the digest bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl AsRef<[u8]> for DigestValue {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::fmt::Debug for DigestValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "DigestValue({:?}, ", self.algorithm)?;
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        write!(f, ")")
    }
}

#[derive(Clone)]
enum HashState {
    Md5(Md5State),
    Sha(digest::Context),
}

/// A running hash. `Clone` duplicates the running state, so a handshake hash can be finished
/// for a Finished message while hashing continues (`SslDuplicateHandshakeHash`).
#[derive(Clone)]
pub struct HashContext {
    algorithm: HashAlgorithm,
    state: HashState,
}

impl HashContext {
    /// Starts a hash (`SslCreateHandshakeHash`).
    pub fn new(algorithm: HashAlgorithm) -> Self {
        let state = match algorithm.aws_lc_algorithm() {
            Some(alg) => HashState::Sha(digest::Context::new(alg)),
            None => HashState::Md5(Md5State::new()),
        };
        HashContext { algorithm, state }
    }

    /// Absorbs `data` (`SslHashHandshake`).
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            HashState::Md5(md5) => md5.update(data),
            HashState::Sha(ctx) => ctx.update(data),
        }
    }

    /// Finishes the hash and returns the digest.
    pub fn finish(self) -> DigestValue {
        match self.state {
            HashState::Md5(md5) => DigestValue::new(self.algorithm, &md5.finish()),
            HashState::Sha(ctx) => DigestValue::new(self.algorithm, ctx.finish().as_ref()),
        }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }
}

/// The digest of `data` in one call.
pub fn hash(algorithm: HashAlgorithm, data: &[u8]) -> DigestValue {
    let mut ctx = HashContext::new(algorithm);
    ctx.update(data);
    ctx.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_test_support::hex;

    #[test]
    fn known_answers_abc() {
        // FIPS 180-4 / RFC 1321 "abc" examples.
        let cases = [
            (HashAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (
                HashAlgorithm::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                HashAlgorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                HashAlgorithm::Sha384,
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            ),
            (
                HashAlgorithm::Sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (alg, expected) in cases {
            let d = hash(alg, b"abc");
            assert_eq!(hex(d.as_bytes()), expected, "{alg:?}");
            assert_eq!(d.as_bytes().len(), alg.output_len());
            assert_eq!(d.algorithm(), alg);
        }
    }

    #[test]
    fn clone_duplicates_running_state() {
        for alg in [HashAlgorithm::Md5, HashAlgorithm::Sha256] {
            let mut running = HashContext::new(alg);
            running.update(b"ab");
            let snapshot = running.clone();
            running.update(b"c");
            assert_eq!(snapshot.finish().as_bytes(), hash(alg, b"ab").as_bytes());
            assert_eq!(running.finish().as_bytes(), hash(alg, b"abc").as_bytes());
        }
    }

    #[test]
    fn cng_names_round_trip() {
        for alg in [
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(HashAlgorithm::from_cng_name(alg.cng_name()), Some(alg));
        }
        assert_eq!(HashAlgorithm::from_cng_name("sha256"), None);
        assert_eq!(HashAlgorithm::from_cng_name("SHA224"), None);
    }
}

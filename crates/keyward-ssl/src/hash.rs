//! The running handshake hash (`SslCreateHandshakeHash`, `SslHashHandshake`,
//! `SslCreateClientAuthHash`, `SslComputeSessionHash`, `SslDuplicateTranscriptHash`).

use crate::protocol::Protocol;
use crate::suites::CipherSuite;
use keyward_core::backend::{HashAlgorithm, HashContext};

/// A transcript hash over the handshake messages (each with its 4-byte header).
///
/// TLS 1.0/1.1 and DTLS 1.0 keep MD5 and SHA-1 side by side; TLS 1.2, DTLS 1.2 and TLS 1.3 one
/// hash: the suite's PRF hash, or the algorithm chosen for a client-auth hash. Reading a digest
/// never finalises the running hash, so hashing can go on (docs/ssl-provider.md, "Handshake
/// hashes").
#[derive(Clone)]
pub struct HandshakeHash {
    protocol: Protocol,
    suite: &'static CipherSuite,
    state: State,
}

#[derive(Clone)]
enum State {
    Md5Sha1 { md5: HashContext, sha1: HashContext },
    Single(HashContext),
}

impl HandshakeHash {
    /// A handshake hash for `protocol` and `suite` (`SslCreateHandshakeHash`).
    pub fn new(protocol: Protocol, suite: &'static CipherSuite) -> Self {
        let state = match suite.prf(protocol).hash_algorithm() {
            None => State::Md5Sha1 {
                md5: HashContext::new(HashAlgorithm::Md5),
                sha1: HashContext::new(HashAlgorithm::Sha1),
            },
            Some(algorithm) => State::Single(HashContext::new(algorithm)),
        };
        HandshakeHash {
            protocol,
            suite,
            state,
        }
    }

    /// A hash for the TLS 1.2 CertificateVerify with the chosen algorithm
    /// (`SslCreateClientAuthHash`). Before TLS 1.2 the algorithm is fixed by the protocol
    /// (MD5 ‖ SHA-1) and `algorithm` is ignored.
    pub fn for_client_auth(
        protocol: Protocol,
        suite: &'static CipherSuite,
        algorithm: HashAlgorithm,
    ) -> Self {
        if protocol.uses_md5_sha1() {
            return HandshakeHash::new(protocol, suite);
        }
        HandshakeHash {
            protocol,
            suite,
            state: State::Single(HashContext::new(algorithm)),
        }
    }

    /// An independent copy of the running hash (`SslDuplicateTranscriptHash`): for a
    /// HelloRetryRequest or post-handshake authentication, where one transcript forks.
    pub fn duplicate(&self) -> HandshakeHash {
        self.clone()
    }

    /// Appends handshake bytes (`SslHashHandshake`).
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Md5Sha1 { md5, sha1 } => {
                md5.update(data);
                sha1.update(data);
            }
            State::Single(context) => context.update(data),
        }
    }

    /// The digest of everything hashed so far: MD5 ‖ SHA-1 (36 bytes) or the single hash.
    /// This is also the RFC 7627 session hash (`SslComputeSessionHash`).
    pub fn current_digest(&self) -> Vec<u8> {
        match &self.state {
            State::Md5Sha1 { md5, sha1 } => {
                let mut out = md5.clone().finish().to_vec();
                out.extend_from_slice(sha1.clone().finish().as_bytes());
                out
            }
            State::Single(context) => context.clone().finish().to_vec(),
        }
    }

    /// The SHA-1 half of an MD5 ‖ SHA-1 transcript (DSA/ECDSA CertificateVerify before TLS 1.2),
    /// or the single hash otherwise.
    pub fn current_sha1_or_single(&self) -> Vec<u8> {
        match &self.state {
            State::Md5Sha1 { sha1, .. } => sha1.clone().finish().to_vec(),
            State::Single(context) => context.clone().finish().to_vec(),
        }
    }

    /// Length of [`Self::current_digest`].
    pub fn digest_len(&self) -> usize {
        match &self.state {
            State::Md5Sha1 { .. } => 36,
            State::Single(context) => context.algorithm().output_len(),
        }
    }

    /// The single hash algorithm, `None` for the MD5 ‖ SHA-1 pair.
    pub fn algorithm(&self) -> Option<HashAlgorithm> {
        match &self.state {
            State::Md5Sha1 { .. } => None,
            State::Single(context) => Some(context.algorithm()),
        }
    }

    /// The protocol the hash was created for.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The suite the hash was created for.
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::backend::hash;

    #[test]
    fn duplicates_are_independent() {
        let suite = CipherSuite::from_id(0x1301).unwrap();
        let mut original = HandshakeHash::new(Protocol::Tls13, suite);
        original.update(b"ClientHello");
        let mut copy = original.duplicate();
        copy.update(b"more");
        assert_eq!(
            original.current_digest(),
            hash(HashAlgorithm::Sha256, b"ClientHello").to_vec()
        );
        assert_eq!(
            copy.current_digest(),
            hash(HashAlgorithm::Sha256, b"ClientHellomore").to_vec()
        );
    }

    #[test]
    fn digest_is_non_destructive_and_matches_one_shot() {
        let suite = CipherSuite::from_id(0x002F).unwrap();
        let mut h = HandshakeHash::new(Protocol::Tls10, suite);
        h.update(b"client hello");
        let first = h.current_digest();
        assert_eq!(first.len(), 36);
        h.update(b" server hello");
        let mut expected = hash(HashAlgorithm::Md5, b"client hello server hello").to_vec();
        expected
            .extend_from_slice(hash(HashAlgorithm::Sha1, b"client hello server hello").as_bytes());
        assert_eq!(h.current_digest(), expected);

        let suite = CipherSuite::from_id(0xC030).unwrap();
        let mut h = HandshakeHash::new(Protocol::Tls12, suite);
        h.update(b"abc");
        assert_eq!(
            h.current_digest(),
            hash(HashAlgorithm::Sha384, b"abc").to_vec()
        );
        assert_eq!(h.digest_len(), 48);
    }
}

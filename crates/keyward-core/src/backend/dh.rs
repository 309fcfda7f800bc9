//! Finite-field Diffie-Hellman over the RFC 7919 FFDHE groups (`SslCreateEphemeralKey` with
//! `BCRYPT_DH_ALGORITHM`, `SslGenerateMasterKey` for DHE suites), on AWS-LC's `DH` through `sys`
//! (aws-lc-rs has no FFDH).
//!
//! Private exponents: RFC 7919 §5.2 asks for at least twice the group's security strength. A
//! freshly generated key uses [`FfdheGroup::exponent_bits`] bits (225, 275, 325, 375, 400 for
//! ffdhe2048 … ffdhe8192, the same lengths OpenSSL picks), set with `DH_set_length`; the group is
//! built from p and g only (no q), so AWS-LC draws the exponent uniformly from [1, 2^bits − 1].
//! That is ~10x faster per operation than a full-size exponent and is what peers expect.

use super::ffdhe_primes::{FFDHE2048_P, FFDHE3072_P, FFDHE4096_P, FFDHE6144_P, FFDHE8192_P};
use super::sys::DhHandle;
use crate::{Error, Result, SecretVec};
use subtle::{Choice, ConstantTimeEq, ConstantTimeLess};

/// Largest prime length in bytes (ffdhe8192).
const MAX_PRIME_LEN: usize = 1024;

/// An RFC 7919 FFDHE group (generator 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FfdheGroup {
    /// ffdhe2048.
    Ffdhe2048,
    /// ffdhe3072.
    Ffdhe3072,
    /// ffdhe4096.
    Ffdhe4096,
    /// ffdhe6144.
    Ffdhe6144,
    /// ffdhe8192.
    Ffdhe8192,
}

impl FfdheGroup {
    const ALL: [FfdheGroup; 5] = [
        FfdheGroup::Ffdhe2048,
        FfdheGroup::Ffdhe3072,
        FfdheGroup::Ffdhe4096,
        FfdheGroup::Ffdhe6144,
        FfdheGroup::Ffdhe8192,
    ];

    /// The prime p, big-endian (`prime_len()` bytes, top bit set).
    pub fn prime(self) -> &'static [u8] {
        match self {
            FfdheGroup::Ffdhe2048 => &FFDHE2048_P,
            FfdheGroup::Ffdhe3072 => &FFDHE3072_P,
            FfdheGroup::Ffdhe4096 => &FFDHE4096_P,
            FfdheGroup::Ffdhe6144 => &FFDHE6144_P,
            FfdheGroup::Ffdhe8192 => &FFDHE8192_P,
        }
    }

    /// The generator g = 2.
    pub fn generator(self) -> u32 {
        2
    }

    /// The prime's length in bits.
    pub fn bits(self) -> usize {
        self.prime().len() * 8
    }

    /// The prime's length in bytes (= public value and shared secret length).
    pub fn prime_len(self) -> usize {
        self.prime().len()
    }

    /// The TLS `NamedGroup` code point (RFC 7919): 256 … 260.
    pub fn tls_group(self) -> u16 {
        match self {
            FfdheGroup::Ffdhe2048 => 256,
            FfdheGroup::Ffdhe3072 => 257,
            FfdheGroup::Ffdhe4096 => 258,
            FfdheGroup::Ffdhe6144 => 259,
            FfdheGroup::Ffdhe8192 => 260,
        }
    }

    /// The group for a TLS `NamedGroup` code point.
    pub fn from_tls_group(group: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.tls_group() == group)
    }

    /// Length of freshly generated private exponents, in bits (RFC 7919 §5.2: at least twice
    /// the security strength).
    pub fn exponent_bits(self) -> u32 {
        match self {
            FfdheGroup::Ffdhe2048 => 225,
            FfdheGroup::Ffdhe3072 => 275,
            FfdheGroup::Ffdhe4096 => 325,
            FfdheGroup::Ffdhe6144 => 375,
            FfdheGroup::Ffdhe8192 => 400,
        }
    }

    /// The group whose (p, g) these are (big-endian, leading zeros ignored), as carried by a
    /// `BCRYPT_DH_PARAMETERS` / `BCRYPT_DH_*_BLOB`. Anything else → [`Error::NotSupported`]
    /// (arbitrary groups are not accepted).
    pub fn from_params(p: &[u8], g: &[u8]) -> Result<Self> {
        let p = strip_leading_zeros(p);
        if strip_leading_zeros(g) != [2] {
            return Err(Error::NotSupported("DH generator other than 2"));
        }
        Self::ALL
            .into_iter()
            .find(|group| group.prime() == p)
            .ok_or(Error::NotSupported("DH group is not an RFC 7919 group"))
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

/// `a < b` for equal-length big-endian integers, in constant time.
fn ct_less_be(a: &[u8], b: &[u8]) -> Choice {
    let mut less = Choice::from(0);
    let mut decided = Choice::from(0);
    for (x, y) in a.iter().zip(b) {
        less |= !decided & x.ct_lt(y);
        decided |= !x.ct_eq(y);
    }
    less
}

/// Left-pads `value` into `out` (exactly the prime length). False if it does not fit, i.e. it
/// has more significant bytes than the prime.
fn left_pad(value: &[u8], out: &mut [u8]) -> bool {
    let significant = strip_leading_zeros(value);
    let Some(start) = out.len().checked_sub(significant.len()) else {
        return false;
    };
    out.iter_mut().for_each(|b| *b = 0);
    out[start..].copy_from_slice(significant);
    true
}

/// `1 < value < p − 1` for a value left-padded to the prime length, in constant time.
fn in_open_range(group: FfdheGroup, value: &[u8]) -> Choice {
    let p = group.prime();
    let mut one = [0u8; MAX_PRIME_LEN];
    let mut p_minus_1 = [0u8; MAX_PRIME_LEN];
    let one = &mut one[..p.len()];
    let p_minus_1 = &mut p_minus_1[..p.len()];
    if let Some(last) = one.last_mut() {
        *last = 1;
    }
    p_minus_1.copy_from_slice(p);
    if let Some(last) = p_minus_1.last_mut() {
        // Every RFC 7919 prime ends in 0xff, so subtracting 1 never borrows.
        *last = last.wrapping_sub(1);
    }
    ct_less_be(one, value) & ct_less_be(value, p_minus_1)
}

/// Checks a peer's public value for `group`: no more significant bytes than the prime and
/// `1 < Y < p − 1` (RFC 7919 §5.1), else [`Error::BadData`]. `SslImportKey` runs it on every
/// imported `BCRYPT_DH_PUBLIC_BLOB`.
pub fn validate_public(group: FfdheGroup, value: &[u8]) -> Result<()> {
    let mut buffer = [0u8; MAX_PRIME_LEN];
    padded_public(group, value, &mut buffer).map(|_| ())
}

/// Left-pads and range-checks a public value into `buffer`, returning the padded value.
fn padded_public<'a>(
    group: FfdheGroup,
    value: &[u8],
    buffer: &'a mut [u8; MAX_PRIME_LEN],
) -> Result<&'a [u8]> {
    let padded = &mut buffer[..group.prime_len()];
    if !left_pad(value, padded) {
        return Err(Error::BadData("DH public value longer than the prime"));
    }
    // The peer value is public: branching on its validity leaks nothing.
    if !bool::from(in_open_range(group, padded)) {
        return Err(Error::BadData("DH public value out of range"));
    }
    Ok(padded)
}

/// An FFDHE key pair, usable for several agreements and shareable across threads.
pub struct DhPrivateKey {
    group: FfdheGroup,
    handle: DhHandle,
    public: Vec<u8>,
}

impl DhPrivateKey {
    /// Generates a key pair with a [`FfdheGroup::exponent_bits`]-bit private exponent.
    pub fn generate(group: FfdheGroup) -> Result<Self> {
        let handle =
            DhHandle::generate(group.prime(), group.exponent_bits()).ok_or(Error::Backend)?;
        Self::with_handle(group, handle)
    }

    /// Imports a private exponent x (big-endian, leading zeros allowed; from a
    /// `BCRYPT_DH_PRIVATE_BLOB`). x must satisfy 1 < x < p − 1, else [`Error::BadData`].
    pub fn from_private(group: FfdheGroup, x: &[u8]) -> Result<Self> {
        let mut padded = SecretVec::zeroed(group.prime_len());
        if !left_pad(x, padded.expose_mut()) {
            return Err(Error::BadData("DH private exponent longer than the prime"));
        }
        if !bool::from(in_open_range(group, padded.expose())) {
            return Err(Error::BadData("DH private exponent out of range"));
        }
        let handle = DhHandle::from_private(group.prime(), padded.expose())
            .ok_or(Error::BadData("DH private exponent rejected"))?;
        Self::with_handle(group, handle)
    }

    fn with_handle(group: FfdheGroup, handle: DhHandle) -> Result<Self> {
        let mut public = vec![0u8; group.prime_len()];
        if !handle.public_key(&mut public) {
            return Err(Error::Backend);
        }
        Ok(DhPrivateKey {
            group,
            handle,
            public,
        })
    }

    /// The group.
    pub fn group(&self) -> FfdheGroup {
        self.group
    }

    /// The public value g^x mod p, left-padded to the prime length.
    pub fn public_key(&self) -> Vec<u8> {
        self.public.clone()
    }

    /// The private exponent x, left-padded to the prime length (for `BCRYPT_DH_PRIVATE_BLOB`).
    pub fn private_exponent(&self) -> Result<SecretVec> {
        let mut x = SecretVec::zeroed(self.group.prime_len());
        if !self.handle.private_key(x.expose_mut()) {
            return Err(Error::Backend);
        }
        Ok(x)
    }

    /// The shared secret peer^x mod p, **left-padded to the prime length** (TLS 1.3 form,
    /// RFC 8446 §7.4.1); TLS ≤ 1.2 callers strip leading zero bytes (RFC 5246 §8.1.2).
    ///
    /// The peer value (big-endian, leading zeros allowed) must have no more significant bytes
    /// than the prime and satisfy 1 < Y < p − 1 (RFC 7919 §5.1), else [`Error::BadData`].
    pub fn agree(&self, peer_public: &[u8]) -> Result<SecretVec> {
        let mut buffer = [0u8; MAX_PRIME_LEN];
        let peer = padded_public(self.group, peer_public, &mut buffer)?;
        let prime_len = peer.len();
        let mut shared = SecretVec::zeroed(prime_len);
        if !self.handle.compute_key_padded(peer, shared.expose_mut()) {
            return Err(Error::BadData("DH agreement rejected the public value"));
        }
        Ok(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_constants() {
        for (group, bits, code) in [
            (FfdheGroup::Ffdhe2048, 2048, 256),
            (FfdheGroup::Ffdhe3072, 3072, 257),
            (FfdheGroup::Ffdhe4096, 4096, 258),
            (FfdheGroup::Ffdhe6144, 6144, 259),
            (FfdheGroup::Ffdhe8192, 8192, 260),
        ] {
            let p = group.prime();
            assert_eq!(group.bits(), bits);
            assert_eq!(group.tls_group(), code);
            assert_eq!(FfdheGroup::from_tls_group(code), Some(group));
            // RFC 7919: the top and bottom 64 bits of every prime are all ones.
            assert_eq!(&p[..8], &[0xff; 8]);
            assert_eq!(&p[p.len() - 8..], &[0xff; 8]);
            // All five share the first 130 bits of e after the leading ones.
            assert_eq!(&p[8..12], &[0xad, 0xf8, 0x54, 0x58]);
            let mut padded = vec![0, 0];
            padded.extend_from_slice(p);
            assert_eq!(FfdheGroup::from_params(&padded, &[0, 2]), Ok(group));
            assert_eq!(group.generator(), 2);
        }
        let p = FfdheGroup::Ffdhe2048.prime();
        assert!(matches!(
            FfdheGroup::from_params(p, &[5]),
            Err(Error::NotSupported(_))
        ));
        assert!(matches!(
            FfdheGroup::from_params(&p[1..], &[2]),
            Err(Error::NotSupported(_))
        ));
    }

    #[test]
    fn range_check() {
        let group = FfdheGroup::Ffdhe2048;
        let p = group.prime();
        let mut v = vec![0u8; 256];
        assert!(!bool::from(in_open_range(group, &v)));
        v[255] = 1;
        assert!(!bool::from(in_open_range(group, &v)));
        v[255] = 2;
        assert!(bool::from(in_open_range(group, &v)));
        let mut p_minus_1 = p.to_vec();
        p_minus_1[255] = 0xfe;
        assert!(!bool::from(in_open_range(group, &p_minus_1)));
        p_minus_1[255] = 0xfd;
        assert!(bool::from(in_open_range(group, &p_minus_1)));
        assert!(!bool::from(in_open_range(group, p)));
    }

    #[test]
    fn generate_agree_and_reimport() {
        for group in [FfdheGroup::Ffdhe2048, FfdheGroup::Ffdhe3072] {
            let a = DhPrivateKey::generate(group).unwrap();
            let b = DhPrivateKey::generate(group).unwrap();
            assert_eq!(a.public_key().len(), group.prime_len());
            let ab = a.agree(&b.public_key()).unwrap();
            assert_eq!(ab.expose(), b.agree(&a.public_key()).unwrap().expose());
            assert_eq!(ab.len(), group.prime_len());
            let x = a.private_exponent().unwrap();
            // The exponent has at most exponent_bits bits.
            let significant = strip_leading_zeros(x.expose());
            assert!(significant.len() * 8 <= group.exponent_bits() as usize + 7);
            let again = DhPrivateKey::from_private(group, x.expose()).unwrap();
            assert_eq!(again.public_key(), a.public_key());
            assert_eq!(again.group(), group);
        }
    }

    #[test]
    fn rejects_bad_values() {
        let group = FfdheGroup::Ffdhe2048;
        let key = DhPrivateKey::generate(group).unwrap();
        assert!(matches!(key.agree(&[]), Err(Error::BadData(_))));
        assert!(matches!(key.agree(&[1]), Err(Error::BadData(_))));
        assert!(matches!(key.agree(&[1u8; 257]), Err(Error::BadData(_))));
        assert!(matches!(key.agree(group.prime()), Err(Error::BadData(_))));
        assert!(matches!(
            DhPrivateKey::from_private(group, &[1]),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            DhPrivateKey::from_private(group, &[0]),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            DhPrivateKey::from_private(group, group.prime()),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            DhPrivateKey::from_private(group, &[1u8; 257]),
            Err(Error::BadData(_))
        ));
    }

    #[test]
    fn key_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DhPrivateKey>();
        assert_send_sync::<super::super::rsa::RsaPrivateKey>();
        assert_send_sync::<super::super::ec::EcdhPrivateKey>();
        assert_send_sync::<super::super::ec::EcdsaPrivateKey>();
    }
}

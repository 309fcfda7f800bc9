//! Elliptic curves: ephemeral ECDH/X25519 (`SslCreateEphemeralKey`, `SslGenerateMasterKey`)
//! through `aws_lc_rs::agreement`, and ECDSA over a precomputed digest (`SslSignHash`,
//! `SslVerifySignature`) through AWS-LC's `ECDSA_do_sign`/`ECDSA_do_verify` in `sys`, because
//! aws-lc-rs only signs digests with the curve's own hash (P-256/SHA-256, P-384/SHA-384) while
//! TLS 1.2 pairs any curve with SHA-1/256/384/512.

use super::digest::HashAlgorithm;
use super::sys::{self, EcCurve, EcKeyHandle};
use crate::{Error, Result, SecretVec};
use aws_lc_rs::agreement::{self, ParsedPublicKey, UnparsedPublicKey};
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin, EcPrivateKeyBin};
use subtle::ConstantTimeEq;

/// A named elliptic curve (TLS `NamedGroup`, CNG `BCRYPT_ECC_CURVE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
    /// Curve25519 for X25519 key agreement.
    X25519,
}

impl Curve {
    /// Field element (and private scalar) length in bytes: 32, 48, 66, 32.
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 | Curve::X25519 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The TLS `NamedGroup` code point (RFC 8422 / RFC 8446): 23, 24, 25, 29.
    pub fn tls_group(self) -> u16 {
        match self {
            Curve::P256 => 23,
            Curve::P384 => 24,
            Curve::P521 => 25,
            Curve::X25519 => 29,
        }
    }

    /// The curve for a TLS `NamedGroup` code point.
    pub fn from_tls_group(group: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.tls_group() == group)
    }

    /// The CNG curve name (`BCRYPT_ECC_CURVE_*`): "nistP256", "nistP384", "nistP521", "curve25519".
    pub fn cng_name(self) -> &'static str {
        match self {
            Curve::P256 => "nistP256",
            Curve::P384 => "nistP384",
            Curve::P521 => "nistP521",
            Curve::X25519 => "curve25519",
        }
    }

    /// The curve for a CNG curve name.
    pub fn from_cng_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.cng_name() == name)
    }

    /// Length of a public key as exchanged: 1 + 2·field_len (SEC1 uncompressed) for NIST
    /// curves, 32 for X25519.
    pub fn public_key_len(self) -> usize {
        match self {
            Curve::X25519 => 32,
            _ => 1 + 2 * self.field_len(),
        }
    }

    const ALL: [Curve; 4] = [Curve::P256, Curve::P384, Curve::P521, Curve::X25519];

    fn agreement_algorithm(self) -> &'static agreement::Algorithm {
        match self {
            Curve::P256 => &agreement::ECDH_P256,
            Curve::P384 => &agreement::ECDH_P384,
            Curve::P521 => &agreement::ECDH_P521,
            Curve::X25519 => &agreement::X25519,
        }
    }

    fn ecdsa_curve(self) -> Option<EcCurve> {
        match self {
            Curve::P256 => Some(EcCurve::P256),
            Curve::P384 => Some(EcCurve::P384),
            Curve::P521 => Some(EcCurve::P521),
            Curve::X25519 => None,
        }
    }

    fn from_ecdsa_curve(curve: EcCurve) -> Self {
        match curve {
            EcCurve::P256 => Curve::P256,
            EcCurve::P384 => Curve::P384,
            EcCurve::P521 => Curve::P521,
        }
    }
}

/// Checks the encoding of a peer public value: exactly [`Curve::public_key_len`] bytes and, for
/// NIST curves, the uncompressed form (0x04 prefix). Compressed, hybrid, DER and the point at
/// infinity (a single 0x00) are refused: TLS and CNG blobs only carry uncompressed points.
fn check_public_encoding(curve: Curve, public: &[u8]) -> Result<()> {
    if public.len() != curve.public_key_len() {
        return Err(Error::BadData(
            "public key has the wrong length for the curve",
        ));
    }
    if curve != Curve::X25519 && public.first() != Some(&0x04) {
        return Err(Error::BadData("public key is not an uncompressed point"));
    }
    Ok(())
}

/// Validates a peer public value for `curve`: encoding as in TLS (see [`Curve::public_key_len`])
/// and, for NIST curves, that the point is on the curve (AWS-LC's parser). For X25519 every
/// 32-byte string is a valid encoding (RFC 7748); low-order points are caught by
/// [`EcdhPrivateKey::agree`] (all-zero shared secret).
pub fn validate_public(curve: Curve, public: &[u8]) -> Result<()> {
    check_public_encoding(curve, public)?;
    let unparsed = UnparsedPublicKey::new(curve.agreement_algorithm(), public);
    ParsedPublicKey::try_from(&unparsed)
        .map(|_| ())
        .map_err(|_| Error::BadData("public point is not on the curve"))
}

/// An ECDH / X25519 private key, reusable for several agreements.
pub struct EcdhPrivateKey {
    curve: Curve,
    key: agreement::PrivateKey,
    public: Vec<u8>,
}

impl EcdhPrivateKey {
    /// Generates a fresh key (`SslCreateEphemeralKey`).
    pub fn generate(curve: Curve) -> Result<Self> {
        let key = agreement::PrivateKey::generate(curve.agreement_algorithm())?;
        Self::with_key(curve, key)
    }

    /// Imports a private scalar (from a `BCRYPT_ECCPRIVATE_BLOB`): big-endian d for NIST curves,
    /// the 32 raw bytes for X25519. For NIST curves a shorter value is left-padded and extra
    /// leading zero bytes are allowed; d = 0 or d ≥ order → [`Error::BadData`].
    pub fn from_private_scalar(curve: Curve, scalar: &[u8]) -> Result<Self> {
        let field_len = curve.field_len();
        let mut padded = SecretVec::zeroed(field_len);
        if curve == Curve::X25519 || scalar.len() > field_len {
            let excess = scalar.len().saturating_sub(field_len);
            let (prefix, value) = scalar.split_at(excess);
            let prefix_is_zero = prefix.iter().fold(0u8, |acc, &b| acc | b).ct_eq(&0);
            if value.len() != field_len || !bool::from(prefix_is_zero) {
                return Err(Error::BadData("private scalar is too long for the curve"));
            }
            padded.expose_mut().copy_from_slice(value);
        } else {
            let start = field_len - scalar.len();
            padded.expose_mut()[start..].copy_from_slice(scalar);
        }
        let key =
            agreement::PrivateKey::from_private_key(curve.agreement_algorithm(), padded.expose())
                .map_err(|_| Error::BadData("private scalar out of range"))?;
        Self::with_key(curve, key)
    }

    fn with_key(curve: Curve, key: agreement::PrivateKey) -> Result<Self> {
        let public = key.compute_public_key()?.as_ref().to_vec();
        Ok(EcdhPrivateKey { curve, key, public })
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The public value: SEC1 uncompressed 0x04 ‖ X ‖ Y for NIST curves, the 32-byte
    /// u-coordinate for X25519.
    pub fn public_key(&self) -> Vec<u8> {
        self.public.clone()
    }

    /// The private scalar: big-endian d (field length) for NIST curves, the 32 raw bytes for
    /// X25519 (for `BCRYPT_ECCPRIVATE_BLOB` export).
    pub fn private_scalar(&self) -> Result<SecretVec> {
        if self.curve == Curve::X25519 {
            let seed: Curve25519SeedBin = self.key.as_be_bytes()?;
            Ok(SecretVec::from_slice(seed.as_ref()))
        } else {
            let scalar: EcPrivateKeyBin = self.key.as_be_bytes()?;
            Ok(SecretVec::from_slice(scalar.as_ref()))
        }
    }

    /// The shared secret with `peer_public` (the x-coordinate, field length, for NIST curves;
    /// the 32-byte X25519 output). A peer value of the wrong length or form, not on the curve,
    /// or giving (X25519 only) an all-zero secret (low-order point) → [`Error::BadData`].
    pub fn agree(&self, peer_public: &[u8]) -> Result<SecretVec> {
        check_public_encoding(self.curve, peer_public)?;
        let peer = UnparsedPublicKey::new(self.curve.agreement_algorithm(), peer_public);
        let shared = agreement::agree(
            &self.key,
            peer,
            Error::BadData("invalid peer public key"),
            |secret| Ok(SecretVec::from_slice(secret)),
        )?;
        // Only X25519 has "all zero" as a failure (low-order peer, RFC 7748 §6.1); for NIST
        // curves an x-coordinate of 0 is a legitimate shared secret.
        let all_zero = shared
            .expose()
            .iter()
            .fold(0u8, |acc, &b| acc | b)
            .ct_eq(&0);
        if self.curve == Curve::X25519 && bool::from(all_zero) {
            return Err(Error::BadData("all-zero shared secret"));
        }
        Ok(shared)
    }
}

/// An ECDSA private key on P-256, P-384 or P-521, parsed once.
pub struct EcdsaPrivateKey {
    curve: Curve,
    handle: EcKeyHandle,
    public: Vec<u8>,
}

fn check_ecdsa_digest(hash: HashAlgorithm, digest: &[u8]) -> Result<()> {
    if hash == HashAlgorithm::Md5 {
        return Err(Error::NotSupported("ECDSA with MD5"));
    }
    if digest.len() != hash.output_len() {
        return Err(Error::InvalidParameter(
            "digest length does not match the hash",
        ));
    }
    Ok(())
}

impl EcdsaPrivateKey {
    /// Parses an unencrypted PKCS#8 EC private key. Malformed → [`Error::BadData`]; not EC or
    /// another curve → [`Error::NotSupported`].
    pub fn from_pkcs8(der: &[u8]) -> Result<Self> {
        match sys::parse_pkcs8(der) {
            Some(sys::ParsedPrivateKey::Ec(handle)) => Self::from_handle(handle),
            Some(_) => Err(Error::NotSupported(
                "not an ECDSA private key on a supported curve",
            )),
            None => Err(Error::BadData("malformed PKCS#8 private key")),
        }
    }

    pub(crate) fn from_handle(handle: EcKeyHandle) -> Result<Self> {
        let curve = handle
            .curve()
            .map(Curve::from_ecdsa_curve)
            .ok_or(Error::NotSupported("ECDSA curve"))?;
        let mut public = vec![0u8; curve.public_key_len()];
        if !handle.public_point(&mut public) {
            return Err(Error::BadData("EC private key without a public point"));
        }
        Ok(EcdsaPrivateKey {
            curve,
            handle,
            public,
        })
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The public key, SEC1 uncompressed.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Signs a precomputed digest; returns fixed-width r ‖ s (2 · field_len bytes, the CNG
    /// signature format). Any SHA hash with any curve (the digest is truncated to the order as
    /// ECDSA specifies); the digest length must match `hash` ([`Error::InvalidParameter`]).
    pub fn sign_digest(&self, hash: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        check_ecdsa_digest(hash, digest)?;
        let mut signature = vec![0u8; 2 * self.curve.field_len()];
        if !self.handle.sign_digest(digest, &mut signature) {
            return Err(Error::Backend);
        }
        Ok(signature)
    }
}

/// Verifies a fixed-width r ‖ s ECDSA signature over a precomputed digest with an uncompressed
/// SEC1 public key. A public key not on the curve → [`Error::BadData`]; X25519 →
/// [`Error::NotSupported`]; any signature failure (including a wrong length, or a digest length
/// that does not match `hash`) → [`Error::BadSignature`].
pub fn ecdsa_verify_digest(
    curve: Curve,
    public_sec1: &[u8],
    hash: HashAlgorithm,
    digest: &[u8],
    signature_r_s: &[u8],
) -> Result<()> {
    let ec_curve = curve
        .ecdsa_curve()
        .ok_or(Error::NotSupported("ECDSA on curve25519"))?;
    check_public_encoding(curve, public_sec1)?;
    let key = EcKeyHandle::from_public_point(ec_curve, public_sec1)
        .ok_or(Error::BadData("public point is not on the curve"))?;
    check_ecdsa_digest(hash, digest).map_err(|_| Error::BadSignature)?;
    if signature_r_s.len() != 2 * curve.field_len() {
        return Err(Error::BadSignature);
    }
    if key.verify_digest(digest, signature_r_s) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::digest::hash;

    #[test]
    fn curve_constants() {
        assert_eq!(
            Curve::ALL.map(|c| (c.field_len(), c.tls_group(), c.cng_name())),
            [
                (32, 23, "nistP256"),
                (48, 24, "nistP384"),
                (66, 25, "nistP521"),
                (32, 29, "curve25519")
            ]
        );
        assert_eq!(Curve::from_tls_group(29), Some(Curve::X25519));
        assert_eq!(Curve::from_tls_group(30), None);
        assert_eq!(Curve::from_cng_name("nistP384"), Some(Curve::P384));
    }

    #[test]
    fn ecdh_agrees_and_round_trips_scalar() {
        for curve in Curve::ALL {
            let a = EcdhPrivateKey::generate(curve).unwrap();
            let b = EcdhPrivateKey::generate(curve).unwrap();
            assert_eq!(a.public_key().len(), curve.public_key_len());
            validate_public(curve, &a.public_key()).unwrap();
            let ab = a.agree(&b.public_key()).unwrap();
            let ba = b.agree(&a.public_key()).unwrap();
            assert_eq!(ab.expose(), ba.expose());
            assert_eq!(ab.len(), curve.field_len());
            // Reusable key.
            assert_eq!(a.agree(&b.public_key()).unwrap().expose(), ab.expose());
            let scalar = a.private_scalar().unwrap();
            assert_eq!(scalar.len(), curve.field_len());
            let imported = EcdhPrivateKey::from_private_scalar(curve, scalar.expose()).unwrap();
            assert_eq!(imported.public_key(), a.public_key());
            assert_eq!(imported.curve(), curve);
        }
    }

    #[test]
    fn ecdh_rejects_bad_peers() {
        let key = EcdhPrivateKey::generate(Curve::P256).unwrap();
        let mut point = EcdhPrivateKey::generate(Curve::P256).unwrap().public_key();
        assert!(matches!(key.agree(&point[..64]), Err(Error::BadData(_))));
        assert!(matches!(key.agree(&[0]), Err(Error::BadData(_))));
        point[64] ^= 1; // off the curve
        assert!(matches!(key.agree(&point), Err(Error::BadData(_))));
        assert!(matches!(
            validate_public(Curve::P256, &point),
            Err(Error::BadData(_))
        ));
        point[0] = 0x02;
        assert!(matches!(
            validate_public(Curve::P256, &point[..33]),
            Err(Error::BadData(_))
        ));
        let x = EcdhPrivateKey::generate(Curve::X25519).unwrap();
        assert!(matches!(x.agree(&[0u8; 32]), Err(Error::BadData(_))));
        assert!(matches!(x.agree(&[9u8; 31]), Err(Error::BadData(_))));
    }

    #[test]
    fn scalar_import_lengths() {
        let mut d = [0u8; 32];
        d[31] = 1;
        let key = EcdhPrivateKey::from_private_scalar(Curve::P256, &d).unwrap();
        let short = EcdhPrivateKey::from_private_scalar(Curve::P256, &[1]).unwrap();
        let long = EcdhPrivateKey::from_private_scalar(
            Curve::P256,
            &[0, 0, 0]
                .iter()
                .chain(d.iter())
                .copied()
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(key.public_key(), short.public_key());
        assert_eq!(key.public_key(), long.public_key());
        assert!(matches!(
            EcdhPrivateKey::from_private_scalar(Curve::P256, &[0u8; 32]),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            EcdhPrivateKey::from_private_scalar(Curve::P256, &[0xff; 32]),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            EcdhPrivateKey::from_private_scalar(Curve::P256, &[1u8; 33]),
            Err(Error::BadData(_))
        ));
        assert!(matches!(
            EcdhPrivateKey::from_private_scalar(Curve::X25519, &[1u8; 31]),
            Err(Error::BadData(_))
        ));
    }

    #[test]
    fn ecdsa_sign_verify_any_hash() {
        for (alg, curve) in [
            (
                &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                Curve::P256,
            ),
            (
                &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                Curve::P384,
            ),
            (
                &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                Curve::P521,
            ),
        ] {
            let der = aws_lc_rs::signature::EcdsaKeyPair::generate(alg)
                .unwrap()
                .to_pkcs8v1()
                .unwrap();
            let key = EcdsaPrivateKey::from_pkcs8(der.as_ref()).unwrap();
            assert_eq!(key.curve(), curve);
            for h in [
                HashAlgorithm::Sha1,
                HashAlgorithm::Sha256,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha512,
            ] {
                let digest = hash(h, b"signed");
                let sig = key.sign_digest(h, digest.as_bytes()).unwrap();
                assert_eq!(sig.len(), 2 * curve.field_len());
                ecdsa_verify_digest(curve, key.public_key(), h, digest.as_bytes(), &sig).unwrap();
                let other = hash(h, b"other");
                assert_eq!(
                    ecdsa_verify_digest(curve, key.public_key(), h, other.as_bytes(), &sig),
                    Err(Error::BadSignature)
                );
                assert_eq!(
                    ecdsa_verify_digest(curve, key.public_key(), h, digest.as_bytes(), &sig[1..]),
                    Err(Error::BadSignature)
                );
            }
            assert!(matches!(
                key.sign_digest(HashAlgorithm::Sha256, &[0u8; 20]),
                Err(Error::InvalidParameter(_))
            ));
        }
    }

    #[test]
    fn ecdsa_interoperates_with_aws_lc_rs() {
        use aws_lc_rs::signature::{
            EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
        };
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let key = EcdsaPrivateKey::from_pkcs8(pair.to_pkcs8v1().unwrap().as_ref()).unwrap();
        assert_eq!(key.public_key(), pair.public_key().as_ref());
        let digest = hash(HashAlgorithm::Sha256, b"message");
        let sig = key
            .sign_digest(HashAlgorithm::Sha256, digest.as_bytes())
            .unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key())
            .verify(b"message", &sig)
            .unwrap();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let theirs = pair.sign(&rng, b"message").unwrap();
        ecdsa_verify_digest(
            Curve::P256,
            key.public_key(),
            HashAlgorithm::Sha256,
            digest.as_bytes(),
            theirs.as_ref(),
        )
        .unwrap();
    }
}

//! Signature schemes (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1): choosing one, signing handshake
//! content with the key-store key through the provider (`SslSignHash`), and verifying the peer's
//! signature with the public key of its certificate (`SslVerifySignature`).
//!
//! The provider signs and verifies digests; this module hashes the message with the scheme's
//! hash (through `keyward_core::backend`) and converts between the provider's fixed-width
//! ECDSA `r ‖ s` and the DER `ECDSA-Sig-Value` that TLS carries.

use crate::alert::AlertDescription;
use crate::error::Error;
use crate::verify::public_key_of;
use keyward_core::backend::{self, Curve, HashAlgorithm};
use keyward_ssl::flight::VerifySigner;
pub use keyward_ssl::signature::{ecdsa_der_to_fixed, ecdsa_fixed_to_der};
use keyward_ssl::{PrivateKey, PublicKey, SignaturePadding};

/// A TLS signature scheme this engine can make and check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// `rsa_pkcs1_sha256` (0x0401), TLS 1.2 only.
    RsaPkcs1Sha256,
    /// `rsa_pkcs1_sha384` (0x0501), TLS 1.2 only.
    RsaPkcs1Sha384,
    /// `rsa_pkcs1_sha512` (0x0601), TLS 1.2 only.
    RsaPkcs1Sha512,
    /// `rsa_pss_rsae_sha256` (0x0804).
    RsaPssRsaeSha256,
    /// `rsa_pss_rsae_sha384` (0x0805).
    RsaPssRsaeSha384,
    /// `rsa_pss_rsae_sha512` (0x0806).
    RsaPssRsaeSha512,
    /// `ecdsa_secp256r1_sha256` (0x0403); in TLS 1.2 ECDSA with SHA-256 on any curve.
    EcdsaSecp256r1Sha256,
    /// `ecdsa_secp384r1_sha384` (0x0503); in TLS 1.2 ECDSA with SHA-384 on any curve.
    EcdsaSecp384r1Sha384,
    /// `rsa_pkcs1_sha1` (0x0201): only for a TLS 1.2 ServerKeyExchange to a client that sent
    /// no `signature_algorithms` (`ServerConfig::legacy_clients`); never offered, chosen or
    /// accepted otherwise (not in [`SignatureScheme::ALL`]).
    RsaPkcs1Sha1,
    /// `ecdsa_sha1` (0x0203): as [`SignatureScheme::RsaPkcs1Sha1`], for ECDSA keys.
    EcdsaSha1,
}

/// The family of a scheme.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Pkcs1,
    Pss,
    /// ECDSA; the curve the scheme names in TLS 1.3 (`None`: no curve, SHA-1).
    Ecdsa(Option<Curve>),
}

impl SignatureScheme {
    /// Every scheme, in our preference order: ECDSA, then RSA-PSS, then RSA PKCS#1 v1.5; the
    /// shorter hash first within each family.
    pub const ALL: [SignatureScheme; 8] = [
        SignatureScheme::EcdsaSecp256r1Sha256,
        SignatureScheme::EcdsaSecp384r1Sha384,
        SignatureScheme::RsaPssRsaeSha256,
        SignatureScheme::RsaPssRsaeSha384,
        SignatureScheme::RsaPssRsaeSha512,
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPkcs1Sha384,
        SignatureScheme::RsaPkcs1Sha512,
    ];

    /// The wire value (`SignatureScheme` / TLS 1.2 `SignatureAndHashAlgorithm`).
    pub fn to_u16(self) -> u16 {
        match self {
            SignatureScheme::RsaPkcs1Sha256 => 0x0401,
            SignatureScheme::RsaPkcs1Sha384 => 0x0501,
            SignatureScheme::RsaPkcs1Sha512 => 0x0601,
            SignatureScheme::RsaPssRsaeSha256 => 0x0804,
            SignatureScheme::RsaPssRsaeSha384 => 0x0805,
            SignatureScheme::RsaPssRsaeSha512 => 0x0806,
            SignatureScheme::EcdsaSecp256r1Sha256 => 0x0403,
            SignatureScheme::EcdsaSecp384r1Sha384 => 0x0503,
            SignatureScheme::RsaPkcs1Sha1 => 0x0201,
            SignatureScheme::EcdsaSha1 => 0x0203,
        }
    }

    /// The scheme for a wire value; `None` for schemes this engine does not implement or
    /// accept from a peer (the SHA-1 schemes).
    pub fn from_u16(value: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.to_u16() == value)
    }

    /// The IANA name, e.g. `"rsa_pss_rsae_sha256"`.
    pub fn name(self) -> &'static str {
        match self {
            SignatureScheme::RsaPkcs1Sha256 => "rsa_pkcs1_sha256",
            SignatureScheme::RsaPkcs1Sha384 => "rsa_pkcs1_sha384",
            SignatureScheme::RsaPkcs1Sha512 => "rsa_pkcs1_sha512",
            SignatureScheme::RsaPssRsaeSha256 => "rsa_pss_rsae_sha256",
            SignatureScheme::RsaPssRsaeSha384 => "rsa_pss_rsae_sha384",
            SignatureScheme::RsaPssRsaeSha512 => "rsa_pss_rsae_sha512",
            SignatureScheme::EcdsaSecp256r1Sha256 => "ecdsa_secp256r1_sha256",
            SignatureScheme::EcdsaSecp384r1Sha384 => "ecdsa_secp384r1_sha384",
            SignatureScheme::RsaPkcs1Sha1 => "rsa_pkcs1_sha1",
            SignatureScheme::EcdsaSha1 => "ecdsa_sha1",
        }
    }

    /// The hash the message is digested with.
    pub fn hash(self) -> HashAlgorithm {
        match self {
            SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPssRsaeSha256
            | SignatureScheme::EcdsaSecp256r1Sha256 => HashAlgorithm::Sha256,
            SignatureScheme::RsaPkcs1Sha384
            | SignatureScheme::RsaPssRsaeSha384
            | SignatureScheme::EcdsaSecp384r1Sha384 => HashAlgorithm::Sha384,
            SignatureScheme::RsaPkcs1Sha512 | SignatureScheme::RsaPssRsaeSha512 => {
                HashAlgorithm::Sha512
            }
            SignatureScheme::RsaPkcs1Sha1 | SignatureScheme::EcdsaSha1 => HashAlgorithm::Sha1,
        }
    }

    /// True for the RSA schemes (PKCS#1 v1.5 and PSS).
    pub fn is_rsa(self) -> bool {
        !matches!(self.family(), Family::Ecdsa(_))
    }

    /// True when TLS 1.3 allows the scheme in CertificateVerify (not `rsa_pkcs1_*`, not
    /// SHA-1).
    pub fn allowed_in_tls13(self) -> bool {
        self.family() != Family::Pkcs1 && self.hash() != HashAlgorithm::Sha1
    }

    fn family(self) -> Family {
        match self {
            SignatureScheme::RsaPkcs1Sha256
            | SignatureScheme::RsaPkcs1Sha384
            | SignatureScheme::RsaPkcs1Sha512
            | SignatureScheme::RsaPkcs1Sha1 => Family::Pkcs1,
            SignatureScheme::RsaPssRsaeSha256
            | SignatureScheme::RsaPssRsaeSha384
            | SignatureScheme::RsaPssRsaeSha512 => Family::Pss,
            SignatureScheme::EcdsaSecp256r1Sha256 => Family::Ecdsa(Some(Curve::P256)),
            SignatureScheme::EcdsaSecp384r1Sha384 => Family::Ecdsa(Some(Curve::P384)),
            SignatureScheme::EcdsaSha1 => Family::Ecdsa(None),
        }
    }

    /// The provider padding for a digest made with this scheme's hash.
    fn padding(self) -> SignaturePadding {
        match self.family() {
            Family::Pkcs1 => SignaturePadding::Pkcs1(self.hash()),
            Family::Pss => SignaturePadding::Pss(self.hash()),
            Family::Ecdsa(_) => SignaturePadding::Raw,
        }
    }
}

impl std::fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of key a certificate or private key holds, as far as schemes care.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    Ecdsa(Curve),
    Other,
}

fn key_type(key: &PublicKey) -> KeyType {
    match key {
        PublicKey::Rsa(_) => KeyType::Rsa,
        PublicKey::Ecdsa { curve, .. } => KeyType::Ecdsa(*curve),
        _ => KeyType::Other,
    }
}

/// True when a key of `key` type may sign with `scheme` in the given version: RSA keys make
/// PSS (and, before TLS 1.3, PKCS#1 v1.5); ECDSA keys make ECDSA, on the scheme's own curve in
/// TLS 1.3 and with any curve in TLS 1.2 (where the scheme only names the hash).
fn key_fits(key: KeyType, scheme: SignatureScheme, tls13: bool) -> bool {
    if tls13 && !scheme.allowed_in_tls13() {
        return false;
    }
    match (key, scheme.family()) {
        (KeyType::Rsa, Family::Pkcs1 | Family::Pss) => true,
        (KeyType::Ecdsa(curve), Family::Ecdsa(scheme_curve)) => {
            !tls13 || Some(curve) == scheme_curve
        }
        _ => false,
    }
}

/// The scheme to sign with: first of our preference that the key can make and the peer offered.
/// TLS 1.3 excludes rsa_pkcs1_*; ECDSA schemes must match the key's curve in TLS 1.3.
///
/// In TLS 1.2 an ECDSA key prefers the scheme of its own curve (the hash of matching strength)
/// and falls back to the other ECDSA hash the peer offered.
pub fn choose_scheme(
    key: &PrivateKey,
    offered: &[SignatureScheme],
    tls13: bool,
) -> Option<SignatureScheme> {
    let kind = key_type(&key.public_key());
    let usable =
        |scheme: &SignatureScheme| key_fits(kind, *scheme, tls13) && offered.contains(scheme);
    let own_curve = SignatureScheme::ALL.into_iter().filter(
        |scheme| matches!((kind, scheme.family()), (KeyType::Ecdsa(c), Family::Ecdsa(s)) if Some(c) == s),
    );
    own_curve.chain(SignatureScheme::ALL).find(usable)
}

/// Hashes `message` with the scheme's hash and signs through PrivateKey::sign_hash; ECDSA output is DER-encoded for the wire.
///
/// A scheme of the other key type (an RSA scheme with an ECDSA key or the reverse) is
/// [`Error::General`]: [`choose_scheme`] never picks one.
pub fn sign(key: &PrivateKey, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
    if key.is_rsa() != scheme.is_rsa() {
        return Err(Error::General("signature scheme does not fit the key"));
    }
    let digest = backend::hash(scheme.hash(), message);
    let signature = key.sign_hash(digest.as_bytes(), scheme.padding())?;
    if scheme.is_rsa() {
        Ok(signature)
    } else {
        ecdsa_fixed_to_der(&signature).ok_or(Error::General(
            "provider returned a malformed ECDSA signature",
        ))
    }
}

/// How the provider signs a server's TLS 1.3 CertificateVerify with `key` and `scheme`, in
/// its flight ([`keyward_ssl::flight`]): the same signature as [`sign`] of the content.
pub fn verify_signer(key: &PrivateKey, scheme: SignatureScheme) -> VerifySigner<'_> {
    VerifySigner {
        key,
        scheme: scheme.to_u16(),
        hash: scheme.hash(),
        padding: scheme.padding(),
    }
}

/// Verifies a peer's wire signature over `message` with the public key of `end_entity_der`
/// (DER ECDSA accepted). Failure is Error::DecryptError.
///
/// A scheme the peer may not use with its certificate's key in this version (`rsa_pkcs1_*` in
/// TLS 1.3, an ECDSA scheme of another curve in TLS 1.3, a scheme of the other key type) is
/// [`Error::IllegalParameter`]; a certificate whose key cannot be read is
/// [`Error::Certificate`] (see [`public_key_of`]).
pub fn verify(
    end_entity_der: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
    tls13: bool,
) -> Result<(), Error> {
    let key = public_key_of(end_entity_der)?;
    verify_with_key(&key, scheme, message, signature, tls13)
}

/// [`verify`] with an already imported public key (RSA or ECDSA).
pub fn verify_with_key(
    key: &PublicKey,
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
    tls13: bool,
) -> Result<(), Error> {
    let kind = key_type(key);
    if kind == KeyType::Other {
        return Err(Error::Certificate(
            "certificate key cannot sign".into(),
            AlertDescription::UnsupportedCertificate,
        ));
    }
    if !key_fits(kind, scheme, tls13) {
        return Err(Error::IllegalParameter(
            "signature scheme not allowed for the peer's key",
        ));
    }
    let digest = backend::hash(scheme.hash(), message);
    let checked = match kind {
        KeyType::Ecdsa(curve) => {
            let fixed = ecdsa_der_to_fixed(signature, curve.field_len())
                .ok_or(Error::DecryptError("malformed ECDSA signature"))?;
            key.verify_signature(digest.as_bytes(), &fixed, scheme.padding())
        }
        _ => key.verify_signature(digest.as_bytes(), signature, scheme.padding()),
    };
    checked.map_err(|_| Error::DecryptError("bad signature"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for scheme in SignatureScheme::ALL {
            assert_eq!(SignatureScheme::from_u16(scheme.to_u16()), Some(scheme));
        }
        assert_eq!(SignatureScheme::from_u16(0x0201), None);
        assert_eq!(SignatureScheme::from_u16(0x0807), None);
        assert_eq!(
            SignatureScheme::RsaPssRsaeSha256.name(),
            "rsa_pss_rsae_sha256"
        );
    }
}

//! The device's X.509 certificate chain, as `GetCertificate` (crypto session) and
//! `StartInitialization` (OPM) return it.
//!
//! Both interfaces return "an X.509 certificate chain, DER-encoded" without naming a container
//! (docs/cryptosession-and-card.md, "The RSAES-OAEP key exchange and the OPM handshake"; "Open
//! questions", 3). keyward returns the certificates' DER encodings **concatenated, leaf first**,
//! each certificate signed by the next and the last one self-signed: `leaf ‖ root` for the device
//! chain. The leaf holds the RSA-2048 key that decrypts key-exchange blobs. [`verify`] checks such
//! a chain and returns the leaf's public key; it is what the application-side helpers use before
//! encrypting anything.

use crate::error::{Error, Result};
use crate::exchange::KeyExchangePublicKey;
use keyward_core::backend::{hash, HashAlgorithm, RsaPublicKey};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// Most certificates accepted in one chain.
pub const MAX_CHAIN_LEN: usize = 8;

/// Splits a concatenation of DER certificates (leaf first) into the certificates.
/// Empty input, trailing bytes, a malformed certificate or more than [`MAX_CHAIN_LEN`]
/// certificates → [`Error::BadCertificate`].
pub fn split(chain: &[u8]) -> Result<Vec<&[u8]>> {
    let mut certificates = Vec::new();
    let mut rest = chain;
    while !rest.is_empty() {
        if certificates.len() == MAX_CHAIN_LEN {
            return Err(Error::BadCertificate("too many certificates in the chain"));
        }
        let (after, _) = X509Certificate::from_der(rest)
            .map_err(|_| Error::BadCertificate("malformed certificate in the chain"))?;
        let consumed = rest.len() - after.len();
        let (certificate, remaining) = rest.split_at(consumed);
        certificates.push(certificate);
        rest = remaining;
    }
    if certificates.is_empty() {
        return Err(Error::BadCertificate("empty certificate chain"));
    }
    Ok(certificates)
}

/// Verifies a chain (leaf first) and returns the leaf's RSA key for the key exchange.
///
/// Checks, for every certificate: its issuer name is the next certificate's subject (its own
/// for the last), the issuing certificate is a CA (except for a lone self-signed leaf), and
/// its sha256WithRSAEncryption signature verifies under the issuer's key. The leaf must hold
/// an RSA-2048 key. Validity dates and the trust anchor are the caller's policy and are not
/// checked here. Any failure → [`Error::BadCertificate`].
pub fn verify(chain: &[u8]) -> Result<KeyExchangePublicKey> {
    let raw = split(chain)?;
    let mut certificates = Vec::with_capacity(raw.len());
    for der in &raw {
        let (_, certificate) = X509Certificate::from_der(der)
            .map_err(|_| Error::BadCertificate("malformed certificate in the chain"))?;
        certificates.push(certificate);
    }
    for (index, certificate) in certificates.iter().enumerate() {
        let issuer = certificates.get(index + 1).unwrap_or(certificate);
        if certificate.issuer().as_raw() != issuer.subject().as_raw() {
            return Err(Error::BadCertificate(
                "issuer name does not match the next certificate",
            ));
        }
        let signs_others = index + 1 < certificates.len();
        if signs_others && !issuer.is_ca() {
            return Err(Error::BadCertificate("issuing certificate is not a CA"));
        }
        verify_signature(certificate, issuer)?;
    }
    let leaf = certificates
        .first()
        .ok_or(Error::BadCertificate("empty certificate chain"))?;
    let key = KeyExchangePublicKey::from_spki_der(leaf.public_key().raw)?;
    Ok(key)
}

/// Checks `certificate`'s sha256WithRSAEncryption signature under `issuer`'s RSA key.
fn verify_signature(certificate: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Result<()> {
    if certificate.signature_algorithm.algorithm != OID_PKCS1_SHA256WITHRSA
        || certificate.tbs_certificate.signature.algorithm != OID_PKCS1_SHA256WITHRSA
    {
        return Err(Error::BadCertificate(
            "signature algorithm is not sha256WithRSAEncryption",
        ));
    }
    let issuer_key = match issuer.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => RsaPublicKey::from_components(rsa.modulus, rsa.exponent)
            .map_err(|_| Error::BadCertificate("unusable RSA key in the issuer"))?,
        _ => return Err(Error::BadCertificate("issuer key is not RSA")),
    };
    let digest = hash(HashAlgorithm::Sha256, certificate.tbs_certificate.as_ref());
    issuer_key
        .verify_pkcs1(
            HashAlgorithm::Sha256,
            digest.as_bytes(),
            &certificate.signature_value.data,
        )
        .map_err(|_| Error::BadCertificate("certificate signature does not verify"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rejects_garbage_and_empty() {
        assert_eq!(
            split(&[]).unwrap_err(),
            Error::BadCertificate("empty certificate chain")
        );
        assert!(matches!(split(b"not der"), Err(Error::BadCertificate(_))));
        assert!(matches!(verify(b"not der"), Err(Error::BadCertificate(_))));
    }
}

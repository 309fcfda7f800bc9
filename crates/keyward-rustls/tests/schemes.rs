//! Every signature scheme a keyward key offers rustls makes a signature that aws-lc-rs
//! verifies against the certificate's public key, in the form TLS carries (DER for ECDSA).

use std::sync::Arc;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use keyward_core::store::{KeyKind, KeyStore};
use keyward_rustls::{certified_key, schemes, KeyType, KeywardCertResolver, KeywardSigningKey};
use keyward_ssl::Provider;
use keyward_test_support::TempDir;
use rustls::pki_types::CertificateDer;
use rustls::sign::SigningKey;
use rustls::{SignatureAlgorithm, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

/// aws-lc-rs's verifier for a scheme.
fn verifier(scheme: SignatureScheme) -> &'static dyn VerificationAlgorithm {
    match scheme {
        SignatureScheme::RSA_PSS_SHA256 => &signature::RSA_PSS_2048_8192_SHA256,
        SignatureScheme::RSA_PSS_SHA384 => &signature::RSA_PSS_2048_8192_SHA384,
        SignatureScheme::RSA_PSS_SHA512 => &signature::RSA_PSS_2048_8192_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        SignatureScheme::ECDSA_NISTP256_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        SignatureScheme::ECDSA_NISTP384_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        other => panic!("no verifier for {other:?}"),
    }
}

fn subject_public_key(certificate: &[u8]) -> Vec<u8> {
    let (_, parsed) = X509Certificate::from_der(certificate).unwrap();
    parsed.public_key().subject_public_key.data.to_vec()
}

#[test]
fn every_offered_scheme_signs_and_verifies() {
    let home = TempDir::new("keyward-rustls-schemes");
    let store = KeyStore::open(home.path()).unwrap();
    let cases = [
        ("rsa2048", KeyKind::Rsa { bits: 2048 }, KeyType::Rsa),
        ("rsa3072", KeyKind::Rsa { bits: 3072 }, KeyType::Rsa),
        ("p256", KeyKind::EcP256, KeyType::EcdsaP256),
        ("p384", KeyKind::EcP384, KeyType::EcdsaP384),
    ];
    let stored: Vec<_> = cases
        .iter()
        .map(|(name, kind, _)| {
            store
                .generate_self_signed(name, *kind, &["localhost"])
                .unwrap()
        })
        .collect();
    let provider = Provider::with_key_store(store);
    let message = b"the server's part of a TLS handshake transcript";
    for ((name, _, key_type), stored) in cases.iter().zip(&stored) {
        let key = KeywardSigningKey::open(&provider, stored.certificate()).unwrap();
        assert_eq!(key.key_type(), *key_type, "{name}");
        assert_eq!(key.certificate(), stored.certificate());
        let algorithm = match key_type {
            KeyType::Rsa => SignatureAlgorithm::RSA,
            _ => SignatureAlgorithm::ECDSA,
        };
        assert_eq!(key.algorithm(), algorithm);
        let public_key = subject_public_key(stored.certificate());
        for scheme in schemes(*key_type) {
            let signer = key.choose_scheme(&[*scheme]).unwrap();
            assert_eq!(signer.scheme(), *scheme);
            let signature = signer.sign(message).unwrap();
            UnparsedPublicKey::new(verifier(*scheme), &public_key)
                .verify(message, &signature)
                .unwrap_or_else(|_| panic!("{name} {scheme:?} does not verify"));
            // A signature over another message does not.
            assert!(UnparsedPublicKey::new(verifier(*scheme), &public_key)
                .verify(b"another message", &signature)
                .is_err());
        }
        // Offers it cannot serve: another key type's schemes, Ed25519, SHA-1.
        let foreign: &[SignatureScheme] = match key_type {
            KeyType::Rsa => &[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::RSA_PKCS1_SHA1,
            ],
            KeyType::EcdsaP256 => &[
                SignatureScheme::ECDSA_NISTP384_SHA384,
                SignatureScheme::RSA_PSS_SHA256,
            ],
            KeyType::EcdsaP384 => &[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::ED25519,
            ],
        };
        assert!(key.choose_scheme(foreign).is_none(), "{name}");
        // The first scheme of the key's preference wins whatever the client's order.
        let mut offered: Vec<_> = schemes(*key_type).to_vec();
        offered.reverse();
        let chosen = key.choose_scheme(&offered).unwrap().scheme();
        assert_eq!(chosen, schemes(*key_type)[0]);
    }
}

#[test]
fn certified_keys_match_their_certificates() {
    let home = TempDir::new("keyward-rustls-certified");
    let store = KeyStore::open(home.path()).unwrap();
    let rsa = store
        .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
        .unwrap();
    let ec = store
        .generate_self_signed("ec", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let provider = Provider::with_key_store(store);
    for stored in [&rsa, &ec] {
        let chain = vec![CertificateDer::from(stored.certificate().to_vec())];
        let key = certified_key(&provider, chain).unwrap();
        key.keys_match().unwrap();
    }
    assert!(certified_key(&provider, Vec::new()).is_err());
    // A certificate the store has no key for.
    let other = TempDir::new("keyward-rustls-stranger");
    let stranger = KeyStore::open(other.path())
        .unwrap()
        .generate_self_signed("stranger", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let chain = vec![CertificateDer::from(stranger.certificate().to_vec())];
    assert!(certified_key(&provider, chain).is_err());

    let chains = vec![
        vec![CertificateDer::from(ec.certificate().to_vec())],
        vec![CertificateDer::from(rsa.certificate().to_vec())],
    ];
    let resolver = KeywardCertResolver::open(&provider, chains).unwrap();
    assert_eq!(resolver.keys().len(), 2);
    assert!(KeywardCertResolver::new(Vec::<Arc<_>>::new()).is_err());
}

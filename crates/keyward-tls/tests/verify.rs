//! Server certificate verification (rustls-webpki) with rcgen-made CAs and leaves, and the
//! public key of a certificate as a provider key.

use keyward_ssl::{PrivateKey, PublicKey};
use keyward_test_support::TempDir;
use keyward_tls::verify::{public_key_of, ServerCertVerifier};
use keyward_tls::{AlertDescription, Error};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: Vec<u8>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// An intermediate CA signed by `parent`.
fn intermediate(parent: &Ca, name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let cert = params.signed_by(&key, &parent.issuer).unwrap();
    Ca {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

fn leaf_with(params: CertificateParams, issuer: &Ca) -> Vec<u8> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    params
        .signed_by(&key, &issuer.issuer)
        .unwrap()
        .der()
        .to_vec()
}

fn leaf(issuer: &Ca) -> Vec<u8> {
    let mut params = leaf_params(&["localhost", "*.example.test"]);
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    leaf_with(params, issuer)
}

fn verifier(ca: &Ca) -> ServerCertVerifier {
    ServerCertVerifier::from_pem(ca.pem.as_bytes()).unwrap()
}

fn alert_of(result: Result<(), Error>) -> AlertDescription {
    match result {
        Err(Error::Certificate(_, alert)) => alert,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn good_chain_and_names() {
    let root = ca("Test Root");
    let verifier = verifier(&root);
    assert_eq!(verifier.root_count(), 1);
    let chain = vec![leaf(&root)];
    verifier.verify(&chain, "localhost").unwrap();
    verifier.verify(&chain, "LOCALHOST").unwrap();
    verifier.verify(&chain, "www.example.test").unwrap();
    verifier.verify(&chain, "127.0.0.1").unwrap();
    // The CA certificate sent along is harmless.
    verifier
        .verify(&[chain[0].clone(), root.der.clone()], "localhost")
        .unwrap();
}

#[test]
fn wrong_name() {
    let root = ca("Test Root");
    let verifier = verifier(&root);
    let chain = vec![leaf(&root)];
    for name in [
        "other.test",
        "example.test",
        "a.b.example.test",
        "127.0.0.2",
        "::1",
    ] {
        assert_eq!(
            alert_of(verifier.verify(&chain, name)),
            AlertDescription::BadCertificate,
            "{name}"
        );
    }
    assert_eq!(
        alert_of(verifier.verify(&chain, "not a name!")),
        AlertDescription::BadCertificate
    );
}

#[test]
fn unknown_ca() {
    let root = ca("Test Root");
    let other = ca("Other Root");
    let chain = vec![leaf(&root)];
    assert_eq!(
        alert_of(verifier(&other).verify(&chain, "localhost")),
        AlertDescription::UnknownCa
    );
    // A self-signed leaf is its own unknown CA.
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let self_signed = leaf_params(&["localhost"]).self_signed(&key).unwrap();
    assert_eq!(
        alert_of(verifier(&root).verify(&[self_signed.der().to_vec()], "localhost")),
        AlertDescription::UnknownCa
    );
}

#[test]
fn intermediates() {
    let root = ca("Test Root");
    let inter = intermediate(&root, "Test Intermediate");
    let leaf = leaf(&inter);
    let verifier = verifier(&root);
    verifier
        .verify(&[leaf.clone(), inter.der.clone()], "localhost")
        .unwrap();
    assert_eq!(
        alert_of(verifier.verify(std::slice::from_ref(&leaf), "localhost")),
        AlertDescription::UnknownCa
    );
    // Trusting the intermediate directly works too.
    ServerCertVerifier::from_pem(inter.pem.as_bytes())
        .unwrap()
        .verify(&[leaf], "localhost")
        .unwrap();
}

#[test]
fn expired_and_not_yet_valid() {
    let root = ca("Test Root");
    let verifier = verifier(&root);
    let mut params = leaf_params(&["localhost"]);
    params.not_before = rcgen::date_time_ymd(2001, 1, 1);
    params.not_after = rcgen::date_time_ymd(2002, 1, 1);
    let expired = vec![leaf_with(params, &root)];
    assert_eq!(
        alert_of(verifier.verify(&expired, "localhost")),
        AlertDescription::CertificateExpired
    );
    // Valid at a time inside its validity.
    let mid_2001 = 994_000_000; // 2001-07-01
    verifier
        .verify_at_time(&expired, "localhost", mid_2001)
        .unwrap();
    let mut params = leaf_params(&["localhost"]);
    params.not_before = rcgen::date_time_ymd(2090, 1, 1);
    params.not_after = rcgen::date_time_ymd(2091, 1, 1);
    let future = vec![leaf_with(params, &root)];
    assert_eq!(
        alert_of(verifier.verify(&future, "localhost")),
        AlertDescription::CertificateExpired
    );
}

#[test]
fn wrong_usage() {
    let root = ca("Test Root");
    let mut params = leaf_params(&["localhost"]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let chain = vec![leaf_with(params, &root)];
    assert_eq!(
        alert_of(verifier(&root).verify(&chain, "localhost")),
        AlertDescription::UnsupportedCertificate
    );
}

#[test]
fn malformed_and_empty_chains() {
    let root = ca("Test Root");
    let verifier = verifier(&root);
    assert_eq!(
        alert_of(verifier.verify(&[], "localhost")),
        AlertDescription::DecodeError
    );
    assert_eq!(
        alert_of(verifier.verify(&[b"garbage".to_vec()], "localhost")),
        AlertDescription::BadCertificate
    );
    let mut truncated = leaf(&root);
    truncated.pop();
    assert!(verifier.verify(&[truncated], "localhost").is_err());
    // A leaf whose signature was changed is refused.
    let mut forged = leaf(&root);
    let last = forged.len() - 3;
    forged[last] ^= 1;
    assert!(verifier.verify(&[forged], "localhost").is_err());
}

#[test]
fn insecure_accepts_anything_but_nothing() {
    let verifier = ServerCertVerifier::insecure();
    assert!(verifier.is_insecure());
    let other = ca("Anyone");
    verifier.verify(&[leaf(&other)], "wrong.name").unwrap();
    verifier.verify(&[b"garbage".to_vec()], "x").unwrap();
    assert!(verifier.verify(&[], "x").is_err());
}

#[test]
fn ca_files() {
    let dir = TempDir::new("tls-verify");
    let root = ca("Root A");
    let other = ca("Root B");
    let bundle = dir.join("bundle.pem");
    std::fs::write(
        &bundle,
        format!(
            "# a comment\n{}\nsome text between\n{}",
            other.pem, root.pem
        ),
    )
    .unwrap();
    let verifier = ServerCertVerifier::from_ca_file(&bundle).unwrap();
    assert_eq!(verifier.root_count(), 2);
    verifier.verify(&[leaf(&root)], "localhost").unwrap();
    verifier.verify(&[leaf(&other)], "localhost").unwrap();
    // Clones share the anchors.
    verifier
        .clone()
        .verify(&[leaf(&root)], "localhost")
        .unwrap();

    let missing = dir.join("missing.pem");
    let error = ServerCertVerifier::from_ca_file(&missing).unwrap_err();
    assert!(error.to_string().contains("missing.pem"), "{error}");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    assert!(ServerCertVerifier::from_ca_file(&empty).is_err());
    let broken = dir.join("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
    assert!(ServerCertVerifier::from_ca_file(&broken).is_err());
    let garbage = dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert!(ServerCertVerifier::from_ca_file(&garbage).is_err());
}

#[cfg(feature = "native-roots")]
#[test]
fn system_roots_load_or_fail_cleanly() {
    match ServerCertVerifier::system_roots() {
        Ok(verifier) => assert!(verifier.root_count() > 0),
        Err(error) => eprintln!("no system roots here: {error}"),
    }
}

fn self_signed(key: &KeyPair) -> (Vec<u8>, Vec<u8>) {
    let cert = leaf_params(&["key.test"]).self_signed(key).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

#[test]
fn public_keys_of_certificates() {
    for alg in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
    ] {
        let key = KeyPair::generate_for(alg).unwrap();
        let (cert, pkcs8) = self_signed(&key);
        let ours = PrivateKey::from_pkcs8(&pkcs8, &cert).unwrap().public_key();
        match (public_key_of(&cert).unwrap(), ours) {
            (
                PublicKey::Ecdsa { curve, point },
                PublicKey::Ecdsa {
                    curve: c2,
                    point: p2,
                },
            ) => {
                assert_eq!(curve, c2);
                assert_eq!(point, p2);
            }
            _ => panic!("expected ECDSA keys"),
        }
    }
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let (cert, pkcs8) = self_signed(&key);
    let ours = PrivateKey::from_pkcs8(&pkcs8, &cert).unwrap().public_key();
    match (public_key_of(&cert).unwrap(), ours) {
        (PublicKey::Rsa(theirs), PublicKey::Rsa(ours)) => {
            assert_eq!(theirs.modulus(), ours.modulus());
            assert_eq!(theirs.exponent(), ours.exponent());
            assert_eq!(theirs.bits(), 2048);
        }
        _ => panic!("expected RSA keys"),
    }
}

#[test]
fn unsupported_and_malformed_keys() {
    for alg in [&rcgen::PKCS_ED25519, &rcgen::PKCS_ECDSA_P521_SHA512] {
        let key = KeyPair::generate_for(alg).unwrap();
        let cert = leaf_params(&["key.test"]).self_signed(&key).unwrap();
        match public_key_of(cert.der()) {
            Err(Error::Certificate(_, AlertDescription::UnsupportedCertificate)) => {}
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }
    for bad in [&b""[..], b"\x30\x00", b"garbage"] {
        match public_key_of(bad) {
            Err(Error::Certificate(_, AlertDescription::BadCertificate)) => {}
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let (mut cert, _) = self_signed(&key);
    cert.push(0);
    assert!(public_key_of(&cert).is_err());
}

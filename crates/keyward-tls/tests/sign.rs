//! Signature schemes: sign → verify round trips through the provider, OpenSSL-made signatures,
//! scheme rules per version, and strict DER decoding of ECDSA signatures.

use keyward_ssl::PrivateKey;
use keyward_test_support::TempDir;
use keyward_tls::sign::{
    choose_scheme, ecdsa_der_to_fixed, ecdsa_fixed_to_der, sign, verify, SignatureScheme,
};
use keyward_tls::{AlertDescription, Error};
use std::path::PathBuf;

use SignatureScheme::*;

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A key made with rcgen and its self-signed certificate, opened as the provider's key.
struct TestKey {
    key: PrivateKey,
    cert: Vec<u8>,
}

fn rcgen_key(key_pair: rcgen::KeyPair) -> TestKey {
    let params = rcgen::CertificateParams::new(vec!["sign.test".to_owned()]).unwrap();
    let cert = params.self_signed(&key_pair).unwrap().der().to_vec();
    let pkcs8 = key_pair.serialize_der();
    TestKey {
        key: PrivateKey::from_pkcs8(&pkcs8, &cert).unwrap(),
        cert,
    }
}

fn rsa2048() -> TestKey {
    rcgen_key(
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .unwrap(),
    )
}

fn p256() -> TestKey {
    rcgen_key(rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap())
}

fn p384() -> TestKey {
    rcgen_key(rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap())
}

fn fixture_key(name: &str) -> TestKey {
    let cert = data(&format!("{name}.cert.der"));
    let pkcs8 = data(&format!("{name}.key.p8.der"));
    TestKey {
        key: PrivateKey::from_pkcs8(&pkcs8, &cert).unwrap(),
        cert,
    }
}

fn is_decrypt_error(result: Result<(), Error>) -> bool {
    matches!(result, Err(Error::DecryptError(_)))
}

fn is_illegal(result: Result<(), Error>) -> bool {
    matches!(result, Err(Error::IllegalParameter(_)))
}

const MESSAGE: &[u8] = b"TLS 1.3, server CertificateVerify\0 transcript hash goes here";

/// Signs with every scheme the key may use in the version, verifies, and checks that a changed
/// message or signature fails.
fn round_trips(test: &TestKey, tls13: bool) -> Vec<SignatureScheme> {
    let mut used = Vec::new();
    for scheme in SignatureScheme::ALL {
        if choose_scheme(&test.key, &[scheme], tls13).is_none() {
            continue;
        }
        used.push(scheme);
        let signature = sign(&test.key, scheme, MESSAGE).unwrap();
        verify(&test.cert, scheme, MESSAGE, &signature, tls13)
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        let mut other = MESSAGE.to_vec();
        other[0] ^= 1;
        assert!(is_decrypt_error(verify(
            &test.cert, scheme, &other, &signature, tls13
        )));
        for index in [0, signature.len() / 2, signature.len() - 1] {
            let mut bad = signature.clone();
            bad[index] ^= 0x01;
            assert!(
                is_decrypt_error(verify(&test.cert, scheme, MESSAGE, &bad, tls13)),
                "{scheme}: flipped byte {index}"
            );
        }
        assert!(is_decrypt_error(verify(
            &test.cert,
            scheme,
            MESSAGE,
            &signature[..signature.len() - 1],
            tls13
        )));
        assert!(is_decrypt_error(verify(
            &test.cert,
            scheme,
            MESSAGE,
            &[],
            tls13
        )));
    }
    used
}

#[test]
fn rsa_round_trips() {
    let key = rsa2048();
    assert_eq!(
        round_trips(&key, true),
        [RsaPssRsaeSha256, RsaPssRsaeSha384, RsaPssRsaeSha512]
    );
    assert_eq!(
        round_trips(&key, false),
        [
            RsaPssRsaeSha256,
            RsaPssRsaeSha384,
            RsaPssRsaeSha512,
            RsaPkcs1Sha256,
            RsaPkcs1Sha384,
            RsaPkcs1Sha512
        ]
    );
    // PKCS#1 v1.5 signatures are deterministic, PSS ones are not.
    let a = sign(&key.key, RsaPkcs1Sha256, MESSAGE).unwrap();
    assert_eq!(a, sign(&key.key, RsaPkcs1Sha256, MESSAGE).unwrap());
    assert_eq!(a.len(), 256);
    let b = sign(&key.key, RsaPssRsaeSha256, MESSAGE).unwrap();
    assert_ne!(b, sign(&key.key, RsaPssRsaeSha256, MESSAGE).unwrap());
    // A PSS signature is not a PKCS#1 one, nor one of another hash.
    assert!(is_decrypt_error(verify(
        &key.cert,
        RsaPkcs1Sha256,
        MESSAGE,
        &b,
        false
    )));
    assert!(is_decrypt_error(verify(
        &key.cert,
        RsaPssRsaeSha384,
        MESSAGE,
        &b,
        true
    )));
}

#[test]
fn ecdsa_round_trips() {
    let key = p256();
    assert_eq!(round_trips(&key, true), [EcdsaSecp256r1Sha256]);
    assert_eq!(
        round_trips(&key, false),
        [EcdsaSecp256r1Sha256, EcdsaSecp384r1Sha384]
    );
    let key = p384();
    assert_eq!(round_trips(&key, true), [EcdsaSecp384r1Sha384]);
    assert_eq!(
        round_trips(&key, false),
        [EcdsaSecp256r1Sha256, EcdsaSecp384r1Sha384]
    );
}

#[test]
fn ecdsa_signatures_are_der() {
    for (key, field_len) in [(p256(), 32), (p384(), 48)] {
        let scheme = if field_len == 32 {
            EcdsaSecp256r1Sha256
        } else {
            EcdsaSecp384r1Sha384
        };
        for _ in 0..16 {
            let der = sign(&key.key, scheme, MESSAGE).unwrap();
            assert_eq!(der[0], 0x30);
            assert_eq!(usize::from(der[1]), der.len() - 2);
            let fixed = ecdsa_der_to_fixed(&der, field_len).unwrap();
            assert_eq!(ecdsa_fixed_to_der(&fixed).unwrap(), der);
            // The provider's fixed-width form is not accepted on the wire.
            assert!(is_decrypt_error(verify(
                &key.cert, scheme, MESSAGE, &fixed, true
            )));
        }
    }
}

#[test]
fn choose_scheme_rules() {
    let rsa = rsa2048();
    let all = SignatureScheme::ALL;
    assert_eq!(choose_scheme(&rsa.key, &all, true), Some(RsaPssRsaeSha256));
    assert_eq!(choose_scheme(&rsa.key, &all, false), Some(RsaPssRsaeSha256));
    let pkcs1 = [RsaPkcs1Sha512, RsaPkcs1Sha256];
    assert_eq!(choose_scheme(&rsa.key, &pkcs1, true), None);
    assert_eq!(choose_scheme(&rsa.key, &pkcs1, false), Some(RsaPkcs1Sha256));
    assert_eq!(
        choose_scheme(&rsa.key, &[RsaPkcs1Sha256, RsaPssRsaeSha512], true),
        Some(RsaPssRsaeSha512)
    );
    let ecdsa = [EcdsaSecp256r1Sha256, EcdsaSecp384r1Sha384];
    assert_eq!(choose_scheme(&rsa.key, &ecdsa, false), None);
    assert_eq!(choose_scheme(&rsa.key, &[], false), None);

    let p256 = p256();
    assert_eq!(
        choose_scheme(&p256.key, &all, true),
        Some(EcdsaSecp256r1Sha256)
    );
    assert_eq!(
        choose_scheme(&p256.key, &[EcdsaSecp384r1Sha384], true),
        None
    );
    assert_eq!(
        choose_scheme(&p256.key, &[EcdsaSecp384r1Sha384], false),
        Some(EcdsaSecp384r1Sha384)
    );
    assert_eq!(choose_scheme(&p256.key, &[RsaPssRsaeSha256], false), None);

    let p384 = p384();
    // Its own curve first, in either version.
    assert_eq!(
        choose_scheme(&p384.key, &ecdsa, true),
        Some(EcdsaSecp384r1Sha384)
    );
    assert_eq!(
        choose_scheme(&p384.key, &ecdsa, false),
        Some(EcdsaSecp384r1Sha384)
    );
    assert_eq!(
        choose_scheme(&p384.key, &[EcdsaSecp256r1Sha256], true),
        None
    );
    assert_eq!(
        choose_scheme(&p384.key, &[EcdsaSecp256r1Sha256], false),
        Some(EcdsaSecp256r1Sha256)
    );
}

#[test]
fn schemes_not_allowed_for_the_key_or_version() {
    let rsa = rsa2048();
    let p256 = p256();
    // The peer used a scheme that does not fit its certificate, or TLS 1.3 forbids.
    let pkcs1 = sign(&rsa.key, RsaPkcs1Sha256, MESSAGE).unwrap();
    assert!(is_illegal(verify(
        &rsa.cert,
        RsaPkcs1Sha256,
        MESSAGE,
        &pkcs1,
        true
    )));
    verify(&rsa.cert, RsaPkcs1Sha256, MESSAGE, &pkcs1, false).unwrap();
    assert!(is_illegal(verify(
        &p256.cert,
        RsaPssRsaeSha256,
        MESSAGE,
        &pkcs1,
        false
    )));
    let ecdsa = sign(&p256.key, EcdsaSecp256r1Sha256, MESSAGE).unwrap();
    assert!(is_illegal(verify(
        &rsa.cert,
        EcdsaSecp256r1Sha256,
        MESSAGE,
        &ecdsa,
        false
    )));
    let ecdsa384 = sign(&p256.key, EcdsaSecp384r1Sha384, MESSAGE).unwrap();
    assert!(is_illegal(verify(
        &p256.cert,
        EcdsaSecp384r1Sha384,
        MESSAGE,
        &ecdsa384,
        true
    )));
    verify(&p256.cert, EcdsaSecp384r1Sha384, MESSAGE, &ecdsa384, false).unwrap();
    // Signing with a scheme of the other key type is refused locally.
    assert!(sign(&rsa.key, EcdsaSecp256r1Sha256, MESSAGE).is_err());
    assert!(sign(&p256.key, RsaPssRsaeSha256, MESSAGE).is_err());
}

#[test]
fn errors_carry_the_right_alert() {
    let rsa = rsa2048();
    let signature = sign(&rsa.key, RsaPssRsaeSha256, MESSAGE).unwrap();
    let error = verify(&rsa.cert, RsaPssRsaeSha256, b"other", &signature, true).unwrap_err();
    assert_eq!(error.alert(), Some(AlertDescription::DecryptError));
    match verify(
        b"not a certificate",
        RsaPssRsaeSha256,
        MESSAGE,
        &signature,
        true,
    ) {
        Err(Error::Certificate(_, AlertDescription::BadCertificate)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn openssl_signatures_verify() {
    let message = data("message.bin");
    let rsa = data("rsa2048.cert.der");
    let p256 = data("p256.cert.der");
    let p384 = data("p384.cert.der");
    let cases: [(&[u8], SignatureScheme, &str, bool); 10] = [
        (&rsa, RsaPkcs1Sha256, "rsa2048.pkcs1.sha256.sig", false),
        (&rsa, RsaPkcs1Sha384, "rsa2048.pkcs1.sha384.sig", false),
        (&rsa, RsaPkcs1Sha512, "rsa2048.pkcs1.sha512.sig", false),
        (&rsa, RsaPssRsaeSha256, "rsa2048.pss.sha256.sig", true),
        (&rsa, RsaPssRsaeSha384, "rsa2048.pss.sha384.sig", true),
        (&rsa, RsaPssRsaeSha512, "rsa2048.pss.sha512.sig", true),
        (&p256, EcdsaSecp256r1Sha256, "p256.sha256.sig", true),
        (&p256, EcdsaSecp256r1Sha256, "p256.sha256.short.sig", true),
        (&p384, EcdsaSecp384r1Sha384, "p384.sha384.sig", true),
        (&p256, EcdsaSecp384r1Sha384, "p256.sha384.sig", false),
    ];
    for (cert, scheme, file, tls13) in cases {
        let signature = data(file);
        verify(cert, scheme, &message, &signature, tls13).unwrap_or_else(|e| panic!("{file}: {e}"));
        // Also in TLS 1.2, whatever the scheme.
        verify(cert, scheme, &message, &signature, false).unwrap();
        let mut bad = message.clone();
        bad.push(b'!');
        assert!(
            is_decrypt_error(verify(cert, scheme, &bad, &signature, false)),
            "{file}"
        );
    }
    // The curve-mismatched pairs are TLS 1.2 only.
    let cross = data("p384.sha256.sig");
    verify(&p384, EcdsaSecp256r1Sha256, &message, &cross, false).unwrap();
    assert!(is_illegal(verify(
        &p384,
        EcdsaSecp256r1Sha256,
        &message,
        &cross,
        true
    )));
    // A signature checked against another certificate fails.
    let signature = data("p256.sha256.sig");
    assert!(is_decrypt_error(verify(
        &p384,
        EcdsaSecp256r1Sha256,
        &message,
        &signature,
        false
    )));
    let short = data("p256.sha256.short.sig");
    let fixed = ecdsa_der_to_fixed(&short, 32).unwrap();
    assert_eq!(fixed[0], 0, "the fixture has a short r");
    assert_eq!(ecdsa_fixed_to_der(&fixed).unwrap(), short);
}

#[test]
fn fixture_keys_sign_and_verify() {
    for (name, scheme) in [
        ("rsa2048", RsaPssRsaeSha256),
        ("rsa2048", RsaPkcs1Sha384),
        ("p256", EcdsaSecp256r1Sha256),
        ("p384", EcdsaSecp384r1Sha384),
    ] {
        let key = fixture_key(name);
        let signature = sign(&key.key, scheme, MESSAGE).unwrap();
        verify(&key.cert, scheme, MESSAGE, &signature, false).unwrap();
    }
}

/// OpenSSL verifies keyward's signatures too (skipped when no `openssl` binary is on PATH).
#[test]
fn openssl_verifies_our_signatures() {
    let dir = TempDir::new("tls-sign");
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
    };
    if run(&["version"]).is_err() {
        eprintln!("openssl not found; skipped");
        return;
    }
    std::fs::write(dir.join("message.bin"), MESSAGE).unwrap();
    let cases = [
        (rsa2048(), RsaPkcs1Sha256, "sha256", None),
        (rsa2048(), RsaPssRsaeSha384, "sha384", Some("sha384")),
        (rsa2048(), RsaPssRsaeSha512, "sha512", Some("sha512")),
        (p256(), EcdsaSecp256r1Sha256, "sha256", None),
        (p384(), EcdsaSecp384r1Sha384, "sha384", None),
        (p256(), EcdsaSecp384r1Sha384, "sha384", None),
    ];
    for (index, (key, scheme, digest, pss)) in cases.into_iter().enumerate() {
        let cert = format!("cert{index}.der");
        let public = format!("pub{index}.pem");
        let sig = format!("sig{index}.bin");
        std::fs::write(dir.join(&cert), &key.cert).unwrap();
        let out = run(&[
            "x509", "-inform", "DER", "-in", &cert, "-pubkey", "-noout", "-out", &public,
        ])
        .unwrap();
        assert!(out.status.success(), "{out:?}");
        std::fs::write(dir.join(&sig), sign(&key.key, scheme, MESSAGE).unwrap()).unwrap();
        let digest_flag = format!("-{digest}");
        let mut args = vec![
            "dgst",
            digest_flag.as_str(),
            "-verify",
            &public,
            "-signature",
            &sig,
        ];
        let mgf1 = pss.map(|h| format!("rsa_mgf1_md:{h}"));
        if let Some(mgf1) = &mgf1 {
            args.extend([
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
                "-sigopt",
                mgf1.as_str(),
            ]);
        }
        args.push("message.bin");
        let out = run(&args).unwrap();
        assert!(out.status.success(), "{scheme}: {out:?}");
    }
}

// ---- DER decoding of ECDSA signatures ----

fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if contents.len() < 0x80 {
        out.push(contents.len() as u8);
    } else {
        out.extend([0x81, contents.len() as u8]);
    }
    out.extend_from_slice(contents);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

#[test]
fn der_edge_cases() {
    let key = p256();
    let good = sign(&key.key, EcdsaSecp256r1Sha256, MESSAGE).unwrap();
    let fixed = ecdsa_der_to_fixed(&good, 32).unwrap();
    let (r, s) = fixed.split_at(32);
    let check =
        |signature: &[u8]| verify(&key.cert, EcdsaSecp256r1Sha256, MESSAGE, signature, true);
    check(&good).unwrap();

    // Re-encoded minimally by hand: same as ours.
    let minimal = |v: &[u8]| {
        let v = &v[v.iter().position(|&b| b != 0).unwrap()..];
        let mut c = Vec::new();
        if v[0] & 0x80 != 0 {
            c.push(0);
        }
        c.extend_from_slice(v);
        der(0x02, &c)
    };
    let (r_der, s_der) = (minimal(r), minimal(s));
    assert_eq!(seq(&[&r_der, &s_der]), good);

    let mut rejected: Vec<(&str, Vec<u8>)> = Vec::new();
    // Non-minimal integer: an extra leading zero.
    rejected.push((
        "extra zero",
        seq(&[&der(0x02, &[&[0u8][..], &r_der[2..]].concat()), &s_der]),
    ));
    // Negative integer (sign bit set, no zero pad).
    let mut neg = r.to_vec();
    neg[0] |= 0x80;
    rejected.push(("negative", seq(&[&der(0x02, &neg), &s_der])));
    // Zero and empty integers.
    rejected.push(("zero r", seq(&[&der(0x02, &[0]), &s_der])));
    rejected.push(("empty r", seq(&[&der(0x02, &[]), &s_der])));
    // Wider than the field.
    let mut wide = vec![0x01];
    wide.extend_from_slice(r);
    rejected.push(("33-byte r", seq(&[&der(0x02, &wide), &s_der])));
    // Trailing bytes after the sequence, and inside it.
    let mut trailing = good.clone();
    trailing.push(0);
    rejected.push(("trailing after", trailing));
    rejected.push(("third integer", seq(&[&r_der, &s_der, &der(0x02, &[1])])));
    rejected.push(("one integer", seq(&[&r_der])));
    // Wrong tags.
    rejected.push(("set", der(0x31, &[r_der.clone(), s_der.clone()].concat())));
    let mut octets = r_der.clone();
    octets[0] = 0x04;
    rejected.push(("octet string r", seq(&[&octets, &s_der])));
    // Length encodings: long form for a short length, indefinite, too long, truncated.
    let body = [r_der.clone(), s_der.clone()].concat();
    let mut long_form = vec![0x30, 0x81, body.len() as u8];
    long_form.extend_from_slice(&body);
    rejected.push(("long form", long_form));
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend_from_slice(&body);
    indefinite.extend([0, 0]);
    rejected.push(("indefinite", indefinite));
    let mut too_long = good.clone();
    too_long[1] += 1;
    rejected.push(("length too long", too_long));
    rejected.push(("truncated", good[..good.len() - 1].to_vec()));
    let mut lying_int = good.clone();
    lying_int[3] += 1;
    rejected.push(("integer length", lying_int));
    rejected.push(("empty", Vec::new()));
    rejected.push(("empty sequence", vec![0x30, 0x00]));
    rejected.push(("fixed r||s", fixed.clone()));
    // Swapped r and s.
    rejected.push(("swapped", seq(&[&s_der, &r_der])));

    for (what, signature) in &rejected {
        assert!(is_decrypt_error(check(signature)), "{what} accepted");
    }
    // The decoder alone, on the structural cases.
    if r[0] != 0 && s[0] != 0 {
        assert!(ecdsa_der_to_fixed(&seq(&[&r_der, &s_der]), 31).is_none());
    }
    assert!(ecdsa_der_to_fixed(&[0x30, 0x84, 0, 0, 0, 6], 32).is_none());
    assert!(ecdsa_fixed_to_der(&[]).is_none());
    assert!(ecdsa_fixed_to_der(&[1, 2, 3]).is_none());
    assert_eq!(
        ecdsa_fixed_to_der(&[0, 0, 0, 0x80]).unwrap(),
        [0x30, 0x07, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x80]
    );
}

//! Certified keys and their choice by server name.

use std::sync::Arc;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_ssl::PrivateKey;
use keyward_test_support::TempDir;
use keyward_tls::certs::{certificate_names, CertResolver, CertifiedKey};
use keyward_tls::sign::{choose_scheme, sign, verify, SignatureScheme};
use keyward_tls::Error;
use rcgen::{CertificateParams, DnType, KeyPair};

fn certified(sans: &[&str], common_name: Option<&str>) -> CertifiedKey {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params =
        CertificateParams::new(sans.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(cn) = common_name {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    let cert = params.self_signed(&key).unwrap().der().to_vec();
    let private = PrivateKey::from_pkcs8(&key.serialize_der(), &cert).unwrap();
    CertifiedKey::new(vec![cert], private).unwrap()
}

fn names(keys: &[Arc<CertifiedKey>]) -> Vec<String> {
    keys.iter().map(|k| k.names.join(",")).collect()
}

#[test]
fn names_from_sans_then_common_name() {
    let key = certified(&["A.test", "*.b.test"], Some("ignored.test"));
    assert_eq!(key.names, ["a.test", "*.b.test"]);
    assert!(!key.is_rsa());
    assert_eq!(key.end_entity(), key.chain[0].as_slice());
    let key = certified(&[], Some("Only-CN.test"));
    assert_eq!(key.names, ["only-cn.test"]);
    let key = certified(&[], None);
    assert!(key.names.is_empty());
    assert!(certificate_names(b"junk").is_err());
}

#[test]
fn matching() {
    let key = certified(&["a.test", "*.b.test"], None);
    for good in ["a.test", "A.TEST", "a.test.", "x.b.test", "X-Y.B.Test"] {
        assert!(key.matches(good), "{good}");
    }
    for bad in [
        "b.test",
        "y.x.b.test",
        ".b.test",
        "test",
        "aa.test",
        "",
        "*.b.test.x",
    ] {
        assert!(!key.matches(bad), "{bad}");
    }
}

#[test]
fn candidates_put_matches_first() {
    let resolver = CertResolver::new(vec![
        certified(&["a.test"], None),
        certified(&["*.b.test"], None),
        certified(&["c.test", "x.b.test"], None),
    ]);
    assert_eq!(resolver.keys().len(), 3);
    assert_eq!(
        names(&resolver.candidates(None)),
        ["a.test", "*.b.test", "c.test,x.b.test"]
    );
    assert_eq!(
        names(&resolver.candidates(Some("x.b.test"))),
        ["*.b.test", "c.test,x.b.test", "a.test"]
    );
    assert_eq!(
        names(&resolver.candidates(Some("C.TEST"))),
        ["c.test,x.b.test", "a.test", "*.b.test"]
    );
    assert_eq!(
        names(&resolver.candidates(Some("nothing.test"))),
        ["a.test", "*.b.test", "c.test,x.b.test"]
    );
    // Candidates share the configured keys.
    assert!(Arc::ptr_eq(
        &resolver.candidates(Some("y.b.test"))[0],
        &resolver.keys()[1]
    ));
    assert!(CertResolver::new(Vec::new())
        .candidates(Some("a"))
        .is_empty());
    assert!(CertResolver::default().is_empty());
}

fn temp_store(tag: &str) -> (TempDir, KeyStore) {
    let dir = TempDir::new(&format!("tls-certs-{tag}"));
    let store = KeyStore::open(&dir).unwrap();
    (dir, store)
}

#[test]
fn from_key_store() {
    let (_dir, store) = temp_store("store");
    store
        .generate_self_signed("ec", KeyKind::EcP256, &["one.test"])
        .unwrap();
    store
        .generate_self_signed(
            "rsa",
            KeyKind::Rsa { bits: 2048 },
            &["two.test", "*.two.test"],
        )
        .unwrap();

    let resolver = CertResolver::from_key_store(&store, &["rsa", "ec"]).unwrap();
    assert_eq!(names(resolver.keys()), ["two.test,*.two.test", "one.test"]);
    assert!(resolver.keys()[0].is_rsa());
    assert!(!resolver.keys()[1].is_rsa());
    assert_eq!(
        names(&resolver.candidates(Some("one.test"))),
        ["one.test", "two.test,*.two.test"]
    );
    assert_eq!(
        names(&resolver.candidates(Some("www.two.test"))),
        ["two.test,*.two.test", "one.test"]
    );

    // Every key, by name, when no names are given.
    let all = CertResolver::from_key_store(&store, &[]).unwrap();
    assert_eq!(names(all.keys()), ["one.test", "two.test,*.two.test"]);

    match CertResolver::from_key_store(&store, &["missing"]) {
        Err(Error::Provider(keyward_core::Error::NotFound)) => {}
        other => panic!("{other:?}"),
    }

    // The chosen key signs, and its certificate verifies the signature.
    for key in resolver.candidates(Some("one.test")) {
        for tls13 in [true, false] {
            let scheme = choose_scheme(&key.key, &SignatureScheme::ALL, tls13).unwrap();
            let signature = sign(&key.key, scheme, b"content").unwrap();
            verify(key.end_entity(), scheme, b"content", &signature, tls13).unwrap();
        }
    }
}

#[test]
fn from_stored_with_extra_chain() {
    let (_dir, store) = temp_store("extra");
    let stored = store
        .generate_self_signed("k", KeyKind::EcP384, &["k.test"])
        .unwrap();
    let key = CertifiedKey::from_stored(&stored, vec![vec![1, 2, 3]]).unwrap();
    assert_eq!(key.chain.len(), 2);
    assert_eq!(key.chain[0], stored.certificate());
    assert_eq!(key.chain[1], [1, 2, 3]);
    assert_eq!(key.names, ["k.test"]);
    assert_eq!(
        choose_scheme(&key.key, &SignatureScheme::ALL, true),
        Some(SignatureScheme::EcdsaSecp384r1Sha384)
    );
    let mut resolver = CertResolver::default();
    resolver.push(key);
    assert_eq!(resolver.keys().len(), 1);
    let rebuilt = PrivateKey::from_stored(&stored).unwrap();
    assert!(CertifiedKey::new(Vec::new(), rebuilt).is_err());
}

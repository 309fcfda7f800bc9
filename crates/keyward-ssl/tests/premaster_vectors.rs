//! `SslImportMasterKey` against Wycheproof's RSAES-PKCS1-v1_5 vectors (rsa_pkcs1_2048_test.json).
//!
//! None of the 67 ciphertexts carries a 48-byte premaster, so through the TLS premaster path
//! every non-empty one (valid or with invalid padding) must succeed and yield a master key made
//! from a *random* premaster: importing the same ciphertext twice gives different masters, and
//! none equals the master of the vector's message. A premaster that is valid for TLS is checked
//! against an independent derivation with the backend PRF.

mod common;

#[allow(unused_imports)]
use common::{group, suite};
#[allow(unused_imports)]
use keyward_ssl::Protocol;

use keyward_core::backend::{tls_prf, PrfHash, RsaPublicKey};
use keyward_ssl::{HandshakeHash, MasterKey, Parameters, PrivateKey, Provider, Side};
use keyward_test_support::{json, unhex};
use serde_json::Value;

const TLS1_2: Protocol = Protocol::Tls12;
const SUITE: u16 = 0x009C; // TLS_RSA_WITH_AES_128_GCM_SHA256
const CR: [u8; 32] = [1; 32];
const SR: [u8; 32] = [2; 32];

fn vectors() -> Value {
    json("wycheproof/testvectors_v1/rsa_pkcs1_2048_test.json")
}

fn finished(provider: &Provider, master: &MasterKey) -> [u8; 12] {
    let mut hash: HandshakeHash = provider
        .create_handshake_hash(TLS1_2, suite(SUITE))
        .unwrap();
    hash.update(b"transcript");
    master.compute_finished_hash(&hash, Side::Client).unwrap()
}

/// Finished computed without the provider: PRF(PRF(premaster, "master secret", randoms), ...).
fn expected_finished(premaster: &[u8]) -> [u8; 12] {
    let mut master = [0u8; 48];
    tls_prf(
        PrfHash::Sha256,
        premaster,
        b"master secret",
        &[&CR, &SR],
        &mut master,
    )
    .unwrap();
    let transcript =
        keyward_core::backend::hash(keyward_core::backend::HashAlgorithm::Sha256, b"transcript");
    let mut out = [0u8; 12];
    tls_prf(
        PrfHash::Sha256,
        &master,
        b"client finished",
        &[transcript.as_bytes()],
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn every_wycheproof_case_yields_a_random_premaster() {
    let vectors = vectors();
    let provider = common::provider();
    let params = Parameters::with_randoms(&CR, &SR).highest_version(0x0303);
    let mut cases = 0;
    for group in vectors["testGroups"].as_array().unwrap() {
        let pkcs8 = unhex(group["privateKeyPkcs8"].as_str().unwrap());
        let key = PrivateKey::from_pkcs8(&pkcs8, b"").unwrap();
        for test in group["tests"].as_array().unwrap() {
            let ct = unhex(test["ct"].as_str().unwrap());
            let msg = unhex(test["msg"].as_str().unwrap());
            let id = &test["tcId"];
            if ct.is_empty() {
                // `cbEncryptedKey == 0` is a public length fault: NTE_INVALID_PARAMETER
                // (docs/ssl-provider.md, "RSA key exchange"), like Windows; it reveals nothing
                // about any plaintext.
                let err = provider.import_master_key(&key, TLS1_2, suite(SUITE), &params, &ct);
                let status = err.err().map(|e| e.status());
                assert_eq!(status, Some(keyward_core::Status::NTE_INVALID_PARAMETER));
                cases += 1;
                continue;
            }
            let first = provider
                .import_master_key(&key, TLS1_2, suite(SUITE), &params, &ct)
                .unwrap_or_else(|e| panic!("case {id}: {e:?}"));
            let second = provider
                .import_master_key(&key, TLS1_2, suite(SUITE), &params, &ct)
                .unwrap();
            let a = finished(&provider, &first);
            assert_ne!(
                a,
                finished(&provider, &second),
                "case {id}: premaster not random"
            );
            assert_ne!(
                a,
                expected_finished(&msg),
                "case {id}: message used as premaster"
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 67);
}

#[test]
fn valid_premaster_is_used_and_faults_are_replaced() {
    let provider = common::provider();
    let vectors = vectors();
    let group = &vectors["testGroups"][0];
    let pkcs8 = unhex(group["privateKeyPkcs8"].as_str().unwrap());
    let key = PrivateKey::from_pkcs8(&pkcs8, b"").unwrap();
    let keyward_ssl::PublicKey::Rsa(public) = key.public_key() else {
        panic!("not RSA")
    };
    let public: RsaPublicKey = public;
    let params = Parameters::with_randoms(&CR, &SR).highest_version(0x0303);

    let mut premaster = [0x5Au8; 48];
    premaster[..2].copy_from_slice(&[3, 3]);
    let ct = public.encrypt_pkcs1(&premaster).unwrap();
    let master = provider
        .import_master_key(&key, TLS1_2, suite(SUITE), &params, &ct)
        .unwrap();
    assert_eq!(finished(&provider, &master), expected_finished(&premaster));
    assert_eq!(
        provider.encrypted_premaster_len(&key.public_key()).unwrap(),
        ct.len()
    );

    // A higher version than offered is accepted (docs/ssl-provider.md, "RSA key exchange") ...
    premaster[..2].copy_from_slice(&[3, 4]);
    let ct = public.encrypt_pkcs1(&premaster).unwrap();
    let master = provider
        .import_master_key(&key, TLS1_2, suite(SUITE), &params, &ct)
        .unwrap();
    assert_eq!(finished(&provider, &master), expected_finished(&premaster));

    // ... a lower one (version rollback), a short or long message and a truncated or
    // oversized ciphertext are all silently replaced by a random premaster.
    premaster[..2].copy_from_slice(&[3, 1]);
    let faults = [
        public.encrypt_pkcs1(&premaster).unwrap(),
        public.encrypt_pkcs1(&premaster[..47]).unwrap(),
        public.encrypt_pkcs1(&[3u8; 49]).unwrap(),
        ct[..255].to_vec(),
        [ct.as_slice(), &[0]].concat(),
        vec![0xFF; 256],
    ];
    for (i, ct) in faults.iter().enumerate() {
        let master = provider
            .import_master_key(&key, TLS1_2, suite(SUITE), &params, ct)
            .unwrap_or_else(|e| panic!("fault {i}: {e:?}"));
        assert_ne!(
            finished(&provider, &master),
            expected_finished(&premaster),
            "fault {i}"
        );
    }
}

#[test]
fn import_master_key_errors() {
    use keyward_core::Status;
    let provider = common::provider();
    let key = common::rsa_key(&provider);
    let ecdsa = common::ecdsa_key(&provider);
    let params = Parameters::with_randoms(&CR, &SR).highest_version(0x0303);
    let status = |r: keyward_core::Result<MasterKey>| r.err().map(|e| e.status());
    assert_eq!(
        status(provider.import_master_key(&key, Protocol::Tls13, suite(SUITE), &params, &[1])),
        Some(Status::NTE_NOT_SUPPORTED)
    );
    assert_eq!(
        status(provider.import_master_key(&key, TLS1_2, suite(0xC02F), &params, &[1])),
        Some(Status::NTE_BAD_ALGID)
    );
    assert_eq!(
        status(provider.import_master_key(&ecdsa, TLS1_2, suite(SUITE), &params, &[1])),
        Some(Status::NTE_BAD_ALGID)
    );
    assert_eq!(
        status(provider.import_master_key(&key, TLS1_2, suite(SUITE), &params, &[])),
        Some(Status::NTE_INVALID_PARAMETER)
    );
    let no_version = Parameters::with_randoms(&CR, &SR);
    assert_eq!(
        status(provider.import_master_key(&key, TLS1_2, suite(SUITE), &no_version, &[1])),
        Some(Status::NTE_INVALID_PARAMETER)
    );
}

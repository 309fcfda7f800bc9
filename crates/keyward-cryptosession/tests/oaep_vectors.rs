//! Wycheproof `rsa_oaep_2048_sha512_mgf1sha512_test.json` through the key exchange's
//! decryption path: the primitive [`KeyExchangeKey::decrypt`] (which
//! `NegotiateCryptoSessionKeyExchange` calls with an empty label) must give every valid
//! vector's message — any label, any length — and refuse every invalid one with the one
//! error; the session-level paths ([`KeyExchangeKey::decrypt_session_key`] and
//! `NegotiateCryptoSessionKeyExchange` on a device holding the vector key) must refuse every
//! vector, since none carries a 16-byte message under an empty label, and keep the previous
//! key.

mod common;

use keyward_core::backend::aes::AesKey;
use keyward_core::Secret;
use keyward_cryptosession::{
    apply_ctr, hresult, AesCtrIv, DeviceCredentials, Error, KeyExchangeKey, VideoDevice,
};
use keyward_test_support::{json, unhex};
use std::sync::Arc;

const FILE: &str = "wycheproof/testvectors_v1/rsa_oaep_2048_sha512_mgf1sha512_test.json";

struct Vector {
    id: u64,
    message: Vec<u8>,
    label: Vec<u8>,
    ciphertext: Vec<u8>,
    valid: bool,
}

/// The vector file's key (PKCS#8) and its tests.
fn load() -> (Vec<u8>, Vec<Vector>) {
    let file = json(FILE);
    assert_eq!(file["algorithm"], "RSAES-OAEP");
    let groups = file["testGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    assert_eq!(group["sha"], "SHA-512");
    assert_eq!(group["mgf"], "MGF1");
    assert_eq!(group["mgfSha"], "SHA-512");
    let pkcs8 = unhex(group["privateKeyPkcs8"].as_str().unwrap());
    let tests = group["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|test| Vector {
            id: test["tcId"].as_u64().unwrap(),
            message: unhex(test["msg"].as_str().unwrap()),
            label: unhex(test["label"].as_str().unwrap()),
            ciphertext: unhex(test["ct"].as_str().unwrap()),
            valid: match test["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("unexpected result {other}"),
            },
        })
        .collect::<Vec<_>>();
    assert_eq!(
        tests.len(),
        file["numberOfTests"].as_u64().unwrap() as usize
    );
    (pkcs8, tests)
}

#[test]
fn decrypt_primitive_matches_every_vector() {
    let (pkcs8, vectors) = load();
    let key = KeyExchangeKey::from_pkcs8(&pkcs8).unwrap();
    let (mut valid, mut invalid, mut labelled) = (0, 0, 0);
    for vector in &vectors {
        let result = key.decrypt(&vector.label, &vector.ciphertext);
        if vector.valid {
            let plaintext = result.unwrap_or_else(|e| panic!("tcId {}: {e}", vector.id));
            assert_eq!(
                plaintext.expose(),
                &vector.message[..],
                "tcId {}",
                vector.id
            );
            valid += 1;
            if !vector.label.is_empty() {
                labelled += 1;
                // The exchange's empty label does not open a labelled ciphertext.
                assert_eq!(
                    key.decrypt(&[], &vector.ciphertext).unwrap_err(),
                    Error::KeyExchangeRejected,
                    "tcId {}",
                    vector.id
                );
            }
        } else {
            assert_eq!(
                result.unwrap_err(),
                Error::KeyExchangeRejected,
                "tcId {}",
                vector.id
            );
            invalid += 1;
        }
    }
    assert_eq!((valid, invalid, labelled), (14, 19, 4));
}

#[test]
fn session_path_refuses_every_vector() {
    let (pkcs8, vectors) = load();
    let key = KeyExchangeKey::from_pkcs8(&pkcs8).unwrap();
    for vector in &vectors {
        // No vector is a 16-byte message under the empty label.
        assert!(!(vector.valid && vector.label.is_empty() && vector.message.len() == 16));
        let error = key.decrypt_session_key(&vector.ciphertext).unwrap_err();
        assert_eq!(error, Error::KeyExchangeRejected, "tcId {}", vector.id);
        assert_eq!(error.hresult(), hresult::E_INVALIDARG);
    }
    // The same ciphertext shape with a 16-byte message is accepted.
    let blob = key.public_key().encrypt(&[0x16; 16]).unwrap();
    assert_eq!(
        key.decrypt_session_key(&blob).unwrap().expose(),
        &[0x16; 16]
    );
}

#[test]
fn negotiate_on_a_device_with_the_vector_key() {
    let (pkcs8, vectors) = load();
    // A device whose key is the vector's: a self-signed leaf for it is a chain of one.
    let key_pair = rcgen::KeyPair::try_from(pkcs8.as_slice()).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Wycheproof RSA-2048 test key");
    let leaf = params.self_signed(&key_pair).unwrap();
    let credentials = DeviceCredentials::from_parts(&pkcs8, leaf.der().to_vec()).unwrap();
    let device = VideoDevice::with_credentials(Arc::new(credentials));
    let session = common::session(&device);

    let session_key = Secret::new([0x5c; 16]);
    let blob = keyward_cryptosession::KeyExchangePublicKey::from_certificate_chain(
        &device.certificate_chain(&session).unwrap(),
    )
    .unwrap()
    .encrypt_session_key(&session_key)
    .unwrap();
    device.negotiate_key_exchange(&session, &blob).unwrap();

    let iv = AesCtrIv { iv: 1, count: 2 };
    let plain = b"sixteen byte key and then some".to_vec();
    let mut encrypted = plain.clone();
    apply_ctr(
        &AesKey::new(session_key.expose()).unwrap(),
        &iv,
        None,
        &mut encrypted,
    )
    .unwrap();
    let key_in_force = |device: &VideoDevice| {
        let mut out = vec![0u8; plain.len()];
        device
            .decryption_blt(&session, &encrypted, &mut out, None, None, &iv)
            .unwrap();
        out == plain
    };
    assert!(key_in_force(&device));
    for vector in &vectors {
        assert_eq!(
            device
                .negotiate_key_exchange(&session, &vector.ciphertext)
                .unwrap_err(),
            Error::KeyExchangeRejected,
            "tcId {}",
            vector.id
        );
        assert!(key_in_force(&device), "tcId {}", vector.id);
    }
}

//! AES-CMAC vectors through OPM's OMAC-1 signer ([`Omac`]: AES-128 keys, full 16-byte tags,
//! constant-time verification), and the rest of each file (AES-192/256 keys, truncated tags,
//! invalid key sizes) through the backend's `CmacKey` that `Omac` is built on:
//!
//! - Wycheproof `aes_cmac_test.json` (valid and modified tags, invalid key sizes);
//! - NIST SP 800-38B Appendix D examples (pyca `CMAC/nist-800-38b-aes{128,192,256}.txt`);
//! - NIST CAVP CMACVer AES-128 (BoringSSL `cavp_aes128_cmac_tests.txt`, pass and fail cases).

use keyward_core::backend::cmac::CmacKey;
use keyward_core::Secret;
use keyward_cryptosession::opm::Omac;
use keyward_cryptosession::Error;
use keyward_test_support::{json, unhex, vectors};

/// The OPM signer for a 16-byte key.
fn omac(key: &[u8]) -> Omac {
    Omac::new(&Secret::new(key.try_into().unwrap())).unwrap()
}

#[test]
fn wycheproof_aes_cmac() {
    let file = json("wycheproof/testvectors_v1/aes_cmac_test.json");
    let (mut through_omac, mut through_cmac, mut bad_keys) = (0, 0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        let tag_bits = group["tagSize"].as_u64().unwrap();
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let key = unhex(test["key"].as_str().unwrap());
            let message = unhex(test["msg"].as_str().unwrap());
            let tag = unhex(test["tag"].as_str().unwrap());
            let valid = test["result"] == "valid";
            let flags: Vec<&str> = test["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|flag| flag.as_str().unwrap())
                .collect();
            if flags.contains(&"InvalidKeySize") {
                assert!(!valid);
                assert!(CmacKey::new(&key).is_err(), "tcId {id}");
                bad_keys += 1;
                continue;
            }
            if key.len() == 16 && tag_bits == 128 {
                let signer = omac(&key);
                if valid {
                    assert_eq!(signer.sign(&message).unwrap().to_vec(), tag, "tcId {id}");
                    signer.verify(&message, &tag).unwrap();
                } else {
                    assert_eq!(
                        signer.verify(&message, &tag),
                        Err(Error::BadOmac),
                        "tcId {id}"
                    );
                }
                through_omac += 1;
            } else {
                let cmac = CmacKey::new(&key).unwrap();
                let full = cmac.sign(&[&message]).unwrap();
                assert_eq!(full[..tag.len()] == tag[..], valid, "tcId {id}");
                assert_eq!(cmac.verify(&[&message], &tag).is_ok(), valid, "tcId {id}");
                through_cmac += 1;
            }
        }
    }
    assert_eq!((through_omac, through_cmac, bad_keys), (102, 204, 5));
}

#[test]
fn nist_sp800_38b_examples() {
    let mut through_omac = 0;
    for (file, key_len) in [
        ("pyca-cryptography-vectors/CMAC/nist-800-38b-aes128.txt", 16),
        ("pyca-cryptography-vectors/CMAC/nist-800-38b-aes192.txt", 24),
        ("pyca-cryptography-vectors/CMAC/nist-800-38b-aes256.txt", 32),
    ] {
        let cases = vectors::run(file, |_, case| {
            case.skip(&["COUNT"]);
            let key = case.bytes("KEY");
            assert_eq!(key.len(), key_len);
            let message = case.bytes("MESSAGE");
            let output = case.bytes("OUTPUT");
            let cmac = CmacKey::new(&key).unwrap();
            assert_eq!(cmac.sign(&[&message]).unwrap().to_vec(), output, "{file}");
            if key_len == 16 {
                let signer = omac(&key);
                assert_eq!(signer.sign(&message).unwrap().to_vec(), output);
                signer.verify(&message, &output).unwrap();
                through_omac += 1;
            }
        });
        assert_eq!(cases, 4, "{file}");
    }
    assert_eq!(through_omac, 4);
}

#[test]
fn nist_cavp_cmac_verify_aes128() {
    let (mut pass, mut fail, mut full_tags) = (0, 0, 0);
    vectors::run(
        "boringssl/crypto/fipsmodule/cmac/cavp_aes128_cmac_tests.txt",
        |_, case| {
            case.skip(&["Count"]);
            let key = case.bytes("Key");
            assert_eq!(key.len(), case.number("Klen"));
            let message_len = case.number("Mlen");
            let message = if message_len == 0 {
                case.skip(&["Msg"]);
                Vec::new()
            } else {
                case.bytes("Msg")
            };
            assert_eq!(message.len(), message_len);
            let tag = case.bytes("Mac");
            assert_eq!(tag.len(), case.number("Tlen"));
            let expected_pass = case.text("Result").starts_with('P');
            let cmac = CmacKey::new(&key).unwrap();
            assert_eq!(cmac.verify(&[&message], &tag).is_ok(), expected_pass);
            if tag.len() == 16 {
                assert_eq!(omac(&key).verify(&message, &tag).is_ok(), expected_pass);
                full_tags += 1;
            }
            if expected_pass {
                pass += 1;
            } else {
                fail += 1;
            }
        },
    );
    assert_eq!((pass, fail, full_tags), (48, 192, 120));
}

//! Known-answer and edge-case vectors for the crypto backend facade, read from the repository's
//! copies in `testdata/` (provenance: `testdata/SOURCES.md`).

use keyward_core::backend::{
    tls_prf, Curve, DhPrivateKey, EcdhPrivateKey, FfdheGroup, PrfHash, RsaPrivateKey,
};
use keyward_core::Error;
use keyward_test_support::{json, unhex_number};
use serde_json::Value;

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))
}

fn flags(test: &Value) -> Vec<&str> {
    test["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

#[test]
fn tls_prf_all_cases() {
    let kat = json("generated/tls_prf_kat.json");
    let mut per_hash = [0usize; 4];
    for case in kat["tests"].as_array().unwrap() {
        let (hash, slot) = match text(case, "digest") {
            "MD5-SHA1" => (PrfHash::Md5Sha1, 0),
            "SHA256" => (PrfHash::Sha256, 1),
            "SHA384" => (PrfHash::Sha384, 2),
            "SHA512" => (PrfHash::Sha512, 3),
            other => panic!("unexpected digest {other}"),
        };
        let secret = unhex_number(text(case, "secret"));
        let seed = unhex_number(text(case, "seed"));
        let expected = unhex_number(text(case, "output"));
        assert_eq!(
            case["outputLength"].as_u64().unwrap() as usize,
            expected.len()
        );
        let mut out = vec![0u8; expected.len()];
        tls_prf(
            hash,
            &secret,
            text(case, "label").as_bytes(),
            &[&seed],
            &mut out,
        )
        .unwrap();
        assert_eq!(out, expected, "{case}");
        // The same seed given in two and three parts.
        let (first, rest) = seed.split_at(seed.len() / 2);
        let (second, third) = rest.split_at(rest.len() / 2);
        let mut split = vec![0u8; expected.len()];
        tls_prf(
            hash,
            &secret,
            text(case, "label").as_bytes(),
            &[first, rest],
            &mut split,
        )
        .unwrap();
        assert_eq!(split, expected);
        tls_prf(
            hash,
            &secret,
            text(case, "label").as_bytes(),
            &[first, second, third],
            &mut split,
        )
        .unwrap();
        assert_eq!(split, expected);
        per_hash[slot] += 1;
    }
    assert_eq!(per_hash, [12, 12, 12, 12]);
}

#[test]
fn ffdhe_all_cases() {
    let kat = json("generated/ffdhe_kat.json");
    let (mut agreements, mut invalid) = (0, 0);
    for entry in kat["groups"].as_array().unwrap() {
        let p = unhex_number(text(entry, "p"));
        let g = entry["g"].as_u64().unwrap() as u8;
        let group = FfdheGroup::from_params(&p, &[g]).unwrap();
        assert_eq!(format!("ffdhe{}", group.bits()), text(entry, "group"));
        for case in entry["tests"].as_array().unwrap() {
            let a =
                DhPrivateKey::from_private(group, &unhex_number(text(case, "privateA"))).unwrap();
            let b =
                DhPrivateKey::from_private(group, &unhex_number(text(case, "privateB"))).unwrap();
            assert_eq!(a.public_key(), unhex_number(text(case, "publicA")));
            assert_eq!(b.public_key(), unhex_number(text(case, "publicB")));
            let padded = unhex_number(text(case, "sharedSecretPadded"));
            let stripped = unhex_number(text(case, "sharedSecretStripped"));
            let zeros = case["leadingZeroBytes"].as_u64().unwrap() as usize;
            let ab = a.agree(&b.public_key()).unwrap();
            let ba = b.agree(&a.public_key()).unwrap();
            assert_eq!(ab.expose(), &padded[..]);
            assert_eq!(ba.expose(), &padded[..]);
            let first_nonzero = ab.expose().iter().position(|&x| x != 0).unwrap();
            assert_eq!(first_nonzero, zeros);
            assert_eq!(&ab.expose()[first_nonzero..], &stripped[..]);
            // The exponent round-trips through export (left-padded to the prime length).
            let x = a.private_exponent().unwrap();
            assert_eq!(x.len(), group.prime_len());
            let x_hex = unhex_number(text(case, "privateA"));
            assert_eq!(&x.expose()[group.prime_len() - x_hex.len()..], &x_hex[..]);
            agreements += 1;
        }
        let key = DhPrivateKey::generate(group).unwrap();
        for bad in entry["invalidPeerPublicKeys"].as_array().unwrap() {
            let peer = unhex_number(text(bad, "peerPublic"));
            assert!(
                matches!(key.agree(&peer), Err(Error::BadData(_))),
                "{}",
                text(bad, "reason")
            );
            invalid += 1;
        }
    }
    assert_eq!((agreements, invalid), (15, 15));
}

#[test]
fn rsa_pkcs1_premaster_all_wycheproof_cases() {
    let file = json("wycheproof/testvectors_v1/rsa_pkcs1_2048_test.json");
    let fallback = [0xc3u8; 48];
    let (mut total, mut premasters, mut valid_decrypts) = (0, 0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        let key = RsaPrivateKey::from_pkcs8(&unhex_number(text(group, "privateKeyPkcs8"))).unwrap();
        assert_eq!(key.bits(), 2048);
        for case in group["tests"].as_array().unwrap() {
            let ct = unhex_number(text(case, "ct"));
            let msg = unhex_number(text(case, "msg"));
            let valid = text(case, "result") == "valid";
            let is_premaster = valid && msg.len() == 48;
            let client_version = if is_premaster {
                u16::from_be_bytes([msg[0], msg[1]])
            } else {
                0x0303
            };
            let expected: &[u8] = if is_premaster { &msg } else { &fallback };
            let got = key.pkcs1_premaster(&ct, client_version, &fallback);
            assert_eq!(got.expose(), expected, "tcId {}", case["tcId"]);
            // Valid ciphertexts really are 00 02 PS 00 msg under raw decryption.
            if valid {
                let mut em = vec![0u8; key.modulus_len()];
                let ok = key.raw_decrypt(&ct, &mut em).unwrap();
                assert_eq!(ok.unwrap_u8(), 1);
                assert_eq!(&em[..2], &[0, 2]);
                let sep = em.len() - msg.len() - 1;
                assert_eq!(em[sep], 0);
                assert!(em[2..sep].iter().all(|&b| b != 0));
                assert_eq!(&em[sep + 1..], &msg[..]);
                valid_decrypts += 1;
            }
            premasters += usize::from(is_premaster);
            total += 1;
        }
    }
    assert_eq!(total, 67);
    assert_eq!(valid_decrypts, 42);
    // No Wycheproof message is 48 bytes long: every case must give exactly the fallback.
    assert_eq!(premasters, 0);
}

/// Wycheproof ECDH with raw SEC1 points. "acceptable" cases are compressed points: refused
/// with BadData, because TLS (RFC 8422 §5.1.2 / RFC 8446 §4.2.8.2) and CNG blobs carry only
/// uncompressed points.
fn ecdh_ecpoint_file(path: &str, curve: Curve) -> (usize, usize, usize) {
    let file = json(path);
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let key =
                EcdhPrivateKey::from_private_scalar(curve, &unhex_number(text(case, "private")))
                    .unwrap();
            let result = key.agree(&unhex_number(text(case, "public")));
            match text(case, "result") {
                "valid" => {
                    assert_eq!(
                        result.unwrap().expose(),
                        &unhex_number(text(case, "shared"))[..],
                        "tcId {}",
                        case["tcId"]
                    );
                    valid += 1;
                }
                "invalid" => {
                    assert!(
                        matches!(result, Err(Error::BadData(_))),
                        "tcId {}",
                        case["tcId"]
                    );
                    invalid += 1;
                }
                _ => {
                    assert!(flags(case).contains(&"CompressedPoint"));
                    assert!(
                        matches!(result, Err(Error::BadData(_))),
                        "tcId {}",
                        case["tcId"]
                    );
                    acceptable += 1;
                }
            }
        }
    }
    (valid, invalid, acceptable)
}

#[test]
fn ecdh_p256_wycheproof() {
    let counts = ecdh_ecpoint_file(
        "wycheproof/testvectors_v1/ecdh_secp256r1_ecpoint_test.json",
        Curve::P256,
    );
    assert_eq!(counts, (330, 24, 1));
}

#[test]
fn ecdh_p384_wycheproof() {
    let counts = ecdh_ecpoint_file(
        "wycheproof/testvectors_v1/ecdh_secp384r1_ecpoint_test.json",
        Curve::P384,
    );
    assert_eq!(counts, (771, 18, 1));
}

/// Wycheproof X25519. "acceptable" cases: twist points and non-canonical u-coordinates are
/// computed as RFC 7748 says (expected output asserted); low-order points whose shared secret
/// is all zeros are refused with BadData (RFC 7748 §6.1, RFC 8446 §7.4.2).
#[test]
fn x25519_wycheproof() {
    let file = json("wycheproof/testvectors_v1/x25519_test.json");
    let (mut computed, mut zero_rejected) = (0, 0);
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let key = EcdhPrivateKey::from_private_scalar(
                Curve::X25519,
                &unhex_number(text(case, "private")),
            )
            .unwrap();
            let result = key.agree(&unhex_number(text(case, "public")));
            let expected = unhex_number(text(case, "shared"));
            assert_ne!(
                text(case, "result"),
                "invalid",
                "no invalid X25519 cases expected"
            );
            if flags(case).contains(&"ZeroSharedSecret") {
                assert_eq!(expected, [0u8; 32]);
                assert!(
                    matches!(result, Err(Error::BadData(_))),
                    "tcId {}",
                    case["tcId"]
                );
                zero_rejected += 1;
            } else {
                assert_eq!(
                    result.unwrap().expose(),
                    &expected[..],
                    "tcId {}",
                    case["tcId"]
                );
                computed += 1;
            }
        }
    }
    assert_eq!(computed + zero_rejected, 518);
    assert_eq!(zero_rejected, 31);
}

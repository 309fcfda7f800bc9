//! Wycheproof HKDF-SHA-256 and HKDF-SHA-384 vectors (the two hashes of the TLS 1.3 cipher
//! suites) through `keyward_core::backend::hkdf::{extract, expand}`, read from the repository's
//! copies in `testdata/wycheproof/testvectors_v1/` (provenance: `testdata/SOURCES.md`).
//!
//! Every valid case must give exactly the expected OKM, also when `info` is handed over in
//! pieces (the TLS 1.3 `HkdfLabel` is passed that way); every invalid case (output longer than
//! 255 hash blocks) must fail with `NTE_INVALID_PARAMETER` and leave the output untouched.

use keyward_core::backend::hkdf::{expand, extract};
use keyward_core::backend::HashAlgorithm;
use keyward_core::Status;
use keyward_test_support::{json, unhex};
use serde_json::Value;

/// A hex string field of a test case.
fn bytes(case: &Value, key: &str) -> Vec<u8> {
    unhex(
        case[key]
            .as_str()
            .unwrap_or_else(|| panic!("missing {key}")),
    )
}

/// Counts of what one file exercised.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    valid: usize,
    invalid: usize,
    empty_salt: usize,
    maximal: usize,
}

/// Runs every case of `file` with `hash`; checks the file's declared test count.
fn run(file: &str, hash: HashAlgorithm, algorithm: &str) -> Counts {
    let doc = json(&format!("wycheproof/testvectors_v1/{file}"));
    assert_eq!(doc["algorithm"].as_str().unwrap(), algorithm);
    let hash_len = hash.output_len();
    let mut counts = Counts::default();
    let mut seen = 0usize;
    for group in doc["testGroups"].as_array().unwrap() {
        assert_eq!(group["type"].as_str().unwrap(), "HkdfTest");
        for case in group["tests"].as_array().unwrap() {
            seen += 1;
            let id = case["tcId"].as_u64().unwrap();
            let ikm = bytes(case, "ikm");
            let salt = bytes(case, "salt");
            let info = bytes(case, "info");
            let okm = bytes(case, "okm");
            let size = case["size"].as_u64().unwrap() as usize;
            let flags: Vec<&str> = case["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();

            let prk = extract(hash, &salt, &ikm).unwrap();
            assert_eq!(prk.len(), hash_len, "tcId {id}: PRK length");
            if salt.is_empty() {
                // RFC 5869 §2.2: an absent salt is HashLen zero bytes.
                let zero_salt = extract(hash, &vec![0u8; hash_len], &ikm).unwrap();
                assert_eq!(prk.expose(), zero_salt.expose(), "tcId {id}: empty salt");
                counts.empty_salt += 1;
            }

            let mut out = vec![0x5a; size];
            let result = expand(hash, prk.expose(), &[&info], &mut out);
            match case["result"].as_str().unwrap() {
                "valid" => {
                    result.unwrap_or_else(|e| panic!("tcId {id}: {e:?}"));
                    assert_eq!(out.len(), okm.len(), "tcId {id}: size");
                    assert_eq!(out, okm, "tcId {id}: OKM");
                    // The same info handed over in two and three pieces.
                    let cut = info.len() / 2;
                    let mut split = vec![0u8; size];
                    expand(
                        hash,
                        prk.expose(),
                        &[&info[..cut], &info[cut..]],
                        &mut split,
                    )
                    .unwrap();
                    assert_eq!(split, okm, "tcId {id}: info in two pieces");
                    let mut pieces = vec![0u8; size];
                    expand(
                        hash,
                        prk.expose(),
                        &[&[], &info[..cut], &[], &info[cut..]],
                        &mut pieces,
                    )
                    .unwrap();
                    assert_eq!(pieces, okm, "tcId {id}: info in pieces with empty ones");
                    // A shorter output is a prefix of the longer one.
                    if size > 1 {
                        let mut prefix = vec![0u8; size - 1];
                        expand(hash, prk.expose(), &[&info], &mut prefix).unwrap();
                        assert_eq!(prefix, okm[..size - 1], "tcId {id}: prefix");
                    }
                    if flags.contains(&"MaximalOutputSize") {
                        assert_eq!(size, 255 * hash_len, "tcId {id}");
                        counts.maximal += 1;
                    }
                    counts.valid += 1;
                }
                "invalid" => {
                    assert!(flags.contains(&"SizeTooLarge"), "tcId {id}: {flags:?}");
                    assert!(size > 255 * hash_len, "tcId {id}");
                    let error = result.expect_err("output longer than 255 blocks accepted");
                    assert_eq!(
                        error.status(),
                        Status::NTE_INVALID_PARAMETER,
                        "tcId {id}: {error:?}"
                    );
                    assert!(out.iter().all(|&b| b == 0x5a), "tcId {id}: output touched");
                    counts.invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    assert_eq!(seen, doc["numberOfTests"].as_u64().unwrap() as usize);
    counts
}

/// All 86 HKDF-SHA-256 cases.
#[test]
fn wycheproof_hkdf_sha256() {
    let counts = run(
        "hkdf_sha256_test.json",
        HashAlgorithm::Sha256,
        "HKDF-SHA-256",
    );
    assert_eq!(
        counts,
        Counts {
            valid: 83,
            invalid: 3,
            empty_salt: 23,
            maximal: 3,
        }
    );
}

/// All 83 HKDF-SHA-384 cases.
#[test]
fn wycheproof_hkdf_sha384() {
    let counts = run(
        "hkdf_sha384_test.json",
        HashAlgorithm::Sha384,
        "HKDF-SHA-384",
    );
    assert_eq!(
        counts,
        Counts {
            valid: 80,
            invalid: 3,
            empty_salt: 22,
            maximal: 3,
        }
    );
}

/// Output of exactly 255 blocks is accepted, one byte more is refused (both hashes).
#[test]
fn expand_length_limit() {
    for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
        let prk = extract(hash, b"salt", b"ikm").unwrap();
        let limit = 255 * hash.output_len();
        let mut max = vec![0u8; limit];
        expand(hash, prk.expose(), &[b"info"], &mut max).unwrap();
        assert!(max.iter().any(|&b| b != 0));
        let mut over = vec![0u8; limit + 1];
        let error = expand(hash, prk.expose(), &[b"info"], &mut over).unwrap_err();
        assert_eq!(error.status(), Status::NTE_INVALID_PARAMETER);
        let mut empty = [0u8; 0];
        expand(hash, prk.expose(), &[b"info"], &mut empty).unwrap();
    }
}

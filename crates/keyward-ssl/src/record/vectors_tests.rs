//! Record protection against public vectors (unit tests, because `record`'s internals are
//! crate-private): BoringSSL / AWS-LC legacy TLS CBC AEAD files through the CBC layer, and
//! Wycheproof AES-GCM / ChaCha20-Poly1305 through the backend `AeadKey`.

use keyward_core::backend::cipher::{AeadAlgorithm, AeadKey};
use keyward_core::backend::HashAlgorithm;
use keyward_core::Error;
use keyward_test_support::{json, unhex, vectors};

use super::cbc::{CbcMode, CbcProtection, MacPrefix};

/// One `KEY: …` block of a BoringSSL cipher test file.
struct LegacyCase {
    key: Vec<u8>,
    nonce: Vec<u8>,
    input: Vec<u8>,
    ad: Vec<u8>,
    sealed: Vec<u8>,
    no_seal: bool,
    fails: bool,
}

/// The cases of a BoringSSL cipher test file (`TAG_LEN` is implied by the hash).
fn legacy_cases(path: &str) -> Vec<LegacyCase> {
    let mut cases = Vec::new();
    vectors::run(path, |_, case| {
        case.skip(&["TAG_LEN"]);
        cases.push(LegacyCase {
            key: case.bytes("KEY"),
            nonce: case.bytes("NONCE"),
            input: case.bytes("IN"),
            ad: case.bytes("AD"),
            sealed: [case.bytes("CT"), case.bytes("TAG")].concat(),
            no_seal: case.flag("NO_SEAL"),
            fails: case.flag("FAILS"),
        });
    });
    cases
}

struct LegacyFile {
    path: &'static str,
    hash: HashAlgorithm,
    enc_key_len: usize,
    implicit_iv: bool,
    /// AWS-LC "stitch" layout: IN = explicit IV ‖ data, the AD length counts both, and
    /// CT starts with the encrypted IV block, which is the record's explicit IV on the
    /// wire (RFC 4346 §6.2.3.2 (2)(b) style). Mapped onto our layout below.
    stitch: bool,
    cases: usize,
}

/// Runs every case of one file; returns (cases, seal checks, open-success checks,
/// open-failure checks).
fn run_legacy(file: &LegacyFile) -> (usize, usize, usize, usize) {
    let cases = legacy_cases(file.path);
    let mac_len = file.hash.output_len();
    let (mut seals, mut opens, mut rejects) = (0, 0, 0);
    for (index, case) in cases.iter().enumerate() {
        let (mac_key, rest) = case.key.split_at(mac_len);
        let (enc_key, iv) = rest.split_at(file.enc_key_len);
        assert_eq!(iv.is_empty(), !file.implicit_iv, "case {index}");
        let prefix: MacPrefix = case.ad[..11].try_into().unwrap();
        if case.ad.len() == 13 {
            // The stitch files carry the plaintext length as well.
            assert_eq!(&case.ad[11..], &(case.input.len() as u16).to_be_bytes());
        }
        let new_key = || {
            CbcProtection::new(
                CbcMode::MacThenEncrypt,
                enc_key,
                file.hash,
                mac_key,
                file.implicit_iv.then_some(iv),
            )
            .unwrap()
        };
        // The record body as it travels: explicit IV (if any) ‖ CT ‖ TAG, and the data.
        let (body, data) = if file.stitch {
            (case.sealed.clone(), &case.input[16..])
        } else {
            ([&case.nonce[..], &case.sealed].concat(), &case.input[..])
        };

        // Open, copying and in place (fresh keys so TLS 1.0 chains start at the IV).
        let mut out = vec![0u8; body.len()];
        let copied = new_key().open_to(&prefix, &body, &mut out);
        let mut in_place = body.clone();
        let placed = new_key()
            .open_in_place(&prefix, &mut in_place)
            .map(|range| in_place[range].to_vec());
        if case.fails {
            assert_eq!(copied, Err(Error::DecryptionFailure), "case {index}");
            assert_eq!(placed, Err(Error::DecryptionFailure), "case {index}");
            rejects += 1;
        } else {
            let len = copied.unwrap_or_else(|e| panic!("case {index}: {e:?}"));
            assert_eq!(&out[..len], data, "case {index}");
            assert_eq!(placed.unwrap(), data, "case {index}");
            opens += 1;
        }

        if !case.no_seal {
            let sealing = new_key();
            let start = sealing.explicit_iv_len();
            let mut buf = vec![0u8; sealing.sealed_len(data.len())];
            buf[start..start + data.len()].copy_from_slice(data);
            let len = if file.implicit_iv {
                sealing.seal(&prefix, &mut buf, data.len()).unwrap()
            } else {
                let iv: [u8; 16] = body[..16].try_into().unwrap();
                sealing
                    .seal_with_iv(&prefix, &iv, &mut buf, data.len())
                    .unwrap()
            };
            assert_eq!(&buf[..len], &body[..], "case {index}");
            seals += 1;
        }
    }
    (cases.len(), seals, opens, rejects)
}

const LEGACY_FILES: [LegacyFile; 6] = [
    LegacyFile {
        path: "boringssl/crypto/cipher/test/aes_128_cbc_sha1_tls_tests.txt",
        hash: HashAlgorithm::Sha1,
        enc_key_len: 16,
        implicit_iv: false,
        stitch: false,
        cases: 424,
    },
    LegacyFile {
        path: "boringssl/crypto/cipher/test/aes_128_cbc_sha1_tls_implicit_iv_tests.txt",
        hash: HashAlgorithm::Sha1,
        enc_key_len: 16,
        implicit_iv: true,
        stitch: false,
        cases: 424,
    },
    LegacyFile {
        path: "boringssl/crypto/cipher/test/aes_128_cbc_sha256_tls_tests.txt",
        hash: HashAlgorithm::Sha256,
        enc_key_len: 16,
        implicit_iv: false,
        stitch: false,
        cases: 424,
    },
    LegacyFile {
        path: "boringssl/crypto/cipher/test/aes_256_cbc_sha1_tls_tests.txt",
        hash: HashAlgorithm::Sha1,
        enc_key_len: 32,
        implicit_iv: false,
        stitch: false,
        cases: 424,
    },
    LegacyFile {
        path: "boringssl/crypto/cipher/test/aes_256_cbc_sha1_tls_implicit_iv_tests.txt",
        hash: HashAlgorithm::Sha1,
        enc_key_len: 32,
        implicit_iv: true,
        stitch: false,
        cases: 424,
    },
    LegacyFile {
        path: "aws-lc/crypto/cipher_extra/test/aes_256_cbc_sha384_tls_tests.txt",
        hash: HashAlgorithm::Sha384,
        enc_key_len: 32,
        implicit_iv: false,
        stitch: false,
        cases: 488,
    },
];

/// AES-256-CBC with HMAC-SHA256 has no constant-time check in AWS-LC, so keyward refuses
/// its keys (and no longer offers 0x003D / 0x006B): every key of AWS-LC's file is refused.
const REFUSED_FILE: LegacyFile = LegacyFile {
    path: "aws-lc/crypto/cipher_extra/test/aes_256_cbc_sha256_tls_stitch_tests.txt",
    hash: HashAlgorithm::Sha256,
    enc_key_len: 32,
    implicit_iv: false,
    stitch: true,
    cases: 424,
};

#[test]
fn aes256_cbc_sha256_keys_are_refused() {
    let file = REFUSED_FILE;
    let cases = legacy_cases(file.path);
    assert_eq!(cases.len(), file.cases);
    for case in &cases {
        let (mac_key, enc_key) = case.key.split_at(file.hash.output_len());
        assert_eq!(enc_key.len(), file.enc_key_len);
        assert!(matches!(
            CbcProtection::new(CbcMode::MacThenEncrypt, enc_key, file.hash, mac_key, None),
            Err(Error::NotSupported(_))
        ));
    }
}

#[test]
fn legacy_tls_cbc_vectors() {
    for file in &LEGACY_FILES {
        let (cases, seals, opens, rejects) = run_legacy(file);
        println!(
            "{}: {cases} cases ({seals} sealed, {opens} opened, {rejects} rejected)",
            file.path
        );
        assert_eq!(cases, file.cases, "{}", file.path);
        assert_eq!(opens + rejects, cases, "{}", file.path);
        assert!(seals > 0 && opens > 0 && rejects > 0, "{}", file.path);
    }
}

/// Runs the Wycheproof AEAD file; returns (valid, invalid) counts run.
fn run_wycheproof(
    path: &str,
    algorithm_for_key_bits: impl Fn(u64) -> Option<AeadAlgorithm>,
) -> (usize, usize) {
    let json = json(path);
    let (mut valid, mut invalid) = (0, 0);
    for group in json["testGroups"].as_array().unwrap() {
        let Some(algorithm) = algorithm_for_key_bits(group["keySize"].as_u64().unwrap()) else {
            continue;
        };
        if group["ivSize"] != 96 || group["tagSize"] != 128 {
            continue;
        }
        for test in group["tests"].as_array().unwrap() {
            let field = |name: &str| unhex(test[name].as_str().unwrap());
            let id = &test["tcId"];
            let key = AeadKey::new(algorithm, &field("key")).unwrap();
            let nonce: [u8; 12] = field("iv").try_into().unwrap();
            let (aad, msg, ct) = (field("aad"), field("msg"), field("ct"));
            let tag: [u8; 16] = field("tag").try_into().unwrap();
            let mut opened = ct.clone();
            let result = key.open_in_place(&nonce, &aad, &mut opened, &tag);
            match test["result"].as_str().unwrap() {
                "valid" => {
                    result.unwrap_or_else(|e| panic!("tcId {id}: {e:?}"));
                    assert_eq!(opened, msg, "tcId {id}");
                    let mut sealed = msg.clone();
                    let sealed_tag = key.seal_in_place(&nonce, &aad, &mut sealed).unwrap();
                    assert_eq!(sealed, ct, "tcId {id}");
                    assert_eq!(sealed_tag, tag, "tcId {id}");
                    valid += 1;
                }
                "invalid" => {
                    assert_eq!(result, Err(Error::DecryptionFailure), "tcId {id}");
                    invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    (valid, invalid)
}

#[test]
fn wycheproof_aes_gcm() {
    let counts = run_wycheproof(
        "wycheproof/testvectors_v1/aes_gcm_test.json",
        |bits| match bits {
            128 => Some(AeadAlgorithm::Aes128Gcm),
            256 => Some(AeadAlgorithm::Aes256Gcm),
            _ => None,
        },
    );
    println!("aes_gcm_test.json: {counts:?} (valid, invalid)");
    assert_eq!(counts, (79, 54));
}

#[test]
fn wycheproof_chacha20_poly1305() {
    let counts = run_wycheproof(
        "wycheproof/testvectors_v1/chacha20_poly1305_test.json",
        |bits| (bits == 256).then_some(AeadAlgorithm::ChaCha20Poly1305),
    );
    println!("chacha20_poly1305_test.json: {counts:?} (valid, invalid)");
    assert_eq!(counts, (256, 60));
}

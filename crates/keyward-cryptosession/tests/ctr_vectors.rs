//! AES-128-CTR vectors through the blit cipher, reading each vector's 16-byte initial counter
//! block as a `D3D11_AES_CTR_IV` (IV ‖ Count, both big-endian: the counter layout of
//! `keyward_cryptosession::blt`):
//!
//! - RFC 3686 test vectors 1–3 (pyca `ciphers/AES/CTR/aes-128-ctr.txt`), multi-block;
//! - NIST CAVP AES-128 KATs in CTR form (BoringSSL `nist_cavp/aes_128_ctr.txt`), both
//!   directions.
//!
//! Each vector goes through [`apply_ctr`] and through `DecryptionBlt` on a device whose
//! session key was negotiated to be the vector key.

mod common;

use keyward_core::backend::aes::AesKey;
use keyward_core::Secret;
use keyward_cryptosession::{apply_ctr, AesCtrIv, KeyExchangePublicKey, VideoDevice};
use keyward_test_support::vectors;

struct Vector {
    key: [u8; 16],
    iv: AesCtrIv,
    input: Vec<u8>,
    output: Vec<u8>,
}

fn check(vectors: &[Vector]) {
    let device = common::device();
    let session = common::session(&device);
    let leaf =
        KeyExchangePublicKey::from_certificate_chain(&device.certificate_chain(&session).unwrap())
            .unwrap();
    for vector in vectors {
        let mut data = vector.input.clone();
        apply_ctr(
            &AesKey::new(&vector.key).unwrap(),
            &vector.iv,
            None,
            &mut data,
        )
        .unwrap();
        assert_eq!(data, vector.output);
        blt(&device, &leaf, &session, vector);
    }
}

fn blt(
    device: &VideoDevice,
    leaf: &KeyExchangePublicKey,
    session: &keyward_cryptosession::CryptoSession,
    vector: &Vector,
) {
    let blob = leaf.encrypt_session_key(&Secret::new(vector.key)).unwrap();
    device.negotiate_key_exchange(session, &blob).unwrap();
    let mut out = vec![0u8; vector.input.len()];
    device
        .decryption_blt(session, &vector.input, &mut out, None, None, &vector.iv)
        .unwrap();
    assert_eq!(out, vector.output);
}

#[test]
fn rfc3686_aes128_ctr() {
    let mut cases = Vec::new();
    vectors::run(
        "pyca-cryptography-vectors/ciphers/AES/CTR/aes-128-ctr.txt",
        |section, case| {
            assert_eq!(section.name(), "ENCRYPT");
            case.skip(&["COUNT"]);
            cases.push(Vector {
                key: case.bytes("KEY").try_into().unwrap(),
                iv: AesCtrIv::parse(&case.bytes("IV")).unwrap(),
                input: case.bytes("PLAINTEXT"),
                output: case.bytes("CIPHERTEXT"),
            });
        },
    );
    let vectors = cases;
    assert_eq!(vectors.len(), 3);
    // RFC 3686 vector 2: the nonce ‖ IV half and the block counter 1.
    assert_eq!(
        vectors[1].iv,
        AesCtrIv {
            iv: 0x006C_B6DB_C054_3B59,
            count: 0xDA48_D90B_0000_0001
        }
    );
    check(&vectors);
}

#[test]
fn nist_cavp_aes128_ctr() {
    let mut cases = Vec::new();
    vectors::run(
        "boringssl/crypto/cipher/test/nist_cavp/aes_128_ctr.txt",
        |_, case| {
            assert_eq!(case.text("Cipher"), "AES-128-CTR");
            let plaintext = case.bytes("Plaintext");
            let ciphertext = case.bytes("Ciphertext");
            let (input, output) = match case.text("Operation").as_str() {
                "ENCRYPT" => (plaintext, ciphertext),
                "DECRYPT" => (ciphertext, plaintext),
                other => panic!("unexpected operation {other}"),
            };
            cases.push(Vector {
                key: case.bytes("Key").try_into().unwrap(),
                iv: AesCtrIv::parse(&case.bytes("IV")).unwrap(),
                input,
                output,
            });
        },
    );
    let vectors = cases;
    assert_eq!(vectors.len(), 568);
    check(&vectors);
}

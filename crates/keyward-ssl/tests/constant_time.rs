//! The constant-time check of CBC record decryption, for `scripts/constant-time` (Valgrind
//! memcheck): a read key is built from key material marked secret, so everything derived from
//! it (the key schedules, the decrypted bytes, the padding, the MAC) is secret to memcheck,
//! and every rejected record below must be refused without a branch or a memory address that
//! depends on them. The one place a verdict becomes public by design, aws-lc's final
//! accept-or-reject branch, is named in `scripts/constant-time.supp`.
//!
//! Every CBC suite keyward offers, in each protocol that allows it, MAC-then-encrypt (the
//! Lucky13 case; encrypt-then-MAC rejects a forged record on its MAC before decrypting).
//! Outside Valgrind the test checks that each record is rejected and the valid one accepted.

use keyward_ssl::record::BulkCipher;
use keyward_ssl::suites::CIPHER_SUITES;
use keyward_ssl::{CbcMode, Direction, Protocol, SessionKey};
use keyward_test_support::memcheck::{declassify, poison};

/// Application data: a record of 4 blocks of plaintext before the MAC and padding.
const CONTENT_TYPE: u8 = 23;

/// The records an attacker can send that decrypt under a key to: a record with a bad MAC and
/// good padding, bad padding, and padding bytes all wrong, made from one sealed record.
fn rejected_variants(sealed: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let len = sealed.len();
    let mut bad_mac = sealed.to_vec();
    // A flipped byte in the first ciphertext block scrambles that block's plaintext (the MAC
    // fails) and leaves the padding at the end untouched.
    bad_mac[5 + 16 + 3] ^= 0x40;
    let mut bad_padding = sealed.to_vec();
    // A flipped byte in the second-to-last block flips the same byte of the last plaintext
    // block: the padding length byte.
    bad_padding[len - 16 - 1] ^= 0x01;
    let mut scrambled_tail = sealed.to_vec();
    scrambled_tail[len - 1] ^= 0x80;
    vec![
        ("bad MAC, good padding", bad_mac),
        ("bad padding", bad_padding),
        ("scrambled last block", scrambled_tail),
    ]
}

#[test]
fn rejected_cbc_records_are_refused_without_secret_branches() {
    let mut checked = 0;
    for suite in CIPHER_SUITES
        .iter()
        .filter(|suite| matches!(suite.cipher, BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc))
    {
        for protocol in [Protocol::Tls10, Protocol::Tls12] {
            if !suite.allows(protocol) {
                continue;
            }
            let material_len =
                suite.mac.key_len() + suite.cipher.key_len() + suite.cipher.fixed_iv_len(protocol);
            let material: Vec<u8> = (0..material_len).map(|i| (i * 29 + 7) as u8).collect();
            let make = |direction, material: &[u8]| {
                SessionKey::from_key_material(
                    protocol,
                    suite,
                    direction,
                    CbcMode::MacThenEncrypt,
                    material,
                )
            };
            let Ok(writer) = make(Direction::Write, &material) else {
                // Suites without constant-time code (NTE_NOT_SUPPORTED) are not offered.
                continue;
            };
            let plaintext = [0x5au8; 64];
            let mut sealed = vec![0u8; writer.max_encrypted_len(plaintext.len())];
            let sealed_len = writer
                .encrypt_packet(&plaintext, &mut sealed, 0, CONTENT_TYPE)
                .unwrap();
            sealed.truncate(sealed_len);

            let secret = material.clone();
            poison(&secret);
            let reader = make(Direction::Read, &secret).unwrap();
            let mut out = vec![0u8; sealed.len()];
            for (class, record) in rejected_variants(&sealed) {
                let result = reader.decrypt_packet(&record, &mut out, 0);
                assert!(
                    result.is_err(),
                    "{} {protocol:?}: {class} accepted",
                    suite.name
                );
            }
            // The valid record for comparison; its plaintext is secret until compared.
            let reader = make(Direction::Read, &material).unwrap();
            let len = reader.decrypt_packet(&sealed, &mut out, 0).unwrap();
            declassify(&out);
            assert_eq!(&out[..len], &plaintext[..], "{} {protocol:?}", suite.name);
            checked += 1;
        }
    }
    assert!(
        checked >= 6,
        "only {checked} CBC suite and protocol pairs checked"
    );
}

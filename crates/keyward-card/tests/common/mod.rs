//! Shared fixtures of the keyward-card integration tests: keysets, key pairs generated once
//! per test binary, temporary directories, and cards.

#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
};
use keyward_card::card::{Personalization, VirtualCard};
use keyward_card::scp03::StaticKeys;

pub const USER_PIN: &[u8] = b"1234";
pub const ADMIN_PIN: &[u8] = b"admin-pin-0";

/// pySim's AES keyset pattern (ENC 00.., MAC 10.., DEK 20..) at `key_len` bytes, KVN 30.
pub fn keys(key_len: usize) -> StaticKeys {
    let pattern = |base: u8| -> Vec<u8> { (0..key_len).map(|i| base + (i % 16) as u8).collect() };
    StaticKeys::new(0x30, &pattern(0x00), &pattern(0x10), &pattern(0x20)).unwrap()
}

/// A key pair for the tests: PKCS#8 and the public key.
pub struct TestKey {
    pub pkcs8: Vec<u8>,
    pub public: Vec<u8>,
}

/// An RSA-2048 key pair, generated once.
pub fn rsa_key() -> &'static (aws_lc_rs::rsa::KeyPair, Vec<u8>) {
    static KEY: OnceLock<(aws_lc_rs::rsa::KeyPair, Vec<u8>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
            .unwrap()
            .as_ref()
            .to_vec();
        (pair, der)
    })
}

/// An EC P-256 key pair, generated once.
pub fn ec_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        TestKey {
            pkcs8: pair.to_pkcs8v1().unwrap().as_ref().to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        }
    })
}

/// An EC P-384 key (the card refuses it).
pub fn p384_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
        .unwrap()
        .to_pkcs8v1()
        .unwrap()
        .as_ref()
        .to_vec()
}

/// The default personalization with `keys(16)` and the test PINs.
pub fn personalization() -> Personalization {
    Personalization::new(keys(16), USER_PIN, ADMIN_PIN).unwrap()
}

/// A file-backed card at `path`.
pub fn card_at(path: &Path) -> VirtualCard {
    VirtualCard::create(path, personalization()).unwrap()
}

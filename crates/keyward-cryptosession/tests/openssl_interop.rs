//! The application side done by OpenSSL, not by keyward: OpenSSL verifies the session's
//! certificate chain, encrypts the session key (`openssl pkeyutl -encrypt`, OAEP with SHA-512
//! and MGF1-SHA-512), unwraps the readback key (`openssl enc -aes-128-ecb`), decrypts
//! `EncryptionBlt` output and encrypts `DecryptionBlt` input (`openssl enc -aes-128-ctr`),
//! with and without a content key and with a partial-encryption pattern.
//!
//! The device's key store is a fresh directory under the system temporary directory (the
//! `KEYWARD_HOME` of this test). Without an `openssl` binary these tests fail; they are
//! never skipped.

mod common;

use common::openssl;
use keyward_core::store::KeyStore;
use keyward_cryptosession::{AesCtrIv, CryptoSession, EncryptedBlockInfo, VideoDevice};
use keyward_test_support::TempDir;
use std::path::Path;
use std::sync::OnceLock;

/// The device (in its own key store) and the OpenSSL-side files, made once.
struct Fixture {
    home: TempDir,
    device: VideoDevice,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let home = TempDir::new("cryptosession-home");
        let device = VideoDevice::open(&KeyStore::open(&home).unwrap()).unwrap();
        Fixture { home, device }
    })
}

fn path(name: &str) -> String {
    fixture().home.join(name).to_str().unwrap().to_owned()
}

fn write(name: &str, bytes: &[u8]) -> String {
    let file = path(name);
    std::fs::write(&file, bytes).unwrap();
    file
}

/// `openssl enc` with a raw key (and IV), on stdin.
fn enc(decrypt: bool, cipher: &str, key: &[u8], iv: Option<&[u8; 16]>, data: &[u8]) -> Vec<u8> {
    let key_hex = hex::encode(key);
    let iv_hex = iv.map(hex::encode);
    let mut args = vec![
        "enc",
        if decrypt { "-d" } else { "-e" },
        cipher,
        "-K",
        &key_hex,
    ];
    if let Some(iv_hex) = &iv_hex {
        args.extend(["-iv", iv_hex]);
    }
    if cipher.ends_with("ecb") {
        args.push("-nopad");
    }
    let out = openssl(&args, data);
    assert_eq!(out.len(), data.len());
    out
}

/// 16 random bytes from `openssl rand`.
fn openssl_random_key() -> [u8; 16] {
    openssl(&["rand", "16"], &[]).try_into().unwrap()
}

/// A session of the fixture device whose key OpenSSL chose and encrypted; returns the key.
fn negotiated_session(tag: &str) -> (CryptoSession, [u8; 16]) {
    let device = &fixture().device;
    let session = device
        .create_crypto_session(
            &keyward_cryptosession::D3D11_CRYPTO_TYPE_AES128_CTR,
            &keyward_cryptosession::Guid::NULL,
            &keyward_cryptosession::D3D11_KEY_EXCHANGE_RSAES_OAEP,
        )
        .unwrap();
    // The chain from GetCertificateSize / GetCertificate.
    let mut chain = vec![0u8; device.certificate_size(&session).unwrap()];
    device.certificate(&session, &mut chain).unwrap();
    let chain_file = write(&format!("{tag}-chain.der"), &chain);
    // OpenSSL reads the first certificate (the leaf) and its public key.
    let leaf = openssl(
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            &chain_file,
            "-outform",
            "DER",
        ],
        &[],
    );
    let root = chain[leaf.len()..].to_vec();
    assert!(!root.is_empty());
    let leaf_pem = write(
        &format!("{tag}-leaf.pem"),
        &openssl(&["x509", "-inform", "DER", "-outform", "PEM"], &leaf),
    );
    let root_pem = write(
        &format!("{tag}-root.pem"),
        &openssl(&["x509", "-inform", "DER", "-outform", "PEM"], &root),
    );
    // OpenSSL accepts the chain: the leaf verifies under the root.
    let verdict = openssl(&["verify", "-CAfile", &root_pem, &leaf_pem], &[]);
    assert!(
        String::from_utf8_lossy(&verdict)
            .trim_end()
            .ends_with(": OK"),
        "{}",
        String::from_utf8_lossy(&verdict)
    );
    let public_key = write(
        &format!("{tag}-leaf-public.pem"),
        &openssl(&["x509", "-in", &leaf_pem, "-pubkey", "-noout"], &[]),
    );
    let session_key = openssl_random_key();
    let key_file = write(&format!("{tag}-session.key"), &session_key);
    let blob = openssl(
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            &public_key,
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha512",
            "-pkeyopt",
            "rsa_mgf1_md:sha512",
            "-in",
            &key_file,
        ],
        &[],
    );
    assert_eq!(blob.len(), 256);
    device.negotiate_key_exchange(&session, &blob).unwrap();
    (session, session_key)
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// The encrypted byte ranges of a `D3D11_ENCRYPTED_BLOCK_INFO` over `len` bytes, computed
/// here from the structure's documented meaning.
fn encrypted_ranges(info: &EncryptedBlockInfo, len: usize) -> Vec<std::ops::Range<usize>> {
    let beginning = (info.num_encrypted_bytes_at_beginning as usize).min(len);
    let (skip, encrypt) = (
        info.num_bytes_in_skip_pattern as usize,
        info.num_bytes_in_encrypt_pattern as usize,
    );
    let mut ranges = Vec::new();
    ranges.push(0..beginning);
    let mut at = beginning;
    if encrypt > 0 {
        loop {
            at += skip;
            if at >= len {
                break;
            }
            let end = (at + encrypt).min(len);
            ranges.push(at..end);
            at = end;
        }
    }
    ranges
}

#[test]
fn encryption_blt_output_decrypts_with_openssl() {
    let device = &fixture().device;
    let (session, session_key) = negotiated_session("readback");
    let mut wrapped = [0u8; 16];
    device.encryption_blt_key(&session, &mut wrapped).unwrap();
    let readback_key = enc(true, "-aes-128-ecb", &session_key, None, &wrapped);
    let surface = plaintext(1000);
    let mut staging = vec![0u8; surface.len()];
    for _ in 0..2 {
        let iv = device
            .encryption_blt(&session, &surface, &mut staging)
            .unwrap();
        assert_ne!(staging, surface);
        let decrypted = enc(
            true,
            "-aes-128-ctr",
            &readback_key,
            Some(&iv.to_bytes()),
            &staging,
        );
        assert_eq!(decrypted, surface);
    }
}

#[test]
fn decryption_blt_of_openssl_ciphertext_with_the_session_key() {
    let device = &fixture().device;
    let (session, session_key) = negotiated_session("session-key");
    let surface = plaintext(777);
    // Count near its top: the counter carries from Count into IV, as in OpenSSL.
    let iv = AesCtrIv {
        iv: 0x0123_4567_89ab_cdef,
        count: u64::MAX - 3,
    };
    let encrypted = enc(
        false,
        "-aes-128-ctr",
        &session_key,
        Some(&iv.to_bytes()),
        &surface,
    );
    let mut out = vec![0u8; surface.len()];
    device
        .decryption_blt(&session, &encrypted, &mut out, None, None, &iv)
        .unwrap();
    assert_eq!(out, surface);
}

#[test]
fn decryption_blt_with_a_content_key() {
    let device = &fixture().device;
    let (session, session_key) = negotiated_session("content-key");
    let content_key = openssl_random_key();
    let wrapped = enc(false, "-aes-128-ecb", &session_key, None, &content_key);
    let surface = plaintext(4096 + 5);
    let iv = AesCtrIv {
        iv: 0xfeed_face_0000_0001,
        count: 0,
    };
    let encrypted = enc(
        false,
        "-aes-128-ctr",
        &content_key,
        Some(&iv.to_bytes()),
        &surface,
    );
    let mut out = vec![0u8; surface.len()];
    device
        .decryption_blt(&session, &encrypted, &mut out, None, Some(&wrapped), &iv)
        .unwrap();
    assert_eq!(out, surface);
}

#[test]
fn decryption_blt_with_a_partial_encryption_pattern() {
    let device = &fixture().device;
    let (session, session_key) = negotiated_session("pattern");
    // The last encrypted region is cut short by the end of the buffer, mid-block.
    let surface = plaintext(950);
    let iv = AesCtrIv {
        iv: 0x0000_0000_dead_beef,
        count: 0x10,
    };
    let info = EncryptedBlockInfo {
        num_encrypted_bytes_at_beginning: 64,
        num_bytes_in_skip_pattern: 48,
        num_bytes_in_encrypt_pattern: 80,
    };
    let ranges = encrypted_ranges(&info, surface.len());
    assert_eq!(ranges.len(), 8);
    assert_eq!(ranges.last().unwrap().clone(), 880..950);
    for content_key in [None, Some(openssl_random_key())] {
        let data_key = content_key.unwrap_or(session_key);
        // OpenSSL encrypts the encrypted regions, concatenated, as one CTR stream.
        let joined: Vec<u8> = ranges
            .iter()
            .flat_map(|r| surface[r.clone()].to_vec())
            .collect();
        let stream = enc(
            false,
            "-aes-128-ctr",
            &data_key,
            Some(&iv.to_bytes()),
            &joined,
        );
        let mut encrypted = surface.clone();
        let mut at = 0;
        for range in &ranges {
            encrypted[range.clone()].copy_from_slice(&stream[at..at + range.len()]);
            at += range.len();
        }
        let wrapped = content_key.map(|key| enc(false, "-aes-128-ecb", &session_key, None, &key));
        let mut out = vec![0u8; surface.len()];
        device
            .decryption_blt(
                &session,
                &encrypted,
                &mut out,
                Some(&info),
                wrapped.as_deref(),
                &iv,
            )
            .unwrap();
        assert_eq!(out, surface);
    }
}

#[test]
fn refreshed_key_matches_openssl_xor() {
    let device = &fixture().device;
    let (session, session_key) = negotiated_session("refresh");
    let mut random = [0u8; 16];
    device
        .start_session_key_refresh(&session, &mut random)
        .unwrap();
    device.finish_session_key_refresh(&session).unwrap();
    let new_key: Vec<u8> = session_key.iter().zip(random).map(|(k, r)| k ^ r).collect();
    let surface = plaintext(100);
    let iv = AesCtrIv { iv: 42, count: 0 };
    let encrypted = enc(
        false,
        "-aes-128-ctr",
        &new_key,
        Some(&iv.to_bytes()),
        &surface,
    );
    let mut out = vec![0u8; surface.len()];
    device
        .decryption_blt(&session, &encrypted, &mut out, None, None, &iv)
        .unwrap();
    assert_eq!(out, surface);
}

#[test]
fn key_store_holds_the_chain_entries() {
    let home: &Path = &fixture().home;
    let store = KeyStore::open(home).unwrap();
    let names = store.list().unwrap();
    assert!(
        names.contains(&"keyward-d3d11-device".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"keyward-d3d11-root".to_owned()),
        "{names:?}"
    );
}

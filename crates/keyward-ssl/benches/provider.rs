//! Provider operations next to the bare aws-lc-rs primitive they are built on, in one run:
//! `cargo bench -p keyward-ssl`. Each group has a `keyward` and an `aws-lc-rs` line.

use aws_lc_rs::{aead, agreement, cipher, hmac, rand, rsa, tls_prf};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use keyward_ssl::keys::PublicBlobType;
use keyward_ssl::{
    CipherSuite, EphemeralKey, Group, Parameters, PrivateKey, Protocol, Provider, SessionKeys, Side,
};
use std::hint::black_box;

const TLS1_2: Protocol = Protocol::Tls12;

/// The table entry of a suite.
fn suite_of(id: u16) -> &'static CipherSuite {
    CipherSuite::from_id(id).unwrap()
}

/// The group with a TLS NamedGroup id.
fn named_group(id: u16) -> Group {
    Group::from_tls_id(id).unwrap()
}
const CR: [u8; 32] = [1; 32];
const SR: [u8; 32] = [2; 32];

fn provider() -> Provider {
    let dir = std::env::temp_dir().join(format!("keyward-bench-{}", std::process::id()));
    Provider::with_key_store(keyward_core::store::KeyStore::open(dir).unwrap())
}

fn master_secret_prf(premaster: &[u8]) -> Vec<u8> {
    let secret = tls_prf::Secret::new(&tls_prf::P_SHA256, premaster).unwrap();
    let seed = [CR, SR].concat();
    secret
        .derive(b"master secret", &seed, 48)
        .unwrap()
        .as_ref()
        .to_vec()
}

fn rsa_import(c: &mut Criterion) {
    let key_pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).unwrap();
    let pkcs8 =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key_pair).unwrap();
    let key = PrivateKey::from_pkcs8(pkcs8.as_ref(), b"").unwrap();
    let p = provider();
    let suite = suite_of(0x009C);
    let params = Parameters::with_randoms(&CR, &SR).highest_version(TLS1_2.wire_version());
    let public = p
        .import_public_key(
            PublicBlobType::Rsa,
            &key.public_key().export(PublicBlobType::Rsa).unwrap(),
        )
        .unwrap();
    let (_, encrypted) = p
        .generate_master_key_rsa(&public, TLS1_2, suite, &params)
        .unwrap();
    let decrypting = rsa::PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).unwrap();
    let decrypting = rsa::Pkcs1PrivateDecryptingKey::new(decrypting).unwrap();

    let mut group = c.benchmark_group("rsa2048_master_key_import");
    group.bench_function("keyward", |b| {
        b.iter(|| {
            p.import_master_key(&key, TLS1_2, suite, &params, black_box(&encrypted))
                .unwrap()
        })
    });
    group.bench_function("aws-lc-rs", |b| {
        let mut out = [0u8; 256];
        b.iter(|| {
            let premaster = decrypting.decrypt(black_box(&encrypted), &mut out).unwrap();
            master_secret_prf(premaster)
        })
    });
    group.finish();
}

fn ephemeral_master(c: &mut Criterion) {
    let p = provider();
    let suite = suite_of(0xC02F);
    let params = Parameters::with_randoms(&CR, &SR);
    for (name, group_id, alg) in [
        ("x25519", 29, &agreement::X25519),
        ("p256", 23, &agreement::ECDH_P256),
    ] {
        let peer = agreement::PrivateKey::generate(alg).unwrap();
        let peer_public = peer.compute_public_key().unwrap();
        let peer_key = p
            .create_ephemeral_key(TLS1_2, suite, named_group(group_id))
            .unwrap()
            .public_key();
        let mut group = c.benchmark_group(format!("{name}_ephemeral_and_master_key"));
        group.bench_function("keyward", |b| {
            b.iter(|| {
                let own = p
                    .create_ephemeral_key(TLS1_2, suite, named_group(group_id))
                    .unwrap();
                let share = own.public_key();
                let master = p
                    .generate_master_key(
                        &own,
                        black_box(&peer_key),
                        TLS1_2,
                        suite,
                        &params,
                        Side::Server,
                    )
                    .unwrap();
                (share, master)
            })
        });
        group.bench_function("aws-lc-rs", |b| {
            b.iter(|| {
                let own = agreement::PrivateKey::generate(alg).unwrap();
                let share = own.compute_public_key().unwrap();
                let peer = agreement::UnparsedPublicKey::new(alg, black_box(peer_public.as_ref()));
                let master = agreement::agree(&own, peer, aws_lc_rs::error::Unspecified, |z| {
                    Ok(master_secret_prf(z))
                })
                .unwrap();
                (share, master)
            })
        });
        group.finish();
    }
}

fn session_keys(c: &mut Criterion) {
    let p = provider();
    let suite = suite_of(0xC02F);
    let own = p
        .create_ephemeral_key(TLS1_2, suite, named_group(29))
        .unwrap();
    let peer = p
        .create_ephemeral_key(TLS1_2, suite, named_group(29))
        .unwrap();
    let params = Parameters::with_randoms(&CR, &SR);
    let master = p
        .generate_master_key(
            &own,
            &peer.public_key(),
            TLS1_2,
            suite,
            &params,
            Side::Client,
        )
        .unwrap();
    let mut group = c.benchmark_group("session_keys_aes128gcm");
    group.bench_function("keyward", |b| {
        b.iter(|| master.generate_session_keys(black_box(&params)).unwrap())
    });
    group.bench_function("aws-lc-rs", |b| {
        let secret_bytes = [7u8; 48];
        b.iter(|| {
            let secret = tls_prf::Secret::new(&tls_prf::P_SHA256, &secret_bytes).unwrap();
            let seed = [SR, CR].concat();
            let block = secret.derive(b"key expansion", &seed, 40).unwrap();
            let block = block.as_ref();
            let a = aead::LessSafeKey::new(
                aead::UnboundKey::new(&aead::AES_128_GCM, &block[..16]).unwrap(),
            );
            let b2 = aead::LessSafeKey::new(
                aead::UnboundKey::new(&aead::AES_128_GCM, &block[16..32]).unwrap(),
            );
            (a, b2)
        })
    });
    group.finish();
}

/// Client and server session keys of one TLS 1.2 connection with `suite` over X25519, and
/// one record of `plaintext` sealed by the client.
fn connection(
    suite: &'static CipherSuite,
    plaintext: &[u8],
) -> (SessionKeys, SessionKeys, Vec<u8>) {
    let p = provider();
    let client_share = p
        .create_ephemeral_key(TLS1_2, suite, named_group(29))
        .unwrap();
    let server_share = p
        .create_ephemeral_key(TLS1_2, suite, named_group(29))
        .unwrap();
    let params = Parameters::with_randoms(&CR, &SR);
    let keys = |own: &EphemeralKey, peer: &EphemeralKey, side| {
        p.generate_master_key(own, &peer.public_key(), TLS1_2, suite, &params, side)
            .unwrap()
            .generate_session_keys(&params)
            .unwrap()
    };
    let client_keys = keys(&client_share, &server_share, Side::Client);
    let server_keys = keys(&server_share, &client_share, Side::Server);
    let mut record = vec![0u8; client_keys.write.max_encrypted_len(plaintext.len())];
    let len = client_keys
        .write
        .encrypt_packet(plaintext, &mut record, 1, 23)
        .unwrap();
    record.truncate(len);
    (client_keys, server_keys, record)
}

fn gcm_records(c: &mut Criterion) {
    let plaintext = vec![0x42u8; 16384];
    let (client_keys, server_keys, record) = connection(suite_of(0xC02F), &plaintext);
    let bare = aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_128_GCM, &[9; 16]).unwrap());

    // Both sides work in place in the caller's buffer, as a record layer does.
    let mut group = c.benchmark_group("aes128gcm_16k_record");
    group.throughput(Throughput::Bytes(16384));
    let header = 5 + 8; // record header and explicit nonce
    let mut buf = vec![0u8; record.len()];
    group.bench_function(BenchmarkId::new("encrypt", "keyward"), |b| {
        b.iter(|| {
            client_keys
                .write
                .encrypt_packet_in_place(black_box(&mut buf), plaintext.len(), 1, 23)
                .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("encrypt", "aws-lc-rs"), |b| {
        let mut buf = plaintext.clone();
        b.iter(|| {
            let nonce = aead::Nonce::assume_unique_for_key([1; 12]);
            bare.seal_in_place_separate_tag(nonce, aead::Aad::from([0u8; 13]), black_box(&mut buf))
                .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("decrypt", "keyward"), |b| {
        let mut buf = record.clone();
        b.iter(|| {
            buf.copy_from_slice(&record);
            server_keys
                .read
                .decrypt_packet_in_place(black_box(&mut buf), 1)
                .map(|p| p.len())
                .unwrap()
        })
    });
    let mut sealed = plaintext.clone();
    let tag = bare
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key([1; 12]),
            aead::Aad::from([0u8; 13]),
            &mut sealed,
        )
        .unwrap();
    sealed.extend_from_slice(tag.as_ref());
    group.bench_function(BenchmarkId::new("decrypt", "aws-lc-rs"), |b| {
        let mut buf = vec![0u8; header + sealed.len()];
        b.iter(|| {
            buf[header..].copy_from_slice(&sealed);
            let nonce = aead::Nonce::assume_unique_for_key([1; 12]);
            bare.open_in_place(
                nonce,
                aead::Aad::from([0u8; 13]),
                black_box(&mut buf[header..]),
            )
            .map(|p| p.len())
            .unwrap()
        })
    });
    group.finish();
}

fn cbc_records(c: &mut Criterion) {
    for size in [1024usize, 16384] {
        cbc_record(c, size);
    }
}

fn cbc_record(c: &mut Criterion, size: usize) {
    let plaintext = vec![0x42u8; size];
    // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
    let (client_keys, server_keys, record) = connection(suite_of(0xC027), &plaintext);
    let mac_key = hmac::Key::new(hmac::HMAC_SHA256, &[5; 32]);
    let enc = cipher::EncryptingKey::cbc(
        cipher::UnboundCipherKey::new(&cipher::AES_128, &[6; 16]).unwrap(),
    )
    .unwrap();
    let dec = cipher::DecryptingKey::cbc(
        cipher::UnboundCipherKey::new(&cipher::AES_128, &[6; 16]).unwrap(),
    )
    .unwrap();

    let mut group = c.benchmark_group(format!("aes128cbc_sha256_{}k_record", size / 1024));
    group.throughput(Throughput::Bytes(size as u64));
    let mut out = vec![0u8; record.len()];
    group.bench_function(BenchmarkId::new("encrypt", "keyward"), |b| {
        b.iter(|| {
            client_keys
                .write
                .encrypt_packet(black_box(&plaintext), &mut out, 1, 23)
                .unwrap()
        })
    });
    // MAC ‖ padding: 32 + 16 bytes for these sizes (multiples of the block length).
    let padded = size + 32 + 16;
    group.bench_function(BenchmarkId::new("encrypt", "aws-lc-rs"), |b| {
        // MAC, pad, random IV, CBC: the same work, written directly.
        let mut buf = vec![0u8; padded];
        b.iter(|| {
            let tag = hmac::sign(&mac_key, black_box(&plaintext));
            buf[..size].copy_from_slice(&plaintext);
            buf[size..size + 32].copy_from_slice(tag.as_ref());
            buf[size + 32..].fill(15);
            let mut iv = [0u8; 16];
            rand::fill(&mut iv).unwrap();
            enc.less_safe_encrypt(&mut buf, cipher::EncryptionContext::Iv128(iv.into()))
                .unwrap();
        })
    });
    let mut plain = vec![0u8; record.len()];
    group.bench_function(BenchmarkId::new("decrypt", "keyward"), |b| {
        b.iter(|| {
            server_keys
                .read
                .decrypt_packet(black_box(&record), &mut plain, 1)
                .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("decrypt", "aws-lc-rs"), |b| {
        let body = &record[5 + 16..];
        let mut buf = body.to_vec();
        b.iter(|| {
            buf.copy_from_slice(body);
            dec.decrypt(&mut buf, cipher::DecryptionContext::Iv128([0u8; 16].into()))
                .unwrap();
            hmac::verify(&mac_key, &buf[..size], &buf[size..size + 32]).is_ok()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    rsa_import,
    ephemeral_master,
    session_keys,
    gcm_records,
    cbc_records
);
criterion_main!(benches);

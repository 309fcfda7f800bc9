//! Opaque export/import of master and session keys (`SslExportKey` / `SslImportKey` with
//! `BCRYPT_OPAQUE_KEY_BLOB`), including into a second process that opens the same key store.

mod common;

use common::{group, suite};
use keyward_core::Status;
use keyward_ssl::{Group, OpaqueKey, Parameters, Protocol, Provider, Side};
use keyward_test_support::TempDir;
use std::process::Command;

const TLS1_2: Protocol = Protocol::Tls12;
const SUITE: u16 = 0xC02B; // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
const CR: [u8; 32] = [3; 32];
const SR: [u8; 32] = [4; 32];
const CHILD_ENV: &str = "KEYWARD_OPAQUE_CHILD_BLOB";

fn masters(provider: &Provider) -> (keyward_ssl::MasterKey, keyward_ssl::MasterKey) {
    let x25519 = group(29);
    let probe = provider
        .create_ephemeral_key(TLS1_2, suite(SUITE), x25519)
        .unwrap();
    assert_eq!(
        probe.group(),
        Group::Ec(keyward_core::backend::Curve::X25519)
    );
    common::masters(provider, TLS1_2, suite(SUITE), x25519, &CR, &SR)
}

#[test]
fn master_and_session_keys_survive_the_trip() {
    let exporter = common::provider();
    let importer = common::provider(); // a separate instance over the same store
    let (client, server) = masters(&exporter);
    let blob = exporter.export_master_key(&client).unwrap();
    assert_eq!(blob.len(), exporter.opaque_master_key_len());
    let OpaqueKey::Master(imported) = importer.import_opaque_key(&blob).unwrap() else {
        panic!("not a master key")
    };
    assert_eq!(imported.side(), Side::Client);
    assert_eq!(imported.suite().id, 0xC02B);
    let params = Parameters::with_randoms(&CR, &SR);
    let server_keys = server.generate_session_keys(&params).unwrap();
    let client_keys = imported.generate_session_keys(&params).unwrap();

    let blob = exporter.export_session_key(&client_keys.write).unwrap();
    let OpaqueKey::Session(write) = importer.import_opaque_key(&blob).unwrap() else {
        panic!("not a session key")
    };
    let mut wire = [0u8; 64];
    let len = write
        .encrypt_packet(b"carried over", &mut wire, 9, 23)
        .unwrap();
    let mut plain = [0u8; 64];
    let n = server_keys
        .read
        .decrypt_packet(&wire[..len], &mut plain, 9)
        .unwrap();
    assert_eq!(&plain[..n], b"carried over");
}

#[test]
fn any_tampering_is_bad_data() {
    let provider = common::provider();
    let (client, _) = masters(&provider);
    let blob = provider.export_master_key(&client).unwrap();
    for i in 0..blob.len() {
        for bit in [0x01, 0x80] {
            let mut bad = blob.clone();
            bad[i] ^= bit;
            let err = provider.import_opaque_key(&bad).err().unwrap();
            assert_eq!(err.status(), Status::NTE_BAD_DATA, "byte {i}");
        }
    }
    for len in 0..blob.len() {
        let err = provider.import_opaque_key(&blob[..len]).err().unwrap();
        assert_eq!(err.status(), Status::NTE_BAD_DATA, "length {len}");
    }
    // Sealed under another store: not importable.
    let dir = TempDir::new("ssl-other-store");
    let other = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let err = other.import_opaque_key(&blob).err().unwrap();
    assert_eq!(err.status(), Status::NTE_BAD_DATA);
}

/// Runs in a child process started by `another_process_imports_the_blob`.
#[test]
fn child_imports_blob_from_environment() {
    let Ok(blob) = std::env::var(CHILD_ENV) else {
        return; // only meaningful inside the child
    };
    let dir = std::env::var("KEYWARD_HOME").unwrap();
    let provider = Provider::with_key_store(keyward_core::store::KeyStore::open(dir).unwrap());
    let OpaqueKey::Master(master) = provider
        .import_opaque_key(&hex::decode(blob).unwrap())
        .unwrap()
    else {
        panic!("not a master key")
    };
    let mut out = [0u8; 16];
    let randoms = [CR, SR].concat();
    master
        .export_keying_material(
            b"EXPORTER-child",
            randoms.as_slice().try_into().unwrap(),
            None,
            &mut out,
        )
        .unwrap();
    println!("CHILD-EXPORT {}", hex::encode(out));
}

#[test]
fn another_process_imports_the_blob() {
    let provider = common::provider();
    let (client, _) = masters(&provider);
    let mut expected = [0u8; 16];
    let randoms = [CR, SR].concat();
    client
        .export_keying_material(
            b"EXPORTER-child",
            randoms.as_slice().try_into().unwrap(),
            None,
            &mut expected,
        )
        .unwrap();
    let blob = provider.export_master_key(&client).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_imports_blob_from_environment",
            "--nocapture",
        ])
        .env(CHILD_ENV, hex::encode(&blob))
        .env("KEYWARD_HOME", &common::fixture().dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("CHILD-EXPORT {}", hex::encode(expected))),
        "child derived something else: {stdout}"
    );
}

/// Issue 12 item 7: the direction a key was made (or imported) with is enforced at use.
#[test]
fn a_read_key_cannot_encrypt_and_a_write_key_cannot_decrypt() {
    let exporter = common::provider();
    let importer = common::provider();
    let (client, server) = masters(&exporter);
    let params = Parameters::with_randoms(&CR, &SR);
    let client_keys = client.generate_session_keys(&params).unwrap();
    let server_keys = server.generate_session_keys(&params).unwrap();
    let mut wire = [0u8; 64];
    let mut plain = [0u8; 64];
    let len = client_keys
        .write
        .encrypt_packet(b"hello", &mut wire, 0, 23)
        .unwrap();
    for (what, read, write) in [
        ("made", server_keys.read, client_keys.write),
        (
            "imported",
            import_session(
                &importer,
                &exporter,
                &server.generate_session_keys(&params).unwrap().read,
            ),
            import_session(
                &importer,
                &exporter,
                &client.generate_session_keys(&params).unwrap().write,
            ),
        ),
    ] {
        assert_eq!(
            common::status(read.encrypt_packet(b"forged", &mut [0u8; 64], 1, 23)),
            Status::NTE_INVALID_HANDLE,
            "{what} read key encrypted"
        );
        let mut record = wire;
        assert_eq!(
            common::status(read.encrypt_packet_in_place(&mut record, 5, 1, 23)),
            Status::NTE_INVALID_HANDLE,
            "{what} read key encrypted in place"
        );
        assert_eq!(
            common::status(write.decrypt_packet(&wire[..len], &mut plain, 0)),
            Status::NTE_INVALID_HANDLE,
            "{what} write key decrypted"
        );
        let mut record = wire;
        assert_eq!(
            common::status(write.decrypt_packet_in_place(&mut record[..len], 0)),
            Status::NTE_INVALID_HANDLE,
            "{what} write key decrypted in place"
        );
        // The right direction still works.
        let n = read.decrypt_packet(&wire[..len], &mut plain, 0).unwrap();
        assert_eq!(&plain[..n], b"hello");
    }
}

fn import_session(
    importer: &Provider,
    exporter: &Provider,
    key: &keyward_ssl::SessionKey,
) -> keyward_ssl::SessionKey {
    let blob = exporter.export_session_key(key).unwrap();
    let OpaqueKey::Session(key) = importer.import_opaque_key(&blob).unwrap() else {
        panic!("not a session key")
    };
    key
}

const TLS1_0: Protocol = Protocol::Tls10;
/// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: chained CBC IVs under TLS 1.0.
const CBC_SUITE: u16 = 0xC009;
const CBC_CHILD_ENV: &str = "KEYWARD_OPAQUE_CBC_CHILD";

/// Runs in a child process started by `a_tls10_cbc_key_continues_in_another_process`: imports
/// a write key and a read key exported mid-stream, seals record 2 with the write key, checks
/// that the read key opens it, and prints the record.
#[test]
#[ignore = "runs only as the child of a_tls10_cbc_key_continues_in_another_process"]
fn cbc_child_continues_the_stream() {
    let blobs = std::env::var(CBC_CHILD_ENV).expect("started by the parent test");
    let (write_blob, read_blob) = blobs.split_once(':').unwrap();
    let dir = std::env::var("KEYWARD_HOME").unwrap();
    let provider = Provider::with_key_store(keyward_core::store::KeyStore::open(dir).unwrap());
    let import = |blob: &str| {
        let OpaqueKey::Session(key) = provider
            .import_opaque_key(&hex::decode(blob).unwrap())
            .unwrap()
        else {
            panic!("not a session key")
        };
        key
    };
    let (write, read) = (import(write_blob), import(read_blob));
    let mut record = vec![0u8; write.max_encrypted_len(40)];
    let len = write
        .encrypt_packet(&[0x33; 40], &mut record, 2, 23)
        .unwrap();
    let mut plain = [0u8; 64];
    let n = read
        .decrypt_packet(&record[..len], &mut plain, 2)
        .expect("the imported read key continues the chain");
    assert_eq!(&plain[..n], &[0x33; 40]);
    println!("CBC-CHILD-RECORD {}", hex::encode(&record[..len]));
}

/// Issue 12 item 7: a TLS 1.0 CBC key exported after two records carries its chaining IV, so
/// a copy imported by another process continues the chain (neither restarting it nor reusing
/// an IV), and the original peer key opens what the copy seals.
#[test]
fn a_tls10_cbc_key_continues_in_another_process() {
    let provider = common::provider();
    let (client, server) =
        common::masters(&provider, TLS1_0, suite(CBC_SUITE), group(23), &CR, &SR);
    let params = Parameters::with_randoms(&CR, &SR);
    let client_keys = client.generate_session_keys(&params).unwrap();
    let server_keys = server.generate_session_keys(&params).unwrap();
    let peer_read = server_keys.read;
    let mut copy_read = None;
    for seq in 0..2u64 {
        let mut record = [0u8; 128];
        let len = client_keys
            .write
            .encrypt_packet(&[seq as u8; 30], &mut record, seq, 23)
            .unwrap();
        let mut plain = [0u8; 64];
        let n = peer_read
            .decrypt_packet(&record[..len], &mut plain, seq)
            .unwrap();
        assert_eq!(&plain[..n], &[seq as u8; 30]);
        if seq == 1 {
            // Mid-stream: export the read key too, then keep using the original.
            copy_read = Some(provider.export_session_key(&peer_read).unwrap());
        }
    }
    let write_blob = provider.export_session_key(&client_keys.write).unwrap();
    let read_blob = copy_read.unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cbc_child_continues_the_stream",
            "--ignored",
            "--nocapture",
        ])
        .env(
            CBC_CHILD_ENV,
            format!("{}:{}", hex::encode(&write_blob), hex::encode(&read_blob)),
        )
        .env("KEYWARD_HOME", &common::fixture().dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stdout}\n{stderr}");
    let record = stdout
        .lines()
        .find_map(|line| line.strip_prefix("CBC-CHILD-RECORD "))
        .and_then(|record| hex::decode(record).ok())
        .expect("the child printed its record");
    let mut plain = [0u8; 64];
    let n = peer_read
        .decrypt_packet(&record, &mut plain, 2)
        .expect("the original peer key opens the copy's record 2");
    assert_eq!(&plain[..n], &[0x33; 40]);
    // And the original write key, which never sealed record 2, produces the same record:
    // the copy used the IV the chain gives, not a restarted or other one.
    let mut own = [0u8; 128];
    let len = client_keys
        .write
        .encrypt_packet(&[0x33; 40], &mut own, 2, 23)
        .unwrap();
    assert_eq!(&own[..len], record.as_slice());
}

/// A fresh, empty key store of its own (rotation must not disturb the shared fixture).
fn own_store(tag: &str) -> (TempDir, keyward_core::store::KeyStore) {
    let dir = TempDir::new(&format!("ssl-opaque-{tag}"));
    let store = keyward_core::store::KeyStore::open(&dir).unwrap();
    (dir, store)
}

/// The sealing key id a blob names (bytes 12..16 of the format).
fn key_id(blob: &[u8]) -> u32 {
    u32::from_be_bytes(blob[12..16].try_into().unwrap())
}

/// An exporter value that shows which master secret a master key holds.
fn fingerprint(master: &keyward_ssl::MasterKey) -> [u8; 16] {
    let mut out = [0u8; 16];
    let randoms = [CR, SR].concat();
    master
        .export_keying_material(
            b"EXPORTER-fingerprint",
            randoms.as_slice().try_into().unwrap(),
            None,
            &mut out,
        )
        .unwrap();
    out
}

fn import_master(provider: &Provider, blob: &[u8]) -> keyward_ssl::MasterKey {
    let OpaqueKey::Master(master) = provider.import_opaque_key(blob).unwrap() else {
        panic!("not a master key")
    };
    master
}

/// Issue 12 item 7: blobs name their sealing key; after `rotate_sealing_key` new blobs are
/// sealed under the new key and blobs sealed under the old one still open.
#[test]
fn a_blob_sealed_under_an_old_sealing_key_opens_after_rotation() {
    let (dir, store) = own_store("rotate");
    let running = Provider::with_key_store(store.clone());
    let (client, _) = masters(&running);
    let old_blob = running.export_master_key(&client).unwrap();
    assert_eq!(key_id(&old_blob), 1);

    assert_eq!(store.rotate_sealing_key().unwrap(), 2);
    // A process started after the rotation seals under key 2 and opens both.
    let restarted = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let new_blob = restarted.export_master_key(&client).unwrap();
    assert_eq!(key_id(&new_blob), 2);
    for blob in [&old_blob, &new_blob] {
        assert_eq!(
            fingerprint(&import_master(&restarted, blob)),
            fingerprint(&client)
        );
    }
    // The process that loaded only key 1 still seals under it, opens a key-2 blob by
    // loading the keys again, and from then on seals under key 2.
    assert_eq!(key_id(&running.export_master_key(&client).unwrap()), 1);
    assert_eq!(
        fingerprint(&import_master(&running, &new_blob)),
        fingerprint(&client)
    );
    assert_eq!(key_id(&running.export_master_key(&client).unwrap()), 2);
    assert_eq!(
        fingerprint(&import_master(&running, &old_blob)),
        fingerprint(&client)
    );
}

/// Issue 12 item 7: a blob naming a sealing key the store does not have (another store's
/// newer key, or a key since deleted) is `NTE_BAD_DATA`.
#[test]
fn a_blob_under_an_unknown_sealing_key_is_bad_data() {
    let unknown =
        keyward_core::Error::BadData("opaque key blob sealed under an unknown sealing key");
    let (dir, store) = own_store("unknown");
    let (_other_dir, other_store) = own_store("unknown-other");
    other_store.rotate_sealing_key().unwrap();
    other_store.rotate_sealing_key().unwrap();
    let other = Provider::with_key_store(other_store);
    let (client, _) = masters(&other);
    let foreign = other.export_master_key(&client).unwrap();
    assert_eq!(key_id(&foreign), 2);
    let provider = Provider::with_key_store(store.clone());
    let error = provider.import_opaque_key(&foreign).err().unwrap();
    assert_eq!(error, unknown);
    assert_eq!(error.status(), Status::NTE_BAD_DATA);

    // Retired: sealed under key 1, which is deleted after a rotation.
    let blob = provider.export_master_key(&client).unwrap();
    store.rotate_sealing_key().unwrap();
    std::fs::remove_file(dir.join("sealing/00000001.key")).unwrap();
    let restarted = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let error = restarted.import_opaque_key(&blob).err().unwrap();
    assert_eq!(error, unknown);
    assert_eq!(error.status(), Status::NTE_BAD_DATA);
}

//! Opaque export/import of master and session keys (`SslExportKey` / `SslImportKey` with
//! `BCRYPT_OPAQUE_KEY_BLOB`), including into a second process that opens the same key store.

mod common;

use keyward_core::Status;
use keyward_ssl::{Group, OpaqueKey, Parameters, Provider, Side};
use std::process::Command;

const TLS1_2: u32 = 0x0303;
const SUITE: u32 = 0xC02B; // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
const CR: [u8; 32] = [3; 32];
const SR: [u8; 32] = [4; 32];
const CHILD_ENV: &str = "KEYWARD_OPAQUE_CHILD_BLOB";

fn masters(provider: &Provider) -> (keyward_ssl::MasterKey, keyward_ssl::MasterKey) {
    let x25519 = 29;
    let probe = provider
        .create_ephemeral_key(TLS1_2, SUITE, x25519, 0, None)
        .unwrap();
    assert_eq!(
        probe.group(),
        Group::Ec(keyward_core::backend::Curve::X25519)
    );
    common::masters(provider, TLS1_2, SUITE, x25519, &CR, &SR)
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
    let dir = std::env::temp_dir().join(format!("keyward-other-store-{}", std::process::id()));
    let other = Provider::with_key_store(keyward_core::store::KeyStore::open(&dir).unwrap());
    let err = other.import_opaque_key(&blob).err().unwrap();
    assert_eq!(err.status(), Status::NTE_BAD_DATA);
    std::fs::remove_dir_all(dir).unwrap();
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

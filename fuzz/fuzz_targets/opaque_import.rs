//! Opaque key blob import (`SslImportKey` with `BCRYPT_OPAQUE_KEY_BLOB`) against one fixed key
//! store. Mode 0 imports the bytes as given; mode 1 seals the fuzzed secret under the store's
//! real sealing key with a fuzzed header, so the decoder behind the AEAD sees it. Whatever
//! imports must export and import again to the same kind.
#![no_main]

use arbitrary::Arbitrary;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM_SIV};
use keyward_core::store::KeyStore;
use keyward_fuzz::{provider, store_dir};
use keyward_ssl::OpaqueKey;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    seal: bool,
    kind: u8,
    protocol: u16,
    suite: u16,
    role: u8,
    secret: &'a [u8],
    raw: &'a [u8],
}

fn sealed(input: &Input<'_>) -> Vec<u8> {
    let store = KeyStore::open(store_dir()).expect("fuzz key store");
    let keys = store.sealing_keys().expect("sealing keys");
    let key = keys.newest().expect("a sealing key");
    let key_id = key.id();
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM_SIV, key.expose()).expect("AES key"));
    // Format version 2: magic, version, kind, protocol, suite, role, 0, key id, nonce.
    let mut blob = b"KWOK\x02".to_vec();
    blob.push(input.kind);
    blob.extend_from_slice(&input.protocol.to_be_bytes());
    blob.extend_from_slice(&input.suite.to_be_bytes());
    blob.extend_from_slice(&[input.role, 0]);
    blob.extend_from_slice(&key_id.to_be_bytes());
    blob.extend_from_slice(&[7; 12]);
    let nonce = Nonce::assume_unique_for_key([7; 12]);
    let mut secret = input.secret.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(blob.clone()), &mut secret)
        .expect("seal");
    blob.extend_from_slice(&secret);
    blob
}

fuzz_target!(|input: Input<'_>| {
    let provider = provider();
    let blob = if input.seal {
        sealed(&input)
    } else {
        input.raw.to_vec()
    };
    let Ok(key) = provider.import_opaque_key(&blob) else {
        return;
    };
    let exported = match &key {
        OpaqueKey::Master(master) => provider.export_master_key(master),
        OpaqueKey::Session(session) => provider.export_session_key(session),
        OpaqueKey::Tls13(secret) => provider.export_tls13_secret(secret),
    }
    .expect("an imported key exports");
    let again = provider
        .import_opaque_key(&exported)
        .expect("an exported key imports");
    assert_eq!(std::mem::discriminant(&again), std::mem::discriminant(&key));
});

//! Every `SslImportKey` blob type through the provider's import paths (public keys, ephemeral
//! private keys, `BCRYPT_KEY_DATA_BLOB`) and every blob parser of keyward-core. The first byte
//! picks the blob type.
#![no_main]

use keyward_core::blob::{
    BlobType, DhParameters, DhPrivateBlob, DhPublicBlob, EccPrivateBlob, EccPublicBlob,
    KeyDataBlob, RsaFullPrivateBlob, RsaPrivateBlob, RsaPublicBlob,
};
use keyward_fuzz::provider;
use keyward_ssl::{EphemeralKey, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, blob)) = data.split_first() else {
        return;
    };
    let blob_type = BlobType::ALL[usize::from(which) % BlobType::ALL.len()];
    let name = blob_type.name();
    match blob_type {
        BlobType::RsaPublic | BlobType::EccPublic | BlobType::DhPublic => {
            if let Ok(key) = provider().import_public_key(name, blob) {
                // An imported key exports to a blob that imports to the same export.
                let exported = key.export(name).expect("an imported key exports");
                let again = PublicKey::import(name, &exported).expect("an export imports");
                assert_eq!(again.export(name).ok(), Some(exported));
            }
        }
        BlobType::EccPrivate | BlobType::DhPrivate => {
            if let Ok(key) = EphemeralKey::import_private(name, blob) {
                let _ = key.public_key();
            }
        }
        BlobType::RsaPrivate | BlobType::RsaFullPrivate | BlobType::Opaque => {
            let _ = provider().import_public_key(name, blob);
        }
    }
    let _ = RsaPublicBlob::parse(blob);
    let _ = RsaPrivateBlob::parse(blob);
    let _ = RsaFullPrivateBlob::parse(blob);
    let _ = EccPublicBlob::parse(blob);
    let _ = EccPrivateBlob::parse(blob);
    let _ = DhParameters::parse(blob);
    let _ = DhPublicBlob::parse(blob);
    let _ = DhPrivateBlob::parse(blob);
    let _ = KeyDataBlob::parse(blob);
});

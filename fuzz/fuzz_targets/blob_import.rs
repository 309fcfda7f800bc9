//! Every `SslImportKey` key blob type through the provider's import paths (public keys and
//! ephemeral private keys) and every blob parser of keyward-core. The first byte picks the
//! blob type. (keyward-ffi's table of `pszBlobType` names is fuzzed through the C ABI by
//! `c_abi`.)
#![no_main]

use keyward_core::blob::{
    DhParameters, DhPrivateBlob, DhPublicBlob, EccPrivateBlob, EccPublicBlob, KeyDataBlob,
    RsaFullPrivateBlob, RsaPrivateBlob, RsaPublicBlob,
};
use keyward_fuzz::provider;
use keyward_ssl::{EphemeralKey, PrivateBlobType, PublicBlobType, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, blob)) = data.split_first() else {
        return;
    };
    let kinds = PublicBlobType::ALL.len() + PrivateBlobType::ALL.len();
    let which = usize::from(which) % kinds;
    match PublicBlobType::ALL.get(which) {
        Some(&blob_type) => {
            if let Ok(key) = provider().import_public_key(blob_type, blob) {
                // An imported key exports to a blob that imports to the same export.
                let exported = key.export(blob_type).expect("an imported key exports");
                let again = PublicKey::import(blob_type, &exported).expect("an export imports");
                assert_eq!(again.export(blob_type).ok(), Some(exported));
            }
        }
        None => {
            let blob_type = PrivateBlobType::ALL[which - PublicBlobType::ALL.len()];
            if let Ok(key) = EphemeralKey::import_private(blob_type, blob) {
                let _ = key.public_key();
            }
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

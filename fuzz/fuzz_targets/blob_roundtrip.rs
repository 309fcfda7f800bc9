//! CNG blob parse → emit → parse is the identity: for every blob type, a blob that parses
//! emits exactly its own bytes (the formats have one encoding), and that parses again.
#![no_main]

use keyward_core::blob::{
    DhParameters, DhPrivateBlob, DhPublicBlob, EccPrivateBlob, EccPublicBlob, KeyDataBlob,
    RsaFullPrivateBlob, RsaPrivateBlob, RsaPublicBlob,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, blob)) = data.split_first() else {
        return;
    };
    let emitted: Option<Vec<u8>> = match which % 9 {
        0 => RsaPublicBlob::parse(blob).ok().map(|b| b.to_bytes()),
        1 => RsaPrivateBlob::parse(blob)
            .ok()
            .map(|b| b.to_bytes().expose().to_vec()),
        2 => RsaFullPrivateBlob::parse(blob)
            .ok()
            .map(|b| b.to_bytes().expose().to_vec()),
        3 => EccPublicBlob::parse(blob).ok().map(|b| b.to_bytes()),
        4 => EccPrivateBlob::parse(blob)
            .ok()
            .map(|b| b.to_bytes().expose().to_vec()),
        5 => DhParameters::parse(blob).ok().map(|b| b.to_bytes()),
        6 => DhPublicBlob::parse(blob).ok().map(|b| b.to_bytes()),
        7 => DhPrivateBlob::parse(blob)
            .ok()
            .map(|b| b.to_bytes().expose().to_vec()),
        _ => KeyDataBlob::parse(blob)
            .ok()
            .map(|b| b.to_bytes().expose().to_vec()),
    };
    if let Some(emitted) = emitted {
        assert_eq!(emitted, blob, "parse then emit changed the blob");
    }
});

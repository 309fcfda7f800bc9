//! Blit descriptors: `D3D11_AES_CTR_IV` and `D3D11_ENCRYPTED_BLOCK_INFO` as bytes, the
//! encrypted ranges they select (in order, disjoint, inside the buffer), and `DecryptionBlt`
//! with them, a fuzzed content key and fuzzed buffer sizes on a negotiated session.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use keyward_core::Secret;
use keyward_cryptosession::{
    AesCtrIv, EncryptedBlockInfo, Guid, KeyExchangePublicKey, VideoDevice,
    D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_KEY_EXCHANGE_RSAES_OAEP,
};
use keyward_fuzz::device_credentials;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    iv: &'a [u8],
    block_info: Option<&'a [u8]>,
    content_key: Option<&'a [u8]>,
    source: &'a [u8],
    destination_len: u16,
    refresh: bool,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(iv) = AesCtrIv::parse(input.iv) else {
        return;
    };
    assert_eq!(iv.to_bytes().as_slice(), input.iv);
    let block_info = match input.block_info {
        Some(bytes) => match EncryptedBlockInfo::parse(bytes) {
            Ok(info) => {
                assert_eq!(info.to_bytes().as_slice(), bytes);
                let mut end = 0;
                for range in info.encrypted_ranges(input.source.len()) {
                    assert!(range.start >= end && range.start < range.end);
                    assert!(range.end <= input.source.len());
                    end = range.end;
                }
                Some(info)
            }
            Err(_) => return,
        },
        None => None,
    };
    let device = VideoDevice::with_credentials(Arc::clone(&device_credentials()));
    let session = device
        .create_crypto_session(
            &D3D11_CRYPTO_TYPE_AES128_CTR,
            &Guid::NULL,
            &D3D11_KEY_EXCHANGE_RSAES_OAEP,
        )
        .expect("crypto session");
    let chain = device.certificate_chain(&session).expect("chain");
    let blob = KeyExchangePublicKey::from_certificate_chain(&chain)
        .expect("device key")
        .encrypt_session_key(&Secret::new([0x5c; 16]))
        .expect("key exchange blob");
    device
        .negotiate_key_exchange(&session, &blob)
        .expect("negotiation");
    if input.refresh {
        let mut random = [0u8; 16];
        device
            .start_session_key_refresh(&session, &mut random)
            .expect("refresh");
        device
            .finish_session_key_refresh(&session)
            .expect("refresh");
    }
    let mut destination = vec![0u8; usize::from(input.destination_len)];
    let _ = device.decryption_blt(
        &session,
        input.source,
        &mut destination,
        block_info.as_ref(),
        input.content_key,
        &iv,
    );
    let mut readback = vec![0u8; input.source.len()];
    let mut wrapped = [0u8; 16];
    if device.encryption_blt_key(&session, &mut wrapped).is_ok() {
        let _ = device.encryption_blt(&session, input.source, &mut readback);
    }
});

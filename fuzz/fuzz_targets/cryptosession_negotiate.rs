//! `NegotiateCryptoSessionKeyExchange` input: the 256-byte blob as given, or a fuzzed
//! plaintext RSAES-OAEP-encrypted to the device's real key (so the checks after the
//! decryption are reached). A negotiated session must then decrypt what its key encrypted.
#![no_main]

use arbitrary::Arbitrary;
use keyward_core::backend::aes::AesKey;
use keyward_core::Secret;
use keyward_cryptosession::{
    apply_ctr, AesCtrIv, Guid, KeyExchangePublicKey, VideoDevice, D3D11_CRYPTO_TYPE_AES128_CTR,
    D3D11_KEY_EXCHANGE_RSAES_OAEP,
};
use keyward_fuzz::device_credentials;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    encrypt: bool,
    data: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let device = VideoDevice::with_credentials(device_credentials());
    let session = device
        .create_crypto_session(
            &D3D11_CRYPTO_TYPE_AES128_CTR,
            &Guid::NULL,
            &D3D11_KEY_EXCHANGE_RSAES_OAEP,
        )
        .expect("crypto session");
    let chain = device
        .certificate_chain(&session)
        .expect("certificate chain");
    let public = KeyExchangePublicKey::from_certificate_chain(&chain).expect("device key");
    let blob = if input.encrypt {
        match public.encrypt(input.data) {
            Ok(blob) => blob.to_vec(),
            Err(_) => return,
        }
    } else {
        input.data.to_vec()
    };
    if device.negotiate_key_exchange(&session, &blob).is_err() {
        return;
    }
    // The session key is the plaintext (16 bytes): a blit under it round-trips.
    let key: [u8; 16] = input
        .data
        .try_into()
        .expect("only a 16-byte session key negotiates");
    let iv = AesCtrIv { iv: 7, count: 0 };
    let plain = *b"thirty-two bytes of test content";
    let mut encrypted = plain;
    apply_ctr(
        &AesKey::new(Secret::new(key).expose()).expect("AES key"),
        &iv,
        None,
        &mut encrypted,
    )
    .expect("CTR");
    let mut out = [0u8; 32];
    device
        .decryption_blt(&session, &encrypted, &mut out, None, None, &iv)
        .expect("decryption blit after a negotiation");
    assert_eq!(out, plain);
});

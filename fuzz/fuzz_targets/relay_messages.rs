//! The relay messages of the two-process injection (`keyward card inject`), decoded: every
//! decoder of keyward-card's `minidriver::relay` (hello, the container's public key, the
//! encrypted data, the result) takes the same bytes from the other half, and a message one of
//! them accepts is canonical (it encodes back to exactly those bytes). The carrier that brings
//! the messages is the `relay` target.
#![no_main]

use keyward_card::minidriver::relay::{
    decode_public_key, decode_result, encode_public_key, encode_result, EncryptedData,
    Establishment,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(hello) = Establishment::from_message(bytes) {
        assert_eq!(hello.to_message(), bytes);
    }
    if let Ok(key) = decode_public_key(bytes) {
        assert_eq!(encode_public_key(&key), bytes);
    }
    if let Ok(data) = EncryptedData::from_message(bytes) {
        assert_eq!(data.to_message(), bytes);
    }
    if let Ok(status) = decode_result(bytes) {
        assert_eq!(encode_result(status), bytes);
    }
});

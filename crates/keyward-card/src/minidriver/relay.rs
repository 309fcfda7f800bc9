//! The messages of keyward's two-process secure key injection: what the server half (the
//! minidriver in no-card mode, holding the card's static keys) and the client half (the
//! minidriver at the reader) send each other, and their encodings. How the messages travel
//! (threads, a shared directory) is the caller's; `keyward card inject` carries them.
//!
//! The messages, in order:
//!
//! | # | from → to | name | content |
//! |---|---|---|---|
//! | 1 | server → client | [`HELLO`] | [`Establishment`]: `00` (SCP03 shared key) or `01 NN` (session key wrapped with container NN) |
//! | 2–4 | | shared key | [`HOST_CHALLENGE`] (s→c), [`CARD_CHALLENGE`] (c→s), [`EXTERNAL_AUTHENTICATE`] (s→c): the `CardGetSharedKeyHandle` outputs, as they are |
//! | 2–4 | | session key | [`CONTAINER_PUBLIC_KEY`] (c→s, [`encode_public_key`]), [`WRAPPED_SESSION_KEY`] (s→c), [`IV`] (c→s, the card's nonce) |
//! | 5 | server → client | [`ENCRYPTED_DATA`] | [`EncryptedData`]: the secure function's name and the `CARD_ENCRYPTED_DATA` blobs |
//! | 6 | client → server | [`RESULT`] | the status of `CardProcessEncryptedData`, a little-endian `DWORD` ([`encode_result`]) |
//!
//! Fields are a 4-byte big-endian length followed by the bytes, read with keyward-core's
//! [`Reader`]. Every message comes from the
//! other process, so every decoder here takes untrusted bytes: a malformed message is
//! [`Error::MalformedMessage`] (or [`Error::UnsupportedFeature`] for a public key that is not
//! RSA), never a panic.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use keyward_core::codec::{self, LengthPrefix, Reader};

use crate::instructions::PublicKey;
use crate::{Error, Result};

/// Message 1, server → client: how the key is shared ([`Establishment`]).
pub const HELLO: &str = "hello";
/// Shared key, server → client: the server's first `CardGetSharedKeyHandle` output.
pub const HOST_CHALLENGE: &str = "host-challenge";
/// Shared key, client → server: the client's first `CardGetSharedKeyHandle` output.
pub const CARD_CHALLENGE: &str = "card-challenge";
/// Shared key, server → client: the server's second `CardGetSharedKeyHandle` output.
pub const EXTERNAL_AUTHENTICATE: &str = "external-authenticate";
/// Session key, client → server: the RSA public key of the wrapping container
/// ([`encode_public_key`]).
pub const CONTAINER_PUBLIC_KEY: &str = "container-public-key";
/// Session key, server → client: the session key, RSAES-OAEP-wrapped.
pub const WRAPPED_SESSION_KEY: &str = "wrapped-session-key";
/// Session key, client → server: the card's nonce, the session key's
/// `CKP_INITIALIZATION_VECTOR`.
pub const IV: &str = "iv";
/// Server → client: the secure function and its blobs ([`EncryptedData`]).
pub const ENCRYPTED_DATA: &str = "encrypted-data";
/// Client → server: the status of `CardProcessEncryptedData` ([`encode_result`]).
pub const RESULT: &str = "result";

/// How the server and the card come to share a key: the [`HELLO`] message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Establishment {
    /// `CardGetSharedKeyHandle` (SCP03 with the card's static keys).
    SharedKey,
    /// `CardImportSessionKey` with the RSA key-exchange key of `container`.
    SessionKey {
        /// The card container whose RSA key wraps the session key.
        container: u8,
    },
}

impl Establishment {
    /// The [`HELLO`] message: `00`, or `01` and the container.
    pub fn to_message(self) -> Vec<u8> {
        match self {
            Establishment::SharedKey => vec![0],
            Establishment::SessionKey { container } => vec![1, container],
        }
    }

    /// Decodes a [`HELLO`] message; anything but `00` or `01 NN` is
    /// [`Error::MalformedMessage`].
    pub fn from_message(message: &[u8]) -> Result<Self> {
        match message {
            [0] => Ok(Establishment::SharedKey),
            [1, container] => Ok(Establishment::SessionKey {
                container: *container,
            }),
            _ => Err(Error::MalformedMessage("a malformed hello")),
        }
    }
}

/// The [`CONTAINER_PUBLIC_KEY`] message: `01 ‖ modulus field ‖ exponent field` for RSA
/// (`02 ‖ point field` for EC, which the server refuses: it wraps only to RSA).
pub fn encode_public_key(key: &PublicKey) -> Vec<u8> {
    let mut out = Vec::new();
    match key {
        PublicKey::Rsa { modulus, exponent } => {
            out.push(1);
            put_field(&mut out, modulus);
            put_field(&mut out, exponent);
        }
        PublicKey::EcP256 { point } => {
            out.push(2);
            put_field(&mut out, point);
        }
    }
    out
}

/// Decodes a [`CONTAINER_PUBLIC_KEY`] message. Errors: a truncated message or trailing bytes
/// → [`Error::MalformedMessage`]; a key that is not RSA → [`Error::UnsupportedFeature`]. The
/// modulus and exponent are returned as sent: the wrapping checks them as a key.
pub fn decode_public_key(message: &[u8]) -> Result<PublicKey> {
    let truncated =
        |_: codec::Error| Error::MalformedMessage("the container's public key is truncated");
    let mut reader = Reader::new(message);
    let key = match reader.u8().map_err(truncated)? {
        1 => PublicKey::Rsa {
            modulus: reader.vec_u32().map_err(truncated)?.to_vec(),
            exponent: reader.vec_u32().map_err(truncated)?.to_vec(),
        },
        _ => {
            return Err(Error::UnsupportedFeature(
                "the container's public key is not an RSA key",
            ))
        }
    };
    reader
        .finish()
        .map_err(|_| Error::MalformedMessage("the container's public key has trailing bytes"))?;
    Ok(key)
}

/// The [`ENCRYPTED_DATA`] message: the secure function's name (`CSF_*`) and the
/// `CARD_ENCRYPTED_DATA` blobs of `MDEncryptData`, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedData {
    /// The secure function, as `MDEncryptData` was given it.
    pub function: String,
    /// The blobs, for `CardProcessEncryptedData`.
    pub blobs: Vec<Vec<u8>>,
}

impl EncryptedData {
    /// The message: the name's field, then one field per blob.
    pub fn to_message(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_field(&mut out, self.function.as_bytes());
        for blob in &self.blobs {
            put_field(&mut out, blob);
        }
        out
    }

    /// Decodes the message. Errors: a truncated field, or a name that is not UTF-8 →
    /// [`Error::MalformedMessage`]. Whether the blobs belong to the function is
    /// `CardProcessEncryptedData`'s to check.
    pub fn from_message(message: &[u8]) -> Result<Self> {
        let truncated =
            |_: codec::Error| Error::MalformedMessage("the encrypted data is truncated");
        let mut reader = Reader::new(message);
        let name = reader.vec_u32().map_err(truncated)?;
        let function = String::from_utf8(name.to_vec()).map_err(|_| {
            Error::MalformedMessage("the secure function's name in the encrypted data is not UTF-8")
        })?;
        let mut blobs = Vec::new();
        while !reader.is_empty() {
            blobs.push(reader.vec_u32().map_err(truncated)?.to_vec());
        }
        Ok(EncryptedData { function, blobs })
    }
}

/// The [`RESULT`] message: `status` (`SCARD_S_SUCCESS` or the `SCARD_*` failure of
/// `CardProcessEncryptedData`) as a little-endian `DWORD`.
pub fn encode_result(status: u32) -> [u8; 4] {
    status.to_le_bytes()
}

/// Decodes a [`RESULT`] message; anything but 4 bytes is [`Error::MalformedMessage`].
pub fn decode_result(message: &[u8]) -> Result<u32> {
    <[u8; 4]>::try_from(message)
        .map(u32::from_le_bytes)
        .map_err(|_| Error::MalformedMessage("a malformed result"))
}

/// Appends a field with a 4-byte big-endian length ([`Reader::vec_u32`] reads it back).
/// Relayed fields are this process's own and far below 4 GiB.
fn put_field(out: &mut Vec<u8>, field: &[u8]) {
    codec::put_prefixed(out, LengthPrefix::U32, |out| out.extend_from_slice(field));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_and_refuses_anything_else() {
        for via in [
            Establishment::SharedKey,
            Establishment::SessionKey { container: 3 },
        ] {
            assert_eq!(Establishment::from_message(&via.to_message()).unwrap(), via);
        }
        for bad in [&[][..], &[2], &[0, 0], &[1], &[1, 2, 3]] {
            assert!(matches!(
                Establishment::from_message(bad),
                Err(Error::MalformedMessage(_))
            ));
        }
    }

    #[test]
    fn public_keys_round_trip_rsa_only() {
        let rsa = PublicKey::Rsa {
            modulus: vec![0xC5; 256],
            exponent: vec![1, 0, 1],
        };
        assert_eq!(decode_public_key(&encode_public_key(&rsa)).unwrap(), rsa);
        let ec = PublicKey::EcP256 { point: vec![4; 65] };
        assert!(matches!(
            decode_public_key(&encode_public_key(&ec)),
            Err(Error::UnsupportedFeature(_))
        ));
        let mut trailing = encode_public_key(&rsa);
        trailing.push(0);
        assert!(matches!(
            decode_public_key(&trailing),
            Err(Error::MalformedMessage(_))
        ));
        let whole = encode_public_key(&rsa);
        for cut in 0..whole.len() {
            assert!(decode_public_key(&whole[..cut]).is_err(), "{cut}");
        }
        // A length field beyond the message, as a 32-bit length that is all ones.
        assert!(decode_public_key(&[1, 0xFF, 0xFF, 0xFF, 0xFF, 0]).is_err());
    }

    #[test]
    fn encrypted_data_round_trips_and_checks_its_fields() {
        let data = EncryptedData {
            function: "ImportKeyPair".into(),
            blobs: vec![vec![1, 2, 3], Vec::new(), vec![9; 300]],
        };
        assert_eq!(
            EncryptedData::from_message(&data.to_message()).unwrap(),
            data
        );
        let none = EncryptedData {
            function: String::new(),
            blobs: Vec::new(),
        };
        assert_eq!(
            EncryptedData::from_message(&none.to_message()).unwrap(),
            none
        );
        let whole = data.to_message();
        assert!(EncryptedData::from_message(&whole[..whole.len() - 1]).is_err());
        assert!(EncryptedData::from_message(&[]).is_err());
        assert!(EncryptedData::from_message(&[0, 0, 0, 2, 0xFF, 0xFE]).is_err());
    }

    #[test]
    fn malformed_messages_say_which_and_how() {
        let rsa = encode_public_key(&PublicKey::Rsa {
            modulus: vec![0xC5; 8],
            exponent: vec![3],
        });
        for cut in 0..rsa.len() {
            assert_eq!(
                decode_public_key(&rsa[..cut]),
                Err(Error::MalformedMessage(
                    "the container's public key is truncated"
                ))
            );
        }
        let mut trailing = rsa.clone();
        trailing.push(0);
        assert_eq!(
            decode_public_key(&trailing),
            Err(Error::MalformedMessage(
                "the container's public key has trailing bytes"
            ))
        );
        let data = EncryptedData {
            function: "x".into(),
            blobs: vec![vec![1]],
        }
        .to_message();
        for cut in [0, 3, 4, 6, 9] {
            assert_eq!(
                EncryptedData::from_message(&data[..cut]),
                Err(Error::MalformedMessage("the encrypted data is truncated")),
                "{cut}"
            );
        }
    }

    #[test]
    fn results_are_four_bytes() {
        assert_eq!(
            decode_result(&encode_result(0x8010_006B)).unwrap(),
            0x8010_006B
        );
        assert!(decode_result(&[0; 3]).is_err());
        assert!(decode_result(&[0; 5]).is_err());
    }
}

//! The other key establishment of secure key injection (docs/cryptosession-and-card.md, "Secure key
//! injection", way 2): the server makes an AES session key, wraps it with the RSA public key of a
//! card container, the client hands the wrapped key to the card (`CardImportSessionKey`), and the
//! server loads the same key into its no-card-mode minidriver (`MDImportSessionKey`).
//!
//! keyward's format: the wrapped key is RSAES-OAEP (hash and MGF1 of
//! `BCRYPT_OAEP_PADDING_INFO.pszAlgId`, empty label) of a `BCRYPT_KEY_DATA_BLOB` holding the
//! AES-128/192/256 key, under the key of a container with key spec `AT_KEYEXCHANGE`. The card
//! unwraps it, draws a 16-byte nonce, and opens an SCP03-style session keyed from the session
//! key and the nonce (security level `33`, [`crate::scp03::HostSession::from_session_key`]).
//! The nonce is the key's `CKP_INITIALIZATION_VECTOR`: the client reads it
//! (`CardGetKeyProperty`), the server sets it (`CardSetKeyProperty`) before `MDEncryptData`,
//! exactly as the documented flow has both sides set the same IV. Because the session keys
//! depend on the card's fresh nonce, blobs made for an earlier import never verify: an old
//! wrapped key and its blobs cannot be replayed.

use crate::instructions::{key_data_blob, OaepHash, PublicKey};
use crate::{Error, Result};
use keyward_core::backend::rsa::OaepPublicKey;

/// `BCRYPT_KEY_DATA_BLOB`: the blob type of a symmetric key (`pwszBlobType`).
pub const BCRYPT_KEY_DATA_BLOB: &str = "KeyDataBlob";

/// `BCRYPT_OAEP_PADDING_INFO` (`pPaddingInfo` of `CardImportSessionKey` with
/// `CARD_PADDING_OAEP`): the hash (`pszAlgId`) and the label (`pbLabel`, `cbLabel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OaepPaddingInfo {
    /// `pszAlgId`.
    pub hash: OaepHash,
    /// `pbLabel` / `cbLabel`: keyward's card takes only the empty label.
    pub label: Vec<u8>,
}

/// The server's half of the wrap (what `BCryptEncrypt` with `BCRYPT_PAD_OAEP` does on Windows):
/// `key` (16, 24 or 32 bytes) as a `BCRYPT_KEY_DATA_BLOB`, RSAES-OAEP-encrypted with `hash`
/// and an empty label under the container's RSA public key (as `CardGetContainerInfo`
/// reports it). An EC key is `UnsupportedFeature`; a bad key length or public key is
/// `InvalidParameter`.
pub fn wrap_session_key(public: &PublicKey, hash: OaepHash, key: &[u8]) -> Result<Vec<u8>> {
    let PublicKey::Rsa { modulus, exponent } = public else {
        return Err(Error::UnsupportedFeature(
            "session keys are wrapped with RSA keys only",
        ));
    };
    let blob = key_data_blob(key)?;
    let public = OaepPublicKey::from_spki_der(&rsa_spki_der(modulus, exponent))?;
    Ok(public.encrypt(hash.algorithm(), &[], blob.expose())?)
}

/// The X.509 `SubjectPublicKeyInfo` (DER) of an RSA public key given as big-endian modulus
/// and exponent: `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { SEQUENCE {
/// INTEGER n, INTEGER e } } }` (RFC 8017 A.1.1, RFC 5280 §4.1).
pub fn rsa_spki_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    const RSA_ENCRYPTION: [u8; 15] = [
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let public = der(
        0x30,
        &[der_integer(modulus), der_integer(exponent)].concat(),
    );
    let bit_string = der(0x03, &[&[0u8][..], &public].concat());
    der(0x30, &[&RSA_ENCRYPTION[..], &bit_string].concat())
}

/// A DER INTEGER of a non-negative big-endian number.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let digits = &value[start..];
    let mut content = Vec::with_capacity(digits.len() + 1);
    if digits.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(digits);
    der(0x02, &content)
}

/// A DER TLV with a definite length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_encodings() {
        assert_eq!(
            der_integer(&[0x01, 0x00, 0x01]),
            [0x02, 0x03, 0x01, 0x00, 0x01]
        );
        assert_eq!(der_integer(&[0x00, 0x00, 0x7F]), [0x02, 0x01, 0x7F]);
        assert_eq!(der_integer(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der_integer(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(der_integer(&[0, 0]), [0x02, 0x01, 0x00]);
        assert_eq!(der(0x04, &[0xAA; 0x7F])[..2], [0x04, 0x7F]);
        assert_eq!(der(0x04, &[0xAA; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(der(0x04, &[0xAA; 0x100])[..4], [0x04, 0x82, 0x01, 0x00]);
    }

    #[test]
    fn wraps_only_with_rsa() {
        let ec = PublicKey::EcP256 { point: vec![4; 65] };
        assert!(matches!(
            wrap_session_key(&ec, OaepHash::Sha256, &[1; 16]),
            Err(Error::UnsupportedFeature(_))
        ));
        let junk = PublicKey::Rsa {
            modulus: vec![0xFF; 8],
            exponent: vec![3],
        };
        assert!(wrap_session_key(&junk, OaepHash::Sha256, &[1; 16]).is_err());
    }
}

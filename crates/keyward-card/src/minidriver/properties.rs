//! The property calls of cardmod.h v7 that secure key injection uses: their names, the value
//! encodings, and the `pbData` / `cbData` / `pdwDataLen` rule.
//!
//! | call | property | `dwFlags` | value (`pbData`) |
//! |---|---|---|---|
//! | `CardGetProperty` | `CP_KEY_IMPORT_SUPPORT` | 0 | `DWORD`: `CARD_KEY_IMPORT_*` bits |
//! | | `CP_ENUM_ALGORITHMS` | `CARD_CIPHER_OPERATION` / `CARD_ASYMMETRIC_OPERATION` | UTF-16LE multi-string (each name NUL-terminated, then one more NUL) |
//! | | `CP_PADDING_SCHEMES` | `CARD_CIPHER_OPERATION` / `CARD_ASYMMETRIC_OPERATION` | `DWORD`: `CARD_BLOCK_PADDING` / `CARD_PADDING_*` bits |
//! | | `CP_CHAINING_MODES` | 0 or `CARD_CIPHER_OPERATION` | UTF-16LE multi-string of `BCRYPT_CHAIN_MODE_*` names |
//! | `CardGetAlgorithmProperty` | `CKP_CHAINING_MODE` | 0 | UTF-16LE NUL-terminated string |
//! | | `CKP_BLOCK_LENGTH` | 0 | `DWORD` (bytes) |
//! | | `BCRYPT_KEY_LENGTHS` | 0 | `BCRYPT_KEY_LENGTHS_STRUCT` (3 `DWORD`s, bits) |
//! | `CardGetKeyProperty` / `CardSetKeyProperty` | `CKP_CHAINING_MODE` | 0 | UTF-16LE NUL-terminated string |
//! | | `CKP_INITIALIZATION_VECTOR` | 0 | the IV bytes |
//! | | `CKP_BLOCK_LENGTH` (get only) | 0 | `DWORD` (bytes) |
//!
//! `DWORD`s are little-endian, as in memory on Windows. cardmod.h gives the names and the
//! flag values; the pages we could read do not show the value table, so the multi-string form
//! of the two name lists and the flags of each property follow the open-source minidrivers
//! that implement them (OpenPGP, CIE): our reading where cardmod.h and its documentation are silent.
//!
//! **Sizes**: the getters return the value; [`copy_out`] applies cardmod's buffer rule for a
//! C caller — the length always goes to `*pdwDataLen`, and a buffer shorter than the value
//! (including none) is `ERROR_INSUFFICIENT_BUFFER` ([`Error::BufferTooSmall`]), as the
//! `CardGetProperty` page says. The same rule serves `CardGetAlgorithmProperty` and
//! `CardGetKeyProperty`, whose pages do not state one.

use crate::{Error, Result};

/// `CP_KEY_IMPORT_SUPPORT`: how keys can be brought onto the card (read-only).
pub const CP_KEY_IMPORT_SUPPORT: &str = "Key Import Support";
/// `CP_ENUM_ALGORITHMS`: the algorithms for key import (read-only).
pub const CP_ENUM_ALGORITHMS: &str = "Algorithms";
/// `CP_PADDING_SCHEMES`: the padding schemes for key import (read-only).
pub const CP_PADDING_SCHEMES: &str = "Padding Schemes";
/// `CP_CHAINING_MODES`: the chaining modes for key import (read-only).
pub const CP_CHAINING_MODES: &str = "Chaining Modes";

/// The other card properties cardmod.h v7 defines; keyward's minidriver does not implement
/// them (they belong to the Base CSP's file-system card model), so `CardGetProperty` answers
/// `SCARD_E_UNSUPPORTED_FEATURE` for them rather than `SCARD_E_INVALID_PARAMETER`.
pub const OTHER_CARD_PROPERTIES: [&str; 16] = [
    "Free Space",
    "Capabilities",
    "Key Sizes",
    "Read Only Mode",
    "Cache Mode",
    "Supports Windows x.509 Enrollment",
    "Card Identifier",
    "Card Serial Number",
    "PIN Information",
    "PIN List",
    "Authenticated State",
    "PIN Strength Verify",
    "PIN Strength Change",
    "PIN Strength Unblock",
    "Parent Window",
    "PIN Context String",
];

/// `CKP_CHAINING_MODE`: a key's (or an algorithm's) chaining mode.
pub const CKP_CHAINING_MODE: &str = "ChainingMode";
/// `CKP_INITIALIZATION_VECTOR`: a key's IV.
pub const CKP_INITIALIZATION_VECTOR: &str = "IV";
/// `CKP_BLOCK_LENGTH`: a key's (or an algorithm's) block length in bytes.
pub const CKP_BLOCK_LENGTH: &str = "BlockLength";

/// `CARD_KEY_IMPORT_PLAIN_TEXT`: plain-text key import.
pub const CARD_KEY_IMPORT_PLAIN_TEXT: u32 = 0x1;
/// `CARD_KEY_IMPORT_RSA_KEYEST`: a session key wrapped with a card RSA key
/// (`CardImportSessionKey`).
pub const CARD_KEY_IMPORT_RSA_KEYEST: u32 = 0x2;
/// `CARD_KEY_IMPORT_ECC_KEYEST`: ECC key establishment.
pub const CARD_KEY_IMPORT_ECC_KEYEST: u32 = 0x4;
/// `CARD_KEY_IMPORT_SHARED_SYMMETRIC`: a key shared with the card
/// (`CardGetSharedKeyHandle`).
pub const CARD_KEY_IMPORT_SHARED_SYMMETRIC: u32 = 0x8;

/// `CARD_CIPHER_OPERATION`: `dwFlags` of the list properties, symmetric algorithms.
pub const CARD_CIPHER_OPERATION: u32 = 0x1;
/// `CARD_ASYMMETRIC_OPERATION`: `dwFlags` of the list properties, asymmetric algorithms.
pub const CARD_ASYMMETRIC_OPERATION: u32 = 0x2;

/// `CARD_BLOCK_PADDING` (= `BCRYPT_BLOCK_PADDING`): the minidriver pads to whole blocks.
pub const CARD_BLOCK_PADDING: u32 = 0x1;
/// `CARD_PADDING_NONE`.
pub const CARD_PADDING_NONE: u32 = 1;
/// `CARD_PADDING_PKCS1`.
pub const CARD_PADDING_PKCS1: u32 = 2;
/// `CARD_PADDING_PSS`.
pub const CARD_PADDING_PSS: u32 = 4;
/// `CARD_PADDING_OAEP`.
pub const CARD_PADDING_OAEP: u32 = 8;

/// `CARD_AES_ALGORITHM` (= `BCRYPT_AES_ALGORITHM`).
pub const CARD_AES_ALGORITHM: &str = "AES";
/// `BCRYPT_RSA_ALGORITHM`.
pub const BCRYPT_RSA_ALGORITHM: &str = "RSA";
/// `CARD_CHAIN_MODE_CBC` (= `BCRYPT_CHAIN_MODE_CBC`).
pub const CARD_CHAIN_MODE_CBC: &str = "ChainingModeCBC";

/// `BCRYPT_KEY_LENGTHS`: an algorithm's key sizes, a `BCRYPT_KEY_LENGTHS_STRUCT`
/// (`dwMinLength`, `dwMaxLength`, `dwIncrement`, in bits; three `DWORD`s).
pub const BCRYPT_KEY_LENGTHS: &str = "KeyLengths";

/// The AES block length in bytes.
pub const AES_BLOCK_LENGTH: u32 = 16;

/// A little-endian `DWORD` value.
pub fn dword(value: u32) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

/// Reads a `DWORD` value: exactly 4 bytes, else `InvalidParameter`.
pub fn parse_dword(bytes: &[u8]) -> Result<u32> {
    let bytes: [u8; 4] = bytes
        .try_into()
        .map_err(|_| Error::InvalidParameter("a DWORD value is 4 bytes"))?;
    Ok(u32::from_le_bytes(bytes))
}

/// A NUL-terminated UTF-16LE string (`LPCWSTR` contents).
pub fn wide_string(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain(core::iter::once(0))
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// A UTF-16LE multi-string: every item NUL-terminated, then one more NUL (an empty list is
/// one NUL character).
pub fn wide_multi_string(items: &[&str]) -> Vec<u8> {
    let mut out: Vec<u8> = items.iter().flat_map(|item| wide_string(item)).collect();
    out.extend_from_slice(&[0, 0]);
    out
}

/// Reads a NUL-terminated UTF-16LE string that fills `bytes` exactly (the `cbInput` of a
/// string property counts the terminator). An odd length, a missing or early terminator, or
/// invalid UTF-16 is `InvalidParameter`.
pub fn parse_wide_string(bytes: &[u8]) -> Result<String> {
    const MALFORMED: Error =
        Error::InvalidParameter("not a NUL-terminated UTF-16 string filling the buffer");
    if bytes.len() % 2 != 0 {
        return Err(MALFORMED);
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let (&last, text) = units.split_last().ok_or(MALFORMED)?;
    if last != 0 || text.contains(&0) {
        return Err(MALFORMED);
    }
    String::from_utf16(text).map_err(|_| MALFORMED)
}

/// Reads a UTF-16LE multi-string that fills `bytes` exactly; malformed input is
/// `InvalidParameter`.
pub fn parse_wide_multi_string(bytes: &[u8]) -> Result<Vec<String>> {
    const MALFORMED: Error = Error::InvalidParameter("not a UTF-16 multi-string");
    if bytes.len() % 2 != 0 {
        return Err(MALFORMED);
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let (&last, body) = units.split_last().ok_or(MALFORMED)?;
    if last != 0 {
        return Err(MALFORMED);
    }
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let (&terminator, items) = body.split_last().ok_or(MALFORMED)?;
    if terminator != 0 {
        return Err(MALFORMED);
    }
    items
        .split(|&unit| unit == 0)
        .map(|item| {
            if item.is_empty() {
                Err(MALFORMED)
            } else {
                String::from_utf16(item).map_err(|_| MALFORMED)
            }
        })
        .collect()
}

/// cardmod's output rule for a property value (`pbData`, `cbData`, `pdwDataLen`): returns
/// the value's length, which the caller stores in `*pdwDataLen` in every case. `buffer` is
/// `pbData[..cbData]` (`None` for a NULL `pbData`). A buffer shorter than the value, or none
/// for a non-empty value, is `BufferTooSmall { needed }` and nothing is written; otherwise
/// the value is copied to the start of the buffer.
pub fn copy_out(value: &[u8], buffer: Option<&mut [u8]>) -> Result<usize> {
    if value.is_empty() {
        return Ok(0);
    }
    match buffer {
        Some(buffer) if buffer.len() >= value.len() => {
            buffer[..value.len()].copy_from_slice(value);
            Ok(value.len())
        }
        _ => Err(Error::BufferTooSmall {
            needed: value.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_strings_encode_as_windows_does() {
        assert_eq!(wide_string("AES"), b"A\0E\0S\0\0\0");
        assert_eq!(wide_string(""), [0, 0]);
        assert_eq!(wide_string("é"), [0xE9, 0, 0, 0]);
        assert_eq!(wide_string("𝄞"), [0x34, 0xD8, 0x1E, 0xDD, 0, 0]);
        assert_eq!(
            wide_multi_string(&["AES", "RSA"]),
            b"A\0E\0S\0\0\0R\0S\0A\0\0\0\0\0"
        );
        assert_eq!(wide_multi_string(&[]), [0, 0]);
        assert_eq!(dword(0x0102_0304), [4, 3, 2, 1]);
        assert_eq!(parse_dword(&[8, 0, 0, 0]), Ok(8));
        assert!(parse_dword(&[8, 0, 0]).is_err());
        assert!(parse_dword(&[8, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn wide_strings_parse_strictly() {
        assert_eq!(
            parse_wide_string(&wide_string(CARD_CHAIN_MODE_CBC)).unwrap(),
            CARD_CHAIN_MODE_CBC
        );
        assert_eq!(parse_wide_string(&[0, 0]).unwrap(), "");
        for bad in [
            &b""[..],
            b"A",
            b"A\0E\0",
            b"A\0\0\0E\0\0\0",
            b"A\0\0\0\0",
            b"\0\xD8\0\0",
        ] {
            assert!(parse_wide_string(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_wide_multi_string(&wide_multi_string(&["AES", "RSA"])).unwrap(),
            ["AES", "RSA"]
        );
        assert!(parse_wide_multi_string(&wide_multi_string(&[]))
            .unwrap()
            .is_empty());
        for bad in [&b""[..], b"A\0\0\0", b"A\0\0\0\0\0\0\0", b"\0\0\0\0"] {
            assert!(parse_wide_multi_string(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn copy_out_follows_the_cbdata_rule() {
        let value = dword(CARD_KEY_IMPORT_SHARED_SYMMETRIC);
        assert_eq!(
            copy_out(&value, None),
            Err(Error::BufferTooSmall { needed: 4 })
        );
        let mut short = [0xAA; 3];
        assert_eq!(
            copy_out(&value, Some(&mut short)),
            Err(Error::BufferTooSmall { needed: 4 })
        );
        assert_eq!(short, [0xAA; 3], "nothing is written on failure");
        assert_eq!(Error::BufferTooSmall { needed: 4 }.status(), 122);
        let mut exact = [0; 4];
        assert_eq!(copy_out(&value, Some(&mut exact)), Ok(4));
        assert_eq!(exact, [8, 0, 0, 0]);
        let mut long = [0xAA; 6];
        assert_eq!(copy_out(&value, Some(&mut long)), Ok(4));
        assert_eq!(long, [8, 0, 0, 0, 0xAA, 0xAA]);
        assert_eq!(copy_out(&[], None), Ok(0));
    }
}

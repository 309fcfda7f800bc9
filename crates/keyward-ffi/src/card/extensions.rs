//! keyward's additions for the caller's side of the minidriver: what a Windows CSP gets from
//! winscard (`SCardEstablishContext`, `SCardConnect`, `SCardStatus`, `SCardDisconnect`,
//! `SCardReleaseContext`) and from CNG (`BCryptEncrypt` with OAEP, for the server's half of an
//! RSA-wrapped session key), plus the creation of a virtual card.
//!
//! The handles go into `CARD_DATA.hSCardCtx` and `CARD_DATA.hScard` before
//! `CardAcquireContext`, as PC/SC handles do on Windows. A connection reaches either a
//! virtual card in this process (its state in a file, see keyward-card's `card` module) or a
//! card in a PC/SC reader (pcscd; with vsmartcard's vpcd, also a virtual card served by
//! `keyward card emulate`).

use keyward_card::card::{Personalization, VirtualCard};
use keyward_card::instructions::OaepHash;
use keyward_card::instructions::PublicKey;
use keyward_card::minidriver::public_key_blob::parse_rsa_public_key_blob;
use keyward_card::minidriver::session_key::wrap_session_key;

use super::card_data::static_keys;
use super::objects;
use super::types::*;
use super::{Outcome, ScardStatus, INVALID_PARAMETER};
use crate::boundary::StatusFamily;
use crate::ptr::{
    c_string, caller, input, out, required_input, wide_string, write_len, write_result,
};

/// The longest path of a virtual card's state file, in bytes.
const MAX_PATH_LEN: usize = 4096;
/// The longest reader name, in bytes.
const MAX_READER_LEN: usize = 256;

/// A path argument; NULL, empty or longer than [`MAX_PATH_LEN`] is
/// `SCARD_E_INVALID_PARAMETER` (and, outside Unix, not UTF-8).
///
/// # Safety
/// A non-NULL `path` must be NUL-terminated or hold `MAX_PATH_LEN + 1` readable bytes.
unsafe fn path_argument(path: LPCSTR) -> Outcome<std::path::PathBuf> {
    let bytes = caller!(c_string(path, MAX_PATH_LEN))?;
    if bytes.is_empty() {
        return Err(INVALID_PARAMETER);
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::ffi::OsStr::from_bytes(bytes).into())
    }
    #[cfg(not(unix))]
    {
        Ok(std::str::from_utf8(bytes)
            .map_err(|_| INVALID_PARAMETER)?
            .into())
    }
}

/// `KeywardCardEstablishContext`: a new keyward resource-manager context, the stand-in for
/// `SCardEstablishContext`, for `CARD_DATA.hSCardCtx`. Release it with
/// `KeywardCardReleaseContext`.
///
/// Errors: NULL `phSCardCtx` → `SCARD_E_INVALID_PARAMETER`.
///
/// # Safety
/// `phSCardCtx` must be NULL or point to a writable `SCARDCONTEXT`.
#[no_mangle]
pub unsafe extern "system" fn KeywardCardEstablishContext(phSCardCtx: *mut SCARDCONTEXT) -> DWORD {
    ScardStatus::boundary(|| {
        let context_out = caller!(out(phSCardCtx))?;
        *context_out = objects::establish_context()?;
        Ok(())
    })
}

/// `KeywardCardReleaseContext`: releases a context and disconnects every card connected in
/// it (minidriver contexts still using them get `SCARD_E_INVALID_HANDLE` from card calls).
///
/// Errors: an unknown context → `SCARD_E_INVALID_HANDLE`.
///
/// # Safety
/// None beyond the function's contract (the handle is never dereferenced).
#[no_mangle]
pub unsafe extern "system" fn KeywardCardReleaseContext(hSCardCtx: SCARDCONTEXT) -> DWORD {
    ScardStatus::boundary(|| objects::release_context(hSCardCtx))
}

/// `KeywardCardConnectVirtual`: connects to the virtual card whose state file is at
/// `pszStatePath` (made by `KeywardCardCreateVirtualCard` or `keyward card emulate`), for
/// `CARD_DATA.hScard`. Connections to the same file in this process share one card (the file
/// must not be used by another process at the same time). The card's state is written back to
/// the file on every change.
///
/// Errors: NULL or empty path, NULL `phScard` → `SCARD_E_INVALID_PARAMETER`; an unknown
/// context → `SCARD_E_INVALID_HANDLE`; a missing or unreadable state file →
/// `SCARD_F_INTERNAL_ERROR`.
///
/// # Safety
/// `pszStatePath` must be a NUL-terminated string; `phScard` NULL or writable.
#[no_mangle]
pub unsafe extern "system" fn KeywardCardConnectVirtual(
    hSCardCtx: SCARDCONTEXT,
    pszStatePath: LPCSTR,
    phScard: *mut SCARDHANDLE,
) -> DWORD {
    ScardStatus::boundary(|| {
        let path = caller!(path_argument(pszStatePath))?;
        let card_out = caller!(out(phScard))?;
        *card_out = objects::connect_virtual(hSCardCtx, &path)?;
        Ok(())
    })
}

/// `KeywardCardConnectReader`: connects through PC/SC (pcscd) to the card in the first reader
/// whose name contains `pszReader` (an empty string takes the first reader), for
/// `CARD_DATA.hScard`.
///
/// Errors: NULL pointers or a name that is not UTF-8 → `SCARD_E_INVALID_PARAMETER`; an
/// unknown context → `SCARD_E_INVALID_HANDLE`; pcscd not running → `SCARD_E_NO_SERVICE`; no
/// reader → `SCARD_E_NO_READERS_AVAILABLE`; no such reader → `SCARD_E_UNKNOWN_READER`; an empty
/// reader → `SCARD_E_NO_SMARTCARD`; others as the resource manager reports them, with their
/// Windows values.
///
/// # Safety
/// `pszReader` must be a NUL-terminated string; `phScard` NULL or writable.
#[no_mangle]
pub unsafe extern "system" fn KeywardCardConnectReader(
    hSCardCtx: SCARDCONTEXT,
    pszReader: LPCSTR,
    phScard: *mut SCARDHANDLE,
) -> DWORD {
    ScardStatus::boundary(|| {
        let reader = caller!(c_string(pszReader, MAX_READER_LEN))?;
        let reader = std::str::from_utf8(reader).map_err(|_| INVALID_PARAMETER)?;
        let card_out = caller!(out(phScard))?;
        *card_out = objects::connect_reader(hSCardCtx, reader)?;
        Ok(())
    })
}

/// `KeywardCardDisconnect`: closes a connection. Minidriver contexts acquired over it stay
/// until `CardDeleteContext`, but their card calls fail with `SCARD_E_INVALID_HANDLE`.
///
/// Errors: an unknown connection → `SCARD_E_INVALID_HANDLE`.
///
/// # Safety
/// None beyond the function's contract (the handle is never dereferenced).
#[no_mangle]
pub unsafe extern "system" fn KeywardCardDisconnect(hScard: SCARDHANDLE) -> DWORD {
    ScardStatus::boundary(|| objects::disconnect(hScard))
}

/// `KeywardCardGetAtr`: the card's ATR, for `CARD_DATA.pbAtr` (the stand-in for
/// `SCardStatus`). `*pcbAtr` always receives the length; a NULL `pbAtr` asks for the length
/// only; a shorter buffer is `SCARD_E_INSUFFICIENT_BUFFER`.
///
/// Errors: NULL `pcbAtr` → `SCARD_E_INVALID_PARAMETER`; an unknown or closed connection →
/// `SCARD_E_INVALID_HANDLE`.
///
/// # Safety
/// `pbAtr` must be NULL or hold `cbAtr` writable bytes; `pcbAtr` NULL or writable.
#[no_mangle]
pub unsafe extern "system" fn KeywardCardGetAtr(
    hScard: SCARDHANDLE,
    pbAtr: PBYTE,
    cbAtr: DWORD,
    pcbAtr: PDWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        caller!(out(pcbAtr))?;
        let atr = objects::any_connection(hScard)?.with_link(|link| link.atr())?;
        Ok(caller!(write_result(&atr, pbAtr, cbAtr, pcbAtr))?)
    })
}

/// `KeywardCardCreateVirtualCard`: creates a virtual card whose state lives at `pszStatePath`
/// (a new file, mode 0600): static SCP03 keyset `*pKeys`, user and admin PINs of 4 to 16
/// bytes with 3 tries each, eight empty containers, the default AID. Connect to it with
/// `KeywardCardConnectVirtual`.
///
/// Errors: NULL pointers, an empty path, a bad keyset → `SCARD_E_INVALID_PARAMETER`; a PIN of
/// the wrong length → `SCARD_E_INVALID_CHV`; an existing file or one that cannot be written →
/// `SCARD_F_INTERNAL_ERROR`.
///
/// # Safety
/// `pszStatePath` must be a NUL-terminated string, `pKeys` NULL or readable, and each PIN
/// pointer hold its length of readable bytes.
#[no_mangle]
pub unsafe extern "system" fn KeywardCardCreateVirtualCard(
    pszStatePath: LPCSTR,
    pKeys: *const KEYWARD_CARD_KEYSET,
    pbUserPin: *const BYTE,
    cbUserPin: DWORD,
    pbAdminPin: *const BYTE,
    cbAdminPin: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let path = caller!(path_argument(pszStatePath))?;
        let keys = caller!(static_keys(pKeys))?;
        let user_pin = caller!(required_input(pbUserPin, cbUserPin))?;
        let admin_pin = caller!(required_input(pbAdminPin, cbAdminPin))?;
        let personalization = Personalization::new(keys, user_pin, admin_pin)?;
        VirtualCard::create(&path, personalization)?;
        Ok(())
    })
}

/// `KeywardCardWrapSessionKey`: the server's half of an RSA-wrapped session key (what
/// `BCryptEncrypt` with `BCRYPT_PAD_OAEP` does on Windows): `pbSessionKey` (an AES key of 16,
/// 24 or 32 bytes) as a `BCRYPT_KEY_DATA_BLOB`, RSAES-OAEP-encrypted with the hash
/// `pszOaepAlgId` (`SHA1`, `SHA256`, `SHA384` or `SHA512`; MGF1 with the same hash, empty
/// label) under the RSA public key `pbPublicKeyBlob`, a `PUBLICKEYBLOB` as
/// `CardGetContainerInfo` returns it. The result, as long as the modulus, is the `pbInput` of
/// the client's `CardImportSessionKey`; the server loads the same key with
/// `MDImportSessionKey`.
///
/// `*pcbResult` always receives the result's length; a NULL `pbOutput` asks for the length
/// only; a shorter buffer is `SCARD_E_INSUFFICIENT_BUFFER`.
///
/// Errors: NULL pointers, a malformed public-key blob or key length →
/// `SCARD_E_INVALID_PARAMETER`; another hash → `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// Each pointer must be NULL or hold its length of bytes (`pszOaepAlgId` NUL-terminated).
#[no_mangle]
pub unsafe extern "system" fn KeywardCardWrapSessionKey(
    pbPublicKeyBlob: *const BYTE,
    cbPublicKeyBlob: DWORD,
    pszOaepAlgId: LPCWSTR,
    pbSessionKey: *const BYTE,
    cbSessionKey: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: PDWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let blob = caller!(required_input(pbPublicKeyBlob, cbPublicKeyBlob))?;
        let hash_name = caller!(wide_string(pszOaepAlgId, 64))?;
        let session_key = caller!(input(pbSessionKey, cbSessionKey))?;
        caller!(out(pcbResult))?;
        let public = parse_rsa_public_key_blob(blob)?;
        let hash = OaepHash::from_cng_name(&hash_name)?;
        if !matches!(session_key.len(), 16 | 24 | 32) {
            return Err(INVALID_PARAMETER);
        }
        let PublicKey::Rsa { modulus, .. } = &public else {
            return Err(INVALID_PARAMETER);
        };
        let length = modulus.len();
        if pbOutput.is_null() || (cbOutput as usize) < length {
            caller!(write_len(pcbResult, length))?;
            if pbOutput.is_null() {
                return Ok(());
            }
            return Err(ScardStatus(SCARD_E_INSUFFICIENT_BUFFER));
        }
        let wrapped = wrap_session_key(&public, hash, session_key)?;
        Ok(caller!(write_result(
            &wrapped, pbOutput, cbOutput, pcbResult
        ))?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr::{null, null_mut};

    #[test]
    fn contexts_and_connections_check_their_arguments() {
        // SAFETY: NULL is checked.
        let outcome = unsafe { KeywardCardEstablishContext(null_mut()) };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        let mut context: SCARDCONTEXT = 0;
        // SAFETY: a valid out-pointer.
        let outcome = unsafe { KeywardCardEstablishContext(&mut context) };
        assert_eq!(outcome, SCARD_S_SUCCESS);
        let mut card: SCARDHANDLE = 0;
        // SAFETY: NULL path is checked.
        let outcome = unsafe { KeywardCardConnectVirtual(context, null(), &mut card) };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        // SAFETY: an empty NUL-terminated path.
        let outcome = unsafe { KeywardCardConnectVirtual(context, c"".as_ptr(), &mut card) };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        // SAFETY: a NUL-terminated path of a missing file.
        let outcome = unsafe {
            KeywardCardConnectVirtual(context, c"/nonexistent/keyward/state".as_ptr(), &mut card)
        };
        assert_eq!(outcome, SCARD_F_INTERNAL_ERROR);
        assert_eq!(card, 0);
        let mut length = 0;
        // SAFETY: valid pointers; the handle is unknown.
        let outcome = unsafe { KeywardCardGetAtr(context, null_mut(), 0, &mut length) };
        assert_eq!(outcome, SCARD_E_INVALID_HANDLE);
        // SAFETY: the handle is never dereferenced.
        let outcome = unsafe { KeywardCardDisconnect(context) };
        assert_eq!(outcome, SCARD_E_INVALID_HANDLE);
        // SAFETY: the handle is never dereferenced.
        let outcome = unsafe { KeywardCardReleaseContext(context) };
        assert_eq!(outcome, SCARD_S_SUCCESS);
        // SAFETY: the handle is never dereferenced.
        let outcome = unsafe { KeywardCardReleaseContext(context) };
        assert_eq!(outcome, SCARD_E_INVALID_HANDLE);
    }

    #[test]
    fn wrapping_checks_the_public_key_blob() {
        let sha256: Vec<u16> = "SHA256".encode_utf16().chain([0]).collect();
        let key = [7u8; 16];
        let mut length = 0;
        let junk = [6u8, 2, 0, 0, 0, 0xA4, 0, 0];
        // SAFETY: valid pointers.
        let outcome = unsafe {
            KeywardCardWrapSessionKey(
                junk.as_ptr(),
                junk.len() as DWORD,
                sha256.as_ptr(),
                key.as_ptr(),
                16,
                null_mut(),
                0,
                &mut length,
            )
        };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        // SAFETY: NULL blob is checked.
        let outcome = unsafe {
            KeywardCardWrapSessionKey(
                null(),
                0,
                sha256.as_ptr(),
                key.as_ptr(),
                16,
                null_mut(),
                0,
                &mut length,
            )
        };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
    }
}

//! The minidriver functions of `cardmod.h` v7 with their cardmod names, signatures and
//! `SCARD_*` statuses, over [`keyward_card::minidriver::CardContext`].
//!
//! `CardAcquireContext` checks the caller's `CARD_DATA` (docs/cryptosession-and-card.md, "CARD_DATA
//! and context acquisition"), negotiates the version down to `min(dwVersion, 7)` and writes it
//! back, keeps the new context's handle in `pvVendorSpecific`, and fills the minidriver's
//! function-pointer slots up to the negotiated version (never the CSP's callbacks
//! `pfnCspGetDHAgreement` and `pfnCspUnpadData`, never beyond the caller's version). Slots of
//! functions keyward does not implement point at functions of the slot's exact type that return
//! `SCARD_E_UNSUPPORTED_FEATURE`; `pfnCardDeauthenticate` is NULL, as cardmod.h asks of a
//! minidriver without it.
//!
//! Every other call finds its context through `pCardData->pvVendorSpecific`, and checks the
//! no-card-mode rule before it reads its arguments: in no-card mode only `MDImportSessionKey`,
//! `MDEncryptData`, `CardGetSharedKeyHandle`, `CardGetAlgorithmProperty`, `CardDestroyKey`,
//! `CardGetKeyProperty`, `CardSetKeyProperty` and `CardProcessEncryptedData` are allowed (and
//! `CardDeleteContext`); the others return `SCARD_E_NO_SMARTCARD`.

use core::mem::size_of;
use core::ptr::{addr_of_mut, null_mut};

use keyward_card::instructions::{OaepHash, PinId as Role};
use keyward_card::minidriver::properties::copy_out;
use keyward_card::minidriver::public_key_blob::container_blob;
use keyward_card::minidriver::secure_function::{SecureFunction, SecureFunctionOutput};
use keyward_card::minidriver::session_key::OaepPaddingInfo;
use keyward_card::minidriver::{Call, CardContext, CardKeyHandle};
use keyward_card::transport::Transport;
use keyward_card::Error;
use keyward_core::SecretVec;

use super::card_data::{vendor_config, CardData};
use super::objects::{self, lock, Minidriver, SharedTransport};
use super::types::*;
use super::{Outcome, ScardStatus, INVALID_PARAMETER};
use crate::boundary::StatusFamily;
use crate::ptr::{
    caller, in_ref, input, optional_out_ptr, out, out_buffer, out_ptr, output, required_input,
    wide_string,
};

/// The longest string argument, in UTF-16 code units (names of properties, algorithms, blob
/// types, secure functions, the card).
const MAX_NAME: usize = 256;

/// A NUL-terminated UTF-16 argument; NULL, misaligned, longer than [`MAX_NAME`] or not UTF-16
/// is `SCARD_E_INVALID_PARAMETER`.
///
/// # Safety
/// A non-NULL `text` must be NUL-terminated or hold at least `MAX_NAME + 1` readable units.
unsafe fn wide(text: LPCWSTR) -> Outcome<String> {
    Ok(caller!(wide_string(text, MAX_NAME))?)
}

/// The context of `pCardData` (`SCARD_E_INVALID_PARAMETER` for a NULL or misaligned
/// `CARD_DATA`, `SCARD_E_INVALID_HANDLE` for one without a live context).
///
/// # Safety
/// A non-NULL `pCardData` must point to a readable `CARD_DATA` (at least its base part).
unsafe fn enter(pCardData: PCARD_DATA) -> Outcome<(CardData, Minidriver)> {
    let card_data = CardData::new(pCardData)?;
    let context = caller!(card_data.context())?;
    Ok((card_data, context))
}

/// A `DWORD` length.
fn dword_len(length: usize) -> Outcome<DWORD> {
    DWORD::try_from(length).map_err(|_| ScardStatus(SCARD_F_INTERNAL_ERROR))
}

/// cardmod's rule for a property value: `*pdwDataLen` always receives the value's length; a
/// NULL or short `pbData` is `ERROR_INSUFFICIENT_BUFFER` ([`copy_out`]).
///
/// # Safety
/// `pbData` must be NULL or hold `cbData` writable bytes; `pdwDataLen` must be NULL or point
/// to a writable `DWORD`; they must not overlap.
unsafe fn property_out(value: &[u8], pbData: PBYTE, cbData: DWORD, pdwDataLen: PDWORD) -> Outcome {
    *caller!(out(pdwDataLen))? = dword_len(value.len())?;
    copy_out(value, caller!(output(pbData, cbData)))?;
    Ok(())
}

// ---- Context --------------------------------------------------------------------------------

/// `CardAcquireContext`: checks `*pCardData` and `dwFlags`, negotiates the version to
/// `min(dwVersion, 7)` (written back to `dwVersion`), reads the vendor configuration from
/// `pvVendorSpecific` (NULL or a `KEYWARD_CARD_VENDOR_INFO`) and replaces it with the new
/// context, and fills the function-pointer slots up to the negotiated version.
///
/// Card mode (`dwFlags` 0): `hSCardCtx` / `hScard` are a keyward context and one of its
/// connections; the minidriver selects its application on the card. No-card mode
/// (`CARD_SECURE_KEY_INJECTION_NO_CARD_MODE`, version 7 only): `hSCardCtx` and `hScard` are 0,
/// the ATR and name are not read, and the vendor configuration must hold the card's static
/// keys.
///
/// Errors, in this order: NULL or misaligned `pCardData` → `SCARD_E_INVALID_PARAMETER`;
/// `dwVersion` below 4 → `ERROR_REVISION_MISMATCH`; a NULL `pfnCspAlloc`, `pfnCspReAlloc` or
/// `pfnCspFree` → `SCARD_E_INVALID_PARAMETER`; unknown flags → `SCARD_E_INVALID_PARAMETER`;
/// no-card mode with a non-zero handle → `SCARD_E_INVALID_PARAMETER`; card mode with a zero,
/// unknown or foreign `hScard` / `hSCardCtx` → `SCARD_E_INVALID_HANDLE`; a bad vendor
/// configuration → `SCARD_E_INVALID_PARAMETER` (an already acquired `CARD_DATA` too); then
/// those of [`CardContext::acquire`] (no ATR or name in card mode, no-card mode below version
/// 7 or without static keys → `SCARD_E_INVALID_PARAMETER`; a card without the application →
/// `SCARD_E_UNEXPECTED`). A failed call writes nothing.
///
/// # Safety
/// `pCardData` must point to a `CARD_DATA` of at least the version it claims (or the whole
/// structure), readable and writable; its pointers valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardAcquireContext(pCardData: PCARD_DATA, dwFlags: DWORD) -> DWORD {
    ScardStatus::boundary(|| {
        let card_data = CardData::new(pCardData)?;
        let fields = caller!(card_data.fields());
        if fields.version < CARD_DATA_VERSION_FOUR {
            return Err(Error::RevisionMismatch.into());
        }
        if !fields.allocators || dwFlags & !CARD_SECURE_KEY_INJECTION_NO_CARD_MODE != 0 {
            return Err(INVALID_PARAMETER);
        }
        let no_card = dwFlags & CARD_SECURE_KEY_INJECTION_NO_CARD_MODE != 0;
        let (transport, atr, card_name): (Option<Box<dyn Transport>>, _, _) = if no_card {
            if fields.context != 0 || fields.card != 0 {
                return Err(INVALID_PARAMETER);
            }
            (None, Vec::new(), String::new())
        } else {
            let connection = objects::connection(fields.context, fields.card)?;
            let atr = caller!(input(fields.atr, fields.atr_len))?.to_vec();
            let card_name = if fields.card_name.is_null() {
                String::new()
            } else {
                caller!(wide(fields.card_name))?
            };
            (
                Some(Box::new(SharedTransport(connection)) as Box<dyn Transport>),
                atr,
                card_name,
            )
        };
        let vendor = caller!(vendor_config(fields.vendor))?;
        let context = CardContext::acquire(
            keyward_card::minidriver::CardData {
                version: fields.version,
                atr,
                card_name,
                transport,
                vendor,
            },
            dwFlags,
        )?;
        let version = context.version();
        let handle = objects::insert_minidriver(context)?;
        // SAFETY: the caller's structure holds at least the slots of its own version, which
        // is at least the negotiated one.
        unsafe {
            card_data.set_version(version);
            fill_slots(card_data.as_ptr(), version);
            card_data.set_vendor(core::ptr::without_provenance_mut(handle));
        }
        Ok(())
    })
}

/// Writes the minidriver's slots of `CARD_DATA` up to `version`.
///
/// # Safety
/// `p` must point to a writable `CARD_DATA` of at least `version`.
unsafe fn fill_slots(p: PCARD_DATA, version: DWORD) {
    // SAFETY: every slot written lies within the structure of `version`, as the caller
    // guarantees; writes through raw places create no reference.
    unsafe {
        addr_of_mut!((*p).pfnCardDeleteContext).write(Some(CardDeleteContext));
        addr_of_mut!((*p).pfnCardQueryCapabilities).write(Some(unsupported::query_capabilities));
        addr_of_mut!((*p).pfnCardDeleteContainer).write(Some(unsupported::delete_container));
        addr_of_mut!((*p).pfnCardCreateContainer).write(Some(unsupported::create_container));
        addr_of_mut!((*p).pfnCardGetContainerInfo).write(Some(CardGetContainerInfo));
        addr_of_mut!((*p).pfnCardAuthenticatePin).write(Some(unsupported::authenticate_pin));
        addr_of_mut!((*p).pfnCardGetChallenge).write(Some(unsupported::get_challenge));
        addr_of_mut!((*p).pfnCardAuthenticateChallenge)
            .write(Some(unsupported::authenticate_challenge));
        addr_of_mut!((*p).pfnCardUnblockPin).write(Some(unsupported::unblock_pin));
        addr_of_mut!((*p).pfnCardChangeAuthenticator)
            .write(Some(unsupported::change_authenticator));
        addr_of_mut!((*p).pfnCardDeauthenticate).write(None);
        addr_of_mut!((*p).pfnCardCreateDirectory).write(Some(unsupported::create_directory));
        addr_of_mut!((*p).pfnCardDeleteDirectory).write(Some(unsupported::delete_directory));
        addr_of_mut!((*p).pvUnused3).write(null_mut());
        addr_of_mut!((*p).pvUnused4).write(null_mut());
        addr_of_mut!((*p).pfnCardCreateFile).write(Some(unsupported::create_file));
        addr_of_mut!((*p).pfnCardReadFile).write(Some(unsupported::read_file));
        addr_of_mut!((*p).pfnCardWriteFile).write(Some(unsupported::write_file));
        addr_of_mut!((*p).pfnCardDeleteFile).write(Some(unsupported::delete_file));
        addr_of_mut!((*p).pfnCardEnumFiles).write(Some(unsupported::enum_files));
        addr_of_mut!((*p).pfnCardGetFileInfo).write(Some(unsupported::get_file_info));
        addr_of_mut!((*p).pfnCardQueryFreeSpace).write(Some(unsupported::query_free_space));
        addr_of_mut!((*p).pfnCardQueryKeySizes).write(Some(unsupported::query_key_sizes));
        addr_of_mut!((*p).pfnCardSignData).write(Some(unsupported::sign_data));
        addr_of_mut!((*p).pfnCardRSADecrypt).write(Some(unsupported::rsa_decrypt));
        addr_of_mut!((*p).pfnCardConstructDHAgreement)
            .write(Some(unsupported::construct_dh_agreement));
        if version >= CARD_DATA_VERSION_FIVE {
            addr_of_mut!((*p).pfnCardDeriveKey).write(Some(unsupported::derive_key));
            addr_of_mut!((*p).pfnCardDestroyDHAgreement)
                .write(Some(unsupported::destroy_dh_agreement));
        }
        if version >= CARD_DATA_VERSION_SIX {
            addr_of_mut!((*p).pfnCardGetChallengeEx).write(Some(unsupported::get_challenge_ex));
            addr_of_mut!((*p).pfnCardAuthenticateEx).write(Some(CardAuthenticateEx));
            addr_of_mut!((*p).pfnCardChangeAuthenticatorEx)
                .write(Some(unsupported::change_authenticator_ex));
            addr_of_mut!((*p).pfnCardDeauthenticateEx).write(Some(CardDeauthenticateEx));
            addr_of_mut!((*p).pfnCardGetContainerProperty)
                .write(Some(unsupported::get_container_property));
            addr_of_mut!((*p).pfnCardSetContainerProperty)
                .write(Some(unsupported::set_container_property));
            addr_of_mut!((*p).pfnCardGetProperty).write(Some(CardGetProperty));
            addr_of_mut!((*p).pfnCardSetProperty).write(Some(unsupported::set_property));
        }
        if version >= CARD_DATA_VERSION_SEVEN {
            addr_of_mut!((*p).pfnMDImportSessionKey).write(Some(MDImportSessionKey));
            addr_of_mut!((*p).pfnMDEncryptData).write(Some(MDEncryptData));
            addr_of_mut!((*p).pfnCardImportSessionKey).write(Some(CardImportSessionKey));
            addr_of_mut!((*p).pfnCardGetSharedKeyHandle).write(Some(CardGetSharedKeyHandle));
            addr_of_mut!((*p).pfnCardGetAlgorithmProperty).write(Some(CardGetAlgorithmProperty));
            addr_of_mut!((*p).pfnCardGetKeyProperty).write(Some(CardGetKeyProperty));
            addr_of_mut!((*p).pfnCardSetKeyProperty).write(Some(CardSetKeyProperty));
            addr_of_mut!((*p).pfnCardDestroyKey).write(Some(CardDestroyKey));
            addr_of_mut!((*p).pfnCardProcessEncryptedData).write(Some(CardProcessEncryptedData));
            addr_of_mut!((*p).pfnCardCreateContainerEx)
                .write(Some(unsupported::create_container_ex));
        }
    }
}

/// `CardDeleteContext`: frees the context and every key in it, and sets `pvVendorSpecific`
/// to NULL. A `CARD_DATA` without a live context (never acquired, already deleted) is
/// `SCARD_E_INVALID_HANDLE`.
///
/// # Safety
/// `pCardData` must point to a readable and writable `CARD_DATA` (at least its base part).
#[no_mangle]
pub unsafe extern "system" fn CardDeleteContext(pCardData: PCARD_DATA) -> DWORD {
    ScardStatus::boundary(|| {
        let card_data = CardData::new(pCardData)?;
        objects::remove_minidriver(caller!(card_data.context_handle()))?;
        caller!(card_data.set_vendor(null_mut()));
        Ok(())
    })
}

// ---- Card-mode calls ------------------------------------------------------------------------

/// `CardGetContainerInfo`: the public key of container `bContainerIndex`, as a
/// `PUBLICKEYBLOB` (RSA) or `BCRYPT_ECCKEY_BLOB` (EC P-256) in `pbSigPublicKey` (signature
/// keys) or `pbKeyExPublicKey` (key-exchange keys), allocated with `pfnCspAlloc`; the other
/// field is NULL / 0. `dwVersion` is set to `CONTAINER_INFO_CURRENT_VERSION`. Reading the key
/// ends the card's secure channel session: key handles of this context stop working.
///
/// Errors: no-card mode → `SCARD_E_NO_SMARTCARD`; NULL `pContainerInfo` or `dwFlags` not 0 →
/// `SCARD_E_INVALID_PARAMETER`; `pContainerInfo->dwVersion` above 1 →
/// `ERROR_REVISION_MISMATCH`; an empty or out-of-range container →
/// `SCARD_E_NO_KEY_CONTAINER`; a failed allocation → `SCARD_E_NO_MEMORY`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardGetContainerInfo(
    pCardData: PCARD_DATA,
    bContainerIndex: BYTE,
    dwFlags: DWORD,
    pContainerInfo: PCONTAINER_INFO,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (card_data, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardGetContainerInfo)?;
        let info = caller!(out(pContainerInfo))?;
        if dwFlags != 0 {
            return Err(INVALID_PARAMETER);
        }
        if info.dwVersion > CONTAINER_INFO_CURRENT_VERSION {
            return Err(Error::RevisionMismatch.into());
        }
        let key = context.get_container_info(bContainerIndex)?;
        let blob = container_blob(&key)?;
        let length = dword_len(blob.blob.len())?;
        let block = caller!(card_data.alloc_copy(&blob.blob))?;
        let (mut signature, mut exchange) = ((0, null_mut()), (0, null_mut()));
        if blob.signature {
            signature = (length, block);
        } else {
            exchange = (length, block);
        }
        *info = CONTAINER_INFO {
            dwVersion: CONTAINER_INFO_CURRENT_VERSION,
            dwReserved: 0,
            cbSigPublicKey: signature.0,
            pbSigPublicKey: signature.1,
            cbKeyExPublicKey: exchange.0,
            pbKeyExPublicKey: exchange.1,
        };
        Ok(())
    })
}

/// `CardAuthenticateEx` with a plain PIN: `PinId` `ROLE_USER` or `ROLE_ADMIN`. keyward's card
/// takes PINs only over secure messaging, so the context opens its own secure channel with
/// the static keys of its vendor configuration (without them: `SCARD_E_UNSUPPORTED_FEATURE`);
/// this ends the card's previous session, so key handles of this context stop working.
/// `dwFlags` may hold `CARD_PIN_SILENT_CONTEXT` (keyward never shows UI); session PINs are
/// not supported (`SCARD_E_UNSUPPORTED_FEATURE`), so `*ppbSessionPin` is NULL and
/// `*pcbSessionPin` 0 when given. On a wrong PIN `*pcAttemptsRemaining` (when given) receives
/// the tries left (0 once blocked); on success it is not written.
///
/// Errors: no-card mode → `SCARD_E_NO_SMARTCARD`; another role, a NULL or empty PIN →
/// `SCARD_E_INVALID_PARAMETER`; a PIN of the wrong length → `SCARD_E_INVALID_CHV`; a wrong
/// PIN → `SCARD_W_WRONG_CHV`; a blocked one → `SCARD_W_CHV_BLOCKED`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardAuthenticateEx(
    pCardData: PCARD_DATA,
    PinId: PIN_ID,
    dwFlags: DWORD,
    pbPinData: PBYTE,
    cbPinData: DWORD,
    ppbSessionPin: *mut PBYTE,
    pcbSessionPin: PDWORD,
    pcAttemptsRemaining: PDWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardAuthenticateEx)?;
        let role = Role::from_role(PinId)?;
        // The PIN is copied before any out-parameter is written: an out-parameter may point
        // into it.
        let pin = SecretVec::from_slice(caller!(required_input(pbPinData, cbPinData))?);
        let session_pin = caller!(optional_out_ptr(ppbSessionPin))?;
        let session_pin_len = caller!(optional_out_ptr(pcbSessionPin))?;
        let attempts = caller!(optional_out_ptr(pcAttemptsRemaining))?;
        if let Some(session_pin) = session_pin {
            session_pin.write(null_mut());
        }
        if let Some(length) = session_pin_len {
            length.write(0);
        }
        let result =
            context.authenticate_ex(role, dwFlags & !CARD_PIN_SILENT_CONTEXT, pin.expose());
        if let (Err(error), Some(attempts)) = (&result, attempts) {
            if let Some(remaining) = error.attempts_remaining() {
                attempts.write(remaining);
            }
        }
        Ok(result?)
    })
}

/// `CardDeauthenticateEx`: clears the verified state of the PINs in `PinId` (a `PIN_SET`;
/// `PIN_SET_ALL_ROLES` for all). Needs the static keys, as `CardAuthenticateEx`.
///
/// Errors: no-card mode → `SCARD_E_NO_SMARTCARD`; `dwFlags` not 0 →
/// `SCARD_E_INVALID_PARAMETER`; no static keys → `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// `pCardData` must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardDeauthenticateEx(
    pCardData: PCARD_DATA,
    PinId: PIN_SET,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        Ok(context.deauthenticate_ex(PinId, dwFlags)?)
    })
}

/// `CardGetProperty` for the secure-key-injection properties: `CP_KEY_IMPORT_SUPPORT`
/// (`DWORD`, `dwFlags` 0), `CP_ENUM_ALGORITHMS` (a UTF-16 multi-string; `dwFlags`
/// `CARD_CIPHER_OPERATION` or `CARD_ASYMMETRIC_OPERATION`), `CP_PADDING_SCHEMES` (`DWORD`;
/// the same flags), `CP_CHAINING_MODES` (a multi-string; 0 or `CARD_CIPHER_OPERATION`).
/// `*pdwDataLen` always receives the value's length; a NULL or short `pbData` is
/// `ERROR_INSUFFICIENT_BUFFER`, as the CardGetProperty page prescribes.
///
/// Errors: no-card mode → `SCARD_E_NO_SMARTCARD`; NULL `wszProperty` or `pdwDataLen`, wrong
/// flags, an unknown property → `SCARD_E_INVALID_PARAMETER`; the other `CP_*` properties of
/// cardmod.h → `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardGetProperty(
    pCardData: PCARD_DATA,
    wszProperty: LPCWSTR,
    pbData: PBYTE,
    cbData: DWORD,
    pdwDataLen: PDWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let context = lock(&minidriver);
        context.check_call(Call::CardGetProperty)?;
        let property = caller!(wide(wszProperty))?;
        caller!(out(pdwDataLen))?;
        let value = context.get_property(&property, dwFlags)?;
        caller!(property_out(&value, pbData, cbData, pdwDataLen))
    })
}

/// `CardImportSessionKey` (client, card mode): hands the card a session key wrapped with the
/// RSA key-exchange key of container `bContainerIndex` (RSAES-OAEP of a
/// `BCRYPT_KEY_DATA_BLOB`, e.g. from `KeywardCardWrapSessionKey`); the card opens a session
/// keyed from it and a nonce it draws, which is the new key's `CKP_INITIALIZATION_VECTOR`.
/// `dwFlags` is `CARD_PADDING_OAEP` and `pPaddingInfo` a `BCRYPT_OAEP_PADDING_INFO` (hash
/// `SHA1`, `SHA256`, `SHA384` or `SHA512`, empty label); `pwszBlobType` is
/// `BCRYPT_KEY_DATA_BLOB`, `pwszAlgId` `CARD_AES_ALGORITHM`. Importing ends the card's
/// previous session: this context's other key handles stop working.
///
/// Errors: no-card mode → `SCARD_E_NO_SMARTCARD`; NULL `phKey`, `pbInput`, strings, or (with
/// OAEP) `pPaddingInfo` → `SCARD_E_INVALID_PARAMETER`; then those of
/// [`CardContext::import_session_key`]: `CARD_PADDING_NONE` / `_PKCS1` / `_PSS`, another blob
/// type, a label, another hash → `SCARD_E_UNSUPPORTED_FEATURE`; other flags or algorithm →
/// `SCARD_E_INVALID_PARAMETER`; an empty container → `SCARD_E_NO_KEY_CONTAINER`; a
/// ciphertext the card cannot unwrap → `SCARD_E_INVALID_PARAMETER`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardImportSessionKey(
    pCardData: PCARD_DATA,
    bContainerIndex: BYTE,
    pPaddingInfo: LPVOID,
    pwszBlobType: LPCWSTR,
    pwszAlgId: LPCWSTR,
    phKey: PCARD_KEY_HANDLE,
    pbInput: PBYTE,
    cbInput: DWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardImportSessionKey)?;
        let key_out = caller!(out_ptr(phKey))?;
        key_out.write(0);
        let blob_type = caller!(wide(pwszBlobType))?;
        let algorithm = caller!(wide(pwszAlgId))?;
        let wrapped = caller!(required_input(pbInput, cbInput))?;
        let padding = if dwFlags == CARD_PADDING_OAEP {
            caller!(oaep_padding(pPaddingInfo))?
        } else {
            // The Rust minidriver refuses these flags; the padding is not read.
            OaepPaddingInfo {
                hash: OaepHash::Sha1,
                label: Vec::new(),
            }
        };
        let key = context.import_session_key(
            bContainerIndex,
            &padding,
            &blob_type,
            &algorithm,
            wrapped,
            dwFlags,
        )?;
        key_out.write(key.0);
        Ok(())
    })
}

/// A `BCRYPT_OAEP_PADDING_INFO`; NULL or misaligned is `SCARD_E_INVALID_PARAMETER`, a hash
/// other than SHA-1 or SHA-2 `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// A non-NULL `pointer` must point to a readable `BCRYPT_OAEP_PADDING_INFO` whose pointers are
/// valid.
unsafe fn oaep_padding(pointer: LPVOID) -> Outcome<OaepPaddingInfo> {
    let info = caller!(in_ref(
        pointer.cast_const().cast::<BCRYPT_OAEP_PADDING_INFO>()
    ))?;
    let hash = OaepHash::from_cng_name(&caller!(wide(info.pszAlgId))?)?;
    let label = caller!(input(info.pbLabel, info.cbLabel))?.to_vec();
    Ok(OaepPaddingInfo { hash, label })
}

// ---- Calls allowed in no-card mode ------------------------------------------------------------

/// `CardGetSharedKeyHandle`: one step of keyward's relayed SCP03 establishment between a
/// server in no-card mode and a client next to the card (keyward-card's `shared_key`
/// module): the server starts with no input (`pbInput` NULL, `cbInput` 0); each call's
/// `*ppbOutput` is passed, unchanged, as the other side's next `pbInput`, until both sides
/// have a key handle (the server after its second call, the client after its second).
///
/// `*ppbOutput` is allocated with `pfnCspAlloc` and freed by the caller with `pfnCspFree`;
/// `*pcbOutput` is its length. Both are NULL / 0 when the step has no message (the client's
/// last). `*phKey` is 0 until this side is complete. `ppbOutput` and `pcbOutput` are
/// optional only for a step without a message: a step that has one (every server step, the
/// client's first) refuses NULL pointers with `SCARD_E_INVALID_PARAMETER` before it does
/// anything.
///
/// Errors: NULL `phKey` → `SCARD_E_INVALID_PARAMETER`; a message that is not keyward's →
/// `SCARD_E_INVALID_PARAMETER`; a message the state does not expect (wrong side, out of order,
/// replayed) → `SCARD_E_INVALID_VALUE`; a card cryptogram that does not verify, or a card
/// refusing the host's → `SCARD_W_SECURITY_VIOLATION`; a failed allocation →
/// `SCARD_E_NO_MEMORY` (the step's key, if any, is destroyed: start over). A failed step
/// leaves no pending state and no handle.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardGetSharedKeyHandle(
    pCardData: PCARD_DATA,
    pbInput: PBYTE,
    cbInput: DWORD,
    ppbOutput: *mut PBYTE,
    pcbOutput: PDWORD,
    phKey: PCARD_KEY_HANDLE,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (card_data, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardGetSharedKeyHandle)?;
        // The message is copied before any out-parameter is written: one may point into it.
        let message = caller!(input(pbInput, cbInput))?.to_vec();
        let key_out = caller!(out_ptr(phKey))?;
        let output_out = caller!(optional_out_ptr(ppbOutput))?;
        let length_out = caller!(optional_out_ptr(pcbOutput))?;
        key_out.write(0);
        if let Some(output) = &output_out {
            output.write(null_mut());
        }
        if let Some(length) = &length_out {
            length.write(0);
        }
        if context.shared_key_step_has_output(&message)
            && (output_out.is_none() || length_out.is_none())
        {
            return Err(INVALID_PARAMETER);
        }
        let step = context.get_shared_key_handle(&message)?;
        if let Some(reply) = step.output {
            let placed = match (output_out, length_out) {
                (Some(output), Some(length)) => dword_len(reply.len()).and_then(|size| {
                    let block = caller!(card_data.alloc_copy(&reply))?;
                    output.write(block);
                    length.write(size);
                    Ok(())
                }),
                _ => Err(INVALID_PARAMETER),
            };
            if let Err(failure) = placed {
                if let Some(key) = step.key {
                    let _ = context.destroy_key(key);
                }
                return Err(failure);
            }
        }
        key_out.write(step.key.map_or(0, |key| key.0));
        Ok(())
    })
}

/// `CardDestroyKey`: forgets a key of this context. An unknown handle (or one already
/// destroyed, or of another context) is `SCARD_E_INVALID_HANDLE`.
///
/// # Safety
/// `pCardData` must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardDestroyKey(
    pCardData: PCARD_DATA,
    hKey: CARD_KEY_HANDLE,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        Ok(context.destroy_key(CardKeyHandle(hKey))?)
    })
}

/// `CardGetAlgorithmProperty`: for `CARD_AES_ALGORITHM`, `CKP_CHAINING_MODE` (a UTF-16
/// string), `CKP_BLOCK_LENGTH` (`DWORD` 16) and `BCRYPT_KEY_LENGTHS`
/// (`BCRYPT_KEY_LENGTHS_STRUCT` 128..256 step 64); for `BCRYPT_RSA_ALGORITHM`,
/// `BCRYPT_KEY_LENGTHS` (2048). Output rule as `CardGetProperty`.
///
/// Errors: NULL strings or `pdwDataLen`, `dwFlags` not 0, an unknown algorithm or property →
/// `SCARD_E_INVALID_PARAMETER`; a short buffer → `ERROR_INSUFFICIENT_BUFFER`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardGetAlgorithmProperty(
    pCardData: PCARD_DATA,
    pwszAlgId: LPCWSTR,
    pwszProperty: LPCWSTR,
    pbData: PBYTE,
    cbData: DWORD,
    pdwDataLen: PDWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let context = lock(&minidriver);
        context.check_call(Call::CardGetAlgorithmProperty)?;
        let algorithm = caller!(wide(pwszAlgId))?;
        let property = caller!(wide(pwszProperty))?;
        caller!(out(pdwDataLen))?;
        let value = context.get_algorithm_property(&algorithm, &property, dwFlags)?;
        caller!(property_out(&value, pbData, cbData, pdwDataLen))
    })
}

/// `CardGetKeyProperty`: `CKP_CHAINING_MODE`, `CKP_BLOCK_LENGTH`, and for a session key
/// `CKP_INITIALIZATION_VECTOR` (the card's 16-byte nonce). Output rule as
/// `CardGetProperty`.
///
/// Errors: an unknown handle → `SCARD_E_INVALID_HANDLE`; NULL strings or `pdwDataLen`,
/// `dwFlags` not 0, an unknown property → `SCARD_E_INVALID_PARAMETER`; the IV of a shared
/// (SCP03) key → `SCARD_E_UNSUPPORTED_FEATURE`; a short buffer → `ERROR_INSUFFICIENT_BUFFER`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardGetKeyProperty(
    pCardData: PCARD_DATA,
    hKey: CARD_KEY_HANDLE,
    pwszProperty: LPCWSTR,
    pbData: PBYTE,
    cbData: DWORD,
    pdwDataLen: PDWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let context = lock(&minidriver);
        context.check_call(Call::CardGetKeyProperty)?;
        let property = caller!(wide(pwszProperty))?;
        caller!(out(pdwDataLen))?;
        let value = context.get_key_property(CardKeyHandle(hKey), &property, dwFlags)?;
        caller!(property_out(&value, pbData, cbData, pdwDataLen))
    })
}

/// `CardSetKeyProperty`: `CKP_CHAINING_MODE` (`CARD_CHAIN_MODE_CBC` as a NUL-terminated
/// UTF-16 string, `cbInput` counting the NUL) and, for a session key,
/// `CKP_INITIALIZATION_VECTOR` (the card's nonce: set on the server, confirmed on the client).
///
/// Errors: an unknown handle → `SCARD_E_INVALID_HANDLE`; NULL string, `dwFlags` not 0, an
/// unknown property, a malformed value → `SCARD_E_INVALID_PARAMETER`; another chaining mode,
/// `CKP_BLOCK_LENGTH`, the IV of a shared key → `SCARD_E_UNSUPPORTED_FEATURE`; a new IV after
/// `MDEncryptData` used the key → `SCARD_E_INVALID_VALUE`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardSetKeyProperty(
    pCardData: PCARD_DATA,
    hKey: CARD_KEY_HANDLE,
    pwszProperty: LPCWSTR,
    pbInput: PBYTE,
    cbInput: DWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardSetKeyProperty)?;
        let property = caller!(wide(pwszProperty))?;
        let value = caller!(input(pbInput, cbInput))?;
        Ok(context.set_key_property(CardKeyHandle(hKey), &property, value, dwFlags)?)
    })
}

/// `MDImportSessionKey` (server): loads an AES session key given as a `BCRYPT_KEY_DATA_BLOB`
/// (`pwszBlobType` `BCRYPT_KEY_DATA_BLOB`, `pwszAlgId` `CARD_AES_ALGORITHM`, 16, 24 or 32
/// bytes of key); `MDEncryptData` can use it once its `CKP_INITIALIZATION_VECTOR` is set to the
/// card's nonce.
///
/// Errors: NULL `phKey`, strings or input, another algorithm, a malformed blob →
/// `SCARD_E_INVALID_PARAMETER`; another blob type → `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn MDImportSessionKey(
    pCardData: PCARD_DATA,
    pwszBlobType: LPCWSTR,
    pwszAlgId: LPCWSTR,
    phKey: PCARD_KEY_HANDLE,
    pbInput: PBYTE,
    cbInput: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::MdImportSessionKey)?;
        let key_out = caller!(out_ptr(phKey))?;
        key_out.write(0);
        let blob_type = caller!(wide(pwszBlobType))?;
        let algorithm = caller!(wide(pwszAlgId))?;
        let blob = caller!(required_input(pbInput, cbInput))?;
        let key = context.md_import_session_key(&blob_type, &algorithm, blob)?;
        key_out.write(key.0);
        Ok(())
    })
}

/// `MDEncryptData` (server): turns a secure function's payload (`CARD_AUTHENTICATE`,
/// `CARD_CHANGE_AUTHENTICATOR` or `CARD_IMPORT_KEYPAIR` with its trailing data, as named by
/// `pwszSecureFunction`) into the wrapped card commands that carry it, one
/// `CARD_ENCRYPTED_DATA` each. `dwFlags` must be 0.
///
/// `*ppEncryptedData` is one block from `pfnCspAlloc`: the array of `*pcEncryptedData`
/// entries, followed by the blobs they point to. The caller frees it with one `pfnCspFree`
/// of `*ppEncryptedData` (never the `pbEncryptedData` pointers).
///
/// Errors: NULL pointers, an unknown function or flags, a malformed payload →
/// `SCARD_E_INVALID_PARAMETER`; an unknown or client-side handle → `SCARD_E_INVALID_HANDLE`;
/// session PINs → `SCARD_E_UNSUPPORTED_FEATURE`; a session key whose IV is not set →
/// `SCARD_E_INVALID_VALUE`; a failed allocation → `SCARD_E_NO_MEMORY` (the session has then
/// moved on: make the blobs again).
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn MDEncryptData(
    pCardData: PCARD_DATA,
    hKey: CARD_KEY_HANDLE,
    pwszSecureFunction: LPCWSTR,
    pbInput: PBYTE,
    cbInput: DWORD,
    dwFlags: DWORD,
    ppEncryptedData: *mut PCARD_ENCRYPTED_DATA,
    pcEncryptedData: PDWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (card_data, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::MdEncryptData)?;
        let function = caller!(wide(pwszSecureFunction))?;
        // The payload (PINs, a private key) is copied before any out-parameter is written:
        // one may point into it.
        let payload = SecretVec::from_slice(caller!(required_input(pbInput, cbInput))?);
        let array_out = caller!(out_ptr(ppEncryptedData))?;
        let count_out = caller!(out_ptr(pcEncryptedData))?;
        array_out.write(null_mut());
        count_out.write(0);
        let blobs =
            context.md_encrypt_data(CardKeyHandle(hKey), &function, payload.expose(), dwFlags)?;
        let count = dword_len(blobs.len())?;
        let block = caller!(encrypted_data_block(card_data, &blobs))?;
        array_out.write(block);
        count_out.write(count);
        Ok(())
    })
}

/// One `pfnCspAlloc` block holding the `CARD_ENCRYPTED_DATA` array of `blobs`, then the blobs.
///
/// # Safety
/// As [`CardData::alloc_copy`].
unsafe fn encrypted_data_block(
    card_data: CardData,
    blobs: &[Vec<u8>],
) -> Outcome<PCARD_ENCRYPTED_DATA> {
    let entries = blobs.len() * size_of::<CARD_ENCRYPTED_DATA>();
    let total = blobs.iter().try_fold(entries, |total, blob| {
        dword_len(blob.len())?;
        total
            .checked_add(blob.len())
            .ok_or(ScardStatus(SCARD_F_INTERNAL_ERROR))
    })?;
    let block = caller!(card_data.alloc(total))?;
    let mut offset = entries;
    for (index, blob) in blobs.iter().enumerate() {
        // SAFETY: `block` holds `total` bytes: the entries, then every blob in order, so both
        // the blob at `offset` and entry `index` lie inside it; the entry is written
        // unaligned, so the allocator's alignment does not matter.
        unsafe {
            let data = block.add(offset);
            core::ptr::copy_nonoverlapping(blob.as_ptr(), data, blob.len());
            block
                .add(index * size_of::<CARD_ENCRYPTED_DATA>())
                .cast::<CARD_ENCRYPTED_DATA>()
                .write_unaligned(CARD_ENCRYPTED_DATA {
                    pbEncryptedData: data,
                    cbEncryptedData: blob.len() as DWORD,
                });
        }
        offset += blob.len();
    }
    Ok(block.cast())
}

/// The caller's `CARD_ENCRYPTED_DATA` array, copied. An empty array may be NULL; otherwise
/// NULL, misaligned, or an entry without data is `SCARD_E_INVALID_PARAMETER`.
///
/// # Safety
/// A non-NULL `array` must hold `count` readable entries whose pointers are valid.
unsafe fn read_blobs(array: PCARD_ENCRYPTED_DATA, count: DWORD) -> Outcome<Vec<Vec<u8>>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() || !array.is_aligned() {
        return Err(INVALID_PARAMETER);
    }
    // SAFETY: non-NULL and aligned; the caller guarantees `count` readable entries.
    let entries = unsafe { core::slice::from_raw_parts(array.cast_const(), count as usize) };
    entries
        .iter()
        .map(|entry| {
            let blob = caller!(required_input(entry.pbEncryptedData, entry.cbEncryptedData))?;
            Ok(blob.to_vec())
        })
        .collect()
}

/// `CardProcessEncryptedData` (client, also callable in no-card mode where every handle is a
/// server's and so `SCARD_E_INVALID_HANDLE`): checks that the blobs are the wrapped commands
/// of `pwszSecureFunction` and sends them to the card in order. `dwFlags` must be 0.
///
/// Output: `CSF_AUTHENTICATE` gives a `CARD_AUTHENTICATE_RESPONSE` (12 bytes),
/// `CSF_CHANGE_AUTHENTICATOR` a `CARD_CHANGE_AUTHENTICATOR_RESPONSE` (8 bytes), with
/// `cAttemptsRemaining` `CARD_DATA_VALUE_UNKNOWN` on success; `CSF_IMPORT_KEYPAIR` nothing.
/// On a wrong or blocked PIN the response is written too, with the tries left, and the call
/// returns `SCARD_W_WRONG_CHV` / `SCARD_W_CHV_BLOCKED`. `*pdwOutputLen` (when given) receives
/// the response length. A NULL `pbOutput` discards the response (the function still runs); a
/// `pbOutput` shorter than the response is `SCARD_E_INSUFFICIENT_BUFFER` with the needed
/// length in `*pdwOutputLen`, and nothing is sent to the card.
///
/// Errors: NULL string or misaligned pointers, an unknown function or flags, blobs that do
/// not belong to the function → `SCARD_E_INVALID_PARAMETER` (nothing sent); an unknown or
/// server-side handle, or one whose card session has ended → `SCARD_E_INVALID_HANDLE`; the
/// card's refusals: `SCARD_W_WRONG_CHV`, `SCARD_W_CHV_BLOCKED`, `SCARD_W_SECURITY_VIOLATION`
/// (a replayed or tampered blob: the card ends the session, and the handle is dead).
///
/// # Safety
/// Pointers must be valid as cardmod.h documents.
#[no_mangle]
pub unsafe extern "system" fn CardProcessEncryptedData(
    pCardData: PCARD_DATA,
    hKey: CARD_KEY_HANDLE,
    pwszSecureFunction: LPCWSTR,
    pEncryptedData: PCARD_ENCRYPTED_DATA,
    cEncryptedData: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pdwOutputLen: PDWORD,
    dwFlags: DWORD,
) -> DWORD {
    ScardStatus::boundary(|| {
        let (_, minidriver) = caller!(enter(pCardData))?;
        let mut context = lock(&minidriver);
        context.check_call(Call::CardProcessEncryptedData)?;
        let function_name = caller!(wide(pwszSecureFunction))?;
        let blobs = caller!(read_blobs(pEncryptedData, cEncryptedData))?;
        let length_out = caller!(optional_out_ptr(pdwOutputLen))?;
        let buffer = caller!(out_buffer(pbOutput, cbOutput));
        let function = SecureFunction::from_name(&function_name).ok();
        if let (Some(buffer), Some(function)) = (&buffer, function) {
            let needed = SecureFunctionOutput::len_of(function);
            if buffer.len() < needed {
                if let Some(length) = length_out {
                    length.write(dword_len(needed)?);
                }
                return Err(ScardStatus(SCARD_E_INSUFFICIENT_BUFFER));
            }
        }
        let result =
            context.process_encrypted_data(CardKeyHandle(hKey), &function_name, &blobs, dwFlags);
        let response = match (&result, function) {
            (Ok(response), _) => Some(response.clone()),
            (Err(error), Some(function)) => SecureFunctionOutput::after_refusal(function, error),
            (Err(_), None) => None,
        };
        if let Some(response) = response {
            let bytes = response.to_bytes();
            if let Some(length) = length_out {
                length.write(dword_len(bytes.len())?);
            }
            if let Some(buffer) = buffer {
                // The buffer was checked against this length before the card was asked.
                buffer
                    .write_prefix(&bytes)
                    .map_err(|_| ScardStatus(SCARD_F_INTERNAL_ERROR))?;
            }
        }
        result?;
        Ok(())
    })
}

/// The slots of the functions keyward's minidriver does not implement: each has its slot's
/// exact type and returns `SCARD_E_UNSUPPORTED_FEATURE` without touching its arguments.
mod unsupported {
    use super::super::types::*;

    macro_rules! unsupported {
        ($($name:ident($($ty:ty),*);)*) => {
            $(
                pub(super) extern "system" fn $name($(_: $ty),*) -> DWORD {
                    SCARD_E_UNSUPPORTED_FEATURE
                }
            )*
        };
    }

    unsupported! {
        query_capabilities(PCARD_DATA, PCARD_CAPABILITIES);
        delete_container(PCARD_DATA, BYTE, DWORD);
        create_container(PCARD_DATA, BYTE, DWORD, DWORD, DWORD, PBYTE);
        create_container_ex(PCARD_DATA, BYTE, DWORD, DWORD, DWORD, PBYTE, PIN_ID);
        authenticate_pin(PCARD_DATA, LPWSTR, PBYTE, DWORD, PDWORD);
        get_challenge(PCARD_DATA, *mut PBYTE, PDWORD);
        authenticate_challenge(PCARD_DATA, PBYTE, DWORD, PDWORD);
        unblock_pin(PCARD_DATA, LPWSTR, PBYTE, DWORD, PBYTE, DWORD, DWORD, DWORD);
        change_authenticator(PCARD_DATA, LPWSTR, PBYTE, DWORD, PBYTE, DWORD, DWORD, DWORD, PDWORD);
        create_directory(PCARD_DATA, LPSTR, CARD_DIRECTORY_ACCESS_CONDITION);
        delete_directory(PCARD_DATA, LPSTR);
        create_file(PCARD_DATA, LPSTR, LPSTR, DWORD, CARD_FILE_ACCESS_CONDITION);
        read_file(PCARD_DATA, LPSTR, LPSTR, DWORD, *mut PBYTE, PDWORD);
        write_file(PCARD_DATA, LPSTR, LPSTR, DWORD, PBYTE, DWORD);
        delete_file(PCARD_DATA, LPSTR, LPSTR, DWORD);
        enum_files(PCARD_DATA, LPSTR, *mut LPSTR, LPDWORD, DWORD);
        get_file_info(PCARD_DATA, LPSTR, LPSTR, PCARD_FILE_INFO);
        query_free_space(PCARD_DATA, DWORD, PCARD_FREE_SPACE_INFO);
        query_key_sizes(PCARD_DATA, DWORD, DWORD, PCARD_KEY_SIZES);
        sign_data(PCARD_DATA, PCARD_SIGNING_INFO);
        rsa_decrypt(PCARD_DATA, PCARD_RSA_DECRYPT_INFO);
        construct_dh_agreement(PCARD_DATA, PCARD_DH_AGREEMENT_INFO);
        derive_key(PCARD_DATA, PCARD_DERIVE_KEY);
        destroy_dh_agreement(PCARD_DATA, BYTE, DWORD);
        get_challenge_ex(PCARD_DATA, PIN_ID, *mut PBYTE, PDWORD, DWORD);
        change_authenticator_ex(
            PCARD_DATA, DWORD, PIN_ID, PBYTE, DWORD, PIN_ID, PBYTE, DWORD, DWORD, PDWORD
        );
        get_container_property(PCARD_DATA, BYTE, LPCWSTR, PBYTE, DWORD, PDWORD, DWORD);
        set_container_property(PCARD_DATA, BYTE, LPCWSTR, PBYTE, DWORD, DWORD);
        set_property(PCARD_DATA, LPCWSTR, PBYTE, DWORD, DWORD);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_have_the_sizes_of_their_structures() {
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::Authenticate),
            size_of::<CARD_AUTHENTICATE_RESPONSE>()
        );
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::ChangeAuthenticator),
            size_of::<CARD_CHANGE_AUTHENTICATOR_RESPONSE>()
        );
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::ImportKeyPair),
            0
        );
        let wrong = SecureFunctionOutput::new(SecureFunction::Authenticate, Some(2)).to_bytes();
        assert_eq!(&wrong[8..12], &2u32.to_le_bytes());
        let unknown = SecureFunctionOutput::new(SecureFunction::ChangeAuthenticator, None);
        assert_eq!(
            &unknown.to_bytes()[4..8],
            &CARD_DATA_VALUE_UNKNOWN.to_le_bytes()
        );
    }

    #[test]
    fn blob_arrays_are_read_strictly() {
        // SAFETY: an empty array is never read.
        assert!(unsafe { read_blobs(null_mut(), 0) }.unwrap().is_empty());
        // SAFETY: NULL is checked.
        let outcome = unsafe { read_blobs(null_mut(), 1) }.err();
        assert_eq!(outcome, Some(INVALID_PARAMETER));
        let mut data = [1u8, 2, 3];
        let mut entries = [
            CARD_ENCRYPTED_DATA {
                pbEncryptedData: data.as_mut_ptr(),
                cbEncryptedData: 3,
            },
            CARD_ENCRYPTED_DATA {
                pbEncryptedData: null_mut(),
                cbEncryptedData: 0,
            },
        ];
        // SAFETY: a valid array of one entry.
        let blobs = unsafe { read_blobs(entries.as_mut_ptr(), 1) }.unwrap();
        assert_eq!(blobs, [vec![1, 2, 3]]);
        // SAFETY: a valid array whose second entry has no data.
        let outcome = unsafe { read_blobs(entries.as_mut_ptr(), 2) }.err();
        assert_eq!(outcome, Some(INVALID_PARAMETER));
    }

    #[test]
    fn unsupported_slots_answer_unsupported_feature() {
        assert_eq!(
            unsupported::set_property(null_mut(), core::ptr::null(), null_mut(), 0, 0),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        assert_eq!(
            unsupported::sign_data(null_mut(), null_mut()),
            SCARD_E_UNSUPPORTED_FEATURE
        );
    }

    #[test]
    fn calls_without_a_context_are_refused() {
        // SAFETY: NULL is checked first.
        let outcome = unsafe { CardAcquireContext(null_mut(), 0) };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        // SAFETY: NULL is checked first.
        let outcome = unsafe { CardDeleteContext(null_mut()) };
        assert_eq!(outcome, SCARD_E_INVALID_PARAMETER);
        // SAFETY: an all-zero CARD_DATA: pvVendorSpecific is NULL, which names no context.
        let mut card_data: CARD_DATA = unsafe { core::mem::zeroed() };
        // SAFETY: a valid CARD_DATA without a context.
        let outcome = unsafe { CardDestroyKey(&mut card_data, 1) };
        assert_eq!(outcome, SCARD_E_INVALID_HANDLE);
        // SAFETY: a valid CARD_DATA without a context.
        let outcome = unsafe { CardDeleteContext(&mut card_data) };
        assert_eq!(outcome, SCARD_E_INVALID_HANDLE);
    }

    /// A CSP allocator for the tests: each block remembers its size in front of it.
    mod csp {
        use super::super::super::types::{LPVOID, SIZE_T};
        use std::alloc::{alloc, dealloc, Layout};
        use std::sync::atomic::{AtomicIsize, Ordering};

        pub static LIVE: AtomicIsize = AtomicIsize::new(0);
        const HEAD: usize = 16;

        fn layout(size: usize) -> Layout {
            Layout::from_size_align(size + HEAD, HEAD).unwrap()
        }

        pub extern "system" fn alloc_block(size: SIZE_T) -> LPVOID {
            // SAFETY: the layout is never zero-sized.
            let block = unsafe { alloc(layout(size)) };
            assert!(!block.is_null());
            // SAFETY: the block holds HEAD + size bytes, aligned to HEAD.
            unsafe { block.cast::<usize>().write(size) };
            LIVE.fetch_add(1, Ordering::SeqCst);
            // SAFETY: HEAD bytes into the block.
            unsafe { block.add(HEAD) }.cast()
        }

        pub extern "system" fn realloc_block(_: LPVOID, _: SIZE_T) -> LPVOID {
            unreachable!("the minidriver never reallocates")
        }

        pub extern "system" fn free_block(address: LPVOID) {
            if address.is_null() {
                return;
            }
            // SAFETY: `address` came from `alloc_block`, HEAD bytes into its block.
            let block = unsafe { address.cast::<u8>().sub(HEAD) };
            // SAFETY: the size was written there by `alloc_block`.
            let size = unsafe { block.cast::<usize>().read() };
            // SAFETY: allocated with this layout.
            unsafe { dealloc(block, layout(size)) };
            LIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn card_data(version: DWORD) -> CARD_DATA {
        // SAFETY: all-zero is a valid CARD_DATA (NULL pointers, no callbacks).
        let mut data: CARD_DATA = unsafe { core::mem::zeroed() };
        data.dwVersion = version;
        data.pfnCspAlloc = Some(csp::alloc_block);
        data.pfnCspReAlloc = Some(csp::realloc_block);
        data.pfnCspFree = Some(csp::free_block);
        data
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain([0]).collect()
    }

    /// The flow through the exported functions, as C calls it: a server in no-card mode and a
    /// client on a virtual card relay CardGetSharedKeyHandle until both hold a key, then a PIN
    /// goes from MDEncryptData to CardProcessEncryptedData.
    #[cfg(unix)]
    #[test]
    fn shared_key_and_injection_through_the_c_abi() {
        use super::super::extensions::*;
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;

        let dir = keyward_test_support::TempDir::new("ffi-card");
        let path = dir.join("card.state");
        let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
        let mut keys = KEYWARD_CARD_KEYSET {
            dwKeyVersion: 0x30,
            cbKey: 16,
            rgbEnc: [0; 32],
            rgbMac: [0; 32],
            rgbDek: [0; 32],
        };
        for i in 0..16 {
            keys.rgbEnc[i] = i as u8;
            keys.rgbMac[i] = 0x10 + i as u8;
            keys.rgbDek[i] = 0x20 + i as u8;
        }
        // SAFETY: valid pointers and lengths.
        let status = unsafe {
            KeywardCardCreateVirtualCard(
                c_path.as_ptr(),
                &keys,
                b"1234".as_ptr(),
                4,
                b"87654321".as_ptr(),
                8,
            )
        };
        assert_eq!(status, SCARD_S_SUCCESS);
        let (mut context, mut card) = (0, 0);
        // SAFETY: valid out-pointers and a NUL-terminated path.
        unsafe {
            assert_eq!(KeywardCardEstablishContext(&mut context), 0);
            assert_eq!(
                KeywardCardConnectVirtual(context, c_path.as_ptr(), &mut card),
                0
            );
        }
        let mut atr = [0u8; 64];
        let mut atr_len = 0;
        // SAFETY: a 64-byte buffer.
        let status = unsafe { KeywardCardGetAtr(card, atr.as_mut_ptr(), 64, &mut atr_len) };
        assert_eq!(status, 0);

        let info = KEYWARD_CARD_VENDOR_INFO {
            dwVersion: KEYWARD_CARD_VENDOR_INFO_VERSION,
            dwSecurityLevel: 0,
            pStaticKeys: &keys,
            pbAid: core::ptr::null(),
            cbAid: 0,
        };
        let mut server = card_data(7);
        server.pvVendorSpecific = (&info as *const KEYWARD_CARD_VENDOR_INFO).cast_mut().cast();
        let mut name = wide("keyward");
        let mut client = card_data(7);
        client.pbAtr = atr.as_mut_ptr();
        client.cbAtr = atr_len;
        client.pwszCardName = name.as_mut_ptr();
        client.hSCardCtx = context;
        client.hScard = card;
        // SAFETY: complete CARD_DATAs.
        unsafe {
            assert_eq!(
                CardAcquireContext(&mut server, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE),
                0
            );
            assert_eq!(CardAcquireContext(&mut client, 0), 0);
        }
        assert_eq!(server.pvVendorSpecific.addr() & 1, 1);

        // The relay, through the slots.
        let (mut server_key, mut client_key) = (0, 0);
        let mut message: PBYTE = null_mut();
        let mut length = 0;
        let shared = server.pfnCardGetSharedKeyHandle.unwrap();
        // SAFETY: valid pointers throughout; every message is freed with pfnCspFree.
        unsafe {
            assert_eq!(
                shared(
                    &mut server,
                    null_mut(),
                    0,
                    &mut message,
                    &mut length,
                    &mut server_key
                ),
                0
            );
            for _ in 0..2 {
                let mut reply: PBYTE = null_mut();
                let mut reply_len = 0;
                let status = shared(
                    &mut client,
                    message,
                    length,
                    &mut reply,
                    &mut reply_len,
                    &mut client_key,
                );
                assert_eq!(status, 0);
                csp::free_block(message.cast());
                message = null_mut();
                if !reply.is_null() {
                    let status = shared(
                        &mut server,
                        reply,
                        reply_len,
                        &mut message,
                        &mut length,
                        &mut server_key,
                    );
                    assert_eq!(status, 0);
                    csp::free_block(reply.cast());
                }
            }
        }
        assert!(server_key != 0 && client_key != 0 && message.is_null());

        // One secure function.
        let payload = keyward_card::minidriver::secure_function::CardAuthenticate {
            flags: 0,
            pin: Role::User,
            pin_data: b"1234".to_vec(),
        }
        .to_bytes();
        let function = wide(CSF_AUTHENTICATE);
        let mut blobs: PCARD_ENCRYPTED_DATA = null_mut();
        let mut count = 0;
        let mut response = [0u8; 12];
        let mut response_len = 0;
        // SAFETY: valid pointers; the blob block is freed with pfnCspFree.
        unsafe {
            let status = MDEncryptData(
                &mut server,
                server_key,
                function.as_ptr(),
                payload.as_ptr().cast_mut(),
                payload.len() as DWORD,
                0,
                &mut blobs,
                &mut count,
            );
            assert_eq!(status, 0);
            assert_eq!(count, 1);
            let status = CardProcessEncryptedData(
                &mut client,
                client_key,
                function.as_ptr(),
                blobs,
                count,
                response.as_mut_ptr(),
                12,
                &mut response_len,
                0,
            );
            assert_eq!(status, 0);
            csp::free_block(blobs.cast());
        }
        assert_eq!(response_len, 12);
        assert_eq!(&response[..4], &7u32.to_le_bytes());

        // Caller pointers that alias, as C allows. MDEncryptData with `*pcEncryptedData` on the
        // payload's first DWORD: the payload is read whole before the count is written.
        let mut aliased_payload = payload.clone();
        let count_in_payload = aliased_payload.as_mut_ptr().cast::<DWORD>();
        assert!(count_in_payload.is_aligned());
        let mut blobs: PCARD_ENCRYPTED_DATA = null_mut();
        // SAFETY: valid pointers; `count_in_payload` points to the payload's first 4 bytes.
        unsafe {
            let status = MDEncryptData(
                &mut server,
                server_key,
                function.as_ptr(),
                aliased_payload.as_mut_ptr(),
                aliased_payload.len() as DWORD,
                0,
                &mut blobs,
                count_in_payload,
            );
            assert_eq!(
                status, 0,
                "the payload was read before the count overwrote it"
            );
            assert_eq!(count_in_payload.read(), 1);
            csp::free_block(blobs.cast());
        }
        // CardAuthenticateEx with one DWORD as the PIN, `*pcbSessionPin` and
        // `*pcAttemptsRemaining`: the PIN is read before the session PIN length is written.
        let mut user = card_data(7);
        user.pvVendorSpecific = (&info as *const KEYWARD_CARD_VENDOR_INFO).cast_mut().cast();
        user.pbAtr = atr.as_mut_ptr();
        user.cbAtr = atr_len;
        user.pwszCardName = name.as_mut_ptr();
        user.hSCardCtx = context;
        user.hScard = card;
        let mut word = u32::from_ne_bytes(*b"1234");
        let shared_word: *mut DWORD = &mut word;
        let mut session_pin: PBYTE = null_mut();
        // SAFETY: a complete CARD_DATA; every pointer is valid for the call.
        unsafe {
            assert_eq!(CardAcquireContext(&mut user, 0), 0);
            let status = CardAuthenticateEx(
                &mut user,
                1,
                0,
                shared_word.cast(),
                4,
                &mut session_pin,
                shared_word,
                shared_word,
            );
            assert_eq!(status, 0, "the PIN was read before it was overwritten");
            assert_eq!(shared_word.read(), 0, "*pcbSessionPin is 0");
            assert!(session_pin.is_null());
            shared_word.write(u32::from_ne_bytes(*b"0000"));
            let status = CardAuthenticateEx(
                &mut user,
                1,
                0,
                shared_word.cast(),
                4,
                null_mut(),
                shared_word,
                shared_word,
            );
            assert_eq!(status, SCARD_W_WRONG_CHV);
            assert_eq!(
                shared_word.read(),
                2,
                "the last write, the tries left, wins"
            );
            assert_eq!(CardDeleteContext(&mut user), 0);
        }

        // SAFETY: acquired CARD_DATAs and live handles.
        unsafe {
            assert_eq!(CardDestroyKey(&mut server, server_key), 0);
            assert_eq!(
                CardDestroyKey(&mut server, server_key),
                SCARD_E_INVALID_HANDLE
            );
            assert_eq!(CardDeleteContext(&mut server), 0);
            assert_eq!(CardDeleteContext(&mut client), 0);
            assert_eq!(KeywardCardReleaseContext(context), 0);
        }
        assert!(server.pvVendorSpecific.is_null());
        assert_eq!(csp::LIVE.load(std::sync::atomic::Ordering::SeqCst), 0);
        std::fs::remove_file(&path).unwrap();
    }
}

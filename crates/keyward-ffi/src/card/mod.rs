//! The smart-card minidriver of `cardmod.h` (v7), as C functions over the Rust minidriver of
//! `keyward-card` ([`keyward_card::minidriver::CardContext`]).
//!
//! - [`minidriver`]: `CardAcquireContext`, which negotiates the version and fills the
//!   function-pointer slots of `CARD_DATA` as a real minidriver does, and the calls the Rust
//!   minidriver implements (`CardDeleteContext`, `CardGetSharedKeyHandle`, `MDEncryptData`,
//!   `CardProcessEncryptedData`, `CardImportSessionKey`, `MDImportSessionKey`, the property
//!   calls, `CardDestroyKey`, `CardAuthenticateEx`, `CardDeauthenticateEx`,
//!   `CardGetContainerInfo`). The other slots point at functions of the exact slot type that
//!   return `SCARD_E_UNSUPPORTED_FEATURE` (`pfnCardDeauthenticate` stays NULL, as cardmod.h
//!   asks of a minidriver without it).
//! - [`extensions`]: keyward's stand-ins for PC/SC and CNG on the caller's side: a
//!   resource-manager context and card connections (`KeywardCardEstablishContext`,
//!   `KeywardCardConnectVirtual`, `KeywardCardConnectReader`, …) whose handles go into
//!   `CARD_DATA.hSCardCtx` / `hScard`, the creation of a virtual card, and the server's half of
//!   the RSA-wrapped session key (`KeywardCardWrapSessionKey`).
//! - [`types`]: the structures, typedefs and constants, declared for C in
//!   `include/cardmod.h` and checked against it by `tests/header_card.rs`.
//!
//! Conventions of every function here:
//! - it runs inside `boundary`: a panic is `SCARD_F_INTERNAL_ERROR` and never unwinds into
//!   C;
//! - statuses are the Windows `SCARD_*` values of keyward-card's one error table
//!   ([`keyward_card::Error::status`]);
//! - every pointer goes through `crate::ptr` or `card_data`: NULL where a pointer is
//!   required, or a misaligned structure, is `SCARD_E_INVALID_PARAMETER`;
//! - the minidriver context lives in `CARD_DATA.pvVendorSpecific` as a handle of
//!   `objects`; an unknown, deleted or forged one is `SCARD_E_INVALID_HANDLE`;
//! - everything the minidriver returns in memory (`*ppbOutput` of `CardGetSharedKeyHandle`,
//!   the `CARD_ENCRYPTED_DATA` array of `MDEncryptData`, the public keys of
//!   `CardGetContainerInfo`) is allocated with `CARD_DATA.pfnCspAlloc` and freed by the
//!   caller with `pfnCspFree`, as cardmod.h documents.

mod card_data;
pub mod extensions;
pub mod minidriver;
mod objects;
pub mod public_key;
pub mod types;

use std::panic::{catch_unwind, AssertUnwindSafe};

use self::types::{
    DWORD, SCARD_E_INSUFFICIENT_BUFFER, SCARD_E_INVALID_PARAMETER, SCARD_F_INTERNAL_ERROR,
    SCARD_S_SUCCESS,
};

/// A failed call: the status it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure(pub(crate) DWORD);

/// Result of the body of an exported function.
pub(crate) type Outcome<T = ()> = core::result::Result<T, Failure>;

impl From<keyward_card::Error> for Failure {
    fn from(error: keyward_card::Error) -> Self {
        Failure(error.status())
    }
}

/// The pointer helpers of [`crate::ptr`] report with `keyward_core` errors: a bad pointer or
/// argument is `SCARD_E_INVALID_PARAMETER`, a short buffer `SCARD_E_INSUFFICIENT_BUFFER`,
/// anything else `SCARD_F_INTERNAL_ERROR`.
impl From<keyward_core::Error> for Failure {
    fn from(error: keyward_core::Error) -> Self {
        match error {
            keyward_core::Error::InvalidParameter(_) | keyward_core::Error::BadFlags => {
                Failure(SCARD_E_INVALID_PARAMETER)
            }
            keyward_core::Error::BufferTooSmall { .. } => Failure(SCARD_E_INSUFFICIENT_BUFFER),
            _ => Failure(SCARD_F_INTERNAL_ERROR),
        }
    }
}

/// Runs the body of an exported function: `SCARD_S_SUCCESS`, the failure's status, or
/// `SCARD_F_INTERNAL_ERROR` for a panic (which never unwinds into C).
pub(crate) fn boundary(body: impl FnOnce() -> Outcome) -> DWORD {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => SCARD_S_SUCCESS,
        Ok(Err(Failure(status))) => status,
        Err(_) => SCARD_F_INTERNAL_ERROR,
    }
}

/// `SCARD_E_INVALID_PARAMETER`.
pub(crate) const INVALID_PARAMETER: Failure = Failure(SCARD_E_INVALID_PARAMETER);

#[cfg(test)]
mod tests {
    use super::*;
    use types::*;

    #[test]
    fn panics_and_errors_become_scard_statuses() {
        assert_eq!(boundary(|| panic!("boom")), SCARD_F_INTERNAL_ERROR);
        assert_eq!(boundary(|| Ok(())), SCARD_S_SUCCESS);
        assert_eq!(
            boundary(|| Err(keyward_card::Error::UnsupportedFeature("x").into())),
            0x8010_0022
        );
        assert_eq!(
            boundary(|| Err(keyward_core::Error::InvalidParameter("NULL").into())),
            SCARD_E_INVALID_PARAMETER
        );
        assert_eq!(
            boundary(|| Err(keyward_core::Error::BufferTooSmall { needed: 3 }.into())),
            SCARD_E_INSUFFICIENT_BUFFER
        );
        assert_eq!(
            boundary(|| Err(keyward_core::Error::Backend.into())),
            SCARD_F_INTERNAL_ERROR
        );
    }
}

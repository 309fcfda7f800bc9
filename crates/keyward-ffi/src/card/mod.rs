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
//! - it runs inside the one panic `boundary`: a panic is `SCARD_F_INTERNAL_ERROR` and never
//!   unwinds into C;
//! - statuses are [`ScardStatus`]es, the Windows `SCARD_*` values of keyward-card's one
//!   error table ([`keyward_card::Error::status`]; a bad pointer or size found by
//!   `crate::ptr` is `SCARD_E_INVALID_PARAMETER` or `SCARD_E_INSUFFICIENT_BUFFER`);
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
pub mod types;

pub(crate) use keyward_card::ScardStatus;

/// Result of the body of an exported function.
pub(crate) type Outcome<T = ()> = core::result::Result<T, ScardStatus>;

/// `SCARD_E_INVALID_PARAMETER`.
pub(crate) const INVALID_PARAMETER: ScardStatus = ScardStatus::INVALID_PARAMETER;

//! The Direct3D 11 crypto session and OPM, as C functions over `keyward-cryptosession`.
//!
//! - [`cryptosession`]: the D3D11.1 user-mode driver DDI functions of the crypto session
//!   (`CalcPrivateCryptoSessionSize`, `CreateCryptoSession`, `NegotiateCryptoSessionKeyExchange`,
//!   `EncryptionBlt`, `DecryptionBlt`, …) with their `d3d10umddi.h` signatures, and the
//!   `KeywardD3D11*` extensions that stand in for the runtime: opening a device, memory
//!   resources for the blits, the last error of the `VOID` functions, and the application-side
//!   helpers (session-key blob, AES-128-CTR, key wrapping). Declared in
//!   `include/d3d11cryptosession.h`.
//! - [`opm`]: the `IOPMVideoOutput` methods as plain functions (`OPMVideoOutput*`) and the
//!   `KeywardOPM*` extensions. Declared in `include/opm.h`.
//!
//! `tests/header_d3d11.rs` checks both headers against this module.
//!
//! Conventions of every function here:
//! - it runs inside the one panic `boundary` (through `report` for the DDI's `VOID`
//!   functions): a panic is `E_FAIL` and never unwinds into C;
//! - every pointer goes through `crate::ptr`; NULL where a pointer is required, or a
//!   misaligned structure, is `E_INVALIDARG`;
//! - errors of the Rust API map to [`HResult`]s through its one table
//!   ([`keyward_cryptosession::Error::hresult`]; a bad pointer or size found by `crate::ptr`
//!   is `E_INVALIDARG`);
//! - objects are named by handles of one table (`objects`); an unknown, closed or wrong-kind
//!   handle is `E_HANDLE`, never a crash. The crypto session lives in runtime-provided memory
//!   (`hCryptoSession.pDrvPrivate`), which holds only a magic number and the session's handle,
//!   both checked on every call.

pub mod cryptosession;
mod objects;
pub mod opm;
pub mod types;

pub(crate) use keyward_cryptosession::HResult;

use self::types::D3D10DDI_HDEVICE;
use crate::boundary::StatusFamily;

/// Result of the body of an exported function.
pub(crate) type Outcome<T = ()> = core::result::Result<T, HResult>;

/// Runs the body of a DDI function that returns `VOID` inside the one panic boundary
/// ([`StatusFamily::boundary`]): the `HRESULT` it would return becomes the last error of
/// `hDevice` (`KeywardD3D11GetLastError`), the stand-in for the runtime's `pfnSetErrorCb`.
/// With a handle that names no open device there is no device to record on, and nothing is
/// recorded.
pub(crate) fn report(hDevice: D3D10DDI_HDEVICE, body: impl FnOnce() -> Outcome) {
    let hresult = HResult::boundary(body);
    HResult::boundary(|| {
        objects::set_last_error(hDevice, hresult);
        Ok(())
    });
}

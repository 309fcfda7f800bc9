//! The one panic boundary of every exported function, over the status families of Windows.
//!
//! Each family is a type whose values map to the codes its functions return, in one table in
//! the crate that owns the domain:
//! - `SECURITY_STATUS` (and the `NTSTATUS` of `GetSChannelInterface`): [`Status`] and
//!   [`keyward_core::Error::status`];
//! - the `SCARD_*` `DWORD`s of the minidriver: [`ScardStatus`] (keyward-card);
//! - the `HRESULT`s of the D3D11 crypto session and OPM: [`HResult`] (keyward-cryptosession).
//!
//! [`StatusFamily::boundary`] runs the body of an exported function and returns its family's
//! success code, the code of its failure, or its family's internal error for a panic: nothing
//! ever unwinds into C. An exported function reads `ScardStatus::boundary(|| { … })`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use keyward_card::ScardStatus;
use keyward_core::{Error, Status};
use keyward_cryptosession::HResult;

/// A family of Windows status codes, as the failure type of an exported function's body.
pub(crate) trait StatusFamily: Sized {
    /// The C type of the family's codes.
    type Code;
    /// The code of success.
    const SUCCESS: Self::Code;
    /// The code of a panic: the family's internal error.
    const PANIC: Self::Code;
    /// The code of this failure.
    fn code(self) -> Self::Code;

    /// Runs the body of an exported function: the family's success code, the code of its
    /// failure, or the family's internal error for a panic (which never unwinds into C).
    fn boundary(body: impl FnOnce() -> Result<(), Self>) -> Self::Code {
        match catch_unwind(AssertUnwindSafe(body)) {
            Ok(Ok(())) => Self::SUCCESS,
            Ok(Err(failure)) => failure.code(),
            Err(_) => Self::PANIC,
        }
    }
}

impl StatusFamily for Status {
    type Code = i32;
    const SUCCESS: i32 = Status::SUCCESS.0;
    const PANIC: i32 = Status::NTE_INTERNAL_ERROR.0;
    fn code(self) -> i32 {
        self.0
    }
}

/// The errors of keyward-core and keyward-ssl are `SECURITY_STATUS`es through their one table.
impl StatusFamily for Error {
    type Code = i32;
    const SUCCESS: i32 = Status::SUCCESS.0;
    const PANIC: i32 = Status::NTE_INTERNAL_ERROR.0;
    fn code(self) -> i32 {
        self.status().0
    }
}

impl StatusFamily for ScardStatus {
    type Code = u32;
    const SUCCESS: u32 = ScardStatus::SUCCESS.0;
    const PANIC: u32 = ScardStatus::INTERNAL_ERROR.0;
    fn code(self) -> u32 {
        self.0
    }
}

impl StatusFamily for HResult {
    type Code = i32;
    const SUCCESS: i32 = HResult::OK.0;
    const PANIC: i32 = HResult::FAIL.0;
    fn code(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_card::error::{SCARD_E_INVALID_PARAMETER, SCARD_F_INTERNAL_ERROR};
    use keyward_cryptosession::hresult::{E_FAIL, E_INVALIDARG};

    #[test]
    fn each_family_reports_success_failure_and_panic() {
        assert_eq!(Error::boundary(|| Ok(())), 0);
        assert_eq!(
            Error::boundary(|| Err(Error::BadFlags)),
            Status::NTE_BAD_FLAGS.0
        );
        assert_eq!(
            Error::boundary(|| panic!("boom")),
            Status::NTE_INTERNAL_ERROR.0
        );
        let not_found = Status::boundary(|| Err(Status::STATUS_NOT_FOUND));
        assert_eq!(not_found, Status::STATUS_NOT_FOUND.0);
        assert_eq!(
            Status::boundary(|| panic!("boom")),
            Status::NTE_INTERNAL_ERROR.0
        );

        assert_eq!(ScardStatus::boundary(|| Ok(())), 0);
        let invalid =
            ScardStatus::boundary(|| Err(keyward_core::Error::InvalidParameter("x").into()));
        assert_eq!(invalid, SCARD_E_INVALID_PARAMETER);
        let unsupported =
            ScardStatus::boundary(|| Err(keyward_card::Error::UnsupportedFeature("x").into()));
        assert_eq!(unsupported, 0x8010_0022);
        assert_eq!(
            ScardStatus::boundary(|| panic!("boom")),
            SCARD_F_INTERNAL_ERROR
        );

        assert_eq!(HResult::boundary(|| Ok(())), 0);
        let bad = HResult::boundary(|| Err(keyward_core::Error::InvalidParameter("x").into()));
        assert_eq!(bad, E_INVALIDARG);
        assert_eq!(HResult::boundary(|| panic!("boom")), E_FAIL);
    }
}

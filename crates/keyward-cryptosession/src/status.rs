//! [`HResult`]: the `HRESULT` a crypto-session or OPM function returns, as a type.
//!
//! Its values come from one table, [`Error::hresult`]; errors of keyward-core met while
//! reading a caller's arguments (a bad pointer or size) have theirs here, in
//! `From<keyward_core::Error>`.

use crate::error::{hresult, Error};

/// A Windows `HRESULT`, as the `i32` a C caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HResult(pub i32);

impl HResult {
    /// `S_OK`.
    pub const OK: HResult = HResult(hresult::S_OK);
    /// `E_FAIL`: also what a panic inside a call returns.
    pub const FAIL: HResult = HResult(hresult::E_FAIL);
    /// `E_INVALIDARG`.
    pub const INVALID_ARG: HResult = HResult(hresult::E_INVALIDARG);
    /// `E_HANDLE`.
    pub const HANDLE: HResult = HResult(hresult::E_HANDLE);
}

impl From<Error> for HResult {
    fn from(error: Error) -> Self {
        HResult(error.hresult())
    }
}

/// A keyward-core error met while reading a caller's arguments: a bad pointer or size is
/// `E_INVALIDARG`, anything else `E_FAIL`. (An error of keyward-core inside the crypto
/// session is [`Error::Core`], `E_FAIL`.)
impl From<keyward_core::Error> for HResult {
    fn from(error: keyward_core::Error) -> Self {
        match error {
            keyward_core::Error::InvalidParameter(_)
            | keyward_core::Error::BufferTooSmall { .. } => HResult::INVALID_ARG,
            _ => HResult::FAIL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_both_crates_have_one_hresult() {
        assert_eq!(HResult::from(Error::SessionDestroyed), HResult::HANDLE);
        let argument = keyward_core::Error::InvalidParameter("NULL");
        assert_eq!(HResult::from(argument), HResult::INVALID_ARG);
        let short = keyward_core::Error::BufferTooSmall { needed: 4 };
        assert_eq!(HResult::from(short), HResult::INVALID_ARG);
        assert_eq!(HResult::from(keyward_core::Error::Backend), HResult::FAIL);
    }
}

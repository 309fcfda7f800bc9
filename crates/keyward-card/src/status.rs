//! [`ScardStatus`]: the `DWORD` a minidriver function of cardmod.h returns, as a type.
//!
//! Its values come from one table, [`Error::status`]; errors of keyward-core (a caller's bad
//! pointer or size, found while reading the arguments) have theirs here, in
//! `From<keyward_core::Error>`.

use crate::error::*;

/// A Windows smart-card status (`SCARD_S_SUCCESS`, an `SCARD_*` code, or one of the few
/// `ERROR_*` codes cardmod.h documents), as the `DWORD` a C caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScardStatus(pub u32);

impl ScardStatus {
    /// `SCARD_S_SUCCESS`.
    pub const SUCCESS: ScardStatus = ScardStatus(SCARD_S_SUCCESS);
    /// `SCARD_F_INTERNAL_ERROR`: what a panic inside a minidriver call returns.
    pub const INTERNAL_ERROR: ScardStatus = ScardStatus(SCARD_F_INTERNAL_ERROR);
    /// `SCARD_E_INVALID_PARAMETER`.
    pub const INVALID_PARAMETER: ScardStatus = ScardStatus(SCARD_E_INVALID_PARAMETER);
    /// `SCARD_E_INVALID_HANDLE`.
    pub const INVALID_HANDLE: ScardStatus = ScardStatus(SCARD_E_INVALID_HANDLE);
    /// `SCARD_E_INSUFFICIENT_BUFFER`.
    pub const INSUFFICIENT_BUFFER: ScardStatus = ScardStatus(SCARD_E_INSUFFICIENT_BUFFER);
    /// `SCARD_E_NO_MEMORY`.
    pub const NO_MEMORY: ScardStatus = ScardStatus(SCARD_E_NO_MEMORY);
}

impl From<Error> for ScardStatus {
    fn from(error: Error) -> Self {
        ScardStatus(error.status())
    }
}

/// A keyward-core error met while reading a caller's arguments: a bad pointer, argument or
/// flags is `SCARD_E_INVALID_PARAMETER`, a short buffer `SCARD_E_INSUFFICIENT_BUFFER`,
/// anything else `SCARD_F_INTERNAL_ERROR`.
impl From<keyward_core::Error> for ScardStatus {
    fn from(error: keyward_core::Error) -> Self {
        match error {
            keyward_core::Error::InvalidParameter(_) | keyward_core::Error::BadFlags => {
                ScardStatus::INVALID_PARAMETER
            }
            keyward_core::Error::BufferTooSmall { .. } => ScardStatus::INSUFFICIENT_BUFFER,
            _ => ScardStatus::INTERNAL_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_both_crates_have_one_status() {
        let unsupported = ScardStatus::from(Error::UnsupportedFeature("x"));
        assert_eq!(unsupported, ScardStatus(0x8010_0022));
        let cases = [
            (
                keyward_core::Error::InvalidParameter("NULL"),
                SCARD_E_INVALID_PARAMETER,
            ),
            (keyward_core::Error::BadFlags, SCARD_E_INVALID_PARAMETER),
            (
                keyward_core::Error::BufferTooSmall { needed: 3 },
                SCARD_E_INSUFFICIENT_BUFFER,
            ),
            (keyward_core::Error::Backend, SCARD_F_INTERNAL_ERROR),
        ];
        for (error, status) in cases {
            assert_eq!(ScardStatus::from(error), ScardStatus(status));
        }
    }
}

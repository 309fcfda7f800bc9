//! The error type of keyward-card and its one table to the Windows `SCARD_*` values.
//!
//! Minidriver functions (cardmod.h) return a `DWORD`: `SCARD_S_SUCCESS` (0), an `SCARD_*` code,
//! or, for `CardAcquireContext`, `ERROR_REVISION_MISMATCH`. The values are the **Windows** ones
//! (winerror.h); pcsc-lite differs for `SCARD_E_UNSUPPORTED_FEATURE` (it aliases it to
//! `SCARD_E_UNEXPECTED`, 0x8010001F), so never reuse a pcsc crate constant here.

use crate::apdu::StatusWord;

/// `SCARD_S_SUCCESS`: the call succeeded.
pub const SCARD_S_SUCCESS: u32 = 0;
/// `SCARD_F_INTERNAL_ERROR`: an internal consistency check failed.
pub const SCARD_F_INTERNAL_ERROR: u32 = 0x8010_0001;
/// `SCARD_E_INVALID_HANDLE`: the supplied handle was not valid.
pub const SCARD_E_INVALID_HANDLE: u32 = 0x8010_0003;
/// `SCARD_E_INVALID_PARAMETER`: one or more of the supplied parameters could not be interpreted.
pub const SCARD_E_INVALID_PARAMETER: u32 = 0x8010_0004;
/// `SCARD_E_INSUFFICIENT_BUFFER`: the data buffer for returned data is too small.
pub const SCARD_E_INSUFFICIENT_BUFFER: u32 = 0x8010_0008;
/// `SCARD_E_NO_SMARTCARD`: the operation requires a smart card, and there is none (no-card mode).
pub const SCARD_E_NO_SMARTCARD: u32 = 0x8010_000C;
/// `SCARD_E_INVALID_VALUE`: one or more of the supplied parameter values could not be interpreted.
pub const SCARD_E_INVALID_VALUE: u32 = 0x8010_0011;
/// `SCARD_F_COMM_ERROR`: an internal communications error has been detected.
pub const SCARD_F_COMM_ERROR: u32 = 0x8010_0013;
/// `SCARD_E_UNEXPECTED`: an unexpected card error has occurred.
pub const SCARD_E_UNEXPECTED: u32 = 0x8010_001F;
/// `SCARD_E_UNSUPPORTED_FEATURE` — the Windows value 0x80100022, not pcsc-lite's 0x8010001F.
pub const SCARD_E_UNSUPPORTED_FEATURE: u32 = 0x8010_0022;
/// `SCARD_E_INVALID_CHV`: the supplied PIN is incorrectly formatted.
pub const SCARD_E_INVALID_CHV: u32 = 0x8010_002A;
/// `SCARD_E_NO_KEY_CONTAINER`: the requested key container does not exist on the card.
pub const SCARD_E_NO_KEY_CONTAINER: u32 = 0x8010_0030;
/// `SCARD_W_SECURITY_VIOLATION`: access was denied because of a security violation.
pub const SCARD_W_SECURITY_VIOLATION: u32 = 0x8010_006A;
/// `SCARD_W_WRONG_CHV`: the card cannot be accessed because the wrong PIN was presented.
pub const SCARD_W_WRONG_CHV: u32 = 0x8010_006B;
/// `SCARD_W_CHV_BLOCKED`: the maximum number of PIN entry attempts has been reached.
pub const SCARD_W_CHV_BLOCKED: u32 = 0x8010_006C;
/// `ERROR_REVISION_MISMATCH` (1306): `CardAcquireContext` with a `CARD_DATA` version below 4.
pub const ERROR_REVISION_MISMATCH: u32 = 1306;

/// Why a keyward-card operation failed. Each variant maps to exactly one Windows status
/// ([`Error::status`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A parameter is missing, has a bad length or is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    /// A key handle is unknown, already destroyed, or of the wrong kind.
    #[error("invalid handle")]
    InvalidHandle,
    /// The output buffer is too small; `needed` bytes are required.
    #[error("buffer too small: {needed} bytes needed")]
    InsufficientBuffer {
        /// The number of bytes the output needs.
        needed: usize,
    },
    /// The feature, algorithm, mode or property is not supported.
    #[error("unsupported: {0}")]
    UnsupportedFeature(&'static str),
    /// `CardAcquireContext` was asked for a `CARD_DATA` version below 4.
    #[error("CARD_DATA version is below 4")]
    RevisionMismatch,
    /// The call needs a card, but the context was acquired in no-card mode.
    #[error("this call needs a card (the context is in no-card mode)")]
    NoCard,
    /// A message arrived in the wrong state of a protocol (out of order, or already used).
    #[error("out of order: {0}")]
    OutOfOrder(&'static str),
    /// Bytes from the card (or the peer) are malformed: a response APDU, an INITIALIZE UPDATE
    /// response, a relayed message.
    #[error("malformed message: {0}")]
    MalformedMessage(&'static str),
    /// The card cryptogram of SCP03 (Amd D §6.2.2.2) did not verify: the card does not hold
    /// the static keys, or the response was tampered with or replayed.
    #[error("card cryptogram mismatch")]
    CardCryptogramMismatch,
    /// The card refused the host cryptogram or the EXTERNAL AUTHENTICATE C-MAC (SW 6300).
    #[error("the card rejected the host authentication")]
    HostAuthenticationFailed,
    /// A C-MAC or R-MAC did not verify (tampered, replayed or out-of-sequence message).
    #[error("secure messaging MAC mismatch")]
    MacMismatch,
    /// The card refused the command for lack of a security condition (SW 6982): no secure
    /// channel, a too-low security level, or a PIN not presented.
    #[error("security status not satisfied")]
    SecurityStatusNotSatisfied,
    /// The PIN is malformed (length out of range).
    #[error("malformed PIN")]
    InvalidPin,
    /// The PIN was wrong; `attempts_remaining` tries are left.
    #[error("wrong PIN ({attempts_remaining} attempts remaining)")]
    WrongPin {
        /// Tries left before the PIN blocks.
        attempts_remaining: u8,
    },
    /// The PIN is blocked (its retry counter reached zero).
    #[error("PIN blocked")]
    PinBlocked,
    /// The key container is empty or out of range.
    #[error("no such key container")]
    NoKeyContainer,
    /// The card answered with an unexpected status word.
    #[error("card returned status word {0}")]
    CardStatus(StatusWord),
    /// The transport to the card failed.
    #[error("transport failure: {0}")]
    Transport(String),
    /// The virtual card's state file could not be read, parsed or written.
    #[error("card state storage: {0}")]
    Storage(String),
    /// A cryptographic primitive failed unexpectedly, or an internal invariant broke.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// The Windows status (`DWORD`) a minidriver function returns for this error: the one table
    /// from errors to status values.
    pub fn status(&self) -> u32 {
        match self {
            Error::InvalidParameter(_) => SCARD_E_INVALID_PARAMETER,
            Error::InvalidHandle => SCARD_E_INVALID_HANDLE,
            Error::InsufficientBuffer { .. } => SCARD_E_INSUFFICIENT_BUFFER,
            Error::UnsupportedFeature(_) => SCARD_E_UNSUPPORTED_FEATURE,
            Error::RevisionMismatch => ERROR_REVISION_MISMATCH,
            Error::NoCard => SCARD_E_NO_SMARTCARD,
            Error::OutOfOrder(_) => SCARD_E_INVALID_VALUE,
            Error::MalformedMessage(_) => SCARD_E_UNEXPECTED,
            Error::CardCryptogramMismatch => SCARD_W_SECURITY_VIOLATION,
            Error::HostAuthenticationFailed => SCARD_W_SECURITY_VIOLATION,
            Error::MacMismatch => SCARD_W_SECURITY_VIOLATION,
            Error::SecurityStatusNotSatisfied => SCARD_W_SECURITY_VIOLATION,
            Error::InvalidPin => SCARD_E_INVALID_CHV,
            Error::WrongPin { .. } => SCARD_W_WRONG_CHV,
            Error::PinBlocked => SCARD_W_CHV_BLOCKED,
            Error::NoKeyContainer => SCARD_E_NO_KEY_CONTAINER,
            Error::CardStatus(_) => SCARD_E_UNEXPECTED,
            Error::Transport(_) => SCARD_F_COMM_ERROR,
            Error::Storage(_) => SCARD_F_INTERNAL_ERROR,
            Error::Internal(_) => SCARD_F_INTERNAL_ERROR,
        }
    }
}

impl From<keyward_core::Error> for Error {
    /// Errors of the crypto backend: bad caller data stays a parameter error, an unsupported
    /// key type stays unsupported, anything else is internal.
    fn from(error: keyward_core::Error) -> Self {
        match error {
            keyward_core::Error::InvalidParameter(what) | keyward_core::Error::BadData(what) => {
                Error::InvalidParameter(what)
            }
            keyward_core::Error::NotSupported(what) => Error::UnsupportedFeature(what),
            _ => Error::Internal("crypto backend failure"),
        }
    }
}

/// Result with keyward-card's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_values_not_pcsc_lite() {
        // The pcsc-lite trap (reference B.5): UNSUPPORTED_FEATURE is 0x80100022 on Windows.
        assert_eq!(Error::UnsupportedFeature("x").status(), 0x8010_0022);
        assert_ne!(Error::UnsupportedFeature("x").status(), SCARD_E_UNEXPECTED);
        assert_eq!(Error::NoKeyContainer.status(), 0x8010_0030);
        assert_eq!(Error::InvalidHandle.status(), 0x8010_0003);
        assert_eq!(Error::InvalidParameter("x").status(), 0x8010_0004);
        assert_eq!(
            Error::InsufficientBuffer { needed: 3 }.status(),
            0x8010_0008
        );
        assert_eq!(
            Error::WrongPin {
                attempts_remaining: 2
            }
            .status(),
            0x8010_006B
        );
        assert_eq!(Error::PinBlocked.status(), 0x8010_006C);
        assert_eq!(Error::InvalidPin.status(), 0x8010_002A);
        assert_eq!(Error::RevisionMismatch.status(), 1306);
        assert_eq!(Error::CardCryptogramMismatch.status(), 0x8010_006A);
        assert_eq!(Error::NoCard.status(), 0x8010_000C);
    }

    #[test]
    fn backend_errors_map_by_cause() {
        assert_eq!(
            Error::from(keyward_core::Error::BadData("der")),
            Error::InvalidParameter("der")
        );
        assert_eq!(
            Error::from(keyward_core::Error::NotSupported("curve")),
            Error::UnsupportedFeature("curve")
        );
        assert_eq!(
            Error::from(keyward_core::Error::Backend),
            Error::Internal("crypto backend failure")
        );
    }
}

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
/// `SCARD_E_CANCELLED`: the action was cancelled by an `SCardCancel` request.
pub const SCARD_E_CANCELLED: u32 = 0x8010_0002;
/// `SCARD_E_NO_MEMORY`: not enough memory available to complete this command.
pub const SCARD_E_NO_MEMORY: u32 = 0x8010_0006;
/// `SCARD_E_UNKNOWN_READER`: the specified reader name is not recognized.
pub const SCARD_E_UNKNOWN_READER: u32 = 0x8010_0009;
/// `SCARD_E_TIMEOUT`: the user-specified timeout value has expired.
pub const SCARD_E_TIMEOUT: u32 = 0x8010_000A;
/// `SCARD_E_SHARING_VIOLATION`: the card cannot be accessed because of other connections.
pub const SCARD_E_SHARING_VIOLATION: u32 = 0x8010_000B;
/// `SCARD_E_PROTO_MISMATCH`: the requested protocols are incompatible with the card's.
pub const SCARD_E_PROTO_MISMATCH: u32 = 0x8010_000F;
/// `SCARD_E_NOT_READY`: the reader or card is not ready to accept commands.
pub const SCARD_E_NOT_READY: u32 = 0x8010_0010;
/// `SCARD_F_UNKNOWN_ERROR`: an internal error has been detected, but the source is unknown.
pub const SCARD_F_UNKNOWN_ERROR: u32 = 0x8010_0014;
/// `SCARD_E_NOT_TRANSACTED`: an attempt was made to end a non-existent transaction.
pub const SCARD_E_NOT_TRANSACTED: u32 = 0x8010_0016;
/// `SCARD_E_READER_UNAVAILABLE`: the specified reader is not currently available for use.
pub const SCARD_E_READER_UNAVAILABLE: u32 = 0x8010_0017;
/// `SCARD_E_NO_SERVICE`: the smart card resource manager is not running.
pub const SCARD_E_NO_SERVICE: u32 = 0x8010_001D;
/// `SCARD_E_SERVICE_STOPPED`: the smart card resource manager has shut down.
pub const SCARD_E_SERVICE_STOPPED: u32 = 0x8010_001E;
/// `SCARD_E_NO_READERS_AVAILABLE`: cannot find a smart card reader.
pub const SCARD_E_NO_READERS_AVAILABLE: u32 = 0x8010_002E;
/// `SCARD_E_COMM_DATA_LOST`: a communications error with the card has been detected.
pub const SCARD_E_COMM_DATA_LOST: u32 = 0x8010_002F;
/// `SCARD_W_UNRESPONSIVE_CARD`: the smart card is not responding to a reset.
pub const SCARD_W_UNRESPONSIVE_CARD: u32 = 0x8010_0066;
/// `SCARD_W_UNPOWERED_CARD`: power has been removed from the smart card.
pub const SCARD_W_UNPOWERED_CARD: u32 = 0x8010_0067;
/// `SCARD_W_RESET_CARD`: the smart card has been reset, so shared state is invalid.
pub const SCARD_W_RESET_CARD: u32 = 0x8010_0068;
/// `SCARD_W_REMOVED_CARD`: the smart card has been removed.
pub const SCARD_W_REMOVED_CARD: u32 = 0x8010_0069;
/// `SCARD_W_SECURITY_VIOLATION`: access was denied because of a security violation.
pub const SCARD_W_SECURITY_VIOLATION: u32 = 0x8010_006A;
/// `SCARD_W_WRONG_CHV`: the card cannot be accessed because the wrong PIN was presented.
pub const SCARD_W_WRONG_CHV: u32 = 0x8010_006B;
/// `SCARD_W_CHV_BLOCKED`: the maximum number of PIN entry attempts has been reached.
pub const SCARD_W_CHV_BLOCKED: u32 = 0x8010_006C;
/// `ERROR_INSUFFICIENT_BUFFER` (122): what cardmod's property getters (`CardGetProperty`,
/// `CardGetAlgorithmProperty`, `CardGetKeyProperty`) return for a short `pbData`.
pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
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
    /// A property getter's `pbData` is shorter than the value (`ERROR_INSUFFICIENT_BUFFER`,
    /// as the `CardGetProperty` page prescribes); `needed` goes to `*pdwDataLen`.
    #[error("property buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The length of the value.
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
    /// The PC/SC resource manager (pcscd, winscard) refused or failed a call.
    #[error("PC/SC: {0}")]
    Reader(ReaderError),
    /// The virtual card's state file could not be read, parsed or written.
    #[error("card state storage: {0}")]
    Storage(String),
    /// A cryptographic primitive failed unexpectedly, or an internal invariant broke.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl Error {
    /// The PIN tries left that this error tells: those of a wrong PIN, 0 for a blocked one
    /// (`*pcAttemptsRemaining` of `CardAuthenticateEx`, `cAttemptsRemaining` of a secure
    /// function's response); `None` for any other error.
    pub fn attempts_remaining(&self) -> Option<u32> {
        match self {
            Error::WrongPin { attempts_remaining } => Some(u32::from(*attempts_remaining)),
            Error::PinBlocked => Some(0),
            _ => None,
        }
    }

    /// The Windows status (`DWORD`) a minidriver function returns for this error: the one table
    /// from errors to status values.
    pub fn status(&self) -> u32 {
        match self {
            Error::InvalidParameter(_) => SCARD_E_INVALID_PARAMETER,
            Error::InvalidHandle => SCARD_E_INVALID_HANDLE,
            Error::InsufficientBuffer { .. } => SCARD_E_INSUFFICIENT_BUFFER,
            Error::BufferTooSmall { .. } => ERROR_INSUFFICIENT_BUFFER,
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
            Error::Reader(reader) => match reader {
                ReaderError::NoService => SCARD_E_NO_SERVICE,
                ReaderError::NoLibrary => SCARD_E_NO_SERVICE,
                ReaderError::ServiceStopped => SCARD_E_SERVICE_STOPPED,
                ReaderError::NoReadersAvailable => SCARD_E_NO_READERS_AVAILABLE,
                ReaderError::UnknownReader => SCARD_E_UNKNOWN_READER,
                ReaderError::ReaderUnavailable => SCARD_E_READER_UNAVAILABLE,
                ReaderError::NoSmartcard => SCARD_E_NO_SMARTCARD,
                ReaderError::RemovedCard => SCARD_W_REMOVED_CARD,
                ReaderError::ResetCard => SCARD_W_RESET_CARD,
                ReaderError::UnpoweredCard => SCARD_W_UNPOWERED_CARD,
                ReaderError::UnresponsiveCard => SCARD_W_UNRESPONSIVE_CARD,
                ReaderError::SharingViolation => SCARD_E_SHARING_VIOLATION,
                ReaderError::ProtocolMismatch => SCARD_E_PROTO_MISMATCH,
                ReaderError::NotReady => SCARD_E_NOT_READY,
                ReaderError::Timeout => SCARD_E_TIMEOUT,
                ReaderError::Cancelled => SCARD_E_CANCELLED,
                ReaderError::NotTransacted => SCARD_E_NOT_TRANSACTED,
                ReaderError::CommunicationError => SCARD_F_COMM_ERROR,
                ReaderError::CommunicationDataLost => SCARD_E_COMM_DATA_LOST,
                ReaderError::InsufficientBuffer => SCARD_E_INSUFFICIENT_BUFFER,
                ReaderError::InvalidHandle => SCARD_E_INVALID_HANDLE,
                ReaderError::InvalidParameter => SCARD_E_INVALID_PARAMETER,
                ReaderError::InvalidValue => SCARD_E_INVALID_VALUE,
                ReaderError::NoMemory => SCARD_E_NO_MEMORY,
                ReaderError::InternalError => SCARD_F_INTERNAL_ERROR,
                ReaderError::UnsupportedFeature => SCARD_E_UNSUPPORTED_FEATURE,
                ReaderError::Unknown => SCARD_F_UNKNOWN_ERROR,
            },
            Error::Storage(_) => SCARD_F_INTERNAL_ERROR,
            Error::Internal(_) => SCARD_F_INTERNAL_ERROR,
        }
    }
}

/// A failure reported by the PC/SC resource manager, by cause. The transport translates the
/// platform's codes into these by name (never by value: pcsc-lite codes
/// `SCARD_E_UNSUPPORTED_FEATURE` as `SCARD_E_UNEXPECTED`), and [`Error::status`] gives the
/// Windows value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderError {
    /// `SCARD_E_NO_SERVICE`: the resource manager (pcscd) is not running.
    NoService,
    /// `SCARD_E_NO_SERVICE` too: the PC/SC library (`libpcsclite.so.1`) is not installed.
    NoLibrary,
    /// `SCARD_E_SERVICE_STOPPED`: the resource manager has shut down.
    ServiceStopped,
    /// `SCARD_E_NO_READERS_AVAILABLE`: no reader at all.
    NoReadersAvailable,
    /// `SCARD_E_UNKNOWN_READER`: no reader of that name.
    UnknownReader,
    /// `SCARD_E_READER_UNAVAILABLE`: the reader is not available for use.
    ReaderUnavailable,
    /// `SCARD_E_NO_SMARTCARD`: no card in the reader.
    NoSmartcard,
    /// `SCARD_W_REMOVED_CARD`: the card was removed.
    RemovedCard,
    /// `SCARD_W_RESET_CARD`: the card was reset by another connection.
    ResetCard,
    /// `SCARD_W_UNPOWERED_CARD`: the card has no power.
    UnpoweredCard,
    /// `SCARD_W_UNRESPONSIVE_CARD`: the card does not answer a reset.
    UnresponsiveCard,
    /// `SCARD_E_SHARING_VIOLATION`: another connection holds the card.
    SharingViolation,
    /// `SCARD_E_PROTO_MISMATCH`: no common protocol.
    ProtocolMismatch,
    /// `SCARD_E_NOT_READY`: the reader or card is not ready.
    NotReady,
    /// `SCARD_E_TIMEOUT`: a timeout expired.
    Timeout,
    /// `SCARD_E_CANCELLED`: cancelled by `SCardCancel`.
    Cancelled,
    /// `SCARD_E_NOT_TRANSACTED`: no transaction to end.
    NotTransacted,
    /// `SCARD_F_COMM_ERROR`: a communication error inside the resource manager.
    CommunicationError,
    /// `SCARD_E_COMM_DATA_LOST`: data to or from the card was lost.
    CommunicationDataLost,
    /// `SCARD_E_INSUFFICIENT_BUFFER`: the response did not fit the receive buffer.
    InsufficientBuffer,
    /// `SCARD_E_INVALID_HANDLE`: a stale context or card handle.
    InvalidHandle,
    /// `SCARD_E_INVALID_PARAMETER`: the resource manager refused a parameter.
    InvalidParameter,
    /// `SCARD_E_INVALID_VALUE`: the resource manager refused a parameter value.
    InvalidValue,
    /// `SCARD_E_NO_MEMORY`: the resource manager ran out of memory.
    NoMemory,
    /// `SCARD_F_INTERNAL_ERROR`: an internal consistency check failed.
    InternalError,
    /// `SCARD_E_UNSUPPORTED_FEATURE`: the reader or card does not support the request.
    UnsupportedFeature,
    /// Any other code (`SCARD_F_UNKNOWN_ERROR`).
    Unknown,
}

impl core::fmt::Display for ReaderError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ReaderError::NoService => "the smart card service (pcscd) is not running",
            ReaderError::NoLibrary => {
                "libpcsclite.so.1 is not installed \
                 (install it with: apt-get install libpcsclite1 pcscd)"
            }
            ReaderError::ServiceStopped => "the smart card service has stopped",
            ReaderError::NoReadersAvailable => "no smart card reader is available",
            ReaderError::UnknownReader => "no such reader",
            ReaderError::ReaderUnavailable => "the reader is not available",
            ReaderError::NoSmartcard => "no card in the reader",
            ReaderError::RemovedCard => "the card was removed",
            ReaderError::ResetCard => "the card was reset",
            ReaderError::UnpoweredCard => "the card has no power",
            ReaderError::UnresponsiveCard => "the card does not respond",
            ReaderError::SharingViolation => "the card is in use by another connection",
            ReaderError::ProtocolMismatch => "no protocol in common with the card",
            ReaderError::NotReady => "the reader or card is not ready",
            ReaderError::Timeout => "timed out",
            ReaderError::Cancelled => "cancelled",
            ReaderError::NotTransacted => "no transaction to end",
            ReaderError::CommunicationError => "communication error",
            ReaderError::CommunicationDataLost => "communication data lost",
            ReaderError::InsufficientBuffer => "the response does not fit the buffer",
            ReaderError::InvalidHandle => "invalid PC/SC handle",
            ReaderError::InvalidParameter => "invalid PC/SC parameter",
            ReaderError::InvalidValue => "invalid PC/SC parameter value",
            ReaderError::NoMemory => "out of memory",
            ReaderError::InternalError => "internal error of the resource manager",
            ReaderError::UnsupportedFeature => "not supported by the reader or card",
            ReaderError::Unknown => "unknown PC/SC error",
        })
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

/// The name of a status value this crate returns (`"SCARD_W_WRONG_CHV"`), for messages;
/// `None` for any other value.
pub fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        SCARD_S_SUCCESS => "SCARD_S_SUCCESS",
        SCARD_F_INTERNAL_ERROR => "SCARD_F_INTERNAL_ERROR",
        SCARD_E_CANCELLED => "SCARD_E_CANCELLED",
        SCARD_E_INVALID_HANDLE => "SCARD_E_INVALID_HANDLE",
        SCARD_E_INVALID_PARAMETER => "SCARD_E_INVALID_PARAMETER",
        SCARD_E_NO_MEMORY => "SCARD_E_NO_MEMORY",
        SCARD_E_INSUFFICIENT_BUFFER => "SCARD_E_INSUFFICIENT_BUFFER",
        SCARD_E_UNKNOWN_READER => "SCARD_E_UNKNOWN_READER",
        SCARD_E_TIMEOUT => "SCARD_E_TIMEOUT",
        SCARD_E_SHARING_VIOLATION => "SCARD_E_SHARING_VIOLATION",
        SCARD_E_NO_SMARTCARD => "SCARD_E_NO_SMARTCARD",
        SCARD_E_PROTO_MISMATCH => "SCARD_E_PROTO_MISMATCH",
        SCARD_E_NOT_READY => "SCARD_E_NOT_READY",
        SCARD_E_INVALID_VALUE => "SCARD_E_INVALID_VALUE",
        SCARD_F_COMM_ERROR => "SCARD_F_COMM_ERROR",
        SCARD_F_UNKNOWN_ERROR => "SCARD_F_UNKNOWN_ERROR",
        SCARD_E_NOT_TRANSACTED => "SCARD_E_NOT_TRANSACTED",
        SCARD_E_READER_UNAVAILABLE => "SCARD_E_READER_UNAVAILABLE",
        SCARD_E_NO_SERVICE => "SCARD_E_NO_SERVICE",
        SCARD_E_SERVICE_STOPPED => "SCARD_E_SERVICE_STOPPED",
        SCARD_E_UNEXPECTED => "SCARD_E_UNEXPECTED",
        SCARD_E_UNSUPPORTED_FEATURE => "SCARD_E_UNSUPPORTED_FEATURE",
        SCARD_E_INVALID_CHV => "SCARD_E_INVALID_CHV",
        SCARD_E_NO_READERS_AVAILABLE => "SCARD_E_NO_READERS_AVAILABLE",
        SCARD_E_COMM_DATA_LOST => "SCARD_E_COMM_DATA_LOST",
        SCARD_E_NO_KEY_CONTAINER => "SCARD_E_NO_KEY_CONTAINER",
        SCARD_W_UNRESPONSIVE_CARD => "SCARD_W_UNRESPONSIVE_CARD",
        SCARD_W_UNPOWERED_CARD => "SCARD_W_UNPOWERED_CARD",
        SCARD_W_RESET_CARD => "SCARD_W_RESET_CARD",
        SCARD_W_REMOVED_CARD => "SCARD_W_REMOVED_CARD",
        SCARD_W_SECURITY_VIOLATION => "SCARD_W_SECURITY_VIOLATION",
        SCARD_W_WRONG_CHV => "SCARD_W_WRONG_CHV",
        SCARD_W_CHV_BLOCKED => "SCARD_W_CHV_BLOCKED",
        ERROR_INSUFFICIENT_BUFFER => "ERROR_INSUFFICIENT_BUFFER",
        ERROR_REVISION_MISMATCH => "ERROR_REVISION_MISMATCH",
        _ => return None,
    })
}

/// Result with keyward-card's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_values_not_pcsc_lite() {
        // The pcsc-lite trap (docs/cryptosession-and-card.md, "SCARD status values"):
        // UNSUPPORTED_FEATURE is 0x80100022 on Windows.
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
        assert_eq!(Error::BufferTooSmall { needed: 4 }.status(), 122);
        // Resource-manager failures keep their Windows codes; UNSUPPORTED_FEATURE too.
        assert_eq!(
            Error::Reader(ReaderError::UnsupportedFeature).status(),
            0x8010_0022
        );
        assert_eq!(Error::Reader(ReaderError::NoService).status(), 0x8010_001D);
        assert_eq!(
            Error::Reader(ReaderError::NoReadersAvailable).status(),
            0x8010_002E
        );
        assert_eq!(
            Error::Reader(ReaderError::UnknownReader).status(),
            0x8010_0009
        );
        assert_eq!(
            Error::Reader(ReaderError::RemovedCard).status(),
            0x8010_0069
        );
        assert_eq!(Error::Reader(ReaderError::ResetCard).status(), 0x8010_0068);
        assert_eq!(
            Error::Reader(ReaderError::NoSmartcard).status(),
            0x8010_000C
        );
        assert_eq!(Error::Reader(ReaderError::Unknown).status(), 0x8010_0014);
    }

    #[test]
    fn every_status_of_the_table_has_its_name() {
        assert_eq!(status_name(0), Some("SCARD_S_SUCCESS"));
        assert_eq!(
            status_name(0x8010_0022),
            Some("SCARD_E_UNSUPPORTED_FEATURE")
        );
        assert_eq!(status_name(0x8010_001F), Some("SCARD_E_UNEXPECTED"));
        assert_eq!(status_name(122), Some("ERROR_INSUFFICIENT_BUFFER"));
        assert_eq!(status_name(0x8010_00FF), None);
        let errors = [
            Error::InvalidParameter("x"),
            Error::InvalidHandle,
            Error::InsufficientBuffer { needed: 1 },
            Error::BufferTooSmall { needed: 1 },
            Error::UnsupportedFeature("x"),
            Error::RevisionMismatch,
            Error::NoCard,
            Error::OutOfOrder("x"),
            Error::MalformedMessage("x"),
            Error::CardCryptogramMismatch,
            Error::InvalidPin,
            Error::WrongPin {
                attempts_remaining: 1,
            },
            Error::PinBlocked,
            Error::NoKeyContainer,
            Error::Transport("x".into()),
            Error::Storage("x".into()),
            Error::Reader(ReaderError::NoService),
            Error::Reader(ReaderError::ServiceStopped),
            Error::Reader(ReaderError::NoReadersAvailable),
            Error::Reader(ReaderError::UnknownReader),
            Error::Reader(ReaderError::ReaderUnavailable),
            Error::Reader(ReaderError::NoSmartcard),
            Error::Reader(ReaderError::RemovedCard),
            Error::Reader(ReaderError::ResetCard),
            Error::Reader(ReaderError::UnpoweredCard),
            Error::Reader(ReaderError::UnresponsiveCard),
            Error::Reader(ReaderError::SharingViolation),
            Error::Reader(ReaderError::ProtocolMismatch),
            Error::Reader(ReaderError::NotReady),
            Error::Reader(ReaderError::Timeout),
            Error::Reader(ReaderError::Cancelled),
            Error::Reader(ReaderError::NotTransacted),
            Error::Reader(ReaderError::CommunicationError),
            Error::Reader(ReaderError::CommunicationDataLost),
            Error::Reader(ReaderError::InsufficientBuffer),
            Error::Reader(ReaderError::InvalidHandle),
            Error::Reader(ReaderError::InvalidParameter),
            Error::Reader(ReaderError::InvalidValue),
            Error::Reader(ReaderError::NoMemory),
            Error::Reader(ReaderError::InternalError),
            Error::Reader(ReaderError::UnsupportedFeature),
            Error::Reader(ReaderError::Unknown),
        ];
        for error in errors {
            assert!(status_name(error.status()).is_some(), "{error:?}");
        }
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

//! The error type of keyward and its one table to Windows status codes.

use crate::status::Status;

/// Why a keyward operation failed. Each variant maps to exactly one Windows status
/// ([`Error::status`]); the variant names say what went wrong in the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A handle or object is of the wrong kind, stale or unknown.
    #[error("invalid handle or wrong kind of object")]
    InvalidHandle,
    /// A parameter is missing, has a bad length or is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    /// Reserved or contradictory flags.
    #[error("bad flags")]
    BadFlags,
    /// The protocol, suite, group, blob type or operation is not supported.
    #[error("not supported: {0}")]
    NotSupported(&'static str),
    /// The operation needs another algorithm (e.g. RSA key exchange on an ECDHE suite).
    #[error("wrong algorithm for this operation")]
    BadAlgorithm,
    /// Input bytes are malformed (record, blob, public value, opaque key).
    #[error("malformed data: {0}")]
    BadData(&'static str),
    /// The output buffer is too small; `needed` bytes are required.
    #[error("buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The number of bytes the output needs.
        needed: usize,
    },
    /// Input and output overlap in a way the operation cannot handle.
    #[error("input and output buffers overlap")]
    BuffersOverlap,
    /// A record failed its MAC, padding or AEAD tag check.
    #[error("record decryption failed")]
    DecryptionFailure,
    /// A TLS 1.3 record failed its AEAD tag check.
    #[error("authentication tag mismatch")]
    AuthTagMismatch,
    /// A signature did not verify.
    #[error("bad signature")]
    BadSignature,
    /// No key or certificate matches.
    #[error("not found")]
    NotFound,
    /// An enumeration has no more items.
    #[error("no more items")]
    NoMoreItems,
    /// The named provider does not exist.
    #[error("unknown provider")]
    UnknownProvider,
    /// A primitive of the crypto backend failed unexpectedly.
    #[error("crypto backend failure")]
    Backend,
    /// An internal invariant failed (never caused by caller input).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A per-client limit of a shared service is reached (keyward-keyiso: live handles or
    /// frame size); the client must free something or send less.
    #[error("limit exceeded: {0}")]
    LimitExceeded(&'static str),
    /// The service is throttling this caller (keyward-keyiso: over its request rate); the
    /// same call may succeed later.
    #[error("busy: request rate exceeded")]
    Busy,
    /// The caller is not allowed to use the service (keyward-keyiso: a peer whose uid and
    /// gid are not on the daemon's allowlist).
    #[error("access denied")]
    AccessDenied,
    /// Storage (the key store directory) could not be read or written.
    #[error("key store I/O error: {0}")]
    Io(String),
}

impl Error {
    /// The Windows status for this error: the one table from errors to status.
    pub fn status(&self) -> Status {
        match self {
            Error::InvalidHandle => Status::NTE_INVALID_HANDLE,
            Error::InvalidParameter(_) => Status::NTE_INVALID_PARAMETER,
            Error::BadFlags => Status::NTE_BAD_FLAGS,
            Error::NotSupported(_) => Status::NTE_NOT_SUPPORTED,
            Error::BadAlgorithm => Status::NTE_BAD_ALGID,
            Error::BadData(_) => Status::NTE_BAD_DATA,
            Error::BufferTooSmall { .. } => Status::NTE_BUFFER_TOO_SMALL,
            Error::BuffersOverlap => Status::NTE_BUFFERS_OVERLAP,
            Error::DecryptionFailure => Status::NTE_DECRYPTION_FAILURE,
            Error::AuthTagMismatch => Status::STATUS_AUTH_TAG_MISMATCH,
            Error::BadSignature => Status::NTE_BAD_SIGNATURE,
            Error::NotFound => Status::NTE_NOT_FOUND,
            Error::NoMoreItems => Status::NTE_NO_MORE_ITEMS,
            Error::UnknownProvider => Status::NTE_PROV_DLL_NOT_FOUND,
            Error::Backend => Status::NTE_FAIL,
            Error::Internal(_) => Status::NTE_INTERNAL_ERROR,
            Error::LimitExceeded(_) => Status::NTE_NO_MEMORY,
            Error::Busy => Status::NTE_DEVICE_NOT_READY,
            Error::AccessDenied => Status::NTE_PERM,
            Error::Io(_) => Status::NTE_FAIL,
        }
    }
}

impl From<aws_lc_rs::error::Unspecified> for Error {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        Error::Backend
    }
}

/// Bytes a [`crate::codec::Reader`] could not read are malformed data: `NTE_BAD_DATA`.
impl From<crate::codec::Error> for Error {
    fn from(error: crate::codec::Error) -> Self {
        use crate::codec::Error as Codec;
        Error::BadData(match error {
            Codec::Truncated => "input is truncated",
            Codec::TrailingBytes => "input has trailing bytes",
            Codec::BadListLength => "list has a bad length",
            Codec::TooLong => "value too long for its length prefix",
        })
    }
}

/// Result with keyward's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

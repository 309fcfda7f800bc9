//! Windows `SECURITY_STATUS` values returned by the CNG SSL provider.
//!
//! The values are the HRESULT-style `NTE_*` codes of `winerror.h` (docs/ssl-provider.md, "Status
//! codes") and the few NTSTATUS codes Microsoft documents for individual functions.

use core::fmt;

/// A Windows `SECURITY_STATUS` (`LONG`): 0 is success, anything else an error.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub i32);

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        impl Status {
            $($(#[$doc])* pub const $name: Status = Status($value as u32 as i32);)*

            /// The Windows macro name of a known status, e.g. `"NTE_BAD_DATA"`.
            pub fn name(self) -> Option<&'static str> {
                match self.0 as u32 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    /// `ERROR_SUCCESS` / `SEC_E_OK`.
    SUCCESS = 0x0000_0000,
    /// Bad hash.
    NTE_BAD_HASH = 0x8009_0002,
    /// Bad key.
    NTE_BAD_KEY = 0x8009_0003,
    /// Bad length.
    NTE_BAD_LEN = 0x8009_0004,
    /// Malformed record, blob or parameter contents.
    NTE_BAD_DATA = 0x8009_0005,
    /// A signature did not verify.
    NTE_BAD_SIGNATURE = 0x8009_0006,
    /// Wrong algorithm for the operation (e.g. RSA import on a non-RSA suite).
    NTE_BAD_ALGID = 0x8009_0008,
    /// Reserved or unknown flags.
    NTE_BAD_FLAGS = 0x8009_0009,
    /// Bad type.
    NTE_BAD_TYPE = 0x8009_000A,
    /// Key not valid for use in the specified state.
    NTE_BAD_KEY_STATE = 0x8009_000B,
    /// Hash not valid for use in the specified state.
    NTE_BAD_HASH_STATE = 0x8009_000C,
    /// Out of memory.
    NTE_NO_MEMORY = 0x8009_000E,
    /// Access denied (keyward-keyiso: a client whose uid and gid are not on the daemon's
    /// allowlist).
    NTE_PERM = 0x8009_0010,
    /// Object was not found.
    NTE_NOT_FOUND = 0x8009_0011,
    /// Provider DLL could not be found (used for an unknown provider name).
    NTE_PROV_DLL_NOT_FOUND = 0x8009_001E,
    /// Generic internal failure of an underlying primitive.
    NTE_FAIL = 0x8009_0020,
    /// Invalid, stale or wrong-kind handle.
    NTE_INVALID_HANDLE = 0x8009_0026,
    /// Invalid parameter (NULL pointer, bad length, bad parameter list).
    NTE_INVALID_PARAMETER = 0x8009_0027,
    /// Output buffer too small; the needed size is reported.
    NTE_BUFFER_TOO_SMALL = 0x8009_0028,
    /// Unsupported protocol, suite, blob type or operation.
    NTE_NOT_SUPPORTED = 0x8009_0029,
    /// No more items in an enumeration.
    NTE_NO_MORE_ITEMS = 0x8009_002A,
    /// Input and output buffers overlap in an unsupported way.
    NTE_BUFFERS_OVERLAP = 0x8009_002B,
    /// Record MAC, padding or AEAD tag check failed.
    NTE_DECRYPTION_FAILURE = 0x8009_002C,
    /// Internal error.
    NTE_INTERNAL_ERROR = 0x8009_002D,
    /// The device the provider needs is not ready (keyward-keyiso: a client over its request
    /// rate; try again later).
    NTE_DEVICE_NOT_READY = 0x8009_0030,
    /// NTSTATUS `STATUS_INVALID_HANDLE`, documented for `SslFreeObject`.
    STATUS_INVALID_HANDLE = 0xC000_0008,
    /// NTSTATUS `STATUS_INVALID_PARAMETER`.
    STATUS_INVALID_PARAMETER = 0xC000_000D,
    /// NTSTATUS `STATUS_NO_MEMORY`, documented for `SslOpenProvider`.
    STATUS_NO_MEMORY = 0xC000_0017,
    /// NTSTATUS `STATUS_BUFFER_TOO_SMALL` (CNG-internal).
    STATUS_BUFFER_TOO_SMALL = 0xC000_0023,
    /// NTSTATUS `STATUS_NOT_SUPPORTED` (CNG-internal).
    STATUS_NOT_SUPPORTED = 0xC000_00BB,
    /// NTSTATUS `STATUS_NOT_FOUND` (CNG-internal).
    STATUS_NOT_FOUND = 0xC000_0225,
    /// NTSTATUS `STATUS_AUTH_TAG_MISMATCH` (TLS 1.3 record decryption).
    STATUS_AUTH_TAG_MISMATCH = 0xC000_A002,
}

impl Status {
    /// True for `SUCCESS`.
    pub fn is_success(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:08X})", self.0 as u32),
            None => write!(f, "0x{:08X}", self.0 as u32),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_winerror() {
        assert_eq!(Status::NTE_BAD_DATA.0 as u32, 0x8009_0005);
        assert_eq!(Status::NTE_INVALID_HANDLE.0 as u32, 0x8009_0026);
        assert_eq!(Status::NTE_DECRYPTION_FAILURE.0 as u32, 0x8009_002C);
        assert_eq!(Status::STATUS_AUTH_TAG_MISMATCH.0 as u32, 0xC000_A002);
        assert_eq!(
            format!("{:?}", Status::NTE_BAD_FLAGS),
            "NTE_BAD_FLAGS (0x80090009)"
        );
    }
}

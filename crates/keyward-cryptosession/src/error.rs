//! The error type of the crypto session and OPM, and its one table to `HRESULT`s.

/// The `HRESULT` values the crypto session and OPM return (`winerror.h`, `d3d9.h`, `dxgi.h`),
/// as the `i32` a C caller sees.
pub mod hresult {
    /// `S_OK`.
    pub const S_OK: i32 = 0;
    /// `E_FAIL` (0x80004005).
    pub const E_FAIL: i32 = 0x8000_4005_u32 as i32;
    /// `E_ACCESSDENIED` (0x80070005).
    pub const E_ACCESSDENIED: i32 = 0x8007_0005_u32 as i32;
    /// `E_HANDLE` (0x80070006). Not read from a header: computed as
    /// `MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIN32 = 7, ERROR_INVALID_HANDLE = 6)`.
    pub const E_HANDLE: i32 = 0x8007_0006_u32 as i32;
    /// `E_OUTOFMEMORY` (0x8007000E). Not produced by the Rust API (allocation failure aborts);
    /// here for the C ABI, whose DDI functions document it.
    pub const E_OUTOFMEMORY: i32 = 0x8007_000E_u32 as i32;
    /// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` (0x80070032). Not read from a header: computed as
    /// `MAKE_HRESULT(SEVERITY_ERROR, FACILITY_WIN32 = 7, ERROR_NOT_SUPPORTED = 50)`.
    pub const HRESULT_ERROR_NOT_SUPPORTED: i32 = 0x8007_0032_u32 as i32;
    /// `E_INVALIDARG` (0x80070057).
    pub const E_INVALIDARG: i32 = 0x8007_0057_u32 as i32;
    /// `D3DDDIERR_UNSUPPORTEDCRYPTO` = `D3DERR_UNSUPPORTEDCRYPTO` = `MAKE_D3DHRESULT(2174)` =
    /// `MAKE_HRESULT(1, _FACILITY_D3D = 0x876, 2174)` (docs/cryptosession-and-card.md, "GUIDs,
    /// capabilities and error codes": arithmetic there and here).
    pub const D3DDDIERR_UNSUPPORTEDCRYPTO: i32 = 0x8876_087E_u32 as i32;
    /// `DXGI_ERROR_INVALID_CALL` (0x887A0001). Not read from a header: computed as
    /// `MAKE_HRESULT(1, _FACILITY_DXGI = 0x87A, 1)`.
    pub const DXGI_ERROR_INVALID_CALL: i32 = 0x887A_0001_u32 as i32;

    /// The macro name of a value above, e.g. `"E_INVALIDARG"`.
    pub fn name(value: i32) -> Option<&'static str> {
        Some(match value {
            S_OK => "S_OK",
            E_FAIL => "E_FAIL",
            E_ACCESSDENIED => "E_ACCESSDENIED",
            E_HANDLE => "E_HANDLE",
            E_OUTOFMEMORY => "E_OUTOFMEMORY",
            HRESULT_ERROR_NOT_SUPPORTED => "HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)",
            E_INVALIDARG => "E_INVALIDARG",
            D3DDDIERR_UNSUPPORTEDCRYPTO => "D3DDDIERR_UNSUPPORTEDCRYPTO",
            DXGI_ERROR_INVALID_CALL => "DXGI_ERROR_INVALID_CALL",
            _ => return None,
        })
    }
}

/// Why a crypto-session or OPM call failed. Each variant maps to exactly one `HRESULT`
/// ([`Error::hresult`]); a failed call leaves every object as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The crypto type, decoder profile or key-exchange type is not supported
    /// (`CreateCryptoSession`, `GetContentProtectionCaps`, `CheckCryptoKeyExchange`).
    #[error("unsupported crypto type, decoder profile or key exchange")]
    UnsupportedCrypto,
    /// A parameter has a bad size, value or alignment.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A key-exchange blob was refused: not 256 bytes, not an RSAES-OAEP ciphertext under the
    /// device key, or a plaintext of the wrong size. One variant for every cause, so neither
    /// the error nor the object's state tells the causes apart.
    #[error("key exchange data rejected")]
    KeyExchangeRejected,
    /// The OPM initialization parameters do not carry the random number that
    /// `StartInitialization` returned.
    #[error("OPM random number does not match")]
    RandomNumberMismatch,
    /// The session was created by another device (the DDI's "fail calls from a different
    /// device").
    #[error("crypto session belongs to another device")]
    WrongDevice,
    /// The session has been destroyed (`DestroyCryptoSession`).
    #[error("crypto session destroyed")]
    SessionDestroyed,
    /// The call needs a state the object is not in (no session key negotiated yet, no key
    /// refresh started, no readback key, OPM not started or already initialized).
    #[error("invalid call: {0}")]
    InvalidCall(&'static str),
    /// An OPM request's OMAC does not verify under the session's signing key.
    #[error("OPM signature (OMAC) does not verify")]
    BadOmac,
    /// An OPM request's sequence number is not the one that follows the previous request.
    #[error("OPM sequence number out of order")]
    SequenceMismatch,
    /// An OPM status request or command this output does not implement.
    #[error("OPM request not supported")]
    UnsupportedRequest,
    /// A certificate chain is malformed, or its signatures do not verify.
    #[error("bad certificate chain: {0}")]
    BadCertificate(&'static str),
    /// (Application side) an OPM response failed its checks: bad OMAC, random number not
    /// echoed, abnormal status or malformed layout.
    #[error("OPM response rejected: {0}")]
    BadResponse(&'static str),
    /// The key store or the crypto backend failed.
    #[error("keyward core: {0}")]
    Core(#[from] keyward_core::Error),
}

impl Error {
    /// The `HRESULT` of this error: the one table from errors to status.
    pub fn hresult(&self) -> i32 {
        use hresult::*;
        match self {
            Error::UnsupportedCrypto => D3DDDIERR_UNSUPPORTEDCRYPTO,
            Error::InvalidArgument(_) => E_INVALIDARG,
            Error::KeyExchangeRejected => E_INVALIDARG,
            Error::RandomNumberMismatch => E_INVALIDARG,
            Error::WrongDevice => E_INVALIDARG,
            Error::SessionDestroyed => E_HANDLE,
            Error::InvalidCall(_) => DXGI_ERROR_INVALID_CALL,
            // The Microsoft OPM sample driver refuses a sequence mismatch with E_ACCESSDENIED
            // (docs/cryptosession-and-card.md, "OPM signing and sequence numbers"); a forged OMAC
            // is refused the same way.
            Error::BadOmac => E_ACCESSDENIED,
            Error::SequenceMismatch => E_ACCESSDENIED,
            Error::UnsupportedRequest => HRESULT_ERROR_NOT_SUPPORTED,
            Error::BadCertificate(_) => E_INVALIDARG,
            // The Microsoft OPM sample application fails a bad response with E_FAIL.
            Error::BadResponse(_) => E_FAIL,
            Error::Core(_) => E_FAIL,
        }
    }
}

/// A structure keyward-core's codec reader could not read (the OPM layouts, whose sizes are
/// checked first) is an invalid argument: `E_INVALIDARG`, never the `E_FAIL` of [`Error::Core`].
impl From<keyward_core::codec::Error> for Error {
    fn from(error: keyward_core::codec::Error) -> Self {
        Error::InvalidArgument(match error {
            keyward_core::codec::Error::TrailingBytes => "OPM structure too long",
            _ => "OPM structure too short",
        })
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hresults_are_the_windows_values() {
        assert_eq!(Error::UnsupportedCrypto.hresult() as u32, 0x8876_087E);
        assert_eq!(Error::InvalidArgument("x").hresult() as u32, 0x8007_0057);
        assert_eq!(Error::KeyExchangeRejected.hresult() as u32, 0x8007_0057);
        assert_eq!(Error::RandomNumberMismatch.hresult() as u32, 0x8007_0057);
        assert_eq!(Error::WrongDevice.hresult() as u32, 0x8007_0057);
        assert_eq!(Error::SessionDestroyed.hresult() as u32, 0x8007_0006);
        assert_eq!(Error::InvalidCall("x").hresult() as u32, 0x887A_0001);
        assert_eq!(Error::BadOmac.hresult() as u32, 0x8007_0005);
        assert_eq!(Error::SequenceMismatch.hresult() as u32, 0x8007_0005);
        assert_eq!(Error::UnsupportedRequest.hresult() as u32, 0x8007_0032);
        assert_eq!(Error::BadCertificate("x").hresult() as u32, 0x8007_0057);
        assert_eq!(Error::BadResponse("x").hresult() as u32, 0x8000_4005);
        assert_eq!(
            Error::Core(keyward_core::Error::Backend).hresult() as u32,
            0x8000_4005
        );
        assert_eq!(hresult::E_OUTOFMEMORY as u32, 0x8007_000E);
        assert_eq!(hresult::S_OK, 0);
        assert_eq!(hresult::name(hresult::S_OK), Some("S_OK"));
        assert_eq!(
            hresult::name(Error::UnsupportedCrypto.hresult()),
            Some("D3DDDIERR_UNSUPPORTEDCRYPTO")
        );
        assert_eq!(hresult::name(0x1234), None);
    }

    #[test]
    fn hresults_follow_make_hresult() {
        let make = |facility: u32, code: u32| ((1u32 << 31) | (facility << 16) | code) as i32;
        assert_eq!(hresult::D3DDDIERR_UNSUPPORTEDCRYPTO, make(0x876, 2174));
        assert_eq!(hresult::DXGI_ERROR_INVALID_CALL, make(0x87A, 1));
        assert_eq!(hresult::E_HANDLE, make(7, 6));
        assert_eq!(hresult::HRESULT_ERROR_NOT_SUPPORTED, make(7, 50));
        assert_eq!(hresult::E_INVALIDARG, make(7, 87));
        assert_eq!(hresult::E_ACCESSDENIED, make(7, 5));
    }
}

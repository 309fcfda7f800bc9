//! OPM (Output Protection Manager, `opmapi.h`): the driver side of an `IOPMVideoOutput`
//! ([`OpmVideoOutput`]) and the application side ([`OpmClient`]), sharing the crypto session's
//! RSAES-OAEP exchange and certificate chain (docs/cryptosession-and-card.md, "The RSAES-OAEP key
//! exchange and the OPM handshake" and "OPM signing and sequence numbers").
//!
//! The sequence:
//!
//! 1. `StartInitialization` ([`OpmVideoOutput::start_initialization`]): the output returns a
//!    fresh 128-bit random number and the certificate chain.
//! 2. The application ([`OpmClient::begin`]) picks an AES-128 signing key and two starting
//!    sequence numbers, and RSAES-OAEP-encrypts the 40-byte
//!    [`InitializationParameters`] (random number ‖ key ‖ status sequence ‖ command sequence,
//!    the sequence numbers little-endian) under the leaf key.
//! 3. `FinishInitialization` ([`OpmVideoOutput::finish_initialization`]) decrypts them,
//!    refuses a random number other than its own, and keeps key and sequence numbers.
//! 4. `GetInformation` / `Configure`: every request is signed with AES-CMAC (OMAC-1) over the
//!    whole structure after its first 16 bytes (the `omac` field) and carries the next
//!    sequence number of its kind; the output checks the OMAC first, then the sequence number
//!    (either failing → `E_ACCESSDENIED`), and signs its `OPM_REQUESTED_INFORMATION` reply the
//!    same way, echoing the request's random number. Sequence numbers advance on success
//!    only, on both sides.
//!
//! This output is a software HDMI connector supporting HDCP: the standard requests
//! [`OPM_GET_CONNECTOR_TYPE`], [`OPM_GET_SUPPORTED_PROTECTION_TYPES`],
//! [`OPM_GET_VIRTUAL_PROTECTION_LEVEL`], [`OPM_GET_ACTUAL_PROTECTION_LEVEL`] and the command
//! [`OPM_SET_PROTECTION_LEVEL`] are implemented; others are [`Error::UnsupportedRequest`].
//!
//! [`Error::UnsupportedRequest`]: crate::Error::UnsupportedRequest

mod client;
mod layout;
mod omac;
mod output;

pub use client::{GetInfoRequest, OpmClient};
pub use layout::{
    ConfigureParameters, GetInfoParameters, InitializationParameters, RequestedInformation,
    SetProtectionLevelParameters, StandardInformation,
};
pub use omac::Omac;
pub use output::OpmVideoOutput;

use crate::guid::Guid;

/// `OPM_OMAC_SIZE`.
pub const OPM_OMAC_SIZE: usize = 16;
/// `OPM_128_BIT_RANDOM_NUMBER_SIZE`.
pub const OPM_128_BIT_RANDOM_NUMBER_SIZE: usize = 16;
/// `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE`.
pub const OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE: usize = 256;
/// `OPM_GET_INFORMATION_PARAMETERS_SIZE`: capacity of `OPM_GET_INFO_PARAMETERS.abParameters`.
pub const OPM_GET_INFORMATION_PARAMETERS_SIZE: usize = 4056;
/// `OPM_CONFIGURE_SETTING_DATA_SIZE`: capacity of `OPM_CONFIGURE_PARAMETERS.abParameters`.
pub const OPM_CONFIGURE_SETTING_DATA_SIZE: usize = 4056;
/// `OPM_REQUESTED_INFORMATION_SIZE`: capacity of
/// `OPM_REQUESTED_INFORMATION.abRequestedInformation`.
pub const OPM_REQUESTED_INFORMATION_SIZE: usize = 4076;
/// `OPM_PROTECTION_TYPE_SIZE`: the input of the protection-level queries (one `ULONG`).
pub const OPM_PROTECTION_TYPE_SIZE: usize = 4;

/// `OPM_RANDOM_NUMBER`: 128 random bits.
pub type OpmRandomNumber = [u8; OPM_128_BIT_RANDOM_NUMBER_SIZE];

/// `OPM_GET_CONNECTOR_TYPE` {81D0BFD5-6AFE-48C2-99C0-95A08F97C5DA}.
pub const OPM_GET_CONNECTOR_TYPE: Guid = Guid::new(
    0x81D0_BFD5,
    0x6AFE,
    0x48C2,
    [0x99, 0xC0, 0x95, 0xA0, 0x8F, 0x97, 0xC5, 0xDA],
);
/// `OPM_GET_SUPPORTED_PROTECTION_TYPES` {38F2A801-9A6C-48BB-9107-B6696E6F1797}.
pub const OPM_GET_SUPPORTED_PROTECTION_TYPES: Guid = Guid::new(
    0x38F2_A801,
    0x9A6C,
    0x48BB,
    [0x91, 0x07, 0xB6, 0x69, 0x6E, 0x6F, 0x17, 0x97],
);
/// `OPM_GET_VIRTUAL_PROTECTION_LEVEL` {B2075857-3EDA-4D5D-88DB-748F8C1A0549}.
pub const OPM_GET_VIRTUAL_PROTECTION_LEVEL: Guid = Guid::new(
    0xB207_5857,
    0x3EDA,
    0x4D5D,
    [0x88, 0xDB, 0x74, 0x8F, 0x8C, 0x1A, 0x05, 0x49],
);
/// `OPM_GET_ACTUAL_PROTECTION_LEVEL` {1957210A-7766-452A-B99A-D27AED54F03A}.
pub const OPM_GET_ACTUAL_PROTECTION_LEVEL: Guid = Guid::new(
    0x1957_210A,
    0x7766,
    0x452A,
    [0xB9, 0x9A, 0xD2, 0x7A, 0xED, 0x54, 0xF0, 0x3A],
);
/// `OPM_SET_PROTECTION_LEVEL` {9BB9327C-4EB5-4727-9F00-B42B0919C0DA}.
pub const OPM_SET_PROTECTION_LEVEL: Guid = Guid::new(
    0x9BB9_327C,
    0x4EB5,
    0x4727,
    [0x9F, 0x00, 0xB4, 0x2B, 0x09, 0x19, 0xC0, 0xDA],
);
/// `OPM_GET_ACTUAL_OUTPUT_FORMAT` (not implemented; named so tests can ask for it).
pub const OPM_GET_ACTUAL_OUTPUT_FORMAT: Guid = Guid::new(
    0xD7BF_1BA3,
    0xAD13,
    0x4F8E,
    [0xAF, 0x98, 0x0D, 0xCB, 0x3C, 0xA2, 0x04, 0xCC],
);

/// `OPM_STATUS_NORMAL`.
pub const OPM_STATUS_NORMAL: u32 = 0;
/// `OPM_CONNECTOR_TYPE_HDMI`.
pub const OPM_CONNECTOR_TYPE_HDMI: u32 = 5;
/// `OPM_PROTECTION_TYPE_NONE`.
pub const OPM_PROTECTION_TYPE_NONE: u32 = 0;
/// `OPM_PROTECTION_TYPE_ACP`.
pub const OPM_PROTECTION_TYPE_ACP: u32 = 0x2;
/// `OPM_PROTECTION_TYPE_HDCP`.
pub const OPM_PROTECTION_TYPE_HDCP: u32 = 0x8;
/// `OPM_PROTECTION_TYPE_DPCP`.
pub const OPM_PROTECTION_TYPE_DPCP: u32 = 0x10;
/// `OPM_HDCP_OFF`.
pub const OPM_HDCP_OFF: u32 = 0;
/// `OPM_HDCP_ON`.
pub const OPM_HDCP_ON: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_guids_in_registry_form() {
        // Windows SDK opmapi.h DEFINE_GUIDs (also the DXGKMDT_OPM_* GUIDs of d3dkmdt.h).
        assert_eq!(
            OPM_GET_CONNECTOR_TYPE.to_string(),
            "{81D0BFD5-6AFE-48C2-99C0-95A08F97C5DA}"
        );
        assert_eq!(
            OPM_GET_SUPPORTED_PROTECTION_TYPES.to_string(),
            "{38F2A801-9A6C-48BB-9107-B6696E6F1797}"
        );
        assert_eq!(
            OPM_GET_VIRTUAL_PROTECTION_LEVEL.to_string(),
            "{B2075857-3EDA-4D5D-88DB-748F8C1A0549}"
        );
        assert_eq!(
            OPM_GET_ACTUAL_PROTECTION_LEVEL.to_string(),
            "{1957210A-7766-452A-B99A-D27AED54F03A}"
        );
        assert_eq!(
            OPM_SET_PROTECTION_LEVEL.to_string(),
            "{9BB9327C-4EB5-4727-9F00-B42B0919C0DA}"
        );
    }
}

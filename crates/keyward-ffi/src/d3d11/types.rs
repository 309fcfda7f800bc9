//! The Windows types, structures and constants of `include/d3d11cryptosession.h` (from
//! `d3d10umddi.h`, `guiddef.h`, `winerror.h`) and `include/opm.h` (from `opmapi.h`), with
//! their C names. `tests/header_d3d11.rs` checks that the headers agree with this file: every
//! structure field by field, every numeric constant and GUID by value.
//!
//! The values come from `keyward-cryptosession`, the source of truth; the structures have the
//! Windows layouts, asserted at compile time against the byte layouts of the Rust API.

#![allow(non_camel_case_types, non_snake_case)]

use core::ffi::c_void;
use core::mem::size_of;

use keyward_cryptosession::opm::{
    ConfigureParameters, GetInfoParameters, InitializationParameters, RequestedInformation,
    SetProtectionLevelParameters, StandardInformation,
};
use keyward_cryptosession::{caps, guid, hresult, opm, AesCtrIv, EncryptedBlockInfo, Guid};

pub use crate::types::{BYTE, HANDLE, LONG, PVOID, ULONG, ULONGLONG, USHORT};

/// `VOID`.
pub type VOID = c_void;
/// `UINT`.
pub type UINT = u32;
/// `UINT64`.
pub type UINT64 = u64;
/// `HRESULT`: `S_OK` (0) or a negative error value.
pub type HRESULT = LONG;
/// `SIZE_T`.
pub type SIZE_T = usize;

/// `GUID` (guiddef.h): `Data1`–`Data3` in native (little-endian) order, `Data4` as bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GUID {
    /// First 32 bits.
    pub Data1: ULONG,
    /// Next 16 bits.
    pub Data2: USHORT,
    /// Next 16 bits.
    pub Data3: USHORT,
    /// Last 64 bits, as bytes.
    pub Data4: [BYTE; 8],
}

impl From<GUID> for Guid {
    fn from(guid: GUID) -> Self {
        Guid::new(guid.Data1, guid.Data2, guid.Data3, guid.Data4)
    }
}

impl From<Guid> for GUID {
    fn from(guid: Guid) -> Self {
        GUID {
            Data1: guid.data1,
            Data2: guid.data2,
            Data3: guid.data3,
            Data4: guid.data4,
        }
    }
}

/// `D3D10DDI_HDEVICE`: the display device. keyward's `pDrvPrivate` is an opaque handle made
/// by `KeywardD3D11OpenDevice`, never dereferenced.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D10DDI_HDEVICE {
    /// The driver's device.
    pub pDrvPrivate: *mut VOID,
}

/// `D3D10DDI_HRESOURCE`: a surface. keyward's `pDrvPrivate` is an opaque handle made by
/// `KeywardD3D11CreateResource`, never dereferenced.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D10DDI_HRESOURCE {
    /// The driver's resource.
    pub pDrvPrivate: *mut VOID,
}

/// `D3D11_1DDI_HCRYPTOSESSION`: runtime-allocated memory of `CalcPrivateCryptoSessionSize`
/// bytes, which `CreateCryptoSession` fills.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDI_HCRYPTOSESSION {
    /// The driver-private memory of the session.
    pub pDrvPrivate: *mut VOID,
}

/// `D3D11_1DDI_HRTCRYPTOSESSION`: the runtime's handle of a session (keyward makes no runtime
/// callbacks and ignores it).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDI_HRTCRYPTOSESSION {
    /// The runtime's session.
    pub handle: *mut VOID,
}

/// `D3D11_1DDIARG_CREATECRYPTOSESSION`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDIARG_CREATECRYPTOSESSION {
    /// `D3D11_CRYPTO_TYPE_AES128_CTR`.
    pub CryptoType: GUID,
    /// The decoder profile; keyward supports only the NULL GUID.
    pub DecodeProfile: GUID,
    /// `D3D11_KEY_EXCHANGE_RSAES_OAEP`.
    pub KeyExchangeType: GUID,
}

/// `D3D11_1DDI_CERTIFICATE_TYPE` (a C enum).
pub type D3D11_1DDI_CERTIFICATE_TYPE = i32;
/// `D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE` (a C enum).
pub type D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE = i32;

/// The anonymous union of `D3D11_1DDI_CERTIFICATE_INFO`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union D3D11_1DDI_CERTIFICATE_INFO_0 {
    /// For `D3D11_1DDI_CERTIFICATE_TYPE_AUTHENTICATED_CHANNEL` (not supported by keyward).
    pub ChannelType: D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE,
    /// For `D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION`: the crypto type.
    pub CryptoSessionType: GUID,
}

/// `D3D11_1DDI_CERTIFICATE_INFO`: which certificate `GetCertificate(Size)` returns.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct D3D11_1DDI_CERTIFICATE_INFO {
    /// `D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION` (the only one keyward supports).
    pub CertificateType: D3D11_1DDI_CERTIFICATE_TYPE,
    /// The channel type or crypto type.
    pub Anonymous: D3D11_1DDI_CERTIFICATE_INFO_0,
}

/// `D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS {
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_*` flags.
    pub Caps: UINT,
    /// Number of key-exchange types (`GetCryptoKeyExchangeType` indexes).
    pub KeyExchangeTypeCount: UINT,
    /// Alignment of the `D3D11_1DDI_ENCRYPTED_BLOCK_INFO` fields, in bytes.
    pub BlockAlignmentSize: UINT,
    /// Protected memory, in bytes.
    pub ProtectedMemorySize: ULONGLONG,
}

/// `D3D11_1DDI_ENCRYPTED_BLOCK_INFO`: the partial-encryption pattern of `DecryptionBlt`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDI_ENCRYPTED_BLOCK_INFO {
    /// Encrypted bytes at the start of the buffer.
    pub NumEncryptedBytesAtBeginning: UINT,
    /// Clear bytes after the first block and after each encrypted block.
    pub NumBytesInSkipPattern: UINT,
    /// Encrypted bytes after each clear block.
    pub NumBytesInEncryptPattern: UINT,
}

impl From<D3D11_1DDI_ENCRYPTED_BLOCK_INFO> for EncryptedBlockInfo {
    fn from(info: D3D11_1DDI_ENCRYPTED_BLOCK_INFO) -> Self {
        EncryptedBlockInfo {
            num_encrypted_bytes_at_beginning: info.NumEncryptedBytesAtBeginning,
            num_bytes_in_skip_pattern: info.NumBytesInSkipPattern,
            num_bytes_in_encrypt_pattern: info.NumBytesInEncryptPattern,
        }
    }
}

/// `D3D11_1DDI_AES_CTR_IV`: both fields hold **big-endian** bytes in memory; the 16 bytes as
/// they lie in memory are the initial AES-CTR counter block (`IV ‖ Count`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D3D11_1DDI_AES_CTR_IV {
    /// The IV, big-endian.
    pub IV: UINT64,
    /// The block count, big-endian.
    pub Count: UINT64,
}

/// `OPM_VIDEO_OUTPUT_SEMANTICS` (a C enum).
pub type OPM_VIDEO_OUTPUT_SEMANTICS = i32;

/// `IOPMVideoOutput`: an OPM protected output. Opaque: keyward's pointers are handles made by
/// `KeywardOPMGetVideoOutput`, never dereferenced.
#[repr(C)]
pub struct IOPMVideoOutput {
    _opaque: [u8; 0],
}

/// `OPM_RANDOM_NUMBER`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OPM_RANDOM_NUMBER {
    /// 128 random bits.
    pub abRandomNumber: [BYTE; OPM_128_BIT_RANDOM_NUMBER_SIZE],
}

/// `OPM_OMAC`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OPM_OMAC {
    /// AES-CMAC tag.
    pub abOMAC: [BYTE; OPM_OMAC_SIZE],
}

/// `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OPM_ENCRYPTED_INITIALIZATION_PARAMETERS {
    /// RSAES-OAEP ciphertext of the 40-byte initialization parameters.
    pub abEncryptedInitializationParameters: [BYTE; OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE],
}

/// `OPM_GET_INFO_PARAMETERS` (4112 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OPM_GET_INFO_PARAMETERS {
    /// OMAC of everything after this field.
    pub omac: OPM_OMAC,
    /// A fresh random number the answer echoes.
    pub rnRandomNumber: OPM_RANDOM_NUMBER,
    /// The request (`OPM_GET_*`).
    pub guidInformation: GUID,
    /// The status sequence number.
    pub ulSequenceNumber: ULONG,
    /// Bytes used in `abParameters`.
    pub cbParametersSize: ULONG,
    /// The request's parameters.
    pub abParameters: [BYTE; OPM_GET_INFORMATION_PARAMETERS_SIZE],
}

/// `OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS` (4096 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS {
    /// A fresh random number the answer echoes.
    pub rnRandomNumber: OPM_RANDOM_NUMBER,
    /// The request.
    pub guidInformation: GUID,
    /// The status sequence number.
    pub ulSequenceNumber: ULONG,
    /// Bytes used in `abParameters`.
    pub cbParametersSize: ULONG,
    /// The request's parameters.
    pub abParameters: [BYTE; OPM_GET_INFORMATION_PARAMETERS_SIZE],
}

/// `OPM_CONFIGURE_PARAMETERS` (4096 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OPM_CONFIGURE_PARAMETERS {
    /// OMAC of everything after this field.
    pub omac: OPM_OMAC,
    /// The command (`OPM_SET_*`).
    pub guidSetting: GUID,
    /// The command sequence number.
    pub ulSequenceNumber: ULONG,
    /// Bytes used in `abParameters`.
    pub cbParametersSize: ULONG,
    /// The command's parameters.
    pub abParameters: [BYTE; OPM_CONFIGURE_SETTING_DATA_SIZE],
}

/// `OPM_REQUESTED_INFORMATION` (4096 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OPM_REQUESTED_INFORMATION {
    /// OMAC of everything after this field.
    pub omac: OPM_OMAC,
    /// Bytes used in `abRequestedInformation`.
    pub cbRequestedInformationSize: ULONG,
    /// The answer (an `OPM_STANDARD_INFORMATION` for the standard requests).
    pub abRequestedInformation: [BYTE; OPM_REQUESTED_INFORMATION_SIZE],
}

/// `OPM_STANDARD_INFORMATION` (32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OPM_STANDARD_INFORMATION {
    /// The request's random number, echoed.
    pub rnRandomNumber: OPM_RANDOM_NUMBER,
    /// `OPM_STATUS_*`.
    pub ulStatusFlags: ULONG,
    /// The answer.
    pub ulInformation: ULONG,
    /// Reserved.
    pub ulReserved: ULONG,
    /// Reserved.
    pub ulReserved2: ULONG,
}

/// `OPM_SET_PROTECTION_LEVEL_PARAMETERS` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OPM_SET_PROTECTION_LEVEL_PARAMETERS {
    /// `OPM_PROTECTION_TYPE_*`.
    pub ulProtectionType: ULONG,
    /// The level (`OPM_HDCP_*` for HDCP).
    pub ulProtectionLevel: ULONG,
    /// Reserved.
    pub Reserved: ULONG,
    /// Reserved.
    pub Reserved2: ULONG,
}

// The Windows layouts, and the byte layouts the Rust API builds and parses.
const _: () = {
    assert!(size_of::<GUID>() == guid::GUID_LEN);
    assert!(size_of::<D3D11_1DDIARG_CREATECRYPTOSESSION>() == 48);
    assert!(size_of::<D3D11_1DDI_CERTIFICATE_INFO>() == 20);
    assert!(size_of::<D3D11_1DDI_ENCRYPTED_BLOCK_INFO>() == EncryptedBlockInfo::SIZE);
    assert!(size_of::<D3D11_1DDI_AES_CTR_IV>() == AesCtrIv::SIZE);
    assert!(size_of::<OPM_RANDOM_NUMBER>() == OPM_128_BIT_RANDOM_NUMBER_SIZE);
    assert!(size_of::<OPM_OMAC>() == OPM_OMAC_SIZE);
    assert!(
        size_of::<OPM_ENCRYPTED_INITIALIZATION_PARAMETERS>()
            == OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE
    );
    assert!(size_of::<OPM_GET_INFO_PARAMETERS>() == GetInfoParameters::SIZE);
    assert!(size_of::<OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS>() == 4096);
    assert!(size_of::<OPM_CONFIGURE_PARAMETERS>() == ConfigureParameters::SIZE);
    assert!(size_of::<OPM_REQUESTED_INFORMATION>() == RequestedInformation::SIZE);
    assert!(size_of::<OPM_STANDARD_INFORMATION>() == StandardInformation::SIZE);
    assert!(size_of::<OPM_SET_PROTECTION_LEVEL_PARAMETERS>() == SetProtectionLevelParameters::SIZE);
};
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS>() == 24);

/// Declares numeric constants, and lists them by name in a table for the header check.
macro_rules! numeric_constants {
    ($table:ident: $($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*
        /// Every numeric constant of the header, by name, for the header check.
        pub const $table: &[(&str, i64)] = &[$((stringify!($name), $value as i64)),*];
    };
}

/// Declares GUID constants, and lists them by name in a table for the header check.
macro_rules! guid_constants {
    ($table:ident: $($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: Guid = $value;)*
        /// Every GUID of the header, by name, for the header check.
        pub const $table: &[(&str, Guid)] = &[$((stringify!($name), $value)),*];
    };
}

numeric_constants! {
    CRYPTOSESSION_NUMERIC_CONSTANTS:
    /// `S_OK`.
    S_OK: HRESULT = hresult::S_OK;
    /// `E_FAIL`: a key-store or backend failure (or a bug: a panic).
    E_FAIL: HRESULT = hresult::E_FAIL;
    /// `E_ACCESSDENIED`: an OPM request with a bad OMAC or sequence number.
    E_ACCESSDENIED: HRESULT = hresult::E_ACCESSDENIED;
    /// `E_HANDLE`: a destroyed session, or a handle that names nothing.
    E_HANDLE: HRESULT = hresult::E_HANDLE;
    /// `E_OUTOFMEMORY` (documented by the DDI; keyward aborts on allocation failure).
    E_OUTOFMEMORY: HRESULT = hresult::E_OUTOFMEMORY;
    /// `E_INVALIDARG`.
    E_INVALIDARG: HRESULT = hresult::E_INVALIDARG;
    /// `D3DDDIERR_UNSUPPORTEDCRYPTO`.
    D3DDDIERR_UNSUPPORTEDCRYPTO: HRESULT = hresult::D3DDDIERR_UNSUPPORTEDCRYPTO;
    /// `DXGI_ERROR_INVALID_CALL`: a call out of order.
    DXGI_ERROR_INVALID_CALL: HRESULT = hresult::DXGI_ERROR_INVALID_CALL;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_SOFTWARE`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_SOFTWARE: UINT = caps::CAPS_SOFTWARE;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_HARDWARE`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_HARDWARE: UINT = caps::CAPS_HARDWARE;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_PROTECTION_ALWAYS_ON`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_PROTECTION_ALWAYS_ON: UINT = caps::CAPS_PROTECTION_ALWAYS_ON;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_PARTIAL_DECRYPTION`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_PARTIAL_DECRYPTION: UINT = caps::CAPS_PARTIAL_DECRYPTION;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_CONTENT_KEY`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_CONTENT_KEY: UINT = caps::CAPS_CONTENT_KEY;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_FRESHEN_SESSION_KEY`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_FRESHEN_SESSION_KEY: UINT = caps::CAPS_FRESHEN_SESSION_KEY;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK: UINT = caps::CAPS_ENCRYPTED_READ_BACK;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY: UINT =
        caps::CAPS_ENCRYPTED_READ_BACK_KEY;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_SEQUENTIAL_CTR_IV`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_SEQUENTIAL_CTR_IV: UINT = caps::CAPS_SEQUENTIAL_CTR_IV;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPT_SLICEDATA_ONLY`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPT_SLICEDATA_ONLY: UINT =
        caps::CAPS_ENCRYPT_SLICEDATA_ONLY;
    /// `D3D11_1DDI_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT`.
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT: UINT = caps::CAPS_DECRYPTION_BLT;
    /// `D3D11_1DDI_CERTIFICATE_TYPE_AUTHENTICATED_CHANNEL` (d3d10umddi.h: 1).
    D3D11_1DDI_CERTIFICATE_TYPE_AUTHENTICATED_CHANNEL: D3D11_1DDI_CERTIFICATE_TYPE = 1;
    /// `D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION` (d3d10umddi.h: 2).
    D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION: D3D11_1DDI_CERTIFICATE_TYPE = 2;
    /// `D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_SOFTWARE`.
    D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_SOFTWARE: D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE = 2;
    /// `D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_HARDWARE`.
    D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_HARDWARE: D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE = 3;
    /// keyward: the size of the AES-128 session key (and of content, readback and refresh
    /// keys).
    KEYWARD_D3D11_SESSION_KEY_SIZE: UINT = keyward_cryptosession::SESSION_KEY_LEN as UINT;
    /// keyward: the size of the RSAES-OAEP key-exchange blob.
    KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE: UINT =
        keyward_cryptosession::exchange::KEY_EXCHANGE_DATA_LEN as UINT;
}

guid_constants! {
    CRYPTOSESSION_GUID_CONSTANTS:
    /// `D3D11_CRYPTO_TYPE_AES128_CTR` (= `D3DCRYPTOTYPE_AES128_CTR`).
    D3D11_CRYPTO_TYPE_AES128_CTR = guid::D3D11_CRYPTO_TYPE_AES128_CTR;
    /// `D3DCRYPTOTYPE_PROPRIETARY` (not supported).
    D3DCRYPTOTYPE_PROPRIETARY = guid::D3DCRYPTOTYPE_PROPRIETARY;
    /// `D3D11_KEY_EXCHANGE_RSAES_OAEP` (= `D3DKEYEXCHANGE_RSAES_OAEP`).
    D3D11_KEY_EXCHANGE_RSAES_OAEP = guid::D3D11_KEY_EXCHANGE_RSAES_OAEP;
    /// `D3DKEYEXCHANGE_DXVA` (not supported).
    D3DKEYEXCHANGE_DXVA = guid::D3DKEYEXCHANGE_DXVA;
    /// `D3D11_KEY_EXCHANGE_HW_PROTECTION` (= `D3DWDDM2_0DDI_KEY_EXCHANGE_HW_PROTECTION`; not
    /// supported).
    D3D11_KEY_EXCHANGE_HW_PROTECTION = guid::D3D11_KEY_EXCHANGE_HW_PROTECTION;
}

numeric_constants! {
    OPM_NUMERIC_CONSTANTS:
    /// `OPM_OMAC_SIZE`.
    OPM_OMAC_SIZE: usize = opm::OPM_OMAC_SIZE;
    /// `OPM_128_BIT_RANDOM_NUMBER_SIZE`.
    OPM_128_BIT_RANDOM_NUMBER_SIZE: usize = opm::OPM_128_BIT_RANDOM_NUMBER_SIZE;
    /// `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE`.
    OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE: usize =
        opm::OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE;
    /// `OPM_CONFIGURE_SETTING_DATA_SIZE`.
    OPM_CONFIGURE_SETTING_DATA_SIZE: usize = opm::OPM_CONFIGURE_SETTING_DATA_SIZE;
    /// `OPM_GET_INFORMATION_PARAMETERS_SIZE`.
    OPM_GET_INFORMATION_PARAMETERS_SIZE: usize = opm::OPM_GET_INFORMATION_PARAMETERS_SIZE;
    /// `OPM_REQUESTED_INFORMATION_SIZE`.
    OPM_REQUESTED_INFORMATION_SIZE: usize = opm::OPM_REQUESTED_INFORMATION_SIZE;
    /// `OPM_PROTECTION_TYPE_SIZE`.
    OPM_PROTECTION_TYPE_SIZE: usize = opm::OPM_PROTECTION_TYPE_SIZE;
    /// `OPM_VOS_COPP_SEMANTICS` (not supported).
    OPM_VOS_COPP_SEMANTICS: OPM_VIDEO_OUTPUT_SEMANTICS = 0;
    /// `OPM_VOS_OPM_SEMANTICS`: X.509 chain, RSAES-OAEP.
    OPM_VOS_OPM_SEMANTICS: OPM_VIDEO_OUTPUT_SEMANTICS = 1;
    /// `OPM_VOS_OPM_INDIRECT_DISPLAY` (not supported).
    OPM_VOS_OPM_INDIRECT_DISPLAY: OPM_VIDEO_OUTPUT_SEMANTICS = 2;
    /// `OPM_STATUS_NORMAL`.
    OPM_STATUS_NORMAL: ULONG = opm::OPM_STATUS_NORMAL;
    /// `OPM_CONNECTOR_TYPE_HDMI`.
    OPM_CONNECTOR_TYPE_HDMI: ULONG = opm::OPM_CONNECTOR_TYPE_HDMI;
    /// `OPM_PROTECTION_TYPE_NONE`.
    OPM_PROTECTION_TYPE_NONE: ULONG = opm::OPM_PROTECTION_TYPE_NONE;
    /// `OPM_PROTECTION_TYPE_ACP`.
    OPM_PROTECTION_TYPE_ACP: ULONG = opm::OPM_PROTECTION_TYPE_ACP;
    /// `OPM_PROTECTION_TYPE_HDCP`.
    OPM_PROTECTION_TYPE_HDCP: ULONG = opm::OPM_PROTECTION_TYPE_HDCP;
    /// `OPM_PROTECTION_TYPE_DPCP`.
    OPM_PROTECTION_TYPE_DPCP: ULONG = opm::OPM_PROTECTION_TYPE_DPCP;
    /// `OPM_HDCP_OFF`.
    OPM_HDCP_OFF: ULONG = opm::OPM_HDCP_OFF;
    /// `OPM_HDCP_ON`.
    OPM_HDCP_ON: ULONG = opm::OPM_HDCP_ON;
    /// `ERROR_NOT_SUPPORTED` (winerror.h); `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)` is what an
    /// unsupported OPM request returns.
    ERROR_NOT_SUPPORTED: ULONG = 50;
    /// keyward: the size of the plaintext of `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS` (random
    /// number, signing key, status and command sequence numbers, little-endian).
    KEYWARD_OPM_INITIALIZATION_PARAMETERS_SIZE: ULONG = InitializationParameters::SIZE as ULONG;
}

guid_constants! {
    OPM_GUID_CONSTANTS:
    /// `OPM_GET_CONNECTOR_TYPE`.
    OPM_GET_CONNECTOR_TYPE = opm::OPM_GET_CONNECTOR_TYPE;
    /// `OPM_GET_SUPPORTED_PROTECTION_TYPES`.
    OPM_GET_SUPPORTED_PROTECTION_TYPES = opm::OPM_GET_SUPPORTED_PROTECTION_TYPES;
    /// `OPM_GET_VIRTUAL_PROTECTION_LEVEL`.
    OPM_GET_VIRTUAL_PROTECTION_LEVEL = opm::OPM_GET_VIRTUAL_PROTECTION_LEVEL;
    /// `OPM_GET_ACTUAL_PROTECTION_LEVEL`.
    OPM_GET_ACTUAL_PROTECTION_LEVEL = opm::OPM_GET_ACTUAL_PROTECTION_LEVEL;
    /// `OPM_GET_ACTUAL_OUTPUT_FORMAT` (not implemented by the output).
    OPM_GET_ACTUAL_OUTPUT_FORMAT = opm::OPM_GET_ACTUAL_OUTPUT_FORMAT;
    /// `OPM_SET_PROTECTION_LEVEL`.
    OPM_SET_PROTECTION_LEVEL = opm::OPM_SET_PROTECTION_LEVEL;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_convert_both_ways() {
        let guid = GUID::from(D3D11_CRYPTO_TYPE_AES128_CTR);
        assert_eq!(guid.Data1, 0x9B6B_D711);
        assert_eq!(Guid::from(guid), D3D11_CRYPTO_TYPE_AES128_CTR);
    }

    #[test]
    fn not_supported_is_hresult_from_win32() {
        let from_win32 = (ERROR_NOT_SUPPORTED & 0xFFFF) | (7 << 16) | 0x8000_0000;
        assert_eq!(
            from_win32 as HRESULT,
            keyward_cryptosession::Error::UnsupportedRequest.hresult()
        );
    }

    #[test]
    fn caps_are_those_of_the_device() {
        let all = [
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_SOFTWARE,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_PARTIAL_DECRYPTION,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_CONTENT_KEY,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_FRESHEN_SESSION_KEY,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY,
            D3D11_1DDI_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT,
        ]
        .iter()
        .fold(0, |caps, flag| caps | flag);
        assert_eq!(all, caps::DEVICE_CAPS);
    }
}

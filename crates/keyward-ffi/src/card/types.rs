//! The types, structures, function-pointer typedefs and constants of `cardmod.h` (v7), with
//! their C names, plus keyward's own extension types.
//!
//! `include/cardmod.h` declares the same items for C; `tests/header_card.rs` checks that the
//! two sides agree: every structure field by field, every `PFN_*` typedef parameter by
//! parameter, every constant by name and value (through [`CARD_NUMERIC_CONSTANTS`] and
//! [`CARD_STRING_CONSTANTS`]), and the x86_64 offsets the header asserts.
//!
//! Structures that only appear in the signatures of functions keyward does not implement
//! (`CARD_SIGNING_INFO`, `CARD_RSA_DECRYPT_INFO`, …) are declared all the same, so that every
//! `CARD_DATA` slot has its exact cardmod.h type.

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use core::ffi::c_void;
use core::mem::{align_of, offset_of, size_of};

use keyward_card::error as status;
use keyward_card::minidriver::{properties, secure_function, session_key};

pub use crate::types::{
    BYTE, CHAR, DWORD, LPCWSTR, LPWSTR, PBYTE, PVOID, ULONG, ULONG_PTR, WCHAR, WORD,
};

/// `BOOL`.
pub type BOOL = i32;
/// `SIZE_T`.
pub type SIZE_T = usize;
/// `LPVOID`.
pub type LPVOID = *mut c_void;
/// `PDWORD`.
pub type PDWORD = *mut DWORD;
/// `LPDWORD`.
pub type LPDWORD = *mut DWORD;
/// `LPSTR`.
pub type LPSTR = *mut CHAR;
/// `LPCSTR`: a NUL-terminated byte string.
pub type LPCSTR = *const CHAR;
/// `UCHAR`.
pub type UCHAR = u8;
/// `PUCHAR`.
pub type PUCHAR = *mut UCHAR;
/// `ALG_ID` (wincrypt.h).
pub type ALG_ID = u32;
/// `SCARDCONTEXT` (winscard.h: a `ULONG_PTR`). keyward: a handle from
/// `KeywardCardEstablishContext`.
pub type SCARDCONTEXT = ULONG_PTR;
/// `SCARDHANDLE` (winscard.h: a `ULONG_PTR`). keyward: a handle from
/// `KeywardCardConnectVirtual` / `KeywardCardConnectReader`.
pub type SCARDHANDLE = ULONG_PTR;
/// `CARD_KEY_HANDLE`: a key of a minidriver context (never 0).
pub type CARD_KEY_HANDLE = ULONG_PTR;
/// `PCARD_KEY_HANDLE`.
pub type PCARD_KEY_HANDLE = *mut CARD_KEY_HANDLE;
/// `PIN_ID`: a role (`ROLE_USER`, `ROLE_ADMIN`, …).
pub type PIN_ID = DWORD;
/// `PPIN_ID`.
pub type PPIN_ID = *mut PIN_ID;
/// `PIN_SET`: a bit set of roles (`CREATE_PIN_SET`).
pub type PIN_SET = DWORD;
/// `PPIN_SET`.
pub type PPIN_SET = *mut PIN_SET;
/// `CARD_DIRECTORY_ACCESS_CONDITION` (a C enum).
pub type CARD_DIRECTORY_ACCESS_CONDITION = i32;
/// `CARD_FILE_ACCESS_CONDITION` (a C enum).
pub type CARD_FILE_ACCESS_CONDITION = i32;

// ---- Structures -----------------------------------------------------------------------------

/// `CARD_CAPABILITIES` (`CardQueryCapabilities`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_CAPABILITIES {
    /// `CARD_CAPABILITIES_CURRENT_VERSION`.
    pub dwVersion: DWORD,
    /// Certificate compression.
    pub fCertificateCompression: BOOL,
    /// On-card key generation.
    pub fKeyGen: BOOL,
}

/// `PCARD_CAPABILITIES`.
pub type PCARD_CAPABILITIES = *mut CARD_CAPABILITIES;

/// `CONTAINER_INFO` (`CardGetContainerInfo`): the public keys of a container, each
/// minidriver-allocated (`pfnCspAlloc`) and freed by the caller (`pfnCspFree`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CONTAINER_INFO {
    /// `CONTAINER_INFO_CURRENT_VERSION` (in: at most that; out: that).
    pub dwVersion: DWORD,
    /// Reserved, 0.
    pub dwReserved: DWORD,
    /// Length of the signature public key.
    pub cbSigPublicKey: DWORD,
    /// The signature public key (`PUBLICKEYBLOB`, or `BCRYPT_ECCKEY_BLOB` for ECDSA), or NULL.
    pub pbSigPublicKey: PBYTE,
    /// Length of the key-exchange public key.
    pub cbKeyExPublicKey: DWORD,
    /// The key-exchange public key (`PUBLICKEYBLOB`, or `BCRYPT_ECCKEY_BLOB` for ECDH), or
    /// NULL.
    pub pbKeyExPublicKey: PBYTE,
}

/// `PCONTAINER_INFO`.
pub type PCONTAINER_INFO = *mut CONTAINER_INFO;

/// `CARD_FILE_INFO` (`CardGetFileInfo`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_FILE_INFO {
    /// `CARD_FILE_INFO_CURRENT_VERSION`.
    pub dwVersion: DWORD,
    /// File size.
    pub cbFileSize: DWORD,
    /// Access condition.
    pub AccessCondition: CARD_FILE_ACCESS_CONDITION,
}

/// `PCARD_FILE_INFO`.
pub type PCARD_FILE_INFO = *mut CARD_FILE_INFO;

/// `CARD_FREE_SPACE_INFO` (`CardQueryFreeSpace`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_FREE_SPACE_INFO {
    /// `CARD_FREE_SPACE_INFO_CURRENT_VERSION`.
    pub dwVersion: DWORD,
    /// Free bytes.
    pub dwBytesAvailable: DWORD,
    /// Free containers.
    pub dwKeyContainersAvailable: DWORD,
    /// All containers.
    pub dwMaxKeyContainers: DWORD,
}

/// `PCARD_FREE_SPACE_INFO`.
pub type PCARD_FREE_SPACE_INFO = *mut CARD_FREE_SPACE_INFO;

/// `CARD_KEY_SIZES` (`CardQueryKeySizes`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_KEY_SIZES {
    /// `CARD_KEY_SIZES_CURRENT_VERSION`.
    pub dwVersion: DWORD,
    /// Smallest size in bits.
    pub dwMinimumBitlen: DWORD,
    /// Default size in bits.
    pub dwDefaultBitlen: DWORD,
    /// Largest size in bits.
    pub dwMaximumBitlen: DWORD,
    /// Step in bits.
    pub dwIncrementalBitlen: DWORD,
}

/// `PCARD_KEY_SIZES`.
pub type PCARD_KEY_SIZES = *mut CARD_KEY_SIZES;

/// `CARD_RSA_DECRYPT_INFO` (`CardRSADecrypt`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_RSA_DECRYPT_INFO {
    /// `CARD_RSA_KEY_DECRYPT_INFO_*_VERSION`.
    pub dwVersion: DWORD,
    /// Container.
    pub bContainerIndex: BYTE,
    /// `AT_*`.
    pub dwKeySpec: DWORD,
    /// The data.
    pub pbData: PBYTE,
    /// Its length.
    pub cbData: DWORD,
    /// Padding information.
    pub pPaddingInfo: LPVOID,
    /// `CARD_PADDING_*`.
    pub dwPaddingType: DWORD,
}

/// `PCARD_RSA_DECRYPT_INFO`.
pub type PCARD_RSA_DECRYPT_INFO = *mut CARD_RSA_DECRYPT_INFO;

/// `CARD_SIGNING_INFO` (`CardSignData`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_SIGNING_INFO {
    /// `CARD_SIGNING_INFO_*_VERSION`.
    pub dwVersion: DWORD,
    /// Container.
    pub bContainerIndex: BYTE,
    /// `AT_*`.
    pub dwKeySpec: DWORD,
    /// `CARD_BUFFER_SIZE_ONLY`, `CARD_PADDING_INFO_PRESENT`, …
    pub dwSigningFlags: DWORD,
    /// Hash algorithm.
    pub aiHashAlg: ALG_ID,
    /// The data.
    pub pbData: PBYTE,
    /// Its length.
    pub cbData: DWORD,
    /// The signature (minidriver-allocated).
    pub pbSignedData: PBYTE,
    /// Its length.
    pub cbSignedData: DWORD,
    /// Padding information.
    pub pPaddingInfo: LPVOID,
    /// `CARD_PADDING_*`.
    pub dwPaddingType: DWORD,
}

/// `PCARD_SIGNING_INFO`.
pub type PCARD_SIGNING_INFO = *mut CARD_SIGNING_INFO;

/// `CARD_DH_AGREEMENT_INFO` (`CardConstructDHAgreement`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_DH_AGREEMENT_INFO {
    /// `CARD_DH_AGREEMENT_INFO_VERSION`.
    pub dwVersion: DWORD,
    /// Container.
    pub bContainerIndex: BYTE,
    /// Flags.
    pub dwFlags: DWORD,
    /// Length of the public key.
    pub dwPublicKey: DWORD,
    /// The other side's public key.
    pub pbPublicKey: PBYTE,
    /// Reserved.
    pub pbReserved: PBYTE,
    /// Reserved.
    pub cbReserved: DWORD,
    /// Out: the agreement's index.
    pub bSecretAgreementIndex: BYTE,
}

/// `PCARD_DH_AGREEMENT_INFO`.
pub type PCARD_DH_AGREEMENT_INFO = *mut CARD_DH_AGREEMENT_INFO;

/// `CARD_DERIVE_KEY` (`CardDeriveKey`; not implemented).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_DERIVE_KEY {
    /// `CARD_DERIVE_KEY_*VERSION*`.
    pub dwVersion: DWORD,
    /// Flags.
    pub dwFlags: DWORD,
    /// KDF name.
    pub pwszKDF: LPWSTR,
    /// The agreement's index.
    pub bSecretAgreementIndex: BYTE,
    /// KDF parameters.
    pub pParameterList: PVOID,
    /// The derived key.
    pub pbDerivedKey: PBYTE,
    /// Its length.
    pub cbDerivedKey: DWORD,
    /// Algorithm of the derived key.
    pub pwszAlgId: LPWSTR,
    /// Key length.
    pub dwKeyLen: DWORD,
    /// A handle to the derived key (`CARD_RETURN_KEY_HANDLE`).
    pub hKey: CARD_KEY_HANDLE,
}

/// `PCARD_DERIVE_KEY`.
pub type PCARD_DERIVE_KEY = *mut CARD_DERIVE_KEY;

/// `CARD_ENCRYPTED_DATA`: one blob of `MDEncryptData` / `CardProcessEncryptedData` (x64: 16
/// bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_ENCRYPTED_DATA {
    /// The blob.
    pub pbEncryptedData: PBYTE,
    /// Its length.
    pub cbEncryptedData: DWORD,
}

/// `PCARD_ENCRYPTED_DATA`.
pub type PCARD_ENCRYPTED_DATA = *mut CARD_ENCRYPTED_DATA;

/// `CARD_IMPORT_KEYPAIR` (the `CSF_IMPORT_KEYPAIR` payload), followed by `cbInput` bytes of
/// key (keyward: PKCS#8).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_IMPORT_KEYPAIR {
    /// `CARD_IMPORT_KEYPAIR_VERSION_SEVEN`.
    pub dwVersion: DWORD,
    /// Container.
    pub bContainerIndex: BYTE,
    /// The PIN that guards the key.
    pub PinId: PIN_ID,
    /// `AT_*`.
    pub dwKeySpec: DWORD,
    /// Key size in bits.
    pub dwKeySize: DWORD,
    /// Length of the key that follows.
    pub cbInput: DWORD,
    /// The key.
    pub pbInput: [BYTE; 0],
}

/// `PCARD_IMPORT_KEYPAIR`.
pub type PCARD_IMPORT_KEYPAIR = *mut CARD_IMPORT_KEYPAIR;

/// `CARD_CHANGE_AUTHENTICATOR` (the `CSF_CHANGE_AUTHENTICATOR` payload), followed by the
/// authenticating PIN and the target data.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_CHANGE_AUTHENTICATOR {
    /// `CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN`.
    pub dwVersion: DWORD,
    /// `PIN_CHANGE_FLAG_CHANGEPIN` or `PIN_CHANGE_FLAG_UNBLOCK`.
    pub dwFlags: DWORD,
    /// The PIN that authorizes the change.
    pub dwAuthenticatingPinId: PIN_ID,
    /// Its length.
    pub cbAuthenticatingPinData: DWORD,
    /// The PIN to change.
    pub dwTargetPinId: PIN_ID,
    /// The new PIN's length.
    pub cbTargetData: DWORD,
    /// The new retry limit, 0 to keep it.
    pub cRetryCount: DWORD,
    /// Authenticating PIN, then target data.
    pub pbData: [BYTE; 0],
}

/// `PCARD_CHANGE_AUTHENTICATOR`.
pub type PCARD_CHANGE_AUTHENTICATOR = *mut CARD_CHANGE_AUTHENTICATOR;

/// `CARD_CHANGE_AUTHENTICATOR_RESPONSE` (the `CSF_CHANGE_AUTHENTICATOR` output).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_CHANGE_AUTHENTICATOR_RESPONSE {
    /// `CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN`.
    pub dwVersion: DWORD,
    /// Attempts left, `CARD_DATA_VALUE_UNKNOWN` when the card did not say.
    pub cAttemptsRemaining: DWORD,
}

/// `PCARD_CHANGE_AUTHENTICATOR_RESPONSE`.
pub type PCARD_CHANGE_AUTHENTICATOR_RESPONSE = *mut CARD_CHANGE_AUTHENTICATOR_RESPONSE;

/// `CARD_AUTHENTICATE` (the `CSF_AUTHENTICATE` payload), followed by the PIN.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_AUTHENTICATE {
    /// `CARD_AUTHENTICATE_VERSION_SEVEN`.
    pub dwVersion: DWORD,
    /// 0 (session PINs are not supported).
    pub dwFlags: DWORD,
    /// The PIN's role.
    pub PinId: PIN_ID,
    /// The PIN's length.
    pub cbPinData: DWORD,
    /// The PIN.
    pub pbPinData: [BYTE; 0],
}

/// `PCARD_AUTHENTICATE`.
pub type PCARD_AUTHENTICATE = *mut CARD_AUTHENTICATE;

/// `CARD_AUTHENTICATE_RESPONSE` (the `CSF_AUTHENTICATE` output).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CARD_AUTHENTICATE_RESPONSE {
    /// `CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN`.
    pub dwVersion: DWORD,
    /// 0: no session PIN.
    pub cbSessionPin: DWORD,
    /// Attempts left, `CARD_DATA_VALUE_UNKNOWN` when the card did not say.
    pub cAttemptsRemaining: DWORD,
    /// No session PIN follows.
    pub pbSessionPin: [BYTE; 0],
}

/// `PCARD_AUTHENTICATE_RESPONSE`.
pub type PCARD_AUTHENTICATE_RESPONSE = *mut CARD_AUTHENTICATE_RESPONSE;

/// `BCRYPT_OAEP_PADDING_INFO` (`pPaddingInfo` of `CardImportSessionKey` with
/// `CARD_PADDING_OAEP`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BCRYPT_OAEP_PADDING_INFO {
    /// The hash of OAEP and MGF1 (`BCRYPT_SHA1_ALGORITHM`, `BCRYPT_SHA256_ALGORITHM`, …).
    pub pszAlgId: LPCWSTR,
    /// The label (keyward: must be empty).
    pub pbLabel: PUCHAR,
    /// Its length.
    pub cbLabel: ULONG,
}

/// `BCRYPT_KEY_LENGTHS_STRUCT` (the `BCRYPT_KEY_LENGTHS` algorithm property).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BCRYPT_KEY_LENGTHS_STRUCT {
    /// Smallest key in bits.
    pub dwMinLength: ULONG,
    /// Largest key in bits.
    pub dwMaxLength: ULONG,
    /// Step in bits.
    pub dwIncrement: ULONG,
}

/// `BCRYPT_KEY_DATA_BLOB_HEADER`: the head of a `BCRYPT_KEY_DATA_BLOB` (the session key of
/// `MDImportSessionKey`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BCRYPT_KEY_DATA_BLOB_HEADER {
    /// `BCRYPT_KEY_DATA_BLOB_MAGIC`.
    pub dwMagic: ULONG,
    /// `BCRYPT_KEY_DATA_BLOB_VERSION1`.
    pub dwVersion: ULONG,
    /// Length of the key that follows.
    pub cbKeyData: ULONG,
}

/// `BLOBHEADER` / `PUBLICKEYSTRUC` (wincrypt.h): the head of a `PUBLICKEYBLOB`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BLOBHEADER {
    /// `PUBLICKEYBLOB`.
    pub bType: BYTE,
    /// `CUR_BLOB_VERSION`.
    pub bVersion: BYTE,
    /// 0.
    pub reserved: WORD,
    /// `CALG_RSA_KEYX` or `CALG_RSA_SIGN`.
    pub aiKeyAlg: ALG_ID,
}

/// `RSAPUBKEY` (wincrypt.h): follows the `BLOBHEADER` of an RSA `PUBLICKEYBLOB`, and is
/// followed by the modulus, little-endian.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RSAPUBKEY {
    /// `RSA1_MAGIC` ("RSA1").
    pub magic: DWORD,
    /// Modulus size in bits.
    pub bitlen: DWORD,
    /// Public exponent.
    pub pubexp: DWORD,
}

/// `BCRYPT_ECCKEY_BLOB`: the head of an ECC public key of `CardGetContainerInfo`, followed
/// by X and Y, big-endian, `cbKey` bytes each.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BCRYPT_ECCKEY_BLOB {
    /// `BCRYPT_ECDSA_PUBLIC_P256_MAGIC` or `BCRYPT_ECDH_PUBLIC_P256_MAGIC`.
    pub dwMagic: ULONG,
    /// Coordinate length.
    pub cbKey: ULONG,
}

/// keyward: a static SCP03 keyset (Key-ENC, Key-MAC, Key-DEK of `cbKey` bytes each, under
/// key version number `dwKeyVersion`): for `KeywardCardCreateVirtualCard` and
/// `KEYWARD_CARD_VENDOR_INFO`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct KEYWARD_CARD_KEYSET {
    /// Key version number, 1..=0x7F.
    pub dwKeyVersion: DWORD,
    /// 16, 24 or 32.
    pub cbKey: DWORD,
    /// Key-ENC (the first `cbKey` bytes).
    pub rgbEnc: [BYTE; 32],
    /// Key-MAC (the first `cbKey` bytes).
    pub rgbMac: [BYTE; 32],
    /// Key-DEK (the first `cbKey` bytes).
    pub rgbDek: [BYTE; 32],
}

/// `PKEYWARD_CARD_KEYSET`.
pub type PKEYWARD_CARD_KEYSET = *mut KEYWARD_CARD_KEYSET;

/// keyward: what `CARD_DATA.pvVendorSpecific` points to (or NULL for the defaults) when
/// `CardAcquireContext` is called; it is read once, during the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KEYWARD_CARD_VENDOR_INFO {
    /// `KEYWARD_CARD_VENDOR_INFO_VERSION`.
    pub dwVersion: DWORD,
    /// The SCP03 security level the server asks for (`KEYWARD_CARD_SECURITY_LEVEL_*`); 0 is
    /// the default, C-DECRYPTION + R-ENCRYPTION + C-MAC + R-MAC.
    pub dwSecurityLevel: DWORD,
    /// The card's static keys: required in no-card mode, and for `CardAuthenticateEx` /
    /// `CardDeauthenticateEx` in card mode; NULL for none.
    pub pStaticKeys: *const KEYWARD_CARD_KEYSET,
    /// The card application's AID; NULL for the default (`A000000151000000`).
    pub pbAid: *const BYTE,
    /// Its length (5 to 16).
    pub cbAid: DWORD,
}

/// `PKEYWARD_CARD_VENDOR_INFO`.
pub type PKEYWARD_CARD_VENDOR_INFO = *mut KEYWARD_CARD_VENDOR_INFO;

// ---- Function-pointer types -----------------------------------------------------------------

/// `PCARD_DATA`.
pub type PCARD_DATA = *mut CARD_DATA;

/// `PFN_CARD_ACQUIRE_CONTEXT`.
pub type PFN_CARD_ACQUIRE_CONTEXT =
    Option<unsafe extern "system" fn(pCardData: PCARD_DATA, dwFlags: DWORD) -> DWORD>;
/// `PFN_CARD_DELETE_CONTEXT`.
pub type PFN_CARD_DELETE_CONTEXT =
    Option<unsafe extern "system" fn(pCardData: PCARD_DATA) -> DWORD>;
/// `PFN_CARD_QUERY_CAPABILITIES`.
pub type PFN_CARD_QUERY_CAPABILITIES = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pCardCapabilities: PCARD_CAPABILITIES,
    ) -> DWORD,
>;
/// `PFN_CARD_DELETE_CONTAINER`.
pub type PFN_CARD_DELETE_CONTAINER = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        dwReserved: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_CREATE_CONTAINER`.
pub type PFN_CARD_CREATE_CONTAINER = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        dwFlags: DWORD,
        dwKeySpec: DWORD,
        dwKeySize: DWORD,
        pbKeyData: PBYTE,
    ) -> DWORD,
>;
/// `PFN_CARD_CREATE_CONTAINER_EX`.
pub type PFN_CARD_CREATE_CONTAINER_EX = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        dwFlags: DWORD,
        dwKeySpec: DWORD,
        dwKeySize: DWORD,
        pbKeyData: PBYTE,
        PinId: PIN_ID,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_CONTAINER_INFO`.
pub type PFN_CARD_GET_CONTAINER_INFO = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        dwFlags: DWORD,
        pContainerInfo: PCONTAINER_INFO,
    ) -> DWORD,
>;
/// `PFN_CARD_AUTHENTICATE_PIN`.
pub type PFN_CARD_AUTHENTICATE_PIN = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pwszUserId: LPWSTR,
        pbPin: PBYTE,
        cbPin: DWORD,
        pcAttemptsRemaining: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_CHALLENGE`.
pub type PFN_CARD_GET_CHALLENGE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        ppbChallengeData: *mut PBYTE,
        pcbChallengeData: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_AUTHENTICATE_CHALLENGE`.
pub type PFN_CARD_AUTHENTICATE_CHALLENGE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pbResponseData: PBYTE,
        cbResponseData: DWORD,
        pcAttemptsRemaining: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_UNBLOCK_PIN`.
pub type PFN_CARD_UNBLOCK_PIN = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pwszUserId: LPWSTR,
        pbAuthenticationData: PBYTE,
        cbAuthenticationData: DWORD,
        pbNewPinData: PBYTE,
        cbNewPinData: DWORD,
        cRetryCount: DWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_CHANGE_AUTHENTICATOR`.
pub type PFN_CARD_CHANGE_AUTHENTICATOR = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pwszUserId: LPWSTR,
        pbCurrentAuthenticator: PBYTE,
        cbCurrentAuthenticator: DWORD,
        pbNewAuthenticator: PBYTE,
        cbNewAuthenticator: DWORD,
        cRetryCount: DWORD,
        dwFlags: DWORD,
        pcAttemptsRemaining: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_DEAUTHENTICATE`.
pub type PFN_CARD_DEAUTHENTICATE = Option<
    unsafe extern "system" fn(pCardData: PCARD_DATA, pwszUserId: LPWSTR, dwFlags: DWORD) -> DWORD,
>;
/// `PFN_CARD_CREATE_DIRECTORY`.
pub type PFN_CARD_CREATE_DIRECTORY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        AccessCondition: CARD_DIRECTORY_ACCESS_CONDITION,
    ) -> DWORD,
>;
/// `PFN_CARD_DELETE_DIRECTORY`.
pub type PFN_CARD_DELETE_DIRECTORY =
    Option<unsafe extern "system" fn(pCardData: PCARD_DATA, pszDirectoryName: LPSTR) -> DWORD>;
/// `PFN_CARD_CREATE_FILE`.
pub type PFN_CARD_CREATE_FILE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pszFileName: LPSTR,
        cbInitialCreationSize: DWORD,
        AccessCondition: CARD_FILE_ACCESS_CONDITION,
    ) -> DWORD,
>;
/// `PFN_CARD_READ_FILE`.
pub type PFN_CARD_READ_FILE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pszFileName: LPSTR,
        dwFlags: DWORD,
        ppbData: *mut PBYTE,
        pcbData: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_WRITE_FILE`.
pub type PFN_CARD_WRITE_FILE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pszFileName: LPSTR,
        dwFlags: DWORD,
        pbData: PBYTE,
        cbData: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_DELETE_FILE`.
pub type PFN_CARD_DELETE_FILE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pszFileName: LPSTR,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_ENUM_FILES`.
pub type PFN_CARD_ENUM_FILES = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pmszFileNames: *mut LPSTR,
        pdwcbFileName: LPDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_FILE_INFO`.
pub type PFN_CARD_GET_FILE_INFO = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pszDirectoryName: LPSTR,
        pszFileName: LPSTR,
        pCardFileInfo: PCARD_FILE_INFO,
    ) -> DWORD,
>;
/// `PFN_CARD_QUERY_FREE_SPACE`.
pub type PFN_CARD_QUERY_FREE_SPACE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        dwFlags: DWORD,
        pCardFreeSpaceInfo: PCARD_FREE_SPACE_INFO,
    ) -> DWORD,
>;
/// `PFN_CARD_QUERY_KEY_SIZES`.
pub type PFN_CARD_QUERY_KEY_SIZES = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        dwKeySpec: DWORD,
        dwFlags: DWORD,
        pKeySizes: PCARD_KEY_SIZES,
    ) -> DWORD,
>;
/// `PFN_CARD_SIGN_DATA`.
pub type PFN_CARD_SIGN_DATA =
    Option<unsafe extern "system" fn(pCardData: PCARD_DATA, pInfo: PCARD_SIGNING_INFO) -> DWORD>;
/// `PFN_CARD_RSA_DECRYPT`.
pub type PFN_CARD_RSA_DECRYPT = Option<
    unsafe extern "system" fn(pCardData: PCARD_DATA, pInfo: PCARD_RSA_DECRYPT_INFO) -> DWORD,
>;
/// `PFN_CARD_CONSTRUCT_DH_AGREEMENT`.
pub type PFN_CARD_CONSTRUCT_DH_AGREEMENT = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pAgreementInfo: PCARD_DH_AGREEMENT_INFO,
    ) -> DWORD,
>;
/// `PFN_CARD_DERIVE_KEY`.
pub type PFN_CARD_DERIVE_KEY = Option<
    unsafe extern "system" fn(pCardData: PCARD_DATA, pAgreementInfo: PCARD_DERIVE_KEY) -> DWORD,
>;
/// `PFN_CARD_DESTROY_DH_AGREEMENT`.
pub type PFN_CARD_DESTROY_DH_AGREEMENT = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bSecretAgreementIndex: BYTE,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CSP_GET_DH_AGREEMENT` (a callback the CSP provides).
pub type PFN_CSP_GET_DH_AGREEMENT = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        hSecretAgreement: PVOID,
        pbSecretAgreementIndex: *mut BYTE,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_CHALLENGE_EX`.
pub type PFN_CARD_GET_CHALLENGE_EX = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        PinId: PIN_ID,
        ppbChallengeData: *mut PBYTE,
        pcbChallengeData: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_AUTHENTICATE_EX`.
pub type PFN_CARD_AUTHENTICATE_EX = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        PinId: PIN_ID,
        dwFlags: DWORD,
        pbPinData: PBYTE,
        cbPinData: DWORD,
        ppbSessionPin: *mut PBYTE,
        pcbSessionPin: PDWORD,
        pcAttemptsRemaining: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_CHANGE_AUTHENTICATOR_EX`.
pub type PFN_CARD_CHANGE_AUTHENTICATOR_EX = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        dwFlags: DWORD,
        dwAuthenticatingPinId: PIN_ID,
        pbAuthenticatingPinData: PBYTE,
        cbAuthenticatingPinData: DWORD,
        dwTargetPinId: PIN_ID,
        pbTargetData: PBYTE,
        cbTargetData: DWORD,
        cRetryCount: DWORD,
        pcAttemptsRemaining: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_DEAUTHENTICATE_EX`.
pub type PFN_CARD_DEAUTHENTICATE_EX = Option<
    unsafe extern "system" fn(pCardData: PCARD_DATA, PinId: PIN_SET, dwFlags: DWORD) -> DWORD,
>;
/// `PFN_CARD_GET_CONTAINER_PROPERTY`.
pub type PFN_CARD_GET_CONTAINER_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        wszProperty: LPCWSTR,
        pbData: PBYTE,
        cbData: DWORD,
        pdwDataLen: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_SET_CONTAINER_PROPERTY`.
pub type PFN_CARD_SET_CONTAINER_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        wszProperty: LPCWSTR,
        pbData: PBYTE,
        cbDataLen: DWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_PROPERTY`.
pub type PFN_CARD_GET_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        wszProperty: LPCWSTR,
        pbData: PBYTE,
        cbData: DWORD,
        pdwDataLen: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_SET_PROPERTY`.
pub type PFN_CARD_SET_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        wszProperty: LPCWSTR,
        pbData: PBYTE,
        cbDataLen: DWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CSP_ALLOC`: the CSP's allocator; everything the minidriver returns is allocated
/// with it.
pub type PFN_CSP_ALLOC = Option<unsafe extern "system" fn(Size: SIZE_T) -> LPVOID>;
/// `PFN_CSP_REALLOC`.
pub type PFN_CSP_REALLOC =
    Option<unsafe extern "system" fn(Address: LPVOID, Size: SIZE_T) -> LPVOID>;
/// `PFN_CSP_FREE`: how the caller frees what the minidriver returned.
pub type PFN_CSP_FREE = Option<unsafe extern "system" fn(Address: LPVOID)>;
/// `PFN_CSP_CACHE_ADD_FILE`.
pub type PFN_CSP_CACHE_ADD_FILE = Option<
    unsafe extern "system" fn(
        pvCacheContext: PVOID,
        wszTag: LPWSTR,
        dwFlags: DWORD,
        pbData: PBYTE,
        cbData: DWORD,
    ) -> DWORD,
>;
/// `PFN_CSP_CACHE_LOOKUP_FILE`.
pub type PFN_CSP_CACHE_LOOKUP_FILE = Option<
    unsafe extern "system" fn(
        pvCacheContext: PVOID,
        wszTag: LPWSTR,
        dwFlags: DWORD,
        ppbData: *mut PBYTE,
        pcbData: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CSP_CACHE_DELETE_FILE`.
pub type PFN_CSP_CACHE_DELETE_FILE = Option<
    unsafe extern "system" fn(pvCacheContext: PVOID, wszTag: LPWSTR, dwFlags: DWORD) -> DWORD,
>;
/// `PFN_CSP_PAD_DATA`.
pub type PFN_CSP_PAD_DATA = Option<
    unsafe extern "system" fn(
        pSigningInfo: PCARD_SIGNING_INFO,
        cbMaxWidth: DWORD,
        pcbPaddedBuffer: *mut DWORD,
        ppbPaddedBuffer: *mut PBYTE,
    ) -> DWORD,
>;
/// `PFN_CSP_UNPAD_DATA`.
pub type PFN_CSP_UNPAD_DATA = Option<
    unsafe extern "system" fn(
        pRSADecryptInfo: PCARD_RSA_DECRYPT_INFO,
        pcbUnpaddedData: *mut DWORD,
        ppbUnpaddedData: *mut PBYTE,
    ) -> DWORD,
>;
/// `PFN_MD_IMPORT_SESSION_KEY`.
pub type PFN_MD_IMPORT_SESSION_KEY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pwszBlobType: LPCWSTR,
        pwszAlgId: LPCWSTR,
        phKey: PCARD_KEY_HANDLE,
        pbInput: PBYTE,
        cbInput: DWORD,
    ) -> DWORD,
>;
/// `PFN_MD_ENCRYPT_DATA`.
pub type PFN_MD_ENCRYPT_DATA = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        hKey: CARD_KEY_HANDLE,
        pwszSecureFunction: LPCWSTR,
        pbInput: PBYTE,
        cbInput: DWORD,
        dwFlags: DWORD,
        ppEncryptedData: *mut PCARD_ENCRYPTED_DATA,
        pcEncryptedData: PDWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_SHARED_KEY_HANDLE`.
pub type PFN_CARD_GET_SHARED_KEY_HANDLE = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pbInput: PBYTE,
        cbInput: DWORD,
        ppbOutput: *mut PBYTE,
        pcbOutput: PDWORD,
        phKey: PCARD_KEY_HANDLE,
    ) -> DWORD,
>;
/// `PFN_CARD_DESTROY_KEY`.
pub type PFN_CARD_DESTROY_KEY =
    Option<unsafe extern "system" fn(pCardData: PCARD_DATA, hKey: CARD_KEY_HANDLE) -> DWORD>;
/// `PFN_CARD_GET_ALGORITHM_PROPERTY`.
pub type PFN_CARD_GET_ALGORITHM_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        pwszAlgId: LPCWSTR,
        pwszProperty: LPCWSTR,
        pbData: PBYTE,
        cbData: DWORD,
        pdwDataLen: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_GET_KEY_PROPERTY`.
pub type PFN_CARD_GET_KEY_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        hKey: CARD_KEY_HANDLE,
        pwszProperty: LPCWSTR,
        pbData: PBYTE,
        cbData: DWORD,
        pdwDataLen: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_SET_KEY_PROPERTY`.
pub type PFN_CARD_SET_KEY_PROPERTY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        hKey: CARD_KEY_HANDLE,
        pwszProperty: LPCWSTR,
        pbInput: PBYTE,
        cbInput: DWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_IMPORT_SESSION_KEY`.
pub type PFN_CARD_IMPORT_SESSION_KEY = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        bContainerIndex: BYTE,
        pPaddingInfo: LPVOID,
        pwszBlobType: LPCWSTR,
        pwszAlgId: LPCWSTR,
        phKey: PCARD_KEY_HANDLE,
        pbInput: PBYTE,
        cbInput: DWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;
/// `PFN_CARD_PROCESS_ENCRYPTED_DATA`.
pub type PFN_CARD_PROCESS_ENCRYPTED_DATA = Option<
    unsafe extern "system" fn(
        pCardData: PCARD_DATA,
        hKey: CARD_KEY_HANDLE,
        pwszSecureFunction: LPCWSTR,
        pEncryptedData: PCARD_ENCRYPTED_DATA,
        cEncryptedData: DWORD,
        pbOutput: PBYTE,
        cbOutput: DWORD,
        pdwOutputLen: PDWORD,
        dwFlags: DWORD,
    ) -> DWORD,
>;

/// `CARD_DATA` (cardmod.h v7): filled by the caller up to `pvVendorSpecific`, then by
/// `CardAcquireContext`. A caller of version N may pass a structure that ends after the
/// slots of version N; the minidriver touches nothing beyond them.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CARD_DATA {
    /// In: the version the caller supports; out: the negotiated one, `min(in, 7)`.
    pub dwVersion: DWORD,
    /// The card's ATR (card mode).
    pub pbAtr: PBYTE,
    /// Its length.
    pub cbAtr: DWORD,
    /// The card's name (card mode).
    pub pwszCardName: LPWSTR,
    /// The CSP's allocator.
    pub pfnCspAlloc: PFN_CSP_ALLOC,
    /// The CSP's reallocator.
    pub pfnCspReAlloc: PFN_CSP_REALLOC,
    /// The CSP's free.
    pub pfnCspFree: PFN_CSP_FREE,
    /// The CSP's cache (not used by keyward).
    pub pfnCspCacheAddFile: PFN_CSP_CACHE_ADD_FILE,
    /// The CSP's cache (not used by keyward).
    pub pfnCspCacheLookupFile: PFN_CSP_CACHE_LOOKUP_FILE,
    /// The CSP's cache (not used by keyward).
    pub pfnCspCacheDeleteFile: PFN_CSP_CACHE_DELETE_FILE,
    /// The CSP's cache context.
    pub pvCacheContext: PVOID,
    /// The CSP's padding callback (not used by keyward).
    pub pfnCspPadData: PFN_CSP_PAD_DATA,
    /// The resource-manager context (keyward: `KeywardCardEstablishContext`); 0 in no-card
    /// mode.
    pub hSCardCtx: SCARDCONTEXT,
    /// The card connection (keyward: `KeywardCardConnect*`); 0 in no-card mode.
    pub hScard: SCARDHANDLE,
    /// In: NULL or a `KEYWARD_CARD_VENDOR_INFO`; after `CardAcquireContext`: the
    /// minidriver's context (opaque, never dereferenced).
    pub pvVendorSpecific: PVOID,
    /// v4.
    pub pfnCardDeleteContext: PFN_CARD_DELETE_CONTEXT,
    /// v4.
    pub pfnCardQueryCapabilities: PFN_CARD_QUERY_CAPABILITIES,
    /// v4.
    pub pfnCardDeleteContainer: PFN_CARD_DELETE_CONTAINER,
    /// v4.
    pub pfnCardCreateContainer: PFN_CARD_CREATE_CONTAINER,
    /// v4.
    pub pfnCardGetContainerInfo: PFN_CARD_GET_CONTAINER_INFO,
    /// v4.
    pub pfnCardAuthenticatePin: PFN_CARD_AUTHENTICATE_PIN,
    /// v4.
    pub pfnCardGetChallenge: PFN_CARD_GET_CHALLENGE,
    /// v4.
    pub pfnCardAuthenticateChallenge: PFN_CARD_AUTHENTICATE_CHALLENGE,
    /// v4.
    pub pfnCardUnblockPin: PFN_CARD_UNBLOCK_PIN,
    /// v4.
    pub pfnCardChangeAuthenticator: PFN_CARD_CHANGE_AUTHENTICATOR,
    /// v4 (NULL: not implemented, as cardmod.h prescribes).
    pub pfnCardDeauthenticate: PFN_CARD_DEAUTHENTICATE,
    /// v4.
    pub pfnCardCreateDirectory: PFN_CARD_CREATE_DIRECTORY,
    /// v4.
    pub pfnCardDeleteDirectory: PFN_CARD_DELETE_DIRECTORY,
    /// Unused.
    pub pvUnused3: LPVOID,
    /// Unused.
    pub pvUnused4: LPVOID,
    /// v4.
    pub pfnCardCreateFile: PFN_CARD_CREATE_FILE,
    /// v4.
    pub pfnCardReadFile: PFN_CARD_READ_FILE,
    /// v4.
    pub pfnCardWriteFile: PFN_CARD_WRITE_FILE,
    /// v4.
    pub pfnCardDeleteFile: PFN_CARD_DELETE_FILE,
    /// v4.
    pub pfnCardEnumFiles: PFN_CARD_ENUM_FILES,
    /// v4.
    pub pfnCardGetFileInfo: PFN_CARD_GET_FILE_INFO,
    /// v4.
    pub pfnCardQueryFreeSpace: PFN_CARD_QUERY_FREE_SPACE,
    /// v4.
    pub pfnCardQueryKeySizes: PFN_CARD_QUERY_KEY_SIZES,
    /// v4.
    pub pfnCardSignData: PFN_CARD_SIGN_DATA,
    /// v4.
    pub pfnCardRSADecrypt: PFN_CARD_RSA_DECRYPT,
    /// v4.
    pub pfnCardConstructDHAgreement: PFN_CARD_CONSTRUCT_DH_AGREEMENT,
    /// v5.
    pub pfnCardDeriveKey: PFN_CARD_DERIVE_KEY,
    /// v5.
    pub pfnCardDestroyDHAgreement: PFN_CARD_DESTROY_DH_AGREEMENT,
    /// v5: the CSP's callback (the minidriver leaves it alone).
    pub pfnCspGetDHAgreement: PFN_CSP_GET_DH_AGREEMENT,
    /// v6.
    pub pfnCardGetChallengeEx: PFN_CARD_GET_CHALLENGE_EX,
    /// v6.
    pub pfnCardAuthenticateEx: PFN_CARD_AUTHENTICATE_EX,
    /// v6.
    pub pfnCardChangeAuthenticatorEx: PFN_CARD_CHANGE_AUTHENTICATOR_EX,
    /// v6.
    pub pfnCardDeauthenticateEx: PFN_CARD_DEAUTHENTICATE_EX,
    /// v6.
    pub pfnCardGetContainerProperty: PFN_CARD_GET_CONTAINER_PROPERTY,
    /// v6.
    pub pfnCardSetContainerProperty: PFN_CARD_SET_CONTAINER_PROPERTY,
    /// v6.
    pub pfnCardGetProperty: PFN_CARD_GET_PROPERTY,
    /// v6.
    pub pfnCardSetProperty: PFN_CARD_SET_PROPERTY,
    /// v7: the CSP's callback (the minidriver leaves it alone).
    pub pfnCspUnpadData: PFN_CSP_UNPAD_DATA,
    /// v7.
    pub pfnMDImportSessionKey: PFN_MD_IMPORT_SESSION_KEY,
    /// v7.
    pub pfnMDEncryptData: PFN_MD_ENCRYPT_DATA,
    /// v7.
    pub pfnCardImportSessionKey: PFN_CARD_IMPORT_SESSION_KEY,
    /// v7.
    pub pfnCardGetSharedKeyHandle: PFN_CARD_GET_SHARED_KEY_HANDLE,
    /// v7.
    pub pfnCardGetAlgorithmProperty: PFN_CARD_GET_ALGORITHM_PROPERTY,
    /// v7.
    pub pfnCardGetKeyProperty: PFN_CARD_GET_KEY_PROPERTY,
    /// v7.
    pub pfnCardSetKeyProperty: PFN_CARD_SET_KEY_PROPERTY,
    /// v7.
    pub pfnCardDestroyKey: PFN_CARD_DESTROY_KEY,
    /// v7.
    pub pfnCardProcessEncryptedData: PFN_CARD_PROCESS_ENCRYPTED_DATA,
    /// v7.
    pub pfnCardCreateContainerEx: PFN_CARD_CREATE_CONTAINER_EX,
}

/// The size of a `CARD_DATA` of `version` (4 to 7): where the slots of the next version
/// would start. Above 7 it is the full structure.
pub fn card_data_size(version: DWORD) -> usize {
    match version {
        ..=4 => offset_of!(CARD_DATA, pfnCardDeriveKey),
        5 => offset_of!(CARD_DATA, pfnCardGetChallengeEx),
        6 => offset_of!(CARD_DATA, pfnCspUnpadData),
        _ => size_of::<CARD_DATA>(),
    }
}

// The layout of docs/cryptosession-and-card.md, "CARD_DATA and context acquisition" (x64) and of
// the header's static assertions.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(offset_of!(CARD_DATA, pvVendorSpecific) == 112);
    assert!(offset_of!(CARD_DATA, pfnCardDeleteContext) == 120);
    assert!(offset_of!(CARD_DATA, pfnCardDeriveKey) == 328);
    assert!(offset_of!(CARD_DATA, pfnCardGetChallengeEx) == 352);
    assert!(offset_of!(CARD_DATA, pfnCspUnpadData) == 416);
    assert!(offset_of!(CARD_DATA, pfnMDImportSessionKey) == 424);
    assert!(offset_of!(CARD_DATA, pfnCardGetSharedKeyHandle) == 448);
    assert!(offset_of!(CARD_DATA, pfnCardGetKeyProperty) == 464);
    assert!(offset_of!(CARD_DATA, pfnCardCreateContainerEx) == 496);
    assert!(size_of::<CARD_DATA>() == 504);
    assert!(size_of::<CARD_ENCRYPTED_DATA>() == 16);
    assert!(size_of::<CONTAINER_INFO>() == 40);
    assert!(size_of::<BCRYPT_OAEP_PADDING_INFO>() == 24);
    assert!(size_of::<KEYWARD_CARD_VENDOR_INFO>() == 32);
};
const _: () = {
    assert!(align_of::<CARD_DATA>() == align_of::<usize>());
    assert!(size_of::<CARD_IMPORT_KEYPAIR>() == secure_function::CardImportKeyPair::HEADER_LEN);
    assert!(
        size_of::<CARD_CHANGE_AUTHENTICATOR>()
            == secure_function::CardChangeAuthenticator::HEADER_LEN
    );
    assert!(size_of::<CARD_AUTHENTICATE>() == secure_function::CardAuthenticate::HEADER_LEN);
    assert!(size_of::<CARD_AUTHENTICATE_RESPONSE>() == 12);
    assert!(size_of::<CARD_CHANGE_AUTHENTICATOR_RESPONSE>() == 8);
    assert!(size_of::<BLOBHEADER>() + size_of::<RSAPUBKEY>() == 20);
    assert!(size_of::<BCRYPT_ECCKEY_BLOB>() == 8);
    assert!(size_of::<BCRYPT_KEY_DATA_BLOB_HEADER>() == 12);
    assert!(size_of::<BCRYPT_KEY_LENGTHS_STRUCT>() == 12);
    assert!(size_of::<KEYWARD_CARD_KEYSET>() == 104);
};

// ---- Constants ------------------------------------------------------------------------------

/// Declares numeric constants, and lists them by name for the header check.
macro_rules! numeric_constants {
    ($table:ident: $($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*
        /// Every numeric constant of `cardmod.h` (`#define`s and enum members), by name.
        pub const $table: &[(&str, i64)] = &[$((stringify!($name), $value as i64)),*];
    };
}

/// Declares UTF-16 string constants (as Rust strings), and lists them by name for the header
/// check.
macro_rules! string_constants {
    ($table:ident: $($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*
        /// Every UTF-16 string constant of `cardmod.h`, by name.
        pub const $table: &[(&str, &str)] = &[$((stringify!($name), $value)),*];
    };
}

numeric_constants! {
    CARD_NUMERIC_CONSTANTS:
    /// `SCARD_S_SUCCESS`.
    SCARD_S_SUCCESS: DWORD = status::SCARD_S_SUCCESS;
    /// `SCARD_F_INTERNAL_ERROR`: an internal error (also a bug caught at the boundary).
    SCARD_F_INTERNAL_ERROR: DWORD = status::SCARD_F_INTERNAL_ERROR;
    /// `SCARD_E_CANCELLED`.
    SCARD_E_CANCELLED: DWORD = status::SCARD_E_CANCELLED;
    /// `SCARD_E_INVALID_HANDLE`.
    SCARD_E_INVALID_HANDLE: DWORD = status::SCARD_E_INVALID_HANDLE;
    /// `SCARD_E_INVALID_PARAMETER`.
    SCARD_E_INVALID_PARAMETER: DWORD = status::SCARD_E_INVALID_PARAMETER;
    /// `SCARD_E_NO_MEMORY`: `pfnCspAlloc` returned NULL.
    SCARD_E_NO_MEMORY: DWORD = status::SCARD_E_NO_MEMORY;
    /// `SCARD_E_INSUFFICIENT_BUFFER`.
    SCARD_E_INSUFFICIENT_BUFFER: DWORD = status::SCARD_E_INSUFFICIENT_BUFFER;
    /// `SCARD_E_UNKNOWN_READER`.
    SCARD_E_UNKNOWN_READER: DWORD = status::SCARD_E_UNKNOWN_READER;
    /// `SCARD_E_TIMEOUT`.
    SCARD_E_TIMEOUT: DWORD = status::SCARD_E_TIMEOUT;
    /// `SCARD_E_SHARING_VIOLATION`.
    SCARD_E_SHARING_VIOLATION: DWORD = status::SCARD_E_SHARING_VIOLATION;
    /// `SCARD_E_NO_SMARTCARD`: a call no-card mode does not allow.
    SCARD_E_NO_SMARTCARD: DWORD = status::SCARD_E_NO_SMARTCARD;
    /// `SCARD_E_PROTO_MISMATCH`.
    SCARD_E_PROTO_MISMATCH: DWORD = status::SCARD_E_PROTO_MISMATCH;
    /// `SCARD_E_NOT_READY`.
    SCARD_E_NOT_READY: DWORD = status::SCARD_E_NOT_READY;
    /// `SCARD_E_INVALID_VALUE`: a relayed message or call out of order.
    SCARD_E_INVALID_VALUE: DWORD = status::SCARD_E_INVALID_VALUE;
    /// `SCARD_F_COMM_ERROR`.
    SCARD_F_COMM_ERROR: DWORD = status::SCARD_F_COMM_ERROR;
    /// `SCARD_F_UNKNOWN_ERROR`.
    SCARD_F_UNKNOWN_ERROR: DWORD = status::SCARD_F_UNKNOWN_ERROR;
    /// `SCARD_E_NOT_TRANSACTED`.
    SCARD_E_NOT_TRANSACTED: DWORD = status::SCARD_E_NOT_TRANSACTED;
    /// `SCARD_E_READER_UNAVAILABLE`.
    SCARD_E_READER_UNAVAILABLE: DWORD = status::SCARD_E_READER_UNAVAILABLE;
    /// `SCARD_E_NO_SERVICE`: pcscd is not running.
    SCARD_E_NO_SERVICE: DWORD = status::SCARD_E_NO_SERVICE;
    /// `SCARD_E_SERVICE_STOPPED`.
    SCARD_E_SERVICE_STOPPED: DWORD = status::SCARD_E_SERVICE_STOPPED;
    /// `SCARD_E_UNEXPECTED`: a malformed answer from the card or the peer.
    SCARD_E_UNEXPECTED: DWORD = status::SCARD_E_UNEXPECTED;
    /// `SCARD_E_UNSUPPORTED_FEATURE`: the Windows value, not pcsc-lite's.
    SCARD_E_UNSUPPORTED_FEATURE: DWORD = status::SCARD_E_UNSUPPORTED_FEATURE;
    /// `SCARD_E_INVALID_CHV`: a malformed PIN.
    SCARD_E_INVALID_CHV: DWORD = status::SCARD_E_INVALID_CHV;
    /// `SCARD_E_NO_READERS_AVAILABLE`.
    SCARD_E_NO_READERS_AVAILABLE: DWORD = status::SCARD_E_NO_READERS_AVAILABLE;
    /// `SCARD_E_COMM_DATA_LOST`.
    SCARD_E_COMM_DATA_LOST: DWORD = status::SCARD_E_COMM_DATA_LOST;
    /// `SCARD_E_NO_KEY_CONTAINER`.
    SCARD_E_NO_KEY_CONTAINER: DWORD = status::SCARD_E_NO_KEY_CONTAINER;
    /// `SCARD_W_UNRESPONSIVE_CARD`.
    SCARD_W_UNRESPONSIVE_CARD: DWORD = status::SCARD_W_UNRESPONSIVE_CARD;
    /// `SCARD_W_UNPOWERED_CARD`.
    SCARD_W_UNPOWERED_CARD: DWORD = status::SCARD_W_UNPOWERED_CARD;
    /// `SCARD_W_RESET_CARD`.
    SCARD_W_RESET_CARD: DWORD = status::SCARD_W_RESET_CARD;
    /// `SCARD_W_REMOVED_CARD`.
    SCARD_W_REMOVED_CARD: DWORD = status::SCARD_W_REMOVED_CARD;
    /// `SCARD_W_SECURITY_VIOLATION`: a cryptogram, MAC or secure-messaging failure.
    SCARD_W_SECURITY_VIOLATION: DWORD = status::SCARD_W_SECURITY_VIOLATION;
    /// `SCARD_W_WRONG_CHV`.
    SCARD_W_WRONG_CHV: DWORD = status::SCARD_W_WRONG_CHV;
    /// `SCARD_W_CHV_BLOCKED`.
    SCARD_W_CHV_BLOCKED: DWORD = status::SCARD_W_CHV_BLOCKED;
    /// `ERROR_INSUFFICIENT_BUFFER`: a property getter's `pbData` is too short.
    ERROR_INSUFFICIENT_BUFFER: DWORD = status::ERROR_INSUFFICIENT_BUFFER;
    /// `ERROR_REVISION_MISMATCH`: a `CARD_DATA` below version 4, or a `CONTAINER_INFO` above
    /// version 1.
    ERROR_REVISION_MISMATCH: DWORD = status::ERROR_REVISION_MISMATCH;
    /// `SCARD_PROVIDER_CARD_MODULE`.
    SCARD_PROVIDER_CARD_MODULE: DWORD = 0x8000_0001;
    /// `CARD_DATA_VALUE_UNKNOWN`.
    CARD_DATA_VALUE_UNKNOWN: DWORD = 0xFFFF_FFFF;
    /// `CARD_DATA_VERSION_FOUR`.
    CARD_DATA_VERSION_FOUR: DWORD = keyward_card::minidriver::CARD_DATA_VERSION_FOUR;
    /// `CARD_DATA_VERSION_FIVE`.
    CARD_DATA_VERSION_FIVE: DWORD = 5;
    /// `CARD_DATA_VERSION_SIX`.
    CARD_DATA_VERSION_SIX: DWORD = 6;
    /// `CARD_DATA_VERSION_SEVEN`.
    CARD_DATA_VERSION_SEVEN: DWORD = keyward_card::minidriver::CARD_DATA_VERSION_SEVEN;
    /// `CARD_DATA_CURRENT_VERSION`.
    CARD_DATA_CURRENT_VERSION: DWORD = keyward_card::minidriver::CARD_DATA_CURRENT_VERSION;
    /// `CARD_SECURE_KEY_INJECTION_NO_CARD_MODE`.
    CARD_SECURE_KEY_INJECTION_NO_CARD_MODE: DWORD =
        keyward_card::minidriver::CARD_SECURE_KEY_INJECTION_NO_CARD_MODE;
    /// `CARD_KEY_IMPORT_PLAIN_TEXT`.
    CARD_KEY_IMPORT_PLAIN_TEXT: DWORD = properties::CARD_KEY_IMPORT_PLAIN_TEXT;
    /// `CARD_KEY_IMPORT_RSA_KEYEST`.
    CARD_KEY_IMPORT_RSA_KEYEST: DWORD = properties::CARD_KEY_IMPORT_RSA_KEYEST;
    /// `CARD_KEY_IMPORT_ECC_KEYEST`.
    CARD_KEY_IMPORT_ECC_KEYEST: DWORD = properties::CARD_KEY_IMPORT_ECC_KEYEST;
    /// `CARD_KEY_IMPORT_SHARED_SYMMETRIC`.
    CARD_KEY_IMPORT_SHARED_SYMMETRIC: DWORD = properties::CARD_KEY_IMPORT_SHARED_SYMMETRIC;
    /// `CARD_CIPHER_OPERATION`.
    CARD_CIPHER_OPERATION: DWORD = properties::CARD_CIPHER_OPERATION;
    /// `CARD_ASYMMETRIC_OPERATION`.
    CARD_ASYMMETRIC_OPERATION: DWORD = properties::CARD_ASYMMETRIC_OPERATION;
    /// `CARD_BLOCK_PADDING` (= `BCRYPT_BLOCK_PADDING`).
    CARD_BLOCK_PADDING: DWORD = properties::CARD_BLOCK_PADDING;
    /// `CARD_PADDING_INFO_PRESENT`.
    CARD_PADDING_INFO_PRESENT: DWORD = 0x4000_0000;
    /// `CARD_BUFFER_SIZE_ONLY`.
    CARD_BUFFER_SIZE_ONLY: DWORD = 0x2000_0000;
    /// `CARD_PADDING_NONE`.
    CARD_PADDING_NONE: DWORD = properties::CARD_PADDING_NONE;
    /// `CARD_PADDING_PKCS1`.
    CARD_PADDING_PKCS1: DWORD = properties::CARD_PADDING_PKCS1;
    /// `CARD_PADDING_PSS`.
    CARD_PADDING_PSS: DWORD = properties::CARD_PADDING_PSS;
    /// `CARD_PADDING_OAEP`.
    CARD_PADDING_OAEP: DWORD = properties::CARD_PADDING_OAEP;
    /// `CARD_RETURN_KEY_HANDLE`.
    CARD_RETURN_KEY_HANDLE: DWORD = 0x0100_0000;
    /// `CARD_IMPORT_KEYPAIR_VERSION_SEVEN`.
    CARD_IMPORT_KEYPAIR_VERSION_SEVEN: DWORD = secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_IMPORT_KEYPAIR_CURRENT_VERSION`.
    CARD_IMPORT_KEYPAIR_CURRENT_VERSION: DWORD = secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN`.
    CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION`.
    CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN`.
    CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION`.
    CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_AUTHENTICATE_VERSION_SEVEN`.
    CARD_AUTHENTICATE_VERSION_SEVEN: DWORD = secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_AUTHENTICATE_CURRENT_VERSION`.
    CARD_AUTHENTICATE_CURRENT_VERSION: DWORD = secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN`.
    CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION`.
    CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION: DWORD =
        secure_function::SECURE_FUNCTION_VERSION_SEVEN;
    /// `CONTAINER_INFO_CURRENT_VERSION`.
    CONTAINER_INFO_CURRENT_VERSION: DWORD = 1;
    /// `CARD_CAPABILITIES_CURRENT_VERSION`.
    CARD_CAPABILITIES_CURRENT_VERSION: DWORD = 1;
    /// `CARD_FILE_INFO_CURRENT_VERSION`.
    CARD_FILE_INFO_CURRENT_VERSION: DWORD = 1;
    /// `CARD_FREE_SPACE_INFO_CURRENT_VERSION`.
    CARD_FREE_SPACE_INFO_CURRENT_VERSION: DWORD = 1;
    /// `CARD_KEY_SIZES_CURRENT_VERSION`.
    CARD_KEY_SIZES_CURRENT_VERSION: DWORD = 1;
    /// `CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE`.
    CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE: DWORD = 1;
    /// `CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO`.
    CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO: DWORD = 2;
    /// `CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION`.
    CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION: DWORD = 2;
    /// `CARD_SIGNING_INFO_BASIC_VERSION`.
    CARD_SIGNING_INFO_BASIC_VERSION: DWORD = 1;
    /// `CARD_SIGNING_INFO_CURRENT_VERSION`.
    CARD_SIGNING_INFO_CURRENT_VERSION: DWORD = 2;
    /// `CARD_DH_AGREEMENT_INFO_VERSION`.
    CARD_DH_AGREEMENT_INFO_VERSION: DWORD = 2;
    /// `CARD_DERIVE_KEY_VERSION`.
    CARD_DERIVE_KEY_VERSION: DWORD = 1;
    /// `CARD_DERIVE_KEY_VERSION_TWO`.
    CARD_DERIVE_KEY_VERSION_TWO: DWORD = 2;
    /// `CARD_DERIVE_KEY_CURRENT_VERSION`.
    CARD_DERIVE_KEY_CURRENT_VERSION: DWORD = 2;
    /// `CARD_CREATE_CONTAINER_KEY_GEN`.
    CARD_CREATE_CONTAINER_KEY_GEN: DWORD = 1;
    /// `CARD_CREATE_CONTAINER_KEY_IMPORT`.
    CARD_CREATE_CONTAINER_KEY_IMPORT: DWORD = 2;
    /// `AT_KEYEXCHANGE`.
    AT_KEYEXCHANGE: DWORD = keyward_card::instructions::AT_KEYEXCHANGE as DWORD;
    /// `AT_SIGNATURE`.
    AT_SIGNATURE: DWORD = keyward_card::instructions::AT_SIGNATURE as DWORD;
    /// `AT_ECDSA_P256`.
    AT_ECDSA_P256: DWORD = keyward_card::instructions::AT_ECDSA_P256 as DWORD;
    /// `AT_ECDSA_P384` (not supported by the card).
    AT_ECDSA_P384: DWORD = 4;
    /// `AT_ECDSA_P521` (not supported by the card).
    AT_ECDSA_P521: DWORD = 5;
    /// `AT_ECDHE_P256`.
    AT_ECDHE_P256: DWORD = keyward_card::instructions::AT_ECDHE_P256 as DWORD;
    /// `AT_ECDHE_P384` (not supported by the card).
    AT_ECDHE_P384: DWORD = 7;
    /// `AT_ECDHE_P521` (not supported by the card).
    AT_ECDHE_P521: DWORD = 8;
    /// `MAX_PINS`.
    MAX_PINS: DWORD = 8;
    /// `ROLE_EVERYONE`.
    ROLE_EVERYONE: PIN_ID = 0;
    /// `ROLE_USER`.
    ROLE_USER: PIN_ID = 1;
    /// `ROLE_ADMIN`.
    ROLE_ADMIN: PIN_ID = 2;
    /// `PIN_SET_NONE`.
    PIN_SET_NONE: PIN_SET = 0;
    /// `PIN_SET_ALL_ROLES`.
    PIN_SET_ALL_ROLES: PIN_SET = 0xFF;
    /// `PIN_CHANGE_FLAG_UNBLOCK`.
    PIN_CHANGE_FLAG_UNBLOCK: DWORD = secure_function::PIN_CHANGE_FLAG_UNBLOCK;
    /// `PIN_CHANGE_FLAG_CHANGEPIN`.
    PIN_CHANGE_FLAG_CHANGEPIN: DWORD = secure_function::PIN_CHANGE_FLAG_CHANGEPIN;
    /// `CARD_AUTHENTICATE_GENERATE_SESSION_PIN` (not supported).
    CARD_AUTHENTICATE_GENERATE_SESSION_PIN: DWORD =
        secure_function::CARD_AUTHENTICATE_GENERATE_SESSION_PIN;
    /// `CARD_AUTHENTICATE_SESSION_PIN` (not supported).
    CARD_AUTHENTICATE_SESSION_PIN: DWORD = secure_function::CARD_AUTHENTICATE_SESSION_PIN;
    /// `CARD_PIN_STRENGTH_PLAINTEXT`.
    CARD_PIN_STRENGTH_PLAINTEXT: DWORD = 0x1;
    /// `CARD_PIN_STRENGTH_SESSION_PIN`.
    CARD_PIN_STRENGTH_SESSION_PIN: DWORD = 0x2;
    /// `CARD_PIN_SILENT_CONTEXT`: accepted by `CardAuthenticateEx` (keyward never shows UI).
    CARD_PIN_SILENT_CONTEXT: DWORD = 0x40;
    /// `CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE`.
    CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE: DWORD = 1;
    /// `CARD_AUTHENTICATE_PIN_PIN`.
    CARD_AUTHENTICATE_PIN_PIN: DWORD = 2;
    /// `PIN_INFO_CURRENT_VERSION`.
    PIN_INFO_CURRENT_VERSION: DWORD = 6;
    /// `PIN_CACHE_POLICY_CURRENT_VERSION`.
    PIN_CACHE_POLICY_CURRENT_VERSION: DWORD = 6;
    /// `InvalidDirAc`.
    InvalidDirAc: CARD_DIRECTORY_ACCESS_CONDITION = 0;
    /// `UserCreateDeleteDirAc`.
    UserCreateDeleteDirAc: CARD_DIRECTORY_ACCESS_CONDITION = 1;
    /// `AdminCreateDeleteDirAc`.
    AdminCreateDeleteDirAc: CARD_DIRECTORY_ACCESS_CONDITION = 2;
    /// `InvalidAc`.
    InvalidAc: CARD_FILE_ACCESS_CONDITION = 0;
    /// `EveryoneReadUserWriteAc`.
    EveryoneReadUserWriteAc: CARD_FILE_ACCESS_CONDITION = 1;
    /// `UserWriteExecuteAc`.
    UserWriteExecuteAc: CARD_FILE_ACCESS_CONDITION = 2;
    /// `EveryoneReadAdminWriteAc`.
    EveryoneReadAdminWriteAc: CARD_FILE_ACCESS_CONDITION = 3;
    /// `UnknownAc`.
    UnknownAc: CARD_FILE_ACCESS_CONDITION = 4;
    /// `UserReadWriteAc`.
    UserReadWriteAc: CARD_FILE_ACCESS_CONDITION = 5;
    /// `AdminReadWriteAc`.
    AdminReadWriteAc: CARD_FILE_ACCESS_CONDITION = 6;
    /// `PUBLICKEYBLOB` (wincrypt.h).
    PUBLICKEYBLOB: BYTE = 0x6;
    /// `CUR_BLOB_VERSION` (wincrypt.h).
    CUR_BLOB_VERSION: BYTE = 2;
    /// `CALG_RSA_KEYX` (wincrypt.h).
    CALG_RSA_KEYX: ALG_ID = 0xA400;
    /// `CALG_RSA_SIGN` (wincrypt.h).
    CALG_RSA_SIGN: ALG_ID = 0x2400;
    /// The `RSAPUBKEY` magic of a public key, "RSA1" (= `BCRYPT_RSAPUBLIC_MAGIC`).
    RSA1_MAGIC: DWORD = 0x3141_5352;
    /// `BCRYPT_ECDH_PUBLIC_P256_MAGIC` ("ECK1").
    BCRYPT_ECDH_PUBLIC_P256_MAGIC: ULONG = 0x314B_4345;
    /// `BCRYPT_ECDSA_PUBLIC_P256_MAGIC` ("ECS1").
    BCRYPT_ECDSA_PUBLIC_P256_MAGIC: ULONG = 0x3153_4345;
    /// `BCRYPT_KEY_DATA_BLOB_MAGIC` ("KDBM").
    BCRYPT_KEY_DATA_BLOB_MAGIC: ULONG = keyward_card::instructions::BCRYPT_KEY_DATA_BLOB_MAGIC;
    /// `BCRYPT_KEY_DATA_BLOB_VERSION1`.
    BCRYPT_KEY_DATA_BLOB_VERSION1: ULONG =
        keyward_card::instructions::BCRYPT_KEY_DATA_BLOB_VERSION1;
    /// keyward: the version of `KEYWARD_CARD_VENDOR_INFO`.
    KEYWARD_CARD_VENDOR_INFO_VERSION: DWORD = 1;
    /// keyward: `dwSecurityLevel` 0, the default (`KEYWARD_CARD_SECURITY_LEVEL_FULL`).
    KEYWARD_CARD_SECURITY_LEVEL_DEFAULT: DWORD = 0;
    /// keyward: SCP03 level `03`, C-DECRYPTION and C-MAC.
    KEYWARD_CARD_SECURITY_LEVEL_C_DECRYPTION: DWORD = 0x03;
    /// keyward: SCP03 level `13`, C-DECRYPTION, C-MAC and R-MAC.
    KEYWARD_CARD_SECURITY_LEVEL_C_DECRYPTION_R_MAC: DWORD = 0x13;
    /// keyward: SCP03 level `33`, C-DECRYPTION, R-ENCRYPTION, C-MAC and R-MAC.
    KEYWARD_CARD_SECURITY_LEVEL_FULL: DWORD = 0x33;
    /// keyward: the largest SCP03 key of `KEYWARD_CARD_KEYSET`, in bytes.
    KEYWARD_CARD_MAX_KEY_SIZE: DWORD = 32;
}

string_constants! {
    CARD_STRING_CONSTANTS:
    /// `CP_CARD_FREE_SPACE` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_FREE_SPACE = properties::OTHER_CARD_PROPERTIES[0];
    /// `CP_CARD_CAPABILITIES` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_CAPABILITIES = properties::OTHER_CARD_PROPERTIES[1];
    /// `CP_CARD_KEYSIZES` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_KEYSIZES = properties::OTHER_CARD_PROPERTIES[2];
    /// `CP_CARD_READ_ONLY` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_READ_ONLY = properties::OTHER_CARD_PROPERTIES[3];
    /// `CP_CARD_CACHE_MODE` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_CACHE_MODE = properties::OTHER_CARD_PROPERTIES[4];
    /// `CP_SUPPORTS_WIN_X509_ENROLLMENT` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_SUPPORTS_WIN_X509_ENROLLMENT = properties::OTHER_CARD_PROPERTIES[5];
    /// `CP_CARD_GUID` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_GUID = properties::OTHER_CARD_PROPERTIES[6];
    /// `CP_CARD_SERIAL_NO` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_SERIAL_NO = properties::OTHER_CARD_PROPERTIES[7];
    /// `CP_CARD_PIN_INFO` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_PIN_INFO = properties::OTHER_CARD_PROPERTIES[8];
    /// `CP_CARD_LIST_PINS` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_LIST_PINS = properties::OTHER_CARD_PROPERTIES[9];
    /// `CP_CARD_AUTHENTICATED_STATE` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_AUTHENTICATED_STATE = properties::OTHER_CARD_PROPERTIES[10];
    /// `CP_CARD_PIN_STRENGTH_VERIFY` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_PIN_STRENGTH_VERIFY = properties::OTHER_CARD_PROPERTIES[11];
    /// `CP_CARD_PIN_STRENGTH_CHANGE` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_PIN_STRENGTH_CHANGE = properties::OTHER_CARD_PROPERTIES[12];
    /// `CP_CARD_PIN_STRENGTH_UNBLOCK` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_CARD_PIN_STRENGTH_UNBLOCK = properties::OTHER_CARD_PROPERTIES[13];
    /// `CP_PARENT_WINDOW` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_PARENT_WINDOW = properties::OTHER_CARD_PROPERTIES[14];
    /// `CP_PIN_CONTEXT_STRING` (answered `SCARD_E_UNSUPPORTED_FEATURE`).
    CP_PIN_CONTEXT_STRING = properties::OTHER_CARD_PROPERTIES[15];
    /// `CP_KEY_IMPORT_SUPPORT`.
    CP_KEY_IMPORT_SUPPORT = properties::CP_KEY_IMPORT_SUPPORT;
    /// `CP_ENUM_ALGORITHMS`.
    CP_ENUM_ALGORITHMS = properties::CP_ENUM_ALGORITHMS;
    /// `CP_PADDING_SCHEMES`.
    CP_PADDING_SCHEMES = properties::CP_PADDING_SCHEMES;
    /// `CP_CHAINING_MODES`.
    CP_CHAINING_MODES = properties::CP_CHAINING_MODES;
    /// `CSF_IMPORT_KEYPAIR`.
    CSF_IMPORT_KEYPAIR = secure_function::CSF_IMPORT_KEYPAIR;
    /// `CSF_CHANGE_AUTHENTICATOR`.
    CSF_CHANGE_AUTHENTICATOR = secure_function::CSF_CHANGE_AUTHENTICATOR;
    /// `CSF_AUTHENTICATE`.
    CSF_AUTHENTICATE = secure_function::CSF_AUTHENTICATE;
    /// `CKP_CHAINING_MODE`.
    CKP_CHAINING_MODE = properties::CKP_CHAINING_MODE;
    /// `CKP_INITIALIZATION_VECTOR`.
    CKP_INITIALIZATION_VECTOR = properties::CKP_INITIALIZATION_VECTOR;
    /// `CKP_BLOCK_LENGTH`.
    CKP_BLOCK_LENGTH = properties::CKP_BLOCK_LENGTH;
    /// `CARD_3DES_112_ALGORITHM` (= `BCRYPT_3DES_112_ALGORITHM`; not supported).
    CARD_3DES_112_ALGORITHM = "3DES_112";
    /// `CARD_3DES_ALGORITHM` (= `BCRYPT_3DES_ALGORITHM`; not supported).
    CARD_3DES_ALGORITHM = "3DES";
    /// `CARD_AES_ALGORITHM` (= `BCRYPT_AES_ALGORITHM`).
    CARD_AES_ALGORITHM = properties::CARD_AES_ALGORITHM;
    /// `CARD_CHAIN_MODE_CBC` (= `BCRYPT_CHAIN_MODE_CBC`).
    CARD_CHAIN_MODE_CBC = properties::CARD_CHAIN_MODE_CBC;
    /// `BCRYPT_KEY_LENGTHS`.
    BCRYPT_KEY_LENGTHS = properties::BCRYPT_KEY_LENGTHS;
    /// `wszCARD_USER_EVERYONE`.
    wszCARD_USER_EVERYONE = "anonymous";
    /// `wszCARD_USER_USER`.
    wszCARD_USER_USER = "user";
    /// `wszCARD_USER_ADMIN`.
    wszCARD_USER_ADMIN = "admin";
}

/// The blob type of a session key; `cardmod.h` takes it from `sslprovider.h`
/// (`BCRYPT_KEY_DATA_BLOB`), which plays `bcrypt.h` here.
pub(crate) const KEY_DATA_BLOB: &str = session_key::BCRYPT_KEY_DATA_BLOB;
const _: () = assert!(KEY_DATA_BLOB.len() == crate::types::BCRYPT_KEY_DATA_BLOB.len());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_sizes_end_where_the_next_version_starts() {
        assert_eq!(card_data_size(4), offset_of!(CARD_DATA, pfnCardDeriveKey));
        assert!(card_data_size(5) > card_data_size(4));
        assert!(card_data_size(6) > card_data_size(5));
        assert_eq!(card_data_size(7), size_of::<CARD_DATA>());
        assert_eq!(card_data_size(9), size_of::<CARD_DATA>());
    }

    #[test]
    fn the_other_properties_are_those_of_cardmod() {
        assert_eq!(CP_CARD_FREE_SPACE, "Free Space");
        assert_eq!(CP_PIN_CONTEXT_STRING, "PIN Context String");
        assert_eq!(KEY_DATA_BLOB, crate::types::BCRYPT_KEY_DATA_BLOB);
    }
}

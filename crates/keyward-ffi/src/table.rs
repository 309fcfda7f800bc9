//! `GetSChannelInterface`: the provider's function table (`NCRYPT_SSL_FUNCTION_TABLE`).

use core::ffi::c_void;

use keyward_core::Status;

use crate::hash::*;
use crate::keys::*;
use crate::master::*;
use crate::provider::*;
use crate::ptr::{out, wide_string};
use crate::record::*;
use crate::suites::*;
use crate::tls13::*;
use crate::types::*;

/// One slot of the table: a function's address. The C header gives each slot its typed
/// `Ssl<Name>Fn`; the layout (one pointer) is the same.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct FunctionPointer(*const c_void);

// SAFETY: the pointers are addresses of this library's functions, immutable and valid for the
// whole life of the process; sharing them between threads is harmless.
unsafe impl Sync for FunctionPointer {}

/// The names of the table's slots in slot order (reference §2), without the `Ssl` prefix.
pub const SLOT_NAMES: [&str; 41] = [
    "ComputeClientAuthHash",
    "ComputeEapKeyBlock",
    "ComputeFinishedHash",
    "CreateEphemeralKey",
    "CreateHandshakeHash",
    "DecryptPacket",
    "EncryptPacket",
    "EnumCipherSuites",
    "ExportKey",
    "FreeBuffer",
    "FreeObject",
    "GenerateMasterKey",
    "GenerateSessionKeys",
    "GetKeyProperty",
    "GetProviderProperty",
    "HashHandshake",
    "ImportMasterKey",
    "ImportKey",
    "LookupCipherSuiteInfo",
    "OpenPrivateKey",
    "OpenProvider",
    "SignHash",
    "VerifySignature",
    "LookupCipherLengths",
    "CreateClientAuthHash",
    "GetCipherSuitePRFHashAlgorithm",
    "ComputeSessionHash",
    "GeneratePreMasterKey",
    "EnumEccCurves",
    "ExportKeyingMaterial",
    "ExtractEarlyKey",
    "ExtractHandshakeKey",
    "ExtractMasterKey",
    "ExpandTrafficKeys",
    "ExpandWriteKey",
    "ExpandExporterMasterKey",
    "EnumCipherSuitesEx",
    "ExpandResumptionMasterKey",
    "DuplicateTranscriptHash",
    "ExpandBinderKey",
    "ExpandPreSharedKey",
];

/// `NCRYPT_SSL_FUNCTION_TABLE` of interface version 5: the version, then one pointer per
/// slot of [`SLOT_NAMES`].
#[repr(C)]
#[derive(Debug)]
pub struct NCRYPT_SSL_FUNCTION_TABLE {
    /// `{5, 0}`.
    pub Version: BCRYPT_INTERFACE_VERSION,
    /// The functions, in slot order.
    pub Functions: [FunctionPointer; 41],
}

macro_rules! slots {
    ($($function:ident),* $(,)?) => {
        [$(FunctionPointer($function as *const c_void)),*]
    };
}

static FUNCTION_TABLE: NCRYPT_SSL_FUNCTION_TABLE = NCRYPT_SSL_FUNCTION_TABLE {
    Version: BCRYPT_INTERFACE_VERSION {
        MajorVersion: KEYWARD_SSL_INTERFACE_MAJOR_VERSION as USHORT,
        MinorVersion: 0,
    },
    Functions: slots![
        SslComputeClientAuthHash,
        SslComputeEapKeyBlock,
        SslComputeFinishedHash,
        SslCreateEphemeralKey,
        SslCreateHandshakeHash,
        SslDecryptPacket,
        SslEncryptPacket,
        SslEnumCipherSuites,
        SslExportKey,
        SslFreeBuffer,
        SslFreeObject,
        SslGenerateMasterKey,
        SslGenerateSessionKeys,
        SslGetKeyProperty,
        SslGetProviderProperty,
        SslHashHandshake,
        SslImportMasterKey,
        SslImportKey,
        SslLookupCipherSuiteInfo,
        SslOpenPrivateKey,
        SslOpenProvider,
        SslSignHash,
        SslVerifySignature,
        SslLookupCipherLengths,
        SslCreateClientAuthHash,
        SslGetCipherSuitePRFHashAlgorithm,
        SslComputeSessionHash,
        SslGeneratePreMasterKey,
        SslEnumEccCurves,
        SslExportKeyingMaterial,
        SslExtractEarlyKey,
        SslExtractHandshakeKey,
        SslExtractMasterKey,
        SslExpandTrafficKeys,
        SslExpandWriteKey,
        SslExpandExporterMasterKey,
        SslEnumCipherSuitesEx,
        SslExpandResumptionMasterKey,
        SslDuplicateTranscriptHash,
        SslExpandBinderKey,
        SslExpandPreSharedKey,
    ],
};

/// `GetSChannelInterface`: the function table of the provider named `pszProviderName`
/// (NULL or `MS_SCHANNEL_PROVIDER`); the table is static and must not be written. Returns an `NTSTATUS`: `STATUS_INVALID_PARAMETER` for a
/// NULL output or non-zero flags, `STATUS_NOT_FOUND` for another name.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn GetSChannelInterface(
    pszProviderName: LPCWSTR,
    ppFunctionTable: *mut *mut NCRYPT_SSL_FUNCTION_TABLE,
    dwFlags: DWORD,
) -> NTSTATUS {
    let result = std::panic::catch_unwind(|| {
        if dwFlags != 0 {
            return Status::STATUS_INVALID_PARAMETER;
        }
        if !pszProviderName.is_null() {
            match wide_string(pszProviderName, 256) {
                Ok(name) if name == MS_SCHANNEL_PROVIDER => {}
                Ok(_) => return Status::STATUS_NOT_FOUND,
                Err(_) => return Status::STATUS_INVALID_PARAMETER,
            }
        }
        let Ok(table) = out(ppFunctionTable) else {
            return Status::STATUS_INVALID_PARAMETER;
        };
        // The Windows signature hands out a mutable pointer; the table must not be written.
        *table = &FUNCTION_TABLE as *const NCRYPT_SSL_FUNCTION_TABLE as *mut _;
        Status(0)
    });
    result.unwrap_or(Status::NTE_INTERNAL_ERROR).0
}

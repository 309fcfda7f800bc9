//! `GetSChannelInterface`: the provider's function table (`NCRYPT_SSL_FUNCTION_TABLE`).

use core::cell::UnsafeCell;
use core::ffi::c_void;

use keyward_core::Status;

use crate::boundary::StatusFamily;
use crate::hash::*;
use crate::keys::*;
use crate::master::*;
use crate::provider::*;
use crate::ptr::{caller, out_ptr, wide_string};
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

/// The names of the table's slots in slot order (docs/ssl-provider.md, "The function table"),
/// without the `Ssl` prefix.
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

/// The table `GetSChannelInterface` hands out, in writable memory: the Windows signature gives
/// the caller a `NCRYPT_SSL_FUNCTION_TABLE *`, not a pointer to const, so a caller may write
/// through it (to hook a slot, say), and a table in a plain `static` would be read-only memory
/// (a write would fault, and would be undefined behaviour in Rust).
///
/// One table per process, as on Windows, rather than a copy per call: a copy per call would
/// have to be leaked (the caller never frees the table), so a caller asking once per
/// connection would grow without bound. The price is the Windows one: a slot one caller
/// writes is what later callers see.
struct WritableTable(UnsafeCell<NCRYPT_SSL_FUNCTION_TABLE>);

// SAFETY: keyward never reads or writes the table after its constant initialisation; it only
// hands out the raw pointer. Callers alone access it, and ordering their writes with their
// reads is theirs to do, as with the Windows table.
unsafe impl Sync for WritableTable {}

static FUNCTION_TABLE: WritableTable = WritableTable(UnsafeCell::new(NCRYPT_SSL_FUNCTION_TABLE {
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
}));

/// `GetSChannelInterface`: the function table of the provider named `pszProviderName`
/// (NULL or `MS_SCHANNEL_PROVIDER`): one table per process, in memory the caller may write
/// (every call returns the same table, with whatever a caller wrote into it). Returns an
/// `NTSTATUS`: `STATUS_INVALID_PARAMETER` for a
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
    Status::boundary(|| {
        if dwFlags != 0 {
            return Err(Status::STATUS_INVALID_PARAMETER);
        }
        if !pszProviderName.is_null() {
            match caller!(wide_string(pszProviderName, 256)) {
                Ok(name) if name == MS_SCHANNEL_PROVIDER => {}
                Ok(_) => return Err(Status::STATUS_NOT_FOUND),
                Err(_) => return Err(Status::STATUS_INVALID_PARAMETER),
            }
        }
        let table =
            caller!(out_ptr(ppFunctionTable)).map_err(|_| Status::STATUS_INVALID_PARAMETER)?;
        table.write(FUNCTION_TABLE.0.get());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_may_write_the_table() {
        let mut table: *mut NCRYPT_SSL_FUNCTION_TABLE = core::ptr::null_mut();
        // SAFETY: a valid out-pointer; NULL names the default provider.
        let status = unsafe { GetSChannelInterface(core::ptr::null(), &mut table, 0) };
        assert_eq!(status, 0);
        assert!(!table.is_null());
        // SAFETY: `table` points to the process's table, which the caller may read and write;
        // no other test touches it.
        unsafe {
            assert_eq!((*table).Version.MajorVersion, 5);
            let open_provider = (*table).Functions[20];
            assert_eq!(open_provider.0, SslOpenProvider as *const c_void);
            // Hook a slot and the version, as a caller may, then put them back.
            (*table).Functions[20] = FunctionPointer(core::ptr::null());
            (*table).Version.MinorVersion = 7;
            let mut again: *mut NCRYPT_SSL_FUNCTION_TABLE = core::ptr::null_mut();
            assert_eq!(GetSChannelInterface(core::ptr::null(), &mut again, 0), 0);
            assert_eq!(again, table, "one table per process");
            assert!((*again).Functions[20].0.is_null());
            assert_eq!((*again).Version.MinorVersion, 7);
            (*table).Functions[20] = open_provider;
            (*table).Version.MinorVersion = 0;
        }
    }
}

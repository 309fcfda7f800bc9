//! Provider lifetime and enumeration (docs/ssl-provider.md, "Provider functions"):
//! `SslOpenProvider`, the reference counts, `SslEnumProtocolProviders`, `SslFreeObject`,
//! `SslFreeBuffer`, `SslGetProviderProperty`, `SslChangeNotify`.

use keyward_core::{Error, Status};
use keyward_ssl::provider::{enum_protocol_providers, MS_SCHANNEL_PROVIDER};
use keyward_ssl::{Provider, KEYWARD_ISOLATED_PROVIDER};
use std::path::Path;

use crate::boundary::StatusFamily;
use crate::buffers::{self, Allocation};
use crate::handles;
use crate::ptr::{caller, no_flags, out, wide, wide_string, write_len};
use crate::types::*;

/// Longest provider name accepted, in UTF-16 code units.
const MAX_PROVIDER_NAME: usize = 256;
/// Longest property name (`NCRYPT_SSL_MAX_NAME_SIZE`).
const MAX_PROPERTY_NAME: usize = NCRYPT_SSL_MAX_NAME_SIZE;

/// `SslOpenProvider`: opens the provider; a NULL name means `MS_SCHANNEL_PROVIDER`.
///
/// Key isolation with no code change: the name "Keyward Isolated SSL Provider"
/// ([`KEYWARD_ISOLATED_PROVIDER`]), or any provider name while the environment variable
/// `KEYWARD_KEYISO=SOCKET` is set, opens the isolated provider over the keyiso daemon
/// (`keyward_keyiso::isolated_provider`; the default socket without the variable). The
/// functions that touch private keys and handshake secrets then run in the daemon, record
/// protection stays here. No daemon is `NTE_PROV_DLL_NOT_FOUND`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslOpenProvider(
    phSslProvider: *mut NCRYPT_PROV_HANDLE,
    pszProviderName: LPCWSTR,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let handle = caller!(out(phSslProvider))?;
        if dwFlags != 0 {
            return Err(Error::InvalidParameter("dwFlags must be 0"));
        }
        let name = if pszProviderName.is_null() {
            None
        } else {
            Some(caller!(wide_string(pszProviderName, MAX_PROVIDER_NAME))?)
        };
        *handle = handles::insert_provider(open_provider(name.as_deref())?)?;
        Ok(())
    })
}

/// The environment variable that routes every `SslOpenProvider` to the keyiso daemon.
pub const KEYWARD_KEYISO: &str = "KEYWARD_KEYISO";

/// The provider `SslOpenProvider` opens for `name` (see there).
fn open_provider(name: Option<&str>) -> keyward_core::Result<Provider> {
    let socket = std::env::var_os(KEYWARD_KEYISO).filter(|socket| !socket.is_empty());
    match (socket, name) {
        // Any name the caller knows (NULL, ours, the isolated one) goes to the daemon.
        (Some(socket), None | Some(MS_SCHANNEL_PROVIDER | KEYWARD_ISOLATED_PROVIDER)) => {
            keyward_keyiso::isolated_provider(Path::new(&socket))
        }
        (None, Some(KEYWARD_ISOLATED_PROVIDER)) => keyward_keyiso::isolated_provider_default(),
        (_, name) => Provider::open(name),
    }
}

/// `SslIncrementProviderReferenceCount`.
///
/// # Safety
/// None beyond passing a handle.
#[no_mangle]
pub unsafe extern "system" fn SslIncrementProviderReferenceCount(
    hSslProvider: NCRYPT_PROV_HANDLE,
) -> SECURITY_STATUS {
    Error::boundary(|| handles::add_provider_ref(hSslProvider))
}

/// `SslDecrementProviderReferenceCount`. A bad handle is `STATUS_INVALID_HANDLE`, as
/// documented for this function.
///
/// # Safety
/// None beyond passing a handle.
#[no_mangle]
pub unsafe extern "system" fn SslDecrementProviderReferenceCount(
    hSslProvider: NCRYPT_PROV_HANDLE,
) -> SECURITY_STATUS {
    match Error::boundary(|| handles::release_provider(hSslProvider)) {
        status if status == Status::NTE_INVALID_HANDLE.0 => Status::STATUS_INVALID_HANDLE.0,
        status => status,
    }
}

/// `SslEnumProtocolProviders`: one block of `NCryptProviderName`s, freed with
/// `SslFreeBuffer`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslEnumProtocolProviders(
    pdwProviderCount: *mut DWORD,
    ppProviderList: *mut *mut NCryptProviderName,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let count = caller!(out(pdwProviderCount))?;
        let list = caller!(out(ppProviderList))?;
        no_flags(dwFlags)?;
        let providers = enum_protocol_providers();
        let mut strings: Vec<u16> = Vec::new();
        let mut offsets = Vec::new();
        for provider in providers {
            offsets.push(strings.len());
            strings.extend(wide(provider.name));
            offsets.push(strings.len());
            strings.extend(wide(provider.comment));
        }
        let base = strings.as_mut_ptr();
        let entries: Box<[NCryptProviderName]> = offsets
            .chunks_exact(2)
            .map(|pair| NCryptProviderName {
                pszName: base.wrapping_add(pair[0]),
                pszComment: base.wrapping_add(pair[1]),
            })
            .collect();
        let address = buffers::give(Allocation::Providers {
            entries,
            _strings: strings,
        })?;
        *count = providers.len() as DWORD;
        *list = address as *mut NCryptProviderName;
        Ok(())
    })
}

/// `SslFreeObject`: frees a key or hash, or drops one reference of a provider.
///
/// # Safety
/// None beyond passing a handle.
#[no_mangle]
pub unsafe extern "system" fn SslFreeObject(
    hObject: NCRYPT_HANDLE,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::get(hObject)?;
        no_flags(dwFlags)?;
        handles::free(hObject)
    })
}

/// `SslFreeBuffer`: frees memory the library handed out. NULL and pointers the library did
/// not hand out (or already took back) are `NTE_INVALID_PARAMETER`.
///
/// # Safety
/// None: the pointer is only looked up, never dereferenced unless the library made it.
#[no_mangle]
pub unsafe extern "system" fn SslFreeBuffer(pvInput: PVOID) -> SECURITY_STATUS {
    Error::boundary(|| {
        if pvInput.is_null() {
            return Err(Error::InvalidParameter("NULL buffer"));
        }
        buffers::free(pvInput as usize)
    })
}

/// `SslGetProviderProperty`: after checking its arguments, always `NTE_NOT_SUPPORTED` (the
/// provider has no properties, as Windows').
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslGetProviderProperty(
    hSslProvider: NCRYPT_PROV_HANDLE,
    pszProperty: LPCWSTR,
    ppbOutput: *mut PBYTE,
    pcbOutput: *mut DWORD,
    ppEnumState: *mut PVOID,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = ppEnumState;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let name = caller!(wide_string(pszProperty, MAX_PROPERTY_NAME))?;
        caller!(out(ppbOutput))?;
        caller!(write_len(pcbOutput, 0))?;
        no_flags(dwFlags)?;
        provider.property(&name).map(|_| ())
    })
}

/// `SslChangeNotify`: not implemented, as on Windows (`NTE_NOT_SUPPORTED`).
///
/// # Safety
/// None.
#[no_mangle]
pub unsafe extern "system" fn SslChangeNotify(hEvent: HANDLE, dwFlags: DWORD) -> SECURITY_STATUS {
    let _ = (hEvent, dwFlags);
    Status::NTE_NOT_SUPPORTED.0
}

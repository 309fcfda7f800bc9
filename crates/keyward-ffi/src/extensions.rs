//! keyward's own additions to the C API, prefixed `Keyward`: what a C program needs that
//! Windows gets elsewhere (the certificate store, NCrypt) or leaves undefined.

use std::sync::Arc;

use crate::handles::{self, Object};
use keyward_core::Error;

use crate::boundary::StatusFamily;
use crate::ptr::{caller, no_flags, out, required_input, wide_string};
use crate::types::*;

/// Longest key name accepted, in UTF-16 code units.
const MAX_KEY_NAME: usize = 128;

/// `KeywardImportPrivateKey`: stores an unencrypted PKCS#8 private key (RSA 2048–4096, EC
/// P-256/P-384) with its DER certificate under `pszKeyName` in the provider's key store
/// (`KEYWARD_HOME`, or the default), so `SslOpenPrivateKey` finds it by certificate. A name
/// already used, or a certificate that is not for the key, is an error
/// (`NTE_INVALID_PARAMETER`, `NTE_BAD_DATA`); an unsupported key is `NTE_NOT_SUPPORTED`.
///
/// # Safety
/// Pointers must be valid for their lengths; `pszKeyName` NUL-terminated.
#[no_mangle]
pub unsafe extern "system" fn KeywardImportPrivateKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    pszKeyName: LPCWSTR,
    pbPkcs8: PBYTE,
    cbPkcs8: DWORD,
    pbCertificate: PBYTE,
    cbCertificate: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let name = caller!(wide_string(pszKeyName, MAX_KEY_NAME))?;
        let pkcs8 = caller!(required_input(pbPkcs8, cbPkcs8))?;
        let certificate = caller!(required_input(pbCertificate, cbCertificate))?;
        no_flags(dwFlags)?;
        provider.key_store()?.import(&name, pkcs8, certificate)?;
        Ok(())
    })
}

/// `KeywardUpdateTrafficSecret`: the next application traffic secret of TLS 1.3 (RFC 8446
/// §7.2, KeyUpdate), as a new handle; follow with `SslExpandWriteKey`. Windows has no
/// documented call for this (docs/ssl-provider.md, "Open questions").
///
/// # Safety
/// `phNewTrafficKey` must be valid for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardUpdateTrafficSecret(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hTrafficKey: NCRYPT_KEY_HANDLE,
    phNewTrafficKey: *mut NCRYPT_KEY_HANDLE,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let traffic = handles::tls13_secret(hTrafficKey)?;
        let handle = caller!(out(phNewTrafficKey))?;
        no_flags(dwFlags)?;
        let next = traffic.update_traffic_secret()?;
        *handle = handles::insert(hSslProvider, Object::Tls13Secret(Arc::new(next)))?;
        Ok(())
    })
}

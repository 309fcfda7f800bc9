//! Handshake hashes (docs/ssl-provider.md, "Handshake hashes"): `SslCreateHandshakeHash`,
//! `SslHashHandshake`, `SslDuplicateTranscriptHash`, `SslCreateClientAuthHash`,
//! `SslComputeSessionHash`.

use std::sync::{Arc, Mutex};

use keyward_core::Error;

use crate::boundary::StatusFamily;
use crate::handles::{self, Object};
use crate::ids;
use crate::ptr::{caller, input, no_flags, out, wide_string, write_result};
use crate::types::*;

/// `SslCreateHandshakeHash`: MD5 + SHA-1 before TLS 1.2, else the suite's hash. The flags
/// are checked first, as Windows does.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslCreateHandshakeHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    phHandshakeHash: *mut NCRYPT_HASH_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        no_flags(dwFlags)?;
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phHandshakeHash))?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let hash = provider.create_handshake_hash(protocol, suite)?;
        *handle = handles::insert(hSslProvider, Object::Hash(Arc::new(Mutex::new(hash))))?;
        Ok(())
    })
}

/// `SslHashHandshake`: appends handshake messages (with their 4-byte headers).
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslHashHandshake(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hHandshakeHash: NCRYPT_HASH_HANDLE,
    pbInput: PBYTE,
    cbInput: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let hash = handles::hash(hHandshakeHash)?;
        let data = caller!(input(pbInput, cbInput))?;
        no_flags(dwFlags)?;
        handles::lock(&hash).update(data);
        Ok(())
    })
}

/// `SslDuplicateTranscriptHash`: an independent copy of a running hash.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslDuplicateTranscriptHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hTranscriptHash: NCRYPT_HASH_HANDLE,
    phTranscriptHash: *mut NCRYPT_HASH_HANDLE,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let hash = handles::hash(hTranscriptHash)?;
        let handle = caller!(out(phTranscriptHash))?;
        no_flags(dwFlags)?;
        let copy = handles::lock(&hash).duplicate();
        *handle = handles::insert(hSslProvider, Object::Hash(Arc::new(Mutex::new(copy))))?;
        Ok(())
    })
}

/// `SslCreateClientAuthHash`: a transcript hash with the CertificateVerify hash
/// `pszHashAlgId` (`L"SHA256"`, …).
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslCreateClientAuthHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    phHandshakeHash: *mut NCRYPT_HASH_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    pszHashAlgId: LPCWSTR,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phHandshakeHash))?;
        let algorithm = caller!(wide_string(pszHashAlgId, NCRYPT_SSL_MAX_NAME_SIZE))?;
        no_flags(dwFlags)?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let algorithm = ids::client_auth_hash(&algorithm)?;
        let hash = provider.create_client_auth_hash(protocol, suite, algorithm)?;
        *handle = handles::insert(hSslProvider, Object::Hash(Arc::new(Mutex::new(hash))))?;
        Ok(())
    })
}

/// `SslComputeSessionHash`: the running transcript digest for the extended master secret
/// (RFC 7627), without finalising the hash. `dwProtocol` must be the hash's protocol.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslComputeSessionHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hHandshakeHash: NCRYPT_HASH_HANDLE,
    dwProtocol: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let hash = handles::hash(hHandshakeHash)?;
        caller!(out(pcbResult))?;
        no_flags(dwFlags)?;
        let digest = {
            let hash = handles::lock(&hash);
            if ids::protocol_id(hash.protocol()) != dwProtocol {
                return Err(Error::InvalidParameter(
                    "dwProtocol differs from the hash's",
                ));
            }
            hash.current_digest()
        };
        caller!(write_result(&digest, pbOutput, cbOutput, pcbResult))
    })
}

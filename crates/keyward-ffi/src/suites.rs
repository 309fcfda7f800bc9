//! Cipher-suite information (docs/ssl-provider.md, "Cipher-suite information"):
//! `SslEnumCipherSuites[Ex]`, `SslLookupCipherSuiteInfo`, `SslLookupCipherLengths`,
//! `SslGetCipherSuitePRFHashAlgorithm`, `SslEnumEccCurves`.

use keyward_core::Error;
use keyward_ssl::{CipherSuiteInfo, Group};

use crate::boundary::StatusFamily;
use crate::buffers::{self, Allocation, SuiteEnumeration};
use crate::handles;
use crate::ids;
use crate::ptr::{caller, fill_wide, no_flags, out};
use crate::types::*;

fn cipher_suite(info: &CipherSuiteInfo) -> NCRYPT_SSL_CIPHER_SUITE {
    let suite = info.suite;
    let mut entry = NCRYPT_SSL_CIPHER_SUITE {
        dwProtocol: ids::protocol_id(info.protocol),
        dwCipherSuite: u32::from(suite.id),
        dwBaseCipherSuite: u32::from(suite.id),
        szCipherSuite: [0; NCRYPT_SSL_MAX_NAME_SIZE],
        szCipher: [0; NCRYPT_SSL_MAX_NAME_SIZE],
        dwCipherLen: info.cipher_bits,
        dwCipherBlockLen: info.cipher_block_len,
        szHash: [0; NCRYPT_SSL_MAX_NAME_SIZE],
        dwHashLen: info.hash_len,
        szExchange: [0; NCRYPT_SSL_MAX_NAME_SIZE],
        dwMinExchangeLen: info.min_exchange_bits,
        dwMaxExchangeLen: info.max_exchange_bits,
        szCertificate: [0; NCRYPT_SSL_MAX_NAME_SIZE],
        dwKeyType: 0,
    };
    fill_wide(&mut entry.szCipherSuite, suite.name);
    fill_wide(&mut entry.szCipher, suite.cng_cipher());
    fill_wide(&mut entry.szHash, suite.cng_mac_hash());
    fill_wide(&mut entry.szExchange, suite.key_exchange.cng_name());
    fill_wide(&mut entry.szCertificate, suite.key_exchange.certificate());
    entry
}

fn cipher_suite_ex(info: &CipherSuiteInfo) -> NCRYPT_SSL_CIPHER_SUITE_EX {
    let base = cipher_suite(info);
    let mut entry = NCRYPT_SSL_CIPHER_SUITE_EX {
        dwVersion: NCRYPT_SSL_CIPHER_SUITE_EX_VERSION,
        dwProtocol: base.dwProtocol,
        dwCipherSuite: base.dwCipherSuite,
        dwBaseCipherSuite: base.dwBaseCipherSuite,
        szCipherSuite: base.szCipherSuite,
        szCipher: base.szCipher,
        dwCipherLen: base.dwCipherLen,
        dwCipherBlockLen: base.dwCipherBlockLen,
        szHash: base.szHash,
        dwHashLen: base.dwHashLen,
        szExchange: base.szExchange,
        dwMinExchangeLen: base.dwMinExchangeLen,
        dwMaxExchangeLen: base.dwMaxExchangeLen,
        szCertificate: base.szCertificate,
        dwKeyType: base.dwKeyType,
        szCipherMode: [0; NCRYPT_SSL_MAX_NAME_SIZE],
    };
    fill_wide(&mut entry.szCipherMode, info.suite.cng_cipher_mode());
    entry
}

/// The shared body of the two enumerations: the first call (NULL `*ppEnumState`) builds the
/// state, every call returns the next entry, the end is `NTE_NO_MORE_ITEMS`.
unsafe fn enumerate<T: Copy>(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    ppCipherSuite: *mut *mut T,
    ppEnumState: *mut PVOID,
    dwFlags: DWORD,
    convert: fn(&CipherSuiteInfo) -> T,
    wrap: fn(Box<SuiteEnumeration<T>>) -> Allocation,
    unwrap: fn(&mut Allocation) -> Option<&mut SuiteEnumeration<T>>,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let entry = caller!(out(ppCipherSuite))?;
        let state = caller!(out(ppEnumState))?;
        no_flags(dwFlags)?;
        let key = match hPrivateKey {
            0 => None,
            handle => Some(handles::private_key(handle)?),
        };
        if state.is_null() {
            let entries = provider
                .enum_cipher_suites(key.as_deref())
                .iter()
                .map(convert)
                .collect();
            let enumeration = Box::new(SuiteEnumeration { entries, next: 0 });
            *state = buffers::give(wrap(enumeration))? as PVOID;
        }
        let next = buffers::with_state(*state as usize, |allocation| {
            let enumeration = unwrap(allocation)?;
            let next = enumeration
                .entries
                .get_mut(enumeration.next)
                .map(|e| e as *mut T);
            if next.is_some() {
                enumeration.next += 1;
            }
            Some(next)
        })?;
        *entry = next.ok_or(Error::NoMoreItems)?;
        Ok(())
    })
}

/// `SslEnumCipherSuites`: one `NCRYPT_SSL_CIPHER_SUITE` per call until `NTE_NO_MORE_ITEMS`;
/// the entries belong to `*ppEnumState`, which the caller frees with `SslFreeBuffer`. With a
/// private key, only the suites it can serve.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslEnumCipherSuites(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    ppCipherSuite: *mut *mut NCRYPT_SSL_CIPHER_SUITE,
    ppEnumState: *mut PVOID,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    caller!(enumerate(
        hSslProvider,
        hPrivateKey,
        ppCipherSuite,
        ppEnumState,
        dwFlags,
        cipher_suite,
        Allocation::CipherSuites,
        |allocation| match allocation {
            Allocation::CipherSuites(state) => Some(state),
            _ => None,
        },
    ))
}

/// `SslEnumCipherSuitesEx`: as `SslEnumCipherSuites`, with `NCRYPT_SSL_CIPHER_SUITE_EX`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslEnumCipherSuitesEx(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    ppCipherSuite: *mut *mut NCRYPT_SSL_CIPHER_SUITE_EX,
    ppEnumState: *mut PVOID,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    caller!(enumerate(
        hSslProvider,
        hPrivateKey,
        ppCipherSuite,
        ppEnumState,
        dwFlags,
        cipher_suite_ex,
        Allocation::CipherSuitesEx,
        |allocation| match allocation {
            Allocation::CipherSuitesEx(state) => Some(state),
            _ => None,
        },
    ))
}

/// `SslLookupCipherSuiteInfo`: fills one `NCRYPT_SSL_CIPHER_SUITE`. `dwKeyType` does not
/// change the answer (suites are not split per curve).
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslLookupCipherSuiteInfo(
    hSslProvider: NCRYPT_PROV_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    dwKeyType: DWORD,
    pCipherSuite: *mut NCRYPT_SSL_CIPHER_SUITE,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = dwKeyType;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let entry = caller!(out(pCipherSuite))?;
        no_flags(dwFlags)?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        *entry = cipher_suite(&provider.lookup_cipher_suite_info(protocol, suite)?);
        Ok(())
    })
}

/// `SslLookupCipherLengths`, in the check order of docs/ssl-provider.md, "Cipher-suite
/// information": a protocol below TLS 1.1 is `NTE_NOT_SUPPORTED` before the handle is looked at.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslLookupCipherLengths(
    hSslProvider: NCRYPT_PROV_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    dwKeyType: DWORD,
    pCipherLengths: *mut NCRYPT_SSL_CIPHER_LENGTHS,
    cbCipherLengths: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = dwKeyType;
    Error::boundary(|| {
        if dwProtocol < TLS1_1_PROTOCOL_VERSION {
            return Err(Error::NotSupported("protocol below TLS 1.1"));
        }
        let provider = handles::provider(hSslProvider)?;
        if (cbCipherLengths as usize) < core::mem::size_of::<NCRYPT_SSL_CIPHER_LENGTHS>() {
            return Err(Error::InvalidParameter("cbCipherLengths below 20"));
        }
        let entry = caller!(out(pCipherLengths))?;
        no_flags(dwFlags)?;
        // Past the range check, an unknown protocol or suite is NTE_INVALID_PARAMETER here.
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)
            .map_err(|_| Error::InvalidParameter("unknown protocol or cipher suite"))?;
        let lengths = provider.lookup_cipher_lengths(protocol, suite)?;
        *entry = NCRYPT_SSL_CIPHER_LENGTHS {
            cbLength: core::mem::size_of::<NCRYPT_SSL_CIPHER_LENGTHS>() as DWORD,
            dwHeaderLen: lengths.header_len as DWORD,
            dwFixedTrailerLen: lengths.fixed_trailer_len as DWORD,
            dwMaxVariableTrailerLen: lengths.max_variable_trailer_len as DWORD,
            dwFlags: if lengths.block_padding {
                NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING
            } else {
                0
            },
        };
        Ok(())
    })
}

/// `SslGetCipherSuitePRFHashAlgorithm`: writes `L"SHA256"` or `L"SHA384"` (TLS 1.2 and
/// later).
///
/// # Safety
/// `szPRFHash` must point to `NCRYPT_SSL_MAX_NAME_SIZE` writable `WCHAR`s.
#[no_mangle]
pub unsafe extern "system" fn SslGetCipherSuitePRFHashAlgorithm(
    hSslProvider: NCRYPT_PROV_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    dwKeyType: DWORD,
    szPRFHash: *mut WCHAR,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = dwKeyType;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let name = caller!(out(szPRFHash as *mut [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE]))?;
        no_flags(dwFlags)?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        fill_wide(
            name,
            provider.cipher_suite_prf_hash(protocol, suite)?.cng_name(),
        );
        Ok(())
    })
}

/// `SslEnumEccCurves`: the supported curves in one block, freed with `SslFreeBuffer`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslEnumEccCurves(
    hSslProvider: NCRYPT_PROV_HANDLE,
    pEccCurveCount: *mut DWORD,
    ppEccCurve: *mut *mut NCRYPT_SSL_ECC_CURVE,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let count = caller!(out(pEccCurveCount))?;
        let list = caller!(out(ppEccCurve))?;
        no_flags(dwFlags)?;
        let curves: Box<[NCRYPT_SSL_ECC_CURVE]> = provider
            .enum_ecc_curves()
            .iter()
            .map(|curve| {
                let mut entry = NCRYPT_SSL_ECC_CURVE {
                    szCurveName: [0; MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH],
                    szOID: [0; MSCRYPT_ECC_MAX_OID_LENGTH],
                    dwPublicKeyLength: Group::Ec(curve.curve).bits(),
                    dwCurveType: DWORD::from(curve.curve.tls_group()),
                    dwFlags: 0,
                };
                fill_wide(&mut entry.szCurveName, curve.name);
                for (slot, byte) in entry.szOID.iter_mut().zip(curve.oid.bytes()) {
                    *slot = byte as CHAR;
                }
                entry
            })
            .collect();
        let len = curves.len();
        let address = buffers::give(Allocation::Curves(curves))?;
        *count = len as DWORD;
        *list = address as *mut NCRYPT_SSL_ECC_CURVE;
        Ok(())
    })
}

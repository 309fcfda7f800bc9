//! Keys (docs/ssl-provider.md, "Keys and key properties" and "Signatures"): `SslOpenPrivateKey`,
//! `SslCreateEphemeralKey`, `SslImportKey`, `SslExportKey`, `SslGetKeyProperty`, `SslSignHash`,
//! `SslVerifySignature`.

use std::sync::Arc;

use keyward_core::backend::HashAlgorithm;
use keyward_core::Error;
use keyward_ssl::{EphemeralKey, OpaqueKey, PublicKey, SignaturePadding};
use zeroize::Zeroizing;

use crate::boundary::StatusFamily;
use crate::buffers::{self, Allocation};
use crate::handles::{self, Object};
use crate::ids::{self, BlobType};
use crate::ptr::{
    caller, in_ref, input, no_flags, out, required_input, wide_string, write_len, write_result,
};
use crate::types::*;

/// Longest blob-type or property name accepted, in UTF-16 code units.
const MAX_NAME: usize = NCRYPT_SSL_MAX_NAME_SIZE;
/// Longest hash-id prefix of `SslSignHash`, in bytes with its NUL (docs/ssl-provider.md,
/// "Signatures").
const MAX_HASH_ID_BYTES: usize = 128;

/// `SslOpenPrivateKey`: the key of the certificate, from the key store (`KEYWARD_HOME`, or
/// the default store). A certificate with no key in the store is `NTE_NOT_FOUND`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslOpenPrivateKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    phPrivateKey: *mut NCRYPT_KEY_HANDLE,
    pCertContext: PCCERT_CONTEXT,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phPrivateKey))?;
        let context = caller!(in_ref(pCertContext))?;
        no_flags(dwFlags)?;
        let certificate = caller!(required_input(context.pbCertEncoded, context.cbCertEncoded))?;
        let key = provider.open_private_key(certificate)?;
        *handle = handles::insert(hSslProvider, Object::PrivateKey(Arc::new(key)))?;
        Ok(())
    })
}

/// `SslCreateEphemeralKey`: a fresh key for DHE, ECDHE or a TLS 1.3 key share. `dwKeyType`
/// is the TLS group (23, 24, 25, 29, 256–260) or 0; for DHE `pbParams` may carry
/// `BCRYPT_DH_PARAMETERS` of an RFC 7919 group.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslCreateEphemeralKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    phEphemeralKey: *mut NCRYPT_KEY_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    dwKeyType: DWORD,
    dwKeyBitLen: DWORD,
    pbParams: PBYTE,
    cbParams: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phEphemeralKey))?;
        no_flags(dwFlags)?;
        let params = caller!(input(pbParams, cbParams))?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let group = ids::ephemeral_group(
            suite,
            dwKeyType,
            dwKeyBitLen,
            (!params.is_empty()).then_some(params),
        )?;
        let key = provider.create_ephemeral_key(protocol, suite, group)?;
        *handle = handles::insert(hSslProvider, Object::EphemeralKey(Arc::new(key)))?;
        Ok(())
    })
}

/// `SslImportKey`. Blob types: the public blobs of a peer (`BCRYPT_RSAPUBLIC_BLOB`,
/// `BCRYPT_ECCPUBLIC_BLOB`, `BCRYPT_DH_PUBLIC_BLOB`); `BCRYPT_OPAQUE_KEY_BLOB` from
/// `SslExportKey` (master, session and TLS 1.3 keys); `TLS_13_PRE_SHARED_KEY`, whose payload
/// keyward defines as `DWORD dwProtocol, DWORD dwCipherSuite` (little-endian) followed by the
/// PSK; and, as a keyward extension, `BCRYPT_ECCPRIVATE_BLOB` / `BCRYPT_DH_PRIVATE_BLOB` for an
/// ephemeral key pair made elsewhere. Others are `NTE_NOT_SUPPORTED`. The name is looked up
/// in `ids.rs`'s one table of blob-type names after the pointers and flags are checked.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslImportKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    phKey: *mut NCRYPT_KEY_HANDLE,
    pszBlobType: LPCWSTR,
    pbKeyBlob: PBYTE,
    cbKeyBlob: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phKey))?;
        let blob_type = caller!(wide_string(pszBlobType, MAX_NAME))?;
        let blob = caller!(required_input(pbKeyBlob, cbKeyBlob))?;
        no_flags(dwFlags)?;
        let object = match ids::blob_type(&blob_type) {
            Some(BlobType::Public(blob_type)) => {
                Object::PublicKey(Arc::new(provider.import_public_key(blob_type, blob)?))
            }
            Some(BlobType::Private(blob_type)) => {
                Object::EphemeralKey(Arc::new(EphemeralKey::import_private(blob_type, blob)?))
            }
            Some(BlobType::Opaque) => match provider.import_opaque_key(blob)? {
                OpaqueKey::Master(key) => Object::MasterKey(Arc::new(key)),
                OpaqueKey::Session(key) => Object::SessionKey(Arc::new(key)),
                OpaqueKey::Tls13(secret) => Object::Tls13Secret(Arc::new(secret)),
            },
            Some(BlobType::PreSharedKey) => {
                let (header, psk) = blob
                    .split_at_checked(8)
                    .ok_or(Error::BadData("TLS13PRESHAREDKEY shorter than its header"))?;
                let (dw_protocol, dw_suite) = header.split_at(4);
                let dword = |bytes: &[u8]| {
                    bytes
                        .try_into()
                        .map(u32::from_le_bytes)
                        .map_err(|_| Error::Internal("DWORD split"))
                };
                let (protocol, suite) = ids::suite(dword(dw_protocol)?, dword(dw_suite)?)?;
                let secret = provider.import_pre_shared_key(protocol, suite, psk)?;
                Object::Tls13Secret(Arc::new(secret))
            }
            Some(BlobType::KeyData) | None => return Err(Error::NotSupported("blob type")),
        };
        *handle = handles::insert(hSslProvider, object)?;
        Ok(())
    })
}

/// `SslExportKey`. Ephemeral keys, imported public keys and key pairs export as their public
/// blob; master keys, session keys and TLS 1.3 secrets only as `BCRYPT_OPAQUE_KEY_BLOB`
/// (sealed, for `SslImportKey` in another process over the same key store), except that TLS
/// 1.3 secrets and write keys may also leave raw as `BCRYPT_KEY_DATA_BLOB`. Any other name,
/// known to `ids.rs`'s table or not, is `NTE_NOT_SUPPORTED` once the key handle is valid.
/// Two-call size query.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExportKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hKey: NCRYPT_KEY_HANDLE,
    pszBlobType: LPCWSTR,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        caller!(out(pcbResult))?;
        no_flags(dwFlags)?;
        let key = handles::get(hKey)?;
        let blob_type = caller!(wide_string(pszBlobType, MAX_NAME))?;
        let blob_type = ids::blob_type(&blob_type);
        let opaque = blob_type == Some(BlobType::Opaque);
        let key_data = blob_type == Some(BlobType::KeyData);
        let public = |key: &PublicKey| match blob_type {
            Some(BlobType::Public(blob_type)) => key.export(blob_type),
            _ => Err(Error::NotSupported("blob type for this key")),
        };
        let blob = Zeroizing::new(match key {
            Object::EphemeralKey(key) => public(&key.public_key())?,
            Object::PublicKey(key) => public(&key)?,
            Object::PrivateKey(key) => public(&key.public_key())?,
            Object::MasterKey(key) if opaque => provider.export_master_key(&key)?,
            Object::SessionKey(key) if opaque => provider.export_session_key(&key)?,
            Object::SessionKey(key) if key_data => provider.export_write_key_data(&key)?,
            Object::Tls13Secret(key) if opaque => provider.export_tls13_secret(&key)?,
            Object::Tls13Secret(key) if key_data => provider.export_key_data(&key)?,
            Object::MasterKey(_)
            | Object::SessionKey(_)
            | Object::Tls13Secret(_)
            | Object::PreMasterKey(_) => return Err(Error::NotSupported("blob type for this key")),
            Object::Provider(_) | Object::Hash(_) => return Err(Error::InvalidHandle),
        });
        caller!(write_result(&blob, pbOutput, cbOutput, pcbResult))
    })
}

/// `SslGetKeyProperty`: `SSL_KEY_TYPE_PROPERTY` of an ephemeral key (a `DWORD`), and
/// `NCRYPT_ALGORITHM_GROUP_PROPERTY` / `NCRYPT_LENGTH_PROPERTY` of a key pair. The value is
/// one allocation, freed with `SslFreeBuffer`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslGetKeyProperty(
    hKey: NCRYPT_KEY_HANDLE,
    pszProperty: LPCWSTR,
    ppbOutput: *mut PBYTE,
    pcbOutput: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let key = handles::get(hKey)?;
        let name = caller!(wide_string(pszProperty, MAX_NAME))?;
        let output = caller!(out(ppbOutput))?;
        caller!(out(pcbOutput))?;
        no_flags(dwFlags)?;
        let value = match key {
            Object::EphemeralKey(key) => key.property(&name)?,
            Object::PrivateKey(key) => key.property(&name)?,
            _ => return Err(Error::InvalidHandle),
        };
        let len = value.len();
        let address = buffers::give(Allocation::Bytes(value.into_boxed_slice()))?;
        caller!(write_len(pcbOutput, len))?;
        *output = address as PBYTE;
        Ok(())
    })
}

/// Reads the padding from `dwFlags` of `SslSignHash` / `SslVerifySignature` (reference
/// §8.11): no flag is raw PKCS#1 (RSA) or plain ECDSA; `NCRYPT_SSL_SIGN_INCLUDE_HASHOID` and
/// `NCRYPT_SSL_SIGN_USE_PSS_PADDING` (RSA only, not both) expect `pbHashValue` to start with
/// the NUL-terminated UTF-16 CNG hash name, followed by the hash. Returns the padding and
/// the hash.
fn signature_padding(
    flags: DWORD,
    hash_value: &[u8],
    rsa: bool,
) -> Result<(SignaturePadding, &[u8]), Error> {
    let padded = match flags {
        0 => return Ok((SignaturePadding::Raw, hash_value)),
        _ if !rsa => return Err(Error::InvalidParameter("padding flags on a non-RSA key")),
        NCRYPT_SSL_SIGN_INCLUDE_HASHOID => SignaturePadding::Pkcs1,
        NCRYPT_SSL_SIGN_USE_PSS_PADDING => SignaturePadding::Pss,
        _ => return Err(Error::InvalidParameter("dwFlags")),
    };
    let mut name = Vec::new();
    for (i, unit) in hash_value.chunks_exact(2).enumerate() {
        if 2 * (i + 1) > MAX_HASH_ID_BYTES {
            break;
        }
        let unit = u16::from_le_bytes([unit[0], unit[1]]);
        if unit == 0 {
            let algorithm = String::from_utf16(&name)
                .ok()
                .and_then(|name| HashAlgorithm::from_cng_name(&name))
                .ok_or(Error::NotSupported("hash algorithm"))?;
            return Ok((padded(algorithm), &hash_value[2 * (i + 1)..]));
        }
        name.push(unit);
    }
    Err(Error::InvalidParameter(
        "hash value lacks its hash-name prefix",
    ))
}

/// `SslSignHash` with a key pair from `SslOpenPrivateKey`. RSA: raw PKCS#1 type 1 (the
/// MD5‖SHA-1 of TLS ≤ 1.1), PKCS#1 v1.5 with DigestInfo, or PSS with a salt of the hash's
/// length; ECDSA: `r ‖ s`, each the field's width (not DER). Two-call size query.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslSignHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    pbHashValue: PBYTE,
    cbHashValue: DWORD,
    pbSignature: PBYTE,
    cbSignature: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::private_key(hPrivateKey)?;
        caller!(out(pcbResult))?;
        let hash_value = caller!(required_input(pbHashValue, cbHashValue))?;
        let (padding, hash) = signature_padding(dwFlags, hash_value, key.is_rsa())?;
        if pbSignature.is_null() {
            return caller!(write_len(pcbResult, key.signature_len()));
        }
        let signature = key.sign_hash(hash, padding)?;
        caller!(write_result(
            &signature,
            pbSignature,
            cbSignature,
            pcbResult
        ))
    })
}

/// `SslVerifySignature`: the mirror of `SslSignHash` with a public key (an imported one, or
/// the public half of a key pair); a bad signature is `NTE_BAD_SIGNATURE`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslVerifySignature(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPublicKey: NCRYPT_KEY_HANDLE,
    pbHashValue: PBYTE,
    cbHashValue: DWORD,
    pbSignature: PBYTE,
    cbSignature: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::public_key(hPublicKey)?;
        let hash_value = caller!(required_input(pbHashValue, cbHashValue))?;
        let signature = caller!(required_input(pbSignature, cbSignature))?;
        let rsa = matches!(*key, PublicKey::Rsa(_));
        let (padding, hash) = signature_padding(dwFlags, hash_value, rsa)?;
        key.verify_signature(hash, signature, padding)
    })
}

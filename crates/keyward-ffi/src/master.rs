//! Master secrets and what is derived from them (docs/ssl-provider.md, from "RSA key exchange" to
//! "Finished, CertificateVerify, EAP and exporters"):
//! `SslGenerateMasterKey`, `SslImportMasterKey`, `SslGeneratePreMasterKey`,
//! `SslGenerateSessionKeys`, `SslComputeFinishedHash`, `SslComputeClientAuthHash`,
//! `SslComputeEapKeyBlock`, `SslExportKeyingMaterial`.

use std::sync::Arc;

use keyward_core::Error;
use keyward_ssl::master::{EAP_KEY_BLOCK_LEN, FINISHED_LEN};
use keyward_ssl::provider::MasterKeyExchange;
use keyward_ssl::{CipherSuite, KeyExchange, Parameters, PreMasterKey, Protocol, Provider};

use crate::boundary::StatusFamily;
use crate::handles::{self, Object};
use crate::ids;
use crate::params::parameters;
use crate::ptr::{
    c_string, caller, input, no_flags, out, output, required_input, wide_string, write_len,
    write_result,
};
use crate::types::*;

/// Longest exporter label accepted, in bytes.
const MAX_LABEL: usize = 255;

/// The RSA client's side of both `SslGenerateMasterKey` and `SslGeneratePreMasterKey`: the
/// size of the encrypted premaster in `*pcbResult`, and, unless `pbOutput` is NULL (a size
/// query: `None`), a fresh premaster whose encryption to `hPublicKey` goes to `pbOutput`.
unsafe fn rsa_premaster(
    provider: &Provider,
    hPublicKey: NCRYPT_KEY_HANDLE,
    protocol: Protocol,
    suite: &'static CipherSuite,
    params: &Parameters<'_>,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
) -> Result<Option<PreMasterKey>, Error> {
    let server_key = handles::public_key(hPublicKey)?;
    let needed = provider.encrypted_premaster_len(&server_key)?;
    caller!(write_len(pcbResult, needed))?;
    if pbOutput.is_null() {
        return Ok(None);
    }
    if (cbOutput as usize) < needed {
        return Err(Error::BufferTooSmall { needed });
    }
    let (premaster, encrypted) =
        provider.generate_premaster_key(&server_key, protocol, suite, params)?;
    caller!(write_result(&encrypted, pbOutput, cbOutput, pcbResult))?;
    Ok(Some(premaster))
}

/// `SslGenerateMasterKey`. (EC)DHE, either side: `hPrivateKey` is the own ephemeral key and
/// `hPublicKey` the peer's; no output. RSA, client only: `hPrivateKey` is 0 (a premaster is
/// made here and its encryption to `hPublicKey` written to `pbOutput`, two-call size query)
/// or a premaster from `SslGeneratePreMasterKey`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslGenerateMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    hPublicKey: NCRYPT_KEY_HANDLE,
    phMasterKey: *mut NCRYPT_KEY_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    pParameterList: PNCryptBufferDesc,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phMasterKey))?;
        // The suite is checked here, in the Windows order; the key exchange decides below.
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let params = caller!(parameters(pParameterList))?;
        let side = ids::side(dwFlags)?;
        let exchange = provider.master_key_exchange(protocol, suite, side, hPrivateKey != 0)?;
        let master = match exchange {
            MasterKeyExchange::RsaPremaster => match handles::get(hPrivateKey)? {
                Object::PreMasterKey(premaster) => premaster.master_key(&params)?,
                _ => return Err(Error::InvalidHandle),
            },
            MasterKeyExchange::RsaNewPremaster => {
                let Some(premaster) = caller!(rsa_premaster(
                    &provider, hPublicKey, protocol, suite, &params, pbOutput, cbOutput, pcbResult,
                ))?
                else {
                    return Ok(());
                };
                premaster.master_key(&params)?
            }
            MasterKeyExchange::Agreement => {
                let own = handles::ephemeral_key(hPrivateKey)?;
                let peer = handles::public_key(hPublicKey)?;
                provider.generate_master_key(&own, &peer, protocol, suite, &params, side)?
            }
        };
        *handle = handles::insert(hSslProvider, Object::MasterKey(Arc::new(master)))?;
        Ok(())
    })
}

/// `SslImportMasterKey`: the server side of RSA key exchange, Bleichenbacher-safe (a bad
/// premaster never shows: the handshake fails at Finished). Checks in the order of reference
/// §8.3.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslImportMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    phMasterKey: *mut NCRYPT_KEY_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    pParameterList: PNCryptBufferDesc,
    pbEncryptedKey: PBYTE,
    cbEncryptedKey: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let key = handles::private_key(hPrivateKey)?;
        let handle = caller!(out(phMasterKey))?;
        if suite.key_exchange != KeyExchange::Rsa {
            return Err(Error::BadAlgorithm);
        }
        let encrypted = caller!(required_input(pbEncryptedKey, cbEncryptedKey))?;
        if dwFlags & !NCRYPT_SSL_SERVER_FLAG != 0 {
            return Err(Error::BadFlags);
        }
        let params = caller!(parameters(pParameterList))?;
        let master = provider.import_master_key(&key, protocol, suite, &params, encrypted)?;
        *handle = handles::insert(hSslProvider, Object::MasterKey(Arc::new(master)))?;
        Ok(())
    })
}

/// `SslGeneratePreMasterKey`: the RSA client's premaster as its own object, and its
/// encryption to `hPublicKey` in `pbOutput` (two-call size query). `dwFlags` is 0 or
/// `NCRYPT_SSL_CLIENT_FLAG`.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslGeneratePreMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPublicKey: NCRYPT_KEY_HANDLE,
    phPreMasterKey: *mut NCRYPT_KEY_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    pParameterList: PNCryptBufferDesc,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handle = caller!(out(phPreMasterKey))?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let params = caller!(parameters(pParameterList))?;
        if dwFlags & !NCRYPT_SSL_CLIENT_FLAG != 0 {
            return Err(Error::BadFlags);
        }
        let Some(premaster) = caller!(rsa_premaster(
            &provider, hPublicKey, protocol, suite, &params, pbOutput, cbOutput, pcbResult,
        ))?
        else {
            return Ok(());
        };
        *handle = handles::insert(hSslProvider, Object::PreMasterKey(Arc::new(premaster)))?;
        Ok(())
    })
}

/// `SslGenerateSessionKeys`: the read and write keys of a master key; the parameter list
/// must hold both randoms.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslGenerateSessionKeys(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    phReadKey: *mut NCRYPT_KEY_HANDLE,
    phWriteKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let master = handles::master_key(hMasterKey)?;
        let read = caller!(out(phReadKey))?;
        let write = caller!(out(phWriteKey))?;
        no_flags(dwFlags)?;
        let params = caller!(parameters(pParameterList))?;
        let keys = master.generate_session_keys(&params)?;
        let [read_handle, write_handle] = handles::insert_all(
            hSslProvider,
            [
                Some(Object::SessionKey(Arc::new(keys.read))),
                Some(Object::SessionKey(Arc::new(keys.write))),
            ],
        )?;
        *read = read_handle;
        *write = write_handle;
        Ok(())
    })
}

/// `SslComputeFinishedHash`. TLS ≤ 1.2 (a master key): the 12-byte `verify_data` of the
/// Finished message sent by the side named in `dwFlags`. TLS 1.3 (a traffic or binder key):
/// the HMAC of the transcript, `cbOutput` = the hash length.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslComputeFinishedHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    hHandshakeHash: NCRYPT_HASH_HANDLE,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::get(hMasterKey)?;
        let hash = handles::hash(hHandshakeHash)?;
        let out = caller!(output(pbOutput, cbOutput))
            .filter(|out| !out.is_empty())
            .ok_or(Error::InvalidParameter("missing output buffer"))?;
        let transcript = handles::lock(&hash).duplicate();
        let verify_data = match key {
            Object::MasterKey(master) => {
                let sender = ids::side(dwFlags)?;
                if out.len() != FINISHED_LEN {
                    return Err(Error::InvalidParameter("Finished is 12 bytes"));
                }
                master.compute_finished_hash(&transcript, sender)?.to_vec()
            }
            Object::Tls13Secret(secret) => {
                if dwFlags & !(NCRYPT_SSL_CLIENT_FLAG | NCRYPT_SSL_SERVER_FLAG) != 0 {
                    return Err(Error::BadFlags);
                }
                let verify_data = secret.compute_finished_hash(&transcript)?;
                if out.len() != verify_data.len() {
                    return Err(Error::InvalidParameter("cbOutput is not the hash length"));
                }
                verify_data
            }
            _ => return Err(Error::InvalidHandle),
        };
        out.copy_from_slice(&verify_data);
        Ok(())
    })
}

/// `SslComputeClientAuthHash`: the hash a client signs in CertificateVerify. `pszAlgId`
/// names the signature algorithm (`L"RSA"`, `L"ECDSA"`) before TLS 1.2. Two-call size query.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslComputeClientAuthHash(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    hHandshakeHash: NCRYPT_HASH_HANDLE,
    pszAlgId: LPCWSTR,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let master = handles::master_key(hMasterKey)?;
        let hash = handles::hash(hHandshakeHash)?;
        caller!(out(pcbResult))?;
        no_flags(dwFlags)?;
        let algorithm = caller!(wide_string(pszAlgId, NCRYPT_SSL_MAX_NAME_SIZE))?;
        let transcript = handles::lock(&hash).duplicate();
        let digest = master.compute_client_auth_hash(&transcript, &algorithm)?;
        caller!(write_result(&digest, pbOutput, cbOutput, pcbResult))
    })
}

/// `SslComputeEapKeyBlock`: 192 bytes of EAP keying material; the low byte of `dwFlags` is
/// the EAP method (`NCRYPT_SSL_EAP_*`). Checks in the order of docs/ssl-provider.md, "Finished,
/// CertificateVerify, EAP and exporters".
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslComputeEapKeyBlock(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    pbRandoms: PBYTE,
    cbRandoms: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let master = handles::master_key(hMasterKey)?;
        caller!(out(pcbResult))?;
        if dwFlags & !NCRYPT_SSL_EAP_PRF_FIELD != 0 || dwFlags > NCRYPT_SSL_EAP_FAST_ID {
            return Err(Error::BadFlags);
        }
        let randoms: &[u8; 64] = caller!(required_input(pbRandoms, cbRandoms))?
            .try_into()
            .map_err(|_| Error::InvalidParameter("cbRandoms must be 64"))?;
        caller!(write_len(pcbResult, EAP_KEY_BLOCK_LEN))?;
        let Some(out) = caller!(output(pbOutput, cbOutput)) else {
            return Ok(());
        };
        let out = out
            .get_mut(..EAP_KEY_BLOCK_LEN)
            .ok_or(Error::BufferTooSmall {
                needed: EAP_KEY_BLOCK_LEN,
            })?;
        let block = master.compute_eap_key_block(randoms, dwFlags as u8)?;
        out.copy_from_slice(block.expose());
        Ok(())
    })
}

/// `SslExportKeyingMaterial`. TLS ≤ 1.2 (a master key): RFC 5705 with the 64 bytes of
/// `client_random ‖ server_random` in `pbRandoms`; a non-NULL context (even empty) is
/// included with its length. TLS 1.3 (an exporter master secret): RFC 8446 §7.5, no
/// randoms. The label is ASCII, its NUL not included.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExportKeyingMaterial(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    sLabel: PCHAR,
    pbRandoms: PBYTE,
    cbRandoms: DWORD,
    pbContextValue: PBYTE,
    cbContextValue: WORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::get(hMasterKey)?;
        let label = caller!(c_string(sLabel, MAX_LABEL))?;
        no_flags(dwFlags)?;
        let randoms = caller!(input(pbRandoms, cbRandoms))?;
        let context = if pbContextValue.is_null() {
            None
        } else {
            Some(caller!(input(pbContextValue, DWORD::from(cbContextValue)))?)
        };
        let out = caller!(output(pbOutput, cbOutput))
            .filter(|out| !out.is_empty())
            .ok_or(Error::InvalidParameter("missing output buffer"))?;
        match key {
            Object::MasterKey(master) => {
                let randoms: &[u8; 64] = randoms
                    .try_into()
                    .map_err(|_| Error::InvalidParameter("cbRandoms must be 64"))?;
                master.export_keying_material(label, randoms, context, out)
            }
            Object::Tls13Secret(secret) => {
                if !randoms.is_empty() {
                    return Err(Error::InvalidParameter("TLS 1.3 exporters take no randoms"));
                }
                secret.export_keying_material(label, context, out)
            }
            _ => Err(Error::InvalidHandle),
        }
    })
}

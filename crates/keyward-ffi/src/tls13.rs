//! The TLS 1.3 key schedule (RFC 8446 §7.1; docs/ssl-provider.md, "The TLS 1.3 key schedule"):
//! `SslExtractEarlyKey`,
//! `SslExtractHandshakeKey`, `SslExtractMasterKey`, `SslExpandTrafficKeys`,
//! `SslExpandWriteKey`, `SslExpandExporterMasterKey`, `SslExpandResumptionMasterKey`,
//! `SslExpandBinderKey`, `SslExpandPreSharedKey`.
//!
//! The optional parameter lists of these functions carry nothing keyward needs; they are
//! accepted and not read.

use std::sync::Arc;

use keyward_core::Error;
use keyward_ssl::Tls13Secret;

use crate::boundary::StatusFamily;
use crate::handles::{self, Object};
use crate::ids;
use crate::ptr::{caller, input, no_flags, out};
use crate::types::*;

/// Registers a new TLS 1.3 secret made through `provider` in `*handle`.
fn give(
    provider: NCRYPT_PROV_HANDLE,
    handle: &mut NCRYPT_KEY_HANDLE,
    secret: Tls13Secret,
) -> Result<(), Error> {
    *handle = handles::insert(provider, Object::Tls13Secret(Arc::new(secret)))?;
    Ok(())
}

/// The shape `SslExpandExporterMasterKey` and `SslExpandResumptionMasterKey` share: a secret
/// expanded with the transcript of `hash` into a new secret in `*handle`, checked in the
/// order provider, secret, hash, output, flags.
///
/// # Safety
/// `handle` must be NULL or valid for a write, as the Windows functions require.
unsafe fn expand_with_transcript(
    provider: NCRYPT_PROV_HANDLE,
    secret: NCRYPT_KEY_HANDLE,
    hash: NCRYPT_HASH_HANDLE,
    handle: *mut NCRYPT_KEY_HANDLE,
    flags: DWORD,
    expand: fn(
        &keyward_ssl::Provider,
        &Tls13Secret,
        &keyward_ssl::HandshakeHash,
    ) -> Result<Tls13Secret, Error>,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        let provider_object = handles::provider(provider)?;
        let secret = handles::tls13_secret(secret)?;
        let hash = handles::hash(hash)?;
        // SAFETY: the caller's contract: `handle` is NULL or valid for a write.
        let handle = unsafe { out(handle) }?;
        no_flags(flags)?;
        let transcript = handles::lock(&hash).duplicate();
        give(
            provider,
            handle,
            expand(&provider_object, &secret, &transcript)?,
        )
    })
}

/// `SslExtractEarlyKey`: the early secret, from a PSK (`TLS13PRESHAREDKEY` import or
/// `SslExpandPreSharedKey`) or, with `hPreSharedKey` 0, from zeros.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExtractEarlyKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPreSharedKey: NCRYPT_KEY_HANDLE,
    phEarlyKey: *mut NCRYPT_KEY_HANDLE,
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let psk = match hPreSharedKey {
            0 => None,
            handle => Some(handles::tls13_secret(handle)?),
        };
        let handle = caller!(out(phEarlyKey))?;
        no_flags(dwFlags)?;
        let (protocol, suite) = ids::suite(dwProtocol, dwCipherSuite)?;
        let early = provider.extract_early_key(psk.as_deref(), protocol, suite)?;
        give(hSslProvider, handle, early)
    })
}

/// `SslExtractHandshakeKey`: the handshake secret from the (EC)DHE agreement of the own key
/// share and the peer's.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExtractHandshakeKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hPrivateKey: NCRYPT_KEY_HANDLE,
    hPublicKey: NCRYPT_KEY_HANDLE,
    hEarlyKey: NCRYPT_KEY_HANDLE,
    phHandshakeKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let own = handles::ephemeral_key(hPrivateKey)?;
        let peer = handles::public_key(hPublicKey)?;
        let early = handles::tls13_secret(hEarlyKey)?;
        let handle = caller!(out(phHandshakeKey))?;
        no_flags(dwFlags)?;
        give(
            hSslProvider,
            handle,
            provider.extract_handshake_key(&own, &peer, &early)?,
        )
    })
}

/// `SslExtractMasterKey`: the master secret from the handshake secret.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExtractMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hHandshakeKey: NCRYPT_KEY_HANDLE,
    phMasterKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let handshake = handles::tls13_secret(hHandshakeKey)?;
        let handle = caller!(out(phMasterKey))?;
        no_flags(dwFlags)?;
        give(
            hSslProvider,
            handle,
            provider.extract_master_key(&handshake)?,
        )
    })
}

/// `SslExpandTrafficKeys`: the client and server traffic secrets of a stage (early:
/// client only; handshake; application) over the transcript so far. Either output may be
/// NULL, not both; a secret the stage does not have is returned as 0.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandTrafficKeys(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hBaseKey: NCRYPT_KEY_HANDLE,
    hHashValue: NCRYPT_HASH_HANDLE,
    phClientTrafficKey: *mut NCRYPT_KEY_HANDLE,
    phServerTrafficKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let base = handles::tls13_secret(hBaseKey)?;
        let hash = handles::hash(hHashValue)?;
        let client = (!phClientTrafficKey.is_null())
            .then(|| caller!(out(phClientTrafficKey)))
            .transpose()?;
        let server = (!phServerTrafficKey.is_null())
            .then(|| caller!(out(phServerTrafficKey)))
            .transpose()?;
        if client.is_none() && server.is_none() {
            return Err(Error::InvalidParameter("no output handle"));
        }
        no_flags(dwFlags)?;
        let transcript = handles::lock(&hash).duplicate();
        let (client_secret, server_secret) = provider.expand_traffic_keys(&base, &transcript)?;
        let secret = |wanted: bool, secret: Option<Tls13Secret>| {
            secret
                .filter(|_| wanted)
                .map(|secret| Object::Tls13Secret(Arc::new(secret)))
        };
        let [client_handle, server_handle] = handles::insert_all(
            hSslProvider,
            [
                secret(client.is_some(), client_secret),
                secret(server.is_some(), server_secret),
            ],
        )?;
        if let Some(client) = client {
            *client = client_handle;
        }
        if let Some(server) = server {
            *server = server_handle;
        }
        Ok(())
    })
}

/// `SslExpandWriteKey`: the record key (`key`, `iv`) of a traffic secret, for
/// `SslEncryptPacket` with the own secret and `SslDecryptPacket` with the peer's.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandWriteKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hBaseTrafficKey: NCRYPT_KEY_HANDLE,
    phWriteKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let traffic = handles::tls13_secret(hBaseTrafficKey)?;
        let handle = caller!(out(phWriteKey))?;
        no_flags(dwFlags)?;
        let key = provider.expand_write_key(&traffic)?;
        *handle = handles::insert(hSslProvider, Object::SessionKey(Arc::new(key)))?;
        Ok(())
    })
}

/// `SslExpandExporterMasterKey`: "e exp master" from the early secret or "exp master" from
/// the master secret.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandExporterMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hBaseKey: NCRYPT_KEY_HANDLE,
    hHashValue: NCRYPT_HASH_HANDLE,
    phExporterMasterKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    // SAFETY: the caller's pointer, passed on as received; `expand_with_transcript` checks it.
    unsafe {
        expand_with_transcript(
            hSslProvider,
            hBaseKey,
            hHashValue,
            phExporterMasterKey,
            dwFlags,
            keyward_ssl::Provider::expand_exporter_master_key,
        )
    }
}

/// `SslExpandResumptionMasterKey`: "res master" from the master secret.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandResumptionMasterKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hMasterKey: NCRYPT_KEY_HANDLE,
    hHashValue: NCRYPT_HASH_HANDLE,
    phResumptionMasterKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    // SAFETY: the caller's pointer, passed on as received; `expand_with_transcript` checks it.
    unsafe {
        expand_with_transcript(
            hSslProvider,
            hMasterKey,
            hHashValue,
            phResumptionMasterKey,
            dwFlags,
            keyward_ssl::Provider::expand_resumption_master_key,
        )
    }
}

/// `SslExpandBinderKey`: "ext binder" (`NCRYPT_SSL_EXTERNAL_PSK_FLAG`) or "res binder"
/// (`NCRYPT_SSL_RESUMPTION_PSK_FLAG`) from the early secret; exactly one flag.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandBinderKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hEarlyKey: NCRYPT_KEY_HANDLE,
    phBinderKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let early = handles::tls13_secret(hEarlyKey)?;
        let handle = caller!(out(phBinderKey))?;
        let resumption = match dwFlags {
            NCRYPT_SSL_EXTERNAL_PSK_FLAG => false,
            NCRYPT_SSL_RESUMPTION_PSK_FLAG => true,
            _ => return Err(Error::BadFlags),
        };
        give(
            hSslProvider,
            handle,
            provider.expand_binder_key(&early, resumption)?,
        )
    })
}

/// `SslExpandPreSharedKey`: the PSK of a ticket, "resumption" with the ticket nonce.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslExpandPreSharedKey(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hResumptionMasterKey: NCRYPT_KEY_HANDLE,
    pbTicketNonce: PBYTE,
    cbTicketNonce: DWORD,
    phPreSharedKey: *mut NCRYPT_KEY_HANDLE,
    pParameterList: PNCryptBufferDesc,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    let _ = pParameterList;
    Error::boundary(|| {
        let provider = handles::provider(hSslProvider)?;
        let resumption = handles::tls13_secret(hResumptionMasterKey)?;
        let nonce = caller!(input(pbTicketNonce, cbTicketNonce))?;
        let handle = caller!(out(phPreSharedKey))?;
        no_flags(dwFlags)?;
        give(
            hSslProvider,
            handle,
            provider.expand_pre_shared_key(&resumption, nonce)?,
        )
    })
}

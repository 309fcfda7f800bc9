//! The crypto-session functions of the D3D11.1 user-mode driver DDI (`d3d10umddi.h`,
//! docs/cryptosession-and-card.md, "Application and driver calls"), with their DDI names,
//! signatures and `HRESULT`s, over [`keyward_cryptosession::VideoDevice`]; and the `KeywardD3D11*`
//! extensions.
//!
//! The DDI functions that return `VOID` (`DestroyCryptoSession`, `GetCertificateSize`,
//! `GetCertificate`, `EncryptionBlt`, `DecryptionBlt`, `StartSessionKeyRefresh`,
//! `FinishSessionKeyRefresh`, `GetEncryptionBltKey`) keep that signature. Where a driver
//! would report through the runtime's `pfnSetErrorCb`, keyward records the outcome on the
//! device, read back with [`KeywardD3D11GetLastError`]: `S_OK` after a successful call, the
//! `HRESULT` of a failed one.
//!
//! A session is made in memory the caller allocates, as the D3D runtime does:
//! `CalcPrivateCryptoSessionSize` bytes, passed as `hCryptoSession.pDrvPrivate` to
//! `CreateCryptoSession` and every later call, and freed by the caller after
//! `DestroyCryptoSession`.

use keyward_core::backend::aes::AesKey;
use keyward_core::Secret;
use keyward_cryptosession::hresult::{E_INVALIDARG, S_OK};
use keyward_cryptosession::{
    apply_ctr, new_session_key_blob, unwrap_key, wrap_key, AesCtrIv, EncryptedBlockInfo, Guid,
    VideoDevice, SESSION_KEY_LEN,
};
use zeroize::Zeroizing;

use super::objects::{self, SESSION_PRIVATE_SIZE};
use super::types::*;
use super::{report, HResult, Outcome};
use crate::boundary::StatusFamily;
use crate::ptr::{caller, in_ref, input, input_array, out, output, output_array, required_output};

/// A `D3D11_1DDI_AES_CTR_IV` given as `IVSize` bytes at `pIV`: exactly 16 bytes, else
/// `E_INVALIDARG`.
///
/// # Safety
/// A non-NULL `pIV` must point to `IVSize` readable bytes.
unsafe fn read_iv(IVSize: UINT, pIV: *const VOID) -> Outcome<AesCtrIv> {
    if pIV.is_null() || IVSize as usize != AesCtrIv::SIZE {
        return Err(HResult(E_INVALIDARG));
    }
    let bytes = caller!(input(pIV.cast::<u8>(), IVSize))?;
    Ok(AesCtrIv::parse(bytes)?)
}

/// A GUID argument; NULL is `E_INVALIDARG`, or the NULL GUID where `null_allowed`.
///
/// # Safety
/// A non-NULL `pointer` must point to a readable `GUID`.
unsafe fn read_guid(pointer: *const GUID, null_allowed: bool) -> Outcome<Guid> {
    if pointer.is_null() && null_allowed {
        return Ok(Guid::NULL);
    }
    Ok((*caller!(in_ref(pointer))?).into())
}

/// The certificate chain `pCertificateInfo` asks for: only crypto-session certificates of a
/// supported crypto type (`E_INVALIDARG` for an authenticated channel,
/// `D3DDDIERR_UNSUPPORTEDCRYPTO` for another crypto type).
///
/// # Safety
/// A non-NULL `pCertificateInfo` must point to a readable `D3D11_1DDI_CERTIFICATE_INFO`.
unsafe fn certificate_chain(
    device: &VideoDevice,
    pCertificateInfo: *const D3D11_1DDI_CERTIFICATE_INFO,
) -> Outcome<&[u8]> {
    let info = caller!(in_ref(pCertificateInfo))?;
    if info.CertificateType != D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION {
        return Err(HResult(E_INVALIDARG));
    }
    // SAFETY: every bit pattern of the union's bytes is a valid GUID.
    let crypto_type: Guid = unsafe { info.Anonymous.CryptoSessionType }.into();
    device.content_protection_caps(&crypto_type, &Guid::NULL)?;
    Ok(device.credentials().certificate_chain())
}

// ---- Capabilities ------------------------------------------------------------------------

/// `GetContentProtectionCaps`: for `D3D11_CRYPTO_TYPE_AES128_CTR` and the NULL decoder
/// profile (a NULL `pDecodeProfile` means the NULL GUID), caps `0x4F9` (software, partial
/// decryption, content key, key refresh, encrypted readback with a readback key,
/// `DecryptionBlt`), one key-exchange type, 16-byte blocks. Anything else is
/// `D3DDDIERR_UNSUPPORTEDCRYPTO`; a NULL `pCryptoType` or `pCaps` is `E_INVALIDARG`; an
/// unknown device `E_HANDLE`.
///
/// # Safety
/// Pointers must be valid as the DDI documents.
#[no_mangle]
pub unsafe extern "system" fn GetContentProtectionCaps(
    hDevice: D3D10DDI_HDEVICE,
    pCryptoType: *const GUID,
    pDecodeProfile: *const GUID,
    pCaps: *mut D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS,
) -> HRESULT {
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let crypto_type = caller!(read_guid(pCryptoType, false))?;
        let profile = caller!(read_guid(pDecodeProfile, true))?;
        let caps_out = caller!(out(pCaps))?;
        let caps = device
            .device
            .content_protection_caps(&crypto_type, &profile)?;
        *caps_out = D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS {
            Caps: caps.caps,
            KeyExchangeTypeCount: caps.key_exchange_type_count,
            BlockAlignmentSize: caps.block_alignment_size,
            ProtectedMemorySize: caps.protected_memory_size,
        };
        Ok(())
    })
}

/// `GetCryptoKeyExchangeType`: index 0 is `D3D11_KEY_EXCHANGE_RSAES_OAEP`; an index at or past
/// `KeyExchangeTypeCount` is `E_INVALIDARG`; other errors as `GetContentProtectionCaps`.
///
/// # Safety
/// Pointers must be valid as the DDI documents.
#[no_mangle]
pub unsafe extern "system" fn GetCryptoKeyExchangeType(
    hDevice: D3D10DDI_HDEVICE,
    pCryptoType: *const GUID,
    pDecodeProfile: *const GUID,
    Index: UINT,
    pKeyExchangeType: *mut GUID,
) -> HRESULT {
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let crypto_type = caller!(read_guid(pCryptoType, false))?;
        let profile = caller!(read_guid(pDecodeProfile, true))?;
        let exchange_out = caller!(out(pKeyExchangeType))?;
        let exchange = device
            .device
            .check_crypto_key_exchange(&crypto_type, &profile, Index)?;
        *exchange_out = exchange.into();
        Ok(())
    })
}

// ---- Session lifetime --------------------------------------------------------------------

/// `CalcPrivateCryptoSessionSize`: the bytes the runtime allocates for a session (16 on
/// 64-bit targets; align them to 8, as `malloc` does). Reads neither argument.
///
/// # Safety
/// None.
#[no_mangle]
pub unsafe extern "system" fn CalcPrivateCryptoSessionSize(
    hDevice: D3D10DDI_HDEVICE,
    pCreateData: *const D3D11_1DDIARG_CREATECRYPTOSESSION,
) -> SIZE_T {
    let _ = (hDevice, pCreateData);
    // A constant: nothing here can panic.
    SESSION_PRIVATE_SIZE
}

/// `CreateCryptoSession`: makes a session for `D3D11_CRYPTO_TYPE_AES128_CTR`, the NULL decoder
/// profile and `D3D11_KEY_EXCHANGE_RSAES_OAEP` in the runtime memory `hCryptoSession` (else
/// `D3DDDIERR_UNSUPPORTEDCRYPTO`). The session remembers `hDevice`: calls through another
/// device fail with `E_INVALIDARG`. NULL `pCreateData`, or NULL or misaligned memory, is
/// `E_INVALIDARG`; an unknown device `E_HANDLE`. `hRTCryptoSession` is not used.
///
/// # Safety
/// `pCreateData` must be valid for reads; `hCryptoSession.pDrvPrivate` must point to
/// `CalcPrivateCryptoSessionSize` writable bytes that stay valid until `DestroyCryptoSession`
/// returns.
#[no_mangle]
pub unsafe extern "system" fn CreateCryptoSession(
    hDevice: D3D10DDI_HDEVICE,
    pCreateData: *const D3D11_1DDIARG_CREATECRYPTOSESSION,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    hRTCryptoSession: D3D11_1DDI_HRTCRYPTOSESSION,
) -> HRESULT {
    let _ = hRTCryptoSession;
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let create = caller!(in_ref(pCreateData))?;
        if hCryptoSession.pDrvPrivate.is_null() {
            return Err(HResult(E_INVALIDARG));
        }
        let session = device.device.create_crypto_session(
            &create.CryptoType.into(),
            &create.DecodeProfile.into(),
            &create.KeyExchangeType.into(),
        )?;
        caller!(objects::insert_session(hDevice, hCryptoSession, session))
    })
}

/// `DestroyCryptoSession` (`VOID`; outcome in `KeywardD3D11GetLastError`): wipes the session's
/// keys and marks its memory destroyed; every later call on it is `E_HANDLE`. The caller frees
/// the memory afterwards. A session of another device is `E_INVALIDARG` and stays alive.
///
/// # Safety
/// `hCryptoSession.pDrvPrivate` must be the memory given to `CreateCryptoSession`, not yet
/// freed.
#[no_mangle]
pub unsafe extern "system" fn DestroyCryptoSession(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        device.device.destroy_crypto_session(&session.session)?;
        caller!(objects::remove_session(hCryptoSession, &session))
    })
}

/// `CryptoSessionGetHandle`: the session's handle (a non-zero number naming it to an
/// authenticated channel).
///
/// # Safety
/// As `DestroyCryptoSession`; `pHandle` must be valid for a write.
#[no_mangle]
pub unsafe extern "system" fn CryptoSessionGetHandle(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    pHandle: *mut HANDLE,
) -> HRESULT {
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let handle = caller!(out(pHandle))?;
        if session.session.device_id() != device.device.id() {
            return Err(keyward_cryptosession::Error::WrongDevice.into());
        }
        *handle = session.session.handle() as usize as HANDLE;
        Ok(())
    })
}

// ---- Certificate and key exchange --------------------------------------------------------

/// `GetCertificateSize` (`VOID`; outcome in `KeywardD3D11GetLastError`): the size of the
/// device's certificate chain (DER certificates concatenated, leaf first), for
/// `D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION` and `D3D11_CRYPTO_TYPE_AES128_CTR`. An
/// authenticated-channel certificate, or NULL pointers, are `E_INVALIDARG`; another crypto
/// type `D3DDDIERR_UNSUPPORTEDCRYPTO`.
///
/// # Safety
/// Pointers must be valid as the DDI documents.
#[no_mangle]
pub unsafe extern "system" fn GetCertificateSize(
    hDevice: D3D10DDI_HDEVICE,
    pCertificateInfo: *const D3D11_1DDI_CERTIFICATE_INFO,
    pCertificateSize: *mut UINT,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let chain = caller!(certificate_chain(&device.device, pCertificateInfo))?;
        let size = caller!(out(pCertificateSize))?;
        *size = UINT::try_from(chain.len()).map_err(|_| HResult(E_INVALIDARG))?;
        Ok(())
    })
}

/// `GetCertificate` (`VOID`; outcome in `KeywardD3D11GetLastError`): copies the chain to the
/// start of `pCertificate`. A `CertificateSize` below `GetCertificateSize` is `E_INVALIDARG`
/// (nothing written); other errors as `GetCertificateSize`.
///
/// # Safety
/// `pCertificate` must be valid for `CertificateSize` writes; other pointers as the DDI
/// documents.
#[no_mangle]
pub unsafe extern "system" fn GetCertificate(
    hDevice: D3D10DDI_HDEVICE,
    pCertificateInfo: *const D3D11_1DDI_CERTIFICATE_INFO,
    CertificateSize: UINT,
    pCertificate: *mut BYTE,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let chain = caller!(certificate_chain(&device.device, pCertificateInfo))?;
        let target = caller!(required_output(pCertificate.cast(), CertificateSize))?;
        target
            .get_mut(..chain.len())
            .ok_or(HResult(E_INVALIDARG))?
            .copy_from_slice(chain);
        Ok(())
    })
}

/// `NegotiateCryptoSessionKeyExchange`: `pData` holds the 256-byte RSAES-OAEP (SHA-512,
/// MGF1-SHA-512, empty label) encryption of a 16-byte AES-128 session key under the device
/// key. A wrong size, a blob that does not decrypt, or a plaintext of another size are all
/// `E_INVALIDARG`, and the previous key stays in force. A session of another device is
/// `E_INVALIDARG`; a destroyed session `E_HANDLE`. `pData` is only read.
///
/// (The issue text writes `VOID *pData`; `d3d10umddi.h` (and docs/cryptosession-and-card.md,
/// "Application and driver calls") declare `BYTE *pData`, which is what this is. The ABI is the
/// same.)
///
/// # Safety
/// `pData` must be valid for `DataSize` reads; `hCryptoSession` as `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn NegotiateCryptoSessionKeyExchange(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    DataSize: UINT,
    pData: *mut BYTE,
) -> HRESULT {
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let data = caller!(input(pData, DataSize))?;
        device
            .device
            .negotiate_key_exchange(&session.session, data)?;
        Ok(())
    })
}

// ---- Blits ---------------------------------------------------------------------------------

/// `EncryptionBlt` (`VOID`; outcome in `KeywardD3D11GetLastError`): AES-128-CTR-encrypts the
/// whole source resource into the destination resource (same size) under the readback key of
/// the last `GetEncryptionBltKey`, and writes the `D3D11_1DDI_AES_CTR_IV` it used to `pIV`
/// (`IVSize` = 16): a random `IV` on the session's first blit, one more on each next, `Count`
/// 0. The DDI declares `pIV` const, but the application-level `EncryptionBlt` documents it as
/// the driver's output, which is how keyward uses it: it must be writable.
///
/// Errors: unknown resources `E_HANDLE`; resources of another device, sizes that differ, a
/// wrong `IVSize` or NULL `pIV` `E_INVALIDARG`; no readback key yet `DXGI_ERROR_INVALID_CALL`.
/// A failed blit writes nothing and uses no IV.
///
/// # Safety
/// `pIV` must be valid for `IVSize` writes; `hCryptoSession` as `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn EncryptionBlt(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    hSrcResource: D3D10DDI_HRESOURCE,
    hDstResource: D3D10DDI_HRESOURCE,
    IVSize: UINT,
    pIV: *const VOID,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let source = objects::resource(hDevice, hSrcResource)?;
        let destination = objects::resource(hDevice, hDstResource)?;
        if IVSize as usize != AesCtrIv::SIZE {
            return Err(HResult(E_INVALIDARG));
        }
        // The IV is the blit's output (see above): the caller passes writable memory.
        let iv_out = caller!(required_output(pIV.cast_mut().cast(), IVSize))?;
        let plain = source.read();
        let mut encrypted = Zeroizing::new(vec![0u8; destination.len()]);
        let iv = device
            .device
            .encryption_blt(&session.session, &plain, &mut encrypted)?;
        destination.write(&encrypted)?;
        iv_out.copy_from_slice(&iv.to_bytes());
        Ok(())
    })
}

/// `DecryptionBlt` (`VOID`; outcome in `KeywardD3D11GetLastError`): AES-128-CTR-decrypts the
/// source resource into the destination resource (same size) from the counter block `pIV`
/// (a 16-byte `D3D11_1DDI_AES_CTR_IV`). `pEncryptedBlockInfo` selects the encrypted parts
/// (NULL: all of it; fields must be multiples of 16). With `pContentKey` (16 bytes, the
/// content key AES-ECB-wrapped under the session key) the data key is the content key, else
/// the session key.
///
/// Errors: unknown resources `E_HANDLE`; resources of another device, sizes that differ, a
/// misaligned pattern, a content key of another size (or NULL with a non-zero size), a wrong
/// `IVSize` or NULL `pIV` `E_INVALIDARG`; no session key yet `DXGI_ERROR_INVALID_CALL`. A
/// failed blit leaves the destination as it was.
///
/// # Safety
/// Pointers must be valid for the sizes given; `hCryptoSession` as `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn DecryptionBlt(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    hSrcResource: D3D10DDI_HRESOURCE,
    hDstResource: D3D10DDI_HRESOURCE,
    pEncryptedBlockInfo: *const D3D11_1DDI_ENCRYPTED_BLOCK_INFO,
    ContentKeySize: UINT,
    pContentKey: *const VOID,
    IVSize: UINT,
    pIV: *const VOID,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let source = objects::resource(hDevice, hSrcResource)?;
        let destination = objects::resource(hDevice, hDstResource)?;
        let block_info: Option<EncryptedBlockInfo> = if pEncryptedBlockInfo.is_null() {
            None
        } else {
            Some((*caller!(in_ref(pEncryptedBlockInfo))?).into())
        };
        let content_key = if pContentKey.is_null() {
            if ContentKeySize != 0 {
                return Err(HResult(E_INVALIDARG));
            }
            None
        } else {
            Some(caller!(input(pContentKey.cast::<u8>(), ContentKeySize))?)
        };
        let iv = caller!(read_iv(IVSize, pIV))?;
        let encrypted = source.read();
        let mut plain = Zeroizing::new(vec![0u8; destination.len()]);
        device.device.decryption_blt(
            &session.session,
            &encrypted,
            &mut plain,
            block_info.as_ref(),
            content_key,
            &iv,
        )?;
        destination.write(&plain)
    })
}

// ---- Keys ----------------------------------------------------------------------------------

/// `StartSessionKeyRefresh` (`VOID`; outcome in `KeywardD3D11GetLastError`): writes a fresh
/// 16-byte random number (`RandomNumberSize` must be 16, else `E_INVALIDARG`); the key does not
/// change until `FinishSessionKeyRefresh`. No session key yet is `DXGI_ERROR_INVALID_CALL`.
///
/// # Safety
/// `pRandomNumber` must be valid for `RandomNumberSize` writes; `hCryptoSession` as
/// `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn StartSessionKeyRefresh(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    RandomNumberSize: UINT,
    pRandomNumber: *mut VOID,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let random_number = caller!(required_output(pRandomNumber.cast(), RandomNumberSize))?;
        device
            .device
            .start_session_key_refresh(&session.session, random_number)?;
        Ok(())
    })
}

/// `FinishSessionKeyRefresh` (`VOID`; outcome in `KeywardD3D11GetLastError`): the session key
/// becomes old key XOR the random number of the last `StartSessionKeyRefresh`. None pending is
/// `DXGI_ERROR_INVALID_CALL`.
///
/// # Safety
/// `hCryptoSession` as `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn FinishSessionKeyRefresh(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        device.device.finish_session_key_refresh(&session.session)?;
        Ok(())
    })
}

/// `GetEncryptionBltKey` (`VOID`; outcome in `KeywardD3D11GetLastError`): makes a new readback
/// key for `EncryptionBlt` and writes it AES-ECB-wrapped under the session key (`KeySize` must
/// be 16, else `E_INVALIDARG`). No session key yet is `DXGI_ERROR_INVALID_CALL`.
///
/// # Safety
/// `pReadbackKey` must be valid for `KeySize` writes; `hCryptoSession` as
/// `DestroyCryptoSession`.
#[no_mangle]
pub unsafe extern "system" fn GetEncryptionBltKey(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    KeySize: UINT,
    pReadbackKey: *mut VOID,
) {
    report(hDevice, || {
        let device = objects::device(hDevice)?;
        let session = caller!(objects::session(hCryptoSession))?;
        let wrapped = caller!(required_output(pReadbackKey.cast(), KeySize))?;
        device
            .device
            .encryption_blt_key(&session.session, wrapped)?;
        Ok(())
    })
}

// ---- keyward extensions: the runtime's part ------------------------------------------------

/// `KeywardD3D11OpenDevice`: opens a software video device over the default key store
/// (`$KEYWARD_HOME`, else the XDG data directory), whose device key and certificate chain are
/// created there on first use. Each call opens a distinct device: a session of one is refused
/// by another. NULL `phDevice` is `E_INVALIDARG`; a key-store failure `E_FAIL`.
///
/// # Safety
/// `phDevice` must be valid for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11OpenDevice(phDevice: *mut D3D10DDI_HDEVICE) -> HRESULT {
    HResult::boundary(|| {
        let handle = caller!(out(phDevice))?;
        let device = VideoDevice::open_default()?;
        *handle = objects::insert_device(device)?;
        Ok(())
    })
}

/// `KeywardD3D11CloseDevice`: closes a device and everything made through it (its resources
/// and OPM outputs are freed, its sessions destroyed; their memory stays the caller's to
/// free). Any later use of them is `E_HANDLE`, as is closing twice.
///
/// # Safety
/// None beyond passing a handle.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11CloseDevice(hDevice: D3D10DDI_HDEVICE) -> HRESULT {
    HResult::boundary(|| objects::close_device(hDevice))
}

/// `KeywardD3D11GetLastError`: the outcome of the last `VOID` DDI call made with `hDevice`
/// (`S_OK` if it succeeded or if there was none); `E_HANDLE` if `hDevice` names no open
/// device. A `VOID` call made with such a handle records nothing anywhere.
///
/// # Safety
/// None beyond passing a handle.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11GetLastError(hDevice: D3D10DDI_HDEVICE) -> HRESULT {
    let mut last = S_OK;
    match HResult::boundary(|| {
        last = objects::last_error(hDevice)?;
        Ok(())
    }) {
        S_OK => last,
        failure => failure,
    }
}

/// `KeywardD3D11CreateResource`: a memory surface of `DataSize` bytes (not 0) for the blits,
/// holding a copy of `pData` (zeros if `pData` is NULL). It belongs to `hDevice`.
///
/// # Safety
/// A non-NULL `pData` must be valid for `DataSize` reads; `phResource` for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11CreateResource(
    hDevice: D3D10DDI_HDEVICE,
    pData: *const VOID,
    DataSize: UINT,
    phResource: *mut D3D10DDI_HRESOURCE,
) -> HRESULT {
    HResult::boundary(|| {
        objects::device(hDevice)?;
        let handle = caller!(out(phResource))?;
        if DataSize == 0 {
            return Err(HResult(E_INVALIDARG));
        }
        let data = if pData.is_null() {
            vec![0u8; DataSize as usize]
        } else {
            caller!(input(pData.cast::<u8>(), DataSize))?.to_vec()
        };
        *handle = objects::insert_resource(hDevice, data)?;
        Ok(())
    })
}

/// `KeywardD3D11ReadResource`: `*pDataSize` receives the resource's size; with a non-NULL
/// `pData` the bytes are copied there too (a `DataSize` below the size is `E_INVALIDARG`,
/// nothing copied). A resource of another device is `E_INVALIDARG`, an unknown one `E_HANDLE`.
///
/// # Safety
/// A non-NULL `pData` must be valid for `DataSize` writes; `pDataSize` for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11ReadResource(
    hDevice: D3D10DDI_HDEVICE,
    hResource: D3D10DDI_HRESOURCE,
    DataSize: UINT,
    pData: *mut VOID,
    pDataSize: *mut UINT,
) -> HRESULT {
    HResult::boundary(|| {
        objects::device(hDevice)?;
        let resource = objects::resource(hDevice, hResource)?;
        let size_out = caller!(out(pDataSize))?;
        let data = resource.read();
        *size_out = UINT::try_from(data.len()).map_err(|_| HResult(E_INVALIDARG))?;
        if let Some(target) = caller!(output(pData.cast::<u8>(), DataSize)) {
            target
                .get_mut(..data.len())
                .ok_or(HResult(E_INVALIDARG))?
                .copy_from_slice(&data);
        }
        Ok(())
    })
}

/// `KeywardD3D11WriteResource`: replaces the resource's bytes; `DataSize` must be its size
/// (else `E_INVALIDARG`).
///
/// # Safety
/// `pData` must be valid for `DataSize` reads.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11WriteResource(
    hDevice: D3D10DDI_HDEVICE,
    hResource: D3D10DDI_HRESOURCE,
    pData: *const VOID,
    DataSize: UINT,
) -> HRESULT {
    HResult::boundary(|| {
        objects::device(hDevice)?;
        let resource = objects::resource(hDevice, hResource)?;
        if pData.is_null() {
            return Err(HResult(E_INVALIDARG));
        }
        resource.write(caller!(input(pData.cast::<u8>(), DataSize))?)
    })
}

/// `KeywardD3D11DestroyResource`: frees a resource (its bytes are wiped). A resource of another
/// device is `E_INVALIDARG`; an unknown or already destroyed one `E_HANDLE`.
///
/// # Safety
/// None beyond passing handles.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11DestroyResource(
    hDevice: D3D10DDI_HDEVICE,
    hResource: D3D10DDI_HRESOURCE,
) -> HRESULT {
    HResult::boundary(|| {
        objects::device(hDevice)?;
        objects::remove_resource(hDevice, hResource)
    })
}

// ---- keyward extensions: the application's part --------------------------------------------

/// `KeywardD3D11BuildSessionKeyBlob` (application side; on Windows, `BCryptEncrypt` with
/// `BCRYPT_PAD_OAEP`): verifies the certificate chain from `GetCertificate`, picks a random
/// AES-128 session key, writes it to `pbSessionKey` and its 256-byte RSAES-OAEP encryption
/// for `NegotiateCryptoSessionKeyExchange` to `pbBlob`. A chain that does not verify is
/// `E_INVALIDARG`.
///
/// # Safety
/// `pbCertificateChain` must be valid for `cbCertificateChain` reads, `pbSessionKey` for 16
/// writes and `pbBlob` for 256 writes.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11BuildSessionKeyBlob(
    pbCertificateChain: *const BYTE,
    cbCertificateChain: UINT,
    pbSessionKey: *mut BYTE,
    pbBlob: *mut BYTE,
) -> HRESULT {
    HResult::boundary(|| {
        let chain = caller!(input(pbCertificateChain, cbCertificateChain))?;
        let key_out = caller!(output_array::<SESSION_KEY_LEN>(pbSessionKey))?;
        let blob_out = caller!(output_array::<{ KEY_EXCHANGE_DATA_SIZE }>(pbBlob))?;
        let (session_key, blob) = new_session_key_blob(chain)?;
        key_out.copy_from_slice(session_key.expose());
        blob_out.copy_from_slice(&blob);
        Ok(())
    })
}

/// The blob size as a `usize` constant expression.
const KEY_EXCHANGE_DATA_SIZE: usize = KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE as usize;

/// `KeywardD3D11AesCtr` (application side): AES-128-CTR over `pbData` in place, from the
/// counter block `pIV` (the 16 bytes of a `D3D11_1DDI_AES_CTR_IV` as they lie in memory,
/// big-endian `IV ‖ Count`), over the parts `pEncryptedBlockInfo` selects (NULL: all). The same
/// call encrypts and decrypts. A misaligned pattern is `E_INVALIDARG`.
///
/// # Safety
/// `pbKey` must be valid for 16 reads, `pIV` for 16, `pbData` for `cbData` reads and writes;
/// a non-NULL `pEncryptedBlockInfo` for a read.
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11AesCtr(
    pbKey: *const BYTE,
    pIV: *const D3D11_1DDI_AES_CTR_IV,
    pEncryptedBlockInfo: *const D3D11_1DDI_ENCRYPTED_BLOCK_INFO,
    pbData: *mut BYTE,
    cbData: UINT,
) -> HRESULT {
    HResult::boundary(|| {
        let key = Zeroizing::new(caller!(input_array::<SESSION_KEY_LEN>(pbKey))?);
        let iv = caller!(read_iv(AesCtrIv::SIZE as UINT, pIV.cast()))?;
        let pattern: Option<EncryptedBlockInfo> = if pEncryptedBlockInfo.is_null() {
            None
        } else {
            Some((*caller!(in_ref(pEncryptedBlockInfo))?).into())
        };
        let data: &mut [u8] = match caller!(output(pbData, cbData)) {
            Some(data) => data,
            None if cbData == 0 => &mut [],
            None => return Err(HResult(E_INVALIDARG)),
        };
        let cipher = AesKey::new(&key[..])?;
        apply_ctr(&cipher, &iv, pattern.as_ref(), data)?;
        Ok(())
    })
}

/// `KeywardD3D11WrapKey` (application side): `pbKey` AES-ECB-encrypted under `pbSessionKey`,
/// to `pbWrappedKey` — the form of `DecryptionBlt`'s content key.
///
/// # Safety
/// Each pointer must be valid for 16 bytes (reads, or writes for `pbWrappedKey`).
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11WrapKey(
    pbSessionKey: *const BYTE,
    pbKey: *const BYTE,
    pbWrappedKey: *mut BYTE,
) -> HRESULT {
    HResult::boundary(|| {
        let session_key = Secret::new(caller!(input_array::<SESSION_KEY_LEN>(pbSessionKey))?);
        let key = Secret::new(caller!(input_array::<SESSION_KEY_LEN>(pbKey))?);
        let wrapped_out = caller!(output_array::<SESSION_KEY_LEN>(pbWrappedKey))?;
        *wrapped_out = wrap_key(&session_key, &key)?;
        Ok(())
    })
}

/// `KeywardD3D11UnwrapKey` (application side): the inverse of `KeywardD3D11WrapKey`, e.g. the
/// readback key from `GetEncryptionBltKey`.
///
/// # Safety
/// Each pointer must be valid for 16 bytes (reads, or writes for `pbKey`).
#[no_mangle]
pub unsafe extern "system" fn KeywardD3D11UnwrapKey(
    pbSessionKey: *const BYTE,
    pbWrappedKey: *const BYTE,
    pbKey: *mut BYTE,
) -> HRESULT {
    HResult::boundary(|| {
        let session_key = Secret::new(caller!(input_array::<SESSION_KEY_LEN>(pbSessionKey))?);
        let wrapped = caller!(input_array::<SESSION_KEY_LEN>(pbWrappedKey))?;
        let key_out = caller!(output_array::<SESSION_KEY_LEN>(pbKey))?;
        key_out.copy_from_slice(unwrap_key(&session_key, &wrapped)?.expose());
        Ok(())
    })
}

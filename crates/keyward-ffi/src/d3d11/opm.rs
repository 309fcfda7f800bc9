//! OPM (`opmapi.h`; docs/cryptosession-and-card.md, "The RSAES-OAEP key exchange and the OPM
//! handshake" and "OPM signing and sequence numbers"): the methods of `IOPMVideoOutput` as plain
//! functions `OPMVideoOutput<Method>(IOPMVideoOutput *pVideoOutput, <the method's parameters>)`,
//! over [`keyward_cryptosession::opm::OpmVideoOutput`], and the `KeywardOPM*` extensions.
//!
//! An output comes from `KeywardOPMGetVideoOutput` (the stand-in for
//! `OPMGetVideoOutputsFromHMONITOR`) and uses its device's key and certificate chain, the same
//! as the crypto session's. The structures are read and written as the bytes they are in
//! memory: the OMACs cover exactly those bytes.

use core::mem::size_of;

use keyward_core::Secret;
use keyward_cryptosession::exchange::{KeyExchangePublicKey, OAEP_HASH};
use keyward_cryptosession::hresult::{E_FAIL, E_INVALIDARG};
use keyward_cryptosession::opm::{Omac, OpmVideoOutput};
use keyward_cryptosession::{Error, SESSION_KEY_LEN};

use super::objects;
use super::types::*;
use super::{HResult, Outcome};
use crate::boundary::StatusFamily;
use crate::buffers::{self, Allocation};
use crate::ptr::{caller, in_ref, input, input_array, out, output};

/// The bytes of the caller's structure at `pointer` (NULL or misaligned is `E_INVALIDARG`).
///
/// # Safety
/// A non-NULL `pointer` must point to a readable `T`.
unsafe fn bytes_of<'a, T>(pointer: *const T) -> Outcome<&'a [u8]> {
    caller!(in_ref(pointer))?;
    // SAFETY: non-NULL and aligned (checked); a readable `T` is `size_of::<T>()` readable bytes.
    Ok(unsafe { input(pointer.cast::<u8>(), size_of::<T>() as UINT) }?)
}

/// Writes `bytes` (exactly `size_of::<T>()` of them) as the caller's structure at `pointer`
/// (NULL or misaligned is `E_INVALIDARG`). Only for structures of bytes and integers, for
/// which every byte pattern is valid.
///
/// # Safety
/// A non-NULL `pointer` must point to a writable `T`.
unsafe fn write_bytes_of<T>(pointer: *mut T, bytes: &[u8]) -> Outcome {
    caller!(out(pointer))?;
    // SAFETY: non-NULL and aligned (checked); a writable `T` is `size_of::<T>()` bytes.
    let target = unsafe { output(pointer.cast::<u8>(), size_of::<T>() as UINT) }
        .ok_or(HResult(E_INVALIDARG))?;
    if target.len() != bytes.len() {
        return Err(HResult(E_FAIL));
    }
    target.copy_from_slice(bytes);
    Ok(())
}

// ---- keyward extensions: outputs ---------------------------------------------------------

/// `KeywardOPMGetVideoOutput`: an OPM protected output of the device (a software HDMI
/// connector with HDCP) using the device's RSA-2048 key and certificate chain. Only
/// `OPM_VOS_OPM_SEMANTICS` is supported (others:
/// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`). Release it with `KeywardOPMReleaseVideoOutput`;
/// closing the device releases it too.
///
/// # Safety
/// `ppOPMVideoOutput` must be valid for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardOPMGetVideoOutput(
    hDevice: D3D10DDI_HDEVICE,
    vos: OPM_VIDEO_OUTPUT_SEMANTICS,
    ppOPMVideoOutput: *mut *mut IOPMVideoOutput,
) -> HRESULT {
    HResult::boundary(|| {
        let device = objects::device(hDevice)?;
        let output_out = caller!(out(ppOPMVideoOutput))?;
        if vos != OPM_VOS_OPM_SEMANTICS {
            return Err(Error::UnsupportedRequest.into());
        }
        let output = OpmVideoOutput::new(device.device.credentials().clone());
        *output_out = objects::insert_output(hDevice, output)?;
        Ok(())
    })
}

/// `KeywardOPMReleaseVideoOutput` (`IUnknown::Release` of the last reference): frees the
/// output. Any later use of it is `E_HANDLE`, as is releasing it twice.
///
/// # Safety
/// None: the pointer is only looked up, never dereferenced.
#[no_mangle]
pub unsafe extern "system" fn KeywardOPMReleaseVideoOutput(
    pVideoOutput: *mut IOPMVideoOutput,
) -> HRESULT {
    HResult::boundary(|| objects::remove_output(pVideoOutput))
}

/// `KeywardOPMFreeMemory` (`CoTaskMemFree` on Windows): frees memory an `OPMVideoOutput*`
/// function handed out (the certificate of `OPMVideoOutputStartInitialization`). NULL is a
/// no-op (`S_OK`); a pointer the library did not hand out, or already took back, is
/// `E_INVALIDARG`.
///
/// # Safety
/// None: the pointer is only looked up, never dereferenced unless the library made it.
#[no_mangle]
pub unsafe extern "system" fn KeywardOPMFreeMemory(pv: PVOID) -> HRESULT {
    HResult::boundary(|| {
        if pv.is_null() {
            return Ok(());
        }
        buffers::free(pv as usize)?;
        Ok(())
    })
}

// ---- IOPMVideoOutput ---------------------------------------------------------------------

/// `IOPMVideoOutput::StartInitialization`: a fresh random number, and the certificate chain
/// (DER certificates concatenated, leaf first) in memory the caller frees with
/// `KeywardOPMFreeMemory`. Calling it again before `FinishInitialization` replaces the random
/// number; after it is `DXGI_ERROR_INVALID_CALL`. NULL pointers are `E_INVALIDARG`.
///
/// # Safety
/// Pointers must be valid for writes.
#[no_mangle]
pub unsafe extern "system" fn OPMVideoOutputStartInitialization(
    pVideoOutput: *mut IOPMVideoOutput,
    prnRandomNumber: *mut OPM_RANDOM_NUMBER,
    ppbCertificate: *mut *mut BYTE,
    pulCertificateLength: *mut ULONG,
) -> HRESULT {
    HResult::boundary(|| {
        let output = objects::output(pVideoOutput)?;
        let random_out = caller!(out(prnRandomNumber))?;
        let certificate_out = caller!(out(ppbCertificate))?;
        let length_out = caller!(out(pulCertificateLength))?;
        let (random_number, chain) = output.start_initialization()?;
        let length = ULONG::try_from(chain.len()).map_err(|_| HResult(E_INVALIDARG))?;
        let address = buffers::give(Allocation::Bytes(chain.into_boxed_slice()))?;
        random_out.abRandomNumber = random_number;
        *certificate_out = address as *mut BYTE;
        *length_out = length;
        Ok(())
    })
}

/// `IOPMVideoOutput::FinishInitialization`: `pParameters` is the RSAES-OAEP (SHA-512) encryption
/// of the 40-byte initialization parameters (`KEYWARD_OPM_INITIALIZATION_PARAMETERS_SIZE`:
/// the random number of `StartInitialization`, the AES-128 signing key, the first status and
/// command sequence numbers, little-endian). A blob that does not decrypt, or a wrong random
/// number, is `E_INVALIDARG` (and the output still waits for a valid one); before
/// `StartInitialization` or a second time `DXGI_ERROR_INVALID_CALL`.
///
/// # Safety
/// `pParameters` must be valid for a read.
#[no_mangle]
pub unsafe extern "system" fn OPMVideoOutputFinishInitialization(
    pVideoOutput: *mut IOPMVideoOutput,
    pParameters: *const OPM_ENCRYPTED_INITIALIZATION_PARAMETERS,
) -> HRESULT {
    HResult::boundary(|| {
        let output = objects::output(pVideoOutput)?;
        let parameters = caller!(bytes_of(pParameters))?;
        output.finish_initialization(parameters)?;
        Ok(())
    })
}

/// `IOPMVideoOutput::GetInformation`: answers a status request signed with the session's
/// OMAC (over all of `*pParameters` after `omac`) and carrying the next status sequence
/// number, with an `OPM_REQUESTED_INFORMATION` signed the same way, holding an
/// `OPM_STANDARD_INFORMATION` that echoes the request's random number. Supported:
/// `OPM_GET_CONNECTOR_TYPE`, `OPM_GET_SUPPORTED_PROTECTION_TYPES`,
/// `OPM_GET_VIRTUAL_PROTECTION_LEVEL`, `OPM_GET_ACTUAL_PROTECTION_LEVEL` (these two take one
/// `ULONG` parameter, `OPM_PROTECTION_TYPE_HDCP`).
///
/// Errors, in check order: not initialized `DXGI_ERROR_INVALID_CALL`; bad OMAC, replayed or
/// skipped sequence number `E_ACCESSDENIED`; another request
/// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`; bad parameters `E_INVALIDARG`. Only a
/// successful request advances the sequence number; a failed one writes nothing.
///
/// # Safety
/// `pParameters` must be valid for a read, `pRequestedInformation` for a write.
#[no_mangle]
pub unsafe extern "system" fn OPMVideoOutputGetInformation(
    pVideoOutput: *mut IOPMVideoOutput,
    pParameters: *const OPM_GET_INFO_PARAMETERS,
    pRequestedInformation: *mut OPM_REQUESTED_INFORMATION,
) -> HRESULT {
    HResult::boundary(|| {
        let output = objects::output(pVideoOutput)?;
        let request = caller!(bytes_of(pParameters))?;
        caller!(out(pRequestedInformation))?;
        let response = output.get_information(request)?;
        caller!(write_bytes_of(pRequestedInformation, &response))
    })
}

/// `IOPMVideoOutput::COPPCompatibleGetInformation`: COPP-compatible requests are not
/// implemented; after checking its arguments, always
/// `HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)`.
///
/// # Safety
/// `pParameters` must be valid for a read, `pRequestedInformation` for a write.
#[no_mangle]
pub unsafe extern "system" fn OPMVideoOutputCOPPCompatibleGetInformation(
    pVideoOutput: *mut IOPMVideoOutput,
    pParameters: *const OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS,
    pRequestedInformation: *mut OPM_REQUESTED_INFORMATION,
) -> HRESULT {
    HResult::boundary(|| {
        objects::output(pVideoOutput)?;
        caller!(in_ref(pParameters))?;
        caller!(out(pRequestedInformation))?;
        Err(Error::UnsupportedRequest.into())
    })
}

/// `IOPMVideoOutput::Configure`: runs a command signed with the session's OMAC and carrying
/// the next command sequence number. Supported: `OPM_SET_PROTECTION_LEVEL` with an
/// `OPM_SET_PROTECTION_LEVEL_PARAMETERS` for `OPM_PROTECTION_TYPE_HDCP` (`OPM_HDCP_OFF` or
/// `OPM_HDCP_ON`) and no additional parameters. Errors as `OPMVideoOutputGetInformation`;
/// only a successful command advances the sequence number.
///
/// # Safety
/// `pParameters` must be valid for a read, `pbAdditionalParameters` for
/// `ulAdditionalParametersSize` reads.
#[no_mangle]
pub unsafe extern "system" fn OPMVideoOutputConfigure(
    pVideoOutput: *mut IOPMVideoOutput,
    pParameters: *const OPM_CONFIGURE_PARAMETERS,
    ulAdditionalParametersSize: ULONG,
    pbAdditionalParameters: *const BYTE,
) -> HRESULT {
    HResult::boundary(|| {
        let output = objects::output(pVideoOutput)?;
        let command = caller!(bytes_of(pParameters))?;
        let additional = caller!(input(pbAdditionalParameters, ulAdditionalParametersSize))?;
        output.configure(command, additional)?;
        Ok(())
    })
}

// ---- keyward extensions: the application's part --------------------------------------------

/// The longest plaintext RSAES-OAEP with SHA-512 carries under an RSA-2048 key (126 bytes).
fn max_oaep_plaintext() -> usize {
    OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE - 2 * OAEP_HASH.output_len() - 2
}

/// `KeywardOPMEncryptInitializationParameters` (application side; on Windows, `BCryptEncrypt`
/// with `BCRYPT_PAD_OAEP` and SHA-512): verifies the certificate chain from
/// `OPMVideoOutputStartInitialization` and RSAES-OAEP-encrypts `pbParameters` (normally the 40
/// bytes of `KEYWARD_OPM_INITIALIZATION_PARAMETERS_SIZE`; at most 126) under its leaf key. A
/// chain that does not verify, or a plaintext that is empty or too long, is `E_INVALIDARG`.
///
/// # Safety
/// Pointers must be valid for the sizes given; `pEncryptedParameters` for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardOPMEncryptInitializationParameters(
    pbCertificate: *const BYTE,
    cbCertificate: ULONG,
    pbParameters: *const BYTE,
    cbParameters: ULONG,
    pEncryptedParameters: *mut OPM_ENCRYPTED_INITIALIZATION_PARAMETERS,
) -> HRESULT {
    HResult::boundary(|| {
        let chain = caller!(input(pbCertificate, cbCertificate))?;
        let plaintext = caller!(input(pbParameters, cbParameters))?;
        let encrypted_out = caller!(out(pEncryptedParameters))?;
        if plaintext.is_empty() || plaintext.len() > max_oaep_plaintext() {
            return Err(HResult(E_INVALIDARG));
        }
        let key = KeyExchangePublicKey::from_certificate_chain(chain)?;
        encrypted_out.abEncryptedInitializationParameters = key.encrypt(plaintext)?;
        Ok(())
    })
}

/// `KeywardOPMComputeOMAC` (application side): the OPM OMAC (AES-CMAC, OMAC-1 with AES-128) of
/// `cbData` bytes under the 16-byte signing key `pbKey`. An OPM structure is signed over all
/// its bytes after its `omac` field: `KeywardOPMComputeOMAC(key, (BYTE *)&s + 16,
/// sizeof s - 16, &s.omac)`.
///
/// # Safety
/// `pbKey` must be valid for 16 reads, `pbData` for `cbData` reads, `pOmac` for a write.
#[no_mangle]
pub unsafe extern "system" fn KeywardOPMComputeOMAC(
    pbKey: *const BYTE,
    pbData: *const BYTE,
    cbData: ULONG,
    pOmac: *mut OPM_OMAC,
) -> HRESULT {
    HResult::boundary(|| {
        let key = Secret::new(caller!(input_array::<SESSION_KEY_LEN>(pbKey))?);
        let data = caller!(input(pbData, cbData))?;
        let omac_out = caller!(out(pOmac))?;
        omac_out.abOMAC = Omac::new(&key)?.sign(data)?;
        Ok(())
    })
}

//! Record protection (docs/ssl-provider.md, "Record protection"): `SslEncryptPacket`,
//! `SslDecryptPacket`.
//!
//! Both work in the caller's buffers. Input and output may overlap only in the in-place
//! layouts Windows allows: for encryption the plaintext sits where the record body goes
//! (`pbInput == pbOutput + header + explicit IV`) or right after the header (`pbInput ==
//! pbOutput + header`); for decryption the plaintext is wanted at one of those two places of
//! the record (`pbOutput == pbInput + header [+ explicit IV]`). Any other overlap is
//! `NTE_BUFFERS_OVERLAP`.

use keyward_core::Error;

use crate::boundary::StatusFamily;
use crate::handles;
use crate::ptr::{caller, input, no_flags, out, output, write_len};
use crate::types::*;

fn overlaps(a: usize, a_len: usize, b: usize, b_len: usize) -> bool {
    a_len != 0 && b_len != 0 && a < b.saturating_add(b_len) && b < a.saturating_add(a_len)
}

/// Sets `*pcbResult` to the needed size when `result` is `NTE_BUFFER_TOO_SMALL`.
unsafe fn report_needed<T>(result: Result<T, Error>, pcb_result: *mut DWORD) -> Result<T, Error> {
    if let Err(Error::BufferTooSmall { needed }) = &result {
        caller!(write_len(pcb_result, *needed))?;
    }
    result
}

/// `SslEncryptPacket`: protects `pbInput` as one record of `dwContentType` (20–23) numbered
/// `SequenceNumber` and writes the complete record, header included; `*pcbResult` is its
/// length. NULL `pbOutput` is a size query. TLS 1.3 write keys take the inner plaintext
/// (content, type, padding).
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslEncryptPacket(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hKey: NCRYPT_KEY_HANDLE,
    pbInput: PBYTE,
    cbInput: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    SequenceNumber: ULONGLONG,
    dwContentType: DWORD,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::session_key(hKey)?;
        caller!(out(pcbResult))?;
        no_flags(dwFlags)?;
        let content_type =
            u8::try_from(dwContentType).map_err(|_| Error::InvalidParameter("dwContentType"))?;
        if pbInput.is_null() && cbInput != 0 {
            return Err(Error::InvalidParameter("NULL input buffer"));
        }
        let len = cbInput as usize;
        let needed = key.max_encrypted_len(len);
        if pbOutput.is_null() {
            return caller!(write_len(pcbResult, needed));
        }
        let layout = key.in_place_layout();
        let (input_at, output_at) = (pbInput as usize, pbOutput as usize);
        let written = if overlaps(input_at, len, output_at, cbOutput as usize) {
            let shift = input_at.wrapping_sub(output_at);
            if !layout.is_plaintext_place(shift) {
                return Err(Error::BuffersOverlap);
            }
            let buf = caller!(output(pbOutput, cbOutput)).ok_or(Error::Internal("NULL output"))?;
            if buf.len() < needed.max(shift + len) {
                caller!(write_len(pcbResult, needed))?;
                return Err(Error::BufferTooSmall { needed });
            }
            buf.copy_within(shift..shift + len, layout.plaintext_offset);
            key.encrypt_packet_in_place(buf, len, SequenceNumber, content_type)
        } else {
            let plaintext = caller!(input(pbInput, cbInput))?;
            let buf = caller!(output(pbOutput, cbOutput)).ok_or(Error::Internal("NULL output"))?;
            caller!(report_needed(
                key.encrypt_packet(plaintext, buf, SequenceNumber, content_type),
                pcbResult,
            ))
        }?;
        caller!(write_len(pcbResult, written))
    })
}

/// `SslDecryptPacket`: checks and decrypts one complete record (header included) and writes
/// only its plaintext; `*pcbResult` is the plaintext length. The content type is the
/// header's first byte. A bad MAC, padding or tag is `NTE_DECRYPTION_FAILURE` (TLS 1.3:
/// `STATUS_AUTH_TAG_MISMATCH`), and nothing is written.
///
/// # Safety
/// Pointers must be valid as the Windows documentation of the function requires.
#[no_mangle]
pub unsafe extern "system" fn SslDecryptPacket(
    hSslProvider: NCRYPT_PROV_HANDLE,
    hKey: NCRYPT_KEY_HANDLE,
    pbInput: PBYTE,
    cbInput: DWORD,
    pbOutput: PBYTE,
    cbOutput: DWORD,
    pcbResult: *mut DWORD,
    SequenceNumber: ULONGLONG,
    dwFlags: DWORD,
) -> SECURITY_STATUS {
    Error::boundary(|| {
        handles::provider(hSslProvider)?;
        let key = handles::session_key(hKey)?;
        if pbInput.is_null() || cbInput == 0 || pbOutput.is_null() {
            return Err(Error::InvalidParameter("missing buffer"));
        }
        caller!(out(pcbResult))?;
        no_flags(dwFlags)?;
        let layout = key.in_place_layout();
        let (input_at, output_at) = (pbInput as usize, pbOutput as usize);
        let len = if overlaps(input_at, cbInput as usize, output_at, cbOutput as usize) {
            let shift = output_at.wrapping_sub(input_at);
            if !layout.is_plaintext_place(shift) {
                return Err(Error::BuffersOverlap);
            }
            // The record is decrypted within itself, then the plaintext moved to the output.
            let record = caller!(output(pbInput, cbInput)).ok_or(Error::Internal("NULL input"))?;
            let plaintext = key.decrypt_packet_in_place(record, SequenceNumber)?;
            let (start, len) = (plaintext.as_ptr() as usize - input_at, plaintext.len());
            if (cbOutput as usize) < len {
                record[start..start + len].fill(0);
                caller!(write_len(pcbResult, len))?;
                return Err(Error::BufferTooSmall { needed: len });
            }
            record.copy_within(start..start + len, shift);
            len
        } else {
            let record = caller!(input(pbInput, cbInput))?;
            let buf = caller!(output(pbOutput, cbOutput)).ok_or(Error::Internal("NULL output"))?;
            caller!(report_needed(
                key.decrypt_packet(record, buf, SequenceNumber),
                pcbResult
            ))?
        };
        caller!(write_len(pcbResult, len))
    })
}

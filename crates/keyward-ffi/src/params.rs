//! `NCryptBufferDesc` parameter lists (docs/ssl-provider.md, "Parameter lists").

use keyward_core::{Error, Result};
use keyward_ssl::Parameters;

use crate::ptr::{caller, in_ref, input};
use crate::types::{NCryptBuffer, NCryptBufferDesc, NCRYPTBUFFER_VERSION};

/// The most buffers a list may hold.
const MAX_BUFFERS: u32 = 64;

/// Reads a parameter list: NULL, a version other than 0, more than 64 buffers, a NULL
/// buffer array, or a buffer that is NULL or empty is `NTE_INVALID_PARAMETER`; the
/// contents are then checked by [`Parameters::from_buffers`].
///
/// # Safety
/// A non-NULL `desc` must point to a valid `NCryptBufferDesc` whose buffers are valid for
/// their lengths.
pub(crate) unsafe fn parameters<'a>(desc: *const NCryptBufferDesc) -> Result<Parameters<'a>> {
    let desc = caller!(in_ref(desc))?;
    if desc.ulVersion != NCRYPTBUFFER_VERSION || desc.cBuffers > MAX_BUFFERS {
        return Err(Error::InvalidParameter("parameter list header"));
    }
    if desc.pBuffers.is_null() || !desc.pBuffers.is_aligned() {
        return Err(Error::InvalidParameter("NULL parameter buffers"));
    }
    // SAFETY: non-NULL and aligned; the caller guarantees `cBuffers` entries.
    let buffers: &[NCryptBuffer] =
        unsafe { core::slice::from_raw_parts(desc.pBuffers, desc.cBuffers as usize) };
    let mut typed = Vec::with_capacity(buffers.len());
    for buffer in buffers {
        if buffer.pvBuffer.is_null() || buffer.cbBuffer == 0 {
            return Err(Error::InvalidParameter("NULL or empty parameter buffer"));
        }
        // SAFETY: non-NULL; the caller guarantees `cbBuffer` readable bytes.
        let bytes = unsafe { input(buffer.pvBuffer as *const u8, buffer.cbBuffer) }?;
        typed.push((buffer.BufferType, bytes));
    }
    Parameters::from_buffers(&typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_RANDOM: u32 = 20;
    const SERVER_RANDOM: u32 = 21;

    fn buffer(kind: u32, bytes: &mut [u8]) -> NCryptBuffer {
        NCryptBuffer {
            cbBuffer: bytes.len() as u32,
            BufferType: kind,
            pvBuffer: bytes.as_mut_ptr().cast(),
        }
    }

    fn desc(buffers: &mut [NCryptBuffer]) -> NCryptBufferDesc {
        NCryptBufferDesc {
            ulVersion: NCRYPTBUFFER_VERSION,
            cBuffers: buffers.len() as u32,
            pBuffers: buffers.as_mut_ptr(),
        }
    }

    // Every unsafe path for Miri: the descriptor, the buffer array and each buffer read at
    // their bounds; NULL, empty and misaligned refused before any read.
    #[test]
    fn reads_the_callers_buffers() {
        let (mut client, mut server) = ([1u8; 32], [2u8; 32]);
        let mut buffers = [
            buffer(CLIENT_RANDOM, &mut client),
            buffer(SERVER_RANDOM, &mut server),
        ];
        let list = desc(&mut buffers);
        // SAFETY: `list` points to 2 valid buffers of their stated lengths.
        let params = unsafe { parameters(&list) }.unwrap();
        let randoms = params.require_randoms().unwrap();
        assert_eq!(randoms.client, &[1; 32]);
        assert_eq!(randoms.server, &[2; 32]);
    }

    #[test]
    fn refuses_bad_lists_before_reading_them() {
        // SAFETY: NULL is checked.
        assert!(unsafe { parameters(core::ptr::null()) }.is_err());
        let mut random = [1u8; 32];
        let mut buffers = [buffer(CLIENT_RANDOM, &mut random)];
        let mut list = desc(&mut buffers);
        list.ulVersion = 1;
        // SAFETY: the version is checked before the buffers are read.
        assert!(unsafe { parameters(&list) }.is_err());
        let mut list = desc(&mut buffers);
        list.cBuffers = MAX_BUFFERS + 1;
        // SAFETY: the count is checked before the buffers are read.
        assert!(unsafe { parameters(&list) }.is_err());
        let mut list = desc(&mut buffers);
        list.pBuffers = core::ptr::null_mut();
        // SAFETY: NULL is checked.
        assert!(unsafe { parameters(&list) }.is_err());
        let mut list = desc(&mut buffers);
        list.pBuffers = list.pBuffers.cast::<u8>().wrapping_add(1).cast();
        // SAFETY: misalignment is checked before the read.
        assert!(unsafe { parameters(&list) }.is_err());
        let mut empty = [buffer(CLIENT_RANDOM, &mut [])];
        let list = desc(&mut empty);
        // SAFETY: the empty buffer is refused before it is read.
        assert!(unsafe { parameters(&list) }.is_err());
        let mut none = [NCryptBuffer {
            cbBuffer: 4,
            BufferType: CLIENT_RANDOM,
            pvBuffer: core::ptr::null_mut(),
        }];
        let list = desc(&mut none);
        // SAFETY: the NULL buffer is refused before it is read.
        assert!(unsafe { parameters(&list) }.is_err());
        let list = desc(&mut []);
        // SAFETY: zero buffers from a dangling, aligned pointer read nothing.
        assert!(unsafe { parameters(&list) }.is_ok());
    }
}

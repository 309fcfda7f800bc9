//! `NCryptBufferDesc` parameter lists (reference §8.2).

use keyward_core::{Error, Result};
use keyward_ssl::Parameters;

use crate::ptr::{in_ref, input};
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
    // SAFETY: forwarded from the caller.
    let desc = unsafe { in_ref(desc) }?;
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

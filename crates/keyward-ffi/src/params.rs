//! `NCryptBufferDesc` parameter lists (docs/ssl-provider.md, "Parameter lists") read into
//! keyward-ssl's typed [`Parameters`] of `SslGenerateMasterKey`, `SslImportMasterKey`,
//! `SslGeneratePreMasterKey` and `SslGenerateSessionKeys`: randoms are exactly 32 bytes and come
//! as a pair, the session hash (RFC 7627) replaces the randoms, the highest version is a 4-byte
//! `DWORD`. Any violation is `NTE_INVALID_PARAMETER`.
//!
//! One buffer type is keyward's own, not Windows': `NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC`
//! (a `DWORD` 0 or 1) asks `SslGenerateSessionKeys` for encrypt-then-MAC CBC keys (RFC 7366).
//! Its value ("KW" and 1) lies outside every `NCRYPTBUFFER_*` and `KDF_*` range of Microsoft's
//! headers (all below 0x100). Functions other than `SslGenerateSessionKeys` ignore it, as they
//! ignore every buffer type they do not use.

use keyward_core::{Error, Result};
use keyward_ssl::params::Randoms;
use keyward_ssl::Parameters;

use crate::ptr::{caller, in_ref, input};
use crate::types::{
    NCryptBuffer, NCryptBufferDesc, NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC,
    NCRYPTBUFFER_SSL_CLEAR_KEY, NCRYPTBUFFER_SSL_CLIENT_RANDOM, NCRYPTBUFFER_SSL_HIGHEST_VERSION,
    NCRYPTBUFFER_SSL_SERVER_RANDOM, NCRYPTBUFFER_SSL_SESSION_HASH, NCRYPTBUFFER_VERSION,
};

/// The most buffers a list may hold.
const MAX_BUFFERS: u32 = 64;

/// Session-hash lengths the provider accepts: MD5‖SHA-1, SHA-256, SHA-384, SHA-512.
const SESSION_HASH_LENGTHS: [usize; 4] = [36, 32, 48, 64];

/// Reads `(BufferType, contents)` pairs in order, as an `NCryptBufferDesc` holds them, in the
/// Windows check order: more than 64 buffers, an empty one, a random that is not 32 bytes or
/// comes after the session hash (or the hash after a random), a session hash of another
/// length than 36, 32, 48 or 64 bytes, a clear key over 256 bytes, an encrypt-then-MAC value
/// other than a `DWORD` 0 or 1, or only one of the two randoms is `NTE_INVALID_PARAMETER`. A
/// highest version of another length than 4 bytes, and unknown buffer types, are ignored.
pub fn from_buffers<'a>(buffers: &[(u32, &'a [u8])]) -> Result<Parameters<'a>> {
    if buffers.len() > MAX_BUFFERS as usize {
        return Err(Error::InvalidParameter("more than 64 parameter buffers"));
    }
    let mut client = None;
    let mut server = None;
    let mut params = Parameters::default();
    for &(kind, data) in buffers {
        if data.is_empty() {
            return Err(Error::InvalidParameter("empty parameter buffer"));
        }
        match kind {
            NCRYPTBUFFER_SSL_CLIENT_RANDOM | NCRYPTBUFFER_SSL_SERVER_RANDOM => {
                if params.session_hash.is_some() {
                    return Err(Error::InvalidParameter("random after session hash"));
                }
                let random: &[u8; 32] = data
                    .try_into()
                    .map_err(|_| Error::InvalidParameter("random must be 32 bytes"))?;
                if kind == NCRYPTBUFFER_SSL_CLIENT_RANDOM {
                    client = Some(random);
                } else {
                    server = Some(random);
                }
            }
            NCRYPTBUFFER_SSL_HIGHEST_VERSION => {
                if let Ok(bytes) = <[u8; 4]>::try_from(data) {
                    params.highest_version = Some(highest_version(u32::from_le_bytes(bytes)));
                }
            }
            NCRYPTBUFFER_SSL_CLEAR_KEY if data.len() > 256 => {
                return Err(Error::InvalidParameter("clear key longer than 256 bytes"));
            }
            NCRYPTBUFFER_SSL_SESSION_HASH => {
                if client.is_some() || server.is_some() {
                    return Err(Error::InvalidParameter("session hash after randoms"));
                }
                if !SESSION_HASH_LENGTHS.contains(&data.len()) {
                    return Err(Error::InvalidParameter("bad session hash length"));
                }
                params.session_hash = Some(data);
            }
            NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC => {
                params.encrypt_then_mac = match data {
                    [1, 0, 0, 0] => true,
                    [0, 0, 0, 0] => false,
                    _ => {
                        return Err(Error::InvalidParameter(
                            "encrypt-then-MAC parameter must be a DWORD 0 or 1",
                        ))
                    }
                };
            }
            _ => {} // other buffer types are ignored, as by Windows
        }
    }
    params.randoms = match (client, server) {
        (Some(client), Some(server)) => Some(Randoms { client, server }),
        (None, None) => None,
        _ => return Err(Error::InvalidParameter("only one of the two randoms")),
    };
    Ok(params)
}

/// The TLS version of a `NCRYPTBUFFER_SSL_HIGHEST_VERSION` `DWORD`. A value above 0xFFFF
/// names no TLS version; it becomes 0, which the RSA premaster functions refuse with
/// `NTE_INVALID_PARAMETER` when they need the version, as they refuse a missing or zero one.
/// Functions that do not need it ignore it, as they always have.
fn highest_version(dword: u32) -> u16 {
    u16::try_from(dword).unwrap_or(0)
}

/// Reads a parameter list: NULL, a version other than 0, more than 64 buffers, a NULL
/// buffer array, or a buffer that is NULL or empty is `NTE_INVALID_PARAMETER`; the
/// contents are then checked by [`from_buffers`].
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
    from_buffers(&typed)
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
    const CR: [u8; 32] = [1; 32];
    const SR: [u8; 32] = [2; 32];

    #[test]
    fn classic_and_ems_lists() {
        let v = 0x0303u32.to_le_bytes();
        let p = from_buffers(&[(20, &CR), (21, &SR), (22, &v)]).unwrap();
        assert_eq!(
            p,
            Parameters::with_randoms(&CR, &SR).highest_version(0x0303)
        );
        let hash = [9u8; 32];
        let p = from_buffers(&[(22, &v), (25, &hash)]).unwrap();
        assert_eq!(p.session_hash, Some(&hash[..]));
        assert_eq!(p.require_highest_version().unwrap(), 0x0303);
        assert!(p.require_randoms().is_err());
    }

    #[test]
    fn violations_are_invalid_parameter() {
        let hash = [9u8; 32];
        let long_clear_key = [0u8; 257];
        let bad: [&[(u32, &[u8])]; 7] = [
            &[(20, &CR)],
            &[(20, &CR[..31]), (21, &SR)],
            &[(25, &hash), (20, &CR), (21, &SR)],
            &[(20, &CR), (21, &SR), (25, &hash)],
            &[(25, &hash[..31])],
            &[(20, &[])],
            &[(23, &long_clear_key)],
        ];
        for list in bad {
            let err = from_buffers(list).unwrap_err();
            assert!(matches!(err, Error::InvalidParameter(_)), "{list:?}");
        }
        let many = vec![(1u32, &CR[..]); 65];
        assert!(from_buffers(&many).is_err());
    }

    #[test]
    fn encrypt_then_mac_buffer_is_a_dword_0_or_1() {
        let on = 1u32.to_le_bytes();
        let off = 0u32.to_le_bytes();
        let etm = NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC;
        let p = from_buffers(&[(20, &CR), (21, &SR), (etm, &on)]).unwrap();
        assert_eq!(p, Parameters::with_randoms(&CR, &SR).encrypt_then_mac());
        let p = from_buffers(&[(20, &CR), (21, &SR), (etm, &off)]).unwrap();
        assert_eq!(p, Parameters::with_randoms(&CR, &SR));
        for bad in [
            &2u32.to_le_bytes()[..],
            &[1],
            &[1, 0, 0, 0, 0],
            &[0, 0, 0, 1],
        ] {
            let err = from_buffers(&[(etm, bad)]).unwrap_err();
            assert!(matches!(err, Error::InvalidParameter(_)), "{bad:?}");
        }
    }

    #[test]
    fn odd_version_buffer_is_ignored_and_unknown_types_skipped() {
        let p = from_buffers(&[(22, &[3, 3]), (99, &[1])]).unwrap();
        assert_eq!(p.highest_version, None);
        assert!(p.require_highest_version().is_err());
    }

    #[test]
    fn version_above_0xffff_is_refused_where_it_is_used() {
        for dword in [0x1_0303u32, u32::MAX, 0] {
            let v = dword.to_le_bytes();
            // The list itself is fine (functions that need no version ignore it) ...
            let p = from_buffers(&[(20, &CR), (21, &SR), (22, &v)]).unwrap();
            assert!(p.require_randoms().is_ok());
            // ... and the RSA premaster functions refuse it as they refuse 0 or none.
            let err = p.require_highest_version().unwrap_err();
            assert!(matches!(err, Error::InvalidParameter(_)), "{dword:#x}");
        }
        let v = 0xFFFFu32.to_le_bytes();
        let p = from_buffers(&[(22, &v)]).unwrap();
        assert_eq!(p.require_highest_version(), Ok(0xFFFF));
    }

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

//! The SCP03 data derivation scheme (GP Amd D §4.1.5): NIST SP 800-108 KDF in counter mode with
//! AES-CMAC as the PRF, and the fixed input data GlobalPlatform defines around the counter.
//!
//! [`counter_mode_cmac`] is the generic SP 800-108 §5.1 KDF with the counter anywhere in the
//! fixed input (before, after, or in the middle of it) and 8 to 32 bits wide, so it can be
//! checked against NIST's CAVP `KDFCTR_gen.rsp`; [`derive()`] is GlobalPlatform's use of it:
//!
//! ```text
//! PRF input = 11 × '00' ‖ derivation constant ‖ '00' ‖ L (2 bytes, bits) ‖ i (1 byte) ‖ context
//! ```

use keyward_core::backend::cmac::{CmacKey, TAG_LEN};
use keyward_core::SecretVec;
use zeroize::Zeroize;

use crate::{Error, Result};

/// The derivation constants of GP Amd D Table 4-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DerivationConstant {
    /// `00`: card authentication cryptogram (§6.2.2.2).
    CardCryptogram = 0x00,
    /// `01`: host authentication cryptogram (§6.2.2.3).
    HostCryptogram = 0x01,
    /// `02`: pseudo-random card challenge (§6.2.2.1).
    CardChallenge = 0x02,
    /// `04`: S-ENC from Key-ENC (§6.2.1).
    SessionEnc = 0x04,
    /// `06`: S-MAC from Key-MAC (§6.2.1).
    SessionMac = 0x06,
    /// `07`: S-RMAC from Key-MAC (§6.2.1).
    SessionRmac = 0x07,
}

/// NIST SP 800-108 §5.1 KDF in counter mode with PRF = AES-CMAC (key `key`), filling `out`:
/// block *i* (from 1) is `CMAC(key, before_counter ‖ [i]_r ‖ after_counter)` with the counter
/// `counter_len` bytes (1 to 4, i.e. r = 8..32 bits) big-endian, and `out` takes the first
/// `out.len()` bytes of the concatenated blocks. L, label and context are whatever the caller
/// put in the two fixed parts.
///
/// A counter width outside 1..=4, an empty `out`, or more blocks than the counter can number
/// is `InvalidParameter`.
pub fn counter_mode_cmac(
    key: &CmacKey,
    counter_len: usize,
    before_counter: &[u8],
    after_counter: &[u8],
    out: &mut [u8],
) -> Result<()> {
    if !(1..=4).contains(&counter_len) {
        return Err(Error::InvalidParameter(
            "KDF counter width is not 8..32 bits",
        ));
    }
    if out.is_empty() {
        return Err(Error::InvalidParameter("KDF output length is zero"));
    }
    let blocks = out.len().div_ceil(TAG_LEN) as u64;
    let max_blocks = (1u64 << (8 * counter_len)) - 1;
    if blocks > max_blocks {
        return Err(Error::InvalidParameter(
            "KDF output too long for its counter",
        ));
    }
    for (index, chunk) in out.chunks_mut(TAG_LEN).enumerate() {
        let counter = (index as u64 + 1).to_be_bytes();
        let counter = &counter[counter.len() - counter_len..];
        let mut block = key.sign(&[before_counter, counter, after_counter])?;
        chunk.copy_from_slice(&block[..chunk.len()]);
        block.zeroize();
    }
    Ok(())
}

/// GP Amd D §4.1.5: derives `out.len()` bytes (8, 16, 24 or 32: L = '0040', '0080', '00C0' or
/// '0100') from `key` with derivation `constant` and `context`.
pub fn derive(
    key: &CmacKey,
    constant: DerivationConstant,
    context: &[u8],
    out: &mut [u8],
) -> Result<()> {
    if !matches!(out.len(), 8 | 16 | 24 | 32) {
        return Err(Error::InvalidParameter(
            "SCP03 derived length is not 8, 16, 24 or 32",
        ));
    }
    let bits = (out.len() * 8) as u16;
    let mut fixed = [0u8; 15];
    fixed[11] = constant as u8;
    // fixed[12] is the separation indicator '00'.
    fixed[13..15].copy_from_slice(&bits.to_be_bytes());
    counter_mode_cmac(key, 1, &fixed, context, out)
}

/// Derives one SCP03 session key (GP Amd D §6.2.1, Table 6-2) from a static key: S-ENC from
/// Key-ENC with [`DerivationConstant::SessionEnc`], S-MAC / S-RMAC from Key-MAC. The context
/// is host challenge ‖ card challenge and the session key is as long as the static key.
///
/// The session keys of a channel stay inside its session object; this function exists to check
/// the derivation against published values.
pub fn derive_session_key(
    static_key: &[u8],
    constant: DerivationConstant,
    host_challenge: &[u8],
    card_challenge: &[u8],
) -> Result<SecretVec> {
    if !matches!(
        constant,
        DerivationConstant::SessionEnc
            | DerivationConstant::SessionMac
            | DerivationConstant::SessionRmac
    ) {
        return Err(Error::InvalidParameter(
            "not a session-key derivation constant",
        ));
    }
    let key = CmacKey::new(static_key)?;
    let mut session_key = SecretVec::zeroed(static_key.len());
    let context = [host_challenge, card_challenge].concat();
    derive(&key, constant, &context, session_key.expose_mut())?;
    Ok(session_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hex_text: &str) -> CmacKey {
        CmacKey::new(&hex::decode(hex_text).unwrap()).unwrap()
    }

    #[test]
    fn gp_layout_is_the_middle_fixed_counter() {
        // The GP form must equal the generic KDF with the counter between L and the context.
        let k = key("101112131415161718191a1b1c1d1e1f");
        let context = hex::decode("b13e5f938fc108c43eb51047495b249f").unwrap();
        let mut gp = [0u8; 32];
        derive(&k, DerivationConstant::SessionMac, &context, &mut gp).unwrap();
        let mut before = vec![0u8; 11];
        before.extend_from_slice(&[0x06, 0x00, 0x01, 0x00]);
        let mut generic = [0u8; 32];
        counter_mode_cmac(&k, 1, &before, &context, &mut generic).unwrap();
        assert_eq!(gp, generic);
        // The second block uses i = 2 (L = 0100).
        let first = k.sign(&[&before, &[1], &context]).unwrap();
        let second = k.sign(&[&before, &[2], &context]).unwrap();
        assert_eq!(&gp[..16], &first);
        assert_eq!(&gp[16..], &second);
    }

    #[test]
    fn rejects_bad_parameters() {
        let k = key("000102030405060708090a0b0c0d0e0f");
        let mut out = [0u8; 16];
        assert!(counter_mode_cmac(&k, 0, &[], &[], &mut out).is_err());
        assert!(counter_mode_cmac(&k, 5, &[], &[], &mut out).is_err());
        assert!(counter_mode_cmac(&k, 1, &[], &[], &mut []).is_err());
        // 8-bit counter: at most 255 blocks.
        let mut long = vec![0u8; 256 * 16];
        assert!(counter_mode_cmac(&k, 1, &[], &[], &mut long).is_err());
        assert!(counter_mode_cmac(&k, 1, &[], &[], &mut long[..255 * 16]).is_ok());
        assert!(derive(&k, DerivationConstant::CardCryptogram, &[], &mut [0u8; 12]).is_err());
        assert!(derive_session_key(
            &[0; 16],
            DerivationConstant::CardCryptogram,
            &[0; 8],
            &[0; 8]
        )
        .is_err());
        assert!(
            derive_session_key(&[0; 15], DerivationConstant::SessionEnc, &[0; 8], &[0; 8]).is_err()
        );
    }
}

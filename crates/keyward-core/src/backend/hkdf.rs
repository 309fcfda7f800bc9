//! HKDF (RFC 5869) over the backend's HMAC: the extract and expand steps of the TLS 1.3 key
//! schedule (`SslExtractEarlyKey`, `SslExtractHandshakeKey`, `SslExpand*`).
//!
//! Both steps are written on [`HmacKey`] so that secrets stay in keyward's zeroizing
//! containers between steps (aws-lc-rs's `hkdf::Prk` cannot hand a PRK back as bytes, and the
//! TLS 1.3 schedule feeds each output into the next extract).

use super::digest::HashAlgorithm;
use super::hmac::HmacKey;
use crate::{Error, Result, SecretVec};

/// `HKDF-Extract(salt, IKM)` = `HMAC-Hash(salt, IKM)`. An empty salt stands for `Hash.len`
/// zero bytes (RFC 5869 §2.2), which HMAC treats identically.
pub fn extract(hash: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Result<SecretVec> {
    let tag = HmacKey::new(hash, salt)?.sign(&[ikm]);
    Ok(SecretVec::from_slice(tag.as_bytes()))
}

/// `HKDF-Expand(PRK, info, L)` into `out` (L = `out.len()`, at most 255 · `Hash.len`, else
/// `NTE_INVALID_PARAMETER`).
pub fn expand(hash: HashAlgorithm, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let hash_len = hash.output_len();
    if out.len() > 255 * hash_len {
        return Err(Error::InvalidParameter(
            "HKDF output longer than 255 blocks",
        ));
    }
    let key = HmacKey::new(hash, prk)?;
    let mut previous = [0u8; super::hmac::MAX_TAG_LEN];
    let mut previous_len = 0;
    for (index, chunk) in out.chunks_mut(hash_len).enumerate() {
        let counter = [index as u8 + 1];
        let mut context = key.context();
        context.update(&previous[..previous_len]);
        for part in info {
            context.update(part);
        }
        context.update(&counter);
        let block = context.finish();
        chunk.copy_from_slice(&block.as_bytes()[..chunk.len()]);
        previous[..hash_len].copy_from_slice(block.as_bytes());
        previous_len = hash_len;
    }
    zeroize::Zeroize::zeroize(&mut previous);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_test_support::unhex;

    #[test]
    fn rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = extract(HashAlgorithm::Sha256, &salt, &ikm).unwrap();
        assert_eq!(
            prk.expose(),
            unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let mut okm = [0u8; 42];
        expand(HashAlgorithm::Sha256, prk.expose(), &[&info], &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            unhex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
        let mut too_long = vec![0u8; 255 * 32 + 1];
        assert!(expand(HashAlgorithm::Sha256, prk.expose(), &[], &mut too_long).is_err());
    }
}

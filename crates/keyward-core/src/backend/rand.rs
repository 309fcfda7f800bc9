//! Random bytes from AWS-LC's DRBG (`BCryptGenRandom` with `BCRYPT_USE_SYSTEM_PREFERRED_RNG`).

use crate::{Error, Result};

/// Fills `out` with cryptographically secure random bytes.
pub fn fill_random(out: &mut [u8]) -> Result<()> {
    aws_lc_rs::rand::fill(out).map_err(|_| Error::Backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_differs() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_random(&mut a).unwrap();
        fill_random(&mut b).unwrap();
        assert_ne!(a, [0u8; 32]);
        assert_ne!(a, b);
        fill_random(&mut []).unwrap();
    }
}

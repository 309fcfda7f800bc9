//! Types that hold secret bytes: zeroized on drop, never printed.

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A fixed-size secret (master secret, premaster, key material).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret<const N: usize>([u8; N]);

impl<const N: usize> Secret<N> {
    /// Wraps the bytes; the caller's copy should be wiped by the caller.
    pub fn new(bytes: [u8; N]) -> Self {
        Secret(bytes)
    }

    /// All zeros, to be filled in place.
    pub fn zeroed() -> Self {
        Secret([0; N])
    }

    /// The secret bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// The secret bytes, mutably, for filling in place.
    pub fn expose_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{N}>(..)")
    }
}

/// A variable-length secret (shared secrets, key blocks, sealed payloads).
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretVec(Vec<u8>);

impl SecretVec {
    /// Takes ownership of the bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretVec(bytes)
    }

    /// `len` zero bytes, to be filled in place.
    pub fn zeroed(len: usize) -> Self {
        SecretVec(vec![0; len])
    }

    /// Copies the slice.
    pub fn from_slice(bytes: &[u8]) -> Self {
        SecretVec(bytes.to_vec())
    }

    /// The secret bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret bytes, mutably, for filling in place.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretVec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretVec[{}](..)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_contents() {
        let s = Secret::new([0x41u8; 4]);
        assert_eq!(format!("{s:?}"), "Secret<4>(..)");
        let v = SecretVec::from_slice(b"hunter2");
        assert_eq!(format!("{v:?}"), "SecretVec[7](..)");
    }
}

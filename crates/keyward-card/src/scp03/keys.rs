//! Static SCP03 keysets (GP Amd D §6.1, Table 6-1) and AES key check values (GPCS B.2).

use core::fmt;

use keyward_core::backend::aes::{AesKey, BLOCK_LEN};
use keyward_core::SecretVec;
use subtle::ConstantTimeEq;

use crate::{Error, Result};

/// Length of a key check value.
pub const KCV_LEN: usize = 3;

/// A security domain's static SCP03 keyset: Key-ENC, Key-MAC and Key-DEK of the same length
/// (16, 24 or 32 bytes: AES-128, AES-192, AES-256) under one key version number (KVN).
/// The keys never print and are wiped on drop.
#[derive(Clone)]
pub struct StaticKeys {
    version: u8,
    enc: SecretVec,
    mac: SecretVec,
    dek: SecretVec,
}

impl StaticKeys {
    /// A keyset with key version number `version` (1..=0x7F; GP Amd D §7.1.1.3 reserves 0 for
    /// "first available"). Keys of different lengths, or of a length other than 16, 24 or 32,
    /// are `InvalidParameter`.
    pub fn new(version: u8, enc: &[u8], mac: &[u8], dek: &[u8]) -> Result<Self> {
        if version == 0 || version > 0x7F {
            return Err(Error::InvalidParameter("key version number is not 1..=7F"));
        }
        if !matches!(enc.len(), 16 | 24 | 32) {
            return Err(Error::InvalidParameter(
                "SCP03 key length is not 16, 24 or 32",
            ));
        }
        if mac.len() != enc.len() || dek.len() != enc.len() {
            return Err(Error::InvalidParameter(
                "SCP03 keys of one keyset differ in length",
            ));
        }
        Ok(StaticKeys {
            version,
            enc: SecretVec::from_slice(enc),
            mac: SecretVec::from_slice(mac),
            dek: SecretVec::from_slice(dek),
        })
    }

    /// The key version number (P1 of INITIALIZE UPDATE).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The key length in bytes (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        self.enc.len()
    }

    /// Key check values of Key-ENC, Key-MAC and Key-DEK, in that order.
    pub fn check_values(&self) -> Result<[[u8; KCV_LEN]; 3]> {
        Ok([
            key_check_value(self.enc.expose())?,
            key_check_value(self.mac.expose())?,
            key_check_value(self.dek.expose())?,
        ])
    }

    /// True when both keysets hold the same version and keys (compared in constant time).
    pub fn same_as(&self, other: &StaticKeys) -> bool {
        self.version == other.version
            && self.key_len() == other.key_len()
            && bool::from(
                self.enc.expose().ct_eq(other.enc.expose())
                    & self.mac.expose().ct_eq(other.mac.expose())
                    & self.dek.expose().ct_eq(other.dek.expose()),
            )
    }

    pub(crate) fn enc(&self) -> &[u8] {
        self.enc.expose()
    }

    pub(crate) fn mac(&self) -> &[u8] {
        self.mac.expose()
    }

    pub(crate) fn dek(&self) -> &[u8] {
        self.dek.expose()
    }
}

impl fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StaticKeys {{ version: {:#04x}, AES-{} }}",
            self.version,
            self.key_len() * 8
        )
    }
}

/// The key check value of an AES key: the first 3 bytes of AES_K(16 × '01') (GPCS B.2 / the
/// KCV of PUT KEY, GP Amd D §7.2 in v1.1.1).
pub fn key_check_value(key: &[u8]) -> Result<[u8; KCV_LEN]> {
    let cipher = AesKey::new(key)?;
    let mut block = [0x01u8; BLOCK_LEN];
    cipher.encrypt_block(&mut block)?;
    let mut kcv = [0u8; KCV_LEN];
    kcv.copy_from_slice(&block[..KCV_LEN]);
    Ok(kcv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_keysets() {
        assert!(StaticKeys::new(0x30, &[1; 16], &[2; 16], &[3; 16]).is_ok());
        assert!(StaticKeys::new(0x30, &[1; 24], &[2; 24], &[3; 24]).is_ok());
        assert!(StaticKeys::new(0x30, &[1; 32], &[2; 32], &[3; 32]).is_ok());
        assert!(StaticKeys::new(0x30, &[1; 16], &[2; 24], &[3; 16]).is_err());
        assert!(StaticKeys::new(0x30, &[1; 20], &[2; 20], &[3; 20]).is_err());
        assert!(StaticKeys::new(0x00, &[1; 16], &[2; 16], &[3; 16]).is_err());
        assert!(StaticKeys::new(0x80, &[1; 16], &[2; 16], &[3; 16]).is_err());
        let keys = StaticKeys::new(0x31, &[7; 24], &[8; 24], &[9; 24]).unwrap();
        assert_eq!(format!("{keys:?}"), "StaticKeys { version: 0x31, AES-192 }");
        assert!(keys.same_as(&keys.clone()));
        let other = StaticKeys::new(0x31, &[7; 24], &[8; 24], &[0; 24]).unwrap();
        assert!(!keys.same_as(&other));
    }
}

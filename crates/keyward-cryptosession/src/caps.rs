//! Content-protection capabilities: the `D3D11_CONTENT_PROTECTION_CAPS` flags and the
//! `D3D11_VIDEO_CONTENT_PROTECTION_CAPS` structure that `GetContentProtectionCaps` fills
//! (docs/cryptosession-and-card.md, "GUIDs, capabilities and error codes" and "Structures and the
//! counter block").

use crate::error::{Error, Result};

/// `D3D11_CONTENT_PROTECTION_CAPS_SOFTWARE`: the encryption is done in software.
pub const CAPS_SOFTWARE: u32 = 0x1;
/// `D3D11_CONTENT_PROTECTION_CAPS_HARDWARE`.
pub const CAPS_HARDWARE: u32 = 0x2;
/// `D3D11_CONTENT_PROTECTION_CAPS_PROTECTION_ALWAYS_ON`.
pub const CAPS_PROTECTION_ALWAYS_ON: u32 = 0x4;
/// `D3D11_CONTENT_PROTECTION_CAPS_PARTIAL_DECRYPTION`: `DecryptionBlt` takes a
/// `D3D11_ENCRYPTED_BLOCK_INFO`.
pub const CAPS_PARTIAL_DECRYPTION: u32 = 0x8;
/// `D3D11_CONTENT_PROTECTION_CAPS_CONTENT_KEY`: `DecryptionBlt` takes a content key wrapped
/// under the session key.
pub const CAPS_CONTENT_KEY: u32 = 0x10;
/// `D3D11_CONTENT_PROTECTION_CAPS_FRESHEN_SESSION_KEY`: `StartSessionKeyRefresh` /
/// `FinishSessionKeyRefresh`.
pub const CAPS_FRESHEN_SESSION_KEY: u32 = 0x20;
/// `D3D11_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK`: `EncryptionBlt`.
pub const CAPS_ENCRYPTED_READ_BACK: u32 = 0x40;
/// `D3D11_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY`: `EncryptionBlt` encrypts under a
/// separate key fetched with `GetEncryptionBltKey`.
pub const CAPS_ENCRYPTED_READ_BACK_KEY: u32 = 0x80;
/// `D3D11_CONTENT_PROTECTION_CAPS_SEQUENTIAL_CTR_IV`.
pub const CAPS_SEQUENTIAL_CTR_IV: u32 = 0x100;
/// `D3D11_CONTENT_PROTECTION_CAPS_ENCRYPT_SLICEDATA_ONLY`.
pub const CAPS_ENCRYPT_SLICEDATA_ONLY: u32 = 0x200;
/// `D3D11_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT`: `DecryptionBlt`.
pub const CAPS_DECRYPTION_BLT: u32 = 0x400;
/// `D3D11_CONTENT_PROTECTION_CAPS_HARDWARE_PROTECT_UNCOMPRESSED`.
pub const CAPS_HARDWARE_PROTECT_UNCOMPRESSED: u32 = 0x800;
/// `D3D11_CONTENT_PROTECTION_CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE`.
pub const CAPS_HARDWARE_PROTECTED_MEMORY_PAGEABLE: u32 = 0x1000;
/// `D3D11_CONTENT_PROTECTION_CAPS_HARDWARE_TEARDOWN`.
pub const CAPS_HARDWARE_TEARDOWN: u32 = 0x2000;
/// `D3D11_CONTENT_PROTECTION_CAPS_HARDWARE_DRM_COMMUNICATION`.
pub const CAPS_HARDWARE_DRM_COMMUNICATION: u32 = 0x4000;

/// What this software device offers for `D3D11_CRYPTO_TYPE_AES128_CTR`.
pub const DEVICE_CAPS: u32 = CAPS_SOFTWARE
    | CAPS_PARTIAL_DECRYPTION
    | CAPS_CONTENT_KEY
    | CAPS_FRESHEN_SESSION_KEY
    | CAPS_ENCRYPTED_READ_BACK
    | CAPS_ENCRYPTED_READ_BACK_KEY
    | CAPS_DECRYPTION_BLT;

/// The alignment, in bytes, of every offset in a `D3D11_ENCRYPTED_BLOCK_INFO` (one AES block).
pub const BLOCK_ALIGNMENT_SIZE: u32 = 16;

/// `D3D11_VIDEO_CONTENT_PROTECTION_CAPS` (`GetContentProtectionCaps`).
///
/// Layout (natural alignment, 24 bytes): `Caps` u32 @0, `KeyExchangeTypeCount` u32 @4,
/// `BlockAlignmentSize` u32 @8, 4 bytes of padding @12, `ProtectedMemorySize` u64 @16; all
/// little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentProtectionCaps {
    /// `Caps`: `D3D11_CONTENT_PROTECTION_CAPS` flags.
    pub caps: u32,
    /// `KeyExchangeTypeCount`: how many indices `CheckCryptoKeyExchange` accepts.
    pub key_exchange_type_count: u32,
    /// `BlockAlignmentSize`: the alignment of partially encrypted regions.
    pub block_alignment_size: u32,
    /// `ProtectedMemorySize`: protected memory available, in bytes (0: a software device has
    /// none).
    pub protected_memory_size: u64,
}

impl ContentProtectionCaps {
    /// Size of the structure in memory.
    pub const SIZE: usize = 24;

    /// The structure's bytes (padding zero).
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&self.caps.to_le_bytes());
        out[4..8].copy_from_slice(&self.key_exchange_type_count.to_le_bytes());
        out[8..12].copy_from_slice(&self.block_alignment_size.to_le_bytes());
        out[16..24].copy_from_slice(&self.protected_memory_size.to_le_bytes());
        out
    }

    /// Parses exactly [`Self::SIZE`] bytes (else [`Error::InvalidArgument`]); padding is
    /// ignored.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::SIZE] = bytes.try_into().map_err(|_| {
            Error::InvalidArgument("D3D11_VIDEO_CONTENT_PROTECTION_CAPS is 24 bytes")
        })?;
        let u32_at = |at: usize| {
            let mut field = [0u8; 4];
            field.copy_from_slice(&bytes[at..at + 4]);
            u32::from_le_bytes(field)
        };
        let mut memory = [0u8; 8];
        memory.copy_from_slice(&bytes[16..24]);
        Ok(ContentProtectionCaps {
            caps: u32_at(0),
            key_exchange_type_count: u32_at(4),
            block_alignment_size: u32_at(8),
            protected_memory_size: u64::from_le_bytes(memory),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trips() {
        let caps = ContentProtectionCaps {
            caps: DEVICE_CAPS,
            key_exchange_type_count: 1,
            block_alignment_size: 16,
            protected_memory_size: 0x0102_0304_0506_0708,
        };
        let bytes = caps.to_bytes();
        assert_eq!(
            hex::encode(bytes),
            "f90400000100000010000000000000000807060504030201"
        );
        assert_eq!(ContentProtectionCaps::parse(&bytes).unwrap(), caps);
        assert!(ContentProtectionCaps::parse(&bytes[..23]).is_err());
    }

    #[test]
    fn device_caps_are_the_documented_set() {
        assert_eq!(DEVICE_CAPS, 0x1 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x400);
        assert_eq!(DEVICE_CAPS & CAPS_HARDWARE, 0);
    }
}

//! Windows `GUID`s and the crypto-type and key-exchange GUIDs of `d3d9caps.h` / `d3d11.h`
//! (docs/cryptosession-and-card.md, "GUIDs, capabilities and error codes").

use core::fmt;

/// A Windows `GUID`. In memory (and in every structure this crate reads or writes) it is
/// `Data1` (u32), `Data2` (u16) and `Data3` (u16) little-endian, then the 8 bytes of `Data4`
/// as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid {
    /// `Data1`.
    pub data1: u32,
    /// `Data2`.
    pub data2: u16,
    /// `Data3`.
    pub data3: u16,
    /// `Data4`.
    pub data4: [u8; 8],
}

/// Size of a `GUID` in memory.
pub const GUID_LEN: usize = 16;

impl Guid {
    /// `GUID_NULL` (`NULL_GUID` in the DDI docs): all zeros.
    pub const NULL: Guid = Guid::new(0, 0, 0, [0; 8]);

    /// A GUID from its fields, as `DEFINE_GUID` writes them.
    pub const fn new(data1: u32, data2: u16, data3: u16, data4: [u8; 8]) -> Self {
        Guid {
            data1,
            data2,
            data3,
            data4,
        }
    }

    /// The 16 bytes of the GUID as Windows lays it out in memory.
    pub fn to_bytes(&self) -> [u8; GUID_LEN] {
        let mut out = [0u8; GUID_LEN];
        out[..4].copy_from_slice(&self.data1.to_le_bytes());
        out[4..6].copy_from_slice(&self.data2.to_le_bytes());
        out[6..8].copy_from_slice(&self.data3.to_le_bytes());
        out[8..].copy_from_slice(&self.data4);
        out
    }

    /// The GUID whose in-memory layout is `bytes`.
    pub fn from_bytes(bytes: &[u8; GUID_LEN]) -> Self {
        let [a0, a1, a2, a3, b0, b1, c0, c1, d0, d1, d2, d3, d4, d5, d6, d7] = *bytes;
        Guid {
            data1: u32::from_le_bytes([a0, a1, a2, a3]),
            data2: u16::from_le_bytes([b0, b1]),
            data3: u16::from_le_bytes([c0, c1]),
            data4: [d0, d1, d2, d3, d4, d5, d6, d7],
        }
    }

    /// True for `GUID_NULL`.
    pub fn is_null(&self) -> bool {
        *self == Guid::NULL
    }
}

impl fmt::Display for Guid {
    /// The registry form, `{9B6BD711-4F74-41C9-9E7B-0BE2D7D93B4F}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `D3D11_CRYPTO_TYPE_AES128_CTR` (= `D3DCRYPTOTYPE_AES128_CTR`): AES-128 in counter mode, the
/// one crypto type this device supports.
pub const D3D11_CRYPTO_TYPE_AES128_CTR: Guid = Guid::new(
    0x9B6B_D711,
    0x4F74,
    0x41C9,
    [0x9E, 0x7B, 0x0B, 0xE2, 0xD7, 0xD9, 0x3B, 0x4F],
);

/// `D3DCRYPTOTYPE_PROPRIETARY` (not supported here).
pub const D3DCRYPTOTYPE_PROPRIETARY: Guid = Guid::new(
    0xAB4E_9AFD,
    0x1D1C,
    0x46E6,
    [0xA7, 0x2F, 0x08, 0x69, 0x91, 0x7B, 0x0D, 0xE8],
);

/// `D3D11_KEY_EXCHANGE_RSAES_OAEP` (= `D3DKEYEXCHANGE_RSAES_OAEP`): the session key travels
/// RSAES-OAEP-encrypted under the device's public key; the one key exchange supported here.
pub const D3D11_KEY_EXCHANGE_RSAES_OAEP: Guid = Guid::new(
    0xC194_9895,
    0xD72A,
    0x4A1D,
    [0x8E, 0x5D, 0xED, 0x85, 0x7D, 0x17, 0x15, 0x20],
);

/// `D3DKEYEXCHANGE_DXVA` (not supported here).
pub const D3DKEYEXCHANGE_DXVA: Guid = Guid::new(
    0x43D3_775C,
    0x38E5,
    0x4924,
    [0x8D, 0x86, 0xD3, 0xFC, 0xCF, 0x15, 0x3E, 0x9B],
);

/// `D3D11_KEY_EXCHANGE_HW_PROTECTION` (not supported here: there is no secure execution
/// environment behind a software device).
pub const D3D11_KEY_EXCHANGE_HW_PROTECTION: Guid = Guid::new(
    0xB117_0D8A,
    0x628D,
    0x4DA3,
    [0xAD, 0x3B, 0x82, 0xDD, 0xB0, 0x8B, 0x49, 0x70],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_layout_matches_the_reference() {
        // Reference A.3: AES128_CTR in memory, from ClangSharp's byte array.
        let bytes = [
            0x11, 0xD7, 0x6B, 0x9B, 0x74, 0x4F, 0xC9, 0x41, 0x9E, 0x7B, 0x0B, 0xE2, 0xD7, 0xD9,
            0x3B, 0x4F,
        ];
        assert_eq!(D3D11_CRYPTO_TYPE_AES128_CTR.to_bytes(), bytes);
        assert_eq!(Guid::from_bytes(&bytes), D3D11_CRYPTO_TYPE_AES128_CTR);
    }

    #[test]
    fn displays_in_registry_form() {
        assert_eq!(
            D3D11_CRYPTO_TYPE_AES128_CTR.to_string(),
            "{9B6BD711-4F74-41C9-9E7B-0BE2D7D93B4F}"
        );
        assert_eq!(
            D3D11_KEY_EXCHANGE_RSAES_OAEP.to_string(),
            "{C1949895-D72A-4A1D-8E5D-ED857D171520}"
        );
        assert_eq!(
            D3DCRYPTOTYPE_PROPRIETARY.to_string(),
            "{AB4E9AFD-1D1C-46E6-A72F-0869917B0DE8}"
        );
        assert_eq!(
            D3DKEYEXCHANGE_DXVA.to_string(),
            "{43D3775C-38E5-4924-8D86-D3FCCF153E9B}"
        );
        assert_eq!(
            D3D11_KEY_EXCHANGE_HW_PROTECTION.to_string(),
            "{B1170D8A-628D-4DA3-AD3B-82DDB08B4970}"
        );
        assert!(Guid::NULL.is_null());
        assert!(!D3DKEYEXCHANGE_DXVA.is_null());
    }
}

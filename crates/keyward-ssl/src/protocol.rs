//! Protocol versions (`dwProtocol`): the wire version numbers of `sslprovider.h` §4.2.

use keyward_core::{Error, Result};

/// A protocol version the provider knows about.
///
/// SSL 2.0 and SSL 3.0 are recognised (so they get a precise `NTE_NOT_SUPPORTED`) but never
/// supported: keyward implements TLS 1.0–1.2, DTLS 1.0/1.2 (and TLS 1.3 in its own functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TLS 1.0, `TLS1_PROTOCOL_VERSION` (0x0301).
    Tls10,
    /// TLS 1.1, `TLS1_1_PROTOCOL_VERSION` (0x0302).
    Tls11,
    /// TLS 1.2, `TLS1_2_PROTOCOL_VERSION` (0x0303).
    Tls12,
    /// TLS 1.3, `TLS1_3_PROTOCOL_VERSION` (0x0304).
    Tls13,
    /// DTLS 1.0, `DTLS1_0_PROTOCOL_VERSION` (0xFEFF).
    Dtls10,
    /// DTLS 1.2, `DTLS1_2_PROTOCOL_VERSION` (0xFEFD).
    Dtls12,
}

/// `SSL2_PROTOCOL_VERSION`.
pub const SSL2_PROTOCOL_VERSION: u32 = 0x0002;
/// `SSL3_PROTOCOL_VERSION`.
pub const SSL3_PROTOCOL_VERSION: u32 = 0x0300;

impl Protocol {
    /// Every protocol keyward supports, in `dwProtocol` order.
    pub const ALL: [Protocol; 6] = [
        Protocol::Tls10,
        Protocol::Tls11,
        Protocol::Tls12,
        Protocol::Tls13,
        Protocol::Dtls10,
        Protocol::Dtls12,
    ];

    /// Parses a `dwProtocol` value. SSL 2.0, SSL 3.0 and unknown values are
    /// `NTE_NOT_SUPPORTED`.
    pub fn from_u32(value: u32) -> Result<Self> {
        match value {
            0x0301 => Ok(Protocol::Tls10),
            0x0302 => Ok(Protocol::Tls11),
            0x0303 => Ok(Protocol::Tls12),
            0x0304 => Ok(Protocol::Tls13),
            0xFEFF => Ok(Protocol::Dtls10),
            0xFEFD => Ok(Protocol::Dtls12),
            SSL2_PROTOCOL_VERSION | SSL3_PROTOCOL_VERSION => {
                Err(Error::NotSupported("SSL 2.0 and SSL 3.0 are not supported"))
            }
            _ => Err(Error::NotSupported("unknown protocol")),
        }
    }

    /// The `dwProtocol` value, which is also the record-layer wire version.
    pub fn to_u32(self) -> u32 {
        u32::from(self.wire_version())
    }

    /// The version field of record headers.
    pub fn wire_version(self) -> u16 {
        match self {
            Protocol::Tls10 => 0x0301,
            Protocol::Tls11 => 0x0302,
            Protocol::Tls12 => 0x0303,
            Protocol::Tls13 => 0x0304,
            Protocol::Dtls10 => 0xFEFF,
            Protocol::Dtls12 => 0xFEFD,
        }
    }

    /// DTLS (13-byte record header with epoch and sequence number).
    pub fn is_dtls(self) -> bool {
        matches!(self, Protocol::Dtls10 | Protocol::Dtls12)
    }

    /// TLS 1.0/1.1 and DTLS 1.0: the MD5 ⊕ SHA-1 PRF and the MD5 ‖ SHA-1 handshake hash.
    pub fn uses_md5_sha1(self) -> bool {
        matches!(self, Protocol::Tls10 | Protocol::Tls11 | Protocol::Dtls10)
    }

    /// TLS 1.0 only: CBC IVs are implicit and chained from the previous record.
    pub fn has_implicit_cbc_iv(self) -> bool {
        self == Protocol::Tls10
    }

    /// Length of the record header: 5 for TLS, 13 for DTLS.
    pub fn record_header_len(self) -> usize {
        if self.is_dtls() {
            13
        } else {
            5
        }
    }

    /// True for TLS 1.3, whose keys come from the TLS 1.3 key schedule functions.
    pub fn is_tls13(self) -> bool {
        self == Protocol::Tls13
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::Status;

    #[test]
    fn round_trips_and_rejects_ssl() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_u32(p.to_u32()), Ok(p));
        }
        for bad in [0x0002, 0x0300, 0x0305, 0] {
            assert_eq!(
                Protocol::from_u32(bad).unwrap_err().status(),
                Status::NTE_NOT_SUPPORTED
            );
        }
    }
}

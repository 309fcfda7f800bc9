//! Protocol versions (`dwProtocol`): the wire version numbers of `sslprovider.h` §4.2.
//! keyward-ffi turns a `dwProtocol` into a [`Protocol`], with the statuses of Windows.

/// A protocol version the provider knows about.
///
/// SSL 2.0 and SSL 3.0 are never supported (keyward-ffi answers them `NTE_NOT_SUPPORTED`): keyward implements TLS 1.0–1.2, DTLS 1.0/1.2 (and TLS 1.3 in its own functions).
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

    /// The protocol whose record-layer version is `version` (0x0301 … 0x0304, 0xFEFF, 0xFEFD),
    /// if keyward knows it. keyward-ffi reads `dwProtocol` through this, with its statuses.
    pub fn from_wire_version(version: u16) -> Option<Self> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.wire_version() == version)
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

    #[test]
    fn wire_versions_round_trip_and_ssl_is_unknown() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::from_wire_version(p.wire_version()), Some(p));
        }
        for bad in [0x0002, 0x0300, 0x0305, 0] {
            assert_eq!(Protocol::from_wire_version(bad), None);
        }
    }
}

//! The code points of the record and handshake layers.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident: $repr:ty { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this table does not know.
            Unknown($repr),
        }

        impl $name {
            /// The wire value.
            pub fn to_wire(self) -> $repr {
                match self {
                    $($name::$variant => $value,)*
                    $name::Unknown(value) => value,
                }
            }

            /// The variant for a wire value.
            pub fn from_wire(value: $repr) -> Self {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }
        }
    };
}

wire_enum! {
    /// `ContentType` of a record (RFC 8446 §5.1).
    ContentType: u8 {
        /// 20.
        ChangeCipherSpec = 20,
        /// 21.
        Alert = 21,
        /// 22.
        Handshake = 22,
        /// 23.
        ApplicationData = 23,
    }
}

wire_enum! {
    /// `HandshakeType` (RFC 5246 §7.4, RFC 8446 §4).
    HandshakeType: u8 {
        /// 0 (TLS 1.2 only).
        HelloRequest = 0,
        /// 1.
        ClientHello = 1,
        /// 2 (also HelloRetryRequest).
        ServerHello = 2,
        /// 4.
        NewSessionTicket = 4,
        /// 5.
        EndOfEarlyData = 5,
        /// 8.
        EncryptedExtensions = 8,
        /// 11.
        Certificate = 11,
        /// 12 (TLS 1.2 only).
        ServerKeyExchange = 12,
        /// 13.
        CertificateRequest = 13,
        /// 14 (TLS 1.2 only).
        ServerHelloDone = 14,
        /// 15.
        CertificateVerify = 15,
        /// 16 (TLS 1.2 only).
        ClientKeyExchange = 16,
        /// 20.
        Finished = 20,
        /// 24 (TLS 1.3 only).
        KeyUpdate = 24,
        /// 254: the synthetic message replacing ClientHello1 after a HelloRetryRequest.
        MessageHash = 254,
    }
}

wire_enum! {
    /// `ExtensionType` (IANA TLS ExtensionType Values).
    ExtensionType: u16 {
        /// RFC 6066.
        ServerName = 0,
        /// RFC 6066.
        MaxFragmentLength = 1,
        /// RFC 6066.
        StatusRequest = 5,
        /// RFC 8422 / RFC 7919 / RFC 8446.
        SupportedGroups = 10,
        /// RFC 8422.
        EcPointFormats = 11,
        /// RFC 5246 / RFC 8446.
        SignatureAlgorithms = 13,
        /// RFC 7301.
        ApplicationLayerProtocolNegotiation = 16,
        /// RFC 6962.
        SignedCertificateTimestamp = 18,
        /// RFC 7685.
        Padding = 21,
        /// RFC 7366.
        EncryptThenMac = 22,
        /// RFC 7627.
        ExtendedMasterSecret = 23,
        /// RFC 8449.
        RecordSizeLimit = 28,
        /// RFC 5077.
        SessionTicket = 35,
        /// RFC 8446.
        PreSharedKey = 41,
        /// RFC 8446.
        EarlyData = 42,
        /// RFC 8446.
        SupportedVersions = 43,
        /// RFC 8446.
        Cookie = 44,
        /// RFC 8446.
        PskKeyExchangeModes = 45,
        /// RFC 8446.
        CertificateAuthorities = 47,
        /// RFC 8446.
        PostHandshakeAuth = 49,
        /// RFC 8446.
        SignatureAlgorithmsCert = 50,
        /// RFC 8446.
        KeyShare = 51,
        /// RFC 5746.
        RenegotiationInfo = 0xFF01,
    }
}

/// `ProtocolVersion` values.
pub mod version {
    /// TLS 1.0: the record version of a first ClientHello (RFC 8446 §5.1 recommends it).
    pub const TLS10: u16 = 0x0301;
    /// TLS 1.1.
    pub const TLS11: u16 = 0x0302;
    /// TLS 1.2 (also `legacy_version` of every TLS 1.3 hello).
    pub const TLS12: u16 = 0x0303;
    /// TLS 1.3.
    pub const TLS13: u16 = 0x0304;
}

/// Cipher-suite values that are signals rather than suites.
pub mod signal {
    /// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` (RFC 5746 §3.3).
    pub const EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00FF;
    /// `TLS_FALLBACK_SCSV` (RFC 7507).
    pub const FALLBACK_SCSV: u16 = 0x5600;
}

/// `psk_key_exchange_modes` values (RFC 8446 §4.2.9).
pub mod psk_mode {
    /// PSK-only key establishment (not used by keyward).
    pub const PSK_KE: u8 = 0;
    /// PSK with (EC)DHE key establishment.
    pub const PSK_DHE_KE: u8 = 1;
}

/// The `ECPointFormat` uncompressed (RFC 8422 §5.1.2): the only one allowed.
pub const EC_POINT_UNCOMPRESSED: u8 = 0;

/// `ECCurveType.named_curve` in a ServerKeyExchange (RFC 8422 §5.4).
pub const EC_CURVE_TYPE_NAMED: u8 = 3;

/// `server_name` NameType `host_name` (RFC 6066 §3).
pub const SERVER_NAME_HOST: u8 = 0;

/// The `random` of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 §4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// The last eight bytes of a TLS 1.3 server's random when it negotiates TLS 1.2
/// (RFC 8446 §4.1.3).
pub const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";

/// The last eight bytes of a TLS 1.3 server's random when it negotiates TLS 1.1 or below.
pub const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

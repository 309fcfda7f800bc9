//! TLS alerts (RFC 8446 §6, RFC 5246 §7.2).

/// The level byte of an alert record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertLevel {
    /// 1.
    Warning,
    /// 2.
    Fatal,
}

impl AlertLevel {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        }
    }

    /// The level for a wire value.
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            1 => Some(AlertLevel::Warning),
            2 => Some(AlertLevel::Fatal),
            _ => None,
        }
    }
}

macro_rules! alert_descriptions {
    ($($name:ident = $value:literal,)*) => {
        /// The description byte of an alert: every value RFC 5246 and RFC 8446 define.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum AlertDescription {
            $(
                #[doc = concat!("Alert ", stringify!($value), ".")]
                $name,
            )*
            /// A value this table does not know.
            Unknown(u8),
        }

        impl AlertDescription {
            /// The wire value.
            pub fn to_u8(self) -> u8 {
                match self {
                    $(AlertDescription::$name => $value,)*
                    AlertDescription::Unknown(value) => value,
                }
            }

            /// The description for a wire value.
            pub fn from_u8(value: u8) -> Self {
                match value {
                    $($value => AlertDescription::$name,)*
                    other => AlertDescription::Unknown(other),
                }
            }
        }
    };
}

alert_descriptions! {
    CloseNotify = 0,
    UnexpectedMessage = 10,
    BadRecordMac = 20,
    RecordOverflow = 22,
    HandshakeFailure = 40,
    BadCertificate = 42,
    UnsupportedCertificate = 43,
    CertificateRevoked = 44,
    CertificateExpired = 45,
    CertificateUnknown = 46,
    IllegalParameter = 47,
    UnknownCa = 48,
    AccessDenied = 49,
    DecodeError = 50,
    DecryptError = 51,
    ProtocolVersion = 70,
    InsufficientSecurity = 71,
    InternalError = 80,
    InappropriateFallback = 86,
    UserCanceled = 90,
    NoRenegotiation = 100,
    MissingExtension = 109,
    UnsupportedExtension = 110,
    UnrecognizedName = 112,
    BadCertificateStatusResponse = 113,
    UnknownPskIdentity = 115,
    CertificateRequired = 116,
    NoApplicationProtocol = 120,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for value in 0..=255u8 {
            assert_eq!(AlertDescription::from_u8(value).to_u8(), value);
        }
        assert_eq!(
            AlertDescription::from_u8(40),
            AlertDescription::HandshakeFailure
        );
    }
}

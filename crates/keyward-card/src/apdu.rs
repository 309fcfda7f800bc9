//! Command and response APDUs (ISO/IEC 7816-4 §5.1): encoding, strict parsing, status words.
//!
//! A command APDU is `CLA INS P1 P2 [Lc data] [Le]` in one of the seven cases of ISO 7816-4:
//! 1, 2S, 3S, 4S (short: Lc ≤ 255, Le ≤ 256 coded `00` for 256) and 2E, 3E, 4E (extended: a
//! `00` byte then two-byte Lc/Le, Le `0000` meaning 65536). A response APDU is
//! `[data] SW1 SW2`.
//!
//! The data fields may carry PINs and private keys before secure messaging wraps them, so both
//! types wipe their data on drop and print only their header and lengths.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

use zeroize::Zeroize;

use crate::{Error, Result};

/// Largest data field of a short APDU (Lc is one byte).
pub const SHORT_MAX_DATA: usize = 255;
/// Largest Le of a short APDU (coded `00`).
pub const SHORT_MAX_LE: usize = 256;
/// Largest data field of an extended APDU.
pub const EXTENDED_MAX_DATA: usize = 65_535;
/// Largest Le of an extended APDU (coded `0000`).
pub const EXTENDED_MAX_LE: usize = 65_536;

/// A command APDU (ISO/IEC 7816-4 §5.1): header, optional data field, optional Le.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    data: Vec<u8>,
    le: Option<usize>,
}

impl CommandApdu {
    /// A command with a data field (empty for none) and an optional Le (1..=65536).
    /// A data field above 65535 bytes or an Le out of range is `InvalidParameter`.
    pub fn new(
        cla: u8,
        ins: u8,
        p1: u8,
        p2: u8,
        data: impl Into<Vec<u8>>,
        le: Option<usize>,
    ) -> Result<Self> {
        let mut data = data.into();
        if data.len() > EXTENDED_MAX_DATA {
            data.zeroize();
            return Err(Error::InvalidParameter("APDU data field above 65535 bytes"));
        }
        if let Some(le) = le {
            if le == 0 || le > EXTENDED_MAX_LE {
                data.zeroize();
                return Err(Error::InvalidParameter("APDU Le out of 1..=65536"));
            }
        }
        Ok(CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
    }

    /// The data field (empty when absent).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The expected response length, if the command has an Le field.
    pub fn le(&self) -> Option<usize> {
        self.le
    }

    /// True when the command fits the short encoding (Lc ≤ 255 and Le ≤ 256).
    pub fn is_short(&self) -> bool {
        self.data.len() <= SHORT_MAX_DATA && self.le.is_none_or(|le| le <= SHORT_MAX_LE)
    }

    /// The encoded command: short when it fits, extended otherwise.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let short = self.is_short();
        if !self.data.is_empty() {
            if short {
                out.push(self.data.len() as u8);
            } else {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if short {
                // 256 is coded 00.
                out.push((le % 256) as u8);
            } else {
                if self.data.is_empty() {
                    out.push(0);
                }
                // 65536 is coded 0000.
                out.extend_from_slice(&((le % 65_536) as u16).to_be_bytes());
            }
        }
        out
    }

    /// Parses an encoded command in any of the seven ISO 7816-4 cases. Anything that is not
    /// exactly one of them is `MalformedMessage`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const MALFORMED: Error = Error::MalformedMessage("command APDU length fields");
        let (header, body) = bytes
            .split_first_chunk::<4>()
            .ok_or(Error::MalformedMessage("command APDU shorter than 4 bytes"))?;
        let [cla, ins, p1, p2] = *header;
        let (data, le): (&[u8], Option<usize>) = match body {
            // Case 1.
            [] => (&[], None),
            // Case 2S.
            [le] => (&[], Some(short_le(*le))),
            // Extended cases: a 00 byte, then at least two length bytes.
            [0, rest @ ..] if rest.len() >= 2 => {
                let (first, tail) = rest.split_first_chunk::<2>().ok_or(MALFORMED)?;
                let first = usize::from(u16::from_be_bytes(*first));
                if tail.is_empty() {
                    // Case 2E.
                    (&[], Some(extended_le(first)))
                } else if first == 0 {
                    return Err(MALFORMED);
                } else if tail.len() == first {
                    // Case 3E.
                    (tail, None)
                } else if tail.len() == first + 2 {
                    // Case 4E.
                    let (data, le) = tail.split_at(first);
                    let &[high, low] = le else {
                        return Err(MALFORMED);
                    };
                    (
                        data,
                        Some(extended_le(usize::from(u16::from_be_bytes([high, low])))),
                    )
                } else {
                    return Err(MALFORMED);
                }
            }
            [lc, rest @ ..] if *lc != 0 => {
                let lc = usize::from(*lc);
                if rest.len() == lc {
                    // Case 3S.
                    (rest, None)
                } else if rest.len() == lc + 1 {
                    // Case 4S.
                    let (data, le) = rest.split_at(lc);
                    let &[le] = le else {
                        return Err(MALFORMED);
                    };
                    (data, Some(short_le(le)))
                } else {
                    return Err(MALFORMED);
                }
            }
            _ => return Err(MALFORMED),
        };
        CommandApdu::new(cla, ins, p1, p2, data.to_vec(), le)
    }
}

fn short_le(byte: u8) -> usize {
    if byte == 0 {
        SHORT_MAX_LE
    } else {
        usize::from(byte)
    }
}

fn extended_le(value: usize) -> usize {
    if value == 0 {
        EXTENDED_MAX_LE
    } else {
        value
    }
}

impl Drop for CommandApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CommandApdu {{ {:02X} {:02X} {:02X} {:02X}, data: {} bytes, le: {:?} }}",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// A status word SW1 SW2 (ISO/IEC 7816-4 §5.6), with the values this crate uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const SUCCESS: StatusWord = StatusWord(0x9000);
    /// `6300`: authentication of the host cryptogram failed (GP Amd D Table 7-7).
    pub const AUTHENTICATION_FAILED: StatusWord = StatusWord(0x6300);
    /// `6581`: memory failure (the card could not persist its state).
    pub const MEMORY_FAILURE: StatusWord = StatusWord(0x6581);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6982`: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6983`: authentication method (PIN) blocked.
    pub const AUTHENTICATION_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6A80`: incorrect parameters in the data field.
    pub const INCORRECT_DATA: StatusWord = StatusWord(0x6A80);
    /// `6A81`: function not supported.
    pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A84`: not enough memory space.
    pub const NOT_ENOUGH_MEMORY: StatusWord = StatusWord(0x6A84);
    /// `6A86`: incorrect parameters P1-P2.
    pub const INCORRECT_P1_P2: StatusWord = StatusWord(0x6A86);
    /// `6A88`: referenced data not found.
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// `6D00`: instruction code not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// `6F00`: no precise diagnosis.
    pub const NO_PRECISE_DIAGNOSIS: StatusWord = StatusWord(0x6F00);

    /// `63Cx`: verification failed, `x` tries left (x ≤ 15).
    pub fn wrong_pin(attempts_remaining: u8) -> StatusWord {
        StatusWord(0x63C0 | u16::from(attempts_remaining.min(15)))
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// True for `9000` and the warnings `62xx` / `63xx`: the status words a secure channel
    /// protects (GP Amd D §6.2.5); every other status word is an error and travels bare.
    pub fn is_protected(self) -> bool {
        self == StatusWord::SUCCESS || matches!(self.sw1(), 0x62 | 0x63)
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    data: Vec<u8>,
    /// The status word.
    pub sw: StatusWord,
}

impl ResponseApdu {
    /// A response with a data field (empty for none).
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        ResponseApdu {
            data: data.into(),
            sw,
        }
    }

    /// A bare status word (no data).
    pub fn status(sw: StatusWord) -> Self {
        ResponseApdu::new(Vec::new(), sw)
    }

    /// The data field (empty when absent).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Parses `data ‖ SW1 SW2`; fewer than 2 bytes is `MalformedMessage`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let (data, sw) = bytes
            .split_last_chunk::<2>()
            .ok_or(Error::MalformedMessage(
                "response APDU shorter than 2 bytes",
            ))?;
        Ok(ResponseApdu::new(
            data.to_vec(),
            StatusWord(u16::from_be_bytes(*sw)),
        ))
    }

    /// `data ‖ SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }
}

impl Drop for ResponseApdu {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ResponseApdu {{ data: {} bytes, {:?} }}",
            self.data.len(),
            self.sw
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(hex_text: &str) -> CommandApdu {
        let bytes = hex::decode(hex_text).unwrap();
        let command = CommandApdu::parse(&bytes).unwrap();
        assert_eq!(hex::encode(command.to_bytes()), hex_text);
        command
    }

    #[test]
    fn parses_every_case() {
        let case1 = round_trip("80f22002");
        assert_eq!((case1.data(), case1.le()), (&[][..], None));
        let case2s = round_trip("80ca006600");
        assert_eq!((case2s.data(), case2s.le()), (&[][..], Some(256)));
        let case3s = round_trip("80f220020a4f0212345c054f9f70c5");
        assert_eq!(case3s.data().len(), 10);
        assert_eq!(case3s.le(), None);
        let case4s = round_trip("80e2910006bf3e035c015a10");
        assert_eq!(case4s.data(), hex::decode("bf3e035c015a").unwrap());
        assert_eq!(case4s.le(), Some(16));
        let case2e = round_trip("00b00000000000");
        assert_eq!(case2e.le(), Some(65_536));
        let long = vec![0xAB; 300];
        let case3e = CommandApdu::new(0x80, 0x60, 0, 0, long.clone(), None).unwrap();
        let encoded = case3e.to_bytes();
        assert_eq!(&encoded[4..7], &[0x00, 0x01, 0x2C]);
        assert_eq!(CommandApdu::parse(&encoded).unwrap(), case3e);
        let case4e = CommandApdu::new(0x80, 0x60, 0, 0, long, Some(1000)).unwrap();
        let encoded = case4e.to_bytes();
        assert_eq!(&encoded[encoded.len() - 2..], &[0x03, 0xE8]);
        assert_eq!(CommandApdu::parse(&encoded).unwrap(), case4e);
        // Short data with an Le above 256 needs the extended form.
        let mixed = CommandApdu::new(0x80, 0x62, 0, 0, vec![1, 2], Some(300)).unwrap();
        assert!(!mixed.is_short());
        assert_eq!(CommandApdu::parse(&mixed.to_bytes()).unwrap(), mixed);
    }

    #[test]
    fn rejects_inconsistent_lengths() {
        for bad in [
            "",
            "80",
            "80f220",
            "80f220020a4f02",                     // Lc 10, 2 bytes of data
            "80f220020a4f0212345c054f9f70c50000", // two bytes too many
            "80f2200200000001",                   // extended Lc 0 with data
            "80f22002000002aa",                   // extended Lc 2, 1 byte of data
            "80f220020000",                       // 00 then one length byte
        ] {
            let bytes = hex::decode(bad).unwrap();
            assert!(
                matches!(CommandApdu::parse(&bytes), Err(Error::MalformedMessage(_))),
                "{bad} parsed"
            );
        }
        assert!(CommandApdu::new(0, 0, 0, 0, vec![0; 65_536], None).is_err());
        assert!(CommandApdu::new(0, 0, 0, 0, Vec::new(), Some(0)).is_err());
        assert!(CommandApdu::new(0, 0, 0, 0, Vec::new(), Some(65_537)).is_err());
    }

    #[test]
    fn responses_and_status_words() {
        let response = ResponseApdu::parse(&hex::decode("bf3e9000").unwrap()).unwrap();
        assert_eq!(response.data(), &[0xbf, 0x3e]);
        assert_eq!(response.sw, StatusWord::SUCCESS);
        assert_eq!(hex::encode(response.to_bytes()), "bf3e9000");
        assert!(ResponseApdu::parse(&[0x90]).is_err());
        assert!(StatusWord(0x6310).is_protected());
        assert!(StatusWord(0x6281).is_protected());
        assert!(!StatusWord(0x6982).is_protected());
        assert!(!StatusWord(0x6100).is_protected());
        assert_eq!(StatusWord::wrong_pin(2), StatusWord(0x63C2));
        assert_eq!(StatusWord::wrong_pin(20), StatusWord(0x63CF));
    }

    #[test]
    fn debug_never_prints_data() {
        let command = CommandApdu::new(0x80, 0x20, 0, 1, b"123456".to_vec(), None).unwrap();
        let text = format!("{command:?}");
        assert!(!text.contains("31"), "{text}");
        assert_eq!(
            format!(
                "{:?}",
                ResponseApdu::new(vec![0x42; 3], StatusWord::SUCCESS)
            ),
            "ResponseApdu { data: 3 bytes, SW 9000 }"
        );
    }
}

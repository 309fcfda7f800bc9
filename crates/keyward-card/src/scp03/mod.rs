//! GlobalPlatform Secure Channel Protocol '03' (GP Card Specification Amendment D v1.2), S8
//! mode, with AES-128/192/256 keysets: both the host (off-card entity) and the card (security
//! domain) side.
//!
//! | piece | module | Amd D |
//! |---|---|---|
//! | KDF (SP 800-108 counter mode, AES-CMAC) | [`kdf`] | §4.1.5 |
//! | static keys, key check values | [`keys`] | §6.1, GPCS B.2 / §11.8 |
//! | session keys, cryptograms, C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION | [`HostSession`], [`CardSession`] (over one private `session` module) | §6.2 |
//! | INITIALIZE UPDATE / EXTERNAL AUTHENTICATE, host side | [`host`] | §7.1.1, §7.1.2 |
//! | the same, card side, and the pseudo-random card challenge | [`card`] | §6.2.2.1, §7.1 |
//!
//! Both sides take their challenges as arguments (or draw them at random), so a session can
//! be replayed from published vectors.

pub mod card;
pub mod host;
pub mod kdf;
pub mod keys;
mod session;

pub use card::{pseudo_random_card_challenge, CardHandshake, CardSession};
pub use host::{HostExternalAuthenticate, HostHandshake, HostSession};
pub use keys::{key_check_value, StaticKeys};

use crate::{Error, Result};

/// The Secure Channel Protocol identifier in the key information ('03').
pub const SCP_IDENTIFIER: u8 = 0x03;
/// Length of the host and card challenges in S8 mode.
pub const CHALLENGE_LEN: usize = 8;
/// Length of the card and host cryptograms in S8 mode.
pub const CRYPTOGRAM_LEN: usize = 8;
/// Length of a C-MAC or R-MAC in S8 mode.
pub const MAC_LEN: usize = 8;
/// Length of the key diversification data in the INITIALIZE UPDATE response.
pub const KEY_DIVERSIFICATION_LEN: usize = 10;
/// Length of the pseudo-random challenge's sequence counter.
pub const SEQUENCE_COUNTER_LEN: usize = 3;
/// INS of INITIALIZE UPDATE.
pub const INS_INITIALIZE_UPDATE: u8 = 0x50;
/// INS of EXTERNAL AUTHENTICATE.
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;

/// A host or card challenge (S8 mode).
pub type Challenge = [u8; CHALLENGE_LEN];

/// The security level of a secure channel session: P1 of EXTERNAL AUTHENTICATE (GP Amd D
/// Table 7-6). Every level includes C-MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SecurityLevel {
    /// `01`: C-MAC.
    CMac = 0x01,
    /// `03`: C-DECRYPTION and C-MAC.
    CMacCDecryption = 0x03,
    /// `11`: C-MAC and R-MAC.
    CMacRMac = 0x11,
    /// `13`: C-DECRYPTION, C-MAC and R-MAC.
    CMacCDecryptionRMac = 0x13,
    /// `33`: C-DECRYPTION, R-ENCRYPTION, C-MAC and R-MAC.
    Full = 0x33,
}

impl SecurityLevel {
    /// Every supported level, weakest first.
    pub const ALL: [SecurityLevel; 5] = [
        SecurityLevel::CMac,
        SecurityLevel::CMacCDecryption,
        SecurityLevel::CMacRMac,
        SecurityLevel::CMacCDecryptionRMac,
        SecurityLevel::Full,
    ];

    /// The level coded in P1. `00` (no secure messaging) and any other value are
    /// `UnsupportedFeature`.
    pub fn from_p1(p1: u8) -> Result<Self> {
        SecurityLevel::ALL
            .into_iter()
            .find(|level| *level as u8 == p1)
            .ok_or(Error::UnsupportedFeature("SCP03 security level"))
    }

    /// The P1 byte.
    pub fn p1(self) -> u8 {
        self as u8
    }

    /// Commands carry a C-MAC (always).
    pub fn c_mac(self) -> bool {
        self as u8 & 0x01 != 0
    }

    /// Command data fields are encrypted.
    pub fn c_decryption(self) -> bool {
        self as u8 & 0x02 != 0
    }

    /// Responses carry an R-MAC.
    pub fn r_mac(self) -> bool {
        self as u8 & 0x10 != 0
    }

    /// Response data fields are encrypted.
    pub fn r_encryption(self) -> bool {
        self as u8 & 0x20 != 0
    }

    /// True when every protection of `required` is also in `self`.
    pub fn satisfies(self, required: SecurityLevel) -> bool {
        self as u8 & required as u8 == required as u8
    }
}

/// The SCP03 "i" parameter (GP Amd D Table 5-1): the options a security domain implements.
/// Only S8 mode is supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScpOptions {
    /// b5: the card challenge is pseudo-random (and the sequence counter is returned).
    pub pseudo_random_challenge: bool,
    /// b6: R-MAC is supported.
    pub r_mac: bool,
    /// b7 (with b6): R-ENCRYPTION is supported.
    pub r_encryption: bool,
}

impl ScpOptions {
    /// `70`: pseudo-random challenge, R-MAC and R-ENCRYPTION (what the pySim vectors use).
    pub const PSEUDO_RANDOM_FULL: ScpOptions = ScpOptions {
        pseudo_random_challenge: true,
        r_mac: true,
        r_encryption: true,
    };
    /// `60`: random challenge, R-MAC and R-ENCRYPTION.
    pub const RANDOM_FULL: ScpOptions = ScpOptions {
        pseudo_random_challenge: false,
        r_mac: true,
        r_encryption: true,
    };

    /// Decodes "i". S16 mode (b1), RFU bits, or R-ENCRYPTION without R-MAC is
    /// `UnsupportedFeature`.
    pub fn from_byte(i: u8) -> Result<Self> {
        if i & 0x01 != 0 {
            return Err(Error::UnsupportedFeature("SCP03 S16 mode"));
        }
        if i & 0x8E != 0 {
            return Err(Error::UnsupportedFeature("SCP03 \"i\" parameter RFU bits"));
        }
        let r_mac = i & 0x20 != 0;
        let r_encryption = i & 0x40 != 0;
        if r_encryption && !r_mac {
            return Err(Error::UnsupportedFeature(
                "SCP03 \"i\" parameter: R-ENCRYPTION without R-MAC",
            ));
        }
        Ok(ScpOptions {
            pseudo_random_challenge: i & 0x10 != 0,
            r_mac,
            r_encryption,
        })
    }

    /// Encodes "i". R-ENCRYPTION implies R-MAC (b7 b6 = 11).
    pub fn to_byte(self) -> u8 {
        let mut i = 0;
        if self.pseudo_random_challenge {
            i |= 0x10;
        }
        if self.r_mac || self.r_encryption {
            i |= 0x20;
        }
        if self.r_encryption {
            i |= 0x40;
        }
        i
    }

    /// True when a session at `level` can run with these options (R-MAC and R-ENCRYPTION must
    /// be supported if the level asks for them).
    pub fn allow(self, level: SecurityLevel) -> bool {
        (!level.r_mac() || self.r_mac || self.r_encryption)
            && (!level.r_encryption() || self.r_encryption)
    }
}

/// The data field of the INITIALIZE UPDATE response (GP Amd D Table 7-3), S8 mode: 29 bytes,
/// or 32 with the sequence counter of a pseudo-random challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitializeUpdateResponse {
    /// Key diversification data (10 bytes).
    pub key_diversification: [u8; KEY_DIVERSIFICATION_LEN],
    /// Key version number of the keyset used.
    pub key_version: u8,
    /// The "i" parameter.
    pub options: ScpOptions,
    /// Card challenge.
    pub card_challenge: Challenge,
    /// Card cryptogram.
    pub card_cryptogram: [u8; CRYPTOGRAM_LEN],
    /// Sequence counter; present exactly when the challenge is pseudo-random.
    pub sequence_counter: Option<[u8; SEQUENCE_COUNTER_LEN]>,
}

impl InitializeUpdateResponse {
    /// Parses the response data field. A wrong length, an SCP identifier other than '03', an
    /// unsupported "i", or a sequence counter whose presence disagrees with "i" is
    /// `MalformedMessage` / `UnsupportedFeature`.
    pub fn parse(data: &[u8]) -> Result<Self> {
        const MALFORMED: Error = Error::MalformedMessage("INITIALIZE UPDATE response length");
        let (key_diversification, rest) = data
            .split_first_chunk::<KEY_DIVERSIFICATION_LEN>()
            .ok_or(MALFORMED)?;
        let (&[key_version, scp, i], rest) = rest.split_first_chunk::<3>().ok_or(MALFORMED)?;
        if scp != SCP_IDENTIFIER {
            return Err(Error::UnsupportedFeature(
                "secure channel protocol other than 03",
            ));
        }
        let options = ScpOptions::from_byte(i)?;
        let (card_challenge, rest) = rest.split_first_chunk::<CHALLENGE_LEN>().ok_or(MALFORMED)?;
        let (card_cryptogram, rest) = rest
            .split_first_chunk::<CRYPTOGRAM_LEN>()
            .ok_or(MALFORMED)?;
        let sequence_counter = match (options.pseudo_random_challenge, rest.len()) {
            (false, 0) => None,
            (true, SEQUENCE_COUNTER_LEN) => {
                let mut counter = [0u8; SEQUENCE_COUNTER_LEN];
                counter.copy_from_slice(rest);
                Some(counter)
            }
            _ => return Err(MALFORMED),
        };
        Ok(InitializeUpdateResponse {
            key_diversification: *key_diversification,
            key_version,
            options,
            card_challenge: *card_challenge,
            card_cryptogram: *card_cryptogram,
            sequence_counter,
        })
    }

    /// The encoded data field.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(&self.key_diversification);
        out.extend_from_slice(&[self.key_version, SCP_IDENTIFIER, self.options.to_byte()]);
        out.extend_from_slice(&self.card_challenge);
        out.extend_from_slice(&self.card_cryptogram);
        if let Some(counter) = self.sequence_counter {
            out.extend_from_slice(&counter);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_levels() {
        for level in SecurityLevel::ALL {
            assert_eq!(SecurityLevel::from_p1(level.p1()).unwrap(), level);
            assert!(level.c_mac());
            assert!(level.satisfies(SecurityLevel::CMac));
        }
        assert!(SecurityLevel::Full.satisfies(SecurityLevel::CMacCDecryptionRMac));
        assert!(!SecurityLevel::CMacRMac.satisfies(SecurityLevel::CMacCDecryption));
        assert!(SecurityLevel::Full.r_encryption());
        assert!(!SecurityLevel::CMacCDecryptionRMac.r_encryption());
        for bad in [0x00, 0x02, 0x10, 0x21, 0x31, 0x23, 0xFF] {
            assert!(SecurityLevel::from_p1(bad).is_err(), "{bad:02x}");
        }
    }

    #[test]
    fn options_round_trip() {
        assert_eq!(
            ScpOptions::from_byte(0x70).unwrap(),
            ScpOptions::PSEUDO_RANDOM_FULL
        );
        assert_eq!(
            ScpOptions::from_byte(0x60).unwrap(),
            ScpOptions::RANDOM_FULL
        );
        for i in [0x00, 0x10, 0x20, 0x30, 0x60, 0x70] {
            assert_eq!(ScpOptions::from_byte(i).unwrap().to_byte(), i);
        }
        for bad in [0x01, 0x71, 0x40, 0x50, 0x80, 0x72, 0x08] {
            assert!(ScpOptions::from_byte(bad).is_err(), "{bad:02x}");
        }
        let mac_only = ScpOptions::from_byte(0x20).unwrap();
        assert!(mac_only.allow(SecurityLevel::CMacCDecryptionRMac));
        assert!(!mac_only.allow(SecurityLevel::Full));
        let none = ScpOptions::from_byte(0x00).unwrap();
        assert!(none.allow(SecurityLevel::CMacCDecryption));
        assert!(!none.allow(SecurityLevel::CMacRMac));
    }

    #[test]
    fn initialize_update_response_layout() {
        let pysim = hex::decode("000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002")
            .unwrap();
        let parsed = InitializeUpdateResponse::parse(&pysim).unwrap();
        assert_eq!(parsed.key_version, 0x30);
        assert_eq!(parsed.options, ScpOptions::PSEUDO_RANDOM_FULL);
        assert_eq!(hex::encode(parsed.card_challenge), "3eb51047495b249f");
        assert_eq!(hex::encode(parsed.card_cryptogram), "66c484c1d2ef1948");
        assert_eq!(parsed.sequence_counter, Some([0, 0, 2]));
        assert_eq!(parsed.to_bytes(), pysim);
        // The counter must be there with a pseudo-random challenge and absent otherwise.
        assert!(InitializeUpdateResponse::parse(&pysim[..29]).is_err());
        let mut random = pysim[..29].to_vec();
        random[12] = 0x60;
        assert!(InitializeUpdateResponse::parse(&random).is_ok());
        random.push(0);
        assert!(InitializeUpdateResponse::parse(&random).is_err());
        let mut scp02 = pysim.clone();
        scp02[11] = 0x02;
        assert!(InitializeUpdateResponse::parse(&scp02).is_err());
        for len in 0..pysim.len() {
            if len != 29 {
                assert!(InitializeUpdateResponse::parse(&pysim[..len]).is_err());
            }
        }
    }
}

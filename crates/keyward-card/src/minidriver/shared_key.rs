//! The messages of the relayed SCP03 establishment behind `CardGetSharedKeyHandle`
//! (keyward's format: cardmod leaves the content of `pbInput` / `*ppbOutput` to the vendor).
//!
//! The server runs the minidriver in no-card mode and holds the card's static SCP03 keys; the
//! client runs it next to the card. Each call's `*ppbOutput` is passed, unchanged, as the other
//! side's next `pbInput`:
//!
//! | # | side | `pbInput` | card traffic | `*ppbOutput` | `*phKey` |
//! |---|---|---|---|---|---|
//! | 1 | server | none | | HOST CHALLENGE | NULL |
//! | 2 | client | HOST CHALLENGE | INITIALIZE UPDATE | CARD CHALLENGE | NULL (not complete) |
//! | 3 | server | CARD CHALLENGE (card cryptogram verified) | | EXTERNAL AUTHENTICATE | the server's handle |
//! | 4 | client | EXTERNAL AUTHENTICATE | EXTERNAL AUTHENTICATE → 9000 | none | the client's handle |
//!
//! Every message is `'K' 'W' 01 (format version) ‖ kind ‖ body`:
//!
//! | kind | message | body |
//! |---|---|---|
//! | `01` | HOST CHALLENGE | key version number (1) ‖ host challenge (8) |
//! | `02` | CARD CHALLENGE | the INITIALIZE UPDATE response data (29 or 32 bytes, GP Amd D Table 7-3) |
//! | `03` | EXTERNAL AUTHENTICATE | the EXTERNAL AUTHENTICATE command APDU (21 bytes; P1 = the security level) |

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::apdu::CommandApdu;
use crate::scp03::{Challenge, InitializeUpdateResponse};
use crate::{Error, Result};

const MAGIC: [u8; 2] = *b"KW";
const FORMAT_VERSION: u8 = 1;

/// One message of the relayed establishment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SharedKeyMessage {
    /// Server → client: the keyset to use and the host challenge.
    HostChallenge {
        /// Key version number (P1 of INITIALIZE UPDATE).
        key_version: u8,
        /// The host challenge.
        host_challenge: Challenge,
    },
    /// Client → server: the card's answer to INITIALIZE UPDATE.
    CardChallenge(InitializeUpdateResponse),
    /// Server → client: EXTERNAL AUTHENTICATE for the card.
    ExternalAuthenticate(CommandApdu),
}

impl SharedKeyMessage {
    /// The encoded message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40);
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        match self {
            SharedKeyMessage::HostChallenge {
                key_version,
                host_challenge,
            } => {
                out.extend_from_slice(&[0x01, *key_version]);
                out.extend_from_slice(host_challenge);
            }
            SharedKeyMessage::CardChallenge(response) => {
                out.push(0x02);
                out.extend_from_slice(&response.to_bytes());
            }
            SharedKeyMessage::ExternalAuthenticate(command) => {
                out.push(0x03);
                out.extend_from_slice(&command.to_bytes());
            }
        }
        out
    }

    /// Parses a message. Not one of ours (magic, version, kind, length) is `InvalidParameter`;
    /// a malformed card response inside is `MalformedMessage`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const NOT_OURS: Error = Error::InvalidParameter("not a keyward shared-key message");
        let (&[m0, m1, version, kind], body) = bytes.split_first_chunk::<4>().ok_or(NOT_OURS)?;
        if [m0, m1] != MAGIC || version != FORMAT_VERSION {
            return Err(NOT_OURS);
        }
        match kind {
            0x01 => {
                let (&key_version, challenge) = body.split_first().ok_or(NOT_OURS)?;
                let host_challenge: Challenge = challenge.try_into().map_err(|_| NOT_OURS)?;
                Ok(SharedKeyMessage::HostChallenge {
                    key_version,
                    host_challenge,
                })
            }
            0x02 => Ok(SharedKeyMessage::CardChallenge(
                InitializeUpdateResponse::parse(body)?,
            )),
            0x03 => {
                let command = CommandApdu::parse(body).map_err(|_| NOT_OURS)?;
                if command.cla & 0xFC != 0x84
                    || command.ins != crate::scp03::INS_EXTERNAL_AUTHENTICATE
                    || command.data().len() != 16
                    || command.le().is_some()
                {
                    return Err(NOT_OURS);
                }
                Ok(SharedKeyMessage::ExternalAuthenticate(command))
            }
            _ => Err(NOT_OURS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_reject_strangers() {
        let host = SharedKeyMessage::HostChallenge {
            key_version: 0x30,
            host_challenge: [1, 2, 3, 4, 5, 6, 7, 8],
        };
        let bytes = host.to_bytes();
        assert_eq!(hex::encode(&bytes), "4b570101300102030405060708");
        assert_eq!(SharedKeyMessage::parse(&bytes).unwrap(), host);
        let card = SharedKeyMessage::CardChallenge(
            InitializeUpdateResponse::parse(
                &hex::decode("000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002")
                    .unwrap(),
            )
            .unwrap(),
        );
        assert_eq!(SharedKeyMessage::parse(&card.to_bytes()).unwrap(), card);
        let external = SharedKeyMessage::ExternalAuthenticate(
            CommandApdu::parse(&hex::decode("84821100107d5f5826a993ebc89eea24957fa0b3ce").unwrap())
                .unwrap(),
        );
        assert_eq!(
            SharedKeyMessage::parse(&external.to_bytes()).unwrap(),
            external
        );
        for bad in [
            &b""[..],
            b"KW",
            b"KW\x02\x01\x30\x01\x02\x03\x04\x05\x06\x07\x08",
            b"XW\x01\x01\x30\x01\x02\x03\x04\x05\x06\x07\x08",
            b"KW\x01\x01\x30\x01\x02\x03\x04\x05\x06\x07",
            b"KW\x01\x04",
            b"KW\x01\x03\x80\x50\x00\x00",
        ] {
            assert!(SharedKeyMessage::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            SharedKeyMessage::parse(b"KW\x01\x02\x00"),
            Err(Error::MalformedMessage(_))
        ));
    }
}

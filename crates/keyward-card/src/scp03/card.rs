//! The card (security domain) side of SCP03 (GP Amd D §5.2, §6.2.2, §7.1): answering
//! INITIALIZE UPDATE with a card challenge and cryptogram, checking EXTERNAL AUTHENTICATE, then
//! unwrapping commands and wrapping responses.
//!
//! The caller (the security domain, [`crate::card`]) chooses the card challenge: random, or
//! pseudo-random from its sequence counter with [`pseudo_random_card_challenge`]; this keeps
//! the protocol replayable from published vectors.

use core::fmt;

use keyward_core::backend::cmac::CmacKey;
use subtle::ConstantTimeEq;

use super::kdf::{derive, DerivationConstant};
use super::session::{Channel, SessionKeys};
use super::{
    Challenge, InitializeUpdateResponse, ScpOptions, SecurityLevel, StaticKeys, CHALLENGE_LEN,
    CRYPTOGRAM_LEN, INS_EXTERNAL_AUTHENTICATE, KEY_DIVERSIFICATION_LEN, MAC_LEN,
    SEQUENCE_COUNTER_LEN,
};
use crate::apdu::{CommandApdu, ResponseApdu};
use crate::{Error, Result};

/// The pseudo-random card challenge (GP Amd D §6.2.2.1): the KDF with Key-ENC, derivation
/// constant '02', L = '0040' and context = sequence counter (3 bytes, already incremented for
/// this INITIALIZE UPDATE) ‖ AID of the application (5 to 16 bytes).
pub fn pseudo_random_card_challenge(
    keys: &StaticKeys,
    sequence_counter: [u8; SEQUENCE_COUNTER_LEN],
    aid: &[u8],
) -> Result<Challenge> {
    if !(5..=16).contains(&aid.len()) {
        return Err(Error::InvalidParameter("AID is not 5 to 16 bytes"));
    }
    let key = CmacKey::new(keys.enc())?;
    let context = [&sequence_counter[..], aid].concat();
    let mut challenge = [0u8; CHALLENGE_LEN];
    derive(
        &key,
        DerivationConstant::CardChallenge,
        &context,
        &mut challenge,
    )?;
    Ok(challenge)
}

/// The card between INITIALIZE UPDATE and EXTERNAL AUTHENTICATE: session keys and the host
/// cryptogram it expects.
pub struct CardHandshake {
    keys: SessionKeys,
    host_cryptogram: [u8; CRYPTOGRAM_LEN],
    options: ScpOptions,
}

impl CardHandshake {
    /// Answers INITIALIZE UPDATE (Amd D §7.1.1): derives the session keys from
    /// `host_challenge` and `card_challenge`, computes the card cryptogram and returns the
    /// response data with the pending handshake. `sequence_counter` must be present exactly
    /// when `options` says the challenge is pseudo-random.
    ///
    /// A host challenge that is not 8 bytes is `MalformedMessage` (SW 6700 at the card).
    pub fn initialize_update(
        keys: &StaticKeys,
        options: ScpOptions,
        key_diversification: [u8; KEY_DIVERSIFICATION_LEN],
        host_challenge: &[u8],
        card_challenge: Challenge,
        sequence_counter: Option<[u8; SEQUENCE_COUNTER_LEN]>,
    ) -> Result<(InitializeUpdateResponse, CardHandshake)> {
        let host_challenge: Challenge = host_challenge
            .try_into()
            .map_err(|_| Error::MalformedMessage("host challenge is not 8 bytes"))?;
        if options.pseudo_random_challenge != sequence_counter.is_some() {
            return Err(Error::InvalidParameter(
                "the sequence counter goes with a pseudo-random challenge only",
            ));
        }
        let session_keys = SessionKeys::derive(keys, &host_challenge, &card_challenge)?;
        let card_cryptogram = session_keys.cryptogram(
            DerivationConstant::CardCryptogram,
            &host_challenge,
            &card_challenge,
        )?;
        let host_cryptogram = session_keys.cryptogram(
            DerivationConstant::HostCryptogram,
            &host_challenge,
            &card_challenge,
        )?;
        let response = InitializeUpdateResponse {
            key_diversification,
            key_version: keys.version(),
            options,
            card_challenge,
            card_cryptogram,
            sequence_counter,
        };
        Ok((
            response,
            CardHandshake {
                keys: session_keys,
                host_cryptogram,
                options,
            },
        ))
    }

    /// Checks EXTERNAL AUTHENTICATE (Amd D §7.1.2): class `84`..`87`, P2 '00', 16 data bytes,
    /// a supported security level in P1, then the host cryptogram and the C-MAC over a zero
    /// chaining value, both compared in constant time. Consumes the handshake either way (a
    /// failed mutual authentication must restart with new challenges, §5.2).
    ///
    /// Errors: wrong class → `UnsupportedFeature`; wrong length → `MalformedMessage`; bad P2
    /// → `InvalidParameter`; a level outside Table 7-6 or not allowed by the card's "i" →
    /// `UnsupportedFeature`; wrong cryptogram or MAC → `HostAuthenticationFailed`.
    pub fn external_authenticate(self, command: &CommandApdu) -> Result<CardSession> {
        if command.cla & 0xFC != 0x84 {
            return Err(Error::UnsupportedFeature(
                "EXTERNAL AUTHENTICATE class other than 84..87",
            ));
        }
        if command.ins != INS_EXTERNAL_AUTHENTICATE {
            return Err(Error::OutOfOrder("expected EXTERNAL AUTHENTICATE"));
        }
        if command.data().len() != CRYPTOGRAM_LEN + MAC_LEN {
            return Err(Error::MalformedMessage(
                "EXTERNAL AUTHENTICATE data is not 16 bytes",
            ));
        }
        if command.p2 != 0 {
            return Err(Error::InvalidParameter(
                "EXTERNAL AUTHENTICATE P2 is not 00",
            ));
        }
        let level = SecurityLevel::from_p1(command.p1)?;
        if !self.options.allow(level) {
            return Err(Error::UnsupportedFeature(
                "security level not allowed by the card's SCP03 options",
            ));
        }
        let cryptogram_ok = command.data()[..CRYPTOGRAM_LEN].ct_eq(&self.host_cryptogram);
        let mut channel = Channel::new(self.keys, level);
        let mac_ok = match channel.unwrap_command(command, false) {
            Ok(_) => subtle::Choice::from(1),
            Err(Error::MacMismatch) => subtle::Choice::from(0),
            Err(other) => return Err(other),
        };
        if !bool::from(cryptogram_ok & mac_ok) {
            return Err(Error::HostAuthenticationFailed);
        }
        Ok(CardSession { channel })
    }
}

impl fmt::Debug for CardHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardHandshake")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// An open secure channel session, card side.
pub struct CardSession {
    channel: Channel,
}

impl CardSession {
    /// The card side of [`HostSession::from_session_key`](super::HostSession::from_session_key):
    /// a session keyed from an imported session key and the nonce the card chose for it.
    pub fn from_session_key(key: &[u8], nonce: &[u8; 16], level: SecurityLevel) -> Result<Self> {
        Ok(CardSession {
            channel: Channel::new(SessionKeys::from_session_key(key, nonce)?, level),
        })
    }

    /// The session's security level.
    pub fn security_level(&self) -> SecurityLevel {
        self.channel.level()
    }

    /// The encryption counter of the last unwrapped command (0 before the first).
    pub fn encryption_counter(&self) -> u64 {
        self.channel.encryption_counter()
    }

    /// Verifies the C-MAC of a command and decrypts its data field if the level has
    /// C-DECRYPTION (Amd D §6.2.4, §6.2.6); returns the plain command. On any error the
    /// session state is unchanged, and the security domain must abort the session (§5.6).
    pub fn unwrap_command(&mut self, command: &CommandApdu) -> Result<CommandApdu> {
        self.channel.unwrap_command(command, true)
    }

    /// Protects the response to the last unwrapped command: R-ENCRYPTION and R-MAC as the
    /// level says (Amd D §6.2.5, §6.2.7); an error status word travels bare.
    pub fn wrap_response(&self, response: &ResponseApdu) -> Result<ResponseApdu> {
        self.channel.wrap_response(response)
    }
}

impl fmt::Debug for CardSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardSession")
            .field("channel", &self.channel)
            .finish()
    }
}

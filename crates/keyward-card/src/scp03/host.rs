//! The host (off-card entity) side of SCP03 (GP Amd D §5.2, §7.1): INITIALIZE UPDATE, card
//! cryptogram check, EXTERNAL AUTHENTICATE, then wrapping commands and unwrapping responses.
//!
//! ```text
//! HostHandshake ──initialize_update_command()──▶ card
//!               ◀── INITIALIZE UPDATE response ──
//! HostHandshake::authenticate(response, level) → HostExternalAuthenticate
//!               ──command() (EXTERNAL AUTHENTICATE)──▶ card
//!               ◀── 9000 ──
//! HostExternalAuthenticate::finish(response) → HostSession (wrap_command / unwrap_response)
//! ```

use core::fmt;

use keyward_core::backend::fill_random;
use subtle::ConstantTimeEq;

use super::kdf::DerivationConstant;
use super::session::{Channel, SessionKeys};
use super::{
    Challenge, InitializeUpdateResponse, SecurityLevel, StaticKeys, CHALLENGE_LEN,
    INS_EXTERNAL_AUTHENTICATE, INS_INITIALIZE_UPDATE,
};
use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::{Error, Result};

/// CLA of INITIALIZE UPDATE and of the unwrapped EXTERNAL AUTHENTICATE (GlobalPlatform
/// proprietary class, logical channel 0).
const CLA_GP: u8 = 0x80;

/// The host's first step: the static keys and a host challenge.
pub struct HostHandshake {
    keys: StaticKeys,
    host_challenge: Challenge,
}

impl HostHandshake {
    /// Starts a handshake with a fresh random host challenge.
    pub fn new(keys: &StaticKeys) -> Result<Self> {
        let mut host_challenge = [0u8; CHALLENGE_LEN];
        fill_random(&mut host_challenge)?;
        Ok(HostHandshake::with_host_challenge(keys, host_challenge))
    }

    /// Starts a handshake with a given host challenge (to replay published vectors; a real
    /// host should use [`HostHandshake::new`]).
    pub fn with_host_challenge(keys: &StaticKeys, host_challenge: Challenge) -> Self {
        HostHandshake {
            keys: keys.clone(),
            host_challenge,
        }
    }

    /// The host challenge.
    pub fn host_challenge(&self) -> &Challenge {
        &self.host_challenge
    }

    /// The INITIALIZE UPDATE command (Amd D Table 7-2): `80 50 KVN 00 08 <host challenge> 00`.
    pub fn initialize_update_command(&self) -> Result<CommandApdu> {
        CommandApdu::new(
            CLA_GP,
            INS_INITIALIZE_UPDATE,
            self.keys.version(),
            0x00,
            self.host_challenge.to_vec(),
            Some(256),
        )
    }

    /// Checks the card's INITIALIZE UPDATE response and prepares EXTERNAL AUTHENTICATE for
    /// `level` (Amd D §5.2): derives the session keys, verifies the card cryptogram in
    /// constant time, computes the host cryptogram and its C-MAC.
    ///
    /// Errors: a status word other than 9000 → `CardStatus`; a malformed response →
    /// `MalformedMessage`; another key version than requested → `MalformedMessage`; a level
    /// the card's "i" does not allow → `UnsupportedFeature`; a wrong card cryptogram →
    /// `CardCryptogramMismatch`.
    pub fn authenticate(
        self,
        response: &ResponseApdu,
        level: SecurityLevel,
    ) -> Result<HostExternalAuthenticate> {
        if response.sw != StatusWord::SUCCESS {
            return Err(Error::CardStatus(response.sw));
        }
        let card = InitializeUpdateResponse::parse(response.data())?;
        if card.key_version != self.keys.version() {
            return Err(Error::MalformedMessage(
                "the card answered with another key version",
            ));
        }
        if !card.options.allow(level) {
            return Err(Error::UnsupportedFeature(
                "the card's SCP03 options do not allow this security level",
            ));
        }
        let keys = SessionKeys::derive(&self.keys, &self.host_challenge, &card.card_challenge)?;
        let expected = keys.cryptogram(
            DerivationConstant::CardCryptogram,
            &self.host_challenge,
            &card.card_challenge,
        )?;
        if !bool::from(expected.ct_eq(&card.card_cryptogram)) {
            return Err(Error::CardCryptogramMismatch);
        }
        let host_cryptogram = keys.cryptogram(
            DerivationConstant::HostCryptogram,
            &self.host_challenge,
            &card.card_challenge,
        )?;
        let mut channel = Channel::new(keys, level);
        let plain = CommandApdu::new(
            CLA_GP,
            INS_EXTERNAL_AUTHENTICATE,
            level.p1(),
            0x00,
            host_cryptogram.to_vec(),
            None,
        )?;
        let command = channel.wrap_command(&plain, false)?;
        Ok(HostExternalAuthenticate {
            command,
            card,
            session: HostSession { channel },
        })
    }
}

impl fmt::Debug for HostHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostHandshake")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// The host after a verified card cryptogram: the EXTERNAL AUTHENTICATE command to send, and
/// the session it opens once the card accepts it.
pub struct HostExternalAuthenticate {
    command: CommandApdu,
    card: InitializeUpdateResponse,
    session: HostSession,
}

impl HostExternalAuthenticate {
    /// The EXTERNAL AUTHENTICATE command (Amd D Table 7-5):
    /// `84 82 <level> 00 10 <host cryptogram> <C-MAC>`.
    pub fn command(&self) -> &CommandApdu {
        &self.command
    }

    /// What the card said in its INITIALIZE UPDATE response.
    pub fn card_response(&self) -> &InitializeUpdateResponse {
        &self.card
    }

    /// The card's answer to EXTERNAL AUTHENTICATE: 9000 opens the session; 6300 (host
    /// cryptogram or MAC refused) is `HostAuthenticationFailed`; any other status word is
    /// `CardStatus`.
    pub fn finish(self, response: &ResponseApdu) -> Result<HostSession> {
        match response.sw {
            StatusWord::SUCCESS if response.data().is_empty() => Ok(self.session),
            StatusWord::SUCCESS => Err(Error::MalformedMessage(
                "EXTERNAL AUTHENTICATE response with data",
            )),
            StatusWord::AUTHENTICATION_FAILED => Err(Error::HostAuthenticationFailed),
            sw => Err(Error::CardStatus(sw)),
        }
    }

    /// The session, without seeing the card's answer: for a relayed establishment where only
    /// the relay (the minidriver next to the card) sees it. If the card refused, every
    /// command of this session fails its C-MAC at the card.
    pub fn into_unconfirmed_session(self) -> HostSession {
        self.session
    }
}

impl fmt::Debug for HostExternalAuthenticate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostExternalAuthenticate")
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

/// An open secure channel session, host side.
pub struct HostSession {
    channel: Channel,
}

impl HostSession {
    /// A session keyed from a session key established outside SCP03 (keyward's
    /// `CardImportSessionKey` path: an AES key the card unwrapped with a container's RSA key)
    /// and the card's 16-byte nonce: S-ENC / S-MAC / S-RMAC derived as in GP Amd D §6.2.1 from
    /// that key and nonce, the MAC chaining value 16 × '00', the counter 0. The card opens
    /// the matching session with [`CardSession::from_session_key`](super::CardSession::from_session_key).
    /// A key that is not 16, 24 or 32 bytes is `InvalidParameter`.
    pub fn from_session_key(key: &[u8], nonce: &[u8; 16], level: SecurityLevel) -> Result<Self> {
        Ok(HostSession {
            channel: Channel::new(SessionKeys::from_session_key(key, nonce)?, level),
        })
    }

    /// The session's security level.
    pub fn security_level(&self) -> SecurityLevel {
        self.channel.level()
    }

    /// The encryption counter of the last wrapped command (0 before the first).
    pub fn encryption_counter(&self) -> u64 {
        self.channel.encryption_counter()
    }

    /// Protects a command (Amd D §6.2.4, §6.2.6): encrypts its data field if the level has
    /// C-DECRYPTION, adds the C-MAC and chains it. Short APDUs only: a command whose
    /// protected data exceeds 255 bytes is `InvalidParameter` and changes nothing.
    pub fn wrap_command(&mut self, command: &CommandApdu) -> Result<CommandApdu> {
        self.channel.wrap_command(command, true)
    }

    /// Checks and removes the protection of the response to the last wrapped command
    /// (Amd D §6.2.5, §6.2.7). A wrong or missing R-MAC is `MacMismatch`.
    pub fn unwrap_response(&self, response: &ResponseApdu) -> Result<ResponseApdu> {
        self.channel.unwrap_response(response)
    }
}

impl fmt::Debug for HostSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostSession")
            .field("channel", &self.channel)
            .finish()
    }
}

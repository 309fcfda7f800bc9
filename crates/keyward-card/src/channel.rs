//! The host side of an SCP03 secure channel over a [`Transport`]: opens the session (INITIALIZE
//! UPDATE, card cryptogram, EXTERNAL AUTHENTICATE), then wraps every command and unwraps every
//! response, and offers the [keyward card instructions](crate::instructions) as methods.
//!
//! A security failure — a response that fails its R-MAC, or the card answering `6982` (which
//! aborts the session at the card, GP Amd D §5.6) — closes the channel: later calls fail with
//! `OutOfOrder` until a new channel is opened.

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::instructions::{self, ContainerPublicKey, PinId, SignatureHash};
use crate::scp03::{HostHandshake, HostSession, SecurityLevel, StaticKeys};
use crate::transport::Transport;
use crate::{Error, Result};

/// An open secure channel to a card.
pub struct SecureChannel<T: Transport> {
    transport: T,
    session: Option<HostSession>,
}

impl<T: Transport> SecureChannel<T> {
    /// Selects `aid` and opens a session at `level` with `keys` and a random host challenge.
    /// Errors: the card not answering SELECT with 9000 → `CardStatus`; the handshake's errors
    /// (`CardCryptogramMismatch`, `HostAuthenticationFailed`, …).
    pub fn open(
        mut transport: T,
        aid: &[u8],
        keys: &StaticKeys,
        level: SecurityLevel,
    ) -> Result<Self> {
        let selected = transport.transmit(&instructions::select(aid)?)?;
        if selected.sw != StatusWord::SUCCESS {
            return Err(Error::CardStatus(selected.sw));
        }
        SecureChannel::open_selected(transport, keys, level)
    }

    /// Opens a session with the application that is already selected (a new SELECT would
    /// clear the PINs' verified state).
    pub fn open_selected(
        mut transport: T,
        keys: &StaticKeys,
        level: SecurityLevel,
    ) -> Result<Self> {
        let handshake = HostHandshake::new(keys)?;
        let response = transport.transmit(&handshake.initialize_update_command()?)?;
        let external = handshake.authenticate(&response, level)?;
        let response = transport.transmit(external.command())?;
        let session = external.finish(&response)?;
        Ok(SecureChannel {
            transport,
            session: Some(session),
        })
    }

    /// The session's security level, or `None` once the channel is closed.
    pub fn security_level(&self) -> Option<SecurityLevel> {
        self.session.as_ref().map(HostSession::security_level)
    }

    /// The transport, for plain commands (they end the session at the card).
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Wraps `command`, sends it, and unwraps the response.
    pub fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu> {
        let session = self
            .session
            .as_mut()
            .ok_or(Error::OutOfOrder("the secure channel was closed"))?;
        let wrapped = session.wrap_command(command)?;
        let response = match self.transport.transmit(&wrapped) {
            Ok(response) => response,
            Err(error) => {
                self.session = None;
                return Err(error);
            }
        };
        match session.unwrap_response(&response) {
            Ok(plain) => {
                if plain.sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED {
                    self.session = None;
                }
                Ok(plain)
            }
            Err(error) => {
                self.session = None;
                Err(error)
            }
        }
    }

    /// Sends a keyward command and returns the data of its `9000`, or the error its status
    /// word means ([`instructions::check`]).
    pub fn execute(&mut self, command: &CommandApdu) -> Result<Vec<u8>> {
        let response = self.transmit(command)?;
        instructions::check(&response).map(<[u8]>::to_vec)
    }

    /// VERIFY PIN.
    pub fn verify_pin(&mut self, pin: PinId, value: &[u8]) -> Result<()> {
        self.execute(&instructions::verify_pin(pin, value)?)
            .map(drop)
    }

    /// VERIFY PIN without data: `Ok` when verified, `WrongPin { attempts_remaining }` when not,
    /// `PinBlocked` when blocked.
    pub fn pin_status(&mut self, pin: PinId) -> Result<()> {
        self.execute(&instructions::pin_status(pin)?).map(drop)
    }

    /// CHANGE PIN.
    pub fn change_pin(
        &mut self,
        pin: PinId,
        old: &[u8],
        new: &[u8],
        retry_limit: Option<u8>,
    ) -> Result<()> {
        self.execute(&instructions::change_pin(pin, old, new, retry_limit)?)
            .map(drop)
    }

    /// UNBLOCK PIN (user PIN, authenticated by the admin PIN).
    pub fn unblock_pin(
        &mut self,
        admin_pin: &[u8],
        new_user_pin: &[u8],
        retry_limit: Option<u8>,
    ) -> Result<()> {
        self.execute(&instructions::unblock_pin(
            admin_pin,
            new_user_pin,
            retry_limit,
        )?)
        .map(drop)
    }

    /// DEAUTHENTICATE.
    pub fn deauthenticate(&mut self, pin: PinId) -> Result<()> {
        self.execute(&instructions::deauthenticate(pin)?).map(drop)
    }

    /// IMPORT KEY PAIR: every block in order.
    pub fn import_key_pair(
        &mut self,
        container: u8,
        pin: PinId,
        key_spec: u8,
        pkcs8: &[u8],
    ) -> Result<()> {
        for command in instructions::import_key_pair(container, pin, key_spec, pkcs8)? {
            self.execute(&command)?;
        }
        Ok(())
    }

    /// READ PUBLIC KEY, then READ OUTPUT until complete.
    pub fn read_public_key(&mut self, container: u8) -> Result<ContainerPublicKey> {
        let length = instructions::output_length(
            &self.execute(&instructions::read_public_key(container)?)?,
        )?;
        ContainerPublicKey::parse(&self.read_output(length)?)
    }

    /// SIGN, then READ OUTPUT until complete.
    pub fn sign(&mut self, container: u8, hash: SignatureHash, digest: &[u8]) -> Result<Vec<u8>> {
        let length = instructions::output_length(
            &self.execute(&instructions::sign(container, hash, digest)?)?,
        )?;
        self.read_output(length)
    }

    /// PUT KEY: replaces the card's keyset `current` by `new`; checks the key check values the
    /// card returns. The open session keeps running on the old session keys.
    pub fn put_key(&mut self, current: &StaticKeys, new: &StaticKeys) -> Result<()> {
        let answer = self.execute(&instructions::put_key(current, new)?)?;
        let [enc, mac, dek] = new.check_values()?;
        let expected = [&[new.version()][..], &enc, &mac, &dek].concat();
        if answer != expected {
            return Err(Error::MalformedMessage(
                "PUT KEY answered other key check values",
            ));
        }
        Ok(())
    }

    fn read_output(&mut self, length: usize) -> Result<Vec<u8>> {
        let mut output = Vec::with_capacity(length);
        while output.len() < length {
            let offset = u16::try_from(output.len())
                .map_err(|_| Error::MalformedMessage("output longer than 65535 bytes"))?;
            let chunk = self.execute(&instructions::read_output(offset)?)?;
            if chunk.is_empty() {
                return Err(Error::MalformedMessage("output shorter than announced"));
            }
            output.extend_from_slice(&chunk);
        }
        if output.len() != length {
            return Err(Error::MalformedMessage("output longer than announced"));
        }
        Ok(output)
    }
}

impl<T: Transport> core::fmt::Debug for SecureChannel<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecureChannel")
            .field("security_level", &self.security_level())
            .finish_non_exhaustive()
    }
}

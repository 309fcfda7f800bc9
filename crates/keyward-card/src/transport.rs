//! Transports: how APDUs reach a card. [`Transport`] is the one interface (an encoded command
//! in, an encoded response out, as `SCardTransmit` does); [`InProcess`] reaches a
//! [`VirtualCard`] in the same process; [`PcscTransport`] reaches a card in a PC/SC reader
//! (pcscd, and through vpcd the virtual card of [`crate::card::vpcd`]) through pcsc-lite,
//! loaded at run time by `libpcsclite` (the crate's only unsafe code).

mod libpcsclite;
mod pcsc;

pub use self::pcsc::PcscTransport;

use std::sync::{Arc, Mutex};

use crate::apdu::{CommandApdu, ResponseApdu};
use crate::card::VirtualCard;
use crate::{Error, Result};

/// A channel to one card.
pub trait Transport: Send {
    /// Sends one encoded command APDU and returns the encoded response APDU
    /// (`SCardTransmit`). A failure to reach the card is `Transport`.
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>>;

    /// Sends a command APDU and parses the response.
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu> {
        let response = self.transmit_raw(&command.to_bytes())?;
        ResponseApdu::parse(&response)
    }

    /// Resets the card (`SCardReconnect` with `SCARD_RESET_CARD`): it ends the card session.
    fn reset(&mut self) -> Result<()>;

    /// The card's answer-to-reset.
    fn atr(&mut self) -> Result<Vec<u8>>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        (**self).transmit_raw(command)
    }

    fn reset(&mut self) -> Result<()> {
        (**self).reset()
    }

    fn atr(&mut self) -> Result<Vec<u8>> {
        (**self).atr()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        (**self).transmit_raw(command)
    }

    fn reset(&mut self) -> Result<()> {
        (**self).reset()
    }

    fn atr(&mut self) -> Result<Vec<u8>> {
        (**self).atr()
    }
}

/// A transport to a [`VirtualCard`] in this process. Clones share the card, so a test can keep
/// a handle to it while a minidriver context uses another.
#[derive(Clone)]
pub struct InProcess {
    card: Arc<Mutex<VirtualCard>>,
}

impl InProcess {
    /// A transport to `card`.
    pub fn new(card: VirtualCard) -> Self {
        InProcess {
            card: Arc::new(Mutex::new(card)),
        }
    }

    /// Runs `f` with the card (for inspection in tests). A poisoned lock is `Transport`.
    pub fn with_card<T>(&self, f: impl FnOnce(&mut VirtualCard) -> T) -> Result<T> {
        let mut card = self
            .card
            .lock()
            .map_err(|_| Error::Transport("virtual card lock poisoned".into()))?;
        Ok(f(&mut card))
    }
}

impl Transport for InProcess {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>> {
        self.with_card(|card| card.process(command))
    }

    fn reset(&mut self) -> Result<()> {
        self.with_card(VirtualCard::reset)
    }

    fn atr(&mut self) -> Result<Vec<u8>> {
        self.with_card(|card| card.atr().to_vec())
    }
}

impl core::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("InProcess { .. }")
    }
}

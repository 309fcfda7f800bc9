//! keyward-card: the smart-card minidriver shared key (cardmod.h v7) over GlobalPlatform SCP03.
//!
//! - [`apdu`]: command and response APDUs (ISO/IEC 7816-4) and status words;
//! - [`scp03`]: GlobalPlatform SCP03 (Amendment D), host and card side;
//! - [`instructions`]: the keyward card instruction set (host builders, status-word table);
//! - [`card`]: a virtual GlobalPlatform card that executes it, with its state in a file, and
//!   its connection to vsmartcard's vpcd reader driver;
//! - [`transport`]: how APDUs reach a card (in-process, PC/SC);
//! - [`channel`]: the host side of a secure channel over a transport;
//! - [`minidriver`]: the cardmod.h v7 calls (context, shared key, secure key injection);
//! - [`Error`]: one error type, with its one table to the Windows `SCARD_*` values.

#![forbid(unsafe_code)]

pub mod apdu;
pub mod card;
pub mod channel;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod instructions;
pub mod minidriver;
pub mod scp03;
pub mod transport;

pub use error::{Error, Result};

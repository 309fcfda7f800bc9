//! keyward-card: the smart-card minidriver shared key (cardmod.h v7) over GlobalPlatform SCP03.
//!
//! # Example
//!
//! Secure key injection of a new PIN: a server with no card, which holds the card's static
//! SCP03 keys, and a client at the card (here an in-process virtual card) share a key through
//! `CardGetSharedKeyHandle`; the server seals the PIN change with `MDEncryptData` and the
//! client's card opens it in `CardProcessEncryptedData`. The client never sees the keys or
//! the PINs in the clear.
//!
//! ```
//! use keyward_card::card::{Personalization, VirtualCard, ATR};
//! use keyward_card::instructions::PinId;
//! use keyward_card::minidriver::secure_function::{
//!     CardAuthenticate, CardChangeAuthenticator, CSF_AUTHENTICATE, CSF_CHANGE_AUTHENTICATOR,
//!     PIN_CHANGE_FLAG_CHANGEPIN,
//! };
//! use keyward_card::minidriver::{
//!     CardContext, CardData, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
//! };
//! use keyward_card::scp03::StaticKeys;
//! use keyward_card::transport::InProcess;
//!
//! # fn main() -> keyward_card::Result<()> {
//! // The card's static keyset (key version 0x30; AES-128 ENC, MAC and DEK keys) and PINs.
//! let keys = StaticKeys::new(0x30, &[0x40; 16], &[0x41; 16], &[0x42; 16])?;
//! let card = VirtualCard::in_memory(Personalization::new(keys.clone(), b"1234", b"87654321")?)?;
//!
//! // CardAcquireContext: the server in no-card mode with the keys, the client with the card.
//! let server_data = CardData {
//!     version: 7,
//!     atr: Vec::new(),
//!     card_name: String::new(),
//!     transport: None,
//!     vendor: VendorConfig::new(Some(keys)),
//! };
//! let mut server = CardContext::acquire(server_data, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE)?;
//! let client_data = CardData {
//!     version: 7,
//!     atr: ATR.to_vec(),
//!     card_name: "keyward virtual card".into(),
//!     transport: Some(Box::new(InProcess::new(card))),
//!     vendor: VendorConfig::new(None),
//! };
//! let mut client = CardContext::acquire(client_data, 0)?;
//!
//! // CardGetSharedKeyHandle, relayed: host challenge, the card's answer, EXTERNAL AUTHENTICATE.
//! let challenge = server.get_shared_key_handle(&[])?.output.unwrap_or_default();
//! let answer = client.get_shared_key_handle(&challenge)?.output.unwrap_or_default();
//! let step = server.get_shared_key_handle(&answer)?;
//! let authenticate = step.output.unwrap_or_default();
//! let client_key = client.get_shared_key_handle(&authenticate)?.key.expect("client done");
//! let server_key = step.key.expect("server done");
//!
//! // MDEncryptData on the server, CardProcessEncryptedData at the card.
//! let change = CardChangeAuthenticator {
//!     flags: PIN_CHANGE_FLAG_CHANGEPIN,
//!     authenticating_pin: PinId::User,
//!     authenticating_pin_data: b"1234".to_vec(),
//!     target_pin: PinId::User,
//!     target_data: b"24681357".to_vec(),
//!     retry_count: 0,
//! };
//! let sealed = server.md_encrypt_data(server_key, CSF_CHANGE_AUTHENTICATOR, &change.to_bytes(), 0)?;
//! client.process_encrypted_data(client_key, CSF_CHANGE_AUTHENTICATOR, &sealed, 0)?;
//!
//! // The new PIN authenticates (also sent sealed, CSF_AUTHENTICATE); the old one no longer does.
//! for (pin, accepted) in [(b"24681357".as_slice(), true), (b"1234".as_slice(), false)] {
//!     let login = CardAuthenticate { flags: 0, pin: PinId::User, pin_data: pin.to_vec() };
//!     let sealed = server.md_encrypt_data(server_key, CSF_AUTHENTICATE, &login.to_bytes(), 0)?;
//!     let result = client.process_encrypted_data(client_key, CSF_AUTHENTICATE, &sealed, 0);
//!     assert_eq!(result.is_ok(), accepted);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Contents
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

// Unsafe code only in `transport::libpcsclite` (the PC/SC library, loaded at run time).
#![deny(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

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
pub mod status;
pub mod transport;

pub use error::{Error, Result};
pub use status::ScardStatus;

//! The card minidriver of cardmod.h v7 as a Rust API, for keyward's GlobalPlatform card:
//! context acquisition with version negotiation and no-card mode, the SCP03 shared key of
//! `CardGetSharedKeyHandle` (established by relaying messages between a server in no-card mode
//! and the client next to the card: [`shared_key`]), the secure key injection functions
//! `MDEncryptData` / `CardProcessEncryptedData` ([`secure_function`]), `CardDestroyKey`, and
//! `CardAuthenticateEx` / `CardDeauthenticateEx`.
//!
//! | cardmod.h | here |
//! |---|---|
//! | `CardAcquireContext` | [`CardContext::acquire`] |
//! | `CardDeleteContext` | [`CardContext::delete`] (or drop) |
//! | `CardGetSharedKeyHandle` | [`CardContext::get_shared_key_handle`] |
//! | `MDEncryptData` | [`CardContext::md_encrypt_data`] |
//! | `CardProcessEncryptedData` | [`CardContext::process_encrypted_data`] |
//! | `CardDestroyKey` | [`CardContext::destroy_key`] |
//! | `CardAuthenticateEx` / `CardDeauthenticateEx` | [`CardContext::authenticate_ex`] / [`CardContext::deauthenticate_ex`] |
//!
//! How the pieces map onto SCP03: the server's key handle holds the host side of the secure
//! channel session; `MDEncryptData` turns a secure-function payload into complete wrapped
//! command APDUs (C-DECRYPTION + C-MAC), one `CARD_ENCRYPTED_DATA` blob each;
//! `CardProcessEncryptedData` on the client checks that the blobs are wrapped commands of the
//! named function and transmits them in order. The client never sees a key: its handle stands
//! for the session the card holds, and stops working when the card ends that session.
//!
//! In no-card mode (`CARD_SECURE_KEY_INJECTION_NO_CARD_MODE`) only the eight calls the
//! secure-key-injection spec allows are accepted (`MDImportSessionKey`, `MDEncryptData`,
//! `CardGetSharedKeyHandle`, `CardGetAlgorithmProperty`, `CardDestroyKey`,
//! `CardGetKeyProperty`, `CardSetKeyProperty`, `CardProcessEncryptedData`); every other call
//! fails with `SCARD_E_NO_SMARTCARD` ([`Error::NoCard`]).

pub mod secure_function;
pub mod shared_key;

use std::collections::HashMap;

use keyward_core::backend::{fill_random, Curve, PrivateKey};

use crate::apdu::{CommandApdu, StatusWord};
use crate::channel::SecureChannel;
use crate::instructions::{
    self, PinId, INS_CHANGE_PIN, INS_IMPORT_KEY_PAIR, INS_UNBLOCK_PIN, INS_VERIFY_PIN, LAST_BLOCK,
};
use crate::scp03::{HostHandshake, HostSession, SecurityLevel, StaticKeys, INS_INITIALIZE_UPDATE};
use crate::transport::Transport;
use crate::{Error, Result};
use secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair, SecureFunction,
    SecureFunctionOutput, CARD_AUTHENTICATE_GENERATE_SESSION_PIN, CARD_AUTHENTICATE_SESSION_PIN,
    PIN_CHANGE_FLAG_CHANGEPIN, PIN_CHANGE_FLAG_UNBLOCK,
};
use shared_key::SharedKeyMessage;

/// `CARD_DATA_VERSION_FOUR`: the oldest `CARD_DATA` a minidriver accepts.
pub const CARD_DATA_VERSION_FOUR: u32 = 4;
/// `CARD_DATA_VERSION_SEVEN`: secure key injection.
pub const CARD_DATA_VERSION_SEVEN: u32 = 7;
/// `CARD_DATA_CURRENT_VERSION`.
pub const CARD_DATA_CURRENT_VERSION: u32 = CARD_DATA_VERSION_SEVEN;
/// `CARD_SECURE_KEY_INJECTION_NO_CARD_MODE`: no card operations.
pub const CARD_SECURE_KEY_INJECTION_NO_CARD_MODE: u32 = 0x1;

/// A key handle (`CARD_KEY_HANDLE`, a `ULONG_PTR`): never zero, random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CardKeyHandle(pub usize);

/// keyward's vendor configuration (what `pvVendorSpecific` would carry).
#[derive(Clone)]
pub struct VendorConfig {
    /// The card application's AID.
    pub aid: Vec<u8>,
    /// The card's static SCP03 keys: required in no-card mode (the server); in card mode
    /// needed only by `CardAuthenticateEx` / `CardDeauthenticateEx`.
    pub static_keys: Option<StaticKeys>,
    /// The security level the server asks for; it must include C-DECRYPTION for
    /// `MDEncryptData`.
    pub security_level: SecurityLevel,
}

impl VendorConfig {
    /// keyward's card with default AID and security level `33`.
    pub fn new(static_keys: Option<StaticKeys>) -> Self {
        VendorConfig {
            aid: crate::card::DEFAULT_AID.to_vec(),
            static_keys,
            security_level: SecurityLevel::Full,
        }
    }
}

impl core::fmt::Debug for VendorConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VendorConfig")
            .field("static_keys", &self.static_keys)
            .field("security_level", &self.security_level)
            .finish_non_exhaustive()
    }
}

/// The caller-filled part of `CARD_DATA` that keyward uses.
pub struct CardData {
    /// `dwVersion`: the version the caller supports.
    pub version: u32,
    /// `pbAtr` / `cbAtr` (empty in no-card mode).
    pub atr: Vec<u8>,
    /// `pwszCardName` (may be empty in no-card mode).
    pub card_name: String,
    /// `hSCardCtx` / `hScard`: the way to the card; `None` in no-card mode.
    pub transport: Option<Box<dyn Transport>>,
    /// `pvVendorSpecific`.
    pub vendor: VendorConfig,
}

/// The calls a minidriver context answers, for the no-card-mode rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `MDImportSessionKey`.
    MdImportSessionKey,
    /// `MDEncryptData`.
    MdEncryptData,
    /// `CardGetSharedKeyHandle`.
    CardGetSharedKeyHandle,
    /// `CardGetAlgorithmProperty`.
    CardGetAlgorithmProperty,
    /// `CardDestroyKey`.
    CardDestroyKey,
    /// `CardGetKeyProperty`.
    CardGetKeyProperty,
    /// `CardSetKeyProperty`.
    CardSetKeyProperty,
    /// `CardProcessEncryptedData`.
    CardProcessEncryptedData,
    /// `CardAuthenticateEx`.
    CardAuthenticateEx,
    /// `CardDeauthenticateEx`.
    CardDeauthenticateEx,
    /// `CardGetProperty`.
    CardGetProperty,
    /// `CardImportSessionKey`.
    CardImportSessionKey,
}

impl Call {
    /// True for the eight calls allowed in no-card mode (secure-key-injection.md).
    pub fn allowed_without_card(self) -> bool {
        matches!(
            self,
            Call::MdImportSessionKey
                | Call::MdEncryptData
                | Call::CardGetSharedKeyHandle
                | Call::CardGetAlgorithmProperty
                | Call::CardDestroyKey
                | Call::CardGetKeyProperty
                | Call::CardSetKeyProperty
                | Call::CardProcessEncryptedData
        )
    }
}

/// What one `CardGetSharedKeyHandle` call returns.
#[derive(Debug, PartialEq, Eq)]
pub struct SharedKeyStep {
    /// `*ppbOutput`: the message for the other side, if any.
    pub output: Option<Vec<u8>>,
    /// `*phKey`: the handle once this side is complete, `None` (NULL) before.
    pub key: Option<CardKeyHandle>,
}

enum Mode {
    Card { transport: Box<dyn Transport> },
    NoCard { keys: StaticKeys },
}

enum Pending {
    None,
    /// Server: the host challenge was sent.
    Server(HostHandshake),
    /// Client: INITIALIZE UPDATE was sent to the card in this card session.
    Client {
        generation: u64,
    },
}

enum Key {
    /// Server side: the host half of the session.
    Host(Box<HostSession>),
    /// Client side: the card's session number `generation`.
    Card { generation: u64 },
}

/// A minidriver context (`CARD_DATA` after `CardAcquireContext`).
pub struct CardContext {
    version: u32,
    mode: Mode,
    vendor: VendorConfig,
    pending: Pending,
    keys: HashMap<usize, Key>,
    /// Client side: counts the card's secure channel sessions; a handle is good only for the
    /// session it was made in.
    card_generation: u64,
}

impl CardContext {
    /// `CardAcquireContext`: checks `data` and `flags` and negotiates the version down to
    /// `min(data.version, 7)` (OpenSC's behaviour, reference B.1).
    ///
    /// Errors, in this order: version below 4 → `RevisionMismatch`; unknown flags →
    /// `InvalidParameter`; no-card mode with a version below 7, or without the static keys in
    /// the vendor configuration → `InvalidParameter`, or with a transport → `InvalidParameter`;
    /// card mode without a transport → `InvalidHandle`, without ATR or card name →
    /// `InvalidParameter`; a card that does not select the AID → `CardStatus`.
    pub fn acquire(data: CardData, flags: u32) -> Result<Self> {
        if data.version < CARD_DATA_VERSION_FOUR {
            return Err(Error::RevisionMismatch);
        }
        let version = data.version.min(CARD_DATA_CURRENT_VERSION);
        if flags & !CARD_SECURE_KEY_INJECTION_NO_CARD_MODE != 0 {
            return Err(Error::InvalidParameter("unknown CardAcquireContext flags"));
        }
        let mode = if flags & CARD_SECURE_KEY_INJECTION_NO_CARD_MODE != 0 {
            if version < CARD_DATA_VERSION_SEVEN {
                return Err(Error::InvalidParameter(
                    "no-card mode needs CARD_DATA version 7",
                ));
            }
            if data.transport.is_some() {
                return Err(Error::InvalidParameter("no-card mode with a card handle"));
            }
            let keys = data
                .vendor
                .static_keys
                .clone()
                .ok_or(Error::InvalidParameter(
                    "no-card mode needs the card's static keys",
                ))?;
            Mode::NoCard { keys }
        } else {
            let mut transport = data.transport.ok_or(Error::InvalidHandle)?;
            if data.atr.is_empty() || data.card_name.is_empty() {
                return Err(Error::InvalidParameter("ATR or card name missing"));
            }
            let response = transport.transmit(&instructions::select(&data.vendor.aid)?)?;
            if response.sw != StatusWord::SUCCESS {
                return Err(Error::CardStatus(response.sw));
            }
            Mode::Card { transport }
        };
        Ok(CardContext {
            version,
            mode,
            vendor: data.vendor,
            pending: Pending::None,
            keys: HashMap::new(),
            card_generation: 0,
        })
    }

    /// The negotiated `CARD_DATA` version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// True in no-card mode.
    pub fn is_no_card_mode(&self) -> bool {
        matches!(self.mode, Mode::NoCard { .. })
    }

    /// The number of live key handles.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// `CardDeleteContext`: frees the context and every key in it.
    pub fn delete(self) {}

    /// Refuses calls that need a card in no-card mode (`NoCard`).
    pub fn check_call(&self, call: Call) -> Result<()> {
        if self.is_no_card_mode() && !call.allowed_without_card() {
            return Err(Error::NoCard);
        }
        Ok(())
    }

    fn new_handle(&mut self, key: Key) -> Result<CardKeyHandle> {
        loop {
            let mut bytes = [0u8; core::mem::size_of::<usize>()];
            fill_random(&mut bytes)?;
            let value = usize::from_ne_bytes(bytes);
            if value != 0 && !self.keys.contains_key(&value) {
                self.keys.insert(value, key);
                return Ok(CardKeyHandle(value));
            }
        }
    }

    /// `CardGetSharedKeyHandle`: one step of the relayed SCP03 establishment (the message
    /// formats and the four steps are in [`shared_key`]). On the server (no-card mode) an empty
    /// `input` starts a new establishment, abandoning an unfinished one; on the client an
    /// incoming HOST CHALLENGE does the same. A handle exists only once its side is complete;
    /// a failed step leaves no pending state and no handle.
    ///
    /// Errors: a message that is not ours → `InvalidParameter`; a message the state does not
    /// expect (wrong side, wrong step, replayed) → `OutOfOrder`; a wrong card cryptogram →
    /// `CardCryptogramMismatch`; a card refusing EXTERNAL AUTHENTICATE →
    /// `HostAuthenticationFailed` (6300) or `CardStatus`.
    pub fn get_shared_key_handle(&mut self, input: &[u8]) -> Result<SharedKeyStep> {
        self.check_call(Call::CardGetSharedKeyHandle)?;
        let pending = core::mem::replace(&mut self.pending, Pending::None);
        match &mut self.mode {
            Mode::NoCard { keys } => {
                if input.is_empty() {
                    let handshake = HostHandshake::new(keys)?;
                    let message = SharedKeyMessage::HostChallenge {
                        key_version: keys.version(),
                        host_challenge: *handshake.host_challenge(),
                    };
                    self.pending = Pending::Server(handshake);
                    return Ok(SharedKeyStep {
                        output: Some(message.to_bytes()),
                        key: None,
                    });
                }
                let message = SharedKeyMessage::parse(input)?;
                let (SharedKeyMessage::CardChallenge(card), Pending::Server(handshake)) =
                    (message, pending)
                else {
                    return Err(Error::OutOfOrder(
                        "the server expects CARD CHALLENGE after its HOST CHALLENGE",
                    ));
                };
                let response = crate::apdu::ResponseApdu::new(card.to_bytes(), StatusWord::SUCCESS);
                let external = handshake.authenticate(&response, self.vendor.security_level)?;
                let message = SharedKeyMessage::ExternalAuthenticate(external.command().clone());
                let session = external.into_unconfirmed_session();
                let key = self.new_handle(Key::Host(Box::new(session)))?;
                Ok(SharedKeyStep {
                    output: Some(message.to_bytes()),
                    key: Some(key),
                })
            }
            Mode::Card { transport } => {
                if input.is_empty() {
                    return Err(Error::InvalidParameter(
                        "the client needs the server's HOST CHALLENGE",
                    ));
                }
                match (SharedKeyMessage::parse(input)?, pending) {
                    (
                        SharedKeyMessage::HostChallenge {
                            key_version,
                            host_challenge,
                        },
                        _,
                    ) => {
                        // INITIALIZE UPDATE ends the card's current session: every handle of
                        // this context stops working.
                        self.card_generation += 1;
                        let command = CommandApdu::new(
                            0x80,
                            INS_INITIALIZE_UPDATE,
                            key_version,
                            0,
                            host_challenge.to_vec(),
                            Some(256),
                        )?;
                        let response = transport.transmit(&command)?;
                        if response.sw != StatusWord::SUCCESS {
                            return Err(Error::CardStatus(response.sw));
                        }
                        let card = crate::scp03::InitializeUpdateResponse::parse(response.data())?;
                        self.pending = Pending::Client {
                            generation: self.card_generation,
                        };
                        Ok(SharedKeyStep {
                            output: Some(SharedKeyMessage::CardChallenge(card).to_bytes()),
                            key: None,
                        })
                    }
                    (
                        SharedKeyMessage::ExternalAuthenticate(command),
                        Pending::Client { generation },
                    ) if generation == self.card_generation => {
                        let response = transport.transmit(&command)?;
                        match response.sw {
                            StatusWord::SUCCESS => {}
                            StatusWord::AUTHENTICATION_FAILED => {
                                return Err(Error::HostAuthenticationFailed)
                            }
                            sw => return Err(Error::CardStatus(sw)),
                        }
                        let key = self.new_handle(Key::Card { generation })?;
                        Ok(SharedKeyStep {
                            output: None,
                            key: Some(key),
                        })
                    }
                    _ => Err(Error::OutOfOrder(
                        "the client expects HOST CHALLENGE, then EXTERNAL AUTHENTICATE",
                    )),
                }
            }
        }
    }

    /// `MDEncryptData` (server, no-card mode): turns a secure function's payload
    /// ([`secure_function`]) into the wrapped command APDUs that carry it to the card, one
    /// `CARD_ENCRYPTED_DATA` blob each. `flags` must be 0.
    ///
    /// Errors: an unknown or client-side handle → `InvalidHandle`; an unknown function or
    /// flags, a malformed payload, a PIN change that is neither a change of the same PIN nor an
    /// admin unblock of the user PIN, a key that is not what `dwKeySpec`/`dwKeySize` say →
    /// `InvalidParameter` (or `InvalidPin`); session-PIN flags → `UnsupportedFeature`; a
    /// shared key whose security level has no C-DECRYPTION → `UnsupportedFeature`. Nothing is
    /// wrapped (the session does not move) unless every check passes.
    pub fn md_encrypt_data(
        &mut self,
        key: CardKeyHandle,
        secure_function: &str,
        input: &[u8],
        flags: u32,
    ) -> Result<Vec<Vec<u8>>> {
        self.check_call(Call::MdEncryptData)?;
        let Some(Key::Host(session)) = self.keys.get_mut(&key.0) else {
            return Err(Error::InvalidHandle);
        };
        let function = SecureFunction::from_name(secure_function)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("MDEncryptData flags"));
        }
        if !session.security_level().c_decryption() {
            return Err(Error::UnsupportedFeature(
                "the shared key's security level has no C-DECRYPTION",
            ));
        }
        let commands = match function {
            SecureFunction::Authenticate => vec![authenticate_command(input)?],
            SecureFunction::ChangeAuthenticator => vec![change_authenticator_command(input)?],
            SecureFunction::ImportKeyPair => import_key_pair_commands(input)?,
        };
        commands
            .iter()
            .map(|command| {
                session
                    .wrap_command(command)
                    .map(|wrapped| wrapped.to_bytes())
            })
            .collect()
    }

    /// `CardProcessEncryptedData` (client): checks that every blob is a wrapped command of
    /// `secure_function` (class `84`, its instruction; import blocks numbered in order), then
    /// sends them to the card in order and reports the function's response. `flags` must be 0.
    ///
    /// Errors: an unknown handle, a server-side one, or one whose card session has ended →
    /// `InvalidHandle`; an unknown function, flags, or a blob that does not belong to the
    /// function → `InvalidParameter` (nothing is sent); the card's refusals through
    /// [`instructions::check`] (`WrongPin`, `PinBlocked`, `SecurityStatusNotSatisfied` — after
    /// which the card has ended the session and the handle is dead —, …).
    pub fn process_encrypted_data(
        &mut self,
        key: CardKeyHandle,
        secure_function: &str,
        encrypted: &[Vec<u8>],
        flags: u32,
    ) -> Result<SecureFunctionOutput> {
        self.check_call(Call::CardProcessEncryptedData)?;
        let generation = match self.keys.get(&key.0) {
            Some(Key::Card { generation }) if *generation == self.card_generation => *generation,
            _ => return Err(Error::InvalidHandle),
        };
        let function = SecureFunction::from_name(secure_function)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("CardProcessEncryptedData flags"));
        }
        let commands = encrypted
            .iter()
            .map(|blob| CommandApdu::parse(blob).map_err(|_| Error::InvalidParameter("blob")))
            .collect::<Result<Vec<_>>>()?;
        check_blobs(function, &commands)?;
        let Mode::Card { transport } = &mut self.mode else {
            return Err(Error::InvalidHandle);
        };
        for command in &commands {
            let response = transport.transmit(command)?;
            if response.sw == StatusWord::SUCCESS {
                continue;
            }
            if response.sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED {
                // The card aborted its session (GP Amd D §5.6): the key is gone with it.
                if self.card_generation == generation {
                    self.card_generation += 1;
                }
            }
            let error = match instructions::check(&response) {
                Err(error) => error,
                Ok(_) => Error::CardStatus(response.sw),
            };
            return Err(error);
        }
        Ok(match function {
            SecureFunction::Authenticate => SecureFunctionOutput::Authenticate {
                attempts_remaining: None,
            },
            SecureFunction::ChangeAuthenticator => SecureFunctionOutput::ChangeAuthenticator {
                attempts_remaining: None,
            },
            SecureFunction::ImportKeyPair => SecureFunctionOutput::ImportKeyPair,
        })
    }

    /// `CardDestroyKey`: forgets the key (the server's session keys are wiped with it; the
    /// card's session ends at its next INITIALIZE UPDATE, SELECT or reset). An unknown handle
    /// is `InvalidHandle`.
    pub fn destroy_key(&mut self, key: CardKeyHandle) -> Result<()> {
        self.check_call(Call::CardDestroyKey)?;
        self.keys
            .remove(&key.0)
            .map(drop)
            .ok_or(Error::InvalidHandle)
    }

    /// `CardAuthenticateEx` with a plain PIN (`CARD_AUTHENTICATE_PIN_PIN`): keyward's card
    /// takes PINs only under C-DECRYPTION, so the context opens its own secure channel with
    /// the static keys of the vendor configuration (without them: `UnsupportedFeature`).
    /// `flags` must be 0 (session PINs are not supported). Returns nothing on success;
    /// `WrongPin { attempts_remaining }` / `PinBlocked` on failure.
    pub fn authenticate_ex(&mut self, pin: PinId, flags: u32, pin_data: &[u8]) -> Result<()> {
        self.check_call(Call::CardAuthenticateEx)?;
        if flags != 0 {
            return Err(Error::UnsupportedFeature("CardAuthenticateEx flags"));
        }
        let command = instructions::verify_pin(pin, pin_data)?;
        self.with_own_channel(|channel| channel.execute(&command).map(drop))
    }

    /// `CardDeauthenticateEx`: clears the verified state of every PIN in `pin_set`
    /// (`CREATE_PIN_SET` bits; `PIN_SET_ALL_ROLES` = 0xFF). Other bits than user and admin are
    /// ignored, as those PINs do not exist. Needs the static keys like
    /// [`CardContext::authenticate_ex`]. `flags` must be 0.
    pub fn deauthenticate_ex(&mut self, pin_set: u32, flags: u32) -> Result<()> {
        self.check_call(Call::CardDeauthenticateEx)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("CardDeauthenticateEx flags"));
        }
        let pins: Vec<PinId> = [PinId::User, PinId::Admin]
            .into_iter()
            .filter(|pin| pin_set & (1 << pin.role()) != 0)
            .collect();
        self.with_own_channel(|channel| {
            for pin in pins {
                channel.execute(&instructions::deauthenticate(pin)?)?;
            }
            Ok(())
        })
    }

    /// Runs `f` over a secure channel the context opens with its own static keys. Opening it
    /// ends the card's previous session, so shared-key handles of this context stop working.
    fn with_own_channel<T>(
        &mut self,
        f: impl FnOnce(&mut SecureChannel<&mut dyn Transport>) -> Result<T>,
    ) -> Result<T> {
        let keys = self
            .vendor
            .static_keys
            .clone()
            .ok_or(Error::UnsupportedFeature(
                "PIN commands need the card's static keys (use secure key injection)",
            ))?;
        let Mode::Card { transport } = &mut self.mode else {
            return Err(Error::NoCard);
        };
        self.card_generation += 1;
        self.pending = Pending::None;
        let mut channel = SecureChannel::open_selected(
            transport.as_mut() as &mut dyn Transport,
            &keys,
            SecurityLevel::CMacCDecryption,
        )?;
        f(&mut channel)
    }
}

impl core::fmt::Debug for CardContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CardContext")
            .field("version", &self.version)
            .field("no_card_mode", &self.is_no_card_mode())
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

fn authenticate_command(input: &[u8]) -> Result<CommandApdu> {
    let authenticate = CardAuthenticate::parse(input)?;
    if authenticate.flags & (CARD_AUTHENTICATE_GENERATE_SESSION_PIN | CARD_AUTHENTICATE_SESSION_PIN)
        != 0
    {
        return Err(Error::UnsupportedFeature("session PINs"));
    }
    if authenticate.flags != 0 {
        return Err(Error::InvalidParameter("CARD_AUTHENTICATE flags"));
    }
    instructions::verify_pin(authenticate.pin, &authenticate.pin_data)
}

fn change_authenticator_command(input: &[u8]) -> Result<CommandApdu> {
    let change = CardChangeAuthenticator::parse(input)?;
    let retry_limit = match change.retry_count {
        0 => None,
        count => {
            Some(u8::try_from(count).map_err(|_| Error::InvalidParameter("cRetryCount above 15"))?)
        }
    };
    match change.flags {
        PIN_CHANGE_FLAG_CHANGEPIN if change.authenticating_pin == change.target_pin => {
            instructions::change_pin(
                change.target_pin,
                &change.authenticating_pin_data,
                &change.target_data,
                retry_limit,
            )
        }
        PIN_CHANGE_FLAG_UNBLOCK
            if change.authenticating_pin == PinId::Admin && change.target_pin == PinId::User =>
        {
            instructions::unblock_pin(
                &change.authenticating_pin_data,
                &change.target_data,
                retry_limit,
            )
        }
        _ => Err(Error::InvalidParameter(
            "CARD_CHANGE_AUTHENTICATOR: not a PIN change or an admin unblock of the user PIN",
        )),
    }
}

fn import_key_pair_commands(input: &[u8]) -> Result<Vec<CommandApdu>> {
    let import = CardImportKeyPair::parse(input)?;
    let key_spec =
        u8::try_from(import.key_spec).map_err(|_| Error::InvalidParameter("dwKeySpec"))?;
    let bits = match PrivateKey::from_pkcs8(&import.key)? {
        PrivateKey::Rsa(rsa) => rsa.bits(),
        PrivateKey::Ecdsa(ec) if ec.curve() == Curve::P256 => 256,
        PrivateKey::Ecdsa(_) => return Err(Error::UnsupportedFeature("EC curve other than P-256")),
    };
    if u32::try_from(bits).ok() != Some(import.key_size) {
        return Err(Error::InvalidParameter("dwKeySize does not match the key"));
    }
    instructions::import_key_pair(import.container, import.pin, key_spec, &import.key)
}

/// Checks that `commands` are the wrapped commands `function` sends.
fn check_blobs(function: SecureFunction, commands: &[CommandApdu]) -> Result<()> {
    const FOREIGN: Error =
        Error::InvalidParameter("encrypted data does not belong to the secure function");
    if commands.is_empty() || commands.iter().any(|c| c.cla & 0xFC != 0x84) {
        return Err(FOREIGN);
    }
    match function {
        SecureFunction::Authenticate => {
            if commands.len() != 1 || commands[0].ins != INS_VERIFY_PIN {
                return Err(FOREIGN);
            }
        }
        SecureFunction::ChangeAuthenticator => {
            if commands.len() != 1 || !matches!(commands[0].ins, INS_CHANGE_PIN | INS_UNBLOCK_PIN) {
                return Err(FOREIGN);
            }
        }
        SecureFunction::ImportKeyPair => {
            let last = commands.len() - 1;
            for (index, command) in commands.iter().enumerate() {
                let expected_p2 = index as u8 | if index == last { LAST_BLOCK } else { 0 };
                if command.ins != INS_IMPORT_KEY_PAIR
                    || command.p1 != commands[0].p1
                    || index >= usize::from(LAST_BLOCK)
                    || command.p2 != expected_p2
                {
                    return Err(FOREIGN);
                }
            }
        }
    }
    Ok(())
}

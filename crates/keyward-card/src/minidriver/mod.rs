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
//! | `CardGetProperty` (`CP_KEY_IMPORT_SUPPORT`, `CP_ENUM_ALGORITHMS`, `CP_PADDING_SCHEMES`, `CP_CHAINING_MODES`) | [`CardContext::get_property`] |
//! | `CardGetAlgorithmProperty` | [`CardContext::get_algorithm_property`] |
//! | `CardGetKeyProperty` / `CardSetKeyProperty` | [`CardContext::get_key_property`] / [`CardContext::set_key_property`] |
//! | `CardGetContainerInfo` (the public key) | [`CardContext::get_container_info`] |
//! | `CardImportSessionKey` | [`CardContext::import_session_key`] |
//! | `MDImportSessionKey` | [`CardContext::md_import_session_key`] |
//!
//! The property values are bytes in cardmod's encodings (UTF-16 strings, `DWORD`s:
//! [`properties`]); [`properties::copy_out`] applies the `pbData` / `cbData` / `pdwDataLen`
//! rule for a C caller.
//!
//! How the pieces map onto SCP03: the server's key handle holds the host side of the secure
//! channel session; `MDEncryptData` turns a secure-function payload into complete wrapped
//! command APDUs (C-DECRYPTION + C-MAC), one `CARD_ENCRYPTED_DATA` blob each;
//! `CardProcessEncryptedData` on the client checks that the blobs are wrapped commands of the
//! named function and transmits them in order. The client never sees a key: its handle stands
//! for the session the card holds, and stops working when the card ends that session.
//!
//! The second establishment, an RSA-wrapped session key (`CardImportSessionKey` on the client,
//! `MDImportSessionKey` on the server), is described in [`session_key`]; after it the secure
//! functions travel exactly as with the shared key.
//!
//! When the two halves run in two processes, [`relay`] holds the messages they exchange and
//! their decoders.
//!
//! In no-card mode (`CARD_SECURE_KEY_INJECTION_NO_CARD_MODE`) only the eight calls the
//! secure-key-injection spec allows are accepted (`MDImportSessionKey`, `MDEncryptData`,
//! `CardGetSharedKeyHandle`, `CardGetAlgorithmProperty`, `CardDestroyKey`,
//! `CardGetKeyProperty`, `CardSetKeyProperty`, `CardProcessEncryptedData`); every other call
//! fails with `SCARD_E_NO_SMARTCARD` ([`Error::NoCard`]).

pub mod properties;
pub mod public_key_blob;
pub mod relay;
pub mod secure_function;
pub mod session_key;
pub mod shared_key;

use std::collections::HashMap;

use keyward_core::backend::{fill_random, Curve, PrivateKey};

use crate::apdu::{CommandApdu, StatusWord};
use crate::channel::SecureChannel;
use crate::instructions::{
    self, ContainerPublicKey, PinId, INS_CHANGE_PIN, INS_IMPORT_KEY_PAIR, INS_UNBLOCK_PIN,
    INS_VERIFY_PIN, LAST_BLOCK, SESSION_KEY_LEVEL, SESSION_NONCE_LEN,
};
use crate::scp03::{HostHandshake, HostSession, SecurityLevel, StaticKeys, INS_INITIALIZE_UPDATE};
use crate::transport::Transport;
use crate::{Error, Result};
use keyward_core::SecretVec;
use properties::{
    dword, wide_multi_string, wide_string, AES_BLOCK_LENGTH, BCRYPT_KEY_LENGTHS,
    BCRYPT_RSA_ALGORITHM, CARD_AES_ALGORITHM, CARD_ASYMMETRIC_OPERATION, CARD_BLOCK_PADDING,
    CARD_CHAIN_MODE_CBC, CARD_CIPHER_OPERATION, CARD_KEY_IMPORT_RSA_KEYEST,
    CARD_KEY_IMPORT_SHARED_SYMMETRIC, CARD_PADDING_NONE, CARD_PADDING_OAEP, CARD_PADDING_PKCS1,
    CARD_PADDING_PSS, CKP_BLOCK_LENGTH, CKP_CHAINING_MODE, CKP_INITIALIZATION_VECTOR,
    CP_CHAINING_MODES, CP_ENUM_ALGORITHMS, CP_KEY_IMPORT_SUPPORT, CP_PADDING_SCHEMES,
    OTHER_CARD_PROPERTIES,
};
use secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair, SecureFunction,
    SecureFunctionOutput, CARD_AUTHENTICATE_GENERATE_SESSION_PIN, CARD_AUTHENTICATE_SESSION_PIN,
    PIN_CHANGE_FLAG_CHANGEPIN, PIN_CHANGE_FLAG_UNBLOCK,
};
use session_key::{OaepPaddingInfo, BCRYPT_KEY_DATA_BLOB};
use shared_key::SharedKeyMessage;

/// What `CP_KEY_IMPORT_SUPPORT` reports: the SCP03 shared key and RSA-wrapped session keys.
const KEY_IMPORT_SUPPORT: u32 = CARD_KEY_IMPORT_SHARED_SYMMETRIC | CARD_KEY_IMPORT_RSA_KEYEST;
/// What `CP_ENUM_ALGORITHMS` lists for `CARD_CIPHER_OPERATION`: SCP03 is AES.
const CIPHER_ALGORITHMS: [&str; 1] = [CARD_AES_ALGORITHM];
/// What `CP_ENUM_ALGORITHMS` lists for `CARD_ASYMMETRIC_OPERATION`: RSA (2048-bit container
/// keys) wraps session keys.
const ASYMMETRIC_ALGORITHMS: [&str; 1] = [BCRYPT_RSA_ALGORITHM];
/// What `CP_PADDING_SCHEMES` reports for `CARD_ASYMMETRIC_OPERATION`: OAEP.
const ASYMMETRIC_PADDINGS: u32 = CARD_PADDING_OAEP;
/// The RSA modulus size of the card's containers, in bits.
const RSA_BITS: u32 = 2048;
/// The SCP03 ICV cannot be chosen by a caller.
const SCP03_IV: Error = Error::UnsupportedFeature(
    "an SCP03 shared key derives each command's ICV from its encryption counter (GP Amd D 6.2.6)",
);

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
    /// `CardGetContainerInfo`.
    CardGetContainerInfo,
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
    /// Server side: an AES session key from `MDImportSessionKey`. Its session starts at the
    /// first `MDEncryptData`, once the IV (the card's nonce) is set.
    SessionHost {
        key: SecretVec,
        nonce: Option<[u8; SESSION_NONCE_LEN]>,
        session: Option<Box<HostSession>>,
    },
    /// Client side: the card's session number `generation`, opened by IMPORT SESSION KEY with
    /// the card's `nonce`.
    SessionCard {
        generation: u64,
        nonce: [u8; SESSION_NONCE_LEN],
    },
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
    /// `min(data.version, 7)` (OpenSC's behaviour, docs/cryptosession-and-card.md, "CARD_DATA and
    /// context acquisition").
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

    /// Whether the `CardGetSharedKeyHandle` step for `input` answers with a message for the
    /// other side: every server step (no-card mode) does, and so does the client's first (on
    /// a HOST CHALLENGE); the client's last does not. A caller that must place the answer
    /// (cardmod's `ppbOutput`, `pcbOutput`) can refuse a missing place before the step runs.
    pub fn shared_key_step_has_output(&self, input: &[u8]) -> bool {
        self.is_no_card_mode()
            || matches!(
                SharedKeyMessage::parse(input),
                Ok(SharedKeyMessage::HostChallenge { .. })
            )
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
    /// shared key whose security level has no C-DECRYPTION → `UnsupportedFeature`; a session
    /// key (`MDImportSessionKey`) whose IV, the card's nonce, is not set yet → `OutOfOrder`.
    /// Nothing is wrapped (the session does not move) unless every check passes.
    pub fn md_encrypt_data(
        &mut self,
        key: CardKeyHandle,
        secure_function: &str,
        input: &[u8],
        flags: u32,
    ) -> Result<Vec<Vec<u8>>> {
        self.check_call(Call::MdEncryptData)?;
        let session = match self.keys.get_mut(&key.0) {
            Some(Key::Host(session)) => session,
            Some(Key::SessionHost {
                key,
                nonce,
                session,
            }) => {
                let nonce = nonce.as_ref().ok_or(Error::OutOfOrder(
                    "set the session key's CKP_INITIALIZATION_VECTOR (the card's nonce) first",
                ))?;
                if session.is_none() {
                    *session = Some(Box::new(HostSession::from_session_key(
                        key.expose(),
                        nonce,
                        SESSION_KEY_LEVEL,
                    )?));
                }
                session
                    .as_mut()
                    .ok_or(Error::Internal("session key without its session"))?
            }
            _ => return Err(Error::InvalidHandle),
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
    /// The blobs of `CSF_IMPORT_KEYPAIR` may begin with the `CSF_AUTHENTICATE` blob of the admin
    /// PIN (`MDEncryptData` of a `CARD_AUTHENTICATE` for `ROLE_ADMIN`, made before the import's
    /// blobs with the same key): a session opened by `CardImportSessionKey` takes a key pair
    /// only once the admin PIN was verified in it, and this lets one call carry both.
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
            Some(Key::Card { generation } | Key::SessionCard { generation, .. })
                if *generation == self.card_generation =>
            {
                *generation
            }
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

    /// `CardGetProperty` for the secure-key-injection properties (values in [`properties`]):
    ///
    /// - `CP_KEY_IMPORT_SUPPORT` (`flags` 0): `DWORD` `CARD_KEY_IMPORT_SHARED_SYMMETRIC |
    ///   CARD_KEY_IMPORT_RSA_KEYEST`;
    /// - `CP_ENUM_ALGORITHMS`: with `CARD_CIPHER_OPERATION` the multi-string `AES`; with
    ///   `CARD_ASYMMETRIC_OPERATION` the multi-string `RSA`;
    /// - `CP_PADDING_SCHEMES`: with `CARD_CIPHER_OPERATION` `DWORD` `CARD_BLOCK_PADDING` (the
    ///   minidriver pads, ISO/IEC 9797-1 method 2 as SCP03 does); with
    ///   `CARD_ASYMMETRIC_OPERATION` `DWORD` `CARD_PADDING_OAEP`;
    /// - `CP_CHAINING_MODES` (`flags` 0 or `CARD_CIPHER_OPERATION`): the multi-string
    ///   `ChainingModeCBC`.
    ///
    /// Errors, in this order: no-card mode → `NoCard`; other flags → `InvalidParameter`; a
    /// cardmod property keyward does not implement ([`OTHER_CARD_PROPERTIES`]) →
    /// `UnsupportedFeature`; any other name → `InvalidParameter`.
    pub fn get_property(&self, property: &str, flags: u32) -> Result<Vec<u8>> {
        self.check_call(Call::CardGetProperty)?;
        const FLAGS: Error = Error::InvalidParameter("CardGetProperty flags");
        match property {
            CP_KEY_IMPORT_SUPPORT if flags == 0 => Ok(dword(KEY_IMPORT_SUPPORT)),
            CP_ENUM_ALGORITHMS if flags == CARD_CIPHER_OPERATION => {
                Ok(wide_multi_string(&CIPHER_ALGORITHMS))
            }
            CP_ENUM_ALGORITHMS if flags == CARD_ASYMMETRIC_OPERATION => {
                Ok(wide_multi_string(&ASYMMETRIC_ALGORITHMS))
            }
            CP_PADDING_SCHEMES if flags == CARD_CIPHER_OPERATION => Ok(dword(CARD_BLOCK_PADDING)),
            CP_PADDING_SCHEMES if flags == CARD_ASYMMETRIC_OPERATION => {
                Ok(dword(ASYMMETRIC_PADDINGS))
            }
            CP_CHAINING_MODES if flags == 0 || flags == CARD_CIPHER_OPERATION => {
                Ok(wide_multi_string(&[CARD_CHAIN_MODE_CBC]))
            }
            CP_KEY_IMPORT_SUPPORT | CP_ENUM_ALGORITHMS | CP_PADDING_SCHEMES | CP_CHAINING_MODES => {
                Err(FLAGS)
            }
            other if OTHER_CARD_PROPERTIES.contains(&other) => {
                if flags != 0 {
                    return Err(FLAGS);
                }
                Err(Error::UnsupportedFeature(
                    "card property outside secure key injection",
                ))
            }
            _ => Err(Error::InvalidParameter("unknown card property")),
        }
    }

    /// `CardGetAlgorithmProperty` for an algorithm of `CP_ENUM_ALGORITHMS` (allowed in
    /// no-card mode): for `AES`, `CKP_CHAINING_MODE` (the string `ChainingModeCBC`),
    /// `CKP_BLOCK_LENGTH` (`DWORD` 16) and `BCRYPT_KEY_LENGTHS` (`BCRYPT_KEY_LENGTHS_STRUCT`
    /// 128..=256 step 64 bits: SCP03 keysets and session keys); for `RSA`,
    /// `BCRYPT_KEY_LENGTHS` (2048 bits, the containers' keys).
    ///
    /// Errors, in this order: `flags` not 0 → `InvalidParameter`; an algorithm the card does
    /// not list → `InvalidParameter`; an unknown property → `InvalidParameter`.
    pub fn get_algorithm_property(
        &self,
        algorithm: &str,
        property: &str,
        flags: u32,
    ) -> Result<Vec<u8>> {
        self.check_call(Call::CardGetAlgorithmProperty)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("CardGetAlgorithmProperty flags"));
        }
        let lengths = |min: u32, max: u32, increment: u32| -> Vec<u8> {
            [min, max, increment]
                .into_iter()
                .flat_map(u32::to_le_bytes)
                .collect()
        };
        match (algorithm, property) {
            (CARD_AES_ALGORITHM, CKP_CHAINING_MODE) => Ok(wide_string(CARD_CHAIN_MODE_CBC)),
            (CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH) => Ok(dword(AES_BLOCK_LENGTH)),
            (CARD_AES_ALGORITHM, BCRYPT_KEY_LENGTHS) => Ok(lengths(128, 256, 64)),
            (BCRYPT_RSA_ALGORITHM, BCRYPT_KEY_LENGTHS) => Ok(lengths(RSA_BITS, RSA_BITS, 0)),
            (CARD_AES_ALGORITHM | BCRYPT_RSA_ALGORITHM, _) => {
                Err(Error::InvalidParameter("unknown algorithm property"))
            }
            _ => Err(Error::InvalidParameter(
                "algorithm not in CP_ENUM_ALGORITHMS",
            )),
        }
    }

    /// `CardGetKeyProperty` (allowed in no-card mode): `CKP_CHAINING_MODE` (the string
    /// `ChainingModeCBC`), `CKP_BLOCK_LENGTH` (`DWORD` 16) and, for a session key,
    /// `CKP_INITIALIZATION_VECTOR`: the card's 16-byte nonce ([`session_key`]; on the server,
    /// once set).
    ///
    /// Errors, in this order: an unknown handle → `InvalidHandle`; `flags` not 0 →
    /// `InvalidParameter`; `CKP_INITIALIZATION_VECTOR` of a shared key → `UnsupportedFeature`
    /// (SCP03 derives each command's ICV from the encryption counter, GP Amd D §6.2.6, so there
    /// is no IV to read or set), of a server session key whose IV is not set →
    /// `InvalidParameter`; an unknown property → `InvalidParameter`.
    pub fn get_key_property(
        &self,
        key: CardKeyHandle,
        property: &str,
        flags: u32,
    ) -> Result<Vec<u8>> {
        self.check_call(Call::CardGetKeyProperty)?;
        let entry = self.keys.get(&key.0).ok_or(Error::InvalidHandle)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("CardGetKeyProperty flags"));
        }
        match (property, entry) {
            (CKP_CHAINING_MODE, _) => Ok(wide_string(CARD_CHAIN_MODE_CBC)),
            (CKP_BLOCK_LENGTH, _) => Ok(dword(AES_BLOCK_LENGTH)),
            (CKP_INITIALIZATION_VECTOR, Key::Host(_) | Key::Card { .. }) => Err(SCP03_IV),
            (CKP_INITIALIZATION_VECTOR, Key::SessionHost { nonce, .. }) => nonce
                .map(|nonce| nonce.to_vec())
                .ok_or(Error::InvalidParameter("the session key's IV is not set")),
            (CKP_INITIALIZATION_VECTOR, Key::SessionCard { nonce, .. }) => Ok(nonce.to_vec()),
            _ => Err(Error::InvalidParameter("unknown key property")),
        }
    }

    /// `CardSetKeyProperty` (allowed in no-card mode). `CKP_CHAINING_MODE` takes a
    /// NUL-terminated UTF-16 string (`cbInput` counts the terminator); `ChainingModeCBC` is
    /// accepted (it is the mode SCP03 uses), another mode is `UnsupportedFeature`, a malformed
    /// string `InvalidParameter`. `CKP_INITIALIZATION_VECTOR` of a session key takes the
    /// card's 16-byte nonce: on the server it sets it (it may not change once `MDEncryptData`
    /// used the key: `OutOfOrder`), on the client it must equal the nonce the card chose
    /// (`InvalidParameter` otherwise).
    ///
    /// Errors, in this order: an unknown handle → `InvalidHandle`; `flags` not 0 →
    /// `InvalidParameter`; `CKP_INITIALIZATION_VECTOR` of a shared key → `UnsupportedFeature`
    /// (see [`CardContext::get_key_property`]), of a session key and not 16 bytes →
    /// `InvalidParameter`; `CKP_BLOCK_LENGTH` (read-only) → `UnsupportedFeature`; an unknown
    /// property → `InvalidParameter`. A failed call changes nothing.
    pub fn set_key_property(
        &mut self,
        key: CardKeyHandle,
        property: &str,
        input: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.check_call(Call::CardSetKeyProperty)?;
        let entry = self.keys.get_mut(&key.0).ok_or(Error::InvalidHandle)?;
        if flags != 0 {
            return Err(Error::InvalidParameter("CardSetKeyProperty flags"));
        }
        match (property, entry) {
            (CKP_CHAINING_MODE, _) => {
                if properties::parse_wide_string(input)? == CARD_CHAIN_MODE_CBC {
                    Ok(())
                } else {
                    Err(Error::UnsupportedFeature("chaining mode other than CBC"))
                }
            }
            (CKP_INITIALIZATION_VECTOR, Key::Host(_) | Key::Card { .. }) => Err(SCP03_IV),
            (CKP_INITIALIZATION_VECTOR, Key::SessionHost { nonce, session, .. }) => {
                let value: [u8; SESSION_NONCE_LEN] = input
                    .try_into()
                    .map_err(|_| Error::InvalidParameter("the IV is 16 bytes"))?;
                if session.is_some() && *nonce != Some(value) {
                    return Err(Error::OutOfOrder(
                        "the IV cannot change once MDEncryptData used the key",
                    ));
                }
                *nonce = Some(value);
                Ok(())
            }
            (CKP_INITIALIZATION_VECTOR, Key::SessionCard { nonce, .. }) => {
                if input.len() != SESSION_NONCE_LEN {
                    return Err(Error::InvalidParameter("the IV is 16 bytes"));
                }
                if input != nonce.as_slice() {
                    return Err(Error::InvalidParameter(
                        "the IV of a card session key is the nonce the card chose",
                    ));
                }
                Ok(())
            }
            (CKP_BLOCK_LENGTH, _) => {
                Err(Error::UnsupportedFeature("CKP_BLOCK_LENGTH is read-only"))
            }
            _ => Err(Error::InvalidParameter("unknown key property")),
        }
    }

    /// `CardGetContainerInfo`, the public key part: the key of `container` as the card reports
    /// it (READ PUBLIC KEY, then READ OUTPUT, without secure messaging: public keys are
    /// public). The Rust API returns the typed key; the `CONTAINER_INFO` blob layout is the C
    /// layer's business. It ends the card's current secure channel session (the card refuses a
    /// plain command inside a session and aborts it), so this context's key handles stop
    /// working.
    ///
    /// Errors: no-card mode → `NoCard`; a container index above 7 or an empty container →
    /// `NoKeyContainer`; the card's other refusals through [`instructions::check`].
    pub fn get_container_info(&mut self, container: u8) -> Result<ContainerPublicKey> {
        self.check_call(Call::CardGetContainerInfo)?;
        let command = instructions::read_public_key(container)?;
        let Mode::Card { transport } = &mut self.mode else {
            return Err(Error::NoCard);
        };
        self.card_generation += 1;
        self.pending = Pending::None;
        let mut response = transport.transmit(&command)?;
        if response.sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED {
            // A session was open; the card has aborted it, so the plain command goes through.
            response = transport.transmit(&command)?;
        }
        let length = instructions::output_length(instructions::check(&response)?)?;
        let mut record = Vec::with_capacity(length);
        while record.len() < length {
            let offset = u16::try_from(record.len())
                .map_err(|_| Error::MalformedMessage("public key above 65535 bytes"))?;
            let chunk = transport.transmit(&instructions::read_output(offset)?)?;
            let chunk = instructions::check(&chunk)?;
            if chunk.is_empty() {
                return Err(Error::MalformedMessage("public key shorter than announced"));
            }
            record.extend_from_slice(chunk);
        }
        if record.len() != length {
            return Err(Error::MalformedMessage("public key longer than announced"));
        }
        ContainerPublicKey::parse(&record)
    }

    /// `CardImportSessionKey` (client; not in no-card mode): hands `input`, a session key
    /// wrapped with the RSA key of `container` (see [`session_key`]), to the card, which opens
    /// a session keyed from it and returns its nonce (the key's `CKP_INITIALIZATION_VECTOR`).
    /// `flags` is the padding of `padding` (`dwFlags` = `CARD_PADDING_OAEP`: our reading, cardmod.h is silent);
    /// `blob_type` is `BCRYPT_KEY_DATA_BLOB`, `algorithm` `AES`. Importing ends the card's
    /// previous session, so this context's other key handles stop working.
    ///
    /// Errors, in this order: no-card mode → `NoCard`; `CARD_PADDING_NONE`, `_PKCS1` or `_PSS`
    /// → `UnsupportedFeature` (only OAEP wraps keys), other flags → `InvalidParameter`; another
    /// blob type → `UnsupportedFeature`; another algorithm → `InvalidParameter`; a non-empty
    /// OAEP label → `UnsupportedFeature`; a container index above 7 → `NoKeyContainer`; an
    /// empty container → `NoKeyContainer`; a container without an RSA key-exchange key →
    /// `UnsupportedFeature`; a ciphertext the card cannot unwrap → `InvalidParameter`.
    pub fn import_session_key(
        &mut self,
        container: u8,
        padding: &OaepPaddingInfo,
        blob_type: &str,
        algorithm: &str,
        input: &[u8],
        flags: u32,
    ) -> Result<CardKeyHandle> {
        self.check_call(Call::CardImportSessionKey)?;
        match flags {
            CARD_PADDING_OAEP => {}
            CARD_PADDING_NONE | CARD_PADDING_PKCS1 | CARD_PADDING_PSS => {
                return Err(Error::UnsupportedFeature(
                    "session keys are wrapped with OAEP only",
                ))
            }
            _ => return Err(Error::InvalidParameter("CardImportSessionKey flags")),
        }
        check_session_key_type(blob_type, algorithm)?;
        if !padding.label.is_empty() {
            return Err(Error::UnsupportedFeature("an OAEP label"));
        }
        let commands = instructions::import_session_key(container, padding.hash, input)?;
        let Mode::Card { transport } = &mut self.mode else {
            return Err(Error::NoCard);
        };
        // IMPORT SESSION KEY ends the card's current session, whatever its outcome.
        self.card_generation += 1;
        self.pending = Pending::None;
        let mut answer = Vec::new();
        for command in &commands {
            let response = transport.transmit(command)?;
            if response.sw == StatusWord::CONDITIONS_NOT_SATISFIED {
                return Err(Error::UnsupportedFeature(
                    "the container holds no RSA key-exchange key",
                ));
            }
            answer = instructions::check(&response)?.to_vec();
        }
        let nonce: [u8; SESSION_NONCE_LEN] = answer
            .as_slice()
            .try_into()
            .map_err(|_| Error::MalformedMessage("IMPORT SESSION KEY answer is not 16 bytes"))?;
        self.new_handle(Key::SessionCard {
            generation: self.card_generation,
            nonce,
        })
    }

    /// `MDImportSessionKey` (server, allowed in no-card mode): loads a plaintext AES session
    /// key, a `BCRYPT_KEY_DATA_BLOB` of 16, 24 or 32 bytes, for `MDEncryptData` once its
    /// `CKP_INITIALIZATION_VECTOR` is set to the card's nonce.
    ///
    /// Errors: another blob type → `UnsupportedFeature`; another algorithm than `AES` →
    /// `InvalidParameter`; a malformed blob → `InvalidParameter`.
    pub fn md_import_session_key(
        &mut self,
        blob_type: &str,
        algorithm: &str,
        input: &[u8],
    ) -> Result<CardKeyHandle> {
        self.check_call(Call::MdImportSessionKey)?;
        check_session_key_type(blob_type, algorithm)?;
        let key = SecretVec::from_slice(instructions::parse_key_data_blob(input)?);
        self.new_handle(Key::SessionHost {
            key,
            nonce: None,
            session: None,
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

/// The blob type and algorithm of a session key: `BCRYPT_KEY_DATA_BLOB` and `AES`.
fn check_session_key_type(blob_type: &str, algorithm: &str) -> Result<()> {
    if blob_type != BCRYPT_KEY_DATA_BLOB {
        return Err(Error::UnsupportedFeature(
            "session key blob type other than BCRYPT_KEY_DATA_BLOB",
        ));
    }
    if algorithm != CARD_AES_ALGORITHM {
        return Err(Error::InvalidParameter(
            "session key algorithm other than AES",
        ));
    }
    Ok(())
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
            // A session opened by CardImportSessionKey takes a key pair only after the admin
            // PIN inside it: the import blocks may follow the CSF_AUTHENTICATE blob of the
            // admin PIN, so that one call carries both.
            let commands = match commands {
                [first, rest @ ..]
                    if first.ins == INS_VERIFY_PIN && first.p2 == PinId::Admin.role() =>
                {
                    rest
                }
                _ => commands,
            };
            let Some(last) = commands.len().checked_sub(1) else {
                return Err(FOREIGN);
            };
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

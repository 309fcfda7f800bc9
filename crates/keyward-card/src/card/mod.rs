//! A virtual GlobalPlatform card: one application that is its own SCP03 security domain
//! (static keyset, key version, sequence counter, security levels), with user and admin PINs
//! and eight key containers, executing the [keyward card instruction set](crate::instructions)
//! under secure messaging (only reading a public key works without it). Its state lives in a
//! file (or in memory for tests) and survives a restart.
//!
//! A session opens either with SCP03's INITIALIZE UPDATE / EXTERNAL AUTHENTICATE or with
//! IMPORT SESSION KEY (a session key wrapped with a container's RSA key-exchange key, keyed
//! with a nonce the card draws); both give the same secure messaging, but not the same
//! privileges ([`SessionOrigin`]). An SCP03 session authenticates the host that holds the
//! static keys, the issuer. A session-key session authenticates nobody — anyone can read the
//! public key and wrap a key of their own to it — so it carries only the secure functions of
//! `CardImportSessionKey`, each proving knowledge of the PIN it uses or changes: VERIFY PIN,
//! CHANGE PIN (with the current PIN), UNBLOCK PIN (with the admin PIN), DEAUTHENTICATE, and
//! IMPORT KEY PAIR once the admin PIN was verified in that same session. Everything else in
//! such a session is `6982`. A PIN's verified state belongs to the session it was verified
//! in: it is cleared whenever a session opens or ends, and on reset.
//!
//! Rules it follows (GP Amd D §5.6): INITIALIZE UPDATE or IMPORT SESSION KEY terminates any open
//! session; EXTERNAL
//! AUTHENTICATE must directly follow it; a command that fails its C-MAC (or arrives without one
//! while a session is open) is rejected with `6982` and aborts the session; SELECT and a card
//! reset end the session and clear the PINs' verified state. Every state change is written to
//! the file before the card answers; if the write fails the card answers `6581` and keeps its
//! previous state. A PIN try is charged (the retry counter decremented and written) before the
//! PIN is compared, and refunded after a match, so a card whose state cannot be written
//! answers `6581` to every PIN, right or wrong.
//!
//! [`vpcd`] puts the card behind vsmartcard's vpcd reader driver, so pcscd serves it to every
//! PC/SC application.

mod container;
pub(crate) mod state;
pub mod vpcd;

use std::path::{Path, PathBuf};

use keyward_core::backend::fill_random;
use keyward_core::SecretVec;
use zeroize::{Zeroize, Zeroizing};

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::instructions::{
    self, OaepHash, PinId, SignatureHash, IMPORT_CHUNK_LEN, KEY_TYPE_AES, LAST_BLOCK,
    MAX_CONTAINERS, MAX_IMPORT_LEN, MAX_PIN_LEN, MAX_RETRY_LIMIT, MIN_PIN_LEN, OUTPUT_CHUNK_LEN,
    PUT_KEY_P2, SESSION_KEY_LEVEL, SESSION_NONCE_LEN,
};
use crate::scp03::keys::{key_check_value, KCV_LEN};
use crate::scp03::{
    pseudo_random_card_challenge, CardHandshake, CardSession, ScpOptions, SecurityLevel,
    StaticKeys, CHALLENGE_LEN, INS_EXTERNAL_AUTHENTICATE, INS_INITIALIZE_UPDATE,
    KEY_DIVERSIFICATION_LEN,
};
use crate::{Error, Result};
use state::{CardState, Container, PinRecord, MAX_SEQUENCE_COUNTER};

/// The default application AID: the GlobalPlatform Issuer Security Domain, `A000000151000000`.
pub const DEFAULT_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00];

/// The ATR the virtual card presents (ISO 7816-3 §8.2): direct convention, T=0 then T=1
/// offered, 8 historical bytes "keyward\0", and the check byte TCK (XOR of T0..the last
/// historical byte).
pub const ATR: [u8; 13] = [
    0x3B, 0x88, 0x80, 0x01, b'k', b'e', b'y', b'w', b'a', b'r', b'd', 0x00, 0x7E,
];

/// The initial contents of a new virtual card.
pub struct Personalization {
    aid: Vec<u8>,
    keys: StaticKeys,
    options: ScpOptions,
    key_diversification: [u8; KEY_DIVERSIFICATION_LEN],
    sequence_counter: u32,
    user_pin: SecretVec,
    admin_pin: SecretVec,
    retry_limit: u8,
}

impl Personalization {
    /// A card with keyset `keys`, a user PIN and an admin PIN (4 to 16 bytes each; otherwise
    /// `InvalidPin`). Defaults: AID [`DEFAULT_AID`], "i" = `60` (random challenge, R-MAC and
    /// R-ENCRYPTION), key diversification data all zero, 3 tries per PIN.
    pub fn new(keys: StaticKeys, user_pin: &[u8], admin_pin: &[u8]) -> Result<Self> {
        for pin in [user_pin, admin_pin] {
            if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
                return Err(Error::InvalidPin);
            }
        }
        Ok(Personalization {
            aid: DEFAULT_AID.to_vec(),
            keys,
            options: ScpOptions::RANDOM_FULL,
            key_diversification: [0; KEY_DIVERSIFICATION_LEN],
            sequence_counter: 0,
            user_pin: SecretVec::from_slice(user_pin),
            admin_pin: SecretVec::from_slice(admin_pin),
            retry_limit: 3,
        })
    }

    /// Sets the application AID (5 to 16 bytes).
    pub fn with_aid(mut self, aid: &[u8]) -> Result<Self> {
        if !(5..=16).contains(&aid.len()) {
            return Err(Error::InvalidParameter("AID is not 5 to 16 bytes"));
        }
        self.aid = aid.to_vec();
        Ok(self)
    }

    /// Sets the SCP03 options ("i").
    pub fn with_options(mut self, options: ScpOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the key diversification data returned by INITIALIZE UPDATE.
    pub fn with_key_diversification(mut self, data: [u8; KEY_DIVERSIFICATION_LEN]) -> Self {
        self.key_diversification = data;
        self
    }

    /// Sets the pseudo-random challenge's sequence counter (the value of the last INITIALIZE
    /// UPDATE; the next one uses this plus one). Above `FFFFFF` is `InvalidParameter`.
    pub fn with_sequence_counter(mut self, counter: u32) -> Result<Self> {
        if counter > MAX_SEQUENCE_COUNTER {
            return Err(Error::InvalidParameter("sequence counter above FFFFFF"));
        }
        self.sequence_counter = counter;
        Ok(self)
    }

    /// Sets the retry limit of both PINs (1 to 15).
    pub fn with_retry_limit(mut self, limit: u8) -> Result<Self> {
        if !(1..=MAX_RETRY_LIMIT).contains(&limit) {
            return Err(Error::InvalidParameter("PIN retry limit is not 1..=15"));
        }
        self.retry_limit = limit;
        Ok(self)
    }

    fn into_state(self) -> Result<CardState> {
        Ok(CardState {
            aid: self.aid,
            key_diversification: self.key_diversification,
            options: self.options,
            keys: self.keys,
            sequence_counter: self.sequence_counter,
            user_pin: PinRecord::new(self.user_pin.expose(), self.retry_limit)?,
            admin_pin: PinRecord::new(self.admin_pin.expose(), self.retry_limit)?,
            containers: Default::default(),
        })
    }
}

/// Where a card keeps its state.
enum Storage {
    Memory,
    File(PathBuf),
}

/// How the open session was established, which decides what it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionOrigin {
    /// SCP03 INITIALIZE UPDATE / EXTERNAL AUTHENTICATE: the host proved it holds the card's
    /// static keys, so it is the issuer.
    Issuer,
    /// IMPORT SESSION KEY: the host wrapped a key to a public key anyone can read, so it
    /// proved nothing; only the secure functions that carry their own proof are allowed.
    SessionKey,
}

/// An open session and what has been proven inside it.
struct OpenSession {
    session: CardSession,
    rights: Rights,
}

/// What a session has proven: how it was opened, its security level, and the PINs verified
/// in it (user, admin). Dropped with the session.
struct Rights {
    origin: SessionOrigin,
    level: SecurityLevel,
    verified: [bool; 2],
}

impl Rights {
    fn is_verified(&self, pin: PinId) -> bool {
        self.verified[pin_index(pin)]
    }

    fn set_verified(&mut self, pin: PinId, verified: bool) {
        self.verified[pin_index(pin)] = verified;
    }

    /// Commands only the issuer may send (`6982` in a session-key session).
    fn require_issuer(&self) -> core::result::Result<(), StatusWord> {
        match self.origin {
            SessionOrigin::Issuer => Ok(()),
            SessionOrigin::SessionKey => Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
        }
    }
}

/// The secure channel state of the card.
enum Channel {
    None,
    Handshake(CardHandshake),
    Open(OpenSession),
}

impl Channel {
    fn open(session: CardSession, origin: SessionOrigin) -> Self {
        let level = session.security_level();
        Channel::Open(OpenSession {
            session,
            rights: Rights {
                origin,
                level,
                verified: [false; 2],
            },
        })
    }
}

/// What an import in progress carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ImportKind {
    KeyPair,
    SessionKey,
}

/// An IMPORT KEY PAIR or IMPORT SESSION KEY in progress.
struct Import {
    kind: ImportKind,
    container: u8,
    next_block: u8,
    /// Allocated at [`MAX_IMPORT_LEN`] up front: it never reallocates, so no copy of a key is
    /// left in freed memory.
    payload: Zeroizing<Vec<u8>>,
}

/// The virtual card: persistent state plus the volatile state of one card session.
pub struct VirtualCard {
    state: CardState,
    storage: Storage,
    channel: Channel,
    import: Option<Import>,
    output: Option<SecretVec>,
    /// The output came from a plain (unwrapped) READ PUBLIC KEY.
    output_plain: bool,
}

type Outcome = core::result::Result<ResponseApdu, StatusWord>;

impl VirtualCard {
    /// A new card whose state lives only in memory (lost when dropped).
    pub fn in_memory(personalization: Personalization) -> Result<Self> {
        Ok(VirtualCard::with_state(
            personalization.into_state()?,
            Storage::Memory,
        ))
    }

    /// A new card whose state is written to `path` (mode 0600); fails if `path` exists.
    pub fn create(path: impl AsRef<Path>, personalization: Personalization) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let state = personalization.into_state()?;
        state::store(&path, &state, true)?;
        Ok(VirtualCard::with_state(state, Storage::File(path)))
    }

    /// The card stored at `path`, as it was when last written (keys, PIN counters,
    /// containers, sequence counter); a missing or corrupt file is `Storage`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let state = state::load(&path)?;
        Ok(VirtualCard::with_state(state, Storage::File(path)))
    }

    fn with_state(state: CardState, storage: Storage) -> Self {
        VirtualCard {
            state,
            storage,
            channel: Channel::None,
            import: None,
            output: None,
            output_plain: false,
        }
    }

    /// The application AID.
    pub fn aid(&self) -> &[u8] {
        &self.state.aid
    }

    /// The answer-to-reset.
    pub fn atr(&self) -> &'static [u8] {
        &ATR
    }

    /// The remaining tries of a PIN.
    pub fn pin_attempts_remaining(&self, pin: PinId) -> u8 {
        self.state.pin(pin).remaining
    }

    /// The current SCP03 key version number.
    pub fn key_version(&self) -> u8 {
        self.state.keys.version()
    }

    /// The sequence counter of the last pseudo-random challenge.
    pub fn sequence_counter(&self) -> u32 {
        self.state.sequence_counter
    }

    /// True when container `index` holds a key.
    pub fn container_in_use(&self, index: u8) -> bool {
        self.state
            .containers
            .get(usize::from(index))
            .is_some_and(Option::is_some)
    }

    /// The security level of the open secure channel session, if any.
    pub fn security_level(&self) -> Option<SecurityLevel> {
        match &self.channel {
            Channel::Open(open) => Some(open.rights.level),
            _ => None,
        }
    }

    /// How the open session was established, if one is open.
    pub fn session_origin(&self) -> Option<SessionOrigin> {
        match &self.channel {
            Channel::Open(open) => Some(open.rights.origin),
            _ => None,
        }
    }

    /// A card reset (or power cycle): ends the session, clears the PINs' verified state and
    /// every buffer; the persistent state stays.
    pub fn reset(&mut self) {
        self.channel = Channel::None;
        self.import = None;
        self.output = None;
        self.output_plain = false;
    }

    /// Processes one encoded command APDU and returns the encoded response. Never fails: a
    /// command that does not parse gets `6700`.
    pub fn process(&mut self, command: &[u8]) -> Vec<u8> {
        match CommandApdu::parse(command) {
            Ok(command) => self.process_apdu(&command).to_bytes(),
            Err(_) => ResponseApdu::status(StatusWord::WRONG_LENGTH).to_bytes(),
        }
    }

    /// Processes one command APDU.
    pub fn process_apdu(&mut self, command: &CommandApdu) -> ResponseApdu {
        // A handshake is only good for the command right after it; output and import buffers
        // only for the commands that continue them.
        let handshake = match core::mem::replace(&mut self.channel, Channel::None) {
            Channel::Handshake(handshake) => Some(handshake),
            other => {
                self.channel = other;
                None
            }
        };
        let import = self.import.take();
        let output = self.output.take();
        let output_plain = core::mem::take(&mut self.output_plain);
        let plain_class = command.cla == instructions::CLA_PROPRIETARY;
        let outcome = if command.cla & 0x80 == 0 {
            self.interindustry(command)
        } else if command.cla & 0x40 != 0 {
            Err(StatusWord::CLA_NOT_SUPPORTED)
        } else if command.ins == INS_INITIALIZE_UPDATE {
            self.initialize_update(command)
        } else if command.ins == INS_EXTERNAL_AUTHENTICATE {
            self.external_authenticate(command, handshake)
        } else if plain_class && command.ins == instructions::INS_IMPORT_SESSION_KEY {
            self.import_session_key(command, import)
        } else if plain_class
            && !matches!(self.channel, Channel::Open(_))
            && matches!(
                command.ins,
                instructions::INS_READ_PUBLIC_KEY | instructions::INS_READ_OUTPUT
            )
        {
            self.public_read(command, output.filter(|_| output_plain))
        } else {
            return self.secure_command(command, import, output.filter(|_| !output_plain));
        };
        outcome.unwrap_or_else(ResponseApdu::status)
    }

    fn interindustry(&mut self, command: &CommandApdu) -> Outcome {
        if command.ins != instructions::INS_SELECT {
            return Err(StatusWord::INS_NOT_SUPPORTED);
        }
        if command.p1 != 0x04 || !matches!(command.p2, 0x00 | 0x0C) {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        if command.data() != self.state.aid.as_slice() {
            return Err(StatusWord::FILE_NOT_FOUND);
        }
        self.reset();
        if command.p2 == 0x0C {
            return Ok(ResponseApdu::status(StatusWord::SUCCESS));
        }
        // FCI template: 6F { 84 <AID> }.
        let aid = &self.state.aid;
        let mut fci = vec![0x6F, (aid.len() + 2) as u8, 0x84, aid.len() as u8];
        fci.extend_from_slice(aid);
        Ok(ResponseApdu::new(fci, StatusWord::SUCCESS))
    }

    /// INITIALIZE UPDATE (GP Amd D §7.1.1).
    fn initialize_update(&mut self, command: &CommandApdu) -> Outcome {
        // A new INITIALIZE UPDATE terminates the current session (§5.6).
        self.channel = Channel::None;
        if command.cla & 0xFC != 0x80 {
            return Err(StatusWord::CLA_NOT_SUPPORTED);
        }
        if command.p2 != 0 {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        if command.p1 != 0 && command.p1 != self.state.keys.version() {
            return Err(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        if command.data().len() != CHALLENGE_LEN {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let (card_challenge, sequence_counter) = if self.state.options.pseudo_random_challenge {
            if self.state.sequence_counter >= MAX_SEQUENCE_COUNTER {
                return Err(StatusWord::CONDITIONS_NOT_SATISFIED);
            }
            let mut next = self.state.clone();
            next.sequence_counter += 1;
            let [_, high, middle, low] = next.sequence_counter.to_be_bytes();
            let counter = [high, middle, low];
            let challenge = pseudo_random_card_challenge(&next.keys, counter, &next.aid)
                .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
            self.commit(next)?;
            (challenge, Some(counter))
        } else {
            let mut challenge = [0u8; CHALLENGE_LEN];
            fill_random(&mut challenge).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
            (challenge, None)
        };
        let (response, handshake) = CardHandshake::initialize_update(
            &self.state.keys,
            self.state.options,
            self.state.key_diversification,
            command.data(),
            card_challenge,
            sequence_counter,
        )
        .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        self.channel = Channel::Handshake(handshake);
        Ok(ResponseApdu::new(response.to_bytes(), StatusWord::SUCCESS))
    }

    /// EXTERNAL AUTHENTICATE (GP Amd D §7.1.2).
    fn external_authenticate(
        &mut self,
        command: &CommandApdu,
        handshake: Option<CardHandshake>,
    ) -> Outcome {
        // Whatever happens, the previous session is over.
        self.channel = Channel::None;
        let handshake = handshake.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        if command.cla & 0xFC != 0x84 {
            return Err(StatusWord::CLA_NOT_SUPPORTED);
        }
        match handshake.external_authenticate(command) {
            Ok(session) => {
                self.channel = Channel::open(session, SessionOrigin::Issuer);
                Ok(ResponseApdu::status(StatusWord::SUCCESS))
            }
            Err(Error::HostAuthenticationFailed) => Err(StatusWord::AUTHENTICATION_FAILED),
            Err(Error::MalformedMessage(_)) => Err(StatusWord::WRONG_LENGTH),
            Err(_) => Err(StatusWord::INCORRECT_P1_P2),
        }
    }

    /// Every other command: unwrap under the open session, execute, wrap the response.
    fn secure_command(
        &mut self,
        command: &CommandApdu,
        import: Option<Import>,
        output: Option<SecretVec>,
    ) -> ResponseApdu {
        let mut open = match core::mem::replace(&mut self.channel, Channel::None) {
            Channel::Open(open) => open,
            _ => {
                return ResponseApdu::status(if is_known_instruction(command.ins) {
                    StatusWord::SECURITY_STATUS_NOT_SATISFIED
                } else {
                    StatusWord::INS_NOT_SUPPORTED
                })
            }
        };
        let plain = match open.session.unwrap_command(command) {
            Ok(plain) => plain,
            // A security error aborts the session (§5.6): the session stays dropped.
            Err(_) => return ResponseApdu::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED),
        };
        let response = self
            .execute(&plain, &mut open.rights, import, output)
            .unwrap_or_else(ResponseApdu::status);
        let wrapped = open
            .session
            .wrap_response(&response)
            .unwrap_or_else(|_| ResponseApdu::status(StatusWord::NO_PRECISE_DIAGNOSIS));
        self.channel = Channel::Open(open);
        wrapped
    }

    /// Runs a command of an open session whose `rights` say what it has proven. The PIN
    /// commands carry their own proof and run in any session; IMPORT KEY PAIR needs the admin
    /// PIN in a session-key session; the rest only the issuer may send.
    fn execute(
        &mut self,
        command: &CommandApdu,
        rights: &mut Rights,
        import: Option<Import>,
        output: Option<SecretVec>,
    ) -> Outcome {
        if command.cla & 0xFC != 0x80 {
            return Err(StatusWord::CLA_NOT_SUPPORTED);
        }
        match command.ins {
            instructions::INS_VERIFY_PIN => self.verify_pin(command, rights),
            instructions::INS_CHANGE_PIN => self.change_pin(command, rights),
            instructions::INS_UNBLOCK_PIN => self.unblock_pin(command, rights),
            instructions::INS_DEAUTHENTICATE => self.deauthenticate(command, rights),
            instructions::INS_IMPORT_KEY_PAIR => self.import_key_pair(command, rights, import),
            instructions::INS_READ_PUBLIC_KEY => {
                rights.require_issuer()?;
                self.read_public_key(command)
            }
            instructions::INS_SIGN => {
                rights.require_issuer()?;
                self.sign(command, rights)
            }
            instructions::INS_READ_OUTPUT => {
                rights.require_issuer()?;
                self.read_output(command, output)
            }
            instructions::INS_PUT_KEY => {
                rights.require_issuer()?;
                self.put_key(command)
            }
            _ => Err(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    /// Writes `next` (to the file, if any) and makes it the card's state; on a write failure
    /// the state stays as it was and the card answers `6581`.
    fn commit(&mut self, next: CardState) -> core::result::Result<(), StatusWord> {
        if let Storage::File(path) = &self.storage {
            state::store(path, &next, false).map_err(|_| StatusWord::MEMORY_FAILURE)?;
        }
        self.state = next;
        Ok(())
    }

    /// Checks `candidate` against `pin`, counting the try: the retry counter is decremented
    /// and written first, then the PIN compared, then the counter restored (and written) on a
    /// match. A write that fails refuses the try with `6581`: before the compare when the
    /// charge cannot be written (so a card that cannot write learns nothing about the PIN),
    /// and after it when the refund cannot (the try stays charged). Any refusal clears the
    /// PIN's verified state in `rights`.
    fn check_pin(
        &mut self,
        pin: PinId,
        candidate: &[u8],
        rights: &mut Rights,
    ) -> core::result::Result<(), StatusWord> {
        let checked = self.charge_and_compare(pin, candidate);
        if checked.is_err() {
            rights.set_verified(pin, false);
        }
        checked
    }

    fn charge_and_compare(
        &mut self,
        pin: PinId,
        candidate: &[u8],
    ) -> core::result::Result<(), StatusWord> {
        let record = self.state.pin(pin);
        let remaining = record
            .remaining
            .checked_sub(1)
            .ok_or(StatusWord::AUTHENTICATION_METHOD_BLOCKED)?;
        let retry_limit = record.retry_limit;
        let mut charged = self.state.clone();
        charged.pin_mut(pin).remaining = remaining;
        self.commit(charged)?;
        if self.state.pin(pin).matches(candidate) {
            let mut refunded = self.state.clone();
            refunded.pin_mut(pin).remaining = retry_limit;
            self.commit(refunded)?;
            Ok(())
        } else if remaining == 0 {
            Err(StatusWord::AUTHENTICATION_METHOD_BLOCKED)
        } else {
            Err(StatusWord::wrong_pin(remaining))
        }
    }

    fn verify_pin(&mut self, command: &CommandApdu, rights: &mut Rights) -> Outcome {
        let pin = pin_parameter(command.p1, command.p2)?;
        if command.data().is_empty() {
            let record = self.state.pin(pin);
            return if record.is_blocked() {
                Err(StatusWord::AUTHENTICATION_METHOD_BLOCKED)
            } else if rights.is_verified(pin) {
                Ok(ResponseApdu::status(StatusWord::SUCCESS))
            } else {
                Err(StatusWord::wrong_pin(record.remaining))
            };
        }
        require(rights.level, SecurityLevel::CMacCDecryption)?;
        check_pin_format(command.data())?;
        self.check_pin(pin, command.data(), rights)?;
        rights.set_verified(pin, true);
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    fn change_pin(&mut self, command: &CommandApdu, rights: &mut Rights) -> Outcome {
        require(rights.level, SecurityLevel::CMacCDecryption)?;
        let pin = match command.p2 {
            1 => PinId::User,
            2 => PinId::Admin,
            _ => return Err(StatusWord::INCORRECT_P1_P2),
        };
        let retry_limit = retry_limit_parameter(command.p1)?;
        let (old, new) = split_length_prefixed(command.data())?;
        check_pin_format(old)?;
        check_pin_format(new)?;
        self.check_pin(pin, old, rights)?;
        self.replace_pin(pin, new, retry_limit)
    }

    fn unblock_pin(&mut self, command: &CommandApdu, rights: &mut Rights) -> Outcome {
        require(rights.level, SecurityLevel::CMacCDecryption)?;
        if command.p2 != PinId::User.role() {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let retry_limit = retry_limit_parameter(command.p1)?;
        let (admin, new) = split_length_prefixed(command.data())?;
        check_pin_format(admin)?;
        check_pin_format(new)?;
        self.check_pin(PinId::Admin, admin, rights)?;
        self.replace_pin(PinId::User, new, retry_limit)
    }

    fn replace_pin(&mut self, pin: PinId, value: &[u8], retry_limit: Option<u8>) -> Outcome {
        let mut next = self.state.clone();
        let limit = retry_limit.unwrap_or(next.pin(pin).retry_limit);
        *next.pin_mut(pin) =
            PinRecord::new(value, limit).map_err(|_| StatusWord::INCORRECT_DATA)?;
        self.commit(next)?;
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    fn deauthenticate(&mut self, command: &CommandApdu, rights: &mut Rights) -> Outcome {
        let pin = pin_parameter(command.p1, command.p2)?;
        if !command.data().is_empty() {
            return Err(StatusWord::WRONG_LENGTH);
        }
        rights.set_verified(pin, false);
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    /// IMPORT KEY PAIR: the issuer into any container; a session-key session only once the
    /// admin PIN was verified in it (`6982` otherwise, from the first block on).
    fn import_key_pair(
        &mut self,
        command: &CommandApdu,
        rights: &Rights,
        import: Option<Import>,
    ) -> Outcome {
        require(rights.level, SecurityLevel::CMacCDecryption)?;
        if rights.origin == SessionOrigin::SessionKey && !rights.is_verified(PinId::Admin) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let container = command.p1;
        let Some(import) = self.gather(ImportKind::KeyPair, command, import)? else {
            return Ok(ResponseApdu::status(StatusWord::SUCCESS));
        };
        let (&[pin, key_spec], pkcs8) = import
            .payload
            .split_first_chunk::<2>()
            .ok_or(StatusWord::INCORRECT_DATA)?;
        let pin = PinId::from_role(u32::from(pin)).map_err(|_| StatusWord::INCORRECT_DATA)?;
        container::validate(key_spec, pkcs8).map_err(|_| StatusWord::INCORRECT_DATA)?;
        let mut next = self.state.clone();
        let slot = next
            .containers
            .get_mut(usize::from(container))
            .ok_or(StatusWord::INCORRECT_P1_P2)?;
        *slot = Some(Container {
            key_spec,
            pin,
            pkcs8: SecretVec::from_slice(pkcs8),
        });
        self.commit(next)?;
        Ok(ResponseApdu::status(StatusWord::SUCCESS))
    }

    /// Adds one block of an IMPORT KEY PAIR or IMPORT SESSION KEY (P1 container, P2 block
    /// number with b8 on the last) to the import in progress. `None` while more blocks are
    /// expected (the import is kept); the whole import after the last block.
    fn gather(
        &mut self,
        kind: ImportKind,
        command: &CommandApdu,
        import: Option<Import>,
    ) -> core::result::Result<Option<Import>, StatusWord> {
        let container = command.p1;
        if container >= MAX_CONTAINERS {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let block = command.p2 & !LAST_BLOCK;
        let last = command.p2 & LAST_BLOCK != 0;
        let chunk = command.data();
        if chunk.is_empty() || chunk.len() > IMPORT_CHUNK_LEN {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let mut import = match (block, import) {
            (0, _) => Import {
                kind,
                container,
                next_block: 0,
                payload: Zeroizing::new(Vec::with_capacity(MAX_IMPORT_LEN)),
            },
            (_, Some(import))
                if import.kind == kind
                    && import.container == container
                    && import.next_block == block =>
            {
                import
            }
            // Out of order, another container or kind, or nothing started: the import is
            // dropped.
            _ => return Err(StatusWord::INCORRECT_P1_P2),
        };
        if import.payload.len() + chunk.len() > MAX_IMPORT_LEN {
            return Err(StatusWord::NOT_ENOUGH_MEMORY);
        }
        import.payload.extend_from_slice(chunk);
        if last {
            return Ok(Some(import));
        }
        import.next_block = import
            .next_block
            .checked_add(1)
            .filter(|next| *next < LAST_BLOCK)
            .ok_or(StatusWord::NOT_ENOUGH_MEMORY)?;
        self.import = Some(import);
        Ok(None)
    }

    /// IMPORT SESSION KEY (plain class `80`): unwraps a session key with a container's RSA
    /// key and opens a session keyed from it and a fresh nonce, which it answers. Any open
    /// session ends first, whatever the outcome. A container that is empty →
    /// `6A88`; not an RSA key-exchange key → `6985`; any decryption or format failure → `6A80`.
    fn import_session_key(&mut self, command: &CommandApdu, import: Option<Import>) -> Outcome {
        self.channel = Channel::None;
        let Some(import) = self.gather(ImportKind::SessionKey, command, import)? else {
            return Ok(ResponseApdu::status(StatusWord::SUCCESS));
        };
        let slot = self.container(import.container)?;
        let (&hash, ciphertext) = import
            .payload
            .split_first()
            .ok_or(StatusWord::INCORRECT_DATA)?;
        let hash = OaepHash::from_byte(hash).ok_or(StatusWord::INCORRECT_DATA)?;
        let blob =
            container::unwrap_session_key(slot, hash, ciphertext).map_err(|error| match error {
                Error::UnsupportedFeature(_) => StatusWord::CONDITIONS_NOT_SATISFIED,
                _ => StatusWord::INCORRECT_DATA,
            })?;
        let key = instructions::parse_key_data_blob(blob.expose())
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        let mut nonce = [0u8; SESSION_NONCE_LEN];
        fill_random(&mut nonce).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        let session = CardSession::from_session_key(key, &nonce, SESSION_KEY_LEVEL)
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        self.channel = Channel::open(session, SessionOrigin::SessionKey);
        Ok(ResponseApdu::new(nonce.to_vec(), StatusWord::SUCCESS))
    }

    /// READ PUBLIC KEY or READ OUTPUT without secure messaging (no session open): public keys
    /// only; a plain READ OUTPUT reads only a plain READ PUBLIC KEY's output.
    fn public_read(&mut self, command: &CommandApdu, output: Option<SecretVec>) -> Outcome {
        let outcome = if command.ins == instructions::INS_READ_PUBLIC_KEY {
            self.read_public_key(command)
        } else {
            self.read_output(command, output)
        };
        self.output_plain = self.output.is_some();
        outcome
    }

    fn container(&self, index: u8) -> core::result::Result<&Container, StatusWord> {
        self.state
            .containers
            .get(usize::from(index))
            .ok_or(StatusWord::INCORRECT_P1_P2)?
            .as_ref()
            .ok_or(StatusWord::REFERENCED_DATA_NOT_FOUND)
    }

    fn produce_output(&mut self, output: Vec<u8>) -> Outcome {
        let length = u16::try_from(output.len()).map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        self.output = Some(SecretVec::new(output));
        Ok(ResponseApdu::new(
            length.to_be_bytes().to_vec(),
            StatusWord::SUCCESS,
        ))
    }

    fn read_public_key(&mut self, command: &CommandApdu) -> Outcome {
        if command.p2 != 0 || !command.data().is_empty() {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let record = container::public_key(self.container(command.p1)?)
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        self.produce_output(record.to_bytes())
    }

    /// SIGN: the container's PIN must have been verified in this session.
    fn sign(&mut self, command: &CommandApdu, rights: &Rights) -> Outcome {
        let hash = SignatureHash::from_p2(command.p2).ok_or(StatusWord::INCORRECT_P1_P2)?;
        let container = self.container(command.p1)?;
        if !rights.is_verified(container.pin) {
            return Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        let signature =
            container::sign(container, hash, command.data()).map_err(|error| match error {
                Error::InvalidParameter(_) => StatusWord::WRONG_LENGTH,
                _ => StatusWord::NO_PRECISE_DIAGNOSIS,
            })?;
        self.produce_output(signature)
    }

    fn read_output(&mut self, command: &CommandApdu, output: Option<SecretVec>) -> Outcome {
        let output = output.ok_or(StatusWord::CONDITIONS_NOT_SATISFIED)?;
        let offset = usize::from(u16::from_be_bytes([command.p1, command.p2]));
        let rest = output
            .expose()
            .get(offset..)
            .ok_or(StatusWord::INCORRECT_P1_P2)?;
        let length = rest
            .len()
            .min(OUTPUT_CHUNK_LEN)
            .min(command.le().unwrap_or(0));
        let chunk: Vec<u8> = rest.iter().take(length).copied().collect();
        self.output = Some(output);
        Ok(ResponseApdu::new(chunk, StatusWord::SUCCESS))
    }

    /// PUT KEY (GPCS §11.8 with AES key components): replaces the whole keyset, checking each
    /// key's check value; the sequence counter restarts at zero (GP Amd D §6.2.2.1).
    fn put_key(&mut self, command: &CommandApdu) -> Outcome {
        if command.p1 != self.state.keys.version() {
            return Err(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        if command.p2 != PUT_KEY_P2 {
            return Err(StatusWord::INCORRECT_P1_P2);
        }
        let (&new_version, mut rest) = command
            .data()
            .split_first()
            .ok_or(StatusWord::WRONG_LENGTH)?;
        let dek = keyward_core::backend::aes::AesKey::new(self.state.keys.dek())
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        let mut keys: Vec<SecretVec> = Vec::with_capacity(3);
        let mut check_values = vec![new_version];
        for _ in 0..3 {
            let (&[key_type, length, key_len], tail) = rest
                .split_first_chunk::<3>()
                .ok_or(StatusWord::WRONG_LENGTH)?;
            let key_len = usize::from(key_len);
            let block_len = usize::from(length)
                .checked_sub(1)
                .ok_or(StatusWord::INCORRECT_DATA)?;
            if key_type != KEY_TYPE_AES
                || !matches!(key_len, 16 | 24 | 32)
                || block_len != key_len.next_multiple_of(16)
            {
                return Err(StatusWord::INCORRECT_DATA);
            }
            let (encrypted, tail) = tail
                .split_at_checked(block_len)
                .ok_or(StatusWord::WRONG_LENGTH)?;
            let (&[kcv_len], tail) = tail
                .split_first_chunk::<1>()
                .ok_or(StatusWord::WRONG_LENGTH)?;
            if usize::from(kcv_len) != KCV_LEN {
                return Err(StatusWord::INCORRECT_DATA);
            }
            let (kcv, tail) = tail
                .split_at_checked(KCV_LEN)
                .ok_or(StatusWord::WRONG_LENGTH)?;
            let mut key = encrypted.to_vec();
            if dek.cbc_decrypt_in_place(&[0; 16], &mut key).is_err() {
                key.zeroize();
                return Err(StatusWord::INCORRECT_DATA);
            }
            key.truncate(key_len);
            let key = SecretVec::new(key);
            let computed = key_check_value(key.expose()).map_err(|_| StatusWord::INCORRECT_DATA)?;
            if computed.as_slice() != kcv {
                return Err(StatusWord::INCORRECT_DATA);
            }
            check_values.extend_from_slice(&computed);
            keys.push(key);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(StatusWord::WRONG_LENGTH);
        }
        let [enc, mac, dek]: [SecretVec; 3] = keys
            .try_into()
            .map_err(|_| StatusWord::NO_PRECISE_DIAGNOSIS)?;
        let new_keys = StaticKeys::new(new_version, enc.expose(), mac.expose(), dek.expose())
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        let mut next = self.state.clone();
        next.keys = new_keys;
        next.sequence_counter = 0;
        self.commit(next)?;
        Ok(ResponseApdu::new(check_values, StatusWord::SUCCESS))
    }
}

impl core::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("keys", &self.state.keys)
            .field("security_level", &self.security_level())
            .finish_non_exhaustive()
    }
}

fn is_known_instruction(ins: u8) -> bool {
    matches!(
        ins,
        instructions::INS_VERIFY_PIN
            | instructions::INS_CHANGE_PIN
            | instructions::INS_UNBLOCK_PIN
            | instructions::INS_DEAUTHENTICATE
            | instructions::INS_IMPORT_KEY_PAIR
            | instructions::INS_READ_PUBLIC_KEY
            | instructions::INS_SIGN
            | instructions::INS_READ_OUTPUT
            | instructions::INS_PUT_KEY
    )
}

fn pin_index(pin: PinId) -> usize {
    match pin {
        PinId::User => 0,
        PinId::Admin => 1,
    }
}

fn require(level: SecurityLevel, required: SecurityLevel) -> core::result::Result<(), StatusWord> {
    if level.satisfies(required) {
        Ok(())
    } else {
        Err(StatusWord::SECURITY_STATUS_NOT_SATISFIED)
    }
}

fn pin_parameter(p1: u8, p2: u8) -> core::result::Result<PinId, StatusWord> {
    match (p1, p2) {
        (0, 1) => Ok(PinId::User),
        (0, 2) => Ok(PinId::Admin),
        _ => Err(StatusWord::INCORRECT_P1_P2),
    }
}

fn retry_limit_parameter(p1: u8) -> core::result::Result<Option<u8>, StatusWord> {
    match p1 {
        0 => Ok(None),
        limit if limit <= MAX_RETRY_LIMIT => Ok(Some(limit)),
        _ => Err(StatusWord::INCORRECT_P1_P2),
    }
}

fn check_pin_format(pin: &[u8]) -> core::result::Result<(), StatusWord> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(StatusWord::INCORRECT_DATA)
    }
}

/// Splits `length ‖ first ‖ second`.
fn split_length_prefixed(data: &[u8]) -> core::result::Result<(&[u8], &[u8]), StatusWord> {
    let (&length, rest) = data.split_first().ok_or(StatusWord::WRONG_LENGTH)?;
    rest.split_at_checked(usize::from(length))
        .ok_or(StatusWord::WRONG_LENGTH)
}

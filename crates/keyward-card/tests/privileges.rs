//! The card's privilege model, played by an attacker through the APDU interface: anyone can
//! read a key-exchange container's public key in the clear, wrap an AES key of their own to it
//! and open a session with IMPORT SESSION KEY. Such a session authenticates nobody, so it must
//! not have the issuer's privileges: every command below is refused with its documented status
//! word, and the card's state is unchanged. PIN verification belongs to one session.

mod common;

use common::{ec_key, keys, personalization, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::apdu::{CommandApdu, StatusWord};
use keyward_card::card::{SessionOrigin, VirtualCard, DEFAULT_AID};
use keyward_card::channel::SecureChannel;
use keyward_card::instructions::{
    self, ContainerPublicKey, OaepHash, PinId, SignatureHash, AT_ECDSA_P256, AT_KEYEXCHANGE,
    AT_SIGNATURE,
};
use keyward_card::minidriver::session_key::wrap_session_key;
use keyward_card::scp03::{HostSession, SecurityLevel, StaticKeys};
use keyward_card::transport::{InProcess, Transport};

const WRAP_CONTAINER: u8 = 1;
const SIGN_CONTAINER: u8 = 2;
const ATTACKER_KEY: [u8; 16] = *b"attacker's key!!";
const DENIED: StatusWord = StatusWord::SECURITY_STATUS_NOT_SATISFIED;

/// A card personalized by its issuer: an RSA key-exchange key in container 1 and an RSA
/// signature key in container 2, both guarded by the user PIN.
fn issued_card() -> InProcess {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let mut issuer = issuer_channel(&transport);
    issuer
        .import_key_pair(WRAP_CONTAINER, PinId::User, AT_KEYEXCHANGE, &rsa_key().1)
        .unwrap();
    issuer
        .import_key_pair(SIGN_CONTAINER, PinId::User, AT_SIGNATURE, &rsa_key().1)
        .unwrap();
    transport
}

fn issuer_channel(transport: &InProcess) -> SecureChannel<InProcess> {
    SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap()
}

/// The attacker's session: READ PUBLIC KEY and READ OUTPUT in the clear, the attacker's own
/// AES key wrapped to that public key, IMPORT SESSION KEY.
struct Attacker {
    transport: InProcess,
    session: HostSession,
}

impl Attacker {
    fn open(transport: &InProcess) -> Self {
        let mut transport = transport.clone();
        let read = instructions::read_public_key(WRAP_CONTAINER).unwrap();
        let mut answer = transport.transmit(&read).unwrap();
        if answer.sw == DENIED {
            // The card's holder had a session open: the plain command aborted it.
            answer = transport.transmit(&read).unwrap();
        }
        let length = instructions::output_length(instructions::check(&answer).unwrap()).unwrap();
        let mut record = Vec::new();
        while record.len() < length {
            let chunk = transport
                .transmit(&instructions::read_output(record.len() as u16).unwrap())
                .unwrap();
            record.extend_from_slice(instructions::check(&chunk).unwrap());
        }
        let public = ContainerPublicKey::parse(&record).unwrap();
        let wrapped = wrap_session_key(&public.key, OaepHash::Sha256, &ATTACKER_KEY).unwrap();
        let mut nonce = Vec::new();
        for command in
            instructions::import_session_key(WRAP_CONTAINER, OaepHash::Sha256, &wrapped).unwrap()
        {
            nonce = instructions::check(&transport.transmit(&command).unwrap())
                .unwrap()
                .to_vec();
        }
        let nonce: [u8; 16] = nonce.try_into().unwrap();
        let session =
            HostSession::from_session_key(&ATTACKER_KEY, &nonce, SecurityLevel::Full).unwrap();
        assert_eq!(
            transport.with_card(|card| card.session_origin()).unwrap(),
            Some(SessionOrigin::SessionKey)
        );
        Attacker { transport, session }
    }

    /// Sends one command in the session; the card's status word, its response checked.
    fn send(&mut self, command: &CommandApdu) -> StatusWord {
        let wrapped = self.session.wrap_command(command).unwrap();
        let response = self.transport.transmit(&wrapped).unwrap();
        self.session.unwrap_response(&response).unwrap().sw
    }

    /// Sends every block of a multi-block command; the status word of the first refusal, or
    /// of the last block.
    fn send_all(&mut self, commands: &[CommandApdu]) -> StatusWord {
        for command in commands {
            let sw = self.send(command);
            if sw != StatusWord::SUCCESS {
                return sw;
            }
        }
        StatusWord::SUCCESS
    }
}

fn public_key(transport: &InProcess, container: u8) -> ContainerPublicKey {
    issuer_channel(transport)
        .read_public_key(container)
        .unwrap()
}

fn attempts(transport: &InProcess, pin: PinId) -> u8 {
    transport
        .with_card(|card| card.pin_attempts_remaining(pin))
        .unwrap()
}

#[test]
fn a_wrapped_session_key_cannot_overwrite_an_occupied_container() {
    let transport = issued_card();
    let before = public_key(&transport, SIGN_CONTAINER);
    let mut attacker = Attacker::open(&transport);
    let import =
        instructions::import_key_pair(SIGN_CONTAINER, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8)
            .unwrap();
    assert_eq!(attacker.send_all(&import), DENIED);
    // Nor into an empty one: injecting needs the admin PIN inside the session.
    let import =
        instructions::import_key_pair(5, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8).unwrap();
    assert_eq!(attacker.send_all(&import), DENIED);
    assert!(!transport
        .with_card(|card| card.container_in_use(5))
        .unwrap());
    assert_eq!(public_key(&transport, SIGN_CONTAINER), before);
}

#[test]
fn a_wrapped_session_key_cannot_sign_with_a_pin_verified_elsewhere() {
    let transport = issued_card();
    // The card's holder verifies the user PIN and signs, in the issuer's session.
    let mut holder = issuer_channel(&transport);
    holder.verify_pin(PinId::User, USER_PIN).unwrap();
    let digest = [0x5Au8; 32];
    holder
        .sign(SIGN_CONTAINER, SignatureHash::Sha256, &digest)
        .unwrap();
    // The attacker opens a session: the verified PIN does not follow.
    let mut attacker = Attacker::open(&transport);
    let sign = instructions::sign(SIGN_CONTAINER, SignatureHash::Sha256, &digest).unwrap();
    assert_eq!(attacker.send(&sign), DENIED);
    let status = instructions::pin_status(PinId::User).unwrap();
    assert_eq!(attacker.send(&status), StatusWord::wrong_pin(3));
    // Nor does anything the issuer may send work: reading outputs, replacing the keyset.
    assert_eq!(
        attacker.send(&instructions::read_output(0).unwrap()),
        DENIED
    );
    let new_keys = StaticKeys::new(0x31, &[0x41; 16], &[0x42; 16], &[0x43; 16]).unwrap();
    assert_eq!(
        attacker.send(&instructions::put_key(&keys(16), &new_keys).unwrap()),
        DENIED
    );
    assert_eq!(
        transport.with_card(|card| card.key_version()).unwrap(),
        0x30
    );
}

#[test]
fn a_wrapped_session_key_cannot_change_a_pin_without_the_current_pin() {
    let transport = issued_card();
    let mut attacker = Attacker::open(&transport);
    let change = instructions::change_pin(PinId::User, b"0000", b"66666666", None).unwrap();
    assert_eq!(attacker.send(&change), StatusWord::wrong_pin(2));
    let change = instructions::change_pin(PinId::Admin, b"0000", b"66666666", None).unwrap();
    assert_eq!(attacker.send(&change), StatusWord::wrong_pin(2));
    // The PINs are unchanged; the tries were counted.
    assert_eq!(attempts(&transport, PinId::User), 2);
    let mut holder = issuer_channel(&transport);
    holder.verify_pin(PinId::User, USER_PIN).unwrap();
    holder.verify_pin(PinId::Admin, ADMIN_PIN).unwrap();
    assert_eq!(attempts(&transport, PinId::User), 3);
}

#[test]
fn a_wrapped_session_key_cannot_unblock_without_the_admin_pin() {
    let transport = issued_card();
    let mut attacker = Attacker::open(&transport);
    // Even with the user PIN verified in the session, UNBLOCK takes the admin PIN.
    assert_eq!(
        attacker.send(&instructions::verify_pin(PinId::User, USER_PIN).unwrap()),
        StatusWord::SUCCESS
    );
    let unblock = instructions::unblock_pin(b"not-the-admin", b"66666666", None).unwrap();
    assert_eq!(attacker.send(&unblock), StatusWord::wrong_pin(2));
    assert_eq!(attempts(&transport, PinId::Admin), 2);
    let mut holder = issuer_channel(&transport);
    holder.verify_pin(PinId::User, USER_PIN).unwrap();
}

#[test]
fn the_admin_pin_inside_a_session_key_session_allows_injection() {
    let transport = issued_card();
    let mut injector = Attacker::open(&transport);
    // The user PIN is not enough.
    assert_eq!(
        injector.send(&instructions::verify_pin(PinId::User, USER_PIN).unwrap()),
        StatusWord::SUCCESS
    );
    let import =
        instructions::import_key_pair(SIGN_CONTAINER, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8)
            .unwrap();
    assert_eq!(injector.send_all(&import), DENIED);
    // With the admin PIN verified in this session, even an occupied container takes the key.
    assert_eq!(
        injector.send(&instructions::verify_pin(PinId::Admin, ADMIN_PIN).unwrap()),
        StatusWord::SUCCESS
    );
    assert_eq!(injector.send_all(&import), StatusWord::SUCCESS);
    // DEAUTHENTICATE takes the privilege back.
    assert_eq!(
        injector.send(&instructions::deauthenticate(PinId::Admin).unwrap()),
        StatusWord::SUCCESS
    );
    let import =
        instructions::import_key_pair(6, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8).unwrap();
    assert_eq!(injector.send_all(&import), DENIED);
    let injected = public_key(&transport, SIGN_CONTAINER);
    assert_eq!(
        injected.key,
        instructions::PublicKey::EcP256 {
            point: ec_key().public.clone()
        }
    );
    // A new session starts with nothing verified.
    let mut again = Attacker::open(&transport);
    assert_eq!(again.send_all(&import), DENIED);
}

#[test]
fn verified_pins_do_not_outlive_their_session() {
    let transport = issued_card();
    let digest = [0x77u8; 32];
    let sign = instructions::sign(SIGN_CONTAINER, SignatureHash::Sha256, &digest).unwrap();
    // Verified in one SCP03 session: a new SCP03 session (no SELECT in between) must
    // verify again.
    let mut first = issuer_channel(&transport);
    first.verify_pin(PinId::User, USER_PIN).unwrap();
    let mut second =
        SecureChannel::open_selected(transport.clone(), &keys(16), SecurityLevel::Full).unwrap();
    assert_eq!(second.transmit(&sign).unwrap().sw, DENIED);
    // A reset clears it too, and so does SELECT.
    let mut third = issuer_channel(&transport);
    third.verify_pin(PinId::User, USER_PIN).unwrap();
    third
        .sign(SIGN_CONTAINER, SignatureHash::Sha256, &digest)
        .unwrap();
    transport.clone().reset().unwrap();
    let mut fourth = issuer_channel(&transport);
    assert_eq!(fourth.transmit(&sign).unwrap().sw, DENIED);
    let mut fifth = issuer_channel(&transport);
    fifth.verify_pin(PinId::User, USER_PIN).unwrap();
    let mut plain = transport.clone();
    plain
        .transmit(&instructions::select(&DEFAULT_AID).unwrap())
        .unwrap();
    let mut sixth =
        SecureChannel::open_selected(transport.clone(), &keys(16), SecurityLevel::Full).unwrap();
    assert_eq!(sixth.transmit(&sign).unwrap().sw, DENIED);
    assert_eq!(
        transport.with_card(|card| card.session_origin()).unwrap(),
        Some(SessionOrigin::Issuer)
    );
}

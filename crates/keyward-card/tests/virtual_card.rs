//! The virtual GlobalPlatform card through the in-process transport: secure channels at every
//! level, PINs and retry counters, key import (RSA-2048, EC P-256), public keys and signatures
//! checked with aws-lc-rs, PUT KEY, persistence across restarts, and the refusals (no session,
//! too low a level, tampered or replayed commands, out-of-order handshakes, failed writes).

mod common;

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::signature::{
    RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_SHA256,
};
use common::{card_at, ec_key, keys, personalization, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::apdu::{CommandApdu, StatusWord};
use keyward_card::card::{VirtualCard, ATR, DEFAULT_AID};
use keyward_card::channel::SecureChannel;
use keyward_card::instructions::{
    self, PinId, PublicKey, SignatureHash, AT_ECDSA_P256, AT_KEYEXCHANGE,
};
use keyward_card::scp03::{HostHandshake, ScpOptions, SecurityLevel, StaticKeys};
use keyward_card::transport::{InProcess, Transport};
use keyward_card::Error;
use keyward_test_support::TempDir;

fn channel(transport: &InProcess, level: SecurityLevel) -> SecureChannel<InProcess> {
    SecureChannel::open(transport.clone(), &DEFAULT_AID, &keys(16), level).unwrap()
}

fn sw(transport: &mut InProcess, hex_command: &str) -> StatusWord {
    let command = CommandApdu::parse(&hex::decode(hex_command).unwrap()).unwrap();
    transport.transmit(&command).unwrap().sw
}

#[test]
fn import_sign_and_restart() {
    let dir = TempDir::new("import");
    let path = dir.join("card.state");
    let transport = InProcess::new(card_at(&path));
    let mut secure = channel(&transport, SecurityLevel::Full);
    let (rsa_pair, rsa_pkcs8) = rsa_key();
    secure
        .import_key_pair(0, PinId::User, AT_KEYEXCHANGE, rsa_pkcs8)
        .unwrap();
    secure
        .import_key_pair(1, PinId::Admin, AT_ECDSA_P256, &ec_key().pkcs8)
        .unwrap();
    assert!(transport
        .with_card(|card| card.container_in_use(0))
        .unwrap());
    assert!(!transport
        .with_card(|card| card.container_in_use(2))
        .unwrap());

    // The public keys read back are the imported ones.
    let rsa_public = secure.read_public_key(0).unwrap();
    assert_eq!(
        (rsa_public.key_spec, rsa_public.pin),
        (AT_KEYEXCHANGE, PinId::User)
    );
    let PublicKey::Rsa { modulus, exponent } = rsa_public.key else {
        panic!("expected RSA")
    };
    assert_eq!(modulus.len(), 256);
    let components = RsaPublicKeyComponents {
        n: modulus.as_slice(),
        e: exponent.as_slice(),
    };
    let message = b"keyward signs this";
    let mut reference = vec![0u8; rsa_pair.public_modulus_len()];
    rsa_pair
        .sign(
            &RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            message,
            &mut reference,
        )
        .unwrap();
    components
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, &reference)
        .unwrap();
    let ec_public = secure.read_public_key(1).unwrap();
    assert_eq!(
        ec_public.key,
        PublicKey::EcP256 {
            point: ec_key().public.clone()
        }
    );

    // Signing needs the container's PIN.
    let digest_value = digest(&SHA256, message);
    assert_eq!(
        secure.sign(0, SignatureHash::Sha256, digest_value.as_ref()),
        Err(Error::SecurityStatusNotSatisfied)
    );
    let mut secure = channel(&transport, SecurityLevel::Full);
    secure.verify_pin(PinId::User, USER_PIN).unwrap();
    secure.pin_status(PinId::User).unwrap();
    let signature = secure
        .sign(0, SignatureHash::Sha256, digest_value.as_ref())
        .unwrap();
    assert_eq!(signature.len(), 256);
    components
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, &signature)
        .unwrap();
    // The EC key is guarded by the admin PIN.
    assert_eq!(
        secure.sign(1, SignatureHash::Sha256, digest_value.as_ref()),
        Err(Error::SecurityStatusNotSatisfied)
    );
    let mut secure = channel(&transport, SecurityLevel::CMacCDecryption);
    secure.verify_pin(PinId::Admin, ADMIN_PIN).unwrap();
    let signature = secure
        .sign(1, SignatureHash::Sha256, digest_value.as_ref())
        .unwrap();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &ec_key().public)
        .verify(message, &signature)
        .unwrap();
    assert_eq!(secure.read_public_key(5), Err(Error::NoKeyContainer));
    drop(secure);
    drop(transport);

    // A restarted card keeps its keys; PIN verification does not survive it.
    let transport = InProcess::new(VirtualCard::open(&path).unwrap());
    let mut secure = channel(&transport, SecurityLevel::Full);
    assert_eq!(secure.read_public_key(1).unwrap(), ec_public);
    assert_eq!(
        secure.pin_status(PinId::User),
        Err(Error::WrongPin {
            attempts_remaining: 3
        })
    );
    secure.verify_pin(PinId::User, USER_PIN).unwrap();
    let signature = secure
        .sign(0, SignatureHash::Sha256, digest_value.as_ref())
        .unwrap();
    components
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, &signature)
        .unwrap();
    // DEAUTHENTICATE clears it.
    secure.deauthenticate(PinId::User).unwrap();
    assert_eq!(
        secure.pin_status(PinId::User),
        Err(Error::WrongPin {
            attempts_remaining: 3
        })
    );

    // The state file is private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Only the state file is left in the directory (no temporary files).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn pin_retry_counters_block_persist_and_unblock() {
    let dir = TempDir::new("pins");
    let path = dir.join("card.state");
    let transport = InProcess::new(card_at(&path));
    let mut secure = channel(&transport, SecurityLevel::CMacCDecryption);
    assert_eq!(
        secure.verify_pin(PinId::User, b"0000"),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );
    // A right PIN resets the counter.
    secure.verify_pin(PinId::User, USER_PIN).unwrap();
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
    for remaining in [2, 1] {
        assert_eq!(
            secure.verify_pin(PinId::User, b"0000"),
            Err(Error::WrongPin {
                attempts_remaining: remaining
            })
        );
    }
    // A wrong PIN also clears the verified state.
    assert!(secure.pin_status(PinId::User).is_err());
    assert_eq!(
        secure.verify_pin(PinId::User, b"0000"),
        Err(Error::PinBlocked)
    );
    assert_eq!(
        secure.verify_pin(PinId::User, USER_PIN),
        Err(Error::PinBlocked)
    );
    assert_eq!(secure.pin_status(PinId::User), Err(Error::PinBlocked));
    drop(secure);
    drop(transport);

    // Still blocked after a restart.
    let transport = InProcess::new(VirtualCard::open(&path).unwrap());
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        0
    );
    let mut secure = channel(&transport, SecurityLevel::Full);
    assert_eq!(
        secure.verify_pin(PinId::User, USER_PIN),
        Err(Error::PinBlocked)
    );
    // A wrong admin PIN costs an admin try and does not unblock.
    assert_eq!(
        secure.unblock_pin(b"wrong-admin", b"4321", None),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );
    assert_eq!(
        secure.verify_pin(PinId::User, b"4321"),
        Err(Error::PinBlocked)
    );
    secure.unblock_pin(ADMIN_PIN, b"4321", Some(5)).unwrap();
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::Admin))
            .unwrap(),
        3
    );
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        5
    );
    assert_eq!(
        secure.verify_pin(PinId::User, USER_PIN),
        Err(Error::WrongPin {
            attempts_remaining: 4
        })
    );
    secure.verify_pin(PinId::User, b"4321").unwrap();

    // CHANGE PIN needs the old PIN, counts a wrong one, and keeps the limit unless told.
    assert_eq!(
        secure.change_pin(PinId::User, b"9999", b"55555", None),
        Err(Error::WrongPin {
            attempts_remaining: 4
        })
    );
    secure
        .change_pin(PinId::User, b"4321", b"55555", None)
        .unwrap();
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        5
    );
    secure
        .change_pin(PinId::Admin, ADMIN_PIN, b"new-admin", Some(2))
        .unwrap();
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::Admin))
            .unwrap(),
        2
    );
    drop(secure);
    drop(transport);
    let transport = InProcess::new(VirtualCard::open(&path).unwrap());
    let mut secure = channel(&transport, SecurityLevel::Full);
    secure.verify_pin(PinId::User, b"55555").unwrap();
    secure.verify_pin(PinId::Admin, b"new-admin").unwrap();
    // Malformed PINs never reach the card.
    assert_eq!(
        secure.verify_pin(PinId::User, b"12"),
        Err(Error::InvalidPin)
    );
}

#[test]
fn secure_functions_need_their_security_level() {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let mut plain = transport.clone();
    // Without a session every keyward command is refused; unknown ones are unknown.
    let verify = instructions::verify_pin(PinId::User, USER_PIN).unwrap();
    assert_eq!(
        plain.transmit(&verify).unwrap().sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(sw(&mut plain, "80ee0000"), StatusWord::INS_NOT_SUPPORTED);
    assert_eq!(sw(&mut plain, "00b0000000"), StatusWord::INS_NOT_SUPPORTED);
    assert_eq!(sw(&mut plain, "c0500000"), StatusWord::CLA_NOT_SUPPORTED);

    // C-MAC only (with or without R-MAC): no PINs, no key import.
    for level in [SecurityLevel::CMac, SecurityLevel::CMacRMac] {
        let mut secure = channel(&transport, level);
        assert_eq!(secure.security_level(), Some(level));
        assert_eq!(
            secure.verify_pin(PinId::User, USER_PIN),
            Err(Error::SecurityStatusNotSatisfied)
        );
        // 6982 closes the host's channel.
        assert!(matches!(
            secure.pin_status(PinId::User),
            Err(Error::OutOfOrder(_))
        ));
        let mut secure = channel(&transport, level);
        assert_eq!(
            secure.import_key_pair(0, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8),
            Err(Error::SecurityStatusNotSatisfied)
        );
        let mut secure = channel(&transport, level);
        assert_eq!(
            secure.change_pin(PinId::User, USER_PIN, b"9876", None),
            Err(Error::SecurityStatusNotSatisfied)
        );
        // Queries that carry no secret are fine.
        let mut secure = channel(&transport, level);
        assert_eq!(
            secure.pin_status(PinId::User),
            Err(Error::WrongPin {
                attempts_remaining: 3
            })
        );
        assert_eq!(secure.read_public_key(0), Err(Error::NoKeyContainer));
    }
    assert!(!transport.with_card(|c| c.container_in_use(0)).unwrap());
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
}

#[test]
fn tampered_replayed_and_plain_commands_abort_the_session() {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let mut raw = transport.clone();
    raw.transmit(&instructions::select(&DEFAULT_AID).unwrap())
        .unwrap();
    let mut session = open_raw(&mut raw, SecurityLevel::Full);

    let status = instructions::pin_status(PinId::User).unwrap();
    let first = session.wrap_command(&status).unwrap();
    let answer = raw.transmit(&first).unwrap();
    assert_eq!(
        instructions::check(&session.unwrap_response(&answer).unwrap()),
        Err(Error::WrongPin {
            attempts_remaining: 3
        })
    );
    // Replaying the same wrapped command: MAC chain mismatch, 6982, session aborted.
    assert_eq!(
        raw.transmit(&first).unwrap().sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(transport.with_card(|c| c.security_level()).unwrap(), None);
    // The next correctly chained command is refused too: the session is gone.
    let second = session.wrap_command(&status).unwrap();
    assert_eq!(
        raw.transmit(&second).unwrap().sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );

    // A plain command inside an open session aborts it as well.
    let mut secure = channel(&transport, SecurityLevel::CMac);
    assert_eq!(
        secure.transport().transmit(&status).unwrap().sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(transport.with_card(|c| c.security_level()).unwrap(), None);

    // A flipped bit in P1, P2, the data or the MAC of a wrapped VERIFY: refused with 6982
    // before the PIN is looked at, so no try is counted.
    let verify = instructions::verify_pin(PinId::User, USER_PIN).unwrap();
    let length = open_raw(&mut raw, SecurityLevel::CMacCDecryption)
        .wrap_command(&verify)
        .unwrap()
        .to_bytes()
        .len();
    for position in (2..length).filter(|&p| p != 4) {
        let mut session = open_raw(&mut raw, SecurityLevel::CMacCDecryption);
        let mut wrapped = session.wrap_command(&verify).unwrap().to_bytes();
        wrapped[position] ^= 0x10;
        assert_eq!(
            raw.transmit(&CommandApdu::parse(&wrapped).unwrap())
                .unwrap()
                .sw,
            StatusWord::SECURITY_STATUS_NOT_SATISFIED,
            "byte {position}"
        );
        assert_eq!(transport.with_card(|c| c.security_level()).unwrap(), None);
    }
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
}

fn open_raw(raw: &mut InProcess, level: SecurityLevel) -> keyward_card::scp03::HostSession {
    let handshake = HostHandshake::new(&keys(16)).unwrap();
    let response = raw
        .transmit(&handshake.initialize_update_command().unwrap())
        .unwrap();
    let external = handshake.authenticate(&response, level).unwrap();
    let response = raw.transmit(external.command()).unwrap();
    external.finish(&response).unwrap()
}

#[test]
fn handshake_rules() {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let mut raw = transport.clone();
    assert_eq!(raw.atr().unwrap(), ATR.to_vec());
    // SELECT: the AID, or file not found.
    let selected = raw
        .transmit(&instructions::select(&DEFAULT_AID).unwrap())
        .unwrap();
    assert_eq!(selected.sw, StatusWord::SUCCESS);
    assert_eq!(hex::encode(selected.data()), "6f0a8408a000000151000000");
    assert_eq!(
        raw.transmit(&instructions::select(&[0xA0, 0, 0, 0, 0x03]).unwrap())
            .unwrap()
            .sw,
        StatusWord::FILE_NOT_FOUND
    );
    // INITIALIZE UPDATE: unknown key version, wrong challenge length, wrong P2.
    assert_eq!(
        sw(&mut raw, "8050310008010203040506070800"),
        StatusWord::REFERENCED_DATA_NOT_FOUND
    );
    assert_eq!(
        sw(&mut raw, "80503000070102030405060700"),
        StatusWord::WRONG_LENGTH
    );
    assert_eq!(
        sw(&mut raw, "8050300108010203040506070800"),
        StatusWord::INCORRECT_P1_P2
    );
    // EXTERNAL AUTHENTICATE without INITIALIZE UPDATE.
    assert_eq!(
        sw(&mut raw, "848201001000000000000000000000000000000000"),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    // Key version 0 means "the first available".
    assert_eq!(
        sw(&mut raw, "8050000008010203040506070800"),
        StatusWord::SUCCESS
    );
    // A handshake is consumed by the next command, whatever it is.
    let handshake = HostHandshake::new(&keys(16)).unwrap();
    let response = raw
        .transmit(&handshake.initialize_update_command().unwrap())
        .unwrap();
    let external = handshake
        .authenticate(&response, SecurityLevel::CMac)
        .unwrap();
    raw.transmit(&instructions::select(&DEFAULT_AID).unwrap())
        .unwrap();
    assert_eq!(
        raw.transmit(external.command()).unwrap().sw,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    // A wrong host cryptogram: 6300, and no session.
    let handshake = HostHandshake::new(&keys(16)).unwrap();
    let response = raw
        .transmit(&handshake.initialize_update_command().unwrap())
        .unwrap();
    let external = handshake
        .authenticate(&response, SecurityLevel::CMac)
        .unwrap();
    let mut forged = external.command().to_bytes();
    forged[6] ^= 0x01;
    assert_eq!(
        raw.transmit(&CommandApdu::parse(&forged).unwrap())
            .unwrap()
            .sw,
        StatusWord::AUTHENTICATION_FAILED
    );
    assert_eq!(transport.with_card(|c| c.security_level()).unwrap(), None);
    // The genuine EXTERNAL AUTHENTICATE after the failure is refused: the handshake is spent.
    let response = raw.transmit(external.command()).unwrap();
    assert_eq!(
        external.finish(&response).unwrap_err(),
        Error::CardStatus(StatusWord::CONDITIONS_NOT_SATISFIED)
    );
    // A level that needs R-ENCRYPTION on a card without it.
    let no_renc = personalization().with_options(ScpOptions {
        pseudo_random_challenge: false,
        r_mac: true,
        r_encryption: false,
    });
    let transport = InProcess::new(VirtualCard::in_memory(no_renc).unwrap());
    assert!(matches!(
        SecureChannel::open(
            transport.clone(),
            &DEFAULT_AID,
            &keys(16),
            SecurityLevel::Full
        ),
        Err(Error::UnsupportedFeature(_))
    ));
    SecureChannel::open(
        transport,
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::CMacCDecryptionRMac,
    )
    .unwrap();
    // Wrong static keys never open a channel.
    let other = StaticKeys::new(0x30, &[1; 16], &[2; 16], &[3; 16]).unwrap();
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    assert_eq!(
        SecureChannel::open(transport, &DEFAULT_AID, &other, SecurityLevel::CMac).unwrap_err(),
        Error::CardCryptogramMismatch
    );
}

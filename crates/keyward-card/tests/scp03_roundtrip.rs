//! SCP03 host ↔ card round trips at every security level (01, 03, 11, 13, 33) × every key size
//! (AES-128, 192, 256), with random challenges, both challenge modes, data fields from empty to
//! the largest that fits a short APDU, error status words, and the limits that must fail
//! without disturbing the session.

use keyward_card::apdu::{CommandApdu, ResponseApdu, StatusWord};
use keyward_card::scp03::{
    pseudo_random_card_challenge, CardHandshake, CardSession, HostHandshake, HostSession,
    ScpOptions, SecurityLevel, StaticKeys,
};
use keyward_card::Error;
use keyward_core::backend::fill_random;

const AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00];

fn random_keys(key_len: usize) -> StaticKeys {
    let mut material = vec![0u8; 3 * key_len];
    fill_random(&mut material).unwrap();
    let (enc, rest) = material.split_at(key_len);
    let (mac, dek) = rest.split_at(key_len);
    StaticKeys::new(0x30, enc, mac, dek).unwrap()
}

fn open(
    keys: &StaticKeys,
    level: SecurityLevel,
    options: ScpOptions,
    counter: u32,
) -> (HostSession, CardSession) {
    let host = HostHandshake::new(keys).unwrap();
    let init_update = host.initialize_update_command().unwrap();
    let (card_challenge, sequence_counter) = if options.pseudo_random_challenge {
        let bytes = counter.to_be_bytes();
        let sequence = [bytes[1], bytes[2], bytes[3]];
        (
            pseudo_random_card_challenge(keys, sequence, &AID).unwrap(),
            Some(sequence),
        )
    } else {
        let mut challenge = [0u8; 8];
        fill_random(&mut challenge).unwrap();
        (challenge, None)
    };
    let (response, card) = CardHandshake::initialize_update(
        keys,
        options,
        [0x11; 10],
        init_update.data(),
        card_challenge,
        sequence_counter,
    )
    .unwrap();
    let external = host
        .authenticate(
            &ResponseApdu::new(response.to_bytes(), StatusWord::SUCCESS),
            level,
        )
        .unwrap();
    assert_eq!(external.card_response().key_diversification, [0x11; 10]);
    let card = card.external_authenticate(external.command()).unwrap();
    let host = external
        .finish(&ResponseApdu::status(StatusWord::SUCCESS))
        .unwrap();
    (host, card)
}

fn exchange(
    host: &mut HostSession,
    card: &mut CardSession,
    command: &CommandApdu,
    response: &ResponseApdu,
) -> ResponseApdu {
    let wrapped = host.wrap_command(command).unwrap();
    // The wire form round-trips through bytes.
    let wrapped = CommandApdu::parse(&wrapped.to_bytes()).unwrap();
    let received = card.unwrap_command(&wrapped).unwrap();
    assert_eq!(received.data(), command.data());
    assert_eq!((received.cla, received.ins), (command.cla, command.ins));
    assert_eq!((received.p1, received.p2), (command.p1, command.p2));
    assert_eq!(received.le().is_some(), command.le().is_some());
    let protected = card.wrap_response(response).unwrap();
    let protected = ResponseApdu::parse(&protected.to_bytes()).unwrap();
    host.unwrap_response(&protected).unwrap()
}

fn max_plain_command(level: SecurityLevel) -> usize {
    // 255 minus the MAC; with C-DECRYPTION, minus at least one padding byte, in whole blocks.
    if level.c_decryption() {
        239
    } else {
        247
    }
}

#[test]
fn every_level_and_key_size() {
    for key_len in [16, 24, 32] {
        for level in SecurityLevel::ALL {
            for (round, options) in [ScpOptions::RANDOM_FULL, ScpOptions::PSEUDO_RANDOM_FULL]
                .into_iter()
                .enumerate()
            {
                let keys = random_keys(key_len);
                let (mut host, mut card) = open(&keys, level, options, round as u32 + 1);
                assert_eq!(host.security_level(), level);
                assert_eq!(card.security_level(), level);
                let max = max_plain_command(level);
                for (index, len) in [0, 1, 15, 16, 17, 31, 32, 100, max].into_iter().enumerate() {
                    let data: Vec<u8> = (0..len).map(|i| (i * 7 + index) as u8).collect();
                    let le = if index % 2 == 0 { Some(256) } else { None };
                    let command =
                        CommandApdu::new(0x80, 0x10 + index as u8, 1, 2, data, le).unwrap();
                    let response_len = [0, 1, 16, 200, 239][index % 5];
                    let response = ResponseApdu::new(
                        vec![0x5A; response_len],
                        if index == 3 {
                            StatusWord(0x63C2)
                        } else {
                            StatusWord::SUCCESS
                        },
                    );
                    let received = exchange(&mut host, &mut card, &command, &response);
                    assert_eq!(received, response, "AES-{} {level:?}", key_len * 8);
                }
                // An error status word travels bare, without data, at every level.
                let command = CommandApdu::new(0x80, 0x20, 0, 1, vec![1, 2, 3], None).unwrap();
                let error = ResponseApdu::status(StatusWord::INCORRECT_DATA);
                assert_eq!(exchange(&mut host, &mut card, &command, &error), error);
                // Both ends counted the same commands.
                assert_eq!(host.encryption_counter(), card.encryption_counter());
                let expected = if level.c_decryption() { 10 } else { 0 };
                assert_eq!(host.encryption_counter(), expected);
            }
        }
    }
}

#[test]
fn too_long_commands_fail_without_moving_the_session() {
    for level in SecurityLevel::ALL {
        let keys = random_keys(16);
        let (mut host, mut card) = open(&keys, level, ScpOptions::RANDOM_FULL, 0);
        let max = max_plain_command(level);
        let too_long = CommandApdu::new(0x80, 0x10, 0, 0, vec![1; max + 1], None).unwrap();
        assert!(matches!(
            host.wrap_command(&too_long),
            Err(Error::InvalidParameter(_))
        ));
        let extended_le = CommandApdu::new(0x80, 0x10, 0, 0, vec![1], Some(300)).unwrap();
        assert!(host.wrap_command(&extended_le).is_err());
        let channel_4 = CommandApdu::new(0x40, 0x10, 0, 0, vec![1], None).unwrap();
        assert!(matches!(
            host.wrap_command(&channel_4),
            Err(Error::UnsupportedFeature(_))
        ));
        // The session still works in step.
        let command = CommandApdu::new(0x80, 0x10, 0, 0, vec![1; max], Some(256)).unwrap();
        let response = ResponseApdu::new(vec![2; 5], StatusWord::SUCCESS);
        assert_eq!(
            exchange(&mut host, &mut card, &command, &response),
            response
        );
    }
}

#[test]
fn logical_channels_are_kept_but_not_maced() {
    let keys = random_keys(16);
    let (mut host, mut card) = open(&keys, SecurityLevel::Full, ScpOptions::RANDOM_FULL, 0);
    let command = CommandApdu::new(0x82, 0x10, 0, 0, vec![9; 20], None).unwrap();
    let wrapped = host.wrap_command(&command).unwrap();
    assert_eq!(wrapped.cla, 0x86);
    let received = card.unwrap_command(&wrapped).unwrap();
    assert_eq!(received.cla, 0x82);
    assert_eq!(received.data(), command.data());
}

#[test]
fn wrong_keys_or_level_never_open_a_session() {
    let keys = random_keys(16);
    let other = random_keys(16);
    let host = HostHandshake::new(&other).unwrap();
    let (response, _card) = CardHandshake::initialize_update(
        &keys,
        ScpOptions::RANDOM_FULL,
        [0; 10],
        host.initialize_update_command().unwrap().data(),
        [7; 8],
        None,
    )
    .unwrap();
    assert_eq!(
        host.authenticate(
            &ResponseApdu::new(response.to_bytes(), StatusWord::SUCCESS),
            SecurityLevel::CMac
        )
        .unwrap_err(),
        Error::CardCryptogramMismatch
    );
    // A card whose "i" has no R-ENCRYPTION refuses level 33 even with a valid cryptogram.
    let host = HostHandshake::new(&keys).unwrap();
    let no_renc = ScpOptions {
        pseudo_random_challenge: false,
        r_mac: true,
        r_encryption: false,
    };
    let (_, card) = CardHandshake::initialize_update(
        &keys,
        no_renc,
        [0; 10],
        host.initialize_update_command().unwrap().data(),
        [7; 8],
        None,
    )
    .unwrap();
    let (response, _) = CardHandshake::initialize_update(
        &keys,
        ScpOptions::RANDOM_FULL,
        [0; 10],
        host.initialize_update_command().unwrap().data(),
        [7; 8],
        None,
    )
    .unwrap();
    let external = host
        .authenticate(
            &ResponseApdu::new(response.to_bytes(), StatusWord::SUCCESS),
            SecurityLevel::Full,
        )
        .unwrap();
    assert!(matches!(
        card.external_authenticate(external.command()),
        Err(Error::UnsupportedFeature(_))
    ));
    // Host challenges of the wrong length, counters that disagree with "i".
    assert!(matches!(
        CardHandshake::initialize_update(&keys, no_renc, [0; 10], &[0; 7], [0; 8], None),
        Err(Error::MalformedMessage(_))
    ));
    assert!(CardHandshake::initialize_update(
        &keys,
        ScpOptions::PSEUDO_RANDOM_FULL,
        [0; 10],
        &[0; 8],
        [0; 8],
        None
    )
    .is_err());
    assert!(pseudo_random_card_challenge(&keys, [0, 0, 1], &[0xA0; 4]).is_err());
    assert!(pseudo_random_card_challenge(&keys, [0, 0, 1], &[0xA0; 17]).is_err());
}

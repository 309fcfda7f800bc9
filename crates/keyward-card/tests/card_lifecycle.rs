//! The virtual card's lifecycle: the pySim AES-128 sessions replayed at the APDU level against
//! a card with pySim's pseudo-random challenge setup, the sequence counter (persisted, and
//! exhausted), PUT KEY, rejected key imports, READ OUTPUT order, failed writes that leave the
//! state as it was, and corrupt or missing state files.

mod common;

use common::{card_at, ec_key, keys, p384_pkcs8, personalization, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::apdu::{CommandApdu, ResponseApdu, StatusWord};
use keyward_card::card::{Personalization, VirtualCard, DEFAULT_AID};
use keyward_card::channel::SecureChannel;
use keyward_card::instructions::{
    self, PinId, AT_ECDHE_P256, AT_ECDSA_P256, AT_KEYEXCHANGE, AT_SIGNATURE,
};
use keyward_card::scp03::{ScpOptions, SecurityLevel, StaticKeys};
use keyward_card::transport::{InProcess, Transport};
use keyward_card::Error;
use keyward_test_support::TempDir;

const ISD_R_AID: &str = "a0000005591010ffffffff8900000100";

fn transmit(transport: &mut InProcess, hex_command: &str) -> ResponseApdu {
    transport
        .transmit(&CommandApdu::parse(&hex::decode(hex_command).unwrap()).unwrap())
        .unwrap()
}

#[test]
fn replays_pysim_sessions_against_the_card() {
    // (sequence counter before, INITIALIZE UPDATE, its response, EXTERNAL AUTHENTICATE,
    // wrapped GET EID) — pySim SCP03_Test_AES128_11 / _03 / _33.
    let sessions = [
        (
            1,
            "8050300008b13e5f938fc108c400",
            "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
            "84821100107d5f5826a993ebc89eea24957fa0b3ce",
            "84e291000ebf3e035c015a558d036518a2829700",
        ),
        (
            0,
            "80503000088e1552d0513c60f300",
            "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
            "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
            "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
        ),
        (
            2,
            "8050300008fdf38259a1e0de4400",
            "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
            "84823300108c36f96bcc00724a4e13ad591d7da3f0",
            "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
        ),
    ];
    for (counter, init_update, expected, external_authenticate, get_eid) in sessions {
        let card = Personalization::new(keys(16), USER_PIN, b"admin-pin")
            .unwrap()
            .with_aid(&hex::decode(ISD_R_AID).unwrap())
            .unwrap()
            .with_options(ScpOptions::PSEUDO_RANDOM_FULL)
            .with_sequence_counter(counter)
            .unwrap();
        let mut transport = InProcess::new(VirtualCard::in_memory(card).unwrap());
        let response = transmit(&mut transport, init_update);
        assert_eq!(response.sw, StatusWord::SUCCESS);
        assert_eq!(hex::encode(response.data()), expected);
        assert_eq!(
            transport.with_card(|c| c.sequence_counter()).unwrap(),
            counter + 1
        );
        assert_eq!(
            transmit(&mut transport, external_authenticate).sw,
            StatusWord::SUCCESS
        );
        // The card accepts pySim's wrapped GET EID (its C-MAC and, at 03/33, its
        // encryption); the instruction is not one of ours, so the answer is a bare 6D00.
        let answer = transmit(&mut transport, get_eid);
        assert_eq!(answer, ResponseApdu::status(StatusWord::INS_NOT_SUPPORTED));
        assert!(transport
            .with_card(|c| c.security_level())
            .unwrap()
            .is_some());
    }
}

#[test]
fn sequence_counter_persists_and_runs_out() {
    let dir = TempDir::new("counter");
    let path = dir.join("card.state");
    let card = personalization()
        .with_options(ScpOptions::PSEUDO_RANDOM_FULL)
        .with_sequence_counter(0xFF_FFFD)
        .unwrap();
    let transport = InProcess::new(VirtualCard::create(&path, card).unwrap());
    SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    drop(transport);
    let transport = InProcess::new(VirtualCard::open(&path).unwrap());
    assert_eq!(
        transport.with_card(|c| c.sequence_counter()).unwrap(),
        0xFF_FFFE
    );
    SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    // FFFFFF reached: "conditions of use not satisfied" (Amd D §6.2.2.1).
    assert_eq!(
        SecureChannel::open(
            transport.clone(),
            &DEFAULT_AID,
            &keys(16),
            SecurityLevel::Full
        )
        .unwrap_err(),
        Error::CardStatus(StatusWord::CONDITIONS_NOT_SATISFIED)
    );
    assert_eq!(
        transport.with_card(|c| c.sequence_counter()).unwrap(),
        0xFF_FFFF
    );
    assert!(personalization().with_sequence_counter(0x100_0000).is_err());
}

#[test]
fn put_key_replaces_the_keyset() {
    let dir = TempDir::new("putkey");
    let path = dir.join("card.state");
    let card = VirtualCard::create(
        &path,
        personalization()
            .with_options(ScpOptions::PSEUDO_RANDOM_FULL)
            .with_sequence_counter(41)
            .unwrap(),
    )
    .unwrap();
    let transport = InProcess::new(card);
    let old = keys(16);
    for key_len in [24, 32] {
        let new = StaticKeys::new(
            0x30 + key_len as u8 / 8,
            &vec![0x41; key_len],
            &vec![0x42; key_len],
            &vec![0x43; key_len],
        )
        .unwrap();
        let current = if key_len == 24 {
            old.clone()
        } else {
            StaticKeys::new(0x33, &[0x41; 24], &[0x42; 24], &[0x43; 24]).unwrap()
        };
        let mut secure = SecureChannel::open(
            transport.clone(),
            &DEFAULT_AID,
            &current,
            SecurityLevel::CMac,
        )
        .unwrap();
        secure.put_key(&current, &new).unwrap();
        assert_eq!(
            transport.with_card(|c| c.key_version()).unwrap(),
            new.version()
        );
        assert_eq!(transport.with_card(|c| c.sequence_counter()).unwrap(), 0);
        // The old keyset is gone: its key version is unknown now.
        assert_eq!(
            SecureChannel::open(
                transport.clone(),
                &DEFAULT_AID,
                &current,
                SecurityLevel::CMac
            )
            .unwrap_err(),
            Error::CardStatus(StatusWord::REFERENCED_DATA_NOT_FOUND)
        );
        SecureChannel::open(transport.clone(), &DEFAULT_AID, &new, SecurityLevel::Full).unwrap();
    }
    drop(transport);
    // The new keyset survives a restart.
    let transport = InProcess::new(VirtualCard::open(&path).unwrap());
    let newest = StaticKeys::new(0x34, &[0x41; 32], &[0x42; 32], &[0x43; 32]).unwrap();
    let mut secure = SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &newest,
        SecurityLevel::CMac,
    )
    .unwrap();
    // A key check value that does not match: refused, keys unchanged.
    let mut command = instructions::put_key(&newest, &keys(16))
        .unwrap()
        .to_bytes();
    let last = command.len() - 2; // before Le
    command[last] ^= 0x01;
    assert_eq!(
        secure.execute(&CommandApdu::parse(&command).unwrap()),
        Err(Error::InvalidParameter("the card rejected the data"))
    );
    // Another current key version in P1: referenced data not found.
    assert_eq!(
        secure.put_key(&keys(16), &keys(16)),
        Err(Error::NoKeyContainer)
    );
    assert_eq!(transport.with_card(|c| c.key_version()).unwrap(), 0x34);
}

#[test]
fn key_imports_that_the_card_refuses() {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let open = || {
        SecureChannel::open(
            transport.clone(),
            &DEFAULT_AID,
            &keys(16),
            SecurityLevel::Full,
        )
        .unwrap()
    };
    let mut secure = open();
    let rejected = Err(Error::InvalidParameter("the card rejected the data"));
    assert_eq!(
        secure.import_key_pair(0, PinId::User, AT_ECDSA_P256, &p384_pkcs8()),
        rejected
    );
    assert_eq!(
        secure.import_key_pair(0, PinId::User, AT_ECDSA_P256, &rsa_key().1),
        rejected
    );
    assert_eq!(
        secure.import_key_pair(0, PinId::User, AT_SIGNATURE, &ec_key().pkcs8),
        rejected
    );
    assert_eq!(
        secure.import_key_pair(
            0,
            PinId::User,
            AT_ECDHE_P256,
            &[0x30, 0x03, 0x02, 0x01, 0x00]
        ),
        rejected
    );
    assert!(!transport.with_card(|c| c.container_in_use(0)).unwrap());

    // Blocks out of order, or interrupted by another command, are refused.
    let blocks =
        instructions::import_key_pair(2, PinId::User, AT_KEYEXCHANGE, &rsa_key().1).unwrap();
    assert!(blocks.len() > 2);
    assert_eq!(
        secure.execute(&blocks[1]),
        Err(Error::InvalidParameter("the card rejected P1-P2"))
    );
    secure.execute(&blocks[0]).unwrap();
    secure.pin_status(PinId::Admin).unwrap_err();
    assert_eq!(
        secure.execute(&blocks[1]),
        Err(Error::InvalidParameter("the card rejected P1-P2"))
    );
    // Restarting from block 0 works, and another container's block in between is refused.
    secure.execute(&blocks[0]).unwrap();
    let other =
        instructions::import_key_pair(3, PinId::User, AT_KEYEXCHANGE, &rsa_key().1).unwrap();
    assert_eq!(
        secure.execute(&other[1]),
        Err(Error::InvalidParameter("the card rejected P1-P2"))
    );
    assert!(!transport.with_card(|c| c.container_in_use(2)).unwrap());
    for block in &blocks {
        secure.execute(block).unwrap();
    }
    assert!(transport.with_card(|c| c.container_in_use(2)).unwrap());
    // An import replaces the key.
    secure
        .import_key_pair(2, PinId::Admin, AT_ECDHE_P256, &ec_key().pkcs8)
        .unwrap();
    assert_eq!(secure.read_public_key(2).unwrap().key_spec, AT_ECDHE_P256);

    // READ OUTPUT continues only the output of the commands right before it.
    secure.pin_status(PinId::User).unwrap_err();
    assert_eq!(
        secure.execute(&instructions::read_output(0).unwrap()),
        Err(Error::OutOfOrder(
            "the card's conditions of use are not satisfied"
        ))
    );
    let length = instructions::output_length(
        &secure
            .execute(&instructions::read_public_key(2).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        secure.execute(&instructions::read_output(length as u16 + 1).unwrap()),
        Err(Error::InvalidParameter("the card rejected P1-P2"))
    );
}

#[test]
fn failed_writes_leave_the_state_as_it_was() {
    let dir = TempDir::new("readonly");
    let state_dir = dir.join("gone");
    std::fs::create_dir(&state_dir).unwrap();
    let path = state_dir.join("card.state");
    let transport = InProcess::new(card_at(&path));
    let mut secure = SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    // The directory disappears: no write can succeed any more.
    std::fs::remove_dir_all(&state_dir).unwrap();
    let memory_failure = Err(Error::CardStatus(StatusWord::MEMORY_FAILURE));
    assert_eq!(secure.verify_pin(PinId::User, b"0000"), memory_failure);
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
    // A right PIN is charged first too, so it cannot be checked either.
    assert_eq!(secure.verify_pin(PinId::User, USER_PIN), memory_failure);
    assert_eq!(
        secure.import_key_pair(0, PinId::User, AT_ECDSA_P256, &ec_key().pkcs8),
        memory_failure
    );
    assert!(!transport.with_card(|c| c.container_in_use(0)).unwrap());
    assert_eq!(
        secure.change_pin(PinId::User, USER_PIN, b"7777", None),
        memory_failure
    );
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
}

/// Makes `dir` read-only (mode 0500). Root ignores the mode, so when a file can still be
/// created there, the directory is also moved away for as long as the guard lives: either way
/// nothing can be written into it. Dropping the guard makes it writable again.
struct ReadOnly {
    dir: std::path::PathBuf,
    moved: Option<std::path::PathBuf>,
}

impl ReadOnly {
    fn new(dir: &std::path::Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        let probe = dir.join(".probe");
        let moved = std::fs::File::create(&probe).is_ok().then(|| {
            std::fs::remove_file(&probe).unwrap();
            let away = dir.with_extension("away");
            std::fs::rename(dir, &away).unwrap();
            away
        });
        ReadOnly {
            dir: dir.to_path_buf(),
            moved,
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if let Some(away) = &self.moved {
            std::fs::rename(away, &self.dir).unwrap();
        }
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn a_read_only_state_directory_never_bypasses_the_pin_counter() {
    let dir = TempDir::new("pin-counter");
    let state_dir = dir.join("state");
    std::fs::create_dir(&state_dir).unwrap();
    let path = state_dir.join("card.state");
    let transport = InProcess::new(card_at(&path));
    let mut secure = SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    let refused = Err(Error::CardStatus(StatusWord::MEMORY_FAILURE));
    let read_only = ReadOnly::new(&state_dir);
    // Many wrong PINs and the right one: the same refusal, never 63Cx, 6983 or 9000.
    for _ in 0..10 {
        assert_eq!(secure.verify_pin(PinId::User, b"0000"), refused);
        assert_eq!(secure.verify_pin(PinId::User, USER_PIN), refused);
        assert_eq!(secure.verify_pin(PinId::Admin, ADMIN_PIN), refused);
        assert_eq!(
            secure.change_pin(PinId::User, USER_PIN, b"7777", None),
            refused
        );
        assert_eq!(secure.unblock_pin(ADMIN_PIN, b"7777", None), refused);
    }
    assert_eq!(
        secure.pin_status(PinId::User),
        Err(Error::WrongPin {
            attempts_remaining: 3
        })
    );
    drop(read_only);
    // Writable again: the counter was never charged and the PIN never changed.
    assert_eq!(
        secure.verify_pin(PinId::User, b"0000"),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );
    assert_eq!(
        VirtualCard::open(&path)
            .unwrap()
            .pin_attempts_remaining(PinId::User),
        2
    );
    secure.verify_pin(PinId::User, USER_PIN).unwrap();
    assert_eq!(
        VirtualCard::open(&path)
            .unwrap()
            .pin_attempts_remaining(PinId::User),
        3
    );
    secure.pin_status(PinId::User).unwrap();
}

#[test]
fn a_pin_try_is_charged_in_the_file_before_the_compare() {
    // The state on disk after a wrong PIN, a right PIN and a third of two wrong ones.
    let dir = TempDir::new("pin-charge");
    let path = dir.join("card.state");
    let transport = InProcess::new(card_at(&path));
    let mut secure = SecureChannel::open(
        transport.clone(),
        &DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    let on_disk = |pin| {
        VirtualCard::open(&path)
            .unwrap()
            .pin_attempts_remaining(pin)
    };
    assert!(secure.verify_pin(PinId::User, b"0000").is_err());
    assert_eq!(on_disk(PinId::User), 2);
    secure.verify_pin(PinId::User, USER_PIN).unwrap();
    assert_eq!(on_disk(PinId::User), 3);
    for remaining in [2, 1] {
        assert_eq!(
            secure.verify_pin(PinId::User, b"0000"),
            Err(Error::WrongPin {
                attempts_remaining: remaining
            })
        );
    }
    assert_eq!(
        secure.verify_pin(PinId::User, b"0000"),
        Err(Error::PinBlocked)
    );
    assert_eq!(
        secure.verify_pin(PinId::User, USER_PIN),
        Err(Error::PinBlocked)
    );
    assert_eq!(on_disk(PinId::User), 0);
}

#[test]
fn state_files_must_be_whole_and_ours() {
    let dir = TempDir::new("corrupt");
    let path = dir.join("card.state");
    drop(card_at(&path));
    // create refuses to overwrite.
    assert!(matches!(
        VirtualCard::create(&path, personalization()),
        Err(Error::Storage(_))
    ));
    // Nor does it replace whatever else is at the path, such as a dangling symlink (the name
    // exists, though nothing it points to does): checked in the call that creates the file.
    let link = dir.join("link.state");
    std::os::unix::fs::symlink(dir.join("nowhere"), &link).unwrap();
    assert!(matches!(
        VirtualCard::create(&link, personalization()),
        Err(Error::Storage(_))
    ));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!dir.join("nowhere").exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file is left behind"
    );
    let good = std::fs::read(&path).unwrap();
    VirtualCard::open(&path).unwrap();
    let mut cases: Vec<Vec<u8>> = (0..good.len()).map(|len| good[..len].to_vec()).collect();
    let mut trailing = good.clone();
    trailing.push(0);
    cases.push(trailing);
    let mut magic = good.clone();
    magic[0] ^= 0x01;
    cases.push(magic);
    let mut version = good.clone();
    version[7] = 2;
    cases.push(version);
    for (index, bytes) in cases.iter().enumerate() {
        let broken = dir.join(format!("broken-{index}"));
        std::fs::write(&broken, bytes).unwrap();
        assert!(
            matches!(VirtualCard::open(&broken), Err(Error::Storage(_))),
            "case {index}"
        );
    }
    assert!(matches!(
        VirtualCard::open(dir.join("missing")),
        Err(Error::Storage(_))
    ));
}

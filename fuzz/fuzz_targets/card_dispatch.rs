//! The virtual card's command dispatcher, taking APDUs from an untrusted host. Without a
//! secure channel the commands go to the card raw; with one (at the fuzzed level), each
//! command that parses is wrapped by the host side of a real SCP03 session, so the
//! instruction handlers behind the channel are reached. Raw commands may be mixed in.
#![no_main]

use arbitrary::Arbitrary;
use keyward_card::apdu::CommandApdu;
use keyward_card::card::DEFAULT_AID;
use keyward_card::channel::SecureChannel;
use keyward_card::scp03::SecurityLevel;
use keyward_card::transport::{InProcess, Transport};
use keyward_fuzz::{card_keys, virtual_card};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    secure: Option<u8>,
    commands: Vec<(bool, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let transport = InProcess::new(virtual_card());
    let mut raw = transport.clone();
    let mut channel = input.secure.map(|level| {
        let level = SecurityLevel::ALL[usize::from(level) % SecurityLevel::ALL.len()];
        SecureChannel::open(transport.clone(), &DEFAULT_AID, &card_keys(), level)
            .expect("secure channel to the virtual card")
    });
    for (wrapped, command) in input.commands.iter().take(64) {
        match (&mut channel, wrapped) {
            (Some(channel), true) => {
                if let Ok(command) = CommandApdu::parse(command) {
                    let _ = channel.transmit(&command);
                }
            }
            _ => {
                let response = raw.transmit_raw(command).expect("in-process transport");
                assert!(response.len() >= 2, "a response without a status word");
            }
        }
    }
});

//! APDU parsing and the SCP03 unwrap: command and response APDUs as bytes; a card session
//! unwrapping fuzzed commands and a host session unwrapping fuzzed responses, at the fuzzed
//! security level. What parses must encode back to the same bytes.
#![no_main]

use arbitrary::Arbitrary;
use keyward_card::apdu::{CommandApdu, ResponseApdu};
use keyward_card::scp03::{CardSession, HostSession, SecurityLevel};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    level: u8,
    key_len: u8,
    nonce: [u8; 16],
    commands: Vec<&'a [u8]>,
    response: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let level = SecurityLevel::ALL[usize::from(input.level) % SecurityLevel::ALL.len()];
    let key_len = [16, 24, 32][usize::from(input.key_len) % 3];
    let key = vec![0x4B; key_len];
    let mut card = CardSession::from_session_key(&key, &input.nonce, level).expect("card session");
    let host = HostSession::from_session_key(&key, &input.nonce, level).expect("host session");
    for bytes in input.commands.iter().take(16) {
        let Ok(command) = CommandApdu::parse(bytes) else {
            continue;
        };
        let _ = command.to_bytes();
        if let Ok(plain) = card.unwrap_command(&command) {
            let _ = plain.to_bytes();
        }
    }
    if let Ok(response) = ResponseApdu::parse(input.response) {
        assert_eq!(response.to_bytes(), input.response, "response encoding");
        let _ = host.unwrap_response(&response);
        let _ = card.wrap_response(&response);
    }
});

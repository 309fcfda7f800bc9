//! APDU wrap → unwrap is the identity at every SCP03 security level: the host wraps fuzzed
//! commands, the card unwraps them to the same command, wraps a fuzzed response, and the host
//! unwraps that to the same response. Command bytes must also survive encode → parse.
#![no_main]

use arbitrary::Arbitrary;
use keyward_card::apdu::{CommandApdu, ResponseApdu, StatusWord};
use keyward_card::scp03::{CardSession, HostSession, SecurityLevel};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Exchange {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<u16>,
    response: Vec<u8>,
    sw: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    level: u8,
    key: [u8; 32],
    key_len: u8,
    nonce: [u8; 16],
    exchanges: Vec<Exchange>,
}

fuzz_target!(|input: Input| {
    let level = SecurityLevel::ALL[usize::from(input.level) % SecurityLevel::ALL.len()];
    let key = &input.key[..[16, 24, 32][usize::from(input.key_len) % 3]];
    let mut host = HostSession::from_session_key(key, &input.nonce, level).expect("host");
    let mut card = CardSession::from_session_key(key, &input.nonce, level).expect("card");
    for exchange in input.exchanges.iter().take(8) {
        // Secure messaging: the class byte of an interindustry command, without the
        // secure-messaging bit that wrapping sets.
        let cla = exchange.cla & 0x03;
        let le = exchange.le.map(|le| usize::from(le).max(1));
        let Ok(command) = CommandApdu::new(
            cla,
            exchange.ins,
            exchange.p1,
            exchange.p2,
            exchange.data.clone(),
            le,
        ) else {
            continue;
        };
        let reparsed = CommandApdu::parse(&command.to_bytes()).expect("an encoded APDU parses");
        assert_eq!(reparsed, command, "APDU encode → parse");
        let Ok(wrapped) = host.wrap_command(&command) else {
            continue;
        };
        let unwrapped = card
            .unwrap_command(&wrapped)
            .expect("the card unwraps what the host wrapped");
        assert_eq!(unwrapped.data(), command.data(), "command data");
        assert_eq!(
            (unwrapped.ins, unwrapped.p1, unwrapped.p2),
            (command.ins, command.p1, command.p2)
        );
        let sw = StatusWord(exchange.sw);
        let response = ResponseApdu::new(exchange.response.clone(), sw);
        let Ok(protected) = card.wrap_response(&response) else {
            continue;
        };
        let opened = host
            .unwrap_response(&protected)
            .expect("the host unwraps what the card wrapped");
        assert_eq!(opened.sw, response.sw);
        // An error status travels bare (GP Amd D §6.2.5): only success carries data.
        if sw == StatusWord::SUCCESS {
            assert_eq!(opened.data(), response.data(), "response data");
        }
    }
});

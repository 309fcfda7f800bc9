//! vpcd socket framing: the bytes vpcd sends over the socket (2-byte lengths and messages:
//! control codes and APDUs) served by a virtual card; every answer must be a well-framed
//! message.
#![no_main]

use keyward_fuzz::virtual_card;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut card = virtual_card();
    let Ok(answers) = keyward_card::fuzzing::vpcd_exchange(&mut card, data) else {
        return;
    };
    let mut rest = answers.as_slice();
    while let [a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        assert!(len <= tail.len(), "a truncated answer frame");
        rest = &tail[len..];
    }
    assert!(rest.is_empty(), "a stray byte after the answers");
});

//! The virtual card's state file decoder: what decodes must encode and decode to the same
//! encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    keyward_card::fuzzing::card_state_round_trip(data);
});

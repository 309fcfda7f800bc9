//! The relay of the two-process injection (`keyward card inject`): a message file written by
//! the other half (any name after its sequence prefix, any bytes) received through the CLI's
//! directory carrier, then decoded as the CLI decodes that message (keyward-card's
//! `minidriver::relay`). The carrier is compiled in from the CLI's source, since the CLI is a
//! binary; the decoders alone, at full speed, are `relay_messages`.
#![no_main]

#[path = "../../crates/keyward-cli/src/card/relay.rs"]
#[allow(dead_code)]
mod relay;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arbitrary::Arbitrary;
use keyward_card::minidriver::relay::{
    decode_public_key, decode_result, EncryptedData, Establishment, CONTAINER_PUBLIC_KEY,
    ENCRYPTED_DATA, HELLO, RESULT,
};
use libfuzzer_sys::fuzz_target;
use relay::{Half, Relay};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// The file name after `01-server-`.
    name: String,
    bytes: &'a [u8],
    expected: u8,
}

const NAMES: [&str; 5] = [HELLO, CONTAINER_PUBLIC_KEY, ENCRYPTED_DATA, RESULT, "abort"];

/// Decodes a received message as the CLI does, by its name.
fn decode(name: &str, bytes: &[u8]) {
    match name {
        HELLO => drop(Establishment::from_message(bytes)),
        CONTAINER_PUBLIC_KEY => drop(decode_public_key(bytes)),
        ENCRYPTED_DATA => drop(EncryptedData::from_message(bytes)),
        RESULT => drop(decode_result(bytes)),
        _ => {}
    }
}

fuzz_target!(|input: Input<'_>| {
    // One file name component only: the carrier writes and reads names in one directory.
    if input.name.contains(['/', '\0']) || input.name.len() > 200 {
        return;
    }
    static RUN: AtomicU64 = AtomicU64::new(0);
    let dir =
        keyward_fuzz::store_dir().join(format!("relay-{}", RUN.fetch_add(1, Ordering::Relaxed)));
    let Ok(mut client) = Relay::directory(Half::Client, &dir, Duration::from_millis(1)) else {
        return;
    };
    if std::fs::write(dir.join(format!("01-server-{}", input.name)), input.bytes).is_ok() {
        let expected = NAMES[usize::from(input.expected) % NAMES.len()];
        if let Ok(bytes) = client.receive(expected) {
            assert_eq!(bytes, input.bytes);
            assert_eq!(input.name, expected);
            decode(expected, &bytes);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
});

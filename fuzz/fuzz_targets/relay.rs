//! The relay messages of the two-process injection (`keyward card inject`): a message file
//! written by the other half (any name after its sequence prefix, any bytes) received through
//! the directory carrier, and the length-prefixed fields the CLI reads out of messages
//! (the container's public key, the encrypted-data message). The relay module is compiled in
//! from the CLI's source, since the CLI is a binary.
#![no_main]

#[path = "../../crates/keyward-cli/src/card/relay.rs"]
#[allow(dead_code)]
mod relay;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use keyward_core::codec::Reader;
use relay::{Half, Relay};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// The file name after `01-server-`.
    name: String,
    bytes: &'a [u8],
    expected: u8,
}

const NAMES: [&str; 4] = ["hello", "container-public-key", "encrypted-data", "abort"];

/// Reads fields as the CLI's decoders do: a kind byte and fields, or fields to the end.
fn fields(bytes: &[u8]) {
    let malformed = relay::malformed("the container's public key");
    let mut key = Reader::new(bytes);
    if key.u8().is_ok() {
        let _ = key
            .vec_u32()
            .and_then(|_| key.vec_u32())
            .and_then(|_| key.finish())
            .map_err(malformed);
    }
    let mut data = Reader::new(bytes);
    while !data.is_empty() {
        if data.vec_u32().is_err() {
            break;
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    fields(input.bytes);
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
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
});

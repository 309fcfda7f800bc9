//! Test fixtures shared by the keyward crates' tests. This crate is a dev-dependency only
//! (`publish = false`); nothing in a shipped crate depends on it.
//!
//! - [`TempDir`]: a fresh private directory for a key store, a `KEYWARD_HOME` or a card state
//!   file, removed when the test is done with it;
//! - [`unhex`] and [`hex`]: hexadecimal text to bytes and back;
//! - [`vectors::run`]: the one reader of the `name = value` vector files under `testdata/`
//!   (NIST CAVP `.rsp`, BoringSSL/AWS-LC cipher tests, pyca's text vectors), in the manner of
//!   ring's `test::run`;
//! - [`testdata`], [`read_testdata`] and [`json`]: the files under the repository's
//!   `testdata/` (provenance in `testdata/SOURCES.md`);
//! - [`memcheck`]: marking secret bytes for Valgrind's constant-time check
//!   (`scripts/constant-time`);
//! - [`memory_scan`]: searching a live process's memory (`/proc/PID/mem`) for private key
//!   parts and handshake secrets, the keyiso tests' proof that keys stay out.
//!
//! Every helper panics with a message naming its input on bad input: these are test fixtures,
//! and a panic is how a test fails.
//!
//! It depends on no keyward crate, so keyward-core's own unit tests can use it too.

// Only `memcheck` has unsafe code (Cargo.toml denies it elsewhere): Valgrind's client
// request is an `asm!` block.

mod hex;
pub mod memcheck;
#[cfg(target_os = "linux")]
pub mod memory_scan;
mod temp;
pub mod vectors;

pub use hex::{hex, unhex, unhex_number};
pub use temp::TempDir;

use std::path::PathBuf;

/// The path of `path` under the repository's `testdata/` directory.
pub fn testdata(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(path)
}

/// The text of the file `path` under `testdata/`; panics naming the file if it cannot be read.
pub fn read_testdata(path: &str) -> String {
    let full = testdata(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The JSON file `path` under `testdata/` (the Wycheproof files, the generated known answers).
pub fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&read_testdata(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

//! The wire format of TLS 1.2 and TLS 1.3 (RFC 5246 §4, RFC 8446 §3): the enumerations and
//! every handshake message the engine sends or reads, over keyward-core's checked
//! [`Reader`], length-prefixed writers and [`Codec`] trait (re-exported here).
//!
//! Parsing never panics: every length is checked against what is left, and a message must
//! use all of its bytes. Malformed input is [`Error::Decode`] (`decode_error`); a value that
//! parses but is not allowed is [`Error::IllegalParameter`].

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod enums;
pub mod extensions;
pub mod handshake;
pub mod hello;

#[cfg(test)]
mod tests;

use crate::error::Error;

pub use keyward_core::codec::{
    put_prefixed, put_u16, put_u24, put_u32, put_u8, put_vec_u16, put_vec_u24, put_vec_u8, Codec,
    LengthPrefix, Reader,
};

/// A reader's error is `decode_error`: the message is cut short, runs past its end, or holds a
/// list of the wrong length.
impl From<keyward_core::codec::Error> for Error {
    fn from(error: keyward_core::codec::Error) -> Self {
        use keyward_core::codec::Error as Codec;
        match error {
            Codec::Truncated => Error::Decode("truncated message"),
            Codec::TrailingBytes => Error::Decode("trailing bytes in message"),
            Codec::BadListLength => Error::Decode("bad uint16 list length"),
            Codec::TooLong => Error::General("value too long for its length prefix"),
        }
    }
}

/// Appends `bytes` with a length prefix of `prefix`, or fails, writing nothing, when they are
/// longer than the prefix can say: for values whose length the engine does not bound
/// beforehand (what a ticket keeps of the client's hello), where truncating would silently
/// change them.
pub fn put_vec_exact(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) -> Result<(), Error> {
    Ok(keyward_core::codec::put_vec_exact(out, prefix, bytes)?)
}

//! The wire format of TLS 1.2 and TLS 1.3 (RFC 5246 §4, RFC 8446 §3): a checked reader, the
//! length-prefixed writers, the enumerations, and every handshake message the engine sends or
//! reads.
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

/// A checked cursor over received bytes.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The error of reading past the end.
const TRUNCATED: Error = Error::Decode("truncated message");

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self.at.checked_add(len).ok_or(TRUNCATED)?;
        let out = self.bytes.get(self.at..end).ok_or(TRUNCATED)?;
        self.at = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| TRUNCATED)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    /// A big-endian `uint16`.
    pub fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A big-endian `uint24`.
    pub fn u24(&mut self) -> Result<usize, Error> {
        let [a, b, c] = self.array::<3>()?;
        Ok(usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c))
    }

    /// A big-endian `uint32`.
    pub fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// `opaque data<0..2^8-1>`.
    pub fn vec_u8(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    /// `opaque data<0..2^16-1>`.
    pub fn vec_u16(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// `opaque data<0..2^24-1>`.
    pub fn vec_u24(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u24()?;
        self.take(len)
    }

    /// A `uint8`-length-prefixed vector as its own reader.
    pub fn sub_u8(&mut self) -> Result<Reader<'a>, Error> {
        self.vec_u8().map(Reader::new)
    }

    /// A `uint16`-length-prefixed vector as its own reader.
    pub fn sub_u16(&mut self) -> Result<Reader<'a>, Error> {
        self.vec_u16().map(Reader::new)
    }

    /// A `uint24`-length-prefixed vector as its own reader.
    pub fn sub_u24(&mut self) -> Result<Reader<'a>, Error> {
        self.vec_u24().map(Reader::new)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.at..).unwrap_or(&[]);
        self.at = self.bytes.len();
        rest
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Fails with `decode_error` when bytes are left over.
    pub fn finish(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Decode("trailing bytes in message"))
        }
    }

    /// A list of `uint16` values filling this reader, with its allowed byte-length range.
    pub fn u16_list(mut self, min_bytes: usize) -> Result<Vec<u16>, Error> {
        if self.remaining() < min_bytes || self.remaining() % 2 != 0 {
            return Err(Error::Decode("bad uint16 list length"));
        }
        let mut out = Vec::with_capacity(self.remaining() / 2);
        while !self.is_empty() {
            out.push(self.u16()?);
        }
        Ok(out)
    }
}

/// Appends one byte.
pub fn put_u8(out: &mut Vec<u8>, value: u8) {
    out.push(value);
}

/// Appends a big-endian `uint16`.
pub fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends a big-endian `uint24` (values above 2^24-1 are clamped; callers bound lengths).
pub fn put_u24(out: &mut Vec<u8>, value: usize) {
    let value = value.min(0xFF_FFFF);
    out.extend_from_slice(&[(value >> 16) as u8, (value >> 8) as u8, value as u8]);
}

/// Appends a big-endian `uint32`.
pub fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// The size of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthPrefix {
    /// One byte.
    U8,
    /// Two bytes.
    U16,
    /// Three bytes.
    U24,
}

impl LengthPrefix {
    fn len(self) -> usize {
        match self {
            LengthPrefix::U8 => 1,
            LengthPrefix::U16 => 2,
            LengthPrefix::U24 => 3,
        }
    }

    fn max(self) -> usize {
        match self {
            LengthPrefix::U8 => 0xFF,
            LengthPrefix::U16 => 0xFFFF,
            LengthPrefix::U24 => 0xFF_FFFF,
        }
    }
}

/// Appends a length-prefixed vector whose body `body` writes. Bodies longer than the prefix
/// allows are truncated to it (the engine bounds what it encodes: configuration checks
/// protocol names and certificate sizes), so the output always parses.
pub fn put_prefixed(out: &mut Vec<u8>, prefix: LengthPrefix, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend(std::iter::repeat_n(0u8, prefix.len()));
    body(out);
    let body_start = start + prefix.len();
    let mut len = out.len() - body_start;
    if len > prefix.max() {
        out.truncate(body_start + prefix.max());
        len = prefix.max();
    }
    let bytes = (len as u32).to_be_bytes();
    let value = bytes.get(4 - prefix.len()..);
    if let (Some(slot), Some(value)) = (out.get_mut(start..body_start), value) {
        slot.copy_from_slice(value);
    }
}

/// Appends `bytes` with a length prefix of `prefix`, or fails, writing nothing, when they are
/// longer than the prefix can say: for values whose length the engine does not bound
/// beforehand (what a ticket keeps of the client's hello), where truncating would silently
/// change them.
pub fn put_vec_exact(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() > prefix.max() {
        return Err(Error::General("value too long for its length prefix"));
    }
    put_prefixed(out, prefix, |o| o.extend_from_slice(bytes));
    Ok(())
}

/// Appends `bytes` with a one-byte length prefix.
pub fn put_vec_u8(out: &mut Vec<u8>, bytes: &[u8]) {
    put_prefixed(out, LengthPrefix::U8, |o| o.extend_from_slice(bytes));
}

/// Appends `bytes` with a two-byte length prefix.
pub fn put_vec_u16(out: &mut Vec<u8>, bytes: &[u8]) {
    put_prefixed(out, LengthPrefix::U16, |o| o.extend_from_slice(bytes));
}

/// Appends `bytes` with a three-byte length prefix.
pub fn put_vec_u24(out: &mut Vec<u8>, bytes: &[u8]) {
    put_prefixed(out, LengthPrefix::U24, |o| o.extend_from_slice(bytes));
}

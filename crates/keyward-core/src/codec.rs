//! The one byte reader and the one [`Codec`] trait every keyward wire and file format uses:
//! TLS messages (RFC 8446 §3, RFC 5246 §4), CNG key blobs, the virtual card's state file, the
//! OPM structures and the card relay's messages.
//!
//! A [`Reader`] is a checked cursor over received bytes. It never panics: every length is
//! checked against what is left, and reading past the end is [`Error::Truncated`]. A format
//! that must use all of its bytes ends with [`Reader::finish`] ([`Error::TrailingBytes`]).
//! Integers are big-endian (`u16`, `u24`, `u32`, as TLS and the card formats write them) or
//! little-endian (`u16_le`, `u32_le`, the Windows `USHORT`/`ULONG` of CNG blobs and OPM).
//!
//! These errors say only what went wrong with the bytes. Each format maps them, with
//! `From<codec::Error>`, to its own documented status (`decode_error` in TLS, `NTE_BAD_DATA`
//! for key blobs, `E_INVALIDARG` for OPM structures, ...), so a caller sees the same status
//! for bad input whichever reader found it.
//!
//! The writers (`put_*`) append big-endian integers and length-prefixed vectors to a
//! `Vec<u8>`; a prefixed body longer than its prefix allows is cut to the prefix's maximum,
//! so what is written always parses.
//!
//! ```
//! use keyward_core::codec::{self, put_vec_u16, Codec, Reader};
//!
//! /// `opaque name<0..2^16-1>; uint8 flags;`
//! #[derive(Debug, PartialEq)]
//! struct Entry {
//!     name: Vec<u8>,
//!     flags: u8,
//! }
//!
//! impl Codec for Entry {
//!     type Error = codec::Error;
//!
//!     fn encode(&self, out: &mut Vec<u8>) {
//!         put_vec_u16(out, &self.name);
//!         out.push(self.flags);
//!     }
//!
//!     fn read(reader: &mut Reader<'_>) -> Result<Self, codec::Error> {
//!         Ok(Entry { name: reader.vec_u16()?.to_vec(), flags: reader.u8()? })
//!     }
//! }
//!
//! let entry = Entry { name: b"abc".to_vec(), flags: 7 };
//! let bytes = entry.to_vec();
//! assert_eq!(bytes, [0, 3, b'a', b'b', b'c', 7]);
//! assert_eq!(Entry::decode(&bytes), Ok(entry));
//! assert_eq!(Entry::decode(&bytes[..5]), Err(codec::Error::Truncated));
//! assert_eq!(Entry::decode(&[0, 0, 0, 0]), Err(codec::Error::TrailingBytes));
//! ```

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

/// What is wrong with bytes a [`Reader`] read. Each format maps it to its own status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A read needed more bytes than are left.
    Truncated,
    /// Bytes are left after the end of the format ([`Reader::finish`]).
    TrailingBytes,
    /// A list's byte length is out of its range or not a whole number of items
    /// ([`Reader::u16_list`]).
    BadListLength,
    /// A value is longer than its length prefix can say ([`put_vec_exact`]).
    TooLong,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::TrailingBytes => "trailing bytes",
            Error::BadListLength => "bad list length",
            Error::TooLong => "value too long for its length prefix",
        })
    }
}

impl std::error::Error for Error {}

/// A value with one byte encoding: written by [`Codec::encode`], read back by [`Codec::read`].
pub trait Codec: Sized {
    /// The error a bad encoding gives: the format's own error, which a reader's [`Error`]
    /// converts into.
    type Error: From<Error>;

    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from the front of `reader`, leaving the reader after it.
    fn read(reader: &mut Reader<'_>) -> Result<Self, Self::Error>;

    /// The encoding of `self` in a new vector.
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads one value that must fill `bytes` exactly.
    fn decode(bytes: &[u8]) -> Result<Self, Self::Error> {
        let mut reader = Reader::new(bytes);
        let value = Self::read(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

/// A checked cursor over received bytes.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self.at.checked_add(len).ok_or(Error::Truncated)?;
        let out = self.bytes.get(self.at..end).ok_or(Error::Truncated)?;
        self.at = end;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| Error::Truncated)
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

    /// A little-endian `USHORT`.
    pub fn u16_le(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// A little-endian `ULONG`.
    pub fn u32_le(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// `opaque data<0..2^8-1>`: bytes after a one-byte length.
    pub fn vec_u8(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u8()?;
        self.take(usize::from(len))
    }

    /// `opaque data<0..2^16-1>`: bytes after a big-endian two-byte length.
    pub fn vec_u16(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// `opaque data<0..2^24-1>`: bytes after a big-endian three-byte length.
    pub fn vec_u24(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u24()?;
        self.take(len)
    }

    /// Bytes after a big-endian four-byte length.
    pub fn vec_u32(&mut self) -> Result<&'a [u8], Error> {
        let len = usize::try_from(self.u32()?).map_err(|_| Error::Truncated)?;
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

    /// [`Error::TrailingBytes`] when bytes are left over.
    pub fn finish(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes)
        }
    }

    /// A list of big-endian `uint16` values filling this reader, at least `min_bytes` long;
    /// a length below that or odd is [`Error::BadListLength`].
    pub fn u16_list(mut self, min_bytes: usize) -> Result<Vec<u16>, Error> {
        if self.remaining() < min_bytes || self.remaining() % 2 != 0 {
            return Err(Error::BadListLength);
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

/// Appends a little-endian `ULONG`.
pub fn put_u32_le(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
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
    /// Four bytes.
    U32,
}

impl LengthPrefix {
    fn len(self) -> usize {
        match self {
            LengthPrefix::U8 => 1,
            LengthPrefix::U16 => 2,
            LengthPrefix::U24 => 3,
            LengthPrefix::U32 => 4,
        }
    }

    fn max(self) -> usize {
        match self {
            LengthPrefix::U8 => 0xFF,
            LengthPrefix::U16 => 0xFFFF,
            LengthPrefix::U24 => 0xFF_FFFF,
            LengthPrefix::U32 => usize::try_from(u32::MAX).unwrap_or(usize::MAX),
        }
    }
}

/// Appends a big-endian length-prefixed vector whose body `body` writes. Bodies longer than
/// the prefix allows are cut to it (callers bound what they encode), so the output always
/// parses.
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
    let bytes = (len as u64).to_be_bytes();
    let value = bytes.get(8 - prefix.len()..);
    if let (Some(slot), Some(value)) = (out.get_mut(start..body_start), value) {
        slot.copy_from_slice(value);
    }
}

/// Appends `bytes` with a length prefix of `prefix`, or fails with [`Error::TooLong`],
/// writing nothing, when they are longer than the prefix can say: for values whose length
/// is not bounded beforehand, where cutting would silently change them.
pub fn put_vec_exact(out: &mut Vec<u8>, prefix: LengthPrefix, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() > prefix.max() {
        return Err(Error::TooLong);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_in_both_byte_orders() {
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u24(), Ok(0x04_0506));
        assert_eq!(r.u32(), Ok(0x0708_090A));
        assert_eq!(r.u16_le(), Ok(0x0C0B));
        assert_eq!(r.position(), 12);
        assert_eq!(r.u32_le(), Ok(0x100F_0E0D));
        assert!(r.is_empty());
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn reading_past_the_end_is_truncated_and_consumes_nothing() {
        let bytes = [0xAA, 0xBB, 0xCC];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u32(), Err(Error::Truncated));
        assert_eq!(r.u32_le(), Err(Error::Truncated));
        assert_eq!(r.take(4), Err(Error::Truncated));
        assert_eq!(r.take(usize::MAX), Err(Error::Truncated));
        assert_eq!(r.remaining(), 3);
        assert_eq!(r.u24(), Ok(0xAA_BBCC));
        assert_eq!(r.u8(), Err(Error::Truncated));
        assert_eq!(r.rest(), &[] as &[u8]);
    }

    #[test]
    fn length_prefixed_vectors_and_sub_readers() {
        let bytes = [2, 9, 8, 0, 1, 7, 0, 0, 2, 5, 6, 0, 0, 0, 1, 4, 0xEE];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.vec_u8(), Ok(&[9, 8][..]));
        let mut sub = r.sub_u16().unwrap();
        assert_eq!(sub.u8(), Ok(7));
        assert_eq!(sub.finish(), Ok(()));
        assert_eq!(r.vec_u24(), Ok(&[5, 6][..]));
        assert_eq!(r.vec_u32(), Ok(&[4][..]));
        assert_eq!(r.finish(), Err(Error::TrailingBytes));
        assert_eq!(r.rest(), &[0xEE]);
        assert_eq!(r.finish(), Ok(()));

        // A length longer than what follows.
        assert_eq!(Reader::new(&[3, 1, 2]).vec_u8(), Err(Error::Truncated));
        assert_eq!(
            Reader::new(&[0, 3, 1]).sub_u16().err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            Reader::new(&[0, 0, 1]).sub_u24().err(),
            Some(Error::Truncated)
        );
        assert_eq!(Reader::new(&[1]).sub_u8().err(), Some(Error::Truncated));
        assert_eq!(
            Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]).vec_u32(),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn u16_lists_need_a_whole_number_of_items_and_their_minimum() {
        assert_eq!(Reader::new(&[0, 1, 0, 2]).u16_list(2), Ok(vec![1, 2]));
        assert_eq!(
            Reader::new(&[0, 1, 0]).u16_list(2),
            Err(Error::BadListLength)
        );
        assert_eq!(Reader::new(&[]).u16_list(2), Err(Error::BadListLength));
        assert_eq!(Reader::new(&[]).u16_list(0), Ok(vec![]));
    }

    #[test]
    fn writers_round_trip_through_the_reader() {
        let mut out = Vec::new();
        put_u8(&mut out, 1);
        put_u16(&mut out, 0x0203);
        put_u24(&mut out, 0x04_0506);
        put_u32(&mut out, 0x0708_090A);
        put_u32_le(&mut out, 0x0E0D_0C0B);
        put_vec_u8(&mut out, b"a");
        put_vec_u16(&mut out, b"bc");
        put_vec_u24(&mut out, b"def");
        put_vec_exact(&mut out, LengthPrefix::U32, b"g").unwrap();
        let mut r = Reader::new(&out);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u24(), Ok(0x04_0506));
        assert_eq!(r.u32(), Ok(0x0708_090A));
        assert_eq!(r.u32_le(), Ok(0x0E0D_0C0B));
        assert_eq!(r.vec_u8(), Ok(&b"a"[..]));
        assert_eq!(r.vec_u16(), Ok(&b"bc"[..]));
        assert_eq!(r.vec_u24(), Ok(&b"def"[..]));
        assert_eq!(r.vec_u32(), Ok(&b"g"[..]));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn oversized_bodies_are_cut_or_refused() {
        let mut out = Vec::new();
        put_vec_u8(&mut out, &[7; 300]);
        assert_eq!(out.len(), 1 + 255);
        assert_eq!(Reader::new(&out).vec_u8().map(<[u8]>::len), Ok(255));

        let mut out = vec![9];
        assert_eq!(
            put_vec_exact(&mut out, LengthPrefix::U8, &[0; 256]),
            Err(Error::TooLong)
        );
        assert_eq!(out, [9]);
        put_u24(&mut out, usize::MAX);
        assert_eq!(out, [9, 0xFF, 0xFF, 0xFF]);
    }

    /// `uint16 id; opaque data<1..2^8-1>;`
    #[derive(Debug, PartialEq)]
    struct Item {
        id: u16,
        data: Vec<u8>,
    }

    impl Codec for Item {
        type Error = Error;

        fn encode(&self, out: &mut Vec<u8>) {
            put_u16(out, self.id);
            put_vec_u8(out, &self.data);
        }

        fn read(reader: &mut Reader<'_>) -> Result<Self, Error> {
            Ok(Item {
                id: reader.u16()?,
                data: reader.vec_u8()?.to_vec(),
            })
        }
    }

    #[test]
    fn codec_values_round_trip_and_decode_needs_every_byte() {
        let item = Item {
            id: 0x1234,
            data: vec![1, 2],
        };
        let bytes = item.to_vec();
        assert_eq!(bytes, [0x12, 0x34, 2, 1, 2]);
        assert_eq!(Item::decode(&bytes), Ok(item));
        assert_eq!(Item::decode(&bytes[..4]), Err(Error::Truncated));
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(Item::decode(&long), Err(Error::TrailingBytes));
        let mut r = Reader::new(&long);
        assert!(Item::read(&mut r).is_ok());
        assert_eq!(r.remaining(), 1);
    }
}

//! Framing received bytes into records (RFC 5246 §6.2.1, RFC 8446 §5.1).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io;

use super::{HEADER_LEN, MAX_CIPHERTEXT_LEN_TLS12};
use crate::codec::enums::ContentType;
use crate::error::Error;

/// The most received bytes held before they are processed: a few whole records.
const MAX_BUFFERED: usize = 4 * (HEADER_LEN + MAX_CIPHERTEXT_LEN_TLS12);
/// How much a read asks for when no record is under way, and so the least room a read
/// prepares: a handshake flight fits, and a fresh or just-released buffer is not zeroed for
/// a whole 16 KiB record the peer may never send.
const FIRST_READ: usize = 4096;

/// One complete record as received, header and body, in the deframer's own buffer: it is
/// unprotected where it lies.
#[derive(Debug, PartialEq, Eq)]
pub struct OpaqueRecord<'a> {
    bytes: &'a mut [u8],
}

impl<'a> OpaqueRecord<'a> {
    /// The content type of the header (already checked to be a known one).
    pub fn content_type(&self) -> ContentType {
        ContentType::from_wire(self.bytes.first().copied().unwrap_or(0))
    }

    /// The whole record, header included (what the provider decrypts).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
    }

    /// The body length.
    pub fn body_len(&self) -> usize {
        self.bytes.len().saturating_sub(HEADER_LEN)
    }

    /// The body, without the header.
    pub fn body(&self) -> &[u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }

    /// The whole record, for unprotecting in place.
    pub fn into_bytes(self) -> &'a mut [u8] {
        self.bytes
    }

    /// The body, for a record read before any key.
    pub fn into_body(self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }
}

/// Accumulates received bytes and cuts whole records out of them, in place: a record is
/// unprotected in this buffer, so steady traffic neither allocates nor copies per record.
#[derive(Debug, Default)]
pub struct Deframer {
    /// Received bytes are `buf[used..filled]`; the rest of `buf` is initialised room for the
    /// next read, so that reads do not zero it again.
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out.
    used: usize,
    /// End of the received bytes in `buf`.
    filled: usize,
}

impl Deframer {
    /// Reads from the transport once. `Ok(0)` is the transport's end of file. Fails with
    /// `Other` when enough is buffered already (process it first).
    pub fn read(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        self.compact();
        if self.filled >= MAX_BUFFERED {
            return Err(io::Error::other(
                "received data buffer is full: call process_new_packets",
            ));
        }
        // As much room as is initialised already, and at least what the record under way
        // still needs: the buffer grows to the records the peer sends, and is zeroed once.
        let room = self.buf.len() - self.filled;
        let want = room
            .max(self.rest_of_record())
            .max(FIRST_READ)
            .min(MAX_BUFFERED - self.filled);
        if self.buf.len() < self.filled + want {
            self.buf.resize(self.filled + want, 0);
        }
        let room = self
            .buf
            .get_mut(self.filled..self.filled + want)
            .unwrap_or_default();
        let result = rd.read(room);
        let n = match &result {
            Ok(n) => (*n).min(want),
            Err(_) => 0,
        };
        self.filled += n;
        result.map(|_| n)
    }

    /// The bytes still missing of the record whose header is buffered (0 without a header).
    fn rest_of_record(&self) -> usize {
        let pending = self.buf.get(self.used..self.filled).unwrap_or(&[]);
        match pending.first_chunk::<HEADER_LEN>() {
            Some(&[_, _, _, l0, l1]) => (HEADER_LEN + usize::from(u16::from_be_bytes([l0, l1])))
                .saturating_sub(pending.len()),
            None => 0,
        }
    }

    /// Adds received bytes directly (tests and callers that already hold them).
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.truncate(self.filled);
        self.buf.extend_from_slice(bytes);
        self.filled = self.buf.len();
    }

    /// Moves the bytes not yet handed out to the front of the buffer.
    fn compact(&mut self) {
        if self.used > 0 {
            self.buf.copy_within(self.used..self.filled, 0);
            self.filled -= self.used;
            self.used = 0;
        }
    }

    /// Frees the buffer if nothing is pending (an idle connection keeps no read buffer).
    pub fn release_if_empty(&mut self) {
        if !self.has_partial() {
            *self = Deframer::default();
        }
    }

    /// The read buffer's allocation (tests of memory per idle connection).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// True when bytes of an incomplete record are buffered.
    pub fn has_partial(&self) -> bool {
        self.filled > self.used
    }

    /// The next whole record, `Ok(None)` when more bytes are needed. The header is checked
    /// first: an unknown content type is `unexpected_message`, a version not 3.x is
    /// `decode_error`, a length over 2^14 + 2048 is `record_overflow`.
    pub fn pop(&mut self) -> Result<Option<OpaqueRecord<'_>>, Error> {
        let pending = self.buf.get(self.used..self.filled).unwrap_or(&[]);
        let Some(&[content_type, major, _, l0, l1]) = pending.first_chunk::<HEADER_LEN>() else {
            if let Some(&first) = pending.first() {
                check_content_type(first)?;
            }
            return Ok(None);
        };
        check_content_type(content_type)?;
        if major != 3 {
            return Err(Error::Decode("record version is not TLS"));
        }
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len > MAX_CIPHERTEXT_LEN_TLS12 {
            return Err(Error::RecordOverflow);
        }
        let start = self.used;
        let end = start + HEADER_LEN + len;
        if end > self.filled {
            return Ok(None);
        }
        self.used = end;
        Ok(self
            .buf
            .get_mut(start..end)
            .map(|bytes| OpaqueRecord { bytes }))
    }
}

fn check_content_type(byte: u8) -> Result<(), Error> {
    match ContentType::from_wire(byte) {
        ContentType::Unknown(_) => Err(Error::UnexpectedMessage("unknown record type")),
        _ => Ok(()),
    }
}

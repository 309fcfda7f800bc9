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
/// How much one `read_tls` asks the transport for.
const READ_CHUNK: usize = HEADER_LEN + MAX_CIPHERTEXT_LEN_TLS12;

/// One complete record as received: header and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueRecord {
    bytes: Vec<u8>,
}

impl OpaqueRecord {
    /// The content type of the header (already checked to be a known one).
    pub fn content_type(&self) -> ContentType {
        ContentType::from_wire(self.bytes.first().copied().unwrap_or(0))
    }

    /// The whole record, header included (what the provider decrypts).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The body length.
    pub fn body_len(&self) -> usize {
        self.bytes.len().saturating_sub(HEADER_LEN)
    }

    /// The whole record, header included, as its own buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The body, without the header.
    pub fn into_body(mut self) -> Vec<u8> {
        self.bytes.drain(..HEADER_LEN.min(self.bytes.len()));
        self.bytes
    }
}

/// Accumulates received bytes and cuts whole records out of them.
#[derive(Debug, Default)]
pub struct Deframer {
    /// Received bytes are `buf[used..filled]`; the rest of `buf` is zeroed room for the next
    /// read, kept initialised so that reads do not zero it again.
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
        let want = READ_CHUNK.min(MAX_BUFFERED - self.filled);
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
        if self.filled == 0 {
            // Nothing came (would block, or end of file): an idle connection keeps no buffer.
            self.buf = Vec::new();
        }
        result.map(|_| n)
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
    pub fn pop(&mut self) -> Result<Option<OpaqueRecord>, Error> {
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
        let record_len = HEADER_LEN + len;
        if pending.len() < record_len {
            return Ok(None);
        }
        Ok(Some(OpaqueRecord {
            bytes: self.take(record_len),
        }))
    }

    /// Hands out the next `len` buffered bytes. The last record of the buffer takes the
    /// buffer with it (moved, not copied, when it is the whole buffer), so that a deframer
    /// with nothing pending holds no memory: an idle connection keeps no read buffer.
    fn take(&mut self, len: usize) -> Vec<u8> {
        let end = self.used + len;
        if end < self.filled {
            let bytes = self.buf.get(self.used..end).unwrap_or_default().to_vec();
            self.used = end;
            return bytes;
        }
        let mut bytes = std::mem::take(&mut self.buf);
        bytes.truncate(end);
        bytes.drain(..self.used);
        self.used = 0;
        self.filled = 0;
        bytes
    }
}

fn check_content_type(byte: u8) -> Result<(), Error> {
    match ContentType::from_wire(byte) {
        ContentType::Unknown(_) => Err(Error::UnexpectedMessage("unknown record type")),
        _ => Ok(()),
    }
}

//! A byte queue in one buffer: the records waiting for the transport, and the plaintext
//! waiting for the application. Records are sealed where they will be sent and plaintext
//! is copied in once, so steady traffic allocates nothing: the buffer keeps its size until
//! the connection is idle ([`ByteQueue::release_if_empty`]).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io;

/// Bytes in order: `buf[start..end]` waits; the rest of `buf` is initialised room.
#[derive(Debug, Default)]
pub struct ByteQueue {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ByteQueue {
    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Appends `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        self.reserve(len).copy_from_slice(bytes);
        self.commit(len);
    }

    /// Makes sure `len` more bytes will fit without the buffer growing again: a burst of
    /// records is then sealed into one allocation of its size instead of one that doubles
    /// (and copies what it holds) as the records come.
    pub fn expect(&mut self, len: usize) {
        self.compact_for(len);
        let needed = (self.end + len).saturating_sub(self.buf.len());
        self.buf.reserve_exact(needed);
    }

    /// Room for `len` more bytes at the end, to be written and then [`ByteQueue::commit`]ted
    /// (what is not committed is not queued). Its content is arbitrary.
    pub fn reserve(&mut self, len: usize) -> &mut [u8] {
        self.compact_for(len);
        if self.buf.len() < self.end + len {
            self.buf.resize(self.end + len, 0);
        }
        self.buf
            .get_mut(self.end..self.end + len)
            .unwrap_or_default()
    }

    /// Moves what waits to the front when `len` more bytes would not fit behind it.
    fn compact_for(&mut self, len: usize) {
        if self.is_empty() {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.end + len > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Queues the first `len` bytes of the room [`ByteQueue::reserve`] gave.
    pub fn commit(&mut self, len: usize) {
        self.end = (self.end + len).min(self.buf.len());
    }

    /// Copies out as much as fits in `out`; returns how much.
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let waiting = self.buf.get(self.start..self.end).unwrap_or_default();
        let n = waiting.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), waiting.get(..n)) {
            to.copy_from_slice(from);
        }
        self.start += n;
        n
    }

    /// Writes what it can to `wr`; returns the number of bytes written. A transport that
    /// would block after taking some is not an error.
    pub fn write_to(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let mut total = 0;
        while !self.is_empty() {
            let waiting = self.buf.get(self.start..self.end).unwrap_or_default();
            let n = match wr.write(waiting) {
                Ok(n) => n.min(waiting.len()),
                Err(e) if total > 0 && e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            total += n;
            self.start += n;
        }
        Ok(total)
    }

    /// Frees the buffer when nothing waits (an idle connection keeps no buffers).
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            *self = ByteQueue::default();
        }
    }

    /// The buffer's allocation (tests of memory per idle connection).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

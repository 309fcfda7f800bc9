//! The record layer (RFC 5246 §6, RFC 8446 §5): framing received bytes into records,
//! protecting and unprotecting them through the provider's [`SessionKey`], joining handshake
//! messages that span records, and fragmenting what we send.
//!
//! Sequence numbers are kept here, one per direction, and reset to zero at every key change
//! (the provider takes them per call).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod deframer;
mod joiner;
mod protect;

#[cfg(test)]
mod tests;

pub use deframer::{Deframer, OpaqueRecord};
pub use joiner::HandshakeJoiner;
pub use protect::{RecordDecrypter, RecordEncrypter};

use std::collections::VecDeque;

use keyward_ssl::SessionKey;

use crate::alert::{AlertDescription, AlertLevel};
use crate::codec::enums::{version, ContentType};
use crate::error::Error;

/// Length of a TLS record header.
pub const HEADER_LEN: usize = 5;
/// Largest record plaintext (2^14, RFC 8446 §5.1).
pub const MAX_PLAINTEXT_LEN: usize = 16384;
/// Largest TLS 1.2 record body (2^14 + 2048, RFC 5246 §6.2.3).
pub const MAX_CIPHERTEXT_LEN_TLS12: usize = MAX_PLAINTEXT_LEN + 2048;
/// Largest TLS 1.3 record body (2^14 + 256, RFC 8446 §5.2).
pub const MAX_CIPHERTEXT_LEN_TLS13: usize = MAX_PLAINTEXT_LEN + 256;
/// Largest content in one TLS 1.3 record we send: `SslEncryptPacket` seals at most 2^14
/// bytes of `TLSInnerPlaintext` (as on Windows), and that carries one byte of content type.
const MAX_TLS13_SEND_FRAGMENT: usize = MAX_PLAINTEXT_LEN - 1;
/// The AEAD tag of every TLS 1.3 record.
const TLS13_TAG_LEN: usize = 16;
/// Smallest fragment size the configuration may ask for.
const MIN_FRAGMENT_LEN: usize = 64;

/// A record after unprotection: its content type and plaintext. The plaintext stays where
/// it was decrypted, in the record's own buffer after the header and explicit IV, so that
/// it is copied once more only when the application reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainRecord {
    /// The (inner, for TLS 1.3) content type.
    pub content_type: ContentType,
    /// The record was protected (false for records read before any key, and for the
    /// plaintext alerts and change_cipher_spec records TLS 1.3 lets through).
    pub protected: bool,
    buf: Vec<u8>,
    /// Where the plaintext not yet read starts in `buf`.
    start: usize,
}

impl PlainRecord {
    /// The plaintext is `buf[start..]`.
    pub fn new(content_type: ContentType, protected: bool, buf: Vec<u8>, start: usize) -> Self {
        PlainRecord {
            content_type,
            protected,
            buf,
            start,
        }
    }

    /// The plaintext (what is left of it once [`PlainRecord::consume`] was called).
    pub fn payload(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Drops the first `n` bytes of the plaintext (the application has read them).
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.buf.len());
    }
}

/// Bytes waiting to be written to the transport, in order, as whole records.
#[derive(Debug, Default)]
pub struct SendQueue {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the front chunk already written.
    written: usize,
    /// Total bytes waiting.
    len: usize,
}

impl SendQueue {
    /// Appends a record.
    pub fn push(&mut self, record: Vec<u8>) {
        if !record.is_empty() {
            self.len += record.len();
            self.chunks.push_back(record);
        }
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Total bytes waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Writes what it can to `wr`; returns the number of bytes written.
    pub fn write_to(&mut self, wr: &mut dyn std::io::Write) -> std::io::Result<usize> {
        let mut total = 0;
        while let Some(front) = self.chunks.front() {
            let pending = front.get(self.written..).unwrap_or(&[]);
            let n = match wr.write(pending) {
                Ok(n) => n,
                Err(e) if total > 0 && e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            total += n;
            self.written += n;
            self.len = self.len.saturating_sub(n);
            if self.written >= front.len() {
                self.chunks.pop_front();
                self.written = 0;
            }
        }
        Ok(total)
    }
}

/// One connection's record layer: both directions' protection, the incoming framer and
/// handshake joiner, and the outgoing queue.
pub struct RecordLayer {
    /// Received bytes not yet framed.
    pub deframer: Deframer,
    /// Handshake bytes not yet forming a whole message.
    pub joiner: HandshakeJoiner,
    read: Option<RecordDecrypter>,
    write: Option<RecordEncrypter>,
    /// Handshake messages queued for the next flush (coalesced into records).
    pending_handshake: Vec<u8>,
    /// Records ready for the transport.
    pub sendable: SendQueue,
    /// The version field of the plaintext records we write.
    plaintext_version: u16,
    /// The configured largest fragment.
    max_fragment_len: usize,
    /// Bytes of undecryptable early data still to be skipped (server that refused 0-RTT).
    early_data_skip: usize,
    /// Skip protected records without trying them (server that sent a HelloRetryRequest
    /// to a client offering 0-RTT).
    skip_protected_without_key: bool,
}

/// How much rejected early data a server skips at most (RFC 8446 §4.2.10 bounds it by the
/// `max_early_data_size` the server configured; keyward never accepts early data and uses
/// this bound).
pub const MAX_SKIPPED_EARLY_DATA: usize = 1 << 16;

impl RecordLayer {
    /// A record layer before any key: `plaintext_version` is the version field of plaintext
    /// records (0x0301 for a client's first ClientHello).
    pub fn new(plaintext_version: u16, max_fragment_len: usize) -> Self {
        RecordLayer {
            deframer: Deframer::default(),
            joiner: HandshakeJoiner::default(),
            read: None,
            write: None,
            pending_handshake: Vec::new(),
            sendable: SendQueue::default(),
            plaintext_version,
            max_fragment_len: max_fragment_len.clamp(MIN_FRAGMENT_LEN, MAX_PLAINTEXT_LEN),
            early_data_skip: 0,
            skip_protected_without_key: false,
        }
    }

    /// Sets the version field of later plaintext records.
    pub fn set_plaintext_version(&mut self, version: u16) {
        self.plaintext_version = version;
    }

    /// True once records we read are protected.
    pub fn is_reading_protected(&self) -> bool {
        self.read.is_some()
    }

    /// True once records we write are protected.
    pub fn is_writing_protected(&self) -> bool {
        self.write.is_some()
    }

    /// Queues a handshake message; it is framed at the next flush or key change.
    pub fn queue_handshake(&mut self, message: &[u8]) {
        self.pending_handshake.extend_from_slice(message);
    }

    /// Frames the queued handshake messages into records under the current write key.
    pub fn flush_handshake(&mut self) -> Result<(), Error> {
        if self.pending_handshake.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending_handshake);
        self.send(ContentType::Handshake, &pending)
    }

    /// Sends a `change_cipher_spec` record under the current write state (TLS 1.2), or in
    /// plaintext as TLS 1.3 middlebox compatibility asks (RFC 8446 §D.4).
    pub fn send_change_cipher_spec(&mut self, tls13: bool) -> Result<(), Error> {
        self.flush_handshake()?;
        if tls13 {
            let record =
                plaintext_record(self.plaintext_version, ContentType::ChangeCipherSpec, &[1]);
            self.sendable.push(record);
            Ok(())
        } else {
            self.send(ContentType::ChangeCipherSpec, &[1])
        }
    }

    /// Switches the write direction to `key` (sequence number 0), flushing what was queued
    /// under the old key first.
    pub fn set_write_key(&mut self, key: SessionKey, tls13: bool) -> Result<(), Error> {
        self.flush_handshake()?;
        self.write = Some(RecordEncrypter::new(key, tls13));
        self.plaintext_version = version::TLS12;
        Ok(())
    }

    /// Switches the read direction to `key` (sequence number 0). A handshake message may not
    /// span a key change (RFC 8446 §5.1): partial bytes are `unexpected_message`.
    pub fn set_read_key(&mut self, key: SessionKey, tls13: bool) -> Result<(), Error> {
        if !self.joiner.is_empty() {
            return Err(Error::UnexpectedMessage(
                "handshake message spans a key change",
            ));
        }
        self.read = Some(RecordDecrypter::new(key, tls13));
        Ok(())
    }

    /// As a server that refused 0-RTT: skip up to [`MAX_SKIPPED_EARLY_DATA`] bytes of records
    /// that fail to decrypt (RFC 8446 §4.2.10).
    pub fn skip_early_data(&mut self) {
        self.early_data_skip = MAX_SKIPPED_EARLY_DATA;
    }

    /// As a server that sent a HelloRetryRequest to a client offering 0-RTT: skip protected
    /// records read before any key (RFC 8446 §4.2.10); `false` ends it.
    pub fn skip_protected_without_key(&mut self, skip: bool) {
        self.skip_protected_without_key = skip;
        if skip {
            self.early_data_skip = MAX_SKIPPED_EARLY_DATA;
        }
    }

    /// Stops skipping early data (the first record that decrypts ends it).
    fn end_early_data_skip(&mut self) {
        self.early_data_skip = 0;
    }

    /// Sends application data, fragmented.
    pub fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        self.flush_handshake()?;
        self.send(ContentType::ApplicationData, data)
    }

    /// Sends an alert under the current write state.
    pub fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        // An alert is best effort: a failure to protect it leaves nothing to send.
        let _ = self.flush_handshake();
        let _ = self.send(ContentType::Alert, &[level.to_u8(), description.to_u8()]);
    }

    /// Fragments `data` of `content_type` into records under the current write state.
    fn send(&mut self, content_type: ContentType, data: &[u8]) -> Result<(), Error> {
        let limit = match &self.write {
            Some(writer) if writer.is_tls13() => self.max_fragment_len.min(MAX_TLS13_SEND_FRAGMENT),
            _ => self.max_fragment_len,
        };
        // Zero-length application data is allowed and sent as one empty record (1.2) — but
        // keyward has no use for it, so empty input sends nothing.
        for fragment in data.chunks(limit) {
            let record = match &mut self.write {
                Some(writer) => writer.encrypt(content_type, fragment)?,
                None => plaintext_record(self.plaintext_version, content_type, fragment),
            };
            self.sendable.push(record);
        }
        Ok(())
    }

    /// Sends one record with no content (tests of the limits on empty records).
    #[cfg(test)]
    pub(crate) fn send_empty_record(&mut self, content_type: ContentType) -> Result<(), Error> {
        let record = match &mut self.write {
            Some(writer) => writer.encrypt(content_type, &[])?,
            None => plaintext_record(self.plaintext_version, content_type, &[]),
        };
        self.sendable.push(record);
        Ok(())
    }

    /// Unprotects one received record. `Ok(None)` means the record was dropped (skipped
    /// early data).
    pub fn unprotect(&mut self, record: OpaqueRecord) -> Result<Option<PlainRecord>, Error> {
        let content_type = record.content_type();
        match &mut self.read {
            None => {
                if content_type == ContentType::ApplicationData && self.skip_protected_without_key {
                    return self.skip(record.body_len()).map(|()| None);
                }
                if record.body_len() > MAX_PLAINTEXT_LEN {
                    return Err(Error::RecordOverflow);
                }
                Ok(Some(PlainRecord::new(
                    content_type,
                    false,
                    record.into_bytes(),
                    HEADER_LEN,
                )))
            }
            Some(reader) if reader.is_tls13() => {
                if content_type != ContentType::ApplicationData {
                    // change_cipher_spec and alerts in plaintext: the connection decides.
                    if record.body_len() > MAX_PLAINTEXT_LEN {
                        return Err(Error::RecordOverflow);
                    }
                    return Ok(Some(PlainRecord::new(
                        content_type,
                        false,
                        record.into_bytes(),
                        HEADER_LEN,
                    )));
                }
                if record.body_len() > MAX_CIPHERTEXT_LEN_TLS13 {
                    return Err(Error::RecordOverflow);
                }
                let body_len = record.body_len();
                if body_len == TLS13_TAG_LEN && self.early_data_skip == 0 {
                    // Only a tag: the TLSInnerPlaintext is empty and has no content type
                    // (RFC 8446 §5.4: unexpected_message). The provider, like Windows'
                    // SslDecryptPacket, refuses records this short, so the public length
                    // decides; the answer depends on no key.
                    return Err(Error::UnexpectedMessage(
                        "record with an empty inner plaintext",
                    ));
                }
                match reader.decrypt(record) {
                    Ok(plain) => {
                        self.end_early_data_skip();
                        Ok(Some(plain))
                    }
                    Err(Error::BadRecordMac) if self.early_data_skip > 0 => {
                        self.skip(body_len).map(|()| None)
                    }
                    Err(e) => Err(e),
                }
            }
            Some(reader) => {
                if record.body_len() > MAX_CIPHERTEXT_LEN_TLS12 {
                    return Err(Error::RecordOverflow);
                }
                reader.decrypt(record).map(Some)
            }
        }
    }

    fn skip(&mut self, len: usize) -> Result<(), Error> {
        match self.early_data_skip.checked_sub(len) {
            Some(left) => {
                self.early_data_skip = left;
                Ok(())
            }
            None => Err(Error::UnexpectedMessage("too much early data")),
        }
    }
}

/// A plaintext record: header and fragment (at most 2^14 bytes, which the callers ensure).
fn plaintext_record(version: u16, content_type: ContentType, fragment: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER_LEN + fragment.len());
    record.push(content_type.to_wire());
    record.extend_from_slice(&version.to_be_bytes());
    record.extend_from_slice(&(fragment.len().min(MAX_PLAINTEXT_LEN) as u16).to_be_bytes());
    record.extend_from_slice(fragment);
    record
}

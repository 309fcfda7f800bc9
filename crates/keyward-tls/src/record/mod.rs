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
mod queue;

#[cfg(test)]
mod tests;

pub use deframer::{Deframer, OpaqueRecord};
pub use joiner::HandshakeJoiner;
pub use protect::{RecordDecrypter, RecordEncrypter};
pub use queue::ByteQueue;

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

/// A record after unprotection: its content type and plaintext, which stays where it was
/// decrypted, in the read buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainRecord<'a> {
    /// The (inner, for TLS 1.3) content type.
    pub content_type: ContentType,
    /// The plaintext.
    pub payload: &'a [u8],
    /// The record was protected (false for records read before any key, and for the
    /// plaintext alerts and change_cipher_spec records TLS 1.3 lets through).
    pub protected: bool,
}

/// What [`RecordLayer::next_record`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// A record, unprotected.
    Record(PlainRecord<'a>),
    /// A record dropped unread (early data the server refused).
    Skipped,
}

/// One connection's record layer: both directions' protection, the incoming framer and
/// handshake joiner, and the outgoing queue.
pub struct RecordLayer {
    /// Received bytes not yet framed.
    pub deframer: Deframer,
    /// Handshake bytes not yet forming a whole message.
    pub joiner: HandshakeJoiner,
    reading: Reading,
    write: Option<RecordEncrypter>,
    /// Handshake messages queued for the next flush (coalesced into records).
    pending_handshake: Vec<u8>,
    /// Records ready for the transport.
    pub sendable: ByteQueue,
    /// The version field of the plaintext records we write.
    plaintext_version: u16,
    /// The configured largest fragment.
    max_fragment_len: usize,
}

/// The read direction: its key, and the skipping of early data a server refused.
#[derive(Default)]
struct Reading {
    key: Option<RecordDecrypter>,
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
            reading: Reading::default(),
            write: None,
            pending_handshake: Vec::new(),
            sendable: ByteQueue::default(),
            plaintext_version,
            max_fragment_len: max_fragment_len.clamp(MIN_FRAGMENT_LEN, MAX_PLAINTEXT_LEN),
        }
    }

    /// Sets the version field of later plaintext records.
    pub fn set_plaintext_version(&mut self, version: u16) {
        self.plaintext_version = version;
    }

    /// True once records we read are protected.
    pub fn is_reading_protected(&self) -> bool {
        self.reading.key.is_some()
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
            plaintext_record(
                self.plaintext_version,
                ContentType::ChangeCipherSpec,
                &[1],
                &mut self.sendable,
            );
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
        self.reading.key = Some(RecordDecrypter::new(key, tls13));
        Ok(())
    }

    /// As a server that refused 0-RTT: skip up to [`MAX_SKIPPED_EARLY_DATA`] bytes of records
    /// that fail to decrypt (RFC 8446 §4.2.10).
    pub fn skip_early_data(&mut self) {
        self.reading.early_data_skip = MAX_SKIPPED_EARLY_DATA;
    }

    /// As a server that sent a HelloRetryRequest to a client offering 0-RTT: skip protected
    /// records read before any key (RFC 8446 §4.2.10); `false` ends it.
    pub fn skip_protected_without_key(&mut self, skip: bool) {
        self.reading.skip_protected_without_key = skip;
        if skip {
            self.reading.early_data_skip = MAX_SKIPPED_EARLY_DATA;
        }
    }

    /// The largest plaintext fragment one record carries (the configured or negotiated one).
    pub fn max_fragment_len(&self) -> usize {
        self.max_fragment_len
    }

    /// Frees the read and send buffers when nothing waits in them: the transport has just
    /// said it has nothing more, so the connection is idle.
    pub fn release_idle_buffers(&mut self) {
        self.deframer.release_if_empty();
        self.sendable.release_if_empty();
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
        let room: usize = data
            .chunks(limit)
            .map(|fragment| match &self.write {
                Some(writer) => writer.record_room(fragment.len()),
                None => HEADER_LEN + fragment.len(),
            })
            .sum();
        self.sendable.expect(room);
        for fragment in data.chunks(limit) {
            self.send_record(content_type, fragment)?;
        }
        Ok(())
    }

    /// Queues one record of `fragment` under the current write state.
    fn send_record(&mut self, content_type: ContentType, fragment: &[u8]) -> Result<(), Error> {
        match &mut self.write {
            Some(writer) => writer.encrypt(content_type, fragment, &mut self.sendable),
            None => {
                plaintext_record(
                    self.plaintext_version,
                    content_type,
                    fragment,
                    &mut self.sendable,
                );
                Ok(())
            }
        }
    }

    /// Sends one record with no content (tests of the limits on empty records).
    #[cfg(test)]
    pub(crate) fn send_empty_record(&mut self, content_type: ContentType) -> Result<(), Error> {
        self.send_record(content_type, &[])
    }

    /// The next received record, unprotected where it lies in the read buffer; `Ok(None)`
    /// when no whole record is buffered.
    pub fn next_record(&mut self) -> Result<Option<Received<'_>>, Error> {
        let Some(record) = self.deframer.pop()? else {
            return Ok(None);
        };
        self.reading.unprotect(record).map(Some)
    }
}

impl Reading {
    /// Unprotects one received record.
    fn unprotect<'a>(&mut self, record: OpaqueRecord<'a>) -> Result<Received<'a>, Error> {
        let content_type = record.content_type();
        match &mut self.key {
            None => {
                if content_type == ContentType::ApplicationData && self.skip_protected_without_key {
                    return self.skip(record.body_len()).map(|()| Received::Skipped);
                }
                if record.body_len() > MAX_PLAINTEXT_LEN {
                    return Err(Error::RecordOverflow);
                }
                Ok(Received::Record(PlainRecord {
                    content_type,
                    payload: record.into_body(),
                    protected: false,
                }))
            }
            Some(reader) if reader.is_tls13() => {
                if content_type != ContentType::ApplicationData {
                    // change_cipher_spec and alerts in plaintext: the connection decides.
                    if record.body_len() > MAX_PLAINTEXT_LEN {
                        return Err(Error::RecordOverflow);
                    }
                    return Ok(Received::Record(PlainRecord {
                        content_type,
                        payload: record.into_body(),
                        protected: false,
                    }));
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
                        // The first record that decrypts ends the skipping of early data.
                        self.early_data_skip = 0;
                        Ok(Received::Record(plain))
                    }
                    Err(Error::BadRecordMac) if self.early_data_skip > 0 => {
                        self.skip(body_len).map(|()| Received::Skipped)
                    }
                    Err(e) => Err(e),
                }
            }
            Some(reader) => {
                if record.body_len() > MAX_CIPHERTEXT_LEN_TLS12 {
                    return Err(Error::RecordOverflow);
                }
                reader.decrypt(record).map(Received::Record)
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

/// Queues a plaintext record: header and fragment (at most 2^14 bytes, which the callers
/// ensure).
fn plaintext_record(version: u16, content_type: ContentType, fragment: &[u8], out: &mut ByteQueue) {
    let len = fragment.len().min(MAX_PLAINTEXT_LEN);
    let [v0, v1] = version.to_be_bytes();
    let [l0, l1] = (len as u16).to_be_bytes();
    out.push(&[content_type.to_wire(), v0, v1, l0, l1]);
    out.push(fragment.get(..len).unwrap_or_default());
}

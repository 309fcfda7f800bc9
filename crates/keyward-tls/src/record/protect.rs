//! Record protection through the provider's session keys: TLS 1.2 records as
//! `SslEncryptPacket` builds them, and the TLS 1.3 `TLSInnerPlaintext` (content type and
//! padding) around them (RFC 8446 §5.2, §5.4).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use keyward_ssl::SessionKey;

use super::{ByteQueue, OpaqueRecord, PlainRecord, MAX_PLAINTEXT_LEN};
use crate::codec::enums::ContentType;
use crate::error::Error;

/// The write direction: a session key and its sequence number.
pub struct RecordEncrypter {
    key: SessionKey,
    seq: u64,
    tls13: bool,
}

impl RecordEncrypter {
    /// Starts at sequence number 0.
    pub fn new(key: SessionKey, tls13: bool) -> Self {
        RecordEncrypter { key, seq: 0, tls13 }
    }

    /// True for TLS 1.3 protection.
    pub fn is_tls13(&self) -> bool {
        self.tls13
    }

    /// Protects one fragment (at most 2^14 bytes; 2^14 - 1 for TLS 1.3) as a whole record at
    /// the end of `out`: the fragment is copied once, to where the plaintext sits in the
    /// record, and sealed there (`SslEncryptPacket` in place).
    pub fn encrypt(
        &mut self,
        content_type: ContentType,
        fragment: &[u8],
        out: &mut ByteQueue,
    ) -> Result<(), Error> {
        let seq = self.next_seq()?;
        // TLS 1.3 seals TLSInnerPlaintext (the fragment, then its real content type) in a
        // record that says application_data.
        let (wire_type, plaintext_len) = if self.tls13 {
            (ContentType::ApplicationData, fragment.len() + 1)
        } else {
            (content_type, fragment.len())
        };
        let plaintext_at = self.key.in_place_layout().plaintext_offset;
        let record = out.reserve(self.room(plaintext_len, plaintext_at));
        let (_, plaintext) = record
            .split_at_mut_checked(plaintext_at)
            .ok_or(Error::General("record room"))?;
        let (content, rest) = plaintext
            .split_at_mut_checked(fragment.len())
            .ok_or(Error::General("record room"))?;
        content.copy_from_slice(fragment);
        if self.tls13 {
            if let Some(inner_type) = rest.first_mut() {
                *inner_type = content_type.to_wire();
            }
        }
        let len =
            self.key
                .encrypt_packet_in_place(record, plaintext_len, seq, wire_type.to_wire())?;
        out.commit(len);
        Ok(())
    }

    /// The room [`RecordEncrypter::encrypt`] takes in the queue for a fragment of
    /// `fragment_len` bytes.
    pub fn record_room(&self, fragment_len: usize) -> usize {
        let plaintext_len = fragment_len + usize::from(self.tls13);
        self.room(plaintext_len, self.key.in_place_layout().plaintext_offset)
    }

    fn room(&self, plaintext_len: usize, plaintext_at: usize) -> usize {
        self.key
            .max_encrypted_len(plaintext_len)
            .max(plaintext_at + plaintext_len)
    }

    fn next_seq(&mut self) -> Result<u64, Error> {
        let seq = self.seq;
        self.seq = seq
            .checked_add(1)
            .ok_or(Error::General("record sequence number exhausted"))?;
        Ok(seq)
    }
}

/// The read direction: a session key and its sequence number.
pub struct RecordDecrypter {
    key: SessionKey,
    seq: u64,
    tls13: bool,
}

impl RecordDecrypter {
    /// Starts at sequence number 0.
    pub fn new(key: SessionKey, tls13: bool) -> Self {
        RecordDecrypter { key, seq: 0, tls13 }
    }

    /// True for TLS 1.3 protection.
    pub fn is_tls13(&self) -> bool {
        self.tls13
    }

    /// Checks and decrypts one record where it lies in the read buffer (`SslDecryptPacket`
    /// in place). Any failure of the provider is `bad_record_mac` (RFC 5246 §7.2.2 forbids
    /// telling padding and MAC faults apart); the sequence number advances only on success.
    pub fn decrypt<'a>(&mut self, record: OpaqueRecord<'a>) -> Result<PlainRecord<'a>, Error> {
        let content_type = record.content_type();
        let plaintext = self
            .key
            .decrypt_packet_in_place(record.into_bytes(), self.seq)
            .map_err(|_| Error::BadRecordMac)?;
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(Error::General("record sequence number exhausted"))?;
        if !self.tls13 {
            if plaintext.len() > MAX_PLAINTEXT_LEN {
                return Err(Error::RecordOverflow);
            }
            return Ok(PlainRecord {
                content_type,
                payload: plaintext,
                protected: true,
            });
        }
        // TLSInnerPlaintext: content ‖ type ‖ zeros, at most 2^14 + 1 bytes however the
        // padding splits them (RFC 8446 §5.4). The type is the last non-zero byte.
        if plaintext.len() > MAX_PLAINTEXT_LEN + 1 {
            return Err(Error::RecordOverflow);
        }
        let Some((type_at, &content_type)) = plaintext.iter().enumerate().rfind(|(_, b)| **b != 0)
        else {
            return Err(Error::UnexpectedMessage("record without a content type"));
        };
        let content_type = ContentType::from_wire(content_type);
        match content_type {
            ContentType::Unknown(_) => Err(Error::UnexpectedMessage("unknown inner content type")),
            ContentType::ChangeCipherSpec => {
                Err(Error::UnexpectedMessage("protected change_cipher_spec"))
            }
            _ => Ok(PlainRecord {
                content_type,
                payload: plaintext.get(..type_at).unwrap_or_default(),
                protected: true,
            }),
        }
    }
}

//! Joining handshake messages from record payloads: one message may span records and one
//! record may hold several messages (RFC 8446 §5.1).

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::enums::HandshakeType;
use crate::codec::handshake::{HandshakeMessage, HANDSHAKE_HEADER_LEN, MAX_HANDSHAKE_LEN};
use crate::error::Error;

/// Handshake bytes received and not yet forming a whole message.
#[derive(Debug, Default)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
}

impl HandshakeJoiner {
    /// Adds the payload of a handshake record.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.is_empty() {
            return Err(Error::UnexpectedMessage("empty handshake record"));
        }
        if self.buf.len() + payload.len() > MAX_HANDSHAKE_LEN + HANDSHAKE_HEADER_LEN {
            // More than one maximal message buffered: only possible if the header
            // announced a length beyond the limit, which `pop` refuses first.
            self.check_header()?;
        }
        self.buf.extend_from_slice(payload);
        self.check_header()
    }

    fn check_header(&self) -> Result<(), Error> {
        if let Some(&[_, l0, l1, l2]) = self.buf.first_chunk::<HANDSHAKE_HEADER_LEN>() {
            let len = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
            if len > MAX_HANDSHAKE_LEN {
                return Err(Error::Decode("handshake message too long"));
            }
        }
        Ok(())
    }

    /// True when no partial message is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next complete message, if one is buffered.
    pub fn pop(&mut self) -> Result<Option<HandshakeMessage>, Error> {
        self.check_header()?;
        let Some(&[kind, l0, l1, l2]) = self.buf.first_chunk::<HANDSHAKE_HEADER_LEN>() else {
            return Ok(None);
        };
        let len = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
        let kind = HandshakeType::from_wire(kind);
        let total = HANDSHAKE_HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        let rest = self.buf.split_off(total);
        let encoded = std::mem::replace(&mut self.buf, rest);
        Ok(Some(HandshakeMessage { kind, encoded }))
    }
}

//! The sans-IO connection: TLS bytes in (`read_tls`, `process_new_packets`), TLS bytes out
//! (`write_tls`), plaintext through `reader()` and `writer()`.

use std::io;

use crate::alert::{AlertDescription, AlertLevel};
use crate::codec::enums::ContentType;
use crate::common_state::{CommonState, Message, State};
use crate::error::Error;
use crate::record::{PlainRecord, Received};

pub use crate::common_state::{ConnectionInfo, MAX_UNSOLICITED};

/// Most plaintext CCS records a TLS 1.3 connection drops (RFC 8446 §5 allows them; a
/// bound stops a flood).
const MAX_COMPAT_CCS: u8 = 8;
/// Most warning alerts in a row before the connection gives up.
const MAX_WARNING_ALERTS: u8 = 4;
/// Received plaintext beyond which `wants_read` turns false.
const MAX_RECEIVED_PLAINTEXT: usize = 1 << 24;
/// The part of a connection common to clients and servers.
pub struct ConnectionCommon {
    pub(crate) common: CommonState,
    pub(crate) state: Option<Box<dyn State>>,
    error: Option<Error>,
}

/// Whether a received record may come now: what TLS 1.3 lets through in plaintext once the
/// keys changed, no other record inside a handshake message that spans records, and no
/// application data before the handshake completed.
fn admit(
    plain: &PlainRecord<'_>,
    reading_protected: bool,
    joining: bool,
    handshake_complete: bool,
) -> Result<(), Error> {
    if !plain.protected && reading_protected {
        // TLS 1.3 lets a plaintext change_cipher_spec through (middlebox compatibility)
        // and, during the handshake, a plaintext alert from a peer that failed before it
        // had keys. Anything else, and any plaintext alert afterwards (a forged
        // close_notify), is refused.
        let allowed = match plain.content_type {
            ContentType::ChangeCipherSpec => true,
            ContentType::Alert => !handshake_complete,
            _ => false,
        };
        if !allowed {
            return Err(Error::UnexpectedMessage(
                "plaintext record after the keys changed",
            ));
        }
    }
    if plain.content_type != ContentType::Handshake && joining {
        return Err(Error::UnexpectedMessage(
            "record interleaved with a handshake message",
        ));
    }
    if plain.content_type == ContentType::ApplicationData && !handshake_complete {
        return Err(Error::UnexpectedMessage(
            "application data before the handshake completed",
        ));
    }
    Ok(())
}

impl ConnectionCommon {
    pub(crate) fn new(common: CommonState, state: Box<dyn State>) -> Self {
        ConnectionCommon {
            common,
            state: Some(state),
            error: None,
        }
    }

    /// Reads TLS bytes from `rd` (one read call). `Ok(0)` is the transport's end of file.
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        let result = self.common.record.deframer.read(rd);
        if !matches!(result, Ok(n) if n > 0) {
            // The transport has nothing (it would block, or it ended): until it has, the
            // connection is idle and keeps no empty buffers.
            self.common.record.release_idle_buffers();
            self.common.received_plaintext.release_if_empty();
        }
        let n = result?;
        if n == 0 {
            self.common.transport_eof = true;
        }
        Ok(n)
    }

    /// Writes pending TLS bytes to `wr`; returns how many were written.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        self.common.record.sendable.write_to(wr)
    }

    /// Processes the TLS bytes read so far: handshake messages, alerts and application
    /// data. On error the connection is dead: the alert for the peer is queued for
    /// `write_tls`, and every later call returns the same error.
    pub fn process_new_packets(&mut self) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self
            .process()
            .and_then(|()| self.common.record.flush_handshake());
        if let Err(error) = result {
            tracing::debug!(%error, "connection failed");
            if let Some(alert) = error.alert() {
                self.common.record.send_alert(AlertLevel::Fatal, alert);
            }
            self.state = None;
            self.error = Some(error.clone());
            return Err(error);
        }
        Ok(())
    }

    fn process(&mut self) -> Result<(), Error> {
        // Backpressure: records that arrive while the output is full stay in the deframer
        // (whose buffer is bounded) until the peer reads our answers.
        while !self.common.output_is_full() {
            if self.common.received_close {
                // Nothing after close_notify counts (RFC 8446 §6.1).
                if self.common.record.deframer.pop()?.is_none() {
                    break;
                }
                continue;
            }
            let reading_protected = self.common.record.is_reading_protected();
            let joining = !self.common.record.joiner.is_empty();
            let plain = match self.common.record.next_record()? {
                None => break,
                Some(Received::Skipped) => continue,
                Some(Received::Record(plain)) => plain,
            };
            admit(
                &plain,
                reading_protected,
                joining,
                self.common.handshake_complete,
            )?;
            if plain.content_type == ContentType::ApplicationData {
                // The one copy of received plaintext, out of the read buffer.
                let empty = plain.payload.is_empty();
                self.common.received_plaintext.push(plain.payload);
                self.common.warning_alerts = 0;
                if empty {
                    self.common.count_unsolicited()?;
                } else {
                    self.common.unsolicited = 0;
                }
                continue;
            }
            // Handshake, alert and change_cipher_spec records are few. Their payload is copied
            // out of the read buffer because the steps that handle them change the record
            // layer that buffer belongs to.
            let content_type = plain.content_type;
            let payload = plain.payload.to_vec();
            match content_type {
                ContentType::Handshake => {
                    self.common.warning_alerts = 0;
                    self.common.record.joiner.push(&payload)?;
                    while let Some(message) = self.common.record.joiner.pop()? {
                        self.dispatch(Message::Handshake(message))?;
                    }
                }
                ContentType::ChangeCipherSpec => self.change_cipher_spec(&payload)?,
                ContentType::Alert => self.alert(&payload)?,
                // (Application data went to the plaintext queue above.)
                ContentType::ApplicationData | ContentType::Unknown(_) => {
                    return Err(Error::UnexpectedMessage("unknown record type"))
                }
            }
        }
        Ok(())
    }

    fn dispatch(&mut self, message: Message) -> Result<(), Error> {
        let state = self
            .state
            .take()
            .ok_or(Error::General("the connection is closed"))?;
        self.state = Some(state.handle(&mut self.common, message)?);
        Ok(())
    }

    fn change_cipher_spec(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload != [1] {
            return Err(Error::UnexpectedMessage(
                "change_cipher_spec value is not 1",
            ));
        }
        if self.common.tls13_compat_ccs {
            self.common.compat_ccs_dropped += 1;
            if self.common.compat_ccs_dropped > MAX_COMPAT_CCS {
                return Err(Error::UnexpectedMessage(
                    "too many change_cipher_spec records",
                ));
            }
            return Ok(());
        }
        if self.common.tls13 {
            return Err(Error::UnexpectedMessage("change_cipher_spec in TLS 1.3"));
        }
        self.dispatch(Message::ChangeCipherSpec)
    }

    fn alert(&mut self, payload: &[u8]) -> Result<(), Error> {
        let &[level, description] = payload else {
            return Err(Error::Decode("alert length"));
        };
        let description = AlertDescription::from_u8(description);
        let level = AlertLevel::from_u8(level).ok_or(Error::IllegalParameter("alert level"))?;
        tracing::debug!(?level, ?description, "alert received");
        if description == AlertDescription::CloseNotify {
            if !self.common.handshake_complete {
                return Err(Error::PeerAlert(description));
            }
            self.common.received_close = true;
            return Ok(());
        }
        let tolerated = match description {
            AlertDescription::UserCanceled => true,
            _ => level == AlertLevel::Warning && !self.common.tls13,
        };
        if !tolerated {
            return Err(Error::PeerAlert(description));
        }
        self.common.warning_alerts += 1;
        if self.common.warning_alerts > MAX_WARNING_ALERTS {
            return Err(Error::UnexpectedMessage("too many warning alerts"));
        }
        self.common.count_unsolicited()
    }

    /// True while the connection can use more TLS bytes. False, among other reasons, while
    /// the queued output is full ([`Self::is_output_full`]): a peer that sends without
    /// reading our answers is not read from until it does.
    pub fn wants_read(&self) -> bool {
        self.error.is_none()
            && !self.common.received_close
            && !self.common.transport_eof
            && self.common.received_plaintext.len() < MAX_RECEIVED_PLAINTEXT
            && !self.common.output_is_full()
    }

    /// True while the TLS output waiting for `write_tls` is at the configuration's
    /// `max_queued_output` (less room for the answers to one record). Meanwhile
    /// `process_new_packets` leaves received records unprocessed and `wants_read` is false;
    /// write the output, then call `process_new_packets` again for the records held back.
    pub fn is_output_full(&self) -> bool {
        self.common.output_is_full()
    }

    /// True while TLS bytes wait for `write_tls`.
    pub fn wants_write(&self) -> bool {
        !self.common.record.sendable.is_empty()
    }

    /// How many TLS bytes wait for `write_tls`.
    pub fn queued_output(&self) -> usize {
        self.common.record.sendable.len()
    }

    /// True until the handshake is complete.
    pub fn is_handshaking(&self) -> bool {
        !self.common.handshake_complete
    }

    /// The plaintext the peer sent.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader {
            common: &mut self.common,
            failed: self.error.is_some(),
        }
    }

    /// Plaintext to send; buffered until the handshake completes.
    pub fn writer(&mut self) -> Writer<'_> {
        Writer {
            common: &mut self.common,
            failed: self.error.is_some(),
        }
    }

    /// Queues a `close_notify` alert; nothing more is sent after it.
    pub fn send_close_notify(&mut self) {
        if self.common.sent_close || self.error.is_some() {
            return;
        }
        self.common.sent_close = true;
        self.common
            .record
            .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
    }

    /// What the handshake negotiated, once it is complete.
    pub fn info(&self) -> Option<&ConnectionInfo> {
        self.common.info.as_ref()
    }

    /// The server's certificate chain (DER, end entity first), on a client once received.
    pub fn peer_certificates(&self) -> Option<&[Vec<u8>]> {
        self.common.peer_certificates.as_deref()
    }

    /// TLS 1.3: sends a KeyUpdate that asks the peer to update too, and moves our write
    /// key forward (RFC 8446 §4.6.3).
    pub fn refresh_traffic_keys(&mut self) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let state = self
            .state
            .as_mut()
            .ok_or(Error::General("the connection is closed"))?;
        state.refresh_traffic_keys(&mut self.common)
    }

    /// Keying material exporter (RFC 5705 for TLS 1.2, RFC 8446 §7.5 for TLS 1.3).
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        if !self.common.handshake_complete {
            return Err(Error::General("the handshake is not complete"));
        }
        self.state
            .as_ref()
            .ok_or(Error::General("the connection is closed"))?
            .export_keying_material(out, label, context)
    }
}

/// Reads the plaintext the peer sent (`io::Read`).
pub struct Reader<'a> {
    common: &'a mut CommonState,
    failed: bool,
}

impl io::Read for Reader<'_> {
    /// Copies out received plaintext. `Ok(0)` after the peer's close_notify;
    /// `WouldBlock` when nothing is buffered yet; `UnexpectedEof` when the transport ended
    /// without a close_notify; `Other` once the connection failed.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.common.received_plaintext.is_empty() {
            return Ok(self.common.received_plaintext.read(buf));
        }
        if buf.is_empty() || self.common.received_close {
            return Ok(0);
        }
        if self.failed {
            return Err(io::Error::other("the TLS connection failed"));
        }
        if self.common.transport_eof {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection without close_notify",
            ));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Writes plaintext to the peer (`io::Write`).
pub struct Writer<'a> {
    common: &'a mut CommonState,
    failed: bool,
}

impl io::Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other("the TLS connection failed"));
        }
        if self.common.sent_close {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "close_notify already sent",
            ));
        }
        if !self.common.handshake_complete {
            self.common.pending_plaintext.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let taken = buf
            .get(..self.common.write_room().min(buf.len()))
            .unwrap_or(buf);
        self.common
            .record
            .send_application_data(taken)
            .map_err(io::Error::other)?;
        Ok(taken.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

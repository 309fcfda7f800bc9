//! The sans-IO connection: TLS bytes in (`read_tls`, `process_new_packets`), TLS bytes out
//! (`write_tls`), plaintext through `reader()` and `writer()`.

use std::collections::VecDeque;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use keyward_ssl::{CipherSuite, Group};
use subtle::ConstantTimeEq;

use crate::alert::{AlertDescription, AlertLevel};
use crate::codec::enums::{ContentType, HandshakeType};
use crate::codec::handshake::HandshakeMessage;
use crate::config::{ClientConfig, ServerConfig, Version};
use crate::error::Error;
use crate::record::RecordLayer;
use crate::sign::SignatureScheme;

/// What a completed handshake negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The protocol version.
    pub version: Version,
    /// The cipher suite.
    pub suite: &'static CipherSuite,
    /// The key-exchange group; `None` for RSA key exchange and resumed TLS 1.2 sessions.
    pub group: Option<Group>,
    /// The scheme of the server's signature; `None` when there was none (RSA key exchange,
    /// resumption).
    pub signature_scheme: Option<SignatureScheme>,
    /// TLS 1.2: the extended master secret is in use (RFC 7627); always true for TLS 1.3,
    /// whose key schedule binds the transcript.
    pub extended_master_secret: bool,
    /// TLS 1.2 with a CBC suite: records are encrypt-then-MAC (RFC 7366). False for AEAD
    /// suites and TLS 1.3, which have no MAC of their own.
    pub encrypt_then_mac: bool,
    /// The session was resumed.
    pub resumed: bool,
    /// The application protocol agreed with ALPN.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client asked for (SNI).
    pub server_name: Option<String>,
}

/// A message the handshake states receive.
pub(crate) enum Message {
    /// A complete handshake message.
    Handshake(HandshakeMessage),
    /// A TLS 1.2 `change_cipher_spec`.
    ChangeCipherSpec,
}

impl Message {
    /// The handshake message, or `unexpected_message`.
    pub(crate) fn expect_handshake(self, what: &'static str) -> Result<HandshakeMessage, Error> {
        match self {
            Message::Handshake(message) => Ok(message),
            Message::ChangeCipherSpec => Err(Error::UnexpectedMessage(what)),
        }
    }

    /// The handshake message of type `kind`; anything else is `unexpected_message` (`what`
    /// says what was expected).
    pub(crate) fn expect(
        self,
        kind: HandshakeType,
        what: &'static str,
    ) -> Result<HandshakeMessage, Error> {
        let message = self.expect_handshake(what)?;
        if message.kind != kind {
            return Err(Error::UnexpectedMessage(what));
        }
        Ok(message)
    }
}

/// Compares a received Finished `verify_data` (or PSK binder) with the expected value in
/// constant time; a mismatch is `decrypt_error` (RFC 5246 §7.4.9, RFC 8446 §4.4.4).
pub(crate) fn check_finished(expected: &[u8], received: &[u8]) -> Result<(), Error> {
    if expected.len() == received.len() && bool::from(expected.ct_eq(received)) {
        Ok(())
    } else {
        Err(Error::DecryptError("Finished does not verify"))
    }
}

/// One step of a handshake (or the traffic phase after it): consumes a message and
/// returns the next state.
pub(crate) trait State: Send {
    /// Handles one message.
    fn handle(
        self: Box<Self>,
        cx: &mut CommonState,
        message: Message,
    ) -> Result<Box<dyn State>, Error>;

    /// RFC 5705 / RFC 8446 §7.5 exporter, once the handshake is complete.
    fn export_keying_material(
        &self,
        _out: &mut [u8],
        _label: &[u8],
        _context: Option<&[u8]>,
    ) -> Result<(), Error> {
        Err(Error::General("the handshake is not complete"))
    }

    /// Sends a TLS 1.3 KeyUpdate asking the peer to update too.
    fn refresh_traffic_keys(&mut self, _cx: &mut CommonState) -> Result<(), Error> {
        Err(Error::General(
            "key update needs a completed TLS 1.3 handshake",
        ))
    }
}

/// Most plaintext CCS records a TLS 1.3 connection drops (RFC 8446 §5 allows them; a
/// bound stops a flood).
const MAX_COMPAT_CCS: u8 = 8;
/// Most messages in a row that carry no application data and that the connection answers or
/// drops once the handshake is complete: TLS 1.3 KeyUpdates (but the answers to our own
/// requests), refused TLS 1.2 renegotiations
/// (a ClientHello or HelloRequest, answered by a `no_renegotiation` warning), warning alerts
/// and empty application-data records. The next one in the row is fatal, with an
/// `unexpected_message` alert; an application-data record with content starts a new row.
/// 32 is what rustls allows for KeyUpdate requests and OpenSSL for empty records.
pub const MAX_UNSOLICITED: u32 = 32;
/// Most warning alerts in a row before the connection gives up.
const MAX_WARNING_ALERTS: u8 = 4;
/// Received plaintext beyond which `wants_read` turns false.
const MAX_RECEIVED_PLAINTEXT: usize = 1 << 24;
/// Room kept under the bound on queued output for the answers to one record: once the
/// handshake is complete, one record brings at most [`MAX_UNSOLICITED`] refused
/// renegotiations and a fatal alert (under 3 KiB with the largest CBC overhead), or one
/// KeyUpdate (it ends its record, RFC 8446 §5.1).
const ANSWER_ROOM: usize = 4096;

/// Received plaintext, kept as the records brought it.
#[derive(Default)]
struct PlaintextQueue {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the front chunk already read.
    consumed: usize,
    len: usize,
}

impl PlaintextQueue {
    fn push(&mut self, chunk: Vec<u8>) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push_back(chunk);
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Copies out as much as fits in `buf`.
    fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut copied = 0;
        while copied < buf.len() {
            let Some(front) = self.chunks.front() else {
                break;
            };
            let available = front.get(self.consumed..).unwrap_or(&[]);
            let n = available.len().min(buf.len() - copied);
            buf[copied..copied + n].copy_from_slice(&available[..n]);
            copied += n;
            self.consumed += n;
            if self.consumed >= front.len() {
                self.chunks.pop_front();
                self.consumed = 0;
            }
        }
        self.len -= copied;
        copied
    }
}

/// The state every handshake step may touch.
pub(crate) struct CommonState {
    pub record: RecordLayer,
    /// Drop plaintext `change_cipher_spec` records (TLS 1.3 middlebox compatibility).
    pub tls13_compat_ccs: bool,
    /// TLS 1.3 was negotiated (alerts are then all fatal but close_notify/user_canceled).
    pub tls13: bool,
    pub info: Option<ConnectionInfo>,
    pub peer_certificates: Option<Vec<Vec<u8>>>,
    pub handshake_complete: bool,
    received_plaintext: PlaintextQueue,
    pending_plaintext: Vec<u8>,
    received_close: bool,
    sent_close: bool,
    transport_eof: bool,
    warning_alerts: u8,
    compat_ccs_dropped: u8,
    /// The bound on `record.sendable` (the configuration's `max_queued_output`).
    max_queued_output: usize,
    /// Messages without application data in a row (see [`MAX_UNSOLICITED`]).
    unsolicited: u32,
}

impl CommonState {
    pub(crate) fn new(record: RecordLayer) -> Self {
        CommonState {
            record,
            tls13_compat_ccs: false,
            tls13: false,
            info: None,
            peer_certificates: None,
            handshake_complete: false,
            received_plaintext: PlaintextQueue::default(),
            pending_plaintext: Vec::new(),
            received_close: false,
            sent_close: false,
            transport_eof: false,
            warning_alerts: 0,
            compat_ccs_dropped: 0,
            max_queued_output: crate::config::DEFAULT_MAX_QUEUED_OUTPUT,
            unsolicited: 0,
        }
    }

    /// Counts a message that carries no application data: a KeyUpdate, a refused
    /// renegotiation, a warning alert or an empty record. The one after [`MAX_UNSOLICITED`]
    /// in a row is `unexpected_message`.
    pub(crate) fn count_unsolicited(&mut self) -> Result<(), Error> {
        self.unsolicited += 1;
        if self.unsolicited > MAX_UNSOLICITED {
            return Err(Error::UnexpectedMessage(
                "too many messages without application data",
            ));
        }
        Ok(())
    }

    /// True while the queued output leaves no room for the answers to another record: the
    /// connection takes no more records until `write_tls` drains it. An empty queue always
    /// has room, so a connection configured with a tiny bound still makes progress.
    fn output_is_full(&self) -> bool {
        let queued = self.record.sendable.len();
        queued > 0 && queued.saturating_add(ANSWER_ROOM) > self.max_queued_output
    }

    /// Queues a handshake message for sending.
    pub(crate) fn send_handshake(&mut self, message: &[u8]) {
        self.record.queue_handshake(message);
    }

    /// Marks the handshake complete and sends the plaintext the application wrote early.
    pub(crate) fn complete_handshake(&mut self, info: ConnectionInfo) -> Result<(), Error> {
        tracing::debug!(
            version = %info.version,
            suite = info.suite.name,
            resumed = info.resumed,
            "handshake complete"
        );
        self.info = Some(info);
        self.handshake_complete = true;
        self.tls13_compat_ccs = false;
        let pending = std::mem::take(&mut self.pending_plaintext);
        self.record.send_application_data(&pending)
    }
}

/// The part of a connection common to clients and servers.
pub struct ConnectionCommon {
    common: CommonState,
    state: Option<Box<dyn State>>,
    error: Option<Error>,
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
        let n = self.common.record.deframer.read(rd)?;
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
            let Some(record) = self.common.record.deframer.pop()? else {
                break;
            };
            if self.common.received_close {
                // Nothing after close_notify counts (RFC 8446 §6.1).
                continue;
            }
            let Some(plain) = self.common.record.unprotect(record)? else {
                continue;
            };
            if !plain.protected && self.common.record.is_reading_protected() {
                // TLS 1.3 lets a plaintext change_cipher_spec through (middlebox
                // compatibility) and, during the handshake, a plaintext alert from a peer
                // that failed before it had keys. Anything else, and any plaintext alert
                // afterwards (a forged close_notify), is refused.
                let allowed = match plain.content_type {
                    ContentType::ChangeCipherSpec => true,
                    ContentType::Alert => !self.common.handshake_complete,
                    _ => false,
                };
                if !allowed {
                    return Err(Error::UnexpectedMessage(
                        "plaintext record after the keys changed",
                    ));
                }
            }
            if plain.content_type != ContentType::Handshake && !self.common.record.joiner.is_empty()
            {
                return Err(Error::UnexpectedMessage(
                    "record interleaved with a handshake message",
                ));
            }
            match plain.content_type {
                ContentType::Handshake => {
                    self.common.warning_alerts = 0;
                    self.common.record.joiner.push(&plain.payload)?;
                    while let Some(message) = self.common.record.joiner.pop()? {
                        self.dispatch(Message::Handshake(message))?;
                    }
                }
                ContentType::ChangeCipherSpec => self.change_cipher_spec(&plain.payload)?,
                ContentType::Alert => self.alert(&plain.payload)?,
                ContentType::ApplicationData => {
                    if !self.common.handshake_complete {
                        return Err(Error::UnexpectedMessage(
                            "application data before the handshake completed",
                        ));
                    }
                    self.common.warning_alerts = 0;
                    if plain.payload.is_empty() {
                        self.common.count_unsolicited()?;
                    } else {
                        self.common.unsolicited = 0;
                    }
                    self.common.received_plaintext.push(plain.payload);
                }
                ContentType::Unknown(_) => {
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
        if self.common.handshake_complete {
            self.common
                .record
                .send_application_data(buf)
                .map_err(io::Error::other)?;
        } else {
            self.common.pending_plaintext.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A TLS client connection.
pub struct ClientConnection {
    inner: ConnectionCommon,
}

impl ClientConnection {
    /// Starts a handshake with `server_name` (a DNS name, sent as SNI, or an IP address);
    /// the ClientHello is ready for `write_tls` at once.
    pub fn new(config: Arc<ClientConfig>, server_name: &str) -> Result<Self, Error> {
        config.check()?;
        let max_queued_output = config.max_queued_output;
        let (mut common, state) = crate::client::start(config, server_name)?;
        common.max_queued_output = max_queued_output;
        Ok(ClientConnection {
            inner: ConnectionCommon::new(common, state),
        })
    }
}

impl Deref for ClientConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}

/// A TLS server connection.
pub struct ServerConnection {
    inner: ConnectionCommon,
}

impl ServerConnection {
    /// A connection waiting for a ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        config.check()?;
        let max_queued_output = config.max_queued_output;
        let (mut common, state) = crate::server::start(config);
        common.max_queued_output = max_queued_output;
        Ok(ServerConnection {
            inner: ConnectionCommon::new(common, state),
        })
    }

    /// The server name the client asked for, once the handshake is complete.
    pub fn server_name(&self) -> Option<&str> {
        self.inner.common.info.as_ref()?.server_name.as_deref()
    }
}

impl Deref for ServerConnection {
    type Target = ConnectionCommon;
    fn deref(&self) -> &ConnectionCommon {
        &self.inner
    }
}

impl DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut ConnectionCommon {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    //! Renegotiation refusal, which needs a peer the public API cannot make: each side
    //! injects the message that would start a renegotiation under its own keys.

    use super::*;
    use crate::certs::{CertResolver, CertifiedKey};
    use crate::codec::handshake::encode_handshake;
    use crate::verify::ServerCertVerifier;
    use keyward_core::store::KeyStore;
    use keyward_ssl::{PrivateKey, Provider};
    use std::io::{Read, Write};

    const CERT: &[u8] = include_bytes!("../tests/data/rsa2048.cert.der");
    const KEY: &[u8] = include_bytes!("../tests/data/rsa2048.key.p8.der");

    fn move_bytes(from: &mut ConnectionCommon, to: &mut ConnectionCommon) -> Result<usize, Error> {
        let mut wire = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut wire).unwrap();
        }
        let mut rest = &wire[..];
        while !rest.is_empty() {
            to.read_tls(&mut rest).unwrap();
            to.process_new_packets()?;
        }
        Ok(wire.len())
    }

    fn pump(c: &mut ConnectionCommon, s: &mut ConnectionCommon) {
        while move_bytes(c, s).unwrap() + move_bytes(s, c).unwrap() > 0 {}
    }

    /// A key store directory removed on drop.
    struct TempDir(std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tls12_pair() -> (ClientConnection, ServerConnection, TempDir) {
        pair(Version::Tls12)
    }

    fn pair(version: Version) -> (ClientConnection, ServerConnection, TempDir) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "keyward-conn-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let provider = Arc::new(Provider::with_key_store(KeyStore::open(&dir).unwrap()));
        let key = CertifiedKey::new(
            vec![CERT.to_vec()],
            PrivateKey::from_pkcs8(KEY, CERT).unwrap(),
        )
        .unwrap();
        let mut server = ServerConfig::new(provider.clone(), CertResolver::new(vec![key]));
        server.session_tickets = false;
        let mut client = ClientConfig::new(provider, ServerCertVerifier::insecure());
        client.versions = vec![version];
        let mut c = ClientConnection::new(Arc::new(client), "rsa.fixture.test").unwrap();
        let mut s = ServerConnection::new(Arc::new(server)).unwrap();
        pump(&mut c, &mut s);
        assert!(!c.is_handshaking() && !s.is_handshaking());
        (c, s, TempDir(dir))
    }

    fn still_talks(c: &mut ConnectionCommon, s: &mut ConnectionCommon) {
        c.writer().write_all(b"still here").unwrap();
        pump(c, s);
        let mut buf = [0u8; 32];
        let n = s.reader().read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"still here");
    }

    /// The refusal is a warning alert: the connection carries data afterwards.
    #[test]
    fn tls12_renegotiation_is_refused_with_a_warning() {
        let (mut c, mut s, _dir) = tls12_pair();
        // The client asks to renegotiate: the server answers no_renegotiation, a warning.
        let hello = encode_handshake(HandshakeType::ClientHello, &[3, 3]);
        c.inner.common.record.queue_handshake(&hello);
        c.inner.common.record.flush_handshake().unwrap();
        move_bytes(&mut c, &mut s).unwrap();
        assert!(s.wants_write(), "the server answers");
        move_bytes(&mut s, &mut c).unwrap();
        still_talks(&mut c, &mut s);

        // The server asks (HelloRequest): the client refuses the same way.
        let request = encode_handshake(HandshakeType::HelloRequest, &[]);
        s.inner.common.record.queue_handshake(&request);
        s.inner.common.record.flush_handshake().unwrap();
        move_bytes(&mut s, &mut c).unwrap();
        assert!(c.wants_write(), "the client answers");
        move_bytes(&mut c, &mut s).unwrap();
        still_talks(&mut s, &mut c);
    }

    /// Messages a peer sends in a flood without reading a byte of the answers.
    const FLOOD: usize = 100_000;

    /// How a flood ended.
    struct Flooded {
        /// Messages the server took.
        taken: usize,
        /// How the server's connection ended (`None`: it is still open).
        error: Option<Error>,
        /// Bytes the client sent that the server did not read yet.
        unread: Vec<u8>,
    }

    /// The client sends `FLOOD` messages made by `send` and never reads; after each, the
    /// server's queued output must stay within its bound.
    fn flood(
        c: &mut ClientConnection,
        s: &mut ServerConnection,
        mut send: impl FnMut(&mut ClientConnection),
    ) -> Flooded {
        let bound = crate::config::DEFAULT_MAX_QUEUED_OUTPUT;
        for taken in 0..FLOOD {
            send(c);
            let mut wire = Vec::new();
            while c.wants_write() {
                c.write_tls(&mut wire).unwrap();
            }
            let mut rest = &wire[..];
            while !rest.is_empty() {
                if s.read_tls(&mut rest).is_err() {
                    // The server's receive buffer is full: it takes no more until the
                    // client reads, so a real peer blocks here.
                    let unread = rest.to_vec();
                    return Flooded {
                        taken,
                        error: None,
                        unread,
                    };
                }
                let result = s.process_new_packets();
                let queued = s.queued_output();
                assert!(
                    queued <= bound,
                    "after {taken} messages the server queues {queued} bytes (bound {bound})"
                );
                if let Err(error) = result {
                    return Flooded {
                        taken,
                        error: Some(error),
                        unread: Vec::new(),
                    };
                }
            }
        }
        Flooded {
            taken: FLOOD,
            error: None,
            unread: Vec::new(),
        }
    }

    /// The server's output so far, for the client to read.
    fn server_output(s: &mut ServerConnection) -> Vec<u8> {
        let mut wire = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut wire).unwrap();
        }
        wire
    }

    /// The client reads `wire` and ends on the server's fatal alert.
    fn client_sees_alert(c: &mut ClientConnection, wire: &[u8], alert: AlertDescription) {
        let mut rest = wire;
        while !rest.is_empty() {
            c.read_tls(&mut rest).unwrap();
            if let Err(error) = c.process_new_packets() {
                assert_eq!(error, Error::PeerAlert(alert));
                return;
            }
        }
        panic!("the server sent no fatal alert");
    }

    #[test]
    fn tls12_renegotiation_flood_ends_with_unexpected_message() {
        let (mut c, mut s, _dir) = tls12_pair();
        let hello = encode_handshake(HandshakeType::ClientHello, &[3, 3]);
        let Flooded { taken, error, .. } = flood(&mut c, &mut s, |c| {
            c.inner.common.record.queue_handshake(&hello);
            c.inner.common.record.flush_handshake().unwrap();
        });
        let error = error.unwrap_or_else(|| panic!("{taken} renegotiations and still open"));
        assert_eq!(taken, MAX_UNSOLICITED as usize);
        assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
        // Every refusal was a warning; the last record is the fatal alert (TLS 1.2 record
        // headers show the content type).
        let wire = server_output(&mut s);
        let mut records = Vec::new();
        let mut rest = &wire[..];
        while rest.len() >= 5 {
            let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            records.push(rest[0]);
            rest = &rest[len..];
        }
        assert_eq!(records.len(), MAX_UNSOLICITED as usize + 1);
        assert!(records.iter().all(|&kind| kind == 21), "alerts only");
    }

    #[test]
    fn tls13_key_update_flood_ends_with_unexpected_message() {
        let (mut c, mut s, _dir) = pair(Version::Tls13);
        let Flooded { taken, error, .. } =
            flood(&mut c, &mut s, |c| c.refresh_traffic_keys().unwrap());
        let error = error.unwrap_or_else(|| panic!("{taken} KeyUpdates and still open"));
        assert_eq!(taken, MAX_UNSOLICITED as usize);
        assert_eq!(
            error,
            Error::UnexpectedMessage("too many messages without application data")
        );
        let wire = server_output(&mut s);
        client_sees_alert(&mut c, &wire, AlertDescription::UnexpectedMessage);
    }

    #[test]
    fn empty_record_flood_ends_with_unexpected_message() {
        for version in [Version::Tls12, Version::Tls13] {
            let (mut c, mut s, _dir) = pair(version);
            let Flooded { taken, error, .. } = flood(&mut c, &mut s, |c| {
                c.inner
                    .common
                    .record
                    .send_empty_record(ContentType::ApplicationData)
                    .unwrap()
            });
            let error = error.unwrap_or_else(|| panic!("{taken} empty records and still open"));
            assert_eq!(taken, MAX_UNSOLICITED as usize, "{version}");
            assert_eq!(error.alert(), Some(AlertDescription::UnexpectedMessage));
            let wire = server_output(&mut s);
            client_sees_alert(&mut c, &wire, AlertDescription::UnexpectedMessage);
        }
    }

    /// Application data between the KeyUpdates resets the count, so only the bound on
    /// queued output stops the flood: the server stops taking records once its answers
    /// reach the bound, and goes on when the client reads them.
    #[test]
    fn key_updates_between_data_stop_at_the_output_bound() {
        let (mut c, mut s, _dir) = pair(Version::Tls13);
        let Flooded {
            taken,
            error,
            unread,
        } = flood(&mut c, &mut s, |c| {
            c.writer().write_all(b"x").unwrap();
            c.refresh_traffic_keys().unwrap();
        });
        assert_eq!(error, None);
        assert!(taken < FLOOD, "the server took the whole flood");
        assert!(
            !s.wants_read(),
            "backpressure: the server wants its output read first"
        );
        assert!(s.queued_output() > crate::config::DEFAULT_MAX_QUEUED_OUTPUT / 2);

        // The client reads the answers: the server takes the held records and reads again.
        let wire = server_output(&mut s);
        let mut rest = &wire[..];
        while !rest.is_empty() {
            c.read_tls(&mut rest).unwrap();
            c.process_new_packets().unwrap();
        }
        s.process_new_packets().unwrap();
        assert!(s.wants_read());
        let mut rest = &unread[..];
        while !rest.is_empty() {
            s.read_tls(&mut rest).unwrap();
            s.process_new_packets().unwrap();
        }
        c.writer().write_all(b"after").unwrap();
        pump(&mut c, &mut s);
        let mut buf = vec![0u8; 2 * FLOOD];
        let mut got = Vec::new();
        while let Ok(n) = s.reader().read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.ends_with(b"after"));
    }

    #[test]
    fn other_handshake_messages_after_tls12_are_fatal() {
        let (mut c, _s, _dir) = tls12_pair();
        // After a TLS 1.2 handshake, a Finished (or anything but a HelloRequest) is fatal.
        let finished = encode_handshake(HandshakeType::Finished, &[0; 12]);
        let error = c.inner.state.take().unwrap().handle(
            &mut c.inner.common,
            Message::Handshake(crate::codec::handshake::HandshakeMessage {
                kind: HandshakeType::Finished,
                encoded: finished,
            }),
        );
        assert!(matches!(error, Err(Error::UnexpectedMessage(_))));
    }
}

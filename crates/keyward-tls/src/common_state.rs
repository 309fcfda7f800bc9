//! The state every handshake step shares: the [`State`] machine's trait, the [`Message`]s it
//! receives, and the [`CommonState`] (record layer, negotiated result, plaintext queues) it
//! may touch. The handshake modules (`client`, `server`, `tls12`, `tls13`) build on this
//! module alone; `conn` drives it.

use keyward_ssl::{CipherSuite, Group};
use subtle::ConstantTimeEq;

use crate::codec::enums::HandshakeType;
use crate::codec::handshake::HandshakeMessage;
use crate::config::Version;
use crate::error::Error;
use crate::record::{ByteQueue, RecordLayer};
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

/// Most messages in a row that carry no application data and that the connection answers or
/// drops once the handshake is complete: TLS 1.3 KeyUpdates (but the answers to our own
/// requests), refused TLS 1.2 renegotiations
/// (a ClientHello or HelloRequest, answered by a `no_renegotiation` warning), warning alerts
/// and empty application-data records. The next one in the row is fatal, with an
/// `unexpected_message` alert; an application-data record with content starts a new row.
/// 32 is what rustls allows for KeyUpdate requests and OpenSSL for empty records.
pub const MAX_UNSOLICITED: u32 = 32;
/// Room kept under the bound on queued output for the answers to one record: once the
/// handshake is complete, one record brings at most [`MAX_UNSOLICITED`] refused
/// renegotiations and a fatal alert (under 3 KiB with the largest CBC overhead), or one
/// KeyUpdate (it ends its record, RFC 8446 §5.1).
const ANSWER_ROOM: usize = 4096;

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
    pub(crate) received_plaintext: ByteQueue,
    pub(crate) pending_plaintext: Vec<u8>,
    pub(crate) received_close: bool,
    pub(crate) sent_close: bool,
    pub(crate) transport_eof: bool,
    pub(crate) warning_alerts: u8,
    pub(crate) compat_ccs_dropped: u8,
    /// The bound on `record.sendable` (the configuration's `max_queued_output`).
    pub(crate) max_queued_output: usize,
    /// Messages without application data in a row (see [`MAX_UNSOLICITED`]).
    pub(crate) unsolicited: u32,
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
            received_plaintext: ByteQueue::default(),
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
    pub(crate) fn output_is_full(&self) -> bool {
        let queued = self.record.sendable.len();
        queued > 0 && queued.saturating_add(ANSWER_ROOM) > self.max_queued_output
    }

    /// How much plaintext one `write` takes: what fills the queued output up to
    /// `max_queued_output`, and never less than one whole record, so a write always takes
    /// something. A large write is sealed a queue's worth at a time (as `write_tls` drains
    /// it), so its records are sealed into memory that is still in cache, and a connection's
    /// output stays bounded however much the application hands it at once.
    pub(crate) fn write_room(&self) -> usize {
        self.max_queued_output
            .saturating_sub(self.record.sendable.len())
            .max(self.record.max_fragment_len())
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

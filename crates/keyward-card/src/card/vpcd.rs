//! The virtual card behind vsmartcard's **vpcd** reader driver, so that pcscd — and every PC/SC
//! application — sees it in a reader ("Virtual PCD 00 00" on port 35963, "… 00 01" on 35964).
//!
//! The card side connects to vpcd as a TCP client (vpcd listens; docs/cryptosession-and-card.md,
//! "Testing on a real PC/SC stack"). Every message, both ways, is a big-endian `u16` length and
//! that many bytes:
//!
//! | from vpcd | meaning | the card answers |
//! |---|---|---|
//! | 1 byte `00` | power off | nothing (the card session ends) |
//! | 1 byte `01` | power on | nothing (a fresh card session) |
//! | 1 byte `02` | reset | nothing (the card session ends) |
//! | 1 byte `04` | get ATR | the ATR |
//! | 1 byte, other | unknown control code | nothing (reported, ignored, as vicc does) |
//! | 0 bytes | malformed | nothing (reported, ignored, as vicc does) |
//! | 2 bytes or more | a command APDU | the response APDU |
//!
//! [`run`] connects (retrying until vpcd listens, or until the connect timeout), serves the
//! card, and on a closed connection either returns or reconnects. It stops cleanly between
//! two messages when its [`Shutdown`] is requested (the socket is polled with a short read
//! timeout, and a message arriving in pieces is kept across the polls). The card's persistent
//! state is written before each answer ([`VirtualCard`]), so stopping at any point loses
//! nothing. The events it reports never carry APDU data.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{self, Read, Write};
use std::net::{Shutdown as SocketShutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::VirtualCard;
use crate::{Error, Result};

/// vpcd's first reader ("Virtual PCD 00 00"), on the loopback interface.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:35963";
/// Control code: power off.
pub const CTRL_OFF: u8 = 0;
/// Control code: power on.
pub const CTRL_ON: u8 = 1;
/// Control code: reset.
pub const CTRL_RESET: u8 = 2;
/// Control code: get the ATR.
pub const CTRL_ATR: u8 = 4;

/// A stop request shared between [`run`] and whoever stops it (a signal handler, another
/// thread). Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct Shutdown(Arc<AtomicBool>);

impl Shutdown {
    /// A flag that is not raised.
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Asks [`run`] to stop at its next poll.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for `signal_hook::flag::register` and the like.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    /// Raises the flag on SIGINT (Ctrl-C) and SIGTERM instead of letting them kill the
    /// process (the handlers only store `true`; [`run`] then stops within one poll interval).
    /// A failure to install a handler is `Internal`.
    pub fn on_termination_signals(&self) -> Result<()> {
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, self.flag())
                .map_err(|_| Error::Internal("cannot install a signal handler"))?;
        }
        Ok(())
    }
}

/// Where and how [`run`] reaches vpcd.
#[derive(Clone, Debug)]
pub struct VpcdConfig {
    /// vpcd's `host:port` (default [`DEFAULT_ADDRESS`]).
    pub address: String,
    /// Connect again after vpcd closed the connection (pcscd restarted), instead of returning.
    pub reconnect: bool,
    /// How long each connection attempt keeps retrying while vpcd is not listening.
    pub connect_timeout: Duration,
    /// How often a blocked read or a connection retry looks at the [`Shutdown`] flag.
    pub poll_interval: Duration,
}

impl Default for VpcdConfig {
    fn default() -> Self {
        VpcdConfig {
            address: DEFAULT_ADDRESS.to_string(),
            reconnect: false,
            connect_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
        }
    }
}

/// What the card did, for logs. No variant carries APDU data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Connected to vpcd at this address.
    Connected(SocketAddr),
    /// Power off (`00`).
    PowerOff,
    /// Power on (`01`).
    PowerOn,
    /// Reset (`02`).
    Reset,
    /// The ATR was asked for (`04`) and sent.
    AtrSent,
    /// A one-byte message with an unknown control code (ignored).
    UnknownControl(u8),
    /// A zero-length message (ignored).
    EmptyMessage,
    /// A command APDU was answered.
    Command {
        /// Its instruction byte.
        ins: u8,
        /// Its length.
        length: usize,
        /// The status word of the answer.
        sw: u16,
    },
    /// vpcd closed the connection.
    Disconnected,
}

/// Why [`run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The [`Shutdown`] flag was raised.
    Shutdown,
    /// vpcd closed the connection and [`VpcdConfig::reconnect`] is off.
    Disconnected,
}

/// Serves `card` to vpcd until a shutdown is requested or, without
/// [`VpcdConfig::reconnect`], vpcd closes the connection. A closed connection resets the
/// card (a card pulled from its reader).
///
/// Errors: an address that does not resolve → `InvalidParameter`; vpcd not reachable within
/// the connect timeout, or a socket failure other than a closed connection → `Transport`.
pub fn run(
    card: &mut VirtualCard,
    config: &VpcdConfig,
    shutdown: &Shutdown,
    mut on_event: impl FnMut(&Event),
) -> Result<Ended> {
    let addresses: Vec<SocketAddr> = config
        .address
        .to_socket_addrs()
        .map_err(|_| Error::InvalidParameter("vpcd address is not host:port"))?
        .collect();
    if addresses.is_empty() {
        return Err(Error::InvalidParameter("vpcd address resolves to nothing"));
    }
    loop {
        let Some(stream) = connect(&addresses, config, shutdown)? else {
            return Ok(Ended::Shutdown);
        };
        if let Ok(peer) = stream.peer_addr() {
            on_event(&Event::Connected(peer));
        }
        let ended = serve(card, stream, config.poll_interval, shutdown, &mut on_event)?;
        if ended == Ended::Shutdown {
            return Ok(Ended::Shutdown);
        }
        card.reset();
        on_event(&Event::Disconnected);
        if !config.reconnect {
            return Ok(Ended::Disconnected);
        }
    }
}

/// Connects to the first address that answers, retrying every poll interval until the
/// connect timeout. `None` when a shutdown was requested first.
fn connect(
    addresses: &[SocketAddr],
    config: &VpcdConfig,
    shutdown: &Shutdown,
) -> Result<Option<TcpStream>> {
    let started = Instant::now();
    let poll = config.poll_interval.max(Duration::from_millis(1));
    loop {
        if shutdown.is_requested() {
            return Ok(None);
        }
        let mut last_error = None;
        for address in addresses {
            match TcpStream::connect_timeout(address, poll) {
                Ok(stream) => return Ok(Some(stream)),
                Err(error) => last_error = Some(error),
            }
        }
        if started.elapsed() >= config.connect_timeout {
            return Err(Error::Transport(format!(
                "vpcd at {} is not reachable: {}",
                config.address,
                last_error.map_or_else(|| "no address".to_string(), |e| e.to_string())
            )));
        }
        thread::sleep(poll);
    }
}

/// Serves one connection.
fn serve(
    card: &mut VirtualCard,
    mut stream: TcpStream,
    poll_interval: Duration,
    shutdown: &Shutdown,
    on_event: &mut impl FnMut(&Event),
) -> Result<Ended> {
    let socket_error = |error: io::Error| Error::Transport(format!("vpcd socket: {error}"));
    stream
        .set_read_timeout(Some(poll_interval.max(Duration::from_millis(1))))
        .map_err(socket_error)?;
    stream.set_nodelay(true).map_err(socket_error)?;
    let ended = exchange(card, &mut stream, shutdown, on_event)?;
    if ended == Ended::Shutdown {
        let _ = stream.shutdown(SocketShutdown::Both);
    }
    Ok(ended)
}

/// Answers the messages of one connection until it closes or a shutdown is requested.
pub(crate) fn exchange(
    card: &mut VirtualCard,
    stream: &mut (impl Read + Write),
    shutdown: &Shutdown,
    on_event: &mut impl FnMut(&Event),
) -> Result<Ended> {
    let socket_error = |error: io::Error| Error::Transport(format!("vpcd socket: {error}"));
    loop {
        let mut message = match read_message(stream, shutdown)? {
            Received::Message(message) => message,
            Received::Closed => return Ok(Ended::Disconnected),
            Received::Shutdown => return Ok(Ended::Shutdown),
        };
        let answer = match message.as_slice() {
            [] => {
                on_event(&Event::EmptyMessage);
                None
            }
            [CTRL_OFF] => {
                card.reset();
                on_event(&Event::PowerOff);
                None
            }
            [CTRL_ON] => {
                card.reset();
                on_event(&Event::PowerOn);
                None
            }
            [CTRL_RESET] => {
                card.reset();
                on_event(&Event::Reset);
                None
            }
            [CTRL_ATR] => Some((card.atr().to_vec(), Event::AtrSent)),
            &[code] => {
                on_event(&Event::UnknownControl(code));
                None
            }
            apdu => {
                let response = card.process(apdu);
                let sw = match response.as_slice() {
                    [.., sw1, sw2] => u16::from_be_bytes([*sw1, *sw2]),
                    _ => 0,
                };
                let event = Event::Command {
                    ins: apdu.get(1).copied().unwrap_or(0),
                    length: apdu.len(),
                    sw,
                };
                Some((response, event))
            }
        };
        message.zeroize();
        if let Some((mut response, event)) = answer {
            let written = write_message(stream, &response);
            response.zeroize();
            match written {
                Ok(()) => on_event(&event),
                Err(error) if is_closed(&error) => return Ok(Ended::Disconnected),
                Err(error) => return Err(socket_error(error)),
            }
        }
    }
}

enum Received {
    Message(Vec<u8>),
    Closed,
    Shutdown,
}

enum Filled {
    Done,
    Closed,
    Shutdown,
}

/// Reads one length-prefixed message.
fn read_message(stream: &mut impl Read, shutdown: &Shutdown) -> Result<Received> {
    let mut header = [0u8; 2];
    match fill(stream, &mut header, shutdown)? {
        Filled::Done => {}
        Filled::Closed => return Ok(Received::Closed),
        Filled::Shutdown => return Ok(Received::Shutdown),
    }
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(header))];
    Ok(match fill(stream, &mut message, shutdown)? {
        Filled::Done => Received::Message(message),
        Filled::Closed => Received::Closed,
        Filled::Shutdown => Received::Shutdown,
    })
}

/// Fills `buffer` from the stream, looking at the shutdown flag at every read timeout; bytes
/// already read are kept across timeouts.
fn fill(stream: &mut impl Read, buffer: &mut [u8], shutdown: &Shutdown) -> Result<Filled> {
    let mut filled = 0;
    while filled < buffer.len() {
        match stream.read(buffer.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => return Ok(Filled::Closed),
            Ok(count) => filled += count,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if shutdown.is_requested() {
                    return Ok(Filled::Shutdown);
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if is_closed(&error) => return Ok(Filled::Closed),
            Err(error) => return Err(Error::Transport(format!("vpcd socket: {error}"))),
        }
    }
    Ok(Filled::Done)
}

/// Writes one length-prefixed message (at most 65535 bytes).
fn write_message(stream: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let length = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message above 65535 bytes"))?;
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(payload);
    let written = stream.write_all(&frame).and_then(|()| stream.flush());
    frame.zeroize();
    written
}

fn is_closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::mpsc;

    use super::*;
    use crate::apdu::StatusWord;
    use crate::card::{Personalization, ATR, DEFAULT_AID};
    use crate::channel::SecureChannel;
    use crate::instructions::PinId;
    use crate::scp03::{SecurityLevel, StaticKeys};
    use crate::transport::Transport;

    fn keys() -> StaticKeys {
        let pattern = |base: u8| -> Vec<u8> { (0..16).map(|i| base + i).collect() };
        StaticKeys::new(0x30, &pattern(0x00), &pattern(0x10), &pattern(0x20)).unwrap()
    }

    fn card() -> VirtualCard {
        VirtualCard::in_memory(Personalization::new(keys(), b"1234", b"admin-pin").unwrap())
            .unwrap()
    }

    fn config(address: SocketAddr, reconnect: bool) -> VpcdConfig {
        VpcdConfig {
            address: address.to_string(),
            reconnect,
            connect_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(10),
        }
    }

    /// The vpcd side of the protocol, for the tests: sends messages and reads answers.
    struct FakeVpcd {
        stream: TcpStream,
    }

    impl FakeVpcd {
        fn accept(listener: &TcpListener) -> Self {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            FakeVpcd { stream }
        }

        fn send(&mut self, payload: &[u8]) {
            let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
            frame.extend_from_slice(payload);
            self.stream.write_all(&frame).unwrap();
        }

        fn receive(&mut self) -> Vec<u8> {
            let mut header = [0u8; 2];
            self.stream.read_exact(&mut header).unwrap();
            let mut payload = vec![0u8; usize::from(u16::from_be_bytes(header))];
            self.stream.read_exact(&mut payload).unwrap();
            payload
        }

        /// True when the card side has closed the connection.
        fn closed_by_card(&mut self) -> bool {
            let mut byte = [0u8; 1];
            matches!(self.stream.read(&mut byte), Ok(0))
        }
    }

    impl Transport for FakeVpcd {
        fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>> {
            self.send(command);
            Ok(self.receive())
        }

        fn reset(&mut self) -> Result<()> {
            self.send(&[CTRL_RESET]);
            Ok(())
        }

        fn atr(&mut self) -> Result<Vec<u8>> {
            self.send(&[CTRL_ATR]);
            Ok(self.receive())
        }
    }

    /// Runs the card in a thread; returns the join handle and the event receiver.
    fn spawn(
        config: VpcdConfig,
        shutdown: Shutdown,
    ) -> (thread::JoinHandle<Result<Ended>>, mpsc::Receiver<Event>) {
        let (events, received) = mpsc::channel();
        let handle = thread::spawn(move || {
            let mut card = card();
            run(&mut card, &config, &shutdown, |event| {
                let _ = events.send(event.clone());
            })
        });
        (handle, received)
    }

    fn select() -> Vec<u8> {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, DEFAULT_AID.len() as u8];
        apdu.extend_from_slice(&DEFAULT_AID);
        apdu.push(0x00);
        apdu
    }

    #[test]
    fn serves_control_codes_and_apdus_until_vpcd_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (card, events) = spawn(
            config(listener.local_addr().unwrap(), false),
            Shutdown::new(),
        );
        let mut vpcd = FakeVpcd::accept(&listener);
        vpcd.send(&[CTRL_ATR]);
        assert_eq!(vpcd.receive(), ATR);
        vpcd.send(&[CTRL_ON]);
        // Unknown control codes and empty messages get no answer and break nothing.
        vpcd.send(&[0x09]);
        vpcd.send(&[]);
        let selected = vpcd.transmit_raw(&select()).unwrap();
        assert_eq!(&selected[selected.len() - 2..], [0x90, 0x00]);
        assert_eq!(selected[0], 0x6F, "the FCI template");
        // A real session through the socket: SCP03, then a PIN.
        let mut channel =
            SecureChannel::open_selected(&mut vpcd, &keys(), SecurityLevel::Full).unwrap();
        channel.verify_pin(PinId::User, b"1234").unwrap();
        channel.pin_status(PinId::User).unwrap();
        // A reset from vpcd ends the card session: the next wrapped command is refused.
        channel.transport().reset().unwrap();
        let refused = channel.pin_status(PinId::User).unwrap_err();
        assert_eq!(refused, Error::SecurityStatusNotSatisfied);
        drop(channel);
        // A malformed APDU (too short to parse) still gets an answer.
        assert_eq!(vpcd.transmit_raw(&[0x00, 0xA4]).unwrap(), [0x67, 0x00]);
        vpcd.send(&[CTRL_OFF]);
        drop(vpcd);

        assert_eq!(card.join().unwrap(), Ok(Ended::Disconnected));
        let events: Vec<Event> = events.try_iter().collect();
        assert!(matches!(events[0], Event::Connected(_)));
        assert_eq!(
            &events[1..5],
            [
                Event::AtrSent,
                Event::PowerOn,
                Event::UnknownControl(0x09),
                Event::EmptyMessage,
            ]
        );
        assert_eq!(
            events[5],
            Event::Command {
                ins: 0xA4,
                length: 14,
                sw: 0x9000
            }
        );
        assert!(events.contains(&Event::Reset));
        assert!(events.iter().any(|event| matches!(
            event,
            Event::Command { ins: 0x20, sw, .. } if *sw == StatusWord::SECURITY_STATUS_NOT_SATISFIED.0
        )));
        assert_eq!(
            &events[events.len() - 2..],
            [Event::PowerOff, Event::Disconnected]
        );
    }

    #[test]
    fn messages_arriving_in_pieces_survive_the_polls() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (card, _events) = spawn(
            config(listener.local_addr().unwrap(), false),
            Shutdown::new(),
        );
        let mut vpcd = FakeVpcd::accept(&listener);
        let apdu = select();
        let mut frame = (apdu.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(&apdu);
        // Several poll intervals between the pieces, the header split too.
        for piece in [&frame[..1], &frame[1..2], &frame[2..7], &frame[7..]] {
            vpcd.stream.write_all(piece).unwrap();
            thread::sleep(Duration::from_millis(35));
        }
        let answer = vpcd.receive();
        assert_eq!(&answer[answer.len() - 2..], [0x90, 0x00]);
        // A message cut by the close is dropped; the card just sees vpcd go.
        vpcd.stream.write_all(&[0x00, 0x05, 0x80]).unwrap();
        drop(vpcd);
        assert_eq!(card.join().unwrap(), Ok(Ended::Disconnected));
    }

    #[test]
    fn reconnects_and_stops_on_request() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let shutdown = Shutdown::new();
        let (card, events) = spawn(
            config(listener.local_addr().unwrap(), true),
            shutdown.clone(),
        );
        // vpcd goes away (pcscd restarts) twice; the card comes back each time.
        for _ in 0..2 {
            let mut vpcd = FakeVpcd::accept(&listener);
            vpcd.send(&[CTRL_ATR]);
            assert_eq!(vpcd.receive(), ATR);
        }
        let mut vpcd = FakeVpcd::accept(&listener);
        vpcd.send(&[CTRL_ATR]);
        assert_eq!(vpcd.receive(), ATR);
        let asked = Instant::now();
        shutdown.request();
        assert_eq!(card.join().unwrap(), Ok(Ended::Shutdown));
        assert!(asked.elapsed() < Duration::from_secs(2));
        assert!(vpcd.closed_by_card(), "the card closes its socket");
        let events: Vec<Event> = events.try_iter().collect();
        let connects = events
            .iter()
            .filter(|e| matches!(e, Event::Connected(_)))
            .count();
        let disconnects = events.iter().filter(|e| **e == Event::Disconnected).count();
        assert_eq!((connects, disconnects), (3, 2));
    }

    #[test]
    fn termination_signals_raise_the_flag() {
        let shutdown = Shutdown::new();
        shutdown.on_termination_signals().unwrap();
        assert!(!shutdown.is_requested());
        signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
        assert!(
            shutdown.is_requested(),
            "SIGTERM stops the card, not the process"
        );
    }

    #[test]
    fn waits_for_vpcd_then_gives_up_or_stops() {
        // Nothing listens on this port any more.
        let address = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut quick = config(address, false);
        quick.connect_timeout = Duration::from_millis(100);
        let mut card = card();
        let started = Instant::now();
        let error = run(&mut card, &quick, &Shutdown::new(), |_| {}).unwrap_err();
        assert!(matches!(error, Error::Transport(_)), "{error:?}");
        assert!(started.elapsed() >= Duration::from_millis(100));

        // A shutdown while waiting for vpcd returns at once.
        let shutdown = Shutdown::new();
        let (waiting, _events) = spawn(config(address, false), shutdown.clone());
        thread::sleep(Duration::from_millis(50));
        shutdown.request();
        assert_eq!(waiting.join().unwrap(), Ok(Ended::Shutdown));

        // vpcd starting late is fine: the card keeps trying until it listens.
        let (late, _events) = spawn(config(address, false), Shutdown::new());
        thread::sleep(Duration::from_millis(50));
        let listener = TcpListener::bind(address).unwrap();
        let mut vpcd = FakeVpcd::accept(&listener);
        vpcd.send(&[CTRL_ATR]);
        assert_eq!(vpcd.receive(), ATR);
        drop(vpcd);
        assert_eq!(late.join().unwrap(), Ok(Ended::Disconnected));

        let mut bad = config(address, false);
        bad.address = "not an address".into();
        assert!(matches!(
            run(&mut card, &bad, &Shutdown::new(), |_| {}),
            Err(Error::InvalidParameter(_))
        ));
    }
}

//! The daemon: the one process that opens the key store. It listens on a Unix socket,
//! authenticates each client by `SO_PEERCRED`, and serves each connection on its own thread
//! with a handle table that dies with the connection.

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::handles::HandleTable;
use crate::limits::{Limits, TokenBucket};
use crate::operations::perform;
use crate::peer::{peer_credentials, Allowlist};
use crate::protocol::{
    write_frame, FrameRead, FrameReader, Request, RequestBody, Response, ResponseBody,
    PROTOCOL_VERSION, UNSOLICITED,
};
use keyward_core::codec::{Codec, Reader};
use keyward_core::private_fs;
use keyward_core::store::KeyStore;
use keyward_core::{Error, Result};
use keyward_ssl::{Provider, TicketKey};
use std::fs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;
use zeroize::Zeroize;

/// How long a refused peer has to send its hello before the daemon closes on it.
const REFUSAL_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// How the daemon runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The socket path. Its directory is created with mode 0700 if missing and must be owned
    /// by the daemon's user and not writable by group or others.
    pub socket_path: PathBuf,
    /// The key store directory; `None` is the default store (`KEYWARD_HOME`, see
    /// [`KeyStore::open_default`]).
    pub key_store: Option<PathBuf>,
    /// The group that may reach the socket, for clients that run under other users: the
    /// socket is then mode 0660 and its directory mode 0710, both of this group, and the
    /// directory must hold nothing but the socket (`NTE_INVALID_PARAMETER`). `None`
    /// (the default): socket 0600 in a directory private to the daemon's user, so only that
    /// user (and root) can connect. Reaching the socket is not being served: every peer is
    /// still checked against [`Config::allowlist`].
    pub socket_group: Option<u32>,
    /// Who may connect (default: the daemon's own uid).
    pub allowlist: Allowlist,
    /// Per-client limits.
    pub limits: Limits,
}

impl Config {
    /// A configuration with the default allowlist and limits.
    pub fn new(socket_path: impl Into<PathBuf>, key_store: Option<PathBuf>) -> Config {
        Config {
            socket_path: socket_path.into(),
            key_store,
            socket_group: None,
            allowlist: Allowlist::default(),
            limits: Limits::default(),
        }
    }

    /// The default socket ([`crate::default_socket_path`]).
    pub fn default_socket_path() -> PathBuf {
        crate::default_socket_path()
    }
}

/// State every connection thread shares.
struct Shared {
    provider: Provider,
    /// The daemon's one ticket key, made from the RNG when it starts; it never leaves the
    /// daemon, and every client's tickets are sealed with it.
    ticket_key: TicketKey,
    allowlist: Allowlist,
    limits: Limits,
    live_handles: Arc<AtomicUsize>,
    connections: AtomicUsize,
}

/// One open connection, counted in [`Shared::connections`] while it lives.
struct ConnectionSlot {
    shared: Arc<Shared>,
}

impl ConnectionSlot {
    /// A slot, or `None` when the daemon serves its maximum of connections.
    fn take(shared: &Arc<Shared>) -> Option<ConnectionSlot> {
        let max = shared.limits.max_connections;
        shared
            .connections
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| ConnectionSlot {
                shared: shared.clone(),
            })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A bound daemon, not yet accepting.
pub struct Daemon {
    listener: UnixListener,
    socket_path: PathBuf,
    shared: Arc<Shared>,
}

fn io_error(error: io::Error) -> Error {
    Error::Io(error.to_string())
}

/// Makes way for the socket at `path`: a stale socket (nobody answers) is removed; a live one
/// or anything that is not a socket is refused.
fn clear_stale_socket(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(error)),
        Ok(metadata) if !metadata.file_type().is_socket() => Err(Error::Io(format!(
            "{}: exists and is not a socket",
            path.display()
        ))),
        Ok(_) => match UnixStream::connect(path) {
            Ok(_) => Err(Error::Io(format!(
                "{}: another daemon is listening there",
                path.display()
            ))),
            Err(_) => fs::remove_file(path).map_err(io_error),
        },
    }
}

/// Sets who can reach a freshly bound socket: its owner only (0600), or also `group` (0660,
/// with the directory 0710 of that group: members can reach the socket but not list or add
/// files). The socket gets its final mode before the directory lets the group in, so nobody
/// connects between bind and chmod.
fn open_to(socket: &Path, directory: &Path, group: Option<u32>) -> Result<()> {
    let mode = |path: &Path, mode| fs::set_permissions(path, fs::Permissions::from_mode(mode));
    match group {
        None => mode(socket, 0o600).map_err(io_error),
        Some(gid) => {
            let group_of = |path: &Path| {
                std::os::unix::fs::chown(path, None, Some(gid))
                    .map_err(|error| Error::Io(format!("{}: group {gid}: {error}", path.display())))
            };
            group_of(socket)?;
            mode(socket, 0o660).map_err(io_error)?;
            // The directory's group and mode change too, so it must be the socket's own
            // (never /run or a home directory that happens to pass the ownership check).
            let others = fs::read_dir(directory)
                .map_err(io_error)?
                .filter_map(|entry| entry.ok())
                .any(|entry| Some(entry.file_name().as_os_str()) != socket.file_name());
            if others {
                return Err(Error::InvalidParameter(
                    "a socket group needs a directory that holds nothing but the socket",
                ));
            }
            group_of(directory)?;
            mode(directory, 0o710).map_err(io_error)
        }
    }
}

impl Daemon {
    /// Opens the key store and binds the socket (mode 0600, in a directory checked as private
    /// to the daemon's user; or open to [`Config::socket_group`]). A stale socket file is replaced; a live daemon on the same path
    /// is an error.
    pub fn bind(config: Config) -> Result<Daemon> {
        let limits = Limits {
            max_request_len: config
                .limits
                .max_request_len
                .min(crate::protocol::MAX_FRAME_LEN),
            ..config.limits
        };
        let store = match &config.key_store {
            Some(dir) => KeyStore::open(dir)?,
            None => KeyStore::open_default()?,
        };
        let directory = config
            .socket_path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .ok_or(Error::InvalidParameter("socket path without a directory"))?;
        private_fs::ensure_dir(directory, true).map_err(io_error)?;
        clear_stale_socket(&config.socket_path)?;
        let listener = UnixListener::bind(&config.socket_path).map_err(io_error)?;
        open_to(&config.socket_path, directory, config.socket_group)?;
        let provider = Provider::with_key_store(store);
        let ticket_key = provider.create_ticket_key()?;
        Ok(Daemon {
            listener,
            socket_path: config.socket_path,
            shared: Arc::new(Shared {
                provider,
                ticket_key,
                allowlist: config.allowlist,
                limits,
                live_handles: Arc::new(AtomicUsize::new(0)),
                connections: AtomicUsize::new(0),
            }),
        })
    }

    /// The live handles of all clients: a counter tests and monitoring can read.
    pub fn live_handles(&self) -> Arc<AtomicUsize> {
        self.shared.live_handles.clone()
    }

    /// Accepts clients until `stop` is set (checked after each accept), one thread per client.
    fn accept_until(self, stop: &AtomicBool) -> Result<()> {
        for stream in self.listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let stream = match stream {
                Ok(stream) => stream,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                // A client that went away before accept, or a passing resource shortage: the
                // daemon keeps serving the others.
                Err(_) => continue,
            };
            let Some(slot) = ConnectionSlot::take(&self.shared) else {
                // Full: a short answer that fits the socket buffer, written without a thread.
                let mut stream = stream;
                let _ = send(&mut stream, &Response::error(UNSOLICITED, &Error::Busy));
                continue;
            };
            let spawned = thread::Builder::new()
                .name("keyiso-client".into())
                .spawn(move || serve_connection(stream, &slot.shared));
            if spawned.is_err() {
                // No thread for this client: its stream was dropped with the closure.
                continue;
            }
        }
        let _ = fs::remove_file(&self.socket_path);
        Ok(())
    }

    /// Serves clients on this thread, for ever.
    pub fn run(self) -> Result<()> {
        self.accept_until(&AtomicBool::new(false))
    }

    /// Serves clients on a new thread; the returned [`RunningDaemon`] stops it.
    pub fn spawn(self) -> Result<RunningDaemon> {
        let stop = Arc::new(AtomicBool::new(false));
        let live_handles = self.live_handles();
        let socket_path = self.socket_path.clone();
        let thread_stop = stop.clone();
        let thread = thread::Builder::new()
            .name("keyiso-accept".into())
            .spawn(move || self.accept_until(&thread_stop))
            .map_err(io_error)?;
        Ok(RunningDaemon {
            stop,
            live_handles,
            socket_path,
            thread: Some(thread),
        })
    }
}

/// A daemon serving on its own thread. Dropping it stops accepting and removes the socket;
/// connections already open run until their clients close them.
pub struct RunningDaemon {
    stop: Arc<AtomicBool>,
    live_handles: Arc<AtomicUsize>,
    socket_path: PathBuf,
    thread: Option<JoinHandle<Result<()>>>,
}

impl RunningDaemon {
    /// The live handles of all clients.
    pub fn live_handles(&self) -> usize {
        self.live_handles.load(Ordering::SeqCst)
    }

    /// The socket the daemon listens on.
    pub fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    /// Stops accepting and waits for the accept thread.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag. When that cannot be done (someone
        // removed the socket file), the accept thread is left blocked in accept, to end with
        // the process, rather than this call waiting for ever.
        let woken = UnixStream::connect(&self.socket_path).is_ok();
        if let Some(thread) = self.thread.take() {
            if woken {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Runs the daemon described by `config` on this thread: the entry point of `keyward keyiso`.
pub fn serve(config: Config) -> Result<()> {
    Daemon::bind(config)?.run()
}

/// One client connection's state.
struct Connection<'a> {
    shared: &'a Shared,
    handles: HandleTable,
    rate: TokenBucket,
    greeted: bool,
    /// The protocol version of the client's hello.
    version: u16,
}

/// The oldest protocol version the daemon still speaks: a client of an older version gets
/// every request but those of later versions ([`RequestBody::since`]).
const OLDEST_PROTOCOL_VERSION: u16 = 1;

/// What to do after answering.
#[derive(PartialEq, Eq)]
enum Next {
    Continue,
    Close,
}

/// Appends `response` to `out` as a frame; one too long for a frame goes as its error.
fn encode_answer(response: &Response, out: &mut Vec<u8>) {
    let frame = response
        .to_frame()
        .or_else(|error| Response::error(response.id, &error).to_frame());
    if let Ok(mut frame) = frame {
        out.extend_from_slice(&frame);
        frame.zeroize();
    }
}

fn send(stream: &mut UnixStream, response: &Response) -> io::Result<()> {
    let mut frame = Vec::new();
    encode_answer(response, &mut frame);
    write_frame(stream, frame)
}

/// The answers the daemon gathers before it writes them, whether or not more requests are
/// waiting in its reader: bounds what a client that sends many requests at once costs.
const MAX_BATCHED_ANSWERS: usize = 16 * 1024;

/// Serves one client until it closes, breaks the protocol beyond repair, or is refused.
fn serve_connection(mut stream: UnixStream, shared: &Shared) {
    let Ok(peer) = peer_credentials(&stream) else {
        return;
    };
    if !shared.allowlist.allows(&peer) {
        refuse(stream);
        return;
    }
    let mut connection = Connection {
        shared,
        handles: HandleTable::new(shared.limits.max_handles, shared.live_handles.clone()),
        rate: TokenBucket::new(shared.limits.burst, shared.limits.requests_per_second),
        greeted: false,
        version: 0,
    };
    let mut reader = FrameReader::new();
    // Answers to requests that came in one read (pipelined requests and the one after them)
    // go back in one write, made when no whole request is left in the reader.
    let mut answers = Vec::new();
    loop {
        let mut frame = match reader.read_frame(&mut stream, shared.limits.max_request_len) {
            Ok(FrameRead::Frame(frame)) => frame,
            Ok(FrameRead::Closed) | Err(_) => break,
            Ok(FrameRead::TooLarge(_)) => {
                // The body is not read, so the stream cannot be resynchronised: answer, close.
                let error = Error::LimitExceeded("request frame too large");
                let _ = send(&mut stream, &Response::error(UNSOLICITED, &error));
                break;
            }
        };
        let answered = catch_unwind(AssertUnwindSafe(|| connection.answer(&frame)));
        frame.zeroize();
        let (response, next) = answered.unwrap_or_else(|_| {
            (
                Response::error(UNSOLICITED, &Error::Internal("request handler panicked")),
                Next::Close,
            )
        });
        encode_answer(&response, &mut answers);
        if next == Next::Close {
            let _ = write_frame(&mut stream, std::mem::take(&mut answers));
            break;
        }
        let batch_done = !reader.has_frame() || answers.len() >= MAX_BATCHED_ANSWERS;
        if batch_done && write_frame(&mut stream, std::mem::take(&mut answers)).is_err() {
            break;
        }
    }
    answers.zeroize();
    // `connection.handles` drops here: every handle of the client is freed.
}

/// Answers a peer that is not on the allowlist: reads its first frame (bounded in size and
/// time, so the peer's hello is not left unread, which would reset the connection before it
/// reads the answer), answers `NTE_PERM` and closes.
fn refuse(mut stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(REFUSAL_READ_TIMEOUT));
    let _ = FrameReader::new().read_frame(&mut stream, crate::protocol::MAX_FRAME_LEN);
    let _ = send(
        &mut stream,
        &Response::error(UNSOLICITED, &Error::AccessDenied),
    );
}

/// The request id of a body that did not decode, if it has one.
fn request_id_of(frame: &[u8]) -> u32 {
    Reader::new(frame).u32().unwrap_or(UNSOLICITED)
}

impl Connection<'_> {
    fn answer(&mut self, frame: &[u8]) -> (Response, Next) {
        let request = match Request::decode(frame) {
            Ok(request) => request,
            // Frames are delimited by their length, so a bad body loses nothing else.
            Err(error) => {
                return (
                    Response::error(request_id_of(frame), &error),
                    Next::Continue,
                )
            }
        };
        let pipelined = match &request.body {
            RequestBody::Pipelined { handle, .. } => Some(*handle),
            _ => None,
        };
        let (response, next) = self.dispatch(request);
        if let (Some(name), ResponseBody::Error { status }) = (pipelined, &response.body) {
            // Requests that use the name get this status until the client frees it.
            self.handles.fail(name, *status);
        }
        (response, next)
    }

    fn dispatch(&mut self, request: Request) -> (Response, Next) {
        let id = request.id;
        if !self.rate.take() {
            return (Response::error(id, &Error::Busy), Next::Continue);
        }
        match (self.greeted, request.body) {
            (false, RequestBody::Hello { version })
                if (OLDEST_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&version) =>
            {
                self.greeted = true;
                self.version = version;
                let body = ResponseBody::Hello { version };
                (Response { id, body }, Next::Continue)
            }
            (false, RequestBody::Hello { .. }) => (
                Response::error(id, &Error::NotSupported("keyiso protocol version")),
                Next::Close,
            ),
            (false, _) => (
                Response::error(id, &Error::InvalidParameter("hello first")),
                Next::Close,
            ),
            (true, body) if body.since() > self.version => (
                // What a daemon of that version answers: it has no such request.
                Response::error(id, &Error::BadData("unknown request type")),
                Next::Continue,
            ),
            (true, body) => {
                let shared = self.shared;
                let response = match perform(
                    &shared.provider,
                    &shared.ticket_key,
                    &mut self.handles,
                    body,
                ) {
                    Ok(body) => Response { id, body },
                    Err(error) => Response::error(id, &error),
                };
                (response, Next::Continue)
            }
        }
    }
}

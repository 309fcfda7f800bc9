//! A connection over an async (tokio) socket: [`TlsStream`] implements `AsyncRead` and
//! `AsyncWrite` for plaintext; [`accept`] and [`connect`] run the handshake.
//!
//! The sans-IO connection reads and writes through `std::io` traits, so the socket is wrapped
//! in small adapters that poll it with the task's context and turn `Pending` into
//! `WouldBlock`. TLS failures are `io::Error`s of kind `InvalidData` wrapping the [`Error`]
//! ([`crate::stream::tls_error`]).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::ops::DerefMut;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::client::ClientConnection;
use crate::config::{ClientConfig, ServerConfig};
use crate::conn::ConnectionCommon;
use crate::error::Error;
use crate::server::ServerConnection;
use crate::stream::io_error;

/// Most plaintext taken in one `poll_write` (the rest waits for the next call), so that a
/// large write does not buffer unbounded ciphertext.
const MAX_WRITE_CHUNK: usize = 64 * 1024;

/// The socket seen as `io::Read` / `io::Write` for one poll: `Pending` is `WouldBlock`.
struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut *self.io).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(error)) => Err(error),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// `WouldBlock` back to `Pending` (the socket registered the waker).
fn ready<T>(result: io::Result<T>) -> Poll<io::Result<T>> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
        other => Poll::Ready(other),
    }
}

/// A TLS connection `C` ([`ClientConnection`] or [`ServerConnection`]) over an async socket
/// `IO`. Reading returns the peer's plaintext (end of stream at its close_notify; an unclean
/// end of the transport is `UnexpectedEof`); writing encrypts; `poll_shutdown` sends
/// close_notify and then shuts the socket down.
pub struct TlsStream<IO, C> {
    io: IO,
    conn: C,
    /// The transport reached its end.
    eof: bool,
    /// The connection may hold received records back (its output was full): process them
    /// before reading more.
    held_back: bool,
    /// The reading task, while it waits for the output to drain (backpressure).
    read_waker: Option<Waker>,
    /// The writing task, while it waits for the socket to take the output.
    write_waker: Option<Waker>,
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    /// Pairs a connection with a socket; the handshake runs on first use, or with
    /// [`Self::handshake`].
    pub fn new(io: IO, conn: C) -> Self {
        TlsStream {
            io,
            conn,
            eof: false,
            held_back: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// The socket and the connection.
    pub fn get_ref(&self) -> (&IO, &C) {
        (&self.io, &self.conn)
    }

    /// The socket and the connection, mutably (bytes written to the socket directly corrupt
    /// the TLS stream).
    pub fn get_mut(&mut self) -> (&mut IO, &mut C) {
        (&mut self.io, &mut self.conn)
    }

    /// The socket and the connection.
    pub fn into_inner(self) -> (IO, C) {
        (self.io, self.conn)
    }

    /// Runs the handshake to completion and writes its last flight.
    pub async fn handshake(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_handshake(cx)).await
    }

    /// Writes pending TLS bytes until none is left (`Ready(Ok)`), the socket is busy
    /// (`Pending`) or fails.
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match ready(self.conn.write_tls(&mut io)) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes what pending TLS bytes the socket takes now, without registering this task for
    /// the socket's write readiness: used on the read side, where registering would take the
    /// wake-up from a task that writes through a split half.
    fn try_flush_tls(&mut self) -> io::Result<()> {
        let mut cx = Context::from_waker(Waker::noop());
        match self.poll_flush_tls(&mut cx) {
            Poll::Ready(Err(error)) => Err(error),
            _ => Ok(()),
        }
    }

    /// Writes pending TLS bytes and flushes the socket.
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.poll_write_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.io).poll_flush(cx),
            other => other,
        }
    }

    /// Reads TLS bytes once and processes them. `Ready(Ok(0))` at the transport's end. A TLS
    /// error queues its alert, which is written if the socket takes it at once.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut io = SyncIo {
            io: &mut self.io,
            cx,
        };
        let n = match ready(self.conn.read_tls(&mut io)) {
            Poll::Ready(Ok(n)) => n,
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            other => return other,
        };
        if n == 0 {
            self.eof = true;
        }
        if let Err(error) = self.process_held_back() {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }

    /// Processes the records read so far and notes whether the connection held some back
    /// (its output is full). A TLS error queues its alert, which is written if the socket
    /// takes it at once.
    fn process_held_back(&mut self) -> io::Result<()> {
        if let Err(error) = self.conn.process_new_packets() {
            let _ = self.try_flush_tls();
            return Err(io_error(error));
        }
        self.held_back = self.conn.is_output_full();
        Ok(())
    }

    /// Wakes the reading task that waits for the output to drain.
    fn wake_reader(&mut self) {
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
    }

    /// Wakes the writing task that waits for the socket.
    fn wake_writer(&mut self) {
        if let Some(waker) = self.write_waker.take() {
            waker.wake();
        }
    }

    /// The write side's flush: notes a waiting writer, and wakes a reader held by
    /// backpressure once the output drained.
    fn poll_flush_for_writer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.poll_write_tls(cx);
        match &poll {
            Poll::Pending => self.write_waker = Some(cx.waker().clone()),
            Poll::Ready(_) => self.wake_reader(),
        }
        poll
    }

    /// Drives the handshake: write what is pending, read and process the peer's flight,
    /// until the handshake is complete and its last flight written.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.poll_flush_tls(cx) {
                Poll::Ready(Ok(())) => {}
                // The handshake is complete and only what follows it (TLS 1.3 session tickets)
                // failed to go out, e.g. to a client that closed at once: the handshake
                // succeeded, and the error shows on the next write.
                Poll::Ready(Err(_)) if !self.conn.is_handshaking() => return Poll::Ready(Ok(())),
                other => return other,
            }
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            if self.held_back {
                self.held_back = false;
                self.process_held_back()?;
                continue;
            }
            if self.eof || !self.conn.wants_read() {
                if let Err(error) = self.conn.process_new_packets() {
                    let _ = self.try_flush_tls();
                    return Poll::Ready(Err(io_error(error)));
                }
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the transport ended during the TLS handshake",
                )));
            }
            match self.poll_read_tls(cx) {
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<IO, C> AsyncRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.is_handshaking() {
            match this.poll_handshake(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
        }
        loop {
            match this.conn.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
            if this.conn.is_output_full() {
                // Backpressure: a peer that does not read our answers (KeyUpdates, refusals)
                // is not read from until it does.
                match this.poll_flush_tls(cx) {
                    Poll::Ready(Ok(())) => this.wake_writer(),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {
                        // A task writing through a split half may have registered for the
                        // socket's write readiness before us: it is woken when we get on.
                        this.read_waker = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                }
            }
            if this.held_back {
                // The records the connection held back while its output was full.
                this.held_back = false;
                if let Err(error) = this.process_held_back() {
                    return Poll::Ready(Err(error));
                }
                continue;
            }
            if this.eof || !this.conn.wants_read() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the TLS connection cannot read more",
                )));
            }
            match this.poll_read_tls(cx) {
                Poll::Ready(Ok(_)) => {
                    // Answers the peer may need (KeyUpdate); what the socket does not take
                    // now goes out with the next write or flush, which also reports errors,
                    // or, once the output is full, before the next read.
                    let _ = this.try_flush_tls();
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<IO, C> AsyncWrite for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = ConnectionCommon> + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.conn.is_handshaking() {
            match this.poll_handshake(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // Backpressure: take no more plaintext while earlier records wait for the socket.
        match this.poll_flush_for_writer(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => return Poll::Pending,
        }
        let chunk = buf.get(..buf.len().min(MAX_WRITE_CHUNK)).unwrap_or(buf);
        let n = this.conn.writer().write(chunk)?;
        // Start sending; what the socket does not take now goes out on the next call.
        if let Poll::Ready(Err(error)) = this.poll_flush_for_writer(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.is_handshaking() {
            match this.poll_handshake(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
        }
        match this.poll_flush_for_writer(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // close_notify is queued once, however often this is polled.
        this.conn.send_close_notify();
        match this.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_shutdown(cx),
            other => other,
        }
    }
}

/// Runs a server handshake on `io` and returns the stream once it is complete. A TLS failure
/// is an `InvalidData` error wrapping the [`Error`], after the alert was sent.
pub async fn accept<IO>(
    config: Arc<ServerConfig>,
    io: IO,
) -> io::Result<TlsStream<IO, ServerConnection>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let conn = ServerConnection::new(config).map_err(config_error)?;
    let mut stream = TlsStream::new(io, conn);
    stream.handshake().await?;
    Ok(stream)
}

/// Runs a client handshake with `server_name` on `io` and returns the stream once it is
/// complete. A TLS failure is an `InvalidData` error wrapping the [`Error`].
pub async fn connect<IO>(
    config: Arc<ClientConfig>,
    server_name: &str,
    io: IO,
) -> io::Result<TlsStream<IO, ClientConnection>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let conn = ClientConnection::new(config, server_name).map_err(config_error)?;
    let mut stream = TlsStream::new(io, conn);
    stream.handshake().await?;
    Ok(stream)
}

/// A connection that cannot start (bad configuration or server name): `InvalidInput`.
fn config_error(error: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

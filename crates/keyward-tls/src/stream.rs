//! A connection over a blocking socket: [`Stream`] (borrowing both) and [`StreamOwned`]
//! (owning both) implement `io::Read` and `io::Write` for plaintext, and complete the handshake
//! on first use.
//!
//! TLS failures come out as `io::Error`s of kind `InvalidData` that wrap the [`Error`]
//! (see [`tls_error`]); the fatal alert has then already been written to the socket (best
//! effort).

use std::io::{self, Read, Write};
use std::ops::DerefMut;

use crate::conn::ConnectionCommon;
use crate::error::Error;

/// Wraps a TLS error in an `io::Error` of kind `InvalidData`.
pub fn io_error(error: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// The TLS error inside an `io::Error` made by this crate's streams, if it is one.
pub fn tls_error(error: &io::Error) -> Option<&Error> {
    error.get_ref()?.downcast_ref::<Error>()
}

/// `&mut T` as `&mut dyn Read + Write` also for unsized `T`.
struct Io<'a, T: ?Sized>(&'a mut T);

impl<T: Read + ?Sized> Read for Io<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<T: Write + ?Sized> Write for Io<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Writes every pending TLS byte to `sock` and flushes it; returns how many were written.
fn write_all_tls<T: Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
) -> io::Result<usize> {
    let mut written = 0;
    if !conn.wants_write() {
        return Ok(0);
    }
    while conn.wants_write() {
        match conn.write_tls(&mut Io(&mut *sock)) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    sock.flush()?;
    Ok(written)
}

/// Reads once from `sock` and processes what arrived; then writes whatever the connection
/// wants to answer (a KeyUpdate, a ticket). Returns the bytes read (0 at end of file). A TLS
/// error sends its alert (best effort) and comes back as an `InvalidData` error.
fn read_and_process<T: Read + Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
) -> io::Result<usize> {
    let read = loop {
        match conn.read_tls(&mut Io(&mut *sock)) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => break other?,
        }
    };
    process_and_answer(conn, sock)?;
    Ok(read)
}

/// Processes the records read so far and writes the answers. While the answers fill the
/// connection's queued output, it holds the remaining records back (backpressure): they are
/// processed once the answers are written, which blocks until the peer reads them.
fn process_and_answer<T: Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
) -> io::Result<usize> {
    let mut written = 0;
    loop {
        if let Err(error) = conn.process_new_packets() {
            let _ = write_all_tls(conn, sock);
            return Err(io_error(error));
        }
        let held_back = conn.is_output_full();
        written += write_all_tls(conn, sock)?;
        if !held_back {
            return Ok(written);
        }
    }
}

/// Drives the connection over a blocking socket until the handshake is complete (if it is
/// not) and every pending TLS byte is written; returns the TLS bytes (read, written). The end
/// of the transport in the middle of a handshake is `UnexpectedEof`.
pub fn complete_io<T: Read + Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
) -> io::Result<(usize, usize)> {
    let mut read = 0;
    let mut written = write_all_tls(conn, sock)?;
    while conn.is_handshaking() {
        if !conn.wants_read() {
            // A failed connection reports its error; otherwise the transport has ended.
            if let Err(error) = conn.process_new_packets() {
                let _ = write_all_tls(conn, sock);
                return Err(io_error(error));
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the transport ended during the TLS handshake",
            ));
        }
        let n = loop {
            match conn.read_tls(&mut Io(&mut *sock)) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        read += n;
        written += process_and_answer(conn, sock)?;
        if n == 0 && conn.is_handshaking() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the transport ended during the TLS handshake",
            ));
        }
    }
    Ok((read, written))
}

/// Plaintext read over a blocking socket: what is buffered, else one more read of TLS bytes
/// at a time until some plaintext, the peer's close_notify (`Ok(0)`) or the end of the
/// transport (`UnexpectedEof` without close_notify).
fn read_plaintext<T: Read + Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    buf: &mut [u8],
) -> io::Result<usize> {
    complete_io(conn, sock)?;
    loop {
        match conn.reader().read(buf) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        if !conn.wants_read() {
            // Nothing buffered and nothing more to read: the reader's verdict is final.
            if let Err(error) = conn.process_new_packets() {
                return Err(io_error(error));
            }
            return match conn.reader().read(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the TLS connection cannot read more",
                )),
                other => other,
            };
        }
        read_and_process(conn, sock)?;
    }
}

/// Most plaintext taken in one `write` call (`write_all` loops), so that a large buffer is not
/// held twice, as plaintext and as ciphertext.
const MAX_WRITE_CHUNK: usize = 64 * 1024;

/// Plaintext written: encrypted into records and written to the socket at once.
fn write_plaintext<T: Read + Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
    buf: &[u8],
) -> io::Result<usize> {
    complete_io(conn, sock)?;
    let chunk = buf.get(..buf.len().min(MAX_WRITE_CHUNK)).unwrap_or(buf);
    let n = conn.writer().write(chunk)?;
    write_all_tls(conn, sock)?;
    Ok(n)
}

fn flush_tls<T: Read + Write + ?Sized>(
    conn: &mut ConnectionCommon,
    sock: &mut T,
) -> io::Result<()> {
    complete_io(conn, sock)?;
    conn.writer().flush()?;
    write_all_tls(conn, sock)?;
    sock.flush()
}

/// Sends close_notify and writes it out. The socket stays open (shut it down or drop it).
fn close<T: Write + ?Sized>(conn: &mut ConnectionCommon, sock: &mut T) -> io::Result<()> {
    conn.send_close_notify();
    write_all_tls(conn, sock)?;
    sock.flush()
}

/// A connection and a blocking socket, both borrowed: plaintext `io::Read` / `io::Write`.
/// The first read or write completes the handshake.
pub struct Stream<'a, C: ?Sized, T: ?Sized> {
    /// The TLS connection.
    pub conn: &'a mut C,
    /// The transport.
    pub sock: &'a mut T,
}

impl<'a, C, T> Stream<'a, C, T>
where
    C: DerefMut<Target = ConnectionCommon> + ?Sized,
    T: Read + Write + ?Sized,
{
    /// Pairs a connection with a socket.
    pub fn new(conn: &'a mut C, sock: &'a mut T) -> Self {
        Stream { conn, sock }
    }

    /// Runs the handshake to completion and writes every pending TLS byte.
    pub fn complete_handshake(&mut self) -> io::Result<()> {
        complete_io(self.conn, self.sock).map(|_| ())
    }

    /// Sends close_notify (the socket stays open).
    pub fn close(&mut self) -> io::Result<()> {
        close(self.conn, self.sock)
    }
}

impl<C, T> Read for Stream<'_, C, T>
where
    C: DerefMut<Target = ConnectionCommon> + ?Sized,
    T: Read + Write + ?Sized,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(self.conn, self.sock, buf)
    }
}

impl<C, T> Write for Stream<'_, C, T>
where
    C: DerefMut<Target = ConnectionCommon> + ?Sized,
    T: Read + Write + ?Sized,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(self.conn, self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(self.conn, self.sock)
    }
}

/// A connection and a blocking socket, both owned: plaintext `io::Read` / `io::Write`.
/// The first read or write completes the handshake.
pub struct StreamOwned<C, T> {
    /// The TLS connection.
    pub conn: C,
    /// The transport.
    pub sock: T,
}

impl<C, T> StreamOwned<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    /// Pairs a connection with a socket.
    pub fn new(conn: C, sock: T) -> Self {
        StreamOwned { conn, sock }
    }

    /// Runs the handshake to completion and writes every pending TLS byte. A TLS failure is
    /// an `InvalidData` error wrapping the [`Error`] ([`tls_error`]).
    pub fn complete_handshake(&mut self) -> io::Result<()> {
        complete_io(&mut self.conn, &mut self.sock).map(|_| ())
    }

    /// Sends close_notify (the socket stays open).
    pub fn close(&mut self) -> io::Result<()> {
        close(&mut self.conn, &mut self.sock)
    }

    /// The borrowing form.
    pub fn as_stream(&mut self) -> Stream<'_, C, T> {
        Stream {
            conn: &mut self.conn,
            sock: &mut self.sock,
        }
    }

    /// The socket.
    pub fn get_ref(&self) -> &T {
        &self.sock
    }

    /// The socket, mutably (bytes written to it directly corrupt the TLS stream).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.sock
    }

    /// The connection and the socket.
    pub fn into_parts(self) -> (C, T) {
        (self.conn, self.sock)
    }
}

impl<C, T> Read for StreamOwned<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(&mut self.conn, &mut self.sock, buf)
    }
}

impl<C, T> Write for StreamOwned<C, T>
where
    C: DerefMut<Target = ConnectionCommon>,
    T: Read + Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(&mut self.conn, &mut self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(&mut self.conn, &mut self.sock)
    }
}

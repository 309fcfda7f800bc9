//! The in-memory harness, the same for both libraries: a client and a server connection pass
//! TLS bytes through a `Vec` (no socket, no kernel), and every call into one side is timed and
//! its heap growth counted on that side's [`Meter`].

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::alloc;

/// What a run of a case failed on.
pub type Failure = String;

/// One end of a TLS connection, as the harness drives it: the sans-IO calls both libraries
/// share.
pub trait Endpoint {
    /// Takes TLS bytes from `rd` (one read).
    fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize>;
    /// Gives pending TLS bytes to `wr`.
    fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize>;
    /// Processes the TLS bytes read so far.
    fn process(&mut self) -> Result<(), Failure>;
    /// True while TLS bytes wait for `write_tls`.
    fn wants_write(&self) -> bool;
    /// True until the handshake is complete.
    fn is_handshaking(&self) -> bool;
    /// True once a handshake resumed a session.
    fn resumed(&self) -> bool;
    /// Queues plaintext to send; returns how much was taken.
    fn write_plain(&mut self, data: &[u8]) -> io::Result<usize>;
    /// Reads received plaintext (`WouldBlock` when there is none).
    fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize>;
}

/// Makes the connections of one case, configured alike for both libraries.
pub trait Library {
    /// The client connection.
    type Client: Endpoint;
    /// The server connection.
    type Server: Endpoint;
    /// A new client connection to [`crate::pki::SERVER_NAME`].
    fn client(&self) -> Result<Self::Client, Failure>;
    /// A new server connection.
    fn server(&self) -> Result<Self::Server, Failure>;
}

/// Time spent in, and heap kept by, the calls into one side.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meter {
    /// Time inside the side's calls.
    pub time: Duration,
    /// Bytes allocated and not freed by the side's calls.
    pub bytes: i64,
    /// Allocations the side's calls made.
    pub allocations: u64,
}

impl Meter {
    fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let bytes = alloc::live_bytes();
        let allocations = alloc::allocations();
        let start = Instant::now();
        let result = f();
        self.time += start.elapsed();
        self.bytes += alloc::live_bytes() - bytes;
        self.allocations += alloc::allocations() - allocations;
        result
    }
}

/// Runs `f` as a call into the client (a function of its own, so that callgrind's inclusive
/// cost of `client_side` is the client's share).
#[inline(never)]
pub fn client_side<R>(meter: &mut Meter, f: impl FnOnce() -> R) -> R {
    let result = meter.run(f);
    // Keeps this function's code distinct from `server_side`'s, so that the compiler does not
    // merge the two and callgrind tells them apart.
    std::hint::black_box(Side::Client);
    result
}

/// Runs `f` as a call into the server; see [`client_side`].
#[inline(never)]
pub fn server_side<R>(meter: &mut Meter, f: impl FnOnce() -> R) -> R {
    let result = meter.run(f);
    std::hint::black_box(Side::Server);
    result
}

/// The two meters of a connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meters {
    /// The client's.
    pub client: Meter,
    /// The server's.
    pub server: Meter,
}

/// Room for the largest flight or burst of records, reserved before anything is measured so
/// that the wire buffer never grows inside a measured call.
const WIRE_CAPACITY: usize = 4 << 20;

/// The buffer TLS bytes travel through.
pub struct Wire(Vec<u8>);

impl Wire {
    /// An empty wire with its full capacity.
    pub fn new() -> Wire {
        Wire(Vec::with_capacity(WIRE_CAPACITY))
    }
}

impl Default for Wire {
    fn default() -> Self {
        Wire::new()
    }
}

fn io_failure(what: &str, err: io::Error) -> Failure {
    format!("{what}: {err}")
}

/// Moves everything `from` wants to send into `to` (which processes it); returns the bytes
/// moved. `from_meter` and `to_meter` are charged for each side's calls.
fn transfer(
    from: &mut impl Endpoint,
    to: &mut impl Endpoint,
    wire: &mut Wire,
    from_meter: &mut Meter,
    to_meter: &mut Meter,
    from_side: Side,
) -> Result<usize, Failure> {
    wire.0.clear();
    from_side.charge(from_meter, || {
        while from.wants_write() {
            from.write_tls(&mut wire.0)
                .map_err(|err| io_failure("write_tls", err))?;
        }
        Ok::<(), Failure>(())
    })?;
    let mut rest = wire.0.as_slice();
    from_side.other().charge(to_meter, || {
        while !rest.is_empty() {
            let n = to
                .read_tls(&mut rest)
                .map_err(|err| io_failure("read_tls", err))?;
            if n == 0 {
                return Err("read_tls took nothing".to_owned());
            }
            to.process()?;
        }
        Ok(())
    })?;
    Ok(wire.0.len())
}

/// The end of a connection a call goes into.
#[derive(Clone, Copy, Debug)]
enum Side {
    Client,
    Server,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    fn charge<R>(self, meter: &mut Meter, f: impl FnOnce() -> R) -> R {
        match self {
            Side::Client => client_side(meter, f),
            Side::Server => server_side(meter, f),
        }
    }
}

/// Passes bytes both ways until neither side has anything to send: the handshake and the
/// messages after it (TLS 1.3 tickets).
pub fn pump(
    client: &mut impl Endpoint,
    server: &mut impl Endpoint,
    wire: &mut Wire,
    meters: &mut Meters,
) -> Result<(), Failure> {
    for _ in 0..16 {
        let up = transfer(
            client,
            server,
            wire,
            &mut meters.client,
            &mut meters.server,
            Side::Client,
        )?;
        let down = transfer(
            server,
            client,
            wire,
            &mut meters.server,
            &mut meters.client,
            Side::Server,
        )?;
        if up == 0 && down == 0 {
            return Ok(());
        }
    }
    Err("the connection did not settle".to_owned())
}

/// Makes a connected pair and runs its handshake; checks it completed, and resumed exactly
/// when `resume` says (if it says).
pub fn connect<L: Library>(
    library: &L,
    wire: &mut Wire,
    meters: &mut Meters,
    resume: Option<bool>,
) -> Result<(L::Client, L::Server), Failure> {
    let mut client = client_side(&mut meters.client, || library.client())?;
    let mut server = server_side(&mut meters.server, || library.server())?;
    pump(&mut client, &mut server, wire, meters)?;
    if client.is_handshaking() || server.is_handshaking() {
        return Err("the handshake did not complete".to_owned());
    }
    let Some(resume) = resume else {
        return Ok((client, server));
    };
    if client.resumed() != resume || server.resumed() != resume {
        return Err(format!(
            "expected a {} handshake, got client resumed={}, server resumed={}",
            if resume { "resumed" } else { "full" },
            client.resumed(),
            server.resumed()
        ));
    }
    Ok((client, server))
}

/// Rates measured piece by piece (one handshake, or one burst of bulk data), for each side:
/// the median piece says what a side sustains when the machine leaves it alone. On a shared
/// machine a piece that the scheduler interrupts takes many times as long; a median ignores
/// such pieces where a total would not.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// The client's rate in each piece (per second: handshakes, or bytes).
    pub client: Vec<f64>,
    /// The server's.
    pub server: Vec<f64>,
}

impl Samples {
    fn push(&mut self, units_client: f64, units_server: f64, meters: &Meters) {
        let rate = |units: f64, meter: &Meter| units / meter.time.as_secs_f64().max(1e-9);
        if units_client > 0.0 {
            self.client.push(rate(units_client, &meters.client));
        }
        if units_server > 0.0 {
            self.server.push(rate(units_server, &meters.server));
        }
    }
}

/// The median of `rates` (0 when empty).
pub fn median(rates: &[f64]) -> f64 {
    let mut sorted = rates.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Runs `count` handshakes (full, or resumed when `resume`: one untimed handshake first makes
/// sure the client has a session), creating and dropping the connections inside the meters;
/// one sample per handshake and side.
pub fn handshakes<L: Library>(library: &L, count: usize, resume: bool) -> Result<Samples, Failure> {
    let mut wire = Wire::new();
    if resume {
        connect(library, &mut wire, &mut Meters::default(), None)?;
    }
    let mut samples = Samples::default();
    for _ in 0..count {
        let mut meters = Meters::default();
        let (client, server) = connect(library, &mut wire, &mut meters, Some(resume))?;
        client_side(&mut meters.client, || drop(client));
        server_side(&mut meters.server, || drop(server));
        samples.push(1.0, 1.0, &meters);
    }
    Ok(samples)
}

/// A transport with nothing to read: what an event loop's last read of an idle socket sees.
struct Idle;

impl Read for Idle {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// One read of an idle transport (the answer, `WouldBlock`, is expected).
fn poll_idle(endpoint: &mut impl Endpoint) -> Result<(), Failure> {
    match endpoint.read_tls(&mut Idle) {
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(err) => Err(io_failure("read_tls", err)),
        Ok(n) => Err(format!("read_tls of an idle transport took {n} bytes")),
    }
}

/// Heap kept per idle connection after its handshake, client and server, averaged over
/// `count` connections kept alive together; the connection objects' own size is added.
/// Each side's transport is read once more after the handshake and has nothing, as an event
/// loop finds an idle socket (both libraries trim their read buffers then).
pub fn memory<L: Library>(library: &L, count: usize) -> Result<(i64, i64), Failure> {
    let mut wire = Wire::new();
    let mut live = Vec::with_capacity(count);
    let mut meters = Meters::default();
    for _ in 0..count {
        let (mut client, mut server) = connect(library, &mut wire, &mut meters, Some(false))?;
        client_side(&mut meters.client, || poll_idle(&mut client))?;
        server_side(&mut meters.server, || poll_idle(&mut server))?;
        live.push((client, server));
    }
    let count = count.max(1) as i64;
    let client = meters.client.bytes / count + std::mem::size_of::<L::Client>() as i64;
    let server = meters.server.bytes / count + std::mem::size_of::<L::Server>() as i64;
    drop(live);
    Ok((client, server))
}

#[cfg(test)]
/// Allocations made by the client's and the server's calls while `records` records of
/// `len` bytes go each way, one at a time, after the handshake and `warm_up` records each
/// way (issue 17: records in place, end to end, allocate nothing in steady state).
pub fn steady_allocations<L: Library>(
    library: &L,
    warm_up: usize,
    records: usize,
    len: usize,
) -> Result<(u64, u64), Failure> {
    let mut wire = Wire::new();
    let (mut client, mut server) =
        connect(library, &mut wire, &mut Meters::default(), Some(false))?;
    let data: Vec<u8> = (0..len).map(pattern).collect();
    let mut sink = vec![0u8; len];
    let mut meters = Meters::default();
    for round in 0..warm_up + records {
        if round == warm_up {
            meters = Meters::default();
        }
        one_record(
            &mut client,
            &mut server,
            &mut wire,
            &mut meters,
            Side::Client,
            &data,
            &mut sink,
        )?;
        one_record(
            &mut server,
            &mut client,
            &mut wire,
            &mut meters,
            Side::Server,
            &data,
            &mut sink,
        )?;
    }
    Ok((meters.client.allocations, meters.server.allocations))
}

#[cfg(test)]
/// Sends `data` from `from` (on `from_side`) to `to` as one record and checks it arrives.
fn one_record(
    from: &mut impl Endpoint,
    to: &mut impl Endpoint,
    wire: &mut Wire,
    meters: &mut Meters,
    from_side: Side,
    data: &[u8],
    sink: &mut [u8],
) -> Result<(), Failure> {
    let (from_meter, to_meter) = match from_side {
        Side::Client => (&mut meters.client, &mut meters.server),
        Side::Server => (&mut meters.server, &mut meters.client),
    };
    let sent = from_side
        .charge(from_meter, || from.write_plain(data))
        .map_err(|err| io_failure("write", err))?;
    if sent != data.len() {
        return Err(format!("write took {sent} of {} bytes", data.len()));
    }
    transfer(from, to, wire, from_meter, to_meter, from_side)?;
    let got = from_side
        .other()
        .charge(to_meter, || to.read_plain(sink))
        .map_err(|err| io_failure("read", err))?;
    if sink.get(..got) != Some(data) {
        return Err(format!("{got} bytes arrived of {}", data.len()));
    }
    Ok(())
}

/// The byte at stream position `position` of the bulk data.
fn pattern(position: usize) -> u8 {
    (position % 251) as u8
}

/// Sends `total` bytes from the client to the server, written `chunk` bytes at a time, and
/// checks every byte arrives in order. The client's rates (bytes per second, one sample per
/// burst: a write and the records it made) are the sending ones, the server's the
/// receiving ones; the handshake is excluded.
pub fn bulk<L: Library>(library: &L, total: usize, chunk: usize) -> Result<Samples, Failure> {
    let mut wire = Wire::new();
    let (mut client, mut server) =
        connect(library, &mut wire, &mut Meters::default(), Some(false))?;
    // A chunk-long window of the pattern, repeated: position p of the stream is
    // data[p % period] as long as chunk is a multiple of the period.
    let period = 251;
    let chunk = chunk.div_ceil(period) * period;
    let data: Vec<u8> = (0..chunk).map(pattern).collect();
    let mut sink = vec![0u8; 1 << 16];
    let mut samples = Samples::default();
    let (mut sent, mut received) = (0usize, 0usize);
    while received < total {
        let mut meters = Meters::default();
        let (sent_before, received_before) = (sent, received);
        if sent < total {
            let offset = sent % chunk;
            let end = chunk.min(offset + (total - sent));
            let n = client_side(&mut meters.client, || {
                client.write_plain(&data[offset..end])
            })
            .map_err(|err| io_failure("write", err))?;
            sent += n;
        }
        wire.0.clear();
        client_side(&mut meters.client, || {
            while client.wants_write() {
                client
                    .write_tls(&mut wire.0)
                    .map_err(|err| io_failure("write_tls", err))?;
            }
            Ok::<(), Failure>(())
        })?;
        let mut rest = wire.0.as_slice();
        loop {
            if !rest.is_empty() {
                server_side(&mut meters.server, || {
                    let n = server
                        .read_tls(&mut rest)
                        .map_err(|err| io_failure("read_tls", err))?;
                    if n == 0 {
                        return Err("read_tls took nothing".to_owned());
                    }
                    server.process()
                })?;
            }
            loop {
                let n = match server_side(&mut meters.server, || server.read_plain(&mut sink)) {
                    Ok(0) => return Err("the server's reader ended".to_owned()),
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => return Err(io_failure("read", err)),
                };
                let got = &sink[..n];
                if got
                    .iter()
                    .enumerate()
                    .any(|(i, byte)| *byte != pattern(received + i))
                {
                    return Err(format!("corrupt plaintext near byte {received}"));
                }
                received += n;
            }
            if rest.is_empty() {
                break;
            }
        }
        if sent >= total && received < total && wire.0.is_empty() {
            return Err(format!("only {received} of {total} bytes arrived"));
        }
        samples.push(
            (sent - sent_before) as f64,
            (received - received_before) as f64,
            &meters,
        );
    }
    Ok(samples)
}

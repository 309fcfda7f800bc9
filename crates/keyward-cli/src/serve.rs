//! `keyward serve`: a TLS 1.2 / TLS 1.3 test server on the keyward engine, in the manner of
//! `openssl s_server -www`.
//!
//! It presents the keys of the default key store (two self-signed localhost keys, RSA-2048 and
//! ECDSA P-256, created on first run; see [`crate::server_keys`]) and by default offers every
//! version, cipher suite and group keyward implements. Each connection is one task on a tokio
//! multi-thread runtime. After the handshake, a connection whose first line is an HTTP/1.x
//! request line gets a small HTML page that reports what was negotiated; any other connection
//! is echoed back byte for byte until the client closes it. Every handshake is logged to
//! stderr (`RUST_LOG` filter, default `info`); Ctrl-C or SIGTERM stops the server, which then
//! prints a summary.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use keyward_core::store::{KeyKind, KeyStore};
use keyward_ssl::{Group, Provider};
use keyward_tls::certs::{CertResolver, CertifiedKey};
use keyward_tls::{Incompatibility, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

use crate::server_keys;
use crate::tls_options::{self, TlsArgs, TlsOptions};

/// `keyward serve`: its arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    addr: String,
    /// Present the key-store key NAME (repeatable; `keyward key list` shows them). Default:
    /// two self-signed localhost keys, created on first run.
    #[arg(long = "cert", value_name = "NAME")]
    certs: Vec<String>,
    /// The time a handshake may take.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = tls_options::positive_seconds)]
    handshake_timeout: Duration,
    /// Close a connection that sends nothing for this long.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = tls_options::positive_seconds)]
    idle_timeout: Duration,
    /// Accept TLS 1.2 clients that send no signature_algorithms (sign the key exchange with
    /// SHA-1, RFC 5246 §7.4.1.4.1) or no supported_groups (the server picks P-256, RFC 8422
    /// §4). Off by default: SHA-1 signatures are forgeable in principle, and such clients are
    /// a decade old.
    #[arg(long)]
    legacy_clients: bool,
    /// Run every handshake's private-key and secret operations in the keyiso daemon at
    /// SOCKET (`keyward keyiso`): this process gets the certificate chains of the --cert keys
    /// from the daemon (default: the two localhost keys, which must exist in its store), never
    /// opens a key store, and never holds a private key or master secret. Several serve processes can share one daemon. Sessions
    /// resume as without --keyiso (TLS 1.2 tickets and session IDs, TLS 1.3 tickets): the
    /// daemon seals each session's secret and each ticket under keys only it holds, so the
    /// serve processes of one daemon accept each other's tickets.
    #[arg(long, value_name = "SOCKET")]
    keyiso: Option<std::path::PathBuf>,
    /// The TLS choices.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// The long help of `keyward serve`.
pub const SERVE_ABOUT: &str = "\
A TLS server. It presents the key-store keys given with --cert, or by default two self-signed
localhost keys (RSA-2048 and ECDSA P-256, for localhost, 127.0.0.1 and ::1) that the first run
creates; their certificates are written as PEM next to the store (<store>/certs/localhost.pem:
curl --cacert, openssl -CAfile). It offers every version, cipher suite (RSA key exchange
included) and group keyward has unless the TLS options narrow them.

After the handshake, a client whose first line is an HTTP/1.x request line (`GET / HTTP/1.1`)
gets a page reporting the protocol, cipher suite (IANA and OpenSSL name), group, signature
scheme, extended master secret, resumption, ALPN and SNI; anything else is echoed back byte for
byte until the client closes. One line per handshake goes to stderr (RUST_LOG, default info).
The line `keyward serve: listening on ADDR` on stdout says it is ready; Ctrl-C or SIGTERM stops
it with a summary. Concurrent connections are bounded by the open-file limit: it raises its
soft limit to the hard one (`ulimit -Hn`) at start, and warns when that is below 4096.";

/// The address served when `--addr` is not given.
const DEFAULT_ADDR: &str = "127.0.0.1:8443";
/// Longest first line (request line) read before deciding on HTTP or echo.
const MAX_FIRST_LINE: usize = 8 * 1024;
/// The buffer a connection reads its first bytes (and, closing, the client's last) into.
const HEAD_CHUNK: usize = 1024;
/// The echo's buffer: a whole record's plaintext at a time.
const ECHO_CHUNK: usize = 16 * 1024;
/// Longest HTTP request head (request line and headers).
const MAX_REQUEST_HEAD: usize = 32 * 1024;
/// How long a closing connection waits for the client's close_notify (so that unread bytes
/// never turn the close into a reset that could cost the client the end of the response).
const LINGER: Duration = Duration::from_secs(2);
/// Open-file limit below which the server warns that it cannot hold 1,000 connections
/// with room to spare.
const WANTED_OPEN_FILES: u64 = 4096;

/// Counters printed when the server stops.
#[derive(Default)]
struct Stats {
    connections: AtomicU64,
    handshakes: AtomicU64,
    resumed: AtomicU64,
    failed: AtomicU64,
    active: AtomicU64,
}

impl Stats {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Timeouts of one connection.
#[derive(Clone, Copy)]
struct Timeouts {
    handshake: Duration,
    idle: Duration,
}

/// Runs `keyward serve` with the TLS options read from `args` (by the caller, which reports
/// contradicting ones as a usage error).
pub fn run(args: ServeArgs, tls: TlsOptions) -> Result<(), String> {
    let addr = args.addr;
    let legacy_clients = args.legacy_clients;
    let timeouts = Timeouts {
        handshake: args.handshake_timeout,
        idle: args.idle_timeout,
    };
    init_logging();

    if let Some(socket) = &args.keyiso {
        let config = isolated_config(socket, &args.certs, &tls, legacy_clients)?;
        return run_server(&addr, config, timeouts);
    }
    let store = KeyStore::open_default().map_err(|err| format!("key store: {err}"))?;
    let names: Vec<&str> = args.certs.iter().map(String::as_str).collect();
    let keys = server_keys::load(&store, &names)?;
    println!("keyward serve: key store {}", store.dir().display());
    for (key, pem) in keys.keys.iter().zip(&keys.pem_files) {
        let created = if keys.created.iter().any(|name| name == key.name()) {
            format!(
                " (created: self-signed for {})",
                server_keys::LOCALHOST_NAMES.join(", ")
            )
        } else {
            String::new()
        };
        println!(
            "keyward serve: key {} {}{created}, certificate {}",
            key.name(),
            kind_name(key.kind()),
            pem.display()
        );
    }
    println!(
        "keyward serve: trust anchors for clients: {}",
        keys.bundle.display()
    );

    let certified = keys
        .keys
        .iter()
        .zip(&keys.chains)
        .map(|(key, chain)| CertifiedKey::from_stored(key, chain.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("server key: {err}"))?;
    let provider = Arc::new(Provider::with_key_store(store));
    let mut config = ServerConfig::new(provider, CertResolver::new(certified));
    config.groups = Group::ALL.to_vec();
    tls.apply_to_server(&mut config);
    config.legacy_clients = legacy_clients;
    run_server(&addr, Arc::new(config), timeouts)
}

/// The server configuration of `serve --keyiso SOCKET`: the isolated provider over the daemon,
/// the certificate chains of `names` from the daemon's store, their private keys opened in
/// the daemon. This process opens no key store.
fn isolated_config(
    socket: &std::path::Path,
    names: &[String],
    tls: &TlsOptions,
    legacy_clients: bool,
) -> Result<Arc<ServerConfig>, String> {
    let provider = keyward_keyiso::isolated_provider(socket)
        .map_err(|err| format!("keyiso daemon at {}: {err}", socket.display()))?;
    let names: Vec<String> = if names.is_empty() {
        ["keyward-localhost-rsa", "keyward-localhost-ecdsa"]
            .map(str::to_owned)
            .to_vec()
    } else {
        names.to_vec()
    };
    let daemon = keyward_keyiso::Client::connect(socket)
        .map_err(|err| format!("keyiso daemon at {}: {err}", socket.display()))?;
    let mut certified = Vec::new();
    for name in &names {
        let chain = daemon
            .certificate_chain(name)
            .map_err(|err| format!("certificate of key {name} in the keyiso daemon: {err}"))?;
        let key = provider
            .open_private_key(&chain[0])
            .map_err(|err| format!("key {name} in the keyiso daemon: {err}"))?;
        certified.push(
            CertifiedKey::new(chain, key).map_err(|err| format!("server key {name}: {err}"))?,
        );
        println!("keyward serve: key {name} in the keyiso daemon");
    }
    println!("keyward serve: keyiso daemon {}", socket.display());
    let mut config = ServerConfig::new(Arc::new(provider), CertResolver::new(certified));
    config.groups = Group::ALL.to_vec();
    tls.apply_to_server(&mut config);
    config.legacy_clients = legacy_clients;
    Ok(Arc::new(config))
}

/// Serves `config` on `addr` until a signal stops it.
fn run_server(addr: &str, config: Arc<ServerConfig>, timeouts: Timeouts) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let result = runtime.block_on(serve(addr, config, timeouts));
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Logs to stderr with a `RUST_LOG` filter, `info` by default (`serve` and `keyiso`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The printed kind of a stored key.
pub fn kind_name(kind: KeyKind) -> String {
    match kind {
        KeyKind::Rsa { bits } => format!("RSA-{bits}"),
        KeyKind::EcP256 => "ECDSA P-256".into(),
        KeyKind::EcP384 => "ECDSA P-384".into(),
    }
}

/// Raises the soft open-file limit to the hard one, since every connection holds a
/// descriptor, and returns the soft limit now in force.
fn raise_open_file_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// Accepts connections until Ctrl-C or SIGTERM, then prints the summary.
async fn serve(addr: &str, config: Arc<ServerConfig>, timeouts: Timeouts) -> Result<(), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|err| format!("cannot listen on {addr}: {err}"))?;
    let local = listener
        .local_addr()
        .map_err(|err| format!("cannot listen on {addr}: {err}"))?;
    match raise_open_file_limit() {
        Ok(soft) if soft < WANTED_OPEN_FILES => warn!(
            soft,
            "the open-file limit allows only about {soft} concurrent connections, and the \
             hard limit is no higher: raise it (`ulimit -Hn`, or LimitNOFILE= under systemd)"
        ),
        Ok(soft) => debug!(soft, "open-file limit raised to the hard limit"),
        Err(err) => warn!(error = %err, "cannot raise the open-file limit"),
    }
    let stats = Arc::new(Stats::default());
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    println!("keyward serve: listening on {local}");
    let _ = std::io::stdout().flush();
    let reason = loop {
        tokio::select! {
            reason = &mut shutdown => break reason,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    Stats::count(&stats.connections);
                    tokio::spawn(connection(socket, peer, config.clone(), stats.clone(), timeouts));
                }
                Err(err) => {
                    // Out of file descriptors (or a connection reset before accept): wait a
                    // little instead of spinning.
                    warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    };
    let summary = format!(
        "keyward serve: stopped ({reason}): {} connections, {} handshakes ({} resumed), {} failed",
        stats.connections.load(Ordering::Relaxed),
        stats.handshakes.load(Ordering::Relaxed),
        stats.resumed.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
    );
    info!(
        active = stats.active.load(Ordering::Relaxed),
        "{}",
        summary.trim_start_matches("keyward serve: ")
    );
    println!("{summary}");
    let _ = std::io::stdout().flush();
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate()).ok();
        let terminated = async {
            match terminate.as_mut() {
                Some(stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupt",
            () = terminated => "terminate",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}

/// One connection: the handshake (bounded in time), its log line, then the page or the echo.
async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    stats: Arc<Stats>,
    timeouts: Timeouts,
) {
    Stats::count(&stats.active);
    let _ = socket.set_nodelay(true);
    let handshake = keyward_tls::tokio::accept(config, socket);
    match tokio::time::timeout(timeouts.handshake, handshake).await {
        Err(_) => {
            Stats::count(&stats.failed);
            info!(%peer, "handshake timed out after {:?}", timeouts.handshake);
        }
        Ok(Err(err)) => {
            Stats::count(&stats.failed);
            match policy_refusal(&err) {
                Some(refusal) => warn!(%peer, "handshake failed: {refusal}"),
                None => warn!(%peer, error = %err, "handshake failed"),
            }
        }
        Ok(Ok(mut tls)) => {
            Stats::count(&stats.handshakes);
            let report = match tls.get_ref().1.info() {
                Some(info) => {
                    if info.resumed {
                        Stats::count(&stats.resumed);
                    }
                    tls_options::describe(info)
                }
                None => Vec::new(),
            };
            let line = report
                .iter()
                .map(|(label, value)| format!("{label}={value}"))
                .collect::<Vec<_>>()
                .join(" ");
            // The line holds what the client sent (server name, ALPN): escaped, never raw.
            info!(%peer, "handshake: {}", line.escape_default());
            match session(&mut tls, peer, &report, timeouts.idle).await {
                Ok(kind) => debug!(%peer, "{kind} connection closed"),
                Err(err) => debug!(%peer, error = %err, "connection ended"),
            }
        }
    }
    stats.active.fetch_sub(1, Ordering::Relaxed);
}

/// Why the default policy refused a client, and the flag that accepts it.
fn policy_refusal(err: &std::io::Error) -> Option<String> {
    let engine = err.get_ref()?.downcast_ref::<keyward_tls::Error>()?;
    let keyward_tls::Error::PeerIncompatible(reason) = engine else {
        return None;
    };
    let flag = match reason {
        Incompatibility::NoExtendedMasterSecret => "--ems-optional",
        Incompatibility::NoSignatureAlgorithms | Incompatibility::NoSupportedGroups => {
            "--legacy-clients"
        }
    };
    Some(format!("{reason}; {flag} accepts such clients"))
}

/// What a connection turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Http,
    Echo,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Http => "HTTP",
            Kind::Echo => "echo",
        })
    }
}

/// Reads with the idle timeout; a timeout is an `io::Error` of kind `TimedOut`.
async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut [u8],
    idle: Duration,
) -> std::io::Result<usize> {
    match tokio::time::timeout(idle, stream.read(buffer)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "idle timeout",
        )),
    }
}

/// After the handshake: the status page for an HTTP request, else the echo; then
/// close_notify (after an idle timeout too), and a short wait for the client's own.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &mut S,
    peer: SocketAddr,
    report: &[(&'static str, String)],
    idle: Duration,
) -> std::io::Result<Kind> {
    let outcome = exchange(tls, peer, report, idle).await;
    let closed = match tokio::time::timeout(LINGER, tls.shutdown()).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "close_notify not sent",
        )),
    };
    if outcome.is_ok() && closed.is_ok() {
        // Unread bytes at close would turn it into a reset that can cost the client the end
        // of the response: read until the client's close_notify or end of stream.
        let _ = tokio::time::timeout(LINGER, async {
            let mut discard = [0u8; HEAD_CHUNK];
            while matches!(tls.read(&mut discard).await, Ok(read) if read > 0) {}
        })
        .await;
    }
    let kind = outcome?;
    closed?;
    Ok(kind)
}

/// The page or the echo.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &mut S,
    peer: SocketAddr,
    report: &[(&'static str, String)],
    idle: Duration,
) -> std::io::Result<Kind> {
    // Until the client sends, a connection holds only this small buffer: the echo's large
    // one comes with the first bytes to echo (memory per idle connection).
    let mut chunk = [0u8; HEAD_CHUNK];
    let mut head = Vec::new();
    let first_line_end = loop {
        if let Some(end) = head.iter().position(|&byte| byte == b'\n') {
            break Some(end);
        }
        if head.len() >= MAX_FIRST_LINE {
            break None;
        }
        let read = read_some(tls, &mut chunk, idle).await?;
        if read == 0 {
            break None;
        }
        head.extend_from_slice(&chunk[..read]);
    };
    let request = first_line_end.and_then(|end| http_request_line(&head[..end]));
    match request {
        Some(request) => {
            while find_head_end(&head).is_none() {
                if head.len() >= MAX_REQUEST_HEAD {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "HTTP request head too long",
                    ));
                }
                let read = read_some(tls, &mut chunk, idle).await?;
                if read == 0 {
                    break;
                }
                head.extend_from_slice(&chunk[..read]);
            }
            let response = http_response(&request, report, peer);
            tls.write_all(&response).await?;
            tls.flush().await?;
            Ok(Kind::Http)
        }
        None => {
            tls.write_all(&head).await?;
            tls.flush().await?;
            if !head.is_empty() {
                let mut chunk = vec![0u8; ECHO_CHUNK];
                loop {
                    let read = read_some(tls, &mut chunk, idle).await?;
                    if read == 0 {
                        break;
                    }
                    tls.write_all(&chunk[..read]).await?;
                    tls.flush().await?;
                }
            }
            Ok(Kind::Echo)
        }
    }
}

/// An HTTP/1.x request line: method, target, version.
#[derive(Debug, PartialEq, Eq)]
struct RequestLine {
    method: String,
    target: String,
    version: String,
}

/// Parses `METHOD SP TARGET SP HTTP/1.x` (a trailing CR allowed); anything else is `None`.
fn http_request_line(line: &[u8]) -> Option<RequestLine> {
    let line = std::str::from_utf8(line).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut words = line.split(' ');
    let (method, target, version) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some()
        || method.is_empty()
        || method.len() > 16
        || !method.bytes().all(|byte| byte.is_ascii_uppercase())
        || target.is_empty()
        || target.bytes().any(|byte| byte.is_ascii_control())
        || !matches!(version, "HTTP/1.0" | "HTTP/1.1")
    {
        return None;
    }
    Some(RequestLine {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
    })
}

/// Where the request head ends (after the empty line), if it has.
fn find_head_end(head: &[u8]) -> Option<usize> {
    let crlf = head
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4);
    let lf = head
        .windows(2)
        .position(|window| window == b"\n\n")
        .map(|at| at + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Escapes text for HTML.
fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            ch if ch.is_control() => escaped.push('?'),
            ch => escaped.push(ch),
        }
    }
    escaped
}

/// The response to an HTTP request: the status page for GET and HEAD, 405 otherwise.
fn http_response(
    request: &RequestLine,
    report: &[(&'static str, String)],
    peer: SocketAddr,
) -> Vec<u8> {
    let (status, allowed) = match request.method.as_str() {
        "GET" | "HEAD" => ("200 OK", true),
        _ => ("405 Method Not Allowed", false),
    };
    let mut body = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>keyward serve</title></head>\n\
         <body><h1>keyward serve</h1>\n<pre>\n",
    );
    if allowed {
        for (label, value) in report {
            body.push_str(&format!("{label}: {}\n", html_escape(value)));
        }
        body.push_str(&format!("client: {peer}\n"));
        body.push_str(&format!(
            "request: {} {} {}\n",
            request.method,
            html_escape(&request.target),
            request.version
        ));
    } else {
        body.push_str("only GET and HEAD are served\n");
    }
    body.push_str("</pre>\n</body></html>\n");
    let mut response = format!(
        "{} {status}\r\nServer: keyward\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        request.version,
        body.len()
    );
    if !allowed {
        response.push_str("Allow: GET, HEAD\r\n");
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    if request.method != "HEAD" {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let get = http_request_line(b"GET / HTTP/1.1\r").unwrap();
        assert_eq!(
            get,
            RequestLine {
                method: "GET".into(),
                target: "/".into(),
                version: "HTTP/1.1".into()
            }
        );
        assert!(http_request_line(b"HEAD /x?y=1 HTTP/1.0").is_some());
        for not_http in [
            &b"hello"[..],
            b"GET /",
            b"GET / HTTP/2",
            b"get / HTTP/1.1",
            b"GET  / HTTP/1.1",
            b"GET / HTTP/1.1 extra",
            b"\xff / HTTP/1.1",
            b"",
        ] {
            assert_eq!(http_request_line(not_http), None, "{not_http:?}");
        }
    }

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"GET / HTTP/1.0\r\n\r\n"), Some(18));
        assert_eq!(find_head_end(b"GET / HTTP/1.0\n\nrest"), Some(16));
        assert_eq!(find_head_end(b"GET / HTTP/1.0\r\nHost: x\r\n"), None);
    }

    #[test]
    fn status_page() {
        let report = vec![
            ("protocol", "TLSv1.3".to_owned()),
            ("server name", "<script>".to_owned()),
        ];
        let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let request = http_request_line(b"GET /a<b HTTP/1.1").unwrap();
        let page = String::from_utf8(http_response(&request, &report, peer)).unwrap();
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(page.contains("\nprotocol: TLSv1.3\n"));
        assert!(page.contains("server name: &lt;script&gt;\n"));
        assert!(page.contains("request: GET /a&lt;b HTTP/1.1\n"));
        assert!(page.contains("client: 127.0.0.1:5555\n"));
        let (head, body) = page.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));

        let head_request = http_request_line(b"HEAD / HTTP/1.0").unwrap();
        let head_only = String::from_utf8(http_response(&head_request, &report, peer)).unwrap();
        assert!(head_only.starts_with("HTTP/1.0 200 OK\r\n"));
        assert!(head_only.ends_with("\r\n\r\n"));
        let post = http_request_line(b"POST / HTTP/1.1").unwrap();
        let refused = String::from_utf8(http_response(&post, &report, peer)).unwrap();
        assert!(refused.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(!refused.contains("TLSv1.3"));
    }

    #[tokio::test]
    async fn sessions_echo_or_serve_the_page() {
        let peer: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        let report = vec![("protocol", "TLSv1.2".to_owned())];
        let idle = Duration::from_secs(5);

        // Not an HTTP request line: everything comes back, until the client's end.
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        let task = tokio::spawn(async move { session(&mut server, peer, &[], idle).await });
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(b"hello\n").await.unwrap();
        client.write_all(&data).await.unwrap();
        client.shutdown().await.unwrap();
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).await.unwrap();
        assert_eq!(&echoed[..6], b"hello\n");
        assert_eq!(&echoed[6..], data.as_slice());
        assert_eq!(task.await.unwrap().unwrap(), Kind::Echo);

        // An HTTP request gets the page, then the server closes.
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        let page_report = report.clone();
        let task =
            tokio::spawn(async move { session(&mut server, peer, &page_report, idle).await });
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut page = Vec::new();
        client.read_to_end(&mut page).await.unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("\nprotocol: TLSv1.2\n"), "{page}");
        drop(client);
        assert_eq!(task.await.unwrap().unwrap(), Kind::Http);

        // A client that sends nothing is closed (cleanly) after the idle timeout.
        let (mut client, mut server) = tokio::io::duplex(1024);
        let result = session(&mut server, peer, &report, Duration::from_millis(50)).await;
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }

    #[test]
    fn policy_refusals_name_their_flag() {
        let refused = |reason| {
            let err = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                keyward_tls::Error::PeerIncompatible(reason),
            );
            policy_refusal(&err).unwrap()
        };
        let ems = refused(Incompatibility::NoExtendedMasterSecret);
        assert!(ems.contains("extended master secret"), "{ems}");
        assert!(
            ems.ends_with("; --ems-optional accepts such clients"),
            "{ems}"
        );
        let sigalgs = refused(Incompatibility::NoSignatureAlgorithms);
        assert!(sigalgs.contains("signature_algorithms"), "{sigalgs}");
        assert!(sigalgs.ends_with("; --legacy-clients accepts such clients"));
        let groups = refused(Incompatibility::NoSupportedGroups);
        assert!(groups.contains("supported_groups"), "{groups}");
        assert!(groups.ends_with("; --legacy-clients accepts such clients"));
        let other = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            keyward_tls::Error::BadRecordMac,
        );
        assert_eq!(policy_refusal(&other), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_limit() {
        let soft = raise_open_file_limit().unwrap();
        let (now_soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
        assert_eq!((soft, now_soft), (hard, hard));
    }
}

//! `keyward connect`: a TLS client on the keyward engine, in the manner of `openssl s_client`.
//!
//! It connects, runs the handshake, prints what was negotiated and the server's certificate
//! chain to stderr, then relays stdin to the connection and the connection to stdout. At the
//! end of stdin it sends close_notify and goes on reading until the server closes; when the
//! server closes first, it answers with its own close_notify and stops. With `--reconnect` it
//! reads all of stdin first, sends it over a first connection, then over a second one that
//! resumes the first one's session, printing `resumed: yes` when the server resumed.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use keyward_ssl::Provider;
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::tls_options::{self, TlsArgs, TlsOptions};

/// `keyward connect`: its arguments.
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The server (`[v6]:PORT` for an IPv6 address).
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// Verify the server's chain against the CA certificates in FILE (PEM), instead of the
    /// system's roots.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    cafile: Option<String>,
    /// Skip the verification of the chain and of the name.
    #[arg(long)]
    insecure: bool,
    /// The name to send (SNI) and to check the certificate for (default: HOST).
    #[arg(long, value_name = "NAME")]
    servername: Option<String>,
    /// Send stdin (at most 1 MiB) over one connection, then again over a second one that
    /// resumes the first one's session.
    #[arg(long)]
    reconnect: bool,
    /// Bound on the TCP connect and the handshake.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = tls_options::positive_seconds)]
    timeout: Duration,
    /// The TLS choices.
    #[command(flatten)]
    tls: TlsArgs,
}

/// The long help of `keyward connect`.
pub const CONNECT_ABOUT: &str = "\
A TLS client: prints the negotiated parameters and the server's certificate chain to stderr,
then sends stdin to the server and writes what it sends to stdout. At the end of stdin it sends
close_notify and reads on until the server closes. The chain is verified against --cafile, else
the system's roots, and checked for --servername (default HOST); --insecure skips both checks.
--reconnect reads all of stdin first, sends it over one connection, then again over a second
connection that resumes the session of the first (its parameters show `resumed: yes` when the
server agreed). Exit status 1 when a connection or handshake fails (the error and the alert are
printed), 2 for bad arguments.";

/// Most stdin bytes `--reconnect` sends (it holds them to send twice).
const MAX_RECONNECT_INPUT: u64 = 1024 * 1024;

/// Runs `keyward connect`; errors are printed here.
pub fn run(args: ConnectArgs) -> ExitCode {
    match plan(args) {
        Ok(plan) => match execute(plan) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward connect: {err}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("keyward connect: {err}\n(keyward connect --help shows the options)");
            ExitCode::from(2)
        }
    }
}

/// What a `connect` run does.
struct Plan {
    host: String,
    port: u16,
    server_name: String,
    config: Arc<ClientConfig>,
    trust: String,
    reconnect: bool,
    timeout: Duration,
}

/// Splits `HOST:PORT` (`[v6]:PORT` too) into host and port.
fn split_host_port(target: &str) -> Result<(String, u16), String> {
    let bad = || format!("{target:?} is not HOST:PORT");
    let (host, port) = target.rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
        None if host.contains(':') => return Err(bad()),
        None => host,
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = port.parse::<u16>().map_err(|_| bad())?;
    Ok((host.to_owned(), port))
}

/// Checks the arguments and builds the client configuration.
fn plan(args: ConnectArgs) -> Result<Plan, String> {
    let (host, port) = split_host_port(&args.target)?;
    let tls = TlsOptions::from_args(&args.tls)?;
    let server_name = args.servername.unwrap_or_else(|| host.clone());
    let (verifier, trust) = match (args.cafile, args.insecure) {
        (Some(_), true) => return Err("--cafile and --insecure exclude each other".into()),
        (Some(file), false) => (
            ServerCertVerifier::from_ca_file(Path::new(&file))
                .map_err(|err| format!("--cafile {file}: {err}"))?,
            format!("CA file {file}"),
        ),
        (None, true) => (
            ServerCertVerifier::insecure(),
            "skipped (--insecure)".to_owned(),
        ),
        (None, false) => (
            ServerCertVerifier::system_roots()
                .map_err(|err| format!("system root certificates: {err}"))?,
            "system roots".to_owned(),
        ),
    };
    let provider = Arc::new(Provider::open(None).map_err(|err| format!("SSL provider: {err}"))?);
    let mut config = ClientConfig::new(provider, verifier);
    tls.apply_to_client(&mut config);
    Ok(Plan {
        host,
        port,
        server_name,
        config: Arc::new(config),
        trust,
        reconnect: args.reconnect,
        timeout: args.timeout,
    })
}

/// Runs the plan on a tokio runtime.
fn execute(plan: Plan) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let result = runtime.block_on(async {
        if plan.reconnect {
            reconnect(&plan).await
        } else {
            relay_stdio(&plan).await
        }
    });
    // A read of stdin may still be blocked in a runtime thread: do not wait for it.
    runtime.shutdown_background();
    result
}

/// Connects and completes the handshake, then prints the parameters and the chain.
async fn handshake(
    plan: &Plan,
) -> Result<keyward_tls::tokio::TlsStream<TcpStream, keyward_tls::ClientConnection>, String> {
    let target = format!("{}:{}", plan.host, plan.port);
    let attempt = async {
        let socket = TcpStream::connect((plan.host.as_str(), plan.port))
            .await
            .map_err(|err| format!("cannot connect to {target}: {err}"))?;
        let _ = socket.set_nodelay(true);
        keyward_tls::tokio::connect(plan.config.clone(), &plan.server_name, socket)
            .await
            .map_err(|err| format!("handshake with {target} failed: {}", describe_error(&err)))
    };
    let tls = tokio::time::timeout(plan.timeout, attempt)
        .await
        .map_err(|_| format!("no connection to {target} within {:?}", plan.timeout))??;
    let connection = tls.get_ref().1;
    let mut report = format!(
        "keyward connect: connected to {target} (server name {})\n",
        plan.server_name
    );
    if let Some(info) = connection.info() {
        for (label, value) in tls_options::describe(info) {
            report.push_str(&format!("  {label}: {value}\n"));
        }
    }
    report.push_str("  certificate chain:\n");
    for (depth, der) in connection
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        report.push_str(&describe_certificate(depth, der));
    }
    report.push_str(&format!("  verification: {}\n", plan.trust));
    eprint!("{report}");
    Ok(tls)
}

/// A handshake error with the alert involved, when there is one.
fn describe_error(err: &std::io::Error) -> String {
    let engine = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<keyward_tls::Error>());
    match engine {
        Some(keyward_tls::Error::PeerAlert(alert)) => {
            format!("the server sent alert {}", alert_name(*alert))
        }
        Some(engine) => match engine.alert() {
            Some(alert) => format!("{engine} (sent alert {})", alert_name(alert)),
            None => engine.to_string(),
        },
        None => err.to_string(),
    }
}

/// An alert as RFC 8446 names it, with its number: `handshake_failure (40)`.
fn alert_name(alert: keyward_tls::AlertDescription) -> String {
    let mut name = String::new();
    for (index, ch) in format!("{alert:?}").chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if index > 0 {
                name.push('_');
            }
            name.push(ch.to_ascii_lowercase());
        } else {
            name.push(ch);
        }
    }
    format!("{name} ({})", alert.to_u8())
}

/// One certificate of the chain: subject, issuer, validity.
fn describe_certificate(depth: usize, der: &[u8]) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, certificate)) => {
            let validity = certificate.validity();
            format!(
                "   {depth} subject: {}\n     issuer: {}\n     valid: {} to {}\n",
                certificate.subject(),
                certificate.issuer(),
                validity.not_before,
                validity.not_after
            )
        }
        Err(_) => format!("   {depth} ({} bytes, not parsable)\n", der.len()),
    }
}

/// Relays stdin to the connection and the connection to stdout (see the module doc).
async fn relay_stdio(plan: &Plan) -> Result<(), String> {
    let tls = handshake(plan).await?;
    relay(tls, tokio::io::stdin(), tokio::io::stdout()).await
}

/// Relays `input` to `tls` and `tls` to `output`: the end of `input` sends close_notify and
/// keeps reading; the server's close ends the relay (answered with close_notify).
async fn relay<T, I, O>(tls: T, mut input: I, mut output: O) -> Result<(), String>
where
    T: AsyncRead + AsyncWrite + Unpin,
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (mut from_server, mut to_server) = tokio::io::split(tls);
    let mut sent_close = false;
    {
        let upload = async {
            tokio::io::copy(&mut input, &mut to_server).await?;
            to_server.shutdown().await
        };
        let download = async {
            tokio::io::copy(&mut from_server, &mut output).await?;
            output.flush().await
        };
        tokio::pin!(upload, download);
        loop {
            tokio::select! {
                sent = &mut upload, if !sent_close => {
                    sent.map_err(|err| format!("sending: {err}"))?;
                    sent_close = true;
                }
                received = &mut download => {
                    received.map_err(|err| format!("receiving: {err}"))?;
                    break;
                }
            }
        }
    }
    if !sent_close {
        let _ = to_server.shutdown().await;
    }
    Ok(())
}

/// `--reconnect`: the same input over a full handshake and then over a resumed one.
async fn reconnect(plan: &Plan) -> Result<(), String> {
    let mut input = Vec::new();
    tokio::io::stdin()
        .take(MAX_RECONNECT_INPUT + 1)
        .read_to_end(&mut input)
        .await
        .map_err(|err| format!("reading stdin: {err}"))?;
    if input.len() as u64 > MAX_RECONNECT_INPUT {
        return Err(format!(
            "--reconnect sends at most {MAX_RECONNECT_INPUT} bytes of stdin"
        ));
    }
    for round in 1..=2 {
        if round == 2 {
            eprintln!("keyward connect: reconnecting to resume the session");
        }
        let tls = handshake(plan).await?;
        let mut output = Vec::new();
        relay(tls, input.as_slice(), &mut output).await?;
        let mut stdout = std::io::stdout();
        stdout
            .write_all(&output)
            .and_then(|()| stdout.flush())
            .map_err(|err| format!("writing stdout: {err}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names() {
        use keyward_tls::AlertDescription;
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure (40)"
        );
        assert_eq!(
            alert_name(AlertDescription::DecryptError),
            "decrypt_error (51)"
        );
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate (42)"
        );
    }

    #[test]
    fn host_and_port() {
        assert_eq!(
            split_host_port("localhost:8443").unwrap(),
            ("localhost".to_owned(), 8443)
        );
        assert_eq!(
            split_host_port("127.0.0.1:1").unwrap(),
            ("127.0.0.1".to_owned(), 1)
        );
        assert_eq!(
            split_host_port("[::1]:443").unwrap(),
            ("::1".to_owned(), 443)
        );
        for bad in [
            "localhost",
            "::1:443",
            ":443",
            "host:",
            "host:70000",
            "[::1:443",
        ] {
            assert!(split_host_port(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn relay_sends_input_then_reads_to_the_end() {
        // The "server" echoes what it gets in upper case, then closes after the client's
        // end of input.
        let (client, mut server) = tokio::io::duplex(1024);
        let server = tokio::spawn(async move {
            let mut received = Vec::new();
            server.read_to_end(&mut received).await.unwrap();
            server
                .write_all(&received.to_ascii_uppercase())
                .await
                .unwrap();
            server.shutdown().await.unwrap();
            received
        });
        let mut output = Vec::new();
        relay(client, &b"hello\nworld\n"[..], &mut output)
            .await
            .unwrap();
        assert_eq!(output, b"HELLO\nWORLD\n");
        assert_eq!(server.await.unwrap(), b"hello\nworld\n");
    }

    #[tokio::test]
    async fn relay_stops_when_the_server_closes_first() {
        let (client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"bye\n").await.unwrap();
        server.shutdown().await.unwrap();
        // Input that never ends: the server's close must end the relay.
        let (_keep_open, input) = tokio::io::duplex(16);
        let mut output = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), relay(client, input, &mut output))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(output, b"bye\n");
    }
}

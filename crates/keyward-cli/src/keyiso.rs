//! `keyward keyiso`: the key isolation daemon in the foreground. It is the one process that
//! opens the key store (`KEYWARD_HOME`, as every other subcommand); its clients reach the
//! private keys and handshake secrets only through its Unix socket (see
//! `docs/keyiso-protocol.md`).

use std::io::Write;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::Args;
use keyward_keyiso::{Allowlist, Config, Daemon, Limits};
use tracing::info;

/// The long help of `keyward keyiso`.
pub const KEYISO_ABOUT: &str = "\
Runs the key isolation daemon in the foreground: the one process that opens the key store \
(KEYWARD_HOME) and performs every operation on a private key, a premaster, a master secret or a \
TLS 1.3 handshake secret for its clients, which receive only handles and traffic keys.

It listens on a Unix socket (mode 0600, in a directory private to this user; with \
--socket-group, 0660 in a directory of mode 0710 of that group, for clients running as other \
users) and accepts only peers whose uid or gid (SO_PEERCRED) is allowed: by default this user's \
own uid. When it is \
ready it prints `keyward keyiso: listening on PATH` on stdout. SIGINT or SIGTERM stops it and \
removes the socket. It logs to stderr (RUST_LOG, `info` by default).";

/// The options of `keyward keyiso`.
#[derive(Debug, Args)]
pub struct KeyisoArgs {
    /// The socket to listen on [default: $XDG_RUNTIME_DIR/keyward/keyiso.sock, or
    /// /run/keyward/keyiso.sock for root or without XDG_RUNTIME_DIR].
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Let members of this group id reach the socket (socket 0660, its directory 0710, both
    /// of this group; the directory must hold nothing but the socket). Clients are still
    /// checked against --allow-uid and --allow-gid.
    #[arg(long, value_name = "GID")]
    socket_group: Option<u32>,
    /// Allow clients of this user id (repeatable). Without any --allow-uid or --allow-gid,
    /// only this process's own uid is allowed; with them, exactly those listed.
    #[arg(long = "allow-uid", value_name = "UID")]
    allow_uids: Vec<u32>,
    /// Allow clients of this group id (repeatable).
    #[arg(long = "allow-gid", value_name = "GID")]
    allow_gids: Vec<u32>,
    /// Handles one client connection may hold at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_handles,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_handles: usize,
    /// Requests per second one client connection may sustain.
    #[arg(long, value_name = "PER_SECOND", default_value_t = Limits::default().requests_per_second,
          value_parser = clap::value_parser!(u32).range(1..))]
    rate: u32,
    /// Requests one client connection may send in a burst.
    #[arg(long, value_name = "N", default_value_t = Limits::default().burst,
          value_parser = clap::value_parser!(u32).range(1..))]
    burst: u32,
    /// Client connections served at once, across all clients.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_connections: usize,
}

impl KeyisoArgs {
    /// The daemon configuration these options describe (key store: the default one).
    fn config(&self) -> Config {
        let socket = self
            .socket
            .clone()
            .unwrap_or_else(keyward_keyiso::default_socket_path);
        let mut config = Config::new(socket, None);
        config.socket_group = self.socket_group;
        if !self.allow_uids.is_empty() || !self.allow_gids.is_empty() {
            config.allowlist = Allowlist {
                uids: self.allow_uids.clone(),
                gids: self.allow_gids.clone(),
            };
        }
        config.limits = Limits {
            max_handles: self.max_handles,
            burst: self.burst,
            requests_per_second: self.rate,
            max_connections: self.max_connections,
            ..Limits::default()
        };
        config
    }
}

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(args: KeyisoArgs) -> Result<(), String> {
    crate::serve::init_logging();
    let config = args.config();
    let socket = config.socket_path.clone();
    info!(
        socket = %socket.display(),
        uids = ?config.allowlist.uids,
        gids = ?config.allowlist.gids,
        max_handles = config.limits.max_handles,
        rate = config.limits.requests_per_second,
        "keyiso daemon starting"
    );
    let daemon = Daemon::bind(config).map_err(|err| err.to_string())?;
    // Signals are watched before the ready line, so a script that stops the daemon as soon
    // as it is ready never kills it with the default action.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|err| format!("tokio runtime: {err}"))?;
    let signals = runtime
        .block_on(async { Signals::new() })
        .map_err(|err| format!("signal handlers: {err}"))?;
    let running = daemon
        .spawn()
        .map_err(|err| format!("accept thread: {err}"))?;
    println!("keyward keyiso: listening on {}", socket.display());
    let _ = std::io::stdout().flush();
    let signal = runtime.block_on(signals.recv());
    info!(signal, "stopping");
    // Stops accepting and removes the socket; open connections end with the process.
    running.stop();
    println!("keyward keyiso: stopped ({signal})");
    let _ = std::io::stdout().flush();
    Ok(())
}

/// SIGINT and SIGTERM, registered.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers both handlers (inside a tokio runtime).
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on the first of them, with its name.
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "interrupt",
            _ = self.terminate.recv() => "terminate",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::parse;
    use crate::Command;

    fn args(line: &str) -> super::KeyisoArgs {
        match parse(line).unwrap().command {
            Command::Keyiso(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options_make_the_config() {
        let defaults = args("keyiso").config();
        assert_eq!(defaults.socket_path, keyward_keyiso::default_socket_path());
        assert_eq!(defaults.allowlist, keyward_keyiso::Allowlist::own_uid());
        assert_eq!(defaults.limits, keyward_keyiso::Limits::default());
        assert_eq!(defaults.key_store, None);
        assert_eq!(defaults.socket_group, None);

        let config = args(
            "keyiso --socket /tmp/k/s --socket-group 8 --allow-uid 5 --allow-uid 6 --allow-gid 7 \
             --max-handles 10 --rate 100 --burst 20 --max-connections 3",
        )
        .config();
        assert_eq!(config.socket_path, std::path::Path::new("/tmp/k/s"));
        assert_eq!(config.allowlist.uids, [5, 6]);
        assert_eq!(config.allowlist.gids, [7]);
        assert_eq!(config.socket_group, Some(8));
        assert_eq!(config.limits.max_handles, 10);
        assert_eq!(config.limits.requests_per_second, 100);
        assert_eq!(config.limits.burst, 20);
        assert_eq!(config.limits.max_connections, 3);

        for bad in [
            "keyiso --max-handles 0",
            "keyiso --rate 0",
            "keyiso --allow-uid -1",
            "keyiso extra",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

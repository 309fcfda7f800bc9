//! The `keyward` command. One clap parser for every subcommand: `--flag value` and
//! `--flag=value` everywhere, generated help (`keyward help SUBCOMMAND`, `--help`), and shell
//! completions (`keyward completions bash|zsh|fish`).

mod card;
mod connect;
mod cryptosession;
mod demo;
mod key;
mod keyiso;
mod serve;
mod server_keys;
mod tls_options;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// keyward: the Windows CNG session-key machinery (SSL provider, D3D11 crypto session,
/// smart-card minidriver), memory-safe, with a TLS server and client on top.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a complete TLS 1.2 key exchange (ECDHE and RSA) between an in-process client and
    /// server provider, printing every provider call.
    Demo,
    /// The D3D11 crypto session and OPM.
    Cryptosession {
        /// What to do.
        #[command(subcommand)]
        command: CryptosessionCommand,
    },
    /// A TLS 1.2 / 1.3 test server (in the manner of `openssl s_server -www`).
    #[command(long_about = serve::SERVE_ABOUT)]
    Serve(serve::ServeArgs),
    /// The key isolation daemon: the one process that holds the private keys and handshake
    /// secrets, serving its clients over a Unix socket.
    #[command(long_about = keyiso::KEYISO_ABOUT)]
    Keyiso(keyiso::KeyisoArgs),
    /// A TLS client (in the manner of `openssl s_client`).
    #[command(long_about = connect::CONNECT_ABOUT)]
    Connect(connect::ConnectArgs),
    /// Manage the keys and certificates of the key store.
    Key {
        /// What to do.
        #[command(subcommand)]
        command: key::KeyCommand,
    },
    /// Smart cards: the virtual card on vpcd and secure key injection over PC/SC.
    #[command(arg_required_else_help = true)]
    Card {
        /// What to do.
        #[command(subcommand)]
        command: card::CardCommand,
    },
    /// Print a shell completion script to stdout (e.g. `keyward completions bash >
    /// /etc/bash_completion.d/keyward`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The `cryptosession` subcommands.
#[derive(Debug, Subcommand)]
enum CryptosessionCommand {
    /// Run the D3D11 crypto-session key exchange (RSAES-OAEP), DecryptionBlt,
    /// EncryptionBlt and a key refresh, then the OPM handshake with signed requests, between
    /// a software device and an in-process application, printing every call.
    Demo,
}

/// The shells `keyward completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => match demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward demo failed: {err} [{}]", err.status());
                ExitCode::FAILURE
            }
        },
        Command::Cryptosession {
            command: CryptosessionCommand::Demo,
        } => match cryptosession::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!(
                    "keyward cryptosession demo failed: {err} [0x{:08X}]",
                    err.hresult() as u32
                );
                ExitCode::FAILURE
            }
        },
        Command::Serve(args) => {
            let tls = tls_options::TlsOptions::from_args(&args.tls)
                .unwrap_or_else(|error| usage_error("serve", error));
            match serve::run(args, tls) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("keyward serve: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Keyiso(args) => match keyiso::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward keyiso: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Connect(args) => connect::run(args),
        Command::Key { command } => match key::run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward key: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Card { command } => match card::run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward card failed: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "keyward",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

/// Exits with clap's report of a usage error found after parsing (status 2, as for every
/// other bad argument).
fn usage_error(subcommand: &str, message: String) -> ! {
    let mut command = Cli::command();
    let command = command
        .find_subcommand_mut(subcommand)
        .map(|found| found.clone())
        .unwrap_or_default();
    command
        .bin_name(format!("keyward {subcommand}"))
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a command line (without the program name).
    pub(crate) fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("keyward").chain(line.split_whitespace()))
    }

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn subcommands_parse() {
        assert!(matches!(parse("demo").unwrap().command, Command::Demo));
        assert!(matches!(
            parse("cryptosession demo").unwrap().command,
            Command::Cryptosession { .. }
        ));
        assert!(matches!(
            parse("completions zsh").unwrap().command,
            Command::Completions { shell: Shell::Zsh }
        ));
        for bad in [
            "",
            "bogus",
            "completions powershell",
            "demo extra",
            "cryptosession",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let help = parse("serve --help").unwrap_err();
        assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(help.to_string().contains("--handshake-timeout"));
    }

    #[test]
    fn completions_name_the_subcommands() {
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "keyward",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        for word in [
            "serve",
            "connect",
            "inject-keypair",
            "export-cert",
            "--ciphers",
        ] {
            assert!(script.contains(word), "{word}");
        }
    }
}

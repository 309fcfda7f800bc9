//! The `keyward` command.

mod card;
mod connect;
mod cryptosession;
mod demo;
mod serve;
mod server_keys;
mod tls_options;

use std::process::ExitCode;

const USAGE: &str = "\
usage: keyward <command>

commands:
  demo    run a complete TLS 1.2 key exchange (ECDHE and RSA) between an in-process
          client and server provider, printing every provider call
  cryptosession demo
          run the D3D11 crypto-session key exchange (RSAES-OAEP), DecryptionBlt,
          EncryptionBlt and a key refresh, then the OPM handshake with signed requests,
          between a software device and an in-process application, printing every call
  help    show this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => match demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward demo failed: {err} [{}]", err.status());
                ExitCode::FAILURE
            }
        },
        Some("cryptosession") if args.get(1).map(String::as_str) == Some("demo") => {
            match cryptosession::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!(
                        "keyward cryptosession demo failed: {err} [0x{:08X}]",
                        err.hresult() as u32
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Some("serve") => match serve::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward serve: {err}");
                ExitCode::FAILURE
            }
        },
        Some("connect") => connect::run(&args[1..]),
        Some("card") => match card::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("keyward card failed: {err}");
                ExitCode::FAILURE
            }
        },
        Some("help" | "-h" | "--help") => {
            print!(
                "{USAGE}{}{}{}{}",
                serve::USAGE,
                connect::USAGE,
                tls_options::USAGE,
                card::USAGE
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprint!(
                "{USAGE}{}{}{}{}",
                serve::USAGE,
                connect::USAGE,
                tls_options::USAGE,
                card::USAGE
            );
            ExitCode::from(2)
        }
    }
}

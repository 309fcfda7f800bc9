//! The `keyward` command.

mod demo;

use std::process::ExitCode;

const USAGE: &str = "\
usage: keyward <command>

commands:
  demo    run a complete TLS 1.2 key exchange (ECDHE and RSA) between an in-process
          client and server provider, printing every provider call
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
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

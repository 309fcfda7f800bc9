//! keyward-bench: keyward-tls against rustls 0.23 (aws-lc-rs provider) in one run, client and
//! server connected in memory (the rustls-bench method: no socket, no kernel).
//!
//! `cargo run --release -p keyward-bench [-- --quick] [--case FILTER]` prints one table of
//! bulk transfer, full handshakes, resumptions and memory per idle connection.
//! `--callgrind CASE --library keyward|rustls --iterations N` runs only N handshakes (or N MiB
//! of a bulk case) of one case, inside `callgrind_measured`, for `scripts/bench-callgrind`.

mod alloc;
mod case;
mod harness;
mod keyward_side;
mod pki;
mod rustls_side;

use std::process::ExitCode;

use case::{Cipher, Params, Resumption, Version};
use harness::{Failure, Library};
use keyward_side::{Keyward, Stores};
use pki::{CertKind, Pki};
use rustls_side::Rustls;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// What a case measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// MB/s sent (client encrypts) and received (server decrypts).
    Bulk,
    /// Full handshakes per second, server and client side.
    Handshake,
    /// Resumed handshakes per second, server and client side.
    Resume,
    /// Bytes kept per idle connection after the handshake, client and server.
    Memory,
}

/// One case: a configuration and what to measure with it.
#[derive(Clone, Debug)]
struct Case {
    id: String,
    kind: Kind,
    params: Params,
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let off = Resumption::Off;
    for version in [Version::Tls12, Version::Tls13] {
        for cipher in [
            Cipher::Aes128Gcm,
            Cipher::Aes256Gcm,
            Cipher::Chacha20Poly1305,
        ] {
            cases.push(Case {
                id: format!("bulk-{}-{}", version.name(), cipher.name()),
                kind: Kind::Bulk,
                params: Params {
                    version,
                    cipher,
                    cert: CertKind::Ecdsa,
                    resumption: off,
                },
            });
        }
    }
    for version in [Version::Tls12, Version::Tls13] {
        for cert in [CertKind::Rsa, CertKind::Ecdsa] {
            cases.push(Case {
                id: format!("handshake-{}-{}", version.name(), cert.name()),
                kind: Kind::Handshake,
                params: Params {
                    version,
                    cipher: Cipher::Aes128Gcm,
                    cert,
                    resumption: off,
                },
            });
        }
    }
    for (version, resumption, name) in [
        (Version::Tls12, Resumption::Tls12Ticket, "ticket"),
        (Version::Tls12, Resumption::Tls12SessionId, "sessionid"),
        (Version::Tls13, Resumption::Tls13Ticket, "ticket"),
    ] {
        cases.push(Case {
            id: format!("resume-{}-{name}", version.name()),
            kind: Kind::Resume,
            params: Params {
                version,
                cipher: Cipher::Aes128Gcm,
                cert: CertKind::Ecdsa,
                resumption,
            },
        });
    }
    for version in [Version::Tls12, Version::Tls13] {
        cases.push(Case {
            id: format!("memory-{}", version.name()),
            kind: Kind::Memory,
            params: Params {
                version,
                cipher: Cipher::Aes128Gcm,
                cert: CertKind::Ecdsa,
                resumption: off,
            },
        });
    }
    cases
}

/// How much work each measurement does.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    rounds: usize,
    bulk_bytes: usize,
    bulk_chunk: usize,
    rsa_handshakes: usize,
    ecdsa_handshakes: usize,
    resumptions: usize,
    memory_connections: usize,
}

const FULL: Sizes = Sizes {
    rounds: 3,
    bulk_bytes: 64 << 20,
    bulk_chunk: 1 << 20,
    rsa_handshakes: 200,
    ecdsa_handshakes: 500,
    resumptions: 1000,
    memory_connections: 500,
};

const QUICK: Sizes = Sizes {
    rounds: 1,
    bulk_bytes: 1 << 20,
    bulk_chunk: 64 << 10,
    rsa_handshakes: 4,
    ecdsa_handshakes: 4,
    resumptions: 4,
    memory_connections: 4,
};

/// The two figures a case gives for one library (send and receive, server and client, or
/// client and server memory), larger is better except for memory.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Figures {
    first: f64,
    second: f64,
}

/// Runs one case on one library.
fn measure<L: Library>(library: &L, case: &Case, sizes: &Sizes) -> Result<Figures, Failure> {
    match case.kind {
        Kind::Bulk => {
            let samples = harness::bulk(library, sizes.bulk_bytes, sizes.bulk_chunk)?;
            Ok(Figures {
                first: harness::median(&samples.client) / 1e6,
                second: harness::median(&samples.server) / 1e6,
            })
        }
        Kind::Handshake | Kind::Resume => {
            let count = match (case.kind, case.params.cert) {
                (Kind::Resume, _) => sizes.resumptions,
                (_, CertKind::Rsa) => sizes.rsa_handshakes,
                (_, CertKind::Ecdsa) => sizes.ecdsa_handshakes,
            };
            let samples = harness::handshakes(library, count, case.kind == Kind::Resume)?;
            Ok(Figures {
                first: harness::median(&samples.server),
                second: harness::median(&samples.client),
            })
        }
        Kind::Memory => {
            let (client, server) = harness::memory(library, sizes.memory_connections)?;
            Ok(Figures {
                first: client as f64,
                second: server as f64,
            })
        }
    }
}

/// The two libraries configured for one case.
struct Contestants {
    keyward: Keyward,
    rustls: Rustls,
}

/// The best figures seen so far of one case, per library.
#[derive(Default)]
struct Best {
    keyward: Option<Figures>,
    rustls: Option<Figures>,
}

fn better(kind: Kind, old: Option<Figures>, new: Figures) -> Figures {
    let Some(old) = old else { return new };
    let pick = |a: f64, b: f64| {
        if kind == Kind::Memory {
            a.min(b)
        } else {
            a.max(b)
        }
    };
    Figures {
        first: pick(old.first, new.first),
        second: pick(old.second, new.second),
    }
}

fn row_names(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Bulk => ("send", "receive", "MB/s"),
        Kind::Handshake | Kind::Resume => ("server", "client", "/s"),
        Kind::Memory => ("client", "server", "bytes"),
    }
}

fn print_table(cases: &[Case], results: &[Best]) {
    println!(
        "{:<36} {:>12} {:>12} {:>7}",
        "case", "keyward", "rustls", "ratio"
    );
    for (case, best) in cases.iter().zip(results) {
        let (Some(keyward), Some(rustls)) = (best.keyward, best.rustls) else {
            continue;
        };
        let (first, second, unit) = row_names(case.kind);
        for (side, k, r) in [
            (first, keyward.first, rustls.first),
            (second, keyward.second, rustls.second),
        ] {
            // Ratios read the same way everywhere: above 1, keyward is better.
            let ratio = if case.kind == Kind::Memory {
                r / k
            } else {
                k / r
            };
            println!(
                "{:<36} {:>12.0} {:>12.0} {:>7.2}",
                format!("{} {side} ({unit})", case.id),
                k,
                r,
                ratio
            );
        }
    }
    println!(
        "ratio: keyward/rustls for rates, rustls/keyward for memory (fewer bytes is better): \
         above 1.00 keyward is better."
    );
}

/// Runs `cases`, each `sizes.rounds` times, alternating which library goes first so that
/// drift on a shared machine hits both; keeps each library's best round.
fn run(cases: &[Case], sizes: &Sizes, pki: &Pki) -> Result<Vec<Best>, Failure> {
    let stores = Stores::new(pki)?;
    let contestants = cases
        .iter()
        .map(|case| {
            Ok(Contestants {
                keyward: Keyward::new(pki, &stores, case.params)?,
                rustls: Rustls::new(pki, case.params)?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let mut results: Vec<Best> = cases.iter().map(|_| Best::default()).collect();
    for round in 0..sizes.rounds {
        for ((case, contestant), best) in cases.iter().zip(&contestants).zip(&mut results) {
            let in_case = |err: Failure| format!("{}: {err}", case.id);
            for turn in 0..2 {
                if (turn + round) % 2 == 0 {
                    let figures = measure(&contestant.keyward, case, sizes).map_err(in_case)?;
                    best.keyward = Some(better(case.kind, best.keyward, figures));
                } else {
                    let figures = measure(&contestant.rustls, case, sizes).map_err(in_case)?;
                    best.rustls = Some(better(case.kind, best.rustls, figures));
                }
            }
        }
        eprintln!("round {} of {} done", round + 1, sizes.rounds);
    }
    Ok(results)
}

/// The work callgrind counts: only what runs inside this function is collected
/// (`--toggle-collect=*callgrind_measured*`). `count` handshakes, or `count` MiB of bulk data.
#[inline(never)]
fn callgrind_measured<L: Library>(library: &L, case: &Case, count: usize) -> Result<(), Failure> {
    match case.kind {
        Kind::Bulk => harness::bulk(library, count << 20, 1 << 20).map(|_| ()),
        Kind::Handshake | Kind::Resume => {
            harness::handshakes(library, count, case.kind == Kind::Resume).map(|_| ())
        }
        Kind::Memory => Err("memory cases have no callgrind mode".to_owned()),
    }
}

fn callgrind<L: Library>(library: &L, case: &Case, count: usize) -> Result<(), Failure> {
    // One handshake (which, when resuming, makes the session) runs outside the measured
    // function: one-time setup is not a handshake's cost.
    harness::handshakes(library, 1, case.kind == Kind::Resume)?;
    callgrind_measured(library, case, count)
}

/// The command line.
struct Options {
    quick: bool,
    filter: Option<String>,
    callgrind: Option<String>,
    library: String,
    iterations: usize,
    list: bool,
}

const USAGE: &str = "usage: keyward-bench [--quick] [--case FILTER] [--list-handshakes]
       keyward-bench --callgrind CASE [--library keyward|rustls] [--iterations N]";

fn options() -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        filter: None,
        callgrind: None,
        library: "keyward".to_owned(),
        iterations: 20,
        list: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--list-handshakes" => options.list = true,
            "--case" => options.filter = Some(value("--case")?),
            "--callgrind" => options.callgrind = Some(value("--callgrind")?),
            "--library" => options.library = value("--library")?,
            "--iterations" => {
                options.iterations = value("--iterations")?
                    .parse()
                    .map_err(|_| "--iterations needs a number".to_owned())?
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn main_result() -> Result<(), String> {
    let options = options()?;
    let cases = all_cases();
    if options.list {
        for case in cases
            .iter()
            .filter(|case| matches!(case.kind, Kind::Handshake | Kind::Resume))
        {
            println!("{}", case.id);
        }
        return Ok(());
    }
    let pki = Pki::generate().map_err(|err| format!("certificates: {err}"))?;
    if let Some(id) = &options.callgrind {
        let case = cases
            .iter()
            .find(|case| &case.id == id && case.kind != Kind::Memory)
            .ok_or(format!(
                "no handshake or bulk case {id:?} (see --list-handshakes)"
            ))?;
        let stores = Stores::new(&pki)?;
        return match options.library.as_str() {
            "keyward" => callgrind(
                &Keyward::new(&pki, &stores, case.params)?,
                case,
                options.iterations,
            ),
            "rustls" => callgrind(&Rustls::new(&pki, case.params)?, case, options.iterations),
            other => Err(format!("no library {other:?}: keyward or rustls")),
        };
    }
    let cases: Vec<Case> = cases
        .into_iter()
        .filter(|case| options.filter.as_ref().is_none_or(|f| case.id.contains(f)))
        .collect();
    if cases.is_empty() {
        return Err("no case matches the filter".to_owned());
    }
    let sizes = if options.quick { QUICK } else { FULL };
    let results = run(&cases, &sizes, &pki)?;
    print_table(&cases, &results);
    Ok(())
}

fn main() -> ExitCode {
    match main_result() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("keyward-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One tiny case of each kind, on both libraries: the harness checks that every bulk
    /// byte arrives in order and that each handshake completes (resumed when it should be).
    #[test]
    fn one_tiny_case_of_each_kind_runs_on_both_libraries() {
        let pki = Pki::generate().unwrap();
        // Two rounds: the second starts with clients that already hold sessions.
        let sizes = Sizes {
            rounds: 2,
            bulk_bytes: 300_000,
            bulk_chunk: 20_000,
            rsa_handshakes: 2,
            ecdsa_handshakes: 2,
            resumptions: 2,
            memory_connections: 2,
        };
        let wanted = [
            "bulk-tls13-chacha20",
            "bulk-tls12-aes256gcm",
            "handshake-tls12-rsa",
            "handshake-tls13-ecdsa",
            "resume-tls12-sessionid",
            "resume-tls13-ticket",
            "memory-tls13",
        ];
        let cases: Vec<Case> = all_cases()
            .into_iter()
            .filter(|case| wanted.contains(&case.id.as_str()))
            .collect();
        assert_eq!(cases.len(), wanted.len());
        let results = run(&cases, &sizes, &pki).unwrap();
        for (case, best) in cases.iter().zip(&results) {
            for figures in [best.keyward.unwrap(), best.rustls.unwrap()] {
                assert!(
                    figures.first > 0.0 && figures.second > 0.0,
                    "{}: {figures:?}",
                    case.id
                );
            }
        }
    }

    /// Records in place, end to end (issue 17): once a connection has carried a few records
    /// each way, 10,000 more each way allocate nothing on either side, in TLS 1.2 and 1.3,
    /// for every suite family keyward-bench runs (AES-GCM, ChaCha20-Poly1305).
    #[test]
    fn steady_traffic_allocates_nothing_per_record() {
        let pki = Pki::generate().unwrap();
        let stores = Stores::new(&pki).unwrap();
        for case in all_cases().iter().filter(|case| case.kind == Kind::Bulk) {
            let keyward = Keyward::new(&pki, &stores, case.params).unwrap();
            for len in [1, 1000, 16384] {
                let (client, server) =
                    harness::steady_allocations(&keyward, 4, 10_000, len).unwrap();
                assert_eq!(
                    (client, server),
                    (0, 0),
                    "{}, {len}-byte records: allocations by the client and the server",
                    case.id
                );
            }
        }
    }

    /// Case ids name one case each (`--case` and `--callgrind` find cases by id).
    #[test]
    fn every_case_id_is_unique() {
        let cases = all_cases();
        let mut ids: Vec<&str> = cases.iter().map(|case| case.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cases.len());
    }
}

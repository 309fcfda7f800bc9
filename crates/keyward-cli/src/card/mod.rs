//! `keyward card …`: the smart-card side of keyward. A virtual GlobalPlatform card served to
//! pcscd through vsmartcard's vpcd reader driver (`emulate`), and the secure key injection of
//! cardmod.h v7 against a card in a PC/SC reader (`inject-pin`, `inject-keypair`): the server
//! half runs the minidriver in no-card mode with the card's static SCP03 keys, the client half
//! runs it at the reader without them, and the two relay the key establishment (the
//! `CardGetSharedKeyHandle` messages, or a session key wrapped with a card container's RSA key
//! for `CardImportSessionKey`) and the `MDEncryptData` blobs. The halves run in one process or
//! in two, relaying through a directory ([`inject`] documents the messages); every minidriver
//! call is printed with its Windows status, and no PIN or key is ever printed.
//!
//! The static SCP03 keys are provisioned through a keys file (`keyward card new-keys FILE`,
//! mode 0600) that `emulate --personalize` loads into the new card and the injecting server
//! (and the checks after the injection) read:
//!
//! ```text
//! # keyward card SCP03 static keys (GlobalPlatform Amendment D); keep this file secret
//! kvn 30
//! enc <32, 48 or 64 hex digits>
//! mac <same length>
//! dek <same length>
//! ```

mod emulate;
mod inject;
mod relay;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;

use keyward_card::error::status_name;
use keyward_card::scp03::StaticKeys;
use keyward_core::backend::fill_random;
use keyward_core::SecretVec;

/// The `keyward card` subcommands.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Write a random AES-128 SCP03 keyset (KVN 30) to FILE (mode 0600).
    NewKeys {
        /// The keys file to create.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Serve the virtual card to pcscd through vpcd until Ctrl-C / SIGTERM or vpcd closes the
    /// connection (needs no PC/SC library).
    Emulate(emulate::EmulateArgs),
    /// List the PC/SC readers.
    Readers,
    /// Secure key injection of a new user PIN (server and client in this process, the card in
    /// a PC/SC reader), then check that it authenticates.
    #[command(long_about = INJECTION_ABOUT)]
    InjectPin(inject::InjectPinArgs),
    /// Secure key injection of a key pair (RSA-2048 or EC P-256, PKCS#8 DER) into a card
    /// container, then check that it signs.
    #[command(long_about = INJECTION_ABOUT)]
    InjectKeypair(inject::InjectKeypairArgs),
    /// Check that the user PIN authenticates (and an old one no longer does).
    CheckPin(inject::CheckPinArgs),
    /// Check that a card container holds the key pair of --key and signs with it.
    CheckKeypair(inject::CheckKeypairArgs),
}

/// The long help of the injection commands.
const INJECTION_ABOUT: &str = "\
Secure key injection (cardmod.h v7). The server and the card share a key either through SCP03
with the card's static keys (--via shared-key, the default: CardGetSharedKeyHandle) or through
an AES session key the server wraps with the RSA key-exchange key of card container N (--via
session-key, default container 1: CardImportSessionKey / MDImportSessionKey).

Two processes: run the server half with `--role server --relay DIR` and the options except
--reader, and the client half (at the reader) with `--role client --relay DIR [--reader NAME]
[--wait SECONDS]`; they relay through the files of DIR (an empty directory both can reach).
Then check from the server side with `keyward card check-pin` or `check-keypair`.";

/// How long card commands wait for pcscd, the reader, the card or the other half by default.
const DEFAULT_WAIT_SECONDS: &str = "20";

/// A number of seconds (`--wait`; 0 is allowed).
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| format!("{text:?} is not a number of seconds"))
}

/// Runs `keyward card …`.
pub fn run(command: CardCommand) -> Result<(), String> {
    match command {
        CardCommand::NewKeys { file } => new_keys(&file),
        CardCommand::Emulate(args) => emulate::emulate(args),
        CardCommand::Readers => emulate::readers(),
        CardCommand::InjectPin(args) => inject::inject_pin(args),
        CardCommand::InjectKeypair(args) => inject::inject_keypair(args),
        CardCommand::CheckPin(args) => inject::check_pin(args),
        CardCommand::CheckKeypair(args) => inject::check_keypair(args),
    }
}

/// The value of a required option, or an error naming it.
fn required<'a, T>(value: &'a Option<T>, name: &str) -> Result<&'a T, String> {
    value.as_ref().ok_or_else(|| format!("{name} is required"))
}

// ---- the keys file --------------------------------------------------------------------------

/// Parses a keys file (format in the module documentation).
fn parse_keys(text: &str) -> Result<StaticKeys, String> {
    let mut version = None;
    let mut enc = None;
    let mut mac = None;
    let mut dek = None;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("keys file line {}: expected `name hex`", number + 1);
        let mut words = line.split_whitespace();
        let (Some(name), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad());
        };
        let bytes = SecretVec::new(hex::decode(value).map_err(|_| bad())?);
        let slot = match name {
            "kvn" => {
                let [kvn] = bytes.expose() else {
                    return Err(format!("keys file line {}: kvn is one byte", number + 1));
                };
                if version.replace(*kvn).is_some() {
                    return Err("keys file: kvn is given twice".into());
                }
                continue;
            }
            "enc" => &mut enc,
            "mac" => &mut mac,
            "dek" => &mut dek,
            other => return Err(format!("keys file: unknown entry {other:?}")),
        };
        if slot.replace(bytes).is_some() {
            return Err(format!("keys file: {name} is given twice"));
        }
    }
    let (Some(version), Some(enc), Some(mac), Some(dek)) = (version, enc, mac, dek) else {
        return Err("keys file: kvn, enc, mac and dek are all needed".into());
    };
    StaticKeys::new(version, enc.expose(), mac.expose(), dek.expose())
        .map_err(|err| format!("keys file: {err}"))
}

fn read_keys(path: &Path) -> Result<StaticKeys, String> {
    let bytes = fs::read(path)
        .map(SecretVec::new)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    let text = std::str::from_utf8(bytes.expose())
        .map_err(|_| format!("{}: not a keys file", path.display()))?;
    parse_keys(text).map_err(|err| format!("{}: {err}", path.display()))
}

/// `keyward card new-keys FILE`.
fn new_keys(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let mut material = SecretVec::zeroed(48);
    fill_random(material.expose_mut()).map_err(|err| format!("random keys: {err}"))?;
    let (enc, rest) = material.expose().split_at(16);
    let (mac, dek) = rest.split_at(16);
    let keys = StaticKeys::new(0x30, enc, mac, dek).map_err(|err| err.to_string())?;
    let text = SecretVec::new(
        format!(
            "# keyward card SCP03 static keys (GlobalPlatform Amendment D); keep this file secret\n\
             kvn 30\nenc {}\nmac {}\ndek {}\n",
            hex::encode(enc),
            hex::encode(mac),
            hex::encode(dek)
        )
        .into_bytes(),
    );
    let mut file = {
        let mut open = fs::OpenOptions::new();
        open.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        open.open(path).map_err(|err| format!("{shown}: {err}"))?
    };
    file.write_all(text.expose())
        .and_then(|()| file.sync_all())
        .map_err(|err| format!("{shown}: {err}"))?;
    let [enc_kcv, mac_kcv, dek_kcv] = keys.check_values().map_err(|err| err.to_string())?;
    println!(
        "wrote {shown}: SCP03 AES-128 keyset, KVN 30, key check values {} {} {}",
        hex::encode(enc_kcv),
        hex::encode(mac_kcv),
        hex::encode(dek_kcv)
    );
    Ok(())
}

// ---- calls and their status -----------------------------------------------------------------

/// A status value as `SCARD_S_SUCCESS` or `0x8010006B (SCARD_W_WRONG_CHV)`.
fn describe(status: u32) -> String {
    match status_name(status) {
        Some(name) if status == 0 => name.to_string(),
        Some(name) => format!("0x{status:08X} ({name})"),
        None => format!("0x{status:08X}"),
    }
}

/// Prints one call with its status and turns a failure into the command's error.
fn call<T>(who: &str, what: &str, result: keyward_card::Result<T>) -> Result<T, String> {
    match result {
        Ok(value) => {
            println!("  {:<8} {what} -> {}", format!("[{who}]"), describe(0));
            Ok(value)
        }
        Err(err) => {
            println!(
                "  {:<8} {what} -> {}",
                format!("[{who}]"),
                describe(err.status())
            );
            Err(format!("{what}: {err} [{}]", describe(err.status())))
        }
    }
}

/// Prints a call that must fail with `expected`.
fn call_failing<T>(
    who: &str,
    what: &str,
    result: keyward_card::Result<T>,
    expected: u32,
) -> Result<(), String> {
    let status = result.as_ref().map_or_else(|err| err.status(), |_| 0);
    println!(
        "  {:<8} {what} -> {} (expected)",
        format!("[{who}]"),
        describe(status)
    );
    if status == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {}, got {}",
            describe(expected),
            describe(status)
        ))
    }
}

fn check(what: &str, ok: bool) -> Result<(), String> {
    if ok {
        println!("  [check]  {what}");
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_strictly() {
        let parse = crate::tests::parse;
        assert!(parse("card emulate --state s --reconnect").is_ok());
        assert!(parse("card emulate --state=s --vpcd=127.0.0.1:1 --wait=3").is_ok());
        for bad in [
            "card emulate --state s --reconnect extra",
            "card emulate --state",
            "card emulate --state a --state b",
            "card emulate --bogus",
            "card emulate --state s --wait soon",
            "card emulate --state s --keys k",
            "card emulate --personalize --state s",
            "card new-keys",
            "card readers extra",
            "card",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("3"), Ok(Duration::from_secs(3)));
        assert_eq!(seconds("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn keys_files_parse_strictly() {
        let good = "# comment\n\nkvn 30\nenc 000102030405060708090a0b0c0d0e0f\n\
                    mac 101112131415161718191a1b1c1d1e1f\ndek 202122232425262728292a2b2c2d2e2f\n";
        let keys = parse_keys(good).unwrap();
        assert_eq!(keys.version(), 0x30);
        assert_eq!(
            keys.check_values().unwrap()[0],
            [0xC3, 0x52, 0x80],
            "pySim's KCV of 000102..0F"
        );
        for bad in [
            good.replace("kvn 30\n", ""),
            good.replace("kvn 30", "kvn 3030"),
            good.replace("kvn 30", "kvn 30\nkvn 31"),
            good.replace("enc 00", "enc zz"),
            good.replace("dek 2021", "dek 21"),
            good.replace("mac ", "mac 00 "),
            good.replace("mac", "max"),
            format!("{good}enc 000102030405060708090a0b0c0d0e0f\n"),
        ] {
            assert!(parse_keys(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_read_as_windows_names() {
        assert_eq!(describe(0), "SCARD_S_SUCCESS");
        assert_eq!(describe(0x8010_006B), "0x8010006B (SCARD_W_WRONG_CHV)");
        assert_eq!(describe(0x8010_00EE), "0x801000EE");
        assert!(call_failing::<()>(
            "x",
            "y",
            Err(keyward_card::Error::WrongPin {
                attempts_remaining: 1
            }),
            0x8010_006B
        )
        .is_ok());
        assert!(call_failing("x", "y", Ok(()), 0x8010_006B).is_err());
    }
}

//! `keyward card …`: the smart-card side of keyward. A virtual GlobalPlatform card served to
//! pcscd through vsmartcard's vpcd reader driver (`emulate`), and the secure key injection of
//! cardmod.h v7 against a card in a PC/SC reader (`inject-pin`, `inject-keypair`): the server
//! half runs the minidriver in no-card mode with the card's static SCP03 keys, the client half
//! runs it at the reader without them, and the two relay the key establishment (the
//! `CardGetSharedKeyHandle` messages, or a session key wrapped with a card container's RSA key
//! for `CardImportSessionKey`) and the `MDEncryptData` blobs. Both halves run in this one
//! process; every minidriver call is printed with its Windows status, and no PIN or key is
//! ever printed.
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

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keyward_card::card::vpcd::{self, Ended, Event, Shutdown, VpcdConfig};
use keyward_card::card::{Personalization, VirtualCard, DEFAULT_AID};
use keyward_card::channel::SecureChannel;
use keyward_card::error::status_name;
use keyward_card::instructions::{
    key_data_blob, OaepHash, PinId, PublicKey, SignatureHash, AT_ECDSA_P256, AT_KEYEXCHANGE,
    AT_SIGNATURE,
};
use keyward_card::minidriver::properties::{
    parse_dword, parse_wide_multi_string, parse_wide_string, wide_string, BCRYPT_RSA_ALGORITHM,
    CARD_AES_ALGORITHM, CARD_ASYMMETRIC_OPERATION, CARD_CHAIN_MODE_CBC, CARD_CIPHER_OPERATION,
    CARD_KEY_IMPORT_RSA_KEYEST, CARD_KEY_IMPORT_SHARED_SYMMETRIC, CARD_PADDING_OAEP,
    CKP_BLOCK_LENGTH, CKP_CHAINING_MODE, CKP_INITIALIZATION_VECTOR, CP_CHAINING_MODES,
    CP_ENUM_ALGORITHMS, CP_KEY_IMPORT_SUPPORT, CP_PADDING_SCHEMES,
};
use keyward_card::minidriver::secure_function::{
    CardChangeAuthenticator, CardImportKeyPair, CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR,
    PIN_CHANGE_FLAG_CHANGEPIN, PIN_CHANGE_FLAG_UNBLOCK,
};
use keyward_card::minidriver::session_key::{
    wrap_session_key, OaepPaddingInfo, BCRYPT_KEY_DATA_BLOB,
};
use keyward_card::minidriver::{
    CardContext, CardData, CardKeyHandle, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::scp03::{SecurityLevel, StaticKeys};
use keyward_card::transport::{PcscTransport, Transport};
use keyward_core::backend::{
    ecdsa_verify_digest, fill_random, hash, Curve, HashAlgorithm, PrivateKey, RsaPublicKey,
};
use keyward_core::SecretVec;

/// The `keyward card` part of the usage text.
pub const USAGE: &str = "\
  card new-keys FILE
          write a random AES-128 SCP03 keyset (KVN 30) to FILE (mode 0600)
  card emulate --state FILE [--personalize --keys FILE --user-pin PIN --admin-pin PIN]
               [--vpcd HOST:PORT] [--reconnect] [--wait SECONDS]
          serve the virtual card (its state in FILE) to pcscd through vpcd (default
          127.0.0.1:35963) until Ctrl-C / SIGTERM or vpcd closes the connection;
          --personalize creates the card with the keyset and PINs first
  card readers
          list the PC/SC readers
  card inject-pin --keys FILE --new-pin PIN (--current-pin PIN | --admin-pin PIN)
                  [--via shared-key | --via session-key [--wrap-container N]]
                  [--reader NAME] [--wait SECONDS]
          secure key injection of a new user PIN (server and client in this process,
          the card in the PC/SC reader whose name contains NAME, default
          \"Virtual PCD 00 00\"), then check that it authenticates
  card inject-keypair --keys FILE --key PKCS8.der --pin PIN [--pin-role user|admin]
                      [--container N] [--key-spec signature|exchange]
                      [--via shared-key | --via session-key [--wrap-container N]]
                      [--reader NAME] [--wait SECONDS]
          secure key injection of a key pair (RSA-2048 or EC P-256, PKCS#8 DER) into
          container N (default 0), guarded by the PIN of --pin-role (default user), then
          check that it signs
  The server and the card share a key either through SCP03 with the card's static keys
  (--via shared-key, the default: CardGetSharedKeyHandle) or through an AES session key the
  server wraps with the RSA key-exchange key of card container N (--via session-key,
  default container 1: CardImportSessionKey / MDImportSessionKey).
";

const DEFAULT_READER: &str = "Virtual PCD 00 00";
const DEFAULT_WAIT_SECONDS: u64 = 20;
const CARD_NAME: &str = "keyward virtual card";

/// Runs `keyward card <args>`.
pub fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        return Err(format!("a card command is needed\nusage:\n{USAGE}"));
    };
    match command.as_str() {
        "new-keys" => new_keys(rest),
        "emulate" => emulate(rest),
        "readers" => readers(rest),
        "inject-pin" => inject_pin(rest),
        "inject-keypair" => inject_keypair(rest),
        other => Err(format!("unknown card command {other:?}\nusage:\n{USAGE}")),
    }
}

// ---- arguments ------------------------------------------------------------------------------

/// Options of one command: `--name value` pairs, `--flag`s and positional arguments.
struct Options {
    values: Vec<(String, String)>,
    flags: Vec<String>,
    positional: Vec<String>,
}

impl Options {
    fn parse(args: &[String], with_value: &[&str], flags: &[&str]) -> Result<Options, String> {
        let mut options = Options {
            values: Vec::new(),
            flags: Vec::new(),
            positional: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if with_value.contains(&arg.as_str()) {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                if options.values.iter().any(|(name, _)| name == arg) {
                    return Err(format!("{arg} is given twice"));
                }
                options.values.push((arg.clone(), value.clone()));
            } else if flags.contains(&arg.as_str()) {
                options.flags.push(arg.clone());
            } else if arg.starts_with("--") {
                return Err(format!("unknown option {arg}"));
            } else {
                options.positional.push(arg.clone());
            }
        }
        Ok(options)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("{name} is required"))
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn no_positional(&self) -> Result<(), String> {
        match self.positional.first() {
            Some(extra) => Err(format!("unexpected argument {extra:?}")),
            None => Ok(()),
        }
    }

    fn wait(&self) -> Result<Duration, String> {
        match self.get("--wait") {
            None => Ok(Duration::from_secs(DEFAULT_WAIT_SECONDS)),
            Some(text) => text
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("--wait {text:?} is not a number of seconds")),
        }
    }
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

fn read_keys(path: &str) -> Result<StaticKeys, String> {
    let bytes = fs::read(path)
        .map(SecretVec::new)
        .map_err(|err| format!("{path}: {err}"))?;
    let text =
        std::str::from_utf8(bytes.expose()).map_err(|_| format!("{path}: not a keys file"))?;
    parse_keys(text).map_err(|err| format!("{path}: {err}"))
}

/// `keyward card new-keys FILE`.
fn new_keys(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args, &[], &[])?;
    let [path] = options.positional.as_slice() else {
        return Err("usage: keyward card new-keys FILE".into());
    };
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
        open.open(path).map_err(|err| format!("{path}: {err}"))?
    };
    file.write_all(text.expose())
        .and_then(|()| file.sync_all())
        .map_err(|err| format!("{path}: {err}"))?;
    let [enc_kcv, mac_kcv, dek_kcv] = keys.check_values().map_err(|err| err.to_string())?;
    println!(
        "wrote {path}: SCP03 AES-128 keyset, KVN 30, key check values {} {} {}",
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

// ---- emulate, readers -----------------------------------------------------------------------

/// `keyward card emulate`.
fn emulate(args: &[String]) -> Result<(), String> {
    let options = Options::parse(
        args,
        &[
            "--state",
            "--keys",
            "--user-pin",
            "--admin-pin",
            "--vpcd",
            "--wait",
        ],
        &["--personalize", "--reconnect"],
    )?;
    options.no_positional()?;
    let state = PathBuf::from(options.required("--state")?);
    let mut card = if options.has("--personalize") {
        let keys = read_keys(options.required("--keys")?)?;
        let user_pin = options.required("--user-pin")?;
        let admin_pin = options.required("--admin-pin")?;
        let personalization = Personalization::new(keys, user_pin.as_bytes(), admin_pin.as_bytes())
            .map_err(|err| format!("personalization: {err}"))?;
        let card = VirtualCard::create(&state, personalization)
            .map_err(|err| format!("cannot create the card: {err}"))?;
        eprintln!(
            "keyward card: personalized a new card in {}",
            state.display()
        );
        card
    } else {
        for option in ["--keys", "--user-pin", "--admin-pin"] {
            if options.get(option).is_some() {
                return Err(format!("{option} only goes with --personalize"));
            }
        }
        VirtualCard::open(&state)
            .map_err(|err| format!("cannot open the card: {err} (create it with --personalize)"))?
    };
    let config = VpcdConfig {
        address: options
            .get("--vpcd")
            .unwrap_or(vpcd::DEFAULT_ADDRESS)
            .to_string(),
        reconnect: options.has("--reconnect"),
        connect_timeout: options.wait()?,
        poll_interval: Duration::from_millis(100),
    };
    let shutdown = Shutdown::new();
    shutdown
        .on_termination_signals()
        .map_err(|err| err.to_string())?;
    eprintln!(
        "keyward card: serving {} to vpcd at {}",
        state.display(),
        config.address
    );
    let ended = vpcd::run(&mut card, &config, &shutdown, log_event)
        .map_err(|err| format!("vpcd: {err}"))?;
    eprintln!(
        "keyward card: stopped ({})",
        match ended {
            Ended::Shutdown => "stop requested",
            Ended::Disconnected => "vpcd closed the connection",
        }
    );
    Ok(())
}

fn log_event(event: &Event) {
    match event {
        Event::Connected(peer) => eprintln!("vpcd: connected to {peer}"),
        Event::PowerOff => eprintln!("vpcd: power off"),
        Event::PowerOn => eprintln!("vpcd: power on"),
        Event::Reset => eprintln!("vpcd: reset"),
        Event::AtrSent => eprintln!("vpcd: ATR sent"),
        Event::UnknownControl(code) => eprintln!("vpcd: unknown control code {code:02X} ignored"),
        Event::EmptyMessage => eprintln!("vpcd: empty message ignored"),
        Event::Command { ins, length, sw } => {
            eprintln!("vpcd: APDU INS {ins:02X} ({length} bytes) -> {sw:04X}")
        }
        Event::Disconnected => eprintln!("vpcd: disconnected"),
    }
}

/// `keyward card readers`.
fn readers(args: &[String]) -> Result<(), String> {
    Options::parse(args, &[], &[])?.no_positional()?;
    let names = call("pcsc", "SCardListReaders", PcscTransport::readers())?;
    for name in names {
        println!("{name}");
    }
    Ok(())
}

// ---- secure key injection -------------------------------------------------------------------

/// The two halves of one injection, with their shared-key handles.
struct Injection {
    server: CardContext,
    server_key: CardKeyHandle,
    client: CardContext,
    client_key: CardKeyHandle,
}

fn connect(reader: &str, wait: Duration) -> Result<PcscTransport, String> {
    let transport = call(
        "client",
        &format!("SCardConnect(reader like {reader:?})"),
        PcscTransport::connect_waiting(reader, wait),
    )?;
    println!("  {:<8} reader: {}", "", transport.reader());
    Ok(transport)
}

fn card_context(
    mut transport: PcscTransport,
    keys: Option<StaticKeys>,
) -> Result<CardContext, String> {
    let atr = call("client", "SCardStatus (ATR)", transport.atr())?;
    call(
        "client",
        "CardAcquireContext(dwFlags = 0)",
        CardContext::acquire(
            CardData {
                version: 7,
                atr,
                card_name: CARD_NAME.to_string(),
                transport: Some(Box::new(transport)),
                vendor: VendorConfig::new(keys),
            },
            0,
        ),
    )
}

/// Prints a relayed message.
fn relay(from: &str, to: &str, what: &str, bytes: usize) {
    println!("  {:<8} {from} -> {to}: {what}, {bytes} bytes", "[relay]");
}

/// The SCP03 shared key: the four relayed `CardGetSharedKeyHandle` calls.
fn shared_key(
    server: &mut CardContext,
    client: &mut CardContext,
) -> Result<(CardKeyHandle, CardKeyHandle), String> {
    let step = call(
        "server",
        "CardGetSharedKeyHandle(pbInput = NULL)",
        server.get_shared_key_handle(&[]),
    )?;
    let message = step.output.ok_or("the server sent no HOST CHALLENGE")?;
    relay("server", "client", "HOST CHALLENGE", message.len());
    let step = call(
        "client",
        "CardGetSharedKeyHandle(HOST CHALLENGE) [INITIALIZE UPDATE]",
        client.get_shared_key_handle(&message),
    )?;
    let message = step.output.ok_or("the client sent no CARD CHALLENGE")?;
    relay("client", "server", "CARD CHALLENGE", message.len());
    let step = call(
        "server",
        "CardGetSharedKeyHandle(CARD CHALLENGE) [card cryptogram checked]",
        server.get_shared_key_handle(&message),
    )?;
    let server_key = step.key.ok_or("the server has no key handle")?;
    let message = step
        .output
        .ok_or("the server sent no EXTERNAL AUTHENTICATE")?;
    relay("server", "client", "EXTERNAL AUTHENTICATE", message.len());
    let step = call(
        "client",
        "CardGetSharedKeyHandle(EXTERNAL AUTHENTICATE)",
        client.get_shared_key_handle(&message),
    )?;
    let client_key = step.key.ok_or("the client has no key handle")?;
    Ok((server_key, client_key))
}

/// A session key wrapped with the RSA key of a card container: the client reads the public
/// key, the server wraps a fresh AES key with it and loads it (`MDImportSessionKey`), the
/// client hands the wrapped key to the card (`CardImportSessionKey`), and the card's nonce
/// (the key's IV) goes back to the server.
fn session_key(
    server: &mut CardContext,
    client: &mut CardContext,
    container: u8,
) -> Result<(CardKeyHandle, CardKeyHandle), String> {
    let algorithms = call(
        "client",
        "CardGetProperty(CP_ENUM_ALGORITHMS, CARD_ASYMMETRIC_OPERATION)",
        client.get_property(CP_ENUM_ALGORITHMS, CARD_ASYMMETRIC_OPERATION),
    )?;
    check(
        "the card lists RSA",
        parse_wide_multi_string(&algorithms)
            .is_ok_and(|names| names.iter().any(|name| name == BCRYPT_RSA_ALGORITHM)),
    )?;
    let paddings = call(
        "client",
        "CardGetProperty(CP_PADDING_SCHEMES, CARD_ASYMMETRIC_OPERATION)",
        client.get_property(CP_PADDING_SCHEMES, CARD_ASYMMETRIC_OPERATION),
    )?;
    check(
        "the card unwraps with OAEP",
        parse_dword(&paddings).is_ok_and(|bits| bits & CARD_PADDING_OAEP != 0),
    )?;
    let public = call(
        "client",
        &format!("CardGetContainerInfo(container {container})"),
        client.get_container_info(container),
    )?;
    check(
        "the container holds an RSA key-exchange key",
        public.key_spec == AT_KEYEXCHANGE && matches!(public.key, PublicKey::Rsa { .. }),
    )?;
    relay(
        "client",
        "server",
        "the container's public key",
        match &public.key {
            PublicKey::Rsa { modulus, exponent } => modulus.len() + exponent.len(),
            PublicKey::EcP256 { point } => point.len(),
        },
    );
    let mut session_key = SecretVec::zeroed(16);
    fill_random(session_key.expose_mut()).map_err(|err| err.to_string())?;
    let wrapped = call(
        "server",
        "BCryptEncrypt(AES-128 session key, RSA-OAEP SHA-256)",
        wrap_session_key(&public.key, OaepHash::Sha256, session_key.expose()),
    )?;
    let blob = key_data_blob(session_key.expose()).map_err(|err| err.to_string())?;
    let server_key = call(
        "server",
        "MDImportSessionKey(BCRYPT_KEY_DATA_BLOB, AES)",
        server.md_import_session_key(BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM, blob.expose()),
    )?;
    relay("server", "client", "the wrapped session key", wrapped.len());
    let client_key = call(
        "client",
        &format!(
            "CardImportSessionKey(container {container}, OAEP SHA-256, BCRYPT_KEY_DATA_BLOB, AES)"
        ),
        client.import_session_key(
            container,
            &OaepPaddingInfo {
                hash: OaepHash::Sha256,
                label: Vec::new(),
            },
            BCRYPT_KEY_DATA_BLOB,
            CARD_AES_ALGORITHM,
            &wrapped,
            CARD_PADDING_OAEP,
        ),
    )?;
    let iv = call(
        "client",
        "CardGetKeyProperty(CKP_INITIALIZATION_VECTOR) [the card's nonce]",
        client.get_key_property(client_key, CKP_INITIALIZATION_VECTOR, 0),
    )?;
    relay("client", "server", "the IV", iv.len());
    for (who, context, key) in [
        ("server", &mut *server, server_key),
        ("client", &mut *client, client_key),
    ] {
        call(
            who,
            "CardSetKeyProperty(CKP_INITIALIZATION_VECTOR)",
            context.set_key_property(key, CKP_INITIALIZATION_VECTOR, &iv, 0),
        )?;
    }
    Ok((server_key, client_key))
}

/// How the server and the card come to share a key.
#[derive(Clone, Copy)]
enum Establishment {
    /// `CardGetSharedKeyHandle` (SCP03 with the card's static keys).
    SharedKey,
    /// `CardImportSessionKey` with the RSA key-exchange key of `container`.
    SessionKey { container: u8 },
}

impl Establishment {
    fn from_options(options: &Options) -> Result<Self, String> {
        let container = options.get("--wrap-container");
        match (options.get("--via").unwrap_or("shared-key"), container) {
            ("shared-key", None) => Ok(Establishment::SharedKey),
            ("shared-key", Some(_)) => Err("--wrap-container goes with --via session-key".into()),
            ("session-key", container) => Ok(Establishment::SessionKey {
                container: container
                    .unwrap_or("1")
                    .parse::<u8>()
                    .map_err(|_| "--wrap-container: a number from 0 to 7")?,
            }),
            (other, _) => Err(format!("--via {other:?}: shared-key or session-key")),
        }
    }
}

/// Both contexts, what the card offers, the key establishment (`via`), the key properties.
fn establish(
    keys: &StaticKeys,
    reader: &str,
    wait: Duration,
    via: Establishment,
) -> Result<Injection, String> {
    println!(
        "secure key injection via {}: server (no-card mode) and client (at the reader)",
        match via {
            Establishment::SharedKey => "the SCP03 shared key",
            Establishment::SessionKey { .. } => "an RSA-wrapped session key",
        }
    );
    let mut server = call(
        "server",
        "CardAcquireContext(dwFlags = CARD_SECURE_KEY_INJECTION_NO_CARD_MODE)",
        CardContext::acquire(
            CardData {
                version: 7,
                atr: Vec::new(),
                card_name: String::new(),
                transport: None,
                vendor: VendorConfig::new(Some(keys.clone())),
            },
            CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
        ),
    )?;
    let mut client = card_context(connect(reader, wait)?, None)?;

    let support = call(
        "client",
        "CardGetProperty(CP_KEY_IMPORT_SUPPORT)",
        client.get_property(CP_KEY_IMPORT_SUPPORT, 0),
    )?;
    let needed = match via {
        Establishment::SharedKey => CARD_KEY_IMPORT_SHARED_SYMMETRIC,
        Establishment::SessionKey { .. } => CARD_KEY_IMPORT_RSA_KEYEST,
    };
    check(
        match via {
            Establishment::SharedKey => "the card takes CARD_KEY_IMPORT_SHARED_SYMMETRIC",
            Establishment::SessionKey { .. } => "the card takes CARD_KEY_IMPORT_RSA_KEYEST",
        },
        parse_dword(&support).is_ok_and(|bits| bits & needed != 0),
    )?;
    let algorithms = call(
        "client",
        "CardGetProperty(CP_ENUM_ALGORITHMS, CARD_CIPHER_OPERATION)",
        client.get_property(CP_ENUM_ALGORITHMS, CARD_CIPHER_OPERATION),
    )?;
    check(
        "the card lists AES",
        parse_wide_multi_string(&algorithms)
            .is_ok_and(|names| names.iter().any(|name| name == CARD_AES_ALGORITHM)),
    )?;
    let modes = call(
        "client",
        "CardGetProperty(CP_CHAINING_MODES)",
        client.get_property(CP_CHAINING_MODES, 0),
    )?;
    check(
        "the card chains with CBC",
        parse_wide_multi_string(&modes)
            .is_ok_and(|names| names.iter().any(|name| name == CARD_CHAIN_MODE_CBC)),
    )?;
    let block = call(
        "server",
        "CardGetAlgorithmProperty(AES, CKP_BLOCK_LENGTH)",
        server.get_algorithm_property(CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, 0),
    )?;
    check("AES blocks are 16 bytes", parse_dword(&block) == Ok(16))?;

    let (server_key, client_key) = match via {
        Establishment::SharedKey => shared_key(&mut server, &mut client)?,
        Establishment::SessionKey { container } => {
            session_key(&mut server, &mut client, container)?
        }
    };

    for (who, context, key) in [
        ("server", &mut server, server_key),
        ("client", &mut client, client_key),
    ] {
        call(
            who,
            "CardSetKeyProperty(CKP_CHAINING_MODE = ChainingModeCBC)",
            context.set_key_property(key, CKP_CHAINING_MODE, &wide_string(CARD_CHAIN_MODE_CBC), 0),
        )?;
        let mode = call(
            who,
            "CardGetKeyProperty(CKP_CHAINING_MODE)",
            context.get_key_property(key, CKP_CHAINING_MODE, 0),
        )?;
        check(
            "the key chains with CBC",
            parse_wide_string(&mode).is_ok_and(|mode| mode == CARD_CHAIN_MODE_CBC),
        )?;
    }
    Ok(Injection {
        server,
        server_key,
        client,
        client_key,
    })
}

impl Injection {
    /// `MDEncryptData` on the server, the blobs relayed, `CardProcessEncryptedData` on the
    /// client.
    fn inject(&mut self, function: &str, payload: &[u8]) -> Result<(), String> {
        let blobs = call(
            "server",
            &format!("MDEncryptData({function:?})"),
            self.server
                .md_encrypt_data(self.server_key, function, payload, 0),
        )?;
        println!(
            "  {:<8} server -> client: {} CARD_ENCRYPTED_DATA blob(s), {} bytes",
            "[relay]",
            blobs.len(),
            blobs.iter().map(Vec::len).sum::<usize>()
        );
        call(
            "client",
            &format!("CardProcessEncryptedData({function:?})"),
            self.client
                .process_encrypted_data(self.client_key, function, &blobs, 0),
        )?;
        Ok(())
    }

    /// `CardDestroyKey` on both sides, `CardDeleteContext`.
    fn finish(mut self) -> Result<(), String> {
        call(
            "server",
            "CardDestroyKey",
            self.server.destroy_key(self.server_key),
        )?;
        call(
            "client",
            "CardDestroyKey",
            self.client.destroy_key(self.client_key),
        )?;
        self.server.delete();
        self.client.delete();
        println!("  {:<8} CardDeleteContext (both)", "");
        Ok(())
    }
}

fn pin_role(text: &str) -> Result<PinId, String> {
    match text {
        "user" => Ok(PinId::User),
        "admin" => Ok(PinId::Admin),
        other => Err(format!("--pin-role {other:?}: user or admin")),
    }
}

fn role_name(pin: PinId) -> &'static str {
    match pin {
        PinId::User => "ROLE_USER",
        PinId::Admin => "ROLE_ADMIN",
    }
}

/// `keyward card inject-pin`.
fn inject_pin(args: &[String]) -> Result<(), String> {
    let options = Options::parse(
        args,
        &[
            "--keys",
            "--new-pin",
            "--current-pin",
            "--admin-pin",
            "--reader",
            "--wait",
            "--via",
            "--wrap-container",
        ],
        &[],
    )?;
    options.no_positional()?;
    let via = Establishment::from_options(&options)?;
    let keys = read_keys(options.required("--keys")?)?;
    let new_pin = SecretVec::from_slice(options.required("--new-pin")?.as_bytes());
    let reader = options.get("--reader").unwrap_or(DEFAULT_READER);
    let wait = options.wait()?;
    let (change, old_user_pin) = match (options.get("--current-pin"), options.get("--admin-pin")) {
        (Some(current), None) => (
            CardChangeAuthenticator {
                flags: PIN_CHANGE_FLAG_CHANGEPIN,
                authenticating_pin: PinId::User,
                authenticating_pin_data: current.as_bytes().to_vec(),
                target_pin: PinId::User,
                target_data: new_pin.expose().to_vec(),
                retry_count: 0,
            },
            Some(SecretVec::from_slice(current.as_bytes())),
        ),
        (None, Some(admin)) => (
            CardChangeAuthenticator {
                flags: PIN_CHANGE_FLAG_UNBLOCK,
                authenticating_pin: PinId::Admin,
                authenticating_pin_data: admin.as_bytes().to_vec(),
                target_pin: PinId::User,
                target_data: new_pin.expose().to_vec(),
                retry_count: 0,
            },
            None,
        ),
        _ => return Err("give exactly one of --current-pin and --admin-pin".into()),
    };

    let mut injection = establish(&keys, reader, wait, via)?;
    injection.inject(CSF_CHANGE_AUTHENTICATOR, &change.to_bytes())?;
    drop(change);
    injection.finish()?;

    println!("check: the injected PIN authenticates (a new connection, the minidriver)");
    let mut user = card_context(connect(reader, wait)?, Some(keys))?;
    if old_user_pin
        .as_ref()
        .is_some_and(|old| old.expose() != new_pin.expose())
    {
        if let Some(old) = &old_user_pin {
            call_failing(
                "client",
                "CardAuthenticateEx(ROLE_USER, the old PIN)",
                user.authenticate_ex(PinId::User, 0, old.expose()),
                keyward_card::error::SCARD_W_WRONG_CHV,
            )?;
        }
    }
    call(
        "client",
        "CardAuthenticateEx(ROLE_USER, the injected PIN)",
        user.authenticate_ex(PinId::User, 0, new_pin.expose()),
    )?;
    user.delete();
    println!("PIN injected: the new user PIN authenticates");
    Ok(())
}

/// The public key of a PKCS#8 key pair, as the card reports it, with the key's size in
/// bits and its default cardmod key spec.
fn expected_public_key(pkcs8: &[u8]) -> Result<(PublicKey, u32, u8), String> {
    let key = PrivateKey::from_pkcs8(pkcs8).map_err(|err| {
        format!(
            "--key: {err} (a PKCS#8 PrivateKeyInfo in DER is needed; convert with \
             openssl pkcs8 -topk8 -nocrypt -outform DER)"
        )
    })?;
    match key {
        PrivateKey::Rsa(rsa) => {
            let public = rsa.public_key();
            let bits = u32::try_from(rsa.bits()).map_err(|_| "--key: RSA size")?;
            Ok((
                PublicKey::Rsa {
                    modulus: public.modulus().to_vec(),
                    exponent: public.exponent().to_vec(),
                },
                bits,
                AT_SIGNATURE,
            ))
        }
        PrivateKey::Ecdsa(ec) if ec.curve() == Curve::P256 => Ok((
            PublicKey::EcP256 {
                point: ec.public_key().to_vec(),
            },
            256,
            AT_ECDSA_P256,
        )),
        PrivateKey::Ecdsa(_) => Err("--key: the card takes EC keys on P-256 only".into()),
    }
}

fn read_pkcs8(path: &Path) -> Result<SecretVec, String> {
    let key = fs::read(path)
        .map(SecretVec::new)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    if key.expose().starts_with(b"-----BEGIN") {
        return Err(format!(
            "{}: PEM; give PKCS#8 DER (openssl pkcs8 -topk8 -nocrypt -outform DER)",
            path.display()
        ));
    }
    Ok(key)
}

/// `keyward card inject-keypair`.
fn inject_keypair(args: &[String]) -> Result<(), String> {
    let options = Options::parse(
        args,
        &[
            "--keys",
            "--key",
            "--pin",
            "--pin-role",
            "--container",
            "--key-spec",
            "--reader",
            "--wait",
            "--via",
            "--wrap-container",
        ],
        &[],
    )?;
    options.no_positional()?;
    let via = Establishment::from_options(&options)?;
    let keys = read_keys(options.required("--keys")?)?;
    let pkcs8 = read_pkcs8(Path::new(options.required("--key")?))?;
    let pin = SecretVec::from_slice(options.required("--pin")?.as_bytes());
    let role = pin_role(options.get("--pin-role").unwrap_or("user"))?;
    let container = options
        .get("--container")
        .unwrap_or("0")
        .parse::<u8>()
        .map_err(|_| "--container: a number from 0 to 7")?;
    let reader = options.get("--reader").unwrap_or(DEFAULT_READER);
    let wait = options.wait()?;
    let (expected, bits, default_spec) = expected_public_key(pkcs8.expose())?;
    let key_spec = match (options.get("--key-spec"), &expected) {
        (None, _) => default_spec,
        (Some("signature"), PublicKey::Rsa { .. }) => AT_SIGNATURE,
        (Some("exchange"), PublicKey::Rsa { .. }) => AT_KEYEXCHANGE,
        (Some(other), _) => {
            return Err(format!(
                "--key-spec {other:?}: signature or exchange, for RSA keys"
            ))
        }
    };

    let import = CardImportKeyPair {
        container,
        pin: role,
        key_spec: u32::from(key_spec),
        key_size: bits,
        key: pkcs8.expose().to_vec(),
    };
    let mut injection = establish(&keys, reader, wait, via)?;
    injection.inject(CSF_IMPORT_KEYPAIR, &import.to_bytes())?;
    drop(import);
    injection.finish()?;

    println!("check: the injected key pair signs (a new connection)");
    let mut user = card_context(connect(reader, wait)?, Some(keys.clone()))?;
    call(
        "client",
        &format!("CardAuthenticateEx({}, the guarding PIN)", role_name(role)),
        user.authenticate_ex(role, 0, pin.expose()),
    )?;
    user.delete();
    let mut channel = call(
        "check",
        "SCP03 secure channel (security level 33)",
        SecureChannel::open(
            connect(reader, wait)?,
            &DEFAULT_AID,
            &keys,
            SecurityLevel::Full,
        ),
    )?;
    call(
        "check",
        &format!("VERIFY PIN ({})", role_name(role)),
        channel.verify_pin(role, pin.expose()),
    )?;
    let public = call(
        "check",
        &format!("READ PUBLIC KEY (container {container})"),
        channel.read_public_key(container),
    )?;
    check(
        "the card holds the injected public key, key spec and PIN",
        public.key == expected && public.key_spec == key_spec && public.pin == role,
    )?;
    let mut challenge = [0u8; 32];
    fill_random(&mut challenge).map_err(|err| err.to_string())?;
    let digest = hash(HashAlgorithm::Sha256, &challenge);
    let signature = call(
        "check",
        &format!("SIGN (container {container}, SHA-256 of a random challenge)"),
        channel.sign(container, SignatureHash::Sha256, digest.as_ref()),
    )?;
    let verified = match &public.key {
        PublicKey::Rsa { modulus, exponent } => RsaPublicKey::from_components(modulus, exponent)
            .and_then(|key| key.verify_pkcs1(HashAlgorithm::Sha256, digest.as_ref(), &signature)),
        PublicKey::EcP256 { point } => ecdsa_verify_digest(
            Curve::P256,
            point,
            HashAlgorithm::Sha256,
            digest.as_ref(),
            &signature,
        ),
    };
    check(
        "the signature verifies with the public key read back",
        verified.is_ok(),
    )?;
    println!(
        "key pair injected: container {container} signs with the injected {} key",
        match public.key {
            PublicKey::Rsa { .. } => "RSA",
            PublicKey::EcP256 { .. } => "EC P-256",
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_parse_strictly() {
        let options = Options::parse(
            &args("--state s --reconnect extra"),
            &["--state"],
            &["--reconnect"],
        )
        .unwrap();
        assert_eq!(options.get("--state"), Some("s"));
        assert!(options.has("--reconnect"));
        assert!(options.no_positional().is_err());
        assert!(Options::parse(&args("--state"), &["--state"], &[]).is_err());
        assert!(Options::parse(&args("--state a --state b"), &["--state"], &[]).is_err());
        assert!(Options::parse(&args("--bogus"), &["--state"], &[]).is_err());
        let wait = Options::parse(&args("--wait 3"), &["--wait"], &[]).unwrap();
        assert_eq!(wait.wait(), Ok(Duration::from_secs(3)));
        let wait = Options::parse(&args("--wait soon"), &["--wait"], &[]).unwrap();
        assert!(wait.wait().is_err());
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
        assert!(run(&args("bogus")).is_err());
        assert!(run(&[]).is_err());
    }
}

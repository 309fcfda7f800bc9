//! `keyward card inject-pin` / `inject-keypair` / `check-pin` / `check-keypair`: the secure key
//! injection of cardmod.h v7 (minidriver spec §4.5).
//!
//! The **server half** runs the minidriver in no-card mode with the card's static SCP03 keys;
//! the **client half** runs it at the reader, without them. They come to share a key, then the
//! server encrypts a secure function (`MDEncryptData`) that the client hands to the card
//! (`CardProcessEncryptedData`). The halves run in two threads of one process (the default), or
//! as two processes (`--role server` and `--role client`) relaying through a directory (see
//! [`super::relay`]). The messages and their encodings are keyward-card's
//! ([`keyward_card::minidriver::relay`]): `hello`, the three shared-key or session-key
//! messages, `encrypted-data` and `result`. Every minidriver call is printed with its Windows
//! status; no PIN or key is ever printed.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use keyward_card::card::DEFAULT_AID;
use keyward_card::channel::SecureChannel;
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
use keyward_card::minidriver::relay::{
    self as message, decode_public_key, decode_result, encode_public_key, encode_result,
    EncryptedData, Establishment,
};
use keyward_card::minidriver::secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair, CSF_AUTHENTICATE,
    CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR, PIN_CHANGE_FLAG_CHANGEPIN,
    PIN_CHANGE_FLAG_UNBLOCK,
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

use super::relay::{Half, Relay};
use super::{
    call, call_failing, check, describe, read_keys, required, seconds, DEFAULT_WAIT_SECONDS,
};

const DEFAULT_READER: &str = "Virtual PCD 00 00";
const CARD_NAME: &str = "keyward virtual card";

// ---- options --------------------------------------------------------------------------------

/// Which halves this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Role {
    /// Both, in two threads of this process.
    Both,
    /// The server half (no-card mode, with the static keys), relaying through --relay.
    Server,
    /// The client half (at the reader), relaying through --relay.
    Client,
}

/// How the server and the card come to share a key (`--via`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Via {
    /// SCP03 with the card's static keys (`CardGetSharedKeyHandle`).
    SharedKey,
    /// An AES session key wrapped with a card container's RSA key (`CardImportSessionKey`).
    SessionKey,
}

/// The PIN that guards an injected key pair (`--pin-role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum PinRole {
    /// `ROLE_USER`.
    User,
    /// `ROLE_ADMIN`.
    Admin,
}

/// The key spec of an RSA key pair (`--key-spec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum KeySpec {
    /// `AT_SIGNATURE`.
    Signature,
    /// `AT_KEYEXCHANGE`.
    Exchange,
}

/// The reader and how long to wait for it.
#[derive(Debug, clap::Args)]
pub struct ReaderArgs {
    /// The PC/SC reader whose name contains NAME (client half).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// How long to wait for pcscd, the reader, the card and the other half.
    #[arg(long, value_name = "SECONDS", default_value = DEFAULT_WAIT_SECONDS, value_parser = seconds)]
    wait: Duration,
}

impl ReaderArgs {
    /// The reader name to look for.
    fn name(&self) -> &str {
        self.reader.as_deref().unwrap_or(DEFAULT_READER)
    }
}

/// The options every injection command takes, besides its payload's.
#[derive(Debug, clap::Args)]
pub struct InjectionArgs {
    /// Which halves this process runs.
    #[arg(long, value_enum, default_value_t = Role::Both)]
    role: Role,
    /// The directory the two halves relay through (with --role server or client).
    #[arg(long, value_name = "DIR")]
    relay: Option<PathBuf>,
    /// How the server and the card share a key (default shared-key).
    #[arg(long, value_enum)]
    via: Option<Via>,
    /// The card container whose RSA key wraps the session key (--via session-key; default 1).
    #[arg(long, value_name = "N")]
    wrap_container: Option<u8>,
    /// The reader.
    #[command(flatten)]
    reader: ReaderArgs,
}

impl InjectionArgs {
    /// Checks that each half gets only its own options; `payload` names the server's payload
    /// options and whether each was given.
    fn check(&self, payload: &[(&str, bool)]) -> Result<Role, String> {
        match (self.role, &self.relay) {
            (Role::Both, Some(_)) => {
                return Err("--relay goes with --role server or --role client".into())
            }
            (Role::Server | Role::Client, None) => {
                return Err("--role server and --role client need --relay DIR".into())
            }
            _ => {}
        }
        match self.role {
            Role::Both => {}
            Role::Server => {
                if self.reader.reader.is_some() {
                    return Err("--reader belongs to the client half (--role client)".into());
                }
            }
            Role::Client => {
                let server_only = [
                    ("--via", self.via.is_some()),
                    ("--wrap-container", self.wrap_container.is_some()),
                ];
                for (name, given) in payload.iter().chain(&server_only) {
                    if *given {
                        return Err(format!("{name} belongs to the server half (--role server)"));
                    }
                }
            }
        }
        Ok(self.role)
    }
}

fn role_name(pin: PinId) -> &'static str {
    match pin {
        PinId::User => "ROLE_USER",
        PinId::Admin => "ROLE_ADMIN",
    }
}

// ---- the card -------------------------------------------------------------------------------

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

// ---- the key establishment ------------------------------------------------------------------

/// How the server and the card share a key, from `--via` and `--wrap-container`.
fn establishment(options: &InjectionArgs) -> Result<Establishment, String> {
    match (
        options.via.unwrap_or(Via::SharedKey),
        options.wrap_container,
    ) {
        (Via::SharedKey, None) => Ok(Establishment::SharedKey),
        (Via::SharedKey, Some(_)) => Err("--wrap-container goes with --via session-key".into()),
        (Via::SessionKey, container) => Ok(Establishment::SessionKey {
            container: container.unwrap_or(1),
        }),
    }
}

fn describe_establishment(via: Establishment) -> &'static str {
    match via {
        Establishment::SharedKey => "the SCP03 shared key",
        Establishment::SessionKey { .. } => "an RSA-wrapped session key",
    }
}

/// A relayed message the other half sent, decoded; a malformed one ends the injection.
fn decoded<T>(decoded: keyward_card::Result<T>) -> Result<T, String> {
    decoded.map_err(|err| format!("relay: {err}"))
}

/// The server's `CardGetSharedKeyHandle` calls.
fn server_shared_key(server: &mut CardContext, relay: &mut Relay) -> Result<CardKeyHandle, String> {
    let step = call(
        "server",
        "CardGetSharedKeyHandle(pbInput = NULL)",
        server.get_shared_key_handle(&[]),
    )?;
    relay.send(
        message::HOST_CHALLENGE,
        &step.output.ok_or("the server made no HOST CHALLENGE")?,
    )?;
    let card_challenge = relay.receive(message::CARD_CHALLENGE)?;
    let step = call(
        "server",
        "CardGetSharedKeyHandle(CARD CHALLENGE) [card cryptogram checked]",
        server.get_shared_key_handle(&card_challenge),
    )?;
    let key = step.key.ok_or("the server has no key handle")?;
    relay.send(
        message::EXTERNAL_AUTHENTICATE,
        &step
            .output
            .ok_or("the server made no EXTERNAL AUTHENTICATE")?,
    )?;
    Ok(key)
}

/// The client's `CardGetSharedKeyHandle` calls.
fn client_shared_key(client: &mut CardContext, relay: &mut Relay) -> Result<CardKeyHandle, String> {
    let host_challenge = relay.receive(message::HOST_CHALLENGE)?;
    let step = call(
        "client",
        "CardGetSharedKeyHandle(HOST CHALLENGE) [INITIALIZE UPDATE]",
        client.get_shared_key_handle(&host_challenge),
    )?;
    relay.send(
        message::CARD_CHALLENGE,
        &step.output.ok_or("the client made no CARD CHALLENGE")?,
    )?;
    let external_authenticate = relay.receive(message::EXTERNAL_AUTHENTICATE)?;
    let step = call(
        "client",
        "CardGetSharedKeyHandle(EXTERNAL AUTHENTICATE)",
        client.get_shared_key_handle(&external_authenticate),
    )?;
    step.key
        .ok_or_else(|| "the client has no key handle".into())
}

/// The server wraps a fresh AES key with the container's public key and loads it
/// (`MDImportSessionKey`); the card's nonce becomes the key's IV.
fn server_session_key(
    server: &mut CardContext,
    relay: &mut Relay,
) -> Result<CardKeyHandle, String> {
    let public = decoded(decode_public_key(
        &relay.receive(message::CONTAINER_PUBLIC_KEY)?,
    ))?;
    let mut session_key = SecretVec::zeroed(16);
    fill_random(session_key.expose_mut()).map_err(|err| err.to_string())?;
    let wrapped = call(
        "server",
        "BCryptEncrypt(AES-128 session key, RSA-OAEP SHA-256)",
        wrap_session_key(&public, OaepHash::Sha256, session_key.expose()),
    )?;
    let blob = key_data_blob(session_key.expose()).map_err(|err| err.to_string())?;
    let key = call(
        "server",
        "MDImportSessionKey(BCRYPT_KEY_DATA_BLOB, AES)",
        server.md_import_session_key(BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM, blob.expose()),
    )?;
    relay.send(message::WRAPPED_SESSION_KEY, &wrapped)?;
    let iv = relay.receive(message::IV)?;
    call(
        "server",
        "CardSetKeyProperty(CKP_INITIALIZATION_VECTOR)",
        server.set_key_property(key, CKP_INITIALIZATION_VECTOR, &iv, 0),
    )?;
    Ok(key)
}

/// The client reads the container's public key, hands the wrapped key to the card
/// (`CardImportSessionKey`) and returns the card's nonce (the key's IV).
fn client_session_key(
    client: &mut CardContext,
    relay: &mut Relay,
    container: u8,
) -> Result<CardKeyHandle, String> {
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
    relay.send(
        message::CONTAINER_PUBLIC_KEY,
        &encode_public_key(&public.key),
    )?;
    let wrapped = relay.receive(message::WRAPPED_SESSION_KEY)?;
    let key = call(
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
        client.get_key_property(key, CKP_INITIALIZATION_VECTOR, 0),
    )?;
    relay.send(message::IV, &iv)?;
    call(
        "client",
        "CardSetKeyProperty(CKP_INITIALIZATION_VECTOR)",
        client.set_key_property(key, CKP_INITIALIZATION_VECTOR, &iv, 0),
    )?;
    Ok(key)
}

/// Sets CBC chaining on a shared key and reads it back.
fn chain_with_cbc(who: &str, context: &mut CardContext, key: CardKeyHandle) -> Result<(), String> {
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
    )
}

// ---- the two halves -------------------------------------------------------------------------

/// What the server injects: a secure function and its input structure, optionally after a
/// `CARD_AUTHENTICATE` of the admin PIN in the same session (its blob goes first).
struct Payload {
    function: &'static str,
    input: SecretVec,
    admin: Option<SecretVec>,
}

/// The server half: no-card mode, the key establishment, `MDEncryptData`.
fn server_half(
    relay: &mut Relay,
    keys: &StaticKeys,
    via: Establishment,
    payload: &Payload,
) -> Result<(), String> {
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
    relay.send(message::HELLO, &via.to_message())?;
    let block = call(
        "server",
        "CardGetAlgorithmProperty(AES, CKP_BLOCK_LENGTH)",
        server.get_algorithm_property(CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, 0),
    )?;
    check("AES blocks are 16 bytes", parse_dword(&block) == Ok(16))?;
    let key = match via {
        Establishment::SharedKey => server_shared_key(&mut server, relay)?,
        Establishment::SessionKey { .. } => server_session_key(&mut server, relay)?,
    };
    chain_with_cbc("server", &mut server, key)?;

    let mut blobs = match &payload.admin {
        Some(admin) => call(
            "server",
            "MDEncryptData(\"Authenticate\", ROLE_ADMIN)",
            server.md_encrypt_data(key, CSF_AUTHENTICATE, admin.expose(), 0),
        )?,
        None => Vec::new(),
    };
    blobs.extend(call(
        "server",
        &format!("MDEncryptData({:?})", payload.function),
        server.md_encrypt_data(key, payload.function, payload.input.expose(), 0),
    )?);
    let encrypted = EncryptedData {
        function: payload.function.to_string(),
        blobs,
    };
    relay.send(message::ENCRYPTED_DATA, &encrypted.to_message())?;
    let status = decoded(decode_result(&relay.receive(message::RESULT)?))?;
    call("server", "CardDestroyKey", server.destroy_key(key))?;
    server.delete();
    println!("  {:<8} CardDeleteContext", "[server]");
    if status != 0 {
        return Err(format!(
            "the card refused the secure function: {}",
            describe(status)
        ));
    }
    Ok(())
}

/// The client half: the minidriver at the reader, the key establishment,
/// `CardProcessEncryptedData`.
fn client_half(relay: &mut Relay, reader: &str, wait: Duration) -> Result<(), String> {
    let via = decoded(Establishment::from_message(&relay.receive(message::HELLO)?))?;
    println!(
        "  {:<8} the key is shared through {}",
        "[client]",
        describe_establishment(via)
    );
    let mut client = card_context(connect(reader, wait)?, None)?;
    let support = call(
        "client",
        "CardGetProperty(CP_KEY_IMPORT_SUPPORT)",
        client.get_property(CP_KEY_IMPORT_SUPPORT, 0),
    )?;
    let (needed, what) = match via {
        Establishment::SharedKey => (
            CARD_KEY_IMPORT_SHARED_SYMMETRIC,
            "the card takes CARD_KEY_IMPORT_SHARED_SYMMETRIC",
        ),
        Establishment::SessionKey { .. } => (
            CARD_KEY_IMPORT_RSA_KEYEST,
            "the card takes CARD_KEY_IMPORT_RSA_KEYEST",
        ),
    };
    check(
        what,
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
    let key = match via {
        Establishment::SharedKey => client_shared_key(&mut client, relay)?,
        Establishment::SessionKey { container } => {
            client_session_key(&mut client, relay, container)?
        }
    };
    chain_with_cbc("client", &mut client, key)?;

    let EncryptedData { function, blobs } = decoded(EncryptedData::from_message(
        &relay.receive(message::ENCRYPTED_DATA)?,
    ))?;
    let processed = client.process_encrypted_data(key, &function, &blobs, 0);
    let status = processed.as_ref().map_or_else(|err| err.status(), |_| 0);
    let processed = call(
        "client",
        &format!("CardProcessEncryptedData({function:?})"),
        processed,
    );
    relay.send(message::RESULT, &encode_result(status))?;
    processed?;
    call("client", "CardDestroyKey", client.destroy_key(key))?;
    client.delete();
    println!("  {:<8} CardDeleteContext", "[client]");
    Ok(())
}

/// Runs one half; on failure, tells the other half so that it stops waiting.
fn run_half(
    relay: &mut Relay,
    half: impl FnOnce(&mut Relay) -> Result<(), String>,
) -> Result<(), String> {
    half(relay).inspect_err(|err| relay.abort(err))
}

/// Runs the halves this process has: both in two threads, or one through a relay directory.
fn inject(
    role: Role,
    options: &InjectionArgs,
    server: Option<(&StaticKeys, Establishment, &Payload)>,
) -> Result<(), String> {
    let wait = options.reader.wait;
    let reader = options.reader.name();
    match (role, server) {
        (Role::Both, Some((keys, via, payload))) => {
            println!(
                "secure key injection via {}: server (no-card mode) and client (at the reader)",
                describe_establishment(via)
            );
            let (mut server_end, mut client_end) = Relay::in_process(wait);
            let (server, client) = thread::scope(|scope| {
                let server = scope.spawn(|| {
                    run_half(&mut server_end, |relay| {
                        server_half(relay, keys, via, payload)
                    })
                });
                let client = run_half(&mut client_end, |relay| client_half(relay, reader, wait));
                (server.join(), client)
            });
            let server = server.map_err(|_| "the server half panicked".to_string())?;
            // The client's error names the call that failed; the server's follows from it.
            client.and(server)
        }
        (Role::Server, Some((keys, via, payload))) => {
            println!(
                "secure key injection via {}: the server half (no-card mode)",
                describe_establishment(via)
            );
            let mut relay = relay_end(Half::Server, options, wait)?;
            run_half(&mut relay, |relay| server_half(relay, keys, via, payload))
        }
        (Role::Client, None) => {
            println!("secure key injection: the client half (at the reader)");
            let mut relay = relay_end(Half::Client, options, wait)?;
            run_half(&mut relay, |relay| client_half(relay, reader, wait))?;
            println!("the card took the injected secure function");
            Ok(())
        }
        _ => unreachable!("the server's payload exists exactly when this process runs it"),
    }
}

fn relay_end(half: Half, options: &InjectionArgs, wait: Duration) -> Result<Relay, String> {
    Relay::directory(half, required(&options.relay, "--relay")?, wait)
}

// ---- inject-pin, check-pin ------------------------------------------------------------------

/// `keyward card inject-pin`: its arguments.
#[derive(Debug, clap::Args)]
pub struct InjectPinArgs {
    /// Where the halves run and how the key is shared.
    #[command(flatten)]
    injection: InjectionArgs,
    /// The card's SCP03 keys file (server half).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// The new user PIN.
    #[arg(long, value_name = "PIN")]
    new_pin: Option<String>,
    /// The current user PIN (a PIN change).
    #[arg(long, value_name = "PIN")]
    current_pin: Option<String>,
    /// The admin PIN (an unblock).
    #[arg(long, value_name = "PIN")]
    admin_pin: Option<String>,
}

/// `keyward card inject-pin`.
pub(super) fn inject_pin(args: InjectPinArgs) -> Result<(), String> {
    let options = &args.injection;
    let role = options.check(&[
        ("--keys", args.keys.is_some()),
        ("--new-pin", args.new_pin.is_some()),
        ("--current-pin", args.current_pin.is_some()),
        ("--admin-pin", args.admin_pin.is_some()),
    ])?;
    if role == Role::Client {
        return inject(role, options, None);
    }
    let via = establishment(options)?;
    let keys = read_keys(required(&args.keys, "--keys")?)?;
    let new_pin = SecretVec::from_slice(required(&args.new_pin, "--new-pin")?.as_bytes());
    let (change, old_user_pin) = match (&args.current_pin, &args.admin_pin) {
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
    let payload = Payload {
        function: CSF_CHANGE_AUTHENTICATOR,
        input: SecretVec::new(change.to_bytes()),
        admin: None,
    };
    drop(change);
    inject(role, options, Some((&keys, via, &payload)))?;
    if role == Role::Server {
        println!("PIN injected: the card took it (check it with `keyward card check-pin`)");
        return Ok(());
    }
    authenticates(&keys, &options.reader, &new_pin, old_user_pin.as_ref())?;
    println!("PIN injected: the new user PIN authenticates");
    Ok(())
}

/// `keyward card check-pin`: its arguments.
#[derive(Debug, clap::Args)]
pub struct CheckPinArgs {
    /// The card's SCP03 keys file.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// The user PIN that must authenticate.
    #[arg(long, value_name = "PIN")]
    pin: String,
    /// A former user PIN that must no longer authenticate.
    #[arg(long, value_name = "PIN")]
    old_pin: Option<String>,
    /// The reader.
    #[command(flatten)]
    reader: ReaderArgs,
}

/// `keyward card check-pin`: the user PIN authenticates (and an old one no longer does).
pub(super) fn check_pin(args: CheckPinArgs) -> Result<(), String> {
    let keys = read_keys(&args.keys)?;
    let pin = SecretVec::from_slice(args.pin.as_bytes());
    let old = args
        .old_pin
        .as_ref()
        .map(|old| SecretVec::from_slice(old.as_bytes()));
    authenticates(&keys, &args.reader, &pin, old.as_ref())?;
    println!("PIN checked: the user PIN authenticates");
    Ok(())
}

fn authenticates(
    keys: &StaticKeys,
    reader: &ReaderArgs,
    pin: &SecretVec,
    old: Option<&SecretVec>,
) -> Result<(), String> {
    println!("check: the user PIN authenticates (a new connection, the minidriver)");
    let mut user = card_context(connect(reader.name(), reader.wait)?, Some(keys.clone()))?;
    if let Some(old) = old.filter(|old| old.expose() != pin.expose()) {
        call_failing(
            "client",
            "CardAuthenticateEx(ROLE_USER, the old PIN)",
            user.authenticate_ex(PinId::User, 0, old.expose()),
            keyward_card::error::SCARD_W_WRONG_CHV,
        )?;
    }
    call(
        "client",
        "CardAuthenticateEx(ROLE_USER, the injected PIN)",
        user.authenticate_ex(PinId::User, 0, pin.expose()),
    )?;
    user.delete();
    Ok(())
}

// ---- inject-keypair, check-keypair ----------------------------------------------------------

/// The key pair an injection puts into a container, as the card reports it after.
struct ExpectedKey {
    public: PublicKey,
    bits: u32,
    key_spec: u8,
    container: u8,
    pin: PinId,
}

/// The options that describe the key pair.
#[derive(Debug, clap::Args)]
pub struct KeyPairArgs {
    /// The key pair: RSA-2048 or EC P-256, PKCS#8 DER.
    #[arg(long, value_name = "PKCS8.der")]
    key: Option<PathBuf>,
    /// The PIN of --pin-role.
    #[arg(long, value_name = "PIN")]
    pin: Option<String>,
    /// The PIN that guards the key (default user).
    #[arg(long, value_enum)]
    pin_role: Option<PinRole>,
    /// The card container (default 0).
    #[arg(long, value_name = "N")]
    container: Option<u8>,
    /// The key spec of an RSA key (default signature).
    #[arg(long, value_enum)]
    key_spec: Option<KeySpec>,
}

impl KeyPairArgs {
    /// Each option with whether it was given.
    fn given(&self) -> [(&'static str, bool); 5] {
        [
            ("--key", self.key.is_some()),
            ("--pin", self.pin.is_some()),
            ("--pin-role", self.pin_role.is_some()),
            ("--container", self.container.is_some()),
            ("--key-spec", self.key_spec.is_some()),
        ]
    }
}

fn expected_key(options: &KeyPairArgs, pkcs8: &[u8]) -> Result<ExpectedKey, String> {
    let key = PrivateKey::from_pkcs8(pkcs8).map_err(|err| {
        format!(
            "--key: {err} (a PKCS#8 PrivateKeyInfo in DER is needed; convert with \
             openssl pkcs8 -topk8 -nocrypt -outform DER)"
        )
    })?;
    let (public, bits, default_spec) = match key {
        PrivateKey::Rsa(rsa) => {
            let public = rsa.public_key();
            let bits = u32::try_from(rsa.bits()).map_err(|_| "--key: RSA size")?;
            (
                PublicKey::Rsa {
                    modulus: public.modulus().to_vec(),
                    exponent: public.exponent().to_vec(),
                },
                bits,
                AT_SIGNATURE,
            )
        }
        PrivateKey::Ecdsa(ec) if ec.curve() == Curve::P256 => (
            PublicKey::EcP256 {
                point: ec.public_key().to_vec(),
            },
            256,
            AT_ECDSA_P256,
        ),
        PrivateKey::Ecdsa(_) => return Err("--key: the card takes EC keys on P-256 only".into()),
    };
    let key_spec = match (options.key_spec, &public) {
        (None, _) => default_spec,
        (Some(KeySpec::Signature), PublicKey::Rsa { .. }) => AT_SIGNATURE,
        (Some(KeySpec::Exchange), PublicKey::Rsa { .. }) => AT_KEYEXCHANGE,
        (Some(_), _) => return Err("--key-spec is for RSA keys".into()),
    };
    Ok(ExpectedKey {
        public,
        bits,
        key_spec,
        container: options.container.unwrap_or(0),
        pin: match options.pin_role.unwrap_or(PinRole::User) {
            PinRole::User => PinId::User,
            PinRole::Admin => PinId::Admin,
        },
    })
}

fn read_pkcs8(path: &Path) -> Result<SecretVec, String> {
    let key = std::fs::read(path)
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

/// `keyward card inject-keypair`: its arguments.
#[derive(Debug, clap::Args)]
pub struct InjectKeypairArgs {
    /// Where the halves run and how the key is shared.
    #[command(flatten)]
    injection: InjectionArgs,
    /// The card's SCP03 keys file (server half).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// The key pair and where it goes (server half).
    #[command(flatten)]
    pair: KeyPairArgs,
    /// The admin PIN, sent inside the session before the key pair (server half; required
    /// with `--via session-key`, which authenticates nobody).
    #[arg(long, value_name = "PIN")]
    admin_pin: Option<String>,
}

/// `keyward card inject-keypair`.
pub(super) fn inject_keypair(args: InjectKeypairArgs) -> Result<(), String> {
    let options = &args.injection;
    let mut payload = vec![
        ("--keys", args.keys.is_some()),
        ("--admin-pin", args.admin_pin.is_some()),
    ];
    payload.extend(args.pair.given());
    let role = options.check(&payload)?;
    if role == Role::Client {
        return inject(role, options, None);
    }
    let via = establishment(options)?;
    let keys = read_keys(required(&args.keys, "--keys")?)?;
    let pkcs8 = read_pkcs8(required(&args.pair.key, "--key")?)?;
    let pin = SecretVec::from_slice(required(&args.pair.pin, "--pin")?.as_bytes());
    let expected = expected_key(&args.pair, pkcs8.expose())?;
    let import = CardImportKeyPair {
        container: expected.container,
        pin: expected.pin,
        key_spec: u32::from(expected.key_spec),
        key_size: expected.bits,
        key: pkcs8.expose().to_vec(),
    };
    // A session-key session authenticates nobody: the card takes a key pair through it only
    // after the admin PIN inside it.
    let admin = match (args.admin_pin.as_deref(), via) {
        (None, Establishment::SessionKey { .. }) => {
            return Err("--via session-key injects a key pair only with --admin-pin".into())
        }
        (admin, _) => admin.map(|pin| {
            SecretVec::new(
                CardAuthenticate {
                    flags: 0,
                    pin: PinId::Admin,
                    pin_data: pin.as_bytes().to_vec(),
                }
                .to_bytes(),
            )
        }),
    };
    let payload = Payload {
        function: CSF_IMPORT_KEYPAIR,
        input: SecretVec::new(import.to_bytes()),
        admin,
    };
    drop(import);
    inject(role, options, Some((&keys, via, &payload)))?;
    if role == Role::Server {
        println!(
            "key pair injected: the card took it (check it with `keyward card check-keypair`)"
        );
        return Ok(());
    }
    signs(&keys, &options.reader, &pin, &expected)
}

/// `keyward card check-keypair`: its arguments.
#[derive(Debug, clap::Args)]
pub struct CheckKeypairArgs {
    /// The card's SCP03 keys file.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// The key pair and where it should be.
    #[command(flatten)]
    pair: KeyPairArgs,
    /// The reader.
    #[command(flatten)]
    reader: ReaderArgs,
}

/// `keyward card check-keypair`: the container holds the key pair of `--key` and signs.
pub(super) fn check_keypair(args: CheckKeypairArgs) -> Result<(), String> {
    let keys = read_keys(&args.keys)?;
    let pkcs8 = read_pkcs8(required(&args.pair.key, "--key")?)?;
    let pin = SecretVec::from_slice(required(&args.pair.pin, "--pin")?.as_bytes());
    let expected = expected_key(&args.pair, pkcs8.expose())?;
    signs(&keys, &args.reader, &pin, &expected)
}

fn signs(
    keys: &StaticKeys,
    reader: &ReaderArgs,
    pin: &SecretVec,
    expected: &ExpectedKey,
) -> Result<(), String> {
    let (container, role) = (expected.container, expected.pin);
    println!("check: the injected key pair signs (a new connection)");
    let mut user = card_context(connect(reader.name(), reader.wait)?, Some(keys.clone()))?;
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
            connect(reader.name(), reader.wait)?,
            &DEFAULT_AID,
            keys,
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
        public.key == expected.public && public.key_spec == expected.key_spec && public.pin == role,
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

    #[test]
    fn roles_take_only_their_options() {
        let role = |line: &str| match crate::tests::parse(&format!("card inject-pin {line}")) {
            Ok(crate::Cli {
                command:
                    crate::Command::Card {
                        command: super::super::CardCommand::InjectPin(args),
                    },
            }) => args.injection.check(&[
                ("--keys", args.keys.is_some()),
                ("--new-pin", args.new_pin.is_some()),
            ]),
            Ok(other) => panic!("{other:?}"),
            Err(err) => Err(err.to_string()),
        };
        assert_eq!(role("--keys k --new-pin 1 --current-pin 2"), Ok(Role::Both));
        assert_eq!(role("--role client --relay d --reader r"), Ok(Role::Client));
        assert_eq!(
            role("--role=server --relay=d --keys=k --new-pin=1"),
            Ok(Role::Server)
        );
        for bad in [
            "--relay d",
            "--role server",
            "--role client --relay d --keys k",
            "--role client --relay d --via session-key",
            "--role server --relay d --reader r",
            "--role mediator --relay d",
            "--via other",
            "--wrap-container 256",
        ] {
            assert!(role(bad).is_err(), "{bad}");
        }
    }
}

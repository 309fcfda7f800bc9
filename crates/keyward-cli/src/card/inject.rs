//! `keyward card inject-pin` / `inject-keypair` / `check-pin` / `check-keypair`: the secure key
//! injection of cardmod.h v7 (minidriver spec §4.5).
//!
//! The **server half** runs the minidriver in no-card mode with the card's static SCP03 keys;
//! the **client half** runs it at the reader, without them. They come to share a key, then the
//! server encrypts a secure function (`MDEncryptData`) that the client hands to the card
//! (`CardProcessEncryptedData`). The halves run in two threads of one process (the default), or
//! as two processes (`--role server` and `--role client`) relaying through a directory (see
//! [`super::relay`]). The messages, in order:
//!
//! | # | from → to | message | content |
//! |---|---|---|---|
//! | 1 | server → client | `hello` | how the key is shared: `00` (SCP03 shared key) or `01 NN` (session key wrapped with container NN) |
//! | 2–4 | | shared key | `host-challenge` (s→c), `card-challenge` (c→s), `external-authenticate` (s→c): the `CardGetSharedKeyHandle` outputs |
//! | 2–4 | | session key | `container-public-key` (c→s), `wrapped-session-key` (s→c), `iv` (c→s, the card's nonce) |
//! | 5 | server → client | `encrypted-data` | the secure function's name and the `CARD_ENCRYPTED_DATA` blobs |
//! | 6 | client → server | `result` | the status of `CardProcessEncryptedData`, a little-endian `DWORD` |
//!
//! Fields are 4-byte big-endian lengths followed by the bytes. Every minidriver call is
//! printed with its Windows status; no PIN or key is ever printed.

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

use super::relay::{put_field, Fields, Half, Relay};
use super::{call, call_failing, check, describe, read_keys, Options};

const DEFAULT_READER: &str = "Virtual PCD 00 00";
const CARD_NAME: &str = "keyward virtual card";

// ---- options --------------------------------------------------------------------------------

/// The options every injection command takes, besides its payload's.
const INJECTION_OPTIONS: [&str; 6] = [
    "--role",
    "--relay",
    "--reader",
    "--wait",
    "--via",
    "--wrap-container",
];

/// Which halves this process runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Both,
    Server,
    Client,
}

/// Parses the options of an injection command whose payload options are `payload`.
fn injection_options(args: &[String], payload: &[&str]) -> Result<(Options, Role), String> {
    let with_value: Vec<&str> = INJECTION_OPTIONS.iter().chain(payload).copied().collect();
    let options = Options::parse(args, &with_value, &[])?;
    options.no_positional()?;
    let role = match options.get("--role").unwrap_or("both") {
        "both" => Role::Both,
        "server" => Role::Server,
        "client" => Role::Client,
        other => return Err(format!("--role {other:?}: both, server or client")),
    };
    match (role, options.get("--relay")) {
        (Role::Both, Some(_)) => {
            return Err("--relay goes with --role server or --role client".into())
        }
        (Role::Server | Role::Client, None) => {
            return Err("--role server and --role client need --relay DIR".into())
        }
        _ => {}
    }
    let misplaced = match role {
        Role::Both => None,
        Role::Server => Some((["--reader"].as_slice(), "client")),
        Role::Client => Some((payload, "server")),
    };
    if let Some((names, half)) = misplaced {
        let names = names.iter().chain(match role {
            Role::Client => ["--via", "--wrap-container"].as_slice(),
            _ => &[],
        });
        for name in names {
            if options.get(name).is_some() {
                return Err(format!("{name} belongs to the {half} half (--role {half})"));
            }
        }
    }
    Ok((options, role))
}

fn reader(options: &Options) -> &str {
    options.get("--reader").unwrap_or(DEFAULT_READER)
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

    /// The `hello` message.
    fn to_message(self) -> Vec<u8> {
        match self {
            Establishment::SharedKey => vec![0],
            Establishment::SessionKey { container } => vec![1, container],
        }
    }

    fn from_message(message: &[u8]) -> Result<Self, String> {
        match message {
            [0] => Ok(Establishment::SharedKey),
            [1, container] => Ok(Establishment::SessionKey {
                container: *container,
            }),
            _ => Err("relay: a malformed hello".into()),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Establishment::SharedKey => "the SCP03 shared key",
            Establishment::SessionKey { .. } => "an RSA-wrapped session key",
        }
    }
}

/// The server's `CardGetSharedKeyHandle` calls.
fn server_shared_key(server: &mut CardContext, relay: &mut Relay) -> Result<CardKeyHandle, String> {
    let step = call(
        "server",
        "CardGetSharedKeyHandle(pbInput = NULL)",
        server.get_shared_key_handle(&[]),
    )?;
    relay.send(
        "host-challenge",
        &step.output.ok_or("the server made no HOST CHALLENGE")?,
    )?;
    let card_challenge = relay.receive("card-challenge")?;
    let step = call(
        "server",
        "CardGetSharedKeyHandle(CARD CHALLENGE) [card cryptogram checked]",
        server.get_shared_key_handle(&card_challenge),
    )?;
    let key = step.key.ok_or("the server has no key handle")?;
    relay.send(
        "external-authenticate",
        &step
            .output
            .ok_or("the server made no EXTERNAL AUTHENTICATE")?,
    )?;
    Ok(key)
}

/// The client's `CardGetSharedKeyHandle` calls.
fn client_shared_key(client: &mut CardContext, relay: &mut Relay) -> Result<CardKeyHandle, String> {
    let host_challenge = relay.receive("host-challenge")?;
    let step = call(
        "client",
        "CardGetSharedKeyHandle(HOST CHALLENGE) [INITIALIZE UPDATE]",
        client.get_shared_key_handle(&host_challenge),
    )?;
    relay.send(
        "card-challenge",
        &step.output.ok_or("the client made no CARD CHALLENGE")?,
    )?;
    let external_authenticate = relay.receive("external-authenticate")?;
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
    let message = relay.receive("container-public-key")?;
    let public = decode_public_key(&message)?;
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
    relay.send("wrapped-session-key", &wrapped)?;
    let iv = relay.receive("iv")?;
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
    relay.send("container-public-key", &encode_public_key(&public.key))?;
    let wrapped = relay.receive("wrapped-session-key")?;
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
    relay.send("iv", &iv)?;
    call(
        "client",
        "CardSetKeyProperty(CKP_INITIALIZATION_VECTOR)",
        client.set_key_property(key, CKP_INITIALIZATION_VECTOR, &iv, 0),
    )?;
    Ok(key)
}

/// An RSA public key as `01 ‖ modulus field ‖ exponent field`; the server wraps only to RSA.
fn encode_public_key(key: &PublicKey) -> Vec<u8> {
    let mut out = Vec::new();
    match key {
        PublicKey::Rsa { modulus, exponent } => {
            out.push(1);
            put_field(&mut out, modulus);
            put_field(&mut out, exponent);
        }
        PublicKey::EcP256 { point } => {
            out.push(2);
            put_field(&mut out, point);
        }
    }
    out
}

fn decode_public_key(message: &[u8]) -> Result<PublicKey, String> {
    let mut fields = Fields::new(message, "the container's public key");
    let key = match fields.byte()? {
        1 => PublicKey::Rsa {
            modulus: fields.field()?.to_vec(),
            exponent: fields.field()?.to_vec(),
        },
        _ => return Err("the container's public key is not an RSA key".into()),
    };
    fields.end()?;
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
    relay.send("hello", &via.to_message())?;
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
    let mut message = Vec::new();
    put_field(&mut message, payload.function.as_bytes());
    for blob in &blobs {
        put_field(&mut message, blob);
    }
    relay.send("encrypted-data", &message)?;
    let result = relay.receive("result")?;
    let status = <[u8; 4]>::try_from(result.as_slice())
        .map(u32::from_le_bytes)
        .map_err(|_| "relay: a malformed result")?;
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
    let via = Establishment::from_message(&relay.receive("hello")?)?;
    println!(
        "  {:<8} the key is shared through {}",
        "[client]",
        via.describe()
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

    let message = relay.receive("encrypted-data")?;
    let mut fields = Fields::new(&message, "the encrypted data");
    let function = String::from_utf8(fields.field()?.to_vec())
        .map_err(|_| "relay: the secure function's name is not UTF-8")?;
    let mut blobs = Vec::new();
    while fields.remaining() > 0 {
        blobs.push(fields.field()?.to_vec());
    }
    fields.end()?;
    let processed = client.process_encrypted_data(key, &function, &blobs, 0);
    let status = processed.as_ref().map_or_else(|err| err.status(), |_| 0);
    let processed = call(
        "client",
        &format!("CardProcessEncryptedData({function:?})"),
        processed,
    );
    relay.send("result", &status.to_le_bytes())?;
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
    options: &Options,
    server: Option<(&StaticKeys, Establishment, &Payload)>,
) -> Result<(), String> {
    let wait = options.wait()?;
    let reader = reader(options);
    match (role, server) {
        (Role::Both, Some((keys, via, payload))) => {
            println!(
                "secure key injection via {}: server (no-card mode) and client (at the reader)",
                via.describe()
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
                via.describe()
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

fn relay_end(half: Half, options: &Options, wait: Duration) -> Result<Relay, String> {
    let dir = PathBuf::from(options.required("--relay")?);
    Relay::directory(half, &dir, wait)
}

// ---- inject-pin, check-pin ------------------------------------------------------------------

/// `keyward card inject-pin`.
pub(super) fn inject_pin(args: &[String]) -> Result<(), String> {
    let payload_options = ["--keys", "--new-pin", "--current-pin", "--admin-pin"];
    let (options, role) = injection_options(args, &payload_options)?;
    if role == Role::Client {
        return inject(role, &options, None);
    }
    let via = Establishment::from_options(&options)?;
    let keys = read_keys(options.required("--keys")?)?;
    let new_pin = SecretVec::from_slice(options.required("--new-pin")?.as_bytes());
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
    let payload = Payload {
        function: CSF_CHANGE_AUTHENTICATOR,
        input: SecretVec::new(change.to_bytes()),
        admin: None,
    };
    drop(change);
    inject(role, &options, Some((&keys, via, &payload)))?;
    if role == Role::Server {
        println!("PIN injected: the card took it (check it with `keyward card check-pin`)");
        return Ok(());
    }
    authenticates(
        &keys,
        reader(&options),
        options.wait()?,
        &new_pin,
        old_user_pin.as_ref(),
    )?;
    println!("PIN injected: the new user PIN authenticates");
    Ok(())
}

/// `keyward card check-pin`: the user PIN authenticates (and an old one no longer does).
pub(super) fn check_pin(args: &[String]) -> Result<(), String> {
    let options = Options::parse(
        args,
        &["--keys", "--pin", "--old-pin", "--reader", "--wait"],
        &[],
    )?;
    options.no_positional()?;
    let keys = read_keys(options.required("--keys")?)?;
    let pin = SecretVec::from_slice(options.required("--pin")?.as_bytes());
    let old = options
        .get("--old-pin")
        .map(|old| SecretVec::from_slice(old.as_bytes()));
    authenticates(&keys, reader(&options), options.wait()?, &pin, old.as_ref())?;
    println!("PIN checked: the user PIN authenticates");
    Ok(())
}

fn authenticates(
    keys: &StaticKeys,
    reader: &str,
    wait: Duration,
    pin: &SecretVec,
    old: Option<&SecretVec>,
) -> Result<(), String> {
    println!("check: the user PIN authenticates (a new connection, the minidriver)");
    let mut user = card_context(connect(reader, wait)?, Some(keys.clone()))?;
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

/// The options that describe the key pair: `--key`, `--key-spec`, `--container`, `--pin-role`.
const KEY_OPTIONS: [&str; 5] = ["--key", "--key-spec", "--container", "--pin", "--pin-role"];

fn expected_key(options: &Options, pkcs8: &[u8]) -> Result<ExpectedKey, String> {
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
    let key_spec = match (options.get("--key-spec"), &public) {
        (None, _) => default_spec,
        (Some("signature"), PublicKey::Rsa { .. }) => AT_SIGNATURE,
        (Some("exchange"), PublicKey::Rsa { .. }) => AT_KEYEXCHANGE,
        (Some(other), _) => {
            return Err(format!(
                "--key-spec {other:?}: signature or exchange, for RSA keys"
            ))
        }
    };
    Ok(ExpectedKey {
        public,
        bits,
        key_spec,
        container: options
            .get("--container")
            .unwrap_or("0")
            .parse::<u8>()
            .map_err(|_| "--container: a number from 0 to 7")?,
        pin: pin_role(options.get("--pin-role").unwrap_or("user"))?,
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

/// `keyward card inject-keypair`.
pub(super) fn inject_keypair(args: &[String]) -> Result<(), String> {
    let payload_options: Vec<&str> = ["--keys", "--admin-pin"]
        .iter()
        .chain(&KEY_OPTIONS)
        .copied()
        .collect();
    let (options, role) = injection_options(args, &payload_options)?;
    if role == Role::Client {
        return inject(role, &options, None);
    }
    let via = Establishment::from_options(&options)?;
    let keys = read_keys(options.required("--keys")?)?;
    let pkcs8 = read_pkcs8(Path::new(options.required("--key")?))?;
    let pin = SecretVec::from_slice(options.required("--pin")?.as_bytes());
    let expected = expected_key(&options, pkcs8.expose())?;
    let import = CardImportKeyPair {
        container: expected.container,
        pin: expected.pin,
        key_spec: u32::from(expected.key_spec),
        key_size: expected.bits,
        key: pkcs8.expose().to_vec(),
    };
    // A session-key session authenticates nobody: the card takes a key pair through it only
    // after the admin PIN inside it.
    let admin = match (options.get("--admin-pin"), via) {
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
    inject(role, &options, Some((&keys, via, &payload)))?;
    if role == Role::Server {
        println!(
            "key pair injected: the card took it (check it with `keyward card check-keypair`)"
        );
        return Ok(());
    }
    signs(&keys, reader(&options), options.wait()?, &pin, &expected)
}

/// `keyward card check-keypair`: the container holds the key pair of `--key` and signs.
pub(super) fn check_keypair(args: &[String]) -> Result<(), String> {
    let with_value: Vec<&str> = ["--keys", "--reader", "--wait"]
        .iter()
        .chain(&KEY_OPTIONS)
        .copied()
        .collect();
    let options = Options::parse(args, &with_value, &[])?;
    options.no_positional()?;
    let keys = read_keys(options.required("--keys")?)?;
    let pkcs8 = read_pkcs8(Path::new(options.required("--key")?))?;
    let pin = SecretVec::from_slice(options.required("--pin")?.as_bytes());
    let expected = expected_key(&options, pkcs8.expose())?;
    signs(&keys, reader(&options), options.wait()?, &pin, &expected)
}

fn signs(
    keys: &StaticKeys,
    reader: &str,
    wait: Duration,
    pin: &SecretVec,
    expected: &ExpectedKey,
) -> Result<(), String> {
    let (container, role) = (expected.container, expected.pin);
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

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn roles_take_only_their_options() {
        let pin = ["--keys", "--new-pin", "--current-pin", "--admin-pin"];
        let parse = |text: &str| injection_options(&args(text), &pin).map(|(_, role)| role);
        assert!(parse("--keys k --new-pin 1 --current-pin 2") == Ok(Role::Both));
        assert!(parse("--role client --relay d --reader r") == Ok(Role::Client));
        assert!(parse("--role server --relay d --keys k --new-pin 1") == Ok(Role::Server));
        for bad in [
            "--relay d",
            "--role server",
            "--role client --relay d --keys k",
            "--role client --relay d --via session-key",
            "--role server --relay d --reader r",
            "--role mediator --relay d",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hello_and_public_keys_round_trip() {
        for via in [
            Establishment::SharedKey,
            Establishment::SessionKey { container: 3 },
        ] {
            let back = Establishment::from_message(&via.to_message()).unwrap();
            assert_eq!(back.to_message(), via.to_message());
        }
        assert!(Establishment::from_message(&[2]).is_err());
        let rsa = PublicKey::Rsa {
            modulus: vec![0xC5; 256],
            exponent: vec![1, 0, 1],
        };
        assert!(decode_public_key(&encode_public_key(&rsa)).unwrap() == rsa);
        let ec = PublicKey::EcP256 { point: vec![4; 65] };
        assert!(decode_public_key(&encode_public_key(&ec)).is_err());
        let mut trailing = encode_public_key(&rsa);
        trailing.push(0);
        assert!(decode_public_key(&trailing).is_err());
    }
}

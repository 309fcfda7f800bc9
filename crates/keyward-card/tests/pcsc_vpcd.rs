//! The virtual card and the minidriver through the real PC/SC stack: the card serves vpcd
//! (vsmartcard's reader driver inside pcscd), and the minidriver reaches it with
//! [`PcscTransport`] through pcscd. The whole secure key injection runs over it (a server in
//! no-card mode, a client at the reader), with both key establishments: the SCP03 shared key
//! (`CardGetSharedKeyHandle`) and a session key wrapped with a card container's RSA key
//! (`CardImportSessionKey` / `MDImportSessionKey`). After each, the injected PIN authenticates
//! (`CardAuthenticateEx`); the injected key pair signs.
//!
//! It needs a running pcscd with the vpcd driver, so it is `#[ignore]`d by default.
//! `scripts/card-interop` starts pcscd (in the foreground, with its own vpcd configuration),
//! then runs it:
//!
//! ```text
//! cargo test -p keyward-card --test pcsc_vpcd -- --ignored
//! ```
//!
//! The card connects to vpcd at `KEYWARD_TEST_VPCD` (default `127.0.0.1:35964`, vpcd's second
//! reader) and the transport picks the reader whose name contains `KEYWARD_TEST_READER`
//! (default `Virtual PCD 00 01`), so `keyward card emulate` can hold the first reader at the
//! same time.

mod common;

use std::thread;
use std::time::Duration;

use aws_lc_rs::signature::{KeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use common::{keys, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::card::vpcd::{self, Ended, Shutdown, VpcdConfig};
use keyward_card::card::{VirtualCard, ATR};
use keyward_card::channel::SecureChannel;
use keyward_card::error::{ReaderError, SCARD_E_UNKNOWN_READER};
use keyward_card::instructions::{
    key_data_blob, OaepHash, PinId, PublicKey, SignatureHash, AT_KEYEXCHANGE, AT_SIGNATURE,
};
use keyward_card::minidriver::properties::{CARD_PADDING_OAEP, CKP_INITIALIZATION_VECTOR};
use keyward_card::minidriver::secure_function::{
    CardChangeAuthenticator, CardImportKeyPair, CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR,
    PIN_CHANGE_FLAG_CHANGEPIN,
};
use keyward_card::minidriver::session_key::{
    wrap_session_key, OaepPaddingInfo, BCRYPT_KEY_DATA_BLOB,
};
use keyward_card::minidriver::{
    CardContext, CardData, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::scp03::SecurityLevel;
use keyward_card::transport::{PcscTransport, Transport};
use keyward_card::Error;
use keyward_test_support::TempDir;

const NEW_PIN: &[u8] = b"86427531";
const THIRD_PIN: &[u8] = b"3141592653";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn connect(reader: &str) -> PcscTransport {
    PcscTransport::connect_waiting(reader, Duration::from_secs(20))
        .unwrap_or_else(|error| panic!("no card in a reader named like {reader:?}: {error}"))
}

#[test]
#[ignore = "needs pcscd with vpcd: scripts/card-interop runs it"]
fn secure_key_injection_through_pcscd() {
    let address = setting("KEYWARD_TEST_VPCD", "127.0.0.1:35964");
    let reader = setting("KEYWARD_TEST_READER", "Virtual PCD 00 01");
    let dir = TempDir::new("pcsc");
    let state = dir.join("card.state");
    VirtualCard::create(&state, common::personalization()).unwrap();

    // The card, on vpcd, in a thread of its own.
    let shutdown = Shutdown::new();
    let card_thread = {
        let shutdown = shutdown.clone();
        let state = state.clone();
        let config = VpcdConfig {
            address,
            reconnect: false,
            connect_timeout: Duration::from_secs(20),
            poll_interval: Duration::from_millis(50),
        };
        thread::spawn(move || {
            let mut card = VirtualCard::open(&state).unwrap();
            vpcd::run(&mut card, &config, &shutdown, |_| {})
        })
    };

    // The reader shows the card with its ATR.
    let mut transport = connect(&reader);
    assert!(transport.reader().contains(&reader));
    assert_eq!(transport.atr().unwrap(), ATR);
    assert!(PcscTransport::readers()
        .unwrap()
        .iter()
        .any(|name| name == transport.reader()));
    let error = PcscTransport::connect("no such reader, surely").unwrap_err();
    assert_eq!(error, Error::Reader(ReaderError::UnknownReader));
    assert_eq!(error.status(), SCARD_E_UNKNOWN_READER);

    // Server (no-card mode, holds the static keys) and client (at the reader, holds none).
    let mut server = CardContext::acquire(
        CardData {
            version: 7,
            atr: Vec::new(),
            card_name: String::new(),
            transport: None,
            vendor: VendorConfig::new(Some(keys(16))),
        },
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
    )
    .unwrap();
    let atr = transport.atr().unwrap();
    let mut client = CardContext::acquire(
        CardData {
            version: 7,
            atr,
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(transport)),
            vendor: VendorConfig::new(None),
        },
        0,
    )
    .unwrap();

    // CardGetSharedKeyHandle, relayed.
    let host = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let card = client.get_shared_key_handle(&host).unwrap().output.unwrap();
    let step3 = server.get_shared_key_handle(&card).unwrap();
    let step4 = client
        .get_shared_key_handle(&step3.output.unwrap())
        .unwrap();
    let (server_key, client_key) = (step3.key.unwrap(), step4.key.unwrap());

    // Inject a new user PIN and an RSA-2048 key pair guarded by it.
    let change = CardChangeAuthenticator {
        flags: PIN_CHANGE_FLAG_CHANGEPIN,
        authenticating_pin: PinId::User,
        authenticating_pin_data: USER_PIN.to_vec(),
        target_pin: PinId::User,
        target_data: NEW_PIN.to_vec(),
        retry_count: 0,
    };
    let blobs = server
        .md_encrypt_data(server_key, CSF_CHANGE_AUTHENTICATOR, &change.to_bytes(), 0)
        .unwrap();
    client
        .process_encrypted_data(client_key, CSF_CHANGE_AUTHENTICATOR, &blobs, 0)
        .unwrap();
    let import = CardImportKeyPair {
        container: 1,
        pin: PinId::User,
        key_spec: u32::from(AT_SIGNATURE),
        key_size: 2048,
        key: rsa_key().1.clone(),
    };
    let blobs = server
        .md_encrypt_data(server_key, CSF_IMPORT_KEYPAIR, &import.to_bytes(), 0)
        .unwrap();
    assert!(blobs.len() > 1, "an RSA key takes several APDUs");
    client
        .process_encrypted_data(client_key, CSF_IMPORT_KEYPAIR, &blobs, 0)
        .unwrap();
    // And an RSA key-exchange key into container 2, for the other establishment below.
    let exchange = CardImportKeyPair {
        container: 2,
        pin: PinId::User,
        key_spec: u32::from(AT_KEYEXCHANGE),
        key_size: 2048,
        key: rsa_key().1.clone(),
    };
    let blobs = server
        .md_encrypt_data(server_key, CSF_IMPORT_KEYPAIR, &exchange.to_bytes(), 0)
        .unwrap();
    client
        .process_encrypted_data(client_key, CSF_IMPORT_KEYPAIR, &blobs, 0)
        .unwrap();
    drop(client);

    // A new connection, as a user would make it: the injected PIN authenticates through the
    // minidriver, and the old one no longer does.
    let transport = connect(&reader);
    let atr = ATR.to_vec();
    let mut user = CardContext::acquire(
        CardData {
            version: 7,
            atr,
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(transport)),
            vendor: VendorConfig::new(Some(keys(16))),
        },
        0,
    )
    .unwrap();
    assert_eq!(
        user.authenticate_ex(PinId::User, 0, USER_PIN),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );
    user.authenticate_ex(PinId::User, 0, NEW_PIN).unwrap();
    drop(user);

    // The injected key signs, and the signature verifies with the public key read back.
    let mut channel = SecureChannel::open(
        connect(&reader),
        &keyward_card::card::DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    channel.verify_pin(PinId::User, NEW_PIN).unwrap();
    let public = channel.read_public_key(1).unwrap();
    assert_eq!(public.key_spec, AT_SIGNATURE);
    let PublicKey::Rsa { modulus, exponent } = public.key else {
        panic!("not an RSA key");
    };
    let message = b"signed through pcscd";
    let digest = keyward_core::backend::hash(keyward_core::backend::HashAlgorithm::Sha256, message);
    let signature = channel
        .sign(1, SignatureHash::Sha256, digest.as_ref())
        .unwrap();
    let components = aws_lc_rs::signature::RsaPublicKeyComponents {
        n: modulus.as_slice(),
        e: exponent.as_slice(),
    };
    components
        .verify(&RSA_PKCS1_2048_8192_SHA256, message, &signature)
        .unwrap();
    assert!(
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, rsa_key().0.public_key())
            .verify(message, &signature)
            .is_ok()
    );
    // The admin PIN was never touched.
    channel.verify_pin(PinId::Admin, ADMIN_PIN).unwrap();
    // A reset through PC/SC ends the card session.
    channel.transport().reset().unwrap();
    assert_eq!(
        channel.pin_status(PinId::User),
        Err(Error::SecurityStatusNotSatisfied)
    );
    drop(channel);

    // The other establishment, through pcscd: the client reads container 2's public key, the
    // server wraps a fresh AES session key with it, the card unwraps it and opens a session
    // keyed with its nonce, which travels to the server as the key's IV.
    let mut client = CardContext::acquire(
        CardData {
            version: 7,
            atr: ATR.to_vec(),
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(connect(&reader))),
            vendor: VendorConfig::new(None),
        },
        0,
    )
    .unwrap();
    let public = client.get_container_info(2).unwrap();
    assert_eq!(public.key_spec, AT_KEYEXCHANGE);
    let mut session_key = [0u8; 32];
    keyward_core::backend::fill_random(&mut session_key).unwrap();
    let wrapped = wrap_session_key(&public.key, OaepHash::Sha256, &session_key).unwrap();
    let client_key = client
        .import_session_key(
            2,
            &OaepPaddingInfo {
                hash: OaepHash::Sha256,
                label: Vec::new(),
            },
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            &wrapped,
            CARD_PADDING_OAEP,
        )
        .unwrap();
    let server_key = server
        .md_import_session_key(
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            key_data_blob(&session_key).unwrap().expose(),
        )
        .unwrap();
    let iv = client
        .get_key_property(client_key, CKP_INITIALIZATION_VECTOR, 0)
        .unwrap();
    server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &iv, 0)
        .unwrap();
    let change = CardChangeAuthenticator {
        flags: PIN_CHANGE_FLAG_CHANGEPIN,
        authenticating_pin: PinId::User,
        authenticating_pin_data: NEW_PIN.to_vec(),
        target_pin: PinId::User,
        target_data: THIRD_PIN.to_vec(),
        retry_count: 0,
    };
    let blobs = server
        .md_encrypt_data(server_key, CSF_CHANGE_AUTHENTICATOR, &change.to_bytes(), 0)
        .unwrap();
    client
        .process_encrypted_data(client_key, CSF_CHANGE_AUTHENTICATOR, &blobs, 0)
        .unwrap();
    drop(client);
    let mut user = CardContext::acquire(
        CardData {
            version: 7,
            atr: ATR.to_vec(),
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(connect(&reader))),
            vendor: VendorConfig::new(Some(keys(16))),
        },
        0,
    )
    .unwrap();
    user.authenticate_ex(PinId::User, 0, THIRD_PIN).unwrap();
    drop(user);

    // The card stops on request; its state file holds the injected PIN and key.
    shutdown.request();
    assert_eq!(card_thread.join().unwrap(), Ok(Ended::Shutdown));
    let card = VirtualCard::open(&state).unwrap();
    assert!(card.container_in_use(1));
    assert_eq!(card.pin_attempts_remaining(PinId::User), 3);
}

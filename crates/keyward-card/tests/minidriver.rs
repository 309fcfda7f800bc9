//! The minidriver API end to end over the in-process virtual card: `CardAcquireContext`
//! (version negotiation, flags, no-card mode), the relayed `CardGetSharedKeyHandle` between a
//! server in no-card mode and a client next to the card, secure key injection of PINs and key
//! pairs (`MDEncryptData` → `CardProcessEncryptedData`), `CardDestroyKey`, and the failures:
//! wrong cryptogram, replayed and out-of-order messages, foreign or stale handles, blobs of
//! another function, and the calls no-card mode forbids.

mod common;

use common::{ec_key, keys, personalization, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::card::{VirtualCard, ATR, DEFAULT_AID};
use keyward_card::channel::SecureChannel;
use keyward_card::error::{
    ERROR_REVISION_MISMATCH, SCARD_E_INVALID_HANDLE, SCARD_E_INVALID_VALUE, SCARD_E_NO_SMARTCARD,
    SCARD_W_SECURITY_VIOLATION, SCARD_W_WRONG_CHV,
};
use keyward_card::instructions::{PinId, PublicKey, AT_ECDSA_P256, AT_KEYEXCHANGE};
use keyward_card::minidriver::secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair, SecureFunctionOutput,
    CARD_AUTHENTICATE_SESSION_PIN, CSF_AUTHENTICATE, CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR,
    PIN_CHANGE_FLAG_CHANGEPIN, PIN_CHANGE_FLAG_UNBLOCK,
};
use keyward_card::minidriver::{
    Call, CardContext, CardData, CardKeyHandle, VendorConfig,
    CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::scp03::{SecurityLevel, StaticKeys};
use keyward_card::transport::InProcess;
use keyward_card::Error;

fn server_with(keys: StaticKeys, level: SecurityLevel) -> CardContext {
    let mut vendor = VendorConfig::new(Some(keys));
    vendor.security_level = level;
    CardContext::acquire(
        CardData {
            version: 7,
            atr: Vec::new(),
            card_name: String::new(),
            transport: None,
            vendor,
        },
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
    )
    .unwrap()
}

fn new_server(level: SecurityLevel) -> CardContext {
    server_with(keys(16), level)
}

fn client_data(transport: &InProcess, static_keys: Option<StaticKeys>) -> CardData {
    CardData {
        version: 7,
        atr: ATR.to_vec(),
        card_name: "keyward virtual card".into(),
        transport: Some(Box::new(transport.clone())),
        vendor: VendorConfig::new(static_keys),
    }
}

fn new_client(transport: &InProcess) -> CardContext {
    CardContext::acquire(client_data(transport, None), 0).unwrap()
}

fn card() -> InProcess {
    InProcess::new(VirtualCard::in_memory(personalization()).unwrap())
}

/// Runs the four CardGetSharedKeyHandle steps; returns (server handle, client handle). Each
/// step's output is what `shared_key_step_has_output` said before it ran.
fn establish(server: &mut CardContext, client: &mut CardContext) -> (CardKeyHandle, CardKeyHandle) {
    let step = |context: &mut CardContext, input: &[u8]| {
        let predicted = context.shared_key_step_has_output(input);
        let step = context.get_shared_key_handle(input).unwrap();
        assert_eq!(step.output.is_some(), predicted);
        step
    };
    let step1 = step(server, &[]);
    assert_eq!(step1.key, None);
    let step2 = step(client, &step1.output.unwrap());
    assert_eq!(
        step2.key, None,
        "the client is not complete after INITIALIZE UPDATE"
    );
    let step3 = step(server, &step2.output.unwrap());
    let step4 = step(client, &step3.output.unwrap());
    assert_eq!(step4.output, None);
    (step3.key.unwrap(), step4.key.unwrap())
}

fn authenticate(pin: PinId, value: &[u8]) -> Vec<u8> {
    CardAuthenticate {
        flags: 0,
        pin,
        pin_data: value.to_vec(),
    }
    .to_bytes()
}

fn change(flags: u32, from: PinId, old: &[u8], to: PinId, new: &[u8], retries: u32) -> Vec<u8> {
    CardChangeAuthenticator {
        flags,
        authenticating_pin: from,
        authenticating_pin_data: old.to_vec(),
        target_pin: to,
        target_data: new.to_vec(),
        retry_count: retries,
    }
    .to_bytes()
}

fn inject(
    server: &mut CardContext,
    client: &mut CardContext,
    keys: (CardKeyHandle, CardKeyHandle),
    function: &str,
    payload: &[u8],
) -> Result<SecureFunctionOutput, Error> {
    let blobs = server
        .md_encrypt_data(keys.0, function, payload, 0)
        .unwrap();
    client.process_encrypted_data(keys.1, function, &blobs, 0)
}

#[test]
fn acquire_context_rules() {
    let transport = card();
    // Version negotiation: down to 7, refused below 4 with ERROR_REVISION_MISMATCH.
    for (asked, got) in [(7, 7), (9, 7), (6, 6), (4, 4)] {
        let mut data = client_data(&transport, None);
        data.version = asked;
        assert_eq!(CardContext::acquire(data, 0).unwrap().version(), got);
    }
    let mut old = client_data(&transport, None);
    old.version = 3;
    let error = CardContext::acquire(old, 0).unwrap_err();
    assert_eq!(error, Error::RevisionMismatch);
    assert_eq!(error.status(), ERROR_REVISION_MISMATCH);
    // Unknown flags.
    assert!(matches!(
        CardContext::acquire(client_data(&transport, None), 0x2),
        Err(Error::InvalidParameter(_))
    ));
    // Card mode needs a card handle, an ATR and a name, and a card with our AID.
    let mut no_card = client_data(&transport, None);
    no_card.transport = None;
    assert_eq!(
        CardContext::acquire(no_card, 0).unwrap_err().status(),
        SCARD_E_INVALID_HANDLE
    );
    let mut no_atr = client_data(&transport, None);
    no_atr.atr.clear();
    assert!(matches!(
        CardContext::acquire(no_atr, 0),
        Err(Error::InvalidParameter(_))
    ));
    let mut other_aid = client_data(&transport, None);
    other_aid.vendor.aid = vec![0xA0, 0, 0, 0, 0x99];
    assert!(matches!(
        CardContext::acquire(other_aid, 0),
        Err(Error::CardStatus(_))
    ));
    // No-card mode: version 7, the static keys, and no card handle.
    let no_card_data = |version: u32, keys: Option<StaticKeys>| CardData {
        version,
        atr: Vec::new(),
        card_name: String::new(),
        transport: None,
        vendor: VendorConfig::new(keys),
    };
    let server = CardContext::acquire(
        no_card_data(8, Some(keys(16))),
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
    )
    .unwrap();
    assert!(server.is_no_card_mode());
    assert_eq!(server.version(), 7);
    assert!(CardContext::acquire(
        no_card_data(6, Some(keys(16))),
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE
    )
    .is_err());
    assert!(CardContext::acquire(
        no_card_data(7, None),
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE
    )
    .is_err());
    let mut with_card = client_data(&transport, Some(keys(16)));
    with_card.atr.clear();
    assert!(CardContext::acquire(with_card, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE).is_err());
}

#[test]
fn no_card_mode_allows_only_its_eight_calls() {
    let mut server = new_server(SecurityLevel::Full);
    let allowed = [
        Call::MdImportSessionKey,
        Call::MdEncryptData,
        Call::CardGetSharedKeyHandle,
        Call::CardGetAlgorithmProperty,
        Call::CardDestroyKey,
        Call::CardGetKeyProperty,
        Call::CardSetKeyProperty,
        Call::CardProcessEncryptedData,
    ];
    for call in allowed {
        server.check_call(call).unwrap();
    }
    for call in [
        Call::CardAuthenticateEx,
        Call::CardDeauthenticateEx,
        Call::CardGetProperty,
        Call::CardImportSessionKey,
    ] {
        assert_eq!(server.check_call(call), Err(Error::NoCard));
    }
    let error = server
        .authenticate_ex(PinId::User, 0, USER_PIN)
        .unwrap_err();
    assert_eq!(error.status(), SCARD_E_NO_SMARTCARD);
    assert_eq!(server.deauthenticate_ex(0xFF, 0), Err(Error::NoCard));
    // CardProcessEncryptedData is allowed, but a server key is not a card key.
    let transport = card();
    let mut client = new_client(&transport);
    let (server_key, _) = establish(&mut server, &mut client);
    let blobs = server
        .md_encrypt_data(
            server_key,
            CSF_AUTHENTICATE,
            &authenticate(PinId::User, USER_PIN),
            0,
        )
        .unwrap();
    assert_eq!(
        server.process_encrypted_data(server_key, CSF_AUTHENTICATE, &blobs, 0),
        Err(Error::InvalidHandle)
    );
    // In card mode every call is allowed.
    for call in allowed {
        client.check_call(call).unwrap();
    }
    client.check_call(Call::CardAuthenticateEx).unwrap();
}

#[test]
fn injects_pins_and_key_pairs_at_every_encrypting_level() {
    for level in [
        SecurityLevel::CMacCDecryption,
        SecurityLevel::CMacCDecryptionRMac,
        SecurityLevel::Full,
    ] {
        let transport = card();
        let mut server = new_server(level);
        let mut client = new_client(&transport);
        let keys_pair = establish(&mut server, &mut client);
        assert_eq!((server.key_count(), client.key_count()), (1, 1));

        // CSF_AUTHENTICATE.
        assert_eq!(
            inject(
                &mut server,
                &mut client,
                keys_pair,
                CSF_AUTHENTICATE,
                &authenticate(PinId::User, USER_PIN)
            ),
            Ok(SecureFunctionOutput::Authenticate {
                attempts_remaining: None
            })
        );
        let wrong = inject(
            &mut server,
            &mut client,
            keys_pair,
            CSF_AUTHENTICATE,
            &authenticate(PinId::User, b"0000"),
        )
        .unwrap_err();
        assert_eq!(
            wrong,
            Error::WrongPin {
                attempts_remaining: 2
            }
        );
        assert_eq!(wrong.status(), SCARD_W_WRONG_CHV);

        // CSF_IMPORT_KEYPAIR: an RSA-2048 key (several blobs) and an EC P-256 key.
        let rsa = CardImportKeyPair {
            container: 0,
            pin: PinId::User,
            key_spec: u32::from(AT_KEYEXCHANGE),
            key_size: 2048,
            key: rsa_key().1.clone(),
        };
        let blobs = server
            .md_encrypt_data(keys_pair.0, CSF_IMPORT_KEYPAIR, &rsa.to_bytes(), 0)
            .unwrap();
        assert!(blobs.len() > 1);
        assert_eq!(
            client.process_encrypted_data(keys_pair.1, CSF_IMPORT_KEYPAIR, &blobs, 0),
            Ok(SecureFunctionOutput::ImportKeyPair)
        );
        let ec = CardImportKeyPair {
            container: 3,
            pin: PinId::Admin,
            key_spec: u32::from(AT_ECDSA_P256),
            key_size: 256,
            key: ec_key().pkcs8.clone(),
        };
        inject(
            &mut server,
            &mut client,
            keys_pair,
            CSF_IMPORT_KEYPAIR,
            &ec.to_bytes(),
        )
        .unwrap();

        // CSF_CHANGE_AUTHENTICATOR: change the user PIN, block it, unblock it with the admin PIN.
        inject(
            &mut server,
            &mut client,
            keys_pair,
            CSF_CHANGE_AUTHENTICATOR,
            &change(
                PIN_CHANGE_FLAG_CHANGEPIN,
                PinId::User,
                USER_PIN,
                PinId::User,
                b"24680",
                0,
            ),
        )
        .unwrap();
        for expected in [
            Error::WrongPin {
                attempts_remaining: 2,
            },
            Error::WrongPin {
                attempts_remaining: 1,
            },
            Error::PinBlocked,
        ] {
            assert_eq!(
                inject(
                    &mut server,
                    &mut client,
                    keys_pair,
                    CSF_AUTHENTICATE,
                    &authenticate(PinId::User, USER_PIN)
                ),
                Err(expected)
            );
        }
        inject(
            &mut server,
            &mut client,
            keys_pair,
            CSF_CHANGE_AUTHENTICATOR,
            &change(
                PIN_CHANGE_FLAG_UNBLOCK,
                PinId::Admin,
                ADMIN_PIN,
                PinId::User,
                b"13579",
                6,
            ),
        )
        .unwrap();
        inject(
            &mut server,
            &mut client,
            keys_pair,
            CSF_AUTHENTICATE,
            &authenticate(PinId::User, b"13579"),
        )
        .unwrap();
        assert_eq!(
            transport
                .with_card(|c| c.pin_attempts_remaining(PinId::User))
                .unwrap(),
            6
        );

        // CardDestroyKey on both sides; the handles are dead afterwards.
        server.destroy_key(keys_pair.0).unwrap();
        client.destroy_key(keys_pair.1).unwrap();
        assert_eq!(server.destroy_key(keys_pair.0), Err(Error::InvalidHandle));
        assert_eq!(
            server.md_encrypt_data(
                keys_pair.0,
                CSF_AUTHENTICATE,
                &authenticate(PinId::User, b"13579"),
                0
            ),
            Err(Error::InvalidHandle)
        );
        assert_eq!((server.key_count(), client.key_count()), (0, 0));

        // What the card now holds, read over a channel of our own.
        let mut own = SecureChannel::open(
            transport.clone(),
            &DEFAULT_AID,
            &keys(16),
            SecurityLevel::Full,
        )
        .unwrap();
        let PublicKey::Rsa { modulus, .. } = own.read_public_key(0).unwrap().key else {
            panic!("expected RSA")
        };
        assert_eq!(modulus.len(), 256);
        assert_eq!(
            own.read_public_key(3).unwrap().key,
            PublicKey::EcP256 {
                point: ec_key().public.clone()
            }
        );
        own.verify_pin(PinId::User, b"13579").unwrap();
    }
}

#[test]
fn wrong_cryptograms_and_replays_leave_nothing_half_open() {
    let transport = card();
    let mut server = new_server(SecurityLevel::Full);
    let mut client = new_client(&transport);

    // A tampered CARD CHALLENGE: the server's card cryptogram check fails.
    let host_challenge = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let card_challenge = client
        .get_shared_key_handle(&host_challenge)
        .unwrap()
        .output
        .unwrap();
    let mut tampered = card_challenge.clone();
    let last = tampered.len() - 4; // inside the card cryptogram
    tampered[last] ^= 0x01;
    let error = server.get_shared_key_handle(&tampered).unwrap_err();
    assert_eq!(error, Error::CardCryptogramMismatch);
    assert_eq!(error.status(), SCARD_W_SECURITY_VIOLATION);
    // The failed step consumed the server's handshake: the genuine message is now out of order.
    let error = server.get_shared_key_handle(&card_challenge).unwrap_err();
    assert!(matches!(error, Error::OutOfOrder(_)));
    assert_eq!(error.status(), SCARD_E_INVALID_VALUE);
    assert_eq!(server.key_count(), 0);

    // A server with other keys never accepts the card.
    let mut stranger = server_with(
        StaticKeys::new(0x30, &[5; 16], &[6; 16], &[7; 16]).unwrap(),
        SecurityLevel::Full,
    );
    let host_challenge = stranger.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let card_challenge = client
        .get_shared_key_handle(&host_challenge)
        .unwrap()
        .output
        .unwrap();
    assert_eq!(
        stranger.get_shared_key_handle(&card_challenge),
        Err(Error::CardCryptogramMismatch)
    );

    // A complete establishment, then every replay.
    let step1 = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let step2 = client
        .get_shared_key_handle(&step1)
        .unwrap()
        .output
        .unwrap();
    let step3 = server.get_shared_key_handle(&step2).unwrap();
    let external = step3.output.clone().unwrap();
    let client_key = client
        .get_shared_key_handle(&external)
        .unwrap()
        .key
        .unwrap();
    let server_key = step3.key.unwrap();
    assert!(matches!(
        server.get_shared_key_handle(&step2),
        Err(Error::OutOfOrder(_))
    ));
    assert!(matches!(
        client.get_shared_key_handle(&external),
        Err(Error::OutOfOrder(_))
    ));
    // An old CARD CHALLENGE against a new server handshake: another host challenge.
    server.get_shared_key_handle(&[]).unwrap();
    assert_eq!(
        server.get_shared_key_handle(&step2),
        Err(Error::CardCryptogramMismatch)
    );
    // An old EXTERNAL AUTHENTICATE after a new INITIALIZE UPDATE: the card refuses it.
    let fresh = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    client.get_shared_key_handle(&fresh).unwrap();
    assert_eq!(
        client.get_shared_key_handle(&external),
        Err(Error::HostAuthenticationFailed)
    );
    // The new INITIALIZE UPDATE ended the card session of the earlier keys.
    assert_eq!(
        client.process_encrypted_data(client_key, CSF_AUTHENTICATE, &[vec![0x84, 0x20, 0, 1]], 0),
        Err(Error::InvalidHandle)
    );
    // The server's half outlives the card session until it is destroyed.
    assert_eq!(server.key_count(), 1);
    server.destroy_key(server_key).unwrap();
}

#[test]
fn out_of_order_and_foreign_messages() {
    let transport = card();
    let mut server = new_server(SecurityLevel::Full);
    let mut client = new_client(&transport);
    let step1 = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    // The server does not take its own message; the client needs one to start.
    assert!(matches!(
        server.get_shared_key_handle(&step1),
        Err(Error::OutOfOrder(_))
    ));
    assert!(matches!(
        client.get_shared_key_handle(&[]),
        Err(Error::InvalidParameter(_))
    ));
    assert!(matches!(
        client.get_shared_key_handle(b"not ours"),
        Err(Error::InvalidParameter(_))
    ));
    let step1 = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let step2 = client
        .get_shared_key_handle(&step1)
        .unwrap()
        .output
        .unwrap();
    // The client does not take CARD CHALLENGE; its pending handshake is dropped.
    assert!(matches!(
        client.get_shared_key_handle(&step2),
        Err(Error::OutOfOrder(_))
    ));
    let step3 = server
        .get_shared_key_handle(&step2)
        .unwrap()
        .output
        .unwrap();
    assert!(matches!(
        client.get_shared_key_handle(&step3),
        Err(Error::OutOfOrder(_))
    ));
    // Starting over works, and an EXTERNAL AUTHENTICATE before any HOST CHALLENGE does not.
    let mut fresh_client = new_client(&card());
    assert!(matches!(
        fresh_client.get_shared_key_handle(&step3),
        Err(Error::OutOfOrder(_))
    ));
    let (server_key, client_key) = establish(&mut server, &mut client);
    assert_eq!(
        inject(
            &mut server,
            &mut client,
            (server_key, client_key),
            CSF_AUTHENTICATE,
            &authenticate(PinId::Admin, ADMIN_PIN)
        ),
        Ok(SecureFunctionOutput::Authenticate {
            attempts_remaining: None
        })
    );
}

#[test]
fn keys_blobs_and_payloads_must_fit() {
    let transport = card();
    let mut server = new_server(SecurityLevel::Full);
    let mut client = new_client(&transport);
    let (server_key, client_key) = establish(&mut server, &mut client);
    let pin = authenticate(PinId::User, USER_PIN);

    // Handles of the wrong side, or unknown.
    assert_eq!(
        client.md_encrypt_data(client_key, CSF_AUTHENTICATE, &pin, 0),
        Err(Error::InvalidHandle)
    );
    assert_eq!(
        server.md_encrypt_data(CardKeyHandle(12345), CSF_AUTHENTICATE, &pin, 0),
        Err(Error::InvalidHandle)
    );
    // Bad requests change nothing: the session stays in step.
    for (function, payload, flags) in [
        ("Authenticate ", pin.clone(), 0),
        (CSF_AUTHENTICATE, pin.clone(), 1),
        (CSF_AUTHENTICATE, pin[..10].to_vec(), 0),
        (
            CSF_AUTHENTICATE,
            CardAuthenticate {
                flags: CARD_AUTHENTICATE_SESSION_PIN,
                pin: PinId::User,
                pin_data: USER_PIN.to_vec(),
            }
            .to_bytes(),
            0,
        ),
        (CSF_AUTHENTICATE, authenticate(PinId::User, b"12"), 0),
        (
            CSF_CHANGE_AUTHENTICATOR,
            change(
                PIN_CHANGE_FLAG_UNBLOCK,
                PinId::User,
                USER_PIN,
                PinId::User,
                b"9999",
                0,
            ),
            0,
        ),
        (
            CSF_CHANGE_AUTHENTICATOR,
            change(
                PIN_CHANGE_FLAG_CHANGEPIN,
                PinId::Admin,
                ADMIN_PIN,
                PinId::User,
                b"9999",
                0,
            ),
            0,
        ),
        (
            CSF_CHANGE_AUTHENTICATOR,
            change(
                PIN_CHANGE_FLAG_CHANGEPIN,
                PinId::User,
                USER_PIN,
                PinId::User,
                b"9999",
                16,
            ),
            0,
        ),
        (
            CSF_IMPORT_KEYPAIR,
            CardImportKeyPair {
                container: 0,
                pin: PinId::User,
                key_spec: u32::from(AT_KEYEXCHANGE),
                key_size: 1024,
                key: rsa_key().1.clone(),
            }
            .to_bytes(),
            0,
        ),
        (
            CSF_IMPORT_KEYPAIR,
            CardImportKeyPair {
                container: 9,
                pin: PinId::User,
                key_spec: u32::from(AT_ECDSA_P256),
                key_size: 256,
                key: ec_key().pkcs8.clone(),
            }
            .to_bytes(),
            0,
        ),
    ] {
        assert!(
            server
                .md_encrypt_data(server_key, function, &payload, flags)
                .is_err(),
            "{function:?} flags {flags}"
        );
    }
    assert_eq!(
        inject(
            &mut server,
            &mut client,
            (server_key, client_key),
            CSF_AUTHENTICATE,
            &pin
        ),
        Ok(SecureFunctionOutput::Authenticate {
            attempts_remaining: None
        })
    );

    // Blobs must be wrapped commands of the named function; otherwise nothing is sent.
    let verify_blobs = server
        .md_encrypt_data(
            server_key,
            CSF_AUTHENTICATE,
            &authenticate(PinId::User, b"0000"),
            0,
        )
        .unwrap();
    for (function, blobs) in [
        (CSF_IMPORT_KEYPAIR, verify_blobs.clone()),
        (CSF_CHANGE_AUTHENTICATOR, verify_blobs.clone()),
        (CSF_AUTHENTICATE, Vec::new()),
        (
            CSF_AUTHENTICATE,
            vec![verify_blobs[0].clone(), verify_blobs[0].clone()],
        ),
        (
            CSF_AUTHENTICATE,
            vec![vec![0x80, 0x20, 0x00, 0x01, 0x04, 0x31, 0x32, 0x33, 0x34]],
        ),
        (CSF_AUTHENTICATE, vec![vec![0x84]]),
        ("Unknown", verify_blobs.clone()),
    ] {
        assert!(matches!(
            client.process_encrypted_data(client_key, function, &blobs, 0),
            Err(Error::InvalidParameter(_))
        ));
    }
    assert!(client
        .process_encrypted_data(client_key, CSF_AUTHENTICATE, &verify_blobs, 1)
        .is_err());
    assert_eq!(
        transport
            .with_card(|c| c.pin_attempts_remaining(PinId::User))
            .unwrap(),
        3
    );
    // The untouched blobs still go through (and count a wrong PIN).
    assert_eq!(
        client.process_encrypted_data(client_key, CSF_AUTHENTICATE, &verify_blobs, 0),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );

    // A tampered blob: the card aborts its session, and the client's key dies with it.
    let mut blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &pin, 0)
        .unwrap();
    let last = blobs[0].len() - 1;
    blobs[0][last] ^= 0x01;
    let error = client
        .process_encrypted_data(client_key, CSF_AUTHENTICATE, &blobs, 0)
        .unwrap_err();
    assert_eq!(error, Error::SecurityStatusNotSatisfied);
    assert_eq!(error.status(), SCARD_W_SECURITY_VIOLATION);
    let blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &pin, 0)
        .unwrap();
    assert_eq!(
        client.process_encrypted_data(client_key, CSF_AUTHENTICATE, &blobs, 0),
        Err(Error::InvalidHandle)
    );

    // A shared key without C-DECRYPTION cannot carry secrets.
    let mut mac_only = new_server(SecurityLevel::CMacRMac);
    let (mac_key, _) = establish(&mut mac_only, &mut client);
    assert!(matches!(
        mac_only.md_encrypt_data(mac_key, CSF_AUTHENTICATE, &pin, 0),
        Err(Error::UnsupportedFeature(_))
    ));
}

#[test]
fn authenticate_ex_needs_the_card_keys() {
    let transport = card();
    let mut without_keys = new_client(&transport);
    assert!(matches!(
        without_keys.authenticate_ex(PinId::User, 0, USER_PIN),
        Err(Error::UnsupportedFeature(_))
    ));
    let mut with_keys = CardContext::acquire(client_data(&transport, Some(keys(16))), 0).unwrap();
    assert_eq!(
        with_keys.authenticate_ex(PinId::User, 0, b"0000"),
        Err(Error::WrongPin {
            attempts_remaining: 2
        })
    );
    with_keys.authenticate_ex(PinId::User, 0, USER_PIN).unwrap();
    assert_eq!(
        with_keys.authenticate_ex(PinId::User, 0, b"1"),
        Err(Error::InvalidPin)
    );
    assert!(with_keys
        .authenticate_ex(PinId::User, 0x2000_0000, USER_PIN)
        .is_err());
    with_keys.deauthenticate_ex(0xFF, 0).unwrap();
    assert!(with_keys.deauthenticate_ex(0xFF, 1).is_err());
}

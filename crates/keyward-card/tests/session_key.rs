//! The second key establishment of secure key injection: an AES session key wrapped with a
//! card container's RSA key (`CardImportSessionKey` on the client, `MDImportSessionKey` on the
//! server, the card's nonce as the key's IV), then secure functions over it; the card's
//! IMPORT SESSION KEY and plain public-key reads; every refusal with its Windows status.

mod common;

use common::{ec_key, keys, personalization, rsa_key, ADMIN_PIN, USER_PIN};
use keyward_card::apdu::StatusWord;
use keyward_card::card::{VirtualCard, ATR};
use keyward_card::channel::SecureChannel;
use keyward_card::error::{
    SCARD_E_INVALID_PARAMETER, SCARD_E_NO_KEY_CONTAINER, SCARD_E_NO_SMARTCARD,
    SCARD_E_UNSUPPORTED_FEATURE, SCARD_W_SECURITY_VIOLATION, SCARD_W_WRONG_CHV,
};
use keyward_card::instructions::{
    self, key_data_blob, OaepHash, PinId, PublicKey, AT_ECDSA_P256, AT_KEYEXCHANGE, AT_SIGNATURE,
};
use keyward_card::minidriver::properties::{
    CARD_PADDING_OAEP, CARD_PADDING_PKCS1, CKP_INITIALIZATION_VECTOR,
};
use keyward_card::minidriver::secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair, SecureFunctionOutput,
    CSF_AUTHENTICATE, CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR, PIN_CHANGE_FLAG_CHANGEPIN,
};
use keyward_card::minidriver::session_key::{
    rsa_spki_der, wrap_session_key, OaepPaddingInfo, BCRYPT_KEY_DATA_BLOB,
};
use keyward_card::minidriver::{
    CardContext, CardData, CardKeyHandle, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::scp03::{CardSession, HostSession, SecurityLevel};
use keyward_card::transport::{InProcess, Transport};
use keyward_card::Error;
use keyward_core::backend::rsa::OaepPublicKey;

const WRAP_CONTAINER: u8 = 1;
const SESSION_KEY: [u8; 16] = *b"0123456789abcdef";

fn oaep(hash: OaepHash) -> OaepPaddingInfo {
    OaepPaddingInfo {
        hash,
        label: Vec::new(),
    }
}

/// A card with an RSA key-exchange key in container 1 (and an RSA signature key in 2, an EC key
/// in 3), loaded over a secure channel with the static keys.
fn card() -> InProcess {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    let mut channel = SecureChannel::open(
        transport.clone(),
        &keyward_card::card::DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    for (container, key_spec, pkcs8) in [
        (WRAP_CONTAINER, AT_KEYEXCHANGE, rsa_key().1.as_slice()),
        (2, AT_SIGNATURE, rsa_key().1.as_slice()),
        (3, AT_ECDSA_P256, ec_key().pkcs8.as_slice()),
    ] {
        channel
            .import_key_pair(container, PinId::User, key_spec, pkcs8)
            .unwrap();
    }
    // Out and in again: no session open, no PIN verified.
    let mut transport = channel.into_transport();
    transport.reset().unwrap();
    transport
}

fn server() -> CardContext {
    CardContext::acquire(
        CardData {
            version: 7,
            atr: Vec::new(),
            card_name: String::new(),
            transport: None,
            vendor: VendorConfig::new(Some(keys(16))),
        },
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
    )
    .unwrap()
}

fn new_client(transport: &InProcess, static_keys: bool) -> CardContext {
    CardContext::acquire(
        CardData {
            version: 7,
            atr: ATR.to_vec(),
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(transport.clone())),
            vendor: VendorConfig::new(static_keys.then(|| keys(16))),
        },
        0,
    )
    .unwrap()
}

/// The documented RSA flow: the client reads the container's public key, the server wraps
/// its session key with it, the client imports it, the IV (the card's nonce) goes to the
/// server. Returns (server, server key, client, client key).
fn establish(transport: &InProcess) -> (CardContext, CardKeyHandle, CardContext, CardKeyHandle) {
    let mut client = new_client(transport, false);
    let mut server = server();
    let public = client.get_container_info(WRAP_CONTAINER).unwrap();
    assert_eq!(public.key_spec, AT_KEYEXCHANGE);
    let wrapped = wrap_session_key(&public.key, OaepHash::Sha256, &SESSION_KEY).unwrap();
    assert_eq!(wrapped.len(), 256);
    let client_key = client
        .import_session_key(
            WRAP_CONTAINER,
            &oaep(OaepHash::Sha256),
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
            key_data_blob(&SESSION_KEY).unwrap().expose(),
        )
        .unwrap();
    let iv = client
        .get_key_property(client_key, CKP_INITIALIZATION_VECTOR, 0)
        .unwrap();
    assert_eq!(iv.len(), 16);
    server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &iv, 0)
        .unwrap();
    client
        .set_key_property(client_key, CKP_INITIALIZATION_VECTOR, &iv, 0)
        .unwrap();
    (server, server_key, client, client_key)
}

fn inject(
    server: &mut CardContext,
    server_key: CardKeyHandle,
    client: &mut CardContext,
    client_key: CardKeyHandle,
    function: &str,
    payload: &[u8],
) -> Result<SecureFunctionOutput, Error> {
    let blobs = server
        .md_encrypt_data(server_key, function, payload, 0)
        .unwrap();
    client.process_encrypted_data(client_key, function, &blobs, 0)
}

#[test]
fn sessions_from_one_session_key_and_nonce_interoperate() {
    let nonce = [7u8; 16];
    for key in [&[1u8; 16][..], &[2u8; 24], &[3u8; 32]] {
        let mut host = HostSession::from_session_key(key, &nonce, SecurityLevel::Full).unwrap();
        let mut card = CardSession::from_session_key(key, &nonce, SecurityLevel::Full).unwrap();
        let command = instructions::verify_pin(PinId::User, b"1234").unwrap();
        let wrapped = host.wrap_command(&command).unwrap();
        assert_ne!(wrapped.data(), command.data(), "the PIN travels encrypted");
        assert_eq!(card.unwrap_command(&wrapped).unwrap(), command);
        // Another nonce, another session: the MAC does not verify.
        let mut other = CardSession::from_session_key(key, &[8; 16], SecurityLevel::Full).unwrap();
        let wrapped = host.wrap_command(&command).unwrap();
        assert_eq!(other.unwrap_command(&wrapped), Err(Error::MacMismatch));
    }
    assert!(HostSession::from_session_key(&[1; 20], &nonce, SecurityLevel::Full).is_err());
}

#[test]
fn the_card_imports_session_keys_and_reads_public_keys_in_the_clear() {
    let mut transport = card();
    // READ PUBLIC KEY without secure messaging, then READ OUTPUT.
    let answer = transport
        .transmit(&instructions::read_public_key(WRAP_CONTAINER).unwrap())
        .unwrap();
    let length = instructions::output_length(instructions::check(&answer).unwrap()).unwrap();
    let mut record = Vec::new();
    while record.len() < length {
        let chunk = transport
            .transmit(&instructions::read_output(record.len() as u16).unwrap())
            .unwrap();
        record.extend_from_slice(instructions::check(&chunk).unwrap());
    }
    let public = instructions::ContainerPublicKey::parse(&record).unwrap();
    let PublicKey::Rsa { modulus, exponent } = &public.key else {
        panic!("not RSA");
    };

    // IMPORT SESSION KEY: two blocks, the nonce in the answer, a session at level 33.
    let wrapped = wrap_session_key(&public.key, OaepHash::Sha1, &SESSION_KEY).unwrap();
    let commands =
        instructions::import_session_key(WRAP_CONTAINER, OaepHash::Sha1, &wrapped).unwrap();
    assert_eq!(commands.len(), 2);
    assert_eq!(
        transport.transmit(&commands[0]).unwrap().sw,
        StatusWord::SUCCESS
    );
    let answer = transport.transmit(&commands[1]).unwrap();
    let nonce: [u8; 16] = instructions::check(&answer).unwrap().try_into().unwrap();
    assert_eq!(
        transport.with_card(|card| card.security_level()).unwrap(),
        Some(SecurityLevel::Full)
    );
    let mut host =
        HostSession::from_session_key(&SESSION_KEY, &nonce, SecurityLevel::Full).unwrap();
    let verify = host
        .wrap_command(&instructions::verify_pin(PinId::User, USER_PIN).unwrap())
        .unwrap();
    let response = host
        .unwrap_response(&transport.transmit(&verify).unwrap())
        .unwrap();
    assert_eq!(response.sw, StatusWord::SUCCESS);
    // Inside the session a plain READ PUBLIC KEY is refused and aborts it.
    assert_eq!(
        transport
            .transmit(&instructions::read_public_key(WRAP_CONTAINER).unwrap())
            .unwrap()
            .sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(
        transport.with_card(|card| card.security_level()).unwrap(),
        None
    );

    // The card's refusals: an empty container, a signature key, an EC key, a forged
    // ciphertext, a blob that is not a key, blocks out of order.
    let sw = |transport: &mut InProcess, container: u8, ciphertext: &[u8]| {
        let commands =
            instructions::import_session_key(container, OaepHash::Sha256, ciphertext).unwrap();
        let mut last = StatusWord::SUCCESS;
        for command in &commands {
            last = transport.transmit(command).unwrap().sw;
        }
        last
    };
    let good = wrap_session_key(&public.key, OaepHash::Sha256, &SESSION_KEY).unwrap();
    assert_eq!(sw(&mut transport, 5, &good), StatusWord(0x6A88));
    assert_eq!(sw(&mut transport, 2, &good), StatusWord(0x6985));
    assert_eq!(sw(&mut transport, 3, &good), StatusWord(0x6985));
    let mut forged = good.clone();
    forged[100] ^= 1;
    assert_eq!(
        sw(&mut transport, WRAP_CONTAINER, &forged),
        StatusWord::INCORRECT_DATA
    );
    let oaep_key = OaepPublicKey::from_spki_der(&rsa_spki_der(modulus, exponent)).unwrap();
    for plaintext in [
        &SESSION_KEY[..],
        &key_data_blob(&SESSION_KEY).unwrap().expose()[..27],
        &[key_data_blob(&SESSION_KEY).unwrap().expose(), &[0][..]].concat(),
    ] {
        let ciphertext = oaep_key
            .encrypt(keyward_core::backend::HashAlgorithm::Sha256, &[], plaintext)
            .unwrap();
        assert_eq!(
            sw(&mut transport, WRAP_CONTAINER, &ciphertext),
            StatusWord::INCORRECT_DATA
        );
    }
    // The last block alone, or a block of an IMPORT KEY PAIR in between: refused.
    let commands =
        instructions::import_session_key(WRAP_CONTAINER, OaepHash::Sha256, &good).unwrap();
    assert_eq!(
        transport.transmit(&commands[1]).unwrap().sw,
        StatusWord::INCORRECT_P1_P2
    );
    transport.transmit(&commands[0]).unwrap();
    let plain_import = instructions::import_key_pair(0, PinId::User, 1, &rsa_key().1).unwrap();
    transport.transmit(&plain_import[0]).unwrap();
    assert_eq!(
        transport.transmit(&commands[1]).unwrap().sw,
        StatusWord::INCORRECT_P1_P2
    );
    // A plain READ OUTPUT never reads what a secure command produced.
    let mut channel = SecureChannel::open(
        transport.clone(),
        &keyward_card::card::DEFAULT_AID,
        &keys(16),
        SecurityLevel::Full,
    )
    .unwrap();
    channel.verify_pin(PinId::User, USER_PIN).unwrap();
    let digest = [0x11u8; 32];
    channel
        .execute(&instructions::sign(2, instructions::SignatureHash::Sha256, &digest).unwrap())
        .unwrap();
    let mut plain = channel.into_transport();
    assert_eq!(
        plain
            .transmit(&instructions::read_output(0).unwrap())
            .unwrap()
            .sw,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED,
        "a plain command in the session aborts it, and the signature is gone"
    );
    assert_eq!(
        plain
            .transmit(&instructions::read_output(0).unwrap())
            .unwrap()
            .sw,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
}

#[test]
fn injects_over_an_rsa_wrapped_session_key() {
    let transport = card();
    let (mut server, server_key, mut client, client_key) = establish(&transport);
    // The user PIN authenticates through CSF_AUTHENTICATE, then changes.
    assert_eq!(
        inject(
            &mut server,
            server_key,
            &mut client,
            client_key,
            CSF_AUTHENTICATE,
            &CardAuthenticate {
                flags: 0,
                pin: PinId::User,
                pin_data: USER_PIN.to_vec(),
            }
            .to_bytes(),
        ),
        Ok(SecureFunctionOutput::Authenticate {
            attempts_remaining: None
        })
    );
    let new_pin = b"97531864";
    inject(
        &mut server,
        server_key,
        &mut client,
        client_key,
        CSF_CHANGE_AUTHENTICATOR,
        &CardChangeAuthenticator {
            flags: PIN_CHANGE_FLAG_CHANGEPIN,
            authenticating_pin: PinId::User,
            authenticating_pin_data: USER_PIN.to_vec(),
            target_pin: PinId::User,
            target_data: new_pin.to_vec(),
            retry_count: 0,
        }
        .to_bytes(),
    )
    .unwrap();
    // A key pair (several blobs) into container 4, after the admin PIN in the same session:
    // its CSF_AUTHENTICATE blob leads the import's blobs in one call.
    let import = CardImportKeyPair {
        container: 4,
        pin: PinId::Admin,
        key_spec: u32::from(AT_SIGNATURE),
        key_size: 2048,
        key: rsa_key().1.clone(),
    };
    let admin = CardAuthenticate {
        flags: 0,
        pin: PinId::Admin,
        pin_data: ADMIN_PIN.to_vec(),
    };
    let mut blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &admin.to_bytes(), 0)
        .unwrap();
    let import_blobs = server
        .md_encrypt_data(server_key, CSF_IMPORT_KEYPAIR, &import.to_bytes(), 0)
        .unwrap();
    assert!(import_blobs.len() > 1);
    blobs.extend(import_blobs);
    client
        .process_encrypted_data(client_key, CSF_IMPORT_KEYPAIR, &blobs, 0)
        .unwrap();
    assert!(transport
        .with_card(|card| card.container_in_use(4))
        .unwrap());
    server.destroy_key(server_key).unwrap();
    client.destroy_key(client_key).unwrap();

    // Without the admin PIN, a session-key session takes no key pair: the card refuses the
    // first block, ends the handle's use, and container 5 stays empty.
    let (mut server, server_key, mut client, client_key) = establish(&transport);
    let import = CardImportKeyPair {
        container: 5,
        pin: PinId::Admin,
        key_spec: u32::from(AT_SIGNATURE),
        key_size: 2048,
        key: rsa_key().1.clone(),
    };
    assert_eq!(
        inject(
            &mut server,
            server_key,
            &mut client,
            client_key,
            CSF_IMPORT_KEYPAIR,
            &import.to_bytes(),
        ),
        Err(Error::SecurityStatusNotSatisfied)
    );
    assert!(!transport
        .with_card(|card| card.container_in_use(5))
        .unwrap());
    // A user PIN blob in front of the import is not the admin's: refused before sending.
    let user = CardAuthenticate {
        flags: 0,
        pin: PinId::User,
        pin_data: new_pin.to_vec(),
    };
    let (mut server, server_key, mut client, client_key) = establish(&transport);
    let mut blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &user.to_bytes(), 0)
        .unwrap();
    blobs.extend(
        server
            .md_encrypt_data(server_key, CSF_IMPORT_KEYPAIR, &import.to_bytes(), 0)
            .unwrap(),
    );
    assert!(matches!(
        client.process_encrypted_data(client_key, CSF_IMPORT_KEYPAIR, &blobs, 0),
        Err(Error::InvalidParameter(_))
    ));

    // The injected PIN authenticates through CardAuthenticateEx.
    let mut user = new_client(&transport, true);
    assert_eq!(
        user.authenticate_ex(PinId::User, 0, USER_PIN)
            .unwrap_err()
            .status(),
        SCARD_W_WRONG_CHV
    );
    user.authenticate_ex(PinId::User, 0, new_pin).unwrap();
    user.authenticate_ex(PinId::Admin, 0, ADMIN_PIN).unwrap();
}

#[test]
fn blobs_of_an_earlier_import_do_not_replay() {
    let transport = card();
    let (mut server, server_key, mut client, client_key) = establish(&transport);
    let payload = CardAuthenticate {
        flags: 0,
        pin: PinId::User,
        pin_data: USER_PIN.to_vec(),
    }
    .to_bytes();
    let old_blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &payload, 0)
        .unwrap();
    client
        .process_encrypted_data(client_key, CSF_AUTHENTICATE, &old_blobs, 0)
        .unwrap();
    // The same wrapped key imported again by the same client: a new nonce, a new session.
    // The old handle is dead, and the old blobs fail their MAC under the new session keys.
    let public = client.get_container_info(WRAP_CONTAINER).unwrap();
    let wrapped = wrap_session_key(&public.key, OaepHash::Sha256, &SESSION_KEY).unwrap();
    let new_key = client
        .import_session_key(
            WRAP_CONTAINER,
            &oaep(OaepHash::Sha256),
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            &wrapped,
            CARD_PADDING_OAEP,
        )
        .unwrap();
    assert_eq!(
        client.process_encrypted_data(client_key, CSF_AUTHENTICATE, &old_blobs, 0),
        Err(Error::InvalidHandle)
    );
    assert_eq!(
        transport.with_card(|card| card.security_level()).unwrap(),
        Some(SecurityLevel::Full)
    );
    let error = client
        .process_encrypted_data(new_key, CSF_AUTHENTICATE, &old_blobs, 0)
        .unwrap_err();
    assert_eq!(error, Error::SecurityStatusNotSatisfied);
    assert_eq!(error.status(), SCARD_W_SECURITY_VIOLATION);
    assert_eq!(
        transport.with_card(|card| card.security_level()).unwrap(),
        None,
        "the card aborted the session"
    );
}

#[test]
fn import_and_property_refusals() {
    let transport = card();
    let mut client = new_client(&transport, false);
    let public = client.get_container_info(WRAP_CONTAINER).unwrap();
    let wrapped = wrap_session_key(&public.key, OaepHash::Sha256, &SESSION_KEY).unwrap();
    let import = |client: &mut CardContext,
                  container: u8,
                  padding: &OaepPaddingInfo,
                  blob_type: &str,
                  algorithm: &str,
                  flags: u32| {
        client
            .import_session_key(container, padding, blob_type, algorithm, &wrapped, flags)
            .map(drop)
            .unwrap_err()
    };
    let sha256 = oaep(OaepHash::Sha256);
    let cases = [
        (
            WRAP_CONTAINER,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_PKCS1,
            SCARD_E_UNSUPPORTED_FEATURE,
        ),
        (
            WRAP_CONTAINER,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            0x40,
            SCARD_E_INVALID_PARAMETER,
        ),
        (
            WRAP_CONTAINER,
            &sha256,
            "OpaqueKeyBlob",
            "AES",
            CARD_PADDING_OAEP,
            SCARD_E_UNSUPPORTED_FEATURE,
        ),
        (
            WRAP_CONTAINER,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "3DES",
            CARD_PADDING_OAEP,
            SCARD_E_INVALID_PARAMETER,
        ),
        (
            8,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_OAEP,
            SCARD_E_NO_KEY_CONTAINER,
        ),
        (
            5,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_OAEP,
            SCARD_E_NO_KEY_CONTAINER,
        ),
        (
            2,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_OAEP,
            SCARD_E_UNSUPPORTED_FEATURE,
        ),
        // Wrapped with SHA-256, unwrapped with SHA-1: the card cannot decrypt it.
        (
            WRAP_CONTAINER,
            &oaep(OaepHash::Sha1),
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_OAEP,
            SCARD_E_INVALID_PARAMETER,
        ),
    ];
    for (container, padding, blob_type, algorithm, flags, status) in cases {
        assert_eq!(
            import(&mut client, container, padding, blob_type, algorithm, flags).status(),
            status,
            "{container} {padding:?} {blob_type} {algorithm} {flags:#x}"
        );
    }
    let labelled = OaepPaddingInfo {
        hash: OaepHash::Sha256,
        label: b"label".to_vec(),
    };
    assert_eq!(
        import(
            &mut client,
            WRAP_CONTAINER,
            &labelled,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            CARD_PADDING_OAEP
        )
        .status(),
        SCARD_E_UNSUPPORTED_FEATURE
    );

    // The client's IV is the card's nonce and nothing else.
    let client_key = client
        .import_session_key(
            WRAP_CONTAINER,
            &sha256,
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            &wrapped,
            CARD_PADDING_OAEP,
        )
        .unwrap();
    let iv = client
        .get_key_property(client_key, CKP_INITIALIZATION_VECTOR, 0)
        .unwrap();
    let mut other = iv.clone();
    other[0] ^= 1;
    for bad in [&other[..], &iv[..15], &[]] {
        assert_eq!(
            client
                .set_key_property(client_key, CKP_INITIALIZATION_VECTOR, bad, 0)
                .unwrap_err()
                .status(),
            SCARD_E_INVALID_PARAMETER
        );
    }

    // The server's key: blob checks, then no MDEncryptData before the IV, an IV of 16 bytes,
    // fixed once the key is in use.
    let mut server = server();
    for (blob_type, algorithm, blob, status) in [
        (
            "OpaqueKeyBlob",
            "AES",
            key_data_blob(&SESSION_KEY).unwrap().expose().to_vec(),
            SCARD_E_UNSUPPORTED_FEATURE,
        ),
        (
            BCRYPT_KEY_DATA_BLOB,
            "RSA",
            key_data_blob(&SESSION_KEY).unwrap().expose().to_vec(),
            SCARD_E_INVALID_PARAMETER,
        ),
        (
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            SESSION_KEY.to_vec(),
            SCARD_E_INVALID_PARAMETER,
        ),
    ] {
        assert_eq!(
            server
                .md_import_session_key(blob_type, algorithm, &blob)
                .unwrap_err()
                .status(),
            status
        );
    }
    let server_key = server
        .md_import_session_key(
            BCRYPT_KEY_DATA_BLOB,
            "AES",
            key_data_blob(&SESSION_KEY).unwrap().expose(),
        )
        .unwrap();
    let payload = CardAuthenticate {
        flags: 0,
        pin: PinId::User,
        pin_data: USER_PIN.to_vec(),
    }
    .to_bytes();
    assert!(matches!(
        server.md_encrypt_data(server_key, CSF_AUTHENTICATE, &payload, 0),
        Err(Error::OutOfOrder(_))
    ));
    assert_eq!(
        server
            .get_key_property(server_key, CKP_INITIALIZATION_VECTOR, 0)
            .unwrap_err()
            .status(),
        SCARD_E_INVALID_PARAMETER
    );
    assert!(server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &iv[..8], 0)
        .is_err());
    server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &other, 0)
        .unwrap();
    server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &iv, 0)
        .unwrap();
    assert_eq!(
        server
            .get_key_property(server_key, CKP_INITIALIZATION_VECTOR, 0)
            .unwrap(),
        iv
    );
    let blobs = server
        .md_encrypt_data(server_key, CSF_AUTHENTICATE, &payload, 0)
        .unwrap();
    assert!(matches!(
        server.set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &other, 0),
        Err(Error::OutOfOrder(_))
    ));
    server
        .set_key_property(server_key, CKP_INITIALIZATION_VECTOR, &iv, 0)
        .unwrap();
    client
        .process_encrypted_data(client_key, CSF_AUTHENTICATE, &blobs, 0)
        .unwrap();

    // No-card mode has neither CardImportSessionKey nor CardGetContainerInfo; a client
    // session key is no server key and the reverse.
    assert_eq!(
        server
            .import_session_key(
                WRAP_CONTAINER,
                &sha256,
                BCRYPT_KEY_DATA_BLOB,
                "AES",
                &wrapped,
                CARD_PADDING_OAEP
            )
            .unwrap_err()
            .status(),
        SCARD_E_NO_SMARTCARD
    );
    assert_eq!(
        server.get_container_info(WRAP_CONTAINER),
        Err(Error::NoCard)
    );
    assert_eq!(
        client.md_encrypt_data(client_key, CSF_AUTHENTICATE, &payload, 0),
        Err(Error::InvalidHandle)
    );
    assert_eq!(
        server.process_encrypted_data(server_key, CSF_AUTHENTICATE, &blobs, 0),
        Err(Error::InvalidHandle)
    );
    // CardGetContainerInfo of an empty container, and of an EC one.
    assert_eq!(client.get_container_info(6), Err(Error::NoKeyContainer));
    assert_eq!(client.get_container_info(9), Err(Error::NoKeyContainer));
    assert!(matches!(
        client.get_container_info(3).unwrap().key,
        PublicKey::EcP256 { .. }
    ));
}

//! The property calls of the minidriver: `CardGetProperty` (the four secure-key-injection
//! properties), `CardGetAlgorithmProperty`, `CardGetKeyProperty` / `CardSetKeyProperty`, with
//! their byte encodings, the `cbData` rule, their Windows status values, and no-card mode.

mod common;

use common::{keys, personalization};
use keyward_card::card::{VirtualCard, ATR};
use keyward_card::error::{
    ERROR_INSUFFICIENT_BUFFER, SCARD_E_INVALID_HANDLE, SCARD_E_INVALID_PARAMETER,
    SCARD_E_NO_SMARTCARD, SCARD_E_UNSUPPORTED_FEATURE,
};
use keyward_card::minidriver::properties::{
    copy_out, parse_dword, parse_wide_multi_string, parse_wide_string, wide_string,
    BCRYPT_KEY_LENGTHS, CARD_AES_ALGORITHM, CARD_ASYMMETRIC_OPERATION, CARD_BLOCK_PADDING,
    CARD_CHAIN_MODE_CBC, CARD_CIPHER_OPERATION, CARD_KEY_IMPORT_RSA_KEYEST,
    CARD_KEY_IMPORT_SHARED_SYMMETRIC, CARD_PADDING_OAEP, CKP_BLOCK_LENGTH, CKP_CHAINING_MODE,
    CKP_INITIALIZATION_VECTOR, CP_CHAINING_MODES, CP_ENUM_ALGORITHMS, CP_KEY_IMPORT_SUPPORT,
    CP_PADDING_SCHEMES,
};
use keyward_card::minidriver::{
    CardContext, CardData, CardKeyHandle, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::transport::InProcess;
use keyward_card::Error;

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

fn client() -> CardContext {
    let transport = InProcess::new(VirtualCard::in_memory(personalization()).unwrap());
    CardContext::acquire(
        CardData {
            version: 7,
            atr: ATR.to_vec(),
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(transport)),
            vendor: VendorConfig::new(None),
        },
        0,
    )
    .unwrap()
}

/// Establishes a shared key; returns both contexts and their handles.
fn shared_key() -> (CardContext, CardKeyHandle, CardContext, CardKeyHandle) {
    let mut server = server();
    let mut client = client();
    let host = server.get_shared_key_handle(&[]).unwrap().output.unwrap();
    let card = client.get_shared_key_handle(&host).unwrap().output.unwrap();
    let step3 = server.get_shared_key_handle(&card).unwrap();
    let step4 = client
        .get_shared_key_handle(&step3.output.unwrap())
        .unwrap();
    (server, step3.key.unwrap(), client, step4.key.unwrap())
}

#[test]
fn card_properties_report_the_shared_key_path() {
    let client = client();
    let support = client.get_property(CP_KEY_IMPORT_SUPPORT, 0).unwrap();
    assert_eq!(support, [0x0A, 0, 0, 0]);
    assert_eq!(
        parse_dword(&support).unwrap(),
        CARD_KEY_IMPORT_SHARED_SYMMETRIC | CARD_KEY_IMPORT_RSA_KEYEST
    );

    let ciphers = client
        .get_property(CP_ENUM_ALGORITHMS, CARD_CIPHER_OPERATION)
        .unwrap();
    assert_eq!(ciphers, b"A\0E\0S\0\0\0\0\0");
    assert_eq!(parse_wide_multi_string(&ciphers).unwrap(), ["AES"]);
    let asymmetric = client
        .get_property(CP_ENUM_ALGORITHMS, CARD_ASYMMETRIC_OPERATION)
        .unwrap();
    assert_eq!(asymmetric, b"R\0S\0A\0\0\0\0\0");

    assert_eq!(
        client
            .get_property(CP_PADDING_SCHEMES, CARD_CIPHER_OPERATION)
            .unwrap(),
        CARD_BLOCK_PADDING.to_le_bytes()
    );
    assert_eq!(
        client
            .get_property(CP_PADDING_SCHEMES, CARD_ASYMMETRIC_OPERATION)
            .unwrap(),
        CARD_PADDING_OAEP.to_le_bytes()
    );

    for flags in [0, CARD_CIPHER_OPERATION] {
        let modes = client.get_property(CP_CHAINING_MODES, flags).unwrap();
        assert_eq!(
            parse_wide_multi_string(&modes).unwrap(),
            [CARD_CHAIN_MODE_CBC]
        );
        assert_eq!(modes.len(), (15 + 1 + 1) * 2);
    }
}

#[test]
fn card_property_errors() {
    let client = client();
    // Flags a property does not define.
    for (property, flags) in [
        (CP_KEY_IMPORT_SUPPORT, 1),
        (CP_ENUM_ALGORITHMS, 0),
        (CP_ENUM_ALGORITHMS, 3),
        (CP_PADDING_SCHEMES, 0),
        (CP_PADDING_SCHEMES, 4),
        (CP_CHAINING_MODES, CARD_ASYMMETRIC_OPERATION),
        ("Free Space", 1),
    ] {
        let error = client.get_property(property, flags).unwrap_err();
        assert_eq!(
            error.status(),
            SCARD_E_INVALID_PARAMETER,
            "{property} {flags}"
        );
    }
    // cardmod properties outside secure key injection, and unknown names.
    for property in ["Free Space", "PIN Information", "Card Identifier"] {
        assert_eq!(
            client.get_property(property, 0).unwrap_err().status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
    }
    for property in ["", "algorithms", "Key Import Support ", "IV"] {
        assert_eq!(
            client.get_property(property, 0).unwrap_err().status(),
            SCARD_E_INVALID_PARAMETER,
            "{property:?}"
        );
    }
    // No-card mode does not allow CardGetProperty, whatever the property.
    let server = server();
    for property in [CP_KEY_IMPORT_SUPPORT, "nonsense"] {
        let error = server.get_property(property, 0).unwrap_err();
        assert_eq!(error, Error::NoCard);
        assert_eq!(error.status(), SCARD_E_NO_SMARTCARD);
    }
}

#[test]
fn algorithm_properties_on_both_sides() {
    // CardGetAlgorithmProperty is allowed in no-card mode and answers the same there.
    for context in [server(), client()] {
        assert_eq!(
            context
                .get_algorithm_property(CARD_AES_ALGORITHM, CKP_CHAINING_MODE, 0)
                .unwrap(),
            wide_string("ChainingModeCBC")
        );
        assert_eq!(
            context
                .get_algorithm_property(CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, 0)
                .unwrap(),
            [16, 0, 0, 0]
        );
        assert_eq!(
            context
                .get_algorithm_property(CARD_AES_ALGORITHM, BCRYPT_KEY_LENGTHS, 0)
                .unwrap(),
            [128, 0, 0, 0, 0, 1, 0, 0, 64, 0, 0, 0]
        );
        assert_eq!(
            context
                .get_algorithm_property("RSA", BCRYPT_KEY_LENGTHS, 0)
                .unwrap(),
            [0, 8, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0]
        );
        for (algorithm, property, flags) in [
            (CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, 1),
            ("RSA", BCRYPT_KEY_LENGTHS, 1),
            ("RSA", CKP_BLOCK_LENGTH, 0),
            ("RSA", CKP_CHAINING_MODE, 0),
            ("3DES", CKP_BLOCK_LENGTH, 0),
            ("aes", CKP_BLOCK_LENGTH, 0),
            (CARD_AES_ALGORITHM, CKP_INITIALIZATION_VECTOR, 0),
            (CARD_AES_ALGORITHM, "Chaining Modes", 0),
        ] {
            assert_eq!(
                context
                    .get_algorithm_property(algorithm, property, flags)
                    .unwrap_err()
                    .status(),
                SCARD_E_INVALID_PARAMETER,
                "{algorithm} {property} {flags}"
            );
        }
    }
}

#[test]
fn key_properties_of_a_shared_key() {
    let (mut server, server_key, mut client, client_key) = shared_key();
    for (context, key) in [(&mut server, server_key), (&mut client, client_key)] {
        let mode = context.get_key_property(key, CKP_CHAINING_MODE, 0).unwrap();
        assert_eq!(parse_wide_string(&mode).unwrap(), CARD_CHAIN_MODE_CBC);
        assert_eq!(
            context.get_key_property(key, CKP_BLOCK_LENGTH, 0).unwrap(),
            [16, 0, 0, 0]
        );
        // CBC is the mode SCP03 uses; setting it again is accepted.
        context
            .set_key_property(key, CKP_CHAINING_MODE, &wide_string(CARD_CHAIN_MODE_CBC), 0)
            .unwrap();
        // Another mode is unsupported; a malformed string is a bad parameter.
        assert_eq!(
            context
                .set_key_property(key, CKP_CHAINING_MODE, &wide_string("ChainingModeECB"), 0)
                .unwrap_err()
                .status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        for malformed in [&b"C\0B\0C\0"[..], b"", b"C"] {
            assert_eq!(
                context
                    .set_key_property(key, CKP_CHAINING_MODE, malformed, 0)
                    .unwrap_err()
                    .status(),
                SCARD_E_INVALID_PARAMETER
            );
        }
        // The SCP03 ICV is derived per command: there is no IV to read or set.
        assert_eq!(
            context
                .get_key_property(key, CKP_INITIALIZATION_VECTOR, 0)
                .unwrap_err()
                .status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        assert_eq!(
            context
                .set_key_property(key, CKP_INITIALIZATION_VECTOR, &[0; 16], 0)
                .unwrap_err()
                .status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        // Block length is read-only.
        assert_eq!(
            context
                .set_key_property(key, CKP_BLOCK_LENGTH, &[16, 0, 0, 0], 0)
                .unwrap_err()
                .status(),
            SCARD_E_UNSUPPORTED_FEATURE
        );
        // Flags, unknown properties.
        assert_eq!(
            context
                .get_key_property(key, CKP_BLOCK_LENGTH, 1)
                .unwrap_err()
                .status(),
            SCARD_E_INVALID_PARAMETER
        );
        assert_eq!(
            context
                .set_key_property(key, CKP_CHAINING_MODE, &wide_string(CARD_CHAIN_MODE_CBC), 1)
                .unwrap_err()
                .status(),
            SCARD_E_INVALID_PARAMETER
        );
        assert_eq!(
            context
                .get_key_property(key, "KeyLength", 0)
                .unwrap_err()
                .status(),
            SCARD_E_INVALID_PARAMETER
        );
        assert_eq!(
            context
                .set_key_property(key, "KeyLength", &[0; 4], 0)
                .unwrap_err()
                .status(),
            SCARD_E_INVALID_PARAMETER
        );
    }
    // The handle is checked before everything else, and a destroyed key is gone.
    assert_eq!(
        server
            .get_key_property(client_key, "KeyLength", 1)
            .unwrap_err()
            .status(),
        SCARD_E_INVALID_HANDLE
    );
    server.destroy_key(server_key).unwrap();
    assert_eq!(
        server.get_key_property(server_key, CKP_BLOCK_LENGTH, 0),
        Err(Error::InvalidHandle)
    );
    assert_eq!(
        server.set_key_property(server_key, CKP_CHAINING_MODE, &wide_string("x"), 0),
        Err(Error::InvalidHandle)
    );
    // The key still works after its properties were read and set.
    let (mut server, server_key, mut client, client_key) = shared_key();
    server
        .set_key_property(
            server_key,
            CKP_CHAINING_MODE,
            &wide_string(CARD_CHAIN_MODE_CBC),
            0,
        )
        .unwrap();
    let blobs = server
        .md_encrypt_data(
            server_key,
            keyward_card::minidriver::secure_function::CSF_AUTHENTICATE,
            &keyward_card::minidriver::secure_function::CardAuthenticate {
                flags: 0,
                pin: keyward_card::instructions::PinId::User,
                pin_data: common::USER_PIN.to_vec(),
            }
            .to_bytes(),
            0,
        )
        .unwrap();
    client
        .process_encrypted_data(
            client_key,
            keyward_card::minidriver::secure_function::CSF_AUTHENTICATE,
            &blobs,
            0,
        )
        .unwrap();
}

#[test]
fn values_go_out_through_the_cbdata_rule() {
    let client = client();
    let value = client
        .get_property(CP_ENUM_ALGORITHMS, CARD_CIPHER_OPERATION)
        .unwrap();
    // Size query with a NULL pbData, then the real call.
    let error = copy_out(&value, None).unwrap_err();
    assert_eq!(error, Error::BufferTooSmall { needed: 10 });
    assert_eq!(error.status(), ERROR_INSUFFICIENT_BUFFER);
    let mut buffer = vec![0u8; 10];
    assert_eq!(copy_out(&value, Some(&mut buffer)).unwrap(), 10);
    assert_eq!(parse_wide_multi_string(&buffer).unwrap(), ["AES"]);
}

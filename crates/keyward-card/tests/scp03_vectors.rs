//! SCP03 against vectors we did not write: the nine osmocom pySim sessions
//! (`tests/unittests/test_globalplatform.py`, AES-128/192/256 × levels 11, 03, 33), replayed in
//! pySim's order on **both** sides, pySim's key check values, and the S-ENC/S-MAC/S-RMAC of
//! the AES-128/11 session (derived from pySim's session and re-computed independently with Python
//! `cryptography`).
//!
//! pySim's card challenges are pseudo-random: each one equals the Amd D §6.2.2.1 derivation
//! from the response's sequence counter and the SGP.22 ISD-R AID A0000005591010FFFFFFFF89000001
//! 00 (the vectors come from an eUICC: the command is GET EID). So the card side can
//! regenerate every INITIALIZE UPDATE response byte for byte, which also checks the
//! pseudo-random challenge.

use keyward_card::apdu::{CommandApdu, ResponseApdu, StatusWord};
use keyward_card::scp03::kdf::{derive_session_key, DerivationConstant};
use keyward_card::scp03::{
    key_check_value, pseudo_random_card_challenge, CardHandshake, HostHandshake,
    InitializeUpdateResponse, ScpOptions, SecurityLevel, StaticKeys,
};
use keyward_card::Error;
use keyward_test_support::unhex;

const ISD_R_AID: &str = "a0000005591010ffffffff8900000100";
const GET_EID_PLAIN: &str = "80e2910006bf3e035c015a00";
const GET_EID_RESPONSE_PLAIN: &str = "bf3e125a1089882119900000000000000000000005";
const CASES_PLAIN: [&str; 4] = [
    "80f22002",
    "80ca006600",
    "80f220020a4f0212345c054f9f70c5",
    "80f28002024f0000",
];

struct Vector {
    name: &'static str,
    key_len: usize,
    init_update_command: &'static str,
    init_update_response: &'static str,
    external_authenticate: &'static str,
    get_eid_command: &'static str,
    get_eid_response: &'static str,
    cases: [&'static str; 4],
}

const VECTORS: [Vector; 9] = [
    Vector {
        name: "AES128_11",
        key_len: 16,
        init_update_command: "8050300008b13e5f938fc108c400",
        init_update_response: "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
        external_authenticate: "84821100107d5f5826a993ebc89eea24957fa0b3ce",
        get_eid_command: "84e291000ebf3e035c015a558d036518a2829700",
        get_eid_response: "bf3e125a1089882119900000000000000000000005971be68992dbbdfa",
        cases: [
            "84f220020863a63f8959827fb2",
            "84ca006608a0c6a4a74166f7ce00",
            "84f22002124f0212345c054f9f70c52249b50272656536",
            "84f280020a4f00e91443f6dce6b8ed00",
        ],
    },
    Vector {
        name: "AES128_03",
        key_len: 16,
        init_update_command: "80503000088e1552d0513c60f300",
        init_update_response: "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
        external_authenticate: "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
        get_eid_command: "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
        get_eid_response: "bf3e125a1089882119900000000000000000000005",
        cases: [
            "84f2200208c9811b11f1264cf1",
            "84ca006608e10ab60b3054798800",
            "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
            "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800",
        ],
    },
    Vector {
        name: "AES128_33",
        key_len: 16,
        init_update_command: "8050300008fdf38259a1e0de4400",
        init_update_response: "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
        external_authenticate: "84823300108c36f96bcc00724a4e13ad591d7da3f0",
        get_eid_command: "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
        get_eid_response:
            "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
        cases: [
            "84f2200208ac6a59024bed84cc",
            "84ca006608409912ad8fb7aed000",
            "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
            "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00",
        ],
    },
    Vector {
        name: "AES192_11",
        key_len: 24,
        init_update_command: "80503100087396430b768b085b00",
        init_update_response: "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
        external_authenticate: "84821100102145ed30b146f5db252fb7e624cec244",
        get_eid_command: "84e291000ebf3e035c015aff42cf801d14394400",
        get_eid_response: "bf3e125a1089882119900000000000000000000005162fbd33e04940a9",
        cases: [
            "84f22002084584e4f6784811ee",
            "84ca006608937776ebe190fa3000",
            "84f22002124f0212345c054f9f70c59a52bddf3040368c",
            "84f280020a4f009804b11411f7393d00",
        ],
    },
    Vector {
        name: "AES192_03",
        key_len: 24,
        init_update_command: "805031000869c65da8202bf19f00",
        init_update_response: "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
        external_authenticate: "848203001065df4f1a356a887905466516d9e5b7c1",
        get_eid_command: "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
        get_eid_response: "bf3e125a1089882119900000000000000000000005",
        cases: [
            "84f2200208964e188f0b1bb697",
            "84ca006608f0820035a41d3e1800",
            "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
            "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00",
        ],
    },
    Vector {
        name: "AES192_33",
        key_len: 24,
        init_update_command: "80503100089b3f2eef0e8c937400",
        init_update_response: "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
        external_authenticate: "84823300109100bc22d58b45b86a26365ce39ff3cf",
        get_eid_command: "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
        get_eid_response:
            "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
        cases: [
            "84f2200208d5d97754b6b3d2ba",
            "84ca006608516c82b8e30adbeb00",
            "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
            "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00",
        ],
    },
    Vector {
        name: "AES256_11",
        key_len: 32,
        init_update_command: "805032000811666d57866c6f5400",
        init_update_response: "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
        external_authenticate: "84821100102f2ad190eff2fafc4908996d1cebd310",
        get_eid_command: "84e291000ebf3e035c015af4b680372542b59d00",
        get_eid_response: "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1",
        cases: [
            "84f2200208d618b7da68d5fe52",
            "84ca0066088f3e055db23ad5e500",
            "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
            "84f280020a4f00aa124aa74afe7f7500",
        ],
    },
    Vector {
        name: "AES256_03",
        key_len: 32,
        init_update_command: "8050320008c6066990fc426e1d00",
        init_update_response: "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
        external_authenticate: "848203001077c493b632edadaf865a1e64acc07ce9",
        get_eid_command: "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
        get_eid_response: "bf3e125a1089882119900000000000000000000005",
        cases: [
            "84f2200208480ddc8e419da38d",
            "84ca0066083e9d6a6c0b2d732000",
            "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
            "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100",
        ],
    },
    Vector {
        name: "AES256_33",
        key_len: 32,
        init_update_command: "805032000897b2055fe58599fd00",
        init_update_response: "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
        external_authenticate: "8482330010508a0fd959d2e547c6b33154a6be2057",
        get_eid_command: "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
        get_eid_response:
            "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
        cases: [
            "84f2200208bcc5c17275545d93",
            "84ca00660804806aba9d543bb600",
            "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
            "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000",
        ],
    },
];

/// pySim's keysets: ENC = 00 01 .. 0f, MAC = 10 11 .. 1f, DEK = 20 21 .. 2f, repeated to the
/// key length; KVN 30 / 31 / 32 for AES-128 / 192 / 256.
fn pysim_keyset(key_len: usize) -> StaticKeys {
    let pattern = |base: u8| -> Vec<u8> { (0..key_len).map(|i| base + (i % 16) as u8).collect() };
    let version = match key_len {
        16 => 0x30,
        24 => 0x31,
        _ => 0x32,
    };
    StaticKeys::new(version, &pattern(0x00), &pattern(0x10), &pattern(0x20)).unwrap()
}

fn command(text: &str) -> CommandApdu {
    CommandApdu::parse(&unhex(text)).unwrap()
}

#[test]
fn host_side_replays_every_pysim_session() {
    for vector in &VECTORS {
        let keys = pysim_keyset(vector.key_len);
        let init_update = unhex(vector.init_update_command);
        let host_challenge: [u8; 8] = init_update[5..13].try_into().unwrap();
        let handshake = HostHandshake::with_host_challenge(&keys, host_challenge);
        assert_eq!(
            handshake.initialize_update_command().unwrap().to_bytes(),
            init_update,
            "{}: INITIALIZE UPDATE",
            vector.name
        );
        let level = SecurityLevel::from_p1(unhex(vector.external_authenticate)[2]).unwrap();
        let card_response =
            ResponseApdu::new(unhex(vector.init_update_response), StatusWord::SUCCESS);
        let external = handshake.authenticate(&card_response, level).unwrap();
        assert_eq!(
            hex::encode(external.command().to_bytes()),
            vector.external_authenticate,
            "{}: EXTERNAL AUTHENTICATE",
            vector.name
        );
        let mut session = external
            .finish(&ResponseApdu::status(StatusWord::SUCCESS))
            .unwrap();
        assert_eq!(session.security_level(), level);

        let wrapped = session.wrap_command(&command(GET_EID_PLAIN)).unwrap();
        assert_eq!(
            hex::encode(wrapped.to_bytes()),
            vector.get_eid_command,
            "{}: GET EID",
            vector.name
        );
        let response = ResponseApdu::new(unhex(vector.get_eid_response), StatusWord::SUCCESS);
        let plain = session.unwrap_response(&response).unwrap();
        assert_eq!(
            hex::encode(plain.data()),
            GET_EID_RESPONSE_PLAIN,
            "{}: GET EID response",
            vector.name
        );
        for (index, (plain, expected)) in CASES_PLAIN.iter().zip(vector.cases).enumerate() {
            let wrapped = session.wrap_command(&command(plain)).unwrap();
            assert_eq!(
                hex::encode(wrapped.to_bytes()),
                expected,
                "{}: case {}",
                vector.name,
                index + 1
            );
        }
        // Every command counts for C-DECRYPTION, with or without data (Amd D §6.2.6).
        let expected_counter = if level.c_decryption() { 5 } else { 0 };
        assert_eq!(
            session.encryption_counter(),
            expected_counter,
            "{}",
            vector.name
        );
    }
}

#[test]
fn card_side_replays_every_pysim_session() {
    let aid = unhex(ISD_R_AID);
    for vector in &VECTORS {
        let keys = pysim_keyset(vector.key_len);
        let expected =
            InitializeUpdateResponse::parse(&unhex(vector.init_update_response)).unwrap();
        let counter = expected.sequence_counter.unwrap();
        let card_challenge = pseudo_random_card_challenge(&keys, counter, &aid).unwrap();
        assert_eq!(
            card_challenge, expected.card_challenge,
            "{}: pseudo-random card challenge",
            vector.name
        );
        let init_update = command(vector.init_update_command);
        assert_eq!(init_update.p1, keys.version());
        let (response, handshake) = CardHandshake::initialize_update(
            &keys,
            ScpOptions::PSEUDO_RANDOM_FULL,
            [0; 10],
            init_update.data(),
            card_challenge,
            Some(counter),
        )
        .unwrap();
        assert_eq!(
            hex::encode(response.to_bytes()),
            vector.init_update_response,
            "{}: INITIALIZE UPDATE response",
            vector.name
        );
        let mut session = handshake
            .external_authenticate(&command(vector.external_authenticate))
            .unwrap();
        let plain = session
            .unwrap_command(&command(vector.get_eid_command))
            .unwrap();
        assert_eq!(
            hex::encode(plain.to_bytes()),
            GET_EID_PLAIN,
            "{}",
            vector.name
        );
        let wrapped = session
            .wrap_response(&ResponseApdu::new(
                unhex(GET_EID_RESPONSE_PLAIN),
                StatusWord::SUCCESS,
            ))
            .unwrap();
        assert_eq!(
            hex::encode(wrapped.data()),
            vector.get_eid_response,
            "{}: GET EID response",
            vector.name
        );
        for (plain, wrapped) in CASES_PLAIN.iter().zip(vector.cases) {
            let unwrapped = session.unwrap_command(&command(wrapped)).unwrap();
            // pySim raises a case-2/4 Le to 00 (256); the plain vectors already use 00.
            assert_eq!(hex::encode(unwrapped.to_bytes()), *plain, "{}", vector.name);
        }
    }
}

#[test]
fn session_keys_of_the_aes128_11_session() {
    // Reference B2.4: derived by re-computation (pySim does not list them).
    let keys = pysim_keyset(16);
    let host = unhex("b13e5f938fc108c4");
    let card = unhex("3eb51047495b249f");
    let expect = |constant, key: &[u8], value: &str| {
        let derived = derive_session_key(key, constant, &host, &card).unwrap();
        assert_eq!(hex::encode(derived.expose()), value);
    };
    let enc: Vec<u8> = (0x00..0x10).collect();
    let mac: Vec<u8> = (0x10..0x20).collect();
    expect(
        DerivationConstant::SessionEnc,
        &enc,
        "c4e87149f2114da66bb015a567d751f9",
    );
    expect(
        DerivationConstant::SessionMac,
        &mac,
        "8b2635556e987a6b84f43d9ffc197d3f",
    );
    expect(
        DerivationConstant::SessionRmac,
        &mac,
        "3f6b2ce3b3abd9a99bd4453afa54cc7b",
    );
    assert_eq!(keys.key_len(), 16);
}

#[test]
fn key_check_values_match_pysim() {
    // pySim SCP03_KCV_Test.
    let keys = pysim_keyset(16);
    let [enc, mac, dek] = keys.check_values().unwrap();
    assert_eq!(hex::encode(enc), "c35280");
    assert_eq!(hex::encode(mac), "013808");
    assert_eq!(hex::encode(dek), "840de5");
    assert_eq!(
        key_check_value(&unhex("000102030405060708090a0b0c0d0e0f")).unwrap(),
        enc
    );
}

#[test]
fn host_rejects_a_tampered_or_foreign_card_response() {
    let vector = &VECTORS[0];
    let keys = pysim_keyset(16);
    let host_challenge: [u8; 8] = unhex(vector.init_update_command)[5..13].try_into().unwrap();
    let good = unhex(vector.init_update_response);
    // Any flipped bit of challenge or cryptogram breaks the card cryptogram check.
    for position in 13..29 {
        let mut bad = good.clone();
        bad[position] ^= 0x01;
        let result = HostHandshake::with_host_challenge(&keys, host_challenge).authenticate(
            &ResponseApdu::new(bad, StatusWord::SUCCESS),
            SecurityLevel::CMacRMac,
        );
        assert!(
            matches!(result, Err(Error::CardCryptogramMismatch)),
            "byte {position}"
        );
    }
    // The same response replayed to a new handshake (another host challenge) fails too.
    let replay = HostHandshake::new(&keys).unwrap().authenticate(
        &ResponseApdu::new(good.clone(), StatusWord::SUCCESS),
        SecurityLevel::CMacRMac,
    );
    assert!(matches!(replay, Err(Error::CardCryptogramMismatch)));
    // Another keyset with the same KVN.
    let other = StaticKeys::new(0x30, &[9; 16], &[9; 16], &[9; 16]).unwrap();
    let foreign = HostHandshake::with_host_challenge(&other, host_challenge).authenticate(
        &ResponseApdu::new(good.clone(), StatusWord::SUCCESS),
        SecurityLevel::CMacRMac,
    );
    assert!(matches!(foreign, Err(Error::CardCryptogramMismatch)));
    // Key version mismatch, error status word, bad length.
    let mut version = good.clone();
    version[10] = 0x31;
    assert!(matches!(
        HostHandshake::with_host_challenge(&keys, host_challenge).authenticate(
            &ResponseApdu::new(version, StatusWord::SUCCESS),
            SecurityLevel::CMac
        ),
        Err(Error::MalformedMessage(_))
    ));
    assert!(matches!(
        HostHandshake::with_host_challenge(&keys, host_challenge).authenticate(
            &ResponseApdu::status(StatusWord::REFERENCED_DATA_NOT_FOUND),
            SecurityLevel::CMac
        ),
        Err(Error::CardStatus(StatusWord::REFERENCED_DATA_NOT_FOUND))
    ));
    assert!(matches!(
        HostHandshake::with_host_challenge(&keys, host_challenge).authenticate(
            &ResponseApdu::new(good[..31].to_vec(), StatusWord::SUCCESS),
            SecurityLevel::CMac
        ),
        Err(Error::MalformedMessage(_))
    ));
    // A card without R-MAC support cannot run level 11.
    let mut no_rmac = good;
    no_rmac[12] = 0x10;
    assert!(matches!(
        HostHandshake::with_host_challenge(&keys, host_challenge).authenticate(
            &ResponseApdu::new(no_rmac, StatusWord::SUCCESS),
            SecurityLevel::CMacRMac
        ),
        Err(Error::UnsupportedFeature(_))
    ));
}

#[test]
fn host_rejects_tampered_responses() {
    let vector = &VECTORS[2]; // AES128_33: R-MAC and R-ENCRYPTION
    let keys = pysim_keyset(16);
    let host_challenge: [u8; 8] = unhex(vector.init_update_command)[5..13].try_into().unwrap();
    let external = HostHandshake::with_host_challenge(&keys, host_challenge)
        .authenticate(
            &ResponseApdu::new(unhex(vector.init_update_response), StatusWord::SUCCESS),
            SecurityLevel::Full,
        )
        .unwrap();
    assert!(matches!(
        HostHandshake::with_host_challenge(&keys, host_challenge)
            .authenticate(
                &ResponseApdu::new(unhex(vector.init_update_response), StatusWord::SUCCESS),
                SecurityLevel::Full,
            )
            .unwrap()
            .finish(&ResponseApdu::status(StatusWord::AUTHENTICATION_FAILED)),
        Err(Error::HostAuthenticationFailed)
    ));
    let mut session = external
        .finish(&ResponseApdu::status(StatusWord::SUCCESS))
        .unwrap();
    session.wrap_command(&command(GET_EID_PLAIN)).unwrap();
    let good = unhex(vector.get_eid_response);
    for position in 0..good.len() {
        let mut bad = good.clone();
        bad[position] ^= 0x80;
        assert_eq!(
            session.unwrap_response(&ResponseApdu::new(bad, StatusWord::SUCCESS)),
            Err(Error::MacMismatch),
            "byte {position}"
        );
    }
    // The status word is MACed too.
    assert_eq!(
        session.unwrap_response(&ResponseApdu::new(good.clone(), StatusWord(0x6310))),
        Err(Error::MacMismatch)
    );
    // Missing R-MAC, and data with an error status word.
    assert_eq!(
        session.unwrap_response(&ResponseApdu::new(good[..4].to_vec(), StatusWord::SUCCESS)),
        Err(Error::MacMismatch)
    );
    assert!(matches!(
        session.unwrap_response(&ResponseApdu::new(good.clone(), StatusWord(0x6A80))),
        Err(Error::MalformedMessage(_))
    ));
    // A bare error status word passes through.
    assert_eq!(
        session
            .unwrap_response(&ResponseApdu::status(StatusWord(0x6A80)))
            .unwrap()
            .sw,
        StatusWord(0x6A80)
    );
    // The untouched response still verifies: failures changed nothing.
    let plain = session
        .unwrap_response(&ResponseApdu::new(good, StatusWord::SUCCESS))
        .unwrap();
    assert_eq!(hex::encode(plain.data()), GET_EID_RESPONSE_PLAIN);
}

#[test]
fn card_rejects_tampered_replayed_and_reordered_commands() {
    let aid = unhex(ISD_R_AID);
    let vector = &VECTORS[1]; // AES128_03: C-DECRYPTION
    let keys = pysim_keyset(16);
    let expected = InitializeUpdateResponse::parse(&unhex(vector.init_update_response)).unwrap();
    let counter = expected.sequence_counter.unwrap();
    let open = || {
        let (_, handshake) = CardHandshake::initialize_update(
            &keys,
            ScpOptions::PSEUDO_RANDOM_FULL,
            [0; 10],
            &unhex(vector.init_update_command)[5..13],
            pseudo_random_card_challenge(&keys, counter, &aid).unwrap(),
            Some(counter),
        )
        .unwrap();
        handshake
    };
    // EXTERNAL AUTHENTICATE: any flipped bit of cryptogram or MAC, or another level in P1.
    let good = unhex(vector.external_authenticate);
    for position in 5..good.len() {
        let mut bad = good.clone();
        bad[position] ^= 0x01;
        assert_eq!(
            open()
                .external_authenticate(&CommandApdu::parse(&bad).unwrap())
                .unwrap_err(),
            Error::HostAuthenticationFailed,
            "byte {position}"
        );
    }
    let mut other_level = good.clone();
    other_level[2] = 0x01;
    assert_eq!(
        open()
            .external_authenticate(&CommandApdu::parse(&other_level).unwrap())
            .unwrap_err(),
        Error::HostAuthenticationFailed
    );
    other_level[2] = 0x00;
    assert!(matches!(
        open().external_authenticate(&CommandApdu::parse(&other_level).unwrap()),
        Err(Error::UnsupportedFeature(_))
    ));
    let mut plain_class = good.clone();
    plain_class[0] = 0x80;
    assert!(open()
        .external_authenticate(&CommandApdu::parse(&plain_class).unwrap())
        .is_err());

    let mut session = open()
        .external_authenticate(&command(vector.external_authenticate))
        .unwrap();
    // Skipping GET EID: case 1 was chained to it, so it fails; the failure changes nothing.
    assert_eq!(
        session.unwrap_command(&command(vector.cases[0])),
        Err(Error::MacMismatch)
    );
    let get_eid = command(vector.get_eid_command);
    let mut tampered = unhex(vector.get_eid_command);
    tampered[7] ^= 0x40;
    assert_eq!(
        session.unwrap_command(&CommandApdu::parse(&tampered).unwrap()),
        Err(Error::MacMismatch)
    );
    session.unwrap_command(&get_eid).unwrap();
    // Replaying the same command fails: the chaining value has moved on.
    assert_eq!(session.unwrap_command(&get_eid), Err(Error::MacMismatch));
    // The next command in order still works.
    assert_eq!(
        hex::encode(
            session
                .unwrap_command(&command(vector.cases[0]))
                .unwrap()
                .to_bytes()
        ),
        CASES_PLAIN[0]
    );
    // A command without its MAC.
    assert_eq!(
        session.unwrap_command(&command("80f22002")),
        Err(Error::MacMismatch)
    );
}

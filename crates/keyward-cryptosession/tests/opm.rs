//! OPM end to end: `StartInitialization` / `FinishInitialization`, then signed
//! `GetInformation` / `Configure` requests with checked responses; and the refusals: a
//! tampered OMAC, a replayed sequence number, a wrong random number, and the rest of the
//! documented failures.

mod common;

use keyward_core::Secret;
use keyward_cryptosession::opm::{
    GetInfoParameters, InitializationParameters, Omac, OpmClient, OpmVideoOutput,
    SetProtectionLevelParameters, StandardInformation, OPM_CONNECTOR_TYPE_HDMI,
    OPM_GET_ACTUAL_OUTPUT_FORMAT, OPM_GET_ACTUAL_PROTECTION_LEVEL, OPM_GET_CONNECTOR_TYPE,
    OPM_GET_SUPPORTED_PROTECTION_TYPES, OPM_GET_VIRTUAL_PROTECTION_LEVEL, OPM_HDCP_OFF,
    OPM_HDCP_ON, OPM_PROTECTION_TYPE_ACP, OPM_PROTECTION_TYPE_HDCP, OPM_SET_PROTECTION_LEVEL,
    OPM_STATUS_NORMAL,
};
use keyward_cryptosession::{hresult, Error, KeyExchangePublicKey};

fn output() -> OpmVideoOutput {
    OpmVideoOutput::new(common::credentials())
}

/// A completed handshake.
fn initialized() -> (OpmVideoOutput, OpmClient) {
    let output = output();
    let (random_number, chain) = output.start_initialization().unwrap();
    let (client, encrypted) = OpmClient::begin(&random_number, &chain).unwrap();
    output.finish_initialization(&encrypted).unwrap();
    (output, client)
}

fn set_hdcp(level: u32) -> Vec<u8> {
    SetProtectionLevelParameters {
        protection_type: OPM_PROTECTION_TYPE_HDCP,
        protection_level: level,
        reserved: 0,
        reserved2: 0,
    }
    .to_bytes()
    .to_vec()
}

const HDCP: [u8; 4] = OPM_PROTECTION_TYPE_HDCP.to_le_bytes();

#[test]
fn full_sequence() {
    let output = output();
    let (random_number, chain) = output.start_initialization().unwrap();
    assert_eq!(chain, common::credentials().certificate_chain());
    assert_ne!(random_number, [0u8; 16]);
    let (mut client, encrypted) = OpmClient::begin(&random_number, &chain).unwrap();
    assert_eq!(encrypted.len(), 256);
    output.finish_initialization(&encrypted).unwrap();
    let status_start = client.status_sequence();
    let command_start = client.command_sequence();

    let connector = client
        .get_information(&output, OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    assert_eq!(connector.information, OPM_CONNECTOR_TYPE_HDMI);
    assert_eq!(connector.status_flags, OPM_STATUS_NORMAL);
    let types = client
        .get_information(&output, OPM_GET_SUPPORTED_PROTECTION_TYPES, &[])
        .unwrap();
    assert_eq!(types.information, OPM_PROTECTION_TYPE_HDCP);
    for query in [
        OPM_GET_VIRTUAL_PROTECTION_LEVEL,
        OPM_GET_ACTUAL_PROTECTION_LEVEL,
    ] {
        assert_eq!(
            client
                .get_information(&output, query, &HDCP)
                .unwrap()
                .information,
            OPM_HDCP_OFF
        );
    }
    client
        .configure(&output, OPM_SET_PROTECTION_LEVEL, &set_hdcp(OPM_HDCP_ON))
        .unwrap();
    for query in [
        OPM_GET_VIRTUAL_PROTECTION_LEVEL,
        OPM_GET_ACTUAL_PROTECTION_LEVEL,
    ] {
        assert_eq!(
            client
                .get_information(&output, query, &HDCP)
                .unwrap()
                .information,
            OPM_HDCP_ON
        );
    }
    client
        .configure(&output, OPM_SET_PROTECTION_LEVEL, &set_hdcp(OPM_HDCP_OFF))
        .unwrap();
    assert_eq!(
        client
            .get_information(&output, OPM_GET_VIRTUAL_PROTECTION_LEVEL, &HDCP)
            .unwrap()
            .information,
        OPM_HDCP_OFF
    );
    assert_eq!(client.status_sequence(), status_start.wrapping_add(7));
    assert_eq!(client.command_sequence(), command_start.wrapping_add(2));
}

#[test]
fn response_is_signed_and_echoes_the_random_number() {
    let (output, client) = initialized();
    let request = client
        .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    assert_eq!(request.bytes().len(), GetInfoParameters::SIZE);
    let parsed = GetInfoParameters::parse(request.bytes()).unwrap();
    assert_eq!(&parsed.random_number, request.random_number());
    assert_eq!(parsed.sequence_number, client.status_sequence());
    let response = output.get_information(request.bytes()).unwrap();
    assert_eq!(response.len(), 4096);
    let answer = keyward_cryptosession::opm::RequestedInformation::parse(&response).unwrap();
    let info = StandardInformation::parse(&answer.information).unwrap();
    assert_eq!(&info.random_number, request.random_number());

    // The application refuses a tampered response and an answer to another request.
    let mut client = client;
    let mut tampered = response.clone();
    tampered[40] ^= 1;
    assert!(matches!(
        client.accept_information(&request, &tampered),
        Err(Error::BadResponse("OMAC does not verify"))
    ));
    let other = client
        .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    assert_eq!(
        client.accept_information(&other, &response).unwrap_err(),
        Error::BadResponse("random number not echoed")
    );
    let before = client.status_sequence();
    client.accept_information(&request, &response).unwrap();
    assert_eq!(client.status_sequence(), before.wrapping_add(1));
}

#[test]
fn tampered_omac_is_refused() {
    let (output, mut client) = initialized();
    let request = client
        .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    // A flipped bit in the OMAC, in the signed body, and in the unused parameter bytes.
    for at in [3, 40, 4000] {
        let mut tampered = request.bytes().to_vec();
        tampered[at] ^= 0x04;
        let error = output.get_information(&tampered).unwrap_err();
        assert_eq!(error, Error::BadOmac, "byte {at}");
        assert_eq!(error.hresult(), hresult::E_ACCESSDENIED);
    }
    let command = client
        .configure_request(OPM_SET_PROTECTION_LEVEL, &set_hdcp(OPM_HDCP_ON))
        .unwrap();
    let mut forged = command.clone();
    forged[44] ^= 1; // protection level 1 → 0
    assert_eq!(output.configure(&forged, &[]).unwrap_err(), Error::BadOmac);
    // The refusals consumed nothing: the genuine request and command still go through.
    let response = output.get_information(request.bytes()).unwrap();
    client.accept_information(&request, &response).unwrap();
    output.configure(&command, &[]).unwrap();
    client.command_accepted();
    assert_eq!(
        client
            .get_information(&output, OPM_GET_VIRTUAL_PROTECTION_LEVEL, &HDCP)
            .unwrap()
            .information,
        OPM_HDCP_ON
    );
}

#[test]
fn replayed_sequence_number_is_refused() {
    let (output, mut client) = initialized();
    let request = client
        .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    let response = output.get_information(request.bytes()).unwrap();
    client.accept_information(&request, &response).unwrap();
    let error = output.get_information(request.bytes()).unwrap_err();
    assert_eq!(error, Error::SequenceMismatch);
    assert_eq!(error.hresult(), hresult::E_ACCESSDENIED);

    let command = client
        .configure_request(OPM_SET_PROTECTION_LEVEL, &set_hdcp(OPM_HDCP_ON))
        .unwrap();
    output.configure(&command, &[]).unwrap();
    client.command_accepted();
    assert_eq!(
        output.configure(&command, &[]).unwrap_err(),
        Error::SequenceMismatch
    );
    // A request from the future (skipping a number) is refused too.
    let skipped = {
        let mut ahead = client
            .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
            .unwrap();
        let response = output.get_information(ahead.bytes()).unwrap();
        client.accept_information(&ahead, &response).unwrap();
        ahead = client
            .get_info_request(OPM_GET_CONNECTOR_TYPE, &[])
            .unwrap();
        client
            .accept_information(&ahead, &output.get_information(ahead.bytes()).unwrap())
            .unwrap();
        ahead
    };
    assert_eq!(
        output.get_information(skipped.bytes()).unwrap_err(),
        Error::SequenceMismatch
    );
    // The client still in step keeps working.
    client
        .get_information(&output, OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
}

#[test]
fn wrong_random_number_is_refused() {
    let output = output();
    let (random_number, chain) = output.start_initialization().unwrap();
    let mut wrong = random_number;
    wrong[0] ^= 1;
    let (_, encrypted) = OpmClient::begin(&wrong, &chain).unwrap();
    let error = output.finish_initialization(&encrypted).unwrap_err();
    assert_eq!(error, Error::RandomNumberMismatch);
    assert_eq!(error.hresult(), hresult::E_INVALIDARG);
    // Still waiting for the right one; nothing is initialized.
    assert!(matches!(
        output.get_information(&[0u8; GetInfoParameters::SIZE]),
        Err(Error::InvalidCall(_))
    ));
    let (mut client, encrypted) = OpmClient::begin(&random_number, &chain).unwrap();
    output.finish_initialization(&encrypted).unwrap();
    client
        .get_information(&output, OPM_GET_CONNECTOR_TYPE, &[])
        .unwrap();
    // A random number from an earlier StartInitialization is stale.
    let other = OpmVideoOutput::new(common::credentials());
    let (first, chain) = other.start_initialization().unwrap();
    let (_, stale) = OpmClient::begin(&first, &chain).unwrap();
    other.start_initialization().unwrap();
    assert_eq!(
        other.finish_initialization(&stale).unwrap_err(),
        Error::RandomNumberMismatch
    );
}

#[test]
fn handshake_failures() {
    let output = output();
    let leaf =
        KeyExchangePublicKey::from_certificate_chain(common::credentials().certificate_chain())
            .unwrap();
    // Before StartInitialization.
    assert!(matches!(
        output.finish_initialization(&[0u8; 256]),
        Err(Error::InvalidCall(_))
    ));
    let (random_number, _) = output.start_initialization().unwrap();
    // Bad blobs: the crypto session's single error.
    let short_plaintext = leaf.encrypt(&[0u8; 39]).unwrap();
    for blob in [
        &[0u8; 256][..],
        &[0u8; 255][..],
        &[][..],
        &short_plaintext[..],
    ] {
        let error = output.finish_initialization(blob).unwrap_err();
        assert_eq!(error, Error::KeyExchangeRejected);
        assert_eq!(error.hresult(), hresult::E_INVALIDARG);
    }
    // Bytes after the 40 are ignored; a caller-made key signs requests.
    let signing_key = Secret::new([0x6b; 16]);
    let parameters = InitializationParameters {
        random_number,
        signing_key,
        status_sequence: u32::MAX,
        command_sequence: 10,
    };
    let mut plaintext = parameters.to_bytes().expose().to_vec();
    plaintext.extend_from_slice(&[0xee; 24]);
    output
        .finish_initialization(&leaf.encrypt(&plaintext).unwrap())
        .unwrap();
    let omac = Omac::new(&parameters.signing_key).unwrap();
    let request = |sequence_number: u32| {
        let mut bytes = GetInfoParameters {
            omac: [0; 16],
            random_number: [9; 16],
            information: OPM_GET_CONNECTOR_TYPE,
            sequence_number,
            parameters: Vec::new(),
        }
        .to_bytes()
        .unwrap();
        omac.sign_structure(&mut bytes).unwrap();
        bytes
    };
    let response = output.get_information(&request(u32::MAX)).unwrap();
    omac.verify_structure(&response).unwrap();
    // The sequence number wraps from u32::MAX to 0.
    output.get_information(&request(0)).unwrap();
    // A second handshake on an initialized output is refused.
    assert!(matches!(
        output.start_initialization(),
        Err(Error::InvalidCall(_))
    ));
    assert!(matches!(
        output.finish_initialization(&leaf.encrypt(&plaintext).unwrap()),
        Err(Error::InvalidCall(_))
    ));
}

#[test]
fn request_failures_do_not_advance_the_sequence() {
    let (output, mut client) = initialized();
    let refused = |client: &mut OpmClient, information, parameters: &[u8]| {
        let before = client.status_sequence();
        let request = client.get_info_request(information, parameters).unwrap();
        let error = output.get_information(request.bytes()).unwrap_err();
        assert_eq!(client.status_sequence(), before);
        error
    };
    assert_eq!(
        refused(&mut client, OPM_GET_ACTUAL_OUTPUT_FORMAT, &[]),
        Error::UnsupportedRequest
    );
    assert_eq!(Error::UnsupportedRequest.hresult() as u32, 0x8007_0032);
    for (information, parameters) in [
        (OPM_GET_CONNECTOR_TYPE, &HDCP[..]),
        (OPM_GET_VIRTUAL_PROTECTION_LEVEL, &[][..]),
        (OPM_GET_ACTUAL_PROTECTION_LEVEL, &HDCP[..3]),
        (
            OPM_GET_VIRTUAL_PROTECTION_LEVEL,
            &OPM_PROTECTION_TYPE_ACP.to_le_bytes()[..],
        ),
    ] {
        assert!(matches!(
            refused(&mut client, information, parameters),
            Error::InvalidArgument(_)
        ));
    }
    // Wrong sizes.
    assert!(matches!(
        output.get_information(&[0u8; 4096]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        output.configure(&[0u8; 4112], &[]),
        Err(Error::InvalidArgument(_))
    ));
    // Commands: additional parameters, a bad level, another protection type, another
    // setting — each refused without advancing.
    let bad_commands: [(keyward_cryptosession::Guid, Vec<u8>, &[u8]); 4] = [
        (OPM_SET_PROTECTION_LEVEL, set_hdcp(OPM_HDCP_ON), &[1u8][..]),
        (OPM_SET_PROTECTION_LEVEL, set_hdcp(2), &[][..]),
        (
            OPM_SET_PROTECTION_LEVEL,
            SetProtectionLevelParameters {
                protection_type: OPM_PROTECTION_TYPE_ACP,
                protection_level: 1,
                reserved: 0,
                reserved2: 0,
            }
            .to_bytes()
            .to_vec(),
            &[][..],
        ),
        (OPM_GET_CONNECTOR_TYPE, Vec::new(), &[][..]),
    ];
    for (setting, parameters, additional) in bad_commands {
        let command = client.configure_request(setting, &parameters).unwrap();
        assert!(output.configure(&command, additional).is_err());
    }
    client
        .configure(&output, OPM_SET_PROTECTION_LEVEL, &set_hdcp(OPM_HDCP_ON))
        .unwrap();
    assert_eq!(
        client
            .get_information(&output, OPM_GET_ACTUAL_PROTECTION_LEVEL, &HDCP)
            .unwrap()
            .information,
        OPM_HDCP_ON
    );
}

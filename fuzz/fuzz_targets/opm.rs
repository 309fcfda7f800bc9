//! The OPM layouts and the OPM output's handshake: every layout parser (round trips where
//! the layout is exact), the 40-byte initialization parameters RSAES-OAEP-encrypted to the
//! output's key, and `GetInformation` / `Configure` requests both raw and signed by a real
//! client (so the checks after the OMAC are reached).
#![no_main]

use arbitrary::Arbitrary;
use keyward_core::SecretVec;
use keyward_cryptosession::guid::Guid;
use keyward_cryptosession::opm::{
    ConfigureParameters, GetInfoParameters, InitializationParameters, OpmClient, OpmVideoOutput,
    RequestedInformation, SetProtectionLevelParameters, StandardInformation,
};
use keyward_cryptosession::KeyExchangePublicKey;
use keyward_fuzz::device_credentials;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Call<'a> {
    GetInformationRaw(&'a [u8]),
    ConfigureRaw(&'a [u8], &'a [u8]),
    GetInformation([u8; 16], &'a [u8]),
    Configure([u8; 16], &'a [u8]),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    layout: &'a [u8],
    /// `None`: a real client initializes; `Some`: these 40+ bytes are encrypted instead.
    init: Option<&'a [u8]>,
    calls: Vec<Call<'a>>,
}

fn layouts(bytes: &[u8]) {
    if let Ok(p) = GetInfoParameters::parse(bytes) {
        assert_eq!(p.to_bytes().ok().as_deref(), Some(bytes));
    }
    if let Ok(p) = ConfigureParameters::parse(bytes) {
        assert_eq!(p.to_bytes().ok().as_deref(), Some(bytes));
    }
    if let Ok(p) = RequestedInformation::parse(bytes) {
        assert_eq!(p.to_bytes().ok().as_deref(), Some(bytes));
    }
    if let Ok(p) = StandardInformation::parse(bytes) {
        let _ = p.to_bytes();
    }
    if let Ok(p) = SetProtectionLevelParameters::parse(bytes) {
        let _ = p.to_bytes();
    }
    if let Ok(p) = InitializationParameters::parse(&SecretVec::from_slice(bytes)) {
        assert_eq!(
            p.to_bytes().expose()[..],
            bytes[..InitializationParameters::SIZE]
        );
    }
}

fuzz_target!(|input: Input<'_>| {
    layouts(input.layout);
    let credentials = device_credentials();
    let output = OpmVideoOutput::new(credentials.clone());
    let (random_number, chain) = output.start_initialization().expect("start");
    let mut client = match input.init {
        None => {
            let (client, encrypted) = OpmClient::begin(&random_number, &chain).expect("begin");
            output
                .finish_initialization(&encrypted)
                .expect("a real client initializes");
            Some(client)
        }
        Some(plain) => {
            let public = KeyExchangePublicKey::from_certificate_chain(&chain).expect("key");
            if let Ok(encrypted) = public.encrypt(plain) {
                let _ = output.finish_initialization(&encrypted);
            }
            let _ = output.finish_initialization(plain);
            None
        }
    };
    for call in input.calls.into_iter().take(8) {
        match call {
            Call::GetInformationRaw(request) => {
                let _ = output.get_information(request);
            }
            Call::ConfigureRaw(command, additional) => {
                let _ = output.configure(command, additional);
            }
            Call::GetInformation(guid, parameters) => {
                if let Some(client) = &mut client {
                    let _ = client.get_information(&output, Guid::from_bytes(&guid), parameters);
                }
            }
            Call::Configure(guid, parameters) => {
                if let Some(client) = &mut client {
                    let _ = client.configure(&output, Guid::from_bytes(&guid), parameters);
                }
            }
        }
    }
});

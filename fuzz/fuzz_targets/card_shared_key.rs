//! `CardGetSharedKeyHandle` and `CardProcessEncryptedData` inputs (the relayed messages of the
//! secure key injection): a server in no-card mode and a client at an in-process virtual card
//! take fuzzed messages in a fuzzed order. Optionally the real establishment runs first, and
//! `MDEncryptData` output with fuzzed payloads (and one fuzzed byte flip) reaches
//! `CardProcessEncryptedData`, so the secure functions behind the channel are reached.
#![no_main]

use arbitrary::Arbitrary;
use keyward_card::card::ATR;
use keyward_card::minidriver::secure_function::{
    CSF_AUTHENTICATE, CSF_CHANGE_AUTHENTICATOR, CSF_IMPORT_KEYPAIR,
};
use keyward_card::minidriver::{
    CardContext, CardData, CardKeyHandle, VendorConfig, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
};
use keyward_card::transport::InProcess;
use keyward_fuzz::{card_keys, virtual_card};
use libfuzzer_sys::fuzz_target;

const FUNCTIONS: [&str; 4] = [
    CSF_AUTHENTICATE,
    CSF_CHANGE_AUTHENTICATOR,
    CSF_IMPORT_KEYPAIR,
    "Unknown",
];

#[derive(Arbitrary, Debug)]
enum Step {
    Server(Vec<u8>),
    Client(Vec<u8>),
    Inject {
        function: u8,
        payload: Vec<u8>,
        flip: Option<(u16, u8)>,
    },
    Process {
        function: u8,
        blobs: Vec<Vec<u8>>,
        flags: u32,
        handle: Option<usize>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    establish: bool,
    steps: Vec<Step>,
}

fn server() -> CardContext {
    CardContext::acquire(
        CardData {
            version: 7,
            atr: Vec::new(),
            card_name: String::new(),
            transport: None,
            vendor: VendorConfig::new(Some(card_keys())),
        },
        CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
    )
    .expect("server context")
}

fn client(transport: &InProcess) -> CardContext {
    CardContext::acquire(
        CardData {
            version: 7,
            atr: ATR.to_vec(),
            card_name: "keyward virtual card".into(),
            transport: Some(Box::new(transport.clone())),
            vendor: VendorConfig::new(None),
        },
        0,
    )
    .expect("client context")
}

fn establish(server: &mut CardContext, client: &mut CardContext) -> (CardKeyHandle, CardKeyHandle) {
    let mut message = Vec::new();
    let mut keys = (None, None);
    for step in 0..4 {
        let (side, slot) = if step % 2 == 0 {
            (&mut *server, &mut keys.0)
        } else {
            (&mut *client, &mut keys.1)
        };
        let out = side
            .get_shared_key_handle(&message)
            .expect("the real establishment succeeds");
        if let Some(key) = out.key {
            *slot = Some(key);
        }
        message = out.output.unwrap_or_default();
    }
    (
        keys.0.expect("server handle"),
        keys.1.expect("client handle"),
    )
}

fuzz_target!(|input: Input| {
    let transport = InProcess::new(virtual_card());
    let mut server = server();
    let mut client = client(&transport);
    let keys = input.establish.then(|| establish(&mut server, &mut client));
    for step in input.steps.into_iter().take(16) {
        match step {
            Step::Server(message) => {
                let _ = server.get_shared_key_handle(&message);
            }
            Step::Client(message) => {
                let _ = client.get_shared_key_handle(&message);
            }
            Step::Inject {
                function,
                payload,
                flip,
            } => {
                let Some((server_key, client_key)) = keys else {
                    continue;
                };
                let function = FUNCTIONS[usize::from(function) % FUNCTIONS.len()];
                let Ok(mut blobs) = server.md_encrypt_data(server_key, function, &payload, 0)
                else {
                    continue;
                };
                if let Some((at, mask)) = flip {
                    let total: usize = blobs.iter().map(Vec::len).sum();
                    if total > 0 {
                        let mut at = usize::from(at) % total;
                        for blob in &mut blobs {
                            if at < blob.len() {
                                blob[at] ^= mask.max(1);
                                break;
                            }
                            at -= blob.len();
                        }
                    }
                }
                let _ = client.process_encrypted_data(client_key, function, &blobs, 0);
            }
            Step::Process {
                function,
                blobs,
                flags,
                handle,
            } => {
                let function = FUNCTIONS[usize::from(function) % FUNCTIONS.len()];
                let handle = match (handle, keys) {
                    (Some(raw), _) => CardKeyHandle(raw),
                    (None, Some((_, client_key))) => client_key,
                    (None, None) => CardKeyHandle(1),
                };
                let _ = client.process_encrypted_data(handle, function, &blobs, flags);
            }
        }
    }
});

//! The client connection fed an arbitrary server byte stream, after it sent its ClientHello.
//! The first byte picks the configuration (TLS 1.3+1.2, 1.3 only, 1.2 only); the rest arrives
//! in pieces, each a 2-byte length and its bytes.
#![no_main]

use keyward_fuzz::{client_config, length_prefixed, TlsVariant};
use keyward_tls::ClientConnection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let config = client_config(TlsVariant::from_selector(selector));
    let mut client = ClientConnection::new(config, "localhost").expect("client connection");
    let mut sink = Vec::new();
    while client.wants_write() {
        if client.write_tls(&mut sink).unwrap_or(0) == 0 {
            break;
        }
    }
    for piece in length_prefixed(stream) {
        let mut rd = piece;
        while !rd.is_empty() {
            if client.read_tls(&mut rd).is_err() {
                break;
            }
        }
        let failed = client.process_new_packets().is_err();
        sink.clear();
        while client.wants_write() {
            if client.write_tls(&mut sink).unwrap_or(0) == 0 {
                break;
            }
        }
        if failed {
            return;
        }
    }
});

//! The server connection fed an arbitrary client byte stream. The first byte picks the
//! configuration (RSA, ECDSA or both keys; TLS 1.3+1.2, 1.3 only, 1.2 only); the rest arrives
//! in pieces, each a 2-byte length and its bytes, with the server's output drained between
//! pieces.
#![no_main]

use keyward_fuzz::{length_prefixed, server_config, TlsVariant};
use keyward_tls::ServerConnection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let config = server_config(TlsVariant::from_selector(selector));
    let mut server = ServerConnection::new(config).expect("server connection");
    for piece in length_prefixed(stream) {
        let mut rd = piece;
        while !rd.is_empty() {
            if server.read_tls(&mut rd).is_err() {
                break;
            }
        }
        let failed = server.process_new_packets().is_err();
        let mut sink = Vec::new();
        while server.wants_write() {
            if server.write_tls(&mut sink).unwrap_or(0) == 0 {
                break;
            }
        }
        if failed {
            return;
        }
        let mut plain = [0u8; 1024];
        let _ = std::io::Read::read(&mut server.reader(), &mut plain);
    }
});

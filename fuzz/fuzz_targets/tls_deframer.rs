//! The record deframer and the handshake joiner: bytes pushed in pieces, records popped and
//! their handshake payloads joined into messages. Every record popped must be a header and
//! its body, and every message its 4-byte header and body.
#![no_main]

use keyward_fuzz::length_prefixed;
use keyward_tls::codec::enums::ContentType;
use keyward_tls::record::{Deframer, HandshakeJoiner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut deframer = Deframer::default();
    let mut joiner = HandshakeJoiner::default();
    for piece in length_prefixed(data) {
        deframer.push(piece);
        loop {
            let record = match deframer.pop() {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(_) => return,
            };
            assert_eq!(record.as_bytes().len(), 5 + record.body_len());
            if record.content_type() != ContentType::Handshake {
                continue;
            }
            if joiner.push(&record.into_body()).is_err() {
                return;
            }
            loop {
                match joiner.pop() {
                    Ok(Some(message)) => {
                        let _ = message.body();
                    }
                    Ok(None) => break,
                    Err(_) => return,
                }
            }
        }
    }
});

//! Ticket and session-cache import on the server: a ticket as a client sends it, ticket
//! contents sealed under the server's real ticket key (to reach the decoder behind the AEAD),
//! and a session ID against the cache.
#![no_main]

use arbitrary::Arbitrary;
use keyward_fuzz::{server_config, TlsVariant};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    ticket: &'a [u8],
    session_id: &'a [u8],
    plain: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let config = server_config(TlsVariant::from_selector(0));
    keyward_tls::fuzzing::server_resumption(&config, input.ticket, input.plain, input.session_id);
});

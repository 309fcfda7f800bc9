//! Parameter lists (`NCryptBufferDesc` contents as `(BufferType, bytes)` pairs): read by
//! keyward-ffi into the provider's typed parameters, then used to derive a master key and session keys, as `SslGenerateMasterKey`
//! and `SslGenerateSessionKeys` do.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use keyward_core::backend::Curve;
use keyward_fuzz::provider;
use keyward::params::from_buffers;
use keyward_ssl::{CipherSuite, EphemeralKey, Group, Protocol, Side};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    protocol: u8,
    suite: u8,
    master_params: Vec<(u32, &'a [u8])>,
    session_params: Vec<(u32, &'a [u8])>,
}

/// (protocol, suite) pairs of ECDHE suites across the protocols.
const SUITES: [(Protocol, u16); 6] = [
    (Protocol::Tls12, 0xC02F),
    (Protocol::Tls12, 0xCCA9),
    (Protocol::Tls12, 0xC013),
    (Protocol::Tls10, 0xC013),
    (Protocol::Dtls12, 0xC02B),
    (Protocol::Dtls10, 0xC009),
];

fn keys() -> &'static (EphemeralKey, EphemeralKey) {
    static KEYS: OnceLock<(EphemeralKey, EphemeralKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let group = Group::Ec(Curve::P256);
        (
            EphemeralKey::generate(group).expect("key"),
            EphemeralKey::generate(group).expect("key"),
        )
    })
}

fuzz_target!(|input: Input<'_>| {
    let Ok(master_params) = from_buffers(&input.master_params) else {
        return;
    };
    let (own, peer) = keys();
    let (protocol, suite) = SUITES[usize::from(input.suite) % SUITES.len()];
    let suite = CipherSuite::from_id(suite).expect("a supported suite");
    let side = if input.protocol % 2 == 0 {
        Side::Client
    } else {
        Side::Server
    };
    let Ok(master) = provider().generate_master_key(
        own,
        &peer.public_key(),
        protocol,
        suite,
        &master_params,
        side,
    ) else {
        return;
    };
    if let Ok(session_params) = from_buffers(&input.session_params) {
        let _ = master.generate_session_keys(&session_params);
    }
});

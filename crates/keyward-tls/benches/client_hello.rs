//! ClientHello parsing at its worst case: a 64 KiB ClientHello whose extension block holds
//! 16,000 distinct empty extensions of types the engine does not know. Duplicate detection
//! must stay linear (issue 12 item 4: under 1 ms).
//! `cargo bench -p keyward-tls --bench client_hello`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyward_tls::codec::hello::ClientHello;
use keyward_tls::codec::{put_u16, put_vec_u16};
use std::hint::black_box;

/// Distinct extensions in the ClientHello.
const EXTENSIONS: u16 = 16_000;

/// A ClientHello body (without the handshake header) carrying `EXTENSIONS` empty extensions.
fn big_client_hello() -> Vec<u8> {
    let mut extensions = Vec::new();
    for kind in 1000..1000 + EXTENSIONS {
        put_u16(&mut extensions, kind);
        put_u16(&mut extensions, 0);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]); // cipher suites
    body.extend_from_slice(&[1, 0]); // compression methods
    put_vec_u16(&mut body, &extensions);
    body
}

fn client_hello(c: &mut Criterion) {
    let body = big_client_hello();
    assert!(body.len() > 64_000, "{} bytes", body.len());
    assert!(ClientHello::parse(&body).is_ok());
    let mut group = c.benchmark_group("client_hello");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("16000 extensions", |b| {
        b.iter(|| ClientHello::parse(black_box(&body)))
    });
    group.finish();
}

criterion_group!(benches, client_hello);
criterion_main!(benches);

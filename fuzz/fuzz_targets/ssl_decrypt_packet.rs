//! `SslDecryptPacket` for every suite family (AES-GCM, ChaCha20-Poly1305 and AES-CBC with
//! each HMAC; TLS 1.0–1.2, DTLS 1.0 and 1.2, TLS 1.3): a fuzzed record opened into a buffer
//! and in place. The two forms must agree.
#![no_main]

use arbitrary::Arbitrary;
use keyward_fuzz::records;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    suite: u8,
    seq: u64,
    out_len: u16,
    record: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let key = records::key(input.suite);
    let mut out = vec![0u8; usize::from(input.out_len)];
    let opened = key.open(input.seq, input.record, &mut out);
    let mut in_place = input.record.to_vec();
    let opened_in_place = key.open_in_place(input.seq, &mut in_place);
    if let (Ok(len), Ok(plain)) = (&opened, &opened_in_place) {
        assert_eq!(&out[..*len], *plain, "open and open_in_place disagree");
    }
    if opened.is_ok() {
        assert!(
            opened_in_place.is_ok(),
            "open accepts what open_in_place refuses"
        );
    }
});

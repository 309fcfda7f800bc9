//! Record seal → open is the identity for every suite (`SslEncryptPacket` then
//! `SslDecryptPacket`), at any sequence number and content type, in both forms; a sealed
//! record with one bit flipped never opens. Each operation gets its own key object: a key is
//! one direction's state, and TLS 1.0 chains the CBC IV from record to record within it.
#![no_main]

use arbitrary::Arbitrary;
use keyward_fuzz::records;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    suite: u8,
    seq: u64,
    content_type: u8,
    flip: u16,
    plaintext: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let key = records::key(input.suite);
    let fresh = || records::key(input.suite);
    let mut sealed = vec![0u8; key.max_sealed_len(input.plaintext.len())];
    let Ok(len) = key.seal(input.seq, input.content_type, input.plaintext, &mut sealed) else {
        return;
    };
    assert_eq!(len, sealed.len());
    let mut out = vec![0u8; sealed.len()];
    let opened = fresh()
        .open(input.seq, &sealed, &mut out)
        .expect("a sealed record opens");
    assert_eq!(&out[..opened], input.plaintext);
    let mut in_place = sealed.clone();
    let plain = fresh()
        .open_in_place(input.seq, &mut in_place)
        .expect("a sealed record opens in place");
    assert_eq!(plain, input.plaintext);
    let bit = usize::from(input.flip) % (sealed.len() * 8);
    // The header's content type and version are bound by the MAC/tag too, except that
    // the length field is checked structurally: any flip must fail.
    let mut tampered = sealed.clone();
    tampered[bit / 8] ^= 1 << (bit % 8);
    assert!(
        fresh().open(input.seq, &tampered, &mut out).is_err(),
        "a tampered record opened (bit {bit})"
    );
});

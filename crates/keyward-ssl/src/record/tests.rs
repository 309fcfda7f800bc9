//! Unit tests of record protection: round trips, tampering, in-place forms, TLS 1.0
//! chaining and the error codes of docs/ssl-provider.md, "Record protection".

use keyward_core::{Error, Status};

use super::{BulkCipher, MacAlgorithm, RecordKey, RecordLengths};
use crate::Protocol;

const AEAD_CIPHERS: [BulkCipher; 3] = [
    BulkCipher::Aes128Gcm,
    BulkCipher::Aes256Gcm,
    BulkCipher::ChaCha20Poly1305,
];
/// The CBC cipher and MAC pairs with constant-time AWS-LC code (the CBC suites keyward offers).
const CBC_PAIRS: [(BulkCipher, MacAlgorithm); 4] = [
    (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha1),
    (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha1),
    (BulkCipher::Aes128Cbc, MacAlgorithm::HmacSha256),
    (BulkCipher::Aes256Cbc, MacAlgorithm::HmacSha384),
];

/// Every (protocol, cipher, MAC) the record layer supports.
fn combinations() -> Vec<(Protocol, BulkCipher, MacAlgorithm)> {
    let mut all = Vec::new();
    for protocol in [Protocol::Tls12, Protocol::Dtls12, Protocol::Tls13] {
        for cipher in AEAD_CIPHERS {
            all.push((protocol, cipher, MacAlgorithm::Aead));
        }
    }
    for protocol in [
        Protocol::Tls10,
        Protocol::Tls11,
        Protocol::Tls12,
        Protocol::Dtls10,
        Protocol::Dtls12,
    ] {
        for (cipher, mac) in CBC_PAIRS {
            all.push((protocol, cipher, mac));
        }
    }
    all
}

fn material(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add(i as u8).wrapping_mul(31))
        .collect()
}

fn key(protocol: Protocol, cipher: BulkCipher, mac: MacAlgorithm) -> RecordKey {
    RecordKey::new(
        protocol,
        cipher,
        mac,
        &material(mac.key_len(), 1),
        &material(cipher.key_len(), 2),
        &material(cipher.fixed_iv_len(protocol), 3),
    )
    .unwrap()
}

fn seal(key: &RecordKey, seq: u64, content_type: u8, plaintext: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; key.max_sealed_len(plaintext.len())];
    let len = key.seal(seq, content_type, plaintext, &mut out).unwrap();
    assert_eq!(len, out.len());
    out
}

fn open(key: &RecordKey, seq: u64, record: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; record.len()];
    let len = key.open(seq, record, &mut out)?;
    out.truncate(len);
    Ok(out)
}

#[test]
fn record_key_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RecordKey>();
}

#[test]
fn round_trip_every_combination() {
    for (protocol, cipher, mac) in combinations() {
        let sealer = key(protocol, cipher, mac);
        // Two openers: a TLS 1.0 key advances its IV chain with every record it opens.
        let (opener, in_place_opener) = (key(protocol, cipher, mac), key(protocol, cipher, mac));
        let min = usize::from(protocol.is_tls13());
        for (seq, len) in [min, 1, 15, 16, 17, 100, 16384].into_iter().enumerate() {
            let seq = seq as u64 + 0x0001_0000_0000_0005;
            let plaintext = material(len, 9);
            let record = seal(&sealer, seq, 23, &plaintext);
            let what = format!("{protocol:?} {cipher:?} {mac:?} len {len}");

            // Header: type, version, [epoch ‖ seq], length.
            let header_len = protocol.record_header_len();
            let version = if protocol.is_tls13() {
                0x0303
            } else {
                protocol.wire_version()
            };
            assert_eq!(record[0], 23, "{what}");
            assert_eq!(&record[1..3], &version.to_be_bytes(), "{what}");
            if protocol.is_dtls() {
                assert_eq!(&record[3..11], &seq.to_be_bytes(), "{what}");
            }
            let length = u16::from_be_bytes([record[header_len - 2], record[header_len - 1]]);
            assert_eq!(usize::from(length), record.len() - header_len, "{what}");

            assert_eq!(open(&opener, seq, &record).unwrap(), plaintext, "{what}");
            let mut in_place = record.clone();
            assert_eq!(
                in_place_opener.open_in_place(seq, &mut in_place).unwrap(),
                &plaintext[..],
                "{what}"
            );
        }
    }
}

#[test]
fn sealed_lengths_follow_the_cipher_lengths() {
    for (protocol, cipher, mac) in combinations() {
        let key = key(protocol, cipher, mac);
        let lengths = key.lengths();
        for len in [1usize, 20, 31, 32, 33, 1000] {
            let sealed = key.max_sealed_len(len);
            let overhead = sealed - protocol.record_header_len() - lengths.header_len;
            let padding = overhead - len - lengths.fixed_trailer_len;
            if lengths.block_padding {
                assert!((1..=lengths.max_variable_trailer_len).contains(&padding));
                assert_eq!((sealed - protocol.record_header_len()) % 16, 0);
            } else {
                assert_eq!(padding, 0);
            }
        }
    }
}

#[test]
fn lengths_match_ssl_lookup_cipher_lengths() {
    let cases = [
        (
            Protocol::Tls12,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            (8, 16, 0, false),
        ),
        (
            Protocol::Dtls12,
            BulkCipher::Aes256Gcm,
            MacAlgorithm::Aead,
            (8, 16, 0, false),
        ),
        (
            Protocol::Tls13,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            (0, 16, 0, false),
        ),
        (
            Protocol::Tls12,
            BulkCipher::ChaCha20Poly1305,
            MacAlgorithm::Aead,
            (0, 16, 0, false),
        ),
        (
            Protocol::Tls12,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha256,
            (16, 32, 16, true),
        ),
        (
            Protocol::Tls11,
            BulkCipher::Aes256Cbc,
            MacAlgorithm::HmacSha1,
            (16, 20, 16, true),
        ),
        (
            Protocol::Tls12,
            BulkCipher::Aes256Cbc,
            MacAlgorithm::HmacSha384,
            (16, 48, 16, true),
        ),
        (
            Protocol::Tls10,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            (0, 20, 16, true),
        ),
    ];
    for (protocol, cipher, mac, (header_len, fixed, variable, block_padding)) in cases {
        assert_eq!(
            key(protocol, cipher, mac).lengths(),
            RecordLengths {
                header_len,
                fixed_trailer_len: fixed,
                max_variable_trailer_len: variable,
                block_padding,
            },
            "{protocol:?} {cipher:?}"
        );
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    for (protocol, cipher, mac) in combinations() {
        let sealer = key(protocol, cipher, mac);
        let record = seal(&sealer, 7, 23, &material(40, 4));
        for bit in 0..record.len() * 8 {
            // A fresh opener each time: a TLS 1.0 key must not depend on earlier failures.
            let opener = key(protocol, cipher, mac);
            let mut flipped = record.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let copied = open(&opener, 7, &flipped);
            assert!(copied.is_err(), "{protocol:?} {cipher:?} {mac:?} bit {bit}");
            let placed = opener.open_in_place(7, &mut flipped).map(<[u8]>::to_vec);
            assert_eq!(placed, copied, "{protocol:?} {cipher:?} {mac:?} bit {bit}");
        }
        // Header fields are checked first; body flips are MAC/tag failures.
        let body_start = protocol.record_header_len();
        let mut flipped = record.clone();
        *flipped.last_mut().unwrap() ^= 0x80;
        let expected = if protocol.is_tls13() {
            Error::AuthTagMismatch
        } else {
            Error::DecryptionFailure
        };
        assert_eq!(
            open(&key(protocol, cipher, mac), 7, &flipped),
            Err(expected.clone())
        );
        let mut flipped = record.clone();
        flipped[body_start] ^= 1;
        assert_eq!(
            open(&key(protocol, cipher, mac), 7, &flipped),
            Err(expected)
        );
    }
}

#[test]
fn wrong_sequence_number_or_content_type_is_rejected() {
    for (protocol, cipher, mac) in combinations() {
        let sealer = key(protocol, cipher, mac);
        let record = seal(&sealer, 5, 23, b"hello");
        let opener = key(protocol, cipher, mac);
        assert!(
            open(&opener, 6, &record).is_err(),
            "{protocol:?} {cipher:?}"
        );
        let mut retyped = record.clone();
        retyped[0] = 22;
        assert!(
            open(&opener, 5, &retyped).is_err(),
            "{protocol:?} {cipher:?}"
        );
        assert_eq!(open(&opener, 5, &record).unwrap(), b"hello");
    }
}

#[test]
fn in_place_and_copying_forms_agree() {
    for (protocol, cipher, mac) in combinations() {
        let plaintext = material(300, 6);
        // Two keys with the same state: the deterministic forms must match byte for byte.
        let (a, b) = (key(protocol, cipher, mac), key(protocol, cipher, mac));
        let copied = seal(&a, 11, 23, &plaintext);
        let mut buf = vec![0u8; b.max_sealed_len(plaintext.len()) + 7];
        let start = protocol.record_header_len() + cipher.record_iv_len(protocol);
        let layout = b.in_place_layout();
        assert_eq!(layout.header_len, protocol.record_header_len());
        assert_eq!(layout.plaintext_offset, start);
        assert!(layout.is_plaintext_place(layout.header_len) && layout.is_plaintext_place(start));
        assert!(!layout.is_plaintext_place(start + 1) && !layout.is_plaintext_place(0));
        buf[start..start + plaintext.len()].copy_from_slice(&plaintext);
        let len = b.seal_in_place(11, 23, &mut buf, plaintext.len()).unwrap();
        assert_eq!(len, copied.len());
        if cipher.record_iv_len(protocol) == 16 {
            // Random explicit IVs: the records differ, but each opens to the plaintext.
            assert_ne!(&buf[..len], &copied[..]);
        } else {
            assert_eq!(&buf[..len], &copied[..], "{protocol:?} {cipher:?} {mac:?}");
        }
        let opener = key(protocol, cipher, mac);
        assert_eq!(
            opener.open_in_place(11, &mut buf[..len]).unwrap(),
            &plaintext[..]
        );
        let opener = key(protocol, cipher, mac);
        assert_eq!(open(&opener, 11, &copied).unwrap(), plaintext);
    }
}

#[test]
fn empty_plaintext_is_allowed_before_tls13() {
    let key = key(
        Protocol::Tls12,
        BulkCipher::Aes128Cbc,
        MacAlgorithm::HmacSha1,
    );
    let record = seal(&key, 0, 22, &[]);
    assert_eq!(record.len(), 5 + 16 + 32);
    let opener = super::tests::key(
        Protocol::Tls12,
        BulkCipher::Aes128Cbc,
        MacAlgorithm::HmacSha1,
    );
    assert_eq!(open(&opener, 0, &record).unwrap(), b"");
}

#[test]
fn tls10_chains_the_iv_across_records() {
    let (protocol, cipher, mac) = (
        Protocol::Tls10,
        BulkCipher::Aes128Cbc,
        MacAlgorithm::HmacSha1,
    );
    let sealer = key(protocol, cipher, mac);
    let records: Vec<Vec<u8>> = (0..4)
        .map(|seq| seal(&sealer, seq, 23, &material(50 + seq as usize, seq as u8)))
        .collect();
    // Same plaintext, same key, different position in the chain: different ciphertext.
    let fresh = key(protocol, cipher, mac);
    let first_again = seal(&fresh, 1, 23, &material(51, 1));
    assert_ne!(first_again, records[1]);

    let opener = key(protocol, cipher, mac);
    // Out of order: record 1 under the initial IV fails, and leaves the chain alone.
    assert_eq!(open(&opener, 1, &records[1]), Err(Error::DecryptionFailure));
    for (seq, record) in records.iter().enumerate() {
        // A tampered copy fails first and must not advance the chain.
        let mut tampered = record.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            open(&opener, seq as u64, &tampered),
            Err(Error::DecryptionFailure)
        );
        let mut in_place = record.clone();
        if seq % 2 == 0 {
            assert_eq!(
                open(&opener, seq as u64, record).unwrap(),
                material(50 + seq, seq as u8)
            );
        } else {
            assert_eq!(
                opener.open_in_place(seq as u64, &mut in_place).unwrap(),
                &material(50 + seq, seq as u8)[..]
            );
        }
    }
    // A failed seal (output too small) does not advance the chain either.
    let mut small = [0u8; 10];
    assert!(sealer.seal(4, 23, b"x", &mut small).is_err());
    let next = seal(&sealer, 4, 23, b"x");
    assert_eq!(open(&opener, 4, &next).unwrap(), b"x");
}

#[test]
fn non_minimal_padding_is_accepted_and_bad_padding_rejected() {
    // Build records by hand with the backend primitives: data ‖ MAC ‖ padding.
    use keyward_core::backend::cipher::AesCbcKey;
    use keyward_core::backend::hmac::HmacKey;
    use keyward_core::backend::HashAlgorithm;
    let (protocol, cipher, mac) = (
        Protocol::Tls12,
        BulkCipher::Aes128Cbc,
        MacAlgorithm::HmacSha256,
    );
    let mac_key = material(32, 1);
    let enc_key = material(16, 2);
    let opener = key(protocol, cipher, mac);
    let data = b"padding oracle";
    let build = |padding: &[u8]| {
        let mut header = 9u64.to_be_bytes().to_vec();
        header.extend_from_slice(&[23, 3, 3]);
        header.extend_from_slice(&(data.len() as u16).to_be_bytes());
        let tag = HmacKey::new(HashAlgorithm::Sha256, &mac_key)
            .unwrap()
            .sign(&[&header, data]);
        let mut body = [data.as_slice(), tag.as_bytes(), padding].concat();
        let iv = [0x42u8; 16];
        AesCbcKey::new(&enc_key)
            .unwrap()
            .encrypt_in_place(&iv, &mut body)
            .unwrap();
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&((16 + body.len()) as u16).to_be_bytes());
        record.extend_from_slice(&iv);
        record.extend_from_slice(&body);
        record
    };
    // 14 + 32 = 46; 2 bytes make 48, 18 make 64, 242 make 288 (255 is too long here).
    for pad_len in [2usize, 18, 242] {
        let record = build(&vec![(pad_len - 1) as u8; pad_len]);
        assert_eq!(
            open(&opener, 9, &record).unwrap(),
            data,
            "padding {pad_len}"
        );
    }
    for bad in [[1u8, 0], [0, 1], [2, 2], [0xff, 0xff]] {
        // Wrong padding bytes, and padding that claims more than is there.
        let mut padding = vec![17u8; 16];
        padding.extend_from_slice(&bad);
        let record = build(&padding);
        assert_eq!(
            open(&opener, 9, &record),
            Err(Error::DecryptionFailure),
            "{bad:?}"
        );
    }
    let record = build(&[0x7f, 0x01]);
    assert_eq!(open(&opener, 9, &record), Err(Error::DecryptionFailure));
}

#[test]
fn seal_errors() {
    let key = key(Protocol::Tls12, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    let mut out = vec![0u8; 20000];
    assert_eq!(
        key.seal(0, 23, &vec![0u8; 16385], &mut out)
            .unwrap_err()
            .status(),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        key.seal(0, 23, &vec![0u8; 16384], &mut out),
        Ok(5 + 8 + 16384 + 16)
    );
    let mut small = vec![0u8; 5 + 8 + 10 + 15];
    assert_eq!(
        key.seal(0, 23, &[0u8; 10], &mut small),
        Err(Error::BufferTooSmall { needed: 39 })
    );
    let mut small = vec![0u8; 38];
    assert_eq!(
        key.seal_in_place(0, 23, &mut small, 10),
        Err(Error::BufferTooSmall { needed: 39 })
    );
    let tls13 = super::tests::key(Protocol::Tls13, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    assert_eq!(
        tls13.seal(0, 23, &[], &mut out).unwrap_err().status(),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(tls13.seal(0, 23, &[1; 100], &mut out), Ok(121));
}

#[test]
fn open_input_length_limits() {
    let tls12 = key(Protocol::Tls12, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    let mut out = vec![0u8; 70000];
    for len in [0usize, 65537] {
        assert_eq!(
            tls12
                .open(0, &vec![23u8; len], &mut out)
                .unwrap_err()
                .status(),
            Status::NTE_INVALID_PARAMETER,
            "{len}"
        );
    }
    // Inside the limit but shorter than a header: malformed.
    assert_eq!(
        tls12.open(0, &[23, 3], &mut out).unwrap_err().status(),
        Status::NTE_BAD_DATA
    );
    let tls13 = key(Protocol::Tls13, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    for len in [21usize, 16661] {
        let mut record = vec![23u8, 3, 3];
        record.extend_from_slice(&((len - 5) as u16).to_be_bytes());
        record.resize(len, 0);
        assert_eq!(
            tls13.open(0, &record, &mut out).unwrap_err().status(),
            Status::NTE_INVALID_PARAMETER,
            "{len}"
        );
    }
}

#[test]
fn open_header_errors() {
    let tls12 = key(Protocol::Tls12, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    let record = seal(&tls12, 3, 23, b"payload");
    let mut out = vec![0u8; 100];
    for version in [[3u8, 4], [2, 0xff], [0xfe, 0xfe], [0, 0]] {
        let mut bad = record.clone();
        bad[1..3].copy_from_slice(&version);
        assert_eq!(
            tls12.open(3, &bad, &mut out).unwrap_err().status(),
            Status::NTE_BAD_DATA
        );
    }
    // Accepted versions reach the tag check (the version is authenticated).
    for version in [[3u8, 0], [3, 1], [0xfe, 0xff], [0xfe, 0xfd]] {
        let mut other = record.clone();
        other[1..3].copy_from_slice(&version);
        assert_eq!(
            tls12.open(3, &other, &mut out),
            Err(Error::DecryptionFailure)
        );
    }
    let mut long = record.clone();
    long.push(0);
    assert_eq!(
        tls12.open(3, &long, &mut out).unwrap_err().status(),
        Status::NTE_BAD_DATA
    );
    let mut short = record.clone();
    short[4] -= 1;
    assert_eq!(
        tls12.open(3, &short, &mut out).unwrap_err().status(),
        Status::NTE_BAD_DATA
    );

    let tls13 = key(
        Protocol::Tls13,
        BulkCipher::ChaCha20Poly1305,
        MacAlgorithm::Aead,
    );
    let mut record = seal(&tls13, 0, 23, &[0x17; 10]);
    record[1] = 0xFE;
    assert_eq!(
        tls13.open(0, &record, &mut out).unwrap_err().status(),
        Status::NTE_BAD_DATA
    );
}

#[test]
fn open_body_too_short_errors() {
    let mut out = vec![0u8; 100];
    let framed = |header: [u8; 3], body_len: usize| {
        let mut record = header.to_vec();
        record.extend_from_slice(&(body_len as u16).to_be_bytes());
        record.resize(5 + body_len, 0x55);
        record
    };
    let gcm = key(Protocol::Tls12, BulkCipher::Aes256Gcm, MacAlgorithm::Aead);
    assert_eq!(
        gcm.open(0, &framed([23, 3, 3], 23), &mut out)
            .unwrap_err()
            .status(),
        Status::NTE_BAD_DATA
    );
    assert_eq!(
        gcm.open(0, &framed([23, 3, 3], 24), &mut out),
        Err(Error::DecryptionFailure)
    );
    let chacha = key(
        Protocol::Tls12,
        BulkCipher::ChaCha20Poly1305,
        MacAlgorithm::Aead,
    );
    assert_eq!(
        chacha
            .open(0, &framed([23, 3, 3], 15), &mut out)
            .unwrap_err()
            .status(),
        Status::NTE_BAD_DATA
    );
    assert_eq!(
        chacha.open(0, &framed([23, 3, 3], 16), &mut out),
        Err(Error::DecryptionFailure)
    );
    let cbc = key(
        Protocol::Tls12,
        BulkCipher::Aes128Cbc,
        MacAlgorithm::HmacSha1,
    );
    // Not whole blocks; IV + MAC + 1 = 37 > 32; 48 is long enough to reach the MAC check.
    for (len, status) in [(47, Status::NTE_BAD_DATA), (32, Status::NTE_BAD_DATA)] {
        assert_eq!(
            cbc.open(0, &framed([23, 3, 3], len), &mut out)
                .unwrap_err()
                .status(),
            status
        );
    }
    assert_eq!(
        cbc.open(0, &framed([23, 3, 3], 48), &mut out),
        Err(Error::DecryptionFailure)
    );
    let mut record = framed([23, 3, 3], 48);
    assert_eq!(
        cbc.open_in_place(0, &mut record),
        Err(Error::DecryptionFailure)
    );
    assert_eq!(&record[5 + 16..], &[0u8; 32], "decrypted bytes are wiped");
    let tls10 = key(
        Protocol::Tls10,
        BulkCipher::Aes256Cbc,
        MacAlgorithm::HmacSha384,
    );
    // TLS 1.0 has no explicit IV: 48 + 1 > 48 is too short, 64 is enough.
    assert_eq!(
        tls10
            .open(0, &framed([23, 3, 1], 48), &mut out)
            .unwrap_err()
            .status(),
        Status::NTE_BAD_DATA
    );
    assert_eq!(
        tls10.open(0, &framed([23, 3, 1], 64), &mut out),
        Err(Error::DecryptionFailure)
    );
}

#[test]
fn open_output_too_small_reports_the_largest_plaintext() {
    for (protocol, cipher, mac, overhead) in [
        (
            Protocol::Tls12,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            24,
        ),
        (
            Protocol::Tls13,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            16,
        ),
        (
            Protocol::Tls12,
            BulkCipher::ChaCha20Poly1305,
            MacAlgorithm::Aead,
            16,
        ),
        (
            Protocol::Tls12,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha256,
            16 + 32 + 1,
        ),
        (
            Protocol::Dtls10,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            16 + 20 + 1,
        ),
        (
            Protocol::Tls10,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            20 + 1,
        ),
    ] {
        let (sealer, opener) = (key(protocol, cipher, mac), key(protocol, cipher, mac));
        let record = seal(&sealer, 1, 23, &[7u8; 33]);
        let needed = record.len() - protocol.record_header_len() - overhead;
        let mut out = vec![0u8; needed - 1];
        assert_eq!(
            opener.open(1, &record, &mut out),
            Err(Error::BufferTooSmall { needed }),
            "{protocol:?} {cipher:?}"
        );
        // The chain of a TLS 1.0 key is untouched by the refusal.
        let mut out = vec![0u8; needed];
        assert_eq!(
            opener.open(1, &record, &mut out),
            Ok(33),
            "{protocol:?} {cipher:?}"
        );
        assert_eq!(&out[..33], &[7u8; 33]);
    }
}

#[test]
fn tls13_tag_failure_is_auth_tag_mismatch() {
    let sealer = key(Protocol::Tls13, BulkCipher::Aes256Gcm, MacAlgorithm::Aead);
    let mut record = seal(&sealer, 0, 23, b"inner\x17");
    assert_eq!(record.len(), 6 + 21);
    record[10] ^= 1;
    let err = open(&sealer, 0, &record).unwrap_err();
    assert_eq!(err, Error::AuthTagMismatch);
    assert_eq!(err.status(), Status::STATUS_AUTH_TAG_MISMATCH);
    assert_eq!(
        open(
            &key(Protocol::Tls12, BulkCipher::Aes256Gcm, MacAlgorithm::Aead),
            0,
            &{
                let mut r = seal(
                    &key(Protocol::Tls12, BulkCipher::Aes256Gcm, MacAlgorithm::Aead),
                    0,
                    23,
                    b"x",
                );
                r[20] ^= 1;
                r
            }
        )
        .unwrap_err()
        .status(),
        Status::NTE_DECRYPTION_FAILURE
    );
}

#[test]
fn new_rejects_bad_combinations_and_lengths() {
    let ok = |p, c: BulkCipher, m: MacAlgorithm| {
        RecordKey::new(
            p,
            c,
            m,
            &vec![0; m.key_len()],
            &vec![0; c.key_len()],
            &vec![0; c.fixed_iv_len(p)],
        )
    };
    assert_eq!(
        ok(
            Protocol::Tls12,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::HmacSha1
        )
        .unwrap_err()
        .status(),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        ok(Protocol::Tls12, BulkCipher::Aes128Cbc, MacAlgorithm::Aead)
            .unwrap_err()
            .status(),
        Status::NTE_INVALID_PARAMETER
    );
    assert_eq!(
        ok(
            Protocol::Tls13,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha256
        )
        .unwrap_err()
        .status(),
        Status::NTE_NOT_SUPPORTED
    );
    for p in [Protocol::Tls10, Protocol::Tls11, Protocol::Dtls10] {
        assert_eq!(
            ok(p, BulkCipher::Aes128Gcm, MacAlgorithm::Aead)
                .unwrap_err()
                .status(),
            Status::NTE_NOT_SUPPORTED
        );
    }
    let p = Protocol::Tls12;
    let bad = [
        RecordKey::new(
            p,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            &[0; 19],
            &[0; 16],
            &[],
        ),
        RecordKey::new(
            p,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            &[0; 20],
            &[0; 32],
            &[],
        ),
        RecordKey::new(
            p,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            &[0; 20],
            &[0; 16],
            &[0; 16],
        ),
        RecordKey::new(
            Protocol::Tls10,
            BulkCipher::Aes128Cbc,
            MacAlgorithm::HmacSha1,
            &[0; 20],
            &[0; 16],
            &[],
        ),
        RecordKey::new(
            p,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            &[],
            &[0; 16],
            &[0; 12],
        ),
        RecordKey::new(
            Protocol::Tls13,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            &[],
            &[0; 16],
            &[0; 4],
        ),
        RecordKey::new(
            p,
            BulkCipher::ChaCha20Poly1305,
            MacAlgorithm::Aead,
            &[],
            &[0; 32],
            &[0; 4],
        ),
    ];
    for (i, result) in bad.into_iter().enumerate() {
        assert_eq!(
            result.unwrap_err().status(),
            Status::NTE_INVALID_PARAMETER,
            "case {i}"
        );
    }
}

#[test]
fn gcm_record_layout_is_rfc5288() {
    // Explicit nonce = the sequence number; nonce = salt ‖ explicit; AAD = seq ‖ type ‖
    // version ‖ length. Checked against the backend AEAD directly.
    use keyward_core::backend::cipher::{AeadAlgorithm, AeadKey};
    let sealer = key(Protocol::Tls12, BulkCipher::Aes128Gcm, MacAlgorithm::Aead);
    let seq = 0x0102_0304_0506_0708u64;
    let record = seal(&sealer, seq, 23, b"hello world");
    assert_eq!(&record[5..13], &seq.to_be_bytes());
    let aead = AeadKey::new(AeadAlgorithm::Aes128Gcm, &material(16, 2)).unwrap();
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&material(4, 3));
    nonce[4..].copy_from_slice(&seq.to_be_bytes());
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[23, 3, 3, 0, 11]);
    let mut body = b"hello world".to_vec();
    let tag = aead.seal_in_place(&nonce, &aad, &mut body).unwrap();
    assert_eq!(&record[13..24], &body[..]);
    assert_eq!(&record[24..], &tag);
}

#[test]
fn chacha_and_tls13_nonces_xor_the_sequence_number() {
    use keyward_core::backend::cipher::{AeadAlgorithm, AeadKey};
    let seq = 0x0a0b_0c0d_0e0f_1011u64;
    let iv = material(12, 3);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    // ChaCha20-Poly1305 in TLS 1.2 (RFC 7905): AAD = seq ‖ type ‖ version ‖ length.
    let chacha = key(
        Protocol::Tls12,
        BulkCipher::ChaCha20Poly1305,
        MacAlgorithm::Aead,
    );
    let record = seal(&chacha, seq, 21, b"alert");
    let aead = AeadKey::new(AeadAlgorithm::ChaCha20Poly1305, &material(32, 2)).unwrap();
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend_from_slice(&[21, 3, 3, 0, 5]);
    let mut body = b"alert".to_vec();
    let tag = aead.seal_in_place(&nonce, &aad, &mut body).unwrap();
    assert_eq!(record[5..10], body[..]);
    assert_eq!(record[10..], tag);
    // TLS 1.3: AAD = the 5-byte header 23 ‖ 0x0303 ‖ length.
    let tls13 = key(
        Protocol::Tls13,
        BulkCipher::ChaCha20Poly1305,
        MacAlgorithm::Aead,
    );
    let record = seal(&tls13, seq, 23, b"data\x17");
    assert_eq!(&record[..5], &[23, 3, 3, 0, 21]);
    let mut body = b"data\x17".to_vec();
    let tag = aead.seal_in_place(&nonce, &record[..5], &mut body).unwrap();
    assert_eq!(record[5..10], body[..]);
    assert_eq!(record[10..], tag);
}

/// CBC keys go through AWS-LC's constant-time TLS CBC code; the pair it lacks is refused.
#[test]
fn aes256_cbc_with_hmac_sha256_is_not_supported() {
    let key = RecordKey::new(
        Protocol::Tls12,
        BulkCipher::Aes256Cbc,
        MacAlgorithm::HmacSha256,
        &[1; 32],
        &[2; 32],
        &[],
    );
    assert_eq!(
        key.map(|_| ()).unwrap_err().status(),
        Status::NTE_NOT_SUPPORTED
    );
}

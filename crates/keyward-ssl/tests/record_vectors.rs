//! TLS 1.3 record protection through the public API against the RFC 8448 §3 trace
//! (the BoringSSL, AWS-LC and Wycheproof vector runs are unit tests in
//! `src/record/vectors_tests.rs`, because they need the crate-private CBC layer).

use keyward_core::Error;
use keyward_ssl::record::{BulkCipher, MacAlgorithm, RecordKey};
use keyward_ssl::Protocol;

const RFC8448: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/rfc/rfc8448.txt"
);

/// The hex value labelled `label` (e.g. "complete record") that follows `marker` in the
/// trace. Values run over several lines and across page breaks; the octet count in the
/// label says where they end.
fn value_after(text: &str, marker: &str, label: &str) -> Vec<u8> {
    let from = text.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &text[from..];
    let at = rest
        .find(label)
        .unwrap_or_else(|| panic!("no {label} after {marker}"));
    let rest = &rest[at + label.len()..];
    let count: usize = rest[rest.find('(').unwrap() + 1..rest.find(" octets").unwrap()]
        .parse()
        .unwrap();
    let mut bytes = Vec::with_capacity(count);
    for line in rest[rest.find(':').unwrap() + 1..].lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let is_hex = !tokens.is_empty()
            && tokens
                .iter()
                .all(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()));
        if is_hex {
            bytes.extend(tokens.iter().map(|t| u8::from_str_radix(t, 16).unwrap()));
        }
        if bytes.len() >= count {
            break;
        }
    }
    assert_eq!(bytes.len(), count, "{label} after {marker}");
    bytes
}

struct Case {
    keys: &'static str,
    record: &'static str,
    seq: u64,
    content_type: u8,
}

const CASES: [Case; 3] = [
    Case {
        keys: "{client}  derive write traffic keys for application data:",
        record: "{client}  send application_data record:",
        seq: 0,
        content_type: 23,
    },
    Case {
        // The server's NewSessionTicket went first under these keys.
        keys: "{server}  derive write traffic keys for application data:",
        record: "{server}  send application_data record:",
        seq: 1,
        content_type: 23,
    },
    Case {
        keys: "{client}  derive write traffic keys for application data:",
        record: "{client}  send alert record:",
        seq: 1,
        content_type: 21,
    },
];

#[test]
fn rfc8448_application_records() {
    let text = std::fs::read_to_string(RFC8448).unwrap();
    for case in &CASES {
        let key = value_after(&text, case.keys, "key expanded");
        let iv = value_after(&text, case.keys, "iv expanded");
        let payload = value_after(&text, case.record, "payload");
        let expected = value_after(&text, case.record, "complete record");
        let record_key = RecordKey::new(
            Protocol::Tls13,
            BulkCipher::Aes128Gcm,
            MacAlgorithm::Aead,
            &[],
            &key,
            &iv,
        )
        .unwrap();

        // TLSInnerPlaintext = content ‖ real content type (no padding in the trace).
        let mut inner = payload.clone();
        inner.push(case.content_type);
        let mut out = vec![0u8; record_key.max_sealed_len(inner.len())];
        let len = record_key.seal(case.seq, 23, &inner, &mut out).unwrap();
        assert_eq!(&out[..len], &expected[..], "{}", case.record);

        let mut plaintext = vec![0u8; expected.len()];
        let len = record_key
            .open(case.seq, &expected, &mut plaintext)
            .unwrap();
        assert_eq!(&plaintext[..len], &inner[..], "{}", case.record);

        let mut in_place = expected.clone();
        assert_eq!(
            record_key.open_in_place(case.seq, &mut in_place).unwrap(),
            &inner[..]
        );

        assert_eq!(
            record_key.open(case.seq + 1, &expected, &mut plaintext),
            Err(Error::AuthTagMismatch)
        );
    }
}

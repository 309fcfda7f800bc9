//! The DER form of an ECDSA signature (`ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`,
//! RFC 3279), which TLS carries, from the fixed-width `r ‖ s` keyward's `sign_hash` returns.

use keyward_core::Error;

/// DER tag of an INTEGER.
const INTEGER: u8 = 0x02;
/// DER tag of a SEQUENCE (constructed).
const SEQUENCE: u8 = 0x30;

/// Appends a DER length.
fn put_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Short form: fits the one byte.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(&significant);
    }
}

/// Appends an unsigned big-endian integer as a minimal DER INTEGER.
fn put_unsigned(out: &mut Vec<u8>, value: &[u8]) {
    let trimmed: &[u8] = match value.iter().position(|b| *b != 0) {
        Some(first) => value.get(first..).unwrap_or_default(),
        None => &[],
    };
    // A zero is one 0x00; a value whose top bit is set takes a 0x00 so it stays positive.
    let pad = trimmed.first().is_none_or(|b| b & 0x80 != 0);
    out.push(INTEGER);
    put_length(out, trimmed.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
}

/// `r ‖ s` (two halves of equal width) as a DER `ECDSA-Sig-Value`. An empty or odd-length
/// input is `NTE_BAD_DATA`.
pub fn ecdsa_raw_to_der(raw: &[u8]) -> Result<Vec<u8>, Error> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return Err(Error::BadData("ECDSA signature is not r ‖ s"));
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut integers = Vec::with_capacity(raw.len() + 6);
    put_unsigned(&mut integers, r);
    put_unsigned(&mut integers, s);
    let mut out = Vec::with_capacity(integers.len() + 4);
    out.push(SEQUENCE);
    put_length(&mut out, integers.len());
    out.extend_from_slice(&integers);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_minimal_and_positive() {
        // r = 0x00..01 (leading zeros dropped), s = 0x80.. (a 0x00 added).
        let mut raw = vec![0u8; 4];
        raw[3] = 1;
        raw.extend_from_slice(&[0x80, 0, 0, 2]);
        assert_eq!(
            ecdsa_raw_to_der(&raw).unwrap(),
            [0x30, 0x0a, 0x02, 0x01, 0x01, 0x02, 0x05, 0x00, 0x80, 0, 0, 2]
        );
        // Zero is a single 0x00.
        assert_eq!(
            ecdsa_raw_to_der(&[0, 0, 0, 0]).unwrap(),
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]
        );
    }

    #[test]
    fn long_signatures_use_the_long_length_form() {
        // P-521 width: 66 bytes each, top bits set, so the body is 2 × (2 + 67) = 138 bytes.
        let raw = vec![0xffu8; 132];
        let der = ecdsa_raw_to_der(&raw).unwrap();
        assert_eq!(der[..3], [0x30, 0x81, 138]);
        assert_eq!(der.len(), 3 + 138);
    }

    #[test]
    fn bad_widths_are_refused() {
        assert!(ecdsa_raw_to_der(&[]).is_err());
        assert!(ecdsa_raw_to_der(&[1, 2, 3]).is_err());
    }
}

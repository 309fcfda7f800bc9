//! The encodings of TLS signatures that the provider's signing and the TLS engine share: the
//! content a TLS 1.3 CertificateVerify signs (RFC 8446 §4.4.3), and the DER
//! `ECDSA-Sig-Value` that TLS carries (RFC 8422 §5.4) against the fixed-width `r ‖ s` of
//! `SslSignHash`.

/// The content a TLS 1.3 CertificateVerify signs (RFC 8446 §4.4.3): 64 spaces, the context
/// string of the signing side, a zero byte, and the transcript hash through the Certificate.
pub fn certificate_verify_content(transcript_hash: &[u8], server: bool) -> Vec<u8> {
    let context: &[u8] = if server {
        b"TLS 1.3, server CertificateVerify"
    } else {
        b"TLS 1.3, client CertificateVerify"
    };
    let mut out = vec![0x20u8; 64];
    out.extend_from_slice(context);
    out.push(0);
    out.extend_from_slice(transcript_hash);
    out
}

/// DER tags.
const TAG_SEQUENCE: u8 = 0x30;
const TAG_INTEGER: u8 = 0x02;

/// Encodes a fixed-width ECDSA signature `r ‖ s` (the provider's form: two big-endian halves
/// of equal width) as the DER `ECDSA-Sig-Value` of RFC 3279 / RFC 8422 §5.4:
/// `SEQUENCE { r INTEGER, s INTEGER }`, each integer minimal and positive. `None` for an empty
/// or odd-length input.
pub fn ecdsa_fixed_to_der(fixed: &[u8]) -> Option<Vec<u8>> {
    if fixed.is_empty() || fixed.len() % 2 != 0 {
        return None;
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let mut body = Vec::with_capacity(fixed.len() + 8);
    write_der_integer(&mut body, r);
    write_der_integer(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.push(TAG_SEQUENCE);
    write_der_length(&mut out, body.len());
    out.extend_from_slice(&body);
    Some(out)
}

/// Writes an unsigned big-endian integer as a DER INTEGER: leading zeros dropped (one zero
/// byte kept for the value 0), and a 0x00 prepended when the top bit is set.
fn write_der_integer(out: &mut Vec<u8>, value: &[u8]) {
    let first = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let digits = value.get(first..).unwrap_or(&[]);
    let pad = digits.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(TAG_INTEGER);
    write_der_length(out, digits.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

fn write_der_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let digits = bytes.get(first..).unwrap_or(&[]);
        out.push(0x80 | digits.len() as u8);
        out.extend_from_slice(digits);
    }
}

/// Decodes a DER `ECDSA-Sig-Value` into the provider's fixed-width `r ‖ s`, each half
/// `field_len` bytes. Strict DER: definite minimal lengths, minimal positive non-zero
/// integers no wider than the field, nothing after the sequence. `None` otherwise.
pub fn ecdsa_der_to_fixed(der: &[u8], field_len: usize) -> Option<Vec<u8>> {
    let (body, rest) = read_der(der, TAG_SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, body) = read_der(body, TAG_INTEGER)?;
    let (s, body) = read_der(body, TAG_INTEGER)?;
    if !body.is_empty() {
        return None;
    }
    let mut fixed = vec![0u8; 2 * field_len];
    let (r_out, s_out) = fixed.split_at_mut(field_len);
    copy_der_integer(r, r_out)?;
    copy_der_integer(s, s_out)?;
    Some(fixed)
}

/// Reads one DER element with `tag` from the front of `input`: (contents, remaining input).
fn read_der(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, input) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form: 1 or 2 length bytes are plenty for any ECDSA signature; the value must
        // need the long form, and carry no leading zero byte.
        let count = usize::from(first & 0x7f);
        if !(1..=2).contains(&count) {
            return None;
        }
        let bytes = input.get(..count)?;
        input = input.get(count..)?;
        if bytes.first() == Some(&0) {
            return None;
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        len
    };
    let contents = input.get(..len)?;
    let rest = input.get(len..)?;
    Some((contents, rest))
}

/// Checks a DER INTEGER's contents (minimal, positive, non-zero) and right-aligns its
/// magnitude into `out`.
fn copy_der_integer(contents: &[u8], out: &mut [u8]) -> Option<()> {
    let (&first, tail) = contents.split_first()?;
    if first & 0x80 != 0 {
        return None; // negative
    }
    let magnitude = if first == 0 {
        // A leading zero is only allowed to clear the sign bit of the next byte.
        match tail.first() {
            Some(&next) if next & 0x80 != 0 => tail,
            _ => return None, // zero, or not minimal
        }
    } else {
        contents
    };
    if magnitude.len() > out.len() {
        return None;
    }
    let start = out.len() - magnitude.len();
    out.get_mut(start..)?.copy_from_slice(magnitude);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_encoding_minimal() {
        // High bit set: 0x00 prepended. Leading zeros: stripped.
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80;
        fixed[63] = 0x01;
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert_eq!(ecdsa_der_to_fixed(&der, 32).unwrap(), fixed);
    }

    #[test]
    fn zero_is_one_byte_and_bad_widths_are_refused() {
        assert_eq!(
            ecdsa_fixed_to_der(&[0, 0, 0, 0]).unwrap(),
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]
        );
        assert_eq!(ecdsa_fixed_to_der(&[]), None);
        assert_eq!(ecdsa_fixed_to_der(&[1, 2, 3]), None);
    }

    #[test]
    fn der_long_form_length() {
        // P-521-sized halves need a long-form sequence length.
        let fixed = vec![0xffu8; 132];
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        assert_eq!(&der[..3], &[0x30, 0x81, 138]);
        assert_eq!(ecdsa_der_to_fixed(&der, 66).unwrap(), fixed);
    }
}

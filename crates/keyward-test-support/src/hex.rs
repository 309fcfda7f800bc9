//! Hexadecimal text, the way every vector file writes bytes.

/// The bytes written as hex in `text`: upper or lower case, surrounding whitespace ignored,
/// empty text is no bytes. Panics naming the text if it is not an even number of hex digits.
pub fn unhex(text: &str) -> Vec<u8> {
    let digits = text.trim().as_bytes();
    assert!(
        digits.len() % 2 == 0,
        "odd number of hex digits in {text:?}"
    );
    digits
        .chunks(2)
        .map(|pair| (digit(pair[0], text) << 4) | digit(pair[1], text))
        .collect()
}

/// A big-endian number written in hex, as Wycheproof writes integers: an odd number of
/// digits means a leading zero nibble was left out.
pub fn unhex_number(text: &str) -> Vec<u8> {
    let digits = text.trim();
    if digits.len() % 2 == 1 {
        unhex(&format!("0{digits}"))
    } else {
        unhex(digits)
    }
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn digit(c: u8, text: &str) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit {:?} in {text:?}", char::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        assert_eq!(unhex("00ff10Ab"), [0x00, 0xff, 0x10, 0xab]);
        assert_eq!(unhex("  \n"), Vec::<u8>::new());
        assert_eq!(hex(&[0x00, 0xff, 0x10, 0xab]), "00ff10ab");
        assert_eq!(unhex_number("102"), [0x01, 0x02]);
        assert_eq!(unhex_number("0102"), [0x01, 0x02]);
    }

    #[test]
    #[should_panic(expected = "odd number of hex digits")]
    fn odd_length_is_refused() {
        unhex("abc");
    }

    #[test]
    #[should_panic(expected = "bad hex digit 'g'")]
    fn non_hex_is_refused() {
        unhex("0g");
    }
}

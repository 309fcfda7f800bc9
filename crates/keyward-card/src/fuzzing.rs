//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`): the crate-private
//! parsers, reachable with untrusted bytes and nothing else. Not part of the API.

use std::io::{self, Read, Write};

use crate::card::state::CardState;
use crate::card::vpcd::{self, Shutdown};
use crate::card::VirtualCard;
use crate::Result;

/// Decodes a card state file; when it decodes, checks that encoding it and decoding that
/// again gives the same encoding. Returns whether the bytes were a valid state.
pub fn card_state_round_trip(bytes: &[u8]) -> bool {
    let Ok(state) = CardState::decode(bytes) else {
        return false;
    };
    let encoded = state.encode();
    let again = CardState::decode(encoded.as_slice())
        .unwrap_or_else(|e| panic!("an encoded state does not decode: {e}"));
    assert!(
        again.encode().as_slice() == encoded.as_slice(),
        "decode and encode disagree"
    );
    true
}

/// vpcd's side of one connection, read from `from_vpcd`; returns what the card wrote back.
pub fn vpcd_exchange(card: &mut VirtualCard, from_vpcd: &[u8]) -> Result<Vec<u8>> {
    let mut stream = Pipe {
        input: io::Cursor::new(from_vpcd),
        output: Vec::new(),
    };
    vpcd::exchange(card, &mut stream, &Shutdown::new(), &mut |_| {})?;
    Ok(stream.output)
}

struct Pipe<'a> {
    input: io::Cursor<&'a [u8]>,
    output: Vec<u8>,
}

impl Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

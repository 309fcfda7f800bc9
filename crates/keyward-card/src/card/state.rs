//! The persistent state of the virtual card — security domain keyset, sequence counter, PINs
//! with their retry counters, key containers — its binary encoding, and the state file.
//!
//! The file is written whole to a new temporary file (mode 0600) in the same directory, synced,
//! then renamed over the old one, and the directory synced, so a crash leaves either the old or
//! the new state, never a mix ([`store`]). The encoding lives in one buffer allocated at its
//! final size and wiped on drop. Encoding (all lengths big-endian):
//!
//! ```text
//! "KWVCARD" version(1) = 1
//! AID length(1) AID(5..16) | key diversification data(10) | SCP03 "i"(1)
//! KVN(1) key length(1) Key-ENC Key-MAC Key-DEK | sequence counter(3)
//! user PIN:  length(1) PIN retry-limit(1) remaining(1)
//! admin PIN: length(1) PIN retry-limit(1) remaining(1)
//! containers: count(1), then count × { index(1) key-spec(1) PIN id(1) length(2) PKCS#8 }
//! ```

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use keyward_core::backend::fill_random;
use keyward_core::codec::{self, Codec, Reader};
use keyward_core::SecretVec;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::container;
use crate::instructions::{
    PinId, MAX_CONTAINERS, MAX_IMPORT_LEN, MAX_PIN_LEN, MAX_RETRY_LIMIT, MIN_PIN_LEN,
};
use crate::scp03::{ScpOptions, StaticKeys, KEY_DIVERSIFICATION_LEN};
use crate::{Error, Result};

const MAGIC: &[u8; 7] = b"KWVCARD";
const FORMAT_VERSION: u8 = 1;
/// Largest value of the 3-byte sequence counter.
pub(crate) const MAX_SEQUENCE_COUNTER: u32 = 0x00FF_FFFF;

/// A PIN with its retry counter. The value is stored padded to [`MAX_PIN_LEN`] so that it is
/// compared in constant time whatever the lengths.
#[derive(Clone)]
pub(crate) struct PinRecord {
    value: [u8; MAX_PIN_LEN],
    len: u8,
    pub(crate) retry_limit: u8,
    pub(crate) remaining: u8,
}

impl PinRecord {
    pub(crate) fn new(pin: &[u8], retry_limit: u8) -> Result<Self> {
        if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
            return Err(Error::InvalidPin);
        }
        if !(1..=MAX_RETRY_LIMIT).contains(&retry_limit) {
            return Err(Error::InvalidParameter("PIN retry limit is not 1..=15"));
        }
        let mut value = [0u8; MAX_PIN_LEN];
        for (slot, byte) in value.iter_mut().zip(pin) {
            *slot = *byte;
        }
        Ok(PinRecord {
            value,
            len: pin.len() as u8,
            retry_limit,
            remaining: retry_limit,
        })
    }

    /// Constant-time comparison with a candidate (any length up to the maximum).
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        if candidate.len() > MAX_PIN_LEN {
            return false;
        }
        let mut padded = [0u8; MAX_PIN_LEN];
        for (slot, byte) in padded.iter_mut().zip(candidate) {
            *slot = *byte;
        }
        let same = padded.ct_eq(&self.value) & (candidate.len() as u8).ct_eq(&self.len);
        padded.zeroize();
        bool::from(same)
    }

    pub(crate) fn is_blocked(&self) -> bool {
        self.remaining == 0
    }
}

impl Drop for PinRecord {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

/// A key container: the private key (PKCS#8), its cardmod key spec and guarding PIN.
#[derive(Clone)]
pub(crate) struct Container {
    pub(crate) key_spec: u8,
    pub(crate) pin: PinId,
    pub(crate) pkcs8: SecretVec,
}

/// Everything the card keeps across restarts.
#[derive(Clone)]
pub(crate) struct CardState {
    pub(crate) aid: Vec<u8>,
    pub(crate) key_diversification: [u8; KEY_DIVERSIFICATION_LEN],
    pub(crate) options: ScpOptions,
    pub(crate) keys: StaticKeys,
    pub(crate) sequence_counter: u32,
    pub(crate) user_pin: PinRecord,
    pub(crate) admin_pin: PinRecord,
    pub(crate) containers: [Option<Container>; MAX_CONTAINERS as usize],
}

impl CardState {
    pub(crate) fn pin(&self, pin: PinId) -> &PinRecord {
        match pin {
            PinId::User => &self.user_pin,
            PinId::Admin => &self.admin_pin,
        }
    }

    pub(crate) fn pin_mut(&mut self, pin: PinId) -> &mut PinRecord {
        match pin {
            PinId::User => &mut self.user_pin,
            PinId::Admin => &mut self.admin_pin,
        }
    }

    /// The encoded state, in a buffer that is wiped on drop. Its length is computed first and
    /// the buffer allocated once at that size, so no reallocation leaves a copy of a key, a PIN
    /// or a PKCS#8 in freed memory.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.push(self.aid.len() as u8);
        out.extend_from_slice(&self.aid);
        out.extend_from_slice(&self.key_diversification);
        out.push(self.options.to_byte());
        out.extend_from_slice(&[self.keys.version(), self.keys.key_len() as u8]);
        out.extend_from_slice(self.keys.enc());
        out.extend_from_slice(self.keys.mac());
        out.extend_from_slice(self.keys.dek());
        out.extend_from_slice(&self.sequence_counter.to_be_bytes()[1..]);
        self.user_pin.encode(&mut out);
        self.admin_pin.encode(&mut out);
        let occupied = self.containers.iter().filter(|c| c.is_some()).count();
        out.push(occupied as u8);
        for (index, container) in self.containers.iter().enumerate() {
            if let Some(container) = container {
                out.extend_from_slice(&[index as u8, container.key_spec, container.pin.role()]);
                out.extend_from_slice(&(container.pkcs8.len() as u16).to_be_bytes());
                out.extend_from_slice(container.pkcs8.expose());
            }
        }
        out
    }

    /// The exact length of [`CardState::encode`]'s output.
    fn encoded_len(&self) -> usize {
        let pins: usize = [&self.user_pin, &self.admin_pin]
            .iter()
            .map(|pin| 3 + usize::from(pin.len))
            .sum();
        let containers: usize = self
            .containers
            .iter()
            .flatten()
            .map(|container| 5 + container.pkcs8.len())
            .sum();
        MAGIC.len()
            + 2
            + self.aid.len()
            + KEY_DIVERSIFICATION_LEN
            + 3
            + 3 * self.keys.key_len()
            + 3
            + pins
            + 1
            + containers
    }

    /// Parses and validates an encoded state; anything malformed, out of range, or trailing is
    /// `Storage`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes);
        let state = Self::read(&mut reader)?;
        reader.finish().map_err(Corrupt::from)?;
        Ok(state)
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Corrupt> {
        if reader.take(MAGIC.len())? != MAGIC || reader.u8()? != FORMAT_VERSION {
            return Err(Corrupt(
                "not a keyward virtual card state (magic or version)",
            ));
        }
        let aid_len = usize::from(reader.u8()?);
        if !(5..=16).contains(&aid_len) {
            return Err(Corrupt("AID length"));
        }
        let aid = reader.take(aid_len)?.to_vec();
        let key_diversification = reader.array::<KEY_DIVERSIFICATION_LEN>()?;
        let options = ScpOptions::from_byte(reader.u8()?).map_err(|_| Corrupt("SCP03 options"))?;
        let version = reader.u8()?;
        let key_len = usize::from(reader.u8()?);
        let enc = reader.take(key_len)?;
        let mac = reader.take(key_len)?;
        let dek = reader.take(key_len)?;
        let keys = StaticKeys::new(version, enc, mac, dek).map_err(|_| Corrupt("keyset"))?;
        let [c0, c1, c2] = reader.array::<3>()?;
        let sequence_counter = u32::from_be_bytes([0, c0, c1, c2]);
        let user_pin = PinRecord::read(reader)?;
        let admin_pin = PinRecord::read(reader)?;
        let mut containers: [Option<Container>; MAX_CONTAINERS as usize] = Default::default();
        for _ in 0..reader.u8()? {
            let index = usize::from(reader.u8()?);
            let key_spec = reader.u8()?;
            let pin = PinId::from_role(u32::from(reader.u8()?))
                .map_err(|_| Corrupt("container PIN id"))?;
            let pkcs8 = SecretVec::from_slice(reader.vec_u16()?);
            container::validate(key_spec, pkcs8.expose()).map_err(|_| Corrupt("container key"))?;
            let slot = containers
                .get_mut(index)
                .ok_or(Corrupt("container index"))?;
            if slot.is_some() {
                return Err(Corrupt("container index repeated"));
            }
            *slot = Some(Container {
                key_spec,
                pin,
                pkcs8,
            });
        }
        Ok(CardState {
            aid,
            key_diversification,
            options,
            keys,
            sequence_counter,
            user_pin,
            admin_pin,
            containers,
        })
    }
}

fn corrupt(what: &str) -> Error {
    Error::Storage(format!("corrupt card state: {what}"))
}

/// What is wrong with a state file; it becomes `Storage("corrupt card state: …")`.
#[derive(Debug)]
pub(crate) struct Corrupt(&'static str);

impl From<codec::Error> for Corrupt {
    fn from(error: codec::Error) -> Self {
        Corrupt(match error {
            codec::Error::TrailingBytes => "trailing bytes",
            _ => "truncated",
        })
    }
}

impl From<Corrupt> for Error {
    fn from(Corrupt(what): Corrupt) -> Self {
        corrupt(what)
    }
}

/// A PIN record: `length(1) PIN retry-limit(1) remaining(1)`.
impl Codec for PinRecord {
    type Error = Corrupt;

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        out.extend(self.value.iter().take(usize::from(self.len)));
        out.extend_from_slice(&[self.retry_limit, self.remaining]);
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let value = reader.vec_u8()?;
        let retry_limit = reader.u8()?;
        let remaining = reader.u8()?;
        let mut pin = PinRecord::new(value, retry_limit).map_err(|_| Corrupt("PIN"))?;
        if remaining > retry_limit {
            return Err(Corrupt("PIN retry counter above its limit"));
        }
        pin.remaining = remaining;
        Ok(pin)
    }
}

/// Largest state file: the fixed fields plus eight containers of the largest import.
const MAX_STATE_LEN: u64 = 1024 + MAX_CONTAINERS as u64 * (5 + MAX_IMPORT_LEN as u64);

/// Reads and decodes the state file, into a buffer allocated once at the file's size (and
/// wiped on drop).
pub(crate) fn load(path: &Path) -> Result<CardState> {
    let storage_error =
        |error: std::io::Error| Error::Storage(format!("{}: {error}", path.display()));
    let file = fs::File::open(path).map_err(storage_error)?;
    let len = file.metadata().map_err(storage_error)?.len();
    if len > MAX_STATE_LEN {
        return Err(corrupt("file larger than any card state"));
    }
    // One byte more than the file, so that reading to its end never grows the buffer.
    let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
    file.take(MAX_STATE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(storage_error)?;
    CardState::decode(&bytes)
}

/// Replaces the state file atomically: the encoding goes to a new temporary file (mode 0600)
/// in the same directory, which is synced, then renamed over the old file, and the directory
/// is synced so that the rename itself is durable. With `create_new`, the temporary file is
/// hard-linked to `path` instead of renamed, which fails if `path` exists — in the same
/// system call that creates it, so nothing can appear in between.
///
/// Any failure is `Storage`. A failure after the rename (the directory sync) leaves the new
/// state in the file although the caller keeps the old one: callers only ever write states
/// that are safe to find after a crash (a PIN counter is decremented before the compare).
pub(crate) fn store(path: &Path, state: &CardState, create_new: bool) -> Result<()> {
    let storage_error =
        |error: std::io::Error| Error::Storage(format!("{}: {error}", path.display()));
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Storage(format!("{}: not a file path", path.display())))?;
    let mut tag = [0u8; 8];
    fill_random(&mut tag)?;
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    let encoded = state.encode();
    let mut placed = false;
    let written = (|| -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(&encoded)?;
        file.sync_all()?;
        drop(file);
        if create_new {
            fs::hard_link(&temporary, path)?;
            placed = true;
            fs::remove_file(&temporary)?;
        } else {
            fs::rename(&temporary, path)?;
            placed = true;
        }
        fs::File::open(directory)?.sync_all()
    })();
    if let Err(error) = written {
        if !placed || create_new {
            let _ = fs::remove_file(&temporary);
        }
        return Err(storage_error(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_compare_by_value_and_length() {
        let pin = PinRecord::new(b"1234", 3).unwrap();
        assert!(pin.matches(b"1234"));
        assert!(!pin.matches(b"1235"));
        assert!(!pin.matches(b"12340"));
        assert!(!pin.matches(b"1234\0"));
        assert!(!pin.matches(b""));
        assert!(!pin.matches(&[0x31; 40]));
        assert!(PinRecord::new(b"123", 3).is_err());
        assert!(PinRecord::new(b"1234", 0).is_err());
        assert!(PinRecord::new(b"1234", 16).is_err());
    }

    #[test]
    fn the_encoding_is_allocated_once_at_its_final_size() {
        let keys = StaticKeys::new(0x30, &[1; 32], &[2; 32], &[3; 32]).unwrap();
        let personalization = super::super::Personalization::new(keys, b"1234", b"admin-pin-0")
            .unwrap()
            .with_aid(&[0xA0, 0, 0, 0, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
            .unwrap();
        let mut state = personalization.into_state().unwrap();
        let encoded = state.encode();
        assert_eq!(
            (encoded.len(), encoded.capacity()),
            (state.encoded_len(), state.encoded_len())
        );
        for (index, pkcs8_len) in [(0, 1218), (3, 138), (7, MAX_IMPORT_LEN - 2)] {
            state.containers[index] = Some(Container {
                key_spec: 1,
                pin: PinId::Admin,
                pkcs8: SecretVec::zeroed(pkcs8_len),
            });
        }
        let encoded = state.encode();
        assert_eq!(encoded.len(), state.encoded_len());
        assert_eq!(encoded.capacity(), encoded.len(), "the buffer never grew");
    }

    #[test]
    fn cut_or_padded_states_are_storage_errors() {
        let keys = StaticKeys::new(0x30, &[1; 16], &[2; 16], &[3; 16]).unwrap();
        let personalization =
            super::super::Personalization::new(keys, b"1234", b"admin-pin-0").unwrap();
        let encoded = personalization.into_state().unwrap().encode();
        assert!(CardState::decode(&encoded).is_ok());
        let corrupt = |what: &str| Err(Error::Storage(format!("corrupt card state: {what}")));
        for len in 0..encoded.len() {
            let cut = CardState::decode(&encoded[..len]).map(|_| ());
            assert_eq!(cut, corrupt("truncated"), "cut to {len} bytes");
        }
        let mut padded = encoded.to_vec();
        padded.push(0);
        assert_eq!(
            CardState::decode(&padded).map(|_| ()),
            corrupt("trailing bytes")
        );
    }
}

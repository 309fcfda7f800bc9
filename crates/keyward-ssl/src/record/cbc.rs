//! CBC MAC-then-encrypt record protection (RFC 5246 §6.2.3.2, RFC 4346, RFC 2246).
//!
//! Sealing: `MAC = HMAC(mac_key, seq ‖ type ‖ version ‖ length ‖ data)`, then minimal
//! padding (`p` bytes of value `p − 1`, `p` in 1..=block), then AES-CBC. The IV is a
//! fresh random block sent before the ciphertext (TLS 1.1+, DTLS), or, for TLS 1.0, the
//! last ciphertext block of the previous record in this direction (kept in the key).
//!
//! Opening checks padding and MAC without branching on or indexing by the decrypted
//! padding length (Lucky13, AlFardan–Paterson 2013; RFC 5246 §6.2.3.2 note):
//!
//! - the padding is checked over the last `min(256, body)` bytes with masks;
//! - the received MAC is gathered from every candidate position with masks;
//! - the MAC is compared with `subtle::ConstantTimeEq`, and one combined `Choice`
//!   decides success;
//! - the work of the HMAC is equalised: the real HMAC runs over the data that the padding
//!   says is there, and then `HmacKey::run_dummy_compressions` runs as many extra
//!   compression-function calls as the longest possible data (no padding) would have
//!   needed beyond it, so the number of compression calls depends only on the public
//!   record length.
//!
//! Residual limits of this method (the backend gives no access to the raw compression
//! function, so the MAC cannot be computed over a fixed-length input): the lengths handed
//! to the hash update calls, and so the partial-block copies inside the hash and the
//! iteration count of the dummy loop, still depend on the padding length; this costs tens
//! of cycles against the hundreds of one compression call that Lucky13 measures. The bytes
//! read by the real HMAC (a prefix of the last ≤ 256 + MAC bytes) also depend on it, which
//! a cache-observing attacker on the same machine might see.

use core::ops::Range;
use std::sync::Mutex;

use keyward_core::backend::cipher::{fill_random, AesCbcKey, AES_BLOCK_LEN};
use keyward_core::backend::hmac::{HmacKey, MAX_TAG_LEN};
use keyward_core::backend::HashAlgorithm;
use keyward_core::{Error, Result, Secret};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

/// seq(8) ‖ type(1) ‖ version(2): the MAC header without its length field.
pub(super) type MacPrefix = [u8; 11];

/// Padding is at most 256 bytes (a length byte of 255 plus itself).
const MAX_PADDING_LEN: usize = 256;
/// The decrypted bytes the padding and MAC can occupy, rounded up by one block: the
/// "tail" that the constant-time check scans.
const MAX_TAIL_LEN: usize = MAX_TAG_LEN + MAX_PADDING_LEN + AES_BLOCK_LEN;
/// Length of the seq ‖ type ‖ version ‖ length header under the MAC.
const MAC_HEADER_LEN: usize = 13;

/// One direction's CBC state: AES key schedule, HMAC key and (TLS 1.0) the IV chain.
pub(super) struct CbcProtection {
    cipher: AesCbcKey,
    mac: HmacKey,
    mac_len: usize,
    /// TLS 1.0: the IV of the next record (the previous record's last ciphertext
    /// block). Updated only when a record is sealed or opened successfully.
    chain: Option<Mutex<Secret<AES_BLOCK_LEN>>>,
}

impl CbcProtection {
    /// Prepares the keys; `implicit_iv` is `Some` (16 bytes) for TLS 1.0 chained IVs.
    pub(super) fn new(
        enc_key: &[u8],
        hash: HashAlgorithm,
        mac_key: &[u8],
        implicit_iv: Option<&[u8]>,
    ) -> Result<Self> {
        let chain = match implicit_iv {
            None => None,
            Some(iv) => {
                let iv: [u8; AES_BLOCK_LEN] = iv
                    .try_into()
                    .map_err(|_| Error::InvalidParameter("CBC IV length"))?;
                Some(Mutex::new(Secret::new(iv)))
            }
        };
        Ok(CbcProtection {
            cipher: AesCbcKey::new(enc_key)?,
            mac: HmacKey::new(hash, mac_key)?,
            mac_len: hash.output_len(),
            chain,
        })
    }

    /// TLS 1.0: the IV of the next record; `None` with explicit IVs.
    pub(super) fn chaining_iv(&self) -> Result<Option<Secret<AES_BLOCK_LEN>>> {
        self.chain
            .as_ref()
            .map(|chain| lock(chain).map(|iv| iv.clone()))
            .transpose()
    }

    /// Bytes of explicit IV at the start of each record body (16, or 0 for TLS 1.0).
    pub(super) fn explicit_iv_len(&self) -> usize {
        if self.chain.is_some() {
            0
        } else {
            AES_BLOCK_LEN
        }
    }

    /// Body length (explicit IV, ciphertext of data ‖ MAC ‖ minimal padding).
    pub(super) fn sealed_len(&self, plaintext_len: usize) -> usize {
        self.explicit_iv_len()
            .saturating_add(self.padded_len(plaintext_len))
    }

    /// The largest plaintext a body of `body_len` bytes can hold (body − IV − MAC − 1).
    /// A body that is not whole blocks, or too short for IV, MAC and one padding byte,
    /// is `BadData`.
    pub(super) fn max_plaintext_len(&self, body_len: usize) -> Result<usize> {
        if body_len % AES_BLOCK_LEN != 0 {
            return Err(Error::BadData("CBC record is not a whole number of blocks"));
        }
        body_len
            .checked_sub(self.explicit_iv_len() + self.mac_len + 1)
            .ok_or(Error::BadData(
                "CBC record too short for IV, MAC and padding",
            ))
    }

    /// Seals the `plaintext_len` bytes at `body[explicit_iv_len..]` in place, with a fresh
    /// random IV (TLS 1.1+) or the chained IV (TLS 1.0); returns the body length.
    pub(super) fn seal(
        &self,
        prefix: &MacPrefix,
        body: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        match &self.chain {
            None => {
                let mut iv = [0u8; AES_BLOCK_LEN];
                fill_random(&mut iv)?;
                self.seal_with_iv(prefix, &iv, body, plaintext_len)
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let len = self.encrypt(prefix, iv.expose(), body, plaintext_len)?;
                let next = last_block(body.get(..len).unwrap_or(&[]))?;
                *iv.expose_mut() = next;
                Ok(len)
            }
        }
    }

    /// Seals with the given explicit IV (TLS 1.1+ layout): the IV is written to
    /// `body[..16]`, the plaintext is at `body[16..]`. Used by `seal` and by the vector
    /// tests; a TLS 1.0 (chained-IV) key refuses it.
    pub(super) fn seal_with_iv(
        &self,
        prefix: &MacPrefix,
        iv: &[u8; AES_BLOCK_LEN],
        body: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        if self.chain.is_some() {
            return Err(Error::Internal("explicit IV on a chained-IV key"));
        }
        let needed = self.sealed_len(plaintext_len);
        if body.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        let (iv_slot, rest) = body.split_at_mut(AES_BLOCK_LEN);
        iv_slot.copy_from_slice(iv);
        let len = self.encrypt(prefix, iv, rest, plaintext_len)?;
        Ok(AES_BLOCK_LEN + len)
    }

    /// Opens `body` ([explicit IV] ‖ ciphertext) in place; returns where the plaintext is
    /// inside `body`. Any MAC or padding fault is `DecryptionFailure` (decided in
    /// constant time) and leaves the decrypted region zeroed and the IV chain unchanged.
    pub(super) fn open_in_place(
        &self,
        prefix: &MacPrefix,
        body: &mut [u8],
    ) -> Result<Range<usize>> {
        self.max_plaintext_len(body.len())?;
        let (iv_part, ciphertext) = body.split_at_mut(self.explicit_iv_len());
        let len = match &self.chain {
            None => {
                let iv: [u8; AES_BLOCK_LEN] = (&*iv_part)
                    .try_into()
                    .map_err(|_| Error::Internal("CBC IV length"))?;
                self.decrypt_and_check_in_place(prefix, &iv, ciphertext)?
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let next = last_block(ciphertext)?;
                let len = self.decrypt_and_check_in_place(prefix, iv.expose(), ciphertext)?;
                *iv.expose_mut() = next;
                len
            }
        };
        let start = self.explicit_iv_len();
        Ok(start..start + len)
    }

    /// Opens `body` into `out` (which must hold `max_plaintext_len` bytes); returns the
    /// plaintext length. Faults as for `open_in_place`; on failure `out` holds no
    /// plaintext.
    pub(super) fn open_to(&self, prefix: &MacPrefix, body: &[u8], out: &mut [u8]) -> Result<usize> {
        let max = self.max_plaintext_len(body.len())?;
        if out.len() < max {
            return Err(Error::BufferTooSmall { needed: max });
        }
        let (iv_part, ciphertext) = body.split_at(self.explicit_iv_len());
        match &self.chain {
            None => {
                let iv: [u8; AES_BLOCK_LEN] = iv_part
                    .try_into()
                    .map_err(|_| Error::Internal("CBC IV length"))?;
                self.decrypt_and_check_to(prefix, &iv, ciphertext, out)
            }
            Some(chain) => {
                let mut iv = lock(chain)?;
                let next = last_block(ciphertext)?;
                let len = self.decrypt_and_check_to(prefix, iv.expose(), ciphertext, out)?;
                *iv.expose_mut() = next;
                Ok(len)
            }
        }
    }

    /// Data ‖ MAC ‖ minimal padding: the next multiple of the block length above
    /// `plaintext_len + mac_len` (so 1..=16 padding bytes).
    fn padded_len(&self, plaintext_len: usize) -> usize {
        let unpadded = plaintext_len.saturating_add(self.mac_len);
        unpadded.saturating_add(AES_BLOCK_LEN - unpadded % AES_BLOCK_LEN)
    }

    /// MACs, pads and encrypts the plaintext at `buf[..plaintext_len]`; returns the
    /// ciphertext length.
    fn encrypt(
        &self,
        prefix: &MacPrefix,
        iv: &[u8; AES_BLOCK_LEN],
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        let padded_len = self.padded_len(plaintext_len);
        let length_field = u16::try_from(plaintext_len)
            .map_err(|_| Error::InvalidParameter("record plaintext too long"))?
            .to_be_bytes();
        let body = buf
            .get_mut(..padded_len)
            .ok_or(Error::BufferTooSmall { needed: padded_len })?;
        let (data, trailer) = body.split_at_mut(plaintext_len);
        let tag = self.mac.sign(&[prefix, &length_field, data]);
        let (mac_slot, padding) = trailer.split_at_mut(self.mac_len);
        mac_slot.copy_from_slice(tag.as_bytes());
        let padding_value =
            u8::try_from(padding.len() - 1).map_err(|_| Error::Internal("CBC padding length"))?;
        padding.fill(padding_value);
        self.cipher.encrypt_in_place(iv, body)?;
        Ok(padded_len)
    }

    fn decrypt_and_check_in_place(
        &self,
        prefix: &MacPrefix,
        iv: &[u8; AES_BLOCK_LEN],
        ciphertext: &mut [u8],
    ) -> Result<usize> {
        self.cipher.decrypt_in_place(iv, ciphertext)?;
        let (head, tail) = ciphertext.split_at(self.head_len(ciphertext.len()));
        let result = self.check_padding_and_mac(prefix, head, tail);
        if result.is_err() {
            ciphertext.zeroize();
        }
        result
    }

    /// Decrypts the public data-only head straight into `out` and the tail (where MAC and
    /// padding live) into a stack buffer, checks, then copies the tail's data into `out`.
    fn decrypt_and_check_to(
        &self,
        prefix: &MacPrefix,
        iv: &[u8; AES_BLOCK_LEN],
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        let head_len = self.head_len(ciphertext.len());
        let (ciphertext_head, ciphertext_tail) = ciphertext.split_at(head_len);
        let tail_iv = match head_len {
            0 => *iv,
            _ => last_block(ciphertext_head)?,
        };
        let mut tail_buf = [0u8; MAX_TAIL_LEN];
        let result = self.decrypt_split(
            prefix,
            (iv, ciphertext_head),
            (&tail_iv, ciphertext_tail),
            out,
            &mut tail_buf,
        );
        if result.is_err() {
            if let Some(out_head) = out.get_mut(..head_len) {
                out_head.zeroize();
            }
        }
        tail_buf.zeroize();
        result
    }

    fn decrypt_split(
        &self,
        prefix: &MacPrefix,
        (iv, ciphertext_head): (&[u8; AES_BLOCK_LEN], &[u8]),
        (tail_iv, ciphertext_tail): (&[u8; AES_BLOCK_LEN], &[u8]),
        out: &mut [u8],
        tail_buf: &mut [u8; MAX_TAIL_LEN],
    ) -> Result<usize> {
        let head_len = ciphertext_head.len();
        let (out_head, out_rest) = out
            .split_at_mut_checked(head_len)
            .ok_or(Error::Internal("CBC output length"))?;
        out_head.copy_from_slice(ciphertext_head);
        self.cipher.decrypt_in_place(iv, out_head)?;
        let tail = tail_buf
            .get_mut(..ciphertext_tail.len())
            .ok_or(Error::Internal("CBC tail length"))?;
        tail.copy_from_slice(ciphertext_tail);
        self.cipher.decrypt_in_place(tail_iv, tail)?;
        let len = self.check_padding_and_mac(prefix, out_head, tail)?;
        // Success: the length is public from here on.
        let tail_data = len
            .checked_sub(head_len)
            .and_then(|data_in_tail| tail.get(..data_in_tail))
            .ok_or(Error::Internal("CBC tail length"))?;
        out_rest
            .get_mut(..tail_data.len())
            .ok_or(Error::Internal("CBC output length"))?
            .copy_from_slice(tail_data);
        Ok(len)
    }

    /// How many leading bytes of a decrypted body of `body_len` bytes are data whatever
    /// the padding says (whole blocks before the last MAC + 256 bytes). Public.
    fn head_len(&self, body_len: usize) -> usize {
        let head = body_len.saturating_sub(self.mac_len + MAX_PADDING_LEN);
        head - head % AES_BLOCK_LEN
    }

    /// The constant-time check of a decrypted body `head ‖ tail` (no IV): padding
    /// bytes, MAC over the data, received MAC. Returns the data length, or
    /// `DecryptionFailure`. `head` must be at most `head_len(head.len() + tail.len())`
    /// bytes, so that all padding and MAC bytes lie in `tail`; the body must be at least
    /// MAC + 1 bytes long (checked publicly before).
    fn check_padding_and_mac(&self, prefix: &MacPrefix, head: &[u8], tail: &[u8]) -> Result<usize> {
        let body_len = head.len() + tail.len();
        let max_data_len = body_len
            .checked_sub(self.mac_len + 1)
            .ok_or(Error::Internal("CBC body shorter than MAC"))?;
        let last_byte = *tail.last().ok_or(Error::Internal("CBC tail empty"))?;

        let (padding_ok, padding_len) = check_padding(tail, last_byte, max_data_len);
        // Arithmetic only: `padding_len <= max_data_len` after `check_padding`.
        let data_len = max_data_len - padding_len;

        // Both offsets are at least `head.len()` because `head` holds no padding or MAC.
        let data_in_tail = data_len
            .checked_sub(head.len())
            .ok_or(Error::Internal("CBC head too long"))?;
        let max_data_in_tail = max_data_len
            .checked_sub(head.len())
            .ok_or(Error::Internal("CBC head too long"))?;
        let computed = self.mac_over_data(prefix, head, tail, data_len, max_data_len)?;
        let received = gather_mac(tail, data_in_tail, max_data_in_tail, self.mac_len)?;
        let mac_ok = computed
            .get(..self.mac_len)
            .unwrap_or(&[])
            .ct_eq(received.get(..self.mac_len).unwrap_or(&[1]));

        if bool::from(padding_ok & mac_ok) {
            Ok(data_len)
        } else {
            Err(Error::DecryptionFailure)
        }
    }

    /// HMAC over prefix ‖ length ‖ data (`data_len` bytes of `head ‖ tail`), followed by
    /// dummy compression calls so that the total equals that of `max_data_len` bytes.
    fn mac_over_data(
        &self,
        prefix: &MacPrefix,
        head: &[u8],
        tail: &[u8],
        data_len: usize,
        max_data_len: usize,
    ) -> Result<[u8; MAX_TAG_LEN]> {
        // data_len <= 16384 + 2048 in any record that passed the length checks.
        let length_field = (data_len as u16).to_be_bytes();
        let tail_data = data_len
            .checked_sub(head.len())
            .and_then(|data_in_tail| tail.get(..data_in_tail))
            .ok_or(Error::Internal("CBC data length"))?;
        let mut context = self.mac.context();
        context.update(prefix);
        context.update(&length_field);
        context.update(head);
        context.update(tail_data);
        let tag = context.finish();

        let hash = self.mac.algorithm();
        let most = hash.compression_calls(MAC_HEADER_LEN + max_data_len);
        let done = hash.compression_calls(MAC_HEADER_LEN + data_len);
        self.mac.run_dummy_compressions(most.saturating_sub(done));

        let mut out = [0u8; MAX_TAG_LEN];
        for (o, t) in out.iter_mut().zip(tag.as_bytes()) {
            *o = *t;
        }
        Ok(out)
    }
}

// Masks over record lengths and offsets (all below 2^31): all ones or all zeros, made with
// arithmetic only, no comparison the compiler could turn into a branch. Each loop's secret
// input passes once through `core::hint::black_box`, so the optimiser cannot reason about
// its value; the `subtle` equivalents put a barrier on every operation, which made these
// per-byte loops the most expensive part of a CBC record check.

/// All ones if `a < b`.
fn mask_lt(a: u32, b: u32) -> u32 {
    0u32.wrapping_sub(a.wrapping_sub(b) >> 31)
}

/// All ones if `a >= b`.
fn mask_ge(a: u32, b: u32) -> u32 {
    !mask_lt(a, b)
}

/// All ones if `a == b`.
fn mask_eq(a: u32, b: u32) -> u32 {
    let difference = a ^ b;
    !0u32.wrapping_sub((difference | difference.wrapping_neg()) >> 31)
}

/// Checks the padding of a decrypted body whose last byte is `last_byte`, scanning the
/// last `min(256, tail)` bytes with masks. Returns (valid, padding length including the
/// length byte − 1, i.e. the padding value). When the padding would not fit before the
/// MAC the returned length is 0 and `valid` is false, so callers stay in bounds.
fn check_padding(tail: &[u8], last_byte: u8, max_data_len: usize) -> (Choice, usize) {
    let value = core::hint::black_box(u32::from(last_byte));
    // The padding fits iff value + 1 + mac_len <= body_len, i.e. value <= max_data_len.
    let limit = u32::try_from(max_data_len)
        .unwrap_or(u32::MAX >> 1)
        .min(u32::MAX >> 1);
    let fits = mask_ge(limit, value);
    let value = value & fits;

    let mut bad = !fits;
    for (distance, byte) in tail.iter().rev().take(MAX_PADDING_LEN).enumerate() {
        // distance is public (< 256); `value` is secret.
        let in_padding = mask_ge(value, distance as u32);
        bad |= in_padding & u32::from(byte ^ last_byte);
    }
    let valid = mask_eq(bad, 0) & 1;
    (Choice::from(valid as u8), value as usize)
}

/// Copies the `mac_len` bytes at the secret offset `start` of `tail` without a
/// secret-dependent branch or index, in two passes:
///
/// 1. one masked scan over the window of every possible MAC position (`last_start − 255` ..
///    `last_start + mac_len`): byte `i` of the window lands in `rotated[i mod mac_len]` when
///    it belongs to the MAC, and the public counter `i mod mac_len` at the MAC's first byte is
///    kept, under a mask, as the rotation amount;
/// 2. a rotation of `rotated` left by that amount, made of conditional rotations by 1, 2, 4,
///    … bytes, each applied to every byte under a mask.
///
/// The work is O(window + mac_len · log mac_len) instead of O(256 · mac_len) for a scan of
/// every candidate position.
fn gather_mac(
    tail: &[u8],
    start: usize,
    last_start: usize,
    mac_len: usize,
) -> Result<[u8; MAX_TAG_LEN]> {
    if mac_len == 0 || mac_len > MAX_TAG_LEN {
        return Err(Error::Internal("CBC MAC length"));
    }
    let first_start = last_start.saturating_sub(MAX_PADDING_LEN - 1);
    let window = tail
        .get(first_start..last_start + mac_len)
        .ok_or(Error::Internal("CBC MAC position"))?;
    // Offset of the MAC inside the window: secret, below 256.
    let offset = core::hint::black_box((start as u32).wrapping_sub(first_start as u32));
    let end = offset.wrapping_add(mac_len as u32);

    let mut rotated = [0u8; MAX_TAG_LEN];
    let mut rotation = 0u32;
    let mut column = 0usize; // i mod mac_len, public
    for (i, byte) in window.iter().enumerate() {
        let i = i as u32;
        let in_mac = mask_ge(i, offset) & mask_lt(i, end);
        rotated[column] |= (u32::from(*byte) & in_mac) as u8;
        rotation |= column as u32 & mask_eq(i, offset);
        column += 1;
        if column == mac_len {
            column = 0;
        }
    }

    // mac[k] = rotated[(k + rotation) mod mac_len]: rotate left by `rotation` bit by bit.
    let mut bit = 0u32;
    while (1usize << bit) < mac_len {
        let shift = 1usize << bit;
        let apply = 0u32.wrapping_sub((rotation >> bit) & 1);
        let before = rotated;
        for (k, out) in rotated.iter_mut().take(mac_len).enumerate() {
            // k and shift are public: this index arithmetic reveals nothing.
            let from = if k + shift >= mac_len {
                k + shift - mac_len
            } else {
                k + shift
            };
            *out = ((u32::from(before[from]) & apply) | (u32::from(before[k]) & !apply)) as u8;
        }
        bit += 1;
    }
    Ok(rotated)
}

/// The last block of `ciphertext` (the next TLS 1.0 IV).
fn last_block(ciphertext: &[u8]) -> Result<[u8; AES_BLOCK_LEN]> {
    ciphertext
        .len()
        .checked_sub(AES_BLOCK_LEN)
        .and_then(|start| ciphertext.get(start..))
        .and_then(|block| block.try_into().ok())
        .ok_or(Error::Internal("CBC ciphertext shorter than a block"))
}

fn lock(
    chain: &Mutex<Secret<AES_BLOCK_LEN>>,
) -> Result<std::sync::MutexGuard<'_, Secret<AES_BLOCK_LEN>>> {
    chain
        .lock()
        .map_err(|_| Error::Internal("record IV lock poisoned"))
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn masks_agree_with_comparisons() {
        let values = [0u32, 1, 2, 15, 16, 255, 256, 16_384, 18_000, (1 << 31) - 1];
        for a in values {
            for b in values {
                assert_eq!(mask_lt(a, b) == u32::MAX, a < b, "{a} < {b}");
                assert_eq!(mask_ge(a, b) == u32::MAX, a >= b, "{a} >= {b}");
                assert_eq!(mask_eq(a, b) == u32::MAX, a == b, "{a} == {b}");
                assert!([0, u32::MAX].contains(&mask_lt(a, b)));
            }
        }
    }

    #[test]
    fn gather_mac_finds_every_position() {
        let tail: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for mac_len in [20, 32, 48] {
            let last_start = tail.len() - mac_len;
            for start in last_start - 255..=last_start {
                let mac = gather_mac(&tail, start, last_start, mac_len).unwrap();
                assert_eq!(
                    &mac[..mac_len],
                    &tail[start..start + mac_len],
                    "{mac_len}/{start}"
                );
            }
        }
    }

    #[test]
    fn padding_check_accepts_only_uniform_padding() {
        let mut tail = [0u8; 300];
        for value in 0..=255u8 {
            let n = usize::from(value) + 1;
            tail.fill(0xAA);
            tail[300 - n..].fill(value);
            let (ok, len) = check_padding(&tail, value, 280);
            assert!(bool::from(ok) && len == usize::from(value), "value {value}");
            if value > 0 {
                tail[300 - n] ^= 1;
                assert!(
                    !bool::from(check_padding(&tail, value, 280).0),
                    "value {value}"
                );
            }
        }
        // Padding longer than the data allows is rejected and reported as 0.
        tail.fill(200);
        let (ok, len) = check_padding(&tail, 200, 150);
        assert!(!bool::from(ok));
        assert_eq!(len, 0);
    }
}

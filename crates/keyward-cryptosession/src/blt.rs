//! `EncryptionBlt` / `DecryptionBlt` data protection: AES-128-CTR under a `D3D11_AES_CTR_IV`,
//! optionally over a `D3D11_ENCRYPTED_BLOCK_INFO` pattern, and the AES-ECB key wrapping of content
//! keys and readback keys (docs/cryptosession-and-card.md, "Application and driver calls";
//! "Structures and the counter block").
//!
//! **Counter layout** (docs/cryptosession-and-card.md, "Structures and the counter block" and "Open
//! questions", 2, leave it open; this is the choice keyward makes). The initial counter block is
//! the 16 bytes of `D3D11_AES_CTR_IV` exactly as they lie in memory: `IV` as 8 big-endian bytes,
//! then `Count` as 8 big-endian bytes. Each 16-byte block of data uses the next counter, the whole
//! 128-bit block being incremented as one big-endian integer (NIST SP 800-38A, as `openssl enc
//! -aes-128-ctr -iv <IV‖Count>` does), so `Count` is the block count and a carry out of `Count`
//! runs into `IV`.
//!
//! **Partial encryption.** With a `D3D11_ENCRYPTED_BLOCK_INFO`, the buffer is: the first
//! `NumEncryptedBytesAtBeginning` bytes encrypted, then repeatedly `NumBytesInSkipPattern`
//! clear bytes and `NumBytesInEncryptPattern` encrypted bytes, to the end of the buffer (the
//! last region may be cut short). The encrypted regions, taken together in order, form **one**
//! CTR stream: the counter runs on from one encrypted region to the next and does not advance
//! over clear bytes. Every field must be a multiple of [`BLOCK_ALIGNMENT_SIZE`] (16), so only
//! the buffer's end can split a block. No block info means the whole buffer is encrypted.

use crate::caps::BLOCK_ALIGNMENT_SIZE;
use crate::error::{Error, Result};
use crate::exchange::SESSION_KEY_LEN;
use core::ops::Range;
use keyward_core::backend::aes::{AesKey, BLOCK_LEN};
use keyward_core::Secret;

/// `D3D11_AES_CTR_IV`: the initial counter of an AES-128-CTR blit (16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AesCtrIv {
    /// `IV`: the nonce half, big-endian in memory.
    pub iv: u64,
    /// `Count`: the block count, big-endian in memory.
    pub count: u64,
}

impl AesCtrIv {
    /// Size of the structure (`IVSize` of the blits).
    pub const SIZE: usize = 16;

    /// The structure's bytes as they lie in memory (= the initial counter block).
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        self.counter_block()
    }

    /// The structure from its in-memory bytes; exactly [`Self::SIZE`] bytes, else
    /// [`Error::InvalidArgument`] (the blits' `IVSize` check).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::SIZE] = bytes
            .try_into()
            .map_err(|_| Error::InvalidArgument("D3D11_AES_CTR_IV is 16 bytes"))?;
        Ok(Self::from_counter_block(bytes))
    }

    /// The initial AES-CTR counter block: `IV` (8 bytes, big-endian) ‖ `Count` (8 bytes,
    /// big-endian).
    pub fn counter_block(&self) -> [u8; BLOCK_LEN] {
        self.as_u128().to_be_bytes()
    }

    /// The structure whose counter block is `block`.
    pub fn from_counter_block(block: &[u8; BLOCK_LEN]) -> Self {
        Self::from_u128(u128::from_be_bytes(*block))
    }

    /// The counter `blocks` blocks further on (128-bit big-endian arithmetic, wrapping).
    pub fn advanced(&self, blocks: u64) -> Self {
        Self::from_u128(self.as_u128().wrapping_add(u128::from(blocks)))
    }

    fn as_u128(&self) -> u128 {
        (u128::from(self.iv) << 64) | u128::from(self.count)
    }

    fn from_u128(value: u128) -> Self {
        AesCtrIv {
            iv: (value >> 64) as u64,
            count: value as u64,
        }
    }
}

/// `D3D11_ENCRYPTED_BLOCK_INFO`: which parts of a `DecryptionBlt` buffer are encrypted
/// (12 bytes, three little-endian `UINT`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EncryptedBlockInfo {
    /// `NumEncryptedBytesAtBeginning`.
    pub num_encrypted_bytes_at_beginning: u32,
    /// `NumBytesInSkipPattern`: clear bytes after the first encrypted region and after each
    /// encrypted pattern region.
    pub num_bytes_in_skip_pattern: u32,
    /// `NumBytesInEncryptPattern`: encrypted bytes after each skip region.
    pub num_bytes_in_encrypt_pattern: u32,
}

impl EncryptedBlockInfo {
    /// Size of the structure.
    pub const SIZE: usize = 12;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&self.num_encrypted_bytes_at_beginning.to_le_bytes());
        out[4..8].copy_from_slice(&self.num_bytes_in_skip_pattern.to_le_bytes());
        out[8..12].copy_from_slice(&self.num_bytes_in_encrypt_pattern.to_le_bytes());
        out
    }

    /// Parses exactly [`Self::SIZE`] bytes, else [`Error::InvalidArgument`].
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::SIZE] = bytes
            .try_into()
            .map_err(|_| Error::InvalidArgument("D3D11_ENCRYPTED_BLOCK_INFO is 12 bytes"))?;
        let [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3] = *bytes;
        Ok(EncryptedBlockInfo {
            num_encrypted_bytes_at_beginning: u32::from_le_bytes([a0, a1, a2, a3]),
            num_bytes_in_skip_pattern: u32::from_le_bytes([b0, b1, b2, b3]),
            num_bytes_in_encrypt_pattern: u32::from_le_bytes([c0, c1, c2, c3]),
        })
    }

    /// Checks that every field is a multiple of [`BLOCK_ALIGNMENT_SIZE`], else
    /// [`Error::InvalidArgument`].
    pub fn check_alignment(&self) -> Result<()> {
        let aligned = [
            self.num_encrypted_bytes_at_beginning,
            self.num_bytes_in_skip_pattern,
            self.num_bytes_in_encrypt_pattern,
        ]
        .iter()
        .all(|field| field % BLOCK_ALIGNMENT_SIZE == 0);
        if aligned {
            Ok(())
        } else {
            Err(Error::InvalidArgument(
                "D3D11_ENCRYPTED_BLOCK_INFO fields must be multiples of 16 bytes",
            ))
        }
    }

    /// The encrypted byte ranges of a buffer of `len` bytes, in order (see the module
    /// documentation).
    pub fn encrypted_ranges(&self, len: usize) -> Vec<Range<usize>> {
        let field = |value: u32| usize::try_from(value).unwrap_or(usize::MAX);
        let beginning = field(self.num_encrypted_bytes_at_beginning).min(len);
        let skip = field(self.num_bytes_in_skip_pattern);
        let encrypt = field(self.num_bytes_in_encrypt_pattern);
        let mut ranges = Vec::new();
        if beginning > 0 {
            ranges.push(0..beginning);
        }
        let mut offset = beginning;
        if encrypt == 0 {
            return ranges;
        }
        loop {
            offset = offset.saturating_add(skip);
            if offset >= len {
                break;
            }
            let end = offset.saturating_add(encrypt).min(len);
            ranges.push(offset..end);
            offset = end;
        }
        ranges
    }
}

/// Applies AES-CTR in place (encryption and decryption are the same operation) to the parts
/// of `data` that `pattern` marks encrypted (all of it for `None`), starting at counter `iv`.
/// A misaligned pattern → [`Error::InvalidArgument`] and `data` untouched.
///
/// This is the cipher of `EncryptionBlt` and `DecryptionBlt`; the application uses it too,
/// to encrypt content for `DecryptionBlt` and to decrypt `EncryptionBlt` output.
pub fn apply_ctr(
    key: &AesKey,
    iv: &AesCtrIv,
    pattern: Option<&EncryptedBlockInfo>,
    data: &mut [u8],
) -> Result<()> {
    let ranges = match pattern {
        None => core::iter::once(0..data.len()).collect(),
        Some(pattern) => {
            pattern.check_alignment()?;
            pattern.encrypted_ranges(data.len())
        }
    };
    let mut counter = *iv;
    for range in ranges {
        let region = data.get_mut(range).ok_or(Error::InvalidArgument(
            "encrypted region outside the buffer",
        ))?;
        key.ctr_in_place(&counter.counter_block(), region)?;
        // Regions before the last are whole blocks (the pattern is 16-byte aligned).
        let blocks = u64::try_from(region.len().div_ceil(BLOCK_LEN)).unwrap_or(u64::MAX);
        counter = counter.advanced(blocks);
    }
    Ok(())
}

/// Wraps a 16-byte key under the session key with AES-128-ECB (one block): how `DecryptionBlt`
/// receives content keys and `GetEncryptionBltKey` returns readback keys.
pub fn wrap_key(
    session_key: &Secret<SESSION_KEY_LEN>,
    key: &Secret<SESSION_KEY_LEN>,
) -> Result<[u8; SESSION_KEY_LEN]> {
    let cipher = AesKey::new(session_key.expose())?;
    let mut block = *key.expose();
    cipher.encrypt_block(&mut block)?;
    Ok(block)
}

/// Unwraps a key wrapped by [`wrap_key`] (AES-128-ECB decryption under the session key).
pub fn unwrap_key(
    session_key: &Secret<SESSION_KEY_LEN>,
    wrapped: &[u8; SESSION_KEY_LEN],
) -> Result<Secret<SESSION_KEY_LEN>> {
    let cipher = AesKey::new(session_key.expose())?;
    let mut key = Secret::new(*wrapped);
    cipher.decrypt_block(key.expose_mut())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(beginning: u32, skip: u32, encrypt: u32) -> EncryptedBlockInfo {
        EncryptedBlockInfo {
            num_encrypted_bytes_at_beginning: beginning,
            num_bytes_in_skip_pattern: skip,
            num_bytes_in_encrypt_pattern: encrypt,
        }
    }

    #[test]
    fn counter_block_is_iv_then_count_big_endian() {
        let iv = AesCtrIv {
            iv: 0x0102_0304_0506_0708,
            count: 0x1112_1314_1516_1718,
        };
        assert_eq!(
            hex::encode(iv.to_bytes()),
            "01020304050607081112131415161718"
        );
        assert_eq!(AesCtrIv::parse(&iv.to_bytes()).unwrap(), iv);
        assert!(AesCtrIv::parse(&[0; 15]).is_err());
        assert!(AesCtrIv::parse(&[0; 17]).is_err());
        // Count carries into IV, and the whole block wraps.
        let edge = AesCtrIv {
            iv: 7,
            count: u64::MAX,
        };
        assert_eq!(edge.advanced(1), AesCtrIv { iv: 8, count: 0 });
        let top = AesCtrIv {
            iv: u64::MAX,
            count: u64::MAX,
        };
        assert_eq!(top.advanced(2), AesCtrIv { iv: 0, count: 1 });
    }

    #[test]
    fn block_info_layout() {
        let pattern = info(0x10, 0x20, 0x0300);
        assert_eq!(hex::encode(pattern.to_bytes()), "100000002000000000030000");
        assert_eq!(
            EncryptedBlockInfo::parse(&pattern.to_bytes()).unwrap(),
            pattern
        );
        assert!(EncryptedBlockInfo::parse(&[0; 11]).is_err());
    }

    #[test]
    fn pattern_ranges() {
        assert_eq!(
            info(32, 16, 32).encrypted_ranges(150),
            vec![0..32, 48..80, 96..128, 144..150]
        );
        assert_eq!(info(0, 16, 16).encrypted_ranges(64), vec![16..32, 48..64]);
        assert_eq!(info(16, 0, 0).encrypted_ranges(64), vec![0..16]);
        assert_eq!(info(16, 32, 0).encrypted_ranges(64), vec![0..16]);
        assert_eq!(
            info(0, 0, 16).encrypted_ranges(40),
            vec![0..16, 16..32, 32..40]
        );
        assert_eq!(info(96, 16, 16).encrypted_ranges(40), vec![0..40]);
        assert_eq!(
            info(0, 0, 0).encrypted_ranges(40),
            Vec::<Range<usize>>::new()
        );
        assert_eq!(
            info(16, 16, 16).encrypted_ranges(0),
            Vec::<Range<usize>>::new()
        );
        assert_eq!(
            info(0, u32::MAX - 15, 16).encrypted_ranges(64),
            Vec::<Range<usize>>::new()
        );
    }

    #[test]
    fn misaligned_pattern_is_refused_and_leaves_data() {
        let key = AesKey::new(&[1; 16]).unwrap();
        let iv = AesCtrIv { iv: 1, count: 0 };
        for pattern in [info(8, 16, 16), info(16, 15, 16), info(16, 16, 17)] {
            let mut data = [0x42u8; 64];
            assert!(matches!(
                apply_ctr(&key, &iv, Some(&pattern), &mut data),
                Err(Error::InvalidArgument(_))
            ));
            assert_eq!(data, [0x42u8; 64]);
        }
    }

    #[test]
    fn pattern_is_one_stream_over_the_encrypted_regions() {
        let key = AesKey::new(&[9; 16]).unwrap();
        let iv = AesCtrIv {
            iv: 0xabcdef,
            count: u64::MAX - 1,
        };
        let plain: Vec<u8> = (0..150u8).collect();
        let pattern = info(32, 16, 32);
        let mut partial = plain.clone();
        apply_ctr(&key, &iv, Some(&pattern), &mut partial).unwrap();
        // The encrypted regions, concatenated, are one CTR stream.
        let ranges = pattern.encrypted_ranges(plain.len());
        let mut joined: Vec<u8> = ranges
            .iter()
            .flat_map(|r| plain[r.clone()].to_vec())
            .collect();
        apply_ctr(&key, &iv, None, &mut joined).unwrap();
        let mut expected = plain.clone();
        let mut at = 0;
        for range in &ranges {
            expected[range.clone()].copy_from_slice(&joined[at..at + range.len()]);
            at += range.len();
        }
        assert_eq!(partial, expected);
        // Clear regions untouched; applying again decrypts.
        assert_eq!(partial[32..48], plain[32..48]);
        apply_ctr(&key, &iv, Some(&pattern), &mut partial).unwrap();
        assert_eq!(partial, plain);
    }

    #[test]
    fn key_wrap_round_trips_and_is_aes_ecb() {
        // NIST SP 800-38A F.1.1 (AES-128-ECB), first block.
        let kek = Secret::new(
            <[u8; 16]>::try_from(hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap()).unwrap(),
        );
        let key = Secret::new(
            <[u8; 16]>::try_from(hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap()).unwrap(),
        );
        let wrapped = wrap_key(&kek, &key).unwrap();
        assert_eq!(hex::encode(wrapped), "3ad77bb40d7a3660a89ecaf32466ef97");
        assert_eq!(unwrap_key(&kek, &wrapped).unwrap().expose(), key.expose());
    }
}

//! Record protection: the work behind `SslEncryptPacket` and `SslDecryptPacket`
//! (SslEncryptPacket and SslDecryptPacket functions (sslprovider.h), Microsoft Learn; the
//! observed limits and codes: docs/ssl-provider.md, "Record protection").
//!
//! A [`RecordKey`] is one direction's protection state (the read or the write key of
//! `SslGenerateSessionKeys`, or a TLS 1.3 traffic key). Sealing writes a complete record,
//! header included; opening takes a complete record and yields only the plaintext.
//! Sequence numbers are the caller's (for DTLS, epoch ‖ sequence as one `u64`).
//!
//! Supported: AES-GCM and ChaCha20-Poly1305 (TLS 1.2, DTLS 1.2, TLS 1.3) and AES-CBC with
//! HMAC-SHA1/SHA256/SHA384 (TLS 1.0–1.2, DTLS 1.0/1.2), MAC-then-encrypt or, as a keyward
//! extension, encrypt-then-MAC (RFC 7366; [`CbcMode`]).

mod aead;
mod cbc;
mod etm;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors_tests;

use core::ops::Range;

use keyward_core::backend::cipher::{AeadAlgorithm, AEAD_TAG_LEN, AES_BLOCK_LEN};
use keyward_core::backend::HashAlgorithm;
use keyward_core::{Error, Result, Secret};

use self::aead::{AeadProtection, NonceStyle};
pub use self::cbc::CbcMode;
use self::cbc::{CbcProtection, MacPrefix};
use crate::Protocol;

/// The largest plaintext `SslEncryptPacket` accepts (2^14 bytes).
pub const MAX_PLAINTEXT_LEN: usize = 16384;
/// The largest record `SslDecryptPacket` accepts for TLS ≤ 1.2 and DTLS.
pub const MAX_RECORD_LEN: usize = 65536;
/// The shortest record `SslDecryptPacket` accepts for TLS 1.3 (docs/ssl-provider.md, "Record
/// protection").
pub const TLS13_MIN_RECORD_LEN: usize = 22;
/// The longest record `SslDecryptPacket` accepts for TLS 1.3 (docs/ssl-provider.md, "Record
/// protection").
pub const TLS13_MAX_RECORD_LEN: usize = 16660;
/// The version field of every TLS 1.3 record header (`legacy_record_version`).
const TLS13_RECORD_VERSION: u16 = 0x0303;

/// The bulk cipher of a cipher suite (`SslGenerateSessionKeys`, `SslEncryptPacket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BulkCipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
    /// AES-128-CBC with an HMAC.
    Aes128Cbc,
    /// AES-256-CBC with an HMAC.
    Aes256Cbc,
}

impl BulkCipher {
    /// Encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            BulkCipher::Aes128Gcm | BulkCipher::Aes128Cbc => 16,
            BulkCipher::Aes256Gcm | BulkCipher::ChaCha20Poly1305 | BulkCipher::Aes256Cbc => 32,
        }
    }

    /// Block length in bytes as `SslLookupCipherSuiteInfo` reports it (16 for AES, also
    /// in GCM; 1 for the stream cipher ChaCha20).
    pub fn block_len(self) -> usize {
        match self {
            BulkCipher::ChaCha20Poly1305 => 1,
            _ => AES_BLOCK_LEN,
        }
    }

    /// True for the AEAD ciphers (no separate MAC).
    pub fn is_aead(self) -> bool {
        self.aead_algorithm().is_some()
    }

    /// Length of the fixed (implicit) IV taken from the key block or TLS 1.3 schedule:
    /// GCM 4 (TLS 1.3: 12), ChaCha20-Poly1305 12, CBC 16 for TLS 1.0 and 0 otherwise.
    pub fn fixed_iv_len(self, protocol: Protocol) -> usize {
        match self {
            _ if protocol.is_tls13() => {
                if self.is_aead() {
                    12
                } else {
                    0
                }
            }
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => 4,
            BulkCipher::ChaCha20Poly1305 => 12,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => {
                if protocol.has_implicit_cbc_iv() {
                    AES_BLOCK_LEN
                } else {
                    0
                }
            }
        }
    }

    /// Length of the explicit per-record IV or nonce sent after the header: GCM 8 (TLS 1.3:
    /// 0), ChaCha20-Poly1305 0, CBC 16 for TLS 1.1+ and DTLS, 0 for TLS 1.0.
    pub fn record_iv_len(self, protocol: Protocol) -> usize {
        match self {
            _ if protocol.is_tls13() => 0,
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => 8,
            BulkCipher::ChaCha20Poly1305 => 0,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => {
                if protocol.has_implicit_cbc_iv() {
                    0
                } else {
                    AES_BLOCK_LEN
                }
            }
        }
    }

    fn aead_algorithm(self) -> Option<AeadAlgorithm> {
        match self {
            BulkCipher::Aes128Gcm => Some(AeadAlgorithm::Aes128Gcm),
            BulkCipher::Aes256Gcm => Some(AeadAlgorithm::Aes256Gcm),
            BulkCipher::ChaCha20Poly1305 => Some(AeadAlgorithm::ChaCha20Poly1305),
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => None,
        }
    }
}

/// The record MAC of a cipher suite: none for AEAD suites, else an HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// AEAD suite: the tag authenticates, there is no MAC key.
    Aead,
    /// HMAC-SHA1.
    HmacSha1,
    /// HMAC-SHA256.
    HmacSha256,
    /// HMAC-SHA384.
    HmacSha384,
}

impl MacAlgorithm {
    /// MAC length in bytes (0 for AEAD).
    pub fn mac_len(self) -> usize {
        self.hash().map_or(0, HashAlgorithm::output_len)
    }

    /// MAC key length in bytes from the key block (the hash length; 0 for AEAD).
    pub fn key_len(self) -> usize {
        self.mac_len()
    }

    fn hash(self) -> Option<HashAlgorithm> {
        match self {
            MacAlgorithm::Aead => None,
            MacAlgorithm::HmacSha1 => Some(HashAlgorithm::Sha1),
            MacAlgorithm::HmacSha256 => Some(HashAlgorithm::Sha256),
            MacAlgorithm::HmacSha384 => Some(HashAlgorithm::Sha384),
        }
    }
}

/// Per-record overhead, with exactly the meaning of `NCRYPT_SSL_CIPHER_LENGTHS`
/// (`SslLookupCipherLengths`; docs/ssl-provider.md, "Cipher-suite information").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLengths {
    /// `dwHeaderLen`: the explicit IV or nonce after the record header (the 5- or 13-byte
    /// record header itself is not included).
    pub header_len: usize,
    /// `dwFixedTrailerLen`: the AEAD tag or the MAC.
    pub fixed_trailer_len: usize,
    /// `dwMaxVariableTrailerLen`: the most padding bytes (block size for CBC, else 0).
    pub max_variable_trailer_len: usize,
    /// CBC padding follows the MAC: keyward-ffi sets `NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING`
    /// in `dwFlags`.
    pub block_padding: bool,
}

impl RecordLengths {
    /// The overhead of `cipher` with `mac` under `protocol`: the one mapping behind
    /// `SslLookupCipherLengths` and [`RecordKey::lengths`].
    pub fn of(protocol: Protocol, cipher: BulkCipher, mac: MacAlgorithm) -> RecordLengths {
        let block_padding = !cipher.is_aead();
        RecordLengths {
            header_len: cipher.record_iv_len(protocol),
            fixed_trailer_len: if block_padding {
                mac.mac_len()
            } else {
                AEAD_TAG_LEN
            },
            max_variable_trailer_len: if block_padding { AES_BLOCK_LEN } else { 0 },
            block_padding,
        }
    }
}

enum Protection {
    Aead(AeadProtection),
    Cbc(Box<CbcProtection>),
}

/// The places a record's plaintext may take inside the record's own buffer when a record is
/// protected or opened in place (`SslEncryptPacket` / `SslDecryptPacket` with overlapping
/// buffers): right after the header, or after the header and the explicit IV, where
/// [`RecordKey::seal_in_place`] wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPlaceLayout {
    /// The record header's length.
    pub header_len: usize,
    /// Where the plaintext starts in a sealed record: after the header and the explicit IV.
    pub plaintext_offset: usize,
}

impl InPlaceLayout {
    /// True when `offset` from the start of the record is one of the two places.
    pub fn is_plaintext_place(&self, offset: usize) -> bool {
        offset == self.header_len || offset == self.plaintext_offset
    }
}

/// One direction's record protection state (the `hKey` of `SslEncryptPacket` /
/// `SslDecryptPacket`): prepared keys, fixed IV and, for TLS 1.0 CBC, the IV chain.
/// `Send + Sync`; share it with `Arc`.
pub struct RecordKey {
    protocol: Protocol,
    cipher: BulkCipher,
    mac: MacAlgorithm,
    protection: Protection,
}

impl core::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordKey")
            .field("protocol", &self.protocol)
            .field("cipher", &self.cipher)
            .field("mac", &self.mac)
            .field("cbc_mode", &self.cbc_mode())
            .finish_non_exhaustive()
    }
}

/// A parsed record header, as far as the MAC or AAD needs it.
struct Header {
    content_type: u8,
    version: [u8; 2],
    /// The first 5 header bytes (the TLS 1.3 AAD).
    tls_header: [u8; 5],
}

/// Additional data of an AEAD record: 13 bytes (TLS ≤ 1.2) or the 5-byte header (1.3).
struct AdditionalData {
    bytes: [u8; 13],
    len: usize,
}

impl AdditionalData {
    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl RecordKey {
    /// Prepares one direction's keys (`SslGenerateSessionKeys`, `SslExpandTrafficKeys`).
    /// `mac_key`, `enc_key` and `fixed_iv` must have the lengths of [`MacAlgorithm::key_len`],
    /// [`BulkCipher::key_len`] and [`BulkCipher::fixed_iv_len`] (`InvalidParameter`
    /// otherwise); AEAD ciphers go with [`MacAlgorithm::Aead`] and CBC with an HMAC
    /// (`InvalidParameter`); AEAD needs TLS 1.2 / DTLS 1.2 or later and TLS 1.3 needs
    /// AEAD (`NotSupported`). CBC keys are MAC-then-encrypt; see
    /// [`RecordKey::with_cbc_mode`] for encrypt-then-MAC.
    pub fn new(
        protocol: Protocol,
        cipher: BulkCipher,
        mac: MacAlgorithm,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self> {
        RecordKey::with_cbc_mode(
            protocol,
            cipher,
            mac,
            CbcMode::MacThenEncrypt,
            mac_key,
            enc_key,
            fixed_iv,
        )
    }

    /// [`RecordKey::new`] with the order of MAC and encryption of a CBC key chosen
    /// (`SslGenerateSessionKeys` with keyward's encrypt-then-MAC parameter). Encrypt-then-MAC
    /// with an AEAD cipher is `InvalidParameter`; other errors as for [`RecordKey::new`].
    pub fn with_cbc_mode(
        protocol: Protocol,
        cipher: BulkCipher,
        mac: MacAlgorithm,
        cbc_mode: CbcMode,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self> {
        let protection = match (cipher.aead_algorithm(), mac.hash()) {
            (Some(_), None) if cbc_mode == CbcMode::EncryptThenMac => {
                return Err(Error::InvalidParameter(
                    "encrypt-then-MAC needs a CBC cipher suite",
                ))
            }
            (Some(algorithm), None) => {
                let style = match protocol {
                    Protocol::Tls12 | Protocol::Dtls12 if !cipher_is_chacha(cipher) => {
                        NonceStyle::SaltAndExplicit
                    }
                    Protocol::Tls12 | Protocol::Dtls12 | Protocol::Tls13 => NonceStyle::XorSequence,
                    Protocol::Tls10 | Protocol::Tls11 | Protocol::Dtls10 => {
                        return Err(Error::NotSupported("AEAD suites need TLS 1.2 or later"))
                    }
                };
                check_key_lengths(protocol, cipher, mac, mac_key, enc_key, fixed_iv)?;
                Protection::Aead(AeadProtection::new(algorithm, enc_key, fixed_iv, style)?)
            }
            (None, Some(hash)) => {
                if protocol.is_tls13() {
                    return Err(Error::NotSupported("TLS 1.3 needs an AEAD suite"));
                }
                check_key_lengths(protocol, cipher, mac, mac_key, enc_key, fixed_iv)?;
                let implicit_iv = protocol.has_implicit_cbc_iv().then_some(fixed_iv);
                Protection::Cbc(Box::new(CbcProtection::new(
                    cbc_mode,
                    enc_key,
                    hash,
                    mac_key,
                    implicit_iv,
                )?))
            }
            _ => {
                return Err(Error::InvalidParameter(
                    "cipher and MAC algorithm do not match",
                ))
            }
        };
        Ok(RecordKey {
            protocol,
            cipher,
            mac,
            protection,
        })
    }

    /// The IV the next record will be chained from (TLS 1.0 CBC: the last ciphertext block
    /// so far), or `None` for keys without an IV chain. Exported with the key so that a copy
    /// built by [`RecordKey::new`] with it as `fixed_iv` continues the chain.
    pub fn chaining_iv(&self) -> Result<Option<Secret<AES_BLOCK_LEN>>> {
        match &self.protection {
            Protection::Cbc(p) => p.chaining_iv(),
            Protection::Aead(_) => Ok(None),
        }
    }

    /// The protocol of this key.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The bulk cipher of this key.
    pub fn cipher(&self) -> BulkCipher {
        self.cipher
    }

    /// The MAC algorithm of this key.
    pub fn mac(&self) -> MacAlgorithm {
        self.mac
    }

    /// The order of MAC and encryption: encrypt-then-MAC only for a CBC key made so.
    pub fn cbc_mode(&self) -> CbcMode {
        match &self.protection {
            Protection::Cbc(p) => p.mode(),
            Protection::Aead(_) => CbcMode::MacThenEncrypt,
        }
    }

    /// Per-record overhead as `SslLookupCipherLengths` reports it.
    pub fn lengths(&self) -> RecordLengths {
        RecordLengths::of(self.protocol, self.cipher, self.mac)
    }

    /// The exact length of the record [`RecordKey::seal`] writes for `plaintext_len`
    /// bytes (header included): the output size `SslEncryptPacket` needs.
    pub fn max_sealed_len(&self, plaintext_len: usize) -> usize {
        let body_len = match &self.protection {
            Protection::Aead(p) => p.sealed_len(plaintext_len),
            Protection::Cbc(p) => p.sealed_len(plaintext_len),
        };
        self.protocol.record_header_len().saturating_add(body_len)
    }

    /// `SslEncryptPacket`: protects `plaintext` as record number `seq` of `content_type`
    /// and writes the complete record (header included) to `out`; returns its length.
    /// Errors: plaintext over 16384 bytes (or empty, for TLS 1.3) is `InvalidParameter`;
    /// `out` shorter than [`RecordKey::max_sealed_len`] is `BufferTooSmall`.
    pub fn seal(
        &self,
        seq: u64,
        content_type: u8,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize> {
        self.check_plaintext_len(plaintext.len())?;
        let needed = self.max_sealed_len(plaintext.len());
        if out.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        let start = self.plaintext_offset();
        out.get_mut(start..start + plaintext.len())
            .ok_or(Error::BufferTooSmall { needed })?
            .copy_from_slice(plaintext);
        self.seal_in_place(seq, content_type, out, plaintext.len())
    }

    /// `SslEncryptPacket` in place: the plaintext is already at
    /// `buf[record_header_len + record_iv_len ..][..plaintext_len]`; the record is built
    /// around it in `buf`. Returns the record length. Errors as for [`RecordKey::seal`].
    pub fn seal_in_place(
        &self,
        seq: u64,
        content_type: u8,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<usize> {
        self.check_plaintext_len(plaintext_len)?;
        let needed = self.max_sealed_len(plaintext_len);
        let buf = buf
            .get_mut(..needed)
            .ok_or(Error::BufferTooSmall { needed })?;
        let header_len = self.protocol.record_header_len();
        let (header, body) = buf.split_at_mut(header_len);
        let version = self.header_version();
        write_header(header, content_type, version, seq, body.len())?;
        match &self.protection {
            Protection::Aead(p) => {
                let aad =
                    self.additional_data(seq, header, content_type, version, plaintext_len)?;
                p.seal(seq, aad.as_slice(), body, plaintext_len)?;
            }
            Protection::Cbc(p) => {
                p.seal(&mac_prefix(seq, content_type, version), body, plaintext_len)?;
            }
        }
        Ok(needed)
    }

    /// `SslDecryptPacket`: checks and decrypts the complete `record` (header included)
    /// numbered `seq` and writes only the plaintext to `out`; returns its length.
    ///
    /// Errors, in order: record length outside 1..=65536 (TLS 1.3: 22..=16660) is
    /// `InvalidParameter`; an unknown header version (TLS 1.3: first version byte 0xFE), a
    /// length field that disagrees with the record, or a body too short or (CBC) not whole
    /// blocks is `BadData`; `out` shorter than the largest plaintext the body can hold is
    /// `BufferTooSmall`; a MAC, padding or tag fault is `DecryptionFailure` (TLS 1.3:
    /// `AuthTagMismatch`). The MAC and AAD use the header's type and version and the
    /// caller's `seq`; for DTLS the header's epoch ‖ sequence field must equal `seq`
    /// (`BadData` otherwise; Microsoft documents nothing here, RFC 6347 §4.1.2.1 MACs that field).
    pub fn open(&self, seq: u64, record: &[u8], out: &mut [u8]) -> Result<usize> {
        let header = self.parse_header(seq, record)?;
        let body = record
            .get(self.protocol.record_header_len()..)
            .ok_or(Error::BadData("record shorter than its header"))?;
        let max = self.max_plaintext_len(body.len())?;
        if out.len() < max {
            return Err(Error::BufferTooSmall { needed: max });
        }
        let result = match &self.protection {
            Protection::Aead(p) => {
                let aad = self.additional_data(
                    seq,
                    &header.tls_header,
                    header.content_type,
                    u16::from_be_bytes(header.version),
                    max,
                )?;
                p.open_to(seq, aad.as_slice(), body, out)
            }
            Protection::Cbc(p) => p.open_to(
                &mac_prefix(seq, header.content_type, u16::from_be_bytes(header.version)),
                body,
                out,
            ),
        };
        result.map_err(|e| self.tag_error(e))
    }

    /// `SslDecryptPacket` in place: decrypts `record` within itself and returns the
    /// plaintext slice inside it. Errors as for [`RecordKey::open`] (without
    /// `BufferTooSmall`); after a MAC, padding or tag fault the decrypted region is zeroed.
    pub fn open_in_place<'a>(&self, seq: u64, record: &'a mut [u8]) -> Result<&'a [u8]> {
        let header = self.parse_header(seq, record)?;
        let header_len = self.protocol.record_header_len();
        let (_, body) = record
            .split_at_mut_checked(header_len)
            .ok_or(Error::BadData("record shorter than its header"))?;
        let max = self.max_plaintext_len(body.len())?;
        let range: Result<Range<usize>> = match &self.protection {
            Protection::Aead(p) => {
                let aad = self.additional_data(
                    seq,
                    &header.tls_header,
                    header.content_type,
                    u16::from_be_bytes(header.version),
                    max,
                )?;
                p.open_in_place(seq, aad.as_slice(), body)
            }
            Protection::Cbc(p) => p.open_in_place(
                &mac_prefix(seq, header.content_type, u16::from_be_bytes(header.version)),
                body,
            ),
        };
        let range = range.map_err(|e| self.tag_error(e))?;
        let body: &'a [u8] = body;
        body.get(range)
            .ok_or(Error::Internal("plaintext range outside the record"))
    }

    /// Where the plaintext goes in a sealed record: after the header and explicit IV.
    fn plaintext_offset(&self) -> usize {
        self.in_place_layout().plaintext_offset
    }

    /// Where a plaintext may sit in the record's own buffer, for [`RecordKey::seal_in_place`]
    /// and [`RecordKey::open_in_place`].
    pub fn in_place_layout(&self) -> InPlaceLayout {
        let header_len = self.protocol.record_header_len();
        InPlaceLayout {
            header_len,
            plaintext_offset: header_len + self.cipher.record_iv_len(self.protocol),
        }
    }

    /// The version field this key writes: the protocol's, or 0x0303 for TLS 1.3.
    fn header_version(&self) -> u16 {
        if self.protocol.is_tls13() {
            TLS13_RECORD_VERSION
        } else {
            self.protocol.wire_version()
        }
    }

    fn check_plaintext_len(&self, plaintext_len: usize) -> Result<()> {
        if plaintext_len > MAX_PLAINTEXT_LEN {
            return Err(Error::InvalidParameter(
                "record plaintext longer than 16384 bytes",
            ));
        }
        if plaintext_len == 0 && self.protocol.is_tls13() {
            return Err(Error::InvalidParameter("empty TLS 1.3 inner plaintext"));
        }
        Ok(())
    }

    /// The largest plaintext a record body of `body_len` bytes can carry, or `BadData`.
    fn max_plaintext_len(&self, body_len: usize) -> Result<usize> {
        match &self.protection {
            Protection::Aead(p) => p.plaintext_len(body_len),
            Protection::Cbc(p) => p.max_plaintext_len(body_len),
        }
    }

    /// Checks the input length, header version, DTLS sequence number and length field
    /// (docs/ssl-provider.md, "Record protection").
    fn parse_header(&self, seq: u64, record: &[u8]) -> Result<Header> {
        let allowed = if self.protocol.is_tls13() {
            TLS13_MIN_RECORD_LEN..=TLS13_MAX_RECORD_LEN
        } else {
            1..=MAX_RECORD_LEN
        };
        if !allowed.contains(&record.len()) {
            return Err(Error::InvalidParameter("record length out of range"));
        }
        let header_len = self.protocol.record_header_len();
        let header = record
            .get(..header_len)
            .ok_or(Error::BadData("record shorter than its header"))?;
        let (&[content_type, v0, v1, ..], Some(&[l0, l1])) = (header, header.get(header_len - 2..))
        else {
            return Err(Error::BadData("record shorter than its header"));
        };
        let version = u16::from_be_bytes([v0, v1]);
        if self.protocol.is_tls13() {
            if v0 == 0xFE {
                return Err(Error::BadData("DTLS version in a TLS 1.3 record"));
            }
        } else if !matches!(version, 0x0300..=0x0303 | 0xFEFF | 0xFEFD) {
            return Err(Error::BadData("unknown record version"));
        }
        if self.protocol.is_dtls() && header.get(3..11) != Some(&seq.to_be_bytes()[..]) {
            return Err(Error::BadData(
                "DTLS epoch and sequence number differ from the caller's",
            ));
        }
        if usize::from(u16::from_be_bytes([l0, l1])) != record.len() - header_len {
            return Err(Error::BadData(
                "record length field disagrees with the record",
            ));
        }
        let mut tls_header = [0u8; 5];
        for (t, h) in tls_header.iter_mut().zip(header) {
            *t = *h;
        }
        Ok(Header {
            content_type,
            version: [v0, v1],
            tls_header,
        })
    }

    /// The AEAD additional data: seq ‖ type ‖ version ‖ length (TLS ≤ 1.2, DTLS), or the
    /// 5-byte record header (TLS 1.3).
    fn additional_data(
        &self,
        seq: u64,
        header: &[u8],
        content_type: u8,
        version: u16,
        plaintext_len: usize,
    ) -> Result<AdditionalData> {
        let mut bytes = [0u8; 13];
        if self.protocol.is_tls13() {
            for (b, h) in bytes.iter_mut().zip(header.iter().take(5)) {
                *b = *h;
            }
            return Ok(AdditionalData { bytes, len: 5 });
        }
        let length = u16::try_from(plaintext_len)
            .map_err(|_| Error::InvalidParameter("record plaintext too long"))?;
        let prefix = mac_prefix(seq, content_type, version);
        for (b, v) in bytes
            .iter_mut()
            .zip(prefix.iter().chain(length.to_be_bytes().iter()))
        {
            *b = *v;
        }
        Ok(AdditionalData { bytes, len: 13 })
    }

    /// TLS 1.3 reports a failed tag as `STATUS_AUTH_TAG_MISMATCH` (docs/ssl-provider.md, "Record
    /// protection").
    fn tag_error(&self, error: Error) -> Error {
        match error {
            Error::DecryptionFailure if self.protocol.is_tls13() => Error::AuthTagMismatch,
            other => other,
        }
    }
}

fn cipher_is_chacha(cipher: BulkCipher) -> bool {
    cipher == BulkCipher::ChaCha20Poly1305
}

fn check_key_lengths(
    protocol: Protocol,
    cipher: BulkCipher,
    mac: MacAlgorithm,
    mac_key: &[u8],
    enc_key: &[u8],
    fixed_iv: &[u8],
) -> Result<()> {
    if mac_key.len() != mac.key_len() {
        return Err(Error::InvalidParameter("MAC key length"));
    }
    if enc_key.len() != cipher.key_len() {
        return Err(Error::InvalidParameter("encryption key length"));
    }
    if fixed_iv.len() != cipher.fixed_iv_len(protocol) {
        return Err(Error::InvalidParameter("fixed IV length"));
    }
    Ok(())
}

/// seq ‖ type ‖ version: the MAC header (and AAD) without its length field.
fn mac_prefix(seq: u64, content_type: u8, version: u16) -> MacPrefix {
    let mut prefix = [0u8; 11];
    let seq = seq.to_be_bytes();
    let version = version.to_be_bytes();
    for (p, v) in prefix.iter_mut().zip(
        seq.iter()
            .chain([content_type].iter())
            .chain(version.iter()),
    ) {
        *p = *v;
    }
    prefix
}

/// Writes type ‖ version ‖ [epoch ‖ seq, DTLS] ‖ length into `header`.
fn write_header(
    header: &mut [u8],
    content_type: u8,
    version: u16,
    seq: u64,
    body_len: usize,
) -> Result<()> {
    let length = u16::try_from(body_len)
        .map_err(|_| Error::Internal("record body longer than 65535 bytes"))?
        .to_be_bytes();
    let version = version.to_be_bytes();
    let seq = seq.to_be_bytes();
    let fields: &[&[u8]] = match header.len() {
        5 => &[&[content_type], &version, &length],
        13 => &[&[content_type], &version, &seq, &length],
        _ => return Err(Error::Internal("record header length")),
    };
    for (h, v) in header.iter_mut().zip(fields.iter().flat_map(|f| f.iter())) {
        *h = *v;
    }
    Ok(())
}

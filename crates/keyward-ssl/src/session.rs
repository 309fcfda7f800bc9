//! Session keys: one direction's record protection (`SslGenerateSessionKeys`,
//! `SslEncryptPacket`, `SslDecryptPacket`).

use crate::protocol::Protocol;
use crate::record::RecordKey;
use crate::suites::CipherSuite;
use keyward_core::{Error, Result, Secret};

/// Which way a session key protects records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Decrypts the peer's records.
    Read,
    /// Encrypts our records.
    Write,
}

/// The pair `SslGenerateSessionKeys` returns.
pub struct SessionKeys {
    /// Decrypts what the peer sends (`phReadKey`).
    pub read: SessionKey,
    /// Encrypts what we send (`phWriteKey`).
    pub write: SessionKey,
}

/// One direction's record key (the "ssl3" object of Windows). Record state that must carry
/// over between records (the TLS 1.0 CBC IV chain) lives inside; sequence numbers are the
/// caller's (reference §8.10).
pub struct SessionKey {
    protocol: Protocol,
    suite: &'static CipherSuite,
    direction: Direction,
    record: RecordKey,
    /// MAC key ‖ encryption key ‖ fixed IV, kept for opaque export: the first
    /// `material_len` bytes.
    material: Secret<MAX_MATERIAL_LEN>,
    material_len: usize,
}

/// The most key material one direction holds: an HMAC-SHA384 key, an AES-256 key and a
/// 16-byte TLS 1.0 CBC IV.
pub(crate) const MAX_MATERIAL_LEN: usize = 48 + 32 + 16;

impl SessionKey {
    pub(crate) fn new(
        protocol: Protocol,
        suite: &'static CipherSuite,
        direction: Direction,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self> {
        let record = RecordKey::new(
            protocol,
            suite.cipher,
            suite.mac,
            mac_key,
            enc_key,
            fixed_iv,
        )?;
        let material_len = mac_key.len() + enc_key.len() + fixed_iv.len();
        let mut material = Secret::<MAX_MATERIAL_LEN>::zeroed();
        let parts = [mac_key, enc_key, fixed_iv].into_iter();
        let mut at = 0;
        for part in parts {
            material
                .expose_mut()
                .get_mut(at..at + part.len())
                .ok_or(Error::Internal("session key material too long"))?
                .copy_from_slice(part);
            at += part.len();
        }
        Ok(SessionKey {
            protocol,
            suite,
            direction,
            record,
            material,
            material_len,
        })
    }

    /// Rebuilds a key from its exported material (opaque import).
    pub(crate) fn from_material(
        protocol: Protocol,
        suite: &'static CipherSuite,
        direction: Direction,
        material: &[u8],
    ) -> Result<Self> {
        let mac_len = suite.mac.key_len();
        let key_len = suite.cipher.key_len();
        let iv_len = suite.cipher.fixed_iv_len(protocol);
        if material.len() != mac_len + key_len + iv_len {
            return Err(Error::BadData("session key material length"));
        }
        let (mac_key, rest) = material.split_at(mac_len);
        let (enc_key, iv) = rest.split_at(key_len);
        SessionKey::new(protocol, suite, direction, mac_key, enc_key, iv)
    }

    /// The key material, for sealing into an opaque blob only.
    pub(crate) fn material(&self) -> &[u8] {
        &self.material.expose()[..self.material_len]
    }

    /// The protocol of the records.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The cipher suite of the records.
    pub fn suite(&self) -> &'static CipherSuite {
        self.suite
    }

    /// Read or write.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Protects one record (`SslEncryptPacket`): writes the complete record, header included,
    /// to `out` and returns its length. `sequence_number` is the caller's per-direction counter
    /// (for DTLS: epoch << 48 | sequence).
    pub fn encrypt_packet(
        &self,
        plaintext: &[u8],
        out: &mut [u8],
        sequence_number: u64,
        content_type: u8,
    ) -> Result<usize> {
        self.record
            .seal(sequence_number, content_type, plaintext, out)
    }

    /// Protects one record in place: the plaintext is already at
    /// `buf[header + explicit IV ..]`, as `SslEncryptPacket` allows when `pbInput` points there.
    pub fn encrypt_packet_in_place(
        &self,
        buf: &mut [u8],
        plaintext_len: usize,
        sequence_number: u64,
        content_type: u8,
    ) -> Result<usize> {
        self.record
            .seal_in_place(sequence_number, content_type, buf, plaintext_len)
    }

    /// Checks and decrypts one complete record (`SslDecryptPacket`), writing only the
    /// plaintext to `out` and returning its length.
    pub fn decrypt_packet(
        &self,
        record: &[u8],
        out: &mut [u8],
        sequence_number: u64,
    ) -> Result<usize> {
        self.record.open(sequence_number, record, out)
    }

    /// Checks and decrypts one record in place, returning the plaintext inside `record`.
    pub fn decrypt_packet_in_place<'a>(
        &self,
        record: &'a mut [u8],
        sequence_number: u64,
    ) -> Result<&'a [u8]> {
        self.record.open_in_place(sequence_number, record)
    }

    /// The largest record `encrypt_packet` can produce for `plaintext_len` bytes.
    pub fn max_encrypted_len(&self, plaintext_len: usize) -> usize {
        self.record.max_sealed_len(plaintext_len)
    }
}

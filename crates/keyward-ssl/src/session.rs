//! Session keys: one direction's record protection (`SslGenerateSessionKeys`,
//! `SslEncryptPacket`, `SslDecryptPacket`).
//!
//! **Direction.** A TLS 1.0–1.2 (and DTLS) session key is a read key or a write key from the moment
//! `SslGenerateSessionKeys` makes it, and an opaque blob carries that direction to the process that
//! imports it. It is enforced at use: a read key cannot encrypt and a write key cannot decrypt.
//! Both refusals are `NTE_INVALID_HANDLE` ([`Error::InvalidHandle`]), checked before anything else:
//! the read and the write key are two kinds of object (Windows marks the kind in its session-key
//! object: docs/ssl-provider.md, "Objects and handles"), and handing a function the wrong kind of
//! object is `NTE_INVALID_HANDLE` everywhere in keyward. `NTE_BAD_KEY_STATE` was not chosen because
//! it names a state a key passes through, while a key's direction never changes. A TLS 1.3 key from
//! `SslExpandWriteKey` is the one exception: Windows documents it for both `SslEncryptPacket` and
//! `SslDecryptPacket` (docs/ssl-provider.md, "Record protection"; there is no `SslExpandReadKey`),
//! so it serves both directions, and its blob imports it so.

use crate::protocol::Protocol;
use crate::record::{CbcMode, RecordKey};
use crate::suites::CipherSuite;
use keyward_core::{Error, Result, Secret, SecretVec};

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
/// caller's (docs/ssl-provider.md, "Record protection").
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
        cbc_mode: CbcMode,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self> {
        let record = RecordKey::with_cbc_mode(
            protocol,
            suite.cipher,
            suite.mac,
            cbc_mode,
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
        cbc_mode: CbcMode,
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
        SessionKey::new(protocol, suite, direction, cbc_mode, mac_key, enc_key, iv)
    }

    /// The key of one direction rebuilt from its raw key material (a keyward extension, the
    /// receiving half of key isolation): `MAC key ‖ encryption key ‖ IV` at the lengths of
    /// `suite` under `protocol` (for TLS 1.3, `key ‖ 12-byte IV` and no MAC key), the layout
    /// [`SessionKey::export_key_material`] gives. An isolated provider (keyward-keyiso) derives
    /// session keys in its daemon and sends only this material to the process that protects
    /// records, which builds its record keys here; no master secret crosses. A wrong length is
    /// `NTE_BAD_DATA`; a direction is checked on use as for any session key.
    pub fn from_key_material(
        protocol: Protocol,
        suite: &'static CipherSuite,
        direction: Direction,
        cbc_mode: CbcMode,
        material: &[u8],
    ) -> Result<Self> {
        SessionKey::from_material(protocol, suite, direction, cbc_mode, material)
    }

    /// The raw key material of this key, to hand to [`SessionKey::from_key_material`] in
    /// another process (a keyward extension, the sending half of key isolation): the state an
    /// opaque blob would carry, but unsealed. Only a key-isolation daemon should call this, to
    /// answer an authenticated client; everything else exports sealed, through
    /// [`Provider::export_session_key`](crate::Provider::export_session_key).
    pub fn export_key_material(&self) -> Result<SecretVec> {
        self.state()
    }

    /// The key material, for sealing into an opaque blob only.
    pub(crate) fn material(&self) -> &[u8] {
        &self.material.expose()[..self.material_len]
    }

    /// What an opaque blob must carry for an imported copy to continue where this key is
    /// now: MAC key ‖ encryption key ‖ IV, where for a TLS 1.0 CBC key the IV is the current
    /// chaining IV (the one the next record will use) rather than the initial one, so the
    /// copy neither restarts the chain nor reuses an IV. [`SessionKey::from_material`] takes
    /// it back. Sequence numbers are not part of it: they are the caller's
    /// (`SslEncryptPacket`'s `SequenceNumber`), and the importer passes the next one.
    pub(crate) fn state(&self) -> Result<SecretVec> {
        let mut state = SecretVec::from_slice(self.material());
        if let Some(chaining_iv) = self.record.chaining_iv()? {
            let iv_at = state
                .len()
                .checked_sub(chaining_iv.expose().len())
                .ok_or(Error::Internal("session key material shorter than its IV"))?;
            state
                .expose_mut()
                .get_mut(iv_at..)
                .ok_or(Error::Internal("session key material shorter than its IV"))?
                .copy_from_slice(chaining_iv.expose());
        }
        Ok(state)
    }

    /// Refuses a use against the key's direction (see the module documentation).
    fn check_use(&self, used_for: Direction) -> Result<()> {
        if self.direction == used_for || self.protocol.is_tls13() {
            Ok(())
        } else {
            Err(Error::InvalidHandle)
        }
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

    /// MAC-then-encrypt, or encrypt-then-MAC for a CBC key made with
    /// [`Parameters::encrypt_then_mac`](crate::Parameters::encrypt_then_mac) (a keyward
    /// extension; RFC 7366).
    pub fn cbc_mode(&self) -> CbcMode {
        self.record.cbc_mode()
    }

    /// Protects one record (`SslEncryptPacket`): writes the complete record, header included,
    /// to `out` and returns its length. `sequence_number` is the caller's per-direction counter
    /// (for DTLS: epoch << 48 | sequence). A read key is `NTE_INVALID_HANDLE` (TLS 1.3 keys
    /// serve both directions; see the module documentation).
    pub fn encrypt_packet(
        &self,
        plaintext: &[u8],
        out: &mut [u8],
        sequence_number: u64,
        content_type: u8,
    ) -> Result<usize> {
        self.check_use(Direction::Write)?;
        self.record
            .seal(sequence_number, content_type, plaintext, out)
    }

    /// Protects one record in place: the plaintext is already at
    /// `buf[header + explicit IV ..]`, as `SslEncryptPacket` allows when `pbInput` points there.
    /// A read key is `NTE_INVALID_HANDLE`, as in [`SessionKey::encrypt_packet`].
    pub fn encrypt_packet_in_place(
        &self,
        buf: &mut [u8],
        plaintext_len: usize,
        sequence_number: u64,
        content_type: u8,
    ) -> Result<usize> {
        self.check_use(Direction::Write)?;
        self.record
            .seal_in_place(sequence_number, content_type, buf, plaintext_len)
    }

    /// Checks and decrypts one complete record (`SslDecryptPacket`), writing only the
    /// plaintext to `out` and returning its length. A write key is `NTE_INVALID_HANDLE`
    /// (TLS 1.3 keys serve both directions; see the module documentation).
    pub fn decrypt_packet(
        &self,
        record: &[u8],
        out: &mut [u8],
        sequence_number: u64,
    ) -> Result<usize> {
        self.check_use(Direction::Read)?;
        self.record.open(sequence_number, record, out)
    }

    /// Checks and decrypts one record in place, returning the plaintext inside `record`: it
    /// starts at [`InPlaceLayout::plaintext_offset`](crate::record::InPlaceLayout) of
    /// [`SessionKey::in_place_layout`]. A write key is `NTE_INVALID_HANDLE`, as in
    /// [`SessionKey::decrypt_packet`].
    pub fn decrypt_packet_in_place<'a>(
        &self,
        record: &'a mut [u8],
        sequence_number: u64,
    ) -> Result<&'a [u8]> {
        self.check_use(Direction::Read)?;
        self.record.open_in_place(sequence_number, record)
    }

    /// Where a plaintext may sit in the record's buffer for
    /// [`SessionKey::encrypt_packet_in_place`] and [`SessionKey::decrypt_packet_in_place`]
    /// (`SslEncryptPacket` / `SslDecryptPacket` with overlapping buffers).
    pub fn in_place_layout(&self) -> crate::record::InPlaceLayout {
        self.record.in_place_layout()
    }

    /// The largest record `encrypt_packet` can produce for `plaintext_len` bytes.
    pub fn max_encrypted_len(&self, plaintext_len: usize) -> usize {
        self.record.max_sealed_len(plaintext_len)
    }
}

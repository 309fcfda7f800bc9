//! The keyward card instruction set: the proprietary commands the virtual card
//! ([`crate::card`]) executes inside an SCP03 secure channel, with the builders the host side
//! uses and the one table from the card's status words to [`Error`].
//!
//! Every command is class `80` (GlobalPlatform proprietary), sent wrapped (`84`). Commands that
//! carry a PIN or a private key need C-DECRYPTION (security level `03`, `13` or `33`); the
//! others need a C-MAC. Outside a secure channel every one of them answers `6982`.
//!
//! | INS | command | P1 | P2 | data | response | level |
//! |---|---|---|---|---|---|---|
//! | `A4` | SELECT (class `00`) | `04` | `00` / `0C` | AID | FCI `6F 84` | none |
//! | `50` / `82` | INITIALIZE UPDATE / EXTERNAL AUTHENTICATE | GP Amd D §7.1 | | | | |
//! | `20` | VERIFY PIN | `00` | PIN id | PIN (empty: status) | `63Cx` / `6983` on failure | C-DEC (empty: C-MAC) |
//! | `24` | CHANGE PIN | new retry limit or `00` | PIN id | len ‖ old PIN ‖ new PIN | | C-DEC |
//! | `2C` | UNBLOCK PIN | new retry limit or `00` | `01` (user) | len ‖ admin PIN ‖ new user PIN | | C-DEC |
//! | `2E` | DEAUTHENTICATE | `00` | PIN id | | | C-MAC |
//! | `60` | IMPORT KEY PAIR | container | block number, b8 = last | chunk of PIN id ‖ key spec ‖ PKCS#8 | | C-DEC |
//! | `62` | READ PUBLIC KEY | container | `00` | | output length (2) | C-MAC |
//! | `2A` | SIGN | container | hash (1 SHA-256, 2 SHA-384, 3 SHA-512) | digest | output length (2) | C-MAC + container PIN |
//! | `C0` | READ OUTPUT | offset (2 bytes, P1 P2) | | | ≤ 224 bytes of output | C-MAC |
//! | `64` | IMPORT SESSION KEY (class `80`, never wrapped) | container | block number, b8 = last | chunk of OAEP hash ‖ RSA-OAEP ciphertext | last block: the card's nonce (16) | none |
//! | `D8` | PUT KEY (GPCS §11.8) | current KVN | `81` | new KVN ‖ 3 × (`88` L len key-DEK(key) `03` KCV) | new KVN ‖ 3 KCVs | C-MAC |
//!
//! PIN ids are cardmod's roles: 1 = `ROLE_USER`, 2 = `ROLE_ADMIN`. Key specs are cardmod's
//! `AT_KEYEXCHANGE` (1) / `AT_SIGNATURE` (2) for RSA-2048 and `AT_ECDSA_P256` (3) /
//! `AT_ECDHE_P256` (6) for EC P-256. Outputs larger than a short response (RSA signatures,
//! public keys) are produced into an output buffer and read with READ OUTPUT; any other command
//! discards it. IMPORT KEY PAIR blocks must arrive in order from block 0 with nothing in
//! between; an import replaces the container's key.
//!
//! READ PUBLIC KEY and READ OUTPUT also work without secure messaging when no session is open
//! (a public key is public): plain commands of class `80`; a plain READ OUTPUT reads only what a
//! plain READ PUBLIC KEY produced.
//!
//! IMPORT SESSION KEY is the other way to open a session (keyward's `CardImportSessionKey`):
//! the payload is the OAEP hash ([`OaepHash`]) and the RSAES-OAEP encryption (empty label),
//! under the RSA key of a container with key spec `AT_KEYEXCHANGE`, of a
//! `BCRYPT_KEY_DATA_BLOB` holding an AES-128/192/256 session key. The card decrypts it, draws a
//! 16-byte nonce, and opens a session at level `33` keyed from the session key and the nonce
//! ([`crate::scp03::CardSession::from_session_key`]), which it returns. Any decryption or format
//! failure is the one status word `6A80`; it ends any open session.
//!
//! Privileges. What a session may do depends on how it was opened
//! ([`crate::card::SessionOrigin`]): SCP03 with the static keys authenticates the issuer's
//! host; IMPORT SESSION KEY authenticates nobody (the wrapping key is public), so such a session
//! carries only the secure functions of `CardImportSessionKey`, each proving the PIN it uses or
//! changes. PINs verified in a session count only in that session: opening or ending a session
//! (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, IMPORT SESSION KEY, SELECT, a security error) and
//! a reset clear them.
//!
//! | command | no session | SCP03 session (issuer) | session-key session |
//! |---|---|---|---|
//! | VERIFY PIN | `6982` | the PIN | the PIN |
//! | CHANGE PIN | `6982` | the current PIN | the current PIN |
//! | UNBLOCK PIN | `6982` | the admin PIN | the admin PIN |
//! | DEAUTHENTICATE | `6982` | nothing | nothing |
//! | IMPORT KEY PAIR (empty or occupied container) | `6982` | nothing | admin PIN verified in this session, else `6982` |
//! | SIGN | `6982` | container's PIN verified in this session, else `6982` | refused, `6982` |
//! | READ PUBLIC KEY, READ OUTPUT | plain: public keys only | nothing | refused, `6982` |
//! | PUT KEY | `6982` | nothing | refused, `6982` |
//! | IMPORT SESSION KEY | ends the session, opens a session-key session | | |
//!
//! A wrong PIN is `63Cx` (x tries left) and a blocked one `6983`; every PIN try is charged to
//! the retry counter, written, before the compare, so a card that cannot write its state
//! answers `6581` to a right and a wrong PIN alike.

use keyward_core::backend::aes::AesKey;
use keyward_core::backend::{fill_random, HashAlgorithm};
use keyward_core::SecretVec;

use crate::apdu::{CommandApdu, ResponseApdu, StatusWord};
use crate::scp03::keys::{key_check_value, StaticKeys, KCV_LEN};
use crate::{Error, Result};

/// The class of every keyward card command before wrapping.
pub const CLA_PROPRIETARY: u8 = 0x80;
/// SELECT (ISO 7816-4, class `00`).
pub const INS_SELECT: u8 = 0xA4;
/// VERIFY PIN.
pub const INS_VERIFY_PIN: u8 = 0x20;
/// CHANGE PIN.
pub const INS_CHANGE_PIN: u8 = 0x24;
/// SIGN.
pub const INS_SIGN: u8 = 0x2A;
/// UNBLOCK PIN.
pub const INS_UNBLOCK_PIN: u8 = 0x2C;
/// DEAUTHENTICATE.
pub const INS_DEAUTHENTICATE: u8 = 0x2E;
/// IMPORT KEY PAIR.
pub const INS_IMPORT_KEY_PAIR: u8 = 0x60;
/// READ PUBLIC KEY.
pub const INS_READ_PUBLIC_KEY: u8 = 0x62;
/// READ OUTPUT.
pub const INS_READ_OUTPUT: u8 = 0xC0;
/// PUT KEY (GlobalPlatform).
pub const INS_PUT_KEY: u8 = 0xD8;
/// IMPORT SESSION KEY.
pub const INS_IMPORT_SESSION_KEY: u8 = 0x64;

/// The security level of a session opened by IMPORT SESSION KEY (its secure messaging; what
/// it may do is narrower than an SCP03 session's: see the module's privilege table).
pub const SESSION_KEY_LEVEL: crate::scp03::SecurityLevel = crate::scp03::SecurityLevel::Full;
/// Length of the nonce IMPORT SESSION KEY returns.
pub const SESSION_NONCE_LEN: usize = 16;
/// `BCRYPT_KEY_DATA_BLOB_MAGIC` ('KDBM').
pub const BCRYPT_KEY_DATA_BLOB_MAGIC: u32 = 0x4d42_444b;
/// `BCRYPT_KEY_DATA_BLOB_VERSION1`.
pub const BCRYPT_KEY_DATA_BLOB_VERSION1: u32 = 1;
/// Size of `BCRYPT_KEY_DATA_BLOB_HEADER` (`dwMagic`, `dwVersion`, `cbKeyData`).
pub const KEY_DATA_BLOB_HEADER_LEN: usize = 12;

/// Number of key containers (indices 0..8).
pub const MAX_CONTAINERS: u8 = 8;
/// Shortest PIN.
pub const MIN_PIN_LEN: usize = 4;
/// Longest PIN.
pub const MAX_PIN_LEN: usize = 16;
/// Highest retry limit (it must fit in `63Cx`).
pub const MAX_RETRY_LIMIT: u8 = 15;
/// Largest IMPORT KEY PAIR chunk: the largest plain data field under C-DECRYPTION.
pub const IMPORT_CHUNK_LEN: usize = 239;
/// Largest IMPORT KEY PAIR payload (PIN id ‖ key spec ‖ PKCS#8).
pub const MAX_IMPORT_LEN: usize = 4096;
/// Largest READ OUTPUT answer.
pub const OUTPUT_CHUNK_LEN: usize = 224;
/// P2 bit of the last IMPORT KEY PAIR block.
pub const LAST_BLOCK: u8 = 0x80;
/// P2 of PUT KEY: key identifier 1, several keys (GPCS §11.8.2.2).
pub const PUT_KEY_P2: u8 = 0x81;
/// The key type of an AES key component in PUT KEY (GPCS Table 11-xx, Amd D §7.2 v1.1.1).
pub const KEY_TYPE_AES: u8 = 0x88;

/// `AT_KEYEXCHANGE` (cardmod.h): an RSA key-exchange key.
pub const AT_KEYEXCHANGE: u8 = 1;
/// `AT_SIGNATURE` (cardmod.h): an RSA signature key.
pub const AT_SIGNATURE: u8 = 2;
/// `AT_ECDSA_P256` (cardmod.h).
pub const AT_ECDSA_P256: u8 = 3;
/// `AT_ECDHE_P256` (cardmod.h).
pub const AT_ECDHE_P256: u8 = 6;

/// A card PIN, by its cardmod role (`PIN_ID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PinId {
    /// `ROLE_USER` (1).
    User = 1,
    /// `ROLE_ADMIN` (2).
    Admin = 2,
}

impl PinId {
    /// The PIN for a cardmod `PIN_ID`; others are `InvalidParameter`.
    pub fn from_role(role: u32) -> Result<Self> {
        match role {
            1 => Ok(PinId::User),
            2 => Ok(PinId::Admin),
            _ => Err(Error::InvalidParameter(
                "PIN id is not ROLE_USER or ROLE_ADMIN",
            )),
        }
    }

    /// The role number (P2 of the PIN commands).
    pub fn role(self) -> u8 {
        self as u8
    }
}

/// The hash of a SIGN command's digest (P2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SignatureHash {
    /// SHA-256.
    Sha256 = 1,
    /// SHA-384.
    Sha384 = 2,
    /// SHA-512.
    Sha512 = 3,
}

impl SignatureHash {
    /// Decodes P2.
    pub fn from_p2(p2: u8) -> Option<Self> {
        match p2 {
            1 => Some(SignatureHash::Sha256),
            2 => Some(SignatureHash::Sha384),
            3 => Some(SignatureHash::Sha512),
            _ => None,
        }
    }

    /// The backend hash.
    pub fn algorithm(self) -> HashAlgorithm {
        match self {
            SignatureHash::Sha256 => HashAlgorithm::Sha256,
            SignatureHash::Sha384 => HashAlgorithm::Sha384,
            SignatureHash::Sha512 => HashAlgorithm::Sha512,
        }
    }
}

/// The hash of RSAES-OAEP (and of its MGF1) in IMPORT SESSION KEY: the first payload byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OaepHash {
    /// SHA-1 (`BCRYPT_SHA1_ALGORITHM`, CNG's usual OAEP hash).
    Sha1 = 0,
    /// SHA-256.
    Sha256 = 1,
    /// SHA-384.
    Sha384 = 2,
    /// SHA-512.
    Sha512 = 3,
}

impl OaepHash {
    /// Decodes the payload byte.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(OaepHash::Sha1),
            1 => Some(OaepHash::Sha256),
            2 => Some(OaepHash::Sha384),
            3 => Some(OaepHash::Sha512),
            _ => None,
        }
    }

    /// The hash for a CNG algorithm name (`BCRYPT_OAEP_PADDING_INFO.pszAlgId`: `SHA1`,
    /// `SHA256`, `SHA384`, `SHA512`); others are `UnsupportedFeature`.
    pub fn from_cng_name(name: &str) -> Result<Self> {
        match name {
            "SHA1" => Ok(OaepHash::Sha1),
            "SHA256" => Ok(OaepHash::Sha256),
            "SHA384" => Ok(OaepHash::Sha384),
            "SHA512" => Ok(OaepHash::Sha512),
            _ => Err(Error::UnsupportedFeature(
                "OAEP hash other than SHA-1 or SHA-2",
            )),
        }
    }

    /// The backend hash.
    pub fn algorithm(self) -> HashAlgorithm {
        match self {
            OaepHash::Sha1 => HashAlgorithm::Sha1,
            OaepHash::Sha256 => HashAlgorithm::Sha256,
            OaepHash::Sha384 => HashAlgorithm::Sha384,
            OaepHash::Sha512 => HashAlgorithm::Sha512,
        }
    }
}

/// A `BCRYPT_KEY_DATA_BLOB` (`BCRYPT_KEY_DATA_BLOB_HEADER` then the key) holding an
/// AES-128/192/256 key; another key length is `InvalidParameter`.
pub fn key_data_blob(key: &[u8]) -> Result<SecretVec> {
    if !matches!(key.len(), 16 | 24 | 32) {
        return Err(Error::InvalidParameter("AES key is not 16, 24 or 32 bytes"));
    }
    let mut blob = Vec::with_capacity(KEY_DATA_BLOB_HEADER_LEN + key.len());
    for value in [
        BCRYPT_KEY_DATA_BLOB_MAGIC,
        BCRYPT_KEY_DATA_BLOB_VERSION1,
        key.len() as u32,
    ] {
        blob.extend_from_slice(&value.to_le_bytes());
    }
    blob.extend_from_slice(key);
    Ok(SecretVec::new(blob))
}

/// The AES key inside a `BCRYPT_KEY_DATA_BLOB`: magic, version 1, a length of 16, 24 or 32
/// that ends the blob exactly; anything else is `InvalidParameter`.
pub fn parse_key_data_blob(blob: &[u8]) -> Result<&[u8]> {
    const MALFORMED: Error =
        Error::InvalidParameter("not a BCRYPT_KEY_DATA_BLOB of an AES-128/192/256 key");
    let (header, key) = blob
        .split_first_chunk::<KEY_DATA_BLOB_HEADER_LEN>()
        .ok_or(MALFORMED)?;
    let field = |index: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&header[4 * index..4 * index + 4]);
        u32::from_le_bytes(bytes)
    };
    if field(0) != BCRYPT_KEY_DATA_BLOB_MAGIC
        || field(1) != BCRYPT_KEY_DATA_BLOB_VERSION1
        || usize::try_from(field(2)).ok() != Some(key.len())
        || !matches!(key.len(), 16 | 24 | 32)
    {
        return Err(MALFORMED);
    }
    Ok(key)
}

/// A container's public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// RSA: big-endian modulus and public exponent.
    Rsa {
        /// Modulus.
        modulus: Vec<u8>,
        /// Public exponent.
        exponent: Vec<u8>,
    },
    /// EC P-256: the SEC1 uncompressed point (65 bytes).
    EcP256 {
        /// `04 ‖ X ‖ Y`.
        point: Vec<u8>,
    },
}

/// What READ PUBLIC KEY produces: the key spec, the PIN that guards the key, and the public
/// key. Encoded as `algorithm (1 RSA, 2 EC P-256) ‖ key spec ‖ PIN id ‖` then, for RSA,
/// `modulus length (2) ‖ modulus ‖ exponent length (1) ‖ exponent`, for EC,
/// `point length (1) ‖ point`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPublicKey {
    /// The cardmod key spec (`AT_*`).
    pub key_spec: u8,
    /// The PIN that must be verified to use the private key.
    pub pin: PinId,
    /// The public key.
    pub key: PublicKey,
}

impl ContainerPublicKey {
    /// The encoded record.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match &self.key {
            PublicKey::Rsa { modulus, exponent } => {
                out.extend_from_slice(&[1, self.key_spec, self.pin.role()]);
                out.extend_from_slice(&(modulus.len() as u16).to_be_bytes());
                out.extend_from_slice(modulus);
                out.push(exponent.len() as u8);
                out.extend_from_slice(exponent);
            }
            PublicKey::EcP256 { point } => {
                out.extend_from_slice(&[2, self.key_spec, self.pin.role(), point.len() as u8]);
                out.extend_from_slice(point);
            }
        }
        out
    }

    /// Parses a record; anything malformed or trailing is `MalformedMessage`.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const MALFORMED: Error = Error::MalformedMessage("container public key record");
        let (&[algorithm, key_spec, pin], rest) =
            bytes.split_first_chunk::<3>().ok_or(MALFORMED)?;
        let pin = PinId::from_role(u32::from(pin)).map_err(|_| MALFORMED)?;
        let key = match algorithm {
            1 => {
                let (length, rest) = rest.split_first_chunk::<2>().ok_or(MALFORMED)?;
                let (modulus, rest) = rest
                    .split_at_checked(usize::from(u16::from_be_bytes(*length)))
                    .ok_or(MALFORMED)?;
                let (&exponent_len, exponent) = rest.split_first().ok_or(MALFORMED)?;
                if modulus.is_empty()
                    || exponent.is_empty()
                    || exponent.len() != exponent_len as usize
                {
                    return Err(MALFORMED);
                }
                PublicKey::Rsa {
                    modulus: modulus.to_vec(),
                    exponent: exponent.to_vec(),
                }
            }
            2 => {
                let (&point_len, point) = rest.split_first().ok_or(MALFORMED)?;
                if point_len != 65 || point.len() != 65 || point.first() != Some(&0x04) {
                    return Err(MALFORMED);
                }
                PublicKey::EcP256 {
                    point: point.to_vec(),
                }
            }
            _ => return Err(MALFORMED),
        };
        Ok(ContainerPublicKey { key_spec, pin, key })
    }
}

fn command(ins: u8, p1: u8, p2: u8, data: Vec<u8>, le: Option<usize>) -> Result<CommandApdu> {
    CommandApdu::new(CLA_PROPRIETARY, ins, p1, p2, data, le)
}

fn check_pin(pin: &[u8]) -> Result<()> {
    if (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
        Ok(())
    } else {
        Err(Error::InvalidPin)
    }
}

fn retry_limit_p1(retry_limit: Option<u8>) -> Result<u8> {
    match retry_limit {
        None => Ok(0),
        Some(limit) if (1..=MAX_RETRY_LIMIT).contains(&limit) => Ok(limit),
        Some(_) => Err(Error::InvalidParameter("PIN retry limit is not 1..=15")),
    }
}

/// SELECT by AID (ISO 7816-4 §11.1.1), asking for the FCI.
pub fn select(aid: &[u8]) -> Result<CommandApdu> {
    if !(5..=16).contains(&aid.len()) {
        return Err(Error::InvalidParameter("AID is not 5 to 16 bytes"));
    }
    CommandApdu::new(0x00, INS_SELECT, 0x04, 0x00, aid.to_vec(), Some(256))
}

/// VERIFY PIN with a PIN of 4 to 16 bytes (`InvalidPin` otherwise).
pub fn verify_pin(pin: PinId, value: &[u8]) -> Result<CommandApdu> {
    check_pin(value)?;
    command(INS_VERIFY_PIN, 0, pin.role(), value.to_vec(), None)
}

/// VERIFY PIN without data: asks for the PIN's status (9000 when verified, else `63Cx`).
pub fn pin_status(pin: PinId) -> Result<CommandApdu> {
    command(INS_VERIFY_PIN, 0, pin.role(), Vec::new(), None)
}

/// CHANGE PIN: `old` authenticates, `new` replaces it; `retry_limit` (1..=15) optionally sets
/// the PIN's new retry limit.
pub fn change_pin(
    pin: PinId,
    old: &[u8],
    new: &[u8],
    retry_limit: Option<u8>,
) -> Result<CommandApdu> {
    check_pin(old)?;
    check_pin(new)?;
    let data = [&[old.len() as u8][..], old, new].concat();
    command(
        INS_CHANGE_PIN,
        retry_limit_p1(retry_limit)?,
        pin.role(),
        data,
        None,
    )
}

/// UNBLOCK PIN: the admin PIN authenticates, the user PIN is set to `new_user_pin` and its
/// retry counter reset (optionally to a new limit).
pub fn unblock_pin(
    admin_pin: &[u8],
    new_user_pin: &[u8],
    retry_limit: Option<u8>,
) -> Result<CommandApdu> {
    check_pin(admin_pin)?;
    check_pin(new_user_pin)?;
    let data = [&[admin_pin.len() as u8][..], admin_pin, new_user_pin].concat();
    command(
        INS_UNBLOCK_PIN,
        retry_limit_p1(retry_limit)?,
        PinId::User.role(),
        data,
        None,
    )
}

/// DEAUTHENTICATE: clears the PIN's verified state.
pub fn deauthenticate(pin: PinId) -> Result<CommandApdu> {
    command(INS_DEAUTHENTICATE, 0, pin.role(), Vec::new(), None)
}

fn check_container(container: u8) -> Result<()> {
    if container < MAX_CONTAINERS {
        Ok(())
    } else {
        Err(Error::NoKeyContainer)
    }
}

/// IMPORT KEY PAIR: the commands that load a PKCS#8 private key (RSA-2048 or EC P-256) into
/// `container`, guarded by `pin`, with cardmod key spec `key_spec`.
pub fn import_key_pair(
    container: u8,
    pin: PinId,
    key_spec: u8,
    pkcs8: &[u8],
) -> Result<Vec<CommandApdu>> {
    check_container(container)?;
    let mut payload = Vec::with_capacity(2 + pkcs8.len());
    payload.extend_from_slice(&[pin.role(), key_spec]);
    payload.extend_from_slice(pkcs8);
    let result = if pkcs8.is_empty() || payload.len() > MAX_IMPORT_LEN {
        Err(Error::InvalidParameter(
            "key pair is empty or above 4094 bytes",
        ))
    } else {
        let chunks: Vec<&[u8]> = payload.chunks(IMPORT_CHUNK_LEN).collect();
        let last = chunks.len() - 1;
        chunks
            .iter()
            .enumerate()
            .map(|(block, chunk)| {
                let flag = if block == last { LAST_BLOCK } else { 0 };
                command(
                    INS_IMPORT_KEY_PAIR,
                    container,
                    block as u8 | flag,
                    chunk.to_vec(),
                    None,
                )
            })
            .collect()
    };
    zeroize::Zeroize::zeroize(&mut payload);
    result
}

/// IMPORT SESSION KEY: the commands that carry `ciphertext` (RSAES-OAEP with `hash`, under the
/// RSA key of `container`) to the card; the last one's answer is the card's nonce.
pub fn import_session_key(
    container: u8,
    hash: OaepHash,
    ciphertext: &[u8],
) -> Result<Vec<CommandApdu>> {
    check_container(container)?;
    if ciphertext.is_empty() || ciphertext.len() > 1024 {
        return Err(Error::InvalidParameter(
            "RSA ciphertext is empty or above 1024 bytes",
        ));
    }
    let payload = [&[hash as u8][..], ciphertext].concat();
    let chunks: Vec<&[u8]> = payload.chunks(IMPORT_CHUNK_LEN).collect();
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(block, chunk)| {
            let (flag, le) = if block == last {
                (LAST_BLOCK, Some(SESSION_NONCE_LEN))
            } else {
                (0, None)
            };
            command(
                INS_IMPORT_SESSION_KEY,
                container,
                block as u8 | flag,
                chunk.to_vec(),
                le,
            )
        })
        .collect()
}

/// READ PUBLIC KEY of `container` (then READ OUTPUT).
pub fn read_public_key(container: u8) -> Result<CommandApdu> {
    check_container(container)?;
    command(INS_READ_PUBLIC_KEY, container, 0, Vec::new(), Some(256))
}

/// SIGN `digest` (of `hash`) with the key of `container` (then READ OUTPUT): PKCS#1 v1.5 for
/// RSA, fixed-width r ‖ s ECDSA for EC.
pub fn sign(container: u8, hash: SignatureHash, digest: &[u8]) -> Result<CommandApdu> {
    check_container(container)?;
    if digest.len() != hash.algorithm().output_len() {
        return Err(Error::InvalidParameter(
            "digest length does not match the hash",
        ));
    }
    command(INS_SIGN, container, hash as u8, digest.to_vec(), Some(256))
}

/// READ OUTPUT from `offset`.
pub fn read_output(offset: u16) -> Result<CommandApdu> {
    let [p1, p2] = offset.to_be_bytes();
    command(INS_READ_OUTPUT, p1, p2, Vec::new(), Some(256))
}

/// PUT KEY replacing the card's keyset `current` by `new` (GPCS §11.8; AES key components of
/// GP Amd D §7.2 v1.1.1): each key encrypted with the current Key-DEK (AES-CBC, zero ICV; a
/// 24-byte key padded with 8 random bytes), followed by its key check value.
pub fn put_key(current: &StaticKeys, new: &StaticKeys) -> Result<CommandApdu> {
    let dek = AesKey::new(current.dek())?;
    let mut data = vec![new.version()];
    for key in [new.enc(), new.mac(), new.dek()] {
        let mut block = key.to_vec();
        if block.len() == 24 {
            let mut padding = [0u8; 8];
            fill_random(&mut padding)?;
            block.extend_from_slice(&padding);
        }
        let encrypted = dek.cbc_encrypt_in_place(&[0; 16], &mut block);
        if let Err(error) = encrypted {
            zeroize::Zeroize::zeroize(&mut block);
            return Err(error.into());
        }
        data.extend_from_slice(&[KEY_TYPE_AES, (block.len() + 1) as u8, key.len() as u8]);
        data.extend_from_slice(&block);
        data.push(KCV_LEN as u8);
        data.extend_from_slice(&key_check_value(key)?);
    }
    command(INS_PUT_KEY, current.version(), PUT_KEY_P2, data, Some(256))
}

/// The card's answer to a keyward command: the data of a `9000`, or the error its status word
/// means — the one table from status words to [`Error`].
pub fn check(response: &ResponseApdu) -> Result<&[u8]> {
    match response.sw {
        StatusWord::SUCCESS => Ok(response.data()),
        StatusWord::AUTHENTICATION_METHOD_BLOCKED => Err(Error::PinBlocked),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED => Err(Error::SecurityStatusNotSatisfied),
        StatusWord::AUTHENTICATION_FAILED => Err(Error::HostAuthenticationFailed),
        StatusWord::REFERENCED_DATA_NOT_FOUND => Err(Error::NoKeyContainer),
        StatusWord::INCORRECT_DATA => Err(Error::InvalidParameter("the card rejected the data")),
        StatusWord::INCORRECT_P1_P2 => Err(Error::InvalidParameter("the card rejected P1-P2")),
        StatusWord::WRONG_LENGTH => Err(Error::InvalidParameter("the card rejected the length")),
        StatusWord::INS_NOT_SUPPORTED
        | StatusWord::CLA_NOT_SUPPORTED
        | StatusWord::FUNCTION_NOT_SUPPORTED => Err(Error::UnsupportedFeature(
            "the card does not support the command",
        )),
        StatusWord::CONDITIONS_NOT_SATISFIED => Err(Error::OutOfOrder(
            "the card's conditions of use are not satisfied",
        )),
        sw if sw.0 & 0xFFF0 == 0x63C0 => Err(Error::WrongPin {
            attempts_remaining: sw.sw2() & 0x0F,
        }),
        sw => Err(Error::CardStatus(sw)),
    }
}

/// The output length a READ PUBLIC KEY or SIGN answered (2 bytes, big-endian).
pub fn output_length(data: &[u8]) -> Result<usize> {
    match data {
        [high, low] => Ok(usize::from(u16::from_be_bytes([*high, *low]))),
        _ => Err(Error::MalformedMessage("output length is not 2 bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_validate() {
        assert_eq!(verify_pin(PinId::User, b"123"), Err(Error::InvalidPin));
        assert_eq!(verify_pin(PinId::User, &[0x31; 17]), Err(Error::InvalidPin));
        let verify = verify_pin(PinId::Admin, b"87654321").unwrap();
        assert_eq!((verify.ins, verify.p2), (INS_VERIFY_PIN, 2));
        let change = change_pin(PinId::User, b"1234", b"567890", Some(5)).unwrap();
        assert_eq!(change.data(), b"\x041234567890");
        assert_eq!(change.p1, 5);
        assert!(change_pin(PinId::User, b"1234", b"5678", Some(16)).is_err());
        assert!(change_pin(PinId::User, b"1234", b"5678", Some(0)).is_err());
        let unblock = unblock_pin(b"admin-pin", b"9999", None).unwrap();
        assert_eq!((unblock.p1, unblock.p2), (0, 1));
        assert_eq!(read_public_key(8), Err(Error::NoKeyContainer));
        assert!(sign(0, SignatureHash::Sha256, &[0; 31]).is_err());
        assert!(select(&[0xA0; 4]).is_err());
        assert_eq!(read_output(0x0123).unwrap().p1, 0x01);
    }

    #[test]
    fn import_chunks_in_order() {
        let key = vec![0x30; 600];
        let commands = import_key_pair(3, PinId::User, AT_KEYEXCHANGE, &key).unwrap();
        assert_eq!(commands.len(), 3);
        assert_eq!(commands[0].data()[..2], [1, AT_KEYEXCHANGE]);
        assert_eq!(
            commands.iter().map(|c| c.p2).collect::<Vec<_>>(),
            [0, 1, 2 | LAST_BLOCK]
        );
        assert!(commands
            .iter()
            .all(|c| c.p1 == 3 && c.data().len() <= IMPORT_CHUNK_LEN));
        let total: usize = commands.iter().map(|c| c.data().len()).sum();
        assert_eq!(total, 602);
        assert!(import_key_pair(0, PinId::User, 1, &[]).is_err());
        assert!(import_key_pair(0, PinId::User, 1, &vec![0; MAX_IMPORT_LEN]).is_err());
    }

    #[test]
    fn public_key_records() {
        let rsa = ContainerPublicKey {
            key_spec: AT_SIGNATURE,
            pin: PinId::User,
            key: PublicKey::Rsa {
                modulus: vec![0xC5; 256],
                exponent: vec![1, 0, 1],
            },
        };
        let bytes = rsa.to_bytes();
        assert_eq!(ContainerPublicKey::parse(&bytes).unwrap(), rsa);
        for len in 0..bytes.len() {
            assert!(ContainerPublicKey::parse(&bytes[..len]).is_err());
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(ContainerPublicKey::parse(&trailing).is_err());
        let mut point = vec![4u8];
        point.extend_from_slice(&[7; 64]);
        let ec = ContainerPublicKey {
            key_spec: AT_ECDSA_P256,
            pin: PinId::Admin,
            key: PublicKey::EcP256 { point },
        };
        assert_eq!(ContainerPublicKey::parse(&ec.to_bytes()).unwrap(), ec);
    }

    #[test]
    fn status_words_map_to_errors() {
        let check_sw = |sw: u16| check(&ResponseApdu::status(StatusWord(sw))).map(<[u8]>::to_vec);
        assert_eq!(check_sw(0x9000), Ok(Vec::new()));
        assert_eq!(
            check_sw(0x63C2),
            Err(Error::WrongPin {
                attempts_remaining: 2
            })
        );
        assert_eq!(check_sw(0x6983), Err(Error::PinBlocked));
        assert_eq!(check_sw(0x6982), Err(Error::SecurityStatusNotSatisfied));
        assert_eq!(check_sw(0x6A88), Err(Error::NoKeyContainer));
        assert_eq!(check_sw(0x6581), Err(Error::CardStatus(StatusWord(0x6581))));
        assert!(matches!(
            check_sw(0x6D00),
            Err(Error::UnsupportedFeature(_))
        ));
        assert_eq!(output_length(&[1, 2]), Ok(258));
        assert!(output_length(&[1]).is_err());
    }
}

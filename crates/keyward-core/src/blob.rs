//! CNG key blobs (`BCRYPT_*_BLOB`), parsed and emitted strictly. The layouts are Microsoft's
//! (the BCRYPT_RSAKEY_BLOB, BCRYPT_ECCKEY_BLOB and BCRYPT_DH_KEY_BLOB structures (bcrypt.h),
//! Microsoft Learn); a summary: docs/ssl-provider.md, "Key blobs".
//!
//! Every header field is a little-endian `ULONG`; every number that follows is big-endian,
//! unsigned, of the fixed width the header gives. Parsing accepts exactly one layout per blob:
//! the magic must belong to the blob type, every length must be consistent and non-zero, and the
//! input must end exactly where the layout ends. Anything else is [`Error::BadData`]. Blobs are
//! read with keyward-core's one checked [`Reader`]; the public blobs are [`Codec`]s, while the
//! private ones emit a [`SecretVec`] so that no copy of a private key is left in a plain `Vec`.
//!
//! These checks are about the format. Whether a point lies on its curve, a modulus is a product
//! of the given primes or a DH prime is prime is decided when the key is imported by the crypto
//! backend.
//!
//! Curve25519 (`BCRYPT_ECC_CURVE_25519`, generic magics `ECKP`/`ECKV`, `ECDP`/`ECDV`): the
//! public blob carries the 32-byte public value as X and 32 zero bytes as Y; the private blob
//! adds the 32-byte private scalar as d. Microsoft does not document the byte order of these
//! values. A public CNG-based X25519 client that interoperates with RFC 7748 peers copies the
//! RFC 7748 (little-endian) strings into X and d unchanged, so keyward keeps the RFC 7748 byte
//! order as is, and rejects a non-zero Y.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::{Codec, Reader};
use crate::{Error, Result, SecretVec};

/// The `ULONG` magic of a blob header: four ASCII bytes read as a little-endian `u32`
/// (e.g. `"RSA1"` = `0x31415352`).
const fn magic(tag: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*tag)
}

/// `BCRYPT_RSAPUBLIC_MAGIC`.
const RSA_PUBLIC_MAGIC: u32 = magic(b"RSA1");
/// `BCRYPT_RSAPRIVATE_MAGIC`.
const RSA_PRIVATE_MAGIC: u32 = magic(b"RSA2");
/// `BCRYPT_RSAFULLPRIVATE_MAGIC`.
const RSA_FULL_PRIVATE_MAGIC: u32 = magic(b"RSA3");
/// `BCRYPT_DH_PUBLIC_MAGIC`.
const DH_PUBLIC_MAGIC: u32 = magic(b"DHPB");
/// `BCRYPT_DH_PRIVATE_MAGIC`.
const DH_PRIVATE_MAGIC: u32 = magic(b"DHPV");
/// `BCRYPT_DH_PARAMETERS_MAGIC`.
const DH_PARAMETERS_MAGIC: u32 = magic(b"DHPM");

/// Smallest RSA key CNG accepts (`BCRYPT_RSA_ALGORITHM`: 512 to 16384 bits).
const RSA_MIN_BITS: usize = 512;
/// Largest RSA key CNG accepts.
const RSA_MAX_BITS: usize = 16384;
/// Longest public exponent: since Windows 10 1903 CNG rejects exponents above 2^64 - 1.
const RSA_MAX_EXPONENT_LEN: usize = 8;

/// Smallest DH modulus CNG accepts (`BCRYPT_DH_ALGORITHM`: 512 to 4096 bits, in steps of 64).
const DH_MIN_LEN: usize = 64;
/// Largest DH modulus: 8192 bits. CNG's `BCRYPT_DH_ALGORITHM` stops at 4096; keyward goes up to
/// ffdhe8192 so that every RFC 7919 group it offers can travel in a blob.
const DH_MAX_LEN: usize = 1024;
/// DH modulus lengths are multiples of 64 bits.
const DH_LEN_STEP: usize = 8;

/// Length of `BCRYPT_RSAKEY_BLOB`.
const RSA_HEADER_LEN: usize = 24;
/// Length of `BCRYPT_ECCKEY_BLOB` and of `BCRYPT_DH_KEY_BLOB`.
const SHORT_HEADER_LEN: usize = 8;
/// Length of `BCRYPT_DH_PARAMETER_HEADER`.
const DH_PARAMETER_HEADER_LEN: usize = 12;

// ---------------------------------------------------------------------------------------------
// Reading and writing

/// The next little-endian `ULONG`, as a length.
fn read_len(reader: &mut Reader<'_>) -> Result<usize> {
    usize::try_from(reader.u32_le()?).map_err(|_| Error::BadData("key blob length too large"))
}

/// Builds a blob of a known total length in one allocation (so secret bytes are never left
/// behind in a reallocated buffer).
struct Writer(Vec<u8>);

impl Writer {
    fn with_len(len: usize) -> Self {
        Writer(Vec::with_capacity(len))
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    /// A length field. Constructors bound every length far below `u32::MAX`.
    fn len(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn into_vec(self) -> Vec<u8> {
        self.0
    }

    fn into_secret(self) -> SecretVec {
        SecretVec::new(self.0)
    }
}

/// The number of significant bits of a big-endian unsigned number.
pub(crate) fn bit_length(big_endian: &[u8]) -> usize {
    let mut significant = big_endian.iter().skip_while(|&&byte| byte == 0);
    match significant.next() {
        Some(first) => 8 * (1 + significant.count()) - first.leading_zeros() as usize,
        None => 0,
    }
}

/// True when every byte is zero.
fn is_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&byte| byte == 0)
}

// ---------------------------------------------------------------------------------------------
// RSA: BCRYPT_RSAKEY_BLOB

/// The fields of a `BCRYPT_RSAKEY_BLOB` header.
struct RsaHeader {
    bit_length: usize,
    exponent_len: usize,
    modulus_len: usize,
    prime1_len: usize,
    prime2_len: usize,
}

impl RsaHeader {
    /// Reads the header and checks its magic.
    fn read(reader: &mut Reader<'_>, expected_magic: u32) -> Result<Self> {
        if reader.u32_le()? != expected_magic {
            return Err(Error::BadData("wrong magic for the RSA blob type"));
        }
        Ok(RsaHeader {
            bit_length: read_len(reader)?,
            exponent_len: read_len(reader)?,
            modulus_len: read_len(reader)?,
            prime1_len: read_len(reader)?,
            prime2_len: read_len(reader)?,
        })
    }

    fn write(&self, writer: &mut Writer, magic: u32) {
        writer.u32(magic);
        writer.len(self.bit_length);
        writer.len(self.exponent_len);
        writer.len(self.modulus_len);
        writer.len(self.prime1_len);
        writer.len(self.prime2_len);
    }
}

/// An RSA public key as carried by `BCRYPT_RSAPUBLIC_BLOB` (`BCRYPT_RSAKEY_BLOB` with magic
/// `BCRYPT_RSAPUBLIC_MAGIC` "RSA1", then PublicExponent and Modulus, big-endian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicBlob {
    exponent: Vec<u8>,
    modulus: Vec<u8>,
}

impl RsaPublicBlob {
    /// Checks and wraps a public key. The modulus must have no leading zero byte and be 512 to
    /// 16384 bits long; the exponent must be 1 to 8 bytes (CNG rejects exponents above 2^64 - 1
    /// since Windows 10 1903) and non-zero.
    pub fn new(exponent: &[u8], modulus: &[u8]) -> Result<Self> {
        if exponent.is_empty() || modulus.is_empty() {
            return Err(Error::BadData("RSA blob has a zero length"));
        }
        if exponent.len() > RSA_MAX_EXPONENT_LEN {
            return Err(Error::BadData("RSA public exponent longer than 8 bytes"));
        }
        if is_zero(exponent) {
            return Err(Error::BadData("RSA public exponent is zero"));
        }
        if modulus.first() == Some(&0) {
            return Err(Error::BadData("RSA modulus has a leading zero byte"));
        }
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bit_length(modulus)) {
            return Err(Error::BadData("RSA modulus size out of range"));
        }
        Ok(RsaPublicBlob {
            exponent: exponent.to_vec(),
            modulus: modulus.to_vec(),
        })
    }

    /// The public exponent, big-endian.
    pub fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    /// The modulus, big-endian, without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The key size in bits (`BitLength`).
    pub fn bit_length(&self) -> usize {
        bit_length(&self.modulus)
    }

    /// Parses a `BCRYPT_RSAPUBLIC_BLOB` ([`Codec::decode`]).
    pub fn parse(blob: &[u8]) -> Result<Self> {
        Self::decode(blob)
    }

    /// Reads PublicExponent and Modulus and checks them against the header.
    fn read_body(reader: &mut Reader<'_>, header: &RsaHeader) -> Result<Self> {
        let exponent = reader.take(header.exponent_len)?;
        let modulus = reader.take(header.modulus_len)?;
        let public = Self::new(exponent, modulus)?;
        if public.bit_length() != header.bit_length {
            return Err(Error::BadData("RSA BitLength does not match the modulus"));
        }
        Ok(public)
    }

    fn header(&self, prime1_len: usize, prime2_len: usize) -> RsaHeader {
        RsaHeader {
            bit_length: self.bit_length(),
            exponent_len: self.exponent.len(),
            modulus_len: self.modulus.len(),
            prime1_len,
            prime2_len,
        }
    }

    /// Emits the `BCRYPT_RSAPUBLIC_BLOB`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer =
            Writer::with_len(RSA_HEADER_LEN + self.exponent.len() + self.modulus.len());
        self.header(0, 0).write(&mut writer, RSA_PUBLIC_MAGIC);
        writer.bytes(&self.exponent);
        writer.bytes(&self.modulus);
        writer.into_vec()
    }
}

/// The `BCRYPT_RSAPUBLIC_BLOB` encoding.
impl Codec for RsaPublicBlob {
    type Error = Error;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self> {
        let header = RsaHeader::read(reader, RSA_PUBLIC_MAGIC)?;
        if header.prime1_len != 0 || header.prime2_len != 0 {
            return Err(Error::BadData("RSA public blob declares primes"));
        }
        Self::read_body(reader, &header)
    }
}

/// An RSA private key as carried by `BCRYPT_RSAPRIVATE_BLOB` (magic `BCRYPT_RSAPRIVATE_MAGIC`
/// "RSA2": the public blob followed by Prime1 and Prime2).
#[derive(Clone)]
pub struct RsaPrivateBlob {
    public: RsaPublicBlob,
    prime1: SecretVec,
    prime2: SecretVec,
}

impl RsaPrivateBlob {
    /// Checks and wraps a private key: both primes non-empty and together at most one byte
    /// wider than the modulus.
    pub fn new(public: RsaPublicBlob, prime1: SecretVec, prime2: SecretVec) -> Result<Self> {
        check_prime_lengths(&public, prime1.len(), prime2.len())?;
        Ok(RsaPrivateBlob {
            public,
            prime1,
            prime2,
        })
    }

    /// The public half.
    pub fn public(&self) -> &RsaPublicBlob {
        &self.public
    }

    /// The first prime p, big-endian.
    pub fn prime1(&self) -> &SecretVec {
        &self.prime1
    }

    /// The second prime q, big-endian.
    pub fn prime2(&self) -> &SecretVec {
        &self.prime2
    }

    /// Parses a `BCRYPT_RSAPRIVATE_BLOB`.
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(blob);
        let header = RsaHeader::read(&mut reader, RSA_PRIVATE_MAGIC)?;
        let private = Self::read_body(&mut reader, &header)?;
        reader.finish()?;
        Ok(private)
    }

    fn read_body(reader: &mut Reader<'_>, header: &RsaHeader) -> Result<Self> {
        let public = RsaPublicBlob::read_body(reader, header)?;
        check_prime_lengths(&public, header.prime1_len, header.prime2_len)?;
        let prime1 = SecretVec::from_slice(reader.take(header.prime1_len)?);
        let prime2 = SecretVec::from_slice(reader.take(header.prime2_len)?);
        Self::new(public, prime1, prime2)
    }

    fn header(&self) -> RsaHeader {
        self.public.header(self.prime1.len(), self.prime2.len())
    }

    fn body_len(&self) -> usize {
        RSA_HEADER_LEN
            + self.public.exponent.len()
            + self.public.modulus.len()
            + self.prime1.len()
            + self.prime2.len()
    }

    fn write_body(&self, writer: &mut Writer) {
        writer.bytes(&self.public.exponent);
        writer.bytes(&self.public.modulus);
        writer.bytes(self.prime1.expose());
        writer.bytes(self.prime2.expose());
    }

    /// Emits the `BCRYPT_RSAPRIVATE_BLOB`.
    pub fn to_bytes(&self) -> SecretVec {
        let mut writer = Writer::with_len(self.body_len());
        self.header().write(&mut writer, RSA_PRIVATE_MAGIC);
        self.write_body(&mut writer);
        writer.into_secret()
    }
}

/// Checks `cbPrime1` / `cbPrime2` against the modulus: non-zero, and no wider together than
/// a product of that size allows.
fn check_prime_lengths(public: &RsaPublicBlob, prime1_len: usize, prime2_len: usize) -> Result<()> {
    if prime1_len == 0 || prime2_len == 0 {
        return Err(Error::BadData("RSA blob has a zero prime length"));
    }
    let modulus_len = public.modulus.len();
    if prime1_len.saturating_add(prime2_len) > modulus_len + 1 {
        return Err(Error::BadData("RSA primes wider than the modulus"));
    }
    Ok(())
}

/// An RSA private key with its CRT values, as carried by `BCRYPT_RSAFULLPRIVATE_BLOB` (magic
/// `BCRYPT_RSAFULLPRIVATE_MAGIC` "RSA3": the private blob followed by `Exponent1[cbPrime1]`,
/// `Exponent2[cbPrime2]`, `Coefficient[cbPrime1]` and `PrivateExponent[cbModulus]`).
#[derive(Clone)]
pub struct RsaFullPrivateBlob {
    private: RsaPrivateBlob,
    exponent1: SecretVec,
    exponent2: SecretVec,
    coefficient: SecretVec,
    private_exponent: SecretVec,
}

impl RsaFullPrivateBlob {
    /// Checks and wraps a full private key: `exponent1` and `coefficient` as wide as prime1,
    /// `exponent2` as wide as prime2, `private_exponent` as wide as the modulus.
    pub fn new(
        private: RsaPrivateBlob,
        exponent1: SecretVec,
        exponent2: SecretVec,
        coefficient: SecretVec,
        private_exponent: SecretVec,
    ) -> Result<Self> {
        if exponent1.len() != private.prime1.len()
            || coefficient.len() != private.prime1.len()
            || exponent2.len() != private.prime2.len()
            || private_exponent.len() != private.public.modulus.len()
        {
            return Err(Error::BadData("RSA CRT value has the wrong width"));
        }
        Ok(RsaFullPrivateBlob {
            private,
            exponent1,
            exponent2,
            coefficient,
            private_exponent,
        })
    }

    /// The private key (public half and primes).
    pub fn private(&self) -> &RsaPrivateBlob {
        &self.private
    }

    /// d mod (p - 1), big-endian.
    pub fn exponent1(&self) -> &SecretVec {
        &self.exponent1
    }

    /// d mod (q - 1), big-endian.
    pub fn exponent2(&self) -> &SecretVec {
        &self.exponent2
    }

    /// q^-1 mod p, big-endian.
    pub fn coefficient(&self) -> &SecretVec {
        &self.coefficient
    }

    /// The private exponent d, big-endian.
    pub fn private_exponent(&self) -> &SecretVec {
        &self.private_exponent
    }

    /// Parses a `BCRYPT_RSAFULLPRIVATE_BLOB`.
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(blob);
        let header = RsaHeader::read(&mut reader, RSA_FULL_PRIVATE_MAGIC)?;
        let private = RsaPrivateBlob::read_body(&mut reader, &header)?;
        let exponent1 = SecretVec::from_slice(reader.take(header.prime1_len)?);
        let exponent2 = SecretVec::from_slice(reader.take(header.prime2_len)?);
        let coefficient = SecretVec::from_slice(reader.take(header.prime1_len)?);
        let private_exponent = SecretVec::from_slice(reader.take(header.modulus_len)?);
        reader.finish()?;
        Self::new(private, exponent1, exponent2, coefficient, private_exponent)
    }

    /// Emits the `BCRYPT_RSAFULLPRIVATE_BLOB`.
    pub fn to_bytes(&self) -> SecretVec {
        let len = self.private.body_len()
            + self.exponent1.len()
            + self.exponent2.len()
            + self.coefficient.len()
            + self.private_exponent.len();
        let mut writer = Writer::with_len(len);
        self.private
            .header()
            .write(&mut writer, RSA_FULL_PRIVATE_MAGIC);
        self.private.write_body(&mut writer);
        writer.bytes(self.exponent1.expose());
        writer.bytes(self.exponent2.expose());
        writer.bytes(self.coefficient.expose());
        writer.bytes(self.private_exponent.expose());
        writer.into_secret()
    }
}

// ---------------------------------------------------------------------------------------------
// ECC: BCRYPT_ECCKEY_BLOB

/// An elliptic curve of an ECC blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EccCurve {
    /// NIST P-256 (`BCRYPT_ECC_CURVE_NISTP256`, magics ECK1/ECK2, ECS1/ECS2).
    P256,
    /// NIST P-384 (`BCRYPT_ECC_CURVE_NISTP384`, magics ECK3/ECK4, ECS3/ECS4).
    P384,
    /// NIST P-521 (`BCRYPT_ECC_CURVE_NISTP521`, magics ECK5/ECK6, ECS5/ECS6).
    P521,
    /// Curve25519 (`BCRYPT_ECC_CURVE_25519`), carried with the generic magics ECKP/ECKV
    /// (ECDH) and ECDP/ECDV (ECDSA).
    Curve25519,
}

impl EccCurve {
    /// Every curve.
    pub const ALL: [EccCurve; 4] = [
        EccCurve::P256,
        EccCurve::P384,
        EccCurve::P521,
        EccCurve::Curve25519,
    ];

    /// The field size in bytes: `cbKey` of `BCRYPT_ECCKEY_BLOB`.
    pub fn key_len(self) -> usize {
        match self {
            EccCurve::P256 | EccCurve::Curve25519 => 32,
            EccCurve::P384 => 48,
            EccCurve::P521 => 66,
        }
    }
}

/// What an ECC key is for; CNG gives ECDH and ECDSA keys different magics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EccUsage {
    /// Key agreement (`BCRYPT_ECDH_*_MAGIC`).
    Ecdh,
    /// Signatures (`BCRYPT_ECDSA_*_MAGIC`).
    Ecdsa,
}

/// Whether a blob holds the public or the private half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyPart {
    Public,
    Private,
}

/// The `dwMagic` of an ECC blob: the one table between magics and (curve, usage, part).
fn ecc_magic(curve: EccCurve, usage: EccUsage, part: KeyPart) -> u32 {
    use EccCurve::*;
    use EccUsage::*;
    use KeyPart::*;
    magic(match (curve, usage, part) {
        (P256, Ecdh, Public) => b"ECK1",   // BCRYPT_ECDH_PUBLIC_P256_MAGIC
        (P256, Ecdh, Private) => b"ECK2",  // BCRYPT_ECDH_PRIVATE_P256_MAGIC
        (P384, Ecdh, Public) => b"ECK3",   // BCRYPT_ECDH_PUBLIC_P384_MAGIC
        (P384, Ecdh, Private) => b"ECK4",  // BCRYPT_ECDH_PRIVATE_P384_MAGIC
        (P521, Ecdh, Public) => b"ECK5",   // BCRYPT_ECDH_PUBLIC_P521_MAGIC
        (P521, Ecdh, Private) => b"ECK6",  // BCRYPT_ECDH_PRIVATE_P521_MAGIC
        (P256, Ecdsa, Public) => b"ECS1",  // BCRYPT_ECDSA_PUBLIC_P256_MAGIC
        (P256, Ecdsa, Private) => b"ECS2", // BCRYPT_ECDSA_PRIVATE_P256_MAGIC
        (P384, Ecdsa, Public) => b"ECS3",  // BCRYPT_ECDSA_PUBLIC_P384_MAGIC
        (P384, Ecdsa, Private) => b"ECS4", // BCRYPT_ECDSA_PRIVATE_P384_MAGIC
        (P521, Ecdsa, Public) => b"ECS5",  // BCRYPT_ECDSA_PUBLIC_P521_MAGIC
        (P521, Ecdsa, Private) => b"ECS6", // BCRYPT_ECDSA_PRIVATE_P521_MAGIC
        (Curve25519, Ecdh, Public) => b"ECKP", // BCRYPT_ECDH_PUBLIC_GENERIC_MAGIC
        (Curve25519, Ecdh, Private) => b"ECKV", // BCRYPT_ECDH_PRIVATE_GENERIC_MAGIC
        (Curve25519, Ecdsa, Public) => b"ECDP", // BCRYPT_ECDSA_PUBLIC_GENERIC_MAGIC
        (Curve25519, Ecdsa, Private) => b"ECDV", // BCRYPT_ECDSA_PRIVATE_GENERIC_MAGIC
    })
}

/// Reads a `BCRYPT_ECCKEY_BLOB` header: the magic must be one of `part`, and `cbKey` must be
/// the field size of its curve (32 for the generic magics).
fn read_ecc_header(reader: &mut Reader<'_>, part: KeyPart) -> Result<(EccCurve, EccUsage)> {
    let found = reader.u32_le()?;
    let (curve, usage) = EccCurve::ALL
        .into_iter()
        .flat_map(|curve| [(curve, EccUsage::Ecdh), (curve, EccUsage::Ecdsa)])
        .find(|&(curve, usage)| ecc_magic(curve, usage, part) == found)
        .ok_or(Error::BadData("wrong magic for the ECC blob type"))?;
    if read_len(reader)? != curve.key_len() {
        return Err(Error::BadData("ECC cbKey does not match the curve"));
    }
    Ok((curve, usage))
}

/// An ECC public key as carried by `BCRYPT_ECCPUBLIC_BLOB` (`BCRYPT_ECCKEY_BLOB`, then X and Y,
/// big-endian, `cbKey` bytes each; for Curve25519 X is the RFC 7748 public value and Y is zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EccPublicBlob {
    curve: EccCurve,
    usage: EccUsage,
    x: Vec<u8>,
    y: Vec<u8>,
}

impl EccPublicBlob {
    /// Checks and wraps a public key: X and Y exactly the curve's field size; for Curve25519
    /// Y all zero.
    pub fn new(curve: EccCurve, usage: EccUsage, x: &[u8], y: &[u8]) -> Result<Self> {
        if x.len() != curve.key_len() || y.len() != curve.key_len() {
            return Err(Error::BadData("ECC coordinate has the wrong width"));
        }
        if curve == EccCurve::Curve25519 && !is_zero(y) {
            return Err(Error::BadData("curve25519 blob has a non-zero Y"));
        }
        Ok(EccPublicBlob {
            curve,
            usage,
            x: x.to_vec(),
            y: y.to_vec(),
        })
    }

    /// The curve.
    pub fn curve(&self) -> EccCurve {
        self.curve
    }

    /// ECDH or ECDSA.
    pub fn usage(&self) -> EccUsage {
        self.usage
    }

    /// X (for Curve25519: the RFC 7748 public value).
    pub fn x(&self) -> &[u8] {
        &self.x
    }

    /// Y (for Curve25519: zero).
    pub fn y(&self) -> &[u8] {
        &self.y
    }

    /// Parses a `BCRYPT_ECCPUBLIC_BLOB` ([`Codec::decode`]).
    pub fn parse(blob: &[u8]) -> Result<Self> {
        Self::decode(blob)
    }

    fn read_body(reader: &mut Reader<'_>, curve: EccCurve, usage: EccUsage) -> Result<Self> {
        let x = reader.take(curve.key_len())?;
        let y = reader.take(curve.key_len())?;
        Self::new(curve, usage, x, y)
    }

    fn write(&self, writer: &mut Writer, part: KeyPart) {
        writer.u32(ecc_magic(self.curve, self.usage, part));
        writer.len(self.curve.key_len());
        writer.bytes(&self.x);
        writer.bytes(&self.y);
    }

    /// Emits the `BCRYPT_ECCPUBLIC_BLOB`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::with_len(SHORT_HEADER_LEN + 2 * self.curve.key_len());
        self.write(&mut writer, KeyPart::Public);
        writer.into_vec()
    }

    /// The TLS wire form of the public key: the uncompressed point `0x04 || X || Y` (RFC 8422
    /// §5.4.1) for the NIST curves; for Curve25519 the bare 32-byte RFC 7748 value, which is
    /// what TLS carries for x25519 (RFC 8446 §4.2.8.2).
    pub fn to_uncompressed_point(&self) -> Vec<u8> {
        if self.curve == EccCurve::Curve25519 {
            return self.x.clone();
        }
        let mut point = Vec::with_capacity(1 + self.x.len() + self.y.len());
        point.push(0x04);
        point.extend_from_slice(&self.x);
        point.extend_from_slice(&self.y);
        point
    }

    /// Reads the TLS wire form of a public key (see [`Self::to_uncompressed_point`]); anything
    /// else (compressed points, the point at infinity, wrong lengths) is [`Error::BadData`].
    pub fn from_uncompressed_point(curve: EccCurve, usage: EccUsage, point: &[u8]) -> Result<Self> {
        if curve == EccCurve::Curve25519 {
            return Self::new(curve, usage, point, &[0; 32]);
        }
        let coordinates = match point.split_first() {
            Some((0x04, coordinates)) if coordinates.len() == 2 * curve.key_len() => coordinates,
            _ => return Err(Error::BadData("not an uncompressed point of the curve")),
        };
        let (x, y) = coordinates.split_at(curve.key_len());
        Self::new(curve, usage, x, y)
    }
}

/// The `BCRYPT_ECCPUBLIC_BLOB` encoding.
impl Codec for EccPublicBlob {
    type Error = Error;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self> {
        let (curve, usage) = read_ecc_header(reader, KeyPart::Public)?;
        Self::read_body(reader, curve, usage)
    }
}

/// An ECC private key as carried by `BCRYPT_ECCPRIVATE_BLOB` (the public blob with a private
/// magic, followed by d, big-endian, `cbKey` bytes; for Curve25519 d is the RFC 7748 scalar).
#[derive(Clone)]
pub struct EccPrivateBlob {
    public: EccPublicBlob,
    d: SecretVec,
}

impl EccPrivateBlob {
    /// Checks and wraps a private key: d exactly the curve's field size.
    pub fn new(public: EccPublicBlob, d: SecretVec) -> Result<Self> {
        if d.len() != public.curve.key_len() {
            return Err(Error::BadData("ECC private value has the wrong width"));
        }
        Ok(EccPrivateBlob { public, d })
    }

    /// The public half.
    pub fn public(&self) -> &EccPublicBlob {
        &self.public
    }

    /// The private value d.
    pub fn d(&self) -> &SecretVec {
        &self.d
    }

    /// Parses a `BCRYPT_ECCPRIVATE_BLOB`.
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(blob);
        let (curve, usage) = read_ecc_header(&mut reader, KeyPart::Private)?;
        let public = EccPublicBlob::read_body(&mut reader, curve, usage)?;
        let d = SecretVec::from_slice(reader.take(curve.key_len())?);
        reader.finish()?;
        Self::new(public, d)
    }

    /// Emits the `BCRYPT_ECCPRIVATE_BLOB`.
    pub fn to_bytes(&self) -> SecretVec {
        let mut writer = Writer::with_len(SHORT_HEADER_LEN + 3 * self.public.curve.key_len());
        self.public.write(&mut writer, KeyPart::Private);
        writer.bytes(self.d.expose());
        writer.into_secret()
    }
}

// ---------------------------------------------------------------------------------------------
// Diffie-Hellman: BCRYPT_DH_KEY_BLOB and BCRYPT_DH_PARAMETER_HEADER

/// True when `2 <= value <= prime - 2`, for a big-endian value as wide as the odd prime.
fn is_in_dh_range(value: &[u8], prime: &[u8]) -> bool {
    let (Some((&value_last, value_head)), Some((&prime_last, prime_head))) =
        (value.split_last(), prime.split_last())
    else {
        return false;
    };
    // The prime is odd, so prime - 1 differs from it only in the last byte (no borrow).
    let Some(prime_minus_one_last) = prime_last.checked_sub(1) else {
        return false;
    };
    let at_least_two = !is_zero(value_head) || value_last >= 2;
    let below_prime_minus_one = value_head.len() == prime_head.len()
        && (value_head, value_last) < (prime_head, prime_minus_one_last);
    at_least_two && below_prime_minus_one
}

/// DH domain parameters, the `BCRYPT_DH_PARAMETERS` property format and the `pbParams` of
/// `SslCreateEphemeralKey`: `BCRYPT_DH_PARAMETER_HEADER { cbLength, dwMagic = "DHPM",
/// cbKeyLength }`, then Prime and Generator, big-endian, `cbKeyLength` bytes each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhParameters {
    prime: Vec<u8>,
    generator: Vec<u8>,
}

impl DhParameters {
    /// Checks and wraps domain parameters: the prime 512 to 8192 bits in steps of 64 (CNG's
    /// range, extended to ffdhe8192), odd, filling its width (no leading zero byte); the generator as
    /// wide as the prime and in `[2, p - 2]`. Primality is not checked here.
    pub fn new(prime: &[u8], generator: &[u8]) -> Result<Self> {
        let len = prime.len();
        if !(DH_MIN_LEN..=DH_MAX_LEN).contains(&len) || len % DH_LEN_STEP != 0 {
            return Err(Error::BadData("DH key length out of range"));
        }
        if prime.first() == Some(&0) || prime.last().is_none_or(|last| last % 2 == 0) {
            return Err(Error::BadData(
                "DH prime does not fill its width or is even",
            ));
        }
        if generator.len() != len {
            return Err(Error::BadData("DH generator is not as wide as the prime"));
        }
        if !is_in_dh_range(generator, prime) {
            return Err(Error::BadData("DH generator out of range"));
        }
        Ok(DhParameters {
            prime: prime.to_vec(),
            generator: generator.to_vec(),
        })
    }

    /// The prime p, big-endian.
    pub fn prime(&self) -> &[u8] {
        &self.prime
    }

    /// The generator g, big-endian, as wide as p.
    pub fn generator(&self) -> &[u8] {
        &self.generator
    }

    /// The key length in bytes (`cbKey` / `cbKeyLength`).
    pub fn key_len(&self) -> usize {
        self.prime.len()
    }

    /// Parses a `BCRYPT_DH_PARAMETER_HEADER` with its prime and generator; `cbLength` must be
    /// the exact total length.
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(blob);
        let total_len = read_len(&mut reader)?;
        if reader.u32_le()? != DH_PARAMETERS_MAGIC {
            return Err(Error::BadData("wrong magic for DH parameters"));
        }
        let key_len = read_len(&mut reader)?;
        if total_len != blob.len() {
            return Err(Error::BadData(
                "DH parameters cbLength is not the blob length",
            ));
        }
        let parameters = Self::read_body(&mut reader, key_len)?;
        reader.finish()?;
        Ok(parameters)
    }

    fn read_body(reader: &mut Reader<'_>, key_len: usize) -> Result<Self> {
        let prime = reader.take(key_len)?;
        let generator = reader.take(key_len)?;
        Self::new(prime, generator)
    }

    /// Emits the `BCRYPT_DH_PARAMETER_HEADER` with prime and generator.
    pub fn to_bytes(&self) -> Vec<u8> {
        let total_len = DH_PARAMETER_HEADER_LEN + 2 * self.key_len();
        let mut writer = Writer::with_len(total_len);
        writer.len(total_len);
        writer.u32(DH_PARAMETERS_MAGIC);
        writer.len(self.key_len());
        writer.bytes(&self.prime);
        writer.bytes(&self.generator);
        writer.into_vec()
    }
}

/// Reads a `BCRYPT_DH_KEY_BLOB` header with the expected magic; returns `cbKey`.
fn read_dh_header(reader: &mut Reader<'_>, expected_magic: u32) -> Result<usize> {
    if reader.u32_le()? != expected_magic {
        return Err(Error::BadData("wrong magic for the DH blob type"));
    }
    read_len(reader)
}

/// A DH public key as carried by `BCRYPT_DH_PUBLIC_BLOB` (`BCRYPT_DH_KEY_BLOB { dwMagic =
/// "DHPB", cbKey }`, then Modulus, Generator and Public, big-endian, `cbKey` bytes each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhPublicBlob {
    parameters: DhParameters,
    public: Vec<u8>,
}

impl DhPublicBlob {
    /// Checks and wraps a public key: the public value as wide as the prime and in
    /// `[2, p - 2]` (SP 800-56A partial public-key validation).
    pub fn new(parameters: DhParameters, public: &[u8]) -> Result<Self> {
        if !is_in_dh_range(public, &parameters.prime) {
            return Err(Error::BadData("DH public value out of range"));
        }
        Ok(DhPublicBlob {
            parameters,
            public: public.to_vec(),
        })
    }

    /// The domain parameters.
    pub fn parameters(&self) -> &DhParameters {
        &self.parameters
    }

    /// The public value g^x mod p, big-endian, as wide as p.
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// Parses a `BCRYPT_DH_PUBLIC_BLOB` ([`Codec::decode`]).
    pub fn parse(blob: &[u8]) -> Result<Self> {
        Self::decode(blob)
    }

    fn read_body(reader: &mut Reader<'_>, key_len: usize) -> Result<Self> {
        let parameters = DhParameters::read_body(reader, key_len)?;
        let public = reader.take(key_len)?;
        Self::new(parameters, public)
    }

    fn write(&self, writer: &mut Writer, magic: u32) {
        writer.u32(magic);
        writer.len(self.parameters.key_len());
        writer.bytes(&self.parameters.prime);
        writer.bytes(&self.parameters.generator);
        writer.bytes(&self.public);
    }

    /// Emits the `BCRYPT_DH_PUBLIC_BLOB`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::with_len(SHORT_HEADER_LEN + 3 * self.parameters.key_len());
        self.write(&mut writer, DH_PUBLIC_MAGIC);
        writer.into_vec()
    }
}

/// The `BCRYPT_DH_PUBLIC_BLOB` encoding.
impl Codec for DhPublicBlob {
    type Error = Error;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self> {
        let key_len = read_dh_header(reader, DH_PUBLIC_MAGIC)?;
        Self::read_body(reader, key_len)
    }
}

/// A DH private key as carried by `BCRYPT_DH_PRIVATE_BLOB` (magic "DHPV": the public blob
/// followed by PrivateExponent, big-endian, `cbKey` bytes).
#[derive(Clone)]
pub struct DhPrivateBlob {
    public: DhPublicBlob,
    private: SecretVec,
}

impl DhPrivateBlob {
    /// Checks and wraps a private key: the private exponent as wide as the prime.
    pub fn new(public: DhPublicBlob, private: SecretVec) -> Result<Self> {
        if private.len() != public.parameters.key_len() {
            return Err(Error::BadData("DH private value has the wrong width"));
        }
        Ok(DhPrivateBlob { public, private })
    }

    /// The public half.
    pub fn public(&self) -> &DhPublicBlob {
        &self.public
    }

    /// The private exponent x, big-endian.
    pub fn private(&self) -> &SecretVec {
        &self.private
    }

    /// Parses a `BCRYPT_DH_PRIVATE_BLOB`.
    pub fn parse(blob: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(blob);
        let key_len = read_dh_header(&mut reader, DH_PRIVATE_MAGIC)?;
        let public = DhPublicBlob::read_body(&mut reader, key_len)?;
        let private = SecretVec::from_slice(reader.take(key_len)?);
        reader.finish()?;
        Self::new(public, private)
    }

    /// Emits the `BCRYPT_DH_PRIVATE_BLOB`.
    pub fn to_bytes(&self) -> SecretVec {
        let mut writer = Writer::with_len(SHORT_HEADER_LEN + 4 * self.public.parameters.key_len());
        self.public.write(&mut writer, DH_PRIVATE_MAGIC);
        writer.bytes(self.private.expose());
        writer.into_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit modulus-shaped number (top bit set); blobs do not check factorisation.
    fn modulus_2048() -> Vec<u8> {
        (0..256u32).map(|i| (i as u8) | 0x80).collect()
    }

    fn rsa_public() -> RsaPublicBlob {
        RsaPublicBlob::new(&[0x01, 0x00, 0x01], &modulus_2048()).unwrap()
    }

    fn secret(len: usize, fill: u8) -> SecretVec {
        SecretVec::new(vec![fill; len])
    }

    fn rsa_private() -> RsaPrivateBlob {
        RsaPrivateBlob::new(rsa_public(), secret(128, 0xA1), secret(128, 0xA2)).unwrap()
    }

    fn rsa_full_private() -> RsaFullPrivateBlob {
        RsaFullPrivateBlob::new(
            rsa_private(),
            secret(128, 0xB1),
            secret(128, 0xB2),
            secret(128, 0xB3),
            secret(256, 0xB4),
        )
        .unwrap()
    }

    /// An odd 1024-bit number filling its width; primality is not a format check.
    fn dh_prime() -> Vec<u8> {
        let mut prime = vec![0xFF; 128];
        prime[127] = 0xC5;
        prime
    }

    fn be(value: u8, len: usize) -> Vec<u8> {
        let mut number = vec![0; len];
        number[len - 1] = value;
        number
    }

    fn dh_parameters() -> DhParameters {
        DhParameters::new(&dh_prime(), &be(2, 128)).unwrap()
    }

    fn dh_public() -> DhPublicBlob {
        DhPublicBlob::new(dh_parameters(), &[0x5A; 128]).unwrap()
    }

    fn dh_private() -> DhPrivateBlob {
        DhPrivateBlob::new(dh_public(), secret(128, 0x33)).unwrap()
    }

    fn ecc_public(curve: EccCurve, usage: EccUsage) -> EccPublicBlob {
        let len = curve.key_len();
        let y = if curve == EccCurve::Curve25519 {
            vec![0; len]
        } else {
            vec![0x01; len]
        };
        EccPublicBlob::new(curve, usage, &vec![0x01; len], &y).unwrap()
    }

    fn all_ecc_kinds() -> Vec<(EccCurve, EccUsage)> {
        EccCurve::ALL
            .into_iter()
            .flat_map(|curve| [(curve, EccUsage::Ecdh), (curve, EccUsage::Ecdsa)])
            .collect()
    }

    fn le32(value: u32) -> [u8; 4] {
        value.to_le_bytes()
    }

    fn set_u32(blob: &mut [u8], offset: usize, value: u32) {
        blob[offset..offset + 4].copy_from_slice(&le32(value));
    }

    fn assert_bad_data<T>(result: Result<T>) {
        assert!(matches!(result, Err(Error::BadData(_))), "expected BadData");
    }

    /// Whether one blob parser accepts the bytes.
    type Accepts = fn(&[u8]) -> bool;

    /// Every valid blob of the tests, with the parser that must accept it.
    fn valid_blobs() -> Vec<(Vec<u8>, Accepts)> {
        let mut blobs: Vec<(Vec<u8>, Accepts)> = vec![
            (rsa_public().to_bytes(), |b| RsaPublicBlob::parse(b).is_ok()),
            (rsa_private().to_bytes().expose().to_vec(), |b| {
                RsaPrivateBlob::parse(b).is_ok()
            }),
            (rsa_full_private().to_bytes().expose().to_vec(), |b| {
                RsaFullPrivateBlob::parse(b).is_ok()
            }),
            (dh_parameters().to_bytes(), |b| {
                DhParameters::parse(b).is_ok()
            }),
            (dh_public().to_bytes(), |b| DhPublicBlob::parse(b).is_ok()),
            (dh_private().to_bytes().expose().to_vec(), |b| {
                DhPrivateBlob::parse(b).is_ok()
            }),
        ];
        for (curve, usage) in all_ecc_kinds() {
            let public = ecc_public(curve, usage);
            let private = EccPrivateBlob::new(public.clone(), secret(curve.key_len(), 7)).unwrap();
            blobs.push((public.to_bytes(), |b| EccPublicBlob::parse(b).is_ok()));
            blobs.push((private.to_bytes().expose().to_vec(), |b| {
                EccPrivateBlob::parse(b).is_ok()
            }));
        }
        blobs
    }

    #[test]
    fn magic_values_match_bcrypt_h() {
        assert_eq!(RSA_PUBLIC_MAGIC, 0x3141_5352);
        assert_eq!(RSA_PRIVATE_MAGIC, 0x3241_5352);
        assert_eq!(RSA_FULL_PRIVATE_MAGIC, 0x3341_5352);
        assert_eq!(DH_PUBLIC_MAGIC, 0x4250_4844);
        assert_eq!(DH_PRIVATE_MAGIC, 0x5650_4844);
        assert_eq!(DH_PARAMETERS_MAGIC, 0x4D50_4844);
        use EccCurve::*;
        use EccUsage::*;
        use KeyPart::*;
        let table = [
            (P256, Ecdh, Public, 0x314B_4345),
            (P256, Ecdh, Private, 0x324B_4345),
            (P384, Ecdh, Public, 0x334B_4345),
            (P384, Ecdh, Private, 0x344B_4345),
            (P521, Ecdh, Public, 0x354B_4345),
            (P521, Ecdh, Private, 0x364B_4345),
            (P256, Ecdsa, Public, 0x3153_4345),
            (P256, Ecdsa, Private, 0x3253_4345),
            (P384, Ecdsa, Public, 0x3353_4345),
            (P384, Ecdsa, Private, 0x3453_4345),
            (P521, Ecdsa, Public, 0x3553_4345),
            (P521, Ecdsa, Private, 0x3653_4345),
            (Curve25519, Ecdh, Public, 0x504B_4345),
            (Curve25519, Ecdh, Private, 0x564B_4345),
            (Curve25519, Ecdsa, Public, 0x5044_4345),
            (Curve25519, Ecdsa, Private, 0x5644_4345),
        ];
        for (curve, usage, part, value) in table {
            assert_eq!(
                ecc_magic(curve, usage, part),
                value,
                "{curve:?} {usage:?} {part:?}"
            );
        }
    }

    #[test]
    fn rsa_2048_public_example_of_reference() {
        let header = hex::decode("525341310008000003000000000100000000000000000000").unwrap();
        let mut blob = header.clone();
        blob.extend_from_slice(&[0x01, 0x00, 0x01]);
        blob.extend_from_slice(&modulus_2048());
        assert_eq!(blob.len(), 283);
        let parsed = RsaPublicBlob::parse(&blob).unwrap();
        assert_eq!(parsed.bit_length(), 2048);
        assert_eq!(parsed.exponent(), &[0x01, 0x00, 0x01]);
        assert_eq!(parsed.modulus(), modulus_2048().as_slice());
        assert_eq!(parsed.to_bytes(), blob);
        assert_eq!(rsa_public().to_bytes()[..24], header[..]);
    }

    #[test]
    fn rsa_round_trips() {
        let private = rsa_private();
        let parsed = RsaPrivateBlob::parse(private.to_bytes().expose()).unwrap();
        assert_eq!(parsed.public(), private.public());
        assert_eq!(parsed.prime1().expose(), &[0xA1; 128][..]);
        assert_eq!(parsed.prime2().expose(), &[0xA2; 128][..]);
        assert_eq!(parsed.to_bytes().expose(), private.to_bytes().expose());
        assert_eq!(&private.to_bytes().expose()[..4], b"RSA2");

        let full = rsa_full_private();
        let bytes = full.to_bytes();
        assert_eq!(bytes.len(), 24 + 3 + 256 + 128 * 2 + 128 * 3 + 256);
        assert_eq!(&bytes.expose()[..4], b"RSA3");
        let parsed = RsaFullPrivateBlob::parse(bytes.expose()).unwrap();
        assert_eq!(parsed.exponent1().expose(), &[0xB1; 128][..]);
        assert_eq!(parsed.exponent2().expose(), &[0xB2; 128][..]);
        assert_eq!(parsed.coefficient().expose(), &[0xB3; 128][..]);
        assert_eq!(parsed.private_exponent().expose(), &[0xB4; 256][..]);
        assert_eq!(parsed.to_bytes().expose(), bytes.expose());
    }

    #[test]
    fn rsa_validation() {
        let good = rsa_public().to_bytes();
        // Wrong magic: a private magic in a public blob, and garbage.
        for wrong in [RSA_PRIVATE_MAGIC, RSA_FULL_PRIVATE_MAGIC, 0] {
            let mut blob = good.clone();
            set_u32(&mut blob, 0, wrong);
            assert_bad_data(RsaPublicBlob::parse(&blob));
        }
        assert_bad_data(RsaPrivateBlob::parse(&good));
        assert_bad_data(RsaFullPrivateBlob::parse(rsa_private().to_bytes().expose()));
        // BitLength inconsistent with the modulus.
        for bits in [2047, 2049, 2056, 0] {
            let mut blob = good.clone();
            set_u32(&mut blob, 4, bits);
            assert_bad_data(RsaPublicBlob::parse(&blob));
        }
        // Zero exponent length (the blob shrinks accordingly) and a zero-valued exponent.
        let mut blob = good[..24].to_vec();
        set_u32(&mut blob, 8, 0);
        blob.extend_from_slice(&modulus_2048());
        assert_bad_data(RsaPublicBlob::parse(&blob));
        assert_bad_data(RsaPublicBlob::new(&[0, 0, 0], &modulus_2048()));
        // Exponents longer than 8 bytes (Windows 10 1903 and later reject them).
        assert!(RsaPublicBlob::new(&[0x01; 8], &modulus_2048()).is_ok());
        assert_bad_data(RsaPublicBlob::new(&[0x01; 9], &modulus_2048()));
        let mut blob = good[..24].to_vec();
        set_u32(&mut blob, 8, 9);
        blob.extend_from_slice(&[0x01; 9]);
        blob.extend_from_slice(&modulus_2048());
        assert_bad_data(RsaPublicBlob::parse(&blob));
        // Modulus with a leading zero byte, too small, too large.
        let mut padded = vec![0];
        padded.extend_from_slice(&modulus_2048());
        assert_bad_data(RsaPublicBlob::new(&[3], &padded));
        assert_bad_data(RsaPublicBlob::new(&[3], &[0xFF; 63]));
        assert!(RsaPublicBlob::new(&[3], &[0xFF; 64]).is_ok());
        assert_bad_data(RsaPublicBlob::new(&[3], &[0xFF; 2049]));
        // A public blob must not declare primes.
        let mut blob = good.clone();
        set_u32(&mut blob, 16, 128);
        assert_bad_data(RsaPublicBlob::parse(&blob));
        // Trailing bytes.
        let mut blob = good.clone();
        blob.push(0);
        assert_bad_data(RsaPublicBlob::parse(&blob));
        // Primes: zero length, too wide.
        assert_bad_data(RsaPrivateBlob::new(
            rsa_public(),
            secret(0, 1),
            secret(128, 1),
        ));
        assert_bad_data(RsaPrivateBlob::new(
            rsa_public(),
            secret(128, 1),
            secret(0, 1),
        ));
        assert!(RsaPrivateBlob::new(rsa_public(), secret(128, 1), secret(129, 1)).is_ok());
        assert_bad_data(RsaPrivateBlob::new(
            rsa_public(),
            secret(128, 1),
            secret(130, 1),
        ));
        let mut blob = rsa_private().to_bytes().expose().to_vec();
        set_u32(&mut blob, 16, 0);
        assert_bad_data(RsaPrivateBlob::parse(&blob[..blob.len() - 128]));
        // CRT values of the wrong width.
        let widths = [
            (127, 128, 128, 256),
            (128, 127, 128, 256),
            (128, 128, 129, 256),
            (128, 128, 128, 255),
        ];
        for (e1, e2, c, d) in widths {
            let full = RsaFullPrivateBlob::new(
                rsa_private(),
                secret(e1, 1),
                secret(e2, 1),
                secret(c, 1),
                secret(d, 1),
            );
            assert_bad_data(full);
        }
    }

    #[test]
    fn public_blobs_are_codecs_that_read_one_blob_from_a_stream() {
        let public = ecc_public(EccCurve::P256, EccUsage::Ecdh);
        let mut stream = public.to_vec();
        assert_eq!(stream, public.to_bytes());
        stream.extend_from_slice(&[0xEE; 3]);
        let mut reader = Reader::new(&stream);
        assert_eq!(EccPublicBlob::read(&mut reader).unwrap(), public);
        assert_eq!(reader.rest(), &[0xEE; 3]);
        // Whole-blob parsing refuses the same bytes, and a cut blob, with NTE_BAD_DATA.
        assert_bad_data(EccPublicBlob::parse(&stream));
        assert_bad_data(EccPublicBlob::decode(&stream[..stream.len() - 4]));
        for cut in 0..public.to_bytes().len() {
            assert_bad_data(EccPublicBlob::parse(&stream[..cut]));
        }
    }

    #[test]
    fn ecc_round_trips_for_every_magic() {
        for (curve, usage) in all_ecc_kinds() {
            let public = ecc_public(curve, usage);
            let bytes = public.to_bytes();
            assert_eq!(bytes.len(), 8 + 2 * curve.key_len());
            assert_eq!(bytes[..4], le32(ecc_magic(curve, usage, KeyPart::Public)));
            assert_eq!(bytes[4..8], le32(curve.key_len() as u32));
            let parsed = EccPublicBlob::parse(&bytes).unwrap();
            assert_eq!(parsed, public);
            assert_eq!((parsed.curve(), parsed.usage()), (curve, usage));

            let d = secret(curve.key_len(), 0x42);
            let private = EccPrivateBlob::new(public.clone(), d).unwrap();
            let bytes = private.to_bytes();
            assert_eq!(bytes.len(), 8 + 3 * curve.key_len());
            assert_eq!(
                bytes.expose()[..4],
                le32(ecc_magic(curve, usage, KeyPart::Private))
            );
            let parsed = EccPrivateBlob::parse(bytes.expose()).unwrap();
            assert_eq!(parsed.public(), &public);
            assert_eq!(parsed.d().expose(), vec![0x42; curve.key_len()].as_slice());
            assert_eq!(parsed.to_bytes().expose(), bytes.expose());
        }
    }

    #[test]
    fn ecc_validation() {
        let p256 = ecc_public(EccCurve::P256, EccUsage::Ecdh).to_bytes();
        // A private magic in a public blob and vice versa; RSA and unknown magics.
        let mut blob = p256.clone();
        set_u32(&mut blob, 0, magic(b"ECK2"));
        assert_bad_data(EccPublicBlob::parse(&blob));
        blob.extend_from_slice(&[1; 32]);
        assert!(EccPrivateBlob::parse(&blob).is_ok());
        set_u32(&mut blob, 0, magic(b"ECK1"));
        assert_bad_data(EccPrivateBlob::parse(&blob));
        for wrong in [RSA_PUBLIC_MAGIC, magic(b"ECK7"), magic(b"ECCP"), 0] {
            let mut blob = p256.clone();
            set_u32(&mut blob, 0, wrong);
            assert_bad_data(EccPublicBlob::parse(&blob));
        }
        // cbKey not matching the curve (with the blob length matching the bad cbKey).
        for (magic_tag, key_len) in [(b"ECK1", 48), (b"ECK3", 32), (b"ECS5", 65), (b"ECS5", 0)] {
            let mut blob = le32(magic(magic_tag)).to_vec();
            blob.extend_from_slice(&le32(key_len));
            blob.extend_from_slice(&vec![1; 2 * key_len as usize]);
            assert_bad_data(EccPublicBlob::parse(&blob));
        }
        // Generic magics with a cbKey other than 32.
        for (magic_tag, key_len) in [(b"ECKP", 48), (b"ECDP", 66), (b"ECKP", 0), (b"ECDP", 31)] {
            let mut blob = le32(magic(magic_tag)).to_vec();
            blob.extend_from_slice(&le32(key_len));
            blob.extend_from_slice(&vec![1; 2 * key_len as usize]);
            assert_bad_data(EccPublicBlob::parse(&blob));
        }
        // Curve25519 with a non-zero Y.
        let mut blob = ecc_public(EccCurve::Curve25519, EccUsage::Ecdh).to_bytes();
        blob[8 + 63] = 1;
        assert_bad_data(EccPublicBlob::parse(&blob));
        // Coordinates and d of the wrong width.
        assert_bad_data(EccPublicBlob::new(
            EccCurve::P384,
            EccUsage::Ecdh,
            &[1; 48],
            &[1; 47],
        ));
        assert_bad_data(EccPublicBlob::new(
            EccCurve::P521,
            EccUsage::Ecdh,
            &[1; 64],
            &[1; 64],
        ));
        let public = ecc_public(EccCurve::P256, EccUsage::Ecdsa);
        assert_bad_data(EccPrivateBlob::new(public, secret(31, 1)));
        // Trailing bytes.
        let mut blob = p256.clone();
        blob.push(0);
        assert_bad_data(EccPublicBlob::parse(&blob));
    }

    #[test]
    fn uncompressed_point_conversion() {
        for curve in [EccCurve::P256, EccCurve::P384, EccCurve::P521] {
            let len = curve.key_len();
            let x: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let y: Vec<u8> = (0..len).map(|i| (i as u8) ^ 0x5A).collect();
            let public = EccPublicBlob::new(curve, EccUsage::Ecdh, &x, &y).unwrap();
            let point = public.to_uncompressed_point();
            assert_eq!(point.len(), 1 + 2 * len);
            assert_eq!(point[0], 0x04);
            assert_eq!(&point[1..=len], x.as_slice());
            assert_eq!(&point[1 + len..], y.as_slice());
            let back =
                EccPublicBlob::from_uncompressed_point(curve, EccUsage::Ecdh, &point).unwrap();
            assert_eq!(back, public);
            // Compressed, infinity, truncated, too long.
            let mut compressed = point[..=len].to_vec();
            compressed[0] = 0x02;
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                &compressed,
            ));
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                &[0],
            ));
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                &[],
            ));
            let short = &point[..point.len() - 1];
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                short,
            ));
            let mut long = point.clone();
            long.push(0);
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                &long,
            ));
            let mut wrong_prefix = point.clone();
            wrong_prefix[0] = 0x06;
            assert_bad_data(EccPublicBlob::from_uncompressed_point(
                curve,
                EccUsage::Ecdh,
                &wrong_prefix,
            ));
        }
        // X25519: the 32-byte RFC 7748 value is X, in its own byte order; Y is zero.
        let u: Vec<u8> = (1..=32).collect();
        let public =
            EccPublicBlob::from_uncompressed_point(EccCurve::Curve25519, EccUsage::Ecdh, &u)
                .unwrap();
        assert_eq!(public.x(), u.as_slice());
        assert_eq!(public.y(), &[0; 32]);
        assert_eq!(public.to_uncompressed_point(), u);
        let blob = public.to_bytes();
        assert_eq!(&blob[..8], &[b'E', b'C', b'K', b'P', 32, 0, 0, 0]);
        assert_eq!(&blob[8..40], u.as_slice());
        assert_bad_data(EccPublicBlob::from_uncompressed_point(
            EccCurve::Curve25519,
            EccUsage::Ecdh,
            &u[..31],
        ));
    }

    #[test]
    fn dh_round_trips() {
        let parameters = dh_parameters();
        let bytes = parameters.to_bytes();
        assert_eq!(bytes.len(), 12 + 256);
        assert_eq!(
            bytes[..12],
            [&le32(268)[..], b"DHPM", &le32(128)[..]].concat()[..]
        );
        assert_eq!(DhParameters::parse(&bytes).unwrap(), parameters);

        let public = dh_public();
        let bytes = public.to_bytes();
        assert_eq!(bytes.len(), 8 + 3 * 128);
        assert_eq!(&bytes[..8], &[&b"DHPB"[..], &le32(128)[..]].concat()[..]);
        assert_eq!(DhPublicBlob::parse(&bytes).unwrap(), public);

        let private = dh_private();
        let bytes = private.to_bytes();
        assert_eq!(bytes.len(), 8 + 4 * 128);
        assert_eq!(&bytes.expose()[..4], b"DHPV");
        let parsed = DhPrivateBlob::parse(bytes.expose()).unwrap();
        assert_eq!(parsed.public(), &public);
        assert_eq!(parsed.private().expose(), &[0x33; 128][..]);
        assert_eq!(parsed.public().parameters().prime(), dh_prime().as_slice());
        assert_eq!(
            parsed.public().parameters().generator(),
            be(2, 128).as_slice()
        );
    }

    #[test]
    fn dh_validation() {
        let prime = dh_prime();
        // Widths: out of range, not a multiple of 64 bits, generator narrower than the prime.
        assert_bad_data(DhParameters::new(&[0xFF; 56], &be(2, 56)));
        assert_bad_data(DhParameters::new(&[0xFF; 1032], &be(2, 1032)));
        assert_bad_data(DhParameters::new(&[0xFF; 132], &be(2, 132)));
        assert!(DhParameters::new(&[0xFF; 64], &be(2, 64)).is_ok());
        assert!(DhParameters::new(&[0xFF; 512], &be(2, 512)).is_ok());
        assert_bad_data(DhParameters::new(&prime, &[2]));
        assert_bad_data(DhParameters::new(&prime, &be(2, 127)));
        // Prime with a leading zero byte, even prime.
        let mut padded = prime.clone();
        padded[0] = 0;
        assert_bad_data(DhParameters::new(&padded, &be(2, 128)));
        let mut even = prime.clone();
        even[127] = 0xC4;
        assert_bad_data(DhParameters::new(&even, &be(2, 128)));
        // Generator and public value must lie in [2, p - 2].
        let mut p_minus_one = prime.clone();
        p_minus_one[127] -= 1;
        let mut p_minus_two = prime.clone();
        p_minus_two[127] -= 2;
        for bad in [
            be(0, 128),
            be(1, 128),
            p_minus_one.clone(),
            prime.clone(),
            vec![0xFF; 128],
        ] {
            assert_bad_data(DhParameters::new(&prime, &bad));
            assert_bad_data(DhPublicBlob::new(dh_parameters(), &bad));
        }
        assert!(DhParameters::new(&prime, &p_minus_two).is_ok());
        assert!(DhPublicBlob::new(dh_parameters(), &p_minus_two).is_ok());
        assert_bad_data(DhPublicBlob::new(dh_parameters(), &[0x5A; 127]));
        assert_bad_data(DhPrivateBlob::new(dh_public(), secret(127, 1)));
        // Wrong magics.
        let mut blob = dh_public().to_bytes();
        set_u32(&mut blob, 0, DH_PRIVATE_MAGIC);
        assert_bad_data(DhPublicBlob::parse(&blob));
        assert_bad_data(DhPrivateBlob::parse(&dh_public().to_bytes()));
        let mut blob = dh_parameters().to_bytes();
        set_u32(&mut blob, 4, DH_PUBLIC_MAGIC);
        assert_bad_data(DhParameters::parse(&blob));
        // cbLength not the total length; cbKey of zero.
        for total in [0, 267, 269, 12] {
            let mut blob = dh_parameters().to_bytes();
            set_u32(&mut blob, 0, total);
            assert_bad_data(DhParameters::parse(&blob));
        }
        assert_bad_data(DhPublicBlob::parse(&[&b"DHPB"[..], &le32(0)[..]].concat()));
        assert_bad_data(DhParameters::parse(
            &[&le32(12)[..], b"DHPM", &le32(0)[..]].concat(),
        ));
    }

    #[test]
    fn truncation_and_extension_are_bad_data_never_a_panic() {
        for (blob, parses) in valid_blobs() {
            assert!(parses(&blob));
            for len in 0..blob.len() {
                assert!(
                    !parses(&blob[..len]),
                    "truncated to {len} of {}",
                    blob.len()
                );
            }
            let mut longer = blob.clone();
            longer.push(0);
            assert!(!parses(&longer));
        }
        // The error is BadData specifically, for every parser and length.
        let blob = rsa_full_private().to_bytes();
        for len in 0..blob.len() {
            assert_bad_data(RsaFullPrivateBlob::parse(&blob.expose()[..len]));
            assert_bad_data(RsaPublicBlob::parse(&blob.expose()[..len]));
            assert_bad_data(EccPrivateBlob::parse(&blob.expose()[..len]));
            assert_bad_data(DhParameters::parse(&blob.expose()[..len]));
        }
    }

    #[test]
    fn huge_declared_lengths_are_bad_data() {
        let huge = u32::MAX;
        let rsa = [
            &b"RSA1"[..],
            &le32(2048)[..],
            &le32(huge)[..],
            &le32(huge)[..],
            &[0; 8][..],
        ]
        .concat();
        assert_bad_data(RsaPublicBlob::parse(&rsa));
        let rsa = [
            &b"RSA3"[..],
            &le32(2048)[..],
            &le32(3)[..],
            &le32(256)[..],
            &le32(huge)[..],
            &le32(huge)[..],
        ]
        .concat();
        assert_bad_data(RsaFullPrivateBlob::parse(&rsa));
        assert_bad_data(EccPublicBlob::parse(
            &[&b"ECK1"[..], &le32(huge)[..]].concat(),
        ));
        assert_bad_data(DhPrivateBlob::parse(
            &[&b"DHPV"[..], &le32(huge)[..]].concat(),
        ));
        assert_bad_data(DhParameters::parse(
            &[&le32(huge)[..], b"DHPM", &le32(huge)[..]].concat(),
        ));
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80]), 8);
        assert_eq!(bit_length(&[0x01, 0x00, 0x01]), 17);
    }
}

// ---------------------------------------------------------------------------------------------
// Symmetric key data: BCRYPT_KEY_DATA_BLOB

const KEY_DATA_MAGIC: u32 = magic(b"KDBM");
/// `BCRYPT_KEY_DATA_BLOB_VERSION1`.
const KEY_DATA_VERSION: u32 = 1;
const KEY_DATA_HEADER_LEN: usize = 12;

/// `BCRYPT_KEY_DATA_BLOB`: `BCRYPT_KEY_DATA_BLOB_HEADER { dwMagic = "KDBM", dwVersion = 1,
/// cbKeyData }` followed by the key bytes. keyward uses it for the one explicit raw export of a
/// TLS 1.3 secret or write key (key logs, debugging).
pub struct KeyDataBlob {
    data: SecretVec,
}

impl KeyDataBlob {
    /// Wraps key bytes (1 to 4096 of them, else `BadData`).
    pub fn new(data: &[u8]) -> Result<Self> {
        if data.is_empty() || data.len() > 4096 {
            return Err(Error::BadData("key data length"));
        }
        Ok(KeyDataBlob {
            data: SecretVec::from_slice(data),
        })
    }

    /// Parses and checks a blob: magic, version, exact length.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes);
        if reader.u32_le()? != KEY_DATA_MAGIC || reader.u32_le()? != KEY_DATA_VERSION {
            return Err(Error::BadData("not a BCRYPT_KEY_DATA_BLOB"));
        }
        let len = read_len(&mut reader)?;
        let data = reader.take(len)?;
        reader.finish()?;
        KeyDataBlob::new(data)
    }

    /// The key bytes.
    pub fn data(&self) -> &SecretVec {
        &self.data
    }

    /// The blob bytes.
    pub fn to_bytes(&self) -> SecretVec {
        let mut writer = Writer::with_len(KEY_DATA_HEADER_LEN + self.data.len());
        writer.u32(KEY_DATA_MAGIC);
        writer.u32(KEY_DATA_VERSION);
        writer.len(self.data.len());
        writer.bytes(self.data.expose());
        writer.into_secret()
    }
}

#[cfg(test)]
mod key_data_tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let blob = KeyDataBlob::new(&[7; 32]).unwrap().to_bytes();
        assert_eq!(&blob.expose()[..4], b"KDBM");
        assert_eq!(blob.len(), 44);
        assert_eq!(
            KeyDataBlob::parse(blob.expose()).unwrap().data().expose(),
            &[7; 32]
        );
        for len in 0..blob.len() {
            assert!(KeyDataBlob::parse(&blob.expose()[..len]).is_err());
        }
        let mut bad = blob.expose().to_vec();
        bad[4] = 2;
        assert!(KeyDataBlob::parse(&bad).is_err());
        assert!(KeyDataBlob::new(&[]).is_err());
    }
}

//! The only place keyward calls AWS-LC through `aws-lc-sys` (unsafe FFI).
//!
//! Used for what the safe `aws-lc-rs` API lacks: MD5 (TLS ≤ 1.1 handshake hash), the TLS PRF with
//! MD5‖SHA-1, raw (unpadded) RSA decryption for the constant-time premaster check, RSA signing
//! with any PKCS#1 hash and without DigestInfo, RSA public keys from 1024 bits, ECDSA over a
//! digest of any length, and finite-field Diffie-Hellman.
//!
//! Every function here is safe to call: pointers are owned by small RAII types that free them on
//! drop, lengths are checked before any pointer is handed to C, and failures come back as `false`
//! or `None` (the AWS-LC error queue is cleared so it never accumulates).
//!
//! Thread safety: AWS-LC documents `RSA`, `EC_KEY` and `DH` objects as safe to use from several
//! threads at once through non-mutating functions (rsa.h "Encryption / Decryption" and "Signing /
//! Verification", dh.h `DH_compute_key_padded`, ECDSA functions taking `const EC_KEY *`). The
//! handles below are only mutated while being built, before they are shared, which is why they
//! are `Send + Sync`.

#![allow(unsafe_code)]

use aws_lc_sys as ffi;
use core::ffi::{c_char, c_int, c_uint};
use core::ptr::{self, NonNull};
use zeroize::Zeroize;

/// Drops whatever AWS-LC queued on this thread's error stack after a failed call.
fn clear_errors() {
    // SAFETY: ERR_clear_error only touches the calling thread's error queue.
    unsafe { ffi::ERR_clear_error() }
}

/// Maps an AWS-LC "1 on success" return value to a bool, clearing the error queue on failure.
fn ok(ret: c_int) -> bool {
    if ret == 1 {
        true
    } else {
        clear_errors();
        false
    }
}

// ---------------------------------------------------------------------------------------------
// BIGNUM
// ---------------------------------------------------------------------------------------------

/// An owned `BIGNUM`, wiped and freed on drop (`BN_clear_free`).
struct OwnedBn(NonNull<ffi::BIGNUM>);

impl OwnedBn {
    /// Parses a big-endian unsigned integer (leading zeros allowed).
    fn from_be(bytes: &[u8]) -> Option<Self> {
        // SAFETY: `bytes` is a valid slice of `bytes.len()` readable bytes; a NULL `ret` asks
        // BN_bin2bn to allocate a new BIGNUM, which we own from here on.
        let bn = unsafe { ffi::BN_bin2bn(bytes.as_ptr(), bytes.len(), ptr::null_mut()) };
        let bn = NonNull::new(bn);
        if bn.is_none() {
            clear_errors();
        }
        bn.map(OwnedBn)
    }

    fn as_ptr(&self) -> *const ffi::BIGNUM {
        self.0.as_ptr()
    }

    /// Gives up ownership (for `*_set0_*` functions that take it over).
    fn into_raw(self) -> *mut ffi::BIGNUM {
        let raw = self.0.as_ptr();
        core::mem::forget(self);
        raw
    }
}

impl Drop for OwnedBn {
    fn drop(&mut self) {
        // SAFETY: we own the BIGNUM and nobody else frees it.
        unsafe { ffi::BN_clear_free(self.0.as_ptr()) }
    }
}

/// Writes `bn` big-endian, left-padded to exactly `out.len()` bytes (constant-time in AWS-LC).
///
/// # Safety
/// `bn` must be NULL or point to a valid `BIGNUM` that stays alive for the call.
unsafe fn bn_to_padded(bn: *const ffi::BIGNUM, out: &mut [u8]) -> bool {
    if bn.is_null() {
        return false;
    }
    // SAFETY: `out` is writable for `out.len()` bytes; `bn` is valid per the caller's contract.
    ok(unsafe { ffi::BN_bn2bin_padded(out.as_mut_ptr(), out.len(), bn) })
}

/// The minimal big-endian encoding of `bn` (empty for zero).
///
/// # Safety
/// `bn` must point to a valid `BIGNUM` that stays alive for the call.
unsafe fn bn_to_vec(bn: *const ffi::BIGNUM) -> Vec<u8> {
    // SAFETY: `bn` is valid per the caller's contract.
    let len = unsafe { ffi::BN_num_bytes(bn) } as usize;
    let mut out = vec![0u8; len];
    // SAFETY: as above; `out` has exactly BN_num_bytes bytes.
    if !unsafe { bn_to_padded(bn, &mut out) } {
        out.clear();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// MD5
// ---------------------------------------------------------------------------------------------

/// A running MD5 computation (the plain `MD5_CTX` struct: cloning duplicates the state).
#[derive(Clone)]
pub(crate) struct Md5State(ffi::MD5_CTX);

impl Md5State {
    /// A fresh MD5 state.
    pub(crate) fn new() -> Self {
        let mut ctx = ffi::MD5_CTX {
            h: [0; 4],
            Nl: 0,
            Nh: 0,
            data: [0; 64],
            num: 0,
        };
        // SAFETY: `ctx` is a valid, writable MD5_CTX; MD5_Init cannot fail.
        unsafe { ffi::MD5_Init(&mut ctx) };
        Md5State(ctx)
    }

    /// Absorbs `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        // SAFETY: `self.0` was initialised by MD5_Init; `data` is readable for its length.
        unsafe { ffi::MD5_Update(&mut self.0, data.as_ptr().cast(), data.len()) };
    }

    /// The 16-byte digest.
    pub(crate) fn finish(mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: `out` has the 16 bytes MD5_Final writes; `self.0` is an initialised state.
        unsafe { ffi::MD5_Final(out.as_mut_ptr(), &mut self.0) };
        out
    }
}

impl Drop for Md5State {
    fn drop(&mut self) {
        // The state may have absorbed secrets (SSL 3.0 master-secret formula).
        self.0.h.zeroize();
        self.0.data.zeroize();
    }
}

// ---------------------------------------------------------------------------------------------
// TLS PRF
// ---------------------------------------------------------------------------------------------

/// The hash of a TLS PRF computed by `CRYPTO_tls1_prf`.
#[derive(Clone, Copy)]
pub(crate) enum PrfDigest {
    /// P_MD5 xor P_SHA1 (TLS 1.0/1.1).
    Md5Sha1,
    /// P_SHA256.
    Sha256,
    /// P_SHA384.
    Sha384,
    /// P_SHA512.
    Sha512,
}

/// TLS PRF (RFC 2246 §5 / RFC 5246 §5) of `secret` over `label ‖ seed1 ‖ seed2` into `out`.
pub(crate) fn tls1_prf(
    digest: PrfDigest,
    out: &mut [u8],
    secret: &[u8],
    label: &[u8],
    seed1: &[u8],
    seed2: &[u8],
) -> bool {
    // SAFETY: the EVP_* functions return pointers to static method tables.
    let md = unsafe {
        match digest {
            PrfDigest::Md5Sha1 => ffi::EVP_md5_sha1(),
            PrfDigest::Sha256 => ffi::EVP_sha256(),
            PrfDigest::Sha384 => ffi::EVP_sha384(),
            PrfDigest::Sha512 => ffi::EVP_sha512(),
        }
    };
    // SAFETY: every pointer comes from a live slice and is passed with that slice's length;
    // `out` is writable for `out.len()` bytes; `md` is a static EVP_MD.
    ok(unsafe {
        ffi::CRYPTO_tls1_prf(
            md,
            out.as_mut_ptr(),
            out.len(),
            secret.as_ptr(),
            secret.len(),
            label.as_ptr().cast::<c_char>(),
            label.len(),
            seed1.as_ptr(),
            seed1.len(),
            seed2.as_ptr(),
            seed2.len(),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Message digests by NID / EVP_MD (for RSA and ECDSA)
// ---------------------------------------------------------------------------------------------

/// A hash usable inside RSA signatures, named the way AWS-LC needs it.
#[derive(Clone, Copy)]
pub(crate) enum SigHash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SigHash {
    fn nid(self) -> c_int {
        match self {
            SigHash::Sha1 => ffi::NID_sha1,
            SigHash::Sha256 => ffi::NID_sha256,
            SigHash::Sha384 => ffi::NID_sha384,
            SigHash::Sha512 => ffi::NID_sha512,
        }
    }

    fn md(self) -> *const ffi::EVP_MD {
        // SAFETY: the EVP_* functions return pointers to static method tables.
        unsafe {
            match self {
                SigHash::Sha1 => ffi::EVP_sha1(),
                SigHash::Sha256 => ffi::EVP_sha256(),
                SigHash::Sha384 => ffi::EVP_sha384(),
                SigHash::Sha512 => ffi::EVP_sha512(),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RSA
// ---------------------------------------------------------------------------------------------

/// An owned AWS-LC `RSA` key (public or private), freed on drop.
pub(crate) struct RsaHandle(NonNull<ffi::RSA>);

// SAFETY: the handle is never mutated after construction, and AWS-LC documents the
// encryption/decryption and signing/verification functions used here as non-mutating and safe
// to call concurrently (rsa.h); the blinding cache they touch is internally locked.
unsafe impl Send for RsaHandle {}
// SAFETY: see `Send` above.
unsafe impl Sync for RsaHandle {}

impl Drop for RsaHandle {
    fn drop(&mut self) {
        // SAFETY: we own one reference to the RSA object.
        unsafe { ffi::RSA_free(self.0.as_ptr()) }
    }
}

impl RsaHandle {
    /// A public key from big-endian modulus and exponent.
    pub(crate) fn from_public(n: &[u8], e: &[u8]) -> Option<Self> {
        let n = OwnedBn::from_be(n)?;
        let e = OwnedBn::from_be(e)?;
        // SAFETY: `n` and `e` are valid BIGNUMs; RSA_new_public_key copies them.
        let rsa = unsafe { ffi::RSA_new_public_key(n.as_ptr(), e.as_ptr()) };
        let rsa = NonNull::new(rsa);
        if rsa.is_none() {
            clear_errors();
        }
        rsa.map(RsaHandle)
    }

    fn ptr(&self) -> *mut ffi::RSA {
        self.0.as_ptr()
    }

    /// Modulus length in bytes.
    pub(crate) fn size(&self) -> usize {
        // SAFETY: the handle holds a valid RSA object.
        unsafe { ffi::RSA_size(self.ptr()) as usize }
    }

    /// Modulus length in bits.
    pub(crate) fn bits(&self) -> usize {
        // SAFETY: the handle holds a valid RSA object.
        unsafe { ffi::RSA_bits(self.ptr()) as usize }
    }

    /// The modulus, big-endian, minimal length.
    pub(crate) fn modulus(&self) -> Vec<u8> {
        // SAFETY: RSA_get0_n returns a pointer owned by the (live) key, or NULL.
        let n = unsafe { ffi::RSA_get0_n(self.ptr()) };
        if n.is_null() {
            return Vec::new();
        }
        // SAFETY: `n` is non-NULL and owned by the live key.
        unsafe { bn_to_vec(n) }
    }

    /// The public exponent, big-endian, minimal length.
    pub(crate) fn exponent(&self) -> Vec<u8> {
        // SAFETY: RSA_get0_e returns a pointer owned by the (live) key, or NULL.
        let e = unsafe { ffi::RSA_get0_e(self.ptr()) };
        if e.is_null() {
            return Vec::new();
        }
        // SAFETY: `e` is non-NULL and owned by the live key.
        unsafe { bn_to_vec(e) }
    }

    /// Raw RSA decryption (`RSA_NO_PADDING`, blinded). `input` and `out` must both be exactly
    /// the modulus length; fails (false) if `input` ≥ n.
    pub(crate) fn raw_decrypt(&self, input: &[u8], out: &mut [u8]) -> bool {
        let size = self.size();
        if input.len() != size || out.len() != size {
            return false;
        }
        let mut written = 0usize;
        // SAFETY: `out` is writable for `out.len()` bytes and `input` readable for its length;
        // `written` is a valid out-pointer; the key is valid.
        let ret = unsafe {
            ffi::RSA_decrypt(
                self.ptr(),
                &mut written,
                out.as_mut_ptr(),
                out.len(),
                input.as_ptr(),
                input.len(),
                ffi::RSA_NO_PADDING,
            )
        };
        ok(ret) && written == size
    }

    /// Private-key operation on `data` with PKCS#1 type-1 padding and no DigestInfo.
    pub(crate) fn sign_raw_pkcs1(&self, data: &[u8], out: &mut [u8]) -> bool {
        let mut written = 0usize;
        // SAFETY: as for `raw_decrypt`.
        let ret = unsafe {
            ffi::RSA_sign_raw(
                self.ptr(),
                &mut written,
                out.as_mut_ptr(),
                out.len(),
                data.as_ptr(),
                data.len(),
                ffi::RSA_PKCS1_PADDING,
            )
        };
        ok(ret) && written == out.len()
    }

    /// RSASSA-PKCS1-v1_5 signature over a precomputed digest (DigestInfo added by AWS-LC).
    pub(crate) fn sign_pkcs1(&self, hash: SigHash, digest: &[u8], out: &mut [u8]) -> bool {
        if out.len() != self.size() {
            return false;
        }
        let mut written: c_uint = 0;
        // SAFETY: `out` holds RSA_size bytes, the most RSA_sign writes; other pointers come
        // from live slices with their lengths.
        let ret = unsafe {
            ffi::RSA_sign(
                hash.nid(),
                digest.as_ptr(),
                digest.len(),
                out.as_mut_ptr(),
                &mut written,
                self.ptr(),
            )
        };
        ok(ret) && written as usize == out.len()
    }

    /// RSASSA-PSS signature over a precomputed digest; MGF1 with the same hash, salt = hash length.
    pub(crate) fn sign_pss(&self, hash: SigHash, digest: &[u8], out: &mut [u8]) -> bool {
        let mut written = 0usize;
        // SAFETY: as for `raw_decrypt`; `hash.md()` is a static EVP_MD; -1 means salt = hash len.
        let ret = unsafe {
            ffi::RSA_sign_pss_mgf1(
                self.ptr(),
                &mut written,
                out.as_mut_ptr(),
                out.len(),
                digest.as_ptr(),
                digest.len(),
                hash.md(),
                hash.md(),
                ffi::RSA_PSS_SALTLEN_DIGEST,
            )
        };
        ok(ret) && written == out.len()
    }

    /// RSAES-PKCS1-v1_5 encryption (random type-2 padding); `out` must be the modulus length.
    pub(crate) fn encrypt_pkcs1(&self, plaintext: &[u8], out: &mut [u8]) -> bool {
        let mut written = 0usize;
        // SAFETY: as for `raw_decrypt`.
        let ret = unsafe {
            ffi::RSA_encrypt(
                self.ptr(),
                &mut written,
                out.as_mut_ptr(),
                out.len(),
                plaintext.as_ptr(),
                plaintext.len(),
                ffi::RSA_PKCS1_PADDING,
            )
        };
        ok(ret) && written == out.len()
    }

    /// Verifies an RSASSA-PKCS1-v1_5 signature over a digest (with DigestInfo).
    pub(crate) fn verify_pkcs1(&self, hash: SigHash, digest: &[u8], sig: &[u8]) -> bool {
        // SAFETY: all pointers come from live slices with their lengths; the key is valid.
        ok(unsafe {
            ffi::RSA_verify(
                hash.nid(),
                digest.as_ptr(),
                digest.len(),
                sig.as_ptr(),
                sig.len(),
                self.ptr(),
            )
        })
    }

    /// Verifies a PKCS#1 type-1 signature whose payload is `data` itself (no DigestInfo).
    pub(crate) fn verify_raw_pkcs1(&self, data: &[u8], sig: &[u8]) -> bool {
        let mut recovered = vec![0u8; self.size()];
        let mut written = 0usize;
        // SAFETY: `recovered` is writable for its length (the modulus size, the most
        // RSA_verify_raw writes); `sig` readable for its length.
        let ret = unsafe {
            ffi::RSA_verify_raw(
                self.ptr(),
                &mut written,
                recovered.as_mut_ptr(),
                recovered.len(),
                sig.as_ptr(),
                sig.len(),
                ffi::RSA_PKCS1_PADDING,
            )
        };
        ok(ret) && recovered.get(..written) == Some(data)
    }

    /// Verifies an RSASSA-PSS signature (MGF1 with the same hash, salt = hash length).
    pub(crate) fn verify_pss(&self, hash: SigHash, digest: &[u8], sig: &[u8]) -> bool {
        // SAFETY: all pointers come from live slices with their lengths; the key is valid.
        ok(unsafe {
            ffi::RSA_verify_pss_mgf1(
                self.ptr(),
                digest.as_ptr(),
                digest.len(),
                hash.md(),
                hash.md(),
                ffi::RSA_PSS_SALTLEN_DIGEST,
                sig.as_ptr(),
                sig.len(),
            )
        })
    }
}

// ---------------------------------------------------------------------------------------------
// EC keys (ECDSA)
// ---------------------------------------------------------------------------------------------

/// The NIST curves ECDSA is done on here, by AWS-LC NID.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EcCurve {
    /// secp256r1.
    P256,
    /// secp384r1.
    P384,
    /// secp521r1.
    P521,
}

impl EcCurve {
    fn nid(self) -> c_int {
        match self {
            EcCurve::P256 => ffi::NID_X9_62_prime256v1,
            EcCurve::P384 => ffi::NID_secp384r1,
            EcCurve::P521 => ffi::NID_secp521r1,
        }
    }

    fn from_nid(nid: c_int) -> Option<Self> {
        match nid {
            ffi::NID_X9_62_prime256v1 => Some(EcCurve::P256),
            ffi::NID_secp384r1 => Some(EcCurve::P384),
            ffi::NID_secp521r1 => Some(EcCurve::P521),
            _ => None,
        }
    }
}

/// An owned AWS-LC `EC_KEY`, freed on drop.
pub(crate) struct EcKeyHandle(NonNull<ffi::EC_KEY>);

// SAFETY: never mutated after construction; ECDSA_do_sign/ECDSA_do_verify and the getters take
// `const EC_KEY *` and are non-mutating per AWS-LC's thread-safety rules (ec_key.h).
unsafe impl Send for EcKeyHandle {}
// SAFETY: see `Send` above.
unsafe impl Sync for EcKeyHandle {}

impl Drop for EcKeyHandle {
    fn drop(&mut self) {
        // SAFETY: we own one reference to the EC_KEY.
        unsafe { ffi::EC_KEY_free(self.0.as_ptr()) }
    }
}

/// An owned `EC_POINT`, freed on drop.
struct OwnedPoint(NonNull<ffi::EC_POINT>);

impl Drop for OwnedPoint {
    fn drop(&mut self) {
        // SAFETY: we own the point.
        unsafe { ffi::EC_POINT_free(self.0.as_ptr()) }
    }
}

/// An owned `ECDSA_SIG`, freed on drop.
struct OwnedEcdsaSig(NonNull<ffi::ECDSA_SIG>);

impl Drop for OwnedEcdsaSig {
    fn drop(&mut self) {
        // SAFETY: we own the signature object.
        unsafe { ffi::ECDSA_SIG_free(self.0.as_ptr()) }
    }
}

impl EcKeyHandle {
    fn ptr(&self) -> *const ffi::EC_KEY {
        self.0.as_ptr()
    }

    /// A public key from an uncompressed SEC1 point; the point is checked to be on the curve.
    pub(crate) fn from_public_point(curve: EcCurve, point: &[u8]) -> Option<Self> {
        // SAFETY: returns a new EC_KEY (owned by the handle below) or NULL.
        let key = NonNull::new(unsafe { ffi::EC_KEY_new_by_curve_name(curve.nid()) });
        let Some(key) = key else {
            clear_errors();
            return None;
        };
        let key = EcKeyHandle(key);
        // SAFETY: the key is valid; its group pointer is owned by the key (static in AWS-LC).
        let group = unsafe { ffi::EC_KEY_get0_group(key.ptr()) };
        if group.is_null() {
            return None;
        }
        // SAFETY: `group` is valid; the new point is owned by `OwnedPoint`.
        let point_obj = NonNull::new(unsafe { ffi::EC_POINT_new(group) }).map(OwnedPoint)?;
        // SAFETY: `point` is readable for its length; a NULL BN_CTX is allowed.
        let parsed = ok(unsafe {
            ffi::EC_POINT_oct2point(
                group,
                point_obj.0.as_ptr(),
                point.as_ptr(),
                point.len(),
                ptr::null_mut(),
            )
        });
        if !parsed {
            return None;
        }
        // SAFETY: the key is exclusively ours (not shared yet); EC_KEY_set_public_key copies
        // the point and rejects the point at infinity.
        let set = unsafe { ffi::EC_KEY_set_public_key(key.0.as_ptr(), point_obj.0.as_ptr()) };
        ok(set).then_some(key)
    }

    /// The key's curve, if it is one of the supported NIST curves.
    pub(crate) fn curve(&self) -> Option<EcCurve> {
        // SAFETY: the key and its group are valid.
        let nid = unsafe { ffi::EC_GROUP_get_curve_name(ffi::EC_KEY_get0_group(self.ptr())) };
        EcCurve::from_nid(nid)
    }

    /// Writes the public key as an uncompressed SEC1 point; `out` must be exactly its length.
    pub(crate) fn public_point(&self, out: &mut [u8]) -> bool {
        // SAFETY: the key is valid; both getters return pointers owned by the key (or NULL).
        let (group, point) = unsafe {
            (
                ffi::EC_KEY_get0_group(self.ptr()),
                ffi::EC_KEY_get0_public_key(self.ptr()),
            )
        };
        if group.is_null() || point.is_null() {
            return false;
        }
        // SAFETY: `out` is writable for its length; a NULL BN_CTX is allowed.
        let written = unsafe {
            ffi::EC_POINT_point2oct(
                group,
                point,
                ffi::point_conversion_form_t::POINT_CONVERSION_UNCOMPRESSED,
                out.as_mut_ptr(),
                out.len(),
                ptr::null_mut(),
            )
        };
        if written != out.len() {
            clear_errors();
            return false;
        }
        true
    }

    /// ECDSA signature of `digest`, written as fixed-width `r ‖ s` into `out` (two halves).
    pub(crate) fn sign_digest(&self, digest: &[u8], out: &mut [u8]) -> bool {
        // SAFETY: `digest` is readable for its length; the key holds a private scalar (checked
        // by the constructor); the returned signature is owned by `OwnedEcdsaSig`.
        let sig =
            NonNull::new(unsafe { ffi::ECDSA_do_sign(digest.as_ptr(), digest.len(), self.ptr()) });
        let Some(sig) = sig.map(OwnedEcdsaSig) else {
            clear_errors();
            return false;
        };
        let mut r: *const ffi::BIGNUM = ptr::null();
        let mut s: *const ffi::BIGNUM = ptr::null();
        // SAFETY: `sig` is valid; r and s are valid out-pointers and point into `sig` after.
        unsafe { ffi::ECDSA_SIG_get0(sig.0.as_ptr(), &mut r, &mut s) };
        let half = out.len() / 2;
        let (r_out, s_out) = out.split_at_mut(half);
        // SAFETY: r and s are NULL or owned by `sig`, which lives until the end of this scope.
        unsafe { bn_to_padded(r, r_out) && bn_to_padded(s, s_out) }
    }

    /// Verifies a fixed-width `r ‖ s` ECDSA signature over `digest`.
    pub(crate) fn verify_digest(&self, digest: &[u8], r_s: &[u8]) -> bool {
        let (r, s) = r_s.split_at(r_s.len() / 2);
        let (Some(r), Some(s)) = (OwnedBn::from_be(r), OwnedBn::from_be(s)) else {
            return false;
        };
        // SAFETY: returns a new ECDSA_SIG (owned below) or NULL.
        let Some(sig) = NonNull::new(unsafe { ffi::ECDSA_SIG_new() }).map(OwnedEcdsaSig) else {
            clear_errors();
            return false;
        };
        let r_raw = r.into_raw();
        let s_raw = s.into_raw();
        // SAFETY: on success ECDSA_SIG_set0 takes ownership of r and s; on failure they stay ours.
        if !ok(unsafe { ffi::ECDSA_SIG_set0(sig.0.as_ptr(), r_raw, s_raw) }) {
            // SAFETY: ownership was not transferred; free them here.
            unsafe {
                ffi::BN_free(r_raw);
                ffi::BN_free(s_raw);
            }
            return false;
        }
        // SAFETY: all pointers are valid for the call; `digest` readable for its length.
        ok(unsafe {
            ffi::ECDSA_do_verify(digest.as_ptr(), digest.len(), sig.0.as_ptr(), self.ptr())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PKCS#8
// ---------------------------------------------------------------------------------------------

/// A private key parsed from PKCS#8 by AWS-LC.
pub(crate) enum ParsedPrivateKey {
    /// An RSA key (checked with `RSA_check_key`).
    Rsa(RsaHandle),
    /// An EC key on a supported NIST curve.
    Ec(EcKeyHandle),
    /// Some other key type (or an EC key on another curve).
    Unsupported,
}

/// An owned `EVP_PKEY`, freed on drop.
struct OwnedPkey(NonNull<ffi::EVP_PKEY>);

impl Drop for OwnedPkey {
    fn drop(&mut self) {
        // SAFETY: we own one reference to the EVP_PKEY.
        unsafe { ffi::EVP_PKEY_free(self.0.as_ptr()) }
    }
}

/// Parses an unencrypted PKCS#8 `PrivateKeyInfo` (DER, no trailing bytes). `None` if malformed.
pub(crate) fn parse_pkcs8(der: &[u8]) -> Option<ParsedPrivateKey> {
    let mut cbs = ffi::CBS {
        data: ptr::null(),
        len: 0,
    };
    // SAFETY: `cbs` is a valid CBS; it borrows `der`, which outlives every use of `cbs` below.
    unsafe { ffi::CBS_init(&mut cbs, der.as_ptr(), der.len()) };
    // SAFETY: `cbs` is initialised; the returned key (if any) is owned by `OwnedPkey`.
    let pkey = NonNull::new(unsafe { ffi::EVP_parse_private_key(&mut cbs) }).map(OwnedPkey);
    let Some(pkey) = pkey else {
        clear_errors();
        return None;
    };
    if cbs.len != 0 {
        return None;
    }
    // SAFETY: `pkey` is valid for all calls below; get1 functions return new references that
    // the handles take ownership of.
    unsafe {
        match ffi::EVP_PKEY_id(pkey.0.as_ptr()) {
            ffi::EVP_PKEY_RSA => {
                let rsa = NonNull::new(ffi::EVP_PKEY_get1_RSA(pkey.0.as_ptr())).map(RsaHandle)?;
                if !ok(ffi::RSA_check_key(rsa.ptr())) {
                    return None;
                }
                Some(ParsedPrivateKey::Rsa(rsa))
            }
            ffi::EVP_PKEY_EC => {
                let ec =
                    NonNull::new(ffi::EVP_PKEY_get1_EC_KEY(pkey.0.as_ptr())).map(EcKeyHandle)?;
                if ec.curve().is_none() || ffi::EC_KEY_get0_private_key(ec.ptr()).is_null() {
                    return Some(ParsedPrivateKey::Unsupported);
                }
                Some(ParsedPrivateKey::Ec(ec))
            }
            _ => Some(ParsedPrivateKey::Unsupported),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Finite-field Diffie-Hellman
// ---------------------------------------------------------------------------------------------

/// An owned AWS-LC `DH` object holding group (p, g = 2) and a key pair, freed on drop.
pub(crate) struct DhHandle(NonNull<ffi::DH>);

// SAFETY: the object is only mutated while being built (in `generate`/`from_private`, before
// the handle is returned); afterwards only `DH_compute_key_padded` (documented in dh.h as
// non-mutating and safe to use concurrently: its Montgomery context is set under a lock) and
// const getters are called.
unsafe impl Send for DhHandle {}
// SAFETY: see `Send` above.
unsafe impl Sync for DhHandle {}

impl Drop for DhHandle {
    fn drop(&mut self) {
        // SAFETY: we own the DH object (DH_free wipes and frees the private key).
        unsafe { ffi::DH_free(self.0.as_ptr()) }
    }
}

impl DhHandle {
    /// A DH object with prime `p`, generator 2 and no key yet.
    fn with_group(p: &[u8]) -> Option<Self> {
        let p = OwnedBn::from_be(p)?;
        let g = OwnedBn::from_be(&[2])?;
        // SAFETY: returns a new DH (owned by the handle) or NULL.
        let dh = NonNull::new(unsafe { ffi::DH_new() }).map(DhHandle)?;
        let (p_raw, g_raw) = (p.into_raw(), g.into_raw());
        // SAFETY: `dh` is exclusively ours; DH_set0_pqg takes ownership of p and g on success
        // (q = NULL is allowed).
        if !ok(unsafe { ffi::DH_set0_pqg(dh.0.as_ptr(), p_raw, ptr::null_mut(), g_raw) }) {
            // SAFETY: ownership was not transferred; free them here.
            unsafe {
                ffi::BN_free(p_raw);
                ffi::BN_free(g_raw);
            }
            return None;
        }
        Some(dh)
    }

    /// A fresh key pair in group (p, 2) with a private exponent of at most `exponent_bits` bits.
    pub(crate) fn generate(p: &[u8], exponent_bits: u32) -> Option<Self> {
        let dh = Self::with_group(p)?;
        // SAFETY: `dh` is exclusively ours and fully set up with p and g.
        let generated = unsafe {
            ok(ffi::DH_set_length(dh.0.as_ptr(), exponent_bits))
                && ok(ffi::DH_generate_key(dh.0.as_ptr()))
        };
        generated.then_some(dh)
    }

    /// A key pair in group (p, 2) from a given private exponent (the public value is computed).
    pub(crate) fn from_private(p: &[u8], x: &[u8]) -> Option<Self> {
        let dh = Self::with_group(p)?;
        let x = OwnedBn::from_be(x)?;
        let x_raw = x.into_raw();
        // SAFETY: `dh` is exclusively ours; DH_set0_key takes ownership of x on success.
        if !ok(unsafe { ffi::DH_set0_key(dh.0.as_ptr(), ptr::null_mut(), x_raw) }) {
            // SAFETY: ownership was not transferred.
            unsafe { ffi::BN_clear_free(x_raw) };
            return None;
        }
        // SAFETY: with a private key present DH_generate_key only computes g^x mod p.
        ok(unsafe { ffi::DH_generate_key(dh.0.as_ptr()) }).then_some(dh)
    }

    /// Writes the public value left-padded to `out.len()` bytes.
    pub(crate) fn public_key(&self, out: &mut [u8]) -> bool {
        // SAFETY: the getter returns a pointer owned by the live DH object, or NULL.
        unsafe { bn_to_padded(ffi::DH_get0_pub_key(self.0.as_ptr()), out) }
    }

    /// Writes the private exponent left-padded to `out.len()` bytes.
    pub(crate) fn private_key(&self, out: &mut [u8]) -> bool {
        // SAFETY: the getter returns a pointer owned by the live DH object, or NULL.
        unsafe { bn_to_padded(ffi::DH_get0_priv_key(self.0.as_ptr()), out) }
    }

    /// `peer^x mod p`, left-padded to `out.len()` (which must be the prime length). AWS-LC also
    /// rejects peer values outside 1 < Y < p−1 and a shared value of 1 or p−1.
    pub(crate) fn compute_key_padded(&self, peer: &[u8], out: &mut [u8]) -> bool {
        let Some(peer) = OwnedBn::from_be(peer) else {
            return false;
        };
        // SAFETY: the DH object is valid and fully built.
        let size = unsafe { ffi::DH_size(self.0.as_ptr()) };
        if usize::try_from(size).ok() != Some(out.len()) {
            return false;
        }
        // SAFETY: `out` has DH_size bytes, the amount DH_compute_key_padded writes; the call is
        // documented as non-mutating (safe to share).
        let written =
            unsafe { ffi::DH_compute_key_padded(out.as_mut_ptr(), peer.as_ptr(), self.0.as_ptr()) };
        if written != size {
            clear_errors();
            return false;
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// TLS CBC MAC-then-encrypt AEADs (BoringSSL's constant-time record code, `e_tls.c`)
// ---------------------------------------------------------------------------------------------

/// Which of AWS-LC's `EVP_aead_aes_*_cbc_*_tls` AEADs (explicit-IV forms: the IV is the nonce).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsCbcAlgorithm {
    Aes128Sha1,
    Aes256Sha1,
    Aes128Sha256,
    Aes256Sha384,
}

impl TlsCbcAlgorithm {
    fn aead(self) -> *const ffi::EVP_AEAD {
        // SAFETY: these functions only return a pointer to a static, immutable EVP_AEAD.
        unsafe {
            match self {
                TlsCbcAlgorithm::Aes128Sha1 => ffi::EVP_aead_aes_128_cbc_sha1_tls(),
                TlsCbcAlgorithm::Aes256Sha1 => ffi::EVP_aead_aes_256_cbc_sha1_tls(),
                TlsCbcAlgorithm::Aes128Sha256 => ffi::EVP_aead_aes_128_cbc_sha256_tls(),
                TlsCbcAlgorithm::Aes256Sha384 => ffi::EVP_aead_aes_256_cbc_sha384_tls(),
            }
        }
    }
}

/// The length of the TLS CBC AEADs' additional data: seq ‖ type ‖ version (the AEAD adds the
/// length field itself).
pub(crate) const TLS_CBC_AD_LEN: usize = 11;
/// The nonce of the explicit-IV TLS CBC AEADs: the record's CBC IV.
pub(crate) const TLS_CBC_NONCE_LEN: usize = 16;

/// One direction of a TLS CBC AEAD (`EVP_AEAD_CTX_init_with_direction`), cleaned up on drop.
///
/// The context holds a cipher and an HMAC context that AWS-LC updates during every seal and
/// open (despite the `const` in the C signatures), so the methods take `&mut self`: callers
/// share it behind a lock.
pub(crate) struct TlsCbcContext(Box<ffi::EVP_AEAD_CTX>);

// SAFETY: the context owns its state (heap data referenced only from inside it); moving it to
// another thread is fine, and `&mut self` on every use keeps access exclusive.
unsafe impl Send for TlsCbcContext {}
// SAFETY: no method takes `&self` into AWS-LC, so shared references give no access at all.
unsafe impl Sync for TlsCbcContext {}

impl TlsCbcContext {
    /// Initialises a sealing (`seal == true`) or opening context from `key` = MAC key ‖
    /// encryption key (the AEAD's layout); `None` if AWS-LC refuses the key (wrong length).
    pub(crate) fn new(algorithm: TlsCbcAlgorithm, key: &[u8], seal: bool) -> Option<Self> {
        // SAFETY: EVP_AEAD_CTX is plain data; an all-zero value is what EVP_AEAD_CTX_zero
        // writes, and is the state that cleanup and init expect.
        let mut ctx: Box<ffi::EVP_AEAD_CTX> = Box::new(unsafe { core::mem::zeroed() });
        // SAFETY: `ctx` points to a live, writable EVP_AEAD_CTX.
        unsafe { ffi::EVP_AEAD_CTX_zero(&mut *ctx) };
        let direction = if seal {
            ffi::evp_aead_direction_t_evp_aead_seal
        } else {
            ffi::evp_aead_direction_t_evp_aead_open
        };
        // SAFETY: `key` is readable for `key.len()` bytes; tag length 0 asks for the default;
        // the AEAD pointer is static. On failure AWS-LC leaves the context cleaned up.
        let done = ok(unsafe {
            ffi::EVP_AEAD_CTX_init_with_direction(
                &mut *ctx,
                algorithm.aead(),
                key.as_ptr(),
                key.len(),
                0,
                direction,
            )
        });
        // The context is only cleaned up on drop once it is initialised.
        done.then_some(TlsCbcContext(ctx))
    }

    /// MACs, pads and CBC-encrypts `buf[..plaintext_len]` in place under `iv`; the
    /// ciphertext (data ‖ MAC ‖ padding) is written over `buf`. Returns its length, or `None`
    /// if `buf` is too short or AWS-LC fails.
    pub(crate) fn seal_in_place(
        &mut self,
        iv: &[u8; TLS_CBC_NONCE_LEN],
        ad: &[u8; TLS_CBC_AD_LEN],
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Option<usize> {
        if plaintext_len > buf.len() {
            return None;
        }
        let mut written = 0usize;
        // SAFETY: `buf` is writable for `buf.len()` bytes, the first `plaintext_len` of which
        // are the input: AWS-LC allows `in == out` exactly. Nonce and AD have the lengths
        // passed; `written` is a valid out-pointer; AWS-LC never writes past `max_out_len`.
        let done = ok(unsafe {
            ffi::EVP_AEAD_CTX_seal(
                &*self.0,
                buf.as_mut_ptr(),
                &mut written,
                buf.len(),
                iv.as_ptr(),
                iv.len(),
                buf.as_ptr(),
                plaintext_len,
                ad.as_ptr(),
                ad.len(),
            )
        });
        (done && written <= buf.len()).then_some(written)
    }

    /// Decrypts `input` (whole blocks of data ‖ MAC ‖ padding; `None`: `out` itself) under
    /// `iv` into `out`, which must hold `input.len()` bytes, and checks padding and MAC in
    /// constant time. Returns the data length, or `None` for any fault (AWS-LC then zeroes
    /// `out`).
    fn open_raw(
        &mut self,
        iv: &[u8; TLS_CBC_NONCE_LEN],
        ad: &[u8; TLS_CBC_AD_LEN],
        input: Option<&[u8]>,
        out: &mut [u8],
    ) -> Option<usize> {
        let out_ptr = out.as_mut_ptr();
        let (in_ptr, in_len) = match input {
            Some(input) => (input.as_ptr(), input.len()),
            None => (out_ptr.cast_const(), out.len()),
        };
        if out.len() < in_len {
            return None;
        }
        let mut written = 0usize;
        // SAFETY: the input is readable for `in_len` bytes and either a separate slice (a
        // shared borrow cannot overlap the exclusive `out`) or exactly `out` (the aliasing
        // AWS-LC allows); `out` is writable for `out.len()` bytes, the `max_out_len` passed.
        let done = ok(unsafe {
            ffi::EVP_AEAD_CTX_open(
                &*self.0,
                out_ptr,
                &mut written,
                out.len(),
                iv.as_ptr(),
                iv.len(),
                in_ptr,
                in_len,
                ad.as_ptr(),
                ad.len(),
            )
        });
        (done && written <= in_len).then_some(written)
    }

    /// [`Self::open_raw`] from `input` into a separate `out` (at least `input.len()` bytes).
    pub(crate) fn open(
        &mut self,
        iv: &[u8; TLS_CBC_NONCE_LEN],
        ad: &[u8; TLS_CBC_AD_LEN],
        input: &[u8],
        out: &mut [u8],
    ) -> Option<usize> {
        self.open_raw(iv, ad, Some(input), out)
    }

    /// [`Self::open_raw`] in place: the data ends up at the start of `buf`.
    pub(crate) fn open_in_place(
        &mut self,
        iv: &[u8; TLS_CBC_NONCE_LEN],
        ad: &[u8; TLS_CBC_AD_LEN],
        buf: &mut [u8],
    ) -> Option<usize> {
        self.open_raw(iv, ad, None, buf)
    }
}

impl Drop for TlsCbcContext {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is cleaned up exactly once; cleanup
        // wipes and frees the key schedule and HMAC state it owns.
        unsafe { ffi::EVP_AEAD_CTX_cleanup(&mut *self.0) }
    }
}

//! Access to the caller's `CARD_DATA`: every read and write of its fields, the CSP's
//! allocator, and the minidriver context kept in `pvVendorSpecific`.
//!
//! No reference to a whole `CARD_DATA` is ever made: a caller of version N may pass a
//! structure that ends after the slots of version N ([`super::types::card_data_size`]), so
//! fields are read and written one by one through raw pointers, and only those of the base
//! part (every version) or of the negotiated version.

use core::ptr::{addr_of, addr_of_mut};

use keyward_card::minidriver::VendorConfig;
use keyward_card::scp03::{SecurityLevel, StaticKeys};
use zeroize::Zeroizing;

use super::objects::{self, Minidriver};
use super::types::*;
use super::{Outcome, ScardStatus, INVALID_PARAMETER};
use crate::ptr::{caller, in_ref, input};

/// The caller's `CARD_DATA`, checked to be non-NULL and aligned.
#[derive(Clone, Copy)]
pub(crate) struct CardData(PCARD_DATA);

/// The caller-filled fields of `CARD_DATA` that keyward reads (the base part, present in
/// every version).
pub(crate) struct CallerFields {
    /// `dwVersion`.
    pub(crate) version: DWORD,
    /// `pbAtr` / `cbAtr`.
    pub(crate) atr: PBYTE,
    /// `cbAtr`.
    pub(crate) atr_len: DWORD,
    /// `pwszCardName`.
    pub(crate) card_name: LPWSTR,
    /// Whether the three allocator callbacks are all set.
    pub(crate) allocators: bool,
    /// `hSCardCtx`.
    pub(crate) context: SCARDCONTEXT,
    /// `hScard`.
    pub(crate) card: SCARDHANDLE,
    /// `pvVendorSpecific`.
    pub(crate) vendor: PVOID,
}

impl CardData {
    /// `pCardData`; NULL or misaligned is `SCARD_E_INVALID_PARAMETER`.
    pub(crate) fn new(pointer: PCARD_DATA) -> Outcome<Self> {
        if pointer.is_null() || !pointer.is_aligned() {
            return Err(INVALID_PARAMETER);
        }
        Ok(CardData(pointer))
    }

    /// The raw pointer, for the slot writes of `CardAcquireContext`.
    pub(crate) fn as_ptr(self) -> PCARD_DATA {
        self.0
    }

    /// Reads the caller-filled fields.
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be readable up to `pvVendorSpecific`.
    pub(crate) unsafe fn fields(self) -> CallerFields {
        let p = self.0;
        // SAFETY: every field read lies in the base part of the structure, which the caller
        // guarantees readable; reads through raw places create no reference.
        unsafe {
            CallerFields {
                version: addr_of!((*p).dwVersion).read(),
                atr: addr_of!((*p).pbAtr).read(),
                atr_len: addr_of!((*p).cbAtr).read(),
                card_name: addr_of!((*p).pwszCardName).read(),
                allocators: addr_of!((*p).pfnCspAlloc).read().is_some()
                    && addr_of!((*p).pfnCspReAlloc).read().is_some()
                    && addr_of!((*p).pfnCspFree).read().is_some(),
                context: addr_of!((*p).hSCardCtx).read(),
                card: addr_of!((*p).hScard).read(),
                vendor: addr_of!((*p).pvVendorSpecific).read(),
            }
        }
    }

    /// Writes the negotiated `dwVersion`.
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be writable up to `pvVendorSpecific`.
    pub(crate) unsafe fn set_version(self, version: DWORD) {
        // SAFETY: `dwVersion` lies in the base part, which the caller guarantees writable.
        unsafe { addr_of_mut!((*self.0).dwVersion).write(version) }
    }

    /// Writes `pvVendorSpecific`.
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be writable up to `pvVendorSpecific`.
    pub(crate) unsafe fn set_vendor(self, vendor: PVOID) {
        // SAFETY: `pvVendorSpecific` lies in the base part, which the caller guarantees
        // writable.
        unsafe { addr_of_mut!((*self.0).pvVendorSpecific).write(vendor) }
    }

    /// The handle in `pvVendorSpecific` (0 for NULL).
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be readable up to `pvVendorSpecific`.
    pub(crate) unsafe fn context_handle(self) -> usize {
        // SAFETY: the base part is readable; the value is only compared, never dereferenced.
        unsafe { addr_of!((*self.0).pvVendorSpecific).read() as usize }
    }

    /// The minidriver context of this `CARD_DATA`; an unknown handle (never acquired,
    /// deleted, forged) is `SCARD_E_INVALID_HANDLE`.
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be readable up to `pvVendorSpecific`.
    pub(crate) unsafe fn context(self) -> Outcome<Minidriver> {
        objects::minidriver(caller!(self.context_handle()))
    }

    /// A copy of `bytes` in memory from `pfnCspAlloc`, for the caller to free with
    /// `pfnCspFree`. No allocator is `SCARD_E_INVALID_PARAMETER`; a NULL allocation
    /// `SCARD_E_NO_MEMORY`.
    ///
    /// # Safety
    /// The caller's `CARD_DATA` must be readable up to `pvVendorSpecific`, and its
    /// `pfnCspAlloc` must behave as `malloc` does.
    pub(crate) unsafe fn alloc_copy(self, bytes: &[u8]) -> Outcome<*mut u8> {
        let block = caller!(self.alloc(bytes.len()))?;
        // SAFETY: `block` is a fresh allocation of at least `bytes.len()` bytes, which
        // cannot overlap `bytes`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), block, bytes.len()) };
        Ok(block)
    }

    /// `size` bytes (at least 1) from `pfnCspAlloc`.
    ///
    /// # Safety
    /// As [`CardData::alloc_copy`].
    pub(crate) unsafe fn alloc(self, size: usize) -> Outcome<*mut u8> {
        // SAFETY: the allocator field lies in the base part, which the caller guarantees
        // readable.
        let alloc = unsafe { addr_of!((*self.0).pfnCspAlloc).read() }.ok_or(INVALID_PARAMETER)?;
        // SAFETY: the CSP's allocator, called as cardmod.h documents it.
        let block = unsafe { alloc(size.max(1)) }.cast::<u8>();
        if block.is_null() {
            return Err(ScardStatus(SCARD_E_NO_MEMORY));
        }
        Ok(block)
    }
}

/// The vendor configuration behind `pvVendorSpecific` at `CardAcquireContext`: NULL is the
/// default (no static keys, the default AID, security level `33`).
///
/// Errors: a live minidriver context handle (the `CARD_DATA` is already acquired), a
/// misaligned pointer, a version other than `KEYWARD_CARD_VENDOR_INFO_VERSION`, a keyset whose
/// `cbKey` is not 16, 24 or 32, or an AID pointer with a zero length →
/// `SCARD_E_INVALID_PARAMETER`; a key version outside 1..=0x7F → `SCARD_E_INVALID_PARAMETER`;
/// an unsupported security level → `SCARD_E_UNSUPPORTED_FEATURE`.
///
/// # Safety
/// A non-NULL `vendor` that is not a minidriver handle must point to a readable
/// `KEYWARD_CARD_VENDOR_INFO` whose pointers are valid as documented.
pub(crate) unsafe fn vendor_config(vendor: PVOID) -> Outcome<VendorConfig> {
    if vendor.is_null() {
        return Ok(VendorConfig::new(None));
    }
    if objects::is_minidriver(vendor as usize) {
        return Err(INVALID_PARAMETER);
    }
    let info = caller!(in_ref(
        vendor.cast_const().cast::<KEYWARD_CARD_VENDOR_INFO>()
    ))?;
    if info.dwVersion != KEYWARD_CARD_VENDOR_INFO_VERSION {
        return Err(INVALID_PARAMETER);
    }
    let static_keys = if info.pStaticKeys.is_null() {
        None
    } else {
        Some(caller!(static_keys(info.pStaticKeys))?)
    };
    let mut config = VendorConfig::new(static_keys);
    if info.dwSecurityLevel != KEYWARD_CARD_SECURITY_LEVEL_DEFAULT {
        let level = u8::try_from(info.dwSecurityLevel).map_err(|_| INVALID_PARAMETER)?;
        config.security_level = SecurityLevel::from_p1(level)?;
    }
    if !info.pbAid.is_null() {
        if info.cbAid == 0 {
            return Err(INVALID_PARAMETER);
        }
        config.aid = caller!(input(info.pbAid, info.cbAid))?.to_vec();
    }
    Ok(config)
}

/// A `KEYWARD_CARD_KEYSET` as [`StaticKeys`]; NULL, misaligned, a bad length or key version is
/// `SCARD_E_INVALID_PARAMETER`.
///
/// # Safety
/// A non-NULL `keys` must point to a readable `KEYWARD_CARD_KEYSET`.
pub(crate) unsafe fn static_keys(keys: *const KEYWARD_CARD_KEYSET) -> Outcome<StaticKeys> {
    let keys = caller!(in_ref(keys))?;
    let length = match keys.cbKey {
        16 | 24 | 32 => keys.cbKey as usize,
        _ => return Err(INVALID_PARAMETER),
    };
    let version = u8::try_from(keys.dwKeyVersion).map_err(|_| INVALID_PARAMETER)?;
    // Copies of secrets are wiped when dropped.
    let enc = Zeroizing::new(keys.rgbEnc);
    let mac = Zeroizing::new(keys.rgbMac);
    let dek = Zeroizing::new(keys.rgbDek);
    Ok(StaticKeys::new(
        version,
        &enc[..length],
        &mac[..length],
        &dek[..length],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyset(length: DWORD) -> KEYWARD_CARD_KEYSET {
        KEYWARD_CARD_KEYSET {
            dwKeyVersion: 0x30,
            cbKey: length,
            rgbEnc: [1; 32],
            rgbMac: [2; 32],
            rgbDek: [3; 32],
        }
    }

    #[test]
    fn keysets_are_checked() {
        for length in [16, 24, 32] {
            let keys = keyset(length);
            // SAFETY: a valid keyset.
            let parsed = unsafe { static_keys(&keys) }.unwrap();
            assert_eq!(parsed.key_len(), length as usize);
        }
        for length in [0, 15, 33] {
            let keys = keyset(length);
            // SAFETY: a valid keyset.
            assert_eq!(unsafe { static_keys(&keys) }.err(), Some(INVALID_PARAMETER));
        }
        let mut keys = keyset(16);
        keys.dwKeyVersion = 0x80;
        // SAFETY: a valid keyset.
        assert_eq!(unsafe { static_keys(&keys) }.err(), Some(INVALID_PARAMETER));
        // SAFETY: NULL is checked.
        assert!(unsafe { static_keys(core::ptr::null()) }.is_err());
    }

    #[test]
    fn vendor_info_is_checked() {
        let keys = keyset(16);
        let aid = [0xA0, 0, 0, 0, 0x99];
        let mut info = KEYWARD_CARD_VENDOR_INFO {
            dwVersion: KEYWARD_CARD_VENDOR_INFO_VERSION,
            dwSecurityLevel: KEYWARD_CARD_SECURITY_LEVEL_C_DECRYPTION,
            pStaticKeys: &keys,
            pbAid: aid.as_ptr(),
            cbAid: aid.len() as DWORD,
        };
        let pointer = (&mut info as *mut KEYWARD_CARD_VENDOR_INFO).cast();
        // SAFETY: a valid vendor info.
        let config = unsafe { vendor_config(pointer) }.unwrap();
        assert_eq!(config.aid, aid);
        assert_eq!(config.security_level, SecurityLevel::CMacCDecryption);
        assert!(config.static_keys.is_some());
        info.dwSecurityLevel = 0x02;
        let pointer = (&mut info as *mut KEYWARD_CARD_VENDOR_INFO).cast();
        // SAFETY: a valid vendor info.
        let outcome = unsafe { vendor_config(pointer) }.err();
        assert_eq!(outcome, Some(ScardStatus(SCARD_E_UNSUPPORTED_FEATURE)));
        info.dwSecurityLevel = 0;
        info.dwVersion = 2;
        let pointer = (&mut info as *mut KEYWARD_CARD_VENDOR_INFO).cast();
        // SAFETY: a valid vendor info.
        let outcome = unsafe { vendor_config(pointer) }.err();
        assert_eq!(outcome, Some(INVALID_PARAMETER));
        // SAFETY: NULL is the default.
        let default = unsafe { vendor_config(core::ptr::null_mut()) }.unwrap();
        assert!(default.static_keys.is_none());
        assert_eq!(default.security_level, SecurityLevel::Full);
        // A misaligned pointer is refused before any read.
        let misaligned = (&mut info as *mut KEYWARD_CARD_VENDOR_INFO)
            .cast::<u8>()
            .wrapping_add(1)
            .cast();
        // SAFETY: misalignment is checked before the read.
        let outcome = unsafe { vendor_config(misaligned) }.err();
        assert_eq!(outcome, Some(INVALID_PARAMETER));
    }
}

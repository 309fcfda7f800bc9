//! Memory handed to the caller, released by `SslFreeBuffer`.
//!
//! Every allocation is recorded by address, so `SslFreeBuffer` frees only what the library
//! gave out: an unknown or already freed pointer is `NTE_INVALID_PARAMETER`, never undefined
//! behaviour.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use keyward_core::{Error, Result};

use crate::types::{
    NCryptProviderName, NCRYPT_SSL_CIPHER_SUITE, NCRYPT_SSL_CIPHER_SUITE_EX, NCRYPT_SSL_ECC_CURVE,
    WCHAR,
};

/// One allocation the caller owns until `SslFreeBuffer`.
pub(crate) enum Allocation {
    /// Property values (`SslGetKeyProperty`).
    Bytes(Box<[u8]>),
    /// `SslEnumProtocolProviders`: the entries, and the strings they point into (kept
    /// alive here, never read by Rust).
    Providers {
        /// The entries.
        entries: Box<[NCryptProviderName]>,
        /// The names and comments. A `Vec`, not a `Box`: moving a `Box` asserts unique
        /// access, which would invalidate the entries' pointers into it (Stacked Borrows).
        _strings: Vec<WCHAR>,
    },
    /// `SslEnumEccCurves`.
    Curves(Box<[NCRYPT_SSL_ECC_CURVE]>),
    /// The enumeration state of `SslEnumCipherSuites`.
    CipherSuites(Box<SuiteEnumeration<NCRYPT_SSL_CIPHER_SUITE>>),
    /// The enumeration state of `SslEnumCipherSuitesEx`.
    CipherSuitesEx(Box<SuiteEnumeration<NCRYPT_SSL_CIPHER_SUITE_EX>>),
}

/// The state behind `*ppEnumState`: every entry, and the next one to return. The entries
/// belong to the state, as the Windows documentation says.
pub(crate) struct SuiteEnumeration<T> {
    /// The entries, in order.
    pub(crate) entries: Box<[T]>,
    /// Index of the next entry to return.
    pub(crate) next: usize,
}

struct Registry(HashMap<usize, Allocation>);

// SAFETY: the raw pointers held in `Allocation::Providers` point into the strings of the
// same allocation; they are never dereferenced by Rust, only handed to the caller, so moving
// the registry between threads cannot create a data race.
unsafe impl Send for Registry {}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry(HashMap::new())));

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Allocation {
    /// The address the caller sees.
    fn address(&mut self) -> usize {
        match self {
            Allocation::Bytes(bytes) => bytes.as_mut_ptr() as usize,
            Allocation::Providers { entries, .. } => entries.as_mut_ptr() as usize,
            Allocation::Curves(curves) => curves.as_mut_ptr() as usize,
            Allocation::CipherSuites(state) => &mut **state as *mut _ as usize,
            Allocation::CipherSuitesEx(state) => &mut **state as *mut _ as usize,
        }
    }
}

/// Hands `allocation` to the caller and returns its address. Empty allocations are refused
/// (they have no unique address).
pub(crate) fn give(mut allocation: Allocation) -> Result<usize> {
    let address = allocation.address();
    let empty = match &allocation {
        Allocation::Bytes(bytes) => bytes.is_empty(),
        Allocation::Providers { entries, .. } => entries.is_empty(),
        Allocation::Curves(curves) => curves.is_empty(),
        Allocation::CipherSuites(_) | Allocation::CipherSuitesEx(_) => false,
    };
    if empty {
        return Err(Error::Internal("empty allocation for the caller"));
    }
    // Moving the allocation into the registry retags its boxes (Stacked Borrows), which
    // would invalidate a pointer taken before the move: the caller's pointer is taken again
    // from the stored allocation, and stays valid while the entry lives.
    let mut registry = registry();
    Ok(registry
        .0
        .entry(address)
        .insert_entry(allocation)
        .into_mut()
        .address())
}

/// Frees what [`give`] handed out (`SslFreeBuffer`).
pub(crate) fn free(address: usize) -> Result<()> {
    let allocation = registry().0.remove(&address);
    match allocation {
        Some(allocation) => {
            drop(allocation);
            Ok(())
        }
        None => Err(Error::InvalidParameter("not a buffer from this library")),
    }
}

/// Runs `f` on the enumeration state at `address`, if it is one; `pick` selects the variant.
pub(crate) fn with_state<R>(
    address: usize,
    pick: impl FnOnce(&mut Allocation) -> Option<R>,
) -> Result<R> {
    let mut registry = registry();
    registry
        .0
        .get_mut(&address)
        .and_then(pick)
        .ok_or(Error::InvalidParameter("not an enumeration state"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frees_once_and_only_its_own() {
        let address = give(Allocation::Bytes(vec![1, 2, 3].into_boxed_slice())).unwrap();
        assert_eq!(
            free(address + 1).unwrap_err().status().0 as u32,
            0x8009_0027
        );
        free(address).unwrap();
        assert!(free(address).is_err());
        assert!(give(Allocation::Bytes(Box::new([]))).is_err());
    }

    // Every allocation kind through give / with_state / free, for Miri: the addresses the
    // caller sees point into the registered allocation, and freeing drops it exactly once.

    fn zeroed<T: Copy>() -> T {
        // SAFETY: the FFI structures are plain integers, arrays and raw pointers, for which
        // all-zero bytes are a valid value.
        unsafe { core::mem::zeroed() }
    }

    #[test]
    fn every_allocation_kind_is_given_read_and_freed() {
        let mut strings: Vec<WCHAR> = vec![0x6B, 0, 0x63, 0];
        let name = strings.as_mut_ptr();
        let entries = vec![NCryptProviderName {
            pszName: name,
            pszComment: name.wrapping_add(2),
        }]
        .into_boxed_slice();
        let providers = give(Allocation::Providers {
            entries,
            _strings: strings,
        })
        .unwrap();
        // SAFETY: the address is the registered entries array, alive until freed; the
        // strings it points to are kept by the same allocation.
        let first = unsafe { &*(providers as *const NCryptProviderName) };
        // SAFETY: as above.
        assert_eq!(unsafe { *first.pszComment }, 0x63);

        let curves = give(Allocation::Curves(
            vec![zeroed::<NCRYPT_SSL_ECC_CURVE>(); 2].into_boxed_slice(),
        ))
        .unwrap();
        // SAFETY: the address is the registered array of 2 curves.
        let second = unsafe { &*(curves as *const NCRYPT_SSL_ECC_CURVE).add(1) };
        assert_eq!(second.dwCurveType, 0);

        let suites = give(Allocation::CipherSuites(Box::new(SuiteEnumeration {
            entries: vec![zeroed::<NCRYPT_SSL_CIPHER_SUITE>(); 3].into_boxed_slice(),
            next: 0,
        })))
        .unwrap();
        let taken = with_state(suites, |allocation| match allocation {
            Allocation::CipherSuites(state) => {
                state.next += 1;
                Some(state.entries.len())
            }
            _ => None,
        });
        assert_eq!(taken, Ok(3));
        let wrong_kind = with_state(suites, |allocation| match allocation {
            Allocation::CipherSuitesEx(state) => Some(state.next),
            _ => None,
        });
        assert!(wrong_kind.is_err());
        assert!(with_state(curves, |_| Some(())).is_ok());
        assert!(with_state(curves + 1, |_| Some(())).is_err());

        let suites_ex = give(Allocation::CipherSuitesEx(Box::new(SuiteEnumeration {
            entries: vec![zeroed::<NCRYPT_SSL_CIPHER_SUITE_EX>(); 1].into_boxed_slice(),
            next: 1,
        })))
        .unwrap();
        for address in [providers, curves, suites, suites_ex] {
            free(address).unwrap();
            assert!(free(address).is_err(), "freed twice");
            assert!(with_state(address, |_| Some(())).is_err());
        }
        assert!(give(Allocation::Curves(Box::new([]))).is_err());
        assert!(give(Allocation::Providers {
            entries: Box::new([]),
            _strings: Vec::new(),
        })
        .is_err());
    }
}

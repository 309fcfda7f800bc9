//! Handles: the one table mechanism behind every handle the library hands out
//! ([`HandleTable`]), and the objects of the SSL provider ([`ssl`], whose functions are
//! re-exported here).
//!
//! The minidriver (`card::objects`) and the D3D11 crypto session (`d3d11::objects`) keep their
//! objects in tables of this same kind. Every table:
//! - issues handles that are random non-zero words from the system generator, so a forged
//!   or stale handle (freed, or from another run) is unknown to it, and each family's typed
//!   lookups refuse a handle of the wrong kind: each gives the family's invalid-handle status;
//! - holds `Arc`s (or plain values) under a read-write lock that is never held while
//!   cryptography runs: a call clones what it needs and releases the lock, so a free racing
//!   with a use is safe (the use finishes on its own reference);
//! - survives a poisoned lock: the table's bookkeeping is updated in single steps, so a panic
//!   elsewhere cannot leave it half-changed.
//!
//! The SSL provider's table, on the path of every record and handshake, is a [`ShardedTable`]:
//! [`SHARDS`] such tables picked by the handle, so that calls on different handles seldom
//! wait on one lock. The minidriver's and the D3D11 tables are single tables, because some of
//! their calls look at several objects in one step (a context and its cards, a device and its
//! sessions).

mod ssl;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(not(miri))]
use keyward_core::backend::fill_random;
use keyward_core::Result;

pub(crate) use ssl::*;

/// The map behind a table: handle to object.
pub(crate) type Map<T> = HashMap<usize, T, BuildHasherDefault<HandleHasher>>;

/// Hashes a handle with a fixed bit mixer (splitmix64's finaliser) instead of a keyed hash.
/// Handles are random words that the table draws itself, so a caller can look up a forged
/// handle but never choose the handle of an entry, and no key is needed against flooding;
/// the mixer only spreads the bits a [`ShardedTable`] fixes per shard over the whole hash.
#[derive(Default)]
pub(crate) struct HandleHasher(u64);

impl Hasher for HandleHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_usize(&mut self, handle: usize) {
        self.0 = handle as u64;
    }
}

/// A table of `T`s named by random handles.
pub(crate) struct HandleTable<T> {
    entries: RwLock<Map<T>>,
}

impl<T> HandleTable<T> {
    /// An empty table (for a `static`).
    pub(crate) const fn new() -> Self {
        HandleTable {
            entries: RwLock::new(HashMap::with_hasher(BuildHasherDefault::new())),
        }
    }

    /// The entries, for reading.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Map<T>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The entries, for a change that must see and update them in one step.
    pub(crate) fn write(&self) -> Entries<'_, T> {
        Entries(self.entries.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// What `view` finds in the entry of `handle`: `None` for an unknown handle, or one
    /// `view` refuses (a handle of another kind).
    pub(crate) fn find<R>(&self, handle: usize, view: impl FnOnce(&T) -> Option<R>) -> Option<R> {
        self.read().get(&handle).and_then(view)
    }

    /// Registers `value` under a fresh handle.
    pub(crate) fn insert(&self, value: T) -> Result<usize> {
        self.write().insert(value)
    }
}

/// How many [`HandleTable`]s a [`ShardedTable`] is split into.
pub(crate) const SHARDS: usize = 16;

/// [`SHARDS`] [`HandleTable`]s, one picked by each handle's bits: a call locks only the shard
/// of the handle it names. Each entry is self-contained (nothing here updates two entries in
/// one step), which is what makes the split possible.
pub(crate) struct ShardedTable<T> {
    shards: [HandleTable<T>; SHARDS],
}

impl<T> ShardedTable<T> {
    /// An empty table (for a `static`).
    pub(crate) const fn new() -> Self {
        ShardedTable {
            shards: [const { HandleTable::new() }; SHARDS],
        }
    }

    /// The shard that holds `handle`. Handles are random words, so any bits spread them
    /// evenly; bit 0 is skipped because some tables make every handle odd.
    pub(crate) fn shard(&self, handle: usize) -> &HandleTable<T> {
        &self.shards[(handle >> 1) % SHARDS]
    }

    /// What `view` finds in the entry of `handle` (as [`HandleTable::find`]).
    pub(crate) fn find<R>(&self, handle: usize, view: impl FnOnce(&T) -> Option<R>) -> Option<R> {
        self.shard(handle).find(handle, view)
    }

    /// Registers `value` under a fresh handle: random, non-zero and unused.
    pub(crate) fn insert(&self, value: T) -> Result<usize> {
        loop {
            let handle = random_word()?;
            if handle == 0 {
                continue;
            }
            let mut entries = self.shard(handle).write();
            if !entries.contains_key(&handle) {
                entries.0.insert(handle, value);
                return Ok(handle);
            }
        }
    }

    /// The number of entries (for tests and benchmarks; each shard is counted in turn).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.read().len()).sum()
    }
}

/// The entries of a [`HandleTable`] under its write lock.
pub(crate) struct Entries<'a, T>(RwLockWriteGuard<'a, Map<T>>);

impl<T> Entries<'_, T> {
    /// Registers `value` under a fresh handle: random, non-zero and unused.
    pub(crate) fn insert(&mut self, value: T) -> Result<usize> {
        self.insert_with(value, |handle| handle)
    }

    /// Registers `value` under a fresh handle that is odd, so it can never be mistaken for an
    /// aligned pointer.
    pub(crate) fn insert_odd(&mut self, value: T) -> Result<usize> {
        self.insert_with(value, |handle| handle | 1)
    }

    fn insert_with(&mut self, value: T, shape: impl Fn(usize) -> usize) -> Result<usize> {
        loop {
            let handle = shape(random_word()?);
            if handle != 0 && !self.0.contains_key(&handle) {
                self.0.insert(handle, value);
                return Ok(handle);
            }
        }
    }

    /// Removes every entry `doomed` picks, and returns them.
    pub(crate) fn remove_where(&mut self, mut doomed: impl FnMut(usize, &T) -> bool) -> Vec<T> {
        let handles: Vec<usize> = self
            .0
            .iter()
            .filter(|(handle, value)| doomed(**handle, value))
            .map(|(handle, _)| *handle)
            .collect();
        handles
            .iter()
            .filter_map(|handle| self.0.remove(handle))
            .collect()
    }
}

/// Lookups and removals by handle; registering goes through [`Entries::insert`].
impl<T> Deref for Entries<'_, T> {
    type Target = Map<T>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T> DerefMut for Entries<'_, T> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

fn random_word() -> Result<usize> {
    let mut bytes = [0u8; core::mem::size_of::<usize>()];
    fill_random(&mut bytes)?;
    Ok(usize::from_ne_bytes(bytes))
}

/// Under Miri, which cannot run aws-lc's generator: a counter stands in (the tables' logic,
/// not the handles' unpredictability, is what Miri checks).
#[cfg(miri)]
fn fill_random(bytes: &mut [u8]) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x5EED);
    let word = NEXT.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    for (byte, value) in bytes.iter_mut().zip(word.to_le_bytes().iter().cycle()) {
        *byte = *value;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Debug, PartialEq)]
    enum Thing {
        Small(u8),
        Big(u64),
    }

    fn small(thing: &Thing) -> Option<u8> {
        match thing {
            Thing::Small(value) => Some(*value),
            _ => None,
        }
    }

    #[test]
    fn handles_are_fresh_nonzero_and_typed() {
        let table = HandleTable::new();
        let a = table.insert(Thing::Small(1)).unwrap();
        let b = table.insert(Thing::Big(2)).unwrap();
        assert!(a != 0 && b != 0 && a != b);
        assert_eq!(table.find(a, small), Some(1));
        assert_eq!(table.find(b, small), None, "a handle of another kind");
        for forged in [0usize, 1, usize::MAX, 0xDEAD_BEEF] {
            if forged != a && forged != b {
                assert_eq!(table.find(forged, small), None);
            }
        }
        assert_eq!(table.write().remove(&a), Some(Thing::Small(1)));
        assert_eq!(table.find(a, small), None, "a stale handle");
        assert_eq!(table.write().remove(&a), None);
    }

    #[test]
    fn odd_handles_are_odd() {
        let table = HandleTable::new();
        for value in 0..16 {
            let handle = table.write().insert_odd(value).unwrap();
            assert_eq!(handle & 1, 1);
        }
        assert_eq!(table.read().len(), 16);
    }

    #[test]
    fn remove_where_takes_exactly_the_picked_entries() {
        let table = HandleTable::new();
        let owner = table.insert((0usize, "owner")).unwrap();
        let child = table.insert((owner, "child")).unwrap();
        let other = table.insert((0usize, "other")).unwrap();
        let removed = table
            .write()
            .remove_where(|handle, (parent, _)| handle == owner || *parent == owner);
        assert_eq!(removed.len(), 2);
        assert!(table.find(child, |_| Some(())).is_none());
        assert_eq!(table.find(other, |(_, name)| Some(*name)), Some("other"));
    }

    #[test]
    fn sharded_handles_are_fresh_nonzero_and_spread() {
        let table = ShardedTable::new();
        let handles: Vec<usize> = (0..256u32).map(|n| table.insert(n).unwrap()).collect();
        assert!(handles.iter().all(|handle| *handle != 0));
        assert_eq!(table.len(), 256);
        for (n, handle) in handles.iter().enumerate() {
            assert_eq!(table.find(*handle, |value| Some(*value)), Some(n as u32));
            assert!(table.shard(*handle).read().contains_key(handle));
        }
        let used = table
            .shards
            .iter()
            .filter(|shard| !shard.read().is_empty())
            .count();
        assert!(
            used > SHARDS / 2,
            "256 random handles fall in {used} shards"
        );
        assert_eq!(table.shard(handles[0]).write().remove(&handles[0]), Some(0));
        assert_eq!(table.find(handles[0], |value| Some(*value)), None);
    }

    /// A use racing with a free: the user holds its own `Arc`, so a free never pulls the value
    /// from under it; and the table stays usable after a thread panicked holding its lock.
    #[test]
    fn frees_race_safely_and_a_poisoned_lock_is_survived() {
        let table = Arc::new(HandleTable::new());
        let handle = table.insert(Arc::new(7u32)).unwrap();
        let held = table.find(handle, |value| Some(value.clone())).unwrap();
        let writer = {
            let table = table.clone();
            std::thread::spawn(move || {
                let _entries = table.write();
                panic!("poisons the lock");
            })
        };
        assert!(writer.join().is_err());
        assert!(table.write().remove(&handle).is_some());
        assert_eq!(*held, 7);
        assert!(table.find(handle, |value| Some(value.clone())).is_none());
        assert!(table.insert(Arc::new(8)).is_ok());
    }
}

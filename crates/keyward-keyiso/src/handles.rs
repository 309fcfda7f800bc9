//! The handles of one client connection: a table local to the connection, freed with it, and
//! the daemon-wide count of live handles.

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::protocol::Handle;
use keyward_core::backend::fill_random;
use keyward_core::{Error, Result};
use keyward_ssl::{EphemeralKey, MasterKey, PreMasterKey, PrivateKey, Tls13Secret};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a handle stands for. Every secret stays inside these objects, in the daemon.
pub enum Object {
    /// A private key from the store (`SslOpenPrivateKey`).
    PrivateKey(PrivateKey),
    /// An ephemeral (EC)DHE key (`SslCreateEphemeralKey`).
    Ephemeral(EphemeralKey),
    /// A TLS ≤ 1.2 master key.
    Master(MasterKey),
    /// A client's RSA premaster (`SslGeneratePreMasterKey`).
    PreMaster(PreMasterKey),
    /// A secret of the TLS 1.3 key schedule.
    Tls13(Tls13Secret),
}

/// The handles of one connection. Dropping the table frees them and takes them off the
/// daemon-wide count.
pub struct HandleTable {
    /// Each object in its own allocation: the map moves pointers when it grows and forgets
    /// a pointer when a handle is freed, so no copy of a secret is left in memory the map
    /// frees or reuses (the object zeroizes itself in place when dropped).
    objects: HashMap<Handle, Box<Object>>,
    max_handles: usize,
    live: Arc<AtomicUsize>,
}

impl HandleTable {
    /// An empty table holding at most `max_handles`, counting into `live`.
    pub fn new(max_handles: usize, live: Arc<AtomicUsize>) -> HandleTable {
        HandleTable {
            objects: HashMap::new(),
            max_handles,
            live,
        }
    }

    /// Adds `object` under a new random handle; `NTE_NO_MEMORY` when the table is full.
    pub fn insert(&mut self, object: Object) -> Result<Handle> {
        if self.objects.len() >= self.max_handles {
            return Err(Error::LimitExceeded(
                "too many live handles on this connection",
            ));
        }
        let handle = loop {
            let mut value = [0u8; 8];
            fill_random(&mut value)?;
            if let Some(handle) = Handle::new(u64::from_ne_bytes(value)) {
                if !self.objects.contains_key(&handle) {
                    break handle;
                }
            }
        };
        self.objects.insert(handle, Box::new(object));
        self.live.fetch_add(1, Ordering::SeqCst);
        Ok(handle)
    }

    /// The object of `handle`; an unknown handle is `NTE_INVALID_HANDLE`.
    pub fn get(&self, handle: Handle) -> Result<&Object> {
        self.objects
            .get(&handle)
            .map(|object| &**object)
            .ok_or(Error::InvalidHandle)
    }

    /// Frees `handle`; an unknown handle is `NTE_INVALID_HANDLE`.
    pub fn remove(&mut self, handle: Handle) -> Result<()> {
        self.objects.remove(&handle).ok_or(Error::InvalidHandle)?;
        self.live.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }

    /// How many handles this connection holds.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when the connection holds no handle.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

impl Drop for HandleTable {
    fn drop(&mut self) {
        self.live.fetch_sub(self.objects.len(), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::backend::Curve;
    use keyward_ssl::Group;

    fn ephemeral() -> Object {
        Object::Ephemeral(EphemeralKey::generate(Group::Ec(Curve::X25519)).unwrap())
    }

    #[test]
    fn the_table_counts_limits_and_frees_on_drop() {
        let live = Arc::new(AtomicUsize::new(0));
        let mut table = HandleTable::new(2, live.clone());
        let first = table.insert(ephemeral()).unwrap();
        let second = table.insert(ephemeral()).unwrap();
        assert_ne!(first, second);
        assert_eq!(live.load(Ordering::SeqCst), 2);
        assert_eq!(
            table.insert(ephemeral()).unwrap_err(),
            Error::LimitExceeded("too many live handles on this connection")
        );
        table.remove(first).unwrap();
        assert_eq!(table.remove(first).unwrap_err(), Error::InvalidHandle);
        assert!(table.get(first).is_err());
        assert!(table.get(second).is_ok());
        assert_eq!(live.load(Ordering::SeqCst), 1);
        drop(table);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }
}

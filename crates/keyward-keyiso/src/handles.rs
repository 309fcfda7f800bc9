//! The handles of one client connection: a table local to the connection, freed with it, and
//! the daemon-wide count of live handles.

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::protocol::{error_from_status, Handle};
use keyward_core::backend::fill_random;
use keyward_core::{Error, Result, Status};
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
    /// Names of pipelined requests that failed, with the failure's status, until freed
    /// (at most `max_handles` of them; they hold no object and are not counted as live).
    failed: HashMap<Handle, Status>,
    /// The name the next [`HandleTable::insert`] uses instead of a random handle, set for one
    /// pipelined request ([`HandleTable::insert_named`]).
    name: Option<Handle>,
    max_handles: usize,
    live: Arc<AtomicUsize>,
}

impl HandleTable {
    /// An empty table holding at most `max_handles`, counting into `live`.
    pub fn new(max_handles: usize, live: Arc<AtomicUsize>) -> HandleTable {
        HandleTable {
            objects: HashMap::new(),
            failed: HashMap::new(),
            name: None,
            max_handles,
            live,
        }
    }

    /// True when `handle` names a live object or a failed request.
    fn in_use(&self, handle: Handle) -> bool {
        self.objects.contains_key(&handle) || self.failed.contains_key(&handle)
    }

    /// Adds `object` under a new random handle (top bit clear), or under the name of the
    /// pipelined request being performed; `NTE_NO_MEMORY` when the table is full.
    pub fn insert(&mut self, object: Object) -> Result<Handle> {
        if self.objects.len() >= self.max_handles {
            return Err(Error::LimitExceeded(
                "too many live handles on this connection",
            ));
        }
        let handle = match self.name.take() {
            Some(name) => name,
            None => loop {
                let mut value = [0u8; 8];
                fill_random(&mut value)?;
                if let Some(handle) = Handle::new(u64::from_ne_bytes(value) >> 1) {
                    if !self.in_use(handle) {
                        break handle;
                    }
                }
            },
        };
        self.objects.insert(handle, Box::new(object));
        self.live.fetch_add(1, Ordering::SeqCst);
        Ok(handle)
    }

    /// Runs `make`, whose one [`HandleTable::insert`] keeps its object under `name`, a client
    /// name not in use (`NTE_INVALID_HANDLE` otherwise). `make` must insert exactly once:
    /// anything else is `NTE_INTERNAL_ERROR`, and an object it inserted is freed again.
    pub fn insert_named<T>(
        &mut self,
        name: Handle,
        make: impl FnOnce(&mut HandleTable) -> Result<(Handle, T)>,
    ) -> Result<T> {
        if !name.is_client_name() || self.in_use(name) {
            return Err(Error::InvalidHandle);
        }
        self.name = Some(name);
        let made = make(self);
        let unused = self.name.take().is_some();
        match made {
            Ok((handle, value)) if handle == name && !unused => Ok(value),
            Ok((handle, _)) => {
                let _ = self.remove(handle);
                Err(Error::Internal(
                    "a pipelined request made no object under its name",
                ))
            }
            Err(error) => Err(error),
        }
    }

    /// Keeps `name`, whose pipelined request failed with `status`, as a failed handle: later
    /// requests that use it get `status`, until it is freed. Nothing is kept for a name that
    /// is not a client name or is in use, or beyond `max_handles` failed names (requests
    /// using such a name then get `NTE_INVALID_HANDLE`).
    pub fn fail(&mut self, name: Handle, status: Status) {
        if name.is_client_name() && !self.in_use(name) && self.failed.len() < self.max_handles {
            self.failed.insert(name, status);
        }
    }

    /// The object of `handle`; an unknown handle is `NTE_INVALID_HANDLE`, a failed one the
    /// status of its failure.
    pub fn get(&self, handle: Handle) -> Result<&Object> {
        if let Some(status) = self.failed.get(&handle) {
            return Err(error_from_status(*status));
        }
        self.objects
            .get(&handle)
            .map(|object| &**object)
            .ok_or(Error::InvalidHandle)
    }

    /// Takes `handle`'s object out of the table, for a request that uses it up. A failed name
    /// is freed and answers its failure's status; an unknown handle is `NTE_INVALID_HANDLE`.
    pub fn take(&mut self, handle: Handle) -> Result<Object> {
        if let Some(status) = self.failed.remove(&handle) {
            return Err(error_from_status(status));
        }
        let object = self.objects.remove(&handle).ok_or(Error::InvalidHandle)?;
        self.live.fetch_sub(1, Ordering::SeqCst);
        Ok(*object)
    }

    /// Frees `handle` (an object, or a failed name); an unknown handle is
    /// `NTE_INVALID_HANDLE`.
    pub fn remove(&mut self, handle: Handle) -> Result<()> {
        if self.failed.remove(&handle).is_some() {
            return Ok(());
        }
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

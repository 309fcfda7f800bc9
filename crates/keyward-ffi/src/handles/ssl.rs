//! The objects behind every `NCRYPT_*_HANDLE` of the SSL provider, in one [`ShardedTable`].
//!
//! A forged or stale handle is unknown to the table, and a handle of the wrong kind is caught
//! by the typed getters: all of these give `NTE_INVALID_HANDLE`.
//!
//! Providers are reference-counted as Windows does: `SslOpenProvider` and
//! `SslIncrementProviderReferenceCount` add a reference, `SslFreeObject` and
//! `SslDecrementProviderReferenceCount` drop one. Once its caller references are gone the
//! provider handle is no longer accepted by calls. Every object made through a provider holds
//! the provider itself (an `Arc`), so the provider lives until its last object is freed; the
//! entries stay independent of one another, and every call locks one shard only.

use std::sync::{Arc, Mutex, PoisonError};

use keyward_core::{Error, Result};
use keyward_ssl::{
    EphemeralKey, HandshakeHash, MasterKey, PreMasterKey, PrivateKey, Provider, PublicKey,
    SessionKey, Tls13Secret,
};

use super::ShardedTable;

/// Everything a handle can name (the "ssl1" … "ssl7" objects of Windows).
#[derive(Clone)]
pub(crate) enum Object {
    /// `NCRYPT_PROV_HANDLE` (ssl1).
    Provider(Arc<Provider>),
    /// A key pair from `SslOpenPrivateKey` (ssl4).
    PrivateKey(Arc<PrivateKey>),
    /// An own ephemeral key from `SslCreateEphemeralKey` (ssl6).
    EphemeralKey(Arc<EphemeralKey>),
    /// A peer's public key from `SslImportKey` (ssl6).
    PublicKey(Arc<PublicKey>),
    /// An RSA premaster from `SslGeneratePreMasterKey` (ssl7).
    PreMasterKey(Arc<PreMasterKey>),
    /// A TLS ≤ 1.2 master key (ssl5).
    MasterKey(Arc<MasterKey>),
    /// A read or write key (ssl3), TLS 1.3 write keys included.
    SessionKey(Arc<SessionKey>),
    /// A secret of the TLS 1.3 key schedule.
    Tls13Secret(Arc<Tls13Secret>),
    /// A handshake or transcript hash (ssl2).
    Hash(Arc<Mutex<HandshakeHash>>),
}

enum Entry {
    /// A provider and the references its caller holds; the entry goes when they are gone.
    Provider {
        provider: Arc<Provider>,
        caller_refs: usize,
    },
    /// Any other object, with the provider it was made through, kept alive by it.
    Made {
        object: Object,
        _provider: Arc<Provider>,
    },
}

static TABLE: ShardedTable<Entry> = ShardedTable::new();

/// Registers a new provider with one caller reference.
pub(crate) fn insert_provider(provider: Provider) -> Result<usize> {
    TABLE.insert(Entry::Provider {
        provider: Arc::new(provider),
        caller_refs: 1,
    })
}

/// Registers an object made through the provider `owner`, which it keeps alive.
pub(crate) fn insert(owner: usize, object: Object) -> Result<usize> {
    debug_assert!(!matches!(object, Object::Provider(_)));
    let provider = provider(owner)?;
    TABLE.insert(Entry::Made {
        object,
        _provider: provider,
    })
}

/// Registers the objects of one call made through `owner`, all or none: if one cannot be
/// registered, those already registered are freed. An absent object gets the handle 0.
pub(crate) fn insert_all<const N: usize>(
    owner: usize,
    objects: [Option<Object>; N],
) -> Result<[usize; N]> {
    let mut handles = [0; N];
    for (slot, object) in handles.iter_mut().zip(objects) {
        let Some(object) = object else { continue };
        match insert(owner, object) {
            Ok(handle) => *slot = handle,
            Err(error) => {
                for handle in handles.into_iter().filter(|handle| *handle != 0) {
                    free(handle)?;
                }
                return Err(error);
            }
        }
    }
    Ok(handles)
}

/// The object behind `handle`; unknown handles are `InvalidHandle` (a provider whose caller
/// references are gone is unknown).
pub(crate) fn get(handle: usize) -> Result<Object> {
    TABLE
        .find(handle, |entry| match entry {
            Entry::Provider { provider, .. } => Some(Object::Provider(provider.clone())),
            Entry::Made { object, .. } => Some(object.clone()),
        })
        .ok_or(Error::InvalidHandle)
}

/// Frees `handle` (`SslFreeObject`): drops one caller reference of a provider, or removes
/// any other object and releases its provider.
pub(crate) fn free(handle: usize) -> Result<()> {
    let removed = {
        let mut entries = TABLE.shard(handle).write();
        match entries.get_mut(&handle).ok_or(Error::InvalidHandle)? {
            Entry::Provider { caller_refs, .. } if *caller_refs > 1 => {
                *caller_refs -= 1;
                None
            }
            _ => entries.remove(&handle),
        }
    };
    // Dropped outside the lock: wiping a key schedule does not need the table.
    drop(removed);
    Ok(())
}

/// Adds a caller reference to a provider (`SslIncrementProviderReferenceCount`).
pub(crate) fn add_provider_ref(handle: usize) -> Result<()> {
    match TABLE.shard(handle).write().get_mut(&handle) {
        Some(Entry::Provider { caller_refs, .. }) => {
            *caller_refs += 1;
            Ok(())
        }
        _ => Err(Error::InvalidHandle),
    }
}

/// Drops a caller reference of a provider (`SslDecrementProviderReferenceCount`); other
/// kinds of handle are `InvalidHandle`.
pub(crate) fn release_provider(handle: usize) -> Result<()> {
    match get(handle)? {
        Object::Provider(_) => free(handle),
        _ => Err(Error::InvalidHandle),
    }
}

/// Typed getters: each returns the object if `handle` names one of its kind, else
/// `InvalidHandle`.
macro_rules! typed_getters {
    ($($(#[$doc:meta])* $name:ident -> $variant:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub(crate) fn $name(handle: usize) -> Result<Arc<$ty>> {
                match get(handle)? {
                    Object::$variant(object) => Ok(object),
                    _ => Err(Error::InvalidHandle),
                }
            }
        )*
    };
}

typed_getters! {
    /// A provider.
    provider -> Provider: Provider;
    /// A key pair from `SslOpenPrivateKey`.
    private_key -> PrivateKey: PrivateKey;
    /// An own ephemeral key.
    ephemeral_key -> EphemeralKey: EphemeralKey;
    /// A TLS ≤ 1.2 master key.
    master_key -> MasterKey: MasterKey;
    /// A session (record) key.
    session_key -> SessionKey: SessionKey;
    /// A TLS 1.3 secret.
    tls13_secret -> Tls13Secret: Tls13Secret;
    /// A handshake hash.
    hash -> Hash: Mutex<HandshakeHash>;
}

/// A peer public key: an imported public key, or the public half of an own ephemeral key
/// or key pair (Windows accepts any "ssl6" object there).
pub(crate) fn public_key(handle: usize) -> Result<Arc<PublicKey>> {
    match get(handle)? {
        Object::PublicKey(key) => Ok(key),
        Object::EphemeralKey(key) => Ok(Arc::new(key.public_key())),
        Object::PrivateKey(key) => Ok(Arc::new(key.public_key())),
        _ => Err(Error::InvalidHandle),
    }
}

/// Locks a handshake hash, surviving a poisoned lock (a panic while hashing cannot leave it
/// half-updated: `update` is one call).
pub(crate) fn lock(hash: &Mutex<HandshakeHash>) -> std::sync::MutexGuard<'_, HandshakeHash> {
    hash.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> usize {
        insert_provider(Provider::open(None).unwrap()).unwrap()
    }

    fn hash_object() -> Object {
        let provider = Provider::open(None).unwrap();
        Object::Hash(Arc::new(Mutex::new(
            provider
                .create_handshake_hash(
                    keyward_ssl::Protocol::Tls12,
                    keyward_ssl::CipherSuite::from_id(0xC02F).unwrap(),
                )
                .unwrap(),
        )))
    }

    #[test]
    #[cfg_attr(miri, ignore = "hashes with aws-lc")]
    fn handles_are_nonzero_typed_and_die_when_freed() {
        let p = open();
        assert_ne!(p, 0);
        let h = insert(p, hash_object()).unwrap();
        assert!(hash(h).is_ok());
        assert_eq!(master_key(h).err(), Some(Error::InvalidHandle));
        free(h).unwrap();
        assert_eq!(hash(h).err(), Some(Error::InvalidHandle));
        assert_eq!(free(h), Err(Error::InvalidHandle));
        free(p).unwrap();
    }

    /// The provider object behind a provider handle, watched without keeping it alive.
    fn watch(handle: usize) -> std::sync::Weak<Provider> {
        Arc::downgrade(&super::provider(handle).unwrap())
    }

    #[test]
    #[cfg_attr(miri, ignore = "hashes with aws-lc")]
    fn objects_keep_their_provider_alive() {
        let p = open();
        let watched = watch(p);
        add_provider_ref(p).unwrap();
        let h = insert(p, hash_object()).unwrap();
        free(p).unwrap();
        assert!(super::provider(p).is_ok(), "one caller reference is left");
        release_provider(p).unwrap();
        assert_eq!(super::provider(p).err(), Some(Error::InvalidHandle));
        assert_eq!(free(p), Err(Error::InvalidHandle));
        assert!(
            watched.upgrade().is_some(),
            "the hash still holds the provider"
        );
        assert_eq!(insert(p, hash_object()), Err(Error::InvalidHandle));
        free(h).unwrap();
        assert!(watched.upgrade().is_none());
    }

    #[test]
    fn objects_of_one_call_are_registered_together() {
        let point = || {
            Some(Object::PublicKey(Arc::new(PublicKey::Ecdh {
                curve: keyward_core::backend::Curve::P256,
                point: vec![4; 65],
            })))
        };
        let p = open();
        let [first, absent, last] = insert_all(p, [point(), None, point()]).unwrap();
        assert!(first != 0 && last != 0 && first != last);
        assert_eq!(absent, 0);
        assert!(public_key(first).is_ok() && public_key(last).is_ok());
        free(first).unwrap();
        free(last).unwrap();
        free(p).unwrap();
        assert_eq!(insert_all(p, [point(), point()]), Err(Error::InvalidHandle));
    }

    #[test]
    fn forged_handles_are_rejected() {
        for forged in [0usize, 1, usize::MAX, 0xDEAD_BEEF] {
            assert_eq!(get(forged).err(), Some(Error::InvalidHandle));
            assert_eq!(free(forged), Err(Error::InvalidHandle));
        }
    }

    /// The table's bookkeeping with plain objects only (no aws-lc), so Miri runs it: child
    /// objects keep their provider, references count, stale and forged handles die.
    #[test]
    fn provider_references_and_children() {
        // A peer's public point: a plain value, no aws-lc call to make or drop it.
        let point = || {
            Object::PublicKey(Arc::new(PublicKey::Ecdh {
                curve: keyward_core::backend::Curve::P256,
                point: vec![4; 65],
            }))
        };
        let p = open();
        let watched = watch(p);
        let child = insert(p, point()).unwrap();
        assert!(public_key(child).is_ok());
        assert_eq!(hash(child).err(), Some(Error::InvalidHandle));
        assert_ne!(child, p);
        add_provider_ref(p).unwrap();
        release_provider(p).unwrap();
        assert!(super::provider(p).is_ok());
        free(p).unwrap();
        assert_eq!(get(p).err(), Some(Error::InvalidHandle));
        assert_eq!(add_provider_ref(p), Err(Error::InvalidHandle));
        assert!(
            watched.upgrade().is_some(),
            "the child still holds the provider"
        );
        free(child).unwrap();
        assert!(watched.upgrade().is_none());
        assert_eq!(free(child), Err(Error::InvalidHandle));
        assert_eq!(release_provider(child), Err(Error::InvalidHandle));
    }
}

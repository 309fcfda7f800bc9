//! The objects of the minidriver ABI, in one [`HandleTable`]: keyward's resource-manager
//! contexts (`SCARDCONTEXT`), its card connections (`SCARDHANDLE`) and the minidriver contexts
//! that `CardAcquireContext` keeps in `CARD_DATA.pvVendorSpecific`.
//!
//! A forged, stale or wrong-kind handle is unknown to its typed getter:
//! `SCARD_E_INVALID_HANDLE`, never a dereference. Minidriver context handles are odd, so one
//! can never be mistaken for a (aligned) pointer to a `KEYWARD_CARD_VENDOR_INFO`.
//!
//! A connection owns the way to the card (an in-process virtual card, or a PC/SC connection);
//! every minidriver context acquired over it shares it through [`SharedTransport`]. After
//! `KeywardCardDisconnect` (or `KeywardCardReleaseContext` of its context) the connection is
//! closed, and contexts still using it get `SCARD_E_INVALID_HANDLE` from the card calls, as
//! with a PC/SC handle that was disconnected. Connections to the same virtual-card state file
//! share one card, as PC/SC connections to one reader do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use keyward_card::card::VirtualCard;
use keyward_card::error::ReaderError;
use keyward_card::minidriver::CardContext;
use keyward_card::transport::{InProcess, PcscTransport, Transport};
use keyward_card::{Error, ScardStatus};

use crate::handles::{HandleTable, Map};

/// How a connection reaches its card.
pub(crate) enum Link {
    /// A virtual card in this process, with the canonical path of its state file.
    Virtual { path: PathBuf, card: InProcess },
    /// A card in a PC/SC reader.
    Pcsc(PcscTransport),
}

impl Link {
    fn transport(&mut self) -> &mut dyn Transport {
        match self {
            Link::Virtual { card, .. } => card,
            Link::Pcsc(pcsc) => pcsc,
        }
    }
}

/// A card connection (`SCARDHANDLE`): its resource-manager context, and its link until it is
/// disconnected.
pub(crate) struct Connection {
    owner: usize,
    link: Mutex<Option<Link>>,
}

impl Connection {
    fn lock(&self) -> MutexGuard<'_, Option<Link>> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the open link; a closed connection is `InvalidHandle`.
    pub(crate) fn with_link<T>(
        &self,
        f: impl FnOnce(&mut dyn Transport) -> keyward_card::Result<T>,
    ) -> keyward_card::Result<T> {
        match self.lock().as_mut() {
            Some(link) => f(link.transport()),
            None => Err(Error::Reader(ReaderError::InvalidHandle)),
        }
    }

    fn close(&self) {
        self.lock().take();
    }

    fn virtual_card(&self, path: &Path) -> Option<InProcess> {
        match self.lock().as_ref() {
            Some(Link::Virtual { path: own, card }) if own == path => Some(card.clone()),
            _ => None,
        }
    }
}

/// The transport a minidriver context gets: its connection, shared.
pub(crate) struct SharedTransport(pub(crate) Arc<Connection>);

impl Transport for SharedTransport {
    fn transmit_raw(&mut self, command: &[u8]) -> keyward_card::Result<Vec<u8>> {
        self.0.with_link(|link| link.transmit_raw(command))
    }

    fn reset(&mut self) -> keyward_card::Result<()> {
        self.0.with_link(|link| link.reset())
    }

    fn atr(&mut self) -> keyward_card::Result<Vec<u8>> {
        self.0.with_link(|link| link.atr())
    }
}

/// A minidriver context, locked per call (the calls of one `CARD_DATA` are serialized).
pub(crate) type Minidriver = Arc<Mutex<CardContext>>;

enum Object {
    /// `SCARDCONTEXT`.
    ResourceContext,
    /// `SCARDHANDLE`.
    Connection(Arc<Connection>),
    /// `pvVendorSpecific` after `CardAcquireContext`.
    Minidriver(Minidriver),
}

static TABLE: HandleTable<Object> = HandleTable::new();

const INVALID_HANDLE: ScardStatus = ScardStatus::INVALID_HANDLE;

/// `KeywardCardEstablishContext`: a new resource-manager context.
pub(crate) fn establish_context() -> Result<usize, ScardStatus> {
    Ok(TABLE.insert(Object::ResourceContext)?)
}

/// `KeywardCardReleaseContext`: forgets the context and closes every connection made in it.
pub(crate) fn release_context(context: usize) -> Result<(), ScardStatus> {
    let mut table = TABLE.write();
    if !matches!(table.get(&context), Some(Object::ResourceContext)) {
        return Err(INVALID_HANDLE);
    }
    table.remove(&context);
    let cards = table.remove_where(
        |_, object| matches!(object, Object::Connection(connection) if connection.owner == context),
    );
    for card in cards {
        if let Object::Connection(connection) = card {
            connection.close();
        }
    }
    Ok(())
}

fn check_context(table: &Map<Object>, context: usize) -> Result<(), ScardStatus> {
    match table.get(&context) {
        Some(Object::ResourceContext) => Ok(()),
        _ => Err(INVALID_HANDLE),
    }
}

/// `KeywardCardConnectVirtual`: a connection to the virtual card whose state is at `path`
/// (shared with every open connection to the same file).
pub(crate) fn connect_virtual(context: usize, path: &Path) -> Result<usize, ScardStatus> {
    check_context(&TABLE.read(), context)?;
    let canonical = std::fs::canonicalize(path)
        .map_err(|error| Error::Storage(format!("{}: {error}", path.display())))?;
    // Under the write lock, so two connects of one file cannot open two cards.
    let mut table = TABLE.write();
    check_context(&table, context)?;
    let shared = table.values().find_map(|object| match object {
        Object::Connection(connection) => connection.virtual_card(&canonical),
        _ => None,
    });
    let card = match shared {
        Some(card) => card,
        None => InProcess::new(VirtualCard::open(&canonical)?),
    };
    let link = Link::Virtual {
        path: canonical,
        card,
    };
    Ok(table.insert(connection_object(context, link))?)
}

/// `KeywardCardConnectReader`: a PC/SC connection to the card in the first reader whose name
/// contains `reader`.
pub(crate) fn connect_reader(context: usize, reader: &str) -> Result<usize, ScardStatus> {
    check_context(&TABLE.read(), context)?;
    let pcsc = PcscTransport::connect(reader)?;
    let mut table = TABLE.write();
    // The context may have been released meanwhile: then the connection goes with it.
    check_context(&table, context)?;
    Ok(table.insert(connection_object(context, Link::Pcsc(pcsc)))?)
}

fn connection_object(context: usize, link: Link) -> Object {
    Object::Connection(Arc::new(Connection {
        owner: context,
        link: Mutex::new(Some(link)),
    }))
}

/// `KeywardCardDisconnect`: closes the connection.
pub(crate) fn disconnect(card: usize) -> Result<(), ScardStatus> {
    let mut table = TABLE.write();
    match table.get(&card) {
        Some(Object::Connection(_)) => {}
        _ => return Err(INVALID_HANDLE),
    }
    if let Some(Object::Connection(connection)) = table.remove(&card) {
        connection.close();
    }
    Ok(())
}

/// The connection `card`, which must belong to `context`.
pub(crate) fn connection(context: usize, card: usize) -> Result<Arc<Connection>, ScardStatus> {
    match TABLE.read().get(&card) {
        Some(Object::Connection(connection)) if connection.owner == context => {
            Ok(connection.clone())
        }
        _ => Err(INVALID_HANDLE),
    }
}

/// The connection `card`, whatever its context.
pub(crate) fn any_connection(card: usize) -> Result<Arc<Connection>, ScardStatus> {
    TABLE
        .find(card, |object| match object {
            Object::Connection(connection) => Some(connection.clone()),
            _ => None,
        })
        .ok_or(INVALID_HANDLE)
}

/// Registers a minidriver context; its handle is odd.
pub(crate) fn insert_minidriver(context: CardContext) -> Result<usize, ScardStatus> {
    let minidriver = Object::Minidriver(Arc::new(Mutex::new(context)));
    Ok(TABLE.write().insert_odd(minidriver)?)
}

/// The minidriver context `handle`.
pub(crate) fn minidriver(handle: usize) -> Result<Minidriver, ScardStatus> {
    TABLE
        .find(handle, |object| match object {
            Object::Minidriver(context) => Some(context.clone()),
            _ => None,
        })
        .ok_or(INVALID_HANDLE)
}

/// True when `handle` names a live minidriver context.
pub(crate) fn is_minidriver(handle: usize) -> bool {
    matches!(TABLE.read().get(&handle), Some(Object::Minidriver(_)))
}

/// Removes the minidriver context `handle` (`CardDeleteContext`); its keys go with it once
/// a call still running on it has finished.
pub(crate) fn remove_minidriver(handle: usize) -> Result<(), ScardStatus> {
    let mut table = TABLE.write();
    match table.get(&handle) {
        Some(Object::Minidriver(_)) => {
            table.remove(&handle);
            Ok(())
        }
        _ => Err(INVALID_HANDLE),
    }
}

/// Locks a minidriver context, surviving a poisoned lock (a panic caught at the boundary
/// leaves the context memory-safe; the call that panicked reported `SCARD_F_INTERNAL_ERROR`).
pub(crate) fn lock(context: &Minidriver) -> MutexGuard<'_, CardContext> {
    context.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_typed_and_die_with_their_context() {
        let context = establish_context().unwrap();
        assert_ne!(context, 0);
        assert!(minidriver(context).is_err());
        assert!(connection(context, context).is_err());
        assert!(disconnect(context).is_err());
        let missing = std::env::temp_dir().join("keyward-ffi-no-such-card-state");
        assert!(connect_virtual(context, &missing).is_err());
        release_context(context).unwrap();
        assert_eq!(release_context(context), Err(INVALID_HANDLE));
        for forged in [0usize, 1, usize::MAX] {
            assert!(minidriver(forged).is_err());
            assert!(any_connection(forged).is_err());
            assert!(!is_minidriver(forged));
        }
    }
}

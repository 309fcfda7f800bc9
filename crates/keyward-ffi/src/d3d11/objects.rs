//! The objects behind every handle of the D3D11 and OPM functions, in one [`HandleTable`]:
//! devices, resources, crypto sessions and OPM outputs.
//!
//! A forged, stale (closed, destroyed, from another run) or wrong-kind handle is refused with
//! `E_HANDLE`.
//!
//! Devices, resources and outputs are named by the handle itself (in `pDrvPrivate`, or as the
//! `IOPMVideoOutput` pointer), never dereferenced. A crypto session lives in memory the runtime
//! allocates (`CalcPrivateCryptoSessionSize` bytes, `hCryptoSession.pDrvPrivate`):
//! `CreateCryptoSession` writes a [`SessionPrivate`] there, a magic number and the session's
//! handle. Every later call checks the magic number, that the handle names a live session, and
//! that the session was created in this very memory; `DestroyCryptoSession` unregisters the
//! session and overwrites the magic number, so a call on a destroyed session is `E_HANDLE`,
//! never undefined behaviour (as long as the caller has not freed the memory yet).

use crate::ptr::caller;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use keyward_cryptosession::hresult::{E_HANDLE, E_INVALIDARG, S_OK};
use keyward_cryptosession::opm::OpmVideoOutput;
use keyward_cryptosession::{CryptoSession, VideoDevice};
use zeroize::Zeroizing;

use super::types::{
    IOPMVideoOutput, D3D10DDI_HDEVICE, D3D10DDI_HRESOURCE, D3D11_1DDI_HCRYPTOSESSION, HRESULT, VOID,
};
use super::{HResult, Outcome};
use crate::handles::HandleTable;

/// An open device (`KeywardD3D11OpenDevice`).
pub(crate) struct Device {
    /// The software video device.
    pub(crate) device: VideoDevice,
    /// The outcome of the last `VOID` DDI call on this device.
    last_error: AtomicI32,
}

/// A memory resource (`KeywardD3D11CreateResource`): the surface the blits read and write.
/// Its bytes may be decrypted content, so they are wiped when replaced or freed.
pub(crate) struct Resource {
    data: Mutex<Zeroizing<Vec<u8>>>,
}

impl Resource {
    fn lock(&self) -> MutexGuard<'_, Zeroizing<Vec<u8>>> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The resource's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A copy of the resource's bytes.
    pub(crate) fn read(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.lock().to_vec())
    }

    /// Replaces the resource's bytes with `data` of the same size (else `E_INVALIDARG`).
    pub(crate) fn write(&self, data: &[u8]) -> Outcome {
        let mut current = self.lock();
        if current.len() != data.len() {
            return Err(HResult(E_INVALIDARG));
        }
        current.copy_from_slice(data);
        Ok(())
    }
}

/// A crypto session, registered under the handle its runtime memory holds.
pub(crate) struct Session {
    /// The session.
    pub(crate) session: CryptoSession,
    /// The address of the runtime memory it was created in.
    private: usize,
}

enum Object {
    Device(Arc<Device>),
    Resource(Arc<Resource>),
    Session(Arc<Session>),
    Output(Arc<OpmVideoOutput>),
}

struct Entry {
    object: Object,
    /// The device the object belongs to (none for devices).
    owner: Option<usize>,
}

static TABLE: HandleTable<Entry> = HandleTable::new();

/// Registers `object`, of the device `owner` if given, under a fresh random handle.
fn insert(object: Object, owner: Option<usize>) -> Outcome<usize> {
    let mut table = TABLE.write();
    if let Some(owner) = owner {
        if !matches!(
            table.get(&owner),
            Some(Entry {
                object: Object::Device(_),
                ..
            })
        ) {
            return Err(HResult(E_HANDLE));
        }
    }
    Ok(table.insert(Entry { object, owner })?)
}

fn handle_of(pointer: *mut VOID) -> usize {
    pointer as usize
}

fn pointer_of(handle: usize) -> *mut VOID {
    handle as *mut VOID
}

// ---- Devices -----------------------------------------------------------------------------

/// Registers an open device; returns its handle.
pub(crate) fn insert_device(device: VideoDevice) -> Outcome<D3D10DDI_HDEVICE> {
    let device = Device {
        device,
        last_error: AtomicI32::new(S_OK),
    };
    let handle = insert(Object::Device(Arc::new(device)), None)?;
    Ok(D3D10DDI_HDEVICE {
        pDrvPrivate: pointer_of(handle),
    })
}

/// The device `hDevice` names; anything else is `E_HANDLE`.
pub(crate) fn device(hDevice: D3D10DDI_HDEVICE) -> Outcome<Arc<Device>> {
    TABLE
        .find(handle_of(hDevice.pDrvPrivate), |entry| {
            match &entry.object {
                Object::Device(device) => Some(device.clone()),
                _ => None,
            }
        })
        .ok_or(HResult(E_HANDLE))
}

/// Closes a device with everything it owns: its resources and OPM outputs are freed, its
/// sessions destroyed (keys wiped). The sessions' runtime memory is not touched (the caller
/// may have freed it already); their handles are simply gone, so a later call on them is
/// `E_HANDLE`.
pub(crate) fn close_device(hDevice: D3D10DDI_HDEVICE) -> Outcome {
    let handle = handle_of(hDevice.pDrvPrivate);
    let removed: Vec<Entry> = {
        let mut table = TABLE.write();
        if !matches!(
            table.get(&handle),
            Some(Entry {
                object: Object::Device(_),
                ..
            })
        ) {
            return Err(HResult(E_HANDLE));
        }
        table.remove_where(|key, entry| key == handle || entry.owner == Some(handle))
    };
    // Outside the lock: wiping keys does not need the table.
    let device = removed.iter().find_map(|entry| match &entry.object {
        Object::Device(device) => Some(device.clone()),
        _ => None,
    });
    if let Some(device) = device {
        for entry in &removed {
            if let Object::Session(session) = &entry.object {
                // Already destroyed through DestroyCryptoSession is the only possible error.
                let _ = device.device.destroy_crypto_session(&session.session);
            }
        }
    }
    Ok(())
}

/// Records the outcome of a `VOID` DDI call on `hDevice`, if it names a device.
pub(crate) fn set_last_error(hDevice: D3D10DDI_HDEVICE, hresult: HRESULT) {
    if let Ok(device) = device(hDevice) {
        device.last_error.store(hresult, Ordering::Relaxed);
    }
}

/// The outcome of the last `VOID` DDI call on `hDevice`.
pub(crate) fn last_error(hDevice: D3D10DDI_HDEVICE) -> Outcome<HRESULT> {
    Ok(device(hDevice)?.last_error.load(Ordering::Relaxed))
}

// ---- Resources ---------------------------------------------------------------------------

/// Registers a resource of `hDevice` holding `data`.
pub(crate) fn insert_resource(
    hDevice: D3D10DDI_HDEVICE,
    data: Vec<u8>,
) -> Outcome<D3D10DDI_HRESOURCE> {
    let resource = Resource {
        data: Mutex::new(Zeroizing::new(data)),
    };
    let handle = insert(
        Object::Resource(Arc::new(resource)),
        Some(handle_of(hDevice.pDrvPrivate)),
    )?;
    Ok(D3D10DDI_HRESOURCE {
        pDrvPrivate: pointer_of(handle),
    })
}

/// The resource `hResource` names: `E_HANDLE` if it names none, `E_INVALIDARG` if it belongs
/// to another device than `hDevice`.
pub(crate) fn resource(
    hDevice: D3D10DDI_HDEVICE,
    hResource: D3D10DDI_HRESOURCE,
) -> Outcome<Arc<Resource>> {
    match TABLE.read().get(&handle_of(hResource.pDrvPrivate)) {
        Some(Entry {
            object: Object::Resource(resource),
            owner,
        }) => {
            if *owner == Some(handle_of(hDevice.pDrvPrivate)) {
                Ok(resource.clone())
            } else {
                Err(HResult(E_INVALIDARG))
            }
        }
        _ => Err(HResult(E_HANDLE)),
    }
}

/// Removes a resource (checked as by [`resource`]).
pub(crate) fn remove_resource(hDevice: D3D10DDI_HDEVICE, hResource: D3D10DDI_HRESOURCE) -> Outcome {
    resource(hDevice, hResource)?;
    let removed = TABLE.write().remove(&handle_of(hResource.pDrvPrivate));
    drop(removed);
    Ok(())
}

// ---- Crypto sessions ---------------------------------------------------------------------

/// What `CreateCryptoSession` writes into the runtime's memory.
#[repr(C)]
pub(crate) struct SessionPrivate {
    magic: AtomicU64,
    handle: AtomicUsize,
}

/// `CalcPrivateCryptoSessionSize`.
pub(crate) const SESSION_PRIVATE_SIZE: usize = core::mem::size_of::<SessionPrivate>();

/// The magic number of a live session's memory ("kwCSlive").
const LIVE: u64 = u64::from_be_bytes(*b"kwCSlive");
/// The magic number `DestroyCryptoSession` leaves ("kwCSdead").
const DESTROYED: u64 = u64::from_be_bytes(*b"kwCSdead");

/// The session memory of `hCryptoSession`: NULL or misaligned is `E_INVALIDARG`.
fn session_memory(hCryptoSession: D3D11_1DDI_HCRYPTOSESSION) -> Outcome<*mut SessionPrivate> {
    let memory = hCryptoSession.pDrvPrivate.cast::<SessionPrivate>();
    if memory.is_null() || !memory.is_aligned() {
        return Err(HResult(E_INVALIDARG));
    }
    Ok(memory)
}

/// Registers `session`, made by `hDevice`, and writes its [`SessionPrivate`] into the
/// runtime memory of `hCryptoSession`.
///
/// # Safety
/// `hCryptoSession.pDrvPrivate` must point to `SESSION_PRIVATE_SIZE` writable bytes that stay
/// valid until `DestroyCryptoSession`.
pub(crate) unsafe fn insert_session(
    hDevice: D3D10DDI_HDEVICE,
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    session: CryptoSession,
) -> Outcome {
    let memory = session_memory(hCryptoSession)?;
    let session = Session {
        session,
        private: memory as usize,
    };
    let handle = insert(
        Object::Session(Arc::new(session)),
        Some(handle_of(hDevice.pDrvPrivate)),
    )?;
    // SAFETY: non-NULL and aligned (checked); the caller guarantees the bytes are writable.
    unsafe {
        memory.write(SessionPrivate {
            magic: AtomicU64::new(LIVE),
            handle: AtomicUsize::new(handle),
        })
    };
    Ok(())
}

/// The memory of a session, as written by [`insert_session`].
///
/// # Safety
/// `memory` must point to `SESSION_PRIVATE_SIZE` initialized, readable bytes.
unsafe fn header<'a>(memory: *mut SessionPrivate) -> &'a SessionPrivate {
    // SAFETY: non-NULL and aligned (checked by `session_memory`), readable by the caller's
    // guarantee; every bit pattern is a valid `SessionPrivate` (two atomics).
    unsafe { &*memory }
}

/// The live session in `hCryptoSession`'s memory. NULL or misaligned memory is
/// `E_INVALIDARG`; memory that holds no live session (destroyed, never created, created
/// elsewhere and copied, or of a closed device) is `E_HANDLE`.
///
/// # Safety
/// `hCryptoSession.pDrvPrivate` must point to `SESSION_PRIVATE_SIZE` initialized, readable
/// bytes (the memory `CreateCryptoSession` was given).
pub(crate) unsafe fn session(hCryptoSession: D3D11_1DDI_HCRYPTOSESSION) -> Outcome<Arc<Session>> {
    let memory = session_memory(hCryptoSession)?;
    let header = caller!(header(memory));
    if header.magic.load(Ordering::Acquire) != LIVE {
        return Err(HResult(E_HANDLE));
    }
    match TABLE.read().get(&header.handle.load(Ordering::Acquire)) {
        Some(Entry {
            object: Object::Session(session),
            ..
        }) if session.private == memory as usize => Ok(session.clone()),
        _ => Err(HResult(E_HANDLE)),
    }
}

/// `DestroyCryptoSession`, after the device has destroyed `session`: unregisters it and marks
/// its memory destroyed.
///
/// # Safety
/// As [`session`], and the memory must be writable.
pub(crate) unsafe fn remove_session(
    hCryptoSession: D3D11_1DDI_HCRYPTOSESSION,
    session: &Session,
) -> Outcome {
    let memory = session_memory(hCryptoSession)?;
    let header = caller!(header(memory));
    let handle = header.handle.load(Ordering::Acquire);
    {
        let mut table = TABLE.write();
        match table.get(&handle) {
            Some(Entry {
                object: Object::Session(registered),
                ..
            }) if core::ptr::eq(&**registered, session) => {
                table.remove(&handle);
            }
            _ => return Err(HResult(E_HANDLE)),
        }
    }
    header.magic.store(DESTROYED, Ordering::Release);
    header.handle.store(0, Ordering::Release);
    Ok(())
}

// ---- OPM outputs -------------------------------------------------------------------------

/// Registers an OPM output of `hDevice`; returns its `IOPMVideoOutput` pointer.
pub(crate) fn insert_output(
    hDevice: D3D10DDI_HDEVICE,
    output: OpmVideoOutput,
) -> Outcome<*mut IOPMVideoOutput> {
    let handle = insert(
        Object::Output(Arc::new(output)),
        Some(handle_of(hDevice.pDrvPrivate)),
    )?;
    Ok(pointer_of(handle).cast())
}

/// The output `pVideoOutput` names; anything else is `E_HANDLE`.
pub(crate) fn output(pVideoOutput: *mut IOPMVideoOutput) -> Outcome<Arc<OpmVideoOutput>> {
    TABLE
        .find(pVideoOutput as usize, |entry| match &entry.object {
            Object::Output(output) => Some(output.clone()),
            _ => None,
        })
        .ok_or(HResult(E_HANDLE))
}

/// Releases an output (checked as by [`output`]).
pub(crate) fn remove_output(pVideoOutput: *mut IOPMVideoOutput) -> Outcome {
    output(pVideoOutput)?;
    let removed = TABLE.write().remove(&(pVideoOutput as usize));
    drop(removed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::store::KeyStore;
    use keyward_cryptosession::{
        DeviceCredentials, Guid, D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_KEY_EXCHANGE_RSAES_OAEP,
    };
    use std::sync::OnceLock;

    /// One set of device credentials per test binary, in a fresh temporary key store.
    fn credentials() -> Arc<DeviceCredentials> {
        static CREDENTIALS: OnceLock<Arc<DeviceCredentials>> = OnceLock::new();
        CREDENTIALS
            .get_or_init(|| {
                let dir = keyward_test_support::TempDir::new("ffi-d3d11-unit");
                let store = KeyStore::open(&dir).expect("temporary key store");
                let credentials = DeviceCredentials::load_or_create(&store).expect("credentials");
                Arc::new(credentials)
            })
            .clone()
    }

    fn open() -> D3D10DDI_HDEVICE {
        insert_device(VideoDevice::with_credentials(credentials())).unwrap()
    }

    fn new_session(device: &Device) -> CryptoSession {
        device
            .device
            .create_crypto_session(
                &D3D11_CRYPTO_TYPE_AES128_CTR,
                &Guid::NULL,
                &D3D11_KEY_EXCHANGE_RSAES_OAEP,
            )
            .unwrap()
    }

    fn memory_of(words: &mut [u64; 4]) -> D3D11_1DDI_HCRYPTOSESSION {
        D3D11_1DDI_HCRYPTOSESSION {
            pDrvPrivate: words.as_mut_ptr().cast(),
        }
    }

    #[test]
    fn forged_handles_name_nothing() {
        for forged in [0usize, 1, usize::MAX, 0x5EED_5EED] {
            let pointer = pointer_of(forged);
            let hDevice = D3D10DDI_HDEVICE {
                pDrvPrivate: pointer,
            };
            let hResource = D3D10DDI_HRESOURCE {
                pDrvPrivate: pointer,
            };
            assert_eq!(device(hDevice).err(), Some(HResult(E_HANDLE)));
            assert_eq!(last_error(hDevice).err(), Some(HResult(E_HANDLE)));
            assert_eq!(resource(hDevice, hResource).err(), Some(HResult(E_HANDLE)));
            assert_eq!(output(pointer.cast()).err(), Some(HResult(E_HANDLE)));
            assert_eq!(close_device(hDevice), Err(HResult(E_HANDLE)));
        }
    }

    #[test]
    fn handles_are_typed() {
        let hDevice = open();
        let hResource = insert_resource(hDevice, vec![1, 2, 3]).unwrap();
        // A resource handle is not a device, and a device handle not a resource.
        let as_device = D3D10DDI_HDEVICE {
            pDrvPrivate: hResource.pDrvPrivate,
        };
        assert_eq!(device(as_device).err(), Some(HResult(E_HANDLE)));
        let as_resource = D3D10DDI_HRESOURCE {
            pDrvPrivate: hDevice.pDrvPrivate,
        };
        assert_eq!(
            resource(hDevice, as_resource).err(),
            Some(HResult(E_HANDLE))
        );
        assert_eq!(resource(hDevice, hResource).unwrap().len(), 3);
        close_device(hDevice).unwrap();
    }

    #[test]
    fn session_memory_is_checked_on_every_call() {
        let hDevice = open();
        let device = device(hDevice).unwrap();
        const { assert!(SESSION_PRIVATE_SIZE <= 32) };
        let mut words = [0u64; 4];
        let memory = memory_of(&mut words);
        // SAFETY: `words` is 32 writable, aligned bytes that outlive the session.
        unsafe { insert_session(hDevice, memory, new_session(&device)) }.unwrap();
        // SAFETY: `words` holds the session written just above.
        let session = unsafe { session(memory) }.unwrap();

        // A copy of the memory elsewhere is not the session.
        let mut copy = words;
        // SAFETY: `copy` is initialized and readable.
        let outcome = unsafe { super::session(memory_of(&mut copy)) };
        assert_eq!(outcome.err(), Some(HResult(E_HANDLE)));
        // Zeroed memory holds no session; NULL and misaligned memory are bad arguments.
        let mut zeroed = [0u64; 4];
        // SAFETY: `zeroed` is initialized and readable.
        let outcome = unsafe { super::session(memory_of(&mut zeroed)) };
        assert_eq!(outcome.err(), Some(HResult(E_HANDLE)));
        let null = D3D11_1DDI_HCRYPTOSESSION {
            pDrvPrivate: core::ptr::null_mut(),
        };
        // SAFETY: NULL is refused before any read.
        let outcome = unsafe { super::session(null) };
        assert_eq!(outcome.err(), Some(HResult(E_INVALIDARG)));
        let misaligned = D3D11_1DDI_HCRYPTOSESSION {
            pDrvPrivate: words.as_mut_ptr().cast::<u8>().wrapping_add(1).cast(),
        };
        // SAFETY: misaligned memory is refused before any read.
        let outcome = unsafe { super::session(misaligned) };
        assert_eq!(outcome.err(), Some(HResult(E_INVALIDARG)));

        // Destroyed: unregistered and marked.
        let memory = memory_of(&mut words);
        // SAFETY: `words` holds the live session.
        unsafe { remove_session(memory, &session) }.unwrap();
        assert_eq!(words[0], DESTROYED);
        let memory = memory_of(&mut words);
        // SAFETY: `words` is initialized and readable.
        let outcome = unsafe { super::session(memory) };
        assert_eq!(outcome.err(), Some(HResult(E_HANDLE)));
        // SAFETY: as above.
        let outcome = unsafe { remove_session(memory, &session) };
        assert_eq!(outcome, Err(HResult(E_HANDLE)));
        close_device(hDevice).unwrap();
    }

    #[test]
    fn closing_a_device_closes_what_it_owns() {
        let hDevice = open();
        let other = open();
        let device = device(hDevice).unwrap();
        let hResource = insert_resource(hDevice, vec![0; 16]).unwrap();
        let theirs = insert_resource(other, vec![0; 16]).unwrap();
        let output = insert_output(
            hDevice,
            OpmVideoOutput::new(device.device.credentials().clone()),
        )
        .unwrap();
        let mut words = [0u64; 4];
        let memory = memory_of(&mut words);
        // SAFETY: `words` is 32 writable, aligned bytes that outlive the session.
        unsafe { insert_session(hDevice, memory, new_session(&device)) }.unwrap();
        // SAFETY: `words` holds the session.
        let session = unsafe { session(memory) }.unwrap();
        assert_eq!(
            resource(other, hResource).err(),
            Some(HResult(E_INVALIDARG))
        );

        close_device(hDevice).unwrap();
        assert_eq!(close_device(hDevice), Err(HResult(E_HANDLE)));
        assert_eq!(resource(hDevice, hResource).err(), Some(HResult(E_HANDLE)));
        assert_eq!(super::output(output).err(), Some(HResult(E_HANDLE)));
        // SAFETY: `words` is initialized and readable (still marked live: close does not
        // touch the caller's memory).
        let outcome = unsafe { super::session(memory_of(&mut words)) };
        assert_eq!(outcome.err(), Some(HResult(E_HANDLE)));
        assert_eq!(words[0], LIVE);
        assert!(session.session.is_destroyed());
        // The other device and its resource are untouched.
        assert!(resource(other, theirs).is_ok());
        close_device(other).unwrap();
        // Nothing may be made for a closed device.
        assert_eq!(
            insert_resource(hDevice, vec![1]).err(),
            Some(HResult(E_HANDLE))
        );
    }
}

//! The only place keyward-card calls C: pcsc-lite's `libpcsclite.so.1`, loaded at run time
//! (`dlopen`), so that building keyward needs no PC/SC headers, no pkg-config and no `-dev`
//! package, and every command that does not talk to a reader runs without the library.
//!
//! It declares only the calls [`super::pcsc`] makes, with pcsc-lite's Linux ABI
//! (`PCSC/wintypes.h`, `PCSC/pcsclite.h`, `PCSC/winscard.h` of pcsc-lite 1.9/2.x):
//! `DWORD` is `unsigned long`, `LONG` is `long`, `SCARDCONTEXT` and `SCARDHANDLE` are `LONG`,
//! and `SCARD_IO_REQUEST` is `{ unsigned long dwProtocol; unsigned long cbPciLength; }`.
//! (macOS's PC/SC framework uses 32-bit types instead; it is not supported here.)
//!
//! Every function here is safe to call: the library stays loaded for the life of the process
//! (it is kept in a `static`), handles are owned by [`Context`] and [`Card`], which release
//! them on drop, and every buffer handed to C comes with its true length.

#![allow(unsafe_code)]

use std::ffi::{c_char, c_long, c_ulong, c_void, CStr};
use std::sync::OnceLock;

/// The library's file name (the runtime package `libpcsclite1` on Debian).
pub(crate) const LIBRARY: &str = "libpcsclite.so.1";

/// `DWORD` on Linux pcsc-lite.
type Dword = c_ulong;
/// `LONG` on Linux pcsc-lite: the return code of every call and the handle type.
type Long = c_long;

/// `SCARD_S_SUCCESS`.
pub(crate) const SCARD_S_SUCCESS: u32 = 0;
/// `SCARD_SCOPE_USER`.
const SCARD_SCOPE_USER: Dword = 0;
/// `SCARD_SHARE_SHARED`.
const SCARD_SHARE_SHARED: Dword = 2;
/// `SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1`.
const SCARD_PROTOCOL_ANY: Dword = 0x0001 | 0x0002;
/// `SCARD_RESET_CARD`.
const SCARD_RESET_CARD: Dword = 1;
/// `MAX_ATR_SIZE`.
const MAX_ATR_SIZE: usize = 33;
/// `MAX_BUFFER_SIZE_EXTENDED`: the largest response APDU (64 KiB of data, header, Lc, Le,
/// SW1 SW2).
pub(crate) const MAX_BUFFER_SIZE_EXTENDED: usize = 4 + 3 + (1 << 16) + 3 + 2;

/// `SCARD_IO_REQUEST`: the protocol control information of `SCardTransmit`.
#[repr(C)]
struct IoRequest {
    protocol: Dword,
    pci_length: Dword,
}

type EstablishContext =
    unsafe extern "C" fn(Dword, *const c_void, *const c_void, *mut Long) -> Long;
type ReleaseContext = unsafe extern "C" fn(Long) -> Long;
type ListReaders = unsafe extern "C" fn(Long, *const c_char, *mut c_char, *mut Dword) -> Long;
type Connect =
    unsafe extern "C" fn(Long, *const c_char, Dword, Dword, *mut Long, *mut Dword) -> Long;
type Reconnect = unsafe extern "C" fn(Long, Dword, Dword, Dword, *mut Dword) -> Long;
type Disconnect = unsafe extern "C" fn(Long, Dword) -> Long;
type Status = unsafe extern "C" fn(
    Long,
    *mut c_char,
    *mut Dword,
    *mut Dword,
    *mut Dword,
    *mut u8,
    *mut Dword,
) -> Long;
type Transmit = unsafe extern "C" fn(
    Long,
    *const IoRequest,
    *const u8,
    Dword,
    *mut IoRequest,
    *mut u8,
    *mut Dword,
) -> Long;

/// The entry points of the loaded library.
struct Api {
    establish_context: EstablishContext,
    release_context: ReleaseContext,
    list_readers: ListReaders,
    connect: Connect,
    reconnect: Reconnect,
    disconnect: Disconnect,
    status: Status,
    transmit: Transmit,
    /// Keeps the library mapped; the function pointers above point into it.
    _library: libloading::Library,
}

/// The library, loaded on first use; the error says why it could not be.
fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| load(LIBRARY))
        .as_ref()
        .map_err(Clone::clone)
}

/// Loads `file` and resolves the calls keyward makes.
fn load(file: &str) -> Result<Api, String> {
    // SAFETY: loading pcsc-lite runs only its ELF constructors, which set up nothing but its
    // own state; no other thread can observe a half-loaded library.
    let library =
        unsafe { libloading::Library::new(file) }.map_err(|error| format!("{file}: {error}"))?;
    /// Resolves `name` as a function of type `T`.
    fn symbol<T: Copy>(library: &libloading::Library, name: &str) -> Result<T, String> {
        // SAFETY: each `T` above is the C signature pcsc-lite's winscard.h declares for
        // `name` (Linux ABI, see the module documentation); the pointer is used only while
        // `library` stays loaded, which `Api` guarantees by owning it.
        unsafe { library.get::<T>(name.as_bytes()) }
            .map(|symbol| *symbol)
            .map_err(|error| format!("{LIBRARY}: {name}: {error}"))
    }
    Ok(Api {
        establish_context: symbol(&library, "SCardEstablishContext")?,
        release_context: symbol(&library, "SCardReleaseContext")?,
        list_readers: symbol(&library, "SCardListReaders")?,
        connect: symbol(&library, "SCardConnect")?,
        reconnect: symbol(&library, "SCardReconnect")?,
        disconnect: symbol(&library, "SCardDisconnect")?,
        status: symbol(&library, "SCardStatus")?,
        transmit: symbol(&library, "SCardTransmit")?,
        _library: library,
    })
}

/// What a call can fail with: the library is missing, or a PC/SC return code (as the 32-bit
/// value pcsc-lite defines it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `libpcsclite.so.1` could not be loaded (the reason).
    Library(String),
    /// The call returned this code.
    Code(u32),
}

/// Turns a return code into a result.
fn checked(code: Long) -> Result<(), Failure> {
    // pcsc-lite codes are 32-bit values (0x8010xxxx) carried in a `long`.
    let code = code as u32;
    if code == SCARD_S_SUCCESS {
        Ok(())
    } else {
        Err(Failure::Code(code))
    }
}

/// A resource-manager context (`SCardEstablishContext`), released on drop.
pub(crate) struct Context {
    api: &'static Api,
    handle: Long,
}

impl Context {
    /// `SCardEstablishContext(SCARD_SCOPE_USER)`.
    pub(crate) fn establish() -> Result<Context, Failure> {
        let api = api().map_err(Failure::Library)?;
        let mut handle: Long = 0;
        // SAFETY: the reserved pointers may be NULL; `handle` is a valid out-pointer.
        checked(unsafe {
            (api.establish_context)(
                SCARD_SCOPE_USER,
                std::ptr::null(),
                std::ptr::null(),
                &mut handle,
            )
        })?;
        Ok(Context { api, handle })
    }

    /// `SCardListReaders`: the reader names (pcsc-lite reports none as
    /// `SCARD_E_NO_READERS_AVAILABLE`).
    pub(crate) fn readers(&self) -> Result<Vec<String>, Failure> {
        let mut len: Dword = 0;
        // SAFETY: a NULL buffer asks for the needed length, written to `len`.
        checked(unsafe {
            (self.api.list_readers)(
                self.handle,
                std::ptr::null(),
                std::ptr::null_mut(),
                &mut len,
            )
        })?;
        let mut names = vec![0u8; usize::try_from(len).unwrap_or(0).max(1)];
        let mut len = Dword::try_from(names.len()).unwrap_or(0);
        // SAFETY: `names` is writable for `len` bytes, which pcsc-lite respects (a longer
        // list, from a reader appearing in between, is SCARD_E_INSUFFICIENT_BUFFER).
        checked(unsafe {
            (self.api.list_readers)(
                self.handle,
                std::ptr::null(),
                names.as_mut_ptr().cast(),
                &mut len,
            )
        })?;
        names.truncate(usize::try_from(len).unwrap_or(0).min(names.len()));
        Ok(names
            .split(|&byte| byte == 0)
            .filter(|name| !name.is_empty())
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect())
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: `handle` came from SCardEstablishContext and is released once, here.
        let _ = unsafe { (self.api.release_context)(self.handle) };
    }
}

/// A connection to a card (`SCardConnect`) in a context of its own; on drop it disconnects
/// with a reset (`SCardDisconnect(SCARD_RESET_CARD)`), then releases the context.
pub(crate) struct Card {
    handle: Long,
    protocol: Dword,
    context: Context,
}

impl Card {
    /// `SCardConnect(SCARD_SHARE_SHARED, T=0 or T=1)` to the reader `name` in `context`.
    pub(crate) fn connect(context: Context, name: &CStr) -> Result<Card, Failure> {
        let mut handle: Long = 0;
        let mut protocol: Dword = 0;
        // SAFETY: `name` is NUL-terminated; both out-pointers are valid.
        checked(unsafe {
            (context.api.connect)(
                context.handle,
                name.as_ptr(),
                SCARD_SHARE_SHARED,
                SCARD_PROTOCOL_ANY,
                &mut handle,
                &mut protocol,
            )
        })?;
        Ok(Card {
            handle,
            protocol,
            context,
        })
    }

    /// `SCardTransmit` of one command APDU; the response is written to `response` and its
    /// length returned.
    pub(crate) fn transmit(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, Failure> {
        let request = IoRequest {
            protocol: self.protocol,
            pci_length: std::mem::size_of::<IoRequest>() as Dword,
        };
        let too_long = || Failure::Code(SCARD_E_INVALID_PARAMETER);
        let command_len = Dword::try_from(command.len()).map_err(|_| too_long())?;
        let mut len = Dword::try_from(response.len()).map_err(|_| too_long())?;
        // SAFETY: `command` is readable for `command_len` bytes, `response` writable for `len`
        // bytes; the receive PCI may be NULL.
        checked(unsafe {
            (self.context.api.transmit)(
                self.handle,
                &request,
                command.as_ptr(),
                command_len,
                std::ptr::null_mut(),
                response.as_mut_ptr(),
                &mut len,
            )
        })?;
        Ok(usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(response.len()))
    }

    /// `SCardReconnect(SCARD_SHARE_SHARED, T=0 or T=1, SCARD_RESET_CARD)`.
    pub(crate) fn reset(&mut self) -> Result<(), Failure> {
        let mut protocol: Dword = 0;
        // SAFETY: `protocol` is a valid out-pointer.
        checked(unsafe {
            (self.context.api.reconnect)(
                self.handle,
                SCARD_SHARE_SHARED,
                SCARD_PROTOCOL_ANY,
                SCARD_RESET_CARD,
                &mut protocol,
            )
        })?;
        self.protocol = protocol;
        Ok(())
    }

    /// The card's ATR (`SCardStatus`).
    pub(crate) fn atr(&mut self) -> Result<Vec<u8>, Failure> {
        let mut atr = [0u8; MAX_ATR_SIZE];
        let mut atr_len = atr.len() as Dword;
        let mut reader_len: Dword = 0;
        let mut state: Dword = 0;
        let mut protocol: Dword = 0;
        // SAFETY: a NULL reader buffer asks only for its length; `atr` is writable for
        // `atr_len` bytes; every other pointer is a valid out-pointer.
        checked(unsafe {
            (self.context.api.status)(
                self.handle,
                std::ptr::null_mut(),
                &mut reader_len,
                &mut state,
                &mut protocol,
                atr.as_mut_ptr(),
                &mut atr_len,
            )
        })?;
        let len = usize::try_from(atr_len).unwrap_or(0).min(atr.len());
        Ok(atr[..len].to_vec())
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        // SAFETY: `handle` came from SCardConnect and is disconnected once, here; the context
        // is released after this, when the fields drop.
        let _ = unsafe { (self.context.api.disconnect)(self.handle, SCARD_RESET_CARD) };
    }
}

/// `SCARD_E_INVALID_PARAMETER`.
const SCARD_E_INVALID_PARAMETER: u32 = 0x8010_0004;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_an_error_naming_it() {
        let error = load("libkeyward-no-such-pcsclite.so.1").err().unwrap();
        assert!(
            error.contains("libkeyward-no-such-pcsclite.so.1"),
            "{error}"
        );
    }

    #[test]
    fn the_io_request_has_pcsc_lites_layout() {
        assert_eq!(
            std::mem::size_of::<IoRequest>(),
            2 * std::mem::size_of::<c_ulong>()
        );
        assert_eq!(MAX_BUFFER_SIZE_EXTENDED, 65548);
    }
}

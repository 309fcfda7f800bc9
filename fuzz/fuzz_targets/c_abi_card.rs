//! The C ABI of the smart-card minidriver (cardmod.h v7): a fuzzed sequence of calls to the
//! exported `Card*` / `MD*` functions and keyward's `KeywardCard*` extensions, as a CSP makes
//! them, with fuzzed `CARD_DATA`s (versions, flags, allocators, ATRs, names, vendor
//! information, handles: real, stale, forged, zero), strings (known names, others, NULL,
//! misaligned), buffers and lengths (NULL, short, long), out-pointers (NULL, misaligned), key
//! handles, flags, relayed `CardGetSharedKeyHandle` messages (real, bit-flipped, fuzzed),
//! `CARD_ENCRYPTED_DATA` arrays (real `MDEncryptData` output, flipped, reordered, cut,
//! fuzzed), secure-function payloads, wrapped session keys and property values.
//!
//! Each run starts from a fresh copy of one virtual card (its state file made once per
//! process, with an RSA key-exchange key injected into container 1), a resource-manager
//! context and a connection; a prelude chosen by the input acquires a server (no-card mode),
//! clients with and without the static keys, and establishes the shared key or an RSA-wrapped
//! session key, so the fuzzed calls start deep in the protocol. The CSP allocator callbacks
//! count every block: whatever the minidriver hands out is freed by the run, and a block
//! still live at the end is a leak (a panic). Every pointer passed is valid for the length
//! passed with it (the functions' contract); everything else is the fuzzer's. Built with
//! AddressSanitizer by cargo-fuzz.
#![no_main]

use std::alloc::{alloc, dealloc, Layout};
use std::ffi::CString;
use std::mem::size_of;
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use keyward::card::extensions::*;
use keyward::card::minidriver::*;
use keyward::card::types::*;
use keyward_card::instructions::{key_data_blob, PinId};
use keyward_card::minidriver::secure_function::{
    CardAuthenticate, CardChangeAuthenticator, CardImportKeyPair,
};
use keyward_fuzz::{store_dir, ADMIN_PIN, RSA_KEY, USER_PIN};
use libfuzzer_sys::fuzz_target;

// ---- The CSP's allocator, counting -------------------------------------------------------------

/// Blocks handed out by `csp_alloc` and not yet freed.
static LIVE: AtomicI64 = AtomicI64::new(0);
/// The next allocation fails (returns NULL).
static FAIL_NEXT: AtomicBool = AtomicBool::new(false);
/// Room for the block's size in front of it.
const HEADER: usize = 16;

unsafe extern "system" fn csp_alloc(size: SIZE_T) -> LPVOID {
    if FAIL_NEXT.swap(false, Ordering::Relaxed) {
        return null_mut();
    }
    let Ok(layout) = Layout::from_size_align(size.saturating_add(HEADER), HEADER) else {
        return null_mut();
    };
    // SAFETY: a non-zero size; the header stores the size for `csp_free`.
    unsafe {
        let block = alloc(layout);
        if block.is_null() {
            return null_mut();
        }
        block.cast::<usize>().write(size);
        LIVE.fetch_add(1, Ordering::Relaxed);
        block.add(HEADER).cast()
    }
}

unsafe extern "system" fn csp_free(address: LPVOID) {
    if address.is_null() {
        return;
    }
    // SAFETY: `address` came from `csp_alloc`, which put the size in front of it.
    unsafe {
        let block = address.cast::<u8>().sub(HEADER);
        let size = block.cast::<usize>().read();
        dealloc(
            block,
            Layout::from_size_align_unchecked(size + HEADER, HEADER),
        );
    }
    LIVE.fetch_sub(1, Ordering::Relaxed);
}

unsafe extern "system" fn csp_realloc(address: LPVOID, size: SIZE_T) -> LPVOID {
    // SAFETY: as the two functions above.
    unsafe {
        let fresh = csp_alloc(size);
        if !address.is_null() && !fresh.is_null() {
            let old = address.cast::<u8>().sub(HEADER).cast::<usize>().read();
            std::ptr::copy_nonoverlapping(address.cast::<u8>(), fresh.cast(), old.min(size));
            csp_free(address);
        }
        fresh
    }
}

// ---- Fixtures ---------------------------------------------------------------------------------

fn keyset() -> KEYWARD_CARD_KEYSET {
    let mut keys = KEYWARD_CARD_KEYSET {
        dwKeyVersion: 0x30,
        cbKey: 16,
        rgbEnc: [0; 32],
        rgbMac: [0; 32],
        rgbDek: [0; 32],
    };
    for i in 0..16u8 {
        keys.rgbEnc[usize::from(i)] = i;
        keys.rgbMac[usize::from(i)] = 0x10 + i;
        keys.rgbDek[usize::from(i)] = 0x20 + i;
    }
    keys
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

fn path(name: &str) -> PathBuf {
    store_dir().join(name)
}

fn c_path(path: &PathBuf) -> CString {
    CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL in the store path")
}

/// A `CARD_DATA` as a CSP fills it before `CardAcquireContext`.
fn card_data(version: DWORD) -> Box<CARD_DATA> {
    // SAFETY: CARD_DATA is integers, pointers and optional function pointers: all zero is
    // valid (NULL everywhere).
    let mut data: Box<CARD_DATA> = Box::new(unsafe { std::mem::zeroed() });
    data.dwVersion = version;
    data.pfnCspAlloc = Some(csp_alloc);
    data.pfnCspReAlloc = Some(csp_realloc);
    data.pfnCspFree = Some(csp_free);
    data
}

/// One `CARD_DATA` of the run, with the storage its pointers point into.
struct Slot {
    data: Box<CARD_DATA>,
    _atr: Vec<u8>,
    _name: Vec<u16>,
}

/// Acquires a server (no-card mode, static keys) or a client of `card` (with the static
/// keys if `keys`).
fn acquire(context: SCARDCONTEXT, card: Option<SCARDHANDLE>, keys: bool) -> Option<Slot> {
    let keyset = keyset();
    let info = KEYWARD_CARD_VENDOR_INFO {
        dwVersion: KEYWARD_CARD_VENDOR_INFO_VERSION,
        dwSecurityLevel: KEYWARD_CARD_SECURITY_LEVEL_DEFAULT,
        pStaticKeys: &keyset,
        pbAid: null(),
        cbAid: 0,
    };
    let mut data = card_data(7);
    let mut atr = keyward_card::card::ATR.to_vec();
    let mut name = wide("keyward");
    let flags = match card {
        None => CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
        Some(card) => {
            data.hSCardCtx = context;
            data.hScard = card;
            data.pbAtr = atr.as_mut_ptr();
            data.cbAtr = atr.len() as DWORD;
            data.pwszCardName = name.as_mut_ptr();
            0
        }
    };
    if keys {
        data.pvVendorSpecific = (&info as *const KEYWARD_CARD_VENDOR_INFO).cast_mut().cast();
    }
    // SAFETY: a complete CARD_DATA whose pointers are valid for the call.
    let status = unsafe { CardAcquireContext(&mut *data, flags) };
    (status == SCARD_S_SUCCESS).then_some(Slot {
        data,
        _atr: atr,
        _name: name,
    })
}

/// Runs `CardGetSharedKeyHandle` on both sides until both hold a key.
fn establish(server: &mut CARD_DATA, client: &mut CARD_DATA) -> Option<(usize, usize)> {
    let (mut server_key, mut client_key) = (0, 0);
    let mut message: Vec<u8> = Vec::new();
    for step in 0..4 {
        let (side, key) = if step % 2 == 0 {
            (&mut *server, &mut server_key)
        } else {
            (&mut *client, &mut client_key)
        };
        let (mut out, mut len) = (null_mut(), 0);
        let input = if message.is_empty() {
            null_mut()
        } else {
            message.as_mut_ptr()
        };
        // SAFETY: the message is valid for its length; the out-pointers are writable.
        let status = unsafe {
            CardGetSharedKeyHandle(side, input, message.len() as DWORD, &mut out, &mut len, key)
        };
        if status != SCARD_S_SUCCESS {
            return None;
        }
        message = take(out, len);
    }
    (server_key != 0 && client_key != 0).then_some((server_key, client_key))
}

/// Copies and frees a block the minidriver handed out.
fn take(block: PBYTE, len: DWORD) -> Vec<u8> {
    if block.is_null() {
        return Vec::new();
    }
    // SAFETY: the minidriver's block of `len` bytes, from `csp_alloc`.
    unsafe {
        let bytes = std::slice::from_raw_parts(block, len as usize).to_vec();
        csp_free(block.cast());
        bytes
    }
}

/// Copies and frees the `CARD_ENCRYPTED_DATA` block of `MDEncryptData`.
fn take_blobs(block: PCARD_ENCRYPTED_DATA, count: DWORD) -> Vec<Vec<u8>> {
    if block.is_null() {
        return Vec::new();
    }
    // SAFETY: one block from `csp_alloc`: `count` entries (written unaligned), then the blobs
    // they point to.
    unsafe {
        let blobs = (0..count as usize)
            .map(|i| {
                let entry = block.add(i).read_unaligned();
                std::slice::from_raw_parts(entry.pbEncryptedData, entry.cbEncryptedData as usize)
                    .to_vec()
            })
            .collect();
        csp_free(block.cast());
        blobs
    }
}

/// The template card: created once, with an RSA key-exchange key injected into container 1
/// through the minidriver (so `CardGetContainerInfo` and `CardImportSessionKey` have a key).
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let template = path("c-abi-card.template");
        let _ = std::fs::remove_file(&template);
        let keys = keyset();
        let c = c_path(&template);
        // SAFETY: valid pointers and lengths.
        let status = unsafe {
            KeywardCardCreateVirtualCard(
                c.as_ptr(),
                &keys,
                USER_PIN.as_ptr(),
                USER_PIN.len() as DWORD,
                ADMIN_PIN.as_ptr(),
                ADMIN_PIN.len() as DWORD,
            )
        };
        assert_eq!(status, SCARD_S_SUCCESS, "template card");
        let (mut context, mut card) = (0, 0);
        // SAFETY: valid pointers.
        unsafe {
            assert_eq!(KeywardCardEstablishContext(&mut context), SCARD_S_SUCCESS);
            assert_eq!(
                KeywardCardConnectVirtual(context, c.as_ptr(), &mut card),
                SCARD_S_SUCCESS
            );
        }
        let mut server = acquire(0, None, true).expect("template server");
        let mut client = acquire(context, Some(card), false).expect("template client");
        let (server_key, client_key) =
            establish(&mut server.data, &mut client.data).expect("template shared key");
        let mut payload = CardImportKeyPair {
            container: 1,
            pin: PinId::User,
            key_spec: AT_KEYEXCHANGE,
            key_size: 2048,
            key: RSA_KEY.to_vec(),
        }
        .to_bytes();
        let function = wide(CSF_IMPORT_KEYPAIR);
        let (mut blobs, mut count) = (null_mut(), 0);
        // SAFETY: valid pointers and lengths; the blobs are the minidriver's own.
        unsafe {
            assert_eq!(
                MDEncryptData(
                    &mut *server.data,
                    server_key,
                    function.as_ptr(),
                    payload.as_mut_ptr(),
                    payload.len() as DWORD,
                    0,
                    &mut blobs,
                    &mut count,
                ),
                SCARD_S_SUCCESS
            );
            assert_eq!(
                CardProcessEncryptedData(
                    &mut *client.data,
                    client_key,
                    function.as_ptr(),
                    blobs,
                    count,
                    null_mut(),
                    0,
                    null_mut(),
                    0,
                ),
                SCARD_S_SUCCESS,
                "template key injection"
            );
            csp_free(blobs.cast());
            CardDeleteContext(&mut *server.data);
            CardDeleteContext(&mut *client.data);
            KeywardCardReleaseContext(context);
        }
        template
    })
}

// ---- Fuzzed arguments --------------------------------------------------------------------------

/// A byte buffer and the length passed with it (at most the buffer's), or NULL with a length.
#[derive(Arbitrary, Debug)]
struct Bytes {
    null: bool,
    data: Vec<u8>,
    len: u16,
}

impl Bytes {
    fn parts(&mut self) -> (PBYTE, DWORD) {
        if self.null {
            return (null_mut(), DWORD::from(self.len % 64));
        }
        let len = usize::from(self.len).min(self.data.len());
        (self.data.as_mut_ptr(), len as DWORD)
    }
}

/// An output buffer: NULL (with a length) or exactly `len` writable bytes.
#[derive(Arbitrary, Debug)]
enum OutBuf {
    Null(u8),
    Buffer(u16),
}

impl OutBuf {
    fn storage(&self) -> Vec<u8> {
        match self {
            OutBuf::Null(_) => Vec::new(),
            OutBuf::Buffer(len) => vec![0; usize::from(len % 2048)],
        }
    }

    fn parts(&self, storage: &mut Vec<u8>) -> (PBYTE, DWORD) {
        match self {
            OutBuf::Null(len) => (null_mut(), DWORD::from(*len)),
            OutBuf::Buffer(_) => (storage.as_mut_ptr(), storage.len() as DWORD),
        }
    }
}

/// An out-parameter: writable, NULL, or misaligned (in writable storage).
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Out {
    Valid,
    Null,
    Misaligned,
}

/// Storage for an out-parameter of type `T` in any of the three shapes.
struct OutSlot<T> {
    storage: Vec<u64>,
    shape: Out,
    _type: std::marker::PhantomData<T>,
}

impl<T: Copy> OutSlot<T> {
    fn new(shape: Out) -> Self {
        OutSlot {
            storage: vec![0; size_of::<T>() / 8 + 2],
            shape,
            _type: std::marker::PhantomData,
        }
    }

    fn ptr(&mut self) -> *mut T {
        match self.shape {
            Out::Valid => self.storage.as_mut_ptr().cast(),
            Out::Null => null_mut(),
            Out::Misaligned => self
                .storage
                .as_mut_ptr()
                .cast::<u8>()
                .wrapping_add(1)
                .cast(),
        }
    }

    fn value(&self) -> Option<T> {
        // SAFETY: the storage holds a `T` (zeroed or written by the call); only plain data
        // types are used.
        matches!(self.shape, Out::Valid)
            .then(|| unsafe { self.storage.as_ptr().cast::<T>().read() })
    }
}

/// A UTF-16 string argument.
#[derive(Arbitrary, Debug)]
enum Name {
    /// One of the names the minidriver knows (or nearly).
    Known(u8),
    /// Any units, NUL-terminated.
    Other(Vec<u16>),
    Null,
    /// A known name at an odd address.
    Misaligned(u8),
}

const EXTRA_NAMES: [&str; 9] = [
    "SHA1",
    "SHA256",
    "SHA384",
    "SHA512",
    "MD5",
    "RSA",
    "KeyDataBlob",
    "OpaqueKeyBlob",
    "",
];

fn known_name(i: u8) -> &'static str {
    let all = CARD_STRING_CONSTANTS.len() + EXTRA_NAMES.len();
    let i = usize::from(i) % all;
    match CARD_STRING_CONSTANTS.get(i) {
        Some((_, value)) => value,
        None => EXTRA_NAMES[i - CARD_STRING_CONSTANTS.len()],
    }
}

/// The storage of a string argument, and whether it is passed at an odd address.
struct Text {
    storage: Vec<u16>,
    shape: Option<bool>,
}

impl Text {
    fn new(name: &Name) -> Self {
        let units = match name {
            Name::Known(i) | Name::Misaligned(i) => wide(known_name(*i)),
            Name::Other(units) => units.iter().copied().take(300).chain([0]).collect(),
            Name::Null => Vec::new(),
        };
        match name {
            Name::Null => Text {
                storage: Vec::new(),
                shape: None,
            },
            Name::Misaligned(_) => {
                // The units, byte by byte, one byte into the storage.
                let mut storage = vec![0u16; units.len() + 1];
                let bytes: Vec<u8> = units.iter().flat_map(|unit| unit.to_ne_bytes()).collect();
                // SAFETY: the storage holds 2 * (units + 1) bytes, more than 1 + the units'.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        storage.as_mut_ptr().cast::<u8>().add(1),
                        bytes.len(),
                    );
                }
                Text {
                    storage,
                    shape: Some(true),
                }
            }
            _ => Text {
                storage: units,
                shape: Some(false),
            },
        }
    }

    fn ptr(&mut self) -> LPCWSTR {
        match self.shape {
            None => null(),
            Some(false) => self.storage.as_ptr(),
            Some(true) => self.storage.as_ptr().cast::<u8>().wrapping_add(1).cast(),
        }
    }
}

/// A handle: one this run received, zero, or a forged value.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Handle {
    Pool(u8),
    Zero,
    Raw(usize),
}

fn pick(pool: &[usize], handle: Handle) -> usize {
    match handle {
        Handle::Pool(i) if !pool.is_empty() => pool[usize::from(i) % pool.len()],
        Handle::Pool(_) | Handle::Zero => 0,
        Handle::Raw(raw) => raw,
    }
}

/// Which `CARD_DATA` a call gets.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum CardRef {
    Slot(u8),
    Null,
    Misaligned,
    /// A never-acquired `CARD_DATA` whose `pvVendorSpecific` is this value.
    Forged(usize),
}

/// The `KEYWARD_CARD_VENDOR_INFO` of `CardAcquireContext`.
#[derive(Arbitrary, Debug)]
enum Vendor {
    Null,
    Info {
        version: Option<u32>,
        level: u8,
        keys: Keys,
        aid: Option<Bytes>,
    },
    Misaligned,
}

#[derive(Arbitrary, Debug)]
enum Keys {
    Null,
    Real,
    Other { version: u32, length: u32, fill: u8 },
}

impl Keys {
    fn keyset(&self) -> Option<KEYWARD_CARD_KEYSET> {
        match self {
            Keys::Null => None,
            Keys::Real => Some(keyset()),
            Keys::Other {
                version,
                length,
                fill,
            } => Some(KEYWARD_CARD_KEYSET {
                dwKeyVersion: *version % 0x100,
                cbKey: if *length % 2 == 0 { 16 } else { *length % 40 },
                rgbEnc: [*fill; 32],
                rgbMac: [fill.wrapping_add(1); 32],
                rgbDek: [fill.wrapping_add(2); 32],
            }),
        }
    }
}

/// `CardAcquireContext`'s flags.
#[derive(Arbitrary, Debug)]
enum AcquireFlags {
    Card,
    NoCard,
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum Atr {
    Real,
    Bytes(Bytes),
}

#[derive(Arbitrary, Debug)]
struct AcquireArgs {
    /// A fresh `CARD_DATA`, or one of the run's again.
    again: Option<u8>,
    version: u8,
    flags: AcquireFlags,
    context: Handle,
    card: Handle,
    atr: Atr,
    name: Name,
    vendor: Vendor,
    /// Which allocator callback is missing, if any.
    missing_allocator: Option<u8>,
}

/// A relayed `CardGetSharedKeyHandle` message.
#[derive(Arbitrary, Debug)]
enum Message {
    None,
    Pool(u8),
    Flipped { index: u8, at: u16, mask: u8 },
    Cut { index: u8, len: u16 },
    Bytes(Bytes),
}

/// A secure function's payload for `MDEncryptData`.
#[derive(Arbitrary, Debug)]
enum Payload {
    Authenticate {
        admin: bool,
        flags: u32,
        pin: Pin,
    },
    Change {
        unblock: bool,
        from_admin: bool,
        old: Pin,
        to_admin: bool,
        new: Pin,
        retries: u32,
    },
    Import {
        container: u8,
        admin: bool,
        key_spec: u32,
        key_size: u32,
        key: PrivateKey,
    },
    Raw(Bytes),
}

#[derive(Arbitrary, Debug)]
enum Pin {
    User,
    Admin,
    Other(Vec<u8>),
}

impl Pin {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Pin::User => USER_PIN.to_vec(),
            Pin::Admin => ADMIN_PIN.to_vec(),
            Pin::Other(pin) => pin.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum PrivateKey {
    Rsa,
    Ec,
    Cut(u16),
    Bytes(Vec<u8>),
}

/// EC P-256 key pair, PKCS#8 (made by OpenSSL; the card.c fixture).
const EC_PKCS8: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420\
8e089625b3751d475f5e326ebed1f7916d02a9d7b706e37c62d2f0e06dcddaeca14403420004c35c213758e36b94b7\
ec1b456567252c6465dabd3b27841852885be6ab3a94841ccd33a011d3dc4bb8ba813c91325051f3c5b477357a383407\
6a0b03ffd85f61";

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

fn pin_id(admin: bool) -> PinId {
    if admin {
        PinId::Admin
    } else {
        PinId::User
    }
}

impl Payload {
    fn bytes(&mut self) -> (Vec<u8>, bool, u16) {
        let bytes = match self {
            Payload::Authenticate { admin, flags, pin } => CardAuthenticate {
                flags: *flags % 4,
                pin: pin_id(*admin),
                pin_data: pin.bytes(),
            }
            .to_bytes(),
            Payload::Change {
                unblock,
                from_admin,
                old,
                to_admin,
                new,
                retries,
            } => CardChangeAuthenticator {
                flags: if *unblock { 1 } else { 0 },
                authenticating_pin: pin_id(*from_admin),
                authenticating_pin_data: old.bytes(),
                target_pin: pin_id(*to_admin),
                target_data: new.bytes(),
                retry_count: *retries % 8,
            }
            .to_bytes(),
            Payload::Import {
                container,
                admin,
                key_spec,
                key_size,
                key,
            } => CardImportKeyPair {
                container: *container % 10,
                pin: pin_id(*admin),
                key_spec: *key_spec % 8,
                key_size: *key_size,
                key: match key {
                    PrivateKey::Rsa => RSA_KEY.to_vec(),
                    PrivateKey::Ec => from_hex(EC_PKCS8),
                    PrivateKey::Cut(len) => RSA_KEY[..usize::from(*len) % RSA_KEY.len()].to_vec(),
                    PrivateKey::Bytes(bytes) => bytes.clone(),
                },
            }
            .to_bytes(),
            Payload::Raw(bytes) => return (bytes.data.clone(), bytes.null, bytes.len),
        };
        let len = bytes.len() as u16;
        (bytes, false, len)
    }
}

/// The `CARD_ENCRYPTED_DATA` array of `CardProcessEncryptedData`.
#[derive(Arbitrary, Debug)]
enum Encrypted {
    /// `MDEncryptData` output of this run.
    Pool {
        index: u8,
        flip: Option<(u16, u8)>,
        skip: u8,
        reverse: bool,
        /// How many entries fewer than the array holds are passed.
        fewer: u8,
    },
    Blobs(Vec<Bytes>),
    /// A NULL array with a count.
    Null(u8),
    /// A misaligned array (its entries are never read).
    Misaligned(u8),
}

/// A property value for `CardSetKeyProperty`.
#[derive(Arbitrary, Debug)]
enum Value {
    Pool(u8),
    ChainingCbc,
    Bytes(Bytes),
}

/// A session key for `MDImportSessionKey` / `KeywardCardWrapSessionKey`.
#[derive(Arbitrary, Debug)]
enum SessionKey {
    /// One this run wrapped.
    Pool(u8),
    Fresh(u8),
    Bytes(Bytes),
}

#[derive(Arbitrary, Debug)]
enum Path {
    Card,
    Scratch,
    Missing,
    Empty,
    Null,
}

#[derive(Arbitrary, Debug)]
enum Call {
    Acquire(Box<AcquireArgs>),
    Delete(CardRef),
    ContainerInfo {
        card: CardRef,
        index: u8,
        flags: u32,
        version: u32,
        info: Out,
    },
    Authenticate {
        card: CardRef,
        role: u8,
        flags: u32,
        pin: Pin,
        null_pin: bool,
        session_pin: Out,
        session_pin_len: Out,
        attempts: Out,
    },
    Deauthenticate {
        card: CardRef,
        roles: u32,
        flags: u32,
    },
    GetProperty {
        card: CardRef,
        name: Name,
        out: OutBuf,
        len: Out,
        flags: u32,
    },
    ImportSessionKey {
        card: CardRef,
        container: u8,
        padding: Option<(Name, Option<Bytes>)>,
        blob_type: Name,
        algorithm: Name,
        key: Out,
        input: Option<u8>,
        bytes: Bytes,
        /// `CARD_PADDING_OAEP` when None.
        flags: Option<u32>,
    },
    SharedKey {
        card: CardRef,
        message: Message,
        out: Out,
        len: Out,
        key: Out,
    },
    DestroyKey {
        card: CardRef,
        key: Handle,
    },
    AlgorithmProperty {
        card: CardRef,
        algorithm: Name,
        property: Name,
        out: OutBuf,
        len: Out,
        flags: u32,
    },
    GetKeyProperty {
        card: CardRef,
        key: Handle,
        property: Name,
        out: OutBuf,
        len: Out,
        flags: u32,
    },
    SetKeyProperty {
        card: CardRef,
        key: Handle,
        property: Name,
        value: Value,
        flags: u32,
    },
    MdImportSessionKey {
        card: CardRef,
        blob_type: Name,
        algorithm: Name,
        key: Out,
        session_key: SessionKey,
        raw_blob: bool,
    },
    MdEncryptData {
        card: CardRef,
        key: Handle,
        function: Name,
        payload: Payload,
        flags: u32,
        out: Out,
        count: Out,
    },
    ProcessEncryptedData {
        card: CardRef,
        key: Handle,
        function: Name,
        data: Encrypted,
        out: OutBuf,
        len: Out,
        flags: u32,
    },
    WrapSessionKey {
        public_key: Option<u8>,
        bytes: Bytes,
        hash: Name,
        session_key: SessionKey,
        out: OutBuf,
        len: Out,
    },
    EstablishContext(Out),
    ReleaseContext(Handle),
    ConnectVirtual {
        context: Handle,
        path: Path,
        out: Out,
    },
    /// Only the shapes refused before PC/SC is asked (no pcscd here).
    ConnectReader {
        context: Handle,
        reader: Option<Vec<u8>>,
    },
    Disconnect(Handle),
    GetAtr {
        card: Handle,
        out: OutBuf,
        len: Out,
    },
    CreateVirtualCard {
        path: Path,
        keys: Keys,
        user_pin: Bytes,
        admin_pin: Bytes,
    },
    /// The next `pfnCspAlloc` fails.
    FailNextAllocation,
}

/// The prelude: which contexts exist and which keys are shared before the fuzzed calls.
#[derive(Arbitrary, Debug)]
struct Prelude {
    server: bool,
    client_with_keys: bool,
    plain_client: bool,
    /// 0: nothing; 1: the shared key (server and the first client); 2: an RSA-wrapped
    /// session key (server and the plain client).
    establish: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    prelude: Prelude,
    calls: Vec<Call>,
}

// ---- The run --------------------------------------------------------------------------------

#[derive(Default)]
struct Run {
    slots: Vec<Slot>,
    /// Minidriver context handles that are live (acquired, not deleted).
    live: Vec<usize>,
    contexts: Vec<usize>,
    cards: Vec<usize>,
    keys: Vec<usize>,
    messages: Vec<Vec<u8>>,
    blob_sets: Vec<Vec<Vec<u8>>>,
    values: Vec<Vec<u8>>,
    public_keys: Vec<Vec<u8>>,
    wrapped: Vec<Vec<u8>>,
    session_keys: Vec<Vec<u8>>,
    /// A never-acquired CARD_DATA for forged handles and empty pools.
    scratch: Option<Box<CARD_DATA>>,
    misaligned: Vec<u64>,
    card_path: CString,
    scratch_path: CString,
}

impl Run {
    /// The `CARD_DATA` pointer of `card`.
    fn card(&mut self, card: CardRef) -> PCARD_DATA {
        match card {
            CardRef::Slot(i) if !self.slots.is_empty() => {
                let n = self.slots.len();
                &mut *self.slots[usize::from(i) % n].data
            }
            CardRef::Slot(_) => self.forged(0),
            CardRef::Null => null_mut(),
            CardRef::Misaligned => {
                self.misaligned = vec![0; size_of::<CARD_DATA>() / 8 + 2];
                self.misaligned
                    .as_mut_ptr()
                    .cast::<u8>()
                    .wrapping_add(1)
                    .cast()
            }
            CardRef::Forged(value) => self.forged(value),
        }
    }

    fn forged(&mut self, vendor: usize) -> PCARD_DATA {
        let mut data = card_data(7);
        data.pvVendorSpecific = std::ptr::without_provenance_mut(vendor);
        &mut **self.scratch.insert(data)
    }

    fn keep_key(&mut self, status: DWORD, key: Option<usize>) {
        if let (SCARD_S_SUCCESS, Some(key)) = (status, key) {
            if key != 0 {
                self.keys.push(key);
            }
        }
    }

    fn after_acquire(&mut self, slot: Slot) {
        self.live.push(slot.data.pvVendorSpecific as usize);
        self.slots.push(slot);
    }

    fn acquire_fuzzed(&mut self, args: &mut AcquireArgs) {
        let keyset = match &args.vendor {
            Vendor::Info { keys, .. } => keys.keyset(),
            _ => None,
        };
        let mut aid = match &mut args.vendor {
            Vendor::Info { aid: Some(aid), .. } => Some(aid),
            _ => None,
        };
        let (aid_ptr, aid_len) = aid.as_mut().map_or((null_mut(), 0), |aid| aid.parts());
        let info = match &args.vendor {
            Vendor::Info { version, level, .. } => Some(KEYWARD_CARD_VENDOR_INFO {
                dwVersion: version.unwrap_or(KEYWARD_CARD_VENDOR_INFO_VERSION),
                dwSecurityLevel: [0, 0x03, 0x13, 0x33, 0x02, 0x100 + u32::from(*level)]
                    [usize::from(*level) % 6],
                pStaticKeys: keyset.as_ref().map_or(null(), |keys| keys as *const _),
                pbAid: aid_ptr,
                cbAid: aid_len,
            }),
            _ => None,
        };
        let mut misaligned_info = vec![0u64; size_of::<KEYWARD_CARD_VENDOR_INFO>() / 8 + 2];
        let vendor: PVOID = match (&args.vendor, &info) {
            (Vendor::Misaligned, _) => misaligned_info
                .as_mut_ptr()
                .cast::<u8>()
                .wrapping_add(1)
                .cast(),
            (_, Some(info)) => (info as *const KEYWARD_CARD_VENDOR_INFO).cast_mut().cast(),
            _ => null_mut(),
        };
        let version = [3, 4, 5, 6, 7, 8, 9, 0][usize::from(args.version) % 8];
        let flags = match args.flags {
            AcquireFlags::Card => 0,
            AcquireFlags::NoCard => CARD_SECURE_KEY_INJECTION_NO_CARD_MODE,
            AcquireFlags::Raw(flags) => flags,
        };
        let mut atr = match &args.atr {
            Atr::Real => keyward_card::card::ATR.to_vec(),
            Atr::Bytes(bytes) => {
                bytes.data[..usize::from(bytes.len).min(bytes.data.len())].to_vec()
            }
        };
        let mut name_storage = Text::new(&args.name);
        let name = name_storage.ptr().cast_mut();
        let context = pick(&self.contexts, args.context);
        let card = pick(&self.cards, args.card);
        let again = args
            .again
            .filter(|_| !self.slots.is_empty())
            .map(|i| usize::from(i) % self.slots.len());
        let mut fresh = card_data(version);
        let data: &mut CARD_DATA = match again {
            Some(i) => &mut self.slots[i].data,
            None => &mut fresh,
        };
        // A live context in pvVendorSpecific stays (acquiring again is refused); anything
        // else there is replaced, since CardAcquireContext reads a vendor information there.
        if !self.live.contains(&(data.pvVendorSpecific as usize)) {
            data.pvVendorSpecific = vendor;
        }
        data.dwVersion = version;
        data.hSCardCtx = context;
        data.hScard = card;
        match &mut args.atr {
            Atr::Bytes(bytes) if bytes.null => {
                data.pbAtr = null_mut();
                data.cbAtr = DWORD::from(bytes.len % 64);
            }
            _ => {
                data.pbAtr = atr.as_mut_ptr();
                data.cbAtr = atr.len() as DWORD;
            }
        }
        data.pwszCardName = name;
        data.pfnCspAlloc = Some(csp_alloc);
        data.pfnCspReAlloc = Some(csp_realloc);
        data.pfnCspFree = Some(csp_free);
        match args.missing_allocator.map(|i| i % 3) {
            Some(0) => data.pfnCspAlloc = None,
            Some(1) => data.pfnCspReAlloc = None,
            Some(_) => data.pfnCspFree = None,
            None => {}
        }
        // SAFETY: a complete CARD_DATA whose pointers are valid for the call.
        let status = unsafe { CardAcquireContext(data, flags) };
        let handle = data.pvVendorSpecific as usize;
        // The pointers into this call's storage are not left behind.
        data.pbAtr = null_mut();
        data.cbAtr = 0;
        data.pwszCardName = null_mut();
        data.pfnCspAlloc = Some(csp_alloc);
        data.pfnCspReAlloc = Some(csp_realloc);
        data.pfnCspFree = Some(csp_free);
        if status == SCARD_S_SUCCESS {
            self.live.push(handle);
            if again.is_none() {
                self.slots.push(Slot {
                    data: fresh,
                    _atr: Vec::new(),
                    _name: Vec::new(),
                });
            }
        } else if !self.live.contains(&handle) {
            data.pvVendorSpecific = null_mut();
        }
    }

    /// The blobs of an `Encrypted` argument (for the array shapes), and how many entries
    /// the call is told there are (at most the blobs').
    fn encrypted(&self, data: &Encrypted) -> (Vec<Vec<u8>>, usize) {
        match data {
            Encrypted::Pool {
                index,
                flip,
                skip,
                reverse,
                fewer,
            } => {
                let mut blobs = if self.blob_sets.is_empty() {
                    Vec::new()
                } else {
                    self.blob_sets[usize::from(*index) % self.blob_sets.len()].clone()
                };
                if let Some((at, mask)) = flip {
                    let total: usize = blobs.iter().map(Vec::len).sum();
                    if total > 0 {
                        let mut at = usize::from(*at) % total;
                        for blob in &mut blobs {
                            if at < blob.len() {
                                blob[at] ^= (*mask).max(1);
                                break;
                            }
                            at -= blob.len();
                        }
                    }
                }
                let skip = usize::from(*skip % 4).min(blobs.len());
                blobs.drain(..skip);
                if *reverse {
                    blobs.reverse();
                }
                let count = blobs.len().saturating_sub(usize::from(*fewer % 4));
                (blobs, count)
            }
            Encrypted::Blobs(list) => {
                let blobs: Vec<Vec<u8>> = list
                    .iter()
                    .take(8)
                    .map(|b| b.data[..usize::from(b.len).min(b.data.len())].to_vec())
                    .collect();
                let count = blobs.len();
                (blobs, count)
            }
            Encrypted::Null(count) | Encrypted::Misaligned(count) => {
                (Vec::new(), usize::from(*count))
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let template = template();
    let work = path("c-abi-card.state");
    let scratch = path("c-abi-card.scratch");
    let _ = std::fs::remove_file(&scratch);
    std::fs::copy(template, &work).expect("a fresh copy of the template card");
    let mut run = Run {
        card_path: c_path(&work),
        scratch_path: c_path(&scratch),
        ..Run::default()
    };
    let (mut context, mut card) = (0, 0);
    // SAFETY: valid pointers.
    unsafe {
        assert_eq!(KeywardCardEstablishContext(&mut context), SCARD_S_SUCCESS);
        assert_eq!(
            KeywardCardConnectVirtual(context, run.card_path.as_ptr(), &mut card),
            SCARD_S_SUCCESS
        );
    }
    run.contexts.push(context);
    run.cards.push(card);

    let prelude = &input.prelude;
    let server = prelude.server.then(|| acquire(0, None, true)).flatten();
    let with_keys = prelude
        .client_with_keys
        .then(|| acquire(context, Some(card), true))
        .flatten();
    let plain = prelude
        .plain_client
        .then(|| acquire(context, Some(card), false))
        .flatten();
    for slot in [server, with_keys, plain].into_iter().flatten() {
        run.after_acquire(slot);
    }
    match (prelude.establish % 3, run.slots.len()) {
        (1, 2..) => {
            let (first, rest) = run.slots.split_at_mut(1);
            if let Some((a, b)) = establish(&mut first[0].data, &mut rest[0].data) {
                run.keys.extend([a, b]);
            }
        }
        (2, 2..) if prelude.server && prelude.plain_client => {
            session_key(&mut run);
        }
        _ => {}
    }

    for call in input.calls.into_iter().take(24) {
        one_call(&mut run, call);
    }

    // Every context, connection and block of the run goes.
    for slot in &mut run.slots {
        // SAFETY: a CARD_DATA of this run.
        unsafe { CardDeleteContext(&mut *slot.data) };
    }
    for context in &run.contexts {
        // SAFETY: handles are never dereferenced.
        unsafe { KeywardCardReleaseContext(*context) };
    }
    FAIL_NEXT.store(false, Ordering::Relaxed);
    let live = LIVE.load(Ordering::Relaxed);
    assert_eq!(live, 0, "the minidriver leaked {live} pfnCspAlloc block(s)");
});

/// The RSA-wrapped session key between the server (slot 0) and the plain client (the last
/// slot), as card.c runs it: container 1's public key, wrapped, imported on both sides, the
/// card's nonce as the IV of both.
fn session_key(run: &mut Run) {
    let last = run.slots.len() - 1;
    let (first, rest) = run.slots.split_at_mut(1);
    let server = &mut *first[0].data;
    let client = &mut *rest[last - 1].data;
    // SAFETY: every pointer is valid for the length passed with it.
    unsafe {
        // SAFETY: CONTAINER_INFO is plain data.
        let mut info: CONTAINER_INFO = std::mem::zeroed();
        if CardGetContainerInfo(client, 1, 0, &mut info) != SCARD_S_SUCCESS {
            return;
        }
        let public = take(info.pbKeyExPublicKey, info.cbKeyExPublicKey);
        let _ = take(info.pbSigPublicKey, info.cbSigPublicKey);
        let sha256 = wide("SHA256");
        let session = [0x5Au8; 16];
        let mut wrapped = [0u8; 256];
        let mut wrapped_len = 0;
        if KeywardCardWrapSessionKey(
            public.as_ptr(),
            public.len() as DWORD,
            sha256.as_ptr(),
            session.as_ptr(),
            16,
            wrapped.as_mut_ptr(),
            256,
            &mut wrapped_len,
        ) != SCARD_S_SUCCESS
        {
            return;
        }
        let oaep = BCRYPT_OAEP_PADDING_INFO {
            pszAlgId: sha256.as_ptr(),
            pbLabel: null_mut(),
            cbLabel: 0,
        };
        let blob_type = wide("KeyDataBlob");
        let aes = wide("AES");
        let (mut client_key, mut server_key) = (0, 0);
        if CardImportSessionKey(
            client,
            1,
            (&oaep as *const BCRYPT_OAEP_PADDING_INFO).cast_mut().cast(),
            blob_type.as_ptr(),
            aes.as_ptr(),
            &mut client_key,
            wrapped.as_mut_ptr(),
            wrapped_len,
            CARD_PADDING_OAEP,
        ) != SCARD_S_SUCCESS
        {
            return;
        }
        run.keys.push(client_key);
        let Ok(blob) = key_data_blob(&session) else {
            return;
        };
        let mut blob = blob.expose().to_vec();
        if MDImportSessionKey(
            server,
            blob_type.as_ptr(),
            aes.as_ptr(),
            &mut server_key,
            blob.as_mut_ptr(),
            blob.len() as DWORD,
        ) != SCARD_S_SUCCESS
        {
            return;
        }
        run.keys.push(server_key);
        run.wrapped.push(wrapped[..wrapped_len as usize].to_vec());
        run.session_keys.push(session.to_vec());
        run.public_keys.push(public);
        let iv_name = wide(keyward_card::minidriver::properties::CKP_INITIALIZATION_VECTOR);
        let mut iv = [0u8; 16];
        let mut len = 0;
        if CardGetKeyProperty(
            client,
            client_key,
            iv_name.as_ptr(),
            iv.as_mut_ptr(),
            16,
            &mut len,
            0,
        ) != SCARD_S_SUCCESS
        {
            return;
        }
        run.values.push(iv.to_vec());
        for (side, key) in [(server, server_key), (client, client_key)] {
            CardSetKeyProperty(side, key, iv_name.as_ptr(), iv.as_mut_ptr(), 16, 0);
        }
    }
}

fn one_call(run: &mut Run, call: Call) {
    // SAFETY (every call below): each pointer points into storage that lives until the call
    // returns and is valid for the length passed with it, or is NULL; misaligned pointers
    // point into storage large enough for the type; handles are plain integers.
    unsafe {
        match call {
            Call::Acquire(mut args) => run.acquire_fuzzed(&mut args),
            Call::Delete(card) => {
                let data = run.card(card);
                let handle = if data.is_null() || !data.is_aligned() {
                    0
                } else {
                    (*data).pvVendorSpecific as usize
                };
                if CardDeleteContext(data) == SCARD_S_SUCCESS {
                    run.live.retain(|live| *live != handle);
                }
            }
            Call::ContainerInfo {
                card,
                index,
                flags,
                version,
                info,
            } => {
                let data = run.card(card);
                let mut slot = OutSlot::<CONTAINER_INFO>::new(info);
                if let Some(p) = Some(slot.ptr()).filter(|p| !p.is_null() && p.is_aligned()) {
                    (*p).dwVersion = version % 3;
                }
                let status = CardGetContainerInfo(data, index % 10, flags % 2, slot.ptr());
                if status == SCARD_S_SUCCESS {
                    if let Some(info) = slot.value() {
                        let signature = take(info.pbSigPublicKey, info.cbSigPublicKey);
                        let exchange = take(info.pbKeyExPublicKey, info.cbKeyExPublicKey);
                        run.public_keys
                            .extend([signature, exchange].into_iter().filter(|k| !k.is_empty()));
                    }
                }
            }
            Call::Authenticate {
                card,
                role,
                flags,
                pin,
                null_pin,
                session_pin,
                session_pin_len,
                attempts,
            } => {
                let data = run.card(card);
                let mut pin = pin.bytes();
                let (pin_ptr, pin_len) = if null_pin {
                    (null_mut(), pin.len() as DWORD)
                } else {
                    (pin.as_mut_ptr(), pin.len() as DWORD)
                };
                let mut session = OutSlot::<PBYTE>::new(session_pin);
                let mut session_len = OutSlot::<DWORD>::new(session_pin_len);
                let mut tries = OutSlot::<DWORD>::new(attempts);
                let status = CardAuthenticateEx(
                    data,
                    DWORD::from(role % 5),
                    flags % 0x80,
                    pin_ptr,
                    pin_len,
                    session.ptr(),
                    session_len.ptr(),
                    tries.ptr(),
                );
                if status == SCARD_S_SUCCESS {
                    if let (Some(block), Some(len)) = (session.value(), session_len.value()) {
                        let _ = take(block, len);
                    }
                }
            }
            Call::Deauthenticate { card, roles, flags } => {
                let data = run.card(card);
                CardDeauthenticateEx(data, roles, flags % 2);
            }
            Call::GetProperty {
                card,
                name,
                out,
                len,
                flags,
            } => {
                let data = run.card(card);
                let mut name = Text::new(&name);
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                CardGetProperty(data, name.ptr(), p, n, length.ptr(), flags % 4);
            }
            Call::ImportSessionKey {
                card,
                container,
                padding,
                blob_type,
                algorithm,
                key,
                input,
                mut bytes,
                flags,
            } => {
                let data = run.card(card);
                let mut hash_name = padding.as_ref().map(|(hash, _)| Text::new(hash));
                let mut label = padding.and_then(|(_, label)| label);
                let (label_ptr, label_len) = label.as_mut().map_or((null_mut(), 0), Bytes::parts);
                let oaep = hash_name.as_mut().map(|hash| BCRYPT_OAEP_PADDING_INFO {
                    pszAlgId: hash.ptr(),
                    pbLabel: label_ptr,
                    cbLabel: label_len,
                });
                let oaep_ptr: LPVOID = oaep.as_ref().map_or(null_mut(), |info| {
                    (info as *const BCRYPT_OAEP_PADDING_INFO).cast_mut().cast()
                });
                let mut blob_type = Text::new(&blob_type);
                let mut algorithm = Text::new(&algorithm);
                let mut key_out = OutSlot::<CARD_KEY_HANDLE>::new(key);
                let mut wrapped = match input {
                    Some(i) if !run.wrapped.is_empty() => {
                        run.wrapped[usize::from(i) % run.wrapped.len()].clone()
                    }
                    _ => Vec::new(),
                };
                let (p, n) = if wrapped.is_empty() {
                    bytes.parts()
                } else {
                    (wrapped.as_mut_ptr(), wrapped.len() as DWORD)
                };
                let flags = flags.unwrap_or(CARD_PADDING_OAEP);
                let status = CardImportSessionKey(
                    data,
                    container % 10,
                    oaep_ptr,
                    blob_type.ptr(),
                    algorithm.ptr(),
                    key_out.ptr(),
                    p,
                    n,
                    flags,
                );
                run.keep_key(status, key_out.value());
            }
            Call::SharedKey {
                card,
                message,
                out,
                len,
                key,
            } => {
                let data = run.card(card);
                let pooled = |i: u8| -> Vec<u8> {
                    if run.messages.is_empty() {
                        Vec::new()
                    } else {
                        run.messages[usize::from(i) % run.messages.len()].clone()
                    }
                };
                let mut bytes = match message {
                    Message::None => Bytes {
                        null: true,
                        data: Vec::new(),
                        len: 0,
                    },
                    Message::Pool(i) => {
                        let data = pooled(i);
                        let len = data.len() as u16;
                        Bytes {
                            null: data.is_empty(),
                            data,
                            len,
                        }
                    }
                    Message::Flipped { index, at, mask } => {
                        let mut data = pooled(index);
                        if !data.is_empty() {
                            let at = usize::from(at) % data.len();
                            data[at] ^= mask.max(1);
                        }
                        let len = data.len() as u16;
                        Bytes {
                            null: data.is_empty(),
                            data,
                            len,
                        }
                    }
                    Message::Cut { index, len } => {
                        let data = pooled(index);
                        let len = len % (data.len() as u16).max(1);
                        Bytes {
                            null: data.is_empty(),
                            data,
                            len,
                        }
                    }
                    Message::Bytes(bytes) => bytes,
                };
                let (p, n) = bytes.parts();
                let mut output = OutSlot::<PBYTE>::new(out);
                let mut length = OutSlot::<DWORD>::new(len);
                let mut key_out = OutSlot::<CARD_KEY_HANDLE>::new(key);
                let status =
                    CardGetSharedKeyHandle(data, p, n, output.ptr(), length.ptr(), key_out.ptr());
                if status == SCARD_S_SUCCESS {
                    if let Some(block) = output.value() {
                        let length = length.value().unwrap_or(0);
                        let message = take(block, length);
                        if !message.is_empty() {
                            run.messages.push(message);
                        }
                    }
                }
                run.keep_key(status, key_out.value());
            }
            Call::DestroyKey { card, key } => {
                let data = run.card(card);
                CardDestroyKey(data, pick(&run.keys, key));
            }
            Call::AlgorithmProperty {
                card,
                algorithm,
                property,
                out,
                len,
                flags,
            } => {
                let data = run.card(card);
                let mut algorithm = Text::new(&algorithm);
                let mut property = Text::new(&property);
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                CardGetAlgorithmProperty(
                    data,
                    algorithm.ptr(),
                    property.ptr(),
                    p,
                    n,
                    length.ptr(),
                    flags % 2,
                );
            }
            Call::GetKeyProperty {
                card,
                key,
                property,
                out,
                len,
                flags,
            } => {
                let data = run.card(card);
                let mut property = Text::new(&property);
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                let status = CardGetKeyProperty(
                    data,
                    pick(&run.keys, key),
                    property.ptr(),
                    p,
                    n,
                    length.ptr(),
                    flags % 2,
                );
                if let (SCARD_S_SUCCESS, Some(len)) = (status, length.value()) {
                    if let Some(value) = storage.get(..len as usize) {
                        run.values.push(value.to_vec());
                    }
                }
            }
            Call::SetKeyProperty {
                card,
                key,
                property,
                value,
                flags,
            } => {
                let data = run.card(card);
                let mut property = Text::new(&property);
                let mut bytes = match value {
                    Value::Pool(i) if !run.values.is_empty() => {
                        let data = run.values[usize::from(i) % run.values.len()].clone();
                        let len = data.len() as u16;
                        Bytes {
                            null: false,
                            data,
                            len,
                        }
                    }
                    Value::Pool(_) | Value::ChainingCbc => {
                        let data: Vec<u8> =
                            wide(keyward_card::minidriver::properties::CARD_CHAIN_MODE_CBC)
                                .iter()
                                .flat_map(|unit| unit.to_le_bytes())
                                .collect();
                        let len = data.len() as u16;
                        Bytes {
                            null: false,
                            data,
                            len,
                        }
                    }
                    Value::Bytes(bytes) => bytes,
                };
                let (p, n) = bytes.parts();
                CardSetKeyProperty(data, pick(&run.keys, key), property.ptr(), p, n, flags % 2);
            }
            Call::MdImportSessionKey {
                card,
                blob_type,
                algorithm,
                key,
                session_key,
                raw_blob,
            } => {
                let data = run.card(card);
                let mut blob_type = Text::new(&blob_type);
                let mut algorithm = Text::new(&algorithm);
                let mut key_out = OutSlot::<CARD_KEY_HANDLE>::new(key);
                let mut bytes = session_bytes(run, session_key);
                if !raw_blob {
                    if let Ok(blob) = key_data_blob(&bytes.data) {
                        bytes.data = blob.expose().to_vec();
                        bytes.len = bytes.data.len() as u16;
                    }
                }
                let (p, n) = bytes.parts();
                let status =
                    MDImportSessionKey(data, blob_type.ptr(), algorithm.ptr(), key_out.ptr(), p, n);
                run.keep_key(status, key_out.value());
            }
            Call::MdEncryptData {
                card,
                key,
                function,
                mut payload,
                flags,
                out,
                count,
            } => {
                let data = run.card(card);
                let mut function = Text::new(&function);
                let (data_bytes, null, len) = payload.bytes();
                let mut bytes = Bytes {
                    null,
                    data: data_bytes,
                    len,
                };
                let (p, n) = bytes.parts();
                let mut array = OutSlot::<PCARD_ENCRYPTED_DATA>::new(out);
                let mut entries = OutSlot::<DWORD>::new(count);
                let status = MDEncryptData(
                    data,
                    pick(&run.keys, key),
                    function.ptr(),
                    p,
                    n,
                    flags % 2,
                    array.ptr(),
                    entries.ptr(),
                );
                if status == SCARD_S_SUCCESS {
                    if let (Some(block), Some(count)) = (array.value(), entries.value()) {
                        run.blob_sets.push(take_blobs(block, count));
                    }
                }
            }
            Call::ProcessEncryptedData {
                card,
                key,
                function,
                data,
                out,
                len,
                flags,
            } => {
                let card_data = run.card(card);
                let mut function = Text::new(&function);
                let (mut blobs, count) = run.encrypted(&data);
                let mut entries: Vec<CARD_ENCRYPTED_DATA> = blobs
                    .iter_mut()
                    .map(|blob| CARD_ENCRYPTED_DATA {
                        pbEncryptedData: if blob.is_empty() {
                            null_mut()
                        } else {
                            blob.as_mut_ptr()
                        },
                        cbEncryptedData: blob.len() as DWORD,
                    })
                    .collect();
                // Zeroed entries for the count a misaligned array claims, one byte in.
                let mut odd = vec![0u64; count * size_of::<CARD_ENCRYPTED_DATA>() / 8 + 2];
                let array: PCARD_ENCRYPTED_DATA = match data {
                    Encrypted::Null(_) => null_mut(),
                    Encrypted::Misaligned(_) => {
                        odd.as_mut_ptr().cast::<u8>().wrapping_add(1).cast()
                    }
                    _ => entries.as_mut_ptr(),
                };
                let count = count as DWORD;
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                CardProcessEncryptedData(
                    card_data,
                    pick(&run.keys, key),
                    function.ptr(),
                    array,
                    count,
                    p,
                    n,
                    length.ptr(),
                    flags % 2,
                );
            }
            Call::WrapSessionKey {
                public_key,
                mut bytes,
                hash,
                session_key,
                out,
                len,
            } => {
                let mut pooled = match public_key {
                    Some(i) if !run.public_keys.is_empty() => {
                        run.public_keys[usize::from(i) % run.public_keys.len()].clone()
                    }
                    _ => Vec::new(),
                };
                let (kp, kn) = if pooled.is_empty() {
                    bytes.parts()
                } else {
                    (pooled.as_mut_ptr(), pooled.len() as DWORD)
                };
                let mut hash = Text::new(&hash);
                let mut session = session_bytes(run, session_key);
                let (sp, sn) = session.parts();
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                let status =
                    KeywardCardWrapSessionKey(kp, kn, hash.ptr(), sp, sn, p, n, length.ptr());
                if let (SCARD_S_SUCCESS, Some(len), false) = (status, length.value(), p.is_null()) {
                    if let Some(wrapped) = storage.get(..len as usize) {
                        run.wrapped.push(wrapped.to_vec());
                        let (sp, sn) = session.parts();
                        if !sp.is_null() {
                            run.session_keys
                                .push(std::slice::from_raw_parts(sp, sn as usize).to_vec());
                        }
                    }
                }
            }
            Call::EstablishContext(out) => {
                let mut context = OutSlot::<SCARDCONTEXT>::new(out);
                if KeywardCardEstablishContext(context.ptr()) == SCARD_S_SUCCESS {
                    run.contexts.extend(context.value());
                }
            }
            Call::ReleaseContext(handle) => {
                KeywardCardReleaseContext(pick(&run.contexts, handle));
            }
            Call::ConnectVirtual { context, path, out } => {
                let missing = c"/nonexistent/keyward/card.state";
                let text: *const std::ffi::c_char = match path {
                    Path::Card => run.card_path.as_ptr(),
                    Path::Scratch => run.scratch_path.as_ptr(),
                    Path::Missing => missing.as_ptr(),
                    Path::Empty => c"".as_ptr(),
                    Path::Null => null(),
                };
                let mut card = OutSlot::<SCARDHANDLE>::new(out);
                if KeywardCardConnectVirtual(pick(&run.contexts, context), text, card.ptr())
                    == SCARD_S_SUCCESS
                {
                    run.cards.extend(card.value());
                }
            }
            Call::ConnectReader { context, reader } => {
                let reader = reader.map(|mut bytes| {
                    bytes.retain(|b| *b != 0);
                    bytes.truncate(300);
                    bytes.push(0);
                    bytes
                });
                let mut unused: SCARDHANDLE = 0;
                let (text, out) = match &reader {
                    // A name with a NULL out-pointer: refused before PC/SC is asked.
                    Some(name) => (name.as_ptr().cast(), null_mut()),
                    None => (null(), &mut unused as *mut SCARDHANDLE),
                };
                KeywardCardConnectReader(pick(&run.contexts, context), text, out);
            }
            Call::Disconnect(handle) => {
                KeywardCardDisconnect(pick(&run.cards, handle));
            }
            Call::GetAtr { card, out, len } => {
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<DWORD>::new(len);
                KeywardCardGetAtr(pick(&run.cards, card), p, n, length.ptr());
            }
            Call::CreateVirtualCard {
                path,
                keys,
                mut user_pin,
                mut admin_pin,
            } => {
                let text: *const std::ffi::c_char = match path {
                    // The run's own card exists: refused.
                    Path::Card => run.card_path.as_ptr(),
                    Path::Scratch | Path::Missing => run.scratch_path.as_ptr(),
                    Path::Empty => c"".as_ptr(),
                    Path::Null => null(),
                };
                let keyset = keys.keyset();
                let (up, un) = user_pin.parts();
                let (ap, an) = admin_pin.parts();
                KeywardCardCreateVirtualCard(
                    text,
                    keyset.as_ref().map_or(null(), |k| k as *const _),
                    up,
                    un,
                    ap,
                    an,
                );
            }
            Call::FailNextAllocation => FAIL_NEXT.store(true, Ordering::Relaxed),
        }
    }
}

/// The bytes of a session key argument.
fn session_bytes(run: &Run, key: SessionKey) -> Bytes {
    let data = match key {
        SessionKey::Pool(i) if !run.session_keys.is_empty() => {
            run.session_keys[usize::from(i) % run.session_keys.len()].clone()
        }
        SessionKey::Pool(_) => vec![0x5A; 16],
        SessionKey::Fresh(fill) => vec![fill; [16, 24, 32][usize::from(fill) % 3]],
        SessionKey::Bytes(bytes) => return bytes,
    };
    let len = data.len() as u16;
    Bytes {
        null: false,
        data,
        len,
    }
}

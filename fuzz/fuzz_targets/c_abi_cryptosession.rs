//! The C ABI of the Direct3D 11 crypto session and OPM: a fuzzed sequence of calls to the
//! exported DDI functions (`CreateCryptoSession`, `NegotiateCryptoSessionKeyExchange`,
//! `EncryptionBlt`, `DecryptionBlt`, the key refresh, `GetEncryptionBltKey`, certificates,
//! capabilities), keyward's `KeywardD3D11*` runtime and application helpers, and the OPM
//! functions (`OPMVideoOutput*`, `KeywardOPM*`), with fuzzed devices, session memory (live,
//! destroyed, never created, forged contents, NULL, misaligned), resources, video outputs and
//! their memory (real, stale, forged), GUIDs, sizes, IVs, block patterns, content keys,
//! key-exchange blobs (real, bit-flipped, fuzzed) and OPM requests (really signed with the
//! output's key and sequence numbers, then fuzzed; or fuzzed outright).
//!
//! A prelude chosen by the input opens a device, creates a session, negotiates a key, makes
//! resources and initializes an OPM output, so the fuzzed calls start deep in the protocols.
//! Every device, output and block of a run is closed or freed at its end. Every pointer passed
//! is valid for the length passed with it (the functions' contract); everything else is the
//! fuzzer's. Built with AddressSanitizer by cargo-fuzz.
#![no_main]

use std::mem::size_of;
use std::ptr::{null, null_mut};

use arbitrary::Arbitrary;
use keyward::d3d11::cryptosession::*;
use keyward::d3d11::opm::*;
use keyward::d3d11::types::*;
use libfuzzer_sys::fuzz_target;

/// A byte buffer and the length passed with it (at most the buffer's), or NULL with a length.
#[derive(Arbitrary, Debug)]
struct Bytes {
    null: bool,
    data: Vec<u8>,
    len: u16,
}

impl Bytes {
    fn parts(&mut self) -> (*mut BYTE, UINT) {
        if self.null {
            return (null_mut(), UINT::from(self.len % 64));
        }
        let len = usize::from(self.len).min(self.data.len());
        (self.data.as_mut_ptr(), len as UINT)
    }

    fn of(data: Vec<u8>) -> Self {
        let len = data.len() as u16;
        Bytes {
            null: false,
            data,
            len,
        }
    }
}

/// An output buffer: NULL (with a length) or exactly `len` writable bytes.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum OutBuf {
    Null(u8),
    Buffer(u16),
}

impl OutBuf {
    fn storage(self) -> Vec<u8> {
        match self {
            OutBuf::Null(_) => Vec::new(),
            OutBuf::Buffer(len) => vec![0; usize::from(len % 4096)],
        }
    }

    fn parts(self, storage: &mut [u8]) -> (*mut BYTE, UINT) {
        match self {
            OutBuf::Null(len) => (null_mut(), UINT::from(len)),
            OutBuf::Buffer(_) => (storage.as_mut_ptr(), storage.len() as UINT),
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

/// An input structure: a value, NULL, or misaligned (its bytes one byte into the storage).
struct InSlot<T> {
    storage: Vec<u64>,
    shape: Out,
    _type: std::marker::PhantomData<T>,
}

impl<T: Copy> InSlot<T> {
    fn new(value: Option<T>, misaligned: bool) -> Self {
        let mut storage = vec![0u64; size_of::<T>() / 8 + 2];
        let shape = match (value, misaligned) {
            (None, _) => Out::Null,
            (Some(_), true) => Out::Misaligned,
            (Some(_), false) => Out::Valid,
        };
        if let Some(value) = value {
            let offset = usize::from(misaligned);
            // SAFETY: the storage holds size_of::<T>() + 8 bytes or more.
            unsafe {
                storage
                    .as_mut_ptr()
                    .cast::<u8>()
                    .add(offset)
                    .cast::<T>()
                    .write_unaligned(value)
            };
        }
        InSlot {
            storage,
            shape,
            _type: std::marker::PhantomData,
        }
    }

    fn ptr(&mut self) -> *const T {
        match self.shape {
            Out::Valid => self.storage.as_ptr().cast(),
            Out::Null => null(),
            Out::Misaligned => self.storage.as_ptr().cast::<u8>().wrapping_add(1).cast(),
        }
    }
}

/// A handle-like value: one this run received, zero, or a forged value.
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

fn device(value: usize) -> D3D10DDI_HDEVICE {
    D3D10DDI_HDEVICE {
        pDrvPrivate: std::ptr::without_provenance_mut(value),
    }
}

fn resource(value: usize) -> D3D10DDI_HRESOURCE {
    D3D10DDI_HRESOURCE {
        pDrvPrivate: std::ptr::without_provenance_mut(value),
    }
}

/// A GUID argument.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum GuidArg {
    Known(u8),
    Raw(u32, u16, u16, [u8; 8]),
    Null,
    Misaligned(u8),
}

fn known_guid(i: u8) -> GUID {
    let all: Vec<GUID> = CRYPTOSESSION_GUID_CONSTANTS
        .iter()
        .chain(OPM_GUID_CONSTANTS)
        .map(|(_, guid)| GUID::from(*guid))
        .chain([GUID {
            Data1: 0,
            Data2: 0,
            Data3: 0,
            Data4: [0; 8],
        }])
        .collect();
    all[usize::from(i) % all.len()]
}

impl GuidArg {
    fn value(self) -> Option<GUID> {
        match self {
            GuidArg::Known(i) | GuidArg::Misaligned(i) => Some(known_guid(i)),
            GuidArg::Raw(a, b, c, d) => Some(GUID {
                Data1: a,
                Data2: b,
                Data3: c,
                Data4: d,
            }),
            GuidArg::Null => None,
        }
    }

    fn slot(self) -> InSlot<GUID> {
        InSlot::new(self.value(), matches!(self, GuidArg::Misaligned(_)))
    }
}

/// The runtime memory of a crypto session.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Memory {
    /// Memory of this run (created into or not, destroyed or not).
    Pool(u8),
    /// Fresh memory never given to `CreateCryptoSession`, with these contents.
    Forged([u64; 2]),
    Null,
    Misaligned,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct CreateArgs {
    crypto: GuidArg,
    profile: GuidArg,
    exchange: GuidArg,
}

impl CreateArgs {
    fn value(self) -> D3D11_1DDIARG_CREATECRYPTOSESSION {
        let zero = GUID {
            Data1: 0,
            Data2: 0,
            Data3: 0,
            Data4: [0; 8],
        };
        D3D11_1DDIARG_CREATECRYPTOSESSION {
            CryptoType: self.crypto.value().unwrap_or(zero),
            DecodeProfile: self.profile.value().unwrap_or(zero),
            KeyExchangeType: self.exchange.value().unwrap_or(zero),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct CertArgs {
    kind: i32,
    crypto: GuidArg,
    misaligned: bool,
}

impl CertArgs {
    fn slot(self) -> InSlot<D3D11_1DDI_CERTIFICATE_INFO> {
        let kind = [2, 1, 0, self.kind][usize::from(self.kind.unsigned_abs() as u8) % 4];
        InSlot::new(
            Some(D3D11_1DDI_CERTIFICATE_INFO {
                CertificateType: kind,
                Anonymous: D3D11_1DDI_CERTIFICATE_INFO_0 {
                    CryptoSessionType: self.crypto.value().unwrap_or(known_guid(0)),
                },
            }),
            self.misaligned,
        )
    }
}

/// A key-exchange blob for `NegotiateCryptoSessionKeyExchange`.
#[derive(Arbitrary, Debug)]
enum Exchange {
    Pool(u8),
    Flipped { index: u8, at: u16, mask: u8 },
    Bytes(Bytes),
}

/// An IV argument: NULL with a size, or a buffer of the size.
#[derive(Arbitrary, Debug)]
enum Iv {
    Null(u8),
    Buffer { size: u8, fill: [u8; 16] },
}

impl Iv {
    fn storage(&self) -> Vec<u8> {
        match self {
            Iv::Null(_) => Vec::new(),
            Iv::Buffer { size, fill } => {
                let size = [16, 0, 8, 15, 17, 32][usize::from(*size) % 6];
                (0..size).map(|i| fill[i % 16]).collect()
            }
        }
    }

    fn parts(&self, storage: &mut [u8]) -> (*mut VOID, UINT) {
        match self {
            Iv::Null(size) => (null_mut(), UINT::from(*size % 20)),
            Iv::Buffer { .. } => (storage.as_mut_ptr().cast(), storage.len() as UINT),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum BlockInfo {
    None,
    Pattern(u32, u32, u32),
    Misaligned(u32, u32, u32),
}

impl BlockInfo {
    fn slot(self) -> InSlot<D3D11_1DDI_ENCRYPTED_BLOCK_INFO> {
        let value = |a: u32, b: u32, c: u32| D3D11_1DDI_ENCRYPTED_BLOCK_INFO {
            NumEncryptedBytesAtBeginning: a % 4096,
            NumBytesInSkipPattern: b % 4096,
            NumBytesInEncryptPattern: c % 4096,
        };
        match self {
            BlockInfo::None => InSlot::new(None, false),
            BlockInfo::Pattern(a, b, c) => InSlot::new(Some(value(a, b, c)), false),
            BlockInfo::Misaligned(a, b, c) => InSlot::new(Some(value(a, b, c)), true),
        }
    }
}

/// A fixed-size array argument: NULL or exactly `N` bytes.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Fixed<const N: usize> {
    Null,
    Bytes([u8; N]),
}

/// An OPM request or command, signed as an application signs it for the output it goes to
/// (with its key and next sequence number, once it is initialized), then changed.
#[derive(Arbitrary, Debug)]
enum Signed {
    Request {
        guid: GuidArg,
        /// The output's next sequence number when None.
        sequence: Option<u32>,
        parameters: Parameters,
        size: Option<u32>,
        flip: Option<(u16, u8)>,
        random: [u8; 16],
    },
    Raw {
        bytes: Vec<u8>,
        misaligned: bool,
    },
    Null,
}

/// The parameters of an OPM request or command.
#[derive(Arbitrary, Debug)]
enum Parameters {
    Empty,
    /// `OPM_PROTECTION_TYPE_HDCP`, as the protection-level requests take it.
    Hdcp,
    /// An `OPM_SET_PROTECTION_LEVEL_PARAMETERS` for HDCP, on or off.
    ProtectionLevel(bool),
    Bytes(Vec<u8>),
}

impl Parameters {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Parameters::Empty => Vec::new(),
            Parameters::Hdcp => OPM_PROTECTION_TYPE_HDCP.to_le_bytes().to_vec(),
            Parameters::ProtectionLevel(on) => [
                OPM_PROTECTION_TYPE_HDCP,
                if *on { OPM_HDCP_ON } else { OPM_HDCP_OFF },
                0,
                0,
            ]
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect(),
            Parameters::Bytes(bytes) => bytes.clone(),
        }
    }
}

/// The OPM initialization parameters for `KeywardOPMEncryptInitializationParameters`.
#[derive(Arbitrary, Debug)]
enum InitParams {
    /// The 40 bytes for output `output`: its random number, this key, these sequences.
    Real {
        output: u8,
        key: [u8; 16],
        status: u32,
        command: u32,
        wrong_random: bool,
    },
    Bytes(Bytes),
}

/// Memory for `KeywardOPMFreeMemory`.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum OpmMemory {
    Pool(u8),
    Null,
    Raw(usize),
}

#[derive(Arbitrary, Debug)]
enum Call {
    OpenDevice(Out),
    CloseDevice(Handle),
    LastError(Handle),
    Caps {
        device: Handle,
        crypto: GuidArg,
        profile: GuidArg,
        out: Out,
    },
    KeyExchangeType {
        device: Handle,
        crypto: GuidArg,
        profile: GuidArg,
        index: u32,
        out: Out,
    },
    CreateSession {
        device: Handle,
        create: Option<CreateArgs>,
        memory: Memory,
        misaligned_args: bool,
    },
    DestroySession {
        device: Handle,
        memory: Memory,
    },
    SessionHandle {
        device: Handle,
        memory: Memory,
        out: Out,
    },
    CertificateSize {
        device: Handle,
        info: Option<CertArgs>,
        out: Out,
    },
    Certificate {
        device: Handle,
        info: Option<CertArgs>,
        out: OutBuf,
    },
    Negotiate {
        device: Handle,
        memory: Memory,
        exchange: Exchange,
    },
    BuildBlob {
        chain: Option<u8>,
        bytes: Bytes,
        key: bool,
        blob: bool,
    },
    EncryptionBlt {
        device: Handle,
        memory: Memory,
        source: Handle,
        destination: Handle,
        iv: Iv,
    },
    DecryptionBlt {
        device: Handle,
        memory: Memory,
        source: Handle,
        destination: Handle,
        blocks: BlockInfo,
        content_key: Option<Bytes>,
        iv: Iv,
    },
    StartRefresh {
        device: Handle,
        memory: Memory,
        random: OutBuf,
    },
    FinishRefresh {
        device: Handle,
        memory: Memory,
    },
    BltKey {
        device: Handle,
        memory: Memory,
        key: OutBuf,
    },
    CreateResource {
        device: Handle,
        data: Bytes,
        out: Out,
    },
    ReadResource {
        device: Handle,
        resource: Handle,
        out: OutBuf,
        len: Out,
    },
    WriteResource {
        device: Handle,
        resource: Handle,
        data: Bytes,
    },
    DestroyResource {
        device: Handle,
        resource: Handle,
    },
    AesCtr {
        key: Fixed<16>,
        iv: Option<(u64, u64)>,
        blocks: BlockInfo,
        data: Bytes,
    },
    WrapKey {
        session_key: Fixed<16>,
        key: Fixed<16>,
        out: bool,
        unwrap: bool,
    },
    GetVideoOutput {
        device: Handle,
        semantics: i32,
        out: Out,
    },
    ReleaseVideoOutput(Handle),
    FreeMemory(OpmMemory),
    StartInitialization {
        output: Handle,
        random: Out,
        certificate: Out,
        length: Out,
    },
    EncryptInitialization {
        chain: Option<u8>,
        bytes: Bytes,
        parameters: InitParams,
        out: Out,
    },
    FinishInitialization {
        output: Handle,
        /// One of the run's encrypted parameter sets, maybe flipped; or these bytes.
        pool: Option<(u8, Option<(u8, u8)>)>,
        raw: Fixed<256>,
        misaligned: bool,
    },
    GetInformation {
        output: Handle,
        request: Signed,
        answer: Out,
    },
    CoppGetInformation {
        output: Handle,
        request: Option<bool>,
        answer: Out,
    },
    Configure {
        output: Handle,
        command: Signed,
        additional: Bytes,
    },
    ComputeOmac {
        key: Fixed<16>,
        data: Bytes,
        out: Out,
    },
}

/// The prelude: what exists before the fuzzed calls.
#[derive(Arbitrary, Debug)]
struct Prelude {
    session: bool,
    negotiate: bool,
    resources: Option<u8>,
    opm: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    prelude: Prelude,
    calls: Vec<Call>,
}

/// An OPM output of the run and what its application knows.
struct Output {
    handle: usize,
    random: Option<[u8; 16]>,
    chain: Vec<u8>,
    key: Option<[u8; 16]>,
    status: u32,
    command: u32,
}

/// Encrypted initialization parameters of the run, with what they carry.
struct Initialization {
    output: usize,
    encrypted: OPM_ENCRYPTED_INITIALIZATION_PARAMETERS,
    key: [u8; 16],
    status: u32,
    command: u32,
}

#[derive(Default)]
struct Run {
    devices: Vec<usize>,
    /// Session memory: each lives to the end of the run (the DDI's contract).
    memory: Vec<Box<[u64; 4]>>,
    resources: Vec<usize>,
    chains: Vec<Vec<u8>>,
    blobs: Vec<Vec<u8>>,
    outputs: Vec<Output>,
    initializations: Vec<Initialization>,
    opm_memory: Vec<usize>,
    forged: Box<[u64; 4]>,
    misaligned: Box<[u64; 4]>,
}

impl Run {
    fn device(&self, handle: Handle) -> D3D10DDI_HDEVICE {
        device(pick(&self.devices, handle))
    }

    fn session(&mut self, memory: Memory) -> D3D11_1DDI_HCRYPTOSESSION {
        let pointer: *mut VOID = match memory {
            Memory::Pool(i) if !self.memory.is_empty() => {
                let n = self.memory.len();
                self.memory[usize::from(i) % n].as_mut_ptr().cast()
            }
            Memory::Pool(_) | Memory::Null => null_mut(),
            Memory::Forged(words) => {
                self.forged[..2].copy_from_slice(&words);
                self.forged.as_mut_ptr().cast()
            }
            Memory::Misaligned => self
                .misaligned
                .as_mut_ptr()
                .cast::<u8>()
                .wrapping_add(1)
                .cast(),
        };
        D3D11_1DDI_HCRYPTOSESSION {
            pDrvPrivate: pointer,
        }
    }

    fn output(&self, handle: Handle) -> *mut IOPMVideoOutput {
        let handles: Vec<usize> = self.outputs.iter().map(|o| o.handle).collect();
        std::ptr::without_provenance_mut(pick(&handles, handle))
    }

    fn output_index(&self, handle: usize) -> Option<usize> {
        self.outputs.iter().position(|o| o.handle == handle)
    }

    /// Creates a session of `device` in new runtime memory.
    fn create_session(
        &mut self,
        device: D3D10DDI_HDEVICE,
        args: Option<CreateArgs>,
        misaligned: bool,
    ) {
        // The runtime's arguments unless fuzzed ones are given.
        let create = args.map_or(
            D3D11_1DDIARG_CREATECRYPTOSESSION {
                CryptoType: D3D11_CRYPTO_TYPE_AES128_CTR.into(),
                DecodeProfile: GUID {
                    Data1: 0,
                    Data2: 0,
                    Data3: 0,
                    Data4: [0; 8],
                },
                KeyExchangeType: D3D11_KEY_EXCHANGE_RSAES_OAEP.into(),
            },
            CreateArgs::value,
        );
        let mut create = InSlot::new(Some(create), misaligned);
        let mut memory = Box::new([0u64; 4]);
        let session = D3D11_1DDI_HCRYPTOSESSION {
            pDrvPrivate: memory.as_mut_ptr().cast(),
        };
        // SAFETY: the size is what the runtime allocates; the memory outlives the session.
        unsafe {
            assert!(CalcPrivateCryptoSessionSize(device, create.ptr()) <= size_of::<[u64; 4]>());
            CreateCryptoSession(
                device,
                create.ptr(),
                session,
                D3D11_1DDI_HRTCRYPTOSESSION { handle: null_mut() },
            );
        }
        self.memory.push(memory);
    }

    /// The device's certificate chain.
    fn chain(&mut self, device: D3D10DDI_HDEVICE) -> Option<Vec<u8>> {
        let info = D3D11_1DDI_CERTIFICATE_INFO {
            CertificateType: D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION,
            Anonymous: D3D11_1DDI_CERTIFICATE_INFO_0 {
                CryptoSessionType: D3D11_CRYPTO_TYPE_AES128_CTR.into(),
            },
        };
        let mut size = 0;
        // SAFETY: valid pointers.
        unsafe {
            GetCertificateSize(device, &info, &mut size);
            if KeywardD3D11GetLastError(device) != S_OK {
                return None;
            }
            let mut chain = vec![0u8; size as usize];
            GetCertificate(device, &info, size, chain.as_mut_ptr());
            (KeywardD3D11GetLastError(device) == S_OK).then_some(chain)
        }
    }

    /// A key-exchange blob for a fresh session key.
    fn blob(&mut self, chain: &[u8]) -> Option<Vec<u8>> {
        let mut key = [0u8; 16];
        let mut blob = vec![0u8; KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE as usize];
        // SAFETY: the chain's bytes; a 16-byte key and a blob of the exchange size.
        let status = unsafe {
            KeywardD3D11BuildSessionKeyBlob(
                chain.as_ptr(),
                chain.len() as UINT,
                key.as_mut_ptr(),
                blob.as_mut_ptr(),
            )
        };
        (status == S_OK).then(|| {
            self.blobs.push(blob.clone());
            blob
        })
    }

    fn pooled_chain(&self, chain: Option<u8>, bytes: Bytes) -> Bytes {
        match chain {
            Some(i) if !self.chains.is_empty() => {
                Bytes::of(self.chains[usize::from(i) % self.chains.len()].clone())
            }
            _ => bytes,
        }
    }

    /// An OPM output of `device`, initialized when `initialize`.
    fn opm(&mut self, device: D3D10DDI_HDEVICE, initialize: bool) {
        let mut output = null_mut();
        // SAFETY: valid pointers throughout; memory the library hands out is freed with
        // KeywardOPMFreeMemory.
        unsafe {
            if KeywardOPMGetVideoOutput(device, OPM_VOS_OPM_SEMANTICS, &mut output) != S_OK {
                return;
            }
            self.outputs.push(Output {
                handle: output as usize,
                random: None,
                chain: Vec::new(),
                key: None,
                status: 0,
                command: 0,
            });
            if !initialize {
                return;
            }
            let mut random: OPM_RANDOM_NUMBER = std::mem::zeroed();
            let (mut chain, mut length) = (null_mut(), 0);
            if OPMVideoOutputStartInitialization(output, &mut random, &mut chain, &mut length)
                != S_OK
            {
                return;
            }
            let bytes = std::slice::from_raw_parts(chain, length as usize).to_vec();
            KeywardOPMFreeMemory(chain.cast());
            let key = [0x4Bu8; 16];
            let mut plain = [0u8; 40];
            plain[..16].copy_from_slice(&random.abRandomNumber);
            plain[16..32].copy_from_slice(&key);
            let mut encrypted: OPM_ENCRYPTED_INITIALIZATION_PARAMETERS = std::mem::zeroed();
            if KeywardOPMEncryptInitializationParameters(
                bytes.as_ptr(),
                bytes.len() as ULONG,
                plain.as_ptr(),
                40,
                &mut encrypted,
            ) != S_OK
            {
                return;
            }
            let ok = OPMVideoOutputFinishInitialization(output, &encrypted) == S_OK;
            let last = self.outputs.len() - 1;
            let state = &mut self.outputs[last];
            state.random = Some(random.abRandomNumber);
            state.chain = bytes.clone();
            state.key = ok.then_some(key);
            self.chains.push(bytes);
        }
    }

    /// Signs `bytes` (an OPM structure) over everything after its OMAC, with `key`.
    fn sign(key: &[u8; 16], bytes: &mut [u8]) {
        let mut omac: OPM_OMAC = OPM_OMAC { abOMAC: [0; 16] };
        // SAFETY: a 16-byte key, the structure's bytes after the OMAC, a writable OMAC.
        unsafe {
            KeywardOPMComputeOMAC(
                key.as_ptr(),
                bytes[16..].as_ptr(),
                (bytes.len() - 16) as ULONG,
                &mut omac,
            );
        }
        bytes[..16].copy_from_slice(&omac.abOMAC);
    }

    /// The bytes of a signed request (`GetInformation`, `configure` false) or command
    /// (`Configure`) for `output`, of `size` bytes, whether it is passed misaligned, and the
    /// output whose sequence number it uses up if it succeeds; None for NULL.
    fn signed(
        &self,
        signed: &Signed,
        size: usize,
        configure: bool,
        output: *mut IOPMVideoOutput,
    ) -> Option<(Vec<u8>, bool, Option<usize>)> {
        match signed {
            Signed::Null => None,
            Signed::Raw { bytes, misaligned } => {
                let mut out = bytes.clone();
                out.resize(size, 0);
                Some((out, *misaligned, None))
            }
            Signed::Request {
                guid,
                sequence,
                parameters,
                size: declared,
                flip,
                random,
            } => {
                let index = self.output_index(output as usize);
                let state = index.map(|i| &self.outputs[i]);
                let mut out = vec![0u8; size];
                // Layout: OMAC (16), [random (16) for requests], GUID (16), sequence, size,
                // parameters.
                let mut at = 16;
                if !configure {
                    out[at..at + 16].copy_from_slice(random);
                    at += 16;
                }
                let guid = guid.value().unwrap_or(known_guid(0));
                out[at..at + 4].copy_from_slice(&guid.Data1.to_ne_bytes());
                out[at + 4..at + 6].copy_from_slice(&guid.Data2.to_ne_bytes());
                out[at + 6..at + 8].copy_from_slice(&guid.Data3.to_ne_bytes());
                out[at + 8..at + 16].copy_from_slice(&guid.Data4);
                at += 16;
                let next = state.map_or(0, |s| if configure { s.command } else { s.status });
                out[at..at + 4].copy_from_slice(&sequence.unwrap_or(next).to_le_bytes());
                let room = size - at - 8;
                let parameters = parameters.bytes();
                let parameters = &parameters[..parameters.len().min(room)];
                let declared = declared.unwrap_or(parameters.len() as u32);
                out[at + 4..at + 8].copy_from_slice(&declared.to_le_bytes());
                out[at + 8..at + 8 + parameters.len()].copy_from_slice(parameters);
                let key = state.and_then(|s| s.key).unwrap_or([0; 16]);
                Self::sign(&key, &mut out);
                if let Some((at, mask)) = flip {
                    let at = usize::from(*at) % size;
                    out[at] ^= (*mask).max(1);
                }
                let advances = sequence.is_none() && flip.is_none();
                Some((out, false, index.filter(|_| advances)))
            }
        }
    }
}

/// `bytes` as a structure `T` in aligned (or, when `misaligned`, odd-addressed) storage.
fn structure<T>(bytes: &[u8], misaligned: bool) -> (Vec<u64>, usize) {
    let mut storage = vec![0u64; size_of::<T>() / 8 + 2];
    let offset = usize::from(misaligned);
    // SAFETY: the storage holds size_of::<T>() + 8 bytes or more; `bytes` is size_of::<T>().
    unsafe {
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            storage.as_mut_ptr().cast::<u8>().add(offset),
            bytes.len().min(size_of::<T>()),
        );
    }
    (storage, offset)
}

fuzz_target!(|input: Input| {
    std::env::set_var("KEYWARD_HOME", keyward_fuzz::store_dir());
    let mut run = Run::default();
    let mut handle = device(0);
    // SAFETY: a valid out-pointer.
    assert_eq!(unsafe { KeywardD3D11OpenDevice(&mut handle) }, S_OK);
    run.devices.push(handle.pDrvPrivate as usize);

    let prelude = &input.prelude;
    if prelude.session {
        run.create_session(handle, None, false);
        if prelude.negotiate {
            if let Some(chain) = run.chain(handle) {
                run.chains.push(chain.clone());
                if let Some(mut blob) = run.blob(&chain) {
                    let session = run.session(Memory::Pool(0));
                    // SAFETY: the blob's bytes.
                    unsafe {
                        NegotiateCryptoSessionKeyExchange(
                            handle,
                            session,
                            blob.len() as UINT,
                            blob.as_mut_ptr(),
                        )
                    };
                }
            }
        }
    }
    if let Some(size) = prelude.resources {
        for fill in 0..2u8 {
            let data = vec![fill; usize::from(size) + 1];
            let mut resource = D3D10DDI_HRESOURCE {
                pDrvPrivate: null_mut(),
            };
            // SAFETY: the data's bytes, a valid out-pointer.
            if unsafe {
                KeywardD3D11CreateResource(
                    handle,
                    data.as_ptr().cast(),
                    data.len() as UINT,
                    &mut resource,
                )
            } == S_OK
            {
                run.resources.push(resource.pDrvPrivate as usize);
            }
        }
    }
    if prelude.opm {
        run.opm(handle, true);
    }

    for call in input.calls.into_iter().take(24) {
        one_call(&mut run, call);
    }

    // SAFETY: handles are looked up, never dereferenced; the memory freed is the library's.
    unsafe {
        for memory in run.opm_memory.drain(..) {
            KeywardOPMFreeMemory(std::ptr::without_provenance_mut(memory));
        }
        for output in &run.outputs {
            KeywardOPMReleaseVideoOutput(std::ptr::without_provenance_mut(output.handle));
        }
        for memory in &mut run.memory {
            let session = D3D11_1DDI_HCRYPTOSESSION {
                pDrvPrivate: memory.as_mut_ptr().cast(),
            };
            for device_handle in &run.devices {
                DestroyCryptoSession(device(*device_handle), session);
            }
        }
        for device_handle in &run.devices {
            KeywardD3D11CloseDevice(device(*device_handle));
        }
    }
});

fn one_call(run: &mut Run, call: Call) {
    // SAFETY (every call below): each pointer points into storage that lives until the call
    // returns (session memory: until the run ends) and is valid for the length passed with
    // it, or is NULL; misaligned pointers point into storage large enough for the type;
    // handles are plain values, never dereferenced by the library.
    unsafe {
        match call {
            Call::OpenDevice(out) => {
                let mut slot = OutSlot::<D3D10DDI_HDEVICE>::new(out);
                if KeywardD3D11OpenDevice(slot.ptr()) == S_OK {
                    run.devices
                        .extend(slot.value().map(|d| d.pDrvPrivate as usize));
                }
            }
            Call::CloseDevice(handle) => {
                KeywardD3D11CloseDevice(run.device(handle));
            }
            Call::LastError(handle) => {
                KeywardD3D11GetLastError(run.device(handle));
            }
            Call::Caps {
                device,
                crypto,
                profile,
                out,
            } => {
                let (mut crypto, mut profile) = (crypto.slot(), profile.slot());
                let mut caps = OutSlot::<D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS>::new(out);
                GetContentProtectionCaps(
                    run.device(device),
                    crypto.ptr(),
                    profile.ptr(),
                    caps.ptr(),
                );
            }
            Call::KeyExchangeType {
                device,
                crypto,
                profile,
                index,
                out,
            } => {
                let (mut crypto, mut profile) = (crypto.slot(), profile.slot());
                let mut guid = OutSlot::<GUID>::new(out);
                GetCryptoKeyExchangeType(
                    run.device(device),
                    crypto.ptr(),
                    profile.ptr(),
                    index % 4,
                    guid.ptr(),
                );
            }
            Call::CreateSession {
                device,
                create,
                memory,
                misaligned_args,
            } => match memory {
                Memory::Pool(_) => run.create_session(run.device(device), create, misaligned_args),
                _ => {
                    let session = run.session(memory);
                    let mut create = InSlot::new(create.map(CreateArgs::value), misaligned_args);
                    CreateCryptoSession(
                        run.device(device),
                        create.ptr(),
                        session,
                        D3D11_1DDI_HRTCRYPTOSESSION { handle: null_mut() },
                    );
                    // Forged memory a session was created in is the run's from now on: the
                    // library keeps it until DestroyCryptoSession.
                    if matches!(memory, Memory::Forged(_)) {
                        let fresh = std::mem::take(&mut run.forged);
                        run.memory.push(fresh);
                    }
                    if matches!(memory, Memory::Misaligned) {
                        let fresh = std::mem::take(&mut run.misaligned);
                        run.memory.push(fresh);
                    }
                }
            },
            Call::DestroySession { device, memory } => {
                let session = run.session(memory);
                DestroyCryptoSession(run.device(device), session);
            }
            Call::SessionHandle {
                device,
                memory,
                out,
            } => {
                let session = run.session(memory);
                let mut handle = OutSlot::<HANDLE>::new(out);
                CryptoSessionGetHandle(run.device(device), session, handle.ptr());
            }
            Call::CertificateSize { device, info, out } => {
                let mut info = info.map_or(InSlot::new(None, false), CertArgs::slot);
                let mut size = OutSlot::<UINT>::new(out);
                GetCertificateSize(run.device(device), info.ptr(), size.ptr());
            }
            Call::Certificate { device, info, out } => {
                let device = run.device(device);
                let mut info = info.map_or(InSlot::new(None, false), CertArgs::slot);
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                GetCertificate(device, info.ptr(), n, p);
                if KeywardD3D11GetLastError(device) == S_OK && !p.is_null() {
                    run.chains.push(storage);
                }
            }
            Call::Negotiate {
                device,
                memory,
                exchange,
            } => {
                let session = run.session(memory);
                let pooled = |i: u8| {
                    if run.blobs.is_empty() {
                        Vec::new()
                    } else {
                        run.blobs[usize::from(i) % run.blobs.len()].clone()
                    }
                };
                let mut bytes = match exchange {
                    Exchange::Pool(i) => Bytes::of(pooled(i)),
                    Exchange::Flipped { index, at, mask } => {
                        let mut blob = pooled(index);
                        if !blob.is_empty() {
                            let at = usize::from(at) % blob.len();
                            blob[at] ^= mask.max(1);
                        }
                        Bytes::of(blob)
                    }
                    Exchange::Bytes(bytes) => bytes,
                };
                let (p, n) = bytes.parts();
                NegotiateCryptoSessionKeyExchange(run.device(device), session, n, p);
            }
            Call::BuildBlob {
                chain,
                bytes,
                key,
                blob,
            } => {
                let mut chain = run.pooled_chain(chain, bytes);
                let (cp, cn) = chain.parts();
                let mut session_key = [0u8; 16];
                let mut out = vec![0u8; KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE as usize];
                let status = KeywardD3D11BuildSessionKeyBlob(
                    cp,
                    cn,
                    if key {
                        session_key.as_mut_ptr()
                    } else {
                        null_mut()
                    },
                    if blob { out.as_mut_ptr() } else { null_mut() },
                );
                if status == S_OK && blob {
                    run.blobs.push(out);
                }
            }
            Call::EncryptionBlt {
                device,
                memory,
                source,
                destination,
                iv,
            } => {
                let session = run.session(memory);
                let mut storage = iv.storage();
                let (p, n) = iv.parts(&mut storage);
                EncryptionBlt(
                    run.device(device),
                    session,
                    resource(pick(&run.resources, source)),
                    resource(pick(&run.resources, destination)),
                    n,
                    p,
                );
            }
            Call::DecryptionBlt {
                device,
                memory,
                source,
                destination,
                blocks,
                content_key,
                iv,
            } => {
                let session = run.session(memory);
                let mut blocks = blocks.slot();
                let mut content_key = content_key;
                let (kp, kn) = content_key
                    .as_mut()
                    .map_or((null_mut(), 0), |key| key.parts());
                let mut storage = iv.storage();
                let (p, n) = iv.parts(&mut storage);
                DecryptionBlt(
                    run.device(device),
                    session,
                    resource(pick(&run.resources, source)),
                    resource(pick(&run.resources, destination)),
                    blocks.ptr(),
                    kn,
                    kp.cast_const().cast(),
                    n,
                    p.cast_const(),
                );
            }
            Call::StartRefresh {
                device,
                memory,
                random,
            } => {
                let session = run.session(memory);
                let mut storage = random.storage();
                let (p, n) = random.parts(&mut storage);
                StartSessionKeyRefresh(run.device(device), session, n, p.cast());
            }
            Call::FinishRefresh { device, memory } => {
                let session = run.session(memory);
                FinishSessionKeyRefresh(run.device(device), session);
            }
            Call::BltKey {
                device,
                memory,
                key,
            } => {
                let session = run.session(memory);
                let mut storage = key.storage();
                let (p, n) = key.parts(&mut storage);
                GetEncryptionBltKey(run.device(device), session, n, p.cast());
            }
            Call::CreateResource {
                device,
                mut data,
                out,
            } => {
                let (p, n) = data.parts();
                let mut slot = OutSlot::<D3D10DDI_HRESOURCE>::new(out);
                if KeywardD3D11CreateResource(
                    run.device(device),
                    p.cast_const().cast(),
                    n,
                    slot.ptr(),
                ) == S_OK
                {
                    run.resources
                        .extend(slot.value().map(|r| r.pDrvPrivate as usize));
                }
            }
            Call::ReadResource {
                device,
                resource: handle,
                out,
                len,
            } => {
                let mut storage = out.storage();
                let (p, n) = out.parts(&mut storage);
                let mut length = OutSlot::<UINT>::new(len);
                KeywardD3D11ReadResource(
                    run.device(device),
                    resource(pick(&run.resources, handle)),
                    n,
                    p.cast(),
                    length.ptr(),
                );
            }
            Call::WriteResource {
                device,
                resource: handle,
                mut data,
            } => {
                let (p, n) = data.parts();
                KeywardD3D11WriteResource(
                    run.device(device),
                    resource(pick(&run.resources, handle)),
                    p.cast_const().cast(),
                    n,
                );
            }
            Call::DestroyResource {
                device,
                resource: handle,
            } => {
                KeywardD3D11DestroyResource(
                    run.device(device),
                    resource(pick(&run.resources, handle)),
                );
            }
            Call::AesCtr {
                key,
                iv,
                blocks,
                mut data,
            } => {
                let key = match key {
                    Fixed::Null => None,
                    Fixed::Bytes(bytes) => Some(bytes),
                };
                let iv = iv.map(|(iv, count)| D3D11_1DDI_AES_CTR_IV {
                    IV: iv,
                    Count: count,
                });
                let mut blocks = blocks.slot();
                let (p, n) = data.parts();
                KeywardD3D11AesCtr(
                    key.as_ref().map_or(null(), |k| k.as_ptr()),
                    iv.as_ref().map_or(null(), |iv| iv as *const _),
                    blocks.ptr(),
                    p,
                    n,
                );
            }
            Call::WrapKey {
                session_key,
                key,
                out,
                unwrap,
            } => {
                let session_key = match session_key {
                    Fixed::Null => None,
                    Fixed::Bytes(bytes) => Some(bytes),
                };
                let key = match key {
                    Fixed::Null => None,
                    Fixed::Bytes(bytes) => Some(bytes),
                };
                let mut result = [0u8; 16];
                let sp = session_key.as_ref().map_or(null(), |k| k.as_ptr());
                let kp = key.as_ref().map_or(null(), |k| k.as_ptr());
                let rp = if out { result.as_mut_ptr() } else { null_mut() };
                if unwrap {
                    KeywardD3D11UnwrapKey(sp, kp, rp);
                } else {
                    KeywardD3D11WrapKey(sp, kp, rp);
                }
            }
            Call::GetVideoOutput {
                device,
                semantics,
                out,
            } => {
                let semantics = [OPM_VOS_OPM_SEMANTICS, OPM_VOS_COPP_SEMANTICS, 2, semantics]
                    [usize::from(semantics.unsigned_abs() as u8) % 4];
                let mut slot = OutSlot::<*mut IOPMVideoOutput>::new(out);
                if KeywardOPMGetVideoOutput(run.device(device), semantics, slot.ptr()) == S_OK {
                    if let Some(output) = slot.value() {
                        run.outputs.push(Output {
                            handle: output as usize,
                            random: None,
                            chain: Vec::new(),
                            key: None,
                            status: 0,
                            command: 0,
                        });
                    }
                }
            }
            Call::ReleaseVideoOutput(handle) => {
                KeywardOPMReleaseVideoOutput(run.output(handle));
            }
            Call::FreeMemory(memory) => {
                let pointer = match memory {
                    OpmMemory::Pool(i) if !run.opm_memory.is_empty() => {
                        let i = usize::from(i) % run.opm_memory.len();
                        // Once given back it is stale: passing it again is refused.
                        run.opm_memory[i]
                    }
                    OpmMemory::Pool(_) | OpmMemory::Null => 0,
                    OpmMemory::Raw(raw) => raw,
                };
                if KeywardOPMFreeMemory(std::ptr::without_provenance_mut(pointer)) == S_OK {
                    run.opm_memory.retain(|m| *m != pointer);
                }
            }
            Call::StartInitialization {
                output,
                random,
                certificate,
                length,
            } => {
                let output = run.output(output);
                let mut random_out = OutSlot::<OPM_RANDOM_NUMBER>::new(random);
                let mut chain_out = OutSlot::<*mut BYTE>::new(certificate);
                let mut length_out = OutSlot::<ULONG>::new(length);
                if OPMVideoOutputStartInitialization(
                    output,
                    random_out.ptr(),
                    chain_out.ptr(),
                    length_out.ptr(),
                ) == S_OK
                {
                    if let (Some(random), Some(chain), Some(length)) =
                        (random_out.value(), chain_out.value(), length_out.value())
                    {
                        let bytes = std::slice::from_raw_parts(chain, length as usize).to_vec();
                        run.opm_memory.push(chain as usize);
                        if let Some(i) = run.output_index(output as usize) {
                            run.outputs[i].random = Some(random.abRandomNumber);
                            run.outputs[i].chain = bytes.clone();
                        }
                        run.chains.push(bytes);
                    }
                }
            }
            Call::EncryptInitialization {
                chain,
                bytes,
                parameters,
                out,
            } => {
                let (mut plain, target) = match &parameters {
                    InitParams::Real {
                        output,
                        key,
                        status,
                        command,
                        wrong_random,
                    } if !run.outputs.is_empty() => {
                        let i = usize::from(*output) % run.outputs.len();
                        let state = &run.outputs[i];
                        let mut plain = vec![0u8; 40];
                        let mut random = state.random.unwrap_or([0; 16]);
                        if *wrong_random {
                            random[0] ^= 1;
                        }
                        plain[..16].copy_from_slice(&random);
                        plain[16..32].copy_from_slice(key);
                        plain[32..36].copy_from_slice(&status.to_le_bytes());
                        plain[36..40].copy_from_slice(&command.to_le_bytes());
                        (Bytes::of(plain), Some((i, *key, *status, *command)))
                    }
                    InitParams::Real { .. } => (Bytes::of(vec![0; 40]), None),
                    InitParams::Bytes(bytes) => (
                        Bytes {
                            null: bytes.null,
                            data: bytes.data.clone(),
                            len: bytes.len,
                        },
                        None,
                    ),
                };
                // The output's own chain for real parameters, unless another is asked for.
                let mut chain = match (&target, chain) {
                    (Some((i, ..)), None) if !run.outputs[*i].chain.is_empty() => {
                        Bytes::of(run.outputs[*i].chain.clone())
                    }
                    (_, chain) => run.pooled_chain(chain, bytes),
                };
                let (cp, cn) = chain.parts();
                let (pp, pn) = plain.parts();
                let mut encrypted = OutSlot::<OPM_ENCRYPTED_INITIALIZATION_PARAMETERS>::new(out);
                let status =
                    KeywardOPMEncryptInitializationParameters(cp, cn, pp, pn, encrypted.ptr());
                if let (S_OK, Some(encrypted), Some((i, key, status, command))) =
                    (status, encrypted.value(), target)
                {
                    run.initializations.push(Initialization {
                        output: i,
                        encrypted,
                        key,
                        status,
                        command,
                    });
                }
            }
            Call::FinishInitialization {
                output,
                pool,
                raw,
                misaligned,
            } => {
                let output = run.output(output);
                let (bytes, from) = match (pool, raw) {
                    (Some((i, flip)), _) if !run.initializations.is_empty() => {
                        let i = usize::from(i) % run.initializations.len();
                        let mut bytes = run.initializations[i]
                            .encrypted
                            .abEncryptedInitializationParameters;
                        if let Some((at, mask)) = flip {
                            bytes[usize::from(at)] ^= mask.max(1);
                        }
                        (Some(bytes), flip.is_none().then_some(i))
                    }
                    (_, Fixed::Bytes(bytes)) => (Some(bytes), None),
                    (_, Fixed::Null) => (None, None),
                };
                let status = match bytes {
                    Some(bytes) => {
                        let (storage, offset) = structure::<OPM_ENCRYPTED_INITIALIZATION_PARAMETERS>(
                            &bytes, misaligned,
                        );
                        let pointer = storage.as_ptr().cast::<u8>().wrapping_add(offset).cast();
                        OPMVideoOutputFinishInitialization(output, pointer)
                    }
                    None => OPMVideoOutputFinishInitialization(output, null()),
                };
                if let (S_OK, Some(i)) = (status, from) {
                    let init = &run.initializations[i];
                    let (index, key, status, command) =
                        (init.output, init.key, init.status, init.command);
                    if let Some(state) = run.outputs.get_mut(index) {
                        if state.handle == output as usize {
                            state.key = Some(key);
                            state.status = status;
                            state.command = command;
                        }
                    }
                }
            }
            Call::GetInformation {
                output,
                request,
                answer,
            } => {
                let output = run.output(output);
                let size = size_of::<OPM_GET_INFO_PARAMETERS>();
                let mut answer = OutSlot::<OPM_REQUESTED_INFORMATION>::new(answer);
                let status = match run.signed(&request, size, false, output) {
                    Some((bytes, misaligned, advances)) => {
                        let (storage, offset) =
                            structure::<OPM_GET_INFO_PARAMETERS>(&bytes, misaligned);
                        let pointer = storage.as_ptr().cast::<u8>().wrapping_add(offset).cast();
                        let status = OPMVideoOutputGetInformation(output, pointer, answer.ptr());
                        advances.filter(|_| status == S_OK)
                    }
                    None => {
                        OPMVideoOutputGetInformation(output, null(), answer.ptr());
                        None
                    }
                };
                if let Some(i) = status {
                    run.outputs[i].status = run.outputs[i].status.wrapping_add(1);
                }
            }
            Call::CoppGetInformation {
                output,
                request,
                answer,
            } => {
                let output = run.output(output);
                // SAFETY: plain data; all zero is valid.
                let copp: OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS = std::mem::zeroed();
                let mut copp = InSlot::new(request.map(|_| copp), request.unwrap_or(false));
                let mut answer = OutSlot::<OPM_REQUESTED_INFORMATION>::new(answer);
                OPMVideoOutputCOPPCompatibleGetInformation(output, copp.ptr(), answer.ptr());
            }
            Call::Configure {
                output,
                command,
                mut additional,
            } => {
                let output = run.output(output);
                let size = size_of::<OPM_CONFIGURE_PARAMETERS>();
                let (ap, an) = additional.parts();
                let status = match run.signed(&command, size, true, output) {
                    Some((bytes, misaligned, advances)) => {
                        let (storage, offset) =
                            structure::<OPM_CONFIGURE_PARAMETERS>(&bytes, misaligned);
                        let pointer = storage.as_ptr().cast::<u8>().wrapping_add(offset).cast();
                        let status = OPMVideoOutputConfigure(output, pointer, an, ap);
                        advances.filter(|_| status == S_OK)
                    }
                    None => {
                        OPMVideoOutputConfigure(output, null(), an, ap);
                        None
                    }
                };
                if let Some(i) = status {
                    run.outputs[i].command = run.outputs[i].command.wrapping_add(1);
                }
            }
            Call::ComputeOmac { key, mut data, out } => {
                let key = match key {
                    Fixed::Null => None,
                    Fixed::Bytes(bytes) => Some(bytes),
                };
                let (p, n) = data.parts();
                let mut omac = OutSlot::<OPM_OMAC>::new(out);
                KeywardOPMComputeOMAC(
                    key.as_ref().map_or(null(), |k| k.as_ptr()),
                    p,
                    n,
                    omac.ptr(),
                );
            }
        }
    }
}

//! The C ABI: a fuzzed sequence of calls to the exported `Ssl*` functions with fuzzed
//! handles (real ones, stale ones, forged values), lengths, flags, parameter lists
//! (`NCryptBufferDesc`), blob types and buffers. Every pointer passed is valid for the length
//! passed with it (the functions' contract); everything else is the fuzzer's. Every call must
//! return a status, never crash; built with AddressSanitizer by cargo-fuzz.
#![no_main]

use std::ptr;

use arbitrary::Arbitrary;
use keyward::hash::{SslCreateHandshakeHash, SslHashHandshake};
use keyward::keys::{SslCreateEphemeralKey, SslExportKey, SslImportKey};
use keyward::master::{SslComputeFinishedHash, SslGenerateMasterKey, SslGenerateSessionKeys};
use keyward::provider::{SslFreeBuffer, SslFreeObject, SslOpenProvider};
use keyward::record::{SslDecryptPacket, SslEncryptPacket};
use keyward::suites::{SslEnumCipherSuites, SslLookupCipherLengths, SslLookupCipherSuiteInfo};
use keyward::types::{
    NCryptBuffer, NCryptBufferDesc, NCRYPT_SSL_CIPHER_LENGTHS, NCRYPT_SSL_CIPHER_SUITE,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Handle {
    /// A handle this run received (index into the pool, modulo its size).
    Pool(u8),
    /// A forged value.
    Raw(usize),
}

#[derive(Arbitrary, Debug)]
struct Bytes {
    null: bool,
    data: Vec<u8>,
    /// The length passed, at most the data's length.
    len: u16,
}

impl Bytes {
    fn parts(&mut self) -> (*mut u8, u32) {
        if self.null {
            return (ptr::null_mut(), u32::from(self.len));
        }
        let len = usize::from(self.len).min(self.data.len());
        (self.data.as_mut_ptr(), len as u32)
    }
}

#[derive(Arbitrary, Debug)]
struct Params {
    version: u32,
    buffers: Vec<(u32, Vec<u8>)>,
}

#[derive(Arbitrary, Debug)]
enum BlobName {
    Known(u8),
    Other(Vec<u16>),
    Null,
}

const BLOB_TYPES: [&str; 9] = [
    "RSAPUBLICBLOB",
    "RSAPRIVATEBLOB",
    "RSAFULLPRIVATEBLOB",
    "ECCPUBLICBLOB",
    "ECCPRIVATEBLOB",
    "DHPUBLICBLOB",
    "DHPRIVATEBLOB",
    "OpaqueKeyBlob",
    "KDBM",
];

#[derive(Arbitrary, Debug)]
enum Call {
    OpenProvider {
        flags: u32,
    },
    CreateEphemeralKey {
        provider: Handle,
        protocol: u32,
        suite: u32,
        key_type: u32,
        bits: u32,
        params: Bytes,
        flags: u32,
    },
    ImportKey {
        provider: Handle,
        name: BlobName,
        blob: Bytes,
        flags: u32,
    },
    ExportKey {
        provider: Handle,
        key: Handle,
        name: BlobName,
        out: Bytes,
        flags: u32,
    },
    GenerateMasterKey {
        provider: Handle,
        private: Handle,
        public: Handle,
        protocol: u32,
        suite: u32,
        params: Option<Params>,
        out: Bytes,
        flags: u32,
    },
    GenerateSessionKeys {
        provider: Handle,
        master: Handle,
        params: Option<Params>,
        flags: u32,
    },
    Encrypt {
        provider: Handle,
        key: Handle,
        input: Bytes,
        out: Bytes,
        seq: u64,
        content_type: u32,
        flags: u32,
    },
    Decrypt {
        provider: Handle,
        key: Handle,
        input: Bytes,
        out: Bytes,
        seq: u64,
        flags: u32,
    },
    CreateHash {
        provider: Handle,
        protocol: u32,
        suite: u32,
        flags: u32,
    },
    HashHandshake {
        provider: Handle,
        hash: Handle,
        input: Bytes,
        flags: u32,
    },
    Finished {
        provider: Handle,
        master: Handle,
        hash: Handle,
        out: Bytes,
        flags: u32,
    },
    EnumSuites {
        provider: Handle,
        key: Handle,
        flags: u32,
        steps: u8,
    },
    LookupSuite {
        provider: Handle,
        protocol: u32,
        suite: u32,
        key_type: u32,
        flags: u32,
    },
    FreeObject {
        handle: Handle,
        flags: u32,
    },
}

struct Pool(Vec<usize>);

impl Pool {
    fn get(&self, handle: Handle) -> usize {
        match handle {
            Handle::Pool(i) if !self.0.is_empty() => self.0[usize::from(i) % self.0.len()],
            Handle::Pool(_) => 0,
            Handle::Raw(raw) => raw,
        }
    }

    fn keep(&mut self, status: i32, handle: usize) {
        if status == 0 && handle != 0 {
            self.0.push(handle);
        }
    }
}

fn wide(name: &BlobName) -> Option<Vec<u16>> {
    match name {
        BlobName::Known(i) => Some(
            BLOB_TYPES[usize::from(*i) % BLOB_TYPES.len()]
                .encode_utf16()
                .chain([0])
                .collect(),
        ),
        BlobName::Other(units) => Some(units.iter().copied().chain([0]).collect()),
        BlobName::Null => None,
    }
}

/// An `NCryptBufferDesc` and the storage it points into.
struct Desc {
    desc: NCryptBufferDesc,
    _buffers: Vec<NCryptBuffer>,
    _data: Vec<Vec<u8>>,
}

fn desc(params: &Option<Params>) -> Option<Box<Desc>> {
    let params = params.as_ref()?;
    let mut data: Vec<Vec<u8>> = params
        .buffers
        .iter()
        .take(70)
        .map(|b| b.1.clone())
        .collect();
    let mut buffers: Vec<NCryptBuffer> = params
        .buffers
        .iter()
        .zip(data.iter_mut())
        .map(|((kind, _), bytes)| NCryptBuffer {
            cbBuffer: bytes.len() as u32,
            BufferType: *kind,
            pvBuffer: if bytes.is_empty() {
                ptr::null_mut()
            } else {
                bytes.as_mut_ptr().cast()
            },
        })
        .collect();
    let mut desc = Box::new(Desc {
        desc: NCryptBufferDesc {
            ulVersion: params.version % 2,
            cBuffers: buffers.len() as u32,
            pBuffers: if buffers.is_empty() {
                ptr::null_mut()
            } else {
                buffers.as_mut_ptr()
            },
        },
        _buffers: Vec::new(),
        _data: Vec::new(),
    });
    desc._buffers = buffers;
    desc._data = data;
    Some(desc)
}

fn desc_ptr(desc: &mut Option<Box<Desc>>) -> *mut NCryptBufferDesc {
    desc.as_mut()
        .map_or(ptr::null_mut(), |d| &mut d.desc as *mut NCryptBufferDesc)
}

fuzz_target!(|calls: Vec<Call>| {
    std::env::set_var("KEYWARD_HOME", keyward_fuzz::store_dir());
    let mut pool = Pool(Vec::new());
    let mut result = 0u32;
    for call in calls.into_iter().take(32) {
        // SAFETY: every pointer passed points into live storage of this loop iteration and is
        // valid for the length passed with it; handles are plain integers.
        unsafe {
            match call {
                Call::OpenProvider { flags } => {
                    let mut h = 0;
                    let s = SslOpenProvider(&mut h, ptr::null(), flags % 2);
                    pool.keep(s, h);
                }
                Call::CreateEphemeralKey {
                    provider,
                    protocol,
                    suite,
                    key_type,
                    bits,
                    mut params,
                    flags,
                } => {
                    let mut h = 0;
                    let (p, n) = params.parts();
                    let s = SslCreateEphemeralKey(
                        pool.get(provider),
                        &mut h,
                        protocol,
                        suite,
                        key_type,
                        bits,
                        p,
                        n,
                        flags % 2,
                    );
                    pool.keep(s, h);
                }
                Call::ImportKey {
                    provider,
                    name,
                    mut blob,
                    flags,
                } => {
                    let mut h = 0;
                    let name = wide(&name);
                    let (p, n) = blob.parts();
                    let s = SslImportKey(
                        pool.get(provider),
                        &mut h,
                        name.as_ref().map_or(ptr::null(), |w| w.as_ptr()),
                        p,
                        n,
                        flags % 2,
                    );
                    pool.keep(s, h);
                }
                Call::ExportKey {
                    provider,
                    key,
                    name,
                    mut out,
                    flags,
                } => {
                    let name = wide(&name);
                    let (p, n) = out.parts();
                    SslExportKey(
                        pool.get(provider),
                        pool.get(key),
                        name.as_ref().map_or(ptr::null(), |w| w.as_ptr()),
                        p,
                        n,
                        &mut result,
                        flags % 2,
                    );
                }
                Call::GenerateMasterKey {
                    provider,
                    private,
                    public,
                    protocol,
                    suite,
                    params,
                    mut out,
                    flags,
                } => {
                    let mut h = 0;
                    let mut d = desc(&params);
                    let (p, n) = out.parts();
                    let s = SslGenerateMasterKey(
                        pool.get(provider),
                        pool.get(private),
                        pool.get(public),
                        &mut h,
                        protocol,
                        suite,
                        desc_ptr(&mut d),
                        p,
                        n,
                        &mut result,
                        flags % 2,
                    );
                    pool.keep(s, h);
                }
                Call::GenerateSessionKeys {
                    provider,
                    master,
                    params,
                    flags,
                } => {
                    let (mut r, mut w) = (0, 0);
                    let mut d = desc(&params);
                    let s = SslGenerateSessionKeys(
                        pool.get(provider),
                        pool.get(master),
                        &mut r,
                        &mut w,
                        desc_ptr(&mut d),
                        flags % 2,
                    );
                    pool.keep(s, r);
                    pool.keep(s, w);
                }
                Call::Encrypt {
                    provider,
                    key,
                    mut input,
                    mut out,
                    seq,
                    content_type,
                    flags,
                } => {
                    let (i, ni) = input.parts();
                    let (o, no) = out.parts();
                    SslEncryptPacket(
                        pool.get(provider),
                        pool.get(key),
                        i,
                        ni,
                        o,
                        no,
                        &mut result,
                        seq,
                        content_type,
                        flags % 4,
                    );
                }
                Call::Decrypt {
                    provider,
                    key,
                    mut input,
                    mut out,
                    seq,
                    flags,
                } => {
                    let (i, ni) = input.parts();
                    let (o, no) = out.parts();
                    SslDecryptPacket(
                        pool.get(provider),
                        pool.get(key),
                        i,
                        ni,
                        o,
                        no,
                        &mut result,
                        seq,
                        flags % 4,
                    );
                }
                Call::CreateHash {
                    provider,
                    protocol,
                    suite,
                    flags,
                } => {
                    let mut h = 0;
                    let s = SslCreateHandshakeHash(
                        pool.get(provider),
                        &mut h,
                        protocol,
                        suite,
                        flags % 2,
                    );
                    pool.keep(s, h);
                }
                Call::HashHandshake {
                    provider,
                    hash,
                    mut input,
                    flags,
                } => {
                    let (i, ni) = input.parts();
                    SslHashHandshake(pool.get(provider), pool.get(hash), i, ni, flags % 2);
                }
                Call::Finished {
                    provider,
                    master,
                    hash,
                    mut out,
                    flags,
                } => {
                    let (o, no) = out.parts();
                    SslComputeFinishedHash(
                        pool.get(provider),
                        pool.get(master),
                        pool.get(hash),
                        o,
                        no,
                        flags % 2,
                    );
                }
                Call::EnumSuites {
                    provider,
                    key,
                    flags,
                    steps,
                } => {
                    let mut suite: *mut NCRYPT_SSL_CIPHER_SUITE = ptr::null_mut();
                    let mut state: *mut core::ffi::c_void = ptr::null_mut();
                    for _ in 0..steps % 8 {
                        if SslEnumCipherSuites(
                            pool.get(provider),
                            pool.get(key),
                            &mut suite,
                            &mut state,
                            flags % 2,
                        ) != 0
                        {
                            break;
                        }
                        if !suite.is_null() {
                            SslFreeBuffer(suite.cast());
                            suite = ptr::null_mut();
                        }
                    }
                    if !state.is_null() {
                        SslFreeBuffer(state);
                    }
                }
                Call::LookupSuite {
                    provider,
                    protocol,
                    suite,
                    key_type,
                    flags,
                } => {
                    let mut info: NCRYPT_SSL_CIPHER_SUITE = core::mem::zeroed();
                    SslLookupCipherSuiteInfo(
                        pool.get(provider),
                        protocol,
                        suite,
                        key_type,
                        &mut info,
                        flags % 2,
                    );
                    let mut lengths: NCRYPT_SSL_CIPHER_LENGTHS = core::mem::zeroed();
                    SslLookupCipherLengths(
                        pool.get(provider),
                        protocol,
                        suite,
                        key_type,
                        &mut lengths,
                        core::mem::size_of::<NCRYPT_SSL_CIPHER_LENGTHS>() as u32,
                        flags % 2,
                    );
                }
                Call::FreeObject { handle, flags } => {
                    SslFreeObject(pool.get(handle), flags % 2);
                }
            }
        }
    }
    // SAFETY: freeing handles this run made; a double free is the library's to refuse.
    unsafe {
        for handle in pool.0.iter().rev() {
            SslFreeObject(*handle, 0);
        }
    }
});

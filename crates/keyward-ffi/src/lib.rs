//! libkeyward: the Windows-shaped C ABI of keyward.
//!
//! Every `Ssl*` function of `Sslprovider.h` (the SSL Protocol Provider of ncrypt.dll) is
//! exported with its Windows name, parameter types and order, status codes and check order,
//! over the Rust API of `keyward-ssl`. The C declarations are in `include/sslprovider.h` and
//! `include/keyward_wintypes.h`; `tests/header.rs` checks them against this crate.
//!
//! C programs use the installed library: `scripts/install-lib PREFIX` puts `libkeyward.so`,
//! `libkeyward.a`, the headers and `keyward.pc` under `PREFIX`, and
//! `cc app.c $(pkg-config --cflags --libs keyward)` builds against them (`examples/c/ecdhe.c`).
//!
//! # Example
//!
//! The calls a C program makes for a TLS 1.2 ECDHE key exchange between a client and a
//! server provider, here from Rust through the same exported functions.
//!
//! ```
//! use keyward::keys::{SslCreateEphemeralKey, SslExportKey, SslImportKey};
//! use keyward::master::{SslGenerateMasterKey, SslGenerateSessionKeys};
//! use keyward::provider::{SslFreeObject, SslOpenProvider};
//! use keyward::record::{SslDecryptPacket, SslEncryptPacket};
//! use keyward::types::*;
//!
//! /// Each call returns ERROR_SUCCESS.
//! fn ok(status: SECURITY_STATUS) {
//!     assert_eq!(status, ERROR_SUCCESS as SECURITY_STATUS);
//! }
//!
//! let (protocol, suite) = (TLS1_2_PROTOCOL_VERSION, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
//! let blob_type: Vec<WCHAR> = BCRYPT_ECCPUBLIC_BLOB.encode_utf16().chain([0]).collect();
//! let (mut client_random, mut server_random) = ([1u8; 32], [2u8; 32]);
//! let mut buffers = [
//!     NCryptBuffer {
//!         cbBuffer: 32,
//!         BufferType: NCRYPTBUFFER_SSL_CLIENT_RANDOM,
//!         pvBuffer: client_random.as_mut_ptr().cast(),
//!     },
//!     NCryptBuffer {
//!         cbBuffer: 32,
//!         BufferType: NCRYPTBUFFER_SSL_SERVER_RANDOM,
//!         pvBuffer: server_random.as_mut_ptr().cast(),
//!     },
//! ];
//! let mut randoms = NCryptBufferDesc {
//!     ulVersion: NCRYPTBUFFER_VERSION,
//!     cBuffers: 2,
//!     pBuffers: buffers.as_mut_ptr(),
//! };
//!
//! // [client, server]: provider, own share, peer's share, master, read and write keys.
//! let mut provider = [0; 2];
//! let (mut share, mut peer, mut master, mut read, mut write) = ([0; 2], [0; 2], [0; 2], [0; 2], [0; 2]);
//! let flags = [NCRYPT_SSL_CLIENT_FLAG, NCRYPT_SSL_SERVER_FLAG];
//! // SAFETY (for every call below): each pointer is valid for the length passed with it.
//! unsafe {
//!     for side in 0..2 {
//!         ok(SslOpenProvider(&mut provider[side], std::ptr::null(), 0));
//!         ok(SslCreateEphemeralKey(
//!             provider[side], &mut share[side], protocol, suite,
//!             TLS_ECC_P256_CURVE_KEY_TYPE, 256, std::ptr::null_mut(), 0, 0,
//!         ));
//!     }
//!     // The key exchange messages: each public share, exported and imported by the peer.
//!     for (from, to) in [(1, 0), (0, 1)] {
//!         let mut blob = [0u8; 256];
//!         let mut length = 0;
//!         ok(SslExportKey(
//!             provider[from], share[from], blob_type.as_ptr(),
//!             blob.as_mut_ptr(), blob.len() as DWORD, &mut length, 0,
//!         ));
//!         ok(SslImportKey(
//!             provider[to], &mut peer[to], blob_type.as_ptr(), blob.as_mut_ptr(), length, 0,
//!         ));
//!     }
//!     for side in 0..2 {
//!         ok(SslGenerateMasterKey(
//!             provider[side], share[side], peer[side], &mut master[side], protocol, suite,
//!             &mut randoms, std::ptr::null_mut(), 0, std::ptr::null_mut(), flags[side],
//!         ));
//!         ok(SslGenerateSessionKeys(
//!             provider[side], master[side], &mut read[side], &mut write[side], &mut randoms, 0,
//!         ));
//!     }
//!
//!     // A record from the client opens at the server.
//!     let mut message = *b"GET / HTTP/1.1\r\n\r\n";
//!     let (mut record, mut plaintext) = ([0u8; 128], [0u8; 128]);
//!     let (mut record_len, mut plaintext_len) = (0, 0);
//!     ok(SslEncryptPacket(
//!         provider[0], write[0], message.as_mut_ptr(), message.len() as DWORD,
//!         record.as_mut_ptr(), record.len() as DWORD, &mut record_len, 0,
//!         CT_APPLICATIONDATA, 0,
//!     ));
//!     ok(SslDecryptPacket(
//!         provider[1], read[1], record.as_mut_ptr(), record_len, plaintext.as_mut_ptr(),
//!         plaintext.len() as DWORD, &mut plaintext_len, 0, 0,
//!     ));
//!     assert_eq!(&plaintext[..plaintext_len as usize], message);
//!
//!     for side in 0..2 {
//!         for handle in [read[side], write[side], master[side], peer[side], share[side]] {
//!             ok(SslFreeObject(handle, 0));
//!         }
//!         ok(SslFreeObject(provider[side], 0));
//!     }
//! }
//! ```
//!
//! # What it exports
//!
//! The Direct3D 11 crypto session (the D3D11.1 DDI functions of `d3d10umddi.h`) and OPM
//! (`IOPMVideoOutput` as plain functions) are exported over `keyward-cryptosession` by
//! [`d3d11`], declared in `include/d3d11cryptosession.h` and `include/opm.h` and checked by
//! `tests/header_d3d11.rs`; they return `HRESULT`s.
//!
//! The smart-card minidriver of `cardmod.h` v7 (`CardAcquireContext` and the shared-key and
//! secure-key-injection calls) is exported over `keyward-card` by [`card`], declared in
//! `include/cardmod.h` and checked by `tests/header_card.rs`; it returns the Windows `SCARD_*`
//! statuses, and hands out memory through the caller's `CARD_DATA.pfnCspAlloc`.
//!
//! This crate holds no cryptography. Each exported function:
//! - runs inside the one panic boundary of `boundary`, so a panic returns its status
//!   family's internal error (`NTE_INTERNAL_ERROR` here) and never unwinds into C;
//! - reads the caller's pointers only through `ptr` (NULL where required is
//!   `NTE_INVALID_PARAMETER`), and writes outputs with the two-call size query of Windows;
//! - leaves every decision of the domain (record layouts, key-exchange dispatch, the
//!   relay's steps, key blobs) to the crate below that owns it;
//! - names objects through a table of `handles` (the one generic `HandleTable`);
//! - returns memory only through `buffers`, released by `SslFreeBuffer`.
//!
//! The exported functions are `unsafe`: their contract is that of the Windows function
//! (pointers valid for the lengths given). Inside them that contract is relied on in one
//! place, the `caller!` macro of `ptr` that calls the pointer readers; every other unsafe
//! operation has its own `// SAFETY:` reason (`unsafe_op_in_unsafe_fn` is denied).

#![deny(rustdoc::broken_intra_doc_links)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_snake_case)]
// The Windows signatures have up to 11 parameters.
#![allow(clippy::too_many_arguments)]

mod boundary;
mod buffers;
pub mod card;
pub mod d3d11;
pub mod extensions;
mod handles;
pub mod hash;
mod ids;
pub mod keys;
pub mod master;
pub mod params;
pub mod provider;
mod ptr;
pub mod record;
pub mod suites;
pub mod table;
pub mod tls13;
pub mod types;

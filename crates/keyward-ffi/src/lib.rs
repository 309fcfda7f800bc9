//! libkeyward: the Windows-shaped C ABI of keyward.
//!
//! Every `Ssl*` function of `Sslprovider.h` (the SSL Protocol Provider of ncrypt.dll) is
//! exported with its Windows name, parameter types and order, status codes and check order,
//! over the Rust API of `keyward-ssl`. The C declarations are in `include/sslprovider.h` and
//! `include/keyward_wintypes.h`; `tests/header.rs` checks them against this crate.
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
//! - runs inside [`ptr::boundary`], so a panic returns `NTE_INTERNAL_ERROR` and never
//!   unwinds into C;
//! - reads the caller's pointers only through [`ptr`] (NULL where required is
//!   `NTE_INVALID_PARAMETER`), and writes outputs with the two-call size query of Windows;
//! - names objects through the one handle table of [`handles`];
//! - returns memory only through [`buffers`], released by `SslFreeBuffer`.
//!
//! The exported functions are `unsafe`: their contract is that of the Windows function
//! (pointers valid for the lengths given).

#![allow(non_snake_case)]
// The Windows signatures have up to 11 parameters.
#![allow(clippy::too_many_arguments)]

mod buffers;
pub mod card;
pub mod d3d11;
pub mod extensions;
mod handles;
pub mod hash;
pub mod keys;
pub mod master;
mod params;
pub mod provider;
mod ptr;
pub mod record;
pub mod suites;
pub mod table;
pub mod tls13;
pub mod types;

//! keyward-core: what every keyward room shares.
//!
//! # Example
//!
//! The key store holds private keys with their certificates; the SSL provider finds a key by
//! its certificate, as `SslOpenPrivateKey` does. Every error carries its Windows status.
//!
//! ```
//! use keyward_core::store::{KeyKind, KeyStore};
//! use keyward_core::{Error, Status};
//!
//! # fn main() -> keyward_core::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("keyward-core-doc-{}", std::process::id()));
//! // A store in a directory of its own (KeyStore::open_default() honours $KEYWARD_HOME).
//! let store = KeyStore::open(&dir)?;
//! let created = store.generate_self_signed("localhost", KeyKind::EcP256, &["localhost"])?;
//!
//! // What SslOpenPrivateKey does with a certificate: an exact DER match.
//! let found = store.find_by_certificate(created.certificate())?;
//! assert_eq!((found.name(), found.kind()), ("localhost", KeyKind::EcP256));
//!
//! // A failure is an Error, and each Error has one SECURITY_STATUS.
//! let missing = store.get("example.com").unwrap_err();
//! assert_eq!(missing, Error::NotFound);
//! assert_eq!(missing.status(), Status::NTE_NOT_FOUND);
//!
//! // The sealing keys of opaque blobs: the first is made on first use; a rotation adds a
//! // newer one to seal with and keeps the old ones to open with.
//! assert_eq!(store.sealing_keys()?.newest().map(|key| key.id()), Some(1));
//! assert_eq!(store.rotate_sealing_key()?, 2);
//! assert_eq!(store.sealing_keys()?.iter().count(), 2);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! # Contents
//!
//! - [`Status`]: the Windows `SECURITY_STATUS` values, and [`Error`] with its one table to them;
//! - [`secret`]: byte containers that zeroize on drop and never print;
//! - [`backend`]: the crypto facade over aws-lc-rs (aws-lc-sys only where the safe API lacks a
//!   primitive, behind `backend::sys`);
//! - [`codec`]: the one checked byte [`codec::Reader`] and [`codec::Codec`] trait every wire and
//!   file format uses;
//! - [`blob`]: CNG key blobs (`BCRYPT_*_BLOB`), parsed and emitted strictly;
//! - [`store`]: the key store (private keys with their certificates, and the sealing keys);
//! - [`private_fs`]: the owner and mode checks the key store and the card relay directory share.

#![deny(rustdoc::broken_intra_doc_links)]

pub mod backend;
pub mod blob;
pub mod codec;
pub mod error;
pub mod private_fs;
pub mod secret;
pub mod status;
pub mod store;

pub use error::{Error, Result};
pub use secret::{Secret, SecretVec};
pub use status::Status;

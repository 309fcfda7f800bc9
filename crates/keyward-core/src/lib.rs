//! keyward-core: what every keyward room shares.
//!
//! - [`Status`]: the Windows `SECURITY_STATUS` values, and [`Error`] with its one table to them;
//! - [`secret`]: byte containers that zeroize on drop and never print;
//! - [`backend`]: the crypto facade over aws-lc-rs (aws-lc-sys only where the safe API lacks a
//!   primitive, behind `backend::sys`);
//! - [`blob`]: CNG key blobs (`BCRYPT_*_BLOB`), parsed and emitted strictly;
//! - [`store`]: the key store (private keys with their certificates, and the sealing keys);
//! - [`private_fs`]: the owner and mode checks the key store and the card relay directory share.

pub mod backend;
pub mod blob;
pub mod error;
pub mod private_fs;
pub mod secret;
pub mod status;
pub mod store;

pub use error::{Error, Result};
pub use secret::{Secret, SecretVec};
pub use status::Status;

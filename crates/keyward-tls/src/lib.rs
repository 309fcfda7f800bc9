//! keyward-tls: a sans-IO TLS 1.2 and TLS 1.3 client and server whose every cryptographic step
//! goes through the keyward SSL provider (`keyward-ssl`): premaster import, ephemeral keys,
//! master and session keys, the handshake hash, Finished, `SslSignHash` with the key-store key,
//! and record protection. The engine never holds a master secret or traffic secret as bytes.
//!
//! The shape follows rustls: a [`ClientConnection`] or [`ServerConnection`] takes TLS bytes
//! in with `read_tls`, hands them to `process_new_packets`, and gives TLS bytes out with
//! `write_tls`; plaintext goes through `reader()` and `writer()`. [`stream`] wraps a
//! connection and a blocking socket; [`tokio`] does the same for async sockets.

pub mod alert;
pub mod certs;
mod client;
pub mod codec;
pub mod config;
pub mod conn;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod record;
mod resumption;
mod server;
pub mod sign;
pub mod stream;
mod tls12;
mod tls13;
pub mod tokio;
pub mod verify;

pub use alert::{AlertDescription, AlertLevel};
pub use config::{ClientConfig, ExtendedMasterSecret, ServerConfig, Version};
pub use conn::{ClientConnection, ConnectionCommon, ConnectionInfo, ServerConnection};
pub use error::Error;

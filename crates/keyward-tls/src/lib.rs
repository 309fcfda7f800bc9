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
pub mod error;

pub use alert::{AlertDescription, AlertLevel};
pub use error::Error;

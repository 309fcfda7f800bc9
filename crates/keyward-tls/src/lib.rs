//! keyward-tls: a sans-IO TLS 1.2 and TLS 1.3 client and server whose every cryptographic step
//! goes through the keyward SSL provider (`keyward-ssl`): premaster import, ephemeral keys,
//! master and session keys, the handshake hash, Finished, `SslSignHash` with the key-store key,
//! and record protection. The engine never holds a master secret or traffic secret as bytes.
//!
//! # Example
//!
//! A server with a self-signed certificate from the key store, and a client that trusts it,
//! talking over TCP on 127.0.0.1 through the blocking [`stream`] adapter.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::sync::Arc;
//!
//! use keyward_core::store::{KeyKind, KeyStore};
//! use keyward_ssl::Provider;
//! use keyward_tls::certs::CertResolver;
//! use keyward_tls::stream::{io_error, StreamOwned};
//! use keyward_tls::verify::ServerCertVerifier;
//! use keyward_tls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, Version};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("keyward-tls-doc-{}", std::process::id()));
//! // The server's key and certificate live in a key store (KeyStore::open_default() honours
//! // $KEYWARD_HOME); `keyward serve` makes the same on first run.
//! let store = KeyStore::open(&dir)?;
//! let key = store.generate_self_signed("localhost", KeyKind::EcP256, &["localhost"])?;
//! let certificates = CertResolver::from_key_store(&store, &["localhost"])?;
//! let provider = Arc::new(Provider::with_key_store(store));
//! let server_config = Arc::new(ServerConfig::new(provider.clone(), certificates));
//! let verifier = ServerCertVerifier::from_der_roots(&[key.certificate().to_vec()])?;
//! let client_config = Arc::new(ClientConfig::new(provider, verifier));
//!
//! // The server echoes five bytes, then sends close_notify.
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let address = listener.local_addr()?;
//! let server = std::thread::spawn(move || -> std::io::Result<()> {
//!     let (socket, _) = listener.accept()?;
//!     let connection = ServerConnection::new(server_config).map_err(io_error)?;
//!     let mut tls = StreamOwned::new(connection, socket);
//!     let mut request = [0u8; 5];
//!     tls.read_exact(&mut request)?;
//!     tls.write_all(&request)?;
//!     tls.close()
//! });
//!
//! // The client: the first write runs the handshake (TLS 1.3 by default).
//! let connection = ClientConnection::new(client_config, "localhost")?;
//! let mut tls = StreamOwned::new(connection, TcpStream::connect(address)?);
//! tls.write_all(b"hello")?;
//! let mut reply = [0u8; 5];
//! tls.read_exact(&mut reply)?;
//! assert_eq!(&reply, b"hello");
//! assert_eq!(tls.conn.info().map(|info| info.version), Some(Version::Tls13));
//! server.join().expect("the server thread panicked")?;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! # Shape
//!
//! The shape follows rustls: a [`ClientConnection`] or [`ServerConnection`] takes TLS bytes
//! in with `read_tls`, hands them to `process_new_packets`, and gives TLS bytes out with
//! `write_tls`; plaintext goes through `reader()` and `writer()`. [`stream`] wraps a
//! connection and a blocking socket; `tokio` does the same for async sockets.
//!
//! Cargo features, both on by default: `tokio` (the async adapter, the module `tokio`) and
//! `native-roots` (`ServerCertVerifier::system_roots`, the operating system's CA
//! certificates). Without them (`default-features = false`) the crate needs neither tokio
//! nor rustls-native-certs.
//!
//! Limits per connection: at most `max_queued_output` bytes (default 64 KiB) of TLS output
//! wait for `write_tls`; beyond it the connection takes no more records and `wants_read`
//! is false until the peer reads (backpressure). A `write` of application data takes what
//! fills that output up to the bound, and at least one record's worth: a large write returns
//! a short count, as `io::Write` allows (`write_all` and the adapters loop). After
//! [`conn::MAX_UNSOLICITED`] (32)
//! KeyUpdates, refused renegotiations, warning alerts or empty records in a row without
//! application data, the next one ends the connection with `unexpected_message`.

#![deny(rustdoc::broken_intra_doc_links)]

pub mod alert;
pub mod certs;
mod client;
pub mod codec;
mod common_state;
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
#[cfg(test)]
mod tests;
mod tls12;
mod tls13;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod verify;

pub use alert::{AlertDescription, AlertLevel};
pub use client::ClientConnection;
pub use config::{ClientConfig, ExtendedMasterSecret, ServerConfig, Version};
pub use conn::{ConnectionCommon, ConnectionInfo};
pub use error::{Error, Incompatibility};
pub use server::ServerConnection;

//! rustls server keys backed by keyward.
//!
//! A rustls server normally holds its private key in its own memory. With this crate it holds
//! only a [`keyward_ssl::PrivateKey`] opened through a [`keyward_ssl::Provider`]
//! (`SslOpenPrivateKey`), and every handshake signature is a `sign_hash` call
//! (`SslSignHash`) on it:
//!
//! - [`KeywardSigningKey`] is a [`rustls::sign::SigningKey`]: it offers the signature schemes
//!   its key can make ([`schemes`]) and signs by hashing the message with the scheme's hash
//!   and handing the digest to keyward with the scheme's padding (PKCS#1 v1.5, PSS, or
//!   ECDSA, whose `r ‖ s` it encodes as the DER rustls sends).
//! - [`KeywardCertResolver`] is a [`rustls::server::ResolvesServerCert`] over one or more
//!   certificate chains (e.g. an RSA and an ECDSA one): it answers each client with the first
//!   chain whose key can sign with a scheme the client offers.
//!
//! Whichever [`Provider`](keyward_ssl::Provider) the keys are opened from decides where the
//! private key lives: the in-process key store (`Provider::with_key_store`,
//! `Provider::open`), or the keyward keyiso daemon, in which case the key never enters the
//! rustls server's process. This crate needs no change for either.

mod resolver;
mod scheme;
mod signer;

pub use resolver::KeywardCertResolver;
pub use scheme::{schemes, KeyType};
pub use signer::{certified_key, KeywardSigner, KeywardSigningKey};

/// What can go wrong opening a key for rustls: keyward's own errors (with their Windows
/// status).
pub type Error = keyward_core::Error;

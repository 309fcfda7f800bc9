//! keyward-ssl: the Windows CNG SSL Protocol Provider (`Sslprovider.h`, the `Ssl*` functions of
//! ncrypt.dll) as a typed Rust API.
//!
//! # Example
//!
//! A TLS 1.2 ECDHE key exchange between a client and a server provider in one process: the
//! ephemeral public values cross as a TLS engine sends them, both sides derive the same master
//! secret without ever seeing it, and a record sealed by one opens at the other. The provider
//! takes types (a [`Protocol`], a [`CipherSuite`] entry of the one table, a [`Group`], a
//! [`Side`]); keyward-ffi turns the `DWORD`s, blob types and `NCryptBufferDesc` lists of the
//! C calls into them.
//!
//! ```
//! use keyward_core::backend::Curve;
//! use keyward_ssl::{CipherSuite, Group, Parameters, Protocol, Provider, PublicKey, Side};
//!
//! # fn main() -> keyward_core::Result<()> {
//! let tls12 = Protocol::Tls12;
//! let suite = CipherSuite::from_id(0xC02F).expect("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
//! let x25519 = Group::Ec(Curve::X25519);
//! let client = Provider::open(None)?; // SslOpenProvider(MS_SCHANNEL_PROVIDER)
//! let server = Provider::open(None)?;
//!
//! // SslCreateEphemeralKey on each side; each peer's value arrives as the TLS key exchange
//! // carries it (SslImportKey takes the same key as a CNG blob).
//! let server_share = server.create_ephemeral_key(tls12, suite, x25519)?;
//! let client_share = client.create_ephemeral_key(tls12, suite, x25519)?;
//! let server_share_at_client =
//!     PublicKey::from_tls(x25519, &server_share.public_key().to_tls()?)?;
//! let client_share_at_server =
//!     PublicKey::from_tls(x25519, &client_share.public_key().to_tls()?)?;
//!
//! // SslGenerateMasterKey, then SslGenerateSessionKeys, with the hello randoms.
//! let (client_random, server_random) = ([1u8; 32], [2u8; 32]);
//! let randoms = Parameters::with_randoms(&client_random, &server_random);
//! let client_master = client.generate_master_key(
//!     &client_share, &server_share_at_client, tls12, suite, &randoms, Side::Client,
//! )?;
//! let server_master = server.generate_master_key(
//!     &server_share, &client_share_at_server, tls12, suite, &randoms, Side::Server,
//! )?;
//!
//! // SslComputeFinishedHash over the same transcript agrees on both sides.
//! let mut client_transcript = client.create_handshake_hash(tls12, suite)?;
//! let mut server_transcript = server.create_handshake_hash(tls12, suite)?;
//! client_transcript.update(b"ClientHello ... ClientKeyExchange");
//! server_transcript.update(b"ClientHello ... ClientKeyExchange");
//! assert_eq!(
//!     client_master.compute_finished_hash(&client_transcript, Side::Client)?,
//!     server_master.compute_finished_hash(&server_transcript, Side::Client)?,
//! );
//!
//! // SslEncryptPacket at the client, SslDecryptPacket at the server.
//! let client_keys = client_master.generate_session_keys(&randoms)?;
//! let server_keys = server_master.generate_session_keys(&randoms)?;
//! let request = b"GET / HTTP/1.1\r\n\r\n";
//! let mut record = vec![0u8; client_keys.write.max_encrypted_len(request.len())];
//! let record_len = client_keys.write.encrypt_packet(request, &mut record, 0, 23)?;
//! let mut plaintext = vec![0u8; record_len];
//! let plaintext_len = server_keys.read.decrypt_packet(&record[..record_len], &mut plaintext, 0)?;
//! assert_eq!(&plaintext[..plaintext_len], request);
//! # Ok(())
//! # }
//! ```
//!
//! # The flow
//!
//! The flow of a TLS 1.2 handshake, with the Windows function behind each step:
//!
//! | step | keyward | Windows |
//! |---|---|---|
//! | open the provider | [`Provider::open`] | `SslOpenProvider` |
//! | server key | [`Provider::open_private_key`] | `SslOpenPrivateKey` |
//! | (EC)DHE share | [`Provider::create_ephemeral_key`], [`PublicKey::from_tls`] | `SslCreateEphemeralKey`, `SslImportKey` |
//! | master secret | [`Provider::generate_master_key`], [`Provider::generate_master_key_rsa`], [`Provider::import_master_key`] | `SslGenerateMasterKey`, `SslImportMasterKey` |
//! | transcript | [`HandshakeHash`] | `SslCreateHandshakeHash`, `SslHashHandshake` |
//! | session keys | [`MasterKey::generate_session_keys`] | `SslGenerateSessionKeys` |
//! | Finished | [`MasterKey::compute_finished_hash`] | `SslComputeFinishedHash` |
//! | records | [`SessionKey::encrypt_packet`], [`SessionKey::decrypt_packet`] | `SslEncryptPacket`, `SslDecryptPacket` |
//!
//! Secrets stay inside these objects; they leave only sealed, through the opaque export.

#![deny(rustdoc::broken_intra_doc_links)]

pub mod flight;
pub mod hash;
pub mod isolation;
pub mod keys;
pub mod master;
pub mod opaque;
pub mod params;
pub mod protocol;
pub mod provider;
pub mod record;
pub mod session;
pub mod side;
pub mod signature;
pub mod suites;
pub mod ticket;
pub mod tls13;

pub use hash::HandshakeHash;
pub use isolation::{KeyIsolation, RemoteHandle, RemoteOpaqueKey, KEYWARD_ISOLATED_PROVIDER};
pub use keys::{
    EphemeralKey, Group, PrivateBlobType, PrivateKey, PublicBlobType, PublicKey, SignaturePadding,
};
pub use master::MasterKey;
pub use opaque::OpaqueKey;
pub use params::Parameters;
pub use protocol::Protocol;
pub use provider::{PreMasterKey, Provider};
pub use record::CbcMode;
pub use session::{Direction, SessionKey, SessionKeys};
pub use side::Side;
pub use suites::{CipherSuite, CipherSuiteInfo, KeyExchange};
pub use ticket::TicketKey;
pub use tls13::{SecretKind, Tls13Secret};

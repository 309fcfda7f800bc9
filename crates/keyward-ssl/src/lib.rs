//! keyward-ssl: the Windows CNG SSL Protocol Provider (`Sslprovider.h`, the `Ssl*` functions of
//! ncrypt.dll) as a typed Rust API.
//!
//! The flow of a TLS 1.2 handshake, with the Windows function behind each step:
//!
//! | step | keyward | Windows |
//! |---|---|---|
//! | open the provider | [`Provider::open`] | `SslOpenProvider` |
//! | server key | [`Provider::open_private_key`] | `SslOpenPrivateKey` |
//! | (EC)DHE share | [`Provider::create_ephemeral_key`], [`Provider::import_public_key`] | `SslCreateEphemeralKey`, `SslImportKey` |
//! | master secret | [`Provider::generate_master_key`], [`Provider::generate_master_key_rsa`], [`Provider::import_master_key`] | `SslGenerateMasterKey`, `SslImportMasterKey` |
//! | transcript | [`HandshakeHash`] | `SslCreateHandshakeHash`, `SslHashHandshake` |
//! | session keys | [`MasterKey::generate_session_keys`] | `SslGenerateSessionKeys` |
//! | Finished | [`MasterKey::compute_finished_hash`] | `SslComputeFinishedHash` |
//! | records | [`SessionKey::encrypt_packet`], [`SessionKey::decrypt_packet`] | `SslEncryptPacket`, `SslDecryptPacket` |
//!
//! Secrets stay inside these objects; they leave only sealed, through the opaque export.

pub mod hash;
pub mod keys;
pub mod master;
pub mod opaque;
pub mod params;
pub mod protocol;
pub mod provider;
pub mod record;
pub mod session;
pub mod side;
pub mod suites;
pub mod tls13;

pub use hash::HandshakeHash;
pub use keys::{EphemeralKey, Group, PrivateKey, PublicKey, SignaturePadding};
pub use master::MasterKey;
pub use opaque::OpaqueKey;
pub use params::Parameters;
pub use protocol::Protocol;
pub use provider::{PreMasterKey, Provider};
pub use session::{Direction, SessionKey, SessionKeys};
pub use side::Side;
pub use suites::{CipherSuite, CipherSuiteInfo, KeyExchange};
pub use tls13::{SecretKind, Tls13Secret};

//! keyward keyiso: private keys and handshake secrets in their own process, as Windows keeps
//! them in LSASS behind the Key Isolation service.
//!
//! A daemon ([`server`]) is the only process that opens the key store. It performs every
//! operation that touches a private key, a premaster, a master secret or a TLS 1.3 handshake
//! secret, and hands its clients ([`client`]) only handles to those objects and the traffic
//! keys they need to protect records, which the clients build into keyward-ssl
//! [`SessionKey`](keyward_ssl::SessionKey)s in their own process. The two talk a versioned,
//! length-prefixed binary protocol over a Unix socket ([`protocol`], described in
//! `docs/keyiso-protocol.md`); the daemon authenticates every client by `SO_PEERCRED`
//! ([`peer`]) and keeps each client's handles in a table that dies with its connection
//! ([`handles`]), under per-client limits ([`limits`]).
//!
//! [`isolated_provider`] is the isolated provider on top ([`isolated`]): a keyward-ssl
//! [`Provider`](keyward_ssl::Provider) whose secrets live in the daemon, which keyward-tls,
//! libkeyward (`KEYWARD_KEYISO=SOCKET`, or "Keyward Isolated SSL Provider") and
//! `keyward serve --keyiso SOCKET` run on unchanged.
//!
//! | request | keyward-ssl call in the daemon | Windows |
//! |---|---|---|
//! | open private key | `Provider::open_private_key` | `SslOpenPrivateKey` |
//! | sign hash | `PrivateKey::sign_hash` | `SslSignHash` |
//! | import master key | `Provider::import_master_key` | `SslImportMasterKey` |
//! | create ephemeral key | `Provider::create_ephemeral_key` | `SslCreateEphemeralKey` |
//! | generate master key | `Provider::generate_master_key` | `SslGenerateMasterKey` |
//! | compute Finished | `MasterKey::compute_finished_for_digest` | `SslComputeFinishedHash` |
//! | generate session keys | `MasterKey::generate_session_keys` | `SslGenerateSessionKeys` + `SslExportKey` |
//! | TLS 1.3 extract / expand | `Provider::extract_*`, `Provider::expand_*_for_digest` | `SslExtract*Key`, `SslExpand*` |
//! | TLS 1.3 write key | `Provider::expand_write_key` | `SslExpandWriteKey` + `SslExportKey` |
//! | TLS 1.3 Finished | `Tls13Secret::compute_finished_for_digest` | `SslComputeFinishedHash` |
//! | exporters | `export_keying_material` | `SslExportKeyingMaterial` |
//! | TLS 1.3 key update | `Tls13Secret::update_traffic_secret` | (none: "traffic upd") |
//! | TLS 1.3 resumption, PSK, binder | `Provider::expand_resumption_master_key_for_digest`, `expand_pre_shared_key`, `extract_early_key`, `expand_binder_key` | `SslExpandResumptionMasterKey`, `SslExpandPreSharedKey`, `SslExtractEarlyKey`, `SslExpandBinderKey` |
//! | opaque export / import | `Provider::export_master_key`, `export_tls13_secret`, `import_opaque_key` | `SslExportKey` / `SslImportKey` (`BCRYPT_OPAQUE_KEY_BLOB`) |
//! | seal / open ticket | the daemon's one `TicketKey` | (none: Schannel keeps ticket keys in LSA) |
//! | free | (drop) | `SslFreeObject` |

pub mod client;
pub mod handles;
pub mod isolated;
pub mod limits;
pub mod operations;
pub mod peer;
pub mod protocol;
pub mod server;

pub use client::{
    Client, RemoteEphemeralKey, RemoteMasterKey, RemoteOpaqueKey, RemotePrivateKey,
    RemoteTls13Secret,
};
pub use isolated::{isolated_provider, isolated_provider_default, IsolationService};
pub use limits::Limits;
pub use peer::Allowlist;
pub use protocol::{Handle, KeyAlgorithm, PROTOCOL_VERSION};
pub use server::{serve, Config, Daemon, RunningDaemon};

use std::path::{Path, PathBuf};

/// The default socket of the daemon, where [`Client::connect_default`] looks and
/// [`Config::default_socket_path`] listens: `$XDG_RUNTIME_DIR/keyward/keyiso.sock`, or
/// `/run/keyward/keyiso.sock` for root or without `XDG_RUNTIME_DIR`.
pub fn default_socket_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(runtime) if peer::own_uid() != 0 => {
            Path::new(&runtime).join("keyward").join("keyiso.sock")
        }
        _ => PathBuf::from("/run/keyward/keyiso.sock"),
    }
}

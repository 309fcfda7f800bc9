//! keyward-tls, through its public API only. The server's keys go into a key store with
//! `KeyStore::import` and come out through `CertResolver::from_key_store`, as `keyward serve`
//! loads them.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyward_core::backend::Curve;
use keyward_core::store::KeyStore;
use keyward_ssl::{Group, Provider};
use keyward_tls::certs::CertResolver;
use keyward_tls::verify::ServerCertVerifier;
use keyward_tls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

use crate::case::{Params, Resumption, Version};
use crate::harness::{Endpoint, Failure, Library};
use crate::pki::{CertKind, Pki, SERVER_NAME};

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory under the system's temporary directory.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "keyward-bench-{}-{tag}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // Left over from an earlier run with the same process id: start clean.
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The key stores every keyward case shares: the server's, holding both leaves, and the
/// client's (empty: a client needs no key).
pub struct Stores {
    server: KeyStore,
    client: KeyStore,
    _dirs: (TempDir, TempDir),
}

fn key_name(cert: CertKind) -> &'static str {
    match cert {
        CertKind::Rsa => "bench-rsa",
        CertKind::Ecdsa => "bench-ecdsa",
    }
}

impl Stores {
    /// Makes the stores and imports both leaves.
    pub fn new(pki: &Pki) -> Result<Stores, Failure> {
        let server_dir = TempDir::new("server");
        let client_dir = TempDir::new("client");
        let server = KeyStore::open(server_dir.path()).map_err(|err| err.to_string())?;
        let client = KeyStore::open(client_dir.path()).map_err(|err| err.to_string())?;
        for cert in [CertKind::Rsa, CertKind::Ecdsa] {
            let leaf = pki.leaf(cert);
            server
                .import(key_name(cert), &leaf.pkcs8, &leaf.cert)
                .map_err(|err| format!("importing {}: {err}", key_name(cert)))?;
        }
        Ok(Stores {
            server,
            client,
            _dirs: (server_dir, client_dir),
        })
    }
}

/// keyward-tls configured for one case.
pub struct Keyward {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

impl Keyward {
    /// The configurations of `params`.
    pub fn new(pki: &Pki, stores: &Stores, params: Params) -> Result<Keyward, Failure> {
        let suite = keyward_ssl::suites::CIPHER_SUITES
            .iter()
            .find(|suite| suite.name == params.suite_name())
            .ok_or_else(|| format!("keyward has no suite {}", params.suite_name()))?;
        let version = match params.version {
            Version::Tls12 => keyward_tls::Version::Tls12,
            Version::Tls13 => keyward_tls::Version::Tls13,
        };
        let groups = vec![Group::Ec(Curve::X25519)];

        let certificates = CertResolver::from_key_store(&stores.server, &[key_name(params.cert)])
            .map_err(|err| err.to_string())?;
        let mut server = ServerConfig::new(
            Arc::new(Provider::with_key_store(stores.server.clone())),
            certificates,
        );
        server.versions = vec![version];
        server.cipher_suites = vec![suite];
        server.groups = groups.clone();
        server.session_tickets = matches!(
            params.resumption,
            Resumption::Tls12Ticket | Resumption::Tls13Ticket
        );
        server.session_cache = params.resumption == Resumption::Tls12SessionId;

        let verifier = ServerCertVerifier::from_der_roots(std::slice::from_ref(&pki.ca))
            .map_err(|err| err.to_string())?;
        let mut client = ClientConfig::new(
            Arc::new(Provider::with_key_store(stores.client.clone())),
            verifier,
        );
        client.versions = vec![version];
        client.cipher_suites = vec![suite];
        client.groups = groups;
        client.resumption = params.resumption != Resumption::Off;
        Ok(Keyward {
            client: Arc::new(client),
            server: Arc::new(server),
        })
    }
}

impl Library for Keyward {
    type Client = ClientConnection;
    type Server = ServerConnection;

    fn client(&self) -> Result<ClientConnection, Failure> {
        ClientConnection::new(self.client.clone(), SERVER_NAME).map_err(|err| err.to_string())
    }

    fn server(&self) -> Result<ServerConnection, Failure> {
        ServerConnection::new(self.server.clone()).map_err(|err| err.to_string())
    }
}

macro_rules! endpoint {
    ($connection:ty) => {
        impl Endpoint for $connection {
            fn read_tls(&mut self, rd: &mut dyn Read) -> io::Result<usize> {
                (**self).read_tls(rd)
            }

            fn write_tls(&mut self, wr: &mut dyn Write) -> io::Result<usize> {
                (**self).write_tls(wr)
            }

            fn process(&mut self) -> Result<(), Failure> {
                self.process_new_packets()
                    .map_err(|err| format!("keyward: {err}"))
            }

            fn wants_write(&self) -> bool {
                (**self).wants_write()
            }

            fn is_handshaking(&self) -> bool {
                (**self).is_handshaking()
            }

            fn resumed(&self) -> bool {
                self.info().is_some_and(|info| info.resumed)
            }

            fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
                self.writer().write(data)
            }

            fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.reader().read(buf)
            }
        }
    };
}

endpoint!(ClientConnection);
endpoint!(ServerConnection);

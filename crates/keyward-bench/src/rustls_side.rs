//! rustls 0.23 with its aws-lc-rs provider, configured as keyward is for the same case.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rustls::client::{Resumption as ClientResumption, Tls12Resumption};
use rustls::crypto::aws_lc_rs::{self as provider, cipher_suite, kx_group};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache};
use rustls::{
    ClientConfig, ClientConnection, HandshakeKind, RootCertStore, ServerConfig, ServerConnection,
    SupportedCipherSuite,
};

use crate::case::{Params, Resumption, Version};
use crate::harness::{Endpoint, Failure, Library};
use crate::pki::{Pki, SERVER_NAME};

/// rustls configured for one case.
pub struct Rustls {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    server_name: ServerName<'static>,
}

fn suite(name: &str) -> Result<SupportedCipherSuite, Failure> {
    [
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
    .into_iter()
    // rustls spells the TLS 1.3 suites `TLS13_...`; the IANA names are `TLS_...`.
    .find(|suite| {
        suite
            .suite()
            .as_str()
            .is_some_and(|own| own.replacen("TLS13_", "TLS_", 1) == name)
    })
    .ok_or_else(|| format!("rustls has no suite {name}"))
}

fn error(err: impl std::fmt::Display) -> Failure {
    format!("rustls: {err}")
}

impl Rustls {
    /// The configurations of `params`.
    pub fn new(pki: &Pki, params: Params) -> Result<Rustls, Failure> {
        let provider = Arc::new(CryptoProvider {
            cipher_suites: vec![suite(params.suite_name())?],
            kx_groups: vec![kx_group::X25519],
            ..provider::default_provider()
        });
        let versions: &[&rustls::SupportedProtocolVersion] = match params.version {
            Version::Tls12 => &[&rustls::version::TLS12],
            Version::Tls13 => &[&rustls::version::TLS13],
        };

        let leaf = pki.leaf(params.cert);
        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .map_err(error)?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.cert.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.pkcs8.clone())),
            )
            .map_err(error)?;
        // As keyward: one TLS 1.3 ticket per handshake, tickets and the session-ID cache
        // only in the cases that use them.
        server.send_tls13_tickets = 0;
        server.session_storage = Arc::new(NoServerSessionStorage {});
        match params.resumption {
            Resumption::Off => {}
            Resumption::Tls12Ticket | Resumption::Tls13Ticket => {
                server.ticketer = provider::Ticketer::new().map_err(error)?;
                server.send_tls13_tickets = 1;
            }
            Resumption::Tls12SessionId => {
                server.session_storage = ServerSessionMemoryCache::new(1024);
            }
        }

        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(pki.ca.clone()))
            .map_err(error)?;
        let mut client = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(error)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.resumption = match params.resumption {
            Resumption::Off => ClientResumption::disabled(),
            _ => ClientResumption::in_memory_sessions(256)
                .tls12_resumption(Tls12Resumption::SessionIdOrTickets),
        };
        Ok(Rustls {
            client: Arc::new(client),
            server: Arc::new(server),
            server_name: ServerName::try_from(SERVER_NAME).map_err(error)?,
        })
    }
}

impl Library for Rustls {
    type Client = ClientConnection;
    type Server = ServerConnection;

    fn client(&self) -> Result<ClientConnection, Failure> {
        ClientConnection::new(self.client.clone(), self.server_name.clone()).map_err(error)
    }

    fn server(&self) -> Result<ServerConnection, Failure> {
        ServerConnection::new(self.server.clone()).map_err(error)
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
                self.process_new_packets().map(|_| ()).map_err(error)
            }

            fn wants_write(&self) -> bool {
                (**self).wants_write()
            }

            fn is_handshaking(&self) -> bool {
                (**self).is_handshaking()
            }

            fn resumed(&self) -> bool {
                self.handshake_kind() == Some(HandshakeKind::Resumed)
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

//! [`KeywardCertResolver`]: the certificate a rustls server presents, chosen among keyward
//! keys by the signature schemes the client offers.

use std::sync::Arc;

use keyward_core::Error;
use keyward_ssl::Provider;
use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::signer::certified_key;

/// Resolves every client to the first of its keys that can sign with a scheme the client
/// offers (so list an ECDSA chain before an RSA one to prefer ECDSA). A client none of the
/// keys suits gets no certificate, and rustls fails its handshake.
#[derive(Debug)]
pub struct KeywardCertResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl KeywardCertResolver {
    /// A resolver over certified keys already made (e.g. by [`certified_key`]). An empty
    /// list is `NTE_INVALID_PARAMETER`.
    pub fn new(keys: Vec<Arc<CertifiedKey>>) -> Result<KeywardCertResolver, Error> {
        if keys.is_empty() {
            return Err(Error::InvalidParameter("no certificate to serve"));
        }
        Ok(KeywardCertResolver { keys })
    }

    /// A resolver over `chains` (each end-entity certificate first), their private keys
    /// opened through `provider`.
    pub fn open(
        provider: &Provider,
        chains: Vec<Vec<CertificateDer<'static>>>,
    ) -> Result<KeywardCertResolver, Error> {
        let keys = chains
            .into_iter()
            .map(|chain| certified_key(provider, chain).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        KeywardCertResolver::new(keys)
    }

    /// The certified keys, in order of preference.
    pub fn keys(&self) -> &[Arc<CertifiedKey>] {
        &self.keys
    }
}

impl ResolvesServerCert for KeywardCertResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let offered = client_hello.signature_schemes();
        self.keys
            .iter()
            .find(|key| key.key.choose_scheme(offered).is_some())
            .cloned()
    }
}

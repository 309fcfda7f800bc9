//! The server's certificates and keys, and the choice among them by the name the client asked
//! for (SNI).

use std::sync::Arc;

use keyward_core::store::{KeyStore, StoredKey};
use keyward_ssl::PrivateKey;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::alert::AlertDescription;
use crate::error::Error;

/// A certificate chain with the private key of its end entity (the provider's key-pair object
/// of `SslOpenPrivateKey`), and the DNS names the end-entity certificate is for.
pub struct CertifiedKey {
    /// The chain, DER, end entity first, as sent in the Certificate message.
    pub chain: Vec<Vec<u8>>,
    /// The end entity's private key.
    pub key: PrivateKey,
    /// The names the end entity is for: its DNS subject alternative names (lower case, as
    /// written, wildcards included), or its common names when it has no DNS SAN.
    pub names: Vec<String>,
}

impl std::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("chain_len", &self.chain.len())
            .field("rsa", &self.is_rsa())
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl CertifiedKey {
    /// Pairs a chain (end entity first, non-empty) with the end entity's private key and reads
    /// the end entity's names. `key` should be the key of `chain[0]` (the key store checks that
    /// for stored keys; this constructor does not).
    pub fn new(chain: Vec<Vec<u8>>, key: PrivateKey) -> Result<Self, Error> {
        let end_entity = chain
            .first()
            .ok_or(Error::General("a certificate chain needs an end entity"))?;
        let names = certificate_names(end_entity)?;
        Ok(CertifiedKey { chain, key, names })
    }

    /// True for an RSA key (RSA, DHE_RSA and ECDHE_RSA suites), false for ECDSA.
    pub fn is_rsa(&self) -> bool {
        self.key.is_rsa()
    }

    /// A stored key with its certificate, followed by `extra_chain` (intermediates, DER).
    pub fn from_stored(stored: &StoredKey, extra_chain: Vec<Vec<u8>>) -> Result<Self, Error> {
        let key = PrivateKey::from_stored(stored)?;
        let mut chain = Vec::with_capacity(1 + extra_chain.len());
        chain.push(stored.certificate().to_vec());
        chain.extend(extra_chain);
        Self::new(chain, key)
    }

    /// The end-entity certificate, DER.
    pub fn end_entity(&self) -> &[u8] {
        self.chain.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when one of [`Self::names`] matches `server_name`: exactly (ASCII case-insensitive,
    /// a trailing dot ignored) or through a wildcard `*.rest` that stands for exactly one
    /// non-empty leftmost label.
    pub fn matches(&self, server_name: &str) -> bool {
        self.names
            .iter()
            .any(|name| name_matches(name, server_name))
    }
}

/// The DNS names of a certificate: its DNS SANs, or, without any, its subject common names.
pub fn certificate_names(der: &[u8]) -> Result<Vec<String>, Error> {
    let certificate = match X509Certificate::from_der(der) {
        Ok(([], certificate)) => certificate,
        _ => {
            return Err(Error::Certificate(
                "malformed certificate".into(),
                AlertDescription::BadCertificate,
            ))
        }
    };
    let mut names = Vec::new();
    if let Ok(Some(san)) = certificate.subject_alternative_name() {
        for general_name in &san.value.general_names {
            if let GeneralName::DNSName(name) = general_name {
                names.push(name.to_ascii_lowercase());
            }
        }
    }
    if names.is_empty() {
        for common_name in certificate.subject().iter_common_name() {
            if let Ok(name) = common_name.as_str() {
                names.push(name.to_ascii_lowercase());
            }
        }
    }
    Ok(names)
}

/// Matches a certificate name (possibly `*.rest`) against a server name.
fn name_matches(pattern: &str, server_name: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    let server_name = server_name.strip_suffix('.').unwrap_or(server_name);
    if pattern.is_empty() || server_name.is_empty() {
        return false;
    }
    if let Some(rest) = pattern.strip_prefix("*.") {
        if rest.is_empty() || rest.contains('*') {
            return false;
        }
        return match server_name.split_once('.') {
            Some((label, server_rest)) => {
                !label.is_empty() && server_rest.eq_ignore_ascii_case(rest)
            }
            None => false,
        };
    }
    !pattern.contains('*') && pattern.eq_ignore_ascii_case(server_name)
}

/// The server's certified keys, in configuration order. Cheap to clone (the keys are shared).
#[derive(Clone, Debug, Default)]
pub struct CertResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl CertResolver {
    /// A resolver over `keys`, in this order.
    pub fn new(keys: Vec<CertifiedKey>) -> Self {
        CertResolver {
            keys: keys.into_iter().map(Arc::new).collect(),
        }
    }

    /// A resolver over the keys stored under `names` in `store` (each with its certificate
    /// alone as the chain), in this order; every key in the store, by name, when `names` is
    /// empty. A missing name is [`Error::Provider`] with `NotFound`.
    pub fn from_key_store(store: &KeyStore, names: &[&str]) -> Result<Self, Error> {
        let all;
        let names: Vec<&str> = if names.is_empty() {
            all = store.list()?;
            all.iter().map(String::as_str).collect()
        } else {
            names.to_vec()
        };
        let mut keys = Vec::with_capacity(names.len());
        for name in names {
            let stored = store.get(name)?;
            keys.push(CertifiedKey::from_stored(&stored, Vec::new())?);
        }
        Ok(CertResolver::new(keys))
    }

    /// Adds a key after the others.
    pub fn push(&mut self, key: CertifiedKey) {
        self.keys.push(Arc::new(key));
    }

    /// Every key, in configuration order.
    pub fn keys(&self) -> &[Arc<CertifiedKey>] {
        &self.keys
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys whose certificate names match `server_name` (DNS SAN, wildcard "*.x"), then the rest as defaults, in configuration order.
    pub fn candidates(&self, server_name: Option<&str>) -> Vec<Arc<CertifiedKey>> {
        let Some(server_name) = server_name else {
            return self.keys.clone();
        };
        let (matching, rest): (Vec<_>, Vec<_>) = self
            .keys
            .iter()
            .cloned()
            .partition(|key| key.matches(server_name));
        matching.into_iter().chain(rest).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards_match_one_label() {
        assert!(name_matches("*.example.com", "www.example.com"));
        assert!(name_matches("*.example.com", "WWW.Example.COM."));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", ".example.com"));
        assert!(!name_matches("*.", "a."));
        assert!(!name_matches("w*.example.com", "www.example.com"));
        assert!(name_matches("example.com", "EXAMPLE.com"));
        assert!(!name_matches("example.com", "www.example.com"));
        assert!(!name_matches("", ""));
    }
}

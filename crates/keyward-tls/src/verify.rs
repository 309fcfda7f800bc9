//! The client's check of the server's certificate chain and name (rustls-webpki), and the
//! public key of an end-entity certificate as a provider key (`SslImportKey`).

use std::path::Path;
use std::sync::Arc;

use keyward_core::backend::Curve;
use keyward_ssl::PublicKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::alert::AlertDescription;
use crate::error::Error;

/// How a [`ServerCertVerifier`] decides.
#[derive(Clone)]
enum Mode {
    /// Chain to one of these trust anchors, for the server's name.
    Roots(Arc<Vec<TrustAnchor<'static>>>),
    /// Accept any certificate (testing only).
    Insecure,
}

/// Verifies the server's certificate chain against trust anchors and its name against the
/// name the client connected to. Cheap to clone (the anchors are shared).
#[derive(Clone)]
pub struct ServerCertVerifier {
    mode: Mode,
}

impl std::fmt::Debug for ServerCertVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.mode {
            Mode::Roots(roots) => write!(f, "ServerCertVerifier({} roots)", roots.len()),
            Mode::Insecure => f.write_str("ServerCertVerifier(insecure)"),
        }
    }
}

/// A local (configuration) error: the alert is never sent, it only completes the type.
fn config_error(message: String) -> Error {
    Error::Certificate(message, AlertDescription::InternalError)
}

impl ServerCertVerifier {
    /// Trusts the CA certificates of a PEM bundle (`-----BEGIN CERTIFICATE-----` sections;
    /// other sections are skipped). A file that cannot be read, a malformed PEM section, a
    /// certificate that is not a usable trust anchor, or a bundle without certificates is an
    /// [`Error::Certificate`] naming the file.
    pub fn from_ca_file(path: &Path) -> Result<Self, Error> {
        let pem = std::fs::read(path)
            .map_err(|error| config_error(format!("{}: {error}", path.display())))?;
        Self::from_pem(&pem).map_err(|error| match error {
            Error::Certificate(message, alert) => {
                Error::Certificate(format!("{}: {message}", path.display()), alert)
            }
            other => other,
        })
    }

    /// Trusts the CA certificates of PEM text (as [`Self::from_ca_file`]).
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut certificates = Vec::new();
        for certificate in CertificateDer::pem_slice_iter(pem) {
            certificates
                .push(certificate.map_err(|error| config_error(format!("bad PEM: {error}")))?);
        }
        if certificates.is_empty() {
            return Err(config_error("no certificates in the CA bundle".into()));
        }
        let ders: Vec<Vec<u8>> = certificates.iter().map(|c| c.to_vec()).collect();
        Self::from_der_roots(&ders)
    }

    /// Trusts DER CA certificates. Any certificate that is not a usable trust anchor is an
    /// error.
    pub fn from_der_roots(roots: &[Vec<u8>]) -> Result<Self, Error> {
        let mut anchors = Vec::with_capacity(roots.len());
        for (index, der) in roots.iter().enumerate() {
            let der = CertificateDer::from(der.as_slice());
            let anchor = webpki::anchor_from_trusted_cert(&der).map_err(|error| {
                config_error(format!("CA certificate {} unusable: {error}", index + 1))
            })?;
            anchors.push(anchor.to_owned());
        }
        if anchors.is_empty() {
            return Err(config_error("no trust anchors".into()));
        }
        Ok(ServerCertVerifier {
            mode: Mode::Roots(Arc::new(anchors)),
        })
    }

    /// Trusts the operating system's CA certificates (rustls-native-certs: the system bundle,
    /// or `SSL_CERT_FILE` / `SSL_CERT_DIR`). Certificates that cannot be used as anchors are
    /// skipped; finding none at all is an error. Needs the `native-roots` feature.
    #[cfg(feature = "native-roots")]
    pub fn system_roots() -> Result<Self, Error> {
        let found = rustls_native_certs::load_native_certs();
        let anchors: Vec<TrustAnchor<'static>> = found
            .certs
            .iter()
            .filter_map(|der| webpki::anchor_from_trusted_cert(der).ok())
            .map(|anchor| anchor.to_owned())
            .collect();
        if anchors.is_empty() {
            let why = match found.errors.first() {
                Some(error) => format!("no system CA certificates: {error}"),
                None => "no system CA certificates".to_owned(),
            };
            return Err(config_error(why));
        }
        if !found.errors.is_empty() {
            tracing::debug!(
                errors = found.errors.len(),
                "some system CA certificates could not be loaded"
            );
        }
        Ok(ServerCertVerifier {
            mode: Mode::Roots(Arc::new(anchors)),
        })
    }

    /// Accepts any server certificate: skips chain and name checks. For tests and for
    /// connecting to a known server with a self-signed certificate; never for real traffic.
    pub fn insecure() -> Self {
        ServerCertVerifier {
            mode: Mode::Insecure,
        }
    }

    /// True for [`Self::insecure`].
    pub fn is_insecure(&self) -> bool {
        matches!(self.mode, Mode::Insecure)
    }

    /// Number of trust anchors (0 when insecure).
    pub fn root_count(&self) -> usize {
        match &self.mode {
            Mode::Roots(roots) => roots.len(),
            Mode::Insecure => 0,
        }
    }

    /// Checks the server's chain (`chain[0]` the end entity, then intermediates in any order)
    /// against the trust anchors, for TLS server authentication, at the current time, and that
    /// the end entity is valid for `server_name` (a DNS name or an IP address literal).
    ///
    /// Refusals are [`Error::Certificate`] with the alert RFC 8446 §6.2 suggests:
    /// `unknown_ca`, `certificate_expired` (also for not yet valid), `certificate_revoked`,
    /// `unsupported_certificate` (wrong extended key usage), `bad_certificate` (wrong name,
    /// malformed and everything else), `decrypt_error` (a chain signature that does not
    /// verify). An empty chain is `decode_error` (RFC 8446 §4.4.2.4).
    pub fn verify(&self, chain: &[Vec<u8>], server_name: &str) -> Result<(), Error> {
        self.verify_at(chain, server_name, UnixTime::now())
    }

    /// [`Self::verify`] at a given time (seconds since the Unix epoch), for tests and replay.
    pub fn verify_at_time(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        unix_seconds: u64,
    ) -> Result<(), Error> {
        self.verify_at(
            chain,
            server_name,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(unix_seconds)),
        )
    }

    fn verify_at(&self, chain: &[Vec<u8>], server_name: &str, now: UnixTime) -> Result<(), Error> {
        let (end_entity, intermediates) = chain.split_first().ok_or_else(|| {
            Error::Certificate(
                "the server sent no certificate".into(),
                AlertDescription::DecodeError,
            )
        })?;
        let roots = match &self.mode {
            Mode::Insecure => return Ok(()),
            Mode::Roots(roots) => roots,
        };
        let name = ServerName::try_from(server_name).map_err(|_| {
            Error::Certificate(
                format!("{server_name:?} is not a DNS name or IP address"),
                AlertDescription::BadCertificate,
            )
        })?;
        let end_entity_der = CertificateDer::from(end_entity.as_slice());
        let certificate = webpki::EndEntityCert::try_from(&end_entity_der).map_err(pki_error)?;
        let intermediates: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .map(|der| CertificateDer::from(der.as_slice()))
            .collect();
        certificate
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                roots,
                &intermediates,
                now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .map_err(pki_error)?;
        certificate
            .verify_is_valid_for_subject_name(&name)
            .map_err(|error| match error {
                webpki::Error::CertNotValidForName(_) => Error::Certificate(
                    format!("certificate is not valid for {server_name:?}"),
                    AlertDescription::BadCertificate,
                ),
                other => pki_error(other),
            })
    }
}

/// The TLS alert for a rustls-webpki refusal, with a readable reason.
fn pki_error(error: webpki::Error) -> Error {
    use webpki::Error as E;
    let alert = match &error {
        E::UnknownIssuer => AlertDescription::UnknownCa,
        E::CertExpired { .. } | E::CertNotValidYet { .. } => AlertDescription::CertificateExpired,
        E::CertRevoked => AlertDescription::CertificateRevoked,
        E::RequiredEkuNotFoundContext(_) => AlertDescription::UnsupportedCertificate,
        E::InvalidSignatureForPublicKey => AlertDescription::DecryptError,
        _ => AlertDescription::BadCertificate,
    };
    let reason = match &error {
        E::UnknownIssuer => "issuer not trusted (unknown CA)".to_owned(),
        E::CertExpired { .. } => "certificate expired".to_owned(),
        E::CertNotValidYet { .. } => "certificate not valid yet".to_owned(),
        other => format!("{other}"),
    };
    Error::Certificate(reason, alert)
}

/// The key-exchange public key of an end-entity certificate as a keyward_ssl::PublicKey
/// (for TLS 1.2 RSA key exchange: the client encrypts the premaster to it).
///
/// RSA (`rsaEncryption`) keys come back as [`PublicKey::Rsa`] ([`PublicKey::rsa`]), EC keys
/// on P-256 and P-384 as [`PublicKey::Ecdsa`] ([`PublicKey::ecdsa`]); both validate the
/// modulus or the point.
/// A malformed certificate is [`Error::Certificate`] with `bad_certificate`; another key type
/// or curve, or an RSA key outside the provider's sizes, is `unsupported_certificate`.
pub fn public_key_of(end_entity_der: &[u8]) -> Result<PublicKey, Error> {
    let bad = |why: &str| Error::Certificate(why.to_owned(), AlertDescription::BadCertificate);
    let unsupported =
        |why: &str| Error::Certificate(why.to_owned(), AlertDescription::UnsupportedCertificate);
    let certificate = match X509Certificate::from_der(end_entity_der) {
        Ok(([], certificate)) => certificate,
        Ok(_) => return Err(bad("trailing data after the certificate")),
        Err(_) => return Err(bad("malformed certificate")),
    };
    let spki = certificate.public_key();
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        let key = match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(key)) => key,
            _ => return Err(bad("malformed RSA public key")),
        };
        let modulus = strip_zeros(key.modulus);
        let exponent = strip_zeros(key.exponent);
        PublicKey::rsa(modulus, exponent).map_err(|_| unsupported("RSA public key not supported"))
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|parameters| parameters.as_oid().ok())
            .ok_or_else(|| unsupported("EC key without a named curve"))?;
        let curve = if curve_oid == OID_EC_P256 {
            Curve::P256
        } else if curve_oid == OID_NIST_EC_P384 {
            Curve::P384
        } else {
            return Err(unsupported("EC curve not supported (P-256 and P-384 are)"));
        };
        let point: &[u8] = &spki.subject_public_key.data;
        let uncompressed = point.len() == curve.public_key_len() && point.first() == Some(&0x04);
        PublicKey::ecdsa(curve, point).map_err(|_| {
            bad(if uncompressed {
                "EC public key is not on its curve"
            } else {
                "EC public key is not an uncompressed point"
            })
        })
    } else {
        Err(unsupported("certificate key type not supported"))
    }
}

/// A DER INTEGER's magnitude without its leading zero bytes.
fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or(&[])
}

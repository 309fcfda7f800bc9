//! The certificates both libraries present: a CA (ECDSA P-256) and two leaves for
//! `localhost`, RSA-2048 and ECDSA P-256, made with rcgen at start.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The server name the leaves are for.
pub const SERVER_NAME: &str = "localhost";

/// A leaf certificate and its private key.
pub struct Leaf {
    /// The certificate, DER.
    pub cert: Vec<u8>,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Vec<u8>,
}

/// The CA and the two leaves.
pub struct Pki {
    /// The CA certificate, DER: the one root both clients trust.
    pub ca: Vec<u8>,
    /// The RSA-2048 leaf (signed with SHA-256).
    pub rsa: Leaf,
    /// The ECDSA P-256 leaf.
    pub ecdsa: Leaf,
}

/// A certificate's key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertKind {
    /// RSA-2048.
    Rsa,
    /// ECDSA P-256.
    Ecdsa,
}

impl CertKind {
    /// The name in case names.
    pub fn name(self) -> &'static str {
        match self {
            CertKind::Rsa => "rsa",
            CertKind::Ecdsa => "ecdsa",
        }
    }
}

impl Pki {
    /// Makes the CA and the leaves.
    pub fn generate() -> Result<Pki, rcgen::Error> {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "keyward-bench CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca = params.self_signed(&ca_key)?.der().to_vec();
        let issuer = Issuer::new(params, ca_key);
        let rsa = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)?;
        let ecdsa = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        Ok(Pki {
            ca,
            rsa: leaf(&issuer, rsa)?,
            ecdsa: leaf(&issuer, ecdsa)?,
        })
    }

    /// The leaf of `kind`.
    pub fn leaf(&self, kind: CertKind) -> &Leaf {
        match kind {
            CertKind::Rsa => &self.rsa,
            CertKind::Ecdsa => &self.ecdsa,
        }
    }
}

fn leaf(issuer: &Issuer<'static, KeyPair>, key: KeyPair) -> Result<Leaf, rcgen::Error> {
    let mut params = CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, issuer)?.der().to_vec();
    Ok(Leaf {
        cert,
        pkcs8: key.serialize_der(),
    })
}

//! Public values of key-exchange groups on the wire: TLS 1.3 key shares (RFC 8446 §4.2.8)
//! and the TLS 1.2 ECDHE/DHE values (RFC 8422 §5.4, RFC 5246 §7.4.3), converted to and from
//! the provider's keys.

use keyward_core::backend::Curve;
use keyward_core::blob::{DhParameters, DhPublicBlob, EccCurve, EccPublicBlob, EccUsage};
use keyward_ssl::keys::{BCRYPT_DH_PUBLIC_BLOB, BCRYPT_ECCPUBLIC_BLOB};
use keyward_ssl::{EphemeralKey, Group, Provider, PublicKey};

use crate::error::Error;

/// The group with a `NamedGroup` id, if keyward supports it.
pub fn group_from_wire(id: u16) -> Option<Group> {
    Group::from_tls_id(u32::from(id))
}

/// Our ephemeral key's public value as sent: the uncompressed point, the X25519 value, or
/// the DH value left-padded to the prime's length.
pub fn public_value(key: &EphemeralKey) -> Vec<u8> {
    match key.public_key() {
        PublicKey::Ecdh { point, .. } => point,
        PublicKey::Dh { value, .. } => value,
        PublicKey::Rsa(_) | PublicKey::Ecdsa { .. } => Vec::new(),
    }
}

fn ecc_curve(curve: Curve) -> EccCurve {
    match curve {
        Curve::P256 => EccCurve::P256,
        Curve::P384 => EccCurve::P384,
        Curve::P521 => EccCurve::P521,
        Curve::X25519 => EccCurve::Curve25519,
    }
}

/// The error for a key agreement with the peer's value: `illegal_parameter` when the
/// provider found the value unusable (`BadData`: an X25519 low-order point giving an
/// all-zero secret, RFC 7748 §6.1, RFC 8446 §7.4.2, RFC 8422 §5.11); other provider
/// failures stay `internal_error`.
pub fn agreement_error(error: keyward_core::Error) -> Error {
    match error {
        keyward_core::Error::BadData(_) => {
            Error::IllegalParameter("key agreement with the peer's value failed")
        }
        other => Error::Provider(other),
    }
}

/// Imports the peer's public value in `group` through the provider (`SslImportKey`), which
/// validates it. `exact_dh_length` asks for TLS 1.3's rule that a DH value is as long as the
/// prime (RFC 8446 §4.2.8.1); TLS 1.2 values may be shorter and are left-padded. Anything
/// invalid is `illegal_parameter`.
pub fn import_peer(
    provider: &Provider,
    group: Group,
    wire: &[u8],
    exact_dh_length: bool,
) -> Result<PublicKey, Error> {
    const INVALID: Error = Error::IllegalParameter("invalid key-exchange public value");
    let blob = match group {
        Group::Ec(curve) => {
            EccPublicBlob::from_uncompressed_point(ecc_curve(curve), EccUsage::Ecdh, wire)
                .map_err(|_| INVALID)?
                .to_bytes()
        }
        Group::Ffdhe(ffdhe) => {
            let prime = ffdhe.prime();
            let value = if exact_dh_length {
                if wire.len() != prime.len() {
                    return Err(INVALID);
                }
                wire.to_vec()
            } else {
                let significant = wire
                    .get(wire.iter().take_while(|b| **b == 0).count()..)
                    .unwrap_or(&[]);
                let pad = prime.len().checked_sub(significant.len()).ok_or(INVALID)?;
                let mut value = vec![0u8; pad];
                value.extend_from_slice(significant);
                value
            };
            let mut generator = vec![0u8; prime.len()];
            if let Some(last) = generator.last_mut() {
                *last = 2;
            }
            let params = DhParameters::new(prime, &generator).map_err(|_| INVALID)?;
            DhPublicBlob::new(params, &value)
                .map_err(|_| INVALID)?
                .to_bytes()
        }
    };
    let blob_type = match group {
        Group::Ec(_) => BCRYPT_ECCPUBLIC_BLOB,
        Group::Ffdhe(_) => BCRYPT_DH_PUBLIC_BLOB,
    };
    provider
        .import_public_key(blob_type, &blob)
        .map_err(|_| INVALID)
}

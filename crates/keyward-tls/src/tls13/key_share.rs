//! Public values of key-exchange groups on the wire: TLS 1.3 key shares (RFC 8446 §4.2.8)
//! and the TLS 1.2 ECDHE/DHE values (RFC 8422 §5.4, RFC 5246 §7.4.3), converted to and from
//! the provider's keys.

use keyward_ssl::{EphemeralKey, Group, PublicKey};

use crate::error::Error;

/// The group with a `NamedGroup` id, if keyward supports it.
pub fn group_from_wire(id: u16) -> Option<Group> {
    Group::from_tls_id(id)
}

/// Our ephemeral key's public value as sent: the uncompressed point, the X25519 value, or
/// the DH value left-padded to the prime's length.
pub fn public_value(key: &EphemeralKey) -> Vec<u8> {
    key.public_key().to_tls().unwrap_or_default()
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

/// The peer's public value in `group` as a provider key ([`PublicKey::from_tls`]), which
/// validates it. `exact_dh_length` asks for TLS 1.3's rule that a DH value is as long as the
/// prime (RFC 8446 §4.2.8.1); TLS 1.2 values may be shorter and are left-padded. Anything
/// invalid is `illegal_parameter`.
pub fn import_peer(group: Group, wire: &[u8], exact_dh_length: bool) -> Result<PublicKey, Error> {
    const INVALID: Error = Error::IllegalParameter("invalid key-exchange public value");
    if let Group::Ffdhe(ffdhe) = group {
        if exact_dh_length && wire.len() != ffdhe.prime().len() {
            return Err(INVALID);
        }
    }
    PublicKey::from_tls(group, wire).map_err(|_| INVALID)
}

//! Session-ticket keys: a random AEAD key the provider makes and keeps, which seals and opens
//! the state a server hands its clients as tickets (RFC 5077 §4, RFC 8446 §4.6.1).
//!
//! Windows has no `Ssl*` function for this: Schannel keeps its ticket keys in LSA. keyward's
//! TLS engine uses [`Provider::create_ticket_key`], so the key, like every other secret of the
//! provider, never leaves it. The ticket key of an isolated provider is its isolation
//! service's: one key for the whole service, made when the service starts, with which it seals
//! and opens tickets for every process it serves (so they accept each other's tickets).

use crate::isolation::KeyIsolation;
use crate::provider::Provider;
use crate::tls13::Tls13Secret;
use keyward_core::backend::cipher::{Aes256GcmSivKey, AEAD_NONCE_LEN, AEAD_TAG_LEN, SIV_KEY_LEN};
use keyward_core::backend::fill_random;
use keyward_core::codec::{put_vec_exact, LengthPrefix};
use keyward_core::{Error, Result, Secret};
use std::sync::Arc;

/// What a sealed ticket adds to its plaintext: the nonce in front, the tag behind.
pub const TICKET_OVERHEAD: usize = AEAD_NONCE_LEN + AEAD_TAG_LEN;

/// A ticket key ([`Provider::create_ticket_key`]): AES-256-GCM-SIV under a key made from the
/// system RNG. Each ticket gets a fresh random nonce; GCM-SIV keeps a repeated one from giving
/// away the key (it would show only that two tickets sealed the same bytes).
///
/// The ticket key of an isolated provider is a reference to its isolation service, which
/// seals and opens with its own key ([`KeyIsolation::seal_ticket`]).
pub struct TicketKey {
    key: TicketSealer,
}

enum TicketSealer {
    Local(Aes256GcmSivKey),
    Remote(Arc<dyn KeyIsolation>),
}

impl Provider {
    /// Makes a fresh random ticket key that stays inside the provider (no Windows
    /// equivalent; see the [module documentation](crate::ticket)).
    ///
    /// The isolated provider gives its isolation service's ticket key: tickets are sealed
    /// and opened there, and every process on the same service accepts them.
    pub fn create_ticket_key(&self) -> Result<TicketKey> {
        if let Some(service) = self.isolation() {
            return Ok(TicketKey {
                key: TicketSealer::Remote(service.clone()),
            });
        }
        let mut secret = Secret::<SIV_KEY_LEN>::zeroed();
        fill_random(secret.expose_mut())?;
        Ok(TicketKey {
            key: TicketSealer::Local(Aes256GcmSivKey::new(secret.expose())?),
        })
    }
}

impl TicketKey {
    /// The isolation service that seals with this key, for a key of an isolated provider.
    pub(crate) fn service(&self) -> Option<&Arc<dyn KeyIsolation>> {
        match &self.key {
            TicketSealer::Remote(service) => Some(service),
            TicketSealer::Local(_) => None,
        }
    }

    /// Seals `plaintext` bound to `aad`: `nonce ‖ ciphertext ‖ tag`, [`TICKET_OVERHEAD`]
    /// bytes longer than the plaintext.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = match &self.key {
            TicketSealer::Local(key) => key,
            TicketSealer::Remote(service) => {
                let sealed = service.seal_ticket(aad, plaintext)?;
                if sealed.len() != plaintext.len() + TICKET_OVERHEAD {
                    return Err(Error::BadData("sealed ticket of another length"));
                }
                return Ok(sealed);
            }
        };
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut sealed = Vec::with_capacity(plaintext.len() + TICKET_OVERHEAD);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let body = sealed
            .get_mut(AEAD_NONCE_LEN..)
            .ok_or(Error::Internal("ticket nonce"))?;
        let tag = key.seal_in_place(&nonce, aad, body)?;
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }

    /// Seals `plaintext ‖ opaque blob<0..2^16-1>`, where `blob` is `secret`'s opaque blob
    /// ([`Provider::export_tls13_secret`] of `provider`): a TLS 1.3 ticket whose last field is
    /// its PSK. An isolated provider's key makes the blob and seals in one request to its
    /// service, so a ticket costs one round trip rather than two; `secret` must then belong
    /// to the same service (`NTE_INVALID_HANDLE` otherwise).
    pub fn seal_with_secret(
        &self,
        provider: &Provider,
        aad: &[u8],
        plaintext: &[u8],
        secret: &Tls13Secret,
    ) -> Result<Vec<u8>> {
        if let TicketSealer::Remote(service) = &self.key {
            let object = secret.remote_object().ok_or(Error::InvalidHandle)?;
            if !std::ptr::addr_eq(Arc::as_ptr(service), Arc::as_ptr(&object.service)) {
                return Err(Error::InvalidHandle);
            }
            let sealed = service.seal_ticket_with_secret(aad, plaintext, object.handle)?;
            if sealed.len() < plaintext.len() + 2 + TICKET_OVERHEAD {
                return Err(Error::BadData("sealed ticket too short"));
            }
            return Ok(sealed);
        }
        let blob = provider.export_tls13_secret(secret)?;
        self.seal_with_blob(aad, plaintext, &blob)
    }

    /// Seals `plaintext ‖ opaque blob<0..2^16-1>`: a ticket whose last field is an opaque
    /// blob (a TLS ≤ 1.2 master key's, a TLS 1.3 PSK's).
    pub fn seal_with_blob(&self, aad: &[u8], plaintext: &[u8], blob: &[u8]) -> Result<Vec<u8>> {
        let mut whole = plaintext.to_vec();
        put_vec_exact(&mut whole, LengthPrefix::U16, blob)
            .map_err(|_| Error::InvalidParameter("opaque blob too long for a ticket"))?;
        self.seal(aad, &whole)
    }

    /// Opens a ticket made by [`TicketKey::seal`] of this key with the same `aad`. Anything
    /// else (too short, tampered with, another key or another `aad`) is `NTE_BAD_DATA` and
    /// releases nothing.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        const BAD: Error = Error::BadData("ticket does not open");
        let key = match &self.key {
            TicketSealer::Local(key) => key,
            TicketSealer::Remote(service) => return service.open_ticket(aad, sealed),
        };
        let (nonce, rest) = sealed.split_at_checked(AEAD_NONCE_LEN).ok_or(BAD)?;
        let body_len = rest.len().checked_sub(AEAD_TAG_LEN).ok_or(BAD)?;
        let (body, tag) = rest.split_at(body_len);
        let nonce: &[u8; AEAD_NONCE_LEN] = nonce.try_into().map_err(|_| BAD)?;
        let tag: &[u8; AEAD_TAG_LEN] = tag.try_into().map_err(|_| BAD)?;
        let mut plaintext = body.to_vec();
        key.open_in_place(nonce, aad, &mut plaintext, tag)
            .map_err(|_| BAD)?;
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::Status;

    #[test]
    fn seals_opens_and_refuses_anything_else() {
        let provider = Provider::open(None).unwrap();
        let key = provider.create_ticket_key().unwrap();
        let sealed = key.seal(b"v1", b"session state").unwrap();
        assert_eq!(sealed.len(), b"session state".len() + TICKET_OVERHEAD);
        assert_eq!(key.open(b"v1", &sealed).unwrap(), b"session state");
        // Fresh nonces: the same plaintext seals differently.
        assert_ne!(key.seal(b"v1", b"session state").unwrap(), sealed);
        let other = provider.create_ticket_key().unwrap();
        let mut flipped = sealed.clone();
        flipped[AEAD_NONCE_LEN] ^= 1;
        for refused in [
            key.open(b"v2", &sealed),
            other.open(b"v1", &sealed),
            key.open(b"v1", &flipped),
            key.open(b"v1", &sealed[..TICKET_OVERHEAD - 1]),
            key.open(b"v1", &[]),
        ] {
            assert_eq!(refused.unwrap_err().status(), Status::NTE_BAD_DATA);
        }
        let empty = key.seal(b"", b"").unwrap();
        assert_eq!(key.open(b"", &empty).unwrap(), b"");
    }
}

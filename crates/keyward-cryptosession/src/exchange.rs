//! The RSAES-OAEP key exchange shared by `NegotiateCryptoSessionKeyExchange` (crypto session)
//! and `FinishInitialization` (OPM).
//!
//! **Parameters.** RSAES-OAEP (PKCS #1 v2.2 §7.1) with **SHA-512, MGF1-SHA-512 and an empty
//! label**, under the device's RSA-2048 key, so every blob is exactly 256 bytes. No Microsoft
//! document gives the parameter table (the DDI page's "RSAES-OAEP and MGF1 Parameters" table is
//! empty); Microsoft's own OPM sample encrypts, and its codec-merit sample decrypts, with
//! `BCRYPT_OAEP_PADDING_INFO { BCRYPT_SHA512_ALGORITHM, no label }`, and CNG uses the OAEP hash for
//! MGF1 too. The DDI says the crypto-session exchange is "identical" to OPM's, so both use these
//! parameters (docs/cryptosession-and-card.md, "The RSAES-OAEP key exchange and the OPM
//! handshake").
//!
//! **Plaintexts.** Crypto session: exactly the 16-byte AES-128 session key. OPM: at least the
//! 40-byte `OPM` initialization parameters (anything after byte 40 is ignored, as the DDI
//! says).
//!
//! **No oracle.** Every way a blob can be wrong — its size, a ciphertext ≥ n, any OAEP
//! padding fault, a plaintext of the wrong size — ends in the one error
//! [`Error::KeyExchangeRejected`] and changes nothing. The padding checks run in constant
//! time inside AWS-LC and report one error; what is branched on afterwards (the blob's size,
//! whether OAEP decoding succeeded, the decoded length) is either public or only reachable
//! with a well-formed OAEP ciphertext, which anyone holding the public key can make and which
//! therefore reveals nothing about the device key.

use crate::chain;
use crate::error::{Error, Result};
use keyward_core::backend::rsa::{OaepPrivateKey, OaepPublicKey};
use keyward_core::backend::{fill_random, HashAlgorithm};
use keyward_core::{Secret, SecretVec};

/// Size of every key-exchange blob (`NegotiateCryptoSessionKeyExchange`'s `DataSize`,
/// `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE`): one RSA-2048 ciphertext.
pub const KEY_EXCHANGE_DATA_LEN: usize = 256;

/// Size of the device key's modulus, in bits.
pub const DEVICE_KEY_BITS: usize = 2048;

/// The OAEP hash (and MGF1 hash) of the exchange.
pub const OAEP_HASH: HashAlgorithm = HashAlgorithm::Sha512;

/// Size of an AES-128 session key.
pub const SESSION_KEY_LEN: usize = 16;

/// The device's private key for the exchange (the driver side of
/// `NegotiateCryptoSessionKeyExchange` and `DxgkDdiOPMSetSigningKeyAndSequenceNumbers`).
#[derive(Debug)]
pub struct KeyExchangeKey {
    key: OaepPrivateKey,
}

impl KeyExchangeKey {
    /// Opens an RSA-2048 private key (PKCS#8 DER). Anything else →
    /// [`Error::InvalidArgument`].
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let key = OaepPrivateKey::from_pkcs8(pkcs8)
            .map_err(|_| Error::InvalidArgument("not an RSA private key"))?;
        if key.bits() != DEVICE_KEY_BITS {
            return Err(Error::InvalidArgument("the device key must be RSA-2048"));
        }
        Ok(KeyExchangeKey { key })
    }

    /// The public half (what the leaf certificate carries).
    pub fn public_key(&self) -> KeyExchangePublicKey {
        KeyExchangePublicKey {
            key: self.key.public_key(),
        }
    }

    /// The exchange's decryption primitive: RSAES-OAEP-SHA-512 of `data` with `label`, any
    /// length of message. Every failure → [`Error::KeyExchangeRejected`].
    ///
    /// The exchange itself always passes an empty label ([`Self::decrypt_session_key`], OPM's
    /// `FinishInitialization`); other labels are for test vectors.
    pub fn decrypt(&self, label: &[u8], data: &[u8]) -> Result<SecretVec> {
        self.key
            .decrypt(OAEP_HASH, label, data)
            .map_err(|_| Error::KeyExchangeRejected)
    }

    /// `NegotiateCryptoSessionKeyExchange`'s path from blob to session key: `data` must be
    /// exactly [`KEY_EXCHANGE_DATA_LEN`] bytes and decrypt (empty label) to exactly
    /// [`SESSION_KEY_LEN`] bytes; anything else → [`Error::KeyExchangeRejected`].
    pub fn decrypt_session_key(&self, data: &[u8]) -> Result<Secret<SESSION_KEY_LEN>> {
        // The size is public: refusing it early tells the caller nothing it did not send.
        if data.len() != KEY_EXCHANGE_DATA_LEN {
            return Err(Error::KeyExchangeRejected);
        }
        let plaintext = self.decrypt(&[], data)?;
        let bytes: &[u8; SESSION_KEY_LEN] = plaintext
            .expose()
            .try_into()
            .map_err(|_| Error::KeyExchangeRejected)?;
        Ok(Secret::new(*bytes))
    }

    /// OPM's path from blob to initialization parameters: `data` must be exactly
    /// [`KEY_EXCHANGE_DATA_LEN`] bytes and decrypt (empty label) to at least `min_len` bytes;
    /// the plaintext is returned whole. Anything else → [`Error::KeyExchangeRejected`].
    pub(crate) fn decrypt_at_least(&self, data: &[u8], min_len: usize) -> Result<SecretVec> {
        if data.len() != KEY_EXCHANGE_DATA_LEN {
            return Err(Error::KeyExchangeRejected);
        }
        let plaintext = self.decrypt(&[], data)?;
        if plaintext.len() < min_len {
            return Err(Error::KeyExchangeRejected);
        }
        Ok(plaintext)
    }
}

/// The device's public key as the application sees it (from the leaf certificate), for
/// building key-exchange blobs.
#[derive(Debug, Clone)]
pub struct KeyExchangePublicKey {
    key: OaepPublicKey,
}

impl KeyExchangePublicKey {
    /// An RSA-2048 key from an X.509 `SubjectPublicKeyInfo` (DER). Anything else →
    /// [`Error::BadCertificate`].
    pub fn from_spki_der(spki: &[u8]) -> Result<Self> {
        let key = OaepPublicKey::from_spki_der(spki)
            .map_err(|_| Error::BadCertificate("leaf key is not an RSA key"))?;
        if key.bits() != DEVICE_KEY_BITS {
            return Err(Error::BadCertificate("leaf key is not RSA-2048"));
        }
        Ok(KeyExchangePublicKey { key })
    }

    /// The leaf key of a certificate chain, after [`chain::verify`] accepts the chain.
    pub fn from_certificate_chain(chain: &[u8]) -> Result<Self> {
        chain::verify(chain)
    }

    /// Encrypts `plaintext` (at most 126 bytes) into a 256-byte key-exchange blob with the
    /// exchange's parameters (SHA-512, MGF1-SHA-512, empty label) and a fresh random seed.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<[u8; KEY_EXCHANGE_DATA_LEN]> {
        let ciphertext = self.key.encrypt(OAEP_HASH, &[], plaintext)?;
        ciphertext
            .as_slice()
            .try_into()
            .map_err(|_| Error::Core(keyward_core::Error::Internal("RSA-2048 ciphertext size")))
    }

    /// Application side of `NegotiateCryptoSessionKeyExchange`: the 256-byte blob carrying
    /// `session_key`.
    pub fn encrypt_session_key(
        &self,
        session_key: &Secret<SESSION_KEY_LEN>,
    ) -> Result<[u8; KEY_EXCHANGE_DATA_LEN]> {
        self.encrypt(session_key.expose())
    }

    /// Application side of `NegotiateCryptoSessionKeyExchange` for a fresh key: a random
    /// AES-128 session key and the 256-byte blob carrying it.
    pub fn new_session_key(
        &self,
    ) -> Result<(Secret<SESSION_KEY_LEN>, [u8; KEY_EXCHANGE_DATA_LEN])> {
        let mut session_key = Secret::<SESSION_KEY_LEN>::zeroed();
        fill_random(session_key.expose_mut())?;
        let blob = self.encrypt_session_key(&session_key)?;
        Ok((session_key, blob))
    }
}

/// The application-side helper of `NegotiateCryptoSessionKeyExchange`: given the certificate
/// chain from `GetCertificate`, verifies it, makes a fresh random session key and returns it
/// with the 256-byte blob to pass to the device.
pub fn new_session_key_blob(
    certificate_chain: &[u8],
) -> Result<(Secret<SESSION_KEY_LEN>, [u8; KEY_EXCHANGE_DATA_LEN])> {
    KeyExchangePublicKey::from_certificate_chain(certificate_chain)?.new_session_key()
}

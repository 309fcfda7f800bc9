//! keyward-cryptosession: the Direct3D 11 crypto session and OPM, in software.
//!
//! A [`VideoDevice`] plays the part of a display driver's video device for
//! `D3D11_CRYPTO_TYPE_AES128_CTR` with `D3D11_KEY_EXCHANGE_RSAES_OAEP`; an
//! [`OpmVideoOutput`](opm::OpmVideoOutput) plays an OPM protected output. Both use one
//! RSA-2048 device key with an X.509 chain kept in the keyward key store
//! ([`DeviceCredentials`]). The application side — what a media pipeline does with the
//! certificate — is here too, so the whole exchange can run in one process.
//!
//! # Example
//!
//! ```
//! use keyward_core::backend::aes::AesKey;
//! use keyward_core::store::KeyStore;
//! use keyward_cryptosession::opm::{
//!     OpmClient, OpmVideoOutput, OPM_CONNECTOR_TYPE_HDMI, OPM_GET_CONNECTOR_TYPE,
//! };
//! use keyward_cryptosession::{
//!     apply_ctr, new_session_key_blob, AesCtrIv, Guid, VideoDevice,
//!     D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_KEY_EXCHANGE_RSAES_OAEP,
//! };
//!
//! # fn main() -> keyward_cryptosession::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("keyward-cryptosession-doc-{}", std::process::id()));
//! // The device's key and chain live in a key store (KeyStore::open_default() honours
//! // $KEYWARD_HOME); they are created on first use.
//! let device = VideoDevice::open(&KeyStore::open(&dir)?)?;
//! let session = device.create_crypto_session(
//!     &D3D11_CRYPTO_TYPE_AES128_CTR,
//!     &Guid::NULL,
//!     &D3D11_KEY_EXCHANGE_RSAES_OAEP,
//! )?;
//!
//! // Application: verify the chain, pick a session key, RSAES-OAEP-encrypt it (256 bytes).
//! let chain = device.certificate_chain(&session)?;
//! let (session_key, blob) = new_session_key_blob(&chain)?;
//! device.negotiate_key_exchange(&session, &blob)?;
//!
//! // Application encrypts a frame with AES-128-CTR; DecryptionBlt gives it back.
//! let iv = AesCtrIv { iv: 0x0123_4567_89ab_cdef, count: 0 };
//! let mut frame = b"a protected frame".to_vec();
//! apply_ctr(&AesKey::new(session_key.expose())?, &iv, None, &mut frame)?;
//! let mut surface = vec![0u8; frame.len()];
//! device.decryption_blt(&session, &frame, &mut surface, None, None, &iv)?;
//! assert_eq!(surface, b"a protected frame");
//!
//! // OPM on the same key: handshake, then an OMAC-signed status request.
//! let output = OpmVideoOutput::new(device.credentials().clone());
//! let (random_number, chain) = output.start_initialization()?;
//! let (mut client, parameters) = OpmClient::begin(&random_number, &chain)?;
//! output.finish_initialization(&parameters)?;
//! let connector = client.get_information(&output, OPM_GET_CONNECTOR_TYPE, &[])?;
//! assert_eq!(connector.information, OPM_CONNECTOR_TYPE_HDMI);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
//!
//! # The calls
//!
//! | step | keyward | Windows |
//! |---|---|---|
//! | capabilities | [`VideoDevice::content_protection_caps`], [`VideoDevice::check_crypto_key_exchange`] | `GetContentProtectionCaps`, `CheckCryptoKeyExchange` |
//! | session | [`VideoDevice::create_crypto_session`], [`VideoDevice::destroy_crypto_session`] | `CreateCryptoSession`, `DestroyCryptoSession` |
//! | certificate | [`VideoDevice::certificate_size`], [`VideoDevice::certificate`] | `GetCertificateSize`, `GetCertificate` |
//! | key exchange (app) | [`new_session_key_blob`] | `BCryptEncrypt(BCRYPT_PAD_OAEP)` |
//! | key exchange | [`VideoDevice::negotiate_key_exchange`] | `NegotiateCryptoSessionKeyExchange` |
//! | blits | [`VideoDevice::encryption_blt`], [`VideoDevice::decryption_blt`] | `EncryptionBlt`, `DecryptionBlt` |
//! | readback key | [`VideoDevice::encryption_blt_key`] | `GetEncryptionBltKey` |
//! | key refresh | [`VideoDevice::start_session_key_refresh`], [`VideoDevice::finish_session_key_refresh`] | `StartSessionKeyRefresh`, `FinishSessionKeyRefresh` |
//! | OPM | [`opm::OpmVideoOutput`], [`opm::OpmClient`] | `IOPMVideoOutput` |
//!
//! The choices the public documents leave open are made in one place each: the OAEP
//! parameters in [`exchange`], the certificate-chain container in [`chain`], the AES-CTR
//! counter layout and the partial-encryption stream in [`blt`]. Errors map to `HRESULT`s in
//! [`Error::hresult`].

#![forbid(unsafe_code)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod blt;
pub mod caps;
pub mod chain;
pub mod credentials;
pub mod device;
pub mod error;
pub mod exchange;
pub mod guid;
pub mod opm;
pub mod session;
pub mod status;

pub use blt::{apply_ctr, unwrap_key, wrap_key, AesCtrIv, EncryptedBlockInfo};
pub use caps::ContentProtectionCaps;
pub use credentials::DeviceCredentials;
pub use device::VideoDevice;
pub use error::{hresult, Error, Result};
pub use exchange::{new_session_key_blob, KeyExchangeKey, KeyExchangePublicKey, SESSION_KEY_LEN};
pub use guid::{Guid, D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_KEY_EXCHANGE_RSAES_OAEP};
pub use session::{CryptoSession, DeviceId};
pub use status::HResult;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<VideoDevice>();
        check::<CryptoSession>();
        check::<DeviceCredentials>();
        check::<opm::OpmVideoOutput>();
        check::<opm::OpmClient>();
        check::<Error>();
    }
}

/// Fixtures shared by the unit tests: one set of device credentials, made once per test
/// binary in a fresh key store under the system temporary directory.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::credentials::DeviceCredentials;
    use keyward_core::store::KeyStore;
    use keyward_test_support::TempDir;
    use std::sync::{Arc, OnceLock};

    /// A new, empty key store in a temporary directory, removed when the [`TempDir`] drops.
    pub(crate) fn fresh_store() -> (TempDir, KeyStore) {
        let dir = TempDir::new("cryptosession-unit");
        let store = KeyStore::open(&dir).expect("temporary key store");
        (dir, store)
    }

    /// The shared credentials.
    pub(crate) fn credentials() -> Arc<DeviceCredentials> {
        static CREDENTIALS: OnceLock<Arc<DeviceCredentials>> = OnceLock::new();
        CREDENTIALS
            .get_or_init(|| {
                // The credentials are read into memory; the store may go afterwards.
                let (_dir, store) = fresh_store();
                Arc::new(DeviceCredentials::load_or_create(&store).expect("device credentials"))
            })
            .clone()
    }
}

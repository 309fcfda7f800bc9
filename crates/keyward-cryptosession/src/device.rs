//! The software video device: the `ID3D11VideoDevice` capability queries and
//! `CreateCryptoSession`, and the `ID3D11VideoContext` crypto calls (the D3D11.1 UMD DDI
//! functions of the same names, docs/cryptosession-and-card.md, "Application and driver calls").
//!
//! The device supports exactly one configuration: crypto type
//! [`D3D11_CRYPTO_TYPE_AES128_CTR`] with key exchange [`D3D11_KEY_EXCHANGE_RSAES_OAEP`] and
//! no decoder profile (it has no video decoder, so every non-null profile is unsupported).
//! Anything else is [`Error::UnsupportedCrypto`] (`D3DDDIERR_UNSUPPORTEDCRYPTO`).
//!
//! Every call that takes a [`CryptoSession`] first checks that this device created it
//! ([`Error::WrongDevice`]) and that it is not destroyed ([`Error::SessionDestroyed`]), then
//! its arguments, then the session's state.

use crate::blt::{AesCtrIv, EncryptedBlockInfo};
use crate::caps::{ContentProtectionCaps, BLOCK_ALIGNMENT_SIZE, DEVICE_CAPS};
use crate::credentials::DeviceCredentials;
use crate::error::{Error, Result};
use crate::guid::{Guid, D3D11_CRYPTO_TYPE_AES128_CTR, D3D11_KEY_EXCHANGE_RSAES_OAEP};
use crate::session::{CryptoSession, DeviceId};
use keyward_core::store::KeyStore;
use std::sync::Arc;

/// The key-exchange types of the supported crypto type, by `CheckCryptoKeyExchange` index.
const KEY_EXCHANGE_TYPES: [Guid; 1] = [D3D11_KEY_EXCHANGE_RSAES_OAEP];

/// A software video device (`ID3D11VideoDevice` + the crypto half of `ID3D11VideoContext`;
/// the driver's `D3D10DDI_HDEVICE`). `Send + Sync`; cheap to share in an `Arc`.
#[derive(Debug)]
pub struct VideoDevice {
    id: DeviceId,
    credentials: Arc<DeviceCredentials>,
}

impl VideoDevice {
    /// A device whose key and certificate chain live in `store` (created there on first use,
    /// see [`DeviceCredentials::load_or_create`]).
    pub fn open(store: &KeyStore) -> Result<Self> {
        Ok(Self::with_credentials(Arc::new(
            DeviceCredentials::load_or_create(store)?,
        )))
    }

    /// [`open`](Self::open) on the default key store (`$KEYWARD_HOME`, else the XDG data
    /// directory).
    pub fn open_default() -> Result<Self> {
        Self::open(&KeyStore::open_default()?)
    }

    /// A device with the given credentials. Devices made from the same credentials share the
    /// key and certificate but are distinct devices: a session of one is refused by the other.
    pub fn with_credentials(credentials: Arc<DeviceCredentials>) -> Self {
        VideoDevice {
            id: DeviceId::next(),
            credentials,
        }
    }

    /// The device's identity.
    pub fn id(&self) -> DeviceId {
        self.id
    }

    /// The device's key and certificate chain (also what OPM outputs use).
    pub fn credentials(&self) -> &Arc<DeviceCredentials> {
        &self.credentials
    }

    fn check_configuration(crypto_type: &Guid, decoder_profile: &Guid) -> Result<()> {
        if *crypto_type != D3D11_CRYPTO_TYPE_AES128_CTR || !decoder_profile.is_null() {
            return Err(Error::UnsupportedCrypto);
        }
        Ok(())
    }

    /// `GetContentProtectionCaps`: for AES128-CTR without a decoder profile, software
    /// protection with partial decryption, content keys, key refresh, encrypted readback
    /// under a separate readback key, and `DecryptionBlt`; one key-exchange type; 16-byte
    /// block alignment; no protected memory.
    pub fn content_protection_caps(
        &self,
        crypto_type: &Guid,
        decoder_profile: &Guid,
    ) -> Result<ContentProtectionCaps> {
        Self::check_configuration(crypto_type, decoder_profile)?;
        Ok(ContentProtectionCaps {
            caps: DEVICE_CAPS,
            key_exchange_type_count: KEY_EXCHANGE_TYPES.len() as u32,
            block_alignment_size: BLOCK_ALIGNMENT_SIZE,
            protected_memory_size: 0,
        })
    }

    /// `CheckCryptoKeyExchange`: the key-exchange type at `index` (0 →
    /// `D3D11_KEY_EXCHANGE_RSAES_OAEP`); an index at or past `KeyExchangeTypeCount` →
    /// [`Error::InvalidArgument`].
    pub fn check_crypto_key_exchange(
        &self,
        crypto_type: &Guid,
        decoder_profile: &Guid,
        index: u32,
    ) -> Result<Guid> {
        Self::check_configuration(crypto_type, decoder_profile)?;
        usize::try_from(index)
            .ok()
            .and_then(|index| KEY_EXCHANGE_TYPES.get(index))
            .copied()
            .ok_or(Error::InvalidArgument(
                "key exchange index past KeyExchangeTypeCount",
            ))
    }

    /// `CreateCryptoSession`. An unsupported crypto type, a decoder profile, or a key
    /// exchange other than RSAES-OAEP → [`Error::UnsupportedCrypto`].
    pub fn create_crypto_session(
        &self,
        crypto_type: &Guid,
        decoder_profile: &Guid,
        key_exchange_type: &Guid,
    ) -> Result<CryptoSession> {
        Self::check_configuration(crypto_type, decoder_profile)?;
        if !KEY_EXCHANGE_TYPES.contains(key_exchange_type) {
            return Err(Error::UnsupportedCrypto);
        }
        Ok(CryptoSession::new(
            self.id,
            *crypto_type,
            *decoder_profile,
            *key_exchange_type,
        ))
    }

    /// `DestroyCryptoSession`: wipes the session's keys; every later call on it is
    /// [`Error::SessionDestroyed`] (destroying it again too).
    pub fn destroy_crypto_session(&self, session: &CryptoSession) -> Result<()> {
        session.destroy(self.id)
    }

    /// `GetCertificateSize`: the size of the certificate chain in bytes.
    pub fn certificate_size(&self, session: &CryptoSession) -> Result<usize> {
        session.check(self.id)?;
        Ok(self.credentials.certificate_chain().len())
    }

    /// `GetCertificate`: copies the certificate chain (DER certificates, device leaf then
    /// keyward root; see [`crate::chain`]) to the start of `out` and returns its size. An
    /// `out` smaller than [`certificate_size`](Self::certificate_size) →
    /// [`Error::InvalidArgument`].
    pub fn certificate(&self, session: &CryptoSession, out: &mut [u8]) -> Result<usize> {
        session.check(self.id)?;
        let chain = self.credentials.certificate_chain();
        let target = out.get_mut(..chain.len()).ok_or(Error::InvalidArgument(
            "certificate buffer smaller than GetCertificateSize",
        ))?;
        target.copy_from_slice(chain);
        Ok(chain.len())
    }

    /// The certificate chain as a new vector (`GetCertificateSize` + `GetCertificate`).
    pub fn certificate_chain(&self, session: &CryptoSession) -> Result<Vec<u8>> {
        session.check(self.id)?;
        Ok(self.credentials.certificate_chain().to_vec())
    }

    /// `NegotiateCryptoSessionKeyExchange` (RSAES-OAEP): `data` must be exactly 256 bytes,
    /// the RSAES-OAEP (SHA-512, MGF1-SHA-512, empty label) encryption of a 16-byte AES-128
    /// session key under the device key (see [`crate::exchange`]). Any other size, a blob
    /// that does not decrypt, or a plaintext of another size → [`Error::KeyExchangeRejected`]
    /// (`E_INVALIDARG`), and the previous key stays in force. On success the new key
    /// replaces the old one and any pending refresh, readback key and readback IV are
    /// dropped. Nothing is written back into the buffer for this key exchange.
    pub fn negotiate_key_exchange(&self, session: &CryptoSession, data: &[u8]) -> Result<()> {
        session.negotiate(self.id, self.credentials.key_exchange_key(), data)
    }

    /// `EncryptionBlt`: AES-128-CTR-encrypts all of `source` into `destination` (same size,
    /// else [`Error::InvalidArgument`]) under the readback key of the last
    /// [`encryption_blt_key`](Self::encryption_blt_key) call (none yet →
    /// [`Error::InvalidCall`]), and returns the `D3D11_AES_CTR_IV` it used: `IV` random on the
    /// session's first blit and incremented by one on each next one, `Count` 0.
    pub fn encryption_blt(
        &self,
        session: &CryptoSession,
        source: &[u8],
        destination: &mut [u8],
    ) -> Result<AesCtrIv> {
        session.encryption_blt(self.id, source, destination)
    }

    /// `DecryptionBlt`: AES-128-CTR-decrypts `source` into `destination` (same size) from
    /// counter `iv`. `block_info` selects the encrypted parts (`None`: the whole buffer; see
    /// [`crate::blt`]); `content_key`, if given, is a 16-byte content key wrapped under the
    /// session key with AES-ECB and is the data key, else the session key is. Bad sizes or a
    /// misaligned pattern → [`Error::InvalidArgument`]; no session key yet →
    /// [`Error::InvalidCall`].
    pub fn decryption_blt(
        &self,
        session: &CryptoSession,
        source: &[u8],
        destination: &mut [u8],
        block_info: Option<&EncryptedBlockInfo>,
        content_key: Option<&[u8]>,
        iv: &AesCtrIv,
    ) -> Result<()> {
        session.decryption_blt(self.id, source, destination, block_info, content_key, iv)
    }

    /// `StartSessionKeyRefresh`: writes a new 16-byte random number into `random_number`
    /// (which must be 16 bytes, else [`Error::InvalidArgument`]) and remembers it; the key
    /// does not change yet. Calling it again replaces the pending number.
    pub fn start_session_key_refresh(
        &self,
        session: &CryptoSession,
        random_number: &mut [u8],
    ) -> Result<()> {
        session.start_refresh(self.id, random_number)
    }

    /// `FinishSessionKeyRefresh`: the session key becomes old key XOR the pending random
    /// number, from this call on. No refresh started → [`Error::InvalidCall`].
    pub fn finish_session_key_refresh(&self, session: &CryptoSession) -> Result<()> {
        session.finish_refresh(self.id)
    }

    /// `GetEncryptionBltKey`: makes a new random readback key for `EncryptionBlt` and writes
    /// it, AES-ECB-wrapped under the session key, into `wrapped_key` (16 bytes, else
    /// [`Error::InvalidArgument`]). Each call makes a new key.
    pub fn encryption_blt_key(
        &self,
        session: &CryptoSession,
        wrapped_key: &mut [u8],
    ) -> Result<()> {
        session.encryption_blt_key(self.id, wrapped_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blt::{apply_ctr, unwrap_key, wrap_key};
    use crate::caps::{CAPS_CONTENT_KEY, CAPS_DECRYPTION_BLT, CAPS_ENCRYPTED_READ_BACK_KEY};
    use crate::exchange::{KeyExchangePublicKey, SESSION_KEY_LEN};
    use crate::guid::{
        D3D11_KEY_EXCHANGE_HW_PROTECTION, D3DCRYPTOTYPE_PROPRIETARY, D3DKEYEXCHANGE_DXVA,
    };
    use crate::hresult;
    use crate::test_support::credentials;
    use keyward_core::backend::aes::AesKey;
    use keyward_core::Secret;

    const PLAIN: &[u8] = b"a protected surface, 52 bytes long, not block sized.";
    const IV: AesCtrIv = AesCtrIv {
        iv: 0x1122_3344_5566_7788,
        count: 5,
    };

    fn device() -> VideoDevice {
        VideoDevice::with_credentials(credentials())
    }

    fn session(device: &VideoDevice) -> CryptoSession {
        device
            .create_crypto_session(
                &D3D11_CRYPTO_TYPE_AES128_CTR,
                &Guid::NULL,
                &D3D11_KEY_EXCHANGE_RSAES_OAEP,
            )
            .unwrap()
    }

    fn leaf(device: &VideoDevice) -> KeyExchangePublicKey {
        KeyExchangePublicKey::from_certificate_chain(device.credentials().certificate_chain())
            .unwrap()
    }

    fn random_key(byte: u8) -> Secret<SESSION_KEY_LEN> {
        Secret::new([byte; SESSION_KEY_LEN])
    }

    /// Negotiates `key` as the session key.
    fn negotiate(device: &VideoDevice, session: &CryptoSession, key: &Secret<SESSION_KEY_LEN>) {
        let blob = leaf(device).encrypt_session_key(key).unwrap();
        device.negotiate_key_exchange(session, &blob).unwrap();
    }

    /// PLAIN encrypted by the application under `key`.
    fn encrypted_under(key: &Secret<SESSION_KEY_LEN>) -> Vec<u8> {
        let mut data = PLAIN.to_vec();
        apply_ctr(&AesKey::new(key.expose()).unwrap(), &IV, None, &mut data).unwrap();
        data
    }

    /// True when the session's current key is `key` (DecryptionBlt of data encrypted under
    /// it gives the plaintext back).
    fn key_in_force(
        device: &VideoDevice,
        session: &CryptoSession,
        key: &Secret<SESSION_KEY_LEN>,
    ) -> bool {
        let mut out = vec![0u8; PLAIN.len()];
        device
            .decryption_blt(session, &encrypted_under(key), &mut out, None, None, &IV)
            .unwrap();
        out == PLAIN
    }

    #[test]
    fn caps_and_key_exchange_types() {
        let device = device();
        let caps = device
            .content_protection_caps(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL)
            .unwrap();
        assert_eq!(caps.caps, DEVICE_CAPS);
        assert_ne!(caps.caps & CAPS_DECRYPTION_BLT, 0);
        assert_ne!(caps.caps & CAPS_CONTENT_KEY, 0);
        assert_ne!(caps.caps & CAPS_ENCRYPTED_READ_BACK_KEY, 0);
        assert_eq!(caps.key_exchange_type_count, 1);
        assert_eq!(caps.block_alignment_size, 16);
        assert_eq!(
            device
                .check_crypto_key_exchange(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL, 0)
                .unwrap(),
            D3D11_KEY_EXCHANGE_RSAES_OAEP
        );
        assert_eq!(
            device
                .check_crypto_key_exchange(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL, 1)
                .unwrap_err()
                .hresult(),
            hresult::E_INVALIDARG
        );
        let some_profile = Guid::new(1, 2, 3, [4; 8]);
        for (crypto_type, profile) in [
            (D3DCRYPTOTYPE_PROPRIETARY, Guid::NULL),
            (Guid::NULL, Guid::NULL),
            (D3D11_CRYPTO_TYPE_AES128_CTR, some_profile),
        ] {
            let error = device
                .content_protection_caps(&crypto_type, &profile)
                .unwrap_err();
            assert_eq!(error, Error::UnsupportedCrypto);
            assert_eq!(error.hresult(), hresult::D3DDDIERR_UNSUPPORTEDCRYPTO);
            assert_eq!(
                device
                    .check_crypto_key_exchange(&crypto_type, &profile, 0)
                    .unwrap_err(),
                Error::UnsupportedCrypto
            );
            assert_eq!(
                device
                    .create_crypto_session(&crypto_type, &profile, &D3D11_KEY_EXCHANGE_RSAES_OAEP)
                    .unwrap_err(),
                Error::UnsupportedCrypto
            );
        }
    }

    #[test]
    fn create_session_checks_the_key_exchange() {
        let device = device();
        for exchange in [
            D3DKEYEXCHANGE_DXVA,
            D3D11_KEY_EXCHANGE_HW_PROTECTION,
            Guid::NULL,
        ] {
            assert_eq!(
                device
                    .create_crypto_session(&D3D11_CRYPTO_TYPE_AES128_CTR, &Guid::NULL, &exchange)
                    .unwrap_err(),
                Error::UnsupportedCrypto
            );
        }
        let first = session(&device);
        let second = session(&device);
        assert_eq!(first.crypto_type(), D3D11_CRYPTO_TYPE_AES128_CTR);
        assert_eq!(first.decoder_profile(), Guid::NULL);
        assert_eq!(first.key_exchange_type(), D3D11_KEY_EXCHANGE_RSAES_OAEP);
        assert_eq!(first.device_id(), device.id());
        assert_ne!(first.handle(), 0);
        assert_ne!(first.handle(), second.handle());
        assert!(!format!("{first:?}").is_empty());
    }

    #[test]
    fn certificate_size_and_bytes() {
        let device = device();
        let session = session(&device);
        let size = device.certificate_size(&session).unwrap();
        let chain = device.credentials().certificate_chain();
        assert_eq!(size, chain.len());
        let mut exact = vec![0u8; size];
        assert_eq!(device.certificate(&session, &mut exact).unwrap(), size);
        assert_eq!(exact, chain);
        let mut larger = vec![0xeeu8; size + 3];
        assert_eq!(device.certificate(&session, &mut larger).unwrap(), size);
        assert_eq!(&larger[..size], chain);
        assert_eq!(&larger[size..], &[0xee; 3]);
        let mut small = vec![0u8; size - 1];
        assert!(matches!(
            device.certificate(&session, &mut small),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(small, vec![0u8; size - 1]);
        assert_eq!(device.certificate_chain(&session).unwrap(), chain);
        assert_eq!(crate::chain::split(chain).unwrap().len(), 2);
    }

    #[test]
    fn negotiated_key_is_in_force() {
        let device = device();
        let session = session(&device);
        negotiate(&device, &session, &random_key(1));
        assert!(key_in_force(&device, &session, &random_key(1)));
        assert!(!key_in_force(&device, &session, &random_key(2)));
        // A second exchange replaces the key.
        negotiate(&device, &session, &random_key(2));
        assert!(key_in_force(&device, &session, &random_key(2)));
        // The application-side helper makes a key the device accepts.
        let (key, blob) =
            crate::new_session_key_blob(&device.certificate_chain(&session).unwrap()).unwrap();
        device.negotiate_key_exchange(&session, &blob).unwrap();
        assert!(key_in_force(&device, &session, &key));
    }

    #[test]
    fn bad_blobs_are_one_error_and_keep_the_previous_key() {
        let device = device();
        let session = session(&device);
        let key = random_key(7);
        negotiate(&device, &session, &key);
        let public = leaf(&device);
        let valid = public.encrypt_session_key(&random_key(8)).unwrap();
        let mut flipped = valid;
        flipped[200] ^= 0x01;
        let mut bad_blobs: Vec<Vec<u8>> = vec![
            Vec::new(),
            valid[..255].to_vec(),
            [&valid[..], &[0]].concat(),
            [&valid[..], &valid[..]].concat(),
            vec![0u8; 256],
            vec![0xffu8; 256],
            flipped.to_vec(),
        ];
        // Valid OAEP under the device key, but not a 16-byte key.
        for len in [0, 15, 17, 32, 40] {
            bad_blobs.push(public.encrypt(&vec![0x33; len]).unwrap().to_vec());
        }
        for blob in &bad_blobs {
            let error = device.negotiate_key_exchange(&session, blob).unwrap_err();
            assert_eq!(
                error,
                Error::KeyExchangeRejected,
                "blob of {} bytes",
                blob.len()
            );
            assert_eq!(error.hresult(), hresult::E_INVALIDARG);
            assert!(key_in_force(&device, &session, &key));
        }
    }

    #[test]
    fn calls_need_a_session_key() {
        let device = device();
        let session = session(&device);
        let mut out = vec![0u8; PLAIN.len()];
        let mut sixteen = [0u8; 16];
        for error in [
            device
                .decryption_blt(&session, PLAIN, &mut out, None, None, &IV)
                .unwrap_err(),
            device
                .start_session_key_refresh(&session, &mut sixteen)
                .unwrap_err(),
            device.finish_session_key_refresh(&session).unwrap_err(),
            device
                .encryption_blt_key(&session, &mut sixteen)
                .unwrap_err(),
            device
                .encryption_blt(&session, PLAIN, &mut out)
                .unwrap_err(),
        ] {
            assert!(matches!(error, Error::InvalidCall(_)), "{error:?}");
            assert_eq!(error.hresult(), hresult::DXGI_ERROR_INVALID_CALL);
        }
        assert_eq!(out, vec![0u8; PLAIN.len()]);
        assert_eq!(sixteen, [0u8; 16]);
    }

    #[test]
    fn another_device_is_refused() {
        let owner = device();
        let other = device();
        assert_ne!(owner.id(), other.id());
        let session = session(&owner);
        negotiate(&owner, &session, &random_key(3));
        let blob = leaf(&owner).encrypt_session_key(&random_key(4)).unwrap();
        let mut out = vec![0u8; PLAIN.len()];
        let mut sixteen = [0u8; 16];
        let errors = [
            other.negotiate_key_exchange(&session, &blob).unwrap_err(),
            other.certificate_size(&session).unwrap_err(),
            other.certificate(&session, &mut [0u8; 4096]).unwrap_err(),
            other.certificate_chain(&session).unwrap_err(),
            other
                .decryption_blt(&session, PLAIN, &mut out, None, None, &IV)
                .unwrap_err(),
            other.encryption_blt(&session, PLAIN, &mut out).unwrap_err(),
            other
                .start_session_key_refresh(&session, &mut sixteen)
                .unwrap_err(),
            other.finish_session_key_refresh(&session).unwrap_err(),
            other
                .encryption_blt_key(&session, &mut sixteen)
                .unwrap_err(),
            other.destroy_crypto_session(&session).unwrap_err(),
            // Wrong device is checked before the arguments.
            other
                .decryption_blt(&session, PLAIN, &mut out[1..], None, None, &IV)
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error, Error::WrongDevice);
            assert_eq!(error.hresult(), hresult::E_INVALIDARG);
        }
        // Nothing changed: the owner's key is still the first one, the session alive.
        assert!(!session.is_destroyed());
        assert!(key_in_force(&owner, &session, &random_key(3)));
    }

    #[test]
    fn destroyed_session_refuses_everything() {
        let device = device();
        let session = session(&device);
        negotiate(&device, &session, &random_key(5));
        device.destroy_crypto_session(&session).unwrap();
        assert!(session.is_destroyed());
        let blob = leaf(&device).encrypt_session_key(&random_key(6)).unwrap();
        let mut out = vec![0u8; PLAIN.len()];
        let mut sixteen = [0u8; 16];
        let errors = [
            device.negotiate_key_exchange(&session, &blob).unwrap_err(),
            device.certificate_size(&session).unwrap_err(),
            device.certificate(&session, &mut [0u8; 4096]).unwrap_err(),
            device
                .decryption_blt(&session, PLAIN, &mut out, None, None, &IV)
                .unwrap_err(),
            device
                .encryption_blt(&session, PLAIN, &mut out)
                .unwrap_err(),
            device
                .start_session_key_refresh(&session, &mut sixteen)
                .unwrap_err(),
            device.finish_session_key_refresh(&session).unwrap_err(),
            device
                .encryption_blt_key(&session, &mut sixteen)
                .unwrap_err(),
            device.destroy_crypto_session(&session).unwrap_err(),
            device
                .encryption_blt_key(&session, &mut [0u8; 3])
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error, Error::SessionDestroyed);
            assert_eq!(error.hresult(), hresult::E_HANDLE);
        }
        assert_eq!(out, vec![0u8; PLAIN.len()]);
    }

    #[test]
    fn key_refresh_takes_effect_at_finish() {
        let device = device();
        let session = session(&device);
        let old = random_key(0x5a);
        negotiate(&device, &session, &old);
        let mut random = [0u8; 16];
        assert!(matches!(
            device.start_session_key_refresh(&session, &mut [0u8; 15]),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            device.finish_session_key_refresh(&session),
            Err(Error::InvalidCall(_))
        ));
        device
            .start_session_key_refresh(&session, &mut random)
            .unwrap();
        assert_ne!(random, [0u8; 16]);
        // Started, not finished: the old key is still in force.
        assert!(key_in_force(&device, &session, &old));
        // Starting again replaces the random number.
        let mut second = [0u8; 16];
        device
            .start_session_key_refresh(&session, &mut second)
            .unwrap();
        assert_ne!(second, random);
        device.finish_session_key_refresh(&session).unwrap();
        let mut new = Secret::<16>::zeroed();
        for (i, byte) in new.expose_mut().iter_mut().enumerate() {
            *byte = old.expose()[i] ^ second[i];
        }
        assert!(key_in_force(&device, &session, &new));
        assert!(!key_in_force(&device, &session, &old));
        // The pending number is used up.
        assert!(matches!(
            device.finish_session_key_refresh(&session),
            Err(Error::InvalidCall(_))
        ));
        // A new key exchange drops a pending refresh.
        device
            .start_session_key_refresh(&session, &mut random)
            .unwrap();
        negotiate(&device, &session, &old);
        assert!(matches!(
            device.finish_session_key_refresh(&session),
            Err(Error::InvalidCall(_))
        ));
        assert!(key_in_force(&device, &session, &old));
    }

    #[test]
    fn encryption_blt_uses_the_readback_key_and_advances_the_iv() {
        let device = device();
        let session = session(&device);
        let session_key = random_key(0x21);
        negotiate(&device, &session, &session_key);
        let mut out = vec![0u8; PLAIN.len()];
        assert!(matches!(
            device.encryption_blt(&session, PLAIN, &mut out),
            Err(Error::InvalidCall(_))
        ));
        assert!(matches!(
            device.encryption_blt_key(&session, &mut [0u8; 17]),
            Err(Error::InvalidArgument(_))
        ));
        let mut wrapped = [0u8; 16];
        device.encryption_blt_key(&session, &mut wrapped).unwrap();
        let readback = unwrap_key(&session_key, &wrapped).unwrap();
        assert_ne!(readback.expose(), session_key.expose());
        assert!(matches!(
            device.encryption_blt(&session, PLAIN, &mut out[1..]),
            Err(Error::InvalidArgument(_))
        ));
        let first = device.encryption_blt(&session, PLAIN, &mut out).unwrap();
        assert_eq!(first.count, 0);
        assert_ne!(out, PLAIN);
        let cipher = AesKey::new(readback.expose()).unwrap();
        let mut decrypted = out.clone();
        apply_ctr(&cipher, &first, None, &mut decrypted).unwrap();
        assert_eq!(decrypted, PLAIN);
        // The failed call above did not consume an IV; each blit takes the next one.
        let second = device.encryption_blt(&session, PLAIN, &mut out).unwrap();
        assert_eq!(second.iv, first.iv.wrapping_add(1));
        assert_eq!(second.count, 0);
        // A new readback key each call; the blit follows the newest.
        let mut wrapped_again = [0u8; 16];
        device
            .encryption_blt_key(&session, &mut wrapped_again)
            .unwrap();
        assert_ne!(wrapped_again, wrapped);
        let newer = unwrap_key(&session_key, &wrapped_again).unwrap();
        let third = device.encryption_blt(&session, PLAIN, &mut out).unwrap();
        assert_eq!(third.iv, second.iv.wrapping_add(1));
        apply_ctr(
            &AesKey::new(newer.expose()).unwrap(),
            &third,
            None,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, PLAIN);
        // A new exchange drops the readback key.
        negotiate(&device, &session, &session_key);
        assert!(matches!(
            device.encryption_blt(&session, PLAIN, &mut out),
            Err(Error::InvalidCall(_))
        ));
    }

    #[test]
    fn decryption_blt_with_content_key_and_pattern() {
        let device = device();
        let session = session(&device);
        let session_key = random_key(0x44);
        negotiate(&device, &session, &session_key);
        let content_key = random_key(0x99);
        let wrapped = wrap_key(&session_key, &content_key).unwrap();
        let pattern = EncryptedBlockInfo {
            num_encrypted_bytes_at_beginning: 16,
            num_bytes_in_skip_pattern: 16,
            num_bytes_in_encrypt_pattern: 16,
        };
        let mut source = PLAIN.to_vec();
        apply_ctr(
            &AesKey::new(content_key.expose()).unwrap(),
            &IV,
            Some(&pattern),
            &mut source,
        )
        .unwrap();
        assert_eq!(&source[16..32], &PLAIN[16..32]);
        let mut out = vec![0u8; PLAIN.len()];
        device
            .decryption_blt(
                &session,
                &source,
                &mut out,
                Some(&pattern),
                Some(&wrapped),
                &IV,
            )
            .unwrap();
        assert_eq!(out, PLAIN);
        // Argument errors leave the destination untouched.
        let mut untouched = vec![0u8; PLAIN.len()];
        let misaligned = EncryptedBlockInfo {
            num_encrypted_bytes_at_beginning: 8,
            ..pattern
        };
        for error in [
            device
                .decryption_blt(
                    &session,
                    &source,
                    &mut untouched,
                    Some(&misaligned),
                    None,
                    &IV,
                )
                .unwrap_err(),
            device
                .decryption_blt(
                    &session,
                    &source,
                    &mut untouched,
                    None,
                    Some(&wrapped[..15]),
                    &IV,
                )
                .unwrap_err(),
            device
                .decryption_blt(&session, &source[1..], &mut untouched, None, None, &IV)
                .unwrap_err(),
        ] {
            assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
        }
        assert_eq!(untouched, vec![0u8; PLAIN.len()]);
    }
}

//! The crypto session object (`ID3D11CryptoSession`, the driver's `D3D11_1DDI_HCRYPTOSESSION`)
//! and the state its operations change.
//!
//! A session remembers the device that created it, its crypto type, decoder profile and key
//! exchange, and holds behind one mutex: the session key (none until the first successful
//! `NegotiateCryptoSessionKeyExchange`), a pending key refresh, the readback key of
//! `EncryptionBlt` and the last `EncryptionBlt` IV. Every operation is called through
//! [`VideoDevice`](crate::VideoDevice), which passes its identity; the lock is held only to
//! read or replace state, never while a blit runs or an RSA key decrypts.
//!
//! What changes the state:
//!
//! | call | on success |
//! |---|---|
//! | `NegotiateCryptoSessionKeyExchange` | new session key; pending refresh, readback key and readback IV dropped |
//! | `StartSessionKeyRefresh` | pending refresh = a new random number (replacing any earlier one) |
//! | `FinishSessionKeyRefresh` | session key ^= pending random number; pending cleared |
//! | `GetEncryptionBltKey` | a new random readback key |
//! | `EncryptionBlt` | readback IV advances |
//! | `DestroyCryptoSession` | everything wiped; every later call is [`Error::SessionDestroyed`] |
//!
//! A failed call changes nothing.

use crate::blt::{apply_ctr, unwrap_key, wrap_key, AesCtrIv, EncryptedBlockInfo};
use crate::error::{Error, Result};
use crate::exchange::{KeyExchangeKey, SESSION_KEY_LEN};
use crate::guid::Guid;
use core::fmt;
use keyward_core::backend::aes::AesKey;
use keyward_core::backend::fill_random;
use keyward_core::Secret;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Identity of a [`VideoDevice`](crate::VideoDevice) (the DDI's `hDevice`): unique within
/// the process, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceId(u64);

impl DeviceId {
    /// A fresh identity.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        DeviceId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The identity as a number (non-zero).
    pub fn get(&self) -> u64 {
        self.0
    }
}

/// An AES-128 key with its schedule, shared by the session state and running blits.
struct SymmetricKey {
    bytes: Secret<SESSION_KEY_LEN>,
    cipher: AesKey,
}

impl SymmetricKey {
    fn new(bytes: Secret<SESSION_KEY_LEN>) -> Result<Arc<Self>> {
        let cipher = AesKey::new(bytes.expose())?;
        Ok(Arc::new(SymmetricKey { bytes, cipher }))
    }

    fn random() -> Result<Arc<Self>> {
        let mut bytes = Secret::<SESSION_KEY_LEN>::zeroed();
        fill_random(bytes.expose_mut())?;
        Self::new(bytes)
    }
}

#[derive(Default)]
struct SessionState {
    destroyed: bool,
    session_key: Option<Arc<SymmetricKey>>,
    pending_refresh: Option<Secret<SESSION_KEY_LEN>>,
    readback_key: Option<Arc<SymmetricKey>>,
    last_readback_iv: Option<u64>,
}

/// A crypto session (`ID3D11CryptoSession`; the driver-private data behind
/// `D3D11_1DDI_HCRYPTOSESSION`). Created by
/// [`VideoDevice::create_crypto_session`](crate::VideoDevice::create_crypto_session);
/// `Send + Sync`, so a handle table can share it in an `Arc`. Its `Debug` shows no key.
pub struct CryptoSession {
    device: DeviceId,
    handle: u64,
    crypto_type: Guid,
    decoder_profile: Guid,
    key_exchange_type: Guid,
    state: Mutex<SessionState>,
}

impl fmt::Debug for CryptoSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptoSession")
            .field("device", &self.device)
            .field("handle", &self.handle)
            .field("crypto_type", &self.crypto_type)
            .field("key_exchange_type", &self.key_exchange_type)
            .finish_non_exhaustive()
    }
}

impl CryptoSession {
    pub(crate) fn new(
        device: DeviceId,
        crypto_type: Guid,
        decoder_profile: Guid,
        key_exchange_type: Guid,
    ) -> Self {
        static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);
        CryptoSession {
            device,
            handle: NEXT_HANDLE.fetch_add(1, Ordering::Relaxed),
            crypto_type,
            decoder_profile,
            key_exchange_type,
            state: Mutex::new(SessionState::default()),
        }
    }

    /// The device that created the session.
    pub fn device_id(&self) -> DeviceId {
        self.device
    }

    /// `GetCryptoType`.
    pub fn crypto_type(&self) -> Guid {
        self.crypto_type
    }

    /// `GetDecoderProfile` (`Guid::NULL`: not used for decoding).
    pub fn decoder_profile(&self) -> Guid {
        self.decoder_profile
    }

    /// The key-exchange type the session was created with.
    pub fn key_exchange_type(&self) -> Guid {
        self.key_exchange_type
    }

    /// `GetCryptoSessionHandle`: a non-zero number naming this session, unique in the process.
    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// True once `DestroyCryptoSession` has run.
    pub fn is_destroyed(&self) -> bool {
        self.lock().destroyed
    }

    /// The state, even if another thread panicked while holding it: every transition is a
    /// single assignment made after all fallible work, so the state is never half-updated.
    fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state after the device and liveness checks (the first failing check decides).
    fn checked(&self, device: DeviceId) -> Result<MutexGuard<'_, SessionState>> {
        if device != self.device {
            return Err(Error::WrongDevice);
        }
        let state = self.lock();
        if state.destroyed {
            return Err(Error::SessionDestroyed);
        }
        Ok(state)
    }

    /// Fails unless `device` created the session and it is alive.
    pub(crate) fn check(&self, device: DeviceId) -> Result<()> {
        self.checked(device).map(drop)
    }

    fn session_key(state: &SessionState) -> Result<Arc<SymmetricKey>> {
        state.session_key.clone().ok_or(Error::InvalidCall(
            "no session key: NegotiateCryptoSessionKeyExchange has not succeeded",
        ))
    }

    pub(crate) fn destroy(&self, device: DeviceId) -> Result<()> {
        let mut state = self.checked(device)?;
        *state = SessionState {
            destroyed: true,
            ..SessionState::default()
        };
        Ok(())
    }

    pub(crate) fn negotiate(
        &self,
        device: DeviceId,
        key: &KeyExchangeKey,
        data: &[u8],
    ) -> Result<()> {
        self.check(device)?;
        // The RSA decryption runs without the lock.
        let session_key = SymmetricKey::new(key.decrypt_session_key(data)?)?;
        let mut state = self.checked(device)?;
        *state = SessionState {
            session_key: Some(session_key),
            ..SessionState::default()
        };
        Ok(())
    }

    pub(crate) fn start_refresh(&self, device: DeviceId, random_number: &mut [u8]) -> Result<()> {
        if random_number.len() != SESSION_KEY_LEN {
            self.check(device)?;
            return Err(Error::InvalidArgument(
                "the refresh random number is the session key's size (16 bytes)",
            ));
        }
        let mut state = self.checked(device)?;
        Self::session_key(&state)?;
        let mut random = Secret::<SESSION_KEY_LEN>::zeroed();
        fill_random(random.expose_mut())?;
        random_number.copy_from_slice(random.expose());
        state.pending_refresh = Some(random);
        Ok(())
    }

    pub(crate) fn finish_refresh(&self, device: DeviceId) -> Result<()> {
        let mut state = self.checked(device)?;
        let old = Self::session_key(&state)?;
        let random = state.pending_refresh.as_ref().ok_or(Error::InvalidCall(
            "no key refresh started: call StartSessionKeyRefresh first",
        ))?;
        let mut new = Secret::<SESSION_KEY_LEN>::zeroed();
        for ((out, old), random) in new
            .expose_mut()
            .iter_mut()
            .zip(old.bytes.expose())
            .zip(random.expose())
        {
            *out = old ^ random;
        }
        let new = SymmetricKey::new(new)?;
        state.session_key = Some(new);
        state.pending_refresh = None;
        Ok(())
    }

    pub(crate) fn encryption_blt_key(
        &self,
        device: DeviceId,
        wrapped_out: &mut [u8],
    ) -> Result<()> {
        if wrapped_out.len() != SESSION_KEY_LEN {
            self.check(device)?;
            return Err(Error::InvalidArgument(
                "the readback key is the session key's size (16 bytes)",
            ));
        }
        let mut state = self.checked(device)?;
        let session_key = Self::session_key(&state)?;
        let readback = SymmetricKey::random()?;
        let wrapped = wrap_key(&session_key.bytes, &readback.bytes)?;
        wrapped_out.copy_from_slice(&wrapped);
        state.readback_key = Some(readback);
        Ok(())
    }

    pub(crate) fn encryption_blt(
        &self,
        device: DeviceId,
        source: &[u8],
        destination: &mut [u8],
    ) -> Result<AesCtrIv> {
        if source.len() != destination.len() {
            self.check(device)?;
            return Err(Error::InvalidArgument(
                "source and destination differ in size",
            ));
        }
        let (key, iv) = {
            let mut state = self.checked(device)?;
            let key = state.readback_key.clone().ok_or(Error::InvalidCall(
                "no readback key: call GetEncryptionBltKey first",
            ))?;
            let iv = match state.last_readback_iv {
                Some(last) => last.wrapping_add(1),
                None => {
                    let mut random = [0u8; 8];
                    fill_random(&mut random)?;
                    u64::from_be_bytes(random)
                }
            };
            state.last_readback_iv = Some(iv);
            (key, AesCtrIv { iv, count: 0 })
        };
        destination.copy_from_slice(source);
        apply_ctr(&key.cipher, &iv, None, destination)?;
        Ok(iv)
    }

    pub(crate) fn decryption_blt(
        &self,
        device: DeviceId,
        source: &[u8],
        destination: &mut [u8],
        block_info: Option<&EncryptedBlockInfo>,
        content_key: Option<&[u8]>,
        iv: &AesCtrIv,
    ) -> Result<()> {
        let argument_error = if source.len() != destination.len() {
            Some("source and destination differ in size")
        } else if content_key.is_some_and(|key| key.len() != SESSION_KEY_LEN) {
            Some("the content key is 16 bytes")
        } else {
            block_info
                .and_then(|info| info.check_alignment().err())
                .map(|_| "D3D11_ENCRYPTED_BLOCK_INFO fields must be multiples of 16 bytes")
        };
        if let Some(message) = argument_error {
            self.check(device)?;
            return Err(Error::InvalidArgument(message));
        }
        let session_key = Self::session_key(&*self.checked(device)?)?;
        let data_key = match content_key {
            Some(wrapped) => {
                let wrapped: &[u8; SESSION_KEY_LEN] = wrapped
                    .try_into()
                    .map_err(|_| Error::InvalidArgument("the content key is 16 bytes"))?;
                SymmetricKey::new(unwrap_key(&session_key.bytes, wrapped)?)?
            }
            None => session_key,
        };
        destination.copy_from_slice(source);
        apply_ctr(&data_key.cipher, iv, block_info, destination)
    }
}

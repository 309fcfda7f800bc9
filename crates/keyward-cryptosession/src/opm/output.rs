//! The driver side of an OPM video output (`IOPMVideoOutput` as the display driver implements
//! it: `DxgkDdiOPMGetRandomNumber`/`GetCertificate`, `DxgkDdiOPMSetSigningKeyAndSequenceNumbers`,
//! `DxgkDdiOPMGetInformation`, `DxgkDdiOPMConfigureProtectedOutput`).

use super::layout::{
    ConfigureParameters, GetInfoParameters, InitializationParameters, RequestedInformation,
    SetProtectionLevelParameters, StandardInformation,
};
use super::omac::Omac;
use super::{
    OpmRandomNumber, OPM_CONNECTOR_TYPE_HDMI, OPM_GET_ACTUAL_PROTECTION_LEVEL,
    OPM_GET_CONNECTOR_TYPE, OPM_GET_SUPPORTED_PROTECTION_TYPES, OPM_GET_VIRTUAL_PROTECTION_LEVEL,
    OPM_HDCP_OFF, OPM_HDCP_ON, OPM_PROTECTION_TYPE_HDCP, OPM_PROTECTION_TYPE_SIZE,
    OPM_SET_PROTECTION_LEVEL, OPM_STATUS_NORMAL,
};
use crate::credentials::DeviceCredentials;
use crate::error::{Error, Result};
use core::fmt;
use keyward_core::backend::fill_random;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use subtle::ConstantTimeEq;

/// Where the output is in the handshake.
enum Phase {
    /// No `StartInitialization` yet.
    Created,
    /// `StartInitialization` returned this random number.
    Started(OpmRandomNumber),
    /// `FinishInitialization` succeeded.
    Initialized(Box<Signing>),
}

/// The signing key and the next expected sequence numbers.
struct Signing {
    omac: Omac,
    status_sequence: u32,
    command_sequence: u32,
}

struct OutputState {
    phase: Phase,
    /// The HDCP level this output's application asked for (`OPM_HDCP_*`).
    hdcp_level: u32,
}

/// An OPM protected output of the software device: an HDMI connector offering HDCP, whose
/// level is whatever the application last set (so the actual level equals the virtual one).
/// `Send + Sync`; its `Debug` shows no key.
pub struct OpmVideoOutput {
    credentials: Arc<DeviceCredentials>,
    state: Mutex<OutputState>,
}

impl fmt::Debug for OpmVideoOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpmVideoOutput").finish_non_exhaustive()
    }
}

impl OpmVideoOutput {
    /// An output using the device's key and certificate chain (the same ones as the crypto
    /// session's: docs/cryptosession-and-card.md, "Application and driver calls").
    pub fn new(credentials: Arc<DeviceCredentials>) -> Self {
        OpmVideoOutput {
            credentials,
            state: Mutex::new(OutputState {
                phase: Phase::Created,
                hdcp_level: OPM_HDCP_OFF,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, OutputState> {
        // Every transition is one assignment after all fallible work: never half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `IOPMVideoOutput::StartInitialization`: a fresh 128-bit random number and the
    /// certificate chain (DER certificates, leaf first). Calling it again before
    /// `FinishInitialization` replaces the random number; after it →
    /// [`Error::InvalidCall`].
    pub fn start_initialization(&self) -> Result<(OpmRandomNumber, Vec<u8>)> {
        let mut random_number = OpmRandomNumber::default();
        fill_random(&mut random_number)?;
        let mut state = self.lock();
        if matches!(state.phase, Phase::Initialized(_)) {
            return Err(Error::InvalidCall("OPM output already initialized"));
        }
        state.phase = Phase::Started(random_number);
        Ok((random_number, self.credentials.certificate_chain().to_vec()))
    }

    /// `IOPMVideoOutput::FinishInitialization`: `encrypted` is
    /// `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS` (256 bytes). Its decryption must hold at
    /// least the 40-byte [`InitializationParameters`] (else [`Error::KeyExchangeRejected`],
    /// like the crypto session's exchange) and the random number of `StartInitialization`
    /// (else [`Error::RandomNumberMismatch`]). Before `StartInitialization`, or a second
    /// time → [`Error::InvalidCall`]. A failure leaves the output waiting for a valid call.
    pub fn finish_initialization(&self, encrypted: &[u8]) -> Result<()> {
        let expected = match self.lock().phase {
            Phase::Started(random_number) => random_number,
            Phase::Created => {
                return Err(Error::InvalidCall(
                    "StartInitialization has not been called",
                ))
            }
            Phase::Initialized(_) => {
                return Err(Error::InvalidCall("OPM output already initialized"))
            }
        };
        let plaintext = self
            .credentials
            .key_exchange_key()
            .decrypt_at_least(encrypted, InitializationParameters::SIZE)?;
        let parameters = InitializationParameters::parse(&plaintext)?;
        if !bool::from(parameters.random_number.ct_eq(&expected)) {
            return Err(Error::RandomNumberMismatch);
        }
        let signing = Signing {
            omac: Omac::new(&parameters.signing_key)?,
            status_sequence: parameters.status_sequence,
            command_sequence: parameters.command_sequence,
        };
        let mut state = self.lock();
        // Another thread may have finished (or restarted) in the meantime: only the
        // handshake this call belongs to may complete.
        match state.phase {
            Phase::Started(current) if bool::from(current.ct_eq(&expected)) => {
                state.phase = Phase::Initialized(Box::new(signing));
                Ok(())
            }
            Phase::Initialized(_) => Err(Error::InvalidCall("OPM output already initialized")),
            _ => Err(Error::RandomNumberMismatch),
        }
    }

    /// `IOPMVideoOutput::GetInformation`: `request` is `OPM_GET_INFO_PARAMETERS` (4112
    /// bytes, else [`Error::InvalidArgument`]); the answer is the signed
    /// `OPM_REQUESTED_INFORMATION` (4096 bytes) holding an [`StandardInformation`].
    ///
    /// Checks, in order: initialized ([`Error::InvalidCall`]); size; OMAC
    /// ([`Error::BadOmac`]); sequence number ([`Error::SequenceMismatch`]); request and
    /// parameters ([`Error::UnsupportedRequest`], [`Error::InvalidArgument`]). Only a
    /// successful request advances the status sequence number.
    pub fn get_information(&self, request: &[u8]) -> Result<Vec<u8>> {
        let mut state = self.lock();
        let hdcp_level = state.hdcp_level;
        let Phase::Initialized(signing) = &mut state.phase else {
            return Err(Error::InvalidCall("OPM output not initialized"));
        };
        if request.len() != GetInfoParameters::SIZE {
            return Err(Error::InvalidArgument(
                "OPM_GET_INFO_PARAMETERS is 4112 bytes",
            ));
        }
        signing.omac.verify_structure(request)?;
        let request = GetInfoParameters::parse(request)?;
        if request.sequence_number != signing.status_sequence {
            return Err(Error::SequenceMismatch);
        }
        let information = answer(&request, hdcp_level)?;
        let mut response = RequestedInformation {
            omac: [0; 16],
            information: StandardInformation {
                random_number: request.random_number,
                status_flags: OPM_STATUS_NORMAL,
                information,
                reserved: 0,
                reserved2: 0,
            }
            .to_bytes()
            .to_vec(),
        }
        .to_bytes()?;
        signing.omac.sign_structure(&mut response)?;
        signing.status_sequence = signing.status_sequence.wrapping_add(1);
        Ok(response)
    }

    /// `IOPMVideoOutput::Configure`: `command` is `OPM_CONFIGURE_PARAMETERS` (4096 bytes),
    /// `additional` the `pbAdditionalParameters` (must be empty for
    /// `OPM_SET_PROTECTION_LEVEL`). Same check order as
    /// [`get_information`](Self::get_information); only a successful command advances the
    /// command sequence number.
    pub fn configure(&self, command: &[u8], additional: &[u8]) -> Result<()> {
        let mut state = self.lock();
        let Phase::Initialized(signing) = &mut state.phase else {
            return Err(Error::InvalidCall("OPM output not initialized"));
        };
        if command.len() != ConfigureParameters::SIZE {
            return Err(Error::InvalidArgument(
                "OPM_CONFIGURE_PARAMETERS is 4096 bytes",
            ));
        }
        signing.omac.verify_structure(command)?;
        let command = ConfigureParameters::parse(command)?;
        if command.sequence_number != signing.command_sequence {
            return Err(Error::SequenceMismatch);
        }
        if command.setting != OPM_SET_PROTECTION_LEVEL {
            return Err(Error::UnsupportedRequest);
        }
        if !additional.is_empty() {
            return Err(Error::InvalidArgument(
                "OPM_SET_PROTECTION_LEVEL takes no additional parameters",
            ));
        }
        let parameters = SetProtectionLevelParameters::parse(&command.parameters)?;
        if parameters.protection_type != OPM_PROTECTION_TYPE_HDCP {
            return Err(Error::InvalidArgument(
                "protection type not supported by this output",
            ));
        }
        if !matches!(parameters.protection_level, OPM_HDCP_OFF | OPM_HDCP_ON) {
            return Err(Error::InvalidArgument("not an OPM_HDCP_PROTECTION_LEVEL"));
        }
        signing.command_sequence = signing.command_sequence.wrapping_add(1);
        state.hdcp_level = parameters.protection_level;
        Ok(())
    }
}

/// The `ulInformation` answer to a standard status request.
fn answer(request: &GetInfoParameters, hdcp_level: u32) -> Result<u32> {
    let no_parameters = || {
        if request.parameters.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(
                "this OPM request takes no parameters",
            ))
        }
    };
    let protection_type = || -> Result<u32> {
        let bytes: [u8; OPM_PROTECTION_TYPE_SIZE] =
            request.parameters.as_slice().try_into().map_err(|_| {
                Error::InvalidArgument("the parameter is one protection type (4 bytes)")
            })?;
        match u32::from_le_bytes(bytes) {
            OPM_PROTECTION_TYPE_HDCP => Ok(OPM_PROTECTION_TYPE_HDCP),
            _ => Err(Error::InvalidArgument(
                "protection type not supported by this output",
            )),
        }
    };
    match request.information {
        guid if guid == OPM_GET_CONNECTOR_TYPE => no_parameters().map(|()| OPM_CONNECTOR_TYPE_HDMI),
        guid if guid == OPM_GET_SUPPORTED_PROTECTION_TYPES => {
            no_parameters().map(|()| OPM_PROTECTION_TYPE_HDCP)
        }
        // One HDCP protection type; a software connector applies exactly the level asked for,
        // so the actual level is the virtual one.
        guid if guid == OPM_GET_VIRTUAL_PROTECTION_LEVEL
            || guid == OPM_GET_ACTUAL_PROTECTION_LEVEL =>
        {
            protection_type().map(|_| hdcp_level)
        }
        _ => Err(Error::UnsupportedRequest),
    }
}

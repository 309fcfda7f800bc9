//! The application side of OPM: the handshake, signed requests and verified responses (what
//! Microsoft's OPM sample application does with CNG; docs/cryptosession-and-card.md, "The
//! RSAES-OAEP key exchange and the OPM handshake" and "OPM signing and sequence numbers").

use super::layout::{
    ConfigureParameters, GetInfoParameters, InitializationParameters, RequestedInformation,
    StandardInformation,
};
use super::omac::Omac;
use super::output::OpmVideoOutput;
use super::{OpmRandomNumber, OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE, OPM_STATUS_NORMAL};
use crate::error::{Error, Result};
use crate::exchange::{KeyExchangePublicKey, SESSION_KEY_LEN};
use crate::guid::Guid;
use core::fmt;
use keyward_core::backend::fill_random;
use keyward_core::Secret;
use subtle::ConstantTimeEq;

/// A signed `OPM_GET_INFO_PARAMETERS` with the random number its answer must echo.
#[derive(Debug, Clone)]
pub struct GetInfoRequest {
    bytes: Vec<u8>,
    random_number: OpmRandomNumber,
}

impl GetInfoRequest {
    /// The 4112 bytes to pass to `GetInformation`.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The request's fresh random number.
    pub fn random_number(&self) -> &OpmRandomNumber {
        &self.random_number
    }
}

/// The application's OPM session with one output: the signing key it chose and its two
/// sequence numbers. Its `Debug` shows no key.
pub struct OpmClient {
    omac: Omac,
    status_sequence: u32,
    command_sequence: u32,
}

impl fmt::Debug for OpmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpmClient")
            .field("status_sequence", &self.status_sequence)
            .field("command_sequence", &self.command_sequence)
            .finish_non_exhaustive()
    }
}

impl OpmClient {
    /// The application's half of the handshake, between `StartInitialization` and
    /// `FinishInitialization`: verifies the `certificate_chain`, picks a random AES-128
    /// signing key and random starting sequence numbers, and returns the client with the
    /// 256-byte `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS` carrying them and `random_number`.
    pub fn begin(
        random_number: &OpmRandomNumber,
        certificate_chain: &[u8],
    ) -> Result<(Self, [u8; OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE])> {
        let public_key = KeyExchangePublicKey::from_certificate_chain(certificate_chain)?;
        let mut signing_key = Secret::<SESSION_KEY_LEN>::zeroed();
        fill_random(signing_key.expose_mut())?;
        let mut sequences = [0u8; 8];
        fill_random(&mut sequences)?;
        let [s0, s1, s2, s3, c0, c1, c2, c3] = sequences;
        let parameters = InitializationParameters {
            random_number: *random_number,
            signing_key,
            status_sequence: u32::from_le_bytes([s0, s1, s2, s3]),
            command_sequence: u32::from_le_bytes([c0, c1, c2, c3]),
        };
        let encrypted = public_key.encrypt(parameters.to_bytes().expose())?;
        let client = OpmClient {
            omac: Omac::new(&parameters.signing_key)?,
            status_sequence: parameters.status_sequence,
            command_sequence: parameters.command_sequence,
        };
        Ok((client, encrypted))
    }

    /// The sequence number the next `GetInformation` request carries.
    pub fn status_sequence(&self) -> u32 {
        self.status_sequence
    }

    /// The sequence number the next `Configure` command carries.
    pub fn command_sequence(&self) -> u32 {
        self.command_sequence
    }

    /// Builds and signs an `OPM_GET_INFO_PARAMETERS` for `information` with `parameters`, a
    /// fresh random number and the current status sequence number. Does not advance the
    /// sequence: [`accept_information`](Self::accept_information) does, once the answer checks
    /// out.
    pub fn get_info_request(&self, information: Guid, parameters: &[u8]) -> Result<GetInfoRequest> {
        let mut random_number = OpmRandomNumber::default();
        fill_random(&mut random_number)?;
        let mut bytes = GetInfoParameters {
            omac: [0; 16],
            random_number,
            information,
            sequence_number: self.status_sequence,
            parameters: parameters.to_vec(),
        }
        .to_bytes()?;
        self.omac.sign_structure(&mut bytes)?;
        Ok(GetInfoRequest {
            bytes,
            random_number,
        })
    }

    /// Checks the `OPM_REQUESTED_INFORMATION` answer to `request`: its OMAC (constant time),
    /// a 32-byte `OPM_STANDARD_INFORMATION` that echoes the request's random number, and
    /// `OPM_STATUS_NORMAL`; any failure → [`Error::BadResponse`]. On success the status
    /// sequence number advances and the information is returned.
    pub fn accept_information(
        &mut self,
        request: &GetInfoRequest,
        response: &[u8],
    ) -> Result<StandardInformation> {
        self.omac
            .verify_structure(response)
            .map_err(|_| Error::BadResponse("OMAC does not verify"))?;
        let answer = RequestedInformation::parse(response)
            .map_err(|_| Error::BadResponse("malformed OPM_REQUESTED_INFORMATION"))?;
        let information = StandardInformation::parse(&answer.information)
            .map_err(|_| Error::BadResponse("not an OPM_STANDARD_INFORMATION"))?;
        if !bool::from(information.random_number.ct_eq(&request.random_number)) {
            return Err(Error::BadResponse("random number not echoed"));
        }
        if information.status_flags != OPM_STATUS_NORMAL {
            return Err(Error::BadResponse("abnormal OPM status"));
        }
        self.status_sequence = self.status_sequence.wrapping_add(1);
        Ok(information)
    }

    /// Builds and signs an `OPM_CONFIGURE_PARAMETERS` for `setting` with `parameters` and the
    /// current command sequence number. Does not advance the sequence:
    /// [`command_accepted`](Self::command_accepted) does, once `Configure` succeeds.
    pub fn configure_request(&self, setting: Guid, parameters: &[u8]) -> Result<Vec<u8>> {
        let mut bytes = ConfigureParameters {
            omac: [0; 16],
            setting,
            sequence_number: self.command_sequence,
            parameters: parameters.to_vec(),
        }
        .to_bytes()?;
        self.omac.sign_structure(&mut bytes)?;
        Ok(bytes)
    }

    /// Records that the output accepted the last command: the command sequence advances.
    pub fn command_accepted(&mut self) {
        self.command_sequence = self.command_sequence.wrapping_add(1);
    }

    /// A whole status request against an in-process output: sign, `GetInformation`, verify.
    pub fn get_information(
        &mut self,
        output: &OpmVideoOutput,
        information: Guid,
        parameters: &[u8],
    ) -> Result<StandardInformation> {
        let request = self.get_info_request(information, parameters)?;
        let response = output.get_information(request.bytes())?;
        self.accept_information(&request, &response)
    }

    /// A whole command against an in-process output: sign, `Configure`, advance.
    pub fn configure(
        &mut self,
        output: &OpmVideoOutput,
        setting: Guid,
        parameters: &[u8],
    ) -> Result<()> {
        let command = self.configure_request(setting, parameters)?;
        output.configure(&command, &[])?;
        self.command_accepted();
        Ok(())
    }
}

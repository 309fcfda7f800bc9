//! Byte layouts of the OPM structures (`opmapi.h`, `#pragma pack(1)`; every `ULONG`
//! little-endian, every `GUID` in Windows memory order). Each type builds its exact bytes and
//! parses them strictly: wrong total size or a size field past the array →
//! [`Error::InvalidArgument`]. Bytes after a size field's count are zero when built and
//! ignored when parsed (the OMAC still covers them: verify a structure's raw bytes, not a
//! rebuilt copy). Structures are read with keyward-core's [`Reader`]; the fixed-size ones
//! without a size field are [`Codec`]s.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::{
    OpmRandomNumber, OPM_128_BIT_RANDOM_NUMBER_SIZE, OPM_CONFIGURE_SETTING_DATA_SIZE,
    OPM_GET_INFORMATION_PARAMETERS_SIZE, OPM_OMAC_SIZE, OPM_REQUESTED_INFORMATION_SIZE,
};
use crate::error::{Error, Result};
use crate::exchange::SESSION_KEY_LEN;
use crate::guid::{Guid, GUID_LEN};
use keyward_core::codec::{Codec, Reader};
use keyward_core::{Secret, SecretVec};

/// A `GUID` in Windows memory order.
fn read_guid(reader: &mut Reader<'_>) -> Result<Guid> {
    Ok(Guid::from_bytes(&reader.array::<GUID_LEN>()?))
}

/// An array of `capacity` bytes of which the size field `count` says how many are used; the
/// bytes after them are skipped. A count above the capacity is [`Error::InvalidArgument`].
fn read_sized_array(reader: &mut Reader<'_>, count: u32, capacity: usize) -> Result<Vec<u8>> {
    let count = usize::try_from(count)
        .ok()
        .filter(|&count| count <= capacity)
        .ok_or(Error::InvalidArgument("OPM size field exceeds its array"))?;
    let array = reader.take(capacity)?;
    Ok(array.get(..count).map(<[u8]>::to_vec).unwrap_or_default())
}

fn check_size(bytes: &[u8], size: usize, what: &'static str) -> Result<()> {
    if bytes.len() == size {
        Ok(())
    } else {
        Err(Error::InvalidArgument(what))
    }
}

fn size_field(data: &[u8], capacity: usize) -> Result<u32> {
    if data.len() > capacity {
        return Err(Error::InvalidArgument("OPM data exceeds its array"));
    }
    u32::try_from(data.len()).map_err(|_| Error::InvalidArgument("OPM data exceeds its array"))
}

/// `OPM_GET_INFO_PARAMETERS` (4112 bytes): `omac` @0, `rnRandomNumber` @16,
/// `guidInformation` @32, `ulSequenceNumber` @48, `cbParametersSize` @52,
/// `abParameters[4056]` @56.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetInfoParameters {
    /// `omac`.
    pub omac: [u8; OPM_OMAC_SIZE],
    /// `rnRandomNumber`: fresh per request, echoed in the answer.
    pub random_number: OpmRandomNumber,
    /// `guidInformation`: the status request.
    pub information: Guid,
    /// `ulSequenceNumber`.
    pub sequence_number: u32,
    /// `abParameters[..cbParametersSize]`.
    pub parameters: Vec<u8>,
}

impl GetInfoParameters {
    /// Size of the structure.
    pub const SIZE: usize = 56 + OPM_GET_INFORMATION_PARAMETERS_SIZE;

    /// The structure's bytes (parameters longer than 4056 bytes → [`Error::InvalidArgument`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let count = size_field(&self.parameters, OPM_GET_INFORMATION_PARAMETERS_SIZE)?;
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&self.omac);
        out.extend_from_slice(&self.random_number);
        out.extend_from_slice(&self.information.to_bytes());
        out.extend_from_slice(&self.sequence_number.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.parameters);
        out.resize(Self::SIZE, 0);
        Ok(out)
    }

    /// Parses exactly [`Self::SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(bytes, Self::SIZE, "OPM_GET_INFO_PARAMETERS is 4112 bytes")?;
        let mut reader = Reader::new(bytes);
        let omac = reader.array()?;
        let random_number = reader.array()?;
        let information = read_guid(&mut reader)?;
        let sequence_number = reader.u32_le()?;
        let count = reader.u32_le()?;
        let parameters = read_sized_array(&mut reader, count, OPM_GET_INFORMATION_PARAMETERS_SIZE)?;
        reader.finish()?;
        Ok(GetInfoParameters {
            omac,
            random_number,
            information,
            sequence_number,
            parameters,
        })
    }
}

/// `OPM_CONFIGURE_PARAMETERS` (4096 bytes): `omac` @0, `guidSetting` @16,
/// `ulSequenceNumber` @32, `cbParametersSize` @36, `abParameters[4056]` @40.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigureParameters {
    /// `omac`.
    pub omac: [u8; OPM_OMAC_SIZE],
    /// `guidSetting`: the command.
    pub setting: Guid,
    /// `ulSequenceNumber`.
    pub sequence_number: u32,
    /// `abParameters[..cbParametersSize]`.
    pub parameters: Vec<u8>,
}

impl ConfigureParameters {
    /// Size of the structure.
    pub const SIZE: usize = 40 + OPM_CONFIGURE_SETTING_DATA_SIZE;

    /// The structure's bytes (parameters longer than 4056 bytes → [`Error::InvalidArgument`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let count = size_field(&self.parameters, OPM_CONFIGURE_SETTING_DATA_SIZE)?;
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&self.omac);
        out.extend_from_slice(&self.setting.to_bytes());
        out.extend_from_slice(&self.sequence_number.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.parameters);
        out.resize(Self::SIZE, 0);
        Ok(out)
    }

    /// Parses exactly [`Self::SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(bytes, Self::SIZE, "OPM_CONFIGURE_PARAMETERS is 4096 bytes")?;
        let mut reader = Reader::new(bytes);
        let omac = reader.array()?;
        let setting = read_guid(&mut reader)?;
        let sequence_number = reader.u32_le()?;
        let count = reader.u32_le()?;
        let parameters = read_sized_array(&mut reader, count, OPM_CONFIGURE_SETTING_DATA_SIZE)?;
        reader.finish()?;
        Ok(ConfigureParameters {
            omac,
            setting,
            sequence_number,
            parameters,
        })
    }
}

/// `OPM_REQUESTED_INFORMATION` (4096 bytes): `omac` @0, `cbRequestedInformationSize` @16,
/// `abRequestedInformation[4076]` @20.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedInformation {
    /// `omac`.
    pub omac: [u8; OPM_OMAC_SIZE],
    /// `abRequestedInformation[..cbRequestedInformationSize]`.
    pub information: Vec<u8>,
}

impl RequestedInformation {
    /// Size of the structure.
    pub const SIZE: usize = 20 + OPM_REQUESTED_INFORMATION_SIZE;

    /// The structure's bytes (information longer than 4076 bytes →
    /// [`Error::InvalidArgument`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let count = size_field(&self.information, OPM_REQUESTED_INFORMATION_SIZE)?;
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&self.omac);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.information);
        out.resize(Self::SIZE, 0);
        Ok(out)
    }

    /// Parses exactly [`Self::SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(bytes, Self::SIZE, "OPM_REQUESTED_INFORMATION is 4096 bytes")?;
        let mut reader = Reader::new(bytes);
        let omac = reader.array()?;
        let count = reader.u32_le()?;
        let information = read_sized_array(&mut reader, count, OPM_REQUESTED_INFORMATION_SIZE)?;
        reader.finish()?;
        Ok(RequestedInformation { omac, information })
    }
}

/// `OPM_STANDARD_INFORMATION` (32 bytes), the answer to the standard status requests:
/// `rnRandomNumber` @0, `ulStatusFlags` @16, `ulInformation` @20, `ulReserved` @24,
/// `ulReserved2` @28.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardInformation {
    /// `rnRandomNumber`: the request's random number, echoed.
    pub random_number: OpmRandomNumber,
    /// `ulStatusFlags` (`OPM_STATUS_*`).
    pub status_flags: u32,
    /// `ulInformation`: the answer.
    pub information: u32,
    /// `ulReserved`.
    pub reserved: u32,
    /// `ulReserved2`.
    pub reserved2: u32,
}

impl StandardInformation {
    /// Size of the structure.
    pub const SIZE: usize = 32;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..16].copy_from_slice(&self.random_number);
        out[16..20].copy_from_slice(&self.status_flags.to_le_bytes());
        out[20..24].copy_from_slice(&self.information.to_le_bytes());
        out[24..28].copy_from_slice(&self.reserved.to_le_bytes());
        out[28..32].copy_from_slice(&self.reserved2.to_le_bytes());
        out
    }

    /// Parses exactly [`Self::SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(bytes, Self::SIZE, "OPM_STANDARD_INFORMATION is 32 bytes")?;
        Self::decode(bytes)
    }
}

impl Codec for StandardInformation {
    type Error = Error;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self> {
        Ok(StandardInformation {
            random_number: reader.array()?,
            status_flags: reader.u32_le()?,
            information: reader.u32_le()?,
            reserved: reader.u32_le()?,
            reserved2: reader.u32_le()?,
        })
    }
}

/// `OPM_SET_PROTECTION_LEVEL_PARAMETERS` (16 bytes), the parameters of
/// `OPM_SET_PROTECTION_LEVEL`: `ulProtectionType` @0, `ulProtectionLevel` @4, `Reserved` @8,
/// `Reserved2` @12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetProtectionLevelParameters {
    /// `ulProtectionType` (one `OPM_PROTECTION_TYPE_*`).
    pub protection_type: u32,
    /// `ulProtectionLevel` (e.g. `OPM_HDCP_ON`).
    pub protection_level: u32,
    /// `Reserved`.
    pub reserved: u32,
    /// `Reserved2`.
    pub reserved2: u32,
}

impl SetProtectionLevelParameters {
    /// Size of the structure.
    pub const SIZE: usize = 16;

    /// The structure's bytes.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&self.protection_type.to_le_bytes());
        out[4..8].copy_from_slice(&self.protection_level.to_le_bytes());
        out[8..12].copy_from_slice(&self.reserved.to_le_bytes());
        out[12..16].copy_from_slice(&self.reserved2.to_le_bytes());
        out
    }

    /// Parses exactly [`Self::SIZE`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_size(
            bytes,
            Self::SIZE,
            "OPM_SET_PROTECTION_LEVEL_PARAMETERS is 16 bytes",
        )?;
        Self::decode(bytes)
    }
}

impl Codec for SetProtectionLevelParameters {
    type Error = Error;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(reader: &mut Reader<'_>) -> Result<Self> {
        Ok(SetProtectionLevelParameters {
            protection_type: reader.u32_le()?,
            protection_level: reader.u32_le()?,
            reserved: reader.u32_le()?,
            reserved2: reader.u32_le()?,
        })
    }
}

/// The 40-byte plaintext inside `OPM_ENCRYPTED_INITIALIZATION_PARAMETERS`
/// (docs/cryptosession-and-card.md, "The RSAES-OAEP key exchange and the OPM handshake"): the
/// output's random number @0, the AES-128 signing key @16, the starting status (`GetInformation`)
/// sequence number @32 and the starting command (`Configure`) sequence number @36, both
/// little-endian. Its `Debug` hides the key.
pub struct InitializationParameters {
    /// The random number `StartInitialization` returned.
    pub random_number: OpmRandomNumber,
    /// The signing (session) key.
    pub signing_key: Secret<SESSION_KEY_LEN>,
    /// The first `GetInformation` sequence number.
    pub status_sequence: u32,
    /// The first `Configure` sequence number.
    pub command_sequence: u32,
}

impl InitializationParameters {
    /// Size of the plaintext.
    pub const SIZE: usize = 40;

    /// The 40 plaintext bytes (wiped on drop).
    pub fn to_bytes(&self) -> Secret<{ Self::SIZE }> {
        let mut out = Secret::<{ Self::SIZE }>::zeroed();
        let bytes = out.expose_mut();
        bytes[0..16].copy_from_slice(&self.random_number);
        bytes[16..32].copy_from_slice(self.signing_key.expose());
        bytes[32..36].copy_from_slice(&self.status_sequence.to_le_bytes());
        bytes[36..40].copy_from_slice(&self.command_sequence.to_le_bytes());
        out
    }

    /// Parses the first 40 bytes of a decrypted plaintext; anything after them is ignored (as
    /// the DDI does). Fewer than 40 bytes → [`Error::InvalidArgument`].
    pub fn parse(plaintext: &SecretVec) -> Result<Self> {
        let bytes = plaintext
            .expose()
            .get(..Self::SIZE)
            .ok_or(Error::InvalidArgument(
                "OPM initialization parameters are 40 bytes",
            ))?;
        let mut reader = Reader::new(bytes);
        let random_number = reader.array::<OPM_128_BIT_RANDOM_NUMBER_SIZE>()?;
        let mut signing_key = Secret::<SESSION_KEY_LEN>::zeroed();
        // `take` returns exactly SESSION_KEY_LEN bytes; no copy of the key is left behind.
        for (slot, byte) in signing_key
            .expose_mut()
            .iter_mut()
            .zip(reader.take(SESSION_KEY_LEN)?)
        {
            *slot = *byte;
        }
        Ok(InitializationParameters {
            random_number,
            signing_key,
            status_sequence: reader.u32_le()?,
            command_sequence: reader.u32_le()?,
        })
    }
}

impl core::fmt::Debug for InitializationParameters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InitializationParameters")
            .field("status_sequence", &self.status_sequence)
            .field("command_sequence", &self.command_sequence)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opm::{OPM_GET_CONNECTOR_TYPE, OPM_SET_PROTECTION_LEVEL};

    #[test]
    fn bad_structures_are_invalid_arguments() {
        use crate::error::hresult::E_INVALIDARG;
        let bytes = StandardInformation {
            random_number: [1; 16],
            status_flags: 2,
            information: 3,
            reserved: 0,
            reserved2: 0,
        }
        .to_bytes();
        for len in 0..bytes.len() {
            let short = StandardInformation::parse(&bytes[..len]).unwrap_err();
            assert_eq!(short.hresult(), E_INVALIDARG, "{len}");
        }
        let short = InitializationParameters::parse(&SecretVec::zeroed(39)).unwrap_err();
        assert_eq!(short.hresult(), E_INVALIDARG);
        for error in [
            keyward_core::codec::Error::Truncated,
            keyward_core::codec::Error::TrailingBytes,
        ] {
            assert_eq!(Error::from(error).hresult(), E_INVALIDARG);
        }
    }

    #[test]
    fn get_info_parameters_layout() {
        let request = GetInfoParameters {
            omac: [0xaa; 16],
            random_number: [0xbb; 16],
            information: OPM_GET_CONNECTOR_TYPE,
            sequence_number: 0x0102_0304,
            parameters: vec![1, 2, 3],
        };
        let bytes = request.to_bytes().unwrap();
        assert_eq!(bytes.len(), 4112);
        assert_eq!(&bytes[..16], &[0xaa; 16]);
        assert_eq!(&bytes[16..32], &[0xbb; 16]);
        assert_eq!(
            hex::encode(&bytes[32..48]),
            "d5bfd081fe6ac24899c095a08f97c5da"
        );
        assert_eq!(&bytes[48..56], &[4, 3, 2, 1, 3, 0, 0, 0]);
        assert_eq!(&bytes[56..59], &[1, 2, 3]);
        assert!(bytes[59..].iter().all(|&b| b == 0));
        assert_eq!(GetInfoParameters::parse(&bytes).unwrap(), request);
        assert!(GetInfoParameters::parse(&bytes[..4111]).is_err());
        let mut oversized = bytes.clone();
        oversized[52..56].copy_from_slice(&4057u32.to_le_bytes());
        assert!(GetInfoParameters::parse(&oversized).is_err());
        oversized[52..56].copy_from_slice(&4056u32.to_le_bytes());
        assert_eq!(
            GetInfoParameters::parse(&oversized)
                .unwrap()
                .parameters
                .len(),
            4056
        );
        let too_long = GetInfoParameters {
            parameters: vec![0; 4057],
            ..request
        };
        assert!(too_long.to_bytes().is_err());
    }

    #[test]
    fn configure_and_requested_information_layouts() {
        let command = ConfigureParameters {
            omac: [1; 16],
            setting: OPM_SET_PROTECTION_LEVEL,
            sequence_number: 7,
            parameters: SetProtectionLevelParameters {
                protection_type: 8,
                protection_level: 1,
                reserved: 0,
                reserved2: 0,
            }
            .to_bytes()
            .to_vec(),
        };
        let bytes = command.to_bytes().unwrap();
        assert_eq!(bytes.len(), 4096);
        assert_eq!(
            hex::encode(&bytes[16..32]),
            "7c32b99bb54e27479f00b42b0919c0da"
        );
        assert_eq!(&bytes[32..40], &[7, 0, 0, 0, 16, 0, 0, 0]);
        assert_eq!(&bytes[40..48], &[8, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(ConfigureParameters::parse(&bytes).unwrap(), command);
        assert!(ConfigureParameters::parse(&bytes[1..]).is_err());

        let info = StandardInformation {
            random_number: [3; 16],
            status_flags: 0,
            information: 5,
            reserved: 0,
            reserved2: 0,
        };
        let answer = RequestedInformation {
            omac: [2; 16],
            information: info.to_bytes().to_vec(),
        };
        let bytes = answer.to_bytes().unwrap();
        assert_eq!(bytes.len(), 4096);
        assert_eq!(&bytes[16..20], &[32, 0, 0, 0]);
        assert_eq!(&bytes[36..44], &[0, 0, 0, 0, 5, 0, 0, 0]);
        let parsed = RequestedInformation::parse(&bytes).unwrap();
        assert_eq!(parsed, answer);
        assert_eq!(
            StandardInformation::parse(&parsed.information).unwrap(),
            info
        );
        assert!(StandardInformation::parse(&[0; 31]).is_err());
        assert!(SetProtectionLevelParameters::parse(&[0; 17]).is_err());
    }

    #[test]
    fn initialization_parameters_layout() {
        let parameters = InitializationParameters {
            random_number: [0x11; 16],
            signing_key: Secret::new([0x22; 16]),
            status_sequence: 0x0403_0201,
            command_sequence: 0x0807_0605,
        };
        let bytes = parameters.to_bytes();
        assert_eq!(&bytes.expose()[..16], &[0x11; 16]);
        assert_eq!(&bytes.expose()[16..32], &[0x22; 16]);
        assert_eq!(&bytes.expose()[32..], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut longer = bytes.expose().to_vec();
        longer.extend_from_slice(b"ignored");
        let parsed = InitializationParameters::parse(&SecretVec::new(longer)).unwrap();
        assert_eq!(parsed.random_number, [0x11; 16]);
        assert_eq!(parsed.signing_key.expose(), &[0x22; 16]);
        assert_eq!(
            (parsed.status_sequence, parsed.command_sequence),
            (0x0403_0201, 0x0807_0605)
        );
        assert!(InitializationParameters::parse(&SecretVec::new(vec![0; 39])).is_err());
        assert_eq!(
            format!("{parsed:?}"),
            "InitializationParameters { status_sequence: 67305985, command_sequence: 134678021, .. }"
        );
    }
}

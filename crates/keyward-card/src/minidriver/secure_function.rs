//! The secure functions of cardmod.h v7 (`CSF_*`) and their payload structures, as the bytes
//! `MDEncryptData` receives in `pbInput` and `CardProcessEncryptedData` returns in `pbOutput`:
//! little-endian `DWORD`s with C alignment, the trailing data right after the structure
//! (cardmod.h; `CARD_AUTHENTICATE` docs: "the buffer size covers the structure plus the trailing
//! data").
//!
//! ```text
//! CARD_AUTHENTICATE            dwVersion(4) dwFlags(4) PinId(4) cbPinData(4) | PIN          (16 + n)
//! CARD_CHANGE_AUTHENTICATOR    dwVersion(4) dwFlags(4) dwAuthenticatingPinId(4)
//!                              cbAuthenticatingPinData(4) dwTargetPinId(4) cbTargetData(4)
//!                              cRetryCount(4) | authenticating PIN ‖ target PIN             (28 + n)
//! CARD_IMPORT_KEYPAIR          dwVersion(4) bContainerIndex(1) padding(3) PinId(4)
//!                              dwKeySpec(4) dwKeySize(4) cbInput(4) | key                   (24 + n)
//! CARD_AUTHENTICATE_RESPONSE   dwVersion(4) cbSessionPin(4) cAttemptsRemaining(4)           (12)
//! CARD_CHANGE_AUTHENTICATOR_RESPONSE dwVersion(4) cAttemptsRemaining(4)                     (8)
//! ```
//!
//! The key of `CARD_IMPORT_KEYPAIR` is a PKCS#8 `PrivateKeyInfo` (RSA-2048 or EC P-256): the
//! format keyward's card takes. `dwKeySize` is its size in bits.

use zeroize::Zeroize;

use crate::instructions::PinId;
use crate::{Error, Result};

/// `CSF_IMPORT_KEYPAIR`.
pub const CSF_IMPORT_KEYPAIR: &str = "Import Key Pair";
/// `CSF_CHANGE_AUTHENTICATOR`.
pub const CSF_CHANGE_AUTHENTICATOR: &str = "Change Authenticator";
/// `CSF_AUTHENTICATE`.
pub const CSF_AUTHENTICATE: &str = "Authenticate";

/// `CARD_AUTHENTICATE_VERSION_SEVEN` and the other `*_VERSION_SEVEN` values.
pub const SECURE_FUNCTION_VERSION_SEVEN: u32 = 7;
/// `PIN_CHANGE_FLAG_UNBLOCK`.
pub const PIN_CHANGE_FLAG_UNBLOCK: u32 = 1;
/// `PIN_CHANGE_FLAG_CHANGEPIN`.
pub const PIN_CHANGE_FLAG_CHANGEPIN: u32 = 2;
/// `CARD_AUTHENTICATE_GENERATE_SESSION_PIN` (not supported).
pub const CARD_AUTHENTICATE_GENERATE_SESSION_PIN: u32 = 0x1000_0000;
/// `CARD_AUTHENTICATE_SESSION_PIN` (not supported).
pub const CARD_AUTHENTICATE_SESSION_PIN: u32 = 0x2000_0000;

/// A secure function name (`pwszSecureFunction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecureFunction {
    /// `CSF_AUTHENTICATE`.
    Authenticate,
    /// `CSF_CHANGE_AUTHENTICATOR`.
    ChangeAuthenticator,
    /// `CSF_IMPORT_KEYPAIR`.
    ImportKeyPair,
}

impl SecureFunction {
    /// The function for its cardmod name; any other name is `InvalidParameter`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            CSF_AUTHENTICATE => Ok(SecureFunction::Authenticate),
            CSF_CHANGE_AUTHENTICATOR => Ok(SecureFunction::ChangeAuthenticator),
            CSF_IMPORT_KEYPAIR => Ok(SecureFunction::ImportKeyPair),
            _ => Err(Error::InvalidParameter("unknown secure function")),
        }
    }

    /// The cardmod name.
    pub fn name(self) -> &'static str {
        match self {
            SecureFunction::Authenticate => CSF_AUTHENTICATE,
            SecureFunction::ChangeAuthenticator => CSF_CHANGE_AUTHENTICATOR,
            SecureFunction::ImportKeyPair => CSF_IMPORT_KEYPAIR,
        }
    }
}

fn dword(bytes: &[u8], offset: usize) -> Result<u32> {
    bytes
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(Error::InvalidParameter(
            "secure function structure too short",
        ))
}

fn check_version(bytes: &[u8]) -> Result<()> {
    if dword(bytes, 0)? != SECURE_FUNCTION_VERSION_SEVEN {
        return Err(Error::InvalidParameter(
            "secure function structure version is not 7",
        ));
    }
    Ok(())
}

/// The trailing data of `len` bytes at `offset`, which must end the buffer exactly.
fn trailing(bytes: &[u8], offset: usize, len: u32) -> Result<&[u8]> {
    let len = usize::try_from(len).map_err(|_| Error::InvalidParameter("data length"))?;
    match bytes.get(offset..) {
        Some(rest) if rest.len() == len => Ok(rest),
        _ => Err(Error::InvalidParameter(
            "secure function data length does not match the buffer",
        )),
    }
}

fn pin_id(value: u32) -> Result<PinId> {
    PinId::from_role(value)
}

/// `CARD_AUTHENTICATE` (version 7): present a PIN.
pub struct CardAuthenticate {
    /// `dwFlags` (0; session-PIN flags are not supported).
    pub flags: u32,
    /// `PinId`.
    pub pin: PinId,
    /// `pbPinData`.
    pub pin_data: Vec<u8>,
}

impl CardAuthenticate {
    /// Size of the fixed part.
    pub const HEADER_LEN: usize = 16;

    /// Parses the structure plus its PIN.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_version(bytes)?;
        let flags = dword(bytes, 4)?;
        let pin = pin_id(dword(bytes, 8)?)?;
        let pin_data = trailing(bytes, Self::HEADER_LEN, dword(bytes, 12)?)?.to_vec();
        Ok(CardAuthenticate {
            flags,
            pin,
            pin_data,
        })
    }

    /// Encodes the structure plus its PIN.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::HEADER_LEN + self.pin_data.len());
        for value in [
            SECURE_FUNCTION_VERSION_SEVEN,
            self.flags,
            u32::from(self.pin.role()),
            self.pin_data.len() as u32,
        ] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&self.pin_data);
        out
    }
}

impl Drop for CardAuthenticate {
    fn drop(&mut self) {
        self.pin_data.zeroize();
    }
}

/// `CARD_CHANGE_AUTHENTICATOR` (version 7): change a PIN, or unblock the user PIN with the
/// admin PIN.
pub struct CardChangeAuthenticator {
    /// `dwFlags`: `PIN_CHANGE_FLAG_CHANGEPIN` or `PIN_CHANGE_FLAG_UNBLOCK`.
    pub flags: u32,
    /// `dwAuthenticatingPinId`.
    pub authenticating_pin: PinId,
    /// `pbAuthenticatingPinData`.
    pub authenticating_pin_data: Vec<u8>,
    /// `dwTargetPinId`.
    pub target_pin: PinId,
    /// `pbTargetData`: the new PIN.
    pub target_data: Vec<u8>,
    /// `cRetryCount`: the target PIN's new retry limit, 0 to keep it.
    pub retry_count: u32,
}

impl CardChangeAuthenticator {
    /// Size of the fixed part.
    pub const HEADER_LEN: usize = 28;

    /// Parses the structure plus both PINs.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_version(bytes)?;
        let flags = dword(bytes, 4)?;
        let authenticating_pin = pin_id(dword(bytes, 8)?)?;
        let authenticating_len = dword(bytes, 12)?;
        let target_pin = pin_id(dword(bytes, 16)?)?;
        let target_len = dword(bytes, 20)?;
        let retry_count = dword(bytes, 24)?;
        let total = authenticating_len
            .checked_add(target_len)
            .ok_or(Error::InvalidParameter("PIN lengths overflow"))?;
        let data = trailing(bytes, Self::HEADER_LEN, total)?;
        let (authenticating, target) = data.split_at(authenticating_len as usize);
        Ok(CardChangeAuthenticator {
            flags,
            authenticating_pin,
            authenticating_pin_data: authenticating.to_vec(),
            target_pin,
            target_data: target.to_vec(),
            retry_count,
        })
    }

    /// Encodes the structure plus both PINs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for value in [
            SECURE_FUNCTION_VERSION_SEVEN,
            self.flags,
            u32::from(self.authenticating_pin.role()),
            self.authenticating_pin_data.len() as u32,
            u32::from(self.target_pin.role()),
            self.target_data.len() as u32,
            self.retry_count,
        ] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&self.authenticating_pin_data);
        out.extend_from_slice(&self.target_data);
        out
    }
}

impl Drop for CardChangeAuthenticator {
    fn drop(&mut self) {
        self.authenticating_pin_data.zeroize();
        self.target_data.zeroize();
    }
}

/// `CARD_IMPORT_KEYPAIR` (version 7): load a key pair into a container.
pub struct CardImportKeyPair {
    /// `bContainerIndex`.
    pub container: u8,
    /// `PinId`: the PIN that will guard the key.
    pub pin: PinId,
    /// `dwKeySpec` (`AT_KEYEXCHANGE`, `AT_SIGNATURE`, `AT_ECDSA_P256`, `AT_ECDHE_P256`).
    pub key_spec: u32,
    /// `dwKeySize` in bits.
    pub key_size: u32,
    /// `pbInput`: the private key, PKCS#8.
    pub key: Vec<u8>,
}

impl CardImportKeyPair {
    /// Size of the fixed part (with 3 padding bytes after `bContainerIndex`).
    pub const HEADER_LEN: usize = 24;

    /// Parses the structure plus the key.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        check_version(bytes)?;
        let container = *bytes.get(4).ok_or(Error::InvalidParameter(
            "secure function structure too short",
        ))?;
        let pin = pin_id(dword(bytes, 8)?)?;
        let key_spec = dword(bytes, 12)?;
        let key_size = dword(bytes, 16)?;
        let key = trailing(bytes, Self::HEADER_LEN, dword(bytes, 20)?)?.to_vec();
        Ok(CardImportKeyPair {
            container,
            pin,
            key_spec,
            key_size,
            key,
        })
    }

    /// Encodes the structure plus the key.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::HEADER_LEN + self.key.len());
        out.extend_from_slice(&SECURE_FUNCTION_VERSION_SEVEN.to_le_bytes());
        out.extend_from_slice(&[self.container, 0, 0, 0]);
        for value in [
            u32::from(self.pin.role()),
            self.key_spec,
            self.key_size,
            self.key.len() as u32,
        ] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&self.key);
        out
    }
}

impl Drop for CardImportKeyPair {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// What `CardProcessEncryptedData` returns for each secure function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecureFunctionOutput {
    /// `CARD_AUTHENTICATE_RESPONSE`: no session PIN; the attempts left are known only when the
    /// card reported them.
    Authenticate {
        /// `cAttemptsRemaining`, when known.
        attempts_remaining: Option<u32>,
    },
    /// `CARD_CHANGE_AUTHENTICATOR_RESPONSE`.
    ChangeAuthenticator {
        /// `cAttemptsRemaining`, when known.
        attempts_remaining: Option<u32>,
    },
    /// `CSF_IMPORT_KEYPAIR` has no output.
    ImportKeyPair,
}

impl SecureFunctionOutput {
    /// The response of `function`, with the PIN tries left when known.
    pub fn new(function: SecureFunction, attempts_remaining: Option<u32>) -> Self {
        match function {
            SecureFunction::Authenticate => {
                SecureFunctionOutput::Authenticate { attempts_remaining }
            }
            SecureFunction::ChangeAuthenticator => {
                SecureFunctionOutput::ChangeAuthenticator { attempts_remaining }
            }
            SecureFunction::ImportKeyPair => SecureFunctionOutput::ImportKeyPair,
        }
    }

    /// The response a refused secure function still returns (`CardProcessEncryptedData`): the
    /// tries left after a wrong or blocked PIN; `None` when `error` tells none.
    pub fn after_refusal(function: SecureFunction, error: &Error) -> Option<Self> {
        let attempts = error.attempts_remaining()?;
        Some(SecureFunctionOutput::new(function, Some(attempts)))
    }

    /// The length of `function`'s response structure (0 for `CSF_IMPORT_KEYPAIR`).
    pub fn len_of(function: SecureFunction) -> usize {
        SecureFunctionOutput::new(function, None).to_bytes().len()
    }

    /// The response structure's bytes (empty for `CSF_IMPORT_KEYPAIR`); unknown attempts are
    /// written as `0xFFFFFFFF`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let attempts = |value: &Option<u32>| value.unwrap_or(u32::MAX).to_le_bytes();
        let mut out = Vec::new();
        match self {
            SecureFunctionOutput::Authenticate { attempts_remaining } => {
                out.extend_from_slice(&SECURE_FUNCTION_VERSION_SEVEN.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&attempts(attempts_remaining));
            }
            SecureFunctionOutput::ChangeAuthenticator { attempts_remaining } => {
                out.extend_from_slice(&SECURE_FUNCTION_VERSION_SEVEN.to_le_bytes());
                out.extend_from_slice(&attempts(attempts_remaining));
            }
            SecureFunctionOutput::ImportKeyPair => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_functions_still_tell_the_tries_left() {
        let wrong = Error::WrongPin {
            attempts_remaining: 2,
        };
        assert_eq!(
            SecureFunctionOutput::after_refusal(SecureFunction::Authenticate, &wrong),
            Some(SecureFunctionOutput::Authenticate {
                attempts_remaining: Some(2)
            })
        );
        assert_eq!(
            SecureFunctionOutput::after_refusal(
                SecureFunction::ChangeAuthenticator,
                &Error::PinBlocked
            ),
            Some(SecureFunctionOutput::ChangeAuthenticator {
                attempts_remaining: Some(0)
            })
        );
        let other = Error::InvalidParameter("x");
        assert_eq!(
            SecureFunctionOutput::after_refusal(SecureFunction::Authenticate, &other),
            None
        );
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::Authenticate),
            12
        );
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::ChangeAuthenticator),
            8
        );
        assert_eq!(
            SecureFunctionOutput::len_of(SecureFunction::ImportKeyPair),
            0
        );
    }

    #[test]
    fn layouts_round_trip() {
        let authenticate = CardAuthenticate {
            flags: 0,
            pin: PinId::User,
            pin_data: b"1234".to_vec(),
        };
        let bytes = authenticate.to_bytes();
        assert_eq!(
            hex::encode(&bytes),
            "07000000000000000100000004000000\
             31323334"
        );
        let parsed = CardAuthenticate::parse(&bytes).unwrap();
        assert_eq!(
            (parsed.pin, parsed.pin_data.as_slice()),
            (PinId::User, &b"1234"[..])
        );
        for len in 0..bytes.len() {
            assert!(CardAuthenticate::parse(&bytes[..len]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(CardAuthenticate::parse(&longer).is_err());
        let mut version = bytes.clone();
        version[0] = 6;
        assert!(CardAuthenticate::parse(&version).is_err());
        let mut role = bytes;
        role[8] = 3;
        assert!(CardAuthenticate::parse(&role).is_err());

        let change = CardChangeAuthenticator {
            flags: PIN_CHANGE_FLAG_UNBLOCK,
            authenticating_pin: PinId::Admin,
            authenticating_pin_data: b"admin".to_vec(),
            target_pin: PinId::User,
            target_data: b"5678".to_vec(),
            retry_count: 4,
        };
        let bytes = change.to_bytes();
        assert_eq!(bytes.len(), 28 + 9);
        let parsed = CardChangeAuthenticator::parse(&bytes).unwrap();
        assert_eq!(parsed.authenticating_pin_data, b"admin");
        assert_eq!(parsed.target_data, b"5678");
        assert_eq!(parsed.retry_count, 4);
        let mut overflow = bytes.clone();
        overflow[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(CardChangeAuthenticator::parse(&overflow).is_err());

        let import = CardImportKeyPair {
            container: 5,
            pin: PinId::User,
            key_spec: 1,
            key_size: 2048,
            key: vec![0x30; 10],
        };
        let bytes = import.to_bytes();
        assert_eq!(&bytes[4..8], &[5, 0, 0, 0]);
        assert_eq!(&bytes[16..20], &2048u32.to_le_bytes());
        let parsed = CardImportKeyPair::parse(&bytes).unwrap();
        assert_eq!((parsed.container, parsed.key_size), (5, 2048));
        assert_eq!(parsed.key, vec![0x30; 10]);
    }

    #[test]
    fn outputs_and_names() {
        assert_eq!(
            SecureFunctionOutput::Authenticate {
                attempts_remaining: Some(2)
            }
            .to_bytes(),
            [7, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
        );
        assert_eq!(
            SecureFunctionOutput::ChangeAuthenticator {
                attempts_remaining: None
            }
            .to_bytes(),
            [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        for function in [
            SecureFunction::Authenticate,
            SecureFunction::ChangeAuthenticator,
            SecureFunction::ImportKeyPair,
        ] {
            assert_eq!(
                SecureFunction::from_name(function.name()).unwrap(),
                function
            );
        }
        assert!(SecureFunction::from_name("authenticate").is_err());
    }
}

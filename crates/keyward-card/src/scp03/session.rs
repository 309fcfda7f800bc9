//! The state of an SCP03 secure channel session (GP Amd D §6.2): the session keys S-ENC, S-MAC
//! and S-RMAC, the security level, the MAC chaining value and the encryption counter; and the
//! four message transformations, used by both sides:
//!
//! | transformation | host | card | Amd D |
//! |---|---|---|---|
//! | C-MAC (and C-DECRYPTION) | `Channel::wrap_command` | `Channel::unwrap_command` | §6.2.4, §6.2.6 |
//! | R-MAC (and R-ENCRYPTION) | `Channel::unwrap_response` | `Channel::wrap_response` | §6.2.5, §6.2.7 |
//!
//! Every transformation computes its result before it touches the state, so a failed one leaves
//! the channel as it was. MACs are compared in constant time.

use core::fmt;

use keyward_core::backend::aes::{AesKey, Block, BLOCK_LEN};
use keyward_core::backend::cmac::{CmacKey, TAG_LEN};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::kdf::{derive, derive_session_key, DerivationConstant};
use super::{Challenge, SecurityLevel, StaticKeys, CRYPTOGRAM_LEN, MAC_LEN};
use crate::apdu::{CommandApdu, ResponseApdu, SHORT_MAX_DATA, SHORT_MAX_LE};
use crate::{Error, Result};

/// The SM indication of the class byte: b3 set (GlobalPlatform proprietary secure messaging).
const CLA_SECURE_MESSAGING: u8 = 0x04;

/// The session keys of one secure channel session (GP Amd D §6.2.1).
pub(crate) struct SessionKeys {
    s_enc: AesKey,
    s_mac: CmacKey,
    s_rmac: CmacKey,
}

impl SessionKeys {
    /// Derives S-ENC, S-MAC and S-RMAC from the static keys and the two challenges.
    pub(crate) fn derive(
        keys: &StaticKeys,
        host_challenge: &Challenge,
        card_challenge: &Challenge,
    ) -> Result<Self> {
        let enc = derive_session_key(
            keys.enc(),
            DerivationConstant::SessionEnc,
            host_challenge,
            card_challenge,
        )?;
        let mac = derive_session_key(
            keys.mac(),
            DerivationConstant::SessionMac,
            host_challenge,
            card_challenge,
        )?;
        let rmac = derive_session_key(
            keys.mac(),
            DerivationConstant::SessionRmac,
            host_challenge,
            card_challenge,
        )?;
        Ok(SessionKeys {
            s_enc: AesKey::new(enc.expose())?,
            s_mac: CmacKey::new(mac.expose())?,
            s_rmac: CmacKey::new(rmac.expose())?,
        })
    }

    /// Derives S-ENC, S-MAC and S-RMAC from one session key established another way (keyward's
    /// `CardImportSessionKey` path): the derivation of §6.2.1 with that key in place of both
    /// Key-ENC and Key-MAC and a 16-byte context (a card nonce) in place of the two
    /// challenges. Keys of 16, 24 or 32 bytes.
    pub(crate) fn from_session_key(key: &[u8], context: &[u8; 16]) -> Result<Self> {
        if !matches!(key.len(), 16 | 24 | 32) {
            return Err(Error::InvalidParameter(
                "session key is not 16, 24 or 32 bytes",
            ));
        }
        let (first, second) = context.split_at(8);
        let enc = derive_session_key(key, DerivationConstant::SessionEnc, first, second)?;
        let mac = derive_session_key(key, DerivationConstant::SessionMac, first, second)?;
        let rmac = derive_session_key(key, DerivationConstant::SessionRmac, first, second)?;
        Ok(SessionKeys {
            s_enc: AesKey::new(enc.expose())?,
            s_mac: CmacKey::new(mac.expose())?,
            s_rmac: CmacKey::new(rmac.expose())?,
        })
    }

    /// The card (`CardCryptogram`) or host (`HostCryptogram`) authentication cryptogram
    /// (GP Amd D §6.2.2.2, §6.2.2.3): S-MAC, L = '0040', context host ‖ card challenge.
    pub(crate) fn cryptogram(
        &self,
        constant: DerivationConstant,
        host_challenge: &Challenge,
        card_challenge: &Challenge,
    ) -> Result<[u8; CRYPTOGRAM_LEN]> {
        let mut context = [0u8; 16];
        context[..8].copy_from_slice(host_challenge);
        context[8..].copy_from_slice(card_challenge);
        let mut cryptogram = [0u8; CRYPTOGRAM_LEN];
        derive(&self.s_mac, constant, &context, &mut cryptogram)?;
        Ok(cryptogram)
    }
}

/// A secure channel session after EXTERNAL AUTHENTICATE: keys, level, MAC chaining value and
/// encryption counter. The host and the card each hold one and keep them in step.
pub(crate) struct Channel {
    keys: SessionKeys,
    level: SecurityLevel,
    mac_chaining: [u8; TAG_LEN],
    encryption_counter: u64,
}

impl Channel {
    /// A channel before EXTERNAL AUTHENTICATE: chaining value 16 × '00' (§6.2.3), counter 0.
    pub(crate) fn new(keys: SessionKeys, level: SecurityLevel) -> Self {
        Channel {
            keys,
            level,
            mac_chaining: [0; TAG_LEN],
            encryption_counter: 0,
        }
    }

    pub(crate) fn level(&self) -> SecurityLevel {
        self.level
    }

    pub(crate) fn encryption_counter(&self) -> u64 {
        self.encryption_counter
    }

    /// Host side: adds the C-MAC (§6.2.4) and, when the level has C-DECRYPTION and
    /// `encrypt` is set, encrypts a non-empty data field first (§6.2.6). The encryption
    /// counter advances for every command when the level has C-DECRYPTION and `encrypt` is set
    /// (EXTERNAL AUTHENTICATE is never encrypted and does not count).
    pub(crate) fn wrap_command(
        &mut self,
        command: &CommandApdu,
        encrypt: bool,
    ) -> Result<CommandApdu> {
        let channel = logical_channel(command.cla)?;
        if command.data().len() > SHORT_MAX_DATA || command.le().is_some_and(|le| le > SHORT_MAX_LE)
        {
            return Err(Error::InvalidParameter(
                "secure messaging supports short APDUs only",
            ));
        }
        let encrypting = encrypt && self.level.c_decryption();
        let counter = if encrypting {
            self.encryption_counter
                .checked_add(1)
                .ok_or(Error::Internal("encryption counter overflow"))?
        } else {
            self.encryption_counter
        };
        let mut data = command.data().to_vec();
        if encrypting && !data.is_empty() {
            pad_iso9797_m2(&mut data);
            let icv = self.icv(counter, false)?;
            self.keys.s_enc.cbc_encrypt_in_place(&icv, &mut data)?;
        }
        let lc = data.len() + MAC_LEN;
        if lc > SHORT_MAX_DATA {
            data.zeroize();
            return Err(Error::InvalidParameter(
                "command data too long for a short secure-messaging APDU",
            ));
        }
        let mac_cla = mac_class(command.cla);
        let header = [mac_cla, command.ins, command.p1, command.p2, lc as u8];
        let mac = self
            .keys
            .s_mac
            .sign(&[&self.mac_chaining, &header, &data])?;
        data.extend_from_slice(&mac[..MAC_LEN]);
        // Case 2 and 4 commands keep an Le, raised to 256 because protection makes the
        // response longer.
        let le = command.le().map(|_| SHORT_MAX_LE);
        let wrapped = CommandApdu::new(
            mac_cla | channel,
            command.ins,
            command.p1,
            command.p2,
            data,
            le,
        )?;
        self.mac_chaining = mac;
        self.encryption_counter = counter;
        Ok(wrapped)
    }

    /// Card side: checks the C-MAC of a command (§6.2.4) against the chaining value and, when
    /// the level has C-DECRYPTION and `decrypt` is set, decrypts its data field (§6.2.6).
    /// Returns the plain command (SM indication cleared, data without MAC and padding).
    /// A missing or wrong C-MAC is `MacMismatch`; the caller must then abort the session.
    pub(crate) fn unwrap_command(
        &mut self,
        command: &CommandApdu,
        decrypt: bool,
    ) -> Result<CommandApdu> {
        let channel = logical_channel(command.cla)?;
        let data = command.data();
        if data.len() > SHORT_MAX_DATA {
            return Err(Error::MalformedMessage(
                "secure messaging supports short APDUs only",
            ));
        }
        if data.len() < MAC_LEN {
            return Err(Error::MacMismatch);
        }
        let (body, received_mac) = data.split_at(data.len() - MAC_LEN);
        let mac_cla = mac_class(command.cla);
        let header = [
            mac_cla,
            command.ins,
            command.p1,
            command.p2,
            data.len() as u8,
        ];
        let mac = self.keys.s_mac.sign(&[&self.mac_chaining, &header, body])?;
        if !bool::from(mac[..MAC_LEN].ct_eq(received_mac)) {
            return Err(Error::MacMismatch);
        }
        let decrypting = decrypt && self.level.c_decryption();
        let counter = if decrypting {
            self.encryption_counter
                .checked_add(1)
                .ok_or(Error::Internal("encryption counter overflow"))?
        } else {
            self.encryption_counter
        };
        let mut plain = body.to_vec();
        if decrypting && !plain.is_empty() {
            if plain.len() % BLOCK_LEN != 0 {
                plain.zeroize();
                return Err(Error::MalformedMessage(
                    "encrypted command data is not whole blocks",
                ));
            }
            let icv = self.icv(counter, false)?;
            self.keys.s_enc.cbc_decrypt_in_place(&icv, &mut plain)?;
            if let Err(error) = unpad_iso9797_m2(&mut plain) {
                plain.zeroize();
                return Err(error);
            }
        }
        let plain_command = CommandApdu::new(
            (command.cla & !CLA_SECURE_MESSAGING) | channel,
            command.ins,
            command.p1,
            command.p2,
            plain,
            command.le(),
        )?;
        self.mac_chaining = mac;
        self.encryption_counter = counter;
        Ok(plain_command)
    }

    /// Card side: protects a response (§6.2.5, §6.2.7). Without R-MAC the response is
    /// unchanged. An error status word (not 9000, 62xx or 63xx) travels bare, without data.
    pub(crate) fn wrap_response(&self, response: &ResponseApdu) -> Result<ResponseApdu> {
        if !self.level.r_mac() {
            return Ok(response.clone());
        }
        if !response.sw.is_protected() {
            return Ok(ResponseApdu::status(response.sw));
        }
        let mut data = response.data().to_vec();
        if self.level.r_encryption() && !data.is_empty() {
            pad_iso9797_m2(&mut data);
            let icv = self.icv(self.encryption_counter, true)?;
            self.keys.s_enc.cbc_encrypt_in_place(&icv, &mut data)?;
        }
        let sw = response.sw.0.to_be_bytes();
        let mac = self.keys.s_rmac.sign(&[&self.mac_chaining, &data, &sw])?;
        data.extend_from_slice(&mac[..MAC_LEN]);
        Ok(ResponseApdu::new(data, response.sw))
    }

    /// Host side: checks the R-MAC of the response to the last wrapped command and decrypts
    /// it (§6.2.5, §6.2.7). Without R-MAC the response is returned unchanged. An error status
    /// word must come without data. A missing or wrong R-MAC is `MacMismatch`.
    pub(crate) fn unwrap_response(&self, response: &ResponseApdu) -> Result<ResponseApdu> {
        if !self.level.r_mac() {
            return Ok(response.clone());
        }
        let data = response.data();
        if !response.sw.is_protected() {
            if !data.is_empty() {
                return Err(Error::MalformedMessage(
                    "response data with an error status word",
                ));
            }
            return Ok(response.clone());
        }
        if data.len() < MAC_LEN {
            return Err(Error::MacMismatch);
        }
        let (body, received_mac) = data.split_at(data.len() - MAC_LEN);
        let sw = response.sw.0.to_be_bytes();
        let mac = self.keys.s_rmac.sign(&[&self.mac_chaining, body, &sw])?;
        if !bool::from(mac[..MAC_LEN].ct_eq(received_mac)) {
            return Err(Error::MacMismatch);
        }
        let mut plain = body.to_vec();
        if self.level.r_encryption() && !plain.is_empty() {
            if plain.len() % BLOCK_LEN != 0 {
                return Err(Error::MalformedMessage(
                    "encrypted response data is not whole blocks",
                ));
            }
            let icv = self.icv(self.encryption_counter, true)?;
            self.keys.s_enc.cbc_decrypt_in_place(&icv, &mut plain)?;
            if let Err(error) = unpad_iso9797_m2(&mut plain) {
                plain.zeroize();
                return Err(error);
            }
        }
        Ok(ResponseApdu::new(plain, response.sw))
    }

    /// The C-DECRYPTION ICV: AES(S-ENC, counter as a 16-byte big-endian block) (§6.2.6); for
    /// R-ENCRYPTION the block's first byte is set to '80' first (§6.2.7).
    fn icv(&self, counter: u64, response: bool) -> Result<Block> {
        let mut block = [0u8; BLOCK_LEN];
        block[BLOCK_LEN - 8..].copy_from_slice(&counter.to_be_bytes());
        if response {
            block[0] = 0x80;
        }
        self.keys.s_enc.encrypt_block(&mut block)?;
        Ok(block)
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("level", &self.level)
            .field("encryption_counter", &self.encryption_counter)
            .finish_non_exhaustive()
    }
}

/// The logical channel (0..=3) of a first-interindustry or proprietary class byte. Classes
/// of the further interindustry values (channels 4..=19, b7 set) are not supported.
fn logical_channel(cla: u8) -> Result<u8> {
    if cla & 0x40 != 0 {
        return Err(Error::UnsupportedFeature(
            "secure messaging on logical channels 4..19",
        ));
    }
    Ok(cla & 0x03)
}

/// The class byte for the C-MAC (§6.2.4): logical channel 0, b4 = 0, b3 = 1.
fn mac_class(cla: u8) -> u8 {
    (cla & 0xF0) | CLA_SECURE_MESSAGING
}

/// ISO/IEC 9797-1 padding method 2 (GPCS B.2.3): '80' then '00' up to a multiple of 16 (a
/// whole block when already aligned).
pub(crate) fn pad_iso9797_m2(data: &mut Vec<u8>) {
    data.push(0x80);
    while data.len() % BLOCK_LEN != 0 {
        data.push(0);
    }
}

/// Removes ISO/IEC 9797-1 method 2 padding: trailing '00's then one '80', all within the last
/// block. Called only on data whose MAC has verified.
pub(crate) fn unpad_iso9797_m2(data: &mut Vec<u8>) -> Result<()> {
    const BAD_PADDING: Error = Error::MalformedMessage("bad ISO 9797-1 method 2 padding");
    let marker = data
        .iter()
        .rposition(|&byte| byte != 0)
        .ok_or(BAD_PADDING)?;
    if data.get(marker) != Some(&0x80) || data.len() - marker > BLOCK_LEN {
        return Err(BAD_PADDING);
    }
    data.truncate(marker);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_round_trip_and_strictness() {
        for len in 0..40 {
            let original: Vec<u8> = (0..len as u8).map(|b| b.wrapping_add(1)).collect();
            let mut data = original.clone();
            pad_iso9797_m2(&mut data);
            assert_eq!(data.len() % 16, 0);
            assert!(data.len() > original.len() && data.len() - original.len() <= 16);
            unpad_iso9797_m2(&mut data).unwrap();
            assert_eq!(data, original);
        }
        for bad in [
            vec![],
            vec![0u8; 16],
            vec![1u8; 16],
            [vec![0x80], vec![0u8; 16]].concat(),
        ] {
            let mut data = bad;
            assert!(unpad_iso9797_m2(&mut data).is_err());
        }
    }

    #[test]
    fn classes() {
        assert_eq!(mac_class(0x80), 0x84);
        assert_eq!(mac_class(0x83), 0x84);
        assert_eq!(mac_class(0x00), 0x04);
        assert_eq!(mac_class(0x8C), 0x84);
        assert_eq!(logical_channel(0x82).unwrap(), 2);
        assert!(logical_channel(0xC0).is_err());
        assert!(logical_channel(0x40).is_err());
    }
}

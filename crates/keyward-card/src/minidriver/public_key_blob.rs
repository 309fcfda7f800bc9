//! The public-key blobs of `CONTAINER_INFO` (cardmod.h, `CardGetContainerInfo`): a CryptoAPI
//! `PUBLICKEYBLOB` for RSA (`BLOBHEADER`, `RSAPUBKEY`, the modulus little-endian) and a
//! `BCRYPT_ECCKEY_BLOB` for EC P-256 (the magic, the coordinate length, X and Y big-endian).
//! Signature keys (`AT_SIGNATURE`, `AT_ECDSA_P256`) go to `pbSigPublicKey`, key-exchange
//! keys (`AT_KEYEXCHANGE`, `AT_ECDHE_P256`) to `pbKeyExPublicKey`.

use crate::instructions::{ContainerPublicKey, PublicKey, AT_ECDSA_P256, AT_SIGNATURE};
use crate::Error;

/// `PUBLICKEYBLOB` (wincrypt.h): the blob type of `BLOBHEADER`.
const PUBLICKEYBLOB: u8 = 0x6;
/// `CUR_BLOB_VERSION` (wincrypt.h).
const CUR_BLOB_VERSION: u8 = 2;
/// `CALG_RSA_KEYX` (wincrypt.h): an RSA key-exchange key.
const CALG_RSA_KEYX: u32 = 0xA400;
/// `CALG_RSA_SIGN` (wincrypt.h): an RSA signature key.
const CALG_RSA_SIGN: u32 = 0x2400;
/// `RSA1_MAGIC` ("RSA1"), the magic of `RSAPUBKEY`.
const RSA1_MAGIC: u32 = 0x3141_5352;
/// `BCRYPT_ECDH_PUBLIC_P256_MAGIC` ("ECK1", bcrypt.h).
const BCRYPT_ECDH_PUBLIC_P256_MAGIC: u32 = 0x314B_4345;
/// `BCRYPT_ECDSA_PUBLIC_P256_MAGIC` ("ECS1", bcrypt.h).
const BCRYPT_ECDSA_PUBLIC_P256_MAGIC: u32 = 0x3153_4345;

/// The length of `BLOBHEADER` + `RSAPUBKEY`.
const RSA_HEADER_LEN: usize = 20;
/// The coordinate length of P-256.
const P256_COORDINATE_LEN: usize = 32;

/// Which `CONTAINER_INFO` field a key belongs to, and its blob.
#[derive(Debug, PartialEq, Eq)]
pub struct ContainerBlob {
    /// True for `pbSigPublicKey`, false for `pbKeyExPublicKey`.
    pub signature: bool,
    /// The blob.
    pub blob: Vec<u8>,
}

/// The blob of a container's public key. An RSA exponent that does not fit a `DWORD` is
/// `SCARD_E_UNSUPPORTED_FEATURE` (a `PUBLICKEYBLOB` cannot carry it); a malformed EC point is
/// `SCARD_E_UNEXPECTED`.
pub fn container_blob(key: &ContainerPublicKey) -> crate::Result<ContainerBlob> {
    match &key.key {
        PublicKey::Rsa { modulus, exponent } => {
            let signature = key.key_spec == AT_SIGNATURE;
            let start = modulus
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(modulus.len());
            let modulus = &modulus[start..];
            let start = exponent
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(exponent.len());
            let exponent = &exponent[start..];
            if exponent.len() > 4 {
                return Err(Error::UnsupportedFeature(
                    "an RSA exponent above 32 bits has no PUBLICKEYBLOB",
                ));
            }
            let pubexp = exponent
                .iter()
                .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
            let bitlen = u32::try_from(modulus.len() * 8)
                .map_err(|_| Error::MalformedMessage("RSA modulus too long"))?;
            let mut blob = Vec::with_capacity(RSA_HEADER_LEN + modulus.len());
            blob.push(PUBLICKEYBLOB);
            blob.push(CUR_BLOB_VERSION);
            blob.extend_from_slice(&0u16.to_le_bytes());
            let algorithm = if signature {
                CALG_RSA_SIGN
            } else {
                CALG_RSA_KEYX
            };
            for value in [algorithm, RSA1_MAGIC, bitlen, pubexp] {
                blob.extend_from_slice(&value.to_le_bytes());
            }
            blob.extend(modulus.iter().rev());
            Ok(ContainerBlob { signature, blob })
        }
        PublicKey::EcP256 { point } => {
            let signature = key.key_spec == AT_ECDSA_P256;
            let coordinates = match point.split_first() {
                Some((0x04, rest)) if rest.len() == 2 * P256_COORDINATE_LEN => rest,
                _ => return Err(Error::MalformedMessage("EC P-256 point")),
            };
            let magic = if signature {
                BCRYPT_ECDSA_PUBLIC_P256_MAGIC
            } else {
                BCRYPT_ECDH_PUBLIC_P256_MAGIC
            };
            let mut blob = Vec::with_capacity(8 + coordinates.len());
            blob.extend_from_slice(&magic.to_le_bytes());
            blob.extend_from_slice(&(P256_COORDINATE_LEN as u32).to_le_bytes());
            blob.extend_from_slice(coordinates);
            Ok(ContainerBlob { signature, blob })
        }
    }
}

/// The RSA public key of a `PUBLICKEYBLOB` (as `CardGetContainerInfo` returns it): type
/// `PUBLICKEYBLOB`, version `CUR_BLOB_VERSION`, algorithm `CALG_RSA_KEYX` or
/// `CALG_RSA_SIGN`, magic "RSA1", a bit length that is a whole number of bytes, and exactly
/// that many modulus bytes. Anything else is `SCARD_E_INVALID_PARAMETER`.
pub fn parse_rsa_public_key_blob(blob: &[u8]) -> crate::Result<PublicKey> {
    const MALFORMED: Error = Error::InvalidParameter("not an RSA PUBLICKEYBLOB");
    let (header, modulus) = blob
        .split_first_chunk::<RSA_HEADER_LEN>()
        .ok_or(MALFORMED)?;
    let dword = |offset: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&header[offset..offset + 4]);
        u32::from_le_bytes(bytes)
    };
    if header[0] != PUBLICKEYBLOB
        || header[1] != CUR_BLOB_VERSION
        || !matches!(dword(4), CALG_RSA_KEYX | CALG_RSA_SIGN)
        || dword(8) != RSA1_MAGIC
    {
        return Err(MALFORMED);
    }
    let bitlen = dword(12) as usize;
    if bitlen == 0 || bitlen % 8 != 0 || modulus.len() != bitlen / 8 || dword(16) == 0 {
        return Err(MALFORMED);
    }
    let exponent = dword(16).to_be_bytes();
    let start = exponent.iter().position(|&b| b != 0).unwrap_or(3);
    Ok(PublicKey::Rsa {
        modulus: modulus.iter().rev().copied().collect(),
        exponent: exponent[start..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instructions::{PinId, AT_ECDHE_P256, AT_KEYEXCHANGE};

    fn rsa(key_spec: u8) -> ContainerPublicKey {
        let mut modulus = vec![0u8; 257];
        modulus[1] = 0xC0;
        modulus[256] = 0x01;
        ContainerPublicKey {
            key_spec,
            pin: PinId::User,
            key: PublicKey::Rsa {
                modulus,
                exponent: vec![0x01, 0x00, 0x01],
            },
        }
    }

    #[test]
    fn rsa_keys_become_publickeyblobs_and_back() {
        let blob = container_blob(&rsa(AT_KEYEXCHANGE)).unwrap();
        assert!(!blob.signature);
        assert_eq!(blob.blob.len(), 20 + 256);
        assert_eq!(&blob.blob[..8], &[6, 2, 0, 0, 0x00, 0xA4, 0, 0]);
        assert_eq!(&blob.blob[8..12], b"RSA1");
        assert_eq!(&blob.blob[12..16], &2048u32.to_le_bytes());
        assert_eq!(&blob.blob[16..20], &65537u32.to_le_bytes());
        assert_eq!(blob.blob[20], 0x01, "little-endian modulus");
        assert_eq!(blob.blob[20 + 255], 0xC0);
        let PublicKey::Rsa { modulus, exponent } = parse_rsa_public_key_blob(&blob.blob).unwrap()
        else {
            panic!("RSA expected")
        };
        assert_eq!(modulus.len(), 256);
        assert_eq!((modulus[0], modulus[255]), (0xC0, 0x01));
        assert_eq!(exponent, [0x01, 0x00, 0x01]);
        let signature = container_blob(&rsa(AT_SIGNATURE)).unwrap();
        assert!(signature.signature);
        assert_eq!(&signature.blob[4..8], &0x2400u32.to_le_bytes());
        for cut in [0, 19, 20, 275] {
            assert!(
                parse_rsa_public_key_blob(&blob.blob[..cut]).is_err(),
                "{cut}"
            );
        }
        let mut bad = blob.blob.clone();
        bad[8] = b'X';
        assert!(parse_rsa_public_key_blob(&bad).is_err());
        let mut huge = rsa(AT_KEYEXCHANGE);
        huge.key = PublicKey::Rsa {
            modulus: vec![0xFF; 8],
            exponent: vec![1, 0, 0, 0, 1],
        };
        assert!(matches!(
            container_blob(&huge),
            Err(Error::UnsupportedFeature(_))
        ));
    }

    #[test]
    fn ec_keys_become_ecc_blobs() {
        let mut point = vec![0x04];
        point.extend((0..64).map(|i| i as u8));
        for (key_spec, signature, magic) in [
            (AT_ECDSA_P256, true, *b"ECS1"),
            (AT_ECDHE_P256, false, *b"ECK1"),
        ] {
            let blob = container_blob(&ContainerPublicKey {
                key_spec,
                pin: PinId::Admin,
                key: PublicKey::EcP256 {
                    point: point.clone(),
                },
            })
            .unwrap();
            assert_eq!(blob.signature, signature);
            assert_eq!(&blob.blob[..4], &magic);
            assert_eq!(&blob.blob[4..8], &32u32.to_le_bytes());
            assert_eq!(&blob.blob[8..], &point[1..]);
        }
    }
}

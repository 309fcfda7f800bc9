//! The `DWORD` ids and names of `Sslprovider.h` read into keyward-ssl's types: `dwProtocol`,
//! `dwCipherSuite`, `dwKeyType` with `dwKeyBitLen` and `pbParams`, the side flags, CNG hash
//! names and the `pszBlobType` names of `SslImportKey` / `SslExportKey`. The one place that
//! knows these encodings and the statuses Windows gives for ids it does not know
//! (docs/ssl-provider.md, "Cipher-suite information" and "Keys and key properties").

use keyward_core::backend::{FfdheGroup, HashAlgorithm};
use keyward_core::blob::DhParameters;
use keyward_core::Error;
use keyward_ssl::{
    CipherSuite, Group, KeyExchange, PrivateBlobType, Protocol, PublicBlobType, Side,
};

use crate::types::*;

/// `dwProtocol`. SSL 2.0, SSL 3.0 and unknown values are `NTE_NOT_SUPPORTED`.
pub(crate) fn protocol(dwProtocol: DWORD) -> Result<Protocol, Error> {
    match dwProtocol {
        SSL2_PROTOCOL_VERSION | SSL3_PROTOCOL_VERSION => {
            Err(Error::NotSupported("SSL 2.0 and SSL 3.0 are not supported"))
        }
        _ => u16::try_from(dwProtocol)
            .ok()
            .and_then(Protocol::from_wire_version)
            .ok_or(Error::NotSupported("unknown protocol")),
    }
}

/// `dwProtocol` and `dwCipherSuite`: unknown, unsupported and protocol-mismatched
/// combinations are `NTE_NOT_SUPPORTED`.
pub(crate) fn suite(
    dwProtocol: DWORD,
    dwCipherSuite: DWORD,
) -> Result<(Protocol, &'static CipherSuite), Error> {
    let protocol = protocol(dwProtocol)?;
    let suite = u16::try_from(dwCipherSuite)
        .ok()
        .and_then(CipherSuite::from_id)
        .ok_or(Error::NotSupported("unknown or unsupported cipher suite"))?;
    Ok((protocol, CipherSuite::for_protocol(protocol, suite)?))
}

/// The `dwProtocol` of a protocol.
pub(crate) fn protocol_id(protocol: Protocol) -> DWORD {
    DWORD::from(protocol.wire_version())
}

/// Only the `CLIENT` and `SERVER` flags, at least one of them (`NTE_BAD_FLAGS`); the client
/// flag wins when both are set (docs/ssl-provider.md, "Client and server flags").
pub(crate) fn side(dwFlags: DWORD) -> Result<Side, Error> {
    if dwFlags & !(NCRYPT_SSL_CLIENT_FLAG | NCRYPT_SSL_SERVER_FLAG) != 0 {
        Err(Error::BadFlags)
    } else if dwFlags & NCRYPT_SSL_CLIENT_FLAG != 0 {
        Ok(Side::Client)
    } else if dwFlags & NCRYPT_SSL_SERVER_FLAG != 0 {
        Ok(Side::Server)
    } else {
        Err(Error::BadFlags)
    }
}

/// The group of `SslCreateEphemeralKey` from `dwKeyType` (a TLS group id, 0 when not given),
/// `dwKeyBitLen` (0 when not given) and, for DHE, `pbParams` (`BCRYPT_DH_PARAMETERS`). A size
/// that contradicts the type is `NTE_INVALID_PARAMETER`; anything else unknown is
/// `NTE_NOT_SUPPORTED`. Whether the group serves the suite is keyward-ssl's
/// [`Group::check_for`].
pub(crate) fn ephemeral_group(
    suite: &CipherSuite,
    dwKeyType: DWORD,
    dwKeyBitLen: DWORD,
    dh_params: Option<&[u8]>,
) -> Result<Group, Error> {
    let group = match (dh_params, dwKeyType) {
        (Some(params), _) => {
            let params = DhParameters::parse(params)?;
            Group::Ffdhe(FfdheGroup::from_params(params.prime(), params.generator())?)
        }
        (None, 0) => {
            let dhe = suite.key_exchange == KeyExchange::DheRsa;
            Group::ALL
                .into_iter()
                .find(|g| g.bits() == dwKeyBitLen && matches!(g, Group::Ffdhe(_)) == dhe)
                .ok_or(Error::NotSupported("key size"))?
        }
        (None, id) => u16::try_from(id)
            .ok()
            .and_then(Group::from_tls_id)
            .ok_or(Error::NotSupported("key type"))?,
    };
    if dwKeyBitLen != 0 && dwKeyBitLen != group.bits() {
        return Err(Error::InvalidParameter(
            "key size does not match the key type",
        ));
    }
    Ok(group)
}

/// A CNG hash id such as `L"SHA256"` (`pszHashAlgId` of `SslCreateClientAuthHash`); unknown
/// names and MD5 alone are `NTE_NOT_SUPPORTED`.
pub(crate) fn client_auth_hash(name: &str) -> Result<HashAlgorithm, Error> {
    HashAlgorithm::from_cng_name(name)
        .filter(|a| *a != HashAlgorithm::Md5)
        .ok_or(Error::NotSupported("client-auth hash algorithm"))
}

/// What a `pszBlobType` of `SslImportKey` / `SslExportKey` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlobType {
    /// A public key blob: imported as a peer's key, exported from any asymmetric key.
    Public(PublicBlobType),
    /// A private key blob of an ephemeral key pair (keyward extension, import only).
    Private(PrivateBlobType),
    /// `BCRYPT_OPAQUE_KEY_BLOB`: master, session and TLS 1.3 keys, sealed by the key store.
    Opaque,
    /// `BCRYPT_KEY_DATA_BLOB`: the raw export of TLS 1.3 secrets and write keys (export only).
    KeyData,
    /// `TLS_13_PRE_SHARED_KEY`: a PSK with keyward's `dwProtocol, dwCipherSuite` header
    /// (import only).
    PreSharedKey,
}

/// The one table from `pszBlobType` names to blob types. Names compare exactly (case
/// matters, as in CNG); `SSL_ECCPUBLIC_BLOB` and every other name are absent.
const BLOB_TYPES: [(&str, BlobType); 8] = [
    (BCRYPT_RSAPUBLIC_BLOB, BlobType::Public(PublicBlobType::Rsa)),
    (BCRYPT_ECCPUBLIC_BLOB, BlobType::Public(PublicBlobType::Ecc)),
    (BCRYPT_DH_PUBLIC_BLOB, BlobType::Public(PublicBlobType::Dh)),
    (
        BCRYPT_ECCPRIVATE_BLOB,
        BlobType::Private(PrivateBlobType::Ecc),
    ),
    (
        BCRYPT_DH_PRIVATE_BLOB,
        BlobType::Private(PrivateBlobType::Dh),
    ),
    (BCRYPT_OPAQUE_KEY_BLOB, BlobType::Opaque),
    (BCRYPT_KEY_DATA_BLOB, BlobType::KeyData),
    (TLS_13_PRE_SHARED_KEY, BlobType::PreSharedKey),
];

/// The blob type a `pszBlobType` names, or `None` for a name keyward does not know. Each
/// function gives its own status for `None` and for a type it does not take: `SslImportKey`
/// `NTE_NOT_SUPPORTED` ("blob type"), `SslExportKey` `NTE_NOT_SUPPORTED` ("blob type for
/// this key") once the key handle is known.
pub(crate) fn blob_type(name: &str) -> Option<BlobType> {
    BLOB_TYPES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|&(_, blob_type)| blob_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::Status;

    #[test]
    fn protocols_round_trip_and_ssl_is_not_supported() {
        for p in Protocol::ALL {
            assert_eq!(protocol(protocol_id(p)), Ok(p));
        }
        for bad in [0x0002, 0x0300, 0x0305, 0, 0x1_0303] {
            assert_eq!(
                protocol(bad).unwrap_err().status(),
                Status::NTE_NOT_SUPPORTED
            );
        }
    }

    #[test]
    fn suites_unknown_or_mismatched_are_not_supported() {
        assert!(suite(0x0303, 0xC02F).is_ok());
        assert!(suite(0x0304, 0x1301).is_ok());
        for (p, s) in [
            (0x0301, 0xC02F),
            (0x0303, 0x1301),
            (0x0303, 0x0005),
            (0x0303, 0x1_C02F),
        ] {
            assert_eq!(suite(p, s).unwrap_err().status(), Status::NTE_NOT_SUPPORTED);
        }
    }

    #[test]
    fn flags() {
        assert_eq!(side(1), Ok(Side::Client));
        assert_eq!(side(2), Ok(Side::Server));
        assert_eq!(side(3), Ok(Side::Client));
        assert_eq!(side(0), Err(Error::BadFlags));
        assert_eq!(side(5), Err(Error::BadFlags));
    }

    #[test]
    fn ephemeral_groups_from_key_type_bits_and_params() {
        let (_, ecdhe) = suite(0x0303, 0xC02F).unwrap();
        for (key_type, bits) in [(23, 256), (24, 384), (25, 521), (29, 255)] {
            let by_type = ephemeral_group(ecdhe, key_type, 0, None).unwrap();
            assert_eq!(u32::from(by_type.tls_id()), key_type);
            assert_eq!(ephemeral_group(ecdhe, 0, bits, None), Ok(by_type));
            assert_eq!(ephemeral_group(ecdhe, key_type, bits, None), Ok(by_type));
        }
        let status = |r: Result<Group, Error>| r.unwrap_err().status();
        assert_eq!(
            status(ephemeral_group(ecdhe, 23, 384, None)),
            Status::NTE_INVALID_PARAMETER
        );
        for unknown in [22, 0x1_0017] {
            assert_eq!(
                status(ephemeral_group(ecdhe, unknown, 0, None)),
                Status::NTE_NOT_SUPPORTED
            );
        }
        assert_eq!(
            status(ephemeral_group(ecdhe, 0, 1000, None)),
            Status::NTE_NOT_SUPPORTED
        );
        let (_, dhe) = suite(0x0303, 0x009E).unwrap();
        assert_eq!(
            ephemeral_group(dhe, 0, 2048, None),
            Ok(Group::Ffdhe(FfdheGroup::Ffdhe2048))
        );
        let ffdhe3072 = FfdheGroup::Ffdhe3072;
        let mut generator = vec![0u8; ffdhe3072.prime().len()];
        if let Some(last) = generator.last_mut() {
            *last = 2;
        }
        let params = DhParameters::new(ffdhe3072.prime(), &generator)
            .unwrap()
            .to_bytes();
        assert_eq!(
            ephemeral_group(dhe, 0, 0, Some(&params)),
            Ok(Group::Ffdhe(ffdhe3072))
        );
    }

    #[test]
    fn blob_type_names() {
        assert_eq!(
            blob_type("RSAPUBLICBLOB"),
            Some(BlobType::Public(PublicBlobType::Rsa))
        );
        assert_eq!(
            blob_type("ECCPUBLICBLOB"),
            Some(BlobType::Public(PublicBlobType::Ecc))
        );
        assert_eq!(
            blob_type("DHPUBLICBLOB"),
            Some(BlobType::Public(PublicBlobType::Dh))
        );
        assert_eq!(
            blob_type("ECCPRIVATEBLOB"),
            Some(BlobType::Private(PrivateBlobType::Ecc))
        );
        assert_eq!(
            blob_type("DHPRIVATEBLOB"),
            Some(BlobType::Private(PrivateBlobType::Dh))
        );
        assert_eq!(blob_type("OpaqueKeyBlob"), Some(BlobType::Opaque));
        assert_eq!(blob_type("KeyDataBlob"), Some(BlobType::KeyData));
        assert_eq!(blob_type("TLS13PRESHAREDKEY"), Some(BlobType::PreSharedKey));
        // Every typed blob kind has exactly one name.
        for kind in PublicBlobType::ALL {
            let names = BLOB_TYPES
                .iter()
                .filter(|(_, t)| *t == BlobType::Public(kind));
            assert_eq!(names.count(), 1, "{kind:?}");
        }
        for kind in PrivateBlobType::ALL {
            let names = BLOB_TYPES
                .iter()
                .filter(|(_, t)| *t == BlobType::Private(kind));
            assert_eq!(names.count(), 1, "{kind:?}");
        }
        for (i, (name, _)) in BLOB_TYPES.iter().enumerate() {
            assert!(BLOB_TYPES[i + 1..].iter().all(|(other, _)| other != name));
        }
        for unknown in [
            "",
            "rsapublicblob",
            "RSAPUBLICBLOB ",
            "RSAPRIVATEBLOB",
            "RSAFULLPRIVATEBLOB",
            "CAPIPUBLICBLOB",
            "SSLECCPUBLICBLOB",
            "KDBM",
        ] {
            assert_eq!(blob_type(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn client_auth_hash_names() {
        assert_eq!(client_auth_hash("SHA384"), Ok(HashAlgorithm::Sha384));
        for refused in ["MD4", "MD5", ""] {
            assert_eq!(
                client_auth_hash(refused).unwrap_err().status(),
                Status::NTE_NOT_SUPPORTED
            );
        }
    }
}

//! The Windows types, structures and constants of `Sslprovider.h`, with their C names.
//!
//! `include/keyward_wintypes.h` and `include/sslprovider.h` declare the same items for C; the
//! `header` test checks that the two sides agree name by name and value by value.

#![allow(non_camel_case_types, non_snake_case)]

use core::ffi::c_void;

/// `LONG`.
pub type LONG = i32;
/// `SECURITY_STATUS`: 0 on success, else an `NTE_*` (or documented `STATUS_*`) value.
pub type SECURITY_STATUS = LONG;
/// `NTSTATUS`.
pub type NTSTATUS = LONG;
/// `DWORD`.
pub type DWORD = u32;
/// `ULONG`.
pub type ULONG = u32;
/// `WORD`.
pub type WORD = u16;
/// `USHORT`.
pub type USHORT = u16;
/// `BYTE`.
pub type BYTE = u8;
/// `PBYTE`.
pub type PBYTE = *mut BYTE;
/// `CHAR`.
pub type CHAR = core::ffi::c_char;
/// `PCHAR`.
pub type PCHAR = *mut CHAR;
/// `WCHAR`: one UTF-16 code unit.
pub type WCHAR = u16;
/// `LPWSTR`.
pub type LPWSTR = *mut WCHAR;
/// `LPCWSTR`: a NUL-terminated UTF-16 string.
pub type LPCWSTR = *const WCHAR;
/// `PVOID`.
pub type PVOID = *mut c_void;
/// `HANDLE`.
pub type HANDLE = *mut c_void;
/// `ULONG_PTR`.
pub type ULONG_PTR = usize;
/// `ULONGLONG`.
pub type ULONGLONG = u64;
/// `NCRYPT_HANDLE`: any object of the provider.
pub type NCRYPT_HANDLE = ULONG_PTR;
/// `NCRYPT_PROV_HANDLE`: a provider.
pub type NCRYPT_PROV_HANDLE = ULONG_PTR;
/// `NCRYPT_KEY_HANDLE`: a key of any kind.
pub type NCRYPT_KEY_HANDLE = ULONG_PTR;
/// `NCRYPT_HASH_HANDLE`: a handshake (transcript) hash.
pub type NCRYPT_HASH_HANDLE = ULONG_PTR;

/// `BCryptBuffer` / `NCryptBuffer`: one typed buffer of a parameter list.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCryptBuffer {
    /// Length in bytes.
    pub cbBuffer: ULONG,
    /// `NCRYPTBUFFER_*`.
    pub BufferType: ULONG,
    /// The bytes.
    pub pvBuffer: PVOID,
}

/// `PNCryptBuffer`.
pub type PNCryptBuffer = *mut NCryptBuffer;

/// `BCryptBufferDesc` / `NCryptBufferDesc`: a parameter list.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCryptBufferDesc {
    /// `NCRYPTBUFFER_VERSION` (0).
    pub ulVersion: ULONG,
    /// Number of buffers.
    pub cBuffers: ULONG,
    /// The buffers.
    pub pBuffers: PNCryptBuffer,
}

/// `PNCryptBufferDesc`.
pub type PNCryptBufferDesc = *mut NCryptBufferDesc;

/// `CERT_CONTEXT` (wincrypt.h): keyward reads only the encoded certificate.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CERT_CONTEXT {
    /// `X509_ASN_ENCODING | PKCS_7_ASN_ENCODING` on Windows; not checked.
    pub dwCertEncodingType: DWORD,
    /// The DER certificate.
    pub pbCertEncoded: *mut BYTE,
    /// Its length.
    pub cbCertEncoded: DWORD,
    /// Decoded certificate (`PCERT_INFO`); not used.
    pub pCertInfo: PVOID,
    /// The certificate store (`HCERTSTORE`); not used.
    pub hCertStore: PVOID,
}

/// `PCCERT_CONTEXT`.
pub type PCCERT_CONTEXT = *const CERT_CONTEXT;

/// `NCryptProviderName`: one entry of `SslEnumProtocolProviders`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCryptProviderName {
    /// The provider's name.
    pub pszName: LPWSTR,
    /// A comment.
    pub pszComment: LPWSTR,
}

/// `NCRYPT_SSL_CIPHER_SUITE` (676 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCRYPT_SSL_CIPHER_SUITE {
    /// Protocol version (`TLS1_2_PROTOCOL_VERSION`, …).
    pub dwProtocol: DWORD,
    /// IANA cipher-suite number.
    pub dwCipherSuite: DWORD,
    /// The same number (suites are not split per curve).
    pub dwBaseCipherSuite: DWORD,
    /// IANA name.
    pub szCipherSuite: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// CNG cipher name.
    pub szCipher: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Key length in bits.
    pub dwCipherLen: DWORD,
    /// Block length in bytes.
    pub dwCipherBlockLen: DWORD,
    /// CNG name of the MAC hash; empty for AEAD suites.
    pub szHash: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// MAC length in bytes.
    pub dwHashLen: DWORD,
    /// CNG name of the key exchange.
    pub szExchange: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Smallest key-exchange size in bits.
    pub dwMinExchangeLen: DWORD,
    /// Largest key-exchange size in bits.
    pub dwMaxExchangeLen: DWORD,
    /// CNG name of the certificate's key algorithm.
    pub szCertificate: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Key type (curve); 0.
    pub dwKeyType: DWORD,
}

/// `NCRYPT_SSL_CIPHER_SUITE_EX` (808 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCRYPT_SSL_CIPHER_SUITE_EX {
    /// `NCRYPT_SSL_CIPHER_SUITE_EX_VERSION`.
    pub dwVersion: DWORD,
    /// Protocol version.
    pub dwProtocol: DWORD,
    /// IANA cipher-suite number.
    pub dwCipherSuite: DWORD,
    /// The same number.
    pub dwBaseCipherSuite: DWORD,
    /// IANA name.
    pub szCipherSuite: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// CNG cipher name.
    pub szCipher: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Key length in bits.
    pub dwCipherLen: DWORD,
    /// Block length in bytes.
    pub dwCipherBlockLen: DWORD,
    /// CNG name of the MAC hash; empty for AEAD suites.
    pub szHash: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// MAC length in bytes.
    pub dwHashLen: DWORD,
    /// CNG name of the key exchange.
    pub szExchange: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Smallest key-exchange size in bits.
    pub dwMinExchangeLen: DWORD,
    /// Largest key-exchange size in bits.
    pub dwMaxExchangeLen: DWORD,
    /// CNG name of the certificate's key algorithm.
    pub szCertificate: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
    /// Key type (curve); 0.
    pub dwKeyType: DWORD,
    /// CNG chaining mode (`ChainingModeGCM`, `ChainingModeCBC`, or empty for ChaCha20).
    pub szCipherMode: [WCHAR; NCRYPT_SSL_MAX_NAME_SIZE],
}

/// `NCRYPT_SSL_CIPHER_LENGTHS` (20 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCRYPT_SSL_CIPHER_LENGTHS {
    /// 20.
    pub cbLength: DWORD,
    /// Explicit IV or nonce per record (the record header excluded).
    pub dwHeaderLen: DWORD,
    /// MAC or AEAD tag length.
    pub dwFixedTrailerLen: DWORD,
    /// Most padding bytes.
    pub dwMaxVariableTrailerLen: DWORD,
    /// `NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING` or 0.
    pub dwFlags: DWORD,
}

/// `NCRYPT_SSL_ECC_CURVE` (780 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NCRYPT_SSL_ECC_CURVE {
    /// CNG curve name.
    pub szCurveName: [WCHAR; MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH],
    /// Dotted OID, ASCII.
    pub szOID: [CHAR; MSCRYPT_ECC_MAX_OID_LENGTH],
    /// Key size in bits.
    pub dwPublicKeyLength: DWORD,
    /// IANA TLS NamedGroup id.
    pub dwCurveType: DWORD,
    /// 0.
    pub dwFlags: DWORD,
}

/// `SSL_ECCKEY_BLOB`: the header of `SSL_ECCPUBLIC_BLOB` (declared for completeness).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SSL_ECCKEY_BLOB {
    /// IANA TLS NamedGroup id.
    pub dwCurveType: ULONG,
    /// Length of the key that follows.
    pub cbKey: ULONG,
}

/// `BCRYPT_INTERFACE_VERSION`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BCRYPT_INTERFACE_VERSION {
    /// Major version.
    pub MajorVersion: USHORT,
    /// Minor version.
    pub MinorVersion: USHORT,
}

const _: () = {
    assert!(core::mem::size_of::<NCRYPT_SSL_CIPHER_SUITE>() == 676);
    assert!(core::mem::size_of::<NCRYPT_SSL_CIPHER_SUITE_EX>() == 808);
    assert!(core::mem::size_of::<NCRYPT_SSL_CIPHER_LENGTHS>() == 20);
    assert!(core::mem::size_of::<NCRYPT_SSL_ECC_CURVE>() == 780);
    assert!(core::mem::size_of::<NCryptBuffer>() == 8 + core::mem::size_of::<usize>());
    assert!(core::mem::size_of::<NCryptBufferDesc>() == 8 + core::mem::size_of::<usize>());
};

/// Declares the numeric constants of the headers once, with their C names, and lists them
/// in [`NUMERIC_CONSTANTS`] for the header check.
macro_rules! numeric_constants {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*
        /// Every numeric `#define` of the headers, by name, for the header check.
        pub const NUMERIC_CONSTANTS: &[(&str, i64)] = &[$((stringify!($name), $value as i64)),*];
    };
}

numeric_constants! {
    /// `NCRYPT_SSL_MAX_NAME_SIZE`: the length of every name field, in `WCHAR`s.
    NCRYPT_SSL_MAX_NAME_SIZE: usize = 64;
    /// `MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH`.
    MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH: usize = 255;
    /// `MSCRYPT_ECC_MAX_OID_LENGTH`.
    MSCRYPT_ECC_MAX_OID_LENGTH: usize = 255;
    /// `NCRYPTBUFFER_VERSION`.
    NCRYPTBUFFER_VERSION: u32 = 0;
    /// `NCRYPT_SSL_CLIENT_FLAG`.
    NCRYPT_SSL_CLIENT_FLAG: u32 = 0x1;
    /// `NCRYPT_SSL_SERVER_FLAG`.
    NCRYPT_SSL_SERVER_FLAG: u32 = 0x2;
    /// `NCRYPT_SSL_CIPHER_SUITE_EX_VERSION`.
    NCRYPT_SSL_CIPHER_SUITE_EX_VERSION: u32 = 1;
    /// `NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING`.
    NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING: u32 = 0x1;
    /// `NCRYPT_SSL_SIGN_INCLUDE_HASHOID`.
    NCRYPT_SSL_SIGN_INCLUDE_HASHOID: u32 = 0x1;
    /// `NCRYPT_SSL_SIGN_USE_PSS_PADDING`.
    NCRYPT_SSL_SIGN_USE_PSS_PADDING: u32 = 0x2;
    /// `NCRYPT_SSL_EXTERNAL_PSK_FLAG`.
    NCRYPT_SSL_EXTERNAL_PSK_FLAG: u32 = 0x1;
    /// `NCRYPT_SSL_RESUMPTION_PSK_FLAG`.
    NCRYPT_SSL_RESUMPTION_PSK_FLAG: u32 = 0x2;
    /// `NCRYPT_SSL_EAP_PRF_FIELD`.
    NCRYPT_SSL_EAP_PRF_FIELD: u32 = 0xFF;
    /// `NCRYPT_SSL_EAP_ID`.
    NCRYPT_SSL_EAP_ID: u32 = 0;
    /// `NCRYPT_SSL_EAP_TTLSV0_ID`.
    NCRYPT_SSL_EAP_TTLSV0_ID: u32 = 1;
    /// `NCRYPT_SSL_EAP_TTLSV0_CHLNG_ID`.
    NCRYPT_SSL_EAP_TTLSV0_CHLNG_ID: u32 = 2;
    /// `NCRYPT_SSL_EAP_FAST_ID`.
    NCRYPT_SSL_EAP_FAST_ID: u32 = 3;
    /// `NCRYPT_SCHANNEL_INTERFACE`.
    NCRYPT_SCHANNEL_INTERFACE: u32 = 0x0001_0002;
    /// `NCRYPT_SSL_INTERFACE_VERSION`'s major number: keyward implements version 5.
    KEYWARD_SSL_INTERFACE_MAJOR_VERSION: u32 = 5;
    /// `SSL2_PROTOCOL_VERSION`.
    SSL2_PROTOCOL_VERSION: u32 = 0x0002;
    /// `SSL3_PROTOCOL_VERSION`.
    SSL3_PROTOCOL_VERSION: u32 = 0x0300;
    /// `TLS1_PROTOCOL_VERSION`.
    TLS1_PROTOCOL_VERSION: u32 = 0x0301;
    /// `TLS1_0_PROTOCOL_VERSION`.
    TLS1_0_PROTOCOL_VERSION: u32 = 0x0301;
    /// `TLS1_1_PROTOCOL_VERSION`.
    TLS1_1_PROTOCOL_VERSION: u32 = 0x0302;
    /// `TLS1_2_PROTOCOL_VERSION`.
    TLS1_2_PROTOCOL_VERSION: u32 = 0x0303;
    /// `TLS1_3_PROTOCOL_VERSION`.
    TLS1_3_PROTOCOL_VERSION: u32 = 0x0304;
    /// `DTLS1_0_PROTOCOL_VERSION`.
    DTLS1_0_PROTOCOL_VERSION: u32 = 0xFEFF;
    /// `DTLS1_2_PROTOCOL_VERSION`.
    DTLS1_2_PROTOCOL_VERSION: u32 = 0xFEFD;
    /// `TLS_RSA_WITH_NULL_MD5` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_NULL_MD5: u32 = 0x0001;
    /// `TLS_RSA_WITH_NULL_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_NULL_SHA: u32 = 0x0002;
    /// `TLS_RSA_EXPORT_WITH_RC4_40_MD5` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_EXPORT_WITH_RC4_40_MD5: u32 = 0x0003;
    /// `TLS_RSA_WITH_RC4_128_MD5` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_RC4_128_MD5: u32 = 0x0004;
    /// `TLS_RSA_WITH_RC4_128_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_RC4_128_SHA: u32 = 0x0005;
    /// `TLS_RSA_WITH_DES_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_DES_CBC_SHA: u32 = 0x0009;
    /// `TLS_RSA_WITH_3DES_EDE_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_3DES_EDE_CBC_SHA: u32 = 0x000A;
    /// `TLS_DHE_DSS_WITH_DES_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_DES_CBC_SHA: u32 = 0x0012;
    /// `TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA: u32 = 0x0013;
    /// `TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA: u32 = 0x0016;
    /// `TLS_DHE_DSS_WITH_AES_128_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_AES_128_CBC_SHA: u32 = 0x0032;
    /// `TLS_DHE_DSS_WITH_AES_256_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_AES_256_CBC_SHA: u32 = 0x0038;
    /// `TLS_RSA_WITH_NULL_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_WITH_NULL_SHA256: u32 = 0x003B;
    /// `TLS_DHE_DSS_WITH_AES_128_CBC_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_AES_128_CBC_SHA256: u32 = 0x0040;
    /// `TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA: u32 = 0x0062;
    /// `TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA: u32 = 0x0063;
    /// `TLS_RSA_EXPORT1024_WITH_RC4_56_SHA` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_RSA_EXPORT1024_WITH_RC4_56_SHA: u32 = 0x0064;
    /// `TLS_DHE_DSS_WITH_AES_256_CBC_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_DHE_DSS_WITH_AES_256_CBC_SHA256: u32 = 0x006A;
    /// `TLS_PSK_WITH_AES_128_GCM_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_AES_128_GCM_SHA256: u32 = 0x00A8;
    /// `TLS_PSK_WITH_AES_256_GCM_SHA384` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_AES_256_GCM_SHA384: u32 = 0x00A9;
    /// `TLS_PSK_WITH_AES_128_CBC_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_AES_128_CBC_SHA256: u32 = 0x00AE;
    /// `TLS_PSK_WITH_AES_256_CBC_SHA384` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_AES_256_CBC_SHA384: u32 = 0x00AF;
    /// `TLS_PSK_WITH_NULL_SHA256` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_NULL_SHA256: u32 = 0x00B0;
    /// `TLS_PSK_WITH_NULL_SHA384` (declared; keyward does not support it: `NTE_NOT_SUPPORTED`).
    TLS_PSK_WITH_NULL_SHA384: u32 = 0x00B1;
    /// `SSL_CK_RC4_128_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_RC4_128_WITH_MD5: u32 = 0x010080;
    /// `SSL_CK_RC4_128_EXPORT40_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_RC4_128_EXPORT40_WITH_MD5: u32 = 0x020080;
    /// `SSL_CK_RC2_128_CBC_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_RC2_128_CBC_WITH_MD5: u32 = 0x030080;
    /// `SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5: u32 = 0x040080;
    /// `SSL_CK_IDEA_128_CBC_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_IDEA_128_CBC_WITH_MD5: u32 = 0x050080;
    /// `SSL_CK_DES_64_CBC_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_DES_64_CBC_WITH_MD5: u32 = 0x060040;
    /// `SSL_CK_DES_192_EDE3_CBC_WITH_MD5` (SSL 2.0; declared, not supported).
    SSL_CK_DES_192_EDE3_CBC_WITH_MD5: u32 = 0x0700C0;
    /// `NCRYPT_KEY_STORAGE_INTERFACE`.
    NCRYPT_KEY_STORAGE_INTERFACE: u32 = 0x0001_0001;
    /// `NCRYPT_SCHANNEL_SIGNATURE_INTERFACE`.
    NCRYPT_SCHANNEL_SIGNATURE_INTERFACE: u32 = 0x0001_0003;
    /// `TLS_RSA_WITH_AES_128_CBC_SHA`.
    TLS_RSA_WITH_AES_128_CBC_SHA: u32 = 0x002F;
    /// `TLS_DHE_RSA_WITH_AES_128_CBC_SHA`.
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA: u32 = 0x0033;
    /// `TLS_RSA_WITH_AES_256_CBC_SHA`.
    TLS_RSA_WITH_AES_256_CBC_SHA: u32 = 0x0035;
    /// `TLS_DHE_RSA_WITH_AES_256_CBC_SHA`.
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA: u32 = 0x0039;
    /// `TLS_RSA_WITH_AES_128_CBC_SHA256`.
    TLS_RSA_WITH_AES_128_CBC_SHA256: u32 = 0x003C;
    /// `TLS_RSA_WITH_AES_256_CBC_SHA256` (keyward refuses it with `NTE_NOT_SUPPORTED`: AWS-LC
    /// has no constant-time TLS CBC code for AES-256 with HMAC-SHA256).
    TLS_RSA_WITH_AES_256_CBC_SHA256: u32 = 0x003D;
    /// `TLS_RSA_WITH_AES_128_GCM_SHA256`.
    TLS_RSA_WITH_AES_128_GCM_SHA256: u32 = 0x009C;
    /// `TLS_RSA_WITH_AES_256_GCM_SHA384`.
    TLS_RSA_WITH_AES_256_GCM_SHA384: u32 = 0x009D;
    /// `TLS_DHE_RSA_WITH_AES_128_GCM_SHA256`.
    TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: u32 = 0x009E;
    /// `TLS_DHE_RSA_WITH_AES_256_GCM_SHA384`.
    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: u32 = 0x009F;
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA`.
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: u32 = 0xC009;
    /// `TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA`.
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: u32 = 0xC00A;
    /// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`.
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: u32 = 0xC013;
    /// `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`.
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: u32 = 0xC014;
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256`.
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: u32 = 0xC023;
    /// `TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384`.
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: u32 = 0xC024;
    /// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256`.
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: u32 = 0xC027;
    /// `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384`.
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: u32 = 0xC028;
    /// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: u32 = 0xC02B;
    /// `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384`.
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: u32 = 0xC02C;
    /// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: u32 = 0xC02F;
    /// `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`.
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: u32 = 0xC030;
    /// `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256` (not in the Windows header; RFC 7905).
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: u32 = 0xCCA8;
    /// `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256` (not in the Windows header; RFC 7905).
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: u32 = 0xCCA9;
    /// `TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256` (not in the Windows header; RFC 7905).
    TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: u32 = 0xCCAA;
    /// `TLS_AES_128_GCM_SHA256`.
    TLS_AES_128_GCM_SHA256: u32 = 0x1301;
    /// `TLS_AES_256_GCM_SHA384`.
    TLS_AES_256_GCM_SHA384: u32 = 0x1302;
    /// `TLS_CHACHA20_POLY1305_SHA256` (not in the Windows header; RFC 8446).
    TLS_CHACHA20_POLY1305_SHA256: u32 = 0x1303;
    /// `TLS_ECC_P256_CURVE_KEY_TYPE`.
    TLS_ECC_P256_CURVE_KEY_TYPE: u32 = 23;
    /// `TLS_ECC_P384_CURVE_KEY_TYPE`.
    TLS_ECC_P384_CURVE_KEY_TYPE: u32 = 24;
    /// `TLS_ECC_P521_CURVE_KEY_TYPE`.
    TLS_ECC_P521_CURVE_KEY_TYPE: u32 = 25;
    /// `NCRYPTBUFFER_EMPTY`.
    NCRYPTBUFFER_EMPTY: u32 = 0;
    /// `NCRYPTBUFFER_DATA`.
    NCRYPTBUFFER_DATA: u32 = 1;
    /// `NCRYPTBUFFER_SSL_CLIENT_RANDOM`.
    NCRYPTBUFFER_SSL_CLIENT_RANDOM: u32 = 20;
    /// `NCRYPTBUFFER_SSL_SERVER_RANDOM`.
    NCRYPTBUFFER_SSL_SERVER_RANDOM: u32 = 21;
    /// `NCRYPTBUFFER_SSL_HIGHEST_VERSION`.
    NCRYPTBUFFER_SSL_HIGHEST_VERSION: u32 = 22;
    /// `NCRYPTBUFFER_SSL_CLEAR_KEY`.
    NCRYPTBUFFER_SSL_CLEAR_KEY: u32 = 23;
    /// `NCRYPTBUFFER_SSL_KEY_ARG_DATA`.
    NCRYPTBUFFER_SSL_KEY_ARG_DATA: u32 = 24;
    /// `NCRYPTBUFFER_SSL_SESSION_HASH`.
    NCRYPTBUFFER_SSL_SESSION_HASH: u32 = 25;
    /// keyward extension (no Windows equivalent): encrypt-then-MAC session keys, see
    /// `params.rs`.
    NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC: u32 = 0x4B57_0001;
    /// `CT_CHANGE_CIPHER_SPEC`.
    CT_CHANGE_CIPHER_SPEC: u32 = 20;
    /// `CT_ALERT`.
    CT_ALERT: u32 = 21;
    /// `CT_HANDSHAKE`.
    CT_HANDSHAKE: u32 = 22;
    /// `CT_APPLICATIONDATA`.
    CT_APPLICATIONDATA: u32 = 23;
    /// `ERROR_SUCCESS`.
    ERROR_SUCCESS: u32 = 0;
    /// `NTE_BAD_DATA`.
    NTE_BAD_DATA: u32 = 0x8009_0005;
    /// `NTE_BAD_SIGNATURE`.
    NTE_BAD_SIGNATURE: u32 = 0x8009_0006;
    /// `NTE_BAD_ALGID`.
    NTE_BAD_ALGID: u32 = 0x8009_0008;
    /// `NTE_BAD_FLAGS`.
    NTE_BAD_FLAGS: u32 = 0x8009_0009;
    /// `NTE_NO_MEMORY`.
    NTE_NO_MEMORY: u32 = 0x8009_000E;
    /// `NTE_NOT_FOUND`.
    NTE_NOT_FOUND: u32 = 0x8009_0011;
    /// `NTE_PROV_DLL_NOT_FOUND`.
    NTE_PROV_DLL_NOT_FOUND: u32 = 0x8009_001E;
    /// `NTE_FAIL`.
    NTE_FAIL: u32 = 0x8009_0020;
    /// `NTE_INVALID_HANDLE`.
    NTE_INVALID_HANDLE: u32 = 0x8009_0026;
    /// `NTE_INVALID_PARAMETER`.
    NTE_INVALID_PARAMETER: u32 = 0x8009_0027;
    /// `NTE_BUFFER_TOO_SMALL`.
    NTE_BUFFER_TOO_SMALL: u32 = 0x8009_0028;
    /// `NTE_NOT_SUPPORTED`.
    NTE_NOT_SUPPORTED: u32 = 0x8009_0029;
    /// `NTE_NO_MORE_ITEMS`.
    NTE_NO_MORE_ITEMS: u32 = 0x8009_002A;
    /// `NTE_BUFFERS_OVERLAP`.
    NTE_BUFFERS_OVERLAP: u32 = 0x8009_002B;
    /// `NTE_DECRYPTION_FAILURE`.
    NTE_DECRYPTION_FAILURE: u32 = 0x8009_002C;
    /// `NTE_INTERNAL_ERROR`.
    NTE_INTERNAL_ERROR: u32 = 0x8009_002D;
    /// `STATUS_INVALID_HANDLE`.
    STATUS_INVALID_HANDLE: u32 = 0xC000_0008;
    /// `STATUS_AUTH_TAG_MISMATCH`.
    STATUS_AUTH_TAG_MISMATCH: u32 = 0xC000_A002;
}

/// Declares the UTF-16 string constants of the headers once, with their C names, and lists
/// them in [`STRING_CONSTANTS`] for the header check.
macro_rules! string_constants {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*
        /// Every UTF-16 string constant of the headers, by name, for the header check.
        pub const STRING_CONSTANTS: &[(&str, &str)] = &[$((stringify!($name), $value)),*];
    };
}

string_constants! {
    /// `MS_SCHANNEL_PROVIDER`.
    MS_SCHANNEL_PROVIDER = "Microsoft SSL Protocol Provider";
    /// `BCRYPT_RSAPUBLIC_BLOB`.
    BCRYPT_RSAPUBLIC_BLOB = "RSAPUBLICBLOB";
    /// `BCRYPT_ECCPUBLIC_BLOB`.
    BCRYPT_ECCPUBLIC_BLOB = "ECCPUBLICBLOB";
    /// `BCRYPT_ECCPRIVATE_BLOB` (a keyward extension for `SslImportKey`: an ephemeral key pair).
    BCRYPT_ECCPRIVATE_BLOB = "ECCPRIVATEBLOB";
    /// `BCRYPT_DH_PUBLIC_BLOB`.
    BCRYPT_DH_PUBLIC_BLOB = "DHPUBLICBLOB";
    /// `BCRYPT_DH_PRIVATE_BLOB` (a keyward extension for `SslImportKey`: an ephemeral key pair).
    BCRYPT_DH_PRIVATE_BLOB = "DHPRIVATEBLOB";
    /// `BCRYPT_OPAQUE_KEY_BLOB`.
    BCRYPT_OPAQUE_KEY_BLOB = "OpaqueKeyBlob";
    /// `BCRYPT_KEY_DATA_BLOB`: the explicit raw export of TLS 1.3 secrets and write keys.
    BCRYPT_KEY_DATA_BLOB = "KeyDataBlob";
    /// `TLS_13_PRE_SHARED_KEY`.
    TLS_13_PRE_SHARED_KEY = "TLS13PRESHAREDKEY";
    /// `SSL_ECCPUBLIC_BLOB` (declared; `SslImportKey` answers `NTE_NOT_SUPPORTED`).
    SSL_ECCPUBLIC_BLOB = "SSLECCPUBLICBLOB";
    /// `SSL_ECDSA_ALGORITHM`.
    SSL_ECDSA_ALGORITHM = "ECDSA";
    /// `TLS_PSK_EXCHANGE`.
    TLS_PSK_EXCHANGE = "PSK";
    /// `TLS_RSA_PSK_EXCHANGE`.
    TLS_RSA_PSK_EXCHANGE = "RSA_PSK";
    /// `SSL_KEY_TYPE_PROPERTY`.
    SSL_KEY_TYPE_PROPERTY = "KEYTYPE";
    /// `NCRYPT_ALGORITHM_GROUP_PROPERTY`.
    NCRYPT_ALGORITHM_GROUP_PROPERTY = "Algorithm Group";
    /// `NCRYPT_LENGTH_PROPERTY`.
    NCRYPT_LENGTH_PROPERTY = "Length";
    /// `BCRYPT_SHA1_ALGORITHM`.
    BCRYPT_SHA1_ALGORITHM = "SHA1";
    /// `BCRYPT_SHA256_ALGORITHM`.
    BCRYPT_SHA256_ALGORITHM = "SHA256";
    /// `BCRYPT_SHA384_ALGORITHM`.
    BCRYPT_SHA384_ALGORITHM = "SHA384";
    /// `BCRYPT_SHA512_ALGORITHM`.
    BCRYPT_SHA512_ALGORITHM = "SHA512";
    /// `BCRYPT_RSA_ALGORITHM`.
    BCRYPT_RSA_ALGORITHM = "RSA";
    /// `BCRYPT_ECDSA_ALGORITHM`.
    BCRYPT_ECDSA_ALGORITHM = "ECDSA";
}

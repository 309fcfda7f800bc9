/*
 * sslprovider.h: the CNG SSL Protocol Provider API (the Ssl* functions of ncrypt.dll) as
 * implemented by libkeyward. Names, types, parameter order, constants and structure layouts
 * are those of the Windows SDK header; keyward's own additions are prefixed Keyward.
 *
 * tests/header.rs checks every declaration here against the Rust side of libkeyward.
 *
 * Memory the library hands out (enumerations, properties, enumeration states) is released
 * with SslFreeBuffer; objects (providers, keys, hashes) with SslFreeObject.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KEYWARD_SSLPROVIDER_H
#define KEYWARD_SSLPROVIDER_H

#include "keyward_wintypes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants ------------------------------------------------------------------------ */

#define NCRYPTBUFFER_VERSION 0
#define NCRYPT_SSL_CLIENT_FLAG 0x1
#define NCRYPT_SSL_SERVER_FLAG 0x2
#define NCRYPT_SSL_CIPHER_SUITE_EX_VERSION 1
#define NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING 0x1
#define NCRYPT_SSL_SIGN_INCLUDE_HASHOID 0x1
#define NCRYPT_SSL_SIGN_USE_PSS_PADDING 0x2
#define NCRYPT_SSL_EXTERNAL_PSK_FLAG 0x1
#define NCRYPT_SSL_RESUMPTION_PSK_FLAG 0x2
#define NCRYPT_SSL_EAP_PRF_FIELD 0xFF
#define NCRYPT_SSL_EAP_ID 0
#define NCRYPT_SSL_EAP_TTLSV0_ID 1
#define NCRYPT_SSL_EAP_TTLSV0_CHLNG_ID 2
#define NCRYPT_SSL_EAP_FAST_ID 3
#define NCRYPT_SCHANNEL_INTERFACE 0x00010002
#define KEYWARD_SSL_INTERFACE_MAJOR_VERSION 5
#define SSL2_PROTOCOL_VERSION 0x0002
#define SSL3_PROTOCOL_VERSION 0x0300
#define TLS1_PROTOCOL_VERSION 0x0301
#define TLS1_0_PROTOCOL_VERSION 0x0301
#define TLS1_1_PROTOCOL_VERSION 0x0302
#define TLS1_2_PROTOCOL_VERSION 0x0303
#define TLS1_3_PROTOCOL_VERSION 0x0304
#define DTLS1_0_PROTOCOL_VERSION 0xFEFF
#define DTLS1_2_PROTOCOL_VERSION 0xFEFD
#define TLS_RSA_WITH_NULL_MD5 0x0001
#define TLS_RSA_WITH_NULL_SHA 0x0002
#define TLS_RSA_EXPORT_WITH_RC4_40_MD5 0x0003
#define TLS_RSA_WITH_RC4_128_MD5 0x0004
#define TLS_RSA_WITH_RC4_128_SHA 0x0005
#define TLS_RSA_WITH_DES_CBC_SHA 0x0009
#define TLS_RSA_WITH_3DES_EDE_CBC_SHA 0x000A
#define TLS_DHE_DSS_WITH_DES_CBC_SHA 0x0012
#define TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA 0x0013
#define TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA 0x0016
#define TLS_DHE_DSS_WITH_AES_128_CBC_SHA 0x0032
#define TLS_DHE_DSS_WITH_AES_256_CBC_SHA 0x0038
#define TLS_RSA_WITH_NULL_SHA256 0x003B
#define TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 0x0040
#define TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA 0x0062
#define TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA 0x0063
#define TLS_RSA_EXPORT1024_WITH_RC4_56_SHA 0x0064
#define TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 0x006A
#define TLS_PSK_WITH_AES_128_GCM_SHA256 0x00A8
#define TLS_PSK_WITH_AES_256_GCM_SHA384 0x00A9
#define TLS_PSK_WITH_AES_128_CBC_SHA256 0x00AE
#define TLS_PSK_WITH_AES_256_CBC_SHA384 0x00AF
#define TLS_PSK_WITH_NULL_SHA256 0x00B0
#define TLS_PSK_WITH_NULL_SHA384 0x00B1
#define SSL_CK_RC4_128_WITH_MD5 0x010080
#define SSL_CK_RC4_128_EXPORT40_WITH_MD5 0x020080
#define SSL_CK_RC2_128_CBC_WITH_MD5 0x030080
#define SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5 0x040080
#define SSL_CK_IDEA_128_CBC_WITH_MD5 0x050080
#define SSL_CK_DES_64_CBC_WITH_MD5 0x060040
#define SSL_CK_DES_192_EDE3_CBC_WITH_MD5 0x0700C0
#define NCRYPT_KEY_STORAGE_INTERFACE 0x00010001
#define NCRYPT_SCHANNEL_SIGNATURE_INTERFACE 0x00010003
#define TLS_RSA_WITH_AES_128_CBC_SHA 0x002F
#define TLS_DHE_RSA_WITH_AES_128_CBC_SHA 0x0033
#define TLS_RSA_WITH_AES_256_CBC_SHA 0x0035
#define TLS_DHE_RSA_WITH_AES_256_CBC_SHA 0x0039
#define TLS_RSA_WITH_AES_128_CBC_SHA256 0x003C
#define TLS_RSA_WITH_AES_256_CBC_SHA256 0x003D
#define TLS_RSA_WITH_AES_128_GCM_SHA256 0x009C
#define TLS_RSA_WITH_AES_256_GCM_SHA384 0x009D
#define TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 0x009E
#define TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 0x009F
#define TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA 0xC009
#define TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA 0xC00A
#define TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA 0xC013
#define TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA 0xC014
#define TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 0xC023
#define TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 0xC024
#define TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 0xC027
#define TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 0xC028
#define TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0xC02B
#define TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0xC02C
#define TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0xC02F
#define TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 0xC030
#define TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 0xCCA8
#define TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 0xCCA9
#define TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 0xCCAA
#define TLS_AES_128_GCM_SHA256 0x1301
#define TLS_AES_256_GCM_SHA384 0x1302
#define TLS_CHACHA20_POLY1305_SHA256 0x1303
#define TLS_ECC_P256_CURVE_KEY_TYPE 23
#define TLS_ECC_P384_CURVE_KEY_TYPE 24
#define TLS_ECC_P521_CURVE_KEY_TYPE 25
#define NCRYPTBUFFER_EMPTY 0
#define NCRYPTBUFFER_DATA 1
#define NCRYPTBUFFER_SSL_CLIENT_RANDOM 20
#define NCRYPTBUFFER_SSL_SERVER_RANDOM 21
#define NCRYPTBUFFER_SSL_HIGHEST_VERSION 22
#define NCRYPTBUFFER_SSL_CLEAR_KEY 23
#define NCRYPTBUFFER_SSL_KEY_ARG_DATA 24
#define NCRYPTBUFFER_SSL_SESSION_HASH 25
/* keyward extension, not in Windows: a DWORD parameter of SslGenerateSessionKeys. 1 makes the
   session keys of a CBC suite encrypt-then-MAC (RFC 7366, the TLS encrypt_then_mac extension);
   0, or no such buffer, keeps MAC-then-encrypt. Another value or length, or 1 for an AEAD
   suite, is NTE_INVALID_PARAMETER. Opaque exports (SslExportKey) keep the mode. The value
   lies outside Microsoft's NCRYPTBUFFER_ and KDF_ ranges (all below 0x100); Windows'
   providers do not know it, and ignore it as an unknown buffer type. */
#define NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC 0x4B570001
#define CT_CHANGE_CIPHER_SPEC 20
#define CT_ALERT 21
#define CT_HANDSHAKE 22
#define CT_APPLICATIONDATA 23
#define ERROR_SUCCESS 0
#define NTE_BAD_DATA ((SECURITY_STATUS)0x80090005L)
#define NTE_BAD_SIGNATURE ((SECURITY_STATUS)0x80090006L)
#define NTE_BAD_ALGID ((SECURITY_STATUS)0x80090008L)
#define NTE_BAD_FLAGS ((SECURITY_STATUS)0x80090009L)
#define NTE_NO_MEMORY ((SECURITY_STATUS)0x8009000EL)
#define NTE_NOT_FOUND ((SECURITY_STATUS)0x80090011L)
#define NTE_PROV_DLL_NOT_FOUND ((SECURITY_STATUS)0x8009001EL)
#define NTE_FAIL ((SECURITY_STATUS)0x80090020L)
#define NTE_INVALID_HANDLE ((SECURITY_STATUS)0x80090026L)
#define NTE_INVALID_PARAMETER ((SECURITY_STATUS)0x80090027L)
#define NTE_BUFFER_TOO_SMALL ((SECURITY_STATUS)0x80090028L)
#define NTE_NOT_SUPPORTED ((SECURITY_STATUS)0x80090029L)
#define NTE_NO_MORE_ITEMS ((SECURITY_STATUS)0x8009002AL)
#define NTE_BUFFERS_OVERLAP ((SECURITY_STATUS)0x8009002BL)
#define NTE_DECRYPTION_FAILURE ((SECURITY_STATUS)0x8009002CL)
#define NTE_INTERNAL_ERROR ((SECURITY_STATUS)0x8009002DL)
#define STATUS_INVALID_HANDLE ((SECURITY_STATUS)0xC0000008L)
#define STATUS_AUTH_TAG_MISMATCH ((SECURITY_STATUS)0xC000A002L)

/* UTF-16 strings (the L"..." macros of the Windows headers), as arrays. */
static const WCHAR MS_SCHANNEL_PROVIDER[] = {'M', 'i', 'c', 'r', 'o', 's', 'o', 'f', 't', ' ', 'S', 'S', 'L', ' ', 'P', 'r', 'o', 't', 'o', 'c', 'o', 'l', ' ', 'P', 'r', 'o', 'v', 'i', 'd', 'e', 'r', 0};
static const WCHAR BCRYPT_RSAPUBLIC_BLOB[] = {'R', 'S', 'A', 'P', 'U', 'B', 'L', 'I', 'C', 'B', 'L', 'O', 'B', 0};
static const WCHAR BCRYPT_ECCPUBLIC_BLOB[] = {'E', 'C', 'C', 'P', 'U', 'B', 'L', 'I', 'C', 'B', 'L', 'O', 'B', 0};
static const WCHAR BCRYPT_ECCPRIVATE_BLOB[] = {'E', 'C', 'C', 'P', 'R', 'I', 'V', 'A', 'T', 'E', 'B', 'L', 'O', 'B', 0};
static const WCHAR BCRYPT_DH_PUBLIC_BLOB[] = {'D', 'H', 'P', 'U', 'B', 'L', 'I', 'C', 'B', 'L', 'O', 'B', 0};
static const WCHAR BCRYPT_DH_PRIVATE_BLOB[] = {'D', 'H', 'P', 'R', 'I', 'V', 'A', 'T', 'E', 'B', 'L', 'O', 'B', 0};
static const WCHAR BCRYPT_OPAQUE_KEY_BLOB[] = {'O', 'p', 'a', 'q', 'u', 'e', 'K', 'e', 'y', 'B', 'l', 'o', 'b', 0};
static const WCHAR BCRYPT_KEY_DATA_BLOB[] = {'K', 'e', 'y', 'D', 'a', 't', 'a', 'B', 'l', 'o', 'b', 0};
static const WCHAR TLS_13_PRE_SHARED_KEY[] = {'T', 'L', 'S', '1', '3', 'P', 'R', 'E', 'S', 'H', 'A', 'R', 'E', 'D', 'K', 'E', 'Y', 0};
static const WCHAR SSL_ECCPUBLIC_BLOB[] = {'S', 'S', 'L', 'E', 'C', 'C', 'P', 'U', 'B', 'L', 'I', 'C', 'B', 'L', 'O', 'B', 0};
static const WCHAR SSL_ECDSA_ALGORITHM[] = {'E', 'C', 'D', 'S', 'A', 0};
static const WCHAR TLS_PSK_EXCHANGE[] = {'P', 'S', 'K', 0};
static const WCHAR TLS_RSA_PSK_EXCHANGE[] = {'R', 'S', 'A', '_', 'P', 'S', 'K', 0};
static const WCHAR SSL_KEY_TYPE_PROPERTY[] = {'K', 'E', 'Y', 'T', 'Y', 'P', 'E', 0};
static const WCHAR NCRYPT_ALGORITHM_GROUP_PROPERTY[] = {'A', 'l', 'g', 'o', 'r', 'i', 't', 'h', 'm', ' ', 'G', 'r', 'o', 'u', 'p', 0};
static const WCHAR NCRYPT_LENGTH_PROPERTY[] = {'L', 'e', 'n', 'g', 't', 'h', 0};
static const WCHAR BCRYPT_SHA1_ALGORITHM[] = {'S', 'H', 'A', '1', 0};
static const WCHAR BCRYPT_SHA256_ALGORITHM[] = {'S', 'H', 'A', '2', '5', '6', 0};
static const WCHAR BCRYPT_SHA384_ALGORITHM[] = {'S', 'H', 'A', '3', '8', '4', 0};
static const WCHAR BCRYPT_SHA512_ALGORITHM[] = {'S', 'H', 'A', '5', '1', '2', 0};
static const WCHAR BCRYPT_RSA_ALGORITHM[] = {'R', 'S', 'A', 0};
static const WCHAR BCRYPT_ECDSA_ALGORITHM[] = {'E', 'C', 'D', 'S', 'A', 0};

/* ---- Structures ----------------------------------------------------------------------- */

#define NCRYPT_SSL_MAX_NAME_SIZE 64
#define MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH 255
#define MSCRYPT_ECC_MAX_OID_LENGTH 255

typedef struct _NCRYPT_SSL_CIPHER_SUITE {
    DWORD dwProtocol;
    DWORD dwCipherSuite;
    DWORD dwBaseCipherSuite;
    WCHAR szCipherSuite[NCRYPT_SSL_MAX_NAME_SIZE];
    WCHAR szCipher[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwCipherLen;
    DWORD dwCipherBlockLen;
    WCHAR szHash[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwHashLen;
    WCHAR szExchange[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwMinExchangeLen;
    DWORD dwMaxExchangeLen;
    WCHAR szCertificate[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwKeyType;
} NCRYPT_SSL_CIPHER_SUITE;

typedef struct _NCRYPT_SSL_CIPHER_SUITE_EX {
    DWORD dwVersion;
    DWORD dwProtocol;
    DWORD dwCipherSuite;
    DWORD dwBaseCipherSuite;
    WCHAR szCipherSuite[NCRYPT_SSL_MAX_NAME_SIZE];
    WCHAR szCipher[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwCipherLen;
    DWORD dwCipherBlockLen;
    WCHAR szHash[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwHashLen;
    WCHAR szExchange[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwMinExchangeLen;
    DWORD dwMaxExchangeLen;
    WCHAR szCertificate[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD dwKeyType;
    WCHAR szCipherMode[NCRYPT_SSL_MAX_NAME_SIZE];
} NCRYPT_SSL_CIPHER_SUITE_EX;

typedef struct _NCRYPT_SSL_CIPHER_LENGTHS {
    DWORD cbLength;
    DWORD dwHeaderLen;
    DWORD dwFixedTrailerLen;
    DWORD dwMaxVariableTrailerLen;
    DWORD dwFlags;
} NCRYPT_SSL_CIPHER_LENGTHS;

typedef struct _NCRYPT_SSL_ECC_CURVE {
    WCHAR szCurveName[MSCRYPT_ECC_MAX_CURVE_NAME_LENGTH];
    CHAR szOID[MSCRYPT_ECC_MAX_OID_LENGTH];
    DWORD dwPublicKeyLength;
    DWORD dwCurveType;
    DWORD dwFlags;
} NCRYPT_SSL_ECC_CURVE, *PNCRYPT_SSL_ECC_CURVE;

typedef struct _SSL_ECCKEY_BLOB {
    ULONG dwCurveType;
    ULONG cbKey;
} SSL_ECCKEY_BLOB, *PSSL_ECCKEY_BLOB;

KEYWARD_STATIC_ASSERT(cipher_suite_size, sizeof(NCRYPT_SSL_CIPHER_SUITE) == 676);
KEYWARD_STATIC_ASSERT(cipher_suite_ex_size, sizeof(NCRYPT_SSL_CIPHER_SUITE_EX) == 808);
KEYWARD_STATIC_ASSERT(cipher_lengths_size, sizeof(NCRYPT_SSL_CIPHER_LENGTHS) == 20);
KEYWARD_STATIC_ASSERT(ecc_curve_size, sizeof(NCRYPT_SSL_ECC_CURVE) == 780);

/* ---- Functions ------------------------------------------------------------------------ */

/* Provider lifetime and enumeration */

SECURITY_STATUS WINAPI SslOpenProvider(
    NCRYPT_PROV_HANDLE *phSslProvider,
    LPCWSTR pszProviderName,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslIncrementProviderReferenceCount(
    NCRYPT_PROV_HANDLE hSslProvider);

SECURITY_STATUS WINAPI SslDecrementProviderReferenceCount(
    NCRYPT_PROV_HANDLE hSslProvider);

SECURITY_STATUS WINAPI SslEnumProtocolProviders(
    DWORD *pdwProviderCount,
    NCryptProviderName **ppProviderList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslFreeObject(
    NCRYPT_HANDLE hObject,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslFreeBuffer(
    PVOID pvInput);

SECURITY_STATUS WINAPI SslGetProviderProperty(
    NCRYPT_PROV_HANDLE hSslProvider,
    LPCWSTR pszProperty,
    PBYTE *ppbOutput,
    DWORD *pcbOutput,
    PVOID *ppEnumState,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslChangeNotify(
    HANDLE hEvent,
    DWORD dwFlags);

/* Cipher-suite information */

SECURITY_STATUS WINAPI SslEnumCipherSuites(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_SSL_CIPHER_SUITE **ppCipherSuite,
    PVOID *ppEnumState,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslEnumCipherSuitesEx(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_SSL_CIPHER_SUITE_EX **ppCipherSuite,
    PVOID *ppEnumState,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslLookupCipherSuiteInfo(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    NCRYPT_SSL_CIPHER_SUITE *pCipherSuite,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslLookupCipherLengths(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    NCRYPT_SSL_CIPHER_LENGTHS *pCipherLengths,
    DWORD cbCipherLengths,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslGetCipherSuitePRFHashAlgorithm(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    WCHAR szPRFHash[NCRYPT_SSL_MAX_NAME_SIZE],
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslEnumEccCurves(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD *pEccCurveCount,
    NCRYPT_SSL_ECC_CURVE **ppEccCurve,
    DWORD dwFlags);

/* Keys */

SECURITY_STATUS WINAPI SslOpenPrivateKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phPrivateKey,
    PCCERT_CONTEXT pCertContext,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslCreateEphemeralKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phEphemeralKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    DWORD dwKeyBitLen,
    PBYTE pbParams,
    DWORD cbParams,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslImportKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phKey,
    LPCWSTR pszBlobType,
    PBYTE pbKeyBlob,
    DWORD cbKeyBlob,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExportKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    LPCWSTR pszBlobType,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslGetKeyProperty(
    NCRYPT_KEY_HANDLE hKey,
    LPCWSTR pszProperty,
    PBYTE *ppbOutput,
    DWORD *pcbOutput,
    DWORD dwFlags);

/* Master secret (TLS 1.0-1.2) */

/* SslGenerateMasterKey with a DHE (FFDHE) key: the shared secret's leading zero bytes are
   stripped before it enters the PRF (RFC 5246 section 8.1.2), so the PRF's time depends on
   whether the secret starts with a zero byte (the Raccoon attack, 2020). That is harmless only
   when each ephemeral private key (SslCreateEphemeralKey) takes part in one key agreement:
   the attack needs many handshakes against the same private key, each leaking whether one
   related secret begins with a zero byte; with a fresh key an attacker learns that about a
   single secret, which no later handshake shares. Never reuse an ephemeral DH key across handshakes; the keyward TLS engine makes a fresh one
   for every handshake, on both sides. Prefer ECDHE, whose secrets are not stripped. */

SECURITY_STATUS WINAPI SslGenerateMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslImportMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbEncryptedKey,
    DWORD cbEncryptedKey,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslGeneratePreMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE *phPreMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslComputeSessionHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    DWORD dwProtocol,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

/* Session keys, handshake hash, Finished, CertificateVerify, exporters */

SECURITY_STATUS WINAPI SslGenerateSessionKeys(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_KEY_HANDLE *phReadKey,
    NCRYPT_KEY_HANDLE *phWriteKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslCreateHandshakeHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE *phHandshakeHash,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslHashHandshake(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    PBYTE pbInput,
    DWORD cbInput,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslDuplicateTranscriptHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hTranscriptHash,
    NCRYPT_HASH_HANDLE *phTranscriptHash,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslComputeFinishedHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslCreateClientAuthHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE *phHandshakeHash,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    LPCWSTR pszHashAlgId,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslComputeClientAuthHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    LPCWSTR pszAlgId,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslComputeEapKeyBlock(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    PBYTE pbRandoms,
    DWORD cbRandoms,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExportKeyingMaterial(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    PCHAR sLabel,
    PBYTE pbRandoms,
    DWORD cbRandoms,
    PBYTE pbContextValue,
    WORD cbContextValue,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD dwFlags);

/* Record protection */

SECURITY_STATUS WINAPI SslEncryptPacket(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    PBYTE pbInput,
    DWORD cbInput,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    ULONGLONG SequenceNumber,
    DWORD dwContentType,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslDecryptPacket(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    PBYTE pbInput,
    DWORD cbInput,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    ULONGLONG SequenceNumber,
    DWORD dwFlags);

/* Signatures */

SECURITY_STATUS WINAPI SslSignHash(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    PBYTE pbHashValue,
    DWORD cbHashValue,
    PBYTE pbSignature,
    DWORD cbSignature,
    DWORD *pcbResult,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslVerifySignature(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPublicKey,
    PBYTE pbHashValue,
    DWORD cbHashValue,
    PBYTE pbSignature,
    DWORD cbSignature,
    DWORD dwFlags);

/* TLS 1.3 key schedule */

SECURITY_STATUS WINAPI SslExtractEarlyKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPreSharedKey,
    NCRYPT_KEY_HANDLE *phEarlyKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExtractHandshakeKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE hEarlyKey,
    NCRYPT_KEY_HANDLE *phHandshakeKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExtractMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hHandshakeKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandTrafficKeys(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phClientTrafficKey,
    NCRYPT_KEY_HANDLE *phServerTrafficKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandWriteKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseTrafficKey,
    NCRYPT_KEY_HANDLE *phWriteKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandExporterMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phExporterMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandResumptionMasterKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phResumptionMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandBinderKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hEarlyKey,
    NCRYPT_KEY_HANDLE *phBinderKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

SECURITY_STATUS WINAPI SslExpandPreSharedKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hResumptionMasterKey,
    PBYTE pbTicketNonce,
    DWORD cbTicketNonce,
    NCRYPT_KEY_HANDLE *phPreSharedKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

/* ---- The function table (GetSChannelInterface) --------------------------------------- */

typedef SECURITY_STATUS (WINAPI *SslComputeClientAuthHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    LPCWSTR pszAlgId,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslComputeEapKeyBlockFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    PBYTE pbRandoms,
    DWORD cbRandoms,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslComputeFinishedHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslCreateEphemeralKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phEphemeralKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    DWORD dwKeyBitLen,
    PBYTE pbParams,
    DWORD cbParams,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslCreateHandshakeHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE *phHandshakeHash,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslDecryptPacketFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    PBYTE pbInput,
    DWORD cbInput,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    ULONGLONG SequenceNumber,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslEncryptPacketFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    PBYTE pbInput,
    DWORD cbInput,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    ULONGLONG SequenceNumber,
    DWORD dwContentType,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslEnumCipherSuitesFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_SSL_CIPHER_SUITE **ppCipherSuite,
    PVOID *ppEnumState,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExportKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hKey,
    LPCWSTR pszBlobType,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslFreeBufferFn)(
    PVOID pvInput);
typedef SECURITY_STATUS (WINAPI *SslFreeObjectFn)(
    NCRYPT_HANDLE hObject,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGenerateMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGenerateSessionKeysFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_KEY_HANDLE *phReadKey,
    NCRYPT_KEY_HANDLE *phWriteKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGetKeyPropertyFn)(
    NCRYPT_KEY_HANDLE hKey,
    LPCWSTR pszProperty,
    PBYTE *ppbOutput,
    DWORD *pcbOutput,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGetProviderPropertyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    LPCWSTR pszProperty,
    PBYTE *ppbOutput,
    DWORD *pcbOutput,
    PVOID *ppEnumState,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslHashHandshakeFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    PBYTE pbInput,
    DWORD cbInput,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslImportMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbEncryptedKey,
    DWORD cbEncryptedKey,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslImportKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phKey,
    LPCWSTR pszBlobType,
    PBYTE pbKeyBlob,
    DWORD cbKeyBlob,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslLookupCipherSuiteInfoFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    NCRYPT_SSL_CIPHER_SUITE *pCipherSuite,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslOpenPrivateKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE *phPrivateKey,
    PCCERT_CONTEXT pCertContext,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslOpenProviderFn)(
    NCRYPT_PROV_HANDLE *phSslProvider,
    LPCWSTR pszProviderName,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslSignHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    PBYTE pbHashValue,
    DWORD cbHashValue,
    PBYTE pbSignature,
    DWORD cbSignature,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslVerifySignatureFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPublicKey,
    PBYTE pbHashValue,
    DWORD cbHashValue,
    PBYTE pbSignature,
    DWORD cbSignature,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslLookupCipherLengthsFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    NCRYPT_SSL_CIPHER_LENGTHS *pCipherLengths,
    DWORD cbCipherLengths,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslCreateClientAuthHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE *phHandshakeHash,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    LPCWSTR pszHashAlgId,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGetCipherSuitePRFHashAlgorithmFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    DWORD dwKeyType,
    WCHAR szPRFHash[NCRYPT_SSL_MAX_NAME_SIZE],
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslComputeSessionHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hHandshakeHash,
    DWORD dwProtocol,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslGeneratePreMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE *phPreMasterKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD *pcbResult,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslEnumEccCurvesFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    DWORD *pEccCurveCount,
    NCRYPT_SSL_ECC_CURVE **ppEccCurve,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExportKeyingMaterialFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    PCHAR sLabel,
    PBYTE pbRandoms,
    DWORD cbRandoms,
    PBYTE pbContextValue,
    WORD cbContextValue,
    PBYTE pbOutput,
    DWORD cbOutput,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExtractEarlyKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPreSharedKey,
    NCRYPT_KEY_HANDLE *phEarlyKey,
    DWORD dwProtocol,
    DWORD dwCipherSuite,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExtractHandshakeKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_KEY_HANDLE hPublicKey,
    NCRYPT_KEY_HANDLE hEarlyKey,
    NCRYPT_KEY_HANDLE *phHandshakeKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExtractMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hHandshakeKey,
    NCRYPT_KEY_HANDLE *phMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandTrafficKeysFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phClientTrafficKey,
    NCRYPT_KEY_HANDLE *phServerTrafficKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandWriteKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseTrafficKey,
    NCRYPT_KEY_HANDLE *phWriteKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandExporterMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hBaseKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phExporterMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslEnumCipherSuitesExFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hPrivateKey,
    NCRYPT_SSL_CIPHER_SUITE_EX **ppCipherSuite,
    PVOID *ppEnumState,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandResumptionMasterKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hMasterKey,
    NCRYPT_HASH_HANDLE hHashValue,
    NCRYPT_KEY_HANDLE *phResumptionMasterKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslDuplicateTranscriptHashFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_HASH_HANDLE hTranscriptHash,
    NCRYPT_HASH_HANDLE *phTranscriptHash,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandBinderKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hEarlyKey,
    NCRYPT_KEY_HANDLE *phBinderKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);
typedef SECURITY_STATUS (WINAPI *SslExpandPreSharedKeyFn)(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hResumptionMasterKey,
    PBYTE pbTicketNonce,
    DWORD cbTicketNonce,
    NCRYPT_KEY_HANDLE *phPreSharedKey,
    PNCryptBufferDesc pParameterList,
    DWORD dwFlags);

typedef struct _NCRYPT_SSL_FUNCTION_TABLE {
    BCRYPT_INTERFACE_VERSION Version;
    SslComputeClientAuthHashFn ComputeClientAuthHash;
    SslComputeEapKeyBlockFn ComputeEapKeyBlock;
    SslComputeFinishedHashFn ComputeFinishedHash;
    SslCreateEphemeralKeyFn CreateEphemeralKey;
    SslCreateHandshakeHashFn CreateHandshakeHash;
    SslDecryptPacketFn DecryptPacket;
    SslEncryptPacketFn EncryptPacket;
    SslEnumCipherSuitesFn EnumCipherSuites;
    SslExportKeyFn ExportKey;
    SslFreeBufferFn FreeBuffer;
    SslFreeObjectFn FreeObject;
    SslGenerateMasterKeyFn GenerateMasterKey;
    SslGenerateSessionKeysFn GenerateSessionKeys;
    SslGetKeyPropertyFn GetKeyProperty;
    SslGetProviderPropertyFn GetProviderProperty;
    SslHashHandshakeFn HashHandshake;
    SslImportMasterKeyFn ImportMasterKey;
    SslImportKeyFn ImportKey;
    SslLookupCipherSuiteInfoFn LookupCipherSuiteInfo;
    SslOpenPrivateKeyFn OpenPrivateKey;
    SslOpenProviderFn OpenProvider;
    SslSignHashFn SignHash;
    SslVerifySignatureFn VerifySignature;
    SslLookupCipherLengthsFn LookupCipherLengths;
    SslCreateClientAuthHashFn CreateClientAuthHash;
    SslGetCipherSuitePRFHashAlgorithmFn GetCipherSuitePRFHashAlgorithm;
    SslComputeSessionHashFn ComputeSessionHash;
    SslGeneratePreMasterKeyFn GeneratePreMasterKey;
    SslEnumEccCurvesFn EnumEccCurves;
    SslExportKeyingMaterialFn ExportKeyingMaterial;
    SslExtractEarlyKeyFn ExtractEarlyKey;
    SslExtractHandshakeKeyFn ExtractHandshakeKey;
    SslExtractMasterKeyFn ExtractMasterKey;
    SslExpandTrafficKeysFn ExpandTrafficKeys;
    SslExpandWriteKeyFn ExpandWriteKey;
    SslExpandExporterMasterKeyFn ExpandExporterMasterKey;
    SslEnumCipherSuitesExFn EnumCipherSuitesEx;
    SslExpandResumptionMasterKeyFn ExpandResumptionMasterKey;
    SslDuplicateTranscriptHashFn DuplicateTranscriptHash;
    SslExpandBinderKeyFn ExpandBinderKey;
    SslExpandPreSharedKeyFn ExpandPreSharedKey;
} NCRYPT_SSL_FUNCTION_TABLE;

KEYWARD_STATIC_ASSERT(function_table_size, sizeof(NCRYPT_SSL_FUNCTION_TABLE) == sizeof(void *) + 41 * sizeof(void *));

/* Returns an NTSTATUS. The table is static, lives as long as the library, and must not be
 * written. */
NTSTATUS WINAPI GetSChannelInterface(
    LPCWSTR pszProviderName,
    NCRYPT_SSL_FUNCTION_TABLE **ppFunctionTable,
    DWORD dwFlags);

/* ---- keyward extensions ------------------------------------------------------------- */

/*
 * KeywardImportPrivateKey stores an unencrypted PKCS#8 private key (RSA 2048-4096, EC P-256 or
 * P-384) with its DER certificate under pszKeyName in the provider's key store (the directory
 * $KEYWARD_HOME, else $XDG_DATA_HOME/keyward, else ~/.local/share/keyward), so that
 * SslOpenPrivateKey finds it by certificate. A name already used: NTE_INVALID_PARAMETER;
 * a certificate that is not for the key: NTE_BAD_DATA; another key type: NTE_NOT_SUPPORTED.
 */
SECURITY_STATUS WINAPI KeywardImportPrivateKey(
    NCRYPT_PROV_HANDLE hSslProvider,
    LPCWSTR pszKeyName,
    PBYTE pbPkcs8,
    DWORD cbPkcs8,
    PBYTE pbCertificate,
    DWORD cbCertificate,
    DWORD dwFlags);

/*
 * KeywardUpdateTrafficSecret: the next TLS 1.3 application traffic secret (RFC 8446 section
 * 7.2, KeyUpdate) as a new handle; follow with SslExpandWriteKey. Windows documents no call
 * for this.
 */
SECURITY_STATUS WINAPI KeywardUpdateTrafficSecret(
    NCRYPT_PROV_HANDLE hSslProvider,
    NCRYPT_KEY_HANDLE hTrafficKey,
    NCRYPT_KEY_HANDLE *phNewTrafficKey,
    DWORD dwFlags);

#ifdef __cplusplus
}
#endif

#endif /* KEYWARD_SSLPROVIDER_H */

/*
 * cardmod.h: the smart-card minidriver of libkeyward (cardmod.h v7, "Smart Card Minidriver
 * Specification" v7), for keyward's GlobalPlatform SCP03 card. Names, types, parameter order,
 * structure layouts and status values are those of Microsoft's cardmod.h v7 and winerror.h;
 * keyward's own additions are prefixed Keyward / KEYWARD_.
 *
 * What is implemented: CardAcquireContext, CardDeleteContext, the shared key and secure key
 * injection calls (CardGetSharedKeyHandle, MDImportSessionKey, MDEncryptData,
 * CardImportSessionKey, CardProcessEncryptedData, CardDestroyKey, CardGetAlgorithmProperty,
 * CardGetKeyProperty, CardSetKeyProperty), CardGetProperty for the secure-key-injection
 * properties, CardGetContainerInfo, CardAuthenticateEx and CardDeauthenticateEx. The other
 * slots of CARD_DATA point at functions of the slot's type that return
 * SCARD_E_UNSUPPORTED_FEATURE; pfnCardDeauthenticate is NULL.
 *
 * The secure key injection flow with the shared key (one process may play both sides):
 *
 *   server: CARD_DATA s = {7, ..., pfnCspAlloc/ReAlloc/Free, hSCardCtx = hScard = 0,
 *                          pvVendorSpecific = &info (with the card's static keys)};
 *           CardAcquireContext(&s, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE);
 *   client: KeywardCardEstablishContext(&ctx); KeywardCardConnectVirtual(ctx, path, &card)
 *           (or KeywardCardConnectReader); KeywardCardGetAtr(card, atr, ...);
 *           CARD_DATA c = {7, atr, n, name, allocators, hSCardCtx = ctx, hScard = card};
 *           CardAcquireContext(&c, 0);
 *   relay:  s.pfnCardGetSharedKeyHandle(&s, NULL, 0, &m, &n, &hs)      HOST CHALLENGE
 *           c.pfnCardGetSharedKeyHandle(&c, m, n, &m2, &n2, &hc)       CARD CHALLENGE
 *           s.pfnCardGetSharedKeyHandle(&s, m2, n2, &m3, &n3, &hs)     EXTERNAL AUTHENTICATE; hs
 *           c.pfnCardGetSharedKeyHandle(&c, m3, n3, &m4, &n4, &hc)     no message; hc
 *           (each message is freed with pfnCspFree once passed on)
 *   inject: s.pfnMDEncryptData(&s, hs, CSF_AUTHENTICATE, payload, ..., &blobs, &count);
 *           c.pfnCardProcessEncryptedData(&c, hc, CSF_AUTHENTICATE, blobs, count, ...);
 *           s.pfnCspFree(blobs);
 *
 * The RSA-wrapped session key instead: the client reads the public key of a container with an
 * AT_KEYEXCHANGE RSA key (CardGetContainerInfo), the server wraps its AES key with it
 * (KeywardCardWrapSessionKey) and loads it (MDImportSessionKey), the client imports the
 * wrapped key (CardImportSessionKey); the client reads the key's CKP_INITIALIZATION_VECTOR
 * (the card's nonce) and the server sets it (CardSetKeyProperty) before MDEncryptData.
 *
 * CARD_DATA. The caller fills dwVersion .. pvVendorSpecific; CardAcquireContext lowers
 * dwVersion to min(dwVersion, 7) and fills the minidriver's slots up to that version only (a
 * caller of version 4, 5 or 6 may pass a structure that ends after its own slots); it never
 * touches the CSP's callbacks pfnCspGetDHAgreement and pfnCspUnpadData. pfnCspAlloc,
 * pfnCspReAlloc and pfnCspFree are required; the cache callbacks and pfnCspPadData are not
 * used.
 *
 * pvVendorSpecific. On entry to CardAcquireContext: NULL or a KEYWARD_CARD_VENDOR_INFO (read
 * during the call only): the card's static SCP03 keys (required in no-card mode; in card mode
 * only CardAuthenticateEx / CardDeauthenticateEx need them), the SCP03 security level, the
 * AID. On success the minidriver replaces it with its context, an opaque odd number that is
 * never dereferenced; every later call finds the context there, so leave it alone until
 * CardDeleteContext, which sets it back to NULL. A CARD_DATA without a live context (never
 * acquired, deleted, forged) gets SCARD_E_INVALID_HANDLE.
 *
 * Memory. Everything the minidriver returns in memory comes from pCardData->pfnCspAlloc and is
 * freed by the caller with pfnCspFree: *ppbOutput of CardGetSharedKeyHandle; the one block of
 * MDEncryptData (the CARD_ENCRYPTED_DATA array followed by the blobs it points into: free
 * *ppEncryptedData only); pbSigPublicKey / pbKeyExPublicKey of CardGetContainerInfo. If
 * pfnCspAlloc returns NULL the call fails with SCARD_E_NO_MEMORY.
 *
 * Buffers the caller provides. The property getters (CardGetProperty, CardGetAlgorithmProperty,
 * CardGetKeyProperty) always write the value's length to *pdwDataLen and return
 * ERROR_INSUFFICIENT_BUFFER when pbData is NULL or shorter, as the CardGetProperty page says.
 * CardProcessEncryptedData, KeywardCardGetAtr and KeywardCardWrapSessionKey return
 * SCARD_E_INSUFFICIENT_BUFFER with the needed length for a short buffer (for
 * CardProcessEncryptedData before anything is sent to the card).
 *
 * No-card mode (CARD_SECURE_KEY_INJECTION_NO_CARD_MODE, version 7 only): only
 * MDImportSessionKey, MDEncryptData, CardGetSharedKeyHandle, CardGetAlgorithmProperty,
 * CardDestroyKey, CardGetKeyProperty, CardSetKeyProperty and CardProcessEncryptedData are
 * allowed (and CardDeleteContext); CardGetProperty, CardGetContainerInfo,
 * CardImportSessionKey, CardAuthenticateEx and CardDeauthenticateEx return
 * SCARD_E_NO_SMARTCARD.
 *
 * Statuses are the Windows values of winerror.h: in particular SCARD_E_UNSUPPORTED_FEATURE is
 * 0x80100022, not pcsc-lite's 0x8010001F, so this header cannot be combined with pcsc-lite's
 * headers in one translation unit. The mapping of every failure is keyward-card's one error
 * table: SCARD_E_INVALID_PARAMETER (NULL or misaligned pointers, bad arguments, unknown flags,
 * properties or messages), SCARD_E_INVALID_HANDLE (unknown key, context or connection),
 * SCARD_E_INVALID_VALUE (a relayed message or call out of order, a replay),
 * SCARD_W_SECURITY_VIOLATION (a cryptogram or MAC that does not verify), SCARD_W_WRONG_CHV /
 * SCARD_W_CHV_BLOCKED (PINs), SCARD_E_NO_KEY_CONTAINER, SCARD_E_UNSUPPORTED_FEATURE,
 * SCARD_E_UNEXPECTED (a malformed answer), SCARD_F_INTERNAL_ERROR (storage, or a bug caught at
 * the boundary, which never unwinds into C). A failed call changes nothing unless its
 * description says otherwise.
 *
 * Threads. Every function may be called from any thread; the calls on one CARD_DATA are
 * serialized by the minidriver.
 *
 * The BCRYPT_* names the calls take (BCRYPT_KEY_DATA_BLOB, BCRYPT_RSA_ALGORITHM,
 * BCRYPT_SHA256_ALGORITHM, ...) come from sslprovider.h, which plays bcrypt.h here and is
 * included below.
 *
 * tests/header_card.rs checks every declaration here against the Rust side of libkeyward.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KEYWARD_CARDMOD_H
#define KEYWARD_CARDMOD_H

#include "keyward_wintypes.h"
#include "sslprovider.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Base types (windows.h, wincrypt.h, winscard.h) --------------------------------------- */

#ifndef KEYWARD_D3D11CRYPTOSESSION_H
typedef int32_t BOOL;
typedef size_t SIZE_T;
#endif
typedef void *LPVOID;
typedef DWORD *PDWORD;
typedef DWORD *LPDWORD;
typedef CHAR *LPSTR;
typedef const CHAR *LPCSTR;
typedef unsigned char UCHAR;
typedef UCHAR *PUCHAR;
typedef unsigned int ALG_ID;
typedef ULONG_PTR SCARDCONTEXT;
typedef ULONG_PTR SCARDHANDLE;

typedef struct _CARD_DATA CARD_DATA, *PCARD_DATA;
typedef ULONG_PTR CARD_KEY_HANDLE, *PCARD_KEY_HANDLE;
typedef DWORD PIN_ID, *PPIN_ID;
typedef DWORD PIN_SET, *PPIN_SET;

/* ---- Status values (winerror.h, the Windows values) ---------------------------------------- */

#define SCARD_S_SUCCESS 0
#define SCARD_F_INTERNAL_ERROR 0x80100001
#define SCARD_E_CANCELLED 0x80100002
#define SCARD_E_INVALID_HANDLE 0x80100003
#define SCARD_E_INVALID_PARAMETER 0x80100004
#define SCARD_E_NO_MEMORY 0x80100006
#define SCARD_E_INSUFFICIENT_BUFFER 0x80100008
#define SCARD_E_UNKNOWN_READER 0x80100009
#define SCARD_E_TIMEOUT 0x8010000A
#define SCARD_E_SHARING_VIOLATION 0x8010000B
#define SCARD_E_NO_SMARTCARD 0x8010000C
#define SCARD_E_PROTO_MISMATCH 0x8010000F
#define SCARD_E_NOT_READY 0x80100010
#define SCARD_E_INVALID_VALUE 0x80100011
#define SCARD_F_COMM_ERROR 0x80100013
#define SCARD_F_UNKNOWN_ERROR 0x80100014
#define SCARD_E_NOT_TRANSACTED 0x80100016
#define SCARD_E_READER_UNAVAILABLE 0x80100017
#define SCARD_E_NO_SERVICE 0x8010001D
#define SCARD_E_SERVICE_STOPPED 0x8010001E
#define SCARD_E_UNEXPECTED 0x8010001F
#define SCARD_E_UNSUPPORTED_FEATURE 0x80100022
#define SCARD_E_INVALID_CHV 0x8010002A
#define SCARD_E_NO_READERS_AVAILABLE 0x8010002E
#define SCARD_E_COMM_DATA_LOST 0x8010002F
#define SCARD_E_NO_KEY_CONTAINER 0x80100030
#define SCARD_W_UNRESPONSIVE_CARD 0x80100066
#define SCARD_W_UNPOWERED_CARD 0x80100067
#define SCARD_W_RESET_CARD 0x80100068
#define SCARD_W_REMOVED_CARD 0x80100069
#define SCARD_W_SECURITY_VIOLATION 0x8010006A
#define SCARD_W_WRONG_CHV 0x8010006B
#define SCARD_W_CHV_BLOCKED 0x8010006C
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_REVISION_MISMATCH 1306

/* ---- Constants (cardmod.h, wincrypt.h, bcrypt.h) ----------------------------------------- */

#define SCARD_PROVIDER_CARD_MODULE 0x80000001
#define CARD_DATA_VALUE_UNKNOWN 0xFFFFFFFF

#define CARD_DATA_VERSION_FOUR 4
#define CARD_DATA_VERSION_FIVE 5
#define CARD_DATA_VERSION_SIX 6
#define CARD_DATA_VERSION_SEVEN 7
#define CARD_DATA_CURRENT_VERSION 7

#define CARD_SECURE_KEY_INJECTION_NO_CARD_MODE 0x1

#define CARD_KEY_IMPORT_PLAIN_TEXT 0x1
#define CARD_KEY_IMPORT_RSA_KEYEST 0x2
#define CARD_KEY_IMPORT_ECC_KEYEST 0x4
#define CARD_KEY_IMPORT_SHARED_SYMMETRIC 0x8

#define CARD_CIPHER_OPERATION 0x1
#define CARD_ASYMMETRIC_OPERATION 0x2
#define CARD_BLOCK_PADDING 0x1

#define CARD_PADDING_INFO_PRESENT 0x40000000
#define CARD_BUFFER_SIZE_ONLY 0x20000000
#define CARD_PADDING_NONE 0x1
#define CARD_PADDING_PKCS1 0x2
#define CARD_PADDING_PSS 0x4
#define CARD_PADDING_OAEP 0x8
#define CARD_RETURN_KEY_HANDLE 0x1000000

#define CARD_IMPORT_KEYPAIR_VERSION_SEVEN 7
#define CARD_IMPORT_KEYPAIR_CURRENT_VERSION 7
#define CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN 7
#define CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION 7
#define CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN 7
#define CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION 7
#define CARD_AUTHENTICATE_VERSION_SEVEN 7
#define CARD_AUTHENTICATE_CURRENT_VERSION 7
#define CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN 7
#define CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION 7

#define CONTAINER_INFO_CURRENT_VERSION 1
#define CARD_CAPABILITIES_CURRENT_VERSION 1
#define CARD_FILE_INFO_CURRENT_VERSION 1
#define CARD_FREE_SPACE_INFO_CURRENT_VERSION 1
#define CARD_KEY_SIZES_CURRENT_VERSION 1
#define CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE 1
#define CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO 2
#define CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION 2
#define CARD_SIGNING_INFO_BASIC_VERSION 1
#define CARD_SIGNING_INFO_CURRENT_VERSION 2
#define CARD_DH_AGREEMENT_INFO_VERSION 2
#define CARD_DERIVE_KEY_VERSION 1
#define CARD_DERIVE_KEY_VERSION_TWO 2
#define CARD_DERIVE_KEY_CURRENT_VERSION 2
#define CARD_CREATE_CONTAINER_KEY_GEN 1
#define CARD_CREATE_CONTAINER_KEY_IMPORT 2

#define AT_KEYEXCHANGE 1
#define AT_SIGNATURE 2
#define AT_ECDSA_P256 3
#define AT_ECDSA_P384 4
#define AT_ECDSA_P521 5
#define AT_ECDHE_P256 6
#define AT_ECDHE_P384 7
#define AT_ECDHE_P521 8

#define MAX_PINS 8
#define ROLE_EVERYONE 0
#define ROLE_USER 1
#define ROLE_ADMIN 2
#define PIN_SET_NONE 0x00
#define PIN_SET_ALL_ROLES 0xFF
#define CREATE_PIN_SET(PinId) (1 << (PinId))
#define PIN_CHANGE_FLAG_UNBLOCK 0x01
#define PIN_CHANGE_FLAG_CHANGEPIN 0x02
#define CARD_AUTHENTICATE_GENERATE_SESSION_PIN 0x10000000
#define CARD_AUTHENTICATE_SESSION_PIN 0x20000000
#define CARD_PIN_STRENGTH_PLAINTEXT 0x1
#define CARD_PIN_STRENGTH_SESSION_PIN 0x2
#define CARD_PIN_SILENT_CONTEXT 0x00000040
#define CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE 1
#define CARD_AUTHENTICATE_PIN_PIN 2
#define PIN_INFO_CURRENT_VERSION 6
#define PIN_CACHE_POLICY_CURRENT_VERSION 6

#define PUBLICKEYBLOB 0x6
#define CUR_BLOB_VERSION 2
#define CALG_RSA_KEYX 0xA400
#define CALG_RSA_SIGN 0x2400
#define RSA1_MAGIC 0x31415352
#define BCRYPT_ECDH_PUBLIC_P256_MAGIC 0x314B4345
#define BCRYPT_ECDSA_PUBLIC_P256_MAGIC 0x31534345
#define BCRYPT_KEY_DATA_BLOB_MAGIC 0x4D42444B
#define BCRYPT_KEY_DATA_BLOB_VERSION1 1

/* keyward: KEYWARD_CARD_VENDOR_INFO. */
#define KEYWARD_CARD_VENDOR_INFO_VERSION 1
#define KEYWARD_CARD_SECURITY_LEVEL_DEFAULT 0
#define KEYWARD_CARD_SECURITY_LEVEL_C_DECRYPTION 0x03
#define KEYWARD_CARD_SECURITY_LEVEL_C_DECRYPTION_R_MAC 0x13
#define KEYWARD_CARD_SECURITY_LEVEL_FULL 0x33
#define KEYWARD_CARD_MAX_KEY_SIZE 32

typedef enum {
    InvalidDirAc = 0,
    UserCreateDeleteDirAc = 1,
    AdminCreateDeleteDirAc = 2
} CARD_DIRECTORY_ACCESS_CONDITION;

typedef enum {
    InvalidAc = 0,
    EveryoneReadUserWriteAc = 1,
    UserWriteExecuteAc = 2,
    EveryoneReadAdminWriteAc = 3,
    UnknownAc = 4,
    UserReadWriteAc = 5,
    AdminReadWriteAc = 6
} CARD_FILE_ACCESS_CONDITION;

/* UTF-16 strings (the L"..." macros of cardmod.h), as arrays. CP_CARD_* are answered with
 * SCARD_E_UNSUPPORTED_FEATURE by CardGetProperty. */
static const WCHAR CP_CARD_FREE_SPACE[] = {'F', 'r', 'e', 'e', ' ', 'S', 'p', 'a', 'c', 'e', 0};
static const WCHAR CP_CARD_CAPABILITIES[] = {'C', 'a', 'p', 'a', 'b', 'i', 'l', 'i', 't', 'i', 'e', 's', 0};
static const WCHAR CP_CARD_KEYSIZES[] = {'K', 'e', 'y', ' ', 'S', 'i', 'z', 'e', 's', 0};
static const WCHAR CP_CARD_READ_ONLY[] = {'R', 'e', 'a', 'd', ' ', 'O', 'n', 'l', 'y', ' ', 'M', 'o', 'd', 'e', 0};
static const WCHAR CP_CARD_CACHE_MODE[] = {'C', 'a', 'c', 'h', 'e', ' ', 'M', 'o', 'd', 'e', 0};
static const WCHAR CP_SUPPORTS_WIN_X509_ENROLLMENT[] = {'S', 'u', 'p', 'p', 'o', 'r', 't', 's', ' ', 'W', 'i', 'n', 'd', 'o', 'w', 's', ' ', 'x', '.', '5', '0', '9', ' ', 'E', 'n', 'r', 'o', 'l', 'l', 'm', 'e', 'n', 't', 0};
static const WCHAR CP_CARD_GUID[] = {'C', 'a', 'r', 'd', ' ', 'I', 'd', 'e', 'n', 't', 'i', 'f', 'i', 'e', 'r', 0};
static const WCHAR CP_CARD_SERIAL_NO[] = {'C', 'a', 'r', 'd', ' ', 'S', 'e', 'r', 'i', 'a', 'l', ' ', 'N', 'u', 'm', 'b', 'e', 'r', 0};
static const WCHAR CP_CARD_PIN_INFO[] = {'P', 'I', 'N', ' ', 'I', 'n', 'f', 'o', 'r', 'm', 'a', 't', 'i', 'o', 'n', 0};
static const WCHAR CP_CARD_LIST_PINS[] = {'P', 'I', 'N', ' ', 'L', 'i', 's', 't', 0};
static const WCHAR CP_CARD_AUTHENTICATED_STATE[] = {'A', 'u', 't', 'h', 'e', 'n', 't', 'i', 'c', 'a', 't', 'e', 'd', ' ', 'S', 't', 'a', 't', 'e', 0};
static const WCHAR CP_CARD_PIN_STRENGTH_VERIFY[] = {'P', 'I', 'N', ' ', 'S', 't', 'r', 'e', 'n', 'g', 't', 'h', ' ', 'V', 'e', 'r', 'i', 'f', 'y', 0};
static const WCHAR CP_CARD_PIN_STRENGTH_CHANGE[] = {'P', 'I', 'N', ' ', 'S', 't', 'r', 'e', 'n', 'g', 't', 'h', ' ', 'C', 'h', 'a', 'n', 'g', 'e', 0};
static const WCHAR CP_CARD_PIN_STRENGTH_UNBLOCK[] = {'P', 'I', 'N', ' ', 'S', 't', 'r', 'e', 'n', 'g', 't', 'h', ' ', 'U', 'n', 'b', 'l', 'o', 'c', 'k', 0};
static const WCHAR CP_PARENT_WINDOW[] = {'P', 'a', 'r', 'e', 'n', 't', ' ', 'W', 'i', 'n', 'd', 'o', 'w', 0};
static const WCHAR CP_PIN_CONTEXT_STRING[] = {'P', 'I', 'N', ' ', 'C', 'o', 'n', 't', 'e', 'x', 't', ' ', 'S', 't', 'r', 'i', 'n', 'g', 0};
static const WCHAR CP_KEY_IMPORT_SUPPORT[] = {'K', 'e', 'y', ' ', 'I', 'm', 'p', 'o', 'r', 't', ' ', 'S', 'u', 'p', 'p', 'o', 'r', 't', 0};
static const WCHAR CP_ENUM_ALGORITHMS[] = {'A', 'l', 'g', 'o', 'r', 'i', 't', 'h', 'm', 's', 0};
static const WCHAR CP_PADDING_SCHEMES[] = {'P', 'a', 'd', 'd', 'i', 'n', 'g', ' ', 'S', 'c', 'h', 'e', 'm', 'e', 's', 0};
static const WCHAR CP_CHAINING_MODES[] = {'C', 'h', 'a', 'i', 'n', 'i', 'n', 'g', ' ', 'M', 'o', 'd', 'e', 's', 0};
static const WCHAR CSF_IMPORT_KEYPAIR[] = {'I', 'm', 'p', 'o', 'r', 't', ' ', 'K', 'e', 'y', ' ', 'P', 'a', 'i', 'r', 0};
static const WCHAR CSF_CHANGE_AUTHENTICATOR[] = {'C', 'h', 'a', 'n', 'g', 'e', ' ', 'A', 'u', 't', 'h', 'e', 'n', 't', 'i', 'c', 'a', 't', 'o', 'r', 0};
static const WCHAR CSF_AUTHENTICATE[] = {'A', 'u', 't', 'h', 'e', 'n', 't', 'i', 'c', 'a', 't', 'e', 0};
static const WCHAR CKP_CHAINING_MODE[] = {'C', 'h', 'a', 'i', 'n', 'i', 'n', 'g', 'M', 'o', 'd', 'e', 0};
static const WCHAR CKP_INITIALIZATION_VECTOR[] = {'I', 'V', 0};
static const WCHAR CKP_BLOCK_LENGTH[] = {'B', 'l', 'o', 'c', 'k', 'L', 'e', 'n', 'g', 't', 'h', 0};
static const WCHAR CARD_3DES_112_ALGORITHM[] = {'3', 'D', 'E', 'S', '_', '1', '1', '2', 0};
static const WCHAR CARD_3DES_ALGORITHM[] = {'3', 'D', 'E', 'S', 0};
static const WCHAR CARD_AES_ALGORITHM[] = {'A', 'E', 'S', 0};
static const WCHAR CARD_CHAIN_MODE_CBC[] = {'C', 'h', 'a', 'i', 'n', 'i', 'n', 'g', 'M', 'o', 'd', 'e', 'C', 'B', 'C', 0};
static const WCHAR BCRYPT_KEY_LENGTHS[] = {'K', 'e', 'y', 'L', 'e', 'n', 'g', 't', 'h', 's', 0};
static const WCHAR wszCARD_USER_EVERYONE[] = {'a', 'n', 'o', 'n', 'y', 'm', 'o', 'u', 's', 0};
static const WCHAR wszCARD_USER_USER[] = {'u', 's', 'e', 'r', 0};
static const WCHAR wszCARD_USER_ADMIN[] = {'a', 'd', 'm', 'i', 'n', 0};

/* ---- Structures --------------------------------------------------------------------------- */

typedef struct _CARD_CAPABILITIES {
    DWORD dwVersion;
    BOOL fCertificateCompression;
    BOOL fKeyGen;
} CARD_CAPABILITIES, *PCARD_CAPABILITIES;

/* CardGetContainerInfo: pbSigPublicKey / pbKeyExPublicKey come from pfnCspAlloc (free them
 * with pfnCspFree): an RSA key as a PUBLICKEYBLOB (BLOBHEADER, RSAPUBKEY, modulus
 * little-endian), an EC P-256 key as a BCRYPT_ECCKEY_BLOB (X, Y big-endian). */
typedef struct _CONTAINER_INFO {
    DWORD dwVersion;
    DWORD dwReserved;
    DWORD cbSigPublicKey;
    PBYTE pbSigPublicKey;
    DWORD cbKeyExPublicKey;
    PBYTE pbKeyExPublicKey;
} CONTAINER_INFO, *PCONTAINER_INFO;

typedef struct _CARD_FILE_INFO {
    DWORD dwVersion;
    DWORD cbFileSize;
    CARD_FILE_ACCESS_CONDITION AccessCondition;
} CARD_FILE_INFO, *PCARD_FILE_INFO;

typedef struct _CARD_FREE_SPACE_INFO {
    DWORD dwVersion;
    DWORD dwBytesAvailable;
    DWORD dwKeyContainersAvailable;
    DWORD dwMaxKeyContainers;
} CARD_FREE_SPACE_INFO, *PCARD_FREE_SPACE_INFO;

typedef struct _CARD_KEY_SIZES {
    DWORD dwVersion;
    DWORD dwMinimumBitlen;
    DWORD dwDefaultBitlen;
    DWORD dwMaximumBitlen;
    DWORD dwIncrementalBitlen;
} CARD_KEY_SIZES, *PCARD_KEY_SIZES;

typedef struct _CARD_RSA_DECRYPT_INFO {
    DWORD dwVersion;
    BYTE bContainerIndex;
    DWORD dwKeySpec;
    PBYTE pbData;
    DWORD cbData;
    LPVOID pPaddingInfo;
    DWORD dwPaddingType;
} CARD_RSA_DECRYPT_INFO, *PCARD_RSA_DECRYPT_INFO;

typedef struct _CARD_SIGNING_INFO {
    DWORD dwVersion;
    BYTE bContainerIndex;
    DWORD dwKeySpec;
    DWORD dwSigningFlags;
    ALG_ID aiHashAlg;
    PBYTE pbData;
    DWORD cbData;
    PBYTE pbSignedData;
    DWORD cbSignedData;
    LPVOID pPaddingInfo;
    DWORD dwPaddingType;
} CARD_SIGNING_INFO, *PCARD_SIGNING_INFO;

typedef struct _CARD_DH_AGREEMENT_INFO {
    DWORD dwVersion;
    BYTE bContainerIndex;
    DWORD dwFlags;
    DWORD dwPublicKey;
    PBYTE pbPublicKey;
    PBYTE pbReserved;
    DWORD cbReserved;
    BYTE bSecretAgreementIndex;
} CARD_DH_AGREEMENT_INFO, *PCARD_DH_AGREEMENT_INFO;

typedef struct _CARD_DERIVE_KEY {
    DWORD dwVersion;
    DWORD dwFlags;
    LPWSTR pwszKDF;
    BYTE bSecretAgreementIndex;
    PVOID pParameterList;
    PBYTE pbDerivedKey;
    DWORD cbDerivedKey;
    LPWSTR pwszAlgId;
    DWORD dwKeyLen;
    CARD_KEY_HANDLE hKey;
} CARD_DERIVE_KEY, *PCARD_DERIVE_KEY;

/* One blob of MDEncryptData / CardProcessEncryptedData. */
typedef struct _CARD_ENCRYPTED_DATA {
    PBYTE pbEncryptedData;
    DWORD cbEncryptedData;
} CARD_ENCRYPTED_DATA, *PCARD_ENCRYPTED_DATA;

/* The secure-function payloads of MDEncryptData: the structure, then its data right after it
 * (the input length covers both). keyward takes the key of CARD_IMPORT_KEYPAIR as PKCS#8
 * (RSA-2048 or EC P-256, dwKeySize in bits). */
typedef struct _CARD_IMPORT_KEYPAIR {
    DWORD dwVersion;
    BYTE bContainerIndex;
    PIN_ID PinId;
    DWORD dwKeySpec;
    DWORD dwKeySize;
    DWORD cbInput;
    BYTE pbInput[];
} CARD_IMPORT_KEYPAIR, *PCARD_IMPORT_KEYPAIR;

/* pbAuthenticatingPinData = pbData; pbTargetData = pbData + cbAuthenticatingPinData. */
typedef struct _CARD_CHANGE_AUTHENTICATOR {
    DWORD dwVersion;
    DWORD dwFlags;
    PIN_ID dwAuthenticatingPinId;
    DWORD cbAuthenticatingPinData;
    PIN_ID dwTargetPinId;
    DWORD cbTargetData;
    DWORD cRetryCount;
    BYTE pbData[];
} CARD_CHANGE_AUTHENTICATOR, *PCARD_CHANGE_AUTHENTICATOR;

/* The CardProcessEncryptedData output of CSF_CHANGE_AUTHENTICATOR. */
typedef struct _CARD_CHANGE_AUTHENTICATOR_RESPONSE {
    DWORD dwVersion;
    DWORD cAttemptsRemaining;
} CARD_CHANGE_AUTHENTICATOR_RESPONSE, *PCARD_CHANGE_AUTHENTICATOR_RESPONSE;

typedef struct _CARD_AUTHENTICATE {
    DWORD dwVersion;
    DWORD dwFlags;
    PIN_ID PinId;
    DWORD cbPinData;
    BYTE pbPinData[];
} CARD_AUTHENTICATE, *PCARD_AUTHENTICATE;

/* The CardProcessEncryptedData output of CSF_AUTHENTICATE (no session PIN). */
typedef struct _CARD_AUTHENTICATE_RESPONSE {
    DWORD dwVersion;
    DWORD cbSessionPin;
    DWORD cAttemptsRemaining;
    BYTE pbSessionPin[];
} CARD_AUTHENTICATE_RESPONSE, *PCARD_AUTHENTICATE_RESPONSE;

/* bcrypt.h: pPaddingInfo of CardImportSessionKey with CARD_PADDING_OAEP. */
typedef struct _BCRYPT_OAEP_PADDING_INFO {
    LPCWSTR pszAlgId;
    PUCHAR pbLabel;
    ULONG cbLabel;
} BCRYPT_OAEP_PADDING_INFO;

/* bcrypt.h: the BCRYPT_KEY_LENGTHS property. */
typedef struct _BCRYPT_KEY_LENGTHS_STRUCT {
    ULONG dwMinLength;
    ULONG dwMaxLength;
    ULONG dwIncrement;
} BCRYPT_KEY_LENGTHS_STRUCT;

/* bcrypt.h: the head of a BCRYPT_KEY_DATA_BLOB (the key follows). */
typedef struct _BCRYPT_KEY_DATA_BLOB_HEADER {
    ULONG dwMagic;
    ULONG dwVersion;
    ULONG cbKeyData;
} BCRYPT_KEY_DATA_BLOB_HEADER;

/* wincrypt.h: the head of a PUBLICKEYBLOB. */
typedef struct _BLOBHEADER {
    BYTE bType;
    BYTE bVersion;
    WORD reserved;
    ALG_ID aiKeyAlg;
} BLOBHEADER, PUBLICKEYSTRUC;

/* wincrypt.h: follows the BLOBHEADER of an RSA PUBLICKEYBLOB; the modulus follows. */
typedef struct _RSAPUBKEY {
    DWORD magic;
    DWORD bitlen;
    DWORD pubexp;
} RSAPUBKEY;

/* bcrypt.h: the head of an ECC public key; X and Y follow. */
typedef struct _BCRYPT_ECCKEY_BLOB {
    ULONG dwMagic;
    ULONG cbKey;
} BCRYPT_ECCKEY_BLOB;

/* keyward: a static SCP03 keyset (the first cbKey bytes of each array). */
typedef struct _KEYWARD_CARD_KEYSET {
    DWORD dwKeyVersion;
    DWORD cbKey;
    BYTE rgbEnc[32];
    BYTE rgbMac[32];
    BYTE rgbDek[32];
} KEYWARD_CARD_KEYSET, *PKEYWARD_CARD_KEYSET;

/* keyward: what pvVendorSpecific points to when CardAcquireContext is called (or NULL for
 * the defaults: no static keys, security level 33, AID A000000151000000). */
typedef struct _KEYWARD_CARD_VENDOR_INFO {
    DWORD dwVersion;
    DWORD dwSecurityLevel;
    const KEYWARD_CARD_KEYSET *pStaticKeys;
    const BYTE *pbAid;
    DWORD cbAid;
} KEYWARD_CARD_VENDOR_INFO, *PKEYWARD_CARD_VENDOR_INFO;

/* ---- Function-pointer types ---------------------------------------------------------------- */

typedef DWORD (WINAPI *PFN_CARD_ACQUIRE_CONTEXT)(PCARD_DATA pCardData, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_DELETE_CONTEXT)(PCARD_DATA pCardData);
typedef DWORD (WINAPI *PFN_CARD_QUERY_CAPABILITIES)(PCARD_DATA pCardData, PCARD_CAPABILITIES pCardCapabilities);
typedef DWORD (WINAPI *PFN_CARD_DELETE_CONTAINER)(PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwReserved);
typedef DWORD (WINAPI *PFN_CARD_CREATE_CONTAINER)(PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
        DWORD dwKeySpec, DWORD dwKeySize, PBYTE pbKeyData);
typedef DWORD (WINAPI *PFN_CARD_CREATE_CONTAINER_EX)(PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
        DWORD dwKeySpec, DWORD dwKeySize, PBYTE pbKeyData, PIN_ID PinId);
typedef DWORD (WINAPI *PFN_CARD_GET_CONTAINER_INFO)(PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
        PCONTAINER_INFO pContainerInfo);
typedef DWORD (WINAPI *PFN_CARD_AUTHENTICATE_PIN)(PCARD_DATA pCardData, LPWSTR pwszUserId, PBYTE pbPin,
        DWORD cbPin, PDWORD pcAttemptsRemaining);
typedef DWORD (WINAPI *PFN_CARD_GET_CHALLENGE)(PCARD_DATA pCardData, PBYTE *ppbChallengeData,
        PDWORD pcbChallengeData);
typedef DWORD (WINAPI *PFN_CARD_AUTHENTICATE_CHALLENGE)(PCARD_DATA pCardData, PBYTE pbResponseData,
        DWORD cbResponseData, PDWORD pcAttemptsRemaining);
typedef DWORD (WINAPI *PFN_CARD_UNBLOCK_PIN)(PCARD_DATA pCardData, LPWSTR pwszUserId,
        PBYTE pbAuthenticationData, DWORD cbAuthenticationData, PBYTE pbNewPinData, DWORD cbNewPinData,
        DWORD cRetryCount, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_CHANGE_AUTHENTICATOR)(PCARD_DATA pCardData, LPWSTR pwszUserId,
        PBYTE pbCurrentAuthenticator, DWORD cbCurrentAuthenticator, PBYTE pbNewAuthenticator,
        DWORD cbNewAuthenticator, DWORD cRetryCount, DWORD dwFlags, PDWORD pcAttemptsRemaining);
typedef DWORD (WINAPI *PFN_CARD_DEAUTHENTICATE)(PCARD_DATA pCardData, LPWSTR pwszUserId, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_CREATE_DIRECTORY)(PCARD_DATA pCardData, LPSTR pszDirectoryName,
        CARD_DIRECTORY_ACCESS_CONDITION AccessCondition);
typedef DWORD (WINAPI *PFN_CARD_DELETE_DIRECTORY)(PCARD_DATA pCardData, LPSTR pszDirectoryName);
typedef DWORD (WINAPI *PFN_CARD_CREATE_FILE)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
        DWORD cbInitialCreationSize, CARD_FILE_ACCESS_CONDITION AccessCondition);
typedef DWORD (WINAPI *PFN_CARD_READ_FILE)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
        DWORD dwFlags, PBYTE *ppbData, PDWORD pcbData);
typedef DWORD (WINAPI *PFN_CARD_WRITE_FILE)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
        DWORD dwFlags, PBYTE pbData, DWORD cbData);
typedef DWORD (WINAPI *PFN_CARD_DELETE_FILE)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
        DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_ENUM_FILES)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR *pmszFileNames,
        LPDWORD pdwcbFileName, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_GET_FILE_INFO)(PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
        PCARD_FILE_INFO pCardFileInfo);
typedef DWORD (WINAPI *PFN_CARD_QUERY_FREE_SPACE)(PCARD_DATA pCardData, DWORD dwFlags,
        PCARD_FREE_SPACE_INFO pCardFreeSpaceInfo);
typedef DWORD (WINAPI *PFN_CARD_QUERY_KEY_SIZES)(PCARD_DATA pCardData, DWORD dwKeySpec, DWORD dwFlags,
        PCARD_KEY_SIZES pKeySizes);
typedef DWORD (WINAPI *PFN_CARD_SIGN_DATA)(PCARD_DATA pCardData, PCARD_SIGNING_INFO pInfo);
typedef DWORD (WINAPI *PFN_CARD_RSA_DECRYPT)(PCARD_DATA pCardData, PCARD_RSA_DECRYPT_INFO pInfo);
typedef DWORD (WINAPI *PFN_CARD_CONSTRUCT_DH_AGREEMENT)(PCARD_DATA pCardData,
        PCARD_DH_AGREEMENT_INFO pAgreementInfo);
typedef DWORD (WINAPI *PFN_CARD_DERIVE_KEY)(PCARD_DATA pCardData, PCARD_DERIVE_KEY pAgreementInfo);
typedef DWORD (WINAPI *PFN_CARD_DESTROY_DH_AGREEMENT)(PCARD_DATA pCardData, BYTE bSecretAgreementIndex,
        DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CSP_GET_DH_AGREEMENT)(PCARD_DATA pCardData, PVOID hSecretAgreement,
        BYTE *pbSecretAgreementIndex, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_GET_CHALLENGE_EX)(PCARD_DATA pCardData, PIN_ID PinId, PBYTE *ppbChallengeData,
        PDWORD pcbChallengeData, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_AUTHENTICATE_EX)(PCARD_DATA pCardData, PIN_ID PinId, DWORD dwFlags,
        PBYTE pbPinData, DWORD cbPinData, PBYTE *ppbSessionPin, PDWORD pcbSessionPin,
        PDWORD pcAttemptsRemaining);
typedef DWORD (WINAPI *PFN_CARD_CHANGE_AUTHENTICATOR_EX)(PCARD_DATA pCardData, DWORD dwFlags,
        PIN_ID dwAuthenticatingPinId, PBYTE pbAuthenticatingPinData, DWORD cbAuthenticatingPinData,
        PIN_ID dwTargetPinId, PBYTE pbTargetData, DWORD cbTargetData, DWORD cRetryCount,
        PDWORD pcAttemptsRemaining);
typedef DWORD (WINAPI *PFN_CARD_DEAUTHENTICATE_EX)(PCARD_DATA pCardData, PIN_SET PinId, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_GET_CONTAINER_PROPERTY)(PCARD_DATA pCardData, BYTE bContainerIndex,
        LPCWSTR wszProperty, PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_SET_CONTAINER_PROPERTY)(PCARD_DATA pCardData, BYTE bContainerIndex,
        LPCWSTR wszProperty, PBYTE pbData, DWORD cbDataLen, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_GET_PROPERTY)(PCARD_DATA pCardData, LPCWSTR wszProperty, PBYTE pbData,
        DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_SET_PROPERTY)(PCARD_DATA pCardData, LPCWSTR wszProperty, PBYTE pbData,
        DWORD cbDataLen, DWORD dwFlags);

/* The CSP's callbacks: memory, cache, padding. */
typedef LPVOID (WINAPI *PFN_CSP_ALLOC)(SIZE_T Size);
typedef LPVOID (WINAPI *PFN_CSP_REALLOC)(LPVOID Address, SIZE_T Size);
typedef void (WINAPI *PFN_CSP_FREE)(LPVOID Address);
typedef DWORD (WINAPI *PFN_CSP_CACHE_ADD_FILE)(PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags,
        PBYTE pbData, DWORD cbData);
typedef DWORD (WINAPI *PFN_CSP_CACHE_LOOKUP_FILE)(PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags,
        PBYTE *ppbData, PDWORD pcbData);
typedef DWORD (WINAPI *PFN_CSP_CACHE_DELETE_FILE)(PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CSP_PAD_DATA)(PCARD_SIGNING_INFO pSigningInfo, DWORD cbMaxWidth,
        DWORD *pcbPaddedBuffer, PBYTE *ppbPaddedBuffer);
typedef DWORD (WINAPI *PFN_CSP_UNPAD_DATA)(PCARD_RSA_DECRYPT_INFO pRSADecryptInfo, DWORD *pcbUnpaddedData,
        PBYTE *ppbUnpaddedData);

/* Secure key injection (v7). */
typedef DWORD (WINAPI *PFN_MD_IMPORT_SESSION_KEY)(PCARD_DATA pCardData, LPCWSTR pwszBlobType,
        LPCWSTR pwszAlgId, PCARD_KEY_HANDLE phKey, PBYTE pbInput, DWORD cbInput);
typedef DWORD (WINAPI *PFN_MD_ENCRYPT_DATA)(PCARD_DATA pCardData, CARD_KEY_HANDLE hKey,
        LPCWSTR pwszSecureFunction, PBYTE pbInput, DWORD cbInput, DWORD dwFlags,
        PCARD_ENCRYPTED_DATA *ppEncryptedData, PDWORD pcEncryptedData);
typedef DWORD (WINAPI *PFN_CARD_GET_SHARED_KEY_HANDLE)(PCARD_DATA pCardData, PBYTE pbInput, DWORD cbInput,
        PBYTE *ppbOutput, PDWORD pcbOutput, PCARD_KEY_HANDLE phKey);
typedef DWORD (WINAPI *PFN_CARD_DESTROY_KEY)(PCARD_DATA pCardData, CARD_KEY_HANDLE hKey);
typedef DWORD (WINAPI *PFN_CARD_GET_ALGORITHM_PROPERTY)(PCARD_DATA pCardData, LPCWSTR pwszAlgId,
        LPCWSTR pwszProperty, PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_GET_KEY_PROPERTY)(PCARD_DATA pCardData, CARD_KEY_HANDLE hKey,
        LPCWSTR pwszProperty, PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_SET_KEY_PROPERTY)(PCARD_DATA pCardData, CARD_KEY_HANDLE hKey,
        LPCWSTR pwszProperty, PBYTE pbInput, DWORD cbInput, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_IMPORT_SESSION_KEY)(PCARD_DATA pCardData, BYTE bContainerIndex,
        LPVOID pPaddingInfo, LPCWSTR pwszBlobType, LPCWSTR pwszAlgId, PCARD_KEY_HANDLE phKey,
        PBYTE pbInput, DWORD cbInput, DWORD dwFlags);
typedef DWORD (WINAPI *PFN_CARD_PROCESS_ENCRYPTED_DATA)(PCARD_DATA pCardData, CARD_KEY_HANDLE hKey,
        LPCWSTR pwszSecureFunction, PCARD_ENCRYPTED_DATA pEncryptedData, DWORD cEncryptedData,
        PBYTE pbOutput, DWORD cbOutput, PDWORD pdwOutputLen, DWORD dwFlags);

/* ---- CARD_DATA ------------------------------------------------------------------------------ */

/* The caller fills dwVersion .. pvVendorSpecific; CardAcquireContext fills the minidriver's
 * slots up to the negotiated version. A version-N caller's structure may end after the slots of
 * version N (x86_64: 328 bytes for 4, 352 for 5, 416 for 6, 504 for 7). */
struct _CARD_DATA {
    DWORD dwVersion;
    PBYTE pbAtr;
    DWORD cbAtr;
    LPWSTR pwszCardName;
    PFN_CSP_ALLOC pfnCspAlloc;
    PFN_CSP_REALLOC pfnCspReAlloc;
    PFN_CSP_FREE pfnCspFree;
    PFN_CSP_CACHE_ADD_FILE pfnCspCacheAddFile;
    PFN_CSP_CACHE_LOOKUP_FILE pfnCspCacheLookupFile;
    PFN_CSP_CACHE_DELETE_FILE pfnCspCacheDeleteFile;
    PVOID pvCacheContext;
    PFN_CSP_PAD_DATA pfnCspPadData;
    SCARDCONTEXT hSCardCtx;
    SCARDHANDLE hScard;
    PVOID pvVendorSpecific;
    PFN_CARD_DELETE_CONTEXT pfnCardDeleteContext;
    PFN_CARD_QUERY_CAPABILITIES pfnCardQueryCapabilities;
    PFN_CARD_DELETE_CONTAINER pfnCardDeleteContainer;
    PFN_CARD_CREATE_CONTAINER pfnCardCreateContainer;
    PFN_CARD_GET_CONTAINER_INFO pfnCardGetContainerInfo;
    PFN_CARD_AUTHENTICATE_PIN pfnCardAuthenticatePin;
    PFN_CARD_GET_CHALLENGE pfnCardGetChallenge;
    PFN_CARD_AUTHENTICATE_CHALLENGE pfnCardAuthenticateChallenge;
    PFN_CARD_UNBLOCK_PIN pfnCardUnblockPin;
    PFN_CARD_CHANGE_AUTHENTICATOR pfnCardChangeAuthenticator;
    PFN_CARD_DEAUTHENTICATE pfnCardDeauthenticate;
    PFN_CARD_CREATE_DIRECTORY pfnCardCreateDirectory;
    PFN_CARD_DELETE_DIRECTORY pfnCardDeleteDirectory;
    LPVOID pvUnused3;
    LPVOID pvUnused4;
    PFN_CARD_CREATE_FILE pfnCardCreateFile;
    PFN_CARD_READ_FILE pfnCardReadFile;
    PFN_CARD_WRITE_FILE pfnCardWriteFile;
    PFN_CARD_DELETE_FILE pfnCardDeleteFile;
    PFN_CARD_ENUM_FILES pfnCardEnumFiles;
    PFN_CARD_GET_FILE_INFO pfnCardGetFileInfo;
    PFN_CARD_QUERY_FREE_SPACE pfnCardQueryFreeSpace;
    PFN_CARD_QUERY_KEY_SIZES pfnCardQueryKeySizes;
    PFN_CARD_SIGN_DATA pfnCardSignData;
    PFN_CARD_RSA_DECRYPT pfnCardRSADecrypt;
    PFN_CARD_CONSTRUCT_DH_AGREEMENT pfnCardConstructDHAgreement;
    PFN_CARD_DERIVE_KEY pfnCardDeriveKey;
    PFN_CARD_DESTROY_DH_AGREEMENT pfnCardDestroyDHAgreement;
    PFN_CSP_GET_DH_AGREEMENT pfnCspGetDHAgreement;
    PFN_CARD_GET_CHALLENGE_EX pfnCardGetChallengeEx;
    PFN_CARD_AUTHENTICATE_EX pfnCardAuthenticateEx;
    PFN_CARD_CHANGE_AUTHENTICATOR_EX pfnCardChangeAuthenticatorEx;
    PFN_CARD_DEAUTHENTICATE_EX pfnCardDeauthenticateEx;
    PFN_CARD_GET_CONTAINER_PROPERTY pfnCardGetContainerProperty;
    PFN_CARD_SET_CONTAINER_PROPERTY pfnCardSetContainerProperty;
    PFN_CARD_GET_PROPERTY pfnCardGetProperty;
    PFN_CARD_SET_PROPERTY pfnCardSetProperty;
    PFN_CSP_UNPAD_DATA pfnCspUnpadData;
    PFN_MD_IMPORT_SESSION_KEY pfnMDImportSessionKey;
    PFN_MD_ENCRYPT_DATA pfnMDEncryptData;
    PFN_CARD_IMPORT_SESSION_KEY pfnCardImportSessionKey;
    PFN_CARD_GET_SHARED_KEY_HANDLE pfnCardGetSharedKeyHandle;
    PFN_CARD_GET_ALGORITHM_PROPERTY pfnCardGetAlgorithmProperty;
    PFN_CARD_GET_KEY_PROPERTY pfnCardGetKeyProperty;
    PFN_CARD_SET_KEY_PROPERTY pfnCardSetKeyProperty;
    PFN_CARD_DESTROY_KEY pfnCardDestroyKey;
    PFN_CARD_PROCESS_ENCRYPTED_DATA pfnCardProcessEncryptedData;
    PFN_CARD_CREATE_CONTAINER_EX pfnCardCreateContainerEx;
};

/* ---- Layout checks -------------------------------------------------------------------------- */

KEYWARD_STATIC_ASSERT(card_import_keypair_size, sizeof(CARD_IMPORT_KEYPAIR) == 24);
KEYWARD_STATIC_ASSERT(card_change_authenticator_size, sizeof(CARD_CHANGE_AUTHENTICATOR) == 28);
KEYWARD_STATIC_ASSERT(card_change_authenticator_response_size, sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE) == 8);
KEYWARD_STATIC_ASSERT(card_authenticate_size, sizeof(CARD_AUTHENTICATE) == 16);
KEYWARD_STATIC_ASSERT(card_authenticate_response_size, sizeof(CARD_AUTHENTICATE_RESPONSE) == 12);
KEYWARD_STATIC_ASSERT(blobheader_size, sizeof(BLOBHEADER) == 8);
KEYWARD_STATIC_ASSERT(rsapubkey_size, sizeof(RSAPUBKEY) == 12);
KEYWARD_STATIC_ASSERT(ecckey_blob_size, sizeof(BCRYPT_ECCKEY_BLOB) == 8);
KEYWARD_STATIC_ASSERT(key_data_blob_header_size, sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) == 12);
KEYWARD_STATIC_ASSERT(key_lengths_size, sizeof(BCRYPT_KEY_LENGTHS_STRUCT) == 12);
KEYWARD_STATIC_ASSERT(keyset_size, sizeof(KEYWARD_CARD_KEYSET) == 104);

#if defined(__x86_64__) || defined(_M_X64)
KEYWARD_STATIC_ASSERT(card_data_size, sizeof(CARD_DATA) == 504);
KEYWARD_STATIC_ASSERT(card_data_hscard, offsetof(CARD_DATA, hScard) == 104);
KEYWARD_STATIC_ASSERT(card_data_vendor, offsetof(CARD_DATA, pvVendorSpecific) == 112);
KEYWARD_STATIC_ASSERT(card_data_delete_context, offsetof(CARD_DATA, pfnCardDeleteContext) == 120);
KEYWARD_STATIC_ASSERT(card_data_derive_key, offsetof(CARD_DATA, pfnCardDeriveKey) == 328);
KEYWARD_STATIC_ASSERT(card_data_get_challenge_ex, offsetof(CARD_DATA, pfnCardGetChallengeEx) == 352);
KEYWARD_STATIC_ASSERT(card_data_set_property, offsetof(CARD_DATA, pfnCardSetProperty) == 408);
KEYWARD_STATIC_ASSERT(card_data_unpad_data, offsetof(CARD_DATA, pfnCspUnpadData) == 416);
KEYWARD_STATIC_ASSERT(card_data_md_import_session_key, offsetof(CARD_DATA, pfnMDImportSessionKey) == 424);
KEYWARD_STATIC_ASSERT(card_data_get_shared_key_handle, offsetof(CARD_DATA, pfnCardGetSharedKeyHandle) == 448);
KEYWARD_STATIC_ASSERT(card_data_get_key_property, offsetof(CARD_DATA, pfnCardGetKeyProperty) == 464);
KEYWARD_STATIC_ASSERT(card_data_process_encrypted_data, offsetof(CARD_DATA, pfnCardProcessEncryptedData) == 488);
KEYWARD_STATIC_ASSERT(card_data_create_container_ex, offsetof(CARD_DATA, pfnCardCreateContainerEx) == 496);
KEYWARD_STATIC_ASSERT(card_encrypted_data_size, sizeof(CARD_ENCRYPTED_DATA) == 16);
KEYWARD_STATIC_ASSERT(container_info_size, sizeof(CONTAINER_INFO) == 40);
KEYWARD_STATIC_ASSERT(container_info_keyex, offsetof(CONTAINER_INFO, pbKeyExPublicKey) == 32);
KEYWARD_STATIC_ASSERT(card_signing_info_size, sizeof(CARD_SIGNING_INFO) == 72);
KEYWARD_STATIC_ASSERT(card_rsa_decrypt_info_size, sizeof(CARD_RSA_DECRYPT_INFO) == 48);
KEYWARD_STATIC_ASSERT(card_dh_agreement_info_size, sizeof(CARD_DH_AGREEMENT_INFO) == 40);
KEYWARD_STATIC_ASSERT(card_derive_key_size, sizeof(CARD_DERIVE_KEY) == 72);
KEYWARD_STATIC_ASSERT(oaep_padding_info_size, sizeof(BCRYPT_OAEP_PADDING_INFO) == 24);
KEYWARD_STATIC_ASSERT(vendor_info_size, sizeof(KEYWARD_CARD_VENDOR_INFO) == 32);
KEYWARD_STATIC_ASSERT(vendor_info_aid, offsetof(KEYWARD_CARD_VENDOR_INFO, pbAid) == 16);
#endif

/* ---- Minidriver functions ------------------------------------------------------------------- */

/* Checks *pCardData and dwFlags (0 or CARD_SECURE_KEY_INJECTION_NO_CARD_MODE), negotiates
 * dwVersion, keeps the context in pvVendorSpecific and fills the slots. dwVersion below 4:
 * ERROR_REVISION_MISMATCH; missing allocator callbacks, unknown flags, no-card mode with
 * handles or without static keys or below version 7, card mode without ATR or name:
 * SCARD_E_INVALID_PARAMETER; card mode with a zero, unknown or foreign hSCardCtx / hScard:
 * SCARD_E_INVALID_HANDLE. */
DWORD WINAPI CardAcquireContext(
    PCARD_DATA pCardData,
    DWORD dwFlags);

/* Frees the context and its keys; pvVendorSpecific becomes NULL. */
DWORD WINAPI CardDeleteContext(
    PCARD_DATA pCardData);

/* The public key of a container (dwFlags 0; pContainerInfo->dwVersion at most 1). Ends the
 * card's secure channel session. Empty container: SCARD_E_NO_KEY_CONTAINER. */
DWORD WINAPI CardGetContainerInfo(
    PCARD_DATA pCardData,
    BYTE bContainerIndex,
    DWORD dwFlags,
    PCONTAINER_INFO pContainerInfo);

/* A plain PIN for ROLE_USER or ROLE_ADMIN (dwFlags 0 or CARD_PIN_SILENT_CONTEXT). Needs the
 * static keys in the vendor information (else SCARD_E_UNSUPPORTED_FEATURE); ends the card's
 * secure channel session. Wrong PIN: SCARD_W_WRONG_CHV and *pcAttemptsRemaining. */
DWORD WINAPI CardAuthenticateEx(
    PCARD_DATA pCardData,
    PIN_ID PinId,
    DWORD dwFlags,
    PBYTE pbPinData,
    DWORD cbPinData,
    PBYTE *ppbSessionPin,
    PDWORD pcbSessionPin,
    PDWORD pcAttemptsRemaining);

/* Clears the verified state of the PINs in the PIN_SET PinId (dwFlags 0). */
DWORD WINAPI CardDeauthenticateEx(
    PCARD_DATA pCardData,
    PIN_SET PinId,
    DWORD dwFlags);

/* CP_KEY_IMPORT_SUPPORT (DWORD), CP_ENUM_ALGORITHMS and CP_CHAINING_MODES (UTF-16
 * multi-strings), CP_PADDING_SCHEMES (DWORD); the other CP_* are SCARD_E_UNSUPPORTED_FEATURE. */
DWORD WINAPI CardGetProperty(
    PCARD_DATA pCardData,
    LPCWSTR wszProperty,
    PBYTE pbData,
    DWORD cbData,
    PDWORD pdwDataLen,
    DWORD dwFlags);

/* Client: imports a session key wrapped with the RSA key of a container (dwFlags
 * CARD_PADDING_OAEP, pPaddingInfo a BCRYPT_OAEP_PADDING_INFO, BCRYPT_KEY_DATA_BLOB, AES). */
DWORD WINAPI CardImportSessionKey(
    PCARD_DATA pCardData,
    BYTE bContainerIndex,
    LPVOID pPaddingInfo,
    LPCWSTR pwszBlobType,
    LPCWSTR pwszAlgId,
    PCARD_KEY_HANDLE phKey,
    PBYTE pbInput,
    DWORD cbInput,
    DWORD dwFlags);

/* One step of the relayed shared-key establishment (see the top of this file). *ppbOutput
 * from pfnCspAlloc; *phKey 0 until this side is complete. */
DWORD WINAPI CardGetSharedKeyHandle(
    PCARD_DATA pCardData,
    PBYTE pbInput,
    DWORD cbInput,
    PBYTE *ppbOutput,
    PDWORD pcbOutput,
    PCARD_KEY_HANDLE phKey);

/* Forgets a key; unknown handle: SCARD_E_INVALID_HANDLE. */
DWORD WINAPI CardDestroyKey(
    PCARD_DATA pCardData,
    CARD_KEY_HANDLE hKey);

/* AES: CKP_CHAINING_MODE, CKP_BLOCK_LENGTH, BCRYPT_KEY_LENGTHS; RSA: BCRYPT_KEY_LENGTHS. */
DWORD WINAPI CardGetAlgorithmProperty(
    PCARD_DATA pCardData,
    LPCWSTR pwszAlgId,
    LPCWSTR pwszProperty,
    PBYTE pbData,
    DWORD cbData,
    PDWORD pdwDataLen,
    DWORD dwFlags);

/* CKP_CHAINING_MODE, CKP_BLOCK_LENGTH; CKP_INITIALIZATION_VECTOR of a session key. */
DWORD WINAPI CardGetKeyProperty(
    PCARD_DATA pCardData,
    CARD_KEY_HANDLE hKey,
    LPCWSTR pwszProperty,
    PBYTE pbData,
    DWORD cbData,
    PDWORD pdwDataLen,
    DWORD dwFlags);

/* CKP_CHAINING_MODE (CARD_CHAIN_MODE_CBC); CKP_INITIALIZATION_VECTOR of a session key. */
DWORD WINAPI CardSetKeyProperty(
    PCARD_DATA pCardData,
    CARD_KEY_HANDLE hKey,
    LPCWSTR pwszProperty,
    PBYTE pbInput,
    DWORD cbInput,
    DWORD dwFlags);

/* Server: loads an AES session key (BCRYPT_KEY_DATA_BLOB). */
DWORD WINAPI MDImportSessionKey(
    PCARD_DATA pCardData,
    LPCWSTR pwszBlobType,
    LPCWSTR pwszAlgId,
    PCARD_KEY_HANDLE phKey,
    PBYTE pbInput,
    DWORD cbInput);

/* Server: wraps a secure-function payload into blobs (dwFlags 0). *ppEncryptedData is one
 * pfnCspAlloc block (the array, then the blobs): free it, and only it, with pfnCspFree. */
DWORD WINAPI MDEncryptData(
    PCARD_DATA pCardData,
    CARD_KEY_HANDLE hKey,
    LPCWSTR pwszSecureFunction,
    PBYTE pbInput,
    DWORD cbInput,
    DWORD dwFlags,
    PCARD_ENCRYPTED_DATA *ppEncryptedData,
    PDWORD pcEncryptedData);

/* Client: sends the blobs of a secure function to the card (dwFlags 0); the response
 * structure (CARD_AUTHENTICATE_RESPONSE, CARD_CHANGE_AUTHENTICATOR_RESPONSE, nothing for
 * CSF_IMPORT_KEYPAIR) goes to pbOutput, also on a wrong PIN. */
DWORD WINAPI CardProcessEncryptedData(
    PCARD_DATA pCardData,
    CARD_KEY_HANDLE hKey,
    LPCWSTR pwszSecureFunction,
    PCARD_ENCRYPTED_DATA pEncryptedData,
    DWORD cEncryptedData,
    PBYTE pbOutput,
    DWORD cbOutput,
    PDWORD pdwOutputLen,
    DWORD dwFlags);

/* ---- keyward extensions: the caller's side -------------------------------------------------- */

/* A resource-manager context for CARD_DATA.hSCardCtx (the stand-in for SCardEstablishContext). */
DWORD WINAPI KeywardCardEstablishContext(
    SCARDCONTEXT *phSCardCtx);

/* Releases a context and disconnects its cards. */
DWORD WINAPI KeywardCardReleaseContext(
    SCARDCONTEXT hSCardCtx);

/* A connection to the virtual card whose state file is pszStatePath, for CARD_DATA.hScard.
 * Connections to one file in this process share one card (do not use the file from another
 * process at the same time). Missing file: SCARD_F_INTERNAL_ERROR. */
DWORD WINAPI KeywardCardConnectVirtual(
    SCARDCONTEXT hSCardCtx,
    LPCSTR pszStatePath,
    SCARDHANDLE *phScard);

/* A PC/SC (pcscd) connection to the card in the first reader whose name contains pszReader
 * ("" for the first reader), for CARD_DATA.hScard. */
DWORD WINAPI KeywardCardConnectReader(
    SCARDCONTEXT hSCardCtx,
    LPCSTR pszReader,
    SCARDHANDLE *phScard);

/* Closes a connection; contexts acquired over it then get SCARD_E_INVALID_HANDLE from card
 * calls. */
DWORD WINAPI KeywardCardDisconnect(
    SCARDHANDLE hScard);

/* The card's ATR, for CARD_DATA.pbAtr: *pcbAtr always gets the length; NULL pbAtr asks for
 * the length only; a short buffer is SCARD_E_INSUFFICIENT_BUFFER. */
DWORD WINAPI KeywardCardGetAtr(
    SCARDHANDLE hScard,
    PBYTE pbAtr,
    DWORD cbAtr,
    PDWORD pcbAtr);

/* Creates a virtual card at pszStatePath (a new file): the keyset, user and admin PINs of 4 to
 * 16 bytes (3 tries each), eight empty containers. */
DWORD WINAPI KeywardCardCreateVirtualCard(
    LPCSTR pszStatePath,
    const KEYWARD_CARD_KEYSET *pKeys,
    const BYTE *pbUserPin,
    DWORD cbUserPin,
    const BYTE *pbAdminPin,
    DWORD cbAdminPin);

/* The server's half of an RSA-wrapped session key (BCryptEncrypt with OAEP on Windows): the
 * AES key pbSessionKey (16, 24 or 32 bytes) as a BCRYPT_KEY_DATA_BLOB, RSAES-OAEP with the
 * hash pszOaepAlgId (BCRYPT_SHA1_ALGORITHM .. BCRYPT_SHA512_ALGORITHM, empty label) under the
 * PUBLICKEYBLOB of CardGetContainerInfo. Output rule as KeywardCardGetAtr. */
DWORD WINAPI KeywardCardWrapSessionKey(
    const BYTE *pbPublicKeyBlob,
    DWORD cbPublicKeyBlob,
    LPCWSTR pszOaepAlgId,
    const BYTE *pbSessionKey,
    DWORD cbSessionKey,
    PBYTE pbOutput,
    DWORD cbOutput,
    PDWORD pcbResult);

#ifdef __cplusplus
}
#endif

#endif /* KEYWARD_CARDMOD_H */

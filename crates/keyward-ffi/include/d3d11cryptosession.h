/*
 * d3d11cryptosession.h: the Direct3D 11 crypto session of libkeyward, as the crypto-session
 * functions of the D3D11.1 user-mode driver DDI (d3d10umddi.h): names, parameter types and
 * order, structure layouts and HRESULTs are those of the Windows headers. keyward's own
 * additions are prefixed Keyward.
 *
 * libkeyward plays the driver: a software video device for D3D11_CRYPTO_TYPE_AES128_CTR with
 * D3D11_KEY_EXCHANGE_RSAES_OAEP (RSAES-OAEP with SHA-512, MGF1-SHA-512, empty label, under
 * an RSA-2048 device key whose certificate chain GetCertificate returns) and no decoder
 * profile. A C program plays the D3D runtime and the application:
 *
 *   D3D10DDI_HDEVICE dev;  KeywardD3D11OpenDevice(&dev);
 *   D3D11_1DDIARG_CREATECRYPTOSESSION args = {D3D11_CRYPTO_TYPE_AES128_CTR, {0},
 *                                             D3D11_KEY_EXCHANGE_RSAES_OAEP};
 *   D3D11_1DDI_HCRYPTOSESSION cs = {malloc(CalcPrivateCryptoSessionSize(dev, &args))};
 *   CreateCryptoSession(dev, &args, cs, rt);           returns S_OK
 *   GetCertificateSize / GetCertificate                 the chain (leaf first, DER)
 *   KeywardD3D11BuildSessionKeyBlob(chain, n, key, blob);
 *   NegotiateCryptoSessionKeyExchange(dev, cs, 256, blob);
 *   DecryptionBlt / EncryptionBlt / key refresh         on KeywardD3D11CreateResource surfaces
 *   DestroyCryptoSession(dev, cs); free(cs.pDrvPrivate); KeywardD3D11CloseDevice(dev);
 *
 * Handles. D3D10DDI_HDEVICE and D3D10DDI_HRESOURCE hold opaque handles in pDrvPrivate (random
 * numbers, never dereferenced). D3D11_1DDI_HCRYPTOSESSION holds memory the caller allocates
 * (CalcPrivateCryptoSessionSize bytes, aligned to 8) and frees after DestroyCryptoSession; the
 * library keeps a magic number and a handle there and checks both on every call. A handle that
 * names nothing (closed, destroyed, forged, of the wrong kind) is E_HANDLE; a session of
 * another device, or a resource of another device, is E_INVALIDARG; never undefined behaviour.
 *
 * Errors of the VOID functions. DestroyCryptoSession, GetCertificateSize, GetCertificate,
 * EncryptionBlt, DecryptionBlt, StartSessionKeyRefresh, FinishSessionKeyRefresh and
 * GetEncryptionBltKey return VOID, as in the DDI, where a driver reports failures through the
 * runtime's pfnSetErrorCb. libkeyward records the outcome of each such call on its device
 * instead: KeywardD3D11GetLastError(hDevice) returns S_OK after a successful call and the
 * HRESULT of a failed one. (A VOID call made with a handle that names no device records
 * nothing.) A failed call changes nothing.
 *
 * HRESULTs: S_OK; E_INVALIDARG (bad pointer, size, argument, key-exchange blob, certificate
 * chain, session or resource of another device); E_HANDLE (destroyed session, unknown
 * handle); D3DDDIERR_UNSUPPORTEDCRYPTO (crypto type, decoder profile or key exchange other
 * than the one supported); DXGI_ERROR_INVALID_CALL (call out of order: no session key yet, no
 * refresh started, no readback key); E_FAIL (key store or backend failure; also a bug caught
 * at the boundary, which never unwinds into C).
 *
 * The layouts of the choices Windows leaves open (certificate chain container, AES-CTR counter
 * block, partial-encryption stream) are described in keyward-cryptosession's README section.
 * Every function may be called from any thread; a device closed or a session destroyed while
 * another thread uses it makes that call finish or fail cleanly (the session memory itself must
 * stay allocated until DestroyCryptoSession has returned).
 *
 * tests/header_d3d11.rs checks every declaration here against the Rust side of libkeyward.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KEYWARD_D3D11CRYPTOSESSION_H
#define KEYWARD_D3D11CRYPTOSESSION_H

#include "keyward_wintypes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Base types (windows.h, guiddef.h) --------------------------------------------------- */

#ifndef APIENTRY
#define APIENTRY WINAPI
#endif

#ifndef VOID
#define VOID void
#endif

typedef uint32_t UINT;
typedef uint64_t UINT64;
typedef int32_t BOOL;
typedef LONG HRESULT;
typedef size_t SIZE_T;

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    BYTE Data4[8];
} GUID;
#endif

/* ---- HRESULTs (winerror.h, d3dumddi.h, dxgi.h) ------------------------------------------- */

#ifndef S_OK
#define S_OK ((HRESULT)0x00000000L)
#endif
#ifndef E_FAIL
#define E_FAIL ((HRESULT)0x80004005L)
#endif
#ifndef E_ACCESSDENIED
#define E_ACCESSDENIED ((HRESULT)0x80070005L)
#endif
#ifndef E_HANDLE
#define E_HANDLE ((HRESULT)0x80070006L)
#endif
#ifndef E_OUTOFMEMORY
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#endif
#ifndef E_INVALIDARG
#define E_INVALIDARG ((HRESULT)0x80070057L)
#endif
#ifndef D3DDDIERR_UNSUPPORTEDCRYPTO
#define D3DDDIERR_UNSUPPORTEDCRYPTO ((HRESULT)0x8876087EL)
#endif
#ifndef DXGI_ERROR_INVALID_CALL
#define DXGI_ERROR_INVALID_CALL ((HRESULT)0x887A0001L)
#endif

/* ---- Constants ---------------------------------------------------------------------------- */

/* keyward: the AES-128 session key (and content, readback, refresh keys), in bytes. */
#define KEYWARD_D3D11_SESSION_KEY_SIZE 16
/* keyward: the RSAES-OAEP key-exchange blob of NegotiateCryptoSessionKeyExchange, in bytes. */
#define KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE 256

/* {9B6BD711-4F74-41C9-9E7B-0BE2D7D93B4F}: the one supported crypto type. */
static const GUID D3D11_CRYPTO_TYPE_AES128_CTR = {0x9b6bd711, 0x4f74, 0x41c9, {0x9e, 0x7b, 0x0b, 0xe2, 0xd7, 0xd9, 0x3b, 0x4f}};
/* {AB4E9AFD-1D1C-46E6-A72F-0869917B0DE8}: not supported. */
static const GUID D3DCRYPTOTYPE_PROPRIETARY = {0xab4e9afd, 0x1d1c, 0x46e6, {0xa7, 0x2f, 0x08, 0x69, 0x91, 0x7b, 0x0d, 0xe8}};
/* {C1949895-D72A-4A1D-8E5D-ED857D171520}: the one supported key exchange. */
static const GUID D3D11_KEY_EXCHANGE_RSAES_OAEP = {0xc1949895, 0xd72a, 0x4a1d, {0x8e, 0x5d, 0xed, 0x85, 0x7d, 0x17, 0x15, 0x20}};
/* {43D3775C-38E5-4924-8D86-D3FCCF153E9B}: not supported. */
static const GUID D3DKEYEXCHANGE_DXVA = {0x43d3775c, 0x38e5, 0x4924, {0x8d, 0x86, 0xd3, 0xfc, 0xcf, 0x15, 0x3e, 0x9b}};
/* {B1170D8A-628D-4DA3-AD3B-82DDB08B4970}: not supported. */
static const GUID D3D11_KEY_EXCHANGE_HW_PROTECTION = {0xb1170d8a, 0x628d, 0x4da3, {0xad, 0x3b, 0x82, 0xdd, 0xb0, 0x8b, 0x49, 0x70}};

typedef enum D3D11_1DDI_CONTENT_PROTECTION_CAPS {
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_SOFTWARE = 0x00000001,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_HARDWARE = 0x00000002,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_PROTECTION_ALWAYS_ON = 0x00000004,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_PARTIAL_DECRYPTION = 0x00000008,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_CONTENT_KEY = 0x00000010,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_FRESHEN_SESSION_KEY = 0x00000020,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK = 0x00000040,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY = 0x00000080,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_SEQUENTIAL_CTR_IV = 0x00000100,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPT_SLICEDATA_ONLY = 0x00000200,
    D3D11_1DDI_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT = 0x00000400
} D3D11_1DDI_CONTENT_PROTECTION_CAPS;

typedef enum D3D11_1DDI_CERTIFICATE_TYPE {
    D3D11_1DDI_CERTIFICATE_TYPE_AUTHENTICATED_CHANNEL = 1,
    D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION = 2
} D3D11_1DDI_CERTIFICATE_TYPE;

typedef enum D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE {
    D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_SOFTWARE = 2,
    D3D11_1DDI_AUTHENTICATED_CHANNEL_DRIVER_HARDWARE = 3
} D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE;

/* ---- Handles and structures (d3d10umddi.h) ------------------------------------------------ */

typedef struct D3D10DDI_HDEVICE {
    VOID *pDrvPrivate;
} D3D10DDI_HDEVICE;

typedef struct D3D10DDI_HRESOURCE {
    VOID *pDrvPrivate;
} D3D10DDI_HRESOURCE;

typedef struct D3D11_1DDI_HCRYPTOSESSION {
    VOID *pDrvPrivate;
} D3D11_1DDI_HCRYPTOSESSION;

typedef struct D3D11_1DDI_HRTCRYPTOSESSION {
    VOID *handle;
} D3D11_1DDI_HRTCRYPTOSESSION;

typedef struct D3D11_1DDIARG_CREATECRYPTOSESSION {
    GUID CryptoType;
    GUID DecodeProfile;
    GUID KeyExchangeType;
} D3D11_1DDIARG_CREATECRYPTOSESSION;

typedef struct D3D11_1DDI_CERTIFICATE_INFO {
    D3D11_1DDI_CERTIFICATE_TYPE CertificateType;
    union {
        D3D11_1DDI_AUTHENTICATED_CHANNEL_TYPE ChannelType;
        GUID CryptoSessionType;
    };
} D3D11_1DDI_CERTIFICATE_INFO;

typedef struct D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS {
    UINT Caps;
    UINT KeyExchangeTypeCount;
    UINT BlockAlignmentSize;
    ULONGLONG ProtectedMemorySize;
} D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS;

typedef struct D3D11_1DDI_ENCRYPTED_BLOCK_INFO {
    UINT NumEncryptedBytesAtBeginning;
    UINT NumBytesInSkipPattern;
    UINT NumBytesInEncryptPattern;
} D3D11_1DDI_ENCRYPTED_BLOCK_INFO;

/* Both fields are big-endian in memory: the 16 bytes as they lie there are the initial
 * AES-CTR counter block IV || Count, incremented as one 128-bit big-endian number. */
typedef struct D3D11_1DDI_AES_CTR_IV {
    UINT64 IV;
    UINT64 Count;
} D3D11_1DDI_AES_CTR_IV;

KEYWARD_STATIC_ASSERT(guid_size, sizeof(GUID) == 16);
KEYWARD_STATIC_ASSERT(create_crypto_session_size, sizeof(D3D11_1DDIARG_CREATECRYPTOSESSION) == 48);
KEYWARD_STATIC_ASSERT(certificate_info_size, sizeof(D3D11_1DDI_CERTIFICATE_INFO) == 20);
KEYWARD_STATIC_ASSERT(encrypted_block_info_size, sizeof(D3D11_1DDI_ENCRYPTED_BLOCK_INFO) == 12);
KEYWARD_STATIC_ASSERT(aes_ctr_iv_size, sizeof(D3D11_1DDI_AES_CTR_IV) == 16);
KEYWARD_STATIC_ASSERT(ddi_handle_size, sizeof(D3D10DDI_HDEVICE) == sizeof(void *));
#if defined(_WIN64) || UINTPTR_MAX > 0xFFFFFFFFu
KEYWARD_STATIC_ASSERT(content_protection_caps_size,
                      sizeof(D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS) == 24);
#endif

/* ---- DDI functions ------------------------------------------------------------------------ */

/* Capabilities. A NULL pDecodeProfile means the NULL GUID. */

HRESULT APIENTRY GetContentProtectionCaps(
    D3D10DDI_HDEVICE hDevice,
    const GUID *pCryptoType,
    const GUID *pDecodeProfile,
    D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS *pCaps);

HRESULT APIENTRY GetCryptoKeyExchangeType(
    D3D10DDI_HDEVICE hDevice,
    const GUID *pCryptoType,
    const GUID *pDecodeProfile,
    UINT Index,
    GUID *pKeyExchangeType);

/* Session lifetime. CreateCryptoSession fills the caller's memory; hRTCryptoSession is not
 * used. DestroyCryptoSession wipes the keys and marks the memory destroyed. */

SIZE_T APIENTRY CalcPrivateCryptoSessionSize(
    D3D10DDI_HDEVICE hDevice,
    const D3D11_1DDIARG_CREATECRYPTOSESSION *pCreateData);

HRESULT APIENTRY CreateCryptoSession(
    D3D10DDI_HDEVICE hDevice,
    const D3D11_1DDIARG_CREATECRYPTOSESSION *pCreateData,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    D3D11_1DDI_HRTCRYPTOSESSION hRTCryptoSession);

VOID APIENTRY DestroyCryptoSession(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession);

HRESULT APIENTRY CryptoSessionGetHandle(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    HANDLE *pHandle);

/* Certificate (D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION only) and key exchange.
 * GetCertificate needs CertificateSize >= GetCertificateSize. NegotiateCryptoSessionKeyExchange
 * takes exactly 256 bytes; any bad blob is E_INVALIDARG and the previous key stays. */

VOID APIENTRY GetCertificateSize(
    D3D10DDI_HDEVICE hDevice,
    const D3D11_1DDI_CERTIFICATE_INFO *pCertificateInfo,
    UINT *pCertificateSize);

VOID APIENTRY GetCertificate(
    D3D10DDI_HDEVICE hDevice,
    const D3D11_1DDI_CERTIFICATE_INFO *pCertificateInfo,
    UINT CertificateSize,
    BYTE *pCertificate);

HRESULT APIENTRY NegotiateCryptoSessionKeyExchange(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    UINT DataSize,
    BYTE *pData);

/* Blits between resources of the same size. EncryptionBlt encrypts under the readback key of
 * the last GetEncryptionBltKey and WRITES the D3D11_1DDI_AES_CTR_IV it used to pIV (IVSize 16):
 * the DDI declares it const, the application-level EncryptionBlt documents it as the driver's
 * output; pass writable memory. DecryptionBlt decrypts from the caller's counter block pIV,
 * with the session key or, given pContentKey (16 bytes, AES-ECB-wrapped under the session
 * key), the content key; pEncryptedBlockInfo (NULL: all encrypted) needs multiples of 16. */

VOID APIENTRY EncryptionBlt(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    D3D10DDI_HRESOURCE hSrcResource,
    D3D10DDI_HRESOURCE hDstResource,
    UINT IVSize,
    const VOID *pIV);

VOID APIENTRY DecryptionBlt(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    D3D10DDI_HRESOURCE hSrcResource,
    D3D10DDI_HRESOURCE hDstResource,
    const D3D11_1DDI_ENCRYPTED_BLOCK_INFO *pEncryptedBlockInfo,
    UINT ContentKeySize,
    const VOID *pContentKey,
    UINT IVSize,
    const VOID *pIV);

/* Keys (all 16 bytes). Key refresh: new key = old key XOR the random number, from
 * FinishSessionKeyRefresh on. GetEncryptionBltKey: a new readback key, AES-ECB-wrapped under
 * the session key. */

VOID APIENTRY StartSessionKeyRefresh(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    UINT RandomNumberSize,
    VOID *pRandomNumber);

VOID APIENTRY FinishSessionKeyRefresh(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession);

VOID APIENTRY GetEncryptionBltKey(
    D3D10DDI_HDEVICE hDevice,
    D3D11_1DDI_HCRYPTOSESSION hCryptoSession,
    UINT KeySize,
    VOID *pReadbackKey);

/* ---- keyward extensions: the runtime's part ----------------------------------------------- */

/*
 * KeywardD3D11OpenDevice: opens a software video device over the default key store
 * ($KEYWARD_HOME, else $XDG_DATA_HOME/keyward, else ~/.local/share/keyward), where its
 * RSA-2048 key and certificate chain are made on first use. Each call opens a distinct device.
 * KeywardD3D11CloseDevice closes it with its resources, sessions (destroyed; their memory
 * stays the caller's to free) and OPM outputs; later use of any of them is E_HANDLE.
 */
HRESULT WINAPI KeywardD3D11OpenDevice(
    D3D10DDI_HDEVICE *phDevice);

HRESULT WINAPI KeywardD3D11CloseDevice(
    D3D10DDI_HDEVICE hDevice);

/*
 * KeywardD3D11GetLastError: the outcome of the last VOID DDI call made with hDevice (S_OK if
 * it succeeded, or if there was none); E_HANDLE if hDevice names no open device.
 */
HRESULT WINAPI KeywardD3D11GetLastError(
    D3D10DDI_HDEVICE hDevice);

/*
 * Memory resources: the surfaces the blits read and write, of a fixed size (not 0), belonging
 * to one device. CreateResource copies pData (NULL: zeros). ReadResource puts the size in
 * *pDataSize and, if pData is not NULL, the bytes in pData (DataSize below the size:
 * E_INVALIDARG). WriteResource replaces all the bytes (DataSize must be the size).
 * DestroyResource wipes and frees. Another device's resource: E_INVALIDARG.
 */
HRESULT WINAPI KeywardD3D11CreateResource(
    D3D10DDI_HDEVICE hDevice,
    const VOID *pData,
    UINT DataSize,
    D3D10DDI_HRESOURCE *phResource);

HRESULT WINAPI KeywardD3D11ReadResource(
    D3D10DDI_HDEVICE hDevice,
    D3D10DDI_HRESOURCE hResource,
    UINT DataSize,
    VOID *pData,
    UINT *pDataSize);

HRESULT WINAPI KeywardD3D11WriteResource(
    D3D10DDI_HDEVICE hDevice,
    D3D10DDI_HRESOURCE hResource,
    const VOID *pData,
    UINT DataSize);

HRESULT WINAPI KeywardD3D11DestroyResource(
    D3D10DDI_HDEVICE hDevice,
    D3D10DDI_HRESOURCE hResource);

/* ---- keyward extensions: the application's part ------------------------------------------- */

/*
 * KeywardD3D11BuildSessionKeyBlob: what an application does with BCryptEncrypt
 * (BCRYPT_PAD_OAEP, SHA-512): verifies the chain from GetCertificate (E_INVALIDARG if it does
 * not verify), picks a random AES-128 session key, writes it to pbSessionKey and its 256-byte
 * RSAES-OAEP encryption for NegotiateCryptoSessionKeyExchange to pbBlob.
 */
HRESULT WINAPI KeywardD3D11BuildSessionKeyBlob(
    const BYTE *pbCertificateChain,
    UINT cbCertificateChain,
    BYTE pbSessionKey[16],
    BYTE pbBlob[256]);

/*
 * KeywardD3D11AesCtr: AES-128-CTR in place from the counter block *pIV, over the parts
 * pEncryptedBlockInfo selects (NULL: all); encrypts and decrypts alike. This is how the
 * application encrypts for DecryptionBlt and decrypts EncryptionBlt's output.
 */
HRESULT WINAPI KeywardD3D11AesCtr(
    const BYTE pbKey[16],
    const D3D11_1DDI_AES_CTR_IV *pIV,
    const D3D11_1DDI_ENCRYPTED_BLOCK_INFO *pEncryptedBlockInfo,
    BYTE *pbData,
    UINT cbData);

/*
 * KeywardD3D11WrapKey / KeywardD3D11UnwrapKey: one AES-ECB block under the session key: the
 * form of DecryptionBlt's content key and of GetEncryptionBltKey's readback key.
 */
HRESULT WINAPI KeywardD3D11WrapKey(
    const BYTE pbSessionKey[16],
    const BYTE pbKey[16],
    BYTE pbWrappedKey[16]);

HRESULT WINAPI KeywardD3D11UnwrapKey(
    const BYTE pbSessionKey[16],
    const BYTE pbWrappedKey[16],
    BYTE pbKey[16]);

#ifdef __cplusplus
}
#endif

#endif /* KEYWARD_D3D11CRYPTOSESSION_H */

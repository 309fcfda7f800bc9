/*
 * cryptosession.c: the D3D11 crypto-session DDI functions and OPM of libkeyward, driven end to
 * end from C, the test playing both the D3D runtime (session memory from malloc, resources)
 * and the application (session-key blob, AES-CTR, content keys, OMAC-signed OPM requests).
 * Every documented failure is checked with its HRESULT: wrong sizes, garbage blobs (the
 * previous key still works after), another device's session, calls on a destroyed session,
 * closed devices, tampered OMACs, replayed sequence numbers, wrong random numbers.
 *
 * The application-side helpers are first pinned to published vectors (NIST SP 800-38A CTR and
 * ECB, RFC 4493 CMAC), so the round trips below are checked against independent values.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include <stdint.h>

#include "kwtest.h"
#include "d3d11cryptosession.h"
#include "opm.h"

/* The outcome of the last VOID DDI call on a device. */
#define LAST(expected, device) EXPECT(expected, KeywardD3D11GetLastError(device))

#define NOT_SUPPORTED HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)

static const D3D10DDI_HDEVICE FORGED_DEVICE = {(VOID *)(uintptr_t)0x5eed5eedu};
static const D3D10DDI_HRESOURCE FORGED_RESOURCE = {(VOID *)(uintptr_t)0x5eed5eedu};

/* ---- Helpers ------------------------------------------------------------------------------ */

static void from_hex(const char *hex, BYTE *out, size_t length) {
    size_t i;
    for (i = 0; i < length; i++) {
        unsigned value = 0;
        sscanf(hex + 2 * i, "%2x", &value);
        out[i] = (BYTE)value;
    }
}

static D3D11_1DDI_AES_CTR_IV iv_from_bytes(const BYTE bytes[16]) {
    D3D11_1DDI_AES_CTR_IV iv;
    memcpy(&iv, bytes, sizeof iv);
    return iv;
}

/* The big-endian 64-bit number at `bytes`. */
static uint64_t be64(const BYTE *bytes) {
    uint64_t value = 0;
    int i;
    for (i = 0; i < 8; i++) value = (value << 8) | bytes[i];
    return value;
}

static void put_le32(BYTE *out, ULONG value) {
    out[0] = (BYTE)value;
    out[1] = (BYTE)(value >> 8);
    out[2] = (BYTE)(value >> 16);
    out[3] = (BYTE)(value >> 24);
}

static D3D11_1DDIARG_CREATECRYPTOSESSION create_args(void) {
    D3D11_1DDIARG_CREATECRYPTOSESSION args;
    memset(&args, 0, sizeof args);
    args.CryptoType = D3D11_CRYPTO_TYPE_AES128_CTR;
    args.KeyExchangeType = D3D11_KEY_EXCHANGE_RSAES_OAEP;
    return args;
}

static D3D11_1DDI_CERTIFICATE_INFO session_certificate(void) {
    D3D11_1DDI_CERTIFICATE_INFO info;
    memset(&info, 0, sizeof info);
    info.CertificateType = D3D11_1DDI_CERTIFICATE_TYPE_CRYPTO_SESSION;
    info.CryptoSessionType = D3D11_CRYPTO_TYPE_AES128_CTR;
    return info;
}

/* A new session of `device` in fresh runtime memory (free it with end_session). */
static D3D11_1DDI_HCRYPTOSESSION new_session(D3D10DDI_HDEVICE device) {
    D3D11_1DDIARG_CREATECRYPTOSESSION args = create_args();
    D3D11_1DDI_HCRYPTOSESSION session;
    D3D11_1DDI_HRTCRYPTOSESSION runtime = {NULL};
    session.pDrvPrivate = malloc(CalcPrivateCryptoSessionSize(device, &args));
    OK(CreateCryptoSession(device, &args, session, runtime));
    return session;
}

static void end_session(D3D10DDI_HDEVICE device, D3D11_1DDI_HCRYPTOSESSION session) {
    DestroyCryptoSession(device, session);
    LAST(S_OK, device);
    free(session.pDrvPrivate);
}

/* The device's certificate chain, through GetCertificateSize + GetCertificate. */
static BYTE *certificate_chain(D3D10DDI_HDEVICE device, UINT *length) {
    D3D11_1DDI_CERTIFICATE_INFO info = session_certificate();
    BYTE *chain;
    *length = 0;
    GetCertificateSize(device, &info, length);
    LAST(S_OK, device);
    chain = (BYTE *)malloc(*length);
    GetCertificate(device, &info, *length, chain);
    LAST(S_OK, device);
    return chain;
}

/* Negotiates a fresh session key; returns it in `key`. */
static void negotiate(D3D10DDI_HDEVICE device, D3D11_1DDI_HCRYPTOSESSION session, BYTE key[16]) {
    UINT length;
    BYTE *chain = certificate_chain(device, &length);
    BYTE blob[256];
    OK(KeywardD3D11BuildSessionKeyBlob(chain, length, key, blob));
    OK(NegotiateCryptoSessionKeyExchange(device, session, sizeof blob, blob));
    free(chain);
}

static D3D10DDI_HRESOURCE resource(D3D10DDI_HDEVICE device, const void *data, UINT size) {
    D3D10DDI_HRESOURCE handle = {NULL};
    OK(KeywardD3D11CreateResource(device, data, size, &handle));
    return handle;
}

/* Checks that the resource holds exactly `expected`. */
static int resource_is(D3D10DDI_HDEVICE device, D3D10DDI_HRESOURCE handle, const BYTE *expected,
                       UINT size) {
    BYTE *data = (BYTE *)malloc(size);
    UINT actual = 0;
    int same;
    OK(KeywardD3D11ReadResource(device, handle, size, data, &actual));
    same = actual == size && memcmp(data, expected, size) == 0;
    free(data);
    return same;
}

/* A frame of 100 bytes (not a multiple of the block size). */
#define FRAME 100
static BYTE frame[FRAME];
static const BYTE iv_bytes[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};

/* True if DecryptionBlt with `key` (the session key) recovers the frame. */
static int key_in_force(D3D10DDI_HDEVICE device, D3D11_1DDI_HCRYPTOSESSION session,
                        const BYTE key[16]) {
    D3D11_1DDI_AES_CTR_IV iv = iv_from_bytes(iv_bytes);
    BYTE encrypted[FRAME];
    D3D10DDI_HRESOURCE source, destination;
    int recovered;
    memcpy(encrypted, frame, FRAME);
    OK(KeywardD3D11AesCtr(key, &iv, NULL, encrypted, FRAME));
    source = resource(device, encrypted, FRAME);
    destination = resource(device, NULL, FRAME);
    DecryptionBlt(device, session, source, destination, NULL, 0, NULL, sizeof iv, &iv);
    LAST(S_OK, device);
    recovered = resource_is(device, destination, frame, FRAME);
    OK(KeywardD3D11DestroyResource(device, source));
    OK(KeywardD3D11DestroyResource(device, destination));
    return recovered;
}

/* ---- The application-side helpers against published vectors ------------------------------ */

static void known_answers(void) {
    /* NIST SP 800-38A F.5.1 (CTR-AES128) and F.1.1 (ECB-AES128). */
    BYTE key[16], counter[16], plain[64], cipher[64], data[64], wrapped[16], unwrapped[16];
    D3D11_1DDI_AES_CTR_IV iv;
    D3D11_1DDI_ENCRYPTED_BLOCK_INFO pattern = {16, 16, 16}, misaligned = {8, 16, 16};
    OPM_OMAC omac;
    BYTE expected[16];
    int i;

    from_hex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", counter, 16);
    from_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
             "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
             plain, 64);
    from_hex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
             "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
             cipher, 64);
    iv = iv_from_bytes(counter);
    memcpy(data, plain, 64);
    OK(KeywardD3D11AesCtr(key, &iv, NULL, data, 64));
    CHECK(memcmp(data, cipher, 64) == 0);
    OK(KeywardD3D11AesCtr(key, &iv, NULL, data, 64));
    CHECK(memcmp(data, plain, 64) == 0);

    /* A pattern is one CTR stream over the encrypted regions: 0..16 takes keystream block 0,
     * 32..48 block 1; 16..32 and 48..64 stay clear. */
    OK(KeywardD3D11AesCtr(key, &iv, &pattern, data, 64));
    CHECK(memcmp(data, cipher, 16) == 0);
    CHECK(memcmp(data + 16, plain + 16, 16) == 0);
    for (i = 0; i < 16; i++)
        CHECK(data[32 + i] == (BYTE)(plain[32 + i] ^ cipher[16 + i] ^ plain[16 + i]));
    CHECK(memcmp(data + 48, plain + 48, 16) == 0);
    memcpy(data, plain, 64);
    EXPECT(E_INVALIDARG, KeywardD3D11AesCtr(key, &iv, &misaligned, data, 64));
    CHECK(memcmp(data, plain, 64) == 0);
    EXPECT(E_INVALIDARG, KeywardD3D11AesCtr(NULL, &iv, NULL, data, 64));
    EXPECT(E_INVALIDARG, KeywardD3D11AesCtr(key, NULL, NULL, data, 64));
    EXPECT(E_INVALIDARG, KeywardD3D11AesCtr(key, &iv, NULL, NULL, 64));
    OK(KeywardD3D11AesCtr(key, &iv, NULL, NULL, 0));

    OK(KeywardD3D11WrapKey(key, plain, wrapped));
    from_hex("3ad77bb40d7a3660a89ecaf32466ef97", expected, 16);
    CHECK(memcmp(wrapped, expected, 16) == 0);
    OK(KeywardD3D11UnwrapKey(key, wrapped, unwrapped));
    CHECK(memcmp(unwrapped, plain, 16) == 0);
    EXPECT(E_INVALIDARG, KeywardD3D11WrapKey(key, NULL, wrapped));

    /* RFC 4493 examples 1, 2 and 4. */
    OK(KeywardOPMComputeOMAC(key, NULL, 0, &omac));
    from_hex("bb1d6929e95937287fa37d129b756746", expected, 16);
    CHECK(memcmp(omac.abOMAC, expected, 16) == 0);
    OK(KeywardOPMComputeOMAC(key, plain, 16, &omac));
    from_hex("070a16b46b4d4144f79bdd9dd04a287c", expected, 16);
    CHECK(memcmp(omac.abOMAC, expected, 16) == 0);
    OK(KeywardOPMComputeOMAC(key, plain, 64, &omac));
    from_hex("51f0bebf7e3b9d92fc49741779363cfe", expected, 16);
    CHECK(memcmp(omac.abOMAC, expected, 16) == 0);
    EXPECT(E_INVALIDARG, KeywardOPMComputeOMAC(NULL, plain, 16, &omac));
    EXPECT(E_INVALIDARG, KeywardOPMComputeOMAC(key, plain, 16, NULL));
}

/* ---- Device and capabilities -------------------------------------------------------------- */

static void capabilities(D3D10DDI_HDEVICE device) {
    D3D11_1DDI_VIDEO_CONTENT_PROTECTION_CAPS caps;
    GUID exchange, profile = D3D11_CRYPTO_TYPE_AES128_CTR;
    GUID null_guid;
    memset(&null_guid, 0, sizeof null_guid);

    memset(&caps, 0, sizeof caps);
    OK(GetContentProtectionCaps(device, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, &caps));
    CHECK(caps.Caps == 0x4F9);
    CHECK(caps.Caps & D3D11_1DDI_CONTENT_PROTECTION_CAPS_DECRYPTION_BLT);
    CHECK(caps.Caps & D3D11_1DDI_CONTENT_PROTECTION_CAPS_ENCRYPTED_READ_BACK_KEY);
    CHECK(caps.KeyExchangeTypeCount == 1);
    CHECK(caps.BlockAlignmentSize == 16);
    CHECK(caps.ProtectedMemorySize == 0);
    OK(GetContentProtectionCaps(device, &D3D11_CRYPTO_TYPE_AES128_CTR, &null_guid, &caps));
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO,
           GetContentProtectionCaps(device, &D3DCRYPTOTYPE_PROPRIETARY, NULL, &caps));
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO,
           GetContentProtectionCaps(device, &D3D11_CRYPTO_TYPE_AES128_CTR, &profile, &caps));
    EXPECT(E_INVALIDARG, GetContentProtectionCaps(device, NULL, NULL, &caps));
    EXPECT(E_INVALIDARG,
           GetContentProtectionCaps(device, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, NULL));
    EXPECT(E_HANDLE,
           GetContentProtectionCaps(FORGED_DEVICE, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, &caps));

    OK(GetCryptoKeyExchangeType(device, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, 0, &exchange));
    CHECK(memcmp(&exchange, &D3D11_KEY_EXCHANGE_RSAES_OAEP, sizeof exchange) == 0);
    EXPECT(E_INVALIDARG,
           GetCryptoKeyExchangeType(device, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, 1, &exchange));
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO,
           GetCryptoKeyExchangeType(device, &D3DCRYPTOTYPE_PROPRIETARY, NULL, 0, &exchange));
    EXPECT(E_INVALIDARG,
           GetCryptoKeyExchangeType(device, &D3D11_CRYPTO_TYPE_AES128_CTR, NULL, 0, NULL));
}

/* ---- Session creation and the certificate ------------------------------------------------- */

static void creation_and_certificate(D3D10DDI_HDEVICE device) {
    D3D11_1DDIARG_CREATECRYPTOSESSION args = create_args();
    D3D11_1DDI_HRTCRYPTOSESSION runtime = {NULL};
    D3D11_1DDI_HCRYPTOSESSION session, null_session = {NULL}, misaligned;
    D3D11_1DDI_CERTIFICATE_INFO info = session_certificate();
    SIZE_T size = CalcPrivateCryptoSessionSize(device, &args);
    BYTE *memory = (BYTE *)malloc(size + 8), *chain;
    UINT length = 0, garbage = 12345;
    HANDLE handle = NULL;

    CHECK(size >= 8 && size <= 64);
    session.pDrvPrivate = memory;
    misaligned.pDrvPrivate = memory + 1;
    args.KeyExchangeType = D3DKEYEXCHANGE_DXVA;
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO, CreateCryptoSession(device, &args, session, runtime));
    args = create_args();
    args.CryptoType = D3DCRYPTOTYPE_PROPRIETARY;
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO, CreateCryptoSession(device, &args, session, runtime));
    args = create_args();
    args.DecodeProfile = D3D11_CRYPTO_TYPE_AES128_CTR;
    EXPECT(D3DDDIERR_UNSUPPORTEDCRYPTO, CreateCryptoSession(device, &args, session, runtime));
    args = create_args();
    EXPECT(E_INVALIDARG, CreateCryptoSession(device, NULL, session, runtime));
    EXPECT(E_INVALIDARG, CreateCryptoSession(device, &args, null_session, runtime));
    EXPECT(E_INVALIDARG, CreateCryptoSession(device, &args, misaligned, runtime));
    EXPECT(E_HANDLE, CreateCryptoSession(FORGED_DEVICE, &args, session, runtime));
    OK(CreateCryptoSession(device, &args, session, runtime));
    OK(CryptoSessionGetHandle(device, session, &handle));
    CHECK(handle != NULL);
    EXPECT(E_INVALIDARG, CryptoSessionGetHandle(device, session, NULL));

    /* GetCertificateSize / GetCertificate report through KeywardD3D11GetLastError. */
    GetCertificateSize(device, &info, &length);
    LAST(S_OK, device);
    CHECK(length > 500);
    info.CertificateType = D3D11_1DDI_CERTIFICATE_TYPE_AUTHENTICATED_CHANNEL;
    GetCertificateSize(device, &info, &garbage);
    LAST(E_INVALIDARG, device);
    CHECK(garbage == 12345);
    info = session_certificate();
    info.CryptoSessionType = D3DCRYPTOTYPE_PROPRIETARY;
    GetCertificateSize(device, &info, &garbage);
    LAST(D3DDDIERR_UNSUPPORTEDCRYPTO, device);
    info = session_certificate();
    GetCertificateSize(device, NULL, &garbage);
    LAST(E_INVALIDARG, device);
    GetCertificateSize(device, &info, NULL);
    LAST(E_INVALIDARG, device);

    chain = (BYTE *)calloc(length, 1);
    GetCertificate(device, &info, length - 1, chain);
    LAST(E_INVALIDARG, device);
    CHECK(chain[0] == 0);
    GetCertificate(device, &info, length, NULL);
    LAST(E_INVALIDARG, device);
    GetCertificate(device, &info, length, chain);
    LAST(S_OK, device);
    /* A DER SEQUENCE with a two-byte length: the leaf certificate. */
    CHECK(chain[0] == 0x30 && chain[1] == 0x82);
    free(chain);

    DestroyCryptoSession(device, session);
    LAST(S_OK, device);
    free(memory);
}

/* ---- Key exchange, blits, key refresh ----------------------------------------------------- */

static void key_exchange_and_blits(D3D10DDI_HDEVICE device) {
    D3D11_1DDI_HCRYPTOSESSION session = new_session(device);
    D3D11_1DDI_AES_CTR_IV iv = iv_from_bytes(iv_bytes), out_iv, second_iv;
    D3D11_1DDI_ENCRYPTED_BLOCK_INFO pattern = {16, 16, 32}, misaligned = {16, 8, 32};
    BYTE key[16], blob[256], content_key[16], wrapped[16], readback_wrapped[16], readback[16];
    BYTE random_number[16], refreshed[16], encrypted[FRAME], data[FRAME], *chain;
    D3D10DDI_HRESOURCE source, destination, plain_surface, small;
    UINT length, i;

    /* Before a key exchange: no session key. */
    source = resource(device, frame, FRAME);
    destination = resource(device, NULL, FRAME);
    DecryptionBlt(device, session, source, destination, NULL, 0, NULL, sizeof iv, &iv);
    LAST(DXGI_ERROR_INVALID_CALL, device);
    StartSessionKeyRefresh(device, session, sizeof random_number, random_number);
    LAST(DXGI_ERROR_INVALID_CALL, device);
    GetEncryptionBltKey(device, session, sizeof readback_wrapped, readback_wrapped);
    LAST(DXGI_ERROR_INVALID_CALL, device);

    /* The blob: built by the application from the chain; wrong sizes and garbage refused. */
    chain = certificate_chain(device, &length);
    EXPECT(E_INVALIDARG, KeywardD3D11BuildSessionKeyBlob(chain, length - 1, key, blob));
    EXPECT(E_INVALIDARG, KeywardD3D11BuildSessionKeyBlob(chain, length, NULL, blob));
    OK(KeywardD3D11BuildSessionKeyBlob(chain, length, key, blob));
    free(chain);
    EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 255, blob));
    {
        BYTE longer[257];
        memcpy(longer, blob, 256);
        longer[256] = 0;
        EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 257, longer));
    }
    EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 256, NULL));
    EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 0, NULL));
    OK(NegotiateCryptoSessionKeyExchange(device, session, sizeof blob, blob));
    CHECK(key_in_force(device, session, key));

    /* A garbage blob is refused, and the previous key still works. */
    {
        BYTE garbage[256];
        for (i = 0; i < sizeof garbage; i++) garbage[i] = (BYTE)(i * 7 + 3);
        EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 256, garbage));
        blob[100] ^= 1;
        EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(device, session, 256, blob));
        CHECK(key_in_force(device, session, key));
    }

    /* DecryptionBlt with a content key: the data key is the content key. */
    for (i = 0; i < 16; i++) content_key[i] = (BYTE)(0xc0 + i);
    OK(KeywardD3D11WrapKey(key, content_key, wrapped));
    memcpy(encrypted, frame, FRAME);
    OK(KeywardD3D11AesCtr(content_key, &iv, NULL, encrypted, FRAME));
    OK(KeywardD3D11WriteResource(device, source, encrypted, FRAME));
    DecryptionBlt(device, session, source, destination, NULL, sizeof wrapped, wrapped,
                  sizeof iv, &iv);
    LAST(S_OK, device);
    CHECK(resource_is(device, destination, frame, FRAME));

    /* A partial-encryption pattern: 16 encrypted, then 16 clear / 32 encrypted. */
    memcpy(encrypted, frame, FRAME);
    OK(KeywardD3D11AesCtr(key, &iv, &pattern, encrypted, FRAME));
    CHECK(memcmp(encrypted + 16, frame + 16, 16) == 0);
    CHECK(memcmp(encrypted, frame, 16) != 0);
    OK(KeywardD3D11WriteResource(device, source, encrypted, FRAME));
    memset(data, 0, FRAME);
    OK(KeywardD3D11WriteResource(device, destination, data, FRAME));
    DecryptionBlt(device, session, source, destination, &pattern, 0, NULL, sizeof iv, &iv);
    LAST(S_OK, device);
    CHECK(resource_is(device, destination, frame, FRAME));
    /* Pattern and content key together. */
    memcpy(encrypted, frame, FRAME);
    OK(KeywardD3D11AesCtr(content_key, &iv, &pattern, encrypted, FRAME));
    OK(KeywardD3D11WriteResource(device, source, encrypted, FRAME));
    OK(KeywardD3D11WriteResource(device, destination, data, FRAME));
    DecryptionBlt(device, session, source, destination, &pattern, 16, wrapped, 16, &iv);
    LAST(S_OK, device);
    CHECK(resource_is(device, destination, frame, FRAME));

    /* DecryptionBlt failures leave the destination as it was. */
    memset(data, 0xee, FRAME);
    OK(KeywardD3D11WriteResource(device, destination, data, FRAME));
    DecryptionBlt(device, session, source, destination, &misaligned, 0, NULL, 16, &iv);
    LAST(E_INVALIDARG, device);
    DecryptionBlt(device, session, source, destination, NULL, 15, wrapped, 16, &iv);
    LAST(E_INVALIDARG, device);
    DecryptionBlt(device, session, source, destination, NULL, 16, NULL, 16, &iv);
    LAST(E_INVALIDARG, device);
    DecryptionBlt(device, session, source, destination, NULL, 0, NULL, 15, &iv);
    LAST(E_INVALIDARG, device);
    DecryptionBlt(device, session, source, destination, NULL, 0, NULL, 16, NULL);
    LAST(E_INVALIDARG, device);
    small = resource(device, NULL, FRAME - 1);
    DecryptionBlt(device, session, source, small, NULL, 0, NULL, 16, &iv);
    LAST(E_INVALIDARG, device);
    DecryptionBlt(device, session, FORGED_RESOURCE, destination, NULL, 0, NULL, 16, &iv);
    LAST(E_HANDLE, device);
    CHECK(resource_is(device, destination, data, FRAME));

    /* EncryptionBlt: under the readback key of GetEncryptionBltKey; the driver picks the IV. */
    plain_surface = resource(device, frame, FRAME);
    EncryptionBlt(device, session, plain_surface, destination, sizeof out_iv, &out_iv);
    LAST(DXGI_ERROR_INVALID_CALL, device);
    GetEncryptionBltKey(device, session, 15, readback_wrapped);
    LAST(E_INVALIDARG, device);
    GetEncryptionBltKey(device, session, 16, NULL);
    LAST(E_INVALIDARG, device);
    GetEncryptionBltKey(device, session, sizeof readback_wrapped, readback_wrapped);
    LAST(S_OK, device);
    OK(KeywardD3D11UnwrapKey(key, readback_wrapped, readback));
    CHECK(memcmp(readback, key, 16) != 0);
    EncryptionBlt(device, session, plain_surface, small, sizeof out_iv, &out_iv);
    LAST(E_INVALIDARG, device);
    EncryptionBlt(device, session, plain_surface, destination, 8, &out_iv);
    LAST(E_INVALIDARG, device);
    memset(&out_iv, 0, sizeof out_iv);
    EncryptionBlt(device, session, plain_surface, destination, sizeof out_iv, &out_iv);
    LAST(S_OK, device);
    CHECK(be64((const BYTE *)&out_iv + 8) == 0); /* Count */
    OK(KeywardD3D11ReadResource(device, destination, FRAME, data, &length));
    CHECK(length == FRAME && memcmp(data, frame, FRAME) != 0);
    OK(KeywardD3D11AesCtr(readback, &out_iv, NULL, data, FRAME));
    CHECK(memcmp(data, frame, FRAME) == 0);
    /* The next blit uses the next IV (the failed ones above used none). */
    EncryptionBlt(device, session, plain_surface, destination, sizeof second_iv, &second_iv);
    LAST(S_OK, device);
    CHECK(be64((const BYTE *)&second_iv) == be64((const BYTE *)&out_iv) + 1);
    OK(KeywardD3D11ReadResource(device, destination, FRAME, data, &length));
    OK(KeywardD3D11AesCtr(readback, &second_iv, NULL, data, FRAME));
    CHECK(memcmp(data, frame, FRAME) == 0);

    /* Key refresh: new key = old key XOR the random number, from FinishSessionKeyRefresh. */
    StartSessionKeyRefresh(device, session, 15, random_number);
    LAST(E_INVALIDARG, device);
    StartSessionKeyRefresh(device, session, 16, NULL);
    LAST(E_INVALIDARG, device);
    FinishSessionKeyRefresh(device, session);
    LAST(DXGI_ERROR_INVALID_CALL, device);
    memset(random_number, 0, sizeof random_number);
    StartSessionKeyRefresh(device, session, sizeof random_number, random_number);
    LAST(S_OK, device);
    for (i = 0; i < 16; i++) refreshed[i] = key[i] ^ random_number[i];
    CHECK(memcmp(refreshed, key, 16) != 0);
    CHECK(key_in_force(device, session, key));
    FinishSessionKeyRefresh(device, session);
    LAST(S_OK, device);
    CHECK(key_in_force(device, session, refreshed));
    CHECK(!key_in_force(device, session, key));
    FinishSessionKeyRefresh(device, session);
    LAST(DXGI_ERROR_INVALID_CALL, device);

    OK(KeywardD3D11DestroyResource(device, source));
    OK(KeywardD3D11DestroyResource(device, destination));
    OK(KeywardD3D11DestroyResource(device, plain_surface));
    OK(KeywardD3D11DestroyResource(device, small));
    end_session(device, session);
}

/* ---- Another device's session ------------------------------------------------------------- */

static void wrong_device(D3D10DDI_HDEVICE device) {
    D3D10DDI_HDEVICE other;
    D3D11_1DDI_HCRYPTOSESSION session = new_session(device), others;
    D3D11_1DDI_AES_CTR_IV iv = iv_from_bytes(iv_bytes);
    BYTE key[16], other_key[16], blob[256], random_number[16], *chain;
    D3D10DDI_HRESOURCE mine, theirs_source, theirs_destination;
    UINT length, size = 0;
    HANDLE handle;

    OK(KeywardD3D11OpenDevice(&other));
    CHECK(other.pDrvPrivate != device.pDrvPrivate);
    negotiate(device, session, key);
    chain = certificate_chain(other, &length);
    OK(KeywardD3D11BuildSessionKeyBlob(chain, length, other_key, blob));
    free(chain);

    /* The same key and certificate, but another device: refused, and the session unharmed. */
    EXPECT(E_INVALIDARG, NegotiateCryptoSessionKeyExchange(other, session, 256, blob));
    EXPECT(E_INVALIDARG, CryptoSessionGetHandle(other, session, &handle));
    theirs_source = resource(other, frame, FRAME);
    theirs_destination = resource(other, NULL, FRAME);
    DecryptionBlt(other, session, theirs_source, theirs_destination, NULL, 0, NULL, 16, &iv);
    LAST(E_INVALIDARG, other);
    StartSessionKeyRefresh(other, session, sizeof random_number, random_number);
    LAST(E_INVALIDARG, other);
    FinishSessionKeyRefresh(other, session);
    LAST(E_INVALIDARG, other);
    GetEncryptionBltKey(other, session, 16, random_number);
    LAST(E_INVALIDARG, other);
    DestroyCryptoSession(other, session);
    LAST(E_INVALIDARG, other);
    CHECK(key_in_force(device, session, key));

    /* Resources belong to their device too. */
    mine = resource(device, frame, FRAME);
    EXPECT(E_INVALIDARG, KeywardD3D11ReadResource(other, mine, 0, NULL, &size));
    EXPECT(E_INVALIDARG, KeywardD3D11DestroyResource(other, mine));
    DecryptionBlt(device, session, theirs_source, mine, NULL, 0, NULL, 16, &iv);
    LAST(E_INVALIDARG, device);

    /* A session of the other device, left for KeywardD3D11CloseDevice to destroy. */
    others = new_session(other);
    OK(KeywardD3D11CloseDevice(other));
    EXPECT(E_HANDLE, KeywardD3D11CloseDevice(other));
    EXPECT(E_HANDLE, KeywardD3D11GetLastError(other));
    EXPECT(E_HANDLE, NegotiateCryptoSessionKeyExchange(other, others, 256, blob));
    EXPECT(E_HANDLE, NegotiateCryptoSessionKeyExchange(device, others, 256, blob));
    EXPECT(E_HANDLE, KeywardD3D11DestroyResource(device, theirs_source));
    free(others.pDrvPrivate);

    OK(KeywardD3D11DestroyResource(device, mine));
    end_session(device, session);
}

/* ---- Calls on a destroyed session --------------------------------------------------------- */

static void destroyed_session(D3D10DDI_HDEVICE device) {
    D3D11_1DDI_HCRYPTOSESSION session = new_session(device), copy, never;
    D3D11_1DDI_AES_CTR_IV iv = iv_from_bytes(iv_bytes);
    BYTE key[16], blob[256], buffer[16];
    D3D10DDI_HRESOURCE source = resource(device, frame, FRAME);
    D3D10DDI_HRESOURCE destination = resource(device, NULL, FRAME);
    D3D11_1DDIARG_CREATECRYPTOSESSION args = create_args();
    SIZE_T size = CalcPrivateCryptoSessionSize(device, &args);
    UINT length;
    HANDLE handle;
    BYTE *chain;

    negotiate(device, session, key);
    chain = certificate_chain(device, &length);
    OK(KeywardD3D11BuildSessionKeyBlob(chain, length, key, blob));
    free(chain);

    /* A copy of live session memory is not the session. */
    copy.pDrvPrivate = malloc(size);
    memcpy(copy.pDrvPrivate, session.pDrvPrivate, size);
    EXPECT(E_HANDLE, NegotiateCryptoSessionKeyExchange(device, copy, 256, blob));
    /* Zeroed memory never given to CreateCryptoSession. */
    never.pDrvPrivate = calloc(1, size);
    EXPECT(E_HANDLE, NegotiateCryptoSessionKeyExchange(device, never, 256, blob));
    DestroyCryptoSession(device, never);
    LAST(E_HANDLE, device);

    DestroyCryptoSession(device, session);
    LAST(S_OK, device);
    EXPECT(E_HANDLE, NegotiateCryptoSessionKeyExchange(device, session, 256, blob));
    EXPECT(E_HANDLE, CryptoSessionGetHandle(device, session, &handle));
    DecryptionBlt(device, session, source, destination, NULL, 0, NULL, 16, &iv);
    LAST(E_HANDLE, device);
    EncryptionBlt(device, session, source, destination, 16, &iv);
    LAST(E_HANDLE, device);
    StartSessionKeyRefresh(device, session, sizeof buffer, buffer);
    LAST(E_HANDLE, device);
    FinishSessionKeyRefresh(device, session);
    LAST(E_HANDLE, device);
    GetEncryptionBltKey(device, session, sizeof buffer, buffer);
    LAST(E_HANDLE, device);
    DestroyCryptoSession(device, session);
    LAST(E_HANDLE, device);
    /* The memory can be reused for a new session. */
    OK(CreateCryptoSession(device, &args, session, (D3D11_1DDI_HRTCRYPTOSESSION){NULL}));
    negotiate(device, session, key);
    CHECK(key_in_force(device, session, key));
    end_session(device, session);

    free(copy.pDrvPrivate);
    free(never.pDrvPrivate);
    OK(KeywardD3D11DestroyResource(device, source));
    OK(KeywardD3D11DestroyResource(device, destination));
}

/* ---- Resources ---------------------------------------------------------------------------- */

static void resources(D3D10DDI_HDEVICE device) {
    D3D10DDI_HRESOURCE handle;
    BYTE data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    UINT size = 0;

    EXPECT(E_INVALIDARG, KeywardD3D11CreateResource(device, data, 0, &handle));
    EXPECT(E_INVALIDARG, KeywardD3D11CreateResource(device, data, 8, NULL));
    EXPECT(E_HANDLE, KeywardD3D11CreateResource(FORGED_DEVICE, data, 8, &handle));
    OK(KeywardD3D11CreateResource(device, data, 8, &handle));
    OK(KeywardD3D11ReadResource(device, handle, 0, NULL, &size));
    CHECK(size == 8);
    EXPECT(E_INVALIDARG, KeywardD3D11ReadResource(device, handle, 7, out, &size));
    EXPECT(E_INVALIDARG, KeywardD3D11ReadResource(device, handle, 8, out, NULL));
    OK(KeywardD3D11ReadResource(device, handle, 8, out, &size));
    CHECK(memcmp(out, data, 8) == 0);
    EXPECT(E_INVALIDARG, KeywardD3D11WriteResource(device, handle, data, 7));
    EXPECT(E_INVALIDARG, KeywardD3D11WriteResource(device, handle, NULL, 8));
    EXPECT(E_HANDLE, KeywardD3D11ReadResource(device, FORGED_RESOURCE, 8, out, &size));
    OK(KeywardD3D11DestroyResource(device, handle));
    EXPECT(E_HANDLE, KeywardD3D11DestroyResource(device, handle));
    EXPECT(E_HANDLE, KeywardD3D11ReadResource(device, handle, 8, out, &size));
}

/* ---- OPM ---------------------------------------------------------------------------------- */

typedef struct {
    IOPMVideoOutput *output;
    BYTE key[16];
    ULONG status_sequence, command_sequence;
} opm_session;

static OPM_GET_INFO_PARAMETERS info_request(opm_session *s, const GUID *information,
                                            const ULONG *parameter) {
    OPM_GET_INFO_PARAMETERS request;
    int i;
    memset(&request, 0, sizeof request);
    for (i = 0; i < 16; i++) request.rnRandomNumber.abRandomNumber[i] = (BYTE)(rand() & 0xff);
    request.guidInformation = *information;
    request.ulSequenceNumber = s->status_sequence;
    if (parameter) {
        request.cbParametersSize = sizeof *parameter;
        memcpy(request.abParameters, parameter, sizeof *parameter);
    }
    OK(KeywardOPMComputeOMAC(s->key, (const BYTE *)&request + OPM_OMAC_SIZE,
                             sizeof request - OPM_OMAC_SIZE, &request.omac));
    return request;
}

/* Sends a status request and checks the answer as an application must: its OMAC, its size,
 * the echoed random number and the status. Returns ulInformation. */
static ULONG get_information(opm_session *s, const GUID *information, const ULONG *parameter) {
    OPM_GET_INFO_PARAMETERS request = info_request(s, information, parameter);
    OPM_REQUESTED_INFORMATION answer;
    OPM_STANDARD_INFORMATION standard;
    OPM_OMAC omac;
    memset(&answer, 0, sizeof answer);
    OK(OPMVideoOutputGetInformation(s->output, &request, &answer));
    OK(KeywardOPMComputeOMAC(s->key, (const BYTE *)&answer + OPM_OMAC_SIZE,
                             sizeof answer - OPM_OMAC_SIZE, &omac));
    CHECK(memcmp(omac.abOMAC, answer.omac.abOMAC, OPM_OMAC_SIZE) == 0);
    CHECK(answer.cbRequestedInformationSize == sizeof standard);
    memcpy(&standard, answer.abRequestedInformation, sizeof standard);
    CHECK(memcmp(&standard.rnRandomNumber, &request.rnRandomNumber, 16) == 0);
    CHECK(standard.ulStatusFlags == OPM_STATUS_NORMAL);
    s->status_sequence++;
    return standard.ulInformation;
}

static OPM_CONFIGURE_PARAMETERS protection_command(opm_session *s, ULONG level) {
    OPM_CONFIGURE_PARAMETERS command;
    OPM_SET_PROTECTION_LEVEL_PARAMETERS parameters;
    memset(&command, 0, sizeof command);
    memset(&parameters, 0, sizeof parameters);
    parameters.ulProtectionType = OPM_PROTECTION_TYPE_HDCP;
    parameters.ulProtectionLevel = level;
    command.guidSetting = OPM_SET_PROTECTION_LEVEL;
    command.ulSequenceNumber = s->command_sequence;
    command.cbParametersSize = sizeof parameters;
    memcpy(command.abParameters, &parameters, sizeof parameters);
    OK(KeywardOPMComputeOMAC(s->key, (const BYTE *)&command + OPM_OMAC_SIZE,
                             sizeof command - OPM_OMAC_SIZE, &command.omac));
    return command;
}

/* The 40-byte initialization parameters, encrypted for the output. */
static OPM_ENCRYPTED_INITIALIZATION_PARAMETERS initialization(const opm_session *s,
                                                              const OPM_RANDOM_NUMBER *random,
                                                              const BYTE *chain, ULONG length) {
    BYTE plaintext[KEYWARD_OPM_INITIALIZATION_PARAMETERS_SIZE];
    OPM_ENCRYPTED_INITIALIZATION_PARAMETERS encrypted;
    memcpy(plaintext, random->abRandomNumber, 16);
    memcpy(plaintext + 16, s->key, 16);
    put_le32(plaintext + 32, s->status_sequence);
    put_le32(plaintext + 36, s->command_sequence);
    memset(&encrypted, 0, sizeof encrypted);
    OK(KeywardOPMEncryptInitializationParameters(chain, length, plaintext, sizeof plaintext,
                                                 &encrypted));
    return encrypted;
}

static void opm(D3D10DDI_HDEVICE device) {
    opm_session s;
    OPM_RANDOM_NUMBER random, wrong_random;
    OPM_ENCRYPTED_INITIALIZATION_PARAMETERS encrypted, garbage;
    OPM_GET_INFO_PARAMETERS request;
    OPM_REQUESTED_INFORMATION answer;
    OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS copp;
    OPM_CONFIGURE_PARAMETERS command;
    BYTE *chain = NULL, *second_chain = NULL, big[127];
    ULONG length = 0, second_length = 0, hdcp = OPM_PROTECTION_TYPE_HDCP, acp = OPM_PROTECTION_TYPE_ACP;
    IOPMVideoOutput *unused = NULL;
    int i;

    EXPECT(NOT_SUPPORTED, KeywardOPMGetVideoOutput(device, OPM_VOS_COPP_SEMANTICS, &unused));
    CHECK(unused == NULL);
    EXPECT(E_INVALIDARG, KeywardOPMGetVideoOutput(device, OPM_VOS_OPM_SEMANTICS, NULL));
    EXPECT(E_HANDLE, KeywardOPMGetVideoOutput(FORGED_DEVICE, OPM_VOS_OPM_SEMANTICS, &unused));
    OK(KeywardOPMGetVideoOutput(device, OPM_VOS_OPM_SEMANTICS, &s.output));
    for (i = 0; i < 16; i++) s.key[i] = (BYTE)(0x40 + 3 * i);
    s.status_sequence = 0xFFFFFFFFu; /* wraps to 0 after the first request */
    s.command_sequence = 1000;

    /* Out of order: nothing before StartInitialization. */
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    EXPECT(DXGI_ERROR_INVALID_CALL, OPMVideoOutputGetInformation(s.output, &request, &answer));
    memset(&garbage, 0x5a, sizeof garbage);
    EXPECT(DXGI_ERROR_INVALID_CALL, OPMVideoOutputFinishInitialization(s.output, &garbage));

    EXPECT(E_INVALIDARG, OPMVideoOutputStartInitialization(s.output, NULL, &chain, &length));
    EXPECT(E_INVALIDARG, OPMVideoOutputStartInitialization(s.output, &random, NULL, &length));
    EXPECT(E_INVALIDARG, OPMVideoOutputStartInitialization(s.output, &random, &chain, NULL));
    OK(OPMVideoOutputStartInitialization(s.output, &random, &chain, &length));
    CHECK(chain != NULL && length > 500 && chain[0] == 0x30);
    /* Starting again replaces the random number; the chain is the same. */
    OK(OPMVideoOutputStartInitialization(s.output, &random, &second_chain, &second_length));
    CHECK(second_length == length && memcmp(chain, second_chain, length) == 0);
    OK(KeywardOPMFreeMemory(second_chain));
    EXPECT(E_INVALIDARG, KeywardOPMFreeMemory(second_chain));
    OK(KeywardOPMFreeMemory(NULL));
    EXPECT(E_INVALIDARG, KeywardOPMFreeMemory(&length));

    /* The application's encryption helper checks its inputs. */
    memset(big, 1, sizeof big);
    EXPECT(E_INVALIDARG, KeywardOPMEncryptInitializationParameters(chain, length, big,
                                                                   sizeof big, &encrypted));
    EXPECT(E_INVALIDARG, KeywardOPMEncryptInitializationParameters(chain, length - 1, big, 40,
                                                                   &encrypted));
    EXPECT(E_INVALIDARG, KeywardOPMEncryptInitializationParameters(chain, length, big, 0,
                                                                   &encrypted));

    /* A wrong random number, and garbage, are refused; the output still waits. */
    wrong_random = random;
    wrong_random.abRandomNumber[5] ^= 0x80;
    encrypted = initialization(&s, &wrong_random, chain, length);
    EXPECT(E_INVALIDARG, OPMVideoOutputFinishInitialization(s.output, &encrypted));
    EXPECT(E_INVALIDARG, OPMVideoOutputFinishInitialization(s.output, &garbage));
    EXPECT(E_INVALIDARG, OPMVideoOutputFinishInitialization(s.output, NULL));
    encrypted = initialization(&s, &random, chain, length);
    OK(OPMVideoOutputFinishInitialization(s.output, &encrypted));
    EXPECT(DXGI_ERROR_INVALID_CALL, OPMVideoOutputFinishInitialization(s.output, &encrypted));
    EXPECT(DXGI_ERROR_INVALID_CALL,
           OPMVideoOutputStartInitialization(s.output, &random, &second_chain, &second_length));
    OK(KeywardOPMFreeMemory(chain));

    /* Signed status requests; the status sequence wraps from 0xFFFFFFFF to 0. */
    CHECK(get_information(&s, &OPM_GET_CONNECTOR_TYPE, NULL) == OPM_CONNECTOR_TYPE_HDMI);
    CHECK(s.status_sequence == 0);
    CHECK(get_information(&s, &OPM_GET_SUPPORTED_PROTECTION_TYPES, NULL) ==
          OPM_PROTECTION_TYPE_HDCP);
    CHECK(get_information(&s, &OPM_GET_VIRTUAL_PROTECTION_LEVEL, &hdcp) == OPM_HDCP_OFF);

    /* Tampered OMAC, tampered body, replay, skipped sequence number: E_ACCESSDENIED. */
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    request.omac.abOMAC[0] ^= 1;
    EXPECT(E_ACCESSDENIED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    request.guidInformation = OPM_GET_SUPPORTED_PROTECTION_TYPES;
    EXPECT(E_ACCESSDENIED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    s.status_sequence--;
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    EXPECT(E_ACCESSDENIED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    s.status_sequence += 2;
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    EXPECT(E_ACCESSDENIED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    s.status_sequence--;
    /* A request that is valid but not implemented, and bad parameters: no sequence used. */
    request = info_request(&s, &OPM_GET_ACTUAL_OUTPUT_FORMAT, NULL);
    EXPECT(NOT_SUPPORTED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    request = info_request(&s, &OPM_GET_VIRTUAL_PROTECTION_LEVEL, &acp);
    EXPECT(E_INVALIDARG, OPMVideoOutputGetInformation(s.output, &request, &answer));
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    EXPECT(E_INVALIDARG, OPMVideoOutputGetInformation(s.output, &request, NULL));
    EXPECT(E_INVALIDARG, OPMVideoOutputGetInformation(s.output, NULL, &answer));
    /* The accepted request, replayed, is refused. */
    OK(OPMVideoOutputGetInformation(s.output, &request, &answer));
    EXPECT(E_ACCESSDENIED, OPMVideoOutputGetInformation(s.output, &request, &answer));
    s.status_sequence++;
    CHECK(get_information(&s, &OPM_GET_CONNECTOR_TYPE, NULL) == OPM_CONNECTOR_TYPE_HDMI);

    /* Configure: signed commands with their own sequence. */
    command = protection_command(&s, OPM_HDCP_ON);
    OK(OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    s.command_sequence++;
    EXPECT(E_ACCESSDENIED, OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    CHECK(get_information(&s, &OPM_GET_ACTUAL_PROTECTION_LEVEL, &hdcp) == OPM_HDCP_ON);
    CHECK(get_information(&s, &OPM_GET_VIRTUAL_PROTECTION_LEVEL, &hdcp) == OPM_HDCP_ON);
    command = protection_command(&s, OPM_HDCP_OFF);
    command.omac.abOMAC[15] ^= 0x40;
    EXPECT(E_ACCESSDENIED, OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    command = protection_command(&s, 7);
    EXPECT(E_INVALIDARG, OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    command = protection_command(&s, OPM_HDCP_OFF);
    EXPECT(E_INVALIDARG, OPMVideoOutputConfigure(s.output, &command, sizeof hdcp,
                                                 (const BYTE *)&hdcp));
    EXPECT(E_INVALIDARG, OPMVideoOutputConfigure(s.output, &command, 4, NULL));
    command.guidSetting = OPM_GET_CONNECTOR_TYPE;
    OK(KeywardOPMComputeOMAC(s.key, (const BYTE *)&command + OPM_OMAC_SIZE,
                             sizeof command - OPM_OMAC_SIZE, &command.omac));
    EXPECT(NOT_SUPPORTED, OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    command = protection_command(&s, OPM_HDCP_OFF);
    OK(OPMVideoOutputConfigure(s.output, &command, 0, NULL));
    s.command_sequence++;
    CHECK(get_information(&s, &OPM_GET_ACTUAL_PROTECTION_LEVEL, &hdcp) == OPM_HDCP_OFF);

    memset(&copp, 0, sizeof copp);
    EXPECT(NOT_SUPPORTED, OPMVideoOutputCOPPCompatibleGetInformation(s.output, &copp, &answer));

    /* A released output is gone. */
    OK(KeywardOPMReleaseVideoOutput(s.output));
    EXPECT(E_HANDLE, KeywardOPMReleaseVideoOutput(s.output));
    request = info_request(&s, &OPM_GET_CONNECTOR_TYPE, NULL);
    EXPECT(E_HANDLE, OPMVideoOutputGetInformation(s.output, &request, &answer));
    EXPECT(E_HANDLE, OPMVideoOutputStartInitialization(s.output, &random, &chain, &length));
    EXPECT(E_HANDLE, OPMVideoOutputConfigure(s.output, &command, 0, NULL));
}

/* An output left open is released when its device closes. */
static void opm_outlived_by_nothing(void) {
    D3D10DDI_HDEVICE device;
    IOPMVideoOutput *output = NULL;
    OPM_RANDOM_NUMBER random;
    BYTE *chain = NULL;
    ULONG length = 0;
    OK(KeywardD3D11OpenDevice(&device));
    OK(KeywardOPMGetVideoOutput(device, OPM_VOS_OPM_SEMANTICS, &output));
    OK(KeywardD3D11CloseDevice(device));
    EXPECT(E_HANDLE, OPMVideoOutputStartInitialization(output, &random, &chain, &length));
    EXPECT(E_HANDLE, KeywardOPMReleaseVideoOutput(output));
}

int main(void) {
    D3D10DDI_HDEVICE device;
    int i;

    for (i = 0; i < FRAME; i++) frame[i] = (BYTE)(i * 13 + 1);
    srand(12345);

    known_answers();
    EXPECT(E_INVALIDARG, KeywardD3D11OpenDevice(NULL));
    OK(KeywardD3D11OpenDevice(&device));
    CHECK(device.pDrvPrivate != NULL);
    LAST(S_OK, device);
    EXPECT(E_HANDLE, KeywardD3D11GetLastError(FORGED_DEVICE));
    /* A VOID call with a forged device records nothing, and does not crash. */
    FinishSessionKeyRefresh(FORGED_DEVICE, (D3D11_1DDI_HCRYPTOSESSION){NULL});
    LAST(S_OK, device);

    capabilities(device);
    creation_and_certificate(device);
    key_exchange_and_blits(device);
    wrong_device(device);
    destroyed_session(device);
    resources(device);
    opm(device);
    opm_outlived_by_nothing();

    OK(KeywardD3D11CloseDevice(device));
    EXPECT(E_HANDLE, KeywardD3D11CloseDevice(device));
    return kw_finish("cryptosession");
}

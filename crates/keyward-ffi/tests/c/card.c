/*
 * card.c: the smart-card minidriver of libkeyward (cardmod.h v7), driven from C the way a CSP
 * drives a minidriver: through the function pointers CardAcquireContext puts into CARD_DATA,
 * with the CSP's allocator callbacks counting every allocation (all must be freed by the end).
 *
 * One process plays both sides of secure key injection: a server CARD_DATA in no-card mode
 * (holding the card's static SCP03 keys) and client CARD_DATAs bound to a virtual card whose
 * state lives in a temporary directory. Covered:
 *   - CardAcquireContext: version negotiation (9 -> 7, 6 and 4 fill only their own slots,
 *     below 4 is ERROR_REVISION_MISMATCH), the slots (implemented functions, unsupported ones
 *     returning SCARD_E_UNSUPPORTED_FEATURE, pfnCardDeauthenticate NULL, the CSP's callbacks
 *     untouched), and every documented refusal;
 *   - CardGetSharedKeyHandle relayed between server and client until both hold a key, then
 *     MDEncryptData -> CardProcessEncryptedData for CSF_IMPORT_KEYPAIR (RSA and EC keys),
 *     CSF_CHANGE_AUTHENTICATOR and CSF_AUTHENTICATE; CardAuthenticateEx with the injected PIN;
 *   - CardGetContainerInfo (PUBLICKEYBLOB / BCRYPT_ECCKEY_BLOB, compared with the keys);
 *   - the RSA-wrapped session key (KeywardCardWrapSessionKey, CardImportSessionKey,
 *     MDImportSessionKey, the IV exchange) and a secure function over it, which also shows the
 *     injected RSA key works on the card;
 *   - the error paths: NULL, misaligned and forged pointers and handles, no-card mode
 *     restrictions, unsupported features, short buffers, wrong, tampered and replayed relay
 *     messages and blobs, failed allocations, a disconnected card;
 *   - the card's state surviving in its file (a new connection sees the injected keys and PIN).
 *
 * Usage: card RSA_KEY.pk8.der (an RSA-2048 PKCS#8 key; tests/c/run makes one with OpenSSL).
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kwtest.h"
#include "cardmod.h"

/* ---- The CSP's allocator, counting -------------------------------------------------------- */

static long live_allocations = 0;
static long total_allocations = 0;
static int fail_next_allocation = 0;

static LPVOID WINAPI csp_alloc(SIZE_T size) {
    void *block;
    if (fail_next_allocation) {
        fail_next_allocation = 0;
        return NULL;
    }
    block = malloc(size);
    if (block) {
        live_allocations++;
        total_allocations++;
    }
    return block;
}

static LPVOID WINAPI csp_realloc(LPVOID address, SIZE_T size) {
    void *block = realloc(address, size);
    if (!address && block) live_allocations++;
    return block;
}

static void WINAPI csp_free(LPVOID address) {
    if (address) {
        live_allocations--;
        free(address);
    }
}

/* Callbacks and slot values the minidriver must leave alone. */
static DWORD WINAPI csp_get_dh_agreement(PCARD_DATA card_data, PVOID agreement, BYTE *index,
                                         DWORD flags) {
    (void)card_data;
    (void)agreement;
    (void)index;
    (void)flags;
    return SCARD_E_UNEXPECTED;
}

static DWORD WINAPI sentinel_shared_key(PCARD_DATA card_data, PBYTE input, DWORD length,
                                        PBYTE *output, PDWORD output_length,
                                        PCARD_KEY_HANDLE key) {
    (void)card_data;
    (void)input;
    (void)length;
    (void)output;
    (void)output_length;
    (void)key;
    return SCARD_E_UNEXPECTED;
}

static DWORD WINAPI sentinel_derive_key(PCARD_DATA card_data, PCARD_DERIVE_KEY info) {
    (void)card_data;
    (void)info;
    return SCARD_E_UNEXPECTED;
}

static DWORD WINAPI csp_unpad(PCARD_RSA_DECRYPT_INFO info, DWORD *length, PBYTE *data) {
    (void)info;
    (void)length;
    (void)data;
    return SCARD_E_UNEXPECTED;
}

/* ---- Fixtures -------------------------------------------------------------------------------- */

static const char USER_PIN[] = "1234";
static const char NEW_USER_PIN[] = "24680";
static const char ADMIN_PIN[] = "admin-pin-0";
static WCHAR CARD_NAME[] = {'k', 'e', 'y', 'w', 'a', 'r', 'd', 0};

/* EC P-256 key pair (PKCS#8 made by OpenSSL); its public point is the last 65 bytes. */
static const char EC_PKCS8_HEX[] =
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"
    "8e089625b3751d475f5e326ebed1f7916d02a9d7b706e37c62d2f0e06dcddaeca1440342"
    "0004c35c213758e36b94b7ec1b456567252c6465dabd3b27841852885be6ab3a94841ccd"
    "33a011d3dc4bb8ba813c91325051f3c5b477357a3834076a0b03ffd85f61";

static BYTE ec_pkcs8[138];
static BYTE *rsa_pkcs8;
static DWORD rsa_pkcs8_length;

static void from_hex(const char *hex, BYTE *out, size_t length) {
    size_t i;
    for (i = 0; i < length; i++) {
        unsigned value = 0;
        sscanf(hex + 2 * i, "%2x", &value);
        out[i] = (BYTE)value;
    }
}

/* pySim's keyset pattern: ENC 00.., MAC 10.., DEK 20.., KVN 30. */
static KEYWARD_CARD_KEYSET test_keys(void) {
    KEYWARD_CARD_KEYSET keys;
    int i;
    memset(&keys, 0, sizeof keys);
    keys.dwKeyVersion = 0x30;
    keys.cbKey = 16;
    for (i = 0; i < 16; i++) {
        keys.rgbEnc[i] = (BYTE)i;
        keys.rgbMac[i] = (BYTE)(0x10 + i);
        keys.rgbDek[i] = (BYTE)(0x20 + i);
    }
    return keys;
}

static void init_card_data(CARD_DATA *card_data, DWORD version) {
    memset(card_data, 0, sizeof *card_data);
    card_data->dwVersion = version;
    card_data->pfnCspAlloc = csp_alloc;
    card_data->pfnCspReAlloc = csp_realloc;
    card_data->pfnCspFree = csp_free;
    card_data->pfnCspUnpadData = csp_unpad;
    card_data->pfnCspGetDHAgreement = csp_get_dh_agreement;
}

/* A server: no-card mode with the static keys. */
static DWORD acquire_server(CARD_DATA *server, const KEYWARD_CARD_KEYSET *keys) {
    KEYWARD_CARD_VENDOR_INFO info;
    memset(&info, 0, sizeof info);
    info.dwVersion = KEYWARD_CARD_VENDOR_INFO_VERSION;
    info.pStaticKeys = keys;
    init_card_data(server, CARD_DATA_VERSION_SEVEN);
    server->pvVendorSpecific = &info;
    return CardAcquireContext(server, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE);
}

static BYTE atr[64];
static DWORD atr_length;

/* A client CARD_DATA of `version` on the connection `card`, ready for CardAcquireContext. */
static void prepare_client(CARD_DATA *client, DWORD version, SCARDCONTEXT context,
                           SCARDHANDLE card) {
    init_card_data(client, version);
    OK(KeywardCardGetAtr(card, atr, sizeof atr, &atr_length));
    client->pbAtr = atr;
    client->cbAtr = atr_length;
    client->pwszCardName = CARD_NAME;
    client->hSCardCtx = context;
    client->hScard = card;
}

/* A client of `version` on the connection `card`, with the static keys when `keys`. */
static DWORD acquire_client(CARD_DATA *client, DWORD version, SCARDCONTEXT context,
                            SCARDHANDLE card, const KEYWARD_CARD_KEYSET *keys) {
    KEYWARD_CARD_VENDOR_INFO info;
    memset(&info, 0, sizeof info);
    info.dwVersion = KEYWARD_CARD_VENDOR_INFO_VERSION;
    info.pStaticKeys = keys;
    prepare_client(client, version, context, card);
    client->pvVendorSpecific = keys ? &info : NULL;
    return CardAcquireContext(client, 0);
}

/* Runs CardGetSharedKeyHandle on both sides, relaying each message, until both hold a key. */
static void establish(CARD_DATA *server, CARD_DATA *client, CARD_KEY_HANDLE *server_key,
                      CARD_KEY_HANDLE *client_key) {
    PBYTE message = NULL, reply = NULL;
    DWORD length = 0, reply_length = 0;
    int rounds = 0;
    *server_key = *client_key = 0;
    OK(server->pfnCardGetSharedKeyHandle(server, NULL, 0, &message, &length, server_key));
    CHECK(message != NULL && length > 0 && *server_key == 0);
    while (message && !(*server_key && *client_key) && rounds++ < 4) {
        OK(client->pfnCardGetSharedKeyHandle(client, message, length, &reply, &reply_length,
                                             client_key));
        server->pfnCspFree(message);
        message = NULL;
        if (reply) {
            OK(server->pfnCardGetSharedKeyHandle(server, reply, reply_length, &message, &length,
                                                 server_key));
            client->pfnCspFree(reply);
            reply = NULL;
        } else {
            CHECK(reply_length == 0);
        }
    }
    CHECK(*server_key != 0 && *client_key != 0);
    CHECK(rounds == 2);
    CHECK(message == NULL && reply == NULL);
}

/* ---- Secure-function payloads (the structure, then its data) ------------------------------- */

static BYTE *authenticate_payload(PIN_ID pin, const char *value, DWORD flags, DWORD *length) {
    DWORD n = (DWORD)strlen(value);
    CARD_AUTHENTICATE *payload = (CARD_AUTHENTICATE *)malloc(sizeof *payload + n);
    payload->dwVersion = CARD_AUTHENTICATE_VERSION_SEVEN;
    payload->dwFlags = flags;
    payload->PinId = pin;
    payload->cbPinData = n;
    memcpy(payload->pbPinData, value, n);
    *length = (DWORD)sizeof *payload + n;
    return (BYTE *)payload;
}

static BYTE *change_payload(DWORD flags, PIN_ID from, const char *old_pin, PIN_ID to,
                            const char *new_pin, DWORD retries, DWORD *length) {
    DWORD old_length = (DWORD)strlen(old_pin), new_length = (DWORD)strlen(new_pin);
    CARD_CHANGE_AUTHENTICATOR *payload =
        (CARD_CHANGE_AUTHENTICATOR *)malloc(sizeof *payload + old_length + new_length);
    payload->dwVersion = CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN;
    payload->dwFlags = flags;
    payload->dwAuthenticatingPinId = from;
    payload->cbAuthenticatingPinData = old_length;
    payload->dwTargetPinId = to;
    payload->cbTargetData = new_length;
    payload->cRetryCount = retries;
    memcpy(payload->pbData, old_pin, old_length);
    memcpy(payload->pbData + old_length, new_pin, new_length);
    *length = (DWORD)sizeof *payload + old_length + new_length;
    return (BYTE *)payload;
}

static BYTE *import_payload(BYTE container, PIN_ID pin, DWORD key_spec, DWORD key_size,
                            const BYTE *key, DWORD key_length, DWORD *length) {
    CARD_IMPORT_KEYPAIR *payload = (CARD_IMPORT_KEYPAIR *)malloc(sizeof *payload + key_length);
    memset(payload, 0, sizeof *payload);
    payload->dwVersion = CARD_IMPORT_KEYPAIR_VERSION_SEVEN;
    payload->bContainerIndex = container;
    payload->PinId = pin;
    payload->dwKeySpec = key_spec;
    payload->dwKeySize = key_size;
    payload->cbInput = key_length;
    memcpy(payload->pbInput, key, key_length);
    *length = (DWORD)sizeof *payload + key_length;
    return (BYTE *)payload;
}

/* MDEncryptData on the server, then CardProcessEncryptedData on the client. */
static DWORD inject(CARD_DATA *server, CARD_KEY_HANDLE server_key, CARD_DATA *client,
                    CARD_KEY_HANDLE client_key, const WCHAR *function, BYTE *payload,
                    DWORD length, BYTE *output, DWORD output_size, DWORD *output_length) {
    PCARD_ENCRYPTED_DATA blobs = NULL;
    DWORD count = 0, status;
    status = server->pfnMDEncryptData(server, server_key, function, payload, length, 0, &blobs,
                                      &count);
    if (status != SCARD_S_SUCCESS) {
        CHECK(blobs == NULL && count == 0);
        return status;
    }
    CHECK(blobs != NULL && count > 0);
    status = client->pfnCardProcessEncryptedData(client, client_key, function, blobs, count,
                                                 output, output_size, output_length, 0);
    server->pfnCspFree(blobs);
    return status;
}

static DWORD le32(const BYTE *bytes) {
    return (DWORD)bytes[0] | (DWORD)bytes[1] << 8 | (DWORD)bytes[2] << 16 |
           (DWORD)bytes[3] << 24;
}

/* The content of the DER element at *cursor (its tag checked), moving the cursor past it. */
static const BYTE *der_element(const BYTE **cursor, const BYTE *end, BYTE tag, size_t *length) {
    const BYTE *p = *cursor;
    size_t n;
    if (end - p < 2 || p[0] != tag) return NULL;
    n = p[1];
    p += 2;
    if (n & 0x80) {
        size_t bytes = n & 0x7F, i;
        if (bytes == 0 || bytes > 2 || (size_t)(end - p) < bytes) return NULL;
        for (n = 0, i = 0; i < bytes; i++) n = (n << 8) | *p++;
    }
    if ((size_t)(end - p) < n) return NULL;
    *cursor = p + n;
    *length = n;
    return p;
}

/* The modulus (big-endian, no leading zero) of an RSA PKCS#8 key. */
static const BYTE *rsa_modulus(const BYTE *pkcs8, size_t pkcs8_length, size_t *length) {
    const BYTE *cursor = pkcs8, *end = pkcs8 + pkcs8_length, *inner, *modulus;
    size_t n;
    if (!(inner = der_element(&cursor, end, 0x30, &n))) return NULL; /* PrivateKeyInfo */
    cursor = inner;
    end = inner + n;
    if (!der_element(&cursor, end, 0x02, &n)) return NULL;            /* version */
    if (!der_element(&cursor, end, 0x30, &n)) return NULL;            /* algorithm */
    if (!(inner = der_element(&cursor, end, 0x04, &n))) return NULL;  /* privateKey */
    cursor = inner;
    end = inner + n;
    if (!(inner = der_element(&cursor, end, 0x30, &n))) return NULL;  /* RSAPrivateKey */
    cursor = inner;
    end = inner + n;
    if (!der_element(&cursor, end, 0x02, &n)) return NULL;            /* version */
    if (!(modulus = der_element(&cursor, end, 0x02, length))) return NULL;
    while (*length > 0 && modulus[0] == 0) {
        modulus++;
        (*length)--;
    }
    return modulus;
}

/* ---- Connections ----------------------------------------------------------------------------- */

static void test_connections(const char *state_path) {
    SCARDCONTEXT context = 0, other_context = 0;
    SCARDHANDLE card = 0, second = 0, unused = 0;
    BYTE small[4];
    DWORD length = 0;

    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardEstablishContext(NULL));
    OK(KeywardCardEstablishContext(&context));
    OK(KeywardCardEstablishContext(&other_context));
    CHECK(context != 0 && context != other_context);

    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardConnectVirtual(context, NULL, &card));
    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardConnectVirtual(context, "", &card));
    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardConnectVirtual(context, state_path, NULL));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardConnectVirtual(0x5eed, state_path, &card));
    EXPECT(SCARD_F_INTERNAL_ERROR,
           KeywardCardConnectVirtual(context, "/nonexistent/keyward.card", &card));
    CHECK(card == 0);
    /* A reader that does not exist (or no pcscd at all): refused, nothing written. */
    CHECK(KeywardCardConnectReader(context, "keyward: no such reader", &unused) != 0);
    CHECK(unused == 0);
    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardConnectReader(context, NULL, &unused));

    OK(KeywardCardConnectVirtual(context, state_path, &card));
    OK(KeywardCardConnectVirtual(other_context, state_path, &second));
    CHECK(card != 0 && second != 0 && card != second);

    /* The ATR: size query, short buffer, full read (keyward's virtual card ATR). */
    OK(KeywardCardGetAtr(card, NULL, 0, &length));
    CHECK(length == 13);
    length = 0;
    EXPECT(SCARD_E_INSUFFICIENT_BUFFER, KeywardCardGetAtr(card, small, sizeof small, &length));
    CHECK(length == 13);
    OK(KeywardCardGetAtr(second, atr, sizeof atr, &atr_length));
    CHECK(atr_length == 13 && atr[0] == 0x3B && memcmp(atr + 4, "keyward", 7) == 0);
    EXPECT(SCARD_E_INVALID_PARAMETER, KeywardCardGetAtr(card, atr, sizeof atr, NULL));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardGetAtr(context, atr, sizeof atr, &length));

    /* Disconnecting one connection leaves the other; releasing a context closes its cards. */
    OK(KeywardCardDisconnect(card));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardDisconnect(card));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardGetAtr(card, atr, sizeof atr, &length));
    OK(KeywardCardGetAtr(second, atr, sizeof atr, &length));
    OK(KeywardCardReleaseContext(other_context));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardGetAtr(second, atr, sizeof atr, &length));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardReleaseContext(other_context));
    EXPECT(SCARD_E_INVALID_HANDLE, KeywardCardDisconnect(second));
    OK(KeywardCardReleaseContext(context));
}

/* ---- CardAcquireContext ---------------------------------------------------------------------- */

static void test_acquire(SCARDCONTEXT context, SCARDHANDLE card,
                         const KEYWARD_CARD_KEYSET *keys) {
    CARD_DATA data, *misaligned;
    KEYWARD_CARD_VENDOR_INFO info, bad_info;
    PVOID handle;
    DWORD length = 0;
    uint64_t unaligned_storage[sizeof(CARD_DATA) / 8 + 2];

    /* Version negotiation: 9 -> 7 (all slots); the context lives in pvVendorSpecific. */
    OK(acquire_client(&data, 9, context, card, NULL));
    CHECK(data.dwVersion == 7);
    CHECK(data.pvVendorSpecific != NULL && ((uintptr_t)data.pvVendorSpecific & 1) == 1);
    CHECK(data.pfnCardDeleteContext == CardDeleteContext);
    CHECK(data.pfnCardGetContainerInfo == CardGetContainerInfo);
    CHECK(data.pfnCardAuthenticateEx == CardAuthenticateEx);
    CHECK(data.pfnCardDeauthenticateEx == CardDeauthenticateEx);
    CHECK(data.pfnCardGetProperty == CardGetProperty);
    CHECK(data.pfnMDImportSessionKey == MDImportSessionKey);
    CHECK(data.pfnMDEncryptData == MDEncryptData);
    CHECK(data.pfnCardImportSessionKey == CardImportSessionKey);
    CHECK(data.pfnCardGetSharedKeyHandle == CardGetSharedKeyHandle);
    CHECK(data.pfnCardGetAlgorithmProperty == CardGetAlgorithmProperty);
    CHECK(data.pfnCardGetKeyProperty == CardGetKeyProperty);
    CHECK(data.pfnCardSetKeyProperty == CardSetKeyProperty);
    CHECK(data.pfnCardDestroyKey == CardDestroyKey);
    CHECK(data.pfnCardProcessEncryptedData == CardProcessEncryptedData);
    /* Not implemented: NULL for CardDeauthenticate (cardmod.h), unsupported for the others. */
    CHECK(data.pfnCardDeauthenticate == NULL);
    CHECK(data.pvUnused3 == NULL && data.pvUnused4 == NULL);
    CHECK(data.pfnCardSetProperty != NULL && data.pfnCardSignData != NULL &&
          data.pfnCardCreateContainerEx != NULL && data.pfnCardQueryCapabilities != NULL);
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           data.pfnCardSetProperty(&data, CP_CARD_READ_ONLY, NULL, 0, 0));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE, data.pfnCardSignData(&data, NULL));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE, data.pfnCardQueryCapabilities(&data, NULL));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           data.pfnCardReadFile(&data, NULL, NULL, 0, NULL, NULL));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           data.pfnCardCreateContainerEx(&data, 0, 0, AT_KEYEXCHANGE, 2048, NULL, ROLE_USER));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           data.pfnCardGetContainerProperty(&data, 0, W("Container Info"), NULL, 0, &length, 0));
    /* The CSP's own callback in the v7 area is left alone. */
    CHECK(data.pfnCspUnpadData == csp_unpad && data.pfnCspGetDHAgreement == csp_get_dh_agreement);
    /* Acquiring an acquired CARD_DATA again is refused; deleting clears pvVendorSpecific. */
    handle = data.pvVendorSpecific;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0));
    CHECK(data.pvVendorSpecific == handle);
    OK(data.pfnCardDeleteContext(&data));
    CHECK(data.pvVendorSpecific == NULL);
    EXPECT(SCARD_E_INVALID_HANDLE, CardDeleteContext(&data));
    data.pvVendorSpecific = handle;
    EXPECT(SCARD_E_INVALID_HANDLE, CardDeleteContext(&data));
    EXPECT(SCARD_E_INVALID_HANDLE, CardDestroyKey(&data, 1));

    /* Version 6: the v7 slots are not touched (a v6 caller's structure ends before them). */
    prepare_client(&data, 6, context, card);
    data.pfnCardGetSharedKeyHandle = sentinel_shared_key;
    OK(CardAcquireContext(&data, 0));
    CHECK(data.dwVersion == 6);
    CHECK(data.pfnCardGetProperty == CardGetProperty);
    CHECK(data.pfnCardGetSharedKeyHandle == sentinel_shared_key);
    CHECK(data.pfnMDEncryptData == NULL && data.pfnCardCreateContainerEx == NULL);
    CHECK(data.pfnCspGetDHAgreement == csp_get_dh_agreement);
    OK(CardDeleteContext(&data));
    /* Version 4: neither v5 nor v6 slots. */
    prepare_client(&data, 4, context, card);
    data.pfnCardDeriveKey = sentinel_derive_key;
    OK(CardAcquireContext(&data, 0));
    CHECK(data.dwVersion == 4);
    CHECK(data.pfnCardGetContainerInfo == CardGetContainerInfo);
    CHECK(data.pfnCardDeriveKey == sentinel_derive_key && data.pfnCardAuthenticateEx == NULL);
    OK(CardDeleteContext(&data));

    /* Refusals of docs/cryptosession-and-card.md, "CARD_DATA and context acquisition"; a failed
     * call writes nothing. */
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(NULL, 0));
    misaligned = (CARD_DATA *)(void *)((BYTE *)unaligned_storage + 1);
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(misaligned, 0));
    OK(acquire_client(&data, 7, context, card, NULL));
    OK(CardDeleteContext(&data));
    data.dwVersion = 3;
    EXPECT(ERROR_REVISION_MISMATCH, CardAcquireContext(&data, 0));
    CHECK(data.dwVersion == 3 && data.pvVendorSpecific == NULL);
    data.dwVersion = 7;
    data.pfnCspFree = NULL;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0));
    data.pfnCspFree = csp_free;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0x2));
    data.hScard = 0;
    EXPECT(SCARD_E_INVALID_HANDLE, CardAcquireContext(&data, 0));
    data.hScard = 0x5eed;
    EXPECT(SCARD_E_INVALID_HANDLE, CardAcquireContext(&data, 0));
    data.hScard = card;
    data.hSCardCtx = 0x5eed;
    EXPECT(SCARD_E_INVALID_HANDLE, CardAcquireContext(&data, 0));
    data.hSCardCtx = context;
    data.pbAtr = NULL;
    data.cbAtr = 0;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0));
    data.pbAtr = atr;
    data.cbAtr = atr_length;
    data.pwszCardName = NULL;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0));
    data.pwszCardName = CARD_NAME;
    CHECK(data.pvVendorSpecific == NULL && data.pfnCardDeleteContext == CardDeleteContext);
    /* A bad vendor information. */
    memset(&bad_info, 0, sizeof bad_info);
    bad_info.dwVersion = 2;
    data.pvVendorSpecific = &bad_info;
    EXPECT(SCARD_E_INVALID_PARAMETER, CardAcquireContext(&data, 0));
    bad_info.dwVersion = KEYWARD_CARD_VENDOR_INFO_VERSION;
    bad_info.dwSecurityLevel = 0x02;
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE, CardAcquireContext(&data, 0));
    CHECK(data.pvVendorSpecific == &bad_info);
    data.pvVendorSpecific = NULL;
    /* A card without keyward's application. */
    memset(&info, 0, sizeof info);
    info.dwVersion = KEYWARD_CARD_VENDOR_INFO_VERSION;
    info.pbAid = (const BYTE *)"\xA0\x00\x00\x00\x99";
    info.cbAid = 5;
    data.pvVendorSpecific = &info;
    EXPECT(SCARD_E_UNEXPECTED, CardAcquireContext(&data, 0));
    data.pvVendorSpecific = NULL;

    /* No-card mode: no handles, version 7, the static keys. */
    init_card_data(&data, 7);
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardAcquireContext(&data, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE));
    memset(&info, 0, sizeof info);
    info.dwVersion = KEYWARD_CARD_VENDOR_INFO_VERSION;
    info.pStaticKeys = keys;
    data.pvVendorSpecific = &info;
    data.hScard = card;
    data.hSCardCtx = context;
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardAcquireContext(&data, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE));
    data.hScard = 0;
    data.hSCardCtx = 0;
    data.dwVersion = 6;
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardAcquireContext(&data, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE));
    data.dwVersion = 8;
    OK(CardAcquireContext(&data, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE));
    CHECK(data.dwVersion == 7 && data.pvVendorSpecific != &info);
    OK(CardDeleteContext(&data));
}

/* ---- Properties ------------------------------------------------------------------------------ */

static void test_properties(CARD_DATA *server, CARD_DATA *client) {
    BYTE value[64];
    DWORD length = 0;
    BCRYPT_KEY_LENGTHS_STRUCT lengths;
    static const BYTE AES_LIST[] = {'A', 0, 'E', 0, 'S', 0, 0, 0, 0, 0};
    static const BYTE RSA_LIST[] = {'R', 0, 'S', 0, 'A', 0, 0, 0, 0, 0};

    /* CP_KEY_IMPORT_SUPPORT: the size first (ERROR_INSUFFICIENT_BUFFER with the length). */
    EXPECT(ERROR_INSUFFICIENT_BUFFER,
           client->pfnCardGetProperty(client, CP_KEY_IMPORT_SUPPORT, NULL, 0, &length, 0));
    CHECK(length == 4);
    length = 0;
    EXPECT(ERROR_INSUFFICIENT_BUFFER,
           client->pfnCardGetProperty(client, CP_KEY_IMPORT_SUPPORT, value, 3, &length, 0));
    CHECK(length == 4);
    OK(client->pfnCardGetProperty(client, CP_KEY_IMPORT_SUPPORT, value, sizeof value, &length,
                                  0));
    CHECK(length == 4 &&
          le32(value) == (CARD_KEY_IMPORT_SHARED_SYMMETRIC | CARD_KEY_IMPORT_RSA_KEYEST));
    OK(client->pfnCardGetProperty(client, CP_ENUM_ALGORITHMS, value, sizeof value, &length,
                                  CARD_CIPHER_OPERATION));
    CHECK(length == sizeof AES_LIST && memcmp(value, AES_LIST, length) == 0);
    OK(client->pfnCardGetProperty(client, CP_ENUM_ALGORITHMS, value, sizeof value, &length,
                                  CARD_ASYMMETRIC_OPERATION));
    CHECK(length == sizeof RSA_LIST && memcmp(value, RSA_LIST, length) == 0);
    OK(client->pfnCardGetProperty(client, CP_PADDING_SCHEMES, value, sizeof value, &length,
                                  CARD_ASYMMETRIC_OPERATION));
    CHECK(length == 4 && le32(value) == CARD_PADDING_OAEP);
    OK(client->pfnCardGetProperty(client, CP_CHAINING_MODES, value, sizeof value, &length, 0));
    CHECK(length == sizeof CARD_CHAIN_MODE_CBC + 2 &&
          memcmp(value, CARD_CHAIN_MODE_CBC, sizeof CARD_CHAIN_MODE_CBC) == 0);
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetProperty(client, CP_KEY_IMPORT_SUPPORT, value, sizeof value,
                                      &length, 1));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetProperty(client, W("No Such Property"), value, sizeof value,
                                      &length, 0));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardGetProperty(client, CP_CARD_FREE_SPACE, value, sizeof value, &length,
                                      0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetProperty(client, NULL, value, sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetProperty(client, CP_KEY_IMPORT_SUPPORT, value, sizeof value, NULL,
                                      0));
    /* The server has no card. */
    EXPECT(SCARD_E_NO_SMARTCARD,
           CardGetProperty(server, CP_KEY_IMPORT_SUPPORT, value, sizeof value, &length, 0));

    /* CardGetAlgorithmProperty is allowed on both sides. */
    OK(server->pfnCardGetAlgorithmProperty(server, CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, value,
                                           sizeof value, &length, 0));
    CHECK(length == 4 && le32(value) == 16);
    OK(client->pfnCardGetAlgorithmProperty(client, CARD_AES_ALGORITHM, BCRYPT_KEY_LENGTHS,
                                           (PBYTE)&lengths, sizeof lengths, &length, 0));
    CHECK(length == sizeof lengths && lengths.dwMinLength == 128 &&
          lengths.dwMaxLength == 256 && lengths.dwIncrement == 64);
    OK(client->pfnCardGetAlgorithmProperty(client, BCRYPT_RSA_ALGORITHM, BCRYPT_KEY_LENGTHS,
                                           (PBYTE)&lengths, sizeof lengths, &length, 0));
    CHECK(lengths.dwMinLength == 2048 && lengths.dwMaxLength == 2048);
    OK(server->pfnCardGetAlgorithmProperty(server, CARD_AES_ALGORITHM, CKP_CHAINING_MODE, value,
                                           sizeof value, &length, 0));
    CHECK(length == sizeof CARD_CHAIN_MODE_CBC &&
          memcmp(value, CARD_CHAIN_MODE_CBC, length) == 0);
    EXPECT(ERROR_INSUFFICIENT_BUFFER,
           server->pfnCardGetAlgorithmProperty(server, CARD_AES_ALGORITHM, CKP_CHAINING_MODE,
                                               value, 4, &length, 0));
    CHECK(length == sizeof CARD_CHAIN_MODE_CBC);
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetAlgorithmProperty(server, CARD_3DES_ALGORITHM, CKP_BLOCK_LENGTH,
                                               value, sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetAlgorithmProperty(server, CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH,
                                               value, sizeof value, &length, 1));
}

/* ---- Shared key, secure key injection -------------------------------------------------------- */

static void test_relay_errors(CARD_DATA *server, CARD_DATA *client) {
    PBYTE host = NULL, card = NULL, external = NULL, extra = NULL;
    DWORD host_length = 0, card_length = 0, external_length = 0, extra_length = 0;
    CARD_KEY_HANDLE server_key = 0, client_key = 0, unused = 0;
    BYTE garbage[] = "not a keyward message";
    CARD_KEY_HANDLE misaligned_storage[2];
    PCARD_KEY_HANDLE misaligned = (PCARD_KEY_HANDLE)(void *)((BYTE *)misaligned_storage + 1);

    /* Pointers. */
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardGetSharedKeyHandle(NULL, NULL, 0, &host, &host_length, &server_key));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetSharedKeyHandle(server, NULL, 0, &host, &host_length, NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetSharedKeyHandle(server, NULL, 0, &host, &host_length, misaligned));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetSharedKeyHandle(server, NULL, 0, NULL, NULL, &server_key));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetSharedKeyHandle(server, NULL, 5, &host, &host_length, &server_key));
    /* Messages that are not keyward's; a client cannot start. */
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetSharedKeyHandle(client, garbage, sizeof garbage, &card,
                                             &card_length, &client_key));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetSharedKeyHandle(client, NULL, 0, &card, &card_length,
                                             &client_key));
    CHECK(card == NULL && card_length == 0 && client_key == 0);

    OK(server->pfnCardGetSharedKeyHandle(server, NULL, 0, &host, &host_length, &server_key));
    /* The server does not take its own HOST CHALLENGE. */
    EXPECT(SCARD_E_INVALID_VALUE,
           server->pfnCardGetSharedKeyHandle(server, host, host_length, &extra, &extra_length,
                                             &server_key));
    CHECK(extra == NULL && server_key == 0);
    server->pfnCspFree(host);
    host = NULL;
    OK(server->pfnCardGetSharedKeyHandle(server, NULL, 0, &host, &host_length, &server_key));
    /* A HOST CHALLENGE needs somewhere to put the answer: refused before the card is asked. */
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardGetSharedKeyHandle(client, host, host_length, NULL, &card_length,
                                             &client_key));
    OK(client->pfnCardGetSharedKeyHandle(client, host, host_length, &card, &card_length,
                                         &client_key));
    CHECK(card != NULL && client_key == 0);
    /* A tampered CARD CHALLENGE: the card cryptogram does not verify; the handshake is gone. */
    card[card_length - 4] ^= 1;
    EXPECT(SCARD_W_SECURITY_VIOLATION,
           server->pfnCardGetSharedKeyHandle(server, card, card_length, &external,
                                             &external_length, &server_key));
    card[card_length - 4] ^= 1;
    EXPECT(SCARD_E_INVALID_VALUE,
           server->pfnCardGetSharedKeyHandle(server, card, card_length, &external,
                                             &external_length, &server_key));
    CHECK(external == NULL && server_key == 0);
    server->pfnCspFree(host);
    client->pfnCspFree(card);
    host = card = NULL;

    /* A complete run, then replays. */
    OK(server->pfnCardGetSharedKeyHandle(server, NULL, 0, &host, &host_length, &unused));
    OK(client->pfnCardGetSharedKeyHandle(client, host, host_length, &card, &card_length,
                                         &unused));
    OK(server->pfnCardGetSharedKeyHandle(server, card, card_length, &external, &external_length,
                                         &server_key));
    OK(client->pfnCardGetSharedKeyHandle(client, external, external_length, &extra,
                                         &extra_length, &client_key));
    CHECK(server_key != 0 && client_key != 0 && extra == NULL && extra_length == 0);
    EXPECT(SCARD_E_INVALID_VALUE,
           server->pfnCardGetSharedKeyHandle(server, card, card_length, &extra, &extra_length,
                                             &unused));
    EXPECT(SCARD_E_INVALID_VALUE,
           client->pfnCardGetSharedKeyHandle(client, external, external_length, &extra,
                                             &extra_length, &unused));
    /* The client does not take a CARD CHALLENGE. */
    EXPECT(SCARD_E_INVALID_VALUE,
           client->pfnCardGetSharedKeyHandle(client, card, card_length, &extra, &extra_length,
                                             &unused));
    CHECK(extra == NULL && unused == 0);
    /* A failed allocation: no message, no key; start over. */
    fail_next_allocation = 1;
    EXPECT(SCARD_E_NO_MEMORY,
           server->pfnCardGetSharedKeyHandle(server, NULL, 0, &extra, &extra_length, &unused));
    CHECK(extra == NULL && unused == 0);
    OK(server->pfnCardDestroyKey(server, server_key));
    OK(client->pfnCardDestroyKey(client, client_key));
    EXPECT(SCARD_E_INVALID_HANDLE, server->pfnCardDestroyKey(server, server_key));
    server->pfnCspFree(host);
    client->pfnCspFree(card);
    server->pfnCspFree(external);
}

static void test_injection(CARD_DATA *server, CARD_DATA *client) {
    CARD_KEY_HANDLE server_key = 0, client_key = 0;
    BYTE output[32], value[32];
    DWORD length = 0, payload_length = 0, count = 0;
    BYTE *payload;
    PCARD_ENCRYPTED_DATA blobs = NULL, single = NULL;
    CARD_AUTHENTICATE_RESPONSE response;
    CARD_CHANGE_AUTHENTICATOR_RESPONSE change_response;
    PCARD_ENCRYPTED_DATA none = NULL;

    establish(server, client, &server_key, &client_key);

    /* Key properties of a shared (SCP03) key; there is no IV to read or set. */
    OK(server->pfnCardGetKeyProperty(server, server_key, CKP_BLOCK_LENGTH, value, sizeof value,
                                     &length, 0));
    CHECK(length == 4 && le32(value) == 16);
    OK(client->pfnCardGetKeyProperty(client, client_key, CKP_CHAINING_MODE, value, sizeof value,
                                     &length, 0));
    CHECK(length == sizeof CARD_CHAIN_MODE_CBC);
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardGetKeyProperty(client, client_key, CKP_INITIALIZATION_VECTOR, value,
                                         sizeof value, &length, 0));
    OK(server->pfnCardSetKeyProperty(server, server_key, CKP_CHAINING_MODE,
                                     (PBYTE)CARD_CHAIN_MODE_CBC, sizeof CARD_CHAIN_MODE_CBC, 0));
    OK(client->pfnCardSetKeyProperty(client, client_key, CKP_CHAINING_MODE,
                                     (PBYTE)CARD_CHAIN_MODE_CBC, sizeof CARD_CHAIN_MODE_CBC, 0));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           server->pfnCardSetKeyProperty(server, server_key, CKP_BLOCK_LENGTH, value, 4, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardSetKeyProperty(server, server_key, CKP_CHAINING_MODE, value, 3, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetKeyProperty(server, server_key, W("Nonsense"), value, sizeof value,
                                         &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetKeyProperty(server, server_key, CKP_BLOCK_LENGTH, value,
                                         sizeof value, &length, 1));
    EXPECT(SCARD_E_INVALID_HANDLE,
           server->pfnCardGetKeyProperty(server, 0x5eed, CKP_BLOCK_LENGTH, value, sizeof value,
                                         &length, 0));

    /* CSF_IMPORT_KEYPAIR: the RSA key into container 1 (key exchange), the EC key into 3. */
    payload = import_payload(1, ROLE_USER, AT_KEYEXCHANGE, 2048, rsa_pkcs8, rsa_pkcs8_length,
                             &payload_length);
    OK(server->pfnMDEncryptData(server, server_key, CSF_IMPORT_KEYPAIR, payload, payload_length,
                                0, &blobs, &count));
    CHECK(blobs != NULL && count > 1);
    if (blobs) {
        /* One block: the array, then the blobs. */
        CHECK(blobs[0].pbEncryptedData == (PBYTE)(blobs + count));
        length = 99;
        OK(client->pfnCardProcessEncryptedData(client, client_key, CSF_IMPORT_KEYPAIR, blobs,
                                               count, output, sizeof output, &length, 0));
        CHECK(length == 0);
        server->pfnCspFree(blobs);
    }
    free(payload);
    payload = import_payload(3, ROLE_USER, AT_ECDSA_P256, 256, ec_pkcs8, sizeof ec_pkcs8,
                             &payload_length);
    OK(inject(server, server_key, client, client_key, CSF_IMPORT_KEYPAIR, payload,
              payload_length, NULL, 0, NULL));
    free(payload);
    /* A key that is not what dwKeySize says: refused by the server. */
    payload = import_payload(4, ROLE_USER, AT_ECDSA_P256, 384, ec_pkcs8, sizeof ec_pkcs8,
                             &payload_length);
    EXPECT(SCARD_E_INVALID_PARAMETER,
           inject(server, server_key, client, client_key, CSF_IMPORT_KEYPAIR, payload,
                  payload_length, NULL, 0, NULL));
    free(payload);

    /* CSF_CHANGE_AUTHENTICATOR: the user PIN becomes NEW_USER_PIN. */
    payload = change_payload(PIN_CHANGE_FLAG_CHANGEPIN, ROLE_USER, USER_PIN, ROLE_USER,
                             NEW_USER_PIN, 0, &payload_length);
    OK(inject(server, server_key, client, client_key, CSF_CHANGE_AUTHENTICATOR, payload,
              payload_length, (BYTE *)&change_response, sizeof change_response, &length));
    CHECK(length == sizeof change_response);
    CHECK(change_response.dwVersion == CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN &&
          change_response.cAttemptsRemaining == CARD_DATA_VALUE_UNKNOWN);
    free(payload);

    /* CSF_AUTHENTICATE: the new PIN works, the old one does not. */
    payload = authenticate_payload(ROLE_USER, NEW_USER_PIN, 0, &payload_length);
    OK(inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload,
              payload_length, (BYTE *)&response, sizeof response, &length));
    CHECK(length == sizeof response && response.dwVersion == 7 && response.cbSessionPin == 0);
    free(payload);
    payload = authenticate_payload(ROLE_USER, USER_PIN, 0, &payload_length);
    memset(&response, 0, sizeof response);
    EXPECT(SCARD_W_WRONG_CHV,
           inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload,
                  payload_length, (BYTE *)&response, sizeof response, &length));
    CHECK(length == sizeof response && response.cAttemptsRemaining == 2);
    free(payload);
    /* Session PINs are not supported. */
    payload = authenticate_payload(ROLE_USER, NEW_USER_PIN, CARD_AUTHENTICATE_SESSION_PIN,
                                   &payload_length);
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload,
                  payload_length, NULL, 0, NULL));
    free(payload);

    /* A short output buffer: SCARD_E_INSUFFICIENT_BUFFER with the size, nothing sent (the
     * same blobs then go through). A NULL output discards the response. */
    payload = authenticate_payload(ROLE_USER, NEW_USER_PIN, 0, &payload_length);
    OK(server->pfnMDEncryptData(server, server_key, CSF_AUTHENTICATE, payload, payload_length,
                                0, &single, &count));
    CHECK(single != NULL && count == 1);
    length = 0;
    EXPECT(SCARD_E_INSUFFICIENT_BUFFER,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, single,
                                               count, output, 4, &length, 0));
    CHECK(length == sizeof(CARD_AUTHENTICATE_RESPONSE));
    /* Blobs of another function, flags, a NULL array: refused, nothing sent. */
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_IMPORT_KEYPAIR, single,
                                               count, NULL, 0, NULL, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, single,
                                               count, NULL, 0, NULL, 1));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, NULL, 1,
                                               NULL, 0, NULL, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardProcessEncryptedData(client, client_key, W("Sign"), single, count,
                                               NULL, 0, NULL, 0));
    length = 0;
    OK(client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, single, count,
                                           NULL, 0, &length, 0));
    CHECK(length == sizeof(CARD_AUTHENTICATE_RESPONSE));

    /* Handles of the wrong side. */
    EXPECT(SCARD_E_INVALID_HANDLE,
           client->pfnMDEncryptData(client, client_key, CSF_AUTHENTICATE, payload,
                                    payload_length, 0, &none, &count));
    EXPECT(SCARD_E_INVALID_HANDLE,
           server->pfnCardProcessEncryptedData(server, server_key, CSF_AUTHENTICATE, single, 1,
                                               NULL, 0, NULL, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDEncryptData(server, server_key, CSF_AUTHENTICATE, payload,
                                    payload_length, 1, &none, &count));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDEncryptData(server, server_key, CSF_AUTHENTICATE, payload,
                                    payload_length, 0, NULL, &count));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDEncryptData(server, server_key, CSF_AUTHENTICATE, NULL, 0, 0, &none,
                                    &count));
    /* A failed allocation of the blob block. */
    fail_next_allocation = 1;
    EXPECT(SCARD_E_NO_MEMORY,
           server->pfnMDEncryptData(server, server_key, CSF_AUTHENTICATE, payload,
                                    payload_length, 0, &none, &count));
    CHECK(none == NULL && count == 0);
    free(payload);

    /* A replayed blob: the card refuses it and ends the session; the handle is dead. */
    EXPECT(SCARD_W_SECURITY_VIOLATION,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, single,
                                               1, NULL, 0, NULL, 0));
    EXPECT(SCARD_E_INVALID_HANDLE,
           client->pfnCardProcessEncryptedData(client, client_key, CSF_AUTHENTICATE, single,
                                               1, NULL, 0, NULL, 0));
    server->pfnCspFree(single);

    OK(server->pfnCardDestroyKey(server, server_key));
    OK(client->pfnCardDestroyKey(client, client_key));
    EXPECT(SCARD_E_INVALID_HANDLE, client->pfnCardDestroyKey(client, client_key));
}

/* ---- CardAuthenticateEx ---------------------------------------------------------------------- */

static void test_authenticate(CARD_DATA *server, CARD_DATA *client, CARD_DATA *plain) {
    DWORD attempts = 99, session_length = 99;
    PBYTE session_pin = (PBYTE)1;
    CARD_KEY_HANDLE server_key, client_key;
    BYTE *payload;
    DWORD payload_length;

    /* The injected PIN works. */
    OK(client->pfnCardAuthenticateEx(client, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                     (DWORD)strlen(NEW_USER_PIN), &session_pin, &session_length,
                                     &attempts));
    CHECK(session_pin == NULL && session_length == 0 && attempts == 99);
    OK(client->pfnCardAuthenticateEx(client, ROLE_USER, CARD_PIN_SILENT_CONTEXT,
                                     (PBYTE)NEW_USER_PIN, (DWORD)strlen(NEW_USER_PIN), NULL,
                                     NULL, NULL));
    OK(client->pfnCardAuthenticateEx(client, ROLE_ADMIN, 0, (PBYTE)ADMIN_PIN,
                                     (DWORD)strlen(ADMIN_PIN), NULL, NULL, NULL));
    EXPECT(SCARD_W_WRONG_CHV,
           client->pfnCardAuthenticateEx(client, ROLE_USER, 0, (PBYTE)USER_PIN,
                                         (DWORD)strlen(USER_PIN), NULL, NULL, &attempts));
    CHECK(attempts == 2);
    OK(client->pfnCardAuthenticateEx(client, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                     (DWORD)strlen(NEW_USER_PIN), NULL, NULL, &attempts));
    EXPECT(SCARD_E_INVALID_CHV,
           client->pfnCardAuthenticateEx(client, ROLE_USER, 0, (PBYTE)"12", 2, NULL, NULL,
                                         NULL));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardAuthenticateEx(client, ROLE_USER, CARD_AUTHENTICATE_GENERATE_SESSION_PIN,
                                         (PBYTE)NEW_USER_PIN, (DWORD)strlen(NEW_USER_PIN),
                                         &session_pin, &session_length, NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardAuthenticateEx(client, ROLE_EVERYONE, 0, (PBYTE)NEW_USER_PIN,
                                         (DWORD)strlen(NEW_USER_PIN), NULL, NULL, NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardAuthenticateEx(client, ROLE_USER, 0, NULL, 4, NULL, NULL, NULL));
    OK(client->pfnCardDeauthenticateEx(client, PIN_SET_ALL_ROLES, 0));
    OK(client->pfnCardDeauthenticateEx(client, CREATE_PIN_SET(ROLE_USER), 0));
    EXPECT(SCARD_E_INVALID_PARAMETER, client->pfnCardDeauthenticateEx(client, 0xFF, 1));
    /* Without the static keys the minidriver cannot present PINs itself. */
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           plain->pfnCardAuthenticateEx(plain, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                        (DWORD)strlen(NEW_USER_PIN), NULL, NULL, NULL));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE, plain->pfnCardDeauthenticateEx(plain, 0xFF, 0));
    /* No card on the server. */
    EXPECT(SCARD_E_NO_SMARTCARD,
           CardAuthenticateEx(server, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                              (DWORD)strlen(NEW_USER_PIN), NULL, NULL, NULL));
    EXPECT(SCARD_E_NO_SMARTCARD, CardDeauthenticateEx(server, PIN_SET_ALL_ROLES, 0));

    /* CardAuthenticateEx opened its own channel: a shared key made before is dead after. */
    establish(server, client, &server_key, &client_key);
    OK(client->pfnCardAuthenticateEx(client, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                     (DWORD)strlen(NEW_USER_PIN), NULL, NULL, NULL));
    payload = authenticate_payload(ROLE_USER, NEW_USER_PIN, 0, &payload_length);
    EXPECT(SCARD_E_INVALID_HANDLE,
           inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload,
                  payload_length, NULL, 0, NULL));
    free(payload);
    OK(server->pfnCardDestroyKey(server, server_key));
    OK(client->pfnCardDestroyKey(client, client_key));
}

/* ---- CardGetContainerInfo -------------------------------------------------------------------- */

static void test_container_info(CARD_DATA *server, CARD_DATA *client) {
    CONTAINER_INFO info;
    const BYTE *modulus;
    size_t modulus_length = 0, i;
    int same = 1;
    BLOBHEADER header;
    RSAPUBKEY rsa;
    BCRYPT_ECCKEY_BLOB ecc;

    memset(&info, 0, sizeof info);
    info.dwVersion = CONTAINER_INFO_CURRENT_VERSION;
    OK(client->pfnCardGetContainerInfo(client, 1, 0, &info));
    CHECK(info.pbSigPublicKey == NULL && info.cbSigPublicKey == 0);
    CHECK(info.pbKeyExPublicKey != NULL && info.cbKeyExPublicKey == 20 + 256);
    if (info.pbKeyExPublicKey) {
        memcpy(&header, info.pbKeyExPublicKey, sizeof header);
        memcpy(&rsa, info.pbKeyExPublicKey + sizeof header, sizeof rsa);
        CHECK(header.bType == PUBLICKEYBLOB && header.bVersion == CUR_BLOB_VERSION &&
              header.aiKeyAlg == CALG_RSA_KEYX);
        CHECK(rsa.magic == RSA1_MAGIC && rsa.bitlen == 2048 && rsa.pubexp == 65537);
        modulus = rsa_modulus(rsa_pkcs8, rsa_pkcs8_length, &modulus_length);
        CHECK(modulus != NULL && modulus_length == 256);
        for (i = 0; modulus && i < modulus_length && i < 256; i++)
            if (info.pbKeyExPublicKey[20 + i] != modulus[modulus_length - 1 - i]) same = 0;
        CHECK(same);
        client->pfnCspFree(info.pbKeyExPublicKey);
    }

    memset(&info, 0, sizeof info);
    OK(client->pfnCardGetContainerInfo(client, 3, 0, &info));
    CHECK(info.dwVersion == CONTAINER_INFO_CURRENT_VERSION);
    CHECK(info.pbKeyExPublicKey == NULL && info.cbKeyExPublicKey == 0);
    CHECK(info.pbSigPublicKey != NULL && info.cbSigPublicKey == 8 + 64);
    if (info.pbSigPublicKey) {
        memcpy(&ecc, info.pbSigPublicKey, sizeof ecc);
        CHECK(ecc.dwMagic == BCRYPT_ECDSA_PUBLIC_P256_MAGIC && ecc.cbKey == 32);
        CHECK(memcmp(info.pbSigPublicKey + 8, ec_pkcs8 + sizeof ec_pkcs8 - 64, 64) == 0);
        client->pfnCspFree(info.pbSigPublicKey);
    }

    memset(&info, 0, sizeof info);
    EXPECT(SCARD_E_NO_KEY_CONTAINER, client->pfnCardGetContainerInfo(client, 5, 0, &info));
    EXPECT(SCARD_E_NO_KEY_CONTAINER, client->pfnCardGetContainerInfo(client, 8, 0, &info));
    EXPECT(SCARD_E_INVALID_PARAMETER, client->pfnCardGetContainerInfo(client, 1, 1, &info));
    EXPECT(SCARD_E_INVALID_PARAMETER, client->pfnCardGetContainerInfo(client, 1, 0, NULL));
    info.dwVersion = 2;
    EXPECT(ERROR_REVISION_MISMATCH, client->pfnCardGetContainerInfo(client, 1, 0, &info));
    CHECK(info.pbKeyExPublicKey == NULL && info.pbSigPublicKey == NULL);
    info.dwVersion = 1;
    fail_next_allocation = 1;
    EXPECT(SCARD_E_NO_MEMORY, client->pfnCardGetContainerInfo(client, 1, 0, &info));
    EXPECT(SCARD_E_NO_SMARTCARD, CardGetContainerInfo(server, 1, 0, &info));
}

/* ---- The RSA-wrapped session key ------------------------------------------------------------- */

static void test_session_key(CARD_DATA *server, CARD_DATA *client) {
    static const BYTE SESSION_KEY[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    CONTAINER_INFO info;
    BYTE wrapped[256], small[8], blob[sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) + 16], iv[16],
        other_iv[16];
    DWORD wrapped_length = 0, length = 0, payload_length;
    BCRYPT_OAEP_PADDING_INFO oaep = {BCRYPT_SHA256_ALGORITHM, NULL, 0};
    BCRYPT_OAEP_PADDING_INFO md5 = {W("MD5"), NULL, 0};
    BCRYPT_KEY_DATA_BLOB_HEADER blob_header = {BCRYPT_KEY_DATA_BLOB_MAGIC,
                                               BCRYPT_KEY_DATA_BLOB_VERSION1, 16};
    CARD_KEY_HANDLE client_key = 0, server_key = 0, unused = 0;
    CARD_AUTHENTICATE_RESPONSE response;
    BYTE *payload;

    /* Step 1 of the documented flow: the public key of the key-exchange container. */
    memset(&info, 0, sizeof info);
    OK(client->pfnCardGetContainerInfo(client, 1, 0, &info));
    CHECK(info.pbKeyExPublicKey != NULL);
    if (!info.pbKeyExPublicKey) return;

    /* Step 2: the server wraps its session key; the client imports it. */
    OK(KeywardCardWrapSessionKey(info.pbKeyExPublicKey, info.cbKeyExPublicKey,
                                 BCRYPT_SHA256_ALGORITHM, SESSION_KEY, 16, NULL, 0,
                                 &wrapped_length));
    CHECK(wrapped_length == 256);
    EXPECT(SCARD_E_INSUFFICIENT_BUFFER,
           KeywardCardWrapSessionKey(info.pbKeyExPublicKey, info.cbKeyExPublicKey,
                                     BCRYPT_SHA256_ALGORITHM, SESSION_KEY, 16, small,
                                     sizeof small, &wrapped_length));
    CHECK(wrapped_length == 256);
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           KeywardCardWrapSessionKey(info.pbKeyExPublicKey, info.cbKeyExPublicKey, W("MD5"),
                                     SESSION_KEY, 16, wrapped, sizeof wrapped, &wrapped_length));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           KeywardCardWrapSessionKey(info.pbKeyExPublicKey, info.cbKeyExPublicKey,
                                     BCRYPT_SHA256_ALGORITHM, SESSION_KEY, 15, wrapped,
                                     sizeof wrapped, &wrapped_length));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           KeywardCardWrapSessionKey(info.pbKeyExPublicKey, 19, BCRYPT_SHA256_ALGORITHM,
                                     SESSION_KEY, 16, wrapped, sizeof wrapped, &wrapped_length));
    OK(KeywardCardWrapSessionKey(info.pbKeyExPublicKey, info.cbKeyExPublicKey,
                                 BCRYPT_SHA256_ALGORITHM, SESSION_KEY, 16, wrapped,
                                 sizeof wrapped, &wrapped_length));
    client->pfnCspFree(info.pbKeyExPublicKey);

    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardImportSessionKey(client, 1, &oaep, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_PKCS1));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardImportSessionKey(client, 1, NULL, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardImportSessionKey(client, 1, &md5, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardImportSessionKey(client, 1, &oaep, BCRYPT_RSAPUBLIC_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardImportSessionKey(client, 1, &oaep, BCRYPT_KEY_DATA_BLOB,
                                           CARD_3DES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardImportSessionKey(client, 1, &oaep, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, NULL, wrapped, wrapped_length,
                                           CARD_PADDING_OAEP));
    EXPECT(SCARD_E_NO_KEY_CONTAINER,
           client->pfnCardImportSessionKey(client, 5, &oaep, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    /* The EC container has no RSA key-exchange key. */
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           client->pfnCardImportSessionKey(client, 3, &oaep, BCRYPT_KEY_DATA_BLOB,
                                           CARD_AES_ALGORITHM, &client_key, wrapped,
                                           wrapped_length, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_NO_SMARTCARD,
           CardImportSessionKey(server, 1, &oaep, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM,
                                &unused, wrapped, wrapped_length, CARD_PADDING_OAEP));
    CHECK(client_key == 0 && unused == 0);
    OK(client->pfnCardImportSessionKey(client, 1, &oaep, BCRYPT_KEY_DATA_BLOB,
                                       CARD_AES_ALGORITHM, &client_key, wrapped, wrapped_length,
                                       CARD_PADDING_OAEP));
    CHECK(client_key != 0);

    /* Step 3: the server loads the same key. */
    memcpy(blob, &blob_header, sizeof blob_header);
    memcpy(blob + sizeof blob_header, SESSION_KEY, 16);
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDImportSessionKey(server, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM,
                                         &server_key, blob, sizeof blob - 1));
    EXPECT(SCARD_E_UNSUPPORTED_FEATURE,
           server->pfnMDImportSessionKey(server, BCRYPT_OPAQUE_KEY_BLOB, CARD_AES_ALGORITHM,
                                         &server_key, blob, sizeof blob));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDImportSessionKey(server, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM,
                                         NULL, blob, sizeof blob));
    OK(server->pfnMDImportSessionKey(server, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM,
                                     &server_key, blob, sizeof blob));
    CHECK(server_key != 0);

    /* Before the IV (the card's nonce) is set the server cannot encrypt. */
    payload = authenticate_payload(ROLE_USER, NEW_USER_PIN, 0, &payload_length);
    EXPECT(SCARD_E_INVALID_VALUE,
           inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload,
                  payload_length, NULL, 0, NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardGetKeyProperty(server, server_key, CKP_INITIALIZATION_VECTOR, iv,
                                         sizeof iv, &length, 0));

    /* Steps 4 and 5: the same IV and chaining mode on both sides. */
    OK(client->pfnCardGetKeyProperty(client, client_key, CKP_INITIALIZATION_VECTOR, iv,
                                     sizeof iv, &length, 0));
    CHECK(length == 16);
    OK(server->pfnCardSetKeyProperty(server, server_key, CKP_INITIALIZATION_VECTOR, iv, 16, 0));
    OK(client->pfnCardSetKeyProperty(client, client_key, CKP_INITIALIZATION_VECTOR, iv, 16, 0));
    memcpy(other_iv, iv, 16);
    other_iv[0] ^= 1;
    EXPECT(SCARD_E_INVALID_PARAMETER,
           client->pfnCardSetKeyProperty(client, client_key, CKP_INITIALIZATION_VECTOR,
                                         other_iv, 16, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnCardSetKeyProperty(server, server_key, CKP_INITIALIZATION_VECTOR, iv, 8,
                                         0));
    OK(server->pfnCardSetKeyProperty(server, server_key, CKP_CHAINING_MODE,
                                     (PBYTE)CARD_CHAIN_MODE_CBC, sizeof CARD_CHAIN_MODE_CBC, 0));
    OK(client->pfnCardSetKeyProperty(client, client_key, CKP_CHAINING_MODE,
                                     (PBYTE)CARD_CHAIN_MODE_CBC, sizeof CARD_CHAIN_MODE_CBC, 0));

    /* A secure function over the session key. */
    OK(inject(server, server_key, client, client_key, CSF_AUTHENTICATE, payload, payload_length,
              (BYTE *)&response, sizeof response, &length));
    CHECK(length == sizeof response && response.dwVersion == 7);
    /* The IV cannot change once the key was used. */
    EXPECT(SCARD_E_INVALID_VALUE,
           server->pfnCardSetKeyProperty(server, server_key, CKP_INITIALIZATION_VECTOR,
                                         other_iv, 16, 0));
    free(payload);
    OK(server->pfnCardDestroyKey(server, server_key));
    OK(client->pfnCardDestroyKey(client, client_key));
}

/* ---- Handles and pointers of every call ------------------------------------------------------ */

static void test_handles(CARD_DATA *server) {
    CARD_DATA never, deleted;
    KEYWARD_CARD_KEYSET keys = test_keys();
    CARD_KEY_HANDLE key = 0;
    PCARD_ENCRYPTED_DATA blobs = NULL;
    CONTAINER_INFO info;
    BYTE value[16];
    DWORD length = 0, count = 0;

    /* NULL CARD_DATA: SCARD_E_INVALID_PARAMETER from every call. */
    EXPECT(SCARD_E_INVALID_PARAMETER, CardDeleteContext(NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER, CardGetContainerInfo(NULL, 0, 0, &info));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardAuthenticateEx(NULL, ROLE_USER, 0, value, 4, NULL, NULL, NULL));
    EXPECT(SCARD_E_INVALID_PARAMETER, CardDeauthenticateEx(NULL, 0xFF, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardGetProperty(NULL, CP_KEY_IMPORT_SUPPORT, value, sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardImportSessionKey(NULL, 1, NULL, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM, &key,
                                value, 16, CARD_PADDING_OAEP));
    EXPECT(SCARD_E_INVALID_PARAMETER, CardDestroyKey(NULL, 1));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardGetAlgorithmProperty(NULL, CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, value,
                                    sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardGetKeyProperty(NULL, 1, CKP_BLOCK_LENGTH, value, sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardSetKeyProperty(NULL, 1, CKP_BLOCK_LENGTH, value, 4, 0));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           MDImportSessionKey(NULL, BCRYPT_KEY_DATA_BLOB, CARD_AES_ALGORITHM, &key, value, 16));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           MDEncryptData(NULL, 1, CSF_AUTHENTICATE, value, 16, 0, &blobs, &count));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           CardProcessEncryptedData(NULL, 1, CSF_AUTHENTICATE, NULL, 0, NULL, 0, NULL, 0));

    /* A CARD_DATA never acquired (a forged pvVendorSpecific), and one deleted. */
    init_card_data(&never, 7);
    never.pvVendorSpecific = (PVOID)(uintptr_t)0x5eed5eed;
    EXPECT(SCARD_E_INVALID_HANDLE,
           CardGetSharedKeyHandle(&never, NULL, 0, NULL, NULL, &key));
    EXPECT(SCARD_E_INVALID_HANDLE,
           CardGetAlgorithmProperty(&never, CARD_AES_ALGORITHM, CKP_BLOCK_LENGTH, value,
                                    sizeof value, &length, 0));
    EXPECT(SCARD_E_INVALID_HANDLE, CardDeleteContext(&never));
    OK(acquire_server(&deleted, &keys));
    OK(deleted.pfnCardDeleteContext(&deleted));
    EXPECT(SCARD_E_INVALID_HANDLE,
           CardGetSharedKeyHandle(&deleted, NULL, 0, NULL, NULL, &key));
    EXPECT(SCARD_E_INVALID_HANDLE, CardDestroyKey(&deleted, 1));

    /* Keys: unknown, NULL out-pointer. */
    EXPECT(SCARD_E_INVALID_HANDLE, server->pfnCardDestroyKey(server, 0x5eed));
    EXPECT(SCARD_E_INVALID_HANDLE,
           server->pfnMDEncryptData(server, 0x5eed, CSF_AUTHENTICATE, value, 16, 0, &blobs,
                                    &count));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           server->pfnMDImportSessionKey(server, NULL, CARD_AES_ALGORITHM, &key, value, 16));
    CHECK(blobs == NULL);
}

/* ---- Disconnection and persistence ----------------------------------------------------------- */

static void test_disconnect_and_persistence(const char *state_path,
                                            const KEYWARD_CARD_KEYSET *keys) {
    SCARDCONTEXT context = 0;
    SCARDHANDLE card = 0;
    CARD_DATA client;
    CONTAINER_INFO info;
    DWORD attempts = 0;

    OK(KeywardCardEstablishContext(&context));
    OK(KeywardCardConnectVirtual(context, state_path, &card));
    OK(acquire_client(&client, 7, context, card, keys));
    /* The injected key pair and PIN are in the card's file. */
    memset(&info, 0, sizeof info);
    OK(client.pfnCardGetContainerInfo(&client, 1, 0, &info));
    CHECK(info.cbKeyExPublicKey == 276);
    client.pfnCspFree(info.pbKeyExPublicKey);
    OK(client.pfnCardAuthenticateEx(&client, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                    (DWORD)strlen(NEW_USER_PIN), NULL, NULL, &attempts));
    /* Once the card is disconnected the context is left without it. */
    OK(KeywardCardDisconnect(card));
    EXPECT(SCARD_E_INVALID_HANDLE, client.pfnCardGetContainerInfo(&client, 1, 0, &info));
    EXPECT(SCARD_E_INVALID_HANDLE,
           client.pfnCardAuthenticateEx(&client, ROLE_USER, 0, (PBYTE)NEW_USER_PIN,
                                        (DWORD)strlen(NEW_USER_PIN), NULL, NULL, NULL));
    OK(client.pfnCardDeleteContext(&client));
    OK(KeywardCardReleaseContext(context));
}

int main(int argc, char **argv) {
    char directory[512], state_path[600], other_path[600];
    const char *tmp = getenv("TMPDIR");
    KEYWARD_CARD_KEYSET keys = test_keys(), bad_keys = test_keys();
    SCARDCONTEXT context = 0;
    SCARDHANDLE card = 0;
    CARD_DATA server, client, plain;

    if (argc < 2) {
        fprintf(stderr, "usage: %s RSA_KEY.pk8.der\n", argv[0]);
        return 2;
    }
    rsa_pkcs8 = read_file(argv[1], &rsa_pkcs8_length);
    from_hex(EC_PKCS8_HEX, ec_pkcs8, sizeof ec_pkcs8);
    snprintf(directory, sizeof directory, "%s/keyward-card-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(directory)) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(state_path, sizeof state_path, "%s/card.state", directory);
    snprintf(other_path, sizeof other_path, "%s/other.state", directory);

    /* A virtual card in the temporary directory. */
    EXPECT(SCARD_E_INVALID_CHV,
           KeywardCardCreateVirtualCard(other_path, &keys, (const BYTE *)"12", 2,
                                        (const BYTE *)ADMIN_PIN, (DWORD)strlen(ADMIN_PIN)));
    bad_keys.cbKey = 20;
    EXPECT(SCARD_E_INVALID_PARAMETER,
           KeywardCardCreateVirtualCard(other_path, &bad_keys, (const BYTE *)USER_PIN, 4,
                                        (const BYTE *)ADMIN_PIN, (DWORD)strlen(ADMIN_PIN)));
    EXPECT(SCARD_E_INVALID_PARAMETER,
           KeywardCardCreateVirtualCard(other_path, NULL, (const BYTE *)USER_PIN, 4,
                                        (const BYTE *)ADMIN_PIN, (DWORD)strlen(ADMIN_PIN)));
    OK(KeywardCardCreateVirtualCard(state_path, &keys, (const BYTE *)USER_PIN, 4,
                                    (const BYTE *)ADMIN_PIN, (DWORD)strlen(ADMIN_PIN)));
    EXPECT(SCARD_F_INTERNAL_ERROR,
           KeywardCardCreateVirtualCard(state_path, &keys, (const BYTE *)USER_PIN, 4,
                                        (const BYTE *)ADMIN_PIN, (DWORD)strlen(ADMIN_PIN)));

    test_connections(state_path);

    OK(KeywardCardEstablishContext(&context));
    OK(KeywardCardConnectVirtual(context, state_path, &card));
    test_acquire(context, card, &keys);

    OK(acquire_server(&server, &keys));
    OK(acquire_client(&client, 7, context, card, &keys));
    OK(acquire_client(&plain, 7, context, card, NULL));

    test_properties(&server, &client);
    test_relay_errors(&server, &plain);
    test_injection(&server, &plain);
    test_authenticate(&server, &client, &plain);
    test_container_info(&server, &client);
    test_session_key(&server, &plain);
    test_handles(&server);

    OK(server.pfnCardDeleteContext(&server));
    OK(client.pfnCardDeleteContext(&client));
    OK(plain.pfnCardDeleteContext(&plain));
    OK(KeywardCardReleaseContext(context));

    test_disconnect_and_persistence(state_path, &keys);

    /* Every allocation the minidriver made was freed by this caller. */
    CHECK(total_allocations > 0);
    if (live_allocations != 0)
        fprintf(stderr, "%ld allocation(s) of pfnCspAlloc not freed\n", live_allocations);
    CHECK(live_allocations == 0);

    free(rsa_pkcs8);
    unlink(state_path);
    rmdir(directory);
    return kw_finish("card");
}

/*
 * errors.c: the error paths docs/ssl-provider.md documents, each with its status code:
 * NULL pointers, bad flags, wrong-kind, forged and freed handles, short buffers, bad blobs,
 * bad parameter lists and wrong random lengths, and the documented check orders.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include "kwtest.h"

#define TLS12 TLS1_2_PROTOCOL_VERSION
#define ECDHE_GCM TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#define FORGED ((NCRYPT_HANDLE)0x5eed5eedu)

static BYTE client_random[32] = {1}, server_random[32] = {2};
static NCRYPT_PROV_HANDLE provider;

static void provider_lifetime(void) {
    NCRYPT_PROV_HANDLE handle = 0;
    DWORD count = 0;
    NCryptProviderName *names = NULL;
    PBYTE value = NULL;
    DWORD value_len = 0;

    EXPECT(NTE_INVALID_PARAMETER, SslOpenProvider(NULL, NULL, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslOpenProvider(&handle, NULL, 1));
    EXPECT(NTE_PROV_DLL_NOT_FOUND, SslOpenProvider(&handle, W("No Such Provider"), 0));
    OK(SslOpenProvider(&handle, W("Microsoft SSL Protocol Provider"), 0));
    CHECK(handle != 0);

    /* Reference counts: two references, two frees; then the handle is dead. */
    OK(SslIncrementProviderReferenceCount(handle));
    OK(SslDecrementProviderReferenceCount(handle));
    OK(SslFreeObject(handle, 0));
    EXPECT(NTE_INVALID_HANDLE, SslFreeObject(handle, 0));
    EXPECT(NTE_INVALID_HANDLE, SslIncrementProviderReferenceCount(handle));
    EXPECT(STATUS_INVALID_HANDLE, SslDecrementProviderReferenceCount(handle));
    EXPECT(NTE_INVALID_HANDLE, SslIncrementProviderReferenceCount(FORGED));
    EXPECT(NTE_INVALID_HANDLE, SslFreeObject(0, 0));
    EXPECT(NTE_BAD_FLAGS, SslFreeObject(provider, 1));

    EXPECT(NTE_INVALID_PARAMETER, SslEnumProtocolProviders(NULL, &names, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslEnumProtocolProviders(&count, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslEnumProtocolProviders(&count, &names, 1));
    OK(SslEnumProtocolProviders(&count, &names, 0));
    /* Microsoft SSL Protocol Provider, then keyward's isolated one (Keyward Isolated ...). */
    CHECK(count == 2 && names[0].pszName[0] == 'M' && names[0].pszName[10] == 'S');
    CHECK(names[1].pszName[0] == 'K' && names[1].pszName[8] == 'I');
    OK(SslFreeBuffer(names));
    EXPECT(NTE_INVALID_PARAMETER, SslFreeBuffer(names));
    EXPECT(NTE_INVALID_PARAMETER, SslFreeBuffer(NULL));
    EXPECT(NTE_INVALID_PARAMETER, SslFreeBuffer(&count));

    EXPECT(NTE_NOT_SUPPORTED,
           SslGetProviderProperty(provider, W("Name"), &value, &value_len, NULL, 0));
    EXPECT(NTE_INVALID_HANDLE,
           SslGetProviderProperty(FORGED, W("Name"), &value, &value_len, NULL, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslGetProviderProperty(provider, NULL, &value, &value_len, NULL, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslGetProviderProperty(provider,
                                  W("a-property-name-that-is-longer-than-sixty-four-characters-"
                                    "in-all-of-its-length"),
                                  &value, &value_len, NULL, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslGetProviderProperty(provider, W("Name"), NULL, &value_len, NULL, 0));
    EXPECT(NTE_BAD_FLAGS,
           SslGetProviderProperty(provider, W("Name"), &value, &value_len, NULL, 1));
    EXPECT(NTE_NOT_SUPPORTED, SslChangeNotify(NULL, 0));
}

static void suites(void) {
    NCRYPT_SSL_CIPHER_SUITE *suite = NULL;
    NCRYPT_SSL_CIPHER_SUITE_EX *suite_ex = NULL;
    NCRYPT_SSL_CIPHER_SUITE info;
    NCRYPT_SSL_CIPHER_LENGTHS lengths;
    NCRYPT_SSL_ECC_CURVE *curves = NULL;
    NCRYPT_HASH_HANDLE hash;
    PVOID state = NULL;
    WCHAR prf[NCRYPT_SSL_MAX_NAME_SIZE];
    DWORD count = 0, curve_count = 0;
    SECURITY_STATUS status;

    while ((status = SslEnumCipherSuites(provider, 0, &suite, &state, 0)) == ERROR_SUCCESS) {
        CHECK(suite->dwCipherSuite == suite->dwBaseCipherSuite && suite->szCipherSuite[0] == 'T');
        count++;
    }
    EXPECT(NTE_NO_MORE_ITEMS, status);
    CHECK(count >= 30);
    EXPECT(NTE_NO_MORE_ITEMS, SslEnumCipherSuites(provider, 0, &suite, &state, 0));
    OK(SslFreeBuffer(state));
    state = NULL;
    OK(SslEnumCipherSuitesEx(provider, 0, &suite_ex, &state, 0));
    CHECK(suite_ex->dwVersion == NCRYPT_SSL_CIPHER_SUITE_EX_VERSION);
    EXPECT(NTE_INVALID_PARAMETER, SslEnumCipherSuites(provider, 0, &suite, &state, 0));
    OK(SslFreeBuffer(state));
    state = NULL;
    EXPECT(NTE_BAD_FLAGS, SslEnumCipherSuites(provider, 0, &suite, &state, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslEnumCipherSuites(provider, 0, NULL, &state, 0));
    OK(SslCreateHandshakeHash(provider, &hash, TLS12, ECDHE_GCM, 0));
    EXPECT(NTE_INVALID_HANDLE, SslEnumCipherSuites(provider, hash, &suite, &state, 0));
    CHECK(state == NULL);

    OK(SslLookupCipherSuiteInfo(provider, TLS12, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 0, &info,
                                0));
    CHECK(info.dwCipherLen == 256 && info.dwCipherBlockLen == 16 && info.szCipher[0] == 'A');
    EXPECT(NTE_NOT_SUPPORTED, SslLookupCipherSuiteInfo(provider, TLS12, 0x0004, 0, &info, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslLookupCipherSuiteInfo(provider, 0x0300, 0x002F, 0, &info, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslLookupCipherSuiteInfo(provider, TLS12, 0x002F, 0, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslLookupCipherSuiteInfo(provider, TLS12, 0x002F, 0, &info, 2));
    EXPECT(NTE_INVALID_HANDLE, SslLookupCipherSuiteInfo(hash, TLS12, 0x002F, 0, &info, 0));

    /* Reference 3.2: the protocol is checked before the handle. */
    EXPECT(NTE_NOT_SUPPORTED, SslLookupCipherLengths(FORGED, TLS1_0_PROTOCOL_VERSION, 0x002F, 0,
                                                     &lengths, sizeof lengths, 0));
    EXPECT(NTE_INVALID_HANDLE,
           SslLookupCipherLengths(FORGED, TLS12, 0x002F, 0, &lengths, sizeof lengths, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslLookupCipherLengths(provider, TLS12, 0x002F, 0, &lengths, 19, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslLookupCipherLengths(provider, TLS12, 0x002F, 0, NULL, sizeof lengths, 0));
    EXPECT(NTE_BAD_FLAGS,
           SslLookupCipherLengths(provider, TLS12, 0x002F, 0, &lengths, sizeof lengths, 1));
    EXPECT(NTE_INVALID_PARAMETER,
           SslLookupCipherLengths(provider, TLS12, 0x0004, 0, &lengths, sizeof lengths, 0));
    OK(SslLookupCipherLengths(provider, TLS12, ECDHE_GCM, 0, &lengths, sizeof lengths, 0));
    CHECK(lengths.cbLength == 20 && lengths.dwHeaderLen == 8 && lengths.dwFixedTrailerLen == 16 &&
          lengths.dwMaxVariableTrailerLen == 0 && lengths.dwFlags == 0);
    OK(SslLookupCipherLengths(provider, TLS12, TLS_RSA_WITH_AES_128_CBC_SHA, 0, &lengths,
                              sizeof lengths, 0));
    CHECK(lengths.dwHeaderLen == 16 && lengths.dwFixedTrailerLen == 20 &&
          lengths.dwMaxVariableTrailerLen == 16 &&
          lengths.dwFlags == NCRYPT_SSL_CIPHER_LENGTHS_BLOCK_PADDING);

    OK(SslGetCipherSuitePRFHashAlgorithm(provider, TLS12, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                         0, prf, 0));
    CHECK(prf[0] == 'S' && prf[3] == '3' && prf[4] == '8' && prf[6] == 0);
    EXPECT(NTE_NOT_SUPPORTED,
           SslGetCipherSuitePRFHashAlgorithm(provider, TLS1_0_PROTOCOL_VERSION, 0x002F, 0, prf, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslGetCipherSuitePRFHashAlgorithm(provider, TLS12, 0x002F, 0, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslGetCipherSuitePRFHashAlgorithm(provider, TLS12, 0x002F, 0, prf, 1));

    OK(SslEnumEccCurves(provider, &curve_count, &curves, 0));
    CHECK(curve_count == 4);
    CHECK(curves[0].dwCurveType == 29 && curves[0].dwPublicKeyLength == 255);
    CHECK(curves[1].dwCurveType == 23 && curves[1].dwPublicKeyLength == 256);
    CHECK(curves[2].dwCurveType == 24 && curves[2].dwPublicKeyLength == 384);
    CHECK(curves[3].dwCurveType == 25 && curves[3].dwPublicKeyLength == 521);
    OK(SslFreeBuffer(curves));
    EXPECT(NTE_BAD_FLAGS, SslEnumEccCurves(provider, &curve_count, &curves, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslEnumEccCurves(provider, NULL, &curves, 0));
    OK(SslFreeObject(hash, 0));
}

static void keys(void) {
    NCRYPT_KEY_HANDLE key = 0, ephemeral, imported;
    NCRYPT_HASH_HANDLE hash;
    CERT_CONTEXT certificate;
    BYTE blob[256], signature[8];
    DWORD length = 0;
    PBYTE value;
    DWORD value_len;

    memset(&certificate, 0, sizeof certificate);
    EXPECT(NTE_INVALID_PARAMETER, SslOpenPrivateKey(provider, &key, NULL, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslOpenPrivateKey(provider, NULL, &certificate, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslOpenPrivateKey(provider, &key, &certificate, 0));
    EXPECT(NTE_BAD_FLAGS, SslOpenPrivateKey(provider, &key, &certificate, 1));
    certificate.pbCertEncoded = blob;
    certificate.cbCertEncoded = 16;
    memset(blob, 0x30, 16);
    /* A certificate with no key in the store. */
    EXPECT(NTE_NOT_FOUND, SslOpenPrivateKey(provider, &key, &certificate, 0));

    EXPECT(NTE_NOT_SUPPORTED, SslCreateEphemeralKey(provider, &ephemeral, TLS12, 0x0004, 23, 256,
                                                    NULL, 0, 0));
    EXPECT(NTE_BAD_FLAGS, SslCreateEphemeralKey(provider, &ephemeral, TLS12, ECDHE_GCM, 23, 256,
                                                NULL, 0, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslCreateEphemeralKey(provider, NULL, TLS12, ECDHE_GCM, 23,
                                                        256, NULL, 0, 0));
    OK(SslCreateEphemeralKey(provider, &ephemeral, TLS12, ECDHE_GCM, 23, 256, NULL, 0, 0));

    /* Export: the checks of docs/ssl-provider.md, "Keys and key properties", then a short
     * buffer, then a wrong blob type. */
    EXPECT(NTE_INVALID_PARAMETER,
           SslExportKey(provider, ephemeral, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslExportKey(provider, ephemeral, BCRYPT_ECCPUBLIC_BLOB, blob,
                                       sizeof blob, &length, 1));
    EXPECT(NTE_INVALID_HANDLE,
           SslExportKey(provider, 0, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, &length, 0));
    EXPECT(NTE_BUFFER_TOO_SMALL,
           SslExportKey(provider, ephemeral, BCRYPT_ECCPUBLIC_BLOB, blob, 10, &length, 0));
    CHECK(length == 8 + 64);
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, BCRYPT_RSAPUBLIC_BLOB, blob,
                                           sizeof blob, &length, 0));
    /* Names the key does not take, a name in the wrong case, an unknown name: the same. */
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, BCRYPT_ECCPRIVATE_BLOB, blob,
                                           sizeof blob, &length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, BCRYPT_OPAQUE_KEY_BLOB, blob,
                                           sizeof blob, &length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, BCRYPT_KEY_DATA_BLOB, blob,
                                           sizeof blob, &length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, W("eccpublicblob"), blob,
                                           sizeof blob, &length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, ephemeral, W("CAPIPUBLICBLOB"), blob,
                                           sizeof blob, &length, 0));
    OK(SslExportKey(provider, ephemeral, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, &length, 0));

    /* Import: bad blobs. */
    EXPECT(NTE_BAD_DATA, SslImportKey(provider, &imported, BCRYPT_ECCPUBLIC_BLOB, blob,
                                      length - 1, 0));
    blob[8 + 63] ^= 1; /* off the curve */
    EXPECT(NTE_BAD_DATA, SslImportKey(provider, &imported, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslImportKey(provider, &imported, W("CAPIPUBLICBLOB"), blob, length,
                                           0));
    EXPECT(NTE_NOT_SUPPORTED, SslImportKey(provider, &imported, W("eccpublicblob"), blob, length,
                                           0));
    EXPECT(NTE_NOT_SUPPORTED, SslImportKey(provider, &imported, SSL_ECCPUBLIC_BLOB, blob, length,
                                           0));
    EXPECT(NTE_NOT_SUPPORTED, SslImportKey(provider, &imported, BCRYPT_KEY_DATA_BLOB, blob, length,
                                           0));
    /* The name is looked up after the pointers and the flags. */
    EXPECT(NTE_INVALID_PARAMETER,
           SslImportKey(provider, &imported, W("CAPIPUBLICBLOB"), NULL, length, 0));
    EXPECT(NTE_BAD_FLAGS,
           SslImportKey(provider, &imported, W("CAPIPUBLICBLOB"), blob, length, 1));
    EXPECT(NTE_INVALID_PARAMETER,
           SslImportKey(provider, &imported, BCRYPT_ECCPUBLIC_BLOB, NULL, length, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslImportKey(provider, &imported, NULL, blob, length, 0));
    EXPECT(NTE_INVALID_PARAMETER,
           SslImportKey(provider, NULL, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    EXPECT(NTE_BAD_FLAGS,
           SslImportKey(provider, &imported, BCRYPT_ECCPUBLIC_BLOB, blob, length, 1));
    EXPECT(NTE_INVALID_HANDLE,
           SslImportKey(ephemeral, &imported, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    EXPECT(NTE_BAD_DATA,
           SslImportKey(provider, &imported, BCRYPT_OPAQUE_KEY_BLOB, blob, length, 0));

    /* Key properties: KEYTYPE of an ephemeral key only. */
    OK(SslGetKeyProperty(ephemeral, SSL_KEY_TYPE_PROPERTY, &value, &value_len, 0));
    CHECK(value_len == 4 && value[0] == 23);
    OK(SslFreeBuffer(value));
    EXPECT(NTE_NOT_SUPPORTED, SslGetKeyProperty(ephemeral, W("Other"), &value, &value_len, 0));
    EXPECT(NTE_BAD_FLAGS, SslGetKeyProperty(ephemeral, SSL_KEY_TYPE_PROPERTY, &value,
                                            &value_len, 1));
    EXPECT(NTE_INVALID_HANDLE, SslGetKeyProperty(provider, SSL_KEY_TYPE_PROPERTY, &value,
                                                 &value_len, 0));

    /* Signing needs a key pair. */
    EXPECT(NTE_INVALID_HANDLE, SslSignHash(provider, ephemeral, blob, 32, signature,
                                           sizeof signature, &length, 0));
    OK(SslCreateHandshakeHash(provider, &hash, TLS12, ECDHE_GCM, 0));
    EXPECT(NTE_INVALID_HANDLE, SslExportKey(provider, hash, BCRYPT_ECCPUBLIC_BLOB, blob,
                                            sizeof blob, &length, 0));
    EXPECT(NTE_INVALID_HANDLE, SslExportKey(provider, hash, W("CAPIPUBLICBLOB"), blob,
                                            sizeof blob, &length, 0));
    EXPECT(NTE_INVALID_HANDLE, SslVerifySignature(provider, hash, blob, 32, signature,
                                                  sizeof signature, 0));
    OK(SslFreeObject(hash, 0));
    OK(SslFreeObject(ephemeral, 0));
    EXPECT(NTE_INVALID_HANDLE, SslGetKeyProperty(ephemeral, SSL_KEY_TYPE_PROPERTY, &value,
                                                 &value_len, 0));
}

/* A master key of an ECDHE exchange with itself, for the derivation checks. */
static NCRYPT_KEY_HANDLE master_key(void) {
    NCRYPT_KEY_HANDLE own, peer, master = 0;
    kw_params params;
    BYTE blob[128];
    DWORD length;
    OK(SslCreateEphemeralKey(provider, &own, TLS12, ECDHE_GCM, 23, 256, NULL, 0, 0));
    OK(SslExportKey(provider, own, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, &length, 0));
    OK(SslImportKey(provider, &peer, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    OK(SslGenerateMasterKey(provider, own, peer, &master, TLS12, ECDHE_GCM,
                            kw_randoms(&params, client_random, server_random, NULL), NULL, 0,
                            NULL, NCRYPT_SSL_CLIENT_FLAG));
    OK(SslFreeObject(own, 0));
    OK(SslFreeObject(peer, 0));
    return master;
}

static void master_secret(void) {
    NCRYPT_KEY_HANDLE own, peer, master = 0, read, write;
    NCRYPT_HASH_HANDLE hash;
    kw_params params;
    NCryptBuffer many[65];
    NCryptBufferDesc desc;
    BYTE blob[128], out[256], randoms[64] = {0};
    DWORD length, version = TLS12, i;

    OK(SslCreateEphemeralKey(provider, &own, TLS12, ECDHE_GCM, 23, 256, NULL, 0, 0));
    OK(SslExportKey(provider, own, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, &length, 0));
    OK(SslImportKey(provider, &peer, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    OK(SslCreateHandshakeHash(provider, &hash, TLS12, ECDHE_GCM, 0));

    /* Parameter lists (docs/ssl-provider.md, "Parameter lists"). */
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, NULL, NULL, 0, NULL, 1));
    kw_randoms(&params, client_random, server_random, NULL);
    params.buffers[0].cbBuffer = 31;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    kw_randoms(&params, client_random, server_random, NULL);
    params.desc.cBuffers = 1;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    kw_randoms(&params, client_random, server_random, NULL);
    params.desc.ulVersion = 1;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    kw_randoms(&params, client_random, server_random, NULL);
    params.buffers[1].pvBuffer = NULL;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    for (i = 0; i < 65; i++) {
        many[i].BufferType = NCRYPTBUFFER_DATA;
        many[i].pvBuffer = blob;
        many[i].cbBuffer = 1;
    }
    desc.ulVersion = 0;
    desc.cBuffers = 65;
    desc.pBuffers = many;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, &master, TLS12,
                                                       ECDHE_GCM, &desc, NULL, 0, NULL, 1));

    /* Flags, suites, handles, in the order of docs/ssl-provider.md, "Client and server flags". */
    kw_randoms(&params, client_random, server_random, NULL);
    EXPECT(NTE_BAD_FLAGS, SslGenerateMasterKey(provider, own, peer, &master, TLS12, ECDHE_GCM,
                                               &params.desc, NULL, 0, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslGenerateMasterKey(provider, own, peer, &master, TLS12, ECDHE_GCM,
                                               &params.desc, NULL, 0, NULL, 5));
    EXPECT(NTE_NOT_SUPPORTED, SslGenerateMasterKey(provider, own, peer, &master, TLS12, 0x0004,
                                                   &params.desc, NULL, 0, NULL, 1));
    EXPECT(NTE_NOT_SUPPORTED,
           SslGenerateMasterKey(provider, 0, peer, &master, TLS12, TLS_RSA_WITH_AES_128_GCM_SHA256,
                                &params.desc, NULL, 0, NULL, NCRYPT_SSL_SERVER_FLAG));
    EXPECT(NTE_INVALID_HANDLE, SslGenerateMasterKey(provider, hash, peer, &master, TLS12,
                                                    ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    EXPECT(NTE_INVALID_HANDLE, SslGenerateMasterKey(provider, own, hash, &master, TLS12,
                                                    ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateMasterKey(provider, own, peer, NULL, TLS12,
                                                       ECDHE_GCM, &params.desc, NULL, 0, NULL, 1));
    EXPECT(NTE_INVALID_HANDLE, SslGenerateMasterKey(FORGED, own, peer, &master, TLS12, ECDHE_GCM,
                                                    &params.desc, NULL, 0, NULL, 1));
    CHECK(master == 0);

    /* SslImportMasterKey: docs/ssl-provider.md, "RSA key exchange". */
    kw_randoms(&params, client_random, server_random, &version);
    EXPECT(NTE_INVALID_HANDLE, SslImportMasterKey(provider, own, &master, TLS12,
                                                  TLS_RSA_WITH_AES_128_GCM_SHA256, &params.desc,
                                                  blob, 64, NCRYPT_SSL_SERVER_FLAG));
    EXPECT(NTE_NOT_SUPPORTED, SslImportMasterKey(provider, own, &master, TLS12, 0x0004,
                                                 &params.desc, blob, 64, NCRYPT_SSL_SERVER_FLAG));
    OK(SslFreeObject(own, 0));
    OK(SslFreeObject(peer, 0));

    master = master_key();
    OK(SslFreeObject(hash, 0));
    OK(SslCreateHandshakeHash(provider, &hash, TLS12, ECDHE_GCM, 0));
    EXPECT(NTE_BAD_FLAGS, SslCreateHandshakeHash(FORGED, &hash, TLS12, ECDHE_GCM, 1));
    EXPECT(NTE_NOT_SUPPORTED, SslCreateHandshakeHash(provider, &hash, 0x0300, 0x002F, 0));

    /* Session keys. */
    kw_randoms(&params, client_random, server_random, NULL);
    EXPECT(NTE_BAD_FLAGS, SslGenerateSessionKeys(provider, master, &read, &write, &params.desc, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateSessionKeys(provider, master, NULL, &write,
                                                         &params.desc, 0));
    EXPECT(NTE_INVALID_HANDLE, SslGenerateSessionKeys(provider, hash, &read, &write,
                                                      &params.desc, 0));
    params.desc.cBuffers = 1;
    EXPECT(NTE_INVALID_PARAMETER, SslGenerateSessionKeys(provider, master, &read, &write,
                                                         &params.desc, 0));

    /* Finished (docs/ssl-provider.md, "Finished, CertificateVerify, EAP and exporters"). */
    EXPECT(NTE_INVALID_PARAMETER, SslComputeFinishedHash(provider, master, hash, out, 11, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslComputeFinishedHash(provider, master, hash, NULL, 12, 1));
    EXPECT(NTE_BAD_FLAGS, SslComputeFinishedHash(provider, master, hash, out, 12, 0));
    EXPECT(NTE_BAD_FLAGS, SslComputeFinishedHash(provider, master, hash, out, 12, 4));
    EXPECT(NTE_INVALID_HANDLE, SslComputeFinishedHash(provider, hash, hash, out, 12, 1));
    EXPECT(NTE_INVALID_HANDLE, SslComputeFinishedHash(provider, master, master, out, 12, 1));

    /* EAP key block (docs/ssl-provider.md, "Finished, CertificateVerify, EAP and exporters"). */
    EXPECT(NTE_BAD_FLAGS, SslComputeEapKeyBlock(provider, master, randoms, 64, out, sizeof out,
                                                &length, 0x100));
    EXPECT(NTE_BAD_FLAGS, SslComputeEapKeyBlock(provider, master, randoms, 64, out, sizeof out,
                                                &length, 4));
    EXPECT(NTE_INVALID_PARAMETER, SslComputeEapKeyBlock(provider, master, randoms, 63, out,
                                                        sizeof out, &length, 0));
    OK(SslComputeEapKeyBlock(provider, master, randoms, 64, NULL, 0, &length, 0));
    CHECK(length == 192);
    EXPECT(NTE_BUFFER_TOO_SMALL, SslComputeEapKeyBlock(provider, master, randoms, 64, out, 191,
                                                       &length, 0));
    OK(SslComputeEapKeyBlock(provider, master, randoms, 64, out, sizeof out, &length,
                             NCRYPT_SSL_EAP_TTLSV0_ID));

    /* Exporters. */
    EXPECT(NTE_INVALID_PARAMETER, SslExportKeyingMaterial(provider, master, NULL, randoms, 64,
                                                          NULL, 0, out, 32, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslExportKeyingMaterial(provider, master, (PCHAR) "label",
                                                          randoms, 63, NULL, 0, out, 32, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslExportKeyingMaterial(provider, master, (PCHAR) "label",
                                                          randoms, 64, NULL, 0, NULL, 32, 0));
    EXPECT(NTE_BAD_FLAGS, SslExportKeyingMaterial(provider, master, (PCHAR) "label", randoms,
                                                  64, NULL, 0, out, 32, 1));

    /* Client-auth and session hashes. */
    EXPECT(NTE_INVALID_PARAMETER,
           SslComputeClientAuthHash(provider, master, hash, W("RSA"), out, sizeof out, NULL, 0));
    EXPECT(NTE_BAD_FLAGS, SslComputeClientAuthHash(provider, master, hash, W("RSA"), out,
                                                   sizeof out, &length, 1));
    EXPECT(NTE_BUFFER_TOO_SMALL, SslComputeSessionHash(provider, hash, TLS12, out, 31, &length,
                                                       0));
    CHECK(length == 32);
    EXPECT(NTE_INVALID_PARAMETER,
           SslCreateClientAuthHash(provider, &hash, TLS12, ECDHE_GCM, NULL, 0));
    EXPECT(NTE_NOT_SUPPORTED,
           SslCreateClientAuthHash(provider, &hash, TLS12, ECDHE_GCM, W("MD4"), 0));

    /* Master keys leave only sealed. */
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, master, BCRYPT_ECCPUBLIC_BLOB, out,
                                           sizeof out, &length, 0));
    EXPECT(NTE_NOT_SUPPORTED, SslExportKey(provider, master, BCRYPT_KEY_DATA_BLOB, out,
                                           sizeof out, &length, 0));
    OK(SslExportKey(provider, master, BCRYPT_OPAQUE_KEY_BLOB, NULL, 0, &length, 0));
    CHECK(length > 48);

    OK(SslFreeObject(master, 0));
    EXPECT(NTE_INVALID_HANDLE, SslComputeFinishedHash(provider, master, hash, out, 12, 1));
    OK(SslFreeObject(hash, 0));
}

static void records(void) {
    NCRYPT_KEY_HANDLE master = master_key(), read, write;
    kw_params params;
    BYTE big[16385], record[512], plain[512];
    DWORD length = 0, needed = 0, plain_len = 0;

    OK(SslGenerateSessionKeys(provider, master, &read, &write,
                              kw_randoms(&params, client_random, server_random, NULL), 0));
    memset(big, 'x', sizeof big);
    EXPECT(NTE_INVALID_PARAMETER, SslEncryptPacket(provider, write, big, sizeof big, record,
                                                   sizeof record, &length, 0, 23, 0));
    EXPECT(NTE_BAD_FLAGS, SslEncryptPacket(provider, write, big, 10, record, sizeof record,
                                           &length, 0, 23, 1));
    EXPECT(NTE_INVALID_PARAMETER, SslEncryptPacket(provider, write, big, 10, record,
                                                   sizeof record, NULL, 0, 23, 0));
    EXPECT(NTE_INVALID_HANDLE, SslEncryptPacket(provider, master, big, 10, record,
                                                sizeof record, &length, 0, 23, 0));
    OK(SslEncryptPacket(provider, write, big, 10, NULL, 0, &needed, 0, 23, 0));
    CHECK(needed == 5 + 8 + 10 + 16);
    EXPECT(NTE_BUFFER_TOO_SMALL, SslEncryptPacket(provider, write, big, 10, record, needed - 1,
                                                  &length, 0, 23, 0));
    CHECK(length == needed);
    /* Overlap other than the in-place layouts. */
    EXPECT(NTE_BUFFERS_OVERLAP, SslEncryptPacket(provider, write, record + 1, 10, record,
                                                 sizeof record, &length, 0, 23, 0));
    OK(SslEncryptPacket(provider, write, big, 10, record, sizeof record, &length, 0, 23, 0));
    CHECK(length == needed && record[0] == 23 && record[1] == 3 && record[2] == 3);

    /* Decryption: every documented fault. */
    EXPECT(NTE_INVALID_PARAMETER, SslDecryptPacket(provider, read, record, 0, plain,
                                                   sizeof plain, &plain_len, 0, 0));
    EXPECT(NTE_INVALID_PARAMETER, SslDecryptPacket(provider, read, record, length, NULL,
                                                   sizeof plain, &plain_len, 0, 0));
    EXPECT(NTE_BAD_FLAGS, SslDecryptPacket(provider, read, record, length, plain, sizeof plain,
                                           &plain_len, 0, 1));
    EXPECT(NTE_BAD_DATA, SslDecryptPacket(provider, read, record, length - 1, plain,
                                          sizeof plain, &plain_len, 0, 0));
    EXPECT(NTE_BUFFER_TOO_SMALL, SslDecryptPacket(provider, read, record, length, plain, 5,
                                                  &plain_len, 0, 0));
    EXPECT(NTE_DECRYPTION_FAILURE, SslDecryptPacket(provider, read, record, length, plain,
                                                    sizeof plain, &plain_len, 1, 0));
    record[1] = 0x07;
    EXPECT(NTE_BAD_DATA, SslDecryptPacket(provider, read, record, length, plain, sizeof plain,
                                          &plain_len, 0, 0));
    record[1] = 0x03;
    /* A self-exchange: the client's write key is not the read key of the same side. */
    EXPECT(NTE_DECRYPTION_FAILURE, SslDecryptPacket(provider, read, record, length, plain,
                                                    sizeof plain, &plain_len, 0, 0));
    OK(SslFreeObject(read, 0));
    OK(SslFreeObject(write, 0));
    OK(SslFreeObject(master, 0));
}

static void function_table(void) {
    NCRYPT_SSL_FUNCTION_TABLE *table = NULL;
    CHECK(GetSChannelInterface(NULL, &table, 0) == 0);
    CHECK(table && table->Version.MajorVersion == 5 && table->OpenProvider == SslOpenProvider &&
          table->ExpandPreSharedKey == SslExpandPreSharedKey &&
          table->EnumCipherSuitesEx == SslEnumCipherSuitesEx);
    CHECK(GetSChannelInterface(MS_SCHANNEL_PROVIDER, &table, 0) == 0);
    /* The table is the caller's to write (one per process, as on Windows): hook a slot, see
     * the hook through a second call, put it back. */
    {
        NCRYPT_SSL_FUNCTION_TABLE *again = NULL;
        SslOpenProviderFn original = table->OpenProvider;
        table->OpenProvider = NULL;
        table->Version.MinorVersion = 9;
        CHECK(GetSChannelInterface(NULL, &again, 0) == 0);
        CHECK(again == table && again->OpenProvider == NULL && again->Version.MinorVersion == 9);
        table->OpenProvider = original;
        table->Version.MinorVersion = 0;
        CHECK(again->OpenProvider == SslOpenProvider);
    }
    CHECK(GetSChannelInterface(W("Other"), &table, 0) == (NTSTATUS)0xC0000225u);
    CHECK(GetSChannelInterface(NULL, NULL, 0) == (NTSTATUS)0xC000000Du);
}

int main(void) {
    OK(SslOpenProvider(&provider, NULL, 0));
    provider_lifetime();
    suites();
    keys();
    master_secret();
    records();
    function_table();
    OK(SslFreeObject(provider, 0));
    return kw_finish("errors");
}

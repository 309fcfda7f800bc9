/*
 * handshake.c: complete key exchanges between two provider instances, through the C ABI
 * only: TLS 1.2 ECDHE (with and without the extended master secret), TLS 1.2 RSA key
 * exchange (one call, and through SslGeneratePreMasterKey), and TLS 1.3. Each checks that
 * both sides agree (Finished, exporters) and that records round-trip both ways. CBC session
 * keys also in keyward's encrypt-then-MAC mode (NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC).
 *
 * Usage: handshake RSA_KEY.pk8.der RSA_CERT.der
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include "kwtest.h"

static BYTE client_random[32], server_random[32];

/* One side of a connection. */
typedef struct {
    NCRYPT_PROV_HANDLE provider;
    NCRYPT_HASH_HANDLE transcript;
    NCRYPT_KEY_HANDLE master, read, write;
} side_t;

static void fill(BYTE *data, size_t length, BYTE seed) {
    size_t i;
    for (i = 0; i < length; i++) data[i] = (BYTE)(seed + 7 * i);
}

static void open_side(side_t *side, DWORD protocol, DWORD suite) {
    memset(side, 0, sizeof *side);
    OK(SslOpenProvider(&side->provider, MS_SCHANNEL_PROVIDER, 0));
    OK(SslCreateHandshakeHash(side->provider, &side->transcript, protocol, suite, 0));
}

static void hash_both(side_t *a, side_t *b, const char *message) {
    OK(SslHashHandshake(a->provider, a->transcript, (PBYTE)message, (DWORD)strlen(message), 0));
    OK(SslHashHandshake(b->provider, b->transcript, (PBYTE)message, (DWORD)strlen(message), 0));
}

static void close_side(side_t *side) {
    if (side->read) OK(SslFreeObject(side->read, 0));
    if (side->write) OK(SslFreeObject(side->write, 0));
    if (side->master) OK(SslFreeObject(side->master, 0));
    OK(SslFreeObject(side->transcript, 0));
    OK(SslFreeObject(side->provider, 0));
    EXPECT(NTE_INVALID_HANDLE, SslFreeObject(side->provider, 0));
}

/* Exports `key`'s public blob from `from` and imports it into `to`. */
static NCRYPT_KEY_HANDLE transfer_public(NCRYPT_PROV_HANDLE from, NCRYPT_KEY_HANDLE key,
                                         NCRYPT_PROV_HANDLE to, const WCHAR *blob_type) {
    BYTE blob[2048];
    DWORD length = 0;
    NCRYPT_KEY_HANDLE imported = 0;
    OK(SslExportKey(from, key, blob_type, NULL, 0, &length, 0));
    CHECK(length > 8 && length <= sizeof blob);
    EXPECT(NTE_BUFFER_TOO_SMALL, SslExportKey(from, key, blob_type, blob, length - 1, &length, 0));
    OK(SslExportKey(from, key, blob_type, blob, sizeof blob, &length, 0));
    OK(SslImportKey(to, &imported, blob_type, blob, length, 0));
    return imported;
}

/* One record from `sender` to `receiver`, checked, then a tampered copy refused. */
static void record_round_trip(side_t *sender, side_t *receiver, ULONGLONG seq, DWORD failure) {
    const char *text = "GET / HTTP/1.1\r\nHost: keyward\r\n\r\n";
    DWORD text_len = (DWORD)strlen(text), needed = 0, length = 0, plain_len = 0;
    BYTE record[512], plain[512];
    OK(SslEncryptPacket(sender->provider, sender->write, (PBYTE)text, text_len, NULL, 0,
                        &needed, seq, CT_APPLICATIONDATA, 0));
    CHECK(needed > text_len && needed <= sizeof record);
    OK(SslEncryptPacket(sender->provider, sender->write, (PBYTE)text, text_len, record,
                        sizeof record, &length, seq, CT_APPLICATIONDATA, 0));
    CHECK(length <= needed && record[0] == CT_APPLICATIONDATA);
    OK(SslDecryptPacket(receiver->provider, receiver->read, record, length, plain, sizeof plain,
                        &plain_len, seq, 0));
    CHECK(plain_len >= text_len && memcmp(plain, text, text_len) == 0);
    record[length - 1] ^= 1;
    EXPECT(failure, SslDecryptPacket(receiver->provider, receiver->read, record, length, plain,
                                     sizeof plain, &plain_len, seq, 0));
}

/* In place: the plaintext already sits after the header and explicit IV. */
static void record_in_place(side_t *sender, side_t *receiver, DWORD protocol, DWORD suite) {
    NCRYPT_SSL_CIPHER_LENGTHS lengths;
    BYTE record[256];
    DWORD length = 0, plain_len = 0, offset;
    OK(SslLookupCipherLengths(sender->provider, protocol, suite, 0, &lengths, sizeof lengths, 0));
    offset = 5 + lengths.dwHeaderLen;
    memcpy(record + offset, "in place", 8);
    OK(SslEncryptPacket(sender->provider, sender->write, record + offset, 8, record,
                        sizeof record, &length, 7, CT_APPLICATIONDATA, 0));
    OK(SslDecryptPacket(receiver->provider, receiver->read, record, length, record + offset,
                        length - offset, &plain_len, 7, 0));
    CHECK(plain_len == 8 && memcmp(record + offset, "in place", 8) == 0);
}

static void check_finished(side_t *client, side_t *server) {
    BYTE a[12], b[12], c[12];
    OK(SslComputeFinishedHash(client->provider, client->master, client->transcript, a, 12,
                              NCRYPT_SSL_CLIENT_FLAG));
    OK(SslComputeFinishedHash(server->provider, server->master, server->transcript, b, 12,
                              NCRYPT_SSL_CLIENT_FLAG));
    CHECK(memcmp(a, b, 12) == 0);
    OK(SslComputeFinishedHash(server->provider, server->master, server->transcript, c, 12,
                              NCRYPT_SSL_SERVER_FLAG));
    CHECK(memcmp(a, c, 12) != 0);
    OK(SslComputeFinishedHash(client->provider, client->master, client->transcript, a, 12,
                              NCRYPT_SSL_SERVER_FLAG));
    CHECK(memcmp(a, c, 12) == 0);
}

static void check_exporter(side_t *client, side_t *server) {
    BYTE randoms[64], a[40], b[40], context[3] = {1, 2, 3};
    memcpy(randoms, client_random, 32);
    memcpy(randoms + 32, server_random, 32);
    OK(SslExportKeyingMaterial(client->provider, client->master, (PCHAR) "EXPORTER-test",
                               randoms, 64, context, 3, a, sizeof a, 0));
    OK(SslExportKeyingMaterial(server->provider, server->master, (PCHAR) "EXPORTER-test",
                               randoms, 64, context, 3, b, sizeof b, 0));
    CHECK(memcmp(a, b, sizeof a) == 0);
}

/* Record protection of the session keys: MAC-then-encrypt, keyward's encrypt-then-MAC
   extension, or encrypt-then-MAC asked for and refused (an AEAD suite, or a value not 0/1). */
typedef enum { MTE, ETM, ETM_REFUSED } record_mode;

static void session_keys(side_t *side, record_mode mode) {
    kw_params params;
    DWORD on = 1, two = 2;
    kw_randoms(&params, client_random, server_random, NULL);
    if (mode == ETM_REFUSED) {
        kw_params_add(&params, NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC, &on, sizeof on);
        EXPECT(NTE_INVALID_PARAMETER, SslGenerateSessionKeys(side->provider, side->master,
                                                             &side->read, &side->write,
                                                             &params.desc, 0));
        kw_randoms(&params, client_random, server_random, NULL);
    } else if (mode == ETM) {
        kw_params_add(&params, NCRYPTBUFFER_KEYWARD_ENCRYPT_THEN_MAC, &two, sizeof two);
        EXPECT(NTE_INVALID_PARAMETER, SslGenerateSessionKeys(side->provider, side->master,
                                                             &side->read, &side->write,
                                                             &params.desc, 0));
        params.buffers[2].pvBuffer = &on;
    }
    OK(SslGenerateSessionKeys(side->provider, side->master, &side->read, &side->write,
                              &params.desc, 0));
}

/* An empty record is IV, one block of padding and the MAC after it in encrypt-then-MAC; MAC
   and padding fill fewer bytes inside the ciphertext in MAC-then-encrypt. */
static void check_etm_layout(side_t *side, DWORD suite) {
    NCRYPT_SSL_CIPHER_LENGTHS lengths;
    DWORD needed = 0;
    BYTE none = 0;
    OK(SslLookupCipherLengths(side->provider, TLS1_2_PROTOCOL_VERSION, suite, 0, &lengths,
                              sizeof lengths, 0));
    OK(SslEncryptPacket(side->provider, side->write, &none, 0, NULL, 0, &needed, 0,
                        CT_APPLICATIONDATA, 0));
    CHECK(needed == 5 + lengths.dwHeaderLen + 16 + lengths.dwFixedTrailerLen);
}

static void ecdhe(DWORD suite, DWORD curve, DWORD bits, int extended_master_secret,
                  record_mode mode) {
    side_t client, server;
    NCRYPT_KEY_HANDLE client_share, server_share, client_peer, server_peer;
    kw_params params;
    BYTE session_hash[64];
    DWORD session_hash_len = 0, value_len = 0;
    PBYTE value = NULL;

    open_side(&client, TLS1_2_PROTOCOL_VERSION, suite);
    open_side(&server, TLS1_2_PROTOCOL_VERSION, suite);
    hash_both(&client, &server, "ClientHello ServerHello Certificate");

    OK(SslCreateEphemeralKey(server.provider, &server_share, TLS1_2_PROTOCOL_VERSION, suite,
                             curve, bits, NULL, 0, 0));
    OK(SslGetKeyProperty(server_share, SSL_KEY_TYPE_PROPERTY, &value, &value_len, 0));
    CHECK(value_len == 4 && value[0] == curve);
    OK(SslFreeBuffer(value));
    client_peer = transfer_public(server.provider, server_share, client.provider,
                                  BCRYPT_ECCPUBLIC_BLOB);
    OK(SslCreateEphemeralKey(client.provider, &client_share, TLS1_2_PROTOCOL_VERSION, suite,
                             curve, bits, NULL, 0, 0));
    server_peer = transfer_public(client.provider, client_share, server.provider,
                                  BCRYPT_ECCPUBLIC_BLOB);
    hash_both(&client, &server, "ServerKeyExchange ServerHelloDone ClientKeyExchange");

    if (extended_master_secret) {
        OK(SslComputeSessionHash(client.provider, client.transcript, TLS1_2_PROTOCOL_VERSION,
                                 NULL, 0, &session_hash_len, 0));
        CHECK(session_hash_len == 32 || session_hash_len == 48);
        OK(SslComputeSessionHash(client.provider, client.transcript, TLS1_2_PROTOCOL_VERSION,
                                 session_hash, sizeof session_hash, &session_hash_len, 0));
        kw_params_init(&params);
        kw_params_add(&params, NCRYPTBUFFER_SSL_SESSION_HASH, session_hash, session_hash_len);
    } else {
        kw_randoms(&params, client_random, server_random, NULL);
    }
    OK(SslGenerateMasterKey(client.provider, client_share, client_peer, &client.master,
                            TLS1_2_PROTOCOL_VERSION, suite, &params.desc, NULL, 0, NULL,
                            NCRYPT_SSL_CLIENT_FLAG));
    OK(SslGenerateMasterKey(server.provider, server_share, server_peer, &server.master,
                            TLS1_2_PROTOCOL_VERSION, suite, &params.desc, NULL, 0, NULL,
                            NCRYPT_SSL_SERVER_FLAG));
    session_keys(&client, mode);
    session_keys(&server, mode == ETM ? ETM : MTE);
    if (mode == ETM)
        check_etm_layout(&client, suite);
    hash_both(&client, &server, "Finished");
    check_finished(&client, &server);
    check_exporter(&client, &server);
    record_round_trip(&client, &server, 0, NTE_DECRYPTION_FAILURE);
    record_round_trip(&server, &client, 0, NTE_DECRYPTION_FAILURE);
    record_round_trip(&client, &server, 1, NTE_DECRYPTION_FAILURE);
    record_in_place(&client, &server, TLS1_2_PROTOCOL_VERSION, suite);

    OK(SslFreeObject(client_share, 0));
    OK(SslFreeObject(server_share, 0));
    OK(SslFreeObject(client_peer, 0));
    OK(SslFreeObject(server_peer, 0));
    close_side(&client);
    close_side(&server);
}

static void rsa(NCRYPT_PROV_HANDLE store_provider, PCCERT_CONTEXT certificate, DWORD suite,
                int use_premaster_object) {
    side_t client, server;
    NCRYPT_KEY_HANDLE server_key, server_public, premaster = 0;
    kw_params params;
    DWORD version = TLS1_2_PROTOCOL_VERSION, length = 0;
    BYTE encrypted[512];
    (void)store_provider;

    open_side(&client, TLS1_2_PROTOCOL_VERSION, suite);
    open_side(&server, TLS1_2_PROTOCOL_VERSION, suite);
    OK(SslOpenPrivateKey(server.provider, &server_key, certificate, 0));
    server_public = transfer_public(server.provider, server_key, client.provider,
                                    BCRYPT_RSAPUBLIC_BLOB);
    hash_both(&client, &server, "ClientHello ServerHello Certificate ServerHelloDone");
    kw_randoms(&params, client_random, server_random, &version);

    if (use_premaster_object) {
        OK(SslGeneratePreMasterKey(client.provider, server_public, &premaster,
                                   TLS1_2_PROTOCOL_VERSION, suite, &params.desc, NULL, 0,
                                   &length, NCRYPT_SSL_CLIENT_FLAG));
        CHECK(length == 256);
        OK(SslGeneratePreMasterKey(client.provider, server_public, &premaster,
                                   TLS1_2_PROTOCOL_VERSION, suite, &params.desc, encrypted,
                                   sizeof encrypted, &length, NCRYPT_SSL_CLIENT_FLAG));
        OK(SslGenerateMasterKey(client.provider, premaster, server_public, &client.master,
                                TLS1_2_PROTOCOL_VERSION, suite, &params.desc, NULL, 0, NULL,
                                NCRYPT_SSL_CLIENT_FLAG));
    } else {
        OK(SslGenerateMasterKey(client.provider, 0, server_public, &client.master,
                                TLS1_2_PROTOCOL_VERSION, suite, &params.desc, NULL, 0, &length,
                                NCRYPT_SSL_CLIENT_FLAG));
        CHECK(length == 256 && client.master == 0);
        EXPECT(NTE_BUFFER_TOO_SMALL,
               SslGenerateMasterKey(client.provider, 0, server_public, &client.master,
                                    TLS1_2_PROTOCOL_VERSION, suite, &params.desc, encrypted,
                                    length - 1, &length, NCRYPT_SSL_CLIENT_FLAG));
        OK(SslGenerateMasterKey(client.provider, 0, server_public, &client.master,
                                TLS1_2_PROTOCOL_VERSION, suite, &params.desc, encrypted,
                                sizeof encrypted, &length, NCRYPT_SSL_CLIENT_FLAG));
    }
    CHECK(length == 256);
    OK(SslImportMasterKey(server.provider, server_key, &server.master, TLS1_2_PROTOCOL_VERSION,
                          suite, &params.desc, encrypted, length, NCRYPT_SSL_SERVER_FLAG));
    session_keys(&client, MTE);
    session_keys(&server, MTE);
    hash_both(&client, &server, "ClientKeyExchange Finished");
    check_finished(&client, &server);
    check_exporter(&client, &server);
    record_round_trip(&client, &server, 0, NTE_DECRYPTION_FAILURE);
    record_round_trip(&server, &client, 0, NTE_DECRYPTION_FAILURE);
    record_in_place(&server, &client, TLS1_2_PROTOCOL_VERSION, suite);

    /* A tampered premaster is not reported (no oracle): the masters just disagree. */
    {
        NCRYPT_KEY_HANDLE wrong = 0;
        BYTE a[12], b[12];
        encrypted[10] ^= 0x40;
        OK(SslImportMasterKey(server.provider, server_key, &wrong, TLS1_2_PROTOCOL_VERSION,
                              suite, &params.desc, encrypted, length, NCRYPT_SSL_SERVER_FLAG));
        OK(SslComputeFinishedHash(client.provider, client.master, client.transcript, a, 12,
                                  NCRYPT_SSL_CLIENT_FLAG));
        OK(SslComputeFinishedHash(server.provider, wrong, server.transcript, b, 12,
                                  NCRYPT_SSL_CLIENT_FLAG));
        CHECK(memcmp(a, b, 12) != 0);
        OK(SslFreeObject(wrong, 0));
    }

    /* A session key sealed by one provider instance opens in another over the same store. */
    {
        NCRYPT_PROV_HANDLE other;
        NCRYPT_KEY_HANDLE moved;
        BYTE blob[512], record[128], plain[128];
        DWORD blob_len = 0, record_len = 0, plain_len = 0;
        OK(SslExportKey(client.provider, client.write, BCRYPT_OPAQUE_KEY_BLOB, blob,
                        sizeof blob, &blob_len, 0));
        OK(SslOpenProvider(&other, NULL, 0));
        OK(SslImportKey(other, &moved, BCRYPT_OPAQUE_KEY_BLOB, blob, blob_len, 0));
        OK(SslEncryptPacket(other, moved, (PBYTE) "moved", 5, record, sizeof record,
                            &record_len, 9, CT_APPLICATIONDATA, 0));
        OK(SslDecryptPacket(server.provider, server.read, record, record_len, plain,
                            sizeof plain, &plain_len, 9, 0));
        CHECK(plain_len == 5 && memcmp(plain, "moved", 5) == 0);
        blob[blob_len - 1] ^= 1;
        EXPECT(NTE_BAD_DATA, SslImportKey(other, &moved, BCRYPT_OPAQUE_KEY_BLOB, blob,
                                          blob_len, 0));
        OK(SslFreeObject(moved, 0));
        OK(SslFreeObject(other, 0));
    }

    if (premaster) OK(SslFreeObject(premaster, 0));
    OK(SslFreeObject(server_public, 0));
    OK(SslFreeObject(server_key, 0));
    close_side(&client);
    close_side(&server);
}

/* TLS 1.3 with x25519: handshake and application secrets, Finished, records, KeyUpdate. */
static void tls13(DWORD suite) {
    side_t client, server;
    NCRYPT_KEY_HANDLE client_share, server_share, client_peer, server_peer;
    NCRYPT_KEY_HANDLE early[2], handshake[2], master[2], traffic[2][2], keys[2][2];
    NCRYPT_KEY_HANDLE next[2], next_keys[2];
    side_t *sides[2];
    BYTE finished[2][48];
    DWORD hash_len = suite == TLS_AES_256_GCM_SHA384 ? 48 : 32;
    int i;

    open_side(&client, TLS1_3_PROTOCOL_VERSION, suite);
    open_side(&server, TLS1_3_PROTOCOL_VERSION, suite);
    sides[0] = &client;
    sides[1] = &server;
    OK(SslCreateEphemeralKey(client.provider, &client_share, TLS1_3_PROTOCOL_VERSION, suite, 29,
                             255, NULL, 0, 0));
    OK(SslCreateEphemeralKey(server.provider, &server_share, TLS1_3_PROTOCOL_VERSION, suite, 29,
                             255, NULL, 0, 0));
    server_peer = transfer_public(client.provider, client_share, server.provider,
                                  BCRYPT_ECCPUBLIC_BLOB);
    client_peer = transfer_public(server.provider, server_share, client.provider,
                                  BCRYPT_ECCPUBLIC_BLOB);
    hash_both(&client, &server, "ClientHello ServerHello");
    for (i = 0; i < 2; i++) {
        NCRYPT_KEY_HANDLE own = i == 0 ? client_share : server_share;
        NCRYPT_KEY_HANDLE peer = i == 0 ? client_peer : server_peer;
        OK(SslExtractEarlyKey(sides[i]->provider, 0, &early[i], TLS1_3_PROTOCOL_VERSION, suite,
                              NULL, 0));
        OK(SslExtractHandshakeKey(sides[i]->provider, own, peer, early[i], &handshake[i], NULL,
                                  0));
        OK(SslExpandTrafficKeys(sides[i]->provider, handshake[i], sides[i]->transcript,
                                &traffic[i][0], &traffic[i][1], NULL, 0));
    }
    hash_both(&client, &server, "EncryptedExtensions Certificate CertificateVerify");
    for (i = 0; i < 2; i++)
        OK(SslComputeFinishedHash(sides[i]->provider, traffic[i][1], sides[i]->transcript,
                                  finished[i], hash_len, NCRYPT_SSL_SERVER_FLAG));
    CHECK(memcmp(finished[0], finished[1], hash_len) == 0);
    hash_both(&client, &server, "server Finished");
    for (i = 0; i < 2; i++) {
        OK(SslExtractMasterKey(sides[i]->provider, handshake[i], &master[i], NULL, 0));
        OK(SslFreeObject(traffic[i][0], 0));
        OK(SslFreeObject(traffic[i][1], 0));
        OK(SslExpandTrafficKeys(sides[i]->provider, master[i], sides[i]->transcript,
                                &traffic[i][0], &traffic[i][1], NULL, 0));
        OK(SslExpandWriteKey(sides[i]->provider, traffic[i][0], &keys[i][0], NULL, 0));
        OK(SslExpandWriteKey(sides[i]->provider, traffic[i][1], &keys[i][1], NULL, 0));
    }
    /* The client writes with its key; the server reads with the client's key. */
    client.write = keys[0][0];
    client.read = keys[0][1];
    server.write = keys[1][1];
    server.read = keys[1][0];
    record_round_trip(&client, &server, 0, STATUS_AUTH_TAG_MISMATCH);
    record_round_trip(&server, &client, 0, STATUS_AUTH_TAG_MISMATCH);

    /* KeyUpdate of the client's sending direction. */
    for (i = 0; i < 2; i++) {
        OK(KeywardUpdateTrafficSecret(sides[i]->provider, traffic[i][0], &next[i], 0));
        OK(SslExpandWriteKey(sides[i]->provider, next[i], &next_keys[i], NULL, 0));
    }
    client.write = next_keys[0];
    server.read = next_keys[1];
    record_round_trip(&client, &server, 0, STATUS_AUTH_TAG_MISMATCH);
    client.write = server.read = client.read = server.write = 0;

    for (i = 0; i < 2; i++) {
        OK(SslFreeObject(next[i], 0));
        OK(SslFreeObject(next_keys[i], 0));
        OK(SslFreeObject(keys[i][0], 0));
        OK(SslFreeObject(keys[i][1], 0));
        OK(SslFreeObject(traffic[i][0], 0));
        OK(SslFreeObject(traffic[i][1], 0));
        OK(SslFreeObject(master[i], 0));
        OK(SslFreeObject(handshake[i], 0));
        OK(SslFreeObject(early[i], 0));
    }
    OK(SslFreeObject(client_share, 0));
    OK(SslFreeObject(server_share, 0));
    OK(SslFreeObject(client_peer, 0));
    OK(SslFreeObject(server_peer, 0));
    close_side(&client);
    close_side(&server);
}

int main(int argc, char **argv) {
    NCRYPT_PROV_HANDLE provider;
    CERT_CONTEXT certificate;
    BYTE *pkcs8, *der;
    DWORD pkcs8_len, der_len;

    if (argc != 3) {
        fprintf(stderr, "usage: %s RSA_KEY.pk8.der RSA_CERT.der\n", argv[0]);
        return 2;
    }
    fill(client_random, 32, 1);
    fill(server_random, 32, 99);
    pkcs8 = read_file(argv[1], &pkcs8_len);
    der = read_file(argv[2], &der_len);
    memset(&certificate, 0, sizeof certificate);
    certificate.pbCertEncoded = der;
    certificate.cbCertEncoded = der_len;

    OK(SslOpenProvider(&provider, NULL, 0));
    /* The isolated provider has no key store of its own to import into: the key goes into
     * the daemon's store (tests/c/run imports it there), and SslOpenPrivateKey finds it. */
    EXPECT(kw_isolated() ? NTE_NOT_SUPPORTED : ERROR_SUCCESS,
           KeywardImportPrivateKey(provider, W("c-handshake-rsa"), pkcs8, pkcs8_len, der,
                                   der_len, 0));

    ecdhe(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECC_P256_CURVE_KEY_TYPE, 256, 0, MTE);
    ecdhe(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECC_P256_CURVE_KEY_TYPE, 256, 1,
          ETM_REFUSED);
    ecdhe(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECC_P384_CURVE_KEY_TYPE, 384, 1, MTE);
    ecdhe(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 29, 255, 0, MTE);
    ecdhe(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECC_P256_CURVE_KEY_TYPE, 256, 0, MTE);
    ecdhe(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECC_P256_CURVE_KEY_TYPE, 256, 1, ETM);
    ecdhe(TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TLS_ECC_P384_CURVE_KEY_TYPE, 384, 1, ETM);
    rsa(provider, &certificate, TLS_RSA_WITH_AES_128_GCM_SHA256, 0);
    rsa(provider, &certificate, TLS_RSA_WITH_AES_128_CBC_SHA256, 1);
    tls13(TLS_AES_128_GCM_SHA256);
    tls13(TLS_AES_256_GCM_SHA384);
    tls13(TLS_CHACHA20_POLY1305_SHA256);

    OK(SslFreeObject(provider, 0));
    free(pkcs8);
    free(der);
    return kw_finish("handshake");
}

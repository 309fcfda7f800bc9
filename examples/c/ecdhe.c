/*
 * ecdhe.c: a TLS 1.2 ECDHE key exchange through libkeyward's SSL provider, the way Schannel
 * drives ncrypt.dll. A client and a server provider live in one process; each step prints the
 * provider call and its status, and the program exits non-zero on the first failure.
 *
 * Build and run against an installed libkeyward (scripts/install-lib PREFIX):
 *
 *     export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig
 *     cc -std=c99 ecdhe.c $(pkg-config --cflags --libs keyward) -o ecdhe
 *     ./ecdhe
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sslprovider.h>

#define PROTOCOL TLS1_2_PROTOCOL_VERSION
#define SUITE TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#define CURVE TLS_ECC_P256_CURVE_KEY_TYPE

/* Prints one provider call with its status, and stops the program if it failed. */
static void step(const char *side, const char *call, SECURITY_STATUS status) {
    if (status != ERROR_SUCCESS) {
        printf("[%s] %s -> 0x%08X\n", side, call, (unsigned)status);
        fprintf(stderr, "ecdhe: %s failed with status 0x%08X\n", call, (unsigned)status);
        exit(1);
    }
    printf("[%s] %s -> ERROR_SUCCESS\n", side, call);
}

/* One end of the connection. */
typedef struct {
    const char *name;
    DWORD flags; /* NCRYPT_SSL_CLIENT_FLAG or NCRYPT_SSL_SERVER_FLAG */
    NCRYPT_PROV_HANDLE provider;
    NCRYPT_KEY_HANDLE share;      /* our ephemeral key pair */
    NCRYPT_KEY_HANDLE peer_share; /* the other side's public key, imported */
    NCRYPT_KEY_HANDLE master, read, write;
} side_t;

/* Exports the public half of `from`'s ephemeral key and imports it into `to`'s provider,
 * as the key exchange messages carry it. */
static void send_share(side_t *from, side_t *to) {
    BYTE blob[256];
    DWORD length = 0;
    step(from->name, "SslExportKey(ephemeral key, BCRYPT_ECCPUBLIC_BLOB)",
         SslExportKey(from->provider, from->share, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob,
                      &length, 0));
    printf("    %lu-byte public key blob goes to the %s\n", (unsigned long)length, to->name);
    step(to->name, "SslImportKey(BCRYPT_ECCPUBLIC_BLOB)",
         SslImportKey(to->provider, &to->peer_share, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
}

int main(void) {
    side_t client = {"client", NCRYPT_SSL_CLIENT_FLAG, 0, 0, 0, 0, 0, 0};
    side_t server = {"server", NCRYPT_SSL_SERVER_FLAG, 0, 0, 0, 0, 0, 0};
    side_t *sides[2] = {&client, &server};
    BYTE client_random[32], server_random[32];
    NCryptBuffer buffers[2];
    NCryptBufferDesc randoms;
    const char *message = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    DWORD message_len = (DWORD)strlen(message), record_len = 0, plain_len = 0;
    BYTE record[256], plain[256];
    int i, j;

    /* The hello randoms; a real handshake takes them from ClientHello and ServerHello. */
    for (i = 0; i < 32; i++) {
        client_random[i] = (BYTE)(i + 1);
        server_random[i] = (BYTE)(0xA0 + i);
    }
    buffers[0].BufferType = NCRYPTBUFFER_SSL_CLIENT_RANDOM;
    buffers[0].cbBuffer = sizeof client_random;
    buffers[0].pvBuffer = client_random;
    buffers[1].BufferType = NCRYPTBUFFER_SSL_SERVER_RANDOM;
    buffers[1].cbBuffer = sizeof server_random;
    buffers[1].pvBuffer = server_random;
    randoms.ulVersion = NCRYPTBUFFER_VERSION;
    randoms.cBuffers = 2;
    randoms.pBuffers = buffers;

    printf("TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, P-256\n");
    for (i = 0; i < 2; i++) {
        side_t *side = sides[i];
        step(side->name, "SslOpenProvider(MS_SCHANNEL_PROVIDER)",
             SslOpenProvider(&side->provider, MS_SCHANNEL_PROVIDER, 0));
        step(side->name, "SslCreateEphemeralKey(TLS 1.2, suite, P-256)",
             SslCreateEphemeralKey(side->provider, &side->share, PROTOCOL, SUITE, CURVE, 256,
                                   NULL, 0, 0));
    }
    send_share(&server, &client); /* in ServerKeyExchange */
    send_share(&client, &server); /* in ClientKeyExchange */

    for (i = 0; i < 2; i++) {
        side_t *side = sides[i];
        step(side->name, "SslGenerateMasterKey(own key, peer's key, {client, server random})",
             SslGenerateMasterKey(side->provider, side->share, side->peer_share, &side->master,
                                  PROTOCOL, SUITE, &randoms, NULL, 0, NULL, side->flags));
        step(side->name, "SslGenerateSessionKeys(master key, {client, server random})",
             SslGenerateSessionKeys(side->provider, side->master, &side->read, &side->write,
                                    &randoms, 0));
    }

    /* One application-data record from the client, read by the server. */
    step("client", "SslEncryptPacket(write key, application data, sequence 0)",
         SslEncryptPacket(client.provider, client.write, (PBYTE)message, message_len, record,
                          sizeof record, &record_len, 0, CT_APPLICATIONDATA, 0));
    printf("    %lu-byte record on the wire\n", (unsigned long)record_len);
    step("server", "SslDecryptPacket(read key, record, sequence 0)",
         SslDecryptPacket(server.provider, server.read, record, record_len, plain, sizeof plain,
                          &plain_len, 0, 0));
    if (plain_len != message_len || memcmp(plain, message, message_len) != 0) {
        fprintf(stderr, "ecdhe: the server read something other than what the client sent\n");
        return 1;
    }
    printf("[server] read the client's %lu bytes of plaintext\n", (unsigned long)plain_len);

    for (i = 0; i < 2; i++) {
        side_t *side = sides[i];
        NCRYPT_HANDLE objects[6];
        objects[0] = side->read;
        objects[1] = side->write;
        objects[2] = side->master;
        objects[3] = side->peer_share;
        objects[4] = side->share;
        objects[5] = side->provider;
        for (j = 0; j < 6; j++) step(side->name, "SslFreeObject", SslFreeObject(objects[j], 0));
    }
    printf("ECDHE: client and server agree\n");
    return 0;
}

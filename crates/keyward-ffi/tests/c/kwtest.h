/*
 * kwtest.h: small helpers shared by the C tests of libkeyward.
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KWTEST_H
#define KWTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sslprovider.h"

static int kw_failures = 0;

/* Checks that `call` returns `expected`, naming both on failure. */
#define EXPECT(expected, call)                                                            \
    do {                                                                                  \
        SECURITY_STATUS kw_status_ = (call);                                              \
        if (kw_status_ != (SECURITY_STATUS)(expected)) {                                  \
            fprintf(stderr, "%s:%d: %s\n    returned 0x%08X, expected %s (0x%08X)\n",     \
                    __FILE__, __LINE__, #call, (unsigned)kw_status_, #expected,           \
                    (unsigned)(SECURITY_STATUS)(expected));                               \
            kw_failures++;                                                                \
        }                                                                                 \
    } while (0)

#define OK(call) EXPECT(ERROR_SUCCESS, call)

/* Checks a condition. */
#define CHECK(condition)                                                                  \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            kw_failures++;                                                                \
        }                                                                                 \
    } while (0)

/* Ends a test program: prints the verdict and returns the exit status. */
static inline int kw_finish(const char *name) {
    if (kw_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, kw_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

/* True when KEYWARD_KEYISO routes every provider to the keyiso daemon (the second pass of
 * tests/c/run): the checks then expect what an isolated provider does (keyward-ssl, src/isolation.rs). */
static inline int kw_isolated(void) {
    const char *socket = getenv("KEYWARD_KEYISO");
    return socket != NULL && socket[0] != 0;
}

/* An ASCII string as UTF-16, in one of a few rotating static buffers. */
static inline const WCHAR *W(const char *ascii) {
    static WCHAR buffers[8][128];
    static int next = 0;
    WCHAR *out = buffers[next++ % 8];
    size_t i = 0;
    for (; ascii[i] && i < 127; i++) out[i] = (WCHAR)(unsigned char)ascii[i];
    out[i] = 0;
    return out;
}

/* Reads a whole file; exits on failure. */
static inline BYTE *read_file(const char *path, DWORD *length) {
    FILE *file = fopen(path, "rb");
    long size;
    BYTE *data;
    if (!file) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    data = (BYTE *)malloc((size_t)size);
    if (!data || fread(data, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    *length = (DWORD)size;
    return data;
}

/* A parameter list: up to four buffers. */
typedef struct {
    NCryptBuffer buffers[4];
    NCryptBufferDesc desc;
} kw_params;

static inline NCryptBufferDesc *kw_params_init(kw_params *params) {
    memset(params, 0, sizeof *params);
    params->desc.ulVersion = NCRYPTBUFFER_VERSION;
    params->desc.pBuffers = params->buffers;
    return &params->desc;
}

static inline void kw_params_add(kw_params *params, ULONG type, void *data, ULONG length) {
    NCryptBuffer *buffer = &params->buffers[params->desc.cBuffers++];
    buffer->BufferType = type;
    buffer->pvBuffer = data;
    buffer->cbBuffer = length;
}

/* {client random, server random[, highest version]}. */
static inline NCryptBufferDesc *kw_randoms(kw_params *params, BYTE *client_random,
                                    BYTE *server_random, DWORD *highest_version) {
    kw_params_init(params);
    kw_params_add(params, NCRYPTBUFFER_SSL_CLIENT_RANDOM, client_random, 32);
    kw_params_add(params, NCRYPTBUFFER_SSL_SERVER_RANDOM, server_random, 32);
    if (highest_version)
        kw_params_add(params, NCRYPTBUFFER_SSL_HIGHEST_VERSION, highest_version, 4);
    return &params->desc;
}

#endif /* KWTEST_H */

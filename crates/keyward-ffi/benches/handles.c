/*
 * handles.c: live session-key handles through the C ABI (issue 17). One TLS 1.2
 * ECDHE-RSA-AES128-GCM master key, then SslGenerateSessionKeys until COUNT session-key
 * handles are live; then every handle freed with SslFreeObject. Prints handles made per
 * second, the growth of the resident set per live handle, and frees per second.
 *
 * Usage: handles [COUNT]   (default 1000000). Built and run by scripts/bench-handles.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include <stdlib.h>
#include <time.h>

#include "kwtest.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The resident set in KiB, from /proc/self/status. */
static long rss_kib(void) {
    char line[256];
    long kib = -1;
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return -1;
    while (fgets(line, sizeof line, status))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    fclose(status);
    return kib;
}

int main(int argc, char **argv) {
    const DWORD suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    long count = argc > 1 ? atol(argv[1]) : 1000000, made = 0, i;
    NCRYPT_PROV_HANDLE provider;
    NCRYPT_KEY_HANDLE own, other, peer, master, *handles;
    BYTE client_random[32], server_random[32], blob[256];
    DWORD length = 0;
    kw_params params;
    long before, after;
    double start, made_in, freed_in;

    if (count < 2) count = 2;
    handles = calloc((size_t)count, sizeof *handles);
    if (!handles) return 1;
    memset(client_random, 1, sizeof client_random);
    memset(server_random, 2, sizeof server_random);
    OK(SslOpenProvider(&provider, NULL, 0));
    OK(SslCreateEphemeralKey(provider, &own, TLS1_2_PROTOCOL_VERSION, suite,
                             TLS_ECC_P256_CURVE_KEY_TYPE, 256, NULL, 0, 0));
    OK(SslCreateEphemeralKey(provider, &other, TLS1_2_PROTOCOL_VERSION, suite,
                             TLS_ECC_P256_CURVE_KEY_TYPE, 256, NULL, 0, 0));
    OK(SslExportKey(provider, other, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob, &length, 0));
    OK(SslImportKey(provider, &peer, BCRYPT_ECCPUBLIC_BLOB, blob, length, 0));
    kw_randoms(&params, client_random, server_random, NULL);
    OK(SslGenerateMasterKey(provider, own, peer, &master, TLS1_2_PROTOCOL_VERSION, suite,
                            &params.desc, NULL, 0, NULL, NCRYPT_SSL_SERVER_FLAG));
    if (kw_failures) return 1;

    /* A first pair, freed, so that one-time setup is not counted per handle. */
    OK(SslGenerateSessionKeys(provider, master, &handles[0], &handles[1], &params.desc, 0));
    OK(SslFreeObject(handles[0], 0));
    OK(SslFreeObject(handles[1], 0));

    before = rss_kib();
    start = now();
    while (made + 2 <= count) {
        if (SslGenerateSessionKeys(provider, master, &handles[made], &handles[made + 1],
                                   &params.desc, 0) != 0) {
            fprintf(stderr, "SslGenerateSessionKeys failed after %ld handles\n", made);
            return 1;
        }
        made += 2;
    }
    made_in = now() - start;
    after = rss_kib();

    start = now();
    for (i = 0; i < made; i++) {
        if (SslFreeObject(handles[i], 0) != 0) {
            fprintf(stderr, "SslFreeObject failed at handle %ld\n", i);
            return 1;
        }
    }
    freed_in = now() - start;

    printf("%ld live session-key handles: RSS %ld -> %ld KiB, %.0f bytes per handle\n", made,
           before, after, (double)(after - before) * 1024.0 / (double)made);
    printf("made %.0f handles/s (SslGenerateSessionKeys, two per call), freed %.0f handles/s\n",
           (double)made / made_in, (double)made / freed_in);
    OK(SslFreeObject(master, 0));
    OK(SslFreeObject(peer, 0));
    OK(SslFreeObject(other, 0));
    OK(SslFreeObject(own, 0));
    OK(SslFreeObject(provider, 0));
    free(handles);
    return kw_failures ? 1 : 0;
}

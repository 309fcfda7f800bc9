/*
 * threads.c: several threads share one provider and one handshake hash, create and free
 * keys, hashes and providers concurrently, and race frees against uses of the same handle:
 * every call returns success or NTE_INVALID_HANDLE, never anything else, and nothing
 * crashes or leaks.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#include <pthread.h>

#include "kwtest.h"

#define THREADS 8
#define ROUNDS 200

static NCRYPT_PROV_HANDLE shared_provider;
static NCRYPT_HASH_HANDLE shared_hash;
static NCRYPT_KEY_HANDLE contested;
static pthread_mutex_t report = PTHREAD_MUTEX_INITIALIZER;
static int thread_failures = 0;

static void fail(const char *what, SECURITY_STATUS status) {
    pthread_mutex_lock(&report);
    fprintf(stderr, "thread check failed: %s returned 0x%08X\n", what, (unsigned)status);
    thread_failures++;
    pthread_mutex_unlock(&report);
}

static void *worker(void *arg) {
    int id = (int)(size_t)arg, round;
    SECURITY_STATUS status;
    for (round = 0; round < ROUNDS; round++) {
        NCRYPT_PROV_HANDLE own;
        NCRYPT_KEY_HANDLE key, victim;
        NCRYPT_HASH_HANDLE hash;
        BYTE blob[128], digest[64];
        DWORD length;

        if ((status = SslOpenProvider(&own, NULL, 0)) != 0) fail("SslOpenProvider", status);
        if ((status = SslCreateEphemeralKey(shared_provider, &key, TLS1_2_PROTOCOL_VERSION,
                                            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 23, 256, NULL,
                                            0, 0)) != 0)
            fail("SslCreateEphemeralKey", status);
        if ((status = SslExportKey(shared_provider, key, BCRYPT_ECCPUBLIC_BLOB, blob, sizeof blob,
                                   &length, 0)) != 0)
            fail("SslExportKey", status);
        if ((status = SslHashHandshake(shared_provider, shared_hash, blob, length, 0)) != 0)
            fail("SslHashHandshake", status);
        if ((status = SslCreateHandshakeHash(own, &hash, TLS1_3_PROTOCOL_VERSION,
                                             TLS_AES_128_GCM_SHA256, 0)) != 0)
            fail("SslCreateHandshakeHash", status);
        if ((status = SslComputeSessionHash(own, hash, TLS1_3_PROTOCOL_VERSION, digest,
                                            sizeof digest, &length, 0)) != 0)
            fail("SslComputeSessionHash", status);

        /* Race: use the key another thread published while that thread may be freeing it,
         * then publish this key and free the one it replaces (exactly once). */
        victim = __atomic_load_n(&contested, __ATOMIC_SEQ_CST);
        if (victim) {
            status = SslExportKey(shared_provider, victim, BCRYPT_ECCPUBLIC_BLOB, blob,
                                  sizeof blob, &length, 0);
            if (status != 0 && status != NTE_INVALID_HANDLE) fail("racing SslExportKey", status);
        }
        victim = __atomic_exchange_n(&contested, key, __ATOMIC_SEQ_CST);
        if (victim && (status = SslFreeObject(victim, 0)) != 0) fail("SslFreeObject(key)", status);
        /* Free the own provider while its hash is alive: the hash keeps working. */
        if ((status = SslFreeObject(own, 0)) != 0) fail("SslFreeObject(provider)", status);
        if ((status = SslHashHandshake(own, hash, blob, 1, 0)) != NTE_INVALID_HANDLE)
            fail("a freed provider handle", status);
        if ((status = SslFreeObject(hash, 0)) != 0) fail("SslFreeObject(hash)", status);
        (void)id;
    }
    return NULL;
}

int main(void) {
    pthread_t threads[THREADS];
    size_t i;
    BYTE digest[64];
    DWORD length;

    OK(SslOpenProvider(&shared_provider, NULL, 0));
    OK(SslCreateHandshakeHash(shared_provider, &shared_hash, TLS1_2_PROTOCOL_VERSION,
                              TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0));
    for (i = 0; i < THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, worker, (void *)i) == 0);
    for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(thread_failures == 0);

    /* The last published key is still alive. */
    OK(SslFreeObject(contested, 0));
    OK(SslComputeSessionHash(shared_provider, shared_hash, TLS1_2_PROTOCOL_VERSION, digest,
                             sizeof digest, &length, 0));
    CHECK(length == 32);
    OK(SslFreeObject(shared_hash, 0));
    OK(SslFreeObject(shared_provider, 0));
    return kw_finish("threads");
}

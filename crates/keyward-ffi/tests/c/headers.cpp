// headers.cpp: the headers compile as C++, and their types work there.
// Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
#include "sslprovider.h"
#include "keyward_wintypes.h"

static_assert(sizeof(NCRYPT_SSL_CIPHER_SUITE) == 676, "NCRYPT_SSL_CIPHER_SUITE");
static_assert(sizeof(NCRYPT_SSL_CIPHER_SUITE_EX) == 808, "NCRYPT_SSL_CIPHER_SUITE_EX");
static_assert(sizeof(NCRYPT_SSL_CIPHER_LENGTHS) == 20, "NCRYPT_SSL_CIPHER_LENGTHS");
static_assert(sizeof(NCRYPT_SSL_ECC_CURVE) == 780, "NCRYPT_SSL_ECC_CURVE");

SECURITY_STATUS open_default_provider(NCRYPT_PROV_HANDLE *provider) {
    SslOpenProviderFn open = SslOpenProvider;
    return open(provider, MS_SCHANNEL_PROVIDER, 0);
}

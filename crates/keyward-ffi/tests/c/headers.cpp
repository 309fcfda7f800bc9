// headers.cpp: the headers compile as C++, and their types work there.
// Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
#include "sslprovider.h"
#include "keyward_wintypes.h"
#include "d3d11cryptosession.h"
#include "opm.h"
#include "cardmod.h"

static_assert(sizeof(NCRYPT_SSL_CIPHER_SUITE) == 676, "NCRYPT_SSL_CIPHER_SUITE");
static_assert(sizeof(NCRYPT_SSL_CIPHER_SUITE_EX) == 808, "NCRYPT_SSL_CIPHER_SUITE_EX");
static_assert(sizeof(NCRYPT_SSL_CIPHER_LENGTHS) == 20, "NCRYPT_SSL_CIPHER_LENGTHS");
static_assert(sizeof(NCRYPT_SSL_ECC_CURVE) == 780, "NCRYPT_SSL_ECC_CURVE");

SECURITY_STATUS open_default_provider(NCRYPT_PROV_HANDLE *provider) {
    SslOpenProviderFn open = SslOpenProvider;
    return open(provider, MS_SCHANNEL_PROVIDER, 0);
}

static_assert(sizeof(D3D11_1DDIARG_CREATECRYPTOSESSION) == 48, "D3D11_1DDIARG_CREATECRYPTOSESSION");
static_assert(sizeof(D3D11_1DDI_CERTIFICATE_INFO) == 20, "D3D11_1DDI_CERTIFICATE_INFO");
static_assert(sizeof(OPM_GET_INFO_PARAMETERS) == 4112, "OPM_GET_INFO_PARAMETERS");
static_assert(sizeof(OPM_REQUESTED_INFORMATION) == 4096, "OPM_REQUESTED_INFORMATION");

// The DDI functions have the shapes of the d3d10umddi.h function-pointer types.
typedef HRESULT(APIENTRY *PFND3D11_1DDI_NEGOTIATECRYPTOSESSIONKEYESCHANGE)(
    D3D10DDI_HDEVICE, D3D11_1DDI_HCRYPTOSESSION, UINT, BYTE *);
typedef VOID(APIENTRY *PFND3D11_1DDI_DECRYPTIONBLT)(
    D3D10DDI_HDEVICE, D3D11_1DDI_HCRYPTOSESSION, D3D10DDI_HRESOURCE, D3D10DDI_HRESOURCE,
    const D3D11_1DDI_ENCRYPTED_BLOCK_INFO *, UINT, const VOID *, UINT, const VOID *);
typedef SIZE_T(APIENTRY *PFND3D11_1DDI_CALCPRIVATECRYPTOSESSIONSIZE)(
    D3D10DDI_HDEVICE, const D3D11_1DDIARG_CREATECRYPTOSESSION *);

HRESULT negotiate(D3D10DDI_HDEVICE device, D3D11_1DDI_HCRYPTOSESSION session, BYTE *blob) {
    PFND3D11_1DDI_NEGOTIATECRYPTOSESSIONKEYESCHANGE negotiate_fn = NegotiateCryptoSessionKeyExchange;
    PFND3D11_1DDI_DECRYPTIONBLT decryption_blt = DecryptionBlt;
    PFND3D11_1DDI_CALCPRIVATECRYPTOSESSIONSIZE calc_size = CalcPrivateCryptoSessionSize;
    (void)decryption_blt;
    (void)calc_size;
    return negotiate_fn(device, session, KEYWARD_D3D11_KEY_EXCHANGE_DATA_SIZE, blob);
}

HRESULT connector_type(IOPMVideoOutput *output, OPM_REQUESTED_INFORMATION *answer) {
    OPM_GET_INFO_PARAMETERS request = {};
    request.guidInformation = OPM_GET_CONNECTOR_TYPE;
    return OPMVideoOutputGetInformation(output, &request, answer);
}

// The minidriver entry point has the shape cardmod.h's loader expects.
DWORD acquire_card_context(PCARD_DATA card, DWORD flags) {
    PFN_CARD_ACQUIRE_CONTEXT acquire = CardAcquireContext;
    return acquire(card, flags);
}

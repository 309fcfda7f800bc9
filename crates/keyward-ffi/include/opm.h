/*
 * opm.h: the Output Protection Manager of libkeyward (opmapi.h): the structures with their
 * Windows names and layouts, and the methods of IOPMVideoOutput as plain C functions
 * OPMVideoOutput<Method>(IOPMVideoOutput *pVideoOutput, <the method's parameters>), with the
 * method's parameter types, order and HRESULTs. keyward's own additions are prefixed Keyward.
 *
 * The output is a software HDMI connector offering HDCP, made by KeywardOPMGetVideoOutput (the
 * stand-in for OPMGetVideoOutputsFromHMONITOR) on a device of d3d11cryptosession.h, whose
 * RSA-2048 key and certificate chain it shares with the crypto session. The handshake and the
 * signed requests run as in Windows:
 *
 *   OPMVideoOutputStartInitialization(out, &rn, &cert, &len);      random number + chain
 *   plaintext = rn || signing key || status seq || command seq     40 bytes, little-endian
 *   KeywardOPMEncryptInitializationParameters(cert, len, plaintext, 40, &enc);
 *   OPMVideoOutputFinishInitialization(out, &enc);  KeywardOPMFreeMemory(cert);
 *   OPM_GET_INFO_PARAMETERS p = {...}; KeywardOPMComputeOMAC(key, (BYTE *)&p + 16,
 *                                                         sizeof p - 16, &p.omac);
 *   OPMVideoOutputGetInformation(out, &p, &answer);   check answer's OMAC the same way
 *
 * Every request and answer is signed with AES-CMAC (OMAC-1) over all its bytes after the omac
 * field. Each GetInformation carries the next status sequence number and each Configure the
 * next command sequence number, starting from the values of the initialization parameters;
 * only successful calls advance them.
 *
 * HRESULTs (d3d11cryptosession.h): S_OK; E_INVALIDARG (bad pointer or parameters, a blob that
 * does not decrypt, a random number other than StartInitialization's); E_ACCESSDENIED (bad
 * OMAC, replayed or skipped sequence number); DXGI_ERROR_INVALID_CALL (out of order: not
 * started, not initialized, initialized twice); HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED) (a
 * request, command or semantics not implemented); E_HANDLE (an output that was released or
 * whose device was closed); E_FAIL (backend failure).
 *
 * tests/header_d3d11.rs checks every declaration here against the Rust side of libkeyward.
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KEYWARD_OPM_H
#define KEYWARD_OPM_H

#include "d3d11cryptosession.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants ---------------------------------------------------------------------------- */

#define OPM_OMAC_SIZE 16
#define OPM_128_BIT_RANDOM_NUMBER_SIZE 16
#define OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE 256
#define OPM_CONFIGURE_SETTING_DATA_SIZE 4056
#define OPM_GET_INFORMATION_PARAMETERS_SIZE 4056
#define OPM_REQUESTED_INFORMATION_SIZE 4076
#define OPM_PROTECTION_TYPE_SIZE 4

#define OPM_STATUS_NORMAL 0
#define OPM_CONNECTOR_TYPE_HDMI 5
#define OPM_PROTECTION_TYPE_NONE 0
#define OPM_PROTECTION_TYPE_ACP 0x2
#define OPM_PROTECTION_TYPE_HDCP 0x8
#define OPM_PROTECTION_TYPE_DPCP 0x10
#define OPM_HDCP_OFF 0
#define OPM_HDCP_ON 1

/* keyward: the plaintext of OPM_ENCRYPTED_INITIALIZATION_PARAMETERS: random number (16),
 * signing key (16), first status sequence number (4), first command sequence number (4). */
#define KEYWARD_OPM_INITIALIZATION_PARAMETERS_SIZE 40

#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50
#endif
#ifndef HRESULT_FROM_WIN32
#define HRESULT_FROM_WIN32(x)                                                                   \
    ((HRESULT)(x) <= 0 ? ((HRESULT)(x))                                                         \
                       : ((HRESULT)(((unsigned long)(x) & 0x0000FFFFul) | (7ul << 16) |         \
                                    0x80000000ul)))
#endif

typedef enum _OPM_VIDEO_OUTPUT_SEMANTICS {
    OPM_VOS_COPP_SEMANTICS = 0,
    OPM_VOS_OPM_SEMANTICS = 1,
    OPM_VOS_OPM_INDIRECT_DISPLAY = 2
} OPM_VIDEO_OUTPUT_SEMANTICS;

/* {81D0BFD5-6AFE-48C2-99C0-95A08F97C5DA} */
static const GUID OPM_GET_CONNECTOR_TYPE = {0x81d0bfd5, 0x6afe, 0x48c2, {0x99, 0xc0, 0x95, 0xa0, 0x8f, 0x97, 0xc5, 0xda}};
/* {38F2A801-9A6C-48BB-9107-B6696E6F1797} */
static const GUID OPM_GET_SUPPORTED_PROTECTION_TYPES = {0x38f2a801, 0x9a6c, 0x48bb, {0x91, 0x07, 0xb6, 0x69, 0x6e, 0x6f, 0x17, 0x97}};
/* {B2075857-3EDA-4D5D-88DB-748F8C1A0549} */
static const GUID OPM_GET_VIRTUAL_PROTECTION_LEVEL = {0xb2075857, 0x3eda, 0x4d5d, {0x88, 0xdb, 0x74, 0x8f, 0x8c, 0x1a, 0x05, 0x49}};
/* {1957210A-7766-452A-B99A-D27AED54F03A} */
static const GUID OPM_GET_ACTUAL_PROTECTION_LEVEL = {0x1957210a, 0x7766, 0x452a, {0xb9, 0x9a, 0xd2, 0x7a, 0xed, 0x54, 0xf0, 0x3a}};
/* {D7BF1BA3-AD13-4F8E-AF98-0DCB3CA204CC}: not implemented by the output. */
static const GUID OPM_GET_ACTUAL_OUTPUT_FORMAT = {0xd7bf1ba3, 0xad13, 0x4f8e, {0xaf, 0x98, 0x0d, 0xcb, 0x3c, 0xa2, 0x04, 0xcc}};
/* {9BB9327C-4EB5-4727-9F00-B42B0919C0DA} */
static const GUID OPM_SET_PROTECTION_LEVEL = {0x9bb9327c, 0x4eb5, 0x4727, {0x9f, 0x00, 0xb4, 0x2b, 0x09, 0x19, 0xc0, 0xda}};

/* ---- Structures (opmapi.h) ----------------------------------------------------------------- */

/* An OPM protected output. Opaque: libkeyward's pointers are handles, never dereferenced. */
typedef struct IOPMVideoOutput IOPMVideoOutput;

typedef struct _OPM_RANDOM_NUMBER {
    BYTE abRandomNumber[OPM_128_BIT_RANDOM_NUMBER_SIZE];
} OPM_RANDOM_NUMBER;

typedef struct _OPM_OMAC {
    BYTE abOMAC[OPM_OMAC_SIZE];
} OPM_OMAC;

typedef struct _OPM_ENCRYPTED_INITIALIZATION_PARAMETERS {
    BYTE abEncryptedInitializationParameters[OPM_ENCRYPTED_INITIALIZATION_PARAMETERS_SIZE];
} OPM_ENCRYPTED_INITIALIZATION_PARAMETERS;

typedef struct _OPM_GET_INFO_PARAMETERS {
    OPM_OMAC omac;
    OPM_RANDOM_NUMBER rnRandomNumber;
    GUID guidInformation;
    ULONG ulSequenceNumber;
    ULONG cbParametersSize;
    BYTE abParameters[OPM_GET_INFORMATION_PARAMETERS_SIZE];
} OPM_GET_INFO_PARAMETERS;

typedef struct _OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS {
    OPM_RANDOM_NUMBER rnRandomNumber;
    GUID guidInformation;
    ULONG ulSequenceNumber;
    ULONG cbParametersSize;
    BYTE abParameters[OPM_GET_INFORMATION_PARAMETERS_SIZE];
} OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS;

typedef struct _OPM_CONFIGURE_PARAMETERS {
    OPM_OMAC omac;
    GUID guidSetting;
    ULONG ulSequenceNumber;
    ULONG cbParametersSize;
    BYTE abParameters[OPM_CONFIGURE_SETTING_DATA_SIZE];
} OPM_CONFIGURE_PARAMETERS;

typedef struct _OPM_REQUESTED_INFORMATION {
    OPM_OMAC omac;
    ULONG cbRequestedInformationSize;
    BYTE abRequestedInformation[OPM_REQUESTED_INFORMATION_SIZE];
} OPM_REQUESTED_INFORMATION;

typedef struct _OPM_STANDARD_INFORMATION {
    OPM_RANDOM_NUMBER rnRandomNumber;
    ULONG ulStatusFlags;
    ULONG ulInformation;
    ULONG ulReserved;
    ULONG ulReserved2;
} OPM_STANDARD_INFORMATION;

typedef struct _OPM_SET_PROTECTION_LEVEL_PARAMETERS {
    ULONG ulProtectionType;
    ULONG ulProtectionLevel;
    ULONG Reserved;
    ULONG Reserved2;
} OPM_SET_PROTECTION_LEVEL_PARAMETERS;

KEYWARD_STATIC_ASSERT(opm_random_number_size, sizeof(OPM_RANDOM_NUMBER) == 16);
KEYWARD_STATIC_ASSERT(opm_omac_size, sizeof(OPM_OMAC) == 16);
KEYWARD_STATIC_ASSERT(opm_encrypted_parameters_size,
                      sizeof(OPM_ENCRYPTED_INITIALIZATION_PARAMETERS) == 256);
KEYWARD_STATIC_ASSERT(opm_get_info_parameters_size, sizeof(OPM_GET_INFO_PARAMETERS) == 4112);
KEYWARD_STATIC_ASSERT(opm_copp_get_info_parameters_size,
                      sizeof(OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS) == 4096);
KEYWARD_STATIC_ASSERT(opm_configure_parameters_size, sizeof(OPM_CONFIGURE_PARAMETERS) == 4096);
KEYWARD_STATIC_ASSERT(opm_requested_information_size, sizeof(OPM_REQUESTED_INFORMATION) == 4096);
KEYWARD_STATIC_ASSERT(opm_standard_information_size, sizeof(OPM_STANDARD_INFORMATION) == 32);
KEYWARD_STATIC_ASSERT(opm_set_protection_level_size,
                      sizeof(OPM_SET_PROTECTION_LEVEL_PARAMETERS) == 16);

/* ---- IOPMVideoOutput ---------------------------------------------------------------------- */

/*
 * StartInitialization: a fresh random number and the certificate chain (DER certificates
 * concatenated, leaf first), in memory the caller frees with KeywardOPMFreeMemory (CoTaskMemFree
 * on Windows). Again before FinishInitialization: a new random number.
 */
HRESULT WINAPI OPMVideoOutputStartInitialization(
    IOPMVideoOutput *pVideoOutput,
    OPM_RANDOM_NUMBER *prnRandomNumber,
    BYTE **ppbCertificate,
    ULONG *pulCertificateLength);

/*
 * FinishInitialization: the RSAES-OAEP (SHA-512, MGF1-SHA-512, empty label) encryption of the
 * 40-byte initialization parameters. A failure leaves the output waiting for a valid call.
 */
HRESULT WINAPI OPMVideoOutputFinishInitialization(
    IOPMVideoOutput *pVideoOutput,
    const OPM_ENCRYPTED_INITIALIZATION_PARAMETERS *pParameters);

/*
 * GetInformation: OPM_GET_CONNECTOR_TYPE, OPM_GET_SUPPORTED_PROTECTION_TYPES, and
 * OPM_GET_VIRTUAL_PROTECTION_LEVEL / OPM_GET_ACTUAL_PROTECTION_LEVEL (one ULONG parameter,
 * OPM_PROTECTION_TYPE_HDCP). The answer is a signed OPM_REQUESTED_INFORMATION holding an
 * OPM_STANDARD_INFORMATION that echoes the request's random number. Checks, in order:
 * initialized, OMAC, sequence number, request, parameters.
 */
HRESULT WINAPI OPMVideoOutputGetInformation(
    IOPMVideoOutput *pVideoOutput,
    const OPM_GET_INFO_PARAMETERS *pParameters,
    OPM_REQUESTED_INFORMATION *pRequestedInformation);

/* COPPCompatibleGetInformation: not implemented (HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)). */
HRESULT WINAPI OPMVideoOutputCOPPCompatibleGetInformation(
    IOPMVideoOutput *pVideoOutput,
    const OPM_COPP_COMPATIBLE_GET_INFO_PARAMETERS *pParameters,
    OPM_REQUESTED_INFORMATION *pRequestedInformation);

/*
 * Configure: OPM_SET_PROTECTION_LEVEL with an OPM_SET_PROTECTION_LEVEL_PARAMETERS for
 * OPM_PROTECTION_TYPE_HDCP (OPM_HDCP_OFF or OPM_HDCP_ON), no additional parameters. Checks in
 * the order of GetInformation.
 */
HRESULT WINAPI OPMVideoOutputConfigure(
    IOPMVideoOutput *pVideoOutput,
    const OPM_CONFIGURE_PARAMETERS *pParameters,
    ULONG ulAdditionalParametersSize,
    const BYTE *pbAdditionalParameters);

/* ---- keyward extensions ------------------------------------------------------------------- */

/*
 * KeywardOPMGetVideoOutput: an output of hDevice (OPM_VOS_OPM_SEMANTICS only; others
 * HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)). KeywardOPMReleaseVideoOutput frees it (the last
 * IUnknown::Release); so does closing the device. Later use: E_HANDLE.
 */
HRESULT WINAPI KeywardOPMGetVideoOutput(
    D3D10DDI_HDEVICE hDevice,
    OPM_VIDEO_OUTPUT_SEMANTICS vos,
    IOPMVideoOutput **ppOPMVideoOutput);

HRESULT WINAPI KeywardOPMReleaseVideoOutput(
    IOPMVideoOutput *pVideoOutput);

/*
 * KeywardOPMFreeMemory: frees memory an OPMVideoOutput function handed out. NULL: S_OK; a
 * pointer the library did not hand out, or already took back: E_INVALIDARG.
 */
HRESULT WINAPI KeywardOPMFreeMemory(
    PVOID pv);

/*
 * Application side. KeywardOPMEncryptInitializationParameters: what an application does with
 * BCryptEncrypt (BCRYPT_PAD_OAEP, SHA-512): verifies the chain from StartInitialization and
 * encrypts cbParameters bytes (1 to 126; normally the 40 of the initialization parameters)
 * under its leaf key; a chain that does not verify is E_INVALIDARG. KeywardOPMComputeOMAC: the
 * AES-CMAC of cbData bytes under the 16-byte signing key.
 */
HRESULT WINAPI KeywardOPMEncryptInitializationParameters(
    const BYTE *pbCertificate,
    ULONG cbCertificate,
    const BYTE *pbParameters,
    ULONG cbParameters,
    OPM_ENCRYPTED_INITIALIZATION_PARAMETERS *pEncryptedParameters);

HRESULT WINAPI KeywardOPMComputeOMAC(
    const BYTE pbKey[16],
    const BYTE *pbData,
    ULONG cbData,
    OPM_OMAC *pOmac);

#ifdef __cplusplus
}
#endif

#endif /* KEYWARD_OPM_H */

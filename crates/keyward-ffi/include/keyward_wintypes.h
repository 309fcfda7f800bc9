/*
 * keyward_wintypes.h: the few Windows base types that sslprovider.h needs, for building
 * against libkeyward on systems without the Windows SDK. The names, sizes and layouts are
 * those of windows.h, ncrypt.h and wincrypt.h (LP64: ULONG is 32 bits, ULONG_PTR is
 * pointer-sized).
 *
 * Part of keyward. SPDX-License-Identifier: Apache-2.0 OR MIT
 */
#ifndef KEYWARD_WINTYPES_H
#define KEYWARD_WINTYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(_WIN64)
#define WINAPI __stdcall
#else
#define WINAPI
#endif

/* Compile-time check usable in C99 and C++ at file scope. */
#define KEYWARD_STATIC_ASSERT(name, condition) \
    typedef char keyward_static_assert_##name[(condition) ? 1 : -1]

typedef int32_t LONG;
typedef LONG SECURITY_STATUS;
typedef LONG NTSTATUS;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef uint8_t BYTE;
typedef BYTE *PBYTE;
typedef char CHAR;
typedef CHAR *PCHAR;
typedef uint16_t WCHAR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef void *PVOID;
typedef void *HANDLE;
typedef uintptr_t ULONG_PTR;
typedef uint64_t ULONGLONG;

typedef ULONG_PTR NCRYPT_HANDLE;
typedef ULONG_PTR NCRYPT_PROV_HANDLE;
typedef ULONG_PTR NCRYPT_KEY_HANDLE;
typedef ULONG_PTR NCRYPT_HASH_HANDLE;

typedef struct _NCryptBuffer {
    ULONG cbBuffer;
    ULONG BufferType;
    PVOID pvBuffer;
} NCryptBuffer, *PNCryptBuffer;

typedef struct _NCryptBufferDesc {
    ULONG ulVersion;
    ULONG cBuffers;
    PNCryptBuffer pBuffers;
} NCryptBufferDesc, *PNCryptBufferDesc;

typedef struct _CERT_CONTEXT {
    DWORD dwCertEncodingType;
    BYTE *pbCertEncoded;
    DWORD cbCertEncoded;
    PVOID pCertInfo;
    PVOID hCertStore;
} CERT_CONTEXT, *PCERT_CONTEXT;
typedef const CERT_CONTEXT *PCCERT_CONTEXT;

typedef struct NCryptProviderName {
    LPWSTR pszName;
    LPWSTR pszComment;
} NCryptProviderName;

typedef struct _BCRYPT_INTERFACE_VERSION {
    USHORT MajorVersion;
    USHORT MinorVersion;
} BCRYPT_INTERFACE_VERSION;

KEYWARD_STATIC_ASSERT(ncrypt_buffer_size, sizeof(NCryptBuffer) == 8 + sizeof(void *));
KEYWARD_STATIC_ASSERT(ncrypt_buffer_desc_size, sizeof(NCryptBufferDesc) == 8 + sizeof(void *));
KEYWARD_STATIC_ASSERT(wchar_size, sizeof(WCHAR) == 2);

#ifdef __cplusplus
}
#endif

#endif /* KEYWARD_WINTYPES_H */

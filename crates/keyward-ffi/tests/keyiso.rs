//! libkeyward through the keyiso daemon, with no code change: the same C-ABI calls as a
//! program written for `Sslprovider.h` (the crate example's ECDHE key exchange), run with
//! `KEYWARD_KEYISO=SOCKET` in the environment, keep their ephemeral and master keys in the
//! daemon (its live-handle count says so) and still agree on Finished and records. With the
//! daemon gone, `SslOpenProvider` is `NTE_PROV_DLL_NOT_FOUND`; the isolated provider's name
//! is listed by `SslEnumProtocolProviders`.
//!
//! One test function: the environment variable is the process's.

use keyward::hash::SslCreateHandshakeHash;
use keyward::keys::{SslCreateEphemeralKey, SslExportKey, SslImportKey};
use keyward::master::{SslComputeFinishedHash, SslGenerateMasterKey, SslGenerateSessionKeys};
use keyward::provider::{SslEnumProtocolProviders, SslFreeBuffer, SslFreeObject, SslOpenProvider};
use keyward::record::{SslDecryptPacket, SslEncryptPacket};
use keyward::types::*;
use keyward_core::store::KeyStore;
use keyward_keyiso::{Config, Daemon};
use keyward_test_support::TempDir;

fn ok(status: SECURITY_STATUS) {
    assert_eq!(status, ERROR_SUCCESS as SECURITY_STATUS);
}

fn wide(text: &str) -> Vec<WCHAR> {
    text.encode_utf16().chain([0]).collect()
}

/// The crate example's ECDHE exchange, plus Finished; returns the daemon's live handles
/// seen while both sides' keys were open.
fn ecdhe_through_the_c_abi(provider_name: Option<&str>, live: impl Fn() -> usize) -> usize {
    let (protocol, suite) = (
        TLS1_2_PROTOCOL_VERSION,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    );
    let blob_type = wide(BCRYPT_ECCPUBLIC_BLOB);
    let name = provider_name.map(wide);
    let name_ptr = name.as_ref().map_or(std::ptr::null(), |name| name.as_ptr());
    let (mut client_random, mut server_random) = ([1u8; 32], [2u8; 32]);
    let mut buffers = [
        NCryptBuffer {
            cbBuffer: 32,
            BufferType: NCRYPTBUFFER_SSL_CLIENT_RANDOM,
            pvBuffer: client_random.as_mut_ptr().cast(),
        },
        NCryptBuffer {
            cbBuffer: 32,
            BufferType: NCRYPTBUFFER_SSL_SERVER_RANDOM,
            pvBuffer: server_random.as_mut_ptr().cast(),
        },
    ];
    let mut randoms = NCryptBufferDesc {
        ulVersion: NCRYPTBUFFER_VERSION,
        cBuffers: 2,
        pBuffers: buffers.as_mut_ptr(),
    };
    let mut provider = [0; 2];
    let (mut share, mut peer, mut master, mut read, mut write, mut hash) =
        ([0; 2], [0; 2], [0; 2], [0; 2], [0; 2], [0; 2]);
    let flags = [NCRYPT_SSL_CLIENT_FLAG, NCRYPT_SSL_SERVER_FLAG];
    let live_during;
    // SAFETY: for every call below, each pointer is valid for the length passed with it.
    unsafe {
        for side in 0..2 {
            ok(SslOpenProvider(&mut provider[side], name_ptr, 0));
            ok(SslCreateEphemeralKey(
                provider[side],
                &mut share[side],
                protocol,
                suite,
                TLS_ECC_P256_CURVE_KEY_TYPE,
                256,
                std::ptr::null_mut(),
                0,
                0,
            ));
            ok(SslCreateHandshakeHash(
                provider[side],
                &mut hash[side],
                protocol,
                suite,
                0,
            ));
        }
        for (from, to) in [(1, 0), (0, 1)] {
            let mut blob = [0u8; 256];
            let mut length = 0;
            ok(SslExportKey(
                provider[from],
                share[from],
                blob_type.as_ptr(),
                blob.as_mut_ptr(),
                blob.len() as DWORD,
                &mut length,
                0,
            ));
            ok(SslImportKey(
                provider[to],
                &mut peer[to],
                blob_type.as_ptr(),
                blob.as_mut_ptr(),
                length,
                0,
            ));
        }
        for side in 0..2 {
            ok(SslGenerateMasterKey(
                provider[side],
                share[side],
                peer[side],
                &mut master[side],
                protocol,
                suite,
                &mut randoms,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                flags[side],
            ));
            ok(SslGenerateSessionKeys(
                provider[side],
                master[side],
                &mut read[side],
                &mut write[side],
                &mut randoms,
                0,
            ));
        }
        // Two ephemeral keys, the next two made ahead (one per provider) and two master keys
        // are the daemon's.
        live_during = live();

        let mut finished = [[0u8; 12]; 2];
        for side in 0..2 {
            ok(SslComputeFinishedHash(
                provider[side],
                master[side],
                hash[side],
                finished[side].as_mut_ptr(),
                12,
                NCRYPT_SSL_CLIENT_FLAG,
            ));
        }
        assert_eq!(finished[0], finished[1]);

        let mut message = *b"GET / HTTP/1.1\r\n\r\n";
        let (mut record, mut plaintext) = ([0u8; 128], [0u8; 128]);
        let (mut record_len, mut plaintext_len) = (0, 0);
        ok(SslEncryptPacket(
            provider[0],
            write[0],
            message.as_mut_ptr(),
            message.len() as DWORD,
            record.as_mut_ptr(),
            record.len() as DWORD,
            &mut record_len,
            0,
            CT_APPLICATIONDATA,
            0,
        ));
        ok(SslDecryptPacket(
            provider[1],
            read[1],
            record.as_mut_ptr(),
            record_len,
            plaintext.as_mut_ptr(),
            plaintext.len() as DWORD,
            &mut plaintext_len,
            0,
            0,
        ));
        assert_eq!(&plaintext[..plaintext_len as usize], message);

        for side in 0..2 {
            for handle in [
                read[side],
                write[side],
                master[side],
                peer[side],
                share[side],
                hash[side],
            ] {
                ok(SslFreeObject(handle, 0));
            }
            ok(SslFreeObject(provider[side], 0));
        }
    }
    live_during
}

#[test]
fn libkeyward_runs_its_handshake_through_the_daemon_when_told_to() {
    let store = TempDir::new("ffi-keyiso-store");
    KeyStore::open(&store).unwrap();
    let run = TempDir::new("ffi-keyiso-run");
    let socket = run.join("keyiso.sock");
    let daemon = Daemon::bind(Config::new(&socket, Some(store.to_path_buf())))
        .unwrap()
        .spawn()
        .unwrap();

    // In process: the daemon sees nothing.
    std::env::remove_var("KEYWARD_KEYISO");
    assert_eq!(ecdhe_through_the_c_abi(None, || daemon.live_handles()), 0);

    // The same program with KEYWARD_KEYISO set, by NULL and by the Microsoft name.
    std::env::set_var("KEYWARD_KEYISO", &socket);
    for name in [None, Some("Microsoft SSL Protocol Provider")] {
        assert_eq!(ecdhe_through_the_c_abi(name, || daemon.live_handles()), 6);
    }
    // Everything freed with its object.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while daemon.live_handles() != 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(daemon.live_handles(), 0);

    // No daemon at the socket: NTE_PROV_DLL_NOT_FOUND, by any name.
    daemon.stop();
    let mut provider = 0;
    for name in [None, Some(wide("Keyward Isolated SSL Provider"))] {
        let name_ptr = name.as_ref().map_or(std::ptr::null(), |name| name.as_ptr());
        // SAFETY: valid pointers.
        let status = unsafe { SslOpenProvider(&mut provider, name_ptr, 0) };
        assert_eq!(status, NTE_PROV_DLL_NOT_FOUND as SECURITY_STATUS);
    }
    std::env::remove_var("KEYWARD_KEYISO");

    // SslEnumProtocolProviders lists the isolated provider.
    let (mut count, mut list) = (0, std::ptr::null_mut());
    // SAFETY: valid pointers; the list is read within its count, then freed.
    let names: Vec<String> = unsafe {
        ok(SslEnumProtocolProviders(&mut count, &mut list, 0));
        let names = (0..count as usize)
            .map(|at| {
                let entry = *list.add(at);
                let mut len = 0;
                while *entry.pszName.add(len) != 0 {
                    len += 1;
                }
                String::from_utf16_lossy(std::slice::from_raw_parts(entry.pszName, len))
            })
            .collect();
        ok(SslFreeBuffer(list.cast()));
        names
    };
    assert!(names.contains(&"Keyward Isolated SSL Provider".to_owned()));
}

//! Shared fixtures of the keyward-cryptosession integration tests: the device credentials, a
//! session, and the `openssl` command. Temporary directories, hex and the test vectors come
//! from keyward-test-support.

#![allow(dead_code)]

use keyward_core::store::KeyStore;
use keyward_cryptosession::{
    CryptoSession, DeviceCredentials, Guid, VideoDevice, D3D11_CRYPTO_TYPE_AES128_CTR,
    D3D11_KEY_EXCHANGE_RSAES_OAEP,
};
use keyward_test_support::TempDir;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

/// The device credentials of this test binary, created once in a fresh key store.
pub fn credentials() -> Arc<DeviceCredentials> {
    static CREDENTIALS: OnceLock<Arc<DeviceCredentials>> = OnceLock::new();
    CREDENTIALS
        .get_or_init(|| {
            // The credentials are read into memory; the store may go afterwards.
            let dir = TempDir::new("cryptosession-store");
            let store = KeyStore::open(&dir).unwrap();
            Arc::new(DeviceCredentials::load_or_create(&store).unwrap())
        })
        .clone()
}

/// A device over the shared credentials.
pub fn device() -> VideoDevice {
    VideoDevice::with_credentials(credentials())
}

/// An AES128-CTR / RSAES-OAEP session of `device`.
pub fn session(device: &VideoDevice) -> CryptoSession {
    device
        .create_crypto_session(
            &D3D11_CRYPTO_TYPE_AES128_CTR,
            &Guid::NULL,
            &D3D11_KEY_EXCHANGE_RSAES_OAEP,
        )
        .unwrap()
}

/// Runs `openssl` with `args`, feeding `stdin`, and returns its stdout. A missing `openssl`
/// binary fails the test (these tests must never be skipped), as does a non-zero exit.
pub fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "the `openssl` command is required by this test and could not be run ({e}); \
                 install OpenSSL (e.g. `apt-get install openssl`) and rerun"
            )
        });
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

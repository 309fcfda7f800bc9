//! Shared fixtures of the keyward-cryptosession integration tests: throw-away key stores,
//! the repository's test vectors, and the `openssl` command.

#![allow(dead_code)]

use keyward_core::store::KeyStore;
use keyward_cryptosession::{
    CryptoSession, DeviceCredentials, Guid, VideoDevice, D3D11_CRYPTO_TYPE_AES128_CTR,
    D3D11_KEY_EXCHANGE_RSAES_OAEP,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A new, empty directory under the system temporary directory, unique to this call.
pub fn temp_dir(purpose: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keyward-cryptosession-{purpose}-{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The device credentials of this test binary, created once in a fresh key store.
pub fn credentials() -> Arc<DeviceCredentials> {
    static CREDENTIALS: OnceLock<Arc<DeviceCredentials>> = OnceLock::new();
    CREDENTIALS
        .get_or_init(|| {
            let store = KeyStore::open(temp_dir("store")).unwrap();
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

/// Path of a file under the repository's `testdata/`.
pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

/// The text of a file under `testdata/`.
pub fn read_testdata(path: &str) -> String {
    let full = testdata(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A `testdata/` JSON file.
pub fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&read_testdata(path)).unwrap()
}

/// Hex to bytes (case-insensitive; empty is empty).
pub fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.trim()).unwrap_or_else(|e| panic!("bad hex {text:?}: {e}"))
}

/// The records of a `KEY = value` text vector file (NIST .rsp style or BoringSSL's
/// `Key: value` style): blank lines separate records; `#` comments and `[section]` lines
/// are skipped; keys are returned lowercase.
pub fn records(text: &str) -> Vec<Vec<(String, String)>> {
    let mut all = Vec::new();
    let mut current = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        let split = line.find(['=', ':']).unwrap_or(line.len());
        let (key, value) = line.split_at(split);
        let value = value.get(1..).unwrap_or("").trim();
        current.push((key.trim().to_lowercase(), value.to_owned()));
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

/// The value of `key` in a record.
pub fn field<'a>(record: &'a [(String, String)], key: &str) -> &'a str {
    record
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("record without {key}: {record:?}"))
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

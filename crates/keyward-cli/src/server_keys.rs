//! The keys `keyward serve` presents: the stored keys named with `--cert`, or else two default
//! localhost keys (self-signed RSA-2048 and ECDSA P-256 certificates for `localhost`,
//! `127.0.0.1` and `::1`) that the first run creates in the key store.
//!
//! Next to the store's own files, the certificates are also written as PEM to
//! `<store>/certs/<name>.pem`, and the default ones together to `<store>/certs/localhost.pem`,
//! so that curl (`--cacert`) and OpenSSL (`-CAfile`) can trust the server. The private keys
//! stay in the store (`keys/<name>.p8`, mode 0600). The certificates that follow a key's own
//! in the chain it presents (`keyward key import`) are in `<store>/chains/<name>.pem`.

use std::fs;
use std::path::{Path, PathBuf};

use keyward_core::store::{KeyKind, KeyStore, StoredKey};

/// Name of the default RSA-2048 key.
pub const DEFAULT_RSA: &str = "keyward-localhost-rsa";
/// Name of the default ECDSA P-256 key.
pub const DEFAULT_ECDSA: &str = "keyward-localhost-ecdsa";
/// The names the default certificates are for (the first one is the common name).
pub const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// File (in the PEM directory) holding both default certificates.
pub const LOCALHOST_BUNDLE: &str = "localhost.pem";
/// Subdirectory of the store with the PEM copies of the certificates.
const PEM_DIR: &str = "certs";

/// The keys a server presents, with where their certificates are.
#[derive(Debug)]
pub struct ServerKeys {
    /// The keys, in the order the server offers them.
    pub keys: Vec<StoredKey>,
    /// The certificates sent after each key's own (same order as `keys`), DER.
    pub chains: Vec<Vec<Vec<u8>>>,
    /// Names of the keys this run created.
    pub created: Vec<String>,
    /// The PEM file of each key's certificate (same order as `keys`).
    pub pem_files: Vec<PathBuf>,
    /// The PEM bundle of all of them (`--cacert` for curl).
    pub bundle: PathBuf,
}

/// Loads the keys named in `names` or, when there are none, the default localhost keys
/// (creating them on first use), and writes their certificates as PEM next to the store.
pub fn load(store: &KeyStore, names: &[&str]) -> Result<ServerKeys, String> {
    let mut created = Vec::new();
    let keys = if names.is_empty() {
        let mut keys = Vec::new();
        for (name, kind) in [
            (DEFAULT_RSA, KeyKind::Rsa { bits: 2048 }),
            (DEFAULT_ECDSA, KeyKind::EcP256),
        ] {
            let (key, new) = get_or_create(store, name, kind)?;
            if new {
                created.push(name.to_owned());
            }
            keys.push(key);
        }
        keys
    } else {
        names
            .iter()
            .map(|name| {
                store
                    .get(name)
                    .map_err(|err| format!("key {name:?} in {}: {err}", store.dir().display()))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let pem_dir = store.dir().join(PEM_DIR);
    fs::create_dir_all(&pem_dir).map_err(|err| format!("{}: {err}", pem_dir.display()))?;
    let chains = keys
        .iter()
        .map(|key| chain(store, key.name()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pem_files = Vec::new();
    let mut bundle_text = String::new();
    for key in &keys {
        let pem = pem_encode("CERTIFICATE", key.certificate());
        let path = pem_dir.join(format!("{}.pem", key.name()));
        write_if_changed(&path, &pem)?;
        bundle_text.push_str(&pem);
        pem_files.push(path);
    }
    let bundle = if names.is_empty() {
        pem_dir.join(LOCALHOST_BUNDLE)
    } else {
        pem_dir.join("serve.pem")
    };
    write_if_changed(&bundle, &bundle_text)?;
    Ok(ServerKeys {
        keys,
        chains,
        created,
        pem_files,
        bundle,
    })
}

/// The key `name`, created as a self-signed localhost key of `kind` if missing; the flag says
/// whether it was created. Two servers starting at once agree on one key: the store refuses
/// the second import, which then reads the first.
fn get_or_create(store: &KeyStore, name: &str, kind: KeyKind) -> Result<(StoredKey, bool), String> {
    let failed =
        |err: keyward_core::Error| format!("key {name:?} in {}: {err}", store.dir().display());
    match store.get(name) {
        Ok(key) => Ok((key, false)),
        Err(keyward_core::Error::NotFound) => {
            match store.generate_self_signed(name, kind, &LOCALHOST_NAMES) {
                Ok(key) => Ok((key, true)),
                // Someone else created it in the meantime (or is between its two files).
                Err(keyward_core::Error::InvalidParameter(_)) => {
                    for _ in 0..50 {
                        if let Ok(key) = store.get(name) {
                            return Ok((key, false));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    store.get(name).map(|key| (key, false)).map_err(failed)
                }
                Err(err) => Err(failed(err)),
            }
        }
        Err(err) => Err(failed(err)),
    }
}

/// Where the rest of the chain of key `name` is kept.
/// The certificates that follow key `name`'s own in its chain, DER (none if it has none).
pub fn chain(store: &KeyStore, name: &str) -> Result<Vec<Vec<u8>>, String> {
    store
        .chain(name)
        .map_err(|err| format!("certificate chain of key {name}: {err}"))
}

/// Sets the certificates that follow key `name`'s own in its chain (none: removes the file).
pub fn set_chain(store: &KeyStore, name: &str, certificates: &[Vec<u8>]) -> Result<(), String> {
    let path = store.chain_path(name).map_err(|err| err.to_string())?;
    if certificates.is_empty() {
        return remove_if_present(&path);
    }
    let Some(dir) = path.parent() else {
        return Err(format!("{}: no directory", path.display()));
    };
    fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let text: String = certificates
        .iter()
        .map(|der| pem_encode("CERTIFICATE", der))
        .collect();
    write_if_changed(&path, &text)
}

/// Removes the PEM copy and the chain of a deleted key.
pub fn forget(store: &KeyStore, name: &str) -> Result<(), String> {
    remove_if_present(&store.chain_path(name).map_err(|err| err.to_string())?)?;
    remove_if_present(&store.dir().join(PEM_DIR).join(format!("{name}.pem")))
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {err}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Writes `text` to `path` unless it already holds exactly that (through a temporary file,
/// so readers never see half a file).
fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&temp, text)
        .and_then(|()| fs::rename(&temp, path))
        .map_err(|err| {
            let _ = fs::remove_file(&temp);
            format!("{}: {err}", path.display())
        })
}

/// PEM-encodes `der` with the `label` (RFC 7468: base64 in lines of 64 characters).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut base64 = Vec::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let bytes = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let triple = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                let sextet = (triple >> (18 - 6 * index)) & 0x3f;
                base64.push(ALPHABET[sextet as usize]);
            } else {
                base64.push(b'=');
            }
        }
    }
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in base64.chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_matches_rfc_4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            let pem = pem_encode("X", input);
            let body: String = pem
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect();
            assert_eq!(body, expected);
        }
        let long = pem_encode("CERTIFICATE", &[0xff; 100]);
        let lines: Vec<&str> = long.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        // 33 whole groups of three 0xff bytes are 132 '/', the last byte is "/w==".
        assert_eq!(lines[1], "/".repeat(64));
        assert_eq!(lines[2], "/".repeat(64));
        assert_eq!(lines[3], "/////w==");
        assert_eq!(lines[4], "-----END CERTIFICATE-----");
    }

    #[test]
    fn default_keys_are_created_once() {
        let dir = keyward_test_support::TempDir::new("cli-server-keys");
        let store = KeyStore::open(&dir).unwrap();
        let first = load(&store, &[]).unwrap();
        assert_eq!(first.created, [DEFAULT_RSA, DEFAULT_ECDSA]);
        assert_eq!(first.keys[0].kind(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(first.keys[1].kind(), KeyKind::EcP256);
        let bundle = fs::read_to_string(&first.bundle).unwrap();
        assert_eq!(bundle.matches("-----BEGIN CERTIFICATE-----").count(), 2);
        let second = load(&store, &[]).unwrap();
        assert!(second.created.is_empty());
        assert_eq!(second.keys[0].certificate(), first.keys[0].certificate());
        let named = load(&store, &[DEFAULT_ECDSA]).unwrap();
        assert_eq!(named.keys.len(), 1);
        assert_eq!(named.pem_files[0], first.pem_files[1]);
        assert!(load(&store, &["missing"]).unwrap_err().contains("missing"));
    }
}

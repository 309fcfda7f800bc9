//! `keyward key …`: the keys and certificates of the key store that `keyward serve --cert NAME`
//! presents (the store plays the Windows key storage provider behind `SslOpenPrivateKey`).
//!
//! `import` takes a private key in PEM (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or SEC1
//! `EC PRIVATE KEY`; RSA 2048 to 4096 bits, EC P-256 or P-384) and a certificate chain in PEM,
//! end-entity certificate first. The key and the end-entity certificate go into the store (the
//! store refuses a certificate that is not for the key); the rest of the chain is kept as
//! `<store>/certs/<name>.chain.pem`, which `serve` sends after the end-entity certificate.

use std::fs;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use clap::{ArgGroup, Subcommand};
use keyward_core::backend::{hash, HashAlgorithm};
use keyward_core::store::{certificates_from_pem, KeyKind, KeyStore, StoredKey};
use keyward_core::SecretVec;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::server_keys::{self, pem_encode};

/// The `keyward key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Import a private key and its certificate chain (PEM) under NAME.
    Import {
        /// The name in the store (1 to 64 of A-Z a-z 0-9 . _ -).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The private key: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1
        /// ("EC PRIVATE KEY") PEM, unencrypted.
        #[arg(value_name = "KEY.pem")]
        key: PathBuf,
        /// The certificate chain, PEM, the certificate of the key first.
        #[arg(value_name = "CHAIN.pem")]
        chain: PathBuf,
    },
    /// List the stored keys: name, type, subject, names, expiry and SHA-256 fingerprint.
    List,
    /// Print the certificate chain of NAME (PEM) to stdout.
    ExportCert {
        /// The key's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Create a key with a self-signed certificate for the --san names.
    #[command(group(ArgGroup::new("algorithm").args(["rsa", "ec"])))]
    New {
        /// The name in the store.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// A DNS name or IP address the certificate is for (repeatable; the first is also the
        /// common name).
        #[arg(long, value_name = "NAME", required = true)]
        san: Vec<String>,
        /// An RSA key of this many bits.
        #[arg(long, value_name = "BITS", value_parser = ["2048", "3072", "4096"])]
        rsa: Option<String>,
        /// An ECDSA key on this curve (the default: p256).
        #[arg(long, value_name = "CURVE", value_parser = ["p256", "p384"])]
        ec: Option<String>,
    },
    /// Delete the key NAME and its certificates.
    Delete {
        /// The key's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Add a new sealing key: opaque key blobs (`SslExportKey`) are sealed under it from now
    /// on, and blobs sealed under the older keys still open.
    RotateSealing,
}

/// Runs `keyward key …` on the default store.
pub fn run(command: KeyCommand) -> Result<(), String> {
    let store = KeyStore::open_default().map_err(|err| format!("key store: {err}"))?;
    let mut out = std::io::stdout().lock();
    execute(&store, command, &mut out)
}

/// Runs one command on `store`, writing what it prints to `out`.
fn execute(
    store: &KeyStore,
    command: KeyCommand,
    out: &mut impl std::io::Write,
) -> Result<(), String> {
    let written = |err: std::io::Error| format!("stdout: {err}");
    match command {
        KeyCommand::Import { name, key, chain } => {
            let stored = import(store, &name, &key, &chain)?;
            writeln!(
                out,
                "imported {}: {}",
                stored.name(),
                summary(store, &stored)?
            )
            .map_err(written)
        }
        KeyCommand::List => {
            for name in store.list().map_err(|err| store_error(store, &err))? {
                let line = match store.get(&name) {
                    Ok(key) => summary(store, &key)?,
                    Err(err) => format!("unreadable: {err}"),
                };
                writeln!(out, "{name}: {line}").map_err(written)?;
            }
            Ok(())
        }
        KeyCommand::ExportCert { name } => {
            let key = get(store, &name)?;
            let mut pem = pem_encode("CERTIFICATE", key.certificate());
            for der in server_keys::chain(store, &name)? {
                pem.push_str(&pem_encode("CERTIFICATE", &der));
            }
            out.write_all(pem.as_bytes()).map_err(written)
        }
        KeyCommand::New { name, san, rsa, ec } => {
            let kind = match (rsa.as_deref(), ec.as_deref()) {
                (Some(bits), _) => KeyKind::Rsa {
                    bits: bits.parse().map_err(|_| format!("--rsa {bits}"))?,
                },
                (None, Some("p384")) => KeyKind::EcP384,
                (None, _) => KeyKind::EcP256,
            };
            let names: Vec<&str> = san.iter().map(String::as_str).collect();
            let key = store
                .generate_self_signed(&name, kind, &names)
                .map_err(|err| format!("{name}: {err}"))?;
            server_keys::set_chain(store, &name, &[])?;
            writeln!(out, "created {}: {}", key.name(), summary(store, &key)?).map_err(written)
        }
        KeyCommand::Delete { name } => {
            store
                .remove(&name)
                .map_err(|err| format!("{name}: {}", store_error(store, &err)))?;
            server_keys::forget(store, &name)?;
            writeln!(out, "deleted {name}").map_err(written)
        }
        KeyCommand::RotateSealing => {
            let id = store
                .rotate_sealing_key()
                .map_err(|err| store_error(store, &err))?;
            writeln!(
                out,
                "sealing key {id} is now the newest: new blobs are sealed under it"
            )
            .map_err(written)
        }
    }
}

/// The key `name`, or an error that says which store lacks it.
fn get(store: &KeyStore, name: &str) -> Result<StoredKey, String> {
    store
        .get(name)
        .map_err(|err| format!("{name}: {}", store_error(store, &err)))
}

fn store_error(store: &KeyStore, err: &keyward_core::Error) -> String {
    match err {
        keyward_core::Error::NotFound => {
            format!(
                "no such key in {} (keyward key list)",
                store.dir().display()
            )
        }
        other => other.to_string(),
    }
}

/// Imports `key_file` and `chain_file` under `name`.
fn import(
    store: &KeyStore,
    name: &str,
    key_file: &Path,
    chain_file: &Path,
) -> Result<StoredKey, String> {
    let key_text = fs::read(key_file)
        .map(SecretVec::new)
        .map_err(|err| format!("{}: {err}", key_file.display()))?;
    let pkcs8 = private_key_from_pem(key_text.expose())
        .map_err(|err| format!("{}: {err}", key_file.display()))?;
    let chain_text =
        fs::read(chain_file).map_err(|err| format!("{}: {err}", chain_file.display()))?;
    let chain = certificates_from_pem(&chain_text)
        .map_err(|err| format!("{}: {err}", chain_file.display()))?;
    let (end_entity, intermediates) = chain
        .split_first()
        .ok_or_else(|| format!("{}: no certificate", chain_file.display()))?;
    let stored = store
        .import(name, pkcs8.expose(), end_entity)
        .map_err(|err| match err {
            keyward_core::Error::BadData(why) if why.contains("not for this private key") => {
                format!(
                    "{} does not match {}: the first certificate is not for this key",
                    key_file.display(),
                    chain_file.display()
                )
            }
            other => format!("{name}: {other}"),
        })?;
    server_keys::set_chain(store, name, intermediates)?;
    Ok(stored)
}

/// The PKCS#8 DER of the one private key in `pem`: PKCS#8, PKCS#1 (RSA) or SEC1 (EC P-256,
/// P-384).
pub fn private_key_from_pem(pem: &[u8]) -> Result<SecretVec, String> {
    let mut found = None;
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|err| format!("not PEM: {err}"))?;
        let label = block.label.clone();
        let der = SecretVec::new(block.contents);
        let pkcs8 = match label.as_str() {
            "PRIVATE KEY" => der,
            "RSA PRIVATE KEY" => {
                let key = rsa::KeyPair::from_der(der.expose())
                    .map_err(|err| format!("RSA PRIVATE KEY: {err}"))?;
                let pkcs8 = key
                    .as_der()
                    .map_err(|_| "RSA PRIVATE KEY: cannot re-encode".to_string())?;
                SecretVec::from_slice(pkcs8.as_ref())
            }
            "EC PRIVATE KEY" => sec1_to_pkcs8(der.expose())?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err("the key is encrypted; decrypt it first \
                     (openssl pkey -in KEY.pem -out PLAIN.pem)"
                    .into())
            }
            _ => continue,
        };
        if found.replace(pkcs8).is_some() {
            return Err("more than one private key".into());
        }
    }
    found.ok_or_else(|| {
        "no private key (PEM \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\")".into()
    })
}

/// A SEC1 `ECPrivateKey` (RFC 5915) on P-256 or P-384 as PKCS#8.
fn sec1_to_pkcs8(der: &[u8]) -> Result<SecretVec, String> {
    for algorithm in [
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
    ] {
        if let Ok(key) = EcdsaKeyPair::from_private_key_der(algorithm, der) {
            let pkcs8 = key
                .to_pkcs8v1()
                .map_err(|_| "EC PRIVATE KEY: cannot re-encode".to_string())?;
            return Ok(SecretVec::from_slice(pkcs8.as_ref()));
        }
    }
    Err("EC PRIVATE KEY: not a P-256 or P-384 key".into())
}

/// One line about a stored key: type, subject, names, expiry, fingerprint, chain length.
fn summary(store: &KeyStore, key: &StoredKey) -> Result<String, String> {
    let chain = server_keys::chain(store, key.name())?;
    let mut line = format!(
        "{}, {}",
        crate::serve::kind_name(key.kind()),
        describe(key.certificate())
    );
    if !chain.is_empty() {
        line.push_str(&format!(", {} more in the chain", chain.len()));
    }
    Ok(line)
}

/// Subject, subject alternative names, expiry and SHA-256 fingerprint of a certificate.
fn describe(der: &[u8]) -> String {
    let fingerprint = hash(HashAlgorithm::Sha256, der)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let Ok((_, certificate)) = X509Certificate::from_der(der) else {
        return format!("malformed certificate, SHA-256 {fingerprint}");
    };
    let names = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|extension| {
            extension
                .value
                .general_names
                .iter()
                .map(|name| match name {
                    GeneralName::DNSName(dns) => dns.to_string(),
                    GeneralName::IPAddress(bytes) => ip_text(bytes),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    format!(
        "subject {}, names [{}], expires {}, SHA-256 {fingerprint}",
        certificate.subject(),
        names,
        certificate.validity().not_after
    )
}

/// An IP address SAN as text.
fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let mut octets = [0u8; 4];
            octets.copy_from_slice(bytes);
            std::net::Ipv4Addr::from(octets).to_string()
        }
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => hex::encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;
    use keyward_test_support::TempDir;

    fn parse_key(line: &str) -> Result<KeyCommand, clap::Error> {
        match crate::tests::parse(&format!("key {line}"))?.command {
            Command::Key { command } => Ok(command),
            other => panic!("{other:?}"),
        }
    }

    /// A key store in a temporary directory (removed with it).
    struct TempStore(TempDir, KeyStore);

    impl TempStore {
        fn new(tag: &str) -> TempStore {
            let dir = TempDir::new(&format!("cli-key-{tag}"));
            let store = KeyStore::open(&dir).unwrap();
            TempStore(dir, store)
        }

        fn run(&self, line: &str) -> Result<String, String> {
            let mut out = Vec::new();
            execute(&self.1, parse_key(line).unwrap(), &mut out)?;
            Ok(String::from_utf8(out).unwrap())
        }

        fn file(&self, name: &str, contents: &[u8]) -> String {
            let path = self.0.join(name);
            fs::write(&path, contents).unwrap();
            path.display().to_string()
        }
    }

    /// The PKCS#8 DER of a stored key.
    fn generated(store: &KeyStore, name: &str, kind: KeyKind) -> StoredKey {
        store
            .generate_self_signed(name, kind, &["example.test"])
            .unwrap()
    }

    #[test]
    fn pem_private_keys_in_all_three_forms() {
        let temp = TempStore::new("forms");
        let rsa = generated(&temp.1, "rsa", KeyKind::Rsa { bits: 2048 });
        let ec = generated(&temp.1, "ec", KeyKind::EcP384);
        // PKCS#8 passes through unchanged.
        let pkcs8 = pem_encode("PRIVATE KEY", rsa.pkcs8().expose());
        assert_eq!(
            private_key_from_pem(pkcs8.as_bytes()).unwrap().expose(),
            rsa.pkcs8().expose()
        );
        // PKCS#1: the RSAPrivateKey inside the PKCS#8 (its OCTET STRING, the last 2 + len
        // bytes after a long-form length) comes back as the same key.
        let rsa_key = rsa::KeyPair::from_pkcs8(rsa.pkcs8().expose()).unwrap();
        let pkcs1 = pkcs1_of(rsa.pkcs8().expose());
        let pem = pem_encode("RSA PRIVATE KEY", &pkcs1);
        let back = private_key_from_pem(pem.as_bytes()).unwrap();
        let back = rsa::KeyPair::from_pkcs8(back.expose()).unwrap();
        assert_eq!(
            back.public_key().as_ref(),
            aws_lc_rs::signature::KeyPair::public_key(&rsa_key).as_ref()
        );
        // SEC1 for EC P-384.
        let ec_key = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ec.pkcs8().expose(),
        )
        .unwrap();
        let sec1 = ec_key.private_key().as_der().unwrap();
        let pem = pem_encode("EC PRIVATE KEY", sec1.as_ref());
        let back = private_key_from_pem(pem.as_bytes()).unwrap();
        let back =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, back.expose())
                .unwrap();
        use aws_lc_rs::signature::KeyPair as _;
        assert_eq!(back.public_key().as_ref(), ec_key.public_key().as_ref());

        // Refusals, each with its reason.
        for (pem, reason) in [
            (String::new(), "no private key"),
            (
                pem_encode("CERTIFICATE", rsa.certificate()),
                "no private key",
            ),
            (pem_encode("ENCRYPTED PRIVATE KEY", b"x"), "encrypted"),
            (
                pem_encode("RSA PRIVATE KEY", b"\x30\x00"),
                "RSA PRIVATE KEY",
            ),
            (pem_encode("EC PRIVATE KEY", &pkcs1), "not a P-256 or P-384"),
            (format!("{pkcs8}{pkcs8}"), "more than one"),
        ] {
            let error = private_key_from_pem(pem.as_bytes()).err().unwrap();
            assert!(error.contains(reason), "{error} / {reason}");
        }
    }

    /// The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo made by aws-lc.
    fn pkcs1_of(pkcs8: &[u8]) -> Vec<u8> {
        // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING {..} }:
        // the RSAPrivateKey is the SEQUENCE that starts after the last "04 82 LL LL".
        let at = pkcs8
            .windows(2)
            .position(|pair| pair == [0x04, 0x82])
            .unwrap();
        pkcs8[at + 4..].to_vec()
    }

    #[test]
    fn import_refuses_a_certificate_for_another_key_and_keeps_nothing() {
        let temp = TempStore::new("mismatch");
        let first = generated(&temp.1, "first", KeyKind::EcP256);
        let second = generated(&temp.1, "second", KeyKind::EcP256);
        let key = temp.file(
            "key.pem",
            pem_encode("PRIVATE KEY", first.pkcs8().expose()).as_bytes(),
        );
        let wrong = temp.file(
            "wrong.pem",
            pem_encode("CERTIFICATE", second.certificate()).as_bytes(),
        );
        let error = temp
            .run(&format!("import --name mixed {key} {wrong}"))
            .unwrap_err();
        assert!(error.contains("does not match"), "{error}");
        assert!(matches!(
            temp.1.get("mixed"),
            Err(keyward_core::Error::NotFound)
        ));
        let not_pem = temp.file("junk.pem", b"hello");
        assert!(temp
            .run(&format!("import --name junk {key} {not_pem}"))
            .unwrap_err()
            .contains("no certificate"));
    }

    #[test]
    fn import_list_export_delete() {
        let temp = TempStore::new("cycle");
        let source = generated(&temp.1, "source", KeyKind::Rsa { bits: 2048 });
        let ca = generated(&temp.1, "ca", KeyKind::EcP256);
        let key = temp.file(
            "key.pem",
            pem_encode("PRIVATE KEY", source.pkcs8().expose()).as_bytes(),
        );
        let chain_pem = format!(
            "{}{}",
            pem_encode("CERTIFICATE", source.certificate()),
            pem_encode("CERTIFICATE", ca.certificate())
        );
        let chain = temp.file("chain.pem", chain_pem.as_bytes());
        let imported = temp
            .run(&format!("import --name=web {key} {chain}"))
            .unwrap();
        assert!(
            imported.starts_with("imported web: RSA-2048, "),
            "{imported}"
        );
        assert!(imported.contains("1 more in the chain"), "{imported}");
        let listing = temp.run("list").unwrap();
        let web = listing
            .lines()
            .find(|line| line.starts_with("web: "))
            .unwrap();
        assert!(web.contains("CN=example.test"), "{web}");
        assert!(web.contains("names [example.test]"), "{web}");
        assert!(web.contains("SHA-256 "), "{web}");
        assert_eq!(temp.run("export-cert web").unwrap(), chain_pem);
        assert!(temp
            .run(&format!("import --name web {key} {chain}"))
            .is_err());
        assert_eq!(temp.run("delete web").unwrap(), "deleted web\n");
        assert!(temp
            .run("export-cert web")
            .unwrap_err()
            .contains("no such key"));
        assert!(temp.run("delete web").is_err());
    }

    #[test]
    fn new_keys_have_the_asked_kind_and_names() {
        let temp = TempStore::new("new");
        let created = temp
            .run("new --name host --san host.test --san 10.0.0.1 --ec p384")
            .unwrap();
        assert!(
            created.starts_with("created host: ECDSA P-384, "),
            "{created}"
        );
        assert!(created.contains("names [host.test 10.0.0.1]"), "{created}");
        let rsa = temp.run("new --name big --san a.test --rsa=3072").unwrap();
        assert!(rsa.contains("RSA-3072"), "{rsa}");
        for bad in [
            "new --name x --san a --rsa 1024",
            "new --name x --san a --ec p521",
            "new --name x --san a --rsa 2048 --ec p256",
            "new --name x",
            "import --name x key.pem",
            "delete",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }
}

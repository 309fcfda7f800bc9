//! Proof that the keys stay out of a libkeyward program (issue 18, item 7): a process that
//! does the server side of key exchanges only through libkeyward's C ABI, with
//! `KEYWARD_KEYISO=SOCKET` in its environment, holds none of the private keys and none of the
//! handshake secrets; they are in the keyiso daemon.
//!
//! The processes: this test (the client side and the judge), a keyiso daemon over a
//! throw-away key store (RSA-2048 and ECDSA P-256 certificates), and the libkeyward process
//! (`SslOpenProvider(NULL)` finds the daemon through the variable; nothing else tells it);
//! the children are this test binary run again (`helper_process`). The libkeyward process
//! opens both private keys by certificate, signs a digest with the ECDSA key, and completes a
//! TLS 1.2 RSA key exchange (`SslImportMasterKey`), a TLS 1.2 ECDHE key exchange
//! (`SslCreateEphemeralKey`, `SslImportKey`, `SslGenerateMasterKey`) and a TLS 1.3 key
//! schedule (`SslExtract*`, `SslExpandTrafficKeys`, `SslExpandWriteKey`), each with Finished
//! and its session or traffic keys. It keeps every handle open while this test reads its
//! whole memory.
//!
//! This test makes the premaster and the ECDHE shares itself, so it knows every secret
//! without the daemon telling it: it derives them with keyward-core's PRF and HKDF and checks
//! the Finished values the libkeyward process computed, so the secrets searched for are the
//! ones really used. The search (keyward-test-support's `memory_scan`: 16-byte windows of
//! each value, in both byte orders) must find none of them, nor the RSA primes and private
//! exponent, nor the ECDSA scalar, in the libkeyward process. As controls, it must find the
//! keys and the secrets that outlive their call (all but the premaster and the ECDHE shared
//! secrets, wiped once used) in the daemon, where the handshakes ran, and in the same program
//! run over the same store without the variable (a second libkeyward process, whose
//! in-process provider holds them): the search would see them in a libkeyward process if
//! they were there.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use keyward::hash::{SslCreateHandshakeHash, SslHashHandshake};
use keyward::keys::{
    SslCreateEphemeralKey, SslExportKey, SslImportKey, SslOpenPrivateKey, SslSignHash,
};
use keyward::master::{
    SslComputeFinishedHash, SslGenerateMasterKey, SslGenerateSessionKeys, SslImportMasterKey,
};
use keyward::provider::SslOpenProvider;
use keyward::tls13::{
    SslExpandTrafficKeys, SslExpandWriteKey, SslExtractEarlyKey, SslExtractHandshakeKey,
    SslExtractMasterKey,
};
use keyward::types::*;
use keyward_core::backend::hmac::HmacKey;
use keyward_core::backend::{
    ecdsa_verify_digest, fill_random, hash, hkdf, tls_prf, Curve, EcdhPrivateKey, HashAlgorithm,
    PrfHash, PrivateKey,
};
use keyward_core::blob::{EccCurve, EccPublicBlob, EccUsage};
use keyward_core::store::{KeyKind, KeyStore, StoredKey};
use keyward_keyiso::{Config, Daemon};
use keyward_test_support::memory_scan::{ec_scalar, rsa_secrets, scan_memory, Needle};
use keyward_test_support::{hex, unhex, TempDir};

/// Set (to the socket) in the daemon child's environment.
const CHILD_DAEMON: &str = "KEYWARD_MEMSCAN_CHILD_DAEMON";
/// The daemon child's key store.
const CHILD_STORE: &str = "KEYWARD_MEMSCAN_CHILD_STORE";
/// Set in the libkeyward child's environment.
const CHILD_LIBKEYWARD: &str = "KEYWARD_MEMSCAN_CHILD_LIBKEYWARD";
/// What starts each line a child says to this test (the test harness prints its own lines).
const MARK: &str = "memscan> ";
/// How long a child may take for any one answer, on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(120);

/// Not a test of its own: what a child process runs (nothing without the variables).
#[test]
fn helper_process() {
    if let Some(socket) = std::env::var_os(CHILD_DAEMON) {
        let store = std::env::var_os(CHILD_STORE).map(PathBuf::from);
        let daemon = Daemon::bind(Config::new(PathBuf::from(socket), store)).unwrap();
        say("listening");
        daemon.run().unwrap();
    }
    if std::env::var_os(CHILD_LIBKEYWARD).is_some() {
        libkeyward_server();
    }
}

/// One line from a child to this test.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "\n{MARK}{line}").unwrap();
    stdout.flush().unwrap();
}

// ---------------------------------------------------------------------------------------------
// The libkeyward child: the server side, through the C ABI only.

/// Panics unless a libkeyward call succeeded.
fn ok(status: SECURITY_STATUS) {
    assert_eq!(status, ERROR_SUCCESS as SECURITY_STATUS);
}

/// `text` as a NUL-terminated UTF-16 string.
fn wide(text: &str) -> Vec<WCHAR> {
    text.encode_utf16().chain([0]).collect()
}

/// The parameter list of the TLS 1.2 calls: the hello randoms and the highest version the
/// client offered (TLS 1.2; the RSA premaster check needs it, the others ignore it).
struct Tls12Params {
    _values: Box<([u8; 32], [u8; 32], [u8; 4])>,
    _buffers: Box<[NCryptBuffer; 3]>,
    desc: NCryptBufferDesc,
}

impl Tls12Params {
    /// The list for the hello randoms `client` and `server` (32 bytes each).
    fn new(client: &[u8], server: &[u8]) -> Tls12Params {
        let mut values = Box::new((
            <[u8; 32]>::try_from(client).unwrap(),
            <[u8; 32]>::try_from(server).unwrap(),
            TLS1_2_PROTOCOL_VERSION.to_le_bytes(),
        ));
        let buffer = |kind, value: &mut [u8]| NCryptBuffer {
            cbBuffer: value.len() as DWORD,
            BufferType: kind,
            pvBuffer: value.as_mut_ptr().cast(),
        };
        let mut buffers = Box::new([
            buffer(NCRYPTBUFFER_SSL_CLIENT_RANDOM, &mut values.0),
            buffer(NCRYPTBUFFER_SSL_SERVER_RANDOM, &mut values.1),
            buffer(NCRYPTBUFFER_SSL_HIGHEST_VERSION, &mut values.2),
        ]);
        let desc = NCryptBufferDesc {
            ulVersion: NCRYPTBUFFER_VERSION,
            cBuffers: 3,
            pBuffers: buffers.as_mut_ptr(),
        };
        Tls12Params {
            _values: values,
            _buffers: buffers,
            desc,
        }
    }
}

/// What the libkeyward child holds between commands.
struct Server {
    provider: NCRYPT_PROV_HANDLE,
    rsa_key: NCRYPT_KEY_HANDLE,
    tls12_share: NCRYPT_KEY_HANDLE,
    tls13_share: NCRYPT_KEY_HANDLE,
    /// Every handle, kept open (never freed) so that whatever they hold is there to be found.
    handles: Vec<NCRYPT_HANDLE>,
}

/// Serves the commands this test writes to stdin, one per line (arguments in hex), answering
/// each with one line; keeps every handle open until stdin ends.
fn libkeyward_server() {
    let mut server = Server {
        provider: 0,
        rsa_key: 0,
        tls12_share: 0,
        tls13_share: 0,
        handles: Vec::new(),
    };
    // SAFETY: a valid pointer; NULL names the default provider.
    unsafe { ok(SslOpenProvider(&mut server.provider, std::ptr::null(), 0)) };
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        let args: Vec<Vec<u8>> = words[1..].iter().map(|word| unhex(word)).collect();
        // SAFETY: `server` holds only handles libkeyward gave and nothing has freed.
        let answer = unsafe { server.serve(words[0], &args) };
        say(&answer);
    }
}

impl Server {
    /// Runs the command `command` with `args`; returns the answer line.
    ///
    /// # Safety
    /// The handles in `self` are libkeyward's, not freed.
    unsafe fn serve(&mut self, command: &str, args: &[Vec<u8>]) -> String {
        let provider = self.provider;
        let ecc_public = wide(BCRYPT_ECCPUBLIC_BLOB);
        let (tls12, tls13) = (TLS1_2_PROTOCOL_VERSION, TLS1_3_PROTOCOL_VERSION);
        match command {
            // open-rsa CERTIFICATE
            "open-rsa" => {
                open_private_key(provider, &mut self.rsa_key, &args[0]);
                self.handles.push(self.rsa_key);
                "opened".to_owned()
            }
            // sign-ecdsa CERTIFICATE DIGEST: SslSignHash with the certificate's key.
            "sign-ecdsa" => {
                let mut key = 0;
                let mut digest = args[1].clone();
                let mut signature = [0u8; 64];
                let mut length = 0;
                open_private_key(provider, &mut key, &args[0]);
                ok(SslSignHash(
                    provider,
                    key,
                    digest.as_mut_ptr(),
                    digest.len() as DWORD,
                    signature.as_mut_ptr(),
                    signature.len() as DWORD,
                    &mut length,
                    0,
                ));
                self.handles.push(key);
                format!("signature {}", hex(&signature[..length as usize]))
            }
            // rsa CLIENT_RANDOM SERVER_RANDOM ENCRYPTED_PREMASTER TRANSCRIPT
            "rsa" => {
                let suite = TLS_RSA_WITH_AES_128_GCM_SHA256;
                let mut params = Tls12Params::new(&args[0], &args[1]);
                let mut encrypted = args[2].clone();
                let mut master = 0;
                ok(SslImportMasterKey(
                    provider,
                    self.rsa_key,
                    &mut master,
                    tls12,
                    suite,
                    &mut params.desc,
                    encrypted.as_mut_ptr(),
                    encrypted.len() as DWORD,
                    NCRYPT_SSL_SERVER_FLAG,
                ));
                let finished = self.finish_tls12(master, suite, &mut params, &args[3]);
                format!("finished {}", hex(&finished))
            }
            // ecdhe-share: a P-256 share, as BCRYPT_ECCPUBLIC_BLOB.
            "ecdhe-share" => {
                let suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
                let blob =
                    ephemeral_key(provider, &mut self.tls12_share, tls12, suite, &ecc_public);
                self.handles.push(self.tls12_share);
                format!("share {}", hex(&blob))
            }
            // ecdhe CLIENT_RANDOM SERVER_RANDOM CLIENT_SHARE_BLOB TRANSCRIPT
            "ecdhe" => {
                let suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
                let mut params = Tls12Params::new(&args[0], &args[1]);
                let (mut peer, mut master) = (0, 0);
                import_public(provider, &mut peer, &ecc_public, &args[2]);
                ok(SslGenerateMasterKey(
                    provider,
                    self.tls12_share,
                    peer,
                    &mut master,
                    tls12,
                    suite,
                    &mut params.desc,
                    std::ptr::null_mut(),
                    0,
                    std::ptr::null_mut(),
                    NCRYPT_SSL_SERVER_FLAG,
                ));
                self.handles.push(peer);
                let finished = self.finish_tls12(master, suite, &mut params, &args[3]);
                format!("finished {}", hex(&finished))
            }
            // tls13-share: a P-256 share for TLS 1.3.
            "tls13-share" => {
                let suite = TLS_AES_128_GCM_SHA256;
                let blob =
                    ephemeral_key(provider, &mut self.tls13_share, tls13, suite, &ecc_public);
                self.handles.push(self.tls13_share);
                format!("share {}", hex(&blob))
            }
            // tls13 CLIENT_SHARE_BLOB HELLOS SERVER_FLIGHT: the key schedule without PSK;
            // answers the server's handshake Finished (over the hellos and SERVER_FLIGHT).
            "tls13" => {
                let finished = self.tls13_schedule(&ecc_public, args);
                format!("finished {}", hex(&finished))
            }
            other => panic!("unknown command {other:?}"),
        }
    }

    /// The server's Finished over `transcript` (`SslComputeFinishedHash`) and the session
    /// keys (`SslGenerateSessionKeys`) of the TLS 1.2 master key `master`.
    ///
    /// # Safety
    /// As [`Server::serve`]; `master` is libkeyward's too.
    unsafe fn finish_tls12(
        &mut self,
        master: NCRYPT_KEY_HANDLE,
        suite: DWORD,
        params: &mut Tls12Params,
        transcript: &[u8],
    ) -> [u8; 12] {
        let provider = self.provider;
        let hash = handshake_hash(provider, TLS1_2_PROTOCOL_VERSION, suite, transcript);
        let mut finished = [0u8; 12];
        ok(SslComputeFinishedHash(
            provider,
            master,
            hash,
            finished.as_mut_ptr(),
            12,
            NCRYPT_SSL_SERVER_FLAG,
        ));
        let (mut read, mut write) = (0, 0);
        ok(SslGenerateSessionKeys(
            provider,
            master,
            &mut read,
            &mut write,
            &mut params.desc,
            0,
        ));
        self.handles.extend([master, hash, read, write]);
        finished
    }

    /// The TLS 1.3 key schedule (no PSK) with the client share `args[0]` (a public key blob),
    /// the hellos `args[1]` and the server's flight up to its Finished `args[2]`: the
    /// handshake and application traffic secrets and their write keys; returns the server's
    /// Finished.
    ///
    /// # Safety
    /// As [`Server::serve`].
    unsafe fn tls13_schedule(&mut self, blob_type: &[WCHAR], args: &[Vec<u8>]) -> Vec<u8> {
        let provider = self.provider;
        let (protocol, suite) = (TLS1_3_PROTOCOL_VERSION, TLS_AES_128_GCM_SHA256);
        let (mut peer, mut early, mut handshake, mut master) = (0, 0, 0, 0);
        let none = std::ptr::null_mut();
        import_public(provider, &mut peer, blob_type, &args[0]);
        ok(SslExtractEarlyKey(
            provider, 0, &mut early, protocol, suite, none, 0,
        ));
        ok(SslExtractHandshakeKey(
            provider,
            self.tls13_share,
            peer,
            early,
            &mut handshake,
            none,
            0,
        ));
        let hellos = handshake_hash(provider, protocol, suite, &args[1]);
        let (mut client_hs, mut server_hs) = (0, 0);
        ok(SslExpandTrafficKeys(
            provider,
            handshake,
            hellos,
            &mut client_hs,
            &mut server_hs,
            none,
            0,
        ));
        let flight = handshake_hash(
            provider,
            protocol,
            suite,
            &[&args[1][..], &args[2]].concat(),
        );
        let mut finished = [0u8; 32];
        ok(SslComputeFinishedHash(
            provider,
            server_hs,
            flight,
            finished.as_mut_ptr(),
            32,
            0,
        ));
        ok(SslExtractMasterKey(
            provider,
            handshake,
            &mut master,
            none,
            0,
        ));
        let (mut client_ap, mut server_ap) = (0, 0);
        ok(SslExpandTrafficKeys(
            provider,
            master,
            flight,
            &mut client_ap,
            &mut server_ap,
            none,
            0,
        ));
        self.handles
            .extend([peer, early, handshake, master, hellos, flight]);
        for traffic in [client_hs, server_hs, client_ap, server_ap] {
            let mut write = 0;
            ok(SslExpandWriteKey(provider, traffic, &mut write, none, 0));
            self.handles.extend([traffic, write]);
        }
        finished.to_vec()
    }
}

/// `SslOpenPrivateKey` by the DER certificate `certificate`.
unsafe fn open_private_key(
    provider: NCRYPT_PROV_HANDLE,
    key: &mut NCRYPT_KEY_HANDLE,
    certificate: &[u8],
) {
    let mut der = certificate.to_vec();
    let context = CERT_CONTEXT {
        dwCertEncodingType: 1,
        pbCertEncoded: der.as_mut_ptr(),
        cbCertEncoded: der.len() as DWORD,
        pCertInfo: std::ptr::null_mut(),
        hCertStore: std::ptr::null_mut(),
    };
    ok(SslOpenPrivateKey(provider, key, &context, 0));
}

/// `SslCreateEphemeralKey` (P-256) and `SslExportKey` of its public half as `blob_type`.
unsafe fn ephemeral_key(
    provider: NCRYPT_PROV_HANDLE,
    key: &mut NCRYPT_KEY_HANDLE,
    protocol: DWORD,
    suite: DWORD,
    blob_type: &[WCHAR],
) -> Vec<u8> {
    ok(SslCreateEphemeralKey(
        provider,
        key,
        protocol,
        suite,
        TLS_ECC_P256_CURVE_KEY_TYPE,
        256,
        std::ptr::null_mut(),
        0,
        0,
    ));
    let mut blob = [0u8; 256];
    let mut length = 0;
    ok(SslExportKey(
        provider,
        *key,
        blob_type.as_ptr(),
        blob.as_mut_ptr(),
        blob.len() as DWORD,
        &mut length,
        0,
    ));
    blob[..length as usize].to_vec()
}

/// `SslImportKey` of the public key blob `blob`.
unsafe fn import_public(
    provider: NCRYPT_PROV_HANDLE,
    key: &mut NCRYPT_KEY_HANDLE,
    blob_type: &[WCHAR],
    blob: &[u8],
) {
    let mut blob = blob.to_vec();
    ok(SslImportKey(
        provider,
        key,
        blob_type.as_ptr(),
        blob.as_mut_ptr(),
        blob.len() as DWORD,
        0,
    ));
}

/// A handshake hash of `protocol` and `suite` over `transcript`.
unsafe fn handshake_hash(
    provider: NCRYPT_PROV_HANDLE,
    protocol: DWORD,
    suite: DWORD,
    transcript: &[u8],
) -> NCRYPT_HASH_HANDLE {
    let mut hash = 0;
    let mut data = transcript.to_vec();
    ok(SslCreateHandshakeHash(
        provider, &mut hash, protocol, suite, 0,
    ));
    ok(SslHashHandshake(
        provider,
        hash,
        data.as_mut_ptr(),
        data.len() as DWORD,
        0,
    ));
    hash
}

// ---------------------------------------------------------------------------------------------
// This test: the children, the client side, the judge.

/// A child process (this test binary running `helper_process`), killed on drop (every path
/// out of the test); its marked stdout lines arrive through a reader thread.
struct Helper {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    what: &'static str,
}

impl Helper {
    /// Starts `helper_process` with `env` added to this process's environment (less any
    /// `KEYWARD_KEYISO` of its own: only `env` says whether the child uses a daemon).
    fn spawn(what: &'static str, env: &[(&str, &OsStr)]) -> Helper {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "helper_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_remove("KEYWARD_KEYISO")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, said)) = line.split_once(MARK) {
                    if sender.send(said.to_owned()).is_err() {
                        break;
                    }
                }
            }
        });
        Helper {
            child,
            stdin,
            lines,
            what,
        }
    }

    /// The child's next line; panics if it says nothing for [`PATIENCE`] or exits.
    fn hear(&self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the {} said nothing for {PATIENCE:?}", self.what)
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the {} exited", self.what),
        }
    }

    /// Sends `command` (words joined by spaces) and returns the answer's words after its first,
    /// which must be `answer`, as bytes.
    fn ask(&mut self, command: &[&str], answer: &str) -> Vec<Vec<u8>> {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", command.join(" ")).unwrap();
        stdin.flush().unwrap();
        let line = self.hear();
        let mut words = line.split_whitespace();
        assert_eq!(
            words.next(),
            Some(answer),
            "the {} answered {line:?}",
            self.what
        );
        words.map(unhex).collect()
    }

    /// Its process id.
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `N` random bytes.
fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes).unwrap();
    bytes
}

/// The TLS 1.2 PRF (SHA-256) of `secret`, `label` and `seed`, `length` bytes.
fn prf(secret: &[u8], label: &[u8], seed: &[&[u8]], length: usize) -> Vec<u8> {
    let mut out = vec![0u8; length];
    tls_prf(PrfHash::Sha256, secret, label, seed, &mut out).unwrap();
    out
}

/// The TLS 1.2 master secret (no extended master secret) and the server's Finished over
/// `transcript`.
fn tls12_master_and_finished(
    premaster: &[u8],
    client_random: &[u8],
    server_random: &[u8],
    transcript: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let master = prf(
        premaster,
        b"master secret",
        &[client_random, server_random],
        48,
    );
    let digest = hash(HashAlgorithm::Sha256, transcript);
    let finished = prf(&master, b"server finished", &[digest.as_bytes()], 12);
    (master, finished)
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256, 32 bytes.
fn expand_label(secret: &[u8], label: &str, context: &[u8]) -> Vec<u8> {
    let label = format!("tls13 {label}");
    let mut out = vec![0u8; 32];
    hkdf::expand(
        HashAlgorithm::Sha256,
        secret,
        &[
            &32u16.to_be_bytes(),
            &[label.len() as u8],
            label.as_bytes(),
            &[context.len() as u8],
            context,
        ],
        &mut out,
    )
    .unwrap();
    out
}

/// The TLS 1.3 secrets of the key schedule without PSK (RFC 8446 §7.1) for the ECDHE
/// `shared` secret, the hellos and the server's flight up to its Finished: (name, secret)
/// pairs, and the server's Finished.
fn tls13_secrets(
    shared: &[u8],
    hellos: &[u8],
    flight: &[u8],
) -> (Vec<(&'static str, Vec<u8>)>, Vec<u8>) {
    let sha256 = |data: &[u8]| hash(HashAlgorithm::Sha256, data).as_bytes().to_vec();
    let extract = |salt: &[u8], ikm: &[u8]| {
        hkdf::extract(HashAlgorithm::Sha256, salt, ikm)
            .unwrap()
            .expose()
            .to_vec()
    };
    let empty = sha256(b"");
    let early = extract(&[0u8; 32], &[0u8; 32]);
    let handshake = extract(&expand_label(&early, "derived", &empty), shared);
    let hellos_hash = sha256(hellos);
    let flight_hash = sha256(&[hellos, flight].concat());
    let client_hs = expand_label(&handshake, "c hs traffic", &hellos_hash);
    let server_hs = expand_label(&handshake, "s hs traffic", &hellos_hash);
    let master = extract(&expand_label(&handshake, "derived", &empty), &[0u8; 32]);
    let client_ap = expand_label(&master, "c ap traffic", &flight_hash);
    let server_ap = expand_label(&master, "s ap traffic", &flight_hash);
    let finished_key = expand_label(&server_hs, "finished", &[]);
    let finished = HmacKey::new(HashAlgorithm::Sha256, &finished_key)
        .unwrap()
        .sign(&[flight_hash.as_slice()])
        .as_bytes()
        .to_vec();
    (
        vec![
            ("handshake secret", handshake),
            ("client handshake traffic secret", client_hs),
            ("server handshake traffic secret", server_hs),
            ("master secret", master),
            ("client application traffic secret", client_ap),
            ("server application traffic secret", server_ap),
        ],
        finished,
    )
}

/// A P-256 ECDH key of this test's, and its public half as `BCRYPT_ECCPUBLIC_BLOB`.
fn client_share() -> (EcdhPrivateKey, Vec<u8>) {
    let key = EcdhPrivateKey::generate(Curve::P256).unwrap();
    let blob =
        EccPublicBlob::from_uncompressed_point(EccCurve::P256, EccUsage::Ecdh, &key.public_key())
            .unwrap()
            .to_bytes();
    (key, blob)
}

/// The ECDH secret of `key` with the `BCRYPT_ECCPUBLIC_BLOB` `peer`.
fn agree(key: &EcdhPrivateKey, peer: &[u8]) -> Vec<u8> {
    let point = EccPublicBlob::parse(peer).unwrap().to_uncompressed_point();
    key.agree(&point).unwrap().expose().to_vec()
}

/// The key exchanges, run by the libkeyward process `server` with the keys `rsa` and
/// `ecdsa`: the ECDSA key signs, then TLS 1.2 RSA key exchange, TLS 1.2 ECDHE and TLS 1.3,
/// each checked by its Finished. Returns the secrets of the exchanges as needles.
fn key_exchanges(server: &mut Helper, rsa: &StoredKey, ecdsa: &StoredKey) -> Vec<Needle> {
    let mut needles = Vec::new();

    // The private keys: opened by certificate, the ECDSA key used to sign.
    let rsa_certificate = hex(rsa.certificate());
    server.ask(&["open-rsa", &rsa_certificate], "opened");
    let digest = random::<32>();
    let signature = server.ask(
        &["sign-ecdsa", &hex(ecdsa.certificate()), &hex(&digest)],
        "signature",
    );
    let PrivateKey::Ecdsa(ecdsa_key) = PrivateKey::from_pkcs8(ecdsa.pkcs8().expose()).unwrap()
    else {
        panic!("the ecdsa key is not ECDSA")
    };
    ecdsa_verify_digest(
        Curve::P256,
        ecdsa_key.public_key(),
        HashAlgorithm::Sha256,
        &digest,
        &signature[0],
    )
    .expect("the ECDSA signature made through libkeyward verifies");

    // TLS 1.2 RSA key exchange: this test's premaster, encrypted to the
    // public half of the certificate's key.
    let PrivateKey::Rsa(rsa_key) = PrivateKey::from_pkcs8(rsa.pkcs8().expose()).unwrap() else {
        panic!("the rsa key is not RSA")
    };
    let mut premaster = random::<48>();
    premaster[..2].copy_from_slice(&[3, 3]);
    let encrypted = rsa_key.public_key().encrypt_pkcs1(&premaster).unwrap();
    let (client_random, server_random, transcript) =
        (random::<32>(), random::<32>(), random::<300>());
    let (master, finished) =
        tls12_master_and_finished(&premaster, &client_random, &server_random, &transcript);
    let answer = server.ask(
        &[
            "rsa",
            &hex(&client_random),
            &hex(&server_random),
            &hex(&encrypted),
            &hex(&transcript),
        ],
        "finished",
    );
    assert_eq!(
        answer[0], finished,
        "RSA key exchange: the server's Finished"
    );
    needles.push(Needle::new("TLS 1.2 RSA: premaster", &premaster));
    needles.push(Needle::new("TLS 1.2 RSA: master secret", &master));

    // TLS 1.2 ECDHE.
    let server_share = server.ask(&["ecdhe-share"], "share").remove(0);
    let (client_key, client_blob) = client_share();
    let shared = agree(&client_key, &server_share);
    let (client_random, server_random, transcript) =
        (random::<32>(), random::<32>(), random::<300>());
    let (master, finished) =
        tls12_master_and_finished(&shared, &client_random, &server_random, &transcript);
    let answer = server.ask(
        &[
            "ecdhe",
            &hex(&client_random),
            &hex(&server_random),
            &hex(&client_blob),
            &hex(&transcript),
        ],
        "finished",
    );
    assert_eq!(answer[0], finished, "ECDHE: the server's Finished");
    needles.push(Needle::new("TLS 1.2 ECDHE: shared secret", &shared));
    needles.push(Needle::new("TLS 1.2 ECDHE: master secret", &master));

    // TLS 1.3, ECDHE without PSK.
    let server_share = server.ask(&["tls13-share"], "share").remove(0);
    let (client_key, client_blob) = client_share();
    let shared = agree(&client_key, &server_share);
    let (hellos, flight) = (random::<400>(), random::<1200>());
    let (secrets, finished) = tls13_secrets(&shared, &hellos, &flight);
    let answer = server.ask(
        &["tls13", &hex(&client_blob), &hex(&hellos), &hex(&flight)],
        "finished",
    );
    assert_eq!(answer[0], finished, "TLS 1.3: the server's Finished");
    needles.push(Needle::new("TLS 1.3: ECDHE shared secret", &shared));
    for (name, secret) in &secrets {
        needles.push(Needle::new(&format!("TLS 1.3: {name}"), secret));
    }
    needles
}

/// The private key values of the store's keys: RSA p, q and d, and the ECDSA scalar.
fn key_needles(rsa: &StoredKey, ecdsa: &StoredKey) -> Vec<Needle> {
    let (p, q, d) = rsa_secrets(rsa.pkcs8().expose());
    // d is below n: one key in 256 has a zero first byte, which the DER leaves out.
    assert_eq!((p.len(), q.len()), (128, 128));
    assert!((250..=256).contains(&d.len()), "d is {} bytes", d.len());
    let scalar = ec_scalar(ecdsa.pkcs8().expose());
    assert_eq!(scalar.len(), 32);
    vec![
        Needle::new("rsa p", &p),
        Needle::new("rsa q", &q),
        Needle::new("rsa d", &d),
        Needle::new("ecdsa scalar", &scalar),
    ]
}

#[test]
fn libkeyward_memory_holds_no_private_key_and_no_handshake_secret() {
    let store_dir = TempDir::new("ffi-keyiso-memory");
    let store = KeyStore::open(&*store_dir).unwrap();
    let rsa = store
        .generate_self_signed("rsa", KeyKind::Rsa { bits: 2048 }, &["localhost"])
        .unwrap();
    let ecdsa = store
        .generate_self_signed("ecdsa", KeyKind::EcP256, &["localhost"])
        .unwrap();
    let run = TempDir::new("ffi-keyiso-memory-run");
    let socket = run.join("keyiso.sock");

    let daemon = Helper::spawn(
        "keyiso daemon",
        &[
            (CHILD_DAEMON, socket.as_os_str()),
            (CHILD_STORE, store_dir.as_os_str()),
        ],
    );
    assert_eq!(daemon.hear(), "listening");
    let mut server = Helper::spawn(
        "libkeyward process",
        &[
            (CHILD_LIBKEYWARD, OsStr::new("1")),
            ("KEYWARD_KEYISO", socket.as_os_str()),
        ],
    );
    let mut needles = key_exchanges(&mut server, &rsa, &ecdsa);
    let secret_count = needles.len();

    needles.extend(key_needles(&rsa, &ecdsa));

    // The control of the search in a libkeyward process: the same program over the same store
    // without KEYWARD_KEYISO (the in-process provider) holds the keys and secrets, and the
    // search finds them there.
    let mut in_process = Helper::spawn(
        "in-process libkeyward process",
        &[
            (CHILD_LIBKEYWARD, OsStr::new("1")),
            ("KEYWARD_HOME", store_dir.as_os_str()),
        ],
    );
    let mut control = key_exchanges(&mut in_process, &rsa, &ecdsa);
    control.extend(key_needles(&rsa, &ecdsa));

    // The libkeyward processes are waiting with every handle open.
    let in_server = scan_memory(server.pid(), &needles);
    let in_daemon = scan_memory(daemon.pid(), &needles);
    let in_control = scan_memory(in_process.pid(), &control);
    for (what, pid, scan) in [
        (
            "libkeyward process with KEYWARD_KEYISO",
            server.pid(),
            &in_server,
        ),
        ("keyiso daemon", daemon.pid(), &in_daemon),
        (
            "libkeyward process without it",
            in_process.pid(),
            &in_control,
        ),
    ] {
        println!(
            "{what} (pid {pid}): {} bytes scanned, {} mappings unreadable",
            scan.bytes, scan.skipped
        );
    }
    println!(
        "{:<44} {:>14} {:>8} {:>14}",
        "hits of", "with keyiso", "daemon", "without"
    );
    for needle in &needles {
        println!(
            "{:<44} {:>14} {:>8} {:>14}",
            needle.name,
            in_server.hits(&needle.name),
            in_daemon.hits(&needle.name),
            in_control.hits(&needle.name)
        );
    }
    for place in in_daemon.places() {
        println!("daemon: {place}");
    }
    assert_eq!(secret_count, 11, "2 RSA, 2 ECDHE and 7 TLS 1.3 secrets");
    for scan in [&in_server, &in_daemon, &in_control] {
        assert!(scan.bytes > 1 << 20);
    }

    // The controls: the search sees the private keys and every secret that outlives its call
    // where they are: in the daemon (the handshakes of the libkeyward process ran there), and
    // in the process that does not use it. The premaster and the ECDHE shared secrets are
    // the exception: both providers wipe them once the master or handshake secret is derived.
    let transient = |needle: &Needle| {
        needle.name.ends_with("premaster") || needle.name.ends_with("shared secret")
    };
    for (what, needles, scan) in [
        ("the daemon's", &needles, &in_daemon),
        ("the in-process provider's", &control, &in_control),
    ] {
        for needle in needles.iter().filter(|needle| !transient(needle)) {
            assert!(
                scan.found.contains_key(&needle.name),
                "{what} memory should hold {}",
                needle.name
            );
        }
    }
    // The proof: none of them is in the libkeyward process's memory.
    assert!(
        in_server.found.is_empty(),
        "the libkeyward process holds secrets it must not (name: [(mapping, address)]): {:#x?}",
        in_server.found
    );
    drop(in_process);
    drop(server);
    drop(daemon);
}

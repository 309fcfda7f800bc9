//! Helpers shared by the `tls_*` integration tests: a `keyward serve` child process on a free
//! loopback port with its own key store, and `keyward connect` runs bounded in time.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};

use keyward_core::store::KeyStore;
pub use keyward_test_support::TempDir;
use std::time::{Duration, Instant};

/// The `keyward` binary under test.
pub const KEYWARD: &str = env!("CARGO_BIN_EXE_keyward");

/// A running `keyward serve`; killed on drop if still running.
pub struct Server {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// The lines it printed on stdout before the ready line.
    pub banner: Vec<String>,
    lines: Receiver<String>,
    /// Its stderr log.
    pub log: PathBuf,
}

impl Server {
    /// Starts `keyward serve --addr 127.0.0.1:0 ARGS` with the key store `home` and waits
    /// (at most 60 s: the first run creates an RSA key) for its ready line.
    pub fn start(home: &Path, args: &[&str]) -> Server {
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let number = SERVERS.fetch_add(1, Ordering::Relaxed);
        let log = home.join(format!("serve-{number}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(KEYWARD)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env("KEYWARD_HOME", home)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap();
        let lines = stdout_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "keyward serve {args:?} did not get ready; printed {banner:?}, log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            };
            if let Some(addr) = line.strip_prefix("keyward serve: listening on 127.0.0.1:") {
                let port = addr.parse().unwrap();
                return Server {
                    child,
                    port,
                    banner,
                    lines,
                    log,
                };
            }
            banner.push(line);
        }
    }

    /// Its process id (to read its memory through `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `localhost:PORT`.
    pub fn localhost(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Sends SIGTERM and returns the lines printed until it exited (at most 10 s).
    pub fn stop(self) -> (ExitStatus, Vec<String>) {
        self.stop_with("-TERM")
    }

    /// Sends `signal` (`-TERM`, `-INT`) and returns the lines printed until it exited (at
    /// most 10 s).
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, Vec<String>) {
        let exit = signal_and_wait(&mut self.child, signal);
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            lines.push(line);
        }
        (exit, lines)
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished `keyward` run printed.
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// Runs `keyward ARGS` with `input` on stdin and the key store `home`, killed after 30 s.
pub fn keyward(home: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(KEYWARD)
        .args(args)
        .env("KEYWARD_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(Duration::from_secs(30)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("keyward {args:?} did not finish within 30 s");
        }
    };
    writer.join().unwrap();
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The status page of `server` through `keyward connect` (with `args` after the target),
/// trusting the store's bundle; panics unless the run succeeds.
pub fn fetch_page(home: &Path, server: &Server, args: &[&str]) -> Output {
    let bundle = bundle(home);
    let target = server.localhost();
    let mut all = vec!["connect", &target, "--cafile", &bundle];
    all.extend_from_slice(args);
    let output = keyward(home, &all, b"GET / HTTP/1.0\r\n\r\n");
    assert!(
        output.status.success(),
        "keyward {all:?}: {}\n{}\nserver log:\n{}",
        output.status,
        output.stderr,
        server.log_text()
    );
    output
}

/// The lines a child prints on stdout, read on a thread of their own.
fn stdout_lines(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Sends `signal` (`-TERM`, `-INT`) to `child` and waits (at most 10 s) for it to exit.
fn signal_and_wait(child: &mut Child, signal: &str) -> ExitStatus {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return exit;
        }
        assert!(Instant::now() < deadline, "keyward ignored {signal}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `keyward keyiso`; killed on drop if still running (every path out of a test).
pub struct KeyisoDaemon {
    child: Child,
    lines: Receiver<String>,
}

impl KeyisoDaemon {
    /// Starts `keyward keyiso --socket SOCKET` over the store `home` and waits (at most 30 s)
    /// for its ready line.
    pub fn start(home: &Path, socket: &Path) -> KeyisoDaemon {
        let mut child = Command::new(KEYWARD)
            .arg("keyiso")
            .arg("--socket")
            .arg(socket)
            .env("KEYWARD_HOME", home)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = stdout_lines(&mut child);
        // The guard exists before the wait, so a daemon that never gets ready is killed too.
        let daemon = KeyisoDaemon { child, lines };
        let ready = daemon
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("keyward keyiso printed no ready line within 30 s");
        assert_eq!(
            ready,
            format!("keyward keyiso: listening on {}", socket.display())
        );
        daemon
    }

    /// Its process id (to read its memory through `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` and waits (at most 10 s) for a successful exit; returns what it printed
    /// after the ready line.
    pub fn stop_with(mut self, signal: &str) -> Vec<String> {
        let exit = signal_and_wait(&mut self.child, signal);
        assert!(exit.success(), "{exit:?}");
        self.lines.try_iter().collect()
    }
}

impl Drop for KeyisoDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The PEM bundle of the certificates of `names` in `store` (made by `openssl x509`, for
/// curl's `--cacert`), written to `dir/bundle.pem`.
pub fn certificate_bundle(store: &KeyStore, names: &[&str], dir: &Path) -> PathBuf {
    let mut pem = String::new();
    for name in names {
        let der = dir.join(format!("{name}.der"));
        std::fs::write(&der, store.certificate(name).unwrap()).unwrap();
        let output = Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&der)
            .output()
            .unwrap();
        assert!(output.status.success());
        pem.push_str(&String::from_utf8(output.stdout).unwrap());
    }
    let path = dir.join("bundle.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

/// The PEM bundle of the default certificates in `home`.
pub fn bundle(home: &Path) -> String {
    home.join("certs/localhost.pem").display().to_string()
}

/// True when `text` has a line that is `line` once trimmed.
pub fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|candidate| candidate.trim() == line)
}

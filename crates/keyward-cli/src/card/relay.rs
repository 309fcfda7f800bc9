//! The relay between the two halves of a secure key injection: how their messages travel. The
//! server (no-card mode) and the client (at the reader) exchange named messages in a fixed
//! order; nothing secret travels in the clear (challenges, cryptograms, the wrapped session key
//! and `CARD_ENCRYPTED_DATA` blobs). The messages themselves, and their decoders, are
//! keyward-card's ([`keyward_card::minidriver::relay`]).
//!
//! Two carriers: threads of one process ([`Relay::in_process`]), and a directory two
//! processes share ([`Relay::directory`]). In a directory, message `N` from the server is the
//! file `N-server-NAME` (written under a temporary name, then renamed, so a reader never sees
//! half a message); the receiver deletes each message once it has read it. A message with
//! another name than the one expected, or an `abort` message from the other half, ends the
//! injection with an error.
//!
//! The directory steers the injection, so it gets the key store's checks
//! ([`keyward_core::private_fs`]): it must be owned by the current user and not writable by
//! group or others (else the error names it and its mode); the temporary `.partial-*` file
//! is created with `O_EXCL | O_NOFOLLOW`, and messages are opened with `O_NOFOLLOW` and must
//! be regular files of the current user, so a symlink planted in the directory is never
//! followed.

// Reads untrusted bytes: no indexing, unwrap, expect or panic that could fire on them
// (tests may: clippy.toml).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use keyward_core::private_fs::{self, Contents};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Which half of the injection this end of the relay belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Half {
    /// The minidriver in no-card mode, holding the card's static keys.
    Server,
    /// The minidriver at the reader.
    Client,
}

impl Half {
    fn name(self) -> &'static str {
        match self {
            Half::Server => "server",
            Half::Client => "client",
        }
    }

    fn peer(self) -> Half {
        match self {
            Half::Server => Half::Client,
            Half::Client => Half::Server,
        }
    }
}

/// The name of the message that reports a failure to the other half.
const ABORT: &str = "abort";

/// How far apart the directory carrier looks for the next message.
const POLL: Duration = Duration::from_millis(20);

/// The largest message the directory carrier reads (they are a few hundred bytes).
const MAX_MESSAGE_LEN: u64 = 1 << 20;

enum Carrier {
    Threads {
        to_peer: Sender<(String, Vec<u8>)>,
        from_peer: Receiver<(String, Vec<u8>)>,
    },
    Directory {
        dir: PathBuf,
        sent: u32,
        received: u32,
    },
}

/// One end of the relay.
pub(super) struct Relay {
    half: Half,
    carrier: Carrier,
    wait: Duration,
}

impl Relay {
    /// Both ends of an in-process relay: (server, client).
    pub(super) fn in_process(wait: Duration) -> (Relay, Relay) {
        let (to_client, from_server) = channel();
        let (to_server, from_client) = channel();
        let server = Relay {
            half: Half::Server,
            carrier: Carrier::Threads {
                to_peer: to_client,
                from_peer: from_client,
            },
            wait,
        };
        let client = Relay {
            half: Half::Client,
            carrier: Carrier::Threads {
                to_peer: to_server,
                from_peer: from_server,
            },
            wait,
        };
        (server, client)
    }

    /// This half's end of a relay through `dir` (created, mode 0700, if missing; an existing
    /// one must be the current user's and not writable by group or others). The directory
    /// must hold no message or partial message from this half: a leftover of an earlier run
    /// would be read as this run's.
    pub(super) fn directory(half: Half, dir: &Path, wait: Duration) -> Result<Relay, String> {
        private_fs::ensure_dir(dir, true).map_err(|err| format!("relay: {err}"))?;
        let own = format!("-{}-", half.name());
        let own_partial = partial_name(half.name());
        for entry in fs::read_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))? {
            let name = entry.map_err(|err| err.to_string())?.file_name();
            let name_text = name.to_string_lossy();
            if name_text.contains(&own) || name_text == own_partial {
                return Err(format!(
                    "{}: holds {:?} from an earlier run; use an empty directory",
                    dir.display(),
                    name
                ));
            }
        }
        Ok(Relay {
            half,
            carrier: Carrier::Directory {
                dir: dir.to_path_buf(),
                sent: 0,
                received: 0,
            },
            wait,
        })
    }

    /// Sends message `name` to the other half.
    pub(super) fn send(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let (from, to) = (self.half.name(), self.half.peer().name());
        if name != ABORT {
            println!(
                "  {:<8} {from} -> {to}: {name}, {} bytes",
                "[relay]",
                bytes.len()
            );
        }
        match &mut self.carrier {
            Carrier::Threads { to_peer, .. } => to_peer
                .send((name.to_string(), bytes.to_vec()))
                .map_err(|_| format!("relay: the {to} half has stopped")),
            Carrier::Directory { dir, sent, .. } => {
                *sent += 1;
                let file = dir.join(format!("{sent:02}-{from}-{name}"));
                let partial = dir.join(partial_name(from));
                private_fs::create_new_file(&partial, bytes)
                    .map_err(|err| format!("relay: {err}"))?;
                fs::rename(&partial, &file)
                    .map_err(|err| format!("relay: {}: {err}", file.display()))
            }
        }
    }

    /// Receives the next message from the other half, which must be `name`.
    pub(super) fn receive(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let peer = self.half.peer().name();
        let (got, bytes) = match &mut self.carrier {
            Carrier::Threads { from_peer, .. } => match from_peer.recv_timeout(self.wait) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("relay: no {name} from the {peer} half in time"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("relay: the {peer} half stopped before {name}"))
                }
            },
            Carrier::Directory { dir, received, .. } => {
                let prefix = format!("{:02}-{peer}-", *received + 1);
                let deadline = Instant::now() + self.wait;
                let path = loop {
                    if let Some(path) = find_prefixed(dir, &prefix)? {
                        break path;
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "relay: no {name} from the {peer} half in {} within {} s",
                            dir.display(),
                            self.wait.as_secs()
                        ));
                    }
                    std::thread::sleep(POLL);
                };
                *received += 1;
                let got = path
                    .file_name()
                    .and_then(|file| file.to_str())
                    .and_then(|file| file.strip_prefix(&prefix))
                    .unwrap_or_default()
                    .to_string();
                let bytes = read_message(&path)?;
                fs::remove_file(&path)
                    .map_err(|err| format!("relay: {}: {err}", path.display()))?;
                (got, bytes)
            }
        };
        if got == ABORT {
            return Err(format!(
                "the {peer} half failed: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        if got != name {
            return Err(format!(
                "relay: expected {name} from the {peer} half, got {got}"
            ));
        }
        Ok(bytes)
    }

    /// Tells the other half that this one failed, so that it stops waiting.
    pub(super) fn abort(&mut self, why: &str) {
        // The other half may be gone already; this half's error is what matters.
        let _ = self.send(ABORT, why.as_bytes());
    }
}

/// The temporary name a half writes its next message under.
fn partial_name(half: &str) -> String {
    format!(".partial-{half}")
}

/// Reads a message file without following a symlink, checked as the key store checks its
/// files.
fn read_message(path: &Path) -> Result<Vec<u8>, String> {
    let file =
        private_fs::open_file(path, Contents::Public).map_err(|err| format!("relay: {err}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_MESSAGE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("relay: {}: {err}", path.display()))?;
    if bytes.len() as u64 > MAX_MESSAGE_LEN {
        return Err(format!("relay: {}: message too large", path.display()));
    }
    Ok(bytes)
}

fn find_prefixed(dir: &Path, prefix: &str) -> Result<Option<PathBuf>, String> {
    for entry in fs::read_dir(dir).map_err(|err| format!("relay: {}: {err}", dir.display()))? {
        let entry = entry.map_err(|err| err.to_string())?;
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_test_support::TempDir;

    #[test]
    fn threads_carry_messages_in_order_and_check_names() {
        let (mut server, mut client) = Relay::in_process(Duration::from_secs(5));
        server.send("one", b"1").unwrap();
        server.send("two", b"22").unwrap();
        assert_eq!(client.receive("one").unwrap(), b"1");
        assert!(client.receive("three").unwrap_err().contains("got two"));
        client.abort("card gone");
        assert!(server.receive("reply").unwrap_err().contains("card gone"));
        drop(client);
        assert!(server.receive("reply").unwrap_err().contains("stopped"));
    }

    #[test]
    fn a_directory_carries_messages_between_processes() {
        let scratch = TempDir::new("cli-relay");
        let dir = scratch.join("relay");
        let wait = Duration::from_millis(300);
        let mut server = Relay::directory(Half::Server, &dir, wait).unwrap();
        let mut client = Relay::directory(Half::Client, &dir, wait).unwrap();
        server.send("hello", b"\x00\x01").unwrap();
        client.send("reply", b"r").unwrap();
        assert_eq!(client.receive("hello").unwrap(), b"\x00\x01");
        assert_eq!(server.receive("reply").unwrap(), b"r");
        assert!(client.receive("next").unwrap_err().contains("within"));
        server.send("left", b"").unwrap();
        // A new server end refuses a directory holding a server message of an earlier run.
        let refused = Relay::directory(Half::Server, &dir, wait).err().unwrap();
        assert!(refused.contains("earlier run"), "{refused}");
        assert_eq!(client.receive("left").unwrap(), b"");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            0,
            "messages are consumed"
        );
    }

    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Issue 12 item 6: a relay directory others can write to is refused, naming its mode.
    #[test]
    fn a_directory_writable_by_others_is_refused() {
        let scratch = TempDir::new("cli-relay");
        let dir = scratch.join("mode");
        fs::create_dir_all(&dir).unwrap();
        chmod(&dir, 0o777);
        let wait = Duration::from_millis(100);
        let refused = Relay::directory(Half::Server, &dir, wait).err().unwrap();
        assert!(
            refused.contains(&dir.display().to_string()) && refused.contains("0777"),
            "{refused}"
        );
        chmod(&dir, 0o700);
        Relay::directory(Half::Server, &dir, wait).unwrap();
    }

    /// Issue 12 item 6: a planted `.partial-*` symlink is not followed, and a message that is a
    /// symlink is not read.
    #[test]
    fn symlinks_in_the_directory_are_not_followed() {
        let scratch = TempDir::new("cli-relay");
        let dir = scratch.join("links");
        let wait = Duration::from_millis(100);
        let mut server = Relay::directory(Half::Server, &dir, wait).unwrap();
        let target = scratch.join("target");
        std::os::unix::fs::symlink(&target, dir.join(".partial-server")).unwrap();
        let refused = server.send("hello", b"secret-ish").unwrap_err();
        assert!(!target.exists(), "the symlink was followed: {refused}");

        let elsewhere = scratch.join("elsewhere");
        fs::write(&elsewhere, b"planted").unwrap();
        chmod(&elsewhere, 0o600);
        std::os::unix::fs::symlink(&elsewhere, dir.join("01-client-reply")).unwrap();
        let refused = server.receive("reply").unwrap_err();
        assert!(refused.contains("symlink"), "{refused}");
        // The leftover partial message blocks a new server end until it is removed.
        let leftover = Relay::directory(Half::Server, &dir, wait).err().unwrap();
        assert!(leftover.contains("earlier run"), "{leftover}");
    }
}

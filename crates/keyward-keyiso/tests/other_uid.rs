//! A client running as another user, for real: this test binary run again under uid and gid
//! 65534 (Debian's `nobody` and `nogroup`) against a daemon running as root.
//!
//! - The default socket (0600 in a 0700 directory) cannot even be reached: `NTE_PERM`.
//! - With `socket_group` the socket is reachable by the group, and the daemon's allowlist
//!   (`SO_PEERCRED`) still refuses the other uid: `NTE_PERM`.
//! - With the group also on the allowlist, the same client is served.
//!
//! Switching users needs root, so the test is `#[ignore]`d and `scripts/test` runs it
//! explicitly (`cargo test -p keyward-keyiso --test other_uid -- --ignored`), where it fails
//! unless it runs as root.

mod common;

use common::*;
use keyward_core::backend::Curve;
use keyward_keyiso::{Allowlist, Client};
use keyward_ssl::{CipherSuite, Group, Protocol};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Debian's `nobody` user and `nogroup` group.
const OTHER_ID: u32 = 65534;
const CHILD_SOCKET: &str = "KEYISO_TEST_OTHER_UID_SOCKET";

/// Not a test of its own: what the child process runs as the other user (nothing without the
/// variable). It prints `served` or the status its connection got.
#[test]
fn other_uid_child() {
    let Some(socket) = std::env::var_os(CHILD_SOCKET) else {
        return;
    };
    let outcome = Client::connect(Path::new(&socket)).and_then(|client| {
        let suite = CipherSuite::from_id(0xC02F).unwrap();
        client.create_ephemeral_key(Protocol::Tls12, suite, Group::Ec(Curve::X25519))
    });
    match outcome {
        Ok(_) => println!("outcome: served"),
        Err(error) => println!("outcome: {}", error.status().name().unwrap_or("unnamed")),
    }
}

/// Runs `other_uid_child` as uid and gid 65534 against `socket`; returns its outcome line.
fn connect_as_other_user(socket: &Path) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "other_uid_child", "--nocapture"])
        .env(CHILD_SOCKET, socket)
        .uid(OTHER_ID)
        .gid(OTHER_ID)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("outcome: "))
        .unwrap_or_else(|| panic!("no outcome from the child: {stdout}"))
        .to_owned()
}

#[test]
#[ignore = "needs root to run a client as another user; scripts/test runs it"]
fn a_client_of_another_uid_is_refused_unless_allowed() {
    let uid = std::fs::metadata("/proc/self").unwrap().uid();
    assert_eq!(uid, 0, "this test switches users: run it as root");

    let private = start_daemon();
    // The socket's directory sits in the world-searchable temporary directory, so only the
    // socket's own modes stand between the other user and the daemon.
    assert_eq!(
        std::fs::metadata(private.run_dir.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    assert_eq!(connect_as_other_user(&private.socket()), "NTE_PERM");

    let reachable = start_daemon_with(|config| config.socket_group = Some(OTHER_ID));
    let directory = std::fs::metadata(reachable.run_dir.path()).unwrap();
    assert_eq!(
        (directory.permissions().mode() & 0o777, directory.gid()),
        (0o710, OTHER_ID)
    );
    let socket = std::fs::metadata(reachable.socket()).unwrap();
    assert_eq!(
        (socket.permissions().mode() & 0o777, socket.gid()),
        (0o660, OTHER_ID)
    );
    // Reached, and refused by SO_PEERCRED: the allowlist is the daemon's own uid.
    assert_eq!(connect_as_other_user(&reachable.socket()), "NTE_PERM");
    assert_eq!(reachable.daemon.live_handles(), 0);

    let allowed = start_daemon_with(|config| {
        config.socket_group = Some(OTHER_ID);
        config.allowlist = Allowlist {
            uids: Vec::new(),
            gids: vec![OTHER_ID],
        };
    });
    assert_eq!(connect_as_other_user(&allowed.socket()), "served");
}

//! Who is at the other end of a Unix socket (`SO_PEERCRED`), and who may be.
//!
//! This module and its four libc calls are the crate's only unsafe code (std's
//! `UnixStream::peer_cred` is not stable, std cannot send with `MSG_NOSIGNAL`, and it cannot
//! peek without blocking on a blocking socket).

// Handles what peers send: no indexing, unwrap, expect or panic that could fire on it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![allow(unsafe_code)]

use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

/// The credentials the kernel recorded for a socket's peer when it connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCredentials {
    /// The peer's process id.
    pub pid: i32,
    /// The peer's effective user id.
    pub uid: u32,
    /// The peer's effective group id.
    pub gid: u32,
}

/// The credentials of `stream`'s peer (`getsockopt(SO_PEERCRED)`).
pub fn peer_credentials(stream: &UnixStream) -> io::Result<PeerCredentials> {
    let mut credentials = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::ucred>())
        .map_err(|_| io::Error::other("ucred size"))?;
    // SAFETY: the descriptor is open for as long as `stream` is borrowed; `credentials` is a
    // live, writable `ucred` and `len` says its exact size, so the kernel writes at most that
    // many bytes into it and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut credentials as *mut libc::ucred).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if usize::try_from(len).ok() != Some(std::mem::size_of::<libc::ucred>()) {
        return Err(io::Error::other("SO_PEERCRED returned a short ucred"));
    }
    Ok(PeerCredentials {
        pid: credentials.pid,
        uid: credentials.uid,
        gid: credentials.gid,
    })
}

/// The effective user id of this process.
pub fn own_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and always succeeds.
    unsafe { libc::geteuid() }
}

/// Who may use the daemon: a peer is allowed when its uid or its gid is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowlist {
    /// Allowed user ids.
    pub uids: Vec<u32>,
    /// Allowed group ids.
    pub gids: Vec<u32>,
}

impl Allowlist {
    /// Only the daemon's own effective uid (the default).
    pub fn own_uid() -> Allowlist {
        Allowlist {
            uids: vec![own_uid()],
            gids: Vec::new(),
        }
    }

    /// True when `peer` may use the daemon.
    pub fn allows(&self, peer: &PeerCredentials) -> bool {
        self.uids.contains(&peer.uid) || self.gids.contains(&peer.gid)
    }
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist::own_uid()
    }
}

/// A writer over a Unix stream that sends with `MSG_NOSIGNAL`: writing to a daemon that went
/// away is an `EPIPE` error, not a `SIGPIPE` that kills a C program using libkeyward with the
/// signal at its default.
pub(crate) struct NoSignalWriter<'a>(pub(crate) &'a UnixStream);

impl std::io::Write for NoSignalWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: the descriptor is open for as long as the stream is borrowed, and `buf` is
        // valid for reading `buf.len()` bytes; send(2) reads no more than that.
        let sent = unsafe {
            libc::send(
                self.0.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        usize::try_from(sent).map_err(|_| std::io::Error::last_os_error())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// True when the peer has closed (or shut down its writing end of) `stream`, found without
/// blocking and whatever it sent before: poll(2) for `POLLRDHUP` with no timeout.
pub(crate) fn peer_closed(stream: &UnixStream) -> bool {
    let mut poll = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: `poll` is one valid pollfd for the call's duration, and the descriptor is open
    // for as long as the stream is borrowed; a timeout of 0 returns at once.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready != 0
        && (ready < 0 || poll.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_peer_is_seen_without_blocking() {
        let (one, other) = UnixStream::pair().unwrap();
        assert!(!peer_closed(&one));
        std::io::Write::write_all(&mut &other, b"an answer").unwrap();
        assert!(!peer_closed(&one), "data to read is not a close");
        drop(other);
        assert!(peer_closed(&one), "closed after sending");
    }

    #[test]
    fn a_socket_pair_sees_this_process() {
        let (one, _other) = UnixStream::pair().unwrap();
        let peer = peer_credentials(&one).unwrap();
        assert_eq!(peer.uid, own_uid());
        assert_eq!(peer.pid, std::process::id() as i32);
        assert!(Allowlist::own_uid().allows(&peer));
        let by_gid = Allowlist {
            uids: Vec::new(),
            gids: vec![peer.gid],
        };
        assert!(by_gid.allows(&peer));
        let nobody = Allowlist {
            uids: vec![peer.uid.wrapping_add(1)],
            gids: Vec::new(),
        };
        assert!(!nobody.allows(&peer));
    }
}

//! Files and directories only the current user controls.
//!
//! The key store (private keys, sealing keys) and the card relay directory (the messages that
//! steer a key injection) trust what they read, so they read only from places no other user
//! could have written. This module is the one place that decides; the store and the relay both
//! call it. The rules:
//!
//! - a directory must be a directory (a symlink in place of one is refused: the directories
//!   *inside* a store or relay are looked at with `lstat`; the directory the user names may be
//!   reached through a symlink, and then its target is checked), owned by the effective user,
//!   and not writable by group or others;
//! - a file is opened with `O_NOFOLLOW` (a symlink is refused) and checked on the open
//!   descriptor: a regular file, owned by the effective user, not writable by group or others,
//!   and for a secret file not readable by group or others either;
//! - a new file is created with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600, so it is never
//!   an existing file or the target of a planted symlink.
//!
//! A refusal names the path and its mode (or owner) and says how to fix it. Nothing is repaired
//! silently: a mode someone chose is theirs to change.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Mode bits that let group or others write.
const GROUP_OTHER_WRITE: u32 = 0o022;
/// Mode bits that give group or others any access.
const GROUP_OTHER_ANY: u32 = 0o077;

/// What a file holds, which decides how private it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Secret bytes (a private key, a sealing key): owner access only.
    Secret,
    /// Public bytes (a certificate, a relayed message): not writable by group or others.
    Public,
}

/// The effective user id of this process.
fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and cannot fail
    // (POSIX: "The geteuid() function shall always be successful").
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid()
    }
}

/// Checks the owner and mode of `path` described by `metadata`; `forbidden` are the mode bits
/// that must be clear.
fn check_owner_and_mode(path: &Path, metadata: &Metadata, forbidden: u32) -> io::Result<()> {
    let uid = effective_uid();
    if metadata.uid() != uid {
        return Err(refusal(format!(
            "{}: owned by uid {}, not by the current user (uid {uid})",
            path.display(),
            metadata.uid()
        )));
    }
    let mode = metadata.mode() & 0o7777;
    if mode & forbidden != 0 {
        let who = if forbidden == GROUP_OTHER_ANY {
            "accessible"
        } else {
            "writable"
        };
        return Err(refusal(format!(
            "{}: mode {mode:04o} is {who} by group or others; run chmod go-rwx on it",
            path.display()
        )));
    }
    Ok(())
}

/// Checks a directory. `path` itself may be reached through a symlink when `follow` is true
/// (the directory the user named); otherwise a symlink is refused (a directory inside one
/// the store or relay owns).
pub fn check_dir(path: &Path, follow: bool) -> io::Result<()> {
    let metadata = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    }
    .map_err(|error| with_path(path, error))?;
    if metadata.file_type().is_symlink() {
        return Err(refusal(format!(
            "{}: is a symlink; a directory is expected",
            path.display()
        )));
    }
    if !metadata.is_dir() {
        return Err(refusal(format!("{}: not a directory", path.display())));
    }
    check_owner_and_mode(path, &metadata, GROUP_OTHER_WRITE)
}

/// Creates `path` (and its missing parents) with mode 0700 if it does not exist, then checks
/// it as [`check_dir`] does.
pub fn ensure_dir(path: &Path, follow: bool) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == ErrorKind::NotFound => builder
            .create(path)
            .map_err(|error| with_path(path, error))?,
        Err(error) => return Err(with_path(path, error)),
        Ok(_) => {}
    }
    check_dir(path, follow)
}

/// Opens an existing file for reading without following a symlink, and checks it on the open
/// descriptor (so the file checked is the file read).
pub fn open_file(path: &Path, contents: Contents) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            // O_NOFOLLOW on a symlink fails with ELOOP.
            Some(libc::ELOOP) => refusal(format!(
                "{}: is a symlink; a regular file is expected",
                path.display()
            )),
            _ => with_path(path, error),
        })?;
    let metadata = file.metadata().map_err(|error| with_path(path, error))?;
    if !metadata.is_file() {
        return Err(refusal(format!("{}: not a regular file", path.display())));
    }
    let forbidden = match contents {
        Contents::Secret => GROUP_OTHER_ANY,
        Contents::Public => GROUP_OTHER_WRITE,
    };
    check_owner_and_mode(path, &metadata, forbidden)?;
    Ok(file)
}

/// Creates `path`, which must not exist (not even as a symlink), with mode 0600, writes
/// `contents` and flushes it to disk.
pub fn create_new_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|error| with_path(path, error))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|error| with_path(path, error))
}

/// An error that names `path`, keeping the kind of `error`.
fn with_path(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

fn refusal(message: String) -> io::Error {
    io::Error::new(ErrorKind::PermissionDenied, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_test_support::TempDir;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn directories_writable_by_others_are_refused() {
        let dir = TempDir::new("dir-mode");
        for mode in [0o777, 0o770, 0o702, 0o1777] {
            chmod(&dir, mode);
            let error = check_dir(&dir, true).unwrap_err().to_string();
            assert!(error.contains(&dir.display().to_string()), "{error}");
            assert!(error.contains(&format!("{mode:04o}")), "{error}");
        }
        for mode in [0o700, 0o750, 0o755] {
            chmod(&dir, mode);
            check_dir(&dir, true).unwrap();
        }
    }

    #[test]
    fn symlinked_directories_are_refused_inside() {
        let dir = TempDir::new("dir-link");
        let real = dir.join("real");
        ensure_dir(&real, false).unwrap();
        let link = dir.join("link");
        symlink(&real, &link).unwrap();
        let error = check_dir(&link, false).unwrap_err().to_string();
        assert!(error.contains("symlink"), "{error}");
        assert!(ensure_dir(&link, false).is_err());
        check_dir(&link, true).unwrap();
    }

    #[test]
    fn files_are_checked_on_the_descriptor() {
        let dir = TempDir::new("files");
        let path = dir.join("secret");
        create_new_file(&path, b"k").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        open_file(&path, Contents::Secret).unwrap();
        // create_new_file never replaces a file.
        assert_eq!(
            create_new_file(&path, b"x").unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        chmod(&path, 0o640);
        let error = open_file(&path, Contents::Secret).unwrap_err().to_string();
        assert!(error.contains("0640"), "{error}");
        open_file(&path, Contents::Public).unwrap();
        chmod(&path, 0o620);
        let error = open_file(&path, Contents::Public).unwrap_err().to_string();
        assert!(
            error.contains("0620") && error.contains("secret"),
            "{error}"
        );

        let link = dir.join("link");
        chmod(&path, 0o600);
        symlink(&path, &link).unwrap();
        let error = open_file(&link, Contents::Secret).unwrap_err().to_string();
        assert!(error.contains("symlink"), "{error}");
        // A planted symlink is not followed when creating either.
        let target = dir.join("target");
        let planted = dir.join("planted");
        symlink(&target, &planted).unwrap();
        assert!(create_new_file(&planted, b"x").is_err());
        assert!(!target.exists());
        // Directories are not files.
        assert!(open_file(&dir, Contents::Public).is_err());
    }
}

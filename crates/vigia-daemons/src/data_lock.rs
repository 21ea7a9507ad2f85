//! One daemon per data folder: every daemon holds an exclusive lock on `DATA/lock` for its
//! whole life, and a second one started on the same folder refuses to start.
//!
//! Two daemons on one folder would share its files without knowing it: two receivers would
//! deliver (and remove) the same queued batches, two brokers write one monitoring log, two
//! schedulers fight over one retention file. The lock is `flock(2)`: the kernel releases it when
//! the process dies, however it dies, so a daemon killed with -9 never leaves a stale lock
//! behind (the file stays, its content is only a hint). The holder writes its pid, role and
//! name into the file so the refusal can say who holds the folder. Locks are per open file, so
//! two daemons run in one process (tests) are kept apart too.
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use vigia_config::model::Role;

/// The lock file's name in a data folder.
pub const LOCK_FILE: &str = "lock";

/// A held lock on a data folder; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Creates `data` if needed and locks it for this daemon; refuses (naming the folder and, when
/// it wrote it, the pid of the holder) when another daemon holds it.
pub fn lock(data: &Path, role: Role, name: &str) -> anyhow::Result<DataLock> {
    std::fs::create_dir_all(data)
        .map_err(|e| anyhow::anyhow!("cannot create the data folder {}: {e}", data.display()))?;
    let path = data.join(LOCK_FILE);
    let open_error = |e: io::Error| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display());
    // Not truncated at open: the content is the holder's until the lock is ours.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(open_error)?;
    if !try_lock(&file).map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", path.display()))? {
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        anyhow::bail!(
            "the data folder {} is in use by {}: two daemons on one folder would share its files; \
             give each daemon its own --data folder (or stop the other one)",
            data.display(),
            holder(&text)
        );
    }
    let mine = format!("{} {} {name}\n", std::process::id(), role.name());
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(mine.as_bytes()));
    if let Err(e) = written {
        // The lock holds anyway; only the hint for a second daemon is missing.
        tracing::warn!("cannot write the lock file {}: {e}", path.display());
    }
    Ok(DataLock { _file: file, path })
}

/// `true` when the exclusive lock was taken, `false` when another open file holds it.
fn try_lock(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: flock on a file descriptor this `File` owns and keeps open; no memory is
        // passed.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// Who holds the lock, from what it wrote: `PID ROLE NAME`.
fn holder(text: &str) -> String {
    let mut words = text.split_whitespace();
    match (
        words.next().and_then(|p| p.parse::<u32>().ok()),
        words.next(),
        words.next(),
    ) {
        (Some(pid), Some(role), Some(name)) => format!("another Vigia daemon ({role} {name}, pid {pid})"),
        (Some(pid), _, _) => format!("another Vigia daemon (pid {pid})"),
        _ => "another Vigia daemon".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("receiver");
        let first = lock(&data, Role::Receiver, "receiver-master").unwrap();
        let e = lock(&data, Role::Receiver, "receiver-other").unwrap_err().to_string();
        assert!(e.contains(&data.display().to_string()), "{e}");
        assert!(
            e.contains(&format!("receiver receiver-master, pid {}", std::process::id())),
            "{e}"
        );
        // Another folder is free.
        let other = lock(&dir.path().join("broker"), Role::Broker, "broker-master").unwrap();
        drop(first);
        let again = lock(&data, Role::Receiver, "receiver-other").unwrap();
        let text = std::fs::read_to_string(again.path()).unwrap();
        assert_eq!(text, format!("{} receiver receiver-other\n", std::process::id()));
        drop(other);
    }

    #[test]
    fn the_holder_is_described_from_what_it_wrote() {
        assert_eq!(
            holder("42 scheduler s1\n"),
            "another Vigia daemon (scheduler s1, pid 42)"
        );
        assert_eq!(holder("42"), "another Vigia daemon (pid 42)");
        assert_eq!(holder(""), "another Vigia daemon");
    }
}

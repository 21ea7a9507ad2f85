//! The receiver's disk queue: a command stays in `DATA/queue/` until its scheduler has accepted
//! it, so a scheduler that is down, or a receiver that restarts, loses nothing.
//!
//! One folder per target scheduler (`s-NAME`, the name escaped), plus `unrouted` for commands
//! read from the command pipe before the receiver knew who owns what. A folder holds one file
//! per batch, named by a number that only grows (so names sort in arrival order), one command a
//! line. A batch is written durably ([`crate::durable::write`]): after a crash it is wholly
//! there or not at all. Delivery removes a batch only after the scheduler answered, so a crash
//! in between delivers it twice rather than never.
//!
//! Batch numbers only grow, across restarts too: schedulers recognise a batch delivered twice
//! by its number, so a number reused would be taken as already applied and the batch dropped.
//! The highest number that may have been used is kept in `batch-numbers` (reserved [`RESERVE`]
//! at a time, so one durable write per that many batches); a restart starts above it, above
//! what is queued, and above the wall clock in microseconds (how numbers were seeded before the
//! file existed). A clock stepped back therefore changes nothing.
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::durable;

/// Which folder of the queue.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Scheduler(String),
    /// Received before any assignment: routed when one comes.
    Unrouted,
}

/// Queued lines from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub id: u64,
    pub path: PathBuf,
    pub lines: Vec<String>,
}

pub struct DiskQueue {
    root: PathBuf,
    numbers: Mutex<Numbers>,
}

/// The batch numbering: the next number, and the reservation on disk (numbers below it may be
/// used without writing the file).
struct Numbers {
    next: u64,
    reserved: u64,
}

const UNROUTED: &str = "unrouted";
/// The file, in the queue's folder, holding the end of the batch numbers reserved.
pub const NUMBERS_FILE: &str = "batch-numbers";
/// Batch numbers reserved per write of [`NUMBERS_FILE`].
pub const RESERVE: u64 = 1000;

/// A scheduler name as a folder name: letters, digits, `.`, `_`, `-` kept, anything else
/// `%XX`, so that any name maps to one folder and back.
fn folder_name(target: &Target) -> String {
    match target {
        Target::Unrouted => UNROUTED.to_string(),
        Target::Scheduler(name) => {
            let mut out = String::from("s-");
            for b in name.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
    }
}

fn target_of(folder: &str) -> Option<Target> {
    if folder == UNROUTED {
        return Some(Target::Unrouted);
    }
    let escaped = folder.strip_prefix("s-")?;
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = escaped.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Target::Scheduler)
}

/// The end of the numbers reserved by earlier runs (0: none, the file is not there yet). A
/// damaged file (which a durable write never leaves) falls back to the clock and the queue, as
/// before the file existed, with a warning.
fn read_reserved(path: &Path) -> io::Result<u64> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io::Error::new(e.kind(), format!("reading {}: {e}", path.display()))),
    };
    match text.trim().parse() {
        Ok(n) => Ok(n),
        Err(_) => {
            tracing::warn!(
                "{} is damaged ({:?}): batch numbers start from the clock and the queue",
                path.display(),
                text.trim()
            );
            Ok(0)
        }
    }
}

/// Batch files of a folder, oldest first (leftover `.tmp` files are not batches).
fn batch_files(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(id) = name.to_str().and_then(|n| n.parse::<u64>().ok()) {
            out.push((id, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

impl DiskQueue {
    /// Opens (or creates) the queue; removes batches half-written by a crash.
    pub fn open(root: &Path) -> io::Result<DiskQueue> {
        DiskQueue::open_at(root, SystemTime::now())
    }

    /// As [`DiskQueue::open`], with the wall clock's reading given (tests step it back).
    pub fn open_at(root: &Path, now: SystemTime) -> io::Result<DiskQueue> {
        fs::create_dir_all(root)?;
        let clock = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        let mut next = clock.max(read_reserved(&root.join(NUMBERS_FILE))?);
        for entry in fs::read_dir(root)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(entry.path())? {
                let file = file?;
                let name = file.file_name();
                let name = name.to_string_lossy();
                if name.ends_with(".tmp") {
                    tracing::warn!(
                        "removing {}, a command batch half-written before a crash",
                        file.path().display()
                    );
                    fs::remove_file(file.path())?;
                } else if let Ok(id) = name.parse::<u64>() {
                    next = next.max(id + 1);
                }
            }
        }
        Ok(DiskQueue {
            root: root.to_path_buf(),
            // Nothing reserved by this run yet: the first push writes the file.
            numbers: Mutex::new(Numbers { next, reserved: 0 }),
        })
    }

    /// The next batch number, reserved on disk before it is used.
    fn take_number(&self, numbers: &mut Numbers) -> io::Result<u64> {
        let id = numbers.next;
        if id >= numbers.reserved {
            let reserved = id.saturating_add(RESERVE);
            durable::write(&self.root.join(NUMBERS_FILE), format!("{reserved}\n").as_bytes())?;
            numbers.reserved = reserved;
        }
        numbers.next = id + 1;
        Ok(id)
    }

    fn dir(&self, target: &Target) -> PathBuf {
        self.root.join(folder_name(target))
    }

    /// Appends a batch, on disk before this returns; its number (`None` for no line).
    pub fn push(&self, target: &Target, lines: &[String]) -> io::Result<Option<u64>> {
        if lines.is_empty() {
            return Ok(None);
        }
        let dir = self.dir(target);
        fs::create_dir_all(&dir)?;
        // The lock orders batches: a later push always gets a later number and is renamed
        // into place after.
        let mut numbers = self.numbers.lock().unwrap_or_else(|e| e.into_inner());
        let id = self.take_number(&mut numbers)?;
        let mut text = lines.join("\n");
        text.push('\n');
        durable::write(&dir.join(format!("{id:020}")), text.as_bytes())?;
        Ok(Some(id))
    }

    /// Appends one batch per scheduler; each scheduler's batch number.
    pub fn push_routed(&self, routed: &BTreeMap<String, Vec<String>>) -> io::Result<Vec<(String, u64)>> {
        let mut ids = Vec::with_capacity(routed.len());
        for (name, lines) in routed {
            if let Some(id) = self.push(&Target::Scheduler(name.clone()), lines)? {
                ids.push((name.clone(), id));
            }
        }
        Ok(ids)
    }

    /// The oldest batches of a target, whole, up to about `max_lines` lines (at least one batch
    /// when there is one).
    pub fn batches(&self, target: &Target, max_lines: usize) -> io::Result<Vec<Batch>> {
        self.batches_after(target, 0, max_lines)
    }

    /// As [`DiskQueue::batches`], from the first batch numbered above `after` (those up to it
    /// are delivered and wait for their scheduler's spares).
    pub fn batches_after(&self, target: &Target, after: u64, max_lines: usize) -> io::Result<Vec<Batch>> {
        let mut out = Vec::new();
        let mut count = 0;
        for (id, path) in batch_files(&self.dir(target))? {
            if id <= after {
                continue;
            }
            if !out.is_empty() && count >= max_lines {
                break;
            }
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                // Removed meanwhile (delivered by a task that was just replaced).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let lines: Vec<String> = String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
            count += lines.len();
            out.push(Batch { id, path, lines });
        }
        Ok(out)
    }

    /// Removes delivered batches.
    pub fn remove(&self, batches: &[Batch]) -> io::Result<()> {
        let mut dirs = Vec::new();
        for b in batches {
            match fs::remove_file(&b.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if let Some(dir) = b.path.parent() {
                if !dirs.iter().any(|d: &PathBuf| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
        for dir in dirs {
            durable::sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Targets that have a folder (possibly empty).
    pub fn targets(&self) -> io::Result<Vec<Target>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                if let Some(t) = entry.file_name().to_str().and_then(target_of) {
                    out.push(t);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Queued lines per target (non-empty targets only).
    pub fn counts(&self) -> io::Result<BTreeMap<String, usize>> {
        let mut out = BTreeMap::new();
        for target in self.targets()? {
            let n: usize = self.batches(&target, usize::MAX)?.iter().map(|b| b.lines.len()).sum();
            if n > 0 {
                let name = match target {
                    Target::Scheduler(s) => s,
                    Target::Unrouted => String::from("(unrouted)"),
                };
                out.insert(name, n);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Target {
        Target::Scheduler(name.into())
    }

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn folder_names_round_trip() {
        for name in ["scheduler-master", "a b/c%d", "é", "..", ""] {
            let t = s(name);
            let folder = folder_name(&t);
            assert!(
                folder
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-%".contains(&b)),
                "{folder}"
            );
            assert_eq!(target_of(&folder), Some(t));
        }
        assert_eq!(target_of("unrouted"), Some(Target::Unrouted));
        assert_eq!(target_of("s-%G1"), None);
        assert_eq!(target_of("other"), None);
    }

    const T: u64 = 1_900_000_000;

    fn at(seconds: u64) -> SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds)
    }

    /// A receiver restarted with its clock set back an hour, its queue empty, still numbers
    /// above every batch it numbered before (the schedulers would drop them as applied).
    #[test]
    fn numbers_keep_growing_across_a_restart_with_the_clock_set_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let q = DiskQueue::open_at(dir.path(), at(T)).unwrap();
            let id = q.push(&s("s1"), &lines(&["[1] A"])).unwrap().unwrap();
            let b = q.batches(&s("s1"), 100).unwrap();
            q.remove(&b).unwrap();
            id
        };
        assert_eq!(first, T * 1_000_000);
        let reserved = fs::read_to_string(dir.path().join(NUMBERS_FILE)).unwrap();
        assert_eq!(reserved, format!("{}\n", first + RESERVE));
        let q = DiskQueue::open_at(dir.path(), at(T - 3600)).unwrap();
        let second = q.push(&s("s1"), &lines(&["[2] B"])).unwrap().unwrap();
        assert_eq!(second, first + RESERVE);
        // Within the reservation, no write; past it, the next reservation.
        for _ in 1..RESERVE {
            q.numbers.lock().unwrap().next += 1;
        }
        let third = q.push(&s("s1"), &lines(&["[3] C"])).unwrap().unwrap();
        assert_eq!(third, second + RESERVE);
        let reserved = fs::read_to_string(dir.path().join(NUMBERS_FILE)).unwrap();
        assert_eq!(reserved, format!("{}\n", third + RESERVE));
    }

    #[test]
    fn numbers_start_above_the_clock_and_a_damaged_reservation_falls_back_to_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(NUMBERS_FILE), "garbage").unwrap();
        let q = DiskQueue::open_at(dir.path(), at(T)).unwrap();
        assert_eq!(q.push(&s("s1"), &lines(&["[1] A"])).unwrap(), Some(T * 1_000_000));
        // The clock ahead of the reservation wins.
        drop(q);
        let q = DiskQueue::open_at(dir.path(), at(T + 1)).unwrap();
        assert_eq!(q.push(&s("s1"), &lines(&["[2] B"])).unwrap(), Some((T + 1) * 1_000_000));
        // The file is not a target.
        assert_eq!(q.targets().unwrap(), vec![s("s1")]);
    }

    #[test]
    fn survives_a_restart_in_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let q = DiskQueue::open(dir.path()).unwrap();
            q.push(&s("s1"), &lines(&["[1] A", "[1] B"])).unwrap();
            q.push(&s("s2"), &lines(&["[2] C"])).unwrap();
            q.push(&s("s1"), &lines(&["[3] D"])).unwrap();
            q.push(&Target::Unrouted, &lines(&["[4] E"])).unwrap();
        }
        // A batch half-written when the receiver died.
        fs::write(dir.path().join("s-s1/00000000000000000099.tmp"), "[9] PARTIAL").unwrap();
        let q = DiskQueue::open(dir.path()).unwrap();
        assert!(!dir.path().join("s-s1/00000000000000000099.tmp").exists());
        assert_eq!(q.targets().unwrap(), vec![s("s1"), s("s2"), Target::Unrouted]);
        let b = q.batches(&s("s1"), 100).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].lines, lines(&["[1] A", "[1] B"]));
        assert_eq!(b[1].lines, lines(&["[3] D"]));
        assert!(b[0].id < b[1].id);
        // New batches come after the old ones.
        q.push(&s("s1"), &lines(&["[5] F"])).unwrap();
        let b = q.batches(&s("s1"), 100).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[2].lines, lines(&["[5] F"]));
        assert_eq!(q.counts().unwrap()["s1"], 4);
        // Whole batches up to the limit, at least one.
        assert_eq!(q.batches(&s("s1"), 1).unwrap().len(), 1);
        assert_eq!(q.batches(&s("s1"), 2).unwrap().len(), 1);
        assert_eq!(q.batches(&s("s1"), 3).unwrap().len(), 2);
        let all = q.batches(&s("s1"), 100).unwrap();
        let after_first = q.batches_after(&s("s1"), all[0].id, 100).unwrap();
        assert_eq!(after_first, all[1..].to_vec());
        assert!(q
            .batches_after(&s("s1"), all[all.len() - 1].id, 100)
            .unwrap()
            .is_empty());
        q.remove(&b[..2]).unwrap();
        let q = DiskQueue::open(dir.path()).unwrap();
        assert_eq!(q.batches(&s("s1"), 100).unwrap()[0].lines, lines(&["[5] F"]));
        assert_eq!(q.counts().unwrap().get("s2"), Some(&1));
        assert!(q.batches(&s("nobody"), 100).unwrap().is_empty());
    }
}

//! The receiver's disk queue: a command stays in `DATA/queue/` until its scheduler has accepted
//! it, so a scheduler that is down, or a receiver that restarts, loses nothing.
//!
//! One folder per target scheduler (`s-NAME`, the name escaped), plus `unrouted` for commands
//! read from the command pipe before the receiver knew who owns what. A folder holds one file
//! per batch, named by a number that only grows (so names sort in arrival order), one command a
//! line. A batch is written to a `.tmp` file, synced, renamed and the folder synced: after a
//! crash it is wholly there or not at all. Delivery removes a batch only after the scheduler
//! answered, so a crash in between delivers it twice rather than never.
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    next: Mutex<u64>,
}

const UNROUTED: &str = "unrouted";

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

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
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
        fs::create_dir_all(root)?;
        // Batch numbers only grow, even across an empty queue and a restart: schedulers
        // recognise a batch delivered twice by its number. Microseconds since the epoch
        // start above anything numbered before.
        let mut next = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
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
            next: Mutex::new(next),
        })
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
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let id = *next;
        *next += 1;
        let name = format!("{id:020}");
        let tmp = dir.join(format!("{name}.tmp"));
        let mut text = lines.join("\n");
        text.push('\n');
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(&name))?;
        sync_dir(&dir)?;
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
            sync_dir(&dir)?;
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

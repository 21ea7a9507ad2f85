//! Writing a file so that it survives a crash (power cut, kernel panic, kill -9) whole: the old
//! content or the new one, never an empty or half-written file.
//!
//! `rename` alone is not enough: without an fsync of the file first, a crash can leave the new
//! name pointing at data never written (an empty file after reboot on several file systems);
//! without an fsync of the folder after, the rename itself can be lost. Every file a daemon
//! must find again after a crash (the arbiter's generations, the receiver's queued batches and
//! batch numbers, the broker's HA-log marker) is written with [`write`].
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `path` with `.tmp` added to its name: where [`write`] puts the new content first (in the
/// same folder, so the rename stays within one file system). A leftover one is a write cut
/// short by a crash, never a valid file.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` durably: written to [`temp_path`], synced, renamed over `path`,
/// then the folder synced. When this returns `Ok`, the new content is on disk; an error names
/// the file and the step that failed.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let step = |what: &str, e: io::Error| io::Error::new(e.kind(), format!("{what} {}: {e}", tmp.display()));
    let mut f = File::create(&tmp).map_err(|e| step("creating", e))?;
    f.write_all(bytes).map_err(|e| step("writing", e))?;
    f.sync_all().map_err(|e| step("syncing", e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("renaming {} to {}: {e}", tmp.display(), path.display()),
        )
    })?;
    sync_dir(parent(path))
}

/// Creates `path` with `bytes` and permissions `mode`, refusing to replace an existing file
/// (a secret, a key), durably: the file synced, then its folder.
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let step = |what: &str, e: io::Error| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| step("creating", e))?;
    f.write_all(bytes).map_err(|e| step("writing", e))?;
    f.sync_all().map_err(|e| step("syncing", e))?;
    sync_dir(parent(path))
}

/// Makes the folder's entries (files created, renamed or removed in it) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io::Error::new(e.kind(), format!("syncing folder {}: {e}", dir.display())))
}

/// The folder holding `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("counters.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["counters.json"]);
    }

    #[test]
    fn a_leftover_temp_file_from_a_crash_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n");
        std::fs::write(temp_path(&path), b"half-writ").unwrap();
        write(&path, b"7").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"7");
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn an_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("f");
        let e = write(&path, b"x").unwrap_err();
        assert!(e.to_string().contains("no-such-folder"), "{e}");
    }

    #[test]
    fn temp_path_is_beside_the_file() {
        assert_eq!(temp_path(Path::new("/d/a.json")), Path::new("/d/a.json.tmp"));
        assert_eq!(parent(Path::new("a")), Path::new("."));
    }
}

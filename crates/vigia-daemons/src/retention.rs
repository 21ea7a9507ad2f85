//! The scheduler's state on disk: one redb file, `DATA/retention.redb`, holding the engine's
//! last snapshot as JSON under a versioned key.
//!
//! Unlike Alignak (architecture notes §7.7: saved hourly at best, and not at all after a crash),
//! the scheduler saves every few seconds when something changed, and on stop. redb commits are
//! atomic and synced (and the folder is synced once the file exists), so a crash mid-save
//! leaves the previous snapshot. A file that cannot be read is moved aside and a fresh one
//! started: monitoring from scratch beats not monitoring.
use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, TableDefinition};
use vigia_engine::retention::{Retention, RETENTION_VERSION};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("retention");

/// The key of the engine snapshot: a snapshot of another format version is simply not found
/// (and left alone for a downgrade).
pub fn snapshot_key() -> String {
    format!("engine-snapshot/v{RETENTION_VERSION}")
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("retention file {path}: {detail}")]
    Storage { path: PathBuf, detail: String },
    #[error("retention file {path}: another process has it open")]
    Busy { path: PathBuf },
    #[error("retention file {path}: unreadable snapshot: {detail}")]
    Decode { path: PathBuf, detail: String },
}

/// An open retention file.
pub struct RetentionStore {
    db: Database,
    path: PathBuf,
}

impl RetentionStore {
    /// Opens or creates `path`. A damaged file is renamed `NAME.corrupt-EPOCH` (kept for a
    /// post-mortem) and replaced by an empty one.
    pub fn open(path: &Path) -> Result<RetentionStore, RetentionError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| storage(path, e))?;
        }
        match create(path) {
            Ok(db) => {
                sync_parent(path);
                return Ok(RetentionStore {
                    db,
                    path: path.to_path_buf(),
                });
            }
            Err(Opened::Busy) => {
                return Err(RetentionError::Busy {
                    path: path.to_path_buf(),
                })
            }
            Err(Opened::Other(detail)) => {
                let aside = path.with_extension(format!("redb.corrupt-{}", crate::daemon::now()));
                tracing::warn!(
                    "retention file {} is unreadable ({detail}): moved to {} and starting with no retained state",
                    path.display(),
                    aside.display()
                );
                std::fs::rename(path, &aside).map_err(|e| storage(path, e))?;
            }
        }
        match create(path) {
            Ok(db) => {
                sync_parent(path);
                Ok(RetentionStore {
                    db,
                    path: path.to_path_buf(),
                })
            }
            Err(Opened::Busy) => Err(RetentionError::Busy {
                path: path.to_path_buf(),
            }),
            Err(Opened::Other(detail)) => Err(RetentionError::Storage {
                path: path.to_path_buf(),
                detail,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a snapshot already serialized with [`encode`] (the scheduler serializes outside
    /// its lock). Atomic: readers see the old snapshot or the new one.
    pub fn save_bytes(&self, bytes: &[u8]) -> Result<(), RetentionError> {
        let key = snapshot_key();
        let tx = self.db.begin_write().map_err(|e| storage(&self.path, e))?;
        {
            let mut table = tx.open_table(TABLE).map_err(|e| storage(&self.path, e))?;
            table.insert(key.as_str(), bytes).map_err(|e| storage(&self.path, e))?;
        }
        tx.commit().map_err(|e| storage(&self.path, e))
    }

    pub fn save(&self, snapshot: &Retention) -> Result<(), RetentionError> {
        let bytes = encode(snapshot).map_err(|detail| RetentionError::Decode {
            path: self.path.clone(),
            detail,
        })?;
        self.save_bytes(&bytes)
    }

    /// The saved snapshot, if any.
    pub fn load(&self) -> Result<Option<Retention>, RetentionError> {
        let tx = self.db.begin_read().map_err(|e| storage(&self.path, e))?;
        let table = match tx.open_table(TABLE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(storage(&self.path, e)),
        };
        let Some(value) = table.get(snapshot_key().as_str()).map_err(|e| storage(&self.path, e))? else {
            return Ok(None);
        };
        serde_json::from_slice(value.value())
            .map(Some)
            .map_err(|e| RetentionError::Decode {
                path: self.path.clone(),
                detail: e.to_string(),
            })
    }
}

/// A snapshot as stored.
pub fn encode(snapshot: &Retention) -> Result<Vec<u8>, String> {
    serde_json::to_vec(snapshot).map_err(|e| e.to_string())
}

enum Opened {
    Busy,
    Other(String),
}

const CACHE_BYTES: usize = 1 << 20;

/// `Database::create`, with a panic inside redb (a damaged file it did not expect) turned into an
/// error: a bad file must never take the scheduler down.
fn create(path: &Path) -> Result<Database, Opened> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // One document, rewritten whole every few seconds: a page cache gains nothing and
        // redb's default (up to 1 GiB) kept several copies of it resident.
        Database::builder().set_cache_size(CACHE_BYTES).create(path)
    }));
    match result {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(DatabaseError::DatabaseAlreadyOpen)) => Err(Opened::Busy),
        Ok(Err(e)) => Err(Opened::Other(e.to_string())),
        Err(_) => Err(Opened::Other("the storage library panicked while opening it".into())),
    }
}

/// redb syncs what it commits, not the folder entry of a file it just created: without this a
/// crash soon after the first start could lose the file, and every snapshot saved in it.
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = crate::durable::sync_dir(dir) {
            tracing::warn!("retention file {}: {e}", path.display());
        }
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> RetentionError {
    RetentionError::Storage {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const CONFIG: &str = "define command {\n command_name check\n command_line /bin/true\n}\n\
define host {\n host_name h1\n check_command check\n check_interval 5\n}\n\
define service {\n host_name h1\n service_description s\n check_command check\n check_interval 5\n retry_interval 1\n max_check_attempts 3\n}\n";

    fn engine(dir: &Path) -> vigia_engine::Engine {
        let path = dir.join("main.cfg");
        std::fs::write(&path, CONFIG).expect("write config");
        let config = vigia_config::load(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items));
        vigia_engine::Engine::new(Arc::new(config), None, 1_704_067_200, jiff::tz::TimeZone::UTC, 0)
    }

    #[test]
    fn snapshot_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut e = engine(dir.path());
        let svc = e.find_service("h1", "s").expect("service");
        e.advance(1_704_067_200 + 400);
        e.submit(vigia_engine::CheckResult {
            action: 0,
            item: vigia_engine::Item::Service(svc),
            exit_code: 2,
            output: "CRITICAL - down".into(),
            long_output: String::new(),
            perfdata: String::new(),
            start: 0.0,
            end: 0.0,
            scheduled: 0.0,
        });
        let snapshot = e.snapshot();
        let path = dir.path().join("data/retention.redb");
        {
            let store = RetentionStore::open(&path).expect("open");
            assert!(store.load().expect("load empty").is_none());
            store.save(&snapshot).expect("save");
        }
        // Reopened (as after a restart): the same document comes back and restores.
        let store = RetentionStore::open(&path).expect("reopen");
        let loaded = store.load().expect("load").expect("a snapshot");
        assert_eq!(loaded, snapshot);
        let mut fresh = engine(dir.path());
        fresh.restore(loaded).expect("restore");
        assert_eq!(fresh.status(vigia_engine::Item::Service(svc)).state, 2);
        assert_eq!(fresh.status(vigia_engine::Item::Service(svc)).output, "CRITICAL - down");
    }

    #[test]
    fn a_damaged_file_is_moved_aside_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("retention.redb");
        std::fs::write(
            &path,
            b"this is not a redb file, just some bytes that look nothing like one",
        )
        .expect("w");
        let store = RetentionStore::open(&path).expect("a fresh store");
        assert!(store.load().expect("load").is_none());
        let moved = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains("corrupt"));
        assert!(moved, "the damaged file is kept aside");
    }

    #[test]
    fn an_unreadable_snapshot_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = RetentionStore::open(&dir.path().join("retention.redb")).expect("open");
        store.save_bytes(b"{not json").expect("save");
        assert!(matches!(store.load(), Err(RetentionError::Decode { .. })));
    }
}

//! The monitoring log, `DATA/vigia.log`, in Nagios's format: `[epoch] LINE`, one event a line,
//! exactly as the schedulers' Log broks carry them, so Nagios log tools read it.
//!
//! Lines are written as soon as they arrive (one `write` per batch, no user-space buffer), so a
//! reader tailing the file sees them at once. At the first write or check after local midnight,
//! the file is moved to `DATA/archives/vigia-YYYY-MM-DD.log` (the day it covers) and a new one
//! starts with `LOG ROTATION: DAILY`, `LOG VERSION: 2.0` and the current state of every object,
//! as Nagios does. Dates are passed in, so rotation is tested without waiting for midnight.
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;

/// The open log file and the local day it covers.
pub struct MonitoringLog {
    path: PathBuf,
    archives: PathBuf,
    file: Option<File>,
    day: Date,
}

/// Today's local date.
/// The lines of the log files that may hold `from..=to` (the archived days around it, then the
/// current file), each with its line number in its file.
pub fn lines_between(data: &Path, from: i64, to: i64) -> Vec<(usize, String)> {
    let tz = jiff::tz::TimeZone::system();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(data.join("archives"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let day = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("vigia-")?.strip_suffix(".log"))
                .and_then(|d| d.parse::<jiff::civil::Date>().ok());
            let Some(day) = day else { return false };
            let start = tz
                .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .map_or(i64::MIN, |t| t.as_second());
            // A day lasts at most 25 hours (a change of time).
            start <= to && start.saturating_add(25 * 3600) >= from
        })
        .collect();
    files.sort();
    files.push(data.join("vigia.log"));
    let mut lines = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        lines.extend(text.lines().enumerate().map(|(n, l)| (n + 1, l.to_string())));
    }
    lines
}

pub fn local_today() -> Date {
    jiff::tz::TimeZone::system().to_datetime(jiff::Timestamp::now()).date()
}

impl MonitoringLog {
    /// Opens (or creates) `data/vigia.log`. A file left from an earlier day is archived first.
    pub fn open(
        data: &Path,
        today: Date,
        now: i64,
        current: impl FnOnce() -> Vec<String>,
    ) -> io::Result<MonitoringLog> {
        let path = data.join("vigia.log");
        let archives = data.join("archives");
        fs::create_dir_all(&archives)?;
        let day = match fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(mtime) => jiff::Timestamp::try_from(mtime)
                .map(|t| jiff::tz::TimeZone::system().to_datetime(t).date())
                .unwrap_or(today),
            Err(_) => today,
        };
        let mut log = MonitoringLog {
            path,
            archives,
            file: None,
            day,
        };
        log.rotate_if_due(today, now, current)?;
        log.file()?;
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The local day the current file covers.
    pub fn day(&self) -> Date {
        self.day
    }

    fn file(&mut self) -> io::Result<&mut File> {
        match self.file {
            Some(ref mut f) => Ok(f),
            None => {
                let f = OpenOptions::new().create(true).append(true).open(&self.path)?;
                Ok(self.file.insert(f))
            }
        }
    }

    /// Appends lines (each gets its newline; a line break inside one is escaped so that one
    /// line stays one event), after rotating if the day changed.
    pub fn write(
        &mut self,
        lines: &[String],
        today: Date,
        now: i64,
        current: impl FnOnce() -> Vec<String>,
    ) -> io::Result<()> {
        self.rotate_if_due(today, now, current)?;
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            let line = line.trim_end_matches(['\n', '\r']);
            if line.contains('\n') {
                text.push_str(&line.replace('\r', "").replace('\n', "\\n"));
            } else {
                text.push_str(line);
            }
            text.push('\n');
        }
        let result = self.file()?.write_all(text.as_bytes());
        if result.is_err() {
            // Reopen at the next write (the file may have been removed or the disk filled).
            self.file = None;
        }
        result
    }

    /// Archives the file if `today` is a later day than the one it covers. Returns whether it
    /// rotated. `current` gives the `CURRENT … STATE` lines for the new file.
    pub fn rotate_if_due(&mut self, today: Date, now: i64, current: impl FnOnce() -> Vec<String>) -> io::Result<bool> {
        if today <= self.day {
            return Ok(false);
        }
        if let Some(f) = self.file.take() {
            let _ = f.sync_all();
        }
        let archive = self.archives.join(format!("vigia-{}.log", self.day));
        if self.path.exists() {
            if archive.exists() {
                // Same day archived before (a restart around midnight): append, never overwrite.
                let text = fs::read(&self.path)?;
                let mut out = OpenOptions::new().append(true).open(&archive)?;
                out.write_all(&text)?;
                out.sync_all()?;
                fs::remove_file(&self.path)?;
            } else {
                fs::rename(&self.path, &archive)?;
            }
        }
        tracing::info!("monitoring log of {} archived to {}", self.day, archive.display());
        self.day = today;
        let mut header = vec![
            format!("[{now}] LOG ROTATION: DAILY"),
            format!("[{now}] LOG VERSION: 2.0"),
        ];
        header.extend(current());
        let mut text = header.join("\n");
        text.push('\n');
        self.file()?.write_all(text.as_bytes())?;
        Ok(true)
    }

    /// Writes to disk what the kernel holds (at stop).
    pub fn sync(&mut self) -> io::Result<()> {
        match self.file {
            Some(ref f) => f.sync_all(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn writes_lines_and_rotates_at_day_change() {
        let dir = tempfile::tempdir().unwrap();
        let d1 = date("2024-03-09");
        let mut log = MonitoringLog::open(dir.path(), d1, 100, Vec::new).unwrap();
        log.write(
            &["[100] first".to_string(), "[101] second\n".to_string()],
            d1,
            101,
            Vec::new,
        )
        .unwrap();
        let text = fs::read_to_string(dir.path().join("vigia.log")).unwrap();
        assert_eq!(text, "[100] first\n[101] second\n");
        // Same day: no rotation.
        assert!(!log.rotate_if_due(d1, 102, Vec::new).unwrap());
        // Next day: the file goes to the archive named after the day it covers.
        let d2 = date("2024-03-10");
        log.write(&["[200] third".to_string()], d2, 200, || {
            vec!["[200] CURRENT HOST STATE: web1;UP;HARD;1;ok".to_string()]
        })
        .unwrap();
        let archived = fs::read_to_string(dir.path().join("archives/vigia-2024-03-09.log")).unwrap();
        assert_eq!(archived, "[100] first\n[101] second\n");
        let text = fs::read_to_string(dir.path().join("vigia.log")).unwrap();
        assert_eq!(
            text,
            "[200] LOG ROTATION: DAILY\n[200] LOG VERSION: 2.0\n[200] CURRENT HOST STATE: web1;UP;HARD;1;ok\n[200] third\n"
        );
        assert_eq!(log.day(), d2);
        // Idle days pass too: a check without lines rotates.
        assert!(log.rotate_if_due(date("2024-03-11"), 300, Vec::new).unwrap());
        assert!(dir.path().join("archives/vigia-2024-03-10.log").exists());
    }

    #[test]
    fn file_from_an_earlier_day_is_archived_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigia.log");
        fs::write(&path, "[1] old\n").unwrap();
        // Last written three days ago (whatever the time zone, an earlier local day).
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 86_400);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let old_day = jiff::tz::TimeZone::system()
            .to_datetime(jiff::Timestamp::try_from(old).unwrap())
            .date();
        let mut log = MonitoringLog::open(dir.path(), local_today(), 5, Vec::new).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(format!("archives/vigia-{old_day}.log"))).unwrap(),
            "[1] old\n"
        );
        log.write(&["[6] new".to_string()], local_today(), 6, Vec::new).unwrap();
        assert!(fs::read_to_string(&path).unwrap().ends_with("[6] new\n"));
    }

    #[test]
    fn archive_of_the_same_day_is_appended_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("archives")).unwrap();
        fs::write(dir.path().join("archives/vigia-2024-03-09.log"), "[1] before\n").unwrap();
        let mut log = MonitoringLog::open(dir.path(), date("2024-03-09"), 2, Vec::new).unwrap();
        log.write(&["[2] after".to_string()], date("2024-03-09"), 2, Vec::new)
            .unwrap();
        log.rotate_if_due(date("2024-03-10"), 3, Vec::new).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("archives/vigia-2024-03-09.log")).unwrap(),
            "[1] before\n[2] after\n"
        );
    }

    #[test]
    fn line_breaks_inside_a_line_are_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let d = date("2024-01-01");
        let mut log = MonitoringLog::open(dir.path(), d, 0, Vec::new).unwrap();
        log.write(&["[1] a\nb".to_string()], d, 1, Vec::new).unwrap();
        assert_eq!(fs::read_to_string(log.path()).unwrap(), "[1] a\\nb\n");
    }
}

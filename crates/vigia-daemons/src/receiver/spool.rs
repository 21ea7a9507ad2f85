//! Nagios's check-result spool (`check_result_path`): tools that write passive results as files
//! (a `cXXXXXX` file in Nagios's check-result format, then an empty `cXXXXXX.ok`) work with Vigia
//! unchanged. Each result becomes a `PROCESS_HOST_CHECK_RESULT` or
//! `PROCESS_SERVICE_CHECK_RESULT` command; the file and its `.ok` are deleted once the commands
//! are in the disk queue.
//!
//! Nagios takes only files with a `.ok` companion. Vigia also takes a file without one when it
//! looks complete (ends with a line break) and has not changed for [`QUIET`], for writers that
//! rename a finished file into the folder instead. A file that holds no valid result is renamed
//! `NAME.bad` rather than deleted, so that nothing vanishes unexplained.
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long a file without `.ok` must stay unchanged before it is taken.
pub const QUIET: Duration = Duration::from_secs(5);

/// One result block of a check-result file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolResult {
    pub host: String,
    pub service: Option<String>,
    pub return_code: i32,
    /// As written: line breaks stay escaped as `\n`, as in the command syntax.
    pub output: String,
    /// `finish_time` (else `start_time`, else the file's `file_time`), epoch seconds.
    pub time: Option<i64>,
}

impl SpoolResult {
    /// The external command that submits this result.
    pub fn command(&self, now: i64) -> String {
        let t = self.time.unwrap_or(now);
        match &self.service {
            Some(s) => format!(
                "[{t}] PROCESS_SERVICE_CHECK_RESULT;{};{s};{};{}",
                self.host, self.return_code, self.output
            ),
            None => format!(
                "[{t}] PROCESS_HOST_CHECK_RESULT;{};{};{}",
                self.host, self.return_code, self.output
            ),
        }
    }
}

#[derive(Default)]
struct Block {
    host: Option<String>,
    service: Option<String>,
    return_code: Option<String>,
    output: Option<String>,
    start: Option<String>,
    finish: Option<String>,
    first_line: usize,
}

/// `1700000000.123456` → 1700000000.
fn epoch(v: &str) -> Option<i64> {
    let whole = v.trim().split('.').next()?;
    whole.parse().ok()
}

/// Parses a check-result file: `key=value` lines, `#` comments, blocks separated by blank
/// lines (or by the next `host_name=`). Returns the results and, for blocks that could not be
/// read, why.
pub fn parse(text: &str) -> (Vec<SpoolResult>, Vec<String>) {
    let mut results = Vec::new();
    let mut problems = Vec::new();
    let mut file_time = None;
    let mut block = Block::default();
    let finish = |block: Block, file_time: Option<i64>, results: &mut Vec<SpoolResult>, problems: &mut Vec<String>| {
        let Some(host) = block.host.filter(|h| !h.is_empty()) else {
            return;
        };
        let code = match block.return_code.as_deref().map(|c| c.trim().parse::<i32>()) {
            Some(Ok(c)) => c,
            Some(Err(_)) => {
                problems.push(format!("line {}: return_code is not an integer", block.first_line));
                return;
            }
            None => {
                problems.push(format!(
                    "line {}: result for {host} without return_code",
                    block.first_line
                ));
                return;
            }
        };
        let time = block
            .finish
            .as_deref()
            .and_then(epoch)
            .or_else(|| block.start.as_deref().and_then(epoch))
            .or(file_time);
        results.push(SpoolResult {
            host,
            service: block.service.filter(|s| !s.is_empty()),
            return_code: code,
            output: block.output.unwrap_or_default(),
            time,
        });
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            finish(std::mem::take(&mut block), file_time, &mut results, &mut problems);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.to_string();
        match key.trim() {
            "file_time" => file_time = epoch(&value),
            "host_name" => {
                if block.host.is_some() {
                    finish(std::mem::take(&mut block), file_time, &mut results, &mut problems);
                }
                block.first_line = i + 1;
                block.host = Some(value.trim().to_string());
            }
            "service_description" => block.service = Some(value.trim().to_string()),
            "return_code" => block.return_code = Some(value),
            "output" => block.output = Some(value),
            "start_time" => block.start = Some(value),
            "finish_time" => block.finish = Some(value),
            _ => {}
        }
    }
    finish(block, file_time, &mut results, &mut problems);
    (results, problems)
}

/// A file of the spool folder that may be taken, and whether it has its `.ok`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub has_ok: bool,
}

impl Candidate {
    pub fn ok_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".ok");
        PathBuf::from(p)
    }
}

/// Result files to take now, oldest name first: those with a `.ok`, and those without one
/// that have not changed for [`QUIET`] (their content is checked when read).
pub fn candidates(dir: &Path, now: SystemTime) -> io::Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || [".ok", ".tmp", ".bad"].iter().any(|s| name.ends_with(s)) {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let candidate = Candidate {
            path: entry.path(),
            has_ok: false,
        };
        let has_ok = candidate.ok_path().exists();
        let quiet = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= QUIET);
        if has_ok || quiet {
            out.push(Candidate { has_ok, ..candidate });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether a file without `.ok` looks finished.
pub fn looks_complete(text: &str) -> bool {
    text.ends_with('\n')
}

/// Deletes a taken file and its `.ok`.
pub fn remove(c: &Candidate) -> io::Result<()> {
    fs::remove_file(&c.path)?;
    match fs::remove_file(c.ok_path()) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Sets a file with nothing usable aside as `NAME.bad`.
pub fn set_aside(c: &Candidate) -> io::Result<()> {
    let mut bad = c.path.clone().into_os_string();
    bad.push(".bad");
    fs::rename(&c.path, PathBuf::from(bad))?;
    match fs::remove_file(c.ok_path()) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAGIOS_FILE: &str = "### Active Check Result File ###
file_time=1700000000

### Nagios Service Check Result ###
# Time: Tue Nov 14 22:13:20 2023
host_name=h1
service_description=load
check_type=1
check_options=0
scheduled_check=0
reschedule_check=0
latency=0.0
start_time=1700000001.123456
finish_time=1700000002.654321
early_timeout=0
exited_ok=1
return_code=3
output=UNKNOWN via spool\\nsecond line|y=7

### Nagios Host Check Result ###
host_name=h2
return_code=0
output=PING OK = fine
";

    #[test]
    fn nagios_format_with_several_blocks() {
        let (results, problems) = parse(NAGIOS_FILE);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            results,
            vec![
                SpoolResult {
                    host: "h1".into(),
                    service: Some("load".into()),
                    return_code: 3,
                    output: "UNKNOWN via spool\\nsecond line|y=7".into(),
                    time: Some(1_700_000_002),
                },
                SpoolResult {
                    host: "h2".into(),
                    service: None,
                    return_code: 0,
                    output: "PING OK = fine".into(),
                    time: Some(1_700_000_000),
                },
            ]
        );
        assert_eq!(
            results[0].command(5),
            "[1700000002] PROCESS_SERVICE_CHECK_RESULT;h1;load;3;UNKNOWN via spool\\nsecond line|y=7"
        );
        assert_eq!(
            results[1].command(5),
            "[1700000000] PROCESS_HOST_CHECK_RESULT;h2;0;PING OK = fine"
        );
        // The commands are what the engine's parser takes.
        for r in &results {
            vigia_engine::external::parse(&r.command(5)).unwrap();
        }
    }

    #[test]
    fn minimal_blocks_without_blank_lines_and_bad_blocks() {
        let text = "host_name=a\nreturn_code=2\noutput=x\nhost_name=b\nservice_description=s\nreturn_code=oops\nhost_name=c\noutput=no code\nhost_name=d\nreturn_code=1";
        let (results, problems) = parse(text);
        let hosts: Vec<&str> = results.iter().map(|r| r.host.as_str()).collect();
        assert_eq!(hosts, vec!["a", "d"]);
        assert_eq!(results[1].time, None);
        assert_eq!(results[0].command(9), "[9] PROCESS_HOST_CHECK_RESULT;a;2;x");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("line 4"), "{problems:?}");
        let (results, problems) = parse("### nothing here ###\nfile_time=1\n");
        assert!(results.is_empty() && problems.is_empty());
    }

    #[test]
    fn takes_files_with_ok_or_quiet_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        fs::write(p("c000001"), NAGIOS_FILE).unwrap();
        fs::write(p("c000001.ok"), "").unwrap();
        fs::write(p("c000002"), "host_name=h1\n").unwrap();
        fs::write(p(".hidden"), "").unwrap();
        fs::write(p("c000003.tmp"), "").unwrap();
        fs::write(p("c000004.bad"), "").unwrap();
        fs::create_dir(p("sub")).unwrap();
        let now = SystemTime::now();
        let c = candidates(dir.path(), now).unwrap();
        assert_eq!(
            c,
            vec![Candidate {
                path: p("c000001"),
                has_ok: true
            }]
        );
        // Later, the file without `.ok` is quiet enough.
        let c = candidates(dir.path(), now + QUIET + Duration::from_secs(1)).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].path, p("c000002"));
        assert!(!c[1].has_ok);
        assert!(looks_complete("host_name=h1\n"));
        assert!(!looks_complete("host_name=h1\nreturn_co"));
        remove(&c[0]).unwrap();
        assert!(!p("c000001").exists() && !p("c000001.ok").exists());
        set_aside(&c[1]).unwrap();
        assert!(p("c000002.bad").exists());
    }
}

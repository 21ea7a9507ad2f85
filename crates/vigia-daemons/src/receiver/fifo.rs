//! The Nagios command file: a named pipe (`DATA/vigia.cmd` by default) where scripts write
//! `[epoch] NAME;args` lines, as they do to `nagios.cmd`.
//!
//! The pipe is opened for reading *and* writing, as Nagios does: holding a write end means a
//! writer closing never gives end-of-file, so there is no busy loop of reopening between
//! writers and writers never block waiting for a reader. Should the pipe still end (or fail),
//! it is reopened. Reads go through tokio's pipe support: the runtime is never blocked.
//! Writes of up to `PIPE_BUF` (4096) bytes are atomic, so lines from several writers never
//! mix; a line is taken only once its line break has come.
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// A line longer than this without a line break is not a command: dropped.
pub const MAX_LINE: usize = 64 * 1024;

/// Creates the named pipe if missing; an existing file that is not one is an error (writers
/// would fill a regular file that nobody reads).
pub fn ensure(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_fifo() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a named pipe", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let c = CString::new(path.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in the command file path"))?;
            // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
            let r = unsafe { libc::mkfifo(c.as_ptr(), 0o660) };
            if r == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        }
        Err(e) => Err(e),
    }
}

/// Cuts a byte stream into lines; keeps the unfinished end for the next read.
#[derive(Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    /// Dropping the rest of an overlong line, up to its line break.
    skipping: bool,
}

impl LineSplitter {
    pub fn push(&mut self, data: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(i);
            rest = &after[1..];
            if self.skipping {
                self.skipping = false;
                self.pending.clear();
                continue;
            }
            self.pending.extend_from_slice(line);
            let text = String::from_utf8_lossy(&self.pending)
                .trim_end_matches('\r')
                .to_string();
            self.pending.clear();
            if !text.trim().is_empty() {
                out.push(text);
            }
        }
        if !self.skipping {
            self.pending.extend_from_slice(rest);
            if self.pending.len() > MAX_LINE {
                tracing::warn!("command file: a line longer than {MAX_LINE} bytes was dropped");
                self.pending.clear();
                self.skipping = true;
            }
        }
        out
    }
}

/// Reads the pipe forever, sending each read's complete lines to `tx`; ends when `tx` is
/// closed (or when the task is aborted at stop).
pub async fn read_loop(path: PathBuf, tx: mpsc::Sender<Vec<String>>) {
    let mut warned = false;
    loop {
        let mut pipe = match tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(&path)
        {
            Ok(p) => p,
            Err(e) => {
                if !warned {
                    tracing::error!("command file {}: cannot open: {e}", path.display());
                    warned = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        warned = false;
        let mut splitter = LineSplitter::default();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    let lines = splitter.push(&buf[..n]);
                    if !lines.is_empty() && tx.send(lines).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!("command file {}: {e}: reopening", path.display());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_across_reads() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"[1] A;b\n[2] C"), vec!["[1] A;b".to_string()]);
        assert_eq!(s.push(b";d\r\n\n"), vec!["[2] C;d".to_string()]);
        assert!(s.push(b"partial").is_empty());
        assert_eq!(s.push(b"\n"), vec!["partial".to_string()]);
    }

    #[test]
    fn overlong_line_dropped_up_to_its_end() {
        let mut s = LineSplitter::default();
        assert!(s.push(&vec![b'x'; MAX_LINE + 1]).is_empty());
        assert!(s.push(b"yyy").is_empty());
        assert_eq!(s.push(b"zz\n[1] OK\n"), vec!["[1] OK".to_string()]);
    }

    #[test]
    fn creates_the_pipe_and_refuses_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/vigia.cmd");
        ensure(&p).unwrap();
        assert!(std::fs::metadata(&p).unwrap().file_type().is_fifo());
        ensure(&p).unwrap();
        let f = dir.path().join("file");
        std::fs::write(&f, "").unwrap();
        assert!(ensure(&f).unwrap_err().to_string().contains("not a named pipe"));
    }

    #[tokio::test]
    async fn reads_lines_from_successive_writers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vigia.cmd");
        ensure(&p).unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let reader = tokio::spawn(read_loop(p.clone(), tx));
        for i in 0..3 {
            let p = p.clone();
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
                writeln!(f, "[{i}] DISABLE_NOTIFICATIONS").unwrap();
            })
            .await
            .unwrap();
            let lines = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(lines, vec![format!("[{i}] DISABLE_NOTIFICATIONS")]);
        }
        reader.abort();
    }
}

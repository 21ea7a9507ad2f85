//! Starting a plugin, and putting it down if it outlives its timeout.
//!
//! Spawning goes through `std::process::Command`, which uses `posix_spawn` — a
//! `clone(CLONE_VM|CLONE_VFORK)` in glibc, whose cost does not grow with our address space — as
//! long as nothing forces its `fork()` fallback: no `pre_exec` closure, no uid/gid/groups/chroot
//! change, and a program path containing a `/` whenever the environment is replaced. So we
//! resolve `PATH` ourselves and only use what `posix_spawn` can express: piped stdio, a working
//! directory (`posix_spawn_file_actions_addchdir_np`, glibc ≥ 2.29) and a new process group
//! (`POSIX_SPAWN_SETPGROUP`). `tests/fast_path.rs` checks it under strace; the 1 GB case of
//! `benches/spawn.rs` shows what it saves. Watching and reaping is [`watch`]'s.
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::cmdline::{self, Invocation};
use crate::executor::ExecConfig;
use crate::limits::Capture;
use crate::request::Request;
use crate::watch::{self, Ticket};

/// `PATH` for lookups when the child's environment has none (what `sh` falls back to).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How a run ended, before states and messages are applied.
#[derive(Debug)]
pub(crate) enum Ending {
    Exited(i32),
    Signaled(i32),
    /// Killed by us after `after`; `signal` is what ended it, if it was reaped.
    TimedOut {
        after: Duration,
        signal: Option<i32>,
    },
    /// Never started, with the code a shell would have reported (126, 127) and why.
    NotStarted {
        code: i32,
        reason: String,
    },
    /// Could not run for a reason of ours (no fds, invalid command line…).
    Failed(String),
}

/// A finished run: how it ended and what it printed.
#[derive(Debug)]
pub(crate) struct RawRun {
    pub ending: Ending,
    pub stdout: Capture,
    pub stderr: Capture,
    pub via_shell: bool,
    pub pid: Option<u32>,
    pub started: SystemTime,
    pub elapsed: Duration,
}

/// A run that never started a process.
pub(crate) fn not_started(ending: Ending, cap: usize) -> RawRun {
    RawRun {
        ending,
        stdout: Capture::new(cap),
        stderr: Capture::new(cap),
        via_shell: false,
        pid: None,
        started: SystemTime::now(),
        elapsed: Duration::ZERO,
    }
}

/// Runs `request` as a process under `config`'s limits, on the calling (slot) thread, and
/// returns when it has been reaped, or given up on after SIGKILL did not take: then the pid to
/// reap is returned too, for the slot thread to wait for after reporting.
pub(crate) fn run(request: &Request, config: &ExecConfig, ticket: &Ticket) -> (RawRun, Option<libc::pid_t>) {
    let started = SystemTime::now();
    let clock = Instant::now();
    let cap = config.max_plugins_output_length;
    let not_run = |ending, via_shell| RawRun {
        ending,
        stdout: Capture::new(cap),
        stderr: Capture::new(cap),
        via_shell,
        pid: None,
        started,
        elapsed: clock.elapsed(),
    };

    let invocation = match cmdline::parse(&request.command_line) {
        Ok(inv) => inv,
        Err(e) => {
            return (
                not_run(Ending::Failed(format!("Invalid command line: {e}")), false),
                None,
            )
        }
    };
    let env = child_env(&config.env, &request.env);
    let cwd = request.cwd.as_deref().or(config.cwd.as_deref());

    let mut via_shell = matches!(invocation, Invocation::Shell(_));
    let spawned = match &invocation {
        Invocation::Shell(line) => spawn(&config.shell, &["-c".into(), line.into()], &env, cwd),
        Invocation::Direct(argv) => match argv.split_first().map(|(name, args)| (resolve(name, &env, cwd), args)) {
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "empty command line")),
            Some((Err(e), _)) => Err(e),
            Some((Ok(program), args)) => {
                let args: Vec<OsString> = args.iter().map(OsString::from).collect();
                match spawn(&program, &args, &env, cwd) {
                    // A script without `#!`: run it the way a shell would, as Alignak retries.
                    Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => {
                        via_shell = true;
                        spawn(
                            &config.shell,
                            &["-c".into(), request.command_line.clone().into()],
                            &env,
                            cwd,
                        )
                    }
                    other => other,
                }
            }
        },
    };
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let program = match &invocation {
                Invocation::Direct(argv) => argv.first().map_or("", String::as_str),
                Invocation::Shell(_) => config.shell.to_str().unwrap_or("/bin/sh"),
            };
            return (not_run(spawn_error(program, &e), via_shell), None);
        }
    };

    let pid = child.id();
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        // Cannot happen (both are piped); never leave the child unreaped.
        let _ = child.kill();
        let _ = child.wait();
        return (
            not_run(Ending::Failed("The plugin's pipes are missing".to_owned()), via_shell),
            None,
        );
    };
    // From here on the child is reaped by `watch` (std's handle does nothing when dropped).
    drop(child);
    let timeout = request.timeout.unwrap_or(config.default_timeout);
    let deadline = clock
        .checked_add(timeout)
        .unwrap_or_else(|| clock + Duration::from_secs(100 * 365 * 86_400));
    let w = watch::watch(
        pid,
        clock,
        stdout.into(),
        stderr.into(),
        cap,
        deadline,
        config.kill_grace,
        ticket,
    );

    let ending = match (w.status, w.timed_out_after) {
        (status, Some(after)) => Ending::TimedOut {
            after,
            signal: status.and_then(|s| s.signal()),
        },
        (Some(s), None) => match (s.code(), s.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(sig)) => Ending::Signaled(sig),
            (None, None) => Ending::Failed(format!("Unexpected wait status {s:?}")),
        },
        (None, None) => Ending::Failed("The plugin was reaped by someone else".to_owned()),
    };
    let raw = RawRun {
        ending,
        stdout: w.stdout,
        stderr: w.stderr,
        via_shell,
        pid: Some(pid),
        started,
        elapsed: clock.elapsed(),
    };
    (raw, w.unreaped)
}

fn spawn(program: &Path, args: &[OsString], env: &BTreeMap<String, String>, cwd: Option<&Path>) -> io::Result<Child> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so a timeout can kill everything it started.
        .process_group(0);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.spawn()
}

/// The child's whole environment: the executor's base, overridden by the request's.
fn child_env(base: &BTreeMap<String, String>, extra: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = base.clone();
    env.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

/// `execvp`'s lookup, done here so `posix_spawn` always gets a path (see the module docs): a
/// name with a `/` is used as is (relative to the child's directory), otherwise the first
/// executable regular file in the child's `PATH`; `PermissionDenied` if only non-executable ones
/// were found, `NotFound` if none.
fn resolve(name: &str, env: &BTreeMap<String, String>, cwd: Option<&Path>) -> io::Result<PathBuf> {
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    let path = env.get("PATH").map(String::as_str).unwrap_or(DEFAULT_PATH);
    let mut denied = None;
    for dir in path.split(':') {
        // An empty entry is the current directory, the child's.
        let dir = match (dir.is_empty(), cwd) {
            (true, Some(cwd)) => cwd.to_path_buf(),
            (true, None) => PathBuf::from("."),
            (false, _) => PathBuf::from(dir),
        };
        let candidate = dir.join(name);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
            denied.get_or_insert(candidate);
        }
    }
    Err(match denied {
        Some(p) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: Permission denied", p.display()),
        ),
        None => io::Error::new(io::ErrorKind::NotFound, format!("{name}: command not found")),
    })
}

/// What a shell would have made of a failed exec: 127 for a missing program, 126 for one that
/// cannot be executed; anything else is our own failure.
fn spawn_error(program: &str, e: &io::Error) -> Ending {
    let reason = match e.get_ref() {
        // Our own lookup's message already names the program.
        Some(inner) if e.raw_os_error().is_none() => inner.to_string(),
        _ => format!("{program}: {e}"),
    };
    match e.kind() {
        io::ErrorKind::NotFound => Ending::NotStarted { code: 127, reason },
        io::ErrorKind::PermissionDenied => Ending::NotStarted { code: 126, reason },
        _ if e.raw_os_error() == Some(libc::EISDIR) => Ending::NotStarted { code: 126, reason },
        _ => Ending::Failed(format!("Could not execute the plugin: {reason}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_searches_the_child_path() {
        let env = BTreeMap::from([("PATH".to_owned(), "/nonexistent:/bin:/usr/bin".to_owned())]);
        let p = resolve("sh", &env, None).unwrap();
        assert!(p.is_absolute() && p.ends_with("sh"), "{p:?}");
        assert_eq!(resolve("./x", &env, None).unwrap(), PathBuf::from("./x"));
        assert_eq!(
            resolve("no-such-program-vigia", &env, None).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn resolve_reports_non_executables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plugin"), "#!/bin/sh\n").unwrap();
        let env = BTreeMap::from([("PATH".to_owned(), dir.path().display().to_string())]);
        assert_eq!(
            resolve("plugin", &env, None).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
    }

    #[test]
    fn request_env_overrides_base() {
        let base = BTreeMap::from([("A".to_owned(), "1".to_owned()), ("B".to_owned(), "2".to_owned())]);
        let extra = BTreeMap::from([("B".to_owned(), "3".to_owned())]);
        let env = child_env(&base, &extra);
        assert_eq!(env.get("A").map(String::as_str), Some("1"));
        assert_eq!(env.get("B").map(String::as_str), Some("3"));
    }
}

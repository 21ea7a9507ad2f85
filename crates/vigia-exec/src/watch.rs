//! Watching one running plugin from its slot thread: `poll(2)` on its stdout, stderr and pidfd,
//! output read as it comes (only the head kept, so a plugin writing megabytes never blocks on a
//! full pipe), the deadline enforced on the whole process group, the plugin reaped the moment it
//! exits.
//!
//! Like Nagios and Alignak, the output is what the plugin wrote before it exited: whatever its
//! leftovers (`cmd &` without a redirection) write afterwards is not waited for.
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::limits::{Capture, ProcessGroup};

/// After SIGKILL, how long to wait before reporting the timeout anyway (a process in
/// uninterruptible sleep ignores even SIGKILL until its I/O returns); the slot thread then keeps
/// waiting to reap it.
pub(crate) const KILLED_WAIT: Duration = Duration::from_secs(5);
/// Without a pidfd (Linux < 5.3), how often `waitpid` is tried.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Reads per pipe and wake-up, so a plugin writing without end (`yes`) cannot starve the rest.
const READS_PER_ROUND: usize = 64;

/// Shared between a running plugin's slot thread and the task waiting for it, so that a task that
/// goes away takes the plugin with it.
#[derive(Debug, Default)]
pub(crate) struct Ticket {
    /// The plugin's process group while its leader is alive and unreaped, else 0.
    pgid: AtomicI32,
    cancelled: AtomicBool,
}

impl Ticket {
    /// The waiting side gave up: a queued request is skipped, a running one is killed.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        ProcessGroup::new(u32::try_from(self.pgid.load(Ordering::SeqCst)).ok()).kill();
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    fn started(&self, pid: libc::pid_t) -> bool {
        self.pgid.store(pid, Ordering::SeqCst);
        // A cancel that came before the store could not see the pid: look again.
        self.cancelled()
    }

    /// The leader is a zombie now: its pid stays reserved until reaped, after which a signal to
    /// it could reach a stranger.
    fn exited(&self) {
        self.pgid.store(0, Ordering::SeqCst);
    }
}

/// How a watched run ended.
#[derive(Debug)]
pub(crate) struct Watched {
    /// `None` when the plugin was given up on (still unreaped) or reaped by someone else.
    pub status: Option<ExitStatus>,
    /// Set when the deadline passed: how long it had run by then.
    pub timed_out_after: Option<Duration>,
    pub stdout: Capture,
    pub stderr: Capture,
    /// The plugin outlived SIGKILL by `KILLED_WAIT`: reap it with [`reap_blocking`] after
    /// reporting.
    pub unreaped: Option<libc::pid_t>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// Timed out; SIGTERM sent to the group.
    Terminating,
    /// SIGKILL sent to the group.
    Killed,
}

/// Watches the plugin `pid` (leader of its own process group, started at `started`) until it
/// exits or has been killed for running past `deadline`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn watch(
    pid: u32,
    started: Instant,
    stdout: OwnedFd,
    stderr: OwnedFd,
    cap: usize,
    deadline: Instant,
    kill_grace: Duration,
    ticket: &Ticket,
) -> Watched {
    let mut out = Capture::new(cap);
    let mut err = Capture::new(cap);
    let mut group = ProcessGroup::new(Some(pid));
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return Watched {
            status: None,
            timed_out_after: None,
            stdout: out,
            stderr: err,
            unreaped: None,
        };
    };
    if ticket.started(pid) {
        group.kill();
    }
    // A blocking read would stall the thread on a pipe a leftover child holds open.
    let mut stdout = set_nonblocking(stdout);
    let mut stderr = set_nonblocking(stderr);
    let pidfd = pidfd_open(pid);

    let mut phase = Phase::Running;
    let mut phase_deadline = deadline;
    let mut timed_out_after = None;
    let status = loop {
        let now = Instant::now();
        if now >= phase_deadline {
            match phase {
                Phase::Running => {
                    timed_out_after = Some(now.saturating_duration_since(started));
                    group.terminate();
                    phase = Phase::Terminating;
                    phase_deadline = now + kill_grace;
                }
                Phase::Terminating => {
                    group.kill();
                    phase = Phase::Killed;
                    phase_deadline = now + KILLED_WAIT;
                }
                Phase::Killed => {
                    // Report now; the slot thread reaps it when it finally dies.
                    return Watched {
                        status: None,
                        timed_out_after,
                        stdout: out,
                        stderr: err,
                        unreaped: Some(pid),
                    };
                }
            }
        }
        let mut wait = phase_deadline.saturating_duration_since(Instant::now());
        if pidfd.is_none() {
            wait = wait.min(POLL_INTERVAL);
        }
        let mut fds = [pollfd(stdout.as_ref()), pollfd(stderr.as_ref()), pollfd(pidfd.as_ref())];
        let timeout_ms = libc::c_int::try_from(wait.as_millis().saturating_add(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a valid array of pollfd; negative fds are ignored by poll(2).
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // Should not happen (valid fds, valid array); avoid spinning on it.
            std::thread::sleep(POLL_INTERVAL);
        }
        if fds[0].revents != 0 && drain(stdout.as_ref(), &mut out) {
            stdout = None;
        }
        if fds[1].revents != 0 && drain(stderr.as_ref(), &mut err) {
            stderr = None;
        }
        if fds[2].revents != 0 || pidfd.is_none() {
            if let Some(status) = try_reap(pid, ticket, phase, &group) {
                break status;
            }
        }
    };
    group.disarm();
    // What the plugin wrote before exiting is in the pipes now.
    for (fd, capture) in [(stdout.as_ref(), &mut out), (stderr.as_ref(), &mut err)] {
        drain(fd, capture);
    }
    Watched {
        status,
        timed_out_after,
        stdout: out,
        stderr: err,
        unreaped: None,
    }
}

/// Reaps the leader if it has exited; `None` while it runs, `Some(None)` if someone else reaped it.
fn try_reap(pid: libc::pid_t, ticket: &Ticket, phase: Phase, group: &ProcessGroup) -> Option<Option<ExitStatus>> {
    let mut info: libc::siginfo_t = unsafe_zeroed_siginfo();
    // Look without reaping: while the leader is a zombie its pid (and group id) stay ours.
    // SAFETY: `info` is a valid siginfo_t to fill.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if r < 0 {
        return match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => None,
            _ => Some(None), // ECHILD: not ours to reap any more
        };
    }
    // SAFETY: waitid filled `info` (a zero si_pid means nothing has exited yet).
    if unsafe { info.si_pid() } == 0 {
        return None;
    }
    ticket.exited();
    if phase == Phase::Terminating {
        // The leader went on SIGTERM; its children get no more grace than it had.
        group.kill();
    }
    Some(reap_blocking(pid))
}

/// Reaps `pid`, waiting as long as it takes.
pub(crate) fn reap_blocking(pid: libc::pid_t) -> Option<ExitStatus> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Some(ExitStatus::from_raw(status));
        }
        if r < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

fn unsafe_zeroed_siginfo() -> libc::siginfo_t {
    // SAFETY: siginfo_t is plain old data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

fn pollfd(fd: Option<&OwnedFd>) -> libc::pollfd {
    libc::pollfd {
        fd: fd.map_or(-1, AsRawFd::as_raw_fd),
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Reads a pipe until it would block (or for `READS_PER_ROUND` reads); `true` at end of file (or
/// on an error, which ends the stream just the same).
fn drain(fd: Option<&OwnedFd>, capture: &mut Capture) -> bool {
    let Some(fd) = fd else { return false };
    let mut buf = [0u8; 16384];
    for _ in 0..READS_PER_ROUND {
        // SAFETY: reading into a local buffer of the given length from an fd we own.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(0) => return true,
            Ok(n) => capture.push(&buf[..n]),
            Err(_) => match io::Error::last_os_error().kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock => return false,
                _ => return true,
            },
        }
    }
    false
}

fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open(2) takes a pid and flags; the result is checked and owned right away.
    // A pidfd is close-on-exec by definition.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = RawFd::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: a fresh fd nobody else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The pipe in non-blocking mode, or `None` (not read at all) if that fails.
fn set_nonblocking(fd: OwnedFd) -> Option<OwnedFd> {
    // SAFETY: fcntl on an fd we own.
    let ok = unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) >= 0
    };
    ok.then_some(fd)
}

//! The limits a plugin runs under: how much of its output we keep, and how a process group that
//! outlives its timeout is put down.
use std::time::Duration;

/// Alignak's and Nagios's `max_plugins_output_length` default.
pub const DEFAULT_MAX_OUTPUT: usize = 8192;
/// Alignak's `timeout_exit_status` default: a timed-out check is CRITICAL.
pub const DEFAULT_TIMEOUT_EXIT_STATUS: u8 = 2;
/// Nagios's `service_check_timeout` default; requests usually carry their own.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Between SIGTERM and SIGKILL: enough for a plugin to clean up, short enough not to hold a slot.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_millis(500);

/// A byte sink that keeps the first `cap` bytes and counts (but drops) the rest, so a plugin that
/// writes megabytes is drained without blocking on a full pipe and without holding the memory.
#[derive(Debug)]
pub(crate) struct Capture {
    kept: Vec<u8>,
    cap: usize,
    total: u64,
}

impl Capture {
    pub(crate) fn new(cap: usize) -> Capture {
        Capture {
            kept: Vec::new(),
            cap,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len() as u64);
        let room = self.cap.saturating_sub(self.kept.len());
        let take = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..take]);
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.kept
    }

    /// Whether the plugin wrote more than was kept.
    pub(crate) fn truncated(&self) -> bool {
        self.total > self.kept.len() as u64
    }
}

/// The process group of a running plugin (the plugin is its leader: spawned with
/// `process_group(0)`), so that killing it reaches `sh -c` children and the plugin's own
/// children too. Dropping it while the leader has not been reaped kills the group: a cancelled
/// run leaves no process behind.
#[derive(Debug)]
pub(crate) struct ProcessGroup {
    pgid: libc::pid_t,
    armed: bool,
}

impl ProcessGroup {
    /// `pid` is the leader's pid; `None` (no pid: the process is already gone) or an id that
    /// could name our own group or init gives an inert guard.
    pub(crate) fn new(pid: Option<u32>) -> ProcessGroup {
        let pgid = pid.and_then(|p| libc::pid_t::try_from(p).ok()).unwrap_or(0);
        ProcessGroup { pgid, armed: pgid > 1 }
    }

    pub(crate) fn terminate(&self) {
        self.signal(libc::SIGTERM);
    }

    pub(crate) fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// The leader has been reaped and nothing more is to be done on drop.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }

    fn signal(&self, sig: libc::c_int) {
        // Never 0 or 1: killpg(0) is our own group and 1 would be init's.
        if self.pgid > 1 {
            // SAFETY: killpg has no memory-safety preconditions; ESRCH (group already gone) is
            // the expected failure and is ignored.
            unsafe {
                libc::killpg(self.pgid, sig);
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.armed {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_head_and_counts_the_rest() {
        let mut c = Capture::new(4);
        c.push(b"ab");
        assert!(!c.truncated());
        c.push(b"cdef");
        c.push(b"gh");
        assert_eq!(c.bytes(), b"abcd");
        assert!(c.truncated());
    }

    #[test]
    fn inert_group_for_dangerous_ids() {
        for pid in [None, Some(0), Some(1), Some(u32::MAX)] {
            let g = ProcessGroup::new(pid);
            assert!(!g.armed, "{pid:?}");
            g.kill(); // must be a no-op, not a signal to our own group
        }
    }
}

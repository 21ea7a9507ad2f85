//! 10,000 runs through 64 slots: no zombie and no leaked file descriptor. Alone in its binary so
//! no other test's processes or fds disturb the counts.
mod common;

use common::*;
use vigia_exec::{ExecConfig, Executor, Request};

#[test]
fn ten_thousand_runs_leave_no_zombie_and_no_fd() {
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 64,
        ..ExecConfig::default()
    });
    // Warm up: the runtime's lazily created resources are not leaks.
    let warm = rt.block_on(executor.run_all((0..64).map(|_| Request::new("/bin/true"))).collect());
    assert!(warm.iter().all(|r| r.state == 0));
    let fds_before = open_fds();

    let mut done = 0usize;
    rt.block_on(async {
        let mut batch = executor.run_all((0..10_000).map(|_| Request::new("/bin/true")));
        while let Some((_, r)) = batch.next().await {
            assert_eq!((r.state, r.exit_code, r.timed_out), (0, Some(0), false), "{r:?}");
            done += 1;
        }
    });
    assert_eq!(done, 10_000);
    assert_eq!(executor.running(), 0);
    eventually("no zombie child", || our_zombies().is_empty());
    eventually("as many open fds as before", || open_fds() == fds_before);
    assert_eq!(open_fds(), fds_before, "fds leaked");
}

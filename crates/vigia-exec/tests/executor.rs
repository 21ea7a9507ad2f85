//! The executor as a worker uses it: slots, queue, batches, cancellation, internal commands, tags.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use vigia_exec::{CurrentState, ExecConfig, Executor, Request, TagFilter};

#[test]
fn never_more_processes_than_slots() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    // Each run marks itself present, records how many are present, and stays a moment.
    let line = format!("touch {d}/run.$$; ls {d} | grep -c '^run' >> {d}/seen; sleep 0.05; rm {d}/run.$$");
    let config = ExecConfig {
        max_concurrent: 3,
        ..ExecConfig::default()
    };
    let rt = runtime();
    let executor = Executor::new(config);
    let most_running = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let watcher = {
            let executor = executor.clone();
            let most_running = most_running.clone();
            tokio::spawn(async move {
                loop {
                    most_running.fetch_max(executor.running(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        let mut batch = executor.run_all((0..24).map(move |_| Request::new(line.clone())));
        let mut done = 0;
        while let Some((_, r)) = batch.next().await {
            assert_eq!(r.state, 0, "{r:?}");
            done += 1;
        }
        watcher.abort();
        assert_eq!(done, 24);
    });
    let seen = std::fs::read_to_string(dir.path().join("seen")).unwrap();
    let counts: Vec<usize> = seen.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(counts.len(), 24);
    assert!(counts.iter().all(|&n| (1..=3).contains(&n)), "{counts:?}");
    assert!(most_running.load(Ordering::Relaxed) <= 3);
    eventually("all slots idle", || executor.running() == 0 && executor.queued() == 0);
}

#[test]
fn batch_results_come_back_by_index() {
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 4,
        ..ExecConfig::default()
    });
    let results = rt.block_on(
        executor
            .run_all((0..40).map(|i| {
                if i % 5 == 0 {
                    Request::new(format!("_echo internal {i}"))
                } else {
                    Request::new(format!("echo {i}"))
                }
            }))
            .collect(),
    );
    assert_eq!(results.len(), 40);
    for (i, r) in results.iter().enumerate() {
        if i % 5 == 0 {
            assert_eq!(r.output, format!("internal {i}"));
            assert!(r.internal);
        } else {
            assert_eq!(r.output, i.to_string());
            assert!(!r.internal);
        }
    }
}

#[test]
fn many_callers_share_the_slots() {
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 2,
        ..ExecConfig::default()
    });
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let executor = executor.clone();
                tokio::spawn(async move { executor.run(Request::new(format!("echo caller {i}"))).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.output, format!("caller {i}"));
    }
}

#[test]
fn dropping_a_run_kills_its_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let line = format!("sleep 300 & echo $! > {}; sleep 300", pidfile.display());
    let rt = runtime();
    let executor = Executor::new(ExecConfig::default());
    let task = rt.spawn({
        let executor = executor.clone();
        async move { executor.run(Request::new(line).timeout(Duration::from_secs(600))).await }
    });
    let child = read_pid(&pidfile);
    assert!(alive(child));
    task.abort();
    eventually("the cancelled plugin's child dies", || !alive(child));
    eventually("the slot is given back", || executor.running() == 0);
    // Its slot thread reaps it: no zombie, and the slot serves again.
    eventually("no zombie left", || our_zombies().is_empty());
    let r = rt.block_on(executor.run(Request::new("true")));
    assert_eq!(r.state, 0);
}

#[test]
fn internal_commands_need_no_process() {
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 1,
        ..ExecConfig::default()
    });
    rt.block_on(async {
        let r = executor.run(Request::new("_internal_host_up")).await;
        assert_eq!((r.state, r.output.as_str(), r.pid), (0, "Host assumed to be UP", None));
        let r = executor.run(Request::new("_internal_host_check;2;down|rta=1ms")).await;
        assert_eq!(
            (r.state, r.output.as_str(), r.perfdata.as_str()),
            (2, "down", "rta=1ms")
        );
        let r = executor
            .run(Request::new("_echo").current(CurrentState {
                state: 1,
                output: "as before".into(),
                soft: false,
            }))
            .await;
        assert_eq!((r.state, r.output.as_str()), (1, "as before"));
    });
}

#[test]
fn tags_and_module_types_decide_what_a_worker_takes() {
    let plain = Executor::new(ExecConfig::default());
    assert!(plain.accepts(&Request::new("x")));
    assert!(!plain.accepts(&Request::new("x").tag("dmz")));
    assert!(!plain.accepts(&Request::new("x").module_type("nrpe_poller")));
    let dmz = Executor::new(ExecConfig {
        tags: TagFilter::parse("dmz"),
        ..ExecConfig::default()
    });
    assert!(dmz.accepts(&Request::new("x").tag("dmz")));
    assert!(!dmz.accepts(&Request::new("x")));
}

#[test]
fn a_dropped_batch_starts_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 1,
        ..ExecConfig::default()
    });
    rt.block_on(async {
        let mut batch = executor.run_all((0..50).map(move |i| Request::new(format!("touch {d}/ran.{i}"))));
        let (_, first) = batch.next().await.unwrap();
        assert_eq!(first.state, 0);
    });
    eventually("the slot goes idle", || {
        executor.running() == 0 && executor.queued() == 0
    });
    let ran = std::fs::read_dir(dir.path()).unwrap().count();
    // At most the window (twice the slots) was queued; the rest never started.
    assert!((1..=3).contains(&ran), "{ran} ran");
}

#[test]
fn a_cancelled_queued_request_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let rt = runtime();
    let executor = Executor::new(ExecConfig {
        max_concurrent: 1,
        ..ExecConfig::default()
    });
    rt.block_on(async {
        let busy = tokio::spawn({
            let executor = executor.clone();
            async move { executor.run(Request::new("sleep 300")).await }
        });
        eventually_async(|| executor.running() == 1).await;
        let queued = executor.run(Request::new(format!("touch {}", marker.display())));
        // Give up on it while it waits for the only slot, then free the slot.
        assert!(tokio::time::timeout(Duration::from_millis(50), queued).await.is_err());
        busy.abort();
    });
    eventually("the slot goes idle", || {
        executor.running() == 0 && executor.queued() == 0
    });
    assert!(!marker.exists());
}

async fn eventually_async(mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "condition never held");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn works_on_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let executor = Executor::new(ExecConfig::default());
    let r = rt.block_on(executor.run(Request::new("sleep 0.01; echo ok")));
    assert_eq!(r.output, "ok");
    let r = rt.block_on(executor.run(Request::new("sleep 300").timeout(Duration::from_millis(100))));
    assert!(r.timed_out);
}

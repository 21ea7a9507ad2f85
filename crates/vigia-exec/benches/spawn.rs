//! Checks per second through the executor against the floor: a tight loop of libc `posix_spawn`
//! and `waitpid` on the same program with as many in flight as cores, measured side by side
//! (alternating, several rounds; the ratio is the median of each round's ratio, which cancels most
//! of the drift of a shared machine). The same from a process holding 1 GB of touched memory,
//! where a `fork()`-based spawner collapses. For context, one round each of `tokio::process` and
//! of `fork` and `execve`.
//!
//! `cargo bench -p vigia-exec --bench spawn` (or `bash bench/exec/run.sh`). Environment: `RUNS`
//! per measurement (default 2000), `ROUNDS` (default 7), `INFLIGHT` (default: the core count).
use std::ffi::CString;
use std::hint::black_box;
use std::time::{Duration, Instant};

use vigia_exec::{ExecConfig, Executor, Request};

const CHECK_DUMMY: &str = "/usr/lib/nagios/plugins/check_dummy";

/// One measurement: rate, and our own (parent) CPU per run, which the machine's other load
/// disturbs much less than the rate.
#[derive(Clone, Copy)]
struct Rate {
    per_sec: f64,
    parent_cpu_us: f64,
}

fn main() {
    let runs: usize = env_or("RUNS", 2000);
    let rounds: usize = env_or("ROUNDS", 7).max(1);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let inflight = env_or("INFLIGHT", cores);
    let mut programs = vec![("/bin/true", vec!["/bin/true"])];
    if std::path::Path::new(CHECK_DUMMY).exists() {
        programs.push(("check_dummy 0 ok", vec![CHECK_DUMMY, "0", "ok"]));
    } else {
        eprintln!(
            "WARNING: {CHECK_DUMMY} missing (apt-get install monitoring-plugins-basic): measuring /bin/true only"
        );
    }
    println!("{runs} runs per measurement, {rounds} rounds, {inflight} in flight, {cores} cores");
    println!(
        "{:<17} {:<6} {:>14} {:>11} {:>6} {:>16} {:>14} {:>11}",
        "program",
        "memory",
        "posix_spawn/s",
        "executor/s",
        "ratio",
        "parent CPU µs/run",
        "tokio::process/s",
        "fork+exec/s"
    );
    println!(
        "{:<17} {:<6} {:>14} {:>11} {:>6} {:>16}",
        "", "", "", "", "", "spawn / executor"
    );

    let mut ballast: Vec<u8> = Vec::new();
    for memory in ["small", "1 GB"] {
        if memory == "1 GB" {
            ballast = touched(1 << 30);
        }
        for (name, argv) in &programs {
            let (mut base, mut exec, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                // Alternate which goes first, so a drift in the machine's load hits both alike.
                let (b, e) = if round % 2 == 0 {
                    let b = baseline(argv, runs, inflight);
                    (b, executor(argv, runs, inflight))
                } else {
                    let e = executor(argv, runs, inflight);
                    (baseline(argv, runs, inflight), e)
                };
                ratios.push(e.per_sec / b.per_sec);
                base.push(b);
                exec.push(e);
            }
            let tokio = tokio_process(argv, runs, inflight);
            // fork() from a big process is slow: fewer runs are enough to see it.
            let forked = fork_exec(argv, if memory == "small" { runs } else { runs / 10 }, inflight);
            println!(
                "{:<17} {:<6} {:>14.0} {:>11.0} {:>5.0}% {:>8.0} / {:<7.0} {:>14.0} {:>11.0}",
                name,
                memory,
                median(base.iter().map(|r| r.per_sec).collect()),
                median(exec.iter().map(|r| r.per_sec).collect()),
                100.0 * median(ratios),
                median(base.iter().map(|r| r.parent_cpu_us).collect()),
                median(exec.iter().map(|r| r.parent_cpu_us).collect()),
                tokio.per_sec,
                forked.per_sec,
            );
        }
    }
    black_box(&ballast);
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `bytes` of memory with every page written, so it is resident and mapped.
fn touched(bytes: usize) -> Vec<u8> {
    let mut v = vec![0u8; bytes];
    for i in (0..bytes).step_by(4096) {
        v[i] = 1;
    }
    black_box(v)
}

/// Our own CPU time so far (all threads, not the children).
fn self_cpu() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let ru = unsafe {
        let mut ru = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn measure(runs: usize, body: impl FnOnce()) -> Rate {
    let (cpu, start) = (self_cpu(), Instant::now());
    body();
    let wall = start.elapsed().as_secs_f64();
    Rate {
        per_sec: runs as f64 / wall,
        parent_cpu_us: (self_cpu() - cpu).as_secs_f64() * 1e6 / runs as f64,
    }
}

/// The executor: `runs` requests through `inflight` slots.
fn executor(argv: &[&str], runs: usize, inflight: usize) -> Rate {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = ExecConfig {
        max_concurrent: inflight,
        env: [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into(),
        ..ExecConfig::default()
    };
    let executor = Executor::new(config);
    let line = argv.join(" ");
    // Warm-up outside the measurement: the slot threads start on demand.
    let warm_line = line.clone();
    let warm = rt.block_on(
        executor
            .run_all((0..inflight * 2).map(move |_| Request::new(warm_line.clone())))
            .collect(),
    );
    assert!(warm.iter().all(|r| r.state == 0), "{warm:?}");
    measure(runs, || {
        rt.block_on(async {
            let mut batch = executor.run_all((0..runs).map(move |_| Request::new(line.clone())));
            while let Some((_, r)) = batch.next().await {
                assert_eq!(r.state, 0, "{r:?}");
            }
        })
    })
}

/// For context: `tokio::process` with `inflight` tasks, output piped as the executor does.
fn tokio_process(argv: &[&str], runs: usize, inflight: usize) -> Rate {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(inflight)
        .enable_all()
        .build()
        .unwrap();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    measure(runs, || {
        rt.block_on(async {
            let tasks: Vec<_> = (0..inflight)
                .map(|t| {
                    let argv = argv.clone();
                    let share = runs / inflight + usize::from(t < runs % inflight);
                    tokio::spawn(async move {
                        for _ in 0..share {
                            let out = tokio::process::Command::new(&argv[0])
                                .args(&argv[1..])
                                .env_clear()
                                .env("PATH", "/usr/bin:/bin")
                                .stdin(std::process::Stdio::null())
                                .output()
                                .await
                                .unwrap();
                            assert!(out.status.success());
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
    })
}

/// Everything a spawn loop needs, built once: C strings and a /dev/null for stdout/stderr.
struct Spawnable {
    program: CString,
    _args: Vec<CString>,
    argv: Vec<*mut libc::c_char>,
    _env: Vec<CString>,
    envp: Vec<*mut libc::c_char>,
    devnull: libc::c_int,
}

// SAFETY: the raw pointers point into the CStrings owned alongside them and are only read.
unsafe impl Send for Spawnable {}
unsafe impl Sync for Spawnable {}

impl Spawnable {
    fn new(argv: &[&str]) -> Spawnable {
        let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
        let env = vec![CString::new("PATH=/usr/bin:/bin").unwrap()];
        let ptrs = |v: &[CString]| {
            v.iter()
                .map(|c| c.as_ptr() as *mut libc::c_char)
                .chain([std::ptr::null_mut()])
                .collect()
        };
        // SAFETY: a plain open(2) of a constant path.
        let devnull = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        assert!(devnull >= 0);
        Spawnable {
            program: args[0].clone(),
            argv: ptrs(&args),
            _args: args,
            envp: ptrs(&env),
            _env: env,
            devnull,
        }
    }

    fn posix_spawn_and_wait(&self) {
        // SAFETY: file actions and argv/envp are valid for the duration of the call.
        unsafe {
            let mut actions = std::mem::MaybeUninit::<libc::posix_spawn_file_actions_t>::uninit();
            libc::posix_spawn_file_actions_init(actions.as_mut_ptr());
            libc::posix_spawn_file_actions_adddup2(actions.as_mut_ptr(), self.devnull, 1);
            libc::posix_spawn_file_actions_adddup2(actions.as_mut_ptr(), self.devnull, 2);
            let mut pid = 0;
            let r = libc::posix_spawn(
                &mut pid,
                self.program.as_ptr(),
                actions.as_ptr(),
                std::ptr::null(),
                self.argv.as_ptr(),
                self.envp.as_ptr(),
            );
            libc::posix_spawn_file_actions_destroy(actions.as_mut_ptr());
            assert_eq!(r, 0, "posix_spawn failed");
            wait(pid);
        }
    }

    fn fork_exec_and_wait(&self) {
        // SAFETY: the child only calls async-signal-safe functions (dup2, execve, _exit).
        unsafe {
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                libc::dup2(self.devnull, 1);
                libc::dup2(self.devnull, 2);
                libc::execve(
                    self.program.as_ptr(),
                    self.argv.as_ptr() as *const _,
                    self.envp.as_ptr() as *const _,
                );
                libc::_exit(127);
            }
            wait(pid);
        }
    }
}

impl Drop for Spawnable {
    fn drop(&mut self) {
        // SAFETY: our own fd.
        unsafe { libc::close(self.devnull) };
    }
}

fn wait(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
}

/// `threads` threads each running `one` in a loop, `runs` in all.
fn in_threads(runs: usize, threads: usize, one: impl Fn() + Sync) -> Rate {
    measure(runs, || {
        std::thread::scope(|s| {
            for t in 0..threads {
                let share = runs / threads + usize::from(t < runs % threads);
                let one = &one;
                s.spawn(move || (0..share).for_each(|_| one()));
            }
        })
    })
}

/// The floor: libc `posix_spawn` + `waitpid`, stdout/stderr to /dev/null.
fn baseline(argv: &[&str], runs: usize, threads: usize) -> Rate {
    let sp = Spawnable::new(argv);
    in_threads(runs, threads, || sp.posix_spawn_and_wait())
}

/// For contrast: `fork` + `execve` + `waitpid`, what a naive spawner pays for our address space.
fn fork_exec(argv: &[&str], runs: usize, threads: usize) -> Rate {
    let sp = Spawnable::new(argv);
    in_threads(runs.max(threads), threads, || sp.fork_exec_and_wait())
}

//! The slots: one thread per concurrently running plugin (created on demand, up to
//! `max_concurrent`), fed from one FIFO queue. A slot thread spawns, watches and reaps its plugin
//! and takes the next request straight away, the way a bare `posix_spawn` + `waitpid` loop does:
//! no hop between threads or tasks between one plugin's exit and the next one's start.
//!
//! Measured on the project's 2-core VM against such a loop (`benches/spawn.rs`): tokio's own
//! child handling reaches ~80 %, one epoll thread serving tasks ~70 % (each exit costs extra
//! context switches), slot threads ~95 %. Threads are cheap here: a small stack each, asleep in
//! `poll(2)` while their plugin runs.
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};

use crate::executor::ExecConfig;
use crate::outcome;
use crate::request::{ExecResult, Request};
use crate::spawn;
use crate::watch::{self, Ticket};

/// A slot thread's stack: it only holds a read buffer and small frames.
const STACK: usize = 256 * 1024;

/// Where a finished request's result goes.
pub(crate) enum Reply {
    One(oneshot::Sender<ExecResult>),
    Batch {
        index: usize,
        to: mpsc::UnboundedSender<(usize, ExecResult)>,
        stop: Arc<AtomicBool>,
    },
}

pub(crate) struct Job {
    pub request: Request,
    pub ticket: Arc<Ticket>,
    pub reply: Reply,
}

impl Job {
    fn abandoned(&self) -> bool {
        self.ticket.cancelled()
            || match &self.reply {
                Reply::One(tx) => tx.is_closed(),
                Reply::Batch { to, stop, .. } => to.is_closed() || stop.load(std::sync::atomic::Ordering::SeqCst),
            }
    }

    fn send(self, result: ExecResult) {
        // The receiver may be gone (cancelled): the plugin has been reaped all the same.
        match self.reply {
            Reply::One(tx) => drop(tx.send(result)),
            Reply::Batch { index, to, .. } => drop(to.send((index, result))),
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    busy: usize,
    shutdown: bool,
}

pub(crate) struct Pool {
    config: Arc<ExecConfig>,
    state: Mutex<State>,
    work: Condvar,
}

impl Pool {
    pub(crate) fn new(config: Arc<ExecConfig>) -> Arc<Pool> {
        Arc::new(Pool {
            config,
            state: Mutex::new(State::default()),
            work: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing in the state can be left half-updated by a panic: keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a job, starting a slot thread if none is free and the limit allows.
    pub(crate) fn submit(self: &Arc<Self>, job: Job) {
        let mut state = self.lock();
        state.queue.push_back(job);
        if state.idle > 0 {
            drop(state);
            self.work.notify_one();
            return;
        }
        if state.threads >= self.config.max_concurrent {
            return; // a busy slot takes it when done
        }
        state.threads += 1;
        drop(state);
        let pool = self.clone();
        let started = std::thread::Builder::new()
            .name("vigia-slot".into())
            .stack_size(STACK)
            .spawn(move || pool.slot());
        if let Err(e) = started {
            let mut state = self.lock();
            state.threads -= 1;
            if state.threads == 0 {
                // No thread will ever take them: fail what is queued rather than hang.
                let jobs: Vec<Job> = state.queue.drain(..).collect();
                drop(state);
                for job in jobs {
                    let result = failed(
                        &job.request,
                        &self.config,
                        &format!("Could not start a slot thread: {e}"),
                    );
                    job.send(result);
                }
            }
        }
    }

    /// Stops the slot threads once the queue is empty (running plugins finish first).
    pub(crate) fn shutdown(&self) {
        self.lock().shutdown = true;
        self.work.notify_all();
    }

    pub(crate) fn running(&self) -> usize {
        self.lock().busy
    }

    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// A slot thread: takes jobs until shutdown.
    fn slot(self: Arc<Self>) {
        let mut state = self.lock();
        loop {
            let Some(job) = state.queue.pop_front() else {
                if state.shutdown {
                    state.threads -= 1;
                    return;
                }
                state.idle += 1;
                state = self.work.wait(state).unwrap_or_else(|p| p.into_inner());
                state.idle -= 1;
                continue;
            };
            if job.abandoned() {
                continue;
            }
            state.busy += 1;
            drop(state);
            let (raw, unreaped) = spawn::run(&job.request, &self.config, &job.ticket);
            let result = outcome::finish(raw, &job.request, &self.config);
            match unreaped {
                None => {
                    // The process is gone: count it out before the caller hears of it.
                    self.lock().busy -= 1;
                    job.send(result);
                    state = self.lock();
                }
                Some(pid) => {
                    job.send(result);
                    // Outlived SIGKILL (uninterruptible sleep): the slot stays taken until it dies.
                    watch::reap_blocking(pid);
                    state = self.lock();
                    state.busy -= 1;
                }
            }
        }
    }
}

/// An UNKNOWN result for a request that could not be run at all.
pub(crate) fn failed(request: &Request, config: &ExecConfig, why: &str) -> ExecResult {
    let raw = spawn::not_started(
        crate::spawn::Ending::Failed(why.to_owned()),
        config.max_plugins_output_length,
    );
    outcome::finish(raw, request, config)
}

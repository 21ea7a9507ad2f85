//! The executor: the async face of the slots ([`crate::pool`]), shared by every caller of a
//! worker. Internal commands skip the queue (they cost no process).
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::internal;
use crate::limits::{DEFAULT_KILL_GRACE, DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT_EXIT_STATUS};
use crate::pool::{self, Job, Pool, Reply};
use crate::request::{ExecResult, Request};
use crate::tags::{ModuleTypes, TagFilter};
use crate::watch::Ticket;

/// How a worker runs plugins.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecConfig {
    /// Processes running at once; further requests wait in FIFO order. At least 1.
    pub max_concurrent: usize,
    /// For requests without their own timeout.
    pub default_timeout: Duration,
    /// The state of a timed-out action (Alignak's `timeout_exit_status`, 2 by default).
    pub timeout_exit_status: u8,
    /// Bytes of output kept per stream (`max_plugins_output_length`); the rest is read and dropped.
    pub max_plugins_output_length: usize,
    /// SIGTERM to SIGKILL, for a process group past its timeout.
    pub kill_grace: Duration,
    /// The children's whole base environment (requests add to it); nothing is inherited.
    pub env: BTreeMap<String, String>,
    /// The children's working directory when the request sets none (`None`: ours).
    pub cwd: Option<PathBuf>,
    /// Runs command lines that need a shell, as `SHELL -c LINE`.
    pub shell: PathBuf,
    /// The tags this worker serves (see [`Executor::accepts`]).
    pub tags: TagFilter,
    pub module_types: ModuleTypes,
}

impl Default for ExecConfig {
    /// Alignak's defaults; 256 slots (Alignak: 256 per worker process); `PATH` copied from our own
    /// environment (or the usual one) as the only variable.
    fn default() -> ExecConfig {
        let path = std::env::var("PATH")
            .unwrap_or_else(|_| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned());
        ExecConfig {
            max_concurrent: 256,
            default_timeout: DEFAULT_TIMEOUT,
            timeout_exit_status: DEFAULT_TIMEOUT_EXIT_STATUS,
            max_plugins_output_length: DEFAULT_MAX_OUTPUT,
            kill_grace: DEFAULT_KILL_GRACE,
            env: BTreeMap::from([("PATH".to_owned(), path)]),
            cwd: None,
            shell: PathBuf::from("/bin/sh"),
            tags: TagFilter::default(),
            module_types: ModuleTypes::default(),
        }
    }
}

/// Runs requests with at most `max_concurrent` processes alive, in FIFO order. Cheap to clone;
/// clones share the slots. The async API works under any executor (tokio is not required: the
/// waiting is done by the slot threads).
#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<ExecConfig>,
    pool: Arc<Pool>,
}

impl Drop for Inner {
    /// The slot threads finish what is running and queued, then exit.
    fn drop(&mut self) {
        self.pool.shutdown();
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("max_concurrent", &self.inner.config.max_concurrent)
            .field("running", &self.running())
            .field("queued", &self.queued())
            .finish()
    }
}

impl Executor {
    pub fn new(mut config: ExecConfig) -> Executor {
        config.max_concurrent = config.max_concurrent.max(1);
        let config = Arc::new(config);
        Executor {
            inner: Arc::new(Inner {
                pool: Pool::new(config.clone()),
                config,
            }),
        }
    }

    pub fn config(&self) -> &ExecConfig {
        &self.inner.config
    }

    /// Whether this worker takes `request`: its tag is served and its module type is run here.
    pub fn accepts(&self, request: &Request) -> bool {
        self.inner.config.tags.serves(request.tag.as_deref())
            && self.inner.config.module_types.serves(&request.module_type)
    }

    /// Runs one request: waits for a slot, runs, returns once the process is reaped. Never fails:
    /// every problem is a result (UNKNOWN, or `timeout_exit_status` on timeout). Dropping the
    /// future kills the process group (or drops the request if it is still queued).
    pub async fn run(&self, request: Request) -> ExecResult {
        if let Some(result) = internal::run(&request) {
            return result;
        }
        let ticket = Arc::new(Ticket::default());
        let (tx, rx) = oneshot::channel();
        let fallback = pool::failed(&request, &self.inner.config, "The slot thread went away");
        self.inner.pool.submit(Job {
            request,
            ticket: ticket.clone(),
            reply: Reply::One(tx),
        });
        let mut guard = CancelOnDrop(Some(ticket));
        let result = rx.await.unwrap_or(fallback);
        guard.0 = None;
        result
    }

    /// Runs many requests through the same slots, yielding `(index, result)` as each finishes.
    /// Requests are pulled from `requests` as slots free up (a window of twice the slots ahead, so
    /// a slot finishing finds its next request already queued), once the [`Batch`] is polled.
    /// Dropping the batch drops what it queued; running plugins finish.
    pub fn run_all<I>(&self, requests: I) -> Batch
    where
        I: IntoIterator<Item = Request>,
        I::IntoIter: Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        Batch {
            executor: self.clone(),
            requests: Box::new(requests.into_iter()),
            next_index: 0,
            outstanding: 0,
            ready: VecDeque::new(),
            tx,
            rx,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Processes alive now.
    pub fn running(&self) -> usize {
        self.inner.pool.running()
    }

    /// Requests waiting for a slot.
    pub fn queued(&self) -> usize {
        self.inner.pool.queued()
    }
}

/// Kills the plugin (or drops the queued request) if the waiting future goes away.
struct CancelOnDrop(Option<Arc<Ticket>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(ticket) = self.0.take() {
            ticket.cancel();
        }
    }
}

/// Results of [`Executor::run_all`] in completion order.
pub struct Batch {
    executor: Executor,
    requests: Box<dyn Iterator<Item = Request> + Send>,
    next_index: usize,
    /// Submitted and not yet received.
    outstanding: usize,
    /// Internal commands, answered on the spot.
    ready: VecDeque<(usize, ExecResult)>,
    tx: mpsc::UnboundedSender<(usize, ExecResult)>,
    rx: mpsc::UnboundedReceiver<(usize, ExecResult)>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("started", &self.next_index)
            .field("outstanding", &self.outstanding)
            .finish()
    }
}

impl Batch {
    /// The next finished request and its index in the input; `None` when all are done.
    pub async fn next(&mut self) -> Option<(usize, ExecResult)> {
        let window = self
            .executor
            .inner
            .config
            .max_concurrent
            .saturating_mul(2)
            .clamp(2, 8192);
        while self.outstanding < window && self.ready.is_empty() {
            let Some(request) = self.requests.next() else { break };
            let index = self.next_index;
            self.next_index += 1;
            if let Some(result) = internal::run(&request) {
                self.ready.push_back((index, result));
                continue;
            }
            let reply = Reply::Batch {
                index,
                to: self.tx.clone(),
                stop: self.stop.clone(),
            };
            self.executor.inner.pool.submit(Job {
                request,
                ticket: Arc::new(Ticket::default()),
                reply,
            });
            self.outstanding += 1;
        }
        if let Some(ready) = self.ready.pop_front() {
            return Some(ready);
        }
        if self.outstanding == 0 {
            return None;
        }
        // `self.tx` is alive, so this only ends with a result.
        let item = self.rx.recv().await?;
        self.outstanding -= 1;
        Some(item)
    }

    /// All results, in input order.
    pub async fn collect(mut self) -> Vec<ExecResult> {
        let mut results: Vec<(usize, ExecResult)> = Vec::new();
        while let Some(item) = self.next().await {
            results.push(item);
        }
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

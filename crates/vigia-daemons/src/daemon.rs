//! What every daemon shares: who it is, what it was assigned, and its HTTP server.
//!
//! A satellite needs only where to listen and a data folder: everything else comes from the
//! arbiter in an [`Assignment`]. Assignments carry generations that only grow; a daemon refuses
//! one older than what it runs, and obeys only the highest arbiter generation it has seen.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use vigia_config::model::Role;
use vigia_proto::{Assignment, AssignmentSummary, ErrorBody, Identity, PROTOCOL_VERSION, SECRET_HEADER};

/// Where a daemon listens and keeps its files.
#[derive(Clone, Debug)]
pub struct DaemonOptions {
    pub role: Role,
    /// Name used until the arbiter assigns one (`ROLE-HOST:PORT` by default).
    pub name: String,
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// The shared secret(s) every request must carry, one per line (see [`crate::secret`]);
    /// `None`: none (allowed on a loopback address only, or with mutual TLS, or `insecure`).
    pub secret: Option<String>,
    pub security: Security,
}

/// How a daemon protects its API besides the shared secret.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// The file the secret came from: read again every few seconds, so that it can be rotated
    /// without a restart.
    pub secret_file: Option<PathBuf>,
    /// TLS on the daemon's HTTP API (and, as a client, towards the daemons it calls).
    pub tls: Option<crate::tls::TlsFiles>,
    /// Listening beyond loopback with nothing to authenticate clients, because asked to (said
    /// at every start).
    pub insecure: bool,
    /// The broker's web UI users file (`NAME:HASH[:admin]`; `vigia run` makes one).
    pub web_users: Option<PathBuf>,
}

/// The daemon's identity and current assignment, shared by its tasks.
pub struct DaemonState {
    pub options: DaemonOptions,
    /// The secrets accepted and sent, followed from the secret file when there is one.
    secrets: crate::secret::Secrets,
    pub running_id: String,
    pub started: i64,
    inner: Mutex<Assigned>,
    /// When an arbiter last reached this daemon (an identity check, an assignment or a
    /// release), in milliseconds since `epoch` (a monotonic clock). A scheduler cut off from
    /// every arbiter may have been replaced (see [`vigia_proto::Fencing`]).
    arbiter_contact: AtomicU64,
    epoch: std::time::Instant,
}

#[derive(Default)]
struct Assigned {
    name: Option<String>,
    arbiter_generation: u64,
    current: Option<AssignmentSummary>,
    /// Generation of the last release: assignments older than it are stale too.
    released: u64,
    /// A scheduler's part images.
    parts: Vec<String>,
    /// A scheduler's live standby copies, by home scheduler.
    live: Vec<String>,
}

/// Why an assignment was refused.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("arbiter generation {got} is older than {seen}, the newest this daemon obeys")]
    OldArbiter { got: u64, seen: u64 },
    #[error("assignment generation {got} is older than the running one ({current})")]
    Stale { got: u64, current: u64 },
    #[error("this daemon is a {mine}, not a {asked}")]
    WrongRole { mine: &'static str, asked: &'static str },
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl DaemonState {
    pub fn new(options: DaemonOptions) -> Arc<DaemonState> {
        let started = now();
        // Start time plus sub-second clock and pid: different for every start, even two starts
        // in the same second.
        let nanos = jiff::Timestamp::now().subsec_nanosecond();
        let running_id = format!("{started}.{:08x}{:05}", nanos, std::process::id());
        Arc::new(DaemonState {
            secrets: options.secret.clone().into(),
            options,
            running_id,
            started,
            inner: Mutex::new(Assigned::default()),
            arbiter_contact: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Assigned> {
        // A panic in another task must not take the daemon's identity down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn name(&self) -> String {
        self.lock().name.clone().unwrap_or_else(|| self.options.name.clone())
    }

    pub fn identity(&self) -> Identity {
        let a = self.lock();
        Identity {
            protocol: PROTOCOL_VERSION,
            role: self.options.role,
            name: a.name.clone().unwrap_or_else(|| self.options.name.clone()),
            running_id: self.running_id.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started: self.started,
            assignment: a.current.clone(),
            arbiter_generation: a.arbiter_generation,
            parts: a.parts.clone(),
            live: a.live.clone(),
        }
    }

    /// Milliseconds on this daemon's monotonic clock.
    pub fn clock_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// An arbiter reached this daemon just now.
    pub fn arbiter_contact(&self) {
        self.arbiter_contact.fetch_max(self.clock_ms(), Ordering::AcqRel);
    }

    /// When an arbiter last reached this daemon ([`DaemonState::clock_ms`]; 0: never).
    pub fn last_arbiter_contact(&self) -> u64 {
        self.arbiter_contact.load(Ordering::Acquire)
    }

    /// The part images this daemon holds, as its identity tells the arbiter.
    pub fn set_parts(&self, parts: Vec<String>) {
        self.lock().parts = parts;
    }

    /// The home schedulers this scheduler keeps a live copy of, as its identity tells them.
    pub fn set_live(&self, live: Vec<String>) {
        self.lock().live = live;
    }

    /// The generation of the running assignment (0: none).
    pub fn generation(&self) -> u64 {
        self.lock().current.as_ref().map_or(0, |c| c.generation)
    }

    /// The secrets this daemon accepts and sends (each daemon has its own copy of the shared
    /// secret: it never travels in an assignment). Links made with it follow its rotation.
    pub fn secrets(&self) -> crate::secret::Secrets {
        self.secrets.clone()
    }

    /// Checks an assignment against generations and role, and records it when accepted.
    /// The role-specific work is applied by the caller after this returns `Ok`.
    pub fn accept(&self, assignment: &Assignment) -> Result<(), AssignError> {
        let asked = match &assignment.work {
            vigia_proto::Work::Scheduler(_) => Role::Scheduler,
            vigia_proto::Work::Poller(_) => Role::Poller,
            vigia_proto::Work::Reactionner(_) => Role::Reactionner,
            vigia_proto::Work::Broker(_) => Role::Broker,
            vigia_proto::Work::Receiver(_) => Role::Receiver,
        };
        if asked != self.options.role {
            return Err(AssignError::WrongRole {
                mine: self.options.role.name(),
                asked: asked.name(),
            });
        }
        self.arbiter_contact();
        let mut a = self.lock();
        if assignment.arbiter_generation < a.arbiter_generation {
            return Err(AssignError::OldArbiter {
                got: assignment.arbiter_generation,
                seen: a.arbiter_generation,
            });
        }
        // A newer arbiter (a spare that took the lead, or the master taking it back) starts a
        // new era: its numbering is the one that counts from now on.
        let current = a.current.as_ref().map_or(a.released, |c| c.generation.max(a.released));
        if assignment.arbiter_generation == a.arbiter_generation && assignment.generation < current {
            return Err(AssignError::Stale {
                got: assignment.generation,
                current,
            });
        }
        a.arbiter_generation = assignment.arbiter_generation;
        a.name = Some(assignment.name.clone());
        a.current = Some(AssignmentSummary {
            generation: assignment.generation,
            config_hash: assignment.config_hash.clone(),
        });
        Ok(())
    }
}

impl DaemonState {
    /// Checks a release against the arbiter generation and records it: the daemon runs nothing
    /// and refuses assignments older than the release. The caller stops the role's work.
    pub fn release(&self, release: &vigia_proto::Release) -> Result<(), AssignError> {
        self.arbiter_contact();
        let mut a = self.lock();
        if release.arbiter_generation < a.arbiter_generation {
            return Err(AssignError::OldArbiter {
                got: release.arbiter_generation,
                seen: a.arbiter_generation,
            });
        }
        a.arbiter_generation = release.arbiter_generation;
        a.released = a.released.max(release.generation);
        a.current = None;
        Ok(())
    }
}

/// An API error: a status and a message, as JSON.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<AssignError> for ApiError {
    fn from(e: AssignError) -> Self {
        let status = match e {
            AssignError::WrongRole { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::CONFLICT,
        };
        ApiError(status, e.to_string())
    }
}

/// Middleware: with a secret configured, a request without it gets 401 and goes no further.
pub async fn require_secret(State(state): State<Arc<DaemonState>>, request: Request, next: Next) -> Response {
    if !state.secrets.is_empty() {
        let given = request.headers().get(SECRET_HEADER).map(|v| v.as_bytes());
        if !state.secrets.accepts(given) {
            return ApiError(StatusCode::UNAUTHORIZED, "missing or wrong shared secret".into()).into_response();
        }
    }
    next.run(request).await
}

/// Refuses to expose an API nobody authenticates: beyond loopback, a daemon needs a secret or
/// mutual TLS, unless told `insecure` (said at every start).
pub fn check_exposure(options: &DaemonOptions) -> anyhow::Result<()> {
    let who = format!("{} {}", options.role.name(), options.name);
    let authenticated = options.secret.is_some() || options.security.tls.as_ref().is_some_and(|t| t.client_auth);
    if authenticated || options.listen.ip().is_loopback() {
        if !authenticated {
            tracing::info!(
                "{who}: no shared secret: the API on {} answers this machine only",
                options.listen
            );
        }
        return Ok(());
    }
    if options.security.insecure {
        tracing::warn!(
            "{who}: INSECURE: the API on {} is open to anyone who can reach it (--insecure): \
             anyone can assign this daemon work whose commands it runs",
            options.listen
        );
        return Ok(());
    }
    anyhow::bail!(
        "{who}: refusing to listen on {} with no shared secret and no mutual TLS: anyone who can \
         reach it could make it run commands. Give it the cluster's secret (--secret-file FILE, \
         the file `vigia run` made: DATA/secret), or mutual TLS (--ca-cert, --server-cert, \
         --server-key, --client-auth), or listen on 127.0.0.1; --insecure if you really mean it",
        options.listen
    )
}

/// Serves `router` (with the secret check and `GET /v1/identity` added) until `shutdown`.
pub async fn serve(
    state: Arc<DaemonState>,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with_public(state, router, axum::Router::new(), shutdown).await
}

/// [`serve`], with `public` beside it: routes that authenticate people themselves (the
/// broker's web UI, by login) rather than by the daemons' shared secret.
pub async fn serve_with_public(
    state: Arc<DaemonState>,
    router: axum::Router,
    public: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    check_exposure(&state.options)?;
    let follow = state
        .options
        .security
        .secret_file
        .clone()
        .map(|f| state.secrets.follow(f));
    let tls = match &state.options.security.tls {
        Some(files) => {
            crate::link::use_tls(crate::tls::client_config(files)?);
            Some(crate::tls::server_config(files)?)
        }
        None => None,
    };
    let identity_state = state.clone();
    let router = router
        .route(
            vigia_proto::paths::IDENTITY,
            axum::routing::get(move |query: axum::extract::RawQuery| {
                let s = identity_state.clone();
                async move {
                    let from_arbiter = query.0.as_deref().is_some_and(|q| {
                        q.split('&')
                            .any(|kv| kv.split('=').next() == Some(vigia_proto::ARBITER_QUERY))
                    });
                    if from_arbiter {
                        s.arbiter_contact();
                    }
                    Json(s.identity())
                }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), require_secret))
        .merge(public);
    let listener = tokio::net::TcpListener::bind(state.options.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.options.listen))?;
    let served = crate::server::serve(listener, router, tls, shutdown).await;
    if let Some(f) = follow {
        f.abort();
    }
    served
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C): daemons save what they must, then exit.
pub async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

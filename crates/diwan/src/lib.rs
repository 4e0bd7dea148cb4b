//! Assembles Diwan: opens the database chosen by configuration, applies
//! migrations, builds the services and serves HTTP with the background
//! workers in one process. The command line in `main.rs` and the
//! integration tests both start Diwan through [`start`].
#![forbid(unsafe_code)]

use anyhow::Context;
use diwan_services::{Config as ServiceConfig, Services};
use diwan_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Where Diwan keeps its data and how it serves.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data directory: the SQLite file and the attachments live here by default.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL, `sqlite:…` for another SQLite file;
    /// `None` is `<data_dir>/diwan.db`.
    pub database_url: Option<String>,
    /// Where attachments go: a directory, or `s3://bucket`; `None` is `<data_dir>/files`.
    pub files: Option<String>,
    pub listen: SocketAddr,
    pub secure_cookies: bool,
    /// How many reverse proxies in front of Diwan append to `X-Forwarded-For`.
    pub trusted_proxies: usize,
    /// The bearer token `/metrics` asks for; `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
    /// How often the overdue sweep runs.
    pub worker_interval: Duration,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// The most connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long an HTTP/1.1 connection is kept (see [`MAX_CONNECTION_AGE`]).
    pub max_connection_age: Duration,
    /// A second address for the SMS gateway's calls (see
    /// [`GATEWAY_MAX_CONNECTIONS`]), which are then served there alone, and
    /// nothing else is; `None` serves them on `listen`.
    pub gateway_listen: Option<SocketAddr>,
    /// The most connections served at once on `gateway_listen`.
    pub gateway_max_connections: usize,
    pub services: ServiceConfig,
}

impl Settings {
    pub fn new(data_dir: PathBuf) -> Self {
        Settings {
            data_dir,
            database_url: None,
            files: None,
            listen: ([127, 0, 0, 1], 8080).into(),
            secure_cookies: false,
            trusted_proxies: 0,
            metrics_token: None,
            worker_interval: Duration::from_secs(60),
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_connection_age: MAX_CONNECTION_AGE,
            gateway_listen: None,
            gateway_max_connections: GATEWAY_MAX_CONNECTIONS,
            services: ServiceConfig::default(),
        }
    }
}

/// Opens the configured database and applies pending migrations.
pub async fn open_store(s: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match s.database_url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Arc::new(
                diwan_store_postgres::PostgresStore::connect(url)
                    .await
                    .context("cannot connect to PostgreSQL")?,
            )
        }
        Some(url) if url.starts_with("sqlite:") => Arc::new(
            diwan_store_sqlite::SqliteStore::connect(url)
                .await
                .context("cannot open SQLite")?,
        ),
        Some(other) => {
            anyhow::bail!("unsupported database URL {other:?}: use postgres://… or sqlite:…")
        }
        None => Arc::new(
            diwan_store_sqlite::SqliteStore::open(&s.data_dir.join("diwan.db"))
                .await
                .context("cannot open the SQLite database")?,
        ),
    };
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
}

/// Builds the services over an opened store. The workflows of the
/// configuration are checked before the database is touched.
pub async fn build_services(s: &Settings) -> anyhow::Result<Services> {
    diwan_domain::cases::workflow::Registry::with(s.services.workflows.iter().cloned())
        .map_err(|e| anyhow::anyhow!("a workflow of the configuration is invalid: {e}"))?;
    let store = open_store(s).await?;
    let files_url = s
        .files
        .clone()
        .unwrap_or_else(|| s.data_dir.join("files").to_string_lossy().into_owned());
    let files = diwan_services::cases::attachments::open_file_store(&files_url)
        .context("cannot open the file store")?;
    Ok(Services::new(store, files, s.services.clone()))
}

/// The default of how long a client may take to send a request's headers once its
/// connection is open (or between requests on a kept-alive connection);
/// slower connections are closed, so that half-sent requests cannot hold
/// connections open for ever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of how many connections are served at once; more wait in
/// the listening socket's queue. A last bound on memory (a connection kept
/// open between requests holds some 27 KB), high enough that a gateway
/// passing on a backlog (Kannel opens a connection for each call it makes
/// at once) does not keep everyone else waiting.
pub const MAX_CONNECTIONS: usize = 8192;

/// The default of how many connections the gateway's address serves at
/// once. Kannel calls back for each delivery report and each incoming SMS,
/// a connection for every call it has under way, and keeps them open
/// between calls: thousands while a bulk SMS is delivered and the database
/// is busy with something else (2,600, some 70 MB of the server's memory,
/// in a 200,000-person benchmark). On an address of its own, beyond this
/// many its calls wait in that address's queue, in Kannel and the kernel,
/// not in Diwan's memory, and they take none of the connections people's
/// requests are served on.
pub const GATEWAY_MAX_CONNECTIONS: usize = 256;

/// How long an HTTP/1.1 connection is kept, however busy: the first answer
/// given after it is this old says `Connection: close`, and the connection
/// closes once that answer is written. A client that keeps a pool of
/// connections open (Kannel does) would otherwise keep as many as it ever
/// needed at once; told, it opens again only those it needs now. The
/// client learns it from an answer, so a request it sends meanwhile is
/// never cut off unread (a connection idle between requests is closed
/// after the header-read timeout, as before).
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(30);

/// What the server holds its connections to (see [`Settings`]).
#[derive(Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    max_connections: usize,
    max_connection_age: Duration,
}

/// How long requests in flight may take to finish after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Accepts connections and serves them until `stop` turns true, then lets
/// the requests in flight finish. HTTP/1.1 connections get a header-read
/// timeout (see [`HEADER_READ_TIMEOUT`]); HTTP/2 without TLS is served too.
/// At most `max_connections` are served at once (see
/// [`MAX_CONNECTIONS`]): the next is accepted when one closes. An HTTP/1.1
/// connection older than `limits.max_connection_age` is closed with its
/// next answer.
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let Limits {
        header_read_timeout,
        max_connections,
        max_connection_age,
    } = limits;
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt as _;
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let stopping = stop.clone();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    let max_connections = max_connections.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = &mut stopped => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        let app = app.clone();
        let opened = tokio::time::Instant::now();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                // HTTP/2 has no `Connection` header; its connections stay.
                let http1 = req.version() <= hyper::Version::HTTP_11;
                let answer = app.clone().oneshot(req.map(axum::body::Body::new));
                async move {
                    let mut response = answer.await?;
                    if http1 && opened.elapsed() >= max_connection_age {
                        response.headers_mut().insert(
                            axum::http::header::CONNECTION,
                            axum::http::HeaderValue::from_static("close"),
                        );
                    }
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = stopping.wait_for(|s| *s) => None,
            };
            let ended = match ended {
                Some(r) => r,
                None => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    // Every connection gives its slot back once its requests are answered.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period were cut off");
    }
}

/// A running Diwan: its addresses, and a way to stop it gracefully.
pub struct Running {
    pub addr: SocketAddr,
    /// The gateway's address, when it has one of its own.
    pub gateway_addr: Option<SocketAddr>,
    pub services: Services,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting connections, lets requests in flight finish, stops the workers.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task failed")?
    }

    /// Waits until the server stops by itself (it does not, unless shut down).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task failed")?
    }

    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Starts HTTP and the background workers on already built services.
pub async fn start(s: &Settings, services: Services) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(s.listen)
        .await
        .with_context(|| format!("cannot listen on {}", s.listen))?;
    let addr = listener.local_addr()?;
    let gateway = match s.gateway_listen {
        Some(at) => Some(
            TcpListener::bind(at)
                .await
                .with_context(|| format!("cannot listen on {at} for the gateway"))?,
        ),
        None => None,
    };
    let gateway_addr = gateway.as_ref().map(|l| l.local_addr()).transpose()?;
    let (tx, rx) = watch::channel(false);
    let state = diwan_web::AppState::new(
        services.clone(),
        diwan_web::WebConfig {
            secure_cookies: s.secure_cookies,
            trusted_proxies: s.trusted_proxies,
            metrics_token: s.metrics_token.clone(),
        },
    );
    // With an address of its own, the SMS gateway's calls are served there
    // alone, and everything else only on the main address.
    let (app, gateway) = match gateway {
        Some(l) => (
            diwan_web::router_for(state.clone(), diwan_web::Part::People),
            Some((l, diwan_web::router_for(state, diwan_web::Part::Gateway))),
        ),
        None => (diwan_web::router(state), None),
    };
    let workers = services.clone();
    let every = s.worker_interval;
    let worker_rx = rx.clone();
    let worker = tokio::spawn(async move { workers.run_workers(every, worker_rx).await });
    let server_rx = rx;
    let limits = Limits {
        header_read_timeout: s.header_read_timeout,
        max_connections: s.max_connections,
        max_connection_age: s.max_connection_age,
    };
    // The gateway's address, within its own limit.
    let gateway = gateway.map(|(l, gateway_app)| {
        let gateway_limits = Limits {
            max_connections: s.gateway_max_connections,
            ..limits
        };
        tokio::spawn(serve(l, gateway_app, gateway_limits, server_rx.clone()))
    });
    let task = tokio::spawn(async move {
        serve(listener, app, limits, server_rx).await;
        if let Some(g) = gateway {
            let _ = g.await;
        }
        let _ = worker.await;
        Ok(())
    });
    Ok(Running {
        addr,
        gateway_addr,
        services,
        shutdown: tx,
        task,
    })
}

#[cfg(test)]
mod tests {
    /// Kannel's calls under way at once, as the shipped configuration sets
    /// them, fit in the connections the gateway's address serves: beyond
    /// them a call waits, on its connection, for another to close.
    #[test]
    fn shipped_kannel_calls_fit_in_the_gateways_connections() {
        let conf = include_str!("../../../deploy/kannel/kannel.conf");
        let pending: Vec<usize> = conf
            .lines()
            .filter_map(|l| l.trim().strip_prefix("max-pending-requests"))
            .filter_map(|rest| rest.trim().strip_prefix('='))
            .map(|n| n.trim().parse().expect("a number"))
            .collect();
        assert_eq!(pending.len(), 1, "max-pending-requests set once");
        assert!(pending[0] <= super::GATEWAY_MAX_CONNECTIONS, "{pending:?}");
    }
}

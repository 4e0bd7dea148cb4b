//! Diwan's use cases.
//!
//! Each operation opens one transaction, reads and writes through the store,
//! appends its audit record in that same transaction, commits, and only then
//! has side effects beyond the database. Handlers call exactly one of these.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod cache;
pub mod cases;
pub mod clock;
pub mod demo;
pub mod error;
pub mod frame;
pub mod inquiry;
pub mod jobs;
pub mod messaging;
pub mod notifications;
pub mod organizations;
pub mod persons;

pub use error::{Error, Result};

use chrono::{DateTime, Utc};
use diwan_domain::cases::workflow::{Actor, Registry, Workflow};
use diwan_domain::Role;
use diwan_store::Store;
use object_store::ObjectStore;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Tunables of the services, set from the binary's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Idle time after which a session ends.
    pub session_ttl: Duration,
    /// The largest attachment accepted, in bytes.
    pub max_attachment_bytes: usize,
    /// Cases due within this many working days count as due soon.
    pub due_soon_days: u32,
    /// Failed sign-ins after which an account is locked.
    pub lockout_threshold: i32,
    /// How long a lockout lasts.
    pub lockout_duration: Duration,
    /// The longest a session lasts, however active it is.
    pub session_max_lifetime: Duration,
    /// Per-address limits on failed sign-ins.
    pub sign_in_limits: accounts::throttle::Limits,
    /// The time the services see (the system's; tests set their own).
    pub clock: clock::Clock,
    /// Workflows defined as data, known besides the shipped ones.
    pub workflows: Vec<Workflow>,
    /// How long the case types, organizations, holidays and staff lists
    /// kept in memory are trusted before they are read again: the longest a
    /// change made on another node (or by `diwan admin`) goes unseen.
    pub cache_ttl: Duration,
    /// The largest CSV file of persons an import takes, in bytes.
    pub max_import_bytes: usize,
    /// How long a worker holds an import without committing a chunk
    /// before another may take it over.
    pub import_lease: Duration,
    /// The outbox, the SMS gateway and its callbacks.
    pub messaging: messaging::Settings,
    /// The national inquiry: its links, its approvals, its batches.
    pub inquiry: inquiry::Settings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_ttl: Duration::from_secs(8 * 3600),
            max_attachment_bytes: 10 * 1024 * 1024,
            due_soon_days: 2,
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            session_max_lifetime: Duration::from_secs(12 * 3600),
            sign_in_limits: accounts::throttle::Limits::default(),
            clock: clock::Clock::system(),
            workflows: Vec::new(),
            cache_ttl: Duration::from_secs(10),
            max_import_bytes: 512 * 1024 * 1024,
            import_lease: Duration::from_secs(60),
            messaging: messaging::Settings::default(),
            inquiry: inquiry::Settings::default(),
        }
    }
}

/// Everything the use cases need: the store, the file store, the settings.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub files: Arc<dyn ObjectStore>,
    /// Shared by every clone (the services are cloned per request).
    pub config: Arc<Config>,
    /// Password hashing, bounded to one check per core.
    pub passwords: accounts::password::Hasher,
    /// Failed sign-ins per client address.
    pub sign_in_throttle: Arc<accounts::throttle::SignInThrottle>,
    /// What rarely changes, kept in memory.
    pub(crate) cache: Arc<cache::Cache>,
    /// The shipped workflows and those of the configuration.
    workflows: Arc<Registry>,
    /// Woken when an import of persons is queued on this node.
    pub(crate) imports_waiting: Arc<tokio::sync::Notify>,
    /// Moved on when messages are queued on this node, which wakes every
    /// channel's sender (none misses a move made while it was busy).
    pub(crate) messages_waiting: Arc<tokio::sync::watch::Sender<u64>>,
    /// Woken when an inquiry is approved, paused or resumed on this node.
    pub(crate) inquiries_waiting: Arc<tokio::sync::Notify>,
    /// The client of the gateways (keeps their connections open).
    pub(crate) http: reqwest::Client,
    /// Where delivery reports wait to be applied, in groups (started at
    /// the first report).
    pub(crate) reports:
        Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<messaging::kannel::Pending>>>,
    /// Where incoming SMS wait to be taken, in groups (started at the
    /// first).
    pub(crate) incoming:
        Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<messaging::kannel::PendingIncoming>>>,
}

impl Services {
    /// The services over `store` and `files`. Panics when a workflow of the
    /// configuration is incoherent; [`Services::try_new`] reports it instead.
    pub fn new(store: Arc<dyn Store>, files: Arc<dyn ObjectStore>, config: Config) -> Self {
        match Self::try_new(store, files, config) {
            Ok(s) => s,
            Err(e) => panic!("a configured workflow is invalid: {e}"),
        }
    }

    /// The services over `store` and `files`, once every workflow of the
    /// configuration is checked.
    pub fn try_new(
        store: Arc<dyn Store>,
        files: Arc<dyn ObjectStore>,
        config: Config,
    ) -> Result<Self> {
        let workflows = Registry::with(config.workflows.iter().cloned())?;
        Ok(Services {
            store,
            files,
            passwords: accounts::password::Hasher::default(),
            sign_in_throttle: Arc::new(accounts::throttle::SignInThrottle::new(
                config.sign_in_limits,
            )),
            cache: Arc::new(cache::Cache::new(config.cache_ttl)),
            config: Arc::new(config),
            workflows: Arc::new(workflows),
            imports_waiting: Arc::new(tokio::sync::Notify::new()),
            messages_waiting: Arc::new(tokio::sync::watch::Sender::new(0)),
            inquiries_waiting: Arc::new(tokio::sync::Notify::new()),
            reports: Arc::new(std::sync::OnceLock::new()),
            incoming: Arc::new(std::sync::OnceLock::new()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(64)
                .build()
                .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?,
        })
    }

    /// The workflows case types may follow.
    pub fn workflows(&self) -> &Registry {
        &self.workflows
    }

    /// The ministry at the root of the organization tree.
    pub(crate) async fn ministry(
        &self,
        tx: &mut dyn diwan_store::ReadTx,
    ) -> Result<diwan_store::Organization> {
        organizations::ministry(&self.cache, tx).await
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.config.clock.now()
    }
}

/// Who is calling a service: a signed-in person (or their API token) and
/// where the call came from. Built by the web layer after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub ip: Option<String>,
    /// `None` for a browser session (every right of the role); the granted
    /// scopes for an API token.
    pub scopes: Option<Vec<String>>,
    pub locale: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            role: self.role,
            org_id: self.org_id,
        }
    }

    /// Whether the credential allows changes at all: a browser session
    /// does, an API token only with the `write` scope. Changes to one's own
    /// account (signing out, revoking a token, marking notifications read)
    /// need this, whatever the role.
    pub fn has_write_scope(&self) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == "write"))
    }

    /// Whether this caller may change state (tokens need the `write` scope).
    pub fn can_write(&self) -> bool {
        !self.role.is_read_only()
            && self
                .scopes
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == "write"))
    }
}

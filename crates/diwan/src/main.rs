//! The `diwan` command: serve, migrate, administer.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use diwan::Settings;
use diwan_domain::organizations::{OrgKind, DEFAULT_TIME_ZONE};
use diwan_domain::Role;
use diwan_services::accounts::NewUser;
use diwan_services::organizations::NewOrg;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// mimalloc rather than the system's allocator: a server answering many
/// small requests at once on a few cores allocates and frees small blocks
/// from many threads, which glibc's allocator serves slowly and returns to
/// the system late (its arenas keep what was freed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "diwan",
    version,
    about = "Diwan: digital government for ministries and municipalities"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Data directory: the SQLite database and the attachments live here.
    #[arg(long, env = "DIWAN_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// Database URL: postgres://… selects PostgreSQL; the default is SQLite in the data directory.
    #[arg(long, env = "DIWAN_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Where attachments are kept: a directory, or s3://bucket (AWS_* variables configure S3).
    #[arg(long, env = "DIWAN_FILES", global = true)]
    files: Option<String>,
    /// Write logs as JSON lines.
    #[arg(long, env = "DIWAN_LOG_JSON", global = true)]
    log_json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages, the API and the background jobs.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to a new file while
    /// Diwan keeps running (PostgreSQL: use pg_dump).
    Backup {
        /// The file to create; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DIWAN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// On an empty database, load demo data and print the demo sign-ins.
    #[arg(long, env = "DIWAN_DEMO")]
    demo: bool,
    /// Mark cookies Secure (set this when serving behind TLS).
    #[arg(long, env = "DIWAN_SECURE_COOKIES")]
    secure_cookies: bool,
    /// How many reverse proxies in front of Diwan append to X-Forwarded-For
    /// (the client address is the entry the outermost one added); 0 ignores the header.
    #[arg(long, env = "DIWAN_TRUSTED_PROXIES", default_value_t = 0)]
    trusted_proxies: usize,
    /// Shorthand for --trusted-proxies 1.
    #[arg(long, env = "DIWAN_TRUST_PROXY")]
    trust_proxy: bool,
    /// The bearer token that /metrics asks for; without it /metrics is off.
    #[arg(long, env = "DIWAN_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// The longest a session lasts however active it is, in hours.
    #[arg(long, env = "DIWAN_SESSION_MAX_HOURS", default_value_t = 12)]
    session_max_hours: u64,
    /// Seconds between runs of the overdue sweep.
    #[arg(long, env = "DIWAN_WORKER_INTERVAL", default_value_t = 60)]
    worker_interval: u64,
    /// The most connections served at once; more wait to be accepted.
    #[arg(long, env = "DIWAN_MAX_CONNECTIONS", default_value_t = diwan::MAX_CONNECTIONS)]
    max_connections: usize,
    /// A second address to listen on, for the SMS gateway's calls (Kannel's
    /// delivery reports and incoming SMS), which are then served there
    /// alone (with `/healthz` and `/readyz`): point `--kannel-callback-url`
    /// and Kannel's `sms-service` at it, so that a backlog of its calls
    /// waits there, bounded, and not among people's requests.
    #[arg(long, env = "DIWAN_GATEWAY_LISTEN")]
    gateway_listen: Option<SocketAddr>,
    /// The most connections served at once on the gateway's address; more
    /// wait to be accepted.
    #[arg(long, env = "DIWAN_GATEWAY_MAX_CONNECTIONS", default_value_t = diwan::GATEWAY_MAX_CONNECTIONS)]
    gateway_max_connections: usize,
    /// Largest attachment accepted, in megabytes.
    #[arg(long, env = "DIWAN_MAX_ATTACHMENT_MB", default_value_t = 10)]
    max_attachment_mb: usize,
    /// Largest CSV file of persons an import takes, in megabytes.
    #[arg(long, env = "DIWAN_MAX_IMPORT_MB", default_value_t = 512)]
    max_import_mb: usize,
    /// Seconds a worker holds an import without committing before another
    /// (or this node, restarted) takes it over.
    #[arg(long, env = "DIWAN_IMPORT_LEASE_SECS", default_value_t = 60)]
    import_lease_secs: u64,
    /// Kannel's sendsms address (`http://127.0.0.1:13013/cgi-bin/sendsms`);
    /// without it SMS wait in the outbox.
    #[arg(long, env = "DIWAN_KANNEL_URL")]
    kannel_url: Option<url::Url>,
    /// The sendsms-user of Kannel's configuration.
    #[arg(long, env = "DIWAN_KANNEL_USER", default_value = "diwan")]
    kannel_user: String,
    #[arg(
        long,
        env = "DIWAN_KANNEL_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    kannel_password: String,
    /// The sender persons see (the short code).
    #[arg(long, env = "DIWAN_SMS_SENDER", default_value = "1415")]
    sms_sender: String,
    /// Diwan's address as Kannel reaches it, for delivery reports.
    #[arg(
        long,
        env = "DIWAN_KANNEL_CALLBACK_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    kannel_callback_url: url::Url,
    /// The secret of Kannel's calls back to Diwan: incoming SMS carry it,
    /// delivery reports a signature made with it.
    #[arg(long, env = "DIWAN_KANNEL_CALLBACK_KEY", hide_env_values = true)]
    kannel_callback_key: Option<String>,
    /// Diwan's address as citizens reach it, for the personal links of
    /// inquiries.
    #[arg(
        long,
        env = "DIWAN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: url::Url,
    /// An inquiry to more recipients than this needs a second person's
    /// approval.
    #[arg(long, env = "DIWAN_INQUIRY_APPROVAL_THRESHOLD", default_value_t = 1000)]
    inquiry_approval_threshold: i64,
    /// SMS handed to Kannel per second by this node.
    #[arg(long, env = "DIWAN_SMS_PER_SECOND", default_value_t = 100)]
    sms_per_second: u32,
    /// Seconds a worker holds a message it is sending; a message whose
    /// node stopped is sent again after this unless Kannel reported it.
    #[arg(long, env = "DIWAN_MESSAGE_LEASE_SECS", default_value_t = 120)]
    message_lease_secs: u64,
    /// The mail relay, `smtp://[user:password@]host[:port]`; without it
    /// e-mail waits in the outbox.
    #[arg(long, env = "DIWAN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<url::Url>,
    /// The sender of e-mail, `Name <address>`.
    #[arg(
        long,
        env = "DIWAN_EMAIL_FROM",
        default_value = "Diwan <noreply@localhost>"
    )]
    email_from: String,
    /// E-mails handed to the relay per second by this node.
    #[arg(long, env = "DIWAN_EMAIL_PER_SECOND", default_value_t = 20)]
    email_per_second: u32,
    /// Replies that opt a number out of bulk SMS, comma-separated (compared
    /// without case and the punctuation around them).
    #[arg(
        long,
        env = "DIWAN_OPT_OUT_WORDS",
        default_value = "STOP,إيقاف,توقف,ARRET"
    )]
    opt_out_words: String,
    /// Replies that opt a number back in, comma-separated.
    #[arg(
        long,
        env = "DIWAN_OPT_IN_WORDS",
        default_value = "START,اشتراك,REPRISE"
    )]
    opt_in_words: String,
    /// Price of one SMS part, in dirhams (thousandths of a dinar).
    #[arg(long, env = "DIWAN_SMS_PRICE_DIRHAMS", default_value_t = 0)]
    sms_price_dirhams: i64,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator (the first one, on a new installation).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Administrator")]
        display_name: String,
        /// The password; read from DIWAN_ADMIN_PASSWORD or the first line of standard input when absent.
        #[arg(long, env = "DIWAN_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password for an account and end its sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "DIWAN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DIWAN_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn settings(c: &Common) -> Settings {
    let mut s = Settings::new(c.data_dir.clone());
    s.database_url = c.database_url.clone().filter(|u| !u.is_empty());
    s.files = c.files.clone().filter(|f| !f.is_empty());
    s
}

/// Says what went wrong in words, as the web pages would in English.
fn explain(e: diwan_services::Error) -> anyhow::Error {
    let tr = diwan_web::i18n::I18n::global().tr(diwan_web::i18n::Lang::En);
    let mut msg = tr.t_code("error-", e.code().as_str());
    for (field, reason) in e.details() {
        msg.push_str(&format!("\n  {field}: {}", tr.t(reason.key())));
    }
    anyhow::anyhow!(msg)
}

fn read_password(given: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    eprintln!("Password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// On SQLite, one server process owns the data directory: a second
/// `diwan serve` on it would fight the first for the database's write lock.
/// (Commands such as `backup` and `admin` may still run beside it.) The lock
/// is the operating system's, so it goes away with the process, however it
/// ends.
fn lock_sqlite_data_dir(s: &Settings) -> anyhow::Result<Option<std::fs::File>> {
    let postgres = s
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    if postgres {
        return Ok(None);
    }
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("cannot create {}", s.data_dir.display()))?;
    let path = s.data_dir.join("diwan.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another diwan serve already uses the data directory {}; on SQLite one server process serves a data directory (run several nodes on PostgreSQL)",
            s.data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display())))
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(cli.common.log_json);
    let mut s = settings(&cli.common);
    match cli.command {
        Command::Migrate => {
            diwan::open_store(&s).await?;
            println!("migrations applied");
        }
        Command::Backup { to } => {
            let store = diwan::open_store(&s).await?;
            store.backup(&to).await.map_err(|e| match e {
                diwan_store::StoreError::Unsupported(why) => anyhow::anyhow!("{why}"),
                e => anyhow::Error::new(e).context("the backup failed"),
            })?;
            println!("backup written to {}", to.display());
        }
        Command::Serve(a) => {
            let a = *a;
            s.listen = a.listen;
            s.secure_cookies = a.secure_cookies;
            s.trusted_proxies = if a.trust_proxy && a.trusted_proxies == 0 {
                1
            } else {
                a.trusted_proxies
            };
            s.metrics_token = a.metrics_token.filter(|t| !t.trim().is_empty());
            s.services.session_max_lifetime =
                Duration::from_secs(a.session_max_hours.clamp(1, 24 * 30) * 3600);
            s.worker_interval = Duration::from_secs(a.worker_interval.max(1));
            s.max_connections = a.max_connections.max(1);
            s.gateway_listen = a.gateway_listen;
            s.gateway_max_connections = a.gateway_max_connections.max(1);
            s.services.max_attachment_bytes = a.max_attachment_mb.max(1) * 1024 * 1024;
            s.services.max_import_bytes = a.max_import_mb.max(1) * 1024 * 1024;
            s.services.import_lease = Duration::from_secs(a.import_lease_secs.max(1));
            s.services.inquiry.public_url = a.public_url.clone();
            s.services.inquiry.approval_threshold = a.inquiry_approval_threshold.max(0);
            let m = &mut s.services.messaging;
            m.kannel = a
                .kannel_url
                .map(|u| diwan_services::messaging::kannel::Kannel {
                    sendsms_url: u,
                    username: a.kannel_user,
                    password: a.kannel_password,
                    sender: a.sms_sender,
                    callback_base: a.kannel_callback_url,
                });
            m.callback_key = a.kannel_callback_key.filter(|k| !k.trim().is_empty());
            m.sms_per_second = a.sms_per_second.max(1);
            m.lease = Duration::from_secs(a.message_lease_secs.max(1));
            m.price_per_part = a.sms_price_dirhams.max(0);
            m.smtp = match &a.smtp_url {
                Some(u) => Some(
                    diwan_services::messaging::email::Smtp::new(u, &a.email_from)
                        .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?,
                ),
                None => None,
            };
            m.email_per_second = a.email_per_second.max(1);
            let words = |s: &str| -> Vec<String> {
                s.split(',')
                    .map(|w| w.trim().to_owned())
                    .filter(|w| !w.is_empty())
                    .collect()
            };
            m.opt_out_words = words(&a.opt_out_words);
            m.opt_in_words = words(&a.opt_in_words);
            let _lock = lock_sqlite_data_dir(&s)?;
            let services = diwan::build_services(&s).await?;
            if a.demo {
                if services.is_empty().await? {
                    let demo = services.load_demo().await?;
                    println!(
                        "Demo data loaded. Sign in with any of these (password: {}):",
                        diwan_services::demo::DEMO_PASSWORD
                    );
                    for d in &demo.sign_ins {
                        println!("  {:<16} {:<16} {}", d.username, d.role.as_str(), d.org);
                    }
                } else {
                    println!("The database already holds data; demo data was not loaded again (password of demo accounts: {}).", diwan_services::demo::DEMO_PASSWORD);
                }
            }
            let running = diwan::start(&s, services).await?;
            println!("Diwan is listening on http://{}", running.addr);
            if let Some(g) = running.gateway_addr {
                println!("and on http://{g} for the SMS gateway");
            }
            let stop = running.shutdown_handle();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("shutting down: finishing requests in flight");
                let _ = stop.send(true);
            });
            running.wait().await?;
        }
        Command::Admin { command } => {
            let services = diwan::build_services(&s).await?;
            match command {
                AdminCommand::Create {
                    username,
                    display_name,
                    password,
                } => {
                    let password = read_password(password)?;
                    let ministry = match services
                        .list_orgs()
                        .await?
                        .into_iter()
                        .find(|o| o.kind == OrgKind::Ministry && o.parent_id.is_none())
                    {
                        Some(m) => m,
                        None => {
                            services
                                .create_org(
                                    None,
                                    NewOrg {
                                        parent_id: None,
                                        kind: OrgKind::Ministry,
                                        code: "MLG".into(),
                                        name_ar: "وزارة الحكم المحلي".into(),
                                        name_en: "Ministry of Local Government".into(),
                                        name_fr: "Ministère de la Gouvernance locale".into(),
                                        time_zone: DEFAULT_TIME_ZONE.into(),
                                    },
                                )
                                .await?
                        }
                    };
                    let u = services
                        .create_user(
                            None,
                            NewUser {
                                username,
                                display_name,
                                role: Role::Admin,
                                org_id: ministry.id,
                                password,
                                password_hash: None,
                            },
                        )
                        .await
                        .map_err(explain)?;
                    println!("administrator {} created", u.username);
                }
                AdminCommand::ResetPassword { username, password } => {
                    let password = read_password(password)?;
                    let u = services
                        .user_by_username(&username)
                        .await?
                        .with_context(|| format!("no account named {username}"))?;
                    services
                        .reset_password(None, u.id, &password)
                        .await
                        .map_err(explain)?;
                    println!("password of {} changed; their sessions ended", u.username);
                }
            }
        }
    }
    Ok(())
}

//! Diwan as separate operating-system processes (the built `diwan` binary),
//! for tests that kill a server or run several nodes on one database.

use crate::helpers::{backend, Backend, PASSWORD};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A database and data directory of its own for a test of processes.
pub struct Place {
    pub dir: PathBuf,
    /// The PostgreSQL URL, or `None` for SQLite in `dir`.
    pub database_url: Option<String>,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("DIWAN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl Place {
    pub async fn new() -> Place {
        let id = Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("diwan-proc-{id}"));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        let (database_url, pg_name) = match backend() {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let name = format!("diwan_proc_{id}");
                let url = create_postgres_database(&name).await;
                (Some(url), Some(name))
            }
        };
        Place {
            dir,
            database_url,
            pg_name,
        }
    }

    /// A connection string for checks at the SQL level.
    pub fn sql_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.join("diwan.db").display()))
    }

    pub async fn remove(self) {
        if let Some(name) = &self.pg_name {
            drop_postgres_database(name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates a PostgreSQL database and returns its URL.
pub async fn create_postgres_database(name: &str) -> String {
    let admin = admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a database");
    let _ = conn.close().await;
    let mut url = url::Url::parse(&admin).expect("a PostgreSQL URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub async fn drop_postgres_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

/// A `diwan serve` process.
pub struct Node {
    pub base: String,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Node {
    /// Starts `diwan serve` on `place` with `extra` arguments and waits until it answers.
    pub async fn start(place: &Place, extra: &[&str]) -> Node {
        Self::start_on(place, free_port(), extra).await
    }

    /// As [`Node::start`], listening on `port`.
    pub async fn start_on(place: &Place, port: u16, extra: &[&str]) -> Node {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_diwan"));
        cmd.arg("--data-dir")
            .arg(&place.dir)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .args(extra)
            .env("DIWAN_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        match &place.database_url {
            Some(url) => cmd.env("DIWAN_DATABASE_URL", url),
            None => cmd.env_remove("DIWAN_DATABASE_URL"),
        };
        let child = cmd.spawn().expect("start diwan");
        let node = Node {
            base: format!("http://{addr}"),
            child,
        };
        let client = Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", node.base)).send().await {
                if r.status() == StatusCode::OK {
                    return node;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "diwan did not become ready on {addr}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Kills the process at once (SIGKILL): no request finishes, nothing is flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in through a node and returns the bearer token.
pub async fn sign_in(client: &Client, node: &Node, username: &str) -> String {
    let r: Value = client
        .post(node.url("/api/v1/auth/sign-in"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("sign-in")
        .json()
        .await
        .expect("a JSON answer");
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {r}"))
        .to_owned()
}

/// The id of the demo case type with `code`.
pub async fn case_type_id(client: &Client, node: &Node, token: &str, code: &str) -> String {
    let types: Value = client
        .get(node.url("/api/v1/case-types"))
        .bearer_auth(token)
        .send()
        .await
        .expect("case types")
        .json()
        .await
        .expect("JSON");
    types
        .as_array()
        .and_then(|a| a.iter().find(|t| t["code"] == code))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("no case type {code}: {types}"))
        .to_owned()
}

/// Files one case; `Some(id)` when the server acknowledged it with 201.
pub async fn file(
    client: &Client,
    base: &str,
    token: &str,
    type_id: &str,
    subject: &str,
) -> Option<String> {
    let r = client
        .post(format!("{base}/api/v1/cases"))
        .bearer_auth(token)
        .json(&json!({"case_type_id": type_id, "subject": subject, "body": "نص", "submit": true}))
        .send()
        .await
        .ok()?;
    if r.status() != StatusCode::CREATED {
        return None;
    }
    let v: Value = r.json().await.ok()?;
    v["id"].as_str().map(str::to_owned)
}

/// Counts rows with a query returning one integer, on either backend.
pub async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql);
        let _ = c.close().await;
        n
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.expect(sql);
        let _ = c.close().await;
        n
    }
}

/// SQL that is true when case `c` has its creation audit record (ids are
/// stored as bytes on SQLite and as `uuid` on PostgreSQL).
pub fn has_create_audit(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'case.create' AND a.object_id = c.id::text)"
    } else {
        "EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'case.create' AND replace(a.object_id, '-', '') = lower(hex(c.id)))"
    }
}

/// Runs one statement, on either backend.
pub async fn execute(url: &str, sql: &str) -> u64 {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        let n = c.execute(sql).await.expect(sql).rows_affected();
        let _ = c.close().await;
        n
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let n = c.execute(sql).await.expect(sql).rows_affected();
        let _ = c.close().await;
        n
    }
}

//! The harness: every test gets a fresh database (SQLite in a temporary
//! directory, or a new PostgreSQL database when `DIWAN_TEST_BACKEND=postgres`),
//! the demo organizations, accounts and catalogue, and a real server on a
//! random local port, reached over HTTP with reqwest.

use diwan::{Running, Settings};
use diwan_services::demo::Demo;
use diwan_services::Services;
use diwan_store::{CaseType, Organization, User};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// The password of every demo account.
pub const PASSWORD: &str = diwan_services::demo::DEMO_PASSWORD;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The database backend the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("DIWAN_TEST_BACKEND")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "sqlite" => Backend::Sqlite,
        "postgres" | "postgresql" | "pg" => Backend::Postgres,
        other => panic!("DIWAN_TEST_BACKEND={other:?}: use sqlite or postgres"),
    }
}

fn postgres_admin_url() -> String {
    std::env::var("DIWAN_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// What a test leaves behind and must remove: its directory and, on
/// PostgreSQL, its database. Removed by [`TestApp::stop`], or on drop when a
/// test fails before it gets there.
struct Leftovers {
    dir: PathBuf,
    postgres_db: Option<String>,
    removed: bool,
}

impl Leftovers {
    async fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        if let Some(name) = self.postgres_db.take() {
            drop_postgres_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        if let Some(name) = self.postgres_db.take() {
            // Drop may run inside the test's runtime: clean up from a thread of its own.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_postgres_database(&name));
                }
            })
            .join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn drop_postgres_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        let _ = conn.close().await;
    }
}

/// One answer of the server, read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl Reply {
    pub async fn read(res: reqwest::Response) -> Reply {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("read the response body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn expect(self, status: StatusCode, what: &str) -> Value {
        assert_eq!(
            self.status, status,
            "{what}: unexpected status; body: {}",
            self.text
        );
        self.json
    }

    /// Asserts an error answer: its status, its stable code, and that it has a message.
    #[track_caller]
    pub fn expect_error(self, status: StatusCode, code: &str, what: &str) -> Value {
        assert_eq!(
            self.status, status,
            "{what}: unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.json["code"], code,
            "{what}: unexpected error code; body: {}",
            self.text
        );
        assert!(
            self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: error without a message: {}",
            self.text
        );
        assert!(
            self.json["details"].is_object(),
            "{what}: error without details: {}",
            self.text
        );
        self.json
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running Diwan with the demo base loaded.
pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub client: Client,
    pub services: Services,
    pub settings: Settings,
    pub demo: Demo,
    running: Option<Running>,
    leftovers: Leftovers,
}

impl TestApp {
    /// A server with the default settings.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings `adjust` may change first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let id = Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("diwan-it-{id}"));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        let mut leftovers = Leftovers {
            dir: dir.clone(),
            postgres_db: None,
            removed: false,
        };
        let mut settings = Settings::new(dir.clone());
        settings.listen = ([127, 0, 0, 1], 0).into();
        settings.files = Some(dir.join("files").to_string_lossy().into_owned());
        // The overdue sweep runs once at start-up, then tests call it themselves.
        settings.worker_interval = Duration::from_secs(3600);
        if backend() == Backend::Postgres {
            let admin = postgres_admin_url();
            let name = format!("diwan_it_{id}");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL (DIWAN_TEST_POSTGRES_URL)");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create the test database");
            let _ = conn.close().await;
            leftovers.postgres_db = Some(name.clone());
            let mut url = url::Url::parse(&admin).expect("a valid PostgreSQL URL");
            url.set_path(&format!("/{name}"));
            settings.database_url = Some(url.to_string());
        }
        adjust(&mut settings);
        let services = diwan::build_services(&settings)
            .await
            .expect("build the services");
        let demo = services.load_demo_base().await.expect("load the demo base");
        let running = diwan::start(&settings, services.clone())
            .await
            .expect("start the server");
        let addr = running.addr;
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        TestApp {
            addr,
            base: format!("http://{addr}"),
            client,
            services,
            settings,
            demo,
            running: Some(running),
            leftovers,
        }
    }

    /// Stops the server gracefully and removes the database and files.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("the server stops cleanly");
        }
        self.leftovers.remove().await;
    }

    /// The address the server serves the SMS gateway on, if it has one of
    /// its own.
    pub fn gateway_addr(&self) -> Option<SocketAddr> {
        self.running.as_ref().and_then(|r| r.gateway_addr)
    }

    /// The running server, for tests of shutdown.
    pub fn take_running(&mut self) -> Running {
        self.running.take().expect("the server runs")
    }

    /// The URL of the database the test uses (for checks at the SQL level).
    pub fn database_url(&self) -> String {
        match &self.settings.database_url {
            Some(u) => u.clone(),
            None => format!(
                "sqlite://{}",
                self.settings.data_dir.join("diwan.db").display()
            ),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    // ------------------------------------------------------------ demo data

    pub fn user(&self, username: &str) -> &User {
        self.demo
            .users
            .iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no demo user {username}"))
    }

    pub fn org(&self, code: &str) -> &Organization {
        std::iter::once(&self.demo.ministry)
            .chain(&self.demo.departments)
            .chain(&self.demo.municipalities)
            .find(|o| o.code == code)
            .unwrap_or_else(|| panic!("no demo organization {code}"))
    }

    pub fn case_type(&self, code: &str) -> &CaseType {
        self.demo
            .case_types
            .iter()
            .find(|t| t.code == code)
            .unwrap_or_else(|| panic!("no demo case type {code}"))
    }

    // ------------------------------------------------------------ HTTP

    /// Signs in through the API and returns the bearer token.
    pub async fn sign_in(&self, username: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/sign-in",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        let body = r.expect(StatusCode::OK, &format!("sign-in of {username}"));
        body["token"].as_str().expect("a token").to_owned()
    }

    /// Signs several people in at once (each sign-in verifies an Argon2 hash).
    pub async fn sign_in_all<const N: usize>(&self, usernames: [&str; N]) -> [String; N] {
        let futs = usernames.map(|u| self.sign_in(u));
        let mut out = Vec::with_capacity(N);
        for f in futs {
            out.push(f);
        }
        let tokens = futures_join_all(out).await;
        tokens.try_into().expect("as many tokens as names")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Reply::read(
            rb.send()
                .await
                .unwrap_or_else(|e| panic!("request to {path} failed: {e}")),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Uploads a file as an attachment of a case (multipart field `file`).
    pub async fn upload(
        &self,
        case_id: &str,
        token: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        self.upload_as(case_id, token, filename, bytes, false).await
    }

    /// Uploads a file, internal (ministry-only) or not.
    pub async fn upload_as(
        &self,
        case_id: &str,
        token: &str,
        filename: &str,
        bytes: Vec<u8>,
        internal: bool,
    ) -> Reply {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let mut form = reqwest::multipart::Form::new().part("file", part);
        if internal {
            form = form.text("internal", "1");
        }
        let res = self
            .client
            .post(self.url(&format!("/api/v1/cases/{case_id}/attachments")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload request");
        Reply::read(res).await
    }

    /// Files a case through the API and returns it (asserting 201).
    pub async fn file_case(
        &self,
        token: &str,
        type_code: &str,
        subject: &str,
        submit: bool,
    ) -> Value {
        let body = json!({
            "case_type_id": self.case_type(type_code).id,
            "subject": subject,
            "body": format!("نص الطلب: {subject}"),
            "submit": submit,
        });
        self.post("/api/v1/cases", Some(token), body)
            .await
            .expect(StatusCode::CREATED, "filing a case")
    }

    /// Moves a case along its workflow.
    pub async fn transition(&self, token: &str, case_id: &str, body: Value) -> Reply {
        self.post(
            &format!("/api/v1/cases/{case_id}/transitions"),
            Some(token),
            body,
        )
        .await
    }
}

/// A browser: a cookie-keeping client signed in through the HTML form, and
/// the session's anti-forgery token read from a page.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    pub base: String,
    pub csrf: String,
}

impl TestApp {
    /// A client that keeps cookies and does not follow redirects.
    pub fn cookie_client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client")
    }

    /// Opens the sign-in form with `client` (which keeps its cookies) and
    /// returns the form's CSRF token.
    pub async fn sign_in_token(&self, client: &reqwest::Client) -> String {
        let html = client
            .get(self.url("/sign-in"))
            .send()
            .await
            .expect("the sign-in page")
            .text()
            .await
            .unwrap();
        csrf_of(&html).expect("a csrf input in the sign-in form")
    }

    /// Signs in through `POST /sign-in` as a browser would, without JavaScript.
    pub async fn browser(&self, username: &str) -> Browser {
        Browser::sign_in(&self.base, username).await
    }

    /// Adds `n` residents of Tripoli (`M-TRP`) to the registry through the
    /// API, the i-th with the national number and the mobile number that
    /// `person(i)` gives.
    pub async fn add_residents(
        &self,
        token: &str,
        n: usize,
        person: impl Fn(usize) -> (String, String),
    ) {
        let trp = self.org("M-TRP").id.to_string();
        for i in 0..n {
            let (national_number, mobile) = person(i);
            self.post(
                "/api/v1/persons",
                Some(token),
                json!({"national_number": national_number, "name_ar": "سالم علي",
                       "mobiles": [mobile], "municipality_id": trp}),
            )
            .await
            .expect(StatusCode::CREATED, "a person");
        }
    }

    /// Writes an inquiry through its page as the inquiry manager, with
    /// `fields` (its title, questions, quiet hours), submits it, and
    /// answers its id.
    pub async fn submit_inquiry(&self, fields: &[(&str, &str)]) -> Uuid {
        let m = self.browser("inquiry.manager").await;
        let mut form = vec![("csrf", m.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = m.post_form("/inquiries/new", &form).await;
        let page = r.header("location").expect("the inquiry saved").to_owned();
        let id = page
            .trim_start_matches("/inquiries/")
            .parse()
            .expect("an inquiry's id");
        let r = m
            .post_form(
                &format!("{page}/actions"),
                &[("csrf", &m.csrf), ("action", "submit")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "the inquiry submitted");
        id
    }
}

/// Settings under which an inquiry is sent without approval, its
/// recipients fixed nine at a time and its questions queued seven at a
/// time: runs that do not line up, and many steps.
pub fn uneven_inquiry_runs(s: &mut Settings) {
    s.services.inquiry.approval_threshold = 1000;
    s.services.inquiry.fix_run = 9;
    s.services.inquiry.batch_in_sql = 7;
}

/// An id as the backend's SQL at `url` writes a literal of it.
pub fn uuid_literal(url: &str, id: Uuid) -> String {
    if url.starts_with("postgres") {
        format!("'{id}'")
    } else {
        format!("X'{}'", id.simple())
    }
}

impl Browser {
    /// Signs in as `username` through the form of the server at `base`, as
    /// a browser without JavaScript does, and reads the session's CSRF
    /// token from the queue page.
    pub async fn sign_in(base: &str, username: &str) -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let url = |p: &str| format!("{base}{p}");
        let html = client
            .get(url("/sign-in"))
            .send()
            .await
            .expect("the sign-in page")
            .text()
            .await
            .unwrap();
        let token = csrf_of(&html).expect("a csrf input in the sign-in form");
        let res = client
            .post(url("/sign-in"))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .expect("sign-in form");
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "signing in through the form as {username}"
        );
        let page = client
            .get(url("/cases"))
            .send()
            .await
            .expect("the queue page");
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "the queue page after signing in as {username}"
        );
        let html = page.text().await.unwrap();
        let csrf = csrf_of(&html)
            .unwrap_or_else(|| panic!("no csrf input in the queue page of {username}"));
        Browser {
            client,
            base: base.to_owned(),
            csrf,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::read(
            self.client
                .get(self.url(path))
                .send()
                .await
                .expect("page request"),
        )
        .await
    }

    /// Posts an urlencoded form.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        Reply::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .expect("form post"),
        )
        .await
    }

    /// Posts a multipart form, with a file when one is given.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, bytes)) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        Reply::read(
            self.client
                .post(self.url(path))
                .multipart(form)
                .send()
                .await
                .expect("multipart post"),
        )
        .await
    }
}

/// The value of the page's hidden `csrf` input.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned()).filter(|t| !t.is_empty())
}

/// Runs futures concurrently and collects their outputs in order.
pub async fn futures_join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|v| v.expect("every future finished"))
        .collect()
}

/// A PDF of exactly `len` bytes (when `len` is over 64): Diwan checks the
/// magic bytes at its start.
pub fn pdf_bytes(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    let tail = b"\n%%EOF\n";
    let mut line = 0;
    while b.len() + tail.len() < len {
        line += 1;
        b.push(if line % 64 == 0 { b'\n' } else { b'%' });
    }
    b.extend_from_slice(tail);
    b
}

/// Arabic-Indic digits (٠–٩) for every ASCII digit of `s`.
pub fn arabic_digits(s: &str) -> String {
    s.chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(0x0660 + d))
                .unwrap_or(c)
        })
        .collect()
}

/// The string at `v[key]`, or a panic naming what was missing.
#[track_caller]
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {v}"))
}

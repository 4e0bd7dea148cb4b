//! Setup: the organizations, people and case types through Diwan's own
//! services, then the bulk load of cases straight into the database (the
//! benchmark's loader, not application code).

use crate::data::{self, CaseRow, Department, Kind, Municipality, World};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use diwan_domain::organizations::{OrgKind, DEFAULT_TIME_ZONE};
use diwan_domain::Role;
use diwan_services::accounts::NewUser;
use diwan_services::demo::DEMO_PASSWORD;
use diwan_services::organizations::NewOrg;
use diwan_services::Services;
use rand::rngs::StdRng;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, PgConnection, QueryBuilder, Sqlite, SqliteConnection};
use std::path::Path;
use std::time::Instant;

/// Loads the demo's base (ministry, departments, people, case types) and
/// adds municipalities, each with one clerk, until there are `municipalities`.
pub async fn build_world(services: &Services, municipalities: usize) -> Result<World> {
    let demo = services
        .load_demo_base()
        .await
        .map_err(|e| anyhow::anyhow!("load_demo_base: {e}"))?;
    let users = demo.users.clone();
    let mut departments = Vec::new();
    for d in &demo.departments {
        let head = users
            .iter()
            .find(|u| u.org_id == d.id && u.role == Role::DepartmentHead)
            .with_context(|| format!("no head in {}", d.code))?;
        let mut officers: Vec<_> = users
            .iter()
            .filter(|u| u.org_id == d.id && u.role == Role::Officer)
            .map(|u| u.id)
            .collect();
        if officers.is_empty() {
            officers.push(head.id);
        }
        departments.push(Department {
            id: d.id,
            head_username: head.username.clone(),
            officers,
        });
    }
    let mut orgs = demo.municipalities.clone();
    let mut i = 0usize;
    while orgs.len() < municipalities {
        let (ar, latin) = match data::MORE_MUNICIPALITIES.get(i) {
            Some((ar, latin)) => ((*ar).to_owned(), (*latin).to_owned()),
            None => (
                format!("بلدية رقم {}", i + 1),
                format!("Municipality No. {}", i + 1),
            ),
        };
        let o = services
            .create_org(
                None,
                NewOrg {
                    parent_id: Some(demo.ministry.id),
                    kind: OrgKind::Municipality,
                    code: format!("M-B{:03}", i + 1),
                    name_en: format!("{latin} Municipality"),
                    name_fr: format!("Municipalité de {latin}"),
                    name_ar: ar,
                    time_zone: DEFAULT_TIME_ZONE.into(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("create_org: {e}"))?;
        orgs.push(o);
        i += 1;
    }
    orgs.truncate(municipalities.max(1));
    let mut munis = Vec::new();
    // Every clerk has the demo password: hash it once.
    let demo_hash = services
        .passwords
        .hash(DEMO_PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("hash: {e}"))?;
    for o in &orgs {
        let clerk = match users
            .iter()
            .find(|u| u.org_id == o.id && u.role == Role::MunicipalClerk)
        {
            Some(u) => u.clone(),
            None => services
                .create_user(
                    None,
                    NewUser {
                        username: format!(
                            "clerk.{}",
                            o.code.trim_start_matches("M-").to_lowercase()
                        ),
                        display_name: format!("موظف {}", o.name_ar),
                        role: Role::MunicipalClerk,
                        org_id: o.id,
                        password: DEMO_PASSWORD.into(),
                        password_hash: Some(demo_hash.clone()),
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("create_user: {e}"))?,
        };
        munis.push(Municipality {
            id: o.id,
            name_ar: o.name_ar.clone(),
            clerk_id: clerk.id,
            clerk_username: clerk.username.clone(),
        });
    }
    let mut kinds = Vec::new();
    for t in demo
        .case_types
        .iter()
        .filter(|t| t.workflow == "municipal_request")
    {
        let dept = t
            .default_department_id
            .and_then(|d| departments.iter().position(|x| x.id == d))
            .context("case type without a department")?;
        kinds.push(Kind {
            id: t.id,
            prefix: t.prefix.clone(),
            department: dept,
            auto_route: t.auto_route,
            deadline_days: t.deadline_days as i64,
        });
    }
    if kinds.len() != data::SUBJECTS.len() {
        bail!(
            "expected {} municipal request types in the demo, found {}",
            data::SUBJECTS.len(),
            kinds.len()
        );
    }
    let registry = users
        .iter()
        .find(|u| u.role == Role::RegistryClerk)
        .context("no registry clerk")?;
    Ok(World {
        ministry_id: demo.ministry.id,
        departments,
        municipalities: munis,
        kinds,
        registry_username: registry.username.clone(),
    })
}

/// What the loader did.
pub struct SeedStats {
    pub rows: usize,
    pub seconds: f64,
    /// A few (reference number, count) pairs to search for: numbers that occur in few cases.
    pub rare_references: Vec<u32>,
    /// Tracking numbers of loaded, submitted cases.
    pub tracking_numbers: Vec<String>,
}

const CASE_COLUMNS: &str = "id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since, \
     assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text";

struct Progress {
    start: Instant,
    last: Instant,
    last_rows: usize,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let now = Instant::now();
        Progress {
            start: now,
            last: now,
            last_rows: 0,
            total,
        }
    }
    fn tick(&mut self, done: usize) {
        if done / 100_000 > self.last_rows / 100_000 || done == self.total {
            let now = Instant::now();
            let recent = (done - self.last_rows) as f64 / (now - self.last).as_secs_f64().max(1e-6);
            let overall = done as f64 / (now - self.start).as_secs_f64().max(1e-6);
            eprintln!("  loaded {done:>9} / {} cases: {recent:>8.0} rows/s now, {overall:>8.0} rows/s overall", self.total);
            self.last = now;
            self.last_rows = done;
        }
    }
}

/// Draws the cases and hands them over in batches of `batch` rows.
struct Generator<'a> {
    rng: &'a mut StdRng,
    world: &'a World,
    skeletons: Vec<data::Skeleton>,
    next: usize,
    now: DateTime<Utc>,
    rare: Vec<u32>,
    tracking: Vec<String>,
}

impl Generator<'_> {
    fn batch(&mut self, n: usize) -> Vec<CaseRow> {
        let end = (self.next + n).min(self.skeletons.len());
        let mut out = Vec::with_capacity(end - self.next);
        for i in self.next..end {
            let (row, reference) =
                data::case_row(self.rng, self.world, &self.skeletons[i], self.now);
            if row.submitted_at.is_some() && i % 997 == 0 && self.rare.len() < 64 {
                self.rare.push(reference);
            }
            if row.submitted_at.is_some() && i % 499 == 0 && self.tracking.len() < 256 {
                self.tracking.push(row.tracking_number.clone());
            }
            out.push(row);
        }
        self.next = end;
        out
    }
    fn done(&self) -> bool {
        self.next >= self.skeletons.len()
    }
}

/// Bulk-loads `count` cases into the SQLite database at `path`: multi-row
/// INSERTs of 500 rows in transactions of 50,000 on one connection, with
/// `synchronous=OFF` for the load only; then the search index is built in
/// one pass and its mark set, as Diwan's writer keeps them.
pub async fn seed_sqlite(
    path: &Path,
    world: &World,
    count: usize,
    rng: &mut StdRng,
) -> Result<SeedStats> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .foreign_keys(false)
        .pragma("cache_size", "-262144")
        .pragma("temp_store", "memory");
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let now = Utc::now();
    let (skeletons, seqs) = data::skeletons(rng, world, count, now);
    let mut g = Generator {
        rng,
        world,
        skeletons,
        next: 0,
        now,
        rare: Vec::new(),
        tracking: Vec::new(),
    };
    let start = Instant::now();
    let mut progress = Progress::new(count);
    let mut done = 0;
    while !g.done() {
        let mut tx = conn.begin().await?;
        for _ in 0..100 {
            let rows = g.batch(500);
            if rows.is_empty() {
                break;
            }
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new(format!("INSERT INTO cases ({CASE_COLUMNS}) "));
            qb.push_values(rows.iter(), |mut b, r| {
                b.push_bind(r.id)
                    .push_bind(r.case_type_id)
                    .push_bind(&r.tracking_number)
                    .push_bind(&r.subject)
                    .push_bind(&r.body)
                    .push_bind(&r.fields)
                    .push_bind(r.filer_org_id)
                    .push_bind(r.filer_user_id)
                    .push_bind(r.holder_org_id)
                    .push_bind(r.holder_since.map(|t| t.timestamp_micros()))
                    .push_bind(r.assignee_id)
                    .push_bind(r.state)
                    .push_bind(r.clock)
                    .push_bind(r.due_date.map(|d| d.format("%Y-%m-%d").to_string()))
                    .push_bind(r.paused_days_left)
                    .push_bind(r.overdue)
                    .push_bind(r.submitted_at.map(|t| t.timestamp_micros()))
                    .push_bind(r.closed_at.map(|t| t.timestamp_micros()))
                    .push_bind(r.created_at.timestamp_micros())
                    .push_bind(r.updated_at.timestamp_micros())
                    .push_bind(&r.search_text);
            });
            qb.build()
                .execute(&mut *tx)
                .await
                .context("bulk insert into cases")?;
            done += rows.len();
            progress.tick(done);
        }
        tx.commit().await?;
    }
    for (prefix, year, last) in &seqs {
        sqlx::query("INSERT INTO tracking_sequences (prefix, year, last) VALUES (?, ?, ?) ON CONFLICT (prefix, year) DO UPDATE SET last = max(last, excluded.last)")
            .bind(prefix)
            .bind(year)
            .bind(*last as i64)
            .execute(&mut conn)
            .await?;
    }
    // The search index, built in one pass over the loaded cases, as Diwan's
    // writer would have built it group by group; its mark moved past them.
    conn.execute("INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')")
        .await
        .context("build the search index")?;
    conn.execute("UPDATE search_index_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM cases)")
        .await?;
    let seconds = start.elapsed().as_secs_f64();
    // Back to Diwan's durability before the connection goes, and the WAL folded in.
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    Ok(SeedStats {
        rows: done,
        seconds,
        rare_references: g.rare,
        tracking_numbers: g.tracking,
    })
}

/// Escapes a value for COPY's text format.
fn copy_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
}

fn copy_ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

fn copy_row(out: &mut String, r: &CaseRow) {
    use std::fmt::Write;
    let opt = |v: Option<String>| v.unwrap_or_else(|| "\\N".into());
    let _ = write!(out, "{}\t{}\t", r.id, r.case_type_id);
    copy_text(out, &r.tracking_number);
    out.push('\t');
    copy_text(out, &r.subject);
    out.push('\t');
    copy_text(out, &r.body);
    out.push('\t');
    copy_text(out, &r.fields);
    let _ = write!(
        out,
        "\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
        r.filer_org_id,
        r.filer_user_id,
        opt(r.holder_org_id.map(|v| v.to_string())),
        opt(r.holder_since.map(copy_ts)),
        opt(r.assignee_id.map(|v| v.to_string())),
        r.state,
        r.clock,
        opt(r.due_date.map(|d| d.format("%Y-%m-%d").to_string())),
        opt(r.paused_days_left.map(|v| v.to_string())),
        if r.overdue { "t" } else { "f" },
        opt(r.submitted_at.map(copy_ts)),
        opt(r.closed_at.map(copy_ts)),
        copy_ts(r.created_at),
        copy_ts(r.updated_at),
    );
    copy_text(out, &r.search_text);
    out.push('\n');
}

/// Bulk-loads `count` cases into PostgreSQL with COPY (50,000 rows per
/// COPY), then VACUUM ANALYZE as autovacuum would eventually do.
pub async fn seed_postgres(
    url: &str,
    world: &World,
    count: usize,
    rng: &mut StdRng,
) -> Result<SeedStats> {
    let mut conn = PgConnection::connect(url).await?;
    conn.execute("SET synchronous_commit = off").await?;
    let now = Utc::now();
    let (skeletons, seqs) = data::skeletons(rng, world, count, now);
    let mut g = Generator {
        rng,
        world,
        skeletons,
        next: 0,
        now,
        rare: Vec::new(),
        tracking: Vec::new(),
    };
    let start = Instant::now();
    let mut progress = Progress::new(count);
    let mut done = 0;
    while !g.done() {
        let mut copy = conn
            .copy_in_raw(&format!("COPY cases ({CASE_COLUMNS}) FROM STDIN"))
            .await?;
        for _ in 0..10 {
            let rows = g.batch(5_000);
            if rows.is_empty() {
                break;
            }
            let mut buf = String::with_capacity(rows.len() * 1_600);
            for r in &rows {
                copy_row(&mut buf, r);
            }
            copy.send(buf.into_bytes()).await?;
            done += rows.len();
        }
        copy.finish().await.context("COPY into cases")?;
        progress.tick(done);
    }
    for (prefix, year, last) in &seqs {
        sqlx::query("INSERT INTO tracking_sequences (prefix, year, last) VALUES ($1, $2, $3) ON CONFLICT (prefix, year) DO UPDATE SET last = GREATEST(tracking_sequences.last, EXCLUDED.last)")
            .bind(prefix)
            .bind(year)
            .bind(*last as i64)
            .execute(&mut conn)
            .await?;
    }
    eprintln!("  VACUUM ANALYZE cases …");
    conn.execute("VACUUM (ANALYZE) cases").await?;
    let seconds = start.elapsed().as_secs_f64();
    conn.close().await?;
    Ok(SeedStats {
        rows: done,
        seconds,
        rare_references: g.rare,
        tracking_numbers: g.tracking,
    })
}

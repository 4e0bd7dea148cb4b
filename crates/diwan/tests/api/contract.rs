//! The storage contract, checked through the `Store` and `Tx` traits against
//! the backend the suite runs on (`DIWAN_TEST_BACKEND`): SQLite by default,
//! PostgreSQL with `DIWAN_TEST_BACKEND=postgres`.
//!
//! Each test gets a fresh database of its own, a SQLite file in a temporary
//! directory or a PostgreSQL database with a random name on the server named
//! by `DIWAN_TEST_POSTGRES_URL`, so tests run in parallel without seeing each
//! other's rows; the database is removed at the end even when the test fails.
//! What only one backend does (PostgreSQL's row locks and `SKIP LOCKED`,
//! SQLite's single writer, each backend's audit triggers) is checked on that
//! backend, beside the common part.

use crate::helpers::{backend, Backend};
use crate::process::{create_postgres_database, drop_postgres_database};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diwan_domain::cases::workflow::{CaseFacts, Clock, Scope};
use diwan_domain::organizations::OrgKind;
use diwan_domain::text::{normalize_for_search, search_terms};
use diwan_domain::Role;
use diwan_store::*;
use diwan_store_postgres::PostgresStore;
use diwan_store_sqlite::SqliteStore;
use sqlx::{Connection, Executor};
use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// Where a test's database lives, for the few checks that need SQL of their
/// own beside the contract.
#[derive(Debug, Clone)]
enum Db {
    /// The database file.
    Sqlite(PathBuf),
    /// The database URL.
    Postgres(String),
}

/// Runs `body` against a fresh database of the selected backend, migrated
/// when `migrate` is set, and removes the database afterwards. The body runs
/// in its own task so that a failed assertion still reaches the clean-up
/// before the panic is passed on.
async fn with_db<F, Fut>(migrate: bool, body: F)
where
    F: FnOnce(Arc<dyn Store>, Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let id = Uuid::now_v7().simple().to_string();
    let dir = std::env::temp_dir().join(format!("diwan-contract-{id}"));
    let mut postgres = None;
    let (store, db): (Arc<dyn Store>, Db) = match backend() {
        Backend::Sqlite => {
            let path = dir.join("diwan.db");
            let store = SqliteStore::open(&path)
                .await
                .expect("open the test database");
            (Arc::new(store), Db::Sqlite(path))
        }
        Backend::Postgres => {
            let name = format!("diwan_contract_{id}");
            let url = create_postgres_database(&name).await;
            let store = PostgresStore::connect(&url)
                .await
                .expect("connect to the test database");
            postgres = Some((name, store.clone()));
            (Arc::new(store), Db::Postgres(url))
        }
    };
    if migrate {
        store.migrate().await.expect("migrate");
    }
    let outcome = tokio::spawn(body(store.clone(), db)).await;
    drop(store);
    if let Some((name, store)) = postgres {
        store.close().await;
        drop_postgres_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs one statement on the database directly, outside the contract.
async fn execute_raw(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(path) => {
            let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
            let n = c.execute(sql).await.map(|r| r.rows_affected());
            c.close().await?;
            n
        }
        Db::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await?;
            let n = c.execute(sql).await.map(|r| r.rows_affected());
            c.close().await?;
            n
        }
    }
}

/// Reads one integer from the database directly, outside the contract.
async fn scalar_raw(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(path) => {
            let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
            let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
            c.close().await.unwrap();
            n
        }
        Db::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
            c.close().await.unwrap();
            n
        }
    }
}

/// Now, to the microsecond: both backends keep microseconds (SQLite as an
/// integer, PostgreSQL in `timestamptz`), so a time with nanoseconds would
/// not read back equal.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn org(kind: OrgKind, code: &str, parent_id: Option<Uuid>) -> Organization {
    Organization {
        id: Uuid::now_v7(),
        parent_id,
        kind,
        code: code.to_owned(),
        name_ar: format!("إدارة {code}"),
        name_en: format!("Department {code}"),
        name_fr: format!("Direction {code}"),
        time_zone: "Africa/Tripoli".to_owned(),
        created_at: now(),
    }
}

fn user(org_id: Uuid, username: &str, role: Role) -> User {
    User {
        id: Uuid::now_v7(),
        username: username.to_owned(),
        display_name: format!("عبد الله {username}"),
        role,
        org_id,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        locale: Some("ar".to_owned()),
        active: true,
        failed_attempts: 0,
        locked_until: None,
        created_at: now(),
    }
}

fn case_type(default_department_id: Option<Uuid>) -> CaseType {
    CaseType {
        id: Uuid::now_v7(),
        code: "maintenance".to_owned(),
        workflow: "municipal_request".to_owned(),
        prefix: "MLG".to_owned(),
        name_ar: "طلب صيانة".to_owned(),
        name_en: "Maintenance request".to_owned(),
        name_fr: "Demande d'entretien".to_owned(),
        default_department_id,
        auto_route: false,
        deadline_days: 10,
        active: true,
        fields: vec![diwan_domain::cases::fields::FieldDef {
            code: "amount".into(),
            kind: diwan_domain::cases::fields::FieldKind::Money {
                currency: "LYD".into(),
                decimals: 3,
            },
            required: false,
            label_ar: "المبلغ".into(),
            label_en: "Amount".into(),
            label_fr: "Montant".into(),
        }],
    }
}

/// A draft case; tests change what they need.
fn case(type_id: Uuid, tracking: &str, filer: &User, subject: &str, body: &str) -> Case {
    let t = now();
    Case {
        id: Uuid::now_v7(),
        case_type_id: type_id,
        tracking_number: tracking.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        fields: serde_json::json!({}),
        filer_org_id: filer.org_id,
        filer_user_id: filer.id,
        holder_org_id: None,
        holder_since: None,
        assignee_id: None,
        state: "draft".to_owned(),
        clock: Clock::NotStarted,
        due_date: None,
        paused_days_left: None,
        overdue: false,
        submitted_at: None,
        closed_at: None,
        created_at: t,
        updated_at: t,
        search_text: normalize_for_search(&format!("{tracking} {subject} {body}")),
    }
}

fn audit(action: &str, at: DateTime<Utc>) -> AuditRecord {
    AuditRecord {
        id: Uuid::now_v7(),
        at,
        actor_id: Some(Uuid::now_v7()),
        actor_name: "admin".to_owned(),
        org_id: None,
        action: action.to_owned(),
        object_type: "case".to_owned(),
        object_id: Some("MLG-2026-000001".to_owned()),
        ip: Some("192.0.2.7".to_owned()),
        details: serde_json::json!({"from": "draft", "to": "submitted", "n": 3}),
    }
}

/// The organizations and people most tests need.
struct World {
    ministry: Organization,
    dept1: Organization,
    dept2: Organization,
    muni_a: Organization,
    muni_b: Organization,
    clerk_a: User,
    clerk_b: User,
    officer1: User,
    officer2: User,
    head1: User,
    kind: CaseType,
}

async fn world(store: &Arc<dyn Store>) -> World {
    let ministry = org(OrgKind::Ministry, "MOLG", None);
    let dept1 = org(OrgKind::Department, "D1", Some(ministry.id));
    let dept2 = org(OrgKind::Department, "D2", Some(ministry.id));
    let muni_a = org(OrgKind::Municipality, "TRP", None);
    let muni_b = org(OrgKind::Municipality, "BEN", None);
    let clerk_a = user(muni_a.id, "clerk.a", Role::MunicipalClerk);
    let clerk_b = user(muni_b.id, "clerk.b", Role::MunicipalClerk);
    let officer1 = user(dept1.id, "officer1", Role::Officer);
    let officer2 = user(dept2.id, "officer2", Role::Officer);
    let head1 = user(dept1.id, "head1", Role::DepartmentHead);
    let kind = case_type(Some(dept1.id));
    let mut tx = store.begin().await.unwrap();
    for o in [&ministry, &dept1, &dept2, &muni_a, &muni_b] {
        tx.insert_org(o).await.unwrap();
    }
    for u in [&clerk_a, &clerk_b, &officer1, &officer2, &head1] {
        tx.insert_user(u).await.unwrap();
    }
    tx.upsert_case_type(&kind).await.unwrap();
    tx.commit().await.unwrap();
    World {
        ministry,
        dept1,
        dept2,
        muni_a,
        muni_b,
        clerk_a,
        clerk_b,
        officer1,
        officer2,
        head1,
        kind,
    }
}

fn facts(c: &Case) -> CaseFacts<'_> {
    CaseFacts {
        state: &c.state,
        filer_org_id: c.filer_org_id,
        holder_org_id: c.holder_org_id,
        assignee_id: c.assignee_id,
        submitted: c.submitted_at.is_some(),
    }
}

const DUE_NULL: (i32, u32, u32) = (9999, 12, 31);

fn due_key(c: &Case) -> NaiveDate {
    c.due_date
        .unwrap_or(day(DUE_NULL.0, DUE_NULL.1, DUE_NULL.2))
}

/// Every combination of filer, holder, assignee and submission, with clocks,
/// due dates and overdue flags spread over them. Updated times come in pairs
/// so that pages must break ties on the id; ids are scrambled so that their
/// order differs from the order of creation.
async fn many_cases(store: &Arc<dyn Store>, w: &World) -> Vec<Case> {
    let base = now() - Duration::days(30);
    let filers = [&w.clerk_a, &w.clerk_b, &w.officer1];
    let holders = [None, Some(w.dept1.id), Some(w.dept2.id)];
    let assignees = [None, Some(w.officer1.id), Some(w.officer2.id)];
    let mut cases = Vec::new();
    let mut tx = store.begin().await.unwrap();
    let mut i: i64 = 0;
    for filer in filers {
        for holder in holders {
            for assignee in assignees {
                for submitted in [false, true] {
                    let tracking = format!("MLG-2026-{:06}", i + 1);
                    let mut c = case(
                        w.kind.id,
                        &tracking,
                        filer,
                        &format!("موضوع رقم {i}"),
                        "نص الطلب",
                    );
                    c.id = Uuid::from_u128(
                        (i as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
                    );
                    c.holder_org_id = holder;
                    c.holder_since = holder.map(|_| base + Duration::hours(i));
                    c.assignee_id = assignee;
                    c.created_at = base + Duration::minutes(i * 7 % 50);
                    c.updated_at = base + Duration::seconds(i / 2);
                    c.fields = serde_json::json!({"i": i});
                    if submitted {
                        c.submitted_at = Some(base + Duration::minutes(i));
                        c.state = [
                            "submitted",
                            "routed",
                            "assigned",
                            "info_requested",
                            "answered",
                        ][i as usize % 5]
                            .to_owned();
                        c.clock = match c.state.as_str() {
                            "info_requested" => Clock::Paused,
                            "answered" => Clock::Stopped,
                            _ => Clock::Running,
                        };
                        c.due_date = (i % 4 != 0).then(|| day(2026, 3, 1) + Duration::days(i % 9));
                        c.paused_days_left = (c.clock == Clock::Paused).then_some(4);
                        c.overdue = i % 6 == 1;
                    }
                    tx.insert_case(&c).await.unwrap();
                    cases.push(c);
                    i += 1;
                }
            }
        }
    }
    tx.commit().await.unwrap();
    cases
}

fn sort_like_store(cases: &mut [&Case], sort: SortKey, descending: bool) {
    cases.sort_by(|a, b| {
        let o = match sort {
            SortKey::Updated => (a.updated_at, a.id).cmp(&(b.updated_at, b.id)),
            SortKey::Created => (a.created_at, a.id).cmp(&(b.created_at, b.id)),
            SortKey::Due => (due_key(a), a.id).cmp(&(due_key(b), b.id)),
        };
        if descending {
            o.reverse()
        } else {
            o
        }
    });
}

/// Runs `q` with a limit above the number of cases and checks that it
/// returns exactly the cases `keep` selects among those `q.scope` may see,
/// in the order of `q.sort`.
async fn check_query(
    store: &Arc<dyn Store>,
    all: &[Case],
    mut q: CaseQuery,
    keep: impl Fn(&Case) -> bool,
) {
    q.limit = 1000;
    let mut tx = store.read().await.unwrap();
    let got: Vec<Uuid> = tx
        .list_cases(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut want: Vec<&Case> = all
        .iter()
        .filter(|c| q.scope.can_see(&facts(c)) && keep(c))
        .collect();
    sort_like_store(&mut want, q.sort, q.descending);
    let want: Vec<Uuid> = want.into_iter().map(|c| c.id).collect();
    assert_eq!(got, want, "query {q:?}");
}

#[tokio::test]
async fn ready_reports_pending_then_current_migrations() {
    with_db(false, |store, db| async move {
        let name = match db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        };
        assert_eq!(store.backend(), name);
        let r = store.ready().await.unwrap();
        assert_eq!(
            r,
            Readiness {
                database: true,
                migrations_current: false
            }
        );
        store.migrate().await.unwrap();
        let r = store.ready().await.unwrap();
        assert_eq!(
            r,
            Readiness {
                database: true,
                migrations_current: true
            }
        );
        // Running the migrations again changes nothing.
        store.migrate().await.unwrap();
        assert!(store.ready().await.unwrap().migrations_current);
        let stats = store.pool_stats();
        assert!(
            stats.size >= 1 && stats.size <= 16 && stats.idle <= stats.size,
            "{stats:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn records_read_back_equal() {
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.get_org(w.dept1.id).await.unwrap().as_ref(), Some(&w.dept1));
        assert_eq!(tx.get_org(Uuid::now_v7()).await.unwrap(), None);
        let orgs = tx.list_orgs().await.unwrap();
        let codes: Vec<&str> = orgs.iter().map(|o| o.code.as_str()).collect();
        assert_eq!(codes, ["D1", "D2", "MOLG", "BEN", "TRP"]);
        assert_eq!(tx.get_user(w.officer1.id).await.unwrap().as_ref(), Some(&w.officer1));
        assert_eq!(tx.get_case_type(w.kind.id).await.unwrap().as_ref(), Some(&w.kind));
        assert_eq!(tx.list_case_types().await.unwrap(), vec![w.kind.clone()]);
        assert_eq!(tx.count_users().await.unwrap(), 5);
        let dept1_users: Vec<String> = tx.list_users(Some(w.dept1.id)).await.unwrap().into_iter().map(|u| u.username).collect();
        assert_eq!(dept1_users, ["head1", "officer1"]);
        assert_eq!(tx.list_users(None).await.unwrap().len(), 5);
        drop(tx);

        // User names are unique and found whatever their case.
        let mut tx = store.begin().await.unwrap();
        let found = tx.user_by_username("CLERK.A").await.unwrap();
        assert_eq!(found.as_ref(), Some(&w.clerk_a));
        let err = tx.insert_user(&user(w.muni_a.id, "Clerk.A", Role::MunicipalHead)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        let err = tx.insert_org(&org(OrgKind::Department, "D1", None)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        drop(tx);

        // The upsert replaces a case type.
        let mut changed = w.kind.clone();
        changed.deadline_days = 15;
        changed.auto_route = true;
        changed.default_department_id = None;
        let mut tx = store.begin().await.unwrap();
        tx.upsert_case_type(&changed).await.unwrap();
        assert_eq!(tx.get_case_type(w.kind.id).await.unwrap(), Some(changed));

        // A case, with Arabic text and typed fields, and everything attached to it.
        let mut c = case(w.kind.id, "MLG-2026-000001", &w.clerk_a, "صيانة مدرسة الشهداء", "السقف يحتاج إلى إصلاح");
        c.fields = serde_json::json!({"المدرسة": "الشهداء", "rooms": 12, "cost": 1250.5, "urgent": true, "tags": ["roof", null]});
        c.submitted_at = Some(now());
        c.state = "routed".to_owned();
        c.clock = Clock::Running;
        c.holder_org_id = Some(w.dept1.id);
        c.holder_since = c.submitted_at;
        c.due_date = Some(day(2026, 5, 14));
        tx.insert_case(&c).await.unwrap();
        assert_eq!(tx.get_case(c.id).await.unwrap().as_ref(), Some(&c));
        assert_eq!(tx.case_by_tracking("MLG-2026-000001").await.unwrap().as_ref(), Some(&c));
        assert_eq!(tx.case_by_tracking("MLG-2026-000002").await.unwrap(), None);

        c.state = "info_requested".to_owned();
        c.clock = Clock::Paused;
        c.paused_days_left = Some(3);
        c.assignee_id = Some(w.officer1.id);
        c.subject = "موضوع جديد".to_owned();
        c.updated_at = now();
        tx.update_case(&c).await.unwrap();
        assert_eq!(tx.get_case(c.id).await.unwrap().as_ref(), Some(&c));

        let event = CaseEvent {
            id: Uuid::now_v7(),
            case_id: c.id,
            at: now(),
            actor_id: Some(w.head1.id),
            action: "assign".to_owned(),
            from_state: "routed".to_owned(),
            to_state: "assigned".to_owned(),
            holder_org_id: Some(w.dept1.id),
            assignee_id: Some(w.officer1.id),
        };
        tx.insert_events(std::slice::from_ref(&event)).await.unwrap();
        assert_eq!(tx.list_events(c.id).await.unwrap(), vec![event]);

        let public = Message {
            id: Uuid::now_v7(),
            case_id: c.id,
            at: now(),
            author_id: w.officer1.id,
            author_org_id: w.dept1.id,
            internal: false,
            kind: "request_info".to_owned(),
            body: "يرجى إرفاق الصور".to_owned(),
        };
        let note = Message { id: Uuid::now_v7(), internal: true, kind: "note".to_owned(), at: public.at + Duration::seconds(1), ..public.clone() };
        tx.insert_message(&public).await.unwrap();
        tx.insert_message(&note).await.unwrap();
        assert_eq!(tx.list_messages(c.id, true).await.unwrap(), vec![public.clone(), note]);
        assert_eq!(tx.list_messages(c.id, false).await.unwrap(), vec![public.clone()]);

        let file = Attachment {
            id: Uuid::now_v7(),
            case_id: c.id,
            message_id: Some(public.id),
            filename: "صورة.jpg".to_owned(),
            content_type: "image/jpeg".to_owned(),
            size: 5_000_000_000,
            sha256: "ab".repeat(32),
            storage_key: "cases/1/2".to_owned(),
            uploaded_by: w.officer1.id,
            internal: false,
            at: now(),
        };
        tx.insert_attachment(&file).await.unwrap();
        assert_eq!(tx.get_attachment(file.id).await.unwrap().as_ref(), Some(&file));
        assert_eq!(tx.list_attachments(c.id).await.unwrap(), vec![file]);

        tx.insert_holiday(w.ministry.id, day(2026, 12, 24), "عيد الاستقلال").await.unwrap();
        tx.insert_holiday(w.ministry.id, day(2026, 2, 17), "ثورة 17 فبراير").await.unwrap();
        tx.insert_holiday(w.ministry.id, day(2026, 2, 17), "ذكرى ثورة 17 فبراير").await.unwrap();
        tx.insert_holiday(w.ministry.id, day(2027, 1, 1), "later").await.unwrap();
        assert_eq!(tx.holidays(w.ministry.id, day(2026, 1, 1), day(2026, 12, 31)).await.unwrap(), vec![day(2026, 2, 17), day(2026, 12, 24)]);
        assert_eq!(tx.holidays(w.dept1.id, day(2026, 1, 1), day(2026, 12, 31)).await.unwrap(), vec![]);
        tx.commit().await.unwrap();

        // Nothing was lost at commit.
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.get_case(c.id).await.unwrap(), Some(c));
    })
    .await;
}

#[tokio::test]
async fn sign_in_sessions_tokens_and_notifications() {
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let mut tx = store.begin().await.unwrap();
        let until = now() + Duration::minutes(15);
        // The counter goes up in SQL; the lock comes with the threshold.
        for n in 1..=2 {
            let got = tx
                .record_sign_in_failure(w.clerk_a.id, 3, until)
                .await
                .unwrap();
            assert_eq!(got, (n, None));
        }
        let got = tx
            .record_sign_in_failure(w.clerk_a.id, 3, until)
            .await
            .unwrap();
        assert_eq!(got, (3, Some(until)));
        let u = tx.get_user(w.clerk_a.id).await.unwrap().unwrap();
        assert_eq!((u.failed_attempts, u.locked_until), (3, Some(until)));
        tx.record_sign_in_success(w.clerk_a.id).await.unwrap();
        let u = tx.get_user(w.clerk_a.id).await.unwrap().unwrap();
        assert_eq!((u.failed_attempts, u.locked_until), (0, None));
        tx.record_sign_in_failure(w.clerk_a.id, 5, until)
            .await
            .unwrap();
        tx.set_password(w.clerk_a.id, "new-hash").await.unwrap();
        tx.set_locale(w.clerk_a.id, "fr").await.unwrap();
        let u = tx.get_user(w.clerk_a.id).await.unwrap().unwrap();
        assert_eq!(
            (
                u.password_hash.as_str(),
                u.locale.as_deref(),
                u.failed_attempts
            ),
            ("new-hash", Some("fr"), 0)
        );

        let s = Session {
            token_hash: vec![0, 1, 2, 255, 254],
            user_id: w.clerk_a.id,
            csrf_token: "csrf".to_owned(),
            created_at: now(),
            expires_at: now() + Duration::hours(8),
            ip: Some("2001:db8::1".to_owned()),
        };
        tx.insert_session(&s).await.unwrap();
        let (found, holder) = tx.session_by_hash(&s.token_hash).await.unwrap().unwrap();
        assert_eq!(found, s);
        assert_eq!(holder.id, w.clerk_a.id, "a session comes with its person");
        let later = s.expires_at + Duration::hours(1);
        tx.touch_session(&s.token_hash, later).await.unwrap();
        assert_eq!(
            tx.session_by_hash(&s.token_hash)
                .await
                .unwrap()
                .unwrap()
                .0
                .expires_at,
            later
        );
        tx.end_session(&s.token_hash).await.unwrap();
        assert_eq!(tx.session_by_hash(&s.token_hash).await.unwrap(), None);
        tx.insert_session(&s).await.unwrap();
        tx.end_user_sessions(w.clerk_a.id).await.unwrap();
        assert_eq!(tx.session_by_hash(&s.token_hash).await.unwrap(), None);

        let t1 = ApiToken {
            id: Uuid::now_v7(),
            user_id: w.officer1.id,
            name: "تكامل".to_owned(),
            token_hash: vec![9; 32],
            scopes: vec!["read".to_owned(), "write".to_owned()],
            created_at: now() - Duration::days(1),
            expires_at: Some(now() + Duration::days(90)),
            revoked_at: None,
        };
        let t2 = ApiToken {
            id: Uuid::now_v7(),
            token_hash: vec![8; 32],
            scopes: vec!["read".to_owned()],
            created_at: now(),
            expires_at: None,
            ..t1.clone()
        };
        tx.insert_api_token(&t1).await.unwrap();
        tx.insert_api_token(&t2).await.unwrap();
        let (found, holder) = tx.api_token_by_hash(&[9; 32]).await.unwrap().unwrap();
        assert_eq!(found, t1);
        assert_eq!(holder.id, w.officer1.id, "a token comes with its person");
        assert_eq!(
            tx.list_api_tokens(w.officer1.id).await.unwrap(),
            vec![t2.clone(), t1.clone()]
        );
        let at = now();
        assert!(!tx.revoke_api_token(w.officer2.id, t1.id, at).await.unwrap());
        assert!(tx.revoke_api_token(w.officer1.id, t1.id, at).await.unwrap());
        assert!(!tx.revoke_api_token(w.officer1.id, t1.id, at).await.unwrap());
        assert_eq!(
            tx.api_token_by_hash(&[9; 32])
                .await
                .unwrap()
                .unwrap()
                .0
                .revoked_at,
            Some(at)
        );

        let base = now();
        let mut ns = Vec::new();
        for i in 0..4 {
            let n = Notification {
                id: Uuid::now_v7(),
                user_id: w.officer1.id,
                case_id: None,
                kind: "assigned".to_owned(),
                tracking_number: format!("MLG-2026-{i:06}"),
                at: base + Duration::seconds(i),
                read_at: None,
            };
            tx.insert_notifications(std::slice::from_ref(&n))
                .await
                .unwrap();
            ns.push(n);
        }
        assert_eq!(tx.count_unread(w.officer1.id).await.unwrap(), 4);
        assert_eq!(
            tx.mark_notification_read(w.officer1.id, Some(ns[3].id), base)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            tx.mark_notification_read(w.officer2.id, Some(ns[2].id), base)
                .await
                .unwrap(),
            0
        );
        let unread: Vec<Uuid> = tx
            .list_notifications(w.officer1.id, true, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(unread, [ns[2].id, ns[1].id]);
        let all = tx
            .list_notifications(w.officer1.id, false, 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].read_at, Some(base));
        assert_eq!(
            tx.mark_notification_read(w.officer1.id, None, base)
                .await
                .unwrap(),
            3
        );
        assert_eq!(tx.count_unread(w.officer1.id).await.unwrap(), 0);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn tracking_sequences_count_per_prefix_and_year() {
    with_db(true, |store, _| async move {
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.next_tracking_seq("MLG", 2026).await.unwrap(), 1);
        assert_eq!(tx.next_tracking_seq("MLG", 2026).await.unwrap(), 2);
        assert_eq!(tx.next_tracking_seq("MLG", 2027).await.unwrap(), 1);
        assert_eq!(tx.next_tracking_seq("MEM", 2026).await.unwrap(), 1);
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.next_tracking_seq("MLG", 2026).await.unwrap(), 3);
        // A rolled-back number is given again.
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.next_tracking_seq("MLG", 2026).await.unwrap(), 3);
        tx.commit().await.unwrap();

        // Transactions taking numbers at once never share one.
        let mut handles = Vec::new();
        for _ in 0..8 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let n = tx.next_tracking_seq("MLG", 2026).await.unwrap();
                tx.commit().await.unwrap();
                n
            }));
        }
        let mut got = Vec::new();
        for h in handles {
            got.push(h.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (4..12).collect::<Vec<u64>>());
    })
    .await;
}

/// Transactions that wait for the writer at the same moment commit
/// together on SQLite; one that fails is rolled back alone, numbers it took
/// are given again, and what the others wrote is kept. (On PostgreSQL they
/// are ordinary concurrent transactions, and the same must hold.)
#[tokio::test]
async fn a_failed_transaction_among_others_takes_only_its_own_work_back() {
    with_db(true, |store, db| async move {
        let mut first = store.begin().await.unwrap();
        let taken = first.next_tracking_seq("GRP", 2026).await.unwrap();
        first
            .insert_org(&org(OrgKind::Section, "G-FIRST", None))
            .await
            .unwrap();
        // Three more wait for the writer while the first holds it.
        let mut waiting = Vec::new();
        for (i, code) in ["G-ONE", "G-FIRST", "G-THREE"].into_iter().enumerate() {
            let store = store.clone();
            waiting.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let n = tx.next_tracking_seq("GRP", 2026).await.unwrap();
                // The second repeats the first one's code: its commit fails.
                let r = match tx.insert_org(&org(OrgKind::Section, code, None)).await {
                    Ok(()) => tx.commit().await,
                    Err(e) => Err(e),
                };
                (i, n, r.is_ok())
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        first.commit().await.unwrap();
        let mut outcomes = Vec::new();
        for w in waiting {
            outcomes.push(w.await.unwrap());
        }
        outcomes.sort();
        assert!(
            outcomes[0].2 && !outcomes[1].2 && outcomes[2].2,
            "{outcomes:?}"
        );
        let mut tx = store.read().await.unwrap();
        let codes: Vec<String> = tx
            .list_orgs()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.code)
            .filter(|c| c.starts_with("G-"))
            .collect();
        assert_eq!(codes.len(), 3, "{codes:?}");
        assert!(codes.contains(&"G-ONE".to_owned()) && codes.contains(&"G-THREE".to_owned()));
        drop(tx);
        // The numbers of the committed transactions, without a hole where
        // the failed one's was given back.
        let mut tx = store.begin().await.unwrap();
        let next = tx.next_tracking_seq("GRP", 2026).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(taken, 1);
        assert_eq!(next, 4, "{outcomes:?}");
        assert_eq!(
            scalar_raw(
                &db,
                "SELECT CAST(last AS BIGINT) FROM tracking_sequences WHERE prefix = 'GRP'"
            )
            .await,
            4,
            "the sequence is written with the transactions that take it"
        );
    })
    .await;
}

/// A submitted case filed by `clerk.a` with its history, two audit records
/// and a notification of `officer1`, as a filing writes them.
fn filing_in(w: &World, subject: &str) -> Filing {
    let mut c = case(w.kind.id, "", &w.clerk_a, subject, "نص الطلب");
    c.submitted_at = Some(now());
    let about = c.id.to_string();
    Filing {
        prefix: "FIL".into(),
        year: 2026,
        events: vec![CaseEvent {
            id: Uuid::now_v7(),
            case_id: c.id,
            at: now(),
            actor_id: Some(w.clerk_a.id),
            action: "submit".into(),
            from_state: "draft".into(),
            to_state: "submitted".into(),
            holder_org_id: None,
            assignee_id: None,
        }],
        messages: Vec::new(),
        attachments: Vec::new(),
        audit: vec![
            AuditRecord {
                id: Uuid::now_v7(),
                at: now(),
                actor_id: Some(w.clerk_a.id),
                actor_name: "clerk.a".into(),
                org_id: Some(w.clerk_a.org_id),
                action: "case.create".into(),
                object_type: "case".into(),
                object_id: Some(about.clone()),
                ip: None,
                details: serde_json::json!({"tracking_number": "", "case_type": "k"}),
            },
            AuditRecord {
                id: Uuid::now_v7(),
                at: now(),
                actor_id: None,
                actor_name: "system".into(),
                org_id: None,
                action: "attachment.add".into(),
                object_type: "case".into(),
                object_id: Some(about),
                ip: None,
                details: serde_json::json!({"size": 3}),
            },
        ],
        notifications: vec![Notification {
            id: Uuid::now_v7(),
            user_id: w.officer1.id,
            case_id: Some(c.id),
            kind: "routed".into(),
            tracking_number: String::new(),
            at: now(),
            read_at: None,
        }],
        case: c,
    }
}

/// `Store::file_case` takes the number, names the case and everything that
/// refers to it with it exactly as `Filing::name` does, writes it all, and
/// gives the number back when it fails.
#[tokio::test]
async fn filing_names_the_case_and_its_records_as_the_domain_does() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let filing = |subject: &str| filing_in(&w, subject);
        let f = filing("صيانة مدرسة الشهداء");
        let mut want = f.clone();
        want.name("FIL-2026-000001");
        let got = store.file_case(f).await.unwrap();
        assert_eq!(got, want.case, "the case as the domain names it");
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.get_case(got.id).await.unwrap().unwrap(), want.case);
        assert_eq!(tx.list_events(got.id).await.unwrap(), want.events);
        let audit = tx
            .search_audit(&AuditQuery {
                object_id: Some(got.id.to_string()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let mut details: Vec<serde_json::Value> = audit.into_iter().map(|r| r.details).collect();
        details.sort_by_key(|d| d.to_string());
        let mut expected: Vec<serde_json::Value> =
            want.audit.iter().map(|r| r.details.clone()).collect();
        expected.sort_by_key(|d| d.to_string());
        assert_eq!(details, expected);
        let n = tx
            .list_notifications(w.officer1.id, false, 10)
            .await
            .unwrap();
        assert_eq!(n, want.notifications);
        drop(tx);
        // A subject that normalizes to nothing leaves the number alone.
        let mut f = filing("؟؟؟");
        f.case.body = "…".into();
        let got = store.file_case(f).await.unwrap();
        assert_eq!(got.tracking_number, "FIL-2026-000002");
        assert_eq!(got.search_text, "fil-2026-000002");
        // Past six digits, the number grows. (On PostgreSQL the sequence's
        // row can be moved from here; on SQLite the writer keeps the
        // sequence, which only Diwan moves, and `TrackingNumber`'s own tests
        // cover the format.)
        let last = if let Db::Postgres(_) = &db {
            execute_raw(
                &db,
                "UPDATE tracking_sequences SET last = 999999 WHERE prefix = 'FIL'",
            )
            .await
            .unwrap();
            let f = filing("إنارة");
            let mut named = f.clone();
            named.name("FIL-2026-1000000");
            let got = store.file_case(f).await.unwrap();
            assert_eq!(got, named.case);
            (got.id, 1_000_000)
        } else {
            (got.id, 2)
        };
        // A filing that fails (its case's id taken) gives its number back.
        let mut f = filing("طلب");
        f.case.id = last.0;
        assert!(store.file_case(f).await.is_err());
        let got = store.file_case(filing("طلب آخر")).await.unwrap();
        assert_eq!(
            got.tracking_number,
            want.tracking_number(last.1 + 1).unwrap()
        );
        // Filings at once never share a number, and one of them that fails
        // (its case's id taken) fails alone, leaving no gap: on SQLite the
        // writer's savepoints see to it, on PostgreSQL the filer tries each
        // filing of a failed transaction again alone.
        let next = last.1 + 2;
        let mut handles = Vec::new();
        for i in 0..16 {
            let mut f = filing(&format!("طلب رقم {i}"));
            if i == 5 {
                f.case.id = last.0;
            }
            let store = store.clone();
            handles.push(tokio::spawn(async move { store.file_case(f).await }));
        }
        let mut numbers = Vec::new();
        let mut failed = 0;
        for h in handles {
            match h.await.unwrap() {
                Ok(c) => numbers.push(c.tracking_number),
                Err(_) => failed += 1,
            }
        }
        assert_eq!(failed, 1, "only the filing whose id was taken fails");
        numbers.sort();
        let expected: Vec<String> = (next..next + 15)
            .map(|n| want.tracking_number(n).unwrap())
            .collect();
        assert_eq!(
            numbers, expected,
            "fifteen numbers, none shared, none skipped"
        );
        // Two nodes on one PostgreSQL: each filer names its batches with the
        // numbers it expects, and finds them taken when the other node filed
        // meanwhile; it files them again with the next free numbers, so that
        // nothing fails, nothing is shared and nothing is skipped, whether
        // the nodes file in turn or at once.
        if let Db::Postgres(url) = &db {
            let other: Arc<dyn Store> = Arc::new(PostgresStore::connect(url).await.unwrap());
            let from = next + 15;
            let mut numbers = Vec::new();
            for i in 0..6 {
                let node = if i % 2 == 0 { &store } else { &other };
                let got = node.file_case(filing(&format!("بالتناوب {i}"))).await;
                numbers.push(got.expect("filed in turn").tracking_number);
            }
            let mut handles = Vec::new();
            for i in 0..16 {
                let node = if i % 2 == 0 {
                    store.clone()
                } else {
                    other.clone()
                };
                let f = filing(&format!("في آن واحد {i}"));
                handles.push(tokio::spawn(async move { node.file_case(f).await }));
            }
            for h in handles {
                numbers.push(h.await.unwrap().expect("filed at once").tracking_number);
            }
            numbers.sort();
            let expected: Vec<String> = (from..from + 22)
                .map(|n| want.tracking_number(n).unwrap())
                .collect();
            assert_eq!(numbers, expected, "two nodes share one gapless sequence");
        }
    })
    .await;
}

#[tokio::test]
async fn queues_apply_scopes_and_filters_like_can_see() {
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let all = many_cases(&store, &w).await;
        let scopes = [
            Scope::Everything,
            Scope::FiledBy(w.muni_a.id),
            Scope::FiledBy(w.muni_b.id),
            Scope::Department {
                org_id: w.dept1.id,
                user_id: w.officer1.id,
            },
            Scope::Department {
                org_id: w.dept2.id,
                user_id: w.officer1.id,
            },
            Scope::Department {
                org_id: w.dept2.id,
                user_id: w.officer2.id,
            },
            Scope::Department {
                org_id: w.ministry.id,
                user_id: w.head1.id,
            },
        ];
        for scope in scopes {
            for sort in [SortKey::Updated, SortKey::Created, SortKey::Due] {
                for descending in [true, false] {
                    let q = CaseQuery {
                        sort,
                        descending,
                        ..CaseQuery::new(scope)
                    };
                    check_query(&store, &all, q, |_| true).await;
                }
            }
            let states = vec!["routed".to_owned()];
            check_query(
                &store,
                &all,
                CaseQuery {
                    states,
                    ..CaseQuery::new(scope)
                },
                |c| c.state == "routed",
            )
            .await;
            let states = vec!["draft".to_owned(), "info_requested".to_owned()];
            check_query(
                &store,
                &all,
                CaseQuery {
                    states,
                    ..CaseQuery::new(scope)
                },
                |c| c.state == "draft" || c.state == "info_requested",
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    holder_org_id: Some(w.dept1.id),
                    ..CaseQuery::new(scope)
                },
                |c| c.holder_org_id == Some(w.dept1.id),
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    filer_org_id: Some(w.muni_b.id),
                    ..CaseQuery::new(scope)
                },
                |c| c.filer_org_id == w.muni_b.id,
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    assignee_id: Some(w.officer2.id),
                    ..CaseQuery::new(scope)
                },
                |c| c.assignee_id == Some(w.officer2.id),
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    overdue: Some(true),
                    ..CaseQuery::new(scope)
                },
                |c| c.overdue,
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    overdue: Some(false),
                    ..CaseQuery::new(scope)
                },
                |c| !c.overdue,
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    case_type_id: Some(w.kind.id),
                    ..CaseQuery::new(scope)
                },
                |_| true,
            )
            .await;
            check_query(
                &store,
                &all,
                CaseQuery {
                    case_type_id: Some(Uuid::now_v7()),
                    ..CaseQuery::new(scope)
                },
                |_| false,
            )
            .await;
            let by = day(2026, 3, 5);
            check_query(
                &store,
                &all,
                CaseQuery {
                    due_by: Some(by),
                    ..CaseQuery::new(scope)
                },
                |c| c.clock == Clock::Running && c.due_date.is_some_and(|d| d <= by),
            )
            .await;
            let (from, to) = (all[3].created_at, all[20].created_at);
            check_query(
                &store,
                &all,
                CaseQuery {
                    created_from: Some(from),
                    created_to: Some(to),
                    ..CaseQuery::new(scope)
                },
                |c| c.created_at >= from && c.created_at < to,
            )
            .await;

            // The dashboard counts agree with the same rule.
            for holder in [None, Some(w.dept1.id)] {
                let soon = day(2026, 3, 4);
                let mut tx = store.read().await.unwrap();
                let got = tx
                    .count_cases(&CaseCount {
                        scope,
                        holder_org_id: holder,
                        due_soon_by: soon,
                    })
                    .await
                    .unwrap();
                let open: Vec<&Case> = all
                    .iter()
                    .filter(|c| scope.can_see(&facts(c)))
                    .filter(|c| matches!(c.clock, Clock::Running | Clock::Paused))
                    .filter(|c| holder.is_none() || c.holder_org_id == holder)
                    .collect();
                let want = CaseCounts {
                    open: open.len() as i64,
                    overdue: open.iter().filter(|c| c.overdue).count() as i64,
                    due_soon: open
                        .iter()
                        .filter(|c| {
                            c.clock == Clock::Running
                                && !c.overdue
                                && c.due_date.is_some_and(|d| d <= soon)
                        })
                        .count() as i64,
                    paused: open.iter().filter(|c| c.clock == Clock::Paused).count() as i64,
                };
                assert_eq!(got, want, "{scope:?} holder {holder:?}");
            }
        }
        // The fixture must exercise every rule, or the comparisons prove little.
        let dept = Scope::Department {
            org_id: w.dept1.id,
            user_id: w.officer1.id,
        };
        assert!(all
            .iter()
            .any(|c| dept.can_see(&facts(c)) && c.submitted_at.is_none()));
        assert!(all.iter().any(|c| dept.can_see(&facts(c))
            && c.filer_org_id != w.dept1.id
            && c.holder_org_id != Some(w.dept1.id)));
        assert!(all
            .iter()
            .any(|c| !dept.can_see(&facts(c)) && c.assignee_id == Some(w.officer1.id)));
    })
    .await;
}

#[tokio::test]
async fn keyset_pages_have_no_duplicate_and_no_gap() {
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let all = many_cases(&store, &w).await;
        for sort in [SortKey::Updated, SortKey::Created, SortKey::Due] {
            for descending in [true, false] {
                let mut want: Vec<&Case> = all
                    .iter()
                    .filter(|c| Scope::Everything.can_see(&facts(c)))
                    .collect();
                assert_eq!(want.len(), 27);
                sort_like_store(&mut want, sort, descending);
                let want: Vec<Uuid> = want.into_iter().map(|c| c.id).collect();

                let mut seen = Vec::new();
                let mut pages = Vec::new();
                let mut after = None;
                loop {
                    let q = CaseQuery {
                        sort,
                        descending,
                        after: after.clone(),
                        limit: 10,
                        ..CaseQuery::new(Scope::Everything)
                    };
                    let mut tx = store.read().await.unwrap();
                    let page = tx.list_cases(&q).await.unwrap();
                    let Some(last) = page.last() else { break };
                    after = Some(match sort {
                        SortKey::Updated => Cursor::Time(last.updated_at, last.id),
                        SortKey::Created => Cursor::Time(last.created_at, last.id),
                        SortKey::Due => Cursor::Date(last.due_date, last.id),
                    });
                    pages.push(page.len());
                    seen.extend(page.iter().map(|r| r.id));
                }
                assert_eq!(pages, [10, 10, 7], "{sort:?} descending {descending}");
                let unique: HashSet<Uuid> = seen.iter().copied().collect();
                assert_eq!(
                    unique.len(),
                    seen.len(),
                    "duplicates with {sort:?} descending {descending}"
                );
                assert_eq!(seen, want, "{sort:?} descending {descending}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn search_matches_prefixes_of_every_term() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let texts = [
            (
                "MLG-2026-000123",
                "صيانة مدرسة الشهداء",
                "السقف يحتاج إلى إصلاح عاجل",
            ),
            (
                "MLG-2026-000145",
                "إنارة الطريق الساحلي",
                "أعمدة الإنارة معطلة",
            ),
            (
                "MLG-2025-000123",
                "Budget transfer",
                "Transfert du budget de l'école",
            ),
            ("MEM-2026-000001", "مذكرة داخلية", "بخصوص مدرسة الفاتح"),
        ];
        let mut ids = Vec::new();
        let mut tx = store.begin().await.unwrap();
        for (i, (tracking, subject, body)) in texts.iter().enumerate() {
            let mut c = case(w.kind.id, tracking, &w.clerk_a, subject, body);
            c.submitted_at = Some(now());
            c.state = "submitted".to_owned();
            c.clock = Clock::Running;
            c.updated_at = now() + Duration::seconds(i as i64);
            tx.insert_case(&c).await.unwrap();
            ids.push(c.id);
        }
        tx.commit().await.unwrap();

        let search = |query: &str| {
            let store = store.clone();
            let terms = search_terms(query);
            async move {
                let q = CaseQuery {
                    terms,
                    ..CaseQuery::new(Scope::Everything)
                };
                let mut tx = store.read().await.unwrap();
                let mut got: Vec<Uuid> = tx
                    .list_cases(&q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                got.sort();
                got
            }
        };
        let sorted = |mut v: Vec<Uuid>| {
            v.sort();
            v
        };
        // Arabic, with the spelling variants that normalization folds.
        assert_eq!(search("مدرسه").await, sorted(vec![ids[0], ids[3]]));
        assert_eq!(search("مدرسة").await, sorted(vec![ids[0], ids[3]]));
        assert_eq!(search("مدر").await, sorted(vec![ids[0], ids[3]]));
        assert_eq!(search("اصلاح").await, vec![ids[0]]);
        assert_eq!(search("إنارة").await, vec![ids[1]]);
        // Every term must match.
        assert_eq!(search("مدرس الشهد").await, vec![ids[0]]);
        assert_eq!(search("مدرس الساحلي").await, Vec::<Uuid>::new());
        // Latin letters, any case.
        assert_eq!(search("BUDG").await, vec![ids[2]]);
        assert_eq!(search("transf budget").await, vec![ids[2]]);
        // Tracking numbers, whole, in part, and with Arabic-Indic digits.
        assert_eq!(search("MLG-2026-000123").await, vec![ids[0]]);
        assert_eq!(search("mlg-2026-0001").await, sorted(vec![ids[0], ids[1]]));
        assert_eq!(search("MLG-٢٠٢٦-٠٠٠١٤٥").await, vec![ids[1]]);
        assert_eq!(search("mlg-2026").await, sorted(vec![ids[0], ids[1]]));
        assert_eq!(search("000123").await, sorted(vec![ids[0], ids[2]]));
        assert_eq!(search("ml-2026").await, Vec::<Uuid>::new());
        assert_eq!(search("2026-000001").await, vec![ids[3]]);
        // Input that looks like query syntax (tsquery, FTS5) is only text,
        // even when it reaches the store without normalization.
        assert_eq!(search("budget & | ! ( ) <-> :* '").await, vec![ids[2]]);
        let raw = |terms: &[&str]| {
            let store = store.clone();
            let q = CaseQuery {
                terms: terms.iter().map(|t| (*t).to_owned()).collect(),
                ..CaseQuery::new(Scope::Everything)
            };
            async move {
                let mut tx = store.read().await.unwrap();
                tx.list_cases(&q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<Uuid>>()
            }
        };
        assert_eq!(
            raw(&["'budget\\:*&|!()\"", "<->", "\"*"]).await,
            vec![ids[2]]
        );
        // Terms are normalized before they reach the store, which leaves no
        // punctuation inside a word; a raw term with some is read differently.
        match db {
            // The characters are dropped, and the word is whole again.
            Db::Postgres(_) => assert_eq!(raw(&["bu'dg\\et:*&|!()"]).await, vec![ids[2]]),
            // The tokenizer splits the term there into a phrase of its
            // pieces (`bu dg et`), which no case contains.
            Db::Sqlite(_) => assert_eq!(raw(&["bu'dg\\et:*&|!()"]).await, Vec::<Uuid>::new()),
        }
        // Terms with nothing to search for match nothing.
        assert_eq!(search("-").await, Vec::<Uuid>::new());
        assert_eq!(search("budget -").await, vec![ids[2]]);
        assert_eq!(search(&"a".repeat(3000)).await, Vec::<Uuid>::new());

        // A changed text is searched as changed.
        let mut tx = store.begin().await.unwrap();
        let mut c = tx.get_case(ids[1]).await.unwrap().unwrap();
        c.subject = "صيانة مدرسة النور".to_owned();
        c.search_text =
            normalize_for_search(&format!("{} {} {}", c.tracking_number, c.subject, c.body));
        tx.update_case(&c).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(search("مدرسه").await, sorted(vec![ids[0], ids[1], ids[3]]));
        assert_eq!(search("إنارة الطريق").await, Vec::<Uuid>::new());
        // Pages of a search follow the same keysets as queues.
        let mut q = CaseQuery {
            terms: search_terms("مدرسه"),
            limit: 2,
            ..CaseQuery::new(Scope::Everything)
        };
        let mut tx = store.read().await.unwrap();
        let first = tx.list_cases(&q).await.unwrap();
        let last = first.last().unwrap();
        q.after = Some(Cursor::Time(last.updated_at, last.id));
        let second = tx.list_cases(&q).await.unwrap();
        let pages: Vec<Uuid> = first.iter().chain(&second).map(|r| r.id).collect();
        assert_eq!(pages, [ids[3], ids[1], ids[0]]);
    })
    .await;
}

/// A case changed in the transaction (and so the group) that files it is
/// found by its last text only, as is one changed after; cases filed by
/// transactions committed together are all found; and on SQLite the full-text
/// index stays whole (FTS5's own integrity check).
#[tokio::test]
async fn search_finds_cases_by_their_last_text_however_they_were_grouped() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let mut tx = store.begin().await.unwrap();
        let mut a = case(
            w.kind.id,
            "MLG-2026-000901",
            &w.clerk_a,
            "صيانة مدرسة",
            "نص",
        );
        a.submitted_at = Some(now());
        tx.insert_case(&a).await.unwrap();
        a.subject = "إنارة شارع".to_owned();
        a.search_text = normalize_for_search(&format!("{} {} نص", a.tracking_number, a.subject));
        tx.update_case(&a).await.unwrap();
        tx.commit().await.unwrap();
        // Several filings waiting together.
        let mut handles = Vec::new();
        for i in 0..6u32 {
            let (store, kind, clerk) = (store.clone(), w.kind.id, w.clerk_a.clone());
            handles.push(tokio::spawn(async move {
                let tracking = format!("MLG-2026-00095{i}");
                let mut c = case(kind, &tracking, &clerk, "ميزانية بلدية", "نص");
                c.search_text =
                    normalize_for_search(&format!("{} ميزانية بلدية نص", c.tracking_number));
                c.submitted_at = Some(now());
                let mut tx = store.begin().await.unwrap();
                tx.insert_case(&c).await.unwrap();
                tx.commit().await.unwrap();
                c.id
            }));
        }
        let mut grouped = Vec::new();
        for h in handles {
            grouped.push(h.await.unwrap());
        }
        let search = |text: &str| {
            let store = store.clone();
            let q = CaseQuery {
                terms: search_terms(text),
                limit: 100,
                ..CaseQuery::new(Scope::Everything)
            };
            async move {
                let mut tx = store.read().await.unwrap();
                let mut ids: Vec<Uuid> = tx
                    .list_cases(&q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                ids.sort();
                ids
            }
        };
        assert_eq!(search("إنارة").await, vec![a.id]);
        assert!(search("مدرسة").await.is_empty(), "the first text is gone");
        grouped.sort();
        assert_eq!(search("ميزانية").await, grouped);
        // Changed again, in a later transaction.
        let mut tx = store.begin().await.unwrap();
        a.subject = "تعبيد طريق".to_owned();
        a.search_text = normalize_for_search(&format!("{} {} نص", a.tracking_number, a.subject));
        tx.update_case(&a).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(search("تعبيد").await, vec![a.id]);
        assert!(search("إنارة").await.is_empty());
        if let Db::Sqlite(_) = &db {
            execute_raw(
                &db,
                "INSERT INTO cases_fts(cases_fts) VALUES ('integrity-check')",
            )
            .await
            .expect("the full-text index is whole");
        }
    })
    .await;
}

/// A write transaction that has read a case for a change keeps a second
/// writer of that case waiting until it commits, and the second then reads
/// the change. On PostgreSQL the wait is a row lock (`FOR UPDATE`), so a
/// writer of another case goes on; on SQLite it is the single writer, so
/// every other write transaction waits too.
#[tokio::test]
async fn a_case_read_for_change_holds_off_a_second_writer_until_commit() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let c = case(w.kind.id, "MLG-2026-000001", &w.clerk_a, "subject", "body");
        let other = case(w.kind.id, "MLG-2026-000002", &w.clerk_a, "other", "body");
        let mut tx = store.begin().await.unwrap();
        tx.insert_case(&c).await.unwrap();
        tx.insert_case(&other).await.unwrap();
        tx.commit().await.unwrap();

        let mut first = store.begin().await.unwrap();
        let mut mine = first.get_case(c.id).await.unwrap().unwrap();
        let second = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                tx.get_case(c.id).await.unwrap().unwrap()
            })
        };
        let elsewhere = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let mut o = tx.get_case(other.id).await.unwrap().unwrap();
                o.subject = "changed elsewhere".to_owned();
                tx.update_case(&o).await.unwrap();
                tx.commit().await.unwrap();
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !second.is_finished(),
            "the second writer of the case must wait for the first"
        );
        match db {
            Db::Postgres(_) => assert!(
                elsewhere.is_finished(),
                "a row lock must not hold up a writer of another case"
            ),
            Db::Sqlite(_) => assert!(
                !elsewhere.is_finished(),
                "the single writer must hold up every other write transaction"
            ),
        }

        // A read-only transaction neither waits nor fails. (It cannot
        // write: `ReadTx` has no method that does.)
        let mut reader = store.read().await.unwrap();
        assert_eq!(reader.get_case(c.id).await.unwrap().unwrap().state, "draft");
        drop(reader);

        mine.state = "withdrawn".to_owned();
        mine.clock = Clock::Stopped;
        first.update_case(&mine).await.unwrap();
        first.commit().await.unwrap();
        let seen = second.await.unwrap();
        assert_eq!(
            seen.state, "withdrawn",
            "the second writer sees the first one's change"
        );
        elsewhere.await.unwrap();
        let mut tx = store.read().await.unwrap();
        let o = tx.get_case(other.id).await.unwrap().unwrap();
        assert_eq!(o.subject, "changed elsewhere");
    })
    .await;
}

#[tokio::test]
async fn mark_overdue_returns_each_case_once() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let today = day(2026, 4, 10);
        let mut due = Vec::new();
        let mut tx = store.begin().await.unwrap();
        for i in 0..20 {
            let mut c = case(w.kind.id, &format!("MLG-2026-{i:06}"), &w.clerk_a, "s", "b");
            c.submitted_at = Some(now());
            c.state = "routed".to_owned();
            c.clock = Clock::Running;
            c.due_date = Some(today - Duration::days(i % 5 + 1));
            match i % 4 {
                // Not yet due, due today, paused, or already marked: never swept.
                0 if i < 12 => c.due_date = Some(today + Duration::days(i + 1)),
                0 => c.due_date = Some(today),
                1 if i < 10 => c.clock = Clock::Paused,
                1 => c.overdue = true,
                _ => due.push(c.id),
            }
            tx.insert_case(&c).await.unwrap();
        }
        let mut undated = case(w.kind.id, "MLG-2026-999999", &w.clerk_a, "s", "b");
        undated.clock = Clock::Running;
        tx.insert_case(&undated).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(due.len(), 10);

        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.pending_overdue(today).await.unwrap(), 10);
        drop(tx);

        // Two sweeps at once: the second starts while the first has not
        // committed, and returns only what the first did not claim.
        let mut first = store.begin().await.unwrap();
        let a = first.mark_overdue(today, 4).await.unwrap();
        assert_eq!(a.len(), 4);
        let second = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let b = tx.mark_overdue(today, 100).await.unwrap();
                tx.commit().await.unwrap();
                b
            })
        };
        let b = match db {
            // SKIP LOCKED passes over the rows the first sweep holds
            // without waiting for them.
            Db::Postgres(_) => {
                let b = tokio::time::timeout(std::time::Duration::from_secs(10), second)
                    .await
                    .expect("the second sweep must not wait for the first")
                    .unwrap();
                first.commit().await.unwrap();
                b
            }
            // The second sweep waits for the single writer, then finds the
            // first sweep's cases marked.
            Db::Sqlite(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                assert!(
                    !second.is_finished(),
                    "the second sweep must wait for the single writer"
                );
                first.commit().await.unwrap();
                second.await.unwrap()
            }
        };
        assert_eq!(b.len(), 6);

        let mut seen: Vec<Uuid> = a.iter().chain(&b).map(|c| c.id).collect();
        assert!(a.iter().chain(&b).all(|c| c.overdue));
        seen.sort();
        due.sort();
        assert_eq!(seen, due);

        let mut tx = store.begin().await.unwrap();
        assert_eq!(tx.mark_overdue(today, 100).await.unwrap(), vec![]);
        assert_eq!(tx.pending_overdue(today).await.unwrap(), 0);
        for id in &due {
            assert!(tx.get_case(*id).await.unwrap().unwrap().overdue);
        }
        // The next day, cases due today are overdue too.
        let next = tx
            .mark_overdue(today + Duration::days(1), 100)
            .await
            .unwrap();
        assert_eq!(next.len(), 2);
        assert!(next.iter().all(|c| c.due_date == Some(today)));
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn audit_log_is_append_only() {
    with_db(true, |store, db| async move {
        let base = now();
        let records: Vec<AuditRecord> = (0..5)
            .map(|i| {
                audit(
                    if i % 2 == 0 {
                        "case.submit"
                    } else {
                        "user.sign_in"
                    },
                    base + Duration::seconds(i),
                )
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        for r in &records {
            tx.append_audit(std::slice::from_ref(r)).await.unwrap();
        }
        tx.commit().await.unwrap();

        // No statement that reaches a record changes or removes it, whole
        // table or a few rows; the listings below find every record intact.
        for sql in [
            "UPDATE audit_log SET actor_name = 'someone else'",
            "UPDATE audit_log SET details = '{}' WHERE action = 'user.sign_in'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE action = 'case.submit'",
        ] {
            let res = execute_raw(&db, sql).await;
            assert!(res.is_err(), "{sql} must fail, not {res:?}");
        }
        match db {
            // The trigger fires once per statement, before any row is
            // touched: even a statement that matches no row fails, and so
            // does TRUNCATE.
            Db::Postgres(_) => {
                for sql in [
                    "UPDATE audit_log SET actor_name = 'x' WHERE false",
                    "DELETE FROM audit_log WHERE false",
                    "TRUNCATE audit_log",
                ] {
                    let res = execute_raw(&db, sql).await;
                    assert!(res.is_err(), "{sql} must fail, not {res:?}");
                }
            }
            // SQLite's triggers fire per row: a statement that matches no
            // row passes and changes nothing. SQLite has no TRUNCATE.
            Db::Sqlite(_) => {
                for sql in [
                    "UPDATE audit_log SET actor_name = 'x' WHERE false",
                    "DELETE FROM audit_log WHERE false",
                ] {
                    assert_eq!(execute_raw(&db, sql).await.unwrap(), 0, "{sql}");
                }
            }
        }

        let mut tx = store.read().await.unwrap();
        let all = tx
            .search_audit(&AuditQuery {
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let mut want = records.clone();
        want.reverse();
        assert_eq!(all, want);
        let submits = tx
            .search_audit(&AuditQuery {
                action_prefix: Some("case.".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(submits.len(), 3);
        let page = tx
            .search_audit(&AuditQuery {
                before: Some((want[1].at, want[1].id)),
                limit: 2,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page, want[2..4].to_vec());
        let window = tx
            .search_audit(&AuditQuery {
                from: Some(base + Duration::seconds(1)),
                to: Some(base + Duration::seconds(3)),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(window, vec![records[2].clone(), records[1].clone()]);
        let by_actor = tx
            .search_audit(&AuditQuery {
                actor_id: records[0].actor_id,
                object_id: Some("MLG-2026-000001".to_owned()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(by_actor, vec![records[0].clone()]);
        assert!(tx
            .search_audit(&AuditQuery {
                action_prefix: Some("%".to_owned()),
                org_id: Some(Uuid::now_v7()),
                limit: 100,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

/// A word found in thousands of cases takes another query plan than a rare
/// one (the queue's order is walked instead of sorting every match); the
/// pages it gives are the same as sorting the matches would give.
#[tokio::test]
async fn a_common_word_pages_exactly_like_a_rare_one() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let base = now() - Duration::days(10);
        let mut tx = store.begin().await.unwrap();
        let mut matching = Vec::new();
        for i in 0..2600i64 {
            // Two cases in three hold the word; the others only a longer word
            // that starts with it, and every tenth a word that does not.
            let (subject, matches) = match i % 10 {
                9 => ("طلب صيانة", false),
                n if n % 3 == 2 => ("طلب مدرسية جديدة", true),
                _ => ("طلب مدرسة جديدة", true),
            };
            let mut c = case(
                w.kind.id,
                &format!("MLG-2025-{:06}", i + 1),
                &w.clerk_a,
                subject,
                "نص",
            );
            c.id = Uuid::from_u128(
                (i as u128 + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
            );
            // Updated in an order unrelated to insertion, with ties.
            c.updated_at = base + Duration::seconds((i * 7919) % 1300);
            tx.insert_case(&c).await.unwrap();
            if matches {
                matching.push(c);
            }
        }
        tx.commit().await.unwrap();
        assert!(matching.len() >= 2000);
        // PostgreSQL tells common words by the planner's estimate, which
        // needs the statistics autovacuum would have gathered by now.
        if let Db::Postgres(_) = &db {
            execute_raw(&db, "ANALYZE cases").await.unwrap();
        }
        let mut expected: Vec<&Case> = matching.iter().collect();
        sort_like_store(&mut expected, SortKey::Updated, true);
        let mut q = CaseQuery::new(Scope::FiledBy(w.clerk_a.org_id));
        q.terms = search_terms("مدرس");
        q.limit = 25;
        let mut seen = Vec::new();
        for _ in 0..3 {
            let mut tx = store.read().await.unwrap();
            let page = tx.list_cases(&q).await.unwrap();
            assert_eq!(page.len(), 25);
            q.after = page.last().map(|r| Cursor::Time(r.updated_at, r.id));
            seen.extend(page.into_iter().map(|r| r.id));
        }
        let want: Vec<Uuid> = expected.iter().take(75).map(|c| c.id).collect();
        assert_eq!(seen, want, "the first three pages of a common word");
    })
    .await;
}

fn person(
    national_number: &str,
    name_ar: &str,
    municipality_id: Option<Uuid>,
    mobiles: &[&str],
) -> Person {
    let t = now();
    Person {
        id: Uuid::now_v7(),
        national_number: national_number.into(),
        name_ar: name_ar.into(),
        name_latin: None,
        sex: diwan_domain::persons::Sex::Female,
        birth_date: Some(day(1990, 5, 17)),
        mobiles: mobiles.iter().map(|m| (*m).to_owned()).collect(),
        email: None,
        municipality_id,
        language: diwan_domain::persons::Language::Ar,
        sms_opt_out_at: None,
        email_opt_out_at: None,
        created_at: t,
        updated_at: t,
        search_text: diwan_domain::persons::search_text(name_ar, None),
    }
}

#[tokio::test]
async fn persons_read_back_equal_and_are_found_by_number_phone_and_name() {
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let a = person(
            "219900000001",
            "فاطمة سالم خليفة",
            Some(w.muni_a.id),
            &["+218912345678", "+218921112233"],
        );
        let b = person(
            "119850012345",
            "محمد علي الورفلي",
            Some(w.muni_b.id),
            &["+218944445555"],
        );
        let mut tx = store.begin().await.unwrap();
        tx.insert_person(&a).await.unwrap();
        tx.insert_person(&b).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        let err = tx
            .insert_person(&person("219900000001", "أخرى", None, &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        drop(tx);

        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.get_person(a.id).await.unwrap().as_ref(), Some(&a));
        assert_eq!(
            tx.person_by_number("119850012345").await.unwrap().as_ref(),
            Some(&b)
        );
        assert_eq!(tx.person_by_number("000000000000").await.unwrap(), None);
        let find = |lookup: &str, municipality_id: Option<Uuid>| PersonQuery {
            lookup: diwan_domain::persons::PersonLookup::read(lookup),
            municipality_id,
            before: None,
            limit: 10,
        };
        let ids = |ps: Vec<Person>| {
            ps.into_iter()
                .map(|p| p.national_number)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(tx.search_persons(&find("", None)).await.unwrap()),
            ["119850012345", "219900000001"],
            "newest first"
        );
        assert_eq!(
            ids(tx.search_persons(&find("0921112233", None)).await.unwrap()),
            ["219900000001"]
        );
        assert_eq!(
            ids(tx.search_persons(&find("فاطمه", None)).await.unwrap()),
            ["219900000001"]
        );
        assert_eq!(
            ids(tx.search_persons(&find("الورف", None)).await.unwrap()),
            ["119850012345"]
        );
        assert!(
            tx.search_persons(&find("الورفلي", Some(w.muni_a.id)))
                .await
                .unwrap()
                .is_empty(),
            "another municipality's"
        );
        let page = PersonQuery {
            before: Some(b.id),
            ..find("", None)
        };
        assert_eq!(
            ids(tx.search_persons(&page).await.unwrap()),
            ["219900000001"]
        );
        drop(tx);
        // A name of several persons, a page of one at a time: the newest
        // first, then the next after the cursor.
        let c = person("219910000002", "فاطمة علي", Some(w.muni_a.id), &[]);
        let mut tx = store.begin().await.unwrap();
        tx.insert_person(&c).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.read().await.unwrap();
        let one = PersonQuery {
            limit: 1,
            ..find("فاطمة", None)
        };
        assert_eq!(
            ids(tx.search_persons(&one).await.unwrap()),
            ["219910000002"]
        );
        let next = PersonQuery {
            before: Some(c.id),
            ..one.clone()
        };
        assert_eq!(
            ids(tx.search_persons(&next).await.unwrap()),
            ["219900000001"]
        );
        let after = PersonQuery {
            before: Some(a.id),
            ..one
        };
        assert!(tx.search_persons(&after).await.unwrap().is_empty());
        drop(tx);

        // An update replaces the mobile numbers and the search text.
        let mut changed = a.clone();
        changed.name_ar = "فاطمة سالم الزوي".into();
        changed.search_text = diwan_domain::persons::search_text(&changed.name_ar, None);
        changed.mobiles = vec!["+218913334444".into()];
        changed.updated_at = now() + Duration::seconds(1);
        let mut tx = store.begin().await.unwrap();
        tx.update_person(&changed).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.get_person(a.id).await.unwrap().as_ref(), Some(&changed));
        assert!(tx
            .search_persons(&find("0912345678", None))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            ids(tx.search_persons(&find("0913334444", None)).await.unwrap()),
            ["219900000001"]
        );
        assert!(tx
            .search_persons(&find("خليفة", None))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            ids(tx.search_persons(&find("الزوي", None)).await.unwrap()),
            ["219900000001"]
        );
    })
    .await;
}

/// An outbox message as the services write one.
fn message(
    org_id: Uuid,
    channel: diwan_domain::messaging::Channel,
    recipient: &str,
    person_id: Option<Uuid>,
) -> OutboxMessage {
    let t = now();
    OutboxMessage {
        id: Uuid::now_v7(),
        batch_id: None,
        org_id,
        channel,
        kind: diwan_domain::messaging::Kind::Transactional,
        recipient: recipient.into(),
        person_id,
        language: "ar".into(),
        subject: None,
        body: "رسالة".into(),
        parts: 1,
        state: diwan_domain::messaging::State::Queued,
        attempts: 0,
        next_attempt_at: t,
        lease_until: None,
        expires_at: t + Duration::days(1),
        error: None,
        created_at: t,
        sent_at: None,
        delivered_at: None,
        updated_at: t,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_messages_are_found_by_their_address_newest_first() {
    use diwan_domain::messaging::Channel::{Email, Sms};
    with_db(true, |store, _| async move {
        let w = world(&store).await;
        let org = w.muni_a.id;
        let mut a = person("219900000001", "فاطمة سالم", Some(org), &["+218912345678"]);
        let mut tx = store.begin().await.unwrap();
        tx.insert_person(&a).await.unwrap();
        tx.commit().await.unwrap();
        let sent = [
            message(org, Sms, "+218912345678", Some(a.id)),
            message(org, Sms, "+218912345678", None),
            message(org, Sms, "+218900000000", None),
            message(org, Email, "fatima@example.ly", Some(a.id)),
            message(org, Email, "fatima@example.ly", None),
            message(org, Sms, "+218912345678", Some(a.id)),
        ];
        let mut tx = store.begin().await.unwrap();
        tx.queue_messages(&sent).await.unwrap();
        tx.commit().await.unwrap();
        let to = |r: &str, limit: i64, before: Option<Uuid>| OutboxQuery {
            recipient: Some(r.into()),
            limit,
            before,
            ..OutboxQuery::default()
        };
        let mut tx = store.read().await.unwrap();
        let ids = |ms: Vec<OutboxMessage>| ms.into_iter().map(|m| m.id).collect::<Vec<_>>();
        // To a person of the registry or to no one known, by the address,
        // newest first.
        let number = ids(tx
            .list_outbox(&to("+218912345678", 10, None))
            .await
            .unwrap());
        assert_eq!(number, [sent[5].id, sent[1].id, sent[0].id]);
        assert_eq!(
            ids(tx
                .list_outbox(&to("fatima@example.ly", 10, None))
                .await
                .unwrap()),
            [sent[4].id, sent[3].id]
        );
        assert_eq!(
            ids(tx
                .list_outbox(&to("+218900000000", 10, None))
                .await
                .unwrap()),
            [sent[2].id]
        );
        // A page at a time.
        assert_eq!(
            ids(tx.list_outbox(&to("+218912345678", 2, None)).await.unwrap()),
            [sent[5].id, sent[1].id]
        );
        assert_eq!(
            ids(tx
                .list_outbox(&to("+218912345678", 2, Some(sent[1].id)))
                .await
                .unwrap()),
            [sent[0].id]
        );
        let other = OutboxQuery {
            org_id: Some(w.muni_b.id),
            ..to("+218912345678", 10, None)
        };
        assert!(
            tx.list_outbox(&other).await.unwrap().is_empty(),
            "another municipality's"
        );
        drop(tx);
        // A message stays found by the number it went to, also once that
        // number is no longer the person's.
        a.mobiles = vec!["+218921112233".into()];
        let mut tx = store.begin().await.unwrap();
        tx.update_person(&a).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.read().await.unwrap();
        assert_eq!(
            ids(tx
                .list_outbox(&to("+218912345678", 10, None))
                .await
                .unwrap()),
            number
        );
        assert!(tx
            .list_outbox(&to("+218921112233", 10, None))
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

/// A filing refers to rows that exist: one that names an unknown case
/// type, organization or user writes nothing and takes no number. On
/// PostgreSQL cases are never removed, what a case was filed as never
/// changes, and a case moves only to a holder and an assignee that exist
/// (checked per statement and per move, not by foreign keys: see
/// `0016_cases_references.sql`).
#[tokio::test]
async fn cases_refer_to_rows_that_exist_and_stay() {
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let unknown = Uuid::now_v7();
        type Spoil = fn(&mut Filing, Uuid);
        let spoiled: [(&str, Spoil); 8] = [
            ("case type", |f, u| f.case.case_type_id = u),
            ("filer's organization", |f, u| f.case.filer_org_id = u),
            ("filer", |f, u| f.case.filer_user_id = u),
            ("holder", |f, u| f.case.holder_org_id = Some(u)),
            ("assignee", |f, u| f.case.assignee_id = Some(u)),
            ("event's actor", |f, u| f.events[0].actor_id = Some(u)),
            ("notified user", |f, u| f.notifications[0].user_id = u),
            ("notification's case", |f, u| f.notifications[0].case_id = Some(u)),
        ];
        for (what, spoil) in spoiled {
            let mut f = filing_in(&w, what);
            spoil(&mut f, unknown);
            let r = store.file_case(f).await;
            assert!(r.is_err(), "a filing with an unknown {what} was written");
        }
        for table in ["cases", "case_events", "notifications", "audit_log"] {
            let n = scalar_raw(&db, &format!("SELECT count(*) FROM {table}")).await;
            assert_eq!(n, 0, "{table} after refused filings");
        }
        let mut good = filing_in(&w, "طلب سليم");
        good.case.holder_org_id = Some(w.dept1.id);
        good.case.assignee_id = Some(w.officer1.id);
        let got = store.file_case(good).await.unwrap();
        assert_eq!(got.tracking_number, "FIL-2026-000001", "no number was taken");
        if let Db::Postgres(_) = db {
            let id = got.id;
            for sql in [
                format!("UPDATE cases SET holder_org_id = '{unknown}' WHERE id = '{id}'"),
                format!("UPDATE cases SET assignee_id = '{unknown}' WHERE id = '{id}'"),
                format!("UPDATE cases SET case_type_id = '{unknown}' WHERE id = '{id}'"),
                format!("UPDATE cases SET filer_user_id = '{}' WHERE id = '{id}'", w.clerk_b.id),
                format!("UPDATE case_events SET actor_id = '{}'", w.clerk_b.id),
                format!("UPDATE notifications SET user_id = '{}'", w.officer2.id),
                "DELETE FROM cases WHERE false".to_owned(),
                "DELETE FROM case_types WHERE false".to_owned(),
                "TRUNCATE cases CASCADE".to_owned(),
            ] {
                let res = execute_raw(&db, &sql).await;
                assert!(res.is_err(), "{sql} must fail, not {res:?}");
            }
            // A move to a holder and an assignee that exist is a move.
            let moved = format!(
                "UPDATE cases SET holder_org_id = '{}', assignee_id = '{}', state = 'routed' WHERE id = '{id}'",
                w.dept2.id, w.officer2.id
            );
            assert_eq!(execute_raw(&db, &moved).await.unwrap(), 1);
            let read = "UPDATE notifications SET read_at = now()";
            assert_eq!(execute_raw(&db, read).await.unwrap(), 1);
        }
    })
    .await;
}

/// Messages refer to rows that exist, however many go in one statement; on
/// PostgreSQL the rows they refer to are never removed and a message never
/// changes what it refers to (its references are checked per statement,
/// not by foreign keys: see `0012_messaging_references.sql`).
#[tokio::test]
async fn messages_refer_to_rows_that_exist_and_stay() {
    use diwan_domain::messaging::Channel::Sms;
    with_db(true, |store, db| async move {
        let w = world(&store).await;
        let org = w.muni_a.id;
        let a = person("219900000001", "فاطمة سالم", Some(org), &["+218912345678"]);
        let mut tx = store.begin().await.unwrap();
        tx.insert_person(&a).await.unwrap();
        tx.commit().await.unwrap();

        // One reference to nothing fails the whole statement, whichever
        // column holds it; nothing of it is written.
        let unknown = Uuid::now_v7();
        let good = || message(org, Sms, "+218912345678", Some(a.id));
        let bad_person = message(org, Sms, "+218912345678", Some(unknown));
        let bad_org = message(unknown, Sms, "+218912345678", None);
        let mut bad_batch = good();
        bad_batch.batch_id = Some(unknown);
        for bad in [bad_person, bad_org, bad_batch] {
            let mut tx = store.begin().await.unwrap();
            let r = match tx.queue_messages(&[good(), bad.clone(), good()]).await {
                Ok(()) => tx.commit().await,
                Err(e) => Err(e),
            };
            assert!(
                r.is_err(),
                "a message referring to nothing was written: {bad:?}"
            );
        }
        assert_eq!(scalar_raw(&db, "SELECT count(*) FROM messages").await, 0);

        let mut tx = store.begin().await.unwrap();
        tx.queue_messages(&[good(), good()]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(scalar_raw(&db, "SELECT count(*) FROM messages").await, 2);

        // What a message refers to stays: a person, an organization.
        for sql in [
            format!("DELETE FROM persons WHERE id = '{}'", a.id),
            format!("DELETE FROM organizations WHERE id = '{org}'"),
        ] {
            let sql = match db {
                Db::Sqlite(_) => sql.replace("id = '", "id = X'").replace('-', ""),
                Db::Postgres(_) => sql,
            };
            let res = execute_raw(&db, &sql).await;
            assert!(res.is_err(), "{sql} must fail, not {res:?}");
        }
        if let Db::Postgres(_) = db {
            // Refused however few rows the statement touches, and a
            // message's references are fixed; its state is not.
            for sql in [
                "DELETE FROM persons WHERE false",
                "TRUNCATE organizations CASCADE",
                "DELETE FROM message_batches WHERE false",
                "UPDATE messages SET person_id = NULL",
            ] {
                let res = execute_raw(&db, sql).await;
                assert!(res.is_err(), "{sql} must fail, not {res:?}");
            }
            assert_eq!(
                execute_raw(&db, "UPDATE messages SET state = 'sent'")
                    .await
                    .unwrap(),
                2
            );
            // A statement that checked some references itself names them
            // (`diwan.checked_references`, see
            // `0014_messaging_checked_references.sql`): those are not looked
            // up again, the others are, and the setting ends with its
            // transaction.
            let insert = |person: Uuid, org: Uuid| {
                format!(
                    "INSERT INTO messages (id, org_id, channel, kind, recipient, person_id, language, body, parts, \
                     state, attempts, next_attempt_at, expires_at, created_at, updated_at) VALUES ('{}', '{org}', \
                     'sms', 'bulk', '+218912345678', '{person}', 'ar', 'نص', 1, 'queued', 0, now(), now(), now(), now())",
                    Uuid::now_v7()
                )
            };
            let checked = "SELECT set_config('diwan.checked_references', 'person_id', true)";
            let in_tx = |sql: String| format!("BEGIN; {checked}; {sql}; ROLLBACK");
            let res = execute_raw(&db, &in_tx(insert(unknown, org))).await;
            assert!(res.is_ok(), "a person said checked is not looked up: {res:?}");
            let res = execute_raw(&db, &in_tx(insert(a.id, unknown))).await;
            assert!(res.is_err(), "an organization not said checked is");
            let after = format!("BEGIN; {checked}; COMMIT; {}", insert(unknown, org));
            let res = execute_raw(&db, &after).await;
            assert!(res.is_err(), "the setting outlived its transaction");
        }
        assert_eq!(
            scalar_raw(
                &db,
                "SELECT count(*) FROM messages WHERE person_id IS NOT NULL"
            )
            .await,
            2
        );
    })
    .await;
}

//! The audit trail: what is recorded, who may search it, and that the
//! database itself refuses to change it.

use crate::helpers::{backend, pdf_bytes, s, Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::ConnectOptions;
use std::str::FromStr;

async fn audit(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/audit?limit=200&{query}"), Some(token))
        .await
        .expect(StatusCode::OK, &format!("audit search {query}"));
    page["items"].as_array().expect("audit items").clone()
}

/// Finds the record of `action` by `actor` and checks who, for whom and from where.
#[track_caller]
fn find<'a>(items: &'a [Value], action: &str, actor: &str, app: &TestApp) -> &'a Value {
    let r = items
        .iter()
        .find(|r| r["action"] == action && r["actor_name"] == actor)
        .unwrap_or_else(|| {
            panic!(
                "no audit record {action} by {actor} in {}",
                serde_json::to_string_pretty(items).unwrap()
            )
        });
    let u = app.user(actor);
    assert_eq!(r["actor_id"], u.id.to_string(), "actor of {action}: {r}");
    assert_eq!(
        r["org_id"],
        u.org_id.to_string(),
        "organization of {action}: {r}"
    );
    assert_eq!(r["ip"], "127.0.0.1", "address of {action}: {r}");
    assert!(r["at"].is_string() && r["id"].is_string(), "{r}");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_records_sign_ins_transitions_reads_and_downloads() {
    let app = TestApp::spawn().await;
    let [clerk, registry, head, officer, auditor] = app
        .sign_in_all([
            "clerk.tripoli",
            "registry",
            "head.plan",
            "officer.plan",
            "auditor",
        ])
        .await;
    let wrong = app
        .post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": "clerk.tripoli", "password": "not-the-password"}),
        )
        .await;
    wrong.expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "a wrong password",
    );
    let unknown = app
        .post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": "nobody.here", "password": PASSWORD}),
        )
        .await;
    unknown.expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "an unknown user",
    );

    // Sign-ins, successful or not.
    let auth = audit(&app, &auditor, "action=auth.").await;
    assert!(
        auth.iter().all(|r| s(r, "action").starts_with("auth.")),
        "the action filter is a prefix filter: {auth:?}"
    );
    let ok = find(&auth, "auth.sign_in", "clerk.tripoli", &app);
    assert_eq!(ok["object_id"], app.user("clerk.tripoli").id.to_string());
    let failed = find(&auth, "auth.sign_in_failed", "clerk.tripoli", &app);
    assert_eq!(failed["details"]["reason"], "bad_password", "{failed}");
    let nobody = auth
        .iter()
        .find(|r| r["action"] == "auth.sign_in_failed" && r["actor_name"] == "nobody.here")
        .expect("the unknown user's attempt is audited");
    assert!(
        nobody["actor_id"].is_null() && nobody["org_id"].is_null(),
        "{nobody}"
    );
    assert_eq!(nobody["ip"], "127.0.0.1");
    find(&auth, "auth.sign_in", "auditor", &app);

    // A case's life.
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب مناقلة لأغراض المراجعة", true)
        .await;
    let id = s(&case, "id").to_owned();
    let att = app
        .upload(&id, &clerk, "كشف.pdf", pdf_bytes(900))
        .await
        .expect(StatusCode::CREATED, "attaching");
    let plan = app.org("PLAN").id;
    app.transition(
        &registry,
        &id,
        json!({"action": "route", "department_id": plan}),
    )
    .await
    .expect(StatusCode::OK, "routing");
    app.transition(
        &head,
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.plan").id}),
    )
    .await
    .expect(StatusCode::OK, "assigning");
    app.get(&format!("/api/v1/cases/{id}"), Some(&head))
        .await
        .expect(StatusCode::OK, "the head reads the case");
    let file = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{}", s(&att, "id"))))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let _ = file.bytes().await.unwrap();
    app.transition(
        &officer,
        &id,
        json!({"action": "request_info", "message": "نرجو إرفاق الكشف الموقّع."}),
    )
    .await
    .expect(StatusCode::OK, "requesting information");

    let trail = audit(&app, &auditor, &format!("object={id}")).await;
    assert!(
        trail.iter().all(|r| r["object_id"] == id.as_str()),
        "the object filter: {trail:?}"
    );
    let created = find(&trail, "case.create", "clerk.tripoli", &app);
    assert_eq!(created["object_type"], "case");
    assert_eq!(
        created["details"]["tracking_number"],
        case["tracking_number"]
    );
    find(&trail, "case.submit", "clerk.tripoli", &app);
    find(&trail, "attachment.add", "clerk.tripoli", &app);
    let routed = find(&trail, "case.route", "registry", &app);
    assert_eq!(routed["details"]["to"], "routed");
    assert_eq!(routed["details"]["holder_org_id"], plan.to_string());
    find(&trail, "case.assign", "head.plan", &app);
    find(&trail, "case.read", "head.plan", &app);
    let download = find(&trail, "attachment.download", "officer.plan", &app);
    assert_eq!(download["details"]["attachment_id"], att["id"]);
    find(&trail, "case.request_info", "officer.plan", &app);
    // Newest first.
    let times: Vec<&str> = trail.iter().map(|r| s(r, "at")).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "audit records come newest first");

    // Filters narrow by actor and by organization.
    let by_head = audit(&app, &auditor, &format!("object={id}&actor=head.plan")).await;
    assert!(
        !by_head.is_empty() && by_head.iter().all(|r| r["actor_name"] == "head.plan"),
        "{by_head:?}"
    );
    let by_org = audit(&app, &auditor, &format!("object={id}&org={plan}")).await;
    assert!(
        by_org.len() >= 3 && by_org.iter().all(|r| r["org_id"] == plan.to_string()),
        "{by_org:?}"
    );
    let by_nobody = audit(&app, &auditor, "actor=nobody.at.all").await;
    assert!(by_nobody.is_empty());

    // Keyset pages of the trail.
    let first = app
        .get(
            &format!("/api/v1/audit?object={id}&limit=3"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "first page");
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let before = s(&first, "next_before").to_owned();
    let second = app
        .get(
            &format!("/api/v1/audit?object={id}&limit=3&before={before}"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "second page");
    let ids: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids.len(), 6);
    for (i, a) in ids.iter().enumerate() {
        assert!(!ids[i + 1..].contains(a), "a record repeats across pages");
    }

    // Only auditors and administrators may search; others are told it does not exist.
    for token in [&clerk, &head, &officer, &registry] {
        app.get("/api/v1/audit", Some(token)).await.expect_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "audit search by non-auditor",
        );
    }
    let admin = app.sign_in("admin").await;
    app.get("/api/v1/audit?action=case.", Some(&admin))
        .await
        .expect(StatusCode::OK, "the administrator searches the audit");
    // Reading a case as the auditor is audited too.
    app.get(&format!("/api/v1/cases/{id}"), Some(&auditor))
        .await
        .expect(StatusCode::OK, "the auditor reads the case");
    let trail = audit(&app, &auditor, &format!("object={id}&actor=auditor")).await;
    find(&trail, "case.read", "auditor", &app);

    // The database refuses to change or remove audit records.
    let url = app.database_url();
    let (before_count, refused) = match backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .unwrap()
                .busy_timeout(std::time::Duration::from_secs(10))
                .connect()
                .await
                .expect("open the SQLite file");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let update = sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(&mut conn)
                .await;
            let delete = sqlx::query("DELETE FROM audit_log")
                .execute(&mut conn)
                .await;
            let one = sqlx::query("DELETE FROM audit_log WHERE object_id = $1")
                .bind(&id)
                .execute(&mut conn)
                .await;
            let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let changed: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'x'")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            assert_eq!(after, n, "audit records were deleted");
            assert_eq!(changed, 0, "audit records were changed");
            (
                n,
                vec![
                    ("UPDATE", update.err()),
                    ("DELETE", delete.err()),
                    ("DELETE one", one.err()),
                ],
            )
        }
        Backend::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .expect("connect to the test database");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&pool)
                .await
                .unwrap();
            let update = sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(&pool)
                .await;
            let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
            let one = sqlx::query("DELETE FROM audit_log WHERE object_id = $1")
                .bind(&id)
                .execute(&pool)
                .await;
            let truncate = sqlx::query("TRUNCATE audit_log").execute(&pool).await;
            let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&pool)
                .await
                .unwrap();
            let changed: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'x'")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            assert_eq!(after, n, "audit records were deleted");
            assert_eq!(changed, 0, "audit records were changed");
            (
                n,
                vec![
                    ("UPDATE", update.err()),
                    ("DELETE", delete.err()),
                    ("DELETE one", one.err()),
                    ("TRUNCATE", truncate.err()),
                ],
            )
        }
    };
    assert!(before_count > 10, "the trail has records: {before_count}");
    for (what, err) in refused {
        let err = err.unwrap_or_else(|| panic!("{what} on audit_log succeeded"));
        assert!(
            err.to_string().contains("audit records cannot be"),
            "{what} was refused for another reason: {err}"
        );
    }

    app.stop().await;
}

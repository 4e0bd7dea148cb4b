//! A flood of delivery reports, or of incoming SMS, while the database is
//! held (Kannel passing on its backlog after an outage): the calls beyond
//! those a node keeps waiting are refused at once as busy, with
//! `Retry-After`, instead of piling up as open requests; those kept are
//! taken once the database answers again.

use crate::helpers::{backend, Backend, TestApp};
use diwan_domain::ErrorCode;
use diwan_services::messaging::kannel::{
    sign, IncomingForm, ReportForm, INCOMING_PER_COMMIT, INCOMING_WAITING, REPORTS_PER_COMMIT,
    REPORTS_WAITING,
};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;
use std::time::Duration;

const KEY: &str = "callback-key-of-the-flood-test";
const FLOOD: usize = 1600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_reports_is_refused_as_busy_beyond_those_waiting() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some(KEY.into());
    })
    .await;
    let admin = app.sign_in("admin").await;
    let m = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"to": "0912345678", "text": "رمز ٤٨٢٩", "kind": "transactional"}),
        )
        .await
        .expect(StatusCode::CREATED, "a message");
    let id: uuid::Uuid = m["id"].as_str().unwrap().parse().unwrap();
    let form = ReportForm {
        id: id.to_string(),
        sig: sign(KEY, id),
        kind: "8".into(),
        answer: None,
    };

    let hold = Hold::start(&app, "messages").await;
    let calls: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (s, f) = (app.services.clone(), form.clone());
            tokio::spawn(async move { s.kannel_report(f).await })
        })
        .collect();
    refused_at_once(&calls, REPORTS_WAITING, REPORTS_PER_COMMIT).await;
    busy_over_http(
        &app,
        "/api/v1/messaging/kannel/reports",
        &[
            ("id", form.id.as_str()),
            ("sig", form.sig.as_str()),
            ("type", "1"),
        ],
    )
    .await;
    hold.end().await;
    busy_or_taken(calls, REPORTS_WAITING, REPORTS_PER_COMMIT).await;
    let m = app
        .get(&format!("/api/v1/messages/{id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the message");
    assert_eq!(m["state"], "sent", "the reports kept were applied: {m}");
    // A report shows an attempt, though no worker wrote one here.
    assert_eq!(m["attempts"], 1, "{m}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_incoming_sms_is_refused_as_busy_beyond_those_waiting() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some(KEY.into());
    })
    .await;
    let hold = Hold::start(&app, "incoming_messages").await;
    let calls: Vec<_> = (0..FLOOD)
        .map(|i| {
            let s = app.services.clone();
            let f = IncomingForm {
                key: KEY.into(),
                from: format!("+2189100{i:05}"),
                to: "1415".into(),
                text: format!("رسالة {i}"),
                time: String::new(),
            };
            tokio::spawn(async move { s.kannel_incoming(f).await })
        })
        .collect();
    refused_at_once(&calls, INCOMING_WAITING, INCOMING_PER_COMMIT).await;
    busy_over_http(
        &app,
        "/api/v1/messaging/kannel/incoming",
        &[("key", KEY), ("from", "+218911111111"), ("text", "نعم")],
    )
    .await;
    hold.end().await;
    let taken = busy_or_taken(calls, INCOMING_WAITING, INCOMING_PER_COMMIT).await;
    // Those taken are kept, and only those.
    let kept = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.list_incoming(None, FLOOD as i64 + 10).await.unwrap()
    };
    assert_eq!(kept.len(), taken);
    app.stop().await;
}

type Calls<T> = Vec<tokio::task::JoinHandle<diwan_services::Result<T>>>;

/// Those beyond the calls kept waiting and the group being taken are
/// answered at once, while the database is held.
async fn refused_at_once<T>(calls: &Calls<T>, waiting: usize, per_commit: usize) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = calls.iter().filter(|c| c.is_finished()).count();
    assert!(
        refused >= FLOOD - waiting - per_commit,
        "{refused} of {FLOOD} answered while the database was held"
    );
}

/// Over HTTP too: busy, with the time to try again, on a connection closed.
async fn busy_over_http(app: &TestApp, path: &str, query: &[(&str, &str)]) {
    let r = app
        .client
        .get(app.url(path))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["connection"], "close");
}

/// Once the database answers, every call was refused as busy or taken,
/// and at least those kept waiting were taken; returns how many.
async fn busy_or_taken<T>(calls: Calls<T>, waiting: usize, per_commit: usize) -> usize {
    let (mut busy, mut taken) = (0, 0);
    for c in calls {
        match c.await.unwrap() {
            Ok(_) => taken += 1,
            Err(e) if e.code() == ErrorCode::Busy => busy += 1,
            Err(e) => panic!("a call failed: {e}"),
        }
    }
    assert_eq!(busy + taken, FLOOD);
    assert!(
        busy >= FLOOD - waiting - per_commit && taken >= waiting,
        "{busy} busy, {taken} taken"
    );
    taken
}

/// The database held by another writer: SQLite's one writer busy with a
/// transaction that has written, or on PostgreSQL `table` locked against
/// writes by another connection.
enum Hold {
    Sqlite(Box<dyn diwan_store::Tx>),
    Postgres(sqlx::PgConnection),
}

impl Hold {
    async fn start(app: &TestApp, table: &str) -> Hold {
        match backend() {
            Backend::Sqlite => {
                let mut tx = app.services.store.begin().await.unwrap();
                tx.append_audit(&[diwan_services::audit::entry(
                    None,
                    chrono::Utc::now(),
                    "test.hold",
                    "test",
                    None,
                    json!({}),
                )])
                .await
                .unwrap();
                // A read sends what the transaction holds back.
                tx.list_message_batches(None, 1).await.unwrap();
                Hold::Sqlite(tx)
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&app.database_url())
                    .await
                    .unwrap();
                sqlx::query("BEGIN").execute(&mut c).await.unwrap();
                sqlx::query(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                Hold::Postgres(c)
            }
        }
    }

    async fn end(self) {
        match self {
            Hold::Sqlite(tx) => drop(tx),
            Hold::Postgres(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
        }
    }
}

//! A flood of delivery reports while the database is held (Kannel passing
//! on its backlog after an outage): the reports beyond those a node keeps
//! waiting are refused at once as busy, with `Retry-After`, instead of
//! piling up as open requests; those kept are applied once the database
//! answers again.

use crate::helpers::{backend, Backend, TestApp};
use diwan_domain::ErrorCode;
use diwan_services::messaging::kannel::{sign, ReportForm};
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

    // The database held: SQLite's one writer busy with a transaction that
    // has written, PostgreSQL's outbox locked by another connection.
    let mut sqlite_hold = None;
    let mut pg_hold = None;
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
            tx.get_outbox_message(id).await.unwrap();
            sqlite_hold = Some(tx);
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url())
                .await
                .unwrap();
            sqlx::query("BEGIN").execute(&mut c).await.unwrap();
            sqlx::query("LOCK TABLE messages IN EXCLUSIVE MODE")
                .execute(&mut c)
                .await
                .unwrap();
            pg_hold = Some(c);
        }
    }
    let calls: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (s, f) = (app.services.clone(), form.clone());
            tokio::spawn(async move { s.kannel_report(f).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = calls.iter().filter(|c| c.is_finished()).count();
    assert!(
        refused >= FLOOD - 1024 - 256,
        "{refused} of {FLOOD} answered while the database was held"
    );
    // Over HTTP too, with the time to try again, on a connection closed.
    let r = app
        .client
        .get(app.url("/api/v1/messaging/kannel/reports"))
        .query(&[
            ("id", form.id.as_str()),
            ("sig", form.sig.as_str()),
            ("type", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["connection"], "close");

    drop(sqlite_hold);
    if let Some(mut c) = pg_hold {
        sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
    }
    let (mut busy, mut taken) = (0, 0);
    for c in calls {
        match c.await.unwrap() {
            Ok(()) => taken += 1,
            Err(e) if e.code() == ErrorCode::Busy => busy += 1,
            Err(e) => panic!("a report failed: {e}"),
        }
    }
    assert_eq!(busy + taken, FLOOD);
    assert!(
        busy >= FLOOD - 1024 - 256 && taken >= 1024,
        "{busy} busy, {taken} taken"
    );
    let m = app
        .get(&format!("/api/v1/messages/{id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the message");
    assert_eq!(m["state"], "sent", "the reports kept were applied: {m}");
    app.stop().await;
}

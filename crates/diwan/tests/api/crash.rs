//! Crash safety: a server killed with SIGKILL in the middle of a filing
//! burst loses nothing it acknowledged and leaves no half-written case.

use crate::process::{case_type_id, count, file, has_create_audit, sign_in, Node, Place};
use reqwest::{Client, StatusCode};
use sqlx::Connection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_sigkill_during_a_filing_burst_loses_no_acknowledged_case() {
    let place = Place::new().await;
    let node = Node::start(&place, &["--demo"]).await;
    let client = Client::new();
    let token = sign_in(&client, &node, "clerk.tripoli").await;
    let type_id = case_type_id(&client, &node, &token, "budget_transfer").await;
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    // Eight clients file as fast as they can.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (client, token, type_id, acked) = (
            client.clone(),
            token.clone(),
            type_id.clone(),
            acked.clone(),
        );
        let base = node.base.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let subject = format!("crash-burst-{w}-{i}");
                match file(&client, &base, &token, &type_id, &subject).await {
                    Some(id) => acked.lock().unwrap().push((id, subject)),
                    None => break,
                }
            }
        }));
    }
    // Kill the server once filings are flowing.
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acked.lock().unwrap().len() >= 40 {
            break;
        }
    }
    node.kill();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40, "{} filings acknowledged", acked.len());

    // Restarted on the same data, every acknowledged case is there once,
    // with its audit record.
    let node = Node::start(&place, &[]).await;
    let token = sign_in(&client, &node, "clerk.tripoli").await;
    for (id, subject) in &acked {
        let r = client
            .get(node.url(&format!("/api/v1/cases/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged case {id} ({subject}) is gone"
        );
    }
    drop(node);
    let url = place.sql_url();
    let cases = count(
        &url,
        "SELECT COUNT(*) FROM cases WHERE subject LIKE 'crash-burst-%'",
    )
    .await;
    let distinct = count(
        &url,
        "SELECT COUNT(DISTINCT subject) FROM cases WHERE subject LIKE 'crash-burst-%'",
    )
    .await;
    assert_eq!(cases, distinct, "a filing was stored twice");
    assert!(cases >= acked.len() as i64);
    // No half-written case: each has its creation audit record and its first event.
    let orphans = count(
        &url,
        &format!(
            "SELECT COUNT(*) FROM cases c WHERE c.subject LIKE 'crash-burst-%' AND NOT {}",
            has_create_audit(&url)
        ),
    )
    .await;
    assert_eq!(orphans, 0, "cases without their audit record");
    let no_events = count(
        &url,
        "SELECT COUNT(*) FROM cases c WHERE c.subject LIKE 'crash-burst-%' AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id)",
    )
    .await;
    assert_eq!(no_events, 0, "cases without their events");
    if url.starts_with("sqlite:") {
        // The full-text index took in exactly the cases that committed: the
        // writer indexes a group's cases in the group's own transaction.
        let indexed = count(
            &url,
            "SELECT COUNT(*) FROM cases_fts WHERE cases_fts MATCH '\"crash\"*'",
        )
        .await;
        assert_eq!(indexed, cases, "every stored case is searchable, no other");
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("INSERT INTO cases_fts(cases_fts) VALUES ('integrity-check')")
            .execute(&mut c)
            .await
            .expect("the full-text index is whole after the crash");
        let _ = c.close().await;
    }
    place.remove().await;
}

/// An import killed in the middle of its file is taken up again where its
/// last commit left it: every line is imported exactly once, each person
/// with one creation record, and the counts add up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_sigkill_during_an_import_resumes_it_without_loss_or_repeat() {
    const LINES: usize = 30_000;
    let place = Place::new().await;
    let node = Node::start(&place, &["--demo", "--import-lease-secs", "1"]).await;
    let client = Client::new();
    let token = sign_in(&client, &node, "admin").await;
    let mut csv = String::from("national_number;name_ar;mobile\n");
    for i in 0..LINES {
        csv.push_str(&format!("1198{:08};مواطن رقم {i};091{:07}\n", i, i));
    }
    let r: serde_json::Value = client
        .post(node.url("/api/v1/persons/imports"))
        .header("content-type", "text/csv")
        .body(csv)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["id"].as_str().unwrap().to_owned();
    let status = |node: &Node, token: &str| {
        let (client, url, token) = (
            client.clone(),
            node.url(&format!("/api/v1/persons/imports/{id}")),
            token.to_owned(),
        );
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    // Kill the server once some chunks are in and the rest is not.
    let mut seen = serde_json::Value::Null;
    for _ in 0..2000 {
        seen = status(&node, &token).await;
        if seen["created"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    node.kill();
    assert_eq!(seen["state"], "running", "killed in the middle: {seen}");
    let before = seen["created"].as_i64().unwrap();
    assert!(before > 0 && (before as usize) < LINES, "{seen}");

    let node = Node::start(&place, &["--import-lease-secs", "1"]).await;
    let token = sign_in(&client, &node, "admin").await;
    let mut done = serde_json::Value::Null;
    for _ in 0..1200 {
        done = status(&node, &token).await;
        if done["state"] != "running" && done["state"] != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["created"], LINES as i64, "{done}");
    assert_eq!(done["rejected"], 0, "{done}");
    drop(node);
    let url = place.sql_url();
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM persons").await,
        LINES as i64
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM person_mobiles").await,
        LINES as i64
    );
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'person.create'"
        )
        .await,
        LINES as i64,
        "one creation record per person"
    );
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(DISTINCT object_id) FROM audit_log WHERE action = 'person.create'"
        )
        .await,
        LINES as i64
    );
    place.remove().await;
}

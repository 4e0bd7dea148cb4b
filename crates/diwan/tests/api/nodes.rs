//! Several Diwan nodes on one database: filings through all of them at
//! once, and the overdue sweep running on each.

use crate::helpers::{backend, Backend};
use crate::process::{case_type_id, count, execute, file, sign_in, Node, Place};
use reqwest::Client;
use std::time::{Duration, Instant};

/// On PostgreSQL, several nodes serve one database; on SQLite one process
/// owns a data directory, and a second `diwan serve` on it refuses to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_three_servers_share_one_database_without_duplicates_or_losses() {
    let place = Place::new().await;
    if backend() == Backend::Sqlite {
        let _first = Node::start(&place, &[]).await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_diwan"))
            .arg("--data-dir")
            .arg(&place.dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("DIWAN_DATABASE_URL")
            .output()
            .expect("run a second diwan serve");
        assert!(
            !out.status.success(),
            "a second server started on the same SQLite data"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("another diwan serve already uses the data directory"),
            "{err}"
        );
        drop(_first);
        place.remove().await;
        return;
    }
    let first = Node::start(&place, &["--demo", "--worker-interval", "1"]).await;
    let second = Node::start(&place, &["--worker-interval", "1"]).await;
    let third = Node::start(&place, &["--worker-interval", "1"]).await;
    let nodes = [&first, &second, &third];
    let client = Client::new();
    let token = sign_in(&client, &first, "clerk.tripoli").await;
    let type_id = case_type_id(&client, &first, &token, "budget_transfer").await;

    // Twelve clients, four per node, file at the same time.
    let mut tasks = Vec::new();
    for w in 0..12 {
        let (client, token, type_id) = (client.clone(), token.clone(), type_id.clone());
        let base = nodes[w % 3].base.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut refused = 0;
            for i in 0..15 {
                match file(&client, &base, &token, &type_id, &format!("nodes-{w}-{i}")).await {
                    Some(id) => acked.push(id),
                    None => refused += 1,
                }
            }
            (acked, refused)
        }));
    }
    let mut acked = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (a, r) = t.await.expect("a filing client");
        acked.extend(a);
        refused += r;
    }
    assert_eq!(refused, 0, "filings refused by a node");
    let url = place.sql_url();
    let stored = count(
        &url,
        "SELECT COUNT(*) FROM cases WHERE subject LIKE 'nodes-%'",
    )
    .await;
    assert_eq!(
        stored,
        acked.len() as i64,
        "every acknowledged filing, once"
    );
    assert_eq!(stored, 180);
    let duplicates = count(
        &url,
        "SELECT COUNT(*) - COUNT(DISTINCT tracking_number) FROM cases",
    )
    .await;
    assert_eq!(duplicates, 0, "duplicate tracking numbers");

    // Every running case falls due in the past; each node sweeps every second.
    let due = execute(
        &url,
        "UPDATE cases SET due_date = '2020-01-02' WHERE clock = 'running' AND NOT overdue",
    )
    .await;
    assert!(due >= 10, "{due} running cases");
    let started = Instant::now();
    loop {
        let pending = count(
            &url,
            "SELECT COUNT(*) FROM cases WHERE due_date = '2020-01-02' AND NOT overdue",
        )
        .await;
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{pending} cases still not marked overdue"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give the other nodes' sweeps a few more turns to misbehave.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let marked = count(
        &url,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'case.overdue'",
    )
    .await;
    let distinct = count(
        &url,
        "SELECT COUNT(DISTINCT object_id) FROM audit_log WHERE action = 'case.overdue'",
    )
    .await;
    assert_eq!(marked, distinct, "a case was marked overdue twice");
    assert!(marked >= due as i64, "{marked} marked of {due}");
    let twice = count(
        &url,
        "SELECT COUNT(*) FROM (SELECT user_id, case_id FROM notifications WHERE kind = 'overdue' GROUP BY user_id, case_id HAVING COUNT(*) > 1) t",
    )
    .await;
    assert_eq!(twice, 0, "an overdue notification was sent twice");
    let sent = count(
        &url,
        "SELECT COUNT(*) FROM notifications WHERE kind = 'overdue'",
    )
    .await;
    assert!(sent > 0, "overdue notifications were sent");
    drop((first, second, third));
    place.remove().await;
}

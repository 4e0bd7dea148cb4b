//! One inquiry sent by two nodes at once (on SQLite, by two workers of the
//! one node): each step of each fixes and asks runs of recipients while the
//! other does the same, and still every person is fixed once, numbered
//! without a gap, asked once, and the inquiry opens once.

use crate::helpers::{backend, uneven_inquiry_runs, uuid_literal, Backend, TestApp};
use crate::process::count;

const PERSONS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sending_one_inquiry_ask_everyone_once() {
    let app = TestApp::spawn_with(uneven_inquiry_runs).await;
    let admin = app.sign_in("admin").await;
    app.add_residents(&admin, PERSONS, |i| {
        (format!("2198600{i:05}"), format!("+2189120{i:05}"))
    })
    .await;
    let other = match backend() {
        Backend::Postgres => diwan::build_services(&app.settings)
            .await
            .expect("a second node on the same database"),
        Backend::Sqlite => app.services.clone(),
    };
    let id = app
        .submit_inquiry(&[
            ("title", "استعلام الأسواق"),
            ("q0_kind", "yes_no"),
            ("q0_text_ar", "هل تتسوق في السوق البلدي؟"),
            ("quiet_start", "00:00"),
            ("quiet_end", "00:00"),
        ])
        .await;
    let mut opened = false;
    for _ in 0..200 {
        let (a, b) = tokio::join!(app.services.inquiry_step(), other.inquiry_step());
        a.expect("a step of the first node");
        b.expect("a step of the second node");
        let i = {
            let mut tx = app.services.store.read().await.unwrap();
            tx.get_inquiry(id).await.unwrap().unwrap()
        };
        if i.state.as_str() == "open" {
            assert_eq!((i.recipients, i.queued), (PERSONS as i64, PERSONS as i64));
            assert!(i.recipients_fixed);
            opened = true;
            break;
        }
    }
    assert!(opened, "the inquiry did not open");

    let url = app.database_url();
    let lit = uuid_literal(&url, id);
    for (sql, what) in [
        (
            "SELECT COUNT(*) FROM inquiry_recipients WHERE inquiry_id = $ID",
            "recipients",
        ),
        (
            "SELECT COUNT(DISTINCT n) FROM inquiry_recipients WHERE inquiry_id = $ID",
            "numbers",
        ),
        (
            "SELECT MAX(n) FROM inquiry_recipients WHERE inquiry_id = $ID",
            "the last number",
        ),
        (
            "SELECT COUNT(DISTINCT person_id) FROM inquiry_recipients WHERE inquiry_id = $ID",
            "persons",
        ),
        (
            "SELECT COUNT(*) FROM messages WHERE recipient LIKE '+2189120%'",
            "questions",
        ),
        (
            "SELECT COUNT(DISTINCT recipient) FROM messages WHERE recipient LIKE '+2189120%'",
            "persons asked",
        ),
    ] {
        assert_eq!(
            count(&url, &sql.replace("$ID", &lit)).await,
            PERSONS as i64,
            "{what}"
        );
    }
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'inquiry.sent'"
        )
        .await,
        1,
        "the inquiry opened once"
    );
    app.stop().await;
}

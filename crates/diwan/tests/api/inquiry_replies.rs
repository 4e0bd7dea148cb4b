//! SMS replies taken a group at a time: many replies at once, two of one
//! person racing each other, Kannel's repeats among them, and the counts
//! still equal to a recount of the current answers, every person asked
//! each question once and thanked once.

use crate::helpers::{uneven_inquiry_runs, uuid_literal, TestApp};
use crate::process::count;
use reqwest::StatusCode;
use std::time::Duration;

const KEY: &str = "callback-key-of-the-reply-tests";
const PERSONS: usize = 40;

fn mobile(i: usize) -> String {
    format!("+2189110{i:05}")
}

async fn post_reply(app: &TestApp, from: &str, text: &str, time: Option<&str>) -> StatusCode {
    let mut r = app
        .client
        .post(app.url("/api/v1/messaging/kannel/incoming"))
        .query(&[("key", KEY)])
        .header("x-kannel-from", from)
        .header("x-kannel-to", "1415")
        .header("content-type", "text/plain; charset=utf-8");
    if let Some(t) = time {
        r = r.header("x-kannel-time", t);
    }
    r.body(text.to_owned()).send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_taken_together_count_as_if_taken_one_by_one() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some(KEY.into());
        uneven_inquiry_runs(s);
    })
    .await;
    let admin = app.sign_in("admin").await;
    app.add_residents(&admin, PERSONS, |i| (format!("1198500{i:05}"), mobile(i)))
        .await;
    let id = app
        .submit_inquiry(&[
            ("title", "استعلام الحدائق"),
            ("q0_kind", "yes_no"),
            ("q0_text_ar", "هل تزور الحديقة؟"),
            ("q1_kind", "scale"),
            ("q1_text_ar", "ما تقييمك لها؟"),
            ("quiet_start", "00:00"),
            ("quiet_end", "00:00"),
        ])
        .await;
    for _ in 0..50 {
        app.services.inquiry_step().await.unwrap();
        let i = {
            let mut tx = app.services.store.read().await.unwrap();
            tx.get_inquiry(id).await.unwrap().unwrap()
        };
        if i.state.as_str() == "open" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Everyone answers the first question at once; a fifth of them twice,
    // as Kannel repeats an SMS it saw no answer to.
    let mut wave = Vec::new();
    for i in 0..PERSONS {
        let text = if i % 2 == 0 { "نعم" } else { "٢" };
        let time = format!("2026-12-06 10:00:{:02}", i % 60);
        let repeats = if i % 5 == 0 { 2 } else { 1 };
        for _ in 0..repeats {
            let (app, from, time) = (&app, mobile(i), time.clone());
            wave.push(async move { post_reply(app, &from, text, Some(&time)).await });
        }
    }
    for s in crate::helpers::futures_join_all(wave).await {
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    // Then each sends two answers to the second at once: one answers it,
    // the other replaces that answer, in whichever order they are taken.
    let mut wave = Vec::new();
    for i in 0..PERSONS {
        for text in ["3", "5"] {
            let (app, from) = (&app, mobile(i));
            wave.push(async move { post_reply(app, &from, text, None).await });
        }
    }
    for s in crate::helpers::futures_join_all(wave).await {
        assert_eq!(s, StatusCode::NO_CONTENT);
    }

    let url = app.database_url();
    let q = |sql: &str| sql.replace("$ID", &uuid_literal(&url, id));
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM incoming_messages").await,
        (PERSONS + 2 * PERSONS) as i64,
        "a repeat is kept once"
    );
    let counts = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.answer_counts(id).await.unwrap()
    };
    for (position, key) in [(0, "yes"), (0, "no"), (1, "3"), (1, "5")] {
        let counted: i64 = counts
            .iter()
            .filter(|c| c.position == position && c.key == key)
            .map(|c| c.n)
            .sum();
        let recounted = count(
            &url,
            &q(&format!(
                "SELECT COUNT(*) FROM inquiry_answers WHERE inquiry_id = $ID AND current \
                 AND position = {position} AND answer_key = '{key}'"
            )),
        )
        .await;
        assert_eq!(counted, recounted, "question {position}, answer {key}");
    }
    let total: i64 = counts.iter().map(|c| c.n).sum();
    assert_eq!(total, 2 * PERSONS as i64, "one current answer a question");
    assert_eq!(
        count(
            &url,
            &q("SELECT COUNT(*) FROM inquiry_answers WHERE inquiry_id = $ID")
        )
        .await,
        3 * PERSONS as i64,
        "every answer kept"
    );
    let i = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.get_inquiry(id).await.unwrap().unwrap()
    };
    assert_eq!(i.respondents, PERSONS as i64);
    // Asked each question once, thanked once: three SMS each.
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM messages WHERE recipient LIKE '+2189110%'"
        )
        .await,
        3 * PERSONS as i64
    );
    for i in [0, 7, PERSONS - 1] {
        let bodies = {
            let mut tx = app.services.store.read().await.unwrap();
            tx.list_outbox(&diwan_store::OutboxQuery {
                recipient: Some(mobile(i)),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
        };
        let thanks = bodies.iter().filter(|m| m.body.contains("شكرًا")).count();
        assert_eq!((bodies.len(), thanks), (3, 1), "{i}: {bodies:?}");
    }
    app.stop().await;
}

//! Search that reads Arabic as people type it, and keyset pagination that
//! neither skips nor repeats.

use crate::helpers::{arabic_digits, s, TestApp};
use crate::journey::time;
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

/// The ids a search finds, as `token`.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = app
        .client
        .get(app.url("/api/v1/cases"))
        .query(&[("q", q), ("limit", "100")])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "search {q:?}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(c, "id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_arabic_aware() {
    let app = TestApp::spawn().await;
    let [clerk, registry] = app.sign_in_all(["clerk.tripoli", "registry"]).await;
    let school = app
        .file_case(
            &clerk,
            "budget_transfer",
            "صيانة مدرسة الشهداء الابتدائية",
            true,
        )
        .await;
    let admin = app
        .file_case(
            &clerk,
            "project_approval",
            "تقرير إدارة المخازن البلدية",
            true,
        )
        .await;
    let noise = app
        .file_case(&clerk, "budget_transfer", "مناقلة بند الإنارة العامة", true)
        .await;
    let (school, admin, noise) = (
        s(&school, "id").to_owned(),
        s(&admin, "id").to_owned(),
        s(&noise, "id").to_owned(),
    );
    let tracking = app
        .get(&format!("/api/v1/cases/{school}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the case")["case"]["tracking_number"]
        .as_str()
        .unwrap()
        .to_owned();

    for (q, expect) in [
        ("مدرسه", vec![&school]),         // taa marbuta typed as haa
        ("الابتدائيه", vec![&school]),     // the same at the end of a word
        ("مَدْرَسَة", vec![&school]),         // with diacritics
        ("مدرســة", vec![&school]),       // with tatweel
        ("مدرسة الشهداء", vec![&school]), // every word must match
        ("ادارة", vec![&admin]),          // alef without hamza
        ("إدارة", vec![&admin]),
        ("الإدارة", vec![]),        // a different word
        ("مدرسة المخازن", vec![]), // words of two different cases
        ("الإنارة", vec![&noise]),
    ] {
        for token in [&clerk, &registry] {
            let got = found(&app, token, q).await;
            let want: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
            assert_eq!(got, want, "search {q:?}");
        }
    }

    // A tracking number typed with Arabic-Indic digits finds exactly that case.
    let arabic = arabic_digits(&tracking);
    assert_ne!(arabic, tracking);
    for q in [
        arabic.as_str(),
        tracking.as_str(),
        &tracking.to_lowercase(),
        &format!("  {}  ", arabic.replace('-', " ")),
    ] {
        assert_eq!(
            found(&app, &clerk, q).await,
            vec![school.clone()],
            "search for the tracking number {q:?}"
        );
    }
    let by_number = app
        .get(
            &format!("/api/v1/cases/by-tracking/{arabic}"),
            Some(&registry),
        )
        .await
        .expect(StatusCode::OK, "by tracking number");
    assert_eq!(by_number["id"], school.as_str());

    app.stop().await;
}

/// A page walk: follows `next_cursor` with `limit=7` until it is absent.
async fn walk(app: &TestApp, token: &str, sort: &str, order: &str) -> Vec<Value> {
    walk_q(app, token, sort, order, None).await
}

async fn walk_q(
    app: &TestApp,
    token: &str,
    sort: &str,
    order: &str,
    text: Option<&str>,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 20, "pagination does not end");
        let mut q = vec![
            ("limit", "7".to_owned()),
            ("sort", sort.to_owned()),
            ("order", order.to_owned()),
        ];
        if let Some(t) = text {
            q.push(("q", t.to_owned()));
        }
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let r = app
            .client
            .get(app.url("/api/v1/cases"))
            .query(&q)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        let got = body["items"].as_array().unwrap();
        assert!(got.len() <= 7, "a page is longer than its limit");
        items.extend(got.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(got.len(), 7, "a page before the last one is full");
                cursor = Some(c.to_owned());
            }
            None => break,
        }
    }
    items
}

/// The sort key of a row, as comparable text: the time or date, then the id.
fn key(row: &Value, sort: &str) -> (String, String) {
    let v = match sort {
        "updated" => time(&row["updated_at"]).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "created" => time(&row["created_at"]).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        _ => row["due_date"].as_str().unwrap_or("9999-12-31").to_owned(),
    };
    (v, s(row, "id").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_keyset_pagination_neither_skips_nor_repeats() {
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let c = app
            .file_case(
                &clerk,
                "budget_transfer",
                &format!("طلب رقم {i} لصيانة الطرق"),
                i % 6 != 5,
            )
            .await;
        ids.push(Uuid::parse_str(s(&c, "id")).unwrap());
    }
    // Give cases equal sort values in threes, so that pages must break ties
    // by id, and spread the due dates (drafts have none and sort last).
    let base = chrono::Utc::now() - Duration::hours(1);
    let base = chrono::DateTime::from_timestamp(base.timestamp(), 0).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    for (i, id) in ids.iter().enumerate() {
        let mut tx = app.services.store.begin().await.unwrap();
        let mut c = tx.get_case(*id).await.unwrap().expect("the case");
        c.updated_at = base + Duration::seconds((i / 3) as i64);
        if c.due_date.is_some() {
            c.due_date = Some(today + Duration::days((i % 4) as i64));
        }
        tx.update_case(&c).await.unwrap();
        tx.commit().await.unwrap();
    }

    for (sort, order) in [
        ("updated", "desc"),
        ("updated", "asc"),
        ("due", "asc"),
        ("due", "desc"),
        ("created", "asc"),
    ] {
        let rows = walk(&app, &clerk, sort, order).await;
        let got: Vec<&str> = rows.iter().map(|r| s(r, "id")).collect();
        assert_eq!(
            got.len(),
            30,
            "sort={sort} order={order}: {} rows",
            got.len()
        );
        let mut distinct = got.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 30, "sort={sort} order={order}: rows repeat");
        let mut all: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        all.sort();
        assert_eq!(
            distinct, all,
            "sort={sort} order={order}: other rows than the 30 cases"
        );
        // The order is the sort order, ties broken by id, in the direction asked.
        let keys: Vec<(String, String)> = rows.iter().map(|r| key(r, sort)).collect();
        for w in keys.windows(2) {
            let ok = if order == "asc" {
                w[0] < w[1]
            } else {
                w[0] > w[1]
            };
            assert!(ok, "sort={sort} order={order}: {:?} then {:?}", w[0], w[1]);
        }
        // The same order as one big page.
        let one = app
            .client
            .get(app.url("/api/v1/cases"))
            .query(&[("limit", "100"), ("sort", sort), ("order", order)])
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let one: Vec<&str> = one["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| s(r, "id"))
            .collect();
        assert_eq!(
            got, one,
            "sort={sort} order={order}: pages differ from a single page"
        );
    }
    // Search results page the same way.
    for (sort, order) in [("updated", "desc"), ("due", "asc")] {
        let rows = walk_q(&app, &clerk, sort, order, Some("الطرق")).await;
        let mut got: Vec<&str> = rows.iter().map(|r| s(r, "id")).collect();
        assert_eq!(got.len(), 30, "search sort={sort} order={order}");
        got.sort();
        got.dedup();
        assert_eq!(
            got.len(),
            30,
            "search sort={sort} order={order}: rows repeat"
        );
    }
    // Drafts, without a due date, come last in ascending due order.
    let rows = walk(&app, &clerk, "due", "asc").await;
    assert!(
        rows[25..]
            .iter()
            .all(|r| r["due_date"].is_null() && r["state"] == "draft"),
        "drafts last: {:?}",
        &rows[25..]
    );

    // A cursor of another sort, or garbage, is refused.
    let r = app
        .get(
            "/api/v1/cases?sort=due&cursor=t.1.01890a5d-ac96-774b-bcce-b302099a8057",
            Some(&clerk),
        )
        .await;
    let e = r.expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a time cursor for the due sort",
    );
    assert!(e["details"]["cursor"].is_string(), "{e}");
    app.get("/api/v1/cases?cursor=garbage", Some(&clerk))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "a garbage cursor");

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_survives_any_text() {
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(
            &clerk,
            "budget_transfer",
            "طلب صيانة شبكة الصرف الصحي",
            true,
        )
        .await;
    let id = s(&case, "id").to_owned();
    let mut failures = Vec::new();
    for q in [
        "-",
        "---",
        "a - b",
        "-صيانة",
        "صيانة-",
        "\"",
        "\"صيانة",
        "*",
        "صيانة*",
        "NEAR(صيانة)",
        "OR",
        "AND",
        "NOT صيانة",
        "صيانة OR شبكة",
        "(",
        ")",
        ":",
        "'",
        "\\",
        "%",
        "_",
        "ـ",
        "\u{064E}",
        "!",
        "&",
        "|",
        "<->",
        "صيانة:*",
        "a'b",
        "x & y",
        "^",
        "{",
        "؟",
        "،",
        "١٢٣",
        "BDG",
        "BDG-",
        "BDG-2026",
        "BDG-2026-",
        "--صيانة--",
    ] {
        let r = app
            .client
            .get(app.url("/api/v1/cases"))
            .query(&[("q", q)])
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK || !body["items"].is_array() {
            failures.push(format!("q={q:?}: {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "searches that fail:\n{}",
        failures.join("\n")
    );
    // Words around punctuation still find the case.
    for q in ["صيانة!", "«صيانة»", "صيانة، شبكة", "(الصرف)"] {
        assert_eq!(
            found(&app, &clerk, q).await,
            vec![id.clone()],
            "search {q:?}"
        );
    }
    app.stop().await;
}

//! Due dates in working days, and the overdue sweep.

use crate::helpers::{s, TestApp};
use crate::journey::{date, notification_kinds, time};
use chrono::{Duration, NaiveDate, Weekday};
use diwan_domain::calendar::Calendar;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

async fn ministry_holidays(app: &TestApp, around: NaiveDate) -> Vec<NaiveDate> {
    let mut tx = app.services.store.read().await.unwrap();
    tx.holidays(
        app.demo.ministry.id,
        around - Duration::days(400),
        around + Duration::days(800),
    )
    .await
    .unwrap()
}

fn libyan(holidays: &[NaiveDate]) -> Calendar {
    Calendar::new(vec![Weekday::Fri, Weekday::Sat], holidays.iter().copied())
}

async fn set_due(app: &TestApp, id: &str, due: NaiveDate) {
    let mut tx = app.services.store.begin().await.unwrap();
    let mut c = tx
        .get_case(Uuid::parse_str(id).unwrap())
        .await
        .unwrap()
        .expect("the case exists");
    c.due_date = Some(due);
    tx.update_case(&c).await.unwrap();
    tx.commit().await.unwrap();
}

fn dashboard_entry(d: &Value, org_id: Uuid) -> &Value {
    d.as_array()
        .unwrap()
        .iter()
        .find(|e| e["organization"]["id"] == org_id.to_string())
        .unwrap_or_else(|| panic!("no dashboard entry for {org_id}: {d}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_count_working_days_and_the_sweep_marks_overdue_cases() {
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
    let tz = app.demo.ministry.time_zone.clone();
    let today = diwan_services::organizations::today_in(&tz, chrono::Utc::now());

    // A ministry holiday inside the coming deadline must be skipped.
    let existing = ministry_holidays(&app, today).await;
    let extra = libyan(&existing).add_working_days(today, 3);
    app.services
        .add_holiday(None, app.demo.ministry.id, extra, "عطلة رسمية للاختبار")
        .await
        .expect("add a holiday");
    let mut holidays = existing.clone();
    holidays.push(extra);

    let bdg = app.case_type("budget_transfer");
    let case = app
        .file_case(
            &clerk,
            "budget_transfer",
            "طلب مناقلة لاختبار المواعيد",
            true,
        )
        .await;
    let id = s(&case, "id").to_owned();
    let filed_on = diwan_services::organizations::today_in(&tz, time(&case["submitted_at"]));
    let due = date(&case["due_date"]);
    let expected = libyan(&holidays).add_working_days(filed_on, bdg.deadline_days as u32);
    assert_eq!(
        due, expected,
        "filed on {filed_on}, {} working days, holidays {holidays:?}",
        bdg.deadline_days
    );
    assert!(libyan(&holidays).is_working_day(due));
    if filed_on == today {
        let without = libyan(&existing).add_working_days(filed_on, bdg.deadline_days as u32);
        assert!(
            due > without,
            "the new holiday {extra} was not skipped: {due} vs {without}"
        );
    }

    // Routed and assigned: the officer holds it. A second case waits on the
    // municipality (its clock is paused, so it is never overdue).
    let paused = app
        .file_case(&clerk, "budget_transfer", "طلب ينتظر رد البلدية", true)
        .await;
    let paused_id = s(&paused, "id").to_owned();
    for cid in [&id, &paused_id] {
        app.transition(
            &registry,
            cid,
            json!({"action": "route", "department_id": app.org("PLAN").id}),
        )
        .await
        .expect(StatusCode::OK, "routing");
        app.transition(
            &head,
            cid,
            json!({"action": "assign", "assignee_id": app.user("officer.plan").id}),
        )
        .await
        .expect(StatusCode::OK, "assigning");
    }
    app.transition(
        &officer,
        &paused_id,
        json!({"action": "request_info", "message": "نرجو استكمال البيانات."}),
    )
    .await
    .expect(StatusCode::OK, "pausing");

    // Nothing is overdue yet.
    assert_eq!(app.services.sweep_overdue().await.unwrap(), 0);

    // Both due dates pass.
    set_due(&app, &id, filed_on - Duration::days(3)).await;
    set_due(&app, &paused_id, filed_on - Duration::days(3)).await;
    assert_eq!(
        app.services.sweep_overdue().await.unwrap(),
        1,
        "exactly the running case is marked overdue"
    );
    assert_eq!(
        app.services.sweep_overdue().await.unwrap(),
        0,
        "a second sweep finds nothing new"
    );

    let v = app
        .get(&format!("/api/v1/cases/{id}"), Some(&officer))
        .await
        .expect(StatusCode::OK, "the case");
    assert_eq!(v["case"]["overdue"], true);
    assert_eq!(v["due_soon"], false);
    let v = app
        .get(&format!("/api/v1/cases/{paused_id}"), Some(&officer))
        .await
        .expect(StatusCode::OK, "the paused case");
    assert_eq!(v["case"]["overdue"], false, "a paused case is not overdue");

    let kinds = notification_kinds(&app, &officer, &id).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "overdue").count(),
        1,
        "the holder is told once: {kinds:?}"
    );
    assert!(!notification_kinds(&app, &officer, &paused_id)
        .await
        .iter()
        .any(|k| k == "overdue"));

    for token in [&officer, &registry, &clerk] {
        let list = app
            .get("/api/v1/cases?overdue=true", Some(token))
            .await
            .expect(StatusCode::OK, "overdue queue");
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| s(c, "id"))
            .collect();
        assert_eq!(
            ids,
            [id.as_str()],
            "overdue=true lists exactly the overdue case"
        );
        let list = app
            .get("/api/v1/cases?overdue=false", Some(token))
            .await
            .expect(StatusCode::OK, "queue without overdue");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != id.as_str() && c["overdue"] == false));
    }

    // Dashboards count it: the ministry's per department, the head's own, the municipality's.
    let plan = app.org("PLAN").id;
    let d = app
        .get("/api/v1/dashboard", Some(&registry))
        .await
        .expect(StatusCode::OK, "dashboard");
    let e = dashboard_entry(&d, plan);
    assert_eq!(
        (
            e["open"].as_i64(),
            e["overdue"].as_i64(),
            e["paused"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{e}"
    );
    let d = app
        .get("/api/v1/dashboard", Some(&head))
        .await
        .expect(StatusCode::OK, "dashboard");
    assert_eq!(dashboard_entry(&d, plan)["overdue"], 1);
    let d = app
        .get("/api/v1/dashboard", Some(&clerk))
        .await
        .expect(StatusCode::OK, "dashboard");
    assert_eq!(
        d.as_array().unwrap().len(),
        1,
        "a municipality sees only itself: {d}"
    );
    let e = dashboard_entry(&d, app.org("M-TRP").id);
    assert_eq!(
        (e["open"].as_i64(), e["overdue"].as_i64()),
        (Some(2), Some(1)),
        "{e}"
    );
    let d = app
        .get(
            "/api/v1/dashboard",
            Some(&app.sign_in("clerk.benghazi").await),
        )
        .await
        .expect(StatusCode::OK, "dashboard");
    assert_eq!(
        dashboard_entry(&d, app.org("M-BEN").id)["overdue"],
        0,
        "another municipality counts nothing of Tripoli's"
    );

    // The sweep is audited as the system's act.
    let trail = app
        .get(
            &format!("/api/v1/audit?object={id}&action=case.overdue"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit");
    let items = trail["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{trail}");
    assert_eq!(items[0]["actor_name"], "system");
    assert!(items[0]["actor_id"].is_null());

    // The municipality's reply restarts the paused case's clock with the
    // working days that were left when it paused (changing the due date
    // while paused does not count): the due date is the one of its filing.
    let resumed = app
        .transition(
            &clerk,
            &paused_id,
            json!({"action": "reply", "message": "مرفق المطلوب."}),
        )
        .await
        .expect(StatusCode::OK, "reply");
    assert_eq!(resumed["paused"], false);
    assert_eq!(resumed["overdue"], false);
    let resumed_due = date(&resumed["due_date"]);
    if diwan_services::organizations::today_in(&tz, chrono::Utc::now()) == filed_on {
        assert_eq!(
            resumed_due,
            date(&paused["due_date"]),
            "the days left were kept while paused"
        );
    } else {
        assert!(
            resumed_due >= date(&paused["due_date"]),
            "the pause moved the due date earlier: {resumed_due}"
        );
    }

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_overdue_case_waiting_at_the_registry_notifies_the_registry() {
    let app = TestApp::spawn().await;
    let [clerk, registry] = app.sign_in_all(["clerk.tripoli", "registry"]).await;
    // Submitted, never routed: the ministry's registry holds it.
    let case = app
        .file_case(
            &clerk,
            "budget_transfer",
            "طلب ينتظر الإحالة في قلم الوزارة",
            true,
        )
        .await;
    let id = s(&case, "id").to_owned();
    assert_eq!(case["holder_org_id"], app.demo.ministry.id.to_string());
    assert!(
        notification_kinds(&app, &registry, &id)
            .await
            .iter()
            .any(|k| k == "routed"),
        "the registry is told of the new request"
    );
    set_due(&app, &id, date(&case["due_date"]) - Duration::days(30)).await;
    assert_eq!(app.services.sweep_overdue().await.unwrap(), 1);
    let v = app
        .get(&format!("/api/v1/cases/{id}"), Some(&registry))
        .await
        .expect(StatusCode::OK, "the case");
    assert_eq!(v["case"]["overdue"], true);
    // Whoever holds it must hear of it: here, the registry.
    let kinds = notification_kinds(&app, &registry, &id).await;
    assert!(
        kinds.iter().any(|k| k == "overdue"),
        "nobody at the registry was told that the case it holds is overdue: {kinds:?}"
    );
    app.stop().await;
}

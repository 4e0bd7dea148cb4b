//! Time-dependent rules tested to the second with a clock set by hand:
//! deadlines paused and resumed across a weekend and a holiday, the overdue
//! boundary at midnight in Tripoli, the end of a lockout, and the idle and
//! absolute ends of a session.

use crate::helpers::{s, TestApp, PASSWORD};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use diwan_domain::calendar::Calendar;
use diwan_services::clock::Clock;
use reqwest::StatusCode;
use serde_json::json;

/// A moment in Tripoli's local time, as UTC.
fn tripoli(y: i32, m: u32, d: u32, h: u32, min: u32, sec: u32) -> DateTime<Utc> {
    chrono_tz::Africa::Tripoli
        .with_ymd_and_hms(y, m, d, h, min, sec)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn at(start: DateTime<Utc>) -> (TestApp, Clock) {
    let clock = Clock::manual(start);
    let c = clock.clone();
    let app = TestApp::spawn_with(move |s| s.services.clock = c).await;
    (app, clock)
}

/// Working days after `from` up to and including `to`, counted here, apart
/// from the calendar code under test.
fn count_working_days(from: NaiveDate, to: NaiveDate, holidays: &[NaiveDate]) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap();
        let weekend = matches!(chrono::Datelike::weekday(&d), Weekday::Fri | Weekday::Sat);
        if !weekend && !holidays.contains(&d) {
            n += 1;
        }
    }
    n
}

async fn case_due(app: &TestApp, token: &str, id: &str) -> (Option<NaiveDate>, bool) {
    let c = app
        .get(&format!("/api/v1/cases/{id}"), Some(token))
        .await
        .expect(StatusCode::OK, "the case");
    let case = if c["case"].is_object() {
        &c["case"]
    } else {
        &c
    };
    let due = case["due_date"]
        .as_str()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    (due, case["overdue"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_deadlines_pause_and_resume_across_a_weekend_and_a_holiday() {
    // Thursday 3 December 2026, 10:00 in Tripoli.
    let (app, clock) = at(tripoli(2026, 12, 3, 10, 0, 0)).await;
    // A holiday on Tuesday 8 December, inside the deadline.
    let holiday = day(2026, 12, 8);
    app.services
        .add_holiday(None, app.demo.ministry.id, holiday, "عطلة للاختبار")
        .await
        .unwrap();
    let holidays: Vec<NaiveDate> = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.holidays(app.demo.ministry.id, day(2026, 1, 1), day(2027, 12, 31))
            .await
            .unwrap()
    };
    assert!(holidays.contains(&holiday));
    let cal = Calendar::new(vec![Weekday::Fri, Weekday::Sat], holidays.iter().copied());
    let [clerk, registry, head] = app
        .sign_in_all(["clerk.tripoli", "registry", "head.plan"])
        .await;
    let deadline = app.case_type("budget_transfer").deadline_days as u32;
    let case = app
        .file_case(&clerk, "budget_transfer", "مهلة عبر عطلة", true)
        .await;
    let id = s(&case, "id").to_owned();
    let (due, _) = case_due(&app, &clerk, &id).await;
    let due = due.expect("a due date once submitted");
    assert_eq!(
        count_working_days(day(2026, 12, 3), due, &holidays),
        deadline
    );
    assert!(cal.is_working_day(due));
    app.transition(
        &registry,
        &id,
        json!({"action": "route", "department_id": app.org("PLAN").id}),
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

    // Paused on Sunday 6 December at 09:00, with the working days left kept.
    // (Sessions end after 8 idle hours: people sign in again on later days.)
    clock.set(tripoli(2026, 12, 6, 9, 0, 0));
    let officer = app.sign_in("officer.plan").await;
    app.transition(
        &officer,
        &id,
        json!({"action": "request_info", "message": "نرجو الاستكمال."}),
    )
    .await
    .expect(StatusCode::OK, "pausing");
    let left = count_working_days(day(2026, 12, 6), due, &holidays);
    // Resumed nine days later (across the weekend and the holiday): the due
    // date is the same number of working days after the reply.
    clock.set(tripoli(2026, 12, 15, 11, 30, 0));
    let clerk = app.sign_in("clerk.tripoli").await;
    app.transition(
        &clerk,
        &id,
        json!({"action": "reply", "message": "أرفقنا البيانات."}),
    )
    .await
    .expect(StatusCode::OK, "replying");
    let (resumed, overdue) = case_due(&app, &clerk, &id).await;
    let resumed = resumed.unwrap();
    assert_eq!(
        count_working_days(day(2026, 12, 15), resumed, &holidays),
        left,
        "resumed due date {resumed}"
    );
    assert!(cal.is_working_day(resumed));
    assert!(!overdue);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_a_case_is_overdue_from_midnight_in_tripoli_not_a_second_before() {
    let (app, clock) = at(tripoli(2026, 12, 3, 10, 0, 0)).await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "حدّ منتصف الليل", true)
        .await;
    let id = s(&case, "id").to_owned();
    let due = case_due(&app, &clerk, &id).await.0.unwrap();
    let (y, m, d) = (
        chrono::Datelike::year(&due),
        chrono::Datelike::month(&due),
        chrono::Datelike::day(&due),
    );
    clock.set(tripoli(y, m, d, 23, 59, 59));
    assert_eq!(
        app.services.sweep_overdue().await.unwrap(),
        0,
        "the last second of the due day"
    );
    let clerk = app.sign_in("clerk.tripoli").await;
    assert!(!case_due(&app, &clerk, &id).await.1);
    clock.set(tripoli(y, m, d, 23, 59, 59) + Duration::seconds(1));
    assert_eq!(
        app.services.sweep_overdue().await.unwrap(),
        1,
        "midnight after the due day"
    );
    assert!(case_due(&app, &clerk, &id).await.1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_a_lockout_ends_after_exactly_fifteen_minutes() {
    let start = tripoli(2026, 12, 3, 10, 0, 0);
    let (app, clock) = at(start).await;
    let sign_in = |password: &'static str| {
        app.post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": "clerk.misrata", "password": password}),
        )
    };
    for _ in 0..5 {
        assert_eq!(
            sign_in("wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // From the address that failed, the right password is refused while
    // the lock lasts, and accepted from its last second on.
    clock.set(start + Duration::minutes(15) - Duration::seconds(1));
    assert_eq!(
        sign_in(PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "one second before the end"
    );
    clock.set(start + Duration::minutes(15));
    let r = sign_in(PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "at the end of the lock: {}",
        r.text
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_sessions_end_when_idle_eight_hours_and_after_twelve_however_active() {
    let start = tripoli(2026, 12, 3, 8, 0, 0);
    let (app, clock) = at(start).await;
    let [early, idle, busy] = app
        .sign_in_all(["clerk.tripoli", "clerk.benghazi", "clerk.misrata"])
        .await;
    let me = |t: &str| {
        let (app, t) = (&app, t.to_owned());
        async move { app.get("/api/v1/me", Some(&t)).await.status }
    };
    // The busy session is used every two hours.
    for h in [2, 4, 6] {
        clock.set(start + Duration::hours(h));
        assert_eq!(me(&busy).await, StatusCode::OK, "busy at {h} h");
    }
    // Two sessions never used: one is seen a second before 8 hours, the
    // other at 8 hours exactly.
    clock.set(start + Duration::hours(8) - Duration::seconds(1));
    assert_eq!(
        me(&early).await,
        StatusCode::OK,
        "idle for 8 h less a second"
    );
    clock.set(start + Duration::hours(8));
    assert_eq!(me(&idle).await, StatusCode::UNAUTHORIZED, "idle for 8 h");
    // The busy one goes on, and ends at 12 hours however active.
    for h in [8, 10] {
        clock.set(start + Duration::hours(h));
        assert_eq!(me(&busy).await, StatusCode::OK, "busy at {h} h");
    }
    clock.set(start + Duration::hours(12) - Duration::seconds(1));
    assert_eq!(me(&busy).await, StatusCode::OK, "12 h less a second");
    clock.set(start + Duration::hours(12));
    assert_eq!(me(&busy).await, StatusCode::UNAUTHORIZED, "at 12 h");
    app.stop().await;
}

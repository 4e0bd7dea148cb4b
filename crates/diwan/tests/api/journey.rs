//! A budget transfer request from filing to closing, through every party.

use crate::helpers::{pdf_bytes, s, TestApp};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn date(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(
        v.as_str().unwrap_or_else(|| panic!("not a date: {v}")),
        "%Y-%m-%d",
    )
    .expect("a YYYY-MM-DD date")
}

pub fn time(v: &Value) -> DateTime<Utc> {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a time: {v}: {e}"))
}

fn is_tracking_number(t: &str, prefix: &str) -> bool {
    let parts: Vec<&str> = t.split('-').collect();
    parts.len() == 3
        && parts[0] == prefix
        && parts[1].len() == 4
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2].len() == 6
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

/// The kinds of the notifications of `token`'s owner about one case.
pub async fn notification_kinds(app: &TestApp, token: &str, case_id: &str) -> Vec<String> {
    let list = app
        .get("/api/v1/notifications", Some(token))
        .await
        .expect(StatusCode::OK, "notifications");
    list.as_array()
        .expect("a list of notifications")
        .iter()
        .filter(|n| n["case_id"] == case_id)
        .map(|n| s(n, "kind").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_budget_transfer_from_filing_to_closing() {
    let app = TestApp::spawn().await;
    let [clerk, registry, head, officer] = app
        .sign_in_all(["clerk.tripoli", "registry", "head.plan", "officer.plan"])
        .await;

    // The clerk files and submits at once.
    let types = app
        .get("/api/v1/case-types", Some(&clerk))
        .await
        .expect(StatusCode::OK, "case types");
    let bdg = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "budget_transfer")
        .expect("budget_transfer is in the catalogue")
        .clone();
    let filed = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({
                "case_type_id": bdg["id"],
                "subject": "مناقلة من بند الصيانة إلى بند الإنارة العامة",
                "body": "نرجو الموافقة على مناقلة مبلغ 250,000 دينار.",
                "fields": {"amount": "250,000.5", "from_line": " صيانة الطرق ", "to_line": "الإنارة العامة"},
                "submit": true
            }),
        )
        .await
        .expect(StatusCode::CREATED, "filing the request");
    let id = s(&filed, "id").to_owned();
    let tracking = s(&filed, "tracking_number").to_owned();
    assert!(
        is_tracking_number(&tracking, "BDG"),
        "tracking number {tracking} is not BDG-YYYY-NNNNNN"
    );
    assert_eq!(filed["state"], "submitted");
    assert_eq!(filed["filer_org_id"], app.org("M-TRP").id.to_string());
    assert_eq!(
        filed["holder_org_id"],
        app.demo.ministry.id.to_string(),
        "a submitted request waits at the ministry's registry"
    );
    assert_eq!(filed["paused"], false);
    // Typed fields are normalized: money in millemes, text trimmed.
    assert_eq!(
        filed["fields"],
        json!({"amount": 250_000_500, "from_line": "صيانة الطرق", "to_line": "الإنارة العامة"})
    );
    let filed_on = diwan_services::organizations::today_in(
        &app.demo.ministry.time_zone,
        time(&filed["submitted_at"]),
    );
    let due = date(&filed["due_date"]);
    assert!(
        due > filed_on,
        "due {due} is after the filing date {filed_on}"
    );
    assert!(
        !matches!(due.weekday(), Weekday::Fri | Weekday::Sat),
        "due date {due} falls on the weekend"
    );

    // A PDF goes with it.
    let pdf = pdf_bytes(2048);
    let att = app
        .upload(&id, &clerk, "محضر الاجتماع.pdf", pdf.clone())
        .await
        .expect(StatusCode::CREATED, "uploading a PDF");
    assert_eq!(att["content_type"], "application/pdf");
    assert_eq!(att["size"], pdf.len());
    assert_eq!(att["filename"], "محضر الاجتماع.pdf");
    assert_eq!(att["internal"], false);
    assert_eq!(s(&att, "sha256").len(), 64);
    let att_id = s(&att, "id").to_owned();

    // The registry routes it to the planning department.
    let orgs = app
        .get("/api/v1/organizations", Some(&registry))
        .await
        .expect(StatusCode::OK, "organizations");
    let plan = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == "PLAN")
        .expect("the planning department")
        .clone();
    assert_eq!(plan["kind"], "department");
    let plan_id = s(&plan, "id").to_owned();
    let routed = app
        .transition(
            &registry,
            &id,
            json!({"action": "route", "department_id": plan_id}),
        )
        .await
        .expect(StatusCode::OK, "routing");
    assert_eq!(routed["state"], "routed");
    assert_eq!(routed["holder_org_id"], plan_id);
    assert_eq!(
        routed["due_date"], filed["due_date"],
        "routing does not move the due date"
    );

    // Its head assigns an officer from the department's staff.
    let staff = app
        .get(&format!("/api/v1/departments/{plan_id}/staff"), Some(&head))
        .await
        .expect(StatusCode::OK, "department staff");
    let officer_user = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "officer.plan")
        .expect("officer.plan is on the staff")
        .clone();
    assert!(
        staff
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["role"] == "officer" || u["role"] == "department_head"),
        "staff: {staff}"
    );
    let assigned = app
        .transition(
            &head,
            &id,
            json!({"action": "assign", "assignee_id": officer_user["id"]}),
        )
        .await
        .expect(StatusCode::OK, "assigning");
    assert_eq!(assigned["state"], "assigned");
    assert_eq!(assigned["assignee_id"], officer_user["id"]);

    // The officer notes something internally and asks the municipality for more.
    let note_text = "ملاحظة داخلية: التحقق من رصيد البند لدى قسم الميزانية";
    let note = app
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            Some(&officer),
            json!({"body": note_text, "internal": true}),
        )
        .await
        .expect(StatusCode::CREATED, "internal note");
    assert_eq!(note["internal"], true);
    assert_eq!(note["kind"], "note");
    let internal_pdf = pdf_bytes(700);
    let internal_att = app
        .upload_as(&id, &officer, "مذكرة داخلية.pdf", internal_pdf, true)
        .await
        .expect(StatusCode::CREATED, "an internal attachment");
    assert_eq!(internal_att["internal"], true);
    let internal_att_id = s(&internal_att, "id").to_owned();
    app.upload_as(&id, &clerk, "x.pdf", pdf_bytes(300), true)
        .await
        .expect_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a municipal internal attachment",
        );
    let question = "نرجو موافاتنا بمحضر اجتماع المجلس البلدي المعتمد.";
    let paused = app
        .transition(
            &officer,
            &id,
            json!({"action": "request_info", "message": question}),
        )
        .await
        .expect(StatusCode::OK, "requesting information");
    assert_eq!(paused["state"], "info_requested");
    assert_eq!(paused["paused"], true);
    let due_at_pause = date(&paused["due_date"]);

    // The clerk sees where the case is and what was asked, never the note.
    let view = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the clerk reads the case");
    assert_eq!(view["case"]["state"], "info_requested");
    assert_eq!(view["case"]["paused"], true);
    assert_eq!(view["case"]["holder_org_id"], plan_id);
    let messages = view["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["body"] == question && m["internal"] == false),
        "the question is visible: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .all(|m| m["internal"] == false && m["body"] != note_text),
        "an internal note leaked to the municipality: {messages:?}"
    );
    assert!(
        !view.to_string().contains(note_text),
        "the internal note appears in the municipality's view"
    );
    assert!(view["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == att_id));
    assert!(
        !view.to_string().contains(&internal_att_id),
        "an internal attachment is listed to the municipality"
    );
    app.get(
        &format!("/api/v1/attachments/{internal_att_id}"),
        Some(&clerk),
    )
    .await
    .expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "the municipality downloads an internal attachment",
    );
    assert!(
        view["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "reply" && a["needs_message"] == true),
        "the clerk may reply: {}",
        view["actions"]
    );
    assert_eq!(view["can_note"], false);
    // The ministry sees the note.
    let staff_view = app
        .get(&format!("/api/v1/cases/{id}"), Some(&officer))
        .await
        .expect(StatusCode::OK, "the officer reads the case");
    assert!(staff_view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"] == note_text && m["internal"] == true));
    assert!(staff_view["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == internal_att_id.as_str()));
    assert_eq!(staff_view["can_note"], true);

    // The clerk downloads the PDF back, byte for byte.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{att_id}")))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);

    // The clerk replies; the clock runs again and the deadline did not move earlier.
    let reply = "مرفق محضر الاجتماع المعتمد.";
    let resumed = app
        .transition(&clerk, &id, json!({"action": "reply", "message": reply}))
        .await
        .expect(StatusCode::OK, "replying");
    assert_eq!(resumed["state"], "assigned");
    assert_eq!(resumed["paused"], false);
    let due_after = date(&resumed["due_date"]);
    assert!(
        due_after >= due_at_pause,
        "the pause moved the due date earlier: {due_at_pause} -> {due_after}"
    );
    assert!(
        due_after >= due,
        "the due date moved earlier than at filing: {due} -> {due_after}"
    );
    assert!(
        !matches!(due_after.weekday(), Weekday::Fri | Weekday::Sat),
        "due date {due_after} falls on the weekend"
    );

    // The officer answers.
    let answer = "تمت الموافقة على المناقلة المطلوبة.";
    let answered = app
        .transition(
            &officer,
            &id,
            json!({"action": "answer", "message": answer}),
        )
        .await
        .expect(StatusCode::OK, "answering");
    assert_eq!(answered["state"], "answered");
    assert!(answered["closed_at"].is_string());

    let view = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the clerk reads the answer");
    assert_eq!(view["case"]["state"], "answered");
    let messages = view["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["body"] == answer && m["kind"] == "answer"),
        "the answer is visible: {messages:?}"
    );
    assert!(messages
        .iter()
        .any(|m| m["body"] == reply && m["kind"] == "reply"));
    assert!(messages.iter().all(|m| m["body"] != note_text));
    let actions: Vec<&str> = view["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(a, "action"))
        .collect();
    assert_eq!(actions, ["acknowledge"]);
    let events: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(e, "action"))
        .collect();
    assert_eq!(
        events,
        [
            "submit",
            "route",
            "assign",
            "request_info",
            "reply",
            "answer"
        ]
    );

    // The clerk acknowledges: the case is closed.
    let closed = app
        .transition(&clerk, &id, json!({"action": "acknowledge"}))
        .await
        .expect(StatusCode::OK, "acknowledging");
    assert_eq!(closed["state"], "closed");
    app.transition(&clerk, &id, json!({"action": "acknowledge"}))
        .await
        .expect_error(
            StatusCode::CONFLICT,
            "invalid_transition",
            "acknowledging twice",
        );
    // A closed case takes no more files or messages.
    app.upload(&id, &clerk, "late.pdf", pdf_bytes(300))
        .await
        .expect_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a file for a closed case",
        );
    app.post(
        &format!("/api/v1/cases/{id}/messages"),
        Some(&clerk),
        json!({"body": "شكرًا"}),
    )
    .await
    .expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a message on a closed case",
    );

    // Notifications: the officer was told of the assignment and of the reply,
    // the municipality of the question and of the answer.
    let officer_kinds = notification_kinds(&app, &officer, &id).await;
    assert!(
        officer_kinds.iter().any(|k| k == "assigned"),
        "officer notifications: {officer_kinds:?}"
    );
    assert!(
        officer_kinds.iter().any(|k| k == "reply_received"),
        "officer notifications: {officer_kinds:?}"
    );
    let clerk_kinds = notification_kinds(&app, &clerk, &id).await;
    assert!(
        clerk_kinds.iter().any(|k| k == "info_requested"),
        "clerk notifications: {clerk_kinds:?}"
    );
    assert!(
        clerk_kinds.iter().any(|k| k == "answered"),
        "clerk notifications: {clerk_kinds:?}"
    );
    assert!(
        !clerk_kinds.iter().any(|k| k == "assigned"),
        "the clerk is not told of internal assignments: {clerk_kinds:?}"
    );
    let head_kinds = notification_kinds(&app, &head, &id).await;
    assert!(
        head_kinds.iter().any(|k| k == "routed"),
        "the department head is told of the routing: {head_kinds:?}"
    );

    // Marking them read empties the unread list.
    let marked = app
        .post("/api/v1/notifications/read", Some(&clerk), json!({}))
        .await
        .expect(StatusCode::OK, "mark read");
    assert!(marked["marked"].as_u64().unwrap() >= 2);
    let unread = app
        .get("/api/v1/notifications?unread=true", Some(&clerk))
        .await
        .expect(StatusCode::OK, "unread");
    assert_eq!(unread.as_array().unwrap().len(), 0);

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_concurrent_filings_and_moves_stay_consistent() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi, registry] = app
        .sign_in_all(["clerk.tripoli", "clerk.benghazi", "registry"])
        .await;

    // Filings at the same moment get distinct numbers of one sequence.
    let subjects: Vec<String> = (0..16).map(|i| format!("طلب متزامن رقم {i}")).collect();
    let filings: Vec<_> = subjects
        .iter()
        .enumerate()
        .map(|(i, subject)| {
            app.file_case(
                if i % 2 == 0 { &tripoli } else { &benghazi },
                "budget_transfer",
                subject,
                true,
            )
        })
        .collect();
    let cases = crate::helpers::futures_join_all(filings).await;
    let mut seqs: Vec<u32> = cases
        .iter()
        .map(|c| {
            s(c, "tracking_number")
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (1..=16).collect::<Vec<u32>>(),
        "tracking numbers: {:?}",
        cases
            .iter()
            .map(|c| s(c, "tracking_number"))
            .collect::<Vec<_>>()
    );

    // The same move sent five times at once happens once.
    let id = s(&cases[0], "id").to_owned();
    let plan = app.org("PLAN").id;
    let moves: Vec<_> = (0..5)
        .map(|_| {
            app.transition(
                &registry,
                &id,
                json!({"action": "route", "department_id": plan}),
            )
        })
        .collect();
    let answers = crate::helpers::futures_join_all(moves).await;
    let ok = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        answers
            .iter()
            .map(|r| (r.status, r.text.clone()))
            .collect::<Vec<_>>()
    );
    for r in answers.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.json["code"], "invalid_transition");
    }
    let v = app
        .get(&format!("/api/v1/cases/{id}"), Some(&registry))
        .await
        .expect(StatusCode::OK, "the case");
    let routes = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "route")
        .count();
    assert_eq!(routes, 1, "one route in the history: {}", v["events"]);
    app.stop().await;
}

//! Every move of every workflow, end to end over the API: the shipped
//! municipality request and internal memo, and a fine appeal that exists
//! only as data in this file. Each move is checked in the case's history and
//! in the audit trail; each refused move leaves neither behind.

use crate::helpers::{s, TestApp};
use crate::journey::notification_kinds;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The audit records of the moves and edits of one case, newest first
/// (reads are left out: every staff read of a case is audited too).
async fn case_records(app: &TestApp, auditor: &str, id: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!("/api/v1/audit?limit=200&action=case.&object={id}"),
            Some(auditor),
        )
        .await
        .expect(StatusCode::OK, "the case's audit records");
    page["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .filter(|r| r["action"] != "case.read")
        .cloned()
        .collect()
}

/// The case as `reader` sees it, with its history.
async fn view(app: &TestApp, reader: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/cases/{id}"), Some(reader))
        .await
        .expect(StatusCode::OK, "reading the case")
}

/// The people one workflow test needs, signed in once.
struct Desk<'a> {
    app: &'a TestApp,
    /// Reads every submitted case and the audit trail.
    auditor: String,
}

impl Desk<'_> {
    /// Makes `action` as `actor` (whose user name is `who`, or `None` when
    /// the move is the system's), and checks the outcome: the case is in
    /// `to`, the newest event is this move from the state before, and
    /// exactly one audit record was added for it, naming the move and the
    /// two states. `reader` reads the case's history. Returns the case.
    async fn step(
        &self,
        (actor, who): (&str, &str),
        reader: &str,
        id: &str,
        body: Value,
        to: &str,
    ) -> Value {
        let action = s(&body, "action").to_owned();
        let before = view(self.app, reader, id).await;
        let from = s(&before["case"], "state").to_owned();
        let events_before = before["events"].as_array().unwrap().len();
        let records_before = case_records(self.app, &self.auditor, id).await;
        let moved = self
            .app
            .transition(actor, id, body)
            .await
            .expect(StatusCode::OK, &format!("{who}: {action} from {from}"));
        assert_eq!(moved["state"], to, "{action} from {from}: {moved}");

        let after = view(self.app, reader, id).await;
        let events = after["events"].as_array().unwrap();
        assert_eq!(events.len(), events_before + 1, "{action}: {events:?}");
        let e = events.last().unwrap();
        assert_eq!(e["action"], action.as_str(), "{e}");
        assert_eq!(e["from_state"], from.as_str(), "{e}");
        assert_eq!(e["to_state"], to, "{e}");
        assert_eq!(e["actor_id"], self.app.user(who).id.to_string(), "{e}");

        let records = case_records(self.app, &self.auditor, id).await;
        assert_eq!(
            records.len(),
            records_before.len() + 1,
            "{action}: one audit record: {records:?}"
        );
        let r = &records[0];
        assert_eq!(r["action"], format!("case.{action}"), "{r}");
        assert_eq!(r["actor_name"], who, "{r}");
        assert_eq!(r["details"]["from"], from.as_str(), "{r}");
        assert_eq!(r["details"]["to"], to, "{r}");
        moved
    }

    /// Tries a move that must be refused with `status` and `code`, and
    /// checks that neither the case, nor its history (as `reader` sees
    /// it), nor the audit trail changed.
    async fn refused(
        &self,
        (actor, reader): (&str, &str),
        id: &str,
        body: Value,
        (status, code): (StatusCode, &str),
        what: &str,
    ) {
        let before = view(self.app, reader, id).await;
        let records_before = case_records(self.app, &self.auditor, id).await;
        self.app
            .transition(actor, id, body)
            .await
            .expect_error(status, code, what);
        let after = view(self.app, reader, id).await;
        assert_eq!(after["case"], before["case"], "{what}: the case changed");
        assert_eq!(
            after["events"], before["events"],
            "{what}: the history changed"
        );
        assert_eq!(
            case_records(self.app, &self.auditor, id).await,
            records_before,
            "{what}: an audit record was left behind"
        );
    }
}

const FORBIDDEN: (StatusCode, &str) = (StatusCode::FORBIDDEN, "forbidden");
const WRONG_STATE: (StatusCode, &str) = (StatusCode::CONFLICT, "invalid_transition");
const INVALID: (StatusCode, &str) = (StatusCode::BAD_REQUEST, "invalid_input");
const NOT_FOUND: (StatusCode, &str) = (StatusCode::NOT_FOUND, "not_found");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_move_of_a_municipality_request() {
    let app = TestApp::spawn().await;
    let [clerk, registry, head, officer, officer2, head_proj, officer_proj, benghazi, auditor] =
        app.sign_in_all([
            "clerk.tripoli",
            "registry",
            "head.plan",
            "officer.plan",
            "officer.plan2",
            "head.proj",
            "officer.proj",
            "clerk.benghazi",
            "auditor",
        ])
        .await;
    let desk = Desk {
        app: &app,
        auditor: auditor.clone(),
    };
    let plan = app.org("PLAN").id;
    let proj = app.org("PROJ").id;
    let clerk_ = (clerk.as_str(), "clerk.tripoli");
    let registry_ = (registry.as_str(), "registry");
    let head_ = (head.as_str(), "head.plan");
    let officer_ = (officer.as_str(), "officer.plan");
    let head_proj_ = (head_proj.as_str(), "head.proj");
    let officer_proj_ = (officer_proj.as_str(), "officer.proj");

    // Submit, route, assign, ask, reply, forward, assign again, answer, acknowledge.
    let draft = app
        .file_case(&clerk, "budget_transfer", "مناقلة تمر بكل المراحل", false)
        .await;
    let id = s(&draft, "id").to_owned();
    assert_eq!(draft["state"], "draft");
    desk.step(
        clerk_,
        &clerk,
        &id,
        json!({"action": "submit"}),
        "submitted",
    )
    .await;
    assert!(notification_kinds(&app, &registry, &id)
        .await
        .contains(&"routed".to_owned()));
    desk.refused(
        (&clerk, &auditor),
        &id,
        json!({"action": "route", "department_id": plan}),
        FORBIDDEN,
        "the filer routes",
    )
    .await;
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "route", "department_id": app.org("M-TRP").id}),
        INVALID,
        "routing to a municipality",
    )
    .await;
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "answer", "message": "لا"}),
        WRONG_STATE,
        "answering a request nobody holds",
    )
    .await;
    desk.step(
        registry_,
        &auditor,
        &id,
        json!({"action": "route", "department_id": plan}),
        "routed",
    )
    .await;
    assert!(notification_kinds(&app, &head, &id)
        .await
        .contains(&"routed".to_owned()));
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "route", "department_id": proj}),
        WRONG_STATE,
        "routing twice",
    )
    .await;
    desk.refused(
        (&officer, &auditor),
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.plan").id}),
        FORBIDDEN,
        "an officer assigns",
    )
    .await;
    desk.step(
        head_,
        &auditor,
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.plan").id}),
        "assigned",
    )
    .await;
    assert_eq!(
        notification_kinds(&app, &officer, &id).await,
        ["assigned"],
        "the assignee is told"
    );
    desk.refused(
        (&officer2, &auditor),
        &id,
        json!({"action": "answer", "message": "جواب من غير المكلف"}),
        FORBIDDEN,
        "an officer the case is not assigned to answers",
    )
    .await;
    desk.refused(
        (&officer, &auditor),
        &id,
        json!({"action": "request_info"}),
        INVALID,
        "a question without a message",
    )
    .await;
    desk.step(
        officer_,
        &auditor,
        &id,
        json!({"action": "request_info", "message": "نرجو إرفاق محضر المجلس البلدي"}),
        "info_requested",
    )
    .await;
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"info_requested".to_owned()));
    desk.refused(
        (&benghazi, &auditor),
        &id,
        json!({"action": "reply", "message": "ليس طلبنا"}),
        NOT_FOUND,
        "another municipality replies",
    )
    .await;
    desk.step(
        clerk_,
        &auditor,
        &id,
        json!({"action": "reply", "message": "أرفقنا المحضر"}),
        "assigned",
    )
    .await;
    assert!(notification_kinds(&app, &officer, &id)
        .await
        .contains(&"reply_received".to_owned()));
    desk.step(
        officer_,
        &auditor,
        &id,
        json!({"action": "forward", "department_id": proj}),
        "routed",
    )
    .await;
    assert!(notification_kinds(&app, &head_proj, &id)
        .await
        .contains(&"routed".to_owned()));
    desk.step(
        head_proj_,
        &auditor,
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.proj").id}),
        "assigned",
    )
    .await;
    desk.refused(
        (&clerk, &auditor),
        &id,
        json!({"action": "acknowledge"}),
        WRONG_STATE,
        "acknowledging before the answer",
    )
    .await;
    desk.step(
        officer_proj_,
        &auditor,
        &id,
        json!({"action": "answer", "message": "تمت الموافقة على المناقلة"}),
        "answered",
    )
    .await;
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"answered".to_owned()));
    desk.refused(
        (&auditor, &auditor),
        &id,
        json!({"action": "acknowledge"}),
        FORBIDDEN,
        "the auditor acknowledges",
    )
    .await;
    desk.step(
        clerk_,
        &auditor,
        &id,
        json!({"action": "acknowledge"}),
        "closed",
    )
    .await;
    desk.refused(
        (&clerk, &auditor),
        &id,
        json!({"action": "withdraw"}),
        WRONG_STATE,
        "withdrawing a closed request",
    )
    .await;

    // The registry rejects a request as it arrives.
    let c = app
        .file_case(&clerk, "budget_transfer", "طلب يرفضه قلم الوزارة", true)
        .await;
    let id = s(&c, "id").to_owned();
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "reject"}),
        INVALID,
        "a rejection without a reason",
    )
    .await;
    desk.step(
        registry_,
        &auditor,
        &id,
        json!({"action": "reject", "message": "الطلب خارج اختصاص الوزارة"}),
        "rejected",
    )
    .await;
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"rejected".to_owned()));

    // The holding department rejects a routed request.
    let c = app
        .file_case(&clerk, "budget_transfer", "طلب ترفضه الإدارة", true)
        .await;
    let id = s(&c, "id").to_owned();
    desk.step(
        registry_,
        &auditor,
        &id,
        json!({"action": "route", "department_id": plan}),
        "routed",
    )
    .await;
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "reject", "message": "رفض من القلم بعد الإحالة"}),
        FORBIDDEN,
        "the registry rejects a request a department holds",
    )
    .await;
    desk.step(
        head_,
        &auditor,
        &id,
        json!({"action": "reject", "message": "لا يتوفر رصيد في البند"}),
        "rejected",
    )
    .await;

    // The filer withdraws a draft, and an assigned request.
    let c = app
        .file_case(&clerk, "budget_transfer", "مسودة يسحبها مقدمها", false)
        .await;
    let id = s(&c, "id").to_owned();
    desk.step(
        clerk_,
        &clerk,
        &id,
        json!({"action": "withdraw"}),
        "withdrawn",
    )
    .await;
    let c = app
        .file_case(&clerk, "budget_transfer", "طلب يسحب بعد تكليف موظف", true)
        .await;
    let id = s(&c, "id").to_owned();
    desk.step(
        registry_,
        &auditor,
        &id,
        json!({"action": "route", "department_id": plan}),
        "routed",
    )
    .await;
    desk.step(
        head_,
        &auditor,
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.plan").id}),
        "assigned",
    )
    .await;
    desk.refused(
        (&officer, &auditor),
        &id,
        json!({"action": "withdraw"}),
        FORBIDDEN,
        "the ministry withdraws a municipality's request",
    )
    .await;
    desk.step(
        clerk_,
        &auditor,
        &id,
        json!({"action": "withdraw"}),
        "withdrawn",
    )
    .await;

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_move_of_an_internal_memo() {
    let app = TestApp::spawn().await;
    let [sender, head_hr, officer_hr, head_plan, head_legal, clerk, auditor] = app
        .sign_in_all([
            "officer.plan",
            "head.hr",
            "officer.hr",
            "head.plan",
            "head.legal",
            "clerk.tripoli",
            "auditor",
        ])
        .await;
    let desk = Desk {
        app: &app,
        auditor: auditor.clone(),
    };
    let hr = app.org("HR").id;
    let legal = app.org("LEGAL").id;
    let sender_ = (sender.as_str(), "officer.plan");

    // Send, assign, ask, reply, forward, answer (unassigned), acknowledge.
    let draft = app
        .file_case(&sender, "internal_memo", "مذكرة تمر بكل المراحل", false)
        .await;
    let id = s(&draft, "id").to_owned();
    desk.refused(
        (&sender, &sender),
        &id,
        json!({"action": "send"}),
        INVALID,
        "sending a memo nowhere",
    )
    .await;
    desk.refused(
        (&clerk, &sender),
        &id,
        json!({"action": "send", "department_id": hr}),
        NOT_FOUND,
        "a municipality sends another's memo",
    )
    .await;
    desk.refused(
        (&sender, &sender),
        &id,
        json!({"action": "submit"}),
        WRONG_STATE,
        "a memo has no submit",
    )
    .await;
    desk.step(
        sender_,
        &sender,
        &id,
        json!({"action": "send", "department_id": hr}),
        "routed",
    )
    .await;
    assert!(notification_kinds(&app, &head_hr, &id)
        .await
        .contains(&"routed".to_owned()));
    desk.step(
        (head_hr.as_str(), "head.hr"),
        &auditor,
        &id,
        json!({"action": "assign", "assignee_id": app.user("officer.hr").id}),
        "assigned",
    )
    .await;
    desk.refused(
        (&head_plan, &auditor),
        &id,
        json!({"action": "request_info", "message": "سؤال من إدارة لا تحمل المذكرة"}),
        FORBIDDEN,
        "a head of the sending department asks as if holding it",
    )
    .await;
    desk.step(
        (officer_hr.as_str(), "officer.hr"),
        &auditor,
        &id,
        json!({"action": "request_info", "message": "ما الفترة المقصودة؟"}),
        "info_requested",
    )
    .await;
    desk.step(
        sender_,
        &auditor,
        &id,
        json!({"action": "reply", "message": "الربع الأول"}),
        "assigned",
    )
    .await;
    assert!(notification_kinds(&app, &officer_hr, &id)
        .await
        .contains(&"reply_received".to_owned()));
    desk.step(
        (officer_hr.as_str(), "officer.hr"),
        &auditor,
        &id,
        json!({"action": "forward", "department_id": legal}),
        "routed",
    )
    .await;
    desk.step(
        (head_legal.as_str(), "head.legal"),
        &auditor,
        &id,
        json!({"action": "answer", "message": "لا مانع قانوني"}),
        "answered",
    )
    .await;
    assert!(notification_kinds(&app, &sender, &id)
        .await
        .contains(&"answered".to_owned()));
    desk.step(
        sender_,
        &auditor,
        &id,
        json!({"action": "acknowledge"}),
        "closed",
    )
    .await;

    // The sender withdraws a draft and a memo on its way.
    let c = app
        .file_case(&sender, "internal_memo", "مسودة مذكرة تسحب", false)
        .await;
    let id = s(&c, "id").to_owned();
    desk.step(
        sender_,
        &sender,
        &id,
        json!({"action": "withdraw"}),
        "withdrawn",
    )
    .await;
    let c = app
        .file_case(&sender, "internal_memo", "مذكرة تسحب بعد إرسالها", false)
        .await;
    let id = s(&c, "id").to_owned();
    desk.step(
        sender_,
        &sender,
        &id,
        json!({"action": "send", "department_id": hr}),
        "routed",
    )
    .await;
    desk.refused(
        (&head_hr, &auditor),
        &id,
        json!({"action": "withdraw"}),
        FORBIDDEN,
        "the receiving department withdraws the memo",
    )
    .await;
    desk.step(
        sender_,
        &auditor,
        &id,
        json!({"action": "withdraw"}),
        "withdrawn",
    )
    .await;

    app.stop().await;
}

/// A fine appeal: a workflow no part of Diwan's code knows, written as the
/// data a configuration holds. Its states and actions share no name with the
/// shipped workflows.
fn fine_appeal() -> diwan_domain::cases::workflow::Workflow {
    let muni = json!(["municipal_clerk", "municipal_head"]);
    let staff = json!(["officer", "department_head"]);
    serde_json::from_value(json!({
        "code": "fine_appeal",
        "initial": "prepared",
        "audience": "public",
        "states": [
            {"code": "prepared", "clock": "not_started", "with_filer": true},
            {"code": "lodged", "clock": "running"},
            {"code": "under_review", "clock": "running"},
            {"code": "hearing_requested", "clock": "paused", "with_filer": true},
            {"code": "upheld", "clock": "stopped", "with_filer": true},
            {"code": "dismissed", "clock": "stopped", "terminated": true},
            {"code": "abandoned", "clock": "stopped", "terminated": true},
            {"code": "archived", "clock": "stopped"}
        ],
        "transitions": [
            {"action": "lodge", "from": ["prepared"], "to": "lodged",
             "roles": muni, "party": "filer",
             "notifies": [{"kind": "routed", "to": "registry"}]},
            {"action": "allocate", "from": ["lodged"], "to": "under_review",
             "roles": ["registry_clerk", "admin"], "party": "registry",
             "needs": ["department"], "auto_route": true,
             "notifies": [{"kind": "routed", "to": "department_heads"}]},
            {"action": "escalate", "from": ["under_review"], "to": "under_review",
             "roles": staff, "party": "holder", "needs": ["department", "message"],
             "message_visibility": "internal",
             "notifies": [{"kind": "routed", "to": "department_heads"}]},
            {"action": "summon", "from": ["under_review"], "to": "hearing_requested",
             "roles": staff, "party": "holder", "needs": ["message"], "carries_file": true,
             "notifies": [{"kind": "info_requested", "to": "filer"}]},
            {"action": "attend", "from": ["hearing_requested"], "to": "under_review",
             "roles": muni, "party": "filer", "needs": ["message"], "carries_file": true,
             "notifies": [{"kind": "reply_received", "to": "holders"}]},
            {"action": "uphold", "from": ["under_review"], "to": "upheld",
             "roles": ["department_head"], "party": "holder", "needs": ["message"],
             "prompt": "answer", "carries_file": true,
             "notifies": [{"kind": "answered", "to": "filer"}]},
            {"action": "dismiss", "from": ["under_review"], "to": "dismissed",
             "roles": ["department_head"], "party": "holder", "needs": ["message"],
             "prompt": "reason",
             "notifies": [{"kind": "rejected", "to": "filer"}]},
            {"action": "abandon",
             "from": ["prepared", "lodged", "under_review", "hearing_requested"],
             "to": "abandoned", "roles": muni, "party": "filer", "prompt": "reason"},
            {"action": "archive", "from": ["upheld"], "to": "archived",
             "roles": muni, "party": "filer"}
        ]
    }))
    .expect("the fine appeal reads as a workflow")
}

/// The GovStack execution state of an instance.
async fn instance_state(app: &TestApp, token: &str, id: &str) -> String {
    let i = app
        .get(&format!("/govstack/workflow/instances/{id}"), Some(token))
        .await
        .expect(StatusCode::OK, "the instance");
    s(&i, "state").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_defined_only_as_data_runs_end_to_end() {
    let app = TestApp::spawn_with(|settings| settings.services.workflows.push(fine_appeal())).await;
    let [clerk, registry, head, head_legal, officer_legal, admin, auditor] = app
        .sign_in_all([
            "clerk.tripoli",
            "registry",
            "head.plan",
            "head.legal",
            "officer.legal",
            "admin",
            "auditor",
        ])
        .await;
    let desk = Desk {
        app: &app,
        auditor: auditor.clone(),
    };
    let plan = app.org("PLAN").id;
    let legal = app.org("LEGAL").id;
    let clerk_ = (clerk.as_str(), "clerk.tripoli");
    let head_legal_ = (head_legal.as_str(), "head.legal");

    // Two case types on it through GovStack: one routed by hand, one that
    // routes itself to the planning department.
    for (name, prefix, auto) in [("fine_appeal", "APL", false), ("fast_appeal", "APF", true)] {
        let added = app
            .post(
                "/govstack/workflow/processes",
                Some(&admin),
                json!({"name": name, "type": "Public", "version": "1", "processBody": [
                    {"code": "workflow", "value": "fine_appeal"},
                    {"code": "prefix", "value": prefix},
                    {"code": "default_department_id", "value": plan.to_string()},
                    {"code": "auto_route", "value": auto.to_string()},
                    {"code": "deadline_days", "value": "10"}
                ]}),
            )
            .await
            .expect(StatusCode::CREATED, "adding a process on the data workflow");
        assert_eq!(added["processDefinition"]["type"], "Public");
    }
    let types = app
        .get("/api/v1/case-types", Some(&clerk))
        .await
        .expect(StatusCode::OK, "case types");
    let type_id = |code: &str| {
        types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("{code} is in the catalogue: {types}"))["id"]
            .clone()
    };
    let appeal_type = type_id("fine_appeal");
    assert_eq!(
        types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "fine_appeal")
            .unwrap()["workflow"],
        "fine_appeal"
    );

    // Lodge, allocate, escalate with an internal note, summon, attend,
    // uphold, archive.
    let draft = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"case_type_id": appeal_type, "subject": "تظلم من مخالفة إشغال رصيف", "body": "نطلب إلغاء المخالفة"}),
        )
        .await
        .expect(StatusCode::CREATED, "filing an appeal as a draft");
    let id = s(&draft, "id").to_owned();
    assert_eq!(draft["state"], "prepared");
    assert!(draft["due_date"].is_null(), "a draft has no deadline yet");
    let actions = view(&app, &clerk, &id).await["actions"].clone();
    assert_eq!(
        actions,
        json!([
            {"action": "lodge", "needs_department": false, "needs_assignee": false, "needs_message": false},
            {"action": "abandon", "needs_department": false, "needs_assignee": false, "needs_message": false}
        ])
    );
    let lodged = desk
        .step(clerk_, &clerk, &id, json!({"action": "lodge"}), "lodged")
        .await;
    assert!(
        lodged["due_date"].is_string(),
        "lodging starts the deadline"
    );
    assert_eq!(lodged["holder_org_id"], app.demo.ministry.id.to_string());
    assert!(notification_kinds(&app, &registry, &id)
        .await
        .contains(&"routed".to_owned()));
    desk.refused(
        (&clerk, &auditor),
        &id,
        json!({"action": "allocate", "department_id": plan}),
        FORBIDDEN,
        "the appellant allocates",
    )
    .await;
    desk.refused(
        (&registry, &auditor),
        &id,
        json!({"action": "uphold", "message": "مقبول"}),
        WRONG_STATE,
        "upholding an appeal nobody reviews",
    )
    .await;
    desk.step(
        (registry.as_str(), "registry"),
        &auditor,
        &id,
        json!({"action": "allocate", "department_id": plan}),
        "under_review",
    )
    .await;
    assert!(notification_kinds(&app, &head, &id)
        .await
        .contains(&"routed".to_owned()));
    let note = "المخالفة صحيحة شكلاً؛ نحيلها للرأي القانوني";
    desk.step(
        (head.as_str(), "head.plan"),
        &auditor,
        &id,
        json!({"action": "escalate", "department_id": legal, "message": note}),
        "under_review",
    )
    .await;
    assert!(notification_kinds(&app, &head_legal, &id)
        .await
        .contains(&"routed".to_owned()));
    let staff_view = view(&app, &head_legal, &id).await;
    let covering = staff_view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == note)
        .expect("the receiving department reads the covering note");
    assert_eq!(covering["internal"], true);
    assert_eq!(covering["kind"], "escalate");
    assert!(
        view(&app, &clerk, &id).await["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["body"] != note),
        "the appellant never reads an internal covering note"
    );
    desk.refused(
        (&officer_legal, &auditor),
        &id,
        json!({"action": "uphold", "message": "مقبول"}),
        FORBIDDEN,
        "an officer upholds what only a head may",
    )
    .await;
    desk.step(
        head_legal_,
        &auditor,
        &id,
        json!({"action": "summon", "message": "نرجو حضور ممثل البلدية جلسة الاستماع"}),
        "hearing_requested",
    )
    .await;
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"info_requested".to_owned()));
    assert_eq!(instance_state(&app, &clerk, &id).await, "suspended");
    desk.step(
        clerk_,
        &auditor,
        &id,
        json!({"action": "attend", "message": "حضرنا وقدمنا المستندات"}),
        "under_review",
    )
    .await;
    assert!(notification_kinds(&app, &head_legal, &id)
        .await
        .contains(&"reply_received".to_owned()));
    assert_eq!(instance_state(&app, &clerk, &id).await, "running");

    // The case page offers the head's moves as the workflow declares them:
    // a file with the summons and the decision, none with the dismissal.
    let browser = app.browser("head.legal").await;
    let page = browser.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for offered in ["act-summon-file", "act-uphold-file", "act-dismiss-message"] {
        assert!(page.text.contains(offered), "{offered} is on the page");
    }
    assert!(!page.text.contains("act-dismiss-file"), "{}", page.text);

    let upheld = desk
        .step(
            head_legal_,
            &auditor,
            &id,
            json!({"action": "uphold", "message": "تلغى المخالفة"}),
            "upheld",
        )
        .await;
    assert!(
        upheld["closed_at"].is_string(),
        "the decision stops the clock"
    );
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"answered".to_owned()));
    desk.refused(
        (&clerk, &auditor),
        &id,
        json!({"action": "abandon"}),
        WRONG_STATE,
        "abandoning a decided appeal",
    )
    .await;
    desk.step(
        clerk_,
        &auditor,
        &id,
        json!({"action": "archive"}),
        "archived",
    )
    .await;
    assert_eq!(instance_state(&app, &clerk, &id).await, "completed");

    // Dismissed: started through GovStack, allocated, dismissed.
    let started = app
        .post(
            "/govstack/workflow/processes/fine_appeal/start",
            Some(&clerk),
            json!({"processStartedBy": "clerk.tripoli", "InstanceValues": [{"code": "subject", "value": "تظلم يرفض"}]}),
        )
        .await
        .expect(StatusCode::CREATED, "starting an appeal through GovStack");
    let id = s(&started, "id").to_owned();
    assert_eq!(view(&app, &clerk, &id).await["case"]["state"], "lodged");
    desk.step(
        (registry.as_str(), "registry"),
        &auditor,
        &id,
        json!({"action": "allocate", "department_id": legal}),
        "under_review",
    )
    .await;
    desk.step(
        head_legal_,
        &auditor,
        &id,
        json!({"action": "dismiss", "message": "التظلم قدم بعد الميعاد"}),
        "dismissed",
    )
    .await;
    assert!(notification_kinds(&app, &clerk, &id)
        .await
        .contains(&"rejected".to_owned()));
    assert_eq!(instance_state(&app, &clerk, &id).await, "terminated");

    // A type that routes itself: the system allocates as soon as the appeal
    // is lodged; stopping the instance is the appellant's abandonment.
    let started = app
        .post(
            "/govstack/workflow/processes/fast_appeal/start",
            Some(&clerk),
            json!({"processStartedBy": "clerk.tripoli", "InstanceValues": [{"code": "subject", "value": "تظلم يحال تلقائياً"}]}),
        )
        .await
        .expect(StatusCode::CREATED, "starting a self-routing appeal");
    let id = s(&started, "id").to_owned();
    let auto = view(&app, &auditor, &id).await;
    assert_eq!(auto["case"]["state"], "under_review");
    assert_eq!(auto["case"]["holder_org_id"], plan.to_string());
    let last = auto["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "allocate");
    assert!(last["actor_id"].is_null(), "the system allocated: {last}");
    let records = case_records(&app, &auditor, &id).await;
    let actions: Vec<&str> = records.iter().map(|r| s(r, "action")).collect();
    assert_eq!(actions, ["case.allocate", "case.lodge", "case.create"]);
    assert!(records[0]["actor_id"].is_null(), "{}", records[0]);

    let before = case_records(&app, &auditor, &id).await.len();
    let stopped = app
        .post(
            &format!("/govstack/workflow/instances/{id}/stop"),
            Some(&clerk),
            json!({}),
        )
        .await
        .expect(StatusCode::CREATED, "stopping the instance");
    assert_eq!(stopped["ended"], true);
    let after = view(&app, &auditor, &id).await;
    assert_eq!(after["case"]["state"], "abandoned");
    let last = after["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "abandon");
    assert_eq!(last["from_state"], "under_review");
    let records = case_records(&app, &auditor, &id).await;
    assert_eq!(records.len(), before + 1);
    assert_eq!(records[0]["action"], "case.abandon");
    assert_eq!(records[0]["actor_name"], "clerk.tripoli");
    assert_eq!(instance_state(&app, &clerk, &id).await, "terminated");
    app.post(
        &format!("/govstack/workflow/instances/{id}/stop"),
        Some(&clerk),
        json!({}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "invalid_transition", "stopping twice");
    assert_eq!(
        case_records(&app, &auditor, &id).await.len(),
        before + 1,
        "a refused stop leaves no audit record"
    );

    // The queue's state filter knows the new states.
    let queue = app
        .get("/api/v1/cases?state=archived,dismissed", Some(&auditor))
        .await
        .expect(StatusCode::OK, "filtering by the new states");
    assert_eq!(queue["items"].as_array().unwrap().len(), 2, "{queue}");

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoherent_workflow_stops_start_up() {
    let mut broken = fine_appeal();
    broken.initial = "nowhere".into();
    let dir = std::env::temp_dir().join(format!("diwan-it-{}", uuid::Uuid::now_v7().simple()));
    let mut settings = diwan::Settings::new(dir.clone());
    settings.services.workflows.push(broken);
    let err = diwan::build_services(&settings)
        .await
        .err()
        .expect("an incoherent workflow is refused");
    assert!(
        format!("{err:#}").contains("workflow-unknown-state"),
        "{err:#}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! Tests of `workflow`, kept beside it so that the module stays readable.

use super::*;
use crate::Reason;
use builtin::tr;

fn ids() -> (Uuid, Uuid, Uuid, Uuid) {
    (
        Uuid::from_u128(1),
        Uuid::from_u128(2),
        Uuid::from_u128(3),
        Uuid::from_u128(4),
    )
}

#[test]
fn shipped_workflows_are_valid() {
    for code in BUILTIN_WORKFLOWS {
        builtin(code).unwrap().validate().unwrap();
    }
}

#[test]
fn municipal_request_walk() {
    let wf = municipal_request();
    let (muni, dept, clerk, officer) = ids();
    let filer = Actor {
        user_id: clerk,
        role: Role::MunicipalClerk,
        org_id: muni,
    };
    let case = CaseFacts {
        state: "draft",
        filer_org_id: muni,
        holder_org_id: None,
        assignee_id: None,
        submitted: false,
    };
    assert_eq!(
        wf.authorize(&filer, &case, "submit").unwrap().to,
        "submitted"
    );
    let other_muni = Actor {
        user_id: clerk,
        role: Role::MunicipalClerk,
        org_id: Uuid::from_u128(9),
    };
    assert_eq!(
        wf.authorize(&other_muni, &case, "submit").unwrap_err().code,
        ErrorCode::NotFound
    );

    let off = Actor {
        user_id: officer,
        role: Role::Officer,
        org_id: dept,
    };
    let held = CaseFacts {
        state: "assigned",
        filer_org_id: muni,
        holder_org_id: Some(dept),
        assignee_id: Some(officer),
        submitted: true,
    };
    assert_eq!(
        wf.authorize(&off, &held, "request_info").unwrap().to,
        "info_requested"
    );
    assert_eq!(
        wf.authorize(&off, &held, "acknowledge").unwrap_err().code,
        ErrorCode::InvalidTransition
    );
    assert_eq!(
        wf.authorize(&filer, &held, "answer").unwrap_err().code,
        ErrorCode::Forbidden
    );
    let other_officer = Actor {
        user_id: Uuid::from_u128(77),
        role: Role::Officer,
        org_id: dept,
    };
    assert_eq!(
        wf.authorize(&other_officer, &held, "answer")
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    let auditor = Actor {
        user_id: Uuid::from_u128(5),
        role: Role::Auditor,
        org_id: Uuid::from_u128(6),
    };
    assert_eq!(
        wf.authorize(&auditor, &held, "answer").unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        wf.clock_change("assigned", "info_requested"),
        ClockChange::Pause
    );
    assert_eq!(
        wf.clock_change("info_requested", "assigned"),
        ClockChange::Resume
    );
    assert_eq!(wf.clock_change("draft", "submitted"), ClockChange::Start);
    assert_eq!(wf.clock_change("assigned", "answered"), ClockChange::Stop);
}

#[test]
fn drafts_are_private_to_their_filer() {
    let (muni, dept, _, _) = ids();
    let draft = CaseFacts {
        state: "draft",
        filer_org_id: muni,
        holder_org_id: None,
        assignee_id: None,
        submitted: false,
    };
    assert!(!Scope::Everything.can_see(&draft));
    assert!(Scope::FiledBy(muni).can_see(&draft));
    assert!(!Scope::Department {
        org_id: dept,
        user_id: Uuid::nil()
    }
    .can_see(&draft));
}

#[test]
fn invalid_definitions_are_refused() {
    let mut wf = municipal_request();
    wf.transitions.push(tr(
        "x",
        &["nowhere"],
        "draft",
        &[Role::Admin],
        Party::Registry,
        &[],
    ));
    assert!(wf.validate().is_err());
    let mut wf = municipal_request();
    wf.transitions.push(tr(
        "x",
        &["closed"],
        "draft",
        &[Role::Admin],
        Party::Registry,
        &[],
    ));
    assert!(wf.validate().is_err(), "no way back to the initial state");
    let mut wf = municipal_request();
    wf.states.push(wf.states[0].clone());
    assert!(wf.validate().is_err());
}

#[test]
fn the_shipped_workflows_declare_what_their_moves_do() {
    let req = municipal_request();
    assert_eq!(req.filing_move().unwrap().action, "submit");
    assert_eq!(req.withdrawal_from("assigned").unwrap().action, "withdraw");
    assert!(req.withdrawal_from("answered").is_none());
    assert_eq!(req.auto_route_from("submitted").unwrap().action, "route");
    assert!(req.auto_route_from("routed").is_none());
    let answer = req.transition("assigned", "answer").unwrap();
    assert!(answer.carries_file && req.closes_to_files("assigned", answer));
    assert_eq!(answer.prompt, Prompt::Answer);
    assert!(!req.terminates(answer));
    let reject = req.transition("submitted", "reject").unwrap();
    assert!(req.terminates(reject) && req.closes_to_files("submitted", reject));
    let ack = req.transition("answered", "acknowledge").unwrap();
    assert!(!req.closes_to_files("answered", ack));
    assert!(req.may_file(Role::MunicipalClerk) && !req.may_file(Role::Officer));

    let memo = internal_memo();
    assert_eq!(memo.audience, Audience::Internal);
    assert_eq!(memo.filing_move().unwrap().action, "send");
    assert!(memo.auto_route_from("routed").is_none());
    assert!(memo.may_file(Role::Officer) && !memo.may_file(Role::MunicipalClerk));

    let r = Registry::builtin();
    assert_eq!(
        r.default_for(Audience::Public).unwrap().code,
        "municipal_request"
    );
    assert_eq!(
        r.default_for(Audience::Internal).unwrap().code,
        "internal_memo"
    );
    let open = r.open_states();
    for s in ["submitted", "routed", "assigned", "info_requested"] {
        assert!(open.iter().any(|o| o == s), "{s}");
    }
    for s in ["draft", "answered", "closed", "rejected", "withdrawn"] {
        assert!(!open.iter().any(|o| o == s), "{s}");
    }
}

/// A workflow written as JSON, as a configuration would hold it.
fn permit_json() -> serde_json::Value {
    serde_json::json!({
        "code": "permit",
        "initial": "opened",
        "audience": "public",
        "states": [
            {"code": "opened", "clock": "not_started", "with_filer": true},
            {"code": "lodged", "clock": "running"},
            {"code": "refused", "clock": "stopped", "terminated": true},
            {"code": "granted", "clock": "stopped"}
        ],
        "transitions": [
            {"action": "lodge", "from": ["opened"], "to": "lodged",
             "roles": ["municipal_clerk"], "party": "filer",
             "notifies": [{"kind": "routed", "to": "registry"}]},
            {"action": "grant", "from": ["lodged"], "to": "granted",
             "roles": ["registry_clerk"], "party": "registry",
             "needs": ["message"], "prompt": "answer", "carries_file": true},
            {"action": "refuse", "from": ["lodged"], "to": "refused",
             "roles": ["registry_clerk"], "party": "registry",
             "needs": ["message"], "message_visibility": "internal"}
        ]
    })
}

#[test]
fn a_workflow_defined_as_data_registers_once() {
    let wf: Workflow = serde_json::from_value(permit_json()).unwrap();
    assert_eq!(wf.filing_move().unwrap().action, "lodge");
    assert_eq!(
        wf.transition("lodged", "refuse")
            .unwrap()
            .message_visibility,
        Visibility::Internal
    );
    let mut r = Registry::builtin();
    r.register(wf.clone()).unwrap();
    assert_eq!(r.get("permit"), Some(&wf));
    assert_eq!(
        r.default_for(Audience::Public).unwrap().code,
        "municipal_request",
        "the shipped workflows stay the defaults"
    );
    assert!(r.states().iter().any(|s| s.code == "lodged"));
    assert!(r.open_states().iter().any(|s| s == "lodged"));
    assert_eq!(
        r.register(wf).unwrap_err().details[0].1,
        Reason::WorkflowDuplicate
    );
    let mut shipped = municipal_request();
    shipped.transitions.pop();
    assert!(
        Registry::with([shipped]).is_err(),
        "a shipped code is taken"
    );
}

#[test]
fn incoherent_data_is_refused() {
    let reason = |v: serde_json::Value| {
        let wf: Workflow = serde_json::from_value(v).unwrap();
        wf.validate().unwrap_err().details[0].1
    };
    let mut v = permit_json();
    v["states"][0]["clock"] = "running".into();
    assert_eq!(reason(v), Reason::WorkflowInitialStateStarted);
    let mut v = permit_json();
    v["states"][1]["terminated"] = true.into();
    assert_eq!(reason(v), Reason::WorkflowTerminatedStateOpen);
    let mut v = permit_json();
    v["transitions"][0]["to"] = "refused".into();
    assert_eq!(reason(v), Reason::WorkflowNoFilingMove);
    let mut v = permit_json();
    v["transitions"][1]["auto_route"] = true.into();
    assert_eq!(reason(v), Reason::WorkflowAutoRouteInvalid);
    let mut v = permit_json();
    v["transitions"][1]["action"] = "Grant it".into();
    assert_eq!(reason(v), Reason::WorkflowCodeInvalid);
    let mut v = permit_json();
    v["transitions"][0]["notifies"][0]["kind"] = "".into();
    assert_eq!(reason(v), Reason::WorkflowTransitionIncomplete);
}

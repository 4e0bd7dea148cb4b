//! Tests of `workflow`, kept beside it so that the module stays readable.

use super::*;
use crate::Reason;
use proptest::prelude::*;

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

// ------------------------------------------------------------------
// The moves of the shipped workflows, written out here independently
// of their definitions, and the rules of who sees a case and who acts
// for which party, written out again. The engine must accept exactly
// the moves this table and these rules allow.

/// From which state, which action, to which state, by which roles, for which party.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [Role],
    Party,
);

const MUNI: &[Role] = &[Role::MunicipalClerk, Role::MunicipalHead];
const STAFF: &[Role] = &[Role::Officer, Role::DepartmentHead];
const HEAD: &[Role] = &[Role::DepartmentHead];
const REGISTRY: &[Role] = &[Role::RegistryClerk, Role::Admin];

const MUNICIPAL_REQUEST_TABLE: &[Row] = &[
    ("draft", "submit", "submitted", MUNI, Party::Filer),
    ("draft", "withdraw", "withdrawn", MUNI, Party::Filer),
    ("submitted", "route", "routed", REGISTRY, Party::Registry),
    ("submitted", "reject", "rejected", REGISTRY, Party::Registry),
    ("submitted", "withdraw", "withdrawn", MUNI, Party::Filer),
    ("routed", "assign", "assigned", HEAD, Party::Holder),
    ("routed", "forward", "routed", STAFF, Party::Assignee),
    ("routed", "reject", "rejected", STAFF, Party::Assignee),
    ("routed", "withdraw", "withdrawn", MUNI, Party::Filer),
    ("assigned", "assign", "assigned", HEAD, Party::Holder),
    (
        "assigned",
        "request_info",
        "info_requested",
        STAFF,
        Party::Assignee,
    ),
    ("assigned", "forward", "routed", STAFF, Party::Assignee),
    ("assigned", "answer", "answered", STAFF, Party::Assignee),
    ("assigned", "reject", "rejected", STAFF, Party::Assignee),
    ("assigned", "withdraw", "withdrawn", MUNI, Party::Filer),
    ("info_requested", "reply", "assigned", MUNI, Party::Filer),
    (
        "info_requested",
        "withdraw",
        "withdrawn",
        MUNI,
        Party::Filer,
    ),
    ("answered", "acknowledge", "closed", MUNI, Party::Filer),
];

const INTERNAL_MEMO_TABLE: &[Row] = &[
    ("draft", "send", "routed", STAFF, Party::Filer),
    ("draft", "withdraw", "withdrawn", STAFF, Party::Filer),
    ("routed", "assign", "assigned", HEAD, Party::Holder),
    ("routed", "forward", "routed", STAFF, Party::Assignee),
    ("routed", "answer", "answered", STAFF, Party::Assignee),
    ("routed", "withdraw", "withdrawn", STAFF, Party::Filer),
    ("assigned", "assign", "assigned", HEAD, Party::Holder),
    (
        "assigned",
        "request_info",
        "info_requested",
        STAFF,
        Party::Assignee,
    ),
    ("assigned", "forward", "routed", STAFF, Party::Assignee),
    ("assigned", "answer", "answered", STAFF, Party::Assignee),
    ("assigned", "withdraw", "withdrawn", STAFF, Party::Filer),
    ("info_requested", "reply", "assigned", STAFF, Party::Filer),
    (
        "info_requested",
        "withdraw",
        "withdrawn",
        STAFF,
        Party::Filer,
    ),
    ("answered", "acknowledge", "closed", STAFF, Party::Filer),
];

/// Every action anyone might try, the shipped ones and others.
const ACTIONS: &[&str] = &[
    "submit",
    "send",
    "route",
    "assign",
    "request_info",
    "reply",
    "forward",
    "answer",
    "reject",
    "withdraw",
    "acknowledge",
    "close",
    "reopen",
    "delete",
    "",
];

fn table(code: &str) -> &'static [Row] {
    match code {
        "municipal_request" => MUNICIPAL_REQUEST_TABLE,
        "internal_memo" => INTERNAL_MEMO_TABLE,
        other => panic!("no table for {other}"),
    }
}

/// Who may see a case, written out again.
fn sees(a: &Actor, c: &CaseFacts<'_>) -> bool {
    match a.role {
        Role::Admin | Role::RegistryClerk | Role::Auditor => c.submitted,
        Role::MunicipalClerk | Role::MunicipalHead => c.filer_org_id == a.org_id,
        Role::Officer | Role::DepartmentHead => {
            c.filer_org_id == a.org_id
                || (c.submitted
                    && (c.holder_org_id == Some(a.org_id) || c.assignee_id == Some(a.user_id)))
        }
    }
}

/// Who acts for a party, written out again.
fn acts_for(p: Party, a: &Actor, c: &CaseFacts<'_>) -> bool {
    let holds = c.holder_org_id == Some(a.org_id);
    match p {
        Party::Filer => c.filer_org_id == a.org_id,
        Party::Registry => a.role == Role::RegistryClerk || a.role == Role::Admin,
        Party::Holder => holds,
        Party::Assignee => {
            holds && (c.assignee_id == Some(a.user_id) || a.role == Role::DepartmentHead)
        }
    }
}

/// The moves the table allows `a` on `c`: action → target state.
fn allowed(
    rows: &[Row],
    a: &Actor,
    c: &CaseFacts<'_>,
) -> std::collections::BTreeMap<&'static str, &'static str> {
    if !sees(a, c) || a.role == Role::Auditor {
        return Default::default();
    }
    rows.iter()
        .filter(|(from, _, _, roles, party)| {
            *from == c.state && roles.contains(&a.role) && acts_for(*party, a, c)
        })
        .map(|(_, action, to, _, _)| (*action, *to))
        .collect()
}

/// Checks every action on one case against the table: accepted exactly
/// when the table allows it, leading where the table says, and refused
/// with the error the table implies otherwise.
fn check_against_table(wf: &Workflow, a: &Actor, c: &CaseFacts<'_>) -> Result<(), String> {
    let rows = table(&wf.code);
    let want = allowed(rows, a, c);
    for action in ACTIONS {
        let got = wf.authorize(a, c, action);
        match (got, want.get(action)) {
            (Ok(t), Some(to)) if t.to == *to && t.action == *action => {}
            (Ok(t), want_to) => {
                return Err(format!(
                    "{} accepted {action} to {} for {a:?} on {c:?}; the table says {want_to:?}",
                    wf.code, t.to
                ))
            }
            (Err(e), Some(_)) => {
                return Err(format!(
                    "{} refused {action} ({:?}) for {a:?} on {c:?}; the table allows it",
                    wf.code, e.code
                ))
            }
            (Err(e), None) => {
                let expected = if !sees(a, c) {
                    ErrorCode::NotFound
                } else if !rows.iter().any(|r| r.0 == c.state && r.1 == *action) {
                    ErrorCode::InvalidTransition
                } else {
                    ErrorCode::Forbidden
                };
                if e.code != expected {
                    return Err(format!(
                        "{} refused {action} with {:?} for {a:?} on {c:?}; expected {expected:?}",
                        wf.code, e.code
                    ));
                }
            }
        }
    }
    let available: Vec<&str> = wf
        .available(a, c)
        .iter()
        .map(|t| t.action.as_str())
        .collect();
    let expected: Vec<&str> = want.keys().copied().collect();
    let mut sorted = available.clone();
    sorted.sort_unstable();
    if sorted != expected {
        return Err(format!(
            "{} offers {available:?} to {a:?} on {c:?}; the table allows {expected:?}",
            wf.code
        ));
    }
    Ok(())
}

#[test]
fn the_tables_list_every_move_of_the_definitions() {
    for code in BUILTIN_WORKFLOWS {
        let wf = builtin(code).unwrap();
        let mut defined: Vec<(String, String, String, Vec<Role>, Party)> = Vec::new();
        for t in &wf.transitions {
            for f in &t.from {
                defined.push((
                    f.clone(),
                    t.action.clone(),
                    t.to.clone(),
                    t.roles.clone(),
                    t.party,
                ));
            }
        }
        let mut written: Vec<_> = table(code)
            .iter()
            .map(|(f, a, to, roles, p)| {
                (
                    f.to_string(),
                    a.to_string(),
                    to.to_string(),
                    roles.to_vec(),
                    *p,
                )
            })
            .collect();
        defined.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        written.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
        assert_eq!(defined, written, "{code}");
    }
}

const ACTOR_ORG: u128 = 20;
const ACTOR_USER: u128 = 10;

/// One case as the property and the exhaustive check build it.
fn facts_for(
    state: &str,
    filer_is_actor: bool,
    holder: u8,
    assignee: u8,
    submitted: bool,
) -> CaseFacts<'_> {
    let pick = |which: u8, actor: u128, other: u128| match which {
        0 => None,
        1 => Some(Uuid::from_u128(actor)),
        _ => Some(Uuid::from_u128(other)),
    };
    CaseFacts {
        state,
        filer_org_id: Uuid::from_u128(if filer_is_actor { ACTOR_ORG } else { 30 }),
        holder_org_id: pick(holder, ACTOR_ORG, 40),
        assignee_id: pick(assignee, ACTOR_USER, 50),
        submitted,
    }
}

#[test]
fn every_combination_matches_the_tables() {
    for code in BUILTIN_WORKFLOWS {
        let wf = builtin(code).unwrap();
        for s in &wf.states {
            for role in Role::ALL {
                let a = Actor {
                    user_id: Uuid::from_u128(ACTOR_USER),
                    role,
                    org_id: Uuid::from_u128(ACTOR_ORG),
                };
                for filer in [false, true] {
                    for holder in 0..3 {
                        for assignee in 0..3 {
                            for submitted in [false, true] {
                                let c = facts_for(&s.code, filer, holder, assignee, submitted);
                                check_against_table(&wf, &a, &c).unwrap();
                            }
                        }
                    }
                }
            }
        }
    }
}

fn any_role() -> impl Strategy<Value = Role> {
    proptest::sample::select(Role::ALL.to_vec())
}

proptest! {
    /// Whatever anyone tries on whatever case, the engine accepts exactly
    /// the moves the independent table allows, leading where it says.
    #[test]
    fn accepted_moves_are_exactly_those_of_the_table(
        wf_i in 0usize..2,
        state_i in 0usize..9,
        role in any_role(),
        filer_is_actor in any::<bool>(),
        holder in 0u8..3,
        assignee in 0u8..3,
        submitted in any::<bool>(),
    ) {
        let wf = builtin(BUILTIN_WORKFLOWS[wf_i]).unwrap();
        let state = &wf.states[state_i % wf.states.len()].code;
        let actor = Actor {
            user_id: Uuid::from_u128(ACTOR_USER),
            role,
            org_id: Uuid::from_u128(ACTOR_ORG),
        };
        // A draft is never submitted; any other state may be reached either way.
        let submitted = submitted && *state != wf.initial;
        let case = facts_for(state, filer_is_actor, holder, assignee, submitted);
        if let Err(e) = check_against_table(&wf, &actor, &case) {
            prop_assert!(false, "{}", e);
        }
    }
}

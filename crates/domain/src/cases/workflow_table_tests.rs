//! The moves of the shipped workflows, written out here independently of
//! their definitions, and the rules of who sees a case and who acts for
//! which party, written out again: the engine must accept exactly the moves
//! this table and these rules allow. Tests of `workflow`, beside
//! `workflow_tests.rs`.

use super::*;
use proptest::prelude::*;

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
        // Staff of a department, whatever else they do.
        Role::Officer | Role::DepartmentHead | Role::InquiryManager | Role::CallCentreAgent => {
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

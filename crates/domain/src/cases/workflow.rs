//! The generic case engine's rules.
//!
//! A [`Workflow`] names the states a case can be in, and the transitions
//! between them: which action moves a case from which states to which state,
//! which roles may perform it, for which party (the filer, the ministry's
//! registry, the holding department, the assignee) and what the action needs
//! (a department, an assignee, a message). Each case type of the catalogue
//! points at one workflow; municipality requests and internal memos are two
//! workflows, and citizen e-services, fine appeals and call-centre tickets are
//! meant to be further ones. The engine never moves a case along a transition
//! its workflow does not define.

use crate::{DomainError, ErrorCode, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the deadline clock does while a case is in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Not started yet (a draft).
    NotStarted,
    /// Counting working days towards the due date.
    Running,
    /// Waiting on the filer: the remaining working days are kept aside.
    Paused,
    /// The case is finished; no deadline applies.
    Stopped,
}

impl Clock {
    pub fn as_str(self) -> &'static str {
        match self {
            Clock::NotStarted => "not_started",
            Clock::Running => "running",
            Clock::Paused => "paused",
            Clock::Stopped => "stopped",
        }
    }
}

impl std::str::FromStr for Clock {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Clock::NotStarted,
            Clock::Running,
            Clock::Paused,
            Clock::Stopped,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
        .ok_or_else(|| DomainError::invalid("clock", "clock-unknown"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDef {
    pub code: String,
    pub clock: Clock,
    /// The case waits on its filer in this state (it shows in the filer's queue).
    #[serde(default)]
    pub with_filer: bool,
}

/// On whose behalf a transition is performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// Someone of the organization that filed the case.
    Filer,
    /// The ministry's registry (registry clerks and administrators).
    Registry,
    /// Someone of the organization holding the case now.
    Holder,
    /// The assigned officer, or a head of the holding organization.
    Assignee,
}

/// What a transition needs besides the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Needs {
    /// A target department (route, forward, send a memo).
    Department,
    /// An officer of the holding department.
    Assignee,
    /// A public message to the filer (a question, a reply, the answer, a reason).
    Message,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionDef {
    pub action: String,
    pub from: Vec<String>,
    pub to: String,
    pub roles: Vec<Role>,
    pub party: Party,
    #[serde(default)]
    pub needs: Vec<Needs>,
}

impl TransitionDef {
    pub fn needs(&self, n: Needs) -> bool {
        self.needs.contains(&n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    pub code: String,
    pub initial: String,
    pub states: Vec<StateDef>,
    pub transitions: Vec<TransitionDef>,
}

/// How a transition changes the deadline clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    None,
    Start,
    Pause,
    Resume,
    Stop,
}

/// Who is acting: a person with one role, acting for one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    pub org_id: Uuid,
}

/// The facts about a case that decide who may see it and act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    pub state: &'a str,
    pub filer_org_id: Uuid,
    pub holder_org_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub submitted: bool,
}

/// Which cases an actor may see. Queries in the store apply the same rule in
/// SQL; [`Scope::can_see`] applies it to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every submitted case (administrators, the registry, auditors).
    Everything,
    /// Cases filed by this organization, drafts included (municipal staff).
    FiledBy(Uuid),
    /// Cases held by this department or filed by it, and cases assigned to this user.
    Department { org_id: Uuid, user_id: Uuid },
}

impl Scope {
    pub fn for_actor(a: &Actor) -> Scope {
        if a.role.sees_everything() {
            Scope::Everything
        } else if a.role.is_municipal() {
            Scope::FiledBy(a.org_id)
        } else {
            Scope::Department {
                org_id: a.org_id,
                user_id: a.user_id,
            }
        }
    }

    pub fn can_see(&self, c: &CaseFacts<'_>) -> bool {
        match *self {
            Scope::Everything => c.submitted,
            Scope::FiledBy(org) => c.filer_org_id == org,
            Scope::Department { org_id, user_id } => {
                c.filer_org_id == org_id
                    || (c.submitted
                        && (c.holder_org_id == Some(org_id) || c.assignee_id == Some(user_id)))
            }
        }
    }
}

impl Workflow {
    pub fn state(&self, code: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.code == code)
    }

    /// Checks that the definition is coherent: states are unique, the initial
    /// state exists, every transition names known states and at least one role.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |why: &str| DomainError::invalid("workflow", why);
        for (i, s) in self.states.iter().enumerate() {
            if self.states[..i].iter().any(|o| o.code == s.code) {
                return Err(bad("workflow-duplicate-state"));
            }
        }
        let initial = self
            .state(&self.initial)
            .ok_or_else(|| bad("workflow-unknown-state"))?;
        if initial.clock != Clock::NotStarted {
            return Err(bad("workflow-initial-state-started"));
        }
        for t in &self.transitions {
            if t.roles.is_empty() || t.from.is_empty() {
                return Err(bad("workflow-transition-incomplete"));
            }
            if self.state(&t.to).is_none() || t.from.iter().any(|f| self.state(f).is_none()) {
                return Err(bad("workflow-unknown-state"));
            }
            if t.to == self.initial {
                return Err(bad("workflow-transition-to-initial"));
            }
        }
        Ok(())
    }

    /// A state no transition leaves: a case there is finished for good.
    pub fn is_final(&self, state: &str) -> bool {
        !self
            .transitions
            .iter()
            .any(|t| t.from.iter().any(|f| f == state))
    }

    /// The transition `action` from `state`, if the workflow defines one.
    pub fn transition(&self, state: &str, action: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.action == action && t.from.iter().any(|f| f == state))
    }

    /// Decides whether `actor` may perform `action` on a case. Returns the
    /// transition to apply, or the error to report: `not_found` when the actor
    /// may not even see the case, `invalid_transition` when the workflow has no
    /// such move from the current state, `forbidden` when the move exists but
    /// is not this actor's to make.
    pub fn authorize(
        &self,
        actor: &Actor,
        case: &CaseFacts<'_>,
        action: &str,
    ) -> Result<&TransitionDef, DomainError> {
        if !Scope::for_actor(actor).can_see(case) {
            return Err(DomainError::not_found());
        }
        let t = self
            .transition(case.state, action)
            .ok_or_else(|| DomainError::new(ErrorCode::InvalidTransition).with("action", action))?;
        if actor.role.is_read_only()
            || !t.roles.contains(&actor.role)
            || !self.is_party(t.party, actor, case)
        {
            return Err(DomainError::forbidden());
        }
        Ok(t)
    }

    /// The actions `actor` may perform on a case now, in definition order.
    pub fn available<'w>(&'w self, actor: &Actor, case: &CaseFacts<'_>) -> Vec<&'w TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f == case.state))
            .filter(|t| {
                self.authorize(actor, case, &t.action)
                    .is_ok_and(|ok| std::ptr::eq(ok, *t))
            })
            .collect()
    }

    fn is_party(&self, party: Party, actor: &Actor, case: &CaseFacts<'_>) -> bool {
        match party {
            Party::Filer => case.filer_org_id == actor.org_id,
            Party::Registry => matches!(actor.role, Role::RegistryClerk | Role::Admin),
            Party::Holder => case.holder_org_id == Some(actor.org_id),
            Party::Assignee => {
                case.holder_org_id == Some(actor.org_id)
                    && (case.assignee_id == Some(actor.user_id)
                        || actor.role == Role::DepartmentHead)
            }
        }
    }

    /// How moving from `from` to `to` changes the deadline clock.
    pub fn clock_change(&self, from: &str, to: &str) -> ClockChange {
        let (Some(a), Some(b)) = (self.state(from), self.state(to)) else {
            return ClockChange::None;
        };
        match (a.clock, b.clock) {
            (Clock::NotStarted, Clock::Running) => ClockChange::Start,
            (Clock::Running, Clock::Paused) => ClockChange::Pause,
            (Clock::Paused, Clock::Running) => ClockChange::Resume,
            (x, Clock::Stopped) if x != Clock::Stopped => ClockChange::Stop,
            _ => ClockChange::None,
        }
    }
}

fn st(code: &str, clock: Clock, with_filer: bool) -> StateDef {
    StateDef {
        code: code.into(),
        clock,
        with_filer,
    }
}

fn tr(
    action: &str,
    from: &[&str],
    to: &str,
    roles: &[Role],
    party: Party,
    needs: &[Needs],
) -> TransitionDef {
    TransitionDef {
        action: action.into(),
        from: from.iter().map(|s| (*s).into()).collect(),
        to: to.into(),
        roles: roles.to_vec(),
        party,
        needs: needs.to_vec(),
    }
}

/// The workflow of a municipality's request to the ministry.
pub fn municipal_request() -> Workflow {
    use Needs as N;
    use Party::*;
    use Role::*;
    let muni = [MunicipalClerk, MunicipalHead];
    let dept = [Officer, DepartmentHead];
    Workflow {
        code: "municipal_request".into(),
        initial: "draft".into(),
        states: vec![
            st("draft", Clock::NotStarted, true),
            st("submitted", Clock::Running, false),
            st("routed", Clock::Running, false),
            st("assigned", Clock::Running, false),
            st("info_requested", Clock::Paused, true),
            st("answered", Clock::Stopped, true),
            st("rejected", Clock::Stopped, false),
            st("withdrawn", Clock::Stopped, false),
            st("closed", Clock::Stopped, false),
        ],
        transitions: vec![
            tr("submit", &["draft"], "submitted", &muni, Filer, &[]),
            tr(
                "route",
                &["submitted"],
                "routed",
                &[RegistryClerk, Admin],
                Registry,
                &[N::Department],
            ),
            tr(
                "assign",
                &["routed", "assigned"],
                "assigned",
                &[DepartmentHead],
                Holder,
                &[N::Assignee],
            ),
            tr(
                "request_info",
                &["assigned"],
                "info_requested",
                &dept,
                Assignee,
                &[N::Message],
            ),
            tr(
                "reply",
                &["info_requested"],
                "assigned",
                &muni,
                Filer,
                &[N::Message],
            ),
            tr(
                "forward",
                &["routed", "assigned"],
                "routed",
                &dept,
                Assignee,
                &[N::Department],
            ),
            tr(
                "answer",
                &["assigned"],
                "answered",
                &dept,
                Assignee,
                &[N::Message],
            ),
            tr(
                "reject",
                &["routed", "assigned"],
                "rejected",
                &dept,
                Assignee,
                &[N::Message],
            ),
            tr(
                "reject",
                &["submitted"],
                "rejected",
                &[RegistryClerk, Admin],
                Registry,
                &[N::Message],
            ),
            tr(
                "withdraw",
                &["draft", "submitted", "routed", "assigned", "info_requested"],
                "withdrawn",
                &muni,
                Filer,
                &[],
            ),
            tr("acknowledge", &["answered"], "closed", &muni, Filer, &[]),
        ],
    }
}

/// The workflow of an internal memo from one ministry department to another.
pub fn internal_memo() -> Workflow {
    use Needs as N;
    use Party::*;
    use Role::*;
    let staff = [Officer, DepartmentHead];
    Workflow {
        code: "internal_memo".into(),
        initial: "draft".into(),
        states: vec![
            st("draft", Clock::NotStarted, true),
            st("routed", Clock::Running, false),
            st("assigned", Clock::Running, false),
            st("info_requested", Clock::Paused, true),
            st("answered", Clock::Stopped, true),
            st("withdrawn", Clock::Stopped, false),
            st("closed", Clock::Stopped, false),
        ],
        transitions: vec![
            tr(
                "send",
                &["draft"],
                "routed",
                &staff,
                Filer,
                &[N::Department],
            ),
            tr(
                "assign",
                &["routed", "assigned"],
                "assigned",
                &[DepartmentHead],
                Holder,
                &[N::Assignee],
            ),
            tr(
                "request_info",
                &["assigned"],
                "info_requested",
                &staff,
                Assignee,
                &[N::Message],
            ),
            tr(
                "reply",
                &["info_requested"],
                "assigned",
                &staff,
                Filer,
                &[N::Message],
            ),
            tr(
                "forward",
                &["routed", "assigned"],
                "routed",
                &staff,
                Assignee,
                &[N::Department],
            ),
            tr(
                "answer",
                &["routed", "assigned"],
                "answered",
                &staff,
                Assignee,
                &[N::Message],
            ),
            tr(
                "withdraw",
                &["draft", "routed", "assigned", "info_requested"],
                "withdrawn",
                &staff,
                Filer,
                &[],
            ),
            tr("acknowledge", &["answered"], "closed", &staff, Filer, &[]),
        ],
    }
}

/// The workflows Diwan ships, by code.
pub fn builtin(code: &str) -> Option<Workflow> {
    match code {
        "municipal_request" => Some(municipal_request()),
        "internal_memo" => Some(internal_memo()),
        _ => None,
    }
}

/// The codes of the shipped workflows.
pub const BUILTIN_WORKFLOWS: [&str; 2] = ["municipal_request", "internal_memo"];

#[cfg(test)]
mod tests {
    use super::*;
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

    fn any_role() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::ALL.to_vec())
    }

    proptest! {
        /// Whatever anyone tries, an accepted action is one the workflow defines
        /// from the current state, for the actor's role, and leads where it says.
        #[test]
        fn no_transition_outside_the_definition(
            wf_i in 0usize..2,
            state_i in 0usize..9,
            action in proptest::sample::select(vec!["submit", "send", "route", "assign", "request_info", "reply", "forward", "answer", "reject", "withdraw", "acknowledge", "close", "reopen", "delete", ""]),
            role in any_role(),
            same_org in any::<bool>(),
            holder_is_actor in any::<bool>(),
            assignee_is_actor in any::<bool>(),
        ) {
            let wf = builtin(BUILTIN_WORKFLOWS[wf_i]).unwrap();
            let state = &wf.states[state_i % wf.states.len()].code;
            let actor = Actor { user_id: Uuid::from_u128(10), role, org_id: Uuid::from_u128(20) };
            let case = CaseFacts {
                state,
                filer_org_id: if same_org { actor.org_id } else { Uuid::from_u128(30) },
                holder_org_id: Some(if holder_is_actor { actor.org_id } else { Uuid::from_u128(40) }),
                assignee_id: assignee_is_actor.then_some(actor.user_id),
                submitted: state != "draft",
            };
            if let Ok(t) = wf.authorize(&actor, &case, action) {
                prop_assert!(t.from.iter().any(|f| f == state));
                prop_assert_eq!(&t.action, action);
                prop_assert!(t.roles.contains(&role));
                prop_assert!(!role.is_read_only());
                prop_assert!(wf.state(&t.to).is_some());
                prop_assert!(!wf.is_final(state));
            }
        }
    }
}

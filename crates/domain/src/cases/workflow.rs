//! The generic case engine's rules.
//!
//! A [`Workflow`] names the states a case can be in, and the transitions
//! between them: which action moves a case from which states to which state,
//! which roles may perform it, for which party (the filer, the ministry's
//! registry, the holding department, the assignee) and what the action needs
//! (a department, an assignee, a message). Everything else the engine, the
//! pages and the GovStack adapter do with a move is declared here as well:
//! whom it notifies, whether a file goes with it, who reads its message and
//! what its message box asks for; each state declares what the deadline clock
//! does in it and whether a case that ends there was carried through. Each
//! case type of the catalogue points at one workflow of a [`Registry`];
//! municipality requests and internal memos are the two shipped workflows,
//! and citizen e-services, fine appeals and call-centre tickets are meant to
//! be further ones, defined as data. The engine never moves a case along a
//! transition its workflow does not define.

use crate::Reason;
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
        .ok_or_else(|| DomainError::invalid("clock", Reason::ClockUnknown))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDef {
    pub code: String,
    pub clock: Clock,
    /// The case waits on its filer in this state (it shows in the filer's queue).
    #[serde(default)]
    pub with_filer: bool,
    /// A case that ends here was not carried through: it was refused or
    /// given up. Only a state whose clock is stopped can say so.
    #[serde(default)]
    pub terminated: bool,
}

impl StateDef {
    /// Whether a case in this state is still being worked on: its deadline
    /// clock runs or waits on the filer.
    pub fn is_open(&self) -> bool {
        matches!(self.clock, Clock::Running | Clock::Paused)
    }
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
    /// A message to go with the move (a question, a reply, the answer, a reason).
    Message,
}

/// Who is told of a move, once it is made. The one who made it is never
/// told of their own move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    /// The officer the case is assigned to now.
    Assignee,
    /// The heads of the department holding the case now.
    DepartmentHeads,
    /// The clerks of the ministry's registry.
    Registry,
    /// Whoever holds the case on the ministry's side: its assignee, or else
    /// the heads of the holding department, or else the registry's clerks.
    Holders,
    /// The active staff of the organization that filed the case.
    Filer,
}

/// One notification a move sends: its kind (which names the notification's
/// text, `notification-<kind>`) and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: String,
    pub to: Recipients,
}

/// Who may read the message that goes with a move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone who may see the case, the filer included.
    #[default]
    Public,
    /// Ministry staff only, like an internal note.
    Internal,
}

/// What the message of a move is, which is what its box asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// A message: a question, a reply, a note for the next holder.
    #[default]
    Message,
    /// The text of the answer.
    Answer,
    /// The reason for a refusal or a withdrawal.
    Reason,
}

/// Who files the cases of a workflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Organizations outside the ministry file them (municipalities'
    /// requests); a GovStack "Public" process.
    #[default]
    Public,
    /// Ministry staff file them for one another (internal memos); a
    /// GovStack "Private" process.
    Internal,
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
    /// The notifications the move sends.
    #[serde(default)]
    pub notifies: Vec<Notice>,
    /// A file may go with the move: its form offers one.
    #[serde(default)]
    pub carries_file: bool,
    /// Who may read the move's message.
    #[serde(default)]
    pub message_visibility: Visibility,
    /// What the move's message is.
    #[serde(default)]
    pub prompt: Prompt,
    /// The system makes this move by itself, to the case type's default
    /// department, right after a case of a type that routes itself is filed.
    #[serde(default)]
    pub auto_route: bool,
}

impl TransitionDef {
    pub fn needs(&self, n: Needs) -> bool {
        self.needs.contains(&n)
    }

    /// The move also sends a notification of `kind` to `to`.
    pub fn notify(mut self, kind: &str, to: Recipients) -> Self {
        self.notifies.push(Notice {
            kind: kind.into(),
            to,
        });
        self
    }

    /// A file may go with the move.
    pub fn with_file(mut self) -> Self {
        self.carries_file = true;
        self
    }

    /// The move's message asks for `p`.
    pub fn asking(mut self, p: Prompt) -> Self {
        self.prompt = p;
        self
    }

    /// Only ministry staff read the move's message.
    pub fn internal_message(mut self) -> Self {
        self.message_visibility = Visibility::Internal;
        self
    }

    /// The system makes the move right after filing, for types that route themselves.
    pub fn automatic(mut self) -> Self {
        self.auto_route = true;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    pub code: String,
    /// The state a case is created in: a draft, private to its filer.
    pub initial: String,
    /// Who files cases of this workflow.
    #[serde(default)]
    pub audience: Audience,
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

/// Whether `code` may name a workflow, a state or an action: lower-case
/// ASCII letters, digits and underscores, starting with a letter. Codes go
/// into translation keys, audit actions and URLs as they are.
fn is_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && code.len() <= 64
}

impl Workflow {
    pub fn state(&self, code: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.code == code)
    }

    /// Checks that the definition is coherent: codes are well formed, states
    /// are unique, the initial state exists and its clock has not started,
    /// every transition names known states and at least one role, a
    /// terminated state has its clock stopped, a move the system makes by
    /// itself needs a department and nothing else, and the filer has a move
    /// that files a draft.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |why: Reason| DomainError::invalid("workflow", why);
        if !is_code(&self.code) {
            return Err(bad(Reason::WorkflowCodeInvalid));
        }
        for (i, s) in self.states.iter().enumerate() {
            if !is_code(&s.code) {
                return Err(bad(Reason::WorkflowCodeInvalid));
            }
            if self.states[..i].iter().any(|o| o.code == s.code) {
                return Err(bad(Reason::WorkflowDuplicateState));
            }
            if s.terminated && s.clock != Clock::Stopped {
                return Err(bad(Reason::WorkflowTerminatedStateOpen));
            }
        }
        let initial = self
            .state(&self.initial)
            .ok_or_else(|| bad(Reason::WorkflowUnknownState))?;
        if initial.clock != Clock::NotStarted {
            return Err(bad(Reason::WorkflowInitialStateStarted));
        }
        for t in &self.transitions {
            if !is_code(&t.action) {
                return Err(bad(Reason::WorkflowCodeInvalid));
            }
            if t.roles.is_empty()
                || t.from.is_empty()
                || t.notifies.iter().any(|n| !is_code(&n.kind))
            {
                return Err(bad(Reason::WorkflowTransitionIncomplete));
            }
            if self.state(&t.to).is_none() || t.from.iter().any(|f| self.state(f).is_none()) {
                return Err(bad(Reason::WorkflowUnknownState));
            }
            if t.to == self.initial {
                return Err(bad(Reason::WorkflowTransitionToInitial));
            }
            // The system names the case type's default department and
            // nothing else: no officer, no message.
            if t.auto_route
                && (!t.needs(Needs::Department)
                    || t.needs(Needs::Assignee)
                    || t.needs(Needs::Message))
            {
                return Err(bad(Reason::WorkflowAutoRouteInvalid));
            }
        }
        if self.filing_move().is_none() {
            return Err(bad(Reason::WorkflowNoFilingMove));
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

    /// Whether a case in `state` is a draft: not filed yet, private to its filer.
    pub fn is_draft(&self, state: &str) -> bool {
        state == self.initial
    }

    /// The transition `action` from `state`, if the workflow defines one.
    pub fn transition(&self, state: &str, action: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.action == action && t.from.iter().any(|f| f == state))
    }

    /// The move that files a draft: the filer's move out of the initial
    /// state that starts the deadline clock.
    pub fn filing_move(&self) -> Option<&TransitionDef> {
        self.transitions.iter().find(|t| {
            t.party == Party::Filer
                && t.from.contains(&self.initial)
                && self.clock_change(&self.initial, &t.to) == ClockChange::Start
        })
    }

    /// Whether someone with `role` may file a case of this workflow: the
    /// filer's first move is theirs to make.
    pub fn may_file(&self, role: Role) -> bool {
        self.transitions.iter().any(|t| {
            t.party == Party::Filer && t.from.contains(&self.initial) && t.roles.contains(&role)
        })
    }

    /// Whether `t` ends the case without carrying it through.
    pub fn terminates(&self, t: &TransitionDef) -> bool {
        self.state(&t.to).is_some_and(|s| s.terminated)
    }

    /// Whether `t`, made from `from`, closes the case to new files: a file
    /// that goes with such a move must be attached before it.
    pub fn closes_to_files(&self, from: &str, t: &TransitionDef) -> bool {
        self.clock_change(from, &t.to) == ClockChange::Stop
    }

    /// The filer's withdrawals: the moves by which the filer ends a case
    /// without it being carried through.
    pub fn withdrawals(&self) -> impl Iterator<Item = &TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.party == Party::Filer && self.terminates(t))
    }

    /// The filer's withdrawal from `state`, if there is one.
    pub fn withdrawal_from(&self, state: &str) -> Option<&TransitionDef> {
        self.withdrawals()
            .find(|t| t.from.iter().any(|f| f == state))
    }

    /// The move the system makes by itself from `state`, for a case type
    /// that routes itself.
    pub fn auto_route_from(&self, state: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.auto_route && t.from.iter().any(|f| f == state))
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
        let t = self.transition(case.state, action).ok_or_else(|| {
            DomainError::new(ErrorCode::InvalidTransition).with("action", Reason::MoveNotAvailable)
        })?;
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

    /// How moving from `from` to `to` changes the deadline clock: it follows
    /// from what the clock does in each of the two states.
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

#[path = "workflow_builtin.rs"]
mod builtin;
pub use builtin::{builtin, internal_memo, municipal_request, BUILTIN_WORKFLOWS};

#[path = "workflow_registry.rs"]
mod registry;
pub use registry::Registry;

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "workflow_table_tests.rs"]
mod table_tests;

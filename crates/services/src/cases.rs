//! The case engine's use cases: filing, moving cases along their workflow,
//! messages, reading, queues, search and dashboards.

use crate::audit::record;
use crate::notifications::notify;
use crate::organizations::{calendar_for, ministry, today_in};
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::cases::tracking::TrackingNumber;
use diwan_domain::cases::workflow::{
    self, CaseFacts, ClockChange, Needs, Prompt, Recipients, Registry, Scope, TransitionDef,
    Visibility, Workflow,
};
use diwan_domain::organizations::OrgKind;
use diwan_domain::text::normalize_for_search;
use diwan_domain::{DomainError, ErrorCode, Role};
use diwan_store::{
    Attachment, Case, CaseCount, CaseCounts, CaseEvent, CaseQuery, CaseRow, CaseType, Message,
    Organization, Tx,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 20_000;
const MAX_FIELDS_BYTES: usize = 16 * 1024;

/// A case as its author enters it.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub case_type_id: Uuid,
    pub subject: String,
    pub body: String,
    pub fields: Option<serde_json::Value>,
    /// File it at once instead of keeping a draft. Memos also need `department_id`.
    pub submit: bool,
    pub department_id: Option<Uuid>,
}

/// A move along the workflow, with what the transition needs.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub action: String,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub message: Option<String>,
}

/// An action the caller may take now, with what it needs and does, as its
/// workflow declares it.
#[derive(Debug, Clone, Serialize)]
pub struct AvailableAction {
    pub action: String,
    pub needs_department: bool,
    pub needs_assignee: bool,
    pub needs_message: bool,
    /// What the message box asks for.
    pub prompt: Prompt,
    /// A file may go with the move.
    pub carries_file: bool,
    /// The move closes the case to new files: a file that goes with it is
    /// attached first.
    pub file_first: bool,
    /// The move ends the case without carrying it through.
    pub terminates: bool,
    /// The move files a draft.
    pub files_draft: bool,
}

impl AvailableAction {
    /// What `t`, made from `state`, needs and does.
    fn of(wf: &Workflow, state: &str, t: &TransitionDef) -> AvailableAction {
        AvailableAction {
            action: t.action.clone(),
            needs_department: t.needs(Needs::Department),
            needs_assignee: t.needs(Needs::Assignee),
            needs_message: t.needs(Needs::Message),
            prompt: t.prompt,
            carries_file: t.carries_file,
            file_first: wf.closes_to_files(state, t),
            terminates: wf.terminates(t),
            files_draft: wf.is_draft(state),
        }
    }
}

/// Everything a person may see of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub case: Case,
    pub case_type: CaseType,
    pub events: Vec<CaseEvent>,
    pub messages: Vec<Message>,
    pub attachments: Vec<Attachment>,
    pub actions: Vec<AvailableAction>,
    /// The deadline clock waits on the filer.
    pub paused: bool,
    pub due_soon: bool,
    /// The caller may post public messages.
    pub can_message: bool,
    /// The caller may write internal notes (ministry staff only).
    pub can_note: bool,
    pub can_edit_draft: bool,
    /// The case is a draft: not filed yet.
    pub draft: bool,
    /// Display names of everyone who took part: filer, actors, authors, assignee.
    pub names: std::collections::BTreeMap<Uuid, String>,
}

/// What a queue or search asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub states: Vec<String>,
    pub case_type_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub due_soon: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    pub sort: diwan_store::SortKey,
    pub ascending: bool,
    pub after: Option<diwan_store::Cursor>,
    pub limit: Option<i64>,
}

/// A department's counts for the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentCounts {
    pub department: Organization,
    pub counts: CaseCounts,
}

pub(crate) fn facts(c: &Case) -> CaseFacts<'_> {
    CaseFacts {
        state: &c.state,
        filer_org_id: c.filer_org_id,
        holder_org_id: c.holder_org_id,
        assignee_id: c.assignee_id,
        submitted: c.submitted_at.is_some(),
    }
}

pub(crate) fn workflow_of(workflows: &Registry, ct: &CaseType) -> Result<Workflow> {
    workflows
        .get(&ct.workflow)
        .cloned()
        .ok_or_else(|| Error::Internal(format!("unknown workflow {}", ct.workflow)))
}

fn clean_text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    // NUL and other C0 controls (except line breaks and tabs) carry no
    // meaning in a letter and are refused by PostgreSQL's text type.
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(field, "field-invalid"));
    }
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 && min > 0 {
        return Err(Error::invalid(field, "field-required"));
    }
    if n < min {
        return Err(Error::invalid(field, "field-too-short"));
    }
    if n > max {
        return Err(Error::invalid(field, "field-too-long"));
    }
    Ok(s.to_owned())
}

/// Checks a case's field values against its type's declaration.
fn clean_fields(ct: &CaseType, v: Option<serde_json::Value>) -> Result<serde_json::Value> {
    let v = v.unwrap_or(serde_json::Value::Null);
    if v.to_string().len() > MAX_FIELDS_BYTES {
        return Err(Error::invalid("fields", "field-too-long"));
    }
    Ok(diwan_domain::cases::fields::validate(&ct.fields, &v)?)
}

fn search_text(c: &Case) -> String {
    normalize_for_search(&format!("{} {} {}", c.tracking_number, c.subject, c.body))
}

/// Loads a case the caller may see, or answers "not found" as if it did not exist.
async fn visible_case(
    tx: &mut dyn Tx,
    workflows: &Registry,
    caller: &Caller,
    id: Uuid,
) -> Result<(Case, CaseType, Workflow)> {
    let case = tx.get_case(id).await?.ok_or_else(Error::not_found)?;
    if !Scope::for_actor(&caller.actor()).can_see(&facts(&case)) {
        return Err(Error::not_found());
    }
    let ct = tx
        .get_case_type(case.case_type_id)
        .await?
        .ok_or_else(|| Error::Internal("case type missing".into()))?;
    let wf = workflow_of(workflows, &ct)?;
    Ok((case, ct, wf))
}

impl Services {
    /// Files a new case as a draft, or submits it at once.
    pub async fn create_case(&self, caller: &Caller, n: NewCase) -> Result<Case> {
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let subject = clean_text("subject", &n.subject, 3, MAX_SUBJECT)?;
        let body = clean_text("body", &n.body, 0, MAX_BODY)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let ct = tx
            .get_case_type(n.case_type_id)
            .await?
            .filter(|t| t.active)
            .ok_or_else(|| Error::invalid("case_type_id", "case-type-unknown"))?;
        let fields = clean_fields(&ct, n.fields)?;
        let wf = workflow_of(self.workflows(), &ct)?;
        // Only those who may perform the first move of the workflow may file.
        if !wf.may_file(caller.role) {
            return Err(Error::forbidden());
        }
        let ministry = self.ministry(&mut *tx).await?;
        let year = today_in(&ministry.time_zone, now)
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap_or(2026);
        let seq = tx.next_tracking_seq(&ct.prefix, year).await?;
        let tracking = TrackingNumber::new(&ct.prefix, year, seq)?;
        let mut case = Case {
            id: Uuid::now_v7(),
            case_type_id: ct.id,
            tracking_number: tracking.to_string(),
            subject,
            body,
            fields,
            filer_org_id: caller.org_id,
            filer_user_id: caller.user_id,
            holder_org_id: None,
            holder_since: None,
            assignee_id: None,
            state: wf.initial.clone(),
            clock: workflow::Clock::NotStarted,
            due_date: None,
            paused_days_left: None,
            overdue: false,
            submitted_at: None,
            closed_at: None,
            created_at: now,
            updated_at: now,
            search_text: String::new(),
        };
        case.search_text = search_text(&case);
        tx.insert_case(&case).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "case.create",
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number, "case_type": ct.code}),
        )
        .await?;
        if n.submit {
            let first = wf
                .filing_move()
                .ok_or_else(|| Error::Internal("workflow has no filing move".into()))?
                .action
                .clone();
            let mv = Move {
                action: first,
                department_id: n.department_id,
                ..Move::default()
            };
            self.apply(
                &mut *tx,
                Some(caller),
                &mut case,
                &ct,
                &wf,
                &ministry,
                &mv,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(case)
    }

    /// Changes a draft's subject, body and fields.
    pub async fn update_draft(
        &self,
        caller: &Caller,
        id: Uuid,
        subject: &str,
        body: &str,
        fields: Option<serde_json::Value>,
    ) -> Result<Case> {
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let subject = clean_text("subject", subject, 3, MAX_SUBJECT)?;
        let body = clean_text("body", body, 0, MAX_BODY)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut case, ct, wf) = visible_case(&mut *tx, self.workflows(), caller, id).await?;
        // Without new values the draft keeps the ones it has.
        let fields = match fields {
            Some(f) => clean_fields(&ct, Some(f))?,
            None => case.fields.clone(),
        };
        if !wf.is_draft(&case.state) || case.filer_org_id != caller.org_id {
            return Err(DomainError::new(ErrorCode::InvalidTransition)
                .with("action", "edit")
                .into());
        }
        case.subject = subject;
        case.body = body;
        case.fields = fields;
        case.updated_at = now;
        case.search_text = search_text(&case);
        tx.update_case(&case).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "case.edit",
            "case",
            Some(case.id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }

    /// Moves a case along its workflow.
    pub async fn transition(&self, caller: &Caller, id: Uuid, mv: Move) -> Result<Case> {
        self.move_case(caller, id, |_, _| Ok(mv)).await
    }

    /// Ends a case on its filer's behalf: makes the filer's withdrawal that
    /// its workflow defines from the case's current state.
    pub async fn withdraw(&self, caller: &Caller, id: Uuid) -> Result<Case> {
        self.move_case(caller, id, |wf, case| {
            let t = wf
                .withdrawal_from(&case.state)
                .or_else(|| wf.withdrawals().next())
                .ok_or_else(|| DomainError::new(ErrorCode::InvalidTransition))?;
            Ok(Move {
                action: t.action.clone(),
                ..Move::default()
            })
        })
        .await
    }

    /// What the move `action` on a case needs and does, as its workflow
    /// defines it from the case's current state, whether or not the caller
    /// may make it; `None` when the workflow has no such move from there.
    /// Reads nothing of the case but its state.
    pub async fn planned_move(
        &self,
        caller: &Caller,
        id: Uuid,
        action: &str,
    ) -> Result<Option<AvailableAction>> {
        let mut tx = self.store.read().await?;
        let (case, _, wf) = visible_case(&mut *tx, self.workflows(), caller, id).await?;
        Ok(wf
            .transition(&case.state, action)
            .map(|t| AvailableAction::of(&wf, &case.state, t)))
    }

    /// Makes the move `pick` chooses for the case, in one transaction.
    async fn move_case(
        &self,
        caller: &Caller,
        id: Uuid,
        pick: impl FnOnce(&Workflow, &Case) -> Result<Move>,
    ) -> Result<Case> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut case, ct, wf) = visible_case(&mut *tx, self.workflows(), caller, id).await?;
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let mv = pick(&wf, &case)?;
        let ministry = self.ministry(&mut *tx).await?;
        self.apply(
            &mut *tx,
            Some(caller),
            &mut case,
            &ct,
            &wf,
            &ministry,
            &mv,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(case)
    }

    /// Applies one move inside the caller's transaction: checks it against
    /// the workflow, updates the case, its clock and its holder, writes the
    /// history, the message, the notifications and the audit record. A
    /// `None` caller is the system (automatic routing).
    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        tx: &mut dyn Tx,
        caller: Option<&Caller>,
        case: &mut Case,
        ct: &CaseType,
        wf: &Workflow,
        ministry: &Organization,
        mv: &Move,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let t: TransitionDef = match caller {
            Some(c) => wf.authorize(&c.actor(), &facts(case), &mv.action)?.clone(),
            None => wf
                .transition(&case.state, &mv.action)
                .ok_or_else(|| DomainError::new(ErrorCode::InvalidTransition))?
                .clone(),
        };
        let from = case.state.clone();
        let message = match (&mv.message, t.needs(Needs::Message)) {
            (Some(m), _) if !m.trim().is_empty() => Some(clean_text("message", m, 1, MAX_BODY)?),
            (_, true) => return Err(Error::invalid("message", "message-required")),
            _ => None,
        };
        if t.needs(Needs::Department) {
            let dept_id = mv
                .department_id
                .ok_or_else(|| Error::invalid("department_id", "department-required"))?;
            let dept = tx
                .get_org(dept_id)
                .await?
                .filter(|o| o.kind == OrgKind::Department)
                .ok_or_else(|| Error::invalid("department_id", "department-unknown"))?;
            if case.holder_org_id == Some(dept.id) {
                return Err(Error::invalid("department_id", "field-invalid"));
            }
            case.holder_org_id = Some(dept.id);
            case.holder_since = Some(now);
            case.assignee_id = None;
        }
        if t.needs(Needs::Assignee) {
            let uid = mv
                .assignee_id
                .ok_or_else(|| Error::invalid("assignee_id", "assignee-required"))?;
            let u = tx
                .get_user(uid)
                .await?
                .filter(|u| {
                    u.active
                        && matches!(u.role, Role::Officer | Role::DepartmentHead)
                        && Some(u.org_id) == case.holder_org_id
                })
                .ok_or_else(|| Error::invalid("assignee_id", "assignee-unknown"))?;
            case.assignee_id = Some(u.id);
        }
        if wf.is_draft(&from) && case.holder_org_id.is_none() {
            // A submitted request waits at the ministry's registry.
            case.holder_org_id = Some(ministry.id);
            case.holder_since = Some(now);
        }
        case.state = t.to.clone();
        let to_state = wf
            .state(&t.to)
            .ok_or_else(|| Error::Internal("unknown state".into()))?;
        case.clock = to_state.clock;
        let today = today_in(&ministry.time_zone, now);
        let change = wf.clock_change(&from, &t.to);
        if change != ClockChange::None {
            let mut orgs = vec![ministry.id];
            orgs.extend(case.holder_org_id.filter(|h| *h != ministry.id));
            let cal = calendar_for(tx, &orgs, today).await?;
            match change {
                ClockChange::Start => {
                    case.submitted_at = Some(now);
                    case.due_date =
                        Some(cal.add_working_days(today, ct.deadline_days.max(0) as u32));
                }
                ClockChange::Pause => {
                    let left = case
                        .due_date
                        .map_or(0, |d| cal.working_days_between(today, d));
                    case.paused_days_left = Some(left as i32);
                }
                ClockChange::Resume => {
                    let left = case.paused_days_left.take().unwrap_or(0).max(0) as u32;
                    case.due_date = Some(cal.add_working_days(today, left));
                }
                ClockChange::Stop => {
                    case.closed_at = Some(now);
                    case.paused_days_left = None;
                }
                ClockChange::None => {}
            }
        }
        case.overdue =
            case.clock == workflow::Clock::Running && case.due_date.is_some_and(|d| d < today);
        case.updated_at = now;
        tx.update_case(case).await?;
        tx.insert_event(&CaseEvent {
            id: Uuid::now_v7(),
            case_id: case.id,
            at: now,
            actor_id: caller.map(|c| c.user_id),
            action: t.action.clone(),
            from_state: from.clone(),
            to_state: case.state.clone(),
            holder_org_id: case.holder_org_id,
            assignee_id: case.assignee_id,
        })
        .await?;
        if let (Some(body), Some(c)) = (message, caller) {
            tx.insert_message(&Message {
                id: Uuid::now_v7(),
                case_id: case.id,
                at: now,
                author_id: c.user_id,
                author_org_id: c.org_id,
                internal: t.message_visibility == Visibility::Internal,
                kind: t.action.clone(),
                body,
            })
            .await?;
        }
        record(
            tx,
            caller,
            now,
            &format!("case.{}", t.action),
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number, "from": from, "to": case.state, "holder_org_id": case.holder_org_id, "assignee_id": case.assignee_id}),
        )
        .await?;
        self.notify_move(tx, caller, case, &t, now).await?;
        // A type that routes itself sends a filed case straight on, by the
        // move its workflow lets the system make from there.
        if wf.is_draft(&from) && ct.auto_route {
            if let (Some(dept), Some(next)) =
                (ct.default_department_id, wf.auto_route_from(&case.state))
            {
                let mv = Move {
                    action: next.action.clone(),
                    department_id: Some(dept),
                    ..Move::default()
                };
                Box::pin(self.apply(tx, None, case, ct, wf, ministry, &mv, now)).await?;
            }
        }
        Ok(())
    }

    /// Sends the notifications the transition declares, to everyone but
    /// the one who made the move.
    async fn notify_move(
        &self,
        tx: &mut dyn Tx,
        caller: Option<&Caller>,
        case: &Case,
        t: &TransitionDef,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let me = caller.map(|c| c.user_id);
        for n in &t.notifies {
            let users = match n.to {
                Recipients::Assignee => case.assignee_id.into_iter().collect(),
                Recipients::DepartmentHeads => department_heads(tx, case.holder_org_id).await?,
                Recipients::Registry => {
                    let ministry_id = self.ministry(tx).await?.id;
                    registry_staff(tx, ministry_id).await?
                }
                Recipients::Holders => holders(tx, case).await?,
                Recipients::Filer => org_staff(tx, case.filer_org_id).await?,
            };
            let users: Vec<Uuid> = users.into_iter().filter(|u| Some(*u) != me).collect();
            notify(tx, &users, &n.kind, case, now).await?;
        }
        Ok(())
    }

    /// Posts a public message, or an internal note that the filer never sees.
    pub async fn post_message(
        &self,
        caller: &Caller,
        id: Uuid,
        body: &str,
        internal: bool,
    ) -> Result<Message> {
        let body = clean_text("message", body, 1, MAX_BODY)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (case, _, wf) = visible_case(&mut *tx, self.workflows(), caller, id).await?;
        let v = permissions(caller, &case, &wf);
        if !(if internal { v.note } else { v.message }) {
            return Err(Error::forbidden());
        }
        let m = Message {
            id: Uuid::now_v7(),
            case_id: case.id,
            at: now,
            author_id: caller.user_id,
            author_org_id: caller.org_id,
            internal,
            kind: if internal { "note" } else { "message" }.into(),
            body,
        };
        tx.insert_message(&m).await?;
        let mut touched = case.clone();
        touched.updated_at = now;
        tx.update_case(&touched).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            if internal {
                "case.note"
            } else {
                "case.message"
            },
            "case",
            Some(case.id.to_string()),
            json!({"message_id": m.id}),
        )
        .await?;
        if !internal {
            let to = if caller.org_id == case.filer_org_id {
                holders(&mut *tx, &case).await?
            } else {
                org_staff(&mut *tx, case.filer_org_id).await?
            };
            let to: Vec<Uuid> = to.into_iter().filter(|u| *u != caller.user_id).collect();
            notify(&mut *tx, &to, "message_received", &case, now).await?;
        }
        tx.commit().await?;
        Ok(m)
    }

    /// Reads one case. Every read by staff is audited.
    pub async fn view_case(&self, caller: &Caller, id: Uuid) -> Result<CaseView> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (case, case_type, wf) = visible_case(&mut *tx, self.workflows(), caller, id).await?;
        let sees_internal = !caller.role.is_municipal();
        let events = tx.list_events(case.id).await?;
        let messages = tx.list_messages(case.id, sees_internal).await?;
        let attachments: Vec<Attachment> = tx
            .list_attachments(case.id)
            .await?
            .into_iter()
            .filter(|a| sees_internal || !a.internal)
            .collect();
        let mut names = std::collections::BTreeMap::new();
        let ids = events
            .iter()
            .filter_map(|e| e.actor_id)
            .chain(messages.iter().map(|m| m.author_id))
            .chain(attachments.iter().map(|a| a.uploaded_by))
            .chain(case.assignee_id)
            .chain([case.filer_user_id]);
        for id in ids {
            if let std::collections::btree_map::Entry::Vacant(v) = names.entry(id) {
                if let Some(u) = tx.get_user(id).await? {
                    v.insert(u.display_name);
                }
            }
        }
        record(
            &mut *tx,
            Some(caller),
            now,
            "case.read",
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number}),
        )
        .await?;
        let ministry = self.ministry(&mut *tx).await?;
        let today = today_in(&ministry.time_zone, now);
        let soon = if case.clock == workflow::Clock::Running {
            let cal = calendar_for(&mut *tx, &[ministry.id], today).await?;
            Some(cal.add_working_days(today, self.config.due_soon_days))
        } else {
            None
        };
        tx.commit().await?;
        let actions = if caller.can_write() {
            wf.available(&caller.actor(), &facts(&case))
                .into_iter()
                .map(|t| AvailableAction::of(&wf, &case.state, t))
                .collect()
        } else {
            Vec::new()
        };
        let p = permissions(caller, &case, &wf);
        Ok(CaseView {
            paused: case.clock == workflow::Clock::Paused,
            due_soon: !case.overdue
                && matches!((case.due_date, soon), (Some(d), Some(s)) if d <= s),
            can_message: p.message,
            can_note: p.note,
            can_edit_draft: wf.is_draft(&case.state)
                && case.filer_org_id == caller.org_id
                && caller.can_write(),
            draft: wf.is_draft(&case.state),
            case,
            case_type,
            events,
            messages,
            attachments,
            actions,
            names,
        })
    }

    /// Finds a case by its tracking number, typed any way people type it.
    pub async fn find_by_tracking(&self, caller: &Caller, number: &str) -> Result<Option<Uuid>> {
        let Ok(t) = number.parse::<TrackingNumber>() else {
            return Ok(None);
        };
        let mut tx = self.store.read().await?;
        let found = tx.case_by_tracking(&t.to_string()).await?;
        Ok(found
            .filter(|c| Scope::for_actor(&caller.actor()).can_see(&facts(c)))
            .map(|c| c.id))
    }

    /// A page of a queue or of search results, newest first by default.
    pub async fn list_cases(&self, caller: &Caller, f: CaseFilter) -> Result<Vec<CaseRow>> {
        let mut q = CaseQuery::new(Scope::for_actor(&caller.actor()));
        q.states = f.states;
        q.case_type_id = f.case_type_id;
        q.filer_org_id = f.municipality_id;
        q.holder_org_id = f.department_id;
        q.assignee_id = f.assignee_id;
        q.overdue = f.overdue;
        q.sort = f.sort;
        q.descending = !f.ascending;
        q.after = f.after;
        q.limit = f.limit.unwrap_or(25).clamp(1, 100);
        q.created_from = f
            .from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
        q.created_to =
            f.to.and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
        let mut tx = self.store.read().await?;
        if f.due_soon {
            let ministry = self.ministry(&mut *tx).await?;
            let today = today_in(&ministry.time_zone, self.now());
            let cal = calendar_for(&mut *tx, &[ministry.id], today).await?;
            q.due_by = Some(cal.add_working_days(today, self.config.due_soon_days));
            q.overdue = Some(false);
        }
        if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if let Ok(t) = text.parse::<TrackingNumber>() {
                // A whole tracking number finds exactly that case, if visible.
                let found = tx.case_by_tracking(&t.to_string()).await?;
                let visible = found.filter(|c| q.scope.can_see(&facts(c)));
                return Ok(visible.map(|c| row_of(&c)).into_iter().collect());
            }
            q.terms = diwan_domain::text::search_terms(text);
            q.terms.truncate(8);
        }
        Ok(tx.list_cases(&q).await?)
    }

    /// Counts per department (ministry staff) or for the caller's municipality.
    pub async fn dashboard(&self, caller: &Caller) -> Result<Vec<DepartmentCounts>> {
        let scope = Scope::for_actor(&caller.actor());
        let mut tx = self.store.read().await?;
        let ministry = self.ministry(&mut *tx).await?;
        let today = today_in(&ministry.time_zone, self.now());
        let cal = calendar_for(&mut *tx, &[ministry.id], today).await?;
        let due_soon_by = cal.add_working_days(today, self.config.due_soon_days);
        let orgs = tx.list_orgs().await?;
        let mut out = Vec::new();
        let targets: Vec<Organization> = if caller.role.is_municipal() {
            orgs.into_iter().filter(|o| o.id == caller.org_id).collect()
        } else if caller.role.sees_everything() {
            orgs.into_iter()
                .filter(|o| o.kind == OrgKind::Department || o.id == ministry.id)
                .collect()
        } else {
            orgs.into_iter().filter(|o| o.id == caller.org_id).collect()
        };
        for o in targets {
            let holder = (!caller.role.is_municipal()).then_some(o.id);
            let counts = tx
                .count_cases(&CaseCount {
                    scope,
                    holder_org_id: holder,
                    due_soon_by,
                })
                .await?;
            out.push(DepartmentCounts {
                department: o,
                counts,
            });
        }
        Ok(out)
    }

    pub async fn list_case_types(&self) -> Result<Vec<CaseType>> {
        let mut tx = self.store.read().await?;
        Ok(tx.list_case_types().await?)
    }

    /// Adds or changes a case type of the catalogue (administrators).
    pub async fn save_case_type(&self, caller: Option<&Caller>, t: CaseType) -> Result<CaseType> {
        if let Some(c) = caller {
            if c.role != Role::Admin || !c.can_write() {
                return Err(Error::forbidden());
            }
        }
        self.workflows()
            .get(&t.workflow)
            .ok_or_else(|| Error::invalid("workflow", "field-invalid"))?;
        let prefix = diwan_domain::cases::tracking::parse_prefix(&t.prefix)?;
        if !(0..=365).contains(&t.deadline_days) {
            return Err(Error::invalid("deadline_days", "field-invalid"));
        }
        for (i, f) in t.fields.iter().enumerate() {
            let ok_code = !f.code.is_empty()
                && f.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let ok_kind = match &f.kind {
                diwan_domain::cases::fields::FieldKind::Money { decimals, currency } => {
                    *decimals <= diwan_domain::cases::fields::MAX_DECIMALS
                        && currency.len() == 3
                        && currency.chars().all(|c| c.is_ascii_uppercase())
                }
                _ => true,
            };
            if !ok_code || !ok_kind || t.fields[..i].iter().any(|o| o.code == f.code) {
                return Err(Error::invalid("fields", "field-invalid"));
            }
        }
        let t = CaseType { prefix, ..t };
        let mut tx = self.store.begin().await?;
        if let Some(d) = t.default_department_id {
            tx.get_org(d)
                .await?
                .filter(|o| o.kind == OrgKind::Department)
                .ok_or_else(|| Error::invalid("default_department_id", "department-unknown"))?;
        }
        tx.upsert_case_type(&t).await?;
        record(
            &mut *tx,
            caller,
            self.now(),
            "case_type.save",
            "case_type",
            Some(t.id.to_string()),
            json!({"code": t.code}),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }
}

struct Permissions {
    message: bool,
    note: bool,
}

fn permissions(caller: &Caller, case: &Case, wf: &Workflow) -> Permissions {
    let open = !wf.is_final(&case.state) && case.submitted_at.is_some();
    let writer = caller.can_write() && open;
    let filer = case.filer_org_id == caller.org_id;
    let ministry_side = !caller.role.is_municipal()
        && (case.holder_org_id == Some(caller.org_id)
            || caller.role.sees_everything()
            || case.assignee_id == Some(caller.user_id));
    Permissions {
        message: writer && (filer || ministry_side),
        note: writer && ministry_side && !caller.role.is_municipal(),
    }
}

fn row_of(c: &Case) -> CaseRow {
    CaseRow {
        id: c.id,
        tracking_number: c.tracking_number.clone(),
        case_type_id: c.case_type_id,
        subject: c.subject.clone(),
        state: c.state.clone(),
        filer_org_id: c.filer_org_id,
        holder_org_id: c.holder_org_id,
        holder_since: c.holder_since,
        assignee_id: c.assignee_id,
        due_date: c.due_date,
        overdue: c.overdue,
        submitted_at: c.submitted_at,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

async fn department_heads(tx: &mut dyn Tx, org: Option<Uuid>) -> Result<Vec<Uuid>> {
    let Some(org) = org else {
        return Ok(Vec::new());
    };
    Ok(tx
        .list_users(Some(org))
        .await?
        .into_iter()
        .filter(|u| u.active && u.role == Role::DepartmentHead)
        .map(|u| u.id)
        .collect())
}

async fn registry_staff(tx: &mut dyn Tx, ministry_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(tx
        .list_users(Some(ministry_id))
        .await?
        .into_iter()
        .filter(|u| u.active && u.role == Role::RegistryClerk)
        .map(|u| u.id)
        .collect())
}

async fn org_staff(tx: &mut dyn Tx, org: Uuid) -> Result<Vec<Uuid>> {
    Ok(tx
        .list_users(Some(org))
        .await?
        .into_iter()
        .filter(|u| u.active && !u.role.is_read_only())
        .map(|u| u.id)
        .collect())
}

/// Whoever holds the case on the ministry's side: its assignee, or else the
/// heads of the holding department.
pub(crate) async fn holders(tx: &mut dyn Tx, case: &Case) -> Result<Vec<Uuid>> {
    if let Some(a) = case.assignee_id {
        return Ok(vec![a]);
    }
    let heads = department_heads(tx, case.holder_org_id).await?;
    if heads.is_empty() {
        // A case waiting at the ministry's registry is the registry clerks'.
        let m = ministry(tx).await?;
        return registry_staff(tx, m.id).await;
    }
    Ok(heads)
}

//! The case engine's use cases: filing ([`filing`]), moving cases along
//! their workflow ([`moves`]), reading them ([`reading`]), queues, search
//! and dashboards ([`queues`]) and their files ([`attachments`]).
//!
//! A use case is one transaction. What it changes is decided first, in
//! memory, and written last: the case in its final state (inserted once,
//! or updated once), then its messages, files, history, audit records and
//! notifications, each kind as one multi-row statement ([`Effects`]).

pub mod attachments;
pub mod filing;
pub mod moves;
pub mod queues;
pub mod reading;

pub use attachments::Upload;

use crate::cache::StaffMember;
use crate::{Caller, Error, Result, Services};
use diwan_domain::cases::workflow::{
    Audience, CaseFacts, Prompt, Registry, Scope, TransitionDef, Workflow,
};
use diwan_domain::{Reason, Role};
use diwan_store::{
    Attachment, AuditRecord, Case, CaseEvent, CaseRow, CaseType, Message, Notification,
    Organization, ReadTx, Tx,
};
use serde::Serialize;
use uuid::Uuid;

const MAX_SUBJECT: usize = 200;
pub(crate) const MAX_BODY: usize = 20_000;
const MAX_FIELDS_BYTES: usize = 16 * 1024;

/// A case as its author enters it.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub case_type_id: Option<Uuid>,
    /// The type by its code, when `case_type_id` is not given.
    pub case_type_code: Option<String>,
    /// Only a type whose workflow has this audience is accepted (a form
    /// for municipal requests files no memo); any audience when `None`.
    pub audience: Option<Audience>,
    pub subject: String,
    pub body: String,
    pub fields: Option<serde_json::Value>,
    /// File it at once instead of keeping a draft. Memos also need `department_id`.
    pub submit: bool,
    pub department_id: Option<Uuid>,
    /// Files that go with it; they are saved with the case or not at all.
    pub files: Vec<Upload>,
}

/// A case with its type, for those who describe cases by their workflow
/// (the GovStack adapter).
#[derive(Debug, Clone)]
pub struct Typed {
    pub case: Case,
    pub case_type: CaseType,
}

/// A move along the workflow, with what the transition needs.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub action: String,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub message: Option<String>,
    /// A file that goes with the move, when its transition carries one; it
    /// is saved with the move or not at all.
    pub file: Option<Upload>,
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
    /// The move ends the case without carrying it through.
    pub terminates: bool,
    /// The move files a draft.
    pub files_draft: bool,
}

impl AvailableAction {
    /// What `t`, made from `state`, needs and does.
    fn of(wf: &Workflow, state: &str, t: &TransitionDef) -> AvailableAction {
        use diwan_domain::cases::workflow::Needs;
        AvailableAction {
            action: t.action.clone(),
            needs_department: t.needs(Needs::Department),
            needs_assignee: t.needs(Needs::Assignee),
            needs_message: t.needs(Needs::Message),
            prompt: t.prompt,
            carries_file: t.carries_file,
            terminates: wf.terminates(t),
            files_draft: wf.is_draft(state),
        }
    }
}

/// What a use case writes besides the case itself, gathered while it
/// decides and written at its end, one statement per kind.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub events: Vec<CaseEvent>,
    pub messages: Vec<Message>,
    pub attachments: Vec<Attachment>,
    pub audit: Vec<AuditRecord>,
    pub notifications: Vec<Notification>,
}

impl Effects {
    /// Writes everything, messages before the files that may belong to
    /// them.
    pub(crate) async fn write(self, tx: &mut dyn Tx) -> Result<()> {
        for m in &self.messages {
            tx.insert_message(m).await?;
        }
        for a in &self.attachments {
            tx.insert_attachment(a).await?;
        }
        tx.insert_events(&self.events).await?;
        tx.append_audit(&self.audit).await?;
        tx.insert_notifications(&self.notifications).await?;
        Ok(())
    }
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

pub(crate) fn workflow_of<'w>(workflows: &'w Registry, ct: &CaseType) -> Result<&'w Workflow> {
    workflows
        .get(&ct.workflow)
        .ok_or_else(|| Error::Internal(format!("unknown workflow {}", ct.workflow)))
}

pub(crate) fn clean_text(field: &str, s: &str, min: usize, max: usize) -> Result<String> {
    // NUL and other C0 controls (except line breaks and tabs) carry no
    // meaning in a letter and are refused by PostgreSQL's text type.
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Error::invalid(field, Reason::FieldInvalid));
    }
    let s = s.trim();
    let n = s.chars().count();
    if n == 0 && min > 0 {
        return Err(Error::invalid(field, Reason::FieldRequired));
    }
    if n < min {
        return Err(Error::invalid(field, Reason::FieldTooShort));
    }
    if n > max {
        return Err(Error::invalid(field, Reason::FieldTooLong));
    }
    Ok(s.to_owned())
}

pub(crate) fn clean_subject(s: &str) -> Result<String> {
    clean_text("subject", s, 3, MAX_SUBJECT)
}

pub(crate) fn clean_body(s: &str) -> Result<String> {
    clean_text("body", s, 0, MAX_BODY)
}

pub(crate) fn clean_message(s: &str) -> Result<String> {
    clean_text("message", s, 1, MAX_BODY)
}

/// Checks a case's field values against its type's declaration.
pub(crate) fn clean_fields(
    ct: &CaseType,
    v: Option<serde_json::Value>,
) -> Result<serde_json::Value> {
    let v = v.unwrap_or(serde_json::Value::Null);
    if v.to_string().len() > MAX_FIELDS_BYTES {
        return Err(Error::invalid("fields", Reason::FieldTooLong));
    }
    Ok(diwan_domain::cases::fields::validate(&ct.fields, &v)?)
}

pub(crate) use diwan_store::search_text;

impl Services {
    /// Loads a case the caller may see, or answers "not found" as if it did
    /// not exist.
    pub(crate) async fn visible_case(
        &self,
        tx: &mut dyn ReadTx,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(Case, CaseType, &Workflow)> {
        let case = tx.get_case(id).await?.ok_or_else(Error::not_found)?;
        if !Scope::for_actor(&caller.actor()).can_see(&facts(&case)) {
            return Err(Error::not_found());
        }
        let ct = self
            .cache
            .case_type(tx, case.case_type_id)
            .await?
            .ok_or_else(|| Error::Internal("case type missing".into()))?;
        let wf = workflow_of(self.workflows(), &ct)?;
        Ok((case, ct, wf))
    }

    /// The active staff of `org` with one of `roles` (any role when empty).
    pub(crate) async fn staff_of(
        &self,
        tx: &mut dyn ReadTx,
        org: Option<Uuid>,
        roles: &[Role],
    ) -> Result<Vec<Uuid>> {
        let Some(org) = org else {
            return Ok(Vec::new());
        };
        let staff = self.cache.staff(tx, org).await?;
        Ok(staff
            .iter()
            .filter(|u: &&StaffMember| u.active && (roles.is_empty() || roles.contains(&u.role)))
            .map(|u| u.id)
            .collect())
    }

    /// The people of an organization who act on its cases (not auditors).
    pub(crate) async fn org_staff(&self, tx: &mut dyn ReadTx, org: Uuid) -> Result<Vec<Uuid>> {
        let staff = self.cache.staff(tx, org).await?;
        Ok(staff
            .iter()
            .filter(|u| u.active && !u.role.is_read_only())
            .map(|u| u.id)
            .collect())
    }

    /// The registry clerks of the ministry.
    pub(crate) async fn registry_staff(&self, tx: &mut dyn ReadTx) -> Result<Vec<Uuid>> {
        let ministry = self.ministry(tx).await?.id;
        self.staff_of(tx, Some(ministry), &[Role::RegistryClerk])
            .await
    }

    /// Whoever holds the case on the ministry's side: its assignee, or else
    /// the heads of the holding department, or, for a case waiting at the
    /// ministry's registry, the registry clerks.
    pub(crate) async fn holders(&self, tx: &mut dyn ReadTx, case: &Case) -> Result<Vec<Uuid>> {
        if let Some(a) = case.assignee_id {
            return Ok(vec![a]);
        }
        let heads = self
            .staff_of(tx, case.holder_org_id, &[Role::DepartmentHead])
            .await?;
        if heads.is_empty() {
            return self.registry_staff(tx).await;
        }
        Ok(heads)
    }

    /// The organization `id`, from the cached tree.
    pub(crate) async fn org(&self, tx: &mut dyn ReadTx, id: Uuid) -> Result<Option<Organization>> {
        self.cache.org(tx, id).await
    }
}

pub(crate) struct Permissions {
    pub message: bool,
    pub note: bool,
}

pub(crate) fn permissions(caller: &Caller, case: &Case, wf: &Workflow) -> Permissions {
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

pub(crate) fn row_of(c: &Case) -> CaseRow {
    CaseRow {
        id: c.id,
        tracking_number: c.tracking_number.clone(),
        case_type_id: c.case_type_id,
        subject: c.subject.clone(),
        state: c.state.clone(),
        clock: c.clock,
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

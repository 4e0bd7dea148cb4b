//! Filing cases, editing drafts, and the case-type catalogue.

use super::attachments::Stored;
use super::{
    clean_body, clean_fields, clean_subject, search_text, workflow_of, Effects, Move, NewCase,
    Typed,
};
use crate::audit::{entry, record};
use crate::error::Problems;
use crate::frame::Shown;
use crate::organizations::today_in;
use crate::{Caller, Error, Result, Services};
use chrono::Datelike;
use diwan_domain::cases::workflow::{self, Needs};
use diwan_domain::organizations::OrgKind;
use diwan_domain::{DomainError, ErrorCode, Reason, Role};
use diwan_store::{Case, CaseType, Filing};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

impl Services {
    /// Files a new case as a draft, or submits it at once, with its files:
    /// everything is saved together or not at all. Every mistake of the
    /// input is reported at once.
    pub async fn create_case(&self, caller: &Caller, n: NewCase) -> Result<Case> {
        Ok(self.create_typed(caller, n).await?.case)
    }

    /// Files a case as [`Services::create_case`] does, and tells its type.
    pub async fn create_typed(&self, caller: &Caller, n: NewCase) -> Result<Typed> {
        if n.files.is_empty() {
            return self.create_here(caller, n).await;
        }
        // With files, the use case runs to its end even if the caller stops
        // waiting (a client that drops its connection): files stored before
        // its transaction are then still removed when it does not commit.
        let (services, caller) = (self.clone(), caller.clone());
        tokio::spawn(async move { services.create_here(&caller, n).await })
            .await
            .map_err(|e| Error::Internal(format!("a filing stopped: {e}")))?
    }

    async fn create_here(&self, caller: &Caller, n: NewCase) -> Result<Typed> {
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let mut bad = Problems::default();
        let subject = bad.take(clean_subject(&n.subject))?;
        let body = bad.take(clean_body(&n.body))?;
        for up in &n.files {
            bad.take(self.check_upload(up))?;
        }
        let id = Uuid::now_v7();
        // Files are written only for an input that can be filed, and before
        // the transaction, so that it does not wait on file storage.
        let mut stored = Vec::new();
        if bad.is_empty() {
            for up in n.files.iter().cloned() {
                match self.store_file(caller, id, up).await {
                    Ok(s) => stored.push(s),
                    Err(e) => {
                        self.remove_files(&stored).await;
                        return Err(e);
                    }
                }
            }
        }
        let draft = Draft {
            id,
            case_type_id: n.case_type_id,
            case_type_code: n.case_type_code,
            audience: n.audience,
            subject: subject.unwrap_or_default(),
            body: body.unwrap_or_default(),
            fields: n.fields,
            submit: n.submit,
            department_id: n.department_id,
        };
        let r = self.file(caller, draft, &stored, bad).await;
        if r.is_err() {
            self.remove_files(&stored).await;
        }
        r
    }

    /// A filing. Everything it decides is decided first, from what the
    /// services keep in memory (the catalogue, the organizations, holidays
    /// and staff; a read-only transaction fills what is missing): the case
    /// in its final state, its history, audit records and notifications.
    /// The transaction that writes comes last and does only that
    /// ([`diwan_store::Store::file_case`]): it takes the tracking number,
    /// names the case and what refers to it with it, and writes it all.
    async fn file(
        &self,
        caller: &Caller,
        d: Draft,
        files: &[Stored],
        mut bad: Problems,
    ) -> Result<Typed> {
        let now = self.now();
        let mut tx = self.store.read().await?;
        let by_code = match &d.case_type_code {
            Some(code) if d.case_type_id.is_none() => self
                .cache
                .case_types(&mut *tx)
                .await?
                .iter()
                .find(|t| &t.code == code)
                .map(|t| t.id)
                .or(Some(Uuid::nil())),
            _ => None,
        };
        let ct = match d.case_type_id.or(by_code) {
            None => {
                bad.add("case_type_id", Reason::FieldRequired);
                None
            }
            Some(t) => {
                let workflows = self.workflows();
                let ct = self.cache.case_type(&mut *tx, t).await?.filter(|t| {
                    t.active
                        && d.audience.is_none_or(|a| {
                            workflows.get(&t.workflow).is_some_and(|w| w.audience == a)
                        })
                });
                if ct.is_none() {
                    bad.add("case_type_id", Reason::CaseTypeUnknown);
                }
                ct
            }
        };
        let Some(ct) = ct else {
            bad.finish()?;
            return Err(Error::invalid("case_type_id", Reason::CaseTypeUnknown));
        };
        let fields = bad.take(clean_fields(&ct, d.fields.clone()))?;
        let wf = workflow_of(self.workflows(), &ct)?;
        // Only those who may perform the first move of the workflow may file.
        if !wf.may_file(caller.role) {
            return Err(Error::forbidden());
        }
        let filing = wf
            .filing_move()
            .ok_or_else(|| Error::Internal("workflow has no filing move".into()))?
            .clone();
        if filing.needs(Needs::Department) {
            match d.department_id {
                None if d.submit => bad.add("department_id", Reason::DepartmentRequired),
                None => {}
                Some(dept) => {
                    let ok = self
                        .org(&mut *tx, dept)
                        .await?
                        .is_some_and(|o| o.kind == OrgKind::Department && o.id != caller.org_id);
                    if !ok {
                        bad.add("department_id", Reason::DepartmentUnknown);
                    }
                }
            }
        }
        bad.finish()?;
        let fields = fields.unwrap_or_default();
        let ministry = self.ministry(&mut *tx).await?;
        let year = today_in(&ministry.time_zone, now).year();
        let mut case = Case {
            id: d.id,
            case_type_id: ct.id,
            tracking_number: String::new(),
            subject: d.subject,
            body: d.body,
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
        let mut fx = Effects::default();
        fx.audit.push(entry(
            Some(caller),
            now,
            "case.create",
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number, "case_type": ct.code}),
        ));
        for f in files {
            self.attach_stored(caller, &case, f, false, None, now, &mut fx);
        }
        if d.submit {
            let mv = Move {
                action: filing.action.clone(),
                department_id: d.department_id,
                ..Move::default()
            };
            self.apply(
                &mut *tx,
                Some(caller),
                &mut case,
                &ct,
                wf,
                &ministry,
                &mv,
                now,
                &mut fx,
            )
            .await?;
        }
        drop(tx);
        let case = self
            .store
            .file_case(Filing {
                prefix: ct.prefix.clone(),
                year,
                case,
                events: fx.events,
                messages: fx.messages,
                attachments: fx.attachments,
                audit: fx.audit,
                notifications: fx.notifications,
            })
            .await?;
        Ok(Typed {
            case,
            case_type: ct,
        })
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
        let mut bad = Problems::default();
        let subject = bad.take(clean_subject(subject))?;
        let body = bad.take(clean_body(body))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut case, ct, wf) = self.visible_case(&mut *tx, caller, id).await?;
        if !wf.is_draft(&case.state) || case.filer_org_id != caller.org_id {
            return Err(DomainError::new(ErrorCode::InvalidTransition)
                .with("action", Reason::MoveNotAvailable)
                .into());
        }
        // Without new values the draft keeps the ones it has.
        let fields = match fields {
            Some(f) => bad.take(clean_fields(&ct, Some(f)))?,
            None => Some(case.fields.clone()),
        };
        bad.finish()?;
        case.subject = subject.unwrap_or_default();
        case.body = body.unwrap_or_default();
        case.fields = fields.unwrap_or_default();
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

    /// The filing form's page: the catalogue and the frame.
    pub async fn filing_page(&self, caller: &Caller) -> Result<Shown<Arc<Vec<CaseType>>>> {
        let mut tx = self.store.read().await?;
        let body = self.cache.case_types(&mut *tx).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body })
    }

    /// The whole case-type catalogue.
    pub async fn list_case_types(&self) -> Result<Vec<CaseType>> {
        let mut tx = self.store.read().await?;
        Ok(self.cache.case_types(&mut *tx).await?.to_vec())
    }

    /// A case type of the catalogue by its id or its code.
    pub async fn case_type_by_key(&self, key: &str) -> Result<CaseType> {
        let mut tx = self.store.read().await?;
        self.cache
            .case_types(&mut *tx)
            .await?
            .iter()
            .find(|t| t.id.to_string() == key || t.code == key)
            .cloned()
            .ok_or_else(Error::not_found)
    }

    /// Changes the case type named by its id or code as `change` says, in
    /// one transaction (administrators).
    pub async fn change_case_type(
        &self,
        caller: &Caller,
        key: &str,
        change: impl FnOnce(CaseType) -> Result<CaseType>,
    ) -> Result<CaseType> {
        if caller.role != Role::Admin || !caller.can_write() {
            return Err(Error::forbidden());
        }
        let base = self.case_type_by_key(key).await?;
        let id = base.id;
        let t = change(base)?;
        if t.id != id {
            return Err(Error::invalid("id", Reason::FieldInvalid));
        }
        self.save_case_type(Some(caller), t).await
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
            .ok_or_else(|| Error::invalid("workflow", Reason::FieldInvalid))?;
        let prefix = diwan_domain::cases::tracking::parse_prefix(&t.prefix)?;
        if !(0..=365).contains(&t.deadline_days) {
            return Err(Error::invalid("deadline_days", Reason::FieldInvalid));
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
                return Err(Error::invalid("fields", Reason::FieldInvalid));
            }
        }
        let t = CaseType { prefix, ..t };
        let mut tx = self.store.begin().await?;
        if let Some(d) = t.default_department_id {
            tx.get_org(d)
                .await?
                .filter(|o| o.kind == OrgKind::Department)
                .ok_or_else(|| {
                    Error::invalid("default_department_id", Reason::DepartmentUnknown)
                })?;
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
        self.cache.forget_case_types();
        Ok(t)
    }
}

/// A filing's input once its text is checked.
struct Draft {
    id: Uuid,
    case_type_id: Option<Uuid>,
    case_type_code: Option<String>,
    audience: Option<diwan_domain::cases::workflow::Audience>,
    subject: String,
    body: String,
    fields: Option<serde_json::Value>,
    submit: bool,
    department_id: Option<Uuid>,
}

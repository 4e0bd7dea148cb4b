//! Reading one case: what a person may see of it, audited for staff.

use super::{facts, permissions, AvailableAction};
use crate::audit::record;
use crate::frame::Shown;
use crate::organizations::{calendar_for, today_in};
use crate::{Caller, Result, Services};
use diwan_domain::cases::tracking::TrackingNumber;
use diwan_domain::cases::workflow::{self, Scope};
use diwan_store::{Attachment, Case, CaseEvent, CaseType, Message, Tx};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

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
    pub names: BTreeMap<Uuid, String>,
}

impl Services {
    /// Reads one case. Every read by staff is audited.
    pub async fn view_case(&self, caller: &Caller, id: Uuid) -> Result<CaseView> {
        let mut tx = self.store.begin().await?;
        let v = self.case_view(&mut *tx, caller, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The case page: the case as the caller sees it, with the page's
    /// frame, in the one transaction that audits the read.
    pub async fn case_page(&self, caller: &Caller, id: Uuid) -> Result<Shown<CaseView>> {
        let mut tx = self.store.begin().await?;
        let body = self.case_view(&mut *tx, caller, id).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        tx.commit().await?;
        Ok(Shown { frame, body })
    }

    /// Reads one case inside `tx` and appends the audit record of the read.
    pub(crate) async fn case_view(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        id: Uuid,
    ) -> Result<CaseView> {
        let now = self.now();
        let (case, case_type, wf) = self.visible_case(tx, caller, id).await?;
        let sees_internal = !caller.role.is_municipal();
        let events = tx.list_events(case.id).await?;
        let messages = tx.list_messages(case.id, sees_internal).await?;
        let attachments: Vec<Attachment> = tx
            .list_attachments(case.id)
            .await?
            .into_iter()
            .filter(|a| sees_internal || !a.internal)
            .collect();
        let mut ids: Vec<Uuid> = events
            .iter()
            .filter_map(|e| e.actor_id)
            .chain(messages.iter().map(|m| m.author_id))
            .chain(attachments.iter().map(|a| a.uploaded_by))
            .chain(case.assignee_id)
            .chain([case.filer_user_id])
            .collect();
        ids.sort();
        ids.dedup();
        let names = tx
            .get_users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
        record(
            tx,
            Some(caller),
            now,
            "case.read",
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number}),
        )
        .await?;
        let ministry = self.ministry(tx).await?;
        let today = today_in(&ministry.time_zone, now);
        let soon = if case.clock == workflow::Clock::Running {
            let cal = calendar_for(&self.cache, tx, &[ministry.id]).await?;
            Some(cal.add_working_days(today, self.config.due_soon_days))
        } else {
            None
        };
        let actions = if caller.can_write() {
            wf.available(&caller.actor(), &facts(&case))
                .into_iter()
                .map(|t| AvailableAction::of(wf, &case.state, t))
                .collect()
        } else {
            Vec::new()
        };
        let p = permissions(caller, &case, wf);
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
}

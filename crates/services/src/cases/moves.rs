//! Moving cases along their workflow, and the messages people exchange on
//! them.

use super::attachments::Stored;
use super::{clean_message, clean_text, facts, permissions, Effects, Move, Typed, MAX_BODY};
use crate::audit::{entry, record};
use crate::notifications::notices;
use crate::organizations::{calendar_for, today_in};
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, Utc};
use diwan_domain::cases::workflow::{
    self, ClockChange, Needs, Recipients, TransitionDef, Visibility, Workflow,
};
use diwan_domain::organizations::OrgKind;
use diwan_domain::{DomainError, ErrorCode, Reason, Role};
use diwan_store::{Case, CaseEvent, CaseType, Message, Organization, ReadTx};
use serde_json::json;
use uuid::Uuid;

impl Services {
    /// Moves a case along its workflow; a file that goes with the move is
    /// saved with it or not at all.
    pub async fn transition(&self, caller: &Caller, id: Uuid, mv: Move) -> Result<Case> {
        if mv.file.is_none() {
            return self.transition_here(caller, id, mv).await;
        }
        // With a file, the use case runs to its end even if the caller stops
        // waiting: the file stored before its transaction is then still
        // removed when it does not commit.
        let (services, caller) = (self.clone(), caller.clone());
        tokio::spawn(async move { services.transition_here(&caller, id, mv).await })
            .await
            .map_err(|e| Error::Internal(format!("a move stopped: {e}")))?
    }

    async fn transition_here(&self, caller: &Caller, id: Uuid, mut mv: Move) -> Result<Case> {
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let file = match mv.file.take() {
            Some(up) => {
                // Nothing is stored for a move the caller cannot make or
                // that carries no file: checked first on what the case is
                // now, and again, for good, in the move's transaction.
                let mut tx = self.store.read().await?;
                let (case, _, wf) = self.visible_case(&mut *tx, caller, id).await?;
                let t = wf.authorize(&caller.actor(), &facts(&case), &mv.action)?;
                if !t.carries_file {
                    return Err(Error::invalid("file", Reason::FieldInvalid));
                }
                drop(tx);
                Some(self.store_file(caller, id, up).await?)
            }
            None => None,
        };
        let r = self
            .move_case(caller, id, file.as_ref(), |_, _| Ok(mv))
            .await;
        if r.is_err() {
            if let Some(f) = &file {
                self.remove_files(std::slice::from_ref(f)).await;
            }
        }
        Ok(r?.case)
    }

    /// Ends a case on its filer's behalf: makes the filer's withdrawal that
    /// its workflow defines from the case's current state.
    pub async fn withdraw(&self, caller: &Caller, id: Uuid) -> Result<Case> {
        Ok(self.withdraw_typed(caller, id).await?.case)
    }

    /// Withdraws a case as [`Services::withdraw`] does, and tells its type.
    pub async fn withdraw_typed(&self, caller: &Caller, id: Uuid) -> Result<Typed> {
        self.move_case(caller, id, None, |wf, case| {
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

    /// Makes the move `pick` chooses for the case, in one transaction.
    async fn move_case(
        &self,
        caller: &Caller,
        id: Uuid,
        file: Option<&Stored>,
        pick: impl FnOnce(&Workflow, &Case) -> Result<Move>,
    ) -> Result<Typed> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (mut case, ct, wf) = self.visible_case(&mut *tx, caller, id).await?;
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        let mv = pick(wf, &case)?;
        let ministry = self.ministry(&mut *tx).await?;
        let mut fx = Effects::default();
        let t = self
            .apply(
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
        if let Some(f) = file {
            if !t.carries_file {
                return Err(Error::invalid("file", Reason::FieldInvalid));
            }
            let internal = t.message_visibility == Visibility::Internal;
            let message_id = fx.messages.last().map(|m| m.id);
            self.attach_stored(caller, &case, f, internal, message_id, now, &mut fx);
        }
        tx.update_case(&case).await?;
        fx.write(&mut *tx).await?;
        tx.commit().await?;
        Ok(Typed {
            case,
            case_type: ct,
        })
    }

    /// Decides one move inside the caller's transaction: checks it against
    /// the workflow and changes the case, its clock and its holder in
    /// memory; adds the history, the message, the notifications and the
    /// audit record to `fx`. The caller writes the case and `fx`. A `None`
    /// caller is the system (automatic routing). Returns the transition
    /// made by the caller.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply<'w>(
        &self,
        tx: &mut dyn ReadTx,
        caller: Option<&Caller>,
        case: &mut Case,
        ct: &CaseType,
        wf: &'w Workflow,
        ministry: &Organization,
        mv: &Move,
        now: DateTime<Utc>,
        fx: &mut Effects,
    ) -> Result<&'w TransitionDef> {
        let t: &TransitionDef = match caller {
            Some(c) => wf.authorize(&c.actor(), &facts(case), &mv.action)?,
            None => wf
                .transition(&case.state, &mv.action)
                .ok_or_else(|| DomainError::new(ErrorCode::InvalidTransition))?,
        };
        let from = case.state.clone();
        let message = match (&mv.message, t.needs(Needs::Message)) {
            (Some(m), _) if !m.trim().is_empty() => Some(clean_message(m)?),
            (_, true) => return Err(Error::invalid("message", Reason::MessageRequired)),
            _ => None,
        };
        if t.needs(Needs::Department) {
            let dept_id = mv
                .department_id
                .ok_or_else(|| Error::invalid("department_id", Reason::DepartmentRequired))?;
            let dept = self
                .org(tx, dept_id)
                .await?
                .filter(|o| o.kind == OrgKind::Department)
                .ok_or_else(|| Error::invalid("department_id", Reason::DepartmentUnknown))?;
            // A case goes to another department than the one holding it,
            // and a draft to another than the one filing it.
            let own = wf.is_draft(&from) && caller.is_some_and(|c| c.org_id == dept.id);
            if case.holder_org_id == Some(dept.id) || own {
                return Err(Error::invalid("department_id", Reason::FieldInvalid));
            }
            case.holder_org_id = Some(dept.id);
            case.holder_since = Some(now);
            case.assignee_id = None;
        }
        if t.needs(Needs::Assignee) {
            let uid = mv
                .assignee_id
                .ok_or_else(|| Error::invalid("assignee_id", Reason::AssigneeRequired))?;
            let staff = self
                .staff_of(
                    tx,
                    case.holder_org_id,
                    &[Role::Officer, Role::DepartmentHead],
                )
                .await?;
            if !staff.contains(&uid) {
                return Err(Error::invalid("assignee_id", Reason::AssigneeUnknown));
            }
            case.assignee_id = Some(uid);
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
            let cal = calendar_for(&self.cache, tx, &orgs).await?;
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
        fx.events.push(CaseEvent {
            id: Uuid::now_v7(),
            case_id: case.id,
            at: now,
            actor_id: caller.map(|c| c.user_id),
            action: t.action.clone(),
            from_state: from.clone(),
            to_state: case.state.clone(),
            holder_org_id: case.holder_org_id,
            assignee_id: case.assignee_id,
        });
        if let (Some(body), Some(c)) = (message, caller) {
            fx.messages.push(Message {
                id: Uuid::now_v7(),
                case_id: case.id,
                at: now,
                author_id: c.user_id,
                author_org_id: c.org_id,
                internal: t.message_visibility == Visibility::Internal,
                kind: t.action.clone(),
                body,
            });
        }
        fx.audit.push(entry(
            caller,
            now,
            &format!("case.{}", t.action),
            "case",
            Some(case.id.to_string()),
            json!({"tracking_number": case.tracking_number, "from": from, "to": case.state, "holder_org_id": case.holder_org_id, "assignee_id": case.assignee_id}),
        ));
        self.notify_move(tx, caller, case, t, now, fx).await?;
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
                Box::pin(self.apply(tx, None, case, ct, wf, ministry, &mv, now, fx)).await?;
            }
        }
        Ok(t)
    }

    /// Adds the notifications the transition declares, to everyone but the
    /// one who made the move.
    async fn notify_move(
        &self,
        tx: &mut dyn ReadTx,
        caller: Option<&Caller>,
        case: &Case,
        t: &TransitionDef,
        now: DateTime<Utc>,
        fx: &mut Effects,
    ) -> Result<()> {
        let me = caller.map(|c| c.user_id);
        for n in &t.notifies {
            let users = match n.to {
                Recipients::Assignee => case.assignee_id.into_iter().collect(),
                Recipients::DepartmentHeads => {
                    self.staff_of(tx, case.holder_org_id, &[Role::DepartmentHead])
                        .await?
                }
                Recipients::Registry => self.registry_staff(tx).await?,
                Recipients::Holders => self.holders(tx, case).await?,
                Recipients::Filer => self.org_staff(tx, case.filer_org_id).await?,
            };
            let users: Vec<Uuid> = users.into_iter().filter(|u| Some(*u) != me).collect();
            notices(&mut fx.notifications, &users, &n.kind, case, now);
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
        // The form field and the API property are both `body`.
        let body = clean_text("body", body, 1, MAX_BODY)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (case, _, wf) = self.visible_case(&mut *tx, caller, id).await?;
        let v = permissions(caller, &case, wf);
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
        let mut touched = case.clone();
        touched.updated_at = now;
        tx.update_case(&touched).await?;
        tx.insert_message(&m).await?;
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
                self.holders(&mut *tx, &case).await?
            } else {
                self.org_staff(&mut *tx, case.filer_org_id).await?
            };
            let to: Vec<Uuid> = to.into_iter().filter(|u| *u != caller.user_id).collect();
            let mut out = Vec::new();
            notices(&mut out, &to, "message_received", &case, now);
            tx.insert_notifications(&out).await?;
        }
        tx.commit().await?;
        Ok(m)
    }
}

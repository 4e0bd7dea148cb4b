//! One case: what it says, its history, its correspondence and
//! attachments, and the forms for what the caller may do next (which post
//! to the handlers in `actions`).

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    chrome, file_size, finish, form_failure, path_id, render_status, signed_in, summary, Chrome,
    FieldErrors, Opt, Orgs, PageResult, People,
};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use diwan_domain::cases::fields::{format_money, FieldDef, FieldKind};
use diwan_domain::cases::workflow::{Audience, Prompt};
use diwan_domain::organizations::OrgKind;
use diwan_domain::ErrorCode;
use diwan_services::frame::Shown;
use diwan_services::Caller;
use uuid::Uuid;

/// What a re-rendered case page shows besides the case: a flash, or the
/// error of the form that failed with what was typed in it.
pub struct Extra {
    pub status: StatusCode,
    pub flash: String,
    pub error: String,
    /// Which form failed: `action:<name>`, `message`, `note`, `attach` or `edit`.
    pub form: String,
    pub errors: FieldErrors,
    pub message: String,
    pub department: String,
    pub assignee: String,
    pub subject: String,
    pub body: String,
}

impl Extra {
    pub fn none() -> Extra {
        Extra {
            status: StatusCode::OK,
            flash: String::new(),
            error: String::new(),
            form: String::new(),
            errors: FieldErrors::default(),
            message: String::new(),
            department: String::new(),
            assignee: String::new(),
            subject: String::new(),
            body: String::new(),
        }
    }

    /// The page after `form` failed with a service error.
    pub fn failed(ctx: &PageCtx, form: &str, e: &diwan_services::Error) -> Extra {
        let (_, errors) = form_failure(&ctx.tr(), e);
        Extra::invalid(ctx, form, errors, e.code())
    }

    /// The page after `form` failed with these field errors.
    pub fn invalid(ctx: &PageCtx, form: &str, errors: FieldErrors, code: ErrorCode) -> Extra {
        let error = summary(&ctx.tr(), code, &errors);
        Extra {
            status: status_of(code),
            error,
            form: form.to_owned(),
            errors,
            ..Extra::none()
        }
    }

    /// The reason for `field` when `form` is the one that failed.
    fn err(&self, form: &str, field: &str) -> String {
        if self.form == form {
            self.errors.get(field).to_owned()
        } else {
            String::new()
        }
    }
}

pub struct EventView {
    pub at: String,
    pub action: String,
    pub who: String,
    pub state: String,
    pub holder: String,
}

pub struct MessageView {
    pub at: String,
    pub author: String,
    pub org: String,
    /// The action the message went with, translated ("" for plain messages).
    pub kind: String,
    pub lines: Vec<String>,
}

pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: String,
    pub sha256: String,
    pub internal: bool,
    pub at: String,
}

/// One value of the case type's fields, as shown.
pub struct FieldView {
    pub label: String,
    pub value: String,
    /// Amounts, numbers and dates read left to right.
    pub num: bool,
}

/// How a stored field value reads: amounts in the currency with all its
/// decimals, dates as stored, text as is. Nothing for an empty value.
fn field_view(d: &FieldDef, v: &serde_json::Value, lang: &str) -> Option<FieldView> {
    use serde_json::Value;
    let (value, num) = match (&d.kind, v) {
        (_, Value::Null) => return None,
        (FieldKind::Money { currency, decimals }, Value::Number(n)) if n.as_i64().is_some() => (
            format!("{} {currency}", format_money(n.as_i64()?, *decimals)),
            true,
        ),
        (FieldKind::Integer | FieldKind::Money { .. }, Value::Number(n)) => (n.to_string(), true),
        (FieldKind::Date, Value::String(s)) => (s.clone(), true),
        (_, Value::String(s)) => (s.clone(), false),
        (_, other) => (other.to_string(), false),
    };
    (!value.trim().is_empty()).then(|| FieldView {
        label: d.label(lang).to_owned(),
        value,
        num,
    })
}

pub struct ActionView {
    pub action: String,
    pub label: String,
    pub needs_department: bool,
    pub needs_assignee: bool,
    pub needs_message: bool,
    /// The label of the message box: message, answer or reason.
    pub message_label: String,
    /// Whether the action takes a file along with its message.
    pub file: bool,
    pub danger: bool,
    pub message: String,
    pub message_error: String,
    pub department_error: String,
    pub assignee_error: String,
    pub file_error: String,
    pub departments: Vec<Opt>,
    pub staff: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    id: String,
    tracking: String,
    type_name: String,
    kind: &'static str,
    subject: String,
    body: Vec<String>,
    /// The values of the type's fields, in its order.
    fields: Vec<FieldView>,
    state: String,
    /// The case is a draft, not filed yet.
    draft: bool,
    filed_by: String,
    held_by: String,
    held_since: String,
    assignee: String,
    /// Someone is assigned whose name the caller is not shown.
    assigned_unnamed: bool,
    due: String,
    overdue: bool,
    due_soon: bool,
    paused: bool,
    created: String,
    updated: String,
    events: Vec<EventView>,
    messages: Vec<MessageView>,
    notes: Vec<MessageView>,
    show_notes: bool,
    attachments: Vec<AttachmentView>,
    actions: Vec<ActionView>,
    /// Some actions need nothing but a button.
    any_simple: bool,
    can_message: bool,
    can_note: bool,
    can_attach: bool,
    attach_internal: bool,
    can_edit_draft: bool,
    edit_subject: String,
    edit_body: String,
    flash: String,
    error: String,
    errors_message: String,
    errors_note: String,
    errors_attach: String,
    errors_edit_subject: String,
    errors_edit_body: String,
    typed_message: String,
    typed_note: String,
    max_mb: usize,
}

/// Text split into lines, so that the page keeps the writer's line breaks.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// The label of a move's message box: what its workflow says the message is.
fn message_label(p: Prompt) -> &'static str {
    match p {
        Prompt::Message => "message",
        Prompt::Answer => "the-answer",
        Prompt::Reason => "reason",
    }
}

/// The kind of case a workflow's audience files: a request from outside
/// the ministry, or a memo within it.
fn kind_label(a: Audience) -> &'static str {
    match a {
        Audience::Public => "kind-request",
        Audience::Internal => "kind-memo",
    }
}

/// Renders the case page for `id` as `caller` sees it.
pub async fn case_page(
    ctx: &PageCtx,
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    extra: Extra,
) -> PageResult {
    let Shown { frame, body: view } = state.services.case_page(caller, id).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let mut people = People::of(&frame);
    // The service names everyone who took part in this case.
    people
        .names
        .extend(view.names.iter().map(|(id, n)| (*id, n.clone())));
    let tz = orgs.tz(caller.org_id);
    let c = &view.case;
    let lang = tr.code();

    let events = view
        .events
        .iter()
        .map(|e| EventView {
            at: tr.datetime(e.at, &tz),
            action: tr.t_code("action-", &e.action),
            who: match e.actor_id {
                None => tr.t("system-actor"),
                Some(_) => people.name(e.actor_id),
            },
            state: e.to_state.clone(),
            holder: orgs.name_opt(e.holder_org_id),
        })
        .collect();
    let to_view = |m: &diwan_store::Message| MessageView {
        at: tr.datetime(m.at, &tz),
        author: people.name(Some(m.author_id)),
        org: orgs.name(m.author_org_id),
        kind: match m.kind.as_str() {
            "message" | "note" => String::new(),
            k => tr.t_code("action-", k),
        },
        lines: lines(&m.body),
    };
    let messages = view
        .messages
        .iter()
        .filter(|m| !m.internal)
        .map(to_view)
        .collect();
    let notes: Vec<MessageView> = view
        .messages
        .iter()
        .filter(|m| m.internal)
        .map(to_view)
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| AttachmentView {
            id: a.id.to_string(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: file_size(&tr, a.size),
            sha256: a.sha256.clone(),
            internal: a.internal,
            at: tr.datetime(a.at, &tz),
        })
        .collect();

    // A case goes to another department than the one holding it, and a
    // draft to another than the one filing it.
    let departments = |current: &str, files_draft: bool| -> Vec<Opt> {
        orgs.of_kind(&[OrgKind::Department])
            .filter(|o| Some(o.id) != c.holder_org_id)
            .filter(|o| !files_draft || o.id != caller.org_id)
            .map(|o| Opt::new(o.id.to_string(), o.name(lang), current))
            .collect()
    };
    let actions = view
        .actions
        .iter()
        .map(|a| {
            let form = format!("action:{}", a.action);
            let mine = extra.form == form;
            let typed = |s: &str| if mine { s.to_owned() } else { String::new() };
            ActionView {
                action: a.action.clone(),
                label: tr.t_code("action-", &a.action),
                needs_department: a.needs_department,
                needs_assignee: a.needs_assignee,
                needs_message: a.needs_message,
                message_label: tr.t(message_label(a.prompt)),
                file: a.carries_file,
                danger: a.terminates,
                message: typed(&extra.message),
                message_error: extra.err(&form, "message"),
                department_error: extra.err(&form, "department_id"),
                assignee_error: extra.err(&form, "assignee_id"),
                file_error: extra.err(&form, "file"),
                departments: if a.needs_department {
                    departments(&typed(&extra.department), a.files_draft)
                } else {
                    Vec::new()
                },
                staff: if a.needs_assignee {
                    let current = typed(&extra.assignee);
                    people
                        .staff
                        .iter()
                        .filter(|(_, _, unit)| Some(*unit) == c.holder_org_id)
                        .map(|(uid, name, _)| Opt::new(uid.to_string(), name.clone(), &current))
                        .collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();

    let edit_failed = extra.form == "edit";
    let page = CasePage {
        tr,
        user,
        csrf,
        path,
        id: c.id.to_string(),
        tracking: c.tracking_number.clone(),
        type_name: view.case_type.name(lang).to_owned(),
        kind: kind_label(
            state
                .services
                .workflows()
                .get(&view.case_type.workflow)
                .map(|w| w.audience)
                .unwrap_or_default(),
        ),
        subject: c.subject.clone(),
        body: lines(&c.body),
        fields: view
            .case_type
            .fields
            .iter()
            .filter_map(|d| field_view(d, c.fields.get(&d.code)?, lang))
            .collect(),
        state: c.state.clone(),
        draft: view.draft,
        filed_by: orgs.name(c.filer_org_id),
        held_by: orgs.name_opt(c.holder_org_id),
        held_since: c
            .holder_since
            .map(|t| tr.datetime(t, &tz))
            .unwrap_or_default(),
        assignee: people.name(c.assignee_id),
        assigned_unnamed: c.assignee_id.is_some() && people.name(c.assignee_id).is_empty(),
        due: c.due_date.map(|d| tr.date(d)).unwrap_or_default(),
        overdue: c.overdue,
        due_soon: view.due_soon,
        paused: view.paused,
        created: tr.datetime(c.created_at, &tz),
        updated: tr.datetime(c.updated_at, &tz),
        events,
        messages,
        show_notes: view.can_note || !notes.is_empty(),
        notes,
        attachments,
        any_simple: view.actions.iter().any(|a| {
            !(a.needs_department || a.needs_assignee || a.needs_message || a.carries_file)
        }),
        actions,
        can_message: view.can_message,
        can_note: view.can_note,
        can_attach: view.can_message || view.can_edit_draft,
        attach_internal: !caller.role.is_municipal(),
        can_edit_draft: view.can_edit_draft,
        edit_subject: if edit_failed {
            extra.subject.clone()
        } else {
            c.subject.clone()
        },
        edit_body: if edit_failed {
            extra.body.clone()
        } else {
            c.body.clone()
        },
        flash: extra.flash.clone(),
        error: extra.error.clone(),
        errors_message: extra.err("message", "body"),
        errors_note: extra.err("note", "body"),
        errors_attach: extra.err("attach", "file"),
        errors_edit_subject: extra.err("edit", "subject"),
        errors_edit_body: extra.err("edit", "body"),
        typed_message: if extra.form == "message" {
            extra.message.clone()
        } else {
            String::new()
        },
        typed_note: if extra.form == "note" {
            extra.message.clone()
        } else {
            String::new()
        },
        max_mb: state.services.config.max_attachment_bytes / (1024 * 1024),
    };
    Ok(render_status(extra.status, &page))
}

/// `GET /cases/{id}`.
pub async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    RawQuery(q): RawQuery,
) -> Response {
    let r = show_inner(&ctx, &state, &id, q).await;
    finish(&ctx, &state, r).await
}

async fn show_inner(ctx: &PageCtx, state: &AppState, id: &str, q: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let mut extra = Extra::none();
    if Fields::from_query(q.as_deref()).get("filed") == "1" {
        // The tracking number is only known once the case is read; the
        // template fills it in.
        extra.flash = "filed".into();
    }
    case_page(ctx, state, caller, id, extra).await
}

impl CasePage {
    /// The flash message, with the tracking number where it needs one.
    fn flash_text(&self) -> String {
        match self.flash.as_str() {
            "" => String::new(),
            "filed" if self.draft => self.tr.t_s("draft-saved", "number", &self.tracking),
            "filed" => self.tr.t_s("request-filed", "number", &self.tracking),
            other => self.tr.t(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{I18n, Lang};
    use diwan_domain::cases::workflow::Registry;

    /// Labels are found by the codes of states, actions and notifications:
    /// every one the shipped workflows declare has its text in every language.
    #[test]
    fn the_shipped_workflows_are_translated() {
        let key = |prefix: &str, code: &str| format!("{prefix}{}", code.replace('_', "-"));
        let mut keys = Vec::new();
        for wf in Registry::builtin().all() {
            keys.push(kind_label(wf.audience).to_owned());
            keys.extend(wf.states.iter().map(|s| key("state-", &s.code)));
            for t in &wf.transitions {
                keys.push(key("action-", &t.action));
                keys.push(message_label(t.prompt).to_owned());
                keys.extend(t.notifies.iter().map(|n| key("notification-", &n.kind)));
            }
        }
        for lang in Lang::ALL {
            for k in &keys {
                assert!(I18n::global().has(lang, k), "{lang} lacks {k}");
            }
        }
    }
}

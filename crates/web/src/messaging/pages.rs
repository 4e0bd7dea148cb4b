//! Messaging's pages: `/messages` (the outbox), `/messages/{id}` (one
//! message), `/messages/batches/{id}` (a batch and its progress) and
//! `/messages/new` (composing a bulk SMS, with its cost shown before it is
//! sent).

use super::templates::RenderedView;
use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, municipality_choices, path_id, read_municipalities,
    render, render_status, see_other, signed_in, Choice, Chrome, FieldErrors, Orgs, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::messaging::State as MessageState;
use diwan_domain::persons::Language;
use diwan_domain::ErrorCode;
use diwan_services::frame::{Frame, Shown};
use diwan_services::messaging::{BulkForm, Preview};
use diwan_store::{MessageTemplate, OutboxMessage};

/// Messaging's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/messages", list)
        .get("/messages/new", new)
        .post("/messages/new", compose)
        .get("/messages/batches/{id}", batch)
        .get("/messages/{id}", show)
}

/// An amount in dirhams as dinars with their three decimals.
pub fn dinars(dirhams: i64) -> String {
    let sign = if dirhams < 0 { "-" } else { "" };
    let d = dirhams.unsigned_abs();
    format!("{sign}{}.{:03}", d / 1000, d % 1000)
}

pub struct MessageRow {
    pub href: String,
    pub recipient: String,
    pub kind: String,
    pub state: String,
    pub parts: i32,
    pub created: String,
}

pub struct BatchRow {
    pub href: String,
    pub created: String,
    pub total: i64,
    pub text: String,
}

pub struct CountRow {
    pub channel: String,
    pub state: String,
    pub count: i64,
}

pub struct StateOpt {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "messaging/list.html")]
struct ListPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    gateway: bool,
    may_send: bool,
    counts: Vec<CountRow>,
    batches: Vec<BatchRow>,
    rows: Vec<MessageRow>,
    states: Vec<StateOpt>,
    next: String,
}

#[derive(Template)]
#[template(path = "messaging/message.html")]
struct MessagePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    m: OutboxMessage,
    kind: String,
    state: String,
    encoding: String,
    characters: usize,
    created: String,
    sent: String,
    delivered: String,
    next_attempt: String,
    expires: String,
    batch_href: String,
}

#[derive(Template)]
#[template(path = "messaging/batch.html")]
struct BatchPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    text: String,
    created: String,
    total: i64,
    done_text: String,
    percent: i64,
    counts: Vec<CountRow>,
    /// Whether the page updates itself (a `Refresh` header) and offers to stop.
    auto: bool,
    href: String,
}

#[derive(Template)]
#[template(path = "messaging/compose.html")]
struct ComposePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    text: String,
    templates: Vec<Choice>,
    values: String,
    municipalities: Vec<Choice>,
    /// Whether the caller chooses municipalities (the ministry) or writes
    /// to his own residents (a municipality's head).
    chooses: bool,
    preview: Option<PreviewView>,
    error: String,
    errors: FieldErrors,
}

pub struct PreviewView {
    /// Each language's text, when a template is used.
    pub rendered: Vec<RenderedView>,
    /// Recipients per language (the language's name, the count).
    pub by_language: Vec<(String, i64)>,
    pub encoding: String,
    pub characters: usize,
    pub units: usize,
    pub parts: usize,
    pub recipients: i64,
    pub total_parts: i64,
    pub cost: String,
    pub price: String,
}

impl PreviewView {
    fn of(tr: &Tr<'static>, p: &Preview, templated: bool) -> PreviewView {
        PreviewView {
            rendered: if templated {
                p.rendered.iter().map(|r| RenderedView::of(tr, r)).collect()
            } else {
                Vec::new()
            },
            by_language: Language::ALL
                .iter()
                .zip(p.by_language)
                .filter(|(_, n)| *n > 0)
                .map(|(l, n)| (tr.t_code("language-", l.as_str()), n))
                .collect(),
            encoding: tr.t_code("encoding-", p.count.encoding.as_str()),
            characters: p.count.characters,
            units: p.count.units,
            parts: p.count.parts,
            recipients: p.recipients,
            total_parts: p.total_parts,
            cost: dinars(p.cost),
            price: dinars(p.price_per_part),
        }
    }
}

fn may_send(user: &Option<NavUser>) -> bool {
    user.as_ref()
        .is_some_and(|u| u.may_message && !u.is_auditor && (u.is_admin || u.is_municipal))
}

fn count_rows(tr: &Tr<'static>, counts: &[diwan_store::StateCount]) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = counts
        .iter()
        .map(|c| CountRow {
            channel: tr.t_code("channel-", c.channel.as_str()),
            state: tr.t_code("message-state-", c.state.as_str()),
            count: c.count,
        })
        .collect();
    rows.sort_by(|a, b| a.channel.cmp(&b.channel).then(a.state.cmp(&b.state)));
    rows
}

/// `GET /messages?state=…&before=…`.
pub async fn list(ctx: PageCtx, State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = list_inner(&ctx, &state, q).await;
    finish(&ctx, &state, r).await
}

async fn list_inner(ctx: &PageCtx, state: &AppState, raw: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::from_query(raw.as_deref());
    let wanted = match f.opt("state") {
        None => None,
        Some(s) => Some(MessageState::parse(s).ok_or(ErrorCode::InvalidInput)?),
    };
    let before = match f.opt("before") {
        None => None,
        Some(b) => Some(uuid::Uuid::try_parse(b).map_err(|_| ErrorCode::InvalidInput)?),
    };
    let Shown { frame, body } = state.services.messages_page(caller, wanted, before).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let tz = Orgs::of(&frame, &tr).tz(caller.org_id);
    let rows = body
        .messages
        .iter()
        .map(|m| MessageRow {
            href: format!("/messages/{}", m.id),
            recipient: m.recipient.clone(),
            kind: tr.t_code("message-kind-", m.kind.as_str()),
            state: tr.t_code("message-state-", m.state.as_str()),
            parts: m.parts,
            created: tr.datetime(m.created_at, &tz),
        })
        .collect();
    let batches = body
        .batches
        .iter()
        .map(|b| BatchRow {
            href: format!("/messages/batches/{}", b.id),
            created: tr.datetime(b.created_at, &tz),
            total: b.total,
            text: b.body.chars().take(60).collect(),
        })
        .collect();
    let states = MessageState::ALL
        .iter()
        .map(|s| StateOpt {
            value: s.as_str(),
            label: tr.t_code("message-state-", s.as_str()),
            selected: wanted == Some(*s),
        })
        .collect();
    let next = body
        .next
        .map(|n| match wanted {
            Some(s) => format!("/messages?state={}&before={n}", s.as_str()),
            None => format!("/messages?before={n}"),
        })
        .unwrap_or_default();
    let counts = count_rows(&tr, &body.counts);
    Ok(render(&ListPage {
        may_send: may_send(&user),
        tr,
        user,
        csrf,
        path,
        gateway: body.gateway,
        counts,
        batches,
        rows,
        states,
        next,
    }))
}

/// `GET /messages/{id}`.
pub async fn show(ctx: PageCtx, State(state): State<AppState>, PagePath(id): PagePath) -> Response {
    let r = show_inner(&ctx, &state, &id).await;
    finish(&ctx, &state, r).await
}

async fn show_inner(ctx: &PageCtx, state: &AppState, id: &str) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let Shown { frame, body: m } = state.services.outbox_message(caller, id).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let tz = Orgs::of(&frame, &tr).tz(caller.org_id);
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| tr.datetime(t, &tz)).unwrap_or_default()
    };
    let count = diwan_domain::messaging::sms::count(&m.body);
    let page = MessagePage {
        kind: tr.t_code("message-kind-", m.kind.as_str()),
        state: tr.t_code("message-state-", m.state.as_str()),
        encoding: tr.t_code("encoding-", count.encoding.as_str()),
        characters: count.characters,
        created: at(Some(m.created_at)),
        sent: at(m.sent_at),
        delivered: at(m.delivered_at),
        next_attempt: if m.state == MessageState::Queued {
            at(Some(m.next_attempt_at))
        } else {
            String::new()
        },
        expires: at(Some(m.expires_at)),
        batch_href: m
            .batch_id
            .map(|b| format!("/messages/batches/{b}"))
            .unwrap_or_default(),
        m,
        tr,
        user,
        csrf,
        path,
    };
    Ok(render(&page))
}

/// `GET /messages/batches/{id}`: updates itself every few seconds while
/// messages are on their way (no script needed), unless `?auto=0`.
pub async fn batch(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    RawQuery(q): RawQuery,
) -> Response {
    let auto = Fields::from_query(q.as_deref()).get("auto") != "0";
    let r = batch_inner(&ctx, &state, &id, auto).await;
    finish(&ctx, &state, r).await
}

/// Seconds between updates of a batch's page.
const REFRESH_SECS: &str = "5";

async fn batch_inner(ctx: &PageCtx, state: &AppState, id: &str, auto: bool) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let Shown { frame, body } = state.services.message_batch(caller, id).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let tz = Orgs::of(&frame, &tr).tz(caller.org_id);
    let waiting = body.count(MessageState::Queued) + body.count(MessageState::Sending);
    let total = body.batch.total;
    let done = total - waiting;
    let percent = if total == 0 { 100 } else { done * 100 / total };
    let counts = count_rows(&tr, &body.counts);
    let auto = auto && waiting > 0;
    let mut res = render(&BatchPage {
        text: body.batch.body.clone(),
        created: tr.datetime(body.batch.created_at, &tz),
        total,
        done_text: tr.t_args(
            "batch-done",
            &[("done", done.into()), ("total", total.into())],
        ),
        percent,
        counts,
        auto,
        href: format!("/messages/batches/{}", body.batch.id),
        tr,
        user,
        csrf,
        path,
    });
    if auto {
        res.headers_mut().insert(
            axum::http::header::REFRESH,
            axum::http::HeaderValue::from_static(REFRESH_SECS),
        );
    }
    Ok(res)
}

#[allow(clippy::too_many_arguments)]
fn compose_page(
    c: Chrome,
    frame: &Frame,
    templates: &[MessageTemplate],
    own: bool,
    form: &BulkForm,
    values: &str,
    preview: Option<&Preview>,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = c;
    let municipalities = municipality_choices(frame, &tr, own, &form.municipalities);
    let preview = preview.map(|p| PreviewView::of(&tr, p, form.template_id.is_some()));
    let templates = templates
        .iter()
        .filter(|t| t.template.kind == diwan_domain::messaging::Kind::Bulk)
        .map(|t| Choice {
            value: t.id.to_string(),
            label: t.template.name.clone(),
            checked: form.template_id == Some(t.id),
        })
        .collect();
    render_status(
        status,
        &ComposePage {
            tr,
            user,
            csrf,
            path,
            text: form.text.clone(),
            templates,
            values: values.to_owned(),
            municipalities,
            chooses: !own,
            preview,
            error,
            errors,
        },
    )
}

/// `GET /messages/new`.
pub async fn new(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = new_inner(&ctx, &state).await;
    finish(&ctx, &state, r).await
}

async fn new_inner(ctx: &PageCtx, state: &AppState) -> PageResult {
    let caller = signed_in(ctx)?;
    let shown = state.services.message_templates(caller).await?;
    let c = chrome(ctx, &shown.frame);
    if !may_send(&c.user) {
        return Err(ErrorCode::NotFound.into());
    }
    let own = caller.role.is_municipal();
    Ok(compose_page(
        c,
        &shown.frame,
        &shown.body,
        own,
        &BulkForm::default(),
        "",
        None,
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

/// `POST /messages/new`: `action=preview` shows what the message takes and
/// costs; `action=send` queues it and shows its batch.
pub async fn compose(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = compose_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn compose_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let own = caller.role.is_municipal();
    let mut errors = FieldErrors::default();
    let municipalities = read_municipalities(&f, &mut errors);
    let template_id = match f.get("template").trim() {
        "" => None,
        t => match uuid::Uuid::try_parse(t) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("template", diwan_domain::Reason::TemplateUnknown);
                None
            }
        },
    };
    let values_text = f.get("values").to_owned();
    let values = super::templates::read_pairs(&values_text, "values", &mut errors);
    let form = BulkForm {
        text: f.get("text").replace("\r\n", "\n"),
        template_id,
        values,
        municipalities,
    };
    let result = if !errors.is_empty() {
        Err(errors.into_error())
    } else if f.get("action") == "send" {
        match state.services.send_bulk(caller, form.clone()).await {
            Ok(b) => return Ok(see_other(&format!("/messages/batches/{}", b.id))),
            Err(e) => Err(e),
        }
    } else {
        state.services.preview_bulk(caller, &form).await
    };
    let shown = state.services.message_templates(caller).await?;
    let (frame, templates) = (shown.frame, shown.body);
    let c = chrome(ctx, &frame);
    match result {
        Ok(p) => Ok(compose_page(
            c,
            &frame,
            &templates,
            own,
            &form,
            &values_text,
            Some(&p),
            String::new(),
            FieldErrors::default(),
            StatusCode::OK,
        )),
        Err(e) if e.code() == ErrorCode::Internal || e.code() == ErrorCode::Forbidden => {
            Err(e.into())
        }
        Err(e) => {
            let (error, errors) = form_failure(&c.tr, &e);
            Ok(compose_page(
                c,
                &frame,
                &templates,
                own,
                &form,
                &values_text,
                None,
                error,
                errors,
                status_of(e.code()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dinars;

    #[test]
    fn dirhams_show_as_dinars_with_three_decimals() {
        assert_eq!(dinars(0), "0.000");
        assert_eq!(dinars(25), "0.025");
        assert_eq!(dinars(1_234_500), "1234.500");
        assert_eq!(dinars(-5), "-0.005");
    }
}

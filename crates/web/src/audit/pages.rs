//! The audit trail, for auditors and administrators: `/audit`.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::cursor;
use crate::kit::form::{read_day, Fields};
use crate::kit::page::{
    chrome, finish, pct, render_status, signed_in, Chrome, Fail, FieldErrors, Opt, Orgs, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use diwan_domain::Reason;
use diwan_domain::{ErrorCode, Role};
use diwan_services::frame::Shown;
use diwan_store::AuditQuery;
use uuid::Uuid;

const PAGE: i64 = 50;

pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub org: String,
    pub action: String,
    pub object: String,
    pub object_href: String,
    pub ip: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    actor: String,
    orgs: Vec<Opt>,
    action: String,
    object: String,
    from: String,
    to: String,
    errors: FieldErrors,
    rows: Vec<AuditRow>,
    next_url: String,
}

/// The audit page.
pub fn routes() -> Routes {
    Routes::new().get("/audit", search)
}

/// `GET /audit`.
pub async fn search(
    ctx: PageCtx,
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = search_inner(&ctx, &state, q).await;
    finish(&ctx, &state, r).await
}

async fn search_inner(ctx: &PageCtx, state: &AppState, q: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    if !matches!(caller.role, Role::Auditor | Role::Admin) {
        return Err(Fail::Page(ErrorCode::NotFound));
    }
    let f = Fields::from_query(q.as_deref());
    let mut errors = FieldErrors::default();
    let mut query = AuditQuery {
        limit: PAGE + 1,
        ..AuditQuery::default()
    };

    let actor = f.opt("actor").unwrap_or("").to_owned();
    let org = f.opt("org").unwrap_or("").to_owned();
    if !org.is_empty() {
        match Uuid::try_parse(&org) {
            Ok(id) => query.org_id = Some(id),
            Err(_) => errors.add("org", Reason::FieldInvalid),
        }
    }
    let action = f.opt("action").unwrap_or("").to_owned();
    if !action.is_empty() {
        if action.chars().count() > 100 {
            errors.add("action", Reason::FieldTooLong);
        }
        query.action_prefix = Some(action.clone());
    }
    let object = f.opt("object").unwrap_or("").to_owned();
    if !object.is_empty() {
        if object.chars().count() > 100 {
            errors.add("object", Reason::FieldTooLong);
        }
        query.object_id = Some(object.clone());
    }
    let day = |name: &str, errors: &mut FieldErrors| -> (Option<NaiveDate>, String) {
        let sent = f.opt(name);
        match read_day(sent) {
            Ok(d) => (
                d,
                d.map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            ),
            Err(reason) => {
                errors.add(name, reason);
                (None, sent.unwrap_or("").to_owned())
            }
        }
    };
    let (from_day, from) = day("from", &mut errors);
    let (to_day, to) = day("to", &mut errors);
    if let Some(b) = f.opt("before") {
        query.before = Some(cursor::decode_before(b).ok_or(Fail::Page(ErrorCode::InvalidInput))?);
    }
    let run = errors.is_empty();
    let Shown {
        frame,
        body: mut found,
    } = state
        .services
        .audit_page(caller, query, Some(&actor), (from_day, to_day), run)
        .await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let mut rows = Vec::new();
    let mut next_url = String::new();
    if run {
        let more = found.len() as i64 > PAGE;
        found.truncate(PAGE as usize);
        if let (true, Some(last)) = (more, found.last()) {
            let mut pairs: Vec<(&str, &str)> = Vec::new();
            for (k, v) in [
                ("actor", &actor),
                ("org", &org),
                ("action", &action),
                ("object", &object),
                ("from", &from),
                ("to", &to),
            ] {
                if !v.is_empty() {
                    pairs.push((k, v.as_str()));
                }
            }
            let before = cursor::encode_before(last.at, last.id);
            pairs.push(("before", &before));
            next_url = format!(
                "/audit?{}",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", pct(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            );
        }
        let tz = orgs.tz(caller.org_id);
        rows = found
            .iter()
            .map(|r| {
                let object_id = r.object_id.clone().unwrap_or_default();
                AuditRow {
                    at: tr.datetime(r.at, &tz),
                    who: r.actor_name.clone(),
                    org: orgs.name_opt(r.org_id),
                    action: r.action.clone(),
                    object_href: if r.object_type == "case" && Uuid::try_parse(&object_id).is_ok() {
                        format!("/cases/{object_id}")
                    } else {
                        String::new()
                    },
                    object: if object_id.is_empty() {
                        r.object_type.clone()
                    } else {
                        format!("{} {}", r.object_type, object_id)
                    },
                    ip: r.ip.clone().unwrap_or_default(),
                    details: serde_json::to_string(&r.details).unwrap_or_default(),
                }
            })
            .collect();
    }
    let org_opts = orgs
        .list
        .iter()
        .map(|o| Opt::new(o.id.to_string(), o.name(tr.code()), &org))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = AuditPage {
        tr,
        user,
        csrf,
        path,
        actor,
        orgs: org_opts,
        action,
        object,
        from,
        to,
        errors,
        rows,
        next_url,
    };
    Ok(render_status(status, &page))
}

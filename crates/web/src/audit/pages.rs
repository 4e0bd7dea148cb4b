//! The audit trail, for auditors and administrators: `/audit`.

use crate::i18n::{time_zone_or_default, Tr};
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
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diwan_domain::organizations::OrgKind;
use diwan_domain::{ErrorCode, Role};
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
#[template(path = "pages/audit.html")]
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

/// The start of a day in the ministry's time zone, as an instant.
fn start_of(day: NaiveDate, tz: &str) -> Option<DateTime<Utc>> {
    let local = day.and_hms_opt(0, 0, 0)?;
    time_zone_or_default(tz)
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
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
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, state).await;
    let orgs = Orgs::load(state, &tr).await?;
    let ministry_tz = orgs
        .of_kind(&[OrgKind::Ministry])
        .next()
        .map(|o| o.time_zone.clone())
        .unwrap_or_default();
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
            Err(_) => errors.add("org", "field-invalid"),
        }
    }
    let action = f.opt("action").unwrap_or("").to_owned();
    if !action.is_empty() {
        if action.chars().count() > 100 {
            errors.add("action", "field-too-long");
        }
        query.action_prefix = Some(action.clone());
    }
    let object = f.opt("object").unwrap_or("").to_owned();
    if !object.is_empty() {
        if object.chars().count() > 100 {
            errors.add("object", "field-too-long");
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
    query.from = from_day.and_then(|d| start_of(d, &ministry_tz));
    query.to = to_day
        .and_then(|d| d.succ_opt())
        .and_then(|d| start_of(d, &ministry_tz));
    if let Some(b) = f.opt("before") {
        query.before = Some(cursor::decode_before(b).ok_or(Fail::Page(ErrorCode::InvalidInput))?);
    }

    let mut rows = Vec::new();
    let mut next_url = String::new();
    if errors.is_empty() {
        let mut found = state
            .services
            .search_audit(caller, query, Some(&actor))
            .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_in_tripoli() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            start_of(d, "Africa/Tripoli").unwrap().to_rfc3339(),
            "2026-03-08T22:00:00+00:00"
        );
    }
}

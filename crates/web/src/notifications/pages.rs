//! The notification centre: `/notifications`.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, render, see_other, signed_in, Chrome, Orgs, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use diwan_services::frame::Shown;
use uuid::Uuid;

pub struct NotificationView {
    pub id: String,
    pub text: String,
    pub href: String,
    pub at: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications/notifications.html")]
struct NotificationsPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    items: Vec<NotificationView>,
    unread: usize,
}

/// The notification centre.
pub fn routes() -> Routes {
    Routes::new()
        .get("/notifications", list)
        .post("/notifications/read", read)
}

/// `GET /notifications`.
pub async fn list(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = list_inner(&ctx, &state).await;
    finish(&ctx, &state, r).await
}

async fn list_inner(ctx: &PageCtx, state: &AppState) -> PageResult {
    let caller = signed_in(ctx)?;
    let Shown { frame, body: found } = state.services.notifications_page(caller, 100).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let tz = orgs.tz(caller.org_id);
    let items: Vec<NotificationView> = found
        .iter()
        .map(|n| NotificationView {
            id: n.id.to_string(),
            text: tr.t_s(
                &format!("notification-{}", n.kind.replace('_', "-")),
                "number",
                &n.tracking_number,
            ),
            href: n.case_id.map(|c| format!("/cases/{c}")).unwrap_or_default(),
            at: tr.datetime(n.at, &tz),
            unread: n.read_at.is_none(),
        })
        .collect();
    let unread = items.iter().filter(|i| i.unread).count();
    Ok(render(&NotificationsPage {
        tr,
        user,
        csrf,
        path,
        items,
        unread,
    }))
}

/// `POST /notifications/read` (optional `id`; all when absent).
pub async fn read(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = read_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn read_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let id = match f.opt("id") {
        None => None,
        Some(v) => Some(Uuid::try_parse(v).map_err(|_| diwan_domain::ErrorCode::InvalidInput)?),
    };
    state.services.mark_read(caller, id).await?;
    Ok(see_other("/notifications"))
}

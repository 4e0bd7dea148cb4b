//! The dashboard: per department, open, overdue, due-soon and paused cases.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::page::{chrome, finish, render, signed_in, Chrome, PageResult};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use diwan_domain::organizations::OrgKind;
use diwan_services::frame::Shown;

pub struct DashRow {
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
    pub open_url: String,
    pub overdue_url: String,
    pub due_soon_url: String,
    pub paused_url: String,
}

#[derive(Template)]
#[template(path = "cases/dashboard.html")]
struct DashboardPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    rows: Vec<DashRow>,
    total: DashRow,
}

/// `GET /dashboard`.
pub async fn show(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = show_inner(&ctx, &state).await;
    finish(&ctx, &state, r).await
}

async fn show_inner(ctx: &PageCtx, state: &AppState) -> PageResult {
    let caller = signed_in(ctx)?;
    let Shown {
        frame,
        body: counts,
    } = state.services.dashboard_page(caller).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let row = |name: String, base: String, c: &diwan_store::CaseCounts| DashRow {
        name,
        open: c.open,
        overdue: c.overdue,
        due_soon: c.due_soon,
        paused: c.paused,
        open_url: format!("{base}state=open"),
        overdue_url: format!("{base}overdue=1"),
        due_soon_url: format!("{base}due_soon=1"),
        paused_url: format!("{base}state=paused"),
    };
    let mut sum = diwan_store::CaseCounts::default();
    let mut rows = Vec::new();
    for d in &counts {
        // A municipality's own counts are over everything it filed.
        let base = if d.department.kind == OrgKind::Municipality {
            "/cases?".to_owned()
        } else {
            format!("/cases?department={}&", d.department.id)
        };
        sum.open += d.counts.open;
        sum.overdue += d.counts.overdue;
        sum.due_soon += d.counts.due_soon;
        sum.paused += d.counts.paused;
        rows.push(row(
            d.department.name(tr.code()).to_owned(),
            base,
            &d.counts,
        ));
    }
    let total = row(tr.t("total"), "/cases?".to_owned(), &sum);
    Ok(render(&DashboardPage {
        tr,
        user,
        csrf,
        path,
        rows,
        total,
    }))
}

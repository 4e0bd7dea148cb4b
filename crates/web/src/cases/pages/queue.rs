//! The queue (`/cases`) with its filters, and search (`/search`).

use crate::cases::filter::{self, after, cursor_after, FilterInput, Form};
use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::cursor;
use crate::kit::form::Fields;
use crate::kit::page::{
    chrome, finish, pct, render_status, see_other, signed_in, Chrome, Fail, FieldErrors, Opt, Orgs,
    PageResult, People,
};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use diwan_domain::cases::tracking::TrackingNumber;
use diwan_domain::cases::workflow::{Clock, Registry};
use diwan_domain::organizations::OrgKind;
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::cases::queues::{CaseFilter, Count, QueueRow};
use diwan_services::frame::Shown;
use diwan_services::Caller;
use diwan_store::{CaseType, SortKey};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per page.
const PAGE: i64 = 25;

/// One line of the cases table, ready to show.
pub struct RowView {
    pub id: String,
    pub tracking: String,
    pub subject: String,
    pub type_name: String,
    pub state: String,
    pub municipality: String,
    pub holder: String,
    pub holder_since: String,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub due_soon: bool,
}

/// Turns queue rows into table lines.
pub struct RowMaker {
    types: HashMap<Uuid, String>,
    tz: String,
    today: NaiveDate,
}

impl RowMaker {
    pub fn new(
        state: &AppState,
        tr: &Tr<'static>,
        caller: &Caller,
        types: &[CaseType],
        orgs: &Orgs,
    ) -> RowMaker {
        let tz = orgs.tz(caller.org_id);
        let today = diwan_services::organizations::today_in(&tz, state.services.now());
        let types = types
            .iter()
            .map(|t| (t.id, t.name(tr.code()).to_owned()))
            .collect();
        RowMaker { types, tz, today }
    }

    pub fn make(
        &self,
        tr: &Tr<'static>,
        rows: &[QueueRow],
        orgs: &Orgs,
        people: &People,
    ) -> Vec<RowView> {
        rows.iter()
            .map(|q| {
                let r = &q.row;
                let running = r.clock == Clock::Running;
                let overdue = running && (r.overdue || r.due_date.is_some_and(|d| d < self.today));
                RowView {
                    id: r.id.to_string(),
                    tracking: r.tracking_number.clone(),
                    subject: r.subject.clone(),
                    type_name: self.types.get(&r.case_type_id).cloned().unwrap_or_default(),
                    state: r.state.clone(),
                    municipality: orgs.name(r.filer_org_id),
                    holder: orgs.name_opt(r.holder_org_id),
                    holder_since: r
                        .holder_since
                        .map(|t| tr.datetime(t, &self.tz))
                        .unwrap_or_default(),
                    assignee: people.name(r.assignee_id),
                    due: r.due_date.map(|d| tr.date(d)).unwrap_or_default(),
                    overdue,
                    due_soon: q.due_soon && !overdue,
                }
            })
            .collect()
    }
}

/// How many cases the queue holds, as a sentence ("" before a query ran).
fn count_text(tr: &Tr<'static>, c: Option<Count>) -> String {
    match c {
        None => String::new(),
        Some(Count { n, more: true }) => tr.t_n("cases-count-more", "count", n),
        Some(Count { n, more: false }) => tr.t_n("cases-count", "count", n),
    }
}

/// The filters as typed, to fill the form again and to build links.
#[derive(Default)]
struct Echo {
    states: Vec<String>,
    case_type: String,
    municipality: String,
    department: String,
    assignee: String,
    overdue: bool,
    due_soon: bool,
    from: String,
    to: String,
    q: String,
    sort: String,
    order: String,
}

impl Echo {
    /// The query string of these filters, with `after` when given.
    fn query(&self, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> =
            self.states.iter().map(|s| ("state", s.as_str())).collect();
        for (k, v) in [
            ("type", &self.case_type),
            ("municipality", &self.municipality),
            ("department", &self.department),
            ("assignee", &self.assignee),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("order", &self.order),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.as_str()));
            }
        }
        if self.overdue {
            pairs.push(("overdue", "1"));
        }
        if self.due_soon {
            pairs.push(("due_soon", "1"));
        }
        if let Some(a) = after {
            pairs.push(("after", a));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", pct(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What was typed: the value as read when it could be, as sent otherwise.
fn typed<T: ToString>(read: Option<T>, sent: Option<&str>) -> String {
    read.map(|v| v.to_string())
        .unwrap_or_else(|| sent.unwrap_or("").to_owned())
}

/// Reads the filters. A cursor that cannot be read is a bad request as a
/// whole; other mistakes are shown on the form. Municipal staff filter
/// neither by municipality nor by assignee.
fn parse_filter(
    f: &Fields,
    caller: &Caller,
    workflows: &Registry,
    errors: &mut FieldErrors,
) -> Result<(CaseFilter, Echo), Fail> {
    let staff = !caller.role.is_municipal();
    let input = FilterInput {
        states: f.all("state").collect(),
        case_type: f.opt("type"),
        municipality: f.opt("municipality").filter(|_| staff),
        department: f.opt("department"),
        assignee: f.opt("assignee").filter(|_| staff),
        overdue: f.opt("overdue"),
        due_soon: f.opt("due_soon"),
        from: f.opt("from"),
        to: f.opt("to"),
        q: f.opt("q"),
        sort: f.opt("sort"),
        order: f.opt("order"),
        after: f.opt("after"),
        limit: None,
    };
    let form = Form::Page(workflows);
    let read = filter::read(&input, form);
    if read.bad_cursor(form) {
        return Err(Fail::Page(ErrorCode::InvalidInput));
    }
    for (field, reason) in &read.errors {
        errors.add(field, *reason);
    }
    let mut filter = read.filter;
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d"));
    let echo = Echo {
        states: input.states.iter().map(|s| (*s).to_owned()).collect(),
        case_type: typed(filter.case_type_id, input.case_type),
        municipality: typed(filter.municipality_id, input.municipality),
        department: typed(filter.department_id, input.department),
        assignee: typed(filter.assignee_id, input.assignee),
        overdue: filter.overdue == Some(true),
        due_soon: filter.due_soon,
        from: typed(day(filter.from), input.from),
        to: typed(day(filter.to), input.to),
        q: input.q.unwrap_or("").to_owned(),
        sort: input.sort.unwrap_or("").to_owned(),
        order: input.order.unwrap_or("").to_owned(),
    };
    filter.limit = Some(PAGE + 1);
    Ok((filter, echo))
}

/// A link of the quick filters above the queue.
pub struct QuickLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "cases/cases.html")]
struct QueuePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    municipal: bool,
    quick: Vec<QuickLink>,
    states: Vec<Opt>,
    types: Vec<Opt>,
    municipalities: Vec<Opt>,
    departments: Vec<Opt>,
    assignees: Vec<Opt>,
    sorts: Vec<Opt>,
    orders: Vec<Opt>,
    overdue: bool,
    due_soon: bool,
    from: String,
    to: String,
    q: String,
    errors: FieldErrors,
    /// How many cases match, as a sentence.
    count: String,
    /// The query ran (no invalid filter).
    ran: bool,
    rows: Vec<RowView>,
    next_url: String,
    first_url: String,
}

/// `GET /cases`.
pub async fn cases(ctx: PageCtx, State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = cases_inner(&ctx, &state, q).await;
    finish(&ctx, &state, r).await
}

async fn cases_inner(ctx: &PageCtx, state: &AppState, q: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::from_query(q.as_deref());
    let mut errors = FieldErrors::default();
    let (filter, echo) = parse_filter(&f, caller, state.services.workflows(), &mut errors)?;
    let sort = filter.sort;
    // An invalid filter runs no query: the page shows the form and its
    // mistakes (the filter is left empty but for its first row).
    let ran = errors.is_empty();
    let filter = if ran {
        filter
    } else {
        CaseFilter {
            limit: Some(1),
            ..CaseFilter::default()
        }
    };
    let Shown {
        frame,
        body: (page, types),
    } = state.services.queue_page(caller, filter).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let people = People::of(&frame);
    let (rows, next_url, count) = if ran {
        let mut rows = page.rows;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        let next_url = match (more, rows.last()) {
            (true, Some(last)) => format!(
                "/cases?{}",
                echo.query(Some(&cursor::encode(&cursor_after(&last.row, sort))))
            ),
            _ => String::new(),
        };
        let made =
            RowMaker::new(state, &tr, caller, &types, &orgs).make(&tr, &rows, &orgs, &people);
        (made, next_url, Some(page.count))
    } else {
        (Vec::new(), String::new(), None)
    };
    let first_url = if f.opt("after").is_some() {
        format!("/cases?{}", echo.query(None))
    } else {
        String::new()
    };

    let cur_state = echo.states.first().cloned().unwrap_or_default();
    let mut states = vec![
        Opt::new("open", tr.t("open-cases"), &cur_state),
        Opt::new("paused", tr.t("paused-cases"), &cur_state),
    ];
    states.extend(
        state
            .services
            .workflows()
            .states()
            .into_iter()
            .map(|s| Opt::new(s.code.clone(), tr.t_code("state-", &s.code), &cur_state)),
    );
    let type_opts = types
        .iter()
        .map(|t| Opt::new(t.id.to_string(), t.name(tr.code()), &echo.case_type))
        .collect();
    let municipalities = orgs.options(&[OrgKind::Municipality], &echo.municipality);
    let departments = orgs.options(
        &[OrgKind::Ministry, OrgKind::Department, OrgKind::Section],
        &echo.department,
    );
    let assignees = people
        .staff
        .iter()
        .map(|(id, name, unit)| {
            Opt::new(
                id.to_string(),
                format!("{name} — {}", orgs.name(*unit)),
                &echo.assignee,
            )
        })
        .collect();
    let sorts = [
        ("updated", "sort-updated"),
        ("created", "sort-created"),
        ("due", "sort-due"),
    ]
    .iter()
    .map(|(v, k)| Opt::new(*v, tr.t(k), &echo.sort))
    .collect();
    let orders = [("desc", "order-desc"), ("asc", "order-asc")]
        .iter()
        .map(|(v, k)| Opt::new(*v, tr.t(k), &echo.order))
        .collect();

    let municipal = caller.role.is_municipal();
    let mut quick = Vec::new();
    if !municipal && !caller.role.sees_everything() {
        let mine = format!("/cases?assignee={}", caller.user_id);
        let dept = format!("/cases?department={}", caller.org_id);
        quick.push(QuickLink {
            current: ctx.path == mine,
            href: mine,
            label: tr.t("my-queue"),
        });
        quick.push(QuickLink {
            current: ctx.path == dept,
            href: dept,
            label: tr.t("department-queue"),
        });
        quick.push(QuickLink {
            current: ctx.path == "/cases",
            href: "/cases".into(),
            label: tr.t("all-cases"),
        });
    }

    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let count = count_text(&tr, count);
    let page = QueuePage {
        tr,
        user,
        csrf,
        path,
        municipal,
        quick,
        states,
        types: type_opts,
        municipalities,
        departments,
        assignees,
        sorts,
        orders,
        overdue: echo.overdue,
        due_soon: echo.due_soon,
        from: echo.from.clone(),
        to: echo.to.clone(),
        q: echo.q.clone(),
        count,
        ran,
        errors,
        rows,
        next_url,
        first_url,
    };
    Ok(render_status(status, &page))
}

#[derive(Template)]
#[template(path = "cases/search.html")]
struct SearchPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    q: String,
    errors: FieldErrors,
    count: String,
    ran: bool,
    rows: Vec<RowView>,
    next_url: String,
}

/// `GET /search?q=…`.
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
    let f = Fields::from_query(q.as_deref());
    let text = f.opt("q").unwrap_or("").to_owned();
    let mut errors = FieldErrors::default();
    if text.chars().count() > 200 {
        errors.add("q", Reason::FieldTooLong);
    }
    let mut filter = CaseFilter {
        limit: Some(PAGE + 1),
        ..CaseFilter::default()
    };
    if let Some(a) = f.opt("after") {
        filter.after = Some(after(a, SortKey::Updated).ok_or(Fail::Page(ErrorCode::InvalidInput))?);
    }
    let ran = !text.is_empty() && errors.is_empty();
    if ran {
        filter.text = Some(text.clone());
    } else {
        filter.limit = Some(1);
    }
    let Shown {
        frame,
        body: (page, types),
    } = state.services.queue_page(caller, filter).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let (mut rows, mut next_url, mut count) = (Vec::new(), String::new(), None);
    if ran {
        let mut found = page.rows;
        if found.len() == 1 && text.parse::<TrackingNumber>().is_ok() {
            return Ok(see_other(&format!("/cases/{}", found[0].row.id)));
        }
        let more = found.len() as i64 > PAGE;
        found.truncate(PAGE as usize);
        if let (true, Some(last)) = (more, found.last()) {
            next_url = format!(
                "/search?q={}&after={}",
                pct(&text),
                pct(&cursor::encode(&cursor_after(&last.row, SortKey::Updated)))
            );
        }
        let orgs = Orgs::of(&frame, &tr);
        let people = People::of(&frame);
        rows = RowMaker::new(state, &tr, caller, &types, &orgs).make(&tr, &found, &orgs, &people);
        count = Some(page.count);
    }
    let count = count_text(&tr, count);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &SearchPage {
            tr,
            user,
            csrf,
            path,
            q: text,
            errors,
            count,
            ran,
            rows,
            next_url,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_links_keep_the_filters() {
        let echo = Echo {
            states: vec!["routed".into()],
            q: "طلب ميزانية".into(),
            overdue: true,
            sort: "due".into(),
            ..Echo::default()
        };
        let q = echo.query(Some("d.-.x"));
        assert!(q.starts_with("state=routed&q=%D8"), "{q}");
        assert!(q.ends_with("&sort=due&overdue=1&after=d.-.x"), "{q}");
    }
}

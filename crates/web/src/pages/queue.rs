//! The queue (`/cases`) with its filters, and search (`/search`).

use super::form::Fields;
use super::{
    chrome, cursor, finish, pct, render_status, see_other, signed_in, Chrome, Fail, FieldErrors,
    Opt, Orgs, PageResult, People,
};
use crate::auth::{NavUser, PageCtx};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc, Weekday};
use diwan_domain::calendar::{parse_date, Calendar};
use diwan_domain::org::OrgKind;
use diwan_domain::tracking::TrackingNumber;
use diwan_domain::workflow::{self, Clock};
use diwan_domain::ErrorCode;
use diwan_services::cases::CaseFilter;
use diwan_services::Caller;
use diwan_store::{CaseRow, CaseType, Cursor, SortKey};
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

/// Every state code of the shipped workflows, in workflow order.
fn all_states() -> Vec<(String, Clock)> {
    let mut out: Vec<(String, Clock)> = Vec::new();
    for code in workflow::BUILTIN_WORKFLOWS {
        if let Some(wf) = workflow::builtin(code) {
            for s in wf.states {
                if !out.iter().any(|(c, _)| *c == s.code) {
                    out.push((s.code, s.clock));
                }
            }
        }
    }
    out
}

/// The states a case can be in while it is still being worked on.
fn open_states() -> Vec<String> {
    all_states()
        .into_iter()
        .filter(|(_, c)| matches!(c, Clock::Running | Clock::Paused))
        .map(|(s, _)| s)
        .collect()
}

/// Turns queue rows into table lines.
pub struct RowMaker {
    types: HashMap<Uuid, (String, Option<workflow::Workflow>)>,
    tz: String,
    today: NaiveDate,
    soon: NaiveDate,
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
        let today = diwan_services::orgs::today_in(&tz, Utc::now());
        // Holidays are not known here; the weekend alone is close enough
        // for a "due soon" hint (the case page shows the exact one).
        let cal = Calendar::new(vec![Weekday::Fri, Weekday::Sat], Vec::new());
        let soon = cal.add_working_days(today, state.services.config.due_soon_days);
        let types = types
            .iter()
            .map(|t| {
                (
                    t.id,
                    (t.name(tr.code()).to_owned(), workflow::builtin(&t.workflow)),
                )
            })
            .collect();
        RowMaker {
            types,
            tz,
            today,
            soon,
        }
    }

    pub fn make(
        &self,
        tr: &Tr<'static>,
        rows: &[CaseRow],
        orgs: &Orgs,
        people: &People,
    ) -> Vec<RowView> {
        rows.iter()
            .map(|r| {
                let (type_name, wf) = self
                    .types
                    .get(&r.case_type_id)
                    .map(|(n, w)| (n.clone(), w.as_ref()))
                    .unwrap_or_default();
                let running = wf
                    .and_then(|w| w.state(&r.state))
                    .is_some_and(|s| s.clock == Clock::Running);
                let overdue = running && (r.overdue || r.due_date.is_some_and(|d| d < self.today));
                let due_soon = running && !overdue && r.due_date.is_some_and(|d| d <= self.soon);
                RowView {
                    id: r.id.to_string(),
                    tracking: r.tracking_number.clone(),
                    subject: r.subject.clone(),
                    type_name,
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
                    due_soon,
                }
            })
            .collect()
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

fn parse_uuid(
    f: &Fields,
    name: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> (Option<Uuid>, String) {
    match f.opt(name) {
        None => (None, String::new()),
        Some(v) => match Uuid::try_parse(v) {
            Ok(id) => (Some(id), id.to_string()),
            Err(_) => {
                errors.add(field, "field-invalid");
                (None, v.to_owned())
            }
        },
    }
}

fn parse_day(f: &Fields, name: &str, errors: &mut FieldErrors) -> (Option<NaiveDate>, String) {
    match f.opt(name) {
        None => (None, String::new()),
        Some(v) => match parse_date(v) {
            Ok(d) => (Some(d), d.format("%Y-%m-%d").to_string()),
            Err(_) => {
                errors.add(name, "date-invalid");
                (None, v.to_owned())
            }
        },
    }
}

/// Reads the filters. A cursor that cannot be read is a bad request as a
/// whole; other mistakes are shown on the form.
fn parse_filter(
    f: &Fields,
    caller: &Caller,
    errors: &mut FieldErrors,
) -> Result<(CaseFilter, Echo), Fail> {
    let mut filter = CaseFilter::default();
    let mut echo = Echo::default();
    let known = all_states();
    for s in f.all("state") {
        if s == "open" {
            filter.states.extend(open_states());
            echo.states.push(s.to_owned());
        } else if known.iter().any(|(k, _)| k == s) {
            filter.states.push(s.to_owned());
            echo.states.push(s.to_owned());
        } else {
            errors.add("state", "field-invalid");
            echo.states.push(s.to_owned());
        }
    }
    (filter.case_type_id, echo.case_type) = parse_uuid(f, "type", "type", errors);
    if !caller.role.is_municipal() {
        (filter.municipality_id, echo.municipality) =
            parse_uuid(f, "municipality", "municipality", errors);
        (filter.assignee_id, echo.assignee) = parse_uuid(f, "assignee", "assignee", errors);
    }
    (filter.department_id, echo.department) = parse_uuid(f, "department", "department", errors);
    echo.overdue = f.checked("overdue");
    echo.due_soon = f.checked("due_soon");
    if echo.overdue {
        filter.overdue = Some(true);
    }
    filter.due_soon = echo.due_soon;
    (filter.from, echo.from) = parse_day(f, "from", errors);
    (filter.to, echo.to) = parse_day(f, "to", errors);
    if let (Some(a), Some(b)) = (filter.from, filter.to) {
        if a > b {
            errors.add("to", "date-invalid");
        }
    }
    if let Some(q) = f.opt("q") {
        if q.chars().count() > 200 {
            errors.add("q", "field-too-long");
        }
        filter.text = Some(q.to_owned());
        echo.q = q.to_owned();
    }
    match f.opt("sort") {
        None | Some("updated") => filter.sort = SortKey::Updated,
        Some("created") => filter.sort = SortKey::Created,
        Some("due") => filter.sort = SortKey::Due,
        Some(_) => errors.add("sort", "field-invalid"),
    }
    echo.sort = f.opt("sort").unwrap_or("").to_owned();
    match f.opt("order") {
        None | Some("desc") => filter.ascending = false,
        Some("asc") => filter.ascending = true,
        Some(_) => errors.add("order", "field-invalid"),
    }
    echo.order = f.opt("order").unwrap_or("").to_owned();
    if let Some(a) = f.opt("after") {
        let c = cursor::decode(a).ok_or(Fail::Page(ErrorCode::InvalidInput))?;
        let fits = matches!(
            (&c, filter.sort),
            (Cursor::Time(..), SortKey::Updated | SortKey::Created)
                | (Cursor::Date(..), SortKey::Due)
        );
        if !fits {
            return Err(Fail::Page(ErrorCode::InvalidInput));
        }
        filter.after = Some(c);
    }
    filter.limit = Some(PAGE + 1);
    Ok((filter, echo))
}

/// The cursor after the last row shown.
fn cursor_after(row: &CaseRow, sort: SortKey) -> String {
    let c = match sort {
        SortKey::Updated => Cursor::Time(row.updated_at, row.id),
        SortKey::Created => Cursor::Time(row.created_at, row.id),
        SortKey::Due => Cursor::Date(row.due_date, row.id),
    };
    cursor::encode(&c)
}

/// A link of the quick filters above the queue.
pub struct QuickLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "pages/cases.html")]
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
    /// The query ran (no invalid filter).
    ran: bool,
    rows: Vec<RowView>,
    more: bool,
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
    let (filter, echo) = parse_filter(&f, caller, &mut errors)?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, state).await;
    let orgs = Orgs::load(state, &tr).await?;
    let types = state.services.list_case_types().await?;
    let people = People::load(state, caller, &orgs).await;
    let sort = filter.sort;
    let (rows, more, next_url) = if errors.is_empty() {
        let mut rows = state.services.list_cases(caller, filter).await?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        let next_url = match (more, rows.last()) {
            (true, Some(last)) => format!("/cases?{}", echo.query(Some(&cursor_after(last, sort)))),
            _ => String::new(),
        };
        let made =
            RowMaker::new(state, &tr, caller, &types, &orgs).make(&tr, &rows, &orgs, &people);
        (made, more, next_url)
    } else {
        (Vec::new(), false, String::new())
    };
    let first_url = if f.opt("after").is_some() {
        format!("/cases?{}", echo.query(None))
    } else {
        String::new()
    };

    let cur_state = echo.states.first().cloned().unwrap_or_default();
    let mut states = vec![Opt::new("open", tr.t("open-cases"), &cur_state)];
    states.extend(
        all_states()
            .into_iter()
            .map(|(s, _)| Opt::new(s.clone(), tr.t_code("state-", &s), &cur_state)),
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
        ran: errors.is_empty(),
        errors,
        rows,
        more,
        next_url,
        first_url,
    };
    Ok(render_status(status, &page))
}

#[derive(Template)]
#[template(path = "pages/search.html")]
struct SearchPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    q: String,
    errors: FieldErrors,
    ran: bool,
    rows: Vec<RowView>,
    more: bool,
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
        errors.add("q", "field-too-long");
    }
    let mut filter = CaseFilter {
        limit: Some(PAGE + 1),
        ..CaseFilter::default()
    };
    if let Some(a) = f.opt("after") {
        match cursor::decode(a) {
            Some(c @ Cursor::Time(..)) => filter.after = Some(c),
            _ => return Err(Fail::Page(ErrorCode::InvalidInput)),
        }
    }
    let (mut rows, mut more, mut next_url, mut ran) = (Vec::new(), false, String::new(), false);
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, state).await;
    if !text.is_empty() && errors.is_empty() {
        filter.text = Some(text.clone());
        let mut found = state.services.list_cases(caller, filter).await?;
        if found.len() == 1 && text.parse::<TrackingNumber>().is_ok() {
            return Ok(see_other(&format!("/cases/{}", found[0].id)));
        }
        more = found.len() as i64 > PAGE;
        found.truncate(PAGE as usize);
        if let (true, Some(last)) = (more, found.last()) {
            next_url = format!(
                "/search?q={}&after={}",
                pct(&text),
                pct(&cursor_after(last, SortKey::Updated))
            );
        }
        let orgs = Orgs::load(state, &tr).await?;
        let types = state.services.list_case_types().await?;
        let people = People::load(state, caller, &orgs).await;
        rows = RowMaker::new(state, &tr, caller, &types, &orgs).make(&tr, &found, &orgs, &people);
        ran = true;
    }
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
            ran,
            rows,
            more,
            next_url,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_states_are_the_unfinished_ones() {
        let open = open_states();
        for s in ["submitted", "routed", "assigned", "info_requested"] {
            assert!(open.iter().any(|o| o == s), "{s}");
        }
        for s in ["draft", "answered", "closed", "rejected", "withdrawn"] {
            assert!(!open.iter().any(|o| o == s), "{s}");
        }
    }

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

//! The inquiry's staff pages: `/inquiries` (the list), `/inquiries/new`
//! (writing one), `/inquiries/{id}` (its state, actions, progress and live
//! results). The call centre's console is in `call_centre`, the export of
//! the answers in `export`.

use super::results::{rate, results, QuestionResults};
use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, frame_only, municipality_choices, path_id,
    read_municipalities, render, render_status, see_other, signed_in, Choice, Chrome, FieldErrors,
    Orgs, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::inquiry::{AnswerChannel, InquiryState, QuestionKind};
use diwan_domain::ErrorCode;
use diwan_services::inquiry::{may_run, InquiryForm, QuestionForm};
use diwan_store::Inquiry;

/// The inquiry's staff pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/inquiries", list)
        .get("/inquiries/new", new)
        .post("/inquiries/new", create)
        .get("/inquiries/{id}", show)
        .post("/inquiries/{id}/actions", act)
        .post("/inquiries/{id}/list", super::draft::list)
        .post("/inquiries/{id}/test", super::draft::test)
}

/// Question slots of the form (a page without script has a fixed number).
const SLOTS: usize = 3;

pub struct InquiryRow {
    pub href: String,
    pub title: String,
    pub state: String,
    pub code: String,
    pub recipients: i64,
    pub respondents: i64,
}

#[derive(Template)]
#[template(path = "inquiry/list.html")]
struct ListPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    rows: Vec<InquiryRow>,
    may_run: bool,
    may_answer: bool,
}

pub struct Slot {
    pub index: usize,
    pub number: usize,
    pub kinds: Vec<Choice>,
    pub text_ar: String,
    pub text_en: String,
    pub text_fr: String,
    pub options: String,
}

#[derive(Template)]
#[template(path = "inquiry/new.html")]
struct NewPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    title: String,
    chooses: bool,
    municipalities: Vec<Choice>,
    sample: String,
    web_link: bool,
    public_results: bool,
    quiet_start: String,
    quiet_end: String,
    starts_at: String,
    slots: Vec<Slot>,
    error: String,
    errors: FieldErrors,
}

pub struct ActionButton {
    pub value: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "inquiry/show.html")]
struct ShowPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    i: Inquiry,
    state: String,
    rate: String,
    actions: Vec<ActionButton>,
    progress: i64,
    results: Vec<QuestionResults>,
    channels: Vec<String>,
    auto: bool,
    href: String,
    done: String,
    quiet: String,
    starts: String,
    audience: String,
    may_list: bool,
    may_test: bool,
    max_test: usize,
    test: TestForm,
}

fn time_of(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn minutes(s: &str) -> Option<i32> {
    let s = diwan_domain::text::normalize_digits(s.trim());
    let (h, m) = s.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// A local date and time as a form gives it (`2026-12-07T09:00`, or with a
/// space, in any digits).
fn local_time(s: &str) -> Option<chrono::NaiveDateTime> {
    let s = diwan_domain::text::normalize_digits(s.trim()).replace('T', " ");
    ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(&s, f).ok())
}

fn kinds(tr: &Tr<'static>, current: &str) -> Vec<Choice> {
    QuestionKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: tr.t_code("inquiry-kind-", k.as_str()),
            checked: k.as_str() == current,
        })
        .collect()
}

/// `GET /inquiries`.
pub async fn list(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let shown = state.services.inquiries(caller).await?;
        let c = chrome(&ctx, &shown.frame);
        let tr = c.tr;
        let rows = shown
            .body
            .iter()
            .map(|i| InquiryRow {
                href: format!("/inquiries/{}", i.id),
                title: i.title.clone(),
                state: tr.t_code("inquiry-state-", i.state.as_str()),
                code: i.code.clone().unwrap_or_default(),
                recipients: i.recipients,
                respondents: i.respondents,
            })
            .collect();
        Ok(render(&ListPage {
            tr,
            may_run: may_run(caller),
            may_answer: matches!(
                caller.role,
                diwan_domain::Role::CallCentreAgent | diwan_domain::Role::Admin
            ),
            user: c.user,
            csrf: c.csrf,
            path: c.path,
            rows,
        }))
    }
    .await;
    finish(&ctx, &state, r).await
}

fn new_page(
    c: Chrome,
    frame: &diwan_services::frame::Frame,
    own: bool,
    f: &Fields,
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
    let chosen: Vec<uuid::Uuid> = f
        .all("municipality")
        .filter_map(|m| uuid::Uuid::try_parse(m.trim()).ok())
        .collect();
    let municipalities = municipality_choices(frame, &tr, own, &chosen);
    let slots = (0..SLOTS)
        .map(|i| {
            let k = |n: &str| f.get(&format!("q{i}_{n}")).to_owned();
            let kind = k("kind");
            Slot {
                index: i,
                number: i + 1,
                kinds: kinds(&tr, if kind.is_empty() { "yes_no" } else { &kind }),
                text_ar: k("text_ar"),
                text_en: k("text_en"),
                text_fr: k("text_fr"),
                options: k("options"),
            }
        })
        .collect();
    let or = |v: &str, d: &str| {
        if v.is_empty() {
            d.to_owned()
        } else {
            v.to_owned()
        }
    };
    render_status(
        status,
        &NewPage {
            title: f.get("title").to_owned(),
            chooses: !own,
            municipalities,
            sample: f.get("sample").to_owned(),
            web_link: f.checked("web_link") || f.0.is_empty(),
            public_results: f.checked("public_results"),
            quiet_start: or(f.get("quiet_start"), "22:00"),
            quiet_end: or(f.get("quiet_end"), "08:00"),
            starts_at: f.get("starts_at").to_owned(),
            slots,
            error,
            errors,
            tr,
            user,
            csrf,
            path,
        },
    )
}

/// `GET /inquiries/new`.
pub async fn new(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        if !may_run(caller) {
            return Err(ErrorCode::NotFound.into());
        }
        let frame = frame_only(&ctx, &state).await;
        let c = chrome(&ctx, &frame);
        Ok(new_page(
            c,
            &frame,
            caller.role.is_municipal(),
            &Fields(Vec::new()),
            String::new(),
            FieldErrors::default(),
            StatusCode::OK,
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

/// `POST /inquiries/new`: saves the draft and shows it.
pub async fn create(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let f = Fields::parse(&body);
        check_csrf(&ctx, f.get("csrf"))?;
        let mut errors = FieldErrors::default();
        let municipalities = read_municipalities(&f, &mut errors);
        let sample = match f.get("sample").trim() {
            "" => None,
            s => match diwan_domain::text::parse_number(s) {
                Some(n) if n > 0 => Some(n as i64),
                _ => {
                    errors.add("sample", diwan_domain::Reason::FieldTooLong);
                    None
                }
            },
        };
        let mut quiet = [None, None];
        for (at, field) in ["quiet_start", "quiet_end"].iter().enumerate() {
            match minutes(f.get(field)) {
                Some(m) => quiet[at] = Some(m),
                None => errors.add(field, diwan_domain::Reason::FieldRequired),
            }
        }
        let starts_local = match f.get("starts_at").trim() {
            "" => None,
            t => match local_time(t) {
                Some(t) => Some(t),
                None => {
                    errors.add("starts_at", diwan_domain::Reason::DateInvalid);
                    None
                }
            },
        };
        let questions = (0..SLOTS)
            .filter(|i| !f.get(&format!("q{i}_text_ar")).trim().is_empty())
            .map(|i| {
                let k = |n: &str| f.get(&format!("q{i}_{n}")).to_owned();
                let opt = |n: &str| Some(k(n)).filter(|t| !t.trim().is_empty());
                QuestionForm {
                    kind: k("kind"),
                    text_ar: k("text_ar"),
                    text_en: opt("text_en"),
                    text_fr: opt("text_fr"),
                    options: k("options").lines().map(str::to_owned).collect(),
                }
            })
            .collect();
        let form = InquiryForm {
            title: f.get("title").to_owned(),
            questions,
            municipalities,
            sample,
            web_link: f.checked("web_link"),
            starts_at: None,
            starts_local,
            quiet_start: quiet[0],
            quiet_end: quiet[1],
            public_results: f.checked("public_results"),
        };
        let result = if errors.is_empty() {
            state.services.create_inquiry(caller, form).await
        } else {
            Err(errors.into_error())
        };
        match result {
            Ok(i) => Ok(see_other(&format!("/inquiries/{}", i.id))),
            Err(e) if matches!(e.code(), ErrorCode::Internal | ErrorCode::Forbidden) => {
                Err(e.into())
            }
            Err(e) => {
                let frame = frame_only(&ctx, &state).await;
                let c = chrome(&ctx, &frame);
                let (error, errors) = form_failure(&c.tr, &e);
                Ok(new_page(
                    c,
                    &frame,
                    caller.role.is_municipal(),
                    &f,
                    error,
                    errors,
                    status_of(e.code()),
                ))
            }
        }
    }
    .await;
    finish(&ctx, &state, r).await
}

/// What the test-send form shows again after a mistake.
#[derive(Default)]
pub(super) struct TestForm {
    pub numbers: String,
    /// The reason's message id, or empty.
    pub error: &'static str,
}

/// `GET /inquiries/{id}`: its state and actions, progress and results;
/// the page updates itself while the inquiry is being sent or is open.
pub async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let id = path_id(&id)?;
        let q = Fields::from_query(q.as_deref());
        show_page(&ctx, &state, id, &q, TestForm::default(), StatusCode::OK).await
    }
    .await;
    finish(&ctx, &state, r).await
}

/// The inquiry's page, with the test-send form as `test` has it.
pub(super) async fn show_page(
    ctx: &PageCtx,
    state: &AppState,
    id: uuid::Uuid,
    q: &Fields,
    test: TestForm,
    status: StatusCode,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let shown = state.services.inquiry(caller, id).await?;
    let c = chrome(ctx, &shown.frame);
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = c;
    let v = shown.body;
    let i = v.inquiry;
    let orgs = Orgs::of(&shown.frame, &tr);
    let mut actions = Vec::new();
    let mut add = |value: &'static str| {
        actions.push(ActionButton {
            value,
            label: tr.t_code("inquiry-do-", value),
        })
    };
    if v.may_manage {
        match i.state {
            InquiryState::Draft => add("submit"),
            InquiryState::AwaitingApproval if v.may_approve => {
                add("approve");
                add("reject");
            }
            InquiryState::Sending => add("pause"),
            InquiryState::Paused => add("resume"),
            _ => {}
        }
        if matches!(
            i.state,
            InquiryState::Approved
                | InquiryState::Sending
                | InquiryState::Paused
                | InquiryState::Open
        ) {
            add("close");
        }
    }
    let live = matches!(
        i.state,
        InquiryState::Approved | InquiryState::Sending | InquiryState::Open
    );
    let auto = live && q.get("auto") != "0" && test.error.is_empty();
    let audience = if i.municipalities.is_empty() {
        tr.t("inquiry-audience-all")
    } else {
        i.municipalities
            .iter()
            .map(|m| orgs.name(*m))
            .collect::<Vec<_>>()
            .join("، ")
    };
    let page = ShowPage {
        state: tr.t_code("inquiry-state-", i.state.as_str()),
        rate: rate(&i),
        progress: if i.recipients > 0 {
            i.queued * 100 / i.recipients
        } else {
            0
        },
        results: results(&tr, &orgs, &i, &v.counts, tr.code() == "ar"),
        channels: AnswerChannel::ALL
            .iter()
            .map(|c| tr.t_code("inquiry-channel-", c.as_str()))
            .collect(),
        actions,
        auto,
        href: format!("/inquiries/{}", i.id),
        done: q.get("done").to_owned(),
        quiet: format!("{} – {}", time_of(i.quiet_start), time_of(i.quiet_end)),
        starts: tr.datetime(i.starts_at, &orgs.tz(i.org_id)),
        audience,
        may_list: v.may_manage && i.state == InquiryState::Draft,
        may_test: v.may_manage
            && matches!(
                i.state,
                InquiryState::Draft | InquiryState::AwaitingApproval | InquiryState::Approved
            ),
        max_test: diwan_services::inquiry::draft::MAX_TEST_NUMBERS,
        test,
        i,
        tr,
        user,
        csrf,
        path,
    };
    let mut res = render_status(status, &page);
    if auto {
        res.headers_mut()
            .insert(header::REFRESH, HeaderValue::from_static("5"));
    }
    Ok(res)
}

/// `POST /inquiries/{id}/actions`: `action` is submit, approve, reject,
/// pause, resume or close.
pub async fn act(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let id = path_id(&id)?;
        let f = Fields::parse(&body);
        check_csrf(&ctx, f.get("csrf"))?;
        let action = f.get("action").to_owned();
        state.services.move_inquiry(caller, id, &action).await?;
        Ok(see_other(&format!("/inquiries/{id}?done={action}")))
    }
    .await;
    finish(&ctx, &state, r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_pages_translate_has_its_message_in_every_language() {
        use crate::i18n::{I18n, Lang};
        let i = I18n::global();
        let mut keys: Vec<String> = Vec::new();
        let key = |prefix: &str, code: &str| format!("{prefix}{}", code.replace('_', "-"));
        for k in QuestionKind::ALL {
            keys.push(key("inquiry-kind-", k.as_str()));
        }
        for st in InquiryState::ALL {
            keys.push(key("inquiry-state-", st.as_str()));
        }
        for c in AnswerChannel::ALL {
            keys.push(key("inquiry-channel-", c.as_str()));
        }
        for a in ["submit", "approve", "reject", "pause", "resume", "close"] {
            keys.push(key("inquiry-do-", a));
            keys.push(key("inquiry-done-", a));
        }
        for a in ["list", "list_remove", "test"] {
            keys.push(key("inquiry-done-", a));
        }
        for a in ["yes", "no", "text"] {
            keys.push(key("inquiry-answer-", a));
        }
        for r in diwan_domain::Role::ALL {
            keys.push(key("role-", r.as_str()));
        }
        for lang in [Lang::Ar, Lang::En, Lang::Fr] {
            for k in &keys {
                assert!(i.has(lang, k), "{k} in {lang:?}");
            }
        }
    }

    #[test]
    fn times_read_in_any_digits() {
        assert_eq!(minutes("22:00"), Some(1320));
        assert_eq!(minutes("٠٨:٣٠"), Some(510));
        assert_eq!(minutes("24:00"), None);
        assert_eq!(minutes("8"), None);
        assert_eq!(time_of(510), "08:30");
        let t = |s: &str| local_time(s).map(|t| t.to_string());
        assert_eq!(
            t("2026-12-07T09:00").as_deref(),
            Some("2026-12-07 09:00:00")
        );
        assert_eq!(
            t("٢٠٢٦-١٢-٠٧ ٠٩:٣٠").as_deref(),
            Some("2026-12-07 09:30:00")
        );
        assert_eq!(t("2026-13-07 09:00"), None);
    }
}

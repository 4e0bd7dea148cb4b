//! The 1415 call centre's console (`/inquiries/call-centre`): the agent
//! finds the caller by mobile or national number, sees the inquiries open
//! for them with the answers so far, and records the answers given on the
//! phone; and the question views it shares with the personal link's form.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, path_id, render_status, see_other, signed_in, Choice,
    Chrome,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::inquiry::QuestionKind;
use diwan_domain::ErrorCode;
use diwan_services::inquiry::answers::CallerView;

/// The call centre's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/inquiries/call-centre", call_centre)
        .post("/inquiries/{id}/phone-answers", phone_answers)
}

pub struct OpenView {
    pub id: String,
    pub title: String,
    pub code: String,
    pub questions: Vec<QuestionView>,
}

pub struct QuestionView {
    pub index: usize,
    pub number: usize,
    pub text: String,
    pub kind: &'static str,
    pub choices: Vec<Choice>,
    pub text_value: String,
    /// The answer given so far, in words.
    pub current: String,
}

/// A question as a form shows it, with the answer given so far.
pub fn question_view(
    tr: &Tr<'static>,
    index: usize,
    q: &diwan_domain::inquiry::Question,
    current: Option<&diwan_store::InquiryAnswer>,
) -> QuestionView {
    let key = current.map(|a| a.key.as_str()).unwrap_or("");
    let choices = match q.kind {
        QuestionKind::FreeText => Vec::new(),
        _ => q
            .answer_keys()
            .iter()
            .map(|k| Choice {
                value: k.clone(),
                label: super::results::answer_label(tr, q, k),
                checked: k == key,
            })
            .collect(),
    };
    QuestionView {
        index,
        number: index + 1,
        text: q
            .text
            .for_language(diwan_domain::persons::Language::Ar)
            .to_owned(),
        kind: q.kind.as_str(),
        choices,
        text_value: current.and_then(|a| a.text.clone()).unwrap_or_default(),
        current: current
            .map(|a| match &a.text {
                Some(t) => t.clone(),
                None => super::results::answer_label(tr, q, &a.key),
            })
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "inquiry/call_centre.html")]
struct CallCentrePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    q: String,
    searched: bool,
    person_id: String,
    person_name: String,
    person_number: String,
    open: Vec<OpenView>,
    done: bool,
    error: String,
}

fn call_centre_page(
    c: Chrome,
    q: &str,
    view: Option<&CallerView>,
    done: bool,
    error: String,
    status: StatusCode,
) -> Response {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = c;
    let person = view.and_then(|v| v.person.as_ref());
    let open = view
        .map(|v| {
            v.open
                .iter()
                .map(|o| OpenView {
                    id: o.inquiry.id.to_string(),
                    title: o.inquiry.title.clone(),
                    code: o.inquiry.code.clone().unwrap_or_default(),
                    questions: o
                        .inquiry
                        .questions
                        .iter()
                        .enumerate()
                        .map(|(i, q)| {
                            question_view(
                                &tr,
                                i,
                                q,
                                o.answers.iter().find(|a| a.position == i as i32),
                            )
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    render_status(
        status,
        &CallCentrePage {
            q: q.to_owned(),
            searched: view.is_some(),
            person_id: person.map(|p| p.id.to_string()).unwrap_or_default(),
            person_name: person.map(|p| p.name_ar.clone()).unwrap_or_default(),
            person_number: person
                .map(|p| p.national_number.clone())
                .unwrap_or_default(),
            open,
            done,
            error,
            tr,
            user,
            csrf,
            path,
        },
    )
}

/// `GET /inquiries/call-centre?q=`: the caller, by mobile or national
/// number, and their open inquiries.
pub async fn call_centre(
    ctx: PageCtx,
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let f = Fields::from_query(q.as_deref());
        let q = f.get("q").trim().to_owned();
        let shown = state.services.caller_inquiries(caller, &q).await?;
        let c = chrome(&ctx, &shown.frame);
        let searched = !q.is_empty();
        Ok(call_centre_page(
            c,
            &q,
            searched.then_some(&shown.body),
            f.get("done") == "1",
            String::new(),
            StatusCode::OK,
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

/// `POST /inquiries/{id}/phone-answers`: the answers a caller gave.
pub async fn phone_answers(
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
        let person = path_id(f.get("person_id"))?;
        let values: Vec<String> = (0..diwan_domain::inquiry::MAX_QUESTIONS)
            .map(|i| f.get(&format!("answer_{i}")).to_owned())
            .collect();
        let back = f.get("q").to_owned();
        match state
            .services
            .record_phone_answers(caller, id, person, &values)
            .await
        {
            Ok(_) => {
                let q = Fields(vec![
                    ("q".into(), back.clone()),
                    ("done".into(), "1".into()),
                ])
                .encode();
                Ok(see_other(&format!("/inquiries/call-centre?{q}")))
            }
            Err(e) if matches!(e.code(), ErrorCode::InvalidInput) => {
                let shown = state.services.caller_inquiries(caller, &back).await?;
                let c = chrome(&ctx, &shown.frame);
                let (error, _) = form_failure(&c.tr, &e);
                Ok(call_centre_page(
                    c,
                    &back,
                    Some(&shown.body),
                    false,
                    error,
                    StatusCode::BAD_REQUEST,
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&ctx, &state, r).await
}

//! The pages a citizen sees without signing in: the one-page form behind
//! a personal link (`/i/{code}/{n}/{signature}`, answered once), and the
//! results of a closed inquiry its manager made public
//! (`/inquiries/{id}/public`).

use super::call_centre::{question_view, QuestionView};
use super::results::{rate, results, QuestionResults};
use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    chrome, finish, form_failure, frame_only, path_id, render_status, Chrome, Orgs,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::ErrorCode;
use diwan_services::inquiry::answers::LinkView;
use diwan_store::Inquiry;

/// The citizen's pages of the inquiry.
pub fn routes() -> Routes {
    Routes::new()
        .get("/i/{code}/{n}/{sig}", form)
        .post("/i/{code}/{n}/{sig}", answer)
        .get("/inquiries/{id}/public", public)
}

#[derive(Template)]
#[template(path = "inquiry/link.html")]
struct LinkPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    /// open, spent or gone.
    show: &'static str,
    title: String,
    code: String,
    questions: Vec<QuestionView>,
    error: String,
    invalid: Vec<usize>,
}

fn link_page(
    c: Chrome,
    view: &LinkView,
    error: String,
    invalid: Vec<usize>,
    status: StatusCode,
) -> Response {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = c;
    let (show, title, code, questions) = match view {
        LinkView::Open(o) => (
            "open",
            o.inquiry.title.clone(),
            o.inquiry.code.clone().unwrap_or_default(),
            o.inquiry
                .questions
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    question_view(&tr, i, q, o.answers.iter().find(|a| a.position == i as i32))
                })
                .collect(),
        ),
        LinkView::Spent => ("spent", String::new(), String::new(), Vec::new()),
        LinkView::Gone => ("gone", String::new(), String::new(), Vec::new()),
    };
    let status = if show == "gone" {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    render_status(
        status,
        &LinkPage {
            show,
            title,
            code,
            questions,
            error,
            invalid,
            tr,
            user,
            csrf,
            path,
        },
    )
}

/// `GET /i/{code}/{n}/{sig}`.
pub async fn form(
    ctx: PageCtx,
    State(state): State<AppState>,
    axum::extract::Path((code, n, sig)): axum::extract::Path<(String, String, String)>,
) -> Response {
    let r = async {
        let n = n.parse::<i64>().unwrap_or(0);
        let view = state.services.inquiry_link(&code, n, &sig).await?;
        let frame = frame_only(&ctx, &state).await;
        Ok(link_page(
            chrome(&ctx, &frame),
            &view,
            String::new(),
            Vec::new(),
            StatusCode::OK,
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

/// `POST /i/{code}/{n}/{sig}`: the answers, `answer_0`, `answer_1`, ….
pub async fn answer(
    ctx: PageCtx,
    State(state): State<AppState>,
    axum::extract::Path((code, n, sig)): axum::extract::Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let r = async {
        let n = n.parse::<i64>().unwrap_or(0);
        let f = Fields::parse(&body);
        let values: Vec<String> = (0..diwan_domain::inquiry::MAX_QUESTIONS)
            .map(|i| f.get(&format!("answer_{i}")).to_owned())
            .collect();
        let frame = frame_only(&ctx, &state).await;
        match state.services.answer_by_link(&code, n, &sig, &values).await {
            Ok(view) => Ok(link_page(
                chrome(&ctx, &frame),
                &view,
                String::new(),
                Vec::new(),
                StatusCode::OK,
            )),
            Err(e) if e.code() == ErrorCode::InvalidInput => {
                let view = state.services.inquiry_link(&code, n, &sig).await?;
                let c = chrome(&ctx, &frame);
                let (error, errors) = form_failure(&c.tr, &e);
                let invalid = (0..diwan_domain::inquiry::MAX_QUESTIONS)
                    .filter(|i| errors.has(&format!("answers.{i}")))
                    .collect();
                Ok(link_page(c, &view, error, invalid, StatusCode::BAD_REQUEST))
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&ctx, &state, r).await
}

#[derive(Template)]
#[template(path = "inquiry/public.html")]
struct PublicPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    i: Inquiry,
    rate: String,
    results: Vec<QuestionResults>,
    channels: Vec<String>,
}

/// `GET /inquiries/{id}/public`.
pub async fn public(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
) -> Response {
    let r = async {
        let id = path_id(&id)?;
        let (i, counts) = state.services.public_results(id).await?;
        let frame = frame_only(&ctx, &state).await;
        let Chrome {
            tr,
            user,
            csrf,
            path,
        } = chrome(&ctx, &frame);
        let orgs = Orgs::of(&frame, &tr);
        Ok(render_status(
            StatusCode::OK,
            &PublicPage {
                rate: rate(&i),
                results: results(&tr, &orgs, &i, &counts, tr.code() == "ar"),
                channels: diwan_domain::inquiry::AnswerChannel::ALL
                    .iter()
                    .map(|c| tr.t_code("inquiry-channel-", c.as_str()))
                    .collect(),
                i,
                tr,
                user,
                csrf,
                path,
            },
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

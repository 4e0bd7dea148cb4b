//! A readable reference of the JSON API: `/api`.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::page::{chrome, frame_only, render, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

pub struct OperationView {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "shared/api.html")]
struct ApiPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    version: String,
    operations: Vec<OperationView>,
}

/// The operations of the OpenAPI document, in path order.
fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<OperationView> {
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let summary = op
                    .summary
                    .clone()
                    .or_else(|| {
                        op.description
                            .as_deref()
                            .and_then(|d| d.lines().next())
                            .map(str::to_owned)
                    })
                    .or_else(|| op.operation_id.clone())
                    .unwrap_or_default();
                out.push(OperationView {
                    method,
                    path: path.clone(),
                    summary,
                });
            }
        }
    }
    out
}

/// `GET /api`.
pub async fn show(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let doc = crate::openapi();
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(&ctx, &frame_only(&ctx, &state).await);
    let page = ApiPage {
        tr,
        user,
        csrf,
        path,
        version: doc.info.version.clone(),
        operations: operations(&doc),
    };
    render(&page)
}

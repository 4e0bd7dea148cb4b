//! The cases pages: the queue and search, one case with its forms,
//! filing, and the dashboard.

mod actions;
mod case;
mod dashboard;
mod filing;
mod queue;
mod upload;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The cases pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(queue::cases))
        .route("/search", get(queue::search))
        .route(
            "/cases/new",
            get(filing::new_request).post(filing::file_request),
        )
        .route("/memos/new", get(filing::new_memo).post(filing::file_memo))
        .route("/cases/{id}", get(case::show))
        .route("/cases/{id}/transitions", post(actions::transition))
        .route("/cases/{id}/messages", post(actions::message))
        .route("/cases/{id}/attachments", post(actions::attach))
        .route("/cases/{id}/edit", post(actions::edit))
        .route("/attachments/{id}", get(actions::download))
        .route("/dashboard", get(dashboard::show))
}

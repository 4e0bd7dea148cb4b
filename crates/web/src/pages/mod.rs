//! The pages that belong to no capability: the readable API reference and
//! the embedded static files.

mod api_doc;
mod static_files;

use crate::AppState;
use axum::routing::get;
use axum::Router;

/// The API reference and the static files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api", get(api_doc::show))
        .route("/static/{name}", get(static_files::serve))
}

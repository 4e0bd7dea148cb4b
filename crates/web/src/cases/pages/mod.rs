//! The cases pages: the queue and search, one case with its forms,
//! filing, and the dashboard.

mod actions;
mod case;
mod dashboard;
mod filing;
mod queue;

use crate::kit::routes::Routes;

/// The cases pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/cases", queue::cases)
        .get("/search", queue::search)
        .get("/cases/new", filing::new_request)
        .post("/cases/new", filing::file_request)
        .get("/memos/new", filing::new_memo)
        .post("/memos/new", filing::file_memo)
        .get("/cases/{id}", case::show)
        .post("/cases/{id}/transitions", actions::transition)
        .post("/cases/{id}/messages", actions::message)
        .post("/cases/{id}/attachments", actions::attach)
        .post("/cases/{id}/edit", actions::edit)
        .get("/attachments/{id}", actions::download)
        .get("/dashboard", dashboard::show)
}

//! The pages that belong to no capability: the readable API reference and
//! the embedded static files.

mod api_doc;
mod static_files;

use crate::kit::routes::Routes;

/// The API reference and the static files.
pub fn routes() -> Routes {
    Routes::new()
        .get("/api", api_doc::show)
        .get("/static/{name}", static_files::serve)
}

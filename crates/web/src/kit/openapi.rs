//! The OpenAPI 3.1 document: what every part of it shares (title, the
//! bearer scheme, the error body), merged with the paths each capability
//! documents, and the route that serves it.

use super::error::ErrorBody;
use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

/// `/api/openapi.json`: the document `doc` builds.
pub fn doc_routes(doc: fn() -> utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(move || async move { Json(doc()) }))
}

/// One document of the shared part and the given parts, in that order.
pub fn assemble(
    parts: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts {
        doc.merge(part);
    }
    doc
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Diwan API", description = "The JSON API of Diwan: cases, queues, search, messages, attachments, notifications, audit, tokens and accounts. Errors are `{code, message, details}` with stable codes; messages follow Accept-Language (Arabic by default)."),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

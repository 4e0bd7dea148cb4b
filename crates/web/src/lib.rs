//! Diwan's HTTP face: server-rendered pages, the JSON API, the GovStack
//! Workflow API and the operations endpoints. Only this crate knows HTTP.
//!
//! Handlers extract and check input, call one service function, and render
//! its result as a page or as JSON. No handler touches SQL.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod assets;
pub mod audit;
pub mod cases;
pub mod i18n;
pub mod inquiry;
pub mod kit;
pub mod messaging;
pub mod notifications;
pub mod ops;
pub mod organizations;
pub mod pages;
pub mod persons;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use diwan_services::Services;
use std::sync::Arc;
use utoipa::OpenApi;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when Diwan is served over TLS).
    pub secure_cookies: bool,
    /// How many reverse proxies in front of Diwan append to
    /// `X-Forwarded-For`; 0 ignores the header.
    pub trusted_proxies: usize,
    /// The bearer token `/metrics` asks for; `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Behind one pointer: the state is cloned for every request.
    pub services: Arc<Services>,
    pub web: Arc<WebConfig>,
    pub i18n: &'static i18n::I18n,
}

impl AppState {
    pub fn new(services: Services, web: WebConfig) -> Self {
        AppState {
            services: Arc::new(services),
            web: Arc::new(web),
            i18n: i18n::I18n::global(),
        }
    }
}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything.
    All,
    /// Everything but the SMS gateway's calls, which have an address of
    /// their own.
    People,
    /// Only the SMS gateway's calls (Kannel's delivery reports and
    /// incoming SMS) and the health checks.
    Gateway,
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    router_for(state, Part::All)
}

/// The part `part` of the application.
pub fn router_for(state: AppState, part: Part) -> Router {
    // Room for one attachment plus the form around it.
    let body_limit = state.services.config.max_attachment_bytes + 64 * 1024;
    // Install the metrics recorder before the first request is timed.
    ops::metrics_handle();
    let app = match part {
        Part::Gateway => Router::new()
            .nest(
                "/api/v1",
                messaging::kannel::routes().fallback(kit::extract::api_not_found),
            )
            .merge(ops::health_routes())
            .fallback(kit::extract::api_not_found),
        Part::All | Part::People => everything(state.clone(), part == Part::All),
    };
    app.layer(axum::middleware::from_fn(kit::error::localize_api_errors))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(axum::middleware::from_fn(ops::no_store_by_default))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(kit::drain::drain_unread_body))
        .layer(
            // One INFO line per request (method, path, status, latency); the
            // query string is left out of logs because it can hold search text.
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()))
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO))
                .on_failure(log_failure),
        )
        .with_state(state)
}

/// Every page and API route, with the SMS gateway's calls if `gateway`.
fn everything(state: AppState, gateway: bool) -> Router<AppState> {
    let mut api = Router::new()
        .merge(accounts::api::routes())
        .merge(organizations::api::routes())
        .merge(cases::api::routes())
        .merge(notifications::api::routes())
        .merge(audit::api::routes())
        .merge(persons::api::routes())
        .merge(persons::imports::api_routes())
        .merge(messaging::api::routes())
        .merge(messaging::templates_api::api_routes());
    if gateway {
        api = api.merge(messaging::kannel::routes());
    }
    let api = api.fallback(kit::extract::api_not_found);
    // Every state-changing page request passes the CSRF layer; the API and
    // GovStack answer bearer tokens, which a browser never sends on its own.
    let pages = page_routes()
        .into_router()
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            kit::csrf::require_csrf,
        ));
    Router::new()
        .merge(pages)
        .nest("/api/v1", api)
        .merge(kit::openapi::doc_routes(openapi))
        .merge(cases::govstack::routes())
        .merge(messaging::govstack::routes())
        .merge(ops::routes())
        .fallback(kit::page::not_found)
}

/// A server error is logged as an error, but for "busy" (503): the server
/// refusing more than it holds is its back-pressure working (a gateway's
/// flood of delivery reports is told to come back), not a fault, and one
/// line each would flood the log; `/metrics` counts them.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as Class;
    let latency = latency.as_millis();
    match class {
        Class::StatusCode(s) if s == axum::http::StatusCode::SERVICE_UNAVAILABLE => {
            tracing::debug!(status = %s, latency_ms = latency, "busy");
        }
        class => tracing::error!(classification = %class, latency_ms = latency, "response failed"),
    }
}

/// Every page route, with the table of their methods and paths.
pub fn page_routes() -> kit::routes::Routes {
    kit::routes::Routes::new()
        .merge(accounts::pages::routes())
        .merge(cases::pages::routes())
        .merge(notifications::pages::routes())
        .merge(audit::pages::routes())
        .merge(persons::pages::routes())
        .merge(persons::imports::page_routes())
        .merge(messaging::pages::routes())
        .merge(messaging::templates::page_routes())
        .merge(inquiry::pages::routes())
        .merge(inquiry::call_centre::routes())
        .merge(inquiry::export::routes())
        .merge(inquiry::link::routes())
        .merge(pages::routes())
}

/// The OpenAPI 3.1 document of the JSON API and of the GovStack Workflow API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    kit::openapi::assemble([
        accounts::api::AccountsDoc::openapi(),
        organizations::api::OrganizationsDoc::openapi(),
        cases::api::CasesDoc::openapi(),
        notifications::api::NotificationsDoc::openapi(),
        audit::api::AuditDoc::openapi(),
        persons::api::PersonsDoc::openapi(),
        persons::imports::ImportsDoc::openapi(),
        messaging::api::MessagingDoc::openapi(),
        messaging::templates_api::TemplatesDoc::openapi(),
        messaging::kannel::KannelDoc::openapi(),
        messaging::govstack::GovStackMessagingDoc::openapi(),
        cases::govstack::GovStackDoc::openapi(),
    ])
}

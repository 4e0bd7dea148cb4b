//! Operations: liveness, readiness, Prometheus metrics, request timing.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process's metrics recorder, installed on first use. One process may
/// run several servers (the tests do); they share it.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(
                    "diwan_http_request_duration_seconds".into(),
                ),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("valid buckets")
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("diwan_sqlite_group_commit_size".into()),
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
            )
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be set by an embedding program; then
        // this handle simply renders nothing of the process's metrics.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn routes() -> Router<AppState> {
    health_routes().route("/metrics", get(prometheus))
}

/// Liveness and readiness alone, as the SMS gateway's address serves them.
pub fn health_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.store.ready().await {
        Ok(r) if r.database && r.migrations_current => (StatusCode::OK, Json(r)).into_response(),
        Ok(r) => (StatusCode::SERVICE_UNAVAILABLE, Json(r)).into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(diwan_store::Readiness {
                    database: false,
                    migrations_current: false,
                }),
            )
                .into_response()
        }
    }
}

/// `/metrics`, for the bearer of the configured metrics token only: the
/// figures tell an outsider how busy the service is and which routes exist.
/// Without a configured token the endpoint does not exist.
async fn prometheus(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = state.web.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !diwan_domain::text::constant_time_eq(expected, sent.trim()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let pool = state.services.store.pool_stats();
    metrics::gauge!("diwan_db_pool_connections").set(pool.size as f64);
    metrics::gauge!("diwan_db_pool_idle_connections").set(pool.idle as f64);
    if let Ok(depth) = state.services.job_queue_depth().await {
        metrics::gauge!("diwan_job_queue_depth").set(depth as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics_handle().render(),
    )
        .into_response()
}

/// Marks every answer that does not say otherwise as not to be stored by
/// browsers or proxies: most answers are for one signed-in person. Static
/// assets set their own, long-lived caching.
pub async fn no_store_by_default(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    res
}

/// Times each request by its route pattern (never by its raw path, so that
/// identifiers do not explode the number of series).
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!("diwan_http_request_duration_seconds", "method" => method, "route" => route, "status" => status).record(start.elapsed().as_secs_f64());
    res
}

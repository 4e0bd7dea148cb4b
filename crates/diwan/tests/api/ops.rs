//! Operations: health, readiness, metrics, the OpenAPI document, and a
//! graceful shutdown that lets requests in flight finish.

use crate::helpers::{pdf_bytes, s, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_health_readiness_metrics_and_openapi() {
    let app = TestApp::spawn_with(|s| s.metrics_token = Some("metrics-secret-2026".into())).await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, "ok");
    let r = app
        .get("/readyz", None)
        .await
        .expect(StatusCode::OK, "readiness");
    assert_eq!(r, json!({"database": true, "migrations_current": true}));

    // A few requests, then their timings by route pattern.
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب لقياس الأداء", true)
        .await;
    let id = s(&case, "id");
    app.get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "a case");
    app.get("/api/v1/cases", Some(&clerk))
        .await
        .expect(StatusCode::OK, "the queue");
    // /metrics answers only to its token.
    let r = app.get("/metrics", None).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "/metrics without a token"
    );
    let r = app.get("/metrics", Some("wrong-token")).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "/metrics with a wrong token"
    );
    let r = app.get("/metrics", Some(&clerk)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "/metrics with a user's token"
    );
    let r = app.get("/metrics", Some("metrics-secret-2026")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        r.headers
    );
    let m = r.text;
    assert!(m.contains("diwan_http_request_duration_seconds"), "{m}");
    // (The recorder is the process's: other tests' servers add their own series.)
    assert!(
        m.lines()
            .any(|l| l.starts_with("diwan_http_request_duration_seconds")
                && l.contains("route=\"/api/v1/cases/{id}\"")
                && l.contains("method=\"GET\"")
                && l.contains("status=\"200\"")),
        "no timing of GET /api/v1/cases/{{id}} by its route pattern:\n{m}"
    );
    assert!(m.contains("route=\"/healthz\""), "{m}");
    assert!(
        !m.contains(id),
        "a raw path with an identifier became a label"
    );
    assert!(
        m.lines()
            .any(|l| l.starts_with("diwan_db_pool_connections")),
        "{m}"
    );
    assert!(
        m.lines().any(|l| l.starts_with("diwan_job_queue_depth")),
        "{m}"
    );

    // The OpenAPI document.
    let doc = app
        .get("/api/openapi.json", None)
        .await
        .expect(StatusCode::OK, "OpenAPI");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string());
    for (path, method) in [
        ("/api/v1/cases", "get"),
        ("/api/v1/cases", "post"),
        ("/api/v1/cases/{id}", "get"),
        ("/api/v1/cases/{id}/transitions", "post"),
        ("/api/v1/auth/sign-in", "post"),
        ("/govstack/workflow/processes", "get"),
        ("/govstack/workflow/processes/{processId}/start", "post"),
        ("/govstack/workflow/instances", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    app.stop().await;
}

/// A multipart body with one file, and its boundary.
fn multipart(file: &[u8]) -> (Vec<u8>, &'static str) {
    let boundary = "diwan-test-boundary-7d3f";
    let mut b = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"large.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (b, boundary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_graceful_shutdown_finishes_requests_in_flight() {
    let mut app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب لاختبار الإيقاف", true)
        .await;
    let id = s(&case, "id").to_owned();
    let (body, boundary) = multipart(&pdf_bytes(2 * 1024 * 1024));
    let half = body.len() / 2;

    // Three uploads whose headers and first half have been sent: the server
    // is running their handlers when it is told to stop.
    let mut conns = Vec::new();
    for _ in 0..3 {
        let mut c = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST /api/v1/cases/{id}/attachments HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {clerk}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
            app.addr,
            body.len()
        );
        c.write_all(head.as_bytes()).await.unwrap();
        c.write_all(&body[..half]).await.unwrap();
        conns.push(c);
    }
    // And concurrent reads over keep-alive connections.
    let mut reads = Vec::new();
    for _ in 0..10 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/cases?limit=100"),
            clerk.clone(),
        );
        reads.push(tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for r in reads {
        assert_eq!(
            r.await.unwrap().expect("a read before the shutdown"),
            StatusCode::OK
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let running = app.take_running();
    let stopping = tokio::spawn(running.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "the server stopped without waiting for the uploads in flight"
    );

    // The rest of each upload arrives; each is answered and stored.
    for c in &mut conns {
        c.write_all(&body[half..]).await.unwrap();
    }
    for (i, mut c) in conns.into_iter().enumerate() {
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), c.read_to_end(&mut answer))
            .await
            .expect("an answer in time")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        let status = answer.lines().next().unwrap_or("");
        assert!(
            status.starts_with("HTTP/1.1 201"),
            "upload {i} in flight was not completed: {answer}"
        );
    }
    tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("the server stops")
        .unwrap()
        .expect("a clean stop");

    // Stopped: no new connections.
    assert!(
        TcpStream::connect(app.addr).await.is_err(),
        "the server still accepts connections"
    );
    let mut tx = app.services.store.read().await.unwrap();
    let stored = tx
        .list_attachments(uuid::Uuid::parse_str(&id).unwrap())
        .await
        .unwrap();
    drop(tx);
    assert_eq!(stored.len(), 3, "every upload in flight was stored");
    assert!(stored
        .iter()
        .all(|a| a.size == 2 * 1024 * 1024 && a.content_type == "application/pdf"));
    app.stop().await;
}

/// On PostgreSQL, connections the database dropped while they waited (the
/// server restarted, an operator ended them) are replaced before use: the
/// next filing and the next read are answered, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_connections_the_database_dropped_are_replaced() {
    use crate::helpers::{backend, Backend};
    use sqlx::Connection;
    if backend() != Backend::Postgres {
        return;
    }
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    app.file_case(&clerk, "budget_transfer", "قبل انقطاع الاتصال", true)
        .await;

    let mut admin = sqlx::PgConnection::connect(&app.database_url())
        .await
        .expect("connect to the test database");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .expect("end the server's connections");
    assert!(
        ended.iter().filter(|e| **e).count() >= 2,
        "the server held connections for writing and for filing: {ended:?}"
    );
    admin.close().await.expect("close");
    // Past the pause after which a connection is tested again.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let case = app
        .file_case(&clerk, "budget_transfer", "بعد انقطاع الاتصال", true)
        .await;
    let id = s(&case, "id");
    app.get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(
            StatusCode::OK,
            "reading the case after the connections were ended",
        );
    app.get("/api/v1/cases", Some(&clerk))
        .await
        .expect(StatusCode::OK, "the queue after the connections were ended");
    app.stop().await;
}

//! Attacks on sign-in, input, attachments, tokens and operations endpoints,
//! each one tried as an attacker would, against the real server.

use crate::helpers::{futures_join_all, pdf_bytes, s, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that takes the client's address from `X-Forwarded-For`, as it
/// would behind one reverse proxy, so that a test can speak from several
/// addresses.
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(|s| s.trusted_proxies = 1).await
}

/// Signs in as `username` from `address`.
async fn sign_in_from(
    app: &TestApp,
    address: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .header("x-forwarded-for", address)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign-in request");
    let status = r.status();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn audit(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/audit?{query}&limit=200"), Some(token))
        .await
        .expect(StatusCode::OK, "audit search")["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_parallel_wrong_passwords_all_count_and_lock_the_account() {
    let app = behind_proxy().await;
    let victim = app.user("clerk.misrata").id;
    // 30 wrong passwords at once, from 3 addresses (10 each: under the
    // per-address limit, so every one reaches the account).
    let tries: Vec<_> = (0..30)
        .map(|i| {
            let addr = format!("198.51.100.{}", i % 3 + 1);
            let app = &app;
            async move { sign_in_from(app, &addr, "clerk.misrata", "wrong-password-x").await }
        })
        .collect();
    let answers = futures_join_all(tries).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "invalid_credentials", "{body}");
    }
    let u = app
        .services
        .store
        .read()
        .await
        .unwrap()
        .get_user(victim)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.failed_attempts, 30, "every concurrent failure counted");
    assert!(u.locked_until.is_some(), "the account is locked");
    // The right password from an address that has been failing is refused…
    let (status, _) = sign_in_from(&app, "198.51.100.1", "clerk.misrata", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // …but nobody can lock a person out from afar: from the person's own,
    // clean address, the right password still opens the account.
    let (status, body) = sign_in_from(&app, "203.0.113.50", "clerk.misrata", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_one_address_cannot_spray_passwords_over_many_accounts() {
    let app = behind_proxy().await;
    let sprayer = "192.0.2.66";
    let names = [
        "clerk.tripoli",
        "clerk.benghazi",
        "head.plan",
        "admin",
        "auditor",
    ];
    for i in 0..20 {
        let (status, body) =
            sign_in_from(&app, sprayer, names[i % names.len()], "Spring2026!!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "try {i}: {body}");
    }
    // The 21st try is refused before any check, whatever the name, even
    // with a right password, and says when to come back.
    let r = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .header("x-forwarded-for", sprayer)
        .json(&json!({"username": "clerk.tripoli", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!((60..=900).contains(&retry), "retry after {retry} s");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_attempts");
    // Another address is not affected, and no account was locked.
    let (status, _) = sign_in_from(&app, "192.0.2.67", "clerk.tripoli", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sign_in_from(&app, "192.0.2.68", "admin", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_known_and_unknown_names_answer_alike_in_status_and_time() {
    let app = behind_proxy().await;
    // Each kind of failure from its own address, so that each gets the same
    // per-address back-off.
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for i in 0..4 {
        let t = Instant::now();
        let (st_u, b_u) = sign_in_from(
            &app,
            "192.0.2.10",
            &format!("nobody.{i}"),
            "wrong-password-x",
        )
        .await;
        unknown.push(t.elapsed());
        let t = Instant::now();
        let (st_k, b_k) = sign_in_from(&app, "192.0.2.11", "clerk.sabha", "wrong-password-x").await;
        known.push(t.elapsed());
        assert_eq!(
            (st_u, st_k),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
        );
        assert_eq!(b_u["code"], b_k["code"]);
        assert_eq!(b_u["message"], b_k["message"]);
    }
    // A locked account answers exactly as a wrong password does.
    for _ in 0..2 {
        sign_in_from(&app, "192.0.2.11", "clerk.sabha", "wrong-password-x").await;
    }
    let (st, body) = sign_in_from(&app, "192.0.2.11", "clerk.sabha", "wrong-password-x").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_credentials");
    // Both kinds do one password check and the same back-off: the totals
    // are alike. (Before, unknown names answered three to four times faster.)
    let total = |v: &[Duration]| v.iter().sum::<Duration>().as_secs_f64();
    let ratio = total(&known) / total(&unknown);
    assert!(
        (0.6..1.67).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}: ratio {ratio:.2}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_a_burst_of_sign_ins_waits_for_bounded_password_checks() {
    // From as many addresses as sign-ins, so that no address throttle
    // holds the burst back: only the bound on password checks does.
    let app = behind_proxy().await;
    let tries: Vec<_> = (0..24)
        .map(|i| {
            let app = &app;
            async move {
                let addr = format!("198.51.100.{}", 100 + i);
                sign_in_from(app, &addr, &format!("ghost.{i}"), "x").await.0
            }
        })
        .collect();
    for st in futures_join_all(tries).await {
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    // The working memory of the checks is reused: at most one 19 MiB
    // buffer per check allowed at once (one per core), not one per request.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pooled = app.services.passwords.pooled_buffers();
    assert!(
        (1..=cores).contains(&pooled),
        "{pooled} Argon2 buffers for {cores} cores"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_huge_and_hostile_input_is_bounded_and_cleaned() {
    let app = TestApp::spawn().await;
    // A 5 MB user name: refused like any unknown one, and not kept.
    let huge = "a".repeat(5 * 1024 * 1024);
    app.post(
        "/api/v1/auth/sign-in",
        None,
        json!({"username": huge, "password": "x"}),
    )
    .await
    .expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "a 5 MB user name",
    );
    // NUL and control characters reach no database: no server error on
    // either backend, and the failed attempt is audited.
    app.post(
        "/api/v1/auth/sign-in",
        None,
        json!({"username": "ad\u{0}min\u{7}", "password": "x"}),
    )
    .await
    .expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "a NUL in a user name",
    );
    let auditor = app.sign_in("auditor").await;
    let failed = audit(&app, &auditor, "action=auth.sign_in_failed").await;
    assert!(
        failed.iter().all(|r| r["actor_name"]
            .as_str()
            .is_some_and(|n| n.chars().count() <= 64)),
        "a user name in the audit trail is bounded"
    );
    assert!(
        failed.iter().any(|r| r["actor_name"] == "admin"),
        "the cleaned name was audited: {failed:?}"
    );
    let clerk = app.sign_in("clerk.tripoli").await;
    for path in [
        "/api/v1/cases?state=draft%00",
        "/api/v1/cases?q=%00%01",
        "/api/v1/cases/by-tracking/MLG%002026",
    ] {
        let r = app.get(path, Some(&clerk)).await;
        assert!(
            r.status.is_client_error() || r.status.is_success(),
            "{path}: {} {}",
            r.status,
            r.text
        );
    }
    for q in ["action=auth%00", "object=%00x", "actor=adm%00in"] {
        let r = app.get(&format!("/api/v1/audit?{q}"), Some(&auditor)).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    }
    let t = app
        .post(
            "/api/v1/tokens",
            Some(&clerk),
            json!({"name": "re\u{0}ports\u{202E}", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED, "a token name with a NUL");
    assert_eq!(t["details"]["name"], "reports");
    // Dates people cannot mean, and definitions that would break every view.
    let admin = app.sign_in("admin").await;
    let ministry = app.org("MLG").id;
    app.get(
        &format!("/api/v1/organizations/{ministry}/holidays?from=%2B262142-12-01"),
        Some(&admin),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "a year 262142");
    let greedy = json!({"name": "greedy", "type": "Public", "version": "1", "processBody": [{"code": "prefix", "value": "GRD"}, {"code": "fields", "value": r#"[{"code":"amount","kind":"money","currency":"LYD","decimals":64,"required":false,"label_ar":"م","label_en":"a","label_fr":"a"}]"#}]});
    let r = app
        .post("/govstack/workflow/processes", Some(&admin), greedy)
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a money field with 64 decimals: {}",
        r.text
    );
    let wrapped = json!({"name": "wrapped", "type": "Public", "version": "1", "processBody": [{"code": "prefix", "value": "WRP"}, {"code": "deadline_days", "value": "4294967306"}]});
    let r = app
        .post("/govstack/workflow/processes", Some(&admin), wrapped)
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "deadline_days past i32: {}",
        r.text
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_attachment_names_lose_bidi_tricks_and_take_the_real_type() {
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب بمرفق", true)
        .await;
    let mut html_in_pdf = pdf_bytes(200);
    html_in_pdf.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let r = app
        .upload(
            s(&case, "id"),
            &clerk,
            "invoice\u{202E}fdp.hta",
            html_in_pdf,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = r.json;
    assert_eq!(a["filename"], "invoicefdp.pdf");
    let r = app
        .get(
            &format!("/api/v1/attachments/{}", s(&a, "id")),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let disposition = r
        .header("content-disposition")
        .unwrap_or_default()
        .to_owned();
    assert!(
        !disposition.contains('\u{202E}') && !disposition.contains("%E2%80%AE"),
        "{disposition}"
    );
    assert!(disposition.contains(".pdf"), "{disposition}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_tokens_scopes_resets_and_sign_out() {
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let make = |scopes: Value| {
        let app = &app;
        let clerk = clerk.clone();
        async move {
            let t = app
                .post(
                    "/api/v1/tokens",
                    Some(&clerk),
                    json!({"name": "t", "scopes": scopes}),
                )
                .await
                .expect(StatusCode::CREATED, "a token");
            (s(&t, "token").to_owned(), s(&t["details"], "id").to_owned())
        }
    };
    let (read, read_id) = make(json!(["read"])).await;
    let (write, _) = make(json!(["read", "write"])).await;
    // A read token changes nothing, not even its own account's state.
    app.delete(&format!("/api/v1/tokens/{read_id}"), Some(&read))
        .await
        .expect_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a read token revokes a token",
        );
    app.post("/api/v1/notifications/read", Some(&read), json!({}))
        .await
        .expect_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a read token marks notifications read",
        );
    app.post("/api/v1/auth/sign-out", Some(&read), json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden", "a read token signs out");
    // Marking notifications read is audited.
    let r = app
        .post("/api/v1/notifications/read", Some(&write), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Signing out with a write token revokes that token.
    let (write2, _) = make(json!(["write"])).await;
    let r = app
        .post("/api/v1/auth/sign-out", Some(&write2), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.get("/api/v1/me", Some(&write2)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "a token signed out with",
    );
    // A token revoked on this node stops working at once, though it was
    // used just before (who holds it is kept for a moment).
    let (write3, write3_id) = make(json!(["read", "write"])).await;
    let r = app.get("/api/v1/me", Some(&write3)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/tokens/{write3_id}"), Some(&write))
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.text);
    app.get("/api/v1/me", Some(&write3)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "a token revoked just after its use",
    );
    // An administrator's reset ends sessions and revokes every token.
    let admin = app.sign_in("admin").await;
    let id = app.user("clerk.tripoli").id;
    let r = app
        .post(
            &format!("/api/v1/users/{id}/password"),
            Some(&admin),
            json!({"password": "طرابلس مدينة البحر ٢٠٢٦"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    for t in [&clerk, &read, &write] {
        app.get("/api/v1/me", Some(t)).await.expect_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a credential from before the reset",
        );
    }
    // Nobody else learns which user names exist from the audit search.
    let other = app.sign_in("clerk.benghazi").await;
    for name in ["admin", "nobody.at.all"] {
        app.get(&format!("/api/v1/audit?actor={name}"), Some(&other))
            .await
            .expect_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "a clerk searches the audit trail",
            );
    }
    let auditor = app.sign_in("auditor").await;
    let reads = audit(&app, &auditor, "action=notification.read").await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    let resets = audit(&app, &auditor, "action=user.password_reset").await;
    assert_eq!(resets[0]["details"]["tokens_revoked"], 2, "{resets:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_passwords_need_twelve_characters_and_no_common_ones() {
    let app = TestApp::spawn().await;
    let admin = app.sign_in("admin").await;
    let id = app.user("clerk.benghazi").id;
    let path = format!("/api/v1/users/{id}/password");
    for (pw, reason) in [
        ("short-pass1", "password"),
        ("password1234", "password"),
        ("123456789012", "password"),
        ("clerk.benghazi2026", "password"),
    ] {
        let e = app
            .post(&path, Some(&admin), json!({"password": pw}))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", pw);
        assert!(e["details"][reason].is_string(), "{pw}: {e}");
    }
    // A person changes their own password; the session used stays, the
    // others end; an API token cannot do it.
    let first = app.sign_in("clerk.benghazi").await;
    let second = app.sign_in("clerk.benghazi").await;
    app.post(
        "/api/v1/me/password",
        Some(&first),
        json!({"current_password": "wrong-one-here", "new_password": "بنغازي على البحر ٢٠٢٦"}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a wrong current password",
    );
    app.post(
        "/api/v1/me/password",
        Some(&first),
        json!({"current_password": PASSWORD, "new_password": "qwertyuiop12"}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a common new password",
    );
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": PASSWORD, "new_password": "بنغازي على البحر ٢٠٢٦"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.get("/api/v1/me", Some(&first))
        .await
        .expect(StatusCode::OK, "the session used");
    app.get("/api/v1/me", Some(&second)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "another session",
    );
    let r = app
        .post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": "clerk.benghazi", "password": "بنغازي على البحر ٢٠٢٦"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t = app
        .post(
            "/api/v1/tokens",
            Some(&first),
            json!({"name": "w", "scopes": ["write"]}),
        )
        .await
        .expect(StatusCode::CREATED, "a token");
    app.post("/api/v1/me/password", Some(s(&t, "token")), json!({"current_password": "بنغازي على البحر ٢٠٢٦", "new_password": "another long phrase 2027"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden", "a token changes the password");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_proxy_address_cache_headers_metrics_and_audit_search() {
    let app = behind_proxy().await;
    // The client wrote the leftmost entry; the proxy appended the real one.
    let r = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .header("x-forwarded-for", "6.6.6.6, 203.0.113.9")
        .json(&json!({"username": "clerk.tripoli", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let auditor = app.sign_in("auditor").await;
    let sign_ins = audit(&app, &auditor, "action=auth.sign_in&actor=clerk.tripoli").await;
    assert_eq!(sign_ins[0]["ip"], "203.0.113.9", "{sign_ins:?}");
    // `_` and `%` in an action filter are literal characters, not wildcards.
    assert!(audit(&app, &auditor, "action=auth%25").await.is_empty());
    assert!(audit(&app, &auditor, "action=auth_sign").await.is_empty());
    assert!(!audit(&app, &auditor, "action=AUTH.SIGN_IN")
        .await
        .is_empty());
    // Authenticated answers are not to be stored.
    let r = app.get("/api/v1/me", Some(&auditor)).await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let b = app.browser("clerk.tripoli").await;
    let r = b.get("/cases").await;
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // Without a configured token, /metrics does not exist.
    assert_eq!(
        app.get("/metrics", None).await.status,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_the_language_link_changes_no_account_and_the_form_needs_csrf() {
    let app = TestApp::spawn().await;
    let b = app.browser("clerk.tripoli").await;
    // A link (as another site could place) only sets this browser's cookie.
    let r = b.get("/lang?lang=fr&next=/cases").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = app.user("clerk.tripoli").id;
    let locale = |app: &TestApp| {
        let services = app.services.clone();
        async move {
            let mut tx = services.store.read().await.unwrap();
            tx.get_user(id).await.unwrap().unwrap().locale
        }
    };
    assert_eq!(locale(&app).await, None, "a GET saved nothing");
    let r = b
        .post_form("/lang", &[("lang", "en"), ("next", "/cases")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the form without its token"
    );
    assert_eq!(locale(&app).await, None);
    let r = b
        .post_form(
            "/lang",
            &[("lang", "en"), ("next", "/cases"), ("csrf", &b.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(locale(&app).await.as_deref(), Some("en"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_sessions_end_at_their_absolute_lifetime_however_active() {
    let app = TestApp::spawn_with(|s| {
        s.services.session_max_lifetime = Duration::from_secs(3);
    })
    .await;
    let token = app.sign_in("clerk.tripoli").await;
    let started = Instant::now();
    // Busy all along: the idle timeout never strikes, the absolute one does.
    while started.elapsed() < Duration::from_millis(2500) {
        app.get("/api/v1/me", Some(&token))
            .await
            .expect(StatusCode::OK, "within the lifetime");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    app.get("/api/v1/me", Some(&token)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "past the absolute lifetime",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_a_half_sent_request_is_cut_off() {
    let app = TestApp::spawn_with(|s| s.header_read_timeout = Duration::from_secs(1)).await;
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (with or without a 408) instead of
    // waiting for the rest for ever.
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A whole request on a new connection is served as usual.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_an_old_connection_is_closed_with_an_answer_not_under_a_request() {
    let age = Duration::from_millis(300);
    let app = TestApp::spawn_with(|s| s.max_connection_age = age).await;
    let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let ask = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    // Read one whole answer (`/healthz` answers with a length).
    async fn answer(conn: &mut tokio::net::TcpStream) -> String {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed before answering: {buf:?}");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if buf.len() >= end + 4 + length {
                    return text[..end].to_ascii_lowercase();
                }
            }
        }
    }
    conn.write_all(ask).await.unwrap();
    let young = answer(&mut conn).await;
    assert!(!young.contains("connection: close"), "{young}");
    tokio::time::sleep(age + Duration::from_millis(100)).await;
    // Past its age the connection still takes the request sent on it, and
    // its answer tells the client to open another.
    conn.write_all(ask).await.unwrap();
    let old = answer(&mut conn).await;
    assert!(old.starts_with("http/1.1 200"), "{old}");
    assert!(old.contains("connection: close"), "{old}");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?} {rest:?}");

    // Clients that reuse their connections as fast as they can, through
    // many ages: not one request is lost to a connection closed under it.
    let client = reqwest::Client::new();
    let url = format!("http://{}/healthz", app.addr);
    let until = Instant::now() + Duration::from_secs(3);
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u32, Vec::new());
                while Instant::now() < until {
                    match client.get(&url).send().await {
                        Ok(r) if r.status() == StatusCode::OK => ok += 1,
                        Ok(r) => failed.push(r.status().to_string()),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut served = 0;
    for w in workers {
        let (ok, failed) = w.await.unwrap();
        assert!(failed.is_empty(), "{failed:?}");
        served += ok;
    }
    assert!(served > 100, "{served}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_a_parallel_burst_from_one_address_gets_no_more_tries_than_its_limit() {
    let app = behind_proxy().await;
    let sprayer = "192.0.2.77";
    // 40 guesses sent at once: none has failed yet when the others arrive,
    // so only the attempts under way can hold the rest back.
    let tries: Vec<_> = (0..40)
        .map(|i| {
            let app = &app;
            async move { sign_in_from(app, sprayer, &format!("nobody.{i}"), "Spring2026!!").await }
        })
        .collect();
    let answers = futures_join_all(tries).await;
    let checked = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::TOO_MANY_REQUESTS && b["code"] == "too_many_attempts")
        .count();
    assert_eq!(checked + refused, 40, "{answers:?}");
    assert!(
        (1..=20).contains(&checked),
        "{checked} of 40 parallel guesses were checked; the limit is 20"
    );
    // The address has used its tries: the right password is refused too.
    let (status, _) = sign_in_from(&app, sprayer, "clerk.tripoli", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = sign_in_from(&app, "192.0.2.78", "clerk.tripoli", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_guessing_the_current_password_is_throttled_counted_and_audited() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = 1;
        s.services.sign_in_limits.failures = 8;
    })
    .await;
    let (home, thief) = ("203.0.113.7", "198.51.100.9");
    let (status, body) = sign_in_from(&app, home, "clerk.benghazi", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let taken = s(&body, "token").to_owned();
    let change = |current: &'static str| {
        let (app, taken) = (&app, taken.clone());
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/me/password"))
                .bearer_auth(&taken)
                .header("x-forwarded-for", thief)
                .json(&json!({"current_password": current, "new_password": "a phrase the thief likes 99"}))
                .send()
                .await
                .expect("password change request");
            crate::helpers::Reply::read(r).await
        }
    };
    // A taken session guesses the current password: each wrong guess counts
    // against the account, as a failed sign-in does, and is audited.
    for i in 0..5 {
        let e = change("guess-number-one").await.expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a wrong guess",
        );
        assert!(
            e["details"]["current_password"].is_string(),
            "guess {i}: {e}"
        );
    }
    let u = app
        .services
        .store
        .read()
        .await
        .unwrap()
        .get_user(app.user("clerk.benghazi").id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.failed_attempts, 5, "every wrong guess counted");
    assert!(u.locked_until.is_some(), "the account is locked");
    // The account is locked and the address has been failing: even the
    // right password changes nothing from there.
    change(PASSWORD).await.expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "the right password from the guessing address",
    );
    let auditor = app.sign_in("auditor").await;
    let refused = audit(&app, &auditor, "action=user.password_change_refused").await;
    assert_eq!(refused.len(), 6, "{refused:?}");
    assert!(refused.iter().all(|r| r["ip"] == thief), "{refused:?}");
    // Past the address's limit the guesses are refused before any check.
    for _ in 0..2 {
        change("guess-number-two").await;
    }
    change("guess-number-three").await.expect_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "past the address's limit",
    );
    // The person, from home, still signs in with their own password.
    let (status, body) = sign_in_from(&app, home, "clerk.benghazi", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_text_over_its_bound_is_refused_not_cut() {
    let app = TestApp::spawn().await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب لاختبار الحدود", true)
        .await;
    let id = s(&case, "id").to_owned();
    let path = format!("/api/v1/cases/{id}/messages");
    let e = app
        .post(&path, Some(&clerk), json!({"body": "ب".repeat(20_001)}))
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "20,001 characters",
        );
    assert!(e["details"]["body"].is_string(), "{e}");
    let e = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({
                "case_type_id": app.case_type("budget_transfer").id,
                "subject": "طلب طويل",
                "body": format!("{}ب", "ا".repeat(20_000)),
            }),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a 20,001-character letter",
        );
    assert!(e["details"]["body"].is_string(), "{e}");
    let r = app
        .post(&path, Some(&clerk), json!({"body": "ب".repeat(20_000)}))
        .await;
    assert!(
        r.status.is_success(),
        "20,000 characters: {} {}",
        r.status,
        &r.text[..r.text.len().min(300)]
    );
    let shown = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the case")
        .to_string();
    assert!(
        shown.contains(&"ب".repeat(20_000)),
        "the message kept whole"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_refused_uploads_store_nothing() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi] = app.sign_in_all(["clerk.tripoli", "clerk.benghazi"]).await;
    let case = app
        .file_case(&tripoli, "budget_transfer", "طلب لا يقبل ملفات غيره", true)
        .await;
    let id = s(&case, "id").to_owned();
    let folder = std::path::Path::new(app.settings.files.as_deref().expect("a files directory"))
        .join("cases")
        .join(&id);
    // Another municipality's clerk, and a file on a move that carries none.
    app.upload(&id, &benghazi, "leak.pdf", pdf_bytes(2048))
        .await
        .expect_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "another municipality's upload",
        );
    let b = app.browser("clerk.tripoli").await;
    let r = b
        .post_multipart(
            &format!("/cases/{id}/transitions"),
            &[
                ("csrf", b.csrf.as_str()),
                ("action", "withdraw"),
                ("message", "سحب مع ملف"),
            ],
            Some(("extra.pdf", pdf_bytes(2048))),
        )
        .await;
    assert!(
        r.status.is_client_error(),
        "a file on a move without one: {}",
        r.status
    );
    assert!(
        !folder.exists(),
        "a refused upload left {} behind",
        folder.display()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_a_page_path_that_is_not_text_is_not_found() {
    let app = TestApp::spawn().await;
    let b = app.browser("clerk.tripoli").await;
    for path in ["/cases/%ff", "/attachments/%ff%fe", "/static/%ff.css"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: a page, not the framework's plain text: {:?}",
            r.header("content-type")
        );
    }
    app.stop().await;
}

/// Reads one answer's status line from a raw connection, if it comes
/// within `wait`.
async fn status_within(conn: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = conn.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    let text = String::from_utf8_lossy(&buf).to_string();
    text.lines().next().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_the_gateways_connections_wait_apart_from_everyone_elses() {
    let app = TestApp::spawn_with(|s| {
        s.gateway_listen = Some(([127, 0, 0, 1], 0).into());
        s.gateway_max_connections = 2;
    })
    .await;
    let gateway = app.gateway_addr().expect("a gateway address");
    let report = "POST /api/v1/messaging/kannel/incoming?key=wrong HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    // It serves Kannel's calls and the health checks, nothing else, and
    // the main address does not serve those calls. (A client that keeps no
    // connection open, so that the places below are free.)
    let once = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let gateway_base = format!("http://{gateway}");
    for (base, path, status) in [
        (
            gateway_base.as_str(),
            "/api/v1/cases",
            StatusCode::NOT_FOUND,
        ),
        (gateway_base.as_str(), "/metrics", StatusCode::NOT_FOUND),
        (gateway_base.as_str(), "/", StatusCode::NOT_FOUND),
        (gateway_base.as_str(), "/healthz", StatusCode::OK),
        (
            gateway_base.as_str(),
            "/api/v1/messaging/kannel/reports?key=x",
            StatusCode::UNAUTHORIZED,
        ),
        (
            app.base.as_str(),
            "/api/v1/messaging/kannel/incoming?key=x",
            StatusCode::NOT_FOUND,
        ),
        (
            app.base.as_str(),
            "/api/v1/messaging/kannel/reports?key=x",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = once.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), status, "{base}{path}");
    }
    drop(once);
    // The gateway's address serves Kannel's calls (a wrong key: refused).
    let mut first = tokio::net::TcpStream::connect(gateway).await.unwrap();
    first.write_all(report.as_bytes()).await.unwrap();
    let answered = status_within(&mut first, Duration::from_secs(5)).await;
    assert_eq!(answered.as_deref(), Some("HTTP/1.1 401 Unauthorized"));
    // Two connections held open take all of its places: a third call
    // waits, unanswered, while people are served on the main address.
    let _second = tokio::net::TcpStream::connect(gateway).await.unwrap();
    let mut third = tokio::net::TcpStream::connect(gateway).await.unwrap();
    third.write_all(report.as_bytes()).await.unwrap();
    assert_eq!(
        status_within(&mut third, Duration::from_millis(500)).await,
        None
    );
    for _ in 0..5 {
        let r = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(
        status_within(&mut third, Duration::from_millis(200)).await,
        None
    );
    // One of the gateway's connections closes: the call waiting is taken.
    drop(first);
    let answered = status_within(&mut third, Duration::from_secs(5)).await;
    assert_eq!(answered.as_deref(), Some("HTTP/1.1 401 Unauthorized"));
    app.stop().await;
}

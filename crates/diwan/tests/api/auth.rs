//! Sign-in, lockout, password resets, sessions and personal API tokens.

use crate::helpers::{s, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_wrong_passwords_lock_the_account_until_an_admin_resets_it() {
    let app = TestApp::spawn().await;
    let sign_in = |password: &str| {
        app.post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": "clerk.misrata", "password": password}),
        )
    };

    // A session opened before the trouble.
    let ok = sign_in(PASSWORD).await.expect(StatusCode::OK, "signing in");
    let old_token = s(&ok, "token").to_owned();
    assert!(
        old_token.starts_with("dws_"),
        "a session token: {old_token}"
    );
    assert_eq!(ok["user"]["username"], "clerk.misrata");
    assert_eq!(ok["user"]["role"], "municipal_clerk");
    assert_eq!(ok["user"]["org_id"], app.org("M-MIS").id.to_string());
    assert!(ok["expires_at"].is_string());
    let me = app
        .get("/api/v1/me", Some(&old_token))
        .await
        .expect(StatusCode::OK, "me");
    assert_eq!(me["username"], "clerk.misrata");
    // User names are not case-sensitive.
    let upper = app
        .post(
            "/api/v1/auth/sign-in",
            None,
            json!({"username": " Clerk.Misrata ", "password": PASSWORD}),
        )
        .await;
    upper.expect(StatusCode::OK, "user name in capitals");

    // Five wrong passwords lock the account; the answers never say so
    // (a locked account must not be told apart from a wrong password).
    for i in 1..=5 {
        sign_in("wrong-password").await.expect_error(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            &format!("wrong password #{i}"),
        );
    }
    // Now even the right password is refused from the address that failed.
    sign_in(PASSWORD).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the right password on a locked account, from the failing address",
    );

    // The administrator sets a new password: the account opens, its sessions end.
    let admin = app.sign_in("admin").await;
    let users = app
        .get("/api/v1/users", Some(&admin))
        .await
        .expect(StatusCode::OK, "users");
    let misrata = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "clerk.misrata")
        .expect("the account")
        .clone();
    assert!(
        users.to_string().find("password").is_none(),
        "the user list shows nothing of passwords"
    );
    let path = format!("/api/v1/users/{}/password", s(&misrata, "id"));
    app.post(&path, Some(&admin), json!({"password": "short"}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "a short password");
    let clerk = app.sign_in("clerk.tripoli").await;
    app.post(
        &path,
        Some(&clerk),
        json!({"password": "a-new-password-2026"}),
    )
    .await
    .expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a clerk resets a password",
    );
    let r = app
        .post(
            &path,
            Some(&admin),
            json!({"password": "a-new-password-2026"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let r = app.get("/api/v1/me", Some(&old_token)).await;
    let e = r.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "a session from before the reset",
    );
    assert!(e.is_object());
    sign_in(PASSWORD).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the old password",
    );
    let fresh = sign_in("a-new-password-2026")
        .await
        .expect(StatusCode::OK, "the new password");
    app.get("/api/v1/me", Some(s(&fresh, "token")))
        .await
        .expect(StatusCode::OK, "a new session");

    // Signing out ends a session.
    let t = s(&fresh, "token").to_owned();
    let r = app.post("/api/v1/auth/sign-out", Some(&t), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.get("/api/v1/me", Some(&t)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "after signing out",
    );

    // The audit trail has the lockout and the reset.
    let auditor = app.sign_in("auditor").await;
    let trail = app
        .get(
            &format!("/api/v1/audit?object={}&limit=200", s(&misrata, "id")),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit");
    let items = trail["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|r| r["action"] == "auth.sign_in_failed" && r["details"]["locked"] == true),
        "{trail}"
    );
    assert!(
        items
            .iter()
            .any(|r| r["action"] == "auth.sign_in_failed" && r["details"]["reason"] == "locked"),
        "{trail}"
    );
    assert!(
        items
            .iter()
            .any(|r| r["action"] == "user.password_reset" && r["actor_name"] == "admin"),
        "{trail}"
    );

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_personal_api_tokens_are_scoped_listed_without_secret_and_revocable() {
    let app = TestApp::spawn().await;
    let [session, other] = app.sign_in_all(["clerk.tripoli", "clerk.benghazi"]).await;

    // Without a token, or with a bad one: 401 with a challenge.
    for token in [None, Some("dwt_not-a-real-token"), Some("garbage")] {
        let r = app.get("/api/v1/cases", token).await;
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{token:?}");
        r.expect_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "no valid token",
        );
    }

    let created = app
        .post(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "تقارير البلدية", "scopes": ["read"]}),
        )
        .await
        .expect(StatusCode::CREATED, "a read token");
    let read_token = s(&created, "token").to_owned();
    let read_id = s(&created["details"], "id").to_owned();
    assert!(read_token.starts_with("dwt_"), "{read_token}");
    assert_eq!(created["details"]["scopes"], json!(["read"]));
    assert_eq!(created["details"]["name"], "تقارير البلدية");

    // It reads, and does not write.
    app.get("/api/v1/me", Some(&read_token))
        .await
        .expect(StatusCode::OK, "me with a read token");
    app.get("/api/v1/cases", Some(&read_token))
        .await
        .expect(StatusCode::OK, "cases with a read token");
    let body = json!({"case_type_id": app.case_type("budget_transfer").id, "subject": "طلب عبر رمز القراءة", "submit": true});
    app.post("/api/v1/cases", Some(&read_token), body.clone())
        .await
        .expect_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "filing with a read token",
        );
    // A token cannot mint tokens.
    app.post(
        "/api/v1/tokens",
        Some(&read_token),
        json!({"name": "x", "scopes": ["read", "write"]}),
    )
    .await
    .expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a token minting a token",
    );
    // Unknown scopes are refused.
    let e = app
        .post(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "x", "scopes": ["admin"]}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "an unknown scope");
    assert!(e["details"]["scopes"].is_string(), "{e}");

    // A write token files.
    let created = app
        .post(
            "/api/v1/tokens",
            Some(&session),
            json!({"name": "نظام الأرشفة", "scopes": ["read", "write"], "expires_in_days": 30}),
        )
        .await
        .expect(StatusCode::CREATED, "a write token");
    let write_token = s(&created, "token").to_owned();
    assert!(created["details"]["expires_at"].is_string());
    let case = app
        .post("/api/v1/cases", Some(&write_token), body)
        .await
        .expect(StatusCode::CREATED, "filing with a write token");
    assert_eq!(case["state"], "submitted");

    // The listing never shows a token or its digest.
    let list = app.get("/api/v1/tokens", Some(&session)).await;
    assert!(
        !list.text.contains(&read_token) && !list.text.contains(&write_token),
        "the listing shows a token: {}",
        list.text
    );
    assert!(!list.text.contains("dwt_"), "{}", list.text);
    let list = list.expect(StatusCode::OK, "token list");
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for t in items {
        let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "created_at",
                "expires_at",
                "id",
                "name",
                "revoked_at",
                "scopes"
            ],
            "{t}"
        );
    }
    // Another person's listing does not show them, and they cannot revoke them.
    let theirs = app
        .get("/api/v1/tokens", Some(&other))
        .await
        .expect(StatusCode::OK, "another's tokens");
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    app.delete(&format!("/api/v1/tokens/{read_id}"), Some(&other))
        .await
        .expect_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "revoking another's token",
        );
    app.get("/api/v1/me", Some(&read_token))
        .await
        .expect(StatusCode::OK, "the token still works");

    // Revoked, it no longer opens anything.
    let r = app
        .delete(&format!("/api/v1/tokens/{read_id}"), Some(&session))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    app.get("/api/v1/me", Some(&read_token)).await.expect_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "a revoked token",
    );
    app.get("/api/v1/me", Some(&write_token))
        .await
        .expect(StatusCode::OK, "the other token still works");
    let list = app
        .get("/api/v1/tokens", Some(&session))
        .await
        .expect(StatusCode::OK, "token list");
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == read_id.as_str())
        .expect("a revoked token is still listed");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");

    // A read-only role gets read scopes only.
    let auditor = app.sign_in("auditor").await;
    let t = app
        .post(
            "/api/v1/tokens",
            Some(&auditor),
            json!({"name": "مراجعة", "scopes": ["read", "write"]}),
        )
        .await
        .expect(StatusCode::CREATED, "auditor token");
    assert_eq!(t["details"]["scopes"], json!(["read"]));

    app.stop().await;
}

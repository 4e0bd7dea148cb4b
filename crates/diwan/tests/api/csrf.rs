//! The CSRF layer: every state-changing page request of a signed-in browser
//! is refused without the session's token, for every POST route the server
//! serves (read from its own route table, so a new route is covered the day
//! it is added), in urlencoded and multipart bodies alike, and nothing is
//! changed or audited.

use crate::helpers::TestApp;
use crate::process::count;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_every_page_post_without_the_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let b = app.browser("admin").await;
    let url = app.database_url();
    let posts: Vec<&str> = diwan_web::page_routes()
        .table()
        .iter()
        .filter(|(m, _)| m == axum::http::Method::POST)
        .map(|(_, p)| *p)
        // The sign-in form has no session yet; it checks its own
        // double-submitted token (tested with the sign-in page).
        .filter(|p| *p != "/sign-in")
        .collect();
    assert!(posts.len() >= 12, "{posts:?}");
    let any_id = uuid::Uuid::now_v7().to_string();
    let audited = count(&url, "SELECT COUNT(*) FROM audit_log").await;
    for route in &posts {
        let path = route.replace("{id}", &any_id);
        for (how, r) in [
            ("no token", b.post_form(&path, &[("name", "x")]).await),
            (
                "a wrong token",
                b.post_form(&path, &[("csrf", "forged"), ("name", "x")])
                    .await,
            ),
            (
                "multipart, a wrong token",
                b.post_multipart(&path, &[("csrf", "forged")], None).await,
            ),
        ] {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "POST {route} with {how}: {}",
                r.text
            );
            // The session is still there, with the same token.
            let still = b.get("/cases").await;
            assert_eq!(
                crate::helpers::csrf_of(&still.text).as_deref(),
                Some(b.csrf.as_str()),
                "after POST {route} with {how}"
            );
        }
    }
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM audit_log").await,
        audited,
        "a refused request changed or audited something"
    );
    // With the token the layer lets requests through (multipart ones too:
    // the isolation walk's transitions reach their handler that way).
    let r = b
        .post_form("/notifications/read", &[("csrf", b.csrf.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    app.stop().await;
}

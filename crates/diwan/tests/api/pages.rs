//! The server-rendered pages: Arabic and right-to-left by default, signing
//! in without JavaScript, cookies that scripts cannot read, forms that need
//! their anti-forgery token.

use crate::helpers::{csrf_of, s, Reply, TestApp, PASSWORD};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_sign_in_csrf_and_queue() {
    let app = TestApp::spawn().await;

    // The sign-in page: Arabic, right to left; English on request.
    let r = app.get("/sign-in", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(
        r.text.contains("dir=\"rtl\"") && r.text.contains("lang=\"ar\""),
        "the default page is Arabic, right to left"
    );
    assert!(
        r.header("content-security-policy")
            .is_some_and(|c| c.contains("script-src 'none'")),
        "{:?}",
        r.headers
    );
    assert!(
        r.text.contains("name=\"username\"") && r.text.contains("name=\"password\""),
        "a sign-in form"
    );
    assert!(!r.text.contains("<script"), "no scripts");
    let ar_text = r.text;
    let en = Reply::read(
        app.client
            .get(app.url("/sign-in"))
            .header("accept-language", "en-GB,en;q=0.8")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(
        en.text.contains("dir=\"ltr\"") && en.text.contains("lang=\"en\""),
        "English on request"
    );
    assert_ne!(en.text, ar_text);
    let fr = Reply::read(
        app.client
            .get(app.url("/sign-in"))
            .header("accept-language", "fr")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(fr.text.contains("lang=\"fr\"") && fr.text.contains("dir=\"ltr\""));

    // Pages need a session.
    let anon = app.cookie_client();
    let r = anon.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in"),
        "{:?}",
        r.headers()
    );

    // A sign-in post without the form's token (another site's form) is refused.
    let r = anon
        .post(app.url("/sign-in"))
        .form(&[("username", "clerk.tripoli"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "sign-in without its csrf token"
    );
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("diwan_session=")));

    // A wrong password: the form again, no session.
    let token = app.sign_in_token(&anon).await;
    let r = anon
        .post(app.url("/sign-in"))
        .form(&[
            ("username", "clerk.tripoli"),
            ("password", "wrong-password"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("diwan_session=")));

    // Signing in without JavaScript: a plain form post, an HttpOnly SameSite cookie.
    let clerk_api = app.sign_in("clerk.tripoli").await;
    let mine = app
        .file_case(
            &clerk_api,
            "budget_transfer",
            "طلب يظهر في قائمة البلدية",
            true,
        )
        .await;
    let draft = app
        .file_case(&clerk_api, "staffing", "مسودة طلب ندب موظف", false)
        .await;
    let theirs = app
        .file_case(
            &app.sign_in("clerk.benghazi").await,
            "budget_transfer",
            "طلب لا يخص طرابلس",
            true,
        )
        .await;

    let client = app.cookie_client();
    let token = app.sign_in_token(&client).await;
    let r = client
        .post(app.url("/sign-in"))
        .form(&[
            ("username", "clerk.tripoli"),
            ("password", PASSWORD),
            ("next", "/cases"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/cases");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("diwan_session="))
        .expect("a session cookie");
    let lower = cookie.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{cookie}");
    assert!(
        lower.contains("samesite=lax") || lower.contains("samesite=strict"),
        "{cookie}"
    );
    assert!(lower.contains("path=/"), "{cookie}");
    // An open redirect is not followed after signing in.
    let other = app.cookie_client();
    let token = app.sign_in_token(&other).await;
    let r = other
        .post(app.url("/sign-in"))
        .form(&[
            ("username", "clerk.tripoli"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/cases");

    // The queue lists the municipality's cases, and only those.
    let r = Reply::read(client.get(app.url("/cases")).send().await.unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains(s(&mine, "tracking_number")),
        "the clerk's case is listed"
    );
    assert!(
        r.text.contains(s(&draft, "tracking_number")) || r.text.contains(s(&draft, "subject")),
        "the clerk's draft is listed"
    );
    assert!(
        !r.text.contains(s(&theirs, "tracking_number")),
        "another municipality's case is listed"
    );
    let csrf = csrf_of(&r.text).expect("a csrf token on the page");
    let case_id = s(&mine, "id");
    let r = Reply::read(
        client
            .get(app.url(&format!("/cases/{case_id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(s(&mine, "tracking_number")));

    // A form without its token, or with another, is refused.
    for token in [None, Some("forged-token"), Some("")] {
        let mut fields = vec![("body", "رسالة بلا رمز")];
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let r = client
            .post(app.url(&format!("/cases/{case_id}/messages")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "a message form with csrf {token:?}"
        );
    }
    let r = client
        .post(app.url("/sign-out"))
        .form(&[("csrf", "forged-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "signing out with a forged token"
    );
    let r = client
        .post(app.url(&format!("/cases/{case_id}/transitions")))
        .multipart(reqwest::multipart::Form::new().text("action", "withdraw"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a transition without a token"
    );
    // A session of one browser does not lend its token to another.
    let foreign = app.browser("clerk.tripoli").await;
    assert_ne!(foreign.csrf, csrf, "each session has its own token");
    let r = client
        .post(app.url(&format!("/cases/{case_id}/messages")))
        .form(&[("csrf", foreign.csrf.as_str()), ("body", "رمز جلسة أخرى")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another session's token");
    let v = app
        .get(&format!("/api/v1/cases/{case_id}"), Some(&clerk_api))
        .await
        .expect(StatusCode::OK, "the case");
    assert_eq!(
        v["messages"].as_array().unwrap().len(),
        0,
        "a refused form changed the case"
    );
    assert_eq!(v["case"]["state"], "submitted");

    // With its token the same form works.
    let r = client
        .post(app.url(&format!("/cases/{case_id}/messages")))
        .form(&[("csrf", csrf.as_str()), ("body", "رسالة من صفحة الطلب")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = app
        .get(&format!("/api/v1/cases/{case_id}"), Some(&clerk_api))
        .await
        .expect(StatusCode::OK, "the case");
    assert!(v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["body"] == "رسالة من صفحة الطلب"));

    // Signing out ends the session.
    let r = client
        .post(app.url("/sign-out"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the queue after signing out"
    );

    app.stop().await;
}

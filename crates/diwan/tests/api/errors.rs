//! Errors: stable codes, the right statuses, translated messages, and never
//! a 500 for a client's mistake.

use crate::helpers::{pdf_bytes, s, Reply, TestApp};
use reqwest::StatusCode;
use serde_json::json;

fn has_arabic(t: &str) -> bool {
    t.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// Every answer of the test, to check that none was a server error.
#[derive(Default)]
struct Seen(Vec<(String, StatusCode)>);

impl Seen {
    fn note(&mut self, what: &str, r: Reply) -> Reply {
        self.0.push((what.to_owned(), r.status));
        r
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_codes_statuses_and_translated_messages() {
    let app = TestApp::spawn_with(|s| s.services.max_attachment_bytes = 64 * 1024).await;
    let [clerk, auditor, legal] = app
        .sign_in_all(["clerk.tripoli", "auditor", "officer.legal"])
        .await;
    let mut seen = Seen::default();
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب لاختبار الأخطاء", true)
        .await;
    let id = s(&case, "id").to_owned();

    // Malformed JSON, or JSON of the wrong shape.
    let r = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&clerk)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let e = seen
        .note("malformed JSON", Reply::read(r).await)
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "malformed JSON");
    assert!(e["details"]["body"].is_string(), "{e}");
    let r = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&clerk)
        .body(r#"{"subject":"x"}"#)
        .send()
        .await
        .unwrap();
    seen.note("JSON without a content type", Reply::read(r).await)
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "no content type");
    let r = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"case_type_id": "not-a-uuid", "subject": "abc"}),
        )
        .await;
    seen.note("wrong shape", r).expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a malformed field",
    );
    let r = app.post("/api/v1/cases", Some(&clerk), json!({"case_type_id": app.case_type("budget_transfer").id, "subject": "س".repeat(201)})).await;
    let e = seen.note("long subject", r).expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a subject too long",
    );
    assert!(e["details"]["subject"].is_string(), "{e}");
    let r = app
        .post(
            "/api/v1/cases",
            Some(&clerk),
            json!({"case_type_id": uuid::Uuid::now_v7(), "subject": "طلب بنوع مجهول"}),
        )
        .await;
    let e = seen.note("unknown type", r).expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "an unknown case type",
    );
    assert!(e["details"]["case_type_id"].is_string(), "{e}");

    // Unknown and malformed identifiers name nothing.
    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/cases/{unknown}"),
        "/api/v1/cases/not-a-uuid".to_owned(),
        "/api/v1/cases/123".to_owned(),
        format!("/api/v1/attachments/{unknown}"),
        "/api/v1/attachments/%00".to_owned(),
        "/api/v1/cases/by-tracking/not-a-number".to_owned(),
        "/api/v1/cases/by-tracking/BDG-2026-999999".to_owned(),
        "/govstack/workflow/instances/not-a-uuid".to_owned(),
        format!("/govstack/workflow/instances/{unknown}"),
        "/api/v1/no-such-route".to_owned(),
    ] {
        let r = app.get(&path, Some(&clerk)).await;
        seen.note(&path, r)
            .expect_error(StatusCode::NOT_FOUND, "not_found", &path);
    }
    let r = app
        .transition(&clerk, &unknown.to_string(), json!({"action": "withdraw"}))
        .await;
    seen.note("transition on unknown", r).expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "a transition of an unknown case",
    );
    let r = app
        .transition(&legal, &id, json!({"action": "answer", "message": "x"}))
        .await;
    seen.note("another department", r).expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "an officer of another department",
    );

    // Bad query values name their field.
    for (q, field) in [
        ("from=2026-13-45", "from"),
        ("to=yesterday", "to"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("sort=sideways", "sort"),
        ("order=up", "order"),
        ("overdue=maybe", "overdue"),
        ("type=x", "type"),
    ] {
        let r = app.get(&format!("/api/v1/cases?{q}"), Some(&clerk)).await;
        let e = seen
            .note(q, r)
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", q);
        assert!(
            e["details"][field].as_str().is_some_and(|m| !m.is_empty()),
            "{q}: details name {field}: {e}"
        );
    }
    let r = app
        .get("/api/v1/audit?from=2026-02-30", Some(&auditor))
        .await;
    let e = seen.note("audit from", r).expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a bad audit date",
    );
    assert!(e["details"]["from"].is_string(), "{e}");
    // Dates and numbers in Arabic-Indic digits are fine.
    let r = app
        .get("/api/v1/cases?from=٢٠٢٦-٠١-٠١&limit=٥", Some(&clerk))
        .await;
    seen.note("arabic digits", r)
        .expect(StatusCode::OK, "Arabic-Indic digits in the query");

    // Messages follow Accept-Language: Arabic by default, English, French.
    let path = format!("/api/v1/cases/{unknown}");
    let ar = app
        .client
        .get(app.url(&path))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    let ar = Reply::read(ar).await;
    assert_eq!(ar.header("content-language"), Some("ar"));
    let en = Reply::read(
        app.client
            .get(app.url(&path))
            .bearer_auth(&clerk)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(en.header("content-language"), Some("en"));
    let fr = Reply::read(
        app.client
            .get(app.url(&path))
            .bearer_auth(&clerk)
            .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(fr.header("content-language"), Some("fr"));
    let (ar, en, fr) = (
        ar.expect_error(StatusCode::NOT_FOUND, "not_found", "ar"),
        en.expect_error(StatusCode::NOT_FOUND, "not_found", "en"),
        fr.expect_error(StatusCode::NOT_FOUND, "not_found", "fr"),
    );
    let (ar, en, fr) = (s(&ar, "message"), s(&en, "message"), s(&fr, "message"));
    assert!(has_arabic(ar), "the default is Arabic: {ar}");
    assert!(!has_arabic(en) && en.is_ascii(), "English: {en}");
    assert!(!has_arabic(fr) && fr != en, "French: {fr}");
    // Field reasons are translated too.
    let r = app
        .client
        .get(app.url("/api/v1/cases?from=2026-13-45"))
        .bearer_auth(&clerk)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let e =
        Reply::read(r)
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "en details");
    assert!(!has_arabic(s(&e["details"], "from")), "{e}");

    // A move the workflow does not have from here: 409.
    for action in ["acknowledge", "reply", "fly"] {
        let r = app
            .transition(&clerk, &id, json!({"action": action, "message": "x"}))
            .await;
        let e =
            seen.note(action, r)
                .expect_error(StatusCode::CONFLICT, "invalid_transition", action);
        assert!(e["details"].is_object());
    }
    // Only drafts are edited.
    let r = app
        .patch(
            &format!("/api/v1/cases/{id}"),
            Some(&clerk),
            json!({"subject": "عنوان جديد للطلب", "body": ""}),
        )
        .await;
    seen.note("edit submitted", r).expect_error(
        StatusCode::CONFLICT,
        "invalid_transition",
        "editing a submitted case",
    );
    // A move that exists but is not this person's: 403.
    let r = app
        .transition(
            &clerk,
            &id,
            json!({"action": "route", "department_id": app.org("PLAN").id}),
        )
        .await;
    seen.note("clerk routes", r).expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a clerk routing",
    );
    let r = app
        .transition(
            &auditor,
            &id,
            json!({"action": "route", "department_id": app.org("PLAN").id}),
        )
        .await;
    seen.note("auditor routes", r).expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "an auditor routing",
    );
    let r = app.post("/api/v1/cases", Some(&auditor), json!({"case_type_id": app.case_type("budget_transfer").id, "subject": "طلب من المراجع"})).await;
    seen.note("auditor files", r).expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "an auditor filing",
    );
    let r = app
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            Some(&clerk),
            json!({"body": "ملاحظة", "internal": true}),
        )
        .await;
    seen.note("clerk note", r).expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a municipal internal note",
    );
    let r = app.post("/api/v1/users", Some(&clerk), json!({"username": "new.user", "display_name": "x", "role": "admin", "org_id": app.demo.ministry.id, "password": "long-enough-password"})).await;
    seen.note("clerk creates user", r).expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a clerk creating an account",
    );
    let r = app.get("/api/v1/users", Some(&clerk)).await;
    seen.note("clerk lists users", r).expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "a clerk listing accounts",
    );
    // A missing department is named.
    let registry = app.sign_in("registry").await;
    let r = app
        .transition(&registry, &id, json!({"action": "route"}))
        .await;
    let e = seen.note("route without department", r).expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "routing without a department",
    );
    assert!(e["details"]["department_id"].is_string(), "{e}");

    // Attachments: checked by content, and by size.
    let r = app.upload(&id, &clerk, "report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode".to_vec()).await;
    let e = seen.note("exe", r).expect_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "a Windows program named .pdf",
    );
    assert!(e["details"]["file"].is_string(), "{e}");
    let r = app
        .upload(
            &id,
            &clerk,
            "page.html",
            b"<html><script>alert(1)</script></html>".to_vec(),
        )
        .await;
    seen.note("html", r).expect_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "an HTML page",
    );
    let r = app.upload(&id, &clerk, "empty.pdf", Vec::new()).await;
    seen.note("empty", r)
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "an empty file");
    let r = app
        .upload(&id, &clerk, "big.pdf", pdf_bytes(100 * 1024))
        .await;
    let e = seen.note("over the limit", r).expect_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "a file over the limit",
    );
    assert!(e["details"]["file"].is_string(), "{e}");
    let r = app
        .upload(&id, &clerk, "huge.pdf", pdf_bytes(400 * 1024))
        .await;
    seen.note("over the body limit", r).expect_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "a body over the limit",
    );
    let r = app.post("/api/v1/cases", Some(&clerk), json!({"case_type_id": app.case_type("budget_transfer").id, "subject": "طلب", "body": "ن".repeat(300 * 1024)})).await;
    seen.note("huge JSON", r).expect_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "a JSON body over the limit",
    );
    let r = app
        .upload(&id, &clerk, "ok.pdf", pdf_bytes(60 * 1024))
        .await;
    seen.note("under the limit", r)
        .expect(StatusCode::CREATED, "a file under the limit");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/attachments")))
        .bearer_auth(&clerk)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await
        .unwrap();
    let r = seen.note("broken multipart", Reply::read(r).await);
    assert!(
        r.status.is_client_error(),
        "a broken multipart body: {} {}",
        r.status,
        r.text
    );
    // Nothing was stored but the one good file.
    let v = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the case");
    assert_eq!(
        v["attachments"].as_array().unwrap().len(),
        1,
        "{}",
        v["attachments"]
    );

    let errors: Vec<_> = seen
        .0
        .iter()
        .filter(|(_, st)| st.is_server_error())
        .collect();
    assert!(errors.is_empty(), "server errors: {errors:?}");
    app.stop().await;
}

/// Whether a detail reads as a sentence rather than as a raw message id.
fn is_translated(detail: &serde_json::Value) -> bool {
    detail
        .as_str()
        .is_some_and(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_field_reasons_are_translated_in_every_language() {
    let app = TestApp::spawn().await;
    let [clerk, admin] = app.sign_in_all(["clerk.tripoli", "admin"]).await;
    let bdg = app.case_type("budget_transfer").id;
    let mut untranslated = Vec::new();
    for lang in ["ar", "en", "fr"] {
        let cases = [
            (
                "/api/v1/cases",
                &clerk,
                json!({"case_type_id": bdg, "subject": "طلب بمبلغ غير صحيح", "fields": {"amount": "abc"}}),
                "fields.amount",
            ),
            (
                "/api/v1/cases",
                &clerk,
                json!({"case_type_id": bdg, "subject": "طلب بحقل مجهول", "fields": {"colour": "red"}}),
                "fields.colour",
            ),
            (
                "/api/v1/cases",
                &clerk,
                json!({"case_type_id": bdg, "subject": ""}),
                "subject",
            ),
            (
                "/api/v1/organizations",
                &admin,
                json!({"parent_id": app.demo.ministry.id, "kind": "department", "code": "TZX", "name_ar": "إدارة", "name_en": "Dept", "name_fr": "Dir", "time_zone": "Mars/Olympus"}),
                "time_zone",
            ),
            (
                "/api/v1/organizations",
                &admin,
                json!({"parent_id": app.demo.ministry.id, "kind": "planet", "code": "KND", "name_ar": "إدارة", "name_en": "Dept", "name_fr": "Dir"}),
                "kind",
            ),
            (
                "/govstack/workflow/processes",
                &admin,
                json!({"name": "bad_prefix", "type": "Public", "version": "1", "processBody": [{"code": "prefix", "value": "X1"}]}),
                "prefix",
            ),
        ];
        for (path, token, body, field) in cases {
            let r = app
                .client
                .post(app.url(path))
                .bearer_auth(token)
                .header("accept-language", lang)
                .json(&body)
                .send()
                .await
                .unwrap();
            let e = Reply::read(r).await.expect_error(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                &format!("{lang} {field}"),
            );
            let detail = &e["details"][field];
            assert!(detail.is_string(), "{lang}: no detail for {field}: {e}");
            if !is_translated(detail) || (lang == "ar" && !has_arabic(detail.as_str().unwrap())) {
                untranslated.push(format!("{lang} {field}: {detail}"));
            }
        }
    }
    assert!(
        untranslated.is_empty(),
        "reasons shown as raw message ids instead of translated text:\n{}",
        untranslated.join("\n")
    );
    app.stop().await;
}

/// Sends a multipart upload of `total` bytes over a raw connection, a piece
/// at a time as a slow link would, and returns the answer's status line.
async fn upload_slowly(app: &TestApp, path: &str, token: &str, total: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n";
    let tail = "\r\n--b--\r\n";
    let filler = total - head.len() - tail.len();
    tcp.write_all(format!("POST {path} HTTP/1.1\r\nHost: diwan\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {total}\r\n\r\n{head}").as_bytes()).await.unwrap();
    let piece = vec![b'x'; 16 * 1024];
    let mut left = filler;
    while left > 0 {
        let n = left.min(piece.len());
        tcp.write_all(&piece[..n])
            .await
            .expect("the server read the body to its end before answering");
        left -= n;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    tcp.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf).await.expect("the answer");
        assert!(n > 0, "the connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An answer given before the body is all read (a file over the limit, a
/// bad token) still reaches a client that is sending slowly, rather than a
/// connection reset under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_answer_reaches_a_client_still_sending() {
    let app = TestApp::spawn_with(|s| s.services.max_attachment_bytes = 64 * 1024).await;
    let clerk = app.sign_in("clerk.tripoli").await;
    let case = app
        .file_case(&clerk, "budget_transfer", "طلب لرفع ملف كبير", true)
        .await;
    let path = format!("/api/v1/cases/{}/attachments", s(&case, "id"));
    let status = upload_slowly(&app, &path, &clerk, 1024 * 1024).await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "over the limit");
    let status = upload_slowly(&app, &path, "not-a-token", 1024 * 1024).await;
    assert_eq!(status, "HTTP/1.1 401 Unauthorized", "a bad token");
    app.stop().await;
}

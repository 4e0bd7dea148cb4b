//! "A municipal user never sees, searches, downloads or learns of another
//! municipality's cases (the answer is 404)." Walks every route that takes a
//! case, an attachment or a tracking number, as read from the OpenAPI
//! document (so new routes are covered without touching this test), and the
//! case pages, as a user of Benghazi against Tripoli's cases.

use crate::helpers::{arabic_digits, pdf_bytes, s, Browser, Reply, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A case of Tripoli's that Benghazi must not learn of.
struct Secret {
    id: String,
    tracking: String,
    attachment: String,
    /// A word of the subject found nowhere else.
    word: String,
    subject: String,
}

impl Secret {
    /// Whether a response body gives any of the case away.
    fn leaks_in(&self, text: &str) -> bool {
        text.contains(&self.id)
            || text.contains(&self.tracking)
            || text.contains(&self.attachment)
            || text.contains(&self.word)
    }

    /// The same for a page, which repeats its own path (in the language
    /// switcher's `next`): identifiers of that path do not count.
    fn leaks_in_page(&self, text: &str, path: &str) -> bool {
        [&self.id, &self.tracking, &self.attachment, &self.word]
            .iter()
            .any(|x| !path.contains(x.as_str()) && text.contains(x.as_str()))
    }

    /// The same for a search page, which repeats what was searched for.
    fn leaks_in_search_page(&self, text: &str) -> bool {
        text.contains(&self.id) || text.contains(&self.attachment) || text.contains(&self.subject)
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Paths whose parameter names something other than a case: an
/// organization, a department, a token, an account, a process. Given a case's id they must not reveal
/// the case, but their answer may be other than 404 (403, say).
fn names_no_case(path: &str) -> bool {
    [
        "/api/v1/organizations/",
        "/api/v1/departments/",
        "/api/v1/tokens/",
        "/api/v1/users/",
        "/govstack/workflow/processes/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The request bodies to try on a route: each valid in shape, so that only
/// the authorization can refuse them.
fn bodies(method: &str, path: &str) -> Vec<Option<Value>> {
    match (method, path) {
        ("get" | "delete", _) => vec![None],
        (_, p) if p.ends_with("/transitions") => vec![
            Some(json!({"action": "withdraw"})),
            Some(json!({"action": "reply", "message": "رد من بلدية أخرى"})),
            Some(json!({"action": "acknowledge"})),
            Some(json!({"action": "submit"})),
        ],
        (_, p) if p.ends_with("/messages") => vec![
            Some(json!({"body": "رسالة من بلدية أخرى"})),
            Some(json!({"body": "ملاحظة", "internal": true})),
        ],
        (_, p) if p.ends_with("/holidays") => {
            vec![Some(json!({"day": "2027-01-03", "name": "عطلة"}))]
        }
        (_, p) if p.ends_with("/password") => {
            vec![Some(json!({"password": "another-password-2026"}))]
        }
        (_, p) if p.ends_with("/start") => vec![Some(
            json!({"processStartedBy": "clerk.benghazi", "InstanceValues": [{"code": "subject", "value": "طلب من بنغازي"}]}),
        )],
        ("patch", _) => vec![Some(
            json!({"subject": "عنوان غيّرته بلدية أخرى", "body": ""}),
        )],
        ("put", _) => vec![Some(
            json!({"name": "budget_transfer", "type": "Public", "version": "1"}),
        )],
        _ => vec![Some(json!({}))],
    }
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    if method == "post" && path.ends_with("/attachments") {
        return app
            .upload(
                path.trim_start_matches("/api/v1/cases/")
                    .trim_end_matches("/attachments"),
                token,
                "leak.pdf",
                pdf_bytes(512),
            )
            .await;
    }
    let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    app.request(m, path, Some(token), body).await
}

/// Every route of the OpenAPI document with a path parameter, as
/// `(method, template)`, for the JSON API and the GovStack API.
async fn parameterized_routes(app: &TestApp) -> Vec<(String, String)> {
    let doc = app
        .get("/api/openapi.json", None)
        .await
        .expect(StatusCode::OK, "the OpenAPI document");
    let paths = doc["paths"].as_object().expect("OpenAPI paths");
    let mut routes = Vec::new();
    for (path, item) in paths {
        if !(path.starts_with("/api/v1/") || path.starts_with("/govstack/workflow/"))
            || !path.contains('{')
        {
            continue;
        }
        for m in METHODS {
            if item.get(m).is_some() {
                routes.push((m.to_owned(), path.clone()));
            }
        }
    }
    routes
}

/// The concrete paths to try for one route template.
fn substitutions(template: &str, secret: &Secret) -> Vec<String> {
    let mut out = Vec::new();
    let numbers = [
        secret.tracking.clone(),
        arabic_digits(&secret.tracking),
        secret.tracking.to_lowercase(),
    ];
    let variants: Vec<&str> = if template.contains("{number}") {
        numbers.iter().map(String::as_str).collect()
    } else {
        vec![""]
    };
    for number in variants {
        let mut p = template.to_owned();
        while let (Some(a), Some(b)) = (p.find('{'), p.find('}')) {
            let name = &p[a + 1..b];
            let value = match name {
                "number" => number.to_owned(),
                "id" if template.starts_with("/api/v1/attachments/") => secret.attachment.clone(),
                _ => secret.id.clone(),
            };
            p.replace_range(a..=b, &value);
        }
        out.push(p);
    }
    out
}

/// Walks every parameterized route as `token` against `secret`; returns how
/// many case routes were walked.
async fn walk_api(
    app: &TestApp,
    token: &str,
    secret: &Secret,
    routes: &[(String, String)],
) -> usize {
    let mut case_routes = 0;
    let mut failures = Vec::new();
    for (method, template) in routes {
        let guarded = !names_no_case(template);
        if guarded {
            case_routes += 1;
        }
        for path in substitutions(template, secret) {
            for body in bodies(method, template) {
                let r = send(app, token, method, &path, body.clone()).await;
                let what = format!(
                    "{} {path} {}",
                    method.to_uppercase(),
                    body.map(|b| b.to_string()).unwrap_or_default()
                );
                let text: String = r.text.chars().take(300).collect();
                if guarded {
                    if r.status != StatusCode::NOT_FOUND || r.json["code"] != "not_found" {
                        failures.push(format!(
                            "{what}: expected 404 not_found, got {} {text}",
                            r.status
                        ));
                    }
                } else if r.status.is_success() || r.status.is_server_error() {
                    failures.push(format!(
                        "{what}: a route that names no case answered {} {text}",
                        r.status
                    ));
                }
                if secret.leaks_in(&r.text) {
                    failures.push(format!(
                        "{what}: the answer reveals the case: {} {text}",
                        r.status
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "routes that let Benghazi learn of Tripoli's case:\n{}",
        failures.join("\n")
    );
    case_routes
}

/// The case pages, as a Benghazi browser.
async fn walk_pages(b: &Browser, secret: &Secret) {
    let id = &secret.id;
    let csrf = b.csrf.as_str();
    let mut answers: Vec<(String, Reply)> = vec![
        (
            format!("GET /cases/{id}"),
            b.get(&format!("/cases/{id}")).await,
        ),
        (
            format!("GET /attachments/{}", secret.attachment),
            b.get(&format!("/attachments/{}", secret.attachment)).await,
        ),
        (
            format!("GET /cases/{id}?filed=1"),
            b.get(&format!("/cases/{id}?filed=1")).await,
        ),
    ];
    for action in ["withdraw", "reply", "acknowledge", "submit"] {
        let r = b
            .post_multipart(
                &format!("/cases/{id}/transitions"),
                &[
                    ("csrf", csrf),
                    ("action", action),
                    ("message", "رد من بلدية أخرى"),
                ],
                None,
            )
            .await;
        answers.push((format!("POST /cases/{id}/transitions action={action}"), r));
    }
    answers.push((
        format!("POST /cases/{id}/messages"),
        b.post_form(
            &format!("/cases/{id}/messages"),
            &[("csrf", csrf), ("body", "رسالة من بلدية أخرى")],
        )
        .await,
    ));
    answers.push((
        format!("POST /cases/{id}/attachments"),
        b.post_multipart(
            &format!("/cases/{id}/attachments"),
            &[("csrf", csrf)],
            Some(("leak.pdf", pdf_bytes(512))),
        )
        .await,
    ));
    answers.push((
        format!("POST /cases/{id}/edit"),
        b.post_form(
            &format!("/cases/{id}/edit"),
            &[
                ("csrf", csrf),
                ("subject", "عنوان غيّرته بلدية أخرى"),
                ("body", ""),
            ],
        )
        .await,
    ));
    let mut failures = Vec::new();
    for (what, r) in &answers {
        if r.status != StatusCode::NOT_FOUND {
            failures.push(format!("{what}: expected 404, got {}", r.status));
        }
        if secret.leaks_in_page(&r.text, what) {
            failures.push(format!("{what}: the page reveals the case"));
        }
    }
    // Routes of the pages whose identifier is not a case's.
    for (what, r) in [
        (
            "POST /account/tokens/{case id}/revoke",
            b.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", csrf)])
                .await,
        ),
        (
            "POST /admin/users/{case id}/password",
            b.post_form(
                &format!("/admin/users/{id}/password"),
                &[("csrf", csrf), ("password", "another-password-2026")],
            )
            .await,
        ),
    ] {
        if r.status.is_server_error() || secret.leaks_in_page(&r.text, &format!("/{id}/")) {
            failures.push(format!("{what}: {} reveals the case or fails", r.status));
        }
    }
    // Lists and search pages show nothing of it.
    for path in [
        "/cases".to_owned(),
        format!("/search?q={}", secret.tracking),
        format!("/search?q={}", arabic_digits(&secret.tracking)),
        format!("/search?q={}", secret.word),
        "/dashboard".to_owned(),
        "/notifications".to_owned(),
    ] {
        let r = b.get(&path).await;
        if r.status != StatusCode::OK {
            failures.push(format!("GET {path}: expected 200, got {}", r.status));
        }
        let leaks = if path.starts_with("/search") {
            secret.leaks_in_search_page(&r.text)
        } else {
            secret.leaks_in(&r.text)
        };
        if leaks {
            failures.push(format!("GET {path}: the page reveals the case"));
        }
    }
    assert!(
        failures.is_empty(),
        "pages that let Benghazi learn of Tripoli's case:\n{}",
        failures.join("\n")
    );
}

async fn tripoli_case(app: &TestApp, clerk: &str, word: &str, submit: bool) -> Secret {
    let subject = format!("طلب {word} لصيانة السوق البلدي");
    let case = app
        .file_case(clerk, "budget_transfer", &subject, submit)
        .await;
    let id = s(&case, "id").to_owned();
    let att = app
        .upload(&id, clerk, "مستند.pdf", pdf_bytes(1024))
        .await
        .expect(StatusCode::CREATED, "attaching to Tripoli's case");
    Secret {
        id,
        tracking: s(&case, "tracking_number").to_owned(),
        attachment: s(&att, "id").to_owned(),
        word: word.to_owned(),
        subject,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_another_municipality_learns_nothing_of_a_case() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi] = app.sign_in_all(["clerk.tripoli", "clerk.benghazi"]).await;
    let submitted = tripoli_case(&app, &tripoli, "زنجبيلية", true).await;
    let draft = tripoli_case(&app, &tripoli, "قرنفلية", false).await;
    // Benghazi has a case of its own, so its lists are not empty by accident.
    let own = app
        .file_case(&benghazi, "budget_transfer", "طلب بلدية بنغازي الخاص", true)
        .await;

    let routes = parameterized_routes(&app).await;
    for secret in [&submitted, &draft] {
        let walked = walk_api(&app, &benghazi, secret, &routes).await;
        assert!(
            walked >= 9,
            "only {walked} case routes in the OpenAPI document: {routes:?}"
        );
    }
    for must in [
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/transitions",
        "/api/v1/attachments/{id}",
        "/api/v1/cases/by-tracking/{number}",
        "/govstack/workflow/instances/{instanceId}",
    ] {
        assert!(
            routes.iter().any(|(_, p)| p == must),
            "{must} is missing from the OpenAPI document"
        );
    }

    // Lists and searches never show it.
    for secret in [&submitted, &draft] {
        let own_id = s(&own, "id");
        let all = app
            .get("/api/v1/cases?limit=100", Some(&benghazi))
            .await
            .expect(StatusCode::OK, "Benghazi's queue");
        assert!(
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == own_id),
            "Benghazi sees its own case"
        );
        for q in [
            "/api/v1/cases?limit=100".to_owned(),
            format!("/api/v1/cases?q={}", secret.tracking),
            format!("/api/v1/cases?q={}", arabic_digits(&secret.tracking)),
            format!("/api/v1/cases?q={}", secret.word),
            format!("/api/v1/cases?municipality={}", app.org("M-TRP").id),
            "/api/v1/cases?state=draft,submitted&sort=due&order=asc".to_owned(),
            "/govstack/workflow/instances".to_owned(),
            format!(
                "/govstack/workflow/instances?processId={}",
                app.case_type("budget_transfer").id
            ),
            "/api/v1/notifications".to_owned(),
        ] {
            let r = app.get(&q, Some(&benghazi)).await;
            assert_eq!(r.status, StatusCode::OK, "GET {q}: {}", r.text);
            assert!(
                !secret.leaks_in(&r.text),
                "GET {q} reveals Tripoli's case: {}",
                r.text
            );
        }
        for q in [
            format!("/api/v1/cases?q={}", secret.tracking),
            format!("/api/v1/cases?q={}", secret.word),
        ] {
            let r = app
                .get(&q, Some(&benghazi))
                .await
                .expect(StatusCode::OK, &q);
            assert_eq!(
                r["items"].as_array().unwrap().len(),
                0,
                "GET {q} finds something: {r}"
            );
            assert!(r["next_cursor"].is_null());
        }
        // Tripoli itself finds both.
        let r = app
            .get(
                &format!("/api/v1/cases/by-tracking/{}", secret.tracking),
                Some(&tripoli),
            )
            .await
            .expect(StatusCode::OK, "Tripoli finds its case");
        assert_eq!(r["id"], secret.id.as_str());
        let r = app
            .get(&format!("/api/v1/cases?q={}", secret.word), Some(&tripoli))
            .await
            .expect(StatusCode::OK, "Tripoli searches");
        assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    }

    // The pages, through a browser session of Benghazi.
    let browser = app.browser("clerk.benghazi").await;
    for secret in [&submitted, &draft] {
        walk_pages(&browser, secret).await;
    }

    // Nothing the walk tried changed Tripoli's cases.
    for (secret, state) in [(&submitted, "submitted"), (&draft, "draft")] {
        let v = app
            .get(&format!("/api/v1/cases/{}", secret.id), Some(&tripoli))
            .await
            .expect(StatusCode::OK, "Tripoli reads its case");
        assert_eq!(v["case"]["state"], state);
        assert!(
            s(&v["case"], "subject").contains(&secret.word),
            "the subject changed: {}",
            v["case"]["subject"]
        );
        assert_eq!(
            v["messages"].as_array().unwrap().len(),
            0,
            "messages were added: {}",
            v["messages"]
        );
        assert_eq!(
            v["attachments"].as_array().unwrap().len(),
            1,
            "attachments were added: {}",
            v["attachments"]
        );
        assert_eq!(
            v["events"].as_array().unwrap().len(),
            if state == "draft" { 0 } else { 1 },
            "events: {}",
            v["events"]
        );
    }
    // A draft is the municipality's own: the ministry does not see it either.
    let registry = app.sign_in("registry").await;
    app.get(&format!("/api/v1/cases/{}", draft.id), Some(&registry))
        .await
        .expect_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "the registry reads a draft",
        );
    app.get(
        &format!("/api/v1/attachments/{}", draft.attachment),
        Some(&registry),
    )
    .await
    .expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "the registry downloads a draft's file",
    );
    app.get(&format!("/api/v1/cases/{}", submitted.id), Some(&registry))
        .await
        .expect(StatusCode::OK, "the registry reads a submitted case");
    // And no further case was filed by Benghazi's attempts to start processes with Tripoli's ids.
    let mine = app
        .get("/api/v1/cases?limit=100", Some(&benghazi))
        .await
        .expect(StatusCode::OK, "Benghazi's queue");
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");

    app.stop().await;
}

/// Tripoli's resident is not Benghazi's to see: the registry's pages, its
/// API and its search answer Benghazi's clerk as if the person did not
/// exist, and a national number registered in Tripoli cannot be taken
/// over (409, which names nothing of the person).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_another_municipality_learns_nothing_of_a_resident() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi] = app.sign_in_all(["clerk.tripoli", "clerk.benghazi"]).await;
    let word = "زرقاءاليمامة";
    let person = app
        .post(
            "/api/v1/persons",
            Some(&tripoli),
            json!({"national_number": "219870054321", "name_ar": format!("فاطمة {word}"), "mobiles": ["0917778888"]}),
        )
        .await
        .expect(StatusCode::CREATED, "Tripoli registers a resident");
    let id = s(&person, "id").to_owned();
    let leaks = |text: &str, path: &str| {
        [id.as_str(), "219870054321", "917778888", word]
            .iter()
            .any(|x| !path.contains(x) && text.contains(x))
    };
    let r = app
        .client
        .post(app.url("/api/v1/persons/imports"))
        .header("content-type", "text/csv")
        .body(format!(
            "national_number,name_ar\n119990012345,سالم {word}\n12,x\n"
        ))
        .bearer_auth(&tripoli)
        .send()
        .await
        .unwrap();
    let import = Reply::read(r)
        .await
        .expect(StatusCode::ACCEPTED, "Tripoli imports a file");
    let import_id = s(&import, "id").to_owned();
    let b = app.browser("clerk.benghazi").await;
    let csrf = b.csrf.clone();
    let mut failures = Vec::new();
    for path in [
        format!("/persons/imports/{import_id}"),
        format!("/persons/imports/{import_id}/rejected.csv"),
    ] {
        let r = b.get(&path).await;
        if r.status != StatusCode::NOT_FOUND
            || leaks(&r.text, &path)
            || r.text.contains("119990012345")
        {
            failures.push(format!("GET {path}: {}", r.status));
        }
    }
    for path in [
        format!("/api/v1/persons/imports/{import_id}"),
        format!("/api/v1/persons/imports/{import_id}/rejected"),
    ] {
        let r = app.get(&path, Some(&benghazi)).await;
        if r.status != StatusCode::NOT_FOUND || r.text.contains("119990012345") {
            failures.push(format!("GET {path}: {}", r.status));
        }
    }
    let list = b.get("/persons/imports").await;
    if list.text.contains(&import_id) {
        failures.push("GET /persons/imports lists Tripoli's import".into());
    }
    for path in [format!("/persons/{id}"), format!("/persons/{id}/edit")] {
        let r = b.get(&path).await;
        if r.status != StatusCode::NOT_FOUND || leaks(&r.text, &path) {
            failures.push(format!("GET {path}: {}", r.status));
        }
    }
    for q in ["219870054321", "0917778888", word, ""] {
        let path = format!("/persons?q={q}");
        let r = b.get(&path).await;
        if r.status != StatusCode::OK || leaks(&r.text, &path) {
            failures.push(format!("GET {path}: {} or reveals the person", r.status));
        }
        let r = app
            .client
            .get(app.url("/api/v1/persons"))
            .query(&[("q", q)])
            .bearer_auth(&benghazi)
            .send()
            .await
            .unwrap();
        let r = Reply::read(r).await;
        if r.status != StatusCode::OK || leaks(&r.text, "") {
            failures.push(format!("GET /api/v1/persons?q={q}: {}", r.status));
        }
    }
    let r = app
        .get(&format!("/api/v1/persons/{id}"), Some(&benghazi))
        .await;
    if r.status != StatusCode::NOT_FOUND || leaks(&r.text, "") {
        failures.push(format!("GET /api/v1/persons/{{id}}: {}", r.status));
    }
    let r = b
        .post_form(
            "/persons",
            &[
                ("csrf", csrf.as_str()),
                ("national_number", "219870054321"),
                ("name_ar", "اسم آخر"),
            ],
        )
        .await;
    if r.status != StatusCode::CONFLICT || leaks(&r.text, "219870054321") {
        failures.push(format!("POST /persons with Tripoli's number: {}", r.status));
    }
    assert!(
        failures.is_empty(),
        "routes that let Benghazi learn of Tripoli's resident:\n{}",
        failures.join("\n")
    );
    let unchanged = app
        .get(&format!("/api/v1/persons/{id}"), Some(&tripoli))
        .await
        .expect(StatusCode::OK, "Tripoli reads its resident");
    assert_eq!(unchanged["name_ar"], person["name_ar"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_another_municipality_learns_nothing_of_a_message() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi, clerk] = app
        .sign_in_all(["head.tripoli", "head.benghazi", "clerk.benghazi"])
        .await;
    let trp = app.org("M-TRP").id.to_string();
    let m = app
        .post(
            "/api/v1/messages",
            Some(&tripoli),
            json!({"to": "0917770001", "text": "رسالة طرابلس السرية"}),
        )
        .await
        .expect(StatusCode::CREATED, "Tripoli's SMS");
    let id = s(&m, "id").to_owned();
    let t = app.browser("head.tripoli").await;
    let sent = t
        .post_form(
            "/messages/new",
            &[
                ("csrf", &t.csrf),
                ("text", "دفعة طرابلس السرية"),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "Tripoli's batch");
    let batch = sent
        .header("location")
        .unwrap()
        .trim_start_matches("/messages/batches/")
        .to_owned();
    let template = app
        .post(
            "/api/v1/message-templates",
            Some(&tripoli),
            json!({"name": "قالب طرابلس السرية", "text_ar": "نص طرابلس السرية {x}", "samples": {"x": "1"}}),
        )
        .await
        .expect(StatusCode::CREATED, "Tripoli's template");
    let tid = s(&template, "id").to_owned();
    let secret = |text: &str| text.contains("طرابلس السرية") || text.contains("0917770001");
    let mut failures = Vec::new();
    let b = app.browser("head.benghazi").await;
    for path in [
        format!("/messages/{id}"),
        format!("/messages/batches/{batch}"),
        format!("/messages/templates/{tid}"),
    ] {
        let r = b.get(&path).await;
        if r.status != StatusCode::NOT_FOUND || secret(&r.text) {
            failures.push(format!("GET {path}: {}", r.status));
        }
    }
    for path in ["/messages", "/messages/templates", "/messages/new"] {
        let list = b.get(path).await;
        if list.status != StatusCode::OK
            || secret(&list.text)
            || list.text.contains(&batch)
            || list.text.contains(&tid)
        {
            failures.push(format!("GET {path}: {} or lists Tripoli's", list.status));
        }
    }
    let r = b
        .post_form(
            &format!("/messages/templates/{tid}"),
            &[
                ("csrf", &b.csrf),
                ("name", "x"),
                ("text_ar", "x"),
                ("action", "save"),
            ],
        )
        .await;
    if r.status != StatusCode::NOT_FOUND || secret(&r.text) {
        failures.push(format!("POST /messages/templates/{{id}}: {}", r.status));
    }
    // Nor sends with it.
    let r = b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &b.csrf),
                ("template", &tid),
                ("values", "x = 1"),
                ("action", "preview"),
            ],
        )
        .await;
    if r.status != StatusCode::BAD_REQUEST || secret(&r.text) {
        failures.push(format!(
            "POST /messages/new with Tripoli's template: {}",
            r.status
        ));
    }
    let r = b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &b.csrf),
                ("text", "x"),
                ("municipality", &trp),
                ("action", "preview"),
            ],
        )
        .await;
    if r.status != StatusCode::BAD_REQUEST {
        failures.push(format!("POST /messages/new to Tripoli: {}", r.status));
    }
    for token in [&benghazi, &clerk] {
        for path in [
            format!("/api/v1/messages/{id}"),
            format!("/api/v1/message-batches/{batch}"),
            format!("/api/v1/message-templates/{tid}"),
        ] {
            let r = app.get(&path, Some(token)).await;
            if r.status != StatusCode::NOT_FOUND || secret(&r.text) {
                failures.push(format!("GET {path}: {}", r.status));
            }
        }
    }
    let c = app.browser("clerk.benghazi").await;
    for path in ["/messages".to_owned(), format!("/messages/{id}")] {
        let r = c.get(&path).await;
        if r.status != StatusCode::NOT_FOUND || secret(&r.text) {
            failures.push(format!("GET {path} as a clerk: {}", r.status));
        }
    }
    let r = app
        .put(
            &format!("/api/v1/message-templates/{tid}"),
            Some(&benghazi),
            json!({"name": "x", "text_ar": "x"}),
        )
        .await;
    if r.status != StatusCode::NOT_FOUND {
        failures.push(format!(
            "PUT /api/v1/message-templates/{{id}}: {}",
            r.status
        ));
    }
    let listed = app
        .get("/api/v1/message-templates", Some(&benghazi))
        .await
        .expect(StatusCode::OK, "Benghazi's templates");
    if secret(&listed.to_string()) {
        failures.push("GET /api/v1/message-templates lists Tripoli's".into());
    }
    assert!(
        failures.is_empty(),
        "routes that let Benghazi learn of Tripoli's messages:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}

/// Page routes the walks above try with another municipality's case or
/// resident.
const WALKED_PAGES: &[(&str, &str)] = &[
    ("GET", "/cases/{id}"),
    ("GET", "/attachments/{id}"),
    ("POST", "/cases/{id}/transitions"),
    ("POST", "/cases/{id}/messages"),
    ("POST", "/cases/{id}/attachments"),
    ("POST", "/cases/{id}/edit"),
    ("POST", "/account/tokens/{id}/revoke"),
    ("POST", "/admin/users/{id}/password"),
    ("GET", "/cases"),
    ("GET", "/search"),
    ("GET", "/dashboard"),
    ("GET", "/notifications"),
    ("GET", "/persons"),
    ("GET", "/persons/{id}"),
    ("GET", "/persons/{id}/edit"),
    ("POST", "/persons"),
    ("GET", "/persons/imports/{id}"),
    ("GET", "/persons/imports/{id}/rejected.csv"),
    ("GET", "/messages"),
    ("GET", "/messages/{id}"),
    ("GET", "/messages/batches/{id}"),
    ("POST", "/messages/new"),
    ("GET", "/messages/templates"),
    ("GET", "/messages/templates/{id}"),
    ("POST", "/messages/templates/{id}"),
    // Walked by inquiry::an_inquiry_from_composition_to_public_results.
    ("GET", "/inquiries/{id}"),
    ("POST", "/inquiries/{id}/actions"),
    ("GET", "/inquiries/{id}/results.csv"),
    // Walked by inquiry_list::an_inquiry_goes_to_its_uploaded_list_from_its_start_time.
    ("POST", "/inquiries/{id}/list"),
    ("POST", "/inquiries/{id}/test"),
];

/// Page routes that show or change nothing of another organization's cases,
/// each with the reason.
const NO_CASE_OF_OTHERS: &[(&str, &str, &str)] = &[
    ("GET", "/", "a redirect"),
    ("GET", "/sign-in", "the sign-in form"),
    ("POST", "/sign-in", "signing in"),
    ("POST", "/sign-out", "one's own session"),
    ("GET", "/lang", "one's own cookie"),
    ("POST", "/lang", "one's own language"),
    ("GET", "/account/tokens", "one's own tokens"),
    ("POST", "/account/tokens", "a token of one's own"),
    ("GET", "/account/password", "one's own password"),
    ("POST", "/account/password", "one's own password"),
    (
        "GET",
        "/admin/users",
        "administrators only; people, not cases",
    ),
    (
        "POST",
        "/admin/users",
        "administrators only; people, not cases",
    ),
    ("GET", "/cases/new", "an empty form"),
    ("POST", "/cases/new", "a new case of one's own"),
    ("GET", "/memos/new", "an empty form, ministry staff only"),
    ("POST", "/memos/new", "a new memo of one's own"),
    ("POST", "/notifications/read", "one's own notifications"),
    ("GET", "/audit", "auditors and administrators only"),
    ("GET", "/persons/new", "an empty form"),
    ("GET", "/messages/new", "an empty form"),
    ("GET", "/messages/templates/new", "an empty form"),
    ("GET", "/inquiries", "one's own organization's inquiries"),
    ("GET", "/inquiries/new", "an empty form"),
    (
        "POST",
        "/inquiries/new",
        "an inquiry of one's own, to one's own residents",
    ),
    (
        "GET",
        "/inquiries/call-centre",
        "call-centre agents only, who serve every caller",
    ),
    (
        "POST",
        "/inquiries/{id}/phone-answers",
        "call-centre agents only, for the caller on the line",
    ),
    ("GET", "/i/{code}/{n}/{sig}", "a citizen's own link, signed"),
    (
        "POST",
        "/i/{code}/{n}/{sig}",
        "a citizen's own link, signed",
    ),
    (
        "GET",
        "/inquiries/{id}/public",
        "results their manager made public",
    ),
    ("POST", "/messages/templates/new", "a template of one's own"),
    (
        "GET",
        "/persons/imports",
        "one's own organization's imports",
    ),
    ("POST", "/persons/imports", "an import of one's own"),
    ("GET", "/api", "the API reference"),
    ("GET", "/static/{name}", "embedded stylesheet and images"),
];

/// Every page route the server serves is either walked as another
/// municipality or known to show nothing of others' cases: a new route
/// fails here until someone decides which.
#[test]
fn isolation_the_walk_knows_every_page_route() {
    let unknown: Vec<String> = diwan_web::page_routes()
        .table()
        .iter()
        .map(|(m, p)| (m.as_str().to_owned(), *p))
        .filter(|(m, p)| {
            !WALKED_PAGES.iter().any(|(wm, wp)| wm == m && wp == p)
                && !NO_CASE_OF_OTHERS
                    .iter()
                    .any(|(em, ep, _)| em == m && ep == p)
        })
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        unknown.is_empty(),
        "page routes the isolation walk does not know: {unknown:?}"
    );
}

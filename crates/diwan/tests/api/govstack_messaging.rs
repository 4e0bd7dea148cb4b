//! The GovStack Messaging building block's API on the outbox: e-mail single
//! and batch (the JSON in the body or in the `body` query parameter), the
//! status of a request, the client's callback; the `apiKey` header (and
//! `api_key`, which GovStack's compliance tests send); invalid input
//! answered 405 as the specification says; another municipality's request
//! not found.

use crate::helpers::TestApp;
use base64::Engine;
use diwan_store::OutboxQuery;
use reqwest::StatusCode;
use serde_json::{json, Value};

const BASE: &str = "/govstack/messaging";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govstack_messaging_sends_email_and_reports_its_status() {
    let app = TestApp::spawn().await;
    let [head, other] = app.sign_in_all(["head.tripoli", "head.benghazi"]).await;
    let post = |path: &str, key: Option<(&str, &str)>| {
        let mut r = app.client.post(app.url(&format!("{BASE}{path}")));
        if let Some((h, v)) = key {
            r = r.header(h, v);
        }
        r
    };

    let r = post("/send/email/single", None)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no key");
    let r = post("/send/email/single", Some(("apiKey", "not-a-token")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a wrong key");

    // One e-mail, its JSON in the body.
    let r = post("/send/email/single", Some(("apiKey", &head)))
        .json(&json!({
            "senderInfo": {"organisationName": "بلدية طرابلس المركز"},
            "recipientInfo": {"email": "citizen@example.ly", "name": "سالم"},
            "emailContent": {"encoding": "UTF-8", "title": "موعدك", "content": "موعدك يوم الأحد."}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let single = v["requestUid"].as_str().unwrap().to_owned();
    assert_eq!(v["requestUID"], v["requestUid"]);
    // And as the compliance tests send it: `api_key`, the JSON in `body`.
    let body = json!({"recipientInfo": {"email": "other@example.ly"},
                      "emailContent": {"title": "Hello", "content": "Your appointment is on Sunday."}})
    .to_string();
    let r = post("/send/email/single", Some(("api_key", &head)))
        .query(&[("body", body.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Invalid input: 405, as the specification says.
    let r = post("/send/email/single", Some(("apiKey", &head)))
        .json(&json!({"emailContent": {"title": "x", "content": "y"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "invalid_input", "{e}");

    // A batch: the recipients as base64 JSON; one address twice, once sent.
    let list = json!([
        {"recipientInfo": {"email": "a@example.ly", "name": "أ"}},
        {"recipientInfo": {"email": "b@example.ly"}},
        {"recipientInfo": {"email": "a@example.ly"}}
    ]);
    let list = base64::engine::general_purpose::STANDARD.encode(list.to_string());
    let r = post("/send/email/batch", Some(("apiKey", &head)))
        .json(&json!({"recipientInfo": {"batchEmailAsBase64": list},
                      "emailContent": {"title": "اجتماع", "content": "اجتماع عام يوم السبت."}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let batch = r.json::<Value>().await.unwrap()["requestUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post("/send/email/batch", Some(("apiKey", &head)))
        .json(&json!({"recipientInfo": {"batchEmailAsBase64": "%%%"},
                      "emailContent": {"title": "x", "content": "y"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "not base64");
    let sent = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.list_outbox(&OutboxQuery {
            limit: 10,
            ..OutboxQuery::default()
        })
        .await
        .unwrap()
    };
    assert_eq!(sent.len(), 4, "two single, two of the batch");
    assert!(sent
        .iter()
        .any(|m| m.recipient == "citizen@example.ly" && m.subject.as_deref() == Some("موعدك")));

    // Status: no mail relay here, so all scheduled.
    let status = |uid: String, key: String, wanted: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("{BASE}/status/email")))
                .header("apiKey", key)
                .header("requestUid", uid)
                .query(&[("status", wanted)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = status(batch.clone(), head.clone(), "scheduled,delivered").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["scheduled"].as_i64(), v["delivered"].as_i64()),
        (Some(2), Some(0)),
        "{v}"
    );
    let v: Value = status(single.clone(), head.clone(), "scheduled")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["scheduled"], 1, "{v}");
    let r = status(batch.clone(), other.clone(), "scheduled").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another municipality's");

    // The callback: kept as a message received for the request.
    let content = base64::engine::general_purpose::STANDARD.encode("رد المواطن: سأحضر");
    let r = post("/callback/email", Some(("apiKey", &head)))
        .header("requestUid", &batch)
        .json(&json!({"meta": "reply", "content": content}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let got = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.list_incoming(None, 5).await.unwrap()
    };
    assert!(got[0].body.contains("رد المواطن: سأحضر"), "{got:?}");
    assert_eq!(got[0].receiver, batch);
    let r = post("/callback/email", Some(("apiKey", &head)))
        .json(&json!({"meta": "reply"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "no requestUid");
    app.stop().await;
}

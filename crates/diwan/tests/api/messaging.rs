//! The outbox without a gateway on the other side: what is queued and how
//! it is refused, who sees which message, the compose page's figures, the
//! callbacks' keys and signatures, and a gateway that cannot be reached.
//! The suite `gateways` runs the same with a real Kannel.

use crate::helpers::{arabic_digits, s, TestApp};
use diwan_domain::messaging::{Channel, State};
use diwan_store::OutboxQuery;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn outbox(app: &TestApp) -> Vec<diwan_store::OutboxMessage> {
    let mut tx = app.services.store.read().await.unwrap();
    tx.list_outbox(&OutboxQuery {
        limit: 100,
        ..OutboxQuery::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_are_checked_queued_and_kept_to_their_municipality() {
    let app = TestApp::spawn().await;
    let [admin, head_trp, head_bgz, clerk, auditor, officer] = app
        .sign_in_all([
            "admin",
            "head.tripoli",
            "head.benghazi",
            "clerk.tripoli",
            "auditor",
            "head.plan",
        ])
        .await;

    let m = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"to": arabic_digits("091 234 5678"), "text": "مرحبا ١٢٣"}),
        )
        .await
        .expect(StatusCode::CREATED, "an SMS");
    assert_eq!(s(&m, "recipient"), "+218912345678");
    assert_eq!(s(&m, "state"), "queued", "no gateway is configured");
    assert_eq!(s(&m, "kind"), "bulk");
    assert_eq!(m["parts"], 1);
    let id = s(&m, "id").to_owned();

    for (body, field, reason) in [
        (
            json!({"to": "0612345678", "text": "x"}),
            "to",
            "mobile-invalid",
        ),
        (
            json!({"to": "0912345678", "text": "  "}),
            "text",
            "field-required",
        ),
        (
            json!({"to": "0912345678", "text": "ب".repeat(671)}),
            "text",
            "field-too-long",
        ),
        (
            json!({"to": "0912345678", "text": "x", "kind": "spam"}),
            "body",
            "body-malformed",
        ),
    ] {
        let r = app
            .post("/api/v1/messages", Some(&admin), body.clone())
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", &format!("{body}"));
        assert!(r["details"][field].is_string(), "{body}: {r}");
        assert_eq!(r["details"].as_object().unwrap().len(), 1, "{body}: {r}");
        let _ = reason;
    }
    // Ten parts of Arabic is the most.
    app.post(
        "/api/v1/messages",
        Some(&admin),
        json!({"to": "0912345678", "text": "ب".repeat(670), "kind": "transactional"}),
    )
    .await
    .expect(StatusCode::CREATED, "ten parts");

    app.post(
        "/api/v1/messages",
        Some(&clerk),
        json!({"to": "0912345678", "text": "x"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden", "a clerk sends nothing");
    app.post(
        "/api/v1/messages",
        Some(&auditor),
        json!({"to": "0912345678", "text": "x"}),
    )
    .await
    .expect_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        "an auditor sends nothing",
    );

    let own = app
        .post(
            "/api/v1/messages",
            Some(&head_trp),
            json!({"to": "0921112233", "text": "Hello {Tripoli} €"}),
        )
        .await
        .expect(StatusCode::CREATED, "a municipality's head");
    let own_id = s(&own, "id");
    // A head writes bulk messages to Libyan numbers: transactional ones,
    // which pass opt-outs, are the system's and an administrator's.
    for (body, field) in [
        (
            json!({"to": "0921112233", "text": "x", "kind": "transactional"}),
            "kind",
        ),
        (json!({"to": "+447700900123", "text": "x"}), "to"),
        (json!({"to": "+8823456789", "text": "x"}), "to"),
    ] {
        let r = app
            .post("/api/v1/messages", Some(&head_trp), body.clone())
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", &format!("{body}"));
        assert!(r["details"][field].is_string(), "{body}: {r}");
    }
    let path = format!("/api/v1/messages/{own_id}");
    app.get(&path, Some(&head_bgz)).await.expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "another municipality's",
    );
    app.get(&path, Some(&admin))
        .await
        .expect(StatusCode::OK, "the administrator sees all");
    app.get(&path, Some(&auditor))
        .await
        .expect(StatusCode::OK, "the auditor reads all");
    app.get(&path, Some(&officer)).await.expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "to a head of department no message exists",
    );
    app.get(&format!("/api/v1/messages/{id}"), Some(&head_trp))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found", "the ministry's");

    let audit = app
        .get("/api/v1/audit?action=message.queue", Some(&admin))
        .await
        .expect(StatusCode::OK, "the audit log");
    assert_eq!(audit["items"].as_array().unwrap().len(), 3, "{audit}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kannel_callbacks_need_their_key_and_signature() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some("callback-key-for-tests".into());
    })
    .await;
    let admin = app.sign_in("admin").await;
    let incoming = "/api/v1/messaging/kannel/incoming";

    for key in ["", "wrong"] {
        let r = app
            .client
            .post(app.url(incoming))
            .query(&[("key", key)])
            .header("x-kannel-from", "+218912345678")
            .body("STOP")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "key {key:?}");
    }
    assert!(outbox(&app).await.is_empty(), "nothing queued");

    // STOP in Arabic, as UCS-2 from a phone: the number opts out and is told so.
    let stop: Vec<u8> = " إيقاف. "
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    let r = app
        .client
        .post(app.url(incoming))
        .query(&[("key", "callback-key-for-tests")])
        .header("x-kannel-from", "00218912345678")
        .header("x-kannel-to", "1415")
        .header("content-type", "text/plain; charset=\"UTF-16BE\"")
        .body(stop)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        r.text().await.unwrap(),
        "",
        "Kannel sends no reply of its own"
    );
    let out = outbox(&app).await;
    assert_eq!(out.len(), 1, "one confirmation");
    assert_eq!(out[0].recipient, "+218912345678");
    assert_eq!(out[0].kind, diwan_domain::messaging::Kind::Transactional);
    {
        let mut tx = app.services.store.read().await.unwrap();
        let opted = tx
            .opted_out(Channel::Sms, &["+218912345678".to_owned()])
            .await
            .unwrap();
        assert_eq!(opted, vec!["+218912345678".to_owned()]);
        let got = tx.list_incoming(None, 10).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, " إيقاف. ");
        assert_eq!(got[0].action, "opt_out");
    }
    // A body is not read without the key (the server then closes the
    // connection, so this goes on one of its own).
    let r = reqwest::Client::new()
        .post(app.url(incoming))
        .query(&[("key", "wrong")])
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A NUL from a phone, and a sender without its `+`: kept without the
    // one, in E.164 for the other.
    let r = app
        .client
        .post(app.url(incoming))
        .query(&[("key", "callback-key-for-tests")])
        .header("x-kannel-from", "218913334444")
        .body("hello\0world")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    {
        let mut tx = app.services.store.read().await.unwrap();
        let got = tx.list_incoming(None, 1).await.unwrap();
        assert_eq!(got[0].body, "helloworld");
        assert_eq!(got[0].sender, "+218913334444");
    }
    // START by Kannel's get-url, in Latin letters: back in.
    let r = app
        .client
        .get(app.url(incoming))
        .query(&[
            ("key", "callback-key-for-tests"),
            ("from", "+218912345678"),
            ("to", "1415"),
            ("text", "start"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    {
        let mut tx = app.services.store.read().await.unwrap();
        let opted = tx
            .opted_out(Channel::Sms, &["+218912345678".to_owned()])
            .await
            .unwrap();
        assert!(opted.is_empty(), "opted back in");
    }
    assert_eq!(outbox(&app).await.len(), 2, "a second confirmation");
    let audit = app
        .get("/api/v1/audit?action=message.opt", Some(&admin))
        .await
        .expect(StatusCode::OK, "the audit log");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(i, "action"))
        .collect();
    assert_eq!(actions, ["message.opt_in", "message.opt_out"], "{audit}");

    // Reports: signed for their message only.
    let m = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"to": "0912345678", "text": "x"}),
        )
        .await
        .expect(StatusCode::CREATED, "an SMS");
    let id: uuid::Uuid = s(&m, "id").parse().unwrap();
    let other = uuid::Uuid::now_v7();
    let sig = diwan_services::messaging::kannel::sign("callback-key-for-tests", id);
    let report = |id: String, sig: String, kind: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/messaging/kannel/reports"))
                .query(&[
                    ("id", id.as_str()),
                    ("sig", sig.as_str()),
                    ("type", kind),
                    ("answer", "ACK/"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        report(id.to_string(), "00".repeat(16), "1").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        report(other.to_string(), sig.clone(), "1").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        report(id.to_string(), sig.clone(), "3").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        report(id.to_string(), sig.clone(), "8").await,
        StatusCode::NO_CONTENT
    );
    let got = app
        .get(&format!("/api/v1/messages/{id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the message");
    assert_eq!(s(&got, "state"), "sent");
    assert_eq!(
        report(id.to_string(), sig.clone(), "1").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        report(id.to_string(), sig.clone(), "8").await,
        StatusCode::NO_CONTENT,
        "late, changes nothing"
    );
    let got = app
        .get(&format!("/api/v1/messages/{id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the message");
    assert_eq!(s(&got, "state"), "delivered");
    assert!(got["delivered_at"].is_string(), "{got}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_gateway_is_tried_again_later() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.kannel = Some(diwan_services::messaging::kannel::Kannel {
            sendsms_url: format!("http://127.0.0.1:{port}/cgi-bin/sendsms")
                .parse()
                .unwrap(),
            username: "diwan".into(),
            password: "x".into(),
            sender: "1415".into(),
            callback_base: "http://127.0.0.1:1".parse().unwrap(),
        });
    })
    .await;
    let admin = app.sign_in("admin").await;
    let m = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"to": "0912345678", "text": "x", "kind": "transactional"}),
        )
        .await
        .expect(StatusCode::CREATED, "an SMS");
    let path = format!("/api/v1/messages/{}", s(&m, "id"));
    let mut got = serde_json::Value::Null;
    for _ in 0..100 {
        got = app
            .get(&path, Some(&admin))
            .await
            .expect(StatusCode::OK, "the message");
        if got["attempts"] == 1 && s(&got, "state") == "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got["attempts"], 1, "{got}");
    assert_eq!(s(&got, "state"), "queued", "tried again later: {got}");
    assert!(s(&got, "error").starts_with("gateway unreachable"), "{got}");
    assert!(
        !s(&got, "error").contains("password") && !s(&got, "error").contains("sig="),
        "the request's URL, with its secrets, is not kept: {got}"
    );
    let out = outbox(&app).await;
    let wait = out[0].next_attempt_at - out[0].updated_at;
    assert_eq!(wait.num_seconds(), 30, "the first retry after 30 s");
    assert_eq!(out[0].state, State::Queued);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_sms_shows_its_cost_before_it_is_sent() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.price_per_part = 25;
    })
    .await;
    let [admin, head_trp, head_bgz] = app
        .sign_in_all(["admin", "head.tripoli", "head.benghazi"])
        .await;
    let trp = app.org("M-TRP").id.to_string();
    let bgz = app.org("M-BEN").id.to_string();
    for (nn, mobile, municipality, opt_out) in [
        ("119850000001", "0911000001", &trp, false),
        ("219900000002", "0911000002", &trp, false),
        ("119750000003", "0911000003", &trp, true),
        ("119800000004", "0921000004", &bgz, false),
        ("119800000005", "", &trp, false),
    ] {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": nn, "name_ar": "سالم علي", "mobiles": [mobile],
                   "municipality_id": municipality, "sms_opt_out": opt_out}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    let b = app.browser("admin").await;
    let page = b.get("/messages/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = "الاستعلام الوطني: هل توافق على المشروع؟ أجب ١ نعم أو ٢ لا";
    let preview = b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &b.csrf),
                ("text", text),
                ("municipality", &trp),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let html = &preview.text;
    assert!(html.contains("UCS-2"), "the encoding is shown");
    let dd = |label: &str| -> String {
        let at = html.find(label).unwrap_or_else(|| panic!("{label} shown"));
        let rest = &html[at..];
        let start = rest.find("<dd").unwrap();
        let end = rest.find("</dd>").unwrap();
        let inner = &rest[start..end];
        inner[inner.find('>').unwrap() + 1..].to_owned()
    };
    let chars = dd("عدد الأحرف");
    assert!(
        chars.starts_with(&format!("{} (", text.chars().count()))
            && chars.contains(&text.encode_utf16().count().to_string()),
        "{chars}"
    );
    assert_eq!(dd("الأجزاء في كل رسالة"), "1");
    assert_eq!(
        dd("المستلمون</dt>"),
        "2",
        "two residents of Tripoli with a mobile, one opted out"
    );
    assert_eq!(dd("مجموع الأجزاء"), "2");
    assert!(dd("التكلفة").contains("0.050"), "{}", dd("التكلفة"));

    let sent = b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &b.csrf),
                ("text", text),
                ("municipality", &trp),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let to = sent.header("location").unwrap().to_owned();
    assert!(to.starts_with("/messages/batches/"), "{to}");
    let page = b.get(&to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("refresh"),
        Some("5"),
        "updates itself while queued"
    );
    assert!(page.text.contains("?auto=0"), "and offers to stop");
    let still = b.get(&format!("{to}?auto=0")).await;
    assert_eq!(still.header("refresh"), None, "stopped when asked");
    let batch_id = to.trim_start_matches("/messages/batches/");
    let batch = app
        .get(&format!("/api/v1/message-batches/{batch_id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the batch");
    assert_eq!(batch["total"], 2, "{batch}");
    let mut recipients: Vec<String> = outbox(&app)
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["+218911000001", "+218911000002"]);

    // Only municipalities, each once.
    let admin_b = app.browser("admin").await;
    let plan = app.org("PLAN").id.to_string();
    let r = admin_b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &admin_b.csrf),
                ("text", "x"),
                ("municipality", &plan),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a department is no audience"
    );
    let twice = app
        .post(
            "/api/v1/message-batches",
            Some(&admin),
            json!({"text": "مرة واحدة", "municipalities": [trp, trp]}),
        )
        .await
        .expect(StatusCode::CREATED, "a municipality named twice");
    assert_eq!(twice["total"], 2, "each resident once: {twice}");
    // A municipality's head writes to his own residents only.
    let hb = app.browser("head.benghazi").await;
    let refused = hb
        .post_form(
            "/messages/new",
            &[
                ("csrf", &hb.csrf),
                ("text", "x"),
                ("municipality", &trp),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let own = hb
        .post_form(
            "/messages/new",
            &[("csrf", &hb.csrf), ("text", "x"), ("action", "send")],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.text);
    app.get(
        &format!("/api/v1/message-batches/{batch_id}"),
        Some(&head_bgz),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND, "not_found", "the ministry's batch");
    app.get(
        &format!("/api/v1/message-batches/{batch_id}"),
        Some(&head_trp),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND, "not_found", "the ministry's batch");
    let clerk = app.browser("clerk.tripoli").await;
    assert_eq!(
        clerk.get("/messages/new").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(clerk.get("/messages").await.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The counts by batch and state, against the messages counted one by one.
async fn counts_hold(app: &TestApp, what: &str) -> Vec<diwan_store::StateCount> {
    let all = outbox(app).await;
    let mut tx = app.services.store.read().await.unwrap();
    let mut kept = tx.message_counts(None).await.unwrap();
    kept.sort_by_key(|c| (c.channel, c.state));
    let mut counted: Vec<diwan_store::StateCount> = Vec::new();
    for m in &all {
        match counted
            .iter_mut()
            .find(|c| c.channel == m.channel && c.state == m.state)
        {
            Some(c) => c.count += 1,
            None => counted.push(diwan_store::StateCount {
                channel: m.channel,
                state: m.state,
                count: 1,
            }),
        }
    }
    counted.sort_by_key(|c| (c.channel, c.state));
    assert_eq!(kept, counted, "{what}");
    kept
}

/// Three transactional SMS, to three numbers outside the registry.
async fn three_sms(app: &TestApp, admin: &str) {
    for to in ["0913000001", "0913000002", "0913000003"] {
        app.post(
            "/api/v1/messages",
            Some(admin),
            json!({"to": to, "text": "رمز ١٢٣", "kind": "transactional"}),
        )
        .await
        .expect(StatusCode::CREATED, "an SMS");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counts_of_messages_move_with_them() {
    use diwan_domain::messaging::Report;
    use diwan_store::{Attempt, GatewayReport};
    let app = TestApp::spawn().await;
    let admin = app.sign_in("admin").await;
    let trp = app.org("M-TRP").id.to_string();
    for (nn, mobile) in [
        ("119850000001", "0911000001"),
        ("119850000002", "0911000002"),
    ] {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": nn, "name_ar": "سالم علي", "mobiles": [mobile], "municipality_id": trp}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    three_sms(&app, &admin).await;
    let batch = app
        .post(
            "/api/v1/message-batches",
            Some(&admin),
            json!({"text": "x", "municipalities": [trp]}),
        )
        .await
        .expect(StatusCode::CREATED, "a batch");
    let batch_id: uuid::Uuid = s(&batch, "id").parse().unwrap();
    // Its messages' ids: the batch's first ten bytes, then a number of
    // their own, one each.
    let of_batch = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.list_outbox(&OutboxQuery {
            batch_id: Some(batch_id),
            limit: 100,
            ..OutboxQuery::default()
        })
        .await
        .unwrap()
    };
    assert_eq!(of_batch.len(), 2, "two of the municipality's people");
    assert!(of_batch
        .iter()
        .all(|m| m.id.as_bytes()[..10] == batch_id.as_bytes()[..10]));
    let mut ids: Vec<_> = of_batch.iter().map(|m| m.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2);
    let c = counts_hold(&app, "queued").await;
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].state, c[0].count), (State::Queued, 5));

    let now = app.services.now();
    let mut tx = app.services.store.begin().await.unwrap();
    let taken = tx
        .claim_messages(Channel::Sms, now, now + chrono::Duration::seconds(60), 4)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(taken.len(), 4);
    counts_hold(&app, "four taken").await;

    // One sent, one to be tried again, one failed; one left sending, and a
    // report of the sent one and of the one still sending.
    let attempt = |m: &diwan_store::OutboxMessage, state: State| Attempt {
        id: m.id,
        state,
        attempts: 1,
        next_attempt_at: now,
        error: None,
        at: now,
    };
    let mut tx = app.services.store.begin().await.unwrap();
    tx.record_attempts(&[
        attempt(&taken[0], State::Sent),
        attempt(&taken[1], State::Queued),
        attempt(&taken[2], State::Failed),
    ])
    .await
    .unwrap();
    let report = |m: &diwan_store::OutboxMessage, report: Report| GatewayReport {
        id: m.id,
        report,
        error: None,
        at: now,
    };
    let moved = tx
        .apply_reports(&[
            report(&taken[0], Report::Delivered),
            report(&taken[3], Report::Delivered),
            report(&taken[2], Report::Delivered),
            GatewayReport {
                id: uuid::Uuid::now_v7(),
                ..report(&taken[0], Report::Delivered)
            },
        ])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        moved.len(),
        2,
        "a failed message and no message do not move"
    );
    counts_hold(&app, "attempts and reports").await;
    // Recorded again after its report came first: it stays delivered.
    let mut tx = app.services.store.begin().await.unwrap();
    tx.record_attempts(&[attempt(&taken[3], State::Sent)])
        .await
        .unwrap();
    let expired = tx
        .expire_messages(now + chrono::Duration::days(30), 100)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(expired, 2, "the one never taken and the one to try again");
    let c = counts_hold(&app, "expired").await;
    let of = |st: State| c.iter().find(|x| x.state == st).map_or(0, |x| x.count);
    assert_eq!(
        (of(State::Delivered), of(State::Failed), of(State::Expired)),
        (2, 1, 2)
    );
    // The batch's own, as its page reads them.
    let b = app
        .get(&format!("/api/v1/message-batches/{batch_id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the batch");
    let total: i64 = b["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2, "{b}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_one_message_in_one_group_apply_in_the_order_they_came() {
    use diwan_domain::messaging::Report;
    use diwan_store::GatewayReport;
    let app = TestApp::spawn().await;
    let admin = app.sign_in("admin").await;
    three_sms(&app, &admin).await;
    use chrono::DurationRound;
    let now = app.services.now();
    let mut tx = app.services.store.begin().await.unwrap();
    let mut taken = tx
        .claim_messages(Channel::Sms, now, now + chrono::Duration::seconds(60), 3)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    taken.sort_by_key(|m| m.recipient.clone());
    assert_eq!(taken.len(), 3);
    // Whole seconds, as both databases keep them.
    let second = now.duration_trunc(chrono::Duration::seconds(1)).unwrap();
    let at = |s: i64| second + chrono::Duration::seconds(s);
    let report = |i: usize, report: Report, s: i64, error: Option<&str>| GatewayReport {
        id: taken[i].id,
        report,
        error: error.map(str::to_owned),
        at: at(s),
    };
    // Taken by the operator, then delivered; buffered, refused with a
    // reason, then reported delivered too late; delivered, then its
    // acceptance coming last (it moves it no more).
    let mut tx = app.services.store.begin().await.unwrap();
    let moved = tx
        .apply_reports(&[
            report(0, Report::Accepted, 1, None),
            report(1, Report::Buffered, 1, None),
            report(2, Report::Delivered, 2, None),
            report(0, Report::Delivered, 3, None),
            report(1, Report::Rejected, 4, Some("no such number")),
            report(1, Report::Delivered, 5, None),
            report(2, Report::Accepted, 6, None),
        ])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut sorted = moved.clone();
    sorted.sort_by_key(|(a, b)| (a.as_str(), b.as_str()));
    let mut expected = vec![
        (State::Sending, State::Sent),
        (State::Sent, State::Delivered),
        (State::Sending, State::Sent),
        (State::Sent, State::Failed),
        (State::Sending, State::Delivered),
    ];
    expected.sort_by_key(|(a, b)| (a.as_str(), b.as_str()));
    assert_eq!(sorted, expected, "five moves of seven reports");
    let mut tx = app.services.store.read().await.unwrap();
    let mut got = Vec::new();
    for m in &taken {
        got.push(tx.get_outbox_message(m.id).await.unwrap().unwrap());
    }
    drop(tx);
    let (a, b, c) = (&got[0], &got[1], &got[2]);
    assert_eq!(a.state, State::Delivered);
    assert_eq!((a.sent_at, a.delivered_at), (Some(at(1)), Some(at(3))));
    assert_eq!((a.attempts, a.lease_until, a.updated_at), (1, None, at(3)));
    assert_eq!(b.state, State::Failed);
    assert_eq!(b.error.as_deref(), Some("no such number"));
    assert_eq!(
        (b.sent_at, b.delivered_at, b.updated_at),
        (Some(at(1)), None, at(4))
    );
    assert_eq!(c.state, State::Delivered);
    assert_eq!(
        (c.sent_at, c.delivered_at, c.updated_at),
        (Some(at(2)), Some(at(2)), at(2))
    );
    counts_hold(&app, "reports of one group").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_speak_each_recipients_language() {
    let app = TestApp::spawn().await;
    let [admin, head] = app.sign_in_all(["admin", "head.tripoli"]).await;
    let trp = app.org("M-TRP").id.to_string();
    for (nn, mobile, language) in [
        ("119850000001", "0911000001", "ar"),
        ("119850000002", "0911000002", "en"),
        ("119850000003", "0911000003", "fr"),
    ] {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": nn, "name_ar": "سالم علي", "mobiles": [mobile],
                   "municipality_id": trp, "language": language}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    // Refused as written: each problem at its field.
    let bad = app
        .post(
            "/api/v1/message-templates",
            Some(&head),
            json!({"name": "", "text_ar": "اجتماع {day", "text_en": "Meeting {day}"}),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a broken template",
        );
    assert!(
        bad["details"].get("name").is_some() && bad["details"].get("text_ar").is_some(),
        "{bad}"
    );
    let differ = app
        .post(
            "/api/v1/message-templates/preview",
            Some(&head),
            json!({"name": "x", "text_ar": "اجتماع يوم {day}", "text_en": "Meeting", "samples": {"day": "١٢"}}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "languages differ");
    assert!(differ["details"].get("text_en").is_some(), "{differ}");
    app.post(
        "/api/v1/message-templates",
        Some(&head),
        json!({"name": "x", "kind": "transactional", "text_ar": "x"}),
    )
    .await
    .expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "a head's transactional template",
    );

    // Previewed with its samples, then saved.
    let body = json!({"name": "اجتماع البلدية", "text_ar": "اجتماع البلدية يوم {day} الساعة {hour}",
                      "text_en": "Municipal meeting on {day} at {hour}", "samples": {"day": "١٢", "hour": "10"}});
    let preview = app
        .post(
            "/api/v1/message-templates/preview",
            Some(&head),
            body.clone(),
        )
        .await
        .expect(StatusCode::OK, "a preview");
    assert_eq!(preview[0]["text"], "اجتماع البلدية يوم ١٢ الساعة 10");
    assert_eq!(preview[0]["encoding"], "ucs2");
    assert_eq!(preview[1]["text"], "Municipal meeting on ١٢ at 10");
    let t = app
        .post("/api/v1/message-templates", Some(&head), body.clone())
        .await
        .expect(StatusCode::CREATED, "a template");
    assert_eq!(t["placeholders"], json!(["day", "hour"]));
    app.post("/api/v1/message-templates", Some(&head), body)
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "the same name twice",
        );
    let tid = s(&t, "id").to_owned();

    // Sent to Tripoli: the English speaker in English, the French one in
    // Arabic (no French text), each filled with the batch's values.
    let missing = app
        .post(
            "/api/v1/message-batches",
            Some(&head),
            json!({"template_id": tid, "values": {"day": "الأحد"}}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "a value missing");
    assert!(missing["details"].get("values.hour").is_some(), "{missing}");
    let batch = app
        .post(
            "/api/v1/message-batches",
            Some(&head),
            json!({"template_id": tid, "values": {"day": "الأحد", "hour": "١٠"}}),
        )
        .await
        .expect(StatusCode::CREATED, "a batch");
    assert_eq!(batch["total"], 3);
    let mut got: Vec<(String, String, String)> = outbox(&app)
        .await
        .into_iter()
        .map(|m| (m.recipient, m.language, m.body))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "+218911000001".into(),
                "ar".into(),
                "اجتماع البلدية يوم الأحد الساعة ١٠".into()
            ),
            (
                "+218911000002".into(),
                "en".into(),
                "Municipal meeting on الأحد at ١٠".into()
            ),
            (
                "+218911000003".into(),
                "fr".into(),
                "اجتماع البلدية يوم الأحد الساعة ١٠".into()
            ),
        ]
    );

    // A new version: the messages queued keep their text; the old one is
    // in the audit log.
    let updated = app
        .put(
            &format!("/api/v1/message-templates/{tid}"),
            Some(&head),
            json!({"name": "اجتماع البلدية", "text_ar": "تأجل اجتماع {day} إلى {hour}",
                   "samples": {"day": "١٢", "hour": "11"}}),
        )
        .await
        .expect(StatusCode::OK, "a new version");
    assert_eq!(updated["text_en"], serde_json::Value::Null);
    assert!(outbox(&app).await.iter().all(|m| !m.body.contains("تأجل")));
    let audit = app
        .get("/api/v1/audit?action=message.template_update", Some(&admin))
        .await
        .expect(StatusCode::OK, "the audit log");
    assert!(
        audit.to_string().contains("Municipal meeting on {day}"),
        "{audit}"
    );

    // A single message from the template, in the registry's language of
    // the number.
    let m = app
        .post(
            "/api/v1/messages",
            Some(&head),
            json!({"to": "0911000002", "template_id": tid, "values": {"day": "Sunday", "hour": "noon"}}),
        )
        .await
        .expect(StatusCode::CREATED, "a templated SMS");
    assert_eq!(
        m["text"], "تأجل اجتماع Sunday إلى noon",
        "no English text any more: Arabic"
    );

    // The pages: list, preview with samples, save.
    let b = app.browser("head.tripoli").await;
    let list = b.get("/messages/templates").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("اجتماع البلدية"));
    let page = b
        .post_form(
            "/messages/templates/new",
            &[
                ("csrf", &b.csrf),
                ("name", "تذكير"),
                ("text_ar", "تذكير: {what}"),
                ("text_fr", "Rappel : {what}"),
                ("samples", "what = الاجتماع"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("تذكير: الاجتماع") && page.text.contains("Rappel : الاجتماع"));
    let saved = b
        .post_form(
            "/messages/templates/new",
            &[
                ("csrf", &b.csrf),
                ("name", "تذكير"),
                ("text_ar", "تذكير: {what}"),
                ("samples", "no equals sign"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::BAD_REQUEST,
        "a sample line unread"
    );
    let compose = b
        .post_form(
            "/messages/new",
            &[
                ("csrf", &b.csrf),
                ("template", &tid),
                ("values", "day = الأحد\nhour = ١٠"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(compose.status, StatusCode::OK, "{}", compose.text);
    assert!(
        compose.text.contains("تأجل اجتماع الأحد إلى ١٠"),
        "{}",
        compose.text
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kannels_repeat_of_an_sms_changes_nothing() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some("callback-key-for-tests".into());
    })
    .await;
    let post = |text: &'static str, time: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/messaging/kannel/incoming"))
                .query(&[("key", "callback-key-for-tests")])
                .header("x-kannel-from", "+218912345678")
                .header("x-kannel-time", time)
                .body(text)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "{text} at {time}");
        }
    };
    post("STOP", "2026-12-04 21:16:02").await;
    post("START", "2026-12-04 21:16:09").await;
    // Kannel saw no answer to the first and posts it again, late.
    post("STOP", "2026-12-04 21:16:02").await;
    let mut tx = app.services.store.read().await.unwrap();
    let opted = tx
        .opted_out(Channel::Sms, &["+218912345678".to_owned()])
        .await
        .unwrap();
    assert!(opted.is_empty(), "the START stands: {opted:?}");
    assert_eq!(
        tx.list_incoming(None, 10).await.unwrap().len(),
        2,
        "the repeat is not kept"
    );
    drop(tx);
    assert_eq!(outbox(&app).await.len(), 2, "two confirmations, not three");
    // The same words sent again later are a new SMS.
    post("STOP", "2026-12-04 21:17:00").await;
    let mut tx = app.services.store.read().await.unwrap();
    assert_eq!(
        tx.opted_out(Channel::Sms, &["+218912345678".to_owned()])
            .await
            .unwrap(),
        vec!["+218912345678".to_owned()]
    );
    drop(tx);
    app.stop().await;
}

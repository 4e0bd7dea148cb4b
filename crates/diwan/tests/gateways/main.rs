//! Diwan with real gateways on the other side: Kannel (bearerbox and smsbox,
//! from Debian's `kannel`) and its simulated operator (`fakesmsc`, from
//! `kannel-extras`), and an SMTP server (aiosmtpd, from
//! `python3-aiosmtpd`). What reaches the operator and the mailbox is read
//! back.
//! On SQLite, or PostgreSQL with `DIWAN_TEST_BACKEND=postgres`, as the
//! integration suite. Built only with the `gateway-tests` feature:
//!
//!     cargo test -p diwan --features gateway-tests --test gateways

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod inquiry;
mod kannel;
mod killed;
#[allow(dead_code)]
#[path = "../api/process.rs"]
mod process;
mod smtp;
mod wait;

use diwan_services::messaging::kannel::Kannel as Gateway;
use helpers::{arabic_digits, s, TestApp};
use kannel::Kannel;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const KEY: &str = "callback-key-of-the-tests";

/// Diwan and Kannel, each knowing where the other listens: Kannel calls
/// Diwan on the gateway's address, as the operator's guide sets it up.
async fn start() -> (TestApp, Kannel) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kannel = Kannel::start(port, KEY);
    let sendsms = kannel.sendsms_url.clone();
    let password = kannel.password.clone();
    let app = TestApp::spawn_with(move |s| {
        s.gateway_listen = Some(([127, 0, 0, 1], port).into());
        let m = &mut s.services.messaging;
        m.kannel = Some(Gateway {
            sendsms_url: sendsms.parse().unwrap(),
            username: "diwan".into(),
            password,
            sender: "1415".into(),
            callback_base: format!("http://127.0.0.1:{port}").parse().unwrap(),
        });
        m.callback_key = Some(KEY.into());
        m.sms_per_second = 200;
    })
    .await;
    (app, kannel)
}

async fn message_in(app: &TestApp, token: &str, id: &str, state: &str) -> Value {
    message_where(app, token, id, state, |m| s(m, "state") == state).await
}

/// The message `id` once `holds` says it is as `what` says, waiting for it.
async fn message_where(
    app: &TestApp,
    token: &str,
    id: &str,
    what: &str,
    holds: impl Fn(&Value) -> bool,
) -> Value {
    wait::until(Duration::from_secs(15), || async {
        let got = app
            .get(&format!("/api/v1/messages/{id}"), Some(token))
            .await
            .expect(StatusCode::OK, "the message");
        if holds(&got) {
            Ok(got)
        } else {
            Err(format!("message {id} not {what}: {got}"))
        }
    })
    .await
}

async fn sms(app: &TestApp, token: &str, to: &str, text: &str, kind: &str) -> String {
    let m = app
        .post(
            "/api/v1/messages",
            Some(token),
            json!({"to": to, "text": text, "kind": kind}),
        )
        .await
        .expect(StatusCode::CREATED, "an SMS");
    s(&m, "id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_reach_the_operator_intact_and_are_reported_delivered() {
    let (app, kannel) = start().await;
    let admin = app.sign_in("admin").await;
    let arabic = "الاستعلام الوطني ١٤١٥: هل توافق؟ أجب ١ أو ٢ 😀";
    let latin = "Price {5} [ok] ~ \\ | ^ € @ £ _";
    let long = format!("{} النهاية", "ب".repeat(150));
    let a = sms(&app, &admin, &arabic_digits("091 234 5678"), arabic, "bulk").await;
    let g = sms(&app, &admin, "+218 92-1112233", latin, "transactional").await;
    let l = sms(&app, &admin, "00218941234567", &long, "bulk").await;

    let got = kannel.wait_received(3, Duration::from_secs(20)).await;
    let find = |to: &str| {
        got.iter()
            .find(|r| r.to == to)
            .unwrap_or_else(|| panic!("nothing reached {to}: {got:?}"))
            .clone()
    };
    let ar = find("+218912345678");
    assert_eq!(ar.coding, "ucs-2");
    assert_eq!(
        ar.text, arabic,
        "Arabic, Arabic-Indic digits and an emoji intact"
    );
    assert_eq!(ar.from, "1415");
    let gsm = find("+218921112233");
    assert_eq!(gsm.coding, "text", "GSM-7 when every character allows");
    assert_eq!(gsm.text, latin);
    // A long text goes in parts the phone joins again.
    let joined = find("+218941234567");
    assert_eq!(joined.parts, 3, "159 UCS-2 units: three parts of 67");
    assert_eq!(joined.text, long);

    for id in [&a, &g, &l] {
        // Kannel's report may come before the worker has written what its
        // attempt came to: the report counts the attempt already.
        let m = message_where(&app, &admin, id, "delivered", |m| {
            s(m, "state") == "delivered"
        })
        .await;
        assert!(
            m["sent_at"].is_string() && m["delivered_at"].is_string(),
            "{m}"
        );
        assert_eq!(m["attempts"], 1);
    }
    let m = message_in(&app, &admin, &l, "delivered").await;
    assert_eq!(m["parts"], 3, "151 + 8 UCS-2 units: three parts of 67");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_start_from_a_phone_are_obeyed_at_send_time() {
    let (app, mut kannel) = start().await;
    let admin = app.sign_in("admin").await;
    let phone = "+218912345678";

    // A bulk message is queued, then the person sends STOP (in Arabic)
    // before it goes: it is not sent. Both are queued while the worker
    // waits on nothing, so the order is the test's.
    kannel.sms_from_phone(phone, "1415", "إيقاف");
    let confirmations = kannel.wait_received(1, Duration::from_secs(20)).await;
    assert_eq!(confirmations[0].to, phone);
    assert!(confirmations[0].text.contains("START"), "{confirmations:?}");
    let bulk = sms(&app, &admin, phone, "رسالة عامة", "bulk").await;
    let m = message_in(&app, &admin, &bulk, "failed").await;
    assert_eq!(s(&m, "error"), "opted_out");
    let code = sms(&app, &admin, phone, "رمز الدخول ٤٨٢٩", "transactional").await;
    message_in(&app, &admin, &code, "delivered").await;
    let got = kannel.wait_received(2, Duration::from_secs(20)).await;
    assert_eq!(
        got[1].text, "رمز الدخول ٤٨٢٩",
        "transactional messages still go"
    );

    kannel.sms_from_phone(phone, "1415", "START");
    let got = kannel.wait_received(3, Duration::from_secs(20)).await;
    assert!(
        got[2].text.contains("STOP"),
        "the opt-in is confirmed: {got:?}"
    );
    let again = sms(&app, &admin, phone, "رسالة عامة ثانية", "bulk").await;
    message_in(&app, &admin, &again, "delivered").await;
    let got = kannel.wait_received(4, Duration::from_secs(20)).await;
    assert_eq!(got[3].text, "رسالة عامة ثانية");
    assert_eq!(got.len(), 4, "nothing else was sent: {got:?}");

    // What the phone sent is kept, with what Diwan made of it.
    let mut tx = app.services.store.read().await.unwrap();
    let incoming = tx.list_incoming(None, 10).await.unwrap();
    let seen: Vec<(&str, &str)> = incoming
        .iter()
        .map(|m| (m.body.as_str(), m.action.as_str()))
        .collect();
    assert_eq!(seen, [("START", "opt_in"), ("إيقاف", "opt_out")]);
    assert_eq!(incoming[0].sender, phone);
    drop(tx);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_sms_reaches_every_resident_once() {
    let (app, kannel) = start().await;
    let admin = app.sign_in("admin").await;
    let trp = app.org("M-TRP").id.to_string();
    let n = 60;
    for i in 0..n {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": format!("1198{:08}", i), "name_ar": "سالم علي",
                   "mobiles": [format!("091{:07}", i)], "municipality_id": trp}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    let b = app.browser("head.tripoli").await;
    let text = "بلدية طرابلس: تبدأ حملة النظافة يوم السبت ٨ صباحًا.";
    let sent = b
        .post_form(
            "/messages/new",
            &[("csrf", &b.csrf), ("text", text), ("action", "send")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let batch = sent
        .header("location")
        .unwrap()
        .trim_start_matches("/messages/batches/")
        .to_owned();
    let got = kannel.wait_received(n, Duration::from_secs(30)).await;
    let mut to: Vec<&str> = got.iter().map(|r| r.to.as_str()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), n, "each resident once");
    assert!(got.iter().all(|r| r.text == text));
    let head = app.sign_in("head.tripoli").await;
    wait::until(Duration::from_secs(10), || async {
        let v = app
            .get(&format!("/api/v1/message-batches/{batch}"), Some(&head))
            .await
            .expect(StatusCode::OK, "the batch");
        let delivered: i64 = v["states"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| s(c, "state") == "delivered")
            .map(|c| c["count"].as_i64().unwrap())
            .sum();
        if delivered == n as i64 {
            Ok(())
        } else {
            Err(format!("{delivered} of {n} delivered: {v}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(kannel.received().len(), n, "nothing sent twice");
    app.stop().await;
}

/// SIGKILL of Diwan in the middle of a bulk SMS's fan-out: restarted, it
/// sends every recipient the message exactly once, counted at the operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_while_sending_sends_each_message_exactly_once() {
    let n = 400;
    let mut b = killed::node_beside_kannel(n).await;
    let client = reqwest::Client::new();
    let batch: Value = client
        .post(b.node().url("/api/v1/message-batches"))
        .bearer_auth(&b.admin)
        .json(&json!({"text": "بلدية سبها: اجتماع عام يوم الأحد", "municipalities": [b.sabha]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = batch["total"].as_i64().unwrap() as usize;
    assert!(total >= n, "{batch}");
    b.kill_and_restart(total).await;
    let admin = process::sign_in(&client, b.node(), "admin").await;
    let v: Value = client
        .get(
            b.node()
                .url(&format!("/api/v1/message-batches/{}", s(&batch, "id"))),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delivered: i64 = v["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| s(c, "state") == "delivered")
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(delivered as usize, total, "{v}");
    b.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_reaches_a_real_smtp_server_in_text_and_html() {
    let server = smtp::SmtpServer::start();
    let port = server.port;
    let app = TestApp::spawn_with(move |s| {
        s.services.messaging.smtp = Some(
            diwan_services::messaging::email::Smtp::new(
                &format!("smtp://127.0.0.1:{port}").parse().unwrap(),
                "بلدية طرابلس <noreply@tripoli.example.ly>",
            )
            .unwrap(),
        );
    })
    .await;
    let admin = app.sign_in("admin").await;
    let arabic = "السيد المواطن،\nتم قبول طلبكم رقم ١٢٣٤.\n\nمع التحية <الإدارة>";
    let ar = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"channel": "email", "to": "citizen@example.ly", "subject": "إشعار بقبول الطلب",
                   "text": arabic, "kind": "transactional"}),
        )
        .await
        .expect(StatusCode::CREATED, "an Arabic e-mail");
    let en = app
        .post(
            "/api/v1/messages",
            Some(&admin),
            json!({"channel": "email", "to": "resident@example.ly", "subject": "Your request",
                   "text": "Your request was accepted."}),
        )
        .await
        .expect(StatusCode::CREATED, "an English e-mail");
    for (body, field) in [
        (
            json!({"channel": "email", "to": "not-an-address", "subject": "x", "text": "x"}),
            "to",
        ),
        (
            json!({"channel": "email", "to": "a@example.ly", "text": "x"}),
            "subject",
        ),
        (
            json!({"channel": "email", "to": "a@example.ly", "subject": "a\r\nBcc: b@example.ly", "text": "x"}),
            "subject",
        ),
        (
            json!({"channel": "fax", "to": "a@example.ly", "text": "x"}),
            "channel",
        ),
    ] {
        let r = app
            .post("/api/v1/messages", Some(&admin), body.clone())
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input", &body.to_string());
        assert!(r["details"][field].is_string(), "{body}: {r}");
    }
    let got = server.wait_received(2, Duration::from_secs(20)).await;
    let mail = |to: &str| {
        got.iter()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("{to}: {got:?}"))
            .clone()
    };
    let m = mail("citizen@example.ly");
    assert_eq!(m.subject, "إشعار بقبول الطلب");
    assert!(
        m.from.contains("noreply@tripoli.example.ly") && m.from.contains("بلدية طرابلس"),
        "{}",
        m.from
    );
    // Lines end in CRLF on the wire, as mail wants them.
    assert_eq!(m.text.replace("\r\n", "\n").trim_end(), arabic);
    assert!(
        m.html.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        m.html
    );
    assert!(
        m.html.contains("مع التحية &lt;الإدارة&gt;"),
        "escaped: {}",
        m.html
    );
    let m = mail("resident@example.ly");
    assert!(m.html.contains("dir=\"ltr\""), "{}", m.html);
    for id in [s(&ar, "id"), s(&en, "id")] {
        let m = message_in(&app, &admin, id, "sent").await;
        assert_eq!(m["channel"], "email");
        assert_eq!(m["attempts"], 1);
    }
    assert_eq!(server.received().len(), 2, "nothing else was sent");
    app.stop().await;
}

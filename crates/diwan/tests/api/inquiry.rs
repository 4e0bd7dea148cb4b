//! The national inquiry from composition to results, without a gateway
//! (what would be sent is read from the outbox; what phones send is posted
//! as Kannel posts it): a second person's approval, quiet hours, the fan-out,
//! SMS replies read leniently with one help per question, the personal
//! link used once, the call centre, a later answer replacing an earlier,
//! the counts, the export and the public page, and another municipality
//! kept out. The suite `gateways` sends one through a real Kannel.

use crate::helpers::{Browser, TestApp};
use diwan_store::OutboxQuery;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const KEY: &str = "callback-key-of-the-inquiry-tests";

async fn outbox_to(app: &TestApp, to: &str) -> Vec<String> {
    let mut tx = app.services.store.read().await.unwrap();
    let mut m: Vec<_> = tx
        .list_outbox(&OutboxQuery {
            recipient: Some(to.to_owned()),
            limit: 100,
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    m.sort_by_key(|m| m.id);
    m.into_iter().map(|m| m.body).collect()
}

async fn reply(app: &TestApp, from: &str, text: &str) {
    let r = app
        .client
        .post(app.url("/api/v1/messaging/kannel/incoming"))
        .query(&[("key", KEY)])
        .header("x-kannel-from", from)
        .header("x-kannel-to", "1415")
        .header("content-type", "text/plain; charset=utf-8")
        .body(text.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "reply {text:?}");
}

async fn wait_state(app: &TestApp, id: uuid::Uuid, state: &str) -> diwan_store::Inquiry {
    for _ in 0..100 {
        let i = {
            let mut tx = app.services.store.read().await.unwrap();
            tx.get_inquiry(id).await.unwrap().unwrap()
        };
        if i.state.as_str() == state {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("inquiry {id} never {state}");
}

async fn create(
    b: &Browser,
    title: &str,
    quiet: (&str, &str),
    extra: &[(&str, &str)],
) -> (String, uuid::Uuid) {
    let mut form = vec![
        ("csrf", b.csrf.as_str()),
        ("title", title),
        ("q0_kind", "yes_no"),
        ("q0_text_ar", "هل توافق على مشروع الطريق الدائري؟"),
        ("q0_text_en", "Do you approve of the ring road?"),
        ("q1_kind", "single_choice"),
        ("q1_text_ar", "ما أولويتك؟"),
        ("q1_options", "مدرسة\nمستشفى\nحديقة"),
        ("quiet_start", quiet.0),
        ("quiet_end", quiet.1),
        ("web_link", "1"),
        ("public_results", "1"),
    ];
    form.extend_from_slice(extra);
    let r = b.post_form("/inquiries/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let to = r.header("location").unwrap().to_owned();
    let id = to.trim_start_matches("/inquiries/").parse().unwrap();
    (to, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inquiry_from_composition_to_public_results() {
    let app = TestApp::spawn_with(|s| {
        s.services.messaging.callback_key = Some(KEY.into());
        s.services.inquiry.approval_threshold = 2;
        s.services.inquiry.public_url = "https://diwan.example.ly".parse().unwrap();
        s.services.inquiry.batch = 2;
    })
    .await;
    let admin = app.sign_in("admin").await;
    let trp = app.org("M-TRP").id.to_string();
    let bgz = app.org("M-BEN").id.to_string();
    for (nn, mobile, m, language) in [
        ("119850000001", "0911000001", &trp, "ar"),
        ("119850000002", "0911000002", &trp, "en"),
        ("119850000003", "0911000003", &trp, "ar"),
        ("119850000004", "0911000004", &trp, "fr"),
        ("119850000005", "0921000005", &bgz, "ar"),
    ] {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": nn, "name_ar": "سالم علي المبروك", "mobiles": [mobile],
                   "municipality_id": m, "language": language}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    let manager = app.browser("inquiry.manager").await;
    // A form with mistakes is shown again with them.
    let bad = manager
        .post_form(
            "/inquiries/new",
            &[
                ("csrf", &manager.csrf),
                ("title", ""),
                ("q0_kind", "single_choice"),
                ("q0_text_ar", "سؤال بخيار واحد"),
                ("q0_options", "وحيد"),
                ("quiet_start", "25:00"),
                ("quiet_end", "08:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("سؤال بخيار واحد"), "what was typed stays");

    let (page, id) = create(
        &manager,
        "الاستعلام الوطني عن الطريق الدائري",
        ("00:00", "00:00"),
        &[("municipality", &trp)],
    )
    .await;
    let shown = manager.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("مسودة"));
    let act = |b: &Browser, action: &'static str| {
        let b = b.clone();
        let page = page.clone();
        async move {
            b.post_form(
                &format!("{page}/actions"),
                &[("csrf", &b.csrf), ("action", action)],
            )
            .await
        }
    };
    let r = act(&manager, "submit").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    wait_state(&app, id, "awaiting_approval").await;
    // Four recipients, above the threshold of two: a second person approves.
    let r = act(&manager, "approve").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not its own author");
    let approver = app.browser("inquiry.approver").await;
    let r = act(&approver, "approve").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // The worker sends it; a step run here as well changes nothing twice.
    app.services
        .inquiry_step()
        .await
        .expect("a step of sending");
    let open = wait_state(&app, id, "open").await;
    assert_eq!(open.recipients, 4, "Tripoli's residents only");
    assert_eq!(open.queued, 4);
    let code = open.code.clone().unwrap();

    // Each got the first question once, in their language, with a link.
    let first = outbox_to(&app, "+218911000002").await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].starts_with(&format!("[{code}] Do you approve of the ring road?")),
        "{}",
        first[0]
    );
    assert!(first[0].contains("Reply 1 (yes) or 2 (no)."));
    let fr = outbox_to(&app, "+218911000004").await;
    assert!(
        fr[0].contains("هل توافق"),
        "no French text: Arabic: {}",
        fr[0]
    );
    assert!(
        outbox_to(&app, "+218921000005").await.is_empty(),
        "not Benghazi's"
    );

    // SMS: yes in Arabic words, then the second question in Eastern digits.
    reply(&app, "+218911000001", " نعم! ").await;
    let sent = outbox_to(&app, "+218911000001").await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].starts_with(&format!("[{code}] ما أولويتك؟\n1 مدرسة")),
        "{}",
        sent[1]
    );
    reply(&app, "218911000001", "۲").await;
    let sent = outbox_to(&app, "+218911000001").await;
    assert!(sent[2].contains("شكرًا"), "thanked: {sent:?}");
    // Unreadable: one help, then silence; then a readable one.
    reply(&app, "+218911000002", "maybe").await;
    reply(&app, "+218911000002", "perhaps").await;
    let sent = outbox_to(&app, "+218911000002").await;
    assert_eq!(sent.len(), 2, "one help only: {sent:?}");
    assert!(
        sent[1].contains("We could not read your reply"),
        "{}",
        sent[1]
    );
    reply(&app, "+218911000002", "no").await;

    // The personal link: its form, once.
    let link = fr[0].lines().last().unwrap().to_owned();
    let path = link
        .trim_start_matches("https://diwan.example.ly")
        .to_owned();
    assert!(path.starts_with(&format!("/i/{code}/")), "{link}");
    let citizen = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = citizen.get(app.url(&path)).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(html.contains("ما أولويتك؟") && html.contains("مستشفى"));
    // The last character changed, whatever it was.
    let last = if path.ends_with('0') { '1' } else { '0' };
    let forged = citizen
        .get(app.url(&format!("{}{last}", &path[..path.len() - 1])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::NOT_FOUND,
        "a changed signature"
    );
    let unread = citizen
        .post(app.url(&path))
        .form(&[("answer_0", "perhaps")])
        .send()
        .await
        .unwrap();
    assert_eq!(unread.status(), StatusCode::BAD_REQUEST);
    let done = citizen
        .post(app.url(&path))
        .form(&[("answer_0", "yes"), ("answer_1", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("شكرًا"));
    let again = citizen.get(app.url(&path)).send().await.unwrap();
    assert!(
        again.text().await.unwrap().contains("وصلت إجاباتك"),
        "spent"
    );

    // The call centre: the caller by national number, answers on the phone.
    let agent = app.browser("agent.1415").await;
    let console = agent.get("/inquiries/call-centre?q=١١٩٨٥٠٠٠٠٠٠٣").await;
    assert_eq!(console.status, StatusCode::OK);
    assert!(console.text.contains("الطريق الدائري"), "{}", console.text);
    let person = console
        .text
        .split("name=\"person_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = agent
        .post_form(
            &format!("/inquiries/{id}/phone-answers"),
            &[
                ("csrf", &agent.csrf),
                ("person_id", &person),
                ("q", "119850000003"),
                ("answer_0", "no"),
                ("answer_1", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        manager.get("/inquiries/call-centre").await.status,
        StatusCode::NOT_FOUND,
        "the console is the agents'"
    );

    // A later SMS answer replaces the earlier in the counts.
    reply(&app, "+218911000001", &format!("{} 1", code.to_lowercase())).await;

    let counts = {
        let mut tx = app.services.store.read().await.unwrap();
        tx.answer_counts(id).await.unwrap()
    };
    let n = |position: i32, key: &str| -> i64 {
        counts
            .iter()
            .filter(|c| c.position == position && c.key == key)
            .map(|c| c.n)
            .sum()
    };
    assert_eq!((n(0, "yes"), n(0, "no")), (2, 2), "{counts:?}");
    assert_eq!((n(1, "1"), n(1, "2"), n(1, "3")), (2, 0, 1), "{counts:?}");
    let phone: i64 = counts
        .iter()
        .filter(|c| c.channel == diwan_domain::inquiry::AnswerChannel::Phone)
        .map(|c| c.n)
        .sum();
    assert_eq!(phone, 2);
    let open = wait_state(&app, id, "open").await;
    assert_eq!(open.respondents, 4);

    // The results page, the export.
    let results = manager.get(&page).await;
    assert!(
        results.text.contains("<svg") && results.text.contains("100.0"),
        "{}",
        results.text
    );
    let csv = manager.get(&format!("{page}/results.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.text.lines().count(),
        1 + 7,
        "a header and seven current answers"
    );

    // Benghazi's head and a clerk see nothing of it.
    for who in ["head.benghazi", "clerk.tripoli"] {
        let b = app.browser(who).await;
        for p in [page.clone(), format!("{page}/results.csv")] {
            let r = b.get(&p).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {p}");
        }
        let r = act(&b, "close").await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
            "{who}: {}",
            r.status
        );
    }

    // Closed: public, without sign-in; answers no longer taken.
    assert_eq!(act(&manager, "close").await.status, StatusCode::SEE_OTHER);
    let public = citizen
        .get(app.url(&format!("/inquiries/{id}/public")))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    assert!(public.text().await.unwrap().contains("الطريق الدائري"));
    let before = outbox_to(&app, "+218911000002").await.len();
    reply(&app, "+218911000002", "1").await;
    assert_eq!(
        outbox_to(&app, "+218911000002").await.len(),
        before,
        "closed: no answer"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_an_approved_inquiry() {
    let app = TestApp::spawn_with(|s| {
        s.services.inquiry.approval_threshold = 100;
    })
    .await;
    let admin = app.sign_in("admin").await;
    let trp = app.org("M-TRP").id.to_string();
    app.post(
        "/api/v1/persons",
        Some(&admin),
        json!({"national_number": "119850000001", "name_ar": "سالم علي", "mobiles": ["0911000001"], "municipality_id": trp}),
    )
    .await
    .expect(StatusCode::CREATED, "a person");
    // Quiet from an hour ago to an hour from now, Tripoli time.
    let local = chrono::Utc::now().with_timezone(&chrono_tz::Africa::Tripoli);
    let hm = |t: chrono::DateTime<chrono_tz::Tz>| t.format("%H:%M").to_string();
    let (from, to) = (
        hm(local - chrono::Duration::hours(1)),
        hm(local + chrono::Duration::hours(1)),
    );
    let head = app.browser("head.tripoli").await;
    let (page, id) = create(&head, "استعلام ليلي", (&from, &to), &[]).await;
    let r = head
        .post_form(
            &format!("{page}/actions"),
            &[("csrf", &head.csrf), ("action", "submit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let i = wait_state(&app, id, "approved").await;
    assert!(i.approved_at.is_some(), "one recipient: no second approval");
    app.services.inquiry_step().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let i = wait_state(&app, id, "approved").await;
    assert_eq!(i.recipients, 0, "held in quiet hours");
    assert!(outbox_to(&app, "+218911000001").await.is_empty());
    let text = head.get(&page).await.text;
    assert!(text.contains(&format!("{from} – {to}")), "{text}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inquiry_api_and_pages_refuse_those_without_a_part() {
    let app = TestApp::spawn().await;
    for who in ["clerk.tripoli", "officer.plan"] {
        let b = app.browser(who).await;
        for p in ["/inquiries", "/inquiries/new", "/inquiries/call-centre"] {
            assert_eq!(b.get(p).await.status, StatusCode::NOT_FOUND, "{who} {p}");
        }
    }
    let agent = app.browser("agent.1415").await;
    assert_eq!(agent.get("/inquiries").await.status, StatusCode::OK);
    assert_eq!(
        agent.get("/inquiries/new").await.status,
        StatusCode::NOT_FOUND
    );
    let nobody = reqwest::Client::new()
        .get(app.url("/i/A1/1/00000000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), StatusCode::NOT_FOUND);

    app.stop().await;
}

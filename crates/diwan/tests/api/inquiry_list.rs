//! What is settled before an inquiry is sent: its start time (a local time
//! of the organization's zone, waited for), its audience as an uploaded
//! list of national numbers and mobile numbers (read however a spreadsheet
//! wrote them, refused lines reported, a municipality's head held to his
//! residents), and a test send to staff numbers.

use crate::helpers::{Browser, TestApp};
use chrono::{DateTime, TimeZone, Utc};
use diwan_services::clock::Clock;
use diwan_store::OutboxQuery;
use reqwest::StatusCode;
use serde_json::json;

fn tripoli(d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Africa::Tripoli
        .with_ymd_and_hms(2026, 12, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

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

async fn inquiry(app: &TestApp, id: uuid::Uuid) -> diwan_store::Inquiry {
    let mut tx = app.services.store.read().await.unwrap();
    tx.get_inquiry(id).await.unwrap().unwrap()
}

fn form<'a>(b: &'a Browser, starts_at: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", b.csrf.as_str()),
        ("title", "استعلام عن سوق الخضار"),
        ("q0_kind", "yes_no"),
        ("q0_text_ar", "هل توافق على نقل سوق الخضار؟"),
        ("q1_kind", "scale"),
        ("q1_text_ar", "ما تقييمك للسوق الحالي؟"),
        ("quiet_start", "22:00"),
        ("quiet_end", "08:00"),
        ("starts_at", starts_at),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inquiry_goes_to_its_uploaded_list_from_its_start_time() {
    let clock = Clock::manual(tripoli(7, 10, 0));
    let c = clock.clone();
    let app = TestApp::spawn_with(move |s| s.services.clock = c).await;
    let admin = app.sign_in("admin").await;
    let trp = app.org("M-TRP").id.to_string();
    let bgz = app.org("M-BEN").id.to_string();
    for (nn, mobile, m) in [
        ("119850000001", "0911000001", &trp),
        ("119850000002", "0911000002", &trp),
        ("119850000003", "0911000003", &trp),
        ("119850000005", "0921000005", &bgz),
    ] {
        app.post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": nn, "name_ar": "سالم علي المبروك", "mobiles": [mobile],
                   "municipality_id": m}),
        )
        .await
        .expect(StatusCode::CREATED, "a person");
    }
    let head = app.browser("head.tripoli").await;

    // A start time already past is refused, and the form keeps what was typed.
    let past = head
        .post_form("/inquiries/new", &form(&head, "2026-12-07T09:00"))
        .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST, "{}", past.text);
    assert!(past.text.contains("وقت البدء مضى"), "{}", past.text);
    assert!(past.text.contains("2026-12-07T09:00"));
    // Half past three in the afternoon, Tripoli time, in Arabic-Indic digits.
    let r = head
        .post_form("/inquiries/new", &form(&head, "٢٠٢٦-١٢-٠٧ ١٥:٣٠"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = r.header("location").unwrap().to_owned();
    let id: uuid::Uuid = page.trim_start_matches("/inquiries/").parse().unwrap();
    assert_eq!(inquiry(&app, id).await.starts_at, tripoli(7, 15, 30));

    // The list: a spreadsheet's export with a header, a national number, a
    // mobile as people type it, a name, Benghazi's resident (not the head's
    // to reach, and not told apart from the unknown) and an unknown number.
    let file = "\u{feff}الاسم;الرقم الوطني;الهاتف\n\
                سالم;119850000001;\n\
                علي;;091 100 0002\n\
                سالم علي\n\
                خالد;119850000005;\n\
                ;119850009999;\n";
    let r = head
        .post_multipart(
            &format!("{page}/list"),
            &[("csrf", &head.csrf), ("action", "use")],
            Some(("list.csv", file.as_bytes().to_vec())),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("حُفظت القائمة"), "{}", r.text);
    for (label, n) in [
        ("الأسطر المقروءة", 5),
        ("الأشخاص في القائمة", 2),
        ("الأسطر المرفوضة", 3),
    ] {
        assert!(
            r.text
                .contains(&format!("<dt>{label}</dt><dd class=\"num\">{n}</dd>")),
            "{label} {n}: {}",
            r.text
        );
    }
    assert!(r.text.contains("لا يحمل هذا السطر رقمًا وطنيًا"));
    assert_eq!(
        r.text.matches("لا يوجد في جمهورك شخص بهذا الرقم").count(),
        2,
        "Benghazi's resident and the unknown number, alike"
    );
    assert_eq!(inquiry(&app, id).await.list_size, Some(2));
    // A pasted list that names nobody is not kept; the one before stays.
    let r = head
        .post_multipart(
            &format!("{page}/list"),
            &[
                ("csrf", &head.csrf),
                ("action", "use"),
                ("text", "0921000005\nلا أحد"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("لم تطابق القائمة"), "{}", r.text);
    assert_eq!(inquiry(&app, id).await.list_size, Some(2));
    let shown = head.get(&page).await.text;
    assert!(
        shown.contains("القائمة المرفوعة: <span class=\"num\">2</span>"),
        "{shown}"
    );

    // Benghazi's head reaches neither form of it.
    let other = app.browser("head.benghazi").await;
    let r = other
        .post_multipart(
            &format!("{page}/list"),
            &[("csrf", &other.csrf), ("text", "119850000005")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other
        .post_form(
            &format!("{page}/test"),
            &[("csrf", &other.csrf), ("numbers", "0912000000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A test send: each question to each staff number, as recipients read
    // them; mistakes are shown at the form.
    for (numbers, said) in [
        ("0912", "رقم هاتف محمول"),
        ("+33612345678", "الليبية"),
        (
            "0912000001\n0912000002\n0912000003,0912000004,0912000005,0912000006",
            "أطول من الحد",
        ),
    ] {
        let r = head
            .post_form(
                &format!("{page}/test"),
                &[("csrf", &head.csrf), ("numbers", numbers)],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{numbers}: {}", r.text);
        assert!(r.text.contains("aria-invalid=\"true\""), "{}", r.text);
        assert!(r.text.contains(said));
    }
    let r = head
        .post_form(
            &format!("{page}/test"),
            &[("csrf", &head.csrf), ("numbers", "0912000001، ٠٩١٢٠٠٠٠٠٢")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    for staff in ["+218912000001", "+218912000002"] {
        let got = outbox_to(&app, staff).await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("هل توافق على نقل سوق الخضار؟"), "{got:?}");
        assert!(got[1].contains("أرسل رقمًا من 1 إلى 5"), "{got:?}");
    }

    // Submitted (two recipients need no second approval), it waits for its
    // start time, then goes to the list only.
    let r = head
        .post_form(
            &format!("{page}/actions"),
            &[("csrf", &head.csrf), ("action", "submit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = head
        .post_multipart(
            &format!("{page}/list"),
            &[("csrf", &head.csrf), ("text", "119850000003")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a submitted list stays");
    app.services.inquiry_step().await.unwrap();
    let i = inquiry(&app, id).await;
    assert_eq!((i.state.as_str(), i.recipients), ("approved", 0), "not yet");
    clock.set(tripoli(7, 15, 31));
    // Started, its recipients fixed, their question queued: a few steps
    // (the node's own worker takes some of them too).
    for _ in 0..20 {
        app.services.inquiry_step().await.unwrap();
        if inquiry(&app, id).await.state.as_str() == "open" {
            break;
        }
    }
    let i = inquiry(&app, id).await;
    assert_eq!((i.state.as_str(), i.recipients), ("open", 2));
    for (mobile, asked) in [
        ("+218911000001", 1),
        ("+218911000002", 1),
        ("+218911000003", 0),
        ("+218921000005", 0),
    ] {
        assert_eq!(outbox_to(&app, mobile).await.len(), asked, "{mobile}");
    }
    app.stop().await;
}

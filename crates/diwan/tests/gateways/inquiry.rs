//! The national inquiry through a real Kannel: questions reach the
//! simulated operator in Arabic, phones answer through Kannel's
//! `sms-service`, the next question and the thanks come back; and a node
//! killed in the middle of an inquiry's fan-out asks every recipient
//! exactly once after it is restarted.

use super::{start, wait};
use crate::helpers::Browser;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// Writes an inquiry as `b`, to the residents of `municipality`, with no
/// quiet hours, and submits it; returns its page.
async fn submit(b: &Browser, municipality: &str, title: &str) -> String {
    let r = b
        .post_form(
            "/inquiries/new",
            &[
                ("csrf", &b.csrf),
                ("title", title),
                ("q0_kind", "yes_no"),
                ("q0_text_ar", "هل توافق على إنشاء سوق بلدي جديد؟"),
                ("q1_kind", "scale"),
                ("q1_text_ar", "ما مدى رضاك عن النظافة من ١ إلى ٥؟"),
                ("municipality", municipality),
                ("quiet_start", "00:00"),
                ("quiet_end", "00:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = r.header("location").unwrap().to_owned();
    let r = b
        .post_form(
            &format!("{page}/actions"),
            &[("csrf", &b.csrf), ("action", "submit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inquiry_is_asked_and_answered_through_kannel() {
    let (app, mut kannel) = start().await;
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
    let manager = app.browser("inquiry.manager").await;
    let page = submit(&manager, &trp, "استعلام السوق البلدي").await;
    let got = kannel.wait_received(2, Duration::from_secs(30)).await;
    let first = &got[0];
    assert!(
        first.text.contains("هل توافق على إنشاء سوق بلدي جديد؟"),
        "Arabic intact at the operator: {first:?}"
    );
    assert!(first.text.starts_with("[A"), "{first:?}");
    // A phone answers in Arabic-Indic digits, through Kannel.
    kannel.sms_from_phone("+218911000001", "1415", "١");
    let got = kannel.wait_received(3, Duration::from_secs(30)).await;
    assert!(
        got[2].text.contains("ما مدى رضاك"),
        "the next question: {:?}",
        got[2]
    );
    kannel.sms_from_phone("+218911000001", "1415", "5");
    let got = kannel.wait_received(4, Duration::from_secs(30)).await;
    assert!(got[3].text.contains("شكرًا"), "thanked: {:?}", got[3]);
    let shown = wait::until(Duration::from_secs(10), || async {
        let r = manager.get(&page).await;
        if r.text.contains("50.0") {
            Ok(r)
        } else {
            Err(format!("one of two responded: {}", r.text))
        }
    })
    .await;
    assert_eq!(shown.status, StatusCode::OK);
    app.stop().await;
}

/// SIGKILL of Diwan while an inquiry's questions go out: restarted, every
/// recipient is asked exactly once, counted at the operator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_in_an_inquirys_fan_out_asks_each_recipient_once() {
    let n = 300;
    let mut b = super::killed::node_beside_kannel(n).await;
    let manager = Browser::sign_in(&b.node().base, "inquiry.manager").await;
    submit(&manager, &b.sabha, "استعلام سبها").await;
    let got = b.kill_and_restart(n).await;
    assert!(
        got.iter().all(|r| r.text.contains("سوق بلدي")),
        "the question"
    );
    b.remove().await;
}

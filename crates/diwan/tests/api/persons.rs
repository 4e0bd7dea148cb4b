//! The registry of persons: numbers read however they are typed, search by
//! number, phone and Arabic name, corrections audited field by field, and a
//! municipality that sees only its own residents.

use crate::helpers::{arabic_digits, s, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = app
        .client
        .get(app.url("/api/v1/persons"))
        .query(&[("q", q)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "search {q:?}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(p, "national_number").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_are_registered_found_and_corrected() {
    let app = TestApp::spawn().await;
    let [admin, tripoli, benghazi, officer] = app
        .sign_in_all(["admin", "clerk.tripoli", "clerk.benghazi", "head.plan"])
        .await;
    let trp = app.org("M-TRP").id.to_string();

    // A municipality's clerk registers a resident; the numbers are typed
    // as people type them, with Arabic-Indic digits.
    let created = app
        .post(
            "/api/v1/persons",
            Some(&tripoli),
            json!({
                "national_number": arabic_digits("1 1985 0012345"),
                "name_ar": "  مُحمّد   علي سالم الورفلي ",
                "name_latin": "Mohamed Ali Salem Warfalli",
                "mobiles": [arabic_digits("091 234 5678"), "00218 92-1112233"],
                "email": "Mohamed@Example.LY",
            }),
        )
        .await
        .expect(StatusCode::CREATED, "register a resident");
    assert_eq!(s(&created, "national_number"), "119850012345");
    assert_eq!(s(&created, "name_ar"), "مُحمّد علي سالم الورفلي");
    assert_eq!(s(&created, "sex"), "male", "from the national number");
    assert_eq!(s(&created, "language"), "ar");
    assert_eq!(s(&created, "municipality_id"), trp, "the clerk's own");
    assert_eq!(
        created["mobiles"],
        json!(["+218912345678", "+218921112233"])
    );
    assert_eq!(s(&created, "email"), "Mohamed@example.ly");
    let id = s(&created, "id").to_owned();

    // Found by national number, by either mobile typed another way, and by
    // name without its diacritics or with a different hamza.
    for q in [
        "119850012345",
        "+218 91 234 5678",
        "0921112233",
        "محمد الورفلي",
        "محم",
        "warfalli",
    ] {
        assert_eq!(search(&app, &tripoli, q).await, ["119850012345"], "{q}");
    }
    assert!(search(&app, &tripoli, "خليفة").await.is_empty());

    // Another municipality sees nothing of it: not in search, not by id,
    // and may not take it over.
    assert!(search(&app, &benghazi, "119850012345").await.is_empty());
    app.get(&format!("/api/v1/persons/{id}"), Some(&benghazi))
        .await
        .expect_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "another municipality's resident",
        );
    app.post(
        "/api/v1/persons",
        Some(&benghazi),
        json!({"national_number": "119850012345", "name_ar": "منتحل"}),
    )
    .await
    .expect_error(
        StatusCode::CONFLICT,
        "conflict",
        "a number registered elsewhere",
    );
    // The ministry sees everyone; its officers do not change the registry.
    assert_eq!(search(&app, &officer, "الورفلي").await, ["119850012345"]);
    app.post(
        "/api/v1/persons",
        Some(&officer),
        json!({"national_number": "219900000001", "name_ar": "فاطمة"}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden", "an officer");

    // A correction keeps the id and names what changed in the audit trail.
    let corrected = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            json!({
                "national_number": "119850012345",
                "name_ar": "محمد علي سالم الورفلي",
                "mobiles": ["0912345678"],
                "municipality_id": trp,
                "language": "en",
                "sms_opt_out": true,
            }),
        )
        .await
        .expect(StatusCode::OK, "correct the record");
    assert_eq!(s(&corrected, "id"), id);
    assert_eq!(corrected["mobiles"], json!(["+218912345678"]));
    assert!(corrected["sms_opt_out_at"].is_string());
    assert!(
        search(&app, &admin, "0921112233").await.is_empty(),
        "the old mobile is gone"
    );
    let audit = app
        .get(&format!("/api/v1/audit?object={id}"), Some(&admin))
        .await
        .expect(StatusCode::OK, "the person's audit trail");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(r, "action"))
        .collect();
    assert_eq!(actions, ["person.update", "person.create"]);
    let changed = &audit["items"][0]["details"]["changed"];
    assert_eq!(
        changed,
        &json!([
            "name_ar",
            "name_latin",
            "mobiles",
            "email",
            "language",
            "sms_opt_out"
        ])
    );

    // Reading the record is audited: the person may ask who looked.
    app.get(&format!("/api/v1/persons/{id}"), Some(&officer))
        .await
        .expect(StatusCode::OK, "an officer reads the record");
    let audit = app
        .get(
            &format!("/api/v1/audit?object={id}&action=person.read"),
            Some(&admin),
        )
        .await
        .expect(StatusCode::OK, "reads of the record");
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    assert_eq!(s(&audit["items"][0], "actor_name"), "head.plan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mistake_of_a_person_is_told_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let admin = app.sign_in("admin").await;
    let e = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            json!({
                "national_number": "319850012345",
                "name_ar": " ",
                "birth_date": "2999-01-01",
                "mobiles": ["021 333 4444"],
                "email": "nobody",
                "municipality_id": app.org("PLAN").id,
            }),
        )
        .await
        .expect_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "a form full of mistakes",
        );
    let mut fields: Vec<&str> = e["details"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "birth_date",
            "email",
            "mobile",
            "name_ar",
            "national_number"
        ]
    );
    // A department is no municipality of residence.
    app.post(
        "/api/v1/persons",
        Some(&admin),
        json!({"national_number": "219900000001", "name_ar": "فاطمة سالم", "municipality_id": app.org("PLAN").id}),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "invalid_input", "a department as municipality");
    assert!(search(&app, &admin, "219900000001").await.is_empty());
    assert!(
        search(&app, &admin, "").await.is_empty(),
        "nothing was saved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_pages_register_show_and_find_a_person() {
    let app = TestApp::spawn().await;
    let b = app.browser("clerk.tripoli").await;
    let form = b.get("/persons/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("name=\"national_number\""));
    let saved = b
        .post_form(
            "/persons",
            &[
                ("csrf", b.csrf.as_str()),
                ("national_number", "219900000001"),
                ("name_ar", "فاطمة سالم خليفة"),
                ("mobile", "0944445555"),
                ("mobile", ""),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let to = saved.header("location").unwrap().to_owned();
    let page = b.get(&to).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("فاطمة سالم خليفة"), "{}", page.text);
    assert!(page.text.contains("+218944445555"));
    let list = b.get("/persons?q=%D9%81%D8%A7%D8%B7%D9%85%D9%87").await; // فاطمه
    assert!(list.text.contains("219900000001"), "{}", list.text);
    // A mistake shows the form again with what was typed and why.
    let bad = b
        .post_form(
            "/persons",
            &[
                ("csrf", b.csrf.as_str()),
                ("national_number", "12"),
                ("name_ar", "اسم"),
                ("mobile", "abc"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("aria-invalid=\"true\""));
    assert!(bad.text.contains("value=\"abc\""));
}

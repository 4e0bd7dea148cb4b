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
                "name_latin": "",
                "mobiles": ["0912345678"],
                "email": "",
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

    // A correction that sends only what it changes keeps the rest: a
    // field left out or null loses nothing; an empty list clears.
    let renamed = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            json!({
                "national_number": "119850012345",
                "name_ar": "محمد علي سالم الورفلي الزاوي",
                "email": null,
            }),
        )
        .await
        .expect(StatusCode::OK, "correct the name alone");
    assert_eq!(s(&renamed, "id"), id);
    assert_eq!(s(&renamed, "name_ar"), "محمد علي سالم الورفلي الزاوي");
    assert_eq!(renamed["mobiles"], json!(["+218912345678"]));
    assert_eq!(s(&renamed, "language"), "en");
    assert_eq!(s(&renamed, "municipality_id"), trp);
    assert_eq!(s(&renamed, "sex"), "male");
    assert!(renamed["sms_opt_out_at"].is_string());
    assert_eq!(search(&app, &admin, "0912345678").await, ["119850012345"]);
    let audit = app
        .get(
            &format!("/api/v1/audit?object={id}&action=person.update"),
            Some(&admin),
        )
        .await
        .expect(StatusCode::OK, "the corrections");
    assert_eq!(audit["items"][0]["details"]["changed"], json!(["name_ar"]));
    let cleared = app
        .post(
            "/api/v1/persons",
            Some(&admin),
            json!({"national_number": "119850012345", "name_ar": "محمد علي سالم الورفلي الزاوي", "mobiles": []}),
        )
        .await
        .expect(StatusCode::OK, "clear the mobiles");
    assert_eq!(cleared["mobiles"], json!([]));
    assert_eq!(s(&cleared, "language"), "en");

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

/// Sends `csv` as an import and waits until it has read its file.
async fn import(app: &TestApp, token: &str, csv: &str) -> Value {
    let r = app
        .client
        .post(app.url("/api/v1/persons/imports?file_name=registry.csv"))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let started: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "start the import: {started}");
    let id = s(&started, "id").to_owned();
    for _ in 0..400 {
        let i = app
            .get(&format!("/api/v1/persons/imports/{id}"), Some(token))
            .await
            .expect(StatusCode::OK, "the import");
        if matches!(s(&i, "state"), "done" | "failed") {
            return i;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import {id} did not end");
}

/// The refused lines of an import, as the API gives them (CSV).
async fn rejected(app: &TestApp, token: &str, import: &Value) -> String {
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/persons/imports/{}/rejected",
            s(import, "id")
        )))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    r.text().await.unwrap()
}

fn counts(i: &Value) -> [i64; 4] {
    ["created", "updated", "unchanged", "rejected"].map(|k| i[k].as_i64().unwrap())
}

const REGISTRY_FILE: &str = "\u{FEFF}الرقم الوطني;الاسم;رقم الهاتف;البلدية;ملاحظات\r
119850012345;محمد علي سالم;٠٩١٢٣٤٥٦٧٨;M-TRP;x\r
219900000001;\"فاطمة; سالم\";0921112233، 0944445555;Benghazi;\r
12;خطأ;0912345678;M-TRP;\r
119700000002;سالم;021 333 4444;M-TRP;\r
119800000003;علي;;XYZ;\r
219950000004;مريم;;;\r
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reads_a_registry_file_once_whatever_how_often_it_is_sent() {
    let app = TestApp::spawn().await;
    let admin = app.sign_in("admin").await;
    let first = import(&app, &admin, REGISTRY_FILE).await;
    assert_eq!(s(&first, "state"), "done", "{first}");
    let csv = rejected(&app, &admin, &first).await;
    assert_eq!(counts(&first), [3, 0, 0, 3], "{first}\n{csv}");
    assert_eq!(
        first["columns"],
        json!(["national_number", "name_ar", "mobile", "municipality", ""])
    );
    assert_eq!(first["bytes_read"], first["file_bytes"]);

    // What was imported is found, with both numbers of one cell and the
    // municipality named in English.
    let found = app
        .get("/api/v1/persons?q=0944445555", Some(&admin))
        .await
        .expect(StatusCode::OK, "search");
    let p = &found["items"][0];
    assert_eq!(s(p, "name_ar"), "فاطمة; سالم");
    assert_eq!(p["mobiles"], json!(["+218921112233", "+218944445555"]));
    assert_eq!(s(p, "municipality_id"), app.org("M-BEN").id.to_string());
    assert_eq!(s(p, "sex"), "female");

    // The refused lines, with their numbers and why.
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "line,reasons,content");
    assert!(
        lines[1].starts_with("4,national_number=national-number-invalid,"),
        "{csv}"
    );
    assert!(lines[2].starts_with("5,mobile=mobile-invalid,"), "{csv}");
    assert!(
        lines[3].starts_with("6,municipality=municipality-unknown,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 4);

    // Sent again, nothing changes; a later file corrects only what it gives
    // (a blank cell keeps the number the registry has).
    let again = import(&app, &admin, REGISTRY_FILE).await;
    assert_eq!(counts(&again), [0, 0, 3, 3], "{again}");
    let correction =
        "national_number,name,mobile,email\n119850012345,محمد علي سالم,,m@example.ly\n";
    let corrected = import(&app, &admin, correction).await;
    assert_eq!(counts(&corrected), [0, 1, 0, 0], "{corrected}");
    let p = app
        .get("/api/v1/persons?q=119850012345", Some(&admin))
        .await
        .expect(StatusCode::OK, "search");
    assert_eq!(p["items"][0]["mobiles"], json!(["+218912345678"]));
    assert_eq!(s(&p["items"][0], "email"), "m@example.ly");
    let trail = app
        .get(
            &format!("/api/v1/audit?object={}", s(&p["items"][0], "id")),
            Some(&admin),
        )
        .await
        .expect(StatusCode::OK, "the person's trail");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(r, "action"))
        .collect();
    assert_eq!(actions, ["person.update", "person.create"]);

    // A file of its header alone imports nothing, and ends.
    for empty in ["national_number,name_ar\n", "national_number,name_ar"] {
        let i = import(&app, &admin, empty).await;
        assert_eq!(s(&i, "state"), "done", "{i}");
        assert_eq!(counts(&i), [0, 0, 0, 0]);
    }
    // A refused line goes back within quotes, a formula defused, whatever
    // delimiter a spreadsheet splits on.
    let i = import(
        &app,
        &admin,
        "national_number;name_ar;mobile\n12;=1+1;091\n",
    )
    .await;
    let csv = rejected(&app, &admin, &i).await;
    assert!(csv.contains(",\"12;=1+1;091\""), "{csv}");

    // A file without the columns that name a person is refused at once.
    let r = app
        .client
        .post(app.url("/api/v1/persons/imports"))
        .header("content-type", "text/csv")
        .body("name,phone\nعلي,0912345678\n")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert!(e["details"]["file"].is_string(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipality_imports_only_its_own_residents() {
    let app = TestApp::spawn().await;
    let [tripoli, benghazi, officer] = app
        .sign_in_all(["clerk.tripoli", "clerk.benghazi", "head.plan"])
        .await;
    app.post(
        "/api/v1/persons",
        Some(&benghazi),
        json!({"national_number": "219900000001", "name_ar": "فاطمة سالم"}),
    )
    .await
    .expect(StatusCode::CREATED, "Benghazi's resident");
    let file = "national_number,name_ar,municipality\n119850012345,محمد,\n119700000002,سالم,M-BEN\n219900000001,فاطمة,\n";
    let i = import(&app, &tripoli, file).await;
    assert_eq!(counts(&i), [1, 0, 0, 2], "{i}");
    let r = rejected(&app, &tripoli, &i).await;
    assert!(r.contains("3,municipality=municipality-not-own,"), "{r}");
    assert!(
        r.contains("4,national_number=national-number-elsewhere,"),
        "{r}"
    );
    // Benghazi's resident is as it was; Tripoli's new one is Tripoli's.
    let b = app
        .get("/api/v1/persons?q=219900000001", Some(&benghazi))
        .await
        .expect(StatusCode::OK, "search");
    assert_eq!(s(&b["items"][0], "name_ar"), "فاطمة سالم");
    let t = app
        .get("/api/v1/persons?q=119850012345", Some(&tripoli))
        .await
        .expect(StatusCode::OK, "search");
    assert_eq!(
        s(&t["items"][0], "municipality_id"),
        app.org("M-TRP").id.to_string()
    );
    // Another organization's import is not found; officers import nothing.
    app.get(
        &format!("/api/v1/persons/imports/{}", s(&i, "id")),
        Some(&benghazi),
    )
    .await
    .expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "another municipality's import",
    );
    let r = app
        .client
        .post(app.url("/api/v1/persons/imports"))
        .header("content-type", "text/csv")
        .body(file)
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_page_takes_a_file_and_shows_its_progress() {
    let app = TestApp::spawn().await;
    let b = app.browser("clerk.tripoli").await;
    let file = "الرقم الوطني,الاسم\n119850012345,محمد علي\n12,خطأ\n"
        .as_bytes()
        .to_vec();
    // The token comes first, the file after it.
    let form = reqwest::multipart::Form::new()
        .text("csrf", b.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file.clone())
                .file_name("سجل.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = b
        .client
        .post(b.url("/persons/imports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let mut page = b.get(&to).await;
    for _ in 0..200 {
        if page.header("refresh").is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        page = b.get(&to).await;
    }
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("refresh").is_none(),
        "a finished import does not reload"
    );
    assert!(page.text.contains("<progress"), "{}", page.text);
    assert!(page.text.contains("سجل.csv"));
    let rejected = b.get(&format!("{to}/rejected.csv")).await;
    assert_eq!(rejected.status, StatusCode::OK);
    assert!(
        rejected.text.starts_with('\u{FEFF}'),
        "a BOM for spreadsheets"
    );
    assert!(rejected.text.contains("3,"), "{}", rejected.text);
    assert!(
        rejected.text.contains("الرقم الوطني اثنا عشر رقماً"),
        "{}",
        rejected.text
    );

    // Without its token the upload is refused and nothing is queued.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("x.csv"),
    );
    let r = b
        .client
        .post(b.url("/persons/imports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let list = b.get("/persons/imports").await;
    assert_eq!(
        list.text.matches("/persons/imports/").count(),
        1,
        "{}",
        list.text
    );
}

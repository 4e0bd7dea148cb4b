//! The GovStack Workflow building-block API over the case engine.

use crate::helpers::{s, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govstack_processes_and_instances() {
    let app = TestApp::spawn().await;
    let [clerk, benghazi] = app.sign_in_all(["clerk.tripoli", "clerk.benghazi"]).await;

    app.get("/govstack/workflow/processes", None)
        .await
        .expect_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "processes without a token",
        );

    // Case types are processes, in the specification's shape.
    let list = app
        .get("/govstack/workflow/processes", Some(&clerk))
        .await
        .expect(StatusCode::OK, "process list");
    let list = list.as_array().expect("a list of processes");
    assert_eq!(list.len(), app.demo.case_types.len());
    for p in list {
        assert!(uuid::Uuid::parse_str(s(p, "id")).is_ok(), "{p}");
        let d = &p["processDefinition"];
        assert!(
            d["name"].is_string() && d["type"].is_string() && d["version"].is_string(),
            "{p}"
        );
        assert!(["Public", "Private", "None"].contains(&s(d, "type")), "{p}");
        assert!(
            d["processBody"].as_array().is_some_and(|b| b
                .iter()
                .all(|x| x["code"].is_string() && x["value"].is_string())),
            "{p}"
        );
    }
    let bdg = app.case_type("budget_transfer");
    let p = list
        .iter()
        .find(|p| p["id"] == bdg.id.to_string())
        .expect("budget_transfer is a process");
    assert_eq!(p["processDefinition"]["name"], "budget_transfer");
    assert_eq!(p["processDefinition"]["type"], "Public");
    assert_eq!(p["processDefinition"]["version"], "1");
    let body = p["processDefinition"]["processBody"].as_array().unwrap();
    assert!(
        body.iter()
            .any(|x| x["code"] == "prefix" && x["value"] == "BDG"),
        "{p}"
    );
    assert!(
        body.iter().any(|x| x["code"] == "deadline_days"
            && x["value"].as_str() == Some(bdg.deadline_days.to_string().as_str())),
        "{p}"
    );
    let memo = list
        .iter()
        .find(|p| p["processDefinition"]["name"] == "internal_memo")
        .expect("the memo process");
    assert_eq!(memo["processDefinition"]["type"], "Private");
    let one = app
        .get(
            &format!("/govstack/workflow/processes/{}", bdg.id),
            Some(&clerk),
        )
        .await
        .expect(StatusCode::OK, "one process");
    assert_eq!(&one, p);
    app.get(
        &format!("/govstack/workflow/processes/{}", uuid::Uuid::now_v7()),
        Some(&clerk),
    )
    .await
    .expect_error(StatusCode::NOT_FOUND, "not_found", "an unknown process");

    // Starting an instance files and submits a case.
    let subject = "طلب مناقلة عبر واجهة GovStack";
    let started = app
        .post(
            &format!("/govstack/workflow/processes/{}/start", bdg.id),
            Some(&clerk),
            json!({"processStartedBy": "clerk.tripoli", "InstanceValues": [{"code": "subject", "value": subject}, {"code": "body", "value": "تفاصيل الطلب"}, {"code": "amount", "value": "1000"}]}),
        )
        .await
        .expect(StatusCode::CREATED, "starting an instance");
    let id = s(&started, "id").to_owned();
    assert_eq!(started["processRef"], bdg.id.to_string());
    assert_eq!(started["state"], "running");
    assert_eq!(started["suspended"], false);
    assert_eq!(started["ended"], false);

    let case = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the case behind the instance");
    assert_eq!(case["case"]["subject"], subject);
    assert_eq!(case["case"]["state"], "submitted");
    assert_eq!(
        case["case"]["fields"]["amount"], 1_000_000,
        "the amount in millemes: {}",
        case["case"]["fields"]
    );

    // A start without a subject is refused with a reason.
    let bad = app
        .post(
            &format!("/govstack/workflow/processes/{}/start", bdg.id),
            Some(&clerk),
            json!({"processStartedBy": "clerk.tripoli"}),
        )
        .await;
    let e = bad.expect_error(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        "start without a subject",
    );
    assert!(e["details"]["subject"].is_string(), "{e}");

    // Listed, alone or by process.
    for q in [
        format!("?processId={}", bdg.id),
        "?processId=budget_transfer".to_owned(),
        String::new(),
    ] {
        let instances = app
            .get(&format!("/govstack/workflow/instances{q}"), Some(&clerk))
            .await
            .expect(StatusCode::OK, "instances");
        let found = instances
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap_or_else(|| panic!("instance missing from /instances{q}: {instances}"));
        assert_eq!(found["processRef"], bdg.id.to_string());
        assert_eq!(found["state"], "running");
        assert!(found["initTime"].is_string() && found["lastChangeTime"].is_string());
    }
    let other = app
        .get(
            &format!(
                "/govstack/workflow/instances?processId={}",
                app.case_type("staffing").id
            ),
            Some(&clerk),
        )
        .await
        .expect(StatusCode::OK, "instances of another process");
    assert!(other
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != id.as_str()));
    let theirs = app
        .get("/govstack/workflow/instances", Some(&benghazi))
        .await
        .expect(StatusCode::OK, "Benghazi's instances");
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id.as_str()),
        "another municipality sees the instance"
    );

    let inst = app
        .get(&format!("/govstack/workflow/instances/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "one instance");
    assert_eq!(inst["id"], id.as_str());
    assert_eq!(inst["processRef"], bdg.id.to_string());
    assert_eq!(inst["state"], "running");

    // Stopping it withdraws the case.
    app.post(
        &format!("/govstack/workflow/instances/{id}/stop"),
        Some(&benghazi),
        json!({}),
    )
    .await
    .expect_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "another municipality stops it",
    );
    let stopped = app
        .post(
            &format!("/govstack/workflow/instances/{id}/stop"),
            Some(&clerk),
            json!({}),
        )
        .await
        .expect(StatusCode::CREATED, "stopping");
    assert_eq!(stopped["ended"], true);
    assert_eq!(stopped["id"], id.as_str());
    let inst = app
        .get(&format!("/govstack/workflow/instances/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the stopped instance");
    assert_eq!(inst["state"], "terminated");
    let case = app
        .get(&format!("/api/v1/cases/{id}"), Some(&clerk))
        .await
        .expect(StatusCode::OK, "the withdrawn case");
    assert_eq!(case["case"]["state"], "withdrawn");
    app.post(
        &format!("/govstack/workflow/instances/{id}/stop"),
        Some(&clerk),
        json!({}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "invalid_transition", "stopping twice");

    // Only administrators change processes.
    let def = json!({"name": "road_permit", "type": "Public", "version": "1", "processBody": [{"code": "prefix", "value": "RDP"}, {"code": "deadline_days", "value": "7"}]});
    app.post("/govstack/workflow/processes", Some(&clerk), def.clone())
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden", "a clerk adds a process");
    let admin = app.sign_in("admin").await;
    let added = app
        .post("/govstack/workflow/processes", Some(&admin), def)
        .await
        .expect(StatusCode::CREATED, "the administrator adds a process");
    assert_eq!(added["processDefinition"]["name"], "road_permit");
    let started = app
        .post("/govstack/workflow/processes/road_permit/start", Some(&clerk), json!({"processStartedBy": "clerk.tripoli", "InstanceValues": [{"code": "subject", "value": "تصريح حفر طريق"}]}))
        .await
        .expect(StatusCode::CREATED, "starting the new process by its name");
    let case = app
        .get(
            &format!("/api/v1/cases/{}", s(&started, "id")),
            Some(&clerk),
        )
        .await
        .expect(StatusCode::OK, "the new case");
    assert!(
        s(&case["case"], "tracking_number").starts_with("RDP-"),
        "{}",
        case["case"]
    );

    app.stop().await;
}

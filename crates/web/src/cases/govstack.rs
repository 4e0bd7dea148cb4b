//! The case engine through the GovStack Workflow building-block API
//! (`govstack/workflow/swagger.yaml`): case types are processes and cases
//! are process instances. Mounted under `/govstack/workflow`, with the
//! specification's paths below it. Clients authenticate like the JSON API.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use diwan_domain::cases::workflow::{Audience, Clock, Registry, Workflow};
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::cases::queues::CaseFilter;
use diwan_services::cases::NewCase;
use diwan_store::{Case, CaseRow, CaseType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

pub const PREFIX: &str = "/govstack/workflow";

pub fn routes() -> Router<AppState> {
    let r = Router::new()
        .route("/processes", get(get_process_list).post(add_process))
        .route(
            "/processes/{process_id}",
            get(get_process).put(update_process).delete(delete_process),
        )
        .route("/processes/{process_id}/start", post(start))
        .route("/instances", get(list_instances))
        .route("/instances/", get(list_instances))
        .route("/instances/{instance_id}", get(get_instance))
        .route("/instances/{instance_id}/stop", post(stop));
    Router::new().nest(PREFIX, r)
}

#[derive(OpenApi)]
#[openapi(paths(
    get_process_list,
    add_process,
    get_process,
    update_process,
    delete_process,
    start,
    list_instances,
    get_instance,
    stop
))]
pub struct GovStackDoc;

/// One `{code, value}` pair of the specification's ListOfProperties.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Property {
    pub code: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "name": "road_permit",
    "type": "Public",
    "version": "1",
    "description": "Road works permit",
    "processBody": [
        {"code": "prefix", "value": "RDP"},
        {"code": "deadline_days", "value": "10"},
        {"code": "name_ar", "value": "تصريح أشغال طريق"}
    ]
}))]
pub struct ProcessDefinition {
    /// The case type's code: not blank once trimmed, and unique (409 when taken).
    #[schema(schema_with = process_name_schema)]
    pub name: String,
    /// Public (municipality requests), Private (internal memos) or None.
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    #[serde(default)]
    pub is_executable: Option<bool>,
    #[serde(default)]
    pub is_closed: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
    /// workflow, prefix, name_ar, name_en, name_fr, default_department_id, auto_route, deadline_days.
    #[serde(default)]
    pub process_body: Option<Vec<Property>>,
}

fn process_name_schema() -> utoipa::openapi::schema::Object {
    crate::kit::openapi::text::trimmed(
        1,
        None,
        "The case type's code: not blank once trimmed, and unique (409 when taken).",
    )
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    pub id: String,
    pub process_definition: ProcessDefinition,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProcessInstancePayload {
    #[serde(rename = "processStartedBy")]
    pub process_started_by: String,
    /// subject, body, and any further typed fields of the case.
    #[serde(rename = "InstanceValues", default)]
    pub instance_values: Option<Vec<Property>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStatus {
    pub id: String,
    pub process_ref: String,
    pub suspended: bool,
    pub ended: bool,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessInstance {
    pub id: String,
    pub process_ref: String,
    pub init_time: String,
    pub state: String,
    pub last_change_time: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceParams {
    #[serde(rename = "processId")]
    #[param(rename = "processId")]
    pub process_id: Option<String>,
}

/// The process type of a workflow's audience.
fn process_kind(a: Audience) -> &'static str {
    match a {
        Audience::Public => "Public",
        Audience::Internal => "Private",
    }
}

fn definition(workflows: &Registry, t: &CaseType) -> ProcessDefinition {
    let p = |code: &str, value: String| Property {
        code: code.into(),
        value,
    };
    let audience = workflows
        .get(&t.workflow)
        .map(|w| w.audience)
        .unwrap_or_default();
    ProcessDefinition {
        name: t.code.clone(),
        kind: process_kind(audience).into(),
        version: "1".into(),
        is_executable: Some(t.active),
        is_closed: Some(true),
        description: Some(t.name_en.clone()),
        process_body: Some(vec![
            p("workflow", t.workflow.clone()),
            p("prefix", t.prefix.clone()),
            p("name_ar", t.name_ar.clone()),
            p("name_en", t.name_en.clone()),
            p("name_fr", t.name_fr.clone()),
            p(
                "default_department_id",
                t.default_department_id
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            p("auto_route", t.auto_route.to_string()),
            p("deadline_days", t.deadline_days.to_string()),
            p(
                "fields",
                serde_json::to_string(&t.fields).unwrap_or_else(|_| "[]".into()),
            ),
        ]),
    }
}

fn process(workflows: &Registry, t: &CaseType) -> Process {
    Process {
        id: t.id.to_string(),
        process_definition: definition(workflows, t),
    }
}

/// The BPMN-style execution state of a case in `state` of `wf`: what the
/// state's deadline clock does, and for a finished case whether it was
/// carried through.
fn instance_state(wf: Option<&Workflow>, state: &str) -> &'static str {
    let def = wf.and_then(|w| w.state(state));
    match def.map_or(Clock::Running, |s| s.clock) {
        Clock::NotStarted => "ready",
        Clock::Running => "running",
        Clock::Paused => "suspended",
        Clock::Stopped if def.is_some_and(|s| s.terminated) => "terminated",
        Clock::Stopped => "completed",
    }
}

fn status(wf: Option<&Workflow>, c: &Case) -> InstanceStatus {
    InstanceStatus {
        id: c.id.to_string(),
        process_ref: c.case_type_id.to_string(),
        suspended: c.clock == Clock::Paused,
        ended: c.clock == Clock::Stopped,
        state: instance_state(wf, &c.state).into(),
    }
}

fn instance_of_row(wf: Option<&Workflow>, r: &CaseRow) -> ProcessInstance {
    ProcessInstance {
        id: r.id.to_string(),
        process_ref: r.case_type_id.to_string(),
        init_time: r.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        state: instance_state(wf, &r.state).into(),
        last_change_time: r.updated_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

/// A refusal of the adapter as the services carry it.
fn domain(e: ApiError) -> diwan_services::Error {
    diwan_services::Error::Domain(diwan_domain::DomainError {
        code: e.code,
        details: e.details,
        retry_after_secs: e.retry_after_secs,
    })
}

fn type_from_definition(
    workflows: &Registry,
    id: Uuid,
    d: &ProcessDefinition,
    base: Option<&CaseType>,
) -> Result<CaseType, ApiError> {
    let body = d.process_body.clone().unwrap_or_default();
    let get = |code: &str| {
        body.iter()
            .find(|p| p.code == code)
            .map(|p| p.value.clone())
    };
    // Without a workflow named, a process gets the first workflow of its
    // type's audience.
    let audience = if d.kind == process_kind(Audience::Internal) {
        Audience::Internal
    } else {
        Audience::Public
    };
    let wf = get("workflow")
        .or_else(|| base.map(|b| b.workflow.clone()))
        .or_else(|| workflows.default_for(audience).map(|w| w.code.clone()))
        .unwrap_or_default();
    if workflows.get(&wf).is_none() {
        return Err(ApiError::invalid(
            "processBody.workflow",
            Reason::FieldInvalid,
        ));
    }
    let name = d.name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", Reason::FieldRequired));
    }
    let deadline = match get("deadline_days") {
        Some(v) => diwan_domain::text::parse_number(&v)
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| (0..=365).contains(n))
            .ok_or_else(|| ApiError::invalid("processBody.deadline_days", Reason::FieldInvalid))?,
        None => base.map_or(10, |b| b.deadline_days),
    };
    let dept = match get("default_department_id").filter(|v| !v.is_empty()) {
        Some(v) => Some(Uuid::parse_str(&v).map_err(|_| {
            ApiError::invalid("processBody.default_department_id", Reason::FieldInvalid)
        })?),
        None => base.and_then(|b| b.default_department_id),
    };
    let label = d.description.clone().unwrap_or_else(|| name.to_owned());
    Ok(CaseType {
        id,
        code: name.to_owned(),
        workflow: wf,
        prefix: get("prefix")
            .or_else(|| base.map(|b| b.prefix.clone()))
            .ok_or_else(|| ApiError::invalid("processBody.prefix", Reason::FieldRequired))?,
        name_ar: get("name_ar")
            .or_else(|| base.map(|b| b.name_ar.clone()))
            .unwrap_or_else(|| label.clone()),
        name_en: get("name_en")
            .or_else(|| base.map(|b| b.name_en.clone()))
            .unwrap_or_else(|| label.clone()),
        name_fr: get("name_fr")
            .or_else(|| base.map(|b| b.name_fr.clone()))
            .unwrap_or_else(|| label.clone()),
        default_department_id: dept,
        auto_route: get("auto_route")
            .map(|v| v == "true")
            .or_else(|| base.map(|b| b.auto_route))
            .unwrap_or(false),
        deadline_days: deadline,
        active: d.is_executable.unwrap_or(true),
        fields: match get("fields") {
            Some(json) => serde_json::from_str(&json)
                .map_err(|_| ApiError::invalid("processBody.fields", Reason::FieldInvalid))?,
            None => base.map(|b| b.fields.clone()).unwrap_or_default(),
        },
    })
}

/// Lists the processes: Diwan's case types.
#[utoipa::path(get, path = "/govstack/workflow/processes", tag = "govstack-workflow", responses((status = 200, body = Vec<Process>), (status = 401, body = ErrorBody)))]
async fn get_process_list(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
) -> Result<Json<Vec<Process>>, ApiError> {
    let workflows = state.services.workflows();
    let types = state.services.list_case_types().await?;
    Ok(Json(types.iter().map(|t| process(workflows, t)).collect()))
}

/// Adds a process: a new case type on one of Diwan's workflows (administrators).
#[utoipa::path(post, path = "/govstack/workflow/processes", tag = "govstack-workflow", request_body = ProcessDefinition, responses((status = 201, body = Process, links(
        ("GetProcess" = (operation_id = "get_process", parameters(("processId" = "$response.body#/id")), description = "The process just added.")),
        ("UpdateProcess" = (operation_id = "update_process", parameters(("processId" = "$response.body#/id")), description = "Change it.")),
        ("StartProcess" = (operation_id = "start", parameters(("processId" = "$response.body#/id")), description = "Start an instance of it.")),
        ("DeleteProcess" = (operation_id = "delete_process", parameters(("processId" = "$response.body#/id")), description = "Retire it."))
    )), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, description = "Another process has that name.", body = ErrorBody)))]
async fn add_process(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(d): ApiJson<ProcessDefinition>,
) -> Result<(StatusCode, Json<Process>), ApiError> {
    let workflows = state.services.workflows();
    let t = type_from_definition(workflows, Uuid::now_v7(), &d, None)?;
    let t = state.services.save_case_type(Some(&c), t).await?;
    Ok((StatusCode::CREATED, Json(process(workflows, &t))))
}

/// One process.
#[utoipa::path(get, path = "/govstack/workflow/processes/{processId}", tag = "govstack-workflow", params(("processId" = String, Path)), responses((status = 200, body = Process), (status = 404, body = ErrorBody)))]
async fn get_process(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Process>, ApiError> {
    Ok(Json(process(
        state.services.workflows(),
        &state.services.case_type_by_key(&id).await?,
    )))
}

/// Updates a process (administrators).
#[utoipa::path(put, path = "/govstack/workflow/processes/{processId}", tag = "govstack-workflow", params(("processId" = String, Path)), request_body = ProcessDefinition, responses((status = 204), (status = 404, body = ErrorBody), (status = 409, description = "Another process has that name.", body = ErrorBody)))]
async fn update_process(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<ProcessDefinition>,
) -> Result<StatusCode, ApiError> {
    let workflows = state.services.workflows();
    state
        .services
        .change_case_type(&c, &id, |base| {
            type_from_definition(workflows, base.id, &d, Some(&base)).map_err(domain)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Retires a process: the case type stops accepting new cases; nothing is deleted.
#[utoipa::path(delete, path = "/govstack/workflow/processes/{processId}", tag = "govstack-workflow", params(("processId" = String, Path)), responses((status = 200), (status = 404, body = ErrorBody)))]
async fn delete_process(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .change_case_type(&c, &id, |t| Ok(CaseType { active: false, ..t }))
        .await?;
    Ok(StatusCode::OK)
}

/// Starts an instance: files and submits a case of this type.
#[utoipa::path(post, path = "/govstack/workflow/processes/{processId}/start", tag = "govstack-workflow", params(("processId" = String, Path)), request_body = ProcessInstancePayload,
    responses((status = 201, body = InstanceStatus, links(
        ("GetInstance" = (operation_id = "get_instance", parameters(("instanceId" = "$response.body#/id")), description = "The instance just started.")),
        ("StopInstance" = (operation_id = "stop", parameters(("instanceId" = "$response.body#/id")), description = "Stop it.")),
        ("GetCase" = (operation_id = "get_case", parameters(("id" = "$response.body#/id")), description = "The case behind the instance."))
    )), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn start(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(p): ApiJson<ProcessInstancePayload>,
) -> Result<(StatusCode, Json<InstanceStatus>), ApiError> {
    let values = p.instance_values.unwrap_or_default();
    let get = |code: &str| {
        values
            .iter()
            .find(|v| v.code == code)
            .map(|v| v.value.clone())
    };
    // Values that are not the subject, the body or the memo's department are
    // the case type's typed fields; the type's declaration checks them. The
    // starter is the authenticated caller, whom the audit trail records.
    let mut fields = serde_json::Map::new();
    for v in &values {
        if !matches!(v.code.as_str(), "subject" | "body" | "department_id") {
            fields.insert(v.code.clone(), serde_json::Value::String(v.value.clone()));
        }
    }
    let _ = p.process_started_by;
    let department_id = match get("department_id") {
        Some(v) => Some(
            Uuid::parse_str(&v)
                .map_err(|_| ApiError::invalid("department_id", Reason::FieldInvalid))?,
        ),
        None => None,
    };
    // The process is named by its id or its code.
    let (case_type_id, case_type_code) = match Uuid::parse_str(&id) {
        Ok(u) => (Some(u), None),
        Err(_) => (None, Some(id)),
    };
    let filed = state
        .services
        .create_typed(
            &c,
            NewCase {
                case_type_id,
                case_type_code,
                subject: get("subject").unwrap_or_default(),
                body: get("body").unwrap_or_default(),
                fields: Some(serde_json::Value::Object(fields)),
                submit: true,
                department_id,
                ..NewCase::default()
            },
        )
        .await
        .map_err(|e| {
            // A process nobody has is not found, as on every other path.
            let unknown = e
                .details()
                .iter()
                .any(|(f, r)| f == "case_type_id" && *r == Reason::CaseTypeUnknown);
            if unknown {
                ApiError::new(ErrorCode::NotFound)
            } else {
                ApiError::from(e)
            }
        })?;
    let wf = state.services.workflows().get(&filed.case_type.workflow);
    Ok((StatusCode::CREATED, Json(status(wf, &filed.case))))
}

/// Lists instances, optionally of one process (the newest hundred).
#[utoipa::path(get, path = "/govstack/workflow/instances", tag = "govstack-workflow", params(InstanceParams), responses((status = 200, body = Vec<ProcessInstance>), (status = 404, description = "No process has that id or code.", body = ErrorBody)))]
async fn list_instances(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<InstanceParams>,
) -> Result<Json<Vec<ProcessInstance>>, ApiError> {
    let key = p.process_id.filter(|s| !s.is_empty());
    let rows = state
        .services
        .list_typed(
            &c,
            key.as_deref(),
            CaseFilter {
                limit: Some(100),
                ..CaseFilter::default()
            },
        )
        .await?;
    let workflows = state.services.workflows();
    Ok(Json(
        rows.iter()
            .map(|(r, t)| instance_of_row(t.as_ref().and_then(|t| workflows.get(&t.workflow)), r))
            .collect(),
    ))
}

/// One instance's execution status.
#[utoipa::path(get, path = "/govstack/workflow/instances/{instanceId}", tag = "govstack-workflow", params(("instanceId" = String, Path)), responses((status = 200, body = ProcessInstance), (status = 404, body = ErrorBody)))]
async fn get_instance(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProcessInstance>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let v = state.services.view_case(&c, id).await?;
    let row = CaseRow {
        id: v.case.id,
        tracking_number: v.case.tracking_number.clone(),
        case_type_id: v.case.case_type_id,
        subject: v.case.subject.clone(),
        state: v.case.state.clone(),
        clock: v.case.clock,
        filer_org_id: v.case.filer_org_id,
        holder_org_id: v.case.holder_org_id,
        holder_since: v.case.holder_since,
        assignee_id: v.case.assignee_id,
        due_date: v.case.due_date,
        overdue: v.case.overdue,
        submitted_at: v.case.submitted_at,
        created_at: v.case.created_at,
        updated_at: v.case.updated_at,
    };
    let wf = state.services.workflows().get(&v.case_type.workflow);
    Ok(Json(instance_of_row(wf, &row)))
}

/// Stops an instance: the filer withdraws the case.
#[utoipa::path(post, path = "/govstack/workflow/instances/{instanceId}/stop", tag = "govstack-workflow", params(("instanceId" = String, Path)), responses((status = 201, body = InstanceStatus), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn stop(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<InstanceStatus>), ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let stopped = state.services.withdraw_typed(&c, id).await?;
    let wf = state.services.workflows().get(&stopped.case_type.workflow);
    let mut s = status(wf, &stopped.case);
    s.state = "stopped".into();
    Ok((StatusCode::CREATED, Json(s)))
}

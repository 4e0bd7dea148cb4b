//! The organizations API under `/api/v1`: the organization tree and the
//! holidays deadlines skip.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{parse_day, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::kit::openapi::text;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use diwan_domain::Reason;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The organizations routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list_orgs).post(create_org))
        .route(
            "/organizations/{id}/holidays",
            get(list_holidays).post(add_holiday),
        )
}

/// The organizations paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list_orgs, create_org, list_holidays, add_holiday))]
pub struct OrganizationsDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub time_zone: String,
}

fn kind_schema() -> Object {
    use diwan_domain::organizations::OrgKind;
    text::one_of(
        [
            OrgKind::Ministry,
            OrgKind::Department,
            OrgKind::Section,
            OrgKind::Municipality,
        ]
        .map(OrgKind::as_str),
        "The kind of organization.",
    )
}

impl From<diwan_store::Organization> for OrgDto {
    fn from(o: diwan_store::Organization) -> Self {
        OrgDto {
            id: o.id,
            parent_id: o.parent_id,
            kind: o.kind.as_str().into(),
            code: o.code,
            name_ar: o.name_ar,
            name_en: o.name_en,
            name_fr: o.name_fr,
            time_zone: o.time_zone,
        }
    }
}

/// The organization tree: the ministry, its departments and sections, the municipalities.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", responses((status = 200, body = Vec<OrgDto>), (status = 401, body = ErrorBody)))]
async fn list_orgs(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
) -> ApiResult<Vec<OrgDto>> {
    Ok(Json(
        state
            .services
            .list_orgs()
            .await?
            .into_iter()
            .map(OrgDto::from)
            .collect(),
    ))
}

/// A new organization. Every kind but the ministry needs an existing parent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgRequest {
    /// The organization above this one; required unless `kind` is `ministry`.
    pub parent_id: Option<Uuid>,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = code_schema)]
    pub code: String,
    #[schema(schema_with = name_schema)]
    pub name_ar: String,
    #[schema(schema_with = name_schema)]
    pub name_en: String,
    #[schema(schema_with = name_schema)]
    pub name_fr: String,
    #[schema(schema_with = time_zone_schema)]
    pub time_zone: Option<String>,
}

fn code_schema() -> Object {
    text::trimmed(
        1,
        None,
        "A short code, unique among organizations (409 when taken).",
    )
}

fn name_schema() -> Object {
    text::trimmed(1, None, "The name in one language; not blank.")
}

fn time_zone_schema() -> Object {
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            names
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null]),
        ))
        .description(Some(
            "An IANA time zone, exactly as the database names it; Africa/Tripoli when absent.",
        ))
        .build()
}

/// Adds an organization to the tree (administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = NewOrgRequest, responses((status = 409, description = "Another organization has that code.", body = ErrorBody), (status = 201, body = OrgDto, links(
        ("ListHolidays" = (operation_id = "list_holidays", parameters(("id" = "$response.body#/id")), description = "The new organization's holidays.")),
        ("AddHoliday" = (operation_id = "add_holiday", parameters(("id" = "$response.body#/id")), description = "Add a holiday to its calendar.")),
        ("DepartmentStaff" = (operation_id = "department_staff", parameters(("id" = "$response.body#/id")), description = "Its officers and heads."))
    )), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<NewOrgRequest>,
) -> Result<(StatusCode, Json<OrgDto>), ApiError> {
    let kind = r.kind.parse().map_err(ApiError::from)?;
    let n = diwan_services::organizations::NewOrg {
        parent_id: r.parent_id,
        kind,
        code: r.code,
        name_ar: r.name_ar,
        name_en: r.name_en,
        name_fr: r.name_fr,
        time_zone: r
            .time_zone
            .unwrap_or_else(|| diwan_domain::organizations::DEFAULT_TIME_ZONE.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(OrgDto::from(state.services.create_org(Some(&c), n).await?)),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolidayParams {
    #[param(schema_with = from_schema)]
    pub from: Option<String>,
    #[param(schema_with = to_schema)]
    pub to: Option<String>,
}

fn from_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "First day (YYYY-MM-DD); today when blank.",
    )
}

fn to_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "Last day (YYYY-MM-DD); a year after `from` when blank.",
    )
}

/// An organization's holidays, which deadlines skip.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/holidays", tag = "organizations", params(("id" = Uuid, Path), HolidayParams), responses((status = 200, body = Vec<NaiveDate>), (status = 404, body = ErrorBody)))]
async fn list_holidays(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<HolidayParams>,
) -> ApiResult<Vec<NaiveDate>> {
    let from = parse_day("from", &p.from)?.unwrap_or_else(|| state.services.now().date_naive());
    let to = parse_day("to", &p.to)?.unwrap_or(from + chrono::Duration::days(366));
    Ok(Json(state.services.holidays(id, from, to).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HolidayRequest {
    #[schema(schema_with = day_schema)]
    pub day: String,
    #[schema(schema_with = holiday_name_schema)]
    pub name: String,
}

fn day_schema() -> Object {
    text::matching(
        text::required_pattern(&text::day_forms()),
        "The day, YYYY-MM-DD (1900 to 2999).",
    )
}

fn holiday_name_schema() -> Object {
    text::trimmed(1, None, "What the holiday is; not blank.")
}

/// Adds a holiday to an organization's calendar (administrators).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/holidays", tag = "organizations", params(("id" = Uuid, Path)), request_body = HolidayRequest, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_holiday(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<HolidayRequest>,
) -> Result<StatusCode, ApiError> {
    let day = diwan_domain::calendar::parse_date(&r.day)
        .map_err(|_| ApiError::invalid("day", Reason::DateInvalid))?;
    if r.name.trim().is_empty() {
        return Err(ApiError::invalid("name", Reason::FieldRequired));
    }
    state
        .services
        .add_holiday(Some(&c), id, day, r.name.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The registry API under `/api/v1`: searching persons, reading one, and
//! adding or correcting one by national number.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{parse_uuid, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::kit::openapi::text;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::persons::{Language, Sex, MAX_MOBILES, MAX_NAME_CHARS};
use diwan_domain::Reason;
use diwan_services::persons::{PersonForm, PersonSearch, PAGE};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The registry routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons", get(search_persons).post(save_person))
        .route("/persons/{id}", get(get_person))
}

/// The registry paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(search_persons, save_person, get_person))]
pub struct PersonsDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub id: Uuid,
    pub national_number: String,
    pub name_ar: String,
    pub name_latin: Option<String>,
    #[schema(schema_with = sex_out_schema)]
    pub sex: String,
    pub birth_date: Option<NaiveDate>,
    /// E.164 (`+218912345678`), the first the one to use.
    pub mobiles: Vec<String>,
    pub email: Option<String>,
    pub municipality_id: Option<Uuid>,
    #[schema(schema_with = language_out_schema)]
    pub language: String,
    pub sms_opt_out_at: Option<DateTime<Utc>>,
    pub email_opt_out_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<diwan_store::Person> for PersonDto {
    fn from(p: diwan_store::Person) -> Self {
        PersonDto {
            id: p.id,
            national_number: p.national_number,
            name_ar: p.name_ar,
            name_latin: p.name_latin,
            sex: p.sex.as_str().into(),
            birth_date: p.birth_date,
            mobiles: p.mobiles,
            email: p.email,
            municipality_id: p.municipality_id,
            language: p.language.as_str().into(),
            sms_opt_out_at: p.sms_opt_out_at,
            email_opt_out_at: p.email_opt_out_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

fn sex_out_schema() -> Object {
    text::one_of(Sex::ALL.map(Sex::as_str), "male or female.")
}

fn language_out_schema() -> Object {
    text::one_of(
        Language::ALL.map(Language::as_str),
        "The language the person is written to in.",
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPageDto {
    pub items: Vec<PersonDto>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonParams {
    /// A national number, a mobile number or words of a name, typed in
    /// any usual way (Arabic-Indic digits, spaces, hyphens); everyone in
    /// the caller's sight when blank.
    pub q: Option<String>,
    #[param(schema_with = before_schema)]
    pub before: Option<String>,
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

fn before_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::uuid_forms()),
        "`next_before` of the previous page.",
    )
}

fn limit_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::any_digits(r"0*(?:[1-9]|[1-4]\d|50)")),
        "1 to 50 persons; 50 when blank.",
    )
}

/// Searches the registry, newest first: by national number, by mobile
/// number, or by the words of a name (Arabic-aware, as case search). A
/// municipality's staff find only its residents.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(PersonParams), responses((status = 200, body = PersonPageDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn search_persons(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<PersonParams>,
) -> ApiResult<PersonPageDto> {
    let limit = match p.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            diwan_domain::text::parse_number(s)
                .filter(|n| (1..=u64::from(PAGE)).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", Reason::FieldInvalid))?
                as u32,
        ),
    };
    let s = PersonSearch {
        q: p.q,
        before: parse_uuid("before", &p.before)?,
        limit,
    };
    let page = state.services.search_persons(&c, &s).await?;
    Ok(Json(PersonPageDto {
        items: page.persons.into_iter().map(PersonDto::from).collect(),
        next_before: page.next,
    }))
}

/// A person to add to the registry, or to correct: the national number
/// says which. A correction changes what it sends: a field left out (or
/// null) keeps what the registry has, an empty string or list clears it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonRequest {
    #[schema(schema_with = national_number_schema)]
    pub national_number: String,
    #[schema(schema_with = name_ar_schema)]
    pub name_ar: String,
    #[schema(schema_with = name_latin_schema)]
    pub name_latin: Option<String>,
    #[schema(schema_with = sex_schema)]
    pub sex: Option<Sex>,
    #[schema(schema_with = birth_date_schema)]
    pub birth_date: Option<String>,
    #[schema(schema_with = mobiles_schema)]
    pub mobiles: Option<Vec<String>>,
    #[schema(schema_with = email_schema)]
    pub email: Option<String>,
    /// The municipality of residence (a municipality's staff: their own,
    /// which is also the default).
    pub municipality_id: Option<Uuid>,
    #[schema(schema_with = language_schema)]
    pub language: Option<Language>,
    /// No bulk SMS to this person; as it was when absent.
    pub sms_opt_out: Option<bool>,
    /// No bulk e-mail to this person; as it was when absent.
    pub email_opt_out: Option<bool>,
}

/// Separators people type between digits, and the characters removed
/// from every string, as a class.
fn separators() -> String {
    format!(r"[{}{}\-./()\u2212]*", text::SPACE, text::REMOVED)
}

/// `skeleton` with its digits in every form and each `~` a run of
/// separators, anchored.
fn digits_pattern(skeleton: &str) -> String {
    format!(
        "^{}{}",
        text::any_digits(skeleton).replace('~', &separators()),
        text::END
    )
}

fn nullable(o: ObjectBuilder) -> ObjectBuilder {
    o.schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

fn national_number_schema() -> Object {
    text::matching(
        digits_pattern(r"~[12]~(?:1~9~\d~\d|2~0~\d~\d|2~1~0~0)(?:~\d){7}~"),
        "Twelve digits: 1 (male) or 2 (female), the year of birth, seven more; spaces, hyphens and Arabic-Indic digits are read too.",
    )
}

fn name_pattern() -> String {
    let (b, n) = (
        text::blank(),
        format!("[^{}{}]", text::REMOVED, text::SPACE),
    );
    format!(
        "^{b}*{n}(?:{b}*{n}){{0,{}}}{b}*{}",
        MAX_NAME_CHARS - 1,
        text::END
    )
}

fn name_ar_schema() -> Object {
    text::matching(
        name_pattern(),
        "The full name in Arabic (usually four parts); runs of spaces count as one, at most 200 characters.",
    )
}

fn name_latin_schema() -> Object {
    nullable(ObjectBuilder::new())
        .pattern(Some(format!(
            "^{}*{}|{}",
            text::blank(),
            text::END,
            name_pattern()
        )))
        .description(Some("The name in Latin letters, if known."))
        .build()
}

fn sex_schema() -> Object {
    nullable(ObjectBuilder::new())
        .enum_values(Some(
            Sex::ALL
                .map(|s| serde_json::Value::from(s.as_str()))
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .description(Some("male or female; the national number's when absent."))
        .build()
}

fn language_schema() -> Object {
    nullable(ObjectBuilder::new())
        .enum_values(Some(
            Language::ALL
                .map(|s| serde_json::Value::from(s.as_str()))
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .description(Some(
            "The language messages to the person are written in; ar when absent.",
        ))
        .build()
}

fn birth_date_schema() -> Object {
    nullable(ObjectBuilder::new())
        .pattern(Some(text::optional_pattern(&text::day_forms())))
        .description(Some("YYYY-MM-DD, from 1900 to today."))
        .build()
}

/// A mobile number as people type it: with `+` or `00` and a country code,
/// or Libyan without one (`0912345678`, `912345678`); a Libyan number is a
/// mobile one, 9 and eight more digits.
pub(crate) fn mobile_pattern() -> String {
    let international = r"~(?:2~1~8~(?:0~)?9(?:~\d){8}|(?!2~1~8)[1-9](?:~\d){7,14})~";
    let forms = format!(r"\+{international}|~0~0{international}|~0~9(?:~\d){{8}}~|~9(?:~\d){{8}}~");
    let b = text::blank();
    format!(
        "^{b}*(?:{})?{b}*{}",
        text::any_digits(&forms).replace('~', &separators()),
        text::END
    )
}

fn mobiles_schema() -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(text::matching(
            mobile_pattern(),
            "A mobile number (blank ones are skipped).",
        ))
        .max_items(Some(MAX_MOBILES))
        .description(Some(
            "Up to three mobile numbers, stored as E.164, the first the one to use.",
        ))
        .build()
}

fn email_schema() -> Object {
    let (b, s) = (text::blank(), text::SPACE);
    nullable(ObjectBuilder::new())
        .pattern(Some(format!(
            "^{b}*(?:[^{s}@]+@[^{s}@.]+(?:\\.[^{s}@.]+)+)?{b}*{}",
            text::END
        )))
        .description(Some("An e-mail address (at most 254 characters)."))
        .build()
}

/// Adds a person to the registry (201), or corrects the one with that
/// national number (200). Administrators keep every person; a
/// municipality's staff keep its residents, and a national number
/// registered in another municipality answers 409. The municipality must
/// be an existing one and the date of birth not after today.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = PersonRequest, responses(
    (status = 201, body = PersonDto, links(("GetPerson" = (operation_id = "get_person", parameters(("id" = "$response.body#/id")), description = "The person's record.")))),
    (status = 200, body = PersonDto),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn save_person(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<PersonRequest>,
) -> Result<(StatusCode, Json<PersonDto>), ApiError> {
    let form = PersonForm {
        national_number: r.national_number,
        name_ar: r.name_ar,
        name_latin: r.name_latin,
        sex: r.sex.map(|s| s.as_str().to_owned()),
        birth_date: r.birth_date,
        mobiles: r.mobiles,
        email: r.email,
        municipality_id: r.municipality_id,
        language: r.language.map(|l| l.as_str().to_owned()),
        sms_opt_out: r.sms_opt_out,
        email_opt_out: r.email_opt_out,
        keeps_absent: true,
    };
    let saved = state.services.save_person(&c, form).await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved.person.into())))
}

/// One person's record. Every read is audited (`person.read`); another
/// municipality's resident answers 404 to a municipality's staff.
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = Uuid, Path)), responses((status = 200, body = PersonDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<PersonDto> {
    Ok(Json(state.services.person(&c, id).await?.into()))
}

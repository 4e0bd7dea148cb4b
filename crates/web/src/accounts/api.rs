//! The accounts API under `/api/v1`: signing in and out, who is calling,
//! one's own password, personal API tokens, and the accounts
//! administrators keep.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiResult, ClientAddr};
use crate::kit::openapi::text;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use diwan_domain::Role;
use diwan_services::accounts::NewUser;
use diwan_services::Caller;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The accounts routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/sign-in", post(sign_in))
        .route("/auth/sign-out", post(sign_out))
        .route("/me", get(me))
        .route("/me/password", post(change_password))
        .route("/departments/{id}/staff", get(department_staff))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}/password", post(reset_password))
}

/// The accounts paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    sign_in,
    sign_out,
    me,
    change_password,
    department_staff,
    list_tokens,
    create_token,
    revoke_token,
    list_users,
    create_user,
    reset_password
))]
pub struct AccountsDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    #[schema(schema_with = role_schema)]
    pub role: String,
    pub org_id: Uuid,
}

fn role_schema() -> Object {
    text::one_of(
        Role::ALL.map(Role::as_str),
        "The role: what the account may do.",
    )
}

impl From<&Caller> for UserDto {
    fn from(c: &Caller) -> Self {
        UserDto {
            id: c.user_id,
            username: c.username.clone(),
            display_name: c.display_name.clone(),
            role: c.role.as_str().into(),
            org_id: c.org_id,
        }
    }
}

impl From<diwan_store::User> for UserDto {
    fn from(u: diwan_store::User) -> Self {
        UserDto {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().into(),
            org_id: u.org_id,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    /// A bearer token for this session.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserDto,
}

/// Signs in with a user name and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", request_body = SignInRequest, security(()),
    responses((status = 200, body = SignInResponse), (status = 400, body = ErrorBody), (status = 401, description = "Unknown user name, wrong password or locked account: the answer does not say which", body = ErrorBody), (status = 429, description = "Too many failed sign-ins from this address (by default 20 within 15 minutes); `Retry-After` says when to try again", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before signing in again from this address.")))))]
async fn sign_in(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<SignInResponse> {
    let s = state
        .services
        .sign_in(&req.username, &req.password, addr.0)
        .await?;
    Ok(Json(SignInResponse {
        token: s.token,
        expires_at: s.expires_at,
        user: UserDto::from(&s.caller),
    }))
}

/// Ends the session whose token authenticates this request.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(&headers);
    state.services.sign_out(&c, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password for the signed-in person.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 256)]
    pub current_password: String,
    #[schema(schema_with = new_password_schema)]
    pub new_password: String,
}

/// The shape of a new password. Its strength, which also counts the
/// person's name, is judged when it is set.
fn new_password_schema() -> Object {
    text::counted(
        12,
        256,
        "12 to 256 characters, not trimmed. Common and easily guessed passwords, and ones built from the person's name, are refused (400), as is the current password.",
    )
}

/// Changes the caller's own password. Needs a session token from
/// `/auth/sign-in` (not a personal API token); the person's other sessions end.
/// A wrong current password counts as a failed sign-in, against the account
/// and the caller's address.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, description = "Too many failed password attempts from this address; `Retry-After` says when to try again", body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait before trying again from this address.")))))]
async fn change_password(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(&headers);
    state
        .services
        .change_password(&c, Some(&token), &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn bearer_token(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned())
        .unwrap_or_default()
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
async fn me(ApiCaller(c): ApiCaller) -> ApiResult<UserDto> {
    Ok(Json(UserDto::from(&c)))
}

/// Officers and heads of a department, to choose an assignee from.
#[utoipa::path(get, path = "/api/v1/departments/{id}/staff", tag = "organizations", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<UserDto>), (status = 404, body = ErrorBody)))]
async fn department_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Vec<UserDto>> {
    Ok(Json(
        state
            .services
            .department_staff(&c, id)
            .await?
            .into_iter()
            .map(UserDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "reporting script", "scopes": ["read"], "expires_in_days": 90}))]
pub struct TokenRequest {
    #[schema(schema_with = token_name_schema)]
    pub name: String,
    /// What the token may do; a read-only role's tokens only read.
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(schema_with = expiry_schema)]
    pub expires_in_days: Option<u32>,
}

/// Reads a whole number that JSON may write with a fraction of zero
/// (`30.0`), as JSON Schema's `integer` allows.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = match n.as_u64() {
        Some(u) => u32::try_from(u).ok(),
        None => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
            .map(|f| f as u32),
    };
    whole.map(Some).ok_or_else(|| {
        D::Error::custom(format!("{n} is not a whole number from 0 to {}", u32::MAX))
    })
}

fn token_name_schema() -> Object {
    text::trimmed(1, Some(100), "1 to 100 characters on one line.")
}

fn scopes_schema() -> Array {
    ArrayBuilder::new()
        .items(text::one_of(["read", "write"], "A scope."))
        .min_items(Some(1))
        .description(Some(
            "What the token may do; repeats are ignored. A read-only role's tokens only read.",
        ))
        .build()
}

fn expiry_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(0))
        .maximum(Some(u32::MAX))
        .description(Some(
            "Days until the token expires, counted as 1 to 3650; no expiry when absent.",
        ))
        .build()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<diwan_store::ApiToken> for TokenDto {
    fn from(t: diwan_store::ApiToken) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// Shown once; only its digest is stored.
    pub token: String,
    pub details: TokenDto,
}

/// A new account. A municipal role needs a municipality; every other role
/// an organization of the ministry.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    #[schema(schema_with = username_schema)]
    pub username: String,
    #[schema(schema_with = display_name_schema)]
    pub display_name: String,
    #[schema(schema_with = role_schema)]
    pub role: String,
    /// An existing organization whose kind fits the role.
    pub org_id: Uuid,
    #[schema(schema_with = password_schema)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    #[schema(schema_with = password_schema)]
    pub password: String,
}

/// User names: 3 to 64 ASCII letters, digits, dots, underscores and
/// hyphens once trimmed, kept in lower case.
fn username_schema() -> Object {
    let s = text::blank();
    let removed = text::REMOVED;
    let c = "[A-Za-z0-9._-]";
    text::matching(
        format!("^{s}*{c}(?:[{removed}]*{c}){{2,63}}{s}*$"),
        "3 to 64 letters (a–z, kept in lower case), digits, dots, underscores and hyphens; unique (400 when taken).",
    )
}

fn display_name_schema() -> Object {
    text::trimmed(1, Some(120), "1 to 120 characters on one line.")
}

/// The shape of a password an administrator sets. Its strength, which
/// also counts the person's names, is judged when it is set.
fn password_schema() -> Object {
    text::counted(
        12,
        256,
        "12 to 256 characters, not trimmed. Common and easily guessed passwords, and ones built from the person's names, are refused (400).",
    )
}

/// The caller's personal API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenDto>)))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<TokenDto>> {
    Ok(Json(
        state
            .services
            .list_api_tokens(&c)
            .await?
            .into_iter()
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Creates a personal API token (from a session, not from another token).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenRequest, responses((status = 201, body = NewTokenResponse, links(("RevokeToken" = (operation_id = "revoke_token", parameters(("id" = "$response.body#/details/id")), description = "Revoke the token just made.")))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), ApiError> {
    // Sessions act with every right of their owner; a personal token carries
    // its scopes, and the service refuses to let a token mint another.
    let (t, token) = state
        .services
        .create_api_token(&c, &r.name, &r.scopes, r.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenResponse {
            token,
            details: TokenDto::from(t),
        }),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.services.revoke_api_token(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account (administrators and auditors).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = Vec<UserDto>), (status = 404, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<UserDto>> {
    Ok(Json(
        state
            .services
            .list_users(&c)
            .await?
            .into_iter()
            .map(UserDto::from)
            .collect(),
    ))
}

/// Creates an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserRequest, responses((status = 201, body = UserDto, links(("ResetPassword" = (operation_id = "reset_password", parameters(("id" = "$response.body#/id")), description = "Set the new account's password.")))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let role: Role = r.role.parse().map_err(ApiError::from)?;
    let u = state
        .services
        .create_user(
            Some(&c),
            NewUser {
                username: r.username,
                display_name: r.display_name,
                role,
                org_id: r.org_id,
                password: r.password,
                password_hash: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(u))))
}

/// Sets a new password for an account and ends its sessions (administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "admin", params(("id" = Uuid, Path)), request_body = PasswordRequest, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .reset_password(Some(&c), id, &r.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

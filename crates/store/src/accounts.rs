//! Accounts: people, their sign-in state, sessions and personal API tokens.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::Role;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub password_hash: String,
    pub locale: Option<String>,
    pub active: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    /// Scopes granted: `read`, `write`.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait UserRead {
    async fn get_user(&mut self, id: Uuid) -> Result<Option<User>>;
    /// The people of `ids` that exist, in no particular order.
    async fn get_users(&mut self, ids: &[Uuid]) -> Result<Vec<User>>;
    async fn user_by_username(&mut self, username: &str) -> Result<Option<User>>;
    async fn list_users(&mut self, org_id: Option<Uuid>) -> Result<Vec<User>>;
    async fn count_users(&mut self) -> Result<i64>;
    /// The session whose token hashes to `token_hash`, with its person.
    async fn session_by_hash(&mut self, token_hash: &[u8]) -> Result<Option<(Session, User)>>;
    /// The API token that hashes to `token_hash`, with its person.
    async fn api_token_by_hash(&mut self, token_hash: &[u8]) -> Result<Option<(ApiToken, User)>>;
    async fn list_api_tokens(&mut self, user_id: Uuid) -> Result<Vec<ApiToken>>;
}

#[async_trait]
pub trait UserRepo: UserRead {
    async fn insert_user(&mut self, user: &User) -> Result<()>;
    /// Counts one failed sign-in in a single statement (never read, then
    /// written back, so concurrent failures all count) and locks the account
    /// until `lock_until` when the count reaches `threshold`. Returns the new
    /// count and the end of the lock, if any.
    async fn record_sign_in_failure(
        &mut self,
        id: Uuid,
        threshold: i32,
        lock_until: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>)>;
    async fn record_sign_in_success(&mut self, id: Uuid) -> Result<()>;
    async fn set_password(&mut self, id: Uuid, password_hash: &str) -> Result<()>;
    async fn set_locale(&mut self, id: Uuid, locale: &str) -> Result<()>;

    async fn insert_session(&mut self, s: &Session) -> Result<()>;
    async fn touch_session(&mut self, token_hash: &[u8], expires_at: DateTime<Utc>) -> Result<()>;
    async fn end_session(&mut self, token_hash: &[u8]) -> Result<()>;
    async fn end_user_sessions(&mut self, user_id: Uuid) -> Result<()>;
    /// Ends every session of a person but the one whose token hashes to `keep`.
    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &[u8]) -> Result<()>;

    async fn insert_api_token(&mut self, t: &ApiToken) -> Result<()>;
    async fn revoke_api_token(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Revokes every live token of a person (after a password reset).
    async fn revoke_user_tokens(&mut self, user_id: Uuid, at: DateTime<Utc>) -> Result<u64>;
}

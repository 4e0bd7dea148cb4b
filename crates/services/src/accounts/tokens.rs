//! Personal API tokens: made, listed and revoked by their owner.

use super::{random_token, token_hash, API_TOKEN_PREFIX};
use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::Reason;
use diwan_store::ApiToken;
use serde_json::json;
use uuid::Uuid;

impl Services {
    /// Creates a personal API token; the token itself is returned only now.
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        name: &str,
        scopes: &[String],
        days: Option<u32>,
    ) -> Result<(ApiToken, String)> {
        if caller.scopes.is_some() {
            // A token cannot mint further tokens.
            return Err(Error::forbidden());
        }
        let name = diwan_domain::text::clean_line(name, 101);
        let name = name.as_str();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid(
                "name",
                if name.is_empty() {
                    Reason::FieldRequired
                } else {
                    Reason::FieldTooLong
                },
            ));
        }
        let mut granted: Vec<String> = Vec::new();
        for s in scopes {
            match s.as_str() {
                "read" | "write" if !granted.contains(s) => granted.push(s.clone()),
                "read" | "write" => {}
                _ => return Err(Error::invalid("scopes", Reason::FieldInvalid)),
            }
        }
        if granted.is_empty() {
            return Err(Error::invalid("scopes", Reason::FieldRequired));
        }
        if caller.role.is_read_only() {
            granted.retain(|s| s == "read");
        }
        let now = self.now();
        let token = random_token(API_TOKEN_PREFIX);
        let t = ApiToken {
            id: Uuid::now_v7(),
            user_id: caller.user_id,
            name: name.to_owned(),
            token_hash: token_hash(&token),
            scopes: granted,
            created_at: now,
            expires_at: days.map(|d| now + chrono::Duration::days(d.clamp(1, 3650) as i64)),
            revoked_at: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_api_token(&t).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "token.create",
            "api_token",
            Some(t.id.to_string()),
            json!({"name": t.name, "scopes": t.scopes}),
        )
        .await?;
        tx.commit().await?;
        Ok((t, token))
    }

    /// The page of a person's API tokens.
    pub async fn tokens_page(&self, caller: &Caller) -> Result<Shown<Vec<ApiToken>>> {
        let mut tx = self.store.read().await?;
        let body = tx.list_api_tokens(caller.user_id).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body })
    }

    pub async fn list_api_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>> {
        let mut tx = self.store.read().await?;
        Ok(tx.list_api_tokens(caller.user_id).await?)
    }

    pub async fn revoke_api_token(&self, caller: &Caller, id: Uuid) -> Result<()> {
        if !caller.has_write_scope() {
            return Err(Error::forbidden());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.revoke_api_token(caller.user_id, id, now).await? {
            return Err(Error::not_found());
        }
        record(
            &mut *tx,
            Some(caller),
            now,
            "token.revoke",
            "api_token",
            Some(id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_credentials();
        Ok(())
    }
}

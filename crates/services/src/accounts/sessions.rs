//! Sign-in, the sessions it opens, and sign-out: every password attempt
//! throttled per address and counted against the account.

use super::{
    anonymous, caller_from, random_token, throttle, token_hash, SignedIn, API_TOKEN_PREFIX,
    MAX_USERNAME, SESSION_PREFIX,
};
use crate::audit::record;
use crate::cache::Credential;
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, Utc};
use diwan_domain::{DomainError, ErrorCode};
use diwan_store::Session;
use serde_json::json;

impl Services {
    /// Signs a person in.
    ///
    /// Every attempt, successful or not, is audited. An unknown user name, an
    /// inactive account, a wrong password and a locked account all answer
    /// `invalid_credentials` after the same work (one Argon2 check) and the
    /// same back-off, so neither the answer nor its timing tells which user
    /// names exist. Failures count against the account (atomically, in SQL)
    /// and against the client's address. An address past its limit is
    /// refused before any check. A locked account refuses addresses that have
    /// been failing, but still accepts its right password from an address
    /// that has not: a stranger cannot lock a person out from afar.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        ip: Option<String>,
    ) -> Result<SignedIn> {
        let now = self.now();
        let name = diwan_domain::text::clean_line(username, MAX_USERNAME + 1).to_lowercase();
        let attempt = self.attempt(ip.as_deref(), now)?;
        let ip_failures = attempt.failures;
        let user = if name.chars().count() <= MAX_USERNAME {
            let mut tx = self.store.read().await?;
            tx.user_by_username(&name).await?
        } else {
            None
        };
        let user = user.filter(|u| u.active);
        let password_ok = match &user {
            Some(u) => self.passwords.verify(password, &u.password_hash).await?,
            None => {
                self.passwords.verify_dummy(password).await?;
                false
            }
        };
        let locked = user
            .as_ref()
            .is_some_and(|u| u.locked_until.is_some_and(|t| t > now));
        let refused_while_locked = locked && ip_failures > 0;
        let Some(user) = user.filter(|_| password_ok && !refused_while_locked) else {
            return self
                .sign_in_failed(&name, ip, now, password_ok, locked, attempt)
                .await;
        };
        let caller = caller_from(&user, ip.clone(), None);
        let mut tx = self.store.begin().await?;
        // Failures sent at the same time as this attempt may have locked the
        // account since it was read: from an address that has been failing,
        // the lock holds.
        let locked_now = tx
            .get_user(user.id)
            .await?
            .is_some_and(|u| u.locked_until.is_some_and(|t| t > now));
        if locked_now && self.sign_in_throttle.failures(ip.as_deref(), now) > 0 {
            drop(tx);
            return self
                .sign_in_failed(&name, ip, now, true, true, attempt)
                .await;
        }
        tx.record_sign_in_success(user.id).await?;
        let token = random_token(SESSION_PREFIX);
        let csrf_token = random_token("");
        let expires_at =
            now + chrono::Duration::from_std(self.config.session_ttl).unwrap_or_default();
        tx.insert_session(&Session {
            token_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at,
            ip: ip.clone(),
        })
        .await?;
        record(
            &mut *tx,
            Some(&caller),
            now,
            "auth.sign_in",
            "user",
            Some(user.id.to_string()),
            json!({"while_locked": locked}),
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn {
            token,
            csrf_token,
            expires_at,
            caller,
        })
    }

    /// The failed half of [`Self::sign_in`]: counts the failure, audits it,
    /// holds the answer back and refuses.
    async fn sign_in_failed(
        &self,
        name: &str,
        ip: Option<String>,
        now: DateTime<Utc>,
        password_ok: bool,
        locked: bool,
        attempt: throttle::Attempt,
    ) -> Result<SignedIn> {
        let mut tx = self.store.begin().await?;
        // The user is read again in the write transaction: a sign-in for an
        // account created meanwhile still counts against it.
        let user = if name.chars().count() <= MAX_USERNAME {
            tx.user_by_username(name).await?.filter(|u| u.active)
        } else {
            None
        };
        match &user {
            Some(u) => {
                let caller = caller_from(u, ip.clone(), None);
                let (reason, failed, lock) = if password_ok {
                    // The right password from an address that has been failing.
                    ("locked", u.failed_attempts, u.locked_until)
                } else {
                    let lock_until = now
                        + chrono::Duration::from_std(self.config.lockout_duration)
                            .unwrap_or_default();
                    let (failed, lock) = tx
                        .record_sign_in_failure(u.id, self.config.lockout_threshold, lock_until)
                        .await?;
                    ("bad_password", failed, lock)
                };
                record(
                    &mut *tx,
                    Some(&caller),
                    now,
                    "auth.sign_in_failed",
                    "user",
                    Some(u.id.to_string()),
                    json!({
                        "reason": reason,
                        "failed_attempts": failed,
                        "locked": lock.is_some_and(|t| t > now),
                        "was_locked": locked,
                    }),
                )
                .await?;
            }
            None => {
                let anon = Caller {
                    // Bounded and cleaned: the audit trail keeps it for ever.
                    username: name.chars().take(MAX_USERNAME).collect(),
                    ..anonymous(ip.clone())
                };
                record(
                    &mut *tx,
                    Some(&anon),
                    now,
                    "auth.sign_in_failed",
                    "user",
                    None,
                    json!({"reason": "unknown_user"}),
                )
                .await?;
            }
        }
        tx.commit().await?;
        let failures = attempt.fail(now);
        tokio::time::sleep(throttle::back_off(failures)).await;
        Err(DomainError::new(ErrorCode::InvalidCredentials).into())
    }

    /// Begins an attempt at a password from `ip` (a sign-in, or the check of
    /// a current password), or refuses it when the address has failed too
    /// often or has too many attempts under way.
    pub(super) fn attempt(
        &self,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<throttle::Attempt> {
        self.sign_in_throttle.attempt(ip, now).map_err(|until| {
            tracing::warn!(ip = ?ip, "password attempt refused: too many failures from this address");
            metrics::counter!("diwan_sign_in_throttled_total").increment(1);
            let secs = (until - now).num_seconds().max(1) as u64;
            DomainError::new(ErrorCode::TooManyAttempts)
                .retry_after(secs.div_ceil(60) * 60)
                .into()
        })
    }

    /// Finds who holds a session or API token. Returns the caller and, for a
    /// browser session, its CSRF token. Expired, revoked or unknown tokens
    /// give `None`.
    pub async fn authenticate(
        &self,
        token: &str,
        ip: Option<String>,
    ) -> Result<Option<(Caller, Option<String>)>> {
        let now = self.now();
        let h = token_hash(token);
        let session = token.starts_with(SESSION_PREFIX);
        if !session && !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let found = self
            .cache
            .credential(&h, async {
                let mut tx = self.store.read().await?;
                Ok(if session {
                    tx.session_by_hash(&h)
                        .await?
                        .map(|(s, u)| Credential::Session(s, u))
                } else {
                    tx.api_token_by_hash(&h)
                        .await?
                        .map(|(t, u)| Credential::Token(t, u))
                })
            })
            .await?;
        match found.as_deref() {
            None => Ok(None),
            Some(Credential::Session(s, u)) => {
                let max_age = chrono::Duration::from_std(self.config.session_max_lifetime)
                    .unwrap_or_default();
                let hard_end = s.created_at + max_age;
                if s.expires_at <= now || hard_end <= now || !u.active {
                    return Ok(None);
                }
                // Sliding expiry, written at most every few minutes to spare
                // the writer, and never past the session's absolute end.
                let ttl = chrono::Duration::from_std(self.config.session_ttl).unwrap_or_default();
                if s.expires_at - now < ttl - chrono::Duration::minutes(5)
                    && s.expires_at < hard_end
                {
                    let mut tx = self.store.begin().await?;
                    tx.touch_session(&h, (now + ttl).min(hard_end)).await?;
                    tx.commit().await?;
                    self.cache.forget_credential(&h);
                }
                Ok(Some((caller_from(u, ip, None), Some(s.csrf_token.clone()))))
            }
            Some(Credential::Token(t, u)) => {
                if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) || !u.active {
                    return Ok(None);
                }
                Ok(Some((caller_from(u, ip, Some(t.scopes.clone())), None)))
            }
        }
    }

    /// Ends the session of `token`; signing out with a personal API token
    /// revokes that token.
    pub async fn sign_out(&self, caller: &Caller, token: &str) -> Result<()> {
        if !caller.has_write_scope() {
            return Err(Error::forbidden());
        }
        let now = self.now();
        let h = token_hash(token);
        let mut tx = self.store.begin().await?;
        let mut revoked = None;
        if token.starts_with(API_TOKEN_PREFIX) {
            if let Some((t, _)) = tx.api_token_by_hash(&h).await? {
                tx.revoke_api_token(caller.user_id, t.id, now).await?;
                revoked = Some(t.id.to_string());
            }
        } else {
            tx.end_session(&h).await?;
        }
        record(
            &mut *tx,
            Some(caller),
            now,
            "auth.sign_out",
            "user",
            Some(caller.user_id.to_string()),
            json!({"revoked_token": revoked}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_credentials();
        Ok(())
    }
}

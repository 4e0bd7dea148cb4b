//! Accounts: people, their passwords, sign-in and sessions (`sessions.rs`),
//! API tokens (`tokens.rs`).
//!
//! Passwords are hashed with Argon2id using OWASP's recommended parameters
//! (19 MiB of memory, two passes, one lane). Session and API tokens are 256
//! random bits; only their SHA-256 digests are stored, so a copy of the
//! database cannot be used to sign in. Password hashing and policy live in
//! [`password`], the per-address sign-in throttle in [`throttle`].

pub mod password;
mod sessions;
pub mod throttle;
mod tokens;

use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use diwan_domain::Reason;
use diwan_domain::Role;
use diwan_store::User;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Prefix of browser and API session tokens.
pub const SESSION_PREFIX: &str = "dws_";
/// Prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "dwt_";
/// The longest user name looked up at sign-in; anything longer cannot exist.
const MAX_USERNAME: usize = 64;

/// Hashes a password with the default hasher (command-line use and tests;
/// the services use their own, bounded one).
pub async fn hash_password(password: &str) -> Result<String> {
    password::Hasher::new(1).hash(password).await
}

fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// A random token for forms shown before anyone is signed in (the sign-in
/// form's own CSRF token).
pub fn new_form_token() -> String {
    random_token("")
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn caller_from(u: &User, ip: Option<String>, scopes: Option<Vec<String>>) -> Caller {
    Caller {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        org_id: u.org_id,
        ip,
        scopes,
        locale: u.locale.clone(),
    }
}

/// A session just opened: the token goes into a cookie or an API client.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub caller: Caller,
}

/// A new account, as an administrator or the command line enters it.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub password: String,
    /// A hash made already (the demo accounts share one), used instead of
    /// hashing `password`; the password policy is then not checked.
    pub password_hash: Option<String>,
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(u)
    } else {
        Err(Error::invalid("username", Reason::FieldInvalid))
    }
}

impl Services {
    /// Creates an account. Administrators only; `None` is the command line.
    pub async fn create_user(&self, caller: Option<&Caller>, n: NewUser) -> Result<User> {
        if let Some(c) = caller {
            if c.role != Role::Admin || !c.can_write() {
                return Err(Error::forbidden());
            }
        }
        let username = check_username(&n.username)?;
        let display_name = diwan_domain::text::clean_line(&n.display_name, 121);
        if display_name.is_empty() {
            return Err(Error::invalid("display_name", Reason::FieldRequired));
        }
        if display_name.chars().count() > 120 {
            return Err(Error::invalid("display_name", Reason::FieldTooLong));
        }
        let hash = match n.password_hash {
            Some(h) => h,
            None => {
                password::check_policy(&n.password, &[&username, &display_name])?;
                self.passwords.hash(&n.password).await?
            }
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let org = tx
            .get_org(n.org_id)
            .await?
            .ok_or_else(|| Error::invalid("org_id", Reason::FieldInvalid))?;
        let municipal_org = org.kind == diwan_domain::organizations::OrgKind::Municipality;
        if n.role.is_municipal() != municipal_org {
            return Err(Error::invalid("org_id", Reason::FieldInvalid));
        }
        let user = User {
            id: Uuid::now_v7(),
            username,
            display_name,
            role: n.role,
            org_id: n.org_id,
            password_hash: hash,
            locale: None,
            active: true,
            failed_attempts: 0,
            locked_until: None,
            created_at: now,
        };
        tx.insert_user(&user).await.map_err(|e| match e {
            diwan_store::StoreError::Conflict(_) => {
                Error::invalid("username", Reason::UsernameTaken)
            }
            e => e.into(),
        })?;
        record(
            &mut *tx,
            caller,
            now,
            "user.create",
            "user",
            Some(user.id.to_string()),
            json!({"username": user.username, "role": user.role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_staff(user.org_id);
        Ok(user)
    }

    /// The administration page of accounts.
    pub async fn users_page(&self, caller: &Caller) -> Result<Shown<Vec<User>>> {
        if !matches!(caller.role, Role::Admin | Role::Auditor) {
            return Err(Error::not_found());
        }
        let mut tx = self.store.read().await?;
        let body = tx.list_users(None).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body })
    }

    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>> {
        if !matches!(caller.role, Role::Admin | Role::Auditor) {
            return Err(Error::not_found());
        }
        let mut tx = self.store.read().await?;
        Ok(tx.list_users(None).await?)
    }

    /// The officers and heads of a department, to choose an assignee from.
    pub async fn department_staff(
        &self,
        caller: &Caller,
        department_id: Uuid,
    ) -> Result<Vec<User>> {
        if caller.role.is_municipal() {
            return Err(Error::not_found());
        }
        let mut tx = self.store.read().await?;
        let users = tx.list_users(Some(department_id)).await?;
        Ok(users
            .into_iter()
            .filter(|u| u.active && matches!(u.role, Role::Officer | Role::DepartmentHead))
            .collect())
    }

    /// An administrator sets a new password; the person's sessions end.
    pub async fn reset_password(
        &self,
        caller: Option<&Caller>,
        user_id: Uuid,
        password: &str,
    ) -> Result<()> {
        if let Some(c) = caller {
            if c.role != Role::Admin || !c.can_write() {
                return Err(Error::forbidden());
            }
        }
        let mut tx = self.store.read().await?;
        let user = tx.get_user(user_id).await?.ok_or_else(Error::not_found)?;
        drop(tx);
        password::check_policy(password, &[&user.username, &user.display_name])?;
        let hash = self.passwords.hash(password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_password(user_id, &hash).await?;
        tx.end_user_sessions(user_id).await?;
        let tokens = tx.revoke_user_tokens(user_id, now).await?;
        record(
            &mut *tx,
            caller,
            now,
            "user.password_reset",
            "user",
            Some(user_id.to_string()),
            json!({"tokens_revoked": tokens}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_credentials();
        Ok(())
    }

    /// A person changes their own password: the current one must be right,
    /// the new one must meet the policy; their other sessions end.
    pub async fn change_password(
        &self,
        caller: &Caller,
        session_token: Option<&str>,
        current: &str,
        new: &str,
    ) -> Result<()> {
        if caller.scopes.is_some() {
            // Only a person at a browser or with a session changes a password.
            return Err(Error::forbidden());
        }
        let mut tx = self.store.read().await?;
        let user = tx
            .get_user(caller.user_id)
            .await?
            .ok_or_else(Error::not_found)?;
        drop(tx);
        // Checking the current password is a password attempt like a
        // sign-in: throttled per address, counted against the account and
        // audited, so that a taken session cannot be used to guess it.
        let now = self.now();
        let attempt = self.attempt(caller.ip.as_deref(), now)?;
        let locked = user.locked_until.is_some_and(|t| t > now) && attempt.failures > 0;
        if locked || !self.passwords.verify(current, &user.password_hash).await? {
            return self.password_change_refused(caller, now, attempt).await;
        }
        drop(attempt);
        if current == new {
            return Err(Error::invalid("new_password", Reason::PasswordSame));
        }
        password::check_policy(new, &[&user.username, &user.display_name]).map_err(
            |e| match e {
                Error::Domain(d) => Error::Domain(diwan_domain::DomainError {
                    details: d
                        .details
                        .into_iter()
                        .map(|(_, r)| ("new_password".to_owned(), r))
                        .collect(),
                    ..d
                }),
                e => e,
            },
        )?;
        let hash = self.passwords.hash(new).await?;
        let mut tx = self.store.begin().await?;
        tx.set_password(caller.user_id, &hash).await?;
        tx.end_other_sessions(caller.user_id, &token_hash(session_token.unwrap_or("")))
            .await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "user.password_change",
            "user",
            Some(caller.user_id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_credentials();
        Ok(())
    }

    /// The refused half of [`Self::change_password`]: counts the failure
    /// against the account and the address, audits it, holds the answer
    /// back and refuses.
    async fn password_change_refused(
        &self,
        caller: &Caller,
        now: DateTime<Utc>,
        attempt: throttle::Attempt,
    ) -> Result<()> {
        let lock_until =
            now + chrono::Duration::from_std(self.config.lockout_duration).unwrap_or_default();
        let mut tx = self.store.begin().await?;
        let (failed, lock) = tx
            .record_sign_in_failure(caller.user_id, self.config.lockout_threshold, lock_until)
            .await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "user.password_change_refused",
            "user",
            Some(caller.user_id.to_string()),
            json!({
                "failed_attempts": failed,
                "locked": lock.is_some_and(|t| t > now),
            }),
        )
        .await?;
        tx.commit().await?;
        let failures = attempt.fail(now);
        tokio::time::sleep(throttle::back_off(failures)).await;
        Err(Error::invalid(
            "current_password",
            Reason::PasswordCurrentWrong,
        ))
    }

    pub async fn set_locale(&self, caller: &Caller, locale: &str) -> Result<()> {
        if !matches!(locale, "ar" | "en" | "fr") {
            return Err(Error::invalid("lang", Reason::FieldInvalid));
        }
        let mut tx = self.store.begin().await?;
        tx.set_locale(caller.user_id, locale).await?;
        record(
            &mut *tx,
            Some(caller),
            self.now(),
            "user.set_locale",
            "user",
            Some(caller.user_id.to_string()),
            json!({"locale": locale}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let mut tx = self.store.read().await?;
        Ok(tx.user_by_username(&username.trim().to_lowercase()).await?)
    }
}

fn anonymous(ip: Option<String>) -> Caller {
    Caller {
        user_id: Uuid::nil(),
        username: String::new(),
        display_name: String::new(),
        role: Role::Auditor,
        org_id: Uuid::nil(),
        ip,
        scopes: Some(vec![]),
        locale: None,
    }
}

//! Sign-in, sessions, API tokens and accounts.
//!
//! Passwords are hashed with Argon2id using OWASP's recommended parameters
//! (19 MiB of memory, two passes, one lane). Session and API tokens are 256
//! random bits; only their SHA-256 digests are stored, so a copy of the
//! database cannot be used to sign in. Password hashing and policy live in
//! [`password`], the per-address sign-in throttle in [`throttle`].

pub mod password;
pub mod throttle;

use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use diwan_domain::Reason;
use diwan_domain::{DomainError, ErrorCode, Role};
use diwan_store::{ApiToken, Session, User};
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
        let ip_failures = match self.sign_in_throttle.standing(ip.as_deref(), now) {
            throttle::Standing::Open { failures } => failures,
            throttle::Standing::Refused { until } => {
                tracing::warn!(ip = ?ip, "sign-in refused: too many failures from this address");
                metrics::counter!("diwan_sign_in_throttled_total").increment(1);
                let minutes = ((until - now).num_seconds().max(0) + 59) / 60;
                return Err(DomainError::new(ErrorCode::TooManyAttempts)
                    .retry_after(minutes as u64 * 60)
                    .into());
            }
        };
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
                .sign_in_failed(&name, ip, now, password_ok, locked)
                .await;
        };
        let caller = caller_from(&user, ip.clone(), None);
        let mut tx = self.store.begin().await?;
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
        let failures = self.sign_in_throttle.fail(ip.as_deref(), now);
        tokio::time::sleep(throttle::back_off(failures)).await;
        Err(DomainError::new(ErrorCode::InvalidCredentials).into())
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
        let mut tx = self.store.read().await?;
        if token.starts_with(SESSION_PREFIX) {
            let Some((s, u)) = tx.session_by_hash(&h).await? else {
                return Ok(None);
            };
            let max_age =
                chrono::Duration::from_std(self.config.session_max_lifetime).unwrap_or_default();
            let hard_end = s.created_at + max_age;
            if s.expires_at <= now || hard_end <= now {
                return Ok(None);
            }
            if !u.active {
                return Ok(None);
            }
            drop(tx);
            // Sliding expiry, written at most every few minutes to spare the
            // writer, and never past the session's absolute end.
            let ttl = chrono::Duration::from_std(self.config.session_ttl).unwrap_or_default();
            if s.expires_at - now < ttl - chrono::Duration::minutes(5) && s.expires_at < hard_end {
                let mut tx = self.store.begin().await?;
                tx.touch_session(&h, (now + ttl).min(hard_end)).await?;
                tx.commit().await?;
            }
            Ok(Some((caller_from(&u, ip, None), Some(s.csrf_token))))
        } else if token.starts_with(API_TOKEN_PREFIX) {
            let Some((t, u)) = tx.api_token_by_hash(&h).await? else {
                return Ok(None);
            };
            if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
                return Ok(None);
            }
            if !u.active {
                return Ok(None);
            }
            Ok(Some((caller_from(&u, ip, Some(t.scopes)), None)))
        } else {
            Ok(None)
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
        Ok(())
    }

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
        Ok(())
    }

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
        if !self.passwords.verify(current, &user.password_hash).await? {
            return Err(Error::invalid(
                "current_password",
                Reason::PasswordCurrentWrong,
            ));
        }
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
        let now = self.now();
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
        Ok(())
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

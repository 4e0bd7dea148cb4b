//! Sign-in, sessions, API tokens and accounts.
//!
//! Passwords are hashed with Argon2id using OWASP's recommended parameters
//! (19 MiB of memory, two passes, one lane). Session and API tokens are 256
//! random bits; only their SHA-256 digests are stored, so a copy of the
//! database cannot be used to sign in.

use crate::audit::record;
use crate::{Caller, Error, Result, Services};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chrono::{DateTime, Utc};
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
const MIN_PASSWORD: usize = 10;
const MAX_PASSWORD: usize = 256;

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters"),
    )
}

/// Hashes a password (slow on purpose; runs off the async threads).
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

pub fn check_password_policy(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(Error::invalid("password", "password-too-short"));
    }
    if n > MAX_PASSWORD {
        return Err(Error::invalid("password", "field-too-long"));
    }
    Ok(())
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
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(u)
    } else {
        Err(Error::invalid("username", "field-invalid"))
    }
}

impl Services {
    /// Signs a person in. Wrong passwords count towards a lockout; every
    /// attempt, successful or not, is audited in the same transaction as the
    /// change to the account's counters.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        ip: Option<String>,
    ) -> Result<SignedIn> {
        let now = self.now();
        let name = username.trim().to_lowercase();
        let mut tx = self.store.begin().await?;
        let user = tx.user_by_username(&name).await?;
        let Some(user) = user.filter(|u| u.active) else {
            drop(tx);
            // Spend the time a real check takes, so the answer does not tell
            // which user names exist.
            let _ = hash_password(password).await;
            let mut tx = self.store.begin().await?;
            let anon = Caller {
                username: name.clone(),
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
            tx.commit().await?;
            return Err(DomainError::new(ErrorCode::InvalidCredentials).into());
        };
        let caller = caller_from(&user, ip.clone(), None);
        if user.locked_until.is_some_and(|t| t > now) {
            record(
                &mut *tx,
                Some(&caller),
                now,
                "auth.sign_in_failed",
                "user",
                Some(user.id.to_string()),
                json!({"reason": "locked"}),
            )
            .await?;
            tx.commit().await?;
            return Err(DomainError::new(ErrorCode::AccountLocked).into());
        }
        // Verifying takes a while; the write transaction is not held meanwhile.
        drop(tx);
        let ok = verify_password(password, &user.password_hash).await;
        let mut tx = self.store.begin().await?;
        if !ok {
            let failed = user.failed_attempts + 1;
            let locked = (failed >= self.config.lockout_threshold).then(|| {
                now + chrono::Duration::from_std(self.config.lockout_duration).unwrap_or_default()
            });
            tx.record_sign_in_failure(user.id, failed, locked).await?;
            record(&mut *tx, Some(&caller), now, "auth.sign_in_failed", "user", Some(user.id.to_string()), json!({"reason": "bad_password", "failed_attempts": failed, "locked": locked.is_some()}))
                .await?;
            tx.commit().await?;
            // Back off: each consecutive failure makes the next answer slower.
            let pause = std::time::Duration::from_millis(100 * (failed.clamp(0, 20) as u64));
            tokio::time::sleep(pause).await;
            let code = if locked.is_some() {
                ErrorCode::AccountLocked
            } else {
                ErrorCode::InvalidCredentials
            };
            return Err(DomainError::new(code).into());
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
            json!({}),
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
            let Some(s) = tx.session_by_hash(&h).await? else {
                return Ok(None);
            };
            if s.expires_at <= now {
                return Ok(None);
            }
            let Some(u) = tx.get_user(s.user_id).await?.filter(|u| u.active) else {
                return Ok(None);
            };
            drop(tx);
            // Sliding expiry, written at most every few minutes to spare the writer.
            let ttl = chrono::Duration::from_std(self.config.session_ttl).unwrap_or_default();
            if s.expires_at - now < ttl - chrono::Duration::minutes(5) {
                let mut tx = self.store.begin().await?;
                tx.touch_session(&h, now + ttl).await?;
                tx.commit().await?;
            }
            Ok(Some((caller_from(&u, ip, None), Some(s.csrf_token))))
        } else if token.starts_with(API_TOKEN_PREFIX) {
            let Some(t) = tx.api_token_by_hash(&h).await? else {
                return Ok(None);
            };
            if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
                return Ok(None);
            }
            let Some(u) = tx.get_user(t.user_id).await?.filter(|u| u.active) else {
                return Ok(None);
            };
            Ok(Some((caller_from(&u, ip, Some(t.scopes)), None)))
        } else {
            Ok(None)
        }
    }

    pub async fn sign_out(&self, caller: &Caller, token: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.end_session(&token_hash(token)).await?;
        record(
            &mut *tx,
            Some(caller),
            self.now(),
            "auth.sign_out",
            "user",
            Some(caller.user_id.to_string()),
            json!({}),
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
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid(
                "name",
                if name.is_empty() {
                    "field-required"
                } else {
                    "field-too-long"
                },
            ));
        }
        let mut granted: Vec<String> = Vec::new();
        for s in scopes {
            match s.as_str() {
                "read" | "write" if !granted.contains(s) => granted.push(s.clone()),
                "read" | "write" => {}
                _ => return Err(Error::invalid("scopes", "field-invalid")),
            }
        }
        if granted.is_empty() {
            return Err(Error::invalid("scopes", "field-required"));
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

    pub async fn list_api_tokens(&self, caller: &Caller) -> Result<Vec<ApiToken>> {
        let mut tx = self.store.read().await?;
        Ok(tx.list_api_tokens(caller.user_id).await?)
    }

    pub async fn revoke_api_token(&self, caller: &Caller, id: Uuid) -> Result<()> {
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
        let display_name = n.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 120 {
            return Err(Error::invalid("display_name", "field-required"));
        }
        check_password_policy(&n.password)?;
        let hash = hash_password(&n.password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let org = tx
            .get_org(n.org_id)
            .await?
            .ok_or_else(|| Error::invalid("org_id", "field-invalid"))?;
        let municipal_org = org.kind == diwan_domain::org::OrgKind::Municipality;
        if n.role.is_municipal() != municipal_org {
            return Err(Error::invalid("org_id", "field-invalid"));
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
            diwan_store::StoreError::Conflict(_) => Error::invalid("username", "username-taken"),
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
        Ok(user)
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
        check_password_policy(password)?;
        let hash = hash_password(password).await?;
        let mut tx = self.store.begin().await?;
        tx.get_user(user_id).await?.ok_or_else(Error::not_found)?;
        tx.set_password(user_id, &hash).await?;
        tx.end_user_sessions(user_id).await?;
        record(
            &mut *tx,
            caller,
            self.now(),
            "user.password_reset",
            "user",
            Some(user_id.to_string()),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_locale(&self, caller: &Caller, locale: &str) -> Result<()> {
        if !matches!(locale, "ar" | "en" | "fr") {
            return Err(Error::invalid("lang", "field-invalid"));
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

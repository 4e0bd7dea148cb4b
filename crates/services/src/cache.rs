//! What rarely changes, kept in memory: the case-type catalogue, the
//! organization tree, each organization's holidays and its staff; and, for
//! a moment, who holds each session and API token.
//!
//! A filing needs all four, and reading them from the database made up
//! most of its statements. Each entry is dropped when a use case of this
//! process changes what it holds, after the change commits, and is read
//! again at most `ttl` after it was filled, so that a change made by
//! another node (or by `diwan admin` in another process) is seen within
//! that time. A read that started before a change never fills the cache
//! with what it saw: each kind carries a generation that a change moves on.

use crate::Result;
use chrono::NaiveDate;
use diwan_domain::Role;
use diwan_store::{ApiToken, CaseType, Organization, ReadTx, Session, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A person as the cache keeps them: no password hash, only what deciding
/// whom to notify, and showing their name, needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

struct Entry<T> {
    value: Arc<T>,
    filled: Instant,
}

/// One kind of entry: values by key, and the generation changes move on.
struct Slot<K, T> {
    entries: HashMap<K, Entry<T>>,
    generation: u64,
}

impl<K, T> Default for Slot<K, T> {
    fn default() -> Self {
        Slot {
            entries: HashMap::new(),
            generation: 0,
        }
    }
}

/// What a session or an API token stood for when it was read: the
/// session or token and its user, without the password hash.
#[derive(Debug, Clone)]
pub enum Credential {
    Session(Session, User),
    Token(ApiToken, User),
}

/// How long a credential read is trusted: every request names one, and
/// reading it was a round trip to the database for each (a fifth of the
/// database's work while cases are filed). A credential ended on this node
/// is forgotten at once; one ended on another node, or by `diwan admin`,
/// works here for at most this long.
pub const CREDENTIALS_FOR: Duration = Duration::from_secs(1);

/// The most entries a slot keeps (credentials; organizations' holidays
/// and staff).
const MAX_ENTRIES: usize = 10_000;

/// The cache of one [`crate::Services`].
pub struct Cache {
    ttl: Duration,
    case_types: Mutex<Slot<(), Vec<CaseType>>>,
    orgs: Mutex<Slot<(), Vec<Organization>>>,
    holidays: Mutex<Slot<Uuid, Vec<NaiveDate>>>,
    staff: Mutex<Slot<Uuid, Vec<StaffMember>>>,
    credentials: Mutex<Slot<Vec<u8>, Credential>>,
}

/// Looks `key` up in `slot`; on a miss, or an entry older than `ttl`,
/// fills it with `load` unless the slot changed meanwhile.
async fn cached<K, T, F>(slot: &Mutex<Slot<K, T>>, ttl: Duration, key: K, load: F) -> Result<Arc<T>>
where
    K: std::hash::Hash + Eq + Clone,
    F: std::future::Future<Output = Result<T>>,
{
    let found = cached_found(slot, ttl, key, async { Ok(Some(load.await?)) }).await?;
    found.ok_or_else(|| crate::Error::Internal("a cache entry was read as nothing".into()))
}

/// [`cached`] for what may not exist: nothing found is not kept, and is
/// looked up again every time. A slot keeps at most [`MAX_ENTRIES`]:
/// past it, those older than `ttl` go, and all of them if that is not
/// enough.
async fn cached_found<K, T, F>(
    slot: &Mutex<Slot<K, T>>,
    ttl: Duration,
    key: K,
    load: F,
) -> Result<Option<Arc<T>>>
where
    K: std::hash::Hash + Eq + Clone,
    F: std::future::Future<Output = Result<Option<T>>>,
{
    let generation = {
        let s = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = s.entries.get(&key) {
            if e.filled.elapsed() < ttl {
                return Ok(Some(e.value.clone()));
            }
        }
        s.generation
    };
    let Some(value) = load.await? else {
        return Ok(None);
    };
    let value = Arc::new(value);
    let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
    if s.generation == generation {
        if s.entries.len() >= MAX_ENTRIES {
            s.entries.retain(|_, e| e.filled.elapsed() < ttl);
            if s.entries.len() >= MAX_ENTRIES {
                s.entries.clear();
            }
        }
        s.entries.insert(
            key,
            Entry {
                value: value.clone(),
                filled: Instant::now(),
            },
        );
    }
    Ok(Some(value))
}

fn forget<K: std::hash::Hash + Eq, T>(slot: &Mutex<Slot<K, T>>, key: Option<&K>) {
    let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
    s.generation += 1;
    match key {
        Some(k) => {
            s.entries.remove(k);
        }
        None => s.entries.clear(),
    }
}

fn without_password(c: Credential) -> Credential {
    match c {
        Credential::Session(s, u) => Credential::Session(
            s,
            User {
                password_hash: String::new(),
                ..u
            },
        ),
        Credential::Token(t, u) => Credential::Token(
            t,
            User {
                password_hash: String::new(),
                ..u
            },
        ),
    }
}

impl Cache {
    pub fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            case_types: Mutex::default(),
            orgs: Mutex::default(),
            holidays: Mutex::default(),
            staff: Mutex::default(),
            credentials: Mutex::default(),
        }
    }

    /// The credential whose token hashes to `hash`, read with `load` if it
    /// is not kept or was read more than [`CREDENTIALS_FOR`] ago. An
    /// unknown token is not kept: it is looked up every time.
    pub async fn credential<F>(&self, hash: &[u8], load: F) -> Result<Option<Arc<Credential>>>
    where
        F: std::future::Future<Output = Result<Option<Credential>>>,
    {
        cached_found(&self.credentials, CREDENTIALS_FOR, hash.to_vec(), async {
            Ok(load.await?.map(without_password))
        })
        .await
    }

    /// A session or token ended, or a password changed: every credential
    /// is read again.
    pub fn forget_credentials(&self) {
        forget(&self.credentials, None);
    }

    /// One credential changed (a session's expiry moved on).
    pub fn forget_credential(&self, hash: &[u8]) {
        forget(&self.credentials, Some(&hash.to_vec()));
    }

    /// The whole case-type catalogue.
    pub async fn case_types(&self, tx: &mut dyn ReadTx) -> Result<Arc<Vec<CaseType>>> {
        cached(&self.case_types, self.ttl, (), async {
            Ok(tx.list_case_types().await?)
        })
        .await
    }

    /// One case type of the catalogue.
    pub async fn case_type(&self, tx: &mut dyn ReadTx, id: Uuid) -> Result<Option<CaseType>> {
        Ok(self
            .case_types(tx)
            .await?
            .iter()
            .find(|t| t.id == id)
            .cloned())
    }

    /// Every organization.
    pub async fn orgs(&self, tx: &mut dyn ReadTx) -> Result<Arc<Vec<Organization>>> {
        cached(&self.orgs, self.ttl, (), async {
            Ok(tx.list_orgs().await?)
        })
        .await
    }

    /// One organization.
    pub async fn org(&self, tx: &mut dyn ReadTx, id: Uuid) -> Result<Option<Organization>> {
        Ok(self.orgs(tx).await?.iter().find(|o| o.id == id).cloned())
    }

    /// Every holiday of an organization.
    pub async fn holidays(&self, tx: &mut dyn ReadTx, org: Uuid) -> Result<Arc<Vec<NaiveDate>>> {
        cached(&self.holidays, self.ttl, org, async {
            let (from, to) = (
                NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default(),
            );
            Ok(tx.holidays(org, from, to).await?)
        })
        .await
    }

    /// The people of an organization.
    pub async fn staff(&self, tx: &mut dyn ReadTx, org: Uuid) -> Result<Arc<Vec<StaffMember>>> {
        cached(&self.staff, self.ttl, org, async {
            Ok(tx
                .list_users(Some(org))
                .await?
                .into_iter()
                .map(|u| StaffMember {
                    id: u.id,
                    display_name: u.display_name,
                    role: u.role,
                    active: u.active,
                })
                .collect())
        })
        .await
    }

    /// The catalogue changed.
    pub fn forget_case_types(&self) {
        forget(&self.case_types, None);
    }

    /// The organization tree changed.
    pub fn forget_orgs(&self) {
        forget(&self.orgs, None);
    }

    /// An organization's holidays changed.
    pub fn forget_holidays(&self, org: Uuid) {
        forget(&self.holidays, Some(&org));
    }

    /// An organization's staff changed.
    pub fn forget_staff(&self, org: Uuid) {
        forget(&self.staff, Some(&org));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn session(user: &User) -> Credential {
        Credential::Session(
            Session {
                token_hash: vec![1],
                user_id: user.id,
                csrf_token: "csrf".into(),
                created_at: Utc::now(),
                expires_at: Utc::now(),
                ip: None,
            },
            user.clone(),
        )
    }

    fn user() -> User {
        User {
            id: Uuid::now_v7(),
            username: "clerk".into(),
            display_name: "Clerk".into(),
            role: Role::MunicipalClerk,
            org_id: Uuid::now_v7(),
            password_hash: "$argon2id$secret".into(),
            locale: None,
            active: true,
            failed_attempts: 0,
            locked_until: None,
            created_at: Utc::now(),
        }
    }

    /// Reads `hash` through the cache, counting the reads of the database.
    async fn read(cache: &Cache, hash: &[u8], found: Option<Credential>, reads: &AtomicUsize) {
        cache
            .credential(hash, async {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok(found)
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_credential_is_read_once_until_forgotten_and_never_kept_with_its_password() {
        let cache = Cache::new(Duration::from_secs(10));
        let (u, reads) = (user(), AtomicUsize::new(0));
        read(&cache, b"a", Some(session(&u)), &reads).await;
        read(&cache, b"a", Some(session(&u)), &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        let kept = cache
            .credential(b"a", async { Ok(None) })
            .await
            .unwrap()
            .unwrap();
        let Credential::Session(_, kept_user) = &*kept else {
            panic!("a session kept as {kept:?}");
        };
        assert_eq!(kept_user.password_hash, "");
        assert_eq!(kept_user.id, u.id);

        cache.forget_credentials();
        read(&cache, b"a", Some(session(&u)), &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        cache.forget_credential(b"a");
        read(&cache, b"a", Some(session(&u)), &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 3);

        // An unknown token is looked up every time.
        read(&cache, b"b", None, &reads).await;
        read(&cache, b"b", None, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_read_that_began_before_a_credential_ended_is_not_kept() {
        let cache = Cache::new(Duration::from_secs(10));
        let (u, reads) = (user(), AtomicUsize::new(0));
        cache
            .credential(b"a", async {
                // The session ends while it is read.
                cache.forget_credentials();
                Ok(Some(session(&u)))
            })
            .await
            .unwrap();
        read(&cache, b"a", None, &reads).await;
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "what the first read saw was kept"
        );
    }

    #[tokio::test]
    async fn credentials_are_trusted_for_a_moment_and_kept_in_bounded_number() {
        let cache = Cache::new(Duration::from_secs(10));
        let (u, reads) = (user(), AtomicUsize::new(0));
        for i in 0..MAX_ENTRIES + 10 {
            read(&cache, &i.to_le_bytes(), Some(session(&u)), &reads).await;
        }
        let kept = cache.credentials.lock().unwrap().entries.len();
        assert!(kept <= MAX_ENTRIES, "{kept} credentials kept");
        tokio::time::sleep(CREDENTIALS_FOR).await;
        let before = reads.load(Ordering::SeqCst);
        read(&cache, &0usize.to_le_bytes(), Some(session(&u)), &reads).await;
        read(
            &cache,
            &(MAX_ENTRIES + 9).to_le_bytes(),
            Some(session(&u)),
            &reads,
        )
        .await;
        assert_eq!(
            reads.load(Ordering::SeqCst),
            before + 2,
            "read again after a moment"
        );
    }
}

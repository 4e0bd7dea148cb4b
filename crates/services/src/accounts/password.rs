//! Passwords: hashing and checking with Argon2id, bounded in concurrency and
//! in memory, and the policy a new password must meet.
//!
//! Argon2id with OWASP's parameters needs 19 MiB of working memory per
//! check. Sign-in is reachable without an account, so an unbounded number of
//! concurrent checks would let anyone grow the server's heap at will. Here at
//! most one check per processor core runs at a time (the others wait their
//! turn), and each running check borrows its working memory from a small pool
//! that is allocated once and reused: a burst of sign-ins waits instead of
//! allocating.

use crate::{Error, Result};
use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use diwan_domain::Reason;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The shortest password accepted, in characters (NIST SP 800-63B asks for
/// at least 8; 12 is the floor for staff accounts here).
pub const MIN_PASSWORD: usize = 12;
/// The longest password accepted, in characters.
pub const MAX_PASSWORD: usize = 256;
/// The most Argon2 memory one stored hash may ask for (64 MiB); a hash that
/// asks for more is treated as not matching rather than allocated.
const MAX_BLOCKS: usize = 64 * 1024;

/// The parameters of new hashes: Argon2id, m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters")
}

/// Hashes and checks passwords with bounded concurrency and reused memory.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
    /// A hash of a random password, checked when a user name is unknown so
    /// that the answer takes as long as for a known one.
    dummy: Arc<std::sync::OnceLock<String>>,
}

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hasher::new(cores)
    }
}

impl Hasher {
    /// A hasher that runs at most `concurrency` checks at once.
    pub fn new(concurrency: usize) -> Self {
        Hasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            pool: Arc::default(),
            dummy: Arc::default(),
        }
    }

    /// Runs `f` with a permit and a working-memory buffer of at least
    /// `blocks` blocks, off the async threads.
    async fn with_memory<T: Send + 'static>(
        &self,
        blocks: usize,
        f: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut buf = pool
                .lock()
                .map(|mut p| p.pop())
                .ok()
                .flatten()
                .unwrap_or_default();
            if buf.len() < blocks {
                buf.resize(blocks, Block::default());
            }
            let out = f(&mut buf[..blocks]);
            if let Ok(mut p) = pool.lock() {
                p.push(buf);
            }
            out
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))
    }

    /// How many working-memory buffers are kept for reuse (at most one per
    /// check allowed at once).
    pub fn pooled_buffers(&self) -> usize {
        self.pool.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        let p = params();
        self.with_memory(p.block_count(), move |mem| {
            let salt = SaltString::generate(&mut OsRng);
            let mut raw_salt = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut raw_salt).map_err(internal)?;
            let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, p.clone());
            let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
                a.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *mem)
                    .map_err(|_| argon2::password_hash::Error::Crypto)
            })
            .map_err(internal)?;
            let hash = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: (&p).try_into().map_err(internal)?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(hash.to_string())
        })
        .await?
    }

    /// Whether `password` matches the PHC string `hash`. A malformed hash,
    /// or one asking for more memory than allowed, never matches.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        let Some((a, blocks)) = PasswordHash::new(hash)
            .ok()
            .and_then(|h| Some((argon2_of(&h)?, Params::try_from(&h).ok()?.block_count())))
            .filter(|(_, b)| *b <= MAX_BLOCKS)
        else {
            return Ok(false);
        };
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.with_memory(blocks, move |mem| {
            let Ok(h) = PasswordHash::new(&hash) else {
                return false;
            };
            let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
                return false;
            };
            let mut raw_salt = [0u8; 64];
            let Ok(salt_bytes) = salt.decode_b64(&mut raw_salt) else {
                return false;
            };
            let mut out = vec![0u8; expected.len()];
            a.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, mem)
                .is_ok()
                // Output's equality is constant-time.
                && Output::new(&out).is_ok_and(|o| o == expected)
        })
        .await
    }

    /// Spends the time of a real check against a hash nobody knows the
    /// password of.
    pub async fn verify_dummy(&self, password: &str) -> Result<()> {
        let dummy = match self.dummy.get() {
            Some(d) => d.clone(),
            None => {
                let d = self.hash(&super::new_form_token()).await?;
                self.dummy.get_or_init(|| d).clone()
            }
        };
        self.verify(password, &dummy).await.map(|_| ())
    }
}

/// The Argon2 instance a stored hash was made with (its algorithm, version
/// and parameters).
fn argon2_of(h: &PasswordHash<'_>) -> Option<Argon2<'static>> {
    let alg = Algorithm::try_from(h.algorithm).ok()?;
    let version = h
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let mut p = Params::try_from(h).ok()?;
    if let Some(out) = h.hash {
        p = argon2::ParamsBuilder::new()
            .m_cost(p.m_cost())
            .t_cost(p.t_cost())
            .p_cost(p.p_cost())
            .output_len(out.len())
            .build()
            .ok()?;
    }
    Some(Argon2::new(alg, version, p))
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// Checks a new password: at least [`MIN_PASSWORD`] characters, at most
/// [`MAX_PASSWORD`], and not guessable. Guessability is judged by zxcvbn,
/// whose built-in dictionaries hold the 30,000 most common passwords of
/// published breach corpora, common words and names; the person's own user
/// name and name count as guessable too. Scores below 3 ("safely
/// unguessable: moderate protection from offline slow-hash scenarios") are
/// refused.
pub fn check_policy(password: &str, personal: &[&str]) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(Error::invalid("password", Reason::PasswordTooShort));
    }
    if n > MAX_PASSWORD {
        return Err(Error::invalid("password", Reason::FieldTooLong));
    }
    if password.chars().any(diwan_domain::text::is_forbidden_char) {
        return Err(Error::invalid("password", Reason::FieldInvalid));
    }
    let score = zxcvbn::zxcvbn(password, personal).score();
    if (score as u8) < 3 {
        return Err(Error::invalid("password", Reason::PasswordTooCommon));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reuse_memory() {
        let h = Hasher::new(2);
        let hash = h.hash("a long pass phrase 2026").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(h.verify("a long pass phrase 2026", &hash).await.unwrap());
        assert!(!h.verify("a long pass phrase 2027", &hash).await.unwrap());
        assert!(!h.verify("x", "not a hash").await.unwrap());
        // A hash made by the argon2 crate's own API checks the same way.
        use argon2::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"another phrase here", &salt)
            .unwrap()
            .to_string();
        assert!(h.verify("another phrase here", &theirs).await.unwrap());
        // Memory is borrowed and given back: one buffer per check that ran at once.
        let checks = (0..6).map(|_| h.verify("wrong", &hash));
        futures::future::join_all(checks).await;
        let pooled = h.pool.lock().unwrap().len();
        assert!((1..=2).contains(&pooled), "{pooled} buffers pooled");
    }

    #[tokio::test]
    async fn a_hash_asking_for_too_much_memory_never_matches() {
        let h = Hasher::new(1);
        let greedy = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!h.verify("x", greedy).await.unwrap());
        assert!(h.pool.lock().unwrap().is_empty());
    }

    #[test]
    fn policy_refuses_short_common_and_personal_passwords() {
        let reason = |p: &str, personal: &[&str]| match check_policy(p, personal) {
            Ok(()) => None,
            Err(e) => Some(e.details()[0].1),
        };
        assert_eq!(reason("short-pass1", &[]), Some(Reason::PasswordTooShort));
        assert_eq!(reason("password1234", &[]), Some(Reason::PasswordTooCommon));
        assert_eq!(reason("123456789012", &[]), Some(Reason::PasswordTooCommon));
        assert_eq!(reason("qwertyuiopas", &[]), Some(Reason::PasswordTooCommon));
        assert_eq!(
            reason("clerk.tripoli1", &["clerk.tripoli"]),
            Some(Reason::PasswordTooCommon)
        );
        assert_eq!(
            reason("pass\u{0}word-long-enough", &[]),
            Some(Reason::FieldInvalid)
        );
        assert_eq!(reason("بلدية طرابلس المركز ٢٠٢٦", &[]), None);
        assert_eq!(reason("correct horse battery staple", &[]), None);
        assert_eq!(reason(&"x".repeat(300), &[]), Some(Reason::FieldTooLong));
    }
}

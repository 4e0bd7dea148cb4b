//! The registry of persons: who they are, how to reach them, and where
//! they live.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::persons::{Language, PersonLookup, Sex};
use serde::Serialize;
use uuid::Uuid;

/// A person of the registry. The national number is the key people know;
/// `id` is the one other records refer to, and neither ever changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: Uuid,
    pub national_number: String,
    pub name_ar: String,
    pub name_latin: Option<String>,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    /// E.164, the first the one to use.
    pub mobiles: Vec<String>,
    pub email: Option<String>,
    /// The municipality of residence.
    pub municipality_id: Option<Uuid>,
    pub language: Language,
    /// Since when bulk SMS and bulk e-mail are not sent to this person.
    pub sms_opt_out_at: Option<DateTime<Utc>>,
    pub email_opt_out_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The names normalized for search.
    pub search_text: String,
}

/// A page of a registry search, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonQuery {
    /// What to look for; every person (of the scope) when `None`.
    pub lookup: Option<PersonLookup>,
    /// Only the residents of this municipality (a municipality's staff).
    pub municipality_id: Option<Uuid>,
    /// Only persons registered before this one (the page's cursor).
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// Where an import of persons stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    /// Waiting for a worker.
    Queued,
    /// A worker holds it (or held it, until its lease ran out).
    Running,
    /// Every line was read.
    Done,
    /// The file could not be read to its end (`error` says why).
    Failed,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Queued => "queued",
            ImportState::Running => "running",
            ImportState::Done => "done",
            ImportState::Failed => "failed",
        }
    }
}

impl std::str::FromStr for ImportState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "queued" => Ok(ImportState::Queued),
            "running" => Ok(ImportState::Running),
            "done" => Ok(ImportState::Done),
            "failed" => Ok(ImportState::Failed),
            _ => Err(()),
        }
    }
}

/// An import of persons from a CSV file, and how far it got: the byte and
/// the line its next chunk starts at, committed with the chunk before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonImport {
    pub id: Uuid,
    /// The organization of the person who sent it: a municipality's
    /// imports register its residents only.
    pub org_id: Uuid,
    pub created_by: Uuid,
    pub file_name: String,
    /// The file's key in the file store.
    pub file_key: String,
    pub file_bytes: i64,
    pub delimiter: String,
    /// What each column of the file holds (a field's name, or empty for a
    /// column that is not read), from its header line.
    pub columns: Vec<String>,
    pub state: ImportState,
    pub next_offset: i64,
    pub next_line: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub lease_owner: Option<Uuid>,
    pub lease_until: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A line an import refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRejection {
    pub import_id: Uuid,
    pub line: i64,
    /// `field=reason` pairs, separated by spaces (reasons are the stable
    /// keys of the domain's `Reason`).
    pub reasons: String,
    /// The line as it was read (cut to a bound).
    pub content: String,
}

/// A person found by one of the numbers a list gave: the national number
/// or the mobile number (E.164) it was found by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonKey {
    pub key: String,
    pub person_id: Uuid,
    pub municipality_id: Option<Uuid>,
}

#[async_trait]
pub trait PersonRead {
    async fn get_person(&mut self, id: Uuid) -> Result<Option<Person>>;
    async fn person_by_number(&mut self, national_number: &str) -> Result<Option<Person>>;
    /// The persons of those national numbers that the registry has.
    async fn persons_by_numbers(&mut self, national_numbers: &[String]) -> Result<Vec<Person>>;
    /// The persons those national numbers and mobile numbers (any of a
    /// person's) name, each with the number it was found by.
    async fn person_keys(
        &mut self,
        national_numbers: &[String],
        mobiles: &[String],
    ) -> Result<Vec<PersonKey>>;
    async fn search_persons(&mut self, q: &PersonQuery) -> Result<Vec<Person>>;
    async fn get_import(&mut self, id: Uuid) -> Result<Option<PersonImport>>;
    /// The newest imports, of one organization or of all.
    async fn list_imports(&mut self, org_id: Option<Uuid>, limit: i64)
        -> Result<Vec<PersonImport>>;
    /// The lines an import refused, in order, after `after_line`.
    async fn import_rejections(
        &mut self,
        import_id: Uuid,
        after_line: i64,
        limit: i64,
    ) -> Result<Vec<ImportRejection>>;
}

#[async_trait]
pub trait PersonRepo: PersonRead {
    /// A person new to the registry (a conflict if the national number is
    /// taken).
    async fn insert_person(&mut self, p: &Person) -> Result<()>;
    /// Replaces everything of the person `p.id` but its id, national number
    /// and creation time.
    async fn update_person(&mut self, p: &Person) -> Result<()>;
    async fn insert_import(&mut self, i: &PersonImport) -> Result<()>;
    /// Takes the oldest import that is queued, or running with its lease
    /// run out, for `owner` until `until`: it is then running, and no other
    /// worker takes it meanwhile (on PostgreSQL, `SKIP LOCKED`).
    async fn claim_import(
        &mut self,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<PersonImport>>;
    /// Saves an import's progress and state if `owner` still holds it;
    /// `false` when another worker took it over.
    async fn save_import(&mut self, i: &PersonImport, owner: Uuid) -> Result<bool>;
    async fn insert_rejections(&mut self, r: &[ImportRejection]) -> Result<()>;
    /// After many persons changed at once (an import): refreshes what the
    /// database's planner knows of the registry's tables, so that searches
    /// keep their plans (PostgreSQL; SQLite's searches need no statistics).
    async fn refresh_person_statistics(&mut self) -> Result<()>;
}

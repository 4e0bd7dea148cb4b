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

#[async_trait]
pub trait PersonRead {
    async fn get_person(&mut self, id: Uuid) -> Result<Option<Person>>;
    async fn person_by_number(&mut self, national_number: &str) -> Result<Option<Person>>;
    async fn search_persons(&mut self, q: &PersonQuery) -> Result<Vec<Person>>;
}

#[async_trait]
pub trait PersonRepo: PersonRead {
    /// A person new to the registry (a conflict if the national number is
    /// taken).
    async fn insert_person(&mut self, p: &Person) -> Result<()>;
    /// Replaces everything of the person `p.id` but its id, national number
    /// and creation time.
    async fn update_person(&mut self, p: &Person) -> Result<()>;
}

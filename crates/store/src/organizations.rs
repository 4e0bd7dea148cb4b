//! Organizations: the tree of ministry, departments, sections and
//! municipalities, and the holidays of each.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::organizations::OrgKind;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: OrgKind,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl Organization {
    /// The name in `lang` (ar, en, fr), Arabic when unknown.
    pub fn name(&self, lang: &str) -> &str {
        match lang {
            "en" => &self.name_en,
            "fr" => &self.name_fr,
            _ => &self.name_ar,
        }
    }
}

#[async_trait]
pub trait OrgRead {
    async fn get_org(&mut self, id: Uuid) -> Result<Option<Organization>>;
    async fn list_orgs(&mut self) -> Result<Vec<Organization>>;
    async fn holidays(
        &mut self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>>;
}

#[async_trait]
pub trait OrgRepo: OrgRead {
    async fn insert_org(&mut self, org: &Organization) -> Result<()>;
    async fn insert_holiday(&mut self, org_id: Uuid, day: NaiveDate, name: &str) -> Result<()>;
}

//! Organizations and their calendars.

use crate::audit::record;
use crate::cache::Cache;
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::calendar::Calendar;
use diwan_domain::organizations::{parse_time_zone, OrgKind};
use diwan_domain::Reason;
use diwan_store::{Organization, ReadTx};
use serde_json::json;
use uuid::Uuid;

/// A new organization.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub parent_id: Option<Uuid>,
    pub kind: OrgKind,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub time_zone: String,
}

/// The calendar that counts a case's deadline: the ministry's holidays and
/// the holding organization's own, over the Libyan weekend. Every deadline,
/// due-soon mark and badge is counted on it.
pub async fn calendar_for(
    cache: &Cache,
    tx: &mut dyn ReadTx,
    org_ids: &[Uuid],
) -> Result<Calendar> {
    let mut days = Vec::new();
    for id in org_ids {
        days.extend(cache.holidays(tx, *id).await?.iter().copied());
    }
    Ok(Calendar::new(
        vec![chrono::Weekday::Fri, chrono::Weekday::Sat],
        days,
    ))
}

/// Today's date in the organization's time zone.
pub fn today_in(tz: &str, now: DateTime<Utc>) -> NaiveDate {
    let tz = parse_time_zone(tz).unwrap_or(chrono_tz::Africa::Tripoli);
    now.with_timezone(&tz).date_naive()
}

/// The first instant of `day` in the time zone `tz`.
pub fn start_of_day(tz: &str, day: NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let tz = parse_time_zone(tz).unwrap_or(chrono_tz::Africa::Tripoli);
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The root of the tree: the ministry.
pub async fn ministry(cache: &Cache, tx: &mut dyn ReadTx) -> Result<Organization> {
    cache
        .orgs(tx)
        .await?
        .iter()
        .find(|o| o.kind == OrgKind::Ministry && o.parent_id.is_none())
        .cloned()
        .ok_or_else(|| Error::Internal("no ministry organization".into()))
}

impl Services {
    pub async fn create_org(&self, caller: Option<&Caller>, n: NewOrg) -> Result<Organization> {
        if let Some(c) = caller {
            if c.role != diwan_domain::Role::Admin || !c.can_write() {
                return Err(Error::forbidden());
            }
        }
        parse_time_zone(&n.time_zone)?;
        for (f, v) in [
            ("code", &n.code),
            ("name_ar", &n.name_ar),
            ("name_en", &n.name_en),
            ("name_fr", &n.name_fr),
        ] {
            if v.trim().is_empty() {
                return Err(Error::invalid(f, Reason::FieldRequired));
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(p) = n.parent_id {
            tx.get_org(p)
                .await?
                .ok_or_else(|| Error::invalid("parent_id", Reason::FieldInvalid))?;
        } else if n.kind != OrgKind::Ministry {
            return Err(Error::invalid("parent_id", Reason::FieldRequired));
        }
        let org = Organization {
            id: Uuid::now_v7(),
            parent_id: n.parent_id,
            kind: n.kind,
            code: n.code.trim().to_owned(),
            name_ar: n.name_ar.trim().to_owned(),
            name_en: n.name_en.trim().to_owned(),
            name_fr: n.name_fr.trim().to_owned(),
            time_zone: n.time_zone,
            created_at: now,
        };
        tx.insert_org(&org).await?;
        record(
            &mut *tx,
            caller,
            now,
            "org.create",
            "organization",
            Some(org.id.to_string()),
            json!({"code": org.code, "kind": org.kind.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_orgs();
        Ok(org)
    }

    pub async fn add_holiday(
        &self,
        caller: Option<&Caller>,
        org_id: Uuid,
        day: NaiveDate,
        name: &str,
    ) -> Result<()> {
        if let Some(c) = caller {
            if c.role != diwan_domain::Role::Admin || !c.can_write() {
                return Err(Error::forbidden());
            }
        }
        let mut tx = self.store.begin().await?;
        tx.get_org(org_id).await?.ok_or_else(Error::not_found)?;
        tx.insert_holiday(org_id, day, name).await?;
        record(
            &mut *tx,
            caller,
            self.now(),
            "org.holiday",
            "organization",
            Some(org_id.to_string()),
            json!({"day": day, "name": name}),
        )
        .await?;
        tx.commit().await?;
        self.cache.forget_holidays(org_id);
        Ok(())
    }

    /// An organization's holidays between two dates.
    pub async fn holidays(
        &self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>> {
        let mut tx = self.store.read().await?;
        tx.get_org(org_id).await?.ok_or_else(Error::not_found)?;
        Ok(tx.holidays(org_id, from, to).await?)
    }

    /// Every organization. Names of organizations are not secret: municipal
    /// users see the tree too (they need the departments' names), but never
    /// another municipality's cases.
    pub async fn list_orgs(&self) -> Result<Vec<Organization>> {
        let mut tx = self.store.read().await?;
        Ok(self.cache.orgs(&mut *tx).await?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_in_tripoli() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            start_of_day("Africa/Tripoli", d).unwrap().to_rfc3339(),
            "2026-03-08T22:00:00+00:00"
        );
    }
}

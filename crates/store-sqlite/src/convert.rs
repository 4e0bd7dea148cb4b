//! Conversions between Diwan's types and SQLite's storage classes.

use chrono::{DateTime, NaiveDate, Utc};
use diwan_store::StoreError;

/// Maps a database error; a unique-key violation becomes a conflict.
pub fn db<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> StoreError {
    let e: Box<dyn std::error::Error + Send + Sync> = e.into();
    if let Some(sqlx::Error::Database(d)) = e.downcast_ref::<sqlx::Error>() {
        if d.is_unique_violation() {
            return StoreError::Conflict(d.message().to_owned());
        }
    }
    StoreError::Database(e)
}

pub fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn ts_opt(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ts)
}

pub fn from_ts(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| StoreError::Corrupt(format!("timestamp {v}")))
}

pub fn from_ts_opt(v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(from_ts).transpose()
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn from_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s}")))
}

pub fn from_date_opt(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.as_deref().map(from_date).transpose()
}

pub fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {s}")))
}

/// An FTS5 query where every term must match as a prefix.
pub fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" ")
}

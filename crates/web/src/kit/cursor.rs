//! Keyset positions as URL-safe text, read and written here for the pages'
//! "next page" links and the JSON API alike.
//!
//! A queue cursor (the pages' `after`, the API's `cursor`) holds the sort
//! value and the id of the last row seen: `t.<microseconds since the
//! epoch>.<uuid>` for the time sorts (updated, created) and
//! `d.<YYYY-MM-DD>.<uuid>` (or `d.-.<uuid>` for a case without a due date)
//! for the due-date sort. The text uses only characters that need no
//! escaping in a query string.
//!
//! The audit trail's position (`before`) is `<microseconds>.<uuid>` of the
//! last record shown.

use chrono::{DateTime, NaiveDate, Utc};
use diwan_store::Cursor;
use uuid::Uuid;

/// The text form of a cursor.
pub fn encode(c: &Cursor) -> String {
    match c {
        Cursor::Time(at, id) => format!("t.{}.{}", at.timestamp_micros(), id.as_hyphenated()),
        Cursor::Date(Some(d), id) => format!("d.{}.{}", d.format("%Y-%m-%d"), id.as_hyphenated()),
        Cursor::Date(None, id) => format!("d.-.{}", id.as_hyphenated()),
    }
}

/// Reads a cursor written by [`encode`]; anything else is `None`.
pub fn decode(s: &str) -> Option<Cursor> {
    if s.len() > 100 {
        return None;
    }
    let mut parts = s.splitn(3, '.');
    let (kind, value, id) = (parts.next()?, parts.next()?, parts.next()?);
    let id = Uuid::try_parse(id).ok()?;
    match kind {
        "t" => {
            if value.is_empty()
                || !value
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
            {
                return None;
            }
            let micros: i64 = value.parse().ok()?;
            Some(Cursor::Time(DateTime::from_timestamp_micros(micros)?, id))
        }
        "d" if value == "-" => Some(Cursor::Date(None, id)),
        "d" => {
            if value.len() != 10 {
                return None;
            }
            Some(Cursor::Date(
                Some(NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?),
                id,
            ))
        }
        _ => None,
    }
}

/// The audit trail's `before` after the record at `at` with id `id`.
pub fn encode_before(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}.{}", at.timestamp_micros(), id)
}

/// Reads a `before` written by [`encode_before`]; anything else is `None`.
pub fn decode_before(s: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = s.split_once('.')?;
    if micros.is_empty() || !micros.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::try_parse(id).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn id() -> Uuid {
        Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").unwrap()
    }

    #[test]
    fn round_trips() {
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 10, 30, 0).unwrap()
            + chrono::Duration::microseconds(123_456);
        let cursors = [
            Cursor::Time(at, id()),
            Cursor::Time(DateTime::from_timestamp_micros(0).unwrap(), Uuid::nil()),
            Cursor::Time(DateTime::from_timestamp_micros(-5).unwrap(), id()),
            Cursor::Date(Some(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()), id()),
            Cursor::Date(None, id()),
        ];
        for c in cursors {
            let text = encode(&c);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)),
                "{text}"
            );
            assert_eq!(decode(&text), Some(c), "{text}");
        }
    }

    #[test]
    fn known_forms() {
        let at = DateTime::from_timestamp_micros(1_773_052_200_123_456).unwrap();
        assert_eq!(
            encode(&Cursor::Time(at, id())),
            "t.1773052200123456.01890a5d-ac96-774b-bcce-b302099a8057"
        );
        assert_eq!(
            encode(&Cursor::Date(None, id())),
            "d.-.01890a5d-ac96-774b-bcce-b302099a8057"
        );
        assert_eq!(
            encode(&Cursor::Date(NaiveDate::from_ymd_opt(2026, 1, 2), id())),
            "d.2026-01-02.01890a5d-ac96-774b-bcce-b302099a8057"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "t",
            "t.",
            "t.1.",
            "t.abc.01890a5d-ac96-774b-bcce-b302099a8057",
            "t.+5.01890a5d-ac96-774b-bcce-b302099a8057",
            "t.99999999999999999999.01890a5d-ac96-774b-bcce-b302099a8057",
            "t.1.not-a-uuid",
            "d.2026-13-01.01890a5d-ac96-774b-bcce-b302099a8057",
            "d.2026-1-1.01890a5d-ac96-774b-bcce-b302099a8057",
            "x.1.01890a5d-ac96-774b-bcce-b302099a8057",
            "d..01890a5d-ac96-774b-bcce-b302099a8057",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn before_round_trips() {
        let at = DateTime::from_timestamp_micros(1_773_052_200_123_456).unwrap();
        let id = Uuid::now_v7();
        assert_eq!(decode_before(&encode_before(at, id)), Some((at, id)));
        assert_eq!(decode_before("x.y"), None);
        assert_eq!(
            decode_before("-1.00000000-0000-0000-0000-000000000000"),
            None
        );
    }
}

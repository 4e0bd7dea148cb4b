//! Tracking numbers: what people read out over the phone, for example
//! `MLG-2026-000123`: a prefix per case type, the year of filing and a
//! per-prefix, per-year sequence.

use crate::text::normalize_digits;
use crate::DomainError;
use crate::Reason;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingNumber {
    prefix: String,
    year: i32,
    seq: u64,
}

impl TrackingNumber {
    pub fn new(prefix: &str, year: i32, seq: u64) -> Result<Self, DomainError> {
        let prefix = parse_prefix(prefix)?;
        if !(2000..=9999).contains(&year) || seq == 0 || seq > 999_999_999 {
            return Err(DomainError::invalid(
                "tracking_number",
                Reason::TrackingNumberInvalid,
            ));
        }
        Ok(TrackingNumber { prefix, year, seq })
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// A case-type prefix: two to six Latin capitals.
pub fn parse_prefix(s: &str) -> Result<String, DomainError> {
    let p = s.trim().to_ascii_uppercase();
    if (2..=6).contains(&p.len()) && p.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(p)
    } else {
        Err(DomainError::invalid("prefix", Reason::PrefixInvalid))
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.seq)
    }
}

impl FromStr for TrackingNumber {
    type Err = DomainError;
    /// Accepts what people type: any case, Arabic-Indic digits, spaces or
    /// slashes instead of dashes, and surrounding blanks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DomainError::invalid("tracking_number", Reason::TrackingNumberInvalid);
        let s = normalize_digits(s.trim()).replace([' ', '/', '_', '\u{2013}', '\u{2212}'], "-");
        let mut parts = s.split('-').filter(|p| !p.is_empty());
        let (Some(prefix), Some(year), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !seq.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        TrackingNumber::new(prefix, year, seq).map_err(|_| bad())
    }
}

impl TryFrom<String> for TrackingNumber {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TrackingNumber> for String {
    fn from(t: TrackingNumber) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_people_type() {
        let t: TrackingNumber = "mlg-٢٠٢٦-٠٠٠١٢٣".parse().unwrap();
        assert_eq!(t.to_string(), "MLG-2026-000123");
        assert_eq!(
            " MLG 2026 123 "
                .parse::<TrackingNumber>()
                .unwrap()
                .to_string(),
            "MLG-2026-000123"
        );
        assert!("MLG-2026".parse::<TrackingNumber>().is_err());
        assert!("M-2026-1".parse::<TrackingNumber>().is_err());
        assert!("MLG-2026-0".parse::<TrackingNumber>().is_err());
        assert!("MLG-2026-+5".parse::<TrackingNumber>().is_err());
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(prefix in "[A-Z]{2,6}", year in 2000i32..=9999, seq in 1u64..=999_999_999) {
            let t = TrackingNumber::new(&prefix, year, seq).unwrap();
            prop_assert_eq!(t.to_string().parse::<TrackingNumber>().unwrap(), t);
        }
    }
}

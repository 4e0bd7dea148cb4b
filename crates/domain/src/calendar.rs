//! Working days. Deadlines count working days only: the weekend (Friday and
//! Saturday in Libya) and each organization's holidays are skipped.

use crate::Reason;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<NaiveDate>,
}

impl Default for Calendar {
    /// The Libyan calendar with no holidays: Friday and Saturday are the weekend.
    fn default() -> Self {
        Calendar::new(vec![Weekday::Fri, Weekday::Sat], [])
    }
}

impl Calendar {
    pub fn new(weekend: Vec<Weekday>, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Calendar {
            weekend,
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !self.weekend.contains(&d.weekday()) && !self.holidays.contains(&d)
    }

    /// The date `n` working days after `start` (`start` itself is not counted).
    /// With `n == 0` it is `start` itself, moved forward to a working day.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        if n == 0 {
            while !self.is_working_day(d) {
                d = next(d);
            }
            return d;
        }
        let mut left = n;
        // A calendar whose every day is a holiday would never end: the weekend
        // can hold at most six days, and holidays are finite, so this terminates.
        while left > 0 {
            d = next(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// How many working days lie after `from` up to and including `to`;
    /// zero when `to` is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = next(d);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

fn next(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1))
        .expect("dates stay far inside chrono's range")
}

/// Parses `YYYY-MM-DD` written with any digits.
pub fn parse_date(s: &str) -> Result<NaiveDate, crate::DomainError> {
    let s = crate::text::normalize_digits(s.trim());
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .ok()
        // Dates people mean lie within these years; outside them, date
        // arithmetic (a year of holidays, a deadline) could overflow.
        .filter(|d| (1900..=2999).contains(&d.year()))
        .ok_or_else(|| crate::DomainError::invalid("date", Reason::DateInvalid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_outside_the_years_people_mean_are_refused() {
        assert_eq!(parse_date("٢٠٢٦-١١-٢٤").unwrap(), d("2026-11-24"));
        assert!(parse_date("+262142-12-01").is_err());
        assert!(parse_date("1899-12-31").is_err());
        assert!(parse_date("3000-01-01").is_err());
    }

    #[test]
    fn skips_the_libyan_weekend() {
        let cal = Calendar::default();
        // Thursday 2026-11-19 + 1 working day = Sunday 2026-11-22.
        assert_eq!(cal.add_working_days(d("2026-11-19"), 1), d("2026-11-22"));
        assert_eq!(cal.add_working_days(d("2026-11-19"), 5), d("2026-11-26"));
        assert!(!cal.is_working_day(d("2026-11-20")));
        assert!(!cal.is_working_day(d("2026-11-21")));
        assert_eq!(cal.add_working_days(d("2026-11-20"), 0), d("2026-11-22"));
    }

    #[test]
    fn skips_holidays_across_the_year_end() {
        // 24 December is Libya's Independence Day; 1 January is added as an
        // organization's own holiday that falls on the weekend.
        let cal = Calendar::new(
            vec![Weekday::Fri, Weekday::Sat],
            [d("2026-12-24"), d("2027-01-01")],
        );
        // Wed 2026-12-23 + 1 = Sun 2026-12-27 (Thu holiday, Fri-Sat weekend).
        assert_eq!(cal.add_working_days(d("2026-12-23"), 1), d("2026-12-27"));
        // Thu 2026-12-31 + 1 = Sun 2027-01-03 (Fri holiday + weekend).
        assert_eq!(cal.add_working_days(d("2026-12-31"), 1), d("2027-01-03"));
        // 21–23 and 27–31 December, then 3–5 January.
        assert_eq!(
            cal.working_days_between(d("2026-12-20"), d("2027-01-05")),
            11
        );
    }

    #[test]
    fn parses_dates_with_arabic_digits() {
        assert_eq!(parse_date("٢٠٢٦-١١-٢١").unwrap(), d("2026-11-21"));
        assert!(parse_date("2026-13-01").is_err());
    }

    proptest! {
        #[test]
        fn adding_then_counting_is_identity(days in 0i64..3000, n in 0u32..400, hol in proptest::collection::vec(0i64..3400, 0..40)) {
            let base = d("2024-01-01");
            let start = base + chrono::Duration::days(days);
            let cal = Calendar::new(vec![Weekday::Fri, Weekday::Sat], hol.iter().map(|h| base + chrono::Duration::days(*h)));
            let due = cal.add_working_days(start, n);
            prop_assert!(cal.is_working_day(due) || (n == 0 && due == start && cal.is_working_day(start)));
            if n > 0 {
                prop_assert_eq!(cal.working_days_between(start, due), n);
            }
            prop_assert!(due >= start);
        }

        #[test]
        fn result_is_never_a_weekend_day(days in 0i64..3000, n in 1u32..100) {
            let start = d("2025-06-01") + chrono::Duration::days(days);
            let due = Calendar::default().add_working_days(start, n);
            prop_assert!(!matches!(due.weekday(), Weekday::Fri | Weekday::Sat));
        }
    }
}

//! Quiet hours: no inquiry SMS is sent at night in the organization's
//! time zone (22:00 to 08:00 by default). Sending waits until they end.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The hours no SMS goes out: from `start` to `end`, through midnight when
/// `start` is later than `end`; none when they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).expect("a time"),
            end: NaiveTime::from_hms_opt(8, 0, 0).expect("a time"),
        }
    }
}

impl QuietHours {
    /// Whether `t` (local time) falls in the quiet hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When sending may go on: `now` itself outside the quiet hours, their
    /// end (in `tz`) inside them.
    pub fn next_allowed(&self, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
        let local = now.with_timezone(&tz);
        if !self.contains(local.time()) {
            return now;
        }
        let mut day = local.date_naive();
        if local.time() >= self.end {
            day = day.succ_opt().unwrap_or(day);
        }
        // The end as a local time that exists (a clock change may skip it).
        let mut at = day.and_time(self.end);
        for _ in 0..4 {
            if let Some(t) = tz.from_local_datetime(&at).earliest() {
                return t.with_timezone(&Utc);
            }
            at += chrono::Duration::minutes(30);
        }
        now + chrono::Duration::hours(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn nights_in_tripoli_wait_for_eight_in_the_morning() {
        let q = QuietHours::default();
        let tz = chrono_tz::Africa::Tripoli; // UTC+2, no summer time
                                             // 21:30 in Tripoli: sent.
        assert_eq!(
            q.next_allowed(tz, utc("2026-12-04T19:30:00Z")),
            utc("2026-12-04T19:30:00Z")
        );
        // 23:00 in Tripoli: waits until 08:00 the next day.
        assert_eq!(
            q.next_allowed(tz, utc("2026-12-04T21:00:00Z")),
            utc("2026-12-05T06:00:00Z")
        );
        // 03:00 in Tripoli: until 08:00 the same day.
        assert_eq!(
            q.next_allowed(tz, utc("2026-12-05T01:00:00Z")),
            utc("2026-12-05T06:00:00Z")
        );
        // 08:00 exactly: sent.
        assert_eq!(
            q.next_allowed(tz, utc("2026-12-05T06:00:00Z")),
            utc("2026-12-05T06:00:00Z")
        );
        let none = QuietHours {
            start: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
        };
        assert!(!none.contains(NaiveTime::from_hms_opt(3, 0, 0).unwrap()));
    }

    proptest! {
        /// Whatever the hour, the time sending may go on is never earlier
        /// than now, never inside the quiet hours, and within a day.
        #[test]
        fn the_next_allowed_time_is_outside_the_quiet_hours(secs in 0i64..(400 * 86_400), start in 0u32..24, end in 0u32..24) {
            let q = QuietHours {
                start: NaiveTime::from_hms_opt(start, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(end, 0, 0).unwrap(),
            };
            let tz = chrono_tz::Europe::Paris; // with summer time
            let now = utc("2026-01-01T00:00:00Z") + chrono::Duration::seconds(secs);
            let at = q.next_allowed(tz, now);
            prop_assert!(at >= now);
            prop_assert!(at - now <= chrono::Duration::hours(25));
            prop_assert!(!q.contains(at.with_timezone(&tz).time()));
        }
    }
}

//! Sign-in throttling by client address.
//!
//! Each failed sign-in counts against the address it came from, whatever the
//! user name, so that one address cannot try passwords over many accounts
//! (password spraying). Past a limit the address is refused until its window
//! ends; before that, each failure makes its next answer slower. A success
//! does not reset the count (an attacker with one valid account could
//! otherwise clear it between guesses). IPv6 addresses count by their /64
//! network, since one host usually holds a whole /64.
//!
//! The counts live in the memory of each node: with several nodes behind a
//! load balancer an address gets the limit on each of them, which still
//! bounds spraying to a small multiple.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// The most addresses tracked at once; beyond it, expired entries are
/// dropped, then (if still full) the oldest windows.
const MAX_TRACKED: usize = 100_000;

/// Settings of the throttle.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures an address may have within one window before it is refused.
    pub failures: u32,
    /// The window's length.
    pub window: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            failures: 20,
            window: std::time::Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    since: DateTime<Utc>,
    failures: u32,
    /// Attempts begun and not ended yet: each counts against the limit as
    /// if it were going to fail, so that a burst of attempts sent at once
    /// cannot all pass the check before any of them has failed.
    in_flight: u32,
}

/// The per-address failure counts.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    limits: Limits,
    by_address: Mutex<HashMap<String, Entry>>,
}

/// A sign-in (or a check of a current password) under way from one
/// address: it counts against the address's limit until it ends. Dropped,
/// it ends without a failure.
#[derive(Debug)]
pub struct Attempt {
    throttle: std::sync::Arc<SignInThrottle>,
    key: String,
    /// The address's failures in its window when the attempt began.
    pub failures: u32,
    ended: bool,
}

impl Attempt {
    /// Ends the attempt as a failure; returns the address's failures.
    pub fn fail(mut self, now: DateTime<Utc>) -> u32 {
        self.ended = true;
        self.throttle.end(&self.key, now, true)
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.ended {
            self.throttle.end(&self.key, Utc::now(), false);
        }
    }
}

/// Where an address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It may try; it has failed this many times in its window.
    Open { failures: u32 },
    /// It is refused until this time.
    Refused { until: DateTime<Utc> },
}

impl SignInThrottle {
    pub fn new(limits: Limits) -> Self {
        SignInThrottle {
            limits,
            by_address: Mutex::default(),
        }
    }

    fn window(&self) -> Duration {
        Duration::from_std(self.limits.window).unwrap_or(Duration::minutes(15))
    }

    /// Begins an attempt of `address`, or refuses it until the returned
    /// time: its failures in the window, and the attempts it has under way,
    /// have reached the limit.
    pub fn attempt(
        self: &std::sync::Arc<Self>,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Attempt, DateTime<Utc>> {
        let key = key_of(address);
        let window = self.window();
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        self.make_room(&mut map, &key, now);
        let e = map.entry(key.clone()).or_insert(Entry {
            since: now,
            failures: 0,
            in_flight: 0,
        });
        if e.since + window <= now {
            e.since = now;
            e.failures = 0;
        }
        if e.failures + e.in_flight >= self.limits.failures {
            // Past the limit by failures: until the window ends; by attempts
            // under way: they end within seconds.
            let until = if e.failures >= self.limits.failures {
                e.since + window
            } else {
                now + Duration::seconds(5)
            };
            return Err(until);
        }
        e.in_flight += 1;
        Ok(Attempt {
            throttle: self.clone(),
            key,
            failures: e.failures,
            ended: false,
        })
    }

    /// The failures of `address` in its window now.
    pub fn failures(&self, address: Option<&str>, now: DateTime<Utc>) -> u32 {
        let map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&key_of(address)) {
            Some(e) if e.since + self.window() > now => e.failures,
            _ => 0,
        }
    }

    fn end(&self, key: &str, now: DateTime<Utc>, failed: bool) -> u32 {
        let window = self.window();
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        let Some(e) = map.get_mut(key) else {
            return u32::from(failed);
        };
        e.in_flight = e.in_flight.saturating_sub(1);
        if failed {
            if e.since + window <= now {
                e.since = now;
                e.failures = 0;
            }
            e.failures += 1;
        }
        e.failures
    }

    /// Keeps the table bounded: past [`MAX_TRACKED`] addresses, expired
    /// windows go, then (if still full) the older half of those with no
    /// attempt under way.
    fn make_room(&self, map: &mut HashMap<String, Entry>, key: &str, now: DateTime<Utc>) {
        let window = self.window();
        if map.len() >= MAX_TRACKED && !map.contains_key(key) {
            map.retain(|_, e| e.since + window > now || e.in_flight > 0);
            if map.len() >= MAX_TRACKED {
                let mut starts: Vec<DateTime<Utc>> = map.values().map(|e| e.since).collect();
                starts.sort_unstable();
                let cut = starts[starts.len() / 2];
                map.retain(|_, e| e.since > cut || e.in_flight > 0);
            }
        }
    }

    /// Whether `address` may try to sign in now.
    pub fn standing(&self, address: Option<&str>, now: DateTime<Utc>) -> Standing {
        let key = key_of(address);
        let map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&key) {
            Some(e) if e.since + self.window() > now => {
                if e.failures >= self.limits.failures {
                    Standing::Refused {
                        until: e.since + self.window(),
                    }
                } else {
                    Standing::Open {
                        failures: e.failures,
                    }
                }
            }
            _ => Standing::Open { failures: 0 },
        }
    }

    /// Counts a failure of `address`; returns its failures in the window.
    pub fn fail(&self, address: Option<&str>, now: DateTime<Utc>) -> u32 {
        let key = key_of(address);
        let window = self.window();
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        self.make_room(&mut map, &key, now);
        let e = map.entry(key).or_insert(Entry {
            since: now,
            failures: 0,
            in_flight: 0,
        });
        if e.since + window <= now {
            e.since = now;
            e.failures = 0;
        }
        e.failures += 1;
        e.failures
    }
}

/// The key an address counts under: the address itself, or its /64 for IPv6.
fn key_of(address: Option<&str>) -> String {
    match address.map(str::parse::<IpAddr>) {
        Some(Ok(IpAddr::V6(v6))) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(Ok(IpAddr::V6(v6))) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(Ok(ip)) => ip.to_string(),
        Some(Err(_)) => address.unwrap_or_default().chars().take(64).collect(),
        None => "unknown".into(),
    }
}

/// How long to hold a failed answer, from the failures of its address: the
/// same for known and unknown user names, so timing tells nothing.
pub fn back_off(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis(100 * u64::from(failures.min(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn an_address_is_refused_after_its_limit_until_the_window_ends() {
        let t = SignInThrottle::new(Limits {
            failures: 3,
            window: std::time::Duration::from_secs(600),
        });
        let a = Some("192.0.2.7");
        assert_eq!(t.standing(a, at(0)), Standing::Open { failures: 0 });
        assert_eq!(t.fail(a, at(0)), 1);
        assert_eq!(t.fail(a, at(1)), 2);
        assert_eq!(t.standing(a, at(1)), Standing::Open { failures: 2 });
        assert_eq!(t.fail(a, at(2)), 3);
        assert_eq!(t.standing(a, at(2)), Standing::Refused { until: at(10) });
        assert_eq!(t.standing(a, at(9)), Standing::Refused { until: at(10) });
        // Another address is not affected.
        assert_eq!(
            t.standing(Some("192.0.2.8"), at(2)),
            Standing::Open { failures: 0 }
        );
        // The window ends exactly at its tenth minute.
        assert_eq!(t.standing(a, at(10)), Standing::Open { failures: 0 });
        assert_eq!(t.fail(a, at(10)), 1);
    }

    #[test]
    fn attempts_under_way_count_against_the_limit() {
        let t = std::sync::Arc::new(SignInThrottle::new(Limits {
            failures: 3,
            window: std::time::Duration::from_secs(600),
        }));
        let a = Some("192.0.2.9");
        // Three at once pass; the fourth, sent before any has failed, waits.
        let first = t.attempt(a, at(0)).unwrap();
        let second = t.attempt(a, at(0)).unwrap();
        let third = t.attempt(a, at(0)).unwrap();
        assert!(t.attempt(a, at(0)).is_err());
        // One ends well: its place is free again.
        drop(first);
        let fourth = t.attempt(a, at(0)).unwrap();
        assert_eq!(fourth.failures, 0);
        assert_eq!(second.fail(at(1)), 1);
        assert_eq!(third.fail(at(1)), 2);
        assert_eq!(fourth.fail(at(1)), 3);
        // Three failures: refused until the window ends.
        assert_eq!(t.attempt(a, at(2)).unwrap_err(), at(10));
        assert_eq!(t.failures(a, at(2)), 3);
        assert_eq!(t.failures(a, at(10)), 0);
    }

    #[test]
    fn ipv6_counts_by_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(key_of(Some("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(key_of(Some("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(key_of(Some("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(key_of(None), "unknown");
    }

    #[test]
    fn back_off_grows_and_is_bounded() {
        assert_eq!(back_off(0).as_millis(), 0);
        assert_eq!(back_off(3).as_millis(), 300);
        assert_eq!(back_off(500).as_millis(), 2000);
    }
}

//! The time the services see. In production it is the system's clock; tests
//! set it by hand, so that deadlines across days and holidays, the overdue
//! boundary at midnight in an organization's time zone, lockouts and session
//! lifetimes are tested to the second rather than with `>=`.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

/// A source of the current time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None` reads the system clock; `Some` holds a time set by hand.
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { manual: None }
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Sets a manual clock (a system clock ignores it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }

    /// Moves a manual clock forward (a system clock ignores it).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.manual {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            *t += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let c = Clock::manual(at);
        assert_eq!(c.now(), at);
        c.advance(Duration::seconds(90));
        assert_eq!(c.now(), at + Duration::seconds(90));
        let shared = c.clone();
        shared.set(at);
        assert_eq!(c.now(), at, "clones share one time");
        let before = Utc::now();
        assert!(Clock::system().now() >= before);
    }
}

//! Messaging: what a message is, the states it goes through, when a failed
//! attempt is tried again, and what a gateway's delivery report means.
//!
//! A message is queued in the transaction of the change that causes it and
//! delivered by a worker after commit. Its state only moves forward:
//! `queued` → `sending` (a worker holds it) → `sent` (the gateway took it)
//! → `delivered`; `failed` and `expired` end it too.

pub mod sms;
pub mod template;

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Sms, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Why a message is sent. Opting out stops bulk messages only: a sign-in
/// code or a notice of a fine is sent whatever the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Transactional,
    Bulk,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Transactional, Kind::Bulk];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Transactional => "transactional",
            Kind::Bulk => "bulk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where a message is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for a worker (first time, or again after a temporary failure).
    Queued,
    /// Handed to the gateway by a worker that has not yet recorded the answer.
    Sending,
    /// Accepted by the gateway or the operator.
    Sent,
    /// Reported delivered to the phone or the mailbox.
    Delivered,
    /// Refused for good; the reason is kept.
    Failed,
    /// Not sent before its validity ran out.
    Expired,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Queued,
        State::Sending,
        State::Sent,
        State::Delivered,
        State::Failed,
        State::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Delivered => "delivered",
            State::Failed => "failed",
            State::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether nothing more happens to a message in this state.
    pub fn is_final(self) -> bool {
        matches!(self, State::Delivered | State::Failed | State::Expired)
    }
}

/// What a gateway reports of a message it took (Kannel's DLR types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// 1: delivered to the phone.
    Delivered,
    /// 2: the phone or the network refused it.
    Undelivered,
    /// 4: buffered by the operator (the phone is off or out of reach).
    Buffered,
    /// 8: accepted by the operator.
    Accepted,
    /// 16: refused by the operator.
    Rejected,
}

impl Report {
    /// Kannel's `%d`; several bits at once are not one report.
    pub fn from_kannel(kind: u32) -> Option<Self> {
        Some(match kind {
            1 => Report::Delivered,
            2 => Report::Undelivered,
            4 => Report::Buffered,
            8 => Report::Accepted,
            16 => Report::Rejected,
            _ => return None,
        })
    }

    /// The state a message in `current` moves to, or `None` when the report
    /// changes nothing (it came late, twice, or says only "buffered"). A
    /// report may arrive for a message still `sending`: its worker was
    /// stopped between handing it over and recording the answer.
    pub fn apply(self, current: State) -> Option<State> {
        if current.is_final() || current == State::Queued && self == Report::Buffered {
            return None;
        }
        let next = match self {
            Report::Delivered => State::Delivered,
            Report::Undelivered | Report::Rejected => State::Failed,
            Report::Accepted | Report::Buffered => State::Sent,
        };
        (next != current).then_some(next)
    }
}

macro_rules! from_str_by_parse {
    ($($t:ty),*) => {$(
        impl std::str::FromStr for $t {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                Self::parse(s).ok_or(())
            }
        }
    )*};
}
from_str_by_parse!(Channel, Kind, State, sms::Encoding);

/// How long to wait before the attempt after `attempts` failed ones: 30 s
/// doubled each time, at most an hour.
pub fn retry_delay(attempts: u32) -> Duration {
    let base = 30u64;
    let factor = 1u64 << attempts.saturating_sub(1).min(10);
    Duration::from_secs((base * factor).min(3600))
}

/// Attempts after which a temporary failure counts as permanent.
pub const MAX_ATTEMPTS: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(State::parse("lost"), None);
    }

    #[test]
    fn reports_move_states_forward_only() {
        assert_eq!(Report::Accepted.apply(State::Sending), Some(State::Sent));
        assert_eq!(Report::Accepted.apply(State::Sent), None);
        assert_eq!(Report::Delivered.apply(State::Sent), Some(State::Delivered));
        assert_eq!(Report::Accepted.apply(State::Delivered), None);
        assert_eq!(Report::Rejected.apply(State::Sent), Some(State::Failed));
        assert_eq!(Report::Delivered.apply(State::Failed), None);
        assert_eq!(Report::Buffered.apply(State::Sent), None);
        assert_eq!(Report::Buffered.apply(State::Queued), None);
        assert_eq!(
            Report::Delivered.apply(State::Sending),
            Some(State::Delivered)
        );
    }

    #[test]
    fn kannel_types_are_single_bits() {
        assert_eq!(Report::from_kannel(1), Some(Report::Delivered));
        assert_eq!(Report::from_kannel(16), Some(Report::Rejected));
        assert_eq!(Report::from_kannel(3), None);
        assert_eq!(Report::from_kannel(0), None);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert_eq!(retry_delay(5), Duration::from_secs(480));
        assert_eq!(retry_delay(8), Duration::from_secs(3600));
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(3600));
        assert_eq!(retry_delay(0), Duration::from_secs(30));
    }
}

//! Organizations form a tree: the ministry, its departments and sections, and
//! the municipalities under the ministry's oversight.

use crate::Reason;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Ministry,
    Department,
    Section,
    Municipality,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Ministry => "ministry",
            OrgKind::Department => "department",
            OrgKind::Section => "section",
            OrgKind::Municipality => "municipality",
        }
    }
}

impl FromStr for OrgKind {
    type Err = crate::DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ministry" => Ok(OrgKind::Ministry),
            "department" => Ok(OrgKind::Department),
            "section" => Ok(OrgKind::Section),
            "municipality" => Ok(OrgKind::Municipality),
            _ => Err(crate::DomainError::invalid("kind", Reason::OrgKindUnknown)),
        }
    }
}

/// The default time zone of Libyan organizations.
pub const DEFAULT_TIME_ZONE: &str = "Africa/Tripoli";

/// Checks an IANA time-zone name.
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz, crate::DomainError> {
    name.parse::<chrono_tz::Tz>()
        .map_err(|_| crate::DomainError::invalid("time_zone", Reason::TimeZoneUnknown))
}

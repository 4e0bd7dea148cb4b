//! Diwan's domain: the types every other crate speaks in.
//!
//! Everything here is pure: parsing, state machines, calendars and text rules.
//! Nothing in this crate performs IO, so nothing here can fail for IO reasons.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod calendar;
pub mod cases;
pub mod error;
pub mod inquiry;
pub mod messaging;
pub mod organizations;
pub mod persons;
pub mod text;

pub use accounts::Role;
pub use error::{DomainError, ErrorCode, Reason};

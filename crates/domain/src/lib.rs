//! Diwan's domain: the types every other crate speaks in.
//!
//! Everything here is pure: parsing, state machines, calendars and text rules.
//! Nothing in this crate performs IO, so nothing here can fail for IO reasons.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod error;
pub mod fields;
pub mod org;
pub mod role;
pub mod text;
pub mod tracking;
pub mod workflow;

pub use error::{DomainError, ErrorCode};
pub use role::Role;

//! Cases: the workflows a case moves through, its tracking number and the
//! typed fields its case type declares.

pub mod fields;
pub mod tracking;
pub mod workflow;

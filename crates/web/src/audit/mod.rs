//! The audit trail, searched through the JSON API and the `/audit` page.

pub mod api;
pub mod pages;

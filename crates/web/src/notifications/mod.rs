//! Notifications, listed and marked read through the JSON API and the
//! `/notifications` page.

pub mod api;
pub mod pages;

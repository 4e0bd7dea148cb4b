//! Messaging: the outbox's JSON API, the endpoints Kannel calls back
//! (delivery reports, incoming SMS), templates, and the pages.

pub mod api;
pub mod kannel;
pub mod pages;
pub mod templates;

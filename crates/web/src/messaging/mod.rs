//! Messaging: the outbox's JSON API, the endpoints Kannel calls back
//! (delivery reports, incoming SMS), and the pages.

pub mod api;
pub mod kannel;
pub mod pages;

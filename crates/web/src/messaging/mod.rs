//! Messaging: the outbox's JSON API, the endpoints Kannel calls back
//! (delivery reports, incoming SMS), templates, the pages, and the GovStack
//! Messaging building block's API.

pub mod api;
pub mod govstack;
pub mod kannel;
pub mod pages;
pub mod templates;
pub mod templates_api;

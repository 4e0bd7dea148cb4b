//! Accounts: users, signing in, sessions, tokens and passwords, as the JSON
//! API and the pages.

pub mod api;
pub mod pages;

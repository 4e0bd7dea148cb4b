//! Diwan's integration tests, on SQLite (default) or PostgreSQL
//! (`DIWAN_TEST_BACKEND=postgres`): a real server per test over HTTP, the
//! built binary as separate processes (crash, several nodes), and the store
//! contract through the `Store` trait on a fresh database.

mod audit;
mod auth;
mod backup;
mod clock;
mod contract;
mod crash;
mod csrf;
mod deadlines;
mod errors;
mod govstack;
mod govstack_messaging;
mod helpers;
mod inquiry;
mod inquiry_list;
mod inquiry_replies;
mod inquiry_sending;
mod isolation;
mod journey;
mod messaging;
mod nodes;
mod ops;
mod pages;
mod persons;
mod process;
mod reports_flood;
mod search;
mod security;
mod workflows;

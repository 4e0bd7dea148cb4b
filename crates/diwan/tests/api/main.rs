//! Diwan's integration tests: a real server per test, over HTTP, on SQLite
//! (default) or PostgreSQL (`DIWAN_TEST_BACKEND=postgres`).

mod audit;
mod auth;
mod deadlines;
mod errors;
mod govstack;
mod helpers;
mod isolation;
mod journey;
mod ops;
mod pages;
mod search;
mod security;

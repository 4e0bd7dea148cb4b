//! Diwan's integration tests: a real server per test, over HTTP, on SQLite
//! (default) or PostgreSQL (`DIWAN_TEST_BACKEND=postgres`).

mod audit;
mod auth;
mod backup;
mod clock;
mod crash;
mod csrf;
mod deadlines;
mod errors;
mod govstack;
mod helpers;
mod isolation;
mod journey;
mod nodes;
mod ops;
mod pages;
mod process;
mod search;
mod security;

//! The registry of persons: its JSON API and its pages.

pub mod api;
pub mod pages;

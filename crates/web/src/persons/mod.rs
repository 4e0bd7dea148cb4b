//! The registry of persons: its JSON API, its pages, and imports from CSV
//! files (both API and pages).

pub mod api;
pub mod imports;
pub mod pages;

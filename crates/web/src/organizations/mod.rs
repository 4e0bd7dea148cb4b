//! Organizations: the organization tree and its holidays, as the JSON API.

pub mod api;

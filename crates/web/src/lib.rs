//! Diwan's HTTP face: server-rendered pages, the JSON API, the GovStack
//! Workflow API and the operations endpoints. Only this crate knows HTTP.
#![forbid(unsafe_code)]

pub mod assets;
pub mod i18n;

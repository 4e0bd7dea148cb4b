//! What every capability's handlers share and no capability owns: the API's
//! extractors and errors, who is calling, form and cursor parsing, the page
//! frame and the OpenAPI document's common part. Nothing here imports a
//! capability.

pub mod auth;
pub mod csrf;
pub mod cursor;
pub mod drain;
pub mod error;
pub mod extract;
pub mod form;
pub mod openapi;
pub mod page;
pub mod routes;

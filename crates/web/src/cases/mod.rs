//! Cases: workflows, filing, moves, queues, search and attachments, as the
//! JSON API, the GovStack Workflow API and the pages.

pub mod api;
pub mod dto;
pub mod filter;
pub mod govstack;
pub mod pages;

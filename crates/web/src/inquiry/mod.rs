//! The national inquiry's pages: the manager's (`pages`, with the list
//! audience and the test send in `draft`), the call centre's
//! (`call_centre`), the answers' export (`export`), the citizen's personal
//! link and the public results (`link`), and the results both show
//! (`results`).

pub mod call_centre;
pub mod draft;
pub mod export;
pub mod link;
pub mod pages;
pub mod results;

#[cfg(test)]
pub(crate) mod tests {
    /// An inquiry for tests of what pages make of one.
    pub fn sample_inquiry() -> diwan_store::Inquiry {
        let now = chrono::Utc::now();
        diwan_store::Inquiry {
            id: uuid::Uuid::now_v7(),
            org_id: uuid::Uuid::now_v7(),
            code: Some("A1".into()),
            title: "استعلام".into(),
            state: diwan_domain::inquiry::InquiryState::Open,
            questions: Vec::new(),
            municipalities: Vec::new(),
            sample: None,
            web_link: true,
            starts_at: now,
            quiet_start: 1320,
            quiet_end: 480,
            public_results: false,
            created_by: uuid::Uuid::now_v7(),
            submitted_at: None,
            approved_by: None,
            approved_at: None,
            recipients: 0,
            recipients_fixed: true,
            queued: 0,
            respondents: 0,
            batch_id: None,
            link_key: "k".into(),
            list_size: None,
            created_at: now,
            updated_at: now,
            closed_at: None,
        }
    }
}

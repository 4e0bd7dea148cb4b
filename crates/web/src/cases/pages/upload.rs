//! What the filing form and the case page's forms share: checking an
//! uploaded file before anything is saved, and the status of a form that
//! failed on its fields.

use crate::kit::form::Upload;
use crate::kit::page::FieldErrors;
use crate::AppState;
use axum::http::StatusCode;

/// Checks a file before anything is saved, with the service's own rules.
pub fn check_upload(state: &AppState, file: &Upload, errors: &mut FieldErrors) {
    if file.data.is_empty() {
        errors.add("file", "file-empty");
    } else if file.data.len() > state.services.config.max_attachment_bytes {
        errors.add("file", "file-too-large");
    } else if diwan_services::attachments::sniff(&file.data).is_none() {
        errors.add("file", "file-type-not-allowed");
    }
}

/// The status for a form whose only problems are the given fields.
pub fn status_for(errors: &FieldErrors) -> StatusCode {
    match errors.get("file") {
        "file-too-large" => StatusCode::PAYLOAD_TOO_LARGE,
        "file-type-not-allowed" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    }
}

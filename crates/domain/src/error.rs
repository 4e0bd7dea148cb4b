//! Stable error codes. Each code is snake_case, appears in API responses as
//! `code`, and doubles as the Fluent key of the message shown to people.

use serde::Serialize;
use std::fmt;

/// The stable, documented error codes of Diwan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Unauthenticated,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    Conflict,
    InvalidCredentials,
    TooManyAttempts,
    CsrfFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// More work than the server takes at once: tried again later.
    Busy,
    Internal,
}

impl ErrorCode {
    /// The one table of the codes: each code's wire name (which, with
    /// `error-` before it and dashes for underscores, is also its Fluent
    /// key) and the HTTP status that carries it.
    const fn entry(self) -> (&'static str, u16) {
        match self {
            ErrorCode::NotFound => ("not_found", 404),
            ErrorCode::Unauthenticated => ("unauthenticated", 401),
            ErrorCode::Forbidden => ("forbidden", 403),
            ErrorCode::InvalidInput => ("invalid_input", 400),
            ErrorCode::InvalidTransition => ("invalid_transition", 409),
            ErrorCode::Conflict => ("conflict", 409),
            ErrorCode::InvalidCredentials => ("invalid_credentials", 401),
            ErrorCode::TooManyAttempts => ("too_many_attempts", 429),
            ErrorCode::CsrfFailed => ("csrf_failed", 403),
            ErrorCode::PayloadTooLarge => ("payload_too_large", 413),
            ErrorCode::UnsupportedMediaType => ("unsupported_media_type", 415),
            ErrorCode::Busy => ("busy", 503),
            ErrorCode::Internal => ("internal", 500),
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        self.entry().0
    }

    /// The HTTP status that carries the code.
    pub fn http_status(self) -> u16 {
        self.entry().1
    }

    /// The Fluent key of the code's message.
    pub fn translation_key(self) -> String {
        format!("error-{}", self.as_str().replace('_', "-"))
    }

    /// Every code, for documentation and for checking that each one is translated.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::NotFound,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidTransition,
        ErrorCode::Conflict,
        ErrorCode::InvalidCredentials,
        ErrorCode::TooManyAttempts,
        ErrorCode::CsrfFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Busy,
        ErrorCode::Internal,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a field was refused: a closed set, each reason a Fluent key (the
/// same in every language file) of the sentence shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    FieldInvalid,
    FieldRequired,
    FieldTooLong,
    FieldTooShort,
    FieldUnknown,
    AmountInvalid,
    FileTooLarge,
    FileTypeNotAllowed,
    FileEmpty,
    CaseTypeUnknown,
    DepartmentUnknown,
    DepartmentRequired,
    AssigneeUnknown,
    AssigneeRequired,
    MessageRequired,
    MoveNotAvailable,
    RoleUnknown,
    OrgKindUnknown,
    TimeZoneUnknown,
    ClockUnknown,
    PasswordTooShort,
    PasswordTooCommon,
    PasswordSame,
    PasswordMismatch,
    PasswordCurrentWrong,
    UsernameTaken,
    DateInvalid,
    TrackingNumberInvalid,
    PrefixInvalid,
    WorkflowDuplicate,
    WorkflowCodeInvalid,
    WorkflowDuplicateState,
    WorkflowTerminatedStateOpen,
    WorkflowUnknownState,
    WorkflowInitialStateStarted,
    WorkflowTransitionIncomplete,
    WorkflowTransitionToInitial,
    WorkflowAutoRouteInvalid,
    WorkflowNoFilingMove,
    BodyMalformed,
    QueryMalformed,
    NationalNumberInvalid,
    MobileInvalid,
    EmailInvalid,
    SexUnknown,
    LanguageUnknown,
    MunicipalityUnknown,
    ImportHeaderInvalid,
    MunicipalityNotOwn,
    NationalNumberElsewhere,
    ChannelUnknown,
    KindUnknown,
    KindNotAllowed,
    MobileNotLibyan,
    AudienceNotOwn,
    TemplatePlaceholderInvalid,
    TemplatePlaceholdersDiffer,
    TemplatePlaceholderUnknown,
    TemplateNameTaken,
    TemplateUnknown,
    InquiryOptionsCount,
    InquirySecondPerson,
    InquiryCodesTaken,
    InquiryAnswerUnread,
    InquiryListEntryUnread,
    InquiryListPersonUnknown,
    InquiryListEmpty,
    InquiryStartPast,
    InquiryNotDraft,
}

impl Reason {
    /// The reason's Fluent key.
    pub fn key(self) -> &'static str {
        match self {
            Reason::FieldInvalid => "field-invalid",
            Reason::FieldRequired => "field-required",
            Reason::FieldTooLong => "field-too-long",
            Reason::FieldTooShort => "field-too-short",
            Reason::FieldUnknown => "field-unknown",
            Reason::AmountInvalid => "amount-invalid",
            Reason::FileTooLarge => "file-too-large",
            Reason::FileTypeNotAllowed => "file-type-not-allowed",
            Reason::FileEmpty => "file-empty",
            Reason::CaseTypeUnknown => "case-type-unknown",
            Reason::DepartmentUnknown => "department-unknown",
            Reason::DepartmentRequired => "department-required",
            Reason::AssigneeUnknown => "assignee-unknown",
            Reason::AssigneeRequired => "assignee-required",
            Reason::MessageRequired => "message-required",
            Reason::MoveNotAvailable => "move-not-available",
            Reason::RoleUnknown => "role-unknown",
            Reason::OrgKindUnknown => "org-kind-unknown",
            Reason::TimeZoneUnknown => "time-zone-unknown",
            Reason::ClockUnknown => "clock-unknown",
            Reason::PasswordTooShort => "password-too-short",
            Reason::PasswordTooCommon => "password-too-common",
            Reason::PasswordSame => "password-same",
            Reason::PasswordMismatch => "password-mismatch",
            Reason::PasswordCurrentWrong => "password-current-wrong",
            Reason::UsernameTaken => "username-taken",
            Reason::DateInvalid => "date-invalid",
            Reason::TrackingNumberInvalid => "tracking-number-invalid",
            Reason::PrefixInvalid => "prefix-invalid",
            Reason::WorkflowDuplicate => "workflow-duplicate",
            Reason::WorkflowCodeInvalid => "workflow-code-invalid",
            Reason::WorkflowDuplicateState => "workflow-duplicate-state",
            Reason::WorkflowTerminatedStateOpen => "workflow-terminated-state-open",
            Reason::WorkflowUnknownState => "workflow-unknown-state",
            Reason::WorkflowInitialStateStarted => "workflow-initial-state-started",
            Reason::WorkflowTransitionIncomplete => "workflow-transition-incomplete",
            Reason::WorkflowTransitionToInitial => "workflow-transition-to-initial",
            Reason::WorkflowAutoRouteInvalid => "workflow-auto-route-invalid",
            Reason::WorkflowNoFilingMove => "workflow-no-filing-move",
            Reason::BodyMalformed => "body-malformed",
            Reason::QueryMalformed => "query-malformed",
            Reason::NationalNumberInvalid => "national-number-invalid",
            Reason::MobileInvalid => "mobile-invalid",
            Reason::EmailInvalid => "email-invalid",
            Reason::SexUnknown => "sex-unknown",
            Reason::LanguageUnknown => "language-unknown",
            Reason::MunicipalityUnknown => "municipality-unknown",
            Reason::ImportHeaderInvalid => "import-header-invalid",
            Reason::MunicipalityNotOwn => "municipality-not-own",
            Reason::NationalNumberElsewhere => "national-number-elsewhere",
            Reason::ChannelUnknown => "channel-unknown",
            Reason::KindUnknown => "kind-unknown",
            Reason::KindNotAllowed => "kind-not-allowed",
            Reason::MobileNotLibyan => "mobile-not-libyan",
            Reason::AudienceNotOwn => "audience-not-own",
            Reason::TemplatePlaceholderInvalid => "template-placeholder-invalid",
            Reason::TemplatePlaceholdersDiffer => "template-placeholders-differ",
            Reason::TemplatePlaceholderUnknown => "template-placeholder-unknown",
            Reason::TemplateNameTaken => "template-name-taken",
            Reason::TemplateUnknown => "template-unknown",
            Reason::InquiryOptionsCount => "inquiry-options-count",
            Reason::InquirySecondPerson => "inquiry-second-person",
            Reason::InquiryCodesTaken => "inquiry-codes-taken",
            Reason::InquiryAnswerUnread => "inquiry-answer-unread",
            Reason::InquiryListEntryUnread => "inquiry-list-entry-unread",
            Reason::InquiryListPersonUnknown => "inquiry-list-person-unknown",
            Reason::InquiryListEmpty => "inquiry-list-empty",
            Reason::InquiryStartPast => "inquiry-start-past",
            Reason::InquiryNotDraft => "inquiry-not-draft",
        }
    }

    /// Every reason, for documentation and for checking that each one is translated.
    pub const ALL: [Reason; 69] = [
        Reason::FieldInvalid,
        Reason::FieldRequired,
        Reason::FieldTooLong,
        Reason::FieldTooShort,
        Reason::FieldUnknown,
        Reason::AmountInvalid,
        Reason::FileTooLarge,
        Reason::FileTypeNotAllowed,
        Reason::FileEmpty,
        Reason::CaseTypeUnknown,
        Reason::DepartmentUnknown,
        Reason::DepartmentRequired,
        Reason::AssigneeUnknown,
        Reason::AssigneeRequired,
        Reason::MessageRequired,
        Reason::MoveNotAvailable,
        Reason::RoleUnknown,
        Reason::OrgKindUnknown,
        Reason::TimeZoneUnknown,
        Reason::ClockUnknown,
        Reason::PasswordTooShort,
        Reason::PasswordTooCommon,
        Reason::PasswordSame,
        Reason::PasswordMismatch,
        Reason::PasswordCurrentWrong,
        Reason::UsernameTaken,
        Reason::DateInvalid,
        Reason::TrackingNumberInvalid,
        Reason::PrefixInvalid,
        Reason::WorkflowDuplicate,
        Reason::WorkflowCodeInvalid,
        Reason::WorkflowDuplicateState,
        Reason::WorkflowTerminatedStateOpen,
        Reason::WorkflowUnknownState,
        Reason::WorkflowInitialStateStarted,
        Reason::WorkflowTransitionIncomplete,
        Reason::WorkflowTransitionToInitial,
        Reason::WorkflowAutoRouteInvalid,
        Reason::WorkflowNoFilingMove,
        Reason::BodyMalformed,
        Reason::QueryMalformed,
        Reason::NationalNumberInvalid,
        Reason::MobileInvalid,
        Reason::EmailInvalid,
        Reason::SexUnknown,
        Reason::LanguageUnknown,
        Reason::MunicipalityUnknown,
        Reason::ImportHeaderInvalid,
        Reason::MunicipalityNotOwn,
        Reason::NationalNumberElsewhere,
        Reason::ChannelUnknown,
        Reason::KindUnknown,
        Reason::KindNotAllowed,
        Reason::MobileNotLibyan,
        Reason::AudienceNotOwn,
        Reason::TemplatePlaceholderInvalid,
        Reason::TemplatePlaceholdersDiffer,
        Reason::TemplatePlaceholderUnknown,
        Reason::TemplateNameTaken,
        Reason::TemplateUnknown,
        Reason::InquiryOptionsCount,
        Reason::InquirySecondPerson,
        Reason::InquiryCodesTaken,
        Reason::InquiryAnswerUnread,
        Reason::InquiryListEntryUnread,
        Reason::InquiryListPersonUnknown,
        Reason::InquiryListEmpty,
        Reason::InquiryStartPast,
        Reason::InquiryNotDraft,
    ];
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

/// A failure that people can be told about: a code, the fields that were
/// wrong and why, and for a refusal that passes, when to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}", details.iter().map(|(k, v)| format!(" {k}={v}")).collect::<String>())]
pub struct DomainError {
    pub code: ErrorCode,
    pub details: Vec<(String, Reason)>,
    /// For `too_many_attempts`: seconds until an attempt is accepted again.
    pub retry_after_secs: Option<u64>,
}

impl DomainError {
    pub fn new(code: ErrorCode) -> Self {
        DomainError {
            code,
            details: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// An invalid field.
    pub fn invalid(field: &str, reason: Reason) -> Self {
        DomainError::new(ErrorCode::InvalidInput).with(field, reason)
    }

    pub fn not_found() -> Self {
        DomainError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> Self {
        DomainError::new(ErrorCode::Forbidden)
    }

    pub fn with(mut self, field: &str, reason: Reason) -> Self {
        self.details.push((field.to_owned(), reason));
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }
}

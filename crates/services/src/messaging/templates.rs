//! Message templates: written once per language with named placeholders,
//! previewed with their sample values, then used by bulk SMS (the values
//! given once for the whole batch, each person getting the text of their
//! language) and by single messages (the values of that message).
//!
//! Administrators keep every organization's templates, a municipality's
//! head his own municipality's; auditors read them all. Transactional
//! templates (codes, notices, which pass opt-outs) are an administrator's
//! only, as transactional messages are.

use super::{check_text, may_send, sight};
use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::messaging::sms::SmsCount;
use diwan_domain::messaging::template::{self, Draft, Template, Texts};
use diwan_domain::messaging::Kind;
use diwan_domain::persons::Language;
use diwan_domain::{Reason, Role};
use diwan_store::{BulkTexts, MessageTemplate, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest text of a template, in characters: what ten UCS-2 parts
/// hold, placeholders not yet filled.
pub const MAX_TEMPLATE_CHARS: usize = 670;

/// A template as its form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct TemplateForm {
    pub name: String,
    pub kind: Option<String>,
    pub text_ar: String,
    pub text_en: Option<String>,
    pub text_fr: Option<String>,
    pub samples: BTreeMap<String, String>,
}

/// One language's text of a template with values filled in, as an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub language: Language,
    pub text: String,
    pub count: SmsCount,
}

/// A checked template and each of its languages filled with its samples.
#[derive(Debug, Clone)]
pub struct TemplatePreview {
    pub template: Template,
    pub rendered: Vec<Rendered>,
}

/// Each written language of `t` filled with `values`, each checked as an
/// SMS (at most ten parts), the error at that language's text.
pub fn render_all(t: &Template, values: &BTreeMap<String, String>) -> Result<Vec<Rendered>> {
    let mut out = Vec::new();
    for (language, text) in t.texts.written() {
        let field = match language {
            Language::Ar => "text_ar",
            Language::En => "text_en",
            Language::Fr => "text_fr",
        };
        let text = template::render(text, values)
            .map_err(|_| Error::invalid(field, Reason::TemplatePlaceholderInvalid))?;
        let count = check_text(field, &text)?;
        out.push(Rendered {
            language,
            text,
            count,
        });
    }
    Ok(out)
}

/// The texts a bulk message of `rendered` takes per language: a language
/// not written gets the Arabic.
pub fn bulk_texts(rendered: &[Rendered]) -> BulkTexts {
    let of = |l: Language| {
        rendered
            .iter()
            .find(|r| r.language == l)
            .or_else(|| rendered.first())
            .map(|r| (r.text.clone(), r.count.parts as i32))
            .unwrap_or_default()
    };
    BulkTexts {
        texts: Language::ALL.map(of),
    }
}

fn draft_of(f: TemplateForm) -> Result<Draft> {
    let kind = match f.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| Error::invalid("kind", Reason::KindUnknown))?),
    };
    Ok(Draft {
        name: f.name,
        kind,
        texts: Texts {
            ar: f.text_ar.replace("\r\n", "\n"),
            en: f.text_en.map(|t| t.replace("\r\n", "\n")),
            fr: f.text_fr.map(|t| t.replace("\r\n", "\n")),
        },
        samples: f.samples,
    })
}

impl Services {
    /// Checks a template as written and fills each language with its
    /// samples, without keeping it.
    pub fn preview_template(&self, caller: &Caller, f: TemplateForm) -> Result<TemplatePreview> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        let template = template::check(draft_of(f)?, MAX_TEMPLATE_CHARS)?;
        if template.kind == Kind::Transactional && caller.role != Role::Admin {
            return Err(Error::invalid("kind", Reason::KindNotAllowed));
        }
        let rendered = render_all(&template, &template.samples)?;
        Ok(TemplatePreview { template, rendered })
    }

    /// The templates the caller may use, by name.
    pub async fn message_templates(&self, caller: &Caller) -> Result<Shown<Vec<MessageTemplate>>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        let list = tx.list_message_templates(own).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body: list })
    }

    /// One template, if the caller may see it; another municipality's is
    /// not found.
    pub async fn message_template(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Shown<MessageTemplate>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        let t = tx
            .get_message_template(id)
            .await?
            .filter(|t| own.is_none_or(|o| o == t.org_id) && t.archived_at.is_none())
            .ok_or_else(Error::not_found)?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body: t })
    }

    /// Saves a new template of the caller's organization (`id` none), or a
    /// new version of one (the earlier text kept in the audit record), in
    /// one transaction with its audit record.
    pub async fn save_template(
        &self,
        caller: &Caller,
        id: Option<Uuid>,
        f: TemplateForm,
    ) -> Result<MessageTemplate> {
        if let Some(id) = id {
            // One the caller may not see is not found, whatever the form.
            self.usable_template(caller, id, "id")
                .await
                .map_err(|_| Error::not_found())?;
        }
        let checked = self.preview_template(caller, f)?.template;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let before = match id {
            None => None,
            Some(id) => {
                let own = sight(caller)?;
                let t = tx
                    .get_message_template(id)
                    .await?
                    .filter(|t| own.is_none_or(|o| o == t.org_id) && t.archived_at.is_none())
                    .ok_or_else(Error::not_found)?;
                Some(t)
            }
        };
        let saved = MessageTemplate {
            id: before.as_ref().map_or_else(Uuid::now_v7, |b| b.id),
            org_id: before.as_ref().map_or(caller.org_id, |b| b.org_id),
            template: checked,
            created_by: before
                .as_ref()
                .map_or(Some(caller.user_id), |b| b.created_by),
            created_at: before.as_ref().map_or(now, |b| b.created_at),
            updated_at: now,
            archived_at: None,
        };
        match tx.save_message_template(&saved).await {
            Err(StoreError::Conflict(_)) => {
                return Err(Error::invalid("name", Reason::TemplateNameTaken))
            }
            r => r?,
        }
        let texts = |t: &Template| {
            json!({"name": t.name, "kind": t.kind.as_str(), "text_ar": t.texts.ar,
                   "text_en": t.texts.en, "text_fr": t.texts.fr, "samples": t.samples})
        };
        let (action, details) = match &before {
            None => ("message.template_create", texts(&saved.template)),
            Some(b) => (
                "message.template_update",
                json!({"before": texts(&b.template), "after": texts(&saved.template)}),
            ),
        };
        record(
            &mut *tx,
            Some(caller),
            now,
            action,
            "message_template",
            Some(saved.id.to_string()),
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// A template the caller may send with; one they may not see is, to
    /// them, no template (refused at `field`).
    pub(crate) async fn usable_template(
        &self,
        caller: &Caller,
        id: Uuid,
        field: &str,
    ) -> Result<MessageTemplate> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        tx.get_message_template(id)
            .await?
            .filter(|t| own.is_none_or(|o| o == t.org_id) && t.archived_at.is_none())
            .ok_or_else(|| Error::invalid(field, Reason::TemplateUnknown))
    }
}

//! Message templates: one text per language (Arabic always, English and
//! French when written), with named placeholders such as `{code}` or
//! `{amount}` that the capability sending the message fills in.
//!
//! A placeholder is a name of lowercase Latin letters, digits and `_`,
//! starting with a letter, between braces; `{{` and `}}` stand for a brace
//! itself. Every language's text uses the same placeholders, so that a
//! value cannot be shown in one language and missing in another, and each
//! placeholder has a sample value, with which the template is previewed
//! before it is used. A recipient gets the text of their preferred
//! language, Arabic when that one is not written.

use super::Kind;
use crate::persons::Language;
use crate::{DomainError, Reason};
use std::collections::BTreeMap;

/// The longest name of a placeholder.
pub const MAX_NAME_CHARS: usize = 32;
/// The longest name of a template.
pub const MAX_TEMPLATE_NAME_CHARS: usize = 100;
/// The longest value given to a placeholder.
pub const MAX_VALUE_CHARS: usize = 200;

/// A piece of a template's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Placeholder(&'a str),
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')
        && s.len() <= MAX_NAME_CHARS
}

/// Splits `text` into text, escaped braces and placeholders; `None` when a
/// brace is left open or closed alone, or a name is not one.
fn pieces(text: &str) -> Option<Vec<Piece<'_>>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let brace = rest.as_bytes()[at] as char;
        let after = &rest[at + 1..];
        if after.starts_with(brace) {
            out.push(Piece::Brace(brace));
            rest = &after[1..];
        } else if brace == '}' {
            return None;
        } else {
            let end = after.find('}')?;
            let name = &after[..end];
            if !is_name(name) {
                return None;
            }
            out.push(Piece::Placeholder(name));
            rest = &after[end + 1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Some(out)
}

/// The placeholders of `text`, each once, in order of appearance.
pub fn placeholders(text: &str) -> Result<Vec<String>, Reason> {
    let mut names: Vec<String> = Vec::new();
    for p in pieces(text).ok_or(Reason::TemplatePlaceholderInvalid)? {
        if let Piece::Placeholder(n) = p {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_owned());
            }
        }
    }
    Ok(names)
}

/// `text` with its placeholders replaced by `values`; the name of the
/// first placeholder without a value is the error.
pub fn render(text: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let Some(pieces) = pieces(text) else {
        return Err(String::new());
    };
    let mut out = String::with_capacity(text.len());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(b) => out.push(b),
            Piece::Placeholder(n) => out.push_str(values.get(n).ok_or_else(|| n.to_owned())?),
        }
    }
    Ok(out)
}

/// A template's texts, one per language, Arabic required.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Texts {
    pub ar: String,
    pub en: Option<String>,
    pub fr: Option<String>,
}

impl Texts {
    /// The text for a recipient who prefers `language`: theirs when it is
    /// written, the Arabic otherwise.
    pub fn for_language(&self, language: Language) -> &str {
        match language {
            Language::Ar => &self.ar,
            Language::En => self.en.as_deref().unwrap_or(&self.ar),
            Language::Fr => self.fr.as_deref().unwrap_or(&self.ar),
        }
    }

    /// The languages written, Arabic first.
    pub fn written(&self) -> Vec<(Language, &str)> {
        let mut out = vec![(Language::Ar, self.ar.as_str())];
        if let Some(en) = &self.en {
            out.push((Language::En, en));
        }
        if let Some(fr) = &self.fr {
            out.push((Language::Fr, fr));
        }
        out
    }
}

/// A template as it is written, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub name: String,
    pub kind: Option<Kind>,
    pub texts: Texts,
    /// A sample value per placeholder.
    pub samples: BTreeMap<String, String>,
}

/// A checked template: a name, a kind, its texts and its placeholders,
/// each with a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub kind: Kind,
    pub texts: Texts,
    pub placeholders: Vec<String>,
    pub samples: BTreeMap<String, String>,
}

fn field_of(language: Language) -> &'static str {
    match language {
        Language::Ar => "text_ar",
        Language::En => "text_en",
        Language::Fr => "text_fr",
    }
}

/// Checks a draft: a name; Arabic text; every text's placeholders well
/// formed and the same as the Arabic's; a sample for each placeholder (and
/// none for a name no text uses); `max_chars` per text. Every problem is
/// reported, each at its field.
pub fn check(draft: Draft, max_chars: usize) -> Result<Template, DomainError> {
    let mut e = DomainError::new(crate::ErrorCode::InvalidInput);
    let name = draft.name.trim().to_owned();
    if name.is_empty() {
        e = e.with("name", Reason::FieldRequired);
    } else if name.chars().count() > MAX_TEMPLATE_NAME_CHARS || name.contains(['\r', '\n']) {
        e = e.with("name", Reason::FieldTooLong);
    }
    let kind = draft.kind.unwrap_or(Kind::Bulk);
    let clean = |t: Option<String>| t.filter(|t| !t.trim().is_empty());
    let texts = Texts {
        ar: draft.texts.ar,
        en: clean(draft.texts.en),
        fr: clean(draft.texts.fr),
    };
    let mut names: Option<Vec<String>> = None;
    if texts.ar.trim().is_empty() {
        e = e.with("text_ar", Reason::FieldRequired);
    }
    for (language, text) in texts.written() {
        let field = field_of(language);
        if text.trim().is_empty() {
            continue;
        }
        if text.chars().count() > max_chars {
            e = e.with(field, Reason::FieldTooLong);
            continue;
        }
        match placeholders(text) {
            Err(r) => e = e.with(field, r),
            Ok(mut found) => {
                found.sort();
                match &names {
                    None => names = Some(found),
                    Some(n) if *n != found => e = e.with(field, Reason::TemplatePlaceholdersDiffer),
                    Some(_) => {}
                }
            }
        }
    }
    let names = names.unwrap_or_default();
    let mut samples = BTreeMap::new();
    for n in &names {
        match draft.samples.get(n).map(|v| v.trim()) {
            None | Some("") => e = e.with(&format!("sample_{n}"), Reason::FieldRequired),
            Some(v) if v.chars().count() > MAX_VALUE_CHARS => {
                e = e.with(&format!("sample_{n}"), Reason::FieldTooLong)
            }
            Some(v) => {
                samples.insert(n.clone(), v.to_owned());
            }
        }
    }
    if !e.details.is_empty() {
        return Err(e);
    }
    // In the Arabic's order, as the designer wrote them.
    let placeholders = placeholders(&texts.ar).unwrap_or_default();
    Ok(Template {
        name,
        kind,
        texts,
        placeholders,
        samples,
    })
}

/// Checks the values given to a template's placeholders: each one given,
/// on one line and bounded, and no other.
pub fn check_values(
    placeholders: &[String],
    values: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, DomainError> {
    let mut e = DomainError::new(crate::ErrorCode::InvalidInput);
    let mut out = BTreeMap::new();
    for n in placeholders {
        let field = format!("values.{n}");
        match values.get(n).map(|v| v.trim()) {
            None | Some("") => e = e.with(&field, Reason::FieldRequired),
            Some(v) if v.chars().count() > MAX_VALUE_CHARS || v.contains(['\r', '\n']) => {
                e = e.with(&field, Reason::FieldTooLong)
            }
            Some(v) => {
                out.insert(n.clone(), v.to_owned());
            }
        }
    }
    for n in values.keys() {
        if !placeholders.contains(n) {
            e = e.with(&format!("values.{n}"), Reason::TemplatePlaceholderUnknown);
        }
    }
    if e.details.is_empty() {
        Ok(out)
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn placeholders_are_named_in_braces_and_braces_escape_themselves() {
        assert_eq!(
            placeholders("رمزك {code}، صالح {minutes} دقائق. {code}").unwrap(),
            ["code", "minutes"]
        );
        assert_eq!(placeholders("{{code}} {x_1}").unwrap(), ["x_1"]);
        for bad in ["{", "}", "{Code}", "{1a}", "{a b}", "{}", "a } b", "{a"] {
            assert_eq!(
                placeholders(bad),
                Err(Reason::TemplatePlaceholderInvalid),
                "{bad}"
            );
        }
        assert_eq!(
            render("{{x}} = {x}", &values(&[("x", "١٢")])).unwrap(),
            "{x} = ١٢"
        );
        assert_eq!(render("{a}{b}", &values(&[("a", "1")])), Err("b".into()));
    }

    #[test]
    fn a_recipient_gets_their_language_or_the_arabic() {
        let t = Texts {
            ar: "مرحبا".into(),
            en: Some("Hello".into()),
            fr: None,
        };
        assert_eq!(t.for_language(Language::En), "Hello");
        assert_eq!(t.for_language(Language::Fr), "مرحبا");
        assert_eq!(t.for_language(Language::Ar), "مرحبا");
    }

    #[test]
    fn every_language_uses_the_same_placeholders_each_with_a_sample() {
        let draft = |en: &str, samples: &[(&str, &str)]| Draft {
            name: "رمز الدخول".into(),
            kind: Some(Kind::Transactional),
            texts: Texts {
                ar: "رمزك {code}".into(),
                en: Some(en.into()),
                fr: Some(" ".into()),
            },
            samples: values(samples),
        };
        let t = check(draft("Your code {code}", &[("code", "123456")]), 670).unwrap();
        assert_eq!(t.placeholders, ["code"]);
        assert_eq!(t.texts.fr, None, "a blank text is not written");
        let e = check(draft("Your code", &[("code", "1")]), 670).unwrap_err();
        assert_eq!(
            e.details,
            [("text_en".into(), Reason::TemplatePlaceholdersDiffer)]
        );
        let e = check(draft("Your code {code}", &[]), 670).unwrap_err();
        assert_eq!(e.details, [("sample_code".into(), Reason::FieldRequired)]);
        let e = check(
            Draft {
                name: String::new(),
                texts: Texts::default(),
                ..Draft::default()
            },
            670,
        )
        .unwrap_err();
        assert_eq!(
            e.details,
            [
                ("name".into(), Reason::FieldRequired),
                ("text_ar".into(), Reason::FieldRequired)
            ]
        );
    }

    #[test]
    fn values_are_each_given_and_no_other() {
        let p = vec!["code".to_owned()];
        assert!(check_values(&p, &values(&[("code", " 12 ")])).unwrap()["code"] == "12");
        let e = check_values(&p, &values(&[("other", "x")])).unwrap_err();
        assert_eq!(
            e.details,
            [
                ("values.code".into(), Reason::FieldRequired),
                ("values.other".into(), Reason::TemplatePlaceholderUnknown)
            ]
        );
    }

    proptest! {
        /// Whatever the text, reading it never panics, and a text whose
        /// placeholders read renders with values for them, with every
        /// character outside placeholders kept.
        #[test]
        fn any_text_reads_without_panic(text in "[{}a-z ضو١]{0,40}") {
            if let Ok(names) = placeholders(&text) {
                let v: BTreeMap<String, String> =
                    names.iter().map(|n| (n.clone(), String::new())).collect();
                let out = render(&text, &v).unwrap();
                prop_assert!(out.chars().count() <= text.chars().count());
            }
        }

        /// Escaped braces come back as single ones.
        #[test]
        fn escaped_text_renders_as_written(text in "[{}a-z ض]{0,30}") {
            let escaped = text.replace('{', "{{").replace('}', "}}");
            prop_assert_eq!(render(&escaped, &BTreeMap::new()).unwrap(), text);
        }
    }
}

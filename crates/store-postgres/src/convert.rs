//! Conversions between Diwan's types and PostgreSQL's, and error mapping.
//!
//! Most values need no conversion at all: uuid, timestamptz, date, boolean,
//! bytea, jsonb and text[] map straight onto the model's Rust types. What is
//! left is text that holds an enumeration, and the building of full-text
//! queries from search terms.

use diwan_store::StoreError;

/// Maps a database error; a unique-key violation becomes a conflict.
pub fn db<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> StoreError {
    let e: Box<dyn std::error::Error + Send + Sync> = e.into();
    if let Some(sqlx::Error::Database(d)) = e.downcast_ref::<sqlx::Error>() {
        if d.is_unique_violation() {
            return StoreError::Conflict(d.message().to_owned());
        }
    }
    StoreError::Database(e)
}

/// Parses an enumeration stored as text; a value the code does not know means
/// the row was written by something else and is reported as corrupt.
pub fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {s}")))
}

/// PostgreSQL ignores words longer than this many bytes, in documents and in
/// queries alike, so a longer search word can never be found.
const MAX_LEXEME_BYTES: usize = 2047;

/// Builds the `to_tsquery('simple', …)` text for normalized search terms, with
/// the meaning of the SQLite backend's FTS5 query: every term must occur, and
/// the last word of each term may be the start of a longer word.
///
/// A term with hyphens (a tracking number such as `mlg-2026-000123`) becomes a
/// phrase of its parts, `mlg <-> 2026 <-> 000123:*`, as FTS5 reads a quoted
/// term; the stored vector is built with hyphens turned into spaces so the
/// parts stand at consecutive positions. Only alphanumeric characters are
/// kept, so no input can form tsquery operators, quotes or weights.
///
/// Returns `None` when the terms can match no case: FTS5 matches nothing for
/// a query whose terms are all empty, and a word longer than PostgreSQL
/// indexes is in no document.
pub fn tsquery(terms: &[String]) -> Option<String> {
    let mut phrases = Vec::new();
    for term in terms {
        let parts: Vec<String> = term
            .split('-')
            .map(|p| {
                p.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
            })
            .filter(|p| !p.is_empty())
            .collect();
        if parts.iter().any(|p| p.len() > MAX_LEXEME_BYTES) {
            return None;
        }
        // FTS5 skips an empty phrase that stands beside others, so an empty
        // term narrows nothing here either.
        if let Some((last, init)) = parts.split_last() {
            let mut phrase: Vec<String> = init.to_vec();
            phrase.push(format!("{last}:*"));
            phrases.push(phrase.join(" <-> "));
        }
    }
    if phrases.is_empty() {
        None
    } else {
        Some(phrases.join(" & "))
    }
}

#[cfg(test)]
mod tests {
    use super::tsquery;

    fn q(terms: &[&str]) -> Option<String> {
        tsquery(&terms.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn every_term_is_a_prefix_and_all_must_match() {
        assert_eq!(q(&["مدرس", "budget"]).as_deref(), Some("مدرس:* & budget:*"));
    }

    #[test]
    fn hyphenated_terms_become_phrases() {
        assert_eq!(
            q(&["mlg-2026-0001"]).as_deref(),
            Some("mlg <-> 2026 <-> 0001:*")
        );
        assert_eq!(q(&["mlg--2026-"]).as_deref(), Some("mlg <-> 2026:*"));
    }

    #[test]
    fn operators_cannot_be_injected() {
        assert_eq!(
            q(&["a'b", "c:*|!d", "(e)&<->"]).as_deref(),
            Some("ab:* & cd:* & e:*")
        );
        assert_eq!(q(&["'", "-", "&|!"]), None);
        assert_eq!(q(&["x", "-"]).as_deref(), Some("x:*"));
    }

    #[test]
    fn over_long_words_match_nothing() {
        assert_eq!(q(&["x", &"a".repeat(3000)]), None);
    }
}

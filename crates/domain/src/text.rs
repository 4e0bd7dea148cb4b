//! Arabic-aware text rules for search and for every input that holds digits.
//!
//! Search must find "مدرسة" when a clerk types "مدرسه", "إدارة" when they type
//! "ادارة", and must not care about diacritics (tashkeel) or tatweel. Both the
//! stored search text and the query go through [`normalize_for_search`], so the
//! database only ever compares normalized forms.

/// The longest string any single input may hold, in characters: one more
/// than the longest any field accepts (20,000, a letter's body), so that a
/// text over its field's bound reaches the check that refuses it instead of
/// being cut to fit. Each field has its own, tighter bound in the type that
/// parses it; this one guards everything that has none (filters, names
/// looked up).
pub const MAX_INPUT_CHARS: usize = 20_001;

/// Whether `c` may not appear in stored text: NUL and the other C0 and C1
/// control characters (line breaks and tabs excepted), and the
/// bidirectional embedding, override and isolate characters, which can make
/// text display in an order other than the one it is stored in
/// ("invoice\u{202E}fdp.hta" shows as "invoiceath.pdf"). The marks U+200E and
/// U+200F stay: Arabic text with Latin parts legitimately uses them.
pub fn is_forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Removes forbidden characters (see [`is_forbidden_char`]) and cuts the
/// text to [`MAX_INPUT_CHARS`]. Every string that comes in over HTTP goes
/// through this before anything else sees it.
pub fn clean_input(s: &str) -> std::borrow::Cow<'_, str> {
    let over = s.len() > MAX_INPUT_CHARS && s.chars().nth(MAX_INPUT_CHARS).is_some();
    if !over && !s.chars().any(is_forbidden_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .filter(|c| !is_forbidden_char(*c))
            .take(MAX_INPUT_CHARS)
            .collect(),
    )
}

/// One line of text: cleaned as [`clean_input`], line breaks and tabs turned
/// into spaces, trimmed, and cut to `max` characters.
pub fn clean_line(s: &str, max: usize) -> String {
    let line: String = clean_input(s)
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    line.trim().chars().take(max).collect()
}

/// Maps Arabic-Indic (٠–٩) and Eastern Arabic-Indic (۰–۹) digits to ASCII.
pub fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{0660}'..='\u{0669}' => char::from_u32('0' as u32 + (c as u32 - 0x0660)),
        '\u{06F0}'..='\u{06F9}' => char::from_u32('0' as u32 + (c as u32 - 0x06F0)),
        _ => None,
    }
}

/// Replaces every Arabic-Indic digit in `s` by its ASCII digit.
pub fn normalize_digits(s: &str) -> String {
    s.chars().map(|c| ascii_digit(c).unwrap_or(c)).collect()
}

/// Parses a non-negative integer written in any of the digit sets people use.
pub fn parse_number(s: &str) -> Option<u64> {
    let s = normalize_digits(s.trim());
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_tashkeel(c: char) -> bool {
    // Harakat, tanwin, shadda, sukun, the superscript alef, and Quranic marks.
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// Folds one character to its search form, or drops it (`None`).
fn fold(c: char) -> Option<char> {
    if is_tashkeel(c) || c == '\u{0640}' {
        return None; // tatweel and diacritics carry no meaning for search
    }
    if let Some(d) = ascii_digit(c) {
        return Some(d);
    }
    Some(match c {
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ة' => 'ه',
        'ى' => 'ي',
        _ => c,
    })
}

/// The normalized form of text for search: diacritics and tatweel removed,
/// alef variants, taa marbuta and alef maqsura folded, digits made ASCII,
/// Latin letters lower-cased, punctuation turned into spaces and runs of
/// whitespace collapsed.
pub fn normalize_for_search(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        let Some(c) = fold(c) else { continue };
        if c.is_alphanumeric() || c == '-' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            // A letter whose lower case is more than one character ('İ' is
            // 'i' and a combining dot) keeps only its letters, so that the
            // result is its own normal form.
            out.extend(
                c.to_lowercase()
                    .filter(|l| l.is_alphanumeric() || *l == '-'),
            );
        } else {
            pending_space = true;
        }
    }
    out
}

/// Splits a search query into normalized terms.
pub fn search_terms(q: &str) -> Vec<String> {
    normalize_for_search(q)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Compares two secrets (keys, tokens) in time that depends only on their
/// lengths, not on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert!(!constant_time_eq("", "a"));
    }

    #[test]
    fn input_is_cleaned_of_controls_and_bidi_overrides() {
        assert_eq!(clean_input("a\0b\u{7}c\u{85}d"), "abcd");
        assert_eq!(clean_input("invoice\u{202E}fdp.hta"), "invoicefdp.hta");
        assert_eq!(clean_input("x\u{2066}y\u{2069}"), "xy");
        // Line breaks, tabs and the directional marks stay.
        assert_eq!(clean_input("سطر\nline\t\u{200F}"), "سطر\nline\t\u{200F}");
        assert!(matches!(
            clean_input("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        let long = "ب".repeat(MAX_INPUT_CHARS + 10);
        assert_eq!(clean_input(&long).chars().count(), MAX_INPUT_CHARS);
        assert_eq!(clean_line("  a\nb\0 c  ", 100), "a b c");
        assert_eq!(clean_line("abcdef", 3), "abc");
    }

    use proptest::prelude::*;

    #[test]
    fn folds_letter_variants_and_strips_marks() {
        assert_eq!(normalize_for_search("إِدارَة"), normalize_for_search("ادارة"));
        assert_eq!(normalize_for_search("مدرسة"), "مدرسه");
        assert_eq!(normalize_for_search("مستشفى"), "مستشفي");
        assert_eq!(normalize_for_search("آمنة"), "امنه");
        assert_eq!(normalize_for_search("طـــرابلس"), "طرابلس");
        assert_eq!(
            normalize_for_search("  Budget,   TRANSFER "),
            "budget transfer"
        );
        assert_eq!(normalize_for_search("MLG-٢٠٢٦-٠٠٠١٢٣"), "mlg-2026-000123");
        assert_eq!(normalize_for_search("İstanbul"), "istanbul");
    }

    #[test]
    fn parses_numbers_in_every_digit_set() {
        assert_eq!(parse_number("١٢٣"), Some(123));
        assert_eq!(parse_number("۴۵"), Some(45));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("4a"), None);
        assert_eq!(parse_number(""), None);
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(s in "\\PC{0,40}") {
            let once = normalize_for_search(&s);
            prop_assert_eq!(normalize_for_search(&once), once.clone());
        }

        #[test]
        fn diacritics_never_change_the_result(base in "[ابتثجحخدذرزسشصضطظعغفقكلمنهوي ]{0,20}", marks in proptest::collection::vec(0usize..8, 0..20)) {
            let harakat = ['\u{064B}', '\u{064C}', '\u{064D}', '\u{064E}', '\u{064F}', '\u{0650}', '\u{0651}', '\u{0652}'];
            let mut decorated = String::new();
            for (i, c) in base.chars().enumerate() {
                decorated.push(c);
                if let Some(m) = marks.get(i) { decorated.push(harakat[*m]); }
                if i % 3 == 0 { decorated.push('\u{0640}'); }
            }
            prop_assert_eq!(normalize_for_search(&decorated), normalize_for_search(&base));
        }

        #[test]
        fn arabic_indic_digits_equal_ascii(n in 0u64..10_000_000) {
            let ascii = n.to_string();
            let arabic: String = ascii.chars().map(|c| char::from_u32(0x0660 + c.to_digit(10).unwrap()).unwrap()).collect();
            prop_assert_eq!(parse_number(&arabic), Some(n));
            prop_assert_eq!(normalize_for_search(&arabic), ascii);
        }
    }
}

//! Schemas of text as the server reads it: cleaned of the characters every
//! input loses ([`REMOVED`]), trimmed of white space ([`SPACE`]), and
//! checked. Each pattern accepts a raw string exactly when the server does,
//! so a client that sends a stray control character or surrounding blanks
//! learns from the document what happens to them.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// The characters removed from every string before it is read: the C0
/// and C1 controls except tab, line feed and carriage return, and the
/// bidirectional embedding, override and isolate characters (a regular
/// expression class, without its brackets).
pub const REMOVED: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069";
/// The white space trimmed from text (Unicode `White_Space`, less what
/// [`REMOVED`] takes anyway), as a class without its brackets.
pub const SPACE: &str = r"\t\n\r\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// The end of the text. `$` would also match before a final line
/// break, which the server keeps where it does not trim.
pub const END: &str = r"(?![\s\S])";

/// A character that is removed or trimmed away.
pub fn blank() -> String {
    format!("[{REMOVED}{SPACE}]")
}

/// A character that stays and counts, white space included.
fn kept() -> String {
    format!("[^{REMOVED}]")
}

/// A character that stays and is not white space.
fn solid() -> String {
    format!("[^{REMOVED}{SPACE}]")
}

/// A pattern for text of `min` to `max` characters once cleaned and
/// trimmed (`min` at least 1; no upper bound when `max` is `None`).
pub fn trimmed_pattern(min: usize, max: Option<usize>) -> String {
    let (s, k, n) = (blank(), kept(), solid());
    let min = min.max(1);
    match max {
        // No upper bound: somewhere, a solid character far enough
        // before another one.
        None if min == 1 => n,
        None => format!("{n}(?:[{REMOVED}]*{k}){{{},}}[{REMOVED}]*{n}", min - 2),
        Some(max) if max <= 1 => format!("^{s}*{n}{s}*$"),
        Some(max) if min == 1 => {
            format!(
                "^{s}*{n}(?:(?:[{REMOVED}]*{k}){{0,{}}}[{REMOVED}]*{n})?{s}*$",
                max - 2
            )
        }
        Some(max) => format!(
            "^{s}*{n}(?:[{REMOVED}]*{k}){{{},{}}}[{REMOVED}]*{n}{s}*$",
            min - 2,
            max - 2
        ),
    }
}

/// A pattern for an optional value: blank, or `inner` with blanks
/// around it (the value is trimmed before it is read).
pub fn optional_pattern(inner: &str) -> String {
    let s = blank();
    format!("^{s}*(?:{inner})?{s}*$")
}

/// A pattern for a required value: `inner` with blanks around it (the
/// value is trimmed before it is read).
pub fn required_pattern(inner: &str) -> String {
    let s = blank();
    format!("^{s}*(?:{inner}){s}*$")
}

/// Rewrites a pattern written with ASCII digits so that every digit may
/// also be written Arabic-Indic (U+0660–U+0669) or Eastern
/// Arabic-Indic (U+06F0–U+06F9): `\d` and each digit, alone or in a
/// class, gain their two other forms. Digits in `{m,n}` quantifiers
/// stay as they are.
pub fn any_digits(ascii: &str) -> String {
    let forms = |d: char| {
        let v = d as u32 - '0' as u32;
        format!("{d}\\u{:04x}\\u{:04x}", 0x0660 + v, 0x06F0 + v)
    };
    let mut out = String::new();
    let mut chars = ascii.chars().peekable();
    let mut in_class = false;
    let mut in_quantifier = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next().unwrap_or('\\');
                if next == 'd' {
                    let all = r"0-9\u0660-\u0669\u06f0-\u06f9";
                    if in_class {
                        out.push_str(all);
                    } else {
                        out.push_str(&format!("[{all}]"));
                    }
                } else {
                    out.push('\\');
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class => {
                in_quantifier = true;
                out.push(c);
            }
            '}' if in_quantifier => {
                in_quantifier = false;
                out.push(c);
            }
            '0'..='9' if in_quantifier => out.push(c),
            '0'..='9' if in_class => {
                if chars.peek() == Some(&'-') {
                    // A range of digits: each of its digits, in every form.
                    chars.next();
                    let end = chars.next().unwrap_or(c);
                    for d in c..=end {
                        out.push_str(&forms(d));
                    }
                } else {
                    out.push_str(&forms(c));
                }
            }
            '0'..='9' => out.push_str(&format!("[{}]", forms(c))),
            _ => out.push(c),
        }
    }
    out
}

/// Text of `min` to `max` characters once cleaned and trimmed.
pub fn trimmed(min: usize, max: Option<usize>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .pattern(Some(trimmed_pattern(min, max)))
        .description(Some(description))
        .build()
}

/// Text the server takes as it comes (cleaned, and cut at 20,001
/// characters).
pub fn any(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .build()
}

/// Text of `min` to `max` characters once cleaned, not trimmed (white
/// space counts).
pub fn counted(min: usize, max: usize, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .pattern(Some(format!(
            "^(?:[{REMOVED}]*{}){{{min},{max}}}[{REMOVED}]*{END}",
            kept()
        )))
        .description(Some(description))
        .build()
}

/// One of `values`, exactly as written.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

/// A string that must match `pattern` once cleaned.
pub fn matching(pattern: String, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

/// An identifier in any of the forms the server reads, and nothing
/// else; removed characters may surround it.
pub fn uuid_pattern() -> String {
    format!("^[{REMOVED}]*(?:{})[{REMOVED}]*{END}", uuid_forms())
}

/// The forms of an identifier the server reads: hyphenated, 32 hex
/// digits, braced, or as a `urn:uuid:` URN (any letter case).
pub fn uuid_forms() -> String {
    let h = "[0-9a-fA-F]";
    let hyphenated = format!("{h}{{8}}-{h}{{4}}-{h}{{4}}-{h}{{4}}-{h}{{12}}");
    format!(
        "{h}{{32}}|{hyphenated}|\\{{{hyphenated}\\}}|[uU][rR][nN]:[uU][uU][iI][dD]:{hyphenated}"
    )
}

/// Days of the calendar: `year` and `leap` (the leap years among them)
/// are patterns of years, `zero` the leading zero of a one-digit month
/// or day (`0` when it is needed, `0?` when it may be left out).
fn calendar_days(year: &str, leap: &str, zero: &str) -> String {
    let day31 = format!(r"{zero}[1-9]|[12]\d|3[01]");
    let day30 = format!(r"{zero}[1-9]|[12]\d|30");
    let day28 = format!(r"{zero}[1-9]|1\d|2[0-8]");
    format!(
        "(?:{year})-(?:{zero}[13578]|1[02])-(?:{day31})|(?:{year})-(?:{zero}[469]|11)-(?:{day30})|(?:{year})-{zero}2-(?:{day28})|(?:{leap})-{zero}2-29"
    )
}

/// A day `YYYY-MM-DD` of the years 1900 to 2999, as people type it: a
/// month or day may have one digit, the year a `+` and then leading zeros,
/// and any digit may be Arabic-Indic.
pub fn day_forms() -> String {
    any_digits(&calendar_days(
        r"(?:\+0*)?(?:19|2\d)\d\d",
        r"(?:\+0*)?(?:(?:19|2\d)(?:0[48]|[2468][048]|[13579][26])|2[048]00)",
        "0?",
    ))
}

/// A day exactly `YYYY-MM-DD`, in ASCII digits, of any four-digit year.
pub fn iso_day_forms() -> String {
    calendar_days(
        r"\d{4}",
        r"\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00",
        "0",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_gain_their_arabic_forms() {
        assert_eq!(
            any_digits(r"1\d{2}"),
            r"[1\u0661\u06f1][0-9\u0660-\u0669\u06f0-\u06f9]{2}"
        );
        assert_eq!(
            any_digits("[13-4]"),
            r"[1\u0661\u06f13\u0663\u06f34\u0664\u06f4]"
        );
    }
}

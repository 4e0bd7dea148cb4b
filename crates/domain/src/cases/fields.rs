//! Typed fields of a case type. A budget-transfer request carries an amount
//! and the budget lines; a project approval an estimated cost and a start
//! date. The case type declares its fields; every case's values are checked
//! and normalized against that declaration before they are stored.

use crate::calendar::parse_date;
use crate::text::normalize_digits;
use crate::DomainError;
use crate::Reason;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kind of a field and what its value must look like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// Free text, up to `max` characters.
    Text { max: usize },
    /// A whole number.
    Integer,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// Money, stored as an integer count of minor units of `currency`
    /// (ISO 4217; the Libyan dinar has three decimals).
    Money { currency: String, decimals: u32 },
    /// One of a fixed list of codes.
    Choice { options: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub code: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    pub label_ar: String,
    pub label_en: String,
    pub label_fr: String,
}

impl FieldDef {
    pub fn label(&self, lang: &str) -> &str {
        match lang {
            "en" => &self.label_en,
            "fr" => &self.label_fr,
            _ => &self.label_ar,
        }
    }
}

/// Parses an amount such as `1250.5`, `1,250.500` or `١٢٥٠٫٥` into minor units.
pub fn parse_money(s: &str, decimals: u32) -> Option<i64> {
    let s = normalize_digits(s.trim())
        .replace(['\u{066C}', ',', ' ', '\u{00A0}'], "")
        .replace('\u{066B}', ".");
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s.as_str(), ""),
    };
    if int.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > decimals as usize
    {
        return None;
    }
    let scale = 10i64.checked_pow(decimals)?;
    let whole: i64 = int.parse().ok()?;
    let mut minor: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    minor *= 10i64.checked_pow(decimals - frac.len() as u32)?;
    whole.checked_mul(scale)?.checked_add(minor)
}

/// The most decimals a currency may declare (ISO 4217 uses at most 4).
pub const MAX_DECIMALS: u32 = 6;

/// Formats minor units back into a decimal amount. Decimals beyond
/// [`MAX_DECIMALS`] (which a checked definition never has) print the
/// minor units as they are rather than fail.
pub fn format_money(minor: i64, decimals: u32) -> String {
    let Some(scale) = (decimals <= MAX_DECIMALS)
        .then(|| 10i64.checked_pow(decimals))
        .flatten()
        .filter(|_| decimals > 0)
    else {
        return minor.to_string();
    };
    format!(
        "{}{}.{:0width$}",
        if minor < 0 { "-" } else { "" },
        (minor / scale).abs(),
        (minor % scale).abs(),
        width = decimals as usize
    )
}

/// Checks `values` (a JSON object; `null` is empty) against `defs` and
/// returns the normalized object: integers and money as JSON numbers, dates
/// as `YYYY-MM-DD`, text trimmed. Unknown fields are refused. The error's
/// details name each field with the reason.
pub fn validate(defs: &[FieldDef], values: &Value) -> Result<Value, DomainError> {
    let empty = Map::new();
    let obj = match values {
        Value::Null => &empty,
        Value::Object(o) => o,
        _ => return Err(DomainError::invalid("fields", Reason::FieldInvalid)),
    };
    let mut err = DomainError::new(crate::ErrorCode::InvalidInput);
    for k in obj.keys() {
        if !defs.iter().any(|d| &d.code == k) {
            err = err.with(&format!("fields.{k}"), Reason::FieldUnknown);
        }
    }
    let mut out = Map::new();
    for d in defs {
        let key = format!("fields.{}", d.code);
        let raw = match obj.get(&d.code) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        };
        let Some(raw) = raw else {
            if d.required {
                err = err.with(&key, Reason::FieldRequired);
            }
            continue;
        };
        let text = match raw {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                err = err.with(&key, Reason::FieldInvalid);
                continue;
            }
        };
        let parsed = match &d.kind {
            FieldKind::Text { max } => {
                let t = text.trim();
                if t.chars().count() > *max {
                    Err(Reason::FieldTooLong)
                } else if t.chars().any(|c| c.is_control() && c != '\n') {
                    Err(Reason::FieldInvalid)
                } else {
                    Ok(Value::String(t.to_owned()))
                }
            }
            FieldKind::Integer => {
                let t = normalize_digits(text.trim());
                let (neg, digits) = t
                    .strip_prefix('-')
                    .map_or((false, t.as_str()), |r| (true, r));
                match crate::text::parse_number(digits).and_then(|n| i64::try_from(n).ok()) {
                    Some(n) => Ok(Value::from(if neg { -n } else { n })),
                    None => Err(Reason::FieldInvalid),
                }
            }
            FieldKind::Date => parse_date(&text)
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| Reason::DateInvalid),
            FieldKind::Money { decimals, .. } => parse_money(&text, *decimals)
                .map(Value::from)
                .ok_or(Reason::AmountInvalid),
            FieldKind::Choice { options } => {
                let t = text.trim();
                if options.iter().any(|o| o == t) {
                    Ok(Value::String(t.to_owned()))
                } else {
                    Err(Reason::FieldInvalid)
                }
            }
        };
        match parsed {
            Ok(v) => {
                out.insert(d.code.clone(), v);
            }
            Err(reason) => err = err.with(&key, reason),
        }
    }
    if err.details.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn defs() -> Vec<FieldDef> {
        let f = |code: &str, kind: FieldKind, required: bool| FieldDef {
            code: code.into(),
            kind,
            required,
            label_ar: code.into(),
            label_en: code.into(),
            label_fr: code.into(),
        };
        vec![
            f(
                "amount",
                FieldKind::Money {
                    currency: "LYD".into(),
                    decimals: 3,
                },
                true,
            ),
            f("from_line", FieldKind::Text { max: 20 }, true),
            f("start", FieldKind::Date, false),
            f("staff", FieldKind::Integer, false),
            f(
                "priority",
                FieldKind::Choice {
                    options: vec!["normal".into(), "urgent".into()],
                },
                false,
            ),
        ]
    }

    #[test]
    fn normalizes_valid_values() {
        let v = validate(&defs(), &json!({"amount": "١٬٢٥٠٫٥", "from_line": " بند 2 ", "start": "٢٠٢٧-٠١-١٠", "staff": "٣", "priority": "urgent"})).unwrap();
        assert_eq!(
            v,
            json!({"amount": 1_250_500, "from_line": "بند 2", "start": "2027-01-10", "staff": 3, "priority": "urgent"})
        );
    }

    #[test]
    fn reports_every_bad_field() {
        let e = validate(
            &defs(),
            &json!({"amount": "12.3456", "start": "2027-02-30", "other": 1, "priority": "x"}),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.details.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"fields.amount"));
        assert!(fields.contains(&"fields.from_line"));
        assert!(fields.contains(&"fields.start"));
        assert!(fields.contains(&"fields.other"));
        assert!(fields.contains(&"fields.priority"));
        assert!(validate(&defs(), &json!([1, 2])).is_err());
    }

    #[test]
    fn money_parsing() {
        assert_eq!(parse_money("0.001", 3), Some(1));
        assert_eq!(parse_money("1,000", 3), Some(1_000_000));
        assert_eq!(parse_money("1.2345", 3), None);
        assert_eq!(parse_money("-5", 3), None);
        assert_eq!(parse_money("", 3), None);
        assert_eq!(format_money(1_250_500, 3), "1250.500");
    }

    proptest! {
        #[test]
        fn money_formats_for_any_decimals_without_panicking(minor in any::<i64>(), decimals in any::<u32>()) {
            let _ = format_money(minor, decimals);
        }

        #[test]
        fn money_round_trips(minor in 0i64..1_000_000_000_000, decimals in 0u32..4) {
            prop_assert_eq!(parse_money(&format_money(minor, decimals), decimals), Some(minor));
        }
    }
}

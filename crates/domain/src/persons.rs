//! The registry of persons: citizens and residents, as e-services, fines,
//! messaging and identity will know them.
//!
//! Every value a person is found or reached by is parsed here, however it
//! is typed: national numbers and mobile numbers with spaces, hyphens or
//! Arabic-Indic digits, names with stray spaces.

use crate::text::{ascii_digit, clean_line, normalize_for_search};
use crate::{DomainError, Reason};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest name, in characters, in either script.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest e-mail address (RFC 5321's limit on a path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The most mobile numbers a person has in the registry.
pub const MAX_MOBILES: usize = 3;

/// The digits of `s`, in any of the digit sets people use, once the
/// separators people type between groups (spaces, hyphens, dots, slashes,
/// parentheses) are dropped; `None` if anything else is in it.
fn digits_of(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(d) = ascii_digit(c) {
            out.push(d);
        } else if !(c.is_whitespace() || matches!(c, '-' | '.' | '/' | '(' | ')' | '\u{2212}')) {
            return None;
        }
    }
    Some(out)
}

/// A Libyan national number: twelve digits, the first saying the sex (1
/// male, 2 female) and the next four the year of birth, as the civil
/// registry issues them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalNumber(String);

impl NationalNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sex the number says.
    pub fn sex(&self) -> Sex {
        if self.0.starts_with('2') {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The year of birth the number says.
    pub fn birth_year(&self) -> i32 {
        self.0[1..5].parse().unwrap_or(0)
    }

    /// Parses a national number however it is typed.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid("national_number", Reason::NationalNumberInvalid);
        let d = digits_of(s).ok_or_else(bad)?;
        if d.len() != 12 || !matches!(d.as_bytes()[0], b'1' | b'2') {
            return Err(bad());
        }
        let year: i32 = d[1..5].parse().map_err(|_| bad())?;
        if !(1900..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(NationalNumber(d))
    }
}

impl fmt::Display for NationalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NationalNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NationalNumber::parse(s)
    }
}

impl TryFrom<String> for NationalNumber {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NationalNumber::parse(&s)
    }
}

impl From<NationalNumber> for String {
    fn from(n: NationalNumber) -> String {
        n.0
    }
}

/// Libya's country calling code.
const LIBYA: &str = "218";

/// A mobile number in E.164 form (`+218912345678`).
///
/// A number written without a country code is Libyan: `0912345678`,
/// `091 234 5678` and `912345678` are all `+218912345678`. A Libyan number
/// must be a mobile one (nine digits after the country code, the first a 9);
/// another country's must have a country code and 8 to 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a mobile number however it is typed.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid("mobile", Reason::MobileInvalid);
        let t = s.trim();
        let (international, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut d = digits_of(rest).ok_or_else(bad)?;
        let international = if international {
            true
        } else if let Some(r) = d.strip_prefix("00") {
            d = r.to_owned();
            true
        } else {
            false
        };
        let full = if international {
            d
        } else if let Some(national) = d.strip_prefix('0') {
            format!("{LIBYA}{national}")
        } else if d.len() == 9 {
            format!("{LIBYA}{d}")
        } else {
            return Err(bad());
        };
        if let Some(national) = full.strip_prefix(LIBYA) {
            let national = national.strip_prefix('0').unwrap_or(national);
            if national.len() != 9 || !national.starts_with('9') {
                return Err(bad());
            }
            return Ok(Mobile(format!("+{LIBYA}{national}")));
        }
        if !(8..=15).contains(&full.len()) || full.starts_with('0') {
            return Err(bad());
        }
        Ok(Mobile(format!("+{full}")))
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Mobile {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mobile::parse(s)
    }
}

impl TryFrom<String> for Mobile {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Mobile::parse(&s)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

impl FromStr for Sex {
    type Err = DomainError;
    /// `male`/`female`, `m`/`f`, or the Arabic words ذكر/أنثى.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "male" | "m" | "ذكر" => Ok(Sex::Male),
            "female" | "f" | "أنثى" | "انثى" | "انثي" => Ok(Sex::Female),
            _ => Err(DomainError::invalid("sex", Reason::SexUnknown)),
        }
    }
}

/// The languages Diwan speaks to people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Ar,
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Ar, Language::En, Language::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ar => "ar",
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
}

impl FromStr for Language {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "ar" | "العربية" => Ok(Language::Ar),
            "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            _ => Err(DomainError::invalid("language", Reason::LanguageUnknown)),
        }
    }
}

/// A name: one line, inner runs of spaces made one, not blank, at most
/// [`MAX_NAME_CHARS`].
pub fn parse_name(field: &str, s: &str) -> Result<String, DomainError> {
    // Runs of white space are made one before counting, so nothing typed
    // is cut away unseen.
    let name = crate::text::clean_input(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err(DomainError::invalid(field, Reason::FieldRequired));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(DomainError::invalid(field, Reason::FieldTooLong));
    }
    Ok(name)
}

/// An e-mail address, checked for form only (one `@`, something on either
/// side, a dot in the domain, no spaces), lowercased in its domain.
pub fn parse_email(s: &str) -> Result<String, DomainError> {
    let bad = || DomainError::invalid("email", Reason::EmailInvalid);
    let t = s.trim();
    if t.chars().count() > MAX_EMAIL_CHARS || t.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// A date of birth: not in the future and not before 1900.
pub fn check_birth_date(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if d > today || d.year() < 1900 {
        return Err(DomainError::invalid("birth_date", Reason::DateInvalid));
    }
    Ok(d)
}

/// What a registry search looks for, read from what was typed: a national
/// number, a mobile number, or words of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonLookup {
    NationalNumber(NationalNumber),
    Mobile(Mobile),
    /// Normalized for search (see [`normalize_for_search`]).
    Name(String),
}

impl PersonLookup {
    /// `None` for a query with nothing to look for.
    pub fn read(q: &str) -> Option<PersonLookup> {
        let q = clean_line(q, MAX_NAME_CHARS);
        if q.is_empty() {
            return None;
        }
        if let Ok(n) = NationalNumber::parse(&q) {
            return Some(PersonLookup::NationalNumber(n));
        }
        if digits_of(q.trim_start_matches('+')).is_some_and(|d| !d.is_empty()) {
            if let Ok(m) = Mobile::parse(&q) {
                return Some(PersonLookup::Mobile(m));
            }
        }
        let words = normalize_for_search(&q);
        if words.trim().is_empty() {
            None
        } else {
            Some(PersonLookup::Name(words))
        }
    }
}

/// The fields a column of an imported file can hold.
pub const IMPORT_FIELDS: [&str; 9] = [
    "national_number",
    "name_ar",
    "name_latin",
    "sex",
    "birth_date",
    "mobile",
    "email",
    "municipality",
    "language",
];

/// The field a column holds, read from its header however a registry
/// export names it, in English or in Arabic (`الرقم الوطني`, `الاسم`,
/// `رقم الهاتف`, …); `None` for a column Diwan does not read.
pub fn import_column(header: &str) -> Option<&'static str> {
    let h = normalize_for_search(&header.replace(['_', '-'], " "));
    let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
    let h = h.trim_end_matches(|c: char| c.is_ascii_digit()).trim();
    let field = match h {
        "national number"
        | "nationalnumber"
        | "nid"
        | "national id"
        | "رقم وطني"
        | "الرقم الوطني" => "national_number",
        "name ar"
        | "name"
        | "full name"
        | "arabic name"
        | "الاسم"
        | "اسم"
        | "الاسم الكامل"
        | "الاسم بالعربيه"
        | "الاسم رباعي"
        | "الاسم الرباعي" => "name_ar",
        "name latin"
        | "latin name"
        | "name en"
        | "english name"
        | "الاسم باللاتينيه"
        | "الاسم بالانجليزيه"
        | "الاسم بالانكليزيه" => "name_latin",
        "sex" | "gender" | "الجنس" | "النوع" => "sex",
        "birth date" | "date of birth" | "dob" | "birthdate" | "تاريخ الميلاد" => {
            "birth_date"
        }
        "mobile"
        | "phone"
        | "mobile number"
        | "phone number"
        | "الهاتف"
        | "الهاتف المحمول"
        | "رقم الهاتف"
        | "رقم الهاتف المحمول"
        | "النقال"
        | "رقم النقال"
        | "المحمول" => "mobile",
        "email" | "e mail" | "mail" | "البريد" | "البريد الالكتروني" => {
            "email"
        }
        "municipality" | "municipality code" | "البلديه" => "municipality",
        "language" | "lang" | "preferred language" | "اللغه" | "لغه المراسله" => {
            "language"
        }
        _ => return None,
    };
    Some(field)
}

/// The mobile numbers of one cell: several may be given, separated by
/// commas (Latin or Arabic), semicolons, slashes or bars.
pub fn split_mobiles(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([',', '\u{060C}', ';', '|', '/'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
}

/// The text a person is found by: the Arabic and the Latin names,
/// normalized for search.
pub fn search_text(name_ar: &str, name_latin: Option<&str>) -> String {
    let mut s = normalize_for_search(name_ar);
    if let Some(l) = name_latin {
        s.push(' ');
        s.push_str(&normalize_for_search(l));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn libyan_mobiles_typed_every_usual_way_are_one_number() {
        for typed in [
            "091 234 5678",
            "0912345678",
            "+218 91-2345678",
            "00218912345678",
            "00218 91 234 5678",
            "+218 (0)91 2345678",
            "912345678",
            "٠٩١٢٣٤٥٦٧٨",
            "+٢١٨ ٩١ ٢٣٤ ٥٦٧٨",
            "۰۹۱۲۳۴۵۶۷۸",
        ] {
            assert_eq!(
                Mobile::parse(typed).map(|m| m.to_string()).as_deref(),
                Ok("+218912345678"),
                "{typed}"
            );
        }
    }

    #[test]
    fn numbers_that_are_not_mobiles_are_refused() {
        for typed in [
            "",
            "021 333 4444", // a Tripoli landline
            "09123456",     // too short
            "091234567890", // too long
            "0912x45678",
            "+1",
            "+0123456789",
            "+12345678901234567",
        ] {
            assert!(Mobile::parse(typed).is_err(), "{typed}");
        }
        assert_eq!(
            Mobile::parse("+33 6 12 34 56 78").unwrap().as_str(),
            "+33612345678"
        );
    }

    #[test]
    fn national_numbers_are_twelve_digits_of_the_registry_form() {
        let n = NationalNumber::parse("1 1985 0012345").unwrap();
        assert_eq!(n.as_str(), "119850012345");
        assert_eq!(n.sex(), Sex::Male);
        assert_eq!(n.birth_year(), 1985);
        assert_eq!(
            NationalNumber::parse("٢١٩٩٠٠٠٠٠٠٠١").unwrap().sex(),
            Sex::Female
        );
        for bad in [
            "11985001234",
            "1198500123456",
            "319850012345",
            "118000012345",
            "11985001234a",
        ] {
            assert!(NationalNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_query_is_read_as_what_it_looks_like() {
        assert!(matches!(
            PersonLookup::read("119850012345"),
            Some(PersonLookup::NationalNumber(_))
        ));
        assert_eq!(
            PersonLookup::read("091-234-5678"),
            Some(PersonLookup::Mobile(Mobile("+218912345678".into())))
        );
        assert_eq!(
            PersonLookup::read("  محمد   أحمد "),
            Some(PersonLookup::Name(normalize_for_search("محمد أحمد")))
        );
        assert_eq!(PersonLookup::read("   "), None);
    }

    #[test]
    fn emails_and_names_are_checked_for_form() {
        assert_eq!(parse_email(" Ali@Example.LY ").unwrap(), "Ali@example.ly");
        for bad in ["ali", "ali@ly", "@x.ly", "a b@x.ly", "a@@x.ly", "a@x..ly"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_name("name_ar", "  محمد\n  علي  ").unwrap(),
            "محمد علي"
        );
        assert!(parse_name("name_ar", " \u{202E} ").is_err());
        assert!(parse_name("name_ar", &"ب".repeat(MAX_NAME_CHARS + 1)).is_err());
        let spaced = format!("ا{}ب", " ".repeat(300));
        assert_eq!(parse_name("name_ar", &spaced).unwrap(), "ا ب");
    }

    #[test]
    fn import_headers_are_read_in_english_and_arabic() {
        assert_eq!(import_column("National_Number"), Some("national_number"));
        assert_eq!(
            import_column("\u{FEFF}الرقم الوطني"),
            Some("national_number")
        );
        assert_eq!(import_column("الرقم الوطني"), Some("national_number"));
        assert_eq!(import_column(" الإسم "), Some("name_ar"));
        assert_eq!(import_column("رقم الهاتف 2"), Some("mobile"));
        assert_eq!(import_column("mobile2"), Some("mobile"));
        assert_eq!(import_column("البلدية"), Some("municipality"));
        assert_eq!(import_column("تاريخ الميلاد"), Some("birth_date"));
        assert_eq!(import_column("notes"), None);
        assert_eq!(
            split_mobiles("091 234 5678، 0921112233 / ").collect::<Vec<_>>(),
            ["091 234 5678", "0921112233"]
        );
    }

    proptest! {
        #[test]
        fn a_parsed_mobile_parses_to_itself(n in "9[1-5][0-9]{7}") {
            let m = Mobile::parse(&format!("0{n}")).unwrap();
            prop_assert_eq!(Mobile::parse(m.as_str()).unwrap(), m.clone());
            prop_assert_eq!(m.as_str(), format!("+218{n}"));
        }

        #[test]
        fn mobile_parsing_never_panics(s in "\\PC{0,40}") {
            let _ = Mobile::parse(&s);
            let _ = NationalNumber::parse(&s);
            let _ = PersonLookup::read(&s);
        }
    }
}

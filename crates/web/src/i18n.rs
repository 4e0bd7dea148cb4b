//! Localisation for the web face of Diwan.
//!
//! Arabic is the primary language of the platform and the fallback for every
//! lookup; English and French are offered alongside it. Messages live in
//! Project Fluent files (`locales/{ar,en,fr}/<capability>.ftl`) that are embedded in
//! the binary at compile time, so a deployment never depends on files next
//! to the executable.
//!
//! Pages receive a [`Tr`], a cheap copyable handle that pairs the shared
//! [`I18n`] bundles with the language negotiated for the request, and call
//! `{{ tr.t("key") }}` from their templates.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::{langid, LanguageIdentifier};

/// Re-exported so callers of [`Tr::t_args`] need not name the Fluent crate.
pub use fluent_bundle::FluentValue;

/// The time zone used when an organisation has none configured, or when the
/// configured name is not a valid IANA zone: the ministry sits in Tripoli.
pub const DEFAULT_TIME_ZONE: &str = "Africa/Tripoli";

/// A suggested name for the cookie that remembers the chosen language. The
/// handlers own the cookie; the constant only keeps them in agreement.
pub const LANG_COOKIE: &str = "diwan_lang";

/// The Fluent files of one language: one per capability and a shared one,
/// the same names in every language.
pub const FILES: [&str; 8] = [
    "shared",
    "cases",
    "accounts",
    "audit",
    "notifications",
    "persons",
    "messaging",
    "inquiry",
];

macro_rules! language {
    ($lang:literal) => {
        [
            include_str!(concat!("../locales/", $lang, "/shared.ftl")),
            include_str!(concat!("../locales/", $lang, "/cases.ftl")),
            include_str!(concat!("../locales/", $lang, "/accounts.ftl")),
            include_str!(concat!("../locales/", $lang, "/audit.ftl")),
            include_str!(concat!("../locales/", $lang, "/notifications.ftl")),
            include_str!(concat!("../locales/", $lang, "/persons.ftl")),
            include_str!(concat!("../locales/", $lang, "/messaging.ftl")),
            include_str!(concat!("../locales/", $lang, "/inquiry.ftl")),
        ]
    };
}

/// The Fluent sources, embedded so that the binary is self-contained, in
/// the order of [`FILES`].
pub const SOURCES: [(Lang, [&str; 8]); 3] = [
    (Lang::Ar, language!("ar")),
    (Lang::En, language!("en")),
    (Lang::Fr, language!("fr")),
];

/// Accept-Language headers are short in practice; bounding the number of
/// entries we look at keeps a hostile header from costing real work.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 32;

/// A language the interface is offered in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Arabic is the default because it is the working language of the
    /// ministry and of every municipality.
    #[default]
    Ar,
    En,
    Fr,
}

impl Lang {
    /// Every supported language, in the order the switcher lists them.
    pub const ALL: [Lang; 3] = [Lang::Ar, Lang::En, Lang::Fr];

    /// The BCP 47 code, as used in `<html lang>` and in the cookie.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The writing direction, as used in `<html dir>`.
    pub const fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// Whether the script runs right to left.
    pub const fn is_rtl(self) -> bool {
        matches!(self, Lang::Ar)
    }

    /// The language's name in that language, for the switcher.
    pub const fn native_name(self) -> &'static str {
        match self {
            Lang::Ar => "العربية",
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    /// Parses a bare language code ("ar", "en", "fr"), ignoring case and
    /// surrounding whitespace. Region-qualified tags are not accepted here;
    /// see [`Lang::from_tag`].
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim();
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(code))
    }

    /// Parses a language tag by its primary subtag, so that "ar-LY",
    /// "fr_FR" and "en-GB" map to their base language.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::from_code(primary)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::Ar => langid!("ar"),
            Lang::En => langid!("en"),
            Lang::Fr => langid!("fr"),
        }
    }

    const fn index(self) -> usize {
        match self {
            Lang::Ar => 0,
            Lang::En => 1,
            Lang::Fr => 2,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error returned when a string names no supported language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang;

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unsupported language")
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::from_tag(s).ok_or(UnknownLang)
    }
}

/// Chooses the language for a request.
///
/// The first usable answer wins: an explicit choice (a query parameter or a
/// saved user preference), then the language cookie, then the best match in
/// the browser's Accept-Language header, and finally Arabic.
pub fn negotiate(
    explicit: Option<&str>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> Lang {
    explicit
        .and_then(Lang::from_tag)
        .or_else(|| cookie.and_then(Lang::from_tag))
        .or_else(|| accept_language.and_then(best_accept_language))
        .unwrap_or_default()
}

/// Picks the supported language with the highest quality value in an
/// Accept-Language header. Ties go to the entry listed first, entries with
/// `q=0` or a malformed `q` are ignored, and `*` is ignored because the
/// caller's own default (Arabic) is what a wildcard should yield.
pub fn best_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in header.split(',').take(MAX_ACCEPT_LANGUAGE_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        if tag.is_empty() || tag == "*" {
            continue;
        }
        let Some(q) = parse_quality(parts) else {
            continue;
        };
        if q == 0 {
            continue;
        }
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        // A strictly greater test keeps the earliest entry among equals,
        // which is what the header's author listed first.
        if best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// Reads the `q` parameter of one Accept-Language entry as thousandths, so
/// that comparisons need no floating point. A missing `q` means 1.
fn parse_quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut quality = 1000;
    for param in params {
        let param = param.trim();
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value: f32 = value.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&value) {
            return None;
        }
        // The range check above bounds the product to 0..=1000.
        quality = (value * 1000.0).round() as u16;
    }
    Some(quality)
}

/// Parses an IANA time-zone name, falling back to [`DEFAULT_TIME_ZONE`]
/// when the name is empty or unknown, because a page must always render.
pub fn time_zone_or_default(name: &str) -> Tz {
    name.trim().parse().unwrap_or(chrono_tz::Africa::Tripoli)
}

/// The message bundles for every supported language, built once at start-up
/// and shared by all requests.
pub struct I18n {
    bundles: [FluentBundle<FluentResource>; 3],
}

impl I18n {
    /// Builds the bundles from the embedded Fluent files.
    ///
    /// # Panics
    ///
    /// Panics if a shipped `.ftl` file does not parse or defines a message
    /// twice. The unit tests in this module build the bundles, so such a
    /// file never reaches a release.
    pub fn new() -> I18n {
        match I18n::try_new() {
            Ok(i18n) => i18n,
            Err(problem) => panic!("{problem}"),
        }
    }

    /// Builds the bundles, describing the first broken file on failure.
    pub fn try_new() -> Result<I18n, String> {
        let [ar, en, fr] = SOURCES.map(|(lang, sources)| build_bundle(lang, &sources));
        Ok(I18n {
            bundles: [ar?, en?, fr?],
        })
    }

    /// A process-wide instance, for code that has no application state at
    /// hand (error pages rendered by fallbacks, for instance).
    pub fn global() -> &'static I18n {
        static GLOBAL: OnceLock<I18n> = OnceLock::new();
        GLOBAL.get_or_init(I18n::new)
    }

    /// A translator for one language.
    pub fn tr(&self, lang: Lang) -> Tr<'_> {
        Tr { i18n: self, lang }
    }

    /// Whether `lang` itself defines `key`, without falling back.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        let (id, attribute) = split_key(key);
        match self.bundle(lang).get_message(id) {
            Some(message) => match attribute {
                Some(attribute) => message.get_attribute(attribute).is_some(),
                None => message.value().is_some(),
            },
            None => false,
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        &self.bundles[lang.index()]
    }

    /// Formats `key` in `lang` alone; `None` when that bundle lacks it.
    fn format(&self, lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let bundle = self.bundle(lang);
        let (id, attribute) = split_key(key);
        let message = bundle.get_message(id)?;
        let pattern = match attribute {
            Some(attribute) => message.get_attribute(attribute)?.value(),
            None => message.value()?,
        };
        // Formatting errors, such as a variable the caller did not pass,
        // still produce readable text with a visible placeholder; showing
        // that is better than failing the whole page.
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        Some(text.into_owned())
    }

    /// Formats `key` in `lang`, then in Arabic, then gives the key itself so
    /// that a missing translation is visible but never fatal.
    fn lookup(&self, lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        self.format(lang, key, args)
            .or_else(|| self.format(Lang::Ar, key, args))
            .unwrap_or_else(|| key.to_owned())
    }
}

impl Default for I18n {
    fn default() -> Self {
        I18n::new()
    }
}

impl fmt::Debug for I18n {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("I18n")
            .field("languages", &Lang::ALL)
            .finish_non_exhaustive()
    }
}

/// Splits "message.attribute" so that Fluent attributes are reachable
/// through the same lookup as plain messages.
fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('.') {
        Some((id, attribute)) => (id, Some(attribute)),
        None => (key, None),
    }
}

fn build_bundle(lang: Lang, sources: &[&str]) -> Result<FluentBundle<FluentResource>, String> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
    // Isolation marks (U+2068/U+2069) around placeables would end up inside
    // HTML attributes and copied text; the templates use <bdi> where user
    // text needs isolating instead.
    bundle.set_use_isolating(false);
    if lang == Lang::Ar {
        bundle
            .add_function("PLURAL", arabic_plural_function)
            .map_err(|error| format!("cannot register PLURAL: {error:?}"))?;
    }
    for (name, source) in FILES.iter().zip(sources) {
        let resource = FluentResource::try_new((*source).to_owned()).map_err(|(_, errors)| {
            format!(
                "locales/{}/{name}.ftl does not parse: {errors:?}",
                lang.code()
            )
        })?;
        bundle.add_resource(resource).map_err(|errors| {
            format!(
                "locales/{}/{name}.ftl defines messages defined already: {errors:?}",
                lang.code()
            )
        })?;
    }
    Ok(bundle)
}

/// The Fluent function `PLURAL($count)` for the Arabic bundle: it returns
/// the CLDR plural category of its numeric argument as a string, which the
/// Arabic messages select on.
///
/// Selecting on `$count` directly would leave the choice to
/// `intl_pluralrules` 7.0, whose Arabic rule tests the whole number where
/// CLDR says `n % 100`; 103 would then read "103 معاملة" instead of
/// "103 معاملات". Anything that is not a number selects the default variant.
fn arabic_plural_function<'a>(
    positional: &[FluentValue<'a>],
    _named: &FluentArgs<'_>,
) -> FluentValue<'a> {
    let category = match positional.first() {
        Some(FluentValue::Number(number)) => arabic_plural_category(number.value),
        Some(FluentValue::String(text)) => {
            text.trim().parse().map_or("other", arabic_plural_category)
        }
        _ => "other",
    };
    FluentValue::from(category)
}

/// The CLDR cardinal plural category for Arabic: zero for 0, one for 1, two
/// for 2, few when `n % 100` is 3 to 10, many when it is 11 to 99, and other
/// for everything else (100, 101, 102, 200, fractions …).
fn arabic_plural_category(n: f64) -> &'static str {
    let n = n.abs();
    if n == 0.0 {
        return "zero";
    }
    if n == 1.0 {
        return "one";
    }
    if n == 2.0 {
        return "two";
    }
    if n.fract() != 0.0 || !n.is_finite() {
        return "other";
    }
    match n % 100.0 {
        r if (3.0..=10.0).contains(&r) => "few",
        r if (11.0..=99.0).contains(&r) => "many",
        _ => "other",
    }
}

/// A count that can select a plural form. Templates pass numbers by
/// reference, so references are accepted as well as values.
pub trait PluralCount {
    fn to_count(&self) -> i64;
}

macro_rules! plural_count_lossless {
    ($($t:ty),*) => {$(
        impl PluralCount for $t {
            fn to_count(&self) -> i64 {
                i64::from(*self)
            }
        }
    )*};
}

plural_count_lossless!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! plural_count_saturating {
    ($($t:ty),*) => {$(
        impl PluralCount for $t {
            fn to_count(&self) -> i64 {
                // Counts this large do not occur; saturating keeps the
                // conversion total without a panic path.
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}

plural_count_saturating!(u64, usize, isize);

impl<T: PluralCount + ?Sized> PluralCount for &T {
    fn to_count(&self) -> i64 {
        (**self).to_count()
    }
}

/// A translator bound to one language: what every page holds as `tr`.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    i18n: &'a I18n,
    lang: Lang,
}

impl<'a> Tr<'a> {
    /// Equivalent to `i18n.tr(lang)`.
    pub fn new(i18n: &'a I18n, lang: Lang) -> Tr<'a> {
        Tr { i18n, lang }
    }

    /// The plain message `key` (or `message.attribute`). Falls back to
    /// Arabic and then to the key itself; never panics.
    pub fn t(&self, key: &str) -> String {
        self.i18n.lookup(self.lang, key, None)
    }

    /// The message `key` with named arguments.
    pub fn t_args(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.i18n.lookup(self.lang, key, Some(&fluent_args))
    }

    /// The message `key` with one numeric argument `name`. The value is
    /// passed to Fluent as a number, so `[zero]`, `[one]`, `[two]`, `[few]`,
    /// `[many]` and `[other]` variants select by the language's CLDR
    /// plural rules (all six are distinct in Arabic).
    pub fn t_n(&self, key: &str, name: &str, n: impl PluralCount) -> String {
        self.t_args(key, &[(name, FluentValue::from(n.to_count()))])
    }

    /// The message `key` with one string argument `name`.
    pub fn t_s(&self, key: &str, name: &str, value: &str) -> String {
        self.t_args(key, &[(name, FluentValue::from(value))])
    }

    /// The message for a stable code under a prefix, turning the code's
    /// underscores into dashes: `t_code("state-", "info_requested")` looks
    /// up `state-info-requested`.
    pub fn t_code(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}{}", code.replace('_', "-"));
        self.t(&key)
    }

    /// The language of this translator.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// "rtl" or "ltr".
    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }

    /// "ar", "en" or "fr".
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// Whether `code` names this translator's language; lets templates mark
    /// the current option of the language switcher.
    pub fn is(&self, code: &str) -> bool {
        Lang::from_code(code) == Some(self.lang)
    }

    /// A calendar date as `YYYY-MM-DD`. The ISO form reads the same in all
    /// three languages and cannot be confused between day-first and
    /// month-first conventions.
    pub fn date(&self, date: impl Borrow<NaiveDate>) -> String {
        date.borrow().format("%Y-%m-%d").to_string()
    }

    /// An instant as `YYYY-MM-DD HH:MM` in the time zone `tz` (an IANA
    /// name such as the organisation's). An empty or unknown name means
    /// [`DEFAULT_TIME_ZONE`].
    pub fn datetime(&self, at: impl Borrow<DateTime<Utc>>, tz: &str) -> String {
        at.borrow()
            .with_timezone(&time_zone_or_default(tz))
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

impl fmt::Debug for Tr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tr").field("lang", &self.lang).finish()
    }
}

/// The message ids a Fluent source defines, read from the text: in Fluent,
/// a line that starts with a letter in the first column always begins a
/// message (terms start with `-`, comments with `#`, and continuation
/// lines are indented).
#[cfg(test)]
fn message_ids(source: &str) -> std::collections::BTreeSet<&str> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim()))
        .collect()
}

#[cfg(test)]
#[path = "i18n_tests.rs"]
mod tests;

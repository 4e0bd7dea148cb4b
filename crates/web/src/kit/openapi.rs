//! The OpenAPI 3.1 document: what every part of it shares (title, the
//! bearer scheme, the error body and the error answers every operation can
//! give), merged with the paths each capability documents, and the route
//! that serves it.
//!
//! The document says exactly what the server accepts, so that a client
//! (or a tool) that keeps to it is never refused for the shape of its
//! input. [`text`] holds the schemas of the text the server cleans and
//! trims before reading it.

use super::error::ErrorBody;
use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, KnownFormat, Schema, SchemaFormat,
};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

/// `/api/openapi.json`: the document `doc` builds.
pub fn doc_routes(doc: fn() -> utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(move || async move { Json(doc()) }))
}

/// One document of the shared part and the given parts, in that order,
/// with the common error answers added to every operation, response links
/// written as the specification names their fields, and identifiers given
/// the pattern of their forms.
pub fn assemble(
    parts: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts {
        doc.merge(part);
    }
    CommonAnswers.modify(&mut doc);
    LinkFieldNames.modify(&mut doc);
    UuidPatterns.modify(&mut doc);
    doc
}

/// Every operation of the document, with its path.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&String, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.options,
            &mut item.head,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        .map(move |op| (&*path, op))
    })
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The error answers any operation can give, whatever it does. Each is
/// one shared response (`#/components/responses/…`) whose body is
/// [`ErrorBody`], added to every operation it applies to unless the
/// operation describes that status in words of its own:
///
/// - 400 when the operation reads a query string or a body, which can be
///   malformed or break a rule of the operation;
/// - 401 and 403 when it needs a bearer token: a missing, expired or
///   revoked token, or a role or token scope that does not allow it;
/// - 404 when its path names something, which may not exist or may not
///   be visible to the caller;
/// - 413 when it reads a body, which may be larger than the server
///   accepts, and 415 when that body is an uploaded file, whose type may
///   not be allowed.
///
/// Answers only some operations give (409 for a refused move, 429 for
/// throttled sign-ins) are described by those operations.
pub struct CommonAnswers;

impl CommonAnswers {
    fn responses() -> [(&'static str, Response); 6] {
        let error = |description: &str| {
            ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
        };
        let header = |description: &str| {
            HeaderBuilder::new()
                .schema(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String),
                )
                .description(Some(description))
                .build()
        };
        [
            (
                "BadRequest",
                error("The input is malformed or breaks a rule of the operation; `details` names each field and why.").build(),
            ),
            (
                "Unauthenticated",
                error("No bearer token, or one that is unknown, expired or revoked.")
                    .header("WWW-Authenticate", header("`Bearer`."))
                    .build(),
            ),
            (
                "Forbidden",
                error("The caller's role, or the token's scopes, do not allow this.").build(),
            ),
            (
                "NotFound",
                error("Nothing of that name exists, or the caller may not see it.").build(),
            ),
            (
                "PayloadTooLarge",
                error("The body is larger than the server accepts.").build(),
            ),
            (
                "UnsupportedMediaType",
                error("The file's content is not of an allowed type.").build(),
            ),
        ]
    }

    fn add_to(op: &mut Operation, path_names_something: bool, secured_by_default: bool) {
        let secured = match &op.security {
            None => secured_by_default,
            Some(alternatives) => alternatives
                .iter()
                .all(|r| *r != SecurityRequirement::default()),
        };
        let reads_input = op.request_body.is_some()
            || op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in != ParameterIn::Path);
        let upload = op
            .request_body
            .as_ref()
            .is_some_and(|b| b.content.keys().any(|k| k.starts_with("multipart/")));
        let mut add = |status: &str, name: &str, applies: bool| {
            let shared = RefOr::Ref(Ref::from_response_name(name));
            let answers = &mut op.responses.responses;
            match answers.get(status) {
                // An answer the operation lists without a word of its own
                // is the shared one.
                Some(RefOr::T(r)) if r.description.is_empty() => {
                    answers.insert(status.to_owned(), shared);
                }
                Some(_) => {}
                None if applies => {
                    answers.insert(status.to_owned(), shared);
                }
                None => {}
            }
        };
        add("400", "BadRequest", reads_input);
        add("401", "Unauthenticated", secured);
        add("403", "Forbidden", secured);
        add("404", "NotFound", path_names_something);
        add("413", "PayloadTooLarge", op.request_body.is_some());
        add("415", "UnsupportedMediaType", upload);
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, response) in Self::responses() {
            components
                .responses
                .entry(name.to_owned())
                .or_insert(RefOr::T(response));
        }
        let secured_by_default = openapi
            .security
            .as_ref()
            .is_some_and(|s| s.iter().all(|r| *r != SecurityRequirement::default()));
        for (path, op) in operations(openapi) {
            Self::add_to(op, path.contains('{'), secured_by_default);
        }
    }
}

/// Gives every identifier (`format: uuid`) the pattern of the forms the
/// server reads ([`text::uuid_pattern`]). JSON Schema 2020-12 makes
/// `format` an annotation that validators need not check; a pattern is
/// always checked.
pub struct UuidPatterns;

impl UuidPatterns {
    fn visit(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => {
                let uuid = matches!(o.format, Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
                if uuid && o.pattern.is_none() {
                    o.pattern = Some(text::uuid_pattern());
                }
                o.properties.values_mut().for_each(Self::visit);
                if let Some(AdditionalProperties::RefOr(values)) =
                    o.additional_properties.as_deref_mut()
                {
                    Self::visit(values);
                }
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    Self::visit(items);
                }
            }
            Schema::OneOf(x) => x.items.iter_mut().for_each(Self::visit),
            Schema::AllOf(x) => x.items.iter_mut().for_each(Self::visit),
            Schema::AnyOf(x) => x.items.iter_mut().for_each(Self::visit),
            _ => {}
        }
    }
}

impl Modify for UuidPatterns {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.schemas.values_mut().for_each(Self::visit);
        }
        for (_, op) in operations(openapi) {
            for p in op.parameters.iter_mut().flatten() {
                if let Some(schema) = p.schema.as_mut() {
                    Self::visit(schema);
                }
            }
            let bodies = op
                .request_body
                .iter_mut()
                .flat_map(|b| b.content.values_mut());
            let answers = op.responses.responses.values_mut().flat_map(|r| match r {
                RefOr::T(r) => Some(r.content.values_mut()),
                RefOr::Ref(_) => None,
            });
            for content in bodies.chain(answers.flatten()) {
                if let Some(schema) = content.schema.as_mut() {
                    Self::visit(schema);
                }
            }
        }
    }
}

/// Writes the fields of response links under the names the specification
/// gives them. utoipa 5 serializes a link's `operationId`, `operationRef`
/// and `requestBody` in snake case, which no reader of the document
/// understands; here each is moved to an entry of the link's extensions
/// under its proper name, which serializes as a field of the link.
pub struct LinkFieldNames;

impl Modify for LinkFieldNames {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (_, op) in operations(openapi) {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for link in response.links.values_mut() {
                    let RefOr::T(link) = link else { continue };
                    let fields = link.extensions.get_or_insert_with(Default::default);
                    let id = std::mem::take(&mut link.operation_id);
                    if !id.is_empty() {
                        fields.insert("operationId".into(), id.into());
                    }
                    let reference = std::mem::take(&mut link.operation_ref);
                    if !reference.is_empty() {
                        fields.insert("operationRef".into(), reference.into());
                    }
                    if let Some(body) = link.request_body.take() {
                        fields.insert("requestBody".into(), body);
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Diwan API", description = "The JSON API of Diwan: cases, queues, search, messages, attachments, notifications, audit, tokens and accounts. Errors are `{code, message, details}` with stable codes; messages follow Accept-Language (Arabic by default).\n\nEvery string sent is first cleaned: control characters (line breaks and tabs excepted) and bidirectional embedding, override and isolate characters are removed, and text is cut at 20,001 characters, past every field's own limit, so that longer text is refused rather than cut. Most fields are then trimmed of white space; their patterns say what is accepted once that is done. Digits in dates and numbers passed as text may be Arabic-Indic (٠–٩, ۰–۹)."),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Thing {
        id: uuid::Uuid,
    }

    /// Makes a thing.
    #[utoipa::path(post, path = "/things/{id}", params(("id" = uuid::Uuid, Path)), request_body = Thing,
        responses((status = 201, body = Thing, links(("Get" = (operation_id = "get_thing", parameters(("id" = "$response.body#/id")))))), (status = 404, body = ErrorBody)))]
    #[allow(dead_code)]
    fn make_thing() {}

    /// Signs in.
    #[utoipa::path(post, path = "/sign-in", security(()), request_body = Thing,
        responses((status = 200), (status = 401, description = "Wrong password.", body = ErrorBody)))]
    #[allow(dead_code)]
    fn sign_in() {}

    #[derive(OpenApi)]
    #[openapi(paths(make_thing, sign_in), components(schemas(Thing)))]
    struct Part;

    fn document() -> serde_json::Value {
        serde_json::to_value(assemble([Part::openapi()])).unwrap()
    }

    #[test]
    fn every_operation_gets_the_common_answers_that_apply_to_it() {
        let doc = document();
        let make = &doc["paths"]["/things/{id}"]["post"]["responses"];
        for (status, name) in [
            ("400", "BadRequest"),
            ("401", "Unauthenticated"),
            ("403", "Forbidden"),
            ("404", "NotFound"),
            ("413", "PayloadTooLarge"),
        ] {
            assert_eq!(
                make[status]["$ref"],
                format!("#/components/responses/{name}"),
                "{status}: {make}"
            );
            assert!(doc["components"]["responses"][name].is_object(), "{name}");
        }
        assert!(make.get("415").is_none(), "{make}");
        // Without a token to refuse, there is no 401 or 403 of the shared
        // kind; the operation's own 401 keeps its words.
        let sign_in = &doc["paths"]["/sign-in"]["post"]["responses"];
        assert_eq!(sign_in["401"]["description"], "Wrong password.");
        assert!(sign_in.get("403").is_none(), "{sign_in}");
        assert!(sign_in.get("404").is_none(), "{sign_in}");
        assert_eq!(sign_in["400"]["$ref"], "#/components/responses/BadRequest");
    }

    #[test]
    fn links_use_the_names_of_the_specification() {
        let doc = document();
        let link = &doc["paths"]["/things/{id}"]["post"]["responses"]["201"]["links"]["Get"];
        assert_eq!(
            link,
            &json!({"operationId": "get_thing", "parameters": {"id": "$response.body#/id"}})
        );
    }

    #[test]
    fn identifiers_carry_the_pattern_of_their_forms() {
        let doc = document();
        let pattern = text::uuid_pattern();
        assert_eq!(
            doc["components"]["schemas"]["Thing"]["properties"]["id"]["pattern"],
            pattern
        );
        let param = &doc["paths"]["/things/{id}"]["post"]["parameters"][0];
        assert_eq!(param["schema"]["pattern"], pattern);
    }
}

/// Schemas of text as the server reads it: cleaned of the characters every
/// input loses ([`REMOVED`]), trimmed of white space ([`SPACE`]), and
/// checked. Each pattern accepts a raw string exactly when the server does,
/// so a client that sends a stray control character or surrounding blanks
/// learns from the document what happens to them.
pub mod text {
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
}

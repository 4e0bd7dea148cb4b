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

/// Schemas of text as the server reads it, cleaned and trimmed.
pub mod text;

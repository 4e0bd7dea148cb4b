//! The endpoints Kannel calls: delivery reports (`dlr-url`) and the SMS
//! persons send (`sms-service` `post-url`, or `get-url`). Neither takes a
//! session or a token: a report carries its message's signature, an
//! incoming SMS the callback key of Kannel's configuration.

use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::form::Fields;
use crate::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use diwan_domain::{ErrorCode, Reason};

/// The largest body of an incoming SMS Kannel may post.
const MAX_INCOMING_BYTES: usize = 16 * 1024;
use diwan_services::messaging::kannel::{IncomingForm, ReportForm};
use utoipa::OpenApi;

/// Kannel's routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messaging/kannel/reports", get(report))
        .route(
            "/messaging/kannel/incoming",
            get(incoming_get).post(incoming_post),
        )
}

#[derive(OpenApi)]
#[openapi(paths(report, incoming_get, incoming_post))]
pub struct KannelDoc;

/// A delivery report, as Kannel calls the `dlr-url` Diwan gave it: the
/// message's id and signature, Kannel's report type (1 delivered, 2
/// undelivered, 4 buffered, 8 accepted by the operator, 16 rejected by
/// it) and the operator's answer. A wrong signature answers 401.
#[utoipa::path(get, path = "/api/v1/messaging/kannel/reports", tag = "messaging",
    params(("id" = String, Query), ("sig" = String, Query), ("type" = String, Query), ("answer" = Option<String>, Query)),
    responses((status = 204, description = "Taken (also when it changes nothing)."), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "More reports are waiting than are taken at once: try again after `Retry-After` seconds.")))]
async fn report(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let f = Fields::from_query(q.as_deref());
    let taken = state
        .services
        .kannel_report(ReportForm {
            id: f.get("id").to_owned(),
            sig: f.get("sig").to_owned(),
            kind: f.get("type").to_owned(),
            answer: f.opt("answer").map(str::to_owned),
        })
        .await;
    answer(taken)
}

/// 204 once taken. A call refused as busy is told when to try again and
/// its connection is closed: Kannel tries again on a connection of its
/// own, and this one is not kept open meanwhile.
fn answer<T>(taken: diwan_services::Result<T>) -> Response {
    match taken {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            let busy = e.code() == ErrorCode::Busy;
            let mut res = ApiError::from(e).into_response();
            if busy {
                res.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            res
        }
    }
}

/// An SMS a person sent, as Kannel's `get-url` passes it (`from`, `to`,
/// `text`) with the callback key. Answers nothing, so that Kannel sends
/// no reply of its own (`omit-empty`); replies go through the outbox.
#[utoipa::path(get, path = "/api/v1/messaging/kannel/incoming", tag = "messaging",
    params(("key" = String, Query), ("from" = String, Query), ("to" = Option<String>, Query), ("text" = Option<String>, Query),
           ("time" = Option<String>, Query, description = "When Kannel received it (`%t`): a repeat of an SMS already taken changes nothing.")),
    responses((status = 204, description = "Taken."), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "More SMS are waiting than are taken at once: try again after `Retry-After` seconds.")))]
async fn incoming_get(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let f = Fields::from_query(q.as_deref());
    let taken = state
        .services
        .kannel_incoming(IncomingForm {
            key: f.get("key").to_owned(),
            from: f.get("from").to_owned(),
            to: f.get("to").to_owned(),
            text: f.get("text").to_owned(),
            time: f.get("time").to_owned(),
        })
        .await;
    answer(taken)
}

/// An SMS a person sent, as Kannel's `post-url` posts it: the text as the
/// body in the charset of its `Content-Type` (UTF-16BE for UCS-2), the
/// sender and receiver in `X-Kannel-From` and `X-Kannel-To`, the callback
/// key in the query.
#[utoipa::path(post, path = "/api/v1/messaging/kannel/incoming", tag = "messaging",
    params(("key" = String, Query)),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 204, description = "Taken."), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "More SMS are waiting than are taken at once: try again after `Retry-After` seconds.")))]
async fn incoming_post(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let f = Fields::from_query(q.as_deref());
    // The key first, so that nobody else has a body kept at all; an SMS is
    // at most ten parts, far under the bound.
    if !diwan_services::messaging::kannel::key_holds(state.services.messaging(), f.get("key")) {
        return Err(ApiError::new(ErrorCode::Unauthenticated));
    }
    let body = axum::body::to_bytes(body, MAX_INCOMING_BYTES)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge))?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let charset = charset_of(&header("content-type"));
    let text =
        decode(&body, &charset).ok_or_else(|| ApiError::invalid("text", Reason::FieldInvalid))?;
    let taken = state
        .services
        .kannel_incoming(IncomingForm {
            key: f.get("key").to_owned(),
            from: header("x-kannel-from"),
            to: header("x-kannel-to"),
            text,
            time: header("x-kannel-time"),
        })
        .await;
    Ok(answer(taken))
}

/// The charset a `Content-Type` names, upper-case, without quotes.
fn charset_of(content_type: &str) -> String {
    content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_uppercase())
        .unwrap_or_else(|| "UTF-8".into())
}

/// `body` read in `charset`: UTF-8, UTF-16BE or UCS-2 (Kannel's UCS-2
/// messages), or ISO-8859-1; `None` when it does not read as such.
fn decode(body: &[u8], charset: &str) -> Option<String> {
    match charset {
        "UTF-16BE" | "UCS-2" | "UCS-2BE" | "UTF-16" => {
            if !body.len().is_multiple_of(2) {
                return None;
            }
            let units = body.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        "ISO-8859-1" | "LATIN1" | "WINDOWS-1252" => Some(body.iter().map(|b| *b as char).collect()),
        _ => String::from_utf8(body.to_vec()).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kannel_bodies_are_read_in_their_charset() {
        let ucs2: Vec<u8> = "نعم ١ 😀"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(decode(&ucs2, "UTF-16BE").as_deref(), Some("نعم ١ 😀"));
        assert_eq!(decode(&ucs2[..3], "UTF-16BE"), None);
        assert_eq!(decode(b"STOP", "UTF-8").as_deref(), Some("STOP"));
        assert_eq!(decode(&[0xe9], "ISO-8859-1").as_deref(), Some("é"));
        assert_eq!(decode(&[0xff], "UTF-8"), None);
        assert_eq!(charset_of("text/plain; charset=\"UTF-16BE\""), "UTF-16BE");
        assert_eq!(charset_of("text/plain"), "UTF-8");
    }
}

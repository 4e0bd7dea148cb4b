//! The export of an inquiry's answers: `GET /inquiries/{id}/results.csv`,
//! streamed a page at a time.

use crate::kit::auth::PageCtx;
use crate::kit::extract::PagePath;
use crate::kit::page::{finish, path_id, signed_in};
use crate::kit::routes::Routes;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;

/// The export's route.
pub fn routes() -> Routes {
    Routes::new().get("/inquiries/{id}/results.csv", results_csv)
}

fn csv_field(s: &str) -> String {
    // A leading =, +, - or @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `GET /inquiries/{id}/results.csv`: every current answer, streamed a
/// page at a time: question, answer, free text, channel, time; persons are
/// not named.
pub async fn results_csv(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?.clone();
        let id = path_id(&id)?;
        // The first page now: an inquiry the caller may not see fails here.
        let (i, first) = state
            .services
            .inquiry_answers_page(&caller, id, None, 1000)
            .await?;
        let head = "\u{FEFF}question,answer,text,channel,answered_at\r\n".to_owned();
        let services = state.services.clone();
        let line = move |a: &diwan_store::InquiryAnswer| {
            format!(
                "{},{},{},{},{}\r\n",
                a.position + 1,
                csv_field(&a.key),
                csv_field(a.text.as_deref().unwrap_or("")),
                a.channel.as_str(),
                a.at.to_rfc3339()
            )
        };
        let first_next = (first.len() == 1000)
            .then(|| first.last().map(|a| a.id))
            .flatten();
        let first_chunk: String = first.iter().map(line).collect();
        let rest = futures::stream::unfold(first_next, move |after| {
            let (services, caller) = (services.clone(), caller.clone());
            async move {
                let after = after?;
                match services
                    .inquiry_answers_page(&caller, id, Some(after), 1000)
                    .await
                {
                    Ok((_, page)) if page.is_empty() => None,
                    Ok((_, page)) => {
                        let next = (page.len() == 1000)
                            .then(|| page.last().map(|a| a.id))
                            .flatten();
                        Some((
                            Ok::<_, std::io::Error>(Bytes::from(
                                page.iter().map(line).collect::<String>(),
                            )),
                            next,
                        ))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading an inquiry's answers");
                        Some((Err(std::io::Error::other("answers unreadable")), None))
                    }
                }
            }
        });
        let body = futures::stream::iter([Ok(Bytes::from(head)), Ok(Bytes::from(first_chunk))])
            .chain(rest);
        let mut res = Body::from_stream(body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        let name = format!(
            "attachment; filename=\"inquiry-{}.csv\"",
            i.code.as_deref().unwrap_or("results")
        );
        if let Ok(v) = HeaderValue::from_str(&name) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(res)
    }
    .await;
    finish(&ctx, &state, r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_neutralized() {
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("نعم"), "نعم");
    }
}

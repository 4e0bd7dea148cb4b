//! Answering before a request's body has been read to its end (a file over
//! the size limit, an unknown case, a bad token) makes the server close the
//! connection under a client that is still sending: the client then sees a
//! broken connection instead of the answer, and a clerk who picked a file
//! too large gets no page telling them so. This layer reads and throws away
//! what is left of such a body, within a bound of bytes and of time, before
//! the answer goes out, so the connection ends cleanly.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};

/// At most this much of an unread body is read and dropped; a body
/// announced longer is not read at all (its client loses the answer
/// whatever is read).
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
/// For at most this long; a client slower than that loses the answer.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Where an unfinished body goes back when the handler lets go of it.
type Slot = Arc<Mutex<Option<Body>>>;

/// Reads what the handler left of the request's body before answering.
pub async fn drain_unread_body(req: Request, next: Next) -> Response {
    // Most requests have no body at all: nothing to watch.
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let slot: Slot = Arc::default();
    let req = req.map(|inner| {
        Body::new(Returning {
            inner: Some(inner),
            ended: false,
            slot: slot.clone(),
        })
    });
    let res = next.run(req).await;
    let rest = slot.lock().map(|mut s| s.take()).unwrap_or(None);
    if let Some(rest) = rest {
        drain(rest).await;
    }
    res
}

async fn drain(body: Body) {
    use futures::StreamExt;
    if body.size_hint().lower() > DRAIN_BYTES as u64 {
        return;
    }
    let mut stream = body.into_data_stream();
    let read = async {
        let mut total = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            total += chunk.len();
            if total > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, read).await;
}

/// The request's body, handing itself back to the slot when dropped before
/// its end.
struct Returning {
    inner: Option<Body>,
    ended: bool,
    slot: Slot,
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if !self.ended && !inner.is_end_stream() {
                if let Ok(mut slot) = self.slot.lock() {
                    *slot = Some(inner);
                }
            }
        }
    }
}

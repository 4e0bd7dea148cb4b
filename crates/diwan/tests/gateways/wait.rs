//! Waiting for what a gateway or Diwan does in its own time.

use std::future::Future;
use std::time::{Duration, Instant};

/// Asks `check` every 100 ms until it answers `Ok`, and answers that; when
/// `timeout` passes first, panics with the last `Err` it gave, which says
/// what was awaited and what was seen instead.
pub async fn until<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(t) => return t,
            Err(seen) if started.elapsed() >= timeout => panic!("after {timeout:?}: {seen}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

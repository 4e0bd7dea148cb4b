//! Page routes that keep a table of themselves.
//!
//! axum's router cannot list its routes, so page routes are registered
//! through [`Routes`], which records each method and path as it adds them.
//! The table lets tests check every page route the server serves (the CSRF
//! refusal test walks every POST; the isolation walk fails on a page it does
//! not know), so that a new route cannot be forgotten by them.

use crate::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post};
use axum::Router;

/// A router of pages and the table of what it serves.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    pub fn new() -> Self {
        Routes::default()
    }

    /// Serves `GET path` with `h`.
    pub fn get<H, T>(mut self, path: &'static str, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, get(h));
        self.table.push((Method::GET, path));
        self
    }

    /// Serves `POST path` with `h`. Every page POST passes the CSRF layer.
    pub fn post<H, T>(mut self, path: &'static str, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, post(h));
        self.table.push((Method::POST, path));
        self
    }

    /// Adds another set of routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// The methods and paths served, in the order they were added.
    pub fn table(&self) -> &[(Method, &'static str)] {
        &self.table
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

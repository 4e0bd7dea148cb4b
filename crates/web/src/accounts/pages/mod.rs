//! The accounts pages: signing in and out with the language switcher, one's
//! own tokens and password, and the administrators' list of accounts.

mod account;
mod admin;
mod session;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The accounts pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route(
            "/sign-in",
            get(session::sign_in_form).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/lang", get(session::lang_link).post(session::set_lang))
        .route(
            "/account/tokens",
            get(account::tokens).post(account::create_token),
        )
        .route("/account/tokens/{id}/revoke", post(account::revoke))
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
}

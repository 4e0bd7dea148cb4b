//! The accounts pages: signing in and out with the language switcher, one's
//! own tokens and password, and the administrators' list of accounts.

mod account;
mod admin;
mod session;

use crate::kit::routes::Routes;

/// The accounts pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/", session::home)
        .get("/sign-in", session::sign_in_form)
        .post("/sign-in", session::sign_in)
        .post("/sign-out", session::sign_out)
        .get("/lang", session::lang_link)
        .post("/lang", session::set_lang)
        .get("/account/tokens", account::tokens)
        .post("/account/tokens", account::create_token)
        .post("/account/tokens/{id}/revoke", account::revoke)
        .get("/account/password", account::password_form)
        .post("/account/password", account::change_password)
        .get("/admin/users", admin::users)
        .post("/admin/users", admin::create_user)
        .post("/admin/users/{id}/password", admin::reset_password)
}

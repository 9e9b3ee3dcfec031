//! Who is logged in. The session itself is the HttpOnly cookie the server set; the dashboard only
//! knows whether it has one, and the CSRF token it must send with writes. The token lives in
//! memory only (from the login answer or `GET /auth/session`): a cookie could be planted by
//! another site on the same host name.

use leptos::prelude::*;
use shared::v1::{LoginResponse, SessionInfo};

/// Where the dashboard stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Asking `GET /auth/session` at start-up.
    Checking,
    LoggedOut,
    LoggedIn,
}

/// App-wide session state, provided in context.
#[derive(Clone, Copy)]
pub struct Session {
    pub auth: RwSignal<Auth>,
    csrf: RwSignal<Option<String>>,
    /// Why the user landed on the login page, when the session ended under them.
    pub reason: RwSignal<Option<String>>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    pub fn new() -> Self {
        Self {
            auth: RwSignal::new(Auth::Checking),
            csrf: RwSignal::new(None),
            reason: RwSignal::new(None),
        }
    }

    pub fn logged_in(&self, login: &LoginResponse) {
        self.csrf.set(Some(login.csrf_token.clone()));
        self.reason.set(None);
        self.auth.set(Auth::LoggedIn);
    }

    /// The session cookie is still good (checked at start-up).
    pub fn resumed(&self, info: &SessionInfo) {
        self.csrf.set(Some(info.csrf_token.clone()));
        self.auth.set(Auth::LoggedIn);
    }

    /// The server said 401: forget the session; the guard sends the user to the login page.
    pub fn expired(&self, message: &str) {
        if self.auth.get_untracked() == Auth::LoggedIn {
            self.reason.set(Some(format!(
                "Your session ended ({message}). Log in again."
            )));
        }
        self.csrf.set(None);
        self.auth.set(Auth::LoggedOut);
    }

    pub fn logged_out(&self) {
        self.csrf.set(None);
        self.reason.set(None);
        self.auth.set(Auth::LoggedOut);
    }

    /// The token for `X-CSRF-Token`.
    pub fn csrf(&self) -> Option<String> {
        self.csrf.get_untracked()
    }
}

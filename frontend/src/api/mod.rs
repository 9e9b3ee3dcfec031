//! The only way the dashboard talks to the server: one async function per endpoint, typed with
//! `shared::v1`, and one decode path ([`ApiClient::decode`]) for every answer. A 401 ends the
//! session, which sends the user to the login page.

mod access;
mod apps;
mod auth;
mod certificates;
mod deployments;
mod releases;
mod settings;
mod stream;
mod upload;
mod volumes;

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;

use crate::state::{Events, Session};

pub use access::{AUDIT_FIELDS, TOKEN_FIELDS, rows};
pub use apps::{AppAction, usage_of};
pub use certificates::{CHAIN, HOST, KEY};
pub use stream::{EventStream, keep_open};
pub use upload::Progress;

const BASE: &str = "/api/v1";

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The server answered with an error (`shared::v1::ErrorBody`): its message, and its
    /// messages per request field (each field's joined by newlines).
    Api {
        status: u16,
        message: String,
        fields: Vec<(String, String)>,
    },
    /// No answer, or one that is not the expected JSON.
    Network(String),
}

impl Error {
    /// A sentence for a notice.
    pub fn message(&self) -> String {
        match self {
            Self::Api { message, .. } => capitalize(message),
            Self::Network(reason) => format!("Cannot reach Milkcrate ({reason})."),
        }
    }

    /// The server's messages about one request field, one per line.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Api { fields, .. } => fields
                .iter()
                .find(|(field, m)| field == name && !m.is_empty())
                .map(|(_, m)| m.clone()),
            Self::Network(_) => None,
        }
    }

    /// True when the error concerns only the given fields, so the notice would repeat them.
    pub fn is_only_about(&self, fields: &[&str]) -> bool {
        match self {
            Self::Api { fields: named, .. } => {
                !named.is_empty() && named.iter().all(|(k, _)| fields.contains(&k.as_str()))
            }
            Self::Network(_) => false,
        }
    }
}

/// Server messages start in ASCII; `char::to_uppercase` would bring Unicode's case tables into
/// the module (kilobytes) for nothing.
fn capitalize(s: &str) -> String {
    let mut s = s.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn network(e: impl std::fmt::Display) -> Error {
    Error::Network(e.to_string())
}

/// A field of a JSON text, read by the browser (`undefined` when there is none). For answers of
/// which the dashboard shows one or two values, where serde's code for the whole type would cost
/// the module more than a kilobyte; the names used are checked against `shared::v1` by tests.
pub fn json_field(text: &str, name: &str) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(text)
        .and_then(|object| js_sys::Reflect::get(&object, &name.into()))
        .unwrap_or_default()
}

/// One JSON value as `T`.
fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(unexpected)
}

/// Not generic: one copy of the message for every answer type.
#[inline(never)]
fn unexpected(e: serde_json::Error) -> Error {
    Error::Network(format!("unexpected answer: {e}"))
}

/// The JSON text of each element of a JSON array, as the browser writes it again.
fn elements(text: &str) -> Result<Vec<String>, Error> {
    let array = js_sys::JSON::parse(text)
        .ok()
        .filter(js_sys::Array::is_array)
        .ok_or_else(|| Error::Network("unexpected answer: not a JSON array".into()))?;
    Ok(js_sys::Array::from(&array)
        .iter()
        .filter_map(|item| js_sys::JSON::stringify(&item).ok()?.as_string())
        .collect())
}

/// The status and body of an answer. Not generic: one copy of the request's state machine serves
/// every endpoint (per-type copies cost the module kilobytes); only decoding is per type.
async fn fetch(request: Result<Request, gloo_net::Error>) -> Result<(u16, String), Error> {
    let response = request.map_err(network)?.send().await.map_err(network)?;
    let status = response.status();
    let text = response.text().await.map_err(network)?;
    Ok((status, text))
}

/// The API client, provided in context. It carries the session so that a 401 can end it and
/// writes can send the CSRF token, and the server's events (`GET /events`) for reads to track.
#[derive(Clone, Copy)]
pub struct ApiClient {
    session: Session,
    pub events: Events,
}

impl ApiClient {
    pub fn new(session: Session, events: Events) -> Self {
        Self { session, events }
    }

    fn url(path: &str) -> String {
        format!("{BASE}{path}")
    }

    fn get(&self, path: &str) -> RequestBuilder {
        Request::get(&Self::url(path))
    }

    /// A write: cookie-authenticated, so it must carry `X-CSRF-Token`.
    fn write(&self, method: gloo_net::http::Method, path: &str) -> RequestBuilder {
        let builder = RequestBuilder::new(&Self::url(path)).method(method);
        match self.session.csrf() {
            Some(token) => builder.header("X-CSRF-Token", &token),
            None => builder,
        }
    }

    /// A success's body as text; anything else goes through the one decode path.
    async fn text(&self, request: Result<Request, gloo_net::Error>) -> Result<String, Error> {
        let (status, text) = fetch(request).await?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        Err(self.failure(status, &text))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: Result<Request, gloo_net::Error>,
    ) -> Result<T, Error> {
        let (status, text) = fetch(request).await?;
        self.decode(status, &text)
    }

    /// A JSON array of `T`s. The browser splits the array (`JSON.parse`, then each element's
    /// text again) and serde decodes one element at a time: serde_json's sequence reader was a
    /// copy per element type, 2 to 3 KB of the module each.
    async fn send_list<T: DeserializeOwned>(
        &self,
        request: Result<Request, gloo_net::Error>,
    ) -> Result<Vec<T>, Error> {
        let items = elements(&self.text(request).await?)?;
        items.iter().map(|item| parse(item)).collect()
    }

    /// The one decode path: 2xx becomes `T` (an empty body reads as `null`, for `()`), anything
    /// else an [`Error::Api`]. A 401 ends the session.
    fn decode<T: DeserializeOwned>(&self, status: u16, text: &str) -> Result<T, Error> {
        if (200..300).contains(&status) {
            let text = if text.trim().is_empty() { "null" } else { text };
            return parse(text);
        }
        Err(self.failure(status, text))
    }

    /// What an answer that is not a success says. Not generic, and kept out of line: one copy
    /// for every endpoint rather than one per answer type. The error body is read by the browser
    /// (`JSON.parse`): serde's code for `ErrorBody` (its `BTreeMap` of `Vec`s, its `ErrorCode`)
    /// cost the module more, and the dashboard shows only the messages.
    #[inline(never)]
    fn failure(&self, status: u16, text: &str) -> Error {
        use wasm_bindgen::JsCast;
        let body = js_sys::JSON::parse(text).unwrap_or_default();
        let field = |name: &str| js_sys::Reflect::get(&body, &name.into()).unwrap_or_default();
        let message = field("message")
            .as_string()
            .unwrap_or_else(|| format!("the server answered {status}"));
        let fields = field("fields");
        let fields = match fields.dyn_ref::<js_sys::Object>() {
            Some(fields) => js_sys::Object::entries(fields)
                .iter()
                .filter_map(|entry| {
                    let entry: js_sys::Array = entry.unchecked_into();
                    let messages = entry.get(1);
                    let messages = messages.dyn_ref::<js_sys::Array>()?;
                    Some((entry.get(0).as_string()?, messages.join("\n").into()))
                })
                .collect(),
            None => Vec::new(),
        };
        if status == 401 {
            self.session.expired(&message);
        }
        Error::Api {
            status,
            message,
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::v1::{ErrorBody, ErrorCode};

    /// `ApiClient::failure` reads these names of the error body with the browser.
    #[test]
    fn failure_reads_the_names_of_error_body() {
        let body = ErrorBody {
            code: ErrorCode::ValidationFailed,
            message: "name is taken".into(),
            fields: [("name".to_string(), vec!["taken".to_string()])].into(),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["message"], "name is taken");
        assert_eq!(json["fields"]["name"][0], "taken");
    }
}

//! API tokens and the audit trail. Their lists are read field by field by the browser
//! ([`rows`]): serde's code for two more list types would cost the module kilobytes it does not
//! have (docs/dashboard.md); the field names are checked against `shared::v1` by the tests below.

use gloo_net::http::Method;
use shared::v1::TokenScope;

use super::{ApiClient, Error, json_field};

/// A token's columns (`GET /tokens`), as [`rows`] reads them.
pub const TOKEN_FIELDS: [&str; 5] = ["id", "name", "scope", "last_used_at", "expires_at"];
/// An audit entry's columns (`GET /audit`), as [`rows`] reads them.
pub const AUDIT_FIELDS: [&str; 7] = ["id", "at", "actor", "action", "target", "status", "client"];

/// Each object of a JSON array as text, one string per field of `fields` ("" for none; times
/// to the minute).
pub fn rows(text: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let list = js_sys::JSON::parse(text)
        .map(|v| js_sys::Array::from(&v))
        .unwrap_or_default();
    list.iter()
        .map(|row| {
            fields
                .iter()
                .map(|field| {
                    let value = js_sys::Reflect::get(&row, &(*field).into()).unwrap_or_default();
                    let text = value
                        .as_string()
                        .or_else(|| value.as_f64().map(|n| (n as i64).to_string()))
                        .unwrap_or_default();
                    if field.ends_with("at") {
                        crate::format::minute(&text)
                    } else {
                        text
                    }
                })
                .collect()
        })
        .collect()
}

impl ApiClient {
    /// A list's answer as text, for [`rows`] to read: one future type for every such list.
    pub async fn list_text(&self, path: &str) -> Result<String, Error> {
        self.text(self.get(path).build()).await
    }

    /// Mints a token; the answer is the token itself, shown this once.
    pub async fn create_token(
        &self,
        name: &str,
        scope: TokenScope,
        expires_in_days: Option<u32>,
    ) -> Result<String, Error> {
        // The browser quotes the name as JSON; serde's serializer for one more type would cost
        // the module more than the whole request.
        let name = js_sys::JSON::stringify(&name.into())
            .map(String::from)
            .unwrap_or_default();
        let text = self
            .text(
                self.write(Method::POST, "/tokens")
                    .header("content-type", "application/json")
                    .body(token_body(&name, scope, expires_in_days)),
            )
            .await?;
        Ok(json_field(&text, "token").as_string().unwrap_or_default())
    }

    pub async fn revoke_token(&self, id: &str) -> Result<(), Error> {
        self.send(self.write(Method::DELETE, &format!("/tokens/{id}")).build())
            .await
    }
}

/// The body of `POST /tokens` (a `CreateToken`), `name` already a JSON string.
fn token_body(name: &str, scope: TokenScope, expires_in_days: Option<u32>) -> String {
    let days = expires_in_days.map_or_else(|| "null".to_string(), |d| d.to_string());
    format!(
        "{{\"name\":{name},\"scope\":\"{}\",\"expires_in_days\":{days}}}",
        scope.as_str()
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared::v1::{ApiToken, AuditEntry, NewToken, TokenScope};

    #[test]
    fn the_fields_read_are_those_of_shared_v1() {
        let token = ApiToken {
            id: 1,
            name: "ci".into(),
            scope: TokenScope::Deploy,
            created_at: Utc::now(),
            expires_at: Some(Utc::now()),
            last_used_at: Some(Utc::now()),
        };
        let json = serde_json::to_value(token).unwrap();
        for field in super::TOKEN_FIELDS {
            assert!(!json[field].is_null(), "{field}");
        }
        let entry = AuditEntry {
            id: 1,
            at: Utc::now(),
            actor: "token:ci".into(),
            action: "app.create".into(),
            target: "blog".into(),
            status: 202,
            client: "192.0.2.1".into(),
        };
        let json = serde_json::to_value(entry).unwrap();
        for field in super::AUDIT_FIELDS {
            assert!(!json[field].is_null(), "{field}");
        }
        let new = NewToken {
            id: 1,
            name: "ci".into(),
            scope: TokenScope::Read,
            token: "mc_x".into(),
            created_at: Utc::now(),
            expires_at: None,
        };
        assert_eq!(serde_json::to_value(new).unwrap()["token"], "mc_x");
    }

    #[test]
    fn the_token_body_is_a_create_token() {
        let name = serde_json::to_string("ci \"quoted\"").unwrap();
        for days in [None, Some(30)] {
            let body = super::token_body(&name, TokenScope::Admin, days);
            let parsed: shared::v1::CreateToken = serde_json::from_str(&body).unwrap();
            assert_eq!(parsed.name, "ci \"quoted\"");
            assert_eq!(parsed.scope, TokenScope::Admin);
            assert_eq!(parsed.expires_in_days, days);
        }
    }
}

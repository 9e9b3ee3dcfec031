//! `/certificates`: a certificate the admin uploads for a host instead of an ACME order (going
//! back to ACME, `DELETE`, is left to the API: a button for it cost 1.5 KB of gzip).

use gloo_net::http::Method;

use super::{ApiClient, Error};

/// The fields of `shared::v1::UploadCertificate`; the server names its objections by them
/// (`ErrorBody.fields`).
pub const HOST: &str = "host";
pub const CHAIN: &str = "chain";
pub const KEY: &str = "key";

impl ApiClient {
    /// `POST /certificates`. The body is written with the browser's JSON (no serde code for it
    /// in the module); the answer (the certificate's names and dates) is not read.
    pub async fn upload_certificate(
        &self,
        host: &str,
        chain: &str,
        key: &str,
    ) -> Result<(), Error> {
        let body = js_sys::Object::new();
        for (name, value) in [(HOST, host), (CHAIN, chain), (KEY, key)] {
            let _ = js_sys::Reflect::set(&body, &name.into(), &value.into());
        }
        let body = js_sys::JSON::stringify(&body)
            .map(String::from)
            .unwrap_or_default();
        self.text(
            self.write(Method::POST, "/certificates")
                .header("content-type", "application/json")
                .body(body),
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use shared::v1::UploadCertificate;

    #[test]
    fn the_upload_is_written_with_the_names_of_upload_certificate() {
        let body = UploadCertificate {
            host: "h".into(),
            chain: "c".into(),
            key: "k".into(),
        };
        let json = serde_json::to_value(body).unwrap();
        assert_eq!(json[super::HOST], "h");
        assert_eq!(json[super::CHAIN], "c");
        assert_eq!(json[super::KEY], "k");
    }
}

use gloo_net::http::Method;
use shared::v1::{PublicApp, PublicIndex, Settings, time};
use wasm_bindgen::{JsCast, JsValue};

use super::{ApiClient, Error};

/// The fields of `PublicIndex` and `PublicApp` the landing page shows.
const HOME: &str = "default_home_route";
const APPS: &str = "apps";
const NAME: &str = "name";
const ROUTE: &str = "route";
const DEPLOYED_AT: &str = "deployed_at";

/// A string field of a parsed JSON object.
fn string(object: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(object, &name.into()).ok()?.as_string()
}

impl ApiClient {
    pub async fn settings(&self) -> Result<Settings, Error> {
        self.send(self.get("/settings").build()).await
    }

    pub async fn save_settings(&self, settings: Settings) -> Result<Settings, Error> {
        self.send(self.write(Method::PUT, "/settings").json(&settings))
            .await
    }

    /// What visitors see; needs no session. Read field by field by the browser: serde's code
    /// for `PublicIndex` and its list cost the module more.
    pub async fn public_apps(&self) -> Result<PublicIndex, Error> {
        let text = self.text(self.get("/public/apps").build()).await?;
        let index = js_sys::JSON::parse(&text).unwrap_or_default();
        let apps = js_sys::Reflect::get(&index, &APPS.into()).unwrap_or_default();
        let apps = match apps.dyn_ref::<js_sys::Array>() {
            Some(apps) => apps
                .iter()
                .map(|app| PublicApp {
                    name: string(&app, NAME).unwrap_or_default(),
                    route: string(&app, ROUTE).unwrap_or_default(),
                    deployed_at: string(&app, DEPLOYED_AT).and_then(|t| time::parse(&t)),
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(PublicIndex {
            default_home_route: string(&index, HOME),
            apps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `public_apps` reads are those of `shared::v1`.
    #[test]
    fn public_apps_reads_the_names_of_public_index() {
        let index = PublicIndex {
            default_home_route: Some("/blog".into()),
            apps: vec![PublicApp {
                name: "blog".into(),
                route: "/blog".into(),
                deployed_at: Some(chrono::Utc::now()),
            }],
        };
        let json = serde_json::to_value(&index).unwrap();
        assert_eq!(json[HOME], "/blog");
        assert_eq!(json[APPS][0][NAME], "blog");
        assert_eq!(json[APPS][0][ROUTE], "/blog");
        assert!(json[APPS][0][DEPLOYED_AT].is_string());
    }
}

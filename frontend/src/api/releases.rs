use gloo_net::http::Method;
use shared::v1::{Deployment, EnvVar, RollbackRequest};
use wasm_bindgen::JsValue;

use super::{ApiClient, Error, json_field};

/// The fields of `AppEnv` and of its `EnvVar`s and `BuildArg`s, read by the browser and written
/// by hand: serde's code for these types cost the module kilobytes (checked by the tests).
const VARS: &str = "vars";
const BUILD_ARGS: &str = "build_args";
const KEY: &str = "key";
const VALUE: &str = "value";
const SECRET: &str = "secret";

impl ApiClient {
    /// The app's variables and its build arguments (as rows that are never secret); a secret's
    /// value is always `None`.
    pub async fn app_env(&self, name: &str) -> Result<(Vec<EnvVar>, Vec<EnvVar>), Error> {
        let text = self
            .text(self.get(&format!("/apps/{name}/env")).build())
            .await?;
        let rows = |field: &str| -> Vec<EnvVar> {
            js_sys::Array::from(&json_field(&text, field))
                .iter()
                .map(|row| {
                    let get = |name: &str| js_sys::Reflect::get(&row, &name.into());
                    let get = |name: &str| get(name).unwrap_or(JsValue::NULL);
                    EnvVar {
                        key: get(KEY).as_string().unwrap_or_default(),
                        value: get(VALUE).as_string(),
                        secret: get(SECRET).is_truthy(),
                    }
                })
                .collect()
        };
        Ok((rows(VARS), rows(BUILD_ARGS)))
    }

    /// Replaces the whole set (`PUT /apps/{name}/env`); the answer is the release that applies it.
    pub async fn save_env(
        &self,
        name: &str,
        vars: &[EnvVar],
        args: &[EnvVar],
    ) -> Result<Deployment, Error> {
        let path = format!("/apps/{name}/env");
        let body = env_json(vars, args);
        self.send(
            self.write(Method::PUT, &path)
                .header(JSON.0, JSON.1)
                .body(body),
        )
        .await
    }

    /// Changes what `patch` (an `AppPatch` as JSON) gives: health path, limits, route; as a new
    /// release.
    pub async fn patch_app(&self, name: &str, patch: String) -> Result<Deployment, Error> {
        let path = format!("/apps/{name}");
        self.send(
            self.write(Method::PATCH, &path)
                .header(JSON.0, JSON.1)
                .body(patch),
        )
        .await
    }

    /// Brings release `deployment` back as a new release.
    pub async fn rollback(&self, name: &str, deployment: i64) -> Result<Deployment, Error> {
        let path = format!("/apps/{name}/rollback");
        self.send(
            self.write(Method::POST, &path)
                .json(&RollbackRequest { deployment }),
        )
        .await
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A JSON string.
pub fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// An `AppEnv` as JSON; `args` become build arguments (their `secret` is ignored).
fn env_json(vars: &[EnvVar], args: &[EnvVar]) -> String {
    let list = |rows: &[EnvVar]| -> String {
        let rows: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"{KEY}\":{},\"{VALUE}\":{},\"{SECRET}\":{}}}",
                    quote(&r.key),
                    r.value.as_deref().map_or("null".into(), quote),
                    r.secret
                )
            })
            .collect();
        rows.join(",")
    };
    format!(
        "{{\"{VARS}\":[{}],\"{BUILD_ARGS}\":[{}]}}",
        list(vars),
        list(args)
    )
}

#[cfg(test)]
mod tests {
    use shared::v1::{AppEnv, BuildArg, EnvVar};

    fn var(key: &str, value: Option<&str>, secret: bool) -> EnvVar {
        EnvVar {
            key: key.into(),
            value: value.map(Into::into),
            secret,
        }
    }

    #[test]
    fn the_body_is_an_app_env() {
        let vars = [var("A\"B", Some("x\ny"), false), var("TOKEN", None, true)];
        let args = [var("VERSION", Some("1"), false)];
        let env: AppEnv = serde_json::from_str(&super::env_json(&vars, &args)).unwrap();
        assert_eq!(env.vars, vars);
        assert_eq!(
            env.build_args,
            [BuildArg {
                key: "VERSION".into(),
                value: "1".into()
            }]
        );
    }

    #[test]
    fn the_fields_read_are_those_of_app_env() {
        let env = AppEnv {
            vars: vec![var("K", Some("v"), true)],
            build_args: vec![BuildArg {
                key: "B".into(),
                value: "w".into(),
            }],
        };
        let json = serde_json::to_value(env).unwrap();
        assert_eq!(json[super::VARS][0][super::KEY], "K");
        assert_eq!(json[super::VARS][0][super::VALUE], "v");
        assert_eq!(json[super::VARS][0][super::SECRET], true);
        assert_eq!(json[super::BUILD_ARGS][0][super::VALUE], "w");
    }
}

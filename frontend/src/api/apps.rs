use gloo_net::http::Method;
use shared::v1::{App, Deployment, LogLine, fields};

use super::{ApiClient, Error, json_field};

/// The fields of `AppStats` and `ServiceStats` the app page shows.
const APP: &str = "app";
const SERVICES: &str = "services";
const CPU: &str = "cpu_percent";
const MEMORY: &str = "memory_bytes";

impl ApiClient {
    pub async fn list_apps(&self) -> Result<Vec<App>, Error> {
        self.send_list(self.get("/apps").build()).await
    }

    pub async fn get_app(&self, name: &str) -> Result<App, Error> {
        self.send(self.get(&format!("/apps/{name}")).build()).await
    }

    /// `remove_volumes` also deletes a stack's compose volumes and their data.
    pub async fn delete_app(&self, name: &str, remove_volumes: bool) -> Result<(), Error> {
        let path = if remove_volumes {
            format!("/apps/{name}?{}=true", fields::query::VOLUMES)
        } else {
            format!("/apps/{name}")
        };
        self.send(self.write(Method::DELETE, &path).build()).await
    }

    /// `action` is `start`, `stop` or `restart`.
    pub async fn app_action(&self, name: &str, action: AppAction) -> Result<App, Error> {
        let path = format!("/apps/{name}/{}", action.verb());
        self.send(self.write(Method::POST, &path).build()).await
    }

    /// The app's last 200 lines, oldest first.
    pub async fn app_logs(&self, name: &str) -> Result<Vec<LogLine>, Error> {
        let path = format!("/apps/{name}/logs?{}=200", fields::query::TAIL);
        self.send_list(self.get(&path).build()).await
    }

    /// The path of the app's last 200 lines and then each new one, for an
    /// [`super::EventStream`] (`log` events). Every connection, reconnections included, starts
    /// with the last 200 lines again.
    pub fn follow_logs_path(name: &str) -> String {
        let (follow, tail) = (fields::query::FOLLOW, fields::query::TAIL);
        format!("/apps/{name}/logs?{follow}=true&{tail}=200")
    }

    /// The event stream with `stats` events of app `name` (`*`: every running app), for an
    /// [`super::EventStream`].
    pub fn stats_path(name: &str) -> String {
        format!("/events?stats={name}")
    }

    pub async fn list_deployments(&self, name: &str) -> Result<Vec<Deployment>, Error> {
        self.send_list(self.get(&format!("/apps/{name}/deployments")).build())
            .await
    }

    /// `PUT /apps/{name}/domains`: the app's host names, all of them.
    /// The body is written with the browser's JSON (no serde code for it in the module).
    pub async fn set_domains(&self, name: &str, domains: Vec<String>) -> Result<(), Error> {
        let list: js_sys::Array = domains
            .into_iter()
            .map(wasm_bindgen::JsValue::from)
            .collect();
        let list = js_sys::JSON::stringify(&list)
            .map(String::from)
            .unwrap_or_default();
        self.text(
            self.write(Method::PUT, &format!("/apps/{name}/domains"))
                .header("content-type", "application/json")
                .body(format!("{{\"domains\":{list}}}")),
        )
        .await
        .map(drop)
    }

    /// The app's `domains`, as JSON text (read field by field where shown: serde's code for
    /// them cost the module 1.5 KB of gzip).
    pub async fn app_domains(&self, name: &str) -> Result<String, Error> {
        let text = self
            .text(self.get(&format!("/apps/{name}")).build())
            .await?;
        Ok(js_sys::JSON::stringify(&json_field(&text, "domains"))
            .map(String::from)
            .unwrap_or_default())
    }
}

/// What the start, stop and restart buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAction {
    Start,
    Stop,
    Restart,
}

impl AppAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Start => "Start",
            Self::Stop => "Stop",
            Self::Restart => "Restart",
        }
    }
}

/// A `stats` event's app and its use over all its containers: CPU (100 = one core) and memory
/// (bytes). Only these are read, field by field: serde's code for `AppStats` cost the module
/// 1.4 KB of gzip.
pub fn usage_of(data: &str) -> (String, f64, f64) {
    let app = json_field(data, APP).as_string().unwrap_or_default();
    let services = js_sys::Array::from(&json_field(data, SERVICES));
    let sum = |name: &str| -> f64 {
        services
            .iter()
            .filter_map(|s| js_sys::Reflect::get(&s, &name.into()).ok()?.as_f64())
            .sum()
    };
    (app, sum(CPU), sum(MEMORY))
}

#[cfg(test)]
mod tests {
    use shared::v1::{AppStats, ServiceStats};

    #[test]
    fn usage_reads_the_fields_of_app_stats() {
        let stats = AppStats {
            app: "blog".into(),
            services: vec![ServiceStats {
                service: None,
                cpu_percent: 12.5,
                memory_bytes: 4096,
                memory_limit_bytes: 8192,
                net_rx_bytes: 0,
                net_tx_bytes: 0,
                block_read_bytes: 0,
                block_write_bytes: 0,
                pids: 1,
            }],
        };
        let json = serde_json::to_value(stats).unwrap();
        assert_eq!(json[super::APP], "blog");
        assert_eq!(json[super::SERVICES][0][super::CPU], 12.5);
        assert_eq!(json[super::SERVICES][0][super::MEMORY], 4096);
    }
}

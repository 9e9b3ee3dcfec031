//! Headless Chromium through the Debian chromedriver, spawned per test in its own process group
//! so that the whole tree (driver, browser, renderers) dies with the guard, on every path.

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use integration_tests::eventually;

/// The longest any single UI step may take (a deploy has its own, longer deadline).
pub const STEP: Duration = Duration::from_secs(20);

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Where downloads land.
    pub downloads: tempfile::TempDir,
    pub base: String,
    shots: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a Chromium session; `base` is the origin pages are loaded from.
    pub async fn start(base: &str) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver runs (scripts/test-env.sh installs chromium-driver)");
        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = tempfile::tempdir().expect("downloads dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--disable-crash-reporter", "--disable-breakpad",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path().display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        // The guard exists before the session does, so a failure below still kills the driver.
        let mut guard = Guard(Some(driver));
        let url = format!("http://127.0.0.1:{port}");
        let client = eventually(STEP, "chromedriver to start a session", || {
            let (caps, url) = (caps.clone(), url.clone());
            async move {
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&url)
                    .await
                    .ok()
            }
        })
        .await;
        let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/screenshots")
            .to_path_buf();
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Self {
            client,
            driver: guard.0.take().expect("driver"),
            _profile: profile,
            downloads,
            base: base.trim_end_matches('/').to_string(),
            shots,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// Opens a full URL (another origin than the dashboard's, such as an app through Traefik).
    pub async fn goto_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Waits for an element (rendered by the wasm app, so never there at once).
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` within {STEP:?}: {e}"))
    }

    /// Waits until `css` matches an element whose text contains `needle`; returns that text.
    pub async fn wait_text(&self, css: &str, needle: &str, deadline: Duration) -> String {
        eventually(
            deadline,
            &format!("`{css}` to show `{needle}`"),
            || async move {
                for el in self.client.find_all(Locator::Css(css)).await.ok()? {
                    if let Ok(text) = el.text().await
                        && text.contains(needle)
                    {
                        return Some(text);
                    }
                }
                None
            },
        )
        .await
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        eventually(STEP, &format!("`{css}` to disappear"), || async move {
            let found = self.client.find_all(Locator::Css(css)).await.ok()?;
            found.is_empty().then_some(())
        })
        .await
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn set_width(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// Ends the session cleanly; the drop guard still kills the process group.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            kill_group(child);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing the group takes Chromium with it even when the session was never closed (a
        // panic): without this the browser is reparented to PID 1 and keeps running.
        let pid = self.driver.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = self.driver.wait();
    }
}

fn kill_group(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

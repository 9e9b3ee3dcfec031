//! What the binary does on its first start and when its database is not what it should be: no
//! fixed default password (a generated one, shown once), and a damaged database stops the start
//! instead of being replaced by a fresh one.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use integration_tests::{binary, docker, eventually, free_port};
use rand::distr::{Alphanumeric, SampleString};
use reqwest::StatusCode;

/// `milkcrate serve` on a data folder, with no admin password unless `env` sets one; no managed
/// proxy. Removes its Docker objects when dropped.
struct Instance {
    name: String,
    port: u16,
    data: tempfile::TempDir,
    logs: tempfile::TempDir,
    starts: usize,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

impl Instance {
    fn new(env: &[(&str, &str)]) -> Self {
        Self {
            name: format!(
                "t{}",
                Alphanumeric
                    .sample_string(&mut rand::rng(), 8)
                    .to_lowercase()
            ),
            port: free_port(),
            data: tempfile::tempdir().expect("temp dir"),
            logs: tempfile::tempdir().expect("temp dir"),
            starts: 0,
            child: None,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn db(&self) -> PathBuf {
        self.data.path().join("milkcrate.sqlite")
    }

    /// Starts the process; its output goes to `output(n)` for start number `n` (1, 2, ...).
    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.output_path(self.starts)).expect("output file");
        let child = Command::new(binary())
            .arg("serve")
            .env_remove("MILKCRATE_ADMIN_PASSWORD")
            .env_remove("MILKCRATE_CONFIG")
            .env("MILKCRATE_ENV", "development")
            .env("MILKCRATE_DATA_DIR", self.data.path())
            .env("MILKCRATE_LISTEN", format!("0.0.0.0:{}", self.port))
            .env("MILKCRATE_INSTANCE", &self.name)
            .env("TRAEFIK_NETWORK", format!("{}-net", self.name))
            .env("MILKCRATE_PROXY", "external")
            .env("RUST_LOG", "info")
            .env("RUST_BACKTRACE", "0")
            .envs(self.env.iter().cloned())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("milkcrate starts");
        self.child = Some(child);
    }

    fn output_path(&self, start: usize) -> PathBuf {
        self.logs.path().join(format!("start-{start}.log"))
    }

    /// What start number `start` printed so far.
    fn output(&self, start: usize) -> String {
        std::fs::read_to_string(self.output_path(start)).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Starts and waits until it answers (and its upkeep created its network, so that nothing is
    /// in flight when the test ends).
    async fn start(&mut self) {
        self.spawn();
        let http = reqwest::Client::new();
        let url = self.url("/healthz");
        eventually(
            Duration::from_secs(30),
            "milkcrate to answer /healthz",
            || {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let r = http.get(&url).send().await.ok()?;
                    r.status().is_success().then_some(())
                }
            },
        )
        .await;
        let label = format!("milkcrate.instance={}", self.name);
        eventually(Duration::from_secs(30), "the Traefik network", || {
            let found = !docker::networks_with(&[&label]).is_empty();
            async move { found.then_some(()) }
        })
        .await;
    }

    /// SIGTERM, and waits for the exit.
    fn stop(&mut self) {
        let mut child = self.child.take().expect("a running server");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        assert!(child.wait().expect("wait").success());
    }

    /// Starts a process that must fail: its exit status and output. Killed (and the test fails)
    /// if it is still running after 30 s.
    async fn start_expecting_failure(&mut self) -> (std::process::ExitStatus, String) {
        self.spawn();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let child = self.child.as_mut().expect("spawned");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return (status, self.output(self.starts));
            }
            if tokio::time::Instant::now() >= deadline {
                // Still serving: stop it, and report it as the success it should not be.
                self.stop();
                return (
                    std::process::ExitStatus::default(),
                    self.output(self.starts),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn login(&self, password: &str) -> StatusCode {
        reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "password": password }))
            .send()
            .await
            .expect("login request")
            .status()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            for start in 1..=self.starts {
                eprintln!("---- start {start} ----\n{}", self.output(start));
            }
        }
        docker::remove_instance(&self.name);
    }
}

/// The password a first start printed, from its `admin password: ...` line.
fn printed_password(output: &str) -> Option<String> {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix("admin password: "))
        .map(|p| p.trim().to_string())
}

/// A first start, in either mode, without `MILKCRATE_ADMIN_PASSWORD`.
async fn first_start_shows_a_working_password_once(env: &[(&str, &str)]) {
    let mut instance = Instance::new(env);
    instance.start().await;
    let first = instance.output(1);
    assert_eq!(
        instance.login("admin").await,
        StatusCode::UNAUTHORIZED,
        "no default password: {first}"
    );
    let password = printed_password(&first).expect("the first start prints a password");
    assert!(
        password.len() >= 20 && password != "admin",
        "a strong password: {password:?}"
    );
    assert_eq!(first.matches(&password).count(), 1, "printed once: {first}");
    let dashboard = format!("http://localhost:{}/admin/", instance.port);
    assert!(first.contains(&dashboard), "the dashboard's URL: {first}");
    assert_eq!(instance.login(&password).await, StatusCode::OK);
    // Only its hash is stored.
    let db = std::fs::read(instance.db()).unwrap();
    let wal = std::fs::read(instance.data.path().join("milkcrate.sqlite-wal")).unwrap_or_default();
    let stored = |bytes: &[u8]| {
        bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes())
    };
    assert!(
        !stored(&db) && !stored(&wal),
        "the password is stored in clear"
    );

    instance.stop();
    instance.start().await;
    let second = instance.output(2);
    assert!(
        printed_password(&second).is_none() && !second.contains(&password),
        "a second start shows nothing: {second}"
    );
    assert_eq!(instance.login(&password).await, StatusCode::OK);
    assert_eq!(instance.login("admin").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_first_start_without_a_password_shows_a_generated_one_once() {
    first_start_shows_a_working_password_once(&[]).await;
}

#[tokio::test]
async fn production_starts_without_a_password_and_generates_one() {
    let secret = Alphanumeric.sample_string(&mut rand::rng(), 40);
    first_start_shows_a_working_password_once(&[
        ("MILKCRATE_ENV", "production"),
        ("SECRET_KEY", &secret),
    ])
    .await;
}

/// A database made by Milkcrate's own migrations, with every page after the first overwritten:
/// the header and the schema still read, the tables do not.
async fn damaged_database(path: &Path) -> Vec<u8> {
    let db = milkcrate::db::connect(path).await.expect("a new database");
    db.close().await.expect("closed");
    assert!(
        std::fs::metadata(path.with_extension("sqlite-wal")).map_or(true, |m| m.len() == 0),
        "the database was checkpointed"
    );
    let mut bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 8192, "{} bytes", bytes.len());
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i * 7 % 251) as u8;
    }
    bytes
}

#[tokio::test]
async fn a_damaged_database_stops_the_start_and_is_left_alone() {
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 13 % 256) as u8).collect();
    let scratch = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", garbage),
        ("an empty file", Vec::new()),
        (
            "damaged pages",
            damaged_database(&scratch.path().join("milkcrate.sqlite")).await,
        ),
    ];
    // Every case is tried, and every problem reported.
    let mut problems = Vec::new();
    for (what, bytes) in cases {
        let mut instance = Instance::new(&[]);
        std::fs::write(instance.db(), &bytes).unwrap();
        let (status, output) = instance.start_expecting_failure().await;
        let named = instance.db().display().to_string();
        if status.success() {
            problems.push(format!("{what}: it exited 0"));
        }
        if !(output.contains(&named) && output.contains("damaged")) {
            problems.push(format!(
                "{what}: the message must name the file and say it is damaged:\n{output}"
            ));
        }
        if printed_password(&output).is_some() {
            problems.push(format!("{what}: a fresh password was set:\n{output}"));
        }
        if std::fs::read(instance.db()).unwrap() != bytes {
            problems.push(format!("{what}: the file was changed"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

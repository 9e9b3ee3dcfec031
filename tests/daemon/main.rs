//! The Docker daemon restarted under a running Milkcrate: apps come back (their restart policy),
//! Milkcrate's view is right within 5 s of the daemon answering again, and a deployment queued
//! during the outage fails clearly. A binary of its own: it restarts the daemon every other test
//! shares, so it must run alone (test binaries run one after another).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use integration_tests::{Server, ServerOptions, apps, eventually};
use shared::v1::{App, AppStatus, CreatedApp, Deployment, DeploymentStatus};

fn docker_answers() -> bool {
    Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A stopped daemon: started again when dropped, whatever happened meanwhile (every later test
/// needs it).
struct Stopped(Vec<String>);

impl Drop for Stopped {
    fn drop(&mut self) {
        if !docker_answers() {
            start_daemon(&self.0);
        }
    }
}

/// Stops the daemon and waits until it is gone.
fn stop_daemon() -> Stopped {
    let pid = String::from_utf8(
        Command::new("pidof")
            .arg("dockerd")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let pid = pid
        .split_whitespace()
        .next()
        .expect("a running dockerd")
        .to_string();
    let cmdline: Vec<String> = std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap()
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let until = Instant::now() + Duration::from_secs(90);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < until, "dockerd does not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    Stopped(cmdline)
}

/// Starts the daemon again, detached from this process, as it was started.
fn start_daemon(cmdline: &[String]) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("/var/log/milkcrate-dockerd.log")
        .unwrap();
    // `-f`: setsid forks, so dockerd is nobody's child here and outlives the test.
    let started = Command::new("setsid")
        .arg("-f")
        .args(cmdline)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .status()
        .expect("dockerd starts");
    assert!(started.success());
    let until = Instant::now() + Duration::from_secs(90);
    while !docker_answers() {
        assert!(Instant::now() < until, "dockerd does not answer again");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn a_daemon_restart_is_survived() {
    let server = Server::start(ServerOptions::default()).await;
    let created: CreatedApp = server
        .create_app("survivor", "/survivor", apps::web_app("survivor"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(created.deployment.id).await.status,
        DeploymentStatus::Running
    );
    server.wait_proxy_body("/survivor/", "survivor", true).await;

    let stopped = tokio::task::spawn_blocking(stop_daemon).await.unwrap();
    // While it is down: a new version is accepted, and fails saying why.
    let queued: Deployment = server
        .redeploy("survivor", apps::web_app("during the outage"))
        .await
        .json()
        .await
        .unwrap();
    let failed = server.wait_deployment(queued.id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap();
    assert!(error.contains("cannot be reached"), "{error}");

    tokio::task::spawn_blocking(move || drop(stopped))
        .await
        .unwrap();
    let answering = Instant::now();
    // The app is back by its restart policy, and Milkcrate says so within 5 s.
    eventually(
        Duration::from_secs(5),
        "the app to be seen running",
        || async {
            let app: App = server
                .get("/api/v1/apps/survivor")
                .await
                .json()
                .await
                .ok()?;
            (app.status == AppStatus::Running).then_some(())
        },
    )
    .await;
    println!(
        "seen running {:?} after the daemon answered",
        answering.elapsed()
    );
    // And served again through the proxy, which came back the same way.
    server.wait_proxy_body("/survivor/", "survivor", true).await;
}

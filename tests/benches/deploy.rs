//! Deploy benchmark: the sample app deployed through Milkcrate's API versus the same
//! `docker build` + `docker run` by hand, in the same run, alternating so caches and load are
//! shared fairly. The same for a two-service compose stack (health-gated start) against the
//! docker CLI steps an operator would take. Also: time until Traefik serves the route, and
//! Milkcrate's idle RSS.
//!
//! Run with `scripts/bench.sh` (release build); it rewrites the "Platform" section of
//! docs/benchmarks.md. `BENCH_ONLY=list` measures only the app list at 100 and 500 apps and
//! prints the figures.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use integration_tests::{Server, ServerOptions, apps};
use shared::v1::{CreatedApp, Deployment, DeploymentStatus};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const ROUNDS: usize = 5;
const POLL: Duration = Duration::from_millis(20);

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn answers(ip: &str, port: u16) -> bool {
    let Ok(Ok(mut s)) =
        tokio::time::timeout(Duration::from_secs(1), TcpStream::connect((ip, port))).await
    else {
        return false;
    };
    if s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.is_err() {
        return false;
    }
    let mut b = [0u8; 1];
    matches!(tokio::time::timeout(Duration::from_secs(1), s.read(&mut b)).await, Ok(Ok(n)) if n > 0)
}

/// `docker build` + `docker run` of the unpacked ZIP, until the app answers: what an operator
/// would do by hand, with the same limits and network as Milkcrate uses.
async fn by_hand(zip: &[u8], tag: &str, network: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    zip::ZipArchive::new(std::io::Cursor::new(zip))
        .unwrap()
        .extract(dir.path())
        .unwrap();
    let start = Instant::now();
    docker(&["build", "-q", "-t", tag, dir.path().to_str().unwrap()]);
    let mut args = vec!["run", "-d", "--network", network];
    args.extend_from_slice(HARDENING);
    args.push(tag);
    let id = docker(&args);
    let ip = docker(&[
        "inspect",
        "-f",
        &format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}"),
        &id,
    ]);
    until("the app to answer", || answers(&ip, 8080)).await;
    let elapsed = start.elapsed();
    docker(&["rm", "-f", &id]);
    docker(&["rmi", "-f", tag]);
    elapsed
}

/// Polls `check` every [`POLL`] until it holds; panics naming `what` after a minute.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// The limits and hardening Milkcrate gives every container, as `docker run` flags.
const HARDENING: &[&str] = &[
    "--memory",
    "512m",
    "--memory-swap",
    "512m",
    "--cpus",
    "0.5",
    "--pids-limit",
    "100",
    "--cap-drop",
    "ALL",
    "--cap-add",
    "NET_BIND_SERVICE",
    "--init",
    "--security-opt",
    "no-new-privileges:true",
];

/// The two-service stack by hand: two builds, a network, a volume, the backend with its
/// healthcheck, wait until healthy, the web service, joined to Traefik's network, until it answers.
async fn stack_by_hand(zip: &[u8], tag: &str, traefik_network: &str) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    zip::ZipArchive::new(std::io::Cursor::new(zip))
        .unwrap()
        .extract(dir.path())
        .unwrap();
    let context = dir.path().to_str().unwrap();
    let (backend_tag, web_tag) = (format!("{tag}-backend"), format!("{tag}-web"));
    let (network, volume) = (tag.replace([':', '/'], "-"), tag.replace([':', '/'], "_"));
    let start = Instant::now();
    docker(&["build", "-q", "-t", &backend_tag, context]);
    docker(&["build", "-q", "-t", &web_tag, context]);
    docker(&["network", "create", &network]);
    docker(&["volume", "create", &volume]);
    let mut backend_args = vec![
        "run",
        "-d",
        "--network",
        &network,
        "--network-alias",
        "backend",
    ];
    backend_args.extend_from_slice(HARDENING);
    let mount = format!("{volume}:/data");
    backend_args.extend_from_slice(&[
        "-v",
        &mount,
        "--health-cmd",
        "/bin/busybox wget -q -O /dev/null http://127.0.0.1:8080/boots",
        "--health-interval",
        "1s",
        &backend_tag,
        "/backend.sh",
    ]);
    let backend = docker(&backend_args);
    until("the backend to be healthy", || async {
        docker(&["inspect", "-f", "{{.State.Health.Status}}", &backend]) == "healthy"
    })
    .await;
    let mut web_args = vec!["run", "-d", "--network", &network, "--network-alias", "web"];
    web_args.extend_from_slice(HARDENING);
    web_args.extend_from_slice(&[
        &web_tag,
        "/bin/busybox",
        "httpd",
        "-f",
        "-p",
        "8080",
        "-h",
        "/www",
    ]);
    let web = docker(&web_args);
    docker(&["network", "connect", traefik_network, &web]);
    let ip = docker(&[
        "inspect",
        "-f",
        &format!("{{{{(index .NetworkSettings.Networks \"{traefik_network}\").IPAddress}}}}"),
        &web,
    ]);
    until("the app to answer", || answers(&ip, 8080)).await;
    let elapsed = start.elapsed();
    docker(&["rm", "-f", &web, &backend]);
    docker(&["network", "rm", &network]);
    docker(&["volume", "rm", &volume]);
    docker(&["rmi", "-f", &web_tag, &backend_tag]);
    elapsed
}

/// 100 MiB into a volume and back: through the API (multipart upload, download), against
/// `docker cp` in and out of a container with the volume mounted.
async fn volume_round_trips(server: &Server) -> (Vec<Duration>, Vec<Duration>) {
    let data: Vec<u8> = (0..100 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, &data).unwrap();
    assert!(server.create_volume("bench").await.status().is_success());
    let volume = format!("bench-cp-{}", server.instance);
    docker(&["volume", "create", &volume]);
    let (mut manual, mut api) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let start = Instant::now();
        let uploaded = server
            .upload_to_volume("bench", "", &[("big.bin", data.clone())])
            .await;
        assert!(uploaded.status().is_success());
        let body = server
            .get("/api/v1/volumes/bench/download?path=big.bin")
            .await
            .bytes()
            .await
            .unwrap();
        api.push(start.elapsed());
        assert!(body.as_ref() == data.as_slice());

        let start = Instant::now();
        let helper = docker(&[
            "create",
            "-v",
            &format!("{volume}:/v"),
            "milkcrate-volume-helper:1",
            "/bin/busybox",
            "true",
        ]);
        docker(&[
            "cp",
            file.to_str().unwrap(),
            &format!("{helper}:/v/big.bin"),
        ]);
        let back = dir.path().join("back.bin");
        docker(&[
            "cp",
            &format!("{helper}:/v/big.bin"),
            back.to_str().unwrap(),
        ]);
        manual.push(start.elapsed());
        docker(&["rm", "-f", &helper]);
        assert_eq!(std::fs::metadata(&back).unwrap().len(), data.len() as u64);
    }
    docker(&["volume", "rm", &volume]);
    (manual, api)
}

/// Through the API: upload, wait until the deployment is running; then until Traefik serves it.
async fn through_api(
    server: &Server,
    name: &str,
    zip: Vec<u8>,
    marker: &str,
) -> (Duration, Duration) {
    let start = Instant::now();
    let created: CreatedApp = server
        .create_app(name, &format!("/{name}"), zip)
        .await
        .json()
        .await
        .unwrap();
    let id = created.deployment.id;
    let deployed = loop {
        let d: Deployment = server
            .get(&format!("/api/v1/deployments/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if d.status.is_final() {
            assert_eq!(d.status, DeploymentStatus::Running);
            break start.elapsed();
        }
        tokio::time::sleep(POLL).await;
    };
    loop {
        let (_, body) = server.via_proxy(&format!("/{name}/")).await;
        if body.contains(marker) {
            break (deployed, start.elapsed());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Polls deployment `id` until it is final; it must be running.
async fn until_running(server: &Server, id: i64) {
    loop {
        let d: Deployment = server
            .get(&format!("/api/v1/deployments/{id}"))
            .await
            .json()
            .await
            .unwrap();
        if d.status.is_final() {
            assert_eq!(d.status, DeploymentStatus::Running, "{d:?}");
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// New releases of one running app, `ROUNDS` of each, alternating which goes first: a
/// configuration change (`PUT /env` → `running`, no build, no upload) and a rebuild of the same
/// app from its ZIP (upload → `running`). Returns (configuration, rebuild) durations.
async fn release_latency(server: &Server) -> (Vec<Duration>, Vec<Duration>) {
    let zip = apps::web_app("releases");
    let created: CreatedApp = server
        .create_app("bench-release", "/bench-release", zip.clone())
        .await
        .json()
        .await
        .unwrap();
    until_running(server, created.deployment.id).await;
    let (mut config, mut rebuild) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for step in 0..2 {
            let start = Instant::now();
            let configure = (round + step) % 2 == 0;
            let response = if configure {
                server
                    .request(reqwest::Method::PUT, "/api/v1/apps/bench-release/env")
                    .json(&serde_json::json!({"vars": [{"key": "ROUND", "value": round.to_string()}]}))
                    .send()
                    .await
                    .unwrap()
            } else {
                server.redeploy("bench-release", zip.clone()).await
            };
            let queued: Deployment = response.json().await.unwrap();
            until_running(server, queued.id).await;
            if configure {
                config.push(start.elapsed());
            } else {
                rebuild.push(start.elapsed());
            }
        }
        println!(
            "release round {round}: configuration {}, rebuild {}",
            ms(config[round]),
            ms(rebuild[round])
        );
    }
    (config, rebuild)
}

/// Requests through Traefik, one every 50 ms, while `redeploys` new versions of a running app
/// are deployed one after the other; then as many requests with no redeploy, as the baseline.
/// Returns (latencies during redeploys, failed requests during redeploys, latencies at rest).
async fn latency_through_redeploys(
    server: &Server,
    redeploys: usize,
) -> (Vec<Duration>, usize, Vec<Duration>) {
    let name = "latency";
    through_api(server, name, apps::web_app("latency v0"), "latency v0").await;
    let url = server.proxy_url(&format!("/{name}/"));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let probe = {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            let (mut seen, mut failed) = (Vec::new(), 0);
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            while !*stopped.borrow() && seen.len() < 5000 {
                tick.tick().await;
                let start = Instant::now();
                match http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {}
                    _ => failed += 1,
                }
                seen.push(start.elapsed());
            }
            (seen, failed)
        })
    };
    for i in 1..=redeploys {
        let marker = format!("latency v{i}");
        let queued: Deployment = server
            .redeploy(name, apps::web_app(&marker))
            .await
            .json()
            .await
            .unwrap();
        until("the redeploy to run", || async {
            let d: Deployment = server
                .get(&format!("/api/v1/deployments/{}", queued.id))
                .await
                .json()
                .await
                .unwrap();
            d.status.is_final()
        })
        .await;
    }
    stop.send(true).unwrap();
    let (during, failed) = probe.await.unwrap();
    let mut rest = Vec::new();
    for _ in 0..during.len().min(200) {
        let start = Instant::now();
        let _ = http.get(&url).send().await;
        rest.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (during, failed, rest)
}

/// Records apps straight into the server's database until it holds `total`, each with a running
/// deployment (their containers do not exist: the list is computed all the same, from the live
/// view, with no Docker call).
async fn seed_apps(server: &Server, from: usize, total: usize) {
    use milkcrate::db::entities::{app, deployment};
    use sea_orm::{ActiveModelTrait, Set};
    let db = milkcrate::db::connect(&server.data.path().join("milkcrate.sqlite"))
        .await
        .unwrap();
    let now = chrono::Utc::now();
    for i in from..total {
        let name = format!("seed-{i}");
        let row = app::ActiveModel {
            name: Set(name.clone()),
            route: Set(format!("/{name}")),
            desired_state: Set(app::DesiredState::Running),
            current_deployment_id: Set(None),
            memory_bytes: Set(512 * 1024 * 1024),
            nano_cpus: Set(500_000_000),
            pids: Set(100),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        let dep = deployment::ActiveModel {
            app_id: Set(row.id),
            status: Set(deployment::Status::Running),
            kind: Set(deployment::Kind::Dockerfile),
            image: Set(Some(format!("{}/{name}:1", server.instance))),
            port: Set(Some(8080)),
            created_at: Set(now),
            finished_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        let mut current: app::ActiveModel = row.into();
        current.current_deployment_id = Set(Some(dep.id));
        current.update(&db).await.unwrap();
    }
    db.close().await.unwrap();
}

/// `GET /api/v1/apps`, 200 times one after the other: p50 and p99.
async fn list_latency(server: &Server) -> (Duration, Duration) {
    let mut took = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let response = server.get("/api/v1/apps").await;
        assert!(response.status().is_success());
        let _ = response.bytes().await.unwrap();
        took.push(start.elapsed());
    }
    (percentile(took.clone(), 0.5), percentile(took, 0.99))
}

/// From `docker stop` of a running app's container to the event telling it exited.
async fn event_latency(server: &Server) -> (Duration, Duration) {
    use futures_util::StreamExt;
    let name = "evented";
    through_api(server, name, apps::web_app("evented"), "evented").await;
    let app: shared::v1::App = server
        .get(&format!("/api/v1/apps/{name}"))
        .await
        .json()
        .await
        .unwrap();
    let container = format!(
        "{}-{name}-{}",
        server.instance,
        app.current_deployment.unwrap().id
    );
    let response = server
        .http
        .get(server.url("/api/v1/events"))
        .bearer_auth(server.token())
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let start = Instant::now();
    let stopper = tokio::task::spawn_blocking(move || {
        docker(&["stop", &container]);
        Instant::now()
    });
    let mut seen = String::new();
    let told = loop {
        let chunk = body.next().await.expect("the stream").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains(&format!("\"app\":\"{name}\",\"status\":\"exited\"")) {
            break Instant::now();
        }
    };
    let returned = stopper.await.unwrap();
    (told - start, told.saturating_duration_since(returned))
}

/// 10,000 requests of several kinds, one after the other.
async fn mixed_requests(server: &Server) {
    let paths = [
        "/api/v1/apps",
        "/api/v1/apps/evented",
        "/api/v1/settings",
        "/api/v1/volumes",
        "/healthz",
        "/api/v1/nothing-here",
        "/api/v1/deployments/1",
    ];
    for i in 0..10_000 {
        let response = server.get(paths[i % paths.len()]).await;
        let _ = response.bytes().await;
    }
}

fn percentile(mut values: Vec<Duration>, p: f64) -> Duration {
    values.sort();
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[index]
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms_fine(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The app list alone (`BENCH_ONLY=list`): p50 / p99 at 100 and 500 apps, all recorded straight
/// into the database.
async fn list_only() {
    let server = Server::start(ServerOptions::default()).await;
    for (from, total) in [(0, 100), (100, 500)] {
        seed_apps(&server, from, total).await;
        let (p50, p99) = list_latency(&server).await;
        println!(
            "GET /api/v1/apps with {total} apps, p50 / p99: {} / {}",
            ms_fine(p50),
            ms_fine(p99)
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load.trim());
}

#[tokio::main]
async fn main() {
    if std::env::var("BENCH_ONLY").as_deref() == Ok("list") {
        return list_only().await;
    }
    let server = Server::start(ServerOptions::default()).await;
    let network = format!("{}-net", server.instance);
    // Settle, then the idle footprint before any deploy.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_fresh = rss_kib(server.pid());

    let (mut manual, mut api, mut routed) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let marker = format!("bench round {round}");
        let zip = apps::web_app(&marker);
        // Alternate which goes first, so neither always inherits a warm cache.
        let (m, (a, r)) = if round % 2 == 0 {
            let m = by_hand(&zip, &format!("bench-manual:{round}"), &network).await;
            (
                m,
                through_api(&server, &format!("bench-{round}"), zip, &marker).await,
            )
        } else {
            let a = through_api(&server, &format!("bench-{round}"), zip.clone(), &marker).await;
            (
                by_hand(&zip, &format!("bench-manual:{round}"), &network).await,
                a,
            )
        };
        println!(
            "round {round}: by hand {}, API {}, served by Traefik after {}",
            ms(m),
            ms(a),
            ms(r)
        );
        manual.push(m);
        api.push(a);
        routed.push(r);
    }
    let (mut stack_manual, mut stack_api) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let marker = format!("stack round {round}");
        let zip = apps::two_service_stack(&marker, None);
        let name = format!("stack-{round}");
        let tag = format!("bench-stack-{}:{round}", server.instance);
        let (m, (a, _)) = if round % 2 == 0 {
            let m = stack_by_hand(&zip, &tag, &network).await;
            (m, through_api(&server, &name, zip, &marker).await)
        } else {
            let a = through_api(&server, &name, zip.clone(), &marker).await;
            (stack_by_hand(&zip, &tag, &network).await, a)
        };
        println!("stack round {round}: by hand {}, API {}", ms(m), ms(a));
        stack_manual.push(m);
        stack_api.push(a);
    }
    let (vol_manual, vol_api) = volume_round_trips(&server).await;
    let (during, failed, rest) = latency_through_redeploys(&server, ROUNDS).await;
    let (config_release, rebuild) = release_latency(&server).await;
    let (config_release, rebuild) = (median(config_release), median(rebuild));
    let (event_from_command, event_after_return) = event_latency(&server).await;
    let apps_now = ROUNDS * 2 + 3;
    seed_apps(&server, 0, 100 - apps_now).await;
    let (list100_p50, list100_p99) = list_latency(&server).await;
    seed_apps(&server, 100 - apps_now, 500 - apps_now).await;
    let (list500_p50, list500_p99) = list_latency(&server).await;
    let rss_500 = rss_kib(server.pid());
    mixed_requests(&server).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_requests = rss_kib(server.pid());
    let requests = during.len();
    let (p50, p99, max) = (
        percentile(during.clone(), 0.5),
        percentile(during.clone(), 0.99),
        percentile(during, 1.0),
    );
    let (rest_p50, rest_p99, rest_max) = (
        percentile(rest.clone(), 0.5),
        percentile(rest.clone(), 0.99),
        percentile(rest, 1.0),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_after = rss_kib(server.pid());
    let (sm, sa) = (median(stack_manual), median(stack_api));
    let (vm, va) = (median(vol_manual), median(vol_api));
    let volume_ratio = va.as_secs_f64() / vm.as_secs_f64();
    let stack_ratio = sa.as_secs_f64() / sm.as_secs_f64();

    let (m, a, r) = (median(manual), median(api), median(routed));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let ratio = a.as_secs_f64() / m.as_secs_f64();
    let report = format!(
        "## Platform\n\n\
         Measured by `scripts/bench.sh` (`cargo bench -p integration-tests --bench deploy`, release build) on this \
         2-core machine, Docker {docker}, {ROUNDS} rounds alternating the order; medians. \
         Load average at the end of the run: {load}.\n\n\
         | What | Median |\n|---|---|\n\
         | `docker build` + `docker run` by hand until the app answers (baseline) | {m} |\n\
         | Deploy through the API (upload → deployment `running`) | {a} |\n\
         | **Ratio API / by hand** (target ≤ 1.10×) | **{ratio:.2}×** |\n\
         | Upload → the route served through Traefik | {r} |\n\
         | **Served through Traefik, over the baseline** (target ≤ +200 ms) | **{over:+.0} ms** |\n\
         | Idle RSS of `milkcrate`, fresh | {idle_fresh} KiB |\n\
         | Two-service stack by hand: 2 builds, network, volume, backend until healthy, web until it answers (baseline) | {sm} |\n\
         | The same stack through the API (upload → deployment `running`) | {sa} |\n\
         | **Ratio stack API / by hand** | **{stack_ratio:.2}×** |\n\
         | 100 MiB into a volume and back with `docker cp` (baseline) | {vm} |\n\
         | 100 MiB uploaded and downloaded through the API (byte-for-byte checked) | {va} |\n\
         | **Ratio volume API / docker cp** | **{volume_ratio:.2}×** |\n\
         | Idle RSS of `milkcrate`, after {n} deploys | {idle_after} KiB |\n\n\
         Requests through Traefik to one app, one every 50 ms, while {ROUNDS} new versions are deployed one after the other \
         ({requests} requests), against requests to the same app at rest:\n\n\
         | | p50 | p99 | max | failed |\n|---|---|---|---|---|\n\
         | During {ROUNDS} redeploys | {p50} | {p99} | {max} | {failed} |\n\
         | At rest | {rest_p50} | {rest_p99} | {rest_max} | |\n\n\
         Releases of one running app, {ROUNDS} of each, alternating:\n\n\
         | What | Median |\n|---|---|\n\
         | Configuration-only release: `PUT /env` → deployment `running` (no upload, no build; goal < 1 s) | **{config_release}** |\n\
         | Rebuild of the same app: upload → deployment `running` | {rebuild} |\n\n\
         A configuration release skips the build queue and the build; what is left is creating and starting the container, \
         the readiness knock, and Traefik confirming it serves the new container before the old one is stopped.\n\n\
         The app list and the event stream (`GET /api/v1/apps` 200 times in a row; apps beyond those deployed are \
         recorded straight into the database, so their containers do not exist: the list is computed the same way, \
         from the live view, with no Docker call):\n\n\
         | What | Value |\n|---|---|\n\
         | `GET /api/v1/apps` with 100 apps, p50 / p99 | {list100_p50} / {list100_p99} |\n\
         | `GET /api/v1/apps` with 500 apps, p50 / p99 (goal p99 ≤ 5 ms) | {list500_p50} / {list500_p99} |\n\
         | `docker stop` of an app → its `exited` event: from the command's start / after it returned | {event_from_command} / {event_after_return} |\n\
         | RSS with 500 apps | {rss_500} KiB |\n\
         | RSS after 10,000 more requests (7 kinds), settled 2 s | {rss_after_requests} KiB ({rss_growth:.2}× the one with 500 apps) |\n\n\
         The API path does more than the baseline: it checks and extracts the ZIP, records every step, \
         streams the build log to disk and switches Traefik over; the baseline gets the extracted folder for free. \
         It can still come out ahead: the baseline runs the `docker` CLI three times (build, run, inspect), \
         each a process start plus its own API negotiation, while Milkcrate keeps one connection to the daemon. Since the proxy is fed by Milkcrate, a deployment reads `running` only once Traefik confirms it serves the new version (its HTTP provider polls every 200 ms, then a 100 ms throttle), which is why the API ratio rose from 1.02×; the route is published as soon as the container exists, so what a visitor sees (upload → served through Traefik) is within +0.2 s of the baseline.\n\n\
         The volume round trip costs more than `docker cp`: every request starts a fresh helper container (create, start, an `lstat` of the path: about 0.3 s each, two requests) and the upload lands on disk once before it is streamed into the volume, where `docker cp` streams straight from the file. It was 4.64× before uploads streamed the tar from the staged files and downloads were sent from their place in Docker's tar (two 100 MiB copies fewer).\n",
        docker = docker(&["version", "--format", "{{.Server.Version}}"]),
        m = ms(m),
        a = ms(a),
        r = ms(r),
        sm = ms(sm),
        vm = ms(vm),
        va = ms(va),
        sa = ms(sa),
        n = 2 * ROUNDS,
        over = (r.as_secs_f64() - m.as_secs_f64()) * 1000.0,
        p50 = ms(p50),
        p99 = ms(p99),
        max = ms(max),
        rest_p50 = ms(rest_p50),
        rest_p99 = ms(rest_p99),
        rest_max = ms(rest_max),
        config_release = ms(config_release),
        rebuild = ms(rebuild),
        list100_p50 = ms_fine(list100_p50),
        list100_p99 = ms_fine(list100_p99),
        list500_p50 = ms_fine(list500_p50),
        list500_p99 = ms_fine(list500_p99),
        event_from_command = ms(event_from_command),
        event_after_return = ms_fine(event_after_return),
        rss_growth = rss_after_requests as f64 / rss_500.max(1) as f64,
    );
    println!("\n{report}");
    if let Ok(path) = std::env::var("BENCH_REPORT") {
        std::fs::write(path, report).expect("writing the report");
    }
}

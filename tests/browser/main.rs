//! The dashboard in headless Chromium, against the real milkcrate binary, Docker and Traefik.
//! The dashboard is loaded from Milkcrate's own listener; apps are opened through Traefik, on
//! another origin, as in production. Screenshots of every main page go to target/screenshots/.

mod api_docs;
mod driver;

use std::{path::Path, time::Duration};

use driver::{Browser, STEP};
use integration_tests::{PASSWORD, Server, ServerOptions, apps};

/// Long enough for a cold image build on a busy 2-core machine.
const DEPLOY: Duration = Duration::from_secs(180);

fn dashboard_dir() -> String {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no built dashboard: run scripts/frontend.sh",
        dist.display()
    );
    dist.canonicalize().expect("dist").display().to_string()
}

async fn start() -> (Server, Browser) {
    let server = Server::start(ServerOptions {
        with_proxy: true,
        extra_env: vec![("MILKCRATE_DASHBOARD_DIR".into(), dashboard_dir())],
        ..ServerOptions::default()
    })
    .await;
    // The dashboard lives on Milkcrate's own origin; apps are reached through Traefik.
    let browser = Browser::start(&server.url("")).await;
    (server, browser)
}

async fn log_in(b: &Browser) {
    b.goto("/admin/").await;
    b.find("form #password").await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text("h1", "Apps", STEP).await;
}

fn zip_file(dir: &Path, name: &str, bytes: Vec<u8>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write zip");
    path.display().to_string()
}

/// Reads a JS expression.
async fn js(b: &Browser, expr: &str) -> serde_json::Value {
    b.client
        .execute(&format!("return {expr};"), vec![])
        .await
        .expect("script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_watch_stop_start_delete_through_the_dashboard() {
    let (server, b) = start().await;
    let files = tempfile::tempdir().expect("temp dir");

    // A wrong password is refused, with the server's reason next to the field.
    b.goto("/admin/apps").await;
    b.find("#password").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/admin/login"),
        "an anonymous visit lands on the login page"
    );
    b.screenshot("01-login").await;
    b.type_into("#password", "not-the-password").await;
    b.click("button[type=submit]").await;
    let refusal = b.wait_text(".field-error", "wrong password", STEP).await;
    assert!(refusal.contains("wrong password"), "{refusal}");
    b.screenshot("02-login-refused").await;

    // The right one opens the (empty) apps page.
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text(".empty h3", "No apps yet", STEP).await;
    b.screenshot("03-apps-empty").await;

    // Deploy through the form: live validation first, with the shared rules.
    b.click("a[href='/admin/apps/new']").await;
    b.type_into("#name", "Bad_Name").await;
    b.find("#route").await.click().await.expect("focus route");
    b.wait_text(".field-error", "only letters, digits and hyphens", STEP)
        .await;
    b.type_into("#name", "hello").await;
    b.wait_gone("#name[aria-invalid=true]").await;
    let route = b
        .find("#route")
        .await
        .prop("value")
        .await
        .expect("route value");
    assert_eq!(
        route.as_deref(),
        Some("/hello"),
        "the route follows the name"
    );
    let zip = zip_file(
        files.path(),
        "hello.zip",
        apps::web_app("Hello from the dashboard"),
    );
    b.find("#file")
        .await
        .send_keys(&zip)
        .await
        .expect("pick the ZIP");
    b.wait_text(".dropzone-title", "hello.zip", STEP).await;
    b.screenshot("04-deploy-form").await;
    b.click("button[type=submit]").await;
    b.find(".log-body").await;
    b.wait_text("[data-result]", "is running at /hello", DEPLOY)
        .await;
    let log = b.find(".log-body").await.text().await.expect("log");
    assert!(
        log.contains("Step") || log.contains("FROM"),
        "the build log streamed: {log}"
    );
    b.screenshot("05-deployed").await;

    // The route serves the app through Traefik.
    server
        .wait_proxy_body("/hello/", "Hello from the dashboard", true)
        .await;
    b.goto_url(&server.proxy_url("/hello/")).await;
    b.wait_text("h1", "Hello from the dashboard", STEP).await;

    // The public landing page lists it.
    b.goto("/").await;
    b.wait_text(".public-app-name", "hello", STEP).await;
    b.screenshot("06-landing").await;

    // The list shows it running; stop and start change the badge without a reload.
    b.goto("/admin/apps").await;
    let badge = "tr[data-app=hello] [data-status]";
    b.wait_text(badge, "Running", STEP).await;
    b.screenshot("07-apps").await;
    b.client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .expect("mark the document");
    b.click("tr[data-app=hello] [data-action=stop]").await;
    b.wait_text(badge, "Stopped", STEP).await;
    b.screenshot("08-apps-stopped").await;
    b.click("tr[data-app=hello] [data-action=start]").await;
    b.wait_text(badge, "Running", STEP).await;
    assert_eq!(
        js(&b, "window.__sameDocument === true").await,
        serde_json::json!(true),
        "no reload"
    );

    // A status change made elsewhere (through the API) shows up through the event stream.
    let stopped = server.post("/api/v1/apps/hello/stop").await;
    assert!(stopped.status().is_success());
    b.wait_text(badge, "Stopped", STEP).await;
    b.click("tr[data-app=hello] [data-action=start]").await;
    b.wait_text(badge, "Running", STEP).await;

    // Small screens: the table becomes cards.
    b.set_width(360, 780).await;
    b.wait_text(badge, "Running", STEP).await;
    b.screenshot("09-apps-mobile").await;
    b.set_width(1280, 900).await;

    // The detail page: overview, deployment history with its log.
    b.click("tr[data-app=hello] a.app-name").await;
    b.wait_text(".kv-list", "hello", STEP).await;
    b.find(".deployment summary")
        .await
        .click()
        .await
        .expect("open deployment");
    b.wait_text(".deployment .log-body", "Step", STEP).await;
    b.screenshot("10-app-detail").await;

    // Settings.
    b.click("a[href='/admin/settings']").await;
    b.wait_text("#home-route", "/hello", STEP).await;
    b.screenshot("11-settings").await;

    // Tokens: a new one is shown once with a Copy button, works, is listed, and is revoked.
    b.click("a[href='/admin/tokens']").await;
    b.wait_text("h1", "API tokens", STEP).await;
    b.type_into("#token-name", "browser-ci").await;
    b.click("form button[type=submit]").await;
    b.wait_text(".notice-success", "not shown again", STEP)
        .await;
    let token = js(&b, "document.getElementById('copy-value').value").await;
    let token = token.as_str().unwrap().to_string();
    assert!(token.starts_with("mc_"), "{token}");
    b.wait_text("td", "browser-ci", STEP).await;
    b.screenshot("11b-tokens").await;
    let with_token = |token: String| {
        server
            .http
            .get(server.url("/api/v1/apps"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(with_token(token.clone()).await.unwrap().status(), 200);
    b.click("button[data-id]").await;
    b.wait_text("p.muted", "No tokens yet", STEP).await;
    assert_eq!(with_token(token).await.unwrap().status(), 401);

    // The audit trail shows both, by the admin session, and filters by target.
    b.click("a[href='/admin/audit']").await;
    b.wait_text("td", "token.revoke", STEP).await;
    b.type_into("#audit-target", "hello").await;
    b.click("form button[type=submit]").await;
    integration_tests::eventually(STEP, "the trail filtered to `hello`", || async {
        let cells = js(
            &b,
            "[...document.querySelectorAll('td')].map(t => t.textContent).join('|')",
        )
        .await;
        let cells = cells.as_str()?.to_string();
        (cells.contains("app.create") && !cells.contains("token.")).then_some(())
    })
    .await;
    b.screenshot("11c-audit").await;

    // A ZIP the server refuses: its reason appears next to the file field.
    b.click("a[href='/admin/apps/new']").await;
    b.type_into("#name", "broken").await;
    let bad = zip_file(
        files.path(),
        "no-dockerfile.zip",
        apps::zip_of(&[("README.md", 0o644, b"no Dockerfile here".to_vec())]),
    );
    b.find("#file")
        .await
        .send_keys(&bad)
        .await
        .expect("pick the ZIP");
    b.wait_text(".dropzone-title", "no-dockerfile.zip", STEP)
        .await;
    b.click("button[type=submit]").await;
    let reason = b.wait_text(".field-error", "Dockerfile", STEP).await;
    assert!(
        reason.contains("no Dockerfile"),
        "the server's reason: {reason}"
    );
    b.screenshot("12-deploy-refused").await;

    // Delete asks first, then the app is gone.
    b.click("a[href='/admin/apps']").await;
    b.click("tr[data-app=hello] [data-action=delete]").await;
    b.find("[role=alertdialog]").await;
    b.screenshot("13-delete-confirm").await;
    b.click("[data-confirm=yes]").await;
    b.wait_gone("tr[data-app=hello]").await;
    b.wait_text(".empty h3", "No apps yet", STEP).await;
    let gone = server.get("/api/v1/apps/hello").await;
    assert_eq!(gone.status(), 404);

    b.close().await;
}

/// A compose stack in the dashboard: the policy's problems of a refused file, listed one by one;
/// a stack's services with their state and health; delete with its volumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_stacks_in_the_dashboard() {
    let (server, b) = start().await;
    let files = tempfile::tempdir().expect("temp dir");
    log_in(&b).await;

    // A hostile compose file: every problem is listed, by key path.
    b.click("a[href='/admin/apps/new']").await;
    b.type_into("#name", "hostile").await;
    let hostile = "services:\n  web:\n    image: example/web\n    privileged: true\n    network_mode: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n";
    let zip = zip_file(files.path(), "hostile.zip", apps::compose_only(hostile));
    b.find("#file")
        .await
        .send_keys(&zip)
        .await
        .expect("pick the ZIP");
    b.wait_text(".dropzone-title", "hostile.zip", STEP).await;
    b.click("button[type=submit]").await;
    let problems = b
        .wait_text(".problem-list", "services.web.privileged", STEP)
        .await;
    for path in ["services.web.network_mode", "services.web.volumes[0]"] {
        assert!(problems.contains(path), "{path} listed: {problems}");
    }
    b.screenshot("14-compose-refused").await;

    // A stack deployed (through the API, to keep the test short) shows its services.
    let created: shared::v1::CreatedApp = server
        .create_app(
            "shop",
            "/shop",
            apps::two_service_stack("stack in the dashboard", None),
        )
        .await
        .json()
        .await
        .expect("created");
    let deployed = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployed.status, shared::v1::DeploymentStatus::Running);
    b.goto("/admin/apps/shop").await;
    b.wait_text(".kv-list", "Compose stack", STEP).await;
    let backend = b
        .wait_text("tr[data-service=backend]", "healthy", STEP)
        .await;
    assert!(backend.contains("running"), "{backend}");
    let web = b.wait_text("tr[data-service=web]", "routed", STEP).await;
    assert!(web.contains("running"), "{web}");
    b.screenshot("15-stack-detail").await;

    // Delete offers to remove the volumes too.
    b.click("[data-action=delete]").await;
    b.find("[role=alertdialog] input[name=remove-volumes]")
        .await
        .click()
        .await
        .expect("tick remove volumes");
    b.screenshot("16-stack-delete").await;
    b.click("[data-confirm=yes]").await;
    b.wait_text("h1", "Apps", STEP).await;
    let label = "milkcrate.app=shop";
    integration_tests::eventually(STEP, "the stack's volume to go", || async {
        integration_tests::docker::volumes_with(&[&server.label(), label])
            .is_empty()
            .then_some(())
    })
    .await;
    assert!(integration_tests::docker::containers_with(&[&server.label(), label]).is_empty());

    b.close().await;
}

/// The volume pages: create a volume, upload a file, make and open a folder, download link,
/// delete with confirmation; then the deploy form offers the volume as a mount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_in_the_dashboard() {
    let (server, b) = start().await;
    let files = tempfile::tempdir().expect("temp dir");
    log_in(&b).await;

    b.click("a[href='/admin/volumes']").await;
    b.wait_text("h1", "Volumes", STEP).await;
    b.type_into("#volume-name", "site").await;
    b.type_into("#volume-description", "files for the web app")
        .await;
    b.click(".volume-form button[type=submit]").await;
    b.wait_text("tr[data-volume=site]", "files for the web app", STEP)
        .await;
    b.screenshot("17-volumes").await;

    b.click("tr[data-volume=site] a.app-name").await;
    b.wait_text(".empty-folder", "empty", STEP).await;
    let upload = files.path().join("hello.txt");
    std::fs::write(&upload, "uploaded from the browser\n").unwrap();
    b.find("#volume-files")
        .await
        .send_keys(&upload.display().to_string())
        .await
        .expect("pick the file");
    b.click("[data-action=upload]").await;
    b.wait_text("tr[data-entry='hello.txt']", "hello.txt", STEP)
        .await;
    let response = server
        .get("/api/v1/volumes/site/download?path=hello.txt")
        .await;
    assert_eq!(
        response.text().await.unwrap(),
        "uploaded from the browser\n"
    );
    let href = b
        .find("tr[data-entry='hello.txt'] a[download]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        href.ends_with("/api/v1/volumes/site/download?path=hello.txt"),
        "{href}"
    );

    b.type_into("#new-folder", "docs").await;
    b.click("[data-action=create-folder]").await;
    b.wait_text("tr[data-entry=docs]", "docs/", STEP).await;
    b.screenshot("18-volume-browser").await;
    b.click("tr[data-entry=docs] [data-open]").await;
    b.wait_text(".folder-path", "docs", STEP).await;
    b.wait_text(".empty-folder", "empty", STEP).await;
    b.click(".folder-path [data-folder='']").await;
    b.wait_text("tr[data-entry='hello.txt']", "hello.txt", STEP)
        .await;

    b.click("tr[data-entry='hello.txt'] [data-delete]").await;
    b.find("[role=alertdialog]").await;
    b.click("[data-confirm=yes]").await;
    b.wait_gone("tr[data-entry='hello.txt']").await;

    // The deploy form offers it as a mount.
    b.click("a[href='/admin/apps/new']").await;
    b.click("[data-action=add-mount]").await;
    b.wait_text(".mount-row select", "site", STEP).await;
    b.type_into(".mount-row input[type=text]", "data").await;
    b.wait_text(".mount-row .field-error", "absolute", STEP)
        .await;
    b.screenshot("19-deploy-with-mount").await;

    b.close().await;
}

/// Time from navigation start to the apps table on screen, in headless Chromium; printed for
/// docs/benchmarks.md. Also checks that a session survives a full page load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_page_first_render() {
    let (server, b) = start().await;
    let created = server
        .create_app("bench", "/bench", apps::web_app("bench"))
        .await;
    assert!(created.status().is_success(), "{}", created.status());
    log_in(&b).await;
    b.wait_text("tr[data-app=bench] [data-status]", "", STEP)
        .await;
    let mut samples = Vec::new();
    for _ in 0..5 {
        b.goto("/admin/apps").await;
        // Poll inside the page (every animation frame) so the figure is not the poll interval.
        let ms = b
            .client
            .execute_async(
                "const done = arguments[0];
                 const check = () => document.querySelector('tr[data-app=bench]')
                     ? done(performance.now()) : requestAnimationFrame(check);
                 check();",
                vec![],
            )
            .await
            .expect("first render");
        samples.push(ms.as_f64().expect("ms"));
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    eprintln!(
        "apps page first render (ms since navigation start): median {median:.0}, samples {samples:?}"
    );
    assert!(median < 5_000.0, "first render took {median} ms");
    b.close().await;
}

/// Issue #11: the dashboard follows the server's event stream and an app's output. With the app's
/// page open, `docker stop` from outside shows `Exited` within a second, with no reload; the Logs
/// section shows the last lines (stderr marked), follows new ones, pauses, filters and downloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_status_and_logs_in_the_dashboard() {
    let (server, b) = start().await;
    log_in(&b).await;
    let created: shared::v1::CreatedApp = server
        .create_app(
            "chatty",
            "/chatty",
            apps::chatty_app("chatty in the dashboard"),
        )
        .await
        .json()
        .await
        .expect("created");
    let id = created.deployment.id;
    let deployed = server.wait_deployment(id).await;
    assert_eq!(
        deployed.status,
        shared::v1::DeploymentStatus::Running,
        "{}",
        server.deployment_log(id).await
    );

    // The list's CPU and memory columns, live while the list is open.
    b.goto("/admin/apps").await;
    let memory = b
        .wait_text("tr[data-app=chatty] [data-memory]", "iB", STEP)
        .await;
    let cpu = b
        .find("tr[data-app=chatty] [data-cpu]")
        .await
        .text()
        .await
        .expect("cpu");
    assert!(cpu.ends_with('%'), "{cpu} / {memory}");
    b.screenshot("18-app-list-usage").await;

    b.goto("/admin/apps/chatty").await;
    let badge = ".title-row [data-status]";
    b.wait_text(badge, "Running", STEP).await;
    b.client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .expect("mark the document");

    // CPU and memory, sampled while the page is open: the figures and two small charts that
    // gain a point per sample.
    let usage = b.wait_text("[data-usage] dd", "% CPU", STEP).await;
    assert!(usage.contains("iB memory"), "{usage}");
    let points = "[...document.querySelectorAll('[data-usage] svg.spark polyline')].map(p => p.getAttribute('points').trim().split(' ').length)";
    integration_tests::eventually(
        Duration::from_secs(10),
        "two samples on each chart",
        || async {
            let counts = js(&b, points).await;
            let counts: Vec<i64> = counts
                .as_array()?
                .iter()
                .filter_map(|n| n.as_i64())
                .collect();
            (counts.len() == 2 && counts.iter().all(|n| *n >= 2)).then_some(())
        },
    )
    .await;
    js(
        &b,
        "document.querySelector('[data-usage]').scrollIntoView()",
    )
    .await;
    b.screenshot("19-app-usage-charts").await;

    // The last lines, stderr marked.
    b.wait_text(".log-lines", "ready chatty in the dashboard", STEP)
        .await;
    let oops = b
        .wait_text(".log-line[data-stream=stderr]", "oops", STEP)
        .await;
    assert_eq!(oops.trim(), "oops");
    let ticks = "Math.max(0, ...[...document.querySelectorAll('.log-line')].map(l => +(l.textContent.match(/^tick (\\d+)$/) || [0, 0])[1]))";
    let last_tick = |v: serde_json::Value| v.as_i64().expect("a number");

    // Follow: new lines appear without a reload.
    let before = last_tick(js(&b, ticks).await);
    b.click("[data-action=follow]").await;
    let started = std::time::Instant::now();
    let followed = integration_tests::eventually(
        Duration::from_secs(5),
        "a new tick line with Follow on",
        || async {
            let now = last_tick(js(&b, ticks).await);
            (now > before).then_some(now)
        },
    )
    .await;
    eprintln!(
        "followed: tick {followed} (tail ended at {before}) after {:?}",
        started.elapsed()
    );
    // Nothing printed between the first read and Follow is missing: the ticks run without a gap.
    let gaps = js(
        &b,
        "[...document.querySelectorAll('.log-line')].map(l => (l.textContent.match(/^tick (\\d+)$/) || [])[1]).filter(Boolean).map(Number).filter((n, i, all) => i > 0 && n !== all[i - 1] + 1)",
    )
    .await;
    assert_eq!(gaps, serde_json::json!([]), "ticks follow each other");
    js(&b, "document.querySelector('#logs-title').scrollIntoView()").await;
    b.screenshot("20-app-logs-follow").await;

    // Pause: what is shown stops growing (the stream stays open); resume catches up.
    b.click("[data-action=pause]").await;
    let held = last_tick(js(&b, ticks).await);
    // Wait until the app has printed a few more ticks (as the API says), then look again.
    integration_tests::eventually(Duration::from_secs(5), "the app to print on", || async {
        let lines: Vec<shared::v1::LogLine> = server
            .get("/api/v1/apps/chatty/logs?tail=5")
            .await
            .json()
            .await
            .ok()?;
        let newest = lines
            .iter()
            .filter_map(|l| l.text.strip_prefix("tick ")?.parse::<i64>().ok())
            .max()?;
        (newest > held + 2).then_some(())
    })
    .await;
    assert_eq!(
        last_tick(js(&b, ticks).await),
        held,
        "paused: nothing appended"
    );
    b.click("[data-action=pause]").await;
    integration_tests::eventually(Duration::from_secs(5), "lines after resuming", || async {
        (last_tick(js(&b, ticks).await) > held + 2).then_some(())
    })
    .await;

    // Search filters the shown lines.
    b.type_into("#log-search", "OOPS").await;
    integration_tests::eventually(STEP, "only the matching line", || async {
        let shown = js(
            &b,
            "[...document.querySelectorAll('.log-line')].map(l => l.textContent)",
        )
        .await;
        (shown == serde_json::json!(["oops"])).then_some(())
    })
    .await;
    b.screenshot("21-app-logs-search").await;

    // Download: the shown lines as a text file (a blob the browser saves; the CSP keeps the page
    // itself from reading it back, so the test reads the saved file).
    b.click("[data-action=download]").await;
    let href = js(&b, "document.querySelector('[data-action=download]').href").await;
    assert!(
        href.as_str().unwrap_or_default().starts_with("blob:"),
        "{href}"
    );
    let saved = b.downloads.path().join("chatty-output.txt");
    let downloaded = integration_tests::eventually(STEP, "the download", || async {
        std::fs::read_to_string(&saved).ok()
    })
    .await;
    assert_eq!(downloaded, "oops\n");

    // Small screens; a search that matches nothing.
    b.set_width(360, 780).await;
    b.type_into("#log-search", "no such line").await;
    b.wait_gone(".log-line").await;
    js(&b, "document.querySelector('#logs-title').scrollIntoView()").await;
    b.screenshot("22-app-logs-mobile").await;
    b.set_width(1280, 900).await;

    // A change made outside Milkcrate reaches the open page through the event stream.
    let container = format!("{}-chatty-{id}", server.instance);
    integration_tests::docker::docker(&["stop", "-t", "1", &container]);
    let stopped = std::time::Instant::now();
    integration_tests::eventually(
        Duration::from_secs(1),
        "the badge to show Exited within a second of `docker stop`",
        || async {
            let el = b.client.find(fantoccini::Locator::Css(badge)).await.ok()?;
            el.text().await.ok()?.contains("Exited").then_some(())
        },
    )
    .await;
    eprintln!("Exited shown {:?} after docker stop", stopped.elapsed());
    assert_eq!(
        js(&b, "window.__sameDocument === true").await,
        serde_json::json!(true),
        "no reload"
    );
    js(&b, "window.scrollTo(0, 0)").await;
    b.screenshot("23-app-exited").await;

    b.close().await;
}

/// Issue #10: an app's Settings tab. A variable and a secret saved there make a configuration
/// release (no build) that the page follows to running; the secret is write-only and its value
/// is nowhere in the page afterwards; the release history rolls back to the first release,
/// which becomes current with its (empty) configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_secrets_and_rollback_in_the_dashboard() {
    const SECRET: &str = "s3cr3t-value-from-the-browser";
    let (server, b) = start().await;
    log_in(&b).await;
    let created: shared::v1::CreatedApp = server
        .create_app("conf", "/conf", apps::web_app("configured"))
        .await
        .json()
        .await
        .expect("created");
    let first = created.deployment.id;
    let deployed = server.wait_deployment(first).await;
    assert_eq!(
        deployed.status,
        shared::v1::DeploymentStatus::Running,
        "{}",
        server.deployment_log(first).await
    );

    b.goto("/admin/apps/conf").await;
    b.wait_text(".title-row [data-status]", "Running", STEP)
        .await;
    b.click("[data-tab=Settings]").await;
    let vars = "[data-field=vars]";
    b.click(&format!("{vars} [data-action=add]")).await;
    let name0 = format!("{vars} [data-env='0'] [aria-label=Name]");
    b.type_into(&name0, "1GREETING").await;
    b.type_into(
        &format!("{vars} [data-env='0'] [aria-label=Value]"),
        "hello",
    )
    .await;
    b.click(&format!("{vars} [data-action=add]")).await;
    b.type_into(
        &format!("{vars} [data-env='1'] [aria-label=Name]"),
        "API_TOKEN",
    )
    .await;
    b.click(&format!("{vars} [data-env='1'] input[type=checkbox]"))
        .await;
    let secret = format!("{vars} [data-env='1'] input[type=password]");
    b.type_into(&secret, SECRET).await;
    b.screenshot("24-app-settings").await;

    // A bad name is refused next to the list; the secret was sent, so it is not kept.
    b.click("[data-action=save-env]").await;
    b.wait_text(
        &format!("{vars} .field-error"),
        "`1GREETING` is not a valid name",
        STEP,
    )
    .await;
    let typed = b.find(&secret).await.prop("value").await.expect("value");
    assert_eq!(typed.as_deref(), Some(""), "the secret was cleared");
    b.type_into(&name0, "GREETING").await;
    b.type_into(&secret, SECRET).await;
    b.click("[data-action=save-env]").await;

    // The new release is followed to running in the history, and it runs the same image: no
    // build.
    b.wait_text(".notice", "Saved as release #", STEP).await;
    b.wait_text("li[data-trigger=config]", "current", DEPLOY)
        .await;
    let releases: Vec<shared::v1::Deployment> = server
        .get("/api/v1/apps/conf/deployments")
        .await
        .json()
        .await
        .expect("deployments");
    let config = &releases[0];
    assert_eq!(config.trigger, shared::v1::ReleaseTrigger::Config);
    assert_eq!(config.image, deployed.image, "no new image");
    b.wait_text(
        &format!("li[data-deployment='{}']", config.id),
        "API_TOKEN (secret) added",
        STEP,
    )
    .await;

    // Write-only: shown as set, and the value is neither in the HTML nor in any input.
    b.wait_text(&format!("{vars} [data-env='1']"), "•••• set", STEP)
        .await;
    let page = js(
        &b,
        "document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join('|')",
    )
    .await;
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains("GREETING") && !page.contains(SECRET),
        "{page}"
    );
    let env: shared::v1::AppEnv = server
        .get("/api/v1/apps/conf/env")
        .await
        .json()
        .await
        .expect("env");
    let shown: Vec<_> = env
        .vars
        .iter()
        .map(|v| (v.key.as_str(), v.value.as_deref(), v.secret))
        .collect();
    assert_eq!(
        shown,
        [
            ("GREETING", Some("hello"), false),
            ("API_TOKEN", None, true)
        ]
    );
    b.screenshot("25-app-settings-saved").await;

    // A limit: only what changed is sent, and it makes one more release.
    b.type_into("#pids", "64").await;
    b.click("[data-action=save-config]").await;
    b.wait_text("li[data-trigger=config]", "PIDs: 100 → 64", STEP)
        .await;
    let releases: Vec<shared::v1::Deployment> = server
        .get("/api/v1/apps/conf/deployments")
        .await
        .json()
        .await
        .expect("deployments");
    assert_eq!(releases[0].changes, ["PIDs: 100 → 64"]);
    b.wait_text(
        &format!("li[data-deployment='{}']", releases[0].id),
        "current",
        DEPLOY,
    )
    .await;

    // Roll back to the first release (asks first): it becomes current, configuration and all.
    b.click(&format!(
        "li[data-deployment='{first}'] [data-action=rollback]"
    ))
    .await;
    b.find("[role=alertdialog]").await;
    b.click("[data-confirm=yes]").await;
    b.wait_text("li[data-trigger=rollback]", "current", DEPLOY)
        .await;
    b.wait_gone(&format!("{vars} [data-env]")).await;
    let env: shared::v1::AppEnv = server
        .get("/api/v1/apps/conf/env")
        .await
        .json()
        .await
        .expect("env");
    assert!(env.vars.is_empty(), "{env:?}");
    integration_tests::eventually(STEP, "the form to show the first limits", || async {
        let pids = b.find("#pids").await.prop("value").await.ok()??;
        (pids == "100").then_some(())
    })
    .await;
    b.screenshot("26-app-rolled-back").await;

    b.close().await;
}

/// What a hostile app serves to the admin (issue #15): with the admin's browser, it tries to read
/// the API (across origins with credentials, and on its own origin), to read the dashboard or the
/// CSRF token through frames, to register a service worker for the whole origin, to make a write
/// without the CSRF token, and plants look-alike cookies (cookies ignore ports, so the browser
/// sends them to the dashboard too). Each outcome lands in `#results` as JSON.
const HOSTILE_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile app</title>
<style>#results { white-space: pre-wrap; font-size: 11px; }</style></head>
<body><h1>hostile-page</h1><pre id="results">running</pre>
<script>
const DASHBOARD = '__DASHBOARD__';
const results = {};
const describe = e => (e && e.name ? e.name + ': ' + e.message : String(e));
async function attempt(name, run) {
  try { results[name] = await run(); } catch (e) { results[name] = { threw: describe(e) }; }
}
async function read(url, init) {
  const r = await fetch(url, init);
  return { status: r.status, type: r.type, body: (await r.text()).slice(0, 400) };
}
function frame(id, src) {
  return new Promise(resolve => {
    const f = document.createElement('iframe');
    f.id = id;
    f.width = 400;
    f.height = 160;
    let done = false;
    const finish = how => {
      if (done) return;
      done = true;
      const r = { how };
      try { r.contentDocument = f.contentDocument === null ? null : 'readable'; } catch (e) { r.contentDocument = describe(e); }
      try { r.text = f.contentWindow.document.body.innerText.slice(0, 400); } catch (e) { r.textError = describe(e); }
      try { r.cookie = f.contentWindow.document.cookie; } catch (e) { r.cookieError = describe(e); }
      try { r.href = f.contentWindow.location.href; } catch (e) { r.hrefError = describe(e); }
      resolve(r);
    };
    f.onload = () => finish('load');
    setTimeout(() => finish('timeout'), 15000);
    f.src = src;
    document.body.appendChild(f);
  });
}
(async () => {
  const credentials = 'include';
  await attempt('crossOriginApps', () => read(DASHBOARD + '/api/v1/apps', { credentials }));
  await attempt('crossOriginSession', () => read(DASHBOARD + '/api/v1/auth/session', { credentials }));
  await attempt('crossOriginStop', () => read(DASHBOARD + '/api/v1/apps/hostile/stop', { method: 'POST', mode: 'no-cors', credentials }));
  await attempt('sameOriginApps', () => read('/api/v1/apps', { credentials }));
  await attempt('sameOriginSession', () => read('/api/v1/auth/session', { credentials }));
  results.dashboardFrame = await frame('dashboard-frame', DASHBOARD + '/admin/');
  results.adminFrame = await frame('admin-frame', '/admin/');
  results.sessionFrame = await frame('session-frame', '/api/v1/auth/session');
  await attempt('workerHeaders', async () => {
    const r = await fetch('cgi-bin/sw', { cache: 'no-store' });
    return { status: r.status, contentType: r.headers.get('content-type'), allowed: r.headers.get('service-worker-allowed') };
  });
  await attempt('workerAtRoot', async () => {
    const registration = await navigator.serviceWorker.register('cgi-bin/sw', { scope: '/' });
    return { registered: registration.scope };
  });
  await attempt('workerInItsFolder', async () => {
    const registration = await navigator.serviceWorker.register('cgi-bin/sw', { scope: './cgi-bin/' });
    const scope = registration.scope;
    await registration.unregister();
    return { registered: scope };
  });
  for (const c of [
    'milkcrate_session=planted-same-path; path=/api',
    'milkcrate_session=planted-sent-first; path=/api/v1',
    'milkcrate_csrf=planted; path=/admin',
    'milkcrate_csrf=planted-root; path=/',
  ]) document.cookie = c;
  results.cookiesHere = document.cookie;
  const out = document.getElementById('results');
  out.textContent = JSON.stringify(results, null, 1);
  out.dataset.done = 'yes';
})();
</script></body></html>
"#;

/// Issue #15: the admin, logged in on the dashboard's origin, opens a hostile app's page (on the
/// apps' origin, through Traefik). Nothing it tries reads the API or the CSRF token, frames the
/// dashboard, claims a service worker scope beyond its route or makes a write; the cookies it
/// plants reach the dashboard, which still lists and stops and starts apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_app_cannot_act_as_the_admin() {
    let (server, b) = start().await;
    log_in(&b).await;

    let page = HOSTILE_PAGE.replace("__DASHBOARD__", &server.url(""));
    let created: shared::v1::CreatedApp = server
        .create_app("hostile", "/hostile", apps::hostile_app(&page))
        .await
        .json()
        .await
        .expect("created");
    let id = created.deployment.id;
    let deployed = server.wait_deployment(id).await;
    assert_eq!(
        deployed.status,
        shared::v1::DeploymentStatus::Running,
        "{}",
        server.deployment_log(id).await
    );
    server
        .wait_proxy_body("/hostile/", "hostile-page", true)
        .await;

    b.goto_url(&server.proxy_url("/hostile/")).await;
    let text = b
        .wait_text("#results[data-done]", "{", Duration::from_secs(90))
        .await;
    let r: serde_json::Value = serde_json::from_str(&text).expect("results as JSON");
    eprintln!(
        "the hostile page's results: {}",
        serde_json::to_string_pretty(&r).unwrap()
    );
    b.screenshot("20-hostile-app").await;

    // Across origins, the browser sends the session cookie (same site) but CORS keeps the answer
    // from the page: the fetch itself fails.
    for name in ["crossOriginApps", "crossOriginSession"] {
        assert!(
            r[name]["threw"].is_string() && r[name].get("body").is_none(),
            "{name}: {}",
            r[name]
        );
    }
    // A write the browser does send (no-cors, no preflight): the cookie alone is not enough.
    assert_eq!(
        r["crossOriginStop"]["type"], "opaque",
        "the forged stop was sent: {}",
        r["crossOriginStop"]
    );
    let app: shared::v1::App = server
        .get("/api/v1/apps/hostile")
        .await
        .json()
        .await
        .expect("app");
    assert_eq!(
        app.status,
        shared::v1::AppStatus::Running,
        "the forged stop did nothing"
    );
    // On the apps' own origin there is no API, so the cookie (which ignores ports) gets nothing.
    for (name, secret) in [
        ("sameOriginApps", "\"route\""),
        ("sameOriginSession", "csrf"),
    ] {
        assert_eq!(r[name]["status"], 404, "{name}: {}", r[name]);
        let body = r[name]["body"].as_str().unwrap_or_default();
        assert!(!body.contains(secret), "{name}: {body}");
    }
    // Frames: the dashboard's (directly, or through the apps' /admin redirect) is unreadable from
    // the page, and refused outright, so there is no logged-in dashboard inside it to click on.
    for name in ["dashboardFrame", "adminFrame"] {
        let f = &r[name];
        assert!(f["contentDocument"].is_null(), "{name}: {f}");
        for field in ["text", "cookie", "href"] {
            assert!(f.get(field).is_none(), "{name} read its {field}: {f}");
        }
    }
    for id in ["dashboard-frame", "admin-frame"] {
        b.find(&format!("#{id}"))
            .await
            .enter_frame()
            .await
            .expect("enter the frame");
        let inside = js(
            &b,
            "location.href + ' | ' + (document.body ? document.body.innerText : '')",
        )
        .await;
        b.client
            .enter_parent_frame()
            .await
            .expect("leave the frame");
        let inside = inside.as_str().unwrap_or_default().to_string();
        eprintln!("inside #{id}: {inside}");
        assert!(
            inside.starts_with("chrome-error://") && !inside.contains("Apps"),
            "#{id} shows the dashboard: {inside}"
        );
    }
    // A same-origin frame of the session endpoint: whatever is readable holds no token.
    let session_frame = r["sessionFrame"].to_string();
    assert!(!session_frame.contains("csrf"), "{session_frame}");
    // The worker script is valid and served as JavaScript: it registers within its own folder,
    // but the scope it claims is stripped on the way, so `/` is refused.
    let headers = &r["workerHeaders"];
    assert_eq!(headers["status"], 200, "{headers}");
    assert!(
        headers["contentType"]
            .as_str()
            .is_some_and(|t| t.contains("javascript")),
        "{headers}"
    );
    assert!(
        headers["allowed"].is_null(),
        "Service-Worker-Allowed reached the page: {headers}"
    );
    assert!(
        r["workerInItsFolder"]["registered"]
            .as_str()
            .is_some_and(|s| s.ends_with("/hostile/cgi-bin/")),
        "{}",
        r["workerInItsFolder"]
    );
    assert!(
        r["workerAtRoot"]["threw"]
            .as_str()
            .is_some_and(|e| e.contains("max scope")),
        "{}",
        r["workerAtRoot"]
    );
    // The planted cookies are set (for the host, any port).
    let here = r["cookiesHere"].as_str().unwrap_or_default();
    assert!(here.contains("milkcrate_csrf=planted-root"), "{here}");
    // And the apps' `/` is still the landing, not a page served by a worker.
    b.goto_url(&server.proxy_url("/")).await;
    b.wait_text("h1", "Apps", STEP).await;

    // Back on the dashboard's origin, the planted cookies go out with every API request; the one
    // with the longer path first. The session still holds.
    b.goto("/api/v1/auth/session").await;
    b.wait_text("body", "csrf_token", STEP).await;
    let cookies: Vec<(String, String, String)> = b
        .client
        .get_all_cookies()
        .await
        .expect("cookies")
        .iter()
        .map(|c| {
            let path = c.path().unwrap_or_default().to_string();
            (c.name().to_string(), c.value().to_string(), path)
        })
        .collect();
    let shown: Vec<_> = cookies
        .iter()
        .map(|(name, value, path)| format!("{name}={:.20} (path {path})", value))
        .collect();
    eprintln!("cookies the browser sends to the dashboard's /api/v1: {shown:?}");
    let sessions: Vec<_> = cookies
        .iter()
        .filter(|(name, ..)| name == "milkcrate_session")
        .collect();
    assert!(
        sessions
            .iter()
            .any(|(_, value, path)| value == "planted-sent-first" && path == "/api/v1"),
        "{cookies:?}"
    );
    assert!(
        sessions
            .iter()
            .any(|(_, value, _)| !value.starts_with("planted")),
        "the real session is still there: {cookies:?}"
    );

    // The dashboard sees the planted CSRF cookie and ignores it: the list loads and writes work.
    b.goto("/admin/apps").await;
    let badge = "tr[data-app=hostile] [data-status]";
    b.wait_text(badge, "Running", STEP).await;
    let visible = js(&b, "document.cookie").await;
    assert!(
        visible
            .as_str()
            .is_some_and(|c| c.contains("milkcrate_csrf=planted")),
        "{visible}"
    );
    b.click("tr[data-app=hostile] [data-action=stop]").await;
    b.wait_text(badge, "Stopped", STEP).await;
    b.click("tr[data-app=hostile] [data-action=start]").await;
    b.wait_text(badge, "Running", STEP).await;
    b.screenshot("21-dashboard-after-hostile-app").await;

    b.close().await;
}

/// Issue #14: a domain added on the app's page gets its certificate from a real ACME server
/// (Pebble), and the page shows its state change to issued without a reload; a bad name is
/// refused next to the field. Then one's own certificate for a second domain: a wrong key is
/// refused under the key field, the right one is uploaded, the list marks it, the key is gone
/// from the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_added_in_the_dashboard_gets_its_certificate() {
    let (_pebble, server, _) = integration_tests::pebble::Pebble::with_server(ServerOptions {
        extra_env: vec![("MILKCRATE_DASHBOARD_DIR".into(), dashboard_dir())],
        ..ServerOptions::default()
    })
    .await;
    let b = Browser::start(&server.url("")).await;
    let created: shared::v1::CreatedApp = server
        .create_app("shop", "/shop", apps::web_app("shop"))
        .await
        .json()
        .await
        .expect("created");
    let deployed = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployed.status, shared::v1::DeploymentStatus::Running);
    log_in(&b).await;
    b.goto("/admin/apps/shop").await;
    b.wait_text(".title-row [data-status]", "Running", STEP)
        .await;

    b.type_into("#domains", "*.shop.test").await;
    b.click("#domains-title ~ form button[type=submit]").await;
    let refusal = b.wait_text(".field-error", "*.shop.test", STEP).await;
    assert!(refusal.contains("host name"), "{refusal}");

    b.type_into("#domains", "shop.milkcrate.test").await;
    b.click("#domains-title ~ form button[type=submit]").await;
    b.wait_text("ul.domains li", "shop.milkcrate.test", STEP)
        .await;
    let issued = b
        .wait_text(
            "ul.domains li[data-certificate=issued]",
            "shop.milkcrate.test",
            Duration::from_secs(60),
        )
        .await;
    assert!(issued.contains("issued 20"), "{issued}");
    b.screenshot("14-domains").await;

    // Issue #14: one's own certificate for a second domain, uploaded in the same card.
    const CHAIN: &str =
        include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.pem");
    const KEY: &str = include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.key");
    const OTHER_KEY: &str =
        include_str!("../../backend/src/domain/platform/testdata/uploaded/other.key");
    b.type_into("#domains", "shop.example.com").await;
    b.click("#domains-title ~ form button[type=submit]").await;
    b.wait_text("ul.domains li", "shop.example.com", STEP).await;
    b.type_into("#certificate-host", "shop.example.com").await;
    fill(&b, "#certificate-chain", CHAIN).await;
    fill(&b, "#certificate-key", OTHER_KEY).await;
    b.click("#certificate-form button[type=submit]").await;
    // Whatever the refusal, it is shown; it must be the key's.
    b.wait_text("#certificate-form .field-error", "", STEP)
        .await;
    let form = js(&b, "document.querySelector('#certificate-form').innerText").await;
    let refusal = js(
        &b,
        "document.querySelector('#certificate-key-error')?.innerText ?? ''",
    )
    .await;
    assert!(
        refusal
            .as_str()
            .is_some_and(|r| r.contains("does not belong")),
        "the form shows: {form}"
    );
    let invalid = js(
        &b,
        "document.querySelector('#certificate-key').getAttribute('aria-invalid')",
    )
    .await;
    assert_eq!(invalid, "true");

    fill(&b, "#certificate-key", KEY).await;
    b.click("#certificate-form button[type=submit]").await;
    b.wait_text("#certificate-form [role=status]", "uploaded", STEP)
        .await;
    b.wait_gone("#certificate-key-error").await;
    let uploaded = b
        .wait_text(
            "ul.domains li[data-certificate=issued]",
            "(uploaded)",
            Duration::from_secs(30),
        )
        .await;
    assert!(
        uploaded.starts_with("shop.example.com: issued 20"),
        "{uploaded}"
    );
    // Both fields are cleared, and the key is nowhere in the page.
    let fields = js(
        &b,
        "[document.querySelector('#certificate-chain').value, document.querySelector('#certificate-key').value]",
    )
    .await;
    assert_eq!(fields, serde_json::json!(["", ""]));
    let html = js(&b, "document.documentElement.outerHTML").await;
    let html = html.as_str().expect("html");
    let key_line = KEY.lines().nth(1).expect("a line of the key");
    assert!(!html.contains(key_line), "the key is in the page");
    let other_line = OTHER_KEY.lines().nth(1).expect("a line of the other key");
    assert!(!html.contains(other_line), "the refused key is in the page");
    assert!(!html.contains("PRIVATE KEY"), "the key is in the page");
    b.screenshot("14-domains-uploaded").await;

    b.close().await;
}

/// Sets a field's text as typing would (an `input` event), faster than typing a PEM file.
async fn fill(b: &Browser, css: &str, text: &str) {
    b.find(css).await;
    b.client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![css.into(), text.into()],
        )
        .await
        .expect("fill");
}

//! Clients generated from the served document work against a real server: a Python client
//! (openapi-python-client) deploys an app and reads its logs; TypeScript types (openapi-typescript)
//! type-check a caller with `tsc --strict`. The generators are pinned in `tools/`.

use std::process::Command;

use integration_tests::{
    PASSWORD, Server, ServerOptions, apps,
    tools::{run, tool},
};
use reqwest::StatusCode;
use shared::v1::{App, AppStatus};

fn script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("e2e/clients")
        .join(name)
}

#[tokio::test]
async fn a_generated_python_client_logs_in_deploys_an_app_and_reads_its_logs() {
    let server = Server::start(ServerOptions::api_only()).await;
    let work = tempfile::tempdir().expect("work dir");

    let mut generate = Command::new(tool(".venv/bin/openapi-python-client"));
    generate
        .args(["generate", "--meta", "none", "--url"])
        .arg(server.url("/api/v1/openapi.json"))
        .arg("--output-path")
        .arg(work.path().join("milkcrate_client"))
        .arg("--config")
        .arg(tool("clients/openapi-python-client.yaml"));
    let (generated, output) = run(generate).await;
    assert!(generated, "openapi-python-client failed:\n{output}");
    assert!(
        !output.contains("Warning") && !output.contains("Unable to"),
        "the generator could not read all of the document:\n{output}"
    );

    let zip = work.path().join("app.zip");
    std::fs::write(&zip, apps::chatty_app("python")).expect("write the ZIP");
    let mut deploy = Command::new(tool(".venv/bin/python"));
    deploy
        .arg(script("deploy.py"))
        .arg(server.url(""))
        .arg(PASSWORD)
        .arg(&zip)
        .args(["from-python", "/from-python", "ready python"])
        .env("PYTHONPATH", work.path());
    let (deployed, output) = run(deploy).await;
    assert!(deployed, "the Python client's run failed:\n{output}");
    for step in [
        "wrong password refused: unauthorized",
        "logged in",
        "same name refused: conflict",
        "app from-python running",
        "log line: [stdout] ready python",
        "tail over the maximum refused: {'tail': ['must be 0 to 1000']}",
    ] {
        assert!(output.contains(step), "no `{step}` in:\n{output}");
    }

    // The server agrees with what the client saw.
    let response = server.get("/api/v1/apps/from-python").await;
    assert_eq!(response.status(), StatusCode::OK);
    let app: App = response.json().await.expect("an App");
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(app.route, "/from-python");
}

#[tokio::test]
async fn generated_typescript_types_check_a_caller_with_tsc() {
    let server = Server::start(ServerOptions::api_only()).await;
    let work = tempfile::tempdir().expect("work dir");

    let mut generate = Command::new("node");
    generate
        .arg(tool("clients/node_modules/openapi-typescript/bin/cli.js"))
        .arg(server.url("/api/v1/openapi.json"))
        .arg("--output")
        .arg(work.path().join("schema.d.ts"));
    let (generated, output) = run(generate).await;
    assert!(generated, "openapi-typescript failed:\n{output}");

    std::fs::copy(script("check.ts"), work.path().join("check.ts")).expect("copy check.ts");
    let mut tsc = Command::new("node");
    tsc.arg(tool("clients/node_modules/typescript/bin/tsc"))
        .args([
            "--strict",
            "--noEmit",
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
        ])
        .arg(work.path().join("check.ts"));
    let (checked, output) = run(tsc).await;
    assert!(checked, "tsc found type errors:\n{output}");

    // And it does check: a caller that gets a shape wrong is refused.
    std::fs::write(
        work.path().join("wrong.ts"),
        "import type { components } from \"./schema\";\n\
         export const status: components[\"schemas\"][\"AppStatus\"] = \"sleeping\";\n",
    )
    .expect("write wrong.ts");
    let mut tsc = Command::new("node");
    tsc.arg(tool("clients/node_modules/typescript/bin/tsc"))
        .args([
            "--strict",
            "--noEmit",
            "--moduleResolution",
            "bundler",
            "--module",
            "es2022",
        ])
        .arg(work.path().join("wrong.ts"));
    let (checked, output) = run(tsc).await;
    assert!(!checked, "tsc accepted a status the server never sends");
    assert!(output.contains("\"sleeping\""), "{output}");
}

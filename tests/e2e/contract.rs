//! The OpenAPI document is the server's exact contract: Schemathesis (every check, a fixed seed,
//! a bounded budget: `tools/contract/schemathesis.toml`) fuzzes a real `milkcrate serve` from the
//! served document and must find no difference. The uploads get a handful of cases (random bytes
//! are never an app, so nothing is built); the event stream is left out (it never ends).

use std::process::Command;

use integration_tests::{
    Server, ServerOptions,
    tools::{run, tool},
};

#[tokio::test]
async fn schemathesis_finds_no_difference_between_the_document_and_the_server() {
    let server = Server::start(ServerOptions {
        // Schemathesis sends wrong passwords to the login and the password change; the limiter
        // would answer 429 (documented) to most of them, and test little else.
        extra_env: vec![(
            "MILKCRATE_LOGIN_ATTEMPTS_PER_MINUTE".into(),
            "100000".into(),
        )],
        ..ServerOptions::api_only()
    })
    .await;
    let reports = tempfile::tempdir().expect("report dir");
    let mut schemathesis = Command::new(tool(".venv/bin/schemathesis"));
    schemathesis
        .arg("--config-file")
        .arg(tool("contract/schemathesis.toml"))
        .arg("run")
        .arg(server.url("/api/v1/openapi.json"))
        .args([
            "--header",
            &format!("Authorization: Bearer {}", server.token()),
        ])
        .args(["--no-color", "--report", "junit", "--report-dir"])
        .arg(reports.path())
        .current_dir(reports.path());
    let (passed, output) = run(schemathesis).await;
    assert!(
        passed,
        "Schemathesis found differences between the document and the server:\n{output}"
    );
    // It really ran: every operation but the event stream, and thousands of cases.
    let summary = output
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_default();
    let generated: u64 = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(generated >= 1000, "too few cases: {summary}\n{output}");
    assert!(
        output.contains("Tested: 32"),
        "not every operation was tested:\n{output}"
    );
}

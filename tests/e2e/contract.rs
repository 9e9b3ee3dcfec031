//! The OpenAPI document is the server's exact contract: Schemathesis (every check, a fixed seed,
//! a bounded budget: `tools/contract/schemathesis.toml`) fuzzes a real `milkcrate serve` from the
//! served document and must find no difference. One app runs, so the app and deployment
//! operations answer with real data too; the uploads get a handful of cases (random bytes are
//! never an app, so nothing more is built); the event stream is left out (it never ends).

use std::process::Command;

use integration_tests::{
    Server, ServerOptions, apps,
    tools::{run, tool},
};
use shared::v1::{CreatedApp, DeploymentStatus};

/// The app Schemathesis finds by name (`tools/contract/schemathesis.toml`): a busybox web server
/// printing a line every 200 ms (for the logs and their stream) that stops at once on SIGTERM
/// (the run stops and restarts it several times).
fn contract_app() -> Vec<u8> {
    let start = "#!/bin/busybox sh\ntrap 'exit 0' TERM\n\
                 (n=0; while true; do n=$((n+1)); echo \"tick $n\"; /bin/busybox sleep 0.2; done) &\n\
                 /bin/busybox httpd -f -p 8080 -h /www &\nwait\n";
    apps::zip_of(&[
        (
            "Dockerfile",
            0o644,
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCOPY start.sh /start.sh\nEXPOSE 8080\nENTRYPOINT [\"/start.sh\"]\n".into(),
        ),
        ("start.sh", 0o755, start.into()),
        ("busybox", 0o755, std::fs::read("/bin/busybox").expect("/bin/busybox")),
        ("www/index.html", 0o644, b"contract\n".to_vec()),
    ])
}

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
    let created: CreatedApp = server
        .create_app("contract", "/contract", contract_app())
        .await
        .json()
        .await
        .expect("the app is created");
    // Deployment 1: the id the settings give Schemathesis.
    assert_eq!(created.deployment.id, 1);
    let deployment = server.wait_deployment(1).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );

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
    // It really ran: every operation but the event stream, and a thousand cases or so.
    let summary = output
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_default();
    let generated: u64 = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(generated >= 800, "too few cases: {summary}\n{output}");
    let count = |label: &str| -> u64 {
        output
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|rest| rest.trim().split('/').next()?.parse().ok())
            .unwrap_or(0)
    };
    let (selected, tested) = (count("Selected:"), count("Tested:"));
    assert!(
        selected >= 40 && tested == selected,
        "not every operation was tested ({tested} of {selected}):\n{output}"
    );
    // And the running app was among what it drove: real stops and restarts through Docker.
    let log = server.log();
    for done in ["stopped contract", "restarted contract"] {
        assert!(log.contains(done), "the run never {done}:\n{output}");
    }
}

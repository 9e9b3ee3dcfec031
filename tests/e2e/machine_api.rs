//! The machine API on real parts: scoped tokens against a real server, the audit trail, and the
//! `milkcrate` CLI deploying a folder through Docker and Traefik (and failing loudly on a broken
//! build). One server for all of it, to keep the suite short.

use std::{os::unix::fs::PermissionsExt, path::Path};

use integration_tests::{Server, ServerOptions, binary};
use reqwest::{Method, StatusCode};
use shared::v1::{AuditEntry, NewToken};

async fn mint(server: &Server, name: &str, scope: &str) -> NewToken {
    let response = server
        .request(Method::POST, "/api/v1/tokens")
        .json(&serde_json::json!({ "name": name, "scope": scope }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn with_token(server: &Server, method: Method, path: &str, token: &str) -> StatusCode {
    server
        .http
        .request(method, server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A folder with a busybox web app saying `marker`; its `.dockerignore` leaves out
/// `www/secret.txt`. With `broken`, its build fails.
fn app_folder(marker: &str, broken: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = if broken {
        "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo broken build; exit 7\"]\n"
    } else {
        ""
    };
    let dockerfile = format!(
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCOPY start.sh /start.sh\n{run}EXPOSE 8080\nENTRYPOINT [\"/start.sh\"]\n"
    );
    std::fs::write(d.join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(
        d.join("start.sh"),
        "#!/bin/busybox sh\nexec /bin/busybox httpd -f -p 8080 -h /www\n",
    )
    .unwrap();
    std::fs::set_permissions(d.join("start.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy("/bin/busybox", d.join("busybox")).unwrap();
    std::fs::create_dir(d.join("www")).unwrap();
    std::fs::write(d.join("www/index.html"), format!("<h1>{marker}</h1>\n")).unwrap();
    std::fs::write(d.join("www/secret.txt"), "left out\n").unwrap();
    std::fs::write(d.join(".dockerignore"), "www/secret.txt\n*.log\n").unwrap();
    dir
}

/// Runs `milkcrate ARGS` as a client of `server` with `token`; its exit status and output.
async fn cli(server: &Server, token: &str, home: &Path, args: &[&str]) -> (bool, String) {
    server.client_cli(token, home, args).await
}

#[tokio::test]
async fn tokens_scopes_audit_and_the_cli_on_a_real_server() {
    let server = Server::start(ServerOptions::default()).await;
    let home = tempfile::tempdir().unwrap();

    // A failed login, for the trail.
    let wrong = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": "not-the-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let read = mint(&server, "monitor", "read").await;
    let ci = mint(&server, "ci", "deploy").await;

    // read: lists apps, cannot deploy.
    assert_eq!(
        with_token(&server, Method::GET, "/api/v1/apps", &read.token).await,
        StatusCode::OK
    );
    let (ok, out) = cli(
        &server,
        &read.token,
        home.path(),
        &["deploy", "--name", "nope"],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("needs a token with the `deploy` scope"),
        "{out}"
    );

    // deploy: the CLI ships a folder, follows the build, exits 0 once it runs.
    let folder = app_folder("shipped by the cli", false);
    let dir = folder.path().to_str().unwrap();
    let (ok, out) = cli(
        &server,
        &ci.token,
        home.path(),
        &["deploy", dir, "--name", "cli-app", "--route", "/cli-app"],
    )
    .await;
    println!("---- milkcrate deploy ----\n{out}");
    assert!(ok, "{out}\n{}", server.log());
    assert!(out.contains("Step 1/"), "the build log is followed: {out}");
    assert!(out.contains("cli-app is running deployment"), "{out}");
    let (status, body) = server
        .wait_proxy_body("/cli-app/", "shipped by the cli", true)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (left_out, _) = server.via_proxy("/cli-app/secret.txt").await;
    assert_eq!(left_out, StatusCode::NOT_FOUND, ".dockerignore is honoured");
    assert!(body.contains("shipped by the cli"));
    let (ok, out) = cli(&server, &read.token, home.path(), &["apps"]).await;
    assert!(
        ok && out.contains("cli-app") && out.contains("running"),
        "{out}"
    );
    let (ok, out) = cli(&server, &read.token, home.path(), &["logs", "cli-app"]).await;
    assert!(ok, "{out}");
    let (ok, out) = cli(&server, &read.token, home.path(), &["logs", "no-such-app"]).await;
    assert!(!ok && out.contains("not found"), "{out}");

    // ... but cannot mint tokens.
    let escalate = server
        .http
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&ci.token)
        .json(&serde_json::json!({ "name": "mine", "scope": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(escalate.status(), StatusCode::FORBIDDEN);

    // A broken build: non-zero, naming the failure.
    let broken = app_folder("never", true);
    let (ok, out) = cli(
        &server,
        &ci.token,
        home.path(),
        &[
            "deploy",
            broken.path().to_str().unwrap(),
            "--name",
            "cli-app",
        ],
    )
    .await;
    println!("---- milkcrate deploy (broken) ----\n{out}");
    assert!(!ok, "{out}");
    assert!(out.contains("broken build"), "{out}");
    assert!(out.contains("failed: the image build failed"), "{out}");
    server
        .wait_proxy_body("/cli-app/", "shipped by the cli", true)
        .await;

    // Rollback: to the release that ran, followed to the end; to the one that failed, refused.
    let (ok, out) = cli(
        &server,
        &ci.token,
        home.path(),
        &["rollback", "cli-app", "1"],
    )
    .await;
    assert!(ok, "{out}");
    assert!(out.contains("cli-app is running deployment 3"), "{out}");
    let (ok, out) = cli(
        &server,
        &ci.token,
        home.path(),
        &["rollback", "cli-app", "2"],
    )
    .await;
    assert!(!ok && out.contains("never ran"), "{out}");

    // Revoked: 401 at once.
    let revoked = server.delete(&format!("/api/v1/tokens/{}", ci.id)).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        with_token(&server, Method::GET, "/api/v1/apps", &ci.token).await,
        StatusCode::UNAUTHORIZED
    );

    // The trail: the failed login, and the deploys by the token's name.
    let trail: Vec<AuditEntry> = server
        .get("/api/v1/audit?limit=50")
        .await
        .json()
        .await
        .unwrap();
    let seen = |actor: &str, action: &str, target: &str, status: u16| {
        trail.iter().any(|e| {
            e.actor == actor && e.action == action && e.target == target && e.status == status
        })
    };
    assert!(seen("anonymous", "auth.login", "", 401), "{trail:#?}");
    assert!(seen("token:ci", "app.create", "cli-app", 202), "{trail:#?}");
    assert!(seen("token:ci", "app.deploy", "cli-app", 202), "{trail:#?}");
    assert!(
        seen("token:ci", "app.rollback", "cli-app", 202),
        "{trail:#?}"
    );
    assert!(seen("token:monitor", "app.create", "", 403), "{trail:#?}");
    assert!(
        seen("admin session", "token.revoke", "ci", 204),
        "{trail:#?}"
    );

    // The host's recovery path: a new password from standard input, straight into the database.
    // Sessions end; tokens do not.
    let reset = |password: &'static str| {
        let data = server.data.path().to_path_buf();
        async move {
            let mut child = tokio::process::Command::new(binary())
                .arg("password")
                .env_clear()
                .env("MILKCRATE_DATA_DIR", data)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            tokio::io::AsyncWriteExt::write_all(&mut stdin, format!("{password}\n").as_bytes())
                .await
                .unwrap();
            drop(stdin);
            let output = child.wait_with_output().await.unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            (output.status.success(), text)
        }
    };
    let (ok, out) = reset("short").await;
    assert!(!ok && out.contains("at least 8 characters"), "{out}");
    let (ok, out) = reset("recovered-password-1").await;
    assert!(ok, "{out}");
    assert_eq!(
        server.get("/api/v1/apps").await.status(),
        StatusCode::UNAUTHORIZED,
        "the session from before ends"
    );
    let login = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": "recovered-password-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(
        with_token(&server, Method::GET, "/api/v1/apps", &read.token).await,
        StatusCode::OK,
        "tokens outlive a password change"
    );

    // login: checks the token and saves it for the user only.
    let (ok, out) = cli(&server, &read.token, home.path(), &["login"]).await;
    assert!(ok, "{out}");
    let saved = home.path().join(".config/milkcrate/cli.toml");
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&saved)
            .unwrap()
            .contains(&read.token)
    );
    // The other commands find it there.
    let output = tokio::process::Command::new(binary())
        .arg("apps")
        .env_clear()
        .env("HOME", home.path())
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("cli-app"));
}

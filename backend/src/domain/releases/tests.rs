//! Releases on the in-memory runtime: configuration releases without builds, secrets sealed at
//! rest, rollback and what is kept for it, health paths, the secrets key check.

use shared::v1::{AppEnv, AppPatch, BuildArg, DeploymentStatus, EnvVar, ReleaseTrigger};

use crate::{
    domain::{
        DomainError,
        deploy::tests::{DOCKERFILE, create, deploy_new, journaled, redeploy, running, settled},
        testing::TestPlatform,
    },
    runtime::fake::Behaviour,
};

const SECRET: &str = "s3cr3t-value-that-must-not-leak";

fn var(key: &str, value: Option<&str>, secret: bool) -> EnvVar {
    EnvVar {
        key: key.into(),
        value: value.map(Into::into),
        secret,
    }
}

fn env(vars: Vec<EnvVar>) -> AppEnv {
    AppEnv {
        vars,
        build_args: Vec::new(),
    }
}

/// The container env of the app's running container.
fn container_env(t: &TestPlatform, container: &str) -> Vec<String> {
    t.runtime.containers()[container].spec.env.clone()
}

fn builds(t: &TestPlatform) -> usize {
    t.runtime
        .journal()
        .iter()
        .filter(|l| l.starts_with("build "))
        .count()
}

#[tokio::test]
async fn a_variable_and_a_secret_make_a_release_without_a_build_and_the_secret_stays_sealed() {
    let t = TestPlatform::new().await;
    let first = deploy_new(&t, "blog").await;
    assert_eq!(first.status, DeploymentStatus::Running);
    assert_eq!(builds(&t), 1);

    let queued = t
        .platform
        .put_app_env(
            "blog",
            env(vec![
                var("GREETING", Some("hi"), false),
                var("API_TOKEN", Some(SECRET), true),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(queued.trigger, ReleaseTrigger::Config);
    assert_eq!(
        queued.changes,
        vec!["GREETING added", "API_TOKEN (secret) added"]
    );
    let release = settled(&t.platform, queued.id).await;
    assert_eq!(
        release.status,
        DeploymentStatus::Running,
        "{:?}",
        release.error
    );
    assert_eq!(builds(&t), 1, "a configuration release builds nothing");
    assert_eq!(
        release.image, first.image,
        "it runs the image already built"
    );

    let container = format!("test-blog-{}", release.id);
    assert!(running(&t.runtime, &container));
    let seen = container_env(&t, &container);
    assert!(seen.contains(&"GREETING=hi".to_string()), "{seen:?}");
    assert!(seen.contains(&format!("API_TOKEN={SECRET}")), "{seen:?}");

    let shown = t.platform.app_env("blog").await.unwrap();
    assert_eq!(
        shown.vars,
        vec![
            var("GREETING", Some("hi"), false),
            var("API_TOKEN", None, true)
        ],
        "a secret's value is never sent back"
    );
    // Nothing on disk holds the secret in the clear: the database, its journal, the logs.
    for entry in walk(t.data.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret in plain text",
            entry.display()
        );
    }

    // A secret sent back without a value keeps the one it has; a changed plain value shows.
    let queued = t
        .platform
        .put_app_env(
            "blog",
            env(vec![
                var("GREETING", Some("hello"), false),
                var("API_TOKEN", None, true),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(queued.changes, vec!["GREETING changed"]);
    let release = settled(&t.platform, queued.id).await;
    let seen = container_env(&t, &format!("test-blog-{}", release.id));
    assert!(seen.contains(&format!("API_TOKEN={SECRET}")), "{seen:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn invalid_variables_are_named_under_their_field_and_change_nothing() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    let err = t
        .platform
        .put_app_env(
            "blog",
            AppEnv {
                vars: vec![var("1BAD", Some("x"), false), var("NEW", None, true)],
                build_args: vec![BuildArg {
                    key: "A B".into(),
                    value: "x".into(),
                }],
            },
        )
        .await
        .unwrap_err();
    let DomainError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    assert_eq!(fields["vars"].len(), 2, "{fields:?}");
    assert_eq!(fields["build_args"].len(), 1, "{fields:?}");
    assert!(t.platform.app_env("blog").await.unwrap().vars.is_empty());
    assert_eq!(t.platform.list_deployments("blog").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_rollback_brings_back_the_first_image_and_its_empty_configuration() {
    let t = TestPlatform::new().await;
    let first = deploy_new(&t, "blog").await;
    let second = redeploy(&t, "blog", &[("Dockerfile", "FROM scratch\nEXPOSE 9000\n")]).await;
    assert_ne!(second.image, first.image);
    let configured = t
        .platform
        .put_app_env("blog", env(vec![var("GREETING", Some("hi"), false)]))
        .await
        .unwrap();
    settled(&t.platform, configured.id).await;

    let history = t.platform.list_deployments("blog").await.unwrap();
    assert!(history.iter().all(|d| d.kept), "{history:?}");
    let queued = t.platform.rollback("blog", first.id).await.unwrap();
    assert_eq!(queued.trigger, ReleaseTrigger::Rollback);
    assert_eq!(
        queued.changes,
        vec![
            format!("rollback to release {}", first.id),
            "GREETING removed".into()
        ]
    );
    let back = settled(&t.platform, queued.id).await;
    assert_eq!(back.status, DeploymentStatus::Running, "{:?}", back.error);
    assert_eq!(back.image, first.image);
    assert_eq!(back.port, first.port);
    let seen = container_env(&t, &format!("test-blog-{}", back.id));
    assert!(!seen.iter().any(|e| e.starts_with("GREETING=")), "{seen:?}");
    assert!(t.platform.app_env("blog").await.unwrap().vars.is_empty());
    assert_eq!(builds(&t), 2);

    // A release that never ran cannot be brought back; another app's release is not found.
    t.runtime.fail_builds("test/blog:", "the build broke");
    let failed = redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let err = t.platform.rollback("blog", failed.id).await.unwrap_err();
    assert!(
        matches!(err, DomainError::Conflict(ref m) if m.contains("never ran")),
        "{err:?}"
    );
    assert!(matches!(
        t.platform.rollback("blog", 9999).await.unwrap_err(),
        DomainError::NotFound { .. }
    ));
}

#[tokio::test]
async fn only_the_newest_releases_keep_their_images_and_a_pruned_one_answers_a_conflict() {
    let t = TestPlatform::with_config(|c| c.keep_releases = 2).await;
    let first = deploy_new(&t, "blog").await;
    redeploy(&t, "blog", &[("Dockerfile", "FROM scratch\nEXPOSE 9001\n")]).await;
    let third = redeploy(&t, "blog", &[("Dockerfile", "FROM scratch\nEXPOSE 9002\n")]).await;
    // The switchover prunes after the new release reads as running.
    journaled(&t.runtime, "remove image test/blog:1").await;
    let images = t.runtime.image_tags();
    assert!(
        !images.contains(&first.image.clone().unwrap()),
        "the first image is pruned: {images:?}"
    );
    let history = t.platform.list_deployments("blog").await.unwrap();
    let kept: Vec<i64> = history.iter().filter(|d| d.kept).map(|d| d.id).collect();
    assert_eq!(kept, vec![third.id, third.id - 1]);
    let err = t.platform.rollback("blog", first.id).await.unwrap_err();
    let DomainError::Conflict(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("no longer kept"), "{message}");
    assert!(message.contains("MILKCRATE_KEEP_RELEASES"), "{message}");
}

#[tokio::test]
async fn a_health_path_that_fails_fails_the_release_and_the_previous_one_keeps_serving() {
    let t = TestPlatform::new().await;
    let first = deploy_new(&t, "blog").await;
    t.runtime.behave(
        "test/blog:",
        Behaviour {
            health_status: 500,
            ..Behaviour::default()
        },
    );
    let queued = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                health_path: Some(Some("/healthz".into())),
                ..AppPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.changes, vec!["health check: any reply → /healthz"]);
    let failed = settled(&t.platform, queued.id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap();
    assert!(
        error.contains("answered 500 on its health path /healthz"),
        "{error}"
    );
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.current_deployment.unwrap().id, first.id);
    assert!(running(&t.runtime, &format!("test-blog-{}", first.id)));

    // A path that answers 2xx passes.
    t.runtime.behave("test/blog:", Behaviour::default());
    let queued = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                health_path: Some(Some("/ok".into())),
                ..AppPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        settled(&t.platform, queued.id).await.status,
        DeploymentStatus::Running
    );
}

#[tokio::test]
async fn limits_and_route_are_checked_and_released() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    deploy_new(&t, "shop").await;
    let mut limits = t.platform.get_app("blog").await.unwrap().limits;
    limits.memory_bytes *= 4;
    let err = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                limits: Some(limits),
                route: Some("/admin".into()),
                ..AppPatch::default()
            },
        )
        .await
        .unwrap_err();
    let DomainError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    assert!(fields.contains_key("limits.memory_bytes") && fields.contains_key("route"));
    let taken = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                route: Some("/shop".into()),
                ..AppPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(taken, DomainError::Taken(_)), "{taken:?}");

    limits.memory_bytes /= 8;
    let queued = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                limits: Some(limits),
                route: Some("/journal".into()),
                ..AppPatch::default()
            },
        )
        .await
        .unwrap();
    let release = settled(&t.platform, queued.id).await;
    assert_eq!(
        release.status,
        DeploymentStatus::Running,
        "{:?}",
        release.error
    );
    let container = &t.runtime.containers()[&format!("test-blog-{}", release.id)];
    assert_eq!(
        container.spec.limits.unwrap().memory_bytes,
        limits.memory_bytes as i64
    );
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.route, "/journal");
    assert_eq!(app.limits.memory_bytes, limits.memory_bytes);
}

#[tokio::test]
async fn a_different_secrets_key_stops_the_start_once_secrets_are_stored() {
    let t = TestPlatform::new().await;
    t.platform.check_secrets_key().await.unwrap();
    t.platform.check_secrets_key().await.unwrap();
    deploy_new(&t, "blog").await;
    let queued = t
        .platform
        .put_app_env("blog", env(vec![var("API_TOKEN", Some(SECRET), true)]))
        .await
        .unwrap();
    settled(&t.platform, queued.id).await;
    let other = t.reopened_with_secrets_key("another key").await;
    let err = other.check_secrets_key().await.unwrap_err().to_string();
    assert!(err.contains("MILKCRATE_SECRETS_KEY"), "{err}");
}

#[tokio::test]
async fn a_stack_interpolates_the_apps_variables_ahead_of_its_env_file_and_gives_them_to_its_main_service()
 {
    let t = TestPlatform::new().await;
    t.runtime.behave(
        "test/shop:1-api",
        Behaviour::health(crate::runtime::Health::Healthy),
    );
    let compose = "services:\n  web:\n    build: .\n    expose: [\"8080\"]\n    environment:\n      MARKER: \"${GREETING:-unset}\"\n    depends_on: [api]\n  api:\n    build: .\n";
    let first = create(
        &t,
        "shop",
        &[
            ("compose.yaml", compose),
            ("Dockerfile", DOCKERFILE),
            (".env", "GREETING=from-dotenv\n"),
        ],
    )
    .await;
    assert_eq!(first.status, DeploymentStatus::Running, "{first:?}");
    let web = |id: i64| container_env(&t, &format!("test_shop_{id}_web"));
    assert!(web(first.id).contains(&"MARKER=from-dotenv".to_string()));
    let built = builds(&t);

    let queued = t
        .platform
        .put_app_env(
            "shop",
            env(vec![var("GREETING", Some("from-milkcrate"), false)]),
        )
        .await
        .unwrap();
    let release = settled(&t.platform, queued.id).await;
    assert_eq!(release.status, DeploymentStatus::Running, "{release:?}");
    assert_eq!(builds(&t), built, "the stack's images are reused");
    let seen = web(release.id);
    assert!(
        seen.contains(&"MARKER=from-milkcrate".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"GREETING=from-milkcrate".to_string()),
        "{seen:?}"
    );
    let api = container_env(&t, &format!("test_shop_{}_api", release.id));
    assert!(!api.iter().any(|e| e.starts_with("GREETING=")), "{api:?}");
}

#[tokio::test]
async fn build_arguments_reach_the_next_build_from_an_upload() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    let queued = t
        .platform
        .put_app_env(
            "blog",
            AppEnv {
                vars: Vec::new(),
                build_args: vec![BuildArg {
                    key: "VERSION".into(),
                    value: "2.1".into(),
                }],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        queued.changes,
        vec!["build arguments changed (they apply to the next build from an upload)"]
    );
    settled(&t.platform, queued.id).await;
    let rebuilt = redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    let log = t.platform.deployment_log(rebuilt.id, 0).await.unwrap().text;
    assert!(log.contains("ARG VERSION=2.1"), "{log}");
}

#[tokio::test]
async fn domains_are_patched_with_the_rest_checked_first_and_listed_among_the_changes() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    deploy_new(&t, "shop").await;
    let patch = |domains: &[&str]| AppPatch {
        domains: Some(domains.iter().map(|d| d.to_string()).collect()),
        ..AppPatch::default()
    };

    // An invalid name is reported with any other invalid field, and nothing changes.
    let refused = t
        .platform
        .patch_app(
            "blog",
            AppPatch {
                route: Some("/api".into()),
                ..patch(&["*.example.com"])
            },
        )
        .await
        .unwrap_err();
    let DomainError::Invalid(fields) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        fields.contains_key("domains") && fields.contains_key("route"),
        "{fields:?}"
    );

    let queued = t
        .platform
        .patch_app("blog", patch(&["blog.example.com"]))
        .await
        .unwrap();
    assert_eq!(queued.changes, vec!["domains: none → blog.example.com"]);
    assert_eq!(
        settled(&t.platform, queued.id).await.status,
        DeploymentStatus::Running
    );
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.domains[0].host, "blog.example.com");

    // Another app's name is a conflict naming it.
    let taken = t
        .platform
        .patch_app("shop", patch(&["blog.example.com"]))
        .await
        .unwrap_err();
    let DomainError::Taken(fields) = taken else {
        panic!("{taken:?}")
    };
    assert!(fields["domains"][0].contains("`blog`"), "{fields:?}");
}

#[tokio::test]
async fn reconciliation_keeps_the_images_that_releases_run_and_can_roll_back_to() {
    let t = TestPlatform::new().await;
    let first = deploy_new(&t, "blog").await;
    let second = redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    for value in ["a", "b"] {
        let queued = t
            .platform
            .put_app_env("blog", env(vec![var("V", Some(value), false)]))
            .await
            .unwrap();
        settled(&t.platform, queued.id).await;
    }
    t.platform.reconcile(false).await.unwrap();
    let images = t.runtime.image_tags();
    for kept in [&first, &second] {
        assert!(
            images.contains(kept.image.as_ref().unwrap()),
            "{images:?} lacks {:?}: the running release and a rollback need it",
            kept.image
        );
    }
    let back = t.platform.rollback("blog", first.id).await.unwrap();
    assert_eq!(
        settled(&t.platform, back.id).await.status,
        DeploymentStatus::Running
    );
}

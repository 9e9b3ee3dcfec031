//! The deploy engine's logic on a real SQLite file and the in-memory runtime: switchover and its
//! races, failure cleanup, restarting the previous version, reconcile, start and stop order, the
//! 409s without containers. Milliseconds each, no Docker daemon. That deploying works on Docker
//! is proven by the end-to-end suite.

use std::{path::PathBuf, time::Duration};

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use shared::v1::{AppStatus, Deployment, DeploymentStatus, Mount};

use super::logbook::Logbook;
use crate::{
    db::entities::{app, deployment},
    domain::{DomainError, Platform, testing::TestPlatform},
    runtime::{
        ContainerState, Containers, Health,
        fake::{Behaviour, FakeRuntime},
        labels,
    },
};

pub(in crate::domain) const DOCKERFILE: &str = "FROM scratch\nEXPOSE 8080\n";

/// A ZIP of `files` in the data folder's tmp, as an upload would leave it.
pub(in crate::domain) fn zip_of(platform: &Platform, files: &[(&str, &str)]) -> PathBuf {
    use std::io::Write;
    let path = platform
        .paths
        .tmp()
        .join(format!("upload-{}.zip", rand::random::<u32>()));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, body) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn dockerfile_zip(platform: &Platform) -> PathBuf {
    zip_of(platform, &[("Dockerfile", DOCKERFILE)])
}

/// Waits (with a deadline) until the deployment's status is final.
pub(in crate::domain) async fn settled(platform: &Platform, id: i64) -> Deployment {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let deployment = platform.get_deployment(id).await.unwrap();
        if deployment.status.is_final() {
            return deployment;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deployment {id} still {:?}",
            deployment.status
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Creates app `name` at `/name` from `files` and waits for its first deployment to settle.
pub(in crate::domain) async fn create(
    t: &TestPlatform,
    name: &str,
    files: &[(&str, &str)],
) -> Deployment {
    let zip = zip_of(&t.platform, files);
    let created = t
        .platform
        .create_app(name, &format!("/{name}"), &zip, &[], &[])
        .await
        .unwrap();
    settled(&t.platform, created.deployment.id).await
}

pub(in crate::domain) async fn deploy_new(t: &TestPlatform, name: &str) -> Deployment {
    create(t, name, &[("Dockerfile", DOCKERFILE)]).await
}

pub(in crate::domain) async fn redeploy(
    t: &TestPlatform,
    name: &str,
    files: &[(&str, &str)],
) -> Deployment {
    let zip = zip_of(&t.platform, files);
    let queued = t.platform.redeploy(name, &zip, None).await.unwrap();
    settled(&t.platform, queued.id).await
}

/// Waits (with a deadline) until the journal holds `line`: a switchover retires the previous
/// version after the new one reads as running.
pub(in crate::domain) async fn journaled(runtime: &FakeRuntime, line: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let journal = runtime.journal();
        if journal.iter().any(|l| l == line) {
            return journal;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "`{line}` never came: {journal:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn index_of(journal: &[String], line: &str) -> usize {
    journal
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("`{line}` is not in the journal: {journal:#?}"))
}

pub(in crate::domain) fn running(runtime: &FakeRuntime, name: &str) -> bool {
    runtime
        .containers()
        .get(name)
        .is_some_and(|c| c.state == ContainerState::Running)
}

#[tokio::test]
async fn a_dockerfile_app_is_built_started_routed_and_becomes_current() {
    let t = TestPlatform::new().await;
    t.runtime.builds_expose(&[8080], &[]);
    let deployment = deploy_new(&t, "blog").await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );
    assert_eq!(deployment.port, Some(8080));
    assert_eq!(deployment.image.as_deref(), Some("test/blog:1"));

    let container = &t.runtime.containers()["test-blog-1"];
    assert_eq!(container.state, ContainerState::Running);
    assert_eq!(container.spec.labels[labels::APP], "blog");
    assert!(
        container
            .spec
            .labels
            .keys()
            .any(|k| k.starts_with("traefik.http.routers")),
        "the container carries its route"
    );
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(app.current_deployment.unwrap().id, 1);
}

#[tokio::test]
async fn a_redeploy_starts_the_new_version_before_retiring_the_old_one() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    let second = redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    assert_eq!(second.status, DeploymentStatus::Running);

    let journal = journaled(&t.runtime, "remove test-blog-1").await;
    assert!(
        index_of(&journal, "start test-blog-2") < index_of(&journal, "stop test-blog-1 10s"),
        "the old version serves until the new one answers: {journal:#?}"
    );
    assert!(index_of(&journal, "stop test-blog-1 10s") < index_of(&journal, "remove test-blog-1"));
    assert!(!t.runtime.containers().contains_key("test-blog-1"));
    let first = t.platform.get_deployment(1).await.unwrap();
    assert_eq!(first.status, DeploymentStatus::Superseded);
    // The previous image is kept for a rollback.
    assert!(t.runtime.image_tags().contains(&"test/blog:1".to_string()));
}

#[tokio::test]
async fn images_beyond_the_kept_releases_are_pruned() {
    let t = TestPlatform::with_config(|c| c.keep_releases = 2).await;
    deploy_new(&t, "blog").await;
    redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    journaled(&t.runtime, "remove test-blog-1").await;
    redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    journaled(&t.runtime, "remove image test/blog:1").await;
    assert_eq!(
        t.runtime.image_tags(),
        vec!["test/blog:2".to_string(), "test/blog:3".to_string()]
    );
}

#[tokio::test]
async fn a_failed_build_leaves_the_running_version_serving_and_nothing_of_its_own() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    t.runtime.fail_builds("blog:2", "COPY failed: no such file");
    let failed = redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap();
    assert!(
        error.contains("the image build failed: COPY failed"),
        "{error}"
    );

    assert!(running(&t.runtime, "test-blog-1"));
    assert!(!t.runtime.containers().contains_key("test-blog-2"));
    assert!(!t.runtime.image_tags().contains(&"test/blog:2".to_string()));
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.current_deployment.unwrap().id, 1);
    assert_eq!(app.status, AppStatus::Running);
    // The list shows the current version and the latest attempt, whatever came between.
    t.runtime.fail_builds("blog:3", "again");
    redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    let listed = &t.platform.list_apps().await.unwrap()[0];
    assert_eq!(listed.current_deployment.as_ref().unwrap().id, 1);
    assert_eq!(listed.latest_deployment.as_ref().unwrap().id, 3);
    // The source folder of the failed upload is gone too.
    assert!(!t.platform.paths.source_dir("blog", 2).exists());
}

#[tokio::test]
async fn a_container_that_exits_fails_with_its_exit_code_and_last_output() {
    let t = TestPlatform::new().await;
    t.runtime
        .behave("test/crash:", Behaviour::exits(3, "crashing on purpose"));
    let failed = deploy_new(&t, "crash").await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap();
    assert!(error.contains("exited with code 3"), "{error}");
    assert!(error.contains("crashing on purpose"), "{error}");
    assert!(t.runtime.containers().is_empty());
    let app = t.platform.get_app("crash").await.unwrap();
    assert_eq!(app.status, AppStatus::Failed);
}

#[tokio::test]
async fn an_app_that_never_answers_times_out_naming_its_port() {
    let t = TestPlatform::with_config(|c| c.builds.ready_timeout_secs = 1).await;
    t.runtime.builds_expose(&[3000], &[]);
    t.runtime.behave("test/mute:", Behaviour::silent());
    let failed = deploy_new(&t, "mute").await;
    let error = failed.error.unwrap();
    assert!(
        error.contains("did not answer on port 3000 within 1s"),
        "{error}"
    );
}

#[tokio::test]
async fn a_daemon_that_cannot_be_reached_reads_as_such_not_as_the_apps_fault() {
    let t = TestPlatform::new().await;
    t.runtime.down_at_build();
    // The daemon goes away once the build starts, which may be before the upload's own answer
    // (it reads the app's containers): that answer may already be an error.
    let zip = dockerfile_zip(&t.platform);
    let _ = t.platform.create_app("blog", "/blog", &zip, &[], &[]).await;
    let id = t.platform.list_deployments("blog").await.unwrap()[0].id;
    let failed = settled(&t.platform, id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap();
    assert!(error.contains("cannot be reached"), "{error}");
    assert!(!error.contains("build failed"), "{error}");
}

#[tokio::test]
async fn an_image_carrying_proxy_labels_is_refused() {
    let t = TestPlatform::new().await;
    t.runtime
        .builds_expose(&[80], &[("traefik.http.routers.x.rule", "PathPrefix(`/`)")]);
    let failed = deploy_new(&t, "sneaky").await;
    let error = failed.error.unwrap();
    assert!(
        error.contains("sets the label `traefik.http.routers.x.rule`"),
        "{error}"
    );
    assert!(t.runtime.containers().is_empty());
}

#[tokio::test]
async fn an_older_version_that_finishes_last_never_replaces_a_newer_current_one() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    redeploy(&t, "blog", &[("Dockerfile", DOCKERFILE)]).await;
    // Deployment 1 reaching its switchover now, after 2 went live, must lose.
    let mut log = Logbook::open(t.platform.paths.deployment_log(1)).await;
    let error = t.platform.switch_over(1, &mut log).await.unwrap_err();
    assert_eq!(error.to_string(), "a newer version became current first");
    let app = t.platform.get_app("blog").await.unwrap();
    assert_eq!(app.current_deployment.unwrap().id, 2);
    assert!(running(&t.runtime, "test-blog-2"));
}

const STACK: &str = "services:
  web:
    build: .
    expose: [\"8080\"]
    depends_on:
      api:
        condition: service_healthy
  api:
    build: .
    healthcheck:
      test: [\"CMD\", \"/bin/true\"]
";

async fn deploy_stack(t: &TestPlatform, name: &str) -> Deployment {
    create(
        t,
        name,
        &[("compose.yaml", STACK), ("Dockerfile", DOCKERFILE)],
    )
    .await
}

#[tokio::test]
async fn a_stack_starts_in_dependency_order_and_stops_in_reverse() {
    let t = TestPlatform::new().await;
    t.runtime
        .behave("test/shop:1-api", Behaviour::health(Health::Healthy));
    let deployment = deploy_stack(&t, "shop").await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );
    let journal = t.runtime.journal();
    assert!(
        index_of(&journal, "start test_shop_1_api") < index_of(&journal, "start test_shop_1_web")
    );

    let containers = t.runtime.containers();
    let proxy = &t.platform.edge_network("shop");
    let (web, api) = (
        &containers["test_shop_1_web"],
        &containers["test_shop_1_api"],
    );
    assert!(web.networks.contains(proxy), "{:?}", web.networks);
    assert!(
        !api.networks.contains(proxy),
        "only the main service is routed"
    );
    assert_eq!(api.spec.labels["traefik.enable"], "false");

    t.platform.stop_app("shop").await.unwrap();
    let journal = t.runtime.journal();
    assert!(
        index_of(&journal, "stop test_shop_1_web 10s")
            < index_of(&journal, "stop test_shop_1_api 10s")
    );
    let app = t.platform.get_app("shop").await.unwrap();
    assert_eq!(app.status, AppStatus::Stopped);
    assert_eq!(app.services.len(), 2);
}

#[tokio::test]
async fn a_stack_whose_dependency_turns_unhealthy_fails_naming_it_and_leaves_nothing() {
    let t = TestPlatform::new().await;
    t.runtime.behave(
        "test/shop:1-api",
        Behaviour {
            health: Some(Health::Unhealthy),
            output: "db is not there".into(),
            ..Behaviour::default()
        },
    );
    let failed = deploy_stack(&t, "shop").await;
    let error = failed.error.unwrap();
    assert!(
        error.contains("`web` waits for `api`, which is unhealthy"),
        "{error}"
    );
    assert!(error.contains("db is not there"), "{error}");
    assert!(t.runtime.containers().is_empty());
    assert!(
        t.runtime
            .network_names()
            .iter()
            .all(|n| !n.starts_with("test_shop_1_"))
    );
}

#[tokio::test]
async fn a_version_writing_to_a_volume_replaces_the_old_one_which_comes_back_if_it_fails() {
    let t = TestPlatform::new().await;
    t.platform.create_volume("files", "").await.unwrap();
    let mounts = [Mount {
        volume: "files".into(),
        target: "/data".into(),
        read_only: false,
    }];
    let zip = dockerfile_zip(&t.platform);
    let created = t
        .platform
        .create_app("notes", "/notes", &zip, &mounts, &[])
        .await
        .unwrap();
    settled(&t.platform, created.deployment.id).await;
    t.runtime
        .behave("test/notes:2", Behaviour::exits(1, "migration failed"));
    let failed = redeploy(&t, "notes", &[("Dockerfile", DOCKERFILE)]).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);

    // The old version is started again just after the failure is recorded.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !running(&t.runtime, "test-notes-1") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old version stays down"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let journal = t.runtime.journal();
    let stopped = index_of(&journal, "stop test-notes-1 10s");
    assert!(
        stopped < index_of(&journal, "start test-notes-2"),
        "no overlap: {journal:#?}"
    );
    assert!(
        journal[stopped..]
            .iter()
            .filter(|l| *l == "start test-notes-1")
            .count()
            == 1,
        "the old version is started again: {journal:#?}"
    );
    assert!(running(&t.runtime, "test-notes-1"));
}

#[tokio::test]
async fn reconcile_removes_what_no_app_or_deployment_owns() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    // A container and an image of an app that no longer exists, left by a crash.
    t.runtime.has_image("test/gone:4");
    t.runtime
        .create_container(&crate::runtime::ContainerSpec {
            name: "test-gone-4".into(),
            image: "test/gone:4".into(),
            labels: labels::ownership("test", "gone", 4),
            network: t.platform.config().traefik_network.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    t.platform.reconcile(false).await.unwrap();
    assert!(!t.runtime.containers().contains_key("test-gone-4"));
    assert!(!t.runtime.image_tags().contains(&"test/gone:4".to_string()));
    assert!(running(&t.runtime, "test-blog-1"), "what is wanted stays");
}

#[tokio::test]
async fn reconcile_at_start_fails_deployments_a_crash_cut_off() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    let cut_off = deployment::ActiveModel {
        app_id: Set(1),
        status: Set(deployment::Status::Building),
        kind: Set(deployment::Kind::Dockerfile),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&t.platform.db)
    .await
    .unwrap();
    t.platform.reconcile(true).await.unwrap();
    let deployment = t.platform.get_deployment(cut_off.id).await.unwrap();
    assert_eq!(deployment.status, DeploymentStatus::Failed);
    assert!(deployment.error.unwrap().contains("interrupted"));
    assert!(running(&t.runtime, "test-blog-1"));
}

#[tokio::test]
async fn a_container_removed_behind_milkcrates_back_is_named_then_recreated_at_start() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    t.runtime.outside("test-blog-1", None);
    assert_eq!(
        t.platform.get_app("blog").await.unwrap().status,
        AppStatus::Missing
    );
    for result in [
        t.platform.stop_app("blog").await,
        t.platform.start_app("blog").await,
        t.platform.restart_app("blog").await,
    ] {
        match result {
            Err(DomainError::Conflict(message)) => {
                assert!(message.contains("has no container"), "{message}")
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    t.platform.reconcile(true).await.unwrap();
    assert!(running(&t.runtime, "test-blog-1"));
    assert_eq!(
        t.platform.get_app("blog").await.unwrap().status,
        AppStatus::Running
    );
}

#[tokio::test]
async fn stop_and_start_follow_what_the_admin_asked_for() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    let stopped = t.platform.stop_app("blog").await.unwrap();
    assert_eq!(stopped.status, AppStatus::Stopped);
    // A container that stops on its own while wanted reads as exited, not stopped.
    t.platform.start_app("blog").await.unwrap();
    t.runtime
        .outside("test-blog-1", Some(ContainerState::Exited));
    assert_eq!(
        t.platform.get_app("blog").await.unwrap().status,
        AppStatus::Exited
    );
    let restarted = t.platform.restart_app("blog").await.unwrap();
    assert_eq!(restarted.status, AppStatus::Running);
}

#[tokio::test]
async fn deleting_an_app_removes_its_containers_networks_and_images_but_not_its_volumes_unasked() {
    let t = TestPlatform::new().await;
    t.runtime
        .behave("test/shop:1-api", Behaviour::health(Health::Healthy));
    deploy_stack(&t, "shop").await;
    t.platform.delete_app("shop", false).await.unwrap();
    assert!(t.runtime.containers().is_empty());
    assert!(t.runtime.image_tags().is_empty());
    assert!(
        t.runtime
            .network_names()
            .iter()
            .all(|n| !n.starts_with("test_shop"))
    );
    assert!(matches!(
        t.platform.get_app("shop").await,
        Err(DomainError::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_shutdown_interrupts_a_deployment_in_flight_and_cleans_it_up() {
    let t = TestPlatform::with_config(|c| c.builds.ready_timeout_secs = 60).await;
    t.runtime.behave("test/slow:", Behaviour::silent());
    let zip = dockerfile_zip(&t.platform);
    let created = t
        .platform
        .create_app("slow", "/slow", &zip, &[], &[])
        .await
        .unwrap();
    // Wait until it is waiting for the app to answer.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !running(&t.runtime, "test-slow-1") {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    t.platform.shutdown().await;
    let deployment = t
        .platform
        .get_deployment(created.deployment.id)
        .await
        .unwrap();
    assert_eq!(deployment.status, DeploymentStatus::Failed);
    assert!(deployment.error.unwrap().contains("shut down"));
    assert!(t.runtime.containers().is_empty());
}

#[tokio::test]
async fn a_status_the_code_does_not_know_is_an_error_not_a_silent_failure() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    t.platform
        .db
        .execute_unprepared("UPDATE deployment SET status = 'exploded' WHERE id = 1")
        .await
        .unwrap();
    assert!(t.platform.get_deployment(1).await.is_err());
}

#[tokio::test]
async fn app_rows_keep_their_stored_words() {
    let t = TestPlatform::new().await;
    deploy_new(&t, "blog").await;
    t.platform.stop_app("blog").await.unwrap();
    let row = t
        .platform
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT desired_state FROM app",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "desired_state").unwrap();
    assert_eq!(stored, "stopped");
    let app = app::Entity::find()
        .one(&t.platform.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.desired_state, app::DesiredState::Stopped);
}

#[tokio::test]
async fn logs_and_stats_read_every_service_of_the_current_version() {
    let t = TestPlatform::new().await;
    t.runtime.behave(
        "test/shop:1-api",
        Behaviour {
            health: Some(Health::Healthy),
            output: "api up\napi ready".into(),
            ..Behaviour::default()
        },
    );
    t.runtime.behave(
        "test/shop:1-web",
        Behaviour {
            output: "web up".into(),
            ..Behaviour::default()
        },
    );
    deploy_stack(&t, "shop").await;
    let request = crate::domain::LogRequest {
        tail: Some(10),
        ..Default::default()
    };
    let lines = t.platform.app_logs("shop", &request).await.unwrap();
    let texts: Vec<(Option<&str>, &str)> = lines
        .iter()
        .map(|l| (l.service.as_deref(), l.text.as_str()))
        .collect();
    assert!(texts.contains(&(Some("api"), "api ready")), "{texts:?}");
    assert!(texts.contains(&(Some("web"), "web up")), "{texts:?}");
    let one = crate::domain::LogRequest {
        tail: Some(1),
        service: Some("api".into()),
        ..Default::default()
    };
    let lines = t.platform.app_logs("shop", &one).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].text, "api ready");
    let missing = crate::domain::LogRequest {
        service: Some("db".into()),
        ..Default::default()
    };
    assert!(matches!(
        t.platform.app_logs("shop", &missing).await,
        Err(DomainError::Invalid(_))
    ));

    let stats = t.platform.app_stats("shop").await.unwrap();
    let services: Vec<_> = stats.services.iter().map(|s| s.service.clone()).collect();
    assert_eq!(
        services,
        vec![Some("api".to_string()), Some("web".to_string())]
    );
    assert!(stats.services.iter().all(|s| s.memory_bytes > 0));
}

/// Polls `check` until it holds (deadline 5 s).
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_app_list_is_reused_only_until_a_commit_or_a_runtime_event() {
    let t = TestPlatform::new().await;
    let follower = tokio::spawn(t.platform.clone().follow_runtime());
    deploy_new(&t, "blog").await;
    until("the live view is followed", async || {
        t.platform.live.generation().is_some()
    })
    .await;
    // Once the deploy's last events and writes are in, a read is the previous one again.
    until("a read that reuses the previous one", async || {
        let first = t.platform.list_apps().await.unwrap();
        let again = t.platform.list_apps().await.unwrap();
        std::sync::Arc::ptr_eq(&first, &again)
    })
    .await;

    t.runtime
        .outside("test-blog-1", Some(ContainerState::Exited));
    until("the list shows the outside stop", async || {
        t.platform.list_apps().await.unwrap()[0].status == AppStatus::Exited
    })
    .await;

    // A commit by another connection (another process, such as the benchmark's seeding).
    let other = crate::db::connect(&t.platform.config.db_path())
        .await
        .unwrap();
    other
        .execute_unprepared("UPDATE app SET route = '/elsewhere' WHERE name = 'blog'")
        .await
        .unwrap();
    assert_eq!(t.platform.list_apps().await.unwrap()[0].route, "/elsewhere");
    follower.abort();
}

#[tokio::test]
async fn stats_are_sampled_while_watched_and_only_then() {
    use crate::domain::StatsTarget;
    let t = TestPlatform::new().await;
    let deployed = deploy_new(&t, "blog").await;
    assert_eq!(deployed.status, DeploymentStatus::Running, "{deployed:?}");
    assert!(matches!(
        t.platform
            .watch_stats(StatsTarget::App("nope".into()))
            .await,
        Err(DomainError::NotFound { .. })
    ));
    let mut events = t.platform.subscribe(None).live;
    let target = StatsTarget::App("blog".into());
    let first = t.platform.watch_stats(target.clone()).await.unwrap();
    let all = t.platform.watch_stats(StatsTarget::All).await.unwrap();
    let second = t.platform.watch_stats(target.clone()).await.unwrap();
    assert_eq!(
        t.platform.stats_watchers(&target),
        2,
        "one sampler, two watches"
    );
    let stats = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let shared::v1::Event::Stats { app, services } = &*events.recv().await.unwrap().1 {
                return shared::v1::AppStats {
                    app: app.clone(),
                    services: services.clone(),
                };
            }
        }
    })
    .await
    .expect("a stats event");
    assert_eq!(stats.app, "blog");
    assert!(stats.services[0].memory_bytes > 0);
    drop((first, all));
    assert_eq!(t.platform.stats_watchers(&target), 1);
    drop(second);
    assert_eq!(t.platform.stats_watchers(&target), 0);
    assert_eq!(t.platform.stats_watchers(&StatsTarget::All), 0);
}

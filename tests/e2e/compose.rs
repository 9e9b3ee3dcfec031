//! Compose stacks on the real Docker daemon and Traefik: services reaching each other by name,
//! health-gated start, volumes that keep data, whole-stack lifecycle, and the policy refusing
//! what a stack may not do before anything exists.

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::StatusCode;
use shared::v1::{
    App, AppKind, AppStatus, CreatedApp, Deployment, DeploymentStatus, ServiceHealth, ServiceState,
};

async fn deploy_stack(server: &Server, name: &str, marker: &str) -> Deployment {
    let response = server
        .create_app(
            name,
            &format!("/{name}"),
            apps::two_service_stack(marker, None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let created: CreatedApp = response.json().await.unwrap();
    assert_eq!(created.deployment.kind, AppKind::Compose);
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{}",
        server.deployment_log(deployment.id).await
    );
    deployment
}

async fn app(server: &Server, name: &str) -> App {
    server
        .get(&format!("/api/v1/apps/{name}"))
        .await
        .json()
        .await
        .unwrap()
}

fn container(server: &Server, app: &str, deployment: i64, service: &str) -> String {
    format!("{}_{app}_{deployment}_{service}", server.instance)
}

#[tokio::test]
async fn a_two_service_stack_is_routed_reaches_its_backend_by_name_and_keeps_its_volume() {
    let server = Server::start(ServerOptions::default()).await;
    let deployment = deploy_stack(&server, "shop", "stack one").await;

    // web answers through Traefik with what it fetched from `backend` by service name; backend
    // was healthy first (web's depends_on says service_healthy), and wrote one boot line.
    let (_, body) = server
        .wait_proxy_body("/shop/cgi-bin/boots", "stack one\n", true)
        .await;
    assert_eq!(body, "stack one\nboot\n");

    let shown = app(&server, "shop").await;
    assert_eq!(shown.kind, AppKind::Compose);
    assert_eq!(shown.status, AppStatus::Running);
    assert_eq!(shown.port, Some(8080));
    let names: Vec<&str> = shown.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["backend", "web"], "start order");
    let backend = &shown.services[0];
    assert_eq!(
        (backend.state, backend.health, backend.main),
        (ServiceState::Running, Some(ServiceHealth::Healthy), false)
    );
    let web = &shown.services[1];
    assert_eq!((web.state, web.main), (ServiceState::Running, true));

    // Docker's view: Compose's labels, the same hardening on every service, and only the main
    // service on the network the proxy reaches it by (the app's own edge network).
    let web_name = container(&server, "shop", deployment.id, "web");
    let backend_name = container(&server, "shop", deployment.id, "backend");
    for name in [&web_name, &backend_name] {
        assert_eq!(
            docker::inspect(
                name,
                "{{index .Config.Labels \"com.docker.compose.project\"}}"
            ),
            "shop"
        );
        assert_eq!(
            docker::inspect(
                name,
                "{{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.Privileged}}"
            ),
            "[ALL] [no-new-privileges:true] 536870912 100 false"
        );
    }
    assert_eq!(
        docker::inspect(
            &backend_name,
            "{{index .Config.Labels \"com.docker.compose.service\"}}"
        ),
        "backend"
    );
    let traefik_network = format!("{}_shop_edge", server.instance);
    let networks_of = |name: &str| {
        docker::inspect(
            name,
            "{{range $net, $_ := .NetworkSettings.Networks}}{{$net}} {{end}}",
        )
    };
    assert!(
        networks_of(&web_name).contains(&traefik_network),
        "{}",
        networks_of(&web_name)
    );
    assert!(
        !networks_of(&backend_name).contains(&traefik_network),
        "{}",
        networks_of(&backend_name)
    );
    assert_eq!(
        docker::inspect(&backend_name, "{{index .Config.Labels \"traefik.enable\"}}"),
        "false"
    );

    // Restart the whole stack: the volume keeps the first boot's line.
    let response = server.post("/api/v1/apps/shop/restart").await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, body) = server
        .wait_proxy_body("/shop/cgi-bin/boots", "boot\nboot\n", true)
        .await;
    assert_eq!(body, "stack one\nboot\nboot\n");

    // Stop acts on every service, start brings the stack back.
    let stopped: App = server
        .post("/api/v1/apps/shop/stop")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stopped.status, AppStatus::Stopped);
    assert!(
        stopped
            .services
            .iter()
            .all(|s| s.state == ServiceState::Exited),
        "{:?}",
        stopped.services
    );
    let started: App = server
        .post("/api/v1/apps/shop/start")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(started.status, AppStatus::Running, "{:?}", started.services);
    server
        .wait_proxy_body("/shop/cgi-bin/boots", "boot\nboot\nboot\n", true)
        .await;
}

#[tokio::test]
async fn a_one_shot_job_completes_before_the_service_that_waits_for_it() {
    let server = Server::start(ServerOptions::default()).await;
    let compose = r#"services:
  migrate:
    build: .
    command: ["/bin/busybox", "sh", "-c", "echo migrated > /data/index.html"]
    volumes: ["data:/data"]
  web:
    build: .
    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/data"]
    expose: ["8080"]
    volumes: ["data:/data:ro"]
    depends_on:
      migrate:
        condition: service_completed_successfully
volumes:
  data:
"#;
    let zip = apps::zip_of(&[
        ("compose.yaml", 0o644, compose.as_bytes().to_vec()),
        (
            "Dockerfile",
            0o644,
            b"FROM scratch\nCOPY busybox /bin/busybox\n".to_vec(),
        ),
        ("busybox", 0o755, std::fs::read("/bin/busybox").unwrap()),
    ]);
    let created: CreatedApp = server
        .create_app("jobs", "/jobs", zip)
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{}",
        server.deployment_log(deployment.id).await
    );
    let (_, body) = server.wait_proxy_body("/jobs/", "migrated", true).await;
    assert_eq!(body, "migrated\n");

    // The job ran once and is done: the stack counts as running, the job is not restarted.
    let shown = app(&server, "jobs").await;
    assert_eq!(shown.status, AppStatus::Running, "{:?}", shown.services);
    let job = &shown.services[0];
    assert_eq!(
        (job.name.as_str(), job.state, job.exit_code, job.one_shot),
        ("migrate", ServiceState::Exited, Some(0), true)
    );
    let job_container = container(&server, "jobs", deployment.id, "migrate");
    assert_eq!(
        docker::inspect(&job_container, "{{.HostConfig.RestartPolicy.Name}}"),
        "no"
    );
}

#[tokio::test]
async fn services_run_images_already_on_the_host_and_a_missing_one_fails_by_name() {
    let server = Server::start(ServerOptions::default()).await;
    // An image the operator built (or pulled) earlier; the test's instance prefix gets it cleaned.
    let image = format!("{}/local-web:v1", server.instance);
    docker::build_image(
        &image,
        &[
            (
                "Dockerfile",
                0o644,
                b"FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n".to_vec(),
            ),
            ("busybox", 0o755, std::fs::read("/bin/busybox").unwrap()),
            ("www/index.html", 0o644, b"from a local image\n".to_vec()),
        ],
    );
    let stack = |image: &str| {
        apps::compose_only(&format!(
            "services:\n  web:\n    image: {image}\n    command: [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n    ports: [\"8080\"]\n"
        ))
    };
    // A managed volume chosen at deploy time goes to the main service.
    assert_eq!(
        server.create_volume("assets").await.status(),
        StatusCode::CREATED
    );
    let created: CreatedApp = server
        .create_app_with(
            "local",
            "/local",
            stack(&image),
            &[("mounts", r#"[{"volume": "assets", "target": "/assets"}]"#)],
        )
        .await
        .json()
        .await
        .unwrap();
    let first = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        first.status,
        DeploymentStatus::Running,
        "{}",
        server.deployment_log(first.id).await
    );
    server
        .wait_proxy_body("/local/", "from a local image", true)
        .await;
    assert_eq!(
        docker::inspect(
            &container(&server, "local", first.id, "web"),
            "{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}"
        ),
        format!("{}.assets /assets true", server.instance)
    );

    // Not on the host and no registry answers: the deployment fails naming the image, and the
    // running version is untouched.
    let missing = "registry.invalid/nothing:1";
    let failed: Deployment = server
        .redeploy("local", stack(missing))
        .await
        .json()
        .await
        .unwrap();
    let failed = server.wait_deployment(failed.id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(error.contains(&format!("cannot pull {missing}")), "{error}");
    let (_, body) = server.via_proxy("/local/").await;
    assert_eq!(body, "from a local image\n");
    // A pulled or local image is not Milkcrate's: deleting the app leaves it.
    assert_eq!(
        server.delete("/api/v1/apps/local").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(docker::images_named(&image), std::slice::from_ref(&image));
}

#[tokio::test]
async fn a_broken_redeploy_keeps_the_old_stack_serving() {
    let server = Server::start(ServerOptions::default()).await;
    let v1 = deploy_stack(&server, "steady", "version one").await;
    server
        .wait_proxy_body("/steady/cgi-bin/boots", "version one", true)
        .await;

    // A file the policy refuses: nothing changes.
    let hostile = "services:\n  web:\n    build: .\n    privileged: true\n";
    let response = server.redeploy("steady", apps::compose_only(hostile)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body.to_string().contains("services.web.privileged"),
        "{body}"
    );

    // A stack whose backend never becomes healthy: the deployment fails and the running version
    // (stopped first, since both write the same volume) serves again.
    let broken = apps::two_service_stack(
        "version two",
        Some("#!/bin/busybox sh\necho backend refuses to start\nexit 4\n"),
    );
    let failed: Deployment = server
        .redeploy("steady", broken)
        .await
        .json()
        .await
        .unwrap();
    let failed = server.wait_deployment(failed.id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("`backend`"), "{error}");
    assert!(error.contains("backend refuses to start"), "{error}");

    let (_, body) = server
        .wait_proxy_body("/steady/cgi-bin/boots", "version one", true)
        .await;
    assert!(body.starts_with("version one\nboot\n"), "{body}");
    let shown = app(&server, "steady").await;
    assert_eq!(shown.current_deployment.map(|d| d.id), Some(v1.id));
    assert_eq!(shown.status, AppStatus::Running, "{:?}", shown.services);
    // Nothing of the failed version is left.
    let failed_label = format!("milkcrate.deployment={}", failed.id);
    assert!(docker::containers_with(&[&server.label(), &failed_label]).is_empty());
    assert!(docker::networks_with(&[&server.label(), &failed_label]).is_empty());
}

#[tokio::test]
async fn delete_removes_the_whole_stack_and_its_volumes_only_when_asked() {
    let server = Server::start(ServerOptions::default()).await;
    deploy_stack(&server, "gone", "to delete").await;
    let app_label = "milkcrate.app=gone";
    assert_eq!(
        docker::containers_with(&[&server.label(), app_label]).len(),
        2
    );
    assert_eq!(docker::volumes_with(&[&server.label(), app_label]).len(), 1);

    // Without `volumes=true` the data stays.
    let response = server.delete("/api/v1/apps/gone").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(docker::containers_with(&[&server.label(), app_label]).is_empty());
    assert!(docker::networks_with(&[&server.label(), app_label]).is_empty());
    assert!(docker::app_images(&server.instance).is_empty());
    assert_eq!(
        docker::volumes_with(&[&server.label(), app_label]),
        [format!("{}_gone_data", server.instance)]
    );

    // Created again under the same name, the stack finds its data.
    deploy_stack(&server, "gone", "back again").await;
    let (_, body) = server
        .wait_proxy_body("/gone/cgi-bin/boots", "back again", true)
        .await;
    assert_eq!(body, "back again\nboot\nboot\n");

    let response = server.delete("/api/v1/apps/gone?volumes=true").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for objects in [
        docker::containers_with(&[&server.label(), app_label]),
        docker::networks_with(&[&server.label(), app_label]),
        docker::volumes_with(&[&server.label(), app_label]),
        docker::app_images(&server.instance),
    ] {
        assert!(objects.is_empty(), "left behind: {objects:?}");
    }
    server
        .wait_proxy_status("/gone/", StatusCode::NOT_FOUND)
        .await;
}

/// Uploads `compose` as a new app and checks it is refused naming `path`, with nothing created.
async fn refused(compose: &str, path: &str) {
    let server = Server::start(ServerOptions::api_only()).await;
    let response = server
        .create_app("hostile", "/hostile", apps::compose_only(compose))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_archive", "{body}");
    let problems: Vec<String> = body["fields"]["file"]
        .as_array()
        .unwrap_or_else(|| panic!("problems listed: {body}"))
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    assert!(
        problems.iter().any(|p| p.starts_with(&format!("{path}:"))),
        "`{path}` missing from {problems:?}"
    );
    let apps: Vec<serde_json::Value> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert!(apps.is_empty());
    let label = server.label();
    for objects in [
        docker::containers_with(&[&label]),
        docker::networks_with(&[&label, "milkcrate.app=hostile"]),
        docker::volumes_with(&[&label]),
        docker::app_images(&server.instance),
    ] {
        assert!(
            objects.is_empty(),
            "created despite the refusal: {objects:?}"
        );
    }
}

/// A service `web` with the given extra lines.
fn web(extra: &str) -> String {
    format!("services:\n  web:\n    image: example/web\n    expose: [\"8080\"]\n{extra}")
}

macro_rules! refuses {
    ($($test:ident: $compose:expr => $path:expr;)*) => {$(
        #[tokio::test]
        async fn $test() {
            refused(&$compose, $path).await;
        }
    )*};
}

refuses! {
    refuses_privileged: web("    privileged: true\n") => "services.web.privileged";
    refuses_cap_add_beyond_net_bind_service: web("    cap_add: [NET_BIND_SERVICE, SYS_ADMIN]\n") => "services.web.cap_add[1]";
    refuses_devices: web("    devices: [\"/dev/sda:/dev/sda\"]\n") => "services.web.devices";
    refuses_host_network: web("    network_mode: host\n") => "services.web.network_mode";
    refuses_host_pid: web("    pid: host\n") => "services.web.pid";
    refuses_host_ipc: web("    ipc: host\n") => "services.web.ipc";
    refuses_host_uts: web("    uts: host\n") => "services.web.uts";
    refuses_host_userns: web("    userns_mode: host\n") => "services.web.userns_mode";
    refuses_unconfined_security_opt: web("    security_opt: [\"seccomp:unconfined\"]\n") => "services.web.security_opt[0]";
    refuses_disabled_labels_security_opt: web("    security_opt: [\"label:disable\"]\n") => "services.web.security_opt[0]";
    refuses_sysctls: web("    sysctls:\n      net.core.somaxconn: 1024\n") => "services.web.sysctls";
    refuses_cgroup_parent: web("    cgroup_parent: /system.slice\n") => "services.web.cgroup_parent";
    refuses_the_docker_socket: web("    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n") => "services.web.volumes[0]";
    refuses_host_bind_mounts: web("    volumes:\n      - type: bind\n        source: /etc\n        target: /host-etc\n") => "services.web.volumes[0]";
    refuses_volume_driver_opts: format!("{}volumes:\n  data:\n    driver_opts:\n      type: nfs\n", web("    volumes: [\"data:/data\"]\n")) => "volumes.data.driver_opts";
    refuses_external_volumes: format!("{}volumes:\n  data:\n    external: true\n", web("    volumes: [\"data:/data\"]\n")) => "volumes.data.external";
    refuses_external_networks: format!("{}networks:\n  outside:\n    external: true\n", web("    networks: [outside]\n")) => "networks.outside.external";
    refuses_extends: web("    extends:\n      service: base\n") => "services.web.extends";
    refuses_include: format!("include:\n  - other.yaml\n{}", web("")) => "include";
    refuses_build_context_outside_the_zip: "services:\n  web:\n    build: ../elsewhere\n    expose: [\"8080\"]\n" => "services.web.build";
    refuses_traefik_labels: web("    labels:\n      traefik.http.routers.evil.rule: PathPrefix(`/`)\n") => "services.web.labels.traefik.http.routers.evil.rule";
    refuses_milkcrate_labels: web("    labels:\n      milkcrate.app: other\n") => "services.web.labels.milkcrate.app";
    refuses_unknown_keys: web("    frobnicate: true\n") => "services.web.frobnicate";
}

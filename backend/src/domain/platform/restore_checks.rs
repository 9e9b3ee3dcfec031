//! What a restore accepts. A backup is hostile until checked: its checksums only prove it was not
//! damaged, not who made it. So every row of its database passes the rules the API applies
//! (names, routes, limits within this platform's maximums, mounts, settings), and every image it
//! carries must be one of this instance's app images, as the image archive itself says, with no
//! label that would steer the proxy or Milkcrate. Pure: the caller reads, this judges.

use std::collections::{HashMap, HashSet};

use crate::{
    config::LimitsConfig,
    db::entities::{app, app_domain, app_mount, certificate, deployment, setting, volume},
    domain::{Names, deploy::images::parse_tag},
    runtime::{ArchivedImage, labels},
};

/// The settings a backup may carry.
const KNOWN_SETTINGS: [&str; 4] = [
    "admin_password_hash",
    "admin_password_version",
    "default_home_route",
    "secrets_key_check",
];

/// The rows of a backup's database.
pub struct Rows {
    pub apps: Vec<app::Model>,
    pub deployments: Vec<deployment::Model>,
    pub mounts: Vec<app_mount::Model>,
    pub volumes: Vec<volume::Model>,
    pub settings: Vec<setting::Model>,
    pub domains: Vec<app_domain::Model>,
    pub certificates: Vec<certificate::Model>,
}

/// Every rule a row breaks, as `what: why`.
pub fn row_problems(rows: &Rows, names: &Names, limits: &LimitsConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let mut apps_by_id: HashMap<i64, &app::Model> = HashMap::new();
    let max_memory = (limits.memory_mb * 1024 * 1024) as i64;
    let max_cpus = (limits.cpus * 1e9) as i64;
    let max_pids = i64::from(limits.pids);
    for app in &rows.apps {
        let what = format!("app `{}`", app.name);
        if shared::validation::app_name(&app.name).as_deref() != Ok(app.name.as_str()) {
            problems.push(format!("{what}: not a valid app name"));
        }
        match shared::validation::route(&app.route) {
            Ok(route) if route == app.route => {}
            Ok(_) => problems.push(format!("{what}: route `{}` is not normalised", app.route)),
            Err(e) => problems.push(format!("{what}: route `{}` {e}", app.route)),
        }
        for (limit, value, max) in [
            ("memory", app.memory_bytes, max_memory),
            ("CPU", app.nano_cpus, max_cpus),
            ("PIDs", app.pids, max_pids),
        ] {
            if value <= 0 || value > max {
                problems.push(format!(
                    "{what}: its {limit} limit ({value}) is outside this platform's (1 to {max})"
                ));
            }
        }
        apps_by_id.insert(app.id, app);
    }
    let routes: HashSet<&str> = rows.apps.iter().map(|a| a.route.as_str()).collect();
    let deployments: HashMap<i64, &deployment::Model> =
        rows.deployments.iter().map(|d| (d.id, d)).collect();
    for app in &rows.apps {
        if let Some(current) = app.current_deployment_id
            && deployments.get(&current).is_none_or(|d| d.app_id != app.id)
        {
            problems.push(format!(
                "app `{}`: its current deployment {current} is not one of its own",
                app.name
            ));
        }
    }
    for dep in &rows.deployments {
        let Some(app) = apps_by_id.get(&dep.app_id) else {
            problems.push(format!("deployment {}: belongs to no app", dep.id));
            continue;
        };
        if let Some(image) = &dep.image
            && parse_tag(names.instance(), image).is_none_or(|owned| owned.app != app.name)
        {
            problems.push(format!(
                "deployment {}: image `{image}` is not one of `{}`'s",
                dep.id, app.name
            ));
        }
    }
    let volume_names: HashSet<&str> = rows.volumes.iter().map(|v| v.name.as_str()).collect();
    for v in &rows.volumes {
        if shared::validation::volume_name(&v.name).as_deref() != Ok(v.name.as_str()) {
            problems.push(format!("volume `{}`: not a valid volume name", v.name));
        }
    }
    for m in &rows.mounts {
        if !apps_by_id.contains_key(&m.app_id) {
            problems.push(format!("mount {}: belongs to no app", m.id));
        }
        if !volume_names.contains(m.volume.as_str()) {
            problems.push(format!(
                "mount {}: volume `{}` is not in the backup",
                m.id, m.volume
            ));
        }
        if shared::validation::mount_target(&m.target).as_deref() != Ok(m.target.as_str()) {
            problems.push(format!(
                "mount {}: target `{}` is not allowed",
                m.id, m.target
            ));
        }
    }
    let is_host = |host: &str| {
        shared::validation::domains(&[host.to_string()], None).is_ok_and(|h| h == [host])
    };
    for d in &rows.domains {
        if !apps_by_id.contains_key(&d.app_id) {
            problems.push(format!("domain `{}`: belongs to no app", d.host));
        }
        if !is_host(&d.host) {
            problems.push(format!("domain `{}`: not a valid host name", d.host));
        }
    }
    for c in &rows.certificates {
        if !is_host(&c.host) {
            problems.push(format!("certificate `{}`: not a valid host name", c.host));
        } else if !super::certificate_check::covers(&c.host, &c.chain) {
            problems.push(format!(
                "certificate `{}`: its chain does not cover the host",
                c.host
            ));
        }
    }
    for s in &rows.settings {
        if !KNOWN_SETTINGS.contains(&s.key.as_str()) {
            problems.push(format!("setting `{}`: unknown", s.key));
        } else if s.key == "default_home_route" && !routes.contains(s.value.as_str()) {
            problems.push(format!(
                "setting `default_home_route`: `{}` is no app's route",
                s.value
            ));
        }
    }
    problems
}

/// Every rule the images in a backup break: tags that are not this instance's images of the
/// backup's apps (a `traefik:…` tag would replace the proxy's image), labels reserved to Milkcrate.
pub fn image_problems(
    images: &[ArchivedImage],
    names: &Names,
    apps: &HashSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for image in images {
        if image.tags.is_empty() {
            problems.push("an image without a name".to_string());
        }
        for tag in &image.tags {
            if parse_tag(names.instance(), tag).is_none_or(|owned| !apps.contains(&owned.app)) {
                problems.push(format!(
                    "image `{tag}`: not one of this instance's app images"
                ));
            }
        }
        if let Some(key) = image.labels.keys().find(|k| labels::is_reserved_label(k)) {
            problems.push(format!(
                "image `{}`: sets the label `{key}`, which belongs to Milkcrate",
                image.tags.join(", ")
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: i64, name: &str, route: &str) -> app::Model {
        app::Model {
            id,
            name: name.into(),
            route: route.into(),
            desired_state: app::DesiredState::Running,
            current_deployment_id: None,
            memory_bytes: 512 * 1024 * 1024,
            nano_cpus: 500_000_000,
            pids: 100,
            created_at: chrono::Utc::now(),
            vars: "[]".into(),
            build_args: "[]".into(),
            health_path: None,
        }
    }

    fn rows(apps: Vec<app::Model>) -> Rows {
        Rows {
            apps,
            deployments: Vec::new(),
            mounts: Vec::new(),
            volumes: Vec::new(),
            settings: Vec::new(),
            domains: Vec::new(),
            certificates: Vec::new(),
        }
    }

    fn problems_of(rows: &Rows) -> String {
        row_problems(rows, &Names::new("mc"), &LimitsConfig::default()).join("\n")
    }

    #[test]
    fn rows_the_api_would_accept_pass() {
        let mut good = rows(vec![app(1, "blog", "/blog")]);
        good.settings.push(setting::Model {
            key: "default_home_route".into(),
            value: "/blog".into(),
        });
        assert_eq!(problems_of(&good), "");
    }

    #[test]
    fn hostile_rows_are_named() {
        let mut unlimited = app(2, "free", "/free");
        unlimited.memory_bytes = 0;
        unlimited.pids = 1_000_000;
        let mut hostile = rows(vec![
            app(1, "../etc", "/api"),
            unlimited,
            app(3, "shop", "/shop"),
        ]);
        hostile.settings.push(setting::Model {
            key: "default_home_route".into(),
            value: "//evil.example".into(),
        });
        hostile.settings.push(setting::Model {
            key: "surprise".into(),
            value: "x".into(),
        });
        hostile.mounts.push(app_mount::Model {
            id: 1,
            app_id: 3,
            volume: "ghost".into(),
            target: "/proc/x".into(),
            read_only: false,
        });
        let problems = problems_of(&hostile);
        for expected in [
            "app `../etc`: not a valid app name",
            "app `../etc`: route `/api`",
            "app `free`: its memory limit (0)",
            "app `free`: its PIDs limit (1000000)",
            "`//evil.example` is no app's route",
            "setting `surprise`: unknown",
            "volume `ghost` is not in the backup",
            "target `/proc/x` is not allowed",
        ] {
            assert!(
                problems.contains(expected),
                "`{expected}` missing from:\n{problems}"
            );
        }
    }

    #[test]
    fn images_must_be_this_instances_app_images_without_reserved_labels() {
        let names = Names::new("mc");
        let apps = HashSet::from(["blog".to_string()]);
        let image = |tag: &str, label: Option<&str>| ArchivedImage {
            tags: vec![tag.into()],
            labels: label
                .map(|l| HashMap::from([(l.to_string(), "x".to_string())]))
                .unwrap_or_default(),
        };
        assert!(image_problems(&[image("mc/blog:3", None)], &names, &apps).is_empty());
        for (bad, why) in [
            (image("traefik:v3.7.15", None), "not one of this instance's"),
            (image("other/blog:3", None), "not one of this instance's"),
            (image("mc/shop:3", None), "not one of this instance's"),
            (
                image("mc/blog:3", Some("traefik.http.routers.x.rule")),
                "sets the label",
            ),
        ] {
            let problems = image_problems(&[bad], &names, &apps).join("\n");
            assert!(problems.contains(why), "{problems}");
        }
    }
}

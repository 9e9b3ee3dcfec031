//! Independent checks of Docker's state through the docker CLI: the tests observe what
//! Milkcrate did without going through Milkcrate.

use std::process::Command;

/// Runs `docker ARGS`, asserting success; returns its trimmed output.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn lines(text: String) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `docker <command> --filter label=… --format <format>`, one line per object.
fn listed(command: &[&str], labels: &[&str], format: &str) -> Vec<String> {
    let filters: Vec<String> = labels.iter().map(|l| format!("label={l}")).collect();
    let mut args: Vec<&str> = command.to_vec();
    for filter in &filters {
        args.extend(["--filter", filter]);
    }
    args.extend(["--format", format]);
    lines(docker(&args))
}

/// Names of containers (any state) carrying every `label=value` of `labels`. Tests scope every
/// lookup by their instance's label: another Milkcrate may share the daemon.
pub fn containers_with(labels: &[&str]) -> Vec<String> {
    listed(&["ps", "-a"], labels, "{{.Names}}")
}

/// `repository:tag` of images whose name matches `reference` (e.g. `instance/*`).
pub fn images_named(reference: &str) -> Vec<String> {
    let format = "{{.Repository}}:{{.Tag}}";
    let filter = format!("reference={reference}");
    lines(docker(&["images", "--filter", &filter, "--format", format]))
}

/// This test instance's app images (Milkcrate names them `<instance>/<app>:<deployment>`).
pub fn app_images(instance: &str) -> Vec<String> {
    images_named(&format!("{instance}/*"))
}

/// Names of networks carrying every `label=value` of `labels`.
pub fn networks_with(labels: &[&str]) -> Vec<String> {
    listed(&["network", "ls"], labels, "{{.Name}}")
}

/// Names of volumes carrying every `label=value` of `labels`.
pub fn volumes_with(labels: &[&str]) -> Vec<String> {
    listed(&["volume", "ls"], labels, "{{.Name}}")
}

/// Builds `tag` from a context of `(path, mode, contents)` files, as an operator would by hand.
pub fn build_image(tag: &str, files: &[(&str, u32, Vec<u8>)]) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, mode, data) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, data).expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(*mode)).expect("chmod");
    }
    docker(&["build", "-q", "-t", tag, &dir.path().display().to_string()]);
}

/// `docker inspect -f FORMAT NAME`.
pub fn inspect(name: &str, format: &str) -> String {
    docker(&["inspect", "-f", format, name])
}

/// Removes everything labelled with the instance; used when a test ends, pass or fail.
pub fn remove_instance(instance: &str) {
    let label = format!("milkcrate.instance={instance}");
    for c in containers_with(&[&label]) {
        let _ = Command::new("docker").args(["rm", "-f", &c]).output();
    }
    for i in app_images(instance) {
        let _ = Command::new("docker").args(["rmi", "-f", &i]).output();
    }
    // By id: two networks may share a name.
    let ids = docker(&["network", "ls", "-q", "--filter", &format!("label={label}")]);
    for n in lines(ids) {
        let _ = Command::new("docker").args(["network", "rm", &n]).output();
    }
    for v in volumes_with(&[&label]) {
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f", &v])
            .output();
    }
}

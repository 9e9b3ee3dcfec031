//! The pinned tools of `tools/` (installed by `scripts/tools-env.sh`): Schemathesis, the client
//! generators, `tsc`. Run as child processes with their output kept for the assertion message.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// `tools/<relative>`, which must exist.
pub fn tool(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tools")
        .join(relative);
    assert!(
        path.exists(),
        "{} is missing: run scripts/tools-env.sh",
        path.display()
    );
    path
}

/// Runs `command` to the end off the async runtime; its success and everything it printed.
pub async fn run(mut command: Command) -> (bool, String) {
    let shown = format!("{command:?}");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the tool's thread")
        .unwrap_or_else(|e| panic!("{shown} does not start: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

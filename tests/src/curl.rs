//! HTTPS as a client checks it: `curl --resolve` to a port on 127.0.0.1, the chain verified
//! against a given root (Pebble's, or the test CA of an uploaded certificate).

use std::{path::Path, process::Command};

/// `GET https://host:port/path` with the chain verified against `root`: status line, headers
/// and body, or `None` when the handshake or the verification fails.
pub fn verified_get(port: u16, host: &str, root: &Path, path: &str) -> Option<String> {
    let output = Command::new("curl")
        .args(["-s", "-i", "--max-time", "5", "--resolve"])
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg("--cacert")
        .arg(root)
        .arg(format!("https://{host}:{port}{path}"))
        .output()
        .expect("curl runs");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

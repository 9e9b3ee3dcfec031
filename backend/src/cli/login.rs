//! `milkcrate login`, and the file it writes: the server's address and a token, readable by the
//! user only (`$XDG_CONFIG_HOME/milkcrate/cli.toml`, else `~/.config/milkcrate/cli.toml`).

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::{ServerArgs, client::Client};

/// What `milkcrate login` saves.
#[derive(Serialize, Deserialize, Default)]
pub struct Saved {
    pub url: Option<String>,
    pub token: Option<String>,
}

/// The file's path, from the environment the user's tools agree on.
pub fn path() -> Option<PathBuf> {
    let var = |key| std::env::var_os(key).filter(|v| !v.is_empty());
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("milkcrate").join("cli.toml"))
}

/// What the file holds; nothing when there is none.
pub fn load() -> anyhow::Result<Saved> {
    let Some(path) = path() else {
        return Ok(Saved::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub async fn login(mut server: ServerArgs) -> anyhow::Result<()> {
    if server.url.is_none() {
        server.url = load()?.url;
    }
    let Some(url) = server.url.clone() else {
        bail!("give the server's address: milkcrate login --url https://milkcrate.example.com");
    };
    let token = match server.token.take() {
        Some(token) => token,
        None => read_token()?,
    };
    let client = Client::new(&url, &token)?;
    // A read every scope may do: the token works, or the server says why not.
    let apps = client.apps().await.context("checking the token")?;
    let path = path().context("neither XDG_CONFIG_HOME nor HOME is set")?;
    write_private(
        &path,
        &toml::to_string(&Saved {
            url: Some(client.base().to_string()),
            token: Some(token),
        })?,
    )?;
    println!(
        "logged in to {} ({} apps); saved in {}",
        client.base(),
        apps.len(),
        path.display()
    );
    Ok(())
}

/// One line from standard input (prompted on a terminal): a token never has to be an argument.
fn read_token() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("API token (create one in the dashboard's Tokens page): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let token = line.trim().to_string();
    if token.is_empty() {
        bail!("no token given: pass it on standard input, in MILKCRATE_TOKEN or with --token");
    }
    Ok(token)
}

/// Writes `text` to `path`, readable and writable by the user only, the folder too.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    // An existing file keeps its mode on open: narrow it before the token goes in.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

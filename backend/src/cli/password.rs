//! `milkcrate password`: a new admin password, set on this host in the database of
//! MILKCRATE_DATA_DIR, for when the old one is lost. Every session ends; API tokens keep working.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};

use crate::{auth::PasswordHasher, config::Config, db, domain::reset_admin_password};

/// Reads the new password from standard input (prompted on a terminal) and stores its hash.
pub async fn set_password(config: &Config) -> anyhow::Result<()> {
    let db_path = config.db_path();
    if !db_path.exists() {
        bail!(
            "no database at {}: point MILKCRATE_DATA_DIR at the data folder of the server",
            db_path.display()
        );
    }
    let password = read_password()?;
    shared::validation::new_password(&password).map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let db = db::connect(&db_path).await?;
    reset_admin_password(&db, &PasswordHasher::new(1), &password).await?;
    println!(
        "the admin password of {} is changed; every session was signed out (API tokens still work)",
        config.data_dir.display()
    );
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("new admin password (at least 8 characters; it is shown as you type): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

//! The `milkcrate` command.

use clap::{Parser, Subcommand};
use milkcrate::{
    cli::{self, ClientCommand},
    config::Config,
    telemetry,
};

#[derive(Parser)]
#[command(
    name = "milkcrate",
    version,
    about = "Deploy containerized apps from a ZIP, routed by Traefik"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default). Configuration comes from the environment; see docs/configuration.md.
    Serve,
    /// Check the configuration and exit, printing the effective settings (secrets hidden).
    CheckConfig,
    /// Write a backup (database, managed volumes, images of the running versions) to a file.
    /// Safe while the server runs.
    Backup {
        /// Where to write the `.tar.gz`.
        #[arg(long, short)]
        output: std::path::PathBuf,
    },
    /// Restore a backup into this (empty) instance: start it on a fresh data folder, or stop the
    /// server and point MILKCRATE_DATA_DIR at a new folder. The archive is checked whole first.
    Restore {
        /// The backup `.tar.gz`.
        #[arg(long, short)]
        input: std::path::PathBuf,
    },
    /// Set a new admin password in the database of MILKCRATE_DATA_DIR, on the server's host:
    /// the way back in when it is lost. Reads it from standard input. Sessions end; tokens stay.
    Password,
    #[command(flatten)]
    Client(ClientCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The client speaks to a server somewhere else: no server configuration, no log lines.
    if let Some(Command::Client(command)) = cli.command {
        return cli::run(command).await;
    }
    telemetry::init();
    let config = Config::load(|key| std::env::var(key).ok())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => milkcrate::serve(config).await,
        Command::CheckConfig => {
            println!("{config:#?}");
            Ok(())
        }
        Command::Backup { output } => {
            let platform = milkcrate::open_platform(&config).await?;
            let manifest = platform
                .backup(&output)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            println!(
                "backup written to {}: database, {} volume(s), {} image(s)",
                output.display(),
                manifest.volumes.len(),
                manifest.images.len()
            );
            Ok(())
        }
        Command::Password => cli::set_password(&config).await,
        Command::Client(_) => unreachable!("handled above"),
        Command::Restore { input } => {
            let platform = milkcrate::open_platform(&config).await?;
            let manifest = platform
                .restore(&input)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.describe()))?;
            println!(
                "restored the backup of {} ({} volume(s), {} image(s)) into {}",
                manifest.created_at,
                manifest.volumes.len(),
                manifest.images.len(),
                config.data_dir.display()
            );
            Ok(())
        }
    }
}

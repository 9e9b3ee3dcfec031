//! The `milkcrate` command.

use clap::{Parser, Subcommand};
use milkcrate::{config::Config, telemetry};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    let config = Config::load(|key| std::env::var(key).ok())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => milkcrate::serve(config).await,
        Command::CheckConfig => {
            println!("{config:#?}");
            Ok(())
        }
    }
}

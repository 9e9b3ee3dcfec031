//! `milkcrate` as a client of a Milkcrate server: `login`, `deploy`, `apps`, `logs`, `rollback`,
//! `certificate` through the HTTP API with an API token; and `password`, which works on the data
//! folder of the host it runs on (the recovery path). The server commands live in `main.rs`.

mod certificate;
mod client;
mod deploy;
mod dockerignore;
mod login;
mod pack;
mod password;
mod progress;
mod sse;

use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use password::set_password;

/// Where the server is and the token to use. Each comes from the flag, else the environment,
/// else the file `milkcrate login` wrote.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Milkcrate's address, e.g. `https://milkcrate.example.com` or `http://host:5001`.
    #[arg(long, env = "MILKCRATE_URL")]
    url: Option<String>,
    /// An API token (`mc_...`). Prefer MILKCRATE_TOKEN or `milkcrate login`: other users of the
    /// host can see a command's arguments.
    #[arg(long, env = "MILKCRATE_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// The client commands.
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Save the server's address and an API token for the other commands (in
    /// `~/.config/milkcrate/cli.toml`, readable by you only). The token is read from
    /// --token, MILKCRATE_TOKEN or standard input, and checked against the server.
    Login {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Deploy a folder (zipped here, honouring its .dockerignore) or a ZIP: creates the app, or
    /// deploys a new version of it, follows the build and exits 0 once the version runs.
    Deploy {
        /// A folder holding a Dockerfile or compose file, or a `.zip`.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The app's name (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
        /// The route of a new app (default: `/<name>`); ignored when the app exists.
        #[arg(long)]
        route: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the apps and their status.
    Apps {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Print an app's output (the last 200 lines); with -f, keep printing new lines.
    Logs {
        name: String,
        #[arg(short, long)]
        follow: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Serve a host with your own certificate instead of one from the ACME server (the host must
    /// be an app's domain or the dashboard's; needs a token with the admin scope).
    Certificate {
        /// The host name, e.g. `shop.example.com`.
        host: String,
        /// The PEM chain: the host's certificate first, then the intermediates.
        #[arg(long)]
        chain: PathBuf,
        /// The PEM private key (unencrypted).
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Go back to an earlier deployment of an app (see the ids with the dashboard or the API).
    Rollback {
        name: String,
        /// The deployment to run again.
        deployment: i64,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// Runs a client command.
pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Login { server } => login::login(server).await,
        ClientCommand::Deploy {
            path,
            name,
            route,
            server,
        } => {
            let client = client::Client::connect(server)?;
            deploy::deploy(&client, &path, name, route).await
        }
        ClientCommand::Apps { server } => client::Client::connect(server)?.print_apps().await,
        ClientCommand::Logs {
            name,
            follow,
            server,
        } => {
            client::Client::connect(server)?
                .print_logs(&name, follow)
                .await
        }
        ClientCommand::Certificate {
            host,
            chain,
            key,
            server,
        } => {
            let client = client::Client::connect(server)?;
            certificate::upload(&client, &host, &chain, &key).await
        }
        ClientCommand::Rollback {
            name,
            deployment,
            server,
        } => {
            let client = client::Client::connect(server)?;
            deploy::rollback(&client, &name, deployment).await
        }
    }
}

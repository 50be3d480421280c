//! `onemap`: the Shanghai one-map spatial server.

use clap::{Parser, Subcommand};
use onemap_api::ServeConfig;

#[derive(Parser)]
#[command(
    name = "onemap",
    version,
    about = "Spatial core for Shanghai city agencies: features, tiles, one-map viewer"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP.
    Serve(ServeConfig),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(cfg) => {
            println!("onemap configuration: {cfg:#?}");
            let mut server = onemap_api::start(&cfg).await?;
            println!("onemap serving at http://{}/", server.addr);
            (&mut server.handle).await??;
        }
    }
    Ok(())
}

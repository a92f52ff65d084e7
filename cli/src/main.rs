//! The `psremote` command line: PowerShell remoting verbs (Invoke-Command, Enter-PSSession,
//! the WSMan: drive, Import/Export-PSSession) over the psremote runtime.

mod args;
mod catalog_cmd;
mod clixml_cmd;
mod conn;
mod console;
mod enter;
mod error;
mod invoke;
mod literal;
mod render;
mod wsman_cmd;

use clap::Parser;

use args::{Cli, Command};
use error::CliError;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => error::print(&e),
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32, CliError> {
    // The CLIXML converter needs no runtime.
    if let Command::Clixml(a) = &cli.command {
        return clixml_cmd::run(a);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        match &cli.command {
            Command::Invoke(a) => invoke::run(&cli.conn, a).await,
            Command::Enter(a) => enter::run(&cli.conn, a).await,
            Command::Wsman(a) => wsman_cmd::run(&cli.conn, a).await,
            Command::Commands(a) => catalog_cmd::commands(&cli.conn, a).await,
            Command::Metadata(a) => catalog_cmd::metadata(&cli.conn, a).await,
            Command::Export(a) => catalog_cmd::export(&cli.conn, a).await,
            Command::Clixml(a) => clixml_cmd::run(a),
        }
    })
}

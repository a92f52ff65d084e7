//! The `psremote` command line.

mod args;
mod literal;
mod render;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    eprintln!("psremote: {:?} not yet implemented", cli.command);
    std::process::exit(2);
}

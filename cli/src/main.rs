//! The `psremote` command line.

fn main() {
    eprintln!("psremote: not yet implemented");
    std::process::exit(2);
}

#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // ServiceStartMode has no such value.
    let _ = r.set_service("Spooler").startup_type(ServiceStartMode::Automatik).invoke().await;
    // and a string is not a ServiceStartMode
    let _ = r.set_service("Spooler").startup_type("Manual").invoke().await;
}

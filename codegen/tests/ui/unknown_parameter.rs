#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // Get-Service has no -Colour parameter.
    let _ = r.get_service().colour("red").invoke().await;
}

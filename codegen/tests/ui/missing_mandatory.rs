#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // Set-Service -Name is mandatory (Position 0): the method takes it.
    let _ = r.set_service().invoke().await;
}

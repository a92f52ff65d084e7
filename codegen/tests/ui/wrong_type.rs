#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // -Tail is an Int32.
    let _ = r.get_content(["a.txt"]).tail("five").invoke().await;
    // the typed output has no such field
    let s: Vec<ServiceController> = r.get_service().invoke().await.unwrap_or_default();
    let _ = s[0].colour;
}

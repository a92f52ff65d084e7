#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // -DisplayName belongs to the DisplayName set, not to the default set.
    let _ = r.get_service().name(["W*"]).display_name(["Windows Update"]).invoke().await;
    // and -InputObject is not in the DisplayName set.
    let services: Vec<ServiceController> = Vec::new();
    let _ = r.get_service_by_display_name(["Windows Update"]).input_object(services).invoke().await;
}

#[path = "remote.rs"]
#[allow(dead_code, unused_imports)]
mod remote;
use remote::*;

fn main() {}

async fn run(r: Remote) {
    // Get-Help has no parameter that takes pipeline input: nothing can be piped into it.
    let _ = r.get_service().pipe(r.get_help()).invoke().await;
    // Get-ChildItem's items bind none of Stop-Service's pipeline parameters (InputObject by
    // value takes a ServiceController).
    let _ = r.get_child_item().pipe(r.piped().stop_service()).invoke().await;
    // A downstream-only builder leaves its mandatory -InputObject to the pipeline: it can't run alone.
    let _ = r.piped().stop_service().invoke().await;
}

//! Generates the stubs from the checked-in metadata cache (no network at build time); cargo
//! reruns this when the cache changes.

fn main() {
    if let Err(e) = psremote_codegen::Builder::new()
        .metadata("../.psremote/peer.json")
        .commands(["Get-Service", "Restart-Service"])
        .write_to_out_dir("remote.rs")
    {
        println!("cargo::error={e}");
    }
}

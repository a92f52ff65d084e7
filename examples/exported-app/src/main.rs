//! Calls the typed stubs of `peer-commands`, the crate `psremote export` generated from
//! `examples/.psremote/peer.json`, on a `LazySession`: connection settings that connect on the
//! first call (like the module Export-PSSession writes).
//!
//! `PSREMOTE_URL=… PSREMOTE_USER=… PSREMOTE_PASSWORD=… cargo run` (Basic over HTTP only with
//! `PSREMOTE_ALLOW_UNENCRYPTED=1`); see Cargo.toml for generating the crate first.

use peer_commands::{GetDateOutput, GetProcessOutput, Remote};
use psremote_runtime::{AuthMethod, ConnectionInfo, LazySession};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let mut info = ConnectionInfo::new(var("PSREMOTE_URL")?)
        .credentials(var("PSREMOTE_USER")?, var("PSREMOTE_PASSWORD")?);
    if std::env::var_os("PSREMOTE_ALLOW_UNENCRYPTED").is_some() {
        info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
    }
    let lazy = LazySession::new(info);
    let remote = Remote::new(lazy.clone()); // nothing connects yet

    // Get-Process: outputs typed by the declared output types (Process, FileVersionInfo, …).
    let processes: Vec<_> = remote
        .get_process()
        .invoke()
        .await?
        .into_iter()
        .filter_map(|o| match o {
            GetProcessOutput::Process(p) => Some(p),
            _ => None,
        })
        .collect();
    for p in processes.iter().take(5) {
        println!(
            "process {} id={}",
            p.process_name.as_deref().unwrap_or("?"),
            p.id.map_or_else(|| "?".to_owned(), |i| i.to_string())
        );
    }
    // Get-Process -Id N: the `Id` parameter set, the id typed as i32.
    let first = processes.first().ok_or("no processes")?;
    let id = first.id.ok_or("a process without an Id")?;
    for o in remote.get_process_by_id([id]).invoke().await? {
        if let GetProcessOutput::Process(p) = o {
            println!("by-id {id} {}", p.process_name.as_deref().unwrap_or("?"));
        }
    }
    // Get-Date: System.DateTime, decoded.
    for o in remote.get_date().invoke().await? {
        if let GetDateOutput::DateTime(d) = o {
            println!("date {}", d.0);
        }
    }
    lazy.close().await?;
    Ok(())
}

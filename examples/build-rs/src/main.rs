//! Stubs written by build.rs (`psremote_codegen::Builder`), included with one macro, called
//! on an implicit session.
//!
//! `PSREMOTE_URL=… PSREMOTE_USER=… PSREMOTE_PASSWORD=… cargo run -p psremote-example-build-rs`
//! (Basic over HTTP only with `PSREMOTE_ALLOW_UNENCRYPTED=1`).

use psremote::{AuthMethod, ConnectionInfo, Session};

#[allow(dead_code)] // the catalog's other commands
mod remote {
    psremote::include_remote!("remote.rs");
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let mut info = ConnectionInfo::new(var("PSREMOTE_URL")?)
        .credentials(var("PSREMOTE_USER")?, var("PSREMOTE_PASSWORD")?);
    if std::env::var_os("PSREMOTE_ALLOW_UNENCRYPTED").is_some() {
        info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
    }
    let session = Session::connect(info).await?;
    let remote = remote::Remote::new(session.clone());
    // Get-Service -Name W* | Restart-Service -PassThru: one remote pipeline, typed output.
    let restarted = remote
        .get_service()
        .name(["W*"])
        .pipe(remote.piped().restart_service().pass_thru())
        .invoke()
        .await?;
    for s in &restarted {
        println!(
            "restarted {} status={}",
            s.service_name.as_deref().unwrap_or("?"),
            s.status.as_ref().map_or("?", |x| x.as_str())
        );
    }
    session.close().await?;
    Ok(())
}

//! `#[remote_commands]`: typed stubs from the metadata cache checked in under
//! `examples/.psremote/` (made with `psremote metadata HOST --out examples/.psremote/peer.json`),
//! run implicitly on a session that connects on first call.
//!
//! `PSREMOTE_URL=http://127.0.0.1:5985/wsman PSREMOTE_USER=… PSREMOTE_PASSWORD=…
//! cargo run --example macro_use` (Basic over HTTP only with `PSREMOTE_ALLOW_UNENCRYPTED=1`).

use psremote::{AuthMethod, ConnectionInfo, Session};

#[psremote::remote_commands(
    metadata = "examples/.psremote/peer.json",
    commands = ["Get-Service", "Stop-Service", "Start-Service"]
)]
mod peer {}

fn connection() -> Result<ConnectionInfo, String> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let mut info = ConnectionInfo::new(var("PSREMOTE_URL")?)
        .credentials(var("PSREMOTE_USER")?, var("PSREMOTE_PASSWORD")?);
    if std::env::var_os("PSREMOTE_ALLOW_UNENCRYPTED").is_some() {
        info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
    }
    Ok(info)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = Session::connect(connection()?).await?;
    let remote = peer::Remote::new(session.clone());

    // One typed call: ServiceController objects with their fields decoded.
    let services = remote.get_service().invoke().await?;
    for s in services.iter().take(5) {
        println!(
            "service {} status={} can_stop={}",
            s.service_name.as_deref().unwrap_or("?"),
            s.status.as_ref().map_or("?", |x| x.as_str()),
            s.can_stop.unwrap_or(false)
        );
    }
    let target = services
        .iter()
        .find(|s| {
            s.status.as_ref().map(|x| x.as_str()) == Some("Running") && s.can_stop == Some(true)
        })
        .and_then(|s| s.service_name.clone())
        .ok_or("no running service that can stop")?;

    // A remote pipeline from typed stubs: Get-Service | Stop-Service -PassThru, one round trip.
    let stopped = remote
        .get_service()
        .name([target.as_str()])
        .pipe(remote.piped().stop_service().pass_thru())
        .invoke()
        .await?;
    for s in &stopped {
        println!(
            "stopped {} status={}",
            s.service_name.as_deref().unwrap_or("?"),
            s.status.as_ref().map_or("?", |x| x.as_str())
        );
    }
    // And back.
    let started = remote
        .get_service()
        .name([target.as_str()])
        .pipe(remote.piped().start_service().pass_thru())
        .invoke()
        .await?;
    for s in &started {
        println!(
            "started {} status={}",
            s.service_name.as_deref().unwrap_or("?"),
            s.status.as_ref().map_or("?", |x| x.as_str())
        );
    }
    session.close().await?;
    Ok(())
}

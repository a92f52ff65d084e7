//! Quickstart: connect a session and invoke a command with a parameter, no generated code.
//!
//! `PSREMOTE_URL=http://127.0.0.1:5985/wsman PSREMOTE_USER=… PSREMOTE_PASSWORD=…
//! cargo run --example quickstart` (Basic over HTTP only with `PSREMOTE_ALLOW_UNENCRYPTED=1`).

use psremote::implicit::{self, Command};
use psremote::{AuthMethod, ConnectionInfo, Session};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let mut info = ConnectionInfo::new(var("PSREMOTE_URL")?)
        .credentials(var("PSREMOTE_USER")?, var("PSREMOTE_PASSWORD")?);
    if std::env::var_os("PSREMOTE_ALLOW_UNENCRYPTED").is_some() {
        info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
    }
    let session = Session::connect(info).await?;
    // Get-Service -Name W*: one Command with a named parameter, never script text.
    let output = session
        .invoke(Command::new("Get-Service").param("Name", "W*"))
        .await?;
    for v in &output {
        let o = implicit::object(v);
        let name: Option<String> = implicit::prop(&o, "Name");
        let status = o.get("Status").map(implicit::enum_text);
        println!(
            "service {} status={}",
            name.as_deref().unwrap_or("?"),
            status.as_deref().unwrap_or("?")
        );
    }
    session.close().await?;
    Ok(())
}

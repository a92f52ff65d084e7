//! Fan-out with generated stubs: the same typed call on several endpoints at once, each on its
//! own implicit session (connected on first call), results tagged with their endpoint.
//!
//! `PSREMOTE_URLS=http://h1:5985/wsman,http://h2:5985/wsman PSREMOTE_USER=… PSREMOTE_PASSWORD=…
//! cargo run --example fanout_stubs` (Basic over HTTP only with `PSREMOTE_ALLOW_UNENCRYPTED=1`).

use psremote::{AuthMethod, ConnectionInfo, Session};

#[psremote::remote_commands(metadata = "examples/.psremote/peer.json", commands = ["Get-Service"])]
mod peer {}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let urls = var("PSREMOTE_URLS")?;
    let (user, password) = (var("PSREMOTE_USER")?, var("PSREMOTE_PASSWORD")?);
    let basic = std::env::var_os("PSREMOTE_ALLOW_UNENCRYPTED").is_some();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls.split(',').filter(|u| !u.is_empty()) {
        let mut info = ConnectionInfo::new(url).credentials(user.clone(), password.clone());
        if basic {
            info = info.auth(AuthMethod::Basic).allow_unencrypted(true);
        }
        let url = url.to_owned();
        tasks.spawn(async move {
            let run = async {
                let session = Session::connect(info).await?;
                let remote = peer::Remote::new(session.clone());
                let running = remote.get_service().invoke().await?;
                session.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(running)
            };
            (url, run.await)
        });
    }
    let mut failed = false;
    while let Some(done) = tasks.join_next().await {
        let (url, result) = done?;
        match result {
            Ok(services) => {
                let running = services
                    .iter()
                    .filter(|s| s.status.as_ref().map(|x| x.as_str()) == Some("Running"))
                    .count();
                println!("{url}: services={} running={running}", services.len());
            }
            Err(e) => {
                failed = true;
                eprintln!("{url}: {e}");
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

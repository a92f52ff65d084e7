//! Against the loopback endpoint (tests/peer): the rich discovery script, GET_COMMAND_METADATA
//! on the restricted (NoLanguage) configuration, and generated stubs called on a live session
//! with typed outputs checked field by field. Skipped, saying why, when the endpoint is absent.

#[rustfmt::skip]
#[path = "ui/remote.rs"]
#[allow(dead_code)]
mod remote;

use std::time::{Duration, Instant};

use psremote_codegen::metadata::{Catalog, Source};
use psremote_codegen::{DISCOVERY_SCRIPT, Options, fidelity, generate_full, protocol};
use psremote_runtime::implicit::ImplicitSession;
use psremote_runtime::{AuthMethod, ConnectionInfo, Session};
use psremote_test_support::{PASSWORD, Peer, USER};

fn peer() -> Option<Peer> {
    match Peer::start(&["--allow-unencrypted", "--auth", "basic"]) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("SKIPPED: the loopback endpoint is not available: {e}");
            None
        }
    }
}

fn info(peer: &Peer) -> ConnectionInfo {
    let port = peer.ready.http_ports.first().copied().unwrap_or(0);
    ConnectionInfo::new(format!("http://127.0.0.1:{port}/wsman"))
        .auth(AuthMethod::Basic)
        .credentials(USER, PASSWORD)
        .allow_unencrypted(true)
        .operation_timeout(Duration::from_secs(5))
        .open_timeout(Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_script_builds_a_rich_catalog() {
    let Some(peer) = peer() else { return };
    let session = Session::connect(info(&peer)).await.expect("connects");
    let started = Instant::now();
    let lines = session
        .run_script_collect_strings(DISCOVERY_SCRIPT)
        .await
        .expect("discovery runs");
    let catalog = Catalog::from_discovery(&lines).expect("discovery output parses");
    eprintln!(
        "discovery: {} commands, {} types in {:?}",
        catalog.commands.len(),
        catalog.types.len(),
        started.elapsed()
    );
    assert_eq!(catalog.source, Source::Discovery);
    let gs = catalog
        .command("Get-Service")
        .expect("Get-Service discovered");
    assert!(gs.parameter_sets.len() >= 2, "parameter sets kept: {gs:?}");
    assert!(
        gs.output_types
            .iter()
            .any(|t| t.contains("ServiceController")),
        "{:?}",
        gs.output_types
    );
    let g = generate_full(&catalog, &Options::default());
    let r = fidelity::report(&g);
    eprintln!("endpoint catalog fidelity:\n{r}");
    assert_eq!(r.mandatory, r.mandatory_enforced);
    assert!(r.typed_parameters_pct() >= 90.0, "{r}");
    session.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_command_metadata_on_the_restricted_configuration() {
    let Some(peer) = peer() else { return };
    let session = Session::connect(info(&peer).configuration_name("Restricted"))
        .await
        .expect("connects to Restricted");
    // The restricted configuration refuses scripts: discovery must fall back to the protocol.
    assert!(
        session
            .run_script_collect_strings(DISCOVERY_SCRIPT)
            .await
            .is_err()
    );
    let values = session
        .get_command_metadata(&["*"])
        .await
        .expect("metadata");
    let catalog = protocol::from_values(&values).expect("converts");
    assert_eq!(catalog.source, Source::Protocol);
    assert!(!catalog.commands.is_empty());
    let typed = catalog
        .commands
        .iter()
        .flat_map(|c| c.parameter_sets.iter().flat_map(|s| s.parameters.iter()))
        .filter(|p| p.type_name.is_some())
        .count();
    assert!(typed > 0, "parameter types kept");
    session.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_stubs_run_with_typed_outputs() {
    let Some(peer) = peer() else { return };
    let session = Session::connect(info(&peer)).await.expect("connects");
    let remote = remote::Remote::new(ImplicitSession::new(session.clone()));
    let services = remote.get_service().invoke().await.expect("Get-Service");
    assert!(!services.is_empty());
    for s in &services {
        assert!(s.name.as_deref().is_some_and(|n| !n.is_empty()), "{s:?}");
        assert!(s.status.is_some(), "Status decoded as the enum: {s:?}");
        let value = psremote_runtime::implicit::Value::Object(s.object.clone());
        assert!(
            psremote_runtime::implicit::is_type(&value, remote::ServiceController::TYPE_NAME),
            "{:?}",
            s.object.type_names()
        );
    }
    let first = services[0].name.clone().expect("name");
    let one = remote
        .get_service()
        .name([first.as_str()])
        .invoke()
        .await
        .expect("by name");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].name.as_deref(), Some(first.as_str()));
    // An alias method runs the resolved command.
    let via_alias = remote
        .gsv()
        .name([first.as_str()])
        .invoke()
        .await
        .expect("gsv");
    assert_eq!(via_alias, one);
    session.close().await.ok();
}

/// The endpoint's 2,000-command catalog: discovery over loopback, then generation. A
/// benchmark (set `PSREMOTE_SCALE_DISCOVERY=1`), not part of the default run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_discovery_and_generation() {
    if std::env::var_os("PSREMOTE_SCALE_DISCOVERY").is_none() {
        eprintln!("SKIPPED: set PSREMOTE_SCALE_DISCOVERY=1 to run the 2000-command benchmark");
        return;
    }
    let peer = match Peer::start(&[
        "--allow-unencrypted",
        "--auth",
        "basic",
        "--catalog",
        "scale:2000",
    ]) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIPPED: the loopback endpoint is not available: {e}");
            return;
        }
    };
    let session = Session::connect(info(&peer)).await.expect("connects");
    let started = Instant::now();
    let lines = session
        .run_script_collect_strings(DISCOVERY_SCRIPT)
        .await
        .expect("discovery runs");
    let discovery = started.elapsed();
    let catalog = Catalog::from_discovery(&lines).expect("parses");
    let started = Instant::now();
    let g = generate_full(&catalog, &Options::default());
    let tokens = started.elapsed();
    let code = psremote_codegen::generate::format_items(&g.items);
    eprintln!(
        "scale: {} commands discovered in {discovery:?}; tokens {tokens:?}, formatted {:?}, {} lines",
        catalog.commands.len(),
        started.elapsed(),
        code.lines().count()
    );
    eprintln!("{}", fidelity::report(&g));
    assert!(catalog.commands.len() >= 2000);
    session.close().await.ok();
}

/// `Get-Service -Name X | Stop-Service -PassThru` from typed stubs: ONE CREATE_PIPELINE with
/// both commands (the endpoint counts one WS-Man Command request for it), the objects bound on
/// the server (Stop-Service -InputObject by value), the output typed by the last command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_stubs_run_as_one_remote_pipeline() {
    let Some(peer) = peer() else { return };
    let session = Session::connect(info(&peer)).await.expect("connects");
    let remote = remote::Remote::new(ImplicitSession::new(session.clone()));
    let services = remote.get_service().invoke().await.expect("Get-Service");
    let target = services
        .iter()
        .find(|s| {
            s.status.as_ref().map(|x| x.as_str()) == Some("Running") && s.can_stop == Some(true)
        })
        .and_then(|s| s.name.clone())
        .expect("a running service that can stop");

    let commands_before = command_requests(&peer);
    let stopped = remote
        .get_service()
        .name([target.as_str()])
        .pipe(remote.piped().stop_service().pass_thru())
        .invoke()
        .await
        .expect("Get-Service | Stop-Service");
    assert_eq!(
        command_requests(&peer) - commands_before,
        1,
        "both commands went in one pipeline (one WS-Man Command)"
    );
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert_eq!(stopped[0].name.as_deref(), Some(target.as_str()));
    assert_eq!(
        stopped[0].status.as_ref().map(|x| x.as_str()),
        Some("Stopped")
    );
    // The server's state changed: the stop really ran there.
    let now = remote
        .get_service()
        .name([target.as_str()])
        .invoke()
        .await
        .expect("Get-Service");
    assert_eq!(now[0].status.as_ref().map(|x| x.as_str()), Some("Stopped"));

    // By property name: the ServiceController's Name binds Stop-Service -Name (set Default);
    // three commands chained, typed by the last one.
    let chain = remote
        .get_service()
        .name([target.as_str()])
        .pipe(remote.get_service())
        .pipe(remote.piped().stop_service_by_default().pass_thru());
    let names: Vec<String> = chain.commands().iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["Get-Service", "Get-Service", "Stop-Service"]);
    let again = chain.invoke().await.expect("three commands");
    assert_eq!(again.len(), 1);
    session.close().await.ok();
}

/// The endpoint's count of WS-Man Command requests.
fn command_requests(peer: &Peer) -> u64 {
    let stats = peer.stats().expect("endpoint stats");
    stats["requests_by_action"]["Command"].as_u64().unwrap_or(0)
}

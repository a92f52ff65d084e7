//! The generated code compiles: the representative catalog and the full real 5.1 and 7.6
//! cmdlet catalogs (from `shared/fixtures/cmdlet-metadata`), in one crate checked with
//! `cargo check` against this workspace's runtime. The crate's target dir is shared between
//! runs (`$CARGO_TARGET_DIR/generated-check`), so only the generated code is rebuilt.

mod common;

use common::check_crate;
use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Options, docs, generate_string};

/// Calls through the generated API that must type-check (the positive side of the
/// compile-fail cases in tests/ui).
fn options() -> Options {
    Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path")
}

const USES: &str = r#"
pub async fn uses(remote: representative::Remote) -> Result<(), psremote_runtime::implicit::Error> {
    use representative::*;
    use psremote_runtime::implicit::{ActionPreference, PsCredential};
    let services: Vec<ServiceController> = remote.get_service().name(["Win*"]).invoke().await?;
    let _ = services.first().and_then(|s| s.status.clone());
    let _ = remote
        .get_service_by_display_name(["Windows Update"])
        .dependent_services()
        .verbose()
        .error_action(ActionPreference::Stop)
        .invoke()
        .await?;
    let stopped = remote.stop_service(services).force().what_if().invoke().await?;
    let _ = remote.stop_service_by_default(["Spooler"]).pass_thru().invoke().await?;
    let _ = remote
        .set_service("Spooler")
        .startup_type(ServiceStartMode::Manual)
        .status(SetServiceStatus::Running)
        .credential(PsCredential::new("u", "p".to_owned()))
        .invoke()
        .await?;
    let _ = remote.get_help_by_examples().name("Get-Item").invoke().await?;
    let _ = remote.gsv().invoke().await?;
    let _: Vec<psremote_runtime::implicit::Value> = remote
        .new_thing("n", "t")
        .self_(true)
        .r#match("a.*")
        .r#async()
        .input_param(1i32)
        .value("v")
        .property([("a", 1i32)])
        .filter("$_")
        .bytes(vec![1u8, 2])
        .id([psremote_runtime::implicit::Uuid::nil()])
        .uri("http://x")
        .count(3)
        .ratio(0.5)
        .culture("en-US")
        .attributes([FileAttributes::Hidden, FileAttributes::ReadOnly])
        .extra([1i32, 2])
        .weird("w")
        .code("ABC")
        .input(["x"])
        .invoke()
        .await?;
    for item in remote.get_child_item().path(["C:\\"]).recurse().invoke().await? {
        if let GetChildItemOutput::FileInfo(f) = item {
            let _ = f.object;
        }
    }
    let mut events = remote.get_content(["a.txt"]).stream_param("Zone.Identifier").tail(5).stream();
    use futures::StreamExt;
    while let Some(e) = events.next().await {
        if let psremote_runtime::implicit::Event::Output(GetContentOutput::String(line)) = e? {
            let _ = line;
        }
    }
    let _ = stopped;
    Ok(())
}
"#;

#[test]
fn generated_code_compiles() {
    let mut modules = Vec::new();
    let rep =
        Catalog::from_discovery(include_str!("fixtures/representative.discovery.txt").lines())
            .expect("fixture");
    modules.push(("representative", generate_string(&rep, &options())));
    match docs::shared_dir() {
        Some(shared) => {
            for (m, v) in [("docs_5_1", "5.1"), ("docs_7_6", "7.6")] {
                let c = docs::read_dir(&shared.join("fixtures/cmdlet-metadata").join(v))
                    .expect("docs catalog");
                modules.push((m, generate_string(&c, &options())));
            }
        }
        None => eprintln!(
            "skipping the real cmdlet catalogs: shared fixtures not found (set PSREMOTE_SHARED)"
        ),
    }
    let lines: usize = modules.iter().map(|(_, c)| c.lines().count()).sum();
    let took = check_crate("generated_check", &modules, USES);
    eprintln!("cargo check of {lines} generated lines took {took:?}");
}

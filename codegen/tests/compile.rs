//! The generated code compiles: the representative catalog and the full real 5.1 and 7.6
//! cmdlet catalogs (from `shared/fixtures/cmdlet-metadata`), in one crate checked with
//! `cargo check` against this workspace's runtime. The crate's target dir is shared between
//! runs (`$CARGO_TARGET_DIR/generated-check`), so only the generated code is rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use psremote_codegen::metadata::Catalog;
use psremote_codegen::{Options, docs, generate_string};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn options() -> Options {
    Options::default()
        .with_runtime_path("::psremote_runtime")
        .expect("path")
}

/// Writes a crate with the given modules and `cargo check`s it; returns the check's duration.
pub fn check_crate(name: &str, modules: &[(&str, String)], main: &str) -> std::time::Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = workspace();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\npsremote-runtime = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\nfutures = \"0.3\"\n\n[workspace]\n",
            ws.join("runtime").display().to_string()
        ),
    )
    .expect("Cargo.toml");
    if let Ok(lock) = std::fs::read(ws.join("Cargo.lock")) {
        std::fs::write(dir.path().join("Cargo.lock"), lock).expect("Cargo.lock");
    }
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    let mut lib = String::from("#![allow(dead_code)]\n");
    for (m, code) in modules {
        std::fs::write(src.join(format!("{m}.rs")), code).expect("module");
        lib.push_str(&format!("pub mod {m};\n"));
    }
    lib.push_str(main);
    std::fs::write(src.join("lib.rs"), lib).expect("lib.rs");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target"))
        .join("generated-check");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    let out = Command::new(cargo)
        .args(["check", "--quiet", "--message-format=short"])
        .arg("--manifest-path")
        .arg(dir.path().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "generated code does not compile:\n{}",
        stderr.lines().take(60).collect::<Vec<_>>().join("\n")
    );
    // Generated code must also be warning-free.
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("src/") && l.contains("warning"))
        .collect();
    assert!(warnings.is_empty(), "warnings:\n{}", warnings.join("\n"));
    took
}

/// Calls through the generated API that must type-check (the positive side of the
/// compile-fail cases in tests/ui).
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

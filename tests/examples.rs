//! Every example, built by `cargo test` into the shared target dir, run against the loopback
//! endpoint with its URL and credentials from the environment; the output is checked.
//! Skipped, saying why, when the endpoint is not available.

use std::path::PathBuf;
use std::process::Command;

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

/// `target/<profile>/examples/NAME` (cargo builds the examples of the package before its
/// integration tests; this test runs from `target/<profile>/deps`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile.join("examples").join(name)
}

fn run(peer: &Peer, name: &str) -> String {
    run_with(name, "PSREMOTE_URL", peer.http_url())
}

/// Runs an example binary with the endpoint's account in its environment and `var=url`;
/// asserts it succeeded and never printed the password.
fn run_with(name: &str, var: &str, url: &str) -> String {
    let path = example(name);
    let out = Command::new(&path)
        .env(var, url)
        .env("PSREMOTE_USER", USER)
        .env("PSREMOTE_PASSWORD", PASSWORD)
        .env("PSREMOTE_ALLOW_UNENCRYPTED", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}): `cargo build --workspace --bins --examples` builds it \
                 (scripts/test.sh does)",
                path.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains(PASSWORD), "{name} printed the password");
    stdout
}

#[test]
fn quickstart_prints_typed_services() {
    let Some(peer) = peer() else { return };
    let out = run(&peer, "quickstart");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("service W")).collect();
    assert!(!lines.is_empty(), "{out}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("status=Running") || l.contains("status=Stopped")),
        "{out}"
    );
}

#[test]
fn macro_use_runs_stubs_and_a_remote_pipeline() {
    let Some(peer) = peer() else { return };
    let out = run(&peer, "macro_use");
    assert!(out.lines().any(|l| l.starts_with("service ")), "{out}");
    let stopped = out
        .lines()
        .find(|l| l.starts_with("stopped "))
        .unwrap_or_else(|| panic!("no pipeline output: {out}"));
    assert!(stopped.ends_with("status=Stopped"), "{out}");
    let started = out
        .lines()
        .find(|l| l.starts_with("started "))
        .unwrap_or_else(|| panic!("no second pipeline output: {out}"));
    assert!(started.ends_with("status=Running"), "{out}");
    let name = |l: &str| l.split_whitespace().nth(1).map(str::to_owned);
    assert_eq!(name(stopped), name(started));
}

#[test]
fn fanout_stubs_calls_every_endpoint() {
    let (Some(a), Some(b)) = (peer(), peer()) else {
        return;
    };
    let stdout = run_with(
        "fanout_stubs",
        "PSREMOTE_URLS",
        &format!("{},{}", a.http_url(), b.http_url()),
    );
    for p in [&a, &b] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{}:", p.http_url())))
            .unwrap_or_else(|| panic!("no result for {}: {stdout}", p.http_url()));
        let count = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        };
        assert!(count("services=") > 0, "{line}");
        assert!(
            count("running=") > 0 && count("running=") <= count("services="),
            "{line}"
        );
    }
}

/// `examples/build-rs`, a workspace member (`cargo test --workspace --all-targets` builds it):
/// stubs from build.rs, a Get-Service | Restart-Service pipeline.
#[test]
fn build_rs_example_runs_generated_stubs() {
    let Some(peer) = peer() else { return };
    let stdout = run(&peer, "../psremote-example-build-rs");
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("restarted W"))
        .collect();
    assert!(!lines.is_empty(), "{stdout}");
    assert!(
        lines.iter().all(|l| l.ends_with("status=Running")),
        "{stdout}"
    );
}

/// The `[profile.*]` sections of a manifest, without comments or blank lines.
fn profile_sections(manifest: &str) -> Vec<&str> {
    let mut in_profile = false;
    manifest
        .lines()
        .map(str::trim)
        .filter(|line| {
            if line.starts_with('[') {
                in_profile = line.starts_with("[profile");
            }
            in_profile && !line.is_empty() && !line.starts_with('#')
        })
        .collect()
}

/// The exported app is a workspace of its own built into this workspace's target dir: with a
/// different profile every dependency would be built a second time there (time and disk).
#[test]
fn exported_app_has_the_workspace_profile() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("manifest");
    let workspace = read("Cargo.toml");
    let app = read("examples/exported-app/Cargo.toml");
    let ours = profile_sections(&workspace);
    assert!(ours.contains(&"[profile.dev]"), "{ours:?}");
    assert_eq!(profile_sections(&app), ours);
}

/// `examples/exported-app`: an app using the crate `psremote export` writes (Export-PSSession).
/// The crate is generated here, offline from the checked-in cache, into a temporary copy of the
/// app; the app is built with this workspace's target dir (its compiled dependencies are
/// reused) and run against the endpoint.
#[test]
fn exported_crate_app_runs_typed_stubs() {
    let Some(peer) = peer() else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cli = example("../psremote");
    assert!(
        cli.is_file(),
        "{} is missing: build it with `cargo build -p psremote-cli` (scripts/test.sh does)",
        cli.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("exported-app");
    std::fs::create_dir_all(app.join("src")).expect("app dir");
    let source = root.join("examples/exported-app");
    let manifest = std::fs::read_to_string(source.join("Cargo.toml")).expect("app Cargo.toml");
    let runtime = root.join("runtime").display().to_string();
    let manifest = manifest.replace("\"../../runtime\"", &format!("{runtime:?}"));
    assert!(manifest.contains(&format!("{runtime:?}")), "{manifest}");
    std::fs::write(app.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::copy(source.join("src/main.rs"), app.join("src/main.rs")).expect("main.rs");
    // The same dependency versions as the workspace, so its compiled crates are reused.
    std::fs::copy(root.join("Cargo.lock"), app.join("Cargo.lock")).expect("Cargo.lock");

    // psremote export --from-metadata: offline, from the cache the other examples use.
    let out = Command::new(&cli)
        .arg("export")
        .arg("--from-metadata")
        .arg(root.join("examples/.psremote/peer.json"))
        .arg("--out")
        .arg(app.join("peer-commands"))
        .arg("--runtime-path")
        .arg(root.join("runtime"))
        .output()
        .expect("psremote export runs");
    assert!(
        out.status.success(),
        "psremote export: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // target/<profile>/examples → target (RUSTFLAGS and the profile are inherited, so the
    // fingerprints of the shared dependencies match).
    let target = example("")
        .parent()
        .and_then(|profile| profile.parent())
        .map(std::path::Path::to_path_buf)
        .expect("target dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let build = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        build.status.success(),
        "the app does not build on the exported crate:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let stdout = run(&peer, "../psremote-example-exported-app");
    // Typed Process objects: a name and an i32 id each.
    let processes: Vec<(&str, i32)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("process "))
        .filter_map(|l| {
            let (name, id) = l.split_once(" id=")?;
            Some((name, id.parse().ok()?))
        })
        .collect();
    assert!(!processes.is_empty(), "{stdout}");
    // Get-Process -Id of the first one finds that same process.
    let (name, id) = processes[0];
    assert!(
        stdout.lines().any(|l| l == format!("by-id {id} {name}")),
        "{stdout}"
    );
    // Get-Date decoded as a System.DateTime (xs:dateTime text).
    let date = stdout
        .lines()
        .find_map(|l| l.strip_prefix("date "))
        .unwrap_or_else(|| panic!("no date: {stdout}"));
    assert!(
        date.len() >= 19 && date.as_bytes().get(10) == Some(&b'T'),
        "{date}"
    );
}

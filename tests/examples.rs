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
    let path = example(name);
    let out = Command::new(&path)
        .env("PSREMOTE_URL", peer.http_url())
        .env("PSREMOTE_USER", USER)
        .env("PSREMOTE_PASSWORD", PASSWORD)
        .env("PSREMOTE_ALLOW_UNENCRYPTED", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}): `cargo test -p psremote` builds the examples first",
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
    let path = example("fanout_stubs");
    let out = Command::new(&path)
        .env(
            "PSREMOTE_URLS",
            format!("{},{}", a.http_url(), b.http_url()),
        )
        .env("PSREMOTE_USER", USER)
        .env("PSREMOTE_PASSWORD", PASSWORD)
        .env("PSREMOTE_ALLOW_UNENCRYPTED", "1")
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
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
    let path = example("../psremote-example-build-rs");
    let out = Command::new(&path)
        .env("PSREMOTE_URL", peer.http_url())
        .env("PSREMOTE_USER", USER)
        .env("PSREMOTE_PASSWORD", PASSWORD)
        .env("PSREMOTE_ALLOW_UNENCRYPTED", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}): build it with `cargo build -p psremote-example-build-rs`",
                path.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
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

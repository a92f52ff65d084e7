//! Shared by the compile and scale tests (and the CLI's live refresh test): write a crate of
//! generated modules and check it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
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
    // PSREMOTE_GENERATED_CLIPPY=1 runs clippy instead (generated code is meant to be
    // clippy-clean in users' crates too).
    let tool = if std::env::var_os("PSREMOTE_GENERATED_CLIPPY").is_some() {
        "clippy"
    } else {
        "check"
    };
    let out = Command::new(cargo)
        .args([tool, "--quiet", "--message-format=short"])
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

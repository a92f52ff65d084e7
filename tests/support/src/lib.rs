//! Test support: start the loopback PowerShell endpoint from `tests/peer` and read its ready line.
//!
//! The endpoint is a Python program in a venv that `scripts/setup.sh` creates. Tests find the
//! interpreter at `$PSREMOTE_PEER_PYTHON`, else `<repo>/.venv/bin/python`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// What the endpoint prints once it listens (`PSREMOTE-PEER-READY {json}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Ready {
    #[serde(default)]
    pub http_ports: Vec<u16>,
    #[serde(default)]
    pub https_ports: Vec<u16>,
    pub http_url: Option<String>,
    pub https_url: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    pub kerberos: Option<serde_json::Value>,
    pub pid: u32,
}

/// A running endpoint; killed on drop.
pub struct Peer {
    child: Child,
    pub ready: Ready,
    _stdout: BufReader<ChildStdout>,
}

/// The repository root (this crate lives in `tests/support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")))
}

/// The venv interpreter that has psrpcore, pyspnego and pypsrp.
pub fn peer_python() -> PathBuf {
    if let Some(p) = std::env::var_os("PSREMOTE_PEER_PYTHON") {
        return PathBuf::from(p);
    }
    repo_root().join(".venv/bin/python")
}

/// The `tests/peer` directory (put on PYTHONPATH).
pub fn peer_dir() -> PathBuf {
    repo_root().join("tests/peer")
}

/// `../shared` beside the checkout, where the real Windows fixtures live (absent on some clones).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PSREMOTE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    dir.is_dir().then_some(dir)
}

/// A `Command` for `python -m psremote_peer ARGS` with the right interpreter and path.
pub fn peer_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(peer_python());
    cmd.arg("-m").arg("psremote_peer").args(args);
    cmd.env("PYTHONPATH", peer_dir());
    if let Some(shared) = shared_dir() {
        cmd.env("PSREMOTE_SHARED", shared);
    }
    cmd
}

impl Peer {
    /// Starts `psremote_peer serve --port 0 ARGS` and waits (up to 60 s) for its ready line.
    pub fn start(args: &[&str]) -> Result<Peer, String> {
        let mut full = vec!["serve", "--port", "0"];
        full.extend_from_slice(args);
        let mut child = peer_command(&full)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start the endpoint with {}: {e} (run scripts/setup.sh)",
                    peer_python().display()
                )
            })?;
        let stdout = child.stdout.take().ok_or("endpoint has no stdout")?;
        let mut reader = BufReader::new(stdout);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if n == 0 {
                let _ = child.kill();
                return Err("the endpoint exited before it was ready".into());
            }
            if let Some(json) = line.trim().strip_prefix("PSREMOTE-PEER-READY ") {
                let ready: Ready = serde_json::from_str(json)
                    .map_err(|e| format!("bad ready line {json}: {e}"))?;
                return Ok(Peer {
                    child,
                    ready,
                    _stdout: reader,
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("the endpoint did not print its ready line within 60 s".into());
            }
        }
    }

    /// The first HTTP WS-Man URL.
    pub fn http_url(&self) -> &str {
        self.ready.http_url.as_deref().unwrap_or_default()
    }

    /// The first HTTPS WS-Man URL.
    pub fn https_url(&self) -> &str {
        self.ready.https_url.as_deref().unwrap_or_default()
    }

    /// The endpoint's counters (`GET /psremote-peer/stats`), fetched with a plain TCP request.
    pub fn stats(&self) -> Result<serde_json::Value, String> {
        use std::io::{Read, Write};
        let port = *self.ready.http_ports.first().ok_or("no http port")?;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        s.write_all(
            b"GET /psremote-peer/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        .map_err(|e| e.to_string())?;
        let mut body = String::new();
        s.read_to_string(&mut body).map_err(|e| e.to_string())?;
        let json = body.split("\r\n\r\n").nth(1).ok_or("no body")?;
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test account every auth mode accepts.
pub const USER: &str = "psremote";
/// Its password (a loopback test account, not a secret).
pub const PASSWORD: &str = "Psr3mote!pass";

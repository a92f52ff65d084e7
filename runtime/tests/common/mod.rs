//! Helpers shared by the runtime's integration tests: the loopback endpoint (WS-Man and
//! stdio) and a throw-away sshd whose `powershell` subsystem runs the endpoint's stdio mode.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use psremote_runtime::transport::ProcessTarget;
use psremote_runtime::{AuthMethod, ConnectionInfo};
use psremote_test_support::{PASSWORD, Peer, USER, peer_dir, peer_python};

/// Starts the WS-Man endpoint with Basic over HTTP allowed (plus `extra` arguments), or
/// explains why not and returns None (the test then passes vacuously with a clear message).
pub fn peer(extra: &[&str]) -> Option<Peer> {
    let mut args = vec!["--allow-unencrypted", "--auth", "basic"];
    args.extend_from_slice(extra);
    match Peer::start(&args) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("SKIPPED: the loopback endpoint is not available: {e}");
            None
        }
    }
}

/// Basic over HTTP to the endpoint's n-th HTTP port.
pub fn info_for(peer: &Peer, n: usize) -> ConnectionInfo {
    let port = peer.ready.http_ports.get(n).copied().unwrap_or(0);
    ConnectionInfo::new(format!("http://127.0.0.1:{port}/wsman"))
        .auth(AuthMethod::Basic)
        .credentials(USER, PASSWORD)
        .allow_unencrypted(true)
        .operation_timeout(Duration::from_secs(5))
        .open_timeout(Duration::from_secs(30))
}

pub fn info(peer: &Peer) -> ConnectionInfo {
    info_for(peer, 0)
}

/// `python -m psremote_peer stdio ARGS`, as a process target.
pub fn stdio_target(args: &[&str]) -> Option<ProcessTarget> {
    let py = peer_python();
    if !py.exists() {
        eprintln!(
            "SKIPPED: no endpoint interpreter at {} (run scripts/setup.sh)",
            py.display()
        );
        return None;
    }
    let mut t = ProcessTarget::new(py)
        .args(["-m", "psremote_peer", "stdio"])
        .env("PYTHONPATH", peer_dir());
    for a in args {
        t = t.arg(*a);
    }
    Some(t)
}

/// A private sshd on a loopback port with a `powershell` subsystem that runs the endpoint's
/// stdio mode; killed on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub client_key: PathBuf,
    pub user: String,
    _dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Option<u16> {
    let l = TcpListener::bind("127.0.0.1:0").ok()?;
    l.local_addr().ok().map(|a| a.port())
}

fn keygen(path: &Path) -> bool {
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl Sshd {
    /// Starts sshd, or says why it cannot (not installed, not root) and returns None.
    pub fn start() -> Option<Sshd> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let Some(sshd) = sshd else {
            eprintln!(
                "SKIPPED: sshd is not installed (Debian openssh-server; tests/peer/setup.sh installs it)"
            );
            return None;
        };
        if Command::new("ssh")
            .arg("-V")
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIPPED: the OpenSSH client (ssh) is not installed");
            return None;
        }
        let py = peer_python();
        if !py.exists() {
            eprintln!("SKIPPED: no endpoint interpreter at {}", py.display());
            return None;
        }
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let dir = tempfile::tempdir().ok()?;
        let host_key = dir.path().join("host_key");
        let client_key = dir.path().join("client_key");
        if !keygen(&host_key) || !keygen(&client_key) {
            eprintln!("SKIPPED: ssh-keygen failed");
            return None;
        }
        let pubkey = std::fs::read_to_string(client_key.with_extension("pub")).ok()?;
        let auth_keys = dir.path().join("authorized_keys");
        std::fs::write(&auth_keys, pubkey).ok()?;
        // Privilege separation needs this directory on Debian.
        let _ = std::fs::create_dir_all("/run/sshd");
        let port = free_port()?;
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {ak}\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\n\
                 UsePAM no\nLogLevel ERROR\n\
                 Subsystem powershell /usr/bin/env PYTHONPATH={pp} {py} -m psremote_peer stdio\n",
                hk = host_key.display(),
                dir = dir.path().display(),
                ak = auth_keys.display(),
                pp = peer_dir().display(),
                py = py.display(),
            ),
        )
        .ok()?;
        // sshd's log goes to a file (the readiness probe below makes it log a dropped
        // connection); it is shown when sshd fails to start.
        let log_path = dir.path().join("sshd.log");
        let log = std::fs::File::create(&log_path).ok()?;
        let child = Command::new(&sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIPPED: cannot start sshd: {e}");
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                eprintln!("SKIPPED: sshd exited at start ({status}): {log}");
                return None;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                eprintln!("SKIPPED: sshd did not listen within 10 s");
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Sshd {
            child,
            port,
            client_key,
            user,
            _dir: dir,
        })
    }

    /// A ConnectionInfo for `ssh -p PORT -i KEY user@127.0.0.1 -s powershell`.
    pub fn connection_info(&self) -> ConnectionInfo {
        ConnectionInfo::ssh(format!("{}@127.0.0.1:{}", self.user, self.port))
            .ssh_identity_file(self.client_key.clone())
            .ssh_option("StrictHostKeyChecking=no")
            .ssh_option("UserKnownHostsFile=/dev/null")
            .ssh_option("BatchMode=yes")
            .ssh_option("IdentitiesOnly=yes")
            .ssh_option("LogLevel=ERROR")
            .open_timeout(Duration::from_secs(30))
    }
}

/// Sets the endpoint's fault knobs at run time (`POST /psremote-peer/faults`).
pub fn set_faults(peer: &Peer, json: &str) {
    use std::io::{Read, Write};
    let port = peer.ready.http_ports[0];
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let req = format!(
        "POST /psremote-peer/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
        "{resp}"
    );
}

//! Out-of-process transports: the `<Data>/<Command>/<Signal>/<Close>` framing
//! ([`crate::outofproc`]) over a child process's stdin/stdout. A local program
//! ([`ProcessTarget`], e.g. `pwsh -s -NoLogo` or the test endpoint's `stdio` mode) or the system
//! OpenSSH client running the `powershell` subsystem ([`SshTarget`]), as PowerShell's
//! SSHConnectionInfo does.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{DataStream, Inbound, InboundSender, Transport};
use crate::error::Error;
use crate::outofproc::{Decoder, Packet};

/// A local program that speaks the out-of-process framing on stdin/stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessTarget {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl ProcessTarget {
    pub fn new(program: impl Into<PathBuf>) -> ProcessTarget {
        ProcessTarget {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> ProcessTarget {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> ProcessTarget
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> ProcessTarget {
        self.env.push((k.into(), v.into()));
        self
    }
}

/// An SSH target: `ssh [-p port] [-i key] [-o opt]… -s [user@]host powershell`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<PathBuf>,
    /// Extra `-o Key=Value` options (e.g. `StrictHostKeyChecking=yes`, `BatchMode=yes`).
    pub options: Vec<String>,
    /// The subsystem name (`powershell` unless the server names it otherwise).
    pub subsystem: String,
    /// The ssh client to run (`ssh` on PATH by default).
    pub ssh_program: PathBuf,
}

impl SshTarget {
    pub fn new(host: impl Into<String>) -> SshTarget {
        SshTarget {
            host: host.into(),
            user: None,
            port: None,
            identity_file: None,
            options: Vec::new(),
            subsystem: "powershell".into(),
            ssh_program: PathBuf::from("ssh"),
        }
    }

    /// The ssh command line, as PowerShell's SSH transport builds it.
    pub fn to_process(&self) -> ProcessTarget {
        let mut p = ProcessTarget::new(self.ssh_program.clone());
        if let Some(port) = self.port {
            p = p.arg("-p").arg(port.to_string());
        }
        if let Some(key) = &self.identity_file {
            p = p.arg("-i").arg(key.clone());
        }
        for o in &self.options {
            p = p.arg("-o").arg(o.clone());
        }
        let dest = match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        };
        // `-s`: run a subsystem; `--` keeps a host name starting with '-' from being an option.
        p.arg("-s").arg("--").arg(dest).arg(self.subsystem.clone())
    }
}

/// How long `close()` waits for `<CloseAck>` and then for the process to exit.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How much of the child's stderr is kept for error messages.
const STDERR_KEEP: usize = 4096;

type Writer = Box<dyn AsyncWrite + Send + Unpin>;
type Reader = Box<dyn AsyncRead + Send + Unpin>;

/// The framing over a child process (or any byte pipe pair).
pub struct OutOfProcTransport {
    computer_name: String,
    writer: tokio::sync::Mutex<Option<Writer>>,
    reader: Mutex<Option<Reader>>,
    created: Mutex<HashSet<Uuid>>,
    close_acks: Arc<Mutex<HashMap<Uuid, oneshot::Sender<()>>>>,
    child: Mutex<Option<Child>>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    reader_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl OutOfProcTransport {
    /// Starts `target` with piped stdio.
    pub fn spawn(target: &ProcessTarget, computer_name: &str) -> Result<Self, Error> {
        let mut cmd = Command::new(&target.program);
        cmd.args(&target.args)
            .envs(target.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| Error::HostNotReachable {
            target: computer_name.to_string(),
            reason: format!("cannot start {}: {e}", target.program.display()),
        })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
            return Err(Error::Transport("child process has no stdio pipes".into()));
        };
        let t = OutOfProcTransport::from_pipes(Box::new(stdout), Box::new(stdin), computer_name);
        if let Some(mut stderr) = stderr {
            let tail = t.stderr_tail.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut t) = tail.lock() {
                        t.extend_from_slice(&buf[..n]);
                        let excess = t.len().saturating_sub(STDERR_KEEP);
                        t.drain(..excess);
                    }
                }
            });
        }
        if let Ok(mut c) = t.child.lock() {
            *c = Some(child);
        }
        Ok(t)
    }

    /// Runs `ssh … -s host powershell`.
    pub fn spawn_ssh(target: &SshTarget) -> Result<Self, Error> {
        OutOfProcTransport::spawn(&target.to_process(), &target.host)
    }

    /// The framing over an existing pipe pair (a named pipe, a socket, a test harness).
    pub fn from_pipes(reader: Reader, writer: Writer, computer_name: &str) -> Self {
        OutOfProcTransport {
            computer_name: computer_name.to_string(),
            writer: tokio::sync::Mutex::new(Some(writer)),
            reader: Mutex::new(Some(reader)),
            created: Mutex::new(HashSet::new()),
            close_acks: Arc::new(Mutex::new(HashMap::new())),
            child: Mutex::new(None),
            stderr_tail: Arc::new(Mutex::new(Vec::new())),
            reader_task: Mutex::new(None),
        }
    }

    fn stderr_text(&self) -> String {
        stderr_text(&self.stderr_tail)
    }

    async fn write_packets(&self, packets: &[Packet]) -> Result<(), Error> {
        let mut buf = Vec::new();
        for p in packets {
            p.encode_into(&mut buf);
        }
        let mut w = self.writer.lock().await;
        let w = w.as_mut().ok_or(Error::Closed)?;
        let res = async {
            w.write_all(&buf).await?;
            w.flush().await
        }
        .await;
        res.map_err(|e| {
            let tail = self.stderr_text();
            Error::Transport(if tail.is_empty() {
                format!(
                    "{}: write to the remote process failed: {e}",
                    self.computer_name
                )
            } else {
                format!("{}: {tail}", self.computer_name)
            })
        })
    }
}

fn stderr_text(tail: &Mutex<Vec<u8>>) -> String {
    tail.lock()
        .map(|t| String::from_utf8_lossy(&t).trim().replace('\n', "; "))
        .unwrap_or_default()
}

async fn read_loop(
    mut reader: Reader,
    inbound: InboundSender,
    close_acks: Arc<Mutex<HashMap<Uuid, oneshot::Sender<()>>>>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    computer_name: String,
) {
    let mut dec = Decoder::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(p) = dec.next_packet() {
            let packet = match p {
                Ok(p) => p,
                Err(e) => {
                    let _ = inbound.send(Inbound::Failed(Error::Framing(e))).await;
                    return;
                }
            };
            match packet {
                Packet::Data { guid, data, .. } => {
                    let (pipeline, resume, wait) = if guid.is_nil() {
                        (None, None, None)
                    } else {
                        let (tx, rx) = oneshot::channel();
                        (Some(guid), Some(tx), Some(rx))
                    };
                    if inbound
                        .send(Inbound::Data {
                            pipeline,
                            bytes: data,
                            resume,
                            done: None,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                    // One byte stream carries every pipeline: holding it back until the
                    // consumer caught up keeps memory bounded (the OS pipe pushes back on the
                    // server).
                    if let Some(rx) = wait {
                        let _ = rx.await;
                    }
                }
                Packet::CloseAck { guid } => {
                    if let Some(tx) = close_acks.lock().ok().and_then(|mut m| m.remove(&guid)) {
                        let _ = tx.send(());
                    }
                }
                Packet::DataAck { .. } | Packet::CommandAck { .. } | Packet::SignalAck { .. } => {}
                // The server does not send these to a client; ignore as PowerShell does.
                Packet::Command { .. } | Packet::Signal { .. } | Packet::Close { .. } => {}
            }
        }
        match reader.read(&mut buf).await {
            Ok(0) => {
                // Give the stderr reader a moment to collect why the process ended.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let tail = stderr_text(&stderr_tail);
                let reason = if tail.is_empty() {
                    "the remote process closed its output".to_string()
                } else {
                    tail
                };
                let _ = inbound
                    .send(Inbound::Failed(Error::HostNotReachable {
                        target: computer_name,
                        reason,
                    }))
                    .await;
                return;
            }
            Ok(n) => dec.feed(&buf[..n]),
            Err(e) => {
                let _ = inbound
                    .send(Inbound::Failed(Error::Transport(format!(
                        "{computer_name}: read from the remote process failed: {e}"
                    ))))
                    .await;
                return;
            }
        }
    }
}

impl Transport for OutOfProcTransport {
    fn open(
        &self,
        _runspace_pool_id: Uuid,
        opening: Vec<u8>,
        inbound: InboundSender,
    ) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let reader =
                self.reader
                    .lock()
                    .ok()
                    .and_then(|mut r| r.take())
                    .ok_or(Error::InvalidState(
                        "the out-of-process transport is already open",
                    ))?;
            let task = tokio::spawn(read_loop(
                reader,
                inbound,
                self.close_acks.clone(),
                self.stderr_tail.clone(),
                self.computer_name.clone(),
            ));
            if let Ok(mut t) = self.reader_task.lock() {
                *t = Some(task);
            }
            self.write_packets(&[Packet::Data {
                stream: DataStream::Default,
                guid: Uuid::nil(),
                data: opening,
            }])
            .await
        })
    }

    fn send(
        &self,
        pipeline: Option<Uuid>,
        stream: DataStream,
        bytes: Vec<u8>,
    ) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let guid = pipeline.unwrap_or_else(Uuid::nil);
            let first = match pipeline {
                Some(p) => self
                    .created
                    .lock()
                    .map(|mut c| c.insert(p))
                    .unwrap_or(false),
                None => false,
            };
            let data = Packet::Data {
                stream,
                guid,
                data: bytes,
            };
            if first {
                self.write_packets(&[Packet::Command { guid }, data]).await
            } else {
                self.write_packets(&[data]).await
            }
        })
    }

    fn stop(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.write_packets(&[Packet::Signal { guid: pipeline }])
                .await
        })
    }

    fn pipeline_finished(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let known = self
                .created
                .lock()
                .map(|mut c| c.remove(&pipeline))
                .unwrap_or(false);
            if known {
                self.write_packets(&[Packet::Close { guid: pipeline }])
                    .await
            } else {
                Ok(())
            }
        })
    }

    fn want_pool_receive(&self, _on: bool) {}

    fn close(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            if let Ok(mut m) = self.close_acks.lock() {
                m.insert(Uuid::nil(), tx);
            }
            let sent = self
                .write_packets(&[Packet::Close { guid: Uuid::nil() }])
                .await;
            if sent.is_ok() {
                // CloseAck, or the process going away, ends the wait.
                let _ = tokio::time::timeout(CLOSE_WAIT, rx).await;
            }
            // Closing stdin tells the server (or ssh) we are done.
            if let Some(mut w) = self.writer.lock().await.take() {
                let _ = w.shutdown().await;
            }
            let child = self.child.lock().ok().and_then(|mut c| c.take());
            if let Some(mut child) = child
                && tokio::time::timeout(CLOSE_WAIT, child.wait())
                    .await
                    .is_err()
            {
                let _ = child.kill().await;
            }
            if let Some(t) = self.reader_task.lock().ok().and_then(|mut t| t.take()) {
                t.abort();
            }
            Ok(())
        })
    }

    fn computer_name(&self) -> &str {
        &self.computer_name
    }
}

impl Drop for OutOfProcTransport {
    fn drop(&mut self) {
        if let Some(t) = self.reader_task.lock().ok().and_then(|mut t| t.take()) {
            t.abort();
        }
        // The child has kill_on_drop.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_command_line_matches_powershell() {
        let t = SshTarget {
            user: Some("admin".into()),
            port: Some(2222),
            identity_file: Some(PathBuf::from("/k")),
            options: vec!["BatchMode=yes".into()],
            ..SshTarget::new("server1")
        };
        let p = t.to_process();
        assert_eq!(p.program, PathBuf::from("ssh"));
        let args: Vec<String> = p
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "-p",
                "2222",
                "-i",
                "/k",
                "-o",
                "BatchMode=yes",
                "-s",
                "--",
                "admin@server1",
                "powershell"
            ]
        );
    }
}

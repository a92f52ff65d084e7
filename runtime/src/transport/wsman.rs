//! The WinRM transport (MS-PSRP 3.1.5 over MS-WSMV): the RunspacePool is a shell on
//! `http://schemas.microsoft.com/powershell/<ConfigurationName>`, created with the opening
//! fragments as `creationXml`; each pipeline is a Command whose Arguments carry its first
//! fragments, with the pipeline id as CommandId; input and host responses go by Send
//! (`stdin` / `pr`); output comes from Receive long polls, one per running pipeline plus one
//! for the pool while it needs one; stop is Signal; close is Delete.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use psremote_wsman as ws;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{DataStream, Inbound, InboundSender, Transport};
use crate::connection::{AuthMethod, ConnectionInfo, Target};
use crate::error::Error;

pub use crate::error::is_shell_lost;

/// A connection-level failure before the shell exists means the host cannot be reached.
fn reachability(computer: &str, e: ws::Error) -> Error {
    match e {
        ws::Error::Io(reason) => Error::HostNotReachable {
            target: computer.to_string(),
            reason,
        },
        ws::Error::Timeout(after) => Error::Timeout {
            what: format!("connecting to {computer}"),
            after,
        },
        e => Error::Wsman(e),
    }
}

struct State {
    shell: Option<ws::Shell>,
    /// Pipelines created on the server (Command sent).
    created: HashMap<Uuid, ()>,
    /// Receive loops by pipeline (None = the pool's).
    loops: HashMap<Option<Uuid>, JoinHandle<()>>,
    inbound: Option<InboundSender>,
    pool_wanted: bool,
    /// Disconnected: loops finish the poll they have out (its data is delivered, not lost)
    /// and send no more until Reconnect.
    disconnected: bool,
    /// Deleted: loops end with the poll they have out (the server answers it), quietly.
    closed: bool,
}

/// WS-Man carrier for one RunspacePool.
pub struct WsmanTransport {
    client: Arc<ws::WsmanClient>,
    resource_uri: String,
    computer_name: String,
    /// No size was given: start at WinRM's default and adapt to what the server shows
    /// (its protocol version, an EncodingLimit fault).
    adapt_envelope: bool,
    state: Arc<Mutex<State>>,
    /// Serialises Command creation with the Sends that follow it.
    send_lock: tokio::sync::Mutex<()>,
}

fn map_auth(info: &ConnectionInfo) -> Result<ws::Auth, Error> {
    let creds = || {
        info.credentials
            .as_ref()
            .map(|c| {
                use secrecy::ExposeSecret;
                ws::Credentials::new(c.user.clone(), c.password.expose_secret().to_string())
            })
            .ok_or_else(|| {
                Error::Config("this authentication needs a user name and password".into())
            })
    };
    // Kerberos names the user's realm: a bare name takes ConnectionInfo's realm.
    let krb_creds = || {
        creds().map(|c| {
            let user = info.kerberos_user(&c.username);
            ws::Credentials {
                username: user,
                ..c
            }
        })
    };
    Ok(match &info.auth {
        AuthMethod::Basic => ws::Auth::Basic(creds()?),
        AuthMethod::Negotiate => ws::Auth::Negotiate(krb_creds()?),
        AuthMethod::Ntlm => ws::Auth::Ntlm(creds()?),
        AuthMethod::Kerberos => ws::Auth::Kerberos(krb_creds()?),
        AuthMethod::Certificate { cert, key } => ws::Auth::Certificate(ws::ClientCertificate {
            cert_pem: cert.clone(),
            key_pem: key.clone(),
        }),
    })
}

impl WsmanTransport {
    pub fn new(info: &ConnectionInfo) -> Result<WsmanTransport, Error> {
        let Target::Wsman { url } = &info.target else {
            return Err(Error::Config("not a WS-Man target".into()));
        };
        let mut endpoint = ws::Endpoint::new(url.clone(), map_auth(info)?);
        endpoint.tls = ws::TlsOptions {
            ca_file: info.tls.ca_file.clone(),
            insecure_skip_verify: info.tls.insecure_skip_verify,
            server_name: info.tls.server_name.clone(),
            ..Default::default()
        };
        endpoint.kerberos = ws::KerberosOptions {
            kdc_url: info.kdc_url(),
            spn_hostname: info.kerberos.spn_hostname.clone(),
            ..Default::default()
        };
        endpoint.allow_unencrypted = info.allow_unencrypted;
        endpoint.proxy = info.proxy.as_ref().map(|p| ws::Proxy {
            url: p.clone(),
            credentials: None,
        });
        endpoint.connect_timeout = info.connect_timeout;
        endpoint.operation_timeout = info.operation_timeout;
        endpoint.request_grace = info.request_grace;
        // PowerShell does not ask the server: it uses the client's MaxEnvelopeSizekb, 500 KiB
        // since Windows 8, and lowers it for Windows 7 hosts (see `opened`).
        endpoint.max_envelope_size = info
            .max_envelope_size
            .unwrap_or(ws::client::WINRM_MAX_ENVELOPE_SIZE);
        if let Some(l) = &info.locale {
            endpoint.locale = l.clone();
        }
        // Pipelines poll concurrently: one authenticated connection each, plus the pool's.
        endpoint.max_connections = endpoint
            .max_connections
            .max(info.max_runspaces as usize + 2);
        let client = ws::WsmanClient::new(endpoint)?;
        Ok(WsmanTransport {
            client: Arc::new(client),
            resource_uri: info.resource_uri(),
            computer_name: info.computer_name.clone(),
            adapt_envelope: info.max_envelope_size.is_none(),
            state: Arc::new(Mutex::new(State {
                shell: None,
                created: HashMap::new(),
                loops: HashMap::new(),
                inbound: None,
                pool_wanted: false,
                disconnected: false,
                closed: false,
            })),
            send_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// After an EncodingLimit fault (the server's MaxEnvelopeSizekb is below ours, e.g.
    /// lowered by its administrator), reads the limit from `winrm/config` so the session's
    /// next messages fit; without the rights to read it, falls back to 150 KiB, the smallest
    /// WinRM default. The failed request is not retried: it reports the fault.
    async fn learn_envelope_size(&self, e: &ws::Error) {
        let ws::Error::Fault(f) = e else { return };
        if !self.adapt_envelope || !f.is_envelope_size() {
            return;
        }
        let before = self.client.max_envelope_size();
        match self.client.negotiate_max_envelope_size().await {
            Ok(now) if now < before => {
                tracing::debug!(before, now, "MaxEnvelopeSize read from winrm/config");
                return;
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "MaxEnvelopeSizekb not readable"),
        }
        let fallback = ws::client::DEFAULT_MAX_ENVELOPE_SIZE.min(before);
        self.client.set_max_envelope_size(fallback);
        tracing::debug!(before, now = fallback, "MaxEnvelopeSize lowered");
    }

    /// The WS-Man client (for `identify`, `get`, `enumerate` on the same connection).
    pub fn client(&self) -> &ws::WsmanClient {
        &self.client
    }

    fn shell(&self) -> Result<ws::Shell, Error> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.shell.clone())
            .ok_or(Error::InvalidState("the shell is not open"))
    }

    /// Starts a Receive loop for the pool (`None`) or a pipeline, unless one is running.
    fn start_loop(&self, pipeline: Option<Uuid>) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if let Some(h) = st.loops.get(&pipeline)
            && !h.is_finished()
        {
            return;
        }
        let (Some(shell), Some(inbound)) = (st.shell.clone(), st.inbound.clone()) else {
            return;
        };
        let client = self.client.clone();
        let state = self.state.clone();
        let h = tokio::spawn(receive_loop(client, shell, pipeline, inbound, state));
        // A finished task's handle keeps its allocation alive: drop those of ended pipelines,
        // or a long-lived session grows by one task per call (scripts/soak.sh found it).
        st.loops.retain(|_, h| !h.is_finished());
        st.loops.insert(pipeline, h);
    }

    fn stop_loops(&self) {
        if let Ok(mut st) = self.state.lock() {
            for (_, h) in st.loops.drain() {
                h.abort();
            }
        }
    }
}

/// One long poll after another until the command is Done (or, for the pool, until nobody
/// wants pool data). TimedOut is answered by the client as an empty result: poll again.
async fn receive_loop(
    client: Arc<ws::WsmanClient>,
    shell: ws::Shell,
    pipeline: Option<Uuid>,
    inbound: InboundSender,
    state: Arc<Mutex<State>>,
) {
    // Disconnected or deleted: no new poll, and the answer to the last one is not an error.
    let disconnected = || {
        state
            .lock()
            .map(|s| s.disconnected || s.closed)
            .unwrap_or(true)
    };
    loop {
        if pipeline.is_none() && !state.lock().map(|s| s.pool_wanted).unwrap_or(false) {
            return;
        }
        if disconnected() {
            return;
        }
        let received = match client.receive(&shell, pipeline).await {
            Ok(r) => r,
            // The shell was disconnected while this poll was out: whatever the server says
            // now is not a failure of the pipeline; Reconnect starts polling again.
            Err(_) if disconnected() => return,
            // A Receive cut mid-way is not polled again: the server may have sent output with
            // it that a second Receive would not repeat (WinRM only re-sends to a client using
            // Robust Connections, MS-WSMV 3.1.4.1.39). The pipeline fails, typed, instead of
            // silently missing output; the session is then Broken and can be replaced.
            Err(e) => {
                let _ = inbound.send(Inbound::Failed(Error::Wsman(e))).await;
                return;
            }
        };
        let done = received.is_done();
        let last = received.streams.iter().rposition(|s| !s.data.is_empty());
        for (i, s) in received.streams.into_iter().enumerate() {
            if s.data.is_empty() {
                continue;
            }
            // Done travels with the last data (one wake-up of the session, not two).
            let done_with = if done && Some(i) == last {
                pipeline
            } else {
                None
            };
            // Nothing is fetched after the last data of a Done command: no need to wait for
            // the consumer's room (and be woken for it) before ending. The pool's loop waits
            // too: the session decides from this data whether it still wants pool data (the
            // opening ends with RUNSPACEPOOL_STATE Opened), and a poll sent before it decided
            // would be one the server holds until the shell is deleted.
            let (resume, wait) = if done_with.is_none() {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            } else {
                (None, None)
            };
            if inbound
                .send(Inbound::Data {
                    pipeline: s.command_id.or(pipeline),
                    bytes: s.data,
                    resume,
                    done: done_with,
                })
                .await
                .is_err()
            {
                return;
            }
            // Backpressure: fetch no more for this pipeline until its consumer has room.
            if let Some(rx) = wait {
                let _ = rx.await;
            }
        }
        if done {
            if let Some(pid) = pipeline {
                if let Ok(mut st) = state.lock() {
                    st.created.remove(&pid);
                }
                if last.is_none() {
                    let _ = inbound.send(Inbound::PipelineDone(pid)).await;
                }
            }
            return;
        }
    }
}

impl Transport for WsmanTransport {
    fn open(
        &self,
        runspace_pool_id: Uuid,
        opening: Vec<u8>,
        inbound: InboundSender,
    ) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let shell = self
                .client
                .create_shell(
                    &self.resource_uri,
                    ws::ShellOptions {
                        creation_xml: Some(opening),
                        input_streams: "stdin pr".into(),
                        output_streams: "stdout".into(),
                        // PowerShell names the shell after the pool (MS-PSRP 3.1.5.3.1).
                        shell_id: Some(runspace_pool_id),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| reachability(&self.computer_name, e))?;
            if let Ok(mut st) = self.state.lock() {
                st.shell = Some(shell);
                st.inbound = Some(inbound);
            }
            self.start_loop(None);
            Ok(())
        })
    }

    fn send(
        &self,
        pipeline: Option<Uuid>,
        stream: DataStream,
        bytes: Vec<u8>,
    ) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let _g = self.send_lock.lock().await;
            let shell = self.shell()?;
            let create = match pipeline {
                Some(pid) => self
                    .state
                    .lock()
                    .map(|mut st| st.created.insert(pid, ()).is_none())
                    .unwrap_or(false),
                None => false,
            };
            if let (true, Some(pid)) = (create, pipeline) {
                // MS-PSRP 3.1.5.3.3: CREATE_PIPELINE travels as the Command's Arguments, and the
                // CommandId is the pipeline id.
                if let Err(e) = self.client.command(&shell, pid, &bytes).await {
                    self.learn_envelope_size(&e).await;
                    return Err(e.into());
                }
                self.start_loop(Some(pid));
                return Ok(());
            }
            let name = match stream {
                DataStream::Default => "stdin",
                DataStream::PromptResponse => "pr",
            };
            if pipeline.is_none() {
                // Pool-level messages (host responses, SET_MAX_RUNSPACES…) get a reply on
                // the pool's output.
                self.want_pool_receive(true);
            }
            if let Err(e) = self.client.send(&shell, pipeline, name, &bytes).await {
                self.learn_envelope_size(&e).await;
                return Err(e.into());
            }
            Ok(())
        })
    }

    fn stop(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let shell = self.shell()?;
            self.client
                .signal(&shell, Some(pipeline), ws::Signal::PsCtrlC)
                .await?;
            Ok(())
        })
    }

    fn pipeline_finished(&self, pipeline: Uuid) -> BoxFuture<'_, Result<(), Error>> {
        // WinRM releases a command once its Receive reported Done; nothing to send (keeps a
        // call at Command + Receive). A loop still polling (the PSRP state came first) ends
        // on its own when Done arrives.
        let _ = pipeline;
        Box::pin(async { Ok(()) })
    }

    fn finish_is_local(&self) -> bool {
        true
    }

    fn attach(
        &self,
        shell_id: &str,
        connect: Vec<u8>,
        inbound: InboundSender,
    ) -> BoxFuture<'_, Result<Vec<u8>, Error>> {
        let shell_id = shell_id.to_string();
        Box::pin(async move {
            let reply = self
                .client
                .connect(&self.resource_uri, &shell_id, &connect, Some("2.3"))
                .await
                .map_err(|e| reachability(&self.computer_name, e))?;
            if let Ok(mut st) = self.state.lock() {
                st.shell = Some(ws::Shell {
                    shell_id,
                    resource_uri: self.resource_uri.clone(),
                    ..Default::default()
                });
                st.inbound = Some(inbound);
            }
            self.start_loop(None);
            Ok(reply)
        })
    }

    fn shell_id(&self) -> Option<String> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.shell.as_ref().map(|sh| sh.shell_id.clone()))
    }

    fn want_pool_receive(&self, on: bool) {
        if let Ok(mut st) = self.state.lock() {
            st.pool_wanted = on;
        }
        if on {
            self.start_loop(None);
        }
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let shell = self.shell()?;
            // Polls already out are not cut: the server may be answering them with output
            // it will not send again.
            if let Ok(mut st) = self.state.lock() {
                st.disconnected = true;
            }
            if let Err(e) = self.client.disconnect(&shell, None).await {
                if let Ok(mut st) = self.state.lock() {
                    st.disconnected = false;
                }
                return Err(e.into());
            }
            Ok(())
        })
    }

    fn reconnect(&self, inbound: InboundSender) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let shell = self.shell()?;
            self.client.reconnect(&shell).await?;
            let running: Vec<Uuid> = {
                let Ok(mut st) = self.state.lock() else {
                    return Err(Error::InvalidState("transport state poisoned"));
                };
                st.inbound = Some(inbound);
                st.disconnected = false;
                st.created.keys().copied().collect()
            };
            for pid in running {
                self.start_loop(Some(pid));
            }
            Ok(())
        })
    }

    fn close(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let shell = self.state.lock().ok().and_then(|mut s| {
                s.closed = true;
                s.pool_wanted = false;
                s.shell.take()
            });
            // The server ends the Receives still out when the shell goes; cutting them here
            // would only make it write to a closed connection. They end on their own (bounded
            // by the request timeout).
            let r = match shell {
                Some(shell) => self.client.delete(&shell).await,
                None => Ok(()),
            };
            if let Ok(mut st) = self.state.lock() {
                st.loops.clear();
            }
            r.map_err(Error::from)
        })
    }

    fn computer_name(&self) -> &str {
        &self.computer_name
    }

    fn opened(&self, protocol: psremote_psrp::ProtocolVersion) {
        // As PowerShell's client does: a protocol 2.1 server is Windows 7 / 2008 R2, whose
        // WinRM takes 150 KiB envelopes by default.
        if self.adapt_envelope
            && protocol <= psremote_psrp::ProtocolVersion::V2_1
            && self.client.max_envelope_size() > ws::client::DEFAULT_MAX_ENVELOPE_SIZE
        {
            self.client
                .set_max_envelope_size(ws::client::DEFAULT_MAX_ENVELOPE_SIZE);
        }
    }

    fn max_fragment_size(&self) -> Option<usize> {
        Some(psremote_psrp::max_payload_for_envelope(
            self.client.max_envelope_size() as usize,
            psremote_psrp::DEFAULT_ENVELOPE_OVERHEAD,
        ))
    }
}

impl Drop for WsmanTransport {
    fn drop(&mut self) {
        // Closed: the loops finish their last poll quietly. Otherwise nobody will read what
        // they fetch: end them now.
        let closed = self.state.lock().map(|s| s.closed).unwrap_or(true);
        if !closed {
            self.stop_loops();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_psrp::ProtocolVersion;

    fn transport(size: Option<u32>) -> WsmanTransport {
        let mut info = ConnectionInfo::new("http://127.0.0.1:5985/wsman").credentials("u", "p");
        if let Some(s) = size {
            info = info.max_envelope_size(s);
        }
        WsmanTransport::new(&info).expect("transport")
    }

    #[test]
    fn envelope_starts_at_winrm_default_and_follows_the_protocol_version() {
        let t = transport(None);
        assert_eq!(t.client.max_envelope_size(), 512_000);
        t.opened(ProtocolVersion::V2_3);
        assert_eq!(t.client.max_envelope_size(), 512_000);
        // Windows 7 / 2008 R2 speak 2.1 and take 150 KiB.
        let t = transport(None);
        t.opened(ProtocolVersion::V2_1);
        assert_eq!(t.client.max_envelope_size(), 153_600);
        // A size the user gave is kept.
        let t = transport(Some(300_000));
        t.opened(ProtocolVersion::V2_1);
        assert_eq!(t.client.max_envelope_size(), 300_000);
    }
}

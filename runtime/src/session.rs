//! `Session`: one RunspacePool on one computer (New-PSSession), and the pipelines run on it.
//!
//! A driver task owns the sans-IO `RunspacePool`: it feeds it what the transport receives,
//! routes the decoded events to each pipeline's consumer, and hands the bytes the pool wants
//! sent to a sender task that drives the transport in order. Consumers get a bounded channel;
//! a pipeline whose consumer is slow stops being polled (see [`crate::transport::Inbound`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use psremote_clixml::Value;
use psremote_psrp::{Event, PSInvocationState, Payload, PowerShell, RunspacePoolState, StreamKind};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::connection::{ConnectionInfo, Target};
use crate::error::{Error, Result};
use crate::host::{Host, HostCall, HostError, NoHost};
use crate::proto::{self, Pool, PoolCall};
use crate::record::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};
use crate::stream::{
    Delivery, Invocation, InvocationState, PipelineEnd, PipelineStream, StreamItem,
};
use crate::transport::{
    DataStream, Inbound, InboundSender, OutOfProcTransport, SharedTransport, WsmanTransport,
};

/// Input values sent per PIPELINE_INPUT batch when input is streamed.
const INPUT_CHUNK: usize = 64;

/// How long a failed open waits for the half-open pool to be closed.
const CLOSE_ON_FAILURE: Duration = Duration::from_secs(5);

/// Where a session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    Opening,
    Opened,
    Disconnected,
    /// The pool is unusable; the reason.
    Broken(String),
    Closed,
}

enum Request {
    Invoke {
        ps: PowerShell,
        /// `Some`: all the input, ended. `None` with `streamed_input`: input follows.
        input: Option<Vec<Value>>,
        streamed_input: bool,
        out: mpsc::Sender<Delivery>,
        /// `None`: a failure to start is the first (and last) delivery on `out` instead,
        /// so a plain invoke waits for one answer, not two.
        started: Option<oneshot::Sender<Result<Uuid>>>,
    },
    CommandMetadata {
        names: Vec<String>,
        out: mpsc::Sender<Delivery>,
        started: oneshot::Sender<Result<Uuid>>,
    },
    /// More pipeline input (`end`: END_OF_PIPELINE_INPUT after it); `sent` fires once it
    /// went out on the transport.
    Input {
        pipeline: Uuid,
        values: Vec<Value>,
        end: bool,
        sent: oneshot::Sender<Result<()>>,
    },
    Stop(Uuid),
    /// The consumer went away: stop the pipeline and drop what it still sends.
    Abandon(Uuid),
    HostDone {
        pipeline: Option<Uuid>,
        call: HostCall,
        result: std::result::Result<Option<Value>, HostError>,
    },
    SecureString {
        text: secrecy::SecretString,
        key: Option<psremote_psrp::KeyExchange>,
        reply: oneshot::Sender<Result<Value>>,
    },
    PoolCall {
        call: PoolCall,
        reply: oneshot::Sender<Result<psremote_psrp::Availability>>,
    },
    Disconnect(oneshot::Sender<Result<()>>),
    Reconnect(oneshot::Sender<Result<()>>),
    Close(oneshot::Sender<Result<()>>),
}

/// Stops one pipeline; cheap to clone, usable from any task.
#[derive(Clone)]
pub struct Stopper {
    tx: mpsc::Sender<Request>,
    pipeline: Uuid,
}

impl Stopper {
    /// Asks the server to stop the pipeline (MS-PSRP 3.1.4.9: WS-Man Signal / `<Signal>`);
    /// its stream then ends with `Err(Error::PipelineStopped)`.
    pub async fn stop(&self) {
        let _ = self.tx.send(Request::Stop(self.pipeline)).await;
    }

    pub fn pipeline_id(&self) -> Uuid {
        self.pipeline
    }
}

impl std::fmt::Debug for Stopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopper")
            .field("pipeline", &self.pipeline)
            .finish()
    }
}

struct Inner {
    tx: mpsc::Sender<Request>,
    state: watch::Receiver<SessionState>,
    computer_name: String,
    info: ConnectionInfo,
    runspace_pool_id: Uuid,
    application_private_data: Option<Value>,
    has_session_key: std::sync::atomic::AtomicBool,
    transport: SharedTransport,
    driver: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Best effort: close the pool (WS-Man Delete) if nobody did. A Disconnected pool is
        // left alone: it was disconnected to be picked up again (here or by `attach`).
        let open = matches!(
            *self.state.borrow(),
            SessionState::Opened | SessionState::Opening
        );
        if open {
            let t = self.transport.clone();
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(10), t.close()).await;
                });
            }
        }
        if let Some(d) = self.driver.lock().ok().and_then(|mut d| d.take()) {
            d.abort();
        }
    }
}

/// An open RunspacePool on one computer. Cheap to clone; closed on `close()` or when the last
/// clone is dropped (best effort).
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("computer_name", &self.inner.computer_name)
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

/// Options beyond the connection: the host that answers host calls.
#[derive(Clone)]
pub struct SessionOptions {
    pub host: Arc<dyn Host>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            host: Arc::new(NoHost),
        }
    }
}

impl Session {
    /// Connects and opens the RunspacePool.
    pub async fn connect(info: ConnectionInfo) -> Result<Session> {
        Session::connect_with(info, SessionOptions::default()).await
    }

    /// Connects with a [`Host`] that answers Read-Host, prompts and console writes.
    pub async fn connect_with(info: ConnectionInfo, options: SessionOptions) -> Result<Session> {
        info.validate()?;
        let open_timeout = info.open_timeout;
        let computer = info.computer_name.clone();
        let transport: SharedTransport = match &info.target {
            Target::Wsman { .. } => Arc::new(WsmanTransport::new(&info)?),
            Target::Ssh(t) => Arc::new(OutOfProcTransport::spawn_ssh(t)?),
            Target::Process(p) => Arc::new(OutOfProcTransport::spawn(p, &info.computer_name)?),
        };
        let r = match tokio::time::timeout(
            open_timeout,
            Session::open(transport.clone(), info, options),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                what: format!("opening the runspace pool on {computer}"),
                after: open_timeout,
            }),
        };
        if r.is_err() {
            // Best effort: do not leave a half-open shell (or a child process) behind.
            let _ = tokio::time::timeout(CLOSE_ON_FAILURE, transport.close()).await;
        }
        r
    }

    /// The PowerShell shells this user has on the computer (Get-PSSession -ComputerName), with
    /// their state (`Connected` / `Disconnected`); [`Session::attach`] takes one's `shell_id`.
    pub async fn list_shells(info: &ConnectionInfo) -> Result<Vec<psremote_wsman::Shell>> {
        info.validate()?;
        let Target::Wsman { .. } = &info.target else {
            return Err(Error::Unsupported("listing shells over this transport"));
        };
        let t = WsmanTransport::new(info)?;
        let uri = info.resource_uri();
        let shells = t.client().enumerate_shells().await?;
        Ok(shells
            .into_iter()
            .filter(|s| s.resource_uri.is_empty() || s.resource_uri.eq_ignore_ascii_case(&uri))
            .collect())
    }

    /// Attaches to a RunspacePool another client disconnected (Connect-PSSession /
    /// Receive-PSSession; MS-PSRP 3.1.4.10 CONNECT_RUNSPACEPOOL over WS-Man Connect).
    /// `shell_id` is the shell's id as the server lists it (the pool id).
    pub async fn attach(
        info: ConnectionInfo,
        shell_id: &str,
        options: SessionOptions,
    ) -> Result<Session> {
        info.validate()?;
        let Target::Wsman { .. } = &info.target else {
            return Err(Error::Unsupported(
                "attaching to a disconnected pool over this transport",
            ));
        };
        let runspace_pool_id = Uuid::parse_str(shell_id)
            .map_err(|e| Error::Config(format!("not a shell id: {shell_id}: {e}")))?;
        let open_timeout = info.open_timeout;
        let computer = info.computer_name.clone();
        let transport: SharedTransport = Arc::new(WsmanTransport::new(&info)?);
        let attach = async {
            let mut pool = Pool::new(
                &info,
                options.host.is_interactive(),
                transport.max_fragment_size(),
                Some(runspace_pool_id),
            )?;
            let (in_tx, in_rx) = mpsc::channel::<Inbound>(16);
            let connect = pool.connect()?;
            transport.want_pool_receive(true);
            let reply = transport.attach(shell_id, connect, in_tx.clone()).await?;
            pool.receive(&reply)?;
            Session::finish_open(
                transport.clone(),
                pool,
                in_tx,
                in_rx,
                info.clone(),
                options.clone(),
            )
            .await
        };
        match tokio::time::timeout(open_timeout, attach).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                what: format!("connecting to the runspace pool on {computer}"),
                after: open_timeout,
            }),
        }
    }

    async fn open(
        transport: SharedTransport,
        info: ConnectionInfo,
        options: SessionOptions,
    ) -> Result<Session> {
        let mut pool = Pool::new(
            &info,
            options.host.is_interactive(),
            transport.max_fragment_size(),
            None,
        )?;
        let (in_tx, in_rx) = mpsc::channel::<Inbound>(16);
        let opening = pool.open()?;
        let runspace_pool_id = pool.id();
        transport.want_pool_receive(true);
        transport
            .open(runspace_pool_id, opening, in_tx.clone())
            .await?;
        Session::finish_open(transport, pool, in_tx, in_rx, info, options).await
    }

    /// Reads until the pool is Opened and starts the driver.
    async fn finish_open(
        transport: SharedTransport,
        mut pool: Pool,
        in_tx: InboundSender,
        mut in_rx: mpsc::Receiver<Inbound>,
        info: ConnectionInfo,
        options: SessionOptions,
    ) -> Result<Session> {
        let runspace_pool_id = pool.id();

        // Read until the pool is Opened (SESSION_CAPABILITY, APPLICATION_PRIVATE_DATA,
        // RUNSPACEPOOL_STATE: MS-PSRP 3.1.4.1; RUNSPACEPOOL_INIT_DATA when connecting),
        // sending what the pool asks on the way.
        let mut private_data = None;
        let mut sender = Sender::spawn(transport.clone(), in_tx.clone());
        // The carrier waits for this before it polls the pool again: released once the data it
        // brought has been read, so a poll after the last opening message is never sent.
        let mut resume: Option<oneshot::Sender<()>> = None;
        loop {
            for p in pool.drain_sends() {
                sender.send(p);
            }
            // Events first: a Connect reply may already have opened the pool.
            let mut opened = false;
            while let Some(ev) = pool.next_event() {
                match ev {
                    Event::ApplicationPrivateData { data } => private_data = Some(data),
                    Event::RunspacePoolStateChanged { state, error } => match state {
                        RunspacePoolState::Opened => opened = true,
                        RunspacePoolState::Broken | RunspacePoolState::Closed => {
                            let _ = transport.close().await;
                            return Err(Error::broken_from_value(error.as_ref()));
                        }
                        _ => {}
                    },
                    other => tracing::debug!(?other, "event while opening"),
                }
            }
            if opened {
                break;
            }
            if let Some(r) = resume.take() {
                let _ = r.send(());
            }
            let Some(inb) = in_rx.recv().await else {
                return Err(Error::Closed);
            };
            match inb {
                Inbound::Data {
                    bytes, resume: r, ..
                } => {
                    pool.receive(&bytes)?;
                    resume = r;
                }
                Inbound::PipelineDone(_) => {}
                Inbound::Failed(e) | Inbound::SendFailed { error: e, .. } => {
                    let _ = transport.close().await;
                    return Err(e);
                }
            }
        }
        transport.want_pool_receive(false);
        if let Some(r) = resume {
            let _ = r.send(());
        }
        transport.opened(pool.protocol_version());

        let (tx, rx) = mpsc::channel(64);
        let (state_tx, state_rx) = watch::channel(SessionState::Opened);
        let driver = Driver {
            pool,
            transport: transport.clone(),
            sender,
            rx,
            self_tx: tx.clone(),
            inbound_tx: in_tx,
            inbound_rx: in_rx,
            pipelines: HashMap::new(),
            host: options.host,
            state: state_tx,
            key_waiters: Vec::new(),
            pool_calls: HashMap::new(),
        };
        let handle = tokio::spawn(driver.run());
        Ok(Session {
            inner: Arc::new(Inner {
                tx,
                state: state_rx,
                computer_name: info.computer_name.clone(),
                info,
                runspace_pool_id,
                application_private_data: private_data,
                has_session_key: std::sync::atomic::AtomicBool::new(false),
                transport,
                driver: Mutex::new(Some(handle)),
            }),
        })
    }

    /// The name output is tagged with (PSComputerName).
    pub fn computer_name(&self) -> &str {
        &self.inner.computer_name
    }

    /// The settings this session was opened with.
    pub fn connection_info(&self) -> &ConnectionInfo {
        &self.inner.info
    }

    /// The server's id for this pool (the WS-Man ShellId; what [`Session::attach`] takes).
    pub fn shell_id(&self) -> Option<String> {
        self.inner.transport.shell_id()
    }

    /// The RunspacePool id (RunspaceId on tagged output; the ShellId over WS-Man).
    pub fn runspace_pool_id(&self) -> Option<Uuid> {
        Some(self.inner.runspace_pool_id)
    }

    pub fn state(&self) -> SessionState {
        self.inner.state.borrow().clone()
    }

    /// APPLICATION_PRIVATE_DATA (MS-PSRP 2.2.2.13): the server's PSVersionTable and friends.
    pub fn application_private_data(&self) -> Option<&Value> {
        self.inner.application_private_data.as_ref()
    }

    fn check_usable(&self) -> Result<()> {
        match &*self.inner.state.borrow() {
            SessionState::Opened | SessionState::Opening => Ok(()),
            SessionState::Disconnected => Err(Error::Disconnected),
            SessionState::Broken(r) => Err(Error::broken(r.clone())),
            SessionState::Closed => Err(Error::Closed),
        }
    }

    async fn start(&self, ps: PowerShell, input: Option<Vec<Value>>) -> Result<PipelineStream> {
        self.start_with(ps, input, false).await
    }

    async fn start_with(
        &self,
        ps: PowerShell,
        input: Option<Vec<Value>>,
        streamed_input: bool,
    ) -> Result<PipelineStream> {
        self.check_usable().map_err(Error::not_started)?;
        let (out, rx) = mpsc::channel(self.inner.info.stream_buffer.max(1));
        let (started, started_rx) = oneshot::channel();
        self.inner
            .tx
            .send(Request::Invoke {
                ps,
                input,
                streamed_input,
                out,
                started: Some(started),
            })
            .await
            .map_err(|_| Error::Closed)?;
        let pipeline = started_rx
            .await
            .map_err(|_| Error::not_started(Error::Closed))?
            .map_err(Error::not_started)?;
        Ok(PipelineStream::new(
            rx,
            Some(Stopper {
                tx: self.inner.tx.clone(),
                pipeline,
            }),
        ))
    }

    /// Starts a pipeline whose caller only reads it to the end (`invoke*`): no stopper and no
    /// separate "started" answer; a failure to start arrives as the stream's end
    /// (`Error::NotStarted`), so the caller's task is woken once per call, not twice.
    async fn start_unacked(
        &self,
        ps: PowerShell,
        input: Option<Vec<Value>>,
    ) -> Result<PipelineStream> {
        self.check_usable().map_err(Error::not_started)?;
        let (out, rx) = mpsc::channel(self.inner.info.stream_buffer.max(1));
        self.inner
            .tx
            .send(Request::Invoke {
                ps,
                input,
                streamed_input: false,
                out,
                started: None,
            })
            .await
            .map_err(|_| Error::Closed)?;
        Ok(PipelineStream::new(rx, None))
    }

    /// Runs a pipeline and streams its records as they arrive.
    pub async fn stream(
        &self,
        ps: impl Into<PowerShell>,
        input: impl IntoIterator<Item = Value>,
    ) -> Result<PipelineStream> {
        let input: Vec<Value> = input.into_iter().collect();
        let input = (!input.is_empty()).then_some(input);
        self.start(ps.into(), input).await
    }

    /// Runs a pipeline fed from `input` as it produces values (PIPELINE_INPUT, MS-PSRP
    /// 2.2.2.17): the next chunk is read only once the previous one went out, so a large or
    /// endless input is never buffered whole. END_OF_PIPELINE_INPUT follows the last value.
    pub async fn stream_with_input<S>(
        &self,
        ps: impl Into<PowerShell>,
        input: S,
    ) -> Result<PipelineStream>
    where
        S: futures::Stream<Item = Value> + Send + 'static,
    {
        let st = self.start_with(ps.into(), None, true).await?;
        let Some(pipeline) = st.stopper.as_ref().map(|s| s.pipeline_id()) else {
            return Err(Error::InvalidState("pipeline without an id"));
        };
        let tx = self.inner.tx.clone();
        tokio::spawn(async move {
            let mut chunks = std::pin::pin!(input.ready_chunks(INPUT_CHUNK));
            loop {
                let next = chunks.next().await;
                let end = next.is_none();
                let (sent, done) = oneshot::channel();
                let req = Request::Input {
                    pipeline,
                    values: next.unwrap_or_default(),
                    end,
                    sent,
                };
                if tx.send(req).await.is_err() {
                    return;
                }
                // Stop feeding when the pipeline is gone (stopped, failed, closed).
                match done.await {
                    Ok(Ok(())) if !end => {}
                    _ => return,
                }
            }
        });
        Ok(st)
    }

    /// Runs a pipeline and returns its output; non-terminating errors are dropped (use
    /// [`Self::invoke_full`] to see them). A Failed pipeline is `Err(Error::PipelineFailed)`,
    /// a stopped one `Err(Error::PipelineStopped)` (its partial output is not a result).
    pub async fn invoke(&self, ps: impl Into<PowerShell>) -> Result<Vec<Value>> {
        self.invoke_with_input(ps, Vec::new()).await
    }

    /// Runs a pipeline with pipeline input (`$input` / ValueFromPipeline).
    pub async fn invoke_with_input(
        &self,
        ps: impl Into<PowerShell>,
        input: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<Value>> {
        let inv = self.invoke_full(ps, input).await?;
        match inv.state {
            InvocationState::Completed => Ok(inv.output),
            InvocationState::Stopped => Err(Error::PipelineStopped),
        }
    }

    /// Runs a pipeline and collects every stream.
    pub async fn invoke_full(
        &self,
        ps: impl Into<PowerShell>,
        input: impl IntoIterator<Item = Value>,
    ) -> Result<Invocation> {
        let input: Vec<Value> = input.into_iter().collect();
        let input = (!input.is_empty()).then_some(input);
        let mut s = self.start_unacked(ps.into(), input).await?;
        let mut inv = Invocation::default();
        while let Some(d) = s.next_delivery().await {
            match d {
                Delivery::Item(i) => inv.push(i),
                Delivery::End(PipelineEnd::Completed) => return Ok(inv),
                Delivery::End(PipelineEnd::Stopped) => {
                    inv.state = InvocationState::Stopped;
                    return Ok(inv);
                }
                Delivery::End(PipelineEnd::Failed(e)) => return Err(e),
                // `next_delivery` unpacks batches.
                Delivery::Last(_) => return Err(Error::Closed),
            }
        }
        Err(Error::Closed)
    }

    /// Runs script text (a script block body) with positional `-ArgumentList` values.
    pub async fn invoke_script(
        &self,
        script: &str,
        args: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<Value>> {
        let mut cmd = psremote_psrp::Command::script(script);
        for a in args {
            cmd = cmd.arg(a);
        }
        self.invoke(cmd).await
    }

    /// Runs a local script file's text remotely (Invoke-Command -FilePath).
    pub async fn invoke_file(
        &self,
        path: impl AsRef<std::path::Path>,
        args: impl IntoIterator<Item = Value>,
    ) -> Result<Invocation> {
        let path = path.as_ref();
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let mut cmd = psremote_psrp::Command::script(text);
        for a in args {
            cmd = cmd.arg(a);
        }
        self.invoke_full(cmd, Vec::new()).await
    }

    /// Runs a script and returns its output as strings (each value's text), e.g. the
    /// discovery script's JSON lines.
    pub async fn run_script_collect_strings(&self, script: &str) -> Result<Vec<String>> {
        let values = self.invoke(psremote_psrp::Command::script(script)).await?;
        Ok(values.iter().map(value_text).collect())
    }

    /// GET_COMMAND_METADATA (MS-PSRP 2.2.2.14, 3.1.4.10): the CommandMetadata objects of the
    /// commands matching `names` (wildcards allowed; empty = `*`). The leading
    /// CommandMetadataCount object is checked and dropped.
    pub async fn get_command_metadata(&self, names: &[&str]) -> Result<Vec<Value>> {
        self.check_usable()?;
        let (out, rx) = mpsc::channel(self.inner.info.stream_buffer.max(1));
        let (started, started_rx) = oneshot::channel();
        self.inner
            .tx
            .send(Request::CommandMetadata {
                names: names.iter().map(|s| s.to_string()).collect(),
                out,
                started,
            })
            .await
            .map_err(|_| Error::Closed)?;
        started_rx.await.map_err(|_| Error::Closed)??;
        let mut s = PipelineStream::new(rx, None);
        let mut values = Vec::new();
        while let Some(item) = s.next().await {
            if let StreamItem::Output(v) = item? {
                values.push(v);
            }
        }
        proto::strip_metadata_count(values)
    }

    /// Encrypts `text` with the session key as a `<SS>` SecureString value (MS-PSRP
    /// 2.2.5.1.24), exchanging the key first if needed (PUBLIC_KEY / ENCRYPTED_SESSION_KEY).
    pub async fn secure_string(&self, text: &secrecy::SecretString) -> Result<Value> {
        self.check_usable()?;
        // RSA key generation is slow: keep it off the driver.
        let key = if self
            .inner
            .has_session_key
            .load(std::sync::atomic::Ordering::Acquire)
        {
            None
        } else {
            let kx = tokio::task::spawn_blocking(psremote_psrp::KeyExchange::generate)
                .await
                .map_err(|e| Error::Transport(format!("key generation task: {e}")))??;
            Some(kx)
        };
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .send(Request::SecureString {
                text: text.clone(),
                key,
                reply,
            })
            .await
            .map_err(|_| Error::Closed)?;
        let v = rx.await.map_err(|_| Error::Closed)??;
        self.inner
            .has_session_key
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(v)
    }

    async fn pool_call(&self, call: PoolCall) -> Result<psremote_psrp::Availability> {
        self.check_usable()?;
        let (reply, rx) = oneshot::channel();
        self.inner
            .tx
            .send(Request::PoolCall { call, reply })
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// SET_MAX_RUNSPACES (MS-PSRP 2.2.2.6): how many pipelines may run at once. Returns
    /// whether the server accepted it.
    pub async fn set_max_runspaces(&self, max: u32) -> Result<bool> {
        let n = i32::try_from(max).map_err(|_| Error::Config(format!("{max} runspaces")))?;
        match self.pool_call(PoolCall::SetMax(n)).await? {
            psremote_psrp::Availability::Succeeded(ok) => Ok(ok),
            other => Err(Error::UnexpectedValue(format!("{other:?}"))),
        }
    }

    /// SET_MIN_RUNSPACES (MS-PSRP 2.2.2.7).
    pub async fn set_min_runspaces(&self, min: u32) -> Result<bool> {
        let n = i32::try_from(min).map_err(|_| Error::Config(format!("{min} runspaces")))?;
        match self.pool_call(PoolCall::SetMin(n)).await? {
            psremote_psrp::Availability::Succeeded(ok) => Ok(ok),
            other => Err(Error::UnexpectedValue(format!("{other:?}"))),
        }
    }

    /// GET_AVAILABLE_RUNSPACES (MS-PSRP 2.2.2.11): runspaces free for new pipelines.
    pub async fn available_runspaces(&self) -> Result<i64> {
        match self.pool_call(PoolCall::GetAvailable).await? {
            psremote_psrp::Availability::Available(n) => Ok(n),
            other => Err(Error::UnexpectedValue(format!("{other:?}"))),
        }
    }

    /// Disconnects (WS-Man Disconnect): the pool keeps running on the server.
    pub async fn disconnect(&self) -> Result<()> {
        self.control(Request::Disconnect).await
    }

    /// Reconnects a pool this client disconnected.
    pub async fn reconnect(&self) -> Result<()> {
        self.control(Request::Reconnect).await
    }

    /// Closes the pool (WS-Man Delete / `<Close>`).
    pub async fn close(&self) -> Result<()> {
        if matches!(*self.inner.state.borrow(), SessionState::Closed) {
            return Ok(());
        }
        self.control(Request::Close).await
    }

    async fn control(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<()>>) -> Request,
    ) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.inner
            .tx
            .send(make(tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

/// A value's text: the string itself, or ToString.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .to_string
            .clone()
            .or_else(|| match &o.content {
                psremote_clixml::ObjContent::Value(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

/// Sends payloads in order on the transport; a failure is reported as `Inbound::Failed`.
struct Sender {
    tx: mpsc::UnboundedSender<Outgoing>,
    /// The transport's `pipeline_finished` sends nothing: finished pipelines are passed on
    /// with the next payload (before it, so an id can be reused) instead of waking the task.
    finish_is_local: bool,
    finished: Vec<Uuid>,
}

enum Outgoing {
    Payload(Payload),
    Finished(Uuid),
    /// Fires once everything queued before it went out (input backpressure).
    Flushed(oneshot::Sender<()>),
}

impl Sender {
    fn spawn(transport: SharedTransport, inbound: InboundSender) -> Sender {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        let finish_is_local = transport.finish_is_local();
        tokio::spawn(async move {
            // Pipelines whose first payload (the one that creates them) was sent.
            let mut created = std::collections::HashSet::new();
            while let Some(o) = rx.recv().await {
                match o {
                    Outgoing::Payload(p) => {
                        let stream = match p.stream {
                            StreamKind::Default => DataStream::Default,
                            StreamKind::PromptResponse => DataStream::PromptResponse,
                        };
                        let pipeline = p.pipeline_id;
                        let first = pipeline.is_some_and(|pid| created.insert(pid));
                        if let Err(error) = transport.send(pipeline, stream, p.data).await {
                            let _ = inbound
                                .send(Inbound::SendFailed {
                                    pipeline,
                                    first,
                                    error,
                                })
                                .await;
                        }
                    }
                    Outgoing::Flushed(done) => {
                        let _ = done.send(());
                    }
                    Outgoing::Finished(pid) => {
                        created.remove(&pid);
                        // Releasing a finished command is best effort.
                        if let Err(e) = transport.pipeline_finished(pid).await {
                            tracing::debug!(%pid, error = %e, "releasing a finished pipeline");
                        }
                    }
                }
            }
        });
        Sender {
            tx,
            finish_is_local,
            finished: Vec::new(),
        }
    }

    fn pass_finished(&mut self) {
        for pid in self.finished.drain(..) {
            let _ = self.tx.send(Outgoing::Finished(pid));
        }
    }

    fn send(&mut self, p: Payload) {
        self.pass_finished();
        let _ = self.tx.send(Outgoing::Payload(p));
    }

    fn finished(&mut self, pid: Uuid) {
        if self.finish_is_local && self.finished.len() < INPUT_CHUNK {
            self.finished.push(pid);
        } else {
            self.pass_finished();
            let _ = self.tx.send(Outgoing::Finished(pid));
        }
    }

    fn flushed(&mut self, done: oneshot::Sender<()>) {
        self.pass_finished();
        let _ = self.tx.send(Outgoing::Flushed(done));
    }
}

/// A batch of deliveries for one pipeline, and the token that lets its carrier fetch more.
struct Batch {
    items: Vec<Delivery>,
    resume: Option<oneshot::Sender<()>>,
}

struct Slot {
    /// The consumer's bounded channel.
    out: mpsc::Sender<Delivery>,
    /// Set once the consumer's channel was full: from then on every batch goes through a
    /// forwarder task, so deliveries stay in order and the carrier waits for room.
    forward: Option<mpsc::UnboundedSender<Batch>>,
    /// The consumer is gone (seen by the driver itself).
    gone: bool,
    pending: Vec<Delivery>,
    abandoned: bool,
    stop_sent: bool,
}

impl Slot {
    fn new(out: mpsc::Sender<Delivery>) -> Slot {
        Slot {
            out,
            forward: None,
            gone: false,
            pending: Vec::new(),
            abandoned: false,
            stop_sent: false,
        }
    }

    /// Hands the pending deliveries to the consumer, then releases the carrier (`resume`).
    /// While the consumer has room this happens right here, with no task in between (a call
    /// wakes its caller once); a full channel hands over to a forwarder task that waits for
    /// room. Returns true when it found the consumer gone just now.
    fn deliver(
        &mut self,
        pid: Uuid,
        resume: Option<oneshot::Sender<()>>,
        driver: &mpsc::Sender<Request>,
    ) -> bool {
        let items = std::mem::take(&mut self.pending);
        if let Some(f) = &self.forward {
            let _ = f.send(Batch { items, resume });
            return false;
        }
        // A pipeline's final batch (its end last) goes as one message: one wake-up of the
        // consumer. Nothing follows it, so it needs no more room than one delivery.
        let items =
            if items.len() > 1 && !self.gone && matches!(items.last(), Some(Delivery::End(_))) {
                match self.out.try_send(Delivery::Last(items)) {
                    Ok(()) => {
                        if let Some(r) = resume {
                            let _ = r.send(());
                        }
                        return false;
                    }
                    Err(mpsc::error::TrySendError::Full(Delivery::Last(items))) => items,
                    Err(mpsc::error::TrySendError::Full(other)) => vec![other],
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        self.gone = true;
                        if let Some(r) = resume {
                            let _ = r.send(());
                        }
                        return true;
                    }
                }
            } else {
                items
            };
        let mut newly_gone = false;
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            if self.gone {
                continue;
            }
            match self.out.try_send(item) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(item)) => {
                    let rest: Vec<Delivery> = std::iter::once(item).chain(items).collect();
                    let (ftx, frx) = mpsc::unbounded_channel();
                    tokio::spawn(forward(frx, self.out.clone(), driver.clone(), pid));
                    let _ = ftx.send(Batch {
                        items: rest,
                        resume,
                    });
                    self.forward = Some(ftx);
                    return newly_gone;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.gone = true;
                    newly_gone = true;
                }
            }
        }
        if let Some(r) = resume {
            let _ = r.send(());
        }
        newly_gone
    }
}

/// Moves batches into the consumer's bounded channel; waits for room (backpressure), then
/// releases the carrier. If the consumer is gone it tells the driver and keeps draining.
async fn forward(
    mut batches: mpsc::UnboundedReceiver<Batch>,
    out: mpsc::Sender<Delivery>,
    driver: mpsc::Sender<Request>,
    pid: Uuid,
) {
    let mut gone = false;
    while let Some(b) = batches.recv().await {
        for item in b.items {
            if !gone && out.send(item).await.is_err() {
                gone = true;
                let _ = driver.send(Request::Abandon(pid)).await;
            }
        }
        if let Some(r) = b.resume {
            let _ = r.send(());
        }
    }
}

struct Driver {
    pool: Pool,
    transport: SharedTransport,
    sender: Sender,
    rx: mpsc::Receiver<Request>,
    self_tx: mpsc::Sender<Request>,
    inbound_tx: InboundSender,
    inbound_rx: mpsc::Receiver<Inbound>,
    pipelines: HashMap<Uuid, Slot>,
    host: Arc<dyn Host>,
    state: watch::Sender<SessionState>,
    /// SecureStrings waiting for the session key.
    key_waiters: Vec<(secrecy::SecretString, oneshot::Sender<Result<Value>>)>,
    /// Pool requests waiting for RUNSPACE_AVAILABILITY, by call id.
    pool_calls: HashMap<i64, oneshot::Sender<Result<psremote_psrp::Availability>>>,
}

impl Driver {
    async fn run(mut self) {
        loop {
            for p in self.pool.drain_sends() {
                self.sender.send(p);
            }
            tokio::select! {
                req = self.rx.recv() => match req {
                    Some(r) => {
                        if self.on_request(r).await {
                            return;
                        }
                    }
                    None => {
                        let _ = self.transport.close().await;
                        return;
                    }
                },
                Some(inb) = self.inbound_rx.recv() => self.on_inbound(inb),
            }
        }
    }

    fn is_usable(&self) -> Result<()> {
        match &*self.state.borrow() {
            SessionState::Opened | SessionState::Opening => Ok(()),
            SessionState::Disconnected => Err(Error::Disconnected),
            SessionState::Broken(r) => Err(Error::broken(r.clone())),
            SessionState::Closed => Err(Error::Closed),
        }
    }

    fn add_slot(&mut self, pid: Uuid, out: mpsc::Sender<Delivery>) {
        self.pipelines.insert(pid, Slot::new(out));
    }

    /// Returns true when the driver should exit.
    async fn on_request(&mut self, req: Request) -> bool {
        // The carrier may have learnt a smaller MaxEnvelopeSize (after an EncodingLimit fault).
        if let Some(max) = self.transport.max_fragment_size() {
            self.pool.sync_max_fragment_size(max);
        }
        match req {
            Request::Invoke {
                ps,
                input,
                streamed_input,
                out,
                started,
            } => {
                let r = self.is_usable().and_then(|_| {
                    let has_input = input.is_some() || streamed_input;
                    let pid = self.pool.create_pipeline(ps, has_input)?;
                    if let Some(values) = input {
                        let queued = self
                            .pool
                            .send_input(pid, values)
                            .and_then(|_| self.pool.end_input(pid));
                        if let Err(e) = queued {
                            // Nothing was sent yet: drop the queued CREATE_PIPELINE too.
                            self.pool.remove_pipeline(pid);
                            return Err(e);
                        }
                    }
                    Ok(pid)
                });
                match (r, started) {
                    (r, Some(started)) => {
                        if let Ok(pid) = r {
                            self.add_slot(pid, out);
                        }
                        let _ = started.send(r);
                    }
                    (Ok(pid), None) => self.add_slot(pid, out),
                    (Err(e), None) => {
                        // A fresh channel has room for this one delivery.
                        let _ =
                            out.try_send(Delivery::End(PipelineEnd::Failed(Error::not_started(e))));
                    }
                }
            }
            Request::CommandMetadata {
                names,
                out,
                started,
            } => {
                let r = self
                    .is_usable()
                    .and_then(|_| self.pool.get_command_metadata(&names));
                if let Ok(pid) = r {
                    self.add_slot(pid, out);
                }
                let _ = started.send(r);
            }
            Request::Input {
                pipeline,
                values,
                end,
                sent,
            } => {
                let queued = self.pool.send_input(pipeline, values).and_then(|_| {
                    if end {
                        self.pool.end_input(pipeline)
                    } else {
                        Ok(())
                    }
                });
                match queued {
                    Ok(()) => {
                        for p in self.pool.drain_sends() {
                            self.sender.send(p);
                        }
                        let (tx, rx) = oneshot::channel();
                        self.sender.flushed(tx);
                        tokio::spawn(async move {
                            let r = rx.await.map_err(|_| Error::Closed);
                            let _ = sent.send(r);
                        });
                    }
                    Err(e) => {
                        let _ = sent.send(Err(e));
                    }
                }
            }
            Request::Stop(pid) => self.stop(pid),
            Request::Abandon(pid) => {
                if let Some(s) = self.pipelines.get_mut(&pid) {
                    s.abandoned = true;
                }
                self.stop(pid);
            }
            Request::HostDone {
                pipeline,
                call,
                result,
            } => {
                if let Err(e) = self.pool.host_response(pipeline, &call, result) {
                    tracing::warn!(error = %e, "cannot send a host response");
                }
            }
            Request::SecureString { text, key, reply } => {
                use secrecy::ExposeSecret;
                if self.pool.has_session_key() {
                    let _ = reply.send(self.pool.encrypt_secure_string(text.expose_secret()));
                } else {
                    let started = match key {
                        Some(kx) if self.key_waiters.is_empty() => self.pool.exchange_key_with(kx),
                        // An exchange is already on its way.
                        Some(_) => Ok(()),
                        None => Err(Error::InvalidState("no key pair for the key exchange")),
                    };
                    match started {
                        Ok(()) => {
                            self.transport.want_pool_receive(true);
                            self.key_waiters.push((text, reply));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
            }
            Request::PoolCall { call, reply } => {
                match self.is_usable().and_then(|_| self.pool.pool_call(call)) {
                    Ok(call_id) => {
                        // The answer comes on the pool's own output.
                        self.transport.want_pool_receive(true);
                        self.pool_calls.insert(call_id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Request::Disconnect(done) => {
                let r = match self.transport.disconnect().await {
                    Ok(()) => {
                        let _ = self.state.send(SessionState::Disconnected);
                        self.pool.disconnected()
                    }
                    Err(e) => Err(e),
                };
                let _ = done.send(r);
            }
            Request::Reconnect(done) => {
                let r = match self.transport.reconnect(self.inbound_tx.clone()).await {
                    Ok(()) => {
                        let _ = self.state.send(SessionState::Opened);
                        self.pool.reconnected()
                    }
                    Err(e) => Err(e),
                };
                let _ = done.send(r);
            }
            Request::Close(done) => {
                // Pipelines still running end with `Error::Closed`.
                for (pid, mut slot) in self.pipelines.drain() {
                    slot.pending
                        .push(Delivery::End(PipelineEnd::Failed(Error::Closed)));
                    slot.deliver(pid, None, &self.self_tx);
                    tracing::debug!(%pid, "pipeline ended by close");
                }
                // Closing is the transport's (WS-Man Delete, out-of-process `<Close>`); what
                // the pool still had queued is moot.
                let r = self.pool.close();
                let _ = self.pool.drain_sends();
                let r2 = self.transport.close().await;
                let _ = self.state.send(SessionState::Closed);
                let _ = done.send(r.and(r2));
                return true;
            }
        }
        false
    }

    fn stop(&mut self, pid: Uuid) {
        let Some(slot) = self.pipelines.get_mut(&pid) else {
            return;
        };
        if slot.stop_sent {
            return;
        }
        slot.stop_sent = true;
        if let Err(e) = self.pool.stop(pid) {
            tracing::debug!(%pid, error = %e, "stop of a pipeline that is not running");
            return;
        }
        let t = self.transport.clone();
        let inbound = self.inbound_tx.clone();
        tokio::spawn(async move {
            if let Err(e) = t.stop(pid).await {
                tracing::debug!(%pid, error = %e, "stop signal failed");
                let _ = inbound;
            }
        });
    }

    fn on_inbound(&mut self, inb: Inbound) {
        match inb {
            Inbound::Data {
                pipeline,
                bytes,
                resume,
                done,
            } => {
                let r = self.pool.receive(&bytes);
                self.dispatch_events();
                // A message naming a pipeline the pool does not know (finished and forgotten,
                // or never ours) concerns no running call: drop it rather than break the pool
                // or the pipeline whose stream carried it.
                let r = match r {
                    Err(Error::Protocol(psremote_psrp::Error::UnknownPipeline(pid))) => {
                        tracing::debug!(%pid, "message for an unknown pipeline dropped");
                        Ok(())
                    }
                    r => r,
                };
                if let Err(e) = r {
                    // Undecodable bytes for one pipeline fail that pipeline; for the pool,
                    // the pool is lost.
                    match pipeline.and_then(|p| self.pipelines.remove(&p).map(|s| (p, s))) {
                        Some((pid, mut slot)) => {
                            slot.pending.push(Delivery::End(PipelineEnd::Failed(e)));
                            self.flush_slot_owned(pid, slot, resume);
                            self.stop_removed(pid);
                            return;
                        }
                        None => {
                            self.fail_all(Error::broken(e.to_string()));
                        }
                    }
                }
                self.flush_all(pipeline, resume);
                if let Some(pid) = done {
                    self.on_inbound(Inbound::PipelineDone(pid));
                }
            }
            Inbound::PipelineDone(pid) => {
                // The carrier has nothing more for it. If the PSRP state never came (a
                // server that ends the command without PIPELINE_STATE), end it here.
                if let Some(mut slot) = self.pipelines.remove(&pid) {
                    slot.pending
                        .push(Delivery::End(PipelineEnd::Failed(Error::UnexpectedValue(
                            "the command ended without a PIPELINE_STATE message".into(),
                        ))));
                    self.flush_slot_owned(pid, slot, None);
                }
            }
            Inbound::SendFailed {
                pipeline: Some(pid),
                first: true,
                error,
            } => {
                // The command never reached the server.
                let lost = error.is_session_lost();
                let reason = error.to_string();
                if let Some(mut slot) = self.pipelines.remove(&pid) {
                    slot.pending
                        .push(Delivery::End(PipelineEnd::Failed(Error::not_started(
                            error,
                        ))));
                    self.flush_slot_owned(pid, slot, None);
                }
                if lost {
                    self.fail_all(Error::broken(reason.clone()));
                    let _ = self.state.send(SessionState::Broken(reason));
                }
            }
            Inbound::SendFailed { error, .. } => self.on_inbound(Inbound::Failed(error)),
            Inbound::Failed(e) => {
                let lost = e.is_session_lost();
                tracing::debug!(error = %e, "transport failed");
                let reason = e.to_string();
                if lost {
                    self.fail_all(e);
                    let _ = self.state.send(SessionState::Broken(reason));
                } else {
                    self.fail_all(e);
                }
            }
        }
    }

    fn fail_all(&mut self, e: Error) {
        let reason = e.to_string();
        for (_, reply) in self.key_waiters.drain(..) {
            let _ = reply.send(Err(Error::broken(reason.clone())));
        }
        for (_, reply) in self.pool_calls.drain() {
            let _ = reply.send(Err(Error::broken(reason.clone())));
        }
        let mut first = Some(e);
        for (pid, mut slot) in std::mem::take(&mut self.pipelines) {
            let err = first
                .take()
                .unwrap_or_else(|| Error::broken(reason.clone()));
            slot.pending.push(Delivery::End(PipelineEnd::Failed(err)));
            self.flush_slot_owned(pid, slot, None);
        }
    }

    fn stop_removed(&self, pid: Uuid) {
        let t = self.transport.clone();
        tokio::spawn(async move {
            let _ = t.stop(pid).await;
        });
    }

    fn dispatch_events(&mut self) {
        while let Some(ev) = self.pool.next_event() {
            match ev {
                Event::RunspacePoolStateChanged { state, error } => match state {
                    RunspacePoolState::Broken | RunspacePoolState::Closed => {
                        let e = Error::broken_from_value(error.as_ref());
                        let reason = e.to_string();
                        self.fail_all(e);
                        let _ = self.state.send(if state == RunspacePoolState::Closed {
                            SessionState::Closed
                        } else {
                            SessionState::Broken(reason)
                        });
                    }
                    _ => {}
                },
                Event::ApplicationPrivateData { .. } => {}
                Event::RunspaceAvailability {
                    call_id,
                    availability,
                } => {
                    if let Some(reply) = self.pool_calls.remove(&call_id) {
                        let _ = reply.send(Ok(availability));
                    }
                    if self.pool_calls.is_empty() && self.key_waiters.is_empty() {
                        self.transport.want_pool_receive(false);
                    }
                }
                Event::EncryptedSessionKey => {
                    use secrecy::ExposeSecret;
                    self.transport.want_pool_receive(false);
                    for (text, reply) in self.key_waiters.drain(..) {
                        let _ = reply.send(self.pool.encrypt_secure_string(text.expose_secret()));
                    }
                }
                Event::PipelineOutput { pid, value } => {
                    self.push(pid, StreamItem::Output(value));
                }
                Event::ErrorRecord { pid, record } => {
                    self.push(pid, StreamItem::Error(ErrorRecord::new(record)));
                }
                Event::Warning { pid, record } => {
                    self.push(
                        pid,
                        StreamItem::Warning(InformationalRecord { value: record }),
                    );
                }
                Event::Verbose { pid, record } => {
                    self.push(
                        pid,
                        StreamItem::Verbose(InformationalRecord { value: record }),
                    );
                }
                Event::Debug { pid, record } => {
                    self.push(
                        pid,
                        StreamItem::Debug(InformationalRecord { value: record }),
                    );
                }
                Event::Information { pid, record } => {
                    self.push(
                        pid,
                        StreamItem::Information(InformationRecord { value: record }),
                    );
                }
                Event::Progress { pid, record } => {
                    self.push(pid, StreamItem::Progress(ProgressRecord { value: record }));
                }
                Event::PipelineStateChanged { pid, state, error } => {
                    if !state.is_terminal() {
                        continue;
                    }
                    let end = match state {
                        PSInvocationState::Completed => PipelineEnd::Completed,
                        PSInvocationState::Stopped => PipelineEnd::Stopped,
                        _ => PipelineEnd::Failed(match error {
                            Some(v) => proto::failure_from_state_error(v),
                            None => Error::failed(ErrorRecord::new(Value::String(
                                "the pipeline failed".into(),
                            ))),
                        }),
                    };
                    if let Some(slot) = self.pipelines.get_mut(&pid) {
                        slot.pending.push(Delivery::End(end));
                    }
                }
                other => {
                    if let Some((pipeline, call)) = proto::host_call(&other) {
                        self.host_call(pipeline, call);
                    } else {
                        tracing::debug!(?other, "unhandled PSRP event");
                    }
                }
            }
        }
    }

    fn host_call(&mut self, pipeline: Option<Uuid>, call: HostCall) {
        let fut = self.host.call(call.clone());
        let tx = self.self_tx.clone();
        tokio::spawn(async move {
            let result = fut.await;
            let _ = tx
                .send(Request::HostDone {
                    pipeline,
                    call,
                    result,
                })
                .await;
        });
    }

    fn push(&mut self, pid: Uuid, item: StreamItem) {
        if let Some(slot) = self.pipelines.get_mut(&pid)
            && !slot.abandoned
        {
            slot.pending.push(Delivery::Item(item));
        }
    }

    /// Hands every slot's pending deliveries to its forwarder; the carrier's resume token goes
    /// with the batch of the pipeline it fetched for.
    fn flush_all(&mut self, fetched_for: Option<Uuid>, resume: Option<oneshot::Sender<()>>) {
        let mut resume = resume;
        let ended: Vec<Uuid> = self
            .pipelines
            .iter()
            .filter(|(_, s)| matches!(s.pending.last(), Some(Delivery::End(_))))
            .map(|(k, _)| *k)
            .collect();
        let mut gone = Vec::new();
        for (pid, slot) in self.pipelines.iter_mut() {
            let token = if Some(*pid) == fetched_for {
                resume.take()
            } else {
                None
            };
            if slot.pending.is_empty() && token.is_none() {
                continue;
            }
            if slot.deliver(*pid, token, &self.self_tx) {
                gone.push(*pid);
            }
        }
        // As `Request::Abandon`: stop it and drop what it still sends.
        for pid in gone {
            if let Some(s) = self.pipelines.get_mut(&pid) {
                s.abandoned = true;
            }
            self.stop(pid);
        }
        // Data for the pool or for a pipeline we no longer track: nothing to wait for.
        if let Some(r) = resume {
            let _ = r.send(());
        }
        for pid in ended {
            self.pipelines.remove(&pid);
            self.pool.remove_pipeline(pid);
            self.sender.finished(pid);
        }
    }

    fn flush_slot_owned(&mut self, pid: Uuid, mut slot: Slot, resume: Option<oneshot::Sender<()>>) {
        slot.deliver(pid, resume, &self.self_tx);
        self.pool.remove_pipeline(pid);
        self.sender.finished(pid);
    }
}

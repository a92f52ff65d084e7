//! The client RunspacePool and its Pipelines, sans-IO (MS-PSRP 3.1.4, 3.1.5): feed the bytes
//! a transport received into [`RunspacePool::receive_data`], take [`Event`]s out with
//! [`RunspacePool::next_event`], and hand [`RunspacePool::data_to_send`] to the transport.

use std::collections::{HashMap, HashSet, VecDeque};

use psremote_clixml::{Limits, Value};
use uuid::Uuid;

use crate::command::PowerShell;
use crate::crypto::{KeyExchange, SessionKey};
use crate::error::Error;
use crate::event::{Event, Payload, StreamKind};
use crate::fragment::{
    DEFAULT_ENVELOPE_OVERHEAD, DefragmentLimits, Defragmenter, FragmentRef, Fragmenter,
    max_payload_for_envelope,
};
use crate::message::{Destination, HEADER_LEN, Message, MessageType, UTF8_BOM};
use crate::messages::{
    Availability, CreatePipeline, GetCommandMetadata, HostResponse, InitRunspacePool, MessageData,
    SessionCapability,
};
use crate::pipeline_xml::{self, Prefix, PrefixKey};
use crate::types::{
    ApartmentState, HostInfo, PSInvocationState, PSThreadOptions, ProtocolVersion,
    RemoteStreamOptions, RunspacePoolState,
};

/// How many finished pipelines a pool remembers (their final state, for late messages).
pub const FINISHED_PIPELINES_KEPT: usize = 128;

/// How to open a RunspacePool.
#[derive(Debug, Clone)]
pub struct RunspacePoolOptions {
    /// The pool's id (RPID). Over WS-Man it is also the ShellId.
    pub runspace_pool_id: Uuid,
    pub min_runspaces: i32,
    pub max_runspaces: i32,
    pub thread_options: PSThreadOptions,
    pub apartment_state: ApartmentState,
    pub host_info: HostInfo,
    /// `$PSSenderInfo.ApplicationArguments` on the server (a PSPrimitiveDictionary).
    pub application_arguments: Option<Value>,
    /// The highest protocol version to announce; the lower of this and the server's is used.
    pub protocol_version: ProtocolVersion,
    /// Largest payload of fragments one transport message may carry.
    pub max_fragment_size: usize,
    /// Limits on CLIXML read from the server.
    pub clixml_limits: Limits,
    /// Limits on reassembling the server's fragments.
    pub defragment_limits: DefragmentLimits,
}

impl Default for RunspacePoolOptions {
    fn default() -> Self {
        RunspacePoolOptions {
            runspace_pool_id: Uuid::new_v4(),
            min_runspaces: 1,
            max_runspaces: 1,
            thread_options: PSThreadOptions::Default,
            apartment_state: ApartmentState::Unknown,
            host_info: HostInfo::default(),
            application_arguments: None,
            protocol_version: ProtocolVersion::V2_3,
            // WinRM's default MaxEnvelopeSize is 500 KiB; 150 KiB is what every Windows
            // version accepts without configuration.
            max_fragment_size: max_payload_for_envelope(153_600, DEFAULT_ENVELOPE_OVERHEAD),
            clixml_limits: Limits::DEFAULT,
            defragment_limits: DefragmentLimits::default(),
        }
    }
}

/// How to run one pipeline (the CREATE_PIPELINE fields besides the commands, 2.2.2.10).
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// No PIPELINE_INPUT will follow.
    pub no_input: bool,
    pub host_info: HostInfo,
    pub apartment_state: ApartmentState,
    pub remote_stream_options: RemoteStreamOptions,
    /// Runs inside a running pipeline (e.g. from a host call).
    pub is_nested: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            no_input: true,
            host_info: HostInfo::default(),
            apartment_state: ApartmentState::Unknown,
            // Ask for InvocationInfo on every record, as Invoke-Command does.
            remote_stream_options: RemoteStreamOptions::AddInvocationInfo,
            is_nested: false,
        }
    }
}

/// A pipeline as the client sees it.
#[derive(Debug, Clone)]
struct PipelineEntry {
    state: PSInvocationState,
    /// Input is allowed until END_OF_PIPELINE_INPUT.
    input_open: bool,
    /// Host calls waiting for a response (call ids).
    pending_host_calls: HashSet<i64>,
}

/// What a call id of the pool was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PoolCall {
    SetMax(i32),
    SetMin(i32),
    GetAvailable,
    Reset,
}

/// The client side of a RunspacePool and its pipelines (MS-PSRP 3.1).
pub struct RunspacePool {
    options: RunspacePoolOptions,
    state: RunspacePoolState,
    /// Set once the server's SESSION_CAPABILITY arrived.
    server_capability: Option<SessionCapability>,
    application_private_data: Option<Value>,
    /// Opening with CONNECT_RUNSPACEPOOL rather than INIT_RUNSPACEPOOL.
    connecting: bool,
    fragmenter: Fragmenter,
    defragmenter: Defragmenter,
    events: VecDeque<Event>,
    pipelines: HashMap<Uuid, PipelineEntry>,
    /// Pipelines that ended, oldest first; only the last [`FINISHED_PIPELINES_KEPT`] are
    /// remembered, so a long session does not grow without bound.
    finished: VecDeque<Uuid>,
    next_call_id: i64,
    pending_calls: HashMap<i64, PoolCall>,
    pending_pool_host_calls: HashSet<i64>,
    key_exchange: Option<KeyExchange>,
    session_key: Option<SessionKey>,
    /// CREATE_PIPELINE's constant part as text, for the options it was made from (`None`
    /// inside: those options take the general writer).
    create_prefix: Option<(PrefixKey, Option<Prefix>)>,
}

impl std::fmt::Debug for RunspacePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunspacePool")
            .field("id", &self.options.runspace_pool_id)
            .field("state", &self.state)
            .field("pipelines", &self.pipelines.len())
            .finish_non_exhaustive()
    }
}

impl RunspacePool {
    pub fn new(options: RunspacePoolOptions) -> RunspacePool {
        RunspacePool {
            fragmenter: Fragmenter::new(options.max_fragment_size),
            defragmenter: Defragmenter::new(options.defragment_limits),
            options,
            state: RunspacePoolState::BeforeOpen,
            server_capability: None,
            application_private_data: None,
            connecting: false,
            events: VecDeque::new(),
            pipelines: HashMap::new(),
            finished: VecDeque::new(),
            // Windows and pypsrp number a pool's calls from 0.
            next_call_id: 0,
            pending_calls: HashMap::new(),
            pending_pool_host_calls: HashSet::new(),
            create_prefix: None,
            key_exchange: None,
            session_key: None,
        }
    }

    /// The pool's id (RPID; the ShellId over WS-Man).
    pub fn id(&self) -> Uuid {
        self.options.runspace_pool_id
    }

    pub fn state(&self) -> RunspacePoolState {
        self.state
    }

    pub fn min_runspaces(&self) -> i32 {
        self.options.min_runspaces
    }

    pub fn max_runspaces(&self) -> i32 {
        self.options.max_runspaces
    }

    /// The protocol version in use: the lower of ours and the server's once it answered.
    pub fn protocol_version(&self) -> ProtocolVersion {
        match &self.server_capability {
            Some(c) => self
                .options
                .protocol_version
                .min(ProtocolVersion::from_version(&c.protocol_version)),
            None => self.options.protocol_version,
        }
    }

    /// The server's SESSION_CAPABILITY, once received.
    pub fn server_capability(&self) -> Option<&SessionCapability> {
        self.server_capability.as_ref()
    }

    /// The server's APPLICATION_PRIVATE_DATA, once received.
    pub fn application_private_data(&self) -> Option<&Value> {
        self.application_private_data.as_ref()
    }

    /// The state of a pipeline this pool knows.
    pub fn pipeline_state(&self, pid: Uuid) -> Option<PSInvocationState> {
        self.pipelines.get(&pid).map(|p| p.state)
    }

    /// Changes the payload size limit (e.g. MaxEnvelopeSize learnt from the server).
    pub fn set_max_fragment_size(&mut self, size: usize) {
        self.options.max_fragment_size = size;
        self.fragmenter.set_max_size(size);
    }

    /// Sets the payload limit from a WS-Man MaxEnvelopeSize (bytes) and the size of the
    /// envelope around the payload ([`DEFAULT_ENVELOPE_OVERHEAD`] when unknown).
    pub fn set_max_envelope_size(&mut self, max_envelope_size: usize, envelope_overhead: usize) {
        self.set_max_fragment_size(max_payload_for_envelope(
            max_envelope_size,
            envelope_overhead,
        ));
    }

    pub fn max_fragment_size(&self) -> usize {
        self.fragmenter.max_size()
    }

    fn send(&mut self, data: MessageData, pid: Option<Uuid>, stream: StreamKind) {
        let msg = data.to_message(
            Destination::Server,
            self.options.runspace_pool_id,
            pid.unwrap_or_else(Uuid::nil),
            self.protocol_version(),
        );
        self.fragmenter.queue_to((pid, stream), msg.encode());
    }

    /// Queues a message whose CLIXML `data` is already written (header, BOM, data).
    fn queue_message(&mut self, message_type: MessageType, pid: Option<Uuid>, data: &[u8]) {
        let mut bytes = Vec::with_capacity(HEADER_LEN + UTF8_BOM.len() + data.len());
        Message {
            destination: Destination::Server,
            message_type,
            rpid: self.options.runspace_pool_id,
            pid: pid.unwrap_or_else(Uuid::nil),
            data: Vec::new(),
        }
        .encode_into(&mut bytes);
        if !data.is_empty() {
            bytes.extend_from_slice(UTF8_BOM);
            bytes.extend_from_slice(data);
        }
        self.fragmenter.queue_to((pid, StreamKind::Default), bytes);
    }

    fn require_opened(&self, what: &str) -> Result<(), Error> {
        if self.state == RunspacePoolState::Opened {
            Ok(())
        } else {
            Err(Error::state(format!(
                "{what} needs an Opened runspace pool; it is {}",
                self.state.label()
            )))
        }
    }

    fn take_call_id(&mut self) -> i64 {
        let id = self.next_call_id;
        self.next_call_id += 1;
        id
    }

    /// Starts opening: queues SESSION_CAPABILITY and INIT_RUNSPACEPOOL (over WS-Man, the
    /// payload of the Create's creationXml), MS-PSRP 3.1.4.1.
    pub fn open(&mut self) -> Result<(), Error> {
        if self.state != RunspacePoolState::BeforeOpen {
            return Err(Error::state(format!(
                "open() on a runspace pool that is {}",
                self.state.label()
            )));
        }
        self.send(
            MessageData::SessionCapability(SessionCapability::client(
                self.options.protocol_version,
            )),
            None,
            StreamKind::Default,
        );
        let init = InitRunspacePool {
            min_runspaces: self.options.min_runspaces,
            max_runspaces: self.options.max_runspaces,
            thread_options: self.options.thread_options,
            apartment_state: self.options.apartment_state,
            host_info: self.options.host_info.clone(),
            application_arguments: self.options.application_arguments.clone(),
        };
        self.send(
            MessageData::InitRunspacePool(init),
            None,
            StreamKind::Default,
        );
        self.state = RunspacePoolState::Opening;
        Ok(())
    }

    /// Starts connecting to a disconnected pool from this new client (MS-PSRP 3.1.4.10):
    /// queues SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL (over WS-Man, the connectXml).
    /// The server answers SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA (over WS-Man in the
    /// connectResponseXml), then RUNSPACEPOOL_STATE Opened.
    pub fn connect(&mut self) -> Result<(), Error> {
        if !matches!(
            self.state,
            RunspacePoolState::BeforeOpen | RunspacePoolState::Disconnected
        ) {
            return Err(Error::state(format!(
                "connect() on a runspace pool that is {}",
                self.state.label()
            )));
        }
        self.server_capability = None;
        self.send(
            MessageData::SessionCapability(SessionCapability::client(
                self.options.protocol_version,
            )),
            None,
            StreamKind::Default,
        );
        self.send(
            MessageData::ConnectRunspacePool {
                min_runspaces: None,
                max_runspaces: None,
            },
            None,
            StreamKind::Default,
        );
        self.connecting = true;
        self.state = RunspacePoolState::Connecting;
        Ok(())
    }

    /// The transport disconnected the shell (WS-Man Disconnect): the pool keeps running on the
    /// server and nothing may be sent until [`RunspacePool::reconnected`].
    pub fn disconnected(&mut self) -> Result<(), Error> {
        self.require_opened("disconnect")?;
        self.state = RunspacePoolState::Disconnected;
        for p in self.pipelines.values_mut() {
            if !p.state.is_terminal() {
                p.state = PSInvocationState::Disconnected;
            }
        }
        self.push_pool_state(None);
        Ok(())
    }

    /// The same client reconnected the shell (WS-Man Reconnect). A reconnect of a pool
    /// that is already Opened changes nothing.
    pub fn reconnected(&mut self) -> Result<(), Error> {
        if self.state == RunspacePoolState::Opened {
            return Ok(());
        }
        if self.state != RunspacePoolState::Disconnected {
            return Err(Error::state(format!(
                "reconnected() on a runspace pool that is {}",
                self.state.label()
            )));
        }
        self.state = RunspacePoolState::Opened;
        for p in self.pipelines.values_mut() {
            if p.state == PSInvocationState::Disconnected {
                p.state = PSInvocationState::Running;
            }
        }
        self.push_pool_state(None);
        Ok(())
    }

    /// The transport closed the pool (WS-Man Delete / out-of-process Close).
    pub fn close(&mut self) -> Result<(), Error> {
        if matches!(
            self.state,
            RunspacePoolState::Closed | RunspacePoolState::Broken
        ) {
            return Ok(());
        }
        self.state = RunspacePoolState::Closed;
        self.push_pool_state(None);
        Ok(())
    }

    fn push_pool_state(&mut self, error: Option<Value>) {
        self.events.push_back(Event::RunspacePoolStateChanged {
            state: self.state,
            error,
        });
    }

    /// SET_MAX_RUNSPACES (2.2.2.6); the answer is a RunspaceAvailability event with the
    /// returned call id.
    pub fn set_max_runspaces(&mut self, max: i32) -> Result<i64, Error> {
        self.require_opened("SET_MAX_RUNSPACES")?;
        let call_id = self.take_call_id();
        self.pending_calls.insert(call_id, PoolCall::SetMax(max));
        self.send(
            MessageData::SetMaxRunspaces {
                max_runspaces: max,
                call_id,
            },
            None,
            StreamKind::Default,
        );
        Ok(call_id)
    }

    /// SET_MIN_RUNSPACES (2.2.2.7).
    pub fn set_min_runspaces(&mut self, min: i32) -> Result<i64, Error> {
        self.require_opened("SET_MIN_RUNSPACES")?;
        let call_id = self.take_call_id();
        self.pending_calls.insert(call_id, PoolCall::SetMin(min));
        self.send(
            MessageData::SetMinRunspaces {
                min_runspaces: min,
                call_id,
            },
            None,
            StreamKind::Default,
        );
        Ok(call_id)
    }

    /// GET_AVAILABLE_RUNSPACES (2.2.2.11).
    pub fn get_available_runspaces(&mut self) -> Result<i64, Error> {
        self.require_opened("GET_AVAILABLE_RUNSPACES")?;
        let call_id = self.take_call_id();
        self.pending_calls.insert(call_id, PoolCall::GetAvailable);
        self.send(
            MessageData::GetAvailableRunspaces { call_id },
            None,
            StreamKind::Default,
        );
        Ok(call_id)
    }

    /// RESET_RUNSPACE_STATE (2.2.2.31), protocol 2.3 and later.
    pub fn reset_runspace_state(&mut self) -> Result<i64, Error> {
        self.require_opened("RESET_RUNSPACE_STATE")?;
        if self.protocol_version() < ProtocolVersion::V2_3 {
            return Err(Error::state(format!(
                "RESET_RUNSPACE_STATE needs protocol 2.3; the server speaks {}",
                self.protocol_version()
            )));
        }
        let call_id = self.take_call_id();
        self.pending_calls.insert(call_id, PoolCall::Reset);
        self.send(
            MessageData::ResetRunspaceState { call_id },
            None,
            StreamKind::Default,
        );
        Ok(call_id)
    }

    /// Starts the session key exchange (MS-PSRP 3.1.4.7) with a fresh RSA key: queues
    /// PUBLIC_KEY; an [`Event::EncryptedSessionKey`] follows. Does nothing if a key is
    /// already there or on its way.
    pub fn exchange_key(&mut self) -> Result<(), Error> {
        if self.session_key.is_some() || self.key_exchange.is_some() {
            return Ok(());
        }
        let kx = KeyExchange::generate()?;
        self.exchange_key_with(kx)
    }

    /// Like [`RunspacePool::exchange_key`] with a given key pair.
    pub fn exchange_key_with(&mut self, kx: KeyExchange) -> Result<(), Error> {
        self.require_opened("the key exchange")?;
        let blob = kx.public_key_blob();
        self.key_exchange = Some(kx);
        self.send(MessageData::PublicKey(blob), None, StreamKind::Default);
        Ok(())
    }

    /// The session key, once exchanged.
    pub fn session_key(&self) -> Option<&SessionKey> {
        self.session_key.as_ref()
    }

    /// A `<SS>` value for `text`, encrypted with the session key (exchange it first).
    pub fn encrypt_secure_string(&self, text: &str) -> Result<Value, Error> {
        let key = self
            .session_key
            .as_ref()
            .ok_or_else(|| Error::state("no session key; call exchange_key() first"))?;
        Ok(Value::SecureString(key.encrypt(text)))
    }

    /// The text of a `<SS>` value the server sent.
    pub fn decrypt_secure_string(&self, value: &Value) -> Result<String, Error> {
        let Value::SecureString(bytes) = value else {
            return Err(Error::Crypto("not a SecureString".into()));
        };
        let key = self
            .session_key
            .as_ref()
            .ok_or_else(|| Error::state("no session key to decrypt a SecureString"))?;
        key.decrypt(bytes)
    }

    /// Queues CREATE_PIPELINE for a new pipeline and returns its id (PID; the CommandId over
    /// WS-Man). Its first payload is the Command's Arguments.
    pub fn create_pipeline(
        &mut self,
        power_shell: PowerShell,
        options: PipelineOptions,
    ) -> Result<Uuid, Error> {
        self.create_pipeline_with_id(Uuid::new_v4(), power_shell, options)
    }

    /// Like [`RunspacePool::create_pipeline`] with a given id. An id may be reused once its
    /// pipeline has finished (PowerShell re-invokes a PowerShell object that way).
    pub fn create_pipeline_with_id(
        &mut self,
        pid: Uuid,
        power_shell: PowerShell,
        options: PipelineOptions,
    ) -> Result<Uuid, Error> {
        self.require_opened("CREATE_PIPELINE")?;
        self.check_new_pipeline(pid)?;
        let is_nested = options.is_nested || power_shell.is_nested;
        let input_open = !options.no_input;
        let key = PrefixKey {
            no_input: options.no_input,
            add_to_history: power_shell.add_to_history,
            apartment_state: options.apartment_state,
            remote_stream_options: options.remote_stream_options,
            host_info: options.host_info,
            version: self.protocol_version(),
        };
        let prefix = if pipeline_xml::supported(&power_shell) {
            if self.create_prefix.as_ref().is_none_or(|(k, _)| *k != key) {
                let prefix = Prefix::build(&key);
                self.create_prefix = Some((key.clone(), prefix));
            }
            self.create_prefix.as_ref().and_then(|(_, p)| p.as_ref())
        } else {
            None
        };
        match prefix {
            // Every call sends one: written straight to text (the constant part cached).
            Some(prefix) => {
                let xml = pipeline_xml::write(prefix, &power_shell, is_nested);
                self.queue_message(MessageType::CreatePipeline, Some(pid), xml.as_bytes());
            }
            None => {
                let create = CreatePipeline {
                    no_input: key.no_input,
                    apartment_state: key.apartment_state,
                    remote_stream_options: key.remote_stream_options,
                    add_to_history: key.add_to_history,
                    host_info: key.host_info,
                    is_nested,
                    power_shell,
                };
                self.send(
                    MessageData::CreatePipeline(create),
                    Some(pid),
                    StreamKind::Default,
                );
            }
        }
        self.pipelines.insert(
            pid,
            PipelineEntry {
                state: PSInvocationState::Running,
                input_open,
                pending_host_calls: HashSet::new(),
            },
        );
        Ok(pid)
    }

    fn check_new_pipeline(&self, pid: Uuid) -> Result<(), Error> {
        match self.pipelines.get(&pid) {
            Some(p) if !p.state.is_terminal() => Err(Error::state(format!(
                "pipeline {pid} is still {}",
                p.state.label()
            ))),
            _ => Ok(()),
        }
    }

    /// Attaches to a pipeline that is running on the server, after [`RunspacePool::connect`]
    /// from a new client (MS-PSRP 3.1.4.11; over WS-Man a Connect with the CommandId, no
    /// PSRP message). Its output then arrives like any pipeline's.
    pub fn connect_pipeline(&mut self, pid: Uuid) -> Result<(), Error> {
        self.require_opened("connecting a pipeline")?;
        self.check_new_pipeline(pid)?;
        self.pipelines.insert(
            pid,
            PipelineEntry {
                state: PSInvocationState::Running,
                input_open: false,
                pending_host_calls: HashSet::new(),
            },
        );
        Ok(())
    }

    /// Queues GET_COMMAND_METADATA (2.2.2.14) as a pipeline; its output is a
    /// CommandMetadataCount object, then one CommandMetadata per command (2.2.3.21–22).
    pub fn get_command_metadata(&mut self, request: GetCommandMetadata) -> Result<Uuid, Error> {
        self.get_command_metadata_with_id(Uuid::new_v4(), request)
    }

    /// Like [`RunspacePool::get_command_metadata`] with a given pipeline id.
    pub fn get_command_metadata_with_id(
        &mut self,
        pid: Uuid,
        request: GetCommandMetadata,
    ) -> Result<Uuid, Error> {
        self.require_opened("GET_COMMAND_METADATA")?;
        self.check_new_pipeline(pid)?;
        self.send(
            MessageData::GetCommandMetadata(request),
            Some(pid),
            StreamKind::Default,
        );
        self.pipelines.insert(
            pid,
            PipelineEntry {
                state: PSInvocationState::Running,
                input_open: false,
                pending_host_calls: HashSet::new(),
            },
        );
        Ok(pid)
    }

    fn running_pipeline(&mut self, pid: Uuid, what: &str) -> Result<&mut PipelineEntry, Error> {
        let p = self
            .pipelines
            .get_mut(&pid)
            .ok_or(Error::UnknownPipeline(pid))?;
        if p.state != PSInvocationState::Running {
            return Err(Error::state(format!(
                "{what} on pipeline {pid}, which is {}",
                p.state.label()
            )));
        }
        Ok(p)
    }

    /// Queues PIPELINE_INPUT (2.2.2.17), one message per value.
    pub fn send_input(&mut self, pid: Uuid, values: Vec<Value>) -> Result<(), Error> {
        self.require_opened("PIPELINE_INPUT")?;
        let p = self.running_pipeline(pid, "PIPELINE_INPUT")?;
        if !p.input_open {
            return Err(Error::state(format!(
                "pipeline {pid} takes no more input (created with no_input, or input ended)"
            )));
        }
        for v in values {
            self.send(
                MessageData::PipelineInput(v),
                Some(pid),
                StreamKind::Default,
            );
        }
        Ok(())
    }

    /// Queues END_OF_PIPELINE_INPUT (2.2.2.18).
    pub fn end_input(&mut self, pid: Uuid) -> Result<(), Error> {
        self.require_opened("END_OF_PIPELINE_INPUT")?;
        let p = self.running_pipeline(pid, "END_OF_PIPELINE_INPUT")?;
        if !p.input_open {
            return Err(Error::state(format!(
                "input of pipeline {pid} is already closed"
            )));
        }
        p.input_open = false;
        self.send(
            MessageData::EndOfPipelineInput,
            Some(pid),
            StreamKind::Default,
        );
        Ok(())
    }

    /// Marks a pipeline as stopping; the transport sends the stop signal (WS-Man Signal
    /// `powershell/signal/crtl_c`, out-of-process `<Signal>`), and the server answers with
    /// PIPELINE_STATE Stopped. Queued, unsent input for it is dropped.
    pub fn stop(&mut self, pid: Uuid) -> Result<(), Error> {
        let p = self
            .pipelines
            .get_mut(&pid)
            .ok_or(Error::UnknownPipeline(pid))?;
        match p.state {
            PSInvocationState::Running | PSInvocationState::Disconnected => {
                p.state = PSInvocationState::Stopping;
                p.input_open = false;
                self.fragmenter.discard_for(pid);
                self.events.push_back(Event::PipelineStateChanged {
                    pid,
                    state: PSInvocationState::Stopping,
                    error: None,
                });
                Ok(())
            }
            PSInvocationState::Stopping => Ok(()),
            s => Err(Error::state(format!(
                "stop() on pipeline {pid}, which is {}",
                s.label()
            ))),
        }
    }

    /// Forgets a finished pipeline.
    pub fn remove_pipeline(&mut self, pid: Uuid) {
        self.pipelines.remove(&pid);
        self.finished.retain(|p| *p != pid);
        self.fragmenter.discard_for(pid);
    }

    /// Answers a host call (RUNSPACEPOOL_HOST_RESPONSE or PIPELINE_HOST_RESPONSE; 2.2.2.16,
    /// 2.2.2.28) on the prompt-response stream. `pipeline` is the pipeline the call came from,
    /// `None` for a pool call.
    pub fn host_response(
        &mut self,
        pipeline: Option<Uuid>,
        response: HostResponse,
    ) -> Result<(), Error> {
        match pipeline {
            None => {
                if !self.pending_pool_host_calls.remove(&response.call_id) {
                    return Err(Error::state(format!(
                        "no runspace pool host call {} is waiting for a response",
                        response.call_id
                    )));
                }
                self.send(
                    MessageData::RunspacePoolHostResponse(response),
                    None,
                    StreamKind::PromptResponse,
                );
            }
            Some(pid) => {
                let p = self
                    .pipelines
                    .get_mut(&pid)
                    .ok_or(Error::UnknownPipeline(pid))?;
                if !p.pending_host_calls.remove(&response.call_id) {
                    return Err(Error::state(format!(
                        "no host call {} of pipeline {pid} is waiting for a response",
                        response.call_id
                    )));
                }
                self.send(
                    MessageData::PipelineHostResponse(response),
                    Some(pid),
                    StreamKind::PromptResponse,
                );
            }
        }
        Ok(())
    }

    /// The next payload to send, for whichever target is first in line.
    pub fn data_to_send(&mut self) -> Option<Payload> {
        self.fragmenter
            .next_payload_tagged()
            .map(|((pipeline_id, stream), data)| Payload {
                data,
                stream,
                pipeline_id,
            })
    }

    /// The next payload for one pipeline (or the pool, `None`); other targets stay queued.
    pub fn data_to_send_for(&mut self, pipeline_id: Option<Uuid>) -> Option<Payload> {
        self.fragmenter
            .next_payload_for(pipeline_id)
            .map(|((pipeline_id, stream), data)| Payload {
                data,
                stream,
                pipeline_id,
            })
    }

    /// Whether anything is waiting to be sent.
    pub fn has_data_to_send(&self) -> bool {
        self.fragmenter.has_pending()
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Takes a chunk of fragment bytes as a transport delivers them (a WS-Man Receive
    /// stream element, an out-of-process `<Data>`). Every complete message is processed;
    /// the first error is returned after the others were handled (events from good
    /// messages are kept). A fragment error stops the chunk.
    ///
    /// `Error::UnknownPipeline` (a message for a pipeline this pool does not know, which a
    /// caller may drop) is returned only when nothing else failed in the chunk.
    pub fn receive_data(&mut self, data: &[u8]) -> Result<(), Error> {
        // The error to report: the first one, unless that only names an unknown pipeline.
        fn worse(first: Option<Error>, e: Error) -> Error {
            match first {
                Some(f) if !matches!(f, Error::UnknownPipeline(_)) => f,
                _ => e,
            }
        }
        let mut first_error = None;
        let mut rest = data;
        while !rest.is_empty() {
            let (fragment, used) = match FragmentRef::decode(rest) {
                Ok(f) => f,
                Err(e) => return Err(worse(first_error, e.into())),
            };
            rest = &rest[used..];
            match self.defragmenter.push_ref(fragment) {
                Ok(Some(message)) => {
                    if let Err(e) = self.receive_message_bytes(&message) {
                        first_error = Some(worse(first_error.take(), e));
                    }
                }
                Ok(None) => {}
                Err(e) => return Err(worse(first_error, e.into())),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn receive_message_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let (header, data) = Message::split(bytes)?;
        if header.destination != Destination::Client {
            return Err(Error::payload(
                header.message_type.name(),
                "message is addressed to the server",
            ));
        }
        // Windows sends the session-level messages (0x0001xxxx: SESSION_CAPABILITY, the key
        // exchange) with a nil RPID (seen throughout the recordings); every other message
        // must name this pool.
        let session_level =
            header.rpid.is_nil() && header.message_type.as_u32() & 0xFFFF_0000 == 0x0001_0000;
        if header.rpid != self.options.runspace_pool_id && !session_level {
            return Err(Error::WrongRunspacePool {
                expected: self.options.runspace_pool_id,
                got: header.rpid,
            });
        }
        let payload =
            MessageData::decode_data(header.message_type, data, &self.options.clixml_limits)?;
        let pid = (!header.pid.is_nil()).then_some(header.pid);
        self.handle(payload, pid)
    }

    /// Processes one decoded message from the server.
    pub fn handle(&mut self, data: MessageData, pid: Option<Uuid>) -> Result<(), Error> {
        use MessageData as D;
        match data {
            D::SessionCapability(c) => {
                if !matches!(
                    self.state,
                    RunspacePoolState::Opening | RunspacePoolState::Connecting
                ) {
                    return Err(self.unexpected("SESSION_CAPABILITY"));
                }
                let theirs = ProtocolVersion::from_version(&c.protocol_version);
                if theirs < ProtocolVersion::V2_1 {
                    self.state = RunspacePoolState::Broken;
                    self.push_pool_state(None);
                    return Err(Error::UnsupportedProtocol {
                        server: theirs.to_string(),
                    });
                }
                self.server_capability = Some(c.clone());
                if !self.connecting {
                    self.state = RunspacePoolState::NegotiationSucceeded;
                }
                self.events.push_back(Event::SessionCapability(c));
            }
            D::ApplicationPrivateData(v) => {
                self.application_private_data = Some(v.clone());
                self.events
                    .push_back(Event::ApplicationPrivateData { data: v });
                if self.state == RunspacePoolState::Connecting && self.server_capability.is_some() {
                    // A connect may end with the private data rather than RUNSPACEPOOL_STATE
                    // (both seen from Windows, test_psrp_disconnected_commands and
                    // test_psrp_disconnect_runspaces).
                    self.connecting = false;
                    self.state = RunspacePoolState::Opened;
                    self.push_pool_state(None);
                }
            }
            D::RunspacePoolInitData {
                min_runspaces,
                max_runspaces,
            } => {
                if self.state != RunspacePoolState::Connecting {
                    return Err(self.unexpected("RUNSPACEPOOL_INIT_DATA"));
                }
                self.options.min_runspaces = min_runspaces;
                self.options.max_runspaces = max_runspaces;
                self.events.push_back(Event::RunspacePoolInitData {
                    min_runspaces,
                    max_runspaces,
                });
                if self.server_capability.is_some() {
                    // MS-PSRP 3.1.4.10.3: with the server's capability and the pool's sizes
                    // the client is connected; a later RUNSPACEPOOL_STATE Opened changes nothing.
                    self.connecting = false;
                    self.state = RunspacePoolState::Opened;
                    self.push_pool_state(None);
                }
            }
            D::RunspacePoolState { state, error } => {
                self.apply_pool_state(state, error)?;
            }
            D::RunspaceAvailability {
                call_id,
                availability,
            } => {
                let Some(call) = self.pending_calls.remove(&call_id) else {
                    return Err(Error::state(format!(
                        "RUNSPACE_AVAILABILITY for unknown call {call_id}"
                    )));
                };
                match (call, availability) {
                    (PoolCall::SetMax(n), Availability::Succeeded(true)) => {
                        self.options.max_runspaces = n;
                    }
                    (PoolCall::SetMin(n), Availability::Succeeded(true)) => {
                        self.options.min_runspaces = n;
                    }
                    _ => {}
                }
                self.events.push_back(Event::RunspaceAvailability {
                    call_id,
                    availability,
                });
            }
            D::EncryptedSessionKey(blob) => {
                let Some(kx) = self.key_exchange.take() else {
                    return Err(self.unexpected("ENCRYPTED_SESSION_KEY"));
                };
                self.session_key = Some(kx.decrypt_session_key(&blob)?);
                self.events.push_back(Event::EncryptedSessionKey);
            }
            D::PublicKeyRequest => {
                // The server needs to send a SecureString (3.1.4.7): answer with our key.
                if self.session_key.is_none() && self.key_exchange.is_none() {
                    self.exchange_key()?;
                }
            }
            D::UserEvent(v) => self.events.push_back(Event::UserEvent { event: v }),
            D::RunspacePoolHostCall(call) => {
                if !call.method.is_void() {
                    self.pending_pool_host_calls.insert(call.call_id);
                }
                self.events.push_back(Event::RunspacePoolHostCall { call });
            }
            D::PipelineHostCall(call) => {
                let pid = self.known_pipeline(pid, "PIPELINE_HOST_CALL")?;
                if let Some(p) = self.pipelines.get_mut(&pid)
                    && !call.method.is_void()
                {
                    p.pending_host_calls.insert(call.call_id);
                }
                self.events.push_back(Event::PipelineHostCall { pid, call });
            }
            D::PipelineOutput(value) => {
                let pid = self.known_pipeline(pid, "PIPELINE_OUTPUT")?;
                self.events.push_back(Event::PipelineOutput { pid, value });
            }
            D::ErrorRecord(record) => {
                let pid = self.known_pipeline(pid, "ERROR_RECORD")?;
                self.events.push_back(Event::ErrorRecord { pid, record });
            }
            D::WarningRecord(record) => {
                let pid = self.known_pipeline(pid, "WARNING_RECORD")?;
                self.events.push_back(Event::Warning { pid, record });
            }
            D::VerboseRecord(record) => {
                let pid = self.known_pipeline(pid, "VERBOSE_RECORD")?;
                self.events.push_back(Event::Verbose { pid, record });
            }
            D::DebugRecord(record) => {
                let pid = self.known_pipeline(pid, "DEBUG_RECORD")?;
                self.events.push_back(Event::Debug { pid, record });
            }
            D::InformationRecord(record) => {
                let pid = self.known_pipeline(pid, "INFORMATION_RECORD")?;
                self.events.push_back(Event::Information { pid, record });
            }
            D::ProgressRecord(record) => {
                let pid = self.known_pipeline(pid, "PROGRESS_RECORD")?;
                self.events.push_back(Event::Progress { pid, record });
            }
            D::PipelineState { state, error } => {
                let pid = self.known_pipeline(pid, "PIPELINE_STATE")?;
                if let Some(p) = self.pipelines.get_mut(&pid) {
                    if p.state.is_terminal() {
                        return Err(Error::state(format!(
                            "PIPELINE_STATE {} for pipeline {pid}, which already ended {}",
                            state.label(),
                            p.state.label()
                        )));
                    }
                    p.state = state;
                    if state.is_terminal() {
                        p.input_open = false;
                        p.pending_host_calls.clear();
                    }
                }
                if state.is_terminal() {
                    self.fragmenter.discard_for(pid);
                    self.remember_finished(pid);
                }
                self.events
                    .push_back(Event::PipelineStateChanged { pid, state, error });
            }
            D::Unknown(message_type) => {
                self.events
                    .push_back(Event::UnknownMessage { message_type, pid });
            }
            // Client-to-server messages never come from a server.
            D::InitRunspacePool(_)
            | D::PublicKey(_)
            | D::SetMaxRunspaces { .. }
            | D::SetMinRunspaces { .. }
            | D::CreatePipeline(_)
            | D::GetAvailableRunspaces { .. }
            | D::GetCommandMetadata(_)
            | D::RunspacePoolHostResponse(_)
            | D::PipelineInput(_)
            | D::EndOfPipelineInput
            | D::PipelineHostResponse(_)
            | D::ConnectRunspacePool { .. }
            | D::ResetRunspaceState { .. } => {
                return Err(Error::payload(
                    data.message_type().name(),
                    "a client message came from the server",
                ));
            }
        }
        Ok(())
    }

    fn apply_pool_state(
        &mut self,
        state: RunspacePoolState,
        error: Option<Value>,
    ) -> Result<(), Error> {
        match state {
            RunspacePoolState::Opened if self.state == RunspacePoolState::Opened => {
                // Already opened (a connect that ended with the private data): nothing new.
                return Ok(());
            }
            RunspacePoolState::Opened => {
                if !matches!(
                    self.state,
                    RunspacePoolState::Opening
                        | RunspacePoolState::NegotiationSucceeded
                        | RunspacePoolState::Connecting
                ) {
                    return Err(self.unexpected("RUNSPACEPOOL_STATE Opened"));
                }
                if self.server_capability.is_none() {
                    return Err(Error::state(
                        "RUNSPACEPOOL_STATE Opened before the server's SESSION_CAPABILITY",
                    ));
                }
                self.connecting = false;
            }
            RunspacePoolState::Broken | RunspacePoolState::Closed => {
                // Every running pipeline ends with the pool.
                let mut ended = Vec::new();
                for (pid, p) in self.pipelines.iter_mut() {
                    if !p.state.is_terminal() {
                        p.state = PSInvocationState::Failed;
                        ended.push(*pid);
                    }
                }
                for pid in ended {
                    self.remember_finished(pid);
                }
            }
            _ => {}
        }
        self.state = state;
        self.push_pool_state(error);
        Ok(())
    }

    /// Keeps a finished pipeline's state for late questions, forgetting the oldest.
    fn remember_finished(&mut self, pid: Uuid) {
        self.finished.retain(|p| *p != pid);
        self.finished.push_back(pid);
        while self.finished.len() > FINISHED_PIPELINES_KEPT {
            if let Some(old) = self.finished.pop_front()
                && self
                    .pipelines
                    .get(&old)
                    .is_some_and(|p| p.state.is_terminal())
            {
                self.pipelines.remove(&old);
            }
        }
    }

    fn known_pipeline(&self, pid: Option<Uuid>, what: &'static str) -> Result<Uuid, Error> {
        let pid = pid.ok_or_else(|| Error::payload(what, "no pipeline id"))?;
        if self.pipelines.contains_key(&pid) {
            Ok(pid)
        } else {
            Err(Error::UnknownPipeline(pid))
        }
    }

    fn unexpected(&self, what: &str) -> Error {
        Error::state(format!(
            "{what} arrived while the runspace pool is {}",
            self.state.label()
        ))
    }
}

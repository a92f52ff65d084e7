//! What the state machines hand to the caller: events, and bytes to send.

use psremote_clixml::Value;
use uuid::Uuid;

use crate::messages::{Availability, HostCall, SessionCapability};
use crate::types::{PSInvocationState, RunspacePoolState};

/// Which input stream of the transport a payload goes to. Over WS-Man these are the shell's
/// `stdin` and `pr` streams (host responses go on `pr`, MS-PSRP 3.1.5.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    Default,
    PromptResponse,
}

/// Fragment bytes to hand to the transport, for the pool (`pipeline_id: None`) or a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Whole fragments (MS-PSRP 2.2.4); at most the configured max fragment size in all.
    pub data: Vec<u8>,
    pub stream: StreamKind,
    pub pipeline_id: Option<Uuid>,
}

/// Something the server told us, decoded and checked against the state machines.
///
/// Records (error, warning, …) are carried as their CLIXML values; the typed views live in
/// `psremote_clixml::types`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The server's SESSION_CAPABILITY (2.2.2.1) arrived; the protocol version is settled.
    SessionCapability(SessionCapability),
    /// RUNSPACEPOOL_STATE (2.2.2.9), or the end of a reconnect; `error` is the
    /// ExceptionAsErrorRecord when Broken.
    RunspacePoolStateChanged {
        state: RunspacePoolState,
        error: Option<Value>,
    },
    /// APPLICATION_PRIVATE_DATA (2.2.2.13): the server's PSPrimitiveDictionary
    /// (PSVersionTable and friends).
    ApplicationPrivateData { data: Value },
    /// RUNSPACEPOOL_INIT_DATA (2.2.2.30): the pool's sizes after CONNECT_RUNSPACEPOOL.
    RunspacePoolInitData {
        min_runspaces: i32,
        max_runspaces: i32,
    },
    /// RUNSPACE_AVAILABILITY (2.2.2.8): the answer to the call `call_id`
    /// (SET_MAX/MIN_RUNSPACES, RESET_RUNSPACE_STATE, GET_AVAILABLE_RUNSPACES).
    RunspaceAvailability {
        call_id: i64,
        availability: Availability,
    },
    /// The session key arrived (ENCRYPTED_SESSION_KEY, 2.2.2.4); SecureStrings can be used.
    EncryptedSessionKey,
    /// USER_EVENT (2.2.2.12): a forwarded PowerShell event (PSEventArgs).
    UserEvent { event: Value },
    /// RUNSPACEPOOL_HOST_CALL (2.2.2.15).
    RunspacePoolHostCall { call: HostCall },
    /// PIPELINE_HOST_CALL (2.2.2.27).
    PipelineHostCall { pid: Uuid, call: HostCall },
    /// PIPELINE_OUTPUT (2.2.2.19).
    PipelineOutput { pid: Uuid, value: Value },
    /// ERROR_RECORD (2.2.2.20): a non-terminating error.
    ErrorRecord { pid: Uuid, record: Value },
    /// WARNING_RECORD (2.2.2.24).
    Warning { pid: Uuid, record: Value },
    /// VERBOSE_RECORD (2.2.2.23).
    Verbose { pid: Uuid, record: Value },
    /// DEBUG_RECORD (2.2.2.22).
    Debug { pid: Uuid, record: Value },
    /// INFORMATION_RECORD (2.2.2.26).
    Information { pid: Uuid, record: Value },
    /// PROGRESS_RECORD (2.2.2.25).
    Progress { pid: Uuid, record: Value },
    /// PIPELINE_STATE (2.2.2.21); `error` is the ExceptionAsErrorRecord when Failed.
    PipelineStateChanged {
        pid: Uuid,
        state: PSInvocationState,
        error: Option<Value>,
    },
    /// A message of a type this client does not know (logged, not an error).
    UnknownMessage {
        message_type: u32,
        pid: Option<Uuid>,
    },
}

impl Event {
    /// The pipeline the event belongs to; `None` for runspace-pool events.
    pub fn pipeline_id(&self) -> Option<Uuid> {
        match self {
            Event::PipelineHostCall { pid, .. }
            | Event::PipelineOutput { pid, .. }
            | Event::ErrorRecord { pid, .. }
            | Event::Warning { pid, .. }
            | Event::Verbose { pid, .. }
            | Event::Debug { pid, .. }
            | Event::Information { pid, .. }
            | Event::Progress { pid, .. }
            | Event::PipelineStateChanged { pid, .. } => Some(*pid),
            Event::UnknownMessage { pid, .. } => *pid,
            Event::SessionCapability(_)
            | Event::RunspacePoolStateChanged { .. }
            | Event::ApplicationPrivateData { .. }
            | Event::RunspacePoolInitData { .. }
            | Event::RunspaceAvailability { .. }
            | Event::EncryptedSessionKey
            | Event::UserEvent { .. }
            | Event::RunspacePoolHostCall { .. } => None,
        }
    }
}

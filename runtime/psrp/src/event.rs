//! What the state machines hand to the caller: events, and bytes to send.

use psremote_clixml::Value;
use uuid::Uuid;

use crate::types::{PSInvocationState, RunspacePoolState};

/// Which input stream of the transport a payload goes to. Over WS-Man these are the shell's
/// `stdin` and `pr` streams (MS-PSRP 3.1.5.3.x: host responses go on `pr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    Default,
    PromptResponse,
}

/// Fragment bytes to hand to the transport, for the pool (`pipeline_id: None`) or a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Whole fragments (MS-PSRP 2.2.4), each at most the configured max fragment size.
    pub data: Vec<u8>,
    pub stream: StreamKind,
    pub pipeline_id: Option<Uuid>,
}

/// Something the server told us, decoded and checked against the state machines.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// RUNSPACEPOOL_STATE (2.2.2.9); `error` is the exception when Broken.
    RunspacePoolStateChanged {
        state: RunspacePoolState,
        error: Option<Value>,
    },
    /// APPLICATION_PRIVATE_DATA (2.2.2.13): PSVersionTable and friends.
    ApplicationPrivateData {
        data: Value,
    },
    /// PipelineOutput (2.2.2.20).
    PipelineOutput {
        pid: Uuid,
        value: Value,
    },
    /// ERROR_RECORD (2.2.2.21): a non-terminating error.
    ErrorRecord {
        pid: Uuid,
        record: Value,
    },
    Warning {
        pid: Uuid,
        record: Value,
    },
    Verbose {
        pid: Uuid,
        record: Value,
    },
    Debug {
        pid: Uuid,
        record: Value,
    },
    Information {
        pid: Uuid,
        record: Value,
    },
    Progress {
        pid: Uuid,
        record: Value,
    },
    /// PIPELINE_STATE (2.2.2.21); `error` is the ErrorRecord when Failed.
    PipelineStateChanged {
        pid: Uuid,
        state: PSInvocationState,
        error: Option<Value>,
    },
}

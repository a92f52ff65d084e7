//! The runtime's error type: every failure prints as one clear line.

use std::time::Duration;

use psremote_clixml::Value;

use crate::outofproc::FramingError;
use crate::record::ErrorRecord;

/// What can go wrong talking to a PowerShell endpoint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// WS-Man / HTTP / auth / TLS failures, with the fix hint the wsman layer attaches.
    #[error(transparent)]
    Wsman(#[from] psremote_wsman::Error),
    /// A PSRP message or fragment we could not accept (MS-PSRP), or a refused state transition.
    #[error("PSRP protocol error: {0}")]
    Protocol(#[from] psremote_psrp::Error),
    /// The out-of-process framing was malformed.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// A process or SSH carrier failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The pipeline ended Failed: the terminating ErrorRecord (category, FullyQualifiedErrorId).
    #[error("{0}")]
    PipelineFailed(Box<ErrorRecord>),
    /// The call was refused before anything reached the server (the shell was already gone,
    /// or the pool unusable): nothing ran, so it is safe to retry on a new session.
    #[error("{source} (the command was not started)")]
    NotStarted {
        #[source]
        source: Box<Error>,
    },
    /// The pipeline was stopped (by `stop()`, or the consumer went away).
    #[error("the pipeline was stopped")]
    PipelineStopped,
    /// The RunspacePool is Broken (the server said so, or the carrier died).
    #[error("the runspace pool is broken: {reason}")]
    RunspacePoolBroken { reason: String },
    /// The RunspacePool is closed, or the session's driver is gone.
    #[error("the session is closed")]
    Closed,
    /// The session is disconnected; `reconnect()` first.
    #[error("the session is disconnected; reconnect it first")]
    Disconnected,
    /// An operation did not finish in time.
    #[error("{what} timed out after {after:?}")]
    Timeout { what: String, after: Duration },
    /// The target could not be reached at all (connection refused, ssh failed, no process).
    #[error("cannot reach {target}: {reason}")]
    HostNotReachable { target: String, reason: String },
    /// A host call the client's Host refused or could not answer.
    #[error("host call failed: {0}")]
    Host(String),
    /// The operation does not exist on this transport.
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    /// The session is not in a state that allows the call.
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// Invalid connection settings.
    #[error("invalid connection settings: {0}")]
    Config(String),
    /// A value the server sent did not have the expected shape.
    #[error("unexpected value from the server: {0}")]
    UnexpectedValue(String),
}

impl Error {
    /// The remote ErrorRecord, when the pipeline failed.
    pub fn error_record(&self) -> Option<&ErrorRecord> {
        match self {
            Error::PipelineFailed(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the call certainly never ran on the server (safe to retry elsewhere).
    pub fn never_started(&self) -> bool {
        matches!(self, Error::NotStarted { .. } | Error::Disconnected)
    }

    pub(crate) fn not_started(e: Error) -> Error {
        match e {
            e @ (Error::NotStarted { .. } | Error::Disconnected) => e,
            e => Error::NotStarted {
                source: Box::new(e),
            },
        }
    }

    /// Whether the failure means the shell is gone and a new one is needed (Broken pool, shell
    /// deleted or expired on the server, carrier dead).
    pub fn is_session_lost(&self) -> bool {
        match self {
            Error::RunspacePoolBroken { .. } | Error::Closed | Error::HostNotReachable { .. } => {
                true
            }
            Error::Wsman(e) => is_shell_lost(e),
            Error::Transport(_) | Error::Framing(_) => true,
            Error::NotStarted { source } => source.is_session_lost(),
            _ => false,
        }
    }

    pub(crate) fn failed(record: ErrorRecord) -> Error {
        Error::PipelineFailed(Box::new(record))
    }

    pub(crate) fn broken(reason: impl Into<String>) -> Error {
        Error::RunspacePoolBroken {
            reason: reason.into(),
        }
    }

    /// An error from a RUNSPACEPOOL_STATE Broken message's exception value.
    pub(crate) fn broken_from_value(v: Option<&Value>) -> Error {
        let reason = v
            .map(crate::record::exception_message)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "the server reported the runspace pool Broken".into());
        Error::broken(reason)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a wsman error means the shell is gone (deleted, expired, unknown) or the host is
/// unreachable, so a new session is needed.
pub fn is_shell_lost(e: &psremote_wsman::Error) -> bool {
    use psremote_wsman::fault::{code, hint};
    match e {
        psremote_wsman::Error::Fault(f) => {
            f.subcode == "InvalidSelectors"
                || f.wsman_code == Some(code::INVALID_SELECTORS)
                || f.hint == Some(hint::SHELL_NOT_FOUND)
        }
        psremote_wsman::Error::Io(_) => true,
        _ => false,
    }
}

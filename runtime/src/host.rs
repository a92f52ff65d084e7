//! Host calls (MS-PSRP 2.2.2.27/28, 3.1.4.x): the server asks the client's PSHost to read a
//! line, prompt, write to the console… A [`Host`] answers them; the default refuses as a
//! PowerShell host without user interaction does.

use futures::future::BoxFuture;
use psremote_clixml::Value;
use uuid::Uuid;

/// One host call from the server.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// `ci`: the call id the response must carry.
    pub call_id: i64,
    /// `mi`: the RemoteHostMethodId (MS-PSRP 2.2.3.17), e.g. 11 = ReadLine.
    pub method_id: i32,
    /// The method's name (`ReadLine`, `Prompt`, `WriteLine2`, …).
    pub method_name: String,
    /// `mp`: the arguments.
    pub parameters: Vec<Value>,
    /// The pipeline that made the call; `None` for the RunspacePool.
    pub pipeline: Option<Uuid>,
}

/// Why a host call could not be answered; sent back to the server as the exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub message: String,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> HostError {
        HostError {
            message: message.into(),
        }
    }

    /// What PowerShell's hosts say when a command prompts and there is no user to ask.
    pub fn not_interactive() -> HostError {
        HostError::new(
            "A command that prompts the user failed because the host program or the command \
             type does not support user interaction. Try a host program that supports user \
             interaction, such as the PowerShell Console or PowerShell ISE, and remove \
             prompt-related commands from command types that do not support user interaction.",
        )
    }
}

/// Answers host calls. `Ok(None)` for void methods (Write*, SetShouldExit…), `Ok(Some(v))`
/// for methods with a return value, `Err` to make the call throw on the server.
pub trait Host: Send + Sync + 'static {
    fn call(&self, call: HostCall) -> BoxFuture<'static, Result<Option<Value>, HostError>>;

    /// Whether this host interacts with a user (tells the server a UI is present).
    fn is_interactive(&self) -> bool {
        true
    }
}

/// The default host: no user to ask. Writes are accepted and dropped; reads and prompts fail
/// with PowerShell's non-interactive error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHost;

/// Whether a RemoteHostMethodId is a void method the server does not wait for
/// (MS-PSRP 2.2.3.17: Write*, SetShouldExit, EnterNestedPrompt…).
pub fn is_void_method(method_id: i32) -> bool {
    matches!(
        method_id,
        6..=10 | 13..=22 | 28 | 30 | 32 | 34 | 36 | 38 | 40 | 42 | 47..=49 | 51..=53
    )
}

impl Host for NoHost {
    fn call(&self, call: HostCall) -> BoxFuture<'static, Result<Option<Value>, HostError>> {
        Box::pin(async move {
            if is_void_method(call.method_id) {
                Ok(None)
            } else {
                Err(HostError::not_interactive())
            }
        })
    }

    fn is_interactive(&self) -> bool {
        false
    }
}

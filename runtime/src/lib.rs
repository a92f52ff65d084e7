//! psremote runtime: sessions over WS-Man, SSH and local processes, fan-out over many hosts.
//! Re-exports the layers below it.
//!
//! ```no_run
//! use psremote_runtime::{AuthMethod, Command, ConnectionInfo, Session, Value};
//! # async fn demo() -> psremote_runtime::Result<()> {
//! // New-PSSession: WinRM over HTTP with Negotiate and message encryption (the Windows default).
//! let session = Session::connect(
//!     ConnectionInfo::new("server1").auth(AuthMethod::Negotiate).credentials("admin", "secret"),
//! )
//! .await?;
//! // State persists across calls on one session.
//! session.invoke(Command::script("$h = Get-HotFix")).await?;
//! let hotfixes = session
//!     .invoke(Command::script(r#"$h | where {$_.InstalledBy -ne "NT AUTHORITY\SYSTEM"}"#))
//!     .await?;
//! // A command with named parameters (no script text: fine on NoLanguage endpoints).
//! let services = session
//!     .invoke(Command::new("Get-Service").param("Name", Value::String("WinRM".into())))
//!     .await?;
//! session.close().await?;
//!
//! // SSH (PowerShell 7's `powershell` subsystem) and fan-out work the same way.
//! let targets = vec![ConnectionInfo::ssh("admin@server2"), ConnectionInfo::new("server3")];
//! let events = psremote_runtime::invoke_many(targets, Command::new("Get-UICulture"), Default::default());
//! # let _ = (hotfixes, services, events);
//! # Ok(()) }
//! ```

pub use psremote_clixml as clixml;
pub use psremote_psrp as psrp;
pub use psremote_wsman as wsman;

pub mod binding;
pub mod connection;
pub mod error;
pub mod fanout;
pub mod host;
pub mod implicit;
pub mod outofproc;
mod proto;
pub mod record;
pub mod session;
pub mod stream;
pub mod transport;

pub use binding::{CatalogCheck, LazySession};
pub use connection::{
    AuthMethod, AuthMethod as Auth, ConnectionInfo, Credentials, DEFAULT_REQUEST_GRACE,
    KerberosSettings, Target, TlsSettings,
};
pub use error::{Error, Result};
pub use fanout::{FanOutEvent, FanOutOptions, invoke_many};
pub use host::{Host, HostCall, HostError, NoHost};
pub use psremote_clixml::Value;
pub use psremote_psrp::{Command, PowerShell};
pub use record::{ErrorRecord, InformationRecord, InformationalRecord, ProgressRecord};
pub use session::{Session, SessionOptions, SessionState, Stopper};
pub use stream::{Invocation, InvocationState, PipelineStream, StreamItem};
